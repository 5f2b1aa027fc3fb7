//! The access log: who viewed which lookups, when and why. `history show`, `history export`
//! and the console's lookup and case views each add a row ([`History::log_access`]);
//! `history access` lists them ([`History::access`]). On PostgreSQL the rows are
//! append-only for everyone but `riskdesk_admin`, and the database writes who (its
//! `session_user`) and when (its clock).
//!
//! [`History::log_access`]: super::History::log_access
//! [`History::access`]: super::History::access

use super::keys::{parse_stamp, stamp};
use super::{DEFAULT_LIMIT, HistoryError, MAX_LIMIT, Store};
use rusqlite::params;
use serde::Serialize;
use time::OffsetDateTime;

/// One viewing of one or more lookups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessEntry {
    /// 0 when not stored yet.
    pub id: i64,
    /// When (UTC). PostgreSQL stores its own clock's time, whatever is sent.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The desk's OS user, as the client says.
    pub os_user: String,
    /// The database's word for who it was (PostgreSQL's `session_user`, set by the server);
    /// `None` on SQLite. Ignored when logging.
    pub db_user: Option<String>,
    /// What was done: `show`, `export`, `open` (the console opened a lookup), `case` (a
    /// case view) ...
    pub action: String,
    /// The lookups seen, by id.
    pub lookup_ids: Vec<i64>,
    /// Why, when the viewer said (`--purpose`).
    pub purpose: Option<String>,
}

impl AccessEntry {
    /// An entry for now, by `os_user`.
    pub fn now(
        os_user: &str,
        action: &str,
        lookup_ids: Vec<i64>,
        purpose: Option<String>,
    ) -> AccessEntry {
        AccessEntry {
            id: 0,
            at: OffsetDateTime::now_utc(),
            os_user: os_user.to_string(),
            db_user: None,
            action: action.to_string(),
            lookup_ids,
            purpose,
        }
    }
}

/// Which access rows to list: newest first, at most `limit` (0 = the default page).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessQuery {
    /// Only rows that include this lookup.
    pub lookup: Option<i64>,
    /// Only rows by this user (the OS user, or the database role on PostgreSQL).
    pub operator: Option<String>,
    /// From this day on (UTC).
    pub since: Option<time::Date>,
    pub limit: usize,
}

impl AccessQuery {
    pub(crate) fn effective_limit(&self) -> usize {
        match self.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        }
    }
}

/// The start of a day in UTC.
pub(crate) fn day_start(d: time::Date) -> OffsetDateTime {
    d.midnight().assume_utc()
}

impl Store {
    /// Adds one access row; returns its id.
    pub fn log_access(&mut self, e: &AccessEntry) -> Result<i64, HistoryError> {
        let ids = serde_json::to_string(&e.lookup_ids).unwrap_or_else(|_| "[]".into());
        self.conn
            .prepare_cached(
                "INSERT INTO access_log (accessed_at, os_user, action, lookup_ids, purpose)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![stamp(e.at), e.os_user, e.action, ids, e.purpose])?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Access rows matching `q`, newest first.
    pub fn access(&self, q: &AccessQuery) -> Result<Vec<AccessEntry>, HistoryError> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, accessed_at, os_user, action, lookup_ids, purpose FROM access_log
             WHERE (?1 IS NULL OR EXISTS (SELECT 1 FROM json_each(access_log.lookup_ids)
                                          WHERE value = ?1))
               AND (?2 IS NULL OR os_user = ?2)
               AND (?3 IS NULL OR accessed_at >= ?3)
             ORDER BY accessed_at DESC, id DESC LIMIT ?4",
        )?;
        let since = q.since.map(|d| stamp(day_start(d)));
        let rows = st.query_map(
            params![q.lookup, q.operator, since, q.effective_limit() as i64],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                ))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (id, at, os_user, action, ids, purpose) = row?;
            out.push(AccessEntry {
                id,
                at: parse_stamp(&at).ok_or_else(|| HistoryError::BadRow {
                    id,
                    message: format!("access row: unreadable time '{at}'"),
                })?,
                os_user,
                db_user: None,
                action,
                lookup_ids: serde_json::from_str(&ids).unwrap_or_default(),
                purpose,
            });
        }
        Ok(out)
    }
}
