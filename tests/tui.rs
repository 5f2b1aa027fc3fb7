//! The console without a terminal: flows through `App::update` driven the way an operator
//! drives it (keys, typing, paste, clicks, and the answers the runtime would send back),
//! screens as insta snapshots of `TestBackend` that show style as well as text, and
//! theme contrast. No test sets a component's state directly: the `Desk` harness only
//! sends messages, and reads.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
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

// ---------- the harness ----------

/// One console on a `TestBackend`, driven only through messages. Every message is followed
/// by a draw, as in the runtime, so clicks land where the last frame put things.
struct Desk {
    app: App,
    term: Terminal<TestBackend>,
    /// Commands issued and not answered yet, oldest first.
    out: Vec<Command>,
}

fn key_event(spec: &str) -> KeyEvent {
    let (mods, rest) = if let Some(r) = spec.strip_prefix("ctrl-") {
        (KeyModifiers::CONTROL, r)
    } else if let Some(r) = spec.strip_prefix("alt-") {
        (KeyModifiers::ALT, r)
    } else {
        (KeyModifiers::NONE, spec)
    };
    let code = match rest {
        "enter" => KeyCode::Enter,
        "esc" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "backspace" => KeyCode::Backspace,
        "pgup" => KeyCode::PageUp,
        "pgdn" => KeyCode::PageDown,
        "space" => KeyCode::Char(' '),
        f if f.len() > 1 && f.starts_with('f') => KeyCode::F(f[1..].parse().expect("f-key")),
        c if c.chars().count() == 1 => KeyCode::Char(c.chars().next().unwrap()),
        other => panic!("no such key in the harness: {other}"),
    };
    let mods = match code {
        KeyCode::Char(c) if c.is_ascii_uppercase() => mods | KeyModifiers::SHIFT,
        KeyCode::BackTab => mods | KeyModifiers::SHIFT,
        _ => mods,
    };
    KeyEvent::new(code, mods)
}

impl Desk {
    fn new() -> Desk {
        Desk::with(AppSettings::default())
    }

    /// A sandbox desk, as the snapshots show it.
    fn sandbox() -> Desk {
        Desk::with(AppSettings {
            sandbox: true,
            operator: "ana".into(),
            ..AppSettings::default()
        })
    }

    fn with(settings: AppSettings) -> Desk {
        Desk::sized(settings, 120, 40)
    }

    fn sized(settings: AppSettings, w: u16, h: u16) -> Desk {
        let mut app = App::new(settings, NOW);
        app.set_now(NOW);
        let mut desk = Desk {
            app,
            term: Terminal::new(TestBackend::new(w, h)).unwrap(),
            out: Vec::new(),
        };
        let init = desk.app.init();
        desk.out.extend(init);
        desk.send(Message::Resize(w, h));
        desk
    }

    fn resize(&mut self, w: u16, h: u16) {
        self.term.backend_mut().resize(w, h);
        self.send(Message::Resize(w, h));
    }

    /// Draws as the runtime does, and hands what was laid out back to the app.
    fn draw(&mut self) {
        for _ in 0..2 {
            let app = &self.app;
            let mut laid = None;
            self.term.draw(|f| laid = Some(view::draw(f, app))).unwrap();
            self.app.dirty = false;
            self.app.update(Message::Laid(Box::new(laid.unwrap())));
            if !self.app.dirty {
                break;
            }
        }
    }

    fn send(&mut self, msg: Message) -> Vec<Command> {
        let cmds = self.app.update(msg);
        self.out.extend(cmds.iter().cloned());
        self.draw();
        cmds
    }

    fn tick_at(&mut self, at: OffsetDateTime) -> Vec<Command> {
        self.app.set_now(at);
        self.send(Message::Tick)
    }

    fn press(&mut self, spec: &str) -> Vec<Command> {
        self.send(Message::Key(key_event(spec)))
    }

    fn press_n(&mut self, spec: &str, n: usize) {
        for _ in 0..n {
            self.press(spec);
        }
    }

    fn type_text(&mut self, text: &str) -> Vec<Command> {
        let mut out = Vec::new();
        for c in text.chars() {
            out.extend(self.press(&c.to_string()));
        }
        out
    }

    fn paste(&mut self, text: &str) -> Vec<Command> {
        self.send(Message::Paste(text.into()))
    }

    fn mouse(&mut self, kind: MouseEventKind, x: u16, y: u16) -> Vec<Command> {
        self.send(Message::Mouse(MouseEvent {
            kind,
            column: x,
            row: y,
            modifiers: KeyModifiers::NONE,
        }))
    }

    fn click(&mut self, x: u16, y: u16) -> Vec<Command> {
        self.mouse(MouseEventKind::Down(MouseButton::Left), x, y)
    }

    /// Clicks the first place on screen showing `text`, `dx` cells into it.
    fn click_text(&mut self, text: &str, dx: u16) -> Vec<Command> {
        let (x, y) = self
            .find(text)
            .unwrap_or_else(|| panic!("{text:?} is not on screen:\n{}", self.screen()));
        self.click(x + dx, y)
    }

    fn find(&self, text: &str) -> Option<(u16, u16)> {
        let buf = self.term.backend().buffer();
        for y in 0..buf.area.height {
            let line: Vec<&str> = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
            let joined: String = line.concat();
            if let Some(byte) = joined.find(text) {
                // Back from a byte offset to a column (cells hold one symbol each).
                let mut acc = 0;
                for (x, s) in line.iter().enumerate() {
                    if acc == byte {
                        return Some((x as u16, y));
                    }
                    acc += s.len();
                }
            }
        }
        None
    }

    fn screen(&self) -> String {
        text_of(self.term.backend().buffer())
    }

    fn status_bar(&self) -> String {
        let s = self.screen();
        s.lines().last().unwrap_or("").to_string()
    }

    fn strip(&self) -> String {
        self.screen().lines().nth(1).unwrap_or("").to_string()
    }

    fn notice(&self) -> String {
        self.app
            .notice
            .as_ref()
            .map(|n| n.text.clone())
            .unwrap_or_default()
    }

    // ----- the operator's moves -----

    /// Focus on the form (Tab until there).
    fn focus_form(&mut self) {
        for _ in 0..3 {
            if self.app.screen == Screen::Review && self.app.focus == Pane::Form {
                return;
            }
            if self.app.screen == Screen::History {
                self.press("esc");
            } else {
                self.press("tab");
            }
        }
        assert_eq!(self.app.focus, Pane::Form);
    }

    fn focus_pane(&mut self, pane: Pane) {
        self.focus_form();
        while self.app.focus != pane {
            self.press("tab");
        }
    }

    fn focus_field(&mut self, field: FieldId) {
        self.focus_form();
        let target = FieldId::ALL.iter().position(|f| *f == field).unwrap();
        for _ in 0..FieldId::ALL.len() {
            let now = FieldId::ALL
                .iter()
                .position(|f| *f == self.app.form.focused())
                .unwrap();
            if now == target {
                return;
            }
            self.press(if now < target { "down" } else { "up" });
        }
        panic!("could not reach {field:?}");
    }

    /// Replaces a text field's value the way an operator does: to the end, Ctrl-U, type.
    fn set_field(&mut self, field: FieldId, text: &str) {
        self.focus_field(field);
        self.press("end");
        self.press("ctrl-u");
        self.type_text(text);
        assert_eq!(self.app.form.text(field), text);
    }

    fn country(&mut self, code: &str) {
        self.focus_field(FieldId::Country);
        for _ in 0..12 {
            if self.app.form.country_code() == code {
                return;
            }
            self.press("right");
        }
        panic!("no country {code}");
    }

    fn applicant(&mut self, country: &str, phone: &str, id: &str, name: &str) {
        self.country(country);
        self.set_field(FieldId::Phone, phone);
        self.set_field(FieldId::IdNumber, id);
        self.set_field(FieldId::Name, name);
    }

    fn indonesian(&mut self) {
        self.applicant("ID", "0812 3456 7890", "3171234567890123", "Siti Rahma");
    }

    fn mexican(&mut self, phone: &str) {
        self.applicant("MX", phone, "GODE561231HDFRRN09", "Juan Perez");
    }

    fn tab_to(&mut self, check: CheckKind) {
        self.focus_pane(Pane::Results);
        for _ in 0..5 {
            if self.app.current_check() == check {
                return;
            }
            self.press("right");
        }
        panic!("no tab {check:?}");
    }

    /// Answers the history look-up before `check`'s paid call (`None`: nothing stored).
    fn recent(&mut self, check: CheckKind, found: Option<Answer>) -> Vec<Command> {
        let i = self
            .out
            .iter()
            .position(|c| matches!(c, Command::FindRecent { check: c, .. } if *c == check))
            .unwrap_or_else(|| panic!("no history look-up for {check:?}: {:?}", self.out));
        let Command::FindRecent { run_id, .. } = self.out.remove(i) else {
            unreachable!()
        };
        self.send(Message::RecentFound {
            run_id,
            found: Ok(found.map(Box::new)),
        })
    }

