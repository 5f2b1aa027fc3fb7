//! What every command needs: the config, logging, the sandbox when it is used, the vendor
//! client and (opened on demand) the history store.

use super::Cli;
use crate::config::{self, Config, Loaded};
use crate::history::SharedHistory;
use crate::sandbox::{self, Sandbox};
use crate::vendor::VendorClient;
use anyhow::Context;
use std::sync::{Arc, Mutex};

pub struct Session {
    pub loaded: Loaded,
    /// The config the client was built from (sandbox URLs and credentials when sandboxed).
    pub effective: Config,
    pub client: VendorClient,
    pub sandbox: Option<Sandbox>,
    pub operator: String,
    store: Mutex<Option<SharedHistory>>,
    retention_done: std::sync::atomic::AtomicBool,
    _log_guard: Option<tracing_appender::non_blocking::WorkerGuard>,
}

impl Session {
    pub async fn start(cli: &Cli) -> anyhow::Result<Session> {
        let loaded = config::load(
            cli.config.as_deref(),
            cli.data_dir.as_deref(),
            &config::Env::from_process(),
        )?;
        create_private_dir(&loaded.paths.data_dir)?;
        let log_guard = init_logging(&loaded.paths.data_dir);
        for w in &loaded.warnings {
            eprintln!("riskdesk: warning: {w}");
            tracing::warn!("{w}");
        }
        // `history` never calls a vendor: no simulator for it.
        let calls_vendors = !matches!(cli.command, Some(super::Command::History(_)));
        let use_sandbox = calls_vendors && (cli.sandbox || !loaded.config.has_credentials());
        let mut effective = loaded.config.clone();
        let sandbox = if use_sandbox {
            // Rows whose answers change per call count their calls in the data directory,
            // so each riskdesk run's sandbox carries on where the last one stopped.
            let sb = Sandbox::start(sandbox::SandboxOptions {
                sequence_dir: Some(loaded.paths.data_dir.clone()),
                ..sandbox::SandboxOptions::default()
            })
            .await
            .context("starting the built-in sandbox")?;
            point_at_sandbox(&mut effective, &sb);
            tracing::info!(url = %sb.base_url(), "running on the built-in sandbox");
            Some(sb)
        } else {
            None
        };
        let client = VendorClient::new(&effective)?;
        Ok(Session {
            loaded,
            effective,
            client,
            sandbox,
            operator: operator(),
            store: Mutex::new(None),
            retention_done: std::sync::atomic::AtomicBool::new(false),
            _log_guard: log_guard,
        })
    }

    /// The process-wide gate of the phone-status host this session's client polls.
    pub fn poll_gate(&self) -> Arc<crate::phone_tasks::PollGate> {
        crate::phone_tasks::PollGate::for_config(&self.effective)
    }

    pub fn is_sandbox(&self) -> bool {
        self.sandbox.is_some()
    }

    /// The history, opened on first use. Opening writes nothing: reading commands
    /// (`history search/show/export`, `tasks`) never take the write lock.
    pub fn history(&self) -> anyhow::Result<SharedHistory> {
        let mut slot = self.store.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(s) = slot.as_ref() {
            return Ok(s.clone());
        }
        let dir = &self.loaded.paths.data_dir;
        let cfg = &self.loaded.config.history;
        let history =
            crate::history::open_configured(cfg, dir, &self.operator).with_context(|| {
                match crate::history::team_url(cfg) {
                    Some(url) => format!(
                        "opening the team history {}",
                        crate::history::pg::redact(&url)
                    ),
                    None => format!("opening history in {}", dir.display()),
                }
            })?;
        *slot = Some(history.clone());
        Ok(history)
    }

