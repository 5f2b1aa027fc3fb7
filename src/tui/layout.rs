//! What a draw laid out: where things landed on screen (for the mouse) and how far each
//! pane can scroll. The draw returns it; the runtime hands it back to the app as
//! `Message::Laid`, so drawing stays a pure function of state.

use super::app::Pane;
use super::form::FieldId;
use ratatui::layout::{Position, Rect};

/// The re-run dialog's two answers, as click targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    RunAgain,
    KeepStored,
}

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Laid {
    pub panes: Vec<(Rect, Pane)>,
    pub fields: Vec<(Rect, FieldId)>,
    pub tabs: Vec<(Rect, usize)>,
    pub tasks: Vec<(Rect, usize)>,
    pub history_rows: Vec<(Rect, usize)>,
    /// The case view's timeline rows (lookup index).
    pub case_rows: Vec<(Rect, usize)>,
    /// The dialog's answers, when one is up.
    pub dialog: Vec<(Rect, Answer)>,
    /// Lines the results body can scroll past its first screenful.
    pub results_max_scroll: u16,
    /// Lines of the results body on screen (a page).
    pub results_height: u16,
    /// Rows on screen in the tasks panel and the history list (a page).
    pub tasks_height: u16,
    pub history_height: u16,
    pub case_height: u16,
}

impl Laid {
    pub fn at<T: Copy>(list: &[(Rect, T)], x: u16, y: u16) -> Option<T> {
        let at = Position::new(x, y);
        list.iter().find(|(r, _)| r.contains(at)).map(|(_, v)| *v)
    }
}
