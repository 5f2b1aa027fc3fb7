//! The check tabs: a tab per check, the open check's state, its report as tables (or the
//! raw response). The body is laid out line by line at the pane's width — prose wrapped
//! here, report tables as `Table` rows — so how far it scrolls is exact, and returned.

use super::super::app::{App, Pane, Screen};
use super::super::checks::{Shown, Slot};
use super::super::form::Readiness;
use super::super::format::{clock, pretty_raw, score_band, show_id, show_phone, timestamp};
use super::super::keymap::Action;
use super::super::layout::Laid;
use super::super::model::{Answer, StoredLookup};
use super::body::Body;
use super::{risk_style, short_title, slot_state};
use crate::check::{CheckKind, Outcome};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

pub fn draw(frame: &mut Frame, app: &App, area: Rect, laid: &mut Laid) {
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
    draw_tabs(
        frame,
        app,
        Rect::new(inner.x, inner.y, inner.width, 1),
        laid,
    );

    let area = Rect::new(inner.x, inner.y + 1, inner.width, inner.height - 1);
    let mut body = Body::new(area.width);
    body_of(app, app.current_check(), &mut body);
    let height = area.height as usize;
    let max_scroll = body.rows.len().saturating_sub(height);
    laid.results_max_scroll = u16::try_from(max_scroll).unwrap_or(u16::MAX);
    laid.results_height = area.height;
    let scroll = (app.checks.scroll as usize).min(max_scroll);
    body.draw(frame, area, scroll, app);
}

