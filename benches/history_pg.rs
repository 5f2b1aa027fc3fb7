//! Team history on PostgreSQL (issue 11): `cargo bench --bench history_pg -- --rows 1000000`.
//! Starts a throwaway cluster (`tests/pg_cluster`), loads N lookups with `insert_absent` in
//! batches of 2,000, then reports p50/p95 over 200 queries per operation. Needs PostgreSQL
//! installed (initdb, pg_ctl); without it, says so and exits.
//!
//! `--durable`: the cluster keeps PostgreSQL's defaults (`fsync`, `synchronous_commit`,
//! `full_page_writes` on), so a recorded lookup is flushed to disk before it returns.
//! `--copy`: the rows (the same generator) go in through `COPY … FROM STDIN` (psql), one
//! transaction per million, for sizes `insert_absent` would take too long to load;
//! `--max-load-secs S` stops loading after the million that passes S seconds and measures
//! what was loaded (the table says how many). `--settle`: before measuring, a checkpoint, a
//! `VACUUM (ANALYZE)` and another checkpoint, so the queries meet a server that is done
//! writing the load out.

#[path = "../tests/pg_cluster/mod.rs"]
mod pg_cluster;

use riskdesk::applicant::Identity;
use riskdesk::check::{CheckKind, Outcome};
use riskdesk::history::pg::PgEnv;
use riskdesk::history::{History, LookupRecord, PgHistory, SearchQuery};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

const OWNER: &str = "desk_owner";
const BATCH: u64 = 2_000;
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

/// The same deterministic generator as `benches/history.rs`: the same rows every run.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() as usize) % xs.len()]
    }
}

fn phone_of(i: u64) -> String {
    format!("+62812{:08}", i)
}

fn id_of(i: u64) -> String {
    format!("3171{:012}", i)
}

