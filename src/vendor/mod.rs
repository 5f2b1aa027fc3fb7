//! The one shared vendor client: per-vendor auth, envelope parsing, the error taxonomy,
//! a retry policy for what is safe to retry, and redaction. Everything parse-shaped lives
//! in pure functions ([`envelope`], [`error`], [`request`], [`retry`]); the async client
//! in [`client`] is a thin wrapper around them.

pub mod client;
pub mod envelope;
pub mod error;
pub mod request;
pub mod result;
pub mod retry;

#[cfg(test)]
mod envelope_tests;
#[cfg(test)]
mod error_tests;

pub use client::VendorClient;
pub use envelope::{Answer, Endpoint, interpret};
pub use error::{ErrorKind, VendorError};
pub use result::{Attempt, CheckResult};
