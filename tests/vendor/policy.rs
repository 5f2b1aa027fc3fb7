//! Retry policy, timeouts, transport failures, missing configuration and redaction.

use crate::samples::*;
use crate::support::*;
use riskdesk::check::{CheckKind, Outcome, Vendor};
use riskdesk::config::BodyEncoding;
use riskdesk::vendor::{ErrorKind, VendorClient};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

#[tokio::test]
async fn a_500_then_200_succeeds_on_the_second_attempt() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string(r#"{"status":"INTERNAL_ERROR"}"#))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    answer_with(&server, "/check/debts_report", 200, DEBTS_OK).await;
    let client = VendorClient::new(&config(&server, BodyEncoding::Form)).unwrap();
    let r = client
        .run(&request(
            CheckKind::DebtsReport,
            fields_for(CheckKind::DebtsReport),
        ))
        .await;
    assert_eq!(
        (r.outcome, r.attempts, r.http_status),
        (Outcome::Ok, 2, Some(200))
    );
    assert!(r.error.is_none());
    assert_eq!(
        r.raw_body,
        DEBTS_OK.as_bytes(),
        "the last attempt's body is kept"
    );
}

#[tokio::test]
async fn retried_up_to_max_retries_then_given_up() {
    for (http, body) in [
        (512, r#"{"status":"SOURCE_SERVICE_UNAVAILABLE"}"#),
        (403, r#"{"status":"RATE_LIMIT_EXCEEDED"}"#),
    ] {
        let (r, received) = run_once(CheckKind::DebtsReport, http, body).await;
        assert_eq!((r.outcome, r.attempts), (Outcome::Error, 3), "{body}");
        assert_eq!(received.len(), 3);
    }
}

#[tokio::test]
async fn refusals_are_never_retried() {
    for (http, status) in [
        (401, "UNAUTHORIZED"),
        (400, "INVALID_ARGUMENT"),
        (403, "NO_PERMISSION"),
        (403, "OUT_OF_QUOTA"),
        (401, "KEY_EXPIRED"),
    ] {
        let (r, received) = run_once(
            CheckKind::DebtsReport,
            http,
            &format!(r#"{{"status":"{status}"}}"#),
        )
        .await;
        assert_eq!((r.attempts, received.len()), (1, 1), "{status}");
        assert_eq!(r.http_status, Some(http));
    }
}

#[tokio::test]
async fn a_proxy_html_page_is_vendor_down_with_a_short_excerpt() {
    let page = format!(
        "<html><head><title>502 Bad Gateway</title></head><body>{}</body></html>",
        "x".repeat(2000)
    );
    let (r, _) = run_once(CheckKind::Multiplatform, 502, &page).await;
    assert_eq!((r.outcome, r.attempts), (Outcome::Error, 1));
    let e = r.error.unwrap();
    assert_eq!(e.kind, ErrorKind::VendorDown);
    assert!(
        e.message.contains("502 Bad Gateway") && e.message.len() < 300,
        "{}",
        e.message
    );
    assert_eq!(r.raw_body, page.as_bytes());

    let (r, _) = run_once(CheckKind::DebtsReport, 200, &DEBTS_OK[..100]).await;
    assert_eq!(r.error.unwrap().kind, ErrorKind::Malformed);
}

#[tokio::test]
async fn a_slow_vendor_times_out_without_retry() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(DEBTS_OK)
                .set_delay(Duration::from_secs(4)),
        )
        .mount(&server)
        .await;
    let mut cfg = config(&server, BodyEncoding::Form);
    cfg.http.timeout_secs = 1;
    let r = VendorClient::new(&cfg)
        .unwrap()
        .run(&request(
            CheckKind::DebtsReport,
            fields_for(CheckKind::DebtsReport),
        ))
        .await;
    assert_eq!(
        (r.outcome, r.attempts, r.http_status),
        (Outcome::Error, 1, None)
    );
    let e = r.error.unwrap();
    assert_eq!(e.kind, ErrorKind::Timeout);
    assert!(e.message.contains("1 s"), "{}", e.message);
    assert!(
        r.latency_ms >= 900 && r.latency_ms < 10_000,
        "{}",
        r.latency_ms
    );
}
#[tokio::test]
async fn connection_refused_is_transport_and_retried() {
    let server = MockServer::start().await;
    let mut cfg = config(&server, BodyEncoding::Form);
    cfg.accuauth.debts_report_url = dead_url();
    cfg.trustdecision.multiplatform_url = Some(format!("{}/td/multiplatform", dead_url()));
    let client = VendorClient::new(&cfg).unwrap();
    for check in [CheckKind::DebtsReport, CheckKind::Multiplatform] {
        let r = client.run(&request(check, fields_for(check))).await;
        assert_eq!(
            (r.outcome, r.attempts, r.http_status),
            (Outcome::Error, 3, None)
        );
        let e = r.error.unwrap();
        assert_eq!(e.kind, ErrorKind::Transport, "{}", e.message);
        assert!(
            !e.message.contains("partner_key") && !e.message.contains('?'),
            "{}",
            e.message
        );
    }
}

#[tokio::test]
async fn missing_configuration_sends_nothing() {
    let server = MockServer::start().await;
    let mut cfg = config(&server, BodyEncoding::Form);
    cfg.trustdecision.credit_willingness_url = None;
    cfg.accuauth.api_secret = None;
    let client = VendorClient::new(&cfg).unwrap();
    assert!(!client.is_configured(Vendor::AccuAuth));
    assert!(!client.is_configured(Vendor::TrustDecision));
    assert!(client.is_check_configured(CheckKind::Multiplatform));
    assert!(!client.is_check_configured(CheckKind::CreditWillingness));
    let r = client
        .run(&request(
            CheckKind::DebtsReport,
            fields_for(CheckKind::DebtsReport),
        ))
        .await;
    assert_eq!((r.outcome, r.attempts), (Outcome::Error, 0));
    assert_eq!(r.error.unwrap().kind, ErrorKind::Unauthorized);
    let r = client
        .run(&request(
            CheckKind::CreditWillingness,
            fields_for(CheckKind::CreditWillingness),
        ))
        .await;
    assert_eq!(r.error.unwrap().kind, ErrorKind::NotFound);
    assert!(server.received_requests().await.unwrap().is_empty());
    let full = VendorClient::new(&config(&server, BodyEncoding::Form)).unwrap();
    assert!(full.is_configured(Vendor::AccuAuth) && full.is_configured(Vendor::TrustDecision));
}
#[tokio::test]
async fn canary_secrets_never_leave_the_wire() {
    let server = MockServer::start().await;
    // A hostile or buggy upstream that echoes the full request line, query included.
    Mock::given(method("POST"))
        .and(path("/td/willingness"))
        .respond_with(|req: &Request| {
            ResponseTemplate::new(502)
                .set_body_string(format!("<html>bad gateway for {}</html>", req.url))
        })
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/check/debts_report"))
        .respond_with(|req: &Request| {
            let echoed = header(req, "x-df-api-secret").to_string();
            ResponseTemplate::new(401).set_body_string(format!(
                r#"{{"status":"UNAUTHORIZED","reason":"bad key {echoed}"}}"#
            ))
        })
        .mount(&server)
        .await;
    answer_with(&server, "/td/multiplatform", 200, MULTIPLATFORM_OK).await;
    answer_with(&server, "/check/multiple_order/o1", 200, ORDER_HIT).await;
    answer_with(
        &server,
        "/check/phone_number/o1",
        200,
        r#"{"task_id":"T1"}"#,
    )
    .await;
    let client = VendorClient::new(&config(&server, BodyEncoding::Json)).unwrap();
    assert!(!format!("{client:?}").contains("CANARY"));
    for check in CheckKind::ALL {
        let r = client.run(&request(check, fields_for(check))).await;
        assert_no_secret(&r);
        // The echoing endpoints really did echo: the masks show where.
        match check {
            CheckKind::DebtsReport => {
                assert!(r.error.as_ref().unwrap().message.contains("bad key ***"));
                assert!(String::from_utf8_lossy(&r.raw_body).contains("bad key ***"));
                assert!(r.warnings.iter().any(|w| w.contains("masked")));
            }
            CheckKind::CreditWillingness => {
                assert!(String::from_utf8_lossy(&r.raw_body).contains("partner_key=***"));
            }
            _ => {}
        }
    }
    let r = client.poll_phone_task("T1").await;
    assert_no_secret(&r);
    let mut cfg = config(&server, BodyEncoding::Form);
    cfg.trustdecision.multiplatform_url = Some(format!("{}/td/multiplatform", dead_url()));
    let r = VendorClient::new(&cfg)
        .unwrap()
        .run(&request(
            CheckKind::Multiplatform,
            fields_for(CheckKind::Multiplatform),
        ))
        .await;
    assert_eq!(r.error.as_ref().unwrap().kind, ErrorKind::Transport);
    assert_no_secret(&r);
}

#[tokio::test]
async fn redirects_are_not_followed_with_credentials() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/td/multiplatform"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", "/elsewhere"))
        .mount(&server)
        .await;
    answer_with(&server, "/elsewhere", 200, MULTIPLATFORM_OK).await;
    let client = VendorClient::new(&config(&server, BodyEncoding::Form)).unwrap();
    let r = client
        .run(&request(
            CheckKind::Multiplatform,
            fields_for(CheckKind::Multiplatform),
        ))
        .await;
    assert_eq!(
        (r.outcome, r.http_status, r.attempts),
        (Outcome::Error, Some(307), 1)
    );
    assert_eq!(r.error.unwrap().kind, ErrorKind::NotFound);
    let received = server.received_requests().await.unwrap();
    assert!(received.iter().all(|q| q.url.path() != "/elsewhere"));
}

