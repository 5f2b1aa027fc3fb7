//! Phone tasks in the app: tracking, due polls, finished results and where they go.

use super::app::{App, Level, Screen};
use super::app_run::poll_delay;
use super::format::show_phone;
use super::message::Command;
use super::model::{StoredLookup, TaskStatus, TaskUpdate, TaskView};
use crate::applicant::Identity;
use crate::check::CheckKind;

impl App {
    pub(super) fn track_task(&mut self, task: TaskView) {
        match self.tasks.iter_mut().find(|t| t.task_id == task.task_id) {
            Some(t) => *t = task,
            None => self.tasks.push(task),
        }
    }

    pub fn has_pending_tasks(&self) -> bool {
        self.tasks.iter().any(|t| t.status == TaskStatus::Pending)
    }

    pub(super) fn on_tasks_loaded(
        &mut self,
        loaded: Result<Vec<TaskView>, String>,
    ) -> Vec<Command> {
        match loaded {
            Ok(tasks) => {
                for t in tasks {
                    self.track_task(t);
                }
                // Resumed tasks that are already due are polled on the first tick.
                self.on_tick()
            }
            Err(e) => {
                self.notify(Level::Error, format!("could not load phone tasks: {e}"));
                Vec::new()
            }
        }
    }

    pub(super) fn on_tick(&mut self) -> Vec<Command> {
        let now = self.now;
        let mut commands = Vec::new();
        for task in &mut self.tasks {
            if task.status == TaskStatus::Pending
                && task.next_poll_at <= now
                && !self.polling.contains(&task.task_id)
            {
                self.polling.insert(task.task_id.clone());
                commands.push(Command::PollTask {
                    task_id: task.task_id.clone(),
                });
            }
        }
        commands
    }

    pub(super) fn on_task_polled(
        &mut self,
        task_id: &str,
        update: Result<TaskUpdate, String>,
    ) -> Vec<Command> {
        self.polling.remove(task_id);
        let update = match update {
            Ok(u) => u,
            Err(e) => {
                let now = self.now;
                if let Some(t) = self.tasks.iter_mut().find(|t| t.task_id == task_id) {
                    t.reason = e;
                    t.next_poll_at = now + poll_delay(t.attempts);
                }
                return Vec::new();
            }
        };
        let task = update.task.clone();
        self.track_task(task.clone());
        if task.status == TaskStatus::Pending {
            return Vec::new();
        }
        let phone = show_phone(&task.phone, self.reveal);
        // The phone status belongs to the phone: on screen when the form holds that phone.
        let on_screen = self.form.identity().phone_e164 == task.phone;
        if let Some(answer) = &update.answer {
            self.track_unsaved(answer);
        }
        match update.answer {
            Some(answer) => {
                self.checks.file_phone_result(&task.phone, &answer);
                let words = super::view::answer_gist(&answer);
                self.task_results.insert(task.task_id.clone(), answer);
                if on_screen {
                    let also = if self.checks.stored().is_some() || self.screen == Screen::History {
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
                            "phone status for {phone} (not the applicant on screen): {words}; \
                             shown when that phone is back in the form, or Enter in the tasks panel"
                        ),
                    );
                }
            }
            None => {
                let why = if task.reason.is_empty() {
                    task.status.label().to_string()
                } else {
                    task.reason.clone()
                };
                self.notify(
                    Level::Warn,
                    format!("phone task for {phone} {}: {why}", task.status.label()),
                );
            }
        }
        Vec::new()
    }

    /// Shows the selected task's finished result read-only in the tabs.
    pub(super) fn open_task_result(&mut self) {
        let Some(task) = self.tasks.get(self.task_sel).cloned() else {
            return;
        };
        match self.task_results.get(&task.task_id).cloned() {
            Some(answer) => {
                let row = super::model::HistoryRow {
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
            None => self.notify(
                Level::Info,
                format!("task {} has no result yet", task.task_id),
            ),
        }
    }
}

impl App {
    /// After any edit: validate. The tabs follow the identifiers by themselves (each run
    /// belongs to the applicant it ran for).
    pub(super) fn form_changed(&mut self) {
        self.form.validate(self.now);
    }
}
