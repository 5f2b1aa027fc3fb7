//! Each endpoint against the pages: samples replayed verbatim give the right report, the
//! requests carry the right auth, content type and body, and every documented status and
//! code maps to its kind.

use crate::samples::*;
use crate::support::*;
use riskdesk::check::{CheckKind, Outcome};
use riskdesk::config::BodyEncoding;
use riskdesk::report::{IndicatorValue, PhoneStatus, Report, parse_report};
use riskdesk::vendor::{ErrorKind, VendorClient};
use serde_json::Value;
use std::collections::HashMap;
use wiremock::MockServer;

#[tokio::test]
async fn debts_report_sample_and_form_request() {
    let (r, received) = run_once(CheckKind::DebtsReport, 200, DEBTS_OK).await;
    assert_eq!(r.outcome, Outcome::Ok, "{:?}", r.error);
    assert_eq!(r.vendor_status.as_deref(), Some("OK"));
    assert_eq!(
        r.vendor_request_id.as_deref(),
        Some("TID591cb9fb0e284cf296912a4d0ffea889")
    );
    assert_eq!((r.http_status, r.attempts), (Some(200), 1));
    assert_eq!(r.raw_body, DEBTS_OK.as_bytes());
    assert_eq!(
        r.warnings,
        vec!["number not in the numbering plan".to_string()]
    );
    let Some(Report::DebtsReport(d)) = &r.report else {
        panic!("{:?}", r.report)
    };
    assert_eq!(
        (
            d.reg_total_num,
            d.apply_total_num,
            d.approved_total_num,
            d.reject_total_num,
            d.loan_total_num
        ),
        (Some(24), Some(6), Some(2), Some(4), Some(2))
    );
    assert_eq!(
        (d.apply_amount_min, d.apply_amount_max, d.apply_amount_avg),
        (Some(4000.0), Some(8000.0), Some(6000.0))
    );
    assert_eq!(
        (d.loan_amount_min, d.loan_amount_max, d.loan_amount_avg),
        (Some(3000.0), Some(6000.0), Some(4500.0))
    );
    assert_eq!(
        (
            d.platform_reg_total,
            d.platform_apply_total,
            d.platform_approved_total,
            d.platform_reject_total,
            d.platform_loan_total
        ),
        (Some(7), Some(4), Some(3), Some(1), Some(2))
    );
    let req = &received[0];
    assert_eq!(header(req, "x-df-api-id"), API_ID);
    assert_eq!(header(req, "x-df-api-secret"), API_SECRET);
    assert_eq!(
        header(req, "content-type"),
        "application/x-www-form-urlencoded"
    );
    let body = form(req);
    assert_eq!(body["mobile"], "6281234567890");
    assert_eq!(body["idcard"], "3171234567890001");
    let url = r.request_sent["url"].as_str().unwrap();
    let url = url.strip_prefix("http://127.0.0.1:").unwrap_or_default();
    assert!(
        url.ends_with("/check/debts_report") && !url.contains('?'),
        "{url}"
    );
    assert_eq!(r.request_sent["body"]["mobile"], "6281234567890");
    assert_eq!(
        r.request_sent["content_type"],
        "application/x-www-form-urlencoded"
    );
    // The stored body re-renders to the same report.
    assert_eq!(
        parse_report(CheckKind::DebtsReport, &r.raw_body).ok(),
        r.report
    );
}

#[tokio::test]
async fn debts_report_error_sample() {
    let (r, _) = run_once(CheckKind::DebtsReport, 400, DEBTS_INVALID).await;
    assert_eq!(
        (r.outcome, r.http_status, r.attempts),
        (Outcome::Error, Some(400), 1)
    );
    assert_eq!(r.vendor_status.as_deref(), Some("INVALID_ARGUMENT"));
    let e = r.error.unwrap();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert!(
        e.message.contains("argument 'mobile': not found"),
        "{}",
        e.message
    );
    assert!(!e.hint.is_empty());
}

