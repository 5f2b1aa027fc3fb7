//! The team database's schema, migrated by riskdesk itself when it connects as the
//! database's owner: one migration per transaction, all under an advisory lock, each
//! recorded in `riskdesk.migrations`, so desks starting at once migrate once (the
//! second waits for the lock, then finds the work done). Readers and operators never need
//! DDL: connected to an unmigrated or older database they are told who must run riskdesk.

use super::super::HistoryError;
use super::pg_err;
use deadpool_postgres::Object;

/// "riskdesk" in ASCII: the advisory lock migrations take.
const MIGRATION_LOCK: i64 = 0x7269_736b_6465_736b;

/// `{trgm}` is replaced by the schema pg_trgm lives in.
const V1: &str = r#"
CREATE TABLE riskdesk.lookups (
    id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    uuid              uuid        NOT NULL UNIQUE,
    created_at        timestamptz NOT NULL,
    -- The database role that stored the row: set by the trigger below, never by a client.
    operator          text        NOT NULL DEFAULT session_user,
    -- The workstation's OS user, as the client says.
    os_user           text        NOT NULL DEFAULT '',
    purpose           text,
    sandbox           boolean     NOT NULL DEFAULT false,
    check_kind        text        NOT NULL,
    phone_e164        text        NOT NULL DEFAULT '',
    phone_nsn         text        NOT NULL DEFAULT '',
    id_number         text        NOT NULL DEFAULT '',
    id_key            text        NOT NULL DEFAULT '',
    name              text        NOT NULL DEFAULT '',
    name_fold         text        NOT NULL DEFAULT '',
    country           text        NOT NULL DEFAULT '',
    bankcard          text        NOT NULL DEFAULT '',
    email             text        NOT NULL DEFAULT '',
    gaid              text        NOT NULL DEFAULT '',
    request           jsonb       NOT NULL DEFAULT '{}',
    http_status       integer,
    vendor_status     text,
    vendor_request_id text,
    outcome           text        NOT NULL,
    error_kind        text,
    error_message     text,
    latency_ms        bigint      NOT NULL DEFAULT 0,
    raw_response      bytea       NOT NULL DEFAULT '',
    report            jsonb,
    task_id           text,
    attempts          jsonb
);
-- As in SQLite: every key index ends in (created_at, id), a search's page order.
CREATE INDEX lookups_by_time       ON riskdesk.lookups (created_at, id);
CREATE INDEX lookups_by_phone      ON riskdesk.lookups (phone_nsn, created_at, id) WHERE phone_nsn <> '';
CREATE INDEX lookups_by_id_number  ON riskdesk.lookups (id_key, created_at, id) WHERE id_key <> '';
CREATE INDEX lookups_by_request_id ON riskdesk.lookups (vendor_request_id, created_at, id) WHERE vendor_request_id IS NOT NULL;
CREATE INDEX lookups_by_task_id    ON riskdesk.lookups (task_id) WHERE task_id IS NOT NULL;
CREATE INDEX lookups_by_check      ON riskdesk.lookups (check_kind, created_at, id);
CREATE INDEX lookups_by_outcome    ON riskdesk.lookups (outcome, created_at, id);
CREATE INDEX lookups_by_check_outcome ON riskdesk.lookups (check_kind, outcome, created_at, id);
-- Names folded by riskdesk (history::fold_text) before they get here; substring search.
CREATE INDEX lookups_by_name ON riskdesk.lookups USING gin (name_fold {trgm}.gin_trgm_ops);

CREATE FUNCTION riskdesk.stamp_operator() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    NEW.operator := session_user;
    RETURN NEW;
END $$;
CREATE TRIGGER lookups_operator BEFORE INSERT ON riskdesk.lookups
    FOR EACH ROW EXECUTE FUNCTION riskdesk.stamp_operator();

