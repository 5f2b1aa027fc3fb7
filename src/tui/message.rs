//! What flows into `App::update` and what comes out of it.

use super::case_file::CaseFile;
use super::layout::Laid;
use super::model::{Answer, HistoryQuery, HistoryRow, StoredLookup, TaskUpdate, TaskView};
use crate::applicant::{Identity, VendorRequest};
use crate::check::CheckKind;
use crate::history::case::CaseKey;
use crossterm::event::{KeyEvent, MouseEvent};
use std::path::PathBuf;
use time::OffsetDateTime;

/// Everything that can change the console's state, from the terminal or from a task.
#[derive(Debug, Clone)]
pub enum Message {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    Paste(String),
    /// What the last draw laid out (click targets, how far panes scroll), handed back.
    Laid(Box<Laid>),
    /// The stored-result lookup that precedes a paid call came back.
    RecentFound {
        run_id: u64,
        found: Result<Option<Box<Answer>>, String>,
    },
    /// A vendor answered a check (or the call failed).
    CheckAnswered {
        run_id: u64,
        answer: Box<Answer>,
    },
    /// Pending phone tasks as stored, at start.
    TasksLoaded(Result<Vec<TaskView>, String>),
    /// One poll of one phone task finished.
    TaskPolled {
        task_id: String,
        update: Result<Box<TaskUpdate>, String>,
    },
    SearchResults {
        seq: u64,
        rows: Result<Vec<HistoryRow>, String>,
    },
    /// A stored lookup opened; `not_logged` says why its access-log row could not be written.
    LookupOpened {
        lookup: Result<Box<StoredLookup>, String>,
        not_logged: Option<String>,
    },
    Exported(Result<PathBuf, String>),
    /// An applicant's case gathered (latest wins by `seq`); `not_logged` says why its
    /// access-log row could not be written.
    CaseGathered {
        seq: u64,
        case: Result<Box<CaseFile>, String>,
        not_logged: Option<String>,
    },
    /// The background retry of answers not saved: those now stored (key, lookup id), and
    /// why the next one still failed.
    UnsavedRetried {
        saved: Vec<(u64, i64)>,
        error: Option<String>,
    },
    /// Time passed; sent only while something animates or waits.
    Tick,
}

/// I/O the runtime performs on the app's behalf; each result comes back as a `Message`.
#[derive(Debug, Clone)]
pub enum Command {
    /// Look for the same check on the same identifiers since `since` (the re-run window).
    FindRecent {
        run_id: u64,
        check: CheckKind,
        identity: Identity,
        since: OffsetDateTime,
    },
    /// Call the vendor (and record the lookup, with the form's Purpose as it was asked).
    RunCheck {
        run_id: u64,
        request: VendorRequest,
        purpose: Option<String>,
    },
    LoadTasks,
    PollTask {
        task_id: String,
    },
    /// Latest wins: the runtime drops any older search still running.
    Search {
        seq: u64,
        query: HistoryQuery,
    },
    /// Read one stored lookup and log the access (action `open`, with the form's Purpose).
    OpenLookup {
        id: i64,
        purpose: Option<String>,
    },
    ExportLookup {
        id: i64,
    },
    /// Gather the case of the applicant these keys name (together: every lookup sharing the
    /// phone or the ID number) and log the access (action `case`, with the form's Purpose).
    /// Latest wins: the runtime drops an older gather still running.
    GatherCase {
        seq: u64,
        keys: Vec<CaseKey>,
        purpose: Option<String>,
    },
    /// Try again to store the answers shown NOT SAVED.
    RetryUnsaved,
    /// Put text on the clipboard through OSC 52.
    Copy(String),
    Quit,
}
