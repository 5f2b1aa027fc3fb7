//! The real binary on the built-in sandbox: `check`, `history`, `tasks`, exit codes, and the
//! secret canary.

mod process_output;

use process_output::{code, explain, json_lines};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Output};

struct Env {
    dir: tempfile::TempDir,
    config: PathBuf,
}

impl Env {
    fn new(config_text: &str) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config.toml");
        std::fs::write(&config, config_text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        Env { dir, config }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_with(args, &[])
    }

    fn run_with(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_riskdesk"));
        cmd.arg("--config")
            .arg(&self.config)
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(args)
            .env_remove("RISKDESK_CONFIG")
            .env_remove("RISKDESK_DATA_DIR")
            .env_remove("RISKDESK_ACCUAUTH_API_ID")
            .env_remove("RISKDESK_ACCUAUTH_API_SECRET")
            .env_remove("RISKDESK_TD_PARTNER_CODE")
            .env_remove("RISKDESK_TD_PARTNER_KEY")
            .env("RISKDESK_LOG", "debug")
            .envs(vars.iter().copied());
        cmd.output().unwrap()
    }
}

#[test]
fn check_all_for_each_country_answers_every_offered_check() {
    let env = Env::new("");
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "ID",
            &[
                "--phone",
                "081234567890",
                "--gaid",
                "38400000-8cf0-11bd-b23e-10b96e40000d",
            ],
            &["debts-report", "credit-willingness"],
        ),
        (
            "IN",
            &[
                "--phone",
                "9876543210",
                "--name",
                "Ravi Kumar",
                "--id-number",
                "ABCDE1234F",
            ],
            &["multiple-order", "multiplatform"],
        ),
        (
            "MX",
            &[
                "--phone",
                "5512345678",
                "--name",
                "Ana Perez",
                "--id-number",
                "PEGA850101MDFRRN09",
                "--wait",
                "120",
            ],
            &["phone-status", "multiplatform"],
        ),
        (
            "TH",
            &[
                "--phone",
                "0812345678",
                "--name",
                "Somchai Dee",
                "--id-number",
                "1103700012345",
            ],
            &["multiplatform"],
        ),
        (
            "PH",
            &[
                "--phone",
                "09171234567",
                "--name",
                "Maria Santos",
                "--id-number",
                "PH12345678",
            ],
            &["multiplatform"],
        ),
        (
            "CO",
            &[
                "--phone",
                "3211234567",
                "--name",
                "Juan Gomez",
                "--id-number",
                "1020304050",
            ],
            &["multiplatform"],
        ),
        (
            "VN",
            &[
                "--phone",
                "0912345678",
                "--name",
                "Nguyen Van An",
                "--id-number",
                "001203004005",
            ],
            &["multiplatform"],
        ),
        (
            "NG",
            &[
                "--phone",
                "08031234567",
                "--name",
                "Chidi Okafor",
                "--id-number",
                "12345678901",
            ],
            &["multiplatform"],
        ),
        (
            "PK",
            &[
                "--phone",
                "03001234567",
                "--name",
                "Ali Khan",
                "--id-number",
                "3520112345671",
            ],
            &["multiplatform"],
        ),
    ];
    for (country, extra, expected) in cases {
        let mut args = vec!["check", "all", "--json", "--country", country];
        args.extend_from_slice(extra);
        let out = env.run(&args);
        assert_eq!(code(&out), 0, "{country}: {}", explain(&out));
        let lines = json_lines(&out);
        let checks: Vec<&str> = lines.iter().map(|l| l["check"].as_str().unwrap()).collect();
        assert_eq!(&checks, expected, "{country}");
        for l in &lines {
            assert!(
                matches!(l["outcome"].as_str(), Some("ok" | "not_hit")),
                "{country}: {l}"
            );
            assert_eq!(l["sandbox"], true);
            assert!(
                l["vendor_request_id"]
                    .as_str()
                    .is_some_and(|s| !s.is_empty()),
                "{l}"
            );
            assert!(l["latency_ms"].is_u64());
            assert!(l["lookup_id"].is_i64());
        }
    }
}

