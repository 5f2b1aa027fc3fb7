//! The console's services over the real layers: the shared vendor client and the history
//! store. Each method is one `Command`'s I/O and yields the `Message` that reports it.
//! The store opens lazily in the background (the first frame never waits on it), with a
//! separate read connection for searches so typing never queues behind a write.

use super::case_file::case_file;
use super::convert::{answer_from_result, history_row, search_query, stored_lookup, task_view};
use super::message::Message;
use super::model::{Answer, HistoryQuery, NotSaved, TaskStatus, TaskUpdate, TaskView};
use crate::applicant::{Identity, VendorRequest};
use crate::check::{CheckKind, Outcome};
use crate::history::case::CaseKey;
use crate::history::{
    AccessEntry, LookupRecord, PhoneTaskRow, SharedHistory, TaskState, run_blocking,
};
use crate::lookup::{Origin, record_from_result};
use crate::phone_tasks::{
    PollGate, TaskPoll, expired_error, new_task, poll_task, resume, resume_jitter,
};
use crate::vendor::{CheckResult, ErrorKind, VendorClient};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;

/// An answer history could not store yet: retried in the background, written to
/// `<data dir>/unsaved-*.jsonl` at quit if it still could not be stored.
#[derive(Debug, Clone)]
struct Unsaved {
    key: u64,
    rec: LookupRecord,
    task: Option<PhoneTaskRow>,
}

#[derive(Clone)]
pub struct Live {
    client: VendorClient,
    /// The phone-status host's gate, shared with every other poller in the process.
    gate: Arc<PollGate>,
    data_dir: PathBuf,
    origin: Origin,
    retention: crate::config::HistoryConfig,
    /// The writing connection, once it opened. A failed open is not kept: the next write
    /// tries again (one locked moment at start must not disable saving for the session).
    writer: Arc<tokio::sync::Mutex<Option<SharedHistory>>>,
    /// A second connection for searches and reads, so typing never queues behind a write.
    reader: Arc<tokio::sync::Mutex<Option<SharedHistory>>>,
    unsaved: Arc<Mutex<Vec<Unsaved>>>,
    next_key: Arc<std::sync::atomic::AtomicU64>,
}

impl Live {
    pub fn new(
        client: VendorClient,
        gate: Arc<PollGate>,
        data_dir: PathBuf,
        origin: Origin,
        retention: crate::config::HistoryConfig,
    ) -> Live {
        Live {
            client,
            gate,
            data_dir,
            origin,
            retention,
            writer: Arc::new(tokio::sync::Mutex::new(None)),
            reader: Arc::new(tokio::sync::Mutex::new(None)),
            unsaved: Arc::new(Mutex::new(Vec::new())),
            next_key: Arc::new(std::sync::atomic::AtomicU64::new(1)),
        }
    }

    async fn open(
        &self,
        cell: &tokio::sync::Mutex<Option<SharedHistory>>,
        writing: bool,
    ) -> Result<SharedHistory, String> {
        let mut slot = cell.lock().await;
        if let Some(h) = slot.as_ref() {
            return Ok(h.clone());
        }
        let dir = self.data_dir.clone();
        let cfg = self.retention.clone();
        let user = self.origin.operator.clone();
        let history: SharedHistory =
            tokio::task::spawn_blocking(move || crate::history::open_configured(&cfg, &dir, &user))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
        *slot = Some(history.clone());
        if writing && let Some(days) = self.retention.retain_days {
            // Retention in the background: the first save never waits on a purge.
            let h = history.clone();
            tokio::spawn(async move {
                let now = OffsetDateTime::now_utc();
                let Some(cutoff) = now.checked_sub(time::Duration::days(i64::from(days))) else {
                    return;
                };
                match run_blocking(&h, move |h| h.purge(cutoff)).await {
                    Ok(p) => tracing::info!(
                        lookups = p.lookups,
                        tasks = p.tasks,
                        "history retention applied"
                    ),
                    Err(e) => {
                        tracing::warn!("history retention failed (tried again next start): {e}")
                    }
                }
            });
        }
        Ok(history)
    }

    async fn store(&self) -> Result<SharedHistory, String> {
        self.open(&self.writer, true).await
    }

    async fn reading(&self) -> Result<SharedHistory, String> {
        self.open(&self.reader, false).await
    }

