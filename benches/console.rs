//! Console speed: a full frame at 200×50 through `TestBackend` (target: under 1 ms), and
//! one keystroke through `App::update` plus the redraw it causes.
//! Run with `cargo bench --bench console`; numbers go to BENCHMARKS.md.
//!
//! `cargo bench --bench console -- --seed DIR --rows N` instead fills `DIR/history.db`
//! with N lookups, for timing the real binary's start and keystrokes against a big history.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use riskdesk::check::{CheckKind, Outcome};
use riskdesk::report::parse_report;
use riskdesk::tui::convert::report_view;
use riskdesk::tui::model::{Answer, HistoryRow};
use riskdesk::tui::{App, AppSettings, Command, Message, view};
use std::hint::black_box;
use std::time::{Duration, Instant};

const DEBTS: &str = r#"{"status":"OK","result":{"reg_total_num":24,"apply_total_num ":6,"approved_total_num ":2,"reject_total_num ":4,"loan_total_num ":2,"apply_amount_min ":4000,"apply_amount_max ":8000,"apply_amount_avg ":6000,"loan_amount_min ":3000,"loan_amount_max ":6000,"loan_amount_avg ":4500,"platform_reg_total ":7,"platform_apply_total":4,"platform_approved_total ":3,"platform_reject_total ":1,"platform_loan_total ":2},"request_id":"TID591cb9fb0e284cf296912a4d0ffea889"}"#;

fn key(code: KeyCode, mods: KeyModifiers) -> Message {
    Message::Key(KeyEvent::new(code, mods))
}

/// A review with a debts report on screen and 200 history rows, reached as an operator
/// reaches it: typed, run, answered.
fn busy_app() -> App {
    let now = time::OffsetDateTime::now_utc();
    let mut app = App::new(AppSettings::default(), now);
    for c in "0812 3456 7890".chars() {
        app.update(key(KeyCode::Char(c), KeyModifiers::NONE));
    }
    app.update(key(KeyCode::Down, KeyModifiers::NONE));
    for c in "3171234567890123".chars() {
        app.update(key(KeyCode::Char(c), KeyModifiers::NONE));
    }
    app.update(key(KeyCode::Down, KeyModifiers::NONE));
    for c in "Siti Rahma".chars() {
        let shift = if c.is_ascii_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        app.update(key(KeyCode::Char(c), shift));
    }
    let report = parse_report(CheckKind::DebtsReport, DEBTS.as_bytes()).expect("sample");
    let answer = Answer {
        check: CheckKind::DebtsReport,
        outcome: Outcome::Ok,
        vendor_status: "OK".into(),
        request_id: "TID591cb9fb0e284cf296912a4d0ffea889".into(),
        latency_ms: 120,
        raw: DEBTS.as_bytes().to_vec(),
        report: Some(report_view(&report)),
        error: None,
        task_id: None,
        warnings: vec![],
        lookup_id: Some(1),
        unsaved: None,
        at: now,
    };
    for cmd in app.update(key(KeyCode::Char('r'), KeyModifiers::CONTROL)) {
        if let Command::FindRecent { run_id, check, .. } = cmd {
            for cmd in app.update(Message::RecentFound {
                run_id,
                found: Ok(None),
            }) {
                if let (Command::RunCheck { run_id, .. }, CheckKind::DebtsReport) = (cmd, check) {
                    app.update(Message::CheckAnswered {
                        run_id,
                        answer: Box::new(answer.clone()),
                    });
                }
            }
        }
    }
    app.update(key(KeyCode::Tab, KeyModifiers::NONE));
    app.update(key(KeyCode::Char('f'), KeyModifiers::CONTROL));
    let seq = app.history.seq;
    app.update(Message::SearchResults {
        seq,
        rows: Ok((0..200)
            .map(|i| HistoryRow {
                id: i,
                at: now,
                check: CheckKind::DebtsReport,
                outcome: Outcome::Ok,
                phone: "+6281234567890".into(),
                id_number: "3171234567890123".into(),
                name: "Siti Rahma".into(),
                request_id: format!("TID{i}"),
                sandbox: false,
                operator: "ana".into(),
            })
            .collect()),
    });
    app.update(key(KeyCode::Esc, KeyModifiers::NONE));
    app
}

