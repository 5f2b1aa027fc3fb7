//! The modals drawn over the panes: the re-run question and the key help. The help is made
//! from the same key lists the keys are routed by.

use super::super::app::App;
use super::super::checks::Slot;
use super::super::format::timestamp;
use super::super::layout::{Answer, Laid};
use super::{outcome_words, truncate};
use crate::check::CheckKind;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

pub(super) fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

pub(super) fn draw_confirm(
    frame: &mut Frame,
    app: &App,
    check: CheckKind,
    area: Rect,
    laid: &mut Laid,
) {
    let Slot::Confirm { stored, .. } = app.slot(check) else {
        return;
    };
    let t = &app.theme;
    let (words, style) = outcome_words(app, stored);
    let hours = app.rerun_window.whole_hours();
    let popup = centered(area, 70, 10);
    // One line each, cut to the width: the answers stay on their line, as click targets.
    let room = popup.width.saturating_sub(2) as usize;
    let words = truncate(&words, room.saturating_sub(18));
    let yes = " y  run again (paid) ";
    let no = " n  keep the stored result ";
    let lines = vec![
        Line::from(vec![
            Span::styled(check.title(), t.title()),
            Span::raw(format!(" already ran for this applicant within {hours} h:")),
        ]),
        Line::from(vec![
            Span::raw(format!("{}  ", timestamp(stored.at))),
            Span::styled(words, style),
        ]),
        Line::styled(
            truncate(&format!("request id {}", stored.request_id), room),
            t.muted(),
        ),
        Line::raw(""),
        Line::from(truncate(
            "The stored result is in its tab. Running again is a paid call.",
            room,
        )),
        Line::raw(""),
        Line::from(vec![
            Span::styled(yes, t.selection().add_modifier(Modifier::BOLD)),
            Span::raw("   "),
            Span::styled(no, t.selection()),
        ]),
    ];
    frame.render_widget(Clear, popup);
    let block = Block::bordered()
        .title(" Run again? ")
        .border_style(t.fg(t.warn));
    let inner = block.inner(popup);
    frame.render_widget(Paragraph::new(lines).style(t.base()).block(block), popup);
    let y = inner.y + 6;
    if y < inner.y + inner.height {
        let yes_w = yes.chars().count() as u16;
        let no_w = no.chars().count() as u16;
        laid.dialog
            .push((Rect::new(inner.x, y, yes_w, 1), Answer::RunAgain));
        laid.dialog.push((
            Rect::new(inner.x + yes_w + 3, y, no_w, 1),
            Answer::KeepStored,
        ));
    }
}

pub(super) fn draw_help(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let sections = app.help_sections();
    let key_width = sections
        .iter()
        .flat_map(|(_, rows)| rows.iter().map(|(k, _)| k.chars().count()))
        .max()
        .unwrap_or(4)
        + 2;
    let total: usize = sections.iter().map(|(_, rows)| rows.len() + 1).sum();
    // Two columns when one would not fit the height (80×24 must show every key).
    let columns: u16 = if total as u16 + 4 > area.height { 2 } else { 1 };
    let popup_width = if columns == 2 {
        area.width
    } else {
        86.min(area.width)
    };
    let col_width = (popup_width.saturating_sub(2) / columns) as usize;
    let kw = key_width.min(col_width / 3);
    let mut cells: Vec<Vec<Span>> = Vec::new();
    for (title, rows) in &sections {
        cells.push(vec![Span::styled(
            format!("{:<col_width$}", truncate(title, col_width)),
            t.title().add_modifier(Modifier::UNDERLINED),
        )]);
        for (keys, does) in rows {
            cells.push(vec![
                Span::styled(
                    format!("{:<kw$}", truncate(keys, kw.saturating_sub(1))),
                    t.accent(),
                ),
                Span::raw(format!(
                    "{:<w$}",
                    truncate(does, col_width.saturating_sub(kw + 1)),
                    w = col_width - kw
                )),
            ]);
        }
    }
    let per_col = cells.len().div_ceil(columns as usize);
    let mut lines: Vec<Line> = (0..per_col)
        .map(|i| {
            let mut spans = Vec::new();
            for c in 0..columns as usize {
                if let Some(cell) = cells.get(c * per_col + i) {
                    spans.extend(cell.iter().cloned());
                }
            }
            Line::from(spans)
        })
        .collect();
    lines.push(Line::styled(
        truncate(
            "The focused pane's keys, then the global ones. Any key closes this.",
            popup_width.saturating_sub(2) as usize,
        ),
        t.muted(),
    ));
    let height = (lines.len() as u16 + 2).min(area.height);
    let popup = centered(area, popup_width, height);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .style(t.base())
            .block(
                Block::bordered()
                    .title(" Keys ")
                    .border_style(t.border(true)),
            ),
        popup,
    );
}