CREATE TABLE riskdesk.phone_tasks (
    task_id      text        PRIMARY KEY,
    lookup_id    bigint      REFERENCES riskdesk.lookups (id) ON DELETE SET NULL,
    phone_e164   text        NOT NULL DEFAULT '',
    submitted_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    state        text        NOT NULL DEFAULT 'pending',
    last_poll_at timestamptz,
    attempts     integer     NOT NULL DEFAULT 0,
    result       jsonb,
    error        text,
    sandbox      boolean     NOT NULL DEFAULT false,
    submitted_by text        NOT NULL DEFAULT session_user,
    -- A poll in flight holds the task until this instant (the server's clock); NULL = free.
    lease_until  timestamptz,
    lease_token  text
);
CREATE INDEX phone_tasks_by_state  ON riskdesk.phone_tasks (state, submitted_at);
CREATE INDEX phone_tasks_by_lookup ON riskdesk.phone_tasks (lookup_id);
"#;

/// The three roles a DBA grants. Lookups are append-only for all but admin: operators may
/// INSERT, never UPDATE or DELETE (the database refuses).
const V2: &str = r#"
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'riskdesk_reader') THEN
        CREATE ROLE riskdesk_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'riskdesk_operator') THEN
        CREATE ROLE riskdesk_operator NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'riskdesk_admin') THEN
        CREATE ROLE riskdesk_admin NOLOGIN;
    END IF;
    IF NOT pg_has_role('riskdesk_operator', 'riskdesk_reader', 'MEMBER') THEN
        GRANT riskdesk_reader TO riskdesk_operator;
    END IF;
    IF NOT pg_has_role('riskdesk_admin', 'riskdesk_operator', 'MEMBER') THEN
        GRANT riskdesk_operator TO riskdesk_admin;
    END IF;
END $$;
GRANT USAGE ON SCHEMA riskdesk TO riskdesk_reader;
GRANT SELECT ON riskdesk.lookups, riskdesk.phone_tasks, riskdesk.migrations TO riskdesk_reader;
GRANT INSERT ON riskdesk.lookups TO riskdesk_operator;
GRANT INSERT, UPDATE ON riskdesk.phone_tasks TO riskdesk_operator;
GRANT UPDATE, DELETE ON riskdesk.lookups TO riskdesk_admin;
GRANT DELETE ON riskdesk.phone_tasks TO riskdesk_admin;
"#;

/// The access log: who viewed which lookups, when and why. Who and when are the server's
/// (a trigger); append-only for all but admin: readers (who view) may INSERT, no more.
const V3: &str = r#"
CREATE TABLE riskdesk.access_log (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    accessed_at timestamptz NOT NULL DEFAULT now(),
    db_user     text        NOT NULL DEFAULT session_user,
    os_user     text        NOT NULL DEFAULT '',
    action      text        NOT NULL,
    lookup_ids  bigint[]    NOT NULL DEFAULT '{}',
    purpose     text
);
CREATE INDEX access_log_by_time   ON riskdesk.access_log (accessed_at, id);
CREATE INDEX access_log_by_lookup ON riskdesk.access_log USING gin (lookup_ids);
CREATE FUNCTION riskdesk.stamp_access() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    NEW.db_user := session_user;
    NEW.accessed_at := now();
    RETURN NEW;
END $$;
CREATE TRIGGER access_log_stamp BEFORE INSERT ON riskdesk.access_log
    FOR EACH ROW EXECUTE FUNCTION riskdesk.stamp_access();
GRANT SELECT, INSERT ON riskdesk.access_log TO riskdesk_reader;
GRANT UPDATE, DELETE ON riskdesk.access_log TO riskdesk_admin;
"#;

const MIGRATIONS: &[(&str, &str)] = &[
    ("lookups and phone tasks", V1),
    ("roles", V2),
    ("access log", V3),
];

/// The version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// What the database says about the connected role and the owner.
struct Who {
    db: String,
    user: String,
    owner: String,
    may_migrate: bool,
}

async fn who(c: &Object) -> Result<Who, HistoryError> {
    let row = c
        .query_one(
            "SELECT current_database()::text, session_user::text, pg_get_userbyid(d.datdba)::text,
                    pg_has_role(session_user, d.datdba, 'USAGE')
                    OR coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false)
             FROM pg_database d WHERE d.datname = current_database()",
            &[],
        )
        .await
        .map_err(pg_err)?;
    Ok(Who {
        db: row.get(0),
        user: row.get(1),
        owner: row.get(2),
        may_migrate: row.get(3),
    })
}

/// 0 when the database was never set up.
async fn version(c: &impl deadpool_postgres::GenericClient) -> Result<i64, HistoryError> {
    let exists: bool = c
        .query_one("SELECT to_regclass('riskdesk.migrations') IS NOT NULL", &[])
        .await
        .map_err(pg_err)?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let v: i64 = c
        .query_one(
            "SELECT coalesce(max(version), 0)::bigint FROM riskdesk.migrations",
            &[],
        )
        .await
        .map_err(pg_err)?
        .get(0);
    Ok(v)
}

