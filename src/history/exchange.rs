//! Export (JSON lines or CSV) and idempotent import of the JSON-lines export.

use super::api::{ExportItem, History, Inserted};
use super::rows::{self, RECORD_COLUMNS};
use super::store::insert;
use super::{HistoryError, LookupRecord, MAX_LIMIT, SearchQuery, Store};
use crate::applicant::Identity;
use crate::check::{CheckKind, Outcome};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ExportFormat {
    #[default]
    Jsonl,
    Csv,
}

/// What an import did. Lines that do not parse are skipped and counted, never fatal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportStats {
    /// Non-blank lines read.
    pub read: usize,
    pub added: usize,
    /// Rows already present (same uuid): importing a file twice adds nothing.
    pub duplicates: usize,
    pub rejected: usize,
    /// The first few rejections, as `line N: why`.
    pub errors: Vec<String>,
}

/// What an export wrote and what it left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ExportStats {
    /// Lookups written (those written as stored included).
    pub written: usize,
    /// Written as stored: rows whose check or outcome this build does not know (a newer
    /// riskdesk wrote them); same shape, stored spellings, with an `as_stored` reason.
    pub as_stored: usize,
    /// Unreadable rows left out, each reported as it was met.
    pub skipped: usize,
}

const MAX_REPORTED_ERRORS: usize = 20;
/// From this many added rows on, an import ends with [`History::optimize`].
const BIG_IMPORT: usize = 10_000;

/// One exported lookup. The raw body is text when it is UTF-8 and hex otherwise, so a
/// line stays readable and still restores the exact bytes.
#[derive(Debug, Serialize, Deserialize)]
struct Line {
    uuid: String,
    #[serde(default)]
    id: i64,
    #[serde(with = "time::serde::rfc3339")]
    created_at: time::OffsetDateTime,
    #[serde(default)]
    operator: String,
    /// Why the lookup was made; absent when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    purpose: Option<String>,
    #[serde(default)]
    sandbox: bool,
    check: CheckKind,
    #[serde(default)]
    identity: Identity,
    #[serde(default)]
    request: serde_json::Value,
    #[serde(default)]
    http_status: Option<u16>,
    #[serde(default)]
    vendor_status: Option<String>,
    #[serde(default)]
    vendor_request_id: Option<String>,
    outcome: Outcome,
    #[serde(default)]
    error_kind: Option<String>,
    #[serde(default)]
    error_message: Option<String>,
    #[serde(default)]
    latency_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    raw_response: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    raw_response_hex: Option<String>,
    #[serde(default)]
    report: Option<serde_json::Value>,
    #[serde(default)]
    task_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    attempts: Vec<crate::vendor::Attempt>,
}

impl Line {
    fn from_record(r: LookupRecord, uuid: String) -> Line {
        let (raw_response, raw_response_hex) = match String::from_utf8(r.raw_response) {
            Ok(s) => (Some(s), None),
            Err(e) => (None, Some(hex(e.as_bytes()))),
        };
        Line {
            uuid,
            id: r.id,
            created_at: r.created_at,
            operator: r.operator,
            purpose: r.purpose,
            sandbox: r.sandbox,
            check: r.check,
            identity: r.identity,
            request: r.request,
            http_status: r.http_status,
            vendor_status: r.vendor_status,
            vendor_request_id: r.vendor_request_id,
            outcome: r.outcome,
            error_kind: r.error_kind,
            error_message: r.error_message,
            latency_ms: r.latency_ms,
            raw_response,
            raw_response_hex,
            report: r.report,
            task_id: r.task_id,
            attempts: r.attempts,
        }
    }

    fn into_record(self) -> Result<(LookupRecord, String), String> {
        if self.uuid.trim().is_empty() {
            return Err("empty uuid".into());
        }
        let raw = match (self.raw_response, self.raw_response_hex) {
            (_, Some(h)) => unhex(&h).ok_or("raw_response_hex is not hex")?,
            (Some(s), None) => s.into_bytes(),
            (None, None) => Vec::new(),
        };
        let rec = LookupRecord {
            id: self.id,
            created_at: self.created_at,
            operator: self.operator,
            purpose: self.purpose,
            sandbox: self.sandbox,
            check: self.check,
            identity: self.identity,
            request: self.request,
            http_status: self.http_status,
            vendor_status: self.vendor_status,
            vendor_request_id: self.vendor_request_id,
            outcome: self.outcome,
            error_kind: self.error_kind,
            error_message: self.error_message,
            latency_ms: self.latency_ms,
            raw_response: raw,
            report: self.report,
            task_id: self.task_id,
            attempts: self.attempts,
        };
        Ok((rec, self.uuid.trim().to_string()))
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok()))
        .collect()
}

