//! The `History` conformance suite: what every backend (SQLite now, PostgreSQL later) must do,
//! checked through the trait alone — no SQL, no `Store`.
//!
//! Each check is a `pub fn(open: &dyn Fn() -> SharedHistory)`; `open()` must give a fresh,
//! empty history each time it is called. A backend's test file runs them one `#[test]` each:
//!
//! ```ignore
//! #[macro_use]
//! mod conformance;
//! fn open_backend() -> riskdesk::history::SharedHistory { /* a fresh, empty history */ }
//! conformance_tests!(open_backend);
//! ```
//!
//! or all in one test with [`run_all`].
//!
//! Time: lookups carry their own `created_at` (fixed dates here). Tasks are timed from the
//! real clock, and leases are made to lapse by waiting, so a backend that leases by its
//! server's clock passes the same checks. Times have microsecond precision, what a store keeps.

use riskdesk::applicant::Identity;
use riskdesk::check::{CheckKind, Outcome};
use riskdesk::history::{
    self, AccessEntry, AccessQuery, Cursor, ExportFormat, ExportItem, Inserted, KeyQuery,
    LookupRecord, LookupSummary, PhoneTaskRow, PollFinish, SearchPage, SearchQuery, SharedHistory,
    TaskState,
};
use riskdesk::vendor::Attempt;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use time::OffsetDateTime;
use time::macros::{date, datetime};

/// Calls `$callback!($($args)*; check, check, ...)` with the name of every check: the one
/// list both [`conformance_tests!`] and [`run_all`] use.
macro_rules! conformance_checks {
    ($callback:ident ! ($($args:tt)*)) => {
        $callback!($($args)*;
            record_get_round_trip,
            record_strips_secrets,
            uuid_of_is_stable_and_distinct,
            record_with_task_stores_both,
            search_by_phone_in_any_spelling,
            search_by_id_number,
            search_by_vendor_request_id_and_task_id,
            search_by_name_folds_accents_and_case,
            search_filters_check_outcome_and_days,
            search_newest_first_limit_and_paging,
            cursor_for_continues_after_a_row,
            latest_for_same_applicant_only,
            ids_by_keys_joins_phone_and_id_keys,
            get_many_for_case_reads_records_but_bodies_in_order,
            for_each_visits_every_match_newest_first,
            insert_absent_is_idempotent_by_uuid,
            ids_never_reused_after_purge,
            purge_removes_old_lookups_and_tasks,
            tasks_add_get_and_open,
            claim_is_exclusive_while_leased,
            claim_again_after_lease_lapses,
            claim_unpolled_only_while_nobody_polled,
            claim_unpolled_has_one_winner_across_threads,
            finish_with_current_lease_updates_task_and_stores_lookup,
            finish_with_lapsed_lease_stores_lookup_leaves_task,
            resumable_expires_lapsed_and_filters_sandbox,
            paused_task_is_resumable_and_claim_resumes_it,
            export_import_round_trip,
            access_log_records_and_filters,
        );
    };
}

/// One `#[test]` per conformance check, each calling `$open` for its histories.
#[allow(unused_macros)] // a backend's test file uses it
macro_rules! conformance_tests {
    ($open:path) => {
        conformance_checks!(conformance_tests_each!($open));
    };
}

#[allow(unused_macros)]
macro_rules! conformance_tests_each {
    ($open:path; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                $crate::conformance::$check(&$open);
            }
        )*
    };
}

macro_rules! run_each {
    ($open:ident; $($check:ident),* $(,)?) => {
        $(
            eprintln!("conformance: {}", stringify!($check));
            $check($open);
        )*
    };
}

/// Every check in turn (for a backend that prefers one test).
#[allow(dead_code)]
pub fn run_all(open: &dyn Fn() -> SharedHistory) {
    conformance_checks!(run_each!(open));
}

// ---------------------------------------------------------------------------------------
// Fixtures

fn base() -> OffsetDateTime {
    datetime!(2026-03-03 08:00:00.123456 UTC)
}

/// `base()` plus `m` minutes.
fn at(m: i64) -> OffsetDateTime {
    base() + time::Duration::minutes(m)
}

/// The real clock, to the microsecond.
fn now() -> OffsetDateTime {
    let n = OffsetDateTime::now_utc();
    n.replace_nanosecond(n.nanosecond() / 1_000 * 1_000)
        .expect("valid nanosecond")
}

const NAMES: &[&str] = &[
    "Budi Santoso",
    "Siti Rahayu",
    "Agus Wijaya",
    "Dewi Lestari",
    "Rina Kusuma",
    "Eko Prasetyo",
];

/// An ordinary answered debts-report lookup, distinct per `i`.
fn lookup(i: i64) -> LookupRecord {
    let phone = format!("+62813{:08}", 10_000 + i);
    let id_number = format!("3171{:012}", 500 + i);
    LookupRecord {
        id: 0,
        created_at: at(i),
        operator: "ana".into(),
        purpose: None,
        sandbox: false,
        check: CheckKind::DebtsReport,
        identity: Identity {
            phone_e164: phone.clone(),
            id_number: id_number.clone(),
            name: NAMES[i.unsigned_abs() as usize % NAMES.len()].into(),
            country: "ID".into(),
            ..Identity::default()
        },
        request: serde_json::json!({"mobile": phone.trim_start_matches('+'), "idcard": id_number}),
        http_status: Some(200),
        vendor_status: Some("OK".into()),
        vendor_request_id: Some(format!("req-{i:06}")),
        outcome: Outcome::Ok,
        error_kind: None,
        error_message: None,
        latency_ms: 100 + i.unsigned_abs(),
        raw_response: format!("{{\"status\":\"OK\",\"request_id\":\"req-{i:06}\"}}").into_bytes(),
        report: Some(serde_json::json!({"loan_count": i})),
        task_id: None,
        attempts: vec![Attempt {
            http_status: Some(200),
            vendor_status: Some("OK".into()),
            vendor_request_id: Some(format!("req-{i:06}")),
            error_kind: None,
            latency_ms: 100 + i.unsigned_abs(),
        }],
    }
}

/// A rich record: every field set, a raw body that is not UTF-8.
fn rich_lookup() -> LookupRecord {
    LookupRecord {
        id: 0,
        created_at: datetime!(2026-03-03 10:11:12.654321 UTC),
        operator: "support.ana".into(),
        purpose: Some("complaint 1234 — «ünïcode»".into()),
        sandbox: true,
        check: CheckKind::Multiplatform,
        identity: Identity {
            phone_e164: "+525512345678".into(),
            id_number: "GODE561231HDFRRN09".into(),
            name: "José Ñúñez Đặng".into(),
            country: "MX".into(),
            bankcard: "4111111111111111".into(),
            email: "jose@example.com".into(),
            gaid: "38400000-8cf0-11bd-b23e-10b96e40000d".into(),
        },
        request: serde_json::json!({
            "id_number": "GODE561231HDFRRN09",
            "id_type": "national_id",
            "nested": {"list": [1, 2.5, "três", null, true]},
        }),
        http_status: Some(512),
        vendor_status: Some("SOURCE_SERVICE_UNAVAILABLE".into()),
        vendor_request_id: Some("seq-77f0a1".into()),
        outcome: Outcome::Error,
        error_kind: Some("vendor_down".into()),
        error_message: Some("source service unavailable — «ünïcode»".into()),
        latency_ms: 31_337,
        raw_response: vec![
            0xff, 0xfe, 0x00, b'{', 0x80, b'"', b' ', b'\n', 0xc3, 0x28, 0xe2,
        ],
        report: Some(serde_json::json!({
            "score": "0.5",
            "indicators": {"a ": -999, "b": -1111, "c": [1, {"d": "é"}]},
        })),
        task_id: Some("task-rich-1".into()),
        attempts: vec![
            Attempt {
                http_status: Some(403),
                vendor_status: Some("RATE_LIMIT_EXCEEDED".into()),
                vendor_request_id: Some("seq-77f0a0".into()),
                error_kind: Some("rate_limited".into()),
                latency_ms: 12,
            },
            Attempt {
                http_status: None,
                vendor_status: None,
                vendor_request_id: None,
                error_kind: Some("transport".into()),
                latency_ms: 0,
            },
            Attempt {
                http_status: Some(512),
                vendor_status: Some("SOURCE_SERVICE_UNAVAILABLE".into()),
                vendor_request_id: Some("seq-77f0a1".into()),
                error_kind: Some("vendor_down".into()),
                latency_ms: 31_000,
            },
        ],
    }
}

