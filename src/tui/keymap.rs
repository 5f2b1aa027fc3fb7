//! The one keymap: key handling, status-bar hints and the `?` overlay all read it, so
//! they cannot disagree. `[keys]` in config.toml replaces an action's keys by name.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
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
}

/// Where an action applies; hints show the ones that matter for the focused pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Everywhere,
    Results,
    History,
    Lists,
}

pub struct ActionInfo {
    pub action: Action,
    /// The name used in `[keys]`.
    pub name: &'static str,
    pub help: &'static str,
    pub scope: Scope,
    pub defaults: &'static [&'static str],
}

pub const ACTIONS: &[ActionInfo] = &[
    info(
        Action::Quit,
        "quit",
        "quit (Ctrl-C always quits)",
        Scope::Everywhere,
        &["q"],
    ),
    info(
        Action::Help,
        "help",
        "show or hide this help",
        Scope::Everywhere,
        &["?", "f1"],
    ),
    info(
        Action::FocusNext,
        "focus_next",
        "next pane / field",
        Scope::Everywhere,
        &["tab"],
    ),
    info(
        Action::FocusPrev,
        "focus_prev",
        "previous pane / field",
        Scope::Everywhere,
        &["shift-tab"],
    ),
    info(
        Action::RunFocused,
        "run",
        "run the check of the focused tab",
        Scope::Everywhere,
        &["ctrl-e", "r"],
    ),
    info(
        Action::RunAll,
        "run_all",
        "run every offered check at once",
        Scope::Everywhere,
        &["ctrl-r", "R"],
    ),
    info(
        Action::Cancel,
        "cancel",
        "cancel the focused running check",
        Scope::Everywhere,
        &["ctrl-x", "c"],
    ),
    info(
        Action::ToggleRaw,
        "raw",
        "result table / raw response",
        Scope::Results,
        &["ctrl-o", "v"],
    ),
    info(
        Action::Reveal,
        "reveal",
        "reveal / mask phone, ID and card",
        Scope::Everywhere,
        &["ctrl-p", "m"],
    ),
    info(
        Action::History,
        "history",
        "history: search past lookups",
        Scope::Everywhere,
        &["ctrl-f", "h"],
    ),
    info(
        Action::Back,
        "back",
        "back to the live review / close",
        Scope::Everywhere,
        &["esc"],
    ),
    info(
        Action::NextTab,
        "next_tab",
        "next check tab",
        Scope::Results,
        &["right", "]"],
    ),
    info(
        Action::PrevTab,
        "prev_tab",
        "previous check tab",
        Scope::Results,
        &["left", "["],
    ),
    info(
        Action::Up,
        "up",
        "move up / scroll up",
        Scope::Lists,
        &["up", "k"],
    ),
    info(
        Action::Down,
        "down",
        "move down / scroll down",
        Scope::Lists,
        &["down", "j"],
    ),
    info(
        Action::PageUp,
        "page_up",
        "page up",
        Scope::Lists,
        &["pageup"],
    ),
    info(
        Action::PageDown,
        "page_down",
        "page down",
        Scope::Lists,
        &["pagedown"],
    ),
    info(
        Action::Open,
        "open",
        "open the selected lookup or task",
        Scope::Lists,
        &["enter"],
    ),
    info(
        Action::Rerun,
        "rerun",
        "re-run the opened lookup",
        Scope::History,
        &["ctrl-n", "n"],
    ),
    info(
        Action::Export,
        "export",
        "export the lookup as JSON",
        Scope::History,
        &["ctrl-s", "e"],
    ),
    info(
        Action::CopyId,
        "copy_id",
        "copy the vendor request id",
        Scope::Results,
        &["ctrl-y", "y"],
    ),
    info(
        Action::FilterCheck,
        "filter_check",
        "history: cycle the check filter",
        Scope::History,
        &["f2"],
    ),
    info(
        Action::FilterOutcome,
        "filter_outcome",
        "history: cycle the outcome filter",
        Scope::History,
        &["f3"],
    ),
    info(
        Action::FilterDate,
        "filter_date",
        "history: cycle the date filter",
        Scope::History,
        &["f4"],
    ),
];

const fn info(
    action: Action,
    name: &'static str,
    help: &'static str,
    scope: Scope,
    defaults: &'static [&'static str],
) -> ActionInfo {
    ActionInfo {
        action,
        name,
        help,
        scope,
        defaults,
    }
}

pub fn action_info(action: Action) -> &'static ActionInfo {
    ACTIONS
        .iter()
        .find(|i| i.action == action)
        .unwrap_or(&ACTIONS[0])
}

