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
