//! History store benchmark: `cargo bench --bench history -- --rows 100000`.
//! Plain `main`, std::time, p50/p95 per operation, targets from issues 4 and 9 alongside.

use riskdesk::applicant::Identity;
use riskdesk::applicant::Identity as Ident;
use riskdesk::check::{CheckKind, Outcome};
use riskdesk::history::{ExportFormat, LookupRecord, SearchQuery, SqliteHistory, Store};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

const FIRST: &[&str] = &[
    "Budi", "Siti", "Agus", "Dewi", "José", "María", "Priya", "Rahul", "Nguyễn", "Somchai", "Ana",
    "Luis", "Chidi", "Ayesha", "Juan", "Rosa", "Andrés", "Lakshmi", "Fatima", "Kevin",
];
const LAST: &[&str] = &[
    "Santoso",
    "Wijaya",
    "Hernández",
    "García",
    "Sharma",
    "Patel",
    "Trần",
    "Srisuk",
    "Okafor",
    "Khan",
    "Reyes",
    "Gómez",
    "Kusuma",
    "Nair",
    "Lim",
    "Cruz",
    "Pérez",
    "Rao",
    "Bello",
    "Ali",
];
/// A surname that appears in only a handful of rows.
const RARE: &str = "Quetzalcóatl";

/// A cheap deterministic generator: the same rows every run.
pub struct Lcg(pub u64);
impl Lcg {
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() as usize) % xs.len()]
    }
}

pub fn phone_of(i: u64) -> String {
    format!("+62812{:08}", i)
}

pub fn id_of(i: u64) -> String {
    format!("3171{:012}", i)
}

/// Row `i` of `n`: a year of lookups from `start`, each applicant (phone, ID) its own.
/// `benches/case.rs` builds its history from these rows too.
pub fn row(i: u64, n: u64, start: OffsetDateTime, g: &mut Lcg) -> LookupRecord {
    let name = if i % (n / 8).max(1) == 7 {
        format!("{} {RARE}", g.pick(FIRST))
    } else {
        format!("{} {}", g.pick(FIRST), g.pick(LAST))
    };
    let check = CheckKind::ALL[(i % 5) as usize];
    let outcome = match g.next() % 10 {
        0..=5 => Outcome::Ok,
        6..=7 => Outcome::NotHit,
        8 => Outcome::Error,
        _ => Outcome::Pending,
    };
    LookupRecord {
        id: 0,
        // A year of lookups, oldest first, ~30 s apart at 1M rows.
        created_at: start + time::Duration::seconds((i * 31_536_000 / n.max(1)) as i64),
        operator: "bench".into(),
        purpose: None,
        sandbox: false,
        check,
        identity: Identity {
            phone_e164: phone_of(i),
            id_number: id_of(i),
            name,
            country: "ID".into(),
            bankcard: String::new(),
            email: String::new(),
            gaid: String::new(),
        },
        request: serde_json::json!({"mobile": phone_of(i).trim_start_matches('+'), "idcard": id_of(i)}),
        http_status: Some(200),
        vendor_status: Some("OK".into()),
        vendor_request_id: Some(format!("req-{i:010}")),
        outcome,
        error_kind: None,
        error_message: None,
        latency_ms: 100 + g.next() % 900,
        raw_response: format!(
            "{{\"status\":\"OK\",\"message\":\"success\",\"request_id\":\"req-{i:010}\",\"data\":{{\"result\":{{\"loan_count \":{},\"overdue_count \":{},\"max_overdue_days \":{}}}}}}}",
            g.next() % 20, g.next() % 5, g.next() % 90
        )
        .into_bytes(),
        report: Some(serde_json::json!({"loan_count": i % 20})),
        task_id: None,
        attempts: Vec::new(),
    }
}

struct Stats {
    p50: Duration,
    p95: Duration,
}

