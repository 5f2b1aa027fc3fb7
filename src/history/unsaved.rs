//! Answers that could not be stored: written beside the history, one export line each, so
//! `riskdesk history import FILE` brings them in once the store works again. A paid answer
//! is never dropped because the database was locked or broken.

use super::{HistoryError, LookupRecord, exchange, keys, store};
use std::io::Write;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// Writes `recs` to a new `<data dir>/unsaved-<UTC time>-<pid>.jsonl` (owner-only), in the
/// export format, and returns its path.
pub fn write_unsaved(
    data_dir: &Path,
    recs: &[LookupRecord],
    now: OffsetDateTime,
) -> Result<PathBuf, HistoryError> {
    let stamp = now
        .to_offset(time::UtcOffset::UTC)
        .format(time::macros::format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .unwrap_or_else(|_| now.unix_timestamp().to_string());
    let path = data_dir.join(format!("unsaved-{stamp}-{}.jsonl", std::process::id()));
    let io = |e: std::io::Error| HistoryError::Io {
        path: path.display().to_string(),
        source: e,
    };
    std::fs::create_dir_all(data_dir).map_err(io)?;
    let mut o = std::fs::OpenOptions::new();
    o.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o.open(&path).map_err(io)?;
    let mut text = Vec::new();
    for rec in recs {
        let mut rec = rec.clone();
        rec.request = keys::scrub(&rec.request);
        let line = exchange::record_json(rec, store::new_uuid());
        serde_json::to_writer(&mut text, &line).map_err(|e| HistoryError::Write(e.to_string()))?;
        text.push(b'\n');
    }
    f.write_all(&text).map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok(path)
}
