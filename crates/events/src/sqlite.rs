//! The SQLite backend: one database file in WAL mode, the default store.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use rusqlite::{Connection, OptionalExtension, params};

use crate::{Event, Question, Vote, faults, now};

/// The migrations, applied in order; the version of each is its position (1-based).
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../migrations/0001_init.sql")),
    ("0002_session_ts", include_str!("../migrations/0002_session_ts.sql")),
    ("0003_revoked_sessions", include_str!("../migrations/0003_revoked_sessions.sql")),
    ("0004_learning", include_str!("../migrations/0004_learning.sql")),
];

/// The database file's name when none is configured: next to the index folder.
pub const DEFAULT_FILE: &str = "kotae-events.sqlite3";

/// Open a connection with Kotae's settings: WAL, full sync, a busy timeout, foreign code off.
pub fn connect(path: &Path) -> anyhow::Result<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let conn = Connection::open(path).with_context(|| format!("opening the events database {}", path.display()))?;
    conn.busy_timeout(Duration::from_secs(10))?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    anyhow::ensure!(mode.eq_ignore_ascii_case("wal"), "{}: cannot switch to WAL mode (got {mode})", path.display());
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(conn)
}

/// Whether `e`, or an error it came from, is SQLite's "attempt to write a readonly database".
pub fn is_read_only(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<rusqlite::Error>().and_then(rusqlite::Error::sqlite_error_code) == Some(rusqlite::ErrorCode::ReadOnly)
    })
}

/// Write to the database and roll it back: fails as a real write would (read-only file, folder
/// or `-wal`/`-shm` files), which reading, or even starting a write transaction, does not show.
fn probe_write(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch("BEGIN IMMEDIATE")?;
    let wrote = conn.execute_batch("CREATE TABLE kotae_write_probe (x INTEGER)");
    let rolled_back = conn.execute_batch("ROLLBACK");
    wrote.and(rolled_back)
}

/// Apply the migrations not yet recorded in `schema_version`; returns the version now.
pub fn migrate(conn: &mut Connection) -> anyhow::Result<usize> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)")?;
    let current: usize = conn.query_row("SELECT COALESCE(MAX(version), 0) FROM schema_version", [], |r| r.get(0))?;
    anyhow::ensure!(
        current <= MIGRATIONS.len(),
        "the events database is at schema version {current}, newer than this kotae ({}); upgrade kotae",
        MIGRATIONS.len()
    );
    for (i, (name, sql)) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql).with_context(|| format!("applying migration {name}"))?;
        tx.execute("INSERT INTO schema_version (version, name, applied_at) VALUES (?1, ?2, ?3)", params![i + 1, name, now()])?;
        tx.commit()?;
        tracing::info!(migration = name, "events database migrated");
    }
    Ok(MIGRATIONS.len())
}

