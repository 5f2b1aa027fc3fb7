//! The console without a terminal: flows through `App::update` with scripted messages,
//! screens as insta snapshots of `TestBackend`, and theme contrast.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use riskdesk::check::{CheckKind, Outcome};
use riskdesk::report::parse_report;
use riskdesk::tui::app::{Level, MIN_HEIGHT, MIN_WIDTH};
use riskdesk::tui::convert::report_view;
use riskdesk::tui::form::{FieldId, Readiness};
use riskdesk::tui::model::{
    Answer, ErrorView, HistoryRow, StoredLookup, TaskStatus, TaskUpdate, TaskView,
};
use riskdesk::tui::theme::{FOREGROUND_SLOTS, Theme, builtin_names};
use riskdesk::tui::{App, AppSettings, Command, Message, Pane, Screen, Slot, view};
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-03-03 14:05:00 UTC);

fn app() -> App {
    app_with(AppSettings::default())
}

fn app_with(settings: AppSettings) -> App {
    let mut a = App::new(settings, NOW);
    a.set_now(NOW);
    a
}

fn key(code: KeyCode) -> Message {
    Message::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(c: char) -> Message {
    Message::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn chr(c: char) -> Message {
    let mods = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    Message::Key(KeyEvent::new(KeyCode::Char(c), mods))
}

fn type_into(app: &mut App, field: FieldId, text: &str) -> Vec<Command> {
    app.focus = Pane::Form;
    app.form.focus_field(field);
    let mut out = Vec::new();
    for c in text.chars() {
        out.extend(app.update(chr(c)));
    }
    out
}

fn country(app: &mut App, code: &str) {
    app.focus = Pane::Form;
    app.form.focus_field(FieldId::Country);
    while app.form.country_code() != code {
        app.update(key(KeyCode::Right));
    }
}

fn indonesian(app: &mut App) {
    country(app, "ID");
    type_into(app, FieldId::Phone, "0812 3456 7890");
    type_into(app, FieldId::IdNumber, "3171234567890123");
    type_into(app, FieldId::Name, "Siti Rahma");
}

fn mexican(app: &mut App, phone: &str) {
    country(app, "MX");
    type_into(app, FieldId::Phone, phone);
    type_into(app, FieldId::IdNumber, "GODE561231HDFRRN09");
    type_into(app, FieldId::Name, "Juan Perez");
}

fn run_ids(cmds: &[Command]) -> Vec<(u64, CheckKind)> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::RunCheck { run_id, request } => Some((*run_id, request.check)),
            _ => None,
        })
        .collect()
}

fn find_recent_ids(cmds: &[Command]) -> Vec<(u64, CheckKind)> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::FindRecent { run_id, check, .. } => Some((*run_id, *check)),
            _ => None,
        })
        .collect()
}

const DEBTS_BODY: &str = r#"{"status":"OK","result":{"reg_total_num":24,"apply_total_num ":6,"approved_total_num ":2,"reject_total_num ":4,"loan_total_num ":2,"apply_amount_min ":4000,"apply_amount_max ":8000,"apply_amount_avg ":6000,"loan_amount_min ":3000,"loan_amount_max ":1250000.5,"loan_amount_avg ":4500,"platform_reg_total ":7,"platform_apply_total":4,"platform_approved_total ":3,"platform_reject_total ":1,"platform_loan_total ":2},"request_id":"TID591cb9fb0e284cf296912a4d0ffea889"}"#;
const ORDERS_BODY: &str = r#"{"status":"OK","result":{"target":true,"count":2,"data":[{"day":"2022-10-03","source":"seat","cid":"11323","duration":"17","level":5},{"day":"2022-10-03","source":"seat","cid":11323,"duration":11,"level":4}]},"request_id":"TIDebc4954bc59c4f9b8437c390d188442d"}"#;
const PHONE_BODY: &str = r#"{"status":"OK","result":{"phone_number":"0052********","phone_status":"turned_off"},"request_id":"TID0phone"}"#;
const MULTI_BODY: &str = r#"{"code":200,"sequence_id":"53b63090c0374cad82f8991e","data":[{"indicator_name":"loan_apps_90d","indicator_status":200,"indicator_value":12000},{"indicator_name":"overdue_platforms","indicator_status":201,"indicator_value":-999},{"indicator_name":"score_v2","indicator_status":202,"indicator_value":"-1111"}]}"#;
const WILL_BODY: &str = r#"{"code":200,"detail":null,"message":"Success","order_id":"123","result":null,"score":"838","sequence_id":"1715242432854559I30332E092745515"}"#;

