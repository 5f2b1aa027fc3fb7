//! The life of a phone task through the real client, the sandbox over loopback and the
//! store: pending polls, resolution, a never-resolving task expiring at 24 h (an injected
//! clock: no real waiting), the poll lease, transient failures. Then, against wiremock: a bad
//! poll (timeout, 502 page) is retried and the task still finishes; refused credentials pause
//! a task, which a resume with the config fixed finishes; at most four polls in flight.

use riskdesk::applicant::{Applicant, CheckOptions, prepare};
use riskdesk::check::{CheckKind, Outcome};
use riskdesk::config::Config;
use riskdesk::history::{SharedHistory, SqliteHistory, TaskState};
use riskdesk::lookup::{Origin, record_from_result};
use riskdesk::phone_tasks::{self, PollGate, TaskPoll};
use riskdesk::report::Report;
use riskdesk::sandbox::{ManualClock, Sandbox, SandboxOptions};
use riskdesk::vendor::VendorClient;
use std::sync::Arc;
use std::time::Duration;

struct World {
    clock: Arc<ManualClock>,
    sandbox: Sandbox,
    client: VendorClient,
    gate: Arc<PollGate>,
    store: SharedHistory,
    origin: Origin,
    _dir: tempfile::TempDir,
}

async fn world() -> World {
    let clock = Arc::new(ManualClock::starting_now());
    let sandbox = Sandbox::start(SandboxOptions {
        phone_pending: Duration::from_secs(8),
        clock: clock.clone(),
        ..Default::default()
    })
    .await
    .unwrap();
    let mut config = Config::default();
    config.http.max_retries = 0;
    config.http.timeout_secs = 5;
    riskdesk::cli::point_at_sandbox(&mut config, &sandbox);
    let dir = tempfile::tempdir().unwrap();
    World {
        clock,
        client: VendorClient::new(&config).unwrap(),
        gate: PollGate::for_config(&config),
        sandbox,
        store: Arc::new(SqliteHistory::open_in_data_dir(dir.path()).unwrap()),
        origin: Origin {
            operator: "tester".into(),
            sandbox: true,
            purpose: None,
        },
        _dir: dir,
    }
}

impl World {
    /// Submits a phone check the way the CLI does and returns the stored pending task.
    async fn submit(&self, phone: &str) -> riskdesk::history::PhoneTaskRow {
        let a = Applicant {
            country: "MX".into(),
            phone: phone.into(),
            ..Default::default()
        };
        let req = prepare(
            CheckKind::PhoneStatus,
            &a,
            &CheckOptions::default(),
            riskdesk::applicant::local_now(),
        )
        .unwrap();
        let result = self.client.run(&req).await;
        assert_eq!(result.outcome, Outcome::Pending, "{result:?}");
        let rec = record_from_result(&result, &req.identity, &self.origin);
        let mut task = phone_tasks::new_task(
            &result,
            0,
            &req.identity.phone_e164,
            true,
            time::OffsetDateTime::now_utc(),
        )
        .unwrap();
        // The lookup and its task in one transaction, as the CLI and the console store them.
        task.lookup_id = self.store.record(&rec, Some(&task)).unwrap();
        task
    }

    fn task(&self, id: &str) -> riskdesk::history::PhoneTaskRow {
        self.store.task(id).unwrap().unwrap()
    }

