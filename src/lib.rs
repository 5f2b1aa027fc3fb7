//! riskdesk: a terminal console for credit underwriters and the support staff behind them.
//!
//! Layers only look down (see DESIGN.md): `tui` and `cli` on top, `phone_tasks` and
//! `history` below them, the shared `vendor` client under those, and the plain domain
//! (`applicant`, `check`, `report`, `config`) at the bottom. `sandbox` is an independent
//! vendor simulator that imports nothing above it.

pub mod applicant;
pub mod check;
pub mod cli;
pub mod config;
pub mod history;
pub mod lookup;
pub mod phone;
pub mod phone_tasks;
pub mod report;
pub mod sandbox;
pub mod tui;
pub mod vendor;
