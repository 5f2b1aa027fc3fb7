//! The console's state and `App::update`: messages in, commands out, no I/O. `App` keeps
//! what is global (screen, focus, notice, settings, the clock) and routes input to the
//! components: a modal first, then the focused component, then the global bindings.

use super::checks::{CheckTabs, Slot};
use super::component::{Component, Cx, Handled, Intent, KeyHelp, Keys, route};
use super::form::Form;
use super::history::HistoryPane;
use super::keymap::{Action, Keymap};
use super::layout::Laid;
use super::message::{Command, Message};
use super::modal::Modal;
use super::model::Answer;
use super::tasks::TaskPanel;
use super::theme::Theme;
use crate::check::CheckKind;
use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use std::collections::{BTreeSet, HashMap};
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
        form.validate(now);
        let mut checks = CheckTabs::new();
        checks.follow(form.identity());
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
            tasks: TaskPanel::new(),
            history: HistoryPane::new(),
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

    // ----- saved or said -----

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
        self.tasks.results_mut().for_each(mark);
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

    // ----- routing -----

    /// The component with the focus.
    pub fn focused(&self) -> &dyn Component {
        match (self.screen, self.focus) {
            (Screen::History, _) => &self.history,
            (Screen::Review, Pane::Form) => &self.form,
            (Screen::Review, Pane::Results) => &self.checks,
            (Screen::Review, Pane::Tasks) => &self.tasks,
        }
    }

    /// Whether plain keys type where the focus is.
    pub fn typing(&self) -> bool {
        self.focused().typing()
    }

    /// A key, a paste or a scroll to the focused component.
    fn with_focused(&mut self, f: impl FnOnce(&mut dyn Component, &Cx) -> Handled) -> Handled {
        let page = match (self.screen, self.focus) {
            (Screen::History, _) => self.laid.history_height,
            (Screen::Review, Pane::Results) => self.laid.results_height,
            (Screen::Review, Pane::Tasks) => self.laid.tasks_height,
            (Screen::Review, Pane::Form) => 1,
        };
        let cx = Cx {
            keymap: &self.keymap,
            now: self.now,
            results_max_scroll: self.laid.results_max_scroll,
            page: page.saturating_sub(1).max(1),
        };
        match (self.screen, self.focus) {
            (Screen::History, _) => f(&mut self.history, &cx),
            (Screen::Review, Pane::Form) => f(&mut self.form, &cx),
            (Screen::Review, Pane::Results) => f(&mut self.checks, &cx),
            (Screen::Review, Pane::Tasks) => f(&mut self.tasks, &cx),
        }
    }

    fn handled(&mut self, handled: Handled) -> Vec<Command> {
        match handled {
            Handled::NotMine => {
                self.dirty = false;
                Vec::new()
            }
            Handled::Consumed(commands) => commands,
            Handled::Ask(intent) => self.carry_out(intent),
        }
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
        if let Some(modal) = self.modal() {
            return self.modal_key(modal, &key);
        }
        let taken = self.with_focused(|c, cx| route(c, &key, cx));
        if !matches!(taken, Handled::NotMine) {
            return self.handled(taken);
        }
        let globals = self.global_keys();
        for action in self.keymap.actions_for(&key, self.typing()) {
            if globals.iter().any(|k| k.keys == Keys::Bound(action)) {
                return self.act(action);
            }
        }
        self.dirty = false;
        Vec::new()
    }

    fn on_paste(&mut self, text: &str) -> Vec<Command> {
        if let Some(modal) = self.modal() {
            return self.modal_paste(modal);
        }
        let taken = self.with_focused(|c, cx| c.paste(text, cx));
        self.handled(taken)
    }

    fn on_mouse(&mut self, m: MouseEvent) -> Vec<Command> {
        if let Some(modal) = self.modal() {
            return self.modal_mouse(modal, m);
        }
        let (x, y) = (m.column, m.row);
        let laid = &self.laid;
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                let pane = Laid::at(&laid.panes, x, y);
                let field = Laid::at(&laid.fields, x, y);
                let tab = Laid::at(&laid.tabs, x, y);
                let task = Laid::at(&laid.tasks, x, y);
                let row = Laid::at(&laid.history_rows, x, y);
                if let Some(pane) = pane {
                    self.focus = pane;
                }
                if let Some(field) = field {
                    self.focus = Pane::Form;
                    self.form.focus_field(field);
                } else if let Some(tab) = tab {
                    self.focus = Pane::Results;
                    self.checks.select(CheckKind::ALL[tab]);
                } else if let Some(i) = task {
                    self.focus = Pane::Tasks;
                    self.tasks.selected = i;
                } else if let Some(i) = row {
                    self.history.selected = i;
                } else if pane.is_none() {
                    self.dirty = false;
                }
                Vec::new()
            }
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                if self.screen == Screen::Review
                    && let Some(pane) = Laid::at(&laid.panes, x, y)
                {
                    self.focus = pane;
                }
                let action = if m.kind == MouseEventKind::ScrollDown {
                    Action::Down
                } else {
                    Action::Up
                };
                let lists = self
                    .focused()
                    .keys()
                    .iter()
                    .any(|k| k.keys == Keys::Bound(action));
                let mut commands = Vec::new();
                if lists {
                    for _ in 0..3 {
                        let taken = self.with_focused(|c, cx| c.act(action, cx));
                        commands.extend(self.handled(taken));
                    }
                }
                self.dirty = true;
                commands
            }
            _ => {
                self.dirty = false;
                Vec::new()
            }
        }
    }

    /// What a component asked for that spans more than itself.
    fn carry_out(&mut self, intent: Intent) -> Vec<Command> {
        match intent {
            Intent::FormChanged => self.form_changed(),
            Intent::OpenTask(task_id) => self.open_task_result(&task_id),
            Intent::RerunStored => return self.rerun(),
            Intent::Copy(id) => {
                self.notify(Level::Info, format!("copied request id {id} (OSC 52)"));
                return vec![Command::Copy(id)];
            }
            Intent::Export(id) => return vec![Command::ExportLookup { id }],
            Intent::Say(level, text) => self.notify(level, text),
        }
        Vec::new()
    }

    // ----- global bindings -----

    /// The bindings that work whatever has the focus, on this screen.
    pub fn global_keys(&self) -> Vec<KeyHelp> {
        use super::component::bound;
        let mut keys = Vec::new();
        let back = self.notice.is_some()
            || self.screen == Screen::History
            || self.checks.stored().is_some();
        if back {
            let (hint, does) = match (&self.notice, self.screen, self.checks.stored()) {
                (Some(_), _, _) => ("dismiss", "dismiss the notice"),
                (None, Screen::History, _) => ("back", "back to the review"),
                _ => ("live review", "back to the live review"),
            };
            keys.push(bound(Action::Back, hint, does).rank(0));
        }
        if self.screen == Screen::Review {
            keys.extend([
                bound(
                    Action::RunAll,
                    "run all",
                    "run every check offered for the country",
                )
                .rank(0),
                bound(Action::RunFocused, "run", "run the open tab's check").rank(0),
            ]);
            if CheckKind::ALL.iter().any(|c| self.slot(*c).is_busy()) {
                keys.push(bound(
                    Action::Cancel,
                    "cancel",
                    "stop waiting on the open tab's check (or on all)",
                ));
            }
        }
        keys.push(
            bound(
                Action::NewApplicant,
                "new applicant",
                "next applicant: clear the form and the results (the country stays)",
            )
            .rank(0),
        );
        if self.screen == Screen::Review {
            keys.extend([
                bound(
                    Action::FocusNext,
                    "next pane",
                    "next pane: form, results, phone tasks",
                ),
                bound(Action::FocusPrev, "", "previous pane"),
                bound(Action::History, "history", "search past lookups"),
            ]);
        }
        keys.push(if self.reveal {
            bound(Action::Reveal, "mask", "mask phone, ID and card numbers").rank(2)
        } else {
            bound(
                Action::Reveal,
                "reveal",
                "reveal phone, ID and card numbers",
            )
            .rank(2)
        });
        keys.extend([
            bound(Action::Help, "help", "show this help"),
            bound(Action::Quit, "quit", "quit (Ctrl-C anywhere)"),
        ]);
        keys
    }

    fn act(&mut self, action: Action) -> Vec<Command> {
        match action {
            Action::Quit => {
                self.quit = true;
                return vec![Command::Quit];
            }
            Action::Help => self.help = true,
            Action::FocusNext | Action::FocusPrev => {
                let order = [Pane::Form, Pane::Results, Pane::Tasks];
                let i = order.iter().position(|p| *p == self.focus).unwrap_or(0);
                let step = if action == Action::FocusNext { 1 } else { 2 };
                self.focus = order[(i + step) % 3];
            }
            Action::RunFocused => return self.run_focused(),
            Action::RunAll => return self.run_all(),
            Action::Cancel => return self.cancel(),
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
            Action::NewApplicant => self.new_applicant(),
            _ => self.dirty = false,
        }
        Vec::new()
    }

    pub fn next_run_id(&mut self) -> u64 {
        let id = self.next_run_id;
        self.next_run_id += 1;
        id
    }
}
