//! The life of a phone check: submitted, polled with backoff, done, paused (credentials
//! refused), failed (the vendor said so) or expired after 24 hours. A poll is a read: a poll
//! that fails is retried on the task's schedule, never the end of a paid task. Tasks live in
//! the store, so they survive restarts; a lease in the store keeps two pollers (two consoles,
//! or a console and `riskdesk tasks --resume`) from ever polling one task at once, and a
//! [`PollGate`] per vendor host keeps one process's polls spread out.

mod gate;

pub use gate::{
    MAX_POLL_DELAY, MAX_POLLS_PER_HOST, MAX_SLOWDOWN, PollGate, RATE_LIMIT_COOLDOWN, host_of,
    resume_jitter, resume_window,
};

use crate::check::Outcome;
pub use crate::history::Resumable;
use crate::history::{PhoneTaskRow, PollFinish, SharedHistory, TaskState, run_blocking};
use crate::lookup::{Origin, record_from_result};
use crate::vendor::{CheckResult, ErrorKind, VendorClient, VendorError};
use std::time::Duration;

/// A task id is valid for 24 hours after submission.
pub const TASK_TTL: time::Duration = time::Duration::hours(24);
/// How long a poller holds a task: longer than any single poll can take (every retry
/// timing out), so a slow poll never lets a second poller in.
pub fn poll_lease(client: &VendorClient) -> Duration {
    client.worst_case_call() + Duration::from_secs(10)
}

/// Delay before poll number `attempts + 1`: 2 s, then growing by half each time, at most a minute.
pub fn next_poll_delay(attempts: u32) -> Duration {
    let secs = 2.0 * 1.5f64.powi(attempts.min(20) as i32);
    Duration::from_secs_f64(secs.min(60.0))
}

/// The row to store for a freshly submitted, pending task.
pub fn new_task(
    result: &CheckResult,
    lookup_id: i64,
    phone_e164: &str,
    sandbox: bool,
    now: time::OffsetDateTime,
) -> Option<PhoneTaskRow> {
    let task_id = result.task_id.clone()?;
    Some(PhoneTaskRow {
        task_id,
        lookup_id,
        phone_e164: phone_e164.to_string(),
        submitted_at: now,
        expires_at: now + TASK_TTL,
        state: TaskState::Pending,
        last_poll_at: None,
        attempts: 0,
        result: None,
        error: None,
        sandbox,
    })
}

/// What a poll's answer means for its task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A phone status (ok, or not hit): the task is done.
    Answered,
    /// The vendor is still working on it.
    Pending,
    /// The poll failed, not the task (timeout, broken connection, garbled body, 5xx, 512,
    /// rate limit, unknown): poll again on the task's schedule until it expires.
    Retry,
    /// The vendor refused the credentials (or the configured URL is wrong): paused until
    /// resumed after the configuration is fixed.
    Pause,
    /// The vendor said the task is over: expired.
    Expired,
    /// The vendor said the task is invalid: it ends, failed.
    Failed,
}

/// Decides a poll's answer from its outcome and error kind alone.
pub fn verdict(outcome: Outcome, kind: Option<ErrorKind>) -> Verdict {
    match outcome {
        Outcome::Ok | Outcome::NotHit => Verdict::Answered,
        Outcome::Pending => Verdict::Pending,
        Outcome::Error | Outcome::Skipped => match kind {
            Some(ErrorKind::TaskExpired) => Verdict::Expired,
            Some(ErrorKind::InvalidInput) => Verdict::Failed,
            Some(
                ErrorKind::Unauthorized
                | ErrorKind::NoPermission
                | ErrorKind::OutOfQuota
                | ErrorKind::NotFound,
            ) => Verdict::Pause,
            // Timeout, Transport, Malformed, VendorDown, RateLimited, Unknown, or no reason
            // given: asking again is only a read.
            _ => Verdict::Retry,
        },
    }
}

fn verdict_of(result: &CheckResult) -> Verdict {
    verdict(result.outcome, result.error.as_ref().map(|e| e.kind))
}

