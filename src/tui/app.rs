//! The console's state and `App::update`: messages in, commands out, no I/O.

use super::checks::{CheckTabs, Slot};
use super::form::{FieldId, Form, FormKey};
use super::history::HistoryPane;
use super::keymap::{Action, Keymap, is_editing_key};
use super::message::{Command, Message};
use super::model::{Answer, TaskView};
use super::theme::Theme;
use crate::check::CheckKind;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::Rect;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use time::OffsetDateTime;

/// The smallest terminal the console draws in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Review,
    History,
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

/// Screen regions from the last draw, for mouse hit-testing.
#[derive(Debug, Default, Clone)]
pub struct HitMap {
    pub panes: Vec<(Rect, Pane)>,
    pub fields: Vec<(Rect, FieldId)>,
    pub tabs: Vec<(Rect, usize)>,
    pub tasks: Vec<(Rect, usize)>,
    pub history_rows: Vec<(Rect, usize)>,
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
    pub form: Form,
    /// The check tabs: live runs of the applicant in the form, or a stored lookup.
    pub checks: CheckTabs,
    pub tasks: Vec<TaskView>,
    pub task_sel: usize,
    pub(super) polling: HashSet<String>,
    /// Finished phone results by task id (also for applicants not on screen).
    pub task_results: HashMap<String, Answer>,
    pub history: HistoryPane,
    pub notice: Option<Notice>,
    pub show_help: bool,
    pub size: (u16, u16),
    pub(super) next_run_id: u64,
    /// Answers shown NOT SAVED (by their retry key), and when the next retry may go.
    pub unsaved: std::collections::BTreeSet<u64>,
    pub(super) unsaved_retry: Option<OffsetDateTime>,
    pub quit: bool,
    /// Set by every state change; the runtime draws and clears it.
    pub dirty: bool,
    pub hits: RefCell<HitMap>,
}

impl App {
    pub fn new(settings: AppSettings, now: OffsetDateTime) -> App {
        let (keymap, problems) = Keymap::new(&settings.keys);
        let mut form = Form::new();
        form.validate(now);
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
            form,
            checks: CheckTabs::new(),
            tasks: Vec::new(),
            task_sel: 0,
            polling: HashSet::new(),
            task_results: HashMap::new(),
            history: HistoryPane::new(),
            notice: (!problems.is_empty()).then(|| Notice {
                text: problems.join("; "),
                level: Level::Warn,
            }),
            show_help: false,
            size: (MIN_WIDTH, MIN_HEIGHT),
            next_run_id: 1,
            unsaved: Default::default(),
            unsaved_retry: None,
            quit: false,
            dirty: true,
            hits: RefCell::new(HitMap::default()),
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
        self.checks.slot(check, self.form.identity())
    }

    pub fn current_check(&self) -> CheckKind {
        self.checks.current()
    }

