//! The store interface: what the console, the CLI and the phone-task poller ask of a
//! history, whatever keeps it (SQLite for one desk, PostgreSQL for a team). Its behaviour is
//! pinned by one conformance suite (`tests/history_conformance.rs`) that every backend runs.
//!
//! Methods block: callers on the async runtime go through [`run_blocking`]. A backend that
//! talks to a server asynchronously does so on its own runtime, never on the caller's.

use super::{
    AccessEntry, AccessQuery, Cursor, ExportStats, Finished, HistoryError, Lease, LookupRecord,
    LookupSummary, PhoneTaskRow, PollFinish, Purged, SearchPage, SearchQuery,
};
use crate::applicant::Identity;
use crate::check::CheckKind;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// One matching lookup, read for export ([`History::for_each`]).
#[derive(Debug, Clone)]
pub enum ExportItem {
    /// A lookup and its uuid.
    Record(Box<LookupRecord>, String),
    /// A row whose check or outcome this build does not know (a newer riskdesk wrote it):
    /// the export line built from its stored columns, with an `as_stored` reason.
    AsStored(serde_json::Value),
    /// A row that cannot be read at all: left out, and said.
    Unreadable { id: i64, why: String },
}

/// What one [`History::insert_absent`] batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Inserted {
    pub added: usize,
    /// Already present (same uuid).
    pub duplicates: usize,
}

/// The rows of one applicant, named by the keys the store indexes: phone keys (national
/// significant numbers, as `phone_nsn` holds them) and ID-number keys (`id_key`), within
/// `since..=until` (UTC days). Read by [`History::ids_by_keys`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyQuery {
    pub phone_nsns: Vec<String>,
    pub id_keys: Vec<String>,
    pub since: Option<time::Date>,
    pub until: Option<time::Date>,
    /// At most this many ids.
    pub limit: usize,
}

/// The open tasks a session can pick up, and the ones found lapsed on the way.
#[derive(Debug, Clone, Default)]
pub struct Resumable {
    /// Pending or paused, unexpired, of the asked kind (sandbox or not), oldest first.
    pub tasks: Vec<PhoneTaskRow>,
    /// Of that kind, whose 24 hours had run out: now stored expired.
    pub lapsed: Vec<PhoneTaskRow>,
}

/// A history of lookups and phone tasks.
pub trait History: Send + Sync {
    /// Where it lives, for messages (a path, or a server without its password).
    fn describe(&self) -> String;

    /// Stores a lookup — and the phone task it created, in the same transaction (its
    /// `lookup_id` set to the new row) — durably before returning the new id.
    fn record(&self, rec: &LookupRecord, task: Option<&PhoneTaskRow>) -> Result<i64, HistoryError>;
    fn get(&self, id: i64) -> Result<Option<LookupRecord>, HistoryError>;
    /// The lookup's identity across stores (exports, imports, file names).
    fn uuid_of(&self, id: i64) -> Result<Option<String>, HistoryError>;
    /// The id of the lookup with this uuid (lowercase and hyphenated, as [`History::uuid_of`]
    /// spells it: see [`super::parse_uuid`]).
    fn id_of_uuid(&self, uuid: &str) -> Result<Option<i64>, HistoryError>;
    /// A page, newest first; always bounded.
    fn search(&self, q: &SearchQuery) -> Result<SearchPage, HistoryError>;
    /// The paging position of a stored row (for `--before ID`), read or not.
    fn cursor_for(&self, id: i64) -> Result<Option<Cursor>, HistoryError>;
    /// The newest lookup of `check` for this applicant (same phone and ID number; an
    /// identity with neither matches nothing) since `since`.
    fn latest_for(
        &self,
        check: CheckKind,
        identity: &Identity,
        since: OffsetDateTime,
    ) -> Result<Option<LookupSummary>, HistoryError>;
    /// The ids of the lookups whose phone key or ID-number key is one of `q`'s (empty keys
    /// match nothing), created within its days, newest first: at most `q.limit`, and
    /// whether more matched. Reads the key indexes only (an applicant's case).
    fn ids_by_keys(&self, q: &KeyQuery) -> Result<(Vec<i64>, bool), HistoryError>;
    /// These lookups as a case reads them, with their uuids, in the order given: whole but
    /// for the request sent and the vendor's raw response body, which are left empty
    /// (`request` null, `raw_response` empty; [`History::get`] has them): a case never
    /// shows them, and a thousand of them cost time and memory to read. Ids not stored and
    /// rows this riskdesk cannot read are left out.
    fn get_many_for_case(&self, ids: &[i64]) -> Result<Vec<(LookupRecord, String)>, HistoryError>;
    /// Every lookup matching `q` (its limit and cursor ignored), newest first, to `f`; an
    /// unreadable row is an [`ExportItem::Unreadable`] and the walk goes on.
    fn for_each(
        &self,
        q: &SearchQuery,
        f: &mut dyn FnMut(ExportItem) -> Result<(), HistoryError>,
    ) -> Result<ExportStats, HistoryError>;
    /// Stores each `(record, uuid)` whose uuid is not stored yet, with a new id, in one
    /// transaction: callers keep batches small so other writers are never starved.
    fn insert_absent(&self, batch: &[(LookupRecord, String)]) -> Result<Inserted, HistoryError>;
    /// Erases lookups created before `cutoff` and the tasks of that age, from every file.
    fn purge(&self, cutoff: OffsetDateTime) -> Result<Purged, HistoryError>;
    /// Housekeeping after a large write (an import): may do nothing.
    fn optimize(&self) -> Result<(), HistoryError>;