fn ok_answer(check: CheckKind, body: &str) -> Answer {
    let report = parse_report(check, body.as_bytes()).expect("sample parses");
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    let id = v
        .get("request_id")
        .or_else(|| v.get("sequence_id"))
        .and_then(|x| x.as_str())
        .unwrap_or("")
        .to_string();
    Answer {
        check,
        outcome: Outcome::Ok,
        vendor_status: "OK".into(),
        request_id: id,
        latency_ms: 182,
        raw: body.as_bytes().to_vec(),
        report: Some(report_view(&report)),
        error: None,
        task_id: None,
        warnings: Vec::new(),
        lookup_id: Some(7),
        unsaved: None,
        at: NOW,
    }
}

fn not_hit(check: CheckKind) -> Answer {
    Answer {
        outcome: Outcome::NotHit,
        vendor_status: "NOT_HIT".into(),
        report: None,
        raw: br#"{"status":"NOT_HIT","request_id":"TIDnothit"}"#.to_vec(),
        request_id: "TIDnothit".into(),
        ..ok_answer(CheckKind::DebtsReport, DEBTS_BODY)
    }
    .with_check(check)
}

fn error_answer(check: CheckKind) -> Answer {
    Answer {
        outcome: Outcome::Error,
        vendor_status: "OUT_OF_QUOTA".into(),
        report: None,
        error: Some(ErrorView {
            kind: "out of quota".into(),
            message: "API calls quota exceeded".into(),
            hint: "Ask your account manager to top up the quota; do not retry now.".into(),
            code: "OUT_OF_QUOTA".into(),
        }),
        raw: br#"{"status":"OUT_OF_QUOTA","request_id":"TIDerr"}"#.to_vec(),
        request_id: "TIDerr".into(),
        ..ok_answer(CheckKind::DebtsReport, DEBTS_BODY)
    }
    .with_check(check)
}

fn pending_answer(task: &str) -> Answer {
    Answer {
        outcome: Outcome::Pending,
        vendor_status: "PENDING".into(),
        report: None,
        task_id: Some(task.into()),
        raw: br#"{"status":"OK","task_id":"T-1"}"#.to_vec(),
        request_id: "TIDpending".into(),
        ..ok_answer(CheckKind::PhoneStatus, PHONE_BODY)
    }
}

trait WithCheck {
    fn with_check(self, check: CheckKind) -> Self;
}
impl WithCheck for Answer {
    fn with_check(mut self, check: CheckKind) -> Self {
        self.check = check;
        self
    }
}

/// Runs every offered check and answers the history lookups with "nothing stored".
fn run_all_fresh(app: &mut App) -> Vec<(u64, CheckKind)> {
    let cmds = app.update(ctrl('r'));
    let finds = find_recent_ids(&cmds);
    let mut runs = Vec::new();
    for (run_id, _) in finds {
        let cmds = app.update(Message::RecentFound {
            run_id,
            found: Ok(None),
        });
        runs.extend(run_ids(&cmds));
    }
    runs
}

// ---------- flows ----------

#[test]
fn fill_form_validates_as_you_type() {
    let mut a = app();
    country(&mut a, "ID");
    type_into(&mut a, FieldId::Phone, "0812");
    assert!(
        !a.form.errors_for(FieldId::Phone).is_empty(),
        "a short phone is flagged while typing"
    );
    type_into(&mut a, FieldId::Phone, " 3456 7890");
    assert!(a.form.errors_for(FieldId::Phone).is_empty());
    assert_eq!(a.form.readiness(CheckKind::DebtsReport), Readiness::Ready);
    assert!(matches!(
        a.form.readiness(CheckKind::PhoneStatus),
        Readiness::NotOffered(_)
    ));
    type_into(&mut a, FieldId::Email, "nope");
    assert!(a.form.errors_for(FieldId::Email)[0].contains("not an email"));
}

