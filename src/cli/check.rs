//! `riskdesk check` and `riskdesk tasks`.

use super::{EXIT_NOT_STORED, EXIT_OK, EXIT_PENDING, EXIT_USAGE, EXIT_VENDOR, Session, TasksCmd};
use crate::applicant::{Applicant, CheckOptions, FieldError, VendorRequest, prepare};
use crate::check::{CheckKind, Outcome};
use crate::history::{LookupRecord, PhoneTaskRow, SharedHistory, TaskState, run_blocking};
use crate::lookup::{Origin, describe_field_errors, record_from_result};
use crate::phone_tasks::{self, TaskPoll};
use crate::vendor::CheckResult;
use serde_json::json;
use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Which {
    DebtsReport,
    MultipleOrder,
    PhoneStatus,
    Multiplatform,
    CreditWillingness,
    All,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The check to run, or `all` for every check offered in the applicant's country.
    #[arg(value_enum)]
    pub which: Which,
    /// ISO 3166 alpha-2 country (ID, IN, MX, TH, CO, PH, VN, NG, PK).
    #[arg(long)]
    pub country: Option<String>,
    /// The phone in any form: +62 812-3456-7890, 0812 3456 7890, 6281234567890.
    #[arg(long)]
    pub phone: Option<String>,
    #[arg(long)]
    pub id_number: Option<String>,
    /// ID type (the vendors document only national_id).
    #[arg(long)]
    pub id_type: Option<String>,
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub bankcard: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
    /// Google Advertising ID or Apple IDFV.
    #[arg(long)]
    pub gaid: Option<String>,
    #[arg(long)]
    pub app_name: Option<String>,
    /// multiplatform package (default multiplatform_multi_V1_1).
    #[arg(long)]
    pub package: Option<String>,
    /// multiple-order source: seat, voice or sms.
    #[arg(long)]
    pub source: Option<String>,
    /// multiple-order backtrack start, YYYY-MM-DD.
    #[arg(long)]
    pub date: Option<String>,
    #[arg(long)]
    pub order_id: Option<String>,
    /// credit-willingness policy_id.
    #[arg(long)]
    pub policy_id: Option<String>,
    /// phone-status: a URL the vendor calls when the task finishes (riskdesk still polls).
    #[arg(long, value_name = "URL")]
    pub callback: Option<String>,
    /// debts-report: send only the md5 of the phone (mobile_md5), never the number.
    #[arg(long)]
    pub hash_phone: bool,
    /// phone-status: seconds to keep polling the task before giving up (exit 4); at most a day.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub wait: u64,
    /// Why the applicant is looked up ("application 8841", "complaint 1234"): stored
    /// with every lookup. Required when the config says `[team] require_purpose = true`.
    #[arg(long, value_name = "TEXT")]
    pub purpose: Option<String>,
    /// One JSON object per check per line.
    #[arg(long)]
    pub json: bool,
}

impl CheckArgs {
    fn applicant(&self) -> Applicant {
        let s = |o: &Option<String>| o.clone().unwrap_or_default();
        Applicant {
            name: s(&self.name),
            country: s(&self.country),
            phone: s(&self.phone),
            id_number: s(&self.id_number),
            id_type: s(&self.id_type),
            bankcard: s(&self.bankcard),
            email: s(&self.email),
            gaid: s(&self.gaid),
            app_name: s(&self.app_name),
            order_id: s(&self.order_id),
        }
    }

    fn options(&self) -> CheckOptions {
        CheckOptions {
            package: self.package.clone(),
            source: self.source.clone(),
            date: self.date.clone(),
            hash_phone: self.hash_phone,
            policy_id: self.policy_id.clone(),
            callback: self.callback.clone(),
        }
    }

    /// The purpose as given, trimmed; `None` when absent or blank.
    fn purpose(&self) -> Option<String> {
        self.purpose
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
    }

    fn checks(&self) -> Result<Vec<CheckKind>, String> {
        Ok(match self.which {
            Which::DebtsReport => vec![CheckKind::DebtsReport],
            Which::MultipleOrder => vec![CheckKind::MultipleOrder],
            Which::PhoneStatus => vec![CheckKind::PhoneStatus],
            Which::Multiplatform => vec![CheckKind::Multiplatform],
            Which::CreditWillingness => vec![CheckKind::CreditWillingness],
            Which::All => {
                let country = self.country.as_deref().unwrap_or("").trim();
                if country.is_empty() {
                    return Err(
                        "`check all` needs --country to know which checks are offered".into(),
                    );
                }
                let offered = CheckKind::offered_for(country);
                if offered.is_empty() {
                    return Err(format!(
                        "no check is offered for country '{country}': debts-report and credit-willingness are for ID, \
                         multiple-order for IN, phone-status for MX, multiplatform for MX IN TH CO PH VN NG PK"
                    ));
                }
                offered
            }
        })
    }
}

