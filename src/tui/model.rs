//! The console's own view of results, tasks and history rows: what the screens draw.
//! The runtime converts the vendor client's and the store's types into these at the
//! edge, so screens never parse vendor wire formats and tests can script them.

use crate::applicant::Identity;
use crate::check::{CheckKind, Outcome};
use time::OffsetDateTime;

/// How worrying a result is, for the summary strip's colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Risk {
    Low,
    Medium,
    High,
    #[default]
    Unknown,
}

/// One readable table of a report. Two columns without a header read as "label: value".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Section {
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// A check's report as the screen shows it: a one-line gist, a risk, tables, and the
/// score on its 300–900 band when the check has one.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportView {
    pub gist: String,
    pub risk: Risk,
    pub score: Option<i64>,
    pub sections: Vec<Section>,
}

/// A vendor failure in words: what happened and what to do about it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ErrorView {
    /// The taxonomy label (`rate limited`, `unauthorized`, ...).
    pub kind: String,
    pub message: String,
    pub hint: String,
    /// The vendor's status or code, when it sent one.
    pub code: String,
}

/// One answer to one check, live or stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub check: CheckKind,
    pub outcome: Outcome,
    pub vendor_status: String,
    pub request_id: String,
    pub latency_ms: u64,
    /// The vendor's body exactly as received.
    pub raw: Vec<u8>,
    pub report: Option<ReportView>,
    pub error: Option<ErrorView>,
    /// Set while a phone check waits on its task.
    pub task_id: Option<String>,
    pub warnings: Vec<String>,
    /// The history row this answer was stored as, when it was.
    pub lookup_id: Option<i64>,
    /// Set while the answer could not be stored: shown NOT SAVED and retried in the
    /// background; written to `unsaved-*.jsonl` at quit if still not stored.
    pub unsaved: Option<NotSaved>,
    pub at: OffsetDateTime,
}

/// An answer waiting to be stored: the key the retry reports it under, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotSaved {
    pub key: u64,
    pub why: String,
}

impl Answer {
    /// A failure that never reached the vendor (store down, task lost, ...).
    pub fn local_error(
        check: CheckKind,
        message: impl Into<String>,
        hint: impl Into<String>,
        at: OffsetDateTime,
    ) -> Answer {
        Answer {
            check,
            outcome: Outcome::Error,
            vendor_status: String::new(),
            request_id: String::new(),
            latency_ms: 0,
            raw: Vec::new(),
            report: None,
            error: Some(ErrorView {
                kind: "local".into(),
                message: message.into(),
                hint: hint.into(),
                code: String::new(),
            }),
            task_id: None,
            warnings: Vec::new(),
            lookup_id: None,
            unsaved: None,
            at,
        }
    }

    pub fn risk(&self) -> Risk {
        match self.outcome {
            Outcome::Ok => self.report.as_ref().map(|r| r.risk).unwrap_or_default(),
            Outcome::NotHit => Risk::Low,
            _ => Risk::Unknown,
        }
    }
}

/// Where a phone task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    Pending,
    /// The vendor refused the credentials: not polled until resumed (restart the console, or
    /// `riskdesk tasks --resume`, once the config is fixed).
    Paused,
    Done,
    Failed,
    Expired,
}

impl TaskStatus {
    pub fn label(self) -> &'static str {
        match self {
            TaskStatus::Pending => "pending",
            TaskStatus::Paused => "paused",
            TaskStatus::Done => "done",
            TaskStatus::Failed => "failed",
            TaskStatus::Expired => "expired",
        }
    }
}

/// A phone task as the tasks panel shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskView {
    pub task_id: String,
    /// E.164, as stored; masked on screen unless revealed.
    pub phone: String,
    pub created_at: OffsetDateTime,
    pub attempts: u32,
    pub next_poll_at: OffsetDateTime,
    pub status: TaskStatus,
    /// Why it failed, expired or is paused.
    pub reason: String,
    /// Who submitted it: the OS user of the lookup that created it (a team's tasks come
    /// from several desks); empty when not known.
    pub submitter: String,
}

/// What a poll of one task came back with.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskUpdate {
    pub task: TaskView,
    /// The lookup the poll produced (the finished phone status, or the failure).
    pub answer: Option<Answer>,
}

/// A history search: free text over phone / ID / name / request id, plus filters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HistoryQuery {
    pub text: String,
    pub check: Option<CheckKind>,
    pub outcome: Option<Outcome>,
    pub since: Option<OffsetDateTime>,
    pub limit: usize,
}

/// One line of the history list.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRow {
    pub id: i64,
    pub at: OffsetDateTime,
    pub check: CheckKind,
    pub outcome: Outcome,
    pub phone: String,
    pub id_number: String,
    pub name: String,
    pub request_id: String,
    pub sandbox: bool,
    pub operator: String,
}

/// A past lookup opened from history, exactly as it was stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredLookup {
    pub row: HistoryRow,
    pub identity: Identity,
    pub answer: Answer,
    /// The request fields as sent (secrets never stored), for re-running with the same options.
    pub request: serde_json::Map<String, serde_json::Value>,
}
