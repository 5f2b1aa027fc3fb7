//! Who and why, in the console: a check run with the form's Purpose stores it with the
//! lookup, and opening a stored lookup adds an access-log row (action `open`, the purpose);
//! a log that cannot be written is said, and the lookup is shown all the same. Opening an
//! applicant's case adds one row (action `case`, every lookup shown). A team's phone tasks
//! say who submitted them (from their lookups), and each desk lists its own first. Through
//! the console's real I/O layer (`Live`) on the built-in sandbox.

use riskdesk::applicant::{Applicant, CheckOptions, prepare};
use riskdesk::check::CheckKind;
use riskdesk::check::Outcome;
use riskdesk::config::Config;
use riskdesk::history::case::CaseKey;
use riskdesk::history::{
    AccessQuery, History, LookupRecord, PhoneTaskRow, SqliteHistory, TaskState,
};
use riskdesk::lookup::Origin;
use riskdesk::phone_tasks::PollGate;
use riskdesk::sandbox::{Sandbox, SandboxOptions};
use riskdesk::tui::case_file::Mark;
use riskdesk::tui::live::Live;
use riskdesk::tui::message::Message;
use riskdesk::tui::{App, AppSettings};
use riskdesk::vendor::VendorClient;

/// The console's I/O layer for OS user `tester`, its history in `dir`, on `sandbox`.
fn live_on(sandbox: &Sandbox, dir: &std::path::Path) -> Live {
    let mut config = Config::default();
    riskdesk::cli::point_at_sandbox(&mut config, sandbox);
    Live::new(
        VendorClient::new(&config).unwrap(),
        PollGate::for_config(&config),
        dir.to_path_buf(),
        Origin {
            operator: "tester".into(),
            sandbox: true,
            purpose: None,
        },
        Default::default(),
    )
}

#[tokio::test]
async fn a_run_stores_its_purpose_and_opening_the_lookup_is_access_logged() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let live = live_on(&sandbox, dir.path());
    let applicant = Applicant {
        country: "ID".into(),
        phone: "081234567890".into(),
        ..Default::default()
    };
    let now = riskdesk::applicant::local_now();
    let request = prepare(
        CheckKind::DebtsReport,
        &applicant,
        &CheckOptions::default(),
        now,
    )
    .unwrap();

    let Message::CheckAnswered { answer, .. } = live
        .run_check(1, request, Some("application 8841".into()))
        .await
    else {
        panic!("not an answer")
    };
    let id = answer.lookup_id.expect("stored");
    let store = SqliteHistory::open_in_data_dir(dir.path()).unwrap();
    let rec = store.get(id).unwrap().expect("in history");
    assert_eq!(rec.purpose.as_deref(), Some("application 8841"));
    assert!(
        store
            .access(&AccessQuery {
                lookup: Some(id),
                ..Default::default()
            })
            .unwrap()
            .is_empty(),
        "a run is not an access"
    );

    let Message::LookupOpened { lookup, not_logged } =
        live.open_lookup(id, Some("complaint 1234".into())).await
    else {
        panic!("not an opened lookup")
    };
    assert_eq!(lookup.expect("opened").row.id, id);
    assert_eq!(not_logged, None);
    let rows = store
        .access(&AccessQuery {
            lookup: Some(id),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].action, "open");
    assert_eq!(rows[0].os_user, "tester");
    assert_eq!(rows[0].lookup_ids, vec![id]);
    assert_eq!(rows[0].purpose.as_deref(), Some("complaint 1234"));

    // A log the store refuses is said; the lookup is shown all the same.
    rusqlite::Connection::open(dir.path().join("history.db"))
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON access_log \
             BEGIN SELECT RAISE(ABORT, 'log refused (test)'); END;",
        )
        .unwrap();
    let Message::LookupOpened { lookup, not_logged } = live.open_lookup(id, None).await else {
        panic!("not an opened lookup")
    };
    assert!(lookup.is_ok());
    assert!(
        not_logged
            .as_deref()
            .unwrap_or("")
            .contains("log refused (test)"),
        "{not_logged:?}"
    );
}

