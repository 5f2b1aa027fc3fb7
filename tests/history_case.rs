//! `riskdesk history applicant`: one applicant's case gathered from a real SQLite history,
//! with reports stored as the client stores them (parsed from the vendor pages' samples).

#[path = "vendor/samples.rs"]
#[allow(dead_code)]
mod samples;

use riskdesk::applicant::Identity;
use riskdesk::check::{CheckKind, Outcome};
use riskdesk::history::cli::{HistoryCommand, run_history};
use riskdesk::history::{History, LookupRecord, SqliteHistory};
use riskdesk::report::parse_report;
use time::OffsetDateTime;
use time::macros::datetime;

const PHONE: &str = "+6281234567890";
const ID: &str = "3171234567890001";

fn rec(
    day: i64,
    check: CheckKind,
    outcome: Outcome,
    phone: &str,
    id_number: &str,
    body: &str,
) -> LookupRecord {
    let report = (outcome == Outcome::Ok).then(|| {
        serde_json::to_value(parse_report(check, body.as_bytes()).expect("sample parses")).unwrap()
    });
    let at: OffsetDateTime = datetime!(2026-03-01 09:00 UTC) + time::Duration::days(day);
    LookupRecord {
        id: 0,
        created_at: at,
        operator: "ana".into(),
        purpose: Some(format!("application {day}")),
        sandbox: false,
        check,
        identity: Identity {
            phone_e164: phone.into(),
            id_number: id_number.into(),
            name: "Budi Santoso".into(),
            country: "ID".into(),
            ..Identity::default()
        },
        request: serde_json::json!({}),
        http_status: Some(200),
        vendor_status: Some("OK".into()),
        vendor_request_id: Some(format!("req-{day}")),
        outcome,
        error_kind: None,
        error_message: (outcome == Outcome::Error).then(|| "vendor timed out".into()),
        latency_ms: 100,
        raw_response: body.as_bytes().to_vec(),
        report,
        task_id: None,
        attempts: Vec::new(),
    }
}

fn run(h: &SqliteHistory, args: &[&str]) -> (std::process::ExitCode, String) {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: HistoryCommand,
    }
    let cli = Cli::try_parse_from(std::iter::once("history").chain(args.iter().copied())).unwrap();
    let mut out = Vec::new();
    let code = run_history(cli.cmd, h, &mut out).unwrap();
    (code, String::from_utf8(out).unwrap())
}

#[test]
fn applicant_case_joins_by_phone_and_id_and_shows_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let h = SqliteHistory::open(&dir.path().join("history.db")).unwrap();
    let w = CheckKind::CreditWillingness;
    let score = |s: &str| samples::WILLINGNESS_OK.replace("838", s);
    let mut ids = Vec::new();
    // Recorded out of order: the case is ordered by time, not by id.
    for r in [
        rec(9, w, Outcome::Ok, PHONE, ID, &score("540")),
        rec(1, w, Outcome::Ok, PHONE, ID, &score("701")),
        // Phone only (a phone-status lookup has no ID): joined by the phone.
        rec(
            3,
            CheckKind::PhoneStatus,
            Outcome::Ok,
            PHONE,
            "",
            samples::TASK_DONE,
        ),
        // Another phone with the same ID number: joined in the second round.
        rec(
            5,
            CheckKind::DebtsReport,
            Outcome::Ok,
            "+6281111111111",
            ID,
            samples::DEBTS_OK,
        ),
        rec(6, w, Outcome::Error, PHONE, ID, ""),
        // Someone else with the same name: never joined.
        rec(
            4,
            w,
            Outcome::Ok,
            "+6289999999999",
            "9999999999999999",
            &score("800"),
        ),
    ] {
        ids.push(h.record(&r, None).unwrap());
    }
    let (code, text) = run(
        &h,
        &[
            "applicant",
            "--phone",
            "0812 3456 7890",
            "--purpose",
            "complaint 1234",
        ],
    );
    // Viewing the case is in the access log, with every lookup shown and why.
    let logged = riskdesk::history::History::access(&h, &Default::default()).unwrap();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0].action, "case");
    assert_eq!(logged[0].purpose.as_deref(), Some("complaint 1234"));
    assert!(!logged[0].lookup_ids.is_empty());
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    // Timeline oldest → newest: days 1, 3, 5, 6, 9 (ids 2, 3, 4, 5, 1).
    let order: Vec<usize> = [ids[1], ids[2], ids[3], ids[4], ids[0]]
        .iter()
        .map(|id| {
            text.find(&format!("lookup {id}]"))
                .unwrap_or_else(|| panic!("lookup {id} missing:\n{text}"))
        })
        .collect();
    assert!(order.windows(2).all(|p| p[0] < p[1]), "{text}");
    assert!(!text.contains(&format!("lookup {}]", ids[5])), "{text}");
    assert!(
        text.contains("score 701") && text.contains("score 540"),
        "{text}"
    );
    assert!(text.contains("score: 701 → 540"), "{text}");
    assert!(text.contains("error: vendor timed out"), "{text}");
    assert!(text.contains("score fell 161 points"), "{text}");
    // Masked unless revealed.
    assert!(!text.contains(PHONE) && !text.contains(ID), "{text}");
    assert!(text.contains("+62812****7890"), "{text}");

    let (_, json) = run(&h, &["applicant", "--id-number", ID, "--json", "--reveal"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["lookups"].as_array().unwrap().len(), 5, "{json}");
    assert_eq!(v["applicant"]["phones"][0], PHONE);
    let change = &v["changes"][0];
    assert_eq!(change["check"], "credit-willingness");
    assert_eq!(change["field"], "score");
    assert_eq!(
        (change["from"].clone(), change["to"].clone()),
        (701.into(), 540.into())
    );
    assert_eq!(change["from_lookup"], ids[1]);
    assert_eq!(change["to_lookup"], ids[0]);
    assert_eq!(change["flag"], "score fell 161 points");

    // --until leaves the later lookups out; --name lists both people, never joined.
    let (_, early) = run(
        &h,
        &["applicant", "--phone", PHONE, "--until", "2026-03-05"],
    );
    assert!(
        !early.contains("score 540") && early.contains("score 701"),
        "{early}"
    );
    let (_, names) = run(&h, &["applicant", "--name", "budi"]);
    assert!(
        names.contains("+62812****7890") && names.contains("+62899****9999"),
        "{names}"
    );
}

