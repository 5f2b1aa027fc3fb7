//! Opening the file and writing lookups.

use super::keys::{fold_text, id_key, phone_nsn, scrub, stamp};
use super::rows::{self, RECORD_COLUMNS, SUMMARY_COLUMNS};
use super::{HistoryError, LookupRecord, LookupSummary, schema};
use crate::applicant::Identity;
use crate::check::CheckKind;
use rusqlite::{Connection, OpenFlags, TransactionBehavior, params};
use std::path::Path;
use std::time::Duration;
use time::OffsetDateTime;

/// How long a writer waits for another process's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// SQLite's busy handler: `true` to try again. Sleeps 1 ms a call for the first two seconds,
/// then 10 ms, up to [`BUSY_TIMEOUT`] in all.
fn wait_for_writer(calls: i32) -> bool {
    const FAST: i32 = 2_000;
    let waited_ms = if calls < FAST {
        calls as u64
    } else {
        FAST as u64 + (calls - FAST) as u64 * 10
    };
    if waited_ms >= BUSY_TIMEOUT.as_millis() as u64 {
        return false;
    }
    std::thread::sleep(Duration::from_millis(if calls < FAST { 1 } else { 10 }));
    true
}

/// Page cache (negative = KiB): indexes of a million rows stay in memory while searching.
const CACHE_KIB: i64 = -65_536;
/// While the first case a connection reads is read ([`Store::get_many_for_case`]; a
/// command's only one): each row is on a page of its own, read once, so a small cache that
/// recycles its pages does the same work without growing the heap by a page (and a page
/// fault) per row — a quarter of a cold `history applicant`. A connection that reads cases
/// again (the console) keeps them in the normal cache.
pub(crate) const ONE_PASS_CACHE_KIB: i64 = -2_000;
/// During one big write (import, bulk load): a transaction larger than the cache spills
/// pages to the WAL again and again, which made imports I/O-bound.
const BULK_CACHE_KIB: i64 = -524_288;
/// After a checkpoint the WAL is cut back to this size, so old frames (copies of pages as
/// they were, deleted rows included) do not linger at its end. About one automatic
/// checkpoint's worth (1000 pages), so a busy file does not shrink and grow every time.
const JOURNAL_SIZE_LIMIT: i64 = 4 * 1024 * 1024;

/// A purge of at least 1/this of the lookups rewrites the name index instead of erasing
/// each name in place (the two cost the same at about 1 row in 4,000; BENCHMARKS.md).
const REWRITE_RATIO: i64 = 4_000;

/// What a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Purged {
    pub lookups: usize,
    pub tasks: usize,
    /// Console exports (`<data dir>/exports/lookup-<id>-<uuid>.*`) of purged lookups,
    /// deleted with them: a copy in the data dir is purged too.
    pub exports: usize,
    /// The WAL was checkpointed and truncated: no copy of a purged row is left in it. False
    /// when another process was reading at that moment; the next checkpoint (automatic, or
    /// the next purge) then clears it.
    pub wal_cleared: bool,
}

/// SQLite's own errors stay in the SQLite backend: the rest of riskdesk sees words and
/// whether waiting may help.
impl From<rusqlite::Error> for HistoryError {
    fn from(e: rusqlite::Error) -> Self {
        HistoryError::Backend {
            busy: sqlite_busy(&e),
            message: e.to_string(),
        }
    }
}

/// SQLITE_BUSY or SQLITE_LOCKED: another connection holds what this one needs.
pub(crate) fn sqlite_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// The history database. `Send`; one connection inside; cheap to open.
pub struct Store {
    pub(crate) conn: Connection,
    /// Whether this connection has read a case's rows already ([`Store::get_many_for_case`]).
    pub(crate) read_a_case: std::cell::Cell<bool>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.conn.path())
            .finish()
    }
}

