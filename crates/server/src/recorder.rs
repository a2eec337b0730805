//! The service's handle on the events database: the background writer, the popularity cache
//! of 「よくあるご質問」, and the gate that lets one insights report be computed at a time.
//! Handlers that record events are in [`crate::events`]; this module knows no request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use kotae_core::content::Audience;
use kotae_core::index::PageInfo;
use kotae_events::report::Report;
use kotae_events::{Event, EventStore, Store, Writer};
use tokio::sync::Semaphore;

use crate::error::AppError;

/// How long the most popular FAQs are cached.
const POPULAR_TTL: Duration = Duration::from_secs(60);
/// The window the most popular FAQs are counted over.
pub const POPULAR_DAYS: i64 = 30;
/// Popularity scores and when they were read.
type Cached = Option<(Instant, Arc<HashMap<String, u64>>)>;

struct Open {
    store: EventStore,
    writer: Writer,
}

/// The service's handle on the events database; disabled when it could not be opened.
pub struct Events {
    open: Option<Open>,
    popular: Mutex<Cached>,
    /// Insights reports: one computed at a time.
    pub(crate) reports: Gate,
}

impl Events {
    /// Open (and migrate) the events store of `config` ([`crate::Config::open_events`]) and
    /// start its writer thread. A SQLite database that cannot be written is refused
    /// ([`Store::open_for_recording`]), so the service does not start rather than drop what
    /// customers do.
    pub fn open(config: &crate::Config) -> anyhow::Result<Self> {
        Self::with_store(config.open_events()?)
    }

    /// Record into `store`, with a writer thread of its own.
    pub fn with_store(store: EventStore) -> anyhow::Result<Self> {
        let writer = store.writer()?;
        Ok(Events { open: Some(Open { store, writer }), popular: Mutex::new(None), reports: Gate::default() })
    }

    /// No database: nothing is recorded, votes and questions are refused.
    pub fn disabled() -> Self {
        Events { open: None, popular: Mutex::new(None), reports: Gate::default() }
    }

    pub fn store(&self) -> Option<&EventStore> {
        self.open.as_ref().map(|o| &o.store)
    }

    /// The SQLite store, when the events are in a file (tests reach into its tables).
    pub fn sqlite(&self) -> Option<&Arc<Store>> {
        match self.store()? {
            EventStore::Sqlite(s) => Some(s),
            EventStore::Postgres(_) => None,
        }
    }

    /// Queue an event; never waits.
    pub fn send(&self, event: Event) {
        if let Some(o) = &self.open {
            o.writer.send(event);
        }
    }

    /// Wait until the queued events are written (tests, shutdown).
    pub fn flush(&self) {
        if let Some(o) = &self.open {
            o.writer.flush();
        }
    }

