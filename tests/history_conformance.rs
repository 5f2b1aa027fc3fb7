//! The `History` conformance suite (`tests/conformance`) run against the SQLite backend:
//! one test per check, each history a fresh file in its own temporary directory.

#[macro_use]
mod conformance;

use riskdesk::history::{SharedHistory, SqliteHistory};
use std::cell::RefCell;
use std::sync::Arc;

thread_local! {
    /// The directories of this test's histories, removed when its thread ends.
    static DIRS: RefCell<Vec<tempfile::TempDir>> = const { RefCell::new(Vec::new()) };
}

fn open_sqlite() -> SharedHistory {
    let dir = tempfile::tempdir().expect("temp dir");
    let h = SqliteHistory::open_in_data_dir(&dir.path().join("data")).expect("open history");
    DIRS.with(|d| d.borrow_mut().push(dir));
    Arc::new(h)
}

conformance_tests!(open_sqlite);
