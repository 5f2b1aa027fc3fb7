//! The check tabs as a component: tabs, scrolling (kept within what the last draw laid out),
//! tables or raw, and for a stored lookup re-run and export.

use super::app::Level;
use super::checks::CheckTabs;
use super::component::{Component, Cx, Handled, Intent, KeyHelp, bound};
use super::keymap::Action;
use crate::check::CheckKind;

impl Component for CheckTabs {
    fn title(&self) -> &'static str {
        "Results"
    }

    fn keys(&self) -> Vec<KeyHelp> {
        let mut keys = Vec::new();
        let shown = self.shown_now();
        if self.stored().is_some() {
            keys.push(bound(Action::Rerun, "re-run", "re-run this lookup (paid)").rank(0));
            keys.push(bound(
                Action::Export,
                "export",
                "export it for a ticket (JSON + raw)",
            ));
        } else if shown.answer().is_some_and(|a| a.lookup_id.is_some()) {
            keys.push(bound(Action::Export, "export", "export this answer as stored").rank(2));
        }
        keys.extend([
            bound(Action::NextTab, "next tab", "next check's tab"),
            bound(Action::PrevTab, "", "previous check's tab"),
        ]);
        if shown.answer().is_some() {
            keys.push(if self.raw {
                bound(Action::ToggleRaw, "tables", "back to the tables")
            } else {
                bound(Action::ToggleRaw, "raw", "the raw response as received")
            });
        }
        if shown.answer().is_some_and(|a| !a.request_id.is_empty()) {
            keys.push(
                bound(
                    Action::CopyId,
                    "copy id",
                    "copy the vendor request id (OSC 52)",
                )
                .rank(2),
            );
        }
        keys.extend([
            bound(Action::Down, "scroll", "scroll down").rank(2),
            bound(Action::Up, "", "scroll up"),
            bound(Action::PageDown, "", "page down"),
            bound(Action::PageUp, "", "page up"),
        ]);
        keys
    }

    fn act(&mut self, action: Action, cx: &Cx) -> Handled {
        let n = CheckKind::ALL.len();
        let scroll_by =
            |s: u16, by: i64| (i64::from(s) + by).clamp(0, i64::from(cx.results_max_scroll)) as u16;
        let page = i64::from(cx.page.max(1));
        match action {
            Action::NextTab => self.select(CheckKind::ALL[(self.tab + 1) % n]),
            Action::PrevTab => self.select(CheckKind::ALL[(self.tab + n - 1) % n]),
            Action::Down => self.scroll = scroll_by(self.scroll, 1),
            Action::Up => self.scroll = scroll_by(self.scroll, -1),
            Action::PageDown => self.scroll = scroll_by(self.scroll, page),
            Action::PageUp => self.scroll = scroll_by(self.scroll, -page),
            Action::ToggleRaw => {
                self.raw = !self.raw;
                self.scroll = 0;
            }
            Action::CopyId => {
                let id = self.shown_now().answer().map(|a| a.request_id.clone());
                return match id.filter(|i| !i.is_empty()) {
                    Some(id) => Handled::Ask(Intent::Copy(id)),
                    None => Handled::done(),
                };
            }
            Action::Export => {
                let id = match self.stored() {
                    Some(s) => Some(s.row.id),
                    None => self.shown_now().answer().and_then(|a| a.lookup_id),
                };
                return match id {
                    Some(id) => Handled::Ask(Intent::Export(id)),
                    None => Handled::Ask(Intent::Say(
                        Level::Warn,
                        "nothing stored to export here".into(),
                    )),
                };
            }
            Action::Rerun => return Handled::Ask(Intent::RerunStored),
            _ => return Handled::NotMine,
        }
        Handled::done()
    }
}