    pub async fn find_recent(
        &self,
        run_id: u64,
        check: CheckKind,
        identity: Identity,
        since: OffsetDateTime,
    ) -> Message {
        let found = async {
            let store = self.reading().await?;
            run_blocking(&store, move |s| {
                let Some(summary) = s.latest_for(check, &identity, since)? else {
                    return Ok(None);
                };
                let rec = s.get(summary.id)?;
                Ok(rec.map(|r| Box::new(stored_lookup(&r).answer)))
            })
            .await
            .map_err(|e| e.to_string())
        }
        .await;
        Message::RecentFound { run_id, found }
    }

    /// Calls the vendor, records the lookup (and the phone task when one was issued) in one
    /// transaction. An answer that could not be stored is shown NOT SAVED and kept for the
    /// background retry.
    pub async fn run_check(
        &self,
        run_id: u64,
        request: VendorRequest,
        purpose: Option<String>,
    ) -> Message {
        let result = self.client.run(&request).await;
        let at = OffsetDateTime::now_utc();
        let origin = Origin {
            purpose,
            ..self.origin.clone()
        };
        let mut rec = record_from_result(&result, &request.identity, &origin);
        rec.created_at = at;
        let task = (result.outcome == Outcome::Pending)
            .then(|| {
                new_task(
                    &result,
                    0,
                    &request.identity.phone_e164,
                    self.origin.sandbox,
                    at,
                )
            })
            .flatten();
        let mut answer = answer_from_result(&result, None, at);
        match self.save(rec.clone(), task.clone()).await {
            Ok(id) => answer.lookup_id = Some(id),
            Err(why) => answer.unsaved = Some(self.keep(rec, task, why)),
        }
        Message::CheckAnswered {
            run_id,
            answer: Box::new(answer),
        }
    }

    async fn save(&self, rec: LookupRecord, task: Option<PhoneTaskRow>) -> Result<i64, String> {
        let store = self.store().await?;
        run_blocking(&store, move |s| s.record(&rec, task.as_ref()))
            .await
            .map_err(|e| e.to_string())
    }

