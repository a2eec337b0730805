//! Kotae's feedback loop: what customers searched, found and did not find, stored durably in
//! SQLite, and the reports that turn it into writers' work.
//!
//! - [`Store`]: the database (WAL mode, versioned migrations from `migrations/`, retention).
//! - [`Writer`]: a background thread that batches high-volume events (searches, clicks, views,
//!   hand-overs) in transactions, so recording never slows a search.
//! - Votes and questions are written synchronously with [`Store::record_vote`] and
//!   [`Store::record_question`]: once they return, the row is committed.
//! - When the database cannot store anything (the disk is full), votes and questions return
//!   the error, so the service can say so; batched events are dropped with a warning in the
//!   log, and recording resumes by itself once there is room again. [`faults`] simulates a
//!   full disk for tests.
//! - [`report`]: the figures (top queries, zero-result queries, corpus gaps, helpful ratios,
//!   articles never found, self-resolution, questions, alias suggestions).

pub mod faults;
pub mod report;
pub mod signals;

pub use rusqlite;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

/// The migrations, applied in order; the version of each is its position (1-based).
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../migrations/0001_init.sql")),
    ("0002_session_ts", include_str!("../migrations/0002_session_ts.sql")),
    ("0003_learning", include_str!("../migrations/0003_learning.sql")),
];

/// The database file's name when none is configured: next to the index folder.
pub const DEFAULT_FILE: &str = "kotae-events.sqlite3";

/// Seconds since the Unix epoch, now.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

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

/// One search as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Search {
    pub id: String,
    pub ts: i64,
    pub session: Option<String>,
    /// The search this one followed (the previous results page's id).
    pub prev: Option<String>,
    pub query: String,
    pub normalized: String,
    /// `help` (the help page), `api` (the public API) or `console` (agents).
    pub source: String,
    pub audience: String,
    pub hits: u64,
    pub top_ids: Vec<String>,
    pub latency_ms: u64,
}

/// Why the contact channels were offered, or which one was used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Handover {
    /// `shown` (the contact block was shown) or `go` (a contact link was followed).
    pub action: String,
    /// `zero`, `low`, `no_vote`, `contact_page`.
    pub reason: Option<String>,
    pub channel: Option<String>,
    pub article: Option<String>,
}

/// Every kind of event.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Search(Search),
    /// `client`: a keyed hash of who clicked ([`Store::client_key`]), for the learned ranking.
    Click { ts: i64, session: Option<String>, search_id: Option<String>, article: String, rank: u32, query: Option<String>, client: Option<String> },
    View { ts: i64, session: Option<String>, search_id: Option<String>, article: String },
    Vote(Vote),
    Handover { ts: i64, session: Option<String>, search_id: Option<String>, query: Option<String>, handover: Handover },
}

/// A helpful yes/no vote.
#[derive(Debug, Clone, PartialEq)]
pub struct Vote {
    pub ts: i64,
    pub session: Option<String>,
    pub search_id: Option<String>,
    pub article: String,
    pub helpful: bool,
    pub query: Option<String>,
    pub comment: Option<String>,
    /// A keyed hash of who voted ([`Store::client_key`]), for the learned ranking.
    pub client: Option<String>,
}

/// A question sent from the help page when nothing answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Question {
    pub ts: i64,
    pub session: Option<String>,
    pub search_id: Option<String>,
    pub article: Option<String>,
    pub query: Option<String>,
    pub question: String,
    pub contact: Option<String>,
}

fn insert(conn: &Connection, event: &Event) -> rusqlite::Result<()> {
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
            conn.prepare_cached(EV)?.execute(params![ts, "view", session, search_id, article, None::<i64>, None::<i64>, None::<String>, NO, NO, NO, NO, NO])?;
        }
        Event::Vote(v) => {
            conn.prepare_cached(EV)?.execute(params![v.ts, "vote", v.session, v.search_id, v.article, None::<i64>, v.helpful as i64, v.comment, v.query, NO, NO, NO, v.client])?;
        }
        Event::Handover { ts, session, search_id, query, handover: h } => {
            conn.prepare_cached(EV)?.execute(params![ts, "handover", session, search_id, h.article, None::<i64>, None::<i64>, None::<String>, query, h.channel, h.action, h.reason, NO])?;
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
    pub fn count(&self, table: &str, filter: &str) -> anyhow::Result<i64> {
        let sql = format!("SELECT COUNT(*) FROM {table}{}", if filter.is_empty() { String::new() } else { format!(" WHERE {filter}") });
        self.with(|conn| Ok(conn.query_row(&sql, [], |r| r.get(0))?))
    }
}

enum Message {
    Event(Box<Event>),
    Flush(mpsc::Sender<()>),
}

