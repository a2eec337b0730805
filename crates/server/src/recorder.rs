//! The service's handle on the events database: the background writer, the popularity cache
//! of 「よくあるご質問」, the learned ranking's evidence, and the gate that lets one insights
//! report be computed at a time. Handlers that record events are in [`crate::events`]; this
//! module knows no request.
//!
//! **Learned ranking.** [`Events::refresh_learned`] (every minute, [`crate::events::spawn_learning`])
//! reads [`kotae_events::signals`] and keeps, per normalized query, the pages that resolved it
//! with their evidence ([`kotae_core::search::learned`] decides the boost: at least 5 distinct
//! clients, capped). Clicks and votes carry a keyed hash of the client ([`Events::client`]), so
//! one client counts once however often it clicks.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use kotae_core::content::Audience;
use kotae_core::index::PageInfo;
use kotae_core::search::learned::Evidence;
use kotae_events::report::Report;
use kotae_events::{Event, EventStore, Store, Writer};
use tokio::sync::Semaphore;

use crate::error::AppError;

/// How long the most popular FAQs are cached.
const POPULAR_TTL: Duration = Duration::from_secs(60);
/// The window the most popular FAQs are counted over.
pub const POPULAR_DAYS: i64 = 30;
/// Popularity figures and when they were read.
type Cached = Option<(Instant, Arc<HashMap<String, Popularity>>)>;

/// What customers did with one article over [`POPULAR_DAYS`] days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Popularity {
    /// Counted views (one per client and article per `view_window_minutes`).
    pub views: u64,
    /// 「はい」 and 「いいえ」 votes.
    pub yes: u64,
    pub no: u64,
}

/// Below this many views and votes, an article keeps the writers' place.
pub const MIN_EVIDENCE: u64 = 20;
/// The helpful ratio's prior: as if every article had this many 「はい」 …
pub const PRIOR_YES: f64 = 3.0;
/// … out of this many votes.
pub const PRIOR_VOTES: f64 = 4.0;
/// What the writers' first `featured` page is worth, in views of an article with the prior's
/// helpful ratio; the later ones a little less each.
pub const FEATURED_WORTH: f64 = 10.0;

impl Popularity {
    /// The helpful ratio with the prior: (yes + 3) / (votes + 4).
    pub fn helpful(&self) -> f64 {
        (self.yes as f64 + PRIOR_YES) / ((self.yes + self.no) as f64 + PRIOR_VOTES)
    }

    /// What the figures say, once there are [`MIN_EVIDENCE`] views and votes (0 before): the
    /// views and votes, times how much the smoothed helpful ratio is above one half (so an
    /// article voted 「いいえ」 more than 「はい」 scores below zero).
    pub fn score(&self) -> f64 {
        let evidence = self.views + self.yes + self.no;
        if evidence < MIN_EVIDENCE {
            return 0.0;
        }
        evidence as f64 * (2.0 * self.helpful() - 1.0)
    }
}

struct Open {
    store: EventStore,
    writer: Writer,
    /// The key clients are hashed with ([`EventStore::client_key`]).
    client_key: String,
}

/// Normalized query → the pages that resolved it.
pub type LearnedEvidence = Arc<HashMap<String, Vec<Evidence>>>;

/// The service's handle on the events database; disabled when it could not be opened.
pub struct Events {
    open: Option<Open>,
    popular: Mutex<Cached>,
    learned: Mutex<LearnedEvidence>,
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

    /// Record into `store`, with a writer thread of its own; clients are hashed with the
    /// store's key ([`EventStore::client_key`], one for every replica of a shared database).
    pub fn with_store(store: EventStore) -> anyhow::Result<Self> {
        let writer = store.writer()?;
        let client_key = store.client_key()?;
        Ok(Events {
            open: Some(Open { store, writer, client_key }),
            popular: Mutex::new(None),
            learned: Mutex::default(),
            reports: Gate::default(),
        })
    }

    /// No database: nothing is recorded, votes and questions are refused.
    pub fn disabled() -> Self {
        Events { open: None, popular: Mutex::new(None), learned: Mutex::default(), reports: Gate::default() }
    }