#[tokio::test]
async fn multiple_order_samples_and_json_request() {
    let server = MockServer::start().await;
    answer_with(&server, "/check/multiple_order/o1", 200, ORDER_HIT).await;
    let client = VendorClient::new(&config(&server, BodyEncoding::Json)).unwrap();
    let req = request(
        CheckKind::MultipleOrder,
        fields_for(CheckKind::MultipleOrder),
    );
    let r = client.run(&req).await;
    let Some(Report::MultipleOrder(m)) = &r.report else {
        panic!("{:?}", r.error)
    };
    assert!(m.target);
    assert_eq!((m.count, m.data.len()), (2, 2));
    assert_eq!(m.data[1].duration.as_deref(), Some("11"));
    assert_eq!(
        (m.data[0].cid.as_deref(), m.data[0].level),
        (Some("11323"), Some(5))
    );
    let received = server.received_requests().await.unwrap();
    assert_eq!(header(&received[0], "content-type"), "application/json");
    assert_eq!(header(&received[0], "x-df-api-secret"), API_SECRET);
    let sent: Value = serde_json::from_slice(&received[0].body).unwrap();
    assert_eq!(sent, fields_for(CheckKind::MultipleOrder));

    server.reset().await;
    answer_with(&server, "/check/multiple_order/o1", 200, ORDER_MISS).await;
    let r = client.run(&req).await;
    assert_eq!(r.outcome, Outcome::Ok);
    let Some(Report::MultipleOrder(m)) = &r.report else {
        panic!("{:?}", r.error)
    };
    assert!(!m.target && m.data.is_empty() && m.count == 0);
}

#[tokio::test]
async fn phone_submit_then_task_result_samples() {
    let server = MockServer::start().await;
    answer_with(
        &server,
        "/check/phone_number/o1",
        200,
        r#"{"status":"OK","task_id":"T-42","request_id":"TIDsub"}"#,
    )
    .await;
    let client = VendorClient::new(&config(&server, BodyEncoding::Form)).unwrap();
    let r = client
        .run(&request(
            CheckKind::PhoneStatus,
            fields_for(CheckKind::PhoneStatus),
        ))
        .await;
    assert_eq!(
        (r.outcome, r.task_id.as_deref()),
        (Outcome::Pending, Some("T-42"))
    );
    assert_eq!(
        form(&server.received_requests().await.unwrap()[0])["phone_number"],
        "525512345678"
    );

    answer_with(
        &server,
        "/check/phone_number/task_result/o1",
        400,
        TASK_PENDING,
    )
    .await;
    let r = client.poll_phone_task("T-42").await;
    assert_eq!(
        (r.outcome, r.task_id.as_deref()),
        (Outcome::Pending, Some("T-42"))
    );
    assert!(r.error.is_none());
    assert_eq!(r.vendor_status.as_deref(), Some("PENDING"));
    let received = server.received_requests().await.unwrap();
    assert_eq!(received[1].url.path(), "/check/phone_number/task_result/o1");
    assert_eq!(form(&received[1])["task_id"], "T-42");
    assert_eq!(header(&received[1], "x-df-api-id"), API_ID);

    server.reset().await;
    answer_with(
        &server,
        "/check/phone_number/task_result/o1",
        200,
        TASK_DONE,
    )
    .await;
    let r = client.poll_phone_task("T-42").await;
    assert_eq!(r.outcome, Outcome::Ok);
    let Some(Report::PhoneStatus(p)) = &r.report else {
        panic!("{:?}", r.error)
    };
    assert_eq!(
        (p.phone_number.as_str(), &p.phone_status),
        ("0062********", &PhoneStatus::Ring)
    );
    assert_eq!(p.phone_status.words(), "The phone is on and rings");

    server.reset().await;
    answer_with(
        &server,
        "/check/phone_number/task_result/o1",
        400,
        TASK_INVALID,
    )
    .await;
    let r = client.poll_phone_task("T-42").await;
    assert_eq!(r.outcome, Outcome::Error);
    assert!(
        r.error
            .unwrap()
            .message
            .contains("argument 'phone_number': not found")
    );

    server.reset().await;
    answer_with(&server, "/check/phone_number/o1", 200, TASK_DONE).await;
    let r = client
        .run(&request(
            CheckKind::PhoneStatus,
            fields_for(CheckKind::PhoneStatus),
        ))
        .await;
    assert_eq!((r.outcome, r.task_id.as_deref()), (Outcome::Ok, None));
}