/// One line of output: a check that ran (with its stored row, or why it could not be
/// stored) or was skipped.
enum Line {
    Ran {
        result: Box<CheckResult>,
        /// The history row, or why the answer could not be stored.
        stored: Result<i64, String>,
    },
    Skipped {
        check: CheckKind,
        errors: Vec<FieldError>,
    },
}

pub async fn run(session: &Session, args: CheckArgs) -> anyhow::Result<ExitCode> {
    let checks = match args.checks() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("riskdesk: {e}");
            return Ok(ExitCode::from(EXIT_USAGE));
        }
    };
    let applicant = args.applicant();
    let options = args.options();
    let now = crate::applicant::local_now();
    let purpose = args.purpose();
    // `[team] require_purpose`: a field error on every check, so nothing is sent.
    let purpose_missing =
        (purpose.is_none() && session.loaded.config.team.require_purpose).then(|| FieldError {
            field: "purpose".into(),
            message: "required by the team ([team] require_purpose): say why with --purpose TEXT"
                .into(),
        });
    let mut ready: Vec<VendorRequest> = Vec::new();
    let mut lines: Vec<Line> = Vec::new();
    for check in &checks {
        if let Some(missing) = &purpose_missing {
            let mut errors = vec![missing.clone()];
            if let Err(more) = prepare(*check, &applicant, &options, now) {
                errors.extend(more);
            }
            lines.push(Line::Skipped {
                check: *check,
                errors,
            });
            continue;
        }
        if let Some(problem) = session.client.configuration_problem(*check) {
            // Not configured: nothing can be sent, so nothing is stored either.
            lines.push(Line::Skipped {
                check: *check,
                errors: vec![FieldError {
                    field: "config".into(),
                    message: format!("{} ({})", problem.message, problem.hint),
                }],
            });
            continue;
        }
        match prepare(*check, &applicant, &options, now) {
            Ok(r) => ready.push(r),
            Err(errors) => lines.push(Line::Skipped {
                check: *check,
                errors,
            }),
        }
    }
    if ready.is_empty() {
        print_lines(session, &lines, args.json)?;
        if !args.json {
            eprintln!(
                "riskdesk: {}nothing was sent: fix the identifiers above",
                if session.is_sandbox() {
                    "[SANDBOX] "
                } else {
                    ""
                }
            );
        }
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    // A desk that may not store the answers sends nothing (no paid answer left unsaved).
    if let Some(why) = session.history()?.may_record()? {
        eprintln!("riskdesk: {why}");
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    let history = session.history_for_writing()?;
    let origin = Origin {
        operator: session.operator.clone(),
        sandbox: session.is_sandbox(),
        purpose,
    };
    let wait = Duration::from_secs(args.wait);
    let runs = ready
        .iter()
        .map(|req| run_one(session, &history, &origin, req, wait));
    for ran in futures::future::join_all(runs).await {
        lines.push(ran?);
    }
    lines.sort_by_key(|l| match l {
        Line::Ran { result, .. } => result.check,
        Line::Skipped { check, .. } => *check,
    });
    print_lines(session, &lines, args.json)?;
    Ok(ExitCode::from(exit_code(&lines)))
}

/// The worst first: a vendor failure (3), an answer not stored (5), a task still pending (4).
fn exit_code(lines: &[Line]) -> u8 {
    let outcomes: Vec<Outcome> = lines
        .iter()
        .filter_map(|l| match l {
            Line::Ran { result, .. } => Some(result.outcome),
            Line::Skipped { .. } => None,
        })
        .collect();
    let unsaved = lines
        .iter()
        .any(|l| matches!(l, Line::Ran { stored: Err(_), .. }));
    if outcomes.contains(&Outcome::Error) {
        EXIT_VENDOR
    } else if unsaved {
        EXIT_NOT_STORED
    } else if outcomes.contains(&Outcome::Pending) {
        EXIT_PENDING
    } else {
        EXIT_OK
    }
}

/// Sends one prepared request, stores its row — with the phone task it created, in one
/// transaction — before anything is printed and, for a phone task, polls until it resolves
/// or `wait` runs out.
async fn run_one(
    session: &Session,
    history: &SharedHistory,
    origin: &Origin,
    req: &VendorRequest,
    wait: Duration,
) -> anyhow::Result<Line> {
    let started = Instant::now();
    let result = session.client.run(req).await;
    let rec = record_from_result(&result, &req.identity, origin);
    let task = (result.outcome == Outcome::Pending)
        .then(|| {
            phone_tasks::new_task(
                &result,
                0,
                &req.identity.phone_e164,
                origin.sandbox,
                time::OffsetDateTime::now_utc(),
            )
        })
        .flatten();
    let stored = {
        let (rec, task) = (rec.clone(), task.clone());
        run_blocking(history, move |h| h.record(&rec, task.as_ref())).await
    };
    let lookup_id = match stored {
        Ok(id) => id,
        Err(e) => {
            let why = keep_aside(session, &result, rec, &e.to_string());
            return Ok(Line::Ran {
                result: Box::new(result),
                stored: Err(why),
            });
        }
    };
    let Some(mut task) = task else {
        return Ok(Line::Ran {
            result: Box::new(result),
            stored: Ok(lookup_id),
        });
    };
    task.lookup_id = lookup_id;
    let task_id = task.task_id.clone();
    let first = session.poll_gate().delay(0);
    let (result, note) =
        match follow_task(session, history, origin, task, started + wait, first).await? {
            Ok(line) => return Ok(line),
            Err(Unresolved::Pending) => (Box::new(result), None),
            Err(Unresolved::LastPollFailed(failure)) => (
                failure,
                Some(format!(
                    "task {task_id} stays pending: `riskdesk tasks --resume` polls it again"
                )),
            ),
            Err(Unresolved::Paused(failure)) => (failure, Some(paused_note(&task_id))),
            Err(Unresolved::Expired) => (Box::new(phone_tasks::expired_result(result)), None),
            Err(Unresolved::EndedElsewhere(state)) => (
                Box::new(result),
                Some(ended_elsewhere_note(&task_id, state)),
            ),
        };
    let mut result = result;
    result.warnings.extend(note);
    Ok(Line::Ran {
        result,
        stored: Ok(lookup_id),
    })
}

/// Saved or said: an answer history could not store is written beside it, in the export
/// format, and stderr says where. Returns why it was not stored.
fn keep_aside(session: &Session, result: &CheckResult, rec: LookupRecord, error: &str) -> String {
    let why = format!(
        "{} answered, but history could not store it: {error}",
        result.check
    );
    tracing::error!("{why}");
    let kept = match crate::history::write_unsaved(
        &session.loaded.paths.data_dir,
        &[rec],
        time::OffsetDateTime::now_utc(),
    ) {
        Ok(path) => format!(
            "the answer is kept in {}: `riskdesk history import {}` stores it",
            path.display(),
            path.display()
        ),
        Err(e2) => format!("writing it aside failed too ({e2}): keep this output"),
    };
    eprintln!("riskdesk: {why}; {kept}");
    error.to_string()
}

fn paused_note(task_id: &str) -> String {
    format!(
        "task {task_id} is paused: fix the configuration, then `riskdesk tasks --resume` polls it again"
    )
}

/// How a followed task ended when it did not resolve.
enum Unresolved {
    /// Still pending at the deadline: nothing more to report.
    Pending,
    /// Still pending at the deadline, and the last poll failed (network, timeout, 5xx, rate
    /// limit): a vendor failure to report (the task is polled again when resumed).
    LastPollFailed(Box<CheckResult>),
    /// The vendor refused the credentials: the task is paused until resumed.
    Paused(Box<CheckResult>),
    /// Its 24 hours ran out: an error of kind `task_expired`.
    Expired,
    /// Another desk's poll ended it (done, failed or expired): its answer is in history.
    EndedElsewhere(TaskState),
}

fn ended_elsewhere_note(task_id: &str, state: TaskState) -> String {
    format!(
        "task {task_id} was polled to its end ({}) by another riskdesk: `riskdesk history search {task_id}` shows the answer",
        state.as_str()
    )
}

/// Polls a task, the first time after `first`, then with backoff (slowed while the vendor
/// pushes back), until it ends, pauses or `deadline` passes; the last poll is made at the
/// deadline rather than skipped when the next backoff step would overshoot it. A failed
/// poll is not the end of the task: it is polled again.
async fn follow_task(
    session: &Session,
    store: &SharedHistory,
    origin: &Origin,
    mut task: PhoneTaskRow,
    deadline: Instant,
    first: Duration,
) -> anyhow::Result<Result<Line, Unresolved>> {
    let gate = session.poll_gate();
    let mut last_failure = None;
    let mut delay = first;
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Ok(Err(
                last_failure.map_or(Unresolved::Pending, Unresolved::LastPollFailed)
            ));
        }
        tokio::time::sleep(delay.min(deadline - now)).await;
        let poll = phone_tasks::poll_task(
            &session.client,
            &gate,
            store,
            &task,
            origin,
            time::OffsetDateTime::now_utc(),
        )
        .await?;
        match poll {
            TaskPoll::Done { result, stored } | TaskPoll::Failed { result, stored } => {
                let stored = stored.map_err(|e| {
                    let identity = crate::applicant::Identity {
                        phone_e164: task.phone_e164.clone(),
                        ..Default::default()
                    };
                    let mut rec = record_from_result(&result, &identity, origin);
                    rec.task_id = Some(task.task_id.clone());
                    keep_aside(session, &result, rec, &e)
                });
                return Ok(Ok(Line::Ran { result, stored }));
            }
            TaskPoll::Pending { attempts } => {
                task.attempts = attempts;
                last_failure = None;
            }
            TaskPoll::Retry { attempts, result } => {
                task.attempts = attempts;
                last_failure = Some(result);
            }
            TaskPoll::Paused { result, .. } => return Ok(Err(Unresolved::Paused(result))),
            TaskPoll::Busy => {
                // Another desk holds it or has polled it since: follow the team's count of
                // polls (its next due time), and stop when another desk ended it.
                let id = task.task_id.clone();
                match run_blocking(store, move |h| h.task(&id)).await? {
                    Some(t) if matches!(t.state, TaskState::Pending | TaskState::Paused) => {
                        task.attempts = t.attempts
                    }
                    Some(t) => return Ok(Err(Unresolved::EndedElsewhere(t.state))),
                    None => task.attempts += 1,
                }
            }
            TaskPoll::Expired => return Ok(Err(Unresolved::Expired)),
        }
        delay = gate.delay(task.attempts);
    }
}