fn draw_tabs(frame: &mut Frame, app: &App, area: Rect, laid: &mut Laid) {
    let t = &app.theme;
    let wide = area.width >= 100;
    let mut x = area.x;
    let mut spans = Vec::new();
    for (i, check) in CheckKind::ALL.into_iter().enumerate() {
        let name = if wide {
            check.title()
        } else {
            short_title(check)
        };
        let (_, state_style) = slot_state(app, check);
        let offered = check.offered_in(app.form.country_code()) || app.checks.stored().is_some();
        // The marker shows the open tab without colour (monochrome terminals, tmux logs).
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
        if x + w <= area.x + area.width {
            laid.tabs.push((Rect::new(x, area.y, w, 1), i));
        }
        x += w + 1;
        spans.push(Span::styled(label, style));
        spans.push(Span::styled(if wide { " " } else { "│" }, t.fg(t.border)));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn body_of<'a>(app: &'a App, check: CheckKind, body: &mut Body<'a>) {
    let t = &app.theme;
    let (words, style) = slot_state(app, check);
    body.line(Line::from(vec![
        Span::styled(
            format!("{} · {} · ", check.title(), check.vendor().label()),
            t.muted(),
        ),
        Span::styled(words, style),
    ]));
    let slot = match app.checks.shown(check) {
        Shown::Live(slot) => slot,
        Shown::Stored { lookup, answer } => {
            stored_body(app, lookup, answer, body);
            return;
        }
    };
    body.blank();
    match slot {
        Slot::Idle => match app.form.readiness(check) {
            Readiness::NotOffered(reason) => {
                body.line(Line::styled(format!("Not offered: {reason}."), t.muted()))
            }
            Readiness::Needs(fields) => body.line(Line::styled(
                format!("Needs: {fields} (see the form)."),
                t.fg(t.warn),
            )),
            Readiness::Ready => body.line(Line::from(format!(
                "Ready. {} runs this check, {} runs every offered check.",
                app.keymap.label(Action::RunFocused, true),
                app.keymap.label(Action::RunAll, true)
            ))),
        },
        Slot::Checking { .. } => body.line(Line::styled(
            format!(
                "Looking for a stored result from the last {} h before calling the vendor…",
                app.rerun_window.whole_hours()
            ),
            t.fg(t.pending),
        )),
        Slot::Running { started, .. } => {
            body.line(Line::styled(
                format!(
                    "Waiting on {} for {}",
                    check.vendor().label(),
                    clock((app.now - *started).whole_seconds())
                ),
                t.fg(t.pending),
            ));
            body.line(Line::styled(
                format!("{} cancels.", app.keymap.label(Action::Cancel, true)),
                t.muted(),
            ));
        }
        Slot::Cancelled { late, .. } => {
            body.line(Line::styled("Cancelled: no longer waited on.", t.muted()));
            match late {
                None => body.line(Line::styled(
                    "If the vendor still answers, the answer is recorded in history, not \
                     shown here.",
                    t.muted(),
                )),
                Some(a) => {
                    let saved = match (a.lookup_id, &a.unsaved) {
                        (Some(id), _) => format!("saved in history as lookup #{id}"),
                        (None, Some(_)) => "NOT SAVED yet: retrying in the background".into(),
                        (None, None) => "recorded in history".into(),
                    };
                    body.line(Line::styled(
                        format!(
                            "The vendor answered after the cancel ({}): {saved}.",
                            a.outcome
                        ),
                        t.fg(t.warn),
                    ));
                }
            }
        }
        Slot::Confirm { stored, .. } => {
            body.line(Line::styled("Stored result (run again?)", t.fg(t.warn)));
            answer_body(app, stored, body);
        }
        Slot::Done { answer, .. } => answer_body(app, answer, body),
    }
}

fn stored_body<'a>(
    app: &'a App,
    stored: &'a StoredLookup,
    answer: Option<&'a Answer>,
    body: &mut Body<'a>,
) {
    let t = &app.theme;
    let id = &stored.identity;
    body.line(Line::styled(
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
    body.line(Line::styled(
        format!(
            "phone {} · ID {} · name {}",
            or_dash(&show_phone(&id.phone_e164, app.reveal)),
            or_dash(&show_id(&id.id_number, app.reveal)),
            or_dash(&id.name)
        ),
        t.muted(),
    ));
    body.blank();
    match answer {
        Some(a) => answer_body(app, a, body),
        None => body.line(Line::styled(
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

fn answer_body<'a>(app: &'a App, a: &'a Answer, body: &mut Body<'a>) {
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
    body.cut(&meta.join(" · "), t.muted());
    if let Some(n) = &a.unsaved {
        body.line(Line::styled(
            format!(
                "NOT SAVED in history ({}): retrying in the background",
                n.why
            ),
            t.fg(t.risk_high).add_modifier(Modifier::BOLD),
        ));
    }
    for w in &a.warnings {
        body.line(Line::styled(format!("note: {w}"), t.fg(t.warn)));
    }
    if app.checks.raw {
        body.line(Line::styled("raw response (as received):", t.muted()));
        if a.raw.is_empty() {
            body.line(Line::styled("(empty body)", t.muted()));
        }
        for l in pretty_raw(&a.raw).lines() {
            body.line(Line::raw(l.to_string()));
        }
        return;
    }
    if let Some(e) = &a.error {
        body.blank();
        body.line(Line::from(vec![
            Span::styled(
                format!("Error ({}): ", e.kind),
                t.fg(t.risk_high).add_modifier(Modifier::BOLD),
            ),
            Span::raw(e.message.clone()),
        ]));
        if !e.hint.is_empty() {
            body.line(Line::from(vec![
                Span::styled("What to do: ", t.accent()),
                Span::raw(e.hint.clone()),
            ]));
        }
        if !e.code.is_empty() {
            body.line(Line::styled(format!("vendor code {}", e.code), t.muted()));
        }
    }
    match a.outcome {
        Outcome::NotHit => {
            body.blank();
            body.line(Line::styled(
                "Not hit: the vendor has no record for these identifiers.",
                t.fg(t.ok),
            ));
        }
        Outcome::Pending => {
            body.blank();
            let task = a.task_id.clone().unwrap_or_default();
            let mut text = format!("Pending: the vendor is checking the line (task {task}).");
            if let Some(v) = app.tasks.list.iter().find(|v| v.task_id == task) {
                let secs = (v.next_poll_at - app.now).whole_seconds();
                text.push_str(&format!(
                    " Next poll in {}, {} polls so far.",
                    clock(secs),
                    v.attempts
                ));
            }
            body.line(Line::styled(text, t.fg(t.pending)));
        }
        _ => {}
    }
    if let Some(r) = &a.report {
        body.blank();
        if !r.gist.is_empty() {
            body.line(Line::styled(
                r.gist.clone(),
                risk_style(app, r.risk).add_modifier(Modifier::BOLD),
            ));
        }
        if let Some(score) = r.score {
            let width = body.width as usize;
            let band = score_band(score, width.saturating_sub(24).clamp(10, 40));
            body.line(Line::from(vec![
                Span::styled(format!("score {score}  "), t.title()),
                Span::styled(band, risk_style(app, r.risk)),
            ]));
        }
        for s in &r.sections {
            body.blank();
            if !s.title.is_empty() {
                body.line(Line::styled(s.title.clone(), t.title()));
            }
            body.table(s);
        }
    }
}
