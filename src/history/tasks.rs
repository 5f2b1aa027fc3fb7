//! Phone tasks: stored so they survive restarts; leased so two processes never poll one
//! task at once.

use super::keys::stamp;
use super::rows::{self, TASK_COLUMNS};
use super::{HistoryError, PhoneTaskRow, Store, TaskState};
use rusqlite::{TransactionBehavior, params};
use std::time::Duration;
use time::OffsetDateTime;

impl Store {
    /// Stores a task (or replaces the one with the same id: the vendor's ids are unique).
    pub fn add_task(&mut self, task: &PhoneTaskRow) -> Result<(), HistoryError> {
        let lookup_id = (task.lookup_id != 0).then_some(task.lookup_id);
        self.conn.execute(
            "INSERT INTO phone_tasks (task_id, lookup_id, phone_e164, submitted_at, expires_at,
                state, last_poll_at, attempts, result_json, error, sandbox, lease_until)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, NULL)
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
        Ok(self.expire_tasks_listed(now)?.len())
    }

    /// As [`Store::expire_tasks`], returning the tasks it marked (as they are now stored), so
    /// that whoever resumes tasks can say which ones lapsed.
    pub fn expire_tasks_listed(
        &mut self,
        now: OffsetDateTime,
    ) -> Result<Vec<PhoneTaskRow>, HistoryError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let ids: Vec<String> = {
            let mut st = tx.prepare_cached(
                "UPDATE phone_tasks SET state = 'expired', lease_until = NULL
                 WHERE state IN ('pending', 'paused') AND expires_at <= ?1
                 RETURNING task_id",
            )?;
            st.query_map([stamp(now)], |r| r.get(0))?
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

    /// Takes the poll lease on a task: true only when the task is open (pending, or paused:
    /// claiming a paused task resumes it, back to pending), unexpired and no other poll (in
    /// this or another process) holds an unexpired lease. One UPDATE under SQLite's write
    /// lock, so two claimants can never both win.
    pub fn claim_task(
        &mut self,
        task_id: &str,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<bool, HistoryError> {
        let lease = time::Duration::try_from(lease).unwrap_or(time::Duration::DAY);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let n = tx.execute(
            "UPDATE phone_tasks SET lease_until = ?2, state = 'pending'
             WHERE task_id = ?1 AND state IN ('pending', 'paused') AND expires_at > ?3
               AND (lease_until IS NULL OR lease_until <= ?3)",
            params![task_id, stamp(now + lease), stamp(now)],
        )?;
        tx.commit()?;
        Ok(n == 1)
    }

    /// Records a poll's result, counts the attempt and releases the lease.
    pub fn finish_poll(
        &mut self,
        task_id: &str,
        now: OffsetDateTime,
        state: TaskState,
        result: Option<&serde_json::Value>,
        error: Option<&str>,
    ) -> Result<(), HistoryError> {
        self.conn.execute(
            "UPDATE phone_tasks SET state = ?2, last_poll_at = ?3, attempts = attempts + 1,
                result_json = coalesce(?4, result_json), error = ?5, lease_until = NULL
             WHERE task_id = ?1",
            params![
                task_id,
                state.as_str(),
                stamp(now),
                result.map(|v| v.to_string()),
                error,
            ],
        )?;
        Ok(())
    }
}
