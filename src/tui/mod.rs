//! The console: an Elm-shaped ratatui app. `Message`s (keys, mouse, vendor answers, poll
//! and store results, what the last draw laid out) go through `App::update`, which changes
//! state and returns `Command`s without doing I/O; the runtime runs those on tokio and
//! sends their results back as messages; the screen is drawn only when state changed, by a
//! pure function of the state that returns what it laid out. The parts of the screen are
//! components (`component::Component`): the applicant form, the check tabs, the phone-task
//! panel, the history pane, and the modals; `App` routes.

pub mod app;
pub mod case;
pub mod case_file;
pub mod checks;
mod checks_keys;
pub mod component;
pub mod convert;
pub mod fields;
pub mod form;
mod form_keys;
pub mod format;
pub mod hints;
pub mod history;
mod input;
pub mod keymap;
pub mod keyspec;
pub mod layout;
pub mod live;
pub mod message;
pub mod modal;
pub mod model;
mod review;
mod runtime;
mod saving;
pub mod tasks;
pub mod theme;
pub mod view;

pub use app::{App, AppSettings, Pane, Screen};
pub use checks::Slot;
pub use message::{Command, Message};
pub use runtime::{ConsoleContext, run, settings_from};
pub use tasks::poll_delay;