/// A record with every optional field empty.
fn bare_lookup() -> LookupRecord {
    LookupRecord {
        id: 0,
        created_at: at(-5),
        operator: String::new(),
        purpose: None,
        sandbox: false,
        check: CheckKind::CreditWillingness,
        identity: Identity::default(),
        request: serde_json::Value::Null,
        http_status: None,
        vendor_status: None,
        vendor_request_id: None,
        outcome: Outcome::Skipped,
        error_kind: None,
        error_message: None,
        latency_ms: 0,
        raw_response: Vec::new(),
        report: None,
        task_id: None,
        attempts: Vec::new(),
    }
}

/// A pending phone task submitted at `submitted`, expiring 24 h later.
fn task(id: &str, submitted: OffsetDateTime, sandbox: bool) -> PhoneTaskRow {
    PhoneTaskRow {
        task_id: id.into(),
        lookup_id: 0,
        phone_e164: "+525512345678".into(),
        submitted_at: submitted,
        expires_at: submitted + time::Duration::hours(24),
        state: TaskState::Pending,
        last_poll_at: None,
        attempts: 0,
        result: None,
        error: None,
        sandbox,
    }
}

fn with_state(mut t: PhoneTaskRow, state: TaskState) -> PhoneTaskRow {
    t.state = state;
    t
}

/// The answer a poll stores: a phone-status lookup.
fn poll_answer(task_id: &str, status: &str) -> LookupRecord {
    LookupRecord {
        check: CheckKind::PhoneStatus,
        identity: Identity {
            phone_e164: "+525512345678".into(),
            country: "MX".into(),
            ..Identity::default()
        },
        task_id: Some(task_id.into()),
        raw_response: format!("{{\"status\":\"OK\",\"result\":{{\"phone_status\":\"{status}\"}}}}")
            .into_bytes(),
        report: Some(serde_json::json!({"phone_status": status})),
        created_at: now(),
        ..lookup(900)
    }
}

fn stored(id: i64, rec: &LookupRecord) -> LookupRecord {
    let mut want = rec.clone();
    want.id = id;
    want
}

fn record(h: &SharedHistory, rec: &LookupRecord) -> i64 {
    h.record(rec, None).expect("record")
}

fn ids(page: &SearchPage) -> Vec<i64> {
    page.rows.iter().map(|r| r.id).collect()
}

fn search(h: &SharedHistory, q: &SearchQuery) -> Vec<i64> {
    ids(&h.search(q).expect("search"))
}

fn text(h: &SharedHistory, t: &str) -> Vec<i64> {
    search(h, &SearchQuery::text(t))
}

/// Every row of `q`, page after page, checking that no page repeats or skips a row.
fn all_pages(h: &SharedHistory, q: &SearchQuery) -> Vec<i64> {
    let mut q = q.clone();
    let mut out = Vec::new();
    for _ in 0..10_000 {
        let page = h.search(&q).expect("search");
        out.extend(ids(&page));
        match page.next {
            Some(c) => q.before = Some(c),
            None => return out,
        }
    }
    panic!("paging never ended");
}

fn sleep_past(lease: Duration) {
    std::thread::sleep(lease + Duration::from_millis(250));
}

fn summary_matches(s: &LookupSummary, r: &LookupRecord) {
    assert_eq!(s.created_at, r.created_at);
    assert_eq!(s.check, r.check);
    assert_eq!(s.outcome, r.outcome);
    assert_eq!(s.phone_e164, r.identity.phone_e164);
    assert_eq!(s.name, r.identity.name);
    assert_eq!(s.id_number, r.identity.id_number);
    assert_eq!(s.country, r.identity.country);
    assert_eq!(s.vendor_status, r.vendor_status);
    assert_eq!(s.vendor_request_id, r.vendor_request_id);
    assert_eq!(s.sandbox, r.sandbox);
    assert_eq!(s.latency_ms, r.latency_ms);
}

// ---------------------------------------------------------------------------------------
// Lookups

/// A lookup reads back exactly as written: raw body byte for byte (not UTF-8 here), request,
/// report, every attempt, the whole identity; the summary a search shows says the same.
pub fn record_get_round_trip(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    assert!(h.get(1).expect("get").is_none(), "a fresh history is empty");
    let rich = rich_lookup();
    let bare = bare_lookup();
    let plain = lookup(3);
    let id_rich = record(&h, &rich);
    let id_bare = record(&h, &bare);
    let id_plain = record(&h, &plain);
    assert!(id_rich > 0 && id_bare > 0 && id_plain > 0);
    assert!(id_rich < id_bare && id_bare < id_plain, "ids grow");
    for (id, rec) in [(id_rich, &rich), (id_bare, &bare), (id_plain, &plain)] {
        let got = h.get(id).expect("get").expect("stored");
        assert_eq!(got, stored(id, rec));
        assert_eq!(got.raw_response, rec.raw_response, "raw body byte for byte");
        assert_eq!(got.created_at.offset(), time::UtcOffset::UTC);
    }
    assert!(h.get(id_plain + 1000).expect("get").is_none());
    assert!(h.get(-1).expect("get").is_none());

    // A time with another offset is the same instant read back in UTC.
    let mut local = lookup(4);
    local.created_at = datetime!(2026-03-03 17:00:00.5 +07:00);
    let id = record(&h, &local);
    let got = h.get(id).expect("get").expect("stored");
    assert_eq!(got.created_at, datetime!(2026-03-03 10:00:00.5 UTC));
    assert_eq!(got.created_at.offset(), time::UtcOffset::UTC);

    let page = h.search(&SearchQuery::all()).expect("search");
    assert_eq!(ids(&page), vec![id_rich, id, id_plain, id_bare]);
    summary_matches(&page.rows[0], &rich);
    summary_matches(&page.rows[2], &plain);
    summary_matches(&page.rows[3], &bare);
}

/// Secret-named keys in a request or report never reach the store.
pub fn record_strips_secrets(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    let mut r = lookup(1);
    r.request = serde_json::json!({
        "mobile": "6281300010001",
        "partner_key": "pk-123",
        "api_secret": "s3cr3t",
        "nested": {"Authorization": "Bearer x", "keep": 1},
    });
    r.report = Some(serde_json::json!({"score": 1, "password": "p"}));
    let id = record(&h, &r);
    let got = h.get(id).expect("get").expect("stored");
    assert_eq!(
        got.request,
        serde_json::json!({"mobile": "6281300010001", "nested": {"keep": 1}})
    );
    assert_eq!(got.report, Some(serde_json::json!({"score": 1})));
}

pub fn uuid_of_is_stable_and_distinct(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    let a = record(&h, &lookup(1));
    let b = record(&h, &lookup(1));
    let ua = h.uuid_of(a).expect("uuid").expect("has one");
    let ub = h.uuid_of(b).expect("uuid").expect("has one");
    assert!(!ua.trim().is_empty());
    assert_ne!(ua, ub, "the same lookup recorded twice is two lookups");
    assert_eq!(h.uuid_of(a).expect("uuid"), Some(ua.clone()), "stable");
    assert!(h.uuid_of(b + 100).expect("uuid").is_none());
    // And back: the uuid names the lookup.
    assert_eq!(h.id_of_uuid(&ua).expect("id_of_uuid"), Some(a));
    assert_eq!(h.id_of_uuid(&ub).expect("id_of_uuid"), Some(b));
    assert_eq!(
        h.id_of_uuid("00000000-0000-4000-8000-000000000000")
            .expect("id_of_uuid"),
        None
    );
    // Another history's lookups have other uuids.
    let h2 = open();
    let c = record(&h2, &lookup(1));
    let uc = h2.uuid_of(c).expect("uuid").expect("has one");
    assert!(uc != ua && uc != ub);
}

/// A lookup and the task it created are stored together, the task pointing at the lookup.
pub fn record_with_task_stores_both(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    let t0 = now();
    let mut rec = poll_answer("task-rwt", "pending");
    rec.outcome = Outcome::Pending;
    let mut t = task("task-rwt", t0, false);
    t.lookup_id = 424_242; // whatever the caller put there: the new row's id wins
    let id = h.record(&rec, Some(&t)).expect("record with task");
    assert_eq!(h.get(id).expect("get"), Some(stored(id, &rec)));
    let got = h.task("task-rwt").expect("task").expect("stored with it");
    let mut want = t.clone();
    want.lookup_id = id;
    assert_eq!(got, want);
    assert_eq!(h.open_tasks().expect("open"), vec![want]);

    // Without a task, none is stored.
    let id2 = h.record(&lookup(2), None).expect("record");
    assert!(id2 > id);
    assert_eq!(h.open_tasks().expect("open").len(), 1);
    // (A record that fails stores neither: no way to make a record fail through the trait
    // alone, so that half is not checked here.)
}

