//! The results pane: a tab per check, the focused check's state, its report as tables
//! (or the raw response), scrollable.

use super::super::app::{App, Pane, Screen};
use super::super::checks::{Shown, Slot};
use super::super::form::Readiness;
use super::super::format::{clock, pretty_raw, score_band, show_id, show_phone, timestamp};
use super::super::model::{Answer, Section};
use super::{risk_style, short_title, slot_state, truncate};
use crate::check::{CheckKind, Outcome};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let focused = app.screen == Screen::Review && app.focus == Pane::Results;
    let title = match app.checks.stored() {
        Some(s) => format!(" Stored lookup #{} · read-only ", s.row.id),
        None => " Results ".to_string(),
    };
    let block = Block::bordered()
        .title(title)
        .border_style(t.border(focused));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 2 {
        return;
    }

    // Tab titles, each a click target.
    let mut x = inner.x;
    let mut spans = Vec::new();
    for (i, check) in CheckKind::ALL.into_iter().enumerate() {
        let wide = inner.width >= 100;
        let name = if wide {
            check.title()
        } else {
            short_title(check)
        };
        let (_, state_style) = slot_state(app, check);
        let offered = check.offered_in(app.form.country_code()) || app.checks.stored().is_some();
        // The marker shows the selected tab without colour (monochrome terminals, tmux logs).
        let marker = if i == app.checks.tab { "▸" } else { "" };
        let label = if wide {
            format!(" {marker}{name} ")
        } else {
            format!("{marker}{name}")
        };
        let style = if i == app.checks.tab {
            t.selection().add_modifier(Modifier::BOLD)
        } else if offered {
            state_style
        } else {
            t.muted()
        };
        let w = label.chars().count() as u16;
        if x + w <= inner.x + inner.width {
            app.hits
                .borrow_mut()
                .tabs
                .push((Rect::new(x, inner.y, w, 1), i));
        }
        x += w + 1;
        spans.push(Span::styled(label, style));
        spans.push(Span::styled(if wide { " " } else { "│" }, t.fg(t.border)));
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)),
        Rect::new(inner.x, inner.y, inner.width, 1),
    );

    let body = Rect::new(inner.x, inner.y + 1, inner.width, inner.height - 1);
    let lines = body_lines(app, app.current_check(), body.width as usize);
    // Prose wraps; tables were already cut to the width. The scroll limit is approximate
    // when lines wrap, which only lets the last lines scroll a little further up.
    let max_scroll = (lines.len() as u16).saturating_sub(body.height);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((app.checks.scroll.min(max_scroll), 0)),
        body,
    );
}