    /// Stores a task alone (or replaces the one with its id).
    fn add_task(&self, task: &PhoneTaskRow) -> Result<(), HistoryError>;
    fn task(&self, task_id: &str) -> Result<Option<PhoneTaskRow>, HistoryError>;
    /// Every open (pending or paused) task, oldest first, expired or not.
    fn open_tasks(&self) -> Result<Vec<PhoneTaskRow>, HistoryError>;
    /// Marks open tasks past their 24 hours expired, then answers the open ones of this kind
    /// (`sandbox` or not) and those that just lapsed.
    fn resumable(&self, now: OffsetDateTime, sandbox: bool) -> Result<Resumable, HistoryError>;
    /// The poll lease on an open, unexpired, unleased task; `None` when another holds it.
    fn claim(
        &self,
        task_id: &str,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Option<Lease>, HistoryError>;
    /// [`History::claim`], only while nobody has polled the task since the caller read it
    /// (its stored `attempts` is still `seen_attempts`): a desk following a task on its own
    /// schedule never polls again a due time another desk has just polled. The default
    /// reads, then claims; a backend shared by several machines does both in one statement.
    fn claim_unpolled(
        &self,
        task_id: &str,
        seen_attempts: u32,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Option<Lease>, HistoryError> {
        match self.task(task_id)? {
            Some(t) if t.attempts == seen_attempts => self.claim(task_id, now, lease),
            _ => Ok(None),
        }
    }
    /// Ends a poll: its lookup row (if any) and, while the lease is current, the task's new
    /// state, in one transaction.
    fn finish(&self, lease: &Lease, finish: &PollFinish) -> Result<Finished, HistoryError>;

    /// Adds a row to the access log (viewing is recorded: `history show`, `history export`,
    /// the console's lookup and case views); returns its id. Append-only on PostgreSQL,
    /// where the server stamps who (`session_user`) and when.
    fn log_access(&self, entry: &AccessEntry) -> Result<i64, HistoryError>;
    /// Access rows matching `q`, newest first, at most its limit.
    fn access(&self, q: &AccessQuery) -> Result<Vec<AccessEntry>, HistoryError>;

    /// Whether this session may record lookups: `None` when it may, else why not (which
    /// role it needs), so a desk that may not is told before any paid request is sent.
    fn may_record(&self) -> Result<Option<String>, HistoryError> {
        Ok(None)
    }

    /// Who stored lookup `id` in the database's own words, when the backend knows better
    /// than the client (PostgreSQL: the session's role, set by the server); `None` where
    /// the record's `operator` (the OS user) is all there is (SQLite).
    fn operator_role(&self, id: i64) -> Result<Option<String>, HistoryError> {
        let _ = id;
        Ok(None)
    }
    /// [`History::operator_role`] of many lookups at once (a case): the ids the backend
    /// knows a role for; empty where the OS user is all there is (SQLite).
    fn operator_roles(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, String>, HistoryError> {
        let _ = ids;
        Ok(std::collections::HashMap::new())
    }
}

/// A history shared by the tasks of a process.
pub type SharedHistory = Arc<dyn History>;

/// Runs `f` against `history` on the blocking pool, off the async runtime's threads.
pub async fn run_blocking<T: Send + 'static>(
    history: &SharedHistory,
    f: impl FnOnce(&dyn History) -> Result<T, HistoryError> + Send + 'static,
) -> Result<T, HistoryError> {
    let h = history.clone();
    tokio::task::spawn_blocking(move || f(&*h))
        .await
        .map_err(|e| HistoryError::Backend {
            message: format!("history task failed: {e}"),
            busy: false,
        })?
}