/// A fixed history for the case file: every outcome, a purpose that needs escaping, a
/// lookup with two attempts, fixed uuids (as an import keeps them).
fn fixed_history(dir: &std::path::Path) -> SqliteHistory {
    let h = SqliteHistory::open(&dir.join("history.db")).unwrap();
    let w = CheckKind::CreditWillingness;
    let score = |s: &str| samples::WILLINGNESS_OK.replace("838", s);
    let mut retried = rec(
        2,
        CheckKind::PhoneStatus,
        Outcome::Ok,
        PHONE,
        "",
        samples::TASK_DONE,
    );
    retried.attempts = vec![
        riskdesk::vendor::Attempt {
            http_status: Some(200),
            vendor_status: Some("OK".into()),
            vendor_request_id: Some("TID-submit-2".into()),
            error_kind: None,
            latency_ms: 80,
        },
        riskdesk::vendor::Attempt {
            http_status: Some(200),
            vendor_status: Some("OK".into()),
            vendor_request_id: Some("req-2".into()),
            error_kind: None,
            latency_ms: 90,
        },
    ];
    let mut escaped = rec(8, w, Outcome::Ok, PHONE, ID, &score("540"));
    escaped.purpose = Some("complaint 77 | line one\nline two".into());
    escaped.operator = "budi|ops".into();
    let mut pending = rec(
        6,
        CheckKind::PhoneStatus,
        Outcome::Pending,
        PHONE,
        "",
        samples::TASK_PENDING,
    );
    pending.report = None;
    pending.purpose = None;
    let mut not_hit = rec(0, CheckKind::DebtsReport, Outcome::NotHit, PHONE, ID, "");
    not_hit.vendor_status = Some("NOT_HIT".into());
    let rows = [
        not_hit,
        rec(1, w, Outcome::Ok, PHONE, ID, &score("701")),
        retried,
        rec(
            3,
            CheckKind::DebtsReport,
            Outcome::Ok,
            PHONE,
            ID,
            samples::DEBTS_OK,
        ),
        rec(4, w, Outcome::Error, PHONE, ID, ""),
        rec(5, w, Outcome::Ok, PHONE, ID, &score("640")),
        pending,
        rec(
            7,
            CheckKind::PhoneStatus,
            Outcome::Ok,
            PHONE,
            "",
            &samples::TASK_DONE.replace("\"ring\"", "\"turned_off\""),
        ),
        escaped,
    ];
    let batch: Vec<(LookupRecord, String)> = rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| (r, format!("00000000-0000-4000-8000-{:012}", i + 1)))
        .collect();
    h.insert_absent(&batch).unwrap();
    h
}

fn fixed_header() -> riskdesk::history::case::CaseFileHeader {
    riskdesk::history::case::CaseFileHeader {
        generated_at: datetime!(2026-03-20 10:15:30 UTC),
        generated_by: "carla".into(),
        purpose: Some("complaint 1234".into()),
    }
}

