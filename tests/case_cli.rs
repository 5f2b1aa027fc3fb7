//! The real binary, an applicant checked several times on the built-in sandbox (whose
//! changing rows advance from one run to the next), then `history applicant` as text, JSON
//! and a Markdown case file.

mod process_output;

use process_output::{code, explain, json_lines, stdout};
use riskdesk::sandbox::{
    self, SEQUENCE_ID_NUMBER, SEQUENCE_PHONE_ID, SEQUENCE_PHONE_IN, SEQUENCE_PHONE_MX,
};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.toml"), "").unwrap();
        Env { dir }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_config(&self.dir.path().join("config.toml"), args)
    }

    fn command(&self, config: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_riskdesk"));
        cmd.arg("--config")
            .arg(config)
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(args)
            .env_remove("RISKDESK_CONFIG")
            .env_remove("RISKDESK_DATA_DIR")
            .env_remove("RISKDESK_HISTORY_URL")
            .env_remove("RISKDESK_ACCUAUTH_API_ID")
            .env_remove("RISKDESK_ACCUAUTH_API_SECRET")
            .env_remove("RISKDESK_TD_PARTNER_CODE")
            .env_remove("RISKDESK_TD_PARTNER_KEY");
        cmd
    }

    fn run_config(&self, config: &Path, args: &[&str]) -> Output {
        self.command(config, args).output().unwrap()
    }
}

/// `check all` for the Indonesian sequence applicant: debts-report and credit-willingness.
fn check_id_applicant(env: &Env, purpose: &str) -> Vec<Value> {
    let out = env.run(&[
        "check",
        "all",
        "--country",
        "ID",
        "--phone",
        "0812-4012-0001",
        "--purpose",
        purpose,
        "--json",
    ]);
    assert!(matches!(code(&out), 0 | 3), "{}", explain(&out));
    json_lines(&out)
}

fn by_check<'a>(lines: &'a [Value], check: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["check"] == check)
        .unwrap_or_else(|| panic!("no {check} in {lines:?}"))
}

fn score(line: &Value) -> i64 {
    line["report"]["score"].as_i64().expect("a score")
}