/// Runs `check` on the sandbox for an Indonesian phone; answers the stored lookup id.
async fn run(live: &Live, check: CheckKind, phone: &str, purpose: &str) -> i64 {
    let applicant = Applicant {
        country: "ID".into(),
        phone: phone.into(),
        ..Default::default()
    };
    let now = riskdesk::applicant::local_now();
    let request = prepare(check, &applicant, &CheckOptions::default(), now).unwrap();
    let Message::CheckAnswered { answer, .. } =
        live.run_check(1, request, Some(purpose.into())).await
    else {
        panic!("not an answer")
    };
    answer.lookup_id.expect("stored")
}

#[tokio::test]
async fn opening_a_case_shows_every_lookup_and_logs_one_case_row() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let live = live_on(&sandbox, dir.path());
    // The sandbox's sequence applicant: its willingness score falls 701 → 640 → 540.
    let phone = "0812-4012-0001";
    let w = CheckKind::CreditWillingness;
    let mut ids = Vec::new();
    for purpose in ["application 8841", "application 8842", "review"] {
        ids.push(run(&live, w, phone, purpose).await);
    }
    ids.push(run(&live, CheckKind::DebtsReport, phone, "review").await);
    // Someone else: never in this case.
    run(&live, w, "0812-9999-0001", "application 9").await;

    let key = |p: &str| vec![CaseKey::Phone(p.into())];
    let Message::CaseGathered {
        seq,
        case,
        not_logged,
    } = live
        .gather_case(7, key("+62 812 4012 0001"), Some("complaint 1234".into()))
        .await
    else {
        panic!("not a case")
    };
    assert_eq!((seq, not_logged), (7, None));
    let file = case.expect("gathered");
    assert_eq!(
        file.lookup_ids(),
        ids,
        "every lookup of the applicant, oldest first"
    );
    let scores: Vec<i64> = file.entries.iter().filter_map(|e| e.score).collect();
    assert_eq!(scores, [701, 640, 540]);
    let newest = file.entries.iter().rfind(|e| e.check == w).unwrap();
    let change = newest.fields[0].change.as_ref().expect("the score changed");
    assert_eq!(
        (newest.fields[0].name.as_str(), change.was.as_str()),
        ("score", "640")
    );
    assert_eq!(change.mark, Mark::Down);

    let store = SqliteHistory::open_in_data_dir(dir.path()).unwrap();
    let rows = store.access(&AccessQuery::default()).unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].action, "case");
    assert_eq!(rows[0].os_user, "tester");
    assert_eq!(rows[0].lookup_ids, ids);
    assert_eq!(rows[0].purpose.as_deref(), Some("complaint 1234"));

    // Nobody by that number: an empty case, and nothing was seen, so nothing is logged.
    let Message::CaseGathered { case, .. } = live.gather_case(8, key("0812-7777-0001"), None).await
    else {
        panic!("not a case")
    };
    assert!(case.expect("gathered").entries.is_empty());
    assert_eq!(store.access(&AccessQuery::default()).unwrap().len(), 1);
}

