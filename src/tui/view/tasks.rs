//! The phone tasks panel: pending, paused (with the reason), and how each one ended, as a
//! table whose less important columns leave first on narrow terminals.

use super::super::app::{App, Pane, Screen};
use super::super::format::{age, clock, show_phone};
use super::super::layout::Laid;
use super::super::model::TaskStatus;
use super::table::{Fitted, col};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph};

pub fn draw(frame: &mut Frame, app: &App, area: Rect, laid: &mut Laid) {
    let t = &app.theme;
    let focused = app.screen == Screen::Review && app.focus == Pane::Tasks;
    let pending = app.tasks.pending();
    let paused = app.tasks.count(TaskStatus::Paused);
    let title = if paused > 0 {
        format!(" Phone tasks · {pending} pending · {paused} paused ")
    } else {
        format!(" Phone tasks · {pending} pending ")
    };
    let block = Block::bordered()
        .title(title)
        .border_style(t.border(focused));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 {
        return;
    }
    if app.tasks.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled("No phone tasks.", t.muted())),
            inner,
        );
        return;
    }
    let states: Vec<String> = app
        .tasks
        .list
        .iter()
        .map(|task| {
            let mut state = task.status.label().to_string();
            if !task.reason.is_empty() {
                state.push_str(": ");
                state.push_str(&task.reason);
            }
            if app.tasks.result(&task.task_id).is_some() {
                state.push_str(" (Enter opens)");
            }
            state
        })
        .collect();
    let state_width = states.iter().map(|s| s.chars().count()).max().unwrap_or(0);
    // Phone and state matter most; the task id is the first to go. Who submitted each is
    // shown once another desk's tasks are in the list.
    let others = app.tasks.has_others();
    let by = |task: &super::super::model::TaskView| {
        if app.tasks.is_own(task) {
            "you".to_string()
        } else if task.submitter.is_empty() {
            "-".to_string()
        } else {
            task.submitter.clone()
        }
    };
    let mut cols = vec![
        col("phone", 13, 16, 0),
        col("task", 8, 24, 5),
        col("age", 4, 4, 3).right(),
        col("polls", 5, 5, 4).right(),
        col("next", 7, 7, 1).right(),
        col(
            "state",
            12,
            u16::try_from(state_width).unwrap_or(u16::MAX),
            0,
        ),
    ];
    if others {
        cols.insert(1, col("by", 5, 12, 2));
    }
    let table = Fitted::new(&cols, inner.width);
    let visible = inner.height.saturating_sub(1) as usize;
    laid.tasks_height = visible as u16;
    // Keep the selection visible.
    let offset = app.tasks.selected.saturating_sub(visible.saturating_sub(1));
    let mut rows = vec![table.header(t.muted())];
    for (i, task) in app.tasks.list.iter().enumerate().skip(offset).take(visible) {
        let next = if task.status == TaskStatus::Pending {
            if app.tasks.is_polling(&task.task_id) {
                "polling".to_string()
            } else {
                clock((task.next_poll_at - app.now).whole_seconds())
            }
        } else {
            "-".to_string()
        };
        let state = states[i].clone();
        let style = if focused && i == app.tasks.selected {
            t.selection()
        } else {
            match task.status {
                TaskStatus::Pending => t.fg(t.pending),
                TaskStatus::Paused => t.fg(t.warn),
                TaskStatus::Done => t.fg(t.ok),
                TaskStatus::Failed | TaskStatus::Expired => t.fg(t.risk_high),
            }
        };
        let row_area = Rect::new(inner.x, inner.y + 1 + (i - offset) as u16, inner.width, 1);
        laid.tasks.push((row_area, i));
        let mut cells = vec![
            show_phone(&task.phone, app.reveal),
            task.task_id.clone(),
            age((app.now - task.created_at).whole_seconds()),
            task.attempts.to_string(),
            next,
            state,
        ];
        if others {
            cells.insert(1, by(task));
        }
        rows.push(table.row(&cells, style));
    }
    table.draw(frame, inner, rows);
}

#[cfg(test)]
mod tests {
    use super::super::super::app::{App, AppSettings};
    use super::super::super::message::{Command, Message};
    use super::super::super::model::{TaskStatus, TaskUpdate, TaskView};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::layout::Rect;
    use time::macros::datetime;

    fn task(status: TaskStatus, reason: &str) -> TaskView {
        let now = datetime!(2026-03-03 14:05:00 UTC);
        TaskView {
            task_id: "T-paused".into(),
            phone: "+525512345678".into(),
            created_at: now - time::Duration::minutes(3),
            attempts: 2,
            next_poll_at: now,
            status,
            reason: reason.into(),
            submitter: String::new(),
        }
    }

    fn panel(app: &App) -> String {
        let mut t = Terminal::new(TestBackend::new(140, 5)).unwrap();
        t.draw(|f| {
            super::draw(f, app, Rect::new(0, 0, 140, 5), &mut Default::default());
        })
        .unwrap();
        let buf = t.backend().buffer().clone();
        (0..5)
            .map(|y| (0..140).map(|x| buf[(x, y)].symbol()).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn a_paused_task_shows_why_and_is_not_polled_again() {
        let now = datetime!(2026-03-03 14:05:00 UTC);
        let mut app = App::new(AppSettings::default(), now);
        app.set_now(now);
        let cmds = app.update(Message::TasksLoaded(Ok(vec![task(
            TaskStatus::Pending,
            "",
        )])));
        assert!(matches!(&cmds[..], [Command::PollTask { .. }]), "{cmds:?}");
        let reason = "unauthorized: AccuAuth refused the API id; fix the configuration, then \
                      restart the console or run `riskdesk tasks --resume`";
        app.update(Message::TaskPolled {
            task_id: "T-paused".into(),
            update: Ok(Box::new(TaskUpdate {
                task: task(TaskStatus::Paused, reason),
                answer: None,
            })),
        });
        let notice = app.notice.clone().unwrap().text;
        assert!(notice.contains("paused: unauthorized"), "{notice}");
        assert_eq!(app.tasks.pending(), 0);
        assert!(!app.wants_tick(), "nothing to poll: no clock");
        app.set_now(now + time::Duration::hours(1));
        assert!(
            app.update(Message::Tick).is_empty(),
            "a paused task is not polled"
        );

        let text = panel(&app);
        assert!(
            text.contains("Phone tasks · 0 pending · 1 paused"),
            "{text}"
        );
        assert!(
            text.contains("paused: unauthorized: AccuAuth refused"),
            "{text}"
        );
    }
}