// ---------------------------------------------------------------------------------------
// Search

/// A phone is found however it is typed: E.164, national with trunk 0, spaces, dashes, a
/// trunk 0 after the country code, no-break spaces, full-width digits; Mexico's old prefixes.
pub fn search_by_phone_in_any_spelling(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    let mut a = lookup(1);
    a.identity.phone_e164 = "+6281234567890".into();
    let mut other = lookup(2);
    other.identity.phone_e164 = "+6281299990000".into();
    let mut mx = lookup(3);
    mx.check = CheckKind::PhoneStatus;
    mx.identity.phone_e164 = "+525512345678".into();
    mx.identity.country = "MX".into();
    mx.identity.id_number = String::new();
    let a = record(&h, &a);
    record(&h, &other);
    let mx = record(&h, &mx);
    for spelling in [
        "+6281234567890",
        "6281234567890",
        "081234567890",
        "81234567890",
        "0812 3456 7890",
        "0812-3456-7890",
        "+62 812-3456-7890",
        "+62 812 3456 7890",
        "+62 0812-3456-7890",
        "62-0812-3456-7890",
        "(0812) 3456 7890",
        "0812\u{a0}3456\u{a0}7890",
        "０８１２３４５６７８９０",
        "  081234567890  ",
    ] {
        assert_eq!(text(&h, spelling), vec![a], "phone typed as {spelling:?}");
    }
    for spelling in [
        "+525512345678",
        "55 1234 5678",
        "5512345678",
        "+52 1 55 1234 5678",
        "044 55 1234 5678",
    ] {
        assert_eq!(text(&h, spelling), vec![mx], "phone typed as {spelling:?}");
    }
    assert!(text(&h, "081234567899").is_empty());
}

pub fn search_by_id_number(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    let mut a = lookup(1);
    a.identity.id_number = "3171234567890001".into();
    let mut curp = lookup(2);
    curp.identity.id_number = "GODE561231HDFRRN09".into();
    curp.identity.country = "MX".into();
    let a = record(&h, &a);
    let curp = record(&h, &curp);
    record(&h, &lookup(3));
    for spelling in [
        "3171234567890001",
        "3171 2345 6789 0001",
        "3171-2345-6789-0001",
    ] {
        assert_eq!(text(&h, spelling), vec![a], "ID typed as {spelling:?}");
    }
    for spelling in [
        "GODE561231HDFRRN09",
        "gode561231hdfrrn09",
        "GODE 561231 HDFRRN09",
    ] {
        assert_eq!(text(&h, spelling), vec![curp], "ID typed as {spelling:?}");
    }
    assert!(text(&h, "3171234567890002").is_empty());
}

pub fn search_by_vendor_request_id_and_task_id(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    let mut a = lookup(1);
    a.vendor_request_id = Some("1f3a9c2e-77aa-4b1e-9d3c-0a1b2c3d4e5f".into());
    let mut t = lookup(2);
    t.check = CheckKind::PhoneStatus;
    t.outcome = Outcome::Pending;
    t.task_id = Some("tsk_9f8e7d6c".into());
    t.vendor_request_id = Some("seq-000042".into());
    let a = record(&h, &a);
    let t = record(&h, &t);
    record(&h, &lookup(3));
    assert_eq!(text(&h, "1f3a9c2e-77aa-4b1e-9d3c-0a1b2c3d4e5f"), vec![a]);
    assert_eq!(text(&h, " 1f3a9c2e-77aa-4b1e-9d3c-0a1b2c3d4e5f "), vec![a]);
    assert_eq!(text(&h, "seq-000042"), vec![t]);
    assert_eq!(text(&h, "tsk_9f8e7d6c"), vec![t]);
    assert!(text(&h, "tsk_9f8e7d6").is_empty(), "ids match whole");
    assert!(text(&h, "seq-000043").is_empty());
}

/// A name is found by any substring, case and accents aside, letters transliterated
/// (`dang` finds `Đặng`, `soren` `Søren`, `lukasz` `Łukasz`, `strauss` `Strauß`).
pub fn search_by_name_folds_accents_and_case(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    let named = |i: i64, name: &str, country: &str| {
        let mut r = lookup(i);
        r.identity.name = name.into();
        r.identity.country = country.into();
        record(&h, &r)
    };
    let dang = named(1, "Đặng Văn Lâm", "VN");
    let soren = named(2, "Søren Østergaard", "MX");
    let lukasz = named(3, "Łukasz Wróbel", "MX");
    let strauss = named(4, "Johann Strauß", "MX");
    let budi = named(5, "Budi Santoso", "ID");
    let maria = named(6, "María José Hernández", "MX");
    let cases: &[(&str, &[i64])] = &[
        ("dang", &[dang]),
        ("DANG", &[dang]),
        ("Đặng", &[dang]),
        ("van lam", &[dang]),
        ("Văn Lâm", &[dang]),
        ("soren", &[soren]),
        ("ostergaard", &[soren]),
        ("lukasz", &[lukasz]),
        ("strauss", &[strauss]),
        ("anto", &[budi]),
        ("SANTOSO", &[budi]),
        ("hernandez", &[maria]),
        ("HERNÁNDEZ", &[maria]),
        ("maría josé", &[maria]),
        ("lu", &[lukasz]),
        ("an", &[maria, budi, strauss, dang]),
        ("xylophone", &[]),
    ];
    for (q, want) in cases {
        assert_eq!(text(&h, q), want.to_vec(), "name search {q:?}");
    }
}

/// Check, outcome, since and until (whole UTC days, both included), alone, together and with
/// a text.
pub fn search_filters_check_outcome_and_days(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    let row = |i: i64, check: CheckKind, outcome: Outcome, when: OffsetDateTime| {
        let mut r = lookup(i);
        r.check = check;
        r.outcome = outcome;
        r.created_at = when;
        r.identity.phone_e164 = "+6281234567890".into();
        record(&h, &r)
    };
    use CheckKind::*;
    let r0 = row(
        0,
        DebtsReport,
        Outcome::Ok,
        datetime!(2026-03-01 00:00:00 UTC),
    );
    let r1 = row(
        1,
        MultipleOrder,
        Outcome::NotHit,
        datetime!(2026-03-01 12:00:00 UTC),
    );
    let r2 = row(
        2,
        DebtsReport,
        Outcome::Error,
        datetime!(2026-03-02 09:00:00 UTC),
    );
    let r3 = row(
        3,
        PhoneStatus,
        Outcome::Pending,
        datetime!(2026-03-03 01:00:00 UTC),
    );
    let r4 = row(
        4,
        DebtsReport,
        Outcome::Ok,
        datetime!(2026-03-03 23:59:59.999999 UTC),
    );
    let r5 = row(
        5,
        Multiplatform,
        Outcome::Ok,
        datetime!(2026-03-04 00:00:00 UTC),
    );
    // Elsewhere: another phone, same check and day.
    let mut x = lookup(6);
    x.created_at = datetime!(2026-03-03 12:00:00 UTC);
    let x = record(&h, &x);

    let q = |check: Option<CheckKind>, outcome: Option<Outcome>| SearchQuery {
        check,
        outcome,
        ..SearchQuery::all()
    };
    assert_eq!(search(&h, &q(Some(DebtsReport), None)), vec![r4, x, r2, r0]);
    assert_eq!(search(&h, &q(None, Some(Outcome::Ok))), vec![r5, r4, x, r0]);
    assert_eq!(
        search(&h, &q(Some(DebtsReport), Some(Outcome::Ok))),
        vec![r4, x, r0]
    );
    assert!(search(&h, &q(Some(DebtsReport), Some(Outcome::Pending))).is_empty());
    assert!(search(&h, &q(Some(CreditWillingness), None)).is_empty());
    assert_eq!(search(&h, &q(None, Some(Outcome::NotHit))), vec![r1]);

    let days = |since: Option<time::Date>, until: Option<time::Date>| SearchQuery {
        since,
        until,
        ..SearchQuery::all()
    };
    assert_eq!(
        search(&h, &days(Some(date!(2026 - 03 - 03)), None)),
        vec![r5, r4, x, r3]
    );
    assert_eq!(
        search(&h, &days(None, Some(date!(2026 - 03 - 03)))),
        vec![r4, x, r3, r2, r1, r0]
    );
    assert_eq!(
        search(
            &h,
            &days(Some(date!(2026 - 03 - 02)), Some(date!(2026 - 03 - 03)))
        ),
        vec![r4, x, r3, r2]
    );
    assert_eq!(
        search(
            &h,
            &days(Some(date!(2026 - 03 - 01)), Some(date!(2026 - 03 - 01)))
        ),
        vec![r1, r0]
    );
    assert!(search(&h, &days(Some(date!(2026 - 03 - 05)), None)).is_empty());

    // Text and filters together.
    let both = SearchQuery {
        check: Some(DebtsReport),
        since: Some(date!(2026 - 03 - 02)),
        ..SearchQuery::text("0812 3456 7890")
    };
    assert_eq!(search(&h, &both), vec![r4, r2]);
    let name = SearchQuery {
        outcome: Some(Outcome::NotHit),
        ..SearchQuery::text(&*lookup(1).identity.name)
    };
    assert_eq!(search(&h, &name), vec![r1]);
}

