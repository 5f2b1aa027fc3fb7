//! The local history: every lookup and every phone task, in one SQLite file.
//!
//! The rest of the program sees only [`Store`] and the plain types below, so that a shared
//! backend (PostgreSQL) can replace SQLite later without the screens changing.

mod access;
pub mod api;
mod by_keys;
pub mod case;
pub mod cli;
mod exchange;
mod keys;
mod open;
pub mod pg;
mod rows;
mod schema;
mod search;
mod show;
mod sqlite;
mod store;
mod tasks;
mod unsaved;

pub use access::{AccessEntry, AccessQuery};
pub use api::{ExportItem, History, Inserted, KeyQuery, Resumable, SharedHistory, run_blocking};
pub use exchange::{ExportFormat, ExportStats, IMPORT_BATCH, ImportStats, export, import_jsonl};
pub use keys::{fold_text, id_key, parse_uuid, phone_candidates, phone_nsn, to_stored_precision};
pub use open::{HISTORY_URL_ENV, open_configured, team_url};
pub use pg::PgHistory;
pub use show::{LookupFiles, export_lookup_files, write_record};
pub use sqlite::SqliteHistory;
pub use store::{Purged, Store};
pub use tasks::{Finished, Lease, PollFinish};
pub use unsaved::write_unsaved;

use crate::applicant::Identity;
use crate::check::{CheckKind, Outcome};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One row per check run (ok, not_hit, pending, error, skipped).
#[derive(Debug, Clone, PartialEq)]
pub struct LookupRecord {
    /// 0 when not yet stored.
    pub id: i64,
    /// UTC; stored with microsecond precision.
    pub created_at: OffsetDateTime,
    /// The OS user who ran the check.
    pub operator: String,
    /// Why the applicant was looked up ("application 8841", "complaint 1234"), when given.
    pub purpose: Option<String>,
    pub sandbox: bool,
    pub check: CheckKind,
    /// Normalized identifiers (phone in E.164 etc.).
    pub identity: Identity,
    /// The request as sent, secrets removed (the store strips secret-named keys again).
    pub request: serde_json::Value,
    pub http_status: Option<u16>,
    /// Vendor status or code as sent ("OK", "NOT_HIT", "200", "9061"...).
    pub vendor_status: Option<String>,
    /// request_id / sequence_id.
    pub vendor_request_id: Option<String>,
    pub outcome: Outcome,
    pub error_kind: Option<String>,
    pub error_message: Option<String>,
    pub latency_ms: u64,
    /// The vendor's body byte for byte.
    pub raw_response: Vec<u8>,
    /// The normalized report as JSON.
    pub report: Option<serde_json::Value>,
    /// Phone-status task id when one was issued.
    pub task_id: Option<String>,
    /// Every request sent for this lookup, in order (empty on rows stored before they were
    /// recorded).
    pub attempts: Vec<crate::vendor::Attempt>,
}

/// What a list shows: no request, no raw body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LookupSummary {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub check: CheckKind,
    pub outcome: Outcome,
    pub phone_e164: String,
    pub name: String,
    pub id_number: String,
    pub country: String,
    pub vendor_status: Option<String>,
    pub vendor_request_id: Option<String>,
    pub sandbox: bool,
    pub latency_ms: u64,
}

/// The position after the last row of a page: rows strictly older than this come next.
/// It is the last row *read*, readable or not, so one unreadable row never ends paging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The Unix epoch when the row's stored time is unreadable.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    pub id: i64,
    /// The time exactly as stored, when known: rows are ordered by it, and a hand-edited
    /// row's may not be in the store's own spelling.
    #[serde(skip)]
    pub(crate) stored: Option<String>,
}

impl Cursor {
    /// Rows strictly older than (`created_at`, `id`) come next.
    pub fn new(created_at: OffsetDateTime, id: i64) -> Cursor {
        Cursor {
            created_at,
            id,
            stored: None,
        }
    }
}

/// A history search. Results come newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    /// Free text: phone in any format, id number, request id, task id or name substring;
    /// empty = all.
    pub text: String,
    pub check: Option<CheckKind>,
    pub outcome: Option<Outcome>,
    /// First day included (UTC).
    pub since: Option<time::Date>,
    /// Last day included (UTC).
    pub until: Option<time::Date>,
    /// Rows per page; 0 means the default, and it is capped at [`MAX_LIMIT`].
    pub limit: usize,
    /// Keyset paging: the `next` of the previous page.
    pub before: Option<Cursor>,
}