pub(crate) fn insert(conn: &Connection, event: &Event) -> rusqlite::Result<()> {
    const EV: &str = "INSERT INTO events (ts, kind, session, search_id, article, rank, helpful, comment, query, channel, action, reason, client) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
    const NO: Option<String> = None;
    match event {
        Event::Search(s) => {
            let top = serde_json::to_string(&s.top_ids).unwrap_or_else(|_| "[]".into());
            conn.prepare_cached(
                "INSERT OR IGNORE INTO searches (id, ts, session, prev, query, normalized, source, audience, hits, top_ids, latency_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![s.id, s.ts, s.session, s.prev, s.query, s.normalized, s.source, s.audience, s.hits as i64, top, s.latency_ms as i64])?;
        }
        Event::Click { ts, session, search_id, article, rank, query, client } => {
            conn.prepare_cached(EV)?.execute(params![ts, "click", session, search_id, article, rank, None::<i64>, NO, query, NO, NO, NO, client])?;
        }
        Event::View { ts, session, search_id, article } => {
            conn.prepare_cached(EV)?.execute(params![ts, "view", session, search_id, article, None::<i64>, None::<i64>, NO, NO, NO, NO, NO, NO])?;
        }
        Event::Vote(v) => {
            conn.prepare_cached(EV)?.execute(params![v.ts, "vote", v.session, v.search_id, v.article, None::<i64>, v.helpful as i64, v.comment, v.query, NO, NO, NO, v.client])?;
        }
        Event::Handover { ts, session, search_id, query, handover: h } => {
            conn.prepare_cached(EV)?.execute(params![ts, "handover", session, search_id, h.article, None::<i64>, None::<i64>, NO, query, h.channel, h.action, h.reason, NO])?;
        }
    }
    Ok(())
}

/// The events database: one connection for synchronous writes and reads.
pub struct Store {
    path: PathBuf,
    conn: Mutex<(Connection, faults::Seen)>,
}

impl Store {
    /// Open (creating it if needed) and migrate the database at `path`.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let mut conn = connect(path)?;
        migrate(&mut conn)?;
        Ok(Store { path: path.to_path_buf(), conn: Mutex::new((conn, faults::Seen::new(path))) })
    }

    /// Open for recording, as the service does: like [`Store::open`], but first make sure the
    /// database can be written. A read-only database (the file, its folder or its file system,
    /// or `-wal`/`-shm` files beside it that this user cannot write) is refused with a message
    /// that says so, whether or not stale `-wal`/`-shm` files let SQLite read it: recording into
    /// it would lose every event, vote and question.
    pub fn open_for_recording(path: &Path) -> anyhow::Result<Self> {
        let refuse = |e: anyhow::Error| {
            if is_read_only(&e) {
                e.context(format!(
                    "the events database {} is read-only: kotae would lose every event, vote and question. Make the file, \
                     its folder and any -wal/-shm files beside it writable by the user kotae runs as, or set events_db \
                     (KOTAE_EVENTS_DB) to a writable place",
                    path.display()
                ))
            } else {
                e
            }
        };
        let mut conn = connect(path).map_err(refuse)?;
        if let Err(e) = probe_write(&conn) {
            let e = anyhow::Error::from(e);
            if is_read_only(&e) {
                return Err(refuse(e));
            }
            tracing::warn!(error = format!("{e:#}"), "cannot check that the events database is writable");
        }
        migrate(&mut conn).map_err(refuse)?;
        Ok(Store { path: path.to_path_buf(), conn: Mutex::new((conn, faults::Seen::new(path))) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Run `f` with the store's connection.
    pub fn with<T>(&self, f: impl FnOnce(&mut Connection) -> anyhow::Result<T>) -> anyhow::Result<T> {
        let mut guard = self.conn.lock().map_err(|_| anyhow::anyhow!("the events connection is poisoned"))?;
        let (conn, seen) = &mut *guard;
        seen.apply(conn);
        f(conn)
    }

    /// Write events in one committed transaction.
    pub fn record_all(&self, events: &[Event]) -> anyhow::Result<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            for e in events {
                insert(&tx, e)?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// Write a vote; committed when this returns.
    pub fn record_vote(&self, vote: Vote) -> anyhow::Result<()> {
        self.record_all(&[Event::Vote(vote)])
    }

    /// Write a question; committed when this returns. Returns its row id.
    pub fn record_question(&self, q: &Question) -> anyhow::Result<i64> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO questions (ts, session, search_id, article, query, question, contact) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![q.ts, q.session, q.search_id, q.article, q.query, q.question, q.contact],
            )?;
            let id = tx.last_insert_rowid();
            tx.commit()?;
            Ok(id)
        })
    }

    /// Delete everything older than `days` days before `now`; returns the rows deleted.
    /// `days` 0 means no retention limit (as 0 means "off" in every other setting): nothing is
    /// deleted.
    pub fn purge(&self, days: u32, now: i64) -> anyhow::Result<usize> {
        if days == 0 {
            return Ok(0);
        }
        let cutoff = now - i64::from(days) * 86_400;
        self.with(|conn| {
            let tx = conn.transaction()?;
            let mut n = 0;
            for table in ["searches", "events", "questions"] {
                n += tx.execute(&format!("DELETE FROM {table} WHERE ts < ?1"), [cutoff])?;
            }
            tx.commit()?;
            Ok(n)
        })
    }

    /// Views, helpful and unhelpful votes per article since `since`, for the most popular FAQs.
    pub fn popularity(&self, since: i64) -> anyhow::Result<Vec<(String, u64, u64, u64)>> {
        self.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT article, SUM(kind = 'view'), SUM(kind = 'vote' AND helpful = 1), SUM(kind = 'vote' AND helpful = 0) FROM events
                 WHERE ts >= ?1 AND article IS NOT NULL AND kind IN ('view', 'vote') GROUP BY article",
            )?;
            let n = |r: &rusqlite::Row, i: usize| r.get::<_, i64>(i).map(|v| v.max(0) as u64);
            let rows = stmt
                .query_map([since], |r| Ok((r.get::<_, String>(0)?, n(r, 1)?, n(r, 2)?, n(r, 3)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// The session a search was made in, if it is known.
    pub fn search_session(&self, search_id: &str) -> anyhow::Result<Option<String>> {
        self.with(|conn| {
            Ok(conn
                .query_row("SELECT session FROM searches WHERE id = ?1", [search_id], |r| r.get::<_, Option<String>>(0))
                .optional()?
                .flatten())
        })
    }

    /// How many rows a table holds (for tests and health checks).
    /// Record that the console session `id` was logged out; it stays refused until `until`
    /// (Unix seconds, its expiry). Committed when this returns. Revocations already past their
    /// expiry are deleted on the way.
    pub fn revoke_session(&self, id: &str, until: i64) -> anyhow::Result<()> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            tx.execute("DELETE FROM revoked_sessions WHERE until <= ?1", [crate::now()])?;
            tx.execute(
                "INSERT INTO revoked_sessions (id, until) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET until = MAX(until, excluded.until)",
                rusqlite::params![id, until],
            )?;
            tx.commit()?;
            Ok(())
        })
    }

    /// Whether the console session `id` was logged out (and its revocation still runs at `now`).
    pub fn is_revoked(&self, id: &str, now: i64) -> anyhow::Result<bool> {
        use rusqlite::OptionalExtension;
        self.with(|conn| {
            Ok(conn
                .query_row("SELECT 1 FROM revoked_sessions WHERE id = ?1 AND until > ?2", rusqlite::params![id, now], |_| Ok(()))
                .optional()?
                .is_some())
        })
    }

    /// Whether the database answers (for the readiness check).
    pub fn ping(&self) -> anyhow::Result<()> {
        self.with(|conn| Ok(conn.query_row("SELECT 1", [], |_| Ok(()))?))
    }

    pub fn count(&self, table: &str, filter: &str) -> anyhow::Result<i64> {
        let sql = format!("SELECT COUNT(*) FROM {table}{}", if filter.is_empty() { String::new() } else { format!(" WHERE {filter}") });
        self.with(|conn| Ok(conn.query_row(&sql, [], |r| r.get(0))?))
    }
}

