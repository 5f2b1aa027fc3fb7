//! What every part of the console is: a component that owns its state, says which keys it
//! answers (the status-bar hints and the help overlay are made from that list, so they
//! cannot disagree with the keys), and handles a key by taking it — with commands for the
//! runtime, or an intent the app carries out across components — or leaving it.

use super::app::Level;
use super::keymap::{Action, Keymap};
use super::message::Command;
use crossterm::event::KeyEvent;
use time::OffsetDateTime;

/// What a component did with an input.
#[derive(Debug)]
pub enum Handled {
    /// Not this component's: the next in line (in the end, the global bindings) gets it.
    NotMine,
    /// Taken; the runtime runs these commands (often none).
    Consumed(Vec<Command>),
    /// Taken; the app carries out what spans more than this component.
    Ask(Intent),
}

impl Handled {
    pub fn done() -> Handled {
        Handled::Consumed(Vec::new())
    }
}

/// What a component asks of the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    /// The form's identifiers or options changed: validate again.
    FormChanged,
    /// Show a finished phone task's result read-only in the tabs.
    OpenTask(String),
    /// Refill the form from the stored lookup shown and call the vendor again.
    RerunStored,
    /// Put a vendor request id on the clipboard.
    Copy(String),
    /// Export a stored lookup.
    Export(i64),
    /// Say something in the notice line.
    Say(Level, String),
    /// Open the case view of the applicant with this phone and/or ID number.
    OpenCase(Vec<crate::history::case::CaseKey>),
    /// Leave the case view, back where it was opened from.
    CloseCase,
}

/// Which key a help line is about: a binding (rebindable in `[keys]`), or a fixed key a
/// component reads directly (typing, a selector's arrows, a dialog's y/n).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    Bound(Action),
    Fixed(&'static str),
}

/// One key a component answers, and what it does there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyHelp {
    pub keys: Keys,
    /// A few words for the status bar.
    pub hint: &'static str,
    /// A line for the help overlay.
    pub does: &'static str,
    /// How much the hint matters: the status bar drops the highest ranks first when it
    /// runs out of room (help and quit are always kept).
    pub rank: u8,
}

impl KeyHelp {
    pub const fn rank(self, rank: u8) -> KeyHelp {
        KeyHelp { rank, ..self }
    }
}

/// A binding this component answers. An empty `hint` keeps it out of the status bar.
pub const fn bound(action: Action, hint: &'static str, does: &'static str) -> KeyHelp {
    KeyHelp {
        keys: Keys::Bound(action),
        hint,
        does,
        rank: 1,
    }
}

/// A key the component reads directly (not rebindable).
pub const fn fixed(keys: &'static str, hint: &'static str, does: &'static str) -> KeyHelp {
    KeyHelp {
        keys: Keys::Fixed(keys),
        hint,
        does,
        rank: 1,
    }
}

/// What a component may read of the world while it handles a key.
pub struct Cx<'a> {
    pub keymap: &'a Keymap,
    pub now: OffsetDateTime,
    /// How far the results body can scroll, from the last draw.
    pub results_max_scroll: u16,
    /// Rows one page moves in the list or text the component shows.
    pub page: u16,
    /// The form's Purpose, for what is opened (logged with the access).
    pub purpose: Option<String>,
}

pub trait Component {
    /// The name the help overlay gives its section.
    fn title(&self) -> &'static str;

    /// The keys answered now, most useful first.
    fn keys(&self) -> Vec<KeyHelp>;

    /// A binding listed in `keys()` was pressed.
    fn act(&mut self, action: Action, cx: &Cx) -> Handled;

    /// Keys before any binding: a focused text input types, a selector cycles.
    fn input(&mut self, _key: &KeyEvent, _cx: &Cx) -> Handled {
        Handled::NotMine
    }

    /// Whether plain keys type here, so only Ctrl/Alt/F-key bindings apply (and show).
    fn typing(&self) -> bool {
        false
    }

    fn paste(&mut self, _text: &str, _cx: &Cx) -> Handled {
        Handled::NotMine
    }
}

/// A key to a component: its own input first, then the bindings it lists. A binding it
/// does not list is not its own, whatever the key.
pub fn route(c: &mut dyn Component, key: &KeyEvent, cx: &Cx) -> Handled {
    match c.input(key, cx) {
        Handled::NotMine => {}
        taken => return taken,
    }
    let keys = c.keys();
    for action in cx.keymap.actions_for(key, c.typing()) {
        if keys.iter().any(|k| k.keys == Keys::Bound(action)) {
            return c.act(action, cx);
        }
    }
    Handled::NotMine
}

/// One step of a list selection, kept inside `0..len`.
pub fn step(selected: usize, len: usize, delta: i64) -> usize {
    if len == 0 {
        return 0;
    }
    (selected as i64 + delta).clamp(0, len as i64 - 1) as usize
}
