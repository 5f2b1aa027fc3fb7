//! Reading rows back into types. Lenient: a row edited by hand (unknown check, bad JSON,
//! odd time) becomes an error for that row, never a panic.

use super::keys::parse_stamp;
use super::{HistoryError, LookupRecord, LookupSummary, PhoneTaskRow, TaskState};
use crate::applicant::Identity;
use crate::check::{CheckKind, Outcome};
use rusqlite::Row;

pub(crate) const SUMMARY_COLUMNS: &str = "id, created_at, check_kind, outcome, phone_e164, name, \
     id_number, country, vendor_status, vendor_request_id, sandbox, latency_ms";

pub(crate) const RECORD_COLUMNS: &str = "id, created_at, check_kind, outcome, phone_e164, name, \
     id_number, country, vendor_status, vendor_request_id, sandbox, latency_ms, operator, \
     bankcard, email, gaid, request_json, http_status, error_kind, error_message, raw_response, \
     report_json, task_id, uuid, attempts_json";

pub(crate) const TASK_COLUMNS: &str = "task_id, lookup_id, phone_e164, submitted_at, expires_at, \
     state, last_poll_at, attempts, result_json, error, sandbox";

fn bad(id: i64, message: impl Into<String>) -> HistoryError {
    HistoryError::BadRow {
        id,
        message: message.into(),
    }
}

fn text(row: &Row<'_>, i: usize) -> rusqlite::Result<String> {
    Ok(row.get::<_, Option<String>>(i)?.unwrap_or_default())
}

fn time_at(row: &Row<'_>, i: usize, id: i64) -> Result<time::OffsetDateTime, HistoryError> {
    let s = text(row, i)?;
    parse_stamp(&s).ok_or_else(|| bad(id, format!("unreadable time '{s}'")))
}

fn json_at(row: &Row<'_>, i: usize, id: i64) -> Result<Option<serde_json::Value>, HistoryError> {
    match row.get::<_, Option<String>>(i)? {
        None => Ok(None),
        Some(s) => serde_json::from_str(&s)
            .map(Some)
            .map_err(|e| bad(id, format!("unreadable JSON: {e}"))),
    }
}

pub(crate) fn summary(row: &Row<'_>) -> Result<LookupSummary, HistoryError> {
    let id: i64 = row.get(0)?;
    let check_s = text(row, 2)?;
    let outcome_s = text(row, 3)?;
    Ok(LookupSummary {
        id,
        created_at: time_at(row, 1, id)?,
        check: check_s.parse::<CheckKind>().map_err(|e| bad(id, e))?,
        outcome: outcome_s.parse::<Outcome>().map_err(|e| bad(id, e))?,
        phone_e164: text(row, 4)?,
        name: text(row, 5)?,
        id_number: text(row, 6)?,
        country: text(row, 7)?,
        vendor_status: row.get(8)?,
        vendor_request_id: row.get(9)?,
        sandbox: row.get::<_, Option<i64>>(10)?.unwrap_or(0) != 0,
        latency_ms: row.get::<_, Option<i64>>(11)?.unwrap_or(0).max(0) as u64,
    })
}

/// A full record and its uuid, from [`RECORD_COLUMNS`].
pub(crate) fn record(row: &Row<'_>) -> Result<(LookupRecord, String), HistoryError> {
    let s = summary(row)?;
    let id = s.id;
    let http_status = row
        .get::<_, Option<i64>>(17)?
        .and_then(|v| u16::try_from(v).ok());
    let rec = LookupRecord {
        id,
        created_at: s.created_at,
        operator: text(row, 12)?,
        sandbox: s.sandbox,
        check: s.check,
        identity: Identity {
            phone_e164: s.phone_e164,
            id_number: s.id_number,
            name: s.name,
            country: s.country,
            bankcard: text(row, 13)?,
            email: text(row, 14)?,
            gaid: text(row, 15)?,
        },
        request: json_at(row, 16, id)?.unwrap_or(serde_json::Value::Null),
        http_status,
        vendor_status: s.vendor_status,
        vendor_request_id: s.vendor_request_id,
        outcome: s.outcome,
        error_kind: row.get(18)?,
        error_message: row.get(19)?,
        latency_ms: s.latency_ms,
        raw_response: row.get::<_, Option<Vec<u8>>>(20)?.unwrap_or_default(),
        report: json_at(row, 21, id)?,
        task_id: row.get(22)?,
        attempts: match row.get::<_, Option<String>>(24)? {
            None => Vec::new(),
            Some(s) => serde_json::from_str(&s)
                .map_err(|e| bad(id, format!("unreadable attempts: {e}")))?,
        },
    };
    Ok((rec, text(row, 23)?))
}

pub(crate) fn task(row: &Row<'_>) -> Result<PhoneTaskRow, HistoryError> {
    // Tasks have no numeric id; errors name them by position instead.
    let task_id = text(row, 0)?;
    let state_s = text(row, 5)?;
    let last_poll_at = match row.get::<_, Option<String>>(6)? {
        Some(s) => Some(
            parse_stamp(&s)
                .ok_or_else(|| bad(0, format!("task {task_id}: unreadable time '{s}'")))?,
        ),
        None => None,
    };
    Ok(PhoneTaskRow {
        lookup_id: row.get::<_, Option<i64>>(1)?.unwrap_or(0),
        phone_e164: text(row, 2)?,
        submitted_at: time_at(row, 3, 0)?,
        expires_at: time_at(row, 4, 0)?,
        state: TaskState::parse(&state_s)
            .ok_or_else(|| bad(0, format!("task {task_id}: unknown state '{state_s}'")))?,
        last_poll_at,
        attempts: row
            .get::<_, Option<i64>>(7)?
            .unwrap_or(0)
            .clamp(0, u32::MAX as i64) as u32,
        result: json_at(row, 8, 0)?,
        error: row.get(9)?,
        sandbox: row.get::<_, Option<i64>>(10)?.unwrap_or(0) != 0,
        task_id,
    })
}
