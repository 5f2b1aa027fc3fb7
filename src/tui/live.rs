//! The console's services over the real layers: the shared vendor client and the history
//! store. Each method is one `Command`'s I/O and yields the `Message` that reports it.
//! The store opens lazily in the background (the first frame never waits on it), with a
//! separate read connection for searches so typing never queues behind a write.

use super::convert::{answer_from_result, history_row, search_query, stored_lookup, task_view};
use super::message::Message;
use super::model::{HistoryQuery, TaskStatus, TaskUpdate, TaskView};
use crate::applicant::{Identity, VendorRequest};
use crate::check::{CheckKind, Outcome};
use crate::history::{LookupRecord, Store, TaskState};
use crate::lookup::{Origin, record_from_result};
use crate::phone_tasks::{
    PollGate, TaskPoll, expired_error, new_task, poll_task, resume, resume_jitter,
};
use crate::vendor::{CheckResult, ErrorKind, VendorClient};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use tokio::sync::OnceCell;

type Shared = Arc<Mutex<Store>>;

#[derive(Clone)]
pub struct Live {
    client: VendorClient,
    /// The phone-status host's gate, shared with every other poller in the process.
    gate: Arc<PollGate>,
    data_dir: PathBuf,
    origin: Origin,
    retention: crate::config::HistoryConfig,
    writer: Arc<OnceCell<Result<Shared, String>>>,
    reader: Arc<OnceCell<Result<Shared, String>>>,
}

async fn blocking<T: Send + 'static>(
    store: Shared,
    f: impl FnOnce(&mut Store) -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(move || {
        let mut guard = store
            .lock()
            .map_err(|_| "history store lock poisoned".to_string())?;
        f(&mut guard)
    })
    .await
    .map_err(|e| format!("history task failed: {e}"))?
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
            writer: Arc::new(OnceCell::new()),
            reader: Arc::new(OnceCell::new()),
        }
    }

    async fn open(&self, cell: &OnceCell<Result<Shared, String>>) -> Result<Shared, String> {
        // Retention runs once, on the writing connection.
        let retention = std::ptr::eq(cell, &*self.writer).then(|| self.retention.clone());
        cell.get_or_init(|| {
            let dir = self.data_dir.clone();
            async move {
                tokio::task::spawn_blocking(move || {
                    let mut store = Store::open_in_data_dir(&dir)?;
                    if let Some(cfg) = retention {
                        store.apply_retention(&cfg, OffsetDateTime::now_utc())?;
                    }
                    Ok::<_, crate::history::HistoryError>(store)
                })
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()))
                .map(|s| Arc::new(Mutex::new(s)))
            }
        })
        .await
        .clone()
    }

    async fn store(&self) -> Result<Shared, String> {
        self.open(&self.writer).await
    }

    pub async fn find_recent(
        &self,
        run_id: u64,
        check: CheckKind,
        identity: Identity,
        since: OffsetDateTime,
    ) -> Message {
        let found = async {
            let store = self.store().await?;
            blocking(store, move |s| {
                let Some(summary) = s
                    .latest_for(check, &identity, since)
                    .map_err(|e| e.to_string())?
                else {
                    return Ok(None);
                };
                let rec = s.get(summary.id).map_err(|e| e.to_string())?;
                Ok(rec.map(|r| Box::new(stored_lookup(&r).answer)))
            })
            .await
        }
        .await;
        Message::RecentFound { run_id, found }
    }

    /// Calls the vendor, records the lookup (and the phone task when one was issued).
    pub async fn run_check(&self, run_id: u64, request: VendorRequest) -> Message {
        let result = self.client.run(&request).await;
        let at = OffsetDateTime::now_utc();
        let identity = request.identity.clone();
        let lookup_id = self.record(&result, &identity, at).await;
        if result.outcome == Outcome::Pending
            && let Some(row) = new_task(
                &result,
                lookup_id.unwrap_or(0),
                &identity.phone_e164,
                self.origin.sandbox,
                at,
            )
            && let Ok(store) = self.store().await
            && let Err(e) =
                blocking(store, move |s| s.add_task(&row).map_err(|e| e.to_string())).await
        {
            tracing::warn!("could not store phone task: {e}");
        }
        Message::CheckAnswered {
            run_id,
            answer: Box::new(answer_from_result(&result, lookup_id, at)),
        }
    }

    async fn record(
        &self,
        result: &CheckResult,
        identity: &Identity,
        at: OffsetDateTime,
    ) -> Option<i64> {
        let mut rec = record_from_result(result, identity, &self.origin);
        rec.created_at = at;
        let store = match self.store().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("lookup not recorded, history unavailable: {e}");
                return None;
            }
        };
        match blocking(store, move |s| s.record(&rec).map_err(|e| e.to_string())).await {
            Ok(id) => Some(id),
            Err(e) => {
                tracing::warn!("lookup not recorded: {e}");
                None
            }
        }
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
            tokio::task::spawn_blocking(move || {
                let now = OffsetDateTime::now_utc();
                let found = resume(&store, now, sandbox).map_err(|e| e.to_string())?;
                let n = found.tasks.len();
                let mut views: Vec<TaskView> = found
                    .tasks
                    .iter()
                    .map(|t| {
                        let mut v = task_view(t, gate.delay(t.attempts));
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
                    v.status = TaskStatus::Expired;
                    v.reason = expired_reason();
                    v
                }));
                Ok(views)
            })
            .await
            .map_err(|e| e.to_string())?
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
        let row = blocking(store.clone(), move |s| {
            s.task(&id).map_err(|e| e.to_string())
        })
        .await?
        .ok_or_else(|| format!("task {task_id} is not in history"))?;
        let now = OffsetDateTime::now_utc();
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
            TaskPoll::Done { result, lookup_id } => {
                task.status = TaskStatus::Done;
                task.attempts = row.attempts + 1;
                Some(answer_from_result(&result, Some(lookup_id), done_at))
            }
            TaskPoll::Failed { result, lookup_id } => {
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
                Some(answer_from_result(&result, Some(lookup_id), done_at))
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

    pub async fn search(&self, seq: u64, query: HistoryQuery) -> Message {
        let rows = async {
            let store = self.open(&self.reader).await?;
            let q = search_query(&query);
            blocking(store, move |s| {
                let page = s.search(&q).map_err(|e| e.to_string())?;
                Ok(page.rows.iter().map(history_row).collect())
            })
            .await
        }
        .await;
        Message::SearchResults { seq, rows }
    }

    pub async fn open_lookup(&self, id: i64) -> Message {
        let result = async {
            let store = self.open(&self.reader).await?;
            blocking(store, move |s| {
                match s.get(id).map_err(|e| e.to_string())? {
                    Some(rec) => Ok(Box::new(stored_lookup(&rec))),
                    None => Err(format!("lookup #{id} is not in history")),
                }
            })
            .await
        }
        .await;
        Message::LookupOpened(result)
    }

    /// Writes one lookup for a ticket into `<data dir>/exports/`: `lookup-<id>-<uuid>.raw`,
    /// the vendor's body byte for byte (as `history show --raw`), and
    /// `lookup-<id>-<uuid>.json` beside it, readable (as the README says). Answers the JSON's
    /// path.
    pub async fn export(&self, id: i64) -> Message {
        let dir = self.data_dir.join(crate::history::EXPORTS_DIR);
        let result = async {
            let store = self.open(&self.reader).await?;
            blocking(store, move |s| {
                let files = s
                    .export_lookup_files(id, &dir, export_json)
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("lookup #{id} is not in history"))?;
                Ok(files.json)
            })
            .await
        }
        .await;
        Message::Exported(result)
    }
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
