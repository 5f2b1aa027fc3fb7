//! The console: an Elm-shaped ratatui app. `Message`s (keys, mouse, vendor answers, poll
//! and store results) go through `App::update`, which changes state and returns
//! `Command`s without doing I/O; the runtime runs those on tokio and sends their results
//! back as messages; the screen is drawn only when state changed.

pub mod app;
mod app_input;
mod app_run;
mod app_tasks;
pub mod checks;
pub mod convert;
pub mod fields;
pub mod form;
pub mod format;
pub mod history;
pub mod keymap;
pub mod keyspec;
pub mod live;
pub mod message;
pub mod model;
mod runtime;
pub mod theme;
pub mod view;

pub use app::{App, AppSettings, Pane, Screen};
pub use app_run::poll_delay;
pub use checks::Slot;
pub use message::{Command, Message};
pub use runtime::{ConsoleContext, run, settings_from};
