//! Search: every typed key is looked up through its own index, each query already in
//! newest-first order and bounded by the page size; the results are merged here.
//!
//! Paging is keyset on the stored `(created_at, id)`. The cursor is the last row *read* —
//! an unreadable row is skipped from the page but still moves the cursor — so one bad row
//! never ends paging early. A name scan (a very short or very common fragment) reads at most
//! [`NAME_SCAN_BOUND`] index entries per page and then says how far it got.

use super::keys::{day_start, fold_text, id_key, parse_stamp, phone_candidates, stamp};
use super::rows::{self, SUMMARY_COLUMNS, any_text};
use super::{Cursor, HistoryError, LookupSummary, NAME_SCAN_BOUND, SearchPage, SearchQuery, Store};
use rusqlite::OptionalExtension;
use rusqlite::types::Value;

/// Below this many name matches, the matches are fetched by id and sorted; above it,
/// matches are dense enough that walking the time index finds a page quickly.
const NAME_SORT_LIMIT: i64 = 1_000;

/// A row's place in newest-first order, as stored (text order is time order).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Pos {
    pub(crate) at: String,
    pub(crate) id: i64,
}

impl Pos {
    pub(crate) fn cursor(&self) -> Cursor {
        Cursor {
            created_at: parse_stamp(&self.at).unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
            id: self.id,
            stored: Some(self.at.clone()),
        }
    }
}

/// One row a query read: where it is, and its summary or why it could not be read.
pub(crate) struct Hit {
    pub(crate) pos: Pos,
    pub(crate) row: Result<LookupSummary, String>,
}

/// What one query read, newest first, and where it stopped looking: `Some(p)` when rows
/// older than `p` were not examined (a full LIMIT, or the scan bound).
struct Part {
    hits: Vec<Hit>,
    stopped_at: Option<Pos>,
}

/// What a page read, readable or not (export needs both).
pub(crate) struct ReadPage {
    pub(crate) hits: Vec<Hit>,
    pub(crate) next: Option<Cursor>,
    pub(crate) incomplete: bool,
}

/// The filter part of a WHERE clause and its parameters.
pub(crate) struct Filters {
    pub(crate) sql: String,
    pub(crate) params: Vec<Value>,
    /// The time range and cursor alone: what bounds a walk of the time index.
    time_sql: String,
    time_params: Vec<Value>,
}

impl Filters {
    pub(crate) fn new(q: &SearchQuery) -> Filters {
        let mut f = Filters {
            sql: String::new(),
            params: Vec::new(),
            time_sql: String::new(),
            time_params: Vec::new(),
        };
        if let Some(c) = q.check {
            f.push("check_kind = ?", Value::Text(c.cli_name().into()));
        }
        if let Some(o) = q.outcome {
            f.push("outcome = ?", Value::Text(o.as_str().into()));
        }
        let mut time = Vec::new();
        if let Some(d) = q.since {
            time.push(("created_at >= ?", vec![Value::Text(day_start(d))]));
        }
        if let Some(next) = q.until.and_then(|d| d.next_day()) {
            time.push(("created_at < ?", vec![Value::Text(day_start(next))]));
        }
        if let Some(c) = &q.before {
            let at = c.stored.clone().unwrap_or_else(|| stamp(c.created_at));
            time.push((
                "(created_at, id) < (?, ?)",
                vec![Value::Text(at), Value::Integer(c.id)],
            ));
        }
        for (term, params) in time {
            for sql in [&mut f.sql, &mut f.time_sql] {
                sql.push_str(" AND ");
                sql.push_str(term);
            }
            f.params.extend(params.iter().cloned());
            f.time_params.extend(params);
        }
        f
    }

    fn push(&mut self, term: &str, v: Value) {
        self.sql.push_str(" AND ");
        self.sql.push_str(term);
        self.params.push(v);
    }
}

impl Store {
    /// Newest first, one page; `next` is set when more rows may follow.
    pub fn search(&self, q: &SearchQuery) -> Result<SearchPage, HistoryError> {
        let page = self.read_page(q)?;
        let rows = page
            .hits
            .into_iter()
            .filter_map(|h| match h.row {
                Ok(s) => Some(s),
                Err(message) => {
                    // One hand-edited, unreadable row must not hide every other result.
                    tracing::warn!(id = h.pos.id, %message, "history row skipped in search");
                    None
                }
            })
            .collect();
        Ok(SearchPage {
            rows,
            next: page.next,
            incomplete: page.incomplete,
        })
    }

