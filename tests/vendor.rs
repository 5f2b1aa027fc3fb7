//! Contract tests for the shared vendor client against wiremock: the vendor pages' samples
//! replayed verbatim, every documented status and code, auth and encodings on the wire,
//! the retry policy, timeouts, secret redaction, and a parser that never panics.

use proptest::prelude::*;
use riskdesk::applicant::{Identity, VendorRequest};
use riskdesk::check::{CheckKind, Outcome, Vendor};
use riskdesk::config::{BodyEncoding, Config, Secret};
use riskdesk::report::{IndicatorValue, PhoneStatus, Report, parse_report};
use riskdesk::vendor::{CheckResult, Endpoint, ErrorKind, VendorClient, interpret};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const API_ID: &str = "acc-id-7f3a";
const API_SECRET: &str = "CANARY-accuauth-secret-91c2e";
const PARTNER_CODE: &str = "partner-code-55b1";
const PARTNER_KEY: &str = "CANARY-td-partner-key-0d4f8";

// Samples copied verbatim from the vendor pages (trailing-space keys included).
const DEBTS_OK: &str = r#"{
"status": "OK",
"result": {
"reg_total_num": 24,
"apply_total_num ": 6,
"approved_total_num ": 2,
"reject_total_num ": 4,
"loan_total_num ": 2,
"apply_amount_min ": 4000,
"apply_amount_max ": 8000,
"apply_amount_avg ": 6000,
"loan_amount_min ": 3000,
"loan_amount_max ": 6000,
"loan_amount_avg ": 4500,
"platform_reg_total ": 7,
"platform_apply_total": 4,
"platform_approved_total ": 3,
"platform_reject_total ": 1,
"platform_loan_total ": 2
},
"request_id": "TID591cb9fb0e284cf296912a4d0ffea889"
}"#;
const DEBTS_INVALID: &str = r#"{
"status": "INVALID_ARGUMENT",
"reason": "argument 'mobile': not found",
"request_id": "TID0bb59f6aa6454717b870b16202ccf36f"
}"#;
const ORDER_HIT: &str = r#"{
"status": "OK",
"result": {
"target": true,
"count": 2,
"data": [
{
"day": "2022-10-03",
"source": "seat",
"cid": "11323",
"duration": "17",
"level": 5
},
{
"day": "2022-10-03",
"source": "seat",
"cid": "11323",
"duration": "11",
"level": 5
}
]
},
"request_id": "TIDebc4954bc59c4f9b8437c390d188442d"
}"#;
const ORDER_MISS: &str = r#"{
"status": "OK",
"result": {
"target": false
},
"request_id": "TIDae6d0e0a9eb945c38964b77c1686707e"
}"#;
const TASK_PENDING: &str = r#"{
    "status": "PENDING",
    "reason": "check in progress",
    "request_id": "TID591cb9fb0e284cf296912a4d0ffea889"
}"#;
const TASK_DONE: &str = r#"{
    "status": "OK",
    "result": {
      "phone_number": "0062********",
      "phone_status": "ring"
    },
    "request_id": "TID591cb9fb0e284cf296912a4d0ffea889"
}"#;
const TASK_INVALID: &str = r#"{
    "status": "INVALID_ARGUMENT",
    "reason": "argument 'phone_number': not found",
    "request_id": "TID0bb59f6aa6454717b870b16202ccf36f"
}"#;
const MULTIPLATFORM_OK: &str = r#"{
"code":200,
"sequence_id":"53b63090c0374cad82********f8991e",
"data":[
{
"indicator_name":"indicator_name_1",
"indicator_status":200,
"indicator_value":1
},
{
"indicator_name":"indicator_name_2",
"indicator_status":200,
"indicator_value":1
}
]
}"#;
const MULTIPLATFORM_FAILED: &str = r#"{
"code": 9061,
"sequence_id": "80b57561b6fb********61ccba263b60",
"message": "country error"
}"#;
const WILLINGNESS_OK: &str = r#" {
    "code": 200,
    "detail": null,
    "message": "Success",
    "order_id": "123",
    "result": null,
    "score": 838,
    "sequence_id": "1715242432854559I30332E092745515"
}"#;

fn config(server: &MockServer, body: BodyEncoding) -> Config {
    let mut c = Config::default();
    c.accuauth.api_id = Some(Secret::new(API_ID));
    c.accuauth.api_secret = Some(Secret::new(API_SECRET));
    c.accuauth.body = body;
    c.accuauth.debts_report_url = server.uri();
    c.accuauth.multiple_order_url = server.uri();
    c.accuauth.phone_status_url = format!("{}/", server.uri());
    c.trustdecision.partner_code = Some(Secret::new(PARTNER_CODE));
    c.trustdecision.partner_key = Some(Secret::new(PARTNER_KEY));
    c.trustdecision.multiplatform_url = Some(format!("{}/td/multiplatform", server.uri()));
    c.trustdecision.credit_willingness_url = Some(format!("{}/td/willingness", server.uri()));
    c.http.timeout_secs = 2;
    c.http.max_retries = 2;
    c
}

fn request(check: CheckKind, fields: Value) -> VendorRequest {
    VendorRequest {
        check,
        fields: fields.as_object().cloned().unwrap_or_default(),
        warnings: vec!["number not in the numbering plan".into()],
        identity: Identity::default(),
    }
}

