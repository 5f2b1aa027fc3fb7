//! The results body laid out line by line at the pane's width: prose wrapped on words here,
//! report tables as rows of a `Table` whose least important columns leave first. Knowing
//! every line makes the scroll extent exact.

use super::super::app::App;
use super::super::model::Section;
use super::table::{Col, Fitted, col};
use super::truncate;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// One line of the body: prose (already wrapped), or a row of a report table.
pub(super) enum Row {
    Text(Line<'static>),
    /// A row of `tables[table]`; `None` is its header.
    Cells {
        table: usize,
        row: Option<usize>,
    },
}

/// The results body, line by line at a width.
pub(super) struct Body<'a> {
    pub width: u16,
    pub rows: Vec<Row>,
    tables: Vec<(Fitted, &'a Section)>,
}

impl<'a> Body<'a> {
    pub fn new(width: u16) -> Body<'a> {
        Body {
            width,
            rows: Vec::new(),
            tables: Vec::new(),
        }
    }

    pub fn blank(&mut self) {
        self.rows.push(Row::Text(Line::raw("")));
    }

    /// A line of prose, wrapped on words at the width.
    pub fn line(&mut self, line: Line<'static>) {
        for l in wrap(line, self.width as usize) {
            self.rows.push(Row::Text(l));
        }
    }

    /// A line that is cut rather than wrapped (ids and timings read better whole or cut).
    pub fn cut(&mut self, text: &str, style: Style) {
        self.rows.push(Row::Text(Line::styled(
            truncate(text, self.width as usize),
            style,
        )));
    }

    /// A report table: the first column matters most, the last least; numbers right-aligned.
    pub fn table(&mut self, s: &'a Section) {
        let n = s
            .rows
            .iter()
            .map(Vec::len)
            .chain([s.header.len()])
            .max()
            .unwrap_or(0);
        let cols: Vec<Col> = (0..n)
            .map(|i| {
                let cells = s.rows.iter().chain([&s.header]).filter_map(|r| r.get(i));
                let want = cells.map(|c| c.chars().count()).max().unwrap_or(0) as u16;
                let numeric = s.rows.iter().all(|r| r.get(i).is_none_or(|c| is_number(c)));
                let priority = u8::try_from(i).unwrap_or(u8::MAX);
                if numeric {
                    // Numbers are never cut: the column fits whole or leaves.
                    col("", want, want, priority).right()
                } else {
                    col("", want.min(8), want, priority)
                }
            })
            .collect();
        let table = self.tables.len();
        self.tables.push((Fitted::new(&cols, self.width), s));
        if !s.header.is_empty() {
            self.rows.push(Row::Cells { table, row: None });
        }
        for row in 0..s.rows.len() {
            self.rows.push(Row::Cells {
                table,
                row: Some(row),
            });
        }
    }

    /// Draws the rows from `scroll` on: runs of prose as paragraphs, runs of one table's
    /// rows as a `Table`.
    pub fn draw(&self, frame: &mut Frame, area: Rect, scroll: usize, app: &App) {
        let t = &app.theme;
        let visible = &self.rows[scroll.min(self.rows.len())..];
        let visible = &visible[..visible.len().min(area.height as usize)];
        let mut y = area.y;
        let mut i = 0;
        while i < visible.len() {
            let start = i;
            match &visible[i] {
                Row::Text(_) => {
                    let mut lines = Vec::new();
                    while let Some(Row::Text(l)) = visible.get(i) {
                        lines.push(l.clone());
                        i += 1;
                    }
                    let h = (i - start) as u16;
                    frame.render_widget(Paragraph::new(lines), Rect::new(area.x, y, area.width, h));
                    y += h;
                }
                Row::Cells { table, .. } => {
                    let (fitted, section) = &self.tables[*table];
                    let mut rows = Vec::new();
                    while let Some(Row::Cells { table: tb, row }) = visible.get(i) {
                        if tb != table {
                            break;
                        }
                        rows.push(match row {
                            None => fitted.row(&section.header, t.accent()),
                            Some(r) => fitted.row(&section.rows[*r], t.fg(t.text)),
                        });
                        i += 1;
                    }
                    let h = (i - start) as u16;
                    fitted.draw(frame, Rect::new(area.x, y, area.width, h), rows);
                    y += h;
                }
            }
        }
    }
}

/// Columns of numbers right-aligned, anything else left-aligned, as a reader scans them.
fn is_number(cell: &str) -> bool {
    cell == "—"
        || (cell
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '-')
            && cell
                .chars()
                .all(|c| c.is_ascii_digit() || ",.-".contains(c)))
}

/// Greedy word wrap of a styled line; a word longer than the line is cut where it must.
pub(super) fn wrap(line: Line<'static>, width: usize) -> Vec<Line<'static>> {
    if width == 0 || line.width() <= width {
        return vec![line];
    }
    let base = line.style;
    let cells: Vec<(char, Style)> = line
        .spans
        .iter()
        .flat_map(|s| {
            let style = base.patch(s.style);
            s.content.chars().map(move |c| (c, style))
        })
        .collect();
    let mut out = Vec::new();
    let mut start = 0;
    while start < cells.len() {
        let end = (start + width).min(cells.len());
        let mut cut = end;
        if end < cells.len()
            && let Some(space) = (start + 1..=end).rev().find(|i| cells[*i].0 == ' ')
        {
            cut = space;
        }
        out.push(spans_of(&cells[start..cut]));
        start = cut;
        while start < cells.len() && cells[start].0 == ' ' {
            start += 1;
        }
    }
    out
}

fn spans_of(cells: &[(char, Style)]) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut text = String::new();
    let mut style = cells.first().map(|c| c.1).unwrap_or_default();
    for (c, s) in cells {
        if *s != style {
            spans.push(Span::styled(std::mem::take(&mut text), style));
            style = *s;
        }
        text.push(*c);
    }
    spans.push(Span::styled(text, style));
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_styled_lines_on_words() {
        let line = Line::from(vec![
            Span::styled("Error (quota): ", Style::new().bold()),
            Span::raw("API calls quota exceeded"),
        ]);
        let lines = wrap(line, 16);
        let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        assert_eq!(text, vec!["Error (quota):", "API calls quota", "exceeded"]);
        assert_eq!(lines[0].spans[0].style, Style::new().bold());
        assert_eq!(wrap(Line::raw("abcdefghij"), 4).len(), 3);
    }
}