fn markdown(h: &SqliteHistory, reveal: bool) -> String {
    use riskdesk::history::case;
    let found = case::gather(h, &case::CaseKey::Phone(PHONE.into()), None, None).unwrap();
    let changes = case::changes_of(&found);
    let mut out = Vec::new();
    case::write_markdown(&mut out, &found, &changes, &fixed_header(), reveal).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn markdown_case_file_for_a_fixed_history() {
    assert!(
        samples::TASK_DONE.contains("\"ring\""),
        "the sample this test edits"
    );
    let dir = tempfile::tempdir().unwrap();
    let h = fixed_history(dir.path());
    let md = markdown(&h, false);
    insta::assert_snapshot!("case_file_masked", md);
    // Masked: neither identifier in full, anywhere in the file.
    assert!(!md.contains(PHONE) && !md.contains(ID), "{md}");
    // Table cells stay cells: the pipe is escaped, the line break is a <br>.
    assert!(md.contains("complaint 77 \\| line one<br>line two"), "{md}");
    assert!(md.contains("budi\\|ops"), "{md}");
    for line in md.lines().filter(|l| l.starts_with('|')) {
        let unescaped = line.replace("\\|", "");
        let cells = unescaped.matches('|').count();
        assert!([3, 5, 7, 8].contains(&cells), "a broken row: {line}");
    }
    // Errors, not-hits and pending lookups are in the timeline; the diff compares only
    // answers: the willingness score 701 → 640 → 540 across the error.
    assert!(md.contains("| error: vendor timed out |"), "{md}");
    assert!(md.contains("| pending |"), "{md}");
    assert!(md.contains("no record (not hit)"), "{md}");
    assert!(md.contains("**score fell 61 points**"), "{md}");
    assert!(md.contains("**score fell 100 points**"), "{md}");
    assert!(md.contains("**first record after not-hit**"), "{md}");
    assert!(md.contains("**phone now turned off**"), "{md}");
    // Both attempts' request ids, and every uuid.
    assert!(md.contains("`TID-submit-2`, `req-2`"), "{md}");
    for i in 1..=9 {
        assert!(md.contains(&format!("00000000-0000-4000-8000-{i:012}")));
    }

    let revealed = markdown(&h, true);
    assert!(
        revealed.contains(PHONE) && revealed.contains(ID),
        "{revealed}"
    );
    assert!(!revealed.contains("masked"), "{revealed}");
}

#[cfg(unix)]
#[test]
fn output_files_are_owner_only_and_replaced_whole() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let h = fixed_history(dir.path());
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let file = out_dir.join("case.md");
    // An older file others could read is replaced, not rewritten in place.
    std::fs::write(&file, "old contents, much longer than nothing at all").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    for (format, starts) in [
        ("md", "# Applicant case file"),
        ("json", "{"),
        ("text", "Applicant"),
    ] {
        let path = file.to_str().unwrap();
        let (code, stdout) = run(
            &h,
            &[
                "applicant",
                "--phone",
                PHONE,
                "--format",
                format,
                "-o",
                path,
            ],
        );
        assert_eq!(code, std::process::ExitCode::SUCCESS);
        assert_eq!(stdout, "", "nothing on stdout with -o");
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{format}");
        let written = std::fs::read_to_string(&file).unwrap();
        assert!(written.starts_with(starts), "{format}: {written}");
        assert!(!written.contains(PHONE), "{format}: masked by default");
    }
    let left: Vec<_> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["case.md"], "no temporary file left behind");
    // A directory that cannot be written: an error, and nothing half-written.
    let missing = dir.path().join("no-such-dir").join("case.md");
    let err = {
        use clap::Parser;
        #[derive(clap::Parser)]
        struct Cli {
            #[command(subcommand)]
            cmd: HistoryCommand,
        }
        let cli = Cli::try_parse_from([
            "history",
            "applicant",
            "--phone",
            PHONE,
            "-o",
            missing.to_str().unwrap(),
        ])
        .unwrap();
        run_history(cli.cmd, &h, &mut Vec::new()).unwrap_err()
    };
    assert!(format!("{err:#}").contains("cannot write"), "{err:#}");
}

