//! The history store through its public API, including multi-process behaviour: the test
//! binary re-runs itself as a child (ignored tests gated by an env var).

use riskdesk::applicant::Identity;
use riskdesk::check::{CheckKind, Outcome};
use riskdesk::history::cli::{HistoryCommand, TasksArgs, run_history, run_tasks_list};
use riskdesk::history::{
    ExportFormat, History, HistoryError, LookupRecord, PhoneTaskRow, PollFinish, SearchQuery,
    SqliteHistory, Store, TaskState, to_stored_precision,
};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;
use time::OffsetDateTime;
use time::macros::datetime;

const CHILD_DB: &str = "RISKDESK_HISTORY_TEST_DB";
const CHILD_TAG: &str = "RISKDESK_HISTORY_TEST_TAG";

fn base_time() -> OffsetDateTime {
    datetime!(2026-03-03 08:00:00 UTC)
}

fn rec(i: i64, phone: &str, name: &str, id_number: &str) -> LookupRecord {
    LookupRecord {
        id: 0,
        created_at: base_time() + time::Duration::minutes(i),
        operator: "ana".into(),
        purpose: None,
        sandbox: i % 2 == 0,
        check: CheckKind::DebtsReport,
        identity: Identity {
            phone_e164: phone.into(),
            id_number: id_number.into(),
            name: name.into(),
            country: "ID".into(),
            bankcard: "4111111111111111".into(),
            email: "x@example.com".into(),
            gaid: String::new(),
        },
        request: serde_json::json!({"mobile": phone.trim_start_matches('+'), "idcard": id_number}),
        http_status: Some(200),
        vendor_status: Some("OK".into()),
        vendor_request_id: Some(format!("req-{i}")),
        outcome: Outcome::Ok,
        error_kind: None,
        error_message: None,
        latency_ms: 120 + i as u64,
        raw_response: format!("{{\"status\":\"OK\",\"request_id\":\"req-{i}\"}}").into_bytes(),
        report: Some(serde_json::json!({"hits": i})),
        task_id: None,
        attempts: Vec::new(),
    }
}

fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_in_data_dir(&dir.path().join("data")).unwrap();
    (dir, store)
}

fn ids(page: &riskdesk::history::SearchPage) -> Vec<i64> {
    page.rows.iter().map(|r| r.id).collect()
}

#[test]
fn record_and_get_round_trip_byte_for_byte() {
    let (_d, mut s) = temp_store();
    let mut r = rec(1, "+6281234567890", "Budi Santoso", "3171234567890001");
    r.raw_response = vec![0xff, 0x00, b'{', 0x80, b' ', b'\n'];
    r.created_at = datetime!(2026-03-03 10:11:12.123456789 +07:00);
    let id = s.record(&r).unwrap();
    assert!(id > 0);
    let got = s.get(id).unwrap().unwrap();
    let mut want = r.clone();
    want.id = id;
    want.created_at = to_stored_precision(r.created_at);
    assert_eq!(got, want);
    assert_eq!(got.created_at.offset(), time::UtcOffset::UTC);
    assert!(s.get(id + 100).unwrap().is_none());
}

#[test]
fn files_are_private_and_schema_versioned() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested/data");
    let mut s = Store::open_in_data_dir(&data).unwrap();
    s.record(&rec(1, "+6281234567890", "A", "")).unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("history.db")), 0o600);
    assert_eq!(mode(&data.join("history.db-wal")), 0o600);
    drop(s);

    let conn = rusqlite::Connection::open(data.join("history.db")).unwrap();
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, 8);
    let jm: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(jm, "wal");
    // A file from a newer riskdesk is refused, not damaged.
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    match Store::open_in_data_dir(&data) {
        Err(HistoryError::NewerSchema {
            found: 99,
            known: 8,
        }) => {}
        other => panic!("expected NewerSchema, got {other:?}"),
    }
}

#[test]
fn migrates_a_version_one_file() {
    // Version 1 indexed names through an insert trigger; version 2 writes the index row itself.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    let mut s = Store::open(&path).unwrap();
    let first = s
        .record(&rec(1, "+6281234567890", "Budi Santoso", ""))
        .unwrap();
    drop(s);
    let conn = rusqlite::Connection::open(&path).unwrap();
    // Back to version 1's shape: the insert trigger, no attempt columns (v3), no id high-water
    // mark, check + outcome index or FTS5 secure-delete (v4).
    conn.execute_batch(
        "CREATE TRIGGER lookups_names_insert AFTER INSERT ON lookups WHEN new.name_fold <> '' BEGIN
             INSERT INTO lookup_names (rowid, name_fold) VALUES (new.id, new.name_fold);
         END;
         ALTER TABLE lookups DROP COLUMN attempts;
         ALTER TABLE lookups DROP COLUMN attempts_json;
         DROP TRIGGER lookups_ids_high_water;
         DROP TABLE lookup_ids;
         DROP INDEX lookups_by_check_outcome;
         INSERT INTO lookup_names (lookup_names, rank) VALUES ('secure-delete', 0);
         PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(conn);
    let mut s = Store::open(&path).unwrap();
    let mut newer = rec(2, "+6281234567891", "Budi Hartono", "");
    newer.attempts = vec![
        riskdesk::vendor::Attempt {
            http_status: Some(403),
            vendor_status: Some("RATE_LIMIT_EXCEEDED".into()),
            vendor_request_id: Some("req-a".into()),
            error_kind: Some("rate_limited".into()),
            latency_ms: 5,
        },
        riskdesk::vendor::Attempt {
            http_status: Some(200),
            vendor_status: Some("OK".into()),
            vendor_request_id: Some("req-b".into()),
            error_kind: None,
            latency_ms: 7,
        },
    ];
    let second = s.record(&newer).unwrap();
    let page = s.search(&SearchQuery::text("budi")).unwrap();
    let ids: Vec<i64> = page.rows.iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![second, first], "each name indexed exactly once");
    assert_eq!(s.integrity_check().unwrap(), "ok");
    // A row from before v3 has no attempts recorded; a new one keeps each attempt.
    assert!(s.get(first).unwrap().unwrap().attempts.is_empty());
    assert_eq!(s.get(second).unwrap().unwrap().attempts, newer.attempts);
    let mut shown = Vec::new();
    riskdesk::history::write_record(&mut shown, &s.get(second).unwrap().unwrap(), false).unwrap();
    let shown = String::from_utf8(shown).unwrap();
    assert!(
        shown.contains("2: #1 HTTP 403 RATE_LIMIT_EXCEEDED rate_limited (request id req-a")
            && shown.contains("#2 HTTP 200 OK (request id req-b"),
        "{shown}"
    );
    drop(s);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, 8);
    let triggers: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'lookups_names_insert'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(triggers, 0);
}

