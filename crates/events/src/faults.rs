//! Fault injection for tests: make a database behave as if its disk were full.
//!
//! SQLite's `max_page_count` is lowered to the database's size on every connection Kotae
//! opened to it, so any write that needs a new page fails with `SQLITE_FULL` ("database or
//! disk is full"), the very error a full disk gives; writes that fit in pages already there
//! still succeed, as they would on a real full disk. Nothing is simulated until
//! [`simulate_disk_full`] is called, and then only for that database file.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::Connection;

/// SQLite's largest page count: no limit.
const UNLIMITED: u32 = 4_294_967_294;

/// Bumped on every change, so that connections notice it with one atomic load.
static VERSION: AtomicU64 = AtomicU64::new(0);
/// The databases with a simulated full disk, and their size limit in pages.
static FULL: Mutex<Vec<(PathBuf, u32)>> = Mutex::new(Vec::new());

fn key(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// From now on the database at `path` cannot grow (`true`), or can again (`false`).
pub fn simulate_disk_full(path: &Path, full: bool) -> anyhow::Result<()> {
    let key = key(path);
    let mut list = FULL.lock().map_err(|_| anyhow::anyhow!("fault list poisoned"))?;
    list.retain(|(p, _)| *p != key);
    if full {
        let conn = Connection::open(&key)?;
        let pages: u32 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        list.push((key, pages.max(1)));
    }
    VERSION.fetch_add(1, Ordering::SeqCst);
    Ok(())
}

/// One connection's view of the simulated faults.
pub(crate) struct Seen {
    path: PathBuf,
    version: u64,
}

impl Seen {
    pub(crate) fn new(path: &Path) -> Self {
        Seen { path: key(path), version: 0 }
    }

    /// Bring `conn`'s page limit in line with the simulated faults, if they changed.
    pub(crate) fn apply(&mut self, conn: &Connection) {
        let version = VERSION.load(Ordering::SeqCst);
        if version == self.version {
            return;
        }
        self.version = version;
        let limit = FULL
            .lock()
            .ok()
            .and_then(|list| list.iter().find(|(p, _)| *p == self.path).map(|(_, n)| *n))
            .unwrap_or(UNLIMITED);
        if let Err(e) = conn.query_row(&format!("PRAGMA max_page_count = {limit}"), [], |_| Ok(())) {
            tracing::warn!(error = %e, "cannot set max_page_count");
        }
    }
}
