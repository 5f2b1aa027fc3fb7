//! The history pane: search input, filters, newest lookups first.

use super::super::app::App;
use super::super::format::{show_id, show_phone, timestamp};
use super::truncate;
use crate::check::Outcome;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
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
    let width = inner.width as usize;
    let wide = width >= 150;
    let medium = width >= 95;
    let fmt_row = |cols: [&str; 7]| -> String {
        if wide {
            format!(
                "{:<16} {:<18} {:<8} {:<16} {:<20} {:<24} {}",
                cols[0],
                cols[1],
                cols[2],
                cols[3],
                cols[4],
                truncate(cols[5], 24),
                cols[6]
            )
        } else if medium {
            format!(
                "{:<16} {:<14} {:<7} {:<14} {:<18} {}",
                cols[0],
                truncate(cols[1], 14),
                truncate(cols[2], 7),
                cols[3],
                truncate(cols[4], 18),
                truncate(cols[5], 20)
            )
        } else {
            format!(
                "{:<16} {:<14} {:<7} {:<14} {}",
                cols[0],
                truncate(cols[1], 14),
                truncate(cols[2], 7),
                cols[3],
                truncate(cols[5], 20)
            )
        }
    };
    let mut lines = vec![Line::styled(
        truncate(
            &fmt_row([
                "when",
                "check",
                "outcome",
                "phone",
                "ID",
                "name",
                "request id",
            ]),
            width,
        ),
        t.muted(),
    )];
    if h.rows.is_empty() && !h.loading() {
        lines.push(Line::styled(
            if h.text().trim().is_empty() {
                "No lookups yet."
            } else {
                "No lookup matches."
            },
            t.muted(),
        ));
    }
    let visible = inner.height.saturating_sub(1) as usize;
    let offset = h.selected.saturating_sub(visible.saturating_sub(1));
    for (i, row) in h.rows.iter().enumerate().skip(offset).take(visible) {
        let text = fmt_row([
            &timestamp(row.at),
            row.check.cli_name(),
            row.outcome.as_str(),
            &show_phone(&row.phone, app.reveal),
            &show_id(&row.id_number, app.reveal),
            &row.name,
            &row.request_id,
        ]);
        let style = if i == h.selected {
            t.selection()
        } else {
            match row.outcome {
                Outcome::Error => t.fg(t.risk_high),
                Outcome::Pending => t.fg(t.pending),
                _ => t.fg(t.text),
            }
        };
        app.hits.borrow_mut().history_rows.push((
            Rect::new(inner.x, inner.y + 1 + (i - offset) as u16, inner.width, 1),
            i,
        ));
        lines.push(Line::styled(truncate(&text, width), style));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
