//! The edge between the console and the layers below: vendor results, reports, history
//! rows and phone tasks become the console's own view types. Pure functions.

use super::format::{count, thousands};
use super::model::{
    Answer, ErrorView, HistoryQuery, HistoryRow, ReportView, Risk, Section, StoredLookup,
    TaskStatus, TaskView,
};
use crate::applicant::mask_phone;
use crate::check::Outcome;
use crate::history::{LookupRecord, LookupSummary, PhoneTaskRow, SearchQuery, TaskState};
use crate::report::{
    DebtsReport, IndicatorValue, MultiplatformReport, MultipleOrderReport, PhoneStatus,
    PhoneStatusReport, Report, WillingnessReport, parse_report,
};
use crate::vendor::{CheckResult, ErrorKind, VendorError};
use time::OffsetDateTime;

/// A vendor result as the console shows it.
pub fn answer_from_result(r: &CheckResult, lookup_id: Option<i64>, at: OffsetDateTime) -> Answer {
    Answer {
        check: r.check,
        outcome: r.outcome,
        vendor_status: r.vendor_status.clone().unwrap_or_default(),
        request_id: r.vendor_request_id.clone().unwrap_or_default(),
        latency_ms: r.latency_ms,
        raw: r.raw_body.clone(),
        report: r.report.as_ref().map(report_view),
        error: r.error.as_ref().map(error_view),
        task_id: r.task_id.clone(),
        warnings: r.warnings.clone(),
        lookup_id,
        unsaved: None,
        at,
    }
}

pub fn error_view(e: &VendorError) -> ErrorView {
    ErrorView {
        kind: e.kind.as_str().replace('_', " "),
        message: e.message.clone(),
        hint: e.hint.clone(),
        code: e.code.clone().unwrap_or_default(),
    }
}

/// What to do about a stored error (history keeps the kind, not the hint).
fn hint_for_kind(kind: &str) -> &'static str {
    kind.parse::<ErrorKind>()
        .map(ErrorKind::default_hint)
        .unwrap_or("")
}

/// A stored lookup, exactly as recorded: the report re-read from the stored JSON, or
/// re-parsed from the raw body when that JSON is missing or from an older layout.
pub fn stored_lookup(rec: &LookupRecord) -> StoredLookup {
    let report = rec
        .report
        .clone()
        .and_then(|v| serde_json::from_value::<Report>(v).ok())
        .or_else(|| {
            (rec.outcome == Outcome::Ok)
                .then(|| parse_report(rec.check, &rec.raw_response).ok())
                .flatten()
        });
    let error = rec.error_kind.as_ref().map(|kind| ErrorView {
        kind: kind.replace('_', " "),
        message: rec.error_message.clone().unwrap_or_default(),
        hint: hint_for_kind(kind).to_string(),
        code: rec.vendor_status.clone().unwrap_or_default(),
    });
    // The request as sent is `{"url", "method", "content_type", "body"}` from the client,
    // or the bare field map from older rows.
    let request = rec
        .request
        .get("body")
        .and_then(|b| b.as_object())
        .or_else(|| rec.request.as_object())
        .cloned()
        .unwrap_or_default();
    StoredLookup {
        row: HistoryRow {
            id: rec.id,
            at: rec.created_at,
            check: rec.check,
            outcome: rec.outcome,
            phone: rec.identity.phone_e164.clone(),
            id_number: rec.identity.id_number.clone(),
            name: rec.identity.name.clone(),
            request_id: rec.vendor_request_id.clone().unwrap_or_default(),
            sandbox: rec.sandbox,
            operator: rec.operator.clone(),
        },
        identity: rec.identity.clone(),
        answer: Answer {
            check: rec.check,
            outcome: rec.outcome,
            vendor_status: rec.vendor_status.clone().unwrap_or_default(),
            request_id: rec.vendor_request_id.clone().unwrap_or_default(),
            latency_ms: rec.latency_ms,
            raw: rec.raw_response.clone(),
            report: report.as_ref().map(report_view),
            error,
            task_id: rec.task_id.clone(),
            warnings: Vec::new(),
            lookup_id: Some(rec.id),
            unsaved: None,
            at: rec.created_at,
        },
        request,
    }
}

