//! The live review, across the form, the check tabs and the phone-task panel: running
//! checks (and the re-run window before a paid call), cancelling, the answers and the
//! phone tasks' results — each filed under the applicant it belongs to — stored lookups
//! shown read-only, and the next applicant.

use super::app::{App, Level, Pane, Screen};
use super::checks::Slot;
use super::form::{FieldId, Readiness};
use super::format::show_phone;
use super::message::Command;
use super::model::{Answer, HistoryRow, StoredLookup, TaskStatus, TaskUpdate, TaskView};
use super::tasks::poll_delay;
use crate::applicant::{Identity, VendorRequest, prepare};
use crate::check::{CheckKind, Outcome};
use time::OffsetDateTime;

impl App {
    /// After any edit: validate, and the tabs follow the identifiers now in the form.
    pub(super) fn form_changed(&mut self) {
        self.form.validate(self.now);
        self.checks.follow(self.form.identity());
    }

    /// The next review: the form and the results clear (they are in history), the focus
    /// goes to the phone as at start. Checks still waiting and pending phone tasks go on;
    /// they say so when they answer.
    pub(super) fn new_applicant(&mut self) {
        self.form.clear(self.now);
        self.case.close();
        self.checks.clear_finished();
        self.form_changed();
        if let Some(first) = CheckKind::offered_for(self.form.country_code()).first() {
            self.checks.select(*first);
        }
        self.screen = Screen::Review;
        self.focus = Pane::Form;
        let tasks = match self.tasks.pending() {
            0 => String::new(),
            1 => "; 1 phone task goes on in the panel".into(),
            n => format!("; {n} phone tasks go on in the panel"),
        };
        self.notify(
            Level::Info,
            format!("new applicant ({} kept){tasks}", self.form.country_code()),
        );
    }

    /// Marks the run waiting on `request` running and returns the command that sends it.
    pub(super) fn start_run(
        &mut self,
        run_id: u64,
        request: VendorRequest,
        purpose: Option<String>,
    ) -> Command {
        self.checks.set(
            request.check,
            &request.identity,
            Slot::Running {
                run_id,
                started: self.now,
            },
        );
        Command::RunCheck {
            run_id,
            request,
            purpose,
        }
    }

    pub(super) fn run_focused(&mut self) -> Vec<Command> {
        if self.checks.stored().is_some() {
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
    fn run_checks(&mut self, checks: &[CheckKind], skip_window: bool) -> Vec<Command> {
        // `[team] require_purpose`: without a purpose nothing is sent, as for any field error.
        if self.form.purpose_missing() {
            self.form.show_all_errors = true;
            self.form.focus_field(FieldId::Purpose);
            self.notify(
                Level::Error,
                format!("Purpose: {}", super::form::PURPOSE_REQUIRED),
            );
            return Vec::new();
        }
        let applicant = self.form.applicant();
        let options = self.form.options();
        let purpose = self.form.purpose();
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
                commands.push(self.start_run(run_id, request, purpose.clone()));
                continue;
            }
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
                    purpose: purpose.clone(),
                },
            );
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

    /// Stops waiting on the open tab's check when it runs, else on every check of the
    /// applicant on screen. A request already sent is not recalled (it may be billed): its
    /// answer is still recorded, and the tab says so when it comes.
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

    pub(super) fn on_recent(
        &mut self,
        run_id: u64,
        found: Result<Option<Answer>, String>,
    ) -> Vec<Command> {
        let Some(run) = self.checks.by_run_id(run_id) else {
            return Vec::new();
        };
        let Slot::Checking {
            request, purpose, ..
        } = run.slot.clone()
        else {
            return Vec::new();
        };
        let (check, owner) = (run.check, run.owner.clone());
        match found {
            // Asked only about the applicant on screen; for one typed away meanwhile the
            // question is dropped (nothing was paid yet).
            Ok(Some(stored)) => {
                let slot = if self.checks.is_on_screen(check, &owner) {
                    self.checks.select(check);
                    Slot::Confirm {
                        run_id,
                        request,
                        purpose,
                        stored: Box::new(stored),
                    }
                } else {
                    Slot::Idle
                };
                self.checks.set(check, &owner, slot);
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
                vec![self.start_run(run_id, *request, purpose)]
            }
        }
    }

    pub(super) fn on_answer(&mut self, run_id: u64, answer: Answer) -> Vec<Command> {
        // Tracked even when the answer is no longer shown: it must still reach history.
        self.track_unsaved(&answer);
        let Some(run) = self.checks.by_run_id(run_id) else {
            // Superseded by a newer run of the same check: stored by the runtime, not shown.
            self.dirty = answer.unsaved.is_some();
            return Vec::new();
        };
        let (check, owner) = (run.check, run.owner.clone());
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
        // A paid phone task goes on in the panel, even when its check was cancelled.
        if let (Some(task_id), Outcome::Pending) = (&answer.task_id, answer.outcome) {
            self.tasks.track(TaskView {
                task_id: task_id.clone(),
                phone: owner.phone_e164.clone(),
                created_at: answer.at,
                attempts: 0,
                next_poll_at: answer.at + poll_delay(0),
                status: TaskStatus::Pending,
                reason: String::new(),
                submitter: self.operator.clone(),
            });
        }
        if !cancelled && !self.checks.is_on_screen(check, &owner) {
            self.notify(
                Level::Info,
                format!(
                    "{} for {} (not the applicant on screen): {}; shown when they are back \
                     in the form",
                    check.title(),
                    show_phone(&owner.phone_e164, self.reveal),
                    super::view::answer_gist(&answer)
                ),
            );
        }
        Vec::new()
    }