fn body_lines(app: &App, check: CheckKind, width: usize) -> Vec<Line<'static>> {
    let t = &app.theme;
    let (words, style) = slot_state(app, check);
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!("{} · {} · ", check.title(), check.vendor().label()),
            t.muted(),
        ),
        Span::styled(words, style),
    ])];
    let slot = match app.shown(check) {
        Shown::Live(slot) => slot,
        Shown::Stored { lookup, answer } => {
            stored_lines(app, lookup, answer, width, &mut lines);
            return lines;
        }
    };
    lines.push(Line::raw(""));
    match slot {
        Slot::Idle => match app.form.readiness(check) {
            Readiness::NotOffered(reason) => {
                lines.push(Line::styled(format!("Not offered: {reason}."), t.muted()))
            }
            Readiness::Needs(fields) => lines.push(Line::styled(
                format!("Needs: {fields} (see the form)."),
                t.fg(t.warn),
            )),
            Readiness::Ready => lines.push(Line::from(format!(
                "Ready. {} runs this check, {} runs every offered check.",
                app.keymap.label(super::Action::RunFocused, true),
                app.keymap.label(super::Action::RunAll, true)
            ))),
        },
        Slot::Checking { .. } => lines.push(Line::styled(
            format!(
                "Looking for a stored result from the last {} h before calling the vendor…",
                app.rerun_window.whole_hours()
            ),
            t.fg(t.pending),
        )),
        Slot::Running { started, .. } => {
            lines.push(Line::styled(
                format!(
                    "Waiting on {} for {}",
                    check.vendor().label(),
                    clock((app.now - *started).whole_seconds())
                ),
                t.fg(t.pending),
            ));
            lines.push(Line::styled(
                format!("{} cancels.", app.keymap.label(super::Action::Cancel, true)),
                t.muted(),
            ));
        }
        Slot::Cancelled { late, .. } => {
            lines.push(Line::styled("Cancelled: no longer waited on.", t.muted()));
            match late {
                None => lines.push(Line::styled(
                    "If the vendor still answers, the answer is recorded in history, not shown here.",
                    t.muted(),
                )),
                Some(a) => {
                    let saved = match (a.lookup_id, &a.unsaved) {
                        (Some(id), _) => format!("saved in history as lookup #{id}"),
                        (None, Some(_)) => "NOT SAVED yet: retrying in the background".into(),
                        (None, None) => "recorded in history".into(),
                    };
                    lines.push(Line::styled(
                        format!("The vendor answered after the cancel ({}): {saved}.", a.outcome),
                        t.fg(t.warn),
                    ));
                }
            }
        }
        Slot::Confirm { stored, .. } => {
            lines.push(Line::styled("Stored result (run again?)", t.fg(t.warn)));
            answer_lines(app, stored, width, &mut lines);
        }
        Slot::Done { answer, .. } => answer_lines(app, answer, width, &mut lines),
    }
    lines
}

fn stored_lines(
    app: &App,
    stored: &super::super::model::StoredLookup,
    answer: Option<&Answer>,
    width: usize,
    lines: &mut Vec<Line<'static>>,
) {
    let t = &app.theme;
    let id = &stored.identity;
    lines.push(Line::styled(
        format!(
            "{} · {} · operator {}{}",
            timestamp(stored.row.at),
            id.country,
            if stored.row.operator.is_empty() {
                "-"
            } else {
                &stored.row.operator
            },
            if stored.row.sandbox {
                " · sandbox"
            } else {
                ""
            }
        ),
        t.muted(),
    ));
    lines.push(Line::styled(
        format!(
            "phone {} · ID {} · name {}",
            or_dash(&show_phone(&id.phone_e164, app.reveal)),
            or_dash(&show_id(&id.id_number, app.reveal)),
            or_dash(&id.name)
        ),
        t.muted(),
    ));
    lines.push(Line::raw(""));
    match answer {
        Some(a) => answer_lines(app, a, width, lines),
        None => lines.push(Line::styled(
            "This lookup ran a different check; its result is in its own tab.",
            t.muted(),
        )),
    }
}

fn or_dash(s: &str) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        s.to_string()
    }
}