    /// Answers every history look-up with "nothing stored": the vendor calls go out.
    fn nothing_stored(&mut self) -> Vec<CheckKind> {
        let mut started = Vec::new();
        while let Some(check) = self.out.iter().find_map(|c| match c {
            Command::FindRecent { check, .. } => Some(*check),
            _ => None,
        }) {
            started.extend(run_checks(&self.recent(check, None)));
        }
        started
    }

    fn run_id_of(&mut self, check: CheckKind) -> u64 {
        let i = self
            .out
            .iter()
            .position(|c| matches!(c, Command::RunCheck { request, .. } if request.check == check))
            .unwrap_or_else(|| panic!("no vendor call for {check:?}: {:?}", self.out));
        let Command::RunCheck { run_id, .. } = self.out.remove(i) else {
            unreachable!()
        };
        run_id
    }

    /// The vendor's answer to the oldest call out for `answer.check`.
    fn answer(&mut self, answer: Answer) -> Vec<Command> {
        let run_id = self.run_id_of(answer.check);
        self.send(Message::CheckAnswered {
            run_id,
            answer: Box::new(answer),
        })
    }

    /// Runs every offered check, nothing stored: the checks called.
    fn run_all(&mut self) -> Vec<CheckKind> {
        self.press("ctrl-r");
        self.nothing_stored()
    }

    /// Runs the check of one tab and answers it.
    fn run_one(&mut self, answer: Answer) {
        self.tab_to(answer.check);
        self.press("r");
        self.recent(answer.check, None);
        self.answer(answer);
    }

    fn poll_answer(&mut self, task: TaskView, answer: Option<Answer>) -> Vec<Command> {
        self.out
            .retain(|c| !matches!(c, Command::PollTask { task_id } if *task_id == task.task_id));
        self.send(Message::TaskPolled {
            task_id: task.task_id.clone(),
            update: Ok(Box::new(TaskUpdate { task, answer })),
        })
    }
}

/// The runtime's answer to `OpenLookup`, its access logged.
fn opened(lookup: StoredLookup) -> Message {
    Message::LookupOpened {
        lookup: Ok(Box::new(lookup)),
        not_logged: None,
    }
}

fn run_checks(cmds: &[Command]) -> Vec<CheckKind> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::RunCheck { request, .. } => Some(request.check),
            _ => None,
        })
        .collect()
}

