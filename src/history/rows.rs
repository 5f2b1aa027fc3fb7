//! Reading rows back into types. Lenient: a row edited by hand (unknown check, bad JSON,
//! odd time) becomes an error for that row, never a panic.

use super::keys::parse_stamp;
use super::{HistoryError, LookupRecord, LookupSummary, PhoneTaskRow, TaskState};
use crate::applicant::Identity;
use crate::check::{CheckKind, Outcome};
use rusqlite::Row;
use rusqlite::types::ValueRef;

pub(crate) const SUMMARY_COLUMNS: &str = "id, created_at, check_kind, outcome, phone_e164, name, \
     id_number, country, vendor_status, vendor_request_id, sandbox, latency_ms";

pub(crate) const RECORD_COLUMNS: &str = "id, created_at, check_kind, outcome, phone_e164, name, \
     id_number, country, vendor_status, vendor_request_id, sandbox, latency_ms, operator, \
     bankcard, email, gaid, request_json, http_status, error_kind, error_message, raw_response, \
     report_json, task_id, uuid, attempts_json, purpose";

/// [`RECORD_COLUMNS`] as a case reads them: the request and the raw body are not read (a
/// null request, an empty body), every other column where [`record`] expects it.
pub(crate) const CASE_COLUMNS: &str = "id, created_at, check_kind, outcome, phone_e164, name, \
     id_number, country, vendor_status, vendor_request_id, sandbox, latency_ms, operator, \
     bankcard, email, gaid, NULL, http_status, error_kind, error_message, NULL, \
     report_json, task_id, uuid, attempts_json, purpose";

pub(crate) const TASK_COLUMNS: &str = "task_id, lookup_id, phone_e164, submitted_at, expires_at, \
     state, last_poll_at, attempts, result_json, error, sandbox";

fn bad(id: i64, message: impl Into<String>) -> HistoryError {
    HistoryError::BadRow {
        id,
        message: message.into(),
    }
}

fn text(row: &Row<'_>, i: usize) -> rusqlite::Result<String> {
    Ok(any_text(row.get_ref(i)?))
}

/// A column as text, whatever type a hand edit left in it (NULL is empty).
pub(crate) fn any_text(v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Null => String::new(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(b) | ValueRef::Blob(b) => String::from_utf8_lossy(b).into_owned(),
    }
}

/// A column of the wrong type (a hand edit) is that row's error, not the whole query's.
fn row_err(id: i64) -> impl Fn(HistoryError) -> HistoryError {
    move |e| match e {
        HistoryError::Backend { message, .. } => bad(id, message),
        other => other,
    }
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
    summary_of(row, id).map_err(row_err(id))
}

fn summary_of(row: &Row<'_>, id: i64) -> Result<LookupSummary, HistoryError> {
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
    let (mut rec, uuid, json) = record_but_json(row)?;
    parse_json_columns(&mut rec, json)?;
    Ok((rec, uuid))
}

/// A record's JSON columns as stored, read by [`record_but_json`] and parsed by
/// [`parse_json_columns`] — perhaps on another thread, while the next rows are read.
#[derive(Debug)]
pub(crate) struct JsonColumns {
    request: Option<String>,
    report: Option<String>,
    attempts: Option<String>,
}

/// [`record`] without parsing its JSON columns: `request` null, `report` none and
/// `attempts` empty until [`parse_json_columns`] fills them in.
pub(crate) fn record_but_json(
    row: &Row<'_>,
) -> Result<(LookupRecord, String, JsonColumns), HistoryError> {
    let s = summary(row)?;
    let id = s.id;
    record_of(row, s).map_err(row_err(id))
}

/// Parses what [`record_but_json`] left as text into `rec`; unreadable JSON is that row's
/// [`HistoryError::BadRow`].
pub(crate) fn parse_json_columns(
    rec: &mut LookupRecord,
    json: JsonColumns,
) -> Result<(), HistoryError> {
    let id = rec.id;
    let parse = |s: Option<String>| -> Result<Option<serde_json::Value>, HistoryError> {
        s.map(|s| serde_json::from_str(&s))
            .transpose()
            .map_err(|e| bad(id, format!("unreadable JSON: {e}")))
    };
    rec.request = parse(json.request)?.unwrap_or(serde_json::Value::Null);
    rec.report = parse(json.report)?;
    rec.attempts = match json.attempts {
        None => Vec::new(),
        Some(s) => {
            serde_json::from_str(&s).map_err(|e| bad(id, format!("unreadable attempts: {e}")))?
        }
    };
    Ok(())
}