/// One key with its modifiers, as written in config (`ctrl-r`, `shift-tab`, `f1`, `R`, `?`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeySpec {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl KeySpec {
    pub fn parse(spec: &str) -> Result<KeySpec, String> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err("empty key".into());
        }
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        let mut rest = spec;
        // A lone "-" is a key, so only split on "-" when something follows it.
        while let Some((head, tail)) = rest.split_once('-') {
            if tail.is_empty() {
                break;
            }
            match head.to_ascii_lowercase().as_str() {
                "ctrl" | "c" | "control" => ctrl = true,
                "alt" | "a" | "meta" => alt = true,
                "shift" | "s" => shift = true,
                _ => return Err(format!("'{spec}': unknown modifier '{head}'")),
            }
            rest = tail;
        }
        let lower = rest.to_ascii_lowercase();
        let code = match lower.as_str() {
            "tab" if shift => KeyCode::BackTab,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "enter" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "space" => KeyCode::Char(' '),
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pageup" | "pgup" => KeyCode::PageUp,
            "pagedown" | "pgdn" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "backspace" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            f if f.len() > 1 && f.starts_with('f') && f[1..].parse::<u8>().is_ok() => {
                let n: u8 = f[1..].parse().unwrap_or(1);
                if !(1..=12).contains(&n) {
                    return Err(format!("'{spec}': function keys are F1 to F12"));
                }
                KeyCode::F(n)
            }
            _ => {
                let mut chars = rest.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => {
                        let c = if shift { c.to_ascii_uppercase() } else { c };
                        KeyCode::Char(if ctrl { c.to_ascii_lowercase() } else { c })
                    }
                    _ => return Err(format!("'{spec}': unknown key '{rest}'")),
                }
            }
        };
        Ok(KeySpec { code, ctrl, alt })
    }

    pub fn matches(&self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        if ctrl != self.ctrl || alt != self.alt {
            return false;
        }
        match (self.code, key.code) {
            // Terminals report ctrl-letters in either case.
            (KeyCode::Char(a), KeyCode::Char(b)) if self.ctrl => a.eq_ignore_ascii_case(&b),
            (KeyCode::BackTab, KeyCode::Tab) => key.modifiers.contains(KeyModifiers::SHIFT),
            (a, b) => a == b,
        }
    }

    /// Plain keys (a printable character or a cursor/editing key, no Ctrl/Alt) belong to
    /// a focused text input.
    pub fn is_plain(&self) -> bool {
        !self.ctrl && !self.alt && is_editing_code(self.code)
    }

    pub fn label(&self) -> String {
        let key = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) if self.ctrl => c.to_ascii_uppercase().to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::F(n) => format!("F{n}"),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "Shift-Tab".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Backspace => "Backspace".into(),
            KeyCode::Delete => "Del".into(),
            other => format!("{other:?}"),
        };
        let mut out = String::new();
        if self.ctrl {
            out.push_str("Ctrl-");
        }
        if self.alt {
            out.push_str("Alt-");
        }
        out.push_str(&key);
        out
    }
}

/// Keys a text input owns while focused.
pub fn is_editing_code(code: KeyCode) -> bool {
    matches!(
        code,
        KeyCode::Char(_)
            | KeyCode::Left
            | KeyCode::Right
            | KeyCode::Home
            | KeyCode::End
            | KeyCode::Backspace
            | KeyCode::Delete
    )
}

/// Whether a key event is one a focused text input takes before any binding.
pub fn is_editing_key(key: &KeyEvent) -> bool {
    let mods = key.modifiers.difference(KeyModifiers::SHIFT);
    mods.is_empty() && is_editing_code(key.code)
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

    /// The first key of an action as a label for hints, preferring one that works while
    /// typing when `typing`.
    pub fn label(&self, action: Action, typing: bool) -> String {
        let keys = self.keys(action);
        keys.iter()
            .find(|k| !typing || !k.is_plain())
            .or(keys.first())
            .map(KeySpec::label)
            .unwrap_or_else(|| "unbound".into())
    }

    /// Rows for the `?` overlay: keys, what they do, and where.
    pub fn help_rows(&self) -> Vec<(String, &'static str)> {
        let mut rows = vec![("Ctrl-C".to_string(), "quit from anywhere")];
        for info in ACTIONS {
            let keys: Vec<String> = self.keys(info.action).iter().map(KeySpec::label).collect();
            let keys = if keys.is_empty() {
                "unbound".to_string()
            } else {
                keys.join(" ")
            };
            rows.push((keys, info.help));
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(map.label(Action::RunAll, false), "F5");
        assert!(
            map.help_rows()
                .iter()
                .any(|(k, h)| k == "F5 A" && h.contains("every"))
        );
        // A broken override leaves the defaults.
        assert_eq!(map.label(Action::ToggleRaw, true), "Ctrl-O");
    }
}