fn print_lines(session: &Session, lines: &[Line], json: bool) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let sandbox = session.is_sandbox();
    for line in lines {
        if json {
            serde_json::to_writer(&mut out, &json_line(line, sandbox))?;
            writeln!(out)?;
        } else {
            write_human(&mut out, line, sandbox)?;
        }
    }
    out.flush()?;
    Ok(())
}

fn json_line(line: &Line, sandbox: bool) -> serde_json::Value {
    match line {
        Line::Ran { result, stored } => json!({
            "check": result.check,
            "outcome": result.outcome,
            "vendor_status": result.vendor_status,
            "vendor_request_id": result.vendor_request_id,
            "http_status": result.http_status,
            "latency_ms": result.latency_ms,
            "attempts": result.attempts,
            "task_id": result.task_id,
            "report": result.report.as_ref().and_then(|r| serde_json::to_value(r).ok()),
            "error": result.error.as_ref().map(|e| json!({"kind": e.kind.as_str(), "message": e.message, "hint": e.hint, "code": e.code})),
            "warnings": result.warnings,
            "sandbox": sandbox,
            "lookup_id": stored.as_ref().ok(),
            "stored": stored.is_ok(),
        }),
        Line::Skipped { check, errors } => json!({
            "check": check,
            "outcome": Outcome::Skipped,
            "reason": describe_field_errors(errors),
            "errors": errors,
            "sandbox": sandbox,
        }),
    }
}