#[test]
fn typing_never_triggers_hotkeys_but_ctrl_c_quits() {
    let mut a = app();
    let cmds = type_into(&mut a, FieldId::Name, "Quinn Rivera");
    assert!(cmds.is_empty());
    assert!(!a.quit);
    assert_eq!(a.form.text(FieldId::Name), "Quinn Rivera");
    // Outside a text input, q quits.
    a.focus = Pane::Results;
    assert!(matches!(a.update(chr('q'))[..], [Command::Quit]));
    let mut b = app();
    b.form.focus_field(FieldId::Name);
    assert!(matches!(b.update(ctrl('c'))[..], [Command::Quit]));
}

#[test]
fn paste_goes_into_the_focused_field() {
    let mut a = app();
    country(&mut a, "ID");
    a.form.focus_field(FieldId::Phone);
    a.update(Message::Paste("+62 812-3456-7890\n".into()));
    assert_eq!(a.form.text(FieldId::Phone), "+62 812-3456-7890");
    assert_eq!(a.form.readiness(CheckKind::DebtsReport), Readiness::Ready);
}

#[test]
fn run_all_answers_in_any_order() {
    let mut a = app();
    indonesian(&mut a);
    let runs = run_all_fresh(&mut a);
    let checks: Vec<CheckKind> = runs.iter().map(|(_, c)| *c).collect();
    assert_eq!(
        checks,
        vec![CheckKind::DebtsReport, CheckKind::CreditWillingness]
    );
    assert!(a.wants_tick(), "running checks show elapsed time");
    // The second answer arrives first.
    a.update(Message::CheckAnswered {
        run_id: runs[1].0,
        answer: Box::new(ok_answer(CheckKind::CreditWillingness, WILL_BODY)),
    });
    assert!(matches!(
        a.slot(CheckKind::DebtsReport),
        Slot::Running { .. }
    ));
    a.update(Message::CheckAnswered {
        run_id: runs[0].0,
        answer: Box::new(error_answer(CheckKind::DebtsReport)),
    });
    assert!(matches!(
        a.slot(CheckKind::CreditWillingness),
        Slot::Done { .. }
    ));
    let Slot::Done { answer, .. } = a.slot(CheckKind::DebtsReport) else {
        panic!("debts done");
    };
    assert_eq!(answer.outcome, Outcome::Error);
    assert!(!a.wants_tick(), "idle: no tick");
}

#[test]
fn invalid_form_runs_nothing_and_says_why() {
    let mut a = app();
    country(&mut a, "ID");
    let cmds = a.update(ctrl('r'));
    assert!(cmds.is_empty());
    let notice = a.notice.clone().unwrap();
    assert_eq!(notice.level, Level::Error);
    assert!(notice.text.contains("phone"), "{}", notice.text);
    assert!(!a.form.errors_for(FieldId::Phone).is_empty());
}

#[test]
fn cancel_stops_waiting_and_ignores_the_late_answer() {
    let mut a = app();
    indonesian(&mut a);
    let runs = run_all_fresh(&mut a);
    a.focus = Pane::Results;
    a.tab = 0;
    let cmds = a.update(chr('c'));
    assert!(matches!(cmds[..], [Command::CancelRun { run_id }] if run_id == runs[0].0));
    assert_eq!(a.slot(CheckKind::DebtsReport), &Slot::Cancelled);
    a.update(Message::CheckAnswered {
        run_id: runs[0].0,
        answer: Box::new(ok_answer(CheckKind::DebtsReport, DEBTS_BODY)),
    });
    assert_eq!(a.slot(CheckKind::DebtsReport), &Slot::Cancelled);
    // The other check still runs.
    assert!(matches!(
        a.slot(CheckKind::CreditWillingness),
        Slot::Running { .. }
    ));
}

#[test]
fn rerun_within_window_shows_stored_and_asks() {
    let mut a = app();
    indonesian(&mut a);
    a.focus = Pane::Results;
    a.tab = 0;
    let cmds = a.update(chr('r'));
    let [(run_id, CheckKind::DebtsReport)] = find_recent_ids(&cmds)[..] else {
        panic!("{cmds:?}");
    };
    a.update(Message::RecentFound {
        run_id,
        found: Ok(Some(Box::new(ok_answer(
            CheckKind::DebtsReport,
            DEBTS_BODY,
        )))),
    });
    assert_eq!(a.confirming(), Some(CheckKind::DebtsReport));
    // Keys other than y/n do nothing while asking.
    assert!(a.update(chr('R')).is_empty());
    let cmds = a.update(chr('y'));
    assert_eq!(run_ids(&cmds), vec![(run_id, CheckKind::DebtsReport)]);

    // Saying no keeps the stored result, marked as stored.
    let mut b = app();
    indonesian(&mut b);
    b.focus = Pane::Results;
    let cmds = b.update(chr('r'));
    let run_id = find_recent_ids(&cmds)[0].0;
    b.update(Message::RecentFound {
        run_id,
        found: Ok(Some(Box::new(ok_answer(
            CheckKind::DebtsReport,
            DEBTS_BODY,
        )))),
    });
    assert!(b.update(chr('n')).is_empty());
    assert!(matches!(
        b.slot(CheckKind::DebtsReport),
        Slot::Done { stored: true, .. }
    ));
}

