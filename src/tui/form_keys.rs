//! The applicant form as a component: the keys it answers depend on the focused field — a
//! text input types (only Ctrl/F-key bindings reach the rest of the console), the country
//! selector takes letters, the other selectors and the check box take arrows and Space.

use super::component::{Component, Cx, Handled, Intent, KeyHelp, bound, fixed};
use super::fields::FieldId;
use super::form::Form;
use super::keymap::{Action, is_editing_key};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn changed(yes: bool) -> Handled {
    if yes {
        Handled::Ask(Intent::FormChanged)
    } else {
        Handled::done()
    }
}

impl Component for Form {
    fn title(&self) -> &'static str {
        "Applicant form"
    }

    fn keys(&self) -> Vec<KeyHelp> {
        let mut keys = match self.focused() {
            FieldId::Country => vec![fixed(
                "←→ a-z",
                "country",
                "choose the country; a letter jumps to the next one starting with it",
            )],
            FieldId::Package | FieldId::Source => {
                vec![fixed("←→ Space", "choose", "step through the choices")]
            }
            FieldId::HashPhone => vec![fixed(
                "Space ←→",
                "toggle",
                "send the phone as md5 only (debts report)",
            )],
            _ => vec![
                fixed(
                    "type",
                    "",
                    "edit the field (←→ Home End Backspace Del move and erase)",
                ),
                bound(
                    Action::ClearLine,
                    "clear",
                    "erase the field before the cursor",
                ),
            ],
        };
        keys.extend([
            bound(
                Action::Case,
                "case",
                "this applicant's case: every lookup of the phone or ID number, what changed",
            )
            .rank(2),
            bound(Action::Down, "next field", "next field").rank(2),
            bound(Action::Up, "", "previous field"),
            bound(Action::Open, "", "next field"),
        ]);
        keys
    }

    fn typing(&self) -> bool {
        // The country selector takes letters, so plain-key bindings are off there too.
        self.focused().is_text() || self.focused() == FieldId::Country
    }

    fn input(&mut self, key: &KeyEvent, _cx: &Cx) -> Handled {
        let field = self.focused();
        if field.is_text() {
            return match is_editing_key(key).then(|| self.edit(key)).flatten() {
                Some(yes) => changed(yes),
                None => Handled::NotMine,
            };
        }
        let plain = key.modifiers.difference(KeyModifiers::SHIFT).is_empty();
        if !plain {
            return Handled::NotMine;
        }
        match (field, key.code) {
            (_, KeyCode::Right | KeyCode::Char(' ')) => changed(self.cycle(true)),
            (_, KeyCode::Left) => changed(self.cycle(false)),
            // A letter with no country is still the selector's: it never becomes a hotkey.
            (FieldId::Country, KeyCode::Char(c)) => changed(self.country_letter(c)),
            _ => Handled::NotMine,
        }
    }

    fn act(&mut self, action: Action, _cx: &Cx) -> Handled {
        match action {
            Action::Up => self.move_focus(false),
            Action::Down | Action::Open => self.move_focus(true),
            Action::ClearLine => return changed(self.clear_before_cursor()),
            Action::Case => return Handled::Ask(Intent::OpenCase(self.case_keys())),
            _ => return Handled::NotMine,
        }
        Handled::done()
    }

    fn paste(&mut self, text: &str, _cx: &Cx) -> Handled {
        changed(self.paste_text(text))
    }
}

impl Form {
    /// The applicant's keys for a case: the phone in E.164 when it reads as one (else as
    /// typed: the search takes any spelling) and the ID number.
    pub fn case_keys(&self) -> Vec<crate::history::case::CaseKey> {
        let id = self.identity();
        let pick = |normal: &str, typed: String| {
            if normal.is_empty() {
                typed
            } else {
                normal.to_string()
            }
        };
        super::case::keys_for(
            &pick(&id.phone_e164, self.text(FieldId::Phone)),
            &pick(&id.id_number, self.text(FieldId::IdNumber)),
        )
    }
}