fn write_human(out: &mut dyn Write, line: &Line, sandbox: bool) -> std::io::Result<()> {
    let mark = if sandbox { "[SANDBOX] " } else { "" };
    match line {
        Line::Skipped { check, errors } => {
            writeln!(out, "{mark}{:<19} skipped   nothing sent", check.cli_name())?;
            for e in errors {
                writeln!(out, "{mark}    {}: {}", e.field, e.message)?;
            }
        }
        Line::Ran { result, stored } => {
            let row = match stored {
                Ok(id) => format!("#{id}"),
                Err(_) => "NOT SAVED".to_string(),
            };
            writeln!(
                out,
                "{mark}{:<19} {:<9} {:<24} {:<36} {:>6} ms  {row}",
                result.check.cli_name(),
                result.outcome.as_str(),
                result.vendor_status.as_deref().unwrap_or("-"),
                result.vendor_request_id.as_deref().unwrap_or("-"),
                result.latency_ms,
            )?;
            if let Some(report) = &result.report {
                writeln!(out, "{mark}    {}", report.summary())?;
                for (label, value) in report.rows() {
                    writeln!(out, "{mark}    {label:<28} {value}")?;
                }
            }
            if let Some(task) = &result.task_id
                && result.outcome == Outcome::Pending
            {
                writeln!(
                    out,
                    "{mark}    task {task} is still pending: `riskdesk tasks --resume` polls it again"
                )?;
            }
            if let Some(e) = &result.error {
                writeln!(out, "{mark}    error ({}): {}", e.kind.as_str(), e.message)?;
                if !e.hint.is_empty() {
                    writeln!(out, "{mark}    what to do: {}", e.hint)?;
                }
            }
            for w in &result.warnings {
                writeln!(out, "{mark}    warning: {w}")?;
            }
        }
    }
    Ok(())
}