fn text_of(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        for x in 0..buf.area.width {
            line.push_str(buf[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

// ---------- answers as the vendors send them ----------

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

fn debts_ok() -> Answer {
    ok_answer(CheckKind::DebtsReport, DEBTS_BODY)
}

fn willing_ok() -> Answer {
    ok_answer(CheckKind::CreditWillingness, WILL_BODY)
}

fn not_hit(check: CheckKind) -> Answer {
    Answer {
        check,
        outcome: Outcome::NotHit,
        vendor_status: "NOT_HIT".into(),
        report: None,
        raw: br#"{"status":"NOT_HIT","request_id":"TIDnothit"}"#.to_vec(),
        request_id: "TIDnothit".into(),
        ..debts_ok()
    }
}

fn error_answer(check: CheckKind) -> Answer {
    Answer {
        check,
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
        ..debts_ok()
    }
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

fn task(task_id: &str, phone: &str, attempts: u32, status: TaskStatus) -> TaskView {
    TaskView {
        task_id: task_id.into(),
        phone: phone.into(),
        created_at: NOW - time::Duration::minutes(3),
        attempts,
        next_poll_at: NOW + time::Duration::seconds(20),
        status,
        reason: String::new(),
        submitter: String::new(),
    }
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
    let identity = riskdesk::applicant::Identity {
        phone_e164: "+6281234567890".into(),
        id_number: "3171234567890123".into(),
        name: "Siti Rahma".into(),
        country: "ID".into(),
        ..Default::default()
    };
    let mut request = serde_json::Map::new();
    request.insert("mobile_md5".into(), "abc".into());
    StoredLookup {
        row: history_row(id, CheckKind::DebtsReport, Outcome::Ok),
        identity,
        answer: debts_ok(),
        request,
    }
}

// ---------- flows: the form ----------

#[test]
fn fill_form_validates_as_you_type() {
    let mut d = Desk::new();
    d.country("ID");
    d.set_field(FieldId::Phone, "0812");
    assert!(
        !d.app.form.errors_for(FieldId::Phone).is_empty(),
        "a short phone is flagged while typing"
    );
    d.type_text(" 3456 7890");
    assert!(d.app.form.errors_for(FieldId::Phone).is_empty());
    assert_eq!(
        d.app.form.readiness(CheckKind::DebtsReport),
        Readiness::Ready
    );
    assert!(matches!(
        d.app.form.readiness(CheckKind::PhoneStatus),
        Readiness::NotOffered(_)
    ));
    d.set_field(FieldId::Email, "nope");
    assert!(d.app.form.errors_for(FieldId::Email)[0].contains("not an email"));
}

#[test]
fn typing_never_triggers_hotkeys_but_ctrl_c_quits() {
    let mut d = Desk::new();
    d.focus_field(FieldId::Name);
    let cmds = d.type_text("Quinn Rivera");
    assert!(cmds.is_empty());
    assert!(!d.app.quit);
    assert_eq!(d.app.form.text(FieldId::Name), "Quinn Rivera");
    // Outside a text input, q quits.
    d.focus_pane(Pane::Results);
    assert!(matches!(d.press("q")[..], [Command::Quit]));
    let mut b = Desk::new();
    b.focus_field(FieldId::Name);
    assert!(matches!(b.press("ctrl-c")[..], [Command::Quit]));
}

#[test]
fn paste_goes_into_the_focused_field() {
    let mut d = Desk::new();
    d.country("ID");
    d.focus_field(FieldId::Phone);
    d.paste("+62 812-3456-7890\n");
    assert_eq!(d.app.form.text(FieldId::Phone), "+62 812-3456-7890");
    assert_eq!(
        d.app.form.readiness(CheckKind::DebtsReport),
        Readiness::Ready
    );
}

#[test]
fn invalid_form_runs_nothing_and_says_why() {
    let mut d = Desk::new();
    d.country("ID");
    let cmds = d.press("ctrl-r");
    assert!(cmds.is_empty());
    let notice = d.app.notice.clone().unwrap();
    assert_eq!(notice.level, Level::Error);
    assert!(notice.text.contains("phone"), "{}", notice.text);
    assert!(!d.app.form.errors_for(FieldId::Phone).is_empty());
}

// ---------- flows: running checks ----------

#[test]
fn run_all_answers_in_any_order() {
    let mut d = Desk::new();
    d.indonesian();
    let started = d.run_all();
    assert_eq!(
        started,
        vec![CheckKind::DebtsReport, CheckKind::CreditWillingness]
    );
    assert!(d.app.wants_tick(), "running checks show elapsed time");
    // The second answer arrives first.
    d.answer(willing_ok());
    assert!(matches!(
        d.app.slot(CheckKind::DebtsReport),
        Slot::Running { .. }
    ));
    d.answer(error_answer(CheckKind::DebtsReport));
    assert!(matches!(
        d.app.slot(CheckKind::CreditWillingness),
        Slot::Done { .. }
    ));
    let answer = d.app.slot(CheckKind::DebtsReport).answer().unwrap();
    assert_eq!(answer.outcome, Outcome::Error);
    assert!(!d.app.wants_tick(), "idle: no tick");
    let strip = d.strip();
    assert!(
        strip.contains("Debts error") && strip.contains("Willing ok"),
        "{strip}"
    );
}

#[test]
fn cancel_says_so_and_a_late_answer_is_still_recorded() {
    let mut d = Desk::new();
    d.indonesian();
    d.run_all();
    d.tab_to(CheckKind::DebtsReport);
    let cmds = d.press("c");
    assert!(
        cmds.is_empty(),
        "nothing to recall: the request may be billed"
    );
    assert!(matches!(
        d.app.slot(CheckKind::DebtsReport),
        Slot::Cancelled { late: None, .. }
    ));
    assert!(d.screen().contains("Cancelled"), "{}", d.screen());
    // The vendor answers after all: not shown as the result, but said to be in history.
    d.answer(debts_ok());
    assert!(matches!(
        d.app.slot(CheckKind::DebtsReport),
        Slot::Cancelled { late: Some(_), .. }
    ));
    let s = d.screen();
    assert!(s.contains("answered after the cancel"), "{s}");
    assert!(s.contains("lookup #7"), "{s}");
    assert!(d.strip().contains("Debts cancelled"), "{}", d.strip());
    // The other check still runs.
    assert!(matches!(
        d.app.slot(CheckKind::CreditWillingness),
        Slot::Running { .. }
    ));
}

#[test]
fn rerun_within_window_shows_stored_and_asks() {
    let mut d = Desk::new();
    d.indonesian();
    d.tab_to(CheckKind::DebtsReport);
    d.press("r");
    d.recent(CheckKind::DebtsReport, Some(debts_ok()));
    assert_eq!(d.app.confirming(), Some(CheckKind::DebtsReport));
    assert!(d.screen().contains("Run again?"));
    // Keys other than y/n do nothing while asking.
    assert!(d.press("R").is_empty());
    assert_eq!(run_checks(&d.press("y")), vec![CheckKind::DebtsReport]);

    // Saying no keeps the stored result, marked as stored.
    let mut b = Desk::new();
    b.indonesian();
    b.tab_to(CheckKind::DebtsReport);
    b.press("r");
    b.recent(CheckKind::DebtsReport, Some(debts_ok()));
    assert!(b.press("n").is_empty());
    assert!(matches!(
        b.app.slot(CheckKind::DebtsReport),
        Slot::Done { reused: true, .. }
    ));
    assert!(b.strip().contains("Debts ok"), "{}", b.strip());
}

#[test]
fn history_failure_does_not_block_the_call() {
    let mut d = Desk::new();
    d.indonesian();
    d.tab_to(CheckKind::DebtsReport);
    d.press("r");
    let i = d
        .out
        .iter()
        .position(|c| matches!(c, Command::FindRecent { .. }))
        .unwrap();
    let Command::FindRecent { run_id, .. } = d.out.remove(i) else {
        unreachable!()
    };
    let cmds = d.send(Message::RecentFound {
        run_id,
        found: Err("disk full".into()),
    });
    assert_eq!(run_checks(&cmds), vec![CheckKind::DebtsReport]);
    assert!(d.notice().contains("disk full"));
}

#[test]
fn a_huge_rerun_window_never_panics() {
    let mut d = Desk::with(AppSettings {
        rerun_window_hours: u64::MAX,
        ..AppSettings::default()
    });
    d.indonesian();
    d.press("ctrl-r");
    assert_eq!(
        d.out
            .iter()
            .filter(|c| matches!(c, Command::FindRecent { .. }))
            .count(),
        2
    );
}

// ---------- flows: modals hold ----------

#[test]
fn the_rerun_dialog_holds_every_key_paste_and_click() {
    let mut d = Desk::new();
    d.indonesian();
    d.tab_to(CheckKind::DebtsReport);
    d.focus_field(FieldId::Name);
    d.press("ctrl-e");
    d.recent(CheckKind::DebtsReport, Some(debts_ok()));
    assert_eq!(d.app.confirming(), Some(CheckKind::DebtsReport));
    let before = d.app.form.text(FieldId::Name);
    // A paste does not edit the form behind the dialog.
    assert!(d.paste("Someone Else").is_empty());
    assert_eq!(d.app.form.text(FieldId::Name), before);
    // Nor does typing, a binding, or a click on the panes behind.
    d.type_text("abc");
    d.press("ctrl-l");
    d.press("tab");
    assert_eq!(d.app.form.text(FieldId::Name), before);
    d.click_text("Phone ", 0);
    d.mouse(MouseEventKind::ScrollDown, 1, 5);
    assert_eq!(d.app.form.focused(), FieldId::Name);
    assert_eq!(d.app.focus, Pane::Form);
    assert_eq!(d.app.confirming(), Some(CheckKind::DebtsReport));
    // Its answer closes it.
    d.press("n");
    assert_eq!(d.app.confirming(), None);
    // Its answers are also click targets.
    d.press("ctrl-e");
    d.recent(CheckKind::DebtsReport, Some(debts_ok()));
    let cmds = d.click_text("run again (paid)", 0);
    assert_eq!(run_checks(&cmds), vec![CheckKind::DebtsReport]);
    assert_eq!(d.app.confirming(), None);
}

#[test]
fn the_help_overlay_holds_every_key_paste_and_click() {
    let mut d = Desk::new();
    d.indonesian();
    d.focus_field(FieldId::Name);
    d.press("f1");
    assert!(d.app.help);
    let before = d.app.form.text(FieldId::Name);
    // A paste closes the help and goes nowhere.
    d.paste("Someone Else");
    assert!(!d.app.help);
    assert_eq!(d.app.form.text(FieldId::Name), before);
    // A key closes it and does nothing else.
    d.press("f1");
    assert!(d.press("ctrl-r").is_empty());
    assert!(!d.app.help);
    // A click closes it without reaching the pane under it.
    d.press("f1");
    d.click_text("Phone ", 0);
    assert!(!d.app.help);
    assert_eq!(d.app.form.focused(), FieldId::Name);
}

// ---------- flows: one applicant on screen ----------

#[test]
fn an_identifier_changed_after_results_takes_the_old_results_off_screen() {
    let mut d = Desk::new();
    d.indonesian();
    d.run_all();
    d.answer(debts_ok());
    d.answer(willing_ok());
    let strip = d.strip();
    assert!(
        strip.contains("Debts ok") && strip.contains("Willing ok"),
        "{strip}"
    );

    // A Mexican applicant typed into the same form: none of the first one's results.
    d.mexican("5512340003");
    let strip = d.strip();
    assert!(!strip.contains(" ok"), "{strip}");
    assert!(!d.screen().contains("previous applicant"));
    assert_eq!(d.app.slot(CheckKind::DebtsReport), &Slot::Idle);

    // One digit of the ID number changed: the debts report (which sent it) leaves, the
    // willingness score (phone only) stays.
    let mut d = Desk::new();
    d.indonesian();
    d.run_all();
    d.answer(debts_ok());
    d.answer(willing_ok());
    d.set_field(FieldId::IdNumber, "3171234567890124");
    let strip = d.strip();
    assert!(!strip.contains("Debts ok"), "{strip}");
    assert!(strip.contains("Willing ok"), "{strip}");
    // Typed back as it was: the result is that applicant's again.
    d.set_field(FieldId::IdNumber, "3171234567890123");
    assert!(d.strip().contains("Debts ok"), "{}", d.strip());
}

#[test]
fn a_phone_task_for_the_applicant_on_screen_fills_the_tab_without_warning() {
    let mut d = Desk::new();
    d.mexican("5512340003");
    let phone = d.app.form.identity().phone_e164.clone();
    let started = d.run_all();
    assert_eq!(
        started,
        vec![CheckKind::PhoneStatus, CheckKind::Multiplatform]
    );
    d.answer(ok_answer(CheckKind::Multiplatform, MULTI_BODY));
    d.answer(pending_answer("T-1"));
    assert_eq!(d.app.tasks.len(), 1);
    assert_eq!(d.app.tasks.list[0].phone, phone);
    assert!(d.app.wants_tick(), "a pending task keeps the clock running");
    // Not due yet: no poll. Then one poll, never two in flight.
    assert!(d.tick_at(NOW).is_empty());
    let cmds = d.tick_at(NOW + time::Duration::seconds(30));
    assert!(matches!(&cmds[..], [Command::PollTask { task_id }] if task_id == "T-1"));
    assert!(d.tick_at(NOW + time::Duration::seconds(31)).is_empty());

    let mut done = task("T-1", &phone, 1, TaskStatus::Done);
    done.created_at = NOW;
    d.poll_answer(done, Some(ok_answer(CheckKind::PhoneStatus, PHONE_BODY)));
    let notice = d.notice();
    assert!(notice.contains("turned off"), "{notice}");
    assert!(!notice.contains("not the applicant"), "{notice}");
    assert!(matches!(
        d.app.slot(CheckKind::PhoneStatus),
        Slot::Done { answer, .. } if answer.outcome == Outcome::Ok
    ));
    d.tab_to(CheckKind::PhoneStatus);
    let s = d.screen();
    assert!(!s.contains("previous applicant"), "{s}");
    assert!(s.contains("turned off"), "{s}");
    assert!(!d.app.wants_tick());
}

#[test]
fn a_phone_task_for_an_applicant_who_left_is_announced_and_waits_for_them() {
    let mut d = Desk::new();
    d.mexican("+52 55 1234 5678");
    let phone = d.app.form.identity().phone_e164.clone();
    d.tab_to(CheckKind::PhoneStatus);
    d.press("r");
    d.recent(CheckKind::PhoneStatus, None);
    d.answer(pending_answer("T-1"));

    // Another applicant is typed in.
    d.set_field(FieldId::Phone, "+52 33 9876 5432");
    d.tick_at(NOW + time::Duration::seconds(30));
    let mut done = task("T-1", &phone, 1, TaskStatus::Done);
    done.created_at = NOW;
    d.poll_answer(done, Some(ok_answer(CheckKind::PhoneStatus, PHONE_BODY)));
    let notice = d.notice();
    assert!(notice.contains("not the applicant on screen"), "{notice}");
    assert!(notice.contains("turned off"), "{notice}");
    assert!(!notice.contains("5512345678"), "masked: {notice}");
    // The applicant on screen has no phone result of someone else's.
    assert_eq!(d.app.slot(CheckKind::PhoneStatus), &Slot::Idle);
    assert!(!d.strip().contains("Phone ok"), "{}", d.strip());

    // Back to the first applicant: the finished result is in their phone tab.
    d.set_field(FieldId::Phone, "+52 55 1234 5678");
    assert!(matches!(
        d.app.slot(CheckKind::PhoneStatus),
        Slot::Done { answer, .. } if answer.outcome == Outcome::Ok
    ));
    assert!(d.strip().contains("Phone ok"), "{}", d.strip());

    // The tasks panel opens the finished result read-only.
    d.focus_pane(Pane::Tasks);
    d.press("enter");
    let shown = d.app.checks.stored().expect("opened");
    assert_eq!(shown.answer.check, CheckKind::PhoneStatus);
    assert_eq!(d.app.current_check(), CheckKind::PhoneStatus);
    assert!(d.screen().contains("read-only"));

    // Expired tasks say why.
    let mut expired = task("T-10", &phone, 40, TaskStatus::Expired);
    expired.reason = "the vendor keeps a task for 24 h".into();
    d.poll_answer(expired, None);
    assert!(d.notice().contains("24 h"));
}

#[test]
fn a_resumed_task_finishing_fills_the_tab_of_the_applicant_on_screen() {
    let mut d = Desk::new();
    d.mexican("+52 55 1234 5678");
    let phone = d.app.form.identity().phone_e164.clone();
    let cmds = d.send(Message::TasksLoaded(Ok(vec![task(
        "T-9",
        &phone,
        2,
        TaskStatus::Pending,
    )])));
    assert!(cmds.is_empty(), "not due yet");
    assert_eq!(d.tick_at(NOW + time::Duration::minutes(1)).len(), 1);
    d.poll_answer(
        task("T-9", &phone, 3, TaskStatus::Done),
        Some(ok_answer(CheckKind::PhoneStatus, PHONE_BODY)),
    );
    assert!(matches!(
        d.app.slot(CheckKind::PhoneStatus),
        Slot::Done { answer, .. } if answer.outcome == Outcome::Ok
    ));
}

#[test]
fn an_answer_for_an_applicant_who_left_is_announced_not_shown() {
    let mut d = Desk::new();
    d.indonesian();
    d.run_all();
    d.set_field(FieldId::Phone, "0812 0000 1111");
    d.answer(debts_ok());
    assert!(
        d.notice().contains("not the applicant on screen"),
        "{}",
        d.notice()
    );
    assert!(!d.strip().contains("Debts ok"), "{}", d.strip());
    d.set_field(FieldId::Phone, "0812 3456 7890");
    assert!(d.strip().contains("Debts ok"), "{}", d.strip());
}

// ---------- flows: the next applicant ----------

#[test]
fn two_applicants_in_a_row_with_the_new_applicant_key() {
    let mut d = Desk::new();
    d.mexican("5512340003");
    let first_phone = d.app.form.identity().phone_e164.clone();
    d.run_all();
    d.answer(ok_answer(CheckKind::Multiplatform, MULTI_BODY));
    d.answer(pending_answer("T-1"));
    assert!(d.strip().contains("Multi ok"), "{}", d.strip());
    d.focus_pane(Pane::Results);
    assert!(
        d.status_bar().contains("new applicant"),
        "{}",
        d.status_bar()
    );

    // The next applicant: form and results clear, the focus is on the phone as at start.
    d.press("ctrl-l");
    assert_eq!(d.app.focus, Pane::Form);
    assert_eq!(d.app.form.focused(), FieldId::Phone);
    for f in [FieldId::Phone, FieldId::IdNumber, FieldId::Name] {
        assert_eq!(d.app.form.text(f), "", "{f:?}");
    }
    assert_eq!(d.app.form.country_code(), "MX", "the desk's country stays");
    let strip = d.strip();
    assert!(
        !strip.contains(" ok") && !strip.contains("pending"),
        "{strip}"
    );
    assert!(
        d.notice().contains("1 phone task goes on"),
        "{}",
        d.notice()
    );
    // The pending phone task goes on in the panel.
    assert_eq!(d.app.tasks.len(), 1);
    assert!(d.app.wants_tick());

    // The second applicant: typed straight into the phone field, run, answered.
    d.type_text("5512340005");
    d.set_field(FieldId::IdNumber, "RDSK800101HDFMPL02");
    d.set_field(FieldId::Name, "Ana Cruz");
    d.run_all();
    d.answer(error_answer(CheckKind::Multiplatform));
    let strip = d.strip();
    assert!(strip.contains("Multi error"), "{strip}");
    assert!(strip.contains("Phone running"), "{strip}");

    // The first applicant's phone task finishes while the second is on screen.
    d.tick_at(NOW + time::Duration::seconds(30));
    let mut done = task("T-1", &first_phone, 1, TaskStatus::Done);
    done.created_at = NOW;
    d.poll_answer(done, Some(ok_answer(CheckKind::PhoneStatus, PHONE_BODY)));
    assert!(
        d.notice().contains("not the applicant on screen"),
        "{}",
        d.notice()
    );
    assert!(d.strip().contains("Phone running"), "{}", d.strip());
}

#[test]
fn new_applicant_is_rebindable_and_ctrl_u_clears_before_the_cursor() {
    let mut settings = AppSettings::default();
    settings.keys.insert("new_applicant".into(), "f6".into());
    let mut d = Desk::with(settings);
    d.indonesian();
    // Ctrl-U erases what is before the cursor only.
    d.focus_field(FieldId::Name);
    d.press("end");
    d.press_n("left", 5);
    d.press("ctrl-u");
    assert_eq!(d.app.form.text(FieldId::Name), "Rahma");
    // Ctrl-L is no longer the key; F6 is, and the hints say so.
    d.press("ctrl-l");
    assert_eq!(d.app.form.text(FieldId::Name), "Rahma");
    assert!(d.status_bar().contains("F6"), "{}", d.status_bar());
    d.press("f6");
    assert_eq!(d.app.form.text(FieldId::Name), "");
    assert_eq!(d.app.form.focused(), FieldId::Phone);
    // From history too: back to an empty review.
    d.indonesian();
    d.press("ctrl-f");
    d.type_text("0812");
    d.press("ctrl-u");
    assert_eq!(d.app.history.text(), "");
    d.press("f6");
    assert_eq!(d.app.screen, Screen::Review);
    assert_eq!(d.app.form.text(FieldId::Phone), "");
}

// ---------- flows: history ----------

#[test]
fn history_search_is_latest_wins_and_reopens_read_only() {
    let mut d = Desk::new();
    let cmds = d.press("ctrl-f");
    assert_eq!(d.app.screen, Screen::History);
    assert!(matches!(&cmds[..], [Command::Search { seq: 1, .. }]));
    let last = d.type_text("0812");
    let [.., Command::Search { seq, query }] = &last[..] else {
        panic!("{last:?}");
    };
    assert_eq!(*seq, 5);
    assert_eq!(query.text, "0812");
    // The newest answers first; an older search finishing late is dropped.
    d.send(Message::SearchResults {
        seq: 5,
        rows: Ok(vec![history_row(1, CheckKind::DebtsReport, Outcome::Ok)]),
    });
    d.send(Message::SearchResults {
        seq: 3,
        rows: Ok(vec![]),
    });
    assert_eq!(d.app.history.rows.len(), 1);
    // Filters issue new searches.
    let cmds = d.press("f2");
    assert!(
        matches!(&cmds[..], [Command::Search { query, .. }] if query.check == Some(CheckKind::DebtsReport))
    );
    let cmds = d.press("f4");
    assert!(matches!(&cmds[..], [Command::Search { query, .. }] if query.since.is_some()));

    // Open, export, copy, re-run.
    let cmds = d.press("enter");
    assert!(matches!(
        cmds[..],
        [Command::OpenLookup {
            id: 1,
            purpose: None
        }]
    ));
    d.send(opened(stored(1)));
    assert_eq!(d.app.screen, Screen::Review);
    assert_eq!(d.app.current_check(), CheckKind::DebtsReport);
    assert!(d.app.checks.stored().is_some());
    assert!(matches!(
        d.press("e")[..],
        [Command::ExportLookup { id: 1 }]
    ));
    let cmds = d.press("y");
    assert!(
        matches!(&cmds[..], [Command::Copy(id)] if id == "TID591cb9fb0e284cf296912a4d0ffea889")
    );
    let cmds = d.press("n");
    assert_eq!(run_checks(&cmds), vec![CheckKind::DebtsReport]);
    assert!(d.app.checks.stored().is_none());
    assert!(
        d.app.form.hash_phone,
        "options come back from the stored request"
    );
    assert_eq!(d.app.form.country_code(), "ID");
}

// ---------- flows: mouse ----------

#[test]
fn mouse_focuses_and_wheel_scrolls() {
    let mut d = Desk::sized(AppSettings::default(), 80, 24);
    d.indonesian();
    d.run_one(debts_ok());
    d.focus_form();
    d.click_text("│Willing", 1);
    assert_eq!(d.app.focus, Pane::Results);
    assert_eq!(d.app.current_check(), CheckKind::CreditWillingness);
    d.click_text("Debts│", 0);
    assert_eq!(d.app.current_check(), CheckKind::DebtsReport);
    let (x, y) = d.find("Counts").unwrap();
    d.mouse(MouseEventKind::ScrollDown, x, y);
    assert_eq!(d.app.checks.scroll, 3);
    d.mouse(MouseEventKind::ScrollUp, x, y);
    assert_eq!(d.app.checks.scroll, 0);
    d.click_text("Name ", 0);
    assert_eq!(d.app.focus, Pane::Form);
    assert_eq!(d.app.form.focused(), FieldId::Name);
}

#[test]
fn results_scroll_stops_at_their_end() {
    let mut d = Desk::sized(AppSettings::default(), 80, 24);
    d.indonesian();
    d.run_one(debts_ok());
    d.focus_pane(Pane::Results);
    let max = d.app.laid.results_max_scroll;
    assert!(
        max > 3,
        "the report is longer than the pane at 80×24: {max}"
    );
    // Far past the end: the offset stops at the last line, in the state.
    d.press_n("pgdn", 20);
    d.press_n("down", 20);
    assert_eq!(d.app.checks.scroll, max);
    assert!(d.screen().contains("1,250,000.5"), "{}", d.screen());
    // So the first Up moves at once.
    d.press("up");
    assert_eq!(d.app.checks.scroll, max - 1);
    // Wider, the report needs less scrolling: the offset follows the new end.
    d.press_n("down", 5);
    d.resize(200, 50);
    assert_eq!(d.app.checks.scroll, d.app.laid.results_max_scroll);
    assert_eq!(d.app.checks.scroll, 0);
}

// ---------- flows: keys ----------

#[test]
fn key_overrides_from_config() {
    let mut settings = AppSettings::default();
    settings.keys.insert("run_all".into(), "f5".into());
    settings.keys.insert("bogus".into(), "x".into());
    let mut d = Desk::with(settings);
    assert!(d.notice().contains("bogus"));
    d.indonesian();
    d.press("f5");
    assert_eq!(d.nothing_stored().len(), 2);
    d.press("f1");
    assert!(d.screen().contains("F5"), "{}", d.screen());
}

#[test]
fn hints_and_help_say_what_the_keys_do_here() {
    let mut d = Desk::new();
    d.indonesian();
    // In the country selector letters pick a country: no plain-letter hint is offered.
    d.focus_field(FieldId::Country);
    let bar = d.status_bar();
    assert!(!bar.contains(" m "), "{bar}");
    d.press("m");
    assert_eq!(d.app.form.country_code(), "MX");
    assert!(!d.app.reveal, "m picked a country, it did not reveal");
    d.press("ctrl-p");
    assert!(d.app.reveal);
    // In a text field plain keys type: quit is offered as Ctrl-C.
    d.focus_field(FieldId::Name);
    assert!(
        d.status_bar().contains("Ctrl-C  quit"),
        "{}",
        d.status_bar()
    );
    // The help says what Tab does: it moves between panes.
    d.press("f1");
    let s = d.screen();
    assert!(s.contains("next pane"), "{s}");
    assert!(!s.contains("next pane / field"), "{s}");
    assert!(
        s.contains("Applicant form"),
        "the focused component's keys: {s}"
    );
    assert!(s.contains("erase the field before"), "{s}");
    // Only keys that work while typing: not the plain `j` or `r`.
    assert!(!s.contains("↓ j") && !s.contains("Ctrl-E r"), "{s}");
    d.press("esc");
    d.press("tab");
    assert_eq!(d.app.focus, Pane::Results);
    // Every hint on the bar is a key that does something here.
    for state in 0..3 {
        match state {
            0 => d.focus_pane(Pane::Results),
            1 => d.focus_pane(Pane::Tasks),
            _ => d.focus_field(FieldId::Package),
        }
        for hint in d.app.hints() {
            let Some(key) = hint_key(&hint.key) else {
                continue;
            };
            let mut probe = Desk::new();
            probe.indonesian();
            match state {
                0 => probe.focus_pane(Pane::Results),
                1 => probe.focus_pane(Pane::Tasks),
                _ => probe.focus_field(FieldId::Package),
            }
            probe.app.dirty = false;
            probe.app.update(Message::Key(key_event(&key)));
            assert!(
                probe.app.dirty,
                "hint {:?} {:?} did nothing in state {state}",
                hint.key, hint.words
            );
        }
    }
}

/// A hint's key label as the harness spells it (`Ctrl-R` -> `ctrl-r`, `→` -> `right`).
fn hint_key(label: &str) -> Option<String> {
    let key = match label {
        "→" => "right".into(),
        "←" => "left".into(),
        "↑" => "up".into(),
        "↓" => "down".into(),
        "Tab" => "tab".into(),
        "Esc" => "esc".into(),
        "Enter" => "enter".into(),
        l if l.starts_with("Ctrl-") => format!("ctrl-{}", l[5..].to_lowercase()),
        l if l.starts_with('F') && l.len() > 1 => l.to_lowercase(),
        l if l.chars().count() == 1 => l.to_string(),
        _ => return None,
    };
    Some(key)
}

#[test]
fn the_status_bar_keeps_help_and_quit_at_80x24() {
    let mut d = Desk::sized(AppSettings::default(), 80, 24);
    d.mexican("5512340003");
    for pane in [Pane::Form, Pane::Results, Pane::Tasks] {
        d.focus_pane(pane);
        let bar = d.status_bar();
        assert!(
            bar.contains("help") && bar.contains("quit"),
            "{pane:?}: {bar}"
        );
    }
    d.press("ctrl-f");
    let bar = d.status_bar();
    assert!(
        bar.contains("help") && bar.contains("quit"),
        "history: {bar}"
    );
}

#[test]
fn reveal_toggle_unmasks() {
    let mut d = Desk::sandbox();
    d.indonesian();
    d.focus_pane(Pane::Results);
    let masked = d.screen();
    assert!(!masked.contains("3171234567890123"));
    assert!(masked.contains("************0123"));
    d.press("m");
    assert!(d.screen().contains("3171234567890123"));
}

// ---------- themes and conversions ----------

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

/// A theme colour by its slot name, so style reads as meaning ("fg ok", "bg selection_bg").
fn colour_name(theme: &Theme, c: Color) -> String {
    let slots = [
        "background",
        "text",
        "muted",
        "accent",
        "ok",
        "warn",
        "risk_high",
        "pending",
        "border",
        "selection_bg",
        "selection_fg",
        "sandbox",
    ];
    for name in slots {
        if theme.slot(name).map(|rgb| rgb.color()) == Some(c) {
            return name.to_string();
        }
    }
    format!("{c:?}")
}

/// The screen as text, then every run of cells drawn in a style other than the base one:
/// `row col-col style "text"`. What only colour shows — the focused pane, the selected row,
/// a risk — is in the snapshot.
fn render_styled(buf: &Buffer, theme: &Theme) -> String {
    let mut out = text_of(buf);
    out.push_str("--- styles (row col-col: style \"text\") ---\n");
    let base_fg = theme.text.color();
    let base_bg = theme.background.color();
    for y in 0..buf.area.height {
        let mut x = 0;
        while x < buf.area.width {
            let cell = &buf[(x, y)];
            let key = (cell.fg, cell.bg, cell.modifier);
            let start = x;
            let mut text = String::new();
            while x < buf.area.width {
                let c = &buf[(x, y)];
                if (c.fg, c.bg, c.modifier) != key {
                    break;
                }
                text.push_str(c.symbol());
                x += 1;
            }
            let (fg, bg, modifier) = key;
            let plain = (fg == base_fg || fg == Color::Reset)
                && (bg == base_bg || bg == Color::Reset)
                && modifier.is_empty();
            // Only what shows: a colour on blank cells matters only as a background.
            let visible = !text.trim().is_empty() || (bg != base_bg && bg != Color::Reset);
            if plain || !visible {
                continue;
            }
            let mut style = Vec::new();
            if bg == theme.selection_bg.color() && fg == theme.selection_fg.color() {
                style.push("selected".to_string());
            } else {
                if fg != base_fg && fg != Color::Reset {
                    style.push(format!("fg {}", colour_name(theme, fg)));
                }
                if bg != base_bg && bg != Color::Reset {
                    style.push(format!("bg {}", colour_name(theme, bg)));
                }
            }
            if modifier.contains(Modifier::BOLD) {
                style.push("bold".into());
            }
            if modifier.contains(Modifier::REVERSED) {
                style.push("reversed".into());
            }
            out.push_str(&format!(
                "{y:>2} {start:>3}-{:<3} {}: {:?}\n",
                x - 1,
                style.join(" "),
                text.trim_end()
            ));
        }
    }
    out
}

/// Snapshots a flow's screen at 80×24 and at 200×50, text and style.
fn snap(name: &str, flow: impl Fn(&mut Desk)) {
    for (w, h) in [(80, 24), (200, 50)] {
        let mut d = Desk::sized(
            AppSettings {
                sandbox: true,
                operator: "ana".into(),
                ..AppSettings::default()
            },
            w,
            h,
        );
        flow(&mut d);
        d.draw();
        assert!(
            d.status_bar().contains("quit"),
            "{name}: {}",
            d.status_bar()
        );
        let theme = d.app.theme.clone();
        let text = render_styled(d.term.backend().buffer(), &theme);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text);
    }
}

#[test]
fn snapshot_form() {
    snap("form_idle", |d| {
        d.indonesian();
        d.set_field(FieldId::Email, "siti@");
    });
}

#[test]
fn snapshot_check_states() {
    snap("debts_ok", |d| {
        d.indonesian();
        d.run_one(debts_ok());
    });
    snap("orders_ok", |d| {
        d.country("IN");
        d.set_field(FieldId::Phone, "+91 55866 85366");
        d.run_one(ok_answer(CheckKind::MultipleOrder, ORDERS_BODY));
    });
    snap("phone_ok", |d| {
        d.mexican("+52 55 1234 5678");
        d.run_one(ok_answer(CheckKind::PhoneStatus, PHONE_BODY));
    });
    snap("multiplatform_ok", |d| {
        d.mexican("+52 55 1234 5678");
        d.run_one(ok_answer(CheckKind::Multiplatform, MULTI_BODY));
    });
    snap("willingness_ok", |d| {
        d.indonesian();
        d.run_one(willing_ok());
    });
    snap("debts_not_hit", |d| {
        d.indonesian();
        d.run_one(not_hit(CheckKind::DebtsReport));
    });
    snap("debts_error", |d| {
        d.indonesian();
        d.run_one(error_answer(CheckKind::DebtsReport));
    });
    snap("phone_pending_with_task", |d| {
        d.mexican("+52 55 1234 5678");
        d.run_one(pending_answer("T-1"));
    });
    snap("debts_raw", |d| {
        d.indonesian();
        d.run_one(debts_ok());
        d.press("v");
    });
    snap("running", |d| {
        d.indonesian();
        d.run_all();
        d.focus_pane(Pane::Results);
        d.tick_at(NOW + time::Duration::seconds(7));
    });
    snap("confirm_rerun", |d| {
        d.indonesian();
        d.tab_to(CheckKind::DebtsReport);
        d.press("r");
        d.recent(CheckKind::DebtsReport, Some(debts_ok()));
    });
    snap("cancelled", |d| {
        d.indonesian();
        d.run_all();
        d.focus_pane(Pane::Results);
        d.press("c");
    });
    snap("cancelled_late_answer", |d| {
        d.indonesian();
        d.run_all();
        d.tab_to(CheckKind::DebtsReport);
        d.press("c");
        d.answer(debts_ok());
    });
}

#[test]
fn snapshot_phone_tasks() {
    snap("tasks_panel", |d| {
        d.mexican("5512340003");
        d.run_all();
        d.answer(pending_answer("T-1"));
        d.answer(ok_answer(CheckKind::Multiplatform, MULTI_BODY));
        let mut paused = task("T-2", "+525512340012", 4, TaskStatus::Pending);
        paused.created_at = NOW - time::Duration::minutes(30);
        d.send(Message::TasksLoaded(Ok(vec![paused.clone()])));
        d.tick_at(NOW + time::Duration::seconds(25));
        paused.status = TaskStatus::Paused;
        paused.reason = "unauthorized: AccuAuth refused the API id".into();
        d.poll_answer(paused, None);
        d.focus_pane(Pane::Tasks);
    });
}

#[test]
fn snapshot_history_and_stored() {
    let search = |d: &mut Desk| {
        d.press("ctrl-f");
        d.type_text("Siti");
        let seq = d.app.history.seq;
        d.send(Message::SearchResults {
            seq,
            rows: Ok(vec![
                history_row(1, CheckKind::DebtsReport, Outcome::Ok),
                history_row(2, CheckKind::CreditWillingness, Outcome::Error),
                history_row(3, CheckKind::DebtsReport, Outcome::NotHit),
            ]),
        });
    };
    snap("history", |d| {
        search(d);
        d.press("down");
    });
    snap("stored_lookup", |d| {
        search(d);
        d.press("enter");
        d.send(opened(stored(1)));
    });
}

#[test]
fn snapshot_help_and_too_small() {
    snap("help", |d| {
        d.focus_pane(Pane::Results);
        d.press("?");
    });
    let mut d = Desk::sized(AppSettings::default(), MIN_WIDTH - 1, MIN_HEIGHT - 4);
    d.draw();
    insta::assert_snapshot!("too_small", d.screen());
    // Tiny sizes never panic.
    for (w, h) in [(1, 1), (10, 3), (0, 0), (79, 24), (80, 23)] {
        d.resize(w, h);
    }
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
        let mut d = Desk::sized(s, 80, 24);
        d.indonesian();
        d.resize(200, 50);
        d.press("ctrl-f");
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
        purpose: None,
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

// ---------- flows: who and why (the Purpose field) ----------

/// The purpose each vendor call carries, in order.
fn purposes(cmds: &[Command]) -> Vec<Option<String>> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::RunCheck { purpose, .. } => Some(purpose.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn every_run_carries_the_purpose_typed_and_the_next_applicant_clears_it() {
    let mut d = Desk::new();
    d.indonesian();
    d.set_field(FieldId::Purpose, "application 8841");
    d.press("ctrl-r");
    let mut calls = Vec::new();
    while let Some(check) = d.out.iter().find_map(|c| match c {
        Command::FindRecent { check, .. } => Some(*check),
        _ => None,
    }) {
        calls.extend(d.recent(check, None));
    }
    assert!(!calls.is_empty());
    assert!(
        purposes(&calls)
            .iter()
            .all(|p| p.as_deref() == Some("application 8841")),
        "{calls:?}"
    );
    // Kept for the next run of the same review (blank around it trimmed).
    d.set_field(FieldId::Purpose, "  complaint 1234 ");
    d.tab_to(CheckKind::DebtsReport);
    let cmds = d.answer(debts_ok());
    assert!(cmds.is_empty());
    assert_eq!(d.app.form.purpose().as_deref(), Some("complaint 1234"));
    d.press("ctrl-l");
    assert_eq!(d.app.form.text(FieldId::Purpose), "");
    assert_eq!(d.app.form.purpose(), None);
}

#[test]
fn a_purpose_the_team_requires_is_a_field_error_and_nothing_is_sent() {
    let mut d = Desk::with(AppSettings {
        require_purpose: true,
        ..AppSettings::default()
    });
    d.indonesian();
    assert!(matches!(
        d.app.form.readiness(CheckKind::DebtsReport),
        Readiness::Needs(f) if f.contains("purpose")
    ));
    let cmds = d.press("ctrl-r");
    assert!(
        !cmds
            .iter()
            .any(|c| matches!(c, Command::RunCheck { .. } | Command::FindRecent { .. })),
        "{cmds:?}"
    );
    assert!(
        d.app.form.errors_for(FieldId::Purpose)[0].contains("require_purpose"),
        "the error shows under the field"
    );
    assert!(d.screen().contains("require_purpose"), "{}", d.screen());
    assert!(d.notice().contains("Purpose"));
    // Typed, it runs; the next applicant needs one again (the setting stays).
    d.set_field(FieldId::Purpose, "application 8841");
    assert!(d.app.form.errors_for(FieldId::Purpose).is_empty());
    assert!(!d.run_all().is_empty());
    d.press("ctrl-l");
    assert!(d.app.form.purpose_missing());
}

#[test]
fn opening_a_stored_lookup_carries_the_purpose_and_a_failed_log_is_a_notice() {
    let mut d = Desk::new();
    d.set_field(FieldId::Purpose, "complaint 1234");
    d.press("ctrl-f");
    d.type_text("Siti");
    d.send(Message::SearchResults {
        seq: d.app.history.seq,
        rows: Ok(vec![stored(1).row]),
    });
    let cmds = d.press("enter");
    assert!(
        matches!(&cmds[..], [Command::OpenLookup { id: 1, purpose: Some(p) }] if p == "complaint 1234"),
        "{cmds:?}"
    );
    d.send(Message::LookupOpened {
        lookup: Ok(Box::new(stored(1))),
        not_logged: Some("database is locked".into()),
    });
    assert!(d.app.checks.stored().is_some(), "shown all the same");
    assert!(d.notice().contains("not logged"), "{}", d.notice());
    assert!(d.notice().contains("database is locked"));
}

// ---------- flows: the applicant's case ----------

use riskdesk::history::LookupRecord;
use riskdesk::history::case::{Case, CaseKey};
use riskdesk::tui::case::CaseState;
use riskdesk::tui::case_file::{CaseFile, Mark, case_file};

const PHONE: &str = "+6281234567890";
const ID_NUMBER: &str = "3171234567890123";

/// One stored lookup of the case's applicant, `day` days into March, as the client stores it.
fn case_rec(id: i64, day: i64, check: CheckKind, outcome: Outcome, body: &str) -> LookupRecord {
    let report = (outcome == Outcome::Ok).then(|| {
        serde_json::to_value(parse_report(check, body.as_bytes()).expect("sample parses")).unwrap()
    });
    LookupRecord {
        id,
        created_at: datetime!(2026-03-01 09:00 UTC) + time::Duration::days(day),
        operator: if day < 6 { "ana" } else { "budi" }.into(),
        purpose: Some(if day < 6 {
            "application 8841".into()
        } else {
            "complaint 1234".into()
        }),
        sandbox: true,
        check,
        identity: riskdesk::applicant::Identity {
            phone_e164: PHONE.into(),
            id_number: if check == CheckKind::PhoneStatus {
                String::new()
            } else {
                ID_NUMBER.into()
            },
            name: "Siti Rahma".into(),
            country: "ID".into(),
            ..Default::default()
        },
        request: serde_json::json!({}),
        http_status: Some(200),
        vendor_status: Some(
            match outcome {
                Outcome::Error => "OUT_OF_QUOTA",
                Outcome::NotHit => "NOT_HIT",
                _ => "OK",
            }
            .into(),
        ),
        vendor_request_id: Some(format!("TID{id:04}")),
        outcome,
        error_kind: (outcome == Outcome::Error).then(|| "out_of_quota".into()),
        error_message: (outcome == Outcome::Error).then(|| "API calls quota exceeded".into()),
        latency_ms: 180,
        raw_response: body.as_bytes().to_vec(),
        report,
        task_id: (outcome == Outcome::Pending).then(|| "T-9".into()),
        attempts: Vec::new(),
    }
}

fn willing(score: i64) -> String {
    WILL_BODY.replace("\"838\"", &format!("\"{score}\""))
}

fn orders(levels: &[i64]) -> String {
    let data: Vec<String> = levels
        .iter()
        .map(|l| {
            format!(
                r#"{{"day":"2026-03-01","source":"seat","cid":"1","duration":"9","level":{l}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"status":"OK","result":{{"target":true,"count":{},"data":[{}]}},"request_id":"TIDorders"}}"#,
        levels.len(),
        data.join(",")
    )
}

/// A fixed case whose answers change: the willingness score 701 → 640 → 540, the
/// multiple-order level 3 → 5, a debts not-hit, a quota error and a pending phone task.
fn fixed_case() -> CaseFile {
    let w = CheckKind::CreditWillingness;
    let m = CheckKind::MultipleOrder;
    let lookups = vec![
        case_rec(1, 0, w, Outcome::Ok, &willing(701)),
        case_rec(2, 1, m, Outcome::Ok, &orders(&[3])),
        case_rec(
            3,
            2,
            CheckKind::DebtsReport,
            Outcome::NotHit,
            r#"{"status":"NOT_HIT"}"#,
        ),
        case_rec(4, 3, w, Outcome::Error, r#"{"status":"OUT_OF_QUOTA"}"#),
        case_rec(5, 4, w, Outcome::Ok, &willing(640)),
        case_rec(
            6,
            5,
            CheckKind::PhoneStatus,
            Outcome::Pending,
            r#"{"task_id":"T-9"}"#,
        ),
        case_rec(7, 6, m, Outcome::Ok, &orders(&[3, 5])),
        case_rec(8, 7, w, Outcome::Ok, &willing(540)),
    ];
    case_file(&Case::of_lookups(
        lookups.into_iter().map(|r| (r, String::new())).collect(),
        false,
    ))
}

/// The runtime's answer to the newest `GatherCase`, its access logged.
fn gathered(d: &mut Desk, file: CaseFile) {
    let seq = d.app.case.seq;
    d.send(Message::CaseGathered {
        seq,
        case: Ok(Box::new(file)),
        not_logged: None,
    });
}

fn gather_commands(cmds: &[Command]) -> Vec<(u64, Vec<CaseKey>, Option<String>)> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::GatherCase { seq, keys, purpose } => {
                Some((*seq, keys.clone(), purpose.clone()))
            }
            _ => None,
        })
        .collect()
}

/// The history pane with three of the applicant's lookups, the second one selected.
fn history_with_rows(d: &mut Desk) {
    d.press("ctrl-f");
    d.type_text("Siti");
    let seq = d.app.history.seq;
    d.send(Message::SearchResults {
        seq,
        rows: Ok(vec![
            history_row(1, CheckKind::DebtsReport, Outcome::Ok),
            history_row(2, CheckKind::CreditWillingness, Outcome::Error),
            history_row(3, CheckKind::DebtsReport, Outcome::NotHit),
        ]),
    });
    d.press("down");
}

#[test]
fn the_case_marks_what_changed_since_the_previous_answer() {
    let f = fixed_case();
    assert_eq!(f.entries.len(), 8);
    assert_eq!(f.phones, vec![PHONE]);
    assert_eq!(f.id_numbers, vec![ID_NUMBER]);
    let by_id = |id: i64| f.entries.iter().find(|e| e.id == id).unwrap();
    // 540 is compared with 640 (#5), not with the error (#4) in between.
    let newest = by_id(8);
    assert_eq!(newest.compared_with.map(|(id, _)| id), Some(5));
    let score = &newest.fields[0];
    assert_eq!(score.name, "score");
    let change = score.change.as_ref().expect("score changed");
    assert_eq!((change.mark, change.was.as_str()), (Mark::Down, "640"));
    assert_eq!(change.flag.as_deref(), Some("score fell 100 points"));
    assert_eq!(newest.score, Some(540));
    // The level went up to the blacklist.
    let level = by_id(7).fields.iter().find(|f| f.name == "level").unwrap();
    let change = level.change.as_ref().unwrap();
    assert_eq!(
        (level.value.as_str(), change.mark, change.was.as_str()),
        ("5", Mark::Up, "3")
    );
    assert_eq!(change.flag.as_deref(), Some("newly blacklisted"));
    assert_eq!(by_id(7).level, Some(5));
    // Errors and pending lookups are in the timeline, never compared.
    for id in [4, 6] {
        let e = by_id(id);
        assert_eq!(e.compared_with, None);
        assert!(e.fields.is_empty());
    }
    assert!(by_id(4).headline.contains("quota"), "{}", by_id(4).headline);
    assert_eq!(by_id(3).headline, "no record (not hit)");
    // The first answer of a check has nothing to compare with.
    assert!(by_id(1).fields.iter().all(|f| f.change.is_none()));
}

#[test]
fn the_case_opens_from_history_and_esc_returns_with_the_selection_kept() {
    let mut d = Desk::with(AppSettings {
        operator: "ana".into(),
        ..AppSettings::default()
    });
    d.set_field(FieldId::Purpose, "complaint 1234");
    history_with_rows(&mut d);
    assert_eq!(d.app.history.selected, 1);
    let cmds = d.press("ctrl-a");
    let asked = gather_commands(&cmds);
    assert_eq!(
        asked,
        vec![(
            1,
            vec![
                CaseKey::Phone(PHONE.into()),
                CaseKey::IdNumber(ID_NUMBER.into())
            ],
            Some("complaint 1234".into())
        )]
    );
    assert_eq!(d.app.screen, Screen::Case);
    assert!(d.screen().contains("Gathering the case"), "{}", d.screen());
    assert!(d.screen().contains("applicant case"));
    gathered(&mut d, fixed_case());
    let s = d.screen();
    // The newest lookup is selected: its report, what changed and the charts.
    assert!(s.contains("Lookup #8 · credit-willingness"), "{s}");
    assert!(s.contains("▼ score") && s.contains("was 640"), "{s}");
    assert!(s.contains("score fell 100 points"), "{s}");
    assert!(s.contains("Willingness score 701 → 640 → 540"), "{s}");
    assert!(s.contains("Multiple-order level 3 → 5"), "{s}");
    assert!(
        s.contains("error: API calls"),
        "the error is in the timeline: {s}"
    );
    assert!(s.contains("not_hit") && s.contains("pending"), "{s}");
    // Masked as the rest of the console, until revealed.
    assert!(!s.contains(PHONE) && !s.contains(ID_NUMBER), "{s}");
    d.press("ctrl-p");
    assert!(d.screen().contains(ID_NUMBER));
    // Up: the level-5 answer, marked against level 3.
    d.press("up");
    let s = d.screen();
    assert!(s.contains("Lookup #7 · multiple-order"), "{s}");
    assert!(s.contains("▲ level") && s.contains("was 3"), "{s}");
    assert!(s.contains("newly blacklisted"), "{s}");
    // A click selects a lookup of the timeline.
    d.click_text("no record (not hit)", 0);
    assert_eq!(d.app.case.selected, 2);
    d.press("pgup");
    assert_eq!(d.app.case.selected, 0);
    d.press("pgdn");
    assert_eq!(d.app.case.selected, 7);
    // Esc: the history pane as it was, search and selection kept.
    d.press("esc");
    assert_eq!(d.app.screen, Screen::History);
    assert_eq!(d.app.history.selected, 1);
    assert_eq!(d.app.history.text(), "Siti");
    assert!(!d.app.case.is_open());
}

#[test]
fn the_case_opens_from_the_form_and_esc_returns_to_the_field() {
    let mut d = Desk::new();
    // An empty form says what it needs; nothing is asked of the store.
    let cmds = d.press("ctrl-a");
    assert!(gather_commands(&cmds).is_empty(), "{cmds:?}");
    assert!(
        d.notice().contains("type a phone or ID number first"),
        "{}",
        d.notice()
    );
    assert_eq!(d.app.screen, Screen::Review);
    d.press("esc");
    d.indonesian();
    d.focus_field(FieldId::Name);
    let cmds = d.press("ctrl-a");
    let asked = gather_commands(&cmds);
    assert_eq!(asked.len(), 1, "{cmds:?}");
    // The phone as E.164, whatever spelling was typed.
    assert_eq!(
        asked[0].1,
        vec![
            CaseKey::Phone(PHONE.into()),
            CaseKey::IdNumber(ID_NUMBER.into())
        ]
    );
    // No lookups of this applicant: said plainly.
    d.send(Message::CaseGathered {
        seq: asked[0].0,
        case: Ok(Box::new(CaseFile::default())),
        not_logged: None,
    });
    assert_eq!(d.app.case.state, CaseState::Empty);
    assert!(
        d.screen().contains("No lookups of this applicant"),
        "{}",
        d.screen()
    );
    d.press("esc");
    assert_eq!((d.app.screen, d.app.focus), (Screen::Review, Pane::Form));
    assert_eq!(d.app.form.focused(), FieldId::Name);
    assert_eq!(d.app.form.text(FieldId::Name), "Siti Rahma");
}

#[test]
fn the_newest_gather_wins_and_a_late_one_after_esc_is_dropped() {
    let mut d = Desk::new();
    history_with_rows(&mut d);
    d.press("ctrl-a");
    let first = d.app.case.seq;
    d.press("esc");
    d.press("ctrl-a");
    let second = d.app.case.seq;
    assert!(second > first);
    // The first gather finishing late shows nothing.
    d.send(Message::CaseGathered {
        seq: first,
        case: Ok(Box::new(fixed_case())),
        not_logged: None,
    });
    assert_eq!(d.app.case.state, CaseState::Loading);
    // Closed before its answer: the answer is dropped, the history pane stays.
    d.press("esc");
    d.send(Message::CaseGathered {
        seq: second,
        case: Ok(Box::new(fixed_case())),
        not_logged: None,
    });
    assert_eq!(d.app.screen, Screen::History);
    assert!(!d.app.case.is_open());
    // A case shown whose access could not be logged says so.
    d.press("ctrl-a");
    d.send(Message::CaseGathered {
        seq: d.app.case.seq,
        case: Ok(Box::new(fixed_case())),
        not_logged: Some("database is locked".into()),
    });
    assert!(d.app.case.file().is_some(), "shown all the same");
    assert!(d.notice().contains("not logged"), "{}", d.notice());
    // A store failure is said in the view.
    d.press("esc");
    d.press("ctrl-a");
    d.send(Message::CaseGathered {
        seq: d.app.case.seq,
        case: Err("history database is gone".into()),
        not_logged: None,
    });
    assert!(
        d.screen().contains("Could not gather the case"),
        "{}",
        d.screen()
    );
}

#[test]
fn enter_opens_a_lookup_of_the_case_and_esc_comes_back_to_the_case() {
    let mut d = Desk::new();
    history_with_rows(&mut d);
    d.press("ctrl-a");
    gathered(&mut d, fixed_case());
    let cmds = d.press("enter");
    assert!(
        matches!(cmds[..], [Command::OpenLookup { id: 8, .. }]),
        "{cmds:?}"
    );
    let mut lookup = stored(8);
    lookup.row.id = 8;
    d.send(opened(lookup));
    assert_eq!(d.app.screen, Screen::Review);
    assert!(d.app.checks.stored().is_some());
    assert!(d.status_bar().contains("case"), "{}", d.status_bar());
    d.press("esc");
    assert_eq!(d.app.screen, Screen::Case);
    assert_eq!(d.app.case.selected, 7, "the selection kept");
    assert!(d.app.checks.stored().is_none());
    d.press("esc");
    assert_eq!(d.app.screen, Screen::History);
    assert_eq!(d.app.history.selected, 1);
    // The same lookup opened again from history: Esc goes to the live review, not the case.
    d.press("ctrl-a");
    gathered(&mut d, fixed_case());
    d.press("enter");
    let mut again = stored(8);
    again.row.id = 8;
    d.send(opened(again.clone()));
    assert_eq!(d.app.screen, Screen::Review);
    d.press("ctrl-f");
    d.send(opened(again));
    d.press("esc");
    assert_eq!(d.app.screen, Screen::Review);
    assert!(d.app.checks.stored().is_none());
}

#[test]
fn the_case_key_is_rebindable_and_every_hint_in_the_case_works() {
    let mut settings = AppSettings::default();
    settings.keys.insert("case".into(), "f7".into());
    let mut d = Desk::with(settings);
    history_with_rows(&mut d);
    assert!(d.status_bar().contains("F7"), "{}", d.status_bar());
    assert!(gather_commands(&d.press("ctrl-a")).is_empty());
    assert_eq!(gather_commands(&d.press("f7")).len(), 1);
    gathered(&mut d, fixed_case());
    d.press("up");
    let hints = d.app.hints();
    assert!(hints.iter().any(|h| h.words == "back"), "{hints:?}");
    assert!(hints.iter().any(|h| h.words == "open"), "{hints:?}");
    for hint in hints {
        let Some(key) = hint_key(&hint.key) else {
            continue;
        };
        let mut probe = Desk::new();
        history_with_rows(&mut probe);
        probe.press("ctrl-a");
        gathered(&mut probe, fixed_case());
        probe.press("up");
        probe.app.dirty = false;
        probe.app.update(Message::Key(key_event(&key)));
        assert!(
            probe.app.dirty,
            "hint {:?} {:?} did nothing in the case view",
            hint.key, hint.words
        );
    }
    // The help lists the case view's keys.
    d.press("?");
    let s = d.screen();
    assert!(s.contains("Applicant case"), "{s}");
    assert!(s.contains("open the selected lookup read-only"), "{s}");
}

#[test]
fn snapshot_case_view() {
    snap("case", |d| {
        history_with_rows(d);
        d.press("ctrl-a");
        gathered(d, fixed_case());
    });
    snap("case_orders", |d| {
        history_with_rows(d);
        d.press("ctrl-a");
        gathered(d, fixed_case());
        d.press("up");
    });
}

// ---------- flows: a team's phone tasks ----------

#[test]
fn the_task_panel_lists_this_desks_own_tasks_first() {
    let mut d = Desk::with(AppSettings {
        operator: "ana".into(),
        ..AppSettings::default()
    });
    let by = |id: &str, who: &str| TaskView {
        submitter: who.into(),
        ..task(id, "+525512340012", 0, TaskStatus::Pending)
    };
    d.send(Message::TasksLoaded(Ok(vec![
        by("T-bob", "bob"),
        by("T-ana-1", "ana"),
        by("T-unknown", ""),
        by("T-ana-2", "ana"),
    ])));
    let order =
        |d: &Desk| -> Vec<String> { d.app.tasks.list.iter().map(|t| t.task_id.clone()).collect() };
    assert_eq!(order(&d), ["T-ana-1", "T-ana-2", "T-bob", "T-unknown"]);
    // Who submitted each is shown once another desk's tasks are listed.
    d.focus_pane(Pane::Tasks);
    let s = d.screen();
    assert!(
        s.contains(" by ") && s.contains("you") && s.contains("bob"),
        "{s}"
    );
    // A poll's update does not know the submitter: it is kept, and so is the order.
    d.press_n("up", 4);
    d.press_n("down", 2);
    assert_eq!(d.app.tasks.selected_task().unwrap().task_id, "T-bob");
    d.tick_at(NOW + time::Duration::seconds(25));
    d.poll_answer(task("T-bob", "+525512340012", 1, TaskStatus::Pending), None);
    assert_eq!(order(&d), ["T-ana-1", "T-ana-2", "T-bob", "T-unknown"]);
    assert_eq!(d.app.tasks.list[2].submitter, "bob");
    // A task this desk submits now goes before the others; the selection stays on its task.
    d.mexican("5512340003");
    d.run_one(pending_answer("T-new"));
    assert_eq!(
        order(&d),
        ["T-ana-1", "T-ana-2", "T-new", "T-bob", "T-unknown"]
    );
    assert_eq!(d.app.tasks.selected_task().unwrap().task_id, "T-bob");
}
