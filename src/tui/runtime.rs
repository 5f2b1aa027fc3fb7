//! The runtime: owns the terminal, turns terminal events and task results into
//! `Message`s, runs `Command`s on tokio, and draws only when the app changed.
//! Idle (nothing running, no pending phone task) it waits on input alone: no tick.

use super::app::{App, AppSettings};
use super::live::Live;
use super::message::{Command, Message};
use super::theme::Theme;
use super::view;
use crate::config::Config;
use crate::vendor::VendorClient;
use crossterm::event::{
    DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture, Event,
    EventStream,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use futures::StreamExt;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::io::{BufWriter, Stdout, Write, stdout};
use std::path::PathBuf;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// libphonenumber's data loads on first use (~90 ms and ~4 MiB on the 2-core box, see
/// BENCHMARKS.md): load it off the UI thread once the first frame is out, so the first
/// phone digit typed does not wait for it.
fn warm_phone_data() {
    let spawned = std::thread::Builder::new()
        .name("phone-data".into())
        .spawn(|| {
            let _ = crate::phone::parse_phone("ID", "081234567890");
        });
    if let Err(e) = spawned {
        tracing::debug!("phone data not preloaded: {e}");
    }
}

/// What `main` hands the console.
pub struct ConsoleContext {
    pub config: Config,
    pub client: VendorClient,
    /// The gate of the phone-status host the client polls (shared process-wide).
    pub poll_gate: std::sync::Arc<crate::phone_tasks::PollGate>,
    pub data_dir: PathBuf,
    pub sandbox: bool,
    pub operator: String,
    /// `--theme NAME`, over `theme = "NAME"` in config.
    pub theme_override: Option<String>,
    /// Where user themes live (`<config_dir>/themes/NAME.toml`).
    pub config_dir: Option<PathBuf>,
}

/// Raw mode, the alternate screen, mouse capture and bracketed paste, undone on drop,
/// so every way out (quit, error, panic unwinding) restores the terminal.
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> std::io::Result<TerminalGuard> {
        enable_raw_mode()?;
        let guard = TerminalGuard;
        crossterm::execute!(
            stdout(),
            EnterAlternateScreen,
            crossterm::terminal::Clear(crossterm::terminal::ClearType::All),
            EnableMouseCapture,
            EnableBracketedPaste
        )?;
        Ok(guard)
    }
}

