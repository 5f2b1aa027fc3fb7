//! Phone tasks: stored so they survive restarts; leased so two processes never poll one
//! task at once.

use super::keys::stamp;
use super::rows::{self, TASK_COLUMNS};
use super::{HistoryError, LookupRecord, PhoneTaskRow, Store, TaskState};
use rusqlite::{TransactionBehavior, params};
use std::time::Duration;
use time::OffsetDateTime;

impl Store {
    /// Stores a task (or replaces the one with the same id: the vendor's ids are unique).
    pub fn add_task(&mut self, task: &PhoneTaskRow) -> Result<(), HistoryError> {
        upsert_task(&self.conn, task)
    }

    /// Every task still open — pending, or paused until resumed — expired or not (call
    /// [`Store::expire_tasks`] first), oldest first.
    pub fn pending_tasks(&self) -> Result<Vec<PhoneTaskRow>, HistoryError> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {TASK_COLUMNS} FROM phone_tasks WHERE state IN ('pending', 'paused')
             ORDER BY submitted_at, task_id LIMIT 100000"
        ))?;
        let mut q = st.query([])?;
        let mut out = Vec::new();
        while let Some(row) = q.next()? {
            out.push(rows::task(row)?);
        }
        Ok(out)
    }

    /// One task by id, whatever its state.
    pub fn task(&self, task_id: &str) -> Result<Option<PhoneTaskRow>, HistoryError> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {TASK_COLUMNS} FROM phone_tasks WHERE task_id = ?1"
        ))?;
        let mut q = st.query([task_id])?;
        match q.next()? {
            Some(row) => Ok(Some(rows::task(row)?)),
            None => Ok(None),
        }
    }

    /// Marks open (pending or paused) tasks whose 24 hours are over as expired; returns how many.
    pub fn expire_tasks(&mut self, now: OffsetDateTime) -> Result<usize, HistoryError> {
        Ok(self.expire_tasks_listed(now, None)?.len())
    }

    /// As [`Store::expire_tasks`], returning the tasks it marked (as they are now stored), so
    /// that whoever resumes tasks can say which ones lapsed. With `sandbox`, only tasks of
    /// that kind are touched: a session expires only the tasks it can report.
    pub fn expire_tasks_listed(
        &mut self,
        now: OffsetDateTime,
        sandbox: Option<bool>,
    ) -> Result<Vec<PhoneTaskRow>, HistoryError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ids: Vec<String> = {
            let mut st = tx.prepare_cached(
                "UPDATE phone_tasks SET state = 'expired', lease_until = NULL, lease_token = NULL
                 WHERE state IN ('pending', 'paused') AND expires_at <= ?1
                   AND (?2 IS NULL OR sandbox = ?2)
                 RETURNING task_id",
            )?;
            st.query_map(rusqlite::params![stamp(now), sandbox], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        tx.commit()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(self.task(&id)?);
        }
        out.sort_by(|a, b| (a.submitted_at, &a.task_id).cmp(&(b.submitted_at, &b.task_id)));
        Ok(out)
    }

    /// Takes the poll lease on a task: a [`Lease`] only when the task is open (pending, or
    /// paused: claiming a paused task resumes it, back to pending), unexpired and no other
    /// poll (in this or another process) holds an unexpired lease. One UPDATE under SQLite's
    /// write lock, so two claimants can never both win; the lease's token fences the finish.
    pub fn claim_task(
        &mut self,
        task_id: &str,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Option<Lease>, HistoryError> {
        self.claim_task_if(task_id, None, now, lease)
    }

    /// [`Store::claim_task`], and with `seen_attempts` only while the task's poll count is
    /// still that (nobody polled it since the caller read it), in the same UPDATE.
    pub fn claim_task_if(
        &mut self,
        task_id: &str,
        seen_attempts: Option<u32>,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Option<Lease>, HistoryError> {
        let lease = time::Duration::try_from(lease).unwrap_or(time::Duration::DAY);
        let token = super::store::new_uuid();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "UPDATE phone_tasks SET lease_until = ?2, lease_token = ?4, state = 'pending'
             WHERE task_id = ?1 AND state IN ('pending', 'paused') AND expires_at > ?3
               AND (lease_until IS NULL OR lease_until <= ?3)
               AND (?5 IS NULL OR attempts = ?5)",
            params![
                task_id,
                stamp(now + lease),
                stamp(now),
                token,
                seen_attempts
            ],
        )?;
        tx.commit()?;
        Ok((n == 1).then(|| Lease {
            task_id: task_id.to_string(),
            token,
        }))
    }

    /// Ends a poll in one transaction: stores its lookup row when it has one (an answer, or
    /// the failure that ended the task) and, while `lease` is still the task's, the task's
    /// new state, counting the attempt and releasing the lease. A lapsed lease writes nothing
    /// to the task (another poller owns it, or it ended); the lookup is stored all the same:
    /// a paid answer is never dropped.
    pub fn finish_poll(
        &mut self,
        lease: &Lease,
        finish: &PollFinish,
    ) -> Result<Finished, HistoryError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let lookup_id = match &finish.record {
            Some(rec) => Some(super::store::insert(&tx, rec, &super::store::new_uuid())?),
            None => None,
        };
        let n = tx.execute(
            "UPDATE phone_tasks SET state = ?2, last_poll_at = ?3, attempts = attempts + 1,
                result_json = coalesce(?4, result_json), error = ?5, lease_until = NULL,
                lease_token = NULL
             WHERE task_id = ?1 AND lease_token = ?6",
            params![
                lease.task_id,
                finish.state.as_str(),
                stamp(finish.at),
                finish
                    .record
                    .as_ref()
                    .and_then(|r| r.report.as_ref())
                    .map(|v| v.to_string()),
                finish.error,
                lease.token,
            ],
        )?;
        tx.commit()?;
        Ok(Finished {
            lookup_id,
            task_updated: n == 1,
        })
    }

    /// Stores a lookup and the phone task it created in one transaction (the task's
    /// `lookup_id` is set to the new row): a crash between the two can neither lose the task
    /// nor store the lookup twice.
    pub fn record_with_task(
        &mut self,
        rec: &LookupRecord,
        task: Option<&PhoneTaskRow>,
    ) -> Result<i64, HistoryError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = super::store::insert(&tx, rec, &super::store::new_uuid())?;
        if let Some(task) = task {
            let mut task = task.clone();
            task.lookup_id = id;
            upsert_task(&tx, &task)?;
        }
        tx.commit()?;
        Ok(id)
    }
}