#[test]
fn history_failure_does_not_block_the_call() {
    let mut a = app();
    indonesian(&mut a);
    a.focus = Pane::Results;
    let cmds = a.update(chr('r'));
    let run_id = find_recent_ids(&cmds)[0].0;
    let cmds = a.update(Message::RecentFound {
        run_id,
        found: Err("disk full".into()),
    });
    assert_eq!(run_ids(&cmds).len(), 1);
    assert!(a.notice.as_ref().unwrap().text.contains("disk full"));
}

fn pending_task(task_id: &str, phone: &str, attempts: u32, status: TaskStatus) -> TaskView {
    TaskView {
        task_id: task_id.into(),
        phone: phone.into(),
        created_at: NOW - time::Duration::minutes(3),
        attempts,
        next_poll_at: NOW + time::Duration::seconds(20),
        status,
        reason: String::new(),
    }
}

#[test]
fn phone_task_resolves_while_another_applicant_is_shown() {
    let mut a = app();
    mexican(&mut a, "+52 55 1234 5678");
    let phone = a.form.applicant().identity().phone_e164;
    a.focus = Pane::Results;
    a.tab = 2;
    a.update(key(KeyCode::Right)); // to multiplatform and back: tabs move
    a.update(key(KeyCode::Left));
    assert_eq!(a.current_check(), CheckKind::PhoneStatus);
    let cmds = a.update(chr('r'));
    let run_id = find_recent_ids(&cmds)[0].0;
    let cmds = a.update(Message::RecentFound {
        run_id,
        found: Ok(None),
    });
    assert_eq!(run_ids(&cmds).len(), 1);
    a.update(Message::CheckAnswered {
        run_id,
        answer: Box::new(pending_answer("T-1")),
    });
    assert_eq!(a.tasks.len(), 1);
    assert_eq!(a.tasks[0].phone, phone);
    assert!(a.wants_tick(), "a pending task keeps the clock running");

    // Another applicant is typed in.
    a.form.set_text(FieldId::Phone, "+52 33 9876 5432");
    a.form.validate(NOW);

    // Not due yet: no poll.
    assert!(a.update(Message::Tick).is_empty());
    a.set_now(NOW + time::Duration::seconds(30));
    let cmds = a.update(Message::Tick);
    assert!(matches!(&cmds[..], [Command::PollTask { task_id }] if task_id == "T-1"));
    // Never two polls in flight.
    assert!(a.update(Message::Tick).is_empty());

    let mut done = pending_task("T-1", &phone, 1, TaskStatus::Done);
    done.created_at = NOW;
    a.update(Message::TaskPolled {
        task_id: "T-1".into(),
        update: Ok(Box::new(TaskUpdate {
            task: done,
            answer: Some(ok_answer(CheckKind::PhoneStatus, PHONE_BODY)),
        })),
    });
    let notice = a.notice.clone().unwrap();
    assert!(
        notice.text.contains("not the applicant on screen"),
        "{}",
        notice.text
    );
    assert!(notice.text.contains("turned off"), "{}", notice.text);
    assert!(
        !notice.text.contains("5512345678"),
        "masked: {}",
        notice.text
    );
    // The on-screen applicant's tab keeps its own state.
    assert!(matches!(
        a.slot(CheckKind::PhoneStatus),
        Slot::Done { answer, .. } if answer.outcome == Outcome::Pending
    ));
    assert!(!a.wants_tick());
    // Back to the first applicant: the finished result is in their phone tab.
    a.focus = Pane::Form;
    a.form.focus_field(FieldId::Phone);
    a.form.set_text(FieldId::Phone, "");
    a.update(Message::Paste("+52 55 1234 5678".into()));
    assert!(matches!(
        a.slot(CheckKind::PhoneStatus),
        Slot::Done { answer, .. } if answer.outcome == Outcome::Ok
    ));
    // The tasks panel opens the finished result read-only.
    a.focus = Pane::Tasks;
    a.update(key(KeyCode::Enter));
    let stored = a.stored.as_ref().expect("opened");
    assert_eq!(stored.answer.check, CheckKind::PhoneStatus);
    assert_eq!(a.current_check(), CheckKind::PhoneStatus);
}

