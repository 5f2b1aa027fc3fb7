//! The history pane's state: the search input, filters, the latest results, selection.
//! Every edit issues a new search with a higher sequence number; only the newest
//! answer is shown, so typing never waits on the store.

use super::component::{Component, Cx, Handled, Intent, KeyHelp, bound, fixed, step};
use super::keymap::{Action, is_editing_key};
use super::message::Command;
use super::model::{HistoryQuery, HistoryRow};
use crate::check::{CheckKind, Outcome};
use crossterm::event::KeyEvent;
use ratatui_textarea::TextArea;
use time::OffsetDateTime;

/// How many rows a search asks for (the store always applies a LIMIT).
pub const PAGE: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFilter {
    Any,
    Today,
    Week,
    Month,
    Year,
}

impl DateFilter {
    pub fn label(self) -> &'static str {
        match self {
            DateFilter::Any => "any date",
            DateFilter::Today => "last 24 h",
            DateFilter::Week => "last 7 days",
            DateFilter::Month => "last 30 days",
            DateFilter::Year => "last 365 days",
        }
    }

    fn next(self) -> DateFilter {
        match self {
            DateFilter::Any => DateFilter::Today,
            DateFilter::Today => DateFilter::Week,
            DateFilter::Week => DateFilter::Month,
            DateFilter::Month => DateFilter::Year,
            DateFilter::Year => DateFilter::Any,
        }
    }

    fn since(self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        let days = match self {
            DateFilter::Any => return None,
            DateFilter::Today => 1,
            DateFilter::Week => 7,
            DateFilter::Month => 30,
            DateFilter::Year => 365,
        };
        Some(now - time::Duration::days(days))
    }
}

pub struct HistoryPane {
    pub input: TextArea<'static>,
    pub check: Option<CheckKind>,
    pub outcome: Option<Outcome>,
    pub date: DateFilter,
    /// The sequence number of the newest search issued.
    pub seq: u64,
    /// The sequence number of the results shown.
    pub shown_seq: u64,
    pub rows: Vec<HistoryRow>,
    pub selected: usize,
    pub error: Option<String>,
    rerun_after_open: Option<i64>,
}

impl Default for HistoryPane {
    fn default() -> Self {
        HistoryPane::new()
    }
}

impl HistoryPane {
    pub fn new() -> HistoryPane {
        let mut input = TextArea::default();
        input.set_cursor_line_style(ratatui::style::Style::default());
        input.set_placeholder_text("phone, ID number, name or request id");
        HistoryPane {
            input,
            check: None,
            outcome: None,
            date: DateFilter::Any,
            seq: 0,
            shown_seq: 0,
            rows: Vec::new(),
            selected: 0,
            error: None,
            rerun_after_open: None,
        }
    }

    pub fn text(&self) -> String {
        self.input.lines().join("")
    }

    pub fn searched(&self) -> bool {
        self.seq > 0
    }

    /// Whether a newer search than the shown results is still out.
    pub fn loading(&self) -> bool {
        self.shown_seq < self.seq
    }

    pub fn query(&self, now: OffsetDateTime) -> HistoryQuery {
        HistoryQuery {
            text: self.text().trim().to_string(),
            check: self.check,
            outcome: self.outcome,
            since: self.date.since(now),
            limit: PAGE,
        }
    }

    pub fn search(&mut self, now: OffsetDateTime) -> Vec<Command> {
        self.seq += 1;
        vec![Command::Search {
            seq: self.seq,
            query: self.query(now),
        }]
    }

    pub fn on_search_key(&mut self, key: &KeyEvent, now: OffsetDateTime) -> Vec<Command> {
        if is_editing_key(key) && self.input.input(*key) {
            if self.input.lines().len() > 1 {
                let joined = self.input.lines().join("");
                self.input = TextArea::default();
                self.input.insert_str(joined);
            }
            return self.search(now);
        }
        Vec::new()
    }

    /// Ctrl-U: erases the search text before the cursor.
    pub fn clear_before_cursor(&mut self, now: OffsetDateTime) -> Vec<Command> {
        if self.input.delete_line_by_head() {
            self.search(now)
        } else {
            Vec::new()
        }
    }

    pub fn paste_text(&mut self, text: &str, now: OffsetDateTime) -> Vec<Command> {
        let clean: String = text.chars().filter(|c| !c.is_control()).collect();
        if self.input.insert_str(clean.trim()) {
            self.search(now)
        } else {
            Vec::new()
        }
    }

    pub fn on_results(&mut self, seq: u64, rows: Result<Vec<HistoryRow>, String>) {
        // Latest wins: an older search finishing late never replaces newer results.
        if seq < self.shown_seq || seq > self.seq {
            return;
        }
        self.shown_seq = seq;
        match rows {
            Ok(rows) => {
                self.rows = rows;
                self.error = None;
                self.selected = self.selected.min(self.rows.len().saturating_sub(1));
            }
            Err(e) => self.error = Some(e),
        }
    }

    pub fn selected_row(&self) -> Option<&HistoryRow> {
        self.rows.get(self.selected)
    }

    pub fn move_selection(&mut self, delta: i64) {
        self.selected = step(self.selected, self.rows.len(), delta);
    }

