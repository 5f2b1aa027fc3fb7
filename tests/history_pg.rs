//! The team backend against a real PostgreSQL: the conformance suite every backend runs,
//! and what only a server can show — operators set by the database, roles it enforces,
//! desks migrating at once. Each test starts its own throwaway cluster
//! (`tests/pg_cluster`); without PostgreSQL installed they skip, except under `CI=true`.

#[macro_use]
#[allow(unused_macros)]
mod conformance;
mod pg_cluster;

use pg_cluster::Cluster;
use riskdesk::applicant::Identity;
use riskdesk::check::{CheckKind, Outcome};
use riskdesk::history::pg::{PgEnv, SCHEMA_VERSION};
use riskdesk::history::{History, LookupRecord, PgHistory, SearchQuery, SharedHistory};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use time::macros::datetime;

/// The database owner riskdesk migrates as (CREATEROLE: migrations create the roles).
const OWNER: &str = "desk_owner";

fn env(os_user: &str) -> PgEnv {
    // Not the machine's PG* variables: the tests say everything in the URL.
    PgEnv {
        os_user: os_user.into(),
        ..PgEnv::default()
    }
}

fn open(c: &Cluster, user: &str, db: &str, os_user: &str) -> PgHistory {
    PgHistory::open_with(&c.url(user, db), &env(os_user))
        .unwrap_or_else(|e| panic!("open {db} as {user}: {e}"))
}

fn owned_database(c: &Cluster, db: &str) {
    c.sql("postgres", &format!("CREATE DATABASE {db} OWNER {OWNER}"));
}

fn with_owner(c: &Cluster) {
    c.sql("postgres", &format!("CREATE ROLE {OWNER} LOGIN CREATEROLE"));
}

fn lookup(i: i64, os_user: &str) -> LookupRecord {
    LookupRecord {
        id: 0,
        created_at: datetime!(2026-03-03 08:00:00 UTC) + time::Duration::minutes(i),
        operator: os_user.into(),
        purpose: None,
        sandbox: false,
        check: CheckKind::DebtsReport,
        identity: Identity {
            phone_e164: "+6281234567890".into(),
            name: "Siti Rahayu".into(),
            country: "ID".into(),
            ..Identity::default()
        },
        request: serde_json::json!({"mobile": "6281234567890"}),
        http_status: Some(200),
        vendor_status: Some("OK".into()),
        vendor_request_id: Some(format!("req-{i}")),
        outcome: Outcome::Ok,
        error_kind: None,
        error_message: None,
        latency_ms: 12,
        raw_response: b"{\"status\":\"OK\"}".to_vec(),
        report: Some(serde_json::json!({"hits": 1})),
        task_id: None,
        attempts: Vec::new(),
    }
}

#[test]
fn conformance_on_postgres() {
    let Some(c) = Cluster::start_or_skip("conformance_on_postgres") else {
        return;
    };
    with_owner(&c);
    let n = AtomicUsize::new(0);
    let open_fresh = || -> SharedHistory {
        let db = format!("conf{}", n.fetch_add(1, Ordering::SeqCst));
        owned_database(&c, &db);
        Arc::new(open(&c, OWNER, &db, "tester"))
    };
    conformance::run_all(&open_fresh);
}