fn fields_for(check: CheckKind) -> Value {
    match check {
        CheckKind::DebtsReport => json!({"mobile": "6281234567890", "idcard": "3171234567890001"}),
        CheckKind::MultipleOrder => {
            json!({"mobile_no": "5f1d8a2b3c4d5e6f7a8b9c0d1e2f3a4b", "source": "seat"})
        }
        CheckKind::PhoneStatus => json!({"phone_number": "525512345678"}),
        CheckKind::Multiplatform => json!({"id_number": "CURP1", "id_type": "national_id",
            "country": "MX", "name": "Ana", "phone_number": "5512345678",
            "package_name": "multiplatform_multi_V1_1"}),
        CheckKind::CreditWillingness => json!({"country": "ID", "phone_number": "0812345678",
            "event_time": "2024-04-25T14:20:50.521+07:00", "product_id": "CreditWillingnessPhone",
            "order_id": "123"}),
    }
}

fn endpoint_path(check: CheckKind) -> &'static str {
    match check {
        CheckKind::DebtsReport => "/check/debts_report",
        CheckKind::MultipleOrder => "/check/multiple_order/o1",
        CheckKind::PhoneStatus => "/check/phone_number/o1",
        CheckKind::Multiplatform => "/td/multiplatform",
        CheckKind::CreditWillingness => "/td/willingness",
    }
}

async fn answer_with(server: &MockServer, at: &str, status: u16, body: &str) {
    Mock::given(method("POST"))
        .and(path(at.to_string()))
        .respond_with(
            ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/json"),
        )
        .mount(server)
        .await;
}

/// Runs one check against a server that answers `body` with `status`.
async fn run_once(check: CheckKind, status: u16, body: &str) -> (CheckResult, Vec<Request>) {
    let server = MockServer::start().await;
    answer_with(&server, endpoint_path(check), status, body).await;
    let client = VendorClient::new(&config(&server, BodyEncoding::Form)).unwrap();
    let result = client.run(&request(check, fields_for(check))).await;
    (result, server.received_requests().await.unwrap_or_default())
}

fn form(req: &Request) -> HashMap<String, String> {
    let text = String::from_utf8_lossy(&req.body);
    reqwest::Url::parse(&format!("http://x/?{text}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn header<'a>(req: &'a Request, name: &str) -> &'a str {
    req.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

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
        r.latency_ms >= 900 && r.latency_ms < 3_000,
        "{}",
        r.latency_ms
    );
}

/// A loopback URL nothing listens on.
fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
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

fn assert_no_secret(r: &CheckResult) {
    let mut texts = vec![
        format!("{r:?}"),
        r.request_sent.to_string(),
        String::from_utf8_lossy(&r.raw_body).into_owned(),
        format!(
            "{:?} {:?} {:?}",
            r.vendor_status, r.vendor_request_id, r.task_id
        ),
        r.warnings.join(" "),
    ];
    if let Some(e) = &r.error {
        texts.push(format!("{e} {} {:?}", e.hint, e));
        texts.push(serde_json::to_string(e).unwrap());
    }
    if let Some(report) = &r.report {
        texts.push(serde_json::to_string(report).unwrap());
    }
    for text in texts {
        for secret in [API_SECRET, PARTNER_KEY, API_ID, PARTNER_CODE] {
            assert!(!text.contains(secret), "secret leaked into: {text}");
        }
    }
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

const ENDPOINTS: [Endpoint; 6] = [
    Endpoint::DebtsReport,
    Endpoint::MultipleOrder,
    Endpoint::PhoneSubmit,
    Endpoint::PhoneTaskResult,
    Endpoint::Multiplatform,
    Endpoint::CreditWillingness,
];

/// Bodies that look like vendor JSON, so the fuzzer reaches past the JSON parser.
fn jsonish() -> impl Strategy<Value = Vec<u8>> {
    let atom = prop_oneof![
        Just("\"status\"".to_string()),
        Just("\"result\"".to_string()),
        Just("\"code\"".to_string()),
        Just("\"data\"".to_string()),
        Just("\"task_id\"".to_string()),
        Just("\"score\"".to_string()),
        Just("\"indicator_value\"".to_string()),
        Just("\"OK\"".to_string()),
        Just("\"NOT_HIT\"".to_string()),
        Just("200".to_string()),
        Just("-999".to_string()),
        Just("1e400".to_string()),
        Just("null".to_string()),
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(":".to_string()),
        Just(",".to_string()),
        "[a-z ]{0,6}".prop_map(|s| format!("\"{s}\"")),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|f| f.to_string()),
    ];
    prop::collection::vec(atom, 0..40).prop_map(|parts| parts.concat().into_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_body_under_any_status_panics_the_parser(
        body in prop_oneof![prop::collection::vec(any::<u8>(), 0..512), jsonish()],
        status in 0u16..1000,
        which in 0usize..6,
    ) {
        let endpoint = ENDPOINTS[which];
        let answer = interpret(endpoint, status, &body);
        prop_assert!(answer.report.is_some() || answer.error.is_some() || answer.outcome != Outcome::Ok);
        let _ = parse_report(endpoint.check(), &body);
    }
}
