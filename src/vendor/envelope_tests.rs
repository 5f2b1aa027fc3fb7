//! Unit tests for envelope reading: every outcome path, under odd statuses and bodies.

use super::envelope::{Endpoint, excerpt, interpret};
use super::error::ErrorKind;
use crate::check::Outcome;
use crate::report::{PhoneStatus, Report};

fn kind(endpoint: Endpoint, status: u16, body: &str) -> Option<ErrorKind> {
    interpret(endpoint, status, body.as_bytes())
        .error
        .map(|e| e.kind)
}

#[test]
fn accuauth_errors_come_in_any_http_status() {
    let body = r#"{"status":"INVALID_ARGUMENT","reason":"argument 'mobile': not found","request_id":"TID0bb"}"#;
    let a = interpret(Endpoint::DebtsReport, 400, body.as_bytes());
    assert_eq!(a.outcome, Outcome::Error);
    assert_eq!(a.vendor_status.as_deref(), Some("INVALID_ARGUMENT"));
    assert_eq!(a.vendor_request_id.as_deref(), Some("TID0bb"));
    let e = a.error.unwrap();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert!(e.message.contains("argument 'mobile': not found"));
    // The same envelope under 200 still means the same.
    assert_eq!(
        kind(Endpoint::DebtsReport, 200, body),
        Some(ErrorKind::InvalidInput)
    );
}