/// Newest first (ties by id, newest id first), `limit` rows a page, and keyset paging that
/// visits every row exactly once and ends.
pub fn search_newest_first_limit_and_paging(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    assert!(
        h.search(&SearchQuery::all())
            .expect("search")
            .rows
            .is_empty()
    );
    assert!(
        h.search(&SearchQuery::all())
            .expect("search")
            .next
            .is_none()
    );
    // 23 rows, inserted out of time order, pairs sharing a time.
    let mut rows: Vec<(OffsetDateTime, i64)> = Vec::new();
    for i in 0..23i64 {
        let mut r = lookup(i);
        r.created_at = at((i * 7) % 23 / 2);
        r.identity.phone_e164 = "+6281234567890".into();
        r.identity.name = "Siti Rahayu".into();
        rows.push((r.created_at, record(&h, &r)));
    }
    rows.sort_by(|a, b| b.cmp(a));
    let want: Vec<i64> = rows.iter().map(|r| r.1).collect();

    for base_q in [
        SearchQuery::all(),
        SearchQuery::text("081234567890"),
        SearchQuery::text("rahayu"),
        SearchQuery {
            check: Some(CheckKind::DebtsReport),
            ..SearchQuery::all()
        },
    ] {
        let page = h.search(&base_q).expect("search");
        assert_eq!(ids(&page), want, "one page, newest first: {base_q:?}");
        assert!(page.next.is_none());
        for limit in [1usize, 5, 11, 22, 23] {
            let q = SearchQuery {
                limit,
                ..base_q.clone()
            };
            let first = h.search(&q).expect("search");
            assert_eq!(ids(&first), want[..limit.min(23)].to_vec());
            assert_eq!(first.next.is_some(), limit < 23, "next iff more: {limit}");
            assert_eq!(all_pages(&h, &q), want, "paging by {limit}: {base_q:?}");
        }
    }
    // A limit of 0 is the default page.
    let q = SearchQuery {
        limit: 0,
        ..SearchQuery::all()
    };
    assert_eq!(search(&h, &q), want);
}

pub fn cursor_for_continues_after_a_row(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    let mut all = Vec::new();
    let mut when = BTreeMap::new();
    for i in 0..6 {
        let mut r = lookup(i);
        r.created_at = at(i / 2); // pairs share a time
        let id = record(&h, &r);
        all.push(id);
        when.insert(id, r.created_at);
    }
    all.reverse(); // newest first
    assert!(h.cursor_for(all[0] + 100).expect("cursor").is_none());
    for (k, &id) in all.iter().enumerate() {
        let c: Cursor = h.cursor_for(id).expect("cursor").expect("stored row");
        assert_eq!(c.id, id);
        assert_eq!(c.created_at, when[&id]);
        let q = SearchQuery {
            before: Some(c),
            ..SearchQuery::all()
        };
        assert_eq!(search(&h, &q), all[k + 1..].to_vec(), "before {id}");
    }
    // A cursor built by hand from a time and an id works the same.
    let q = SearchQuery {
        before: Some(Cursor::new(at(2), all[0])),
        ..SearchQuery::all()
    };
    assert_eq!(search(&h, &q), all[1..].to_vec());
}

/// The newest lookup of that check for the same phone and ID number since a time; an
/// identity with neither is no one in particular.
pub fn latest_for_same_applicant_only(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    let phone = "+6281234567890";
    let idn = "3171234567890001";
    let ident = |p: &str, i: &str| Identity {
        phone_e164: p.into(),
        id_number: i.into(),
        name: "Budi Santoso".into(),
        country: "ID".into(),
        ..Identity::default()
    };
    let row = |m: i64, check: CheckKind, id: Identity| {
        let mut r = lookup(m);
        r.check = check;
        r.identity = id;
        record(&h, &r)
    };
    let old = row(0, CheckKind::DebtsReport, ident(phone, idn));
    let new = row(10, CheckKind::DebtsReport, ident(phone, idn));
    let _other_check = row(20, CheckKind::CreditWillingness, ident(phone, idn));
    let phone_only = row(5, CheckKind::DebtsReport, ident(phone, ""));
    let id_only = row(6, CheckKind::DebtsReport, ident("", idn));
    let _other_phone = row(30, CheckKind::DebtsReport, ident("+6281299990000", idn));
    let _nobody = row(40, CheckKind::DebtsReport, ident("", ""));

    let latest = |check, id: &Identity, since| {
        h.latest_for(check, id, since)
            .expect("latest_for")
            .map(|s| s.id)
    };
    let both = ident(phone, idn);
    assert_eq!(latest(CheckKind::DebtsReport, &both, at(-60)), Some(new));
    let s = h
        .latest_for(CheckKind::DebtsReport, &both, at(-60))
        .expect("latest_for")
        .expect("found");
    assert_eq!(s.created_at, at(10));
    assert_eq!(s.phone_e164, phone);
    assert_eq!(
        latest(CheckKind::DebtsReport, &both, at(10)),
        Some(new),
        "since is included"
    );
    assert_eq!(latest(CheckKind::DebtsReport, &both, at(11)), None);
    // The name is not part of who the applicant is.
    let mut renamed = both.clone();
    renamed.name = "B. Santoso".into();
    assert_eq!(latest(CheckKind::DebtsReport, &renamed, at(-60)), Some(new));
    // Another check, another lookup.
    assert_eq!(latest(CheckKind::MultipleOrder, &both, at(-60)), None);
    assert_eq!(
        latest(CheckKind::CreditWillingness, &both, at(-60)),
        Some(_other_check)
    );
    // An absent phone or ID must be absent in the row too.
    assert_eq!(
        latest(CheckKind::DebtsReport, &ident(phone, ""), at(-60)),
        Some(phone_only)
    );
    assert_eq!(
        latest(CheckKind::DebtsReport, &ident("", idn), at(-60)),
        Some(id_only)
    );
    // Neither: matches nothing, not the row that has neither either.
    assert_eq!(
        latest(CheckKind::DebtsReport, &ident("", ""), at(-60)),
        None
    );
    assert!(old < new);
}

// ---------------------------------------------------------------------------------------
// Export walk, import batches, ids, purge