    /// What a client is stored as: a keyed hash of its address (of its /64 for IPv6), 16 hex
    /// digits; `None` for an unknown client or without a database.
    pub fn client(&self, ip: Option<IpAddr>) -> Option<String> {
        use blake2::{Blake2b256, Digest};
        let (open, ip) = (self.open.as_ref()?, ip?);
        let mut h = Blake2b256::new();
        h.update(open.client_key.as_bytes());
        h.update(crate::client::client_key(ip).to_string().as_bytes());
        Some(crate::auth::hex(&h.finalize()[..8]))
    }

    /// The learned ranking's evidence, as last read.
    pub fn learned(&self) -> LearnedEvidence {
        self.learned.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Read the learned ranking's evidence from the store now (every minute, and in tests).
    pub async fn refresh_learned(&self) -> LearnedEvidence {
        let options = kotae_events::signals::Options::new(kotae_events::now());
        let evidence: HashMap<String, Vec<Evidence>> = match self.blocking(move |s| s.signals(&options)).await {
            Ok(signals) => {
                let mut map: HashMap<String, Vec<Evidence>> = HashMap::new();
                for s in signals {
                    map.entry(s.query).or_default().push(Evidence { page: s.article, evidence: s.evidence, clients: s.clients });
                }
                map
            }
            Err(e) => {
                if self.open.is_some() {
                    tracing::warn!(error = ?e, "cannot read what resolved each question");
                }
                HashMap::new()
            }
        };
        let evidence = Arc::new(evidence);
        if let Ok(mut l) = self.learned.lock() {
            *l = evidence.clone();
        }
        evidence
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

    /// Views and votes per article over the last 30 days, cached for a minute.
    pub async fn popularity(&self) -> Arc<HashMap<String, Popularity>> {
        if let Ok(cache) = self.popular.lock()
            && let Some((at, scores)) = cache.as_ref()
            && at.elapsed() < POPULAR_TTL
        {
            return scores.clone();
        }
        let since = kotae_events::now() - POPULAR_DAYS * 86_400;
        let scores = match self.blocking(move |s| s.popularity(since)).await {
            Ok(rows) => rows.into_iter().map(|(id, views, yes, no)| (id, Popularity { views, yes, no })).collect(),
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

/// The `n` most popular public pages. Each page scores the writers' place (the `featured`
/// pages, in their order, from [`FEATURED_WORTH`] down) plus what the figures of the last 30
/// days say ([`Popularity::score`]: nothing under [`MIN_EVIDENCE`] views and votes, below zero
/// for a page mostly voted 「いいえ」). A few views move nothing; many views with 「はい」 votes
/// put a page first; many 「いいえ」 push a featured page down.
pub fn popular<'a>(figures: &HashMap<String, Popularity>, pages: &'a [PageInfo], n: usize) -> Vec<&'a PageInfo> {
    let public = || pages.iter().filter(|p| p.audience == Audience::Public);
    let mut featured: Vec<&PageInfo> = public().filter(|p| p.featured.is_some()).collect();
    featured.sort_by(|a, b| a.featured.cmp(&b.featured).then(a.id.cmp(&b.id)));
    let worth = |id: &str| {
        featured.iter().position(|p| p.id == id).map_or(0.0, |i| FEATURED_WORTH * (1.0 - i as f64 / (2.0 * featured.len() as f64)))
    };
    let mut candidates: Vec<(&PageInfo, f64)> = public()
        .map(|p| (p, worth(&p.id) + figures.get(&p.id).map_or(0.0, Popularity::score)))
        .filter(|(p, score)| *score > 0.0 || p.featured.is_some())
        .collect();
    candidates.sort_by(|(a, sa), (b, sb)| {
        sb.total_cmp(sa)
            .then(a.featured.unwrap_or(u32::MAX).cmp(&b.featured.unwrap_or(u32::MAX)))
            .then(a.id.cmp(&b.id))
    });
    candidates.into_iter().take(n).map(|(p, _)| p).collect()
}

/// A search id: 16 random hex digits.
pub fn new_search_id() -> String {
    crate::auth::random_hex::<8>()
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
