//! The sandbox over real loopback HTTP, with reqwest directly: every scenario row, auth,
//! validation, the phone task life on a manual clock, and faults.

use riskdesk::check::CheckKind;
use riskdesk::sandbox::{
    self, Behaviour, Debts, Fault, Indicators, ManualClock, Orders, PhoneFlow, Sandbox,
    SandboxOptions, Willingness,
};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn client(timeout: Duration) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .expect("client")
}

async fn start_with_clock() -> (Sandbox, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::starting_now());
    let opts = SandboxOptions {
        clock: clock.clone(),
        ..SandboxOptions::default()
    };
    (Sandbox::start(opts).await.expect("sandbox"), clock)
}

struct Answer {
    http: u16,
    body: Value,
}

async fn accu(sb: &Sandbox, path: &str, form: &[(&str, &str)]) -> Answer {
    let r = client(Duration::from_secs(10))
        .post(format!("{}{path}", sb.base_url()))
        .header("X-DF-API-ID", sandbox::SANDBOX_API_ID)
        .header("X-DF-API-SECRET", sandbox::SANDBOX_API_SECRET)
        .form(form)
        .send()
        .await
        .expect("send");
    let http = r.status().as_u16();
    Answer {
        http,
        body: r.json().await.expect("json body"),
    }
}

fn td_url(base: &str) -> String {
    format!(
        "{base}?partner_code={}&partner_key={}",
        sandbox::SANDBOX_PARTNER_CODE,
        sandbox::SANDBOX_PARTNER_KEY
    )
}

async fn td(url: &str, body: &Value) -> Value {
    let r = client(Duration::from_secs(10))
        .post(url)
        .json(body)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 200, "TrustDecision always answers 200");
    r.json().await.expect("json body")
}

fn assert_envelope(a: &Answer, http: u16, status: &str, what: &str) {
    assert_eq!(a.http, http, "{what}: {}", a.body);
    assert_eq!(a.body["status"], status, "{what}: {}", a.body);
    let rid = a.body["request_id"].as_str().unwrap_or_default();
    assert!(
        rid.starts_with("TID") && rid.len() == 35,
        "{what}: request_id {rid}"
    );
}

fn multiplatform_body(id: &str, country: &str, phone: &str, package: &str) -> Value {
    json!({
        "id_number": id, "id_type": "national_id", "country": country, "name": "Ana Lopez",
        "phone_number": phone, "package_name": package, "app_name": "riskdesk"
    })
}

fn willingness_body(phone: &str) -> Value {
    json!({
        "country": "ID", "order_id": "o-1", "event_time": "2024-04-25T14:20:50.521+07:00",
        "product_id": "CreditWillingnessPhone", "policy_id": null, "phone_number": phone,
        "gaid": null, "ext": null
    })
}

async fn poll(sb: &Sandbox, task_id: &str) -> Answer {
    accu(
        sb,
        "/check/phone_number/task_result/o1",
        &[("task_id", task_id)],
    )
    .await
}

#[tokio::test]
async fn readme_section_is_generated_from_the_table() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    let (begin, end) = ("<!-- scenarios:begin -->\n", "<!-- scenarios:end -->");
    let start = readme.find(begin).expect("begin marker") + begin.len();
    let stop = readme.find(end).expect("end marker");
    let expected = sandbox::scenarios_markdown();
    if std::env::var_os("UPDATE_README").is_some() {
        let updated = format!("{}{expected}{}", &readme[..start], &readme[stop..]);
        std::fs::write(path, updated).expect("write README.md");
        return;
    }
    assert_eq!(
        &readme[start..stop],
        expected,
        "README scenarios differ: run UPDATE_README=1 cargo test --test sandbox readme"
    );
}

#[tokio::test]
async fn every_scenario_row_answers_as_its_table_says() {
    let (sb, clock) = start_with_clock().await;
    let mp_url = td_url(&sb.multiplatform_url());
    let cw_url = td_url(&sb.credit_willingness_url());
    for row in sandbox::scenarios() {
        let what = format!("{:?} {} ({})", row.check, row.key, row.answer());
        if let Behaviour::Fault(_) = row.behaviour {
            continue; // faults_on_every_check
        }
        match row.check {
            CheckKind::DebtsReport => {
                let mobile = format!("62{}", &row.key[1..]);
                let a = accu(&sb, "/check/debts_report", &[("mobile", &mobile)]).await;
                match &row.behaviour {
                    Behaviour::Debts(Debts::Clean) => {
                        assert_envelope(&a, 200, "OK", &what);
                        assert_eq!(a.body["result"]["reg_total_num"], 3, "{what}");
                    }
                    Behaviour::Debts(Debts::HeavyBorrower) => {
                        assert_envelope(&a, 200, "OK", &what);
                        assert_eq!(a.body["result"]["apply_total_num "], 57, "{what}");
                        assert_eq!(a.body["result"]["reg_total_num"], 41, "{what}");
                    }
                    Behaviour::Debts(Debts::DocumentedArray) => {
                        assert_envelope(&a, 200, "OK", &what);
                        assert_eq!(a.body["result"][0]["apply_total_num"], 4, "{what}");
                    }
                    Behaviour::Debts(Debts::NotHit) => assert_envelope(&a, 400, "NOT_HIT", &what),
                    Behaviour::AccuAuthError(e) => assert_envelope(&a, e.http, e.status, &what),
                    other => panic!("{what}: unexpected behaviour {other:?}"),
                }
            }
            CheckKind::MultipleOrder => {
                let hashed = sandbox::mobile_no_for(&format!("91{}", row.key));
                let a = accu(&sb, "/check/multiple_order/o1", &[("mobile_no", &hashed)]).await;
                match &row.behaviour {
                    Behaviour::Orders(Orders::Miss) => {
                        assert_envelope(&a, 200, "OK", &what);
                        assert_eq!(a.body["result"], json!({"target": false}), "{what}");
                    }
                    Behaviour::Orders(o) => {
                        assert_envelope(&a, 200, "OK", &what);
                        let r = &a.body["result"];
                        assert_eq!(r["target"], true, "{what}");
                        let data = r["data"].as_array().expect("data");
                        assert_eq!(r["count"], data.len(), "{what}");
                        let level = if *o == Orders::Blacklist { 5 } else { 4 };
                        assert!(data.iter().all(|d| d["level"] == level), "{what}");
                        if *o == Orders::Blacklist {
                            for s in ["seat", "voice", "sms"] {
                                let n = data.iter().filter(|d| d["source"] == s).count();
                                assert_eq!(n, 3, "{what}: {s}");
                            }
                            assert!(data.iter().any(|d| d["cid"].is_string()));
                            assert!(data.iter().any(|d| d["cid"].is_number()));
                            assert!(data.iter().any(|d| d["duration"].is_string()));
                            assert!(data.iter().any(|d| d["duration"].is_number()));
                        }
                    }
                    Behaviour::AccuAuthError(e) => assert_envelope(&a, e.http, e.status, &what),
                    other => panic!("{what}: unexpected behaviour {other:?}"),
                }
            }
            CheckKind::PhoneStatus => {
                let number = format!("52{}", row.key);
                let a = accu(&sb, "/check/phone_number/o1", &[("phone_number", &number)]).await;
                match &row.behaviour {
                    Behaviour::AccuAuthError(e) => assert_envelope(&a, e.http, e.status, &what),
                    Behaviour::Phone(PhoneFlow::Immediate(s)) => {
                        assert_envelope(&a, 200, "OK", &what);
                        assert_eq!(a.body["result"]["phone_status"], *s, "{what}");
                        assert!(a.body.get("task_id").is_none(), "{what}");
                    }
                    Behaviour::Phone(flow) => {
                        assert_envelope(&a, 200, "OK", &what);
                        let task = a.body["task_id"].as_str().expect("task_id").to_string();
                        let first = poll(&sb, &task).await;
                        clock.advance(Duration::from_secs(9));
                        let later = poll(&sb, &task).await;
                        match flow {
                            PhoneFlow::After(s) => {
                                assert_envelope(&first, 400, "PENDING", &what);
                                assert_envelope(&later, 200, "OK", &what);
                                assert_eq!(later.body["result"]["phone_status"], *s, "{what}");
                            }
                            PhoneFlow::Never => assert_envelope(&later, 400, "PENDING", &what),
                            PhoneFlow::PollError(e) => {
                                assert_envelope(&first, e.http, e.status, &what)
                            }
                            PhoneFlow::Immediate(_) => unreachable!(),
                        }
                    }
                    other => panic!("{what}: unexpected behaviour {other:?}"),
                }
            }
            CheckKind::Multiplatform => {
                for package in [
                    "credit_rating_estimation",
                    "multiplatform_multi",
                    "behavior_analysis_of_repayment",
                    "multiplatform_multi_V1_1",
                ] {
                    let body = multiplatform_body(&row.key, "MX", "5512345678", package);
                    let r = td(&mp_url, &body).await;
                    assert_eq!(r["sequence_id"].as_str().map(str::len), Some(32), "{what}");
                    let code = match &row.behaviour {
                        Behaviour::TrustDecisionError(e) => e.code,
                        _ => 200,
                    };
                    assert_eq!(r["code"], code, "{what} {package}: {r}");
                    let Behaviour::Indicators(set) = &row.behaviour else {
                        continue;
                    };
                    let data = r["data"].as_array().expect("data");
                    assert!(!data.is_empty());
                    let statuses: Vec<i64> = data
                        .iter()
                        .map(|d| d["indicator_status"].as_i64().unwrap())
                        .collect();
                    match set {
                        Indicators::Clean | Indicators::Heavy | Indicators::Strings => {
                            assert!(statuses.iter().all(|s| *s == 200), "{what}")
                        }
                        Indicators::NoRecord => {
                            assert!(statuses.iter().all(|s| *s == 201), "{what}");
                            assert!(data.iter().all(|d| d["indicator_value"] == -999));
                        }
                        Indicators::Mixed => {
                            for s in [200, 201, 202] {
                                assert!(statuses.contains(&s), "{what} {package}: {s}");
                            }
                            assert!(data.iter().any(|d| d["indicator_value"] == -1111));
                        }
                    }
                    if *set == Indicators::Strings {
                        assert!(data.iter().all(|d| d["indicator_value"].is_string()));
                    }
                }
            }
            CheckKind::CreditWillingness => {
                let r = td(&cw_url, &willingness_body(&row.key)).await;
                assert_eq!(r["sequence_id"].as_str().map(str::len), Some(32), "{what}");
                match &row.behaviour {
                    Behaviour::Willingness(Willingness::Score(s)) => {
                        assert_eq!(r["code"], 200, "{what}");
                        assert_eq!(r["score"], *s, "{what}");
                        assert_eq!(r["order_id"], "o-1", "{what}");
                    }
                    Behaviour::Willingness(Willingness::ScoreAsString(s)) => {
                        assert_eq!(r["score"], s.to_string(), "{what}")
                    }
                    Behaviour::TrustDecisionError(e) => {
                        assert_eq!(r["code"], e.code, "{what}");
                        assert_eq!(r["message"], e.message, "{what}");
                    }
                    other => panic!("{what}: unexpected behaviour {other:?}"),
                }
            }
        }
    }
    sb.shutdown().await;
}