/// `for_each` gives every matching row, newest first, limit and cursor ignored, with its
/// uuid; the stats count what it gave.
/// `ids_by_keys` finds every lookup carrying one of the phone keys or one of the ID-number
/// keys (an applicant's case), newest first, within the days, bounded by its limit.
pub fn ids_by_keys_joins_phone_and_id_keys(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    let nsn = |i: i64| history::phone_nsn(&format!("+62813{:08}", 10_000 + i), "ID");
    let idk = |i: i64| history::id_key(&format!("3171{:012}", 500 + i));
    // 1: phone A + id A; 2: phone A, no id; 3: phone B + id A; 4: someone else; 5: id A,
    // the day after.
    let one = record(&h, &lookup(1));
    let mut two = lookup(2);
    two.identity.phone_e164 = lookup(1).identity.phone_e164;
    two.identity.id_number = String::new();
    let two = record(&h, &two);
    let mut three = lookup(3);
    three.identity.id_number = lookup(1).identity.id_number;
    let three = record(&h, &three);
    record(&h, &lookup(4));
    let mut five = lookup(5);
    five.identity.id_number = lookup(1).identity.id_number;
    five.identity.phone_e164 = String::new();
    five.created_at = at(24 * 60);
    let five = record(&h, &five);
    let q = |phones: Vec<String>, ids: Vec<String>| KeyQuery {
        phone_nsns: phones,
        id_keys: ids,
        limit: 100,
        ..KeyQuery::default()
    };
    let found = |q: KeyQuery| h.ids_by_keys(&q).expect("ids_by_keys");
    assert_eq!(found(q(vec![nsn(1)], vec![])), (vec![two, one], false));
    assert_eq!(
        found(q(vec![], vec![idk(1)])),
        (vec![five, three, one], false)
    );
    assert_eq!(
        found(q(vec![nsn(1)], vec![idk(1)])),
        (vec![five, three, two, one], false),
        "either key, each row once, newest first"
    );
    assert_eq!(
        found(q(vec![String::new()], vec![String::new()])),
        (vec![], false)
    );
    assert_eq!(found(q(vec![nsn(9)], vec![idk(9)])), (vec![], false));
    let mut limited = q(vec![nsn(1)], vec![idk(1)]);
    limited.limit = 2;
    assert_eq!(
        found(limited),
        (vec![five, three], true),
        "the newest, and more said"
    );
    let mut days = q(vec![nsn(1)], vec![idk(1)]);
    days.until = Some(base().date());
    assert_eq!(found(days.clone()), (vec![three, two, one], false));
    days.until = None;
    days.since = Some(base().date().next_day().expect("day"));
    assert_eq!(found(days), (vec![five], false));
}

/// `get_many_for_case` reads records with their uuids, in the order asked, whole but for
/// the request and the raw body (left empty: a case never shows them); unknown ids are left
/// out.
pub fn get_many_for_case_reads_records_but_bodies_in_order(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    let rich = rich_lookup();
    let a = record(&h, &rich);
    let b = record(&h, &lookup(2));
    let got = h
        .get_many_for_case(&[b, 999_999, a])
        .expect("get_many_for_case");
    assert_eq!(
        got.iter().map(|(r, _)| r.id).collect::<Vec<_>>(),
        vec![b, a]
    );
    let without_bodies = |mut r: LookupRecord| {
        assert!(
            !r.raw_response.is_empty(),
            "the fixture has a body to leave out"
        );
        r.request = serde_json::Value::Null;
        r.raw_response = Vec::new();
        r
    };
    assert_eq!(got[1].0, without_bodies(stored(a, &rich)));
    assert_eq!(got[0].0, without_bodies(stored(b, &lookup(2))));
    assert_eq!(got[1].1, h.uuid_of(a).expect("uuid").expect("stored"));
    assert!(h.get_many_for_case(&[]).expect("none").is_empty());
    // A second case read on the same history (the console's) reads the same.
    assert_eq!(h.get_many_for_case(&[b, 999_999, a]).expect("again"), got);
    // The bodies are still there for `get`.
    assert_eq!(h.get(a).expect("get").expect("stored"), stored(a, &rich));
}

pub fn for_each_visits_every_match_newest_first(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    let mut want_all = Vec::new();
    let mut recs = BTreeMap::new();
    for i in 0..30i64 {
        let mut r = lookup(i);
        r.created_at = at((i * 11) % 30);
        if i % 3 == 0 {
            r.check = CheckKind::MultipleOrder;
        }
        let id = record(&h, &r);
        want_all.push((r.created_at, id));
        recs.insert(id, r);
    }
    want_all.sort_by(|a, b| b.cmp(a));
    let walk = |q: &SearchQuery| {
        let mut items = Vec::new();
        // The callback does not call back into the history: the SQLite backend holds its one
        // connection (behind a mutex) for the whole walk, so a call from inside would wait
        // for ever.
        let stats = h
            .for_each(q, &mut |item| {
                items.push(item);
                Ok(())
            })
            .expect("for_each");
        let mut seen = Vec::new();
        for item in items {
            match item {
                ExportItem::Record(rec, uuid) => {
                    assert_eq!(h.uuid_of(rec.id).expect("uuid"), Some(uuid));
                    assert_eq!(*rec, stored(rec.id, &recs[&rec.id]));
                    seen.push(rec.id);
                }
                other => panic!("every row is readable: {other:?}"),
            }
        }
        (seen, stats)
    };
    let (seen, stats) = walk(&SearchQuery {
        limit: 3,
        before: Some(Cursor::new(at(5), 1)),
        ..SearchQuery::all()
    });
    assert_eq!(seen, want_all.iter().map(|r| r.1).collect::<Vec<_>>());
    assert_eq!((stats.written, stats.as_stored, stats.skipped), (30, 0, 0));

    let q = SearchQuery {
        check: Some(CheckKind::MultipleOrder),
        ..SearchQuery::all()
    };
    let (seen, stats) = walk(&q);
    let want: Vec<i64> = want_all
        .iter()
        .map(|r| r.1)
        .filter(|id| recs[id].check == CheckKind::MultipleOrder)
        .collect();
    assert_eq!(seen, want);
    assert_eq!(stats.written, 10);

    let (seen, stats) = walk(&SearchQuery::text("req-000007"));
    assert_eq!(seen.len(), 1);
    assert_eq!(stats.written, 1);
    let (seen, stats) = walk(&SearchQuery::text("nobody-at-all"));
    assert!(seen.is_empty());
    assert_eq!(stats.written, 0);

    // An error from the callback ends the walk and is returned.
    let mut n = 0;
    let r = h.for_each(&SearchQuery::all(), &mut |_| {
        n += 1;
        Err(riskdesk::history::HistoryError::Write("disk full".into()))
    });
    assert!(r.is_err());
    assert_eq!(n, 1);
}

/// Rows whose uuid is stored already are duplicates; the others get new ids of this store.
pub fn insert_absent_is_idempotent_by_uuid(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    let existing = record(&h, &lookup(0));
    let batch: Vec<(LookupRecord, String)> = (1..=3)
        .map(|i| {
            let mut r = lookup(i);
            r.id = 7_000 + i; // an id from elsewhere: not kept
            (r, format!("00000000-0000-4000-8000-00000000000{i}"))
        })
        .collect();
    assert_eq!(
        h.insert_absent(&batch).expect("insert"),
        Inserted {
            added: 3,
            duplicates: 0
        }
    );
    assert_eq!(
        h.insert_absent(&batch).expect("again"),
        Inserted {
            added: 0,
            duplicates: 3
        }
    );
    let mut more = batch[..1].to_vec();
    let mut fresh = lookup(4);
    fresh.raw_response = vec![0x00, 0xff, 0x10];
    more.push((fresh, "00000000-0000-4000-8000-000000000004".into()));
    assert_eq!(
        h.insert_absent(&more).expect("mixed"),
        Inserted {
            added: 1,
            duplicates: 1
        }
    );
    assert_eq!(
        h.insert_absent(&[]).expect("empty"),
        Inserted {
            added: 0,
            duplicates: 0
        }
    );

    let mut by_uuid = BTreeMap::new();
    h.for_each(&SearchQuery::all(), &mut |item| {
        if let ExportItem::Record(rec, uuid) = item {
            by_uuid.insert(uuid, *rec);
        }
        Ok(())
    })
    .expect("for_each");
    assert_eq!(by_uuid.len(), 5);
    let mut new_ids = BTreeSet::new();
    for (r, uuid) in batch.iter().chain(&more[1..]) {
        let got = &by_uuid[uuid];
        assert!(got.id > existing, "new ids, after the stored ones");
        assert!(got.id < 7_000, "the batch's own ids are not kept");
        let mut want = r.clone();
        want.id = got.id;
        assert_eq!(got, &want);
        assert_eq!(h.uuid_of(got.id).expect("uuid").as_deref(), Some(&**uuid));
        new_ids.insert(got.id);
    }
    assert_eq!(new_ids.len(), 4);
    // A lookup recorded afterwards gets yet another id.
    let after = record(&h, &lookup(5));
    assert!(after > *new_ids.last().expect("some"));
}