fn io_err(path: &Path, source: std::io::Error) -> HistoryError {
    HistoryError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Creates the parent directory (0700 when we create it) and the file (0600), before
/// SQLite opens it: SQLite gives its -wal and -shm files the main file's mode.
fn prepare_file(path: &Path) -> Result<(), HistoryError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        let mut b = std::fs::DirBuilder::new();
        b.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
        b.create(dir).map_err(|e| io_err(dir, e))?;
    }
    let mut o = std::fs::OpenOptions::new();
    o.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path).map_err(|e| io_err(path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).map_err(|e| io_err(path, e))?;
        if meta.permissions().mode() & 0o077 != 0 {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(|e| io_err(path, e))?;
        }
    }
    Ok(())
}

impl Store {
    /// Opens (creating if needed) the history at `path`: WAL, busy timeout, foreign keys,
    /// migrations.
    pub fn open(path: &Path) -> Result<Store, HistoryError> {
        prepare_file(path)?;
        let open_err = |source: rusqlite::Error| HistoryError::Open {
            path: path.display().to_string(),
            busy: sqlite_busy(&source),
            message: source.to_string(),
        };
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )
        .map_err(open_err)?;
        // Waits for another writer by polling every millisecond (SQLite's own handler backs
        // off to 100 ms and keeps missing the short gaps between an import's commits).
        conn.busy_handler(Some(wait_for_writer)).map_err(open_err)?;
        // Search builds a handful of statement shapes per filter combination; keep them all.
        conn.set_prepared_statement_cache_capacity(64);
        // journal_mode needs a moment of exclusive access: retried by the busy handler.
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(mode, "history database is not in WAL mode");
        }
        // FULL: a committed lookup survives power loss too, not only a crash.
        conn.execute_batch(&format!(
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; PRAGMA secure_delete = ON;
             PRAGMA cache_size = {CACHE_KIB}; PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT};"
        ))
        .map_err(open_err)?;
        schema::migrate(&mut conn)?;
        Ok(Store {
            conn,
            read_a_case: std::cell::Cell::new(false),
        })
    }

    /// The file this store is (empty for an in-memory one).
    pub fn path(&self) -> std::path::PathBuf {
        self.conn
            .path()
            .map(std::path::PathBuf::from)
            .unwrap_or_default()
    }

    /// `data_dir/history.db`.
    pub fn open_in_data_dir(data_dir: &Path) -> Result<Store, HistoryError> {
        Store::open(&data_dir.join("history.db"))
    }

    /// Stores one lookup; committed (durably) before it returns the new id.
    pub fn record(&mut self, rec: &LookupRecord) -> Result<i64, HistoryError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = insert(&tx, rec, &new_uuid())?;
        tx.commit()?;
        Ok(id)
    }

    /// Stores many lookups in one transaction (bulk loads, benchmarks); all or nothing.
    /// Returns how many were stored.
    pub fn record_all(
        &mut self,
        recs: impl IntoIterator<Item = LookupRecord>,
    ) -> Result<usize, HistoryError> {
        self.bulk(|conn| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut n = 0;
            for r in recs {
                insert(&tx, &r, &new_uuid())?;
                n += 1;
            }
            tx.commit()?;
            Ok(n)
        })
    }

    /// Runs `f` with a page cache of `kib` (negative = KiB), restoring the normal one after.
    pub(crate) fn with_cache<T>(
        &self,
        kib: i64,
        f: impl FnOnce(&Connection) -> Result<T, HistoryError>,
    ) -> Result<T, HistoryError> {
        self.conn.pragma_update(None, "cache_size", kib)?;
        let out = f(&self.conn);
        let restored = self.conn.pragma_update(None, "cache_size", CACHE_KIB);
        let out = out?;
        restored?;
        Ok(out)
    }

    /// Runs one large write with a large page cache, restoring the normal one after.
    pub(crate) fn bulk<T>(
        &mut self,
        f: impl FnOnce(&mut Connection) -> Result<T, HistoryError>,
    ) -> Result<T, HistoryError> {
        self.conn
            .pragma_update(None, "cache_size", BULK_CACHE_KIB)?;
        let out = f(&mut self.conn);
        let restored = self.conn.pragma_update(None, "cache_size", CACHE_KIB);
        let out = out?;
        restored?;
        Ok(out)
    }

    /// The whole record, raw body included.
    pub fn get(&self, id: i64) -> Result<Option<LookupRecord>, HistoryError> {
        Ok(self.get_with_uuid(id)?.map(|(r, _)| r))
    }

    pub(crate) fn get_with_uuid(
        &self,
        id: i64,
    ) -> Result<Option<(LookupRecord, String)>, HistoryError> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {RECORD_COLUMNS} FROM lookups WHERE id = ?1"
        ))?;
        let mut q = st.query([id])?;
        match q.next()? {
            Some(row) => Ok(Some(rows::record(row)?)),
            None => Ok(None),
        }
    }

    /// The newest lookup of `check` for the same applicant since `since`: for "you ran this
    /// already today" before another paid call. The applicant is their phone and ID number
    /// (both equal, an absent one absent in the row too); an identity with neither is no
    /// one in particular and has no earlier lookup (`None`), rather than matching everyone
    /// else without a phone or ID.
    pub fn latest_for(
        &self,
        check: CheckKind,
        identity: &Identity,
        since: OffsetDateTime,
    ) -> Result<Option<LookupSummary>, HistoryError> {
        let nsn = phone_nsn(&identity.phone_e164, &identity.country);
        let idk = id_key(&identity.id_number);
        // Through the key index the identity has: only that applicant's rows are read.
        let index = if !nsn.is_empty() {
            "lookups_by_phone WHERE phone_nsn <> '' AND"
        } else if !idk.is_empty() {
            "lookups_by_id_number WHERE id_key <> '' AND"
        } else {
            return Ok(None);
        };
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM lookups INDEXED BY {index}
             check_kind = ?1 AND phone_nsn = ?2 AND id_key = ?3 AND created_at >= ?4
             ORDER BY created_at DESC, id DESC LIMIT 1"
        ))?;
        let mut q = st.query(params![check.cli_name(), nsn, idk, stamp(since)])?;
        match q.next()? {
            Some(row) => Ok(Some(rows::summary(row)?)),
            None => Ok(None),
        }
    }

    /// Deletes lookups created before `cutoff` (retention); returns how many lookups.
    pub fn purge_older_than(&mut self, cutoff: OffsetDateTime) -> Result<usize, HistoryError> {
        Ok(self.purge_before(cutoff)?.lookups)
    }

    /// Deletes lookups created before `cutoff`, and tasks of that age, and erases them from
    /// the files: deleted cells and pages are zeroed (`PRAGMA secure_delete`), the name
    /// index drops their entries (FTS5 `secure-delete` in place, schema v4, or a rewrite of
    /// the index for a large purge), and the WAL, which still holds the pages as they were,
    /// is checkpointed and truncated. Console exports of the purged lookups are deleted.
    pub fn purge_before(&mut self, cutoff: OffsetDateTime) -> Result<Purged, HistoryError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let cut = stamp(cutoff);
        // Two ways to erase names from the index, the same on disk afterwards. In place
        // (FTS5 secure-delete) costs ~1 ms a row on a large index; for more than a few
        // hundred rows it is cheaper to delete under a marker and rewrite the whole index
        // (`optimize`: ~0.3 s at 1M rows, and the old segments' pages are zeroed as freed).
        let (doomed, total): (i64, i64) = tx.query_row(
            "SELECT (SELECT count(*) FROM lookups WHERE created_at < ?1),
                    (SELECT count(*) FROM lookups)",
            [&cut],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let rewrite = doomed.saturating_mul(REWRITE_RATIO) >= total && doomed > 0;
        if rewrite {
            tx.execute_batch(
                "INSERT INTO lookup_names (lookup_names, rank) VALUES ('secure-delete', 0)",
            )?;
        }
        let lookups = tx.execute("DELETE FROM lookups WHERE created_at < ?1", [&cut])?;
        if rewrite {
            tx.execute_batch(
                "INSERT INTO lookup_names (lookup_names) VALUES ('optimize');
                 INSERT INTO lookup_names (lookup_names, rank) VALUES ('secure-delete', 1);",
            )?;
        }
        // Tasks of that age go too: finished ones, and open ones (pending, paused) whose 24
        // hours ran out before the cutoff (never resumed, they would keep a phone forever).
        let tasks = tx.execute(
            "DELETE FROM phone_tasks
             WHERE (submitted_at < ?1 AND state NOT IN ('pending', 'paused')) OR expires_at < ?1",
            [&cut],
        )?;
        tx.commit()?;
        let wal_cleared = lookups + tasks == 0 || self.checkpoint_truncate()?;
        if !wal_cleared {
            tracing::warn!(
                "history purge: another process was reading; the WAL is cleared at the next checkpoint"
            );
        }
        let exports = if lookups > 0 {
            self.remove_exports_of_purged()?
        } else {
            0
        };
        Ok(Purged {
            lookups,
            tasks,
            exports,
            wal_cleared,
        })
    }

    /// Deletes the console's exports, in `exports/` beside the database, whose lookup is no
    /// longer stored. `lookup-<id>-<uuid>.{json,raw}` is matched by uuid; the older
    /// `lookup-<id>.json` by id (ids are never reused). Other files are left alone.
    fn remove_exports_of_purged(&self) -> Result<usize, HistoryError> {
        let Some(dir) = self
            .conn
            .path()
            .filter(|p| !p.is_empty())
            .and_then(|p| Path::new(p).parent().map(|d| d.join(super::EXPORTS_DIR)))
        else {
            return Ok(0);
        };
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(0);
        };
        let mut by_uuid = self
            .conn
            .prepare_cached("SELECT 1 FROM lookups WHERE uuid = ?1")?;
        let mut by_id = self
            .conn
            .prepare_cached("SELECT 1 FROM lookups WHERE id = ?1")?;
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(stem) = name
                .strip_prefix("lookup-")
                .and_then(|n| n.strip_suffix(".json").or_else(|| n.strip_suffix(".raw")))
            else {
                continue;
            };
            let (id, uuid) = match stem.split_once('-') {
                Some((id, uuid)) => (id, Some(uuid)),
                None => (stem, None),
            };
            let Ok(id) = id.parse::<i64>() else {
                continue;
            };
            let stored = match uuid {
                Some(u) => by_uuid.exists([u])?,
                None => by_id.exists([id])?,
            };
            if !stored {
                let path = entry.path();
                std::fs::remove_file(&path).map_err(|e| io_err(&path, e))?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// `PRAGMA wal_checkpoint(TRUNCATE)`: every page back in the main file and the WAL cut
    /// to zero bytes. False when a reader kept it from completing.
    pub fn checkpoint_truncate(&self) -> Result<bool, HistoryError> {
        let busy: i64 = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
        Ok(busy == 0)
    }

    /// Applies `history.retain_days` (at start): deletes what is older, as a purge does;
    /// `None` keeps all. Returns how many lookups it deleted.
    pub fn apply_retention(
        &mut self,
        cfg: &crate::config::HistoryConfig,
        now: OffsetDateTime,
    ) -> Result<usize, HistoryError> {
        match cfg.retain_days {
            Some(days) => match now.checked_sub(time::Duration::days(i64::from(days))) {
                Some(cutoff) => self.purge_older_than(cutoff),
                None => Ok(0),
            },
            None => Ok(0),
        }
    }

    /// `PRAGMA integrity_check`, then FTS5's own `integrity-check` of the name index
    /// (its segments are consistent, and it holds exactly the stored folded names): "ok"
    /// when both pass, otherwise what failed.
    pub fn integrity_check(&self) -> Result<String, HistoryError> {
        let file: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if file != "ok" {
            return Ok(file);
        }
        match self.conn.execute(
            "INSERT INTO lookup_names (lookup_names, rank) VALUES ('integrity-check', 1)",
            [],
        ) {
            Ok(_) => Ok(file),
            Err(e) => Ok(format!("name index: {e}")),
        }
    }

    /// How many lookups are stored.
    pub fn count(&self) -> Result<u64, HistoryError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM lookups", [], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }

    /// After a large import: merges the name index into one segment (a bulk load leaves
    /// many, and a name query reads each) and refreshes the planner's statistics.
    pub fn optimize(&mut self) -> Result<(), HistoryError> {
        // In steps, each its own short transaction: one 'optimize' of a million-row index
        // held the write lock for seconds, and a check waiting to store its answer with it.
        // A negative 'merge' merges across levels, towards one segment as 'optimize' does.
        self.bulk(|conn| {
            // Capped: a merge that kept reporting work forever must not hang an import.
            for _ in 0..100_000 {
                let before = conn.total_changes();
                conn.execute_batch(
                    "INSERT INTO lookup_names (lookup_names, rank) VALUES ('merge', -200)",
                )?;
                // FTS5: fewer than two changes means the merge found nothing left to do.
                if conn.total_changes() - before < 2 {
                    break;
                }
            }
            // Statistics from a sample (analysis_limit): a full ANALYZE of a million rows is
            // one write transaction of seconds.
            conn.execute_batch("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;")?;
            Ok(())
        })?;
        Ok(())
    }
}