    /// Where paging continues after the lookup `id` (`--before ID`): its stored time and id,
    /// even when the row itself is unreadable. `None` when there is no such row.
    pub fn cursor_for(&self, id: i64) -> Result<Option<Cursor>, HistoryError> {
        let at = self
            .conn
            .prepare_cached("SELECT created_at FROM lookups WHERE id = ?1")?
            .query_row([id], |r| Ok(any_text(r.get_ref(0)?)))
            .optional()?;
        Ok(at.map(|at| Pos { at, id }.cursor()))
    }

    /// One page of rows read, unreadable ones included, in newest-first order.
    pub(crate) fn read_page(&self, q: &SearchQuery) -> Result<ReadPage, HistoryError> {
        let limit = q.effective_limit();
        // One extra row tells whether another page exists.
        let fetch = limit as i64 + 1;
        let filters = Filters::new(q);
        let text = q.text.trim();
        let mut parts: Vec<Part> = Vec::new();
        if text.is_empty() {
            // Check and outcome together: their own index, so a pair with no rows costs one
            // probe instead of a walk through either group.
            let from = if q.check.is_some() && q.outcome.is_some() {
                "lookups INDEXED BY lookups_by_check_outcome"
            } else {
                "lookups"
            };
            parts.push(self.run(
                &format!("SELECT {SUMMARY_COLUMNS} FROM {from} WHERE 1"),
                Vec::new(),
                &filters,
                fetch,
            )?);
        } else {
            for nsn in phone_candidates(text) {
                parts.push(self.by_key(
                    "lookups_by_phone",
                    "phone_nsn = ? AND phone_nsn <> ''",
                    nsn,
                    &filters,
                    fetch,
                )?);
            }
            let key = id_key(text);
            if key.len() >= 3 {
                parts.push(self.by_key(
                    "lookups_by_id_number",
                    "id_key = ? AND id_key <> ''",
                    key,
                    &filters,
                    fetch,
                )?);
            }
            parts.push(self.by_key(
                "lookups_by_request_id",
                "vendor_request_id = ? AND vendor_request_id IS NOT NULL",
                text.to_string(),
                &filters,
                fetch,
            )?);
            parts.push(self.by_key(
                "lookups_by_task_id",
                "task_id = ? AND task_id IS NOT NULL",
                text.to_string(),
                &filters,
                fetch,
            )?);
            // The form refuses digits in names: a text with digits that already matched a
            // key (ID, request id) is not also looked up as a name.
            let found = parts.iter().any(|p| !p.hits.is_empty());
            let key_like = text.chars().any(|c| c.is_ascii_digit()) && found;
            if text.chars().any(char::is_alphabetic) && !key_like {
                parts.push(self.by_name(text, &filters, fetch)?);
            }
        }
        Ok(merge(parts, limit))
    }

    /// One exact-key lookup through `index` (which ends in created_at, id: no sort).
    fn by_key(
        &self,
        index: &str,
        term: &str,
        key: String,
        filters: &Filters,
        fetch: i64,
    ) -> Result<Part, HistoryError> {
        self.run(
            &format!("SELECT {SUMMARY_COLUMNS} FROM lookups INDEXED BY {index} WHERE {term}"),
            vec![Value::Text(key)],
            filters,
            fetch,
        )
    }

    fn by_name(&self, text: &str, filters: &Filters, fetch: i64) -> Result<Part, HistoryError> {
        let folded = fold_text(text);
        if folded.chars().count() < 3 {
            // Too short for a trigram: walk the time index newest first, bounded.
            return self.scan_names(folded, filters, fetch);
        }
        let phrase = format!("\"{}\"", folded.replace('"', "\"\""));
        let matches: i64 = self.conn.prepare_cached(
            "SELECT count(*) FROM (SELECT rowid FROM lookup_names WHERE lookup_names MATCH ?1 LIMIT ?2)",
        )?
        .query_row(rusqlite::params![phrase, NAME_SORT_LIMIT], |r| r.get(0))?;
        if matches >= NAME_SORT_LIMIT {
            return self.scan_names(folded, filters, fetch);
        }
        // NOT INDEXED keeps the planner on the few matched rowids: with a check or outcome
        // filter it would otherwise walk that filter's index and test every row.
        let sql = format!(
            "SELECT {SUMMARY_COLUMNS} FROM lookups NOT INDEXED WHERE id IN \
             (SELECT rowid FROM lookup_names WHERE lookup_names MATCH ?){} \
             ORDER BY created_at DESC, id DESC LIMIT ?",
            filters.sql
        );
        let mut params = vec![Value::Text(phrase)];
        params.extend(filters.params.iter().cloned());
        params.push(Value::Integer(fetch));
        Ok(limited(self.collect(&sql, params)?, fetch))
    }