/// Sends events to a background thread that writes them in batches. Cheap to clone; when the
/// last clone is dropped the thread writes what is left and stops.
#[derive(Clone)]
pub struct Writer {
    tx: SyncSender<Message>,
    stats: Arc<WriterStats>,
}

/// What the writer thread did since it started.
#[derive(Debug, Default)]
pub struct WriterStats {
    written: AtomicU64,
    dropped: AtomicU64,
}

impl WriterStats {
    /// Events committed to the database.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Events lost: the queue was full, or the database could not store them.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// While the database keeps failing, at most one warning per this interval.
const FAILURE_LOG_INTERVAL: Duration = Duration::from_secs(60);

/// Events waiting beyond this are dropped (and logged) rather than slowing requests.
pub const QUEUE: usize = 10_000;
/// At most this many events per transaction.
pub const BATCH: usize = 500;

impl Writer {
    /// Start the writer thread on its own connection to `path`.
    pub fn start(path: &Path) -> anyhow::Result<Self> {
        let conn = connect(path)?;
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let stats = Arc::new(WriterStats::default());
        let seen = faults::Seen::new(path);
        let thread_stats = stats.clone();
        std::thread::Builder::new().name("kotae-events".into()).spawn(move || run_writer(conn, seen, rx, &thread_stats))?;
        Ok(Writer { tx, stats })
    }

    /// What the writer did so far.
    pub fn stats(&self) -> &WriterStats {
        &self.stats
    }

    /// Queue an event; never blocks.
    pub fn send(&self, event: Event) {
        match self.tx.try_send(Message::Event(Box::new(event))) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::warn!("the events queue is full: an event was dropped");
            }
            Err(TrySendError::Disconnected(_)) => {
                self.stats.dropped.fetch_add(1, Ordering::Relaxed);
                tracing::warn!("the events writer has stopped: an event was dropped");
            }
        }
    }

    /// Wait until everything queued before this call is written.
    pub fn flush(&self) {
        let (tx, rx) = mpsc::channel();
        if self.tx.send(Message::Flush(tx)).is_ok() {
            let _ = rx.recv_timeout(Duration::from_secs(30));
        }
    }
}

/// The writer's record of a run of failed batches, for the log.
struct Failing {
    since: Instant,
    logged: Instant,
    dropped: u64,
}

fn run_writer(mut conn: Connection, mut seen: faults::Seen, rx: Receiver<Message>, stats: &WriterStats) {
    let mut batch: Vec<Event> = Vec::new();
    let mut acks: Vec<mpsc::Sender<()>> = Vec::new();
    let mut failing: Option<Failing> = None;
    loop {
        // Wait for the first message, then gather what else is already queued.
        let first = match rx.recv() {
            Ok(m) => m,
            Err(_) => return,
        };
        let mut disconnected = false;
        let push = |m: Message, batch: &mut Vec<Event>, acks: &mut Vec<mpsc::Sender<()>>| match m {
            Message::Event(e) => batch.push(*e),
            Message::Flush(ack) => acks.push(ack),
        };
        push(first, &mut batch, &mut acks);
        while batch.len() < BATCH && acks.is_empty() {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(m) => push(m, &mut batch, &mut acks),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => {
                    disconnected = true;
                    break;
                }
            }
        }
        if !batch.is_empty() {
            seen.apply(&conn);
            let result = (|| -> rusqlite::Result<()> {
                let tx = conn.transaction()?;
                for e in &batch {
                    insert(&tx, e)?;
                }
                tx.commit()
            })();
            let n = batch.len() as u64;
            match result {
                Ok(()) => {
                    stats.written.fetch_add(n, Ordering::Relaxed);
                    if let Some(f) = failing.take() {
                        tracing::warn!(
                            dropped = f.dropped,
                            failing_for_s = f.since.elapsed().as_secs(),
                            "the events database stores events again"
                        );
                    }
                }
                Err(e) => {
                    // Searches go on; only their record is lost. Log the first failure, then
                    // at most once a minute, so that a full disk does not also flood the log.
                    stats.dropped.fetch_add(n, Ordering::Relaxed);
                    let now = Instant::now();
                    match &mut failing {
                        None => {
                            tracing::warn!(error = %e, events = n, "the events database cannot store events (is the disk full?): dropping them until it can");
                            failing = Some(Failing { since: now, logged: now, dropped: n });
                        }
                        Some(f) => {
                            f.dropped += n;
                            if now.duration_since(f.logged) >= FAILURE_LOG_INTERVAL {
                                tracing::warn!(error = %e, dropped = f.dropped, failing_for_s = f.since.elapsed().as_secs(), "the events database still cannot store events: dropping them");
                                f.logged = now;
                            }
                        }
                    }
                }
            }
            batch.clear();
        }
        for ack in acks.drain(..) {
            let _ = ack.send(());
        }
        if disconnected {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