    /// Queues an answer for the background retry; answers how the screen marks it.
    fn keep(&self, rec: LookupRecord, task: Option<PhoneTaskRow>, why: String) -> NotSaved {
        tracing::error!("answer not saved yet (retrying): {why}");
        let key = self
            .next_key
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.unsaved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Unsaved { key, rec, task });
        NotSaved { key, why }
    }

    /// Tries again to store every answer not saved yet (oldest first), until one fails.
    pub async fn retry_unsaved(&self) -> Message {
        let pending: Vec<Unsaved> = self
            .unsaved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut saved = Vec::new();
        let mut error = None;
        for u in pending {
            match self.save(u.rec.clone(), u.task.clone()).await {
                Ok(id) => {
                    self.unsaved
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .retain(|x| x.key != u.key);
                    saved.push((u.key, id));
                }
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        Message::UnsavedRetried { saved, error }
    }

    /// At quit: writes what is still not saved to `<data dir>/unsaved-*.jsonl` (the export
    /// format, for `history import`) and says where, or `None` when everything was saved.
    pub fn write_unsaved(&self) -> Option<Result<(PathBuf, usize), String>> {
        let left = std::mem::take(&mut *self.unsaved.lock().unwrap_or_else(|p| p.into_inner()));
        if left.is_empty() {
            return None;
        }
        let recs: Vec<LookupRecord> = left.into_iter().map(|u| u.rec).collect();
        Some(
            crate::history::write_unsaved(&self.data_dir, &recs, OffsetDateTime::now_utc())
                .map(|p| (p, recs.len()))
                .map_err(|e| e.to_string()),
        )
    }

    /// The tasks this console resumes (pending, and paused ones: this console may run with
    /// fixed credentials), first polls spread over a few seconds; plus those whose 24 hours
    /// ran out meanwhile, shown expired.
    pub async fn load_tasks(&self) -> Message {
        // Only this mode's tasks: a sandbox task id means nothing to the real vendor.
        let sandbox = self.origin.sandbox;
        let gate = self.gate.clone();
        let result = async {
            let store = self.store().await?;
            let now = OffsetDateTime::now_utc();
            let found = resume(&store, now, sandbox)
                .await
                .map_err(|e| e.to_string())?;
            let ids = found
                .tasks
                .iter()
                .chain(&found.lapsed)
                .map(|t| t.lookup_id)
                .collect();
            let by = submitters(&store, ids).await;
            let who = |t: &PhoneTaskRow| by.get(&t.lookup_id).cloned().unwrap_or_default();
            {
                let n = found.tasks.len();
                let mut views: Vec<TaskView> = found
                    .tasks
                    .iter()
                    .map(|t| {
                        let mut v = task_view(t, gate.delay(t.attempts));
                        v.submitter = who(t);
                        if t.state == TaskState::Paused {
                            v.status = TaskStatus::Pending;
                            v.reason = format!("resumed; was paused: {}", v.reason);
                        }
                        // Not all at once: each first poll at its own offset.
                        v.next_poll_at = v.next_poll_at.max(now + resume_jitter(n));
                        v
                    })
                    .collect();
                views.extend(found.lapsed.iter().map(|t| {
                    let mut v = task_view(t, std::time::Duration::ZERO);
                    v.submitter = who(t);
                    v.status = TaskStatus::Expired;
                    v.reason = expired_reason();
                    v
                }));
                Ok(views)
            }
        }
        .await;
        Message::TasksLoaded(result)
    }

    /// One poll: claim the task (never two polls in flight), ask the vendor, record the
    /// lookup when it finished, and release the task with its new state.
    pub async fn poll_task(&self, task_id: String) -> Message {
        let update = self.poll_inner(&task_id).await.map(Box::new);
        Message::TaskPolled { task_id, update }
    }

    async fn poll_inner(&self, task_id: &str) -> Result<TaskUpdate, String> {
        let store = self.store().await?;
        let id = task_id.to_string();
        let row = run_blocking(&store, move |s| s.task(&id))
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("task {task_id} is not in history"))?;
        let now = OffsetDateTime::now_utc();
        // The team's record is the schedule: another desk may have polled this due time, or
        // ended the task. Either way nothing is sent from here.
        if let Some(update) = self.followed_elsewhere(&row, now) {
            return Ok(update);
        }
        let poll = poll_task(&self.client, &self.gate, &store, &row, &self.origin, now)
            .await
            .map_err(|e| e.to_string())?;
        let done_at = OffsetDateTime::now_utc();
        let mut task = task_view(&row, self.gate.delay(row.attempts));
        let gate = &self.gate;
        let pending = |task: &mut TaskView, attempts: u32, reason: String| {
            // The task's own backoff, stretched while the vendor pushes back, and never
            // before the host's rate-limit hold ends.
            let hold = gate.wait_at(std::time::Instant::now());
            task.status = TaskStatus::Pending;
            task.attempts = attempts;
            task.next_poll_at = done_at + gate.delay(attempts).max(hold);
            task.reason = reason;
        };
        let answer = match poll {
            TaskPoll::Done { result, stored } => {
                task.status = TaskStatus::Done;
                task.attempts = row.attempts + 1;
                Some(self.polled_answer(&row, &result, stored, done_at))
            }
            TaskPoll::Failed { result, stored } => {
                let expired = result.error.as_ref().map(|e| e.kind) == Some(ErrorKind::TaskExpired);
                task.status = if expired {
                    TaskStatus::Expired
                } else {
                    TaskStatus::Failed
                };
                task.attempts = row.attempts + 1;
                task.reason = result
                    .error
                    .as_ref()
                    .map(|e| e.message.clone())
                    .unwrap_or_default();
                Some(self.polled_answer(&row, &result, stored, done_at))
            }
            TaskPoll::Pending { attempts } => {
                pending(&mut task, attempts, String::new());
                None
            }
            TaskPoll::Retry { result, attempts } => {
                let why = result
                    .error
                    .as_ref()
                    .map(|e| e.message.clone())
                    .unwrap_or_default();
                pending(&mut task, attempts, format!("retrying: {why}"));
                None
            }
            TaskPoll::Paused { result, attempts } => {
                task.status = TaskStatus::Paused;
                task.attempts = attempts;
                let why = result
                    .error
                    .as_ref()
                    .map(|e| format!("{}: {}", e.kind.as_str(), e.message))
                    .unwrap_or_else(|| "credentials refused".into());
                task.reason = format!(
                    "{why}; fix the configuration, then restart the console or run \
                     `riskdesk tasks --resume`"
                );
                None
            }
            TaskPoll::Busy => {
                pending(&mut task, row.attempts, "polled by another riskdesk".into());
                None
            }
            TaskPoll::Expired => {
                task.status = TaskStatus::Expired;
                task.reason = expired_reason();
                None
            }
        };
        Ok(TaskUpdate { task, answer })
    }

    /// What the stored task says when another desk has been at it: ended (its answer is in
    /// history, stored by that desk), or polled less than its schedule's delay ago (the next
    /// poll is due then). `None` when this desk should poll now.
    fn followed_elsewhere(&self, row: &PhoneTaskRow, now: OffsetDateTime) -> Option<TaskUpdate> {
        let mut task = task_view(row, self.gate.delay(row.attempts));
        match row.state {
            TaskState::Done | TaskState::Failed => {
                task.status = if row.state == TaskState::Done {
                    TaskStatus::Done
                } else {
                    TaskStatus::Failed
                };
                task.reason = format!(
                    "ended at another desk: its answer is in history (`riskdesk history search {}`)",
                    row.task_id
                );
                Some(TaskUpdate { task, answer: None })
            }
            TaskState::Expired => {
                task.status = TaskStatus::Expired;
                task.reason = expired_reason();
                Some(TaskUpdate { task, answer: None })
            }
            TaskState::Pending | TaskState::Paused => {
                let due = row.last_poll_at? + self.gate.delay(row.attempts);
                (now < due).then(|| {
                    task.status = TaskStatus::Pending;
                    task.next_poll_at = due;
                    task.reason =
                        "not due yet: the team's last poll was less than its delay ago".into();
                    TaskUpdate { task, answer: None }
                })
            }
        }
    }

    /// A poll's answer for its tab: saved, or NOT SAVED and kept for the retry.
    fn polled_answer(
        &self,
        row: &PhoneTaskRow,
        result: &CheckResult,
        stored: Result<i64, String>,
        at: OffsetDateTime,
    ) -> Answer {
        let mut answer = answer_from_result(result, None, at);
        match stored {
            Ok(id) => answer.lookup_id = Some(id),
            Err(why) => {
                let identity = Identity {
                    phone_e164: row.phone_e164.clone(),
                    ..Default::default()
                };
                let mut rec = record_from_result(result, &identity, &self.origin);
                rec.created_at = at;
                rec.task_id = Some(row.task_id.clone());
                answer.unsaved = Some(self.keep(rec, None, why));
            }
        }
        answer
    }

    pub async fn search(&self, seq: u64, query: HistoryQuery) -> Message {
        let rows = async {
            let store = self.reading().await?;
            let q = search_query(&query);
            run_blocking(&store, move |s| {
                let page = s.search(&q)?;
                Ok(page.rows.iter().map(history_row).collect())
            })
            .await
            .map_err(|e| e.to_string())
        }
        .await;
        Message::SearchResults { seq, rows }
    }

    /// Reads one stored lookup and adds a row to the access log (action `open`, who, the
    /// form's `purpose`). A log that could not be written is said (`not_logged`); the
    /// lookup is shown all the same.
    pub async fn open_lookup(&self, id: i64, purpose: Option<String>) -> Message {
        let lookup = async {
            let store = self.reading().await?;
            match run_blocking(&store, move |s| s.get(id))
                .await
                .map_err(|e| e.to_string())?
            {
                Some(rec) => Ok(Box::new(stored_lookup(&rec))),
                None => Err(format!("lookup #{id} is not in history")),
            }
        }
        .await;
        let not_logged = match &lookup {
            Ok(_) => self.log_open(id, purpose).await.err(),
            Err(_) => None,
        };
        Message::LookupOpened { lookup, not_logged }
    }

    async fn log_open(&self, id: i64, purpose: Option<String>) -> Result<(), String> {
        self.log_access("open", vec![id], purpose).await
    }

    async fn log_access(
        &self,
        action: &str,
        ids: Vec<i64>,
        purpose: Option<String>,
    ) -> Result<(), String> {
        let entry = AccessEntry::now(&self.origin.operator, action, ids, purpose);
        let store = self.store().await?;
        run_blocking(&store, move |s| s.log_access(&entry).map(|_| ()))
            .await
            .map_err(|e| e.to_string())
    }

    /// Gathers the case of the applicant `keys` name (all keys seed one gather: every lookup
    /// sharing the phone or the ID number, oldest first) and, when it holds any lookup,
    /// adds an access-log row (action `case`, every lookup shown, the form's `purpose`). A
    /// log that could not be written is said (`not_logged`); the case is shown all the same.
    pub async fn gather_case(
        &self,
        seq: u64,
        keys: Vec<CaseKey>,
        purpose: Option<String>,
    ) -> Message {
        let case = async {
            let store = self.reading().await?;
            run_blocking(&store, move |s| {
                // Every key seeds one gather: the case both keys find together, the same as
                // `history applicant` by either (a phone-only lookup of another phone seen
                // with this ID number is in it).
                let case = crate::history::case::gather_all(s, &keys, None, None)?;
                Ok(case_file(&case))
            })
            .await
            .map_err(|e| e.to_string())
        }
        .await;
        let not_logged = match &case {
            Ok(f) if !f.entries.is_empty() => {
                self.log_access("case", f.lookup_ids(), purpose).await.err()
            }
            _ => None,
        };
        Message::CaseGathered {
            seq,
            case: case.map(Box::new),
            not_logged,
        }
    }

    /// Writes one lookup for a ticket into `<data dir>/exports/`: `lookup-<id>-<uuid>.raw`,
    /// the vendor's body byte for byte (as `history show --raw`), and
    /// `lookup-<id>-<uuid>.json` beside it, readable (as the README says). Answers the JSON's
    /// path.
    pub async fn export(&self, id: i64) -> Message {
        let dir = self.data_dir.join(crate::history::EXPORTS_DIR);
        let result = async {
            let store = self.reading().await?;
            run_blocking(&store, move |s| {
                crate::history::export_lookup_files(s, id, &dir, export_json)
            })
            .await
            .map_err(|e| e.to_string())?
            .map(|files| files.json)
            .ok_or_else(|| format!("lookup #{id} is not in history"))
        }
        .await;
        Message::Exported(result)
    }
}

