//! One applicant's rows by the keys the store indexes ([`History::ids_by_keys`],
//! [`History::get_many`]) on SQLite: index-only walks of `lookups_by_phone` and
//! `lookups_by_id_number`, then the few rows wanted read by id.
//!
//! [`History::ids_by_keys`]: super::History::ids_by_keys
//! [`History::get_many`]: super::History::get_many

use super::keys::day_start;
use super::rows::{self, RECORD_COLUMNS, any_text};
use super::store::Store;
use super::{HistoryError, KeyQuery, LookupRecord};
use rusqlite::types::Value;

/// Above every stored stamp (`9999-12-31T…Z` is the largest).
const NO_UPPER_BOUND: &str = "a";

impl Store {
    /// [`super::History::ids_by_keys`].
    pub(crate) fn ids_by_keys(&self, q: &KeyQuery) -> Result<(Vec<i64>, bool), HistoryError> {
        let from = q.since.map(day_start).unwrap_or_default();
        let to = q
            .until
            .and_then(|d| d.next_day())
            .map(day_start)
            .unwrap_or_else(|| NO_UPPER_BOUND.to_string());
        let fetch = i64::try_from(q.limit.saturating_add(1)).unwrap_or(i64::MAX);
        let mut hits: Vec<(String, i64)> = Vec::new();
        let parts = q
            .phone_nsns
            .iter()
            .map(|k| ("lookups_by_phone", "phone_nsn", k))
            .chain(
                q.id_keys
                    .iter()
                    .map(|k| ("lookups_by_id_number", "id_key", k)),
            );
        for (index, column, key) in parts {
            if key.is_empty() {
                continue;
            }
            // The index ends in (created_at, id): no sort, no table page read.
            let mut st = self.conn.prepare_cached(&format!(
                "SELECT created_at, id FROM lookups INDEXED BY {index}
                 WHERE {column} = ?1 AND {column} <> '' AND created_at >= ?2 AND created_at < ?3
                 ORDER BY created_at DESC, id DESC LIMIT ?4"
            ))?;
            let rows = st.query_map(
                rusqlite::params![Value::Text(key.clone()), from, to, fetch],
                |r| Ok((any_text(r.get_ref(0)?), r.get::<_, i64>(1)?)),
            )?;
            for row in rows {
                hits.push(row?);
            }
        }
        hits.sort_by(|a, b| b.cmp(a));
        hits.dedup_by_key(|h| h.1);
        let more = hits.len() > q.limit;
        hits.truncate(q.limit);
        Ok((hits.into_iter().map(|(_, id)| id).collect(), more))
    }

    /// [`super::History::get_many`].
    pub(crate) fn get_many(
        &self,
        ids: &[i64],
    ) -> Result<Vec<(LookupRecord, String)>, HistoryError> {
        // One read transaction: one shared lock and one snapshot for every row, instead of
        // taking and dropping the lock (and checking the WAL) per statement.
        let tx = self.conn.unchecked_transaction()?;
        let mut st = tx.prepare_cached(&format!(
            "SELECT {RECORD_COLUMNS} FROM lookups WHERE id = ?1"
        ))?;
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            let mut q = st.query([id])?;
            let Some(row) = q.next()? else { continue };
            match rows::record(row) {
                Ok(found) => out.push(found),
                Err(HistoryError::BadRow { message, .. }) => {
                    tracing::warn!(id, "history row left out of the case: {message}");
                }
                Err(e) => return Err(e),
            }
        }
        drop(st);
        tx.finish()?;
        Ok(out)
    }
}