/// What one poll did.
#[derive(Debug)]
pub enum TaskPoll {
    /// The vendor answered with a phone status; the lookup row was stored with this id
    /// (or could not be: why).
    Done {
        result: Box<CheckResult>,
        stored: Result<i64, String>,
    },
    /// Still pending; poll again after `PollGate::delay(attempts)`.
    Pending { attempts: u32 },
    /// Another poller holds the task right now, has polled it since the caller read it, or
    /// ended it; nothing was sent. Read the task again before following it further.
    Busy,
    /// The task is past its 24 hours; nothing was sent. Report it as [`expired_error`].
    Expired,
    /// The vendor said the task is over (invalid, or expired on its side: the result says
    /// which); the lookup row was stored (or could not be: why).
    Failed {
        result: Box<CheckResult>,
        stored: Result<i64, String>,
    },
    /// The poll failed, the task did not (network, timeout, garbled answer, 5xx, rate
    /// limit): poll again after `PollGate::delay(attempts)`.
    Retry {
        result: Box<CheckResult>,
        attempts: u32,
    },
    /// The vendor refused the credentials: the task is stored paused with that reason until
    /// `riskdesk tasks --resume` or the console picks it up again (after the config is fixed).
    Paused {
        result: Box<CheckResult>,
        attempts: u32,
    },
}

/// What to report for a task whose 24 hours ran out before the vendor answered.
pub fn expired_error() -> VendorError {
    VendorError::new(
        ErrorKind::TaskExpired,
        "the phone task's 24 hours ran out before the vendor answered",
        ErrorKind::TaskExpired.default_hint(),
    )
}

/// `pending` (the submission's result) turned into the report of its task's expiry.
pub fn expired_result(mut pending: CheckResult) -> CheckResult {
    pending.outcome = Outcome::Error;
    pending.report = None;
    pending.error = Some(expired_error());
    pending
}

/// The reason a paused task is stored with: the vendor's refusal, in its own words.
fn pause_reason(result: &CheckResult) -> String {
    match &result.error {
        Some(e) => format!("{}: {}", e.kind.as_str(), e.message),
        None => "credentials refused".into(),
    }
}

/// Polls one task once at `now`: waits for the host's gate (a free slot, past any
/// rate-limit hold), claims the task (a paused task is resumed by this; the claim's lease
/// fences the finish), asks the vendor, and stores the outcome: the lookup row (when the
/// poll ended the task) and the task's new state in one transaction. An answer the store
/// could not keep is still returned, with why (`stored: Err`): never dropped. (`now` is a
/// parameter so the 24-hour expiry can be tested without waiting.)
pub async fn poll_task(
    client: &VendorClient,
    gate: &PollGate,
    history: &SharedHistory,
    task: &PhoneTaskRow,
    origin: &Origin,
    now: time::OffsetDateTime,
) -> anyhow::Result<TaskPoll> {
    if task.sandbox != origin.sandbox {
        // A sandbox task id means nothing to the real vendor, and the other way round.
        anyhow::bail!(
            "task {} was submitted {} the sandbox: poll it from a session {} it",
            task.task_id,
            if task.sandbox { "to" } else { "outside" },
            if task.sandbox { "on" } else { "off" },
        );
    }
    let sandbox = task.sandbox;
    if now >= task.expires_at {
        // Not a poll: nothing is sent and no attempt is counted.
        run_blocking(history, move |h| h.resumable(now, sandbox).map(drop)).await?;
        return Ok(TaskPoll::Expired);
    }
    let waiting = std::time::Instant::now();
    let permit = gate.enter().await;
    let now = now + waiting.elapsed();
    if now >= task.expires_at {
        run_blocking(history, move |h| h.resumable(now, sandbox).map(drop)).await?;
        return Ok(TaskPoll::Expired);
    }
    let (task_id, lease_for, seen) = (task.task_id.clone(), poll_lease(client), task.attempts);
    // Only while nobody polled it since `task` was read: another desk following the same
    // task has just polled this due time.
    let Some(lease) = run_blocking(history, move |h| {
        h.claim_unpolled(&task_id, seen, now, lease_for)
    })
    .await?
    else {
        return Ok(TaskPoll::Busy);
    };
    let started = std::time::Instant::now();
    let result = client.poll_phone_task(&task.task_id).await;
    gate.observe_at(
        result.outcome,
        result.error.as_ref().map(|e| e.kind),
        std::time::Instant::now(),
    );
    drop(permit);
    let now = now + started.elapsed();
    let attempts = task.attempts + 1;
    let verdict = verdict_of(&result);
    let (state, error) = match verdict {
        Verdict::Answered => (TaskState::Done, None),
        Verdict::Pending => (TaskState::Pending, None),
        // The task stays pending; its error column says what the last poll met.
        Verdict::Retry => (
            TaskState::Pending,
            result.error.as_ref().map(|e| e.message.clone()),
        ),
        Verdict::Pause => (TaskState::Paused, Some(pause_reason(&result))),
        Verdict::Expired => (
            TaskState::Expired,
            result.error.as_ref().map(|e| e.message.clone()),
        ),
        Verdict::Failed => (
            TaskState::Failed,
            result.error.as_ref().map(|e| e.message.clone()),
        ),
    };
    let ends = matches!(
        verdict,
        Verdict::Answered | Verdict::Expired | Verdict::Failed
    );
    let result = Box::new(result);
    let finishing = {
        let (result, task, origin) = (result.clone(), task.clone(), origin.clone());
        run_blocking(history, move |h| {
            let record = if ends {
                // Carry the submitting lookup's identifiers onto the result row.
                let identity = match h.get(task.lookup_id) {
                    Ok(Some(original)) => original.identity,
                    _ => crate::applicant::Identity {
                        phone_e164: task.phone_e164.clone(),
                        ..Default::default()
                    },
                };
                let mut rec = record_from_result(&result, &identity, &origin);
                rec.task_id = Some(task.task_id.clone());
                Some(rec)
            } else {
                None
            };
            let finish = PollFinish {
                at: now,
                state,
                error,
                record,
            };
            h.finish(&lease, &finish)
        })
        .await
    };
    let stored = match finishing {
        Ok(done) => {
            if !done.task_updated {
                tracing::warn!(
                    task_id = %task.task_id,
                    "poll lease had lapsed: the task was left as its newer poller or expiry made it"
                );
            }
            done.lookup_id.ok_or_else(|| "no lookup row".to_string())
        }
        Err(e) if ends => Err(e.to_string()),
        // Nothing paid to keep: the task is polled again once its lease runs out.
        Err(e) => return Err(e.into()),
    };
    Ok(match verdict {
        Verdict::Answered => TaskPoll::Done { result, stored },
        Verdict::Pending => TaskPoll::Pending { attempts },
        Verdict::Retry => TaskPoll::Retry { result, attempts },
        Verdict::Pause => TaskPoll::Paused { result, attempts },
        Verdict::Expired | Verdict::Failed => TaskPoll::Failed { result, stored },
    })
}