const CSV_HEADER: &[&str] = &[
    "id",
    "uuid",
    "created_at",
    "operator",
    "purpose",
    "sandbox",
    "check",
    "outcome",
    "phone_e164",
    "id_number",
    "name",
    "country",
    "bankcard",
    "email",
    "gaid",
    "http_status",
    "vendor_status",
    "vendor_request_id",
    "error_kind",
    "error_message",
    "latency_ms",
    "task_id",
    "attempts",
    "request",
    "report",
    "raw_response",
];

fn csv_row(r: &LookupRecord, uuid: &str) -> Vec<String> {
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    vec![
        r.id.to_string(),
        uuid.to_string(),
        super::keys::stamp(r.created_at),
        r.operator.clone(),
        opt(&r.purpose),
        r.sandbox.to_string(),
        r.check.cli_name().to_string(),
        r.outcome.as_str().to_string(),
        r.identity.phone_e164.clone(),
        r.identity.id_number.clone(),
        r.identity.name.clone(),
        r.identity.country.clone(),
        r.identity.bankcard.clone(),
        r.identity.email.clone(),
        r.identity.gaid.clone(),
        r.http_status.map(|s| s.to_string()).unwrap_or_default(),
        opt(&r.vendor_status),
        opt(&r.vendor_request_id),
        opt(&r.error_kind),
        opt(&r.error_message),
        r.latency_ms.to_string(),
        opt(&r.task_id),
        if r.attempts.is_empty() {
            String::new()
        } else {
            serde_json::to_string(&r.attempts).unwrap_or_default()
        },
        r.request.to_string(),
        r.report.as_ref().map(|v| v.to_string()).unwrap_or_default(),
        // CSV is for reading in a ticket; the exact bytes are in `show --raw` and JSON lines.
        String::from_utf8_lossy(&r.raw_response).into_owned(),
    ]
}

/// The CSV record of a row written as stored (see [`rows::stored_line`]).
fn csv_row_as_stored(line: &serde_json::Value) -> Vec<String> {
    CSV_HEADER
        .iter()
        .map(|&col| {
            let v = match col {
                "phone_e164" | "id_number" | "name" | "country" | "bankcard" | "email" | "gaid" => {
                    &line["identity"][col]
                }
                "raw_response" if line.get("raw_response").is_none() => &line["raw_response_hex"],
                _ => &line[col],
            };
            match v {
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            }
        })
        .collect()
}

/// Writes every lookup matching `q` (its limit and cursor ignored), newest first, in
/// `format`. An unreadable row is left out, reported to `on_skip(id, why)`, and the export
/// goes on; a row whose check or outcome this build does not know is written as stored.
pub fn export(
    history: &dyn History,
    q: &SearchQuery,
    format: ExportFormat,
    out: &mut dyn Write,
    on_skip: &mut dyn FnMut(i64, &str),
) -> Result<ExportStats, HistoryError> {
    export_items(&mut |f| history.for_each(q, f), format, out, on_skip)
}

/// [`export`], collecting the ids of the lookups written into `seen` (for the access log).
pub(crate) fn export_seen(
    history: &dyn History,
    q: &SearchQuery,
    format: ExportFormat,
    out: &mut dyn Write,
    on_skip: &mut dyn FnMut(i64, &str),
    seen: &mut Vec<i64>,
) -> Result<ExportStats, HistoryError> {
    export_items(
        &mut |f| {
            history.for_each(q, &mut |item| {
                match &item {
                    ExportItem::Record(rec, _) => seen.push(rec.id),
                    ExportItem::AsStored(line) => {
                        if let Some(id) = line["id"].as_i64() {
                            seen.push(id)
                        }
                    }
                    ExportItem::Unreadable { .. } => {}
                }
                f(item)
            })
        },
        format,
        out,
        on_skip,
    )
}

/// Walks the rows one `for_each` gives (a [`History`], or a [`Store`] directly).
type ForEach<'a> = dyn FnMut(
        &mut dyn FnMut(ExportItem) -> Result<(), HistoryError>,
    ) -> Result<ExportStats, HistoryError>
    + 'a;

