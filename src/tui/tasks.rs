//! The phone-task panel: every phone check still open (pending, or paused with the reason)
//! and how each one ended, which are being polled, and their finished results by task id
//! (also for applicants no longer on screen). A team's desks share their tasks: this
//! desk's own (submitted by its operator) come first.

use super::component::{Component, Cx, Handled, Intent, KeyHelp, bound, step};
use super::keymap::Action;
use super::message::Command;
use super::model::{Answer, TaskStatus, TaskView};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use time::OffsetDateTime;

/// How long to wait before the next poll of a phone task after `attempts` polls.
pub fn poll_delay(attempts: u32) -> Duration {
    crate::phone_tasks::next_poll_delay(attempts)
}

#[derive(Debug, Default, Clone)]
pub struct TaskPanel {
    pub list: Vec<TaskView>,
    pub selected: usize,
    /// Tasks with a poll in flight: never two at once for one task.
    polling: HashSet<String>,
    /// Finished results by task id.
    results: HashMap<String, Answer>,
    /// This desk's operator (OS user): their tasks are listed first.
    me: String,
}

impl TaskPanel {
    pub fn new() -> TaskPanel {
        TaskPanel::default()
    }

    /// The panel of the desk whose operator is `me`.
    pub fn for_operator(me: &str) -> TaskPanel {
        TaskPanel {
            me: me.to_string(),
            ..TaskPanel::default()
        }
    }

    /// Whether this desk's operator submitted the task.
    pub fn is_own(&self, task: &TaskView) -> bool {
        !self.me.is_empty() && task.submitter == self.me
    }

    /// Whether some task listed came from another desk's operator.
    pub fn has_others(&self) -> bool {
        self.list
            .iter()
            .any(|t| !t.submitter.is_empty() && !self.is_own(t))
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Adds or updates a task; this desk's own stay first (each group in the order the
    /// tasks came), and the selection stays on the task it was on.
    pub fn track(&mut self, mut task: TaskView) {
        let selected = self.selected_task().map(|t| t.task_id.clone());
        match self.list.iter_mut().find(|t| t.task_id == task.task_id) {
            Some(t) => {
                // A poll's update does not know who submitted the task: kept from before.
                if task.submitter.is_empty() {
                    task.submitter = std::mem::take(&mut t.submitter);
                }
                *t = task;
            }
            None => self.list.push(task),
        }
        let me = self.me.clone();
        self.list
            .sort_by_key(|t| me.is_empty() || t.submitter != me);
        if let Some(i) = selected.and_then(|id| self.list.iter().position(|t| t.task_id == id)) {
            self.selected = i;
        }
    }

    pub fn pending(&self) -> usize {
        self.count(TaskStatus::Pending)
    }

    pub fn count(&self, status: TaskStatus) -> usize {
        self.list.iter().filter(|t| t.status == status).count()
    }

    pub fn is_polling(&self, task_id: &str) -> bool {
        self.polling.contains(task_id)
    }

    pub fn result(&self, task_id: &str) -> Option<&Answer> {
        self.results.get(task_id)
    }

    pub fn results_mut(&mut self) -> impl Iterator<Item = &mut Answer> {
        self.results.values_mut()
    }

    pub fn selected_task(&self) -> Option<&TaskView> {
        self.list.get(self.selected)
    }

    /// Polls for every pending task that is due and not already being polled.
    pub fn due(&mut self, now: OffsetDateTime) -> Vec<Command> {
        let mut commands = Vec::new();
        for task in &self.list {
            if task.status == TaskStatus::Pending
                && task.next_poll_at <= now
                && self.polling.insert(task.task_id.clone())
            {
                commands.push(Command::PollTask {
                    task_id: task.task_id.clone(),
                });
            }
        }
        commands
    }

    /// A poll failed before it learned anything: a poll is a read, tried again on schedule.
    pub fn poll_failed(&mut self, task_id: &str, why: String, now: OffsetDateTime) {
        self.polling.remove(task_id);
        if let Some(t) = self.list.iter_mut().find(|t| t.task_id == task_id) {
            t.reason = why;
            t.next_poll_at = now + poll_delay(t.attempts);
        }
    }

    /// A poll came back with the task's new state and, when it ended, its answer.
    pub fn polled(&mut self, task: TaskView, answer: Option<&Answer>) {
        self.polling.remove(&task.task_id);
        if let Some(a) = answer {
            self.results.insert(task.task_id.clone(), a.clone());
        }
        self.track(task);
    }
}

impl Component for TaskPanel {
    fn title(&self) -> &'static str {
        "Phone tasks"
    }

    fn keys(&self) -> Vec<KeyHelp> {
        let mut keys = Vec::new();
        if self
            .selected_task()
            .is_some_and(|t| self.results.contains_key(&t.task_id))
        {
            keys.push(bound(Action::Open, "open", "open the finished result read-only").rank(0));
        }
        if self.list.len() > 1 {
            keys.extend([
                bound(Action::Down, "select", "next task").rank(1),
                bound(Action::Up, "", "previous task"),
                bound(Action::PageDown, "", "a page down"),
                bound(Action::PageUp, "", "a page up"),
            ]);
        }
        keys
    }

    fn act(&mut self, action: Action, cx: &Cx) -> Handled {
        let n = self.list.len();
        let page = i64::from(cx.page.max(1));
        match action {
            Action::Down => self.selected = step(self.selected, n, 1),
            Action::Up => self.selected = step(self.selected, n, -1),
            Action::PageDown => self.selected = step(self.selected, n, page),
            Action::PageUp => self.selected = step(self.selected, n, -page),
            Action::Open => {
                return match self.selected_task() {
                    Some(t) => Handled::Ask(Intent::OpenTask(t.task_id.clone())),
                    None => Handled::done(),
                };
            }
            _ => return Handled::NotMine,
        }
        Handled::done()
    }
}
