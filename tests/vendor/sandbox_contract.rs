//! The client against the sandbox, which was written from the vendor pages independently:
//! every scenario row (except injected faults, which `policy` covers) must come back as
//! the row says, so the two catch each other's mistakes.

use riskdesk::applicant::{Applicant, CheckOptions, prepare};
use riskdesk::check::{CheckKind, Outcome};
use riskdesk::config::{Config, Secret};
use riskdesk::report::Report;
use riskdesk::sandbox::{
    self, Behaviour, Debts, ManualClock, PhoneFlow, Sandbox, SandboxOptions, Willingness,
};
use riskdesk::vendor::{ErrorKind, VendorClient};
use std::sync::Arc;
use std::time::Duration;

fn config_for(sb: &Sandbox) -> Config {
    let mut c = Config::default();
    c.accuauth.api_id = Some(Secret::new(sandbox::SANDBOX_API_ID));
    c.accuauth.api_secret = Some(Secret::new(sandbox::SANDBOX_API_SECRET));
    c.accuauth.debts_report_url = sb.base_url();
    c.accuauth.multiple_order_url = sb.base_url();
    c.accuauth.phone_status_url = sb.base_url();
    c.trustdecision.partner_code = Some(Secret::new(sandbox::SANDBOX_PARTNER_CODE));
    c.trustdecision.partner_key = Some(Secret::new(sandbox::SANDBOX_PARTNER_KEY));
    c.trustdecision.multiplatform_url = Some(sb.multiplatform_url());
    c.trustdecision.credit_willingness_url = Some(sb.credit_willingness_url());
    c.http.timeout_secs = 5;
    // Retries are covered elsewhere; here they would only slow the table down.
    c.http.max_retries = 0;
    c
}

fn applicant(row: &sandbox::Scenario) -> Applicant {
    let country = if row.country == "any" {
        "MX"
    } else {
        row.country
    };
    let multiplatform = row.check == CheckKind::Multiplatform;
    let mut a = Applicant {
        name: "Ana Prueba".into(),
        country: country.into(),
        ..Applicant::default()
    };
    if multiplatform {
        // The row keys on the id number; the page also requires a phone.
        a.phone = "5512345678".into();
    }
    match row.identifier {
        "id_number" => a.id_number = row.key.clone(),
        _ => a.phone = row.key.clone(),
    }
    a
}