    async fn poll(&self, id: &str, now: time::OffsetDateTime) -> TaskPoll {
        let task = self.task(id);
        phone_tasks::poll_task(
            &self.client,
            &self.gate,
            &self.store,
            &task,
            &self.origin,
            now,
        )
        .await
        .unwrap()
    }
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

#[tokio::test]
async fn a_task_is_pending_then_resolves_and_is_stored() {
    let w = world().await;
    let task = w.submit("5512340001").await;
    assert!(matches!(
        w.poll(&task.task_id, now()).await,
        TaskPoll::Pending { attempts: 1 }
    ));
    assert_eq!(w.task(&task.task_id).attempts, 1);
    assert_eq!(w.task(&task.task_id).state, TaskState::Pending);

    w.clock.advance(Duration::from_secs(9));
    match w.poll(&task.task_id, now()).await {
        TaskPoll::Done { result, stored } => {
            let lookup_id = stored.expect("stored");
            match result.report {
                Some(Report::PhoneStatus(p)) => assert_eq!(p.phone_status.as_str(), "ring"),
                other => panic!("{other:?}"),
            }
            let row = w.store.get(lookup_id).unwrap().unwrap();
            assert_eq!(row.outcome, Outcome::Ok);
            assert_eq!(row.task_id.as_deref(), Some(task.task_id.as_str()));
            assert_eq!(
                row.identity.phone_e164, "+525512340001",
                "the submitting lookup's identifiers carry over"
            );
            assert!(!row.raw_response.is_empty());
        }
        other => panic!("{other:?}"),
    }
    let stored = w.task(&task.task_id);
    assert_eq!(stored.state, TaskState::Done);
    assert!(stored.result.is_some());
    assert!(w.store.open_tasks().unwrap().is_empty());
    w.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_task_that_never_resolves_expires_after_24_hours() {
    let w = world().await;
    let task = w.submit("5512340010").await;
    w.clock.advance(Duration::from_secs(3600));
    assert!(matches!(
        w.poll(&task.task_id, now()).await,
        TaskPoll::Pending { .. }
    ));
    // A day later on our clock: expired without asking the vendor.
    let later = task.submitted_at + time::Duration::hours(24) + time::Duration::seconds(1);
    assert!(matches!(
        w.poll(&task.task_id, later).await,
        TaskPoll::Expired
    ));
    let stored = w.task(&task.task_id);
    assert_eq!(stored.state, TaskState::Expired);
    assert_eq!(stored.attempts, 1, "no poll was sent for the expired task");

    // On resume, expired tasks are marked and not polled.
    let other = w.submit("5512340010").await;
    let resumable = phone_tasks::resumable(
        &w.store,
        other.expires_at + time::Duration::seconds(1),
        true,
    )
    .await
    .unwrap();
    assert!(resumable.is_empty());
    assert_eq!(w.task(&other.task_id).state, TaskState::Expired);
    w.sandbox.shutdown().await;
}

#[tokio::test]
async fn the_vendor_saying_expired_ends_the_task() {
    let w = world().await;
    let task = w.submit("5512340010").await;
    // The vendor's clock passes 24 h (ours does not): it answers that the task expired.
    w.clock.advance(Duration::from_secs(25 * 3600));
    match w.poll(&task.task_id, now()).await {
        TaskPoll::Failed { result, .. } => {
            assert_eq!(
                result.error.as_ref().map(|e| e.kind),
                Some(riskdesk::vendor::ErrorKind::TaskExpired),
                "{result:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(w.task(&task.task_id).state, TaskState::Expired);
    w.sandbox.shutdown().await;
}

#[tokio::test]
async fn a_task_held_by_another_poller_is_not_polled() {
    let w = world().await;
    let task = w.submit("5512340002").await;
    assert!(
        w.store
            .claim(&task.task_id, now(), Duration::from_secs(60))
            .unwrap()
            .is_some()
    );
    assert!(matches!(w.poll(&task.task_id, now()).await, TaskPoll::Busy));
    assert_eq!(w.task(&task.task_id).attempts, 0);
    w.sandbox.shutdown().await;
}

#[tokio::test]
async fn transient_poll_failures_keep_the_task_pending() {
    let w = world().await;
    for phone in ["5512340011", "5512340012"] {
        let task = w.submit(phone).await;
        w.clock.advance(Duration::from_secs(9));
        match w.poll(&task.task_id, now()).await {
            TaskPoll::Retry { attempts, result } => {
                assert_eq!(attempts, 1);
                assert_eq!(result.outcome, Outcome::Error);
            }
            other => panic!("{phone}: {other:?}"),
        }
        assert_eq!(w.task(&task.task_id).state, TaskState::Pending, "{phone}");
    }
    w.sandbox.shutdown().await;
}

#[tokio::test]
async fn sandbox_and_real_tasks_are_never_mixed() {
    let w = world().await;
    let task = w.submit("5512340001").await;
    // The same task seen from a session off the sandbox: not resumable, not pollable.
    assert!(
        phone_tasks::resumable(&w.store, now(), false)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        phone_tasks::resumable(&w.store, now(), true)
            .await
            .unwrap()
            .len(),
        1
    );
    let real = Origin {
        operator: "tester".into(),
        sandbox: false,
        purpose: None,
    };
    let err = phone_tasks::poll_task(
        &w.client,
        &w.gate,
        &w.store,
        &w.task(&task.task_id),
        &real,
        now(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("sandbox"), "{err}");
    assert_eq!(w.task(&task.task_id).attempts, 0);
    w.sandbox.shutdown().await;
}

// ---- Against wiremock: a bad poll is not the end of a task; refused credentials pause it;
// ---- polls to one host are capped and slowed together.

use riskdesk::config::Secret;
use riskdesk::history::PhoneTaskRow;
use riskdesk::vendor::ErrorKind;
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TASK_RESULT: &str = "/check/phone_number/task_result/o1";
const RING: &str = r#"{"status":"OK","result":{"phone_number":"525512345678","phone_status":"ring"},"request_id":"TIDok"}"#;
const STILL_PENDING: &str =
    r#"{"status":"PENDING","reason":"check in progress","request_id":"TIDpending"}"#;

fn refusal(status: &str) -> String {
    format!(r#"{{"status":"{status}","reason":"refused by the test","request_id":"TIDno"}}"#)
}

/// A client config pointing AccuAuth at `uri`: a 1 s timeout, no client-level retries (the
/// task's own schedule is what is tested).
fn mock_config(uri: &str) -> Config {
    let mut c = Config::default();
    c.accuauth.api_id = Some(Secret::new("acc-id-test"));
    c.accuauth.api_secret = Some(Secret::new("acc-secret-test-1234"));
    c.accuauth.phone_status_url = uri.to_string();
    c.http.timeout_secs = 1;
    c.http.max_retries = 0;
    c
}

/// Answers task_result with `status`/`body`, the first `times` polls only when given.
async fn answer(server: &MockServer, status: u16, body: &str, ctype: &str, times: Option<u64>) {
    let mock = Mock::given(method("POST"))
        .and(path(TASK_RESULT))
        .respond_with(ResponseTemplate::new(status).set_body_raw(body.to_string(), ctype));
    match times {
        Some(n) => mock.up_to_n_times(n).mount(server).await,
        None => mock.mount(server).await,
    }
}

/// A store with real (not sandbox) tasks in it.
struct Desk {
    store: SharedHistory,
    origin: Origin,
    _dir: tempfile::TempDir,
}

fn desk() -> Desk {
    let dir = tempfile::tempdir().unwrap();
    Desk {
        store: Arc::new(SqliteHistory::open_in_data_dir(dir.path()).unwrap()),
        origin: Origin {
            operator: "tester".into(),
            sandbox: false,
            purpose: None,
        },
        _dir: dir,
    }
}

fn task_row(id: &str, submitted: time::OffsetDateTime) -> PhoneTaskRow {
    PhoneTaskRow {
        task_id: id.into(),
        lookup_id: 0,
        phone_e164: "+525512345678".into(),
        submitted_at: submitted,
        expires_at: submitted + phone_tasks::TASK_TTL,
        state: TaskState::Pending,
        last_poll_at: None,
        attempts: 0,
        result: None,
        error: None,
        sandbox: false,
    }
}

impl Desk {
    fn add(&self, id: &str) {
        self.add_row(task_row(id, now()));
    }

    fn add_row(&self, row: PhoneTaskRow) {
        self.store.add_task(&row).unwrap();
    }

    fn task(&self, id: &str) -> PhoneTaskRow {
        self.store.task(id).unwrap().unwrap()
    }

    /// One poll through a client built from `config`, with a gate of its own (so a rate
    /// limit in one test step does not hold the next one back).
    async fn poll(&self, config: &Config, id: &str) -> TaskPoll {
        let client = VendorClient::new(config).unwrap();
        let gate = PollGate::new("test");
        phone_tasks::poll_task(
            &client,
            &gate,
            &self.store,
            &self.task(id),
            &self.origin,
            now(),
        )
        .await
        .unwrap()
    }
}

fn kind(result: &riskdesk::vendor::CheckResult) -> Option<ErrorKind> {
    result.error.as_ref().map(|e| e.kind)
}

fn assert_ring(poll: TaskPoll, d: &Desk, id: &str) {
    match poll {
        TaskPoll::Done { result, stored } => {
            let lookup_id = stored.expect("stored");
            assert_eq!(result.outcome, Outcome::Ok, "{result:?}");
            match &result.report {
                Some(Report::PhoneStatus(p)) => assert_eq!(p.phone_status.as_str(), "ring"),
                other => panic!("{other:?}"),
            }
            let row = d.store.get(lookup_id).unwrap().unwrap();
            assert_eq!(row.outcome, Outcome::Ok);
            assert_eq!(row.task_id.as_deref(), Some(id));
        }
        other => panic!("{other:?}"),
    }
    let stored = d.task(id);
    assert_eq!(stored.state, TaskState::Done);
    assert!(stored.result.is_some());
}

#[tokio::test]
async fn a_poll_that_times_out_is_retried_and_the_task_finishes() {
    let server = MockServer::start().await;
    // The first poll's answer comes after the client's 1 s timeout; the next one at once.
    Mock::given(method("POST"))
        .and(path(TASK_RESULT))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(RING, "application/json")
                .set_delay(Duration::from_secs(3)),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    answer(&server, 200, RING, "application/json", None).await;
    let config = mock_config(&server.uri());
    let d = desk();
    d.add("T-slow");

    match d.poll(&config, "T-slow").await {
        TaskPoll::Retry { result, attempts } => {
            assert_eq!(attempts, 1);
            assert!(
                matches!(
                    kind(&result),
                    Some(ErrorKind::Timeout | ErrorKind::Transport)
                ),
                "{result:?}"
            );
        }
        other => panic!("a timed-out poll must not end the task: {other:?}"),
    }
    let stored = d.task("T-slow");
    assert_eq!(stored.state, TaskState::Pending);
    assert_eq!(stored.attempts, 1);
    assert!(stored.error.is_some(), "the last poll's failure is kept");
    assert_eq!(
        phone_tasks::resumable(&d.store, now(), false)
            .await
            .unwrap()
            .len(),
        1
    );

    let next = d.poll(&config, "T-slow").await;
    assert_ring(next, &d, "T-slow");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn bad_gateway_pages_garbage_and_vendor_trouble_are_retried_until_an_answer() {
    let server = MockServer::start().await;
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    let bad: [(u16, &str, &str); 6] = [
        (502, html, "text/html"),
        (200, r#"{"status":"OK","resu"#, "application/json"),
        (200, "not json at all", "text/plain"),
        (500, &refusal("INTERNAL_ERROR"), "application/json"),
        (
            512,
            &refusal("SOURCE_SERVICE_UNAVAILABLE"),
            "application/json",
        ),
        (403, &refusal("RATE_LIMIT_EXCEEDED"), "application/json"),
    ];
    // Mounted in order, each used once: the polls meet them one after the other.
    for (status, body, ctype) in bad {
        answer(&server, status, body, ctype, Some(1)).await;
    }
    answer(&server, 200, RING, "application/json", None).await;
    let config = mock_config(&server.uri());
    let d = desk();
    d.add("T-bad-day");
    for (i, (status, _, _)) in bad.iter().enumerate() {
        match d.poll(&config, "T-bad-day").await {
            TaskPoll::Retry { result, attempts } => {
                assert_eq!(attempts as usize, i + 1);
                assert_eq!(result.outcome, Outcome::Error, "{status}: {result:?}");
            }
            other => panic!("HTTP {status}: the task must survive: {other:?}"),
        }
        assert_eq!(d.task("T-bad-day").state, TaskState::Pending, "{status}");
    }
    let last = d.poll(&config, "T-bad-day").await;
    assert_ring(last, &d, "T-bad-day");
    assert_eq!(d.task("T-bad-day").attempts, 7);
}

#[tokio::test]
async fn refused_credentials_pause_the_task_and_a_resume_with_fixed_config_finishes_it() {
    let refused = MockServer::start().await;
    answer(&refused, 400, STILL_PENDING, "application/json", Some(1)).await;
    answer(
        &refused,
        401,
        &refusal("UNAUTHORIZED"),
        "application/json",
        None,
    )
    .await;
    let broken = mock_config(&refused.uri());
    let d = desk();
    d.add("T-creds");

    assert!(matches!(
        d.poll(&broken, "T-creds").await,
        TaskPoll::Pending { attempts: 1 }
    ));
    match d.poll(&broken, "T-creds").await {
        TaskPoll::Paused { result, attempts } => {
            assert_eq!(attempts, 2);
            assert_eq!(kind(&result), Some(ErrorKind::Unauthorized), "{result:?}");
        }
        other => panic!("{other:?}"),
    }
    let paused = d.task("T-creds");
    assert_eq!(paused.state, TaskState::Paused);
    let reason = paused.error.clone().unwrap_or_default();
    assert!(reason.contains("unauthorized"), "{reason}");
    // Paused is not over: listed, and picked up by a resume.
    assert_eq!(d.store.open_tasks().unwrap().len(), 1);
    let resumable = phone_tasks::resumable(&d.store, now(), false)
        .await
        .unwrap();
    assert_eq!(resumable.len(), 1);
    assert_eq!(resumable[0].state, TaskState::Paused);
    assert_eq!(refused.received_requests().await.unwrap().len(), 2);

    // The config is fixed (here: a server that accepts the credentials): a resume polls it.
    let fixed = MockServer::start().await;
    answer(&fixed, 200, RING, "application/json", None).await;
    let done = d.poll(&mock_config(&fixed.uri()), "T-creds").await;
    assert_ring(done, &d, "T-creds");
    assert_eq!(d.task("T-creds").attempts, 3);
    assert_eq!(refused.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn every_refusal_of_the_credentials_pauses_and_only_an_answer_about_the_task_ends_it() {
    let d = desk();
    for (status, code, want) in [
        (401, "UNAUTHORIZED", TaskState::Paused),
        (401, "KEY_EXPIRED", TaskState::Paused),
        (403, "NO_PERMISSION", TaskState::Paused),
        (403, "OUT_OF_QUOTA", TaskState::Paused),
    ] {
        let server = MockServer::start().await;
        answer(&server, status, &refusal(code), "application/json", None).await;
        let id = format!("T-{code}");
        d.add(&id);
        let poll = d.poll(&mock_config(&server.uri()), &id).await;
        assert!(matches!(poll, TaskPoll::Paused { .. }), "{code}: {poll:?}");
        assert_eq!(d.task(&id).state, want, "{code}");
    }
    // INVALID_ARGUMENT on task_result is about the task: it ends (expired or failed).
    let server = MockServer::start().await;
    answer(
        &server,
        400,
        &refusal("INVALID_ARGUMENT"),
        "application/json",
        None,
    )
    .await;
    d.add("T-invalid");
    let poll = d.poll(&mock_config(&server.uri()), "T-invalid").await;
    assert!(matches!(poll, TaskPoll::Failed { .. }), "{poll:?}");
    assert!(
        matches!(
            d.task("T-invalid").state,
            TaskState::Expired | TaskState::Failed
        ),
        "{:?}",
        d.task("T-invalid")
    );
}

#[tokio::test]
async fn a_lapsed_task_is_expired_paused_or_not_and_nothing_is_sent() {
    let server = MockServer::start().await;
    answer(&server, 200, RING, "application/json", None).await;
    let d = desk();
    d.add("T-late");
    let mut paused = task_row("T-paused-late", now() - time::Duration::hours(25));
    paused.state = TaskState::Paused;
    paused.error = Some("unauthorized: refused".into());
    d.add_row(paused);

    let later = d.task("T-late").expires_at + time::Duration::seconds(1);
    let client = VendorClient::new(&mock_config(&server.uri())).unwrap();
    let poll = phone_tasks::poll_task(
        &client,
        &PollGate::new("test"),
        &d.store,
        &d.task("T-late"),
        &d.origin,
        later,
    )
    .await
    .unwrap();
    assert!(matches!(poll, TaskPoll::Expired), "{poll:?}");
    assert_eq!(d.task("T-late").state, TaskState::Expired);
    assert_eq!(d.task("T-paused-late").state, TaskState::Expired);
    assert!(server.received_requests().await.unwrap().is_empty());
    assert_eq!(
        phone_tasks::expired_error().kind,
        ErrorKind::TaskExpired,
        "reported as task_expired"
    );

    // A resume says which tasks it found lapsed.
    let d = desk();
    let mut old = task_row("T-old", now() - time::Duration::hours(25));
    old.state = TaskState::Paused;
    d.add_row(old);
    d.add("T-fresh");
    let found = phone_tasks::resume(&d.store, now(), false).await.unwrap();
    let ids = |v: &[PhoneTaskRow]| v.iter().map(|t| t.task_id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&found.lapsed), ["T-old"]);
    assert_eq!(found.lapsed[0].state, TaskState::Expired);
    assert_eq!(ids(&found.tasks), ["T-fresh"]);
}

/// A task_result endpoint that counts the polls in flight at once.
struct CountingVendor {
    url: String,
    peak: Arc<std::sync::atomic::AtomicUsize>,
    total: Arc<std::sync::atomic::AtomicUsize>,
}

async fn counting_vendor(delay: Duration) -> CountingVendor {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let now_in = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let total = Arc::new(AtomicUsize::new(0));
    let (n, p, t) = (now_in.clone(), peak.clone(), total.clone());
    let app = axum::Router::new().route(
        TASK_RESULT,
        axum::routing::post(move || {
            let (n, p, t) = (n.clone(), p.clone(), t.clone());
            async move {
                t.fetch_add(1, Ordering::SeqCst);
                let inside = n.fetch_add(1, Ordering::SeqCst) + 1;
                p.fetch_max(inside, Ordering::SeqCst);
                tokio::time::sleep(delay).await;
                n.fetch_sub(1, Ordering::SeqCst);
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    RING,
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    CountingVendor { url, peak, total }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_four_polls_are_in_flight_to_one_host() {
    use std::sync::atomic::Ordering;
    let vendor = counting_vendor(Duration::from_millis(300)).await;
    let mut config = mock_config(&vendor.url);
    config.http.timeout_secs = 5;
    let d = desk();
    let ids: Vec<String> = (0..10).map(|i| format!("T-burst-{i}")).collect();
    for id in &ids {
        d.add(id);
    }
    // Two clients (as a console and another poller in one process would have), one host:
    // one gate.
    let clients = [
        VendorClient::new(&config).unwrap(),
        VendorClient::new(&config).unwrap(),
    ];
    let gates = [PollGate::for_config(&config), PollGate::for_config(&config)];
    assert!(Arc::ptr_eq(&gates[0], &gates[1]));
    let rows = phone_tasks::resumable(&d.store, now(), false)
        .await
        .unwrap();
    assert_eq!(rows.len(), 10);
    let polls = rows.iter().enumerate().map(|(i, row)| {
        phone_tasks::poll_task(
            &clients[i % 2],
            &gates[i % 2],
            &d.store,
            row,
            &d.origin,
            now(),
        )
    });
    for poll in futures::future::join_all(polls).await {
        assert!(matches!(poll.unwrap(), TaskPoll::Done { .. }));
    }
    assert_eq!(vendor.total.load(Ordering::SeqCst), 10);
    let peak = vendor.peak.load(Ordering::SeqCst);
    assert!(
        (2..=phone_tasks::MAX_POLLS_PER_HOST).contains(&peak),
        "peak {peak}"
    );
    assert_eq!(gates[0].in_flight(), 0);
}

#[tokio::test]
async fn a_rate_limit_holds_back_every_task_polling_that_host() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(TASK_RESULT))
        .and(body_string_contains("T-limited"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_raw(refusal("RATE_LIMIT_EXCEEDED"), "application/json"),
        )
        .mount(&server)
        .await;
    answer(&server, 200, RING, "application/json", None).await;
    let config = mock_config(&server.uri());
    let client = VendorClient::new(&config).unwrap();
    let gate = PollGate::for_config(&config);
    let d = desk();
    d.add("T-limited");
    d.add("T-other");
    let poll = phone_tasks::poll_task(
        &client,
        &gate,
        &d.store,
        &d.task("T-limited"),
        &d.origin,
        now(),
    )
    .await
    .unwrap();
    assert!(matches!(poll, TaskPoll::Retry { .. }), "{poll:?}");
    // The whole host's schedule is slowed, not just the task that was told.
    assert_eq!(gate.slowdown(), 2);
    assert_eq!(gate.delay(0), phone_tasks::next_poll_delay(0) * 2);
    assert!(gate.wait_at(std::time::Instant::now()) > Duration::from_secs(5));
    // Another task's poll waits for the hold: nothing reaches the vendor meanwhile.
    let other = d.task("T-other");
    let waiting = tokio::time::timeout(
        Duration::from_millis(500),
        phone_tasks::poll_task(&client, &gate, &d.store, &other, &d.origin, now()),
    )
    .await;
    assert!(waiting.is_err(), "the other task's poll went out at once");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    assert_eq!(d.task("T-other").attempts, 0);
    assert_eq!(d.task("T-other").state, TaskState::Pending);
}