#[tokio::test]
async fn a_huge_answer_is_cut_off_and_malformed() {
    let huge = format!("{{\"status\":\"OK\",\"pad\":\"{}\"}}", "x".repeat(9 << 20));
    let (r, _) = run_once(CheckKind::DebtsReport, 200, &huge).await;
    assert_eq!((r.outcome, r.attempts), (Outcome::Error, 1));
    assert_eq!(r.error.unwrap().kind, ErrorKind::Malformed);
    assert_eq!(r.raw_body.len(), 8 << 20);
}

/// A peer that reads each whole request (head and body), counts it, then does `then` to
/// the connection: wiremock always answers, and these faults need a connection cut.
async fn broken_peer(
    then: &'static [u8],
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let received = std::sync::Arc::new(AtomicUsize::new(0));
    let count = received.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let count = count.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                loop {
                    let Ok(n) = sock.read(&mut chunk).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    let text = String::from_utf8_lossy(&buf).to_ascii_lowercase();
                    let Some(head_end) = text.find("\r\n\r\n") else {
                        continue;
                    };
                    let length = text
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    if buf.len() >= head_end + 4 + length {
                        break;
                    }
                }
                count.fetch_add(1, Ordering::SeqCst);
                let _ = sock.write_all(then).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (url, received)
}