#[test]
fn phone_task_fills_the_tab_of_the_applicant_on_screen() {
    let mut a = app();
    mexican(&mut a, "+52 55 1234 5678");
    let phone = a.form.applicant().identity().phone_e164;
    let cmds = a.update(Message::TasksLoaded(Ok(vec![pending_task(
        "T-9",
        &phone,
        2,
        TaskStatus::Pending,
    )])));
    assert!(cmds.is_empty(), "not due yet");
    a.set_now(NOW + time::Duration::minutes(1));
    assert_eq!(a.update(Message::Tick).len(), 1);
    a.update(Message::TaskPolled {
        task_id: "T-9".into(),
        update: Ok(Box::new(TaskUpdate {
            task: pending_task("T-9", &phone, 3, TaskStatus::Done),
            answer: Some(ok_answer(CheckKind::PhoneStatus, PHONE_BODY)),
        })),
    });
    assert!(matches!(
        a.slot(CheckKind::PhoneStatus),
        Slot::Done { answer, .. } if answer.outcome == Outcome::Ok
    ));
    // Expired tasks say why.
    let mut expired = pending_task("T-10", &phone, 40, TaskStatus::Expired);
    expired.reason = "the vendor keeps a task for 24 h".into();
    a.update(Message::TaskPolled {
        task_id: "T-10".into(),
        update: Ok(Box::new(TaskUpdate {
            task: expired,
            answer: None,
        })),
    });
    assert!(a.notice.as_ref().unwrap().text.contains("24 h"));
}

fn history_row(id: i64, check: CheckKind, outcome: Outcome) -> HistoryRow {
    HistoryRow {
        id,
        at: NOW - time::Duration::days(id),
        check,
        outcome,
        phone: "+6281234567890".into(),
        id_number: "3171234567890123".into(),
        name: "Siti Rahma".into(),
        request_id: format!("TID{id:04}"),
        sandbox: true,
        operator: "ana".into(),
    }
}

fn stored(id: i64) -> StoredLookup {
    let mut identity = riskdesk::applicant::Identity {
        phone_e164: "+6281234567890".into(),
        id_number: "3171234567890123".into(),
        name: "Siti Rahma".into(),
        country: "ID".into(),
        ..Default::default()
    };
    identity.email = String::new();
    let mut request = serde_json::Map::new();
    request.insert("mobile_md5".into(), "abc".into());
    StoredLookup {
        row: history_row(id, CheckKind::DebtsReport, Outcome::Ok),
        identity,
        answer: ok_answer(CheckKind::DebtsReport, DEBTS_BODY),
        request,
    }
}