fn measure(name: &str, iterations: u32, mut f: impl FnMut()) -> Duration {
    for _ in 0..iterations / 10 {
        f();
    }
    let mut samples: Vec<Duration> = (0..iterations)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    samples.sort();
    let median = samples[samples.len() / 2];
    let p99 = samples[samples.len() * 99 / 100];
    println!("{name:<40} median {median:>10.2?}  p99 {p99:>10.2?}  ({iterations} runs)");
    median
}

/// Fills a data dir's history with `rows` lookups spread over the last 300 days (inside the
/// default retention, so nothing is purged at start).
fn seed(dir: &std::path::Path, rows: u64) {
    use riskdesk::applicant::Identity;
    use riskdesk::history::{LookupRecord, Store};
    std::fs::create_dir_all(dir).expect("data dir");
    let mut store = Store::open_in_data_dir(dir).expect("open history");
    let now = time::OffsetDateTime::now_utc();
    let names = [
        "Siti Rahma",
        "Budi Santoso",
        "Juan Perez",
        "Priya Sharma",
        "Ana Cruz",
    ];
    let started = Instant::now();
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..rows {
        batch.push(LookupRecord {
            id: 0,
            created_at: now - Duration::from_secs(rows - i) * 25,
            operator: "bench".into(),
            purpose: None,
            sandbox: true,
            check: CheckKind::ALL[(i % 5) as usize],
            identity: Identity {
                phone_e164: format!("+62812{i:08}"),
                id_number: format!("3171{i:012}"),
                name: names[(i % 5) as usize].into(),
                country: "ID".into(),
                ..Identity::default()
            },
            request: serde_json::json!({"body": {"mobile": format!("62812{i:08}")}}),
            http_status: Some(200),
            vendor_status: Some("OK".into()),
            vendor_request_id: Some(format!("TID{i:016x}")),
            outcome: if i % 7 == 0 {
                Outcome::NotHit
            } else {
                Outcome::Ok
            },
            error_kind: None,
            error_message: None,
            latency_ms: 120,
            raw_response: DEBTS.as_bytes().to_vec(),
            report: None,
            task_id: None,
            attempts: Vec::new(),
        });
        if batch.len() == 10_000 {
            store.record_all(batch.drain(..)).expect("record batch");
        }
    }
    if !batch.is_empty() {
        store.record_all(batch.drain(..)).expect("record batch");
    }
    println!(
        "seeded {rows} lookups into {} in {:?}",
        dir.display(),
        started.elapsed()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--seed") {
        let dir = args.get(i + 1).expect("--seed DIR");
        let rows = args
            .iter()
            .position(|a| a == "--rows")
            .and_then(|j| args.get(j + 1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(1_000_000);
        seed(std::path::Path::new(dir), rows);
        return;
    }
    let mut review = busy_app();
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("test backend");
    let frame = measure("full frame 200x50, review + debts report", 2000, || {
        terminal
            .draw(|f| {
                view::draw(f, black_box(&review));
            })
            .expect("draw");
    });

    review.update(Message::Key(KeyEvent::new(
        KeyCode::Char('h'),
        KeyModifiers::NONE,
    )));
    measure("full frame 200x50, history (200 rows)", 2000, || {
        terminal
            .draw(|f| {
                view::draw(f, black_box(&review));
            })
            .expect("draw");
    });

    let mut typing = busy_app();
    // Back to the form's Name field.
    typing.update(key(KeyCode::BackTab, KeyModifiers::SHIFT));
    let mut small = Terminal::new(TestBackend::new(200, 50)).expect("test backend");
    measure("keystroke: update + validate + redraw", 2000, || {
        typing.update(Message::Key(KeyEvent::new(
            KeyCode::Char('a'),
            KeyModifiers::NONE,
        )));
        typing.update(Message::Key(KeyEvent::new(
            KeyCode::Backspace,
            KeyModifiers::NONE,
        )));
        small
            .draw(|f| {
                view::draw(f, &typing);
            })
            .expect("draw");
    });
    if frame > Duration::from_millis(1) {
        println!("WARNING: a full frame took over 1 ms");
    }
}
