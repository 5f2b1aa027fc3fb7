//! When to send a request again, and how long to wait first.

use super::envelope::Answer;
use super::error::ErrorKind;
use std::time::Duration;

const BASE_MS: u64 = 250;
const CAP_MS: u64 = 4_000;

/// Only what is safe: a transport error before any response, HTTP 500 or 512, and
/// RATE_LIMIT_EXCEEDED. Never invalid input, auth, permission or quota, and never a
/// timeout (the vendor may have done, and billed, the work).
pub fn should_retry(http_status: Option<u16>, answer: &Answer) -> bool {
    let Some(error) = &answer.error else {
        return false;
    };
    if !error.kind.retryable() {
        return false;
    }
    match http_status {
        None => error.kind == ErrorKind::Transport,
        Some(500) | Some(512) => true,
        Some(_) => answer.vendor_status.as_deref() == Some("RATE_LIMIT_EXCEEDED"),
    }
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
        assert!(should_retry(
            Some(500),
            &answer(500, &env("INTERNAL_ERROR"))
        ));
        assert!(should_retry(
            Some(512),
            &answer(512, &env("SOURCE_SERVICE_UNAVAILABLE"))
        ));
        assert!(should_retry(
            Some(403),
            &answer(403, &env("RATE_LIMIT_EXCEEDED"))
        ));
        assert!(should_retry(Some(500), &answer(500, "<html>oops</html>")));
        for s in [
            "INVALID_ARGUMENT",
            "UNAUTHORIZED",
            "KEY_EXPIRED",
            "NO_PERMISSION",
            "OUT_OF_QUOTA",
        ] {
            assert!(!should_retry(Some(400), &answer(400, &env(s))), "{s}");
        }
        assert!(!should_retry(
            Some(500),
            &answer(500, &env("INVALID_ARGUMENT"))
        ));
        assert!(!should_retry(
            Some(502),
            &answer(502, "<html>bad gateway</html>")
        ));
        assert!(!should_retry(
            Some(200),
            &answer(200, r#"{"status":"OK","result":{}}"#)
        ));
        let transport = Answer::failed(VendorError::new(ErrorKind::Transport, "x", "y"));
        assert!(should_retry(None, &transport));
        let timeout = Answer::failed(VendorError::new(ErrorKind::Timeout, "x", "y"));
        assert!(!should_retry(None, &timeout));
        let limited = answer(403, &env("RATE_LIMIT_EXCEEDED"));
        assert_eq!(retry_delay(1, &limited, 0.0), Duration::from_millis(500));
        assert_eq!(retry_delay(1, &transport, 0.0), Duration::from_millis(125));
    }
}