    pub fn cycle_check(&mut self, now: OffsetDateTime) -> Vec<Command> {
        self.check = match self.check {
            None => Some(CheckKind::ALL[0]),
            Some(c) => {
                let i = CheckKind::ALL.iter().position(|k| *k == c).unwrap_or(0);
                CheckKind::ALL.get(i + 1).copied()
            }
        };
        self.search(now)
    }

    pub fn cycle_outcome(&mut self, now: OffsetDateTime) -> Vec<Command> {
        self.outcome = match self.outcome {
            None => Some(Outcome::ALL[0]),
            Some(o) => {
                let i = Outcome::ALL.iter().position(|k| *k == o).unwrap_or(0);
                Outcome::ALL.get(i + 1).copied()
            }
        };
        self.search(now)
    }

    pub fn cycle_date(&mut self, now: OffsetDateTime) -> Vec<Command> {
        self.date = self.date.next();
        self.search(now)
    }

    pub fn request_rerun(&mut self, id: i64) {
        self.rerun_after_open = Some(id);
    }

    pub fn take_rerun_request(&mut self, id: i64) -> bool {
        if self.rerun_after_open == Some(id) {
            self.rerun_after_open = None;
            true
        } else {
            false
        }
    }
}

impl Component for HistoryPane {
    fn title(&self) -> &'static str {
        "History"
    }

    fn keys(&self) -> Vec<KeyHelp> {
        let mut keys = vec![fixed(
            "type",
            "",
            "search: phone in any format, ID number, name or request id",
        )];
        if let Some(row) = self.selected_row() {
            keys.extend([
                bound(Action::Open, "open", "open the lookup read-only").rank(0),
                bound(
                    Action::Rerun,
                    "re-run",
                    "re-run it on its identifiers (paid)",
                )
                .rank(0),
                bound(
                    Action::Export,
                    "export",
                    "export it for a ticket (JSON + raw)",
                ),
                bound(
                    Action::Case,
                    "case",
                    "its applicant's case: every lookup over time, what changed",
                ),
            ]);
            if !row.request_id.is_empty() {
                keys.push(
                    bound(
                        Action::CopyId,
                        "copy id",
                        "copy its vendor request id (OSC 52)",
                    )
                    .rank(2),
                );
            }
        }
        keys.extend([
            bound(Action::FilterCheck, "check", "filter by check").rank(2),
            bound(Action::FilterOutcome, "outcome", "filter by outcome").rank(2),
            bound(Action::FilterDate, "date", "filter by date").rank(2),
            bound(Action::ClearLine, "", "erase the search before the cursor"),
            bound(Action::Down, "", "next lookup"),
            bound(Action::Up, "", "previous lookup"),
            bound(Action::PageDown, "", "a page down"),
            bound(Action::PageUp, "", "a page up"),
        ]);
        keys
    }

    fn typing(&self) -> bool {
        true
    }

    fn input(&mut self, key: &KeyEvent, cx: &Cx) -> Handled {
        if is_editing_key(key) {
            Handled::Consumed(self.on_search_key(key, cx.now))
        } else {
            Handled::NotMine
        }
    }

    fn act(&mut self, action: Action, cx: &Cx) -> Handled {
        let page = i64::from(cx.page.max(1));
        if action == Action::Case {
            return match self.selected_row() {
                Some(r) => Handled::Ask(Intent::OpenCase(super::case::keys_for(
                    &r.phone,
                    &r.id_number,
                ))),
                None => Handled::done(),
            };
        }
        let selected = self.selected_row().map(|r| (r.id, r.request_id.clone()));
        let commands = match action {
            Action::Down => {
                self.move_selection(1);
                Vec::new()
            }
            Action::Up => {
                self.move_selection(-1);
                Vec::new()
            }
            Action::PageDown => {
                self.move_selection(page);
                Vec::new()
            }
            Action::PageUp => {
                self.move_selection(-page);
                Vec::new()
            }
            Action::Open => selected
                .map(|(id, _)| {
                    vec![Command::OpenLookup {
                        id,
                        purpose: cx.purpose.clone(),
                    }]
                })
                .unwrap_or_default(),
            Action::Rerun => match selected {
                Some((id, _)) => {
                    self.request_rerun(id);
                    vec![Command::OpenLookup {
                        id,
                        purpose: cx.purpose.clone(),
                    }]
                }
                None => Vec::new(),
            },
            Action::Export => {
                return match selected {
                    Some((id, _)) => Handled::Ask(Intent::Export(id)),
                    None => Handled::done(),
                };
            }
            Action::CopyId => {
                return match selected.filter(|(_, r)| !r.is_empty()) {
                    Some((_, r)) => Handled::Ask(Intent::Copy(r)),
                    None => Handled::done(),
                };
            }
            Action::FilterCheck => self.cycle_check(cx.now),
            Action::FilterOutcome => self.cycle_outcome(cx.now),
            Action::FilterDate => self.cycle_date(cx.now),
            Action::ClearLine => self.clear_before_cursor(cx.now),
            _ => return Handled::NotMine,
        };
        Handled::Consumed(commands)
    }

    fn paste(&mut self, text: &str, cx: &Cx) -> Handled {
        Handled::Consumed(self.paste_text(text, cx.now))
    }
}
