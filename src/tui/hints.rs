//! The status-bar hints and the help overlay, both made from what the focused component
//! (or the modal up) says it answers, plus the global bindings — the same lists the keys
//! are routed by.

use super::app::App;
use super::component::{KeyHelp, Keys};
use super::keymap::Action;

/// One hint: the key as pressed here, and a few words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub key: String,
    pub words: &'static str,
    pub rank: u8,
    /// Help and quit: kept whatever the width.
    pub pinned: bool,
}

impl App {
    fn label(&self, keys: Keys, typing: bool) -> Option<String> {
        match keys {
            Keys::Fixed(k) => Some(k.to_string()),
            // While typing, a binding that only has plain keys would type instead; quit is
            // still Ctrl-C.
            Keys::Bound(Action::Quit)
                if typing && !self.keymap.usable_while_typing(Action::Quit) =>
            {
                Some("Ctrl-C".into())
            }
            Keys::Bound(a) if typing && !self.keymap.usable_while_typing(a) => None,
            Keys::Bound(a) if self.keymap.keys(a).is_empty() => None,
            Keys::Bound(a) => Some(self.keymap.label(a, typing)),
        }
    }

    /// The hints for where the focus is, most important first (help and quit pinned).
    pub fn hints(&self) -> Vec<Hint> {
        let typing = self.modal().is_none() && self.typing();
        let list: Vec<KeyHelp> = match self.modal() {
            Some(m) => m.keys(),
            None => {
                let mut l = self.focused().keys();
                l.extend(self.global_keys());
                l
            }
        };
        let mut hints: Vec<Hint> = Vec::new();
        for k in list {
            if k.hint.is_empty() {
                continue;
            }
            let Some(key) = self.label(k.keys, typing) else {
                continue;
            };
            // One hint per action: the first (the focused component's) wins.
            if hints.iter().any(|h| h.key == key) {
                continue;
            }
            let pinned = matches!(k.keys, Keys::Bound(Action::Help | Action::Quit));
            hints.push(Hint {
                key,
                words: k.hint,
                rank: k.rank,
                pinned,
            });
        }
        if self.modal().is_some() {
            hints.push(Hint {
                key: "Ctrl-C".into(),
                words: "quit",
                rank: 0,
                pinned: true,
            });
        }
        hints.sort_by_key(|h| (!h.pinned, h.rank));
        // Pinned first for the sort only; they are drawn last.
        let (pinned, rest): (Vec<Hint>, Vec<Hint>) = hints.into_iter().partition(|h| h.pinned);
        rest.into_iter().chain(pinned).collect()
    }

    /// The help overlay: what the focused component answers, then the global bindings.
    pub fn help_sections(&self) -> Vec<(String, Vec<(String, &'static str)>)> {
        // Only the keys that work here: while typing, a plain key types instead.
        let typing = self.typing();
        let rows = |list: Vec<KeyHelp>| -> Vec<(String, &'static str)> {
            list.into_iter()
                .filter_map(|k| {
                    let keys = match k.keys {
                        Keys::Fixed(f) => f.to_string(),
                        Keys::Bound(Action::Quit) => {
                            let q = self.keymap.labels(Action::Quit, typing);
                            if q.is_empty() {
                                "Ctrl-C".to_string()
                            } else {
                                format!("{q} Ctrl-C")
                            }
                        }
                        Keys::Bound(a) => self.keymap.labels(a, typing),
                    };
                    (!keys.is_empty()).then_some((keys, k.does))
                })
                .collect()
        };
        let focused = self.focused();
        let mut sections = Vec::new();
        if let Some(m) = self.confirming().map(super::modal::Modal::Confirm) {
            sections.push((m.title().to_string(), rows(m.keys())));
        }
        let here = if self.typing() {
            format!("{} (plain keys type here)", focused.title())
        } else {
            focused.title().to_string()
        };
        sections.push((here, rows(focused.keys())));
        sections.push(("Everywhere".to_string(), rows(self.global_keys())));
        sections
    }
}
