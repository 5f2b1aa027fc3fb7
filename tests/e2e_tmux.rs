//! The real binary in tmux, on the built-in sandbox: type an applicant, run all checks,
//! wait for every tab and the phone task, start the next applicant with the new-applicant
//! key and review them, search history, see an applicant's case, open a past lookup, quit,
//! and find the shell prompt back. Skips (with a message) where tmux is not installed;
//! `.ci/run` installs it.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux")
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "e2e"];
        args.extend_from_slice(keys);
        let out = self.cmd(&args);
        assert!(out.status.success(), "send-keys {keys:?}: {out:?}");
        // Let the console take each batch as separate events, as a person's typing is.
        std::thread::sleep(Duration::from_millis(60));
    }

    fn literal(&self, text: &str) {
        self.keys(&["-l", text]);
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "e2e"]).stdout).into_owned()
    }

    fn wait_for(&self, what: &str, timeout: Duration, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            if start.elapsed() > timeout {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_text(&self, text: &str, timeout: Duration) -> String {
        self.wait_for(text, timeout, |s| s.contains(text))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn console_end_to_end_on_the_sandbox() {
    if !tmux_available() {
        eprintln!(
            "SKIPPED console_end_to_end_on_the_sandbox: tmux is not installed (.ci/run installs it)"
        );
        return;
    }
    let bin = env!("CARGO_BIN_EXE_riskdesk");
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let config_home = dir.path().join("config");
    std::fs::create_dir_all(&config_home).unwrap();
    let t = Tmux {
        socket: format!("riskdesk-e2e-{}", std::process::id()),
    };
    let out = t.cmd(&[
        "new-session",
        "-d",
        "-s",
        "e2e",
        "-x",
        "120",
        "-y",
        "40",
        "env",
        "PS1=e2e-prompt$ ",
        &format!("XDG_CONFIG_HOME={}", config_home.display()),
        &format!("HOME={}", dir.path().display()),
        "TERM=xterm-256color",
        "sh",
        "-i",
    ]);
    assert!(out.status.success(), "tmux new-session: {out:?}");
    t.wait_text("e2e-prompt$", Duration::from_secs(10));
    t.literal(&format!(
        "{bin} --sandbox --data-dir {}",
        shell_quote(&data)
    ));
    t.keys(&["Enter"]);
    let s = t.wait_text("live review", Duration::from_secs(30));
    assert!(s.contains("SANDBOX"), "{s}");

    // A Mexican applicant: phone status (a task) and multiplatform.
    t.keys(&["Up"]); // from the phone to the country selector
    t.keys(&["m"]);
    t.keys(&["Down"]);
    t.literal("5512340001");
    t.keys(&["Down"]);
    t.literal("RDSK800101HDFMPL02");
    t.keys(&["Down"]);
    t.literal("Juan Perez");
    t.keys(&["C-r"]);
    t.wait_text("Multi ok", Duration::from_secs(30));
    t.wait_text("1 pending", Duration::from_secs(30));
    let s = t.wait_text("Phone ok", Duration::from_secs(90));
    assert!(s.contains("0 pending"), "{s}");
    assert!(!s.contains("5512340001"), "phone masked:\n{s}");

    // The next applicant, with the new-applicant key: form and results clear, focus on the
    // phone. None of the first applicant's results may show for the second.
    t.keys(&["C-l"]);
    let s = t.wait_text("new applicant", Duration::from_secs(10));
    let strip = s.lines().nth(1).unwrap_or("").to_string();
    assert!(
        !strip.contains("ok") && !strip.contains("pending"),
        "strip after the new-applicant key: {strip}\n{s}"
    );
    assert!(!s.contains("Juan Perez"), "form cleared:\n{s}");

    // An Indonesian applicant: debts report and credit willingness.
    t.keys(&["Up"]); // from the phone to the country selector
    t.keys(&["i"]);
    t.keys(&["Down"]);
    t.literal("081234567890");
    t.keys(&["C-r"]);
    let s = t.wait_for("both Indonesian checks", Duration::from_secs(30), |s| {
        s.contains("Debts ok") && s.contains("Willing ok")
    });
    let strip = s.lines().nth(1).unwrap_or("").to_string();
    assert!(
        !strip.contains("Multi ok") && !strip.contains("Phone ok"),
        "the first applicant's results on the second's strip: {strip}"
    );

    // History: search as you type, open a past lookup read-only.
    t.keys(&["C-f"]);
    t.wait_text("Search history", Duration::from_secs(10));
    t.literal("Juan");
    t.wait_text("Juan Perez", Duration::from_secs(10));
    // The selected lookup's applicant: their case, then Esc back to the search as it was.
    t.keys(&["C-a"]);
    let s = t.wait_text("Timeline", Duration::from_secs(10));
    assert!(
        s.contains("applicant case") && s.contains("Lookup #"),
        "{s}"
    );
    assert!(!s.contains("5512340001"), "phone masked in the case:\n{s}");
    t.keys(&["Escape"]);
    t.wait_text("Juan Perez", Duration::from_secs(10));
    t.keys(&["Enter"]);
    let s = t.wait_text("read-only", Duration::from_secs(10));
    assert!(s.contains("stored lookup #"), "{s}");
    // Export it for a ticket: a JSON file only its owner can read.
    t.keys(&["C-s"]);
    t.wait_text("exported to", Duration::from_secs(10));
    let files: Vec<_> = std::fs::read_dir(data.join("exports"))
        .expect("exports dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    let export = files
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("a readable JSON export")
        .clone();
    // Beside it, the vendor's body byte for byte (as `history show --raw`).
    let raw = export.with_extension("raw");
    assert!(files.contains(&raw), "{files:?}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&export).unwrap()).expect("export is JSON");
    assert!(json.get("raw_response").is_some(), "{json}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&export).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "export readable by others: {mode:o}");
    }

    // Back to the live review, then quit; the shell prompt returns.
    t.keys(&["Escape"]);
    t.keys(&["Escape"]);
    t.wait_text("live review", Duration::from_secs(10));
    t.keys(&["q"]);
    let s = t.wait_for("the shell prompt", Duration::from_secs(10), |s| {
        !s.contains("live review") && s.trim_end().ends_with("e2e-prompt$")
    });
    assert!(!s.contains("riskdesk  SANDBOX"), "{s}");
    assert!(data.join("history.db").exists(), "the lookups were stored");
}

fn shell_quote(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', r"'\''"))
}
