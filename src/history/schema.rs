//! The schema, versioned with `PRAGMA user_version`: each step runs once, in order, inside
//! one immediate transaction, so two processes opening a fresh file do not both migrate.

use super::HistoryError;
use rusqlite::{Connection, TransactionBehavior};

/// Migration `i` takes the file from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[V1, V2, V3];

/// v2: the name index row is written by `store::insert` in the same statement batch
/// instead of by a trigger. Through the trigger, FTS5 wrote its index to disk row by row
/// (about a third of a bulk import's CPU).
const V2: &str = "DROP TRIGGER IF EXISTS lookups_names_insert;";

/// v3: every request of a lookup (a re-send after a refused connection or a vendor's "not
/// done" answer is another request): their count and each one's HTTP status and vendor
/// request id. NULL on rows written before v3 (not recorded).
const V3: &str = "ALTER TABLE lookups ADD COLUMN attempts INTEGER;
ALTER TABLE lookups ADD COLUMN attempts_json TEXT;";

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
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
    }
    tx.commit()?;
    Ok(())
}