#[test]
fn migrates_an_empty_file_from_version_zero() {
    // Version 0 is the only earlier version: a file that exists but has no schema yet.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.db");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE unrelated (x); PRAGMA user_version = 0;")
        .unwrap();
    let mut s = Store::open(&path).unwrap();
    let id = s.record(&rec(1, "+6281234567890", "Budi", "")).unwrap();
    drop(s);
    let s = Store::open(&path).unwrap();
    assert!(s.get(id).unwrap().is_some());
    assert_eq!(s.integrity_check().unwrap(), "ok");
}

#[test]
fn secrets_never_reach_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open_in_data_dir(dir.path()).unwrap();
    let mut r = rec(1, "+6281234567890", "Budi", "");
    r.request = serde_json::json!({"mobile": "6281234567890", "api_secret": "CANARY-SECRET-1",
        "nested": {"partner_key": "CANARY-KEY-2"}});
    r.report = Some(serde_json::json!({"X-Api-Secret": "CANARY-SECRET-3"}));
    let id = s.record(&r).unwrap();
    let got = s.get(id).unwrap().unwrap();
    assert_eq!(
        got.request,
        serde_json::json!({"mobile": "6281234567890", "nested": {}})
    );
    let mut out = Vec::new();
    s.export(&SearchQuery::all(), ExportFormat::Jsonl, &mut out)
        .unwrap();
    drop(s);
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("CANARY"));
    }
    assert!(!String::from_utf8_lossy(&out).contains("CANARY"));
}

#[test]
fn search_by_every_key() {
    let (_d, mut s) = temp_store();
    let budi = s
        .record(&rec(
            1,
            "+6281234567890",
            "Budi Santoso",
            "3171-2345-6789-0001",
        ))
        .unwrap();
    let mut r = rec(
        2,
        "+5215512345678",
        "José Álvarez Núñez",
        "GOMC800101HDFRRN09",
    );
    r.identity.country = "MX".into();
    r.check = CheckKind::PhoneStatus;
    r.outcome = Outcome::Pending;
    r.task_id = Some("task-abc-123".into());
    let jose = s.record(&r).unwrap();
    let mut r = rec(3, "+919876543210", "Priya Raman", "");
    r.identity.country = "IN".into();
    r.outcome = Outcome::NotHit;
    r.vendor_status = Some("NOT_HIT".into());
    let priya = s.record(&r).unwrap();

    let find = |t: &str| ids(&s.search(&SearchQuery::text(t)).unwrap());
    for typed in [
        "+62 812-3456-7890",
        "0812 3456 7890",
        "6281234567890",
        "81234567890",
    ] {
        assert_eq!(find(typed), vec![budi], "{typed}");
    }
    for typed in ["+52 55 1234 5678", "5512345678", "+52 1 55 1234 5678"] {
        assert_eq!(find(typed), vec![jose], "{typed}");
    }
    assert_eq!(find("09876543210"), vec![priya]);
    assert_eq!(find("3171234567890001"), vec![budi]);
    assert_eq!(find("3171-2345-6789-0001"), vec![budi]);
    assert_eq!(find("gomc800101hdfrrn09"), vec![jose]);
    assert_eq!(find("req-3"), vec![priya]);
    assert_eq!(find("task-abc-123"), vec![jose]);
    // Names: substring, case- and accent-insensitive, both ways.
    assert_eq!(find("alvarez"), vec![jose]);
    assert_eq!(find("ÁLVAREZ"), vec![jose]);
    assert_eq!(find("nunez"), vec![jose]);
    assert_eq!(find("santo"), vec![budi]);
    assert_eq!(find("an"), vec![priya, budi]);
    assert_eq!(find("zzz"), Vec::<i64>::new());
    assert_eq!(find("ÑÚ"), vec![jose]);
    assert_eq!(find(""), vec![priya, jose, budi]);

    let q = |f: &dyn Fn(&mut SearchQuery)| {
        let mut q = SearchQuery::all();
        f(&mut q);
        ids(&s.search(&q).unwrap())
    };
    assert_eq!(q(&|q| q.check = Some(CheckKind::PhoneStatus)), vec![jose]);
    assert_eq!(q(&|q| q.outcome = Some(Outcome::NotHit)), vec![priya]);
    assert_eq!(
        q(&|q| {
            q.text = "0812 3456 7890".into();
            q.outcome = Some(Outcome::NotHit);
        }),
        Vec::<i64>::new()
    );
    let day = base_time().date();
    assert_eq!(q(&|q| q.since = Some(day)).len(), 3);
    assert_eq!(q(&|q| q.until = Some(day.previous_day().unwrap())).len(), 0);
    assert_eq!(q(&|q| q.since = day.next_day()).len(), 0);
    assert_eq!(q(&|q| q.until = Some(day)).len(), 3);

    // "You ran this already today."
    let ident = s.get(budi).unwrap().unwrap().identity;
    let hit = s
        .latest_for(CheckKind::DebtsReport, &ident, base_time())
        .unwrap();
    assert_eq!(hit.map(|h| h.id), Some(budi));
    let later = base_time() + time::Duration::hours(1);
    assert!(
        s.latest_for(CheckKind::DebtsReport, &ident, later)
            .unwrap()
            .is_none()
    );
    assert!(
        s.latest_for(CheckKind::Multiplatform, &ident, base_time())
            .unwrap()
            .is_none()
    );
}

