//! The case view: who the applicant is, the timeline (oldest → newest) beside the selected
//! lookup's report with what changed since the previous answer of its check (▲ ▼ * and
//! "was …", readable without colour), and under them the charts (`case_charts.rs`).

use super::super::app::App;
use super::super::case::CaseState;
use super::super::case_file::{CaseEntry, CaseFile, FieldView};
use super::super::format::{show_id, show_phone, timestamp};
use super::super::layout::Laid;
use super::case_charts;
use super::short_title;
use super::table::{Fitted, col};
use crate::check::Outcome;
use crate::history::case::CaseKey;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use time::OffsetDateTime;

pub fn draw(frame: &mut Frame, app: &App, area: Rect, laid: &mut Laid) {
    let t = &app.theme;
    let [who, rest] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    frame.render_widget(Paragraph::new(applicant_line(app)), who);
    let file = match &app.case.state {
        CaseState::Shown(f) => f,
        other => {
            let (text, style) = match other {
                CaseState::Loading => ("Gathering the case…".to_string(), t.fg(t.pending)),
                CaseState::Empty => (
                    "No lookups of this applicant: nothing in history shares this phone or \
                     ID number."
                        .to_string(),
                    t.fg(t.warn),
                ),
                CaseState::Failed(e) => {
                    (format!("Could not gather the case: {e}"), t.fg(t.risk_high))
                }
                _ => (String::new(), t.muted()),
            };
            let block = Block::bordered()
                .title(" Applicant case ")
                .border_style(t.border(true));
            frame.render_widget(
                Paragraph::new(Line::styled(text, style))
                    .wrap(Wrap { trim: true })
                    .block(block),
                rest,
            );
            return;
        }
    };
    let chart_height = if rest.height >= 40 { 12 } else { 7 };
    let [body, charts] =
        Layout::vertical([Constraint::Min(5), Constraint::Length(chart_height)]).areas(rest);
    let left = if body.width >= 160 {
        body.width * 3 / 5
    } else {
        body.width * 23 / 40
    };
    let [timeline, report] =
        Layout::horizontal([Constraint::Length(left), Constraint::Min(20)]).areas(body);
    draw_timeline(frame, app, file, timeline, laid);
    draw_report(frame, app, file, report);
    let [score, level] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(charts);
    case_charts::draw_score(frame, app, file, score);
    case_charts::draw_level(frame, app, file, level);
}

fn or_dash(list: Vec<String>) -> String {
    if list.is_empty() {
        "-".into()
    } else {
        list.join(", ")
    }
}

/// Who the case is about, masked as the rest of the screen is.
fn applicant_line(app: &App) -> Line<'static> {
    let t = &app.theme;
    let (phones, ids, names, tail) = match &app.case.state {
        CaseState::Shown(f) => (
            f.phones.clone(),
            f.id_numbers.clone(),
            f.names.clone(),
            format!(
                " · {} lookups{}",
                f.entries.len(),
                if f.truncated {
                    " (more may exist: the case stops at its cap)"
                } else {
                    ""
                }
            ),
        ),
        _ => {
            let mut phones = Vec::new();
            let mut ids = Vec::new();
            for k in &app.case.keys {
                match k {
                    CaseKey::Phone(p) => phones.push(p.clone()),
                    CaseKey::IdNumber(n) => ids.push(n.clone()),
                }
            }
            (phones, ids, Vec::new(), String::new())
        }
    };
    let phones = phones.iter().map(|p| show_phone(p, app.reveal)).collect();
    let ids = ids.iter().map(|n| show_id(n, app.reveal)).collect();
    let mut spans = vec![
        Span::styled(" Case of ", t.title()),
        Span::styled(format!("phone {}", or_dash(phones)), t.fg(t.text)),
        Span::styled(format!(" · ID {}", or_dash(ids)), t.fg(t.text)),
    ];
    if !names.is_empty() {
        spans.push(Span::styled(
            format!(" · {}", names.join(" / ")),
            t.fg(t.text),
        ));
    }
    spans.push(Span::styled(tail, t.muted()));
    Line::from(spans)
}

fn short_when(at: OffsetDateTime) -> String {
    // The year is in the report pane's full timestamp.
    timestamp(at).get(5..).unwrap_or_default().to_string()
}

fn who(e: &CaseEntry) -> String {
    match (&e.operator, &e.purpose) {
        (o, Some(p)) if !o.is_empty() => format!("{o} · {p}"),
        (_, Some(p)) => p.clone(),
        (o, None) => o.clone(),
    }
}

fn outcome_style(app: &App, outcome: Outcome) -> Style {
    let t = &app.theme;
    match outcome {
        Outcome::Error => t.fg(t.risk_high),
        Outcome::Pending => t.fg(t.pending),
        Outcome::Skipped => t.muted(),
        _ => t.fg(t.text),
    }
}