fn row(i: u64, n: u64, start: OffsetDateTime, g: &mut Lcg) -> LookupRecord {
    let name = if i % (n / 8).max(1) == 7 {
        format!("{} {RARE}", g.pick(FIRST))
    } else {
        format!("{} {}", g.pick(FIRST), g.pick(LAST))
    };
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
        check: CheckKind::ALL[(i % 5) as usize],
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

/// A deterministic uuid-shaped identity per generated row.
fn uuid_of(i: u64) -> String {
    format!("00000000-0000-4000-8000-{i:012x}")
}

struct Stats {
    p50: Duration,
    p95: Duration,
}

fn measure(iters: usize, mut f: impl FnMut(usize)) -> Stats {
    // One untimed warm-up: prepared statements and the server's buffers.
    f(0);
    let mut t: Vec<Duration> = (0..iters)
        .map(|k| {
            let s = Instant::now();
            f(k + 1);
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

fn report(name: &str, target: Duration, s: Stats) {
    let verdict = if s.p95 <= target { "met" } else { "MISSED" };
    println!(
        "| {name} | {} | {} | p95 ≤ {} ms | {verdict} |",
        ms(s.p50),
        ms(s.p95),
        target.as_millis()
    );
}

fn main() {
    let mut rows: u64 = 1_000_000;
    let (mut durable, mut copy, mut max_load) = (false, false, f64::INFINITY);
    let mut settle = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rows" => {
                rows = args
                    .next()
                    .and_then(|v| v.replace('_', "").parse().ok())
                    .unwrap_or(rows)
            }
            "--durable" => durable = true,
            "--copy" => copy = true,
            "--settle" => settle = true,
            "--max-load-secs" => {
                max_load = args.next().and_then(|v| v.parse().ok()).unwrap_or(max_load)
            }
            _ => {}
        }
    }
    let Some(bin) = pg_cluster::find_bin() else {
        eprintln!("history_pg bench: PostgreSQL (initdb, pg_ctl) not found; nothing measured");
        return;
    };
    let cluster = pg_cluster::Cluster::start_with(
        &bin,
        pg_cluster::Options {
            durable,
            ..Default::default()
        },
    );
    let settings = cluster.sql(
        "postgres",
        "SELECT current_setting('server_version') || ', fsync=' || current_setting('fsync') \
         || ', synchronous_commit=' || current_setting('synchronous_commit') \
         || ', full_page_writes=' || current_setting('full_page_writes')",
    );
    eprintln!("PostgreSQL {settings}");
    cluster.sql("postgres", &format!("CREATE ROLE {OWNER} LOGIN CREATEROLE"));
    cluster.sql("postgres", &format!("CREATE DATABASE bench OWNER {OWNER}"));
    let env = PgEnv {
        os_user: "bench".into(),
        ..PgEnv::default()
    };
    let h = PgHistory::open_with(&cluster.url(OWNER, "bench"), &env).expect("open PgHistory");
    let start = time::macros::datetime!(2025-06-01 00:00:00 UTC);

    let t = Instant::now();
    let mut g = Lcg(42);
    let mut i = 0;
    if copy {
        const CHUNK: u64 = 1_000_000;
        while i < rows && t.elapsed().as_secs_f64() < max_load {
            let end = (i + CHUNK).min(rows);
            copy_rows(&cluster, i, end, rows, start, &mut g);
            i = end;
            eprintln!("copied {i} rows in {:.0} s", t.elapsed().as_secs_f64());
        }
    }
    while i < rows && !copy {
        let end = (i + BATCH).min(rows);
        let batch: Vec<(LookupRecord, String)> = (i..end)
            .map(|k| (row(k, rows, start, &mut g), uuid_of(k)))
            .collect();
        let done = h.insert_absent(&batch).expect("insert_absent");
        assert_eq!(done.added, batch.len(), "rows already present");
        i = end;
        if i % 100_000 == 0 {
            eprintln!("loaded {i} rows in {:.0} s", t.elapsed().as_secs_f64());
        }
    }
    let load_s = t.elapsed().as_secs_f64();
    // What was loaded (less than asked when --max-load-secs ran out).
    let rows = i;
    let how = if copy {
        "`COPY … FROM STDIN`, a million per transaction".to_string()
    } else {
        format!("`insert_absent`, {BATCH} per batch")
    };
    let t_opt = Instant::now();
    h.optimize().expect("optimize");
    let opt_s = t_opt.elapsed().as_secs_f64();
    let settled = if settle {
        // Measure a steady server, not one still writing the load out: the load's dirty
        // pages flushed, the table vacuumed (visibility map, hint bits) and analysed.
        let t = Instant::now();
        cluster.sql("bench", "CHECKPOINT");
        cluster.sql("bench", "VACUUM (ANALYZE) riskdesk.lookups");
        cluster.sql("bench", "CHECKPOINT");
        format!(
            "; then CHECKPOINT, VACUUM (ANALYZE), CHECKPOINT: {:.1} s",
            t.elapsed().as_secs_f64()
        )
    } else {
        String::new()
    };
    println!(
        "## {rows} rows on PostgreSQL {settings} (loaded with {how} in {load_s:.1} s; \
         `optimize` after it: {opt_s:.1} s{settled})\n"
    );
    println!("| operation | p50 ms | p95 ms | target (issue 11) | |");
    println!("|---|---|---|---|---|");

    let mut g = Lcg(7);
    let mut pick = move || g.next() % rows;
    let one = |q: SearchQuery| {
        let p = h.search(&q).expect("search");
        std::hint::black_box(p.rows.len())
    };
    let key = Duration::from_millis(2);
    report(
        "phone `0812…` (national)",
        key,
        measure(200, |_| {
            let p = phone_of(pick());
            one(SearchQuery::text(format!("0{}", &p[3..])));
        }),
    );
    report(
        "phone `+62 812-…` (E.164 spaced)",
        key,
        measure(200, |_| {
            let p = phone_of(pick());
            one(SearchQuery::text(format!("+62 {}-{}", &p[3..6], &p[6..])));
        }),
    );
    report(
        "id number",
        key,
        measure(200, |_| {
            one(SearchQuery::text(id_of(pick())));
        }),
    );
    report(
        "vendor request id",
        key,
        measure(200, |_| {
            one(SearchQuery::text(format!("req-{:010}", pick())));
        }),
    );
    let names = [
        ("name, rare (`quetzal`, ~8 rows)", "quetzal"),
        ("name, common (`santoso`, ~5% of rows)", "santoso"),
        ("name, very common (`ana`)", "ana"),
        ("name, no match (`xylophone`)", "xylophone"),
        ("name, accents folded (`HERNANDEZ`)", "HERNANDEZ"),
    ];
    for (label, text) in names {
        report(
            label,
            Duration::from_millis(20),
            measure(200, |_| {
                one(SearchQuery::text(text));
            }),
        );
    }
    let mut g = Lcg(99);
    report(
        "record one lookup (committed)",
        Duration::from_millis(5),
        measure(200, |k| {
            let mut r = row(rows + k as u64, rows, start, &mut g);
            r.vendor_request_id = None;
            h.record(&r, None).expect("record");
        }),
    );
    drop(h);
    drop(cluster);
}

/// CSV text of one field: quoted (so an empty string is not NULL), quotes doubled.
fn csv(out: &mut String, v: &str) {
    out.push('"');
    out.push_str(&v.replace('"', "\"\""));
    out.push('"');
}

/// Rows `from..to` of an `n`-row set through psql's `COPY … FROM STDIN`, in one
/// transaction: the same columns `insert_absent` writes, with the same folding and keys.
fn copy_rows(
    cluster: &pg_cluster::Cluster,
    from: u64,
    to: u64,
    n: u64,
    start: OffsetDateTime,
    g: &mut Lcg,
) {
    use riskdesk::history::{fold_text, id_key, phone_nsn};
    use std::io::Write;
    let mut child = cluster
        .psql_command(OWNER, "bench")
        .arg("-c")
        .arg(
            "COPY riskdesk.lookups (uuid, created_at, os_user, sandbox, check_kind, phone_e164, \
             phone_nsn, id_number, id_key, name, name_fold, country, bankcard, email, gaid, \
             request, http_status, vendor_status, vendor_request_id, outcome, latency_ms, \
             raw_response, report) FROM STDIN WITH (FORMAT csv)",
        )
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("psql");
    let mut stdin = std::io::BufWriter::with_capacity(1 << 20, child.stdin.take().expect("stdin"));
    let mut line = String::with_capacity(1024);
    for k in from..to {
        let r = row(k, n, start, g);
        let id = &r.identity;
        line.clear();
        let hex: String = r.raw_response.iter().map(|b| format!("{b:02x}")).collect();
        let created = r
            .created_at
            .format(&time::format_description::well_known::Rfc3339)
            .expect("time");
        let fields: [Option<String>; 23] = [
            Some(uuid_of(k)),
            Some(created),
            Some(r.operator.clone()),
            Some(r.sandbox.to_string()),
            Some(r.check.cli_name().to_string()),
            Some(id.phone_e164.clone()),
            Some(phone_nsn(&id.phone_e164, &id.country)),
            Some(id.id_number.clone()),
            Some(id_key(&id.id_number)),
            Some(id.name.clone()),
            Some(fold_text(&id.name)),
            Some(id.country.clone()),
            Some(id.bankcard.clone()),
            Some(id.email.clone()),
            Some(id.gaid.clone()),
            Some(r.request.to_string()),
            r.http_status.map(|s| s.to_string()),
            r.vendor_status.clone(),
            r.vendor_request_id.clone(),
            Some(r.outcome.as_str().to_string()),
            Some(r.latency_ms.to_string()),
            Some(format!("\\x{hex}")),
            r.report.as_ref().map(|v| v.to_string()),
        ];
        for (j, f) in fields.iter().enumerate() {
            if j > 0 {
                line.push(',');
            }
            if let Some(v) = f {
                csv(&mut line, v);
            }
        }
        line.push('\n');
        stdin.write_all(line.as_bytes()).expect("write to psql");
    }
    drop(stdin);
    let status = child.wait().expect("psql");
    assert!(status.success(), "COPY failed: {status}");
}
