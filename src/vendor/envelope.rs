//! Reading a vendor answer: the envelope under any HTTP status, turned into an outcome,
//! a report or an error. Pure, so every vendor quirk is unit-testable without a server.

use super::error::{ErrorKind, VendorError, accuauth_error, http_error, trustdecision_error};
use crate::check::{CheckKind, Outcome, Vendor};
use crate::report::{self, Report, ReportError, lenient};
use serde_json::{Map, Value};

/// One of the six vendor endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    DebtsReport,
    MultipleOrder,
    PhoneSubmit,
    PhoneTaskResult,
    Multiplatform,
    CreditWillingness,
}

impl Endpoint {
    /// The endpoint a check's first call goes to.
    pub fn for_check(check: CheckKind) -> Endpoint {
        match check {
            CheckKind::DebtsReport => Endpoint::DebtsReport,
            CheckKind::MultipleOrder => Endpoint::MultipleOrder,
            CheckKind::PhoneStatus => Endpoint::PhoneSubmit,
            CheckKind::Multiplatform => Endpoint::Multiplatform,
            CheckKind::CreditWillingness => Endpoint::CreditWillingness,
        }
    }

    pub fn check(self) -> CheckKind {
        match self {
            Endpoint::DebtsReport => CheckKind::DebtsReport,
            Endpoint::MultipleOrder => CheckKind::MultipleOrder,
            Endpoint::PhoneSubmit | Endpoint::PhoneTaskResult => CheckKind::PhoneStatus,
            Endpoint::Multiplatform => CheckKind::Multiplatform,
            Endpoint::CreditWillingness => CheckKind::CreditWillingness,
        }
    }

    pub fn vendor(self) -> Vendor {
        self.check().vendor()
    }

    /// The path appended to an AccuAuth base URL (TrustDecision URLs are configured whole).
    pub fn accuauth_path(self) -> Option<&'static str> {
        match self {
            Endpoint::DebtsReport => Some("/check/debts_report"),
            Endpoint::MultipleOrder => Some("/check/multiple_order/o1"),
            Endpoint::PhoneSubmit => Some("/check/phone_number/o1"),
            Endpoint::PhoneTaskResult => Some("/check/phone_number/task_result/o1"),
            Endpoint::Multiplatform | Endpoint::CreditWillingness => None,
        }
    }
}

/// What an answer means.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub outcome: Outcome,
    pub vendor_status: Option<String>,
    pub vendor_request_id: Option<String>,
    pub report: Option<Report>,
    pub task_id: Option<String>,
    pub error: Option<VendorError>,
}

impl Answer {
    fn new(outcome: Outcome) -> Answer {
        Answer {
            outcome,
            vendor_status: None,
            vendor_request_id: None,
            report: None,
            task_id: None,
            error: None,
        }
    }

    pub fn failed(error: VendorError) -> Answer {
        Answer {
            error: Some(error),
            ..Answer::new(Outcome::Error)
        }
    }

    fn fail(mut self, error: VendorError) -> Answer {
        self.outcome = Outcome::Error;
        self.report = None;
        self.error = Some(error);
        self
    }
}

/// Reads an answer of `endpoint` that came with `http_status`.
pub fn interpret(endpoint: Endpoint, http_status: u16, body: &[u8]) -> Answer {
    let vendor = endpoint.vendor().label();
    if (300..400).contains(&http_status) {
        return Answer::failed(http_error(vendor, http_status, None));
    }
    let Some(envelope) = lenient::parse_json(body)
        .as_ref()
        .and_then(lenient::trimmed_object)
    else {
        return Answer::failed(unreadable(vendor, http_status, body));
    };
    match endpoint.vendor() {
        Vendor::AccuAuth => accuauth(endpoint, http_status, &envelope),
        Vendor::TrustDecision => trustdecision(endpoint, http_status, &envelope),
    }
}