#[test]
fn human_output_is_marked_sandbox() {
    let env = Env::new("");
    let out = env.run(&["check", "all", "--country", "ID", "--phone", "081234567890"]);
    assert_eq!(code(&out), 0, "{}", explain(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let check_lines: Vec<&str> = text.lines().filter(|l| !l.starts_with("    ")).collect();
    assert!(!check_lines.is_empty());
    for l in check_lines {
        assert!(l.starts_with("[SANDBOX]"), "{l}");
    }
    assert!(text.contains("credit-willingness"), "{text}");
}

#[test]
fn invalid_identifiers_send_nothing_and_exit_2() {
    let env = Env::new("");
    let out = env.run(&[
        "check",
        "debts-report",
        "--country",
        "ID",
        "--phone",
        "0812abc",
        "--json",
    ]);
    assert_eq!(code(&out), 2, "{}", explain(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["outcome"], "skipped");
    assert_eq!(lines[0]["errors"][0]["field"], "phone");
    // Nothing was sent, so nothing was stored.
    let hist = env.run(&["history", "search", "", "--json"]);
    assert_eq!(code(&hist), 0, "{}", explain(&hist));
    let page: Value = serde_json::from_slice(&hist.stdout).unwrap();
    assert_eq!(page["rows"].as_array().map(Vec::len), Some(0), "{page}");

    // `all` with one check skipped still runs the others.
    let out = env.run(&[
        "check",
        "all",
        "--country",
        "IN",
        "--phone",
        "9876543210",
        "--json",
    ]);
    assert_eq!(code(&out), 0, "{}", explain(&out));
    let lines = json_lines(&out);
    let by_check = |c: &str| lines.iter().find(|l| l["check"] == c).unwrap().clone();
    assert_eq!(by_check("multiple-order")["outcome"], "ok");
    assert_eq!(by_check("multiplatform")["outcome"], "skipped");
    assert!(
        by_check("multiplatform")["reason"]
            .as_str()
            .unwrap()
            .contains("name")
    );
}

#[test]
fn usage_errors_exit_2() {
    let env = Env::new("");
    assert_eq!(code(&env.run(&["check", "all"])), 2);
    assert_eq!(
        code(&env.run(&["check", "all", "--country", "FR", "--phone", "0612345678"])),
        2
    );
    assert_eq!(code(&env.run(&["check", "nope"])), 2);
    let broken = Env::new("[http]\ntimeout_secs = \"x\"\n");
    let out = broken.run(&["check", "all", "--country", "ID", "--phone", "081234567890"]);
    assert_eq!(code(&out), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("config.toml:2: http.timeout_secs"), "{err}");
}

fn all_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(all_files(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// With the API secret and partner key set to unique strings, every check runs against a
/// sandbox that accepts exactly those (errors included: every error row of the scenario
/// table, wrong credentials, faults); neither string appears in the data dir (database,
/// WAL, logs), in an export, or on stdout/stderr.
#[test]
fn secrets_never_leave_the_wire() {
    // `+`, `/` and `=` travel percent-encoded in a query and escaped in JSON: every one of
    // those spellings is searched for too.
    const SECRET: &str = "CANARY+accuauth/secret=5f0c2e91";
    const KEY: &str = "CANARY+td/partner=key-b7d4a310";
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sandbox = rt
        .block_on(riskdesk::sandbox::Sandbox::start(
            riskdesk::sandbox::SandboxOptions {
                credentials: riskdesk::sandbox::SandboxCredentials {
                    api_secret: SECRET.into(),
                    partner_key: KEY.into(),
                    ..Default::default()
                },
                phone_pending: std::time::Duration::from_millis(500),
                ..Default::default()
            },
        ))
        .unwrap();
    let base = sandbox.base_url();
    let env = Env::new(&format!(
        "[accuauth]\napi_id = \"{id}\"\ndebts_report_url = \"{base}\"\nmultiple_order_url = \"{base}\"\nphone_status_url = \"{base}\"\n\
         [trustdecision]\npartner_code = \"{code}\"\nmultiplatform_url = \"{mp}\"\ncredit_willingness_url = \"{cw}\"\n\
         [http]\ntimeout_secs = 2\nmax_retries = 1\n",
        id = riskdesk::sandbox::SANDBOX_API_ID,
        code = riskdesk::sandbox::SANDBOX_PARTNER_CODE,
        mp = sandbox.multiplatform_url(),
        cw = sandbox.credit_willingness_url(),
    ));
    let secrets = [
        ("RISKDESK_ACCUAUTH_API_SECRET", SECRET),
        ("RISKDESK_TD_PARTNER_KEY", KEY),
    ];
    let mut outputs: Vec<Output> = Vec::new();
    let mut outcomes = std::collections::BTreeSet::new();
    for s in riskdesk::sandbox::scenarios() {
        // Rows keyed on an ID number answer in any multiplatform country.
        let country = if s.country == "any" { "MX" } else { s.country };
        let mut args: Vec<String> = [
            "check",
            s.check.cli_name(),
            "--json",
            "--wait",
            "3",
            "--country",
            country,
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        let filler: &[(&str, &str)] = &[
            ("--name", "Canary Person"),
            ("--id-number", default_id(country)),
            ("--phone", default_phone(country)),
        ];
        let key_flag = format!("--{}", s.identifier.replace('_', "-"));
        args.extend([key_flag.clone(), s.key.clone()]);
        for (flag, value) in filler {
            if *flag != key_flag {
                args.extend([flag.to_string(), value.to_string()]);
            }
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = env.run_with(&refs, &secrets);
        for l in json_lines(&out) {
            assert_ne!(
                l["outcome"], "skipped",
                "every scenario is sent: {args:?}: {l}"
            );
            outcomes.insert(l["outcome"].as_str().unwrap_or("?").to_string());
        }
        outputs.push(out);
    }
    // Wrong credentials too: the vendors' UNAUTHORIZED path.
    outputs.push(env.run_with(
        &[
            "check",
            "all",
            "--country",
            "ID",
            "--phone",
            "081234567890",
            "--json",
        ],
        &[
            ("RISKDESK_ACCUAUTH_API_SECRET", "CANARY-wrong-secret-0000"),
            ("RISKDESK_TD_PARTNER_KEY", KEY),
        ],
    ));
    for o in ["ok", "not_hit", "error"] {
        assert!(
            outcomes.contains(o),
            "the scenarios should produce {o}: {outcomes:?}"
        );
    }
    let export = env.data_dir().join("export.jsonl");
    outputs.push(env.run(&["history", "export", "-o", export.to_str().unwrap()]));
    outputs.push(env.run(&["history", "export", "--format", "csv"]));
    outputs.push(env.run(&["history", "search", "", "--json", "--limit", "500"]));
    outputs.push(env.run(&["history", "show", "1", "--json"]));
    outputs.push(env.run(&["tasks", "--json"]));
    assert!(
        std::fs::metadata(&export).unwrap().len() > 1000,
        "the export has the rows"
    );

    let canaries: Vec<String> = [SECRET, KEY, "CANARY-wrong-secret-0000"]
        .into_iter()
        .flat_map(riskdesk::vendor::result::secret_spellings)
        .collect();
    assert!(canaries.iter().any(|c| c.contains("%2F")), "{canaries:?}");
    for out in &outputs {
        for canary in &canaries {
            assert!(
                !contains(&out.stdout, canary),
                "{canary} on stdout: {}",
                explain(out)
            );
            assert!(
                !contains(&out.stderr, canary),
                "{canary} on stderr: {}",
                explain(out)
            );
        }
    }
    let files = all_files(&env.data_dir());
    assert!(
        files
            .iter()
            .any(|p| p.to_string_lossy().contains("history.db")),
        "{files:?}"
    );
    assert!(
        files
            .iter()
            .any(|p| p.to_string_lossy().contains("riskdesk.log")),
        "{files:?}"
    );
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        for canary in &canaries {
            assert!(
                !contains(&bytes, canary),
                "{canary} found in {}",
                f.display()
            );
        }
    }
    rt.block_on(sandbox.shutdown());
}

fn default_id(country: &str) -> &'static str {
    match country {
        "ID" => "3171012345678901",
        "MX" => "PEGA850101MDFRRN09",
        _ => "ABC1234567",
    }
}

fn default_phone(country: &str) -> &'static str {
    match country {
        "ID" => "081234567890",
        "IN" => "9876543210",
        "MX" => "5512345678",
        "TH" => "0812345678",
        "PH" => "09171234567",
        "VN" => "0912345678",
        "NG" => "08031234567",
        "PK" => "03001234567",
        _ => "3211234567",
    }
}

#[test]
fn a_pending_phone_task_survives_the_process_and_resumes() {
    let env = Env::new("");
    let out = env.run(&[
        "check",
        "phone-status",
        "--country",
        "MX",
        "--phone",
        "55 1234 0001",
        "--wait",
        "0",
        "--json",
    ]);
    assert_eq!(code(&out), 4, "{}", explain(&out));
    let line = &json_lines(&out)[0];
    assert_eq!(line["outcome"], "pending");
    let task_id = line["task_id"].as_str().unwrap().to_string();

    let listed = env.run(&["tasks", "--json"]);
    assert_eq!(code(&listed), 0, "{}", explain(&listed));
    assert!(String::from_utf8_lossy(&listed.stdout).contains(&task_id));

    // A new process (and a new in-process sandbox) picks the task up and resolves it.
    let resumed = env.run(&["tasks", "--resume", "--wait", "40"]);
    assert_eq!(code(&resumed), 0, "{}", explain(&resumed));
    assert!(
        String::from_utf8_lossy(&resumed.stdout).contains(&format!("task {task_id}: ok")),
        "{}",
        explain(&resumed)
    );

    let found = env.run(&["history", "search", &task_id, "--json"]);
    let page: Value = serde_json::from_slice(&found.stdout).unwrap();
    let outcomes: Vec<&str> = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["ok", "pending"],
        "the result row, newest first, then the submission: {page}"
    );
}

#[test]
fn a_failing_vendor_exits_3_with_the_reason() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sandbox = rt
        .block_on(riskdesk::sandbox::Sandbox::start(
            riskdesk::sandbox::SandboxOptions {
                fault: Some(riskdesk::sandbox::Fault::BadGateway),
                ..Default::default()
            },
        ))
        .unwrap();
    let env = Env::new(&format!(
        "[http]\nmax_retries = 0\n{}",
        sandbox.config_snippet()
    ));
    let out = env.run(&[
        "check",
        "debts-report",
        "--country",
        "ID",
        "--phone",
        "081234567890",
        "--json",
    ]);
    assert_eq!(code(&out), 3, "{}", explain(&out));
    let line = &json_lines(&out)[0];
    assert_eq!(line["outcome"], "error");
    assert_eq!(
        line["sandbox"], false,
        "a configured server is not the built-in sandbox"
    );
    assert!(
        line["error"]["kind"]
            .as_str()
            .is_some_and(|k| !k.is_empty()),
        "{line}"
    );
    assert!(
        line["error"]["hint"]
            .as_str()
            .is_some_and(|h| !h.is_empty()),
        "{line}"
    );
    let human = env.run(&[
        "check",
        "debts-report",
        "--country",
        "ID",
        "--phone",
        "081234567890",
    ]);
    assert_eq!(code(&human), 3);
    assert!(
        String::from_utf8_lossy(&human.stdout).contains("what to do:"),
        "{}",
        explain(&human)
    );
    rt.block_on(sandbox.shutdown());
}

#[test]
fn an_unconfigured_vendor_is_skipped_not_sent() {
    // Only AccuAuth is configured (pointing at a sandbox): credit willingness cannot run.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sandbox = rt
        .block_on(riskdesk::sandbox::Sandbox::start(Default::default()))
        .unwrap();
    let base = sandbox.base_url();
    let env = Env::new(&format!(
        "[accuauth]\napi_id = \"{}\"\napi_secret = \"{}\"\ndebts_report_url = \"{base}\"\n",
        riskdesk::sandbox::SANDBOX_API_ID,
        riskdesk::sandbox::SANDBOX_API_SECRET
    ));
    let out = env.run(&[
        "check",
        "all",
        "--country",
        "ID",
        "--phone",
        "081234567890",
        "--json",
    ]);
    assert_eq!(code(&out), 0, "{}", explain(&out));
    let lines = json_lines(&out);
    assert_eq!(lines[0]["outcome"], "ok");
    assert_eq!(lines[1]["check"], "credit-willingness");
    assert_eq!(lines[1]["outcome"], "skipped");
    assert_eq!(lines[1]["errors"][0]["field"], "config");
    let hist = env.run(&["history", "search", "", "--json"]);
    let page: Value = serde_json::from_slice(&hist.stdout).unwrap();
    assert_eq!(
        page["rows"].as_array().map(Vec::len),
        Some(1),
        "only the sent check is stored: {page}"
    );
    rt.block_on(sandbox.shutdown());
}

#[test]
fn absurd_numbers_are_refused_not_panicked_on() {
    let env = Env::new("");
    for args in [
        &["history", "purge", "--older-than", "99999999999d"][..],
        &["history", "purge", "--older-than", "9223372036854775807h"],
        &[
            "check",
            "phone-status",
            "--country",
            "MX",
            "--phone",
            "5512345678",
            "--wait",
            "18446744073709551615",
        ],
        &["tasks", "--resume", "--wait", "99999999999"],
    ] {
        let out = env.run(args);
        assert!(matches!(code(&out), 1 | 2), "{args:?}: {}", explain(&out));
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("panicked"),
            "{args:?}: {}",
            explain(&out)
        );
    }
}

#[test]
fn a_phone_task_whose_polls_keep_failing_is_a_vendor_failure() {
    let env = Env::new("[http]\nmax_retries = 0\n");
    let out = env.run(&[
        "check",
        "phone-status",
        "--country",
        "MX",
        "--phone",
        "5512340011",
        "--wait",
        "4",
        "--json",
    ]);
    assert_eq!(code(&out), 3, "{}", explain(&out));
    let line = &json_lines(&out)[0];
    assert_eq!(line["outcome"], "error", "{line}");
    assert!(line["error"]["kind"].is_string(), "{line}");
}

#[test]
fn a_connection_dropped_after_sending_is_reported_once_not_resent() {
    let env = Env::new("[http]\nmax_retries = 3\n");
    let out = env.run(&[
        "check",
        "debts-report",
        "--country",
        "ID",
        "--phone",
        "081266000003",
        "--json",
    ]);
    assert_eq!(code(&out), 3, "{}", explain(&out));
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "{}", explain(&out));
    let line = &lines[0];
    assert_eq!(line["outcome"], "error");
    assert_eq!(
        line["attempts"], 1,
        "re-sent a request that reached the vendor"
    );
    assert_eq!(line["error"]["kind"], "interrupted");
    let hint = line["error"]["hint"].as_str().unwrap();
    assert!(
        hint.contains("billed") && hint.contains("history"),
        "{hint}"
    );
    let id = line["lookup_id"].as_i64().unwrap().to_string();
    let shown = env.run(&["history", "show", &id, "--json"]);
    assert_eq!(code(&shown), 0, "{}", explain(&shown));
    let rec: Value = serde_json::from_slice(&shown.stdout).unwrap();
    let attempts = rec["attempts"].as_array().expect("attempts stored");
    assert_eq!(attempts.len(), 1, "{rec}");
    assert_eq!(attempts[0]["error_kind"], "interrupted");
    let text = env.run(&["history", "show", &id]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("attempts  1: #1 no answer interrupted"),
        "{text}"
    );
}