#[test]
fn keyset_paging_visits_every_row_once_newest_first() {
    let (_d, mut s) = temp_store();
    let mut all = Vec::new();
    for i in 0..57 {
        let mut r = rec(i / 3, "+6281234567890", "Sari Dewi", "");
        // Three rows share each timestamp: ties are broken by id.
        r.created_at = base_time() + time::Duration::minutes(i / 3);
        all.push(s.record(&r).unwrap());
    }
    all.reverse();
    for text in ["", "081234567890", "dewi", "sa"] {
        let mut q = SearchQuery::text(text);
        q.limit = 10;
        let mut seen = Vec::new();
        let mut pages = 0;
        loop {
            let page = s.search(&q).unwrap();
            assert!(page.rows.len() <= 10);
            seen.extend(ids(&page));
            pages += 1;
            match page.next {
                Some(c) => q.before = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, all, "query {text:?}");
        assert_eq!(pages, 6);
    }
}

#[test]
fn purge_removes_old_rows_and_their_name_index_entries() {
    let (_d, mut s) = temp_store();
    for i in 0..10 {
        s.record(&rec(
            i * 60 * 24,
            "+6281234567890",
            &format!("Old Name {i}"),
            "",
        ))
        .unwrap();
    }
    let cutoff = base_time() + time::Duration::days(5);
    assert_eq!(s.purge_older_than(cutoff).unwrap(), 5);
    assert_eq!(s.count().unwrap(), 5);
    let page = s.search(&SearchQuery::text("old name")).unwrap();
    assert_eq!(page.rows.len(), 5);
    assert!(page.rows.iter().all(|r| r.created_at >= cutoff));
    assert_eq!(s.purge_older_than(cutoff).unwrap(), 0);
    assert_eq!(s.integrity_check().unwrap(), "ok");
}

fn task(id: &str, lookup_id: i64, submitted: OffsetDateTime) -> PhoneTaskRow {
    PhoneTaskRow {
        task_id: id.into(),
        lookup_id,
        phone_e164: "+525512345678".into(),
        submitted_at: submitted,
        expires_at: submitted + riskdesk::history::TASK_LIFETIME,
        state: TaskState::Pending,
        last_poll_at: None,
        attempts: 0,
        result: None,
        error: None,
        sandbox: true,
    }
}

#[test]
fn tasks_are_leased_finished_and_expired() {
    let dir = tempfile::tempdir().unwrap();
    let a = SqliteHistory::open_in_data_dir(dir.path()).unwrap();
    let b = SqliteHistory::open_in_data_dir(dir.path()).unwrap();
    let lookup = a.record(&rec(0, "+525512345678", "", ""), None).unwrap();
    let t0 = base_time();
    a.add_task(&task("t-1", lookup, t0)).unwrap();
    a.add_task(&task("t-old", 0, t0 - time::Duration::hours(25)))
        .unwrap();
    assert_eq!(b.open_tasks().unwrap().len(), 2);

    let lease = Duration::from_secs(30);
    let first = a.claim("t-1", t0, lease).unwrap().expect("claimed");
    // Another process cannot poll it while the lease holds...
    assert!(
        b.claim("t-1", t0 + time::Duration::seconds(10), lease)
            .unwrap()
            .is_none()
    );
    // ...but can once a crashed poller's lease has run out.
    let second = b
        .claim("t-1", t0 + time::Duration::seconds(31), lease)
        .unwrap()
        .expect("claimed after the lease ran out");
    let pending = PollFinish {
        at: t0 + time::Duration::seconds(32),
        state: TaskState::Pending,
        error: None,
        record: None,
    };
    assert!(b.finish(&second, &pending).unwrap().task_updated);
    let third = a
        .claim("t-1", t0 + time::Duration::seconds(33), lease)
        .unwrap()
        .expect("claimed again");
    let mut answer = rec(1, "+525512345678", "", "");
    answer.task_id = Some("t-1".into());
    answer.report = Some(serde_json::json!({"phone_status": "active"}));
    let done = a
        .finish(
            &third,
            &PollFinish {
                at: t0 + time::Duration::seconds(40),
                state: TaskState::Done,
                error: None,
                record: Some(answer.clone()),
            },
        )
        .unwrap();
    assert!(done.task_updated);
    let answer_id = done.lookup_id.expect("answer stored with the task");
    assert_eq!(
        b.get(answer_id).unwrap().unwrap().task_id.as_deref(),
        Some("t-1")
    );
    let t = b.task("t-1").unwrap().unwrap();
    assert_eq!(t.state, TaskState::Done);
    assert_eq!(t.attempts, 2);
    assert_eq!(t.result, answer.report);
    assert_eq!(t.lookup_id, lookup);

    // Fenced: the first poller, whose lease lapsed long ago, comes back late. Its answer
    // is still stored as a lookup, but the finished task is not touched.
    let late = a
        .finish(
            &first,
            &PollFinish {
                at: t0 + time::Duration::seconds(50),
                state: TaskState::Failed,
                error: Some("late failure".into()),
                record: Some(rec(2, "+525512345678", "", "")),
            },
        )
        .unwrap();
    assert!(!late.task_updated);
    assert!(late.lookup_id.is_some(), "a paid answer is never dropped");
    let t = b.task("t-1").unwrap().unwrap();
    assert_eq!((t.state, t.attempts, t.error), (TaskState::Done, 2, None));
    assert!(
        b.claim("t-1", t0 + time::Duration::hours(1), lease)
            .unwrap()
            .is_none()
    );
    assert!(b.claim("missing", t0, lease).unwrap().is_none());

    // An expired task cannot be claimed and is marked expired...
    assert!(a.claim("t-old", t0, lease).unwrap().is_none());
    let found = a.resumable(t0, true).unwrap();
    assert_eq!(found.lapsed.len(), 1);
    assert!(found.tasks.is_empty());
    assert!(a.open_tasks().unwrap().is_empty());
    assert_eq!(a.task("t-old").unwrap().unwrap().state, TaskState::Expired);

    // ...and a poller holding a lease when it expired cannot revive it.
    a.add_task(&task("t-3", lookup, t0)).unwrap();
    let held = a.claim("t-3", t0, lease).unwrap().expect("claimed");
    a.resumable(t0 + time::Duration::hours(25), true).unwrap();
    let revived = a
        .finish(
            &held,
            &PollFinish {
                at: t0 + time::Duration::hours(25),
                state: TaskState::Pending,
                error: None,
                record: None,
            },
        )
        .unwrap();
    assert!(!revived.task_updated);
    assert_eq!(a.task("t-3").unwrap().unwrap().state, TaskState::Expired);

    a.add_task(&task("t-2", lookup, OffsetDateTime::now_utc()))
        .unwrap();
    let mut out = Vec::new();
    run_tasks_list(&TasksArgs::default(), &a, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("t-2") && text.contains("+52551***5678"),
        "{text}"
    );
    let mut out = Vec::new();
    run_tasks_list(
        &TasksArgs {
            json: true,
            reveal: false,
        },
        &a,
        &mut out,
    )
    .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v[0]["task_id"], "t-2");
}

