//! The console's state and `App::update`: messages in, commands out, no I/O. `App` keeps
//! what is global (screen, focus, notice, settings, the clock) and routes (`input.rs`) to
//! the components: a modal first, then the focused component, then the global bindings.

use super::case::CaseView;
use super::checks::{CheckTabs, Slot};
use super::form::Form;
use super::history::HistoryPane;
use super::keymap::Keymap;
use super::layout::Laid;
use super::message::{Command, Message};
use super::modal::Modal;
use super::tasks::TaskPanel;
use super::theme::Theme;
use crate::check::CheckKind;
use std::collections::BTreeSet;
use time::OffsetDateTime;

/// The smallest terminal the console draws in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Review,
    History,
    /// One applicant's case: every lookup over time (`case.rs`).
    Case,
}

/// The panes of the review screen, in Tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Form,
    Results,
    Tasks,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warn,
    Error,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub text: String,
    pub level: Level,
}

/// Settings the app starts with (from config and flags).
#[derive(Debug, Clone)]
pub struct AppSettings {
    pub sandbox: bool,
    pub operator: String,
    pub rerun_window_hours: u64,
    pub mask_pii: bool,
    pub keys: std::collections::BTreeMap<String, String>,
    pub theme: Theme,
    /// `[team] require_purpose`: an empty Purpose field is a field error, nothing sent.
    pub require_purpose: bool,
}

impl Default for AppSettings {
    fn default() -> Self {
        AppSettings {
            sandbox: false,
            operator: String::new(),
            rerun_window_hours: 24,
            mask_pii: true,
            keys: Default::default(),
            theme: Theme::default(),
            require_purpose: false,
        }
    }
}

pub struct App {
    pub now: OffsetDateTime,
    pub theme: Theme,
    pub keymap: Keymap,
    pub sandbox: bool,
    pub operator: String,
    pub rerun_window: time::Duration,
    pub reveal: bool,
    pub screen: Screen,
    pub focus: Pane,
    /// The key help overlay is up.
    pub help: bool,
    pub notice: Option<Notice>,
    pub size: (u16, u16),
    /// What the last draw laid out: click targets and scroll extents.
    pub laid: Laid,
    // The components.
    pub form: Form,
    pub checks: CheckTabs,
    pub tasks: TaskPanel,
    pub history: HistoryPane,
    pub case: CaseView,
    pub(super) next_run_id: u64,
    /// Answers shown NOT SAVED (by their retry key), and when the next retry may go.
    pub unsaved: BTreeSet<u64>,
    pub(super) unsaved_retry: Option<OffsetDateTime>,
    pub quit: bool,
    /// Set by every state change; the runtime draws and clears it.
    pub dirty: bool,
}

impl App {
    pub fn new(settings: AppSettings, now: OffsetDateTime) -> App {
        let (keymap, problems) = Keymap::new(&settings.keys);
        let mut form = Form::new();
        form.set_require_purpose(settings.require_purpose, now);
        let mut checks = CheckTabs::new();
        checks.follow(form.identity());
        let tasks = TaskPanel::for_operator(&settings.operator);
        App {
            now,
            theme: settings.theme,
            keymap,
            sandbox: settings.sandbox,
            operator: settings.operator,
            rerun_window: time::Duration::hours(
                i64::try_from(settings.rerun_window_hours).unwrap_or(i64::MAX / 3600),
            ),
            reveal: !settings.mask_pii,
            screen: Screen::Review,
            focus: Pane::Form,
            help: false,
            notice: (!problems.is_empty()).then(|| Notice {
                text: problems.join("; "),
                level: Level::Warn,
            }),
            size: (MIN_WIDTH, MIN_HEIGHT),
            laid: Laid::default(),
            form,
            checks,
            tasks,
            history: HistoryPane::new(),
            case: CaseView::new(),
            next_run_id: 1,
            unsaved: BTreeSet::new(),
            unsaved_retry: None,
            quit: false,
            dirty: true,
        }
    }

    /// Commands to run once at start: resume stored phone tasks.
    pub fn init(&mut self) -> Vec<Command> {
        vec![Command::LoadTasks]
    }

    /// The clock the next update sees (the runtime sets it; tests script it).
    pub fn set_now(&mut self, now: OffsetDateTime) {
        self.now = now;
    }

    pub fn notify(&mut self, level: Level, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            level,
        });
    }

    /// The live state of `check` for the applicant in the form.
    pub fn slot(&self, check: CheckKind) -> &Slot {
        self.checks.slot(check)
    }

    pub fn current_check(&self) -> CheckKind {
        self.checks.current()
    }

    /// The check whose stored result waits for a yes/no.
    pub fn confirming(&self) -> Option<CheckKind> {
        self.checks.confirming()
    }

    /// The modal holding every input, if one is up (the help over the dialog).
    pub fn modal(&self) -> Option<Modal> {
        if self.help {
            Some(Modal::Help)
        } else {
            self.confirming().map(Modal::Confirm)
        }
    }

    /// Whether a tick is needed: something shows elapsed time, a task waits to be polled,
    /// or an answer waits to be saved.
    pub fn wants_tick(&self) -> bool {
        self.checks.busy() || self.tasks.pending() > 0 || !self.unsaved.is_empty()
    }

    pub fn update(&mut self, msg: Message) -> Vec<Command> {
        self.dirty = true;
        match msg {
            Message::Key(key) => self.on_key(key),
            Message::Mouse(m) => self.on_mouse(m),
            Message::Resize(w, h) => {
                self.size = (w, h);
                Vec::new()
            }
            Message::Paste(text) => self.on_paste(&text),
            Message::Laid(laid) => {
                self.on_laid(*laid);
                Vec::new()
            }
            Message::RecentFound { run_id, found } => {
                self.on_recent(run_id, found.map(|f| f.map(|a| *a)))
            }
            Message::CheckAnswered { run_id, answer } => self.on_answer(run_id, *answer),
            Message::TasksLoaded(tasks) => self.on_tasks_loaded(tasks),
            Message::TaskPolled { task_id, update } => {
                self.on_task_polled(&task_id, update.map(|u| *u))
            }
            Message::SearchResults { seq, rows } => {
                self.history.on_results(seq, rows);
                Vec::new()
            }
            Message::LookupOpened { lookup, not_logged } => {
                self.on_lookup_opened(lookup.map(|l| *l), not_logged)
            }
            Message::Exported(result) => {
                match result {
                    Ok(path) => self.notify(Level::Info, format!("exported to {}", path.display())),
                    Err(e) => self.notify(Level::Error, format!("export failed: {e}")),
                }
                Vec::new()
            }
            Message::CaseGathered {
                seq,
                case,
                not_logged,
            } => {
                self.on_case_gathered(seq, case.map(|c| *c), not_logged);
                Vec::new()
            }
            Message::UnsavedRetried { saved, error } => self.on_unsaved_retried(saved, error),
            Message::Tick => {
                let mut commands = self.tasks.due(self.now);
                commands.extend(self.retry_unsaved_due());
                commands
            }
        }
    }

    /// The draw's layout comes back: scroll offsets are kept within what can scroll.
    fn on_laid(&mut self, laid: Laid) {
        let max = laid.results_max_scroll;
        let clamped = self.checks.scroll > max;
        self.checks.scroll = self.checks.scroll.min(max);
        self.laid = laid;
        self.dirty = clamped;
    }

    pub fn next_run_id(&mut self) -> u64 {
        let id = self.next_run_id;
        self.next_run_id += 1;
        id
    }
}