fn refused(message: String) -> HistoryError {
    HistoryError::Open {
        path: "team history".into(),
        message,
        busy: false,
    }
}

/// Brings the database to [`SCHEMA_VERSION`] when the connected role owns it; otherwise
/// checks that it is there already.
pub async fn migrate(c: &mut Object) -> Result<(), HistoryError> {
    let current = version(&*c).await?;
    if current == SCHEMA_VERSION {
        return Ok(());
    }
    if current > SCHEMA_VERSION {
        return Err(HistoryError::NewerSchema {
            found: current,
            known: SCHEMA_VERSION,
        });
    }
    let w = who(c).await?;
    if !w.may_migrate {
        let state = if current == 0 {
            "is not set up for riskdesk yet".to_string()
        } else {
            format!("has schema version {current}, older than this riskdesk's {SCHEMA_VERSION}")
        };
        return Err(refused(format!(
            "database {} {state}: its owner, {}, must run riskdesk once (any command, e.g. \
             `riskdesk history search`) to migrate it; {} is not allowed to",
            w.db, w.owner, w.user
        )));
    }
    // A session lock, each migration in a transaction of its own: a transaction's start is
    // where the server takes in what other sessions committed to the catalog meanwhile (a
    // lock taken inside one would leave it looking at the schema as it was).
    c.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(pg_err)?;
    let migrated = apply_pending(c, &w).await;
    let unlocked = c
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(pg_err);
    migrated?;
    unlocked?;
    Ok(())
}

/// Applies the migrations not applied yet, one transaction each (the caller holds the lock).
async fn apply_pending(c: &mut Object, w: &Who) -> Result<(), HistoryError> {
    loop {
        let tx = c.transaction().await.map_err(pg_err)?;
        // Read again under the lock: another desk may have migrated meanwhile.
        let done = version(&tx).await?;
        if done >= SCHEMA_VERSION {
            tx.commit().await.map_err(pg_err)?;
            return Ok(());
        }
        if done == 0 {
            tx.batch_execute(
                "CREATE SCHEMA IF NOT EXISTS riskdesk;
                 CREATE TABLE IF NOT EXISTS riskdesk.migrations (
                     version    bigint      PRIMARY KEY,
                     name       text        NOT NULL,
                     applied_at timestamptz NOT NULL DEFAULT now(),
                     applied_by text        NOT NULL DEFAULT session_user
                 );",
            )
            .await
            .map_err(pg_err)?;
        }
        let (name, sql) = MIGRATIONS[done as usize];
        let sql = if sql.contains("{trgm}") {
            sql.replace("{trgm}", &trigram_schema(&tx, w).await?)
        } else {
            sql.to_string()
        };
        tx.batch_execute(&sql).await.map_err(|e| {
            let mut err = pg_err(e);
            if let HistoryError::Backend { message, .. } = &mut err {
                *message = format!("migrating to version {} ({name}): {message}", done + 1);
            }
            err
        })?;
        tx.execute(
            "INSERT INTO riskdesk.migrations (version, name) VALUES ($1, $2)",
            &[&(done + 1), &name],
        )
        .await
        .map_err(pg_err)?;
        tx.commit().await.map_err(pg_err)?;
        tracing::info!(version = done + 1, name, "team history migrated");
    }
}

/// The schema pg_trgm is installed in, creating it when it is not there. When it cannot be
/// created, says which statement a database administrator must run.
async fn trigram_schema(
    tx: &deadpool_postgres::Transaction<'_>,
    w: &Who,
) -> Result<String, HistoryError> {
    let find = "SELECT quote_ident(n.nspname) FROM pg_extension e
                JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'";
    if let Some(row) = tx.query_opt(find, &[]).await.map_err(pg_err)? {
        return Ok(row.get(0));
    }
    tx.batch_execute("SAVEPOINT trgm").await.map_err(pg_err)?;
    match tx
        .batch_execute("CREATE EXTENSION pg_trgm SCHEMA riskdesk")
        .await
    {
        Ok(()) => Ok("riskdesk".into()),
        Err(e) => Err(refused(format!(
            "name search needs the pg_trgm extension, and {} cannot create it ({}): a database \
             administrator must run, in database {}: CREATE EXTENSION pg_trgm; (on Debian or \
             Ubuntu it comes with the postgresql-contrib package), then run riskdesk again",
            w.user,
            super::pg_message(&e),
            w.db
        ))),
    }
}
