//! The result of one lookup, and the redaction every result passes through.

use super::error::VendorError;
use crate::check::{CheckKind, Outcome};
use crate::report::Report;

/// One lookup as it ended: what was sent, what came back, and what it means.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    pub check: CheckKind,
    pub outcome: Outcome,
    /// AccuAuth `status` or TrustDecision `code` as sent ("OK", "NOT_HIT", "200", "9061").
    pub vendor_status: Option<String>,
    /// AccuAuth `request_id` or TrustDecision `sequence_id`.
    pub vendor_request_id: Option<String>,
    pub http_status: Option<u16>,
    /// Wall time of the whole lookup, retries and their waits included.
    pub latency_ms: u64,
    /// Requests sent; 0 when nothing could be sent (missing configuration).
    pub attempts: u32,
    /// `{"url","method","content_type","body"}`: the URL without query, never a secret.
    pub request_sent: serde_json::Value,
    /// The last answer's body, byte for byte (a configured secret echoed back is masked).
    pub raw_body: Vec<u8>,
    pub report: Option<Report>,
    /// phone-status: the task to poll while pending.
    pub task_id: Option<String>,
    pub error: Option<VendorError>,
    /// Copied from the request: things worth saying beside the result.
    pub warnings: Vec<String>,
}

impl CheckResult {
    /// Masks every configured secret anywhere in the result. Secrets shorter than four
    /// characters are not searched for: masking them would garble ordinary text.
    pub(crate) fn redact(&mut self, secrets: &[&str]) {
        for secret in secrets.iter().filter(|s| s.len() >= 4) {
            if let Some(e) = &mut self.error {
                e.message = e.message.replace(secret, "***");
                e.hint = e.hint.replace(secret, "***");
            }
            if contains(&self.raw_body, secret.as_bytes()) {
                self.raw_body = replace_bytes(&self.raw_body, secret.as_bytes(), b"***");
                self.warnings.push(
                    "The answer echoed a credential; it was masked in the stored body.".into(),
                );
            }
            let sent = self.request_sent.to_string();
            if sent.contains(secret) {
                self.request_sent =
                    serde_json::from_str(&sent.replace(secret, "***")).unwrap_or_default();
            }
            for text in [
                &mut self.vendor_status,
                &mut self.vendor_request_id,
                &mut self.task_id,
            ]
            .into_iter()
            .flatten()
            {
                *text = text.replace(secret, "***");
            }
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn replace_bytes(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vendor::error::ErrorKind;

    #[test]
    fn redaction_reaches_every_field() {
        let mut r = CheckResult {
            check: CheckKind::Multiplatform,
            outcome: Outcome::Error,
            vendor_status: Some("9061".into()),
            vendor_request_id: Some("seq-CANARYKEY".into()),
            http_status: Some(400),
            latency_ms: 1,
            attempts: 1,
            request_sent: serde_json::json!({"url": "https://x/?k=CANARYKEY"}),
            raw_body: b"echo CANARYKEY and CANARYKEY".to_vec(),
            report: None,
            task_id: None,
            error: Some(VendorError::new(ErrorKind::Unknown, "got CANARYKEY", "h")),
            warnings: vec![],
        };
        r.redact(&["CANARYKEY", "ab"]);
        let debug = format!("{r:?}");
        assert!(!debug.contains("CANARYKEY"), "{debug}");
        assert_eq!(r.raw_body, b"echo *** and ***");
        assert_eq!(r.warnings.len(), 1);
    }
}
