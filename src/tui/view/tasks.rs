//! The pending phone tasks panel.

use super::super::app::{App, Pane, Screen};
use super::super::format::{age, clock, show_phone};
use super::super::model::TaskStatus;
use super::truncate;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let t = &app.theme;
    let focused = app.screen == Screen::Review && app.focus == Pane::Tasks;
    let pending = app
        .tasks
        .iter()
        .filter(|x| x.status == TaskStatus::Pending)
        .count();
    let block = Block::bordered()
        .title(format!(" Phone tasks · {pending} pending "))
        .border_style(t.border(focused));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    let width = inner.width as usize;
    // Column widths: phone, task id, age, polls, next poll; the state takes the rest.
    let (pw, tw) = if width >= 90 { (16, 24) } else { (13, 10) };
    let row = |c: [&str; 6]| {
        format!(
            "{:<pw$} {:<tw$} {:>4} {:>5} {:>7}  {}",
            truncate(c[0], pw),
            truncate(c[1], tw),
            c[2],
            c[3],
            c[4],
            c[5]
        )
    };
    let mut lines = Vec::new();
    if app.tasks.is_empty() {
        lines.push(Line::styled("No phone tasks.", t.muted()));
    } else {
        lines.push(Line::styled(
            truncate(
                &row(["phone", "task", "age", "polls", "next", "state"]),
                width,
            ),
            t.muted(),
        ));
    }
    // Keep the selection visible.
    let visible = inner.height.saturating_sub(1) as usize;
    let offset = app.task_sel.saturating_sub(visible.saturating_sub(1));
    for (i, task) in app.tasks.iter().enumerate().skip(offset).take(visible) {
        let next = if task.status == TaskStatus::Pending {
            if app.polling.contains(&task.task_id) {
                "polling".to_string()
            } else {
                clock((task.next_poll_at - app.now).whole_seconds())
            }
        } else {
            "-".to_string()
        };
        let mut state = task.status.label().to_string();
        if !task.reason.is_empty() {
            state.push_str(": ");
            state.push_str(&task.reason);
        }
        if app.task_results.contains_key(&task.task_id) {
            state.push_str(" (Enter opens)");
        }
        let text = row([
            &show_phone(&task.phone, app.reveal),
            &task.task_id,
            &age((app.now - task.created_at).whole_seconds()),
            &task.attempts.to_string(),
            &next,
            &state,
        ]);
        let style = if focused && i == app.task_sel {
            t.selection()
        } else {
            match task.status {
                TaskStatus::Pending => t.fg(t.pending),
                TaskStatus::Done => t.fg(t.ok),
                TaskStatus::Failed | TaskStatus::Expired => t.fg(t.risk_high),
            }
        };
        let row_area = Rect::new(inner.x, inner.y + 1 + (i - offset) as u16, inner.width, 1);
        app.hits.borrow_mut().tasks.push((row_area, i));
        lines.push(Line::styled(truncate(&text, width), style));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