/// A poll's hold on a task, from [`Store::claim_task`]: its finish counts only while the
/// token is still the task's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub task_id: String,
    pub token: String,
}

/// How a poll ended, for [`Store::finish_poll`].
#[derive(Debug, Clone)]
pub struct PollFinish {
    pub at: OffsetDateTime,
    pub state: TaskState,
    /// Why it failed or paused; while pending, what the last failed poll met.
    pub error: Option<String>,
    /// The lookup row to store with it: the answer, or the failure that ended the task.
    pub record: Option<LookupRecord>,
}

/// What [`Store::finish_poll`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Finished {
    /// The stored lookup, when the poll had one.
    pub lookup_id: Option<i64>,
    /// False when the lease had lapsed: the task was left as another poller or the expiry
    /// made it.
    pub task_updated: bool,
}

fn upsert_task(conn: &rusqlite::Connection, task: &PhoneTaskRow) -> Result<(), HistoryError> {
    let lookup_id = (task.lookup_id != 0).then_some(task.lookup_id);
    conn.execute(
        "INSERT INTO phone_tasks (task_id, lookup_id, phone_e164, submitted_at, expires_at,
            state, last_poll_at, attempts, result_json, error, sandbox, lease_until, lease_token)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, NULL, NULL)
         ON CONFLICT (task_id) DO UPDATE SET lookup_id = excluded.lookup_id,
            phone_e164 = excluded.phone_e164, submitted_at = excluded.submitted_at,
            expires_at = excluded.expires_at, state = excluded.state,
            last_poll_at = excluded.last_poll_at, attempts = excluded.attempts,
            result_json = excluded.result_json, error = excluded.error,
            sandbox = excluded.sandbox",
        params![
            task.task_id,
            lookup_id,
            task.phone_e164,
            stamp(task.submitted_at),
            stamp(task.expires_at),
            task.state.as_str(),
            task.last_poll_at.map(stamp),
            task.attempts,
            task.result.as_ref().map(|v| v.to_string()),
            task.error,
            task.sandbox,
        ],
    )?;
    Ok(())
}
