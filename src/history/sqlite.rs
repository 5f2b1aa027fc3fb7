//! The embedded backend: one SQLite file per desk (the default). [`Store`] holds the
//! connection and does the work; this wraps it behind the [`History`] interface, one
//! connection per `SqliteHistory`, used by one caller at a time.

use super::api::{ExportItem, History, Inserted, KeyQuery, Resumable};
use super::{
    AccessEntry, AccessQuery, Cursor, ExportStats, Finished, HistoryError, Lease, LookupRecord,
    LookupSummary, PhoneTaskRow, PollFinish, Purged, SearchPage, SearchQuery, Store,
};
use crate::applicant::Identity;
use crate::check::CheckKind;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// How long opening keeps trying while another process holds the file: a fresh file being
/// switched to WAL or migrated makes SQLite answer "locked" at once, without waiting.
const OPEN_PATIENCE: Duration = Duration::from_secs(20);

pub struct SqliteHistory {
    path: PathBuf,
    store: Mutex<Store>,
}

impl std::fmt::Debug for SqliteHistory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteHistory")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteHistory {
    /// Opens (creating and migrating if needed) the file at `path`, retrying for a while when
    /// another process holds it. Opening never writes a lookup and never purges: retention
    /// is for writing commands ([`Store::apply_retention`]).
    pub fn open(path: &Path) -> Result<SqliteHistory, HistoryError> {
        let started = Instant::now();
        let mut wait = Duration::from_millis(20);
        loop {
            match Store::open(path) {
                Ok(store) => {
                    return Ok(SqliteHistory {
                        path: path.to_path_buf(),
                        store: Mutex::new(store),
                    });
                }
                Err(e) if e.is_busy() && started.elapsed() < OPEN_PATIENCE => {
                    std::thread::sleep(wait + Duration::from_millis(rand::random::<u64>() % 20));
                    wait = (wait * 2).min(Duration::from_millis(500));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// `data_dir/history.db`.
    pub fn open_in_data_dir(data_dir: &Path) -> Result<SqliteHistory, HistoryError> {
        SqliteHistory::open(&data_dir.join("history.db"))
    }

    /// SQLite-only maintenance (integrity check, optimize, retention at start, benches).
    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        f(&mut self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl History for SqliteHistory {
    fn describe(&self) -> String {
        self.path.display().to_string()
    }

    fn record(&self, rec: &LookupRecord, task: Option<&PhoneTaskRow>) -> Result<i64, HistoryError> {
        self.lock().record_with_task(rec, task)
    }

    fn get(&self, id: i64) -> Result<Option<LookupRecord>, HistoryError> {
        self.lock().get(id)
    }

    fn uuid_of(&self, id: i64) -> Result<Option<String>, HistoryError> {
        self.lock().uuid_of(id)
    }

    fn id_of_uuid(&self, uuid: &str) -> Result<Option<i64>, HistoryError> {
        self.lock().id_of_uuid(uuid)
    }

    fn search(&self, q: &SearchQuery) -> Result<SearchPage, HistoryError> {
        self.lock().search(q)
    }

    fn cursor_for(&self, id: i64) -> Result<Option<Cursor>, HistoryError> {
        self.lock().cursor_for(id)
    }

    fn latest_for(
        &self,
        check: CheckKind,
        identity: &Identity,
        since: OffsetDateTime,
    ) -> Result<Option<LookupSummary>, HistoryError> {
        self.lock().latest_for(check, identity, since)
    }

    fn ids_by_keys(&self, q: &KeyQuery) -> Result<(Vec<i64>, bool), HistoryError> {
        self.lock().ids_by_keys(q)
    }

    fn get_many_for_case(&self, ids: &[i64]) -> Result<Vec<(LookupRecord, String)>, HistoryError> {
        self.lock().get_many_for_case(ids)
    }

    fn for_each(
        &self,
        q: &SearchQuery,
        f: &mut dyn FnMut(ExportItem) -> Result<(), HistoryError>,
    ) -> Result<ExportStats, HistoryError> {
        self.lock().for_each_item(q, f)
    }

    fn insert_absent(&self, batch: &[(LookupRecord, String)]) -> Result<Inserted, HistoryError> {
        self.lock().insert_absent(batch)
    }

    fn purge(&self, cutoff: OffsetDateTime) -> Result<Purged, HistoryError> {
        self.lock().purge_before(cutoff)
    }

    fn optimize(&self) -> Result<(), HistoryError> {
        self.lock().optimize()
    }

    fn add_task(&self, task: &PhoneTaskRow) -> Result<(), HistoryError> {
        self.lock().add_task(task)
    }

    fn task(&self, task_id: &str) -> Result<Option<PhoneTaskRow>, HistoryError> {
        self.lock().task(task_id)
    }

    fn open_tasks(&self) -> Result<Vec<PhoneTaskRow>, HistoryError> {
        self.lock().pending_tasks()
    }

    fn resumable(&self, now: OffsetDateTime, sandbox: bool) -> Result<Resumable, HistoryError> {
        let mut s = self.lock();
        let lapsed = s.expire_tasks_listed(now, Some(sandbox))?;
        let tasks = s
            .pending_tasks()?
            .into_iter()
            .filter(|t| t.sandbox == sandbox && t.expires_at > now)
            .collect();
        Ok(Resumable { tasks, lapsed })
    }

    fn claim(
        &self,
        task_id: &str,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Option<Lease>, HistoryError> {
        self.lock().claim_task(task_id, now, lease)
    }

    fn claim_unpolled(
        &self,
        task_id: &str,
        seen_attempts: u32,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Option<Lease>, HistoryError> {
        // One UPDATE under the write lock: two consoles on one file never both win.
        self.lock()
            .claim_task_if(task_id, Some(seen_attempts), now, lease)
    }

    fn finish(&self, lease: &Lease, finish: &PollFinish) -> Result<Finished, HistoryError> {
        self.lock().finish_poll(lease, finish)
    }

    fn log_access(&self, entry: &AccessEntry) -> Result<i64, HistoryError> {
        self.lock().log_access(entry)
    }

    fn access(&self, q: &AccessQuery) -> Result<Vec<AccessEntry>, HistoryError> {
        self.lock().access(q)
    }
}
