//! `history show ID`: one lookup, readable.

use super::LookupRecord;
use super::cli::mask_phone;
use crate::applicant::mask_id;
use std::io::Write;

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
    let fields: [(&str, String); 20] = [
        ("id", r.id.to_string()),
        ("created at", format!("{} UTC", r.created_at)),
        ("operator", r.operator.clone()),
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