// Others hold a Store across threads and tasks.
const _: fn() = || {
    fn send<T: Send>() {}
    send::<Store>();
};

/// A random version-4 UUID: the stable key that makes imports idempotent.
pub(crate) fn new_uuid() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    super::keys::hyphenated(&h)
}

/// Inserts one row under a new id: above every id stored and every id ever deleted
/// (`lookup_ids.high_water`, schema v4), so an id names one lookup forever.
pub(crate) fn insert(
    conn: &Connection,
    rec: &LookupRecord,
    uuid: &str,
) -> Result<i64, HistoryError> {
    let id: i64 = conn
        .prepare_cached(
            "SELECT max(coalesce((SELECT max(id) FROM lookups), 0),
                        coalesce((SELECT high_water FROM lookup_ids), 0)) + 1",
        )?
        .query_row([], |r| r.get(0))?;
    let ident = &rec.identity;
    let name_fold = fold_text(&ident.name);
    let request = scrub(&rec.request).to_string();
    let report = rec.report.as_ref().map(|r| scrub(r).to_string());
    let mut st = conn.prepare_cached(
        "INSERT INTO lookups (id, uuid, created_at, operator, sandbox, check_kind, phone_e164,
            phone_nsn, id_number, id_key, name, name_fold, country, bankcard, email, gaid,
            request_json, http_status, vendor_status, vendor_request_id, outcome, error_kind,
            error_message, latency_ms, raw_response, report_json, task_id, attempts,
            attempts_json, purpose)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
            ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)",
    )?;
    st.execute(params![
        id,
        uuid,
        stamp(rec.created_at),
        rec.operator,
        rec.sandbox,
        rec.check.cli_name(),
        ident.phone_e164,
        phone_nsn(&ident.phone_e164, &ident.country),
        ident.id_number,
        id_key(&ident.id_number),
        ident.name,
        name_fold,
        ident.country,
        ident.bankcard,
        ident.email,
        ident.gaid,
        request,
        rec.http_status,
        rec.vendor_status,
        rec.vendor_request_id,
        rec.outcome.as_str(),
        rec.error_kind,
        rec.error_message,
        i64::try_from(rec.latency_ms).unwrap_or(i64::MAX),
        rec.raw_response,
        report,
        rec.task_id,
        (!rec.attempts.is_empty()).then_some(rec.attempts.len() as i64),
        (!rec.attempts.is_empty())
            .then(|| serde_json::to_string(&rec.attempts).ok())
            .flatten(),
        rec.purpose,
    ])?;
    let rowid = conn.last_insert_rowid();
    if !name_fold.is_empty() {
        conn.prepare_cached("INSERT INTO lookup_names (rowid, name_fold) VALUES (?1, ?2)")?
            .execute(params![rowid, name_fold])?;
    }
    Ok(rowid)
}