/// `riskdesk tasks [--json]` lists; `--resume` polls every unexpired pending task again.
pub async fn run_tasks(session: &Session, cmd: TasksCmd) -> anyhow::Result<ExitCode> {
    if !cmd.resume {
        let history = session.history()?;
        return crate::history::cli::run_tasks_list(
            &cmd.list,
            &*history,
            &mut std::io::stdout().lock(),
        );
    }
    if let Some(why) = session.history()?.may_record()? {
        eprintln!("riskdesk: {why}");
        return Ok(ExitCode::from(EXIT_USAGE));
    }
    let store = session.history_for_writing()?;
    let found = phone_tasks::resume(
        &store,
        time::OffsetDateTime::now_utc(),
        session.is_sandbox(),
    )
    .await?;
    let origin = Origin {
        operator: session.operator.clone(),
        sandbox: session.is_sandbox(),
        purpose: None,
    };
    let deadline = Instant::now() + Duration::from_secs(cmd.wait);
    // Not one burst: each task's first poll at its own offset (the gate also keeps at most
    // four polls in flight to the vendor).
    let spread = found.tasks.len();
    let follows = found.tasks.into_iter().map(|t| {
        let store = store.clone();
        let origin = origin.clone();
        async move {
            let id = t.task_id.clone();
            let first = phone_tasks::resume_jitter(spread);
            (
                id,
                follow_task(session, &store, &origin, t, deadline, first).await,
            )
        }
    });
    let mut still_pending = 0;
    let mut failed = 0;
    let mut out = std::io::stdout().lock();
    // Tasks found lapsed: each an error of kind task_expired, never "still pending".
    let lapsed = found
        .lapsed
        .into_iter()
        .map(|t| (t.task_id, Ok(Err(Unresolved::Expired))));
    let ended = lapsed.chain(futures::future::join_all(follows).await);
    for (task_id, r) in ended {
        let (state, lookup_id, error, note) = match r? {
            Ok(Line::Ran { result, stored }) => {
                if result.outcome == Outcome::Error {
                    failed += 1;
                }
                (
                    result.outcome.as_str(),
                    stored.ok(),
                    result.error.clone(),
                    None,
                )
            }
            Ok(Line::Skipped { .. }) | Err(Unresolved::Pending) => {
                still_pending += 1;
                ("pending", None, None, None)
            }
            Err(Unresolved::LastPollFailed(result)) => {
                failed += 1;
                (
                    "error",
                    None,
                    result.error.clone(),
                    Some("still pending: `riskdesk tasks --resume` polls it again".to_string()),
                )
            }
            Err(Unresolved::Paused(result)) => {
                failed += 1;
                (
                    "paused",
                    None,
                    result.error.clone(),
                    Some(paused_note(&task_id)),
                )
            }
            Err(Unresolved::Expired) => {
                failed += 1;
                ("error", None, Some(phone_tasks::expired_error()), None)
            }
            Err(Unresolved::EndedElsewhere(state)) => {
                if state != TaskState::Done {
                    failed += 1;
                }
                (
                    state.as_str(),
                    None,
                    None,
                    Some(ended_elsewhere_note(&task_id, state)),
                )
            }
        };
        if cmd.list.json {
            let e = error
                .map(|e| json!({"kind": e.kind.as_str(), "message": e.message, "hint": e.hint}));
            let line = json!({"task_id": task_id, "outcome": state, "lookup_id": lookup_id,
                "error": e, "note": note});
            serde_json::to_writer(&mut out, &line)?;
            writeln!(out)?;
        } else {
            match (lookup_id, error) {
                (Some(id), _) => writeln!(out, "task {task_id}: {state} (lookup #{id})")?,
                (None, Some(e)) => writeln!(
                    out,
                    "task {task_id}: {state} ({}): {}",
                    e.kind.as_str(),
                    e.message
                )?,
                (None, None) if state == "pending" => {
                    writeln!(out, "task {task_id}: still pending")?
                }
                (None, None) => writeln!(out, "task {task_id}: {state}")?,
            }
            if let Some(note) = note {
                writeln!(out, "    {note}")?;
            }
        }
    }
    Ok(ExitCode::from(if failed > 0 {
        EXIT_VENDOR
    } else if still_pending > 0 {
        EXIT_PENDING
    } else {
        EXIT_OK
    }))
}
