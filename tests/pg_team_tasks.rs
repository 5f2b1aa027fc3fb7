//! Team-wide phone tasks on a real PostgreSQL: a task submitted at one desk and resumed by
//! two real `riskdesk tasks --resume` processes at two desks (different database roles) is
//! polled once per due time between them — wiremock, standing in for AccuAuth, records when
//! each poll arrives — submitted once, and its answer stored once and seen by both desks.
//! Skips without PostgreSQL, except under `CI=true`.

mod pg_cluster;
mod process_output;

use pg_cluster::Cluster;
use process_output::{explain, json_lines};
use riskdesk::history::pg::PgEnv;
use riskdesk::history::{History, PgHistory, SearchQuery, TaskState};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const OWNER: &str = "desk_owner";
const SUBMIT: &str = "/check/phone_number/o1";
const TASK_RESULT: &str = "/check/phone_number/task_result/o1";
const TASK_ID: &str = "TIDteam";
const SUBMITTED: &str = r#"{"status":"OK","task_id":"TIDteam","request_id":"TIDsubmit"}"#;
const STILL_PENDING: &str =
    r#"{"status":"PENDING","reason":"check in progress","request_id":"TIDpending"}"#;
const RING: &str = r#"{"status":"OK","result":{"phone_number":"525512345678","phone_status":"ring"},"request_id":"TIDring"}"#;
/// Polls answered PENDING before the answer.
const PENDING_POLLS: usize = 2;

/// AccuAuth's task_result: PENDING to the first polls, then the phone's status; notes when
/// each poll arrived.
struct TaskResult {
    seen: Arc<Mutex<Vec<Instant>>>,
}

impl Respond for TaskResult {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut seen = self.seen.lock().expect("lock");
        seen.push(Instant::now());
        if seen.len() <= PENDING_POLLS {
            ResponseTemplate::new(400).set_body_raw(STILL_PENDING, "application/json")
        } else {
            ResponseTemplate::new(200).set_body_raw(RING, "application/json")
        }
    }
}

/// A desk: its own config (AccuAuth at the mock) and data dir, the team database as `role`.
struct Desk {
    dir: tempfile::TempDir,
    url: String,
}

