//! The schema, versioned with `PRAGMA user_version`: each step runs once, in order, inside
//! one immediate transaction, so two processes opening a fresh file do not both migrate.
//! A step is SQL, or Rust when it needs the program's own functions (search keys).

use super::HistoryError;
use super::keys::{fold_text, id_key, phone_nsn};
use rusqlite::{Connection, TransactionBehavior, params};

/// One migration step.
enum Step {
    Sql(&'static str),
    Rust(fn(&Connection) -> Result<(), HistoryError>),
}

/// Migration `i` takes the file from version `i` to `i + 1`.
const MIGRATIONS: &[Step] = &[
    Step::Sql(V1),
    Step::Sql(V2),
    Step::Sql(V3),
    Step::Sql(V4),
    // When `keys.rs` or `crate::phone` change how a key is derived, add another `rekey`.
    Step::Rust(rekey),
    Step::Rust(add_lease_token),
    Step::Rust(add_purpose),
    Step::Sql(V8),
];

/// v8: the access log: who viewed which lookups (a JSON array of ids), when and why.
const V8: &str = "
CREATE TABLE IF NOT EXISTS access_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    accessed_at TEXT    NOT NULL,
    os_user     TEXT    NOT NULL DEFAULT '',
    action      TEXT    NOT NULL,
    lookup_ids  TEXT    NOT NULL DEFAULT '[]',
    purpose     TEXT
);
CREATE INDEX IF NOT EXISTS access_log_by_time ON access_log (accessed_at, id);
";

/// v7: why each lookup was made (free text, `check --purpose`); NULL when not given.
fn add_purpose(tx: &Connection) -> Result<(), HistoryError> {
    add_column(tx, "lookups", "purpose", "TEXT")
}

/// `ALTER TABLE .. ADD COLUMN` unless the column is there (a file rebuilt by hand, or
/// set back to an older version by a test, may have it already).
fn add_column(tx: &Connection, table: &str, column: &str, ty: &str) -> Result<(), HistoryError> {
    let has: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2)",
        [table, column],
        |r| r.get(0),
    )?;
    if !has {
        tx.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {ty};"))?;
    }
    Ok(())
}

/// v6: poll leases are fenced. A claim writes a fresh random token beside its lease; a
/// poll's finish updates the task only while that token is still the task's, so a poller
/// whose lease lapsed (another took the task over, or it finished or expired meanwhile)
/// can neither overwrite a finished task nor revive an expired one.
fn add_lease_token(tx: &Connection) -> Result<(), HistoryError> {
    // A file rebuilt by hand (or by a test) may have it already.
    let has: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_info('phone_tasks') WHERE name = 'lease_token')",
        [],
        |r| r.get(0),
    )?;
    if !has {
        tx.execute_batch("ALTER TABLE phone_tasks ADD COLUMN lease_token TEXT;")?;
    }
    Ok(())
}

/// v2: the name index row is written by `store::insert` in the same statement batch
/// instead of by a trigger. Through the trigger, FTS5 wrote its index to disk row by row
/// (about a third of a bulk import's CPU).
const V2: &str = "DROP TRIGGER IF EXISTS lookups_names_insert;";

/// v3: every request of a lookup (a re-send after a refused connection or a vendor's "not
/// done" answer is another request): their count and each one's HTTP status and vendor
/// request id. NULL on rows written before v3 (not recorded).
const V3: &str = "ALTER TABLE lookups ADD COLUMN attempts INTEGER;
ALTER TABLE lookups ADD COLUMN attempts_json TEXT;";

