//! When to send a request again, and how long to wait first.

use super::envelope::Answer;
use super::error::ErrorKind;
use std::time::Duration;

const BASE_MS: u64 = 250;
const CAP_MS: u64 = 4_000;

/// Statuses with which AccuAuth says the work was not done, so sending again cannot bill twice.
const NOT_DONE: [&str; 3] = [
    "RATE_LIMIT_EXCEEDED",
    "INTERNAL_ERROR",
    "SOURCE_SERVICE_UNAVAILABLE",
];

/// Only what cannot bill twice: a connection that was never made (the request never left:
/// refused, DNS, TLS handshake; `ErrorKind::Transport` is given to nothing else), or an
/// answer whose status says the work was not done. Never a timeout, a connection broken
/// after the request was written, a body cut short, or a bare 5xx page without the vendor's
/// envelope (a proxy can fail after the vendor did the work): the vendor may have billed.
pub fn should_retry(answer: &Answer) -> bool {
    let Some(error) = &answer.error else {
        return false;
    };
    if error.kind == ErrorKind::Transport {
        return true;
    }
    answer
        .vendor_status
        .as_deref()
        .is_some_and(|s| NOT_DONE.contains(&s.trim().to_ascii_uppercase().as_str()))
}

/// The wait before the next attempt. A rate limit starts two steps further up the curve:
/// hammering a vendor that just said "too fast" only earns another refusal.
pub fn retry_delay(attempt: u32, answer: &Answer, jitter: f64) -> Duration {
    let rate_limited = answer
        .error
        .as_ref()
        .is_some_and(|e| e.kind == ErrorKind::RateLimited);
    backoff_delay(attempt + if rate_limited { 2 } else { 0 }, jitter)
}

/// Capped exponential backoff with jitter: attempt 1 waits 125-250 ms, attempt 2
/// 250-500 ms, ... up to 2-4 s. `jitter` is a uniform draw in [0, 1); half the delay is
/// fixed so retries never bunch at zero.
pub fn backoff_delay(attempt: u32, jitter: f64) -> Duration {
    let exp = BASE_MS.saturating_mul(1u64 << attempt.saturating_sub(1).min(16));
    let full = exp.min(CAP_MS);
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let ms = full / 2 + ((full / 2) as f64 * jitter) as u64;
    Duration::from_millis(ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vendor::envelope::{Endpoint, interpret};
    use crate::vendor::error::VendorError;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff_delay(1, 0.0), Duration::from_millis(125));
        assert_eq!(backoff_delay(1, 1.0), Duration::from_millis(250));
        assert_eq!(backoff_delay(2, 0.0), Duration::from_millis(250));
        assert_eq!(backoff_delay(40, 1.0), Duration::from_millis(4_000));
        assert_eq!(backoff_delay(0, f64::NAN), Duration::from_millis(187));
    }

    fn answer(status: u16, body: &str) -> Answer {
        interpret(Endpoint::DebtsReport, status, body.as_bytes())
    }

    #[test]
    fn what_is_retried() {
        let env = |s: &str| format!(r#"{{"status":"{s}","reason":"r"}}"#);
        assert!(should_retry(&answer(500, &env("INTERNAL_ERROR"))));
        assert!(should_retry(&answer(
            512,
            &env("SOURCE_SERVICE_UNAVAILABLE")
        )));
        assert!(should_retry(&answer(403, &env("RATE_LIMIT_EXCEEDED"))));
        assert!(should_retry(&answer(403, &env("rate_limit_exceeded"))));
        // A bare 5xx page may come from a proxy after the vendor did the work.
        assert!(!should_retry(&answer(500, "<html>oops</html>")));
        assert!(!should_retry(&answer(502, "<html>bad gateway</html>")));
        assert!(!should_retry(&answer(512, "")));
        for s in [
            "INVALID_ARGUMENT",
            "UNAUTHORIZED",
            "KEY_EXPIRED",
            "NO_PERMISSION",
            "OUT_OF_QUOTA",
            "QUERY_FAILED",
            "ABNORMAL_BEHAVIOURS_DETECTED",
        ] {
            assert!(!should_retry(&answer(400, &env(s))), "{s}");
        }
        assert!(!should_retry(&answer(500, &env("INVALID_ARGUMENT"))));
        assert!(!should_retry(&answer(
            200,
            r#"{"status":"OK","result":{}}"#
        )));
        let not_sent = Answer::failed(VendorError::new(ErrorKind::Transport, "x", "y"));
        assert!(should_retry(&not_sent));
        for kind in [
            ErrorKind::Timeout,
            ErrorKind::Interrupted,
            ErrorKind::Malformed,
        ] {
            let failed = Answer::failed(VendorError::new(kind, "x", "y"));
            assert!(!should_retry(&failed), "{kind}");
        }
        let limited = answer(403, &env("RATE_LIMIT_EXCEEDED"));
        assert_eq!(retry_delay(1, &limited, 0.0), Duration::from_millis(500));
        assert_eq!(retry_delay(1, &not_sent, 0.0), Duration::from_millis(125));
    }
}