#[test]
fn history_search_is_latest_wins_and_reopens_read_only() {
    let mut a = app();
    let cmds = a.update(ctrl('f'));
    assert_eq!(a.screen, Screen::History);
    assert!(matches!(&cmds[..], [Command::Search { seq: 1, .. }]));
    let mut last = Vec::new();
    for c in "0812".chars() {
        last = a.update(chr(c));
    }
    let [Command::Search { seq, query }] = &last[..] else {
        panic!("{last:?}");
    };
    assert_eq!(*seq, 5);
    assert_eq!(query.text, "0812");
    // The newest answers first; an older search finishing late is dropped.
    a.update(Message::SearchResults {
        seq: 5,
        rows: Ok(vec![history_row(1, CheckKind::DebtsReport, Outcome::Ok)]),
    });
    a.update(Message::SearchResults {
        seq: 3,
        rows: Ok(vec![]),
    });
    assert_eq!(a.history.rows.len(), 1);
    // Filters issue new searches.
    let cmds = a.update(key(KeyCode::F(2)));
    assert!(
        matches!(&cmds[..], [Command::Search { query, .. }] if query.check == Some(CheckKind::DebtsReport))
    );
    let cmds = a.update(key(KeyCode::F(4)));
    assert!(matches!(&cmds[..], [Command::Search { query, .. }] if query.since.is_some()));

    // Open, export, copy, re-run.
    let cmds = a.update(key(KeyCode::Enter));
    assert!(matches!(cmds[..], [Command::OpenLookup { id: 1 }]));
    a.update(Message::LookupOpened(Ok(Box::new(stored(1)))));
    assert_eq!(a.screen, Screen::Review);
    assert_eq!(a.current_check(), CheckKind::DebtsReport);
    assert!(a.stored.is_some());
    assert!(matches!(
        a.update(chr('e'))[..],
        [Command::ExportLookup { id: 1 }]
    ));
    let cmds = a.update(chr('y'));
    assert!(
        matches!(&cmds[..], [Command::Copy(id)] if id == "TID591cb9fb0e284cf296912a4d0ffea889")
    );
    let cmds = a.update(chr('n'));
    assert_eq!(
        run_ids(&cmds),
        vec![(run_ids(&cmds)[0].0, CheckKind::DebtsReport)]
    );
    assert!(a.stored.is_none());
    assert!(
        a.form.hash_phone,
        "options come back from the stored request"
    );
    assert_eq!(a.form.country_code(), "ID");
}

