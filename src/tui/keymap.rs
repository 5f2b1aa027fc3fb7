//! The one keymap: actions, their default keys, and `[keys]` in config.toml replacing an
//! action's keys by name. Components route keys through it and label hints from it.

pub use super::keyspec::{KeySpec, is_editing_code, is_editing_key};
use crossterm::event::KeyEvent;
use std::collections::BTreeMap;

/// Everything a key can do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Quit,
    Help,
    FocusNext,
    FocusPrev,
    RunFocused,
    RunAll,
    Cancel,
    ToggleRaw,
    Reveal,
    History,
    Back,
    NextTab,
    PrevTab,
    Up,
    Down,
    PageUp,
    PageDown,
    Open,
    Rerun,
    Export,
    CopyId,
    FilterCheck,
    FilterOutcome,
    FilterDate,
    NewApplicant,
    ClearLine,
    /// The applicant's case view.
    Case,
}

/// An action's name in `[keys]` and its default keys. Where an action applies and what it
/// does there is each component's to say (`Component::keys`), so hints and help follow it.
pub struct ActionInfo {
    pub action: Action,
    /// The name used in `[keys]`.
    pub name: &'static str,
    pub defaults: &'static [&'static str],
}

pub const ACTIONS: &[ActionInfo] = &[
    info(Action::Quit, "quit", &["q"]),
    info(Action::Help, "help", &["?", "f1"]),
    info(Action::FocusNext, "focus_next", &["tab"]),
    info(Action::FocusPrev, "focus_prev", &["shift-tab"]),
    info(Action::RunFocused, "run", &["ctrl-e", "r"]),
    info(Action::RunAll, "run_all", &["ctrl-r", "R"]),
    info(Action::Cancel, "cancel", &["ctrl-x", "c"]),
    info(Action::ToggleRaw, "raw", &["ctrl-o", "v"]),
    info(Action::Reveal, "reveal", &["ctrl-p", "m"]),
    info(Action::History, "history", &["ctrl-f", "h"]),
    info(Action::Back, "back", &["esc"]),
    info(Action::NextTab, "next_tab", &["right", "]"]),
    info(Action::PrevTab, "prev_tab", &["left", "["]),
    info(Action::Up, "up", &["up", "k"]),
    info(Action::Down, "down", &["down", "j"]),
    info(Action::PageUp, "page_up", &["pageup"]),
    info(Action::PageDown, "page_down", &["pagedown"]),
    info(Action::Open, "open", &["enter"]),
    info(Action::Rerun, "rerun", &["ctrl-n", "n"]),
    info(Action::Export, "export", &["ctrl-s", "e"]),
    info(Action::CopyId, "copy_id", &["ctrl-y", "y"]),
    info(Action::FilterCheck, "filter_check", &["f2"]),
    info(Action::FilterOutcome, "filter_outcome", &["f3"]),
    info(Action::FilterDate, "filter_date", &["f4"]),
    info(Action::NewApplicant, "new_applicant", &["ctrl-l"]),
    info(Action::ClearLine, "clear_line", &["ctrl-u"]),
    info(Action::Case, "case", &["ctrl-a"]),
];

const fn info(action: Action, name: &'static str, defaults: &'static [&'static str]) -> ActionInfo {
    ActionInfo {
        action,
        name,
        defaults,
    }
}

/// The resolved bindings: defaults with the config's overrides applied.
#[derive(Debug, Clone)]
pub struct Keymap {
    bindings: Vec<(Action, Vec<KeySpec>)>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::new(&BTreeMap::new()).0
    }
}

impl Keymap {
    /// Builds the keymap; unknown action names and bad key specs are reported (and the
    /// action keeps its default keys), never fatal.
    pub fn new(overrides: &BTreeMap<String, String>) -> (Keymap, Vec<String>) {
        let mut problems = Vec::new();
        let mut bindings: Vec<(Action, Vec<KeySpec>)> = ACTIONS
            .iter()
            .map(|i| {
                let keys = i.defaults.iter().filter_map(|d| KeySpec::parse(d).ok());
                (i.action, keys.collect())
            })
            .collect();
        for (name, spec) in overrides {
            let Some(info) = ACTIONS.iter().find(|i| i.name == name.trim()) else {
                problems.push(format!("[keys] {name}: no such action"));
                continue;
            };
            let parsed: Result<Vec<KeySpec>, String> =
                spec.split(',').map(KeySpec::parse).collect();
            match parsed {
                Ok(keys) => {
                    if let Some(slot) = bindings.iter_mut().find(|(a, _)| *a == info.action) {
                        slot.1 = keys;
                    }
                }
                Err(e) => problems.push(format!("[keys] {name}: {e}")),
            }
        }
        (Keymap { bindings }, problems)
    }

