//! `riskdesk completions` and `riskdesk man`: generated from the clap definitions, no session.

use std::process::{Command, Output};

fn riskdesk(args: &[&str]) -> Output {
    let scratch = tempfile::tempdir().unwrap();
    // Point config and data at an empty directory: these commands must not need either.
    Command::new(env!("CARGO_BIN_EXE_riskdesk"))
        .args(args)
        .env("HOME", scratch.path())
        .env("XDG_CONFIG_HOME", scratch.path())
        .env("XDG_DATA_HOME", scratch.path())
        .output()
        .unwrap()
}

fn stdout_of(args: &[&str]) -> String {
    let out = riskdesk(args);
    assert!(
        out.status.success(),
        "riskdesk {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn bash_completion_names_the_subcommands() {
    let script = stdout_of(&["completions", "bash"]);
    assert!(script.contains("history"), "{script}");
    assert!(script.contains("check"), "{script}");
}

#[test]
fn other_shells_succeed() {
    for shell in ["zsh", "fish", "powershell"] {
        let script = stdout_of(&["completions", shell]);
        assert!(script.contains("riskdesk"), "{shell}: {script}");
    }
}

#[test]
fn unknown_shell_is_a_usage_error() {
    let out = riskdesk(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn man_page_is_roff_and_names_check() {
    let page = stdout_of(&["man"]);
    assert!(page.starts_with(".ie") || page.starts_with(".TH"), "{page}");
    assert!(page.contains(".TH riskdesk 1"), "{page}");
    assert!(page.contains("check"), "{page}");
}

#[test]
fn man_out_dir_writes_subcommand_pages() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("man1");
    stdout_of(&["man", "-o", target.to_str().unwrap()]);
    assert!(target.join("riskdesk.1").is_file());
    assert!(target.join("riskdesk-check.1").is_file());
    // Nothing besides the pages: no history, logs or state were created there.
    assert!(
        std::fs::read_dir(&target).unwrap().all(|e| e
            .unwrap()
            .path()
            .extension()
            .is_some_and(|x| x == "1"))
    );
}