#[tokio::test]
async fn a_connection_broken_after_the_request_is_sent_once_and_said_so() {
    use std::sync::atomic::Ordering;
    for (what, then) in [
        ("closed without an answer", &b""[..]),
        (
            "body cut short",
            &b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 400\r\n\r\n{\"status\":\"OK\",\"res"[..],
        ),
    ] {
        let server = MockServer::start().await;
        let (url, received) = broken_peer(then).await;
        let mut cfg = config(&server, BodyEncoding::Form);
        cfg.accuauth.debts_report_url = url;
        cfg.http.max_retries = 2;
        let r = VendorClient::new(&cfg)
            .unwrap()
            .run(&request(
                CheckKind::DebtsReport,
                fields_for(CheckKind::DebtsReport),
            ))
            .await;
        assert_eq!(received.load(Ordering::SeqCst), 1, "{what}: re-sent");
        assert_eq!((r.outcome, r.attempts), (Outcome::Error, 1), "{what}");
        assert_eq!(r.attempt_log.len(), 1, "{what}");
        let e = r.error.unwrap();
        assert_eq!(e.kind, ErrorKind::Interrupted, "{what}: {}", e.message);
        assert!(
            e.hint.contains("may have done (and billed)") && e.hint.contains("history"),
            "{what}: {}",
            e.hint
        );
    }
}

#[tokio::test]
async fn a_bare_5xx_page_is_not_resent_but_a_not_done_status_is() {
    let (r, received) = run_once(CheckKind::DebtsReport, 500, "<html>oops</html>").await;
    assert_eq!((r.attempts, received.len()), (1, 1));
    let (r, received) = run_once(
        CheckKind::DebtsReport,
        500,
        r#"{"status":"INTERNAL_ERROR","request_id":"r-x"}"#,
    )
    .await;
    assert_eq!((r.attempts, received.len()), (3, 3));
}

#[tokio::test]
async fn every_attempt_is_kept_with_its_status_and_request_id() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_string(r#"{"status":"RATE_LIMIT_EXCEEDED","request_id":"req-limited"}"#),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    answer_with(&server, "/check/debts_report", 200, DEBTS_OK).await;
    let r = VendorClient::new(&config(&server, BodyEncoding::Form))
        .unwrap()
        .run(&request(
            CheckKind::DebtsReport,
            fields_for(CheckKind::DebtsReport),
        ))
        .await;
    assert_eq!((r.outcome, r.attempts), (Outcome::Ok, 2));
    let log: Vec<_> = r
        .attempt_log
        .iter()
        .map(|a| {
            (
                a.http_status,
                a.vendor_status.as_deref(),
                a.vendor_request_id.as_deref(),
                a.error_kind.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        log,
        vec![
            (
                Some(403),
                Some("RATE_LIMIT_EXCEEDED"),
                Some("req-limited"),
                Some("rate_limited")
            ),
            (Some(200), Some("OK"), r.vendor_request_id.as_deref(), None),
        ]
    );
}

#[tokio::test]
async fn a_poll_error_echoing_the_task_id_is_that_error() {
    let server = MockServer::start().await;
    answer_with(
        &server,
        "/check/phone_number/task_result/o1",
        401,
        r#"{"status":"UNAUTHORIZED","reason":"bad key","task_id":"T-9","request_id":"r"}"#,
    )
    .await;
    let client = VendorClient::new(&config(&server, BodyEncoding::Form)).unwrap();
    let r = client.poll_phone_task("T-9").await;
    assert_eq!(r.outcome, Outcome::Error);
    assert_eq!(r.error.unwrap().kind, ErrorKind::Unauthorized);
}

#[tokio::test]
async fn pending_without_a_task_id_is_malformed() {
    let (r, received) = run_once(
        CheckKind::PhoneStatus,
        400,
        r#"{"status":"PENDING","reason":"check in progress","request_id":"r"}"#,
    )
    .await;
    assert_eq!((r.outcome, received.len()), (Outcome::Error, 1));
    assert_eq!(r.error.unwrap().kind, ErrorKind::Malformed);
    assert!(r.task_id.is_none());
}