/// The Indonesian applicant, four runs of `check all` and one failed run in between: the
/// case shows every lookup, and the changes only between answers.
#[test]
fn an_applicant_checked_four_times_then_the_case_in_three_formats() {
    let env = Env::new();
    let first = check_id_applicant(&env, "application 8841");
    assert_eq!(by_check(&first, "debts-report")["outcome"], "not_hit");
    assert_eq!(score(by_check(&first, "credit-willingness")), 701);

    // A run against a vendor that answers 502: an error lookup of the same applicant (its
    // own sandbox; the built-in one's rows do not move for it).
    let rt = tokio::runtime::Runtime::new().unwrap();
    let down = rt
        .block_on(sandbox::Sandbox::start(sandbox::SandboxOptions {
            fault: Some(sandbox::Fault::BadGateway),
            ..Default::default()
        }))
        .unwrap();
    let bad = env.dir.path().join("down.toml");
    std::fs::write(
        &bad,
        format!("{}\n[http]\nmax_retries = 0\n", down.config_snippet()),
    )
    .unwrap();
    let failed = env.run_config(
        &bad,
        &[
            "check",
            "credit-willingness",
            "--country",
            "ID",
            "--phone",
            SEQUENCE_PHONE_ID,
            "--json",
        ],
    );
    assert_eq!(code(&failed), 3, "{}", explain(&failed));
    assert_eq!(json_lines(&failed)[0]["outcome"], "error");
    rt.block_on(down.shutdown());

    let second = check_id_applicant(&env, "application 8841");
    assert_eq!(by_check(&second, "debts-report")["outcome"], "ok");
    assert_eq!(score(by_check(&second, "credit-willingness")), 640);
    let third = check_id_applicant(&env, "complaint 1234");
    assert_eq!(score(by_check(&third, "credit-willingness")), 540);
    let fourth = check_id_applicant(&env, "complaint 1234");
    assert_eq!(
        score(by_check(&fourth, "credit-willingness")),
        540,
        "then stays"
    );
    assert_eq!(
        by_check(&fourth, "debts-report")["report"]["apply_total_num"],
        57
    );

    // Text: masked, every lookup in the timeline, the changes in words.
    let text = env.run(&["history", "applicant", "--phone", "+62 812 4012 0001"]);
    assert_eq!(code(&text), 0, "{}", explain(&text));
    let text = stdout(&text);
    assert!(text.contains("Timeline (9 lookups"), "{text}");
    assert!(!text.contains("81240120001"), "masked: {text}");
    assert!(
        text.contains("error: "),
        "the failed run is in the timeline: {text}"
    );
    assert!(text.contains("no record (not hit)"), "{text}");
    for words in [
        "score: 701 → 640",
        "score fell 61 points",
        "score: 640 → 540",
        "score fell 100 points",
        "first record after not-hit",
        "apply_total_num: 6 → 19",
        "apply_total_num rose by 13",
        "apply_total_num: 19 → 57",
        "apply_total_num rose by 38",
    ] {
        assert!(text.contains(words), "{words}: {text}");
    }
    assert!(text.contains("complaint 1234") && text.contains("application 8841"));

    // JSON: the same, in stable names; the error is a lookup but in no change.
    let json = env.run(&[
        "history",
        "applicant",
        "--phone",
        SEQUENCE_PHONE_ID,
        "--format",
        "json",
        "--reveal",
    ]);
    assert_eq!(code(&json), 0, "{}", explain(&json));
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        v["applicant"]["phones"],
        serde_json::json!(["+6281240120001"])
    );
    let lookups = v["lookups"].as_array().unwrap();
    assert_eq!(lookups.len(), 9);
    let error = lookups
        .iter()
        .find(|l| l["outcome"] == "error")
        .expect("the error lookup");
    let changes = v["changes"].as_array().unwrap();
    let scores: Vec<(i64, i64)> = changes
        .iter()
        .filter(|c| c["check"] == "credit-willingness")
        .map(|c| (c["from"].as_i64().unwrap(), c["to"].as_i64().unwrap()))
        .collect();
    assert_eq!(scores, [(701, 640), (640, 540)], "540 → 540 is no change");
    for c in changes {
        for end in ["from_lookup", "to_lookup"] {
            assert_ne!(c[end], error["id"], "an error is never compared: {c}");
        }
        for key in ["check", "field", "from", "to", "at", "flag"] {
            assert!(c.get(key).is_some(), "{key} in {c}");
        }
    }
    let flags: Vec<&str> = changes.iter().filter_map(|c| c["flag"].as_str()).collect();
    assert!(flags.contains(&"first record after not-hit"), "{flags:?}");

    // Markdown to a file: private, whole, masked.
    let file = env.dir.path().join("case.md");
    let md = env.run(&[
        "history",
        "applicant",
        "--phone",
        SEQUENCE_PHONE_ID,
        "--format",
        "md",
        "-o",
        file.to_str().unwrap(),
        "--purpose",
        "ticket 77",
    ]);
    assert_eq!(code(&md), 0, "{}", explain(&md));
    assert!(md.stdout.is_empty(), "{}", explain(&md));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let md = std::fs::read_to_string(&file).unwrap();
    assert!(md.starts_with("# Applicant case file\n"), "{md}");
    assert!(md.contains("| Purpose | ticket 77 |"), "{md}");
    assert!(md.contains("**score fell 61 points**"), "{md}");
    assert!(md.contains("| score | 640 | 540 |"), "{md}");
    assert!(md.contains("Lookups marked *sandbox*"), "{md}");
    assert!(!md.contains("81240120001"), "masked: {md}");
    assert_eq!(
        md.matches("| credit-willingness | error |").count(),
        1,
        "{md}"
    );
    // Each lookup's uuid, with `history show --raw` for its body.
    for l in lookups {
        assert!(md.contains(l["uuid"].as_str().unwrap()), "{l}");
    }
    assert!(md.contains("riskdesk history show --raw ID"));

    // Every view is in the access log.
    let access = env.run(&["history", "access", "--json"]);
    let rows: Value = serde_json::from_slice(&access.stdout).unwrap();
    let cases: Vec<&Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "case")
        .collect();
    assert_eq!(cases.len(), 3, "{rows}");
    assert!(cases.iter().any(|r| r["purpose"] == "ticket 77"));
}

