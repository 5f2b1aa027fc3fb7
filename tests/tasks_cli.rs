//! `riskdesk tasks` and a `check` waiting on a phone task, as the real binary: a lapsed task
//! is an error of kind task_expired (exit 3, never "still pending"); refused credentials pause
//! a task, listed with the reason, and a resume after the config is fixed finishes it; a
//! resume of many tasks keeps at most four polls in flight.

mod process_output;

use process_output::{code, explain, json_lines};
use riskdesk::history::{PhoneTaskRow, Store, TaskState};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TASK_RESULT: &str = "/check/phone_number/task_result/o1";
const SUBMIT: &str = "/check/phone_number/o1";
const RING: &str = r#"{"status":"OK","result":{"phone_number":"525512345678","phone_status":"ring"},"request_id":"TIDok"}"#;
const REFUSED: &str =
    r#"{"status":"UNAUTHORIZED","reason":"invalid api key","request_id":"TIDrefused"}"#;

struct Env {
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Env {
    fn new(config_text: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let env = Env {
            config: dir.path().join("config.toml"),
            dir,
        };
        env.write_config(config_text);
        env
    }

    fn write_config(&self, text: &str) {
        std::fs::write(&self.config, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&self.config, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn store(&self) -> Store {
        Store::open_in_data_dir(&self.data_dir()).unwrap()
    }

    fn add(&self, row: &PhoneTaskRow) {
        self.store().add_task(row).unwrap();
    }

    fn task(&self, id: &str) -> PhoneTaskRow {
        self.store().task(id).unwrap().unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_riskdesk"))
            .arg("--config")
            .arg(&self.config)
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(args)
            .env_remove("RISKDESK_CONFIG")
            .env_remove("RISKDESK_DATA_DIR")
            .env_remove("RISKDESK_ACCUAUTH_API_ID")
            .env_remove("RISKDESK_ACCUAUTH_API_SECRET")
            .env_remove("RISKDESK_TD_PARTNER_CODE")
            .env_remove("RISKDESK_TD_PARTNER_KEY")
            .output()
            .unwrap()
    }

    /// Runs the binary off the async test's threads (a mock server is answering on them).
    async fn run_async(self: &Arc<Self>, args: &[&str]) -> Output {
        let env = self.clone();
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            env.run(&args)
        })
        .await
        .unwrap()
    }
}

/// A config whose AccuAuth (phone status included) is the server at `uri`.
fn accuauth_at(uri: &str) -> String {
    format!(
        "[http]\nmax_retries = 0\ntimeout_secs = 5\n\n[accuauth]\napi_id = \"acc-id-test\"\n\
         api_secret = \"acc-secret-test-1234\"\ndebts_report_url = \"{uri}\"\n\
         multiple_order_url = \"{uri}\"\nphone_status_url = \"{uri}\"\n"
    )
}

fn task(id: &str, submitted: time::OffsetDateTime, sandbox: bool) -> PhoneTaskRow {
    PhoneTaskRow {
        task_id: id.into(),
        lookup_id: 0,
        phone_e164: "+525512345678".into(),
        submitted_at: submitted,
        expires_at: submitted + riskdesk::phone_tasks::TASK_TTL,
        state: TaskState::Pending,
        last_poll_at: None,
        attempts: 0,
        result: None,
        error: None,
        sandbox,
    }
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

#[test]
fn a_lapsed_task_is_an_error_of_kind_task_expired_with_exit_3() {
    // The built-in sandbox (no credentials): sandbox tasks.
    let env = Env::new("");
    let day_ago = now() - time::Duration::hours(25);
    env.add(&task("T-lapsed", day_ago, true));

    let out = env.run(&["tasks", "--resume", "--json", "--wait", "5"]);
    assert_eq!(code(&out), 3, "{}", explain(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "{}", explain(&out));
    assert_eq!(lines[0]["task_id"], "T-lapsed");
    assert_eq!(lines[0]["outcome"], "error");
    assert_eq!(lines[0]["error"]["kind"], "task_expired", "{}", lines[0]);
    assert_eq!(env.task("T-lapsed").state, TaskState::Expired);
    // No longer listed.
    let listed = env.run(&["tasks", "--json"]);
    assert_eq!(code(&listed), 0, "{}", explain(&listed));
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed, serde_json::json!([]));

    // In words too, and never "still pending"; a paused task lapses the same way.
    let mut paused = task("T-lapsed-paused", day_ago, true);
    paused.state = TaskState::Paused;
    paused.error = Some("unauthorized: refused".into());
    env.add(&paused);
    let out = env.run(&["tasks", "--resume", "--wait", "5"]);
    assert_eq!(code(&out), 3, "{}", explain(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("T-lapsed-paused") && text.contains("task_expired"),
        "{}",
        explain(&out)
    );
    assert!(!text.contains("still pending"), "{}", explain(&out));
}

#[test]
fn paused_tasks_are_listed_with_their_reason() {
    let env = Env::new("");
    let mut paused = task("T-listed-paused", now(), true);
    paused.state = TaskState::Paused;
    paused.error = Some("unauthorized: AccuAuth refused the API id".into());
    env.add(&paused);
    env.add(&task("T-listed-pending", now(), true));

    let out = env.run(&["tasks"]);
    assert_eq!(code(&out), 0, "{}", explain(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("paused: unauthorized: AccuAuth refused the API id"),
        "{}",
        explain(&out)
    );
    assert!(text.contains("tasks --resume"), "{}", explain(&out));
    assert!(text.contains("T-listed-pending"), "{}", explain(&out));

    let out = env.run(&["tasks", "--json"]);
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let states: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["state"].as_str().unwrap())
        .collect();
    assert_eq!(states.len(), 2, "{listed}");
    assert!(states.contains(&"paused") && states.contains(&"pending"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_credentials_pause_and_a_resume_after_the_fix_finishes_the_task() {
    let refusing = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TASK_RESULT))
        .respond_with(ResponseTemplate::new(401).set_body_raw(REFUSED, "application/json"))
        .mount(&refusing)
        .await;
    let env = Arc::new(Env::new(&accuauth_at(&refusing.uri())));
    env.add(&task("T-creds", now(), false));

    let out = env
        .run_async(&["tasks", "--resume", "--json", "--wait", "20"])
        .await;
    assert_eq!(code(&out), 3, "{}", explain(&out));
    let line = &json_lines(&out)[0];
    assert_eq!(line["outcome"], "paused", "{line}");
    assert_eq!(line["error"]["kind"], "unauthorized", "{line}");
    assert!(
        line["note"]
            .as_str()
            .unwrap_or("")
            .contains("tasks --resume")
    );
    assert_eq!(
        refusing.received_requests().await.unwrap().len(),
        1,
        "paused, not polled again"
    );
    let stored = env.task("T-creds");
    assert_eq!(stored.state, TaskState::Paused);
    let listed = env.run_async(&["tasks"]).await;
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains("paused: unauthorized"),
        "{}",
        explain(&listed)
    );

    // The config is fixed: the vendor accepts it now.
    let fixed = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TASK_RESULT))
        .respond_with(ResponseTemplate::new(200).set_body_raw(RING, "application/json"))
        .mount(&fixed)
        .await;
    env.write_config(&accuauth_at(&fixed.uri()));
    let out = env
        .run_async(&["tasks", "--resume", "--json", "--wait", "20"])
        .await;
    assert_eq!(code(&out), 0, "{}", explain(&out));
    let line = &json_lines(&out)[0];
    assert_eq!(line["task_id"], "T-creds");
    assert_eq!(line["outcome"], "ok", "{line}");
    assert!(line["lookup_id"].is_i64(), "{line}");
    assert_eq!(env.task("T-creds").state, TaskState::Done);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_whose_task_meets_refused_credentials_says_paused_and_exits_3() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(SUBMIT))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"status":"OK","task_id":"TIDcheckpaused","request_id":"TIDsubmit"}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TASK_RESULT))
        .respond_with(ResponseTemplate::new(401).set_body_raw(REFUSED, "application/json"))
        .mount(&server)
        .await;
    let env = Arc::new(Env::new(&accuauth_at(&server.uri())));
    let out = env
        .run_async(&[
            "check",
            "phone-status",
            "--country",
            "MX",
            "--phone",
            "5512345678",
            "--wait",
            "20",
            "--json",
        ])
        .await;
    assert_eq!(code(&out), 3, "{}", explain(&out));
    let line = &json_lines(&out)[0];
    assert_eq!(line["outcome"], "error", "{line}");
    assert_eq!(line["error"]["kind"], "unauthorized", "{line}");
    assert!(line["warnings"].to_string().contains("paused"), "{line}");
    assert_eq!(env.task("TIDcheckpaused").state, TaskState::Paused);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_ten_tasks_keeps_at_most_four_polls_in_flight() {
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let total = Arc::new(AtomicUsize::new(0));
    let (n, p, t) = (in_flight.clone(), peak.clone(), total.clone());
    let app = axum::Router::new().route(
        TASK_RESULT,
        axum::routing::post(move || {
            let (n, p, t) = (n.clone(), p.clone(), t.clone());
            async move {
                t.fetch_add(1, Ordering::SeqCst);
                let inside = n.fetch_add(1, Ordering::SeqCst) + 1;
                p.fetch_max(inside, Ordering::SeqCst);
                // Long enough that ten first polls spread over ~6 s would overlap by more
                // than four without the cap.
                tokio::time::sleep(Duration::from_millis(3000)).await;
                n.fetch_sub(1, Ordering::SeqCst);
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    RING,
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uri = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let env = Arc::new(Env::new(&accuauth_at(&uri)));
    for i in 0..10 {
        env.add(&task(&format!("T-many-{i}"), now(), false));
    }
    let out = env
        .run_async(&["tasks", "--resume", "--json", "--wait", "60"])
        .await;
    assert_eq!(code(&out), 0, "{}", explain(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 10);
    assert!(lines.iter().all(|l| l["outcome"] == "ok"), "{lines:?}");
    assert_eq!(total.load(Ordering::SeqCst), 10);
    let peak = peak.load(Ordering::SeqCst);
    assert!(
        peak <= riskdesk::phone_tasks::MAX_POLLS_PER_HOST,
        "peak {peak}"
    );
}
