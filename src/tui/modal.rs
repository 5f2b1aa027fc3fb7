//! The modals: the key help overlay and the re-run dialog. While one is up it receives
//! every key, paste and click; nothing reaches the panes behind it.

use super::app::App;
use super::checks::Slot;
use super::component::{KeyHelp, fixed};
use super::layout::{Answer, Laid};
use super::message::Command;
use crate::check::CheckKind;
use crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modal {
    /// The key help (over whatever had the focus).
    Help,
    /// "Run again?": a stored result of this check is inside the re-run window.
    Confirm(CheckKind),
}

impl Modal {
    pub fn title(self) -> &'static str {
        match self {
            Modal::Help => "Help",
            Modal::Confirm(_) => "Run again?",
        }
    }

    /// The keys it answers (all of them, for the help: any other key does nothing).
    pub fn keys(self) -> Vec<KeyHelp> {
        match self {
            Modal::Help => vec![fixed("any key", "close", "close this help").rank(0)],
            Modal::Confirm(_) => vec![
                fixed(
                    "y",
                    "run again (paid)",
                    "call the vendor again (a paid call)",
                )
                .rank(0),
                fixed("n Esc", "keep the stored result", "keep the stored result").rank(0),
            ],
        }
    }
}

impl App {
    pub(super) fn modal_key(&mut self, modal: Modal, key: &KeyEvent) -> Vec<Command> {
        match modal {
            // Any key closes the help; it never triggers anything underneath.
            Modal::Help => {
                self.help = false;
                Vec::new()
            }
            Modal::Confirm(check) => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => self.answer_dialog(check, true),
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                    self.answer_dialog(check, false)
                }
                _ => {
                    self.dirty = false;
                    Vec::new()
                }
            },
        }
    }

    /// A paste closes the help and goes nowhere; the dialog ignores it.
    pub(super) fn modal_paste(&mut self, modal: Modal) -> Vec<Command> {
        match modal {
            Modal::Help => self.help = false,
            Modal::Confirm(_) => self.dirty = false,
        }
        Vec::new()
    }

    /// A click closes the help; the dialog takes a click on its answers only.
    pub(super) fn modal_mouse(&mut self, modal: Modal, m: MouseEvent) -> Vec<Command> {
        let down = m.kind == MouseEventKind::Down(MouseButton::Left);
        match modal {
            Modal::Help if matches!(m.kind, MouseEventKind::Down(_)) => {
                self.help = false;
                Vec::new()
            }
            Modal::Confirm(check) if down => match Laid::at(&self.laid.dialog, m.column, m.row) {
                Some(Answer::RunAgain) => self.answer_dialog(check, true),
                Some(Answer::KeepStored) => self.answer_dialog(check, false),
                None => {
                    self.dirty = false;
                    Vec::new()
                }
            },
            _ => {
                self.dirty = false;
                Vec::new()
            }
        }
    }

    /// The operator answered "run again?": pay for a new call, or keep the stored result.
    fn answer_dialog(&mut self, check: CheckKind, again: bool) -> Vec<Command> {
        let Slot::Confirm {
            run_id,
            request,
            purpose,
            stored,
        } = self.slot(check).clone()
        else {
            return Vec::new();
        };
        if again {
            vec![self.start_run(run_id, *request, purpose)]
        } else {
            self.checks.set(
                check,
                &request.identity,
                Slot::Done {
                    answer: stored,
                    reused: true,
                },
            );
            Vec::new()
        }
    }
}