pub fn history_row(s: &LookupSummary) -> HistoryRow {
    HistoryRow {
        id: s.id,
        at: s.created_at,
        check: s.check,
        outcome: s.outcome,
        phone: s.phone_e164.clone(),
        id_number: s.id_number.clone(),
        name: s.name.clone(),
        request_id: s.vendor_request_id.clone().unwrap_or_default(),
        sandbox: s.sandbox,
        operator: String::new(),
    }
}

pub fn search_query(q: &HistoryQuery) -> SearchQuery {
    SearchQuery {
        text: q.text.clone(),
        check: q.check,
        outcome: q.outcome,
        since: q.since.map(|t| t.to_offset(time::UtcOffset::UTC).date()),
        until: None,
        limit: q.limit,
        before: None,
    }
}

pub fn task_view(t: &PhoneTaskRow, next_delay: std::time::Duration) -> TaskView {
    let status = match t.state {
        TaskState::Pending => TaskStatus::Pending,
        TaskState::Paused => TaskStatus::Paused,
        TaskState::Done => TaskStatus::Done,
        TaskState::Failed => TaskStatus::Failed,
        TaskState::Expired => TaskStatus::Expired,
    };
    let reason = match (t.state, &t.error) {
        (_, Some(e)) if !e.is_empty() => e.clone(),
        (TaskState::Expired, _) => "the vendor keeps a task for 24 h".into(),
        _ => String::new(),
    };
    TaskView {
        task_id: t.task_id.clone(),
        phone: t.phone_e164.clone(),
        created_at: t.submitted_at,
        attempts: t.attempts,
        next_poll_at: t.last_poll_at.unwrap_or(t.submitted_at) + next_delay,
        status,
        reason,
        // The task row does not say; the lookup that created it does (`Live::load_tasks`).
        submitter: String::new(),
    }
}

fn opt_count(v: Option<i64>) -> String {
    v.map(count).unwrap_or_else(|| "—".into())
}

fn opt_amount(v: Option<f64>) -> String {
    v.map(thousands).unwrap_or_else(|| "—".into())
}

fn pairs(title: &str, rows: Vec<(&str, String)>) -> Section {
    Section {
        title: title.into(),
        header: Vec::new(),
        rows: rows
            .into_iter()
            .map(|(k, v)| vec![k.to_string(), v])
            .collect(),
    }
}

/// A report as readable tables, with a gist and a risk for the summary strip.
pub fn report_view(r: &Report) -> ReportView {
    match r {
        Report::DebtsReport(d) => debts(d),
        Report::MultipleOrder(m) => orders(m),
        Report::PhoneStatus(p) => phone(p),
        Report::Multiplatform(m) => multiplatform(m),
        Report::CreditWillingness(w) => willingness(w),
    }
}

fn debts(d: &DebtsReport) -> ReportView {
    let rejects = d.reject_total_num.unwrap_or(0);
    let loan_platforms = d.platform_loan_total.unwrap_or(0);
    let applies = d.apply_total_num.unwrap_or(0);
    // Borrowing on several platforms at once, or being turned down, is what underwriters
    // look for first.
    let risk = if loan_platforms >= 3 || rejects >= 3 {
        Risk::High
    } else if applies > 0 || rejects > 0 {
        Risk::Medium
    } else {
        Risk::Low
    };
    let gist = format!(
        "{} applications, {} rejected, {} loans on {} platforms",
        opt_count(d.apply_total_num),
        opt_count(d.reject_total_num),
        opt_count(d.loan_total_num),
        opt_count(d.platform_loan_total)
    );
    let row = |what: &str, total: Option<i64>, platforms: Option<i64>| {
        vec![what.to_string(), opt_count(total), opt_count(platforms)]
    };
    let amount = |what: &str, min: Option<f64>, max: Option<f64>, avg: Option<f64>| {
        vec![
            what.to_string(),
            opt_amount(min),
            opt_amount(max),
            opt_amount(avg),
        ]
    };
    ReportView {
        gist,
        risk,
        score: None,
        sections: vec![
            Section {
                title: "Counts".into(),
                header: vec!["".into(), "total".into(), "platforms".into()],
                rows: vec![
                    row("registrations", d.reg_total_num, d.platform_reg_total),
                    row("applications", d.apply_total_num, d.platform_apply_total),
                    row("approvals", d.approved_total_num, d.platform_approved_total),
                    row("rejections", d.reject_total_num, d.platform_reject_total),
                    row("loans", d.loan_total_num, d.platform_loan_total),
                ],
            },
            Section {
                title: "Amounts".into(),
                header: vec!["".into(), "min".into(), "max".into(), "average".into()],
                rows: vec![
                    amount(
                        "applied",
                        d.apply_amount_min,
                        d.apply_amount_max,
                        d.apply_amount_avg,
                    ),
                    amount(
                        "loans",
                        d.loan_amount_min,
                        d.loan_amount_max,
                        d.loan_amount_avg,
                    ),
                ],
            },
        ],
    }
}