/// v4:
/// - Ids are never reused. `lookups.id` is a plain rowid (SQLite would hand out the id of a
///   deleted newest row again); `lookup_ids.high_water` keeps the highest id ever deleted
///   (a trigger), and `store::insert` gives each new row an id above both it and the
///   highest stored. The equivalent of AUTOINCREMENT without rebuilding a million-row table
///   (which would also have to re-point the name index and the tasks' foreign key).
/// - A check + outcome filter reads only its own rows (no walk through an outcome group).
/// - Purged names are erased from the name index: FTS5's own `secure-delete` removes a
///   deleted row's entries from the index segments (`PRAGMA secure_delete` only zeroes
///   freed pages, and FTS5 otherwise keeps the old entries under a delete marker until a
///   merge). It needs SQLite 3.44 to read the index afterwards (the `sqlite3` shell too).
/// - The name index is rebuilt, without per-row sizes (`columnsize=0`: nothing ranks by
///   them, and FTS5's `integrity-check` can then compare it with the lookups, whose rows
///   without a name have no entry). Dropping the old index (its pages zeroed) also erases
///   what purges made before this version left in it. About 3 s at 1M rows (BENCHMARKS.md).
const V4: &str = "
CREATE TABLE lookup_ids (
    only       INTEGER PRIMARY KEY CHECK (only = 1),
    high_water INTEGER NOT NULL
);
INSERT INTO lookup_ids (only, high_water) SELECT 1, coalesce(max(id), 0) FROM lookups;
CREATE TRIGGER lookups_ids_high_water AFTER DELETE ON lookups
    WHEN old.id > (SELECT high_water FROM lookup_ids) BEGIN
    UPDATE lookup_ids SET high_water = old.id;
END;
CREATE INDEX lookups_by_check_outcome ON lookups (check_kind, outcome, created_at, id);
DROP TABLE lookup_names;
CREATE VIRTUAL TABLE lookup_names USING fts5(
    name_fold, content = 'lookups', content_rowid = 'id', tokenize = 'trigram', columnsize = 0
);
INSERT INTO lookup_names (lookup_names, rank) VALUES ('secure-delete', 1);
INSERT INTO lookup_names (lookup_names) VALUES ('rebuild');
";