/// Marks tasks expired at `now` and returns the open (pending or paused) ones still worth
/// polling from a session on (`sandbox`) or off the sandbox (the other kind's ids mean
/// nothing here), with the ones that just lapsed.
pub async fn resume(
    history: &SharedHistory,
    now: time::OffsetDateTime,
    sandbox: bool,
) -> anyhow::Result<Resumable> {
    Ok(run_blocking(history, move |h| h.resumable(now, sandbox)).await?)
}

/// [`resume`]'s tasks alone.
pub async fn resumable(
    history: &SharedHistory,
    now: time::OffsetDateTime,
    sandbox: bool,
) -> anyhow::Result<Vec<PhoneTaskRow>> {
    Ok(resume(history, now, sandbox).await?.tasks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(next_poll_delay(0), Duration::from_secs(2));
        assert_eq!(next_poll_delay(1), Duration::from_secs(3));
        assert!(next_poll_delay(3) > next_poll_delay(2));
        assert_eq!(next_poll_delay(30), Duration::from_secs(60));
        assert_eq!(next_poll_delay(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn a_task_ends_only_on_an_answer_about_it() {
        use ErrorKind::*;
        assert_eq!(verdict(Outcome::Ok, None), Verdict::Answered);
        assert_eq!(verdict(Outcome::NotHit, None), Verdict::Answered);
        assert_eq!(verdict(Outcome::Pending, None), Verdict::Pending);
        assert_eq!(verdict(Outcome::Error, Some(TaskExpired)), Verdict::Expired);
        assert_eq!(verdict(Outcome::Error, Some(InvalidInput)), Verdict::Failed);
        for kind in [Unauthorized, NoPermission, OutOfQuota, NotFound] {
            assert_eq!(
                verdict(Outcome::Error, Some(kind)),
                Verdict::Pause,
                "{kind:?}"
            );
        }
        for kind in [
            Timeout,
            Transport,
            Malformed,
            VendorDown,
            RateLimited,
            Unknown,
        ] {
            assert_eq!(
                verdict(Outcome::Error, Some(kind)),
                Verdict::Retry,
                "{kind:?}"
            );
        }
        assert_eq!(verdict(Outcome::Error, None), Verdict::Retry);
        // Every kind has a verdict, and only these two end a task.
        let ending: Vec<ErrorKind> = ErrorKind::ALL
            .into_iter()
            .filter(|k| {
                matches!(
                    verdict(Outcome::Error, Some(*k)),
                    Verdict::Expired | Verdict::Failed
                )
            })
            .collect();
        assert_eq!(ending, [InvalidInput, TaskExpired]);
    }
}
