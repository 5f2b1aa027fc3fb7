//! The history pane: search input, filters, newest lookups first, as a table whose less
//! important columns leave first on narrow terminals.

use super::super::app::App;
use super::super::format::{show_id, show_phone, timestamp};
use super::super::layout::Laid;
use super::table::{Fitted, col};
use crate::check::Outcome;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

pub fn draw(frame: &mut Frame, app: &App, area: Rect, laid: &mut Laid) {
    let t = &app.theme;
    let h = &app.history;
    let [search, filters, list] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(area);
    let block = Block::bordered()
        .title(" Search history ")
        .border_style(t.border(true));
    let inner = block.inner(search);
    frame.render_widget(block, search);
    frame.render_widget(&h.input, inner);

    let check = h.check.map(|c| c.cli_name()).unwrap_or("any");
    let outcome = h.outcome.map(|o| o.as_str()).unwrap_or("any");
    let status = if let Some(e) = &h.error {
        Span::styled(format!("  store error: {e}"), t.fg(t.risk_high))
    } else if h.loading() {
        Span::styled("  searching…", t.fg(t.pending))
    } else {
        Span::styled(format!("  {} shown, newest first", h.rows.len()), t.muted())
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(
                format!(" check: {check} · outcome: {outcome} · {}", h.date.label()),
                t.accent(),
            ),
            status,
        ])),
        filters,
    );

    let block = Block::bordered()
        .title(" Lookups ")
        .border_style(t.border(false));
    let inner = block.inner(list);
    frame.render_widget(block, list);
    if inner.height == 0 {
        return;
    }
    // When, what and the outcome matter most; the request id goes first, then the ID.
    let table = Fitted::new(
        &[
            col("when", 16, 16, 0),
            col("check", 12, 18, 1),
            col("outcome", 7, 8, 2),
            col("phone", 14, 16, 3),
            col("ID", 16, 18, 5),
            col("name", 10, 28, 4),
            col("request id", 16, 36, 6),
        ],
        inner.width,
    );
    let mut rows = vec![table.header(t.muted())];
    if h.rows.is_empty() && !h.loading() {
        let empty = if h.text().trim().is_empty() {
            "No lookups yet."
        } else {
            "No lookup matches."
        };
        frame.render_widget(
            Paragraph::new(Line::styled(empty, t.muted())),
            Rect::new(inner.x, inner.y + 1, inner.width, 1),
        );
    }
    let visible = inner.height.saturating_sub(1) as usize;
    laid.history_height = visible as u16;
    let offset = h.selected.saturating_sub(visible.saturating_sub(1));
    for (i, row) in h.rows.iter().enumerate().skip(offset).take(visible) {
        let style = if i == h.selected {
            t.selection()
        } else {
            match row.outcome {
                Outcome::Error => t.fg(t.risk_high),
                Outcome::Pending => t.fg(t.pending),
                _ => t.fg(t.text),
            }
        };
        laid.history_rows.push((
            Rect::new(inner.x, inner.y + 1 + (i - offset) as u16, inner.width, 1),
            i,
        ));
        rows.push(table.row(
            &[
                timestamp(row.at),
                row.check.cli_name().to_string(),
                row.outcome.as_str().to_string(),
                show_phone(&row.phone, app.reveal),
                show_id(&row.id_number, app.reveal),
                row.name.clone(),
                row.request_id.clone(),
            ],
            style,
        ));
    }
    table.draw(frame, inner, rows);
}