#[test]
fn not_hit_is_an_answer() {
    let a = interpret(
        Endpoint::DebtsReport,
        400,
        br#"{"status":"NOT_HIT","request_id":"x"}"#,
    );
    assert_eq!(a.outcome, Outcome::NotHit);
    assert!(a.error.is_none() && a.report.is_none());
    let a = interpret(Endpoint::DebtsReport, 400, br#"{"status":" not_hit "}"#);
    assert_eq!(
        (a.outcome, a.vendor_status.as_deref()),
        (Outcome::NotHit, Some("not_hit"))
    );
    let with_empty_result = br#"{"status":"NOT_HIT","result":{}}"#;
    let a = interpret(Endpoint::MultipleOrder, 200, with_empty_result);
    assert_eq!((a.outcome, a.report), (Outcome::NotHit, None));
}

#[test]
fn phone_submit_pending_only_with_a_good_status() {
    for status in [
        r#""status":"OK","#,
        r#""status":"PENDING","#,
        r#""status":"","#,
        "",
    ] {
        let body = format!(r#"{{{status}"task_id":"T-1","request_id":"r"}}"#);
        let a = interpret(Endpoint::PhoneSubmit, 200, body.as_bytes());
        assert_eq!(a.outcome, Outcome::Pending, "{status}");
        assert_eq!(a.task_id.as_deref(), Some("T-1"));
    }
    let a = interpret(
        Endpoint::PhoneSubmit,
        200,
        br#"{"status":"OK","task_id":12345}"#,
    );
    assert_eq!(a.task_id.as_deref(), Some("12345"));
    // An error status is that error, task id or not.
    let body = r#"{"status":"OUT_OF_QUOTA","task_id":"T-1","reason":"quota"}"#;
    assert_eq!(
        kind(Endpoint::PhoneSubmit, 403, body),
        Some(ErrorKind::OutOfQuota)
    );
    let body = r#"{"status":"WHATEVER","task_id":"T-1"}"#;
    assert_eq!(
        kind(Endpoint::PhoneSubmit, 200, body),
        Some(ErrorKind::Unknown)
    );
}

#[test]
fn pending_without_task_id_is_malformed_except_for_a_poll() {
    let body = r#"{"status":"PENDING","reason":"check in progress","request_id":"r"}"#;
    for endpoint in [
        Endpoint::PhoneSubmit,
        Endpoint::DebtsReport,
        Endpoint::MultipleOrder,
    ] {
        assert_eq!(
            kind(endpoint, 200, body),
            Some(ErrorKind::Malformed),
            "{endpoint:?}"
        );
    }
    let a = interpret(Endpoint::PhoneTaskResult, 400, body.as_bytes());
    assert_eq!(a.outcome, Outcome::Pending);
}

#[test]
fn task_result_error_echoing_the_task_id_is_that_error() {
    for (http, status, want) in [
        (500, "INTERNAL_ERROR", ErrorKind::VendorDown),
        (401, "UNAUTHORIZED", ErrorKind::Unauthorized),
        (403, "RATE_LIMIT_EXCEEDED", ErrorKind::RateLimited),
        (400, "INVALID_ARGUMENT", ErrorKind::TaskExpired),
        (200, "OK", ErrorKind::Malformed),
    ] {
        let body = format!(r#"{{"status":"{status}","task_id":"T-1","reason":"r"}}"#);
        let a = interpret(Endpoint::PhoneTaskResult, http, body.as_bytes());
        assert_eq!(a.outcome, Outcome::Error, "{status}");
        assert_eq!(a.error.map(|e| e.kind), Some(want), "{status}");
    }
}

#[test]
fn phone_submit_with_result_at_once() {
    let body =
        br#"{"status":"OK","result":{"phone_number":"52155","phone_status":"busy"},"task_id":"T"}"#;
    let a = interpret(Endpoint::PhoneSubmit, 200, body);
    assert_eq!(a.outcome, Outcome::Ok);
    let Some(Report::PhoneStatus(r)) = a.report else {
        panic!("no report")
    };
    assert_eq!(r.phone_status, PhoneStatus::Busy);
}

#[test]
fn task_result_pending_and_expired() {
    let pending = br#"{"status":"PENDING","reason":"check in progress","request_id":"r"}"#;
    let a = interpret(Endpoint::PhoneTaskResult, 400, pending);
    assert_eq!(a.outcome, Outcome::Pending);
    assert!(a.error.is_none());
    let invalid = r#"{"status":"INVALID_ARGUMENT","reason":"task_id not found"}"#;
    assert_eq!(
        kind(Endpoint::PhoneTaskResult, 400, invalid),
        Some(ErrorKind::TaskExpired)
    );
}

#[test]
fn ok_without_result_is_malformed() {
    assert_eq!(
        kind(Endpoint::DebtsReport, 200, r#"{"status":"OK"}"#),
        Some(ErrorKind::Malformed)
    );
    assert_eq!(
        kind(Endpoint::DebtsReport, 200, r#"{"result":null}"#),
        Some(ErrorKind::Malformed)
    );
    let bad_phone = r#"{"status":"OK","result":{"phone_number":"1"}}"#;
    assert_eq!(
        kind(Endpoint::PhoneTaskResult, 200, bad_phone),
        Some(ErrorKind::Malformed)
    );
}

#[test]
fn non_json_bodies() {
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let a = interpret(Endpoint::DebtsReport, 502, html.as_bytes());
    let e = a.error.unwrap();
    assert_eq!(e.kind, ErrorKind::VendorDown);
    assert!(
        e.message.contains("502") && e.message.contains("Bad Gateway"),
        "{}",
        e.message
    );
    assert_eq!(
        kind(Endpoint::Multiplatform, 200, r#"{"code":200,"da"#),
        Some(ErrorKind::Malformed)
    );
    assert_eq!(
        kind(Endpoint::DebtsReport, 200, ""),
        Some(ErrorKind::Malformed)
    );
    assert_eq!(
        kind(Endpoint::DebtsReport, 200, "[]"),
        Some(ErrorKind::Malformed)
    );
    assert_eq!(
        kind(Endpoint::CreditWillingness, 503, "  "),
        Some(ErrorKind::VendorDown)
    );
}

#[test]
fn json_without_a_status_falls_back_to_http() {
    assert_eq!(
        kind(Endpoint::DebtsReport, 401, "{}"),
        Some(ErrorKind::Unauthorized)
    );
    assert_eq!(
        kind(Endpoint::DebtsReport, 404, r#"{"error":"x"}"#),
        Some(ErrorKind::NotFound)
    );
    assert_eq!(
        kind(Endpoint::Multiplatform, 429, "{}"),
        Some(ErrorKind::RateLimited)
    );
    assert_eq!(
        kind(Endpoint::Multiplatform, 500, "{}"),
        Some(ErrorKind::VendorDown)
    );
    assert_eq!(
        kind(Endpoint::Multiplatform, 200, "{}"),
        Some(ErrorKind::Malformed)
    );
}

#[test]
fn trustdecision_codes() {
    let body = r#"{"code": 9061, "sequence_id": "80b5", "message": "country error"}"#;
    let a = interpret(Endpoint::Multiplatform, 200, body.as_bytes());
    assert_eq!(a.vendor_status.as_deref(), Some("9061"));
    assert_eq!(a.vendor_request_id.as_deref(), Some("80b5"));
    let e = a.error.unwrap();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert!(e.message.contains("country error"));
    let odd = r#"{"code":"ABC","message":"new thing"}"#;
    let e = interpret(Endpoint::CreditWillingness, 200, odd.as_bytes())
        .error
        .unwrap();
    assert_eq!(e.kind, ErrorKind::Unknown);
    assert!(e.message.contains("ABC") && e.message.contains("new thing"));
    let string_code = r#"{"code":"200","score":"700","sequence_id":"s"}"#;
    assert_eq!(
        interpret(Endpoint::CreditWillingness, 200, string_code.as_bytes()).outcome,
        Outcome::Ok
    );
}

#[test]
fn excerpts_are_short_and_printable() {
    let long = "x".repeat(500);
    let e = excerpt(long.as_bytes());
    assert!(e.chars().count() < 90);
    let e = excerpt(b"\x1b[31mred\x00\xff");
    assert!(!e.contains('\u{1b}') && !e.contains('\0'));
}
