//! Input that is not a binding: mouse clicks and wheel, pasted text; and the actions
//! that act on what is selected (open, export, copy).

use super::app::{App, Level, Pane, Screen};
use super::form::FieldId;
use super::message::Command;
use super::model::Answer;
use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

impl App {
    pub(super) fn move_by(&mut self, delta: i32) {
        match (self.screen, self.focus) {
            (Screen::History, _) => self.history.move_selection(delta),
            (Screen::Review, Pane::Form) => {
                for _ in 0..delta.unsigned_abs().min(FieldId::ALL.len() as u32) {
                    self.form.move_focus(delta > 0);
                }
            }
            (Screen::Review, Pane::Results) => {
                let s = &mut self.checks.scroll;
                *s = if delta < 0 {
                    s.saturating_sub(delta.unsigned_abs() as u16)
                } else {
                    s.saturating_add(delta as u16)
                };
            }
            (Screen::Review, Pane::Tasks) => {
                let n = self.tasks.len();
                if n > 0 {
                    let i = self.task_sel as i64 + i64::from(delta);
                    self.task_sel = i.clamp(0, n as i64 - 1) as usize;
                }
            }
        }
    }

    pub(super) fn open(&mut self) -> Vec<Command> {
        match (self.screen, self.focus) {
            (Screen::History, _) => match self.history.selected_row() {
                Some(row) => vec![Command::OpenLookup { id: row.id }],
                None => Vec::new(),
            },
            (Screen::Review, Pane::Form) => {
                self.form.move_focus(true);
                Vec::new()
            }
            (Screen::Review, Pane::Tasks) => {
                self.open_task_result();
                Vec::new()
            }
            (Screen::Review, Pane::Results) => Vec::new(),
        }
    }

    pub(super) fn export(&mut self) -> Vec<Command> {
        let id = match self.screen {
            Screen::History => self.history.selected_row().map(|r| r.id),
            Screen::Review => self
                .checks
                .stored()
                .map(|s| s.row.id)
                .or_else(|| self.visible_answer().and_then(|a| a.lookup_id)),
        };
        match id {
            Some(id) => vec![Command::ExportLookup { id }],
            None => {
                self.notify(Level::Warn, "nothing stored to export here");
                Vec::new()
            }
        }
    }

    pub(super) fn copy_id(&mut self) -> Vec<Command> {
        let id = match self.screen {
            Screen::History => self.history.selected_row().map(|r| r.request_id.clone()),
            Screen::Review => self.visible_answer().map(|a| a.request_id.clone()),
        };
        match id.filter(|i| !i.is_empty()) {
            Some(id) => {
                self.notify(Level::Info, format!("copied request id {id} (OSC 52)"));
                vec![Command::Copy(id)]
            }
            None => {
                self.notify(Level::Warn, "no vendor request id here to copy");
                Vec::new()
            }
        }
    }

    /// The answer the results pane shows for the current tab.
    pub fn visible_answer(&self) -> Option<&Answer> {
        self.shown(self.current_check()).answer()
    }

    /// What the tab of `check` shows: live for the applicant in the form, or stored.
    pub fn shown(&self, check: crate::check::CheckKind) -> super::checks::Shown<'_> {
        self.checks.shown(check, self.form.identity())
    }

    pub(super) fn on_paste(&mut self, text: &str) -> Vec<Command> {
        // A modal holds every input: nothing reaches the panes behind it.
        if self.show_help {
            self.show_help = false;
            return Vec::new();
        }
        if self.confirming().is_some() {
            self.dirty = false;
            return Vec::new();
        }
        match self.screen {
            Screen::History => self.history.paste(text, self.now),
            Screen::Review if self.focus == Pane::Form => {
                if self.form.paste(text) {
                    self.form_changed();
                }
                Vec::new()
            }
            Screen::Review => Vec::new(),
        }
    }

    pub(super) fn on_mouse(&mut self, m: MouseEvent) -> Vec<Command> {
        let at = Position::new(m.column, m.row);
        let hits = self.hits.borrow().clone();
        fn find<T: Copy>(list: &[(Rect, T)], at: Position) -> Option<T> {
            list.iter().find(|(r, _)| r.contains(at)).map(|(_, v)| *v)
        }
        // A modal holds every input: a click closes the help, the dialog takes only its
        // answers; nothing reaches the panes behind.
        if self.show_help {
            if matches!(m.kind, MouseEventKind::Down(_)) {
                self.show_help = false;
            } else {
                self.dirty = false;
            }
            return Vec::new();
        }
        if self.confirming().is_some() {
            self.dirty = false;
            return Vec::new();
        }
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                if let Some(pane) = find(&hits.panes, at) {
                    self.focus = pane;
                }
                if let Some(field) = find(&hits.fields, at) {
                    self.focus = Pane::Form;
                    self.form.focus_field(field);
                } else if let Some(tab) = find(&hits.tabs, at) {
                    self.focus = Pane::Results;
                    self.checks.select(crate::check::CheckKind::ALL[tab]);
                } else if let Some(i) = find(&hits.tasks, at) {
                    self.focus = Pane::Tasks;
                    self.task_sel = i;
                } else if let Some(i) = find(&hits.history_rows, at) {
                    self.history.selected = i;
                }
            }
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                let delta = if m.kind == MouseEventKind::ScrollDown {
                    3
                } else {
                    -3
                };
                if self.screen == Screen::Review
                    && let Some(pane) = find(&hits.panes, at)
                {
                    self.focus = pane;
                }
                self.move_by(delta);
            }
            _ => self.dirty = false,
        }
        Vec::new()
    }
}
