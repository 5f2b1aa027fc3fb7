//! Shared set-up: a config pointing every vendor at one mock server, requests, and
//! readers for what the server received.

use riskdesk::applicant::{Identity, VendorRequest};
use riskdesk::check::CheckKind;
use riskdesk::config::{BodyEncoding, Config, Secret};
use riskdesk::vendor::{CheckResult, VendorClient};
use serde_json::{Value, json};
use std::collections::HashMap;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub const API_ID: &str = "acc-id-7f3a";
pub const API_SECRET: &str = "CANARY-accuauth-secret-91c2e";
pub const PARTNER_CODE: &str = "partner-code-55b1";
pub const PARTNER_KEY: &str = "CANARY-td-partner-key-0d4f8";

pub fn config(server: &MockServer, body: BodyEncoding) -> Config {
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

pub fn request(check: CheckKind, fields: Value) -> VendorRequest {
    VendorRequest {
        check,
        fields: fields.as_object().cloned().unwrap_or_default(),
        warnings: vec!["number not in the numbering plan".into()],
        identity: Identity::default(),
    }
}

pub fn fields_for(check: CheckKind) -> Value {
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

pub fn endpoint_path(check: CheckKind) -> &'static str {
    match check {
        CheckKind::DebtsReport => "/check/debts_report",
        CheckKind::MultipleOrder => "/check/multiple_order/o1",
        CheckKind::PhoneStatus => "/check/phone_number/o1",
        CheckKind::Multiplatform => "/td/multiplatform",
        CheckKind::CreditWillingness => "/td/willingness",
    }
}

pub async fn answer_with(server: &MockServer, at: &str, status: u16, body: &str) {
    Mock::given(method("POST"))
        .and(path(at.to_string()))
        .respond_with(
            ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/json"),
        )
        .mount(server)
        .await;
}

/// Runs one check against a server that answers `body` with `status`.
pub async fn run_once(check: CheckKind, status: u16, body: &str) -> (CheckResult, Vec<Request>) {
    let server = MockServer::start().await;
    answer_with(&server, endpoint_path(check), status, body).await;
    let client = VendorClient::new(&config(&server, BodyEncoding::Form)).unwrap();
    let result = client.run(&request(check, fields_for(check))).await;
    (result, server.received_requests().await.unwrap_or_default())
}

pub fn form(req: &Request) -> HashMap<String, String> {
    let text = String::from_utf8_lossy(&req.body);
    reqwest::Url::parse(&format!("http://x/?{text}"))
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn header<'a>(req: &'a Request, name: &str) -> &'a str {
    req.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}
/// A loopback URL nothing listens on.
pub fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}
pub fn assert_no_secret(r: &CheckResult) {
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
