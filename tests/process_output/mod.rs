//! Reading a finished `riskdesk` process in the tests that run the binary: its exit code,
//! its stdout as JSON lines, and everything it said, for an assertion's message.

#![allow(dead_code)]

use serde_json::Value;
use std::process::Output;

/// The exit code (a test process is never killed by a signal).
pub fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

/// Stdout as text; riskdesk writes UTF-8 only.
pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

/// Stdout's lines, each one JSON value (`--json`).
pub fn json_lines(out: &Output) -> Vec<Value> {
    stdout(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

/// Status, stdout and stderr, for an assertion's message.
pub fn explain(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
