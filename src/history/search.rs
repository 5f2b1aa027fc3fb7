//! Search: every typed key is looked up through its own index, each query already in
//! newest-first order and bounded by the page size; the results are merged here.

use super::keys::{day_start, fold_text, id_key, phone_candidates, stamp};
use super::rows::{self, SUMMARY_COLUMNS};
use super::{Cursor, HistoryError, LookupSummary, SearchPage, SearchQuery, Store};
use rusqlite::types::Value;

/// Below this many name matches, the matches are fetched by id and sorted; above it,
/// matches are dense enough that walking the time index finds a page quickly.
const NAME_SORT_LIMIT: i64 = 1_000;

/// The filter part of a WHERE clause and its parameters.
pub(crate) struct Filters {
    pub(crate) sql: String,
    pub(crate) params: Vec<Value>,
}

impl Filters {
    pub(crate) fn new(q: &SearchQuery) -> Filters {
        let mut f = Filters {
            sql: String::new(),
            params: Vec::new(),
        };
        if let Some(c) = q.check {
            f.push("check_kind = ?", Value::Text(c.cli_name().into()));
        }
        if let Some(o) = q.outcome {
            f.push("outcome = ?", Value::Text(o.as_str().into()));
        }
        if let Some(d) = q.since {
            f.push("created_at >= ?", Value::Text(day_start(d)));
        }
        if let Some(next) = q.until.and_then(|d| d.next_day()) {
            f.push("created_at < ?", Value::Text(day_start(next)));
        }
        if let Some(c) = q.before {
            f.sql.push_str(" AND (created_at, id) < (?, ?)");
            f.params.push(Value::Text(stamp(c.created_at)));
            f.params.push(Value::Integer(c.id));
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
        let limit = q.effective_limit();
        // One extra row tells whether another page exists.
        let fetch = limit as i64 + 1;
        let filters = Filters::new(q);
        let text = q.text.trim();
        let mut found: Vec<LookupSummary> = Vec::new();
        if text.is_empty() {
            found = self.run(
                &format!("SELECT {SUMMARY_COLUMNS} FROM lookups WHERE 1"),
                Vec::new(),
                &filters,
                fetch,
            )?;
        } else {
            for nsn in phone_candidates(text) {
                found.extend(self.by_key(
                    "lookups_by_phone",
                    "phone_nsn = ? AND phone_nsn <> ''",
                    nsn,
                    &filters,
                    fetch,
                )?);
            }
            let key = id_key(text);
            if key.len() >= 3 {
                found.extend(self.by_key(
                    "lookups_by_id_number",
                    "id_key = ? AND id_key <> ''",
                    key,
                    &filters,
                    fetch,
                )?);
            }
            found.extend(self.by_key(
                "lookups_by_request_id",
                "vendor_request_id = ? AND vendor_request_id IS NOT NULL",
                text.to_string(),
                &filters,
                fetch,
            )?);
            found.extend(self.by_key(
                "lookups_by_task_id",
                "task_id = ? AND task_id IS NOT NULL",
                text.to_string(),
                &filters,
                fetch,
            )?);
            // The form refuses digits in names: a text with digits that already matched a
            // key (ID, request id) is not also looked up as a name.
            let key_like = text.chars().any(|c| c.is_ascii_digit()) && !found.is_empty();
            if text.chars().any(char::is_alphabetic) && !key_like {
                found.extend(self.by_name(text, &filters, fetch)?);
            }
        }
        found.sort_by_key(|s| std::cmp::Reverse((s.created_at, s.id)));
        found.dedup_by_key(|s| s.id);
        let next = if found.len() > limit {
            found.truncate(limit);
            found.last().map(|s| Cursor {
                created_at: s.created_at,
                id: s.id,
            })
        } else {
            None
        };
        Ok(SearchPage { rows: found, next })
    }

    /// One exact-key lookup through `index` (which ends in created_at, id: no sort).
    fn by_key(
        &self,
        index: &str,
        term: &str,
        key: String,
        filters: &Filters,
        fetch: i64,
    ) -> Result<Vec<LookupSummary>, HistoryError> {
        self.run(
            &format!("SELECT {SUMMARY_COLUMNS} FROM lookups INDEXED BY {index} WHERE {term}"),
            vec![Value::Text(key)],
            filters,
            fetch,
        )
    }

    fn by_name(
        &self,
        text: &str,
        filters: &Filters,
        fetch: i64,
    ) -> Result<Vec<LookupSummary>, HistoryError> {
        let folded = fold_text(text);
        if folded.chars().count() < 3 {
            // Too short for a trigram: walk newest first; the LIMIT bounds the work when
            // the string is common, and a one- or two-letter string always is.
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
        self.collect(&sql, params)
    }

    fn scan_names(
        &self,
        folded: String,
        filters: &Filters,
        fetch: i64,
    ) -> Result<Vec<LookupSummary>, HistoryError> {
        self.run(
            &format!(
                "SELECT {SUMMARY_COLUMNS} FROM lookups INDEXED BY lookups_by_time \
                 WHERE instr(name_fold, ?) > 0"
            ),
            vec![Value::Text(folded)],
            filters,
            fetch,
        )
    }

    /// `head` + filters + newest-first order + LIMIT.
    fn run(
        &self,
        head: &str,
        mut params: Vec<Value>,
        filters: &Filters,
        fetch: i64,
    ) -> Result<Vec<LookupSummary>, HistoryError> {
        let sql = format!(
            "{head}{} ORDER BY created_at DESC, id DESC LIMIT ?",
            filters.sql
        );
        params.extend(filters.params.iter().cloned());
        params.push(Value::Integer(fetch));
        self.collect(&sql, params)
    }

    fn collect(&self, sql: &str, params: Vec<Value>) -> Result<Vec<LookupSummary>, HistoryError> {
        let mut st = self.conn.prepare_cached(sql)?;
        let mut q = st.query(rusqlite::params_from_iter(params))?;
        let mut out = Vec::new();
        while let Some(row) = q.next()? {
            // One hand-edited, unreadable row must not hide every other result.
            match rows::summary(row) {
                Ok(s) => out.push(s),
                Err(HistoryError::BadRow { id, message }) => {
                    tracing::warn!(id, %message, "history row skipped in search");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}