#[test]
fn json_is_format_json_and_viewing_is_logged_for_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let h = fixed_history(dir.path());
    let (_, alias) = run(&h, &["applicant", "--phone", PHONE, "--json"]);
    let (_, format) = run(&h, &["applicant", "--phone", PHONE, "--format", "json"]);
    assert_eq!(alias, format);
    let v: serde_json::Value = serde_json::from_str(&alias).unwrap();
    assert_eq!(v["lookups"].as_array().unwrap().len(), 9);
    let (_, md) = run(
        &h,
        &[
            "applicant",
            "--phone",
            PHONE,
            "--format",
            "md",
            "--purpose",
            "t-9",
        ],
    );
    assert!(md.starts_with("# Applicant case file\n"), "{md}");
    assert!(md.contains("| Purpose | t-9 |"), "{md}");
    assert!(md.contains(&format!("| Generated by | {} |", riskdesk::cli::operator())));
    let logged = History::access(&h, &Default::default()).unwrap();
    assert_eq!(logged.len(), 3, "every view is logged: {logged:?}");
    assert!(
        logged
            .iter()
            .all(|e| e.action == "case" && e.lookup_ids.len() == 9)
    );
    // --json with another format is a usage error, not a guess.
    use clap::Parser;
    #[derive(clap::Parser, Debug)]
    struct Cli {
        #[command(subcommand)]
        cmd: HistoryCommand,
    }
    let err = Cli::try_parse_from([
        "history",
        "applicant",
        "--phone",
        PHONE,
        "--json",
        "--format",
        "md",
    ])
    .unwrap_err();
    assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
}

/// The console gathers from the form's phone and ID number at once: the case holds what
/// `history applicant` finds by either, including a lookup of another phone seen with the
/// same ID number that carries no ID itself.
#[test]
fn a_case_from_phone_and_id_together_equals_the_case_by_either() {
    use riskdesk::history::case::{CaseKey, gather, gather_all};
    let dir = tempfile::tempdir().unwrap();
    let h = SqliteHistory::open(&dir.path().join("history.db")).unwrap();
    let w = CheckKind::CreditWillingness;
    let body = samples::WILLINGNESS_OK;
    let other_phone = "+6281299990000";
    let a = h
        .record(&rec(0, w, Outcome::Ok, PHONE, ID, body), None)
        .unwrap();
    let b = h
        .record(&rec(1, w, Outcome::Ok, other_phone, ID, body), None)
        .unwrap();
    // Phone status of the other phone alone: no ID number on it.
    let c = h
        .record(&rec(2, w, Outcome::Ok, other_phone, "", body), None)
        .unwrap();
    h.record(
        &rec(
            3,
            w,
            Outcome::Ok,
            "+6281277770000",
            "3171999999999999",
            body,
        ),
        None,
    )
    .unwrap();
    let ids = |case: &riskdesk::history::case::Case| {
        case.lookups.iter().map(|(r, _)| r.id).collect::<Vec<_>>()
    };
    let by_id = gather(&h, &CaseKey::IdNumber(ID.into()), None, None).unwrap();
    assert_eq!(ids(&by_id), vec![a, b, c]);
    let both = gather_all(
        &h,
        &[
            CaseKey::Phone("0812-3456-7890".into()),
            CaseKey::IdNumber(ID.into()),
        ],
        None,
        None,
    )
    .unwrap();
    assert_eq!(
        ids(&both),
        vec![a, b, c],
        "the other phone's own lookup too"
    );
    assert!(!both.truncated);
}

/// When an applicant's lookups carry more phones and ID numbers than the second round
/// joins, the case says it may be incomplete.
#[test]
fn a_case_past_the_key_cap_says_it_is_truncated() {
    use riskdesk::history::case::{CaseKey, KEY_CAP, gather};
    let dir = tempfile::tempdir().unwrap();
    let h = SqliteHistory::open(&dir.path().join("history.db")).unwrap();
    let w = CheckKind::CreditWillingness;
    for i in 0..=KEY_CAP as i64 {
        let id = format!("3171{:012}", 100_000 + i);
        h.record(
            &rec(i % 20, w, Outcome::Ok, PHONE, &id, samples::WILLINGNESS_OK),
            None,
        )
        .unwrap();
    }
    let case = gather(&h, &CaseKey::Phone(PHONE.into()), None, None).unwrap();
    assert_eq!(case.lookups.len(), KEY_CAP + 1, "every lookup of the phone");
    assert!(case.truncated, "some ID numbers were not joined");
}

/// `--name` lists candidates; a case file is one applicant's, so `--name --format md` is
/// refused with a pointer to `--phone` / `--id-number`, and nothing is written.
#[test]
fn a_name_gives_candidates_not_a_case_file() {
    let dir = tempfile::tempdir().unwrap();
    let h = SqliteHistory::open(&dir.path().join("history.db")).unwrap();
    let w = CheckKind::CreditWillingness;
    h.record(
        &rec(0, w, Outcome::Ok, PHONE, ID, samples::WILLINGNESS_OK),
        None,
    )
    .unwrap();
    let file = dir.path().join("case.md");
    let (code, out) = run(
        &h,
        &[
            "applicant",
            "--name",
            "budi",
            "--format",
            "md",
            "-o",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, std::process::ExitCode::from(2));
    assert!(out.is_empty() && !file.exists());
    let (code, out) = run(&h, &["applicant", "--name", "budi"]);
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    assert!(out.contains("****7890"), "{out}");
}