#[tokio::test]
async fn credentials_are_checked() {
    let (sb, _) = start_with_clock().await;
    let c = client(Duration::from_secs(5));
    let url = format!("{}/check/debts_report", sb.base_url());
    let none = c
        .post(&url)
        .form(&[("mobile", "6281234567890")])
        .send()
        .await
        .unwrap();
    assert_eq!(none.status().as_u16(), 401);
    let body: Value = none.json().await.unwrap();
    assert_eq!(body["status"], "UNAUTHORIZED");
    let wrong = c
        .post(&url)
        .header("X-DF-API-ID", sandbox::SANDBOX_API_ID)
        .header("X-DF-API-SECRET", "not-the-secret")
        .form(&[("mobile", "6281234567890")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let text = wrong.text().await.unwrap();
    assert!(
        !text.contains("not-the-secret"),
        "secrets never echo: {text}"
    );

    let mp = format!(
        "{}?partner_code={}&partner_key=nope",
        sb.multiplatform_url(),
        sandbox::SANDBOX_PARTNER_CODE
    );
    let body = multiplatform_body(
        "RDSK800101HDFMPL00",
        "MX",
        "5512345678",
        "multiplatform_multi",
    );
    assert_eq!(td(&mp, &body).await["code"], 300);
    assert_eq!(
        td(&sb.multiplatform_url(), &body).await["message"],
        "partner_code empty"
    );
    let cw = format!(
        "{}?partner_code={}&partner_key=nope",
        sb.credit_willingness_url(),
        sandbox::SANDBOX_PARTNER_CODE
    );
    assert_eq!(
        td(&cw, &willingness_body("081234567890")).await["code"],
        301
    );
    let r = td(
        &sb.credit_willingness_url(),
        &willingness_body("081234567890"),
    )
    .await;
    assert_eq!(r["code"], 11000);
}

#[tokio::test]
async fn accuauth_validates_like_the_vendor() {
    let (sb, _) = start_with_clock().await;
    let a = accu(
        &sb,
        "/check/debts_report",
        &[("idcard", "3171234567890001")],
    )
    .await;
    assert_envelope(&a, 400, "INVALID_ARGUMENT", "no mobile");
    assert_eq!(a.body["reason"], "argument 'mobile': not found");
    let a = accu(&sb, "/check/debts_report", &[("mobile", "62812x")]).await;
    assert_eq!(a.body["reason"], "argument 'mobile': invalid");
    let a = accu(&sb, "/check/multiple_order/o1", &[]).await;
    assert_eq!(a.body["reason"], "argument 'mobile_no': not found");
    let a = accu(
        &sb,
        "/check/multiple_order/o1",
        &[("mobile_no", "919123456789")],
    )
    .await;
    assert_eq!(a.body["reason"], "argument 'mobile_no': invalid");
    let hashed = sandbox::mobile_no_for("919123456789");
    let a = accu(
        &sb,
        "/check/multiple_order/o1",
        &[("mobile_no", &hashed), ("source", "fax")],
    )
    .await;
    assert_eq!(a.body["reason"], "argument 'source': invalid");
    let a = accu(
        &sb,
        "/check/multiple_order/o1",
        &[("mobile_no", &hashed), ("date", "03/10/2022")],
    )
    .await;
    assert_eq!(a.body["reason"], "argument 'date': invalid");
    let a = accu(
        &sb,
        "/check/phone_number/o1",
        &[("phone_number", "5512340001")],
    )
    .await;
    assert_eq!(a.body["reason"], "argument 'phone_number': invalid");
    let a = accu(&sb, "/check/phone_number/o1", &[]).await;
    assert_eq!(a.body["reason"], "argument 'phone_number': not found");
    let a = accu(&sb, "/check/nowhere", &[]).await;
    assert_envelope(&a, 404, "NOT_FOUND", "unknown path");
    let r = client(Duration::from_secs(5))
        .get(format!("{}/check/debts_report", sb.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "NOT_FOUND");

    // Filters: only seat records, and only those on or before the date.
    let today = time::OffsetDateTime::now_utc().date();
    let until = (today - time::Duration::days(10)).to_string();
    let a = accu(
        &sb,
        "/check/multiple_order/o1",
        &[("mobile_no", &hashed), ("source", "seat"), ("date", &until)],
    )
    .await;
    let data = a.body["result"]["data"].as_array().expect("data").clone();
    assert!(!data.is_empty() && data.len() < 3, "{data:?}");
    assert!(
        data.iter()
            .all(|d| d["source"] == "seat" && d["day"].as_str().unwrap() <= until.as_str())
    );
}

#[tokio::test]
async fn accuauth_takes_json_and_unlabelled_bodies() {
    let (sb, _) = start_with_clock().await;
    let c = client(Duration::from_secs(5));
    let url = format!("{}/check/debts_report", sb.base_url());
    let send = |body: reqwest::RequestBuilder| async move {
        let r = body
            .header("X-DF-API-ID", sandbox::SANDBOX_API_ID)
            .header("X-DF-API-SECRET", sandbox::SANDBOX_API_SECRET)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    let (s, b) = send(c.post(&url).json(&json!({"mobile": "+6281234567890"}))).await;
    assert_eq!((s, b["result"]["reg_total_num"].clone()), (200, json!(3)));
    let (s, b) = send(c.post(&url).body(r#"{"mobile":"081234567890"}"#)).await;
    assert_eq!((s, b["status"].clone()), (200, json!("OK")));
    let (s, b) = send(c.post(&url).body("mobile=6281211110000")).await;
    assert_eq!((s, b["status"].clone()), (400, json!("NOT_HIT")));
    let md5 = sandbox::mobile_no_for("6281298765432");
    let (s, b) = send(c.post(&url).form(&[("mobile_md5", md5.as_str())])).await;
    assert_eq!(
        (s, b["result"]["apply_total_num "].clone()),
        (200, json!(57))
    );
}

#[tokio::test]
async fn trustdecision_validates_like_the_vendor() {
    let (sb, _) = start_with_clock().await;
    let mp = td_url(&sb.multiplatform_url());
    let id = "RDSK800101HDFMPL00";
    let code = |r: Value| {
        (
            r["code"].as_u64().unwrap(),
            r["message"].as_str().unwrap_or("").to_string(),
        )
    };
    let r = td(
        &mp,
        &multiplatform_body(id, "VN", "0912345678", "credit_rating_estimation"),
    )
    .await;
    assert_eq!(code(r), (9061, "package_name error".into()));
    let r = td(
        &mp,
        &multiplatform_body(id, "VN", "0912345678", "behavior_analysis_of_repayment"),
    )
    .await;
    assert_eq!(r["code"], 200);
    let r = td(
        &mp,
        &multiplatform_body(id, "IN", "09876543210", "multiplatform_multi"),
    )
    .await;
    assert_eq!(r["code"], 9081);
    let r = td(
        &mp,
        &multiplatform_body(id, "ID", "081234567890", "multiplatform_multi"),
    )
    .await;
    assert_eq!(code(r), (9061, "country error".into()));
    let mut body = multiplatform_body(id, "MX", "5512345678", "multiplatform_multi");
    body["name"] = json!("");
    assert_eq!(code(td(&mp, &body).await), (9060, "name empty".into()));

    let cw = td_url(&sb.credit_willingness_url());
    let mut body = willingness_body("081234567890");
    body["country"] = json!("MX");
    assert_eq!(
        code(td(&cw, &body).await),
        (11001, "country input parameter error".into())
    );
    let mut body = willingness_body("6281234567890");
    assert_eq!(td(&cw, &body).await["code"], 11001);
    body["phone_number"] = Value::Null;
    assert_eq!(
        code(td(&cw, &body).await),
        (11000, "phone_number input parameter empty".into())
    );
    body["gaid"] = json!("38400000-8cf0-11bd-b23e-10b96e40000d");
    let r = td(&cw, &body).await;
    let score = r["score"].as_u64().unwrap();
    assert!((300..=900).contains(&score));
    let r = client(Duration::from_secs(5))
        .post(&cw)
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["code"], 11002);
}

#[tokio::test]
async fn unknown_identifiers_get_a_stable_ordinary_answer() {
    let (sb, _) = start_with_clock().await;
    let a = accu(&sb, "/check/debts_report", &[("mobile", "6281355550123")]).await;
    let b = accu(&sb, "/check/debts_report", &[("mobile", "081355550123")]).await;
    assert_eq!(a.http, b.http);
    assert_eq!(a.body["result"], b.body["result"]);
    let cw = td_url(&sb.credit_willingness_url());
    let x = td(&cw, &willingness_body("081355550123")).await;
    let y = td(&cw, &willingness_body("081355550123")).await;
    assert_eq!(x["score"], y["score"]);
}

#[tokio::test]
async fn phone_task_life_on_a_manual_clock() {
    let (sb, clock) = start_with_clock().await;
    let submit = accu(
        &sb,
        "/check/phone_number/o1",
        &[("phone_number", "525512340004")],
    )
    .await;
    let task = submit.body["task_id"]
        .as_str()
        .expect("task_id")
        .to_string();
    for _ in 0..3 {
        assert_envelope(&poll(&sb, &task).await, 400, "PENDING", "pending");
        clock.advance(Duration::from_secs(2));
    }
    clock.advance(Duration::from_secs(2));
    let done = poll(&sb, &task).await;
    assert_envelope(&done, 200, "OK", "resolved");
    assert_eq!(done.body["result"]["phone_status"], "busy");

    let never = accu(
        &sb,
        "/check/phone_number/o1",
        &[("phone_number", "525512340010")],
    )
    .await;
    let never = never.body["task_id"].as_str().unwrap().to_string();
    clock.advance(Duration::from_secs(23 * 3600 + 59 * 60));
    assert_envelope(&poll(&sb, &never).await, 400, "PENDING", "still pending");
    clock.advance(Duration::from_secs(60));
    let expired = poll(&sb, &never).await;
    assert_envelope(&expired, 400, "INVALID_ARGUMENT", "expired");
    assert!(expired.body["reason"].as_str().unwrap().contains("expired"));

    let unknown = poll(&sb, "0123456789abcdef0123456789abcdef").await;
    assert_eq!(unknown.body["reason"], "argument 'task_id': task not found");
    let missing = accu(&sb, "/check/phone_number/task_result/o1", &[]).await;
    assert_eq!(missing.body["reason"], "argument 'task_id': not found");
}

async fn raw_debts(
    sb: &Sandbox,
    mobile: &str,
    timeout: Duration,
) -> reqwest::Result<reqwest::Response> {
    client(timeout)
        .post(format!("{}/check/debts_report", sb.base_url()))
        .header("X-DF-API-ID", sandbox::SANDBOX_API_ID)
        .header("X-DF-API-SECRET", sandbox::SANDBOX_API_SECRET)
        .form(&[("mobile", mobile)])
        .send()
        .await
}

#[tokio::test]
async fn faults_per_identifier() {
    let (sb, _) = start_with_clock().await;
    let t = Duration::from_secs(5);
    let started = Instant::now();
    let r = raw_debts(&sb, "081266000001", t).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(started.elapsed() >= Duration::from_millis(1500));

    let hang = raw_debts(&sb, "081266000002", Duration::from_millis(300)).await;
    assert!(hang.expect_err("hangs").is_timeout());

    let dropped = match raw_debts(&sb, "081266000003", t).await {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(dropped, "the connection is dropped");

    let r = raw_debts(&sb, "081266000004", t).await.unwrap();
    assert_eq!(r.status().as_u16(), 502);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(r.text().await.unwrap().contains("502 Bad Gateway"));

    let r = raw_debts(&sb, "081266000005", t).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let text = r.text().await.unwrap();
    assert!(!text.is_empty() && serde_json::from_str::<Value>(&text).is_err());

    let started = Instant::now();
    let r = raw_debts(&sb, "081266000006", Duration::from_secs(20))
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "OK");
    assert!(started.elapsed() >= Duration::from_millis(600));
    let slow = raw_debts(&sb, "081266000006", Duration::from_millis(400)).await;
    let timed_out = match slow {
        Err(e) => e.is_timeout(),
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(timed_out, "a trickle outlasts a short timeout");

    // A hanging request does not keep a stopped sandbox alive.
    let base = sb.base_url();
    let pending = tokio::spawn(async move {
        client(Duration::from_secs(30))
            .post(format!("{base}/check/debts_report"))
            .header("X-DF-API-ID", sandbox::SANDBOX_API_ID)
            .header("X-DF-API-SECRET", sandbox::SANDBOX_API_SECRET)
            .form(&[("mobile", "081266000002")])
            .send()
            .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    sb.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(pending.await.unwrap().is_err());
}

#[tokio::test]
async fn faults_per_server_and_latency() {
    let opts = SandboxOptions {
        fault: Some(Fault::BadGateway),
        ..SandboxOptions::default()
    };
    let sb = Sandbox::start(opts).await.unwrap();
    let r = raw_debts(&sb, "081234567890", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 502);
    let r = client(Duration::from_secs(5))
        .post(td_url(&sb.credit_willingness_url()))
        .json(&willingness_body("081234567890"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 502);
    sb.shutdown().await;

    let opts = SandboxOptions {
        latency: Duration::from_millis(300),
        ..SandboxOptions::default()
    };
    let sb = Sandbox::start(opts).await.unwrap();
    let started = Instant::now();
    let r = raw_debts(&sb, "081234567890", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn config_snippet_is_a_valid_riskdesk_config() {
    let (sb, _) = start_with_clock().await;
    let cfg: riskdesk::config::Config = toml::from_str(&sb.config_snippet()).expect("parses");
    assert_eq!(
        cfg.accuauth.api_id.unwrap().expose(),
        sandbox::SANDBOX_API_ID
    );
    assert_eq!(cfg.accuauth.phone_status_url, sb.base_url());
    assert_eq!(
        cfg.trustdecision.multiplatform_url,
        Some(sb.multiplatform_url())
    );
    assert_eq!(
        cfg.trustdecision.credit_willingness_url,
        Some(sb.credit_willingness_url())
    );
}

/// The request a scenario row's check sends for its key, authenticated.
fn request_for(
    sb: &Sandbox,
    row: &sandbox::Scenario,
    timeout: Duration,
) -> reqwest::RequestBuilder {
    let c = client(timeout);
    let accu = |path: &str, form: Vec<(&str, String)>| {
        c.post(format!("{}{path}", sb.base_url()))
            .header("X-DF-API-ID", sandbox::SANDBOX_API_ID)
            .header("X-DF-API-SECRET", sandbox::SANDBOX_API_SECRET)
            .form(&form)
    };
    match row.check {
        CheckKind::DebtsReport => accu("/check/debts_report", vec![("mobile", row.key.clone())]),
        CheckKind::MultipleOrder => accu(
            "/check/multiple_order/o1",
            vec![(
                "mobile_no",
                sandbox::mobile_no_for(&format!("91{}", row.key)),
            )],
        ),
        CheckKind::PhoneStatus => accu(
            "/check/phone_number/o1",
            vec![("phone_number", format!("52{}", row.key))],
        ),
        CheckKind::Multiplatform => {
            c.post(td_url(&sb.multiplatform_url()))
                .json(&multiplatform_body(
                    &row.key,
                    "MX",
                    "5512345678",
                    "multiplatform_multi",
                ))
        }
        CheckKind::CreditWillingness => c
            .post(td_url(&sb.credit_willingness_url()))
            .json(&willingness_body(&row.key)),
    }
}

async fn check_fault(sb: &Sandbox, row: &sandbox::Scenario, fault: Fault) {
    let what = format!("{:?} {}", row.check, row.key);
    match fault {
        Fault::BadGateway => {
            let r = request_for(sb, row, Duration::from_secs(5))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 502, "{what}");
        }
        Fault::TruncatedJson => {
            let r = request_for(sb, row, Duration::from_secs(5))
                .send()
                .await
                .unwrap();
            let text = r.text().await.unwrap();
            assert!(
                serde_json::from_str::<Value>(&text).is_err(),
                "{what}: {text}"
            );
        }
        Fault::Hang => {
            let r = request_for(sb, row, Duration::from_millis(200))
                .send()
                .await;
            assert!(r.expect_err("hangs").is_timeout(), "{what}");
        }
        Fault::DropConnection => {
            let failed = match request_for(sb, row, Duration::from_secs(5)).send().await {
                Err(_) => true,
                Ok(r) => r.bytes().await.is_err(),
            };
            assert!(failed, "{what}");
        }
        // Timed in faults_per_identifier; here only that the answer still arrives whole.
        Fault::Latency(_) | Fault::Trickle(_) => {
            let r = request_for(sb, row, Duration::from_secs(20))
                .send()
                .await
                .unwrap();
            r.json::<Value>().await.expect(&what);
        }
    }
}

#[tokio::test]
async fn faults_on_every_check() {
    let (sb, _) = start_with_clock().await;
    let rows: Vec<_> = sandbox::scenarios()
        .iter()
        .filter_map(|r| match r.behaviour {
            Behaviour::Fault(f) => Some((r, f)),
            _ => None,
        })
        .collect();
    let checks: std::collections::BTreeSet<_> =
        rows.iter().map(|(r, _)| format!("{:?}", r.check)).collect();
    assert_eq!(checks.len(), 5, "every check has fault rows: {checks:?}");
    futures::future::join_all(rows.iter().map(|(r, f)| check_fault(&sb, r, *f))).await;
}

/// The Applicant whose identifier is the row's key, in the row's country.
fn applicant_for<B>(row: &sandbox::Scenario<B>) -> riskdesk::applicant::Applicant {
    let mut a = riskdesk::applicant::Applicant {
        country: row.country.to_string(),
        name: "Ana Lopez".into(),
        ..Default::default()
    };
    if row.identifier == "id_number" {
        a.country = "MX".into();
        a.id_number = row.key.clone();
        a.phone = "5512345678".into();
    } else {
        a.phone = row.key.clone();
    }
    a
}

/// riskdesk's own client against the sandbox: each catches the other's mistakes.
#[tokio::test]
async fn riskdesk_client_reads_every_row_as_the_table_says() {
    use riskdesk::applicant::{CheckOptions, prepare};
    use riskdesk::check::Outcome;
    use riskdesk::vendor::VendorClient;
    let (sb, clock) = start_with_clock().await;
    let mut cfg: riskdesk::config::Config = toml::from_str(&sb.config_snippet()).unwrap();
    cfg.http.max_retries = 0;
    cfg.http.timeout_secs = 5;
    let client = VendorClient::new(&cfg).unwrap();
    for row in sandbox::scenarios() {
        let what = format!("{:?} {} ({})", row.check, row.key, row.answer());
        let req = prepare(
            row.check,
            &applicant_for(row),
            &CheckOptions::default(),
            riskdesk::sandbox::Clock::now(clock.as_ref()),
        )
        .unwrap_or_else(|e| panic!("{what}: prepare: {e:?}"));
        if let Behaviour::Fault(_) = row.behaviour {
            continue; // a valid key is all this test needs of a fault row
        }
        let r = client.run(&req).await;
        let expected_status = match &row.behaviour {
            Behaviour::AccuAuthError(e) => Some(e.status.to_string()),
            Behaviour::TrustDecisionError(e) => Some(e.code.to_string()),
            _ => None,
        };
        match (&row.behaviour, expected_status) {
            (_, Some(status)) => {
                assert_eq!(r.outcome, Outcome::Error, "{what}");
                assert_eq!(r.vendor_status.as_deref(), Some(status.as_str()), "{what}");
            }
            (Behaviour::Debts(Debts::NotHit), _) => {
                assert_eq!(r.outcome, Outcome::NotHit, "{what}")
            }
            (Behaviour::Phone(PhoneFlow::Immediate(_)), _) => {
                assert_eq!(r.outcome, Outcome::Ok, "{what}: {:?}", r.error)
            }
            (Behaviour::Phone(flow), _) => {
                assert_eq!(r.outcome, Outcome::Pending, "{what}: {:?}", r.error);
                let task = r.task_id.clone().expect("task id");
                clock.advance(Duration::from_secs(9));
                let polled = client.poll_phone_task(&task).await;
                let expected = match flow {
                    PhoneFlow::After(_) => Outcome::Ok,
                    PhoneFlow::Never => Outcome::Pending,
                    _ => Outcome::Error,
                };
                assert_eq!(polled.outcome, expected, "{what}: {:?}", polled.error);
                if *flow == PhoneFlow::Never {
                    clock.advance(Duration::from_secs(24 * 3600));
                    let expired = client.poll_phone_task(&task).await;
                    let kind = expired.error.map(|e| e.kind);
                    assert_eq!(
                        kind,
                        Some(riskdesk::vendor::ErrorKind::TaskExpired),
                        "{what}"
                    );
                }
            }
            (behaviour, _) => {
                assert_eq!(r.outcome, Outcome::Ok, "{what}: {:?}", r.error);
                check_report(behaviour, r.report.as_ref().expect("report"), &what);
            }
        }
    }
}

/// The figures the table promises, as riskdesk's Report reads them.
fn check_report(behaviour: &Behaviour, report: &riskdesk::report::Report, what: &str) {
    use riskdesk::report::Report;
    match (behaviour, report) {
        (Behaviour::Debts(d), Report::DebtsReport(r)) => {
            let apply = match d {
                Debts::Clean => 1,
                Debts::HeavyBorrower => 57,
                Debts::DocumentedArray => 4,
                Debts::Applications(n) => i64::from(*n),
                Debts::NotHit => unreachable!(),
            };
            assert_eq!(r.apply_total_num, Some(apply), "{what}");
            assert!(r.platform_loan_total.is_some(), "{what}: {r:?}");
        }
        (Behaviour::Orders(o), Report::MultipleOrder(r)) => {
            let (count, level) = match o {
                Orders::Miss => (0, None),
                Orders::Blacklist => (9, Some(5)),
                Orders::Greylist => (2, Some(4)),
                Orders::Normal => (1, Some(3)),
            };
            assert_eq!(r.count, count, "{what}");
            assert_eq!(r.target, count > 0, "{what}");
            assert!(r.data.iter().all(|d| d.level == level), "{what}");
        }
        (Behaviour::Indicators(_), Report::Multiplatform(r)) => {
            assert!(!r.indicators.is_empty(), "{what}")
        }
        (
            Behaviour::Willingness(Willingness::Score(s) | Willingness::ScoreAsString(s)),
            Report::CreditWillingness(r),
        ) => {
            assert_eq!(r.score, i64::from(*s), "{what}")
        }
        (other, report) => panic!("{what}: {other:?} read as {report:?}"),
    }
}

/// riskdesk keeps its phone tasks across restarts; the sandbox it starts next time must
/// still know them.
#[tokio::test]
async fn a_task_survives_a_sandbox_restart() {
    let clock = Arc::new(ManualClock::starting_now());
    let opts = SandboxOptions {
        clock: clock.clone(),
        ..SandboxOptions::default()
    };
    let first = Sandbox::start(opts.clone()).await.unwrap();
    let submit = accu(
        &first,
        "/check/phone_number/o1",
        &[("phone_number", "525512340006")],
    )
    .await;
    let task = submit.body["task_id"]
        .as_str()
        .expect("task_id")
        .to_string();
    first.shutdown().await;
    let second = Sandbox::start(opts).await.unwrap();
    assert_envelope(&poll(&second, &task).await, 400, "PENDING", "pending");
    clock.advance(Duration::from_secs(8));
    let done = poll(&second, &task).await;
    assert_eq!(done.body["result"]["phone_status"], "outside_service_area");
}

#[tokio::test]
async fn custom_credentials_are_the_only_ones_accepted_and_never_echoed() {
    let creds = sandbox::SandboxCredentials {
        api_id: "canary-id".into(),
        api_secret: "CANARY-secret-\"quoted\"".into(),
        partner_code: "canary-partner".into(),
        partner_key: "CANARY-key".into(),
    };
    let opts = SandboxOptions {
        credentials: creds.clone(),
        ..SandboxOptions::default()
    };
    assert!(!format!("{opts:?}").contains("CANARY"));
    let sb = Sandbox::start(opts).await.unwrap();
    let defaults = accu(&sb, "/check/debts_report", &[("mobile", "6281234567890")]).await;
    assert_eq!(defaults.http, 401);

    let mut cfg: riskdesk::config::Config = toml::from_str(&sb.config_snippet()).unwrap();
    assert_eq!(
        cfg.accuauth.api_secret.as_ref().unwrap().expose(),
        creds.api_secret
    );
    cfg.http.max_retries = 0;
    let client = riskdesk::vendor::VendorClient::new(&cfg).unwrap();
    let applicant = riskdesk::applicant::Applicant {
        country: "ID".into(),
        phone: "081234567890".into(),
        ..Default::default()
    };
    for check in [CheckKind::DebtsReport, CheckKind::CreditWillingness] {
        let req = riskdesk::applicant::prepare(
            check,
            &applicant,
            &Default::default(),
            time::OffsetDateTime::now_utc(),
        )
        .unwrap();
        let r = client.run(&req).await;
        assert_eq!(
            r.outcome,
            riskdesk::check::Outcome::Ok,
            "{check:?}: {:?}",
            r.error
        );
        let raw = String::from_utf8_lossy(&r.raw_body);
        assert!(!raw.contains("CANARY") && !raw.contains("canary"), "{raw}");
    }
}

// ---- What the pages define, and nothing else ----

async fn multiple_order(sb: &Sandbox, md5: &str) -> Answer {
    accu(sb, "/check/multiple_order/o1", &[("mobile_no", md5)]).await
}

/// The page: `mobile_no` is "MD5 value of the mobile number with country code, example:
/// md5(915586685366)". The md5 of the bare national number (or with a trunk 0, a `+`…) is a
/// client mistake: refused, naming the field, not read as a clean miss.
#[tokio::test]
async fn multiple_order_takes_only_md5_of_country_code_and_number() {
    let (sb, _) = start_with_clock().await;
    let right = sandbox::mobile_no_for("919123456789");
    let a = multiple_order(&sb, &right).await;
    assert_envelope(&a, 200, "OK", "country code + number");
    assert_eq!(a.body["result"]["target"], true);
    let a = multiple_order(&sb, &right.to_ascii_uppercase()).await;
    assert_envelope(&a, 200, "OK", "upper-case hex");
    for wrong in [
        "9123456789",
        "09123456789",
        "+919123456789",
        "00919123456789",
        "9109123456789",
        "9876543210",
        "9000000001",
        "9550000001",
    ] {
        let a = multiple_order(&sb, &sandbox::mobile_no_for(wrong)).await;
        assert_envelope(&a, 400, "INVALID_ARGUMENT", wrong);
        let reason = a.body["reason"].as_str().unwrap();
        assert!(
            reason.starts_with("argument 'mobile_no': invalid"),
            "{wrong}: {reason}"
        );
        assert!(reason.contains("country code"), "{wrong}: {reason}");
    }
    // An unknown number hashed the right way gets an ordinary answer.
    let a = multiple_order(&sb, &sandbox::mobile_no_for("919988776655")).await;
    assert_envelope(&a, 200, "OK", "unknown number");
}

/// `phone_number` with country code 52: 52 and ten digits.
#[tokio::test]
async fn phone_status_takes_only_52_and_ten_digits() {
    let (sb, _) = start_with_clock().await;
    for ok in ["525512340004", "+525512340004"] {
        let a = accu(&sb, "/check/phone_number/o1", &[("phone_number", ok)]).await;
        assert_envelope(&a, 200, "OK", ok);
        assert!(a.body["task_id"].is_string(), "{ok}: {}", a.body);
    }
    for wrong in [
        "5512340004",
        "05512340004",
        "5215512340004",
        "+5215512340004",
        "520512340004",
        "52 5512340004",
        "0445512340004",
        "52551234000",
        "5255123400044",
    ] {
        let a = accu(&sb, "/check/phone_number/o1", &[("phone_number", wrong)]).await;
        assert_envelope(&a, 400, "INVALID_ARGUMENT", wrong);
        assert_eq!(
            a.body["reason"], "argument 'phone_number': invalid",
            "{wrong}"
        );
    }
}

/// The multiplatform page's phone forms, per country, without country code.
#[tokio::test]
async fn multiplatform_phones_only_in_each_countrys_form() {
    let (sb, _) = start_with_clock().await;
    let mp = td_url(&sb.multiplatform_url());
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "IN",
            &["9876543210"],
            &[
                "09876543210",
                "919876543210",
                "+919876543210",
                "987654321",
                "0987654321",
                "98765 43210",
            ],
        ),
        (
            "MX",
            &["5512345678"],
            &["525512345678", "0445512345678", "15512345678", "551234567"],
        ),
        ("CO", &["3001234567"], &["573001234567", "03001234567"]),
        (
            "TH",
            &["0812345678"],
            &["812345678", "66812345678", "00812345678", "081234567"],
        ),
        (
            "PH",
            &["09171234567"],
            &["9171234567", "639171234567", "+639171234567", "00917123456"],
        ),
        (
            "VN",
            &["0912345678", "02412345678"],
            &["00912345678", "912345678", "84912345678", "840912345678"],
        ),
        (
            "NG",
            &["08031234567"],
            &["8031234567", "2348031234567", "008031234567"],
        ),
        (
            "PK",
            &["03001234567"],
            &["3001234567", "923001234567", "+923001234567"],
        ),
    ];
    for (country, good, bad) in cases {
        let send = |phone: &str| {
            multiplatform_body(
                "RDSK800101HDFMPL00",
                country,
                phone,
                "behavior_analysis_of_repayment",
            )
        };
        for phone in *good {
            let r = td(&mp, &send(phone)).await;
            assert_eq!(r["code"], 200, "{country} {phone}: {r}");
        }
        for phone in *bad {
            let r = td(&mp, &send(phone)).await;
            assert_eq!(r["code"], 9081, "{country} {phone}: {r}");
            assert_eq!(
                r["message"],
                "The format of the phone number does not match with the country"
            );
        }
    }
}

/// Credit willingness: "Do not include the "+" sign or /(); Indonesian phone numbers start
/// with "08"".
#[tokio::test]
async fn willingness_phones_start_with_08() {
    let (sb, _) = start_with_clock().await;
    let cw = td_url(&sb.credit_willingness_url());
    for ok in ["081234567890", "0812345678"] {
        assert_eq!(td(&cw, &willingness_body(ok)).await["code"], 200, "{ok}");
    }
    for wrong in [
        "6281234567890",
        "+6281234567890",
        "81234567890",
        "0812-3456-7890",
        "(0812)34567890",
        "62081234567890",
    ] {
        let r = td(&cw, &willingness_body(wrong)).await;
        assert_eq!(r["code"], 11001, "{wrong}: {r}");
        assert_eq!(
            r["message"], "phone_number input parameter error",
            "{wrong}"
        );
    }
}

/// debts_report's `mobile` has no documented format, but a number no subscriber can have
/// must not read as a row: the vendor answers NOT_HIT.
#[tokio::test]
async fn debts_report_misspelled_mobiles_are_not_the_row() {
    let (sb, _) = start_with_clock().await;
    for (mobile, reg) in [("62812345678", 3), ("0812345678", 3), ("+6281234567890", 3)] {
        let a = accu(&sb, "/check/debts_report", &[("mobile", mobile)]).await;
        assert_envelope(&a, 200, "OK", mobile);
        assert_eq!(a.body["result"]["reg_total_num"], reg, "{mobile}");
    }
    for mobile in [
        "6262812345678",
        "62081234567890",
        "+62081234567890",
        "626281298765432",
    ] {
        let a = accu(&sb, "/check/debts_report", &[("mobile", mobile)]).await;
        assert_envelope(&a, 400, "NOT_HIT", mobile);
    }
}

// ---- Trap rows: the vendors' bad days ----

fn trap(check: CheckKind, behaviour: sandbox::Trap) -> &'static sandbox::TrapScenario {
    sandbox::traps()
        .iter()
        .find(|t| t.check == check && t.behaviour == behaviour)
        .unwrap_or_else(|| panic!("a {check:?} {behaviour:?} trap row"))
}

/// The form body a check sends for a trap row's key (AccuAuth), or the JSON (TrustDecision).
fn trap_request(
    sb: &Sandbox,
    t: &sandbox::TrapScenario,
    timeout: Duration,
) -> reqwest::RequestBuilder {
    let row = sandbox::Scenario {
        check: t.check,
        country: t.country,
        identifier: t.identifier,
        key: t.key.clone(),
        behaviour: Behaviour::Fault(Fault::DropConnection),
    };
    request_for(sb, &row, timeout)
}

async fn stats_over_http(sb: &Sandbox) -> sandbox::SandboxStats {
    client(Duration::from_secs(5))
        .get(sb.stats_url())
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("stats JSON")
}

/// Each check's drop trap: the whole request is read and counted, then the connection is
/// closed without a single byte of answer.
#[tokio::test]
async fn a_connection_cut_after_the_request_is_counted() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (sb, _) = start_with_clock().await;
    let drops: Vec<_> = sandbox::traps()
        .iter()
        .filter(|t| t.behaviour == sandbox::Trap::DropAfterRequest)
        .collect();
    assert_eq!(drops.len(), 5, "one per check");
    for t in &drops {
        let what = format!("{:?} {}", t.check, t.key);
        let failed = match trap_request(&sb, t, Duration::from_secs(5)).send().await {
            Err(e) => !e.is_timeout(),
            Ok(r) => r.bytes().await.is_err(),
        };
        assert!(failed, "{what}: the connection is cut");
        assert_eq!(sb.received(t.check, &t.key), 1, "{what}");
    }

    // On the wire: not one byte comes back.
    let t = trap(CheckKind::DebtsReport, sandbox::Trap::DropAfterRequest);
    let body = format!("mobile=62{}", &t.key[1..]);
    let request = format!(
        "POST /check/debts_report HTTP/1.1\r\nHost: {}\r\nX-DF-API-ID: {}\r\nX-DF-API-SECRET: {}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        sb.addr(),
        sandbox::SANDBOX_API_ID,
        sandbox::SANDBOX_API_SECRET,
        body.len()
    );
    let mut conn = tokio::net::TcpStream::connect(sb.addr()).await.unwrap();
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), conn.read_to_end(&mut answer))
        .await
        .expect("the sandbox closes the connection");
    assert!(
        answer.is_empty(),
        "no answer at all: {:?} {read:?}",
        String::from_utf8_lossy(&answer)
    );
    assert_eq!(sb.received(CheckKind::DebtsReport, &t.key), 2);

    // The same counts over HTTP, for a sandbox in another process.
    let stats = stats_over_http(&sb).await;
    assert_eq!(stats, sb.stats());
    assert_eq!(stats.received(CheckKind::DebtsReport, &t.key), 2);
    assert_eq!(stats.received_on("/check/debts_report"), 2);
    assert_eq!(stats.received_on("/td/multiplatform"), 1);
    let raw: Value = client(Duration::from_secs(5))
        .get(sb.stats_url())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(raw["scenarios"]["debts-report"][&t.key], 2, "{raw}");
    assert_eq!(raw["requests"]["/check/phone_number/o1"], 1, "{raw}");
    sb.shutdown().await;
}

/// Only requests that were read count; every row counts apart.
#[tokio::test]
async fn counts_start_at_zero_and_follow_each_row() {
    let (sb, _) = start_with_clock().await;
    assert_eq!(sb.stats(), sandbox::SandboxStats::default());
    assert_eq!(sb.received(CheckKind::DebtsReport, "081234567890"), 0);
    for _ in 0..3 {
        accu(&sb, "/check/debts_report", &[("mobile", "6281234567890")]).await;
    }
    accu(&sb, "/check/debts_report", &[("mobile", "6281298765432")]).await;
    accu(&sb, "/check/nowhere", &[]).await;
    let s = sb.stats();
    assert_eq!(s.received(CheckKind::DebtsReport, "081234567890"), 3);
    assert_eq!(s.received(CheckKind::DebtsReport, "081298765432"), 1);
    assert_eq!(s.received(CheckKind::CreditWillingness, "081234567890"), 0);
    assert_eq!(s.received_on("/check/debts_report"), 4);
    assert_eq!(s.received_on("/check/nowhere"), 1);
    assert_eq!(
        s.received_on(sandbox::STATS_PATH),
        0,
        "stats are not counted"
    );
}

async fn submit_task(sb: &Sandbox, key: &str) -> String {
    let a = accu(
        sb,
        "/check/phone_number/o1",
        &[("phone_number", &format!("52{key}"))],
    )
    .await;
    assert_envelope(&a, 200, "OK", key);
    a.body["task_id"].as_str().expect("task_id").to_string()
}

async fn poll_within(sb: &Sandbox, task_id: &str, timeout: Duration) -> reqwest::Result<Answer> {
    let r = client(timeout)
        .post(format!(
            "{}/check/phone_number/task_result/o1",
            sb.base_url()
        ))
        .header("X-DF-API-ID", sandbox::SANDBOX_API_ID)
        .header("X-DF-API-SECRET", sandbox::SANDBOX_API_SECRET)
        .form(&[("task_id", task_id)])
        .send()
        .await?;
    let http = r.status().as_u16();
    Ok(Answer {
        http,
        body: r.json().await?,
    })
}

/// The first poll outlasts any client timeout; the next poll answers `ring` at once.
#[tokio::test]
async fn a_first_poll_that_hangs_then_a_result() {
    let t = trap(
        CheckKind::PhoneStatus,
        sandbox::Trap::FirstPollHangs("ring"),
    );
    let (sb, _) = start_with_clock().await; // default poll_hang: 10 minutes
    let task = submit_task(&sb, &t.key).await;
    let started = Instant::now();
    let first = poll_within(&sb, &task, Duration::from_millis(300)).await;
    assert!(first.err().expect("hangs").is_timeout());
    assert!(started.elapsed() < Duration::from_secs(5));
    let second = poll_within(&sb, &task, Duration::from_secs(5))
        .await
        .unwrap();
    assert_envelope(&second, 200, "OK", "second poll");
    assert_eq!(second.body["result"]["phone_status"], "ring");
    let third = poll(&sb, &task).await;
    assert_eq!(third.body["result"]["phone_status"], "ring");
    let s = sb.stats();
    assert_eq!(
        s.received(CheckKind::PhoneStatus, &t.key),
        4,
        "submit + 3 polls"
    );
    assert_eq!(s.received_on("/check/phone_number/task_result/o1"), 3);

    // Another task of the same number hangs on its own first poll.
    let other = submit_task(&sb, &t.key).await;
    let r = poll_within(&sb, &other, Duration::from_millis(200)).await;
    assert!(r.err().expect("hangs").is_timeout());
    // A hanging poll does not keep a stopped sandbox alive.
    let started = Instant::now();
    sb.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(3));

    // A short hang, as a test sets it: the first poll answers after it.
    let opts = SandboxOptions {
        poll_hang: Duration::from_millis(400),
        ..SandboxOptions::default()
    };
    let sb = Sandbox::start(opts.clone()).await.unwrap();
    let task = submit_task(&sb, &t.key).await;
    let started = Instant::now();
    let first = poll_within(&sb, &task, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(first.body["result"]["phone_status"], "ring");
    sb.shutdown().await;
    // A restart forgets which first polls came: the task's next poll hangs again.
    let sb = Sandbox::start(opts).await.unwrap();
    let started = Instant::now();
    let again = poll_within(&sb, &task, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(again.body["result"]["phone_status"], "ring");
}

/// task_result errors that echo the task id in the body: still errors.
#[tokio::test]
async fn poll_errors_that_echo_the_task_id() {
    let (sb, clock) = start_with_clock().await;
    for e in sandbox::ECHOED_POLL_ERRORS {
        let t = trap(
            CheckKind::PhoneStatus,
            sandbox::Trap::PollErrorEchoingTaskId(e),
        );
        let task = submit_task(&sb, &t.key).await;
        for _ in 0..2 {
            let a = poll(&sb, &task).await;
            assert_envelope(&a, e.http, e.status, &t.key);
            assert_eq!(a.body["task_id"], task.as_str(), "{}", a.body);
            assert_eq!(a.body["reason"], e.reason);
            assert!(a.body.get("result").is_none());
            clock.advance(Duration::from_secs(60));
        }
    }
    // An expired task is expired, whatever its row.
    let t = trap(
        CheckKind::PhoneStatus,
        sandbox::Trap::PollErrorEchoingTaskId(sandbox::ECHOED_POLL_ERRORS[2]),
    );
    let task = submit_task(&sb, &t.key).await;
    clock.advance(Duration::from_secs(24 * 3600));
    let a = poll(&sb, &task).await;
    assert_envelope(&a, 400, "INVALID_ARGUMENT", "expired");
    assert!(a.body["reason"].as_str().unwrap().contains("expired"));
}

/// `PENDING` with no `task_id`: at the phone-status submit, and from checks without tasks.
#[tokio::test]
async fn pending_without_a_task_id() {
    let (sb, _) = start_with_clock().await;
    for check in [
        CheckKind::PhoneStatus,
        CheckKind::DebtsReport,
        CheckKind::MultipleOrder,
    ] {
        let t = trap(check, sandbox::Trap::PendingWithoutTaskId);
        let r = trap_request(&sb, t, Duration::from_secs(5))
            .send()
            .await
            .unwrap();
        let a = Answer {
            http: r.status().as_u16(),
            body: r.json().await.unwrap(),
        };
        assert_envelope(&a, 400, "PENDING", &t.key);
        assert_eq!(a.body["reason"], "check in progress");
        assert!(a.body.get("task_id").is_none(), "{}", a.body);
        assert!(a.body.get("result").is_none(), "{}", a.body);
        assert_eq!(sb.received(check, &t.key), 1);
    }
}

#[tokio::test]
async fn trap_keys_are_valid_identifiers_for_riskdesk() {
    // Each trap key goes through riskdesk's own preparation, so CLI and client tests can
    // type it as an underwriter would.
    for t in sandbox::traps() {
        let row = sandbox::Scenario {
            check: t.check,
            country: t.country,
            identifier: t.identifier,
            key: t.key.clone(),
            behaviour: Behaviour::Fault(Fault::DropConnection),
        };
        riskdesk::applicant::prepare(
            t.check,
            &applicant_for(&row),
            &Default::default(),
            time::OffsetDateTime::now_utc(),
        )
        .unwrap_or_else(|e| panic!("{:?} {}: {e:?}", t.check, t.key));
    }
}

/// riskdesk's client against a sequence row, call after call: the n-th answered call gets
/// the n-th step, then the last step stays.
async fn run_sequence_row(
    client: &riskdesk::vendor::VendorClient,
    clock: &ManualClock,
    row: &sandbox::SequenceScenario,
) -> Vec<String> {
    use riskdesk::applicant::{CheckOptions, prepare};
    use riskdesk::check::Outcome;
    let mut seen = Vec::new();
    for n in 1..=row.behaviour.0.len() as u64 + 1 {
        let what = format!("{:?} {} call {n}", row.check, row.key);
        let req = prepare(
            row.check,
            &applicant_for(row),
            &CheckOptions::default(),
            sandbox::Clock::now(clock),
        )
        .unwrap_or_else(|e| panic!("{what}: prepare: {e:?}"));
        let r = client.run(&req).await;
        let step = row.behaviour.step(n);
        match step {
            Behaviour::Debts(Debts::NotHit) => assert_eq!(r.outcome, Outcome::NotHit, "{what}"),
            Behaviour::Phone(PhoneFlow::After(status)) => {
                assert_eq!(r.outcome, Outcome::Pending, "{what}: {:?}", r.error);
                clock.advance(Duration::from_secs(9));
                let polled = client
                    .poll_phone_task(r.task_id.as_deref().expect("task id"))
                    .await;
                let Some(riskdesk::report::Report::PhoneStatus(p)) = &polled.report else {
                    panic!("{what}: {:?}", polled.error)
                };
                assert_eq!(p.phone_status.as_str(), *status, "{what}");
            }
            Behaviour::Phone(PhoneFlow::Immediate(status)) => {
                let Some(riskdesk::report::Report::PhoneStatus(p)) = &r.report else {
                    panic!("{what}: {:?}", r.error)
                };
                assert_eq!(p.phone_status.as_str(), *status, "{what}");
            }
            other => {
                assert_eq!(r.outcome, Outcome::Ok, "{what}: {:?}", r.error);
                check_report(other, r.report.as_ref().expect("report"), &what);
            }
        }
        seen.push(format!("{step:?}"));
    }
    seen
}

fn sequence_client(sb: &Sandbox) -> riskdesk::vendor::VendorClient {
    let mut cfg: riskdesk::config::Config = toml::from_str(&sb.config_snippet()).unwrap();
    cfg.http.max_retries = 0;
    cfg.http.timeout_secs = 5;
    riskdesk::vendor::VendorClient::new(&cfg).unwrap()
}

#[tokio::test]
async fn sequence_rows_change_from_one_call_to_the_next() {
    let (sb, clock) = start_with_clock().await;
    let client = sequence_client(&sb);
    let checks: std::collections::BTreeSet<String> = sandbox::sequences()
        .iter()
        .map(|r| format!("{:?}", r.check))
        .collect();
    assert_eq!(checks.len(), 5, "a changing row for every check");
    for row in sandbox::sequences() {
        assert!(row.behaviour.0.len() >= 2, "{row:?} changes");
        let seen = run_sequence_row(&client, &clock, row).await;
        // The last step stays.
        assert_eq!(seen[seen.len() - 1], seen[seen.len() - 2], "{row:?}");
        // Every call was counted as received (polls too, for the phone row).
        assert!(sb.received(row.check, &row.key) >= seen.len() as u64);
    }
    // The table's promises, in the figures a case view flags.
    let score = |s: &sandbox::SequenceScenario| -> Vec<String> {
        s.behaviour.0.iter().map(|b| format!("{b:?}")).collect()
    };
    let w = sandbox::sequences()
        .iter()
        .find(|r| r.check == CheckKind::CreditWillingness)
        .unwrap();
    assert_eq!(
        score(w),
        [
            "Willingness(Score(701))",
            "Willingness(Score(640))",
            "Willingness(Score(540))"
        ]
    );
}

/// Willingness for the sequence phone, as TrustDecision's page has it.
fn sequence_body() -> Value {
    json!({
        "phone_number": sandbox::SEQUENCE_PHONE_ID,
        "country": "ID",
        "product_id": "CreditWillingnessPhone",
        "event_time": "2026-03-01T09:00:00+07:00",
    })
}

#[tokio::test]
async fn only_answered_calls_advance_a_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let with = |fault: Option<Fault>| SandboxOptions {
        fault,
        sequence_dir: Some(dir.path().to_path_buf()),
        ..SandboxOptions::default()
    };
    // A proxy's 502 and a dropped connection: the client got no answer.
    for fault in [Fault::BadGateway, Fault::DropConnection] {
        let faulty = Sandbox::start(with(Some(fault))).await.unwrap();
        let r = client(Duration::from_secs(5))
            .post(td_url(&faulty.credit_willingness_url()))
            .json(&sequence_body())
            .send()
            .await;
        assert!(r.is_err() || r.unwrap().status() == 502, "{fault:?}");
        faulty.shutdown().await;
    }
    let sb = Sandbox::start(with(None)).await.unwrap();
    // Refused: wrong partner key, a missing field.
    let wrong = format!(
        "{}?partner_code={}&partner_key=nope",
        sb.credit_willingness_url(),
        sandbox::SANDBOX_PARTNER_CODE
    );
    assert_eq!(td(&wrong, &sequence_body()).await["code"], 301);
    let mut no_time = sequence_body();
    no_time.as_object_mut().unwrap().remove("event_time");
    let url = td_url(&sb.credit_willingness_url());
    assert_eq!(td(&url, &no_time).await["code"], 11000);
    // None of those counted: the first answer is the first step.
    assert_eq!(td(&url, &sequence_body()).await["score"], 701);
    // A late answer still arrives, and counts.
    sb.shutdown().await;
    let slow = Sandbox::start(with(Some(Fault::Latency(Duration::from_millis(10)))))
        .await
        .unwrap();
    let url = td_url(&slow.credit_willingness_url());
    assert_eq!(td(&url, &sequence_body()).await["score"], 640);
    slow.shutdown().await;
}

#[tokio::test]
async fn a_data_directory_carries_sequences_across_sandboxes_and_runs_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let opts = SandboxOptions {
        sequence_dir: Some(dir.path().to_path_buf()),
        ..SandboxOptions::default()
    };
    let first = Sandbox::start(opts.clone()).await.unwrap();
    let url = td_url(&first.credit_willingness_url());
    assert_eq!(td(&url, &sequence_body()).await["score"], 701);
    first.shutdown().await;
    // Two sandboxes on one data directory (two riskdesk runs at once), four calls at once:
    // nobody gets the same step twice.
    let a = Sandbox::start(opts.clone()).await.unwrap();
    let b = Sandbox::start(opts.clone()).await.unwrap();
    let urls = [
        td_url(&a.credit_willingness_url()),
        td_url(&b.credit_willingness_url()),
    ];
    let body = sequence_body();
    let calls = (0..4).map(|i| td(&urls[i % 2], &body));
    let mut scores: Vec<i64> = futures::future::join_all(calls)
        .await
        .iter()
        .map(|v| v["score"].as_i64().expect("score"))
        .collect();
    scores.sort_unstable();
    assert_eq!(scores, [540, 540, 540, 640]);
    let counter = dir
        .path()
        .join(sandbox::SEQUENCE_DIR)
        .join(sandbox::counter_name(
            CheckKind::CreditWillingness,
            sandbox::SEQUENCE_PHONE_ID,
        ));
    assert_eq!(std::fs::metadata(&counter).unwrap().len(), 5);
    // Deleting the directory starts the rows again.
    std::fs::remove_dir_all(dir.path().join(sandbox::SEQUENCE_DIR)).unwrap();
    assert_eq!(td(&urls[0], &body).await["score"], 701);
    // Without a directory a sandbox counts in memory, from its start.
    let fresh = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let url = td_url(&fresh.credit_willingness_url());
    assert_eq!(td(&url, &body).await["score"], 701);
    assert_eq!(td(&url, &body).await["score"], 640);
}