fn draw_timeline(frame: &mut Frame, app: &App, file: &CaseFile, area: Rect, laid: &mut Laid) {
    let t = &app.theme;
    let block = Block::bordered()
        .title(" Timeline · oldest first (UTC) ")
        .border_style(t.border(true));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 2 {
        return;
    }
    let wide = inner.width >= 90;
    // When, what, the outcome and the headline matter most; who and the id leave first.
    let table = Fitted::new(
        &[
            col(" ", 1, 1, 0),
            col(
                "when",
                if wide { 16 } else { 11 },
                if wide { 16 } else { 11 },
                0,
            ),
            col("check", 7, if wide { 18 } else { 7 }, 0),
            col("outcome", 7, 8, 1),
            col("headline", 12, 40, 0),
            col("by · purpose", 8, 32, 2),
            col("lookup", 6, 8, 4).right(),
        ],
        inner.width,
    );
    let visible = inner.height.saturating_sub(1) as usize;
    laid.case_height = visible as u16;
    let selected = app.case.selected;
    let offset = selected.saturating_sub(visible.saturating_sub(1));
    let mut rows = vec![table.header(t.muted())];
    for (i, e) in file.entries.iter().enumerate().skip(offset).take(visible) {
        let style = if i == selected {
            t.selection()
        } else {
            outcome_style(app, e.outcome)
        };
        laid.case_rows.push((
            Rect::new(inner.x, inner.y + 1 + (i - offset) as u16, inner.width, 1),
            i,
        ));
        rows.push(table.row(
            &[
                // The selection without colour.
                if i == selected { "▸" } else { " " }.to_string(),
                if wide {
                    timestamp(e.at)
                } else {
                    short_when(e.at)
                },
                if wide {
                    e.check.cli_name().to_string()
                } else {
                    short_title(e.check).to_string()
                },
                e.outcome.as_str().to_string(),
                e.headline.clone(),
                who(e),
                format!("#{}", e.id),
            ],
            style,
        ));
    }
    table.draw(frame, inner, rows);
}

fn field_line(app: &App, f: &FieldView, name_width: usize) -> Line<'static> {
    let t = &app.theme;
    let name = format!("{:<name_width$}", f.name);
    match &f.change {
        Some(c) => Line::from(vec![
            Span::styled(
                format!("{} ", c.mark.symbol()),
                t.fg(t.warn).add_modifier(Modifier::BOLD),
            ),
            Span::styled(name, t.fg(t.text).add_modifier(Modifier::BOLD)),
            Span::styled(
                format!(" {}", f.value),
                t.fg(t.text).add_modifier(Modifier::BOLD),
            ),
            Span::styled(format!("  was {}", c.was), t.muted()),
        ]),
        None => Line::from(vec![
            Span::raw("  "),
            Span::styled(name, t.muted()),
            Span::styled(format!(" {}", f.value), t.fg(t.text)),
        ]),
    }
}

fn draw_report(frame: &mut Frame, app: &App, file: &CaseFile, area: Rect) {
    let t = &app.theme;
    let Some(e) = file.entries.get(app.case.selected) else {
        return;
    };
    let block = Block::bordered()
        .title(format!(" Lookup #{} · {} ", e.id, e.check.cli_name()))
        .border_style(t.border(false));
    let wide = area.width >= 60;
    let by = if e.operator.is_empty() {
        "-"
    } else {
        &e.operator
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!(
                "{} · ",
                if wide {
                    timestamp(e.at)
                } else {
                    short_when(e.at)
                }
            ),
            t.muted(),
        ),
        Span::styled(
            e.outcome.as_str().to_string(),
            outcome_style(app, e.outcome),
        ),
        Span::styled(
            format!(
                " · by {by}{}",
                if e.sandbox && wide { " · sandbox" } else { "" }
            ),
            t.muted(),
        ),
    ])];
    if let Some(p) = &e.purpose {
        lines.push(Line::styled(format!("purpose: {p}"), t.muted()));
    }
    lines.push(Line::styled(
        e.headline.clone(),
        outcome_style(app, e.outcome).add_modifier(Modifier::BOLD),
    ));
    let changed = e.fields.iter().filter(|f| f.change.is_some()).count() + e.other_changes.len();
    let compared = match (e.outcome, e.compared_with) {
        (Outcome::Ok | Outcome::NotHit, Some((id, at))) => {
            let what = match changed {
                0 => "nothing changed".to_string(),
                1 => "1 change".to_string(),
                n => format!("{n} changes"),
            };
            let at = if wide { timestamp(at) } else { short_when(at) };
            format!("vs #{id} of {at}: {what}")
        }
        (Outcome::Ok | Outcome::NotHit, None) => "first answer of its check here".to_string(),
        _ => "not compared: only answers are".to_string(),
    };
    lines.push(Line::styled(compared, t.accent()));
    let name_width = e
        .fields
        .iter()
        .chain(e.other_changes.iter().map(|(_, f)| f))
        .map(|f| f.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(if wide { 24 } else { 14 });
    // What changed first (marked, with what it was and what it means), then the rest.
    let changes: Vec<&FieldView> = e
        .other_changes
        .iter()
        .map(|(_, f)| f)
        .chain(e.fields.iter().filter(|f| f.change.is_some()))
        .collect();
    for f in &changes {
        lines.push(field_line(app, f, name_width));
    }
    for f in &changes {
        if let Some(flag) = f.change.as_ref().and_then(|c| c.flag.as_deref()) {
            lines.push(Line::styled(
                format!("! {flag}"),
                t.fg(t.risk_high).add_modifier(Modifier::BOLD),
            ));
        }
    }
    for f in e.fields.iter().filter(|f| f.change.is_none()) {
        lines.push(field_line(app, f, name_width));
    }
    if !e.request_id.is_empty() {
        lines.push(Line::styled(
            format!("request id {}", e.request_id),
            t.muted(),
        ));
    }
    // Which of the applicant's identifiers this lookup used, when they have several.
    if file.phones.len() > 1 || file.id_numbers.len() > 1 {
        let shown = |v: &str, f: fn(&str, bool) -> String| {
            if v.is_empty() {
                "-".to_string()
            } else {
                f(v, app.reveal)
            }
        };
        lines.push(Line::styled(
            format!(
                "phone {} · ID {}",
                shown(&e.phone, show_phone),
                shown(&e.id_number, show_id)
            ),
            t.muted(),
        ));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}
