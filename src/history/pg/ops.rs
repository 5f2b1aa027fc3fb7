//! The [`History`] interface on the team database: each method one async function run on
//! the history's runtime, one transaction per fact as on SQLite.

use super::super::access::day_start;
use super::super::api::{ExportItem, History, Inserted, KeyQuery, Resumable};
use super::super::keys::{fold_text, id_key, phone_nsn, scrub};
use super::super::{
    AccessEntry, AccessQuery, Cursor, ExportStats, Finished, HistoryError, Lease, LookupRecord,
    LookupSummary, MAX_LIMIT, PhoneTaskRow, PollFinish, Purged, SearchPage, SearchQuery, TaskState,
};
use super::search::{CASE_COLUMNS, RECORD_COLUMNS, SUMMARY_COLUMNS, read_page};
use super::{PgHistory, pg_err, pool_err};
use crate::applicant::Identity;
use crate::check::{CheckKind, Outcome};
use deadpool_postgres::GenericClient;
use std::time::Duration;
use time::OffsetDateTime;
use tokio_postgres::Row;

const TASK_COLUMNS: &str = "task_id, lookup_id, phone_e164, submitted_at, expires_at, state, \
     last_poll_at, attempts, result, error, sandbox";

/// Rows of the export walk read per round trip.
const EXPORT_PAGE: usize = 1_000;

fn bad(id: i64, message: impl Into<String>) -> HistoryError {
    HistoryError::BadRow {
        id,
        message: message.into(),
    }
}

fn summary(row: &Row) -> Result<LookupSummary, HistoryError> {
    let id: i64 = row.get(0);
    let check: String = row.get(2);
    let outcome: String = row.get(3);
    Ok(LookupSummary {
        id,
        created_at: row.get(1),
        check: check.parse::<CheckKind>().map_err(|e| bad(id, e))?,
        outcome: outcome.parse::<Outcome>().map_err(|e| bad(id, e))?,
        phone_e164: row.get(4),
        name: row.get(5),
        id_number: row.get(6),
        country: row.get(7),
        vendor_status: row.get(8),
        vendor_request_id: row.get(9),
        sandbox: row.get(10),
        latency_ms: row.get::<_, i64>(11).max(0) as u64,
    })
}

/// A record and its uuid, from [`RECORD_COLUMNS`].
fn record(row: &Row) -> Result<(LookupRecord, String), HistoryError> {
    let s = summary(row)?;
    let id = s.id;
    let attempts = match row.get::<_, Option<serde_json::Value>>(24) {
        None => Vec::new(),
        Some(v) => {
            serde_json::from_value(v).map_err(|e| bad(id, format!("unreadable attempts: {e}")))?
        }
    };
    let rec = LookupRecord {
        id,
        created_at: s.created_at,
        operator: row.get(12),
        purpose: row.get(25),
        sandbox: s.sandbox,
        check: s.check,
        identity: Identity {
            phone_e164: s.phone_e164,
            id_number: s.id_number,
            name: s.name,
            country: s.country,
            bankcard: row.get(13),
            email: row.get(14),
            gaid: row.get(15),
        },
        request: row.get(16),
        http_status: row
            .get::<_, Option<i32>>(17)
            .and_then(|v| u16::try_from(v).ok()),
        vendor_status: s.vendor_status,
        vendor_request_id: s.vendor_request_id,
        outcome: s.outcome,
        error_kind: row.get(18),
        error_message: row.get(19),
        latency_ms: s.latency_ms,
        raw_response: row.get(20),
        report: row.get(21),
        task_id: row.get(22),
        attempts,
    };
    Ok((rec, row.get(23)))
}

fn task(row: &Row) -> Result<PhoneTaskRow, HistoryError> {
    let task_id: String = row.get(0);
    let state: String = row.get(5);
    Ok(PhoneTaskRow {
        lookup_id: row.get::<_, Option<i64>>(1).unwrap_or(0),
        phone_e164: row.get(2),
        submitted_at: row.get(3),
        expires_at: row.get(4),
        state: TaskState::parse(&state)
            .ok_or_else(|| bad(0, format!("task {task_id}: unknown state '{state}'")))?,
        last_poll_at: row.get(6),
        attempts: row.get::<_, i32>(7).max(0) as u32,
        result: row.get(8),
        error: row.get(9),
        sandbox: row.get(10),
        task_id,
    })
}