#[test]
fn export_import_round_trip_is_exact_and_idempotent() {
    let (_d, mut a) = temp_store();
    for i in 0..30 {
        let mut r = rec(
            i,
            &format!("+62812345678{i:02}"),
            &format!("Nama Ké {i}"),
            "",
        );
        if i % 7 == 0 {
            r.raw_response = vec![0xde, 0xad, 0xbe, 0xef, i as u8];
            r.outcome = Outcome::Error;
            r.error_kind = Some("transport".into());
            r.error_message = Some("connection reset".into());
            r.http_status = None;
            r.report = None;
        }
        a.record(&r).unwrap();
    }
    let mut jsonl = Vec::new();
    assert_eq!(
        a.export(&SearchQuery::all(), ExportFormat::Jsonl, &mut jsonl)
            .unwrap()
            .written,
        30
    );

    let (_d2, mut b) = temp_store();
    let stats = b.import_jsonl(&mut &jsonl[..]).unwrap();
    assert_eq!(
        (stats.read, stats.added, stats.duplicates, stats.rejected),
        (30, 30, 0, 0)
    );
    // The same lookups, in the same order, under the same uuids; ids are the new store's own.
    let all = a.search(&SearchQuery::all()).unwrap();
    let imported = b.search(&SearchQuery::all()).unwrap();
    assert_eq!(all.rows.len(), imported.rows.len());
    for (ra, rb) in all.rows.iter().zip(&imported.rows) {
        let mut want = a.get(ra.id).unwrap().unwrap();
        want.id = rb.id;
        assert_eq!(b.get(rb.id).unwrap().unwrap(), want);
        assert_eq!(b.uuid_of(rb.id).unwrap(), a.uuid_of(ra.id).unwrap());
    }
    assert_eq!(
        ids(&b.search(&SearchQuery::text("nama ke 1")).unwrap()).len(),
        11
    );

    let again = b.import_jsonl(&mut &jsonl[..]).unwrap();
    assert_eq!((again.added, again.duplicates), (0, 30));
    assert_eq!(b.count().unwrap(), 30);

    // Garbage lines are counted, not fatal.
    let mut messy = b"\n{not json}\n{\"uuid\":\"\",\"created_at\":\"2026-01-01T00:00:00Z\",\"check\":\"debts-report\",\"outcome\":\"ok\"}\n".to_vec();
    messy.extend_from_slice(&jsonl[..jsonl.iter().position(|&c| c == b'\n').unwrap() + 1]);
    let st = b.import_jsonl(&mut &messy[..]).unwrap();
    assert_eq!(
        (st.read, st.added, st.duplicates, st.rejected),
        (3, 0, 1, 2)
    );
    assert_eq!(st.errors.len(), 2);

    // CSV: a header and one record per row.
    let mut csv_out = Vec::new();
    let mut q = SearchQuery::all();
    q.outcome = Some(Outcome::Error);
    assert_eq!(
        a.export(&q, ExportFormat::Csv, &mut csv_out)
            .unwrap()
            .written,
        5
    );
    let mut rdr = csv::Reader::from_reader(&csv_out[..]);
    assert_eq!(&rdr.headers().unwrap()[0], "id");
    assert_eq!(rdr.records().count(), 5);
}

#[test]
fn cli_search_masks_and_show_raw_is_exact() {
    let (_d, mut s) = temp_store();
    let mut r = rec(1, "+6281234567890", "Budi Santoso", "3171234567890001");
    r.raw_response = b"{\"status\" : \"OK\"  }\r\n\xff".to_vec();
    let id = s.record(&r).unwrap();
    let run = |s: &mut Store, args: &[&str]| history_cli(s, args);
    let (_, out) = run(&mut s, &["search", "0812 3456 7890"]);
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.contains("+62812****7890") && !text.contains("+6281234567890"),
        "{text}"
    );
    let (_, out) = run(&mut s, &["search", "budi", "--reveal"]);
    assert!(String::from_utf8(out).unwrap().contains("+6281234567890"));
    let (_, out) = run(
        &mut s,
        &["search", "budi", "--json", "--check", "debts-report"],
    );
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["rows"][0]["id"], id);
    let (_, out) = run(&mut s, &["show", &id.to_string(), "--raw"]);
    assert_eq!(out, r.raw_response);
    let (_, out) = run(&mut s, &["show", &id.to_string(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["identity"]["phone_e164"], "+6281234567890");
    let (code, _) = run(&mut s, &["show", "999"]);
    assert_eq!(code, std::process::ExitCode::from(1));
    // By uuid too (a case file or another desk names it so), in any case and spelling.
    let uuid = s.uuid_of(id).unwrap().expect("uuid");
    for spelling in [uuid.clone(), uuid.to_uppercase(), uuid.replace('-', "")] {
        let (_, out) = run(&mut s, &["show", &spelling, "--raw"]);
        assert_eq!(out, r.raw_response, "{spelling}");
    }
    let (code, _) = run(&mut s, &["show", "00000000-0000-4000-8000-000000000000"]);
    assert_eq!(code, std::process::ExitCode::from(1));
    let (_, out) = run(&mut s, &["purge", "--older-than", "90d"]);
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("purged 1 lookups and 0 phone tasks"), "{out}");
}

// ---- multi-process tests: the parent re-runs this binary as a child ----

fn child(name: &str, db: &Path, tag: &str) -> Command {
    let mut c = Command::new(std::env::current_exe().unwrap());
    c.args([
        "--exact",
        name,
        "--ignored",
        "--nocapture",
        "--test-threads=1",
    ])
    .env(CHILD_DB, db)
    .env(CHILD_TAG, tag)
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    c
}

fn child_env() -> Option<(PathBuf, String)> {
    Some((
        std::env::var_os(CHILD_DB)?.into(),
        std::env::var(CHILD_TAG).unwrap_or_default(),
    ))
}