#[tokio::test]
async fn multiplatform_samples_and_query_auth() {
    let (r, received) = run_once(CheckKind::Multiplatform, 200, MULTIPLATFORM_OK).await;
    assert_eq!(r.vendor_status.as_deref(), Some("200"));
    assert_eq!(
        r.vendor_request_id.as_deref(),
        Some("53b63090c0374cad82********f8991e")
    );
    let Some(Report::Multiplatform(m)) = &r.report else {
        panic!("{:?}", r.error)
    };
    assert_eq!(m.indicators.len(), 2);
    assert_eq!(m.indicators[1].indicator_name, "indicator_name_2");
    assert_eq!(m.indicators[1].indicator_value, IndicatorValue::Number(1.0));
    assert_eq!(m.indicators[1].indicator_status, Some(200));
    let req = &received[0];
    let query: HashMap<_, _> = req.url.query_pairs().into_owned().collect();
    assert_eq!(query["partner_code"], PARTNER_CODE);
    assert_eq!(query["partner_key"], PARTNER_KEY);
    assert_eq!(header(req, "content-type"), "application/json");
    assert!(req.headers.get("x-df-api-secret").is_none());
    let sent: Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(sent, fields_for(CheckKind::Multiplatform));
    let url = r.request_sent["url"].as_str().unwrap();
    assert!(
        url.ends_with("/td/multiplatform") && !url.contains('?'),
        "{url}"
    );

    let (r, _) = run_once(CheckKind::Multiplatform, 200, MULTIPLATFORM_FAILED).await;
    assert_eq!(r.vendor_status.as_deref(), Some("9061"));
    assert_eq!(
        r.vendor_request_id.as_deref(),
        Some("80b57561b6fb********61ccba263b60")
    );
    let e = r.error.unwrap();
    assert_eq!(e.kind, ErrorKind::InvalidInput);
    assert!(e.message.contains("country error"));
}

#[tokio::test]
async fn credit_willingness_sample() {
    let (r, received) = run_once(CheckKind::CreditWillingness, 200, WILLINGNESS_OK).await;
    assert_eq!(r.outcome, Outcome::Ok, "{:?}", r.error);
    assert_eq!(
        r.vendor_request_id.as_deref(),
        Some("1715242432854559I30332E092745515")
    );
    let Some(Report::CreditWillingness(w)) = &r.report else {
        panic!("{:?}", r.report)
    };
    assert_eq!(
        (
            w.score,
            w.order_id.as_deref(),
            w.result.as_deref(),
            w.detail.as_deref()
        ),
        (838, Some("123"), None, None)
    );
    let query: HashMap<_, _> = received[0].url.query_pairs().into_owned().collect();
    assert_eq!(
        (
            query["partner_code"].as_str(),
            query["partner_key"].as_str()
        ),
        (PARTNER_CODE, PARTNER_KEY)
    );
}