/// An id names one lookup forever: purging the rows with the highest ids, or every row, does
/// not hand their ids out again (to `record` or to `insert_absent`).
pub fn ids_never_reused_after_purge(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    // The newest ids hold the oldest times, so a purge by time removes the highest ids.
    let keep = record(&h, &lookup(100));
    let mut gone = Vec::new();
    for i in 0..3 {
        gone.push(record(&h, &lookup(i)));
    }
    let highest = *gone.last().expect("some");
    let p = h.purge(at(50)).expect("purge");
    assert_eq!(p.lookups, 3);
    for id in &gone {
        assert!(h.get(*id).expect("get").is_none());
    }
    let next = record(&h, &lookup(200));
    assert!(
        next > highest,
        "id {next} must not reuse a purged one (≤ {highest})"
    );
    let batch = vec![(
        lookup(201),
        "11111111-1111-4111-8111-111111111111".to_string(),
    )];
    h.insert_absent(&batch).expect("insert");
    let mut imported = 0;
    h.for_each(&SearchQuery::text("req-000201"), &mut |item| {
        if let ExportItem::Record(rec, _) = item {
            imported = rec.id;
        }
        Ok(())
    })
    .expect("for_each");
    assert!(imported > next);

    // Everything purged: still no id reused.
    let p = h.purge(at(100_000)).expect("purge all");
    assert_eq!(p.lookups, 3);
    assert!(
        h.search(&SearchQuery::all())
            .expect("search")
            .rows
            .is_empty()
    );
    let last = record(&h, &lookup(300));
    assert!(last > imported && last > keep);
}

/// Purge removes lookups created before the cutoff and the tasks of that age (finished ones
/// submitted before it, open ones whose 24 hours ended before it), keeps the rest, and says
/// how many of each it removed.
pub fn purge_removes_old_lookups_and_tasks(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    let l: Vec<i64> = [0, 10, 20, 30]
        .iter()
        .map(|&m| record(&h, &lookup(m)))
        .collect();
    let cutoff = at(15);
    let day = time::Duration::hours(24);
    let add = |t: PhoneTaskRow| h.add_task(&t).expect("add task");
    add(with_state(task("done-old", at(0), false), TaskState::Done));
    add(with_state(
        task("failed-new", at(20), false),
        TaskState::Failed,
    ));
    add(with_state(
        task("expired-old", at(1), true),
        TaskState::Expired,
    ));
    add(task("pending-unexpired", at(0), false)); // submitted before, expires after
    let mut lapsed = task("pending-lapsed", at(5) - day, false);
    lapsed.expires_at = at(5);
    add(lapsed);
    add(with_state(
        task("paused-new", at(16), false),
        TaskState::Paused,
    ));

    let p = h.purge(cutoff).expect("purge");
    assert_eq!((p.lookups, p.tasks), (2, 3));
    assert!(h.get(l[0]).expect("get").is_none());
    assert!(h.get(l[1]).expect("get").is_none());
    assert_eq!(search(&h, &SearchQuery::all()), vec![l[3], l[2]]);
    assert!(
        text(&h, "req-000000").is_empty(),
        "purged rows are not found"
    );
    assert!(text(&h, &lookup(0).identity.phone_e164).is_empty());
    assert!(h.uuid_of(l[0]).expect("uuid").is_none());
    for gone in ["done-old", "expired-old", "pending-lapsed"] {
        assert!(h.task(gone).expect("task").is_none(), "{gone} purged");
    }
    for kept in ["failed-new", "pending-unexpired", "paused-new"] {
        assert!(h.task(kept).expect("task").is_some(), "{kept} kept");
    }
    // Nothing older is left: a second purge removes nothing.
    let again = h.purge(cutoff).expect("purge again");
    assert_eq!((again.lookups, again.tasks), (0, 0));
    // A cutoff before everything removes nothing.
    let none = h.purge(at(-1000)).expect("purge none");
    assert_eq!((none.lookups, none.tasks), (0, 0));
    assert_eq!(search(&h, &SearchQuery::all()).len(), 2);
}

// ---------------------------------------------------------------------------------------
// Phone tasks

pub fn tasks_add_get_and_open(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    let t0 = now();
    let hours = time::Duration::hours;
    assert!(h.open_tasks().expect("open").is_empty());
    assert!(h.task("nope").expect("task").is_none());
    let a = task("t-a", t0 - hours(3), false);
    let mut b = with_state(task("t-b", t0 - hours(2), true), TaskState::Paused);
    b.error = Some("credentials refused".into());
    let mut c = with_state(task("t-c", t0 - hours(1), false), TaskState::Done);
    c.result = Some(serde_json::json!({"phone_status": "active"}));
    c.last_poll_at = Some(t0 - time::Duration::minutes(30));
    c.attempts = 4;
    let d = task("t-d", t0 - hours(30), false); // open, its 24 hours over, not yet marked
    let e = with_state(task("t-e", t0 - hours(4), false), TaskState::Failed);
    for t in [&c, &a, &e, &d, &b] {
        h.add_task(t).expect("add");
    }
    for t in [&a, &b, &c, &d, &e] {
        assert_eq!(h.task(&t.task_id).expect("task").as_ref(), Some(t));
    }
    assert_eq!(
        h.open_tasks().expect("open"),
        vec![d.clone(), a.clone(), b.clone()],
        "open (pending or paused), expired or not, oldest first"
    );
    // Adding a task with a stored id replaces it.
    let mut a2 = a.clone();
    a2.attempts = 3;
    a2.error = Some("timeout".into());
    a2.last_poll_at = Some(t0);
    h.add_task(&a2).expect("replace");
    assert_eq!(h.task("t-a").expect("task"), Some(a2));
    assert_eq!(h.open_tasks().expect("open").len(), 3);
}

pub fn claim_is_exclusive_while_leased(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    let t0 = now();
    let minute = Duration::from_secs(60);
    h.add_task(&task("c-1", t0, false)).expect("add");
    h.add_task(&with_state(task("c-done", t0, false), TaskState::Done))
        .expect("add");
    h.add_task(&with_state(task("c-failed", t0, false), TaskState::Failed))
        .expect("add");
    h.add_task(&with_state(task("c-exp", t0, false), TaskState::Expired))
        .expect("add");
    h.add_task(&task("c-over", t0 - time::Duration::hours(25), false))
        .expect("add");

    let lease = h.claim("c-1", now(), minute).expect("claim").expect("free");
    assert_eq!(lease.task_id, "c-1");
    assert!(
        h.claim("c-1", now(), minute).expect("claim").is_none(),
        "leased"
    );
    assert!(
        h.claim("c-1", now(), Duration::from_millis(1))
            .expect("claim")
            .is_none()
    );
    for t in ["c-done", "c-failed", "c-exp", "c-over", "missing"] {
        assert!(h.claim(t, now(), minute).expect("claim").is_none(), "{t}");
    }
    // Claiming changes nothing a reader sees but the lease.
    let got = h.task("c-1").expect("task").expect("stored");
    assert_eq!(got.state, TaskState::Pending);
    assert_eq!(got.attempts, 0);
}

/// `claim_unpolled` leases a task only while its poll count is the one the caller saw: a
/// desk that read the task before another desk's poll does not poll that due time again.
pub fn claim_unpolled_only_while_nobody_polled(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    let minute = Duration::from_secs(60);
    h.add_task(&task("u-1", now(), false)).expect("add");
    let seen = h.task("u-1").expect("task").expect("stored").attempts;
    // Another desk polls (and ends its poll, the task still pending) in between.
    let other = h.claim("u-1", now(), minute).expect("claim").expect("free");
    let f = h
        .finish(
            &other,
            &PollFinish {
                at: now(),
                state: TaskState::Pending,
                error: None,
                record: None,
            },
        )
        .expect("finish");
    assert!(f.task_updated);
    assert!(
        h.claim_unpolled("u-1", seen, now(), minute)
            .expect("claim")
            .is_none(),
        "polled since it was read"
    );
    let fresh = h.task("u-1").expect("task").expect("stored");
    assert_eq!(fresh.attempts, seen + 1);
    let lease = h
        .claim_unpolled("u-1", fresh.attempts, now(), minute)
        .expect("claim")
        .expect("free and unpolled since");
    assert_eq!(lease.task_id, "u-1");
    assert!(
        h.claim_unpolled("u-1", fresh.attempts, now(), minute)
            .expect("claim")
            .is_none(),
        "leased"
    );
    assert!(
        h.claim_unpolled("missing", 0, now(), minute)
            .expect("claim")
            .is_none()
    );
}

/// Eight threads that all read the task at the same poll count race to claim it: exactly
/// one wins, whatever the backend (the lease still holds under the attempts check; the
/// stale-read case is `claim_unpolled_only_while_nobody_polled`).
pub fn claim_unpolled_has_one_winner_across_threads(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    h.add_task(&task("u-race", now(), false)).expect("add");
    let barrier = std::sync::Barrier::new(8);
    let wins = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let h = h.clone();
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    h.claim_unpolled("u-race", 0, now(), Duration::from_secs(60))
                        .expect("claim")
                        .is_some()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|t| t.join().expect("thread"))
            .filter(|won| *won)
            .count()
    });
    assert_eq!(wins, 1);
}

