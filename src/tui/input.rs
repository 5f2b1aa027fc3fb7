//! Input routing: a key, a paste or a click goes to the modal up, else to the focused
//! component (which takes it — with commands, or an intent the app carries out — or leaves
//! it), else to the global bindings; the global bindings themselves.

use super::app::{App, Level, Pane, Screen};
use super::component::{Component, Cx, Handled, Intent, KeyHelp, Keys, bound, route};
use super::keymap::Action;
use super::layout::Laid;
use super::message::Command;
use crate::check::CheckKind;
use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};

impl App {
    /// The component with the focus.
    pub fn focused(&self) -> &dyn Component {
        match (self.screen, self.focus) {
            (Screen::History, _) => &self.history,
            (Screen::Case, _) => &self.case,
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
            (Screen::Case, _) => self.laid.case_height,
            (Screen::Review, Pane::Results) => self.laid.results_height,
            (Screen::Review, Pane::Tasks) => self.laid.tasks_height,
            (Screen::Review, Pane::Form) => 1,
        };
        let cx = Cx {
            keymap: &self.keymap,
            now: self.now,
            results_max_scroll: self.laid.results_max_scroll,
            page: page.saturating_sub(1).max(1),
            purpose: self.form.purpose(),
        };
        match (self.screen, self.focus) {
            (Screen::History, _) => f(&mut self.history, &cx),
            (Screen::Case, _) => f(&mut self.case, &cx),
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

    pub(super) fn on_key(&mut self, key: KeyEvent) -> Vec<Command> {
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

    pub(super) fn on_paste(&mut self, text: &str) -> Vec<Command> {
        if let Some(modal) = self.modal() {
            return self.modal_paste(modal);
        }
        let taken = self.with_focused(|c, cx| c.paste(text, cx));
        self.handled(taken)
    }

    pub(super) fn on_mouse(&mut self, m: MouseEvent) -> Vec<Command> {
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
                let lookup = Laid::at(&laid.case_rows, x, y);
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
                } else if let Some(i) = lookup {
                    self.case.selected = i;
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
            Intent::OpenCase(keys) => return self.open_case(keys),
            Intent::CloseCase => self.close_case(),
        }
        Vec::new()
    }

    /// The bindings that work whatever has the focus, on this screen.
    pub fn global_keys(&self) -> Vec<KeyHelp> {
        let mut keys = Vec::new();
        let back = self.notice.is_some()
            || self.screen == Screen::History
            || self.checks.stored().is_some();
        if back {
            let (hint, does) = match (&self.notice, self.screen, self.checks.stored()) {
                (Some(_), _, _) => ("dismiss", "dismiss the notice"),
                (None, Screen::History, _) => ("back", "back to the review"),
                (None, Screen::Review, Some(s)) if self.case.opened_here(s.row.id) => {
                    ("case", "back to the applicant's case")
                }
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

    pub(super) fn act(&mut self, action: Action) -> Vec<Command> {
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
                    let from_case = self
                        .checks
                        .stored()
                        .is_some_and(|s| self.case.opened_here(s.row.id));
                    if self.screen == Screen::History {
                        self.screen = Screen::Review;
                    } else if from_case {
                        // A lookup opened from the case: back to the case, as it was.
                        self.checks.show_live();
                        self.screen = Screen::Case;
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
}