/// The Mexican applicant: phone-status connected, then a task left pending and resumed
/// (turned off); multiplatform indicators from -999 to numbers; joined by the phone.
#[test]
fn a_pending_task_is_in_the_timeline_and_its_answer_in_the_changes() {
    let env = Env::new();
    let phone = |wait: &str| {
        env.run(&[
            "check",
            "phone-status",
            "--country",
            "MX",
            "--phone",
            SEQUENCE_PHONE_MX,
            "--wait",
            wait,
            "--json",
        ])
    };
    let first = phone("0");
    assert_eq!(code(&first), 0, "{}", explain(&first));
    assert_eq!(json_lines(&first)[0]["report"]["phone_status"], "connected");
    let second = phone("0");
    assert_eq!(
        code(&second),
        4,
        "a task left pending: {}",
        explain(&second)
    );
    for _ in 0..3 {
        let mp = env.run(&[
            "check",
            "multiplatform",
            "--country",
            "MX",
            "--phone",
            SEQUENCE_PHONE_MX,
            "--id-number",
            SEQUENCE_ID_NUMBER,
            "--name",
            "Ana Lopez",
            "--json",
        ]);
        assert_eq!(code(&mp), 0, "{}", explain(&mp));
    }
    let resumed = env.run(&["tasks", "--resume", "--wait", "40"]);
    assert_eq!(code(&resumed), 0, "{}", explain(&resumed));

    let out = env.run(&[
        "history",
        "applicant",
        "--id-number",
        SEQUENCE_ID_NUMBER,
        "--json",
    ]);
    assert_eq!(code(&out), 0, "{}", explain(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let outcomes: Vec<(&str, &str)> = v["lookups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["check"].as_str().unwrap(), l["outcome"].as_str().unwrap()))
        .collect();
    let phone_outcomes: Vec<&str> = outcomes
        .iter()
        .filter(|(c, _)| *c == "phone-status")
        .map(|(_, o)| *o)
        .collect();
    assert_eq!(
        phone_outcomes,
        ["ok", "pending", "ok"],
        "joined by the phone, though phone-status has no ID: {outcomes:?}"
    );
    let changes = v["changes"].as_array().unwrap();
    let phone_changes: Vec<&Value> = changes
        .iter()
        .filter(|c| c["check"] == "phone-status")
        .collect();
    assert_eq!(phone_changes.len(), 1, "{changes:?}");
    assert_eq!(phone_changes[0]["from"], "connected");
    assert_eq!(phone_changes[0]["to"], "turned_off");
    assert_eq!(phone_changes[0]["flag"], "phone now turned off");
    let mp: Vec<&Value> = changes
        .iter()
        .filter(|c| c["check"] == "multiplatform")
        .collect();
    assert!(
        mp.iter().any(|c| c["from"] == "no record"
            && c["flag"] == "first record"
            && c["to"].is_number()),
        "{mp:?}"
    );
    assert!(
        mp.iter()
            .any(|c| c["from"] == "unable to calculate" && c["to"].is_number()),
        "{mp:?}"
    );
    // Clean → heavy: values rise, numbers on both sides.
    assert!(
        mp.iter()
            .any(|c| c["from"].is_number() && c["to"].as_f64() > c["from"].as_f64()),
        "{mp:?}"
    );

    let text = env.run(&["history", "applicant", "--phone", SEQUENCE_PHONE_MX]);
    let text = stdout(&text);
    assert!(text.contains("pending"), "{text}");
    assert!(text.contains("phone now turned off"), "{text}");
}

#[test]
fn multiple_order_level_three_then_blacklisted() {
    let env = Env::new();
    for _ in 0..3 {
        let out = env.run(&[
            "check",
            "multiple-order",
            "--country",
            "IN",
            "--phone",
            SEQUENCE_PHONE_IN,
            "--json",
        ]);
        assert_eq!(code(&out), 0, "{}", explain(&out));
    }
    let out = env.run(&["history", "applicant", "--phone", SEQUENCE_PHONE_IN]);
    assert_eq!(code(&out), 0, "{}", explain(&out));
    let text = stdout(&out);
    assert!(text.contains("level: 3 → 5"), "{text}");
    assert!(text.contains("newly blacklisted"), "{text}");
    assert_eq!(
        text.matches("newly blacklisted").count(),
        1,
        "then stays: {text}"
    );
}

/// Two riskdesk runs at once on one data directory: each gets its own answer.
#[test]
fn two_runs_at_once_never_get_the_same_answer() {
    let env = Env::new();
    let config = env.dir.path().join("config.toml");
    // The data directory exists before both start (each creates it otherwise).
    let warm = env.run(&["history", "search"]);
    assert_eq!(code(&warm), 0, "{}", explain(&warm));
    let runs: Vec<_> = (0..2)
        .map(|_| {
            env.command(
                &config,
                &[
                    "check",
                    "credit-willingness",
                    "--country",
                    "ID",
                    "--phone",
                    SEQUENCE_PHONE_ID,
                    "--json",
                ],
            )
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    let mut scores: Vec<i64> = runs
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert_eq!(code(&out), 0, "{}", explain(&out));
            score(&json_lines(&out)[0])
        })
        .collect();
    scores.sort_unstable();
    assert_eq!(scores, [640, 701]);
    // Deleting the counters starts the rows again.
    std::fs::remove_dir_all(env.data_dir().join(sandbox::SEQUENCE_DIR)).unwrap();
    let again = env.run(&[
        "check",
        "credit-willingness",
        "--country",
        "ID",
        "--phone",
        SEQUENCE_PHONE_ID,
        "--json",
    ]);
    assert_eq!(score(&json_lines(&again)[0]), 701);
}