    /// Walks the time index (which carries check, outcome and the folded name, so only
    /// index pages are read) for rows containing `folded`, examining at most
    /// [`NAME_SCAN_BOUND`] entries: the position of the last one is found first (an
    /// index-only count), and the walk stops there.
    fn scan_names(
        &self,
        folded: String,
        filters: &Filters,
        fetch: i64,
    ) -> Result<Part, HistoryError> {
        let mut params = filters.time_params.clone();
        params.push(Value::Integer(NAME_SCAN_BOUND - 1));
        let bound: Option<Pos> = self
            .conn
            .prepare_cached(&format!(
                "SELECT created_at, id FROM lookups INDEXED BY lookups_by_time WHERE 1{} \
                 ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET ?",
                filters.time_sql
            ))?
            .query_row(rusqlite::params_from_iter(params), |r| {
                Ok(Pos {
                    at: any_text(r.get_ref(0)?),
                    id: r.get(1)?,
                })
            })
            .optional()?;
        let mut params = vec![Value::Text(folded)];
        let head = match &bound {
            Some(b) => {
                params.push(Value::Text(b.at.clone()));
                params.push(Value::Integer(b.id));
                format!(
                    "SELECT {SUMMARY_COLUMNS} FROM lookups INDEXED BY lookups_by_time \
                     WHERE instr(name_fold, ?) > 0 AND (created_at, id) >= (?, ?)"
                )
            }
            None => format!(
                "SELECT {SUMMARY_COLUMNS} FROM lookups INDEXED BY lookups_by_time \
                 WHERE instr(name_fold, ?) > 0"
            ),
        };
        let mut part = self.run(&head, params, filters, fetch)?;
        if part.stopped_at.is_none() {
            part.stopped_at = bound;
        }
        Ok(part)
    }

    /// `head` + filters + newest-first order + LIMIT.
    fn run(
        &self,
        head: &str,
        mut params: Vec<Value>,
        filters: &Filters,
        fetch: i64,
    ) -> Result<Part, HistoryError> {
        let sql = format!(
            "{head}{} ORDER BY created_at DESC, id DESC LIMIT ?",
            filters.sql
        );
        params.extend(filters.params.iter().cloned());
        params.push(Value::Integer(fetch));
        Ok(limited(self.collect(&sql, params)?, fetch))
    }

    fn collect(&self, sql: &str, params: Vec<Value>) -> Result<Vec<Hit>, HistoryError> {
        let mut st = self.conn.prepare_cached(sql)?;
        let mut q = st.query(rusqlite::params_from_iter(params))?;
        let mut out = Vec::new();
        while let Some(row) = q.next()? {
            let pos = Pos {
                id: row.get(0)?,
                at: any_text(row.get_ref(1)?),
            };
            let row = match rows::summary(row) {
                Ok(s) => Ok(s),
                Err(HistoryError::BadRow { message, .. }) => Err(message),
                Err(e) => return Err(e),
            };
            out.push(Hit { pos, row });
        }
        Ok(out)
    }
}

/// A query that returned `fetch` rows stopped at its last one.
fn limited(hits: Vec<Hit>, fetch: i64) -> Part {
    let stopped_at = (hits.len() as i64 >= fetch)
        .then(|| hits.last().map(|h| h.pos.clone()))
        .flatten();
    Part { hits, stopped_at }
}

/// Merges what each query read into one page. Only rows newer than every query's stopping
/// point are certain to be complete; the page is those, at most `limit`, and the cursor is
/// the last of them (or the stopping point, when a bounded scan stopped short of a page).
fn merge(parts: Vec<Part>, limit: usize) -> ReadPage {
    let boundary = parts.iter().filter_map(|p| p.stopped_at.clone()).max();
    let mut hits: Vec<Hit> = parts.into_iter().flat_map(|p| p.hits).collect();
    hits.sort_by(|a, b| b.pos.cmp(&a.pos));
    hits.dedup_by_key(|h| h.pos.id);
    if let Some(b) = &boundary {
        hits.retain(|h| h.pos >= *b);
    }
    if hits.len() > limit {
        hits.truncate(limit);
        let next = hits.last().map(|h| h.pos.cursor());
        return ReadPage {
            hits,
            next,
            incomplete: false,
        };
    }
    // Only a bounded scan stops with fewer than a page of rows above its stopping point (a
    // query that fills its LIMIT has a page and one more above it).
    ReadPage {
        hits,
        next: boundary.as_ref().map(Pos::cursor),
        incomplete: boundary.is_some(),
    }
}
