//! Search on the team database: each typed key through its own index, newest first and
//! bounded by the page, as on SQLite; the union of their ids is read once, in page order.
//! A name is a substring of the folded name (`history::fold_text`), found through the
//! pg_trgm index; a fragment too short for trigrams walks the time index, bounded as on
//! SQLite ([`NAME_SCAN_BOUND`]).

use super::super::keys::{fold_text, id_key, phone_candidates};
use super::super::{Cursor, HistoryError, NAME_SCAN_BOUND, SearchQuery};
use super::pg_err;
use deadpool_postgres::GenericClient;
use time::OffsetDateTime;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

pub(super) const SUMMARY_COLUMNS: &str = "id, created_at, check_kind, outcome, phone_e164, \
     name, id_number, country, vendor_status, vendor_request_id, sandbox, latency_ms";

pub(super) const RECORD_COLUMNS: &str = "id, created_at, check_kind, outcome, phone_e164, \
     name, id_number, country, vendor_status, vendor_request_id, sandbox, latency_ms, os_user, \
     bankcard, email, gaid, request, http_status, error_kind, error_message, raw_response, \
     report, task_id, uuid::text, attempts, purpose";

/// [`RECORD_COLUMNS`] as a case reads them: no request (JSON null) and no raw body (empty).
pub(super) const CASE_COLUMNS: &str = "id, created_at, check_kind, outcome, phone_e164, \
     name, id_number, country, vendor_status, vendor_request_id, sandbox, latency_ms, os_user, \
     bankcard, email, gaid, 'null'::jsonb, http_status, error_kind, error_message, ''::bytea, \
     report, task_id, uuid::text, attempts, purpose";

/// Rows of one page (selected columns), where the next page starts, and whether a bounded
/// name scan stopped short.
pub(super) struct RawPage {
    pub rows: Vec<Row>,
    pub next: Option<Cursor>,
    pub incomplete: bool,
}

#[derive(Default)]
struct Params {
    values: Vec<Box<dyn ToSql + Sync + Send>>,
}

impl Params {
    fn add(&mut self, v: impl ToSql + Sync + Send + 'static) -> String {
        self.values.push(Box::new(v));
        format!("${}", self.values.len())
    }

    fn refs(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.values
            .iter()
            .map(|b| &**b as &(dyn ToSql + Sync))
            .collect()
    }
}

fn day_start(d: time::Date) -> OffsetDateTime {
    d.midnight().assume_utc()
}

/// ` AND …` for the query's time range and cursor, and (`kinds`) its check and outcome.
/// Every parameter added is used: PostgreSQL refuses a statement with an unused one.
fn filters(q: &SearchQuery, p: &mut Params, kinds: bool) -> String {
    let mut time = String::new();
    if let Some(d) = q.since {
        time.push_str(&format!(" AND created_at >= {}", p.add(day_start(d))));
    }
    if let Some(next) = q.until.and_then(|d| d.next_day()) {
        time.push_str(&format!(" AND created_at < {}", p.add(day_start(next))));
    }
    if let Some(c) = &q.before {
        let at = p.add(c.created_at);
        let id = p.add(c.id);
        time.push_str(&format!(" AND (created_at, id) < ({at}, {id})"));
    }
    let mut all = time;
    if !kinds {
        return all;
    }
    if let Some(c) = q.check {
        all.push_str(&format!(
            " AND check_kind = {}",
            p.add(c.cli_name().to_string())
        ));
    }
    if let Some(o) = q.outcome {
        all.push_str(&format!(" AND outcome = {}", p.add(o.as_str().to_string())));
    }
    all
}

fn like_pattern(folded: &str) -> String {
    let mut s = String::from("%");
    for ch in folded.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(ch);
    }
    s.push('%');
    s
}