fn orders(m: &MultipleOrderReport) -> ReportView {
    if !m.target {
        return ReportView {
            gist: "not on the multiple order list".into(),
            risk: Risk::Low,
            score: None,
            sections: Vec::new(),
        };
    }
    let worst = m.data.iter().filter_map(|d| d.level).max();
    let risk = match worst {
        Some(5) => Risk::High,
        Some(1..=3) => Risk::Low,
        _ => Risk::Medium,
    };
    let worst_words = m
        .data
        .iter()
        .find(|d| d.level == worst)
        .map(|d| d.level_words())
        .unwrap_or("no level");
    let dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "—".into());
    ReportView {
        gist: format!(
            "on the list: {} hits, worst {worst_words}",
            count(m.count as i64)
        ),
        risk,
        score: None,
        sections: vec![Section {
            title: "Hit records".into(),
            header: ["day", "source", "customer id", "duration s", "level"]
                .map(String::from)
                .to_vec(),
            rows: m
                .data
                .iter()
                .map(|d| {
                    vec![
                        dash(&d.day),
                        dash(&d.source),
                        dash(&d.cid),
                        dash(&d.duration),
                        match d.level {
                            Some(l) => format!("{l} {}", d.level_words()),
                            None => "—".into(),
                        },
                    ]
                })
                .collect(),
        }],
    }
}

fn phone(p: &PhoneStatusReport) -> ReportView {
    let risk = match p.phone_status {
        PhoneStatus::Ring | PhoneStatus::Connected => Risk::Low,
        PhoneStatus::Empty => Risk::High,
        PhoneStatus::Other(_) => Risk::Unknown,
        _ => Risk::Medium,
    };
    ReportView {
        gist: p.phone_status.words().to_string(),
        risk,
        score: None,
        sections: vec![pairs(
            "Line",
            vec![
                // The vendor usually masks the number itself; mask it anyway.
                ("number", mask_phone(&p.phone_number)),
                ("status", p.phone_status.as_str().to_string()),
                ("meaning", p.phone_status.words().to_string()),
            ],
        )],
    }
}

fn indicator_words(v: &IndicatorValue) -> String {
    match v {
        IndicatorValue::Number(f) => thousands(*f),
        other => other.words(),
    }
}

fn multiplatform(m: &MultiplatformReport) -> ReportView {
    let no_record = m
        .indicators
        .iter()
        .filter(|i| matches!(i.indicator_value, IndicatorValue::NoRecord))
        .count();
    ReportView {
        gist: format!(
            "{} indicators, {no_record} without record",
            m.indicators.len()
        ),
        risk: Risk::Unknown,
        score: None,
        sections: vec![Section {
            title: "Indicators".into(),
            header: ["indicator", "value", "status"].map(String::from).to_vec(),
            rows: m
                .indicators
                .iter()
                .map(|i| {
                    vec![
                        i.indicator_name.clone(),
                        indicator_words(&i.indicator_value),
                        match i.indicator_status {
                            Some(s) => format!("{s} {}", i.status_words()),
                            None => i.status_words().to_string(),
                        },
                    ]
                })
                .collect(),
        }],
    }
}

fn willingness(w: &WillingnessReport) -> ReportView {
    // A weak willingness to take credit is the warning sign for a credit offer.
    let risk = match w.score {
        600.. => Risk::Low,
        450..600 => Risk::Medium,
        _ => Risk::High,
    };
    let dash = |s: &Option<String>| s.clone().unwrap_or_else(|| "—".into());
    ReportView {
        gist: format!("willingness score {} (300–900)", w.score),
        risk,
        score: Some(w.score),
        sections: vec![pairs(
            "Decision",
            vec![
                ("result", dash(&w.result)),
                ("detail", dash(&w.detail)),
                ("order id", dash(&w.order_id)),
            ],
        )],
    }
}