fn accuauth(endpoint: Endpoint, http_status: u16, envelope: &Map<String, Value>) -> Answer {
    let sent_status = lenient::text(envelope, "status");
    // Matched case-insensitively, reported as sent.
    let status = sent_status.as_ref().map(|s| s.to_ascii_uppercase());
    let reason = lenient::text(envelope, "reason");
    let mut answer = Answer::new(Outcome::Ok);
    answer.vendor_status = sent_status;
    answer.vendor_request_id = lenient::text(envelope, "request_id");
    let has_result = lenient::present(envelope, "result").is_some();
    let task_id = lenient::text(envelope, "task_id");
    // A result counts unless the status says otherwise (an error, or NOT_HIT: no record).
    let result_counts = status
        .as_deref()
        .is_none_or(|s| matches!(s, "OK" | "PENDING"));

    if has_result && result_counts {
        return match report::report_from_envelope(endpoint.check(), envelope) {
            Ok(report) => Answer {
                report: Some(report),
                ..answer
            },
            Err(e) => answer.fail(malformed_report("AccuAuth", e)),
        };
    }
    // The submit endpoint answers a task to poll: a task id without a result is pending
    // when the status does not say otherwise (DESIGN.md). Nowhere else does an echoed task id
    // mean pending: a task_result error that repeats the task id is that error.
    let submit_ok = status
        .as_deref()
        .is_none_or(|s| matches!(s, "OK" | "PENDING"));
    if let Some(task_id) = task_id.filter(|_| endpoint == Endpoint::PhoneSubmit && submit_ok) {
        answer.outcome = Outcome::Pending;
        answer.task_id = Some(task_id);
        return answer;
    }
    match status.as_deref() {
        // task_result: the task is still running (riskdesk knows which task it asked about).
        Some("PENDING") if endpoint == Endpoint::PhoneTaskResult => {
            answer.outcome = Outcome::Pending;
            answer
        }
        // Anywhere else a pending answer without a task id can never be resumed.
        Some("PENDING") => answer.fail(malformed_report(
            "AccuAuth",
            ReportError::Missing("task_id (the answer said PENDING)"),
        )),
        Some("NOT_HIT") => {
            answer.outcome = Outcome::NotHit;
            answer
        }
        Some("OK") => answer.fail(malformed_report("AccuAuth", ReportError::Missing("result"))),
        Some(other) => {
            let task = endpoint == Endpoint::PhoneTaskResult;
            answer.fail(accuauth_error(other, reason.as_deref(), task))
        }
        None => {
            let error = if (200..300).contains(&http_status) {
                malformed_report("AccuAuth", ReportError::Missing("status"))
            } else {
                http_error("AccuAuth", http_status, reason.as_deref())
            };
            answer.fail(error)
        }
    }
}

fn trustdecision(endpoint: Endpoint, http_status: u16, envelope: &Map<String, Value>) -> Answer {
    let code = envelope.get("code").and_then(|c| {
        // Normalise "200", 200 and 200.0 to one spelling; keep other text as sent.
        lenient::as_i64(c)
            .map(|n| n.to_string())
            .or_else(|| lenient::as_text(c))
    });
    let message = lenient::text(envelope, "message");
    let mut answer = Answer::new(Outcome::Ok);
    answer.vendor_status = code.clone();
    answer.vendor_request_id = lenient::text(envelope, "sequence_id");
    match code.as_deref() {
        Some("200") => match report::report_from_envelope(endpoint.check(), envelope) {
            Ok(report) => Answer {
                report: Some(report),
                ..answer
            },
            Err(e) => answer.fail(malformed_report("TrustDecision", e)),
        },
        Some(other) => answer.fail(trustdecision_error(other, message.as_deref())),
        None => {
            let error = if (200..300).contains(&http_status) {
                malformed_report("TrustDecision", ReportError::Missing("code"))
            } else {
                http_error("TrustDecision", http_status, message.as_deref())
            };
            answer.fail(error)
        }
    }
}

fn malformed_report(vendor: &str, e: ReportError) -> VendorError {
    VendorError::new(
        ErrorKind::Malformed,
        format!("{vendor} sent an answer riskdesk cannot read: {e}"),
        "Keep the raw answer (it is stored in history) and report it to the vendor.",
    )
}

/// A body that is not a JSON object: a proxy's HTML page, a truncated answer, nothing.
fn unreadable(vendor: &str, http_status: u16, body: &[u8]) -> VendorError {
    let shown = excerpt(body);
    let what = if body.iter().all(u8::is_ascii_whitespace) {
        "an empty body".to_string()
    } else {
        format!("a body that is not its JSON envelope (starts: {shown})")
    };
    let message = format!("{vendor} answered HTTP {http_status} with {what}");
    if http_status >= 500 {
        VendorError::new(
            ErrorKind::VendorDown,
            message,
            "The vendor or a proxy in front of it is failing; try again in a few minutes.",
        )
        .with_code(http_status.to_string())
    } else {
        VendorError::new(
            ErrorKind::Malformed,
            message,
            "Keep the raw answer (it is stored in history) and report it to the vendor.",
        )
    }
}

/// A short, printable excerpt of a body: at most 80 characters, control characters
/// replaced, so a hostile or binary body cannot mess up a terminal or a log line.
pub fn excerpt(body: &[u8]) -> String {
    const MAX: usize = 80;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX * 4)]);
    let mut out: String = text
        .trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX)
        .collect();
    if text.trim().chars().count() > MAX {
        out.push('…');
    }
    format!("{out:?}")
}