    pub fn keys(&self, action: Action) -> &[KeySpec] {
        self.bindings
            .iter()
            .find(|(a, _)| *a == action)
            .map(|(_, k)| k.as_slice())
            .unwrap_or(&[])
    }

    /// The action for a key. With `typing`, plain character keys are left to the input.
    pub fn action_for(&self, key: &KeyEvent, typing: bool) -> Option<Action> {
        self.bindings.iter().find_map(|(action, keys)| {
            keys.iter()
                .any(|k| k.matches(key) && !(typing && k.is_plain()))
                .then_some(*action)
        })
    }

    /// Every action a key is bound to, in the order actions are listed. With `typing`,
    /// plain keys are left to the text input.
    pub fn actions_for(&self, key: &KeyEvent, typing: bool) -> Vec<Action> {
        self.bindings
            .iter()
            .filter(|(_, keys)| {
                keys.iter()
                    .any(|k| k.matches(key) && !(typing && k.is_plain()))
            })
            .map(|(a, _)| *a)
            .collect()
    }

    /// Whether an action can be pressed while typing (it has a key that is not plain).
    pub fn usable_while_typing(&self, action: Action) -> bool {
        self.keys(action).iter().any(|k| !k.is_plain())
    }

    /// Every key of an action that works here (while typing, not the plain ones), as the
    /// help overlay lists them.
    pub fn labels(&self, action: Action, typing: bool) -> String {
        let keys: Vec<String> = self
            .keys(action)
            .iter()
            .filter(|k| !(typing && k.is_plain()))
            .map(KeySpec::label)
            .collect();
        keys.join(" ")
    }

    /// An action's key as a hint: while typing one that works in a text input, otherwise
    /// the plain (shortest) key when there is one.
    pub fn label(&self, action: Action, typing: bool) -> String {
        let keys = self.keys(action);
        keys.iter()
            .find(|k| k.is_plain() != typing)
            .or(keys.first())
            .map(KeySpec::label)
            .unwrap_or_else(|| "unbound".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn parses_specs() {
        let k = KeySpec::parse("ctrl-r").unwrap();
        assert!(k.ctrl && k.code == KeyCode::Char('r'));
        assert_eq!(KeySpec::parse("shift-tab").unwrap().code, KeyCode::BackTab);
        assert_eq!(KeySpec::parse("F4").unwrap().code, KeyCode::F(4));
        assert_eq!(KeySpec::parse("-").unwrap().code, KeyCode::Char('-'));
        assert!(KeySpec::parse("hyper-x").is_err());
        assert!(KeySpec::parse("f13").is_err());
        assert!(KeySpec::parse("").is_err());
    }

    #[test]
    fn typing_keeps_plain_keys() {
        let map = Keymap::default();
        let r = key(KeyCode::Char('R'), KeyModifiers::SHIFT);
        assert_eq!(map.action_for(&r, false), Some(Action::RunAll));
        assert_eq!(map.action_for(&r, true), None);
        let ctrl_r = key(KeyCode::Char('r'), KeyModifiers::CONTROL);
        assert_eq!(map.action_for(&ctrl_r, true), Some(Action::RunAll));
        assert_eq!(
            map.action_for(&key(KeyCode::Char('q'), KeyModifiers::NONE), true),
            None
        );
        let backtab = key(KeyCode::BackTab, KeyModifiers::SHIFT);
        assert_eq!(map.action_for(&backtab, true), Some(Action::FocusPrev));
    }

    #[test]
    fn overrides_apply_and_report() {
        let mut o = BTreeMap::new();
        o.insert("run_all".to_string(), "f5, A".to_string());
        o.insert("nope".to_string(), "x".to_string());
        o.insert("raw".to_string(), "ctrl-".to_string());
        let (map, problems) = Keymap::new(&o);
        assert_eq!(problems.len(), 2);
        assert_eq!(
            map.action_for(&key(KeyCode::F(5), KeyModifiers::NONE), true),
            Some(Action::RunAll)
        );
        assert_eq!(map.label(Action::RunAll, false), "A");
        assert_eq!(map.label(Action::RunAll, true), "F5");
        assert_eq!(map.labels(Action::RunAll, false), "F5 A");
        assert_eq!(map.labels(Action::RunAll, true), "F5");
        assert_eq!(
            map.actions_for(&key(KeyCode::F(5), KeyModifiers::NONE), true),
            vec![Action::RunAll]
        );
        // A broken override leaves the defaults.
        assert_eq!(map.label(Action::ToggleRaw, true), "Ctrl-O");
    }
}
