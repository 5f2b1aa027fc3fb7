//! Who and why, in the console: a check run with the form's Purpose stores it with the
//! lookup, and opening a stored lookup adds an access-log row (action `open`, the purpose);
//! a log that cannot be written is said, and the lookup is shown all the same. Through the
//! console's real I/O layer (`Live`) on the built-in sandbox.

use riskdesk::applicant::{Applicant, CheckOptions, prepare};
use riskdesk::check::CheckKind;
use riskdesk::config::Config;
use riskdesk::history::{AccessQuery, History, SqliteHistory};
use riskdesk::lookup::Origin;
use riskdesk::phone_tasks::PollGate;
use riskdesk::sandbox::{Sandbox, SandboxOptions};
use riskdesk::tui::live::Live;
use riskdesk::tui::message::Message;
use riskdesk::vendor::VendorClient;

#[tokio::test]
async fn a_run_stores_its_purpose_and_opening_the_lookup_is_access_logged() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let mut config = Config::default();
    riskdesk::cli::point_at_sandbox(&mut config, &sandbox);
    let dir = tempfile::tempdir().unwrap();
    let live = Live::new(
        VendorClient::new(&config).unwrap(),
        PollGate::for_config(&config),
        dir.path().to_path_buf(),
        Origin {
            operator: "tester".into(),
            sandbox: true,
            purpose: None,
        },
        Default::default(),
    );
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