pub fn claim_again_after_lease_lapses(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    h.add_task(&task("l-1", now(), false)).expect("add");
    let short = Duration::from_millis(300);
    let first = h.claim("l-1", now(), short).expect("claim").expect("free");
    assert!(h.claim("l-1", now(), short).expect("claim").is_none());
    sleep_past(short);
    let second = h
        .claim("l-1", now(), Duration::from_secs(60))
        .expect("claim")
        .expect("lapsed: free again");
    assert_ne!(first, second, "a new lease, with its own token");
    assert!(
        h.claim("l-1", now(), Duration::from_secs(60))
            .expect("claim")
            .is_none()
    );
}

/// A finish under the current lease stores its lookup and the task's new state together,
/// counts the attempt and releases the lease.
pub fn finish_with_current_lease_updates_task_and_stores_lookup(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    let t0 = now();
    let mut submitted = poll_answer("f-1", "pending");
    submitted.outcome = Outcome::Pending;
    let first = h
        .record(&submitted, Some(&task("f-1", t0, false)))
        .expect("record");
    let minute = Duration::from_secs(60);

    // A poll that found it still pending and met a timeout: no lookup, the task stays open.
    let lease = h.claim("f-1", now(), minute).expect("claim").expect("free");
    let at1 = now();
    let done = h
        .finish(
            &lease,
            &PollFinish {
                at: at1,
                state: TaskState::Pending,
                error: Some("timeout".into()),
                record: None,
            },
        )
        .expect("finish");
    assert_eq!(done.lookup_id, None);
    assert!(done.task_updated);
    let t = h.task("f-1").expect("task").expect("stored");
    assert_eq!(
        (t.state, t.attempts, t.last_poll_at, t.error.as_deref()),
        (TaskState::Pending, 1, Some(at1), Some("timeout"))
    );
    assert_eq!(t.lookup_id, first);

    // The lease was released: the next poll claims it at once, and its answer ends the task.
    let lease = h
        .claim("f-1", now(), minute)
        .expect("claim")
        .expect("released");
    let answer = poll_answer("f-1", "active");
    let at2 = now();
    let done = h
        .finish(
            &lease,
            &PollFinish {
                at: at2,
                state: TaskState::Done,
                error: None,
                record: Some(answer.clone()),
            },
        )
        .expect("finish");
    assert!(done.task_updated);
    let id = done.lookup_id.expect("the answer is stored");
    assert!(id > first);
    assert_eq!(h.get(id).expect("get"), Some(stored(id, &answer)));
    let t = h.task("f-1").expect("task").expect("stored");
    assert_eq!(t.state, TaskState::Done);
    assert_eq!(t.attempts, 2);
    assert_eq!(t.last_poll_at, Some(at2));
    assert_eq!(t.error, None);
    assert_eq!(t.result, answer.report);
    assert_eq!(t.lookup_id, first, "still the lookup that submitted it");
    assert!(h.open_tasks().expect("open").is_empty());
    assert!(
        h.claim("f-1", now(), minute).expect("claim").is_none(),
        "done"
    );
    // The task id finds both lookups.
    assert_eq!(text(&h, "f-1"), vec![id, first]);
}

/// A finish whose lease is no longer the task's stores its lookup (a paid answer is never
/// dropped) but writes nothing to the task: it can neither overwrite another poller's
/// finish nor revive an expired task.
pub fn finish_with_lapsed_lease_stores_lookup_leaves_task(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    let short = Duration::from_millis(300);
    let minute = Duration::from_secs(60);
    h.add_task(&task("z-1", now(), false)).expect("add");

    // A's lease lapses; B takes the task over and finishes it.
    let a = h.claim("z-1", now(), short).expect("claim").expect("free");
    sleep_past(short);
    let b = h
        .claim("z-1", now(), minute)
        .expect("claim")
        .expect("lapsed");
    let b_answer = poll_answer("z-1", "active");
    let fb = h
        .finish(
            &b,
            &PollFinish {
                at: now(),
                state: TaskState::Done,
                error: None,
                record: Some(b_answer.clone()),
            },
        )
        .expect("finish b");
    assert!(fb.task_updated);
    let after_b = h.task("z-1").expect("task").expect("stored");

    // A comes back with another answer: stored as a lookup, the task untouched.
    let a_answer = poll_answer("z-1", "inactive");
    let fa = h
        .finish(
            &a,
            &PollFinish {
                at: now(),
                state: TaskState::Failed,
                error: Some("late".into()),
                record: Some(a_answer.clone()),
            },
        )
        .expect("finish a");
    assert!(
        !fa.task_updated,
        "a lapsed lease must not overwrite a finished task"
    );
    let ida = fa.lookup_id.expect("the late answer is still stored");
    assert_eq!(h.get(ida).expect("get"), Some(stored(ida, &a_answer)));
    assert_eq!(h.task("z-1").expect("task"), Some(after_b));

    // A lease that never was the task's changes nothing either.
    let forged = riskdesk::history::Lease {
        task_id: "z-1".into(),
        token: "not-a-token".into(),
    };
    let ff = h
        .finish(
            &forged,
            &PollFinish {
                at: now(),
                state: TaskState::Pending,
                error: None,
                record: None,
            },
        )
        .expect("finish forged");
    assert_eq!((ff.lookup_id, ff.task_updated), (None, false));
    assert_eq!(
        h.task("z-1").expect("task").expect("stored").state,
        TaskState::Done
    );

    // A task that expires while leased: the poller's finish cannot revive it.
    let t0 = now();
    let mut soon = task("z-2", t0 - time::Duration::hours(24), false);
    soon.expires_at = t0 + time::Duration::milliseconds(400);
    h.add_task(&soon).expect("add");
    let lease = h.claim("z-2", now(), minute).expect("claim").expect("free");
    std::thread::sleep(Duration::from_millis(600));
    let r = h.resumable(now(), false).expect("resumable");
    assert_eq!(
        r.lapsed
            .iter()
            .map(|t| t.task_id.as_str())
            .collect::<Vec<_>>(),
        vec!["z-2"]
    );
    let expired = h.task("z-2").expect("task").expect("stored");
    assert_eq!(expired.state, TaskState::Expired);
    let late = poll_answer("z-2", "pending");
    let f = h
        .finish(
            &lease,
            &PollFinish {
                at: now(),
                state: TaskState::Pending,
                error: None,
                record: Some(late.clone()),
            },
        )
        .expect("finish after expiry");
    assert!(
        !f.task_updated,
        "a lapsed lease must not revive an expired task"
    );
    let id = f.lookup_id.expect("stored");
    assert_eq!(h.get(id).expect("get"), Some(stored(id, &late)));
    assert_eq!(h.task("z-2").expect("task"), Some(expired));
    assert!(h.claim("z-2", now(), minute).expect("claim").is_none());
}

/// `resumable` marks the asked kind's open tasks past their 24 hours expired and lists them
/// in `lapsed` (the other kind's are left for a session that can report them), and answers
/// the open, unexpired ones of that kind, oldest first.
pub fn resumable_expires_lapsed_and_filters_sandbox(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    let t0 = now();
    let hours = time::Duration::hours;
    let p1 = task("r-p1", t0 - hours(2), false);
    let p2 = with_state(task("r-p2", t0 - hours(1), false), TaskState::Paused);
    let e1 = task("r-e1", t0 - hours(25), false);
    let d1 = with_state(task("r-d1", t0 - hours(3), false), TaskState::Done);
    let s1 = task("r-s1", t0 - hours(3), true);
    let se1 = with_state(task("r-se1", t0 - hours(26), true), TaskState::Paused);
    for t in [&p1, &p2, &e1, &d1, &s1, &se1] {
        h.add_task(t).expect("add");
    }
    let r = h.resumable(t0, false).expect("resumable");
    assert_eq!(r.tasks, vec![p1.clone(), p2.clone()]);
    assert_eq!(
        r.lapsed
            .iter()
            .map(|t| t.task_id.as_str())
            .collect::<Vec<_>>(),
        vec!["r-e1"],
        "only this kind's lapsed tasks are listed"
    );
    assert_eq!(r.lapsed[0].state, TaskState::Expired);
    assert_eq!(
        h.task("r-e1").expect("task").expect("stored").state,
        TaskState::Expired
    );
    // The other kind's lapsed task is left for a session of that kind, which reports it.
    assert_eq!(h.task("r-se1").expect("task"), Some(se1));
    assert_eq!(h.task("r-d1").expect("task"), Some(d1));

    let r = h.resumable(t0, true).expect("resumable sandbox");
    assert_eq!(r.tasks, vec![s1.clone()]);
    assert_eq!(
        r.lapsed
            .iter()
            .map(|t| (t.task_id.as_str(), t.state))
            .collect::<Vec<_>>(),
        vec![("r-se1", TaskState::Expired)],
        "the sandbox session reports the sandbox task it expired"
    );
    // Asking again lists nothing as lapsed: they were marked already.
    let r = h.resumable(t0, false).expect("again");
    assert_eq!(r.tasks, vec![p1, p2]);
    assert!(r.lapsed.is_empty());
    assert_eq!(h.open_tasks().expect("open").len(), 3);
}

