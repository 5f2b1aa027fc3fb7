//! The case view's charts: the credit-willingness score and the multiple-order level over
//! time (ratatui `Chart`), readable without colour: the values in the title, the lowest and
//! highest on the y axis, the first and last dates on the x axis.

use super::super::app::App;
use super::super::case_file::{CaseEntry, CaseFile};
use super::super::format::timestamp;
use crate::check::CheckKind;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::symbols::Marker;
use ratatui::text::Line;
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph, Wrap};
use time::OffsetDateTime;

/// Values in a few words: every one when few, else the first, the last and the range.
fn series_words(values: &[i64], words: impl Fn(i64) -> String) -> String {
    match values {
        [] => String::new(),
        v if v.len() <= 5 => v.iter().map(|x| words(*x)).collect::<Vec<_>>().join(" → "),
        v => {
            let (min, max) = (v.iter().min().unwrap_or(&0), v.iter().max().unwrap_or(&0));
            format!(
                "{} → {} (min {min}, max {max})",
                words(v[0]),
                words(v[v.len() - 1])
            )
        }
    }
}

/// The points of one figure over time: x in days since the case's first lookup.
fn points(
    file: &CaseFile,
    figure: impl Fn(&CaseEntry) -> Option<i64>,
) -> Vec<(OffsetDateTime, i64)> {
    file.entries
        .iter()
        .filter_map(|e| figure(e).map(|v| (e.at, v)))
        .collect()
}

struct Series<'a> {
    title: String,
    short: String,
    empty: &'a str,
    points: Vec<(OffsetDateTime, i64)>,
    /// The y range and its labels (bottom to top).
    bounds: [f64; 2],
    labels: Vec<String>,
}

fn draw_series(frame: &mut Frame, app: &App, area: Rect, s: Series) {
    let t = &app.theme;
    // The long title when it fits, else the short one (the values stay).
    let room = usize::from(area.width.saturating_sub(2));
    let title = if s.title.chars().count() <= room {
        s.title
    } else {
        s.short
    };
    let block = Block::bordered().title(title).border_style(t.border(false));
    if s.points.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(s.empty.to_string(), t.muted()))
                .wrap(Wrap { trim: true })
                .block(block),
            area,
        );
        return;
    }
    let first = s.points[0].0;
    let last = s.points[s.points.len() - 1].0;
    let x = |at: OffsetDateTime| (at - first).as_seconds_f64() / 86_400.0;
    let data: Vec<(f64, f64)> = s.points.iter().map(|(at, v)| (x(*at), *v as f64)).collect();
    let span = x(last).max(1.0);
    let day = |at: OffsetDateTime| timestamp(at).get(..10).unwrap_or_default().to_string();
    let chart = Chart::new(vec![
        Dataset::default()
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(t.fg(t.accent))
            .data(&data),
    ])
    .legend_position(None)
    .block(block)
    .x_axis(
        Axis::default()
            .bounds([0.0, span])
            .labels([day(first), day(last)])
            .style(t.muted()),
    )
    .y_axis(
        Axis::default()
            .bounds(s.bounds)
            .labels(s.labels)
            .style(t.muted()),
    );
    frame.render_widget(chart, area);
}

pub(super) fn draw_score(frame: &mut Frame, app: &App, file: &CaseFile, area: Rect) {
    let pts = points(file, |e| {
        (e.check == CheckKind::CreditWillingness)
            .then_some(e.score)
            .flatten()
    });
    let values: Vec<i64> = pts.iter().map(|(_, v)| *v).collect();
    let (lo, hi) = (
        values.iter().copied().min().unwrap_or(0),
        values.iter().copied().max().unwrap_or(0),
    );
    // The axis spans what the applicant scored (min and max labelled), never a flat line.
    let (lo, hi) = if lo == hi {
        (lo - 10, hi + 10)
    } else {
        (lo, hi)
    };
    draw_series(
        frame,
        app,
        area,
        Series {
            title: format!(
                " Willingness score {} ",
                series_words(&values, |v| v.to_string())
            ),
            short: format!(" Score {} ", series_words(&values, |v| v.to_string())),
            empty: "No answered credit-willingness lookup in this case.",
            points: pts,
            bounds: [lo as f64, hi as f64],
            labels: vec![lo.to_string(), hi.to_string()],
        },
    );
}

pub(super) fn draw_level(frame: &mut Frame, app: &App, file: &CaseFile, area: Rect) {
    let pts = points(file, |e| {
        (e.check == CheckKind::MultipleOrder)
            .then_some(e.level)
            .flatten()
    });
    let values: Vec<i64> = pts.iter().map(|(_, v)| *v).collect();
    let words = |v: i64| {
        let w = crate::report::OrderRecord {
            level: Some(v),
            ..Default::default()
        }
        .level_words();
        format!("{v} ({w})")
    };
    let title = match values.as_slice() {
        [] => " Multiple-order level ".to_string(),
        [.., last] if values.len() > 1 => format!(
            " Multiple-order level {} ({}) ",
            series_words(&values, |v| v.to_string()),
            crate::report::OrderRecord {
                level: Some(*last),
                ..Default::default()
            }
            .level_words()
        ),
        [only] => format!(" Multiple-order level {} ", words(*only)),
        _ => " Multiple-order level ".to_string(),
    };
    let short = match values.last() {
        Some(last) => format!(
            " Level {} ({}) ",
            series_words(&values, |v| v.to_string()),
            crate::report::OrderRecord {
                level: Some(*last),
                ..Default::default()
            }
            .level_words()
        ),
        None => " Level ".to_string(),
    };
    draw_series(
        frame,
        app,
        area,
        Series {
            title,
            short,
            empty: "No multiple-order answer on the list in this case.",
            points: pts,
            // 1 whitelist … 3 normal … 5 blacklist.
            bounds: [1.0, 5.0],
            labels: vec!["1 white".into(), "3 normal".into(), "5 black".into()],
        },
    );
}
