//! Saved or said, in the console: an answer history refuses is shown NOT SAVED, retried in
//! the background until stored, and written to `unsaved-*.jsonl` at quit if it never was.
//! Through the console's real I/O layer (`Live`) on the built-in sandbox, and `App::update`.

use riskdesk::applicant::{Applicant, CheckOptions, prepare};
use riskdesk::check::CheckKind;
use riskdesk::config::Config;
use riskdesk::history::{History, SqliteHistory};
use riskdesk::lookup::Origin;
use riskdesk::phone_tasks::PollGate;
use riskdesk::sandbox::{Sandbox, SandboxOptions};
use riskdesk::tui::app::{App, AppSettings};
use riskdesk::tui::live::Live;
use riskdesk::tui::message::{Command, Message};
use riskdesk::vendor::VendorClient;

const REFUSE: &str = "CREATE TRIGGER refuse BEFORE INSERT ON lookups BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END;";

fn sql(dir: &std::path::Path, batch: &str) {
    let conn = rusqlite::Connection::open(dir.join("history.db")).unwrap();
    conn.execute_batch(batch).unwrap();
}

#[tokio::test]
async fn an_answer_history_refuses_is_not_saved_then_saved_once_it_is_free() {
    let sandbox = Sandbox::start(SandboxOptions::default()).await.unwrap();
    let mut config = Config::default();
    riskdesk::cli::point_at_sandbox(&mut config, &sandbox);
    let dir = tempfile::tempdir().unwrap();
    // The store exists and opens, but refuses every new lookup (as a full disk would).
    drop(SqliteHistory::open_in_data_dir(dir.path()).unwrap());
    sql(dir.path(), REFUSE);
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

    let Message::CheckAnswered { answer, .. } = live.run_check(1, request.clone(), None).await
    else {
        panic!("not an answer")
    };
    let not_saved = answer.unsaved.clone().expect("marked NOT SAVED");
    assert!(not_saved.why.contains("disk full (test)"), "{not_saved:?}");
    assert_eq!(answer.lookup_id, None);
    assert!(
        answer.report.is_some(),
        "the paid answer is shown all the same"
    );

    let mut app = App::new(AppSettings::default(), time::OffsetDateTime::now_utc());
    app.update(Message::CheckAnswered {
        run_id: 1,
        answer: answer.clone(),
    });
    assert!(app.unsaved.contains(&not_saved.key));
    assert!(app.wants_tick(), "the retry needs the clock");
    // Five seconds on, a tick asks the runtime to try again.
    app.set_now(time::OffsetDateTime::now_utc() + time::Duration::seconds(6));
    let commands = app.update(Message::Tick);
    assert!(
        commands.iter().any(|c| matches!(c, Command::RetryUnsaved)),
        "{commands:?}"
    );

    // Still refused: nothing saved, it stays NOT SAVED.
    let Message::UnsavedRetried { saved, error } = live.retry_unsaved().await else {
        panic!("not a retry report")
    };
    assert!(saved.is_empty() && error.is_some());

    // The store is free again: the retry stores it, and the screen says so.
    sql(dir.path(), "DROP TRIGGER refuse;");
    let report = live.retry_unsaved().await;
    let Message::UnsavedRetried { saved, error } = &report else {
        panic!("not a retry report")
    };
    assert_eq!((saved.len(), error), (1, &None));
    let (key, id) = saved[0];
    assert_eq!(key, not_saved.key);
    app.update(report);
    assert!(app.unsaved.is_empty());
    let history = SqliteHistory::open_in_data_dir(dir.path()).unwrap();
    let stored = history.get(id).unwrap().expect("stored");
    assert_eq!(stored.raw_response, answer.raw);
    assert!(
        live.write_unsaved().is_none(),
        "nothing left for the quit file"
    );

    // Refused again and never freed: at quit it goes to unsaved-*.jsonl, which import takes.
    sql(dir.path(), REFUSE);
    let Message::CheckAnswered { answer, .. } = live.run_check(2, request, None).await else {
        panic!("not an answer")
    };
    assert!(answer.unsaved.is_some());
    let (path, n) = live.write_unsaved().expect("something to write").unwrap();
    assert_eq!(n, 1);
    assert!(
        path.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("unsaved-")
    );
    sql(dir.path(), "DROP TRIGGER refuse;");
    let stats = riskdesk::history::import_jsonl(
        &history,
        &mut std::io::BufReader::new(std::fs::File::open(&path).unwrap()),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(stats.added, 1);
    sandbox.shutdown().await;
}