fn restore_terminal() {
    let _ = crossterm::execute!(
        stdout(),
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = disable_raw_mode();
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

/// A panic restores the terminal before the message prints, so it is readable.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
}

/// The settings the app starts with; theme problems are returned to show as a notice.
pub fn settings_from(
    config: &Config,
    sandbox: bool,
    operator: &str,
    theme_override: Option<&str>,
    config_dir: Option<&std::path::Path>,
) -> (AppSettings, Option<String>) {
    let name = theme_override.unwrap_or(&config.theme);
    let (theme, problem) = Theme::load(name, config_dir);
    (
        AppSettings {
            sandbox,
            operator: operator.to_string(),
            rerun_window_hours: config.console.rerun_window_hours,
            mask_pii: config.mask_pii,
            keys: config.keys.clone(),
            theme,
            require_purpose: config.team.require_purpose,
        },
        problem,
    )
}

/// Runs the console until the operator quits.
pub async fn run(ctx: ConsoleContext) -> anyhow::Result<()> {
    let (settings, theme_problem) = settings_from(
        &ctx.config,
        ctx.sandbox,
        &ctx.operator,
        ctx.theme_override.as_deref(),
        ctx.config_dir.as_deref(),
    );
    let mut app = App::new(settings, OffsetDateTime::now_utc());
    if let Some(p) = theme_problem {
        tracing::warn!("{p}");
        app.notify(super::app::Level::Warn, p);
    }
    let origin = crate::lookup::Origin {
        operator: ctx.operator,
        sandbox: ctx.sandbox,
        // Each run carries the form's Purpose (`Command::RunCheck`); phone-task polls
        // record without one.
        purpose: None,
    };
    let live = Live::new(
        ctx.client,
        ctx.poll_gate,
        ctx.data_dir,
        origin,
        ctx.config.history.clone(),
    );

    install_panic_hook();
    let keeper = live.clone();
    let result = async {
        let _guard = TerminalGuard::enter()?;
        // No `terminal.clear()`: it asks the terminal for the cursor position, a round trip
        // before the first frame. The alternate screen was cleared on entry instead.
        // Buffered: a frame goes out in one write when ratatui flushes it, never half-drawn.
        let mut terminal = Terminal::new(CrosstermBackend::new(BufWriter::with_capacity(
            1 << 16,
            stdout(),
        )))?;
        let size = terminal.size()?;
        app.size = (size.width, size.height);
        let result = event_loop(&mut terminal, &mut app, live).await;
        terminal.show_cursor().ok();
        result
    }
    .await;
    // The terminal is restored: answers still not saved go to a file, and it is said.
    match keeper.write_unsaved() {
        None => {}
        Some(Ok((path, n))) => eprintln!(
            "riskdesk: {n} answer(s) could not be saved in history; they are in {}: \
             `riskdesk history import {}` stores them",
            path.display(),
            path.display()
        ),
        Some(Err(e)) => {
            eprintln!("riskdesk: answers could not be saved in history, nor written aside: {e}")
        }
    }
    result
}

struct Runner {
    live: Live,
    tx: mpsc::UnboundedSender<Message>,
    search: Option<JoinHandle<()>>,
    case: Option<JoinHandle<()>>,
}

impl Runner {
    fn spawn<F>(&self, fut: F) -> JoinHandle<()>
    where
        F: std::future::Future<Output = Message> + Send + 'static,
    {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            // The app may be gone (quit) when a late answer arrives: nothing to tell.
            let _ = tx.send(fut.await);
        })
    }

    fn exec(&mut self, cmd: Command, out: &mut Stdout) {
        let live = self.live.clone();
        match cmd {
            Command::FindRecent {
                run_id,
                check,
                identity,
                since,
            } => {
                self.spawn(async move { live.find_recent(run_id, check, identity, since).await });
            }
            Command::RunCheck {
                run_id,
                request,
                purpose,
            } => {
                // Never aborted, not even on cancel: the request may already be at the vendor
                // (and billed), so it finishes and is recorded; the app notes the late answer.
                self.spawn(async move { live.run_check(run_id, request, purpose).await });
            }
            Command::LoadTasks => {
                self.spawn(async move { live.load_tasks().await });
            }
            Command::PollTask { task_id } => {
                self.spawn(async move { live.poll_task(task_id).await });
            }
            Command::Search { seq, query } => {
                // Latest wins: a search still queued is dropped.
                if let Some(h) = self.search.take() {
                    h.abort();
                }
                self.search = Some(self.spawn(async move { live.search(seq, query).await }));
            }
            Command::OpenLookup { id, purpose } => {
                self.spawn(async move { live.open_lookup(id, purpose).await });
            }
            Command::GatherCase { seq, keys, purpose } => {
                // Latest wins, as for searches: an older gather still running is dropped.
                if let Some(h) = self.case.take() {
                    h.abort();
                }
                self.case =
                    Some(self.spawn(async move { live.gather_case(seq, keys, purpose).await }));
            }
            Command::ExportLookup { id } => {
                self.spawn(async move { live.export(id).await });
            }
            Command::RetryUnsaved => {
                self.spawn(async move { live.retry_unsaved().await });
            }
            Command::Copy(text) => {
                let _ = out.write_all(super::format::osc52(&text).as_bytes());
                let _ = out.flush();
            }
            Command::Quit => {}
        }
    }
}

fn to_message(event: Event) -> Option<Message> {
    match event {
        Event::Key(k) => Some(Message::Key(k)),
        Event::Mouse(m) => Some(Message::Mouse(m)),
        Event::Resize(w, h) => Some(Message::Resize(w, h)),
        Event::Paste(p) => Some(Message::Paste(p)),
        Event::FocusGained | Event::FocusLost => None,
    }
}

async fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<BufWriter<Stdout>>>,
    app: &mut App,
    live: Live,
) -> anyhow::Result<()> {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut runner = Runner {
        live,
        tx,
        search: None,
        case: None,
    };
    let mut events = EventStream::new();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut out = stdout();
    for cmd in app.init() {
        runner.exec(cmd, &mut out);
    }
    let mut warmed = false;
    loop {
        // Drawing is a pure function of the state; what it laid out goes back in as a
        // message (it may clamp a scroll, which draws once more).
        for _ in 0..2 {
            if !app.dirty {
                break;
            }
            let mut laid = None;
            terminal.draw(|f| laid = Some(view::draw(f, app)))?;
            app.dirty = false;
            if let Some(laid) = laid {
                app.update(Message::Laid(Box::new(laid)));
            }
        }
        app.dirty = false;
        if !warmed {
            warmed = true;
            warm_phone_data();
        }
        if app.quit {
            return Ok(());
        }
        let ticking = app.wants_tick();
        let msg = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => match to_message(ev) {
                    Some(m) => m,
                    None => continue,
                },
                Some(Err(e)) => return Err(e.into()),
                None => return Ok(()),
            },
            Some(m) = rx.recv() => m,
            _ = ticker.tick(), if ticking => Message::Tick,
        };
        app.set_now(OffsetDateTime::now_utc());
        for cmd in app.update(msg) {
            runner.exec(cmd, &mut out);
        }
    }
}
