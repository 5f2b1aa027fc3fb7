//! One applicant's rows by the keys the store indexes ([`History::ids_by_keys`],
//! [`History::get_many_for_case`]) on SQLite: index-only walks of `lookups_by_phone` and
//! `lookups_by_id_number`, then the few rows wanted read by id.
//!
//! [`History::ids_by_keys`]: super::History::ids_by_keys
//! [`History::get_many_for_case`]: super::History::get_many_for_case

use super::keys::day_start;
use super::rows::{self, CASE_COLUMNS, any_text};
use super::store::{ONE_PASS_CACHE_KIB, Store};
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

    /// [`super::History::get_many_for_case`].
    pub(crate) fn get_many_for_case(
        &self,
        ids: &[i64],
    ) -> Result<Vec<(LookupRecord, String)>, HistoryError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let read = |conn: &rusqlite::Connection| {
            // JSON is parsed on a second thread while SQLite reads the next rows: the two are
            // most of a case's work and the machine has more than one core.
            std::thread::scope(|scope| {
                let (send, parsed) =
                    std::sync::mpsc::channel::<(LookupRecord, String, rows::JsonColumns)>();
                let parser = scope.spawn(move || {
                    let mut out = Vec::with_capacity(ids.len());
                    for (mut rec, uuid, json) in parsed {
                        match rows::parse_json_columns(&mut rec, json) {
                            Ok(()) => out.push((rec, uuid)),
                            Err(e) => left_out(rec.id, &e),
                        }
                    }
                    out
                });
                read_rows(conn, ids, &mut |found| {
                    // The parser only stops when this side is done: sending cannot fail.
                    let _ = send.send(found);
                })?;
                drop(send);
                parser.join().map_err(|_| HistoryError::Backend {
                    message: "reading the case's rows failed".into(),
                    busy: false,
                })
            })
        };
        if self.read_a_case.replace(true) {
            read(&self.conn)
        } else {
            self.with_cache(ONE_PASS_CACHE_KIB, read)
        }
    }
}

/// A row this riskdesk cannot read is left out of the case, and said in the log.
fn left_out(id: i64, e: &HistoryError) {
    tracing::warn!(id, "history row left out of the case: {e}");
}

/// Reads the rows `ids` name, in that order and in one read transaction (one shared lock
/// and one snapshot for every row), to `found`, their JSON columns not parsed yet.
fn read_rows(
    conn: &rusqlite::Connection,
    ids: &[i64],
    found: &mut dyn FnMut((LookupRecord, String, rows::JsonColumns)),
) -> Result<(), HistoryError> {
    let tx = conn.unchecked_transaction()?;
    let mut st = tx.prepare_cached(&format!("SELECT {CASE_COLUMNS} FROM lookups WHERE id = ?1"))?;
    for &id in ids {
        let mut q = st.query([id])?;
        let Some(row) = q.next()? else { continue };
        match rows::record_but_json(row) {
            Ok(read) => found(read),
            Err(e @ HistoryError::BadRow { .. }) => left_out(id, &e),
            Err(e) => return Err(e),
        }
    }
    drop(st);
    tx.finish()?;
    Ok(())
}
