//! Tables that fit: each column says how wide it wants to be, how narrow it can go and how
//! much it matters; the least important columns leave first when the width runs out, and
//! wide terminals give the room to the columns that want it. Drawn with ratatui's `Table`.

use super::truncate;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Cell, Row, Table};

#[derive(Debug, Clone, Copy)]
pub struct Col {
    pub title: &'static str,
    /// The width it never goes below (it leaves instead).
    pub min: u16,
    /// The width it would like.
    pub want: u16,
    /// 0 matters most; the highest leaves first.
    pub priority: u8,
    pub right: bool,
}

pub const fn col(title: &'static str, min: u16, want: u16, priority: u8) -> Col {
    Col {
        title,
        min,
        want,
        priority,
        right: false,
    }
}

impl Col {
    pub const fn right(self) -> Col {
        Col {
            right: true,
            ..self
        }
    }
}

pub const SPACING: u16 = 1;

/// The width of each column that fits in `width` (`None`: left out), in column order.
pub fn fit(cols: &[Col], width: u16) -> Vec<Option<u16>> {
    let mut kept: Vec<bool> = vec![true; cols.len()];
    let need = |kept: &[bool]| -> u16 {
        let n = kept.iter().filter(|k| **k).count() as u16;
        cols.iter()
            .zip(kept)
            .filter(|(_, k)| **k)
            .map(|(c, _)| c.min)
            .sum::<u16>()
            + SPACING * n.saturating_sub(1)
    };
    while need(&kept) > width {
        // The least important column still kept (the rightmost of equals) leaves.
        let Some(drop) = (0..cols.len())
            .filter(|i| kept[*i])
            .max_by_key(|i| (cols[*i].priority, *i))
        else {
            break;
        };
        if kept.iter().filter(|k| **k).count() == 1 {
            break;
        }
        kept[drop] = false;
    }
    let mut widths: Vec<Option<u16>> = cols
        .iter()
        .zip(&kept)
        .map(|(c, k)| k.then_some(c.min))
        .collect();
    let mut spare = width.saturating_sub(need(&kept));
    // Room goes to the columns that want it, most important first.
    let mut order: Vec<usize> = (0..cols.len()).filter(|i| kept[*i]).collect();
    order.sort_by_key(|i| (cols[*i].priority, *i));
    for i in order {
        if let Some(w) = widths[i].as_mut() {
            let more = cols[i].want.saturating_sub(*w).min(spare);
            *w += more;
            spare -= more;
        }
    }
    widths
}

/// A header and rows drawn as a `Table` in `area`, cut to fit: cells too long end in "…",
/// right-aligned columns stay right-aligned.
pub struct Fitted {
    pub widths: Vec<Option<u16>>,
    pub cols: Vec<Col>,
}

impl Fitted {
    pub fn new(cols: &[Col], width: u16) -> Fitted {
        Fitted {
            widths: fit(cols, width),
            cols: cols.to_vec(),
        }
    }

    pub fn row<'a>(&self, cells: &[String], style: Style) -> Row<'a> {
        let cells: Vec<Cell> = self
            .widths
            .iter()
            .zip(&self.cols)
            .enumerate()
            .filter_map(|(i, (w, c))| {
                let w = (*w)? as usize;
                let text = truncate(cells.get(i).map(String::as_str).unwrap_or(""), w);
                let line = Line::from(text);
                Some(Cell::from(if c.right {
                    line.alignment(Alignment::Right)
                } else {
                    line
                }))
            })
            .collect();
        Row::new(cells).style(style)
    }

    pub fn header<'a>(&self, style: Style) -> Row<'a> {
        let titles: Vec<String> = self.cols.iter().map(|c| c.title.to_string()).collect();
        self.row(&titles, style)
    }

    pub fn constraints(&self) -> Vec<Constraint> {
        self.widths
            .iter()
            .flatten()
            .map(|w| Constraint::Length(*w))
            .collect()
    }

    pub fn draw<'a>(&self, frame: &mut Frame, area: Rect, rows: Vec<Row<'a>>) {
        frame.render_widget(
            Table::new(rows, self.constraints()).column_spacing(SPACING),
            area,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_important_columns_leave_first() {
        let cols = [
            col("phone", 13, 16, 0),
            col("task", 8, 24, 5),
            col("age", 4, 4, 3),
            col("next", 7, 7, 1),
            col("state", 10, 60, 0),
        ];
        // 13+4+7+10 + 3 spaces = 37: the task id leaves at 40.
        let w = fit(&cols, 40);
        assert_eq!(w[1], None);
        assert!(w[0].is_some() && w[3].is_some() && w[4].is_some());
        assert_eq!(w.iter().flatten().sum::<u16>() + 3, 40);
        // Wide: every column, each as wide as it wants up to the room.
        let w = fit(&cols, 200);
        assert_eq!(w, vec![Some(16), Some(24), Some(4), Some(7), Some(60)]);
        // Too narrow for anything but the first: it stays.
        assert_eq!(fit(&cols, 5).iter().flatten().count(), 1);
    }
}