/// Stores one lookup under a new id; with `uuid`, only when no row has it (`None` then).
/// A uuid that is not one (a hand-made export) is hashed into one, the same every time.
async fn insert(
    c: &impl GenericClient,
    rec: &LookupRecord,
    uuid: Option<&str>,
) -> Result<Option<i64>, HistoryError> {
    let ident = &rec.identity;
    let attempts = (!rec.attempts.is_empty())
        .then(|| serde_json::to_value(&rec.attempts).ok())
        .flatten();
    let st = c
        .prepare_cached(
            "INSERT INTO riskdesk.lookups (uuid, created_at, os_user, sandbox, check_kind,
                phone_e164, phone_nsn, id_number, id_key, name, name_fold, country, bankcard,
                email, gaid, request, http_status, vendor_status, vendor_request_id, outcome,
                error_kind, error_message, latency_ms, raw_response, report, task_id, attempts,
                purpose)
             VALUES (CASE WHEN $1::text IS NULL THEN gen_random_uuid()
                          WHEN $1::text ~* '^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$'
                              THEN $1::text::uuid
                          ELSE md5($1::text)::uuid END,
                     $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                     $19, $20, $21, $22, $23, $24, $25, $26, $27, $28)
             ON CONFLICT (uuid) DO NOTHING
             RETURNING id",
        )
        .await
        .map_err(pg_err)?;
    let row = c
        .query_opt(
            &st,
            &[
                &uuid,
                &rec.created_at,
                &rec.operator,
                &rec.sandbox,
                &rec.check.cli_name(),
                &ident.phone_e164,
                &phone_nsn(&ident.phone_e164, &ident.country),
                &ident.id_number,
                &id_key(&ident.id_number),
                &ident.name,
                &fold_text(&ident.name),
                &ident.country,
                &ident.bankcard,
                &ident.email,
                &ident.gaid,
                &scrub(&rec.request),
                &rec.http_status.map(i32::from),
                &rec.vendor_status,
                &rec.vendor_request_id,
                &rec.outcome.as_str(),
                &rec.error_kind,
                &rec.error_message,
                &i64::try_from(rec.latency_ms).unwrap_or(i64::MAX),
                &rec.raw_response,
                &rec.report.as_ref().map(scrub),
                &rec.task_id,
                &attempts,
                &rec.purpose,
            ],
        )
        .await
        .map_err(pg_err)?;
    Ok(row.map(|r| r.get(0)))
}

async fn upsert_task(c: &impl GenericClient, t: &PhoneTaskRow) -> Result<(), HistoryError> {
    let lookup_id = (t.lookup_id != 0).then_some(t.lookup_id);
    let st = c
        .prepare_cached(
            "INSERT INTO riskdesk.phone_tasks (task_id, lookup_id, phone_e164, submitted_at,
                expires_at, state, last_poll_at, attempts, result, error, sandbox)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (task_id) DO UPDATE SET lookup_id = excluded.lookup_id,
                phone_e164 = excluded.phone_e164, submitted_at = excluded.submitted_at,
                expires_at = excluded.expires_at, state = excluded.state,
                last_poll_at = excluded.last_poll_at, attempts = excluded.attempts,
                result = excluded.result, error = excluded.error, sandbox = excluded.sandbox",
        )
        .await
        .map_err(pg_err)?;
    c.execute(
        &st,
        &[
            &t.task_id,
            &lookup_id,
            &t.phone_e164,
            &t.submitted_at,
            &t.expires_at,
            &t.state.as_str(),
            &t.last_poll_at,
            &i32::try_from(t.attempts).unwrap_or(i32::MAX),
            &t.result,
            &t.error,
            &t.sandbox,
        ],
    )
    .await
    .map_err(pg_err)?;
    Ok(())
}

