//! The applicant's case view as a component: opened from the history pane (the selected
//! lookup's applicant) or the form (the applicant in it), it shows every lookup of that
//! applicant oldest first, the selected one's report with what changed, and charts of the
//! figures over time. Gathering is I/O: a `Command::GatherCase`, latest wins, its answer
//! a `Message::CaseGathered`. Esc goes back exactly where it was opened from.

use super::app::{App, Level, Pane, Screen};
use super::case_file::CaseFile;
use super::component::{Component, Cx, Handled, Intent, KeyHelp, bound, step};
use super::keymap::Action;
use super::message::Command;
use crate::history::case::CaseKey;

/// Where the case view was opened from, to go back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub screen: Screen,
    pub focus: Pane,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CaseState {
    Closed,
    /// Gathering (the newest `seq`).
    Loading,
    Shown(Box<CaseFile>),
    /// No lookup shares the applicant's phone or ID number.
    Empty,
    Failed(String),
}

/// What the form or the history pane says to open a case: the applicant's phone and ID
/// number as they have them (either may be empty).
pub fn keys_for(phone: &str, id_number: &str) -> Vec<CaseKey> {
    let mut keys = Vec::new();
    if !phone.trim().is_empty() {
        keys.push(CaseKey::Phone(phone.trim().to_string()));
    }
    if !id_number.trim().is_empty() {
        keys.push(CaseKey::IdNumber(id_number.trim().to_string()));
    }
    keys
}

/// What the form says when it holds neither.
pub const NEEDS_KEY: &str =
    "type a phone or ID number first: a case gathers the lookups sharing them";

#[derive(Debug, Clone)]
pub struct CaseView {
    pub state: CaseState,
    /// What the case was asked for (shown while gathering, masked as the screen is).
    pub keys: Vec<CaseKey>,
    /// The newest gather issued; older answers are dropped.
    pub seq: u64,
    pub selected: usize,
    pub origin: Origin,
    /// The lookup opened read-only from the case: Esc there comes back to the case.
    pub opened: Option<i64>,
}

impl Default for CaseView {
    fn default() -> Self {
        CaseView::new()
    }
}

impl CaseView {
    pub fn new() -> CaseView {
        CaseView {
            state: CaseState::Closed,
            keys: Vec::new(),
            seq: 0,
            selected: 0,
            origin: Origin {
                screen: Screen::Review,
                focus: Pane::Form,
            },
            opened: None,
        }
    }

    pub fn is_open(&self) -> bool {
        self.state != CaseState::Closed
    }

    pub fn file(&self) -> Option<&CaseFile> {
        match &self.state {
            CaseState::Shown(f) => Some(f),
            _ => None,
        }
    }

    pub fn len(&self) -> usize {
        self.file().map_or(0, |f| f.entries.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn selected_entry(&self) -> Option<&super::case_file::CaseEntry> {
        self.file().and_then(|f| f.entries.get(self.selected))
    }

    /// Starts gathering the case of `keys`, coming from `origin`.
    fn open(&mut self, keys: Vec<CaseKey>, origin: Origin, purpose: Option<String>) -> Command {
        self.seq += 1;
        self.state = CaseState::Loading;
        self.keys = keys.clone();
        self.selected = 0;
        self.origin = origin;
        self.opened = None;
        Command::GatherCase {
            seq: self.seq,
            keys,
            purpose,
        }
    }

    /// A gather finished: shown when it is the newest one and the view still waits for it.
    fn on_gathered(&mut self, seq: u64, case: Result<CaseFile, String>) -> bool {
        if seq != self.seq || self.state != CaseState::Loading {
            return false;
        }
        self.state = match case {
            Ok(f) if f.entries.is_empty() => CaseState::Empty,
            Ok(f) => {
                // The newest lookup first: what the applicant looks like now, and what changed.
                self.selected = f.entries.len() - 1;
                CaseState::Shown(Box::new(f))
            }
            Err(e) => CaseState::Failed(e),
        };
        true
    }

    pub fn close(&mut self) {
        self.state = CaseState::Closed;
        self.opened = None;
    }

    /// Whether the stored lookup `id` on screen was opened from this case.
    pub fn opened_here(&self, id: i64) -> bool {
        self.is_open() && self.opened == Some(id)
    }
}

impl Component for CaseView {
    fn title(&self) -> &'static str {
        "Applicant case"
    }

    fn keys(&self) -> Vec<KeyHelp> {
        let mut keys =
            vec![bound(Action::Back, "back", "back where the case was opened from").rank(0)];
        if !self.is_empty() {
            keys.push(bound(Action::Open, "open", "open the selected lookup read-only").rank(1));
        }
        if self.len() > 1 {
            keys.extend([
                bound(Action::Down, "select", "next (newer) lookup").rank(1),
                bound(Action::Up, "", "previous (older) lookup"),
                bound(Action::PageDown, "", "a page down"),
                bound(Action::PageUp, "", "a page up"),
            ]);
        }
        keys
    }

    fn act(&mut self, action: Action, cx: &Cx) -> Handled {
        let n = self.len();
        let page = i64::from(cx.page.max(1));
        match action {
            Action::Back => return Handled::Ask(Intent::CloseCase),
            Action::Down => self.selected = step(self.selected, n, 1),
            Action::Up => self.selected = step(self.selected, n, -1),
            Action::PageDown => self.selected = step(self.selected, n, page),
            Action::PageUp => self.selected = step(self.selected, n, -page),
            Action::Open => {
                let Some(id) = self.selected_entry().map(|e| e.id) else {
                    return Handled::done();
                };
                self.opened = Some(id);
                return Handled::Consumed(vec![Command::OpenLookup {
                    id,
                    purpose: cx.purpose.clone(),
                }]);
            }
            _ => return Handled::NotMine,
        }
        Handled::done()
    }
}

impl App {
    /// Opens the case view on the applicant `keys` name, remembering where it came from.
    pub(super) fn open_case(&mut self, keys: Vec<CaseKey>) -> Vec<Command> {
        if keys.is_empty() {
            self.notify(Level::Warn, NEEDS_KEY);
            return Vec::new();
        }
        let origin = Origin {
            screen: self.screen,
            focus: self.focus,
        };
        self.screen = Screen::Case;
        let purpose = self.form.purpose();
        vec![self.case.open(keys, origin, purpose)]
    }

    /// Back exactly where the case was opened from (the form or the history pane, with its
    /// selection, which the case never touched).
    pub(super) fn close_case(&mut self) {
        let Origin { screen, focus } = self.case.origin;
        self.case.close();
        self.screen = screen;
        self.focus = focus;
    }

    pub(super) fn on_case_gathered(
        &mut self,
        seq: u64,
        case: Result<CaseFile, String>,
        not_logged: Option<String>,
    ) {
        if !self.case.on_gathered(seq, case) {
            // Superseded, or closed meanwhile: nothing on screen changes.
            self.dirty = false;
            return;
        }
        if let Some(e) = not_logged {
            self.notify(
                Level::Warn,
                format!("case shown, but its access was not logged: {e}"),
            );
        }
    }
}