fn export_items(
    for_each: &mut ForEach<'_>,
    format: ExportFormat,
    out: &mut dyn Write,
    on_skip: &mut dyn FnMut(i64, &str),
) -> Result<ExportStats, HistoryError> {
    let werr = |e: &dyn std::fmt::Display| HistoryError::Write(e.to_string());
    match format {
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(CSV_HEADER).map_err(|e| werr(&e))?;
            let stats = for_each(&mut |item| {
                let fields = match item {
                    ExportItem::Record(rec, uuid) => csv_row(&rec, &uuid),
                    ExportItem::AsStored(line) => csv_row_as_stored(&line),
                    ExportItem::Unreadable { id, why } => {
                        on_skip(id, &why);
                        return Ok(());
                    }
                };
                w.write_record(fields).map_err(|e| werr(&e))
            })?;
            w.flush().map_err(|e| werr(&e))?;
            Ok(stats)
        }
        ExportFormat::Jsonl => {
            let stats = for_each(&mut |item| {
                let line = match item {
                    ExportItem::Record(rec, uuid) => {
                        serde_json::to_string(&Line::from_record(*rec, uuid))
                    }
                    ExportItem::AsStored(line) => serde_json::to_string(&line),
                    ExportItem::Unreadable { id, why } => {
                        on_skip(id, &why);
                        return Ok(());
                    }
                }
                .map_err(|e| werr(&e))?;
                writeln!(out, "{line}").map_err(|e| werr(&e))
            })?;
            out.flush().map_err(|e| werr(&e))?;
            Ok(stats)
        }
    }
}

/// Lines per import transaction: each commits in well under a second, so a check or the
/// console writing meanwhile waits milliseconds, never the whole import.
pub const IMPORT_BATCH: usize = 500;