#[test]
fn operators_are_the_database_roles_and_lookups_are_append_only() {
    let Some(c) = Cluster::start_or_skip("operators_are_the_database_roles") else {
        return;
    };
    with_owner(&c);
    c.sql(
        "postgres",
        "CREATE ROLE ana LOGIN; CREATE ROLE budi LOGIN; CREATE ROLE sari LOGIN;",
    );
    owned_database(&c, "team");

    // Before the owner ran riskdesk, a desk is told who must.
    let err = PgHistory::open_with(&c.url("sari", "team"), &env("sari.pc"))
        .expect_err("an unmigrated database")
        .to_string();
    assert!(
        err.contains(OWNER) && err.contains("must run riskdesk once"),
        "{err}"
    );

    let owner = open(&c, OWNER, "team", "dba.pc");
    drop(owner);
    c.sql(
        "postgres",
        "GRANT riskdesk_operator TO ana, budi; GRANT riskdesk_reader TO sari;",
    );
    let ana = open(&c, "ana", "team", "ana.pc");
    let budi = open(&c, "budi", "team", "budi.pc");
    let ida = ana.record(&lookup(1, "ana.pc"), None).expect("ana records");
    let idb = budi
        .record(&lookup(2, "budi.pc"), None)
        .expect("budi records");

    let sari = open(&c, "sari", "team", "sari.pc");
    let found: Vec<i64> = sari
        .search(&SearchQuery::text("0812 3456 7890"))
        .expect("search")
        .rows
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(found, vec![idb, ida]);
    assert_eq!(
        sari.operators(ida).expect("operators"),
        Some(("ana".into(), "ana.pc".into()))
    );
    assert_eq!(
        sari.operators(idb).expect("operators"),
        Some(("budi".into(), "budi.pc".into()))
    );
    assert_eq!(sari.get(ida).expect("get").expect("row").operator, "ana.pc");
    // A case names who ran each lookup as the database does.
    let case = riskdesk::history::case::gather(
        &sari,
        &riskdesk::history::case::CaseKey::Phone("0812 3456 7890".into()),
        None,
        None,
    )
    .expect("case");
    let who: Vec<(i64, &str)> = case
        .lookups
        .iter()
        .map(|(r, _)| (r.id, r.operator.as_str()))
        .collect();
    assert_eq!(who, vec![(ida, "ana"), (idb, "budi")]);

    // A reader cannot record; an operator cannot delete or rewrite: the database refuses.
    let e = sari
        .record(&lookup(3, "sari.pc"), None)
        .expect_err("reader records");
    assert!(e.to_string().contains("permission denied"), "{e}");
    let e = ana
        .purge(datetime!(2100-01-01 0:00 UTC))
        .expect_err("operator purges");
    assert!(e.to_string().contains("permission denied"), "{e}");
    for sql in [
        "DELETE FROM riskdesk.lookups",
        "UPDATE riskdesk.lookups SET name = 'x'",
    ] {
        let e = c.psql_as("ana", "team", sql).expect_err(sql);
        assert!(e.contains("permission denied"), "{sql}: {e}");
    }
    // The client cannot say who it is: the trigger writes the session's role.
    let who = c
        .psql_as(
            "ana",
            "team",
            "INSERT INTO riskdesk.lookups (uuid, created_at, check_kind, outcome, operator)
             VALUES (gen_random_uuid(), now(), 'debts-report', 'ok', 'budi') RETURNING operator",
        )
        .expect("insert");
    assert_eq!(who.lines().next(), Some("ana"));
    assert_eq!(ana.get(ida).expect("get").map(|r| r.id), Some(ida));
    // An admin may purge.
    c.sql("postgres", "CREATE ROLE boss LOGIN IN ROLE riskdesk_admin");
    let boss = open(&c, "boss", "team", "boss.pc");
    let purged = boss
        .purge(datetime!(2100-01-01 0:00 UTC))
        .expect("admin purges");
    assert_eq!(purged.lookups, 3);
}