/// Child: writes lookups forever, printing each id once `record` has returned.
#[test]
#[ignore = "run as a child by crash_safety_sigkill_mid_stream"]
fn child_writes_until_killed() {
    let Some((db, _)) = child_env() else { return };
    let mut s = Store::open(&db).unwrap();
    let mut out = std::io::stdout().lock();
    for i in 0.. {
        let id = s
            .record(&rec(i, "+6281234567890", "Crash Test", ""))
            .unwrap();
        writeln!(out, "COMMITTED {id}").unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn crash_safety_sigkill_mid_stream() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let mut proc = child("child_writes_until_killed", &db, "").spawn().unwrap();
    let mut lines = BufReader::new(proc.stdout.take().unwrap()).lines();
    let mut committed = Vec::new();
    while committed.len() < 40 {
        let line = lines.next().expect("child ended early").unwrap();
        if let Some(id) = line.strip_prefix("COMMITTED ") {
            committed.push(id.parse::<i64>().unwrap());
        }
    }
    proc.kill().unwrap(); // SIGKILL on unix
    proc.wait().unwrap();
    // Ids printed after the 40th but before the kill landed were committed too.
    for line in lines.map_while(Result::ok) {
        if let Some(id) = line.strip_prefix("COMMITTED ") {
            committed.push(id.parse().unwrap());
        }
    }
    let s = Store::open(&db).unwrap();
    assert_eq!(s.integrity_check().unwrap(), "ok");
    for id in &committed {
        assert!(s.get(*id).unwrap().is_some(), "committed id {id} lost");
    }
}

const WRITES_PER_CHILD: i64 = 150;

/// Child: writes a fixed number of tagged lookups as fast as it can.
#[test]
#[ignore = "run as a child by two_writers_lose_nothing"]
fn child_writes_batch() {
    let Some((db, tag)) = child_env() else { return };
    let mut s = Store::open(&db).unwrap();
    for i in 0..WRITES_PER_CHILD {
        let mut r = rec(i, "+6281234567890", "Two Writers", "");
        r.vendor_request_id = Some(format!("{tag}-{i}"));
        // Any error (e.g. "database is locked") panics and fails the child's exit status.
        s.record(&r).unwrap();
        if i % 10 == 0 {
            s.search(&SearchQuery::text("two writers")).unwrap();
        }
    }
    println!("DONE {tag}");
}

#[test]
fn two_writers_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.db");
    let a = child("child_writes_batch", &db, "a").spawn().unwrap();
    let b = child("child_writes_batch", &db, "b").spawn().unwrap();
    for (p, tag) in [(a, "a"), (b, "b")] {
        let out = p.wait_with_output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "writer {tag} failed: {text}");
        assert!(text.contains(&format!("DONE {tag}")), "{text}");
    }
    let s = Store::open(&db).unwrap();
    assert_eq!(s.count().unwrap(), 2 * WRITES_PER_CHILD as u64);
    for tag in ["a", "b"] {
        for i in 0..WRITES_PER_CHILD {
            let page = s.search(&SearchQuery::text(format!("{tag}-{i}"))).unwrap();
            assert_eq!(page.rows.len(), 1, "{tag}-{i}");
        }
    }
    assert_eq!(s.integrity_check().unwrap(), "ok");
}

#[test]
fn retention_from_config() {
    let (_d, mut s) = temp_store();
    s.record(&rec(0, "+6281234567890", "Old", "")).unwrap();
    let recent = s
        .record(&rec(60 * 24 * 100, "+6281234567890", "New", ""))
        .unwrap();
    let now = base_time() + time::Duration::days(120);
    let keep_all = riskdesk::config::HistoryConfig {
        retain_days: None,
        url: None,
    };
    assert_eq!(s.apply_retention(&keep_all, now).unwrap(), 0);
    let ninety = riskdesk::config::HistoryConfig {
        retain_days: Some(90),
        url: None,
    };
    assert_eq!(s.apply_retention(&ninety, now).unwrap(), 1);
    assert_eq!(ids(&s.search(&SearchQuery::all()).unwrap()), vec![recent]);
}

#[test]
fn a_hand_edited_row_does_not_break_search() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open_in_data_dir(dir.path()).unwrap();
    let good = s.record(&rec(1, "+6281234567890", "Budi", "")).unwrap();
    let bad = s.record(&rec(2, "+6281234567890", "Budi", "")).unwrap();
    drop(s);
    let conn = rusqlite::Connection::open(dir.path().join("history.db")).unwrap();
    conn.execute(
        "UPDATE lookups SET check_kind = 'nonsense', request_json = '{' WHERE id = ?1",
        [bad],
    )
    .unwrap();
    drop(conn);
    let s = Store::open_in_data_dir(dir.path()).unwrap();
    assert_eq!(
        ids(&s.search(&SearchQuery::text("budi")).unwrap()),
        vec![good]
    );
    assert!(matches!(s.get(bad), Err(HistoryError::BadRow { .. })));
}

#[test]
fn import_into_an_empty_store_keeps_every_index() {
    let dir = tempfile::tempdir().unwrap();
    let mut src = Store::open(&dir.path().join("a.db")).unwrap();
    for i in 0..20 {
        src.record(&rec(i, &format!("+62812345678{:02}", i), "Siti Aminah", ""))
            .unwrap();
    }
    let mut jsonl = Vec::new();
    src.export(&SearchQuery::all(), ExportFormat::Jsonl, &mut jsonl)
        .unwrap();
    let path = dir.path().join("b.db");
    let mut dst = Store::open(&path).unwrap();
    let stats = dst.import_jsonl(&mut BufReader::new(&jsonl[..])).unwrap();
    assert_eq!(stats.added, 20);
    let indexes = |p: &Path| -> Vec<(String, String)> {
        let c = rusqlite::Connection::open(p).unwrap();
        let mut st = c
            .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0).unwrap(), r.get(1).unwrap())))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    drop(dst);
    assert_eq!(indexes(&path), indexes(&dir.path().join("a.db")));
    let dst = Store::open(&path).unwrap();
    assert_eq!(
        dst.search(&SearchQuery::text("0812 3456 7805"))
            .unwrap()
            .rows
            .len(),
        1
    );
    assert_eq!(
        dst.search(&SearchQuery::text("aminah")).unwrap().rows.len(),
        20
    );
    assert_eq!(dst.integrity_check().unwrap(), "ok");
}

// ---- issue 9: purge erases, ids never reused, paging past bad rows, spellings, bounds ----

/// Every file under `dir` (the data dir: history.db, -wal, -shm, anything else), read whole.
fn files_under(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                out.push((p, bytes));
            }
        }
    }
    out
}