#[test]
fn mouse_focuses_and_wheel_scrolls() {
    let mut a = app();
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    t.draw(|f| view::draw(f, &a)).unwrap();
    let tab = a.hits.borrow().tabs[3].0;
    a.update(Message::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: tab.x + 1,
        row: tab.y,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(a.focus, Pane::Results);
    assert_eq!(a.current_check(), CheckKind::Multiplatform);
    t.draw(|f| view::draw(f, &a)).unwrap();
    a.update(Message::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        column: tab.x + 1,
        row: tab.y + 3,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(a.scroll, 3);
    let field = a.hits.borrow().fields[3];
    a.update(Message::Mouse(MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: field.0.x + 2,
        row: field.0.y,
        modifiers: KeyModifiers::NONE,
    }));
    assert_eq!(a.focus, Pane::Form);
    assert_eq!(a.form.focused(), field.1);
}

#[test]
fn a_huge_rerun_window_never_panics() {
    let mut a = app_with(AppSettings {
        rerun_window_hours: u64::MAX,
        ..AppSettings::default()
    });
    indonesian(&mut a);
    assert_eq!(find_recent_ids(&a.update(ctrl('r'))).len(), 2);
}

#[test]
fn key_overrides_from_config() {
    let mut settings = AppSettings::default();
    settings.keys.insert("run_all".into(), "f5".into());
    settings.keys.insert("bogus".into(), "x".into());
    let mut a = app_with(settings);
    assert!(a.notice.as_ref().unwrap().text.contains("bogus"));
    indonesian(&mut a);
    assert_eq!(find_recent_ids(&a.update(key(KeyCode::F(5)))).len(), 2);
    assert!(a.keymap.help_rows().iter().any(|(k, _)| k == "F5"));
}

#[test]
fn builtin_themes_meet_wcag_aa() {
    for name in builtin_names() {
        let (t, problem) = Theme::load(name, None);
        assert!(problem.is_none());
        let text = t.text.contrast(t.background);
        assert!(text >= 4.5, "{name}: text {text:.2}");
        let sel = t.selection_fg.contrast(t.selection_bg);
        assert!(sel >= 4.5, "{name}: selection {sel:.2}");
        if name == "high-contrast" {
            for slot in FOREGROUND_SLOTS {
                let c = t.slot(slot).unwrap().contrast(t.background);
                assert!(c >= 4.5, "high-contrast {slot}: {c:.2}");
            }
        }
    }
}

// ---------- snapshots ----------

fn render(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| view::draw(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        let mut line = String::new();
        for x in 0..w {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn snap(name: &str, app: &App) {
    for (w, h) in [(80, 24), (200, 50)] {
        let text = render(app, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text);
    }
}

fn sandbox_app() -> App {
    app_with(AppSettings {
        sandbox: true,
        operator: "ana".into(),
        ..AppSettings::default()
    })
}

fn with_done(check: CheckKind, answer: Answer, country_code: &str) -> App {
    let mut a = sandbox_app();
    if country_code == "MX" {
        mexican(&mut a, "+52 55 1234 5678");
    } else if country_code == "IN" {
        country(&mut a, "IN");
        type_into(&mut a, FieldId::Phone, "+91 55866 85366");
    } else {
        indonesian(&mut a);
    }
    let identity = a.form.applicant().identity();
    let i = CheckKind::ALL.iter().position(|c| *c == check).unwrap();
    a.slots[i] = Slot::Done {
        answer: Box::new(answer),
        identity: Box::new(identity),
        stored: false,
    };
    a.tab = i;
    a.focus = Pane::Results;
    a
}

#[test]
fn snapshot_form_idle() {
    let mut a = sandbox_app();
    indonesian(&mut a);
    type_into(&mut a, FieldId::Email, "siti@");
    snap("form_idle", &a);
}

#[test]
fn snapshot_check_states() {
    snap(
        "debts_ok",
        &with_done(
            CheckKind::DebtsReport,
            ok_answer(CheckKind::DebtsReport, DEBTS_BODY),
            "ID",
        ),
    );
    snap(
        "orders_ok",
        &with_done(
            CheckKind::MultipleOrder,
            ok_answer(CheckKind::MultipleOrder, ORDERS_BODY),
            "IN",
        ),
    );
    snap(
        "phone_ok",
        &with_done(
            CheckKind::PhoneStatus,
            ok_answer(CheckKind::PhoneStatus, PHONE_BODY),
            "MX",
        ),
    );
    snap(
        "multiplatform_ok",
        &with_done(
            CheckKind::Multiplatform,
            ok_answer(CheckKind::Multiplatform, MULTI_BODY),
            "MX",
        ),
    );
    snap(
        "willingness_ok",
        &with_done(
            CheckKind::CreditWillingness,
            ok_answer(CheckKind::CreditWillingness, WILL_BODY),
            "ID",
        ),
    );
    snap(
        "debts_not_hit",
        &with_done(
            CheckKind::DebtsReport,
            not_hit(CheckKind::DebtsReport),
            "ID",
        ),
    );
    snap(
        "debts_error",
        &with_done(
            CheckKind::DebtsReport,
            error_answer(CheckKind::DebtsReport),
            "ID",
        ),
    );
    let mut pending = with_done(CheckKind::PhoneStatus, pending_answer("T-1"), "MX");
    let phone = pending.form.applicant().identity().phone_e164;
    pending.update(Message::TasksLoaded(Ok(vec![pending_task(
        "T-1",
        &phone,
        2,
        TaskStatus::Pending,
    )])));
    snap("phone_pending_with_task", &pending);

    let mut raw = with_done(
        CheckKind::DebtsReport,
        ok_answer(CheckKind::DebtsReport, DEBTS_BODY),
        "ID",
    );
    raw.update(chr('v'));
    snap("debts_raw", &raw);

    let mut running = sandbox_app();
    indonesian(&mut running);
    run_all_fresh(&mut running);
    running.set_now(NOW + time::Duration::seconds(7));
    running.focus = Pane::Results;
    snap("running", &running);

    let mut confirm = sandbox_app();
    indonesian(&mut confirm);
    confirm.focus = Pane::Results;
    let cmds = confirm.update(chr('r'));
    let run_id = find_recent_ids(&cmds)[0].0;
    confirm.update(Message::RecentFound {
        run_id,
        found: Ok(Some(Box::new(ok_answer(
            CheckKind::DebtsReport,
            DEBTS_BODY,
        )))),
    });
    snap("confirm_rerun", &confirm);

    let mut cancelled = sandbox_app();
    indonesian(&mut cancelled);
    run_all_fresh(&mut cancelled);
    cancelled.focus = Pane::Results;
    cancelled.update(chr('c'));
    snap("cancelled", &cancelled);
}

#[test]
fn snapshot_history_and_stored() {
    let mut a = sandbox_app();
    a.update(ctrl('f'));
    for c in "Siti".chars() {
        a.update(chr(c));
    }
    let seq = a.history.seq;
    a.update(Message::SearchResults {
        seq,
        rows: Ok(vec![
            history_row(1, CheckKind::DebtsReport, Outcome::Ok),
            history_row(2, CheckKind::CreditWillingness, Outcome::Error),
            history_row(3, CheckKind::DebtsReport, Outcome::NotHit),
        ]),
    });
    snap("history", &a);
    a.update(Message::LookupOpened(Ok(Box::new(stored(1)))));
    snap("stored_lookup", &a);
}

#[test]
fn snapshot_help_and_too_small() {
    let mut a = sandbox_app();
    a.focus = Pane::Results;
    a.update(chr('?'));
    snap("help", &a);
    let b = sandbox_app();
    let text = render(&b, MIN_WIDTH - 1, MIN_HEIGHT - 4);
    insta::assert_snapshot!("too_small", text);
    // Tiny sizes never panic.
    for (w, h) in [(1, 1), (10, 3), (0, 0), (79, 24), (80, 23)] {
        render(&b, w, h);
    }
}

#[test]
fn reveal_toggle_unmasks() {
    let mut a = sandbox_app();
    indonesian(&mut a);
    a.focus = Pane::Results;
    let masked = render(&a, 120, 40);
    assert!(!masked.contains("3171234567890123"));
    assert!(masked.contains("************0123"));
    a.update(chr('m'));
    let shown = render(&a, 120, 40);
    assert!(shown.contains("3171234567890123"));
}

#[test]
fn theme_choice_and_bad_theme_files() {
    use riskdesk::config::Config;
    use riskdesk::tui::settings_from;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("themes")).unwrap();
    std::fs::write(
        dir.path().join("themes/mine.toml"),
        "[colors]\ntext = \"#zzzzzz\"\n",
    )
    .unwrap();
    let config = Config {
        theme: "light".into(),
        ..Config::default()
    };
    let (s, problem) = settings_from(&config, true, "ana", None, Some(dir.path()));
    assert_eq!((s.theme.name.as_str(), problem), ("light", None));
    // --theme wins over config; a broken user theme is reported and the default used.
    let (s, problem) = settings_from(&config, true, "ana", Some("mine"), Some(dir.path()));
    assert_eq!(s.theme.name, "default");
    let problem = problem.unwrap();
    assert!(
        problem.contains("mine.toml") && problem.contains("colors.text"),
        "{problem}"
    );
    // Every built-in theme draws every screen without trouble.
    for name in builtin_names() {
        let (s, _) = settings_from(&config, true, "ana", Some(name), None);
        let mut a = app_with(s);
        indonesian(&mut a);
        render(&a, 80, 24);
        a.update(ctrl('f'));
        render(&a, 200, 50);
    }
}

#[test]
fn stored_rows_convert_exactly_as_recorded() {
    use riskdesk::history::LookupRecord;
    use riskdesk::tui::convert::stored_lookup;
    let base = LookupRecord {
        id: 42,
        created_at: NOW,
        operator: "ana".into(),
        sandbox: true,
        check: CheckKind::DebtsReport,
        identity: Default::default(),
        request: serde_json::json!({"url": "https://x/check/debts_report", "body": {"mobile_md5": "abc"}}),
        http_status: Some(200),
        vendor_status: Some("OK".into()),
        vendor_request_id: Some("TID1".into()),
        outcome: Outcome::Ok,
        error_kind: None,
        error_message: None,
        latency_ms: 9,
        raw_response: DEBTS_BODY.as_bytes().to_vec(),
        report: None,
        task_id: None,
        attempts: Vec::new(),
    };
    // No stored report JSON: the raw body is parsed again.
    let s = stored_lookup(&base);
    assert!(
        s.answer
            .report
            .as_ref()
            .unwrap()
            .gist
            .contains("6 applications")
    );
    assert!(s.request.contains_key("mobile_md5"));
    assert_eq!(s.answer.raw, DEBTS_BODY.as_bytes());
    // An error row gets the kind's hint back; garbage never panics.
    let err = LookupRecord {
        outcome: Outcome::Error,
        error_kind: Some("out_of_quota".into()),
        error_message: Some("API calls quota exceeded".into()),
        raw_response: b"\xff\xfe not json".to_vec(),
        report: Some(serde_json::json!({"type": "nonsense"})),
        request: serde_json::json!("not an object"),
        ..base
    };
    let s = stored_lookup(&err);
    let e = s.answer.error.unwrap();
    assert_eq!(e.kind, "out of quota");
    assert!(!e.hint.is_empty());
    assert!(s.answer.report.is_none());
    assert!(s.request.is_empty());
}