async fn tasks_where(
    c: &impl GenericClient,
    cond: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<Vec<PhoneTaskRow>, HistoryError> {
    let st = c
        .prepare_cached(&format!(
            "SELECT {TASK_COLUMNS} FROM riskdesk.phone_tasks WHERE {cond}
             ORDER BY submitted_at, task_id LIMIT 100000"
        ))
        .await
        .map_err(pg_err)?;
    c.query(&st, params)
        .await
        .map_err(pg_err)?
        .iter()
        .map(task)
        .collect()
}

/// One export page: its items and where the next starts.
type ExportPage = (Vec<ExportItem>, Option<Cursor>);

impl History for PgHistory {
    fn describe(&self) -> String {
        self.shown.clone()
    }

    fn operator_role(&self, id: i64) -> Result<Option<String>, HistoryError> {
        Ok(self.operators(id)?.map(|(role, _)| role))
    }

    fn operator_roles(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, String>, HistoryError> {
        let ids = ids.to_vec();
        self.call(move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            let rows = c
                .query(
                    "SELECT id, operator FROM riskdesk.lookups WHERE id = ANY($1)",
                    &[&ids],
                )
                .await
                .map_err(pg_err)?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
        })
    }

    fn may_record(&self) -> Result<Option<String>, HistoryError> {
        self.call(move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            let row = c
                .query_one(
                    "SELECT has_table_privilege('riskdesk.lookups', 'INSERT')
                        AND has_table_privilege('riskdesk.phone_tasks', 'INSERT, UPDATE'),
                        session_user::text",
                    &[],
                )
                .await
                .map_err(pg_err)?;
            let (may, user): (bool, String) = (row.get(0), row.get(1));
            Ok((!may).then(|| {
                format!(
                    "{user} may not record lookups in the team history: a database \
                     administrator must run GRANT riskdesk_operator TO {user}; (nothing was sent)"
                )
            }))
        })
    }

    fn log_access(&self, e: &AccessEntry) -> Result<i64, HistoryError> {
        let e = e.clone();
        self.call(move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            let row = c
                .query_one(
                    "INSERT INTO riskdesk.access_log (os_user, action, lookup_ids, purpose)
                     VALUES ($1, $2, $3, $4) RETURNING id",
                    &[&e.os_user, &e.action, &e.lookup_ids, &e.purpose],
                )
                .await
                .map_err(pg_err)?;
            Ok(row.get(0))
        })
    }

    fn access(&self, q: &AccessQuery) -> Result<Vec<AccessEntry>, HistoryError> {
        let lookup = q.lookup;
        let operator = q.operator.clone();
        let since = q.since.map(day_start);
        let limit = q.effective_limit() as i64;
        self.call(move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            let rows = c
                .query(
                    "SELECT id, accessed_at, os_user, db_user, action, lookup_ids, purpose
                     FROM riskdesk.access_log
                     WHERE ($1::bigint IS NULL OR lookup_ids @> ARRAY[$1::bigint])
                       AND ($2::text IS NULL OR db_user = $2 OR os_user = $2)
                       AND ($3::timestamptz IS NULL OR accessed_at >= $3)
                     ORDER BY accessed_at DESC, id DESC LIMIT $4",
                    &[&lookup, &operator, &since, &limit],
                )
                .await
                .map_err(pg_err)?;
            Ok(rows
                .iter()
                .map(|r| AccessEntry {
                    id: r.get(0),
                    at: r.get(1),
                    os_user: r.get(2),
                    db_user: Some(r.get(3)),
                    action: r.get(4),
                    lookup_ids: r.get(5),
                    purpose: r.get(6),
                })
                .collect())
        })
    }

    fn record(&self, rec: &LookupRecord, t: Option<&PhoneTaskRow>) -> Result<i64, HistoryError> {
        let rec = rec.clone();
        let t = t.cloned();
        self.call(move |pool| async move {
            let mut c = pool.get().await.map_err(pool_err)?;
            let tx = c.transaction().await.map_err(pg_err)?;
            let id = insert(&tx, &rec, None)
                .await?
                .ok_or_else(|| bad(0, "a new uuid collided"))?;
            if let Some(mut t) = t {
                t.lookup_id = id;
                upsert_task(&tx, &t).await?;
            }
            tx.commit().await.map_err(pg_err)?;
            Ok(id)
        })
    }

    fn get(&self, id: i64) -> Result<Option<LookupRecord>, HistoryError> {
        self.call(move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            let st = c
                .prepare_cached(&format!(
                    "SELECT {RECORD_COLUMNS} FROM riskdesk.lookups WHERE id = $1"
                ))
                .await
                .map_err(pg_err)?;
            match c.query_opt(&st, &[&id]).await.map_err(pg_err)? {
                Some(row) => Ok(Some(record(&row)?.0)),
                None => Ok(None),
            }
        })
    }

    fn uuid_of(&self, id: i64) -> Result<Option<String>, HistoryError> {
        self.call(move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            let row = c
                .query_opt(
                    "SELECT uuid::text FROM riskdesk.lookups WHERE id = $1",
                    &[&id],
                )
                .await
                .map_err(pg_err)?;
            Ok(row.map(|r| r.get(0)))
        })
    }

    fn id_of_uuid(&self, uuid: &str) -> Result<Option<i64>, HistoryError> {
        let Some(uuid) = super::super::parse_uuid(uuid) else {
            return Ok(None);
        };
        self.call(move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            let row = c
                .query_opt(
                    "SELECT id FROM riskdesk.lookups WHERE uuid = CAST($1::text AS uuid)",
                    &[&uuid],
                )
                .await
                .map_err(pg_err)?;
            Ok(row.map(|r| r.get(0)))
        })
    }

    fn search(&self, q: &SearchQuery) -> Result<SearchPage, HistoryError> {
        let q = q.clone();
        self.call(move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            let page = read_page(&c, &q, SUMMARY_COLUMNS, q.effective_limit()).await?;
            let rows = page
                .rows
                .iter()
                .filter_map(|r| match summary(r) {
                    Ok(s) => Some(s),
                    Err(e) => {
                        tracing::warn!("history row skipped in search: {e}");
                        None
                    }
                })
                .collect();
            Ok(SearchPage {
                rows,
                next: page.next,
                incomplete: page.incomplete,
            })
        })
    }

    fn cursor_for(&self, id: i64) -> Result<Option<Cursor>, HistoryError> {
        self.call(move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            let row = c
                .query_opt(
                    "SELECT created_at FROM riskdesk.lookups WHERE id = $1",
                    &[&id],
                )
                .await
                .map_err(pg_err)?;
            Ok(row.map(|r| Cursor::new(r.get(0), id)))
        })
    }

    fn latest_for(
        &self,
        check: CheckKind,
        identity: &Identity,
        since: OffsetDateTime,
    ) -> Result<Option<LookupSummary>, HistoryError> {
        let nsn = phone_nsn(&identity.phone_e164, &identity.country);
        let idk = id_key(&identity.id_number);
        if nsn.is_empty() && idk.is_empty() {
            return Ok(None);
        }
        self.call(move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            let st = c
                .prepare_cached(&format!(
                    "SELECT {SUMMARY_COLUMNS} FROM riskdesk.lookups
                     WHERE check_kind = $1 AND phone_nsn = $2 AND id_key = $3
                       AND created_at >= $4
                     ORDER BY created_at DESC, id DESC LIMIT 1"
                ))
                .await
                .map_err(pg_err)?;
            match c
                .query_opt(&st, &[&check.cli_name(), &nsn, &idk, &since])
                .await
                .map_err(pg_err)?
            {
                Some(row) => Ok(Some(summary(&row)?)),
                None => Ok(None),
            }
        })
    }

    fn ids_by_keys(&self, q: &KeyQuery) -> Result<(Vec<i64>, bool), HistoryError> {
        let phones: Vec<String> = q
            .phone_nsns
            .iter()
            .filter(|k| !k.is_empty())
            .cloned()
            .collect();
        let ids: Vec<String> = q
            .id_keys
            .iter()
            .filter(|k| !k.is_empty())
            .cloned()
            .collect();
        let from = q.since.map(day_start);
        let to = q.until.and_then(|d| d.next_day()).map(day_start);
        let limit = q.limit;
        self.call(move |pool| async move {
            if phones.is_empty() && ids.is_empty() {
                return Ok((Vec::new(), false));
            }
            let c = pool.get().await.map_err(pool_err)?;
            // Both key indexes (a BitmapOr), newest first.
            let st = c
                .prepare_cached(
                    "SELECT id FROM riskdesk.lookups
                     WHERE ((phone_nsn = ANY($1) AND phone_nsn <> '')
                            OR (id_key = ANY($2) AND id_key <> ''))
                       AND ($3::timestamptz IS NULL OR created_at >= $3)
                       AND ($4::timestamptz IS NULL OR created_at < $4)
                     ORDER BY created_at DESC, id DESC LIMIT $5",
                )
                .await
                .map_err(pg_err)?;
            let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
            let rows = c
                .query(&st, &[&phones, &ids, &from, &to, &fetch])
                .await
                .map_err(pg_err)?;
            let mut out: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
            let more = out.len() > limit;
            out.truncate(limit);
            Ok((out, more))
        })
    }

    fn get_many_for_case(&self, ids: &[i64]) -> Result<Vec<(LookupRecord, String)>, HistoryError> {
        let ids = ids.to_vec();
        self.call(move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            let st = c
                .prepare_cached(&format!(
                    "SELECT {CASE_COLUMNS} FROM riskdesk.lookups WHERE id = ANY($1)"
                ))
                .await
                .map_err(pg_err)?;
            let mut by_id = std::collections::HashMap::new();
            for row in c.query(&st, &[&ids]).await.map_err(pg_err)? {
                match record(&row) {
                    Ok(found) => {
                        by_id.insert(found.0.id, found);
                    }
                    Err(HistoryError::BadRow { id, message }) => {
                        tracing::warn!(id, "history row left out of the case: {message}");
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
        })
    }

    fn for_each(
        &self,
        q: &SearchQuery,
        f: &mut dyn FnMut(ExportItem) -> Result<(), HistoryError>,
    ) -> Result<ExportStats, HistoryError> {
        let mut page_q = q.clone();
        page_q.before = None;
        let mut stats = ExportStats::default();
        loop {
            let pq = page_q.clone();
            let (items, next): ExportPage = self.call(move |pool| async move {
                let c = pool.get().await.map_err(pool_err)?;
                let page = read_page(&c, &pq, RECORD_COLUMNS, EXPORT_PAGE.min(MAX_LIMIT)).await?;
                let items = page
                    .rows
                    .iter()
                    .map(|row| match record(row) {
                        Ok((rec, uuid)) => ExportItem::Record(Box::new(rec), uuid),
                        Err(e) => ExportItem::Unreadable {
                            id: row.get(0),
                            why: e.to_string(),
                        },
                    })
                    .collect();
                Ok((items, page.next))
            })?;
            for item in items {
                match &item {
                    ExportItem::Unreadable { .. } => stats.skipped += 1,
                    ExportItem::AsStored(_) => {
                        stats.as_stored += 1;
                        stats.written += 1;
                    }
                    ExportItem::Record(..) => stats.written += 1,
                }
                f(item)?;
            }
            match next {
                Some(c) => page_q.before = Some(c),
                None => return Ok(stats),
            }
        }
    }

    fn insert_absent(&self, batch: &[(LookupRecord, String)]) -> Result<Inserted, HistoryError> {
        let batch = batch.to_vec();
        self.call(move |pool| async move {
            let mut c = pool.get().await.map_err(pool_err)?;
            let tx = c.transaction().await.map_err(pg_err)?;
            let mut out = Inserted::default();
            for (rec, uuid) in &batch {
                match insert(&tx, rec, Some(uuid)).await? {
                    Some(_) => out.added += 1,
                    None => out.duplicates += 1,
                }
            }
            tx.commit().await.map_err(pg_err)?;
            Ok(out)
        })
    }

    fn purge(&self, cutoff: OffsetDateTime) -> Result<Purged, HistoryError> {
        self.call(move |pool| async move {
            let mut c = pool.get().await.map_err(pool_err)?;
            let tx = c.transaction().await.map_err(pg_err)?;
            let lookups = tx
                .execute(
                    "DELETE FROM riskdesk.lookups WHERE created_at < $1",
                    &[&cutoff],
                )
                .await
                .map_err(pg_err)?;
            let tasks = tx
                .execute(
                    "DELETE FROM riskdesk.phone_tasks
                     WHERE (submitted_at < $1 AND state NOT IN ('pending', 'paused'))
                        OR expires_at < $1",
                    &[&cutoff],
                )
                .await
                .map_err(pg_err)?;
            tx.commit().await.map_err(pg_err)?;
            Ok(Purged {
                lookups: lookups as usize,
                tasks: tasks as usize,
                exports: 0,
                // No write-ahead copy to clear on this side: the server's WAL and dead
                // tuples are the DBA's (VACUUM, WAL recycling).
                wal_cleared: true,
            })
        })
    }

    fn optimize(&self) -> Result<(), HistoryError> {
        self.call(move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            // Only the owner may; for others it is a warning from the server, not an error.
            c.batch_execute("ANALYZE riskdesk.lookups")
                .await
                .map_err(pg_err)
        })
    }

    fn add_task(&self, t: &PhoneTaskRow) -> Result<(), HistoryError> {
        let t = t.clone();
        self.call(move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            upsert_task(&c, &t).await
        })
    }

    fn task(&self, task_id: &str) -> Result<Option<PhoneTaskRow>, HistoryError> {
        let id = task_id.to_string();
        self.call(move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            Ok(tasks_where(&c, "task_id = $1", &[&id])
                .await?
                .into_iter()
                .next())
        })
    }

    fn open_tasks(&self) -> Result<Vec<PhoneTaskRow>, HistoryError> {
        self.call(move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            tasks_where(&c, "state IN ('pending', 'paused')", &[]).await
        })
    }

    fn resumable(&self, now: OffsetDateTime, sandbox: bool) -> Result<Resumable, HistoryError> {
        self.call(move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            let mut lapsed = Vec::new();
            let st = c
                .prepare_cached(&format!(
                    "UPDATE riskdesk.phone_tasks SET state = 'expired', lease_until = NULL,
                        lease_token = NULL
                     WHERE state IN ('pending', 'paused') AND expires_at <= $1
                       AND sandbox = $2
                     RETURNING {TASK_COLUMNS}"
                ))
                .await
                .map_err(pg_err)?;
            // Only this session's kind: a task it expires is a task it reports.
            for row in c.query(&st, &[&now, &sandbox]).await.map_err(pg_err)? {
                lapsed.push(task(&row)?);
            }
            lapsed.sort_by(|a, b| (a.submitted_at, &a.task_id).cmp(&(b.submitted_at, &b.task_id)));
            let tasks = tasks_where(
                &c,
                "state IN ('pending', 'paused') AND sandbox = $1 AND expires_at > $2",
                &[&sandbox, &now],
            )
            .await?;
            Ok(Resumable { tasks, lapsed })
        })
    }

    fn claim(
        &self,
        task_id: &str,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Option<Lease>, HistoryError> {
        self.claim_where(task_id, None, now, lease)
    }

    fn claim_unpolled(
        &self,
        task_id: &str,
        seen_attempts: u32,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Option<Lease>, HistoryError> {
        self.claim_where(task_id, Some(seen_attempts), now, lease)
    }

    fn finish(&self, lease: &Lease, finish: &PollFinish) -> Result<Finished, HistoryError> {
        let lease = lease.clone();
        let finish = finish.clone();
        self.call(move |pool| async move {
            let mut c = pool.get().await.map_err(pool_err)?;
            let tx = c.transaction().await.map_err(pg_err)?;
            let lookup_id = match &finish.record {
                Some(rec) => Some(
                    insert(&tx, rec, None)
                        .await?
                        .ok_or_else(|| bad(0, "a new uuid collided"))?,
                ),
                None => None,
            };
            let result = finish.record.as_ref().and_then(|r| r.report.clone());
            let n = tx
                .execute(
                    "UPDATE riskdesk.phone_tasks SET state = $2, last_poll_at = $3,
                        attempts = attempts + 1, result = coalesce($4, result), error = $5,
                        lease_until = NULL, lease_token = NULL
                     WHERE task_id = $1 AND lease_token = $6",
                    &[
                        &lease.task_id,
                        &finish.state.as_str(),
                        &finish.at,
                        &result,
                        &finish.error,
                        &lease.token,
                    ],
                )
                .await
                .map_err(pg_err)?;
            tx.commit().await.map_err(pg_err)?;
            Ok(Finished {
                lookup_id,
                task_updated: n == 1,
            })
        })
    }
}

impl PgHistory {
    /// The lease on an open, unexpired, unleased task — with `seen_attempts`, only while no
    /// poll has been counted since (one statement: two desks cannot both pass).
    fn claim_where(
        &self,
        task_id: &str,
        seen_attempts: Option<u32>,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Option<Lease>, HistoryError> {
        let id = task_id.to_string();
        let secs = lease.as_secs_f64().min(86_400.0);
        let seen: Option<i32> = seen_attempts.map(|a| a.min(i32::MAX as u32) as i32);
        self.call(move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            // The lease is timed by the server's clock: every desk of the team agrees on it.
            let row = c
                .query_opt(
                    "UPDATE riskdesk.phone_tasks
                     SET lease_until = clock_timestamp() + make_interval(secs => $3),
                         lease_token = gen_random_uuid()::text, state = 'pending'
                     WHERE task_id = $1 AND state IN ('pending', 'paused') AND expires_at > $2
                       AND (lease_until IS NULL OR lease_until <= clock_timestamp())
                       AND ($4::integer IS NULL OR attempts = $4)
                     RETURNING lease_token",
                    &[&id, &now, &secs, &seen],
                )
                .await
                .map_err(pg_err)?;
            Ok(row.map(|r| Lease {
                task_id: id.clone(),
                token: r.get(0),
            }))
        })
    }
}