/// Where, beside the database, the console writes one lookup's export for a ticket
/// ([`Store::export_lookup_files`]); a purge deletes the exports of what it purged.
pub const EXPORTS_DIR: &str = "exports";

/// Page size when a query gives none.
pub const DEFAULT_LIMIT: usize = 50;
/// No page is larger than this, whatever is asked.
pub const MAX_LIMIT: usize = 10_000;

impl Default for SearchQuery {
    fn default() -> Self {
        SearchQuery {
            text: String::new(),
            check: None,
            outcome: None,
            since: None,
            until: None,
            limit: DEFAULT_LIMIT,
            before: None,
        }
    }
}

impl SearchQuery {
    /// Every row, newest first, one default page.
    pub fn all() -> Self {
        Self::default()
    }

    /// A free-text search with the default page size.
    pub fn text(text: impl Into<String>) -> Self {
        SearchQuery {
            text: text.into(),
            ..Self::default()
        }
    }

    pub(crate) fn effective_limit(&self) -> usize {
        match self.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SearchPage {
    pub rows: Vec<LookupSummary>,
    /// Present when more rows may follow; pass it as `before`.
    pub next: Option<Cursor>,
    /// The search stopped before filling the page: a name fragment that is very common or
    /// very short, with filters that exclude most of its rows, is looked for in at most
    /// [`NAME_SCAN_BOUND`] rows per page. More matches may follow at `next`; a narrower search
    /// (more letters, a date range) answers at once.
    pub incomplete: bool,
}

/// How many rows, newest first, one page of a name scan examines at most (the scan reads
/// only index entries: about a millisecond per 10,000 on the benchmark box).
pub const NAME_SCAN_BOUND: i64 = 20_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    Pending,
    /// Credentials were refused while polling (the reason is in `error`): not polled until
    /// resumed (`riskdesk tasks --resume`, or the console at start) after the config is fixed.
    Paused,
    Done,
    Failed,
    Expired,
}

impl TaskState {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Pending => "pending",
            TaskState::Paused => "paused",
            TaskState::Done => "done",
            TaskState::Failed => "failed",
            TaskState::Expired => "expired",
        }
    }

    /// Lenient: an unknown spelling in a row reads as `None`, never a panic.
    pub fn parse(s: &str) -> Option<TaskState> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pending" => Some(TaskState::Pending),
            "paused" => Some(TaskState::Paused),
            "done" => Some(TaskState::Done),
            "failed" => Some(TaskState::Failed),
            "expired" => Some(TaskState::Expired),
            _ => None,
        }
    }

    /// Still to be polled: pending, or paused until resumed.
    pub fn is_open(self) -> bool {
        matches!(self, TaskState::Pending | TaskState::Paused)
    }
}

impl std::fmt::Display for TaskState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A phone-status task: submitted, polled until done, failed or expired (24 h); paused
/// while the vendor refuses the credentials.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhoneTaskRow {
    pub task_id: String,
    /// The lookup that submitted it (0 when that lookup was not stored).
    pub lookup_id: i64,
    pub phone_e164: String,
    #[serde(with = "time::serde::rfc3339")]
    pub submitted_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub state: TaskState,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_poll_at: Option<OffsetDateTime>,
    pub attempts: u32,
    pub result: Option<serde_json::Value>,
    /// Why it failed or is paused; while pending, what the last poll that failed said.
    pub error: Option<String>,
    pub sandbox: bool,
}

/// How long the vendor keeps a phone task.
pub const TASK_LIFETIME: time::Duration = time::Duration::hours(24);

#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The store could not be opened. `busy`: another process held it (worth retrying).
    #[error("history database {path}: {message}")]
    Open {
        path: String,
        message: String,
        busy: bool,
    },
    #[error("history data dir {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The backend failed (SQLite's or PostgreSQL's words). `busy`: locked by another
    /// writer for longer than the store waits (worth retrying later).
    #[error("history database: {message}")]
    Backend { message: String, busy: bool },
    #[error(
        "history database has schema version {found}, newer than this riskdesk knows ({known}): upgrade riskdesk"
    )]
    NewerSchema { found: i64, known: i64 },
    #[error("history row {id}: {message}")]
    BadRow { id: i64, message: String },
    #[error("history export: {0}")]
    Write(String),
    #[error("history import: {0}")]
    Read(String),
}

impl HistoryError {
    /// Another writer held the store: the same write may well succeed in a moment.
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            HistoryError::Open { busy: true, .. } | HistoryError::Backend { busy: true, .. }
        )
    }
}
