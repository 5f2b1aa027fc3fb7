//! The team history over TLS against a real PostgreSQL with `ssl=on` (a throwaway cluster
//! whose certificate, for `localhost`, is signed by a CA made for the test): `require`
//! encrypts, `verify-ca`/`verify-full` check the chain against the given root certificate
//! (in the URL, `PGSSLROOTCERT` or `~/.postgresql/root.crt`), `verify-full` the host name
//! too; a wrong root or host is refused with an error that names the server but never the
//! password. Skips without PostgreSQL, except under `CI=true`.

mod pg_cluster;

use pg_cluster::{Cluster, Options};
use riskdesk::applicant::Identity;
use riskdesk::check::{CheckKind, Outcome};
use riskdesk::history::pg::PgEnv;
use riskdesk::history::{History, LookupRecord, PgHistory};
use std::path::Path;

const OWNER: &str = "desk_owner";
/// In every URL: trust authentication ignores it, and no message may show it.
const PASSWORD: &str = "tls-CANARY-pw";

fn env() -> PgEnv {
    PgEnv {
        os_user: "ana.pc".into(),
        ..PgEnv::default()
    }
}

fn url(c: &Cluster, host: &str, mode: &str, root: Option<&Path>) -> String {
    let root = root
        .map(|r| format!("&sslrootcert={}", r.display()))
        .unwrap_or_default();
    format!(
        "postgres://{OWNER}:{PASSWORD}@{host}:{}/team?sslmode={mode}{root}",
        c.port
    )
}

