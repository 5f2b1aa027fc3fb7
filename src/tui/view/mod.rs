//! Drawing: a pure function of `App` onto a ratatui `Frame`, returning what it laid out
//! (`Laid`: click targets, how far panes scroll) for the runtime to hand back. Each
//! component draws in its own file; this one lays them out and draws the chrome (header,
//! summary strip, notice, status bar, modals, "terminal too small").

mod body;
mod case;
mod case_charts;
mod form;
mod history;
mod overlays;
mod results;
pub mod table;
mod tasks;

use super::app::{App, Level, MIN_HEIGHT, MIN_WIDTH, Pane, Screen};
use super::checks::{Shown, Slot};
use super::form::Readiness;
use super::format::clock;
use super::layout::Laid;
use super::model::Risk;
use crate::check::{CheckKind, Outcome};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

/// Draws the whole screen; answers what it laid out.
pub fn draw(frame: &mut Frame, app: &App) -> Laid {
    let area = frame.area();
    let mut laid = Laid::default();
    frame.render_widget(Block::new().style(app.theme.base()), area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, app, area);
        return laid;
    }
    let [header, strip, main, notice, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(frame, app, header);
    draw_strip(frame, app, strip);
    match app.screen {
        Screen::Review => {
            let form_width = if area.width >= 160 { 52 } else { 38 };
            let [left, right] =
                Layout::horizontal([Constraint::Length(form_width), Constraint::Min(20)])
                    .areas(main);
            let tasks_height = if app.tasks.is_empty() {
                3
            } else {
                (app.tasks.len() as u16 + 3)
                    .clamp(4, 10)
                    .min(right.height / 3)
            };
            let [results_area, tasks_area] =
                Layout::vertical([Constraint::Min(5), Constraint::Length(tasks_height)])
                    .areas(right);
            laid.panes.push((left, Pane::Form));
            laid.panes.push((results_area, Pane::Results));
            laid.panes.push((tasks_area, Pane::Tasks));
            form::draw(frame, app, left, &mut laid);
            results::draw(frame, app, results_area, &mut laid);
            tasks::draw(frame, app, tasks_area, &mut laid);
        }
        Screen::History => history::draw(frame, app, main, &mut laid),
        Screen::Case => case::draw(frame, app, main, &mut laid),
    }
    draw_notice(frame, app, notice);
    draw_status(frame, app, status);
    if let Some(check) = app.confirming() {
        overlays::draw_confirm(frame, app, check, main, &mut laid);
    }
    if app.help {
        overlays::draw_help(frame, app, area);
    }
    laid
}

fn sandbox_span(app: &App) -> Option<Span<'static>> {
    app.sandbox.then(|| {
        Span::styled(
            " SANDBOX ",
            Style::new()
                .fg(app.theme.background.color())
                .bg(app.theme.sandbox.color())
                .add_modifier(Modifier::BOLD),
        )
    })
}

fn too_small(frame: &mut Frame, app: &App, area: Rect) {
    let mut lines = Vec::new();
    if let Some(s) = sandbox_span(app) {
        lines.push(Line::from(s));
    }
    lines.push(Line::styled("Terminal too small", app.theme.title()));
    lines.push(Line::from(format!(
        "{}×{} here; riskdesk needs at least {MIN_WIDTH}×{MIN_HEIGHT}.",
        area.width, area.height
    )));
    lines.push(Line::styled(
        "Enlarge the window, or Ctrl-C to quit.",
        app.theme.muted(),
    ));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
}