#[tokio::test]
async fn every_sandbox_scenario_reads_as_the_row_says() {
    let clock = Arc::new(ManualClock::starting_now());
    let opts = SandboxOptions {
        clock: clock.clone(),
        ..SandboxOptions::default()
    };
    let sb = Sandbox::start(opts).await.expect("sandbox");
    let client = VendorClient::new(&config_for(&sb)).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let mut pending_tasks = Vec::new();
    for row in sandbox::scenarios() {
        if matches!(row.behaviour, Behaviour::Fault(_)) {
            continue;
        }
        let what = format!("{} {} {:?}", row.check, row.key, row.behaviour);
        let req = prepare(row.check, &applicant(row), &CheckOptions::default(), now)
            .unwrap_or_else(|e| panic!("{what}: {e:?}"));
        let r = client.run(&req).await;
        match &row.behaviour {
            Behaviour::Debts(Debts::NotHit) => assert_eq!(r.outcome, Outcome::NotHit, "{what}"),
            Behaviour::Debts(_)
            | Behaviour::Orders(_)
            | Behaviour::Indicators(_)
            | Behaviour::Willingness(_) => {
                assert_eq!(r.outcome, Outcome::Ok, "{what}: {:?}", r.error);
                assert_eq!(
                    r.report.as_ref().map(|x| x.check()),
                    Some(row.check),
                    "{what}"
                );
                if let (
                    Behaviour::Willingness(Willingness::Score(s) | Willingness::ScoreAsString(s)),
                    Some(Report::CreditWillingness(w)),
                ) = (&row.behaviour, &r.report)
                {
                    assert_eq!(w.score, i64::from(*s), "{what}");
                }
            }
            Behaviour::Phone(PhoneFlow::Immediate(status)) => {
                let Some(Report::PhoneStatus(p)) = &r.report else {
                    panic!("{what}: {:?}", r.error)
                };
                assert_eq!(p.phone_status.as_str(), *status, "{what}");
            }
            Behaviour::Phone(flow) => {
                assert_eq!(r.outcome, Outcome::Pending, "{what}: {:?}", r.error);
                pending_tasks.push((r.task_id.clone().expect("task id"), *flow, what));
            }
            Behaviour::AccuAuthError(e) => {
                assert_eq!(r.outcome, Outcome::Error, "{what}");
                assert_eq!(r.vendor_status.as_deref(), Some(e.status), "{what}");
                let err = r.error.expect("error");
                assert_ne!(err.kind, ErrorKind::Unknown, "{what}");
                assert!(err.message.contains(e.reason), "{what}: {}", err.message);
            }
            Behaviour::TrustDecisionError(e) => {
                assert_eq!(r.outcome, Outcome::Error, "{what}");
                assert_eq!(r.vendor_status, Some(e.code.to_string()), "{what}");
                let err = r.error.expect("error");
                assert_ne!(err.kind, ErrorKind::Unknown, "{what}");
                assert!(err.message.contains(e.message), "{what}: {}", err.message);
            }
            Behaviour::Fault(_) => unreachable!("skipped above"),
        }
    }

    // Polled before the pending time is up, every task still pending (or failing, for
    // the rows whose poll fails).
    for (task_id, flow, what) in &pending_tasks {
        let r = client.poll_phone_task(task_id).await;
        let expected = match flow {
            PhoneFlow::PollError(_) => Outcome::Error,
            _ => Outcome::Pending,
        };
        assert_eq!(r.outcome, expected, "{what}: {:?}", r.error);
    }
    clock.advance(Duration::from_secs(60));
    for (task_id, flow, what) in &pending_tasks {
        let r = client.poll_phone_task(task_id).await;
        match flow {
            PhoneFlow::After(status) => {
                let Some(Report::PhoneStatus(p)) = &r.report else {
                    panic!("{what}: {:?}", r.error)
                };
                assert_eq!(p.phone_status.as_str(), *status, "{what}");
            }
            PhoneFlow::Never => assert_eq!(r.outcome, Outcome::Pending, "{what}"),
            PhoneFlow::PollError(e) => {
                assert_eq!(r.vendor_status.as_deref(), Some(e.status), "{what}");
                assert_ne!(r.error.expect("error").kind, ErrorKind::Unknown, "{what}");
            }
            PhoneFlow::Immediate(_) => unreachable!("answered at once"),
        }
    }
    // A task the sandbox never issued.
    let r = client.poll_phone_task("0123456789abcdef").await;
    assert_eq!(r.error.map(|e| e.kind), Some(ErrorKind::TaskExpired));
    sb.shutdown().await;
}

#[tokio::test]
async fn sandbox_faults_map_to_their_kinds() {
    let sb = Sandbox::start(SandboxOptions::default())
        .await
        .expect("sandbox");
    let mut cfg = config_for(&sb);
    cfg.http.timeout_secs = 3;
    cfg.http.max_retries = 1;
    let client = VendorClient::new(&cfg).unwrap();
    let now = time::OffsetDateTime::now_utc();
    for row in sandbox::scenarios() {
        let Behaviour::Fault(fault) = &row.behaviour else {
            continue;
        };
        let req = prepare(row.check, &applicant(row), &CheckOptions::default(), now).unwrap();
        let r = client.run(&req).await;
        let kind = r.error.as_ref().map(|e| e.kind);
        let what = format!("{fault:?}: {:?}", r.error);
        match fault {
            sandbox::Fault::Latency(_) | sandbox::Fault::Trickle(_) => {
                assert_eq!(r.outcome, Outcome::Ok, "{what}")
            }
            sandbox::Fault::Hang => {
                assert_eq!((kind, r.attempts), (Some(ErrorKind::Timeout), 1), "{what}")
            }
            sandbox::Fault::DropConnection => {
                // The request reached the vendor: never re-sent.
                assert_eq!(
                    (kind, r.attempts),
                    (Some(ErrorKind::Interrupted), 1),
                    "{what}"
                )
            }
            sandbox::Fault::BadGateway => {
                assert_eq!(
                    (kind, r.attempts),
                    (Some(ErrorKind::VendorDown), 1),
                    "{what}"
                )
            }
            sandbox::Fault::TruncatedJson => {
                assert_eq!(
                    (kind, r.attempts),
                    (Some(ErrorKind::Malformed), 1),
                    "{what}"
                )
            }
        }
    }
    sb.shutdown().await;
}