#[test]
fn pending_without_a_task_id_is_a_stored_malformed_error() {
    let env = Env::new("");
    for (check, country, phone) in [
        ("phone-status", "MX", "5555000002"),
        ("debts-report", "ID", "081255000002"),
    ] {
        let out = env.run(&[
            "check",
            check,
            "--country",
            country,
            "--phone",
            phone,
            "--json",
        ]);
        assert_eq!(code(&out), 3, "{check}: {}", explain(&out));
        let line = &json_lines(&out)[0];
        assert_eq!(line["outcome"], "error", "{line}");
        assert_eq!(line["error"]["kind"], "malformed", "{line}");
        assert!(line["task_id"].is_null(), "{line}");
        let id = line["lookup_id"].as_i64().expect("stored").to_string();
        let shown = env.run(&["history", "show", &id, "--json"]);
        let rec: Value = serde_json::from_slice(&shown.stdout).unwrap();
        assert_eq!(rec["outcome"], "error", "{rec}");
        assert!(
            rec["raw_response"].as_str().unwrap().contains("PENDING"),
            "{rec}"
        );
    }
    // Nothing was left for `tasks --resume` to chase.
    let tasks = env.run(&["tasks", "--json"]);
    let listed: Value = serde_json::from_slice(&tasks.stdout).unwrap();
    assert_eq!(listed.as_array().map(Vec::len), Some(0), "{listed}");
}

