//! [`EventStore`]: the one type the service and the commands use, whichever database holds
//! the events.

use std::sync::Arc;

use crate::{Event, PgStore, Question, Store, Vote, Writer};

/// Where the events are: a SQLite file (the default) or a PostgreSQL database. Every method
/// behaves the same on both; cheap to clone.
#[derive(Clone)]
pub enum EventStore {
    Sqlite(Arc<Store>),
    Postgres(PgStore),
}

impl EventStore {
    /// The SQLite file at `path`, opened for recording ([`Store::open_for_recording`]).
    pub fn sqlite_for_recording(path: &std::path::Path) -> anyhow::Result<Self> {
        Ok(EventStore::Sqlite(Arc::new(Store::open_for_recording(
            path,
        )?)))
    }

    /// The PostgreSQL database at `url`, migrated ([`PgStore::connect`]).
    pub fn postgres(url: &str) -> anyhow::Result<Self> {
        Ok(EventStore::Postgres(PgStore::connect(url)?))
    }

    /// Where the events are, for logs (no password).
    pub fn describe(&self) -> String {
        match self {
            EventStore::Sqlite(s) => s.path().display().to_string(),
            EventStore::Postgres(p) => format!("PostgreSQL {}", p.target()),
        }
    }

    /// Start a background [`Writer`] on this store (its own connection).
    pub fn writer(&self) -> anyhow::Result<Writer> {
        match self {
            EventStore::Sqlite(s) => Writer::start(s.path()),
            EventStore::Postgres(p) => Writer::spawn(p.sink()),
        }
    }

    /// Write events in one committed transaction.
    pub fn record_all(&self, events: &[Event]) -> anyhow::Result<()> {
        match self {
            EventStore::Sqlite(s) => s.record_all(events),
            EventStore::Postgres(p) => p.record_all(events),
        }
    }

    /// Write a vote; committed when this returns.
    pub fn record_vote(&self, vote: Vote) -> anyhow::Result<()> {
        match self {
            EventStore::Sqlite(s) => s.record_vote(vote),
            EventStore::Postgres(p) => p.record_vote(vote),
        }
    }

    /// Write a question; committed when this returns. Returns its row id.
    pub fn record_question(&self, q: &Question) -> anyhow::Result<i64> {
        match self {
            EventStore::Sqlite(s) => s.record_question(q),
            EventStore::Postgres(p) => p.record_question(q),
        }
    }

    /// Delete everything older than `days` days before `now` (0: nothing); returns the rows
    /// deleted.
    pub fn purge(&self, days: u32, now: i64) -> anyhow::Result<usize> {
        match self {
            EventStore::Sqlite(s) => s.purge(days, now),
            EventStore::Postgres(p) => p.purge(days, now),
        }
    }

    /// Views, helpful and unhelpful votes per article since `since`.
    pub fn popularity(&self, since: i64) -> anyhow::Result<Vec<(String, u64, u64, u64)>> {
        match self {
            EventStore::Sqlite(s) => s.popularity(since),
            EventStore::Postgres(p) => p.popularity(since),
        }
    }

    /// The key clients are hashed with, made once per database (shared by every replica).
    pub fn client_key(&self) -> anyhow::Result<String> {
        match self {
            EventStore::Sqlite(s) => s.client_key(),
            EventStore::Postgres(p) => p.client_key(),
        }
    }

    /// Per query and page, the evidence that the page resolved the query
    /// ([`crate::signals`]).
    pub fn signals(
        &self,
        o: &crate::signals::Options,
    ) -> anyhow::Result<Vec<crate::signals::Signal>> {
        match self {
            EventStore::Sqlite(s) => s.signals(o),
            EventStore::Postgres(p) => p.signals(o),
        }
    }

    /// The session a search was made in, if it is known.
    pub fn search_session(&self, search_id: &str) -> anyhow::Result<Option<String>> {
        match self {
            EventStore::Sqlite(s) => s.search_session(search_id),
            EventStore::Postgres(p) => p.search_session(search_id),
        }
    }

    /// Record that the console session `id` was logged out, refused on every replica until
    /// `until` (its expiry); committed when this returns.
    pub fn revoke_session(&self, id: &str, until: i64) -> anyhow::Result<()> {
        match self {
            EventStore::Sqlite(s) => s.revoke_session(id, until),
            EventStore::Postgres(p) => p.revoke_session(id, until),
        }
    }

    /// Whether the console session `id` was logged out (and its revocation still runs at `now`).
    pub fn is_revoked(&self, id: &str, now: i64) -> anyhow::Result<bool> {
        match self {
            EventStore::Sqlite(s) => s.is_revoked(id, now),
            EventStore::Postgres(p) => p.is_revoked(id, now),
        }
    }

    /// Whether the database answers (for the readiness check).
    pub fn ping(&self) -> anyhow::Result<()> {
        match self {
            EventStore::Sqlite(s) => s.ping(),
            EventStore::Postgres(p) => p.ping(),
        }
    }

    /// How many rows `table` holds, with an optional SQL `filter` written for both databases
    /// (tests, health checks).
    pub fn count(&self, table: &str, filter: &str) -> anyhow::Result<i64> {
        match self {
            EventStore::Sqlite(s) => s.count(table, filter),
            EventStore::Postgres(p) => p.count(table, filter),
        }
    }

    /// A SQLite connection on which [`crate::report`] covers `[from, to)`: a new connection to
    /// the file, or a temporary copy of the range's rows from PostgreSQL
    /// ([`PgStore::report_connection`]).
    pub fn report_connection(&self, from: i64, to: i64) -> anyhow::Result<rusqlite::Connection> {
        match self {
            EventStore::Sqlite(s) => crate::connect(s.path()),
            EventStore::Postgres(p) => p.report_connection(from, to),
        }
    }
}
