//! The data in successful answers: debts figures, multiple-order records, multiplatform
//! indicators. Amounts are in local-currency magnitudes (IDR millions for debts).

use super::scenarios::{Debts, Indicators, Orders};
use serde_json::{Map, Value, json};
use time::{Date, Duration};

/// debts_report figures: counts then amounts (IDR).
struct DebtsFigures {
    counts: [u64; 5],
    amounts: [f64; 6],
    platforms: [u64; 5],
}

const COUNT_KEYS: [&str; 5] = [
    "reg_total_num",
    "apply_total_num",
    "approved_total_num",
    "reject_total_num",
    "loan_total_num",
];
const AMOUNT_KEYS: [&str; 6] = [
    "apply_amount_min",
    "apply_amount_max",
    "apply_amount_avg",
    "loan_amount_min",
    "loan_amount_max",
    "loan_amount_avg",
];
const PLATFORM_KEYS: [&str; 5] = [
    "platform_reg_total",
    "platform_apply_total",
    "platform_approved_total",
    "platform_reject_total",
    "platform_loan_total",
];
/// The keys the page's sample spells with a trailing space.
const SAMPLE_UNSPACED: [&str; 2] = ["reg_total_num", "platform_apply_total"];

/// The `result` of a debts_report answer. `seed` shapes the ordinary answer for unknown
/// identifiers (`plan` None).
pub(crate) fn debts_result(plan: Option<Debts>, seed: u64) -> Value {
    let (figures, spaced, array) = match plan {
        Some(Debts::Clean) => (
            DebtsFigures {
                counts: [3, 1, 1, 0, 1],
                amounts: [
                    2_000_000.0,
                    2_000_000.0,
                    2_000_000.0,
                    1_500_000.0,
                    1_500_000.0,
                    1_500_000.0,
                ],
                platforms: [2, 1, 1, 0, 1],
            },
            false,
            false,
        ),
        Some(Debts::HeavyBorrower) => (
            DebtsFigures {
                counts: [41, 57, 9, 48, 9],
                amounts: [
                    500_000.0,
                    15_000_000.0,
                    4_850_000.5,
                    500_000.0,
                    5_000_000.0,
                    2_100_000.0,
                ],
                platforms: [23, 19, 6, 17, 6],
            },
            true,
            false,
        ),
        Some(Debts::DocumentedArray) => (
            DebtsFigures {
                counts: [6, 4, 2, 2, 2],
                amounts: [
                    1_000_000.0,
                    6_000_000.0,
                    3_500_000.0,
                    1_000_000.0,
                    4_000_000.0,
                    2_500_000.0,
                ],
                platforms: [5, 4, 2, 2, 2],
            },
            false,
            true,
        ),
        Some(Debts::Applications(n)) => (growing_debts(u64::from(n)), false, false),
        Some(Debts::NotHit) | None => (ordinary_debts(seed), seed % 3 == 1, seed % 3 == 2),
    };
    let mut m = Map::new();
    let key = |k: &str| {
        if spaced && !SAMPLE_UNSPACED.contains(&k) {
            format!("{k} ")
        } else {
            k.to_string()
        }
    };
    for (k, v) in COUNT_KEYS.iter().zip(figures.counts) {
        m.insert(key(k), json!(v));
    }
    for (k, v) in AMOUNT_KEYS.iter().zip(figures.amounts) {
        // Whole amounts go out as integers, like the sample.
        let value = if v.fract() == 0.0 {
            json!(v as u64)
        } else {
            json!(v)
        };
        m.insert(key(k), value);
    }
    for (k, v) in PLATFORM_KEYS.iter().zip(figures.platforms) {
        m.insert(key(k), json!(v));
    }
    if array {
        Value::Array(vec![Value::Object(m)])
    } else {
        Value::Object(m)
    }
}