#[test]
fn an_answer_that_cannot_be_stored_is_printed_kept_aside_and_exits_5() {
    let env = Env::new("");
    let first = env.run(&[
        "check",
        "debts-report",
        "--country",
        "ID",
        "--phone",
        "081234567890",
    ]);
    assert_eq!(code(&first), 0, "{}", explain(&first));
    // The store opens, but every new lookup row is refused (as a full disk would).
    let db = env.data_dir().join("history.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER refuse BEFORE INSERT ON lookups BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END;",
    )
    .unwrap();
    drop(conn);
    let out = env.run(&[
        "check",
        "all",
        "--country",
        "ID",
        "--phone",
        "081298765432",
        "--json",
    ]);
    assert_eq!(code(&out), 5, "{}", explain(&out));
    let lines = json_lines(&out);
    assert_eq!(
        lines.len(),
        2,
        "every answered check is printed: {}",
        explain(&out)
    );
    for line in &lines {
        assert_eq!(line["outcome"], "ok", "{line}");
        assert_eq!(line["stored"], false, "{line}");
        assert!(line["lookup_id"].is_null(), "{line}");
        assert!(
            line["report"].is_object(),
            "the paid answer is shown: {line}"
        );
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("disk full (test)"), "{stderr}");
    let kept: Vec<_> = std::fs::read_dir(env.data_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("unsaved-")
        })
        .collect();
    let kept_lines: usize = kept
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap().lines().count())
        .sum();
    assert_eq!(kept_lines, 2, "{kept:?}");
    // Once the store works again, importing the files stores both answers.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("DROP TRIGGER refuse;").unwrap();
    drop(conn);
    for file in &kept {
        let imported = env.run(&["history", "import", file.to_str().unwrap()]);
        assert_eq!(code(&imported), 0, "{}", explain(&imported));
    }
    let found = env.run(&["history", "search", "081298765432", "--json"]);
    let page: Value = serde_json::from_slice(&found.stdout).unwrap();
    assert_eq!(page["rows"].as_array().unwrap().len(), 2, "{page}");
}

