//! The applicant form pane: one line per field, its errors under it, then which checks
//! the typed identifiers allow.

use super::super::app::{App, Pane, Screen};
use super::super::form::{FieldId, Readiness};
use super::super::format::{show_id, show_phone};
use super::super::layout::Laid;
use super::truncate;
use crate::check::CheckKind;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

const LABEL: usize = 11;

enum Row {
    Field(FieldId),
    Error(String),
    Other(Line<'static>),
}

pub fn draw(frame: &mut Frame, app: &App, area: Rect, laid: &mut Laid) {
    let t = &app.theme;
    let focused = app.screen == Screen::Review && app.focus == Pane::Form;
    let block = Block::bordered()
        .title(" Applicant ")
        .border_style(t.border(focused));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let mut rows = Vec::new();
    for field in FieldId::ALL {
        rows.push(Row::Field(field));
        for e in app.form.errors_for(field) {
            // Errors wrap under the value column rather than being cut off.
            let room = width.saturating_sub(LABEL + 2).max(10);
            for line in wrap_words(e, room) {
                rows.push(Row::Error(line));
            }
        }
    }
    rows.push(Row::Other(Line::raw("")));
    rows.push(Row::Other(Line::styled(
        format!("Checks for {}", app.form.country_code()),
        t.title(),
    )));
    for check in CheckKind::ALL {
        let (mark, words, style) = match app.form.readiness(check) {
            Readiness::Ready => ("●", "ready".to_string(), t.fg(t.ok)),
            Readiness::Needs(fields) => ("◐", format!("needs {fields}"), t.fg(t.warn)),
            Readiness::NotOffered(reason) => ("○", reason, t.muted()),
        };
        // The reason is never cut to nothing: when it does not fit beside the check, it
        // goes on the lines under it.
        let text = format!("{mark} {:<19}{words}", check.title());
        if text.chars().count() <= width {
            rows.push(Row::Other(Line::styled(text, style)));
        } else {
            rows.push(Row::Other(Line::styled(
                truncate(&format!("{mark} {}", check.title()), width),
                style,
            )));
            for line in wrap_words(&words, width.saturating_sub(2).max(10)) {
                rows.push(Row::Other(Line::styled(
                    truncate(&format!("  {line}"), width),
                    style,
                )));
            }
        }
    }

    // Keep the focused field in view when the pane is shorter than the form.
    let focus_row = rows
        .iter()
        .position(|r| matches!(r, Row::Field(f) if *f == app.form.focused()))
        .unwrap_or(0);
    let height = inner.height as usize;
    let offset = (focus_row + 2).saturating_sub(height);

    for (i, row) in rows.iter().skip(offset).take(height).enumerate() {
        let line_area = Rect::new(inner.x, inner.y + i as u16, inner.width, 1);
        match row {
            Row::Field(field) => {
                laid.fields.push((line_area, *field));
                draw_field(frame, app, *field, focused, line_area);
            }
            Row::Error(e) => frame.render_widget(
                Paragraph::new(Line::styled(
                    truncate(&format!("{:LABEL$}  {e}", ""), width),
                    t.fg(t.risk_high),
                )),
                line_area,
            ),
            Row::Other(line) => frame.render_widget(Paragraph::new(line.clone()), line_area),
        }
    }
}

fn draw_field(frame: &mut Frame, app: &App, field: FieldId, pane_focused: bool, area: Rect) {
    let t = &app.theme;
    let is_focus = pane_focused && app.form.focused() == field;
    let label_style = if is_focus { t.accent() } else { t.muted() };
    let label_area = Rect::new(area.x, area.y, (LABEL as u16).min(area.width), 1);
    let value_area = Rect::new(
        area.x + label_area.width,
        area.y,
        area.width.saturating_sub(label_area.width),
        1,
    );
    let marker = if is_focus { "▸" } else { " " };
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!("{marker}{:<w$}", field.label(), w = LABEL - 1),
            label_style,
        )),
        label_area,
    );
    let width = value_area.width as usize;
    let value: Line = match field {
        FieldId::Country => selector(app, app.form.country_code(), is_focus),
        FieldId::Package => selector(app, app.form.package_label(), is_focus),
        FieldId::Source => selector(app, app.form.source_label(), is_focus),
        FieldId::HashPhone => {
            let mark = if app.form.hash_phone { "[x]" } else { "[ ]" };
            Line::styled(
                format!("{mark} md5 only (debts)"),
                if is_focus {
                    t.selection()
                } else {
                    t.fg(t.text)
                },
            )
        }
        _ if is_focus => {
            if let Some(input) = app.form.textarea(field) {
                frame.render_widget(input, value_area);
            }
            return;
        }
        _ => {
            let raw = app.form.text(field);
            let shown = match field {
                FieldId::Phone => show_phone(&raw, app.reveal),
                FieldId::IdNumber | FieldId::Bankcard => show_id(&raw, app.reveal),
                _ => raw,
            };
            if shown.is_empty() {
                Line::styled("·", t.muted())
            } else {
                Line::styled(truncate(&shown, width), t.fg(t.text))
            }
        }
    };
    frame.render_widget(Paragraph::new(value), value_area);
}

fn selector(app: &App, value: &str, focused: bool) -> Line<'static> {
    let t = &app.theme;
    if focused {
        Line::from(vec![
            Span::styled("◂ ", t.accent()),
            Span::styled(value.to_string(), t.selection()),
            Span::styled(" ▸", t.accent()),
        ])
    } else {
        Line::styled(value.to_string(), t.fg(t.text))
    }
}

/// Greedy word wrap; a word longer than the line is cut.
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let needed = line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
        if needed > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        while line.chars().count() > width {
            let head: String = line.chars().take(width).collect();
            line = line.chars().skip(width).collect();
            lines.push(head);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    #[test]
    fn wraps_on_words() {
        assert_eq!(
            super::wrap_words("an Indonesian ID card number", 12),
            vec!["an", "Indonesian", "ID card", "number"]
        );
        assert_eq!(
            super::wrap_words("abcdefghij", 4),
            vec!["abcd", "efgh", "ij"]
        );
        assert!(super::wrap_words("", 4).is_empty());
    }
}
