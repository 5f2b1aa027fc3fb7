//! Contract tests for the shared vendor client against wiremock: the vendor pages' samples
//! replayed verbatim, every documented status and code, auth and encodings on the wire,
//! the retry policy, timeouts, secret redaction, and a parser that never panics.
//! One test binary; the parts live in `tests/vendor/`.

#[path = "vendor/contract.rs"]
mod contract;
#[path = "vendor/fuzz.rs"]
mod fuzz;
#[path = "vendor/policy.rs"]
mod policy;
#[path = "vendor/samples.rs"]
mod samples;
#[path = "vendor/sandbox_contract.rs"]
mod sandbox_contract;
#[path = "vendor/support.rs"]
mod support;
