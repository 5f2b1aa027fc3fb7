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
use crate::history::{PhoneTaskRow, Store, TaskState};
use crate::lookup::{Origin, record_from_result};
use crate::vendor::{CheckResult, ErrorKind, VendorClient, VendorError};
use std::sync::Mutex;
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
    /// The vendor answered with a phone status; the lookup row was stored with this id.
    Done {
        result: Box<CheckResult>,
        lookup_id: i64,
    },
    /// Still pending; poll again after `PollGate::delay(attempts)`.
    Pending { attempts: u32 },
    /// Another poller holds the task right now; nothing was sent.
    Busy,
    /// The task is past its 24 hours; nothing was sent. Report it as [`expired_error`].
    Expired,
    /// The vendor said the task is over (invalid, or expired on its side: the result says
    /// which); the lookup row was stored.
    Failed {
        result: Box<CheckResult>,
        lookup_id: i64,
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

fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}

/// Polls one task once at `now`: waits for the host's gate (a free slot, past any
/// rate-limit hold), claims the task in the store (a paused task is resumed by this), asks
/// the vendor, stores the outcome. (`now` is a parameter so the 24-hour expiry can be tested
/// without waiting.)
pub async fn poll_task(
    client: &VendorClient,
    gate: &PollGate,
    store: &Mutex<Store>,
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
    if now >= task.expires_at {
        // Not a poll: nothing is sent and no attempt is counted.
        lock(store).expire_tasks(now)?;
        return Ok(TaskPoll::Expired);
    }
    let waiting = std::time::Instant::now();
    let permit = gate.enter().await;
    let now = now + waiting.elapsed();
    if now >= task.expires_at {
        lock(store).expire_tasks(now)?;
        return Ok(TaskPoll::Expired);
    }
    if !lock(store).claim_task(&task.task_id, now, poll_lease(client))? {
        return Ok(TaskPoll::Busy);
    }
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
    let identity = crate::applicant::Identity {
        phone_e164: task.phone_e164.clone(),
        ..Default::default()
    };
    let store_final = |state: TaskState, result: &CheckResult| -> anyhow::Result<i64> {
        let mut s = lock(store);
        let mut identity = identity.clone();
        // Carry the submitting lookup's identifiers onto the result row.
        if let Ok(Some(original)) = s.get(task.lookup_id) {
            identity = original.identity;
        }
        let mut rec = record_from_result(result, &identity, origin);
        rec.task_id = Some(task.task_id.clone());
        let id = s.record(&rec)?;
        let payload = rec.report.clone();
        let error = result.error.as_ref().map(|e| e.message.clone());
        s.finish_poll(
            &task.task_id,
            now,
            state,
            payload.as_ref(),
            error.as_deref(),
        )?;
        Ok(id)
    };
    let result = Box::new(result);
    Ok(match verdict_of(&result) {
        Verdict::Answered => {
            let lookup_id = store_final(TaskState::Done, &result)?;
            TaskPoll::Done { result, lookup_id }
        }
        Verdict::Pending => {
            lock(store).finish_poll(&task.task_id, now, TaskState::Pending, None, None)?;
            TaskPoll::Pending { attempts }
        }
        Verdict::Retry => {
            // The task stays pending; the error column says what the last poll met.
            let msg = result.error.as_ref().map(|e| e.message.clone());
            lock(store).finish_poll(
                &task.task_id,
                now,
                TaskState::Pending,
                None,
                msg.as_deref(),
            )?;
            TaskPoll::Retry { result, attempts }
        }
        Verdict::Pause => {
            let reason = pause_reason(&result);
            lock(store).finish_poll(&task.task_id, now, TaskState::Paused, None, Some(&reason))?;
            TaskPoll::Paused { result, attempts }
        }
        Verdict::Expired => {
            let lookup_id = store_final(TaskState::Expired, &result)?;
            TaskPoll::Failed { result, lookup_id }
        }
        Verdict::Failed => {
            let lookup_id = store_final(TaskState::Failed, &result)?;
            TaskPoll::Failed { result, lookup_id }
        }
    })
}

/// The open tasks a session can pick up, and the ones found lapsed on the way.
#[derive(Debug, Default)]
pub struct Resumable {
    /// Pending or paused (resuming a paused task is polling it again), unexpired, of this
    /// session's kind (sandbox or not), oldest first.
    pub tasks: Vec<PhoneTaskRow>,
    /// Tasks of this session's kind whose 24 hours had run out: now stored expired.
    pub lapsed: Vec<PhoneTaskRow>,
}

/// Marks tasks expired at `now` and returns the open (pending or paused) ones still worth
/// polling from a session on (`sandbox`) or off the sandbox (the other kind's ids mean
/// nothing here), with the ones that just lapsed.
pub fn resume(
    store: &Mutex<Store>,
    now: time::OffsetDateTime,
    sandbox: bool,
) -> anyhow::Result<Resumable> {
    let mut s = lock(store);
    let lapsed = s
        .expire_tasks_listed(now)?
        .into_iter()
        .filter(|t| t.sandbox == sandbox)
        .collect();
    let tasks = s
        .pending_tasks()?
        .into_iter()
        .filter(|t| t.sandbox == sandbox)
        .collect();
    Ok(Resumable { tasks, lapsed })
}

/// [`resume`]'s tasks alone.
pub fn resumable(
    store: &Mutex<Store>,
    now: time::OffsetDateTime,
    sandbox: bool,
) -> anyhow::Result<Vec<PhoneTaskRow>> {
    Ok(resume(store, now, sandbox)?.tasks)
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
