//! Running checks, the re-run window, cancelling, and the life of phone tasks.

use super::app::{App, Level, Pane, Screen, Slot, index};
use super::form::Readiness;
use super::message::Command;
use super::model::{Answer, StoredLookup, TaskStatus, TaskView};
use crate::applicant::prepare;
use crate::check::{CheckKind, Outcome};
use crossterm::event::{KeyCode, KeyEvent};
use std::time::Duration;
use time::OffsetDateTime;

/// How long to wait before the next poll of a phone task after `attempts` polls.
pub fn poll_delay(attempts: u32) -> Duration {
    crate::phone_tasks::next_poll_delay(attempts)
}

impl App {
    /// Marks slot `i` running and returns the command that sends its request.
    fn start_run(
        &mut self,
        i: usize,
        run_id: u64,
        request: crate::applicant::VendorRequest,
    ) -> Command {
        self.slots[i] = Slot::Running {
            run_id,
            started: self.now,
            identity: Box::new(request.identity.clone()),
        };
        Command::RunCheck { run_id, request }
    }

    pub(super) fn run_focused(&mut self) -> Vec<Command> {
        if self.stored.is_some() {
            return self.rerun();
        }
        if self.screen == Screen::History {
            return self.rerun();
        }
        let check = self.current_check();
        if let Readiness::NotOffered(reason) = self.form.readiness(check) {
            self.notify(Level::Warn, reason);
            return Vec::new();
        }
        self.run_checks(&[check], false)
    }

    pub(super) fn run_all(&mut self) -> Vec<Command> {
        self.stored = None;
        self.screen = Screen::Review;
        let offered = CheckKind::offered_for(self.form.country_code());
        if offered.is_empty() {
            self.notify(Level::Warn, "no check is offered for this country");
            return Vec::new();
        }
        if !offered.contains(&self.current_check()) {
            self.tab = index(offered[0]);
            self.scroll = 0;
        }
        self.run_checks(&offered, false)
    }

    /// Prepares and starts each check; with `skip_window` the stored-result check is skipped
    /// (the operator already looked at the stored result and asked for a new call).
    pub(super) fn run_checks(&mut self, checks: &[CheckKind], skip_window: bool) -> Vec<Command> {
        let applicant = self.form.applicant();
        let options = self.form.options();
        let mut commands = Vec::new();
        let mut problems = Vec::new();
        for &check in checks {
            if self.slot(check).is_busy() {
                continue;
            }
            let request = match prepare(check, &applicant, &options, self.now) {
                Ok(r) => r,
                Err(errors) => {
                    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                    problems.push(format!("{}: check {}", check.title(), fields.join(", ")));
                    continue;
                }
            };
            let run_id = self.next_run_id();
            let slot = &mut self.slots[index(check)];
            if skip_window || self.rerun_window <= time::Duration::ZERO {
                commands.push(self.start_run(index(check), run_id, request));
            } else {
                commands.push(Command::FindRecent {
                    run_id,
                    check,
                    identity: request.identity.clone(),
                    // A window reaching before the calendar starts means "any time".
                    since: self
                        .now
                        .checked_sub(self.rerun_window)
                        .unwrap_or(OffsetDateTime::UNIX_EPOCH),
                });
                *slot = Slot::Checking {
                    run_id,
                    request: Box::new(request),
                };
            }
        }
        if !problems.is_empty() {
            self.form.show_all_errors = true;
            self.notify(Level::Error, problems.join("; "));
        } else if checks.len() == 1 && commands.is_empty() {
            self.notify(
                Level::Info,
                format!("{} is already running", checks[0].title()),
            );
        }
        commands
    }

    pub(super) fn cancel(&mut self) -> Vec<Command> {
        let current = index(self.current_check());
        let targets: Vec<usize> = if self.slots[current].is_busy() {
            vec![current]
        } else {
            (0..self.slots.len())
                .filter(|i| self.slots[*i].is_busy())
                .collect()
        };
        if targets.is_empty() {
            self.notify(Level::Info, "nothing is running");
            return Vec::new();
        }
        let mut commands = Vec::new();
        for i in targets {
            if let Slot::Running { run_id, .. } = self.slots[i] {
                commands.push(Command::CancelRun { run_id });
            }
            self.slots[i] = Slot::Cancelled;
        }
        commands
    }

    /// The check whose stored result waits for a yes/no, first in tab order.
    pub fn confirming(&self) -> Option<CheckKind> {
        CheckKind::ALL
            .into_iter()
            .find(|c| matches!(self.slot(*c), Slot::Confirm { .. }))
    }

