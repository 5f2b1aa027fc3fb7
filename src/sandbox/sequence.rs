//! Call counters for the rows whose answers change from one call to the next
//! (`sandbox::sequences()`).
//!
//! The built-in sandbox is started afresh by every riskdesk process, so a user who runs
//! `riskdesk check` three times must see the sequence advance across processes: with a
//! directory, each counter is a file under `<dir>/sandbox-sequence/`, and a call's number
//! is the file's length after appending one byte to it (an `O_APPEND` write is atomic, so
//! two processes never get the same number, and no lock is held). Without a directory the
//! counters live in memory, for one sandbox's life (`riskdesk sandbox`, tests).

use crate::check::CheckKind;
use std::collections::HashMap;
use std::io::{Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The directory under the data directory that holds the counters.
pub const SEQUENCE_DIR: &str = "sandbox-sequence";

/// Where the calls of each sequence row are counted.
#[derive(Debug, Default)]
pub(crate) struct Sequences {
    /// The data directory (counters in `<dir>/sandbox-sequence/`), or none: in memory.
    dir: Option<PathBuf>,
    memory: Mutex<HashMap<String, u64>>,
}

impl Sequences {
    pub fn new(dir: Option<PathBuf>) -> Sequences {
        Sequences {
            dir,
            memory: Mutex::new(HashMap::new()),
        }
    }

    /// This call's number (1 for the first) of the row (`check`, `key`), counting it. A
    /// directory that cannot be written falls back to memory, said in the log.
    pub fn next(&self, check: CheckKind, key: &str) -> u64 {
        let name = counter_name(check, key);
        if let Some(dir) = &self.dir {
            match next_in(dir, &name) {
                Ok(n) => return n,
                Err(e) => tracing::warn!(
                    dir = %dir.display(),
                    "sandbox: cannot count calls in the data directory ({e}); counting in memory"
                ),
            }
        }
        let mut m = self.memory.lock().unwrap_or_else(|p| p.into_inner());
        let n = m.entry(name).or_default();
        *n += 1;
        *n
    }
}

/// The counter's file name: the check and the row's key, letters, digits and `-` only.
pub fn counter_name(check: CheckKind, key: &str) -> String {
    let key: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_uppercase();
    format!("{}-{key}", check.cli_name())
}

/// Appends one byte to `<dir>/sandbox-sequence/<name>` and answers the file's length after
/// the write: this call's number, unique across threads and processes.
pub fn next_in(dir: &Path, name: &str) -> std::io::Result<u64> {
    let d = dir.join(SEQUENCE_DIR);
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&d)?;
    let mut o = std::fs::OpenOptions::new();
    o.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    let mut f = o.open(d.join(name))?;
    // O_APPEND: the kernel moves to the end and writes in one step, then the position is
    // just past this byte, whatever other writers did before or do after.
    f.write_all(b".")?;
    f.stream_position()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_counters_count_per_row() {
        let s = Sequences::new(None);
        let w = CheckKind::CreditWillingness;
        assert_eq!(s.next(w, "0812 4012 0001"), 1);
        assert_eq!(
            s.next(w, "081240120001"),
            2,
            "the same row, spelled otherwise"
        );
        assert_eq!(s.next(CheckKind::DebtsReport, "081240120001"), 1);
        assert_eq!(Sequences::new(None).next(w, "081240120001"), 1);
    }

    #[test]
    fn a_directory_keeps_counting_across_sandboxes() {
        let dir = tempfile::tempdir().unwrap();
        let w = CheckKind::CreditWillingness;
        let first = Sequences::new(Some(dir.path().to_path_buf()));
        assert_eq!(first.next(w, "081240120001"), 1);
        assert_eq!(first.next(w, "081240120001"), 2);
        drop(first);
        let second = Sequences::new(Some(dir.path().to_path_buf()));
        assert_eq!(second.next(w, "081240120001"), 3);
        let file = dir
            .path()
            .join(SEQUENCE_DIR)
            .join("credit-willingness-081240120001");
        assert_eq!(std::fs::metadata(&file).unwrap().len(), 3);
        // Deleting the directory starts every sequence again.
        std::fs::remove_dir_all(dir.path().join(SEQUENCE_DIR)).unwrap();
        assert_eq!(second.next(w, "081240120001"), 1);
    }

    #[test]
    fn an_unwritable_directory_counts_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, "").unwrap();
        let s = Sequences::new(Some(file));
        assert_eq!(s.next(CheckKind::PhoneStatus, "5540120001"), 1);
        assert_eq!(s.next(CheckKind::PhoneStatus, "5540120001"), 2);
    }

    #[test]
    fn threads_never_share_a_number() {
        let dir = tempfile::tempdir().unwrap();
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let d = dir.path().to_path_buf();
                std::thread::spawn(move || {
                    (0..50)
                        .map(|_| next_in(&d, "k").unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<u64> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        all.sort_unstable();
        assert_eq!(all, (1..=400).collect::<Vec<u64>>());
    }

    /// The child half of `processes_never_share_a_number`: counts 200 calls and prints
    /// the numbers it got.
    #[test]
    fn sequence_child_process() {
        let Some(dir) = std::env::var_os("RISKDESK_SEQUENCE_CHILD_DIR") else {
            return;
        };
        let got: Vec<String> = (0..200)
            .map(|_| next_in(Path::new(&dir), "k").unwrap().to_string())
            .collect();
        println!("numbers: {}", got.join(","));
    }

    #[test]
    fn processes_never_share_a_number() {
        let dir = tempfile::tempdir().unwrap();
        let exe = std::env::current_exe().unwrap();
        let children: Vec<_> = (0..3)
            .map(|_| {
                std::process::Command::new(&exe)
                    .args([
                        "--exact",
                        "sandbox::sequence::tests::sequence_child_process",
                        "--nocapture",
                        "--test-threads=1",
                    ])
                    .env("RISKDESK_SEQUENCE_CHILD_DIR", dir.path())
                    .stdout(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut all = Vec::new();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success());
            let text = String::from_utf8(out.stdout).unwrap();
            let line = text
                .lines()
                .find_map(|l| l.split_once("numbers: ").map(|(_, n)| n.trim()))
                .unwrap_or_else(|| panic!("no numbers from the child: {text}"));
            all.extend(line.split(',').map(|n| n.parse::<u64>().unwrap()));
        }
        all.sort_unstable();
        assert_eq!(all, (1..=600).collect::<Vec<u64>>());
    }
}