impl Desk {
    fn new(c: &Cluster, role: &str, vendor: &str) -> Desk {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            format!(
                "[http]\nmax_retries = 0\ntimeout_secs = 5\n\n[accuauth]\napi_id = \"acc-id-test\"\n\
                 api_secret = \"acc-secret-test-1234\"\nphone_status_url = \"{vendor}\"\n\
                 debts_report_url = \"{vendor}\"\nmultiple_order_url = \"{vendor}\"\n"
            ),
        )
        .expect("config");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600))
                .expect("chmod");
        }
        Desk {
            dir,
            url: c.url(role, "team"),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_riskdesk"));
        cmd.arg("--config")
            .arg(self.dir.path().join("config.toml"))
            .arg("--data-dir")
            .arg(self.dir.path().join("data"))
            .args(args)
            .env("RISKDESK_HISTORY_URL", &self.url)
            .env_remove("RISKDESK_CONFIG")
            .env_remove("RISKDESK_DATA_DIR")
            .env_remove("RISKDESK_ACCUAUTH_API_ID")
            .env_remove("RISKDESK_ACCUAUTH_API_SECRET");
        cmd
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_resuming_one_task_poll_it_once_per_due_time() {
    let Some(c) =
        Cluster::start_or_skip("two_processes_resuming_one_task_poll_it_once_per_due_time")
    else {
        return;
    };
    c.sql("postgres", &format!("CREATE ROLE {OWNER} LOGIN CREATEROLE"));
    c.sql("postgres", "CREATE ROLE ana LOGIN; CREATE ROLE budi LOGIN;");
    c.sql("postgres", &format!("CREATE DATABASE team OWNER {OWNER}"));
    let env = |os_user: &str| PgEnv {
        os_user: os_user.into(),
        ..PgEnv::default()
    };
    drop(PgHistory::open_with(&c.url(OWNER, "team"), &env("dba.pc")).expect("owner migrates"));
    c.sql("postgres", "GRANT riskdesk_operator TO ana, budi;");

    let vendor = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(SUBMIT))
        .respond_with(ResponseTemplate::new(200).set_body_raw(SUBMITTED, "application/json"))
        .mount(&vendor)
        .await;
    let polls = Arc::new(Mutex::new(Vec::new()));
    Mock::given(method("POST"))
        .and(path(TASK_RESULT))
        .respond_with(TaskResult {
            seen: polls.clone(),
        })
        .mount(&vendor)
        .await;
    let ana = Desk::new(&c, "ana", &vendor.uri());
    let budi = Desk::new(&c, "budi", &vendor.uri());

    // Ana submits and does not wait: the task is left pending in the team database.
    let mut submit = ana.command(&[
        "check",
        "phone-status",
        "--country",
        "MX",
        "--phone",
        "5512345678",
        "--wait",
        "0",
        "--json",
    ]);
    let out = tokio::task::spawn_blocking(move || submit.output().expect("run"))
        .await
        .expect("join");
    assert_eq!(out.status.code(), Some(4), "{}", explain(&out));
    assert_eq!(json_lines(&out)[0]["task_id"], TASK_ID, "{}", explain(&out));
    assert!(
        polls.lock().expect("lock").is_empty(),
        "polled before resume"
    );

    // Both desks resume it at once, each on its own schedule.
    let wait = "20";
    let started = Instant::now();
    let resumers: Vec<_> = [&ana, &budi]
        .iter()
        .map(|d| {
            d.command(&["tasks", "--resume", "--json", "--wait", wait])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn riskdesk tasks --resume")
        })
        .collect();
    let outs = tokio::task::spawn_blocking(move || {
        resumers
            .into_iter()
            .map(|p| p.wait_with_output().expect("wait"))
            .collect::<Vec<_>>()
    })
    .await
    .expect("join");
    let explained: String = outs.iter().map(explain).collect::<Vec<_>>().join("\n");

    // One submit; one poll per due time: the answers ended the task at poll PENDING_POLLS + 1,
    // and no two polls came closer than the task's schedule allows after the earlier one.
    let requests = vendor.received_requests().await.expect("recorded");
    let submits = requests.iter().filter(|r| r.url.path() == SUBMIT).count();
    assert_eq!(submits, 1, "{explained}");
    let polls = polls.lock().expect("lock").clone();
    assert_eq!(polls.len(), PENDING_POLLS + 1, "{explained}");
    for (i, pair) in polls.windows(2).enumerate() {
        let gap = pair[1] - pair[0];
        let due = riskdesk::phone_tasks::next_poll_delay(i as u32 + 1);
        assert!(
            gap + Duration::from_millis(50) >= due,
            "poll {} came {gap:?} after poll {}, before its due time ({due:?} later): \
             two desks polled one due time\n{explained}",
            i + 2,
            i + 1
        );
    }

    // The answer is stored once, and both desks see the task done with it.
    assert_eq!(
        c.sql(
            "team",
            &format!(
                "SELECT count(*) FILTER (WHERE outcome = 'ok'), count(*) FROM riskdesk.lookups \
                 WHERE task_id = '{TASK_ID}'"
            )
        ),
        "1|2",
        "one submit row and one answer row\n{explained}"
    );
    let answered: Vec<i64> = outs
        .iter()
        .flat_map(json_lines)
        .filter(|l| l["outcome"] == "ok")
        .map(|l| l["lookup_id"].as_i64().expect("lookup id"))
        .collect();
    assert_eq!(
        answered.len(),
        1,
        "one process reports the answer\n{explained}"
    );
    // The other stops once it finds the task ended, and says where the answer is.
    let elsewhere: Vec<_> = outs
        .iter()
        .flat_map(json_lines)
        .filter(|l| l["outcome"] == "done")
        .collect();
    assert_eq!(elsewhere.len(), 1, "{explained}");
    assert!(
        elsewhere[0]["note"]
            .as_str()
            .is_some_and(|n| n.contains("another riskdesk") && n.contains(TASK_ID)),
        "{explained}"
    );
    for out in &outs {
        assert_eq!(out.status.code(), Some(0), "{explained}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(wait.parse::<u64>().expect("secs")),
        "a resumer polled on to its --wait deadline after the task ended\n{explained}"
    );
    for (role, os_user) in [("ana", "ana.pc"), ("budi", "budi.pc")] {
        let h = PgHistory::open_with(&c.url(role, "team"), &env(os_user)).expect("open");
        let t = h.task(TASK_ID).expect("task").expect("stored");
        assert_eq!(
            (t.state, t.attempts as usize),
            (TaskState::Done, PENDING_POLLS + 1),
            "{role}"
        );
        assert_eq!(
            t.result.as_ref().map(|r| r.to_string().contains("ring")),
            Some(true),
            "{role}: {:?}",
            t.result
        );
        let rows = h.search(&SearchQuery::text(TASK_ID)).expect("search").rows;
        assert!(
            rows.iter().any(|r| r.id == answered[0]),
            "{role} finds the answer"
        );
        let open = h.open_tasks().expect("open tasks");
        assert!(open.iter().all(|t| t.task_id != TASK_ID), "{role}");
    }
}