fn record_of(
    row: &Row<'_>,
    s: LookupSummary,
) -> Result<(LookupRecord, String, JsonColumns), HistoryError> {
    let id = s.id;
    let http_status = row
        .get::<_, Option<i64>>(17)?
        .and_then(|v| u16::try_from(v).ok());
    let rec = LookupRecord {
        id,
        created_at: s.created_at,
        operator: text(row, 12)?,
        purpose: row.get(25)?,
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
        request: serde_json::Value::Null,
        http_status,
        vendor_status: s.vendor_status,
        vendor_request_id: s.vendor_request_id,
        outcome: s.outcome,
        error_kind: row.get(18)?,
        error_message: row.get(19)?,
        latency_ms: s.latency_ms,
        raw_response: row.get::<_, Option<Vec<u8>>>(20)?.unwrap_or_default(),
        report: None,
        task_id: row.get(22)?,
        attempts: Vec::new(),
    };
    let json = JsonColumns {
        request: row.get(16)?,
        report: row.get(21)?,
        attempts: row.get(24)?,
    };
    Ok((rec, text(row, 23)?, json))
}

/// A row exactly as stored, in the export's JSON-lines shape: for a row this build cannot
/// read as a lookup because its check or outcome is one it does not know (written by a
/// newer riskdesk, or edited). Text columns as stored; JSON columns parsed when they parse;
/// the raw body as text when UTF-8, hex otherwise; `as_stored` says why.
pub(crate) fn stored_line(row: &Row<'_>, why: &str) -> rusqlite::Result<serde_json::Value> {
    use serde_json::{Value, json};
    let t = |i: usize| -> rusqlite::Result<String> { text(row, i) };
    let opt = |i: usize| -> rusqlite::Result<Value> {
        Ok(match row.get_ref(i)? {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(n) => json!(n),
            v => Value::String(any_text(v)),
        })
    };
    let parsed = |i: usize| -> rusqlite::Result<Value> {
        Ok(match row.get_ref(i)? {
            ValueRef::Null => Value::Null,
            v => {
                let s = any_text(v);
                serde_json::from_str(&s).unwrap_or(Value::String(s))
            }
        })
    };
    let raw: Vec<u8> = match row.get_ref(20)? {
        ValueRef::Blob(b) | ValueRef::Text(b) => b.to_vec(),
        _ => Vec::new(),
    };
    let mut line = json!({
        "uuid": t(23)?,
        "id": row.get::<_, i64>(0)?,
        "created_at": t(1)?,
        "operator": t(12)?,
        "purpose": opt(25)?,
        "sandbox": matches!(row.get_ref(10)?, ValueRef::Integer(n) if n != 0),
        "check": t(2)?,
        "identity": {
            "phone_e164": t(4)?, "id_number": t(6)?, "name": t(5)?, "country": t(7)?,
            "bankcard": t(13)?, "email": t(14)?, "gaid": t(15)?,
        },
        "request": parsed(16)?,
        "http_status": opt(17)?,
        "vendor_status": opt(8)?,
        "vendor_request_id": opt(9)?,
        "outcome": t(3)?,
        "error_kind": opt(18)?,
        "error_message": opt(19)?,
        "latency_ms": opt(11)?,
        "report": parsed(21)?,
        "task_id": opt(22)?,
        "attempts": parsed(24)?,
        "as_stored": why,
    });
    match String::from_utf8(raw) {
        Ok(s) => line["raw_response"] = Value::String(s),
        Err(e) => {
            let hex: String = e.as_bytes().iter().map(|x| format!("{x:02x}")).collect();
            line["raw_response_hex"] = Value::String(hex);
        }
    }
    Ok(line)
}

/// Whether a row's check or outcome is one this build does not know (it may be read by a
/// newer riskdesk), as opposed to a row that is damaged.
pub(crate) fn unknown_kind(row: &Row<'_>) -> rusqlite::Result<bool> {
    Ok(text(row, 2)?.parse::<CheckKind>().is_err() || text(row, 3)?.parse::<Outcome>().is_err())
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

#[cfg(test)]
mod tests {
    use super::{CASE_COLUMNS, RECORD_COLUMNS};

    #[test]
    fn case_columns_are_the_record_columns_but_the_bodies() {
        let case: Vec<&str> = CASE_COLUMNS.split(", ").collect();
        let whole: Vec<&str> = RECORD_COLUMNS.split(", ").collect();
        assert_eq!(case.len(), whole.len());
        for (i, (c, w)) in case.iter().zip(&whole).enumerate() {
            match *w {
                "request_json" | "raw_response" => assert_eq!(*c, "NULL", "column {i}"),
                _ => assert_eq!(c, w, "column {i}"),
            }
        }
    }
}
