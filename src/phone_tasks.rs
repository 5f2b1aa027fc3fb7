//! The life of a phone check: submitted, polled with backoff, done, failed, or expired
//! after 24 hours. Tasks live in the store, so they survive restarts; a lease in the store
//! keeps two pollers (two consoles, or a console and `riskdesk tasks --resume`) from ever
//! polling one task at once.

use crate::check::Outcome;
use crate::history::{PhoneTaskRow, Store, TaskState};
use crate::lookup::{Origin, record_from_result};
use crate::vendor::{CheckResult, ErrorKind, VendorClient};
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

/// What one poll did.
#[derive(Debug)]
pub enum TaskPoll {
    /// The vendor answered with a phone status; the lookup row was stored with this id.
    Done {
        result: Box<CheckResult>,
        lookup_id: i64,
    },
    /// Still pending; poll again after `next_poll_delay(attempts)`.
    Pending { attempts: u32 },
    /// Another poller holds the task right now; nothing was sent.
    Busy,
    /// The task is past its 24 hours; nothing was sent.
    Expired,
    /// The vendor refused or failed for good (the result says why); the lookup row was stored.
    Failed {
        result: Box<CheckResult>,
        lookup_id: i64,
    },
    /// A transient failure (network, 5xx, rate limit): try again later.
    Retry {
        result: Box<CheckResult>,
        attempts: u32,
    },
}

fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}

/// Polls one task once at `now`: claims it in the store, asks the vendor, stores the outcome.
/// (`now` is a parameter so the 24-hour expiry can be tested without waiting.)
pub async fn poll_task(
    client: &VendorClient,
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
    if !lock(store).claim_task(&task.task_id, now, poll_lease(client))? {
        return Ok(TaskPoll::Busy);
    }
    let started = std::time::Instant::now();
    let result = client.poll_phone_task(&task.task_id).await;
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
    match result.outcome {
        Outcome::Ok | Outcome::NotHit => {
            let lookup_id = store_final(TaskState::Done, &result)?;
            Ok(TaskPoll::Done {
                result: Box::new(result),
                lookup_id,
            })
        }
        Outcome::Pending => {
            lock(store).finish_poll(&task.task_id, now, TaskState::Pending, None, None)?;
            Ok(TaskPoll::Pending { attempts })
        }
        Outcome::Error | Outcome::Skipped => {
            let kind = result.error.as_ref().map(|e| e.kind);
            if kind.is_some_and(ErrorKind::retryable) {
                let msg = result.error.as_ref().map(|e| e.message.clone());
                lock(store).finish_poll(
                    &task.task_id,
                    now,
                    TaskState::Pending,
                    None,
                    msg.as_deref(),
                )?;
                return Ok(TaskPoll::Retry {
                    result: Box::new(result),
                    attempts,
                });
            }
            let state = if kind == Some(ErrorKind::TaskExpired) {
                TaskState::Expired
            } else {
                TaskState::Failed
            };
            let lookup_id = store_final(state, &result)?;
            Ok(TaskPoll::Failed {
                result: Box::new(result),
                lookup_id,
            })
        }
    }
}

/// Marks tasks expired at `now` and returns the pending ones still worth polling from a
/// session on (`sandbox`) or off the sandbox: the other kind's ids mean nothing here.
pub fn resumable(
    store: &Mutex<Store>,
    now: time::OffsetDateTime,
    sandbox: bool,
) -> anyhow::Result<Vec<PhoneTaskRow>> {
    let mut s = lock(store);
    s.expire_tasks(now)?;
    Ok(s.pending_tasks()?
        .into_iter()
        .filter(|t| t.sandbox == sandbox)
        .collect())
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
}