    /// The history for a command that writes (`check`, `tasks --resume`, `history import`
    /// and `purge`): `history.retain_days` is applied once, here, before its first write.
    pub fn history_for_writing(&self) -> anyhow::Result<SharedHistory> {
        let history = self.history()?;
        if let Some(days) = self.loaded.config.history.retain_days
            && !self
                .retention_done
                .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            let now = time::OffsetDateTime::now_utc();
            if let Some(cutoff) = now.checked_sub(time::Duration::days(i64::from(days))) {
                let purged = history.purge(cutoff)?;
                if purged.lookups > 0 || purged.tasks > 0 {
                    tracing::info!(
                        lookups = purged.lookups,
                        tasks = purged.tasks,
                        "history retention applied"
                    );
                }
            }
        }
        Ok(history)
    }

    pub async fn run_console(
        &self,
        theme: Option<String>,
    ) -> anyhow::Result<std::process::ExitCode> {
        let ctx = crate::tui::ConsoleContext {
            config: self.loaded.config.clone(),
            client: self.client.clone(),
            poll_gate: self.poll_gate(),
            data_dir: self.loaded.paths.data_dir.clone(),
            sandbox: self.is_sandbox(),
            operator: self.operator.clone(),
            theme_override: theme,
            config_dir: self.loaded.paths.config_dir.clone(),
        };
        crate::tui::run(ctx).await?;
        Ok(std::process::ExitCode::SUCCESS)
    }

    pub async fn shutdown(self) {
        if let Some(sb) = self.sandbox {
            sb.shutdown().await;
        }
    }
}

/// Rewrites URLs and credentials so every check goes to the in-process sandbox.
pub fn point_at_sandbox(c: &mut Config, sb: &Sandbox) {
    let base = sb.base_url();
    c.accuauth.api_id = Some(config::Secret::new(sandbox::SANDBOX_API_ID));
    c.accuauth.api_secret = Some(config::Secret::new(sandbox::SANDBOX_API_SECRET));
    c.accuauth.debts_report_url = base.clone();
    c.accuauth.multiple_order_url = base.clone();
    c.accuauth.phone_status_url = base;
    c.trustdecision.partner_code = Some(config::Secret::new(sandbox::SANDBOX_PARTNER_CODE));
    c.trustdecision.partner_key = Some(config::Secret::new(sandbox::SANDBOX_PARTNER_KEY));
    c.trustdecision.multiplatform_url = Some(sb.multiplatform_url());
    c.trustdecision.credit_willingness_url = Some(sb.credit_willingness_url());
}

/// The OS user, recorded on every history row: from the environment, else the passwd
/// entry of the process's uid (tmux, cron and ssh sessions may not set USER).
pub fn operator() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
        .or_else(passwd_name)
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(unix)]
fn passwd_name() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let uid = std::fs::metadata("/proc/self").ok()?.uid().to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        (f.nth(1)? == uid).then(|| name.to_string())
    })
}

#[cfg(not(unix))]
fn passwd_name() -> Option<String> {
    None
}

/// Creates `dir` owner-only (0700). An existing directory is left as it is (it may be a
/// shared one the user chose), with a warning when others can read it.
fn create_private_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    if dir.is_dir() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if let Ok(meta) = std::fs::metadata(dir)
                && meta.permissions().mode() & 0o077 != 0
            {
                tracing::warn!(dir = %dir.display(), "the data directory can be read by group or others");
            }
        }
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .with_context(|| format!("creating data directory {}", dir.display()))
}

/// Logs go to `<data dir>/logs/riskdesk.log.YYYY-MM-DD`, never to the terminal.
/// `RISKDESK_LOG` sets the filter (default `info`).
fn init_logging(data_dir: &std::path::Path) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let dir = data_dir.join("logs");
    create_private_dir(&dir).ok()?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("riskdesk.log")
        .max_log_files(14)
        .build(&dir)
        .ok()?;
    // The default buffer holds 128,000 lines (~4 MB up front); riskdesk logs a few lines a call.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(1024)
        .finish(appender);
    let filter = tracing_subscriber::EnvFilter::try_from_env("RISKDESK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}