    /// Run `f` on the store off the async threads.
    pub async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&EventStore) -> anyhow::Result<T> + Send + 'static,
    ) -> Result<T, AppError> {
        let store = self
            .store()
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the events database is not available")))?;
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("events task failed: {e}")))?
            .map_err(AppError::Internal)
    }

    /// Run a write that promises durability (a vote, a question) off the async threads. When
    /// it cannot be committed (no database, a full disk) the answer is 503 with a message for
    /// the customer, never a claim of success.
    pub async fn durable<T: Send + 'static>(
        &self,
        customer_message: &str,
        f: impl FnOnce(&EventStore) -> anyhow::Result<T> + Send + 'static,
    ) -> Result<T, AppError> {
        let unavailable = |e: anyhow::Error| AppError::Unavailable(customer_message.to_string(), e);
        let store = self.store().cloned().ok_or_else(|| unavailable(anyhow::anyhow!("the events database is not available")))?;
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| unavailable(anyhow::anyhow!("events task failed: {e}")))?
            .map_err(unavailable)
    }

    /// What the background writer did so far (written and dropped events).
    pub fn writer_stats(&self) -> Option<&kotae_events::WriterStats> {
        self.open.as_ref().map(|o| o.writer.stats())
    }

    /// Popularity scores (views + 3 × helpful votes over the last 30 days), cached for a minute.
    pub async fn popularity(&self) -> Arc<HashMap<String, u64>> {
        if let Ok(cache) = self.popular.lock()
            && let Some((at, scores)) = cache.as_ref()
            && at.elapsed() < POPULAR_TTL
        {
            return scores.clone();
        }
        let since = kotae_events::now() - POPULAR_DAYS * 86_400;
        let scores = match self.blocking(move |s| s.popularity(since)).await {
            Ok(rows) => rows.into_iter().map(|(id, views, helpful)| (id, views + 3 * helpful)).collect(),
            Err(e) => {
                if self.open.is_some() {
                    tracing::warn!(error = ?e, "cannot read popularity");
                }
                HashMap::new()
            }
        };
        let scores = Arc::new(scores);
        if let Ok(mut cache) = self.popular.lock() {
            *cache = Some((Instant::now(), scores.clone()));
        }
        scores
    }

    /// How many insights reports were computed (the others reused one; tests).
    pub fn reports_computed(&self) -> u64 {
        self.reports.computed()
    }

    /// Forget the cached popularity (tests).
    pub fn refresh(&self) {
        if let Ok(mut cache) = self.popular.lock() {
            *cache = None;
        }
    }
}

/// The `n` most popular public pages: by the stored views and helpful votes of the last 30
/// days, by the writers' `featured` order before there are any (and as the tie-break).
pub fn popular<'a>(scores: &HashMap<String, u64>, pages: &'a [PageInfo], n: usize) -> Vec<&'a PageInfo> {
    let mut candidates: Vec<(&PageInfo, u64)> = pages
        .iter()
        .filter(|p| p.audience == Audience::Public)
        .map(|p| (p, scores.get(&p.id).copied().unwrap_or(0)))
        .filter(|(p, score)| *score > 0 || p.featured.is_some())
        .collect();
    candidates.sort_by(|(a, sa), (b, sb)| {
        sb.cmp(sa)
            .then(a.featured.unwrap_or(u32::MAX).cmp(&b.featured.unwrap_or(u32::MAX)))
            .then(a.id.cmp(&b.id))
    });
    candidates.into_iter().take(n).map(|(p, _)| p).collect()
}

/// A search id: 16 random hex digits.
pub fn new_search_id() -> String {
    crate::auth::random_token()[..16].to_string()
}

/// A search or session id from a client, if it has a sane shape (hex, letters, digits, `-`).
pub fn clean_id(id: Option<&str>) -> Option<String> {
    id.map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .map(str::to_string)
}

/// The service computes one insights report at a time, however many requests come at once:
/// memory and CPU go to one computation. A request that waited while the figures of the same
/// range were computed takes them, if they were started at most [`REUSE`] before it came.
pub struct Gate {
    pub(crate) permit: Arc<Semaphore>,
    pub(crate) last: Mutex<Option<Figures>>,
    pub(crate) computed: AtomicU64,
}

/// How much older than a request figures it reuses may be.
pub const REUSE: Duration = Duration::from_secs(2);

pub(crate) struct Figures {
    pub(crate) range: (NaiveDate, NaiveDate),
    pub(crate) started: Instant,
    pub(crate) report: Arc<Report>,
}

impl Default for Gate {
    fn default() -> Self {
        Gate { permit: Arc::new(Semaphore::new(1)), last: Mutex::new(None), computed: AtomicU64::new(0) }
    }
}

impl Gate {
    /// Reports computed so far.
    pub fn computed(&self) -> u64 {
        self.computed.load(Ordering::Relaxed)
    }

    pub(crate) fn reusable(&self, range: (NaiveDate, NaiveDate), asked: Instant) -> Option<Arc<Report>> {
        let last = self.last.lock().ok()?;
        let f = last.as_ref().filter(|f| f.range == range && f.started + REUSE >= asked)?;
        Some(f.report.clone())
    }
}