fn lookup() -> LookupRecord {
    LookupRecord {
        id: 0,
        created_at: time::macros::datetime!(2026-03-03 08:00:00 UTC),
        operator: "ana.pc".into(),
        purpose: Some("application 8841".into()),
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
        vendor_request_id: Some("req-tls".into()),
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

/// Connections of riskdesk to the team database, by whether they are encrypted.
fn riskdesk_connections(c: &Cluster, ssl: bool) -> usize {
    c.sql(
        "postgres",
        &format!(
            "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
             WHERE a.datname = 'team' AND a.application_name = 'riskdesk' AND s.ssl = {ssl}"
        ),
    )
    .parse()
    .expect("a count")
}

fn refused(c: &Cluster, u: &str, e: &PgEnv) -> String {
    let err = PgHistory::open_with(u, e)
        .err()
        .unwrap_or_else(|| panic!("{u}: connected, but should have been refused"))
        .to_string();
    eprintln!("refused as expected: {err}");
    assert!(!err.contains(PASSWORD), "the password in an error: {err}");
    assert!(
        err.contains(&format!("{OWNER}@")) && err.contains(&c.port.to_string()),
        "the error names the server: {err}"
    );
    err
}

#[test]
fn tls_require_and_verify_full_against_a_real_server() {
    let Some(c) = Cluster::start_or_skip_with(
        "tls_require_and_verify_full_against_a_real_server",
        Options {
            tls: true,
            ..Options::default()
        },
    ) else {
        return;
    };
    c.sql("postgres", &format!("CREATE ROLE {OWNER} LOGIN CREATEROLE"));
    c.sql("postgres", &format!("CREATE DATABASE team OWNER {OWNER}"));
    let tls = c.tls().expect("a TLS cluster").clone();

    // require: encrypted (the server says so), the certificate not checked; the history
    // works over it (the owner migrates, records, reads back).
    let h = PgHistory::open_with(&url(&c, "127.0.0.1", "require", None), &env())
        .unwrap_or_else(|e| panic!("require: {e}\n{}", c.log()));
    let id = h.record(&lookup(), None).expect("record over TLS");
    assert_eq!(
        h.get(id).expect("get").map(|r| r.vendor_request_id),
        Some(Some("req-tls".into()))
    );
    assert!(riskdesk_connections(&c, true) >= 1);
    assert_eq!(riskdesk_connections(&c, false), 0);
    assert!(
        !h.describe().contains(PASSWORD),
        "describe shows the password: {}",
        h.describe()
    );
    drop(h);

    // verify-full with the CA that signed the server's certificate, for the name it carries.
    let h = PgHistory::open_with(
        &url(&c, "localhost", "verify-full", Some(&tls.root_cert)),
        &env(),
    )
    .unwrap_or_else(|e| panic!("verify-full: {e}\n{}", c.log()));
    assert_eq!(h.get(id).expect("get").map(|r| r.id), Some(id));
    drop(h);
    // The root certificate from PGSSLROOTCERT, and from ~/.postgresql/root.crt.
    let from_env = PgEnv {
        sslrootcert: Some(tls.root_cert.display().to_string()),
        ..env()
    };
    drop(
        PgHistory::open_with(&url(&c, "localhost", "verify-full", None), &from_env)
            .expect("verify-full with PGSSLROOTCERT"),
    );
    let home = tempfile::tempdir().expect("home");
    std::fs::create_dir_all(home.path().join(".postgresql")).expect("mkdir");
    std::fs::copy(&tls.root_cert, home.path().join(".postgresql/root.crt")).expect("copy");
    let with_home = PgEnv {
        home: Some(home.path().to_path_buf()),
        ..env()
    };
    drop(
        PgHistory::open_with(&url(&c, "localhost", "verify-full", None), &with_home)
            .expect("verify-full with ~/.postgresql/root.crt"),
    );

    // verify-ca checks the chain, not the name: 127.0.0.1 is not in the certificate.
    drop(
        PgHistory::open_with(
            &url(&c, "127.0.0.1", "verify-ca", Some(&tls.root_cert)),
            &env(),
        )
        .expect("verify-ca by address"),
    );

    // Refused: a root that signed nothing of the server's (in the URL or the environment),
    // the system's roots, and a host name the certificate does not carry.
    let wrong_root = refused(
        &c,
        &url(&c, "localhost", "verify-full", Some(&tls.other_root_cert)),
        &env(),
    );
    assert!(
        wrong_root.contains("certificate") && wrong_root.contains("UnknownIssuer"),
        "{wrong_root}"
    );
    let wrong_env_root = refused(
        &c,
        &url(&c, "localhost", "verify-full", None),
        &PgEnv {
            sslrootcert: Some(tls.other_root_cert.display().to_string()),
            ..env()
        },
    );
    assert!(wrong_env_root.contains("UnknownIssuer"), "{wrong_env_root}");
    let system = refused(
        &c,
        &url(&c, "localhost", "verify-full", Some(Path::new("system"))),
        &env(),
    );
    assert!(
        system.contains("UnknownIssuer") || system.contains("no root certificate"),
        "{system}"
    );
    let wrong_host = refused(
        &c,
        &url(&c, "127.0.0.1", "verify-full", Some(&tls.root_cert)),
        &env(),
    );
    assert!(
        wrong_host.contains("not valid for name") && wrong_host.contains("127.0.0.1"),
        "{wrong_host}"
    );
    let missing = refused(
        &c,
        &url(
            &c,
            "localhost",
            "verify-full",
            Some(&home.path().join("no-such.crt")),
        ),
        &env(),
    );
    assert!(
        missing.contains("root certificate") && missing.contains("no-such.crt"),
        "{missing}"
    );

    // The binary says the same on stderr, without the password, and exits non-zero.
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "").expect("config");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_riskdesk"))
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(["history", "search", "Siti"])
        .env(
            "RISKDESK_HISTORY_URL",
            url(&c, "localhost", "verify-full", Some(&tls.other_root_cert)),
        )
        .env_remove("RISKDESK_CONFIG")
        .env_remove("RISKDESK_DATA_DIR")
        .output()
        .expect("run riskdesk");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(!out.status.success(), "{stdout}{stderr}");
    assert!(stderr.contains("UnknownIssuer"), "{stderr}");
    assert!(
        !format!("{stdout}{stderr}").contains(PASSWORD),
        "{stdout}{stderr}"
    );

    // Nothing above went unencrypted; a disable connection is seen as such.
    let plain = PgHistory::open_with(&url(&c, "127.0.0.1", "disable", None), &env())
        .expect("sslmode=disable");
    assert!(riskdesk_connections(&c, false) >= 1);
    drop(plain);
}