    /// Whether a tick is needed: something shows elapsed time or a task waits to be polled.
    pub fn wants_tick(&self) -> bool {
        self.checks.busy() || self.has_pending_tasks() || !self.unsaved.is_empty()
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
            Message::LookupOpened(result) => self.on_lookup_opened(result.map(|l| *l)),
            Message::Exported(result) => {
                match result {
                    Ok(path) => self.notify(Level::Info, format!("exported to {}", path.display())),
                    Err(e) => self.notify(Level::Error, format!("export failed: {e}")),
                }
                Vec::new()
            }
            Message::UnsavedRetried { saved, error } => self.on_unsaved_retried(saved, error),
            Message::Tick => {
                let mut commands = self.on_tick();
                commands.extend(self.retry_unsaved_due());
                commands
            }
        }
    }

    /// How long an answer waits between tries to store it.
    const SAVE_RETRY: time::Duration = time::Duration::seconds(5);

    /// Notes an answer that arrived NOT SAVED, so it is retried until stored.
    pub(super) fn track_unsaved(&mut self, answer: &Answer) {
        if let Some(n) = &answer.unsaved {
            if self.unsaved.is_empty() {
                self.unsaved_retry = Some(self.now + Self::SAVE_RETRY);
            }
            self.unsaved.insert(n.key);
            self.notify(
                Level::Error,
                format!("answer NOT SAVED in history ({}): retrying", n.why),
            );
        }
    }

    fn retry_unsaved_due(&mut self) -> Vec<Command> {
        match self.unsaved_retry {
            Some(at) if !self.unsaved.is_empty() && self.now >= at => {
                // One retry in flight at a time: the next is scheduled when it reports.
                self.unsaved_retry = None;
                vec![Command::RetryUnsaved]
            }
            _ => Vec::new(),
        }
    }

    fn on_unsaved_retried(
        &mut self,
        saved: Vec<(u64, i64)>,
        error: Option<String>,
    ) -> Vec<Command> {
        let ids: HashMap<u64, i64> = saved.into_iter().collect();
        let mark = |a: &mut Answer| {
            if let Some(id) = a.unsaved.as_ref().and_then(|n| ids.get(&n.key)) {
                a.lookup_id = Some(*id);
                a.unsaved = None;
            }
        };
        for run in self.checks.runs_mut() {
            match &mut run.slot {
                Slot::Done { answer, .. }
                | Slot::Cancelled {
                    late: Some(answer), ..
                } => mark(answer),
                _ => {}
            }
        }
        self.task_results.values_mut().for_each(mark);
        let before = self.unsaved.len();
        self.unsaved.retain(|k| !ids.contains_key(k));
        if self.unsaved.is_empty() {
            self.unsaved_retry = None;
            if before > 0 {
                self.notify(Level::Info, "every answer is now saved in history");
            }
        } else {
            self.unsaved_retry = Some(self.now + Self::SAVE_RETRY);
            if let Some(e) = error {
                tracing::warn!("history still refuses answers: {e}");
            }
        }
        Vec::new()
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Command> {
        if key.kind == KeyEventKind::Release {
            self.dirty = false;
            return Vec::new();
        }
        if key.modifiers.contains(KeyModifiers::CONTROL)
            && matches!(key.code, KeyCode::Char('c') | KeyCode::Char('C'))
        {
            self.quit = true;
            return vec![Command::Quit];
        }
        if self.show_help {
            // Any key closes the overlay; it never triggers anything underneath.
            self.show_help = false;
            return Vec::new();
        }
        if let Some(kind) = self.confirming() {
            return self.on_confirm_key(kind, &key);
        }
        match self.screen {
            Screen::History => {
                if is_editing_key(&key) {
                    return self.history.on_search_key(&key, self.now);
                }
                match self.keymap.action_for(&key, true) {
                    Some(a) => self.act(a),
                    None => Vec::new(),
                }
            }
            Screen::Review => {
                let typing = self.focus == Pane::Form && self.form.typing();
                if self.focus == Pane::Form && is_editing_key(&key) {
                    match self.form.on_key(&key) {
                        FormKey::Changed => {
                            self.form_changed();
                            return Vec::new();
                        }
                        FormKey::Consumed => return Vec::new(),
                        FormKey::Ignored => {}
                    }
                }
                match self.keymap.action_for(&key, typing) {
                    Some(a) => self.act(a),
                    None => {
                        self.dirty = false;
                        Vec::new()
                    }
                }
            }
        }
    }

    fn act(&mut self, action: Action) -> Vec<Command> {
        match action {
            Action::Quit => {
                self.quit = true;
                return vec![Command::Quit];
            }
            Action::Help => self.show_help = true,
            Action::FocusNext | Action::FocusPrev => {
                if self.screen == Screen::Review {
                    let order = [Pane::Form, Pane::Results, Pane::Tasks];
                    let i = order.iter().position(|p| *p == self.focus).unwrap_or(0);
                    let step = if action == Action::FocusNext { 1 } else { 2 };
                    self.focus = order[(i + step) % 3];
                }
            }
            Action::RunFocused => return self.run_focused(),
            Action::RunAll => return self.run_all(),
            Action::Cancel => return self.cancel(),
            Action::ToggleRaw => {
                self.checks.raw = !self.checks.raw;
                self.checks.scroll = 0;
            }
            Action::Reveal => self.reveal = !self.reveal,
            Action::History => {
                self.screen = Screen::History;
                if !self.history.searched() {
                    return self.history.search(self.now);
                }
            }
            Action::Back => {
                if self.notice.take().is_none() {
                    if self.screen == Screen::History {
                        self.screen = Screen::Review;
                    } else {
                        self.checks.show_live();
                    }
                }
            }
            Action::NextTab => self.switch_tab(1),
            Action::PrevTab => self.switch_tab(CheckKind::ALL.len() - 1),
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::PageUp => self.move_by(-10),
            Action::PageDown => self.move_by(10),
            Action::Open => return self.open(),
            Action::Rerun => return self.rerun(),
            Action::Export => return self.export(),
            Action::CopyId => return self.copy_id(),
            Action::FilterCheck => return self.history.cycle_check(self.now),
            Action::FilterOutcome => return self.history.cycle_outcome(self.now),
            Action::FilterDate => return self.history.cycle_date(self.now),
            Action::NewApplicant => self.new_applicant(),
            Action::ClearLine => match self.screen {
                Screen::History => return self.history.clear_before_cursor(self.now),
                Screen::Review if self.focus == Pane::Form => {
                    if self.form.clear_before_cursor() {
                        self.form_changed();
                    }
                }
                Screen::Review => self.dirty = false,
            },
        }
        Vec::new()
    }

    /// The next review: the form and the results clear (they are in history), the focus
    /// goes to the phone as at start. Checks still waiting and pending phone tasks go on;
    /// they say so when they answer.
    fn new_applicant(&mut self) {
        self.form.clear(self.now);
        self.checks.clear_finished();
        if let Some(first) = CheckKind::offered_for(self.form.country_code()).first() {
            self.checks.select(*first);
        }
        self.screen = Screen::Review;
        self.focus = Pane::Form;
        let waiting = self
            .tasks
            .iter()
            .filter(|t| t.status == super::model::TaskStatus::Pending)
            .count();
        let tasks = match waiting {
            0 => String::new(),
            1 => "; 1 phone task goes on in the panel".into(),
            n => format!("; {n} phone tasks go on in the panel"),
        };
        self.notify(
            Level::Info,
            format!("new applicant ({} kept){tasks}", self.form.country_code()),
        );
    }

    fn switch_tab(&mut self, step: usize) {
        if self.screen == Screen::Review {
            let n = CheckKind::ALL.len();
            self.checks
                .select(CheckKind::ALL[(self.checks.tab + step) % n]);
        }
    }

    pub fn next_run_id(&mut self) -> u64 {
        let id = self.next_run_id;
        self.next_run_id += 1;
        id
    }
}
