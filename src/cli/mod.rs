//! The scripting face: the same domain, client and store as the console, without a terminal.
//! JSON on stdout with `--json`, meaningful exit codes, diagnostics on stderr.

mod check;
mod completions;
mod session;

pub use session::{Session, operator, point_at_sandbox};

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit status: every check answered (ok or not_hit).
pub const EXIT_OK: u8 = 0;
/// Usage error or invalid identifiers: nothing was sent.
pub const EXIT_USAGE: u8 = 2;
/// A vendor or the network failed.
pub const EXIT_VENDOR: u8 = 3;
/// A phone task was still pending when `--wait` ran out.
pub const EXIT_PENDING: u8 = 4;
/// A vendor answered but the answer could not be stored in history (it is printed, and kept
/// in `<data dir>/unsaved-*.jsonl` for `history import`).
pub const EXIT_NOT_STORED: u8 = 5;

#[derive(Debug, Parser)]
#[command(
    name = "riskdesk",
    version,
    about = "A terminal console for credit underwriters: vendor risk checks, phone tasks and a searchable history",
    long_about = "Without a command, opens the console. With no vendor credentials configured, \
                  riskdesk runs on its built-in sandbox (simulated vendors on loopback)."
)]
pub struct Cli {
    /// Config file (default: the platform config dir's riskdesk/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Where history, logs and state live (default: the platform data dir).
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Use the built-in sandbox even when vendor credentials are configured.
    #[arg(long, global = true)]
    pub sandbox: bool,
    /// Console theme (default, light, high-contrast, or a file in the config dir's themes/).
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run vendor checks for one applicant and print the results.
    Check(Box<check::CheckArgs>),
    /// Serve the vendor simulator until stopped.
    Sandbox(SandboxArgs),
    /// Search, show, export, import, purge and push past lookups; list who viewed them.
    #[command(subcommand)]
    History(crate::history::cli::HistoryCommand),
    /// List pending phone tasks, or resume polling them.
    Tasks(TasksCmd),
    /// Print the shell completion script (bash, zsh, fish or powershell) to stdout.
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff) to stdout, or write it and the subcommand pages with -o DIR.
    Man(completions::ManArgs),
}

#[derive(Debug, clap::Args)]
pub struct SandboxArgs {
    /// Address to listen on (loopback).
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: std::net::SocketAddr,
    /// Latency added to every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// How long a phone task stays pending, in seconds.
    #[arg(long, default_value_t = 8)]
    pub phone_pending_secs: u64,
    /// A fault on every answer: latency:MS, hang, drop, 502, truncated or trickle:MS.
    #[arg(long, value_name = "FAULT")]
    pub fault: Option<crate::sandbox::Fault>,
    /// A fault on this share of answers instead (0–100, fractions allowed), drawn per
    /// request from --fault-seed.
    #[arg(long, value_name = "P", conflicts_with = "fault", value_parser = crate::sandbox::parse_percent)]
    pub fault_percent: Option<f64>,
    /// With --fault-percent: the faults to choose from, evenly (same spellings as --fault).
    #[arg(
        long,
        value_name = "F,F,...",
        value_delimiter = ',',
        requires = "fault_percent",
        default_value = "hang,drop,502,truncated"
    )]
    pub fault_mix: Vec<crate::sandbox::Fault>,
    /// With --fault-percent: the seed of the draws (same seed, same faults on the same
    /// request numbers).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1,
        requires = "fault_percent"
    )]
    pub fault_seed: u64,
}

#[derive(Debug, clap::Args)]
pub struct TasksCmd {
    #[command(flatten)]
    pub list: crate::history::cli::TasksArgs,
    /// Poll every unexpired pending task again (marking expired ones) until done or --wait runs out.
    #[arg(long)]
    pub resume: bool,
    /// With --resume: seconds to keep polling (at most a day).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub wait: u64,
}

/// Runs the command line; returns the process exit status.
pub fn main(cli: Cli) -> ExitCode {
    crate::applicant::init_local_offset();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        // Idle blocking threads (store queries) would otherwise exit after 10 s, each exit a
        // wake-up of an idle console; keeping them is a few parked threads.
        .thread_keep_alive(std::time::Duration::from_secs(24 * 3600))
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("riskdesk: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let code = runtime.block_on(run(cli));
    // Don't wait on lingering blocking tasks (a hung vendor socket) at exit.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    code
}

async fn run(cli: Cli) -> ExitCode {
    match &cli.command {
        Some(Command::Sandbox(args)) => return run_sandbox(args).await,
        Some(Command::Completions(args)) => return completions::run_completions(args),
        Some(Command::Man(args)) => return completions::run_man(args),
        _ => {}
    }
    let session = match Session::start(&cli).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("riskdesk: {e:#}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let result = match cli.command {
        None => session.run_console(cli.theme.clone()).await,
        Some(Command::Check(args)) => check::run(&session, *args).await,
        Some(Command::History(crate::history::cli::HistoryCommand::Push { to })) => {
            // From this desk's SQLite file to the team database, whatever the config points
            // the desk at; both open off the async runtime's threads.
            let cfg = session.loaded.config.history.clone();
            let dir = session.loaded.paths.data_dir.clone();
            let os_user = session.operator.clone();
            tokio::task::spawn_blocking(move || {
                crate::history::cli::run_push(to, &cfg, &dir, &os_user, &mut std::io::stdout())
            })
            .await
            .unwrap_or_else(|e| Err(anyhow::anyhow!("history push failed: {e}")))
        }
        Some(Command::History(mut cmd)) => {
            // Only import and purge write: search, show and export never take the write
            // lock, and retention runs only before a write.
            let history = if cmd.writes() {
                session.history_for_writing()
            } else {
                session.history()
            };
            history.and_then(|h| {
                if !session.loaded.config.mask_pii {
                    cmd.reveal_all();
                }
                crate::history::cli::run_history(cmd, &*h, &mut std::io::stdout().lock())
            })
        }
        Some(Command::Tasks(mut cmd)) => {
            cmd.list.reveal |= !session.loaded.config.mask_pii;
            check::run_tasks(&session, cmd).await
        }
        Some(Command::Sandbox(_) | Command::Completions(_) | Command::Man(_)) => {
            unreachable!("handled above")
        }
    };
    session.shutdown().await;
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("riskdesk: {e:#}");
            ExitCode::from(1)
        }
    }
}

async fn run_sandbox(args: &SandboxArgs) -> ExitCode {
    let opts = crate::sandbox::SandboxOptions {
        listen: args.listen,
        latency: std::time::Duration::from_millis(args.latency_ms),
        phone_pending: std::time::Duration::from_secs(args.phone_pending_secs),
        fault: args.fault,
        random_faults: args
            .fault_percent
            .map(|percent| crate::sandbox::RandomFaults {
                percent,
                mix: args.fault_mix.clone(),
                seed: args.fault_seed,
            }),
        ..Default::default()
    };
    if !args.listen.ip().is_loopback() {
        eprintln!("riskdesk: the sandbox listens on loopback only (127.0.0.1 or [::1])");
        return ExitCode::from(EXIT_USAGE);
    }
    let mut out = std::io::stdout();
    match crate::sandbox::run_standalone(opts, &mut out).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("riskdesk: sandbox: {e:#}");
            ExitCode::from(1)
        }
    }
}