fn draw_header(frame: &mut Frame, app: &App, area: Rect) {
    let mut spans = vec![Span::styled(
        " riskdesk ",
        app.theme.accent().add_modifier(Modifier::BOLD),
    )];
    if let Some(s) = sandbox_span(app) {
        spans.push(s);
        spans.push(Span::raw(" "));
    }
    let screen = match (app.screen, app.checks.stored()) {
        (Screen::History, _) => "history".to_string(),
        (Screen::Case, _) => "applicant case".to_string(),
        (Screen::Review, Some(s)) => format!("stored lookup #{} (read-only)", s.row.id),
        (Screen::Review, None) => "live review".to_string(),
    };
    spans.push(Span::styled(screen, app.theme.title()));
    if !app.operator.is_empty() {
        spans.push(Span::styled(
            format!("  operator {}", app.operator),
            app.theme.muted(),
        ));
    }
    let privacy = if app.reveal {
        "  PII revealed"
    } else {
        "  PII masked"
    };
    spans.push(Span::styled(
        privacy,
        if app.reveal {
            app.theme.fg(app.theme.warn)
        } else {
            app.theme.muted()
        },
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub(super) fn risk_style(app: &App, risk: Risk) -> Style {
    let t = &app.theme;
    match risk {
        Risk::Low => t.fg(t.ok),
        Risk::Medium => t.fg(t.warn),
        Risk::High => t.fg(t.risk_high).add_modifier(Modifier::BOLD),
        Risk::Unknown => t.fg(t.text),
    }
}

/// A slot's state in a few words and its colour, for tabs and the summary strip.
pub(super) fn slot_state(app: &App, check: CheckKind) -> (String, Style) {
    let t = &app.theme;
    let slot = match app.checks.shown(check) {
        Shown::Stored { answer, .. } => {
            return match answer {
                Some(a) => outcome_words(app, a),
                None => ("—".into(), t.muted()),
            };
        }
        Shown::Live(slot) => slot,
    };
    match slot {
        Slot::Idle => match app.form.readiness(check) {
            Readiness::NotOffered(_) => ("n/a".into(), t.muted()),
            Readiness::Needs(_) => ("needs input".into(), t.fg(t.warn)),
            Readiness::Ready => ("ready".into(), t.fg(t.text)),
        },
        Slot::Checking { .. } => ("checking history".into(), t.fg(t.pending)),
        Slot::Confirm { .. } => ("stored: run again?".into(), t.fg(t.warn)),
        Slot::Running { started, .. } => (
            format!("running {}", clock((app.now - *started).whole_seconds())),
            t.fg(t.pending),
        ),
        Slot::Done { answer, reused, .. } => {
            let (w, s) = outcome_words(app, answer);
            (if *reused { format!("{w} (stored)") } else { w }, s)
        }
        Slot::Cancelled { .. } => ("cancelled".into(), t.muted()),
    }
}

/// An answer in a few words, for notices.
pub fn answer_gist(answer: &super::model::Answer) -> String {
    match (&answer.report, &answer.error) {
        (Some(r), _) if !r.gist.is_empty() => r.gist.clone(),
        (None, Some(e)) => e.message.clone(),
        _ => answer.outcome.to_string(),
    }
}

fn outcome_words(app: &App, answer: &super::model::Answer) -> (String, Style) {
    let t = &app.theme;
    match answer.outcome {
        Outcome::Ok => {
            let gist = answer
                .report
                .as_ref()
                .map(|r| r.gist.as_str())
                .unwrap_or("");
            let w = if gist.is_empty() {
                "ok".to_string()
            } else {
                format!("ok: {gist}")
            };
            (w, risk_style(app, answer.risk()))
        }
        Outcome::NotHit => ("not hit".into(), t.fg(t.ok)),
        Outcome::Pending => ("pending".into(), t.fg(t.pending)),
        Outcome::Error => {
            let kind = answer
                .error
                .as_ref()
                .map(|e| e.kind.as_str())
                .unwrap_or("error");
            (format!("error: {kind}"), t.fg(t.risk_high))
        }
        Outcome::Skipped => ("skipped".into(), t.muted()),
    }
}

fn draw_strip(frame: &mut Frame, app: &App, area: Rect) {
    let mut spans = Vec::new();
    for (i, check) in CheckKind::ALL.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" │ ", app.theme.fg(app.theme.border)));
        }
        let (words, style) = slot_state(app, check);
        spans.push(Span::styled(
            format!("{} ", short_title(check)),
            app.theme.muted(),
        ));
        // Narrow screens get the state alone ("ok" in its risk colour); wide ones the gist.
        let (words, max) = if area.width < 160 {
            let short = words.split(": ").next().unwrap_or("");
            let short = short.split(" (").next().unwrap_or("").to_string();
            (short, 12)
        } else {
            (words, (area.width as usize / 5).saturating_sub(12))
        };
        spans.push(Span::styled(truncate(&words, max), style));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub(super) fn short_title(check: CheckKind) -> &'static str {
    match check {
        CheckKind::DebtsReport => "Debts",
        CheckKind::MultipleOrder => "Orders",
        CheckKind::PhoneStatus => "Phone",
        CheckKind::Multiplatform => "Multi",
        CheckKind::CreditWillingness => "Willing",
    }
}

pub(super) fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn draw_notice(frame: &mut Frame, app: &App, area: Rect) {
    let Some(n) = &app.notice else { return };
    let t = &app.theme;
    let style = match n.level {
        Level::Info => t.fg(t.accent),
        Level::Warn => t.fg(t.warn),
        Level::Error => t.fg(t.risk_high).add_modifier(Modifier::BOLD),
    };
    let line = Line::from(vec![
        Span::styled(
            format!(" {} ", truncate(&n.text, area.width as usize - 12)),
            style,
        ),
        Span::styled("(Esc)", t.muted()),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

fn draw_status(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let mut spans = Vec::new();
    let mut used = 0usize;
    if !app.unsaved.is_empty() {
        let mark = format!(" {} NOT SAVED ", app.unsaved.len());
        used += mark.chars().count() + 1;
        spans.push(Span::styled(
            mark,
            t.fg(t.risk_high).add_modifier(Modifier::BOLD),
        ));
        spans.push(Span::raw(" "));
    }
    let hints = app.hints();
    let width = |h: &super::hints::Hint| h.key.chars().count() + h.words.chars().count() + 4;
    // Help and quit always stay; the others in order of importance while they fit.
    let pinned: usize = hints.iter().filter(|h| h.pinned).map(width).sum();
    let mut room = (area.width as usize).saturating_sub(used + pinned);
    let mut shown = Vec::new();
    for h in &hints {
        if h.pinned {
            shown.push(h);
        } else if width(h) <= room {
            room -= width(h);
            shown.push(h);
        } else {
            room = 0;
        }
    }
    for h in shown {
        spans.push(Span::styled(format!(" {} ", h.key), t.selection()));
        spans.push(Span::styled(format!(" {} ", h.words), t.muted()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