/// Who submitted each task (by lookup id): the OS user of the lookup that created it, as
/// the task row does not say. Unknown ones are left out; a store error leaves them all
/// unknown (the panel still lists the tasks).
async fn submitters(store: &SharedHistory, ids: Vec<i64>) -> HashMap<i64, String> {
    let found = run_blocking(store, move |s| {
        let mut by = HashMap::new();
        for id in ids {
            if id > 0
                && !by.contains_key(&id)
                && let Some(rec) = s.get(id)?
            {
                by.insert(id, rec.operator);
            }
        }
        Ok(by)
    })
    .await;
    found.unwrap_or_else(|e| {
        tracing::debug!("who submitted the phone tasks is not known: {e}");
        HashMap::new()
    })
}

/// What the tasks panel says of a task whose 24 hours ran out here.
fn expired_reason() -> String {
    let e = expired_error();
    format!("{}: {}", e.kind.as_str(), e.message)
}

/// A lookup as a self-contained JSON document for a support ticket. The raw body is
/// embedded as JSON when it is JSON, as text otherwise.
pub fn export_json(rec: &LookupRecord) -> serde_json::Value {
    let raw = serde_json::from_slice::<serde_json::Value>(&rec.raw_response).unwrap_or_else(|_| {
        serde_json::Value::String(String::from_utf8_lossy(&rec.raw_response).into_owned())
    });
    serde_json::json!({
        "id": rec.id,
        "created_at": rec.created_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
        "operator": rec.operator,
        "sandbox": rec.sandbox,
        "check": rec.check,
        "outcome": rec.outcome,
        "identity": rec.identity,
        "request": rec.request,
        "http_status": rec.http_status,
        "vendor_status": rec.vendor_status,
        "vendor_request_id": rec.vendor_request_id,
        "error_kind": rec.error_kind,
        "error_message": rec.error_message,
        "latency_ms": rec.latency_ms,
        "task_id": rec.task_id,
        "report": rec.report,
        "raw_response": raw,
    })
}