/// The writer's own connection to the database file.
pub(crate) struct SqliteSink {
    conn: Connection,
    seen: faults::Seen,
}

impl SqliteSink {
    pub(crate) fn open(path: &Path) -> anyhow::Result<Self> {
        Ok(SqliteSink { conn: connect(path)?, seen: faults::Seen::new(path) })
    }
}

impl crate::writer::Sink for SqliteSink {
    fn write(&mut self, batch: &[Event]) -> anyhow::Result<()> {
        self.seen.apply(&self.conn);
        let tx = self.conn.transaction()?;
        for e in batch {
            insert(&tx, e)?;
        }
        tx.commit()?;
        Ok(())
    }

    fn retries(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Search, Writer};

    fn search(id: &str, ts: i64, q: &str) -> Event {
        Event::Search(Search {
            id: id.into(),
            ts,
            session: None,
            prev: None,
            query: q.into(),
            normalized: q.into(),
            source: "help".into(),
            audience: "public".into(),
            hits: 1,
            top_ids: vec!["a".into()],
            latency_ms: 3,
        })
    }

    #[test]
    fn migrations_are_recorded_and_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.sqlite3");
        drop(Store::open(&path).unwrap());
        let store = Store::open(&path).unwrap();
        assert_eq!(store.count("schema_version", "").unwrap(), MIGRATIONS.len() as i64);
        let mode: String = store.with(|c| Ok(c.query_row("PRAGMA journal_mode", [], |r| r.get(0))?)).unwrap();
        assert_eq!(mode, "wal");
    }

    #[test]
    fn writer_batches_and_flushes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.sqlite3");
        let store = Store::open(&path).unwrap();
        let writer = Writer::start(&path).unwrap();
        for i in 0..1200 {
            writer.send(search(&format!("s{i}"), 100 + i, "q"));
        }
        writer.flush();
        assert_eq!(store.count("searches", "").unwrap(), 1200);
    }

    #[test]
    fn retention_deletes_old_rows_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("e.sqlite3")).unwrap();
        let now = 1_000 * 86_400;
        let old = now - 31 * 86_400;
        let edge = now - 30 * 86_400; // exactly at the cut-off: kept
        let new = now - 86_400;
        store.record_all(&[search("old", old, "a"), search("edge", edge, "b"), search("new", new, "c")]).unwrap();
        for ts in [old, edge, new] {
            store.record_all(&[Event::View { ts, session: None, search_id: None, article: "a".into() }]).unwrap();
            store
                .record_question(&Question { ts, session: None, search_id: None, article: None, query: None, question: "?".into(), contact: None })
                .unwrap();
        }
        assert_eq!(store.purge(30, now).unwrap(), 3);
        let ids: Vec<String> = store
            .with(|c| Ok(c.prepare("SELECT id FROM searches ORDER BY ts")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?))
            .unwrap();
        assert_eq!(ids, ["edge", "new"]);
        assert_eq!(store.count("events", "").unwrap(), 2);
        assert_eq!(store.count("questions", "").unwrap(), 2);
        assert_eq!(store.count("events", &format!("ts = {old}")).unwrap(), 0);
    }

    #[test]
    fn retention_zero_is_off_and_keeps_every_row() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("e.sqlite3")).unwrap();
        let now = 1_000 * 86_400;
        for (i, ts) in [now - 400 * 86_400, now - 86_400, now].into_iter().enumerate() {
            store.record_all(&[search(&format!("s{i}"), ts, "a"), Event::View { ts, session: None, search_id: None, article: "a".into() }]).unwrap();
            store
                .record_question(&Question { ts, session: None, search_id: None, article: None, query: None, question: "?".into(), contact: None })
                .unwrap();
        }
        assert_eq!(store.purge(0, now).unwrap(), 0);
        assert_eq!(store.purge(0, now + 10_000 * 86_400).unwrap(), 0);
        for table in ["searches", "events", "questions"] {
            assert_eq!(store.count(table, "").unwrap(), 3, "{table}");
        }
    }

    fn vote(article: &str) -> Vote {
        Vote { ts: now(), session: None, search_id: None, article: article.into(), helpful: true, query: None, comment: Some("x".repeat(400)), client: None }
    }

    #[test]
    fn a_full_disk_fails_durable_writes_drops_batches_and_recovers() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.sqlite3");
        let store = Store::open(&path).unwrap();
        let writer = Writer::start(&path).unwrap();
        store.record_vote(vote("before")).unwrap();

        faults::simulate_disk_full(&path, true).unwrap();
        // Votes that still fit in the pages there may succeed; the disk then fills up.
        let error = (0..200).find_map(|i| store.record_vote(vote(&format!("v{i}"))).err()).expect("a vote is refused once the disk is full");
        assert!(format!("{error:#}").contains("full"), "{error:#}");
        let question = Question { ts: now(), session: None, search_id: None, article: None, query: None, question: "?".repeat(1500), contact: None };
        let stored = (0..20).take_while(|_| store.record_question(&question).is_ok()).count();
        assert!(stored < 20, "questions are refused too once their pages are full");
        for i in 0..1000 {
            writer.send(search(&format!("full{i}"), now(), "返品したい"));
        }
        writer.flush();
        assert!(writer.stats().dropped() >= 500, "batches that do not fit are dropped: {}", writer.stats().dropped());
        let stored_while_full = store.count("searches", "id LIKE 'full%'").unwrap();
        assert!(stored_while_full < 1000, "{stored_while_full} searches stored on a full disk");
        assert!(store.count("events", "kind = 'vote'").unwrap() >= 1, "what was committed before stays");

        faults::simulate_disk_full(&path, false).unwrap();
        store.record_vote(vote("after")).unwrap();
        assert_eq!(store.record_question(&question).map(|id| id > 0).ok(), Some(true));
        let written = writer.stats().written();
        for i in 0..600 {
            writer.send(search(&format!("again{i}"), now(), "返品したい"));
        }
        writer.flush();
        assert_eq!(store.count("searches", "id LIKE 'again%'").unwrap(), 600, "recording resumes once there is room");
        assert_eq!(writer.stats().written(), written + 600);
        assert_eq!(store.count("events", "article = 'after'").unwrap(), 1);
    }
}