/// One page of `q` (`limit` rows at most), selecting `columns` (which start with id,
/// created_at).
pub(super) async fn read_page(
    c: &impl GenericClient,
    q: &SearchQuery,
    columns: &str,
    limit: usize,
) -> Result<RawPage, HistoryError> {
    let fetch = limit as i64 + 1;
    let text = q.text.trim();
    let mut p = Params::default();
    let all = filters(q, &mut p, true);
    let lim = p.add(fetch);
    let branch = |cond: &str| {
        format!(
            "(SELECT id FROM riskdesk.lookups WHERE {cond}{all} \
             ORDER BY created_at DESC, id DESC LIMIT {lim})"
        )
    };
    let mut keys: Vec<String> = Vec::new();
    if !text.is_empty() {
        let phones = phone_candidates(text);
        if !phones.is_empty() {
            keys.push(branch(&format!(
                "phone_nsn = ANY({}) AND phone_nsn <> ''",
                p.add(phones)
            )));
        }
        let key = id_key(text);
        if key.len() >= 3 {
            keys.push(branch(&format!("id_key = {} AND id_key <> ''", p.add(key))));
        }
        let t = p.add(text.to_string());
        keys.push(branch(&format!("vendor_request_id = {t}")));
        keys.push(branch(&format!("task_id = {t}")));
    }
    let outer = |branches: &[String], bound: &str| {
        let source = if branches.is_empty() {
            format!("TRUE{all}")
        } else {
            format!("id IN ({}){all}", branches.join(" UNION "))
        };
        format!(
            "SELECT {columns} FROM riskdesk.lookups WHERE {source}{bound} \
             ORDER BY created_at DESC, id DESC LIMIT {lim}"
        )
    };
    let has_alpha = text.chars().any(char::is_alphabetic);
    let has_digit = text.chars().any(|ch| ch.is_ascii_digit());
    if text.is_empty() || !has_alpha {
        let rows = run(c, &outer(&keys, ""), &p).await?;
        return Ok(finish(rows, limit, None));
    }
    if has_digit {
        // The form refuses digits in names: a text with digits that matched a key is not
        // also looked up as a name.
        let rows = run(c, &outer(&keys, ""), &p).await?;
        if !rows.is_empty() {
            return Ok(finish(rows, limit, None));
        }
    }
    let folded = fold_text(text);
    let pattern = p.add(like_pattern(&folded));
    let mut bound_sql = String::new();
    let mut bound = None;
    if folded.chars().count() < 3 {
        // Too short for a trigram: the newest NAME_SCAN_BOUND rows at most.
        let mut bp = Params::default();
        let time_sql = filters(q, &mut bp, false);
        let off = bp.add(NAME_SCAN_BOUND - 1);
        let sql = format!(
            "SELECT created_at, id FROM riskdesk.lookups WHERE TRUE{time_sql} \
             ORDER BY created_at DESC, id DESC OFFSET {off} LIMIT 1"
        );
        if let Some(row) = c.query_opt(&sql, &bp.refs()).await.map_err(pg_err)? {
            let at: OffsetDateTime = row.get(0);
            let id: i64 = row.get(1);
            let (a, i) = (p.add(at), p.add(id));
            bound_sql = format!(" AND (created_at, id) >= ({a}, {i})");
            bound = Some(Cursor::new(at, id));
        }
    }
    keys.push(branch(&format!("name_fold LIKE {pattern}{bound_sql}")));
    let rows = run(c, &outer(&keys, &bound_sql), &p).await?;
    Ok(finish(rows, limit, bound))
}

async fn run(c: &impl GenericClient, sql: &str, p: &Params) -> Result<Vec<Row>, HistoryError> {
    let st = c.prepare_cached(sql).await.map_err(pg_err)?;
    c.query(&st, &p.refs()).await.map_err(pg_err)
}

fn cursor_of(row: &Row) -> Cursor {
    let at: OffsetDateTime = row.get(1);
    Cursor::new(at, row.get(0))
}

/// A full page has a next one after its last row; a short page after a bounded scan
/// continues from where the scan stopped.
fn finish(mut rows: Vec<Row>, limit: usize, bound: Option<Cursor>) -> RawPage {
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(cursor_of);
        return RawPage {
            rows,
            next,
            incomplete: false,
        };
    }
    RawPage {
        rows,
        incomplete: bound.is_some(),
        next: bound,
    }
}