/// v5: re-derives every row's search keys (folded name and its index entry, phone key, ID
/// key) with this build's functions: names are transliterated (`Đặng` → `dang`) and keep
/// Thai and Devanagari vowel signs; phones are read by the shared parser. In batches by id,
/// writing only rows whose keys changed.
fn rekey(conn: &Connection) -> Result<(), HistoryError> {
    const BATCH: i64 = 10_000;
    struct Keys {
        id: i64,
        phone_e164: String,
        country: String,
        id_number: String,
        name: String,
        phone_nsn: String,
        id_key: String,
        name_fold: String,
    }
    let mut read = conn.prepare(
        "SELECT id, phone_e164, country, id_number, name, phone_nsn, id_key, name_fold
         FROM lookups WHERE id > ?1 ORDER BY id LIMIT ?2",
    )?;
    let mut set_keys =
        conn.prepare("UPDATE lookups SET phone_nsn = ?2, id_key = ?3 WHERE id = ?1")?;
    // The update trigger moves the name's index entry.
    let mut set_name = conn.prepare("UPDATE lookups SET name_fold = ?2 WHERE id = ?1")?;
    let mut after = 0i64;
    loop {
        let batch: Vec<Keys> = read
            .query_map(params![after, BATCH], |r| {
                let t = |i: usize| -> rusqlite::Result<String> {
                    Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default())
                };
                Ok(Keys {
                    id: r.get(0)?,
                    phone_e164: t(1)?,
                    country: t(2)?,
                    id_number: t(3)?,
                    name: t(4)?,
                    phone_nsn: t(5)?,
                    id_key: t(6)?,
                    name_fold: t(7)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        let Some(last) = batch.last() else {
            return Ok(());
        };
        after = last.id;
        for k in &batch {
            let nsn = phone_nsn(&k.phone_e164, &k.country);
            let idk = id_key(&k.id_number);
            if nsn != k.phone_nsn || idk != k.id_key {
                set_keys.execute(params![k.id, nsn, idk])?;
            }
            let fold = fold_text(&k.name);
            if fold != k.name_fold {
                set_name.execute(params![k.id, fold])?;
            }
        }
    }
}

/// The version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Flat columns, readable with the sqlite3 shell. Times are fixed-width UTC text
/// (`2026-03-03T03:11:12.123456Z`), so text order is time order. Every index ends in
/// (created_at, id) so a search by key is already in newest-first page order.
const V1: &str = r#"
CREATE TABLE lookups (
    id                INTEGER PRIMARY KEY,
    uuid              TEXT    NOT NULL UNIQUE,
    created_at        TEXT    NOT NULL,
    operator          TEXT    NOT NULL DEFAULT '',
    sandbox           INTEGER NOT NULL DEFAULT 0,
    check_kind        TEXT    NOT NULL,
    phone_e164        TEXT    NOT NULL DEFAULT '',
    phone_nsn         TEXT    NOT NULL DEFAULT '',
    id_number         TEXT    NOT NULL DEFAULT '',
    id_key            TEXT    NOT NULL DEFAULT '',
    name              TEXT    NOT NULL DEFAULT '',
    name_fold         TEXT    NOT NULL DEFAULT '',
    country           TEXT    NOT NULL DEFAULT '',
    bankcard          TEXT    NOT NULL DEFAULT '',
    email             TEXT    NOT NULL DEFAULT '',
    gaid              TEXT    NOT NULL DEFAULT '',
    request_json      TEXT    NOT NULL DEFAULT '{}',
    http_status       INTEGER,
    vendor_status     TEXT,
    vendor_request_id TEXT,
    outcome           TEXT    NOT NULL,
    error_kind        TEXT,
    error_message     TEXT,
    latency_ms        INTEGER NOT NULL DEFAULT 0,
    raw_response      BLOB    NOT NULL DEFAULT x'',
    report_json       TEXT,
    task_id           TEXT
);
-- Also carries the columns a newest-first walk filters on, so a scan for a common name
-- fragment reads index pages only and touches a row just when it matches.
CREATE INDEX lookups_by_time       ON lookups (created_at, id, check_kind, outcome, name_fold);
CREATE INDEX lookups_by_phone      ON lookups (phone_nsn, created_at, id) WHERE phone_nsn <> '';
CREATE INDEX lookups_by_id_number  ON lookups (id_key, created_at, id) WHERE id_key <> '';
CREATE INDEX lookups_by_request_id ON lookups (vendor_request_id, created_at, id) WHERE vendor_request_id IS NOT NULL;
CREATE INDEX lookups_by_task_id    ON lookups (task_id) WHERE task_id IS NOT NULL;
CREATE INDEX lookups_by_check      ON lookups (check_kind, created_at, id);
CREATE INDEX lookups_by_outcome    ON lookups (outcome, created_at, id);

-- Names, case- and accent-folded by riskdesk before they get here; substring search.
CREATE VIRTUAL TABLE lookup_names USING fts5(
    name_fold, content = 'lookups', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER lookups_names_insert AFTER INSERT ON lookups WHEN new.name_fold <> '' BEGIN
    INSERT INTO lookup_names (rowid, name_fold) VALUES (new.id, new.name_fold);
END;
CREATE TRIGGER lookups_names_delete AFTER DELETE ON lookups WHEN old.name_fold <> '' BEGIN
    INSERT INTO lookup_names (lookup_names, rowid, name_fold) VALUES ('delete', old.id, old.name_fold);
END;
CREATE TRIGGER lookups_names_update AFTER UPDATE OF name_fold ON lookups BEGIN
    INSERT INTO lookup_names (lookup_names, rowid, name_fold)
        SELECT 'delete', old.id, old.name_fold WHERE old.name_fold <> '';
    INSERT INTO lookup_names (rowid, name_fold)
        SELECT new.id, new.name_fold WHERE new.name_fold <> '';
END;

CREATE TABLE phone_tasks (
    task_id      TEXT    PRIMARY KEY,
    lookup_id    INTEGER REFERENCES lookups (id) ON DELETE SET NULL,
    phone_e164   TEXT    NOT NULL DEFAULT '',
    submitted_at TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'pending',
    last_poll_at TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    result_json  TEXT,
    error        TEXT,
    sandbox      INTEGER NOT NULL DEFAULT 0,
    -- A poll in flight holds the task until this instant; NULL = free.
    lease_until  TEXT
);
CREATE INDEX phone_tasks_by_state ON phone_tasks (state, submitted_at);
CREATE INDEX phone_tasks_by_lookup ON phone_tasks (lookup_id);
"#;

/// Brings the file to [`SCHEMA_VERSION`]; refuses a file written by a newer riskdesk.
pub fn migrate(conn: &mut Connection) -> Result<(), HistoryError> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Read again under the write lock: another process may have migrated meanwhile.
    let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(HistoryError::NewerSchema {
            found: current,
            known: SCHEMA_VERSION,
        });
    }
    for (i, step) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
        match step {
            Step::Sql(sql) => tx.execute_batch(sql)?,
            Step::Rust(f) => f(&tx)?,
        }
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
    }
    tx.commit()?;
    Ok(())
}