    pub(super) fn on_confirm_key(&mut self, check: CheckKind, key: &KeyEvent) -> Vec<Command> {
        let i = index(check);
        let Slot::Confirm {
            run_id,
            request,
            stored,
        } = self.slots[i].clone()
        else {
            return Vec::new();
        };
        match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => {
                vec![self.start_run(i, run_id, *request)]
            }
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                self.slots[i] = Slot::Done {
                    answer: stored,
                    identity: Box::new(request.identity.clone()),
                    stored: true,
                };
                Vec::new()
            }
            _ => {
                self.dirty = false;
                Vec::new()
            }
        }
    }

    pub(super) fn on_recent(
        &mut self,
        run_id: u64,
        found: Result<Option<Answer>, String>,
    ) -> Vec<Command> {
        let Some(i) = self
            .slots
            .iter()
            .position(|s| matches!(s, Slot::Checking { run_id: r, .. } if *r == run_id))
        else {
            return Vec::new();
        };
        let Slot::Checking { request, .. } = self.slots[i].clone() else {
            return Vec::new();
        };
        match found {
            Ok(Some(stored)) => {
                self.tab = i;
                self.slots[i] = Slot::Confirm {
                    run_id,
                    request,
                    stored: Box::new(stored),
                };
                Vec::new()
            }
            other => {
                if let Err(e) = other {
                    // The store failing must not block a review: say so and call the vendor.
                    self.notify(
                        Level::Warn,
                        format!("history unavailable ({e}); calling the vendor"),
                    );
                }
                vec![self.start_run(i, run_id, *request)]
            }
        }
    }

    pub(super) fn on_answer(&mut self, run_id: u64, answer: Answer) -> Vec<Command> {
        // Tracked even when the answer is no longer shown: it must still reach history.
        self.track_unsaved(&answer);
        let i = index(answer.check);
        let identity = match &self.slots[i] {
            Slot::Running {
                run_id: r,
                identity,
                ..
            } if *r == run_id => identity.clone(),
            // Cancelled or superseded: the late answer is stored by the runtime, not shown.
            _ => {
                self.dirty = false;
                return Vec::new();
            }
        };
        if let (Some(task_id), Outcome::Pending) = (&answer.task_id, answer.outcome) {
            self.track_task(TaskView {
                task_id: task_id.clone(),
                phone: identity.phone_e164.clone(),
                created_at: answer.at,
                attempts: 0,
                next_poll_at: answer.at + poll_delay(0),
                status: TaskStatus::Pending,
                reason: String::new(),
            });
        }
        self.slots[i] = Slot::Done {
            answer: Box::new(answer),
            identity,
            stored: false,
        };
        Vec::new()
    }

    pub(super) fn show_stored(&mut self, lookup: StoredLookup) {
        self.tab = index(lookup.answer.check);
        self.stored = Some(lookup);
        self.screen = Screen::Review;
        self.focus = Pane::Results;
        self.scroll = 0;
    }

    pub(super) fn on_lookup_opened(
        &mut self,
        result: Result<StoredLookup, String>,
    ) -> Vec<Command> {
        match result {
            Ok(lookup) => {
                let rerun = self.history.take_rerun_request(lookup.row.id);
                self.show_stored(lookup);
                if rerun {
                    return self.rerun();
                }
            }
            Err(e) => self.notify(Level::Error, format!("could not open the lookup: {e}")),
        }
        Vec::new()
    }

    /// Re-runs the lookup shown read-only (or selected in history): refills the form from
    /// the stored identifiers and options, then calls the vendor without the window prompt.
    pub(super) fn rerun(&mut self) -> Vec<Command> {
        if self.screen == Screen::History {
            return match self.history.selected_row() {
                Some(row) => {
                    let id = row.id;
                    self.history.request_rerun(id);
                    vec![Command::OpenLookup { id }]
                }
                None => Vec::new(),
            };
        }
        let Some(lookup) = self.stored.take() else {
            return self.run_focused();
        };
        let id = &lookup.identity;
        self.form.set_country(&id.country);
        self.form
            .set_text(super::form::FieldId::Phone, &id.phone_e164);
        self.form
            .set_text(super::form::FieldId::IdNumber, &id.id_number);
        self.form.set_text(super::form::FieldId::Name, &id.name);
        self.form
            .set_text(super::form::FieldId::Bankcard, &id.bankcard);
        self.form.set_text(super::form::FieldId::Email, &id.email);
        self.form.set_text(super::form::FieldId::Gaid, &id.gaid);
        self.form.apply_request_options(&lookup.request);
        self.form_changed();
        self.scroll = 0;
        self.run_checks(&[lookup.answer.check], true)
    }
}