/// `apply` applications: the more there are, the larger the share rejected.
fn growing_debts(apply: u64) -> DebtsFigures {
    let approved = (apply / 6).max(1).min(apply);
    let reject = apply - approved;
    DebtsFigures {
        counts: [apply / 2 + 3, apply, approved, reject, approved],
        amounts: [
            1_000_000.0,
            2_000_000.0 + 100_000.0 * apply as f64,
            1_500_000.0 + 50_000.0 * apply as f64,
            1_000_000.0,
            2_000_000.0,
            1_500_000.0,
        ],
        platforms: [
            apply / 3 + 2,
            apply / 3 + 1,
            approved.min(apply / 3 + 1),
            (reject / 3).max(reject.min(1)),
            approved.min(apply / 3 + 1),
        ],
    }
}

fn ordinary_debts(seed: u64) -> DebtsFigures {
    let apply = 1 + seed % 12;
    let approved = (apply / 2).max(1);
    let reject = apply - approved;
    let loans = approved;
    let base = 1_000_000.0 * (1 + (seed >> 8) % 5) as f64;
    DebtsFigures {
        counts: [apply + 2 + (seed >> 4) % 5, apply, approved, reject, loans],
        amounts: [base, base * 3.0, base * 2.0, base, base * 2.0, base * 1.5],
        platforms: [
            apply.min(9) + 1,
            apply.min(9),
            approved.min(9),
            reject.min(9),
            loans.min(9),
        ],
    }
}

/// One multiple_order record before filtering.
struct Record {
    days_ago: i64,
    source: &'static str,
    cid: Value,
    duration: Option<Value>,
    level: u8,
}

/// The `result` of a multiple_order answer, filtered by `source` and backtracking from
/// `until` (records on or before that day).
pub(crate) fn orders_result(
    plan: Option<Orders>,
    seed: u64,
    today: Date,
    source: Option<&str>,
    until: Option<Date>,
) -> Value {
    let records = match plan {
        Some(Orders::Miss) => Vec::new(),
        Some(Orders::Blacklist) => blacklist_records(),
        Some(Orders::Normal) => vec![Record {
            days_ago: 20,
            source: "seat",
            cid: json!("11323"),
            duration: Some(json!(35)),
            level: 3,
        }],
        Some(Orders::Greylist) => vec![
            Record {
                days_ago: 12,
                source: "seat",
                cid: json!(20817),
                duration: Some(json!(42)),
                level: 4,
            },
            Record {
                days_ago: 40,
                source: "seat",
                cid: json!(20817),
                duration: Some(json!(9)),
                level: 4,
            },
        ],
        None if seed.is_multiple_of(4) => vec![Record {
            days_ago: (seed % 60) as i64 + 1,
            source: "sms",
            cid: json!(((seed >> 16) % 90_000 + 10_000).to_string()),
            duration: None,
            level: 3,
        }],
        None => Vec::new(),
    };
    let data: Vec<Value> = records
        .into_iter()
        .filter(|r| source.is_none_or(|s| s == r.source))
        .map(|r| (today - Duration::days(r.days_ago), r))
        .filter(|(day, _)| until.is_none_or(|u| *day <= u))
        .map(|(day, r)| {
            let mut m = Map::new();
            m.insert("day".into(), json!(day.to_string()));
            m.insert("source".into(), json!(r.source));
            m.insert("cid".into(), r.cid);
            if let Some(d) = r.duration {
                m.insert("duration".into(), d);
            }
            m.insert("level".into(), json!(r.level));
            Value::Object(m)
        })
        .collect();
    if data.is_empty() {
        json!({ "target": false })
    } else {
        json!({ "target": true, "count": data.len(), "data": data })
    }
}

fn blacklist_records() -> Vec<Record> {
    let mut v = Vec::new();
    for (i, source) in ["seat", "voice", "sms"].into_iter().enumerate() {
        for j in 0..3i64 {
            let n = i as i64 * 3 + j;
            // Drift: the sample sends cid/duration as strings; some records send numbers.
            let cid = if n % 2 == 0 {
                json!("11323")
            } else {
                json!(11323)
            };
            let duration = (source == "seat").then(|| {
                if j == 1 {
                    json!(17 + n)
                } else {
                    json!((11 + n).to_string())
                }
            });
            v.push(Record {
                days_ago: 2 + n * 5,
                source,
                cid,
                duration,
                level: 5,
            });
        }
    }
    v
}