#[tokio::test]
async fn a_teams_phone_tasks_say_who_submitted_them_and_each_desk_lists_its_own_first() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let live = live_on(&sandbox, dir.path());
    let store = SqliteHistory::open_in_data_dir(dir.path()).unwrap();
    let now = time::OffsetDateTime::now_utc();
    // Tasks as two desks leave them: the task row does not say who; its lookup does.
    for (i, (task_id, who)) in [("T-bob", "bob"), ("T-mine", "tester"), ("T-bob-2", "bob")]
        .into_iter()
        .enumerate()
    {
        // Oldest first, as the store lists them.
        let now = now - time::Duration::minutes(5 - i as i64);
        let rec = LookupRecord {
            id: 0,
            created_at: now,
            operator: who.into(),
            purpose: None,
            sandbox: true,
            check: CheckKind::PhoneStatus,
            identity: riskdesk::applicant::Identity {
                phone_e164: "+525512340001".into(),
                country: "MX".into(),
                ..Default::default()
            },
            request: serde_json::json!({}),
            http_status: Some(200),
            vendor_status: Some("OK".into()),
            vendor_request_id: None,
            outcome: Outcome::Pending,
            error_kind: None,
            error_message: None,
            latency_ms: 1,
            raw_response: Vec::new(),
            report: None,
            task_id: Some(task_id.into()),
            attempts: Vec::new(),
        };
        let task = PhoneTaskRow {
            task_id: task_id.into(),
            lookup_id: 0,
            phone_e164: "+525512340001".into(),
            submitted_at: now,
            expires_at: now + time::Duration::hours(24),
            state: TaskState::Pending,
            last_poll_at: None,
            attempts: 0,
            result: None,
            error: None,
            sandbox: true,
        };
        store.record(&rec, Some(&task)).unwrap();
    }
    let loaded = live.load_tasks().await;
    let Message::TasksLoaded(Ok(views)) = loaded.clone() else {
        panic!("{loaded:?}")
    };
    let by: Vec<(&str, &str)> = views
        .iter()
        .map(|v| (v.task_id.as_str(), v.submitter.as_str()))
        .collect();
    assert_eq!(
        by,
        [("T-bob", "bob"), ("T-mine", "tester"), ("T-bob-2", "bob")]
    );
    // This desk's console lists its own task first, the team's after it.
    let mut app = App::new(
        AppSettings {
            operator: "tester".into(),
            sandbox: true,
            ..AppSettings::default()
        },
        now,
    );
    app.update(loaded);
    let order: Vec<&str> = app.tasks.list.iter().map(|t| t.task_id.as_str()).collect();
    assert_eq!(order, ["T-mine", "T-bob", "T-bob-2"]);
}

/// A desk following a team task polls only on the team's schedule: a task another desk
/// polled a moment ago is not polled again (nothing reaches the vendor; the next poll is
/// due a delay after that poll), and a task another desk ended is shown ended, not polled.
#[tokio::test]
async fn a_console_follows_the_teams_schedule_and_sees_tasks_ended_elsewhere() {
    use riskdesk::tui::model::TaskStatus;
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let live = live_on(&sandbox, dir.path());
    let store = SqliteHistory::open_in_data_dir(dir.path()).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let task = |id: &str, state: TaskState, last_poll_at| PhoneTaskRow {
        task_id: id.into(),
        lookup_id: 0,
        phone_e164: "+525512340001".into(),
        submitted_at: now - time::Duration::minutes(1),
        expires_at: now + time::Duration::hours(24),
        state,
        last_poll_at,
        attempts: 1,
        result: None,
        error: None,
        sandbox: true,
    };
    store
        .add_task(&task("T-just-polled", TaskState::Pending, Some(now)))
        .unwrap();
    store
        .add_task(&task("T-ended", TaskState::Done, Some(now)))
        .unwrap();
    let polled = |m: Message| match m {
        Message::TaskPolled { update, .. } => update.expect("an update"),
        other => panic!("{other:?}"),
    };
    let u = polled(live.poll_task("T-just-polled".into()).await);
    assert_eq!(u.task.status, TaskStatus::Pending);
    assert!(
        u.task.next_poll_at > now,
        "due a delay after the team's poll"
    );
    assert!(u.answer.is_none());
    let u = polled(live.poll_task("T-ended".into()).await);
    assert_eq!(u.task.status, TaskStatus::Done);
    assert!(u.task.reason.contains("another desk"), "{}", u.task.reason);
    assert!(u.answer.is_none());
    let sent: u64 = sandbox.stats().requests.values().sum();
    assert_eq!(sent, 0, "nothing reached the vendor");
    // The stored task is left as the team left it.
    assert_eq!(store.task("T-just-polled").unwrap().unwrap().attempts, 1);
}