    pub(super) fn on_tasks_loaded(
        &mut self,
        loaded: Result<Vec<TaskView>, String>,
    ) -> Vec<Command> {
        match loaded {
            Ok(tasks) => {
                for t in tasks {
                    self.tasks.track(t);
                }
                // Resumed tasks that are already due are polled now.
                self.tasks.due(self.now)
            }
            Err(e) => {
                self.notify(Level::Error, format!("could not load phone tasks: {e}"));
                Vec::new()
            }
        }
    }

    pub(super) fn on_task_polled(
        &mut self,
        task_id: &str,
        update: Result<TaskUpdate, String>,
    ) -> Vec<Command> {
        let update = match update {
            Ok(u) => u,
            Err(e) => {
                self.tasks.poll_failed(task_id, e, self.now);
                return Vec::new();
            }
        };
        let TaskUpdate { task, answer } = update;
        self.tasks.polled(task.clone(), answer.as_ref());
        if task.status == TaskStatus::Pending {
            return Vec::new();
        }
        let phone = show_phone(&task.phone, self.reveal);
        let Some(answer) = answer else {
            let why = if task.reason.is_empty() {
                task.status.label().to_string()
            } else {
                task.reason.clone()
            };
            self.notify(
                Level::Warn,
                format!("phone task for {phone} {}: {why}", task.status.label()),
            );
            return Vec::new();
        };
        self.track_unsaved(&answer);
        // The phone status belongs to the phone: the applicant with that phone gets it,
        // whoever else the form holds.
        self.checks.file_phone_result(&task.phone, &answer);
        let owner = Identity {
            phone_e164: task.phone.clone(),
            ..Identity::default()
        };
        let words = super::view::answer_gist(&answer);
        if self.checks.is_on_screen(CheckKind::PhoneStatus, &owner) {
            let also = if self.checks.stored().is_some() || self.screen != Screen::Review {
                " (live review; Esc to return to it)"
            } else {
                ""
            };
            self.notify(
                Level::Info,
                format!("phone status for {phone}: {words}{also}"),
            );
        } else {
            self.notify(
                Level::Info,
                format!(
                    "phone status for {phone} (not the applicant on screen): {words}; shown \
                     when that phone is back in the form, or Enter in the tasks panel"
                ),
            );
        }
        Vec::new()
    }

    /// Shows a finished task's result read-only in the tabs.
    pub(super) fn open_task_result(&mut self, task_id: &str) {
        let Some(task) = self
            .tasks
            .list
            .iter()
            .find(|t| t.task_id == task_id)
            .cloned()
        else {
            return;
        };
        let Some(answer) = self.tasks.result(task_id).cloned() else {
            self.notify(Level::Info, format!("task {task_id} has no result yet"));
            return;
        };
        let row = HistoryRow {
            id: answer.lookup_id.unwrap_or_default(),
            at: answer.at,
            check: CheckKind::PhoneStatus,
            outcome: answer.outcome,
            phone: task.phone.clone(),
            id_number: String::new(),
            name: String::new(),
            request_id: answer.request_id.clone(),
            sandbox: self.sandbox,
            operator: self.operator.clone(),
        };
        self.show_stored(StoredLookup {
            row,
            identity: Identity {
                phone_e164: task.phone,
                ..Identity::default()
            },
            answer,
            request: Default::default(),
        });
    }

    fn show_stored(&mut self, lookup: StoredLookup) {
        self.checks.show_stored(lookup);
        self.screen = Screen::Review;
        self.focus = Pane::Results;
    }

    pub(super) fn on_lookup_opened(
        &mut self,
        result: Result<StoredLookup, String>,
        not_logged: Option<String>,
    ) -> Vec<Command> {
        match result {
            Ok(lookup) => {
                // Esc comes back to the case only from a lookup the case itself opened.
                if self.screen != Screen::Case {
                    self.case.opened = None;
                }
                let rerun = self.history.take_rerun_request(lookup.row.id);
                let id = lookup.row.id;
                self.show_stored(lookup);
                // Shown all the same: the log failing must not hide what was read.
                if let Some(e) = not_logged {
                    self.notify(
                        Level::Warn,
                        format!("lookup #{id} opened, but its access was not logged: {e}"),
                    );
                }
                if rerun {
                    return self.rerun();
                }
            }
            Err(e) => self.notify(Level::Error, format!("could not open the lookup: {e}")),
        }
        Vec::new()
    }

    /// Re-runs the lookup shown read-only: refills the form from the stored identifiers
    /// and options, then calls the vendor without the window prompt.
    pub(super) fn rerun(&mut self) -> Vec<Command> {
        let Some(lookup) = self.checks.stored().cloned() else {
            return self.run_focused();
        };
        self.checks.show_live();
        let id = &lookup.identity;
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