/// The files holding `needle`, byte for byte.
fn holding(files: &[(PathBuf, Vec<u8>)], needle: &str) -> Vec<String> {
    let n = needle.as_bytes();
    files
        .iter()
        .filter(|(_, b)| b.windows(n.len()).any(|w| w == n))
        .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

/// What a purged lookup leaves nowhere: phone (as stored and as keyed), ID (as typed and
/// keyed), name (as typed and folded, and the trigrams only it has), body and request id.
const PURGED_VALUES: &[&str] = &[
    "+6289876543210",
    "89876543210",
    "9988-7766-5544-3322",
    "9988776655443322",
    "Zoë Qwyxley",
    "zoe qwyxley",
    "qwy",
    "wyx",
    "yxl",
    "xle",
    "PURGE-BODY-",
    "req-gone-",
];
/// Purged before this version, by the old purge (FTS5 without secure-delete).
const EARLIER_PURGED: &[&str] = &["Xavi Jqkvor", "xavi jqkvor", "jqk", "qkv", "kvo"];
const KEPT_VALUES: &[&str] = &[
    "+6281111222233",
    "3171000011112222",
    "Budi Santoso",
    "budi santoso",
    "KEEP-BODY-7f3a",
];

#[test]
fn purge_erases_every_value_from_every_file() {
    // A large purge rewrites the name index; a small one (against 13,000 kept rows) erases
    // each name in place: both are tried.
    for (retention, filler) in [(false, 0), (true, 0), (false, 13_000)] {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let mut s = Store::open_in_data_dir(&data).unwrap();
        s.record_all((0..filler).map(|i| {
            rec(
                60 * 24 * 300 + i,
                &format!("+62813{i:08}"),
                "Siti Aminah",
                "",
            )
        }))
        .unwrap();
        let mut keep = rec(
            60 * 24 * 200,
            "+6281111222233",
            "Budi Santoso",
            "3171000011112222",
        );
        keep.raw_response = b"{\"marker\":\"KEEP-BODY-7f3a\"}".to_vec();
        let kept = s.record(&keep).unwrap();
        s.record(&rec(60 * 24 * 201, "", "", "1234567")).unwrap();
        let mut earlier = rec(1, "+6281234500000", "Xavi Jqkvor", "");
        earlier.raw_response = b"{}".to_vec();
        let earlier = s.record(&earlier).unwrap();
        let mut gone = Vec::new();
        for i in 2..5 {
            let mut r = rec(i, "+6289876543210", "Zoë Qwyxley", "9988-7766-5544-3322");
            r.raw_response = format!("{{\"marker\":\"PURGE-BODY-{i}\"}}").into_bytes();
            r.vendor_request_id = Some(format!("req-gone-{i}"));
            gone.push(s.record(&r).unwrap());
        }
        let mut t = task("t-gone", gone[0], base_time());
        t.phone_e164 = "+6289876543210".into();
        t.state = TaskState::Done;
        s.add_task(&t).unwrap();
        drop(s);

        // The file as version 3 left it: FTS5 without secure-delete, and a purge made then,
        // which left the purged name's trigrams in the index segments.
        let conn = rusqlite::Connection::open(data.join("history.db")).unwrap();
        conn.execute_batch(&format!(
            "PRAGMA secure_delete = ON;
             DROP TRIGGER lookups_ids_high_water;
             DROP TABLE lookup_ids;
             DROP INDEX lookups_by_check_outcome;
             INSERT INTO lookup_names (lookup_names, rank) VALUES ('secure-delete', 0);
             PRAGMA user_version = 3;
             DELETE FROM lookups WHERE id = {earlier};
             PRAGMA wal_checkpoint(TRUNCATE);"
        ))
        .unwrap();
        drop(conn);
        let files = files_under(&data);
        assert!(
            !holding(&files, "jqk").is_empty(),
            "the old purge left the trigrams (what this test looks for)"
        );

        let mut s = Store::open_in_data_dir(&data).unwrap();
        // Console exports of a purged lookup and of a kept one.
        let exports = data.join("exports");
        let kept_export = s
            .export_lookup_files(kept, &exports, riskdesk::tui::live::export_json)
            .unwrap()
            .unwrap();
        let gone_export = s
            .export_lookup_files(gone[1], &exports, riskdesk::tui::live::export_json)
            .unwrap()
            .unwrap();
        std::fs::write(exports.join("notes.txt"), "not an export").unwrap();
        assert!(s.checkpoint_truncate().unwrap());
        let files = files_under(&data);
        for v in PURGED_VALUES {
            assert!(
                !holding(&files, v).is_empty(),
                "{v} is there before the purge"
            );
        }
        let cutoff = base_time() + time::Duration::days(1);
        if retention {
            let cfg = riskdesk::config::HistoryConfig {
                retain_days: Some(1),
                url: None,
            };
            let now = base_time() + time::Duration::days(2);
            assert_eq!(s.apply_retention(&cfg, now).unwrap(), 3);
        } else {
            let purged = s.purge_before(cutoff).unwrap();
            assert_eq!((purged.lookups, purged.tasks, purged.exports), (3, 1, 2));
            assert!(purged.wal_cleared);
        }
        assert!(!gone_export.json.exists() && !gone_export.raw.exists());
        assert!(kept_export.json.exists() && kept_export.raw.exists());
        assert!(exports.join("notes.txt").exists());
        assert_eq!(s.integrity_check().unwrap(), "ok");
        assert!(
            s.search(&SearchQuery::text("qwyx"))
                .unwrap()
                .rows
                .is_empty()
        );
        // While the store is still open, and after it is closed.
        for open in [true, false] {
            let files = files_under(&data);
            for v in PURGED_VALUES.iter().chain(EARLIER_PURGED) {
                assert_eq!(
                    holding(&files, v),
                    Vec::<String>::new(),
                    "{v} (retention {retention}, filler {filler}, open {open})"
                );
            }
            for v in KEPT_VALUES {
                assert!(!holding(&files, v).is_empty(), "{v} is kept");
            }
            if open {
                drop(std::mem::replace(
                    &mut s,
                    Store::open(&dir.path().join("other.db")).unwrap(),
                ));
            }
        }
    }
}

#[test]
fn ids_are_never_reused() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open_in_data_dir(dir.path()).unwrap();
    let ids: Vec<i64> = (0..3)
        .map(|i| s.record(&rec(i, "+6281234567890", "Budi", "")).unwrap())
        .collect();
    // The newest rows purged: their ids stay taken.
    let purged = s
        .purge_before(base_time() + time::Duration::days(1))
        .unwrap();
    assert_eq!(purged.lookups, 3);
    let next = s.record(&rec(5, "+6281234567890", "Budi", "")).unwrap();
    assert!(next > ids[2], "{next} after {ids:?}");
    // Deleted by hand in the sqlite3 shell, too.
    let conn = rusqlite::Connection::open(dir.path().join("history.db")).unwrap();
    conn.execute("DELETE FROM lookups WHERE id = ?1", [next])
        .unwrap();
    drop(conn);
    let after = s.record(&rec(6, "+6281234567890", "Budi", "")).unwrap();
    assert!(after > next);

    // An import gives every row a new id here; the uuid is what stays.
    let (_d2, mut other) = temp_store();
    let theirs = other.record(&rec(7, "+6281234567891", "Siti", "")).unwrap();
    let mut jsonl = Vec::new();
    other
        .export(&SearchQuery::all(), ExportFormat::Jsonl, &mut jsonl)
        .unwrap();
    assert!(theirs <= after, "the source id is one this store has used");
    s.import_jsonl(&mut &jsonl[..]).unwrap();
    let mine = s.search(&SearchQuery::text("siti")).unwrap().rows[0].id;
    assert!(mine > after);
    assert_eq!(s.uuid_of(mine).unwrap(), other.uuid_of(theirs).unwrap());
    assert_eq!(s.integrity_check().unwrap(), "ok");
}