#[test]
fn purpose_is_stored_shown_and_required_when_the_team_says_so() {
    let env = Env::new("");
    let out = env.run(&[
        "check",
        "debts-report",
        "--country",
        "ID",
        "--phone",
        "081234567890",
        "--purpose",
        "application 8841",
        "--json",
    ]);
    assert_eq!(code(&out), 0, "{}", explain(&out));
    let id = json_lines(&out)[0]["lookup_id"].as_i64().expect("stored");
    let show = env.run(&["history", "show", &id.to_string(), "--json"]);
    assert_eq!(code(&show), 0, "{}", explain(&show));
    let rec: Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(rec["purpose"], "application 8841", "{rec}");
    assert!(
        rec["operator"].as_str().is_some_and(|o| !o.is_empty()),
        "{rec}"
    );
    let text = env.run(&["history", "show", &id.to_string()]);
    assert!(
        String::from_utf8_lossy(&text.stdout).contains("application 8841"),
        "{}",
        explain(&text)
    );

    // Required: a field error, nothing sent, nothing stored, exit 2.
    let strict = Env::new("[team]\nrequire_purpose = true\n");
    for purpose in [None, Some("  ")] {
        let mut args = vec![
            "check",
            "debts-report",
            "--country",
            "ID",
            "--phone",
            "081234567890",
            "--json",
        ];
        if let Some(p) = purpose {
            args.extend(["--purpose", p]);
        }
        let out = strict.run(&args);
        assert_eq!(code(&out), 2, "{}", explain(&out));
        let lines = json_lines(&out);
        assert_eq!(lines[0]["outcome"], "skipped", "{}", explain(&out));
        assert_eq!(lines[0]["errors"][0]["field"], "purpose");
    }
    let hist = strict.run(&["history", "search", "", "--json"]);
    let page: Value = serde_json::from_slice(&hist.stdout).unwrap();
    assert_eq!(page["rows"].as_array().map(Vec::len), Some(0), "{page}");
    let out = strict.run(&[
        "check",
        "debts-report",
        "--country",
        "ID",
        "--phone",
        "081234567890",
        "--purpose",
        "complaint 1234",
    ]);
    assert_eq!(code(&out), 0, "{}", explain(&out));
}

