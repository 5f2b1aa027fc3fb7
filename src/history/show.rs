//! `history show ID`: one lookup, readable.

use super::cli::mask_phone;
use super::{History, HistoryError, LookupRecord};
use crate::applicant::mask_id;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The files one lookup is exported to for a ticket (the console's Ctrl-S).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupFiles {
    /// `lookup-<id>-<uuid>.json`: the whole lookup, readable.
    pub json: PathBuf,
    /// `lookup-<id>-<uuid>.raw`: the vendor's body byte for byte, as `history show --raw`.
    pub raw: PathBuf,
}

/// Writes lookup `id` into `dir` (created if needed) as [`LookupFiles`], owner-only
/// (0600): the raw body exactly as stored, and `readable(record)` pretty-printed with the
/// lookup's `uuid` added. Named by id *and* uuid: the id is this store's, the uuid names
/// the lookup in every store it is exported to. `None` when there is no such lookup.
pub fn export_lookup_files(
    history: &dyn History,
    id: i64,
    dir: &Path,
    readable: impl FnOnce(&LookupRecord) -> serde_json::Value,
) -> Result<Option<LookupFiles>, HistoryError> {
    let Some(rec) = history.get(id)? else {
        return Ok(None);
    };
    let uuid = history.uuid_of(id)?.unwrap_or_default();
    write_lookup_files(rec, uuid, id, dir, readable)
}

impl super::Store {
    /// [`export_lookup_files`] straight from this store.
    pub fn export_lookup_files(
        &self,
        id: i64,
        dir: &Path,
        readable: impl FnOnce(&LookupRecord) -> serde_json::Value,
    ) -> Result<Option<LookupFiles>, HistoryError> {
        let Some(rec) = self.get(id)? else {
            return Ok(None);
        };
        let uuid = self.uuid_of(id)?.unwrap_or_default();
        write_lookup_files(rec, uuid, id, dir, readable)
    }
}

fn write_lookup_files(
    rec: LookupRecord,
    uuid: String,
    id: i64,
    dir: &Path,
    readable: impl FnOnce(&LookupRecord) -> serde_json::Value,
) -> Result<Option<LookupFiles>, HistoryError> {
    let io = |path: &Path, e: std::io::Error| HistoryError::Io {
        path: path.display().to_string(),
        source: e,
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    // A uuid as stored could have been edited: only its safe characters name a file.
    let tag: String = uuid
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let base = if tag.is_empty() {
        format!("lookup-{id}")
    } else {
        format!("lookup-{id}-{tag}")
    };
    let files = LookupFiles {
        json: dir.join(format!("{base}.json")),
        raw: dir.join(format!("{base}.raw")),
    };
    let mut json = readable(&rec);
    if let Some(obj) = json.as_object_mut() {
        obj.insert("uuid".into(), serde_json::Value::String(uuid));
    }
    let text =
        serde_json::to_string_pretty(&json).map_err(|e| HistoryError::Write(e.to_string()))?;
    write_private(&files.raw, &rec.raw_response).map_err(|e| io(&files.raw, e))?;
    write_private(&files.json, text.as_bytes()).map_err(|e| io(&files.json, e))?;
    Ok(Some(files))
}

/// A file only its owner can read (an export holds an applicant's identifiers), on disk
/// before this returns.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o.open(path)?;
    // mode() applies only when the file is created: tighten an existing one too.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    f.write_all(bytes)?;
    f.sync_all()
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

/// The request with its identifiers masked like the header (any depth: `body.mobile`, ...).
fn masked_request(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let masked = match (k.as_str(), v) {
                        ("mobile" | "phone_number", Value::String(s)) => {
                            Value::String(mask_phone(s))
                        }
                        ("idcard" | "id_number" | "bankcard", Value::String(s)) => {
                            Value::String(mask_id(s))
                        }
                        _ => masked_request(v),
                    };
                    (k.clone(), masked)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(masked_request).collect()),
        other => other.clone(),
    }
}

/// `history show`: one lookup in full, identifiers masked unless `reveal`.
pub fn write_record(out: &mut dyn Write, r: &LookupRecord, reveal: bool) -> std::io::Result<()> {
    let i = &r.identity;
    let (phone, id_number, bankcard) = if reveal {
        (
            i.phone_e164.clone(),
            i.id_number.clone(),
            i.bankcard.clone(),
        )
    } else {
        (
            mask_phone(&i.phone_e164),
            mask_id(&i.id_number),
            mask_id(&i.bankcard),
        )
    };
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
    let fields: [(&str, String); 21] = [
        ("id", r.id.to_string()),
        ("created at", format!("{} UTC", r.created_at)),
        ("operator", r.operator.clone()),
        ("purpose", opt(&r.purpose)),
        ("sandbox", r.sandbox.to_string()),
        (
            "check",
            format!("{} ({})", r.check.cli_name(), r.check.vendor().label()),
        ),
        ("outcome", r.outcome.to_string()),
        ("phone", phone),
        ("id number", id_number),
        ("name", i.name.clone()),
        ("country", i.country.clone()),
        ("bank card", bankcard),
        ("email", i.email.clone()),
        ("gaid", i.gaid.clone()),
        (
            "http status",
            r.http_status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into()),
        ),
        ("vendor status", opt(&r.vendor_status)),
        ("request id", opt(&r.vendor_request_id)),
        ("task id", opt(&r.task_id)),
        ("latency", format!("{} ms", r.latency_ms)),
        ("attempts", attempts_line(&r.attempts)),
        (
            "error",
            match (&r.error_kind, &r.error_message) {
                (None, None) => "-".into(),
                (k, m) => format!("{}: {}", opt(k), opt(m)),
            },
        ),
    ];
    for (k, v) in fields {
        if !v.is_empty() {
            writeln!(out, "{k:>14}  {v}")?;
        }
    }
    let request = if reveal {
        r.request.clone()
    } else {
        masked_request(&r.request)
    };
    writeln!(out, "\nrequest as sent:\n{}", pretty(&request))?;
    if let Some(rep) = &r.report {
        writeln!(out, "\nreport:\n{}", pretty(rep))?;
    }
    writeln!(
        out,
        "\nvendor response ({} bytes; `--raw` for the exact bytes):\n{}",
        r.raw_response.len(),
        String::from_utf8_lossy(&r.raw_response)
    )?;
    Ok(())
}

/// `2: #1 HTTP 403 RATE_LIMIT_EXCEEDED (id r-1, 12 ms); #2 HTTP 200 OK (id r-2, 9 ms)`;
/// "not recorded" for rows stored before attempts were kept.
fn attempts_line(attempts: &[crate::vendor::Attempt]) -> String {
    if attempts.is_empty() {
        return "not recorded".into();
    }
    let each: Vec<String> = attempts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let status = a
                .http_status
                .map(|s| format!("HTTP {s}"))
                .unwrap_or_else(|| "no answer".into());
            let mut text = format!("#{} {status}", i + 1);
            for part in [&a.vendor_status, &a.error_kind].into_iter().flatten() {
                text.push(' ');
                text.push_str(part);
            }
            let id = a.vendor_request_id.as_deref().unwrap_or("-");
            text.push_str(&format!(" (request id {id}, {} ms)", a.latency_ms));
            text
        })
        .collect();
    format!("{}: {}", attempts.len(), each.join("; "))
}
