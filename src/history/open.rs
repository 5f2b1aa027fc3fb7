//! Which history a desk uses: the team's PostgreSQL when a URL is configured
//! (`RISKDESK_HISTORY_URL`, else `[history] url`), otherwise the local SQLite file.

use super::{HistoryError, PgHistory, SharedHistory, SqliteHistory};
use crate::config::HistoryConfig;
use std::path::Path;
use std::sync::Arc;

/// The environment variable that points a desk at the team history (wins over the file).
pub const HISTORY_URL_ENV: &str = "RISKDESK_HISTORY_URL";

/// The team history URL, when one is configured.
pub fn team_url(cfg: &HistoryConfig) -> Option<String> {
    std::env::var(HISTORY_URL_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| cfg.url.as_ref().map(|u| u.expose().to_string()))
        .filter(|v| !v.trim().is_empty())
}

/// Opens the configured history: PostgreSQL (connecting, and migrating when this role owns
/// the database) or `data_dir/history.db`. Blocks: call it off the async runtime's threads.
pub fn open_configured(
    cfg: &HistoryConfig,
    data_dir: &Path,
    os_user: &str,
) -> Result<SharedHistory, HistoryError> {
    Ok(match team_url(cfg) {
        Some(url) => Arc::new(PgHistory::open(&url, os_user)?),
        None => Arc::new(SqliteHistory::open_in_data_dir(data_dir)?),
    })
}
