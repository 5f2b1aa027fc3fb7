//! The result of one lookup, and the redaction every result passes through.

use super::error::VendorError;
use crate::check::{CheckKind, Outcome};
use crate::report::Report;
use serde::{Deserialize, Serialize};

/// One request of a lookup, as history keeps it: a lookup re-sent after a refused
/// connection or a vendor's "not done" answer has several, each with its own vendor request
/// id (the vendor's support asks for them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Attempt {
    /// None when no answer came (no connection, broken off, timed out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_request_id: Option<String>,
    /// The error kind's stored spelling (`rate_limited`, `transport`, ...), when it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<String>,
    #[serde(default)]
    pub latency_ms: u64,
}

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
    /// Each request sent, in order (its length is `attempts`); the fields above are the last.
    pub attempt_log: Vec<Attempt>,
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
    /// Masks every configured secret anywhere in the result, in every spelling it can take
    /// on the way (as typed, percent-encoded in a query or form, escaped inside JSON).
    /// Secrets shorter than four characters are not searched for: masking them would garble
    /// ordinary text.
    pub(crate) fn redact(&mut self, secrets: &[&str]) {
        let spellings: Vec<String> = secrets
            .iter()
            .filter(|s| s.len() >= 4)
            .flat_map(|s| secret_spellings(s))
            .collect();
        let mut echoed = false;
        for secret in spellings.iter().map(String::as_str) {
            if let Some(e) = &mut self.error {
                e.message = e.message.replace(secret, "***");
                e.hint = e.hint.replace(secret, "***");
            }
            if contains(&self.raw_body, secret.as_bytes()) {
                self.raw_body = replace_bytes(&self.raw_body, secret.as_bytes(), b"***");
                echoed = true;
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
            for attempt in &mut self.attempt_log {
                for text in [&mut attempt.vendor_status, &mut attempt.vendor_request_id]
                    .into_iter()
                    .flatten()
                {
                    *text = text.replace(secret, "***");
                }
            }
        }
        if echoed {
            self.warnings
                .push("The answer echoed a credential; it was masked in the stored body.".into());
        }
    }
}

/// Every way `secret` can appear in text that went over the wire or into JSON: as typed;
/// percent-encoded the strict way (everything but `A-Za-z0-9-._~`) and the form way (`*`
/// kept, space as `+`), with upper- and lower-case hex; JSON-escaped, with and without `\/`.
/// Longest first, so a longer spelling is masked before a shorter one inside it.
pub fn secret_spellings(secret: &str) -> Vec<String> {
    let mut out = vec![secret.to_string()];
    for form in [false, true] {
        for upper in [true, false] {
            out.push(percent_encode(secret, form, upper));
        }
    }
    if let Ok(json) = serde_json::to_string(secret) {
        let inner = json[1..json.len() - 1].to_string();
        out.push(inner.replace('/', "\\/"));
        out.push(inner);
    }
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

fn percent_encode(s: &str, form: bool, upper: bool) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => out.push(b as char),
            b'~' if !form => out.push('~'),
            b'*' if form => out.push('*'),
            b' ' if form => out.push('+'),
            _ if upper => out.push_str(&format!("%{b:02X}")),
            _ => out.push_str(&format!("%{b:02x}")),
        }
    }
    out
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
            attempt_log: vec![],
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

#[cfg(test)]
mod spelling_tests {
    use super::*;
    use crate::vendor::error::ErrorKind;

    #[test]
    fn every_spelling_of_a_secret_is_masked() {
        let secret = "CAN+ARY/KEY=9 z";
        let spellings = secret_spellings(secret);
        for s in [
            "CAN+ARY/KEY=9 z",
            "CAN%2BARY%2FKEY%3D9%20z",
            "CAN%2bARY%2fKEY%3d9%20z",
            "CAN%2BARY%2FKEY%3D9+z",
            "CAN+ARY\\/KEY=9 z",
        ] {
            assert!(
                spellings.iter().any(|x| x == s),
                "{s} missing: {spellings:?}"
            );
        }
        let body = r#"{"echo":"CAN+ARY\/KEY=9 z","q":"k=CAN%2BARY%2FKEY%3D9+z","l":"CAN%2bARY%2fKEY%3d9%20z"}"#
            .to_string();
        let mut r = CheckResult {
            check: CheckKind::Multiplatform,
            outcome: Outcome::Error,
            vendor_status: None,
            vendor_request_id: Some("CAN%2BARY%2FKEY%3D9%20z".into()),
            http_status: Some(400),
            latency_ms: 1,
            attempts: 1,
            attempt_log: vec![Attempt {
                vendor_request_id: Some("x-CAN+ARY/KEY=9 z".into()),
                ..Attempt::default()
            }],
            request_sent: serde_json::json!({"body": {"k": secret}}),
            raw_body: body.into_bytes(),
            report: None,
            task_id: None,
            error: Some(VendorError::new(
                ErrorKind::Unknown,
                "echo CAN%2BARY%2FKEY%3D9+z",
                "h",
            )),
            warnings: vec![],
        };
        r.redact(&[secret]);
        let all = format!("{r:?} {}", String::from_utf8_lossy(&r.raw_body));
        for needle in ["ARY", "KEY%3", "KEY=9"] {
            assert!(!all.contains(needle), "{needle} left in {all}");
        }
        assert_eq!(r.warnings.len(), 1);
    }
}
