//! The life of a phone task through the real client, the sandbox over loopback and the
//! store: pending polls, resolution, a never-resolving task expiring at 24 h (an injected
//! clock: no real waiting), the poll lease, transient failures.

use riskdesk::applicant::{Applicant, CheckOptions, prepare};
use riskdesk::check::{CheckKind, Outcome};
use riskdesk::config::Config;
use riskdesk::history::{Store, TaskState};
use riskdesk::lookup::{Origin, record_from_result};
use riskdesk::phone_tasks::{self, TaskPoll};
use riskdesk::report::Report;
use riskdesk::sandbox::{ManualClock, Sandbox, SandboxOptions};
use riskdesk::vendor::VendorClient;
use std::sync::{Arc, Mutex};
use std::time::Duration;

struct World {
    clock: Arc<ManualClock>,
    sandbox: Sandbox,
    client: VendorClient,
    store: Mutex<Store>,
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
        sandbox,
        store: Mutex::new(Store::open_in_data_dir(dir.path()).unwrap()),
        origin: Origin {
            operator: "tester".into(),
            sandbox: true,
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
        let mut store = self.store.lock().unwrap();
        let lookup_id = store.record(&rec).unwrap();
        let task = phone_tasks::new_task(
            &result,
            lookup_id,
            &req.identity.phone_e164,
            true,
            time::OffsetDateTime::now_utc(),
        )
        .unwrap();
        store.add_task(&task).unwrap();
        task
    }

    fn task(&self, id: &str) -> riskdesk::history::PhoneTaskRow {
        self.store.lock().unwrap().task(id).unwrap().unwrap()
    }

    async fn poll(&self, id: &str, now: time::OffsetDateTime) -> TaskPoll {
        let task = self.task(id);
        phone_tasks::poll_task(&self.client, &self.store, &task, &self.origin, now)
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
        TaskPoll::Done { result, lookup_id } => {
            match result.report {
                Some(Report::PhoneStatus(p)) => assert_eq!(p.phone_status.as_str(), "ring"),
                other => panic!("{other:?}"),
            }
            let row = w.store.lock().unwrap().get(lookup_id).unwrap().unwrap();
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
    assert!(w.store.lock().unwrap().pending_tasks().unwrap().is_empty());
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
            .lock()
            .unwrap()
            .claim_task(&task.task_id, now(), Duration::from_secs(60))
            .unwrap()
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
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        phone_tasks::resumable(&w.store, now(), true).unwrap().len(),
        1
    );
    let real = Origin {
        operator: "tester".into(),
        sandbox: false,
    };
    let err = phone_tasks::poll_task(&w.client, &w.store, &w.task(&task.task_id), &real, now())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("sandbox"), "{err}");
    assert_eq!(w.task(&task.task_id).attempts, 0);
    w.sandbox.shutdown().await;
}