/// 30 rows a minute apart; newest first, the 10th (the last of a 10-row first page) has a
/// check this build does not know, the 20th an unreadable time, the 5th unreadable JSON.
fn store_with_bad_rows() -> (tempfile::TempDir, Store, Vec<i64>) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open_in_data_dir(dir.path()).unwrap();
    let mut all: Vec<i64> = (0..30)
        .map(|i| {
            s.record(&rec(i, "+6281234567890", "Sari Dewi", ""))
                .unwrap()
        })
        .collect();
    all.reverse();
    drop(s);
    let conn = rusqlite::Connection::open(dir.path().join("history.db")).unwrap();
    conn.execute(
        "UPDATE lookups SET check_kind = 'from-the-future' WHERE id = ?1",
        [all[9]],
    )
    .unwrap();
    conn.execute(
        "UPDATE lookups SET created_at = created_at || 'junk' WHERE id = ?1",
        [all[19]],
    )
    .unwrap();
    conn.execute(
        "UPDATE lookups SET request_json = '{' WHERE id = ?1",
        [all[4]],
    )
    .unwrap();
    drop(conn);
    let s = Store::open_in_data_dir(dir.path()).unwrap();
    (dir, s, all)
}

#[test]
fn paging_goes_past_an_unreadable_row_at_a_page_boundary() {
    let (_d, mut s, all) = store_with_bad_rows();
    let readable: Vec<i64> = all
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 9 && *i != 19)
        .map(|(_, id)| *id)
        .collect();
    for text in ["", "081234567890", "dewi", "sa"] {
        let mut q = SearchQuery::text(text);
        q.limit = 10;
        let mut seen = Vec::new();
        let mut pages = Vec::new();
        loop {
            let page = s.search(&q).unwrap();
            seen.extend(ids(&page));
            pages.push(page.rows.len());
            assert!(!page.incomplete);
            match page.next {
                Some(c) => q.before = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, readable, "query {text:?}");
        assert_eq!(pages, vec![9, 9, 10], "query {text:?}");
    }

    // The CLI's `--before` starts from the unreadable row's stored position.
    let run = |s: &mut Store, args: &[&str]| String::from_utf8(history_cli(s, args).1).unwrap();
    let first = run(&mut s, &["search", "", "--limit", "10"]);
    assert!(
        first.contains(&format!("more: add --before {}", all[9])),
        "{first}"
    );
    let before = all[19].to_string();
    let third = run(
        &mut s,
        &["search", "", "--limit", "10", "--before", &before],
    );
    assert!(third.contains(&format!("\n{:>7}  ", all[20])), "{third}");

    // Export: the unknown check is written as stored, the two unreadable rows are said and
    // counted, and everything else is written.
    let mut skipped = Vec::new();
    let mut jsonl = Vec::new();
    let stats = s
        .export_with(
            &SearchQuery::all(),
            ExportFormat::Jsonl,
            &mut jsonl,
            &mut |id, why| skipped.push((id, why.to_string())),
        )
        .unwrap();
    assert_eq!((stats.written, stats.as_stored, stats.skipped), (28, 1, 2));
    assert_eq!(
        skipped.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        vec![all[4], all[19]]
    );
    let lines: Vec<serde_json::Value> = jsonl
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 28);
    let stored = lines.iter().find(|l| l["id"] == all[9]).unwrap();
    assert_eq!(stored["check"], "from-the-future");
    assert_eq!(stored["identity"]["phone_e164"], "+6281234567890");
    assert!(
        stored["as_stored"]
            .as_str()
            .unwrap()
            .contains("from-the-future")
    );
    assert_eq!(
        stored["raw_response"],
        format!(
            "{{\"status\":\"OK\",\"request_id\":\"req-{}\"}}",
            30 - 1 - 9
        )
    );
    let mut csv_out = Vec::new();
    let stats = s
        .export_with(
            &SearchQuery::all(),
            ExportFormat::Csv,
            &mut csv_out,
            &mut |_, _| {},
        )
        .unwrap();
    assert_eq!(stats.written, 28);
    assert_eq!(csv::Reader::from_reader(&csv_out[..]).records().count(), 28);

    // A store that does not know that check either rejects the line and counts it.
    let (_d2, mut b) = temp_store();
    let st = b.import_jsonl(&mut &jsonl[..]).unwrap();
    assert_eq!((st.added, st.rejected), (27, 1));
}

#[test]
fn every_spelling_finds_the_row_and_a_migration_rekeys_old_rows() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open_in_data_dir(dir.path()).unwrap();
    let mut add = |i: i64, phone: &str, name: &str, id: &str, country: &str| {
        let mut r = rec(i, phone, name, id);
        r.identity.country = country.into();
        s.record(&r).unwrap()
    };
    let dang = add(1, "+84912345678", "Đặng Văn Lâm", "", "VN");
    let soren = add(2, "", "Søren Łukasz Straße", "AB-123456", "ID");
    let somchui = add(3, "+66812345678", "สมชุย", "", "TH");
    let somchiy = add(4, "+66812345679", "สมชิย", "", "TH");
    let priya = add(5, "+919876543210", "प्रिया", "", "IN");
    let praya = add(6, "+919876543211", "प्रया", "", "IN");
    let budi = add(
        7,
        "+6281234567890",
        "Budi Santoso",
        "3171234567890001",
        "ID",
    );
    let mx = add(8, "+525512345678", "José Pérez", "", "MX");
    let find = |s: &Store, t: &str| ids(&s.search(&SearchQuery::text(t)).unwrap());
    let check = |s: &Store| {
        for t in ["dang", "DANG", "Ｄａｎｇ", "van lam", "đặng"] {
            assert_eq!(find(s, t), vec![dang], "{t}");
        }
        for t in ["soren", "lukasz", "strasse", "STRASSE"] {
            assert_eq!(find(s, t), vec![soren], "{t}");
        }
        // Vowel signs spell the name: each finds only itself.
        assert_eq!(find(s, "สมชุย"), vec![somchui]);
        assert_eq!(find(s, "สมชิย"), vec![somchiy]);
        assert_eq!(find(s, "प्रिया"), vec![priya]);
        assert_eq!(find(s, "प्रया"), vec![praya]);
        for t in [
            "+62 0812-3456-7890",
            "62-0812-3456-7890",
            "＋６２ ８１２ ３４５６ ７８９０",
            "0812\u{00A0}3456\u{00A0}7890",
            "+62 (0) 812 3456 7890",
        ] {
            assert_eq!(find(s, t), vec![budi], "{t}");
        }
        for t in ["044 55 1234 5678", "+52 1 55 1234 5678", "55 1234 5678"] {
            assert_eq!(find(s, t), vec![mx], "{t}");
        }
        assert_eq!(find(s, "３１７１２３４５６７８９０００１"), vec![budi]);
    };
    check(&s);
    drop(s);

    // Rows keyed by an older riskdesk: the old folding (`đ` kept, Thai and Devanagari signs
    // stripped) and stale phone and ID keys. Opening migrates them (v5 rekeys).
    let conn = rusqlite::Connection::open(dir.path().join("history.db")).unwrap();
    conn.execute_batch(&format!(
        "UPDATE lookups SET name_fold = 'đang van lam' WHERE id = {dang};
         UPDATE lookups SET name_fold = 'สมชย' WHERE id IN ({somchui}, {somchiy});
         UPDATE lookups SET name_fold = 'परया' WHERE id IN ({priya}, {praya});
         UPDATE lookups SET phone_nsn = '6281234567890', id_key = 'stale' WHERE id = {budi};
         PRAGMA user_version = 4;"
    ))
    .unwrap();
    drop(conn);
    let s = Store::open_in_data_dir(dir.path()).unwrap();
    check(&s);
    assert_eq!(s.integrity_check().unwrap(), "ok");
}