#[test]
fn show_and_export_are_recorded_in_the_access_log() {
    let env = Env::new("");
    let out = env.run(&[
        "check",
        "debts-report",
        "--country",
        "ID",
        "--phone",
        "081234567890",
        "--json",
    ]);
    assert_eq!(code(&out), 0, "{}", explain(&out));
    let id = json_lines(&out)[0]["lookup_id"].as_i64().expect("stored");
    let show = env.run(&[
        "history",
        "show",
        &id.to_string(),
        "--purpose",
        "complaint 1234",
    ]);
    assert_eq!(code(&show), 0, "{}", explain(&show));
    let export = env.run(&["history", "export"]);
    assert_eq!(code(&export), 0, "{}", explain(&export));

    let access = env.run(&["history", "access", "--lookup", &id.to_string(), "--json"]);
    assert_eq!(code(&access), 0, "{}", explain(&access));
    let rows: Value = serde_json::from_slice(&access.stdout).unwrap();
    let rows = rows.as_array().expect("a list");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0]["action"], "export");
    assert_eq!(rows[1]["action"], "show");
    assert_eq!(rows[1]["purpose"], "complaint 1234");
    assert_eq!(rows[1]["lookup_ids"], serde_json::json!([id]));
    let text = env.run(&["history", "access"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("complaint 1234") && text.contains("export"),
        "{text}"
    );
    let none = env.run(&["history", "access", "--since", "2999-01-01"]);
    assert!(String::from_utf8_lossy(&none.stdout).contains("no access recorded"));
}
