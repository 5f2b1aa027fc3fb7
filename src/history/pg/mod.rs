//! The team backend: one PostgreSQL database shared by a credit team.
//!
//! The driver is async (tokio-postgres with a deadpool pool, TLS by rustls) and runs on the
//! history's own small runtime, on its own thread: the [`History`] methods send their work
//! there and wait for the answer on a channel, so they are called like SQLite's — from a
//! blocking thread ([`super::run_blocking`]) or a plain one — and no blocking client ever
//! runs inside the caller's tokio runtime.
//!
//! The database decides who did what: a lookup's `operator` column is the session's role,
//! set by a trigger; the desk's OS user is kept beside it (`os_user`), and is what
//! [`LookupRecord::operator`] carries, as on SQLite. [`PgHistory::operators`] gives both.

mod connect;
mod ops;
mod schema;
mod search;

pub use connect::{PgEnv, TlsMode, redact};
pub use schema::SCHEMA_VERSION;

use super::HistoryError;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::future::Future;
use std::time::Duration;

/// Connections a desk keeps open at most.
const POOL_SIZE: usize = 4;
/// How long a call waits for a free connection.
const POOL_WAIT: Duration = Duration::from_secs(30);

pub struct PgHistory {
    shown: String,
    handle: tokio::runtime::Handle,
    pool: Pool,
    /// Dropping it ends the runtime's thread.
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl std::fmt::Debug for PgHistory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgHistory")
            .field("at", &self.shown)
            .finish()
    }
}

/// A driver error in words. The server's own message (and its detail) when it sent one;
/// never the connection string.
pub(crate) fn pg_message(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut m = db.message().to_string();
        if let Some(d) = db.detail() {
            m.push_str(" (");
            m.push_str(d);
            m.push(')');
        }
        return m;
    }
    match std::error::Error::source(e) {
        Some(src) => format!("{e}: {src}"),
        None => e.to_string(),
    }
}

/// Serialization failures, deadlocks, lock timeouts and lost connections are worth a retry.
pub(crate) fn pg_err(e: tokio_postgres::Error) -> HistoryError {
    use tokio_postgres::error::SqlState;
    let busy = match e.code() {
        Some(c) => {
            *c == SqlState::T_R_SERIALIZATION_FAILURE
                || *c == SqlState::T_R_DEADLOCK_DETECTED
                || *c == SqlState::LOCK_NOT_AVAILABLE
                || *c == SqlState::ADMIN_SHUTDOWN
                || *c == SqlState::CANNOT_CONNECT_NOW
        }
        None => e.is_closed(),
    };
    HistoryError::Backend {
        message: pg_message(&e),
        busy,
    }
}

fn pool_err(e: deadpool_postgres::PoolError) -> HistoryError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => pg_err(e),
        other => HistoryError::Backend {
            message: format!("team history connection: {other}"),
            busy: true,
        },
    }
}

impl PgHistory {
    /// Connects to the team history at `url` (libpq's environment fills what it leaves out),
    /// migrating the database when the role owns it. `os_user` is this desk's user.
    pub fn open(url: &str, os_user: &str) -> Result<PgHistory, HistoryError> {
        PgHistory::open_with(url, &PgEnv::from_process(os_user))
    }

    pub fn open_with(url: &str, env: &PgEnv) -> Result<PgHistory, HistoryError> {
        let target = connect::target(url, env)?;
        let shown = target.shown.clone();
        // A root certificate that cannot be read is about this server: say which.
        let tls = connect::tls_config(&target, env.home.as_deref()).map_err(|e| match e {
            HistoryError::Open { message, busy, .. } => HistoryError::Open {
                path: shown.clone(),
                message,
                busy,
            },
            other => other,
        })?;
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("riskdesk-pg".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = handle_tx.send(Err(e.to_string()));
                        return;
                    }
                };
                let _ = handle_tx.send(Ok(rt.handle().clone()));
                // Serves the pool's connections and every call until the history is dropped.
                rt.block_on(async move {
                    let _ = stopped.await;
                });
            })
            .map_err(|e| open_err(&shown, e.to_string()))?;
        let handle = handle_rx
            .recv()
            .map_err(|e| open_err(&shown, e.to_string()))?
            .map_err(|e| open_err(&shown, e))?;
        let pool = {
            let _guard = handle.enter();
            let mgr = Manager::from_config(
                target.config,
                tokio_postgres_rustls::MakeRustlsConnect::new(tls),
                ManagerConfig {
                    recycling_method: RecyclingMethod::Fast,
                },
            );
            Pool::builder(mgr)
                .max_size(POOL_SIZE)
                .wait_timeout(Some(POOL_WAIT))
                .runtime(deadpool_postgres::Runtime::Tokio1)
                .build()
                .map_err(|e| open_err(&shown, e.to_string()))?
        };
        let h = PgHistory {
            shown,
            handle,
            pool,
            _stop: stop,
        };
        h.call(|pool| async move {
            let mut c = pool.get().await.map_err(pool_err)?;
            schema::migrate(&mut c).await
        })
        .map_err(|e| match e {
            HistoryError::Backend { message, busy } => HistoryError::Open {
                path: h.shown.clone(),
                message,
                busy,
            },
            HistoryError::Open { message, busy, .. } => HistoryError::Open {
                path: h.shown.clone(),
                message,
                busy,
            },
            other => other,
        })?;
        Ok(h)
    }

    /// Runs `f` on the history's runtime and waits for it. Never call it from a tokio
    /// worker thread (callers use [`super::run_blocking`]).
    fn call<T, F, Fut>(&self, f: F) -> Result<T, HistoryError>
    where
        T: Send + 'static,
        F: FnOnce(Pool) -> Fut,
        Fut: Future<Output = Result<T, HistoryError>> + Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let fut = f(self.pool.clone());
        self.handle.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().map_err(|_| HistoryError::Backend {
            message: "team history: its connection thread ended".into(),
            busy: false,
        })?
    }

    /// Who stored lookup `id`: the database role (the server set it) and the desk's OS
    /// user (the client said it).
    pub fn operators(&self, id: i64) -> Result<Option<(String, String)>, HistoryError> {
        self.call(move |pool| async move {
            let c = pool.get().await.map_err(pool_err)?;
            let row = c
                .query_opt(
                    "SELECT operator, os_user FROM riskdesk.lookups WHERE id = $1",
                    &[&id],
                )
                .await
                .map_err(pg_err)?;
            Ok(row.map(|r| (r.get(0), r.get(1))))
        })
    }
}

fn open_err(shown: &str, message: String) -> HistoryError {
    HistoryError::Open {
        path: shown.to_string(),
        message,
        busy: false,
    }
}
