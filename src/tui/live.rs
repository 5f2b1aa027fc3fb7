//! The console's services over the real layers: the shared vendor client and the history
//! store. Each method is one `Command`'s I/O and yields the `Message` that reports it.
//! The store opens lazily in the background (the first frame never waits on it), with a
//! separate read connection for searches so typing never queues behind a write.

use super::convert::{answer_from_result, history_row, search_query, stored_lookup, task_view};
use super::message::Message;
use super::model::{Answer, HistoryQuery, TaskUpdate};
use super::poll_delay;
use crate::applicant::{Identity, VendorRequest};
use crate::check::{CheckKind, Outcome};
use crate::history::{LookupRecord, PhoneTaskRow, Store, TASK_LIFETIME, TaskState};
use crate::vendor::{CheckResult, ErrorKind, VendorClient};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use time::OffsetDateTime;
use tokio::sync::OnceCell;

type Shared = Arc<Mutex<Store>>;

/// How long a poll may hold a task's lease (other processes skip the task meanwhile).
const POLL_LEASE: std::time::Duration = std::time::Duration::from_secs(90);

/// One lookup as history stores it. The CLI builds the same row; see the report.
pub fn record_from_result(
    result: &CheckResult,
    identity: &Identity,
    operator: &str,
    sandbox: bool,
    at: OffsetDateTime,
) -> LookupRecord {
    LookupRecord {
        id: 0,
        created_at: at,
        operator: operator.to_string(),
        sandbox,
        check: result.check,
        identity: identity.clone(),
        request: result.request_sent.clone(),
        http_status: result.http_status,
        vendor_status: result.vendor_status.clone(),
        vendor_request_id: result.vendor_request_id.clone(),
        outcome: result.outcome,
        error_kind: result.error.as_ref().map(|e| e.kind.as_str().to_string()),
        error_message: result.error.as_ref().map(|e| e.message.clone()),
        latency_ms: result.latency_ms,
        raw_response: result.raw_body.clone(),
        report: result
            .report
            .as_ref()
            .and_then(|r| serde_json::to_value(r).ok()),
        task_id: result.task_id.clone(),
    }
}

#[derive(Clone)]
pub struct Live {
    client: VendorClient,
    data_dir: PathBuf,
    sandbox: bool,
    operator: String,
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
    pub fn new(client: VendorClient, data_dir: PathBuf, sandbox: bool, operator: String) -> Live {
        Live {
            client,
            data_dir,
            sandbox,
            operator,
            writer: Arc::new(OnceCell::new()),
            reader: Arc::new(OnceCell::new()),
        }
    }

    async fn open(&self, cell: &OnceCell<Result<Shared, String>>) -> Result<Shared, String> {
        cell.get_or_init(|| {
            let dir = self.data_dir.clone();
            async move {
                tokio::task::spawn_blocking(move || Store::open_in_data_dir(&dir))
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
        if let (Some(task_id), Outcome::Pending) = (&result.task_id, result.outcome) {
            let row = PhoneTaskRow {
                task_id: task_id.clone(),
                lookup_id: lookup_id.unwrap_or(0),
                phone_e164: identity.phone_e164.clone(),
                submitted_at: at,
                expires_at: at + TASK_LIFETIME,
                state: TaskState::Pending,
                last_poll_at: None,
                attempts: 0,
                result: None,
                error: None,
                sandbox: self.sandbox,
            };
            if let Ok(store) = self.store().await
                && let Err(e) =
                    blocking(store, move |s| s.add_task(&row).map_err(|e| e.to_string())).await
            {
                tracing::warn!("could not store phone task: {e}");
            }
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
        let rec = record_from_result(result, identity, &self.operator, self.sandbox, at);
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

    pub async fn load_tasks(&self) -> Message {
        let result = async {
            let store = self.store().await?;
            blocking(store, |s| {
                s.expire_tasks(OffsetDateTime::now_utc())
                    .map_err(|e| e.to_string())?;
                let rows = s.pending_tasks().map_err(|e| e.to_string())?;
                Ok(rows
                    .iter()
                    .map(|t| task_view(t, poll_delay(t.attempts)))
                    .collect())
            })
            .await
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
        let now = OffsetDateTime::now_utc();
        let id = task_id.to_string();
        let (claimed, row) = blocking(store.clone(), move |s| {
            let claimed = s
                .claim_task(&id, now, POLL_LEASE)
                .map_err(|e| e.to_string())?;
            let row = s.task(&id).map_err(|e| e.to_string())?;
            Ok((claimed, row))
        })
        .await?;
        let row = row.ok_or_else(|| format!("task {task_id} is not in history"))?;
        if !claimed {
            // Expired, finished, or another process polls it right now: report as stored.
            let mut view = task_view(&row, poll_delay(row.attempts));
            if row.state == TaskState::Pending {
                view.next_poll_at = now + poll_delay(row.attempts);
                if row.expires_at <= now {
                    view.status = super::model::TaskStatus::Expired;
                    view.reason = "the vendor keeps a task for 24 h".into();
                }
            }
            return Ok(TaskUpdate {
                task: view,
                answer: None,
            });
        }
        let result = self.client.poll_phone_task(task_id).await;
        let at = OffsetDateTime::now_utc();
        let state = match (&result.outcome, &result.error) {
            (Outcome::Pending, _) => TaskState::Pending,
            (Outcome::Ok | Outcome::NotHit, _) => TaskState::Done,
            (_, Some(e)) if e.kind == ErrorKind::TaskExpired => TaskState::Expired,
            (_, Some(e)) if e.kind.retryable() || e.kind == ErrorKind::Timeout => {
                TaskState::Pending
            }
            _ => TaskState::Failed,
        };
        let mut answer: Option<Answer> = None;
        if state != TaskState::Pending {
            let identity = Identity {
                phone_e164: row.phone_e164.clone(),
                country: "MX".into(),
                ..Identity::default()
            };
            let lookup_id = self.record(&result, &identity, at).await;
            answer = Some(answer_from_result(&result, lookup_id, at));
        }
        let report_json = result
            .report
            .as_ref()
            .and_then(|r| serde_json::to_value(r).ok());
        let error = result.error.as_ref().map(|e| e.message.clone());
        let id = task_id.to_string();
        let row = blocking(store, move |s| {
            s.finish_poll(&id, at, state, report_json.as_ref(), error.as_deref())
                .map_err(|e| e.to_string())?;
            s.task(&id).map_err(|e| e.to_string())
        })
        .await?
        .ok_or_else(|| format!("task {task_id} vanished from history"))?;
        Ok(TaskUpdate {
            task: task_view(&row, poll_delay(row.attempts)),
            answer,
        })
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

    /// Writes one lookup, complete, to `<data dir>/exports/lookup-<id>.json`.
    pub async fn export(&self, id: i64) -> Message {
        let dir = self.data_dir.join("exports");
        let result = async {
            let store = self.open(&self.reader).await?;
            blocking(store, move |s| {
                let rec = s
                    .get(id)
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("lookup #{id} is not in history"))?;
                let json = export_json(&rec);
                std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                let path = dir.join(format!("lookup-{id}-{}.json", rec.check.cli_name()));
                let text = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
                std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
                Ok(path)
            })
            .await
        }
        .await;
        Message::Exported(result)
    }
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
