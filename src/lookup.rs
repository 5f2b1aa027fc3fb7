//! A finished vendor call as history keeps it: the glue between the client's
//! [`CheckResult`] and the store's [`LookupRecord`], shared by the CLI and the console.

use crate::applicant::{FieldError, Identity};
use crate::history::LookupRecord;
use crate::vendor::CheckResult;

/// Who ran a lookup and where: stamped on every row.
#[derive(Debug, Clone)]
pub struct Origin {
    pub operator: String,
    pub sandbox: bool,
    /// Why the applicant is looked up (`--purpose`, the console's Purpose field); `None`
    /// when not given. Stored on every row of the lookup.
    pub purpose: Option<String>,
}

/// The row for a check that was sent (any outcome).
pub fn record_from_result(
    result: &CheckResult,
    identity: &Identity,
    origin: &Origin,
) -> LookupRecord {
    LookupRecord {
        id: 0,
        created_at: time::OffsetDateTime::now_utc(),
        operator: origin.operator.clone(),
        purpose: origin.purpose.clone(),
        sandbox: origin.sandbox,
        check: result.check,
        identity: identity.clone(),
        request: result.request_sent.clone(),
        http_status: result.http_status,
        vendor_status: result.vendor_status.clone(),
        vendor_request_id: result.vendor_request_id.clone(),
        outcome: result.outcome,
        error_kind: result.error.as_ref().map(|e| e.kind.as_str().to_string()),
        error_message: result.error.as_ref().map(|e| e.message.clone()),
        latency_ms: result.latency_ms,
        raw_response: result.raw_body.clone(),
        report: result
            .report
            .as_ref()
            .and_then(|r| serde_json::to_value(r).ok()),
        task_id: result.task_id.clone(),
        attempts: result.attempt_log.clone(),
    }
}

/// `phone: too short …; name: required …`
pub fn describe_field_errors(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}