pub fn paused_task_is_resumable_and_claim_resumes_it(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    let t0 = now();
    let mut p = with_state(
        task("pz-1", t0 - time::Duration::hours(1), false),
        TaskState::Paused,
    );
    p.error = Some("credentials refused".into());
    h.add_task(&p).expect("add");
    assert_eq!(h.resumable(now(), false).expect("resumable").tasks, vec![p]);
    let lease = h
        .claim("pz-1", now(), Duration::from_secs(60))
        .expect("claim")
        .expect("a paused task can be claimed");
    assert_eq!(lease.task_id, "pz-1");
    let t = h.task("pz-1").expect("task").expect("stored");
    assert_eq!(t.state, TaskState::Pending, "claiming resumes it");
    assert!(
        h.claim("pz-1", now(), Duration::from_secs(60))
            .expect("claim")
            .is_none()
    );
}

// ---------------------------------------------------------------------------------------
// Export and import through the trait

/// `history::export` from one history and `history::import_jsonl` into a fresh one: every
/// row equal (raw bodies byte for byte), its uuid kept, its id the new store's own; a second
/// import adds nothing.
pub fn export_import_round_trip(open: &dyn Fn() -> SharedHistory) {
    let src = open();
    // The first 1,000 ids used and purged, so the exported rows have ids a fresh store would
    // not give them: an importer that kept ids would be seen.
    let old: Vec<(LookupRecord, String)> = (0..1_000)
        .map(|i| (lookup(-100 - i), format!("00000000-0000-4000-8000-{i:012}")))
        .collect();
    assert_eq!(src.insert_absent(&old).expect("insert").added, 1_000);
    let mut recs = vec![rich_lookup(), bare_lookup(), poll_answer("x-1", "active")];
    for i in 0..20 {
        let mut r = lookup(i);
        if i % 4 == 0 {
            r.raw_response = vec![b'{', 0xff, i as u8, b'}'];
        }
        recs.push(r);
    }
    assert_eq!(src.purge(at(-50)).expect("purge").lookups, 1_000);
    for r in &recs {
        record(&src, r);
    }
    let mut src_rows = BTreeMap::new();
    src.for_each(&SearchQuery::all(), &mut |item| {
        if let ExportItem::Record(rec, uuid) = item {
            src_rows.insert(uuid, *rec);
        }
        Ok(())
    })
    .expect("for_each");
    assert_eq!(src_rows.len(), recs.len());

    let mut file = Vec::new();
    let mut skipped = Vec::new();
    let stats = history::export(
        &*src,
        &SearchQuery::all(),
        ExportFormat::Jsonl,
        &mut file,
        &mut |id, why| skipped.push(format!("{id}: {why}")),
    )
    .expect("export");
    assert!(skipped.is_empty(), "{skipped:?}");
    assert_eq!(stats.written, recs.len());
    assert_eq!(file.iter().filter(|&&b| b == b'\n').count(), recs.len());

    let dst = open();
    let mut progress = Vec::new();
    let stats =
        history::import_jsonl(&*dst, &mut &file[..], &mut |b| progress.push(b)).expect("import");
    assert_eq!(
        (stats.read, stats.added, stats.duplicates, stats.rejected),
        (recs.len(), recs.len(), 0, 0),
        "{:?}",
        stats.errors
    );
    assert_eq!(progress.last().copied(), Some(file.len() as u64));

    let mut dst_rows = BTreeMap::new();
    dst.for_each(&SearchQuery::all(), &mut |item| {
        if let ExportItem::Record(rec, uuid) = item {
            dst_rows.insert(uuid, *rec);
        }
        Ok(())
    })
    .expect("for_each");
    assert_eq!(
        dst_rows.keys().collect::<Vec<_>>(),
        src_rows.keys().collect::<Vec<_>>(),
        "same uuids"
    );
    let mut dst_ids = BTreeSet::new();
    for (uuid, s) in &src_rows {
        let d = &dst_rows[uuid];
        assert_ne!(d.id, s.id, "the importing store gives its own ids");
        let mut want = s.clone();
        want.id = d.id;
        assert_eq!(d, &want, "row {uuid} equal but for its id");
        dst_ids.insert(d.id);
    }
    assert_eq!(dst_ids.len(), recs.len());
    // Same order, the same searches answer.
    assert_eq!(
        search(&dst, &SearchQuery::text("dang")).len(),
        search(&src, &SearchQuery::text("dang")).len()
    );

    // Importing the same file again adds nothing.
    let again = history::import_jsonl(&*dst, &mut &file[..], &mut |_| {}).expect("re-import");
    assert_eq!((again.added, again.duplicates), (0, recs.len()));
}

/// Viewing is recorded: each `log_access` is one row, listed newest first with who, which
/// lookups and why; filtered by lookup, user and day; always bounded.
pub fn access_log_records_and_filters(open: &dyn Fn() -> SharedHistory) {
    let h = open();
    assert!(
        h.access(&AccessQuery::default())
            .expect("access")
            .is_empty()
    );
    let a = record(&h, &lookup(1));
    let b = record(&h, &lookup(2));
    let entries = [
        AccessEntry::now("sari", "show", vec![a], Some("complaint 1234".into())),
        AccessEntry::now("ana", "export", vec![a, b], None),
        AccessEntry::now("sari", "open", vec![b], None),
    ];
    let mut ids = Vec::new();
    for e in &entries {
        ids.push(h.log_access(e).expect("log_access"));
        // Distinct times, whoever's clock stamps them.
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(ids[0] < ids[1] && ids[1] < ids[2], "ids grow: {ids:?}");

    let all = h.access(&AccessQuery::default()).expect("access");
    let got: Vec<i64> = all.iter().map(|e| e.id).collect();
    assert_eq!(got, vec![ids[2], ids[1], ids[0]], "newest first");
    for (row, want) in all.iter().rev().zip(&entries) {
        assert_eq!(row.os_user, want.os_user);
        assert_eq!(row.action, want.action);
        assert_eq!(row.lookup_ids, want.lookup_ids);
        assert_eq!(row.purpose, want.purpose);
        let skew = (row.at - want.at).abs();
        assert!(
            skew < time::Duration::minutes(5),
            "stamped about now: {row:?}"
        );
        assert_eq!(row.at.offset(), time::UtcOffset::UTC);
    }

    let by_lookup = |id: i64| -> Vec<i64> {
        h.access(&AccessQuery {
            lookup: Some(id),
            ..AccessQuery::default()
        })
        .expect("access")
        .iter()
        .map(|e| e.id)
        .collect()
    };
    assert_eq!(by_lookup(a), vec![ids[1], ids[0]]);
    assert_eq!(by_lookup(b), vec![ids[2], ids[1]]);
    assert!(by_lookup(b + 1000).is_empty());

    let sari: Vec<i64> = h
        .access(&AccessQuery {
            operator: Some("sari".into()),
            ..AccessQuery::default()
        })
        .expect("access")
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(sari, vec![ids[2], ids[0]]);

    let today = OffsetDateTime::now_utc().date();
    let since = |d: time::Date| {
        h.access(&AccessQuery {
            since: Some(d),
            ..AccessQuery::default()
        })
        .expect("access")
        .len()
    };
    assert_eq!(since(today - time::Duration::days(1)), 3);
    assert_eq!(since(today + time::Duration::days(2)), 0);

    let one = h
        .access(&AccessQuery {
            limit: 1,
            ..AccessQuery::default()
        })
        .expect("access");
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].id, ids[2]);
}
