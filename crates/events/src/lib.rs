//! Kotae's feedback loop: what customers searched, found and did not find, stored durably, and
//! the reports that turn it into writers' work.
//!
//! Two stores hold the same tables ([`EventStore`], one enum so callers never branch):
//!
//! - [`Store`] (`sqlite.rs`), the default: one SQLite file (WAL mode, versioned migrations from
//!   `migrations/`, retention).
//! - [`PgStore`] (`postgres/`): a PostgreSQL database shared by several `kotae serve`
//!   replicas (`events_url`), with its own migrations (`migrations/postgres/`) applied under an
//!   advisory lock.
//!
//! On both:
//!
//! - [`Writer`]: a background thread that batches high-volume events (searches, clicks, views,
//!   hand-overs) in transactions, so recording never slows a search. Its queue is bounded
//!   ([`QUEUE`]); what does not fit is counted as dropped ([`WriterStats`]) and logged.
//! - Votes and questions are written synchronously with [`EventStore::record_vote`] and
//!   [`EventStore::record_question`]: once they return, the row is committed.
//! - When the database cannot store anything (a full disk, PostgreSQL down), votes and
//!   questions return the error, so the service can say so. Batched events are dropped on
//!   SQLite (a full disk does not empty itself soon) and kept and retried on PostgreSQL (a
//!   restart is seconds), while the queue holds them; recording resumes by itself.
//!   [`faults`] simulates a full disk for tests.
//! - [`report`]: the figures (top queries, zero-result queries, corpus gaps, helpful ratios,
//!   articles never found, self-resolution, questions, alias suggestions), computed by SQLite
//!   in one place: on PostgreSQL, the events of the report's range are first copied into a
//!   temporary SQLite database ([`EventStore::report_connection`]).

pub mod faults;
pub mod postgres;
pub mod report;
pub mod signals;
mod sqlite;
mod store;
mod writer;

pub use rusqlite;

use serde::Serialize;

pub use postgres::PgStore;
pub use sqlite::{DEFAULT_FILE, MIGRATIONS, Store, connect, is_read_only, migrate};
pub use store::EventStore;
pub use writer::{BATCH, QUEUE, Writer, WriterStats};

/// Seconds since the Unix epoch, now.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
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
    /// `client`: a keyed hash of who clicked ([`EventStore::client_key`]), for the learned ranking.
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
    /// A keyed hash of who voted ([`EventStore::client_key`]), for the learned ranking.
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

