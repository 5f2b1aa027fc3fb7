//! Saved or said: an answer history refused is shown NOT SAVED, counted in the status bar,
//! and retried every few seconds (one retry in flight) until it is stored.

use super::app::{App, Level};
use super::checks::Slot;
use super::message::Command;
use super::model::Answer;
use std::collections::HashMap;

impl App {
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

    pub(super) fn retry_unsaved_due(&mut self) -> Vec<Command> {
        match self.unsaved_retry {
            Some(at) if !self.unsaved.is_empty() && self.now >= at => {
                // One retry in flight at a time: the next is scheduled when it reports.
                self.unsaved_retry = None;
                vec![Command::RetryUnsaved]
            }
            _ => Vec::new(),
        }
    }

    pub(super) fn on_unsaved_retried(
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
}