/// Indicator names per package. The page shows only `indicator_name_1`; these names are
/// illustrative, the shapes (counts, amounts, special values) are the page's.
fn indicator_names(package: &str) -> &'static [&'static str] {
    match package {
        "credit_rating_estimation" => &[
            "credit_score",
            "credit_rating_level",
            "default_probability",
            "score_reason_code",
        ],
        "multiplatform_multi" => &[
            "apply_platform_cnt_7d",
            "apply_platform_cnt_30d",
            "apply_platform_cnt_90d",
            "apply_cnt_30d",
            "loan_platform_cnt_90d",
            "reject_platform_cnt_90d",
        ],
        "behavior_analysis_of_repayment" => &[
            "repay_success_cnt_90d",
            "repay_fail_cnt_90d",
            "overdue_cnt_180d",
            "max_overdue_days_180d",
            "repay_amount_sum_90d",
            "last_repay_days_ago",
        ],
        _ => &[
            "v1_1_apply_platform_cnt_1d",
            "v1_1_apply_platform_cnt_7d",
            "v1_1_apply_platform_cnt_30d",
            "v1_1_apply_platform_cnt_90d",
            "v1_1_loan_platform_cnt_30d",
            "v1_1_max_loan_amount_90d",
            "v1_1_first_apply_days_ago",
        ],
    }
}

/// What one currency unit of a small loan looks like in each country.
fn small_loan(country: &str) -> i64 {
    match country {
        "MX" => 3_000,
        "IN" => 10_000,
        "TH" => 5_000,
        "CO" => 500_000,
        "PH" => 5_000,
        "VN" => 3_000_000,
        "NG" => 50_000,
        "PK" => 30_000,
        _ => 10_000,
    }
}

fn indicator_value(name: &str, heavy: bool, country: &str, seed: u64) -> Value {
    let scale: i64 = if heavy { 6 } else { 1 };
    let jitter = (seed % 3) as i64;
    if name.contains("amount") {
        json!(small_loan(country) * scale * (2 + jitter))
    } else if name == "credit_score" {
        json!(if heavy { 412 } else { 713 + jitter })
    } else if name == "credit_rating_level" {
        json!(if heavy { "E" } else { "B" })
    } else if name == "default_probability" {
        json!(if heavy { "0.3710" } else { "0.0420" })
    } else if name == "score_reason_code" {
        json!(if heavy { "R07" } else { "R01" })
    } else if name.ends_with("days_ago") {
        json!(if heavy { 3 } else { 45 + jitter })
    } else if name.contains("overdue_days") {
        json!(if heavy { 37 } else { 0 })
    } else if name.contains("fail") || name.contains("overdue") || name.contains("reject") {
        json!(if heavy { 9 + jitter } else { 0 })
    } else {
        // Counts over a window grow with the window.
        let window = if name.ends_with("_1d") {
            1
        } else if name.ends_with("_7d") {
            2
        } else {
            3
        };
        json!(window * scale * (1 + jitter))
    }
}

/// The `data` array of a multiplatform answer.
pub(crate) fn indicators(
    plan: Option<Indicators>,
    package: &str,
    country: &str,
    seed: u64,
) -> Vec<Value> {
    let plan = plan.unwrap_or(match seed % 5 {
        0 => Indicators::Heavy,
        1 => Indicators::Mixed,
        2 => Indicators::Strings,
        _ => Indicators::Clean,
    });
    indicator_names(package)
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let (status, value) = match plan {
                Indicators::Clean => (200, indicator_value(name, false, country, seed)),
                Indicators::Heavy => (200, indicator_value(name, true, country, seed)),
                Indicators::NoRecord => (201, json!(-999)),
                Indicators::Strings => (
                    200,
                    json!(
                        indicator_value(name, false, country, seed)
                            .to_string()
                            .trim_matches('"')
                    ),
                ),
                Indicators::Mixed => match i % 4 {
                    0 => (200, indicator_value(name, false, country, seed)),
                    1 => (201, json!(-999)),
                    2 => (202, json!(-1111)),
                    _ => (500, json!(-1111)),
                },
            };
            json!({ "indicator_name": name, "indicator_status": status, "indicator_value": value })
        })
        .collect()
}