fn measure(iters: usize, mut f: impl FnMut(usize)) -> Stats {
    // One untimed warm-up: statement cache and page cache, as in a running console.
    f(0);
    let mut t: Vec<Duration> = (0..iters)
        .map(|k| {
            let s = Instant::now();
            f(k);
            s.elapsed()
        })
        .collect();
    t.sort();
    Stats {
        p50: t[t.len() / 2],
        p95: t[(t.len() * 95 / 100).min(t.len() - 1)],
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

fn report(name: &str, target: &str, s: Stats) {
    println!("| {name} | {} | {} | {target} |", ms(s.p50), ms(s.p95));
}

fn main() {
    let mut rows: u64 = 10_000;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--rows" {
            rows = args
                .next()
                .and_then(|v| v.replace('_', "").parse().ok())
                .unwrap_or(rows);
        }
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("history.db");
    let mut store = Store::open(&path).expect("open");
    let start = time::macros::datetime!(2025-06-01 00:00:00 UTC);

    let t = Instant::now();
    let mut g = Lcg(42);
    store
        .record_all((0..rows).map(|i| row(i, rows, start, &mut g)))
        .expect("load");
    let load_s = t.elapsed().as_secs_f64();
    let t_opt = Instant::now();
    store.optimize().expect("optimize");
    let opt_s = t_opt.elapsed().as_secs_f64();
    println!(
        "## {rows} rows (generated and stored in one transaction in {load_s:.1} s; \
         `Store::optimize` after it: {opt_s:.1} s)\n"
    );
    println!("| operation | p50 ms | p95 ms | target (issue 4, 9) |");
    println!("|---|---|---|---|");

    let mut g = Lcg(7);
    let mut pick = move || g.next() % rows;
    let q = |text: String| SearchQuery::text(text);
    let one = |s: &Store, q: &SearchQuery| {
        let p = s.search(q).expect("search");
        std::hint::black_box(p.rows.len())
    };

    report(
        "phone `+62 812-…` (E.164 spaced)",
        "p95 < 1 ms",
        measure(300, |_| {
            let p = phone_of(pick());
            one(&store, &q(format!("+62 {}-{}", &p[3..6], &p[6..])));
        }),
    );
    report(
        "phone `0812…` (national)",
        "p95 < 1 ms",
        measure(300, |_| {
            let p = phone_of(pick());
            one(&store, &q(format!("0{}", &p[3..])));
        }),
    );
    report(
        "phone `812…` (no prefix)",
        "p95 < 1 ms",
        measure(300, |_| {
            let p = phone_of(pick());
            one(&store, &q(p[3..].to_string()));
        }),
    );
    report(
        "id number",
        "p95 < 1 ms",
        measure(300, |_| {
            one(&store, &q(id_of(pick())));
        }),
    );
    report(
        "phone `+62 0812-…` (trunk 0 after the code)",
        "p95 < 1 ms",
        measure(300, |_| {
            let p = phone_of(pick());
            one(&store, &q(format!("+62 0{}-{}", &p[3..6], &p[6..])));
        }),
    );
    report(
        "vendor request id",
        "p95 < 1 ms",
        measure(300, |_| {
            one(&store, &q(format!("req-{:010}", pick())));
        }),
    );
    let names = [
        ("name, rare (`quetzal`, ~8 rows)", "quetzal"),
        ("name, common (`santoso`, ~5% of rows)", "santoso"),
        ("name, very common (`ana`)", "ana"),
        ("name, no match (`xylophone`)", "xylophone"),
        ("name, accents folded (`HERNANDEZ`)", "HERNANDEZ"),
        ("name, 2 chars (`lu`, bounded scan)", "lu"),
    ];
    for (label, text) in names {
        report(
            label,
            "p95 < 5 ms",
            measure(100, |_| {
                one(&store, &q(text.to_string()));
            }),
        );
    }
    report(
        "newest page (50 rows)",
        "< 2 ms",
        measure(200, |_| {
            one(&store, &SearchQuery::all());
        }),
    );
    // The 1,000th page (or the last one, on small stores): cursor found by paging, untimed.
    let page_no = 1000.min(rows as usize / 50);
    let mut cq = SearchQuery::all();
    for _ in 1..page_no {
        match store.search(&cq).expect("page").next {
            Some(c) => cq.before = Some(c),
            None => break,
        }
    }
    report(
        &format!("page {page_no} (keyset)"),
        "< 2 ms",
        measure(200, |_| {
            one(&store, &cq);
        }),
    );
    let mut fq = SearchQuery::all();
    fq.check = Some(CheckKind::PhoneStatus);
    fq.outcome = Some(Outcome::Error);
    report(
        "newest page, check + outcome filter",
        "< 2 ms",
        measure(200, |_| {
            one(&store, &fq);
        }),
    );
    // Issue 9: the paths that walked a whole group or index before.
    let filtered = |text: &str, check: Option<CheckKind>, outcome: Option<Outcome>| {
        let mut q = SearchQuery::text(text);
        q.check = check;
        q.outcome = outcome;
        q
    };
    let debts = Some(CheckKind::DebtsReport);
    let skipped = Some(Outcome::Skipped);
    let mut incomplete = Vec::new();
    for (label, target, query) in [
        (
            "check + outcome, no match (`debts-report` + `skipped`)",
            "p95 ≤ 1 ms",
            filtered("", debts, skipped),
        ),
        (
            "name, common + filters that exclude it (`santoso`, `debts-report` + `skipped`)",
            "p95 ≤ 5 ms",
            filtered("santoso", debts, skipped),
        ),
        (
            "name, common + check filter (`santoso`, `phone-status`)",
            "p95 ≤ 5 ms",
            filtered("santoso", Some(CheckKind::PhoneStatus), None),
        ),
        (
            "name, 2 letters, no match (`zx`)",
            "p95 ≤ 5 ms",
            filtered("zx", None, None),
        ),
        (
            "name, 1 letter + filter that excludes it (`a`, `skipped`)",
            "p95 ≤ 5 ms",
            filtered("a", None, skipped),
        ),
    ] {
        if store.search(&query).expect("search").incomplete {
            incomplete.push(label);
        }
        report(
            label,
            target,
            measure(100, |_| {
                one(&store, &query);
            }),
        );
    }
    let since = start + time::Duration::days(400);
    let anyone = Ident {
        name: "Budi Santoso".into(),
        country: "ID".into(),
        ..Ident::default()
    };
    report(
        "`latest_for`, no phone or ID (answers None)",
        "p95 ≤ 1 ms",
        measure(300, |_| {
            let r = store
                .latest_for(CheckKind::DebtsReport, &anyone, since)
                .expect("latest_for");
            std::hint::black_box(r);
        }),
    );
    report(
        "`latest_for`, phone + ID",
        "p95 ≤ 1 ms",
        measure(300, |_| {
            let i = pick();
            let ident = Ident {
                phone_e164: phone_of(i),
                id_number: id_of(i),
                country: "ID".into(),
                ..Ident::default()
            };
            let r = store
                .latest_for(CheckKind::ALL[(i % 5) as usize], &ident, start)
                .expect("latest_for");
            std::hint::black_box(r);
        }),
    );
    drop(store);
    report(
        "open store + first page",
        "< 20 ms",
        measure(20, |_| {
            let s = Store::open(&path).expect("reopen");
            one(&s, &SearchQuery::all());
        }),
    );

    let mut store = Store::open(&path).expect("reopen");
    let mut g = Lcg(99);
    report(
        "record one lookup (durable commit)",
        "-",
        measure(50, |k| {
            let mut r = row(rows + k as u64, rows, start, &mut g);
            r.vendor_request_id = None;
            store.record(&r).expect("record");
        }),
    );

    let export_path = dir.path().join("export.jsonl");
    let t = Instant::now();
    let n = {
        let f = std::fs::File::create(&export_path).expect("export file");
        let mut w = std::io::BufWriter::new(f);
        let h = SqliteHistory::open(&path).expect("open for export");
        riskdesk::history::export(
            &h,
            &SearchQuery::all(),
            ExportFormat::Jsonl,
            &mut w,
            &mut |_, _| {},
        )
        .expect("export")
        .written
    };
    let export_s = t.elapsed().as_secs_f64();
    let fresh = SqliteHistory::open(&dir.path().join("imported.db")).expect("fresh");
    let t = Instant::now();
    let f = std::fs::File::open(&export_path).expect("read export");
    let stats =
        riskdesk::history::import_jsonl(&fresh, &mut std::io::BufReader::new(f), &mut |_| {})
            .expect("import");
    let import_s = t.elapsed().as_secs_f64();
    assert_eq!(stats.added, n);
    println!(
        "\nexport of {n} rows to JSON lines: {export_s:.1} s; import into an empty store: {import_s:.1} s (target at 1,000,000 rows: < 60 s)"
    );
    let db_mb = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) as f64 / 1e6;
    println!("database size: {db_mb:.0} MB");
    if !incomplete.is_empty() {
        println!(
            "answered with `incomplete` (bound of {} rows examined, `next` to go on): {}",
            riskdesk::history::NAME_SCAN_BOUND,
            incomplete.join("; ")
        );
    }

    // Purges, each with its checkpoint: the oldest 0.01 % (names erased in place by FTS5
    // secure-delete), then up to 1 % (the name index rewritten).
    for (share, how) in [
        (10_000, "names erased in place"),
        (100, "name index rewritten"),
    ] {
        let cutoff = start + time::Duration::seconds(31_536_000 / share);
        let t = Instant::now();
        let purged = store.purge_before(cutoff).expect("purge");
        println!(
            "purge of the oldest 1/{share} ({} lookups, {how}) with checkpoint: {:.2} s",
            purged.lookups,
            t.elapsed().as_secs_f64()
        );
    }
    let t = Instant::now();
    let check = store.integrity_check().expect("integrity");
    println!(
        "integrity check (file + FTS5 against the lookups): {check}, {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // The migration an existing file runs once: back to version 3's shape, then open.
    drop(store);
    let conn = rusqlite::Connection::open(&path).expect("raw open");
    let t = Instant::now();
    conn.execute_batch("INSERT INTO lookup_names (lookup_names) VALUES ('rebuild')")
        .expect("rebuild");
    println!(
        "FTS5 `rebuild` of the name index: {:.1} s",
        t.elapsed().as_secs_f64()
    );
    conn.execute_batch(
        "DROP TRIGGER lookups_ids_high_water; DROP TABLE lookup_ids;
         DROP INDEX lookups_by_check_outcome; PRAGMA user_version = 3;",
    )
    .expect("back to v3");
    drop(conn);
    let t = Instant::now();
    let store = Store::open(&path).expect("migrate");
    println!(
        "migration v3 → v5 (id high-water mark, check+outcome index, name index rebuilt with \
         secure-delete, every row's keys re-derived): {:.1} s\n",
        t.elapsed().as_secs_f64()
    );
    drop(store);
}