fn answer_lines(app: &App, a: &Answer, width: usize, lines: &mut Vec<Line<'static>>) {
    let t = &app.theme;
    let mut meta = vec![
        format!("{}", timestamp(a.at)),
        format!("{} ms", a.latency_ms),
    ];
    if !a.vendor_status.is_empty() {
        meta.push(format!("status {}", a.vendor_status));
    }
    if !a.request_id.is_empty() {
        meta.push(format!("request {}", a.request_id));
    }
    lines.push(Line::styled(truncate(&meta.join(" · "), width), t.muted()));
    if let Some(n) = &a.unsaved {
        lines.push(Line::styled(
            truncate(
                &format!(
                    "NOT SAVED in history ({}): retrying in the background",
                    n.why
                ),
                width,
            ),
            t.fg(t.risk_high).add_modifier(Modifier::BOLD),
        ));
    }
    for w in &a.warnings {
        lines.push(Line::styled(format!("note: {w}"), t.fg(t.warn)));
    }
    if app.checks.raw {
        lines.push(Line::styled("raw response (as received):", t.muted()));
        if a.raw.is_empty() {
            lines.push(Line::styled("(empty body)", t.muted()));
        }
        for l in pretty_raw(&a.raw).lines() {
            lines.push(Line::raw(l.to_string()));
        }
        return;
    }
    if let Some(e) = &a.error {
        lines.push(Line::raw(""));
        lines.push(Line::from(vec![
            Span::styled(
                format!("Error ({}): ", e.kind),
                t.fg(t.risk_high).add_modifier(Modifier::BOLD),
            ),
            Span::raw(e.message.clone()),
        ]));
        if !e.hint.is_empty() {
            lines.push(Line::from(vec![
                Span::styled("What to do: ", t.accent()),
                Span::raw(e.hint.clone()),
            ]));
        }
        if !e.code.is_empty() {
            lines.push(Line::styled(format!("vendor code {}", e.code), t.muted()));
        }
    }
    match a.outcome {
        Outcome::NotHit => {
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                "Not hit: the vendor has no record for these identifiers.",
                t.fg(t.ok),
            ));
        }
        Outcome::Pending => {
            lines.push(Line::raw(""));
            let task = a.task_id.clone().unwrap_or_default();
            let mut text = format!("Pending: the vendor is checking the line (task {task}).");
            if let Some(v) = app.tasks.iter().find(|v| v.task_id == task) {
                let secs = (v.next_poll_at - app.now).whole_seconds();
                text.push_str(&format!(
                    " Next poll in {}, {} polls so far.",
                    clock(secs),
                    v.attempts
                ));
            }
            lines.push(Line::styled(text, t.fg(t.pending)));
        }
        _ => {}
    }
    if let Some(r) = &a.report {
        lines.push(Line::raw(""));
        if !r.gist.is_empty() {
            lines.push(Line::styled(
                r.gist.clone(),
                risk_style(app, r.risk).add_modifier(Modifier::BOLD),
            ));
        }
        if let Some(score) = r.score {
            let band = score_band(score, width.saturating_sub(24).clamp(10, 40));
            lines.push(Line::from(vec![
                Span::styled(format!("score {score}  "), t.title()),
                Span::styled(band, risk_style(app, r.risk)),
            ]));
        }
        for s in &r.sections {
            section_lines(app, s, width, lines);
        }
    }
}

fn section_lines(app: &App, s: &Section, width: usize, lines: &mut Vec<Line<'static>>) {
    let t = &app.theme;
    lines.push(Line::raw(""));
    if !s.title.is_empty() {
        lines.push(Line::styled(s.title.clone(), t.title()));
    }
    let cols = s
        .rows
        .iter()
        .map(Vec::len)
        .chain([s.header.len()])
        .max()
        .unwrap_or(0);
    let mut widths = vec![0usize; cols];
    for row in s.rows.iter().chain([&s.header]) {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    // Columns of numbers right-aligned, anything else left-aligned, as a reader scans them.
    let is_number = |cell: &str| {
        cell == "—"
            || (cell
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_digit() || c == '-')
                && cell
                    .chars()
                    .all(|c| c.is_ascii_digit() || ",.-".contains(c)))
    };
    let numeric: Vec<bool> = (0..cols)
        .map(|i| s.rows.iter().all(|r| r.get(i).is_none_or(|c| is_number(c))))
        .collect();
    let render = |row: &[String]| -> String {
        let mut out = String::new();
        for (i, cell) in row.iter().enumerate() {
            if numeric[i] {
                out.push_str(&format!("{cell:>w$}  ", w = widths[i]));
            } else {
                out.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        truncate(out.trim_end(), width)
    };
    if !s.header.is_empty() {
        lines.push(Line::styled(render(&s.header), t.accent()));
    }
    for row in &s.rows {
        lines.push(Line::styled(render(row), t.fg(t.text)));
    }
}