/// Reads an export's JSON lines into `history`, [`IMPORT_BATCH`] rows per transaction. A
/// row whose uuid is already stored is skipped, so importing a file twice adds nothing and
/// an interrupted import resumes by running it again. Each added row gets a new id (ids are
/// local; the uuid is a lookup's identity across stores). `progress(bytes_read)` is called
/// after each batch.
pub fn import_jsonl(
    history: &dyn History,
    input: &mut dyn BufRead,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportStats, HistoryError> {
    import_lines(
        &mut |batch| history.insert_absent(batch),
        &mut || history.optimize(),
        input,
        progress,
    )
}

type InsertBatch<'a> = dyn FnMut(&[(LookupRecord, String)]) -> Result<Inserted, HistoryError> + 'a;

fn import_lines(
    insert_absent: &mut InsertBatch<'_>,
    optimize: &mut dyn FnMut() -> Result<(), HistoryError>,
    input: &mut dyn BufRead,
    progress: &mut dyn FnMut(u64),
) -> Result<ImportStats, HistoryError> {
    let mut stats = ImportStats::default();
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    let mut bytes = 0u64;
    let mut batch: Vec<(LookupRecord, String)> = Vec::with_capacity(IMPORT_BATCH);
    let mut flush = |batch: &mut Vec<(LookupRecord, String)>,
                     stats: &mut ImportStats|
     -> Result<(), HistoryError> {
        if !batch.is_empty() {
            let done = insert_absent(batch)?;
            stats.added += done.added;
            stats.duplicates += done.duplicates;
            batch.clear();
        }
        Ok(())
    };
    loop {
        buf.clear();
        let n = input
            .read_until(b'\n', &mut buf)
            .map_err(|e| HistoryError::Read(format!("line {}: {e}", line_no + 1)))?;
        if n == 0 {
            flush(&mut batch, &mut stats)?;
            progress(bytes);
            // A bulk load leaves the name index in many segments: merge them once, here.
            if stats.added >= BIG_IMPORT {
                optimize()?;
            }
            return Ok(stats);
        }
        bytes += n as u64;
        line_no += 1;
        let text = String::from_utf8_lossy(&buf);
        if text.trim().is_empty() {
            continue;
        }
        stats.read += 1;
        let parsed = serde_json::from_str::<Line>(text.trim())
            .map_err(|e| e.to_string())
            .and_then(Line::into_record);
        match parsed {
            Ok(p) => batch.push(p),
            Err(why) => {
                stats.rejected += 1;
                if stats.errors.len() < MAX_REPORTED_ERRORS {
                    stats.errors.push(format!("line {line_no}: {why}"));
                }
            }
        }
        if batch.len() >= IMPORT_BATCH {
            flush(&mut batch, &mut stats)?;
            progress(bytes);
        }
    }
}

impl Store {
    /// [`export`] straight from this store (tests, benches, maintenance); unreadable rows
    /// are logged.
    pub fn export(
        &self,
        q: &SearchQuery,
        format: ExportFormat,
        out: &mut dyn Write,
    ) -> Result<ExportStats, HistoryError> {
        self.export_with(q, format, out, &mut |id, why| {
            tracing::warn!(id, why, "history row left out of export");
        })
    }

    /// [`export`] straight from this store, `on_skip` told of each unreadable row.
    pub fn export_with(
        &self,
        q: &SearchQuery,
        format: ExportFormat,
        out: &mut dyn Write,
        on_skip: &mut dyn FnMut(i64, &str),
    ) -> Result<ExportStats, HistoryError> {
        export_items(&mut |f| self.for_each_item(q, f), format, out, on_skip)
    }

    /// [`import_jsonl`] straight into this store.
    pub fn import_jsonl(&mut self, input: &mut dyn BufRead) -> Result<ImportStats, HistoryError> {
        let this = std::cell::RefCell::new(self);
        import_lines(
            &mut |batch| this.borrow_mut().insert_absent(batch),
            &mut || this.borrow_mut().optimize(),
            input,
            &mut |_| {},
        )
    }

    /// [`History::for_each`]: page by page, each page continuing from the last row read,
    /// so an unreadable row ends nothing.
    pub(crate) fn for_each_item(
        &self,
        q: &SearchQuery,
        f: &mut dyn FnMut(ExportItem) -> Result<(), HistoryError>,
    ) -> Result<ExportStats, HistoryError> {
        let mut page_q = q.clone();
        page_q.limit = MAX_LIMIT;
        page_q.before = None;
        let mut stats = ExportStats::default();
        loop {
            let page = self.read_page(&page_q)?;
            for hit in &page.hits {
                // A row purged between the page and this read is simply not exported.
                let Some(item) = self.for_export(hit.pos.id)? else {
                    continue;
                };
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
            match page.next {
                Some(c) => page_q.before = Some(c),
                None => return Ok(stats),
            }
        }
    }

    fn for_export(&self, id: i64) -> Result<Option<ExportItem>, HistoryError> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {RECORD_COLUMNS} FROM lookups WHERE id = ?1"
        ))?;
        let mut q = st.query([id])?;
        let Some(row) = q.next()? else {
            return Ok(None);
        };
        Ok(Some(match rows::record(row) {
            Ok((rec, uuid)) => ExportItem::Record(Box::new(rec), uuid),
            Err(HistoryError::BadRow { message, .. }) => {
                if rows::unknown_kind(row)? {
                    ExportItem::AsStored(rows::stored_line(row, &message)?)
                } else {
                    ExportItem::Unreadable { id, why: message }
                }
            }
            Err(e) => return Err(e),
        }))
    }

    /// [`History::insert_absent`]: one transaction.
    pub(crate) fn insert_absent(
        &mut self,
        batch: &[(LookupRecord, String)],
    ) -> Result<Inserted, HistoryError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut done = Inserted::default();
        for (rec, uuid) in batch {
            if uuid_exists(&tx, uuid)? {
                done.duplicates += 1;
            } else {
                insert(&tx, rec, uuid)?;
                done.added += 1;
            }
        }
        tx.commit()?;
        Ok(done)
    }

    /// The stable key of a stored lookup.
    pub fn uuid_of(&self, id: i64) -> Result<Option<String>, HistoryError> {
        Ok(self
            .conn
            .prepare_cached("SELECT uuid FROM lookups WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?)
    }

    pub fn id_of_uuid(&self, uuid: &str) -> Result<Option<i64>, HistoryError> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM lookups WHERE uuid = ?1")?
            .query_row([uuid], |r| r.get(0))
            .optional()?)
    }
}

fn uuid_exists(c: &Connection, uuid: &str) -> Result<bool, HistoryError> {
    Ok(c.prepare_cached("SELECT 1 FROM lookups WHERE uuid = ?1")?
        .query_row([uuid], |_| Ok(()))
        .optional()?
        .is_some())
}

/// A full record in the export's JSON shape (for `history show --json`).
pub(crate) fn record_json(rec: LookupRecord, uuid: String) -> serde_json::Value {
    serde_json::to_value(Line::from_record(rec, uuid)).unwrap_or(serde_json::Value::Null)
}