#[tokio::test]
async fn every_documented_accuauth_status_maps_to_its_kind() {
    let table = [
        (400, "INVALID_ARGUMENT", Some(ErrorKind::InvalidInput)),
        (400, "QUERY_FAILED", Some(ErrorKind::VendorDown)),
        (
            400,
            "ABNORMAL_BEHAVIOURS_DETECTED",
            Some(ErrorKind::NoPermission),
        ),
        (400, "NOT_HIT", None),
        (401, "UNAUTHORIZED", Some(ErrorKind::Unauthorized)),
        (401, "KEY_EXPIRED", Some(ErrorKind::Unauthorized)),
        (403, "NO_PERMISSION", Some(ErrorKind::NoPermission)),
        (403, "OUT_OF_QUOTA", Some(ErrorKind::OutOfQuota)),
        (403, "RATE_LIMIT_EXCEEDED", Some(ErrorKind::RateLimited)),
        (404, "NOT_FOUND", Some(ErrorKind::NotFound)),
        (500, "INTERNAL_ERROR", Some(ErrorKind::VendorDown)),
        (
            512,
            "SOURCE_SERVICE_UNAVAILABLE",
            Some(ErrorKind::VendorDown),
        ),
        (400, "BRAND_NEW_STATUS", Some(ErrorKind::Unknown)),
    ];
    let mut cfg_server = None;
    for (http, status, kind) in table {
        let server = cfg_server.get_or_insert(MockServer::start().await);
        server.reset().await;
        let body =
            format!(r#"{{"status":"{status}","reason":"because {status}","request_id":"TIDx"}}"#);
        answer_with(server, "/check/debts_report", http, &body).await;
        let mut cfg = config(server, BodyEncoding::Form);
        cfg.http.max_retries = 0;
        let r = VendorClient::new(&cfg)
            .unwrap()
            .run(&request(
                CheckKind::DebtsReport,
                fields_for(CheckKind::DebtsReport),
            ))
            .await;
        assert_eq!(r.vendor_status.as_deref(), Some(status));
        assert_eq!(r.error.as_ref().map(|e| e.kind), kind, "{status}");
        match &r.error {
            None => assert_eq!(r.outcome, Outcome::NotHit),
            Some(e) => {
                assert!(
                    e.message.contains(&format!("because {status}")),
                    "{}",
                    e.message
                );
                assert_eq!(e.code.as_deref(), Some(status));
            }
        }
    }
}

#[tokio::test]
async fn every_documented_trustdecision_code_maps_to_its_kind() {
    let table = [
        ("300", ErrorKind::NoPermission),
        ("301", ErrorKind::NoPermission),
        ("302", ErrorKind::NoPermission),
        ("303", ErrorKind::OutOfQuota),
        ("304", ErrorKind::NoPermission),
        ("305", ErrorKind::OutOfQuota),
        ("9055", ErrorKind::NoPermission),
        ("9060", ErrorKind::InvalidInput),
        ("9061", ErrorKind::InvalidInput),
        ("9081", ErrorKind::InvalidInput),
        ("9500", ErrorKind::VendorDown),
        ("11000", ErrorKind::InvalidInput),
        ("11001", ErrorKind::InvalidInput),
        ("11002", ErrorKind::InvalidInput),
        ("11302", ErrorKind::InvalidInput),
        ("11400", ErrorKind::NotFound),
        ("11401", ErrorKind::VendorDown),
        ("11500", ErrorKind::VendorDown),
        ("4242", ErrorKind::Unknown),
    ];
    let server = MockServer::start().await;
    let client = VendorClient::new(&config(&server, BodyEncoding::Json)).unwrap();
    for (code, kind) in table {
        server.reset().await;
        let body =
            format!(r#"{{"code":{code},"sequence_id":"s-{code}","message":"vendor says {code}"}}"#);
        answer_with(&server, "/td/willingness", 200, &body).await;
        let r = client
            .run(&request(
                CheckKind::CreditWillingness,
                fields_for(CheckKind::CreditWillingness),
            ))
            .await;
        assert_eq!(
            (r.outcome, r.vendor_status.as_deref()),
            (Outcome::Error, Some(code))
        );
        let e = r.error.unwrap();
        assert_eq!(e.kind, kind, "{code}");
        assert!(
            e.message.contains(&format!("vendor says {code}")),
            "{}",
            e.message
        );
        assert_eq!(r.attempts, 1, "{code} must not be retried");
    }
}
