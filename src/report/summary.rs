//! Reports in words: a one-line gist and labelled rows, so the CLI table, the console
//! and exports say the same thing the same way.

use super::{IndicatorValue, Report, format_number};

fn count(v: Option<i64>) -> String {
    v.map_or_else(|| "?".into(), |n| n.to_string())
}

fn amount(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), format_number)
}

impl Report {
    /// One line for a table cell or a tab title.
    pub fn summary(&self) -> String {
        match self {
            Report::DebtsReport(d) => format!(
                "{} applications ({} approved, {} rejected), {} loans, on {} platforms",
                count(d.apply_total_num),
                count(d.approved_total_num),
                count(d.reject_total_num),
                count(d.loan_total_num),
                count(d.platform_reg_total),
            ),
            Report::MultipleOrder(m) if m.target => {
                let worst = m
                    .data
                    .iter()
                    .filter(|r| r.level.is_some())
                    .max_by_key(|r| r.level)
                    .map(|r| format!(", worst level {}", r.level_words()))
                    .unwrap_or_default();
                format!("On the multiple order list: {} hit(s){worst}", m.count)
            }
            Report::MultipleOrder(_) => "Not on the multiple order list".into(),
            Report::PhoneStatus(p) => {
                format!("{}: {}", p.phone_status.as_str(), p.phone_status.words())
            }
            Report::Multiplatform(m) => {
                let special = |v: &IndicatorValue| {
                    m.indicators
                        .iter()
                        .filter(|i| &i.indicator_value == v)
                        .count()
                };
                format!(
                    "{} indicators ({} no record, {} unable to calculate)",
                    m.indicators.len(),
                    special(&IndicatorValue::NoRecord),
                    special(&IndicatorValue::Unable),
                )
            }
            Report::CreditWillingness(w) => {
                let result = w.result.as_deref().map(|r| format!(", result {r}"));
                format!(
                    "willingness score {} of 300-900{}",
                    w.score,
                    result.unwrap_or_default()
                )
            }
        }
    }

    /// Labelled rows, labels as the vendor pages name the fields.
    pub fn rows(&self) -> Vec<(String, String)> {
        let row = |k: &str, v: String| (k.to_string(), v);
        match self {
            Report::DebtsReport(d) => vec![
                row("reg_total_num", count(d.reg_total_num)),
                row("apply_total_num", count(d.apply_total_num)),
                row("approved_total_num", count(d.approved_total_num)),
                row("reject_total_num", count(d.reject_total_num)),
                row("loan_total_num", count(d.loan_total_num)),
                row("apply_amount_min", amount(d.apply_amount_min)),
                row("apply_amount_max", amount(d.apply_amount_max)),
                row("apply_amount_avg", amount(d.apply_amount_avg)),
                row("loan_amount_min", amount(d.loan_amount_min)),
                row("loan_amount_max", amount(d.loan_amount_max)),
                row("loan_amount_avg", amount(d.loan_amount_avg)),
                row("platform_reg_total", count(d.platform_reg_total)),
                row("platform_apply_total", count(d.platform_apply_total)),
                row("platform_approved_total", count(d.platform_approved_total)),
                row("platform_reject_total", count(d.platform_reject_total)),
                row("platform_loan_total", count(d.platform_loan_total)),
            ],
            Report::MultipleOrder(m) => {
                let mut rows = vec![
                    row("target", m.target.to_string()),
                    row("count", m.count.to_string()),
                ];
                for (i, r) in m.data.iter().enumerate() {
                    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
                    rows.push(row(
                        &format!("data[{i}]"),
                        format!(
                            "day {} source {} cid {} duration {} level {} ({})",
                            text(&r.day),
                            text(&r.source),
                            text(&r.cid),
                            text(&r.duration),
                            count(r.level),
                            r.level_words()
                        ),
                    ));
                }
                rows
            }
            Report::PhoneStatus(p) => vec![
                row("phone_number", p.phone_number.clone()),
                row("phone_status", p.phone_status.as_str().to_string()),
                row("meaning", p.phone_status.words().to_string()),
            ],
            Report::Multiplatform(m) => m
                .indicators
                .iter()
                .map(|i| {
                    let status = i
                        .indicator_status
                        .map(|s| s.to_string())
                        .unwrap_or_default();
                    let value = format!(
                        "{} [{status} {}]",
                        i.indicator_value.words(),
                        i.status_words()
                    );
                    (i.indicator_name.clone(), value)
                })
                .collect(),
            Report::CreditWillingness(w) => {
                let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
                vec![
                    row("score", w.score.to_string()),
                    row("result", opt(&w.result)),
                    row("detail", opt(&w.detail)),
                    row("order_id", opt(&w.order_id)),
                ]
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::check::CheckKind;
    use crate::report::parse_report;

    #[test]
    fn summaries_speak_plainly() {
        let order = br#"{"status":"OK","result":{"target":true,"count":2,"data":[{"level":3},{"level":5}]}}"#;
        let r = parse_report(CheckKind::MultipleOrder, order).unwrap();
        assert_eq!(
            r.summary(),
            "On the multiple order list: 2 hit(s), worst level blacklist"
        );
        assert_eq!(r.rows().len(), 4);
        let mp = br#"{"code":200,"data":[{"indicator_name":"a","indicator_value":-999,"indicator_status":201}]}"#;
        let r = parse_report(CheckKind::Multiplatform, mp).unwrap();
        assert_eq!(
            r.summary(),
            "1 indicators (1 no record, 0 unable to calculate)"
        );
        assert_eq!(
            r.rows()[0].1,
            "no record (-999) [201 no record of the phone number and ID number]"
        );
        let debts = br#"{"status":"OK","result":{"apply_total_num ":6}}"#;
        let r = parse_report(CheckKind::DebtsReport, debts).unwrap();
        assert_eq!(
            r.summary(),
            "6 applications (? approved, ? rejected), ? loans, on ? platforms"
        );
        assert_eq!(r.rows().len(), 16);
    }
}
