//! The applicant's case (issue 12): `cargo bench --bench case -- --rows 1000000 --case 1000
//! [--keep DIR]`. Builds a history of `--rows` lookups (the rows of `benches/history.rs`),
//! `--case` of them one applicant's (spread over the year, every outcome, reports whose
//! figures change), then times in process: gather + changes + render, as text, JSON and
//! Markdown. With `--keep DIR` the history is left in `DIR/history.db` for timing the whole
//! process (`riskdesk --data-dir DIR history applicant --phone …`, BENCHMARKS.md).

#[path = "history.rs"]
#[allow(dead_code)]
mod generator;

use generator::{Lcg, row};
use riskdesk::check::{CheckKind, Outcome};
use riskdesk::history::case::{self, CaseFileHeader, CaseKey};
use riskdesk::history::{LookupRecord, SqliteHistory, Store};
use riskdesk::report::parse_report;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// The applicant's phone and ID number: outside the generator's ranges.
const PHONE: &str = "+6285700000001";
const ID: &str = "3171999999999999";

/// One of the applicant's lookups, in place of generated row `i`.
fn case_row(i: u64, n: u64, start: OffsetDateTime, g: &mut Lcg) -> LookupRecord {
    let mut r = row(i, n, start, g);
    r.identity.phone_e164 = PHONE.into();
    r.identity.id_number = ID.into();
    r.identity.name = "Budi Santoso".into();
    r.operator = ["ana", "carla", "dewi"][(g.next() % 3) as usize].into();
    r.purpose = Some(format!("application {}", 8000 + g.next() % 100));
    let (check, body) = if g.next().is_multiple_of(2) {
        let score = 300 + g.next() % 600;
        (
            CheckKind::CreditWillingness,
            format!(r#"{{"code":200,"message":"Success","score":{score},"sequence_id":"s"}}"#),
        )
    } else {
        let apply = g.next() % 60;
        let reject = apply / 2;
        (
            CheckKind::DebtsReport,
            format!(
                r#"{{"status":"OK","request_id":"r","result":{{"reg_total_num":{},"apply_total_num":{apply},"approved_total_num":{},"reject_total_num":{reject},"loan_total_num":{},"apply_amount_avg":{}}}}}"#,
                apply + 3,
                apply - reject,
                apply - reject,
                1_000_000 + 50_000 * apply
            ),
        )
    };
    r.check = check;
    r.outcome = match g.next() % 20 {
        0..=15 => Outcome::Ok,
        16..=17 => Outcome::NotHit,
        18 => Outcome::Error,
        _ => Outcome::Pending,
    };
    r.report = (r.outcome == Outcome::Ok)
        .then(|| serde_json::to_value(parse_report(check, body.as_bytes()).expect("parses")))
        .transpose()
        .expect("report");
    r.error_message = (r.outcome == Outcome::Error).then(|| "vendor timed out".into());
    r.raw_response = body.into_bytes();
    r
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn main() {
    let mut rows: u64 = 100_000;
    let mut case_size: u64 = 1_000;
    let mut keep: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let num = |v: Option<String>, d: u64| {
            v.and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(d)
        };
        match a.as_str() {
            "--rows" => rows = num(args.next(), rows),
            "--case" => case_size = num(args.next(), case_size),
            "--keep" => keep = args.next().map(PathBuf::from),
            _ => {}
        }
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = keep.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    std::fs::create_dir_all(&dir).expect("data dir");
    let path = dir.join("history.db");
    let _ = std::fs::remove_file(&path);
    let start = time::macros::datetime!(2025-06-01 00:00:00 UTC);
    let every = (rows / case_size.max(1)).max(1);
    let t = Instant::now();
    {
        let mut store = Store::open(&path).expect("open");
        let mut g = Lcg(42);
        store
            .record_all((0..rows).map(|i| {
                if i % every == every / 2 {
                    case_row(i, rows, start, &mut g)
                } else {
                    row(i, rows, start, &mut g)
                }
            }))
            .expect("load");
        store.optimize().expect("optimize");
    }
    println!(
        "## {rows} lookups, one applicant's case of {} (built in {:.1} s)\n",
        rows.div_ceil(every).min(rows),
        t.elapsed().as_secs_f64()
    );
    let h = SqliteHistory::open(&path).expect("open");
    let header = CaseFileHeader {
        generated_at: OffsetDateTime::now_utc(),
        generated_by: "bench".into(),
        purpose: None,
    };
    let key = CaseKey::Phone("0857 0000 0001".into());
    let found = case::gather(&h, &key, None, None).expect("gather");
    let changes = case::changes_of(&found);
    println!(
        "case: {} lookups, {} changes\n",
        found.lookups.len(),
        changes.len()
    );
    println!("| step | p50 ms | p95 ms | target |");
    println!("|---|---|---|---|");
    type Step<'a> = (&'a str, &'a str, Box<dyn Fn() -> usize + 'a>);
    let steps: Vec<Step> = vec![
        (
            "gather (searches + reading 1,000 lookups)",
            "-",
            Box::new(|| case::gather(&h, &key, None, None).unwrap().lookups.len()),
        ),
        ("changes", "-", Box::new(|| case::changes_of(&found).len())),
        (
            "render text",
            "-",
            Box::new(|| {
                let mut out = Vec::new();
                case::write_text(&mut out, &found, &changes, false).unwrap();
                out.len()
            }),
        ),
        (
            "render Markdown",
            "-",
            Box::new(|| {
                let mut out = Vec::new();
                case::write_markdown(&mut out, &found, &changes, &header, false).unwrap();
                out.len()
            }),
        ),
        (
            "render JSON",
            "-",
            Box::new(|| {
                let mut out = Vec::new();
                case::write_json(&mut out, &found, &changes, false).unwrap();
                out.len()
            }),
        ),
        (
            "gather + changes + text",
            "≤ 20 ms",
            Box::new(|| {
                let c = case::gather(&h, &key, None, None).unwrap();
                let ch = case::changes_of(&c);
                let mut out = Vec::new();
                case::write_text(&mut out, &c, &ch, false).unwrap();
                out.len()
            }),
        ),
        (
            "gather + changes + Markdown",
            "≤ 20 ms",
            Box::new(|| {
                let c = case::gather(&h, &key, None, None).unwrap();
                let ch = case::changes_of(&c);
                let mut out = Vec::new();
                case::write_markdown(&mut out, &c, &ch, &header, false).unwrap();
                out.len()
            }),
        ),
        (
            "gather + changes + JSON",
            "≤ 20 ms",
            Box::new(|| {
                let c = case::gather(&h, &key, None, None).unwrap();
                let ch = case::changes_of(&c);
                let mut out = Vec::new();
                case::write_json(&mut out, &c, &ch, false).unwrap();
                out.len()
            }),
        ),
    ];
    for (name, target, f) in &steps {
        std::hint::black_box(f());
        let mut t: Vec<Duration> = (0..30)
            .map(|_| {
                let s = Instant::now();
                std::hint::black_box(f());
                s.elapsed()
            })
            .collect();
        t.sort();
        println!(
            "| {name} | {} | {} | {target} |",
            ms(t[t.len() / 2]),
            ms(t[t.len() * 95 / 100])
        );
    }
    if let Some(dir) = keep {
        println!(
            "\nkept: {} — time the whole process with\n  hyperfine --warmup 3 \
             'riskdesk --data-dir {} history applicant --phone 0857-0000-0001 > /dev/null'",
            path.display(),
            dir.display()
        );
    }
}
