//! Overlays drawn over the panes: the re-run question and the `?` key help.

use super::super::app::App;
use super::super::checks::Slot;
use super::super::format::timestamp;
use super::{outcome_words, truncate};
use crate::check::CheckKind;
use ratatui::Frame;
use ratatui::layout::Rect;
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

pub(super) fn draw_confirm(frame: &mut Frame, app: &App, check: CheckKind, area: Rect) {
    let Slot::Confirm { stored, .. } = app.slot(check) else {
        return;
    };
    let t = &app.theme;
    let (words, style) = outcome_words(app, stored);
    let hours = app.rerun_window.whole_hours();
    let lines = vec![
        Line::from(vec![
            Span::styled(check.title(), t.title()),
            Span::raw(format!(" already ran for this applicant within {hours} h:")),
        ]),
        Line::from(vec![
            Span::raw(format!("{}  ", timestamp(stored.at))),
            Span::styled(words, style),
        ]),
        Line::styled(format!("request id {}", stored.request_id), t.muted()),
        Line::raw(""),
        Line::from("The stored result is in its tab. Running again is a paid call."),
        Line::from(vec![
            Span::styled(" y ", t.selection()),
            Span::raw(" run again   "),
            Span::styled(" n ", t.selection()),
            Span::raw(" keep the stored result"),
        ]),
    ];
    let popup = centered(area, 70, 10);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: true })
            .style(t.base())
            .block(
                Block::bordered()
                    .title(" Run again? ")
                    .border_style(t.fg(t.warn)),
            ),
        popup,
    );
}

pub(super) fn draw_help(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let rows = app.keymap.help_rows();
    let key_width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(4)
        + 2;
    // Two columns when one would not fit the height (80×24 must show every binding).
    let columns = if rows.len() as u16 + 4 > area.height {
        2
    } else {
        1
    };
    let popup_width = if columns == 2 {
        area.width
    } else {
        76.min(area.width)
    };
    let col_width = (popup_width.saturating_sub(2) / columns) as usize;
    let per_col = rows.len().div_ceil(columns as usize);
    let cell = |(keys, help): &(String, &str)| -> Vec<Span<'static>> {
        let kw = key_width.min(col_width / 3);
        vec![
            Span::styled(
                format!("{:<kw$}", truncate(keys, kw.saturating_sub(1))),
                t.accent(),
            ),
            Span::raw(format!(
                "{:<w$}",
                truncate(help, col_width.saturating_sub(kw + 1)),
                w = col_width - kw
            )),
        ]
    };
    let mut lines: Vec<Line> = (0..per_col)
        .map(|i| {
            let mut spans = Vec::new();
            for c in 0..columns as usize {
                if let Some(row) = rows.get(c * per_col + i) {
                    spans.extend(cell(row));
                }
            }
            Line::from(spans)
        })
        .collect();
    lines.push(Line::styled(
        "In text inputs plain keys type; use Ctrl/F-keys there. Any key closes this.",
        t.muted(),
    ));
    let height = (lines.len() as u16 + 2).min(area.height);
    let popup = centered(area, popup_width, height);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).style(t.base()).block(
            Block::bordered()
                .title(" Keys ")
                .border_style(t.border(true)),
        ),
        popup,
    );
}
