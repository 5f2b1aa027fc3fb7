//! Running checks, the re-run window, cancelling, and the life of phone tasks.

use super::app::{App, Level, Pane, Screen};
use super::checks::{Slot, same_owner};
use super::form::Readiness;
use super::format::show_phone;
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
    /// Marks the run waiting on `request` running and returns the command that sends it.
    fn start_run(&mut self, run_id: u64, request: crate::applicant::VendorRequest) -> Command {
        self.checks.set(
            request.check,
            &request.identity,
            Slot::Running {
                run_id,
                started: self.now,
            },
        );
        Command::RunCheck { run_id, request }
    }

    pub(super) fn run_focused(&mut self) -> Vec<Command> {
        if self.checks.stored().is_some() || self.screen == Screen::History {
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
        self.checks.show_live();
        self.screen = Screen::Review;
        let offered = CheckKind::offered_for(self.form.country_code());
        if offered.is_empty() {
            self.notify(Level::Warn, "no check is offered for this country");
            return Vec::new();
        }
        if !offered.contains(&self.current_check()) {
            self.checks.select(offered[0]);
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
            if skip_window || self.rerun_window <= time::Duration::ZERO {
                commands.push(self.start_run(run_id, request));
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
                let owner = request.identity.clone();
                self.checks.set(
                    check,
                    &owner,
                    Slot::Checking {
                        run_id,
                        request: Box::new(request),
                    },
                );
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

    /// Stops waiting on the focused check when it runs, else on every check of the applicant
    /// on screen. A request already sent is not recalled: its answer is still recorded.
    pub(super) fn cancel(&mut self) -> Vec<Command> {
        let current = self.current_check();
        let targets: Vec<CheckKind> = if self.slot(current).is_busy() {
            vec![current]
        } else {
            CheckKind::ALL
                .into_iter()
                .filter(|c| self.slot(*c).is_busy())
                .collect()
        };
        if targets.is_empty() {
            self.notify(Level::Info, "nothing is running");
            return Vec::new();
        }
        let owner = self.form.identity().clone();
        for check in targets {
            let run_id = match self.slot(check) {
                Slot::Checking { run_id, .. }
                | Slot::Confirm { run_id, .. }
                | Slot::Running { run_id, .. } => *run_id,
                _ => continue,
            };
            self.checks
                .set(check, &owner, Slot::Cancelled { run_id, late: None });
        }
        Vec::new()
    }

    /// The check whose stored result waits for a yes/no, first in tab order.
    pub fn confirming(&self) -> Option<CheckKind> {
        CheckKind::ALL
            .into_iter()
            .find(|c| matches!(self.slot(*c), Slot::Confirm { .. }))
    }

    pub(super) fn on_confirm_key(&mut self, check: CheckKind, key: &KeyEvent) -> Vec<Command> {
        let Slot::Confirm {
            run_id,
            request,
            stored,
        } = self.slot(check).clone()
        else {
            return Vec::new();
        };
        match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => vec![self.start_run(run_id, *request)],
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
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
        let form = self.form.identity().clone();
        let Some(run) = self.checks.by_run_id(run_id) else {
            return Vec::new();
        };
        let Slot::Checking { request, .. } = run.slot.clone() else {
            return Vec::new();
        };
        match found {
            // The question is asked only about the applicant on screen; one typed away
            // meanwhile is not asked about (nothing was paid yet).
            Ok(Some(stored)) if same_owner(run.check, &run.owner, &form) => {
                run.slot = Slot::Confirm {
                    run_id,
                    request,
                    stored: Box::new(stored),
                };
                let check = run.check;
                self.checks.select(check);
                Vec::new()
            }
            Ok(Some(_)) => {
                run.slot = Slot::Idle;
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
                vec![self.start_run(run_id, *request)]
            }
        }
    }

    pub(super) fn on_answer(&mut self, run_id: u64, answer: Answer) -> Vec<Command> {
        // Tracked even when the answer is no longer shown: it must still reach history.
        self.track_unsaved(&answer);
        let form = self.form.identity().clone();
        let reveal = self.reveal;
        let Some(run) = self.checks.by_run_id(run_id) else {
            // Superseded by a newer run of the same check: stored by the runtime, not shown.
            self.dirty = self.dirty && answer.unsaved.is_some();
            return Vec::new();
        };
        let owner = run.owner.clone();
        let check = run.check;
        let on_screen = same_owner(check, &owner, &form);
        let cancelled = match &mut run.slot {
            Slot::Running { .. } => {
                run.slot = Slot::Done {
                    answer: Box::new(answer.clone()),
                    reused: false,
                };
                false
            }
            Slot::Cancelled { late, .. } => {
                *late = Some(Box::new(answer.clone()));
                true
            }
            _ => return Vec::new(),
        };
        // A paid phone task goes on in the panel even when its check was cancelled.
        if let (Some(task_id), Outcome::Pending) = (&answer.task_id, answer.outcome) {
            self.track_task(TaskView {
                task_id: task_id.clone(),
                phone: owner.phone_e164.clone(),
                created_at: answer.at,
                attempts: 0,
                next_poll_at: answer.at + poll_delay(0),
                status: TaskStatus::Pending,
                reason: String::new(),
            });
        }
        if !on_screen && !cancelled {
            let words = super::view::answer_gist(&answer);
            self.notify(
                Level::Info,
                format!(
                    "{} for {} (not the applicant on screen): {words}; shown when they are \
                     back in the form",
                    check.title(),
                    show_phone(&owner.phone_e164, reveal)
                ),
            );
        }
        Vec::new()
    }

    pub(super) fn show_stored(&mut self, lookup: StoredLookup) {
        self.checks.show_stored(lookup);
        self.screen = Screen::Review;
        self.focus = Pane::Results;
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
        let Some(lookup) = self.checks.stored().cloned() else {
            return self.run_focused();
        };
        self.checks.show_live();
        let id = &lookup.identity;
        use super::form::FieldId;
        self.form.set_country(&id.country);
        self.form.set_text(FieldId::Phone, &id.phone_e164);
        self.form.set_text(FieldId::IdNumber, &id.id_number);
        self.form.set_text(FieldId::Name, &id.name);
        self.form.set_text(FieldId::Bankcard, &id.bankcard);
        self.form.set_text(FieldId::Email, &id.email);
        self.form.set_text(FieldId::Gaid, &id.gaid);
        self.form.apply_request_options(&lookup.request);
        self.form_changed();
        self.checks.select(lookup.answer.check);
        self.run_checks(&[lookup.answer.check], true)
    }
}