#[test]
fn latest_for_is_keyed_on_the_applicant() {
    let (_d, mut s) = temp_store();
    let mut anon = rec(1, "", "Budi", "");
    anon.identity.bankcard.clear();
    s.record(&anon).unwrap();
    s.record(&rec(2, "", "Siti", "")).unwrap();
    let phone_only = s.record(&rec(3, "+6281234567890", "Budi", "")).unwrap();
    let both = s
        .record(&rec(4, "+6281234567890", "Budi", "3171234567890001"))
        .unwrap();
    let latest = |phone: &str, id: &str| {
        let ident = riskdesk::applicant::Identity {
            phone_e164: phone.into(),
            id_number: id.into(),
            name: "Budi".into(),
            country: "ID".into(),
            ..Default::default()
        };
        s.latest_for(CheckKind::DebtsReport, &ident, base_time())
            .unwrap()
            .map(|r| r.id)
    };
    // No phone and no ID is no one in particular: never "anyone without a phone or ID".
    assert_eq!(latest("", ""), None);
    assert_eq!(latest("+6281234567890", ""), Some(phone_only));
    assert_eq!(
        latest("+62 812-3456-7890", "3171 2345 6789 0001"),
        Some(both)
    );
    assert_eq!(latest("", "3171234567890001"), None);
}

#[test]
fn name_scans_are_bounded_and_say_where_to_go_on() {
    use riskdesk::history::NAME_SCAN_BOUND;
    let (_d, mut s) = temp_store();
    let n = NAME_SCAN_BOUND + 5_000;
    s.record_all((0..n).map(|i| {
        let mut r = rec(i, "+6281234567890", "Budi Santoso", "");
        // The one row the filter wants is the oldest.
        if i == 0 {
            r.outcome = Outcome::NotHit;
        }
        r
    }))
    .unwrap();
    for text in ["bu", "santoso"] {
        let mut q = SearchQuery::text(text);
        q.outcome = Some(Outcome::NotHit);
        let first = s.search(&q).unwrap();
        assert!(first.rows.is_empty() && first.incomplete, "{text}");
        q.before = first.next;
        assert!(q.before.is_some());
        let second = s.search(&q).unwrap();
        assert_eq!(second.rows.len(), 1, "{text}");
        assert!(!second.incomplete && second.next.is_none(), "{text}");
        // Export walks on through the stops.
        q.before = None;
        let mut out = Vec::new();
        assert_eq!(
            s.export(&q, ExportFormat::Jsonl, &mut out).unwrap().written,
            1
        );
    }
    // Check + outcome with no text: one index probe, complete.
    let mut q = SearchQuery::all();
    q.check = Some(CheckKind::PhoneStatus);
    q.outcome = Some(Outcome::NotHit);
    let page = s.search(&q).unwrap();
    assert!(page.rows.is_empty() && page.next.is_none() && !page.incomplete);
}

#[test]
fn console_export_writes_the_body_byte_for_byte_named_by_id_and_uuid() {
    use std::os::unix::fs::PermissionsExt;
    let (d, mut s) = temp_store();
    let mut r = rec(1, "+6281234567890", "Budi Santoso", "3171234567890001");
    // Not UTF-8, not JSON, odd spacing: a pretty-printer or a lossy decode would change it.
    r.raw_response = b"{\"status\" : \"OK\" ,\r\n \"x\":\xff\xfe}\n".to_vec();
    let id = s.record(&r).unwrap();
    let uuid = s.uuid_of(id).unwrap().unwrap();
    let dir = d.path().join("data/exports");
    let files = s
        .export_lookup_files(id, &dir, riskdesk::tui::live::export_json)
        .unwrap()
        .unwrap();
    assert_eq!(files.raw, dir.join(format!("lookup-{id}-{uuid}.raw")));
    assert_eq!(files.json, dir.join(format!("lookup-{id}-{uuid}.json")));

    let shown = history_cli(&s, &["show", &id.to_string(), "--raw"]).1;
    assert_eq!(std::fs::read(&files.raw).unwrap(), shown);
    assert_eq!(shown, r.raw_response);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&files.json).unwrap()).unwrap();
    assert_eq!(json["uuid"], uuid.as_str());
    assert_eq!(json["id"], id);
    for f in [&files.raw, &files.json] {
        assert_eq!(
            std::fs::metadata(f).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    assert!(
        s.export_lookup_files(id + 1, &dir, |_| serde_json::Value::Null)
            .unwrap()
            .is_none()
    );
}

/// Runs `riskdesk history ARGS` against the file `s` is open on; its exit code and stdout.
fn history_cli(s: &Store, args: &[&str]) -> (std::process::ExitCode, Vec<u8>) {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: HistoryCommand,
    }
    let cli = Cli::try_parse_from(std::iter::once("history").chain(args.iter().copied())).unwrap();
    let mut out = Vec::new();
    let h = SqliteHistory::open(&s.path()).unwrap();
    let code = run_history(cli.cmd, &h, &mut out).unwrap();
    (code, out)
}