#[test]
fn desks_starting_at_once_migrate_once() {
    let Some(c) = Cluster::start_or_skip("desks_starting_at_once_migrate_once") else {
        return;
    };
    with_owner(&c);
    owned_database(&c, "race");
    let url = c.url(OWNER, "race");
    let barrier = Arc::new(std::sync::Barrier::new(4));
    let desks: Vec<_> = (0..4)
        .map(|i| {
            let url = url.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                PgHistory::open_with(&url, &env(&format!("desk{i}")))
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    for d in desks {
        d.join().expect("thread").expect("every desk opens");
    }
    let applied = c.sql(
        "race",
        "SELECT count(*), count(DISTINCT version), max(version) FROM riskdesk.migrations",
    );
    assert_eq!(
        applied,
        format!("{SCHEMA_VERSION}|{SCHEMA_VERSION}|{SCHEMA_VERSION}")
    );
}

/// The real binary as `user` against the team database, vendors pointed at a listener that
/// counts connections.
fn riskdesk_as(
    c: &Cluster,
    user: &str,
    db: &str,
    vendor: &std::net::TcpListener,
    args: &[&str],
) -> std::process::Output {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    let port = vendor.local_addr().expect("addr").port();
    std::fs::write(
        &config,
        format!(
            "[accuauth]\napi_id = \"id\"\napi_secret = \"secret\"\n\
             debts_report_url = \"http://127.0.0.1:{port}\"\n\
             phone_status_url = \"http://127.0.0.1:{port}\"\n"
        ),
    )
    .expect("config");
    std::process::Command::new(env!("CARGO_BIN_EXE_riskdesk"))
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(args)
        .env("RISKDESK_HISTORY_URL", c.url(user, db))
        .env_remove("RISKDESK_CONFIG")
        .env_remove("RISKDESK_DATA_DIR")
        .output()
        .expect("run riskdesk")
}

#[test]
fn a_readers_check_is_refused_before_anything_is_sent() {
    let Some(c) = Cluster::start_or_skip("a_readers_check_is_refused_before_sending") else {
        return;
    };
    with_owner(&c);
    c.sql("postgres", "CREATE ROLE sari LOGIN; CREATE ROLE ana LOGIN;");
    owned_database(&c, "team");
    drop(open(&c, OWNER, "team", "dba.pc"));
    c.sql(
        "postgres",
        "GRANT riskdesk_reader TO sari; GRANT riskdesk_operator TO ana;",
    );
    let vendor = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    vendor.set_nonblocking(true).expect("nonblocking");
    for args in [
        &[
            "check",
            "debts-report",
            "--country",
            "ID",
            "--phone",
            "081234567890",
        ][..],
        &["tasks", "--resume", "--wait", "0"][..],
    ] {
        let out = riskdesk_as(&c, "sari", "team", &vendor, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("GRANT riskdesk_operator TO sari") && err.contains("nothing was sent"),
            "{err}"
        );
    }
    assert!(
        vendor.accept().is_err(),
        "the vendor received a connection from a reader's check"
    );
    let sari = open(&c, "sari", "team", "sari.pc");
    assert!(
        sari.search(&SearchQuery::all())
            .expect("search")
            .rows
            .is_empty()
    );

    // A reader views: its show is logged with the database's word for who; nobody but an
    // admin may rewrite the log.
    let ana = open(&c, "ana", "team", "ana.pc");
    let id = ana.record(&lookup(1, "ana.pc"), None).expect("ana records");
    let out = riskdesk_as(
        &c,
        "sari",
        "team",
        &vendor,
        &[
            "history",
            "show",
            &id.to_string(),
            "--purpose",
            "complaint 1234",
            "--json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(shown["operator"], "ana");
    assert_eq!(shown["os_user"], "ana.pc");
    let log = sari
        .access(&riskdesk::history::AccessQuery::default())
        .expect("access");
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].db_user.as_deref(), Some("sari"));
    assert_eq!(log[0].lookup_ids, vec![id]);
    assert_eq!(log[0].purpose.as_deref(), Some("complaint 1234"));
    for sql in [
        "DELETE FROM riskdesk.access_log",
        "UPDATE riskdesk.access_log SET purpose = 'x'",
    ] {
        let e = c.psql_as("ana", "team", sql).expect_err(sql);
        assert!(e.contains("permission denied"), "{sql}: {e}");
    }
}

/// The real binary with this data dir and an empty config; the team URL only as given.
fn riskdesk_in(
    data: &std::path::Path,
    team_url: Option<&str>,
    args: &[&str],
) -> std::process::Output {
    let config = data.with_file_name("config.toml");
    std::fs::write(&config, "").expect("config");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_riskdesk"));
    cmd.arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("RISKDESK_HISTORY_URL")
        .env_remove("RISKDESK_CONFIG")
        .env_remove("RISKDESK_DATA_DIR");
    if let Some(url) = team_url {
        cmd.env("RISKDESK_HISTORY_URL", url);
    }
    cmd.output().expect("run riskdesk")
}

#[test]
fn pushing_a_desks_history_twice_adds_it_once() {
    let Some(c) = Cluster::start_or_skip("pushing_a_desks_history_twice_adds_it_once") else {
        return;
    };
    with_owner(&c);
    c.sql("postgres", "CREATE ROLE ana LOGIN; CREATE ROLE sari LOGIN;");
    owned_database(&c, "team");
    drop(open(&c, OWNER, "team", "dba.pc"));
    c.sql(
        "postgres",
        "GRANT riskdesk_operator TO ana; GRANT riskdesk_reader TO sari;",
    );

    // A desk's local history: three lookups, one of them a phone check with its open task.
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let local = riskdesk::history::SqliteHistory::open_in_data_dir(&data).expect("sqlite");
    for i in 1..=2 {
        local.record(&lookup(i, "ana.pc"), None).expect("record");
    }
    let mut phone = lookup(3, "ana.pc");
    phone.check = CheckKind::PhoneStatus;
    phone.task_id = Some("task-push-1".into());
    let task = riskdesk::history::PhoneTaskRow {
        task_id: "task-push-1".into(),
        lookup_id: 0,
        phone_e164: "+6281234567890".into(),
        submitted_at: phone.created_at,
        expires_at: time::OffsetDateTime::now_utc() + time::Duration::hours(20),
        state: riskdesk::history::TaskState::Pending,
        last_poll_at: None,
        attempts: 0,
        result: None,
        error: None,
        sandbox: false,
    };
    let phone_id = local.record(&phone, Some(&task)).expect("record phone");
    let phone_uuid = local.uuid_of(phone_id).expect("uuid").expect("uuid");
    drop(local);

    // No team database named: exit 2, nothing pushed.
    let out = riskdesk_in(&data, None, &["history", "push"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("needs a team database") && err.contains("--to"),
        "{err}"
    );

    // A reader may not push: told which grant, exit 2.
    let out = riskdesk_in(&data, Some(&c.url("sari", "team")), &["history", "push"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("GRANT riskdesk_operator TO sari"), "{err}");

    // Pushed once from the configured URL, then again with --to (a password in the URL is
    // never printed): the second adds nothing.
    let with_password = c
        .url("ana", "team")
        .replacen("ana@", "ana:s3cret-canary@", 1);
    for (run, expected) in [
        (
            riskdesk_in(&data, Some(&c.url("ana", "team")), &["history", "push"]),
            "pushed 3 lookups (0 already there)\npushed 1 open phone tasks (0 already there)\n",
        ),
        (
            riskdesk_in(&data, None, &["history", "push", "--to", &with_password]),
            "pushed 0 lookups (3 already there)\npushed 0 open phone tasks (1 already there)\n",
        ),
    ] {
        let (stdout, stderr) = (
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr),
        );
        assert_eq!(run.status.code(), Some(0), "{stderr}");
        assert_eq!(stdout, expected, "{stderr}");
        assert!(!format!("{stdout}{stderr}").contains("s3cret-canary"));
    }

    assert_eq!(
        c.sql(
            "team",
            "SELECT count(*), count(DISTINCT uuid) FROM riskdesk.lookups"
        ),
        "3|3"
    );
    let team = open(&c, "sari", "team", "sari.pc");
    let rows = team.search(&SearchQuery::all()).expect("search").rows;
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.phone_e164 == "+6281234567890"));
    // The pushed task points at the team's copy of its lookup.
    let pushed = team
        .task("task-push-1")
        .expect("task")
        .expect("pushed task");
    assert_eq!(pushed.state, riskdesk::history::TaskState::Pending);
    assert_eq!(
        team.uuid_of(pushed.lookup_id).expect("uuid").as_deref(),
        Some(phone_uuid.as_str())
    );
    assert_eq!(
        team.get(pushed.lookup_id)
            .expect("get")
            .expect("row")
            .operator,
        "ana.pc"
    );
}

/// The leases under `tests/pg_team_tasks.rs` (two real `tasks --resume` processes against
/// a mock vendor): claims racing from two desks get one lease, and a desk whose copy of the
/// task is older than the last poll is refused the next one.
#[test]
fn two_desks_claiming_one_task_get_one_lease_and_a_stale_copy_none() {
    let Some(c) = Cluster::start_or_skip("two_desks_claiming_one_task") else {
        return;
    };
    with_owner(&c);
    owned_database(&c, "team");
    let desks = [
        open(&c, OWNER, "team", "ana.pc"),
        open(&c, OWNER, "team", "budi.pc"),
    ];
    let now = time::OffsetDateTime::now_utc();
    let task = riskdesk::history::PhoneTaskRow {
        task_id: "task-twice".into(),
        lookup_id: 0,
        phone_e164: "+6281234567890".into(),
        submitted_at: now - time::Duration::minutes(5),
        expires_at: now + time::Duration::hours(20),
        state: riskdesk::history::TaskState::Pending,
        last_poll_at: None,
        attempts: 0,
        result: None,
        error: None,
        sandbox: false,
    };
    desks[0].add_task(&task).expect("add task");

    // Both desks resume it and claim the same due time at once: one lease between them.
    let go = std::sync::Barrier::new(2);
    let leases: Vec<_> = std::thread::scope(|s| {
        let claims: Vec<_> = desks
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let go = &go;
                s.spawn(move || {
                    go.wait();
                    d.claim("task-twice", now, std::time::Duration::from_secs(60))
                        .expect("claim")
                        .map(|lease| (i, lease))
                })
            })
            .collect();
        claims
            .into_iter()
            .map(|h| h.join().expect("join"))
            .collect()
    });
    let won: Vec<_> = leases.into_iter().flatten().collect();
    assert_eq!(won.len(), 1, "exactly one desk polls");

    let finish = riskdesk::history::PollFinish {
        at: now,
        state: riskdesk::history::TaskState::Done,
        error: None,
        record: None,
    };
    let (i, lease) = &won[0];
    assert!(
        desks[*i]
            .finish(lease, &finish)
            .expect("finish")
            .task_updated
    );
    for d in &desks {
        let t = d.task("task-twice").expect("task").expect("stored");
        assert_eq!(
            (t.state, t.attempts),
            (riskdesk::history::TaskState::Done, 1)
        );
        assert!(
            d.claim("task-twice", now, std::time::Duration::from_secs(60))
                .expect("claim")
                .is_none()
        );
    }

    // Ana polls a task both desks read with no poll counted; Budi's copy is then stale: no
    // lease for it (that due time was polled), one once he has read the task again.
    let minute = std::time::Duration::from_secs(60);
    desks[0]
        .add_task(&riskdesk::history::PhoneTaskRow {
            task_id: "task-stale".into(),
            ..task.clone()
        })
        .expect("add task");
    let lease = desks[0]
        .claim_unpolled("task-stale", 0, now, minute)
        .expect("claim")
        .expect("nobody polled it yet");
    let pending = riskdesk::history::PollFinish {
        at: now,
        state: riskdesk::history::TaskState::Pending,
        error: None,
        record: None,
    };
    assert!(
        desks[0]
            .finish(&lease, &pending)
            .expect("finish")
            .task_updated
    );
    assert!(
        desks[1]
            .claim_unpolled("task-stale", 0, now, minute)
            .expect("claim")
            .is_none(),
        "a copy read before ana's poll"
    );
    let fresh = desks[1].task("task-stale").expect("task").expect("stored");
    assert_eq!(fresh.attempts, 1);
    assert!(
        desks[1]
            .claim_unpolled("task-stale", fresh.attempts, now, minute)
            .expect("claim")
            .is_some()
    );
}
