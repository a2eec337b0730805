//! What does every handler share? The served snapshot, the analyzer, settings, the events
//! database, the console sessions' key and whether the service is draining.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use arc_swap::ArcSwap;
use kotae_core::search::{SearchResults, SearchRequest};
use kotae_core::{Analyzer, AudienceFilter, IndexRoot, Snapshot};

use crate::config::Config;
use crate::error::AppError;
use crate::recorder::Events;
pub use crate::auth::random_token;

/// Shared state; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    pub analyzer: Analyzer,
    pub index_root: IndexRoot,
    snapshot: ArcSwap<Snapshot>,
    /// The events database: what customers searched, found and did not find.
    pub events: Events,
    /// Console sessions: signed cookies, logouts in the events store.
    pub sessions: crate::session::Sessions,
    /// Set on SIGTERM: readiness answers 503 while requests are still served.
    draining: AtomicBool,
    /// Per-client rate limits (request budgets, failed logins).
    pub limits: crate::limit::Limits,
    /// The console's operators, ready to check secrets against.
    pub operators: Arc<crate::auth::Operators>,
    /// Article views counted lately, per client (for popularity).
    pub views: crate::views::Seen,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Shared state; opens the events database of `config` (if it cannot be opened, the error
    /// is logged and nothing is recorded: [`crate::run`] refuses to start in that case).
    pub fn new(config: Config, analyzer: Analyzer, snapshot: Snapshot) -> Self {
        let events = Events::open(&config).unwrap_or_else(|e| {
            tracing::error!(error = format!("{e:#}"), "the events database cannot be opened: nothing will be recorded");
            Events::disabled()
        });
        Self::with_events(config, analyzer, snapshot, events)
    }

    pub fn with_events(config: Config, analyzer: Analyzer, snapshot: Snapshot, events: Events) -> Self {
        let index_root = IndexRoot::new(&config.index);
        AppState(Arc::new(Inner {
            analyzer,
            index_root,
            snapshot: ArcSwap::from_pointee(sized(snapshot, &config)),
            events,
            sessions: crate::session::Sessions::new(config.session_secret.as_deref(), &config.operators),
            draining: AtomicBool::new(false),
            limits: crate::limit::Limits::new(&config),
            operators: crate::auth::Operators::new(&config.operators),
            views: crate::views::Seen::new(Duration::from_secs(config.view_window_minutes.saturating_mul(60))),
            config,
        }))
    }

    /// The snapshot serving now. Hold on to it for the whole request, so that a swap in the
    /// middle of it cannot mix two generations.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// Serve `snapshot` from now on.
    pub fn swap(&self, snapshot: Snapshot) {
        self.snapshot.store(Arc::new(sized(snapshot, &self.config)));
    }

    /// Whether the service is stopping (readiness then says 503).
    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Start the shutdown drain: from now on `/readyz` answers 503.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Run a search off the async threads.
    pub async fn search(
        &self,
        query: String,
        audience: AudienceFilter,
        category: Option<String>,
        limit: usize,
    ) -> Result<(Arc<Snapshot>, SearchResults), AppError> {
        self.search_with(query, audience, category, limit, usize::MAX).await
    }

    /// [`AppState::search`], with snippets for the first `snippets` hits only (0 when only
    /// ids and categories count).
    pub async fn search_with(
        &self,
        query: String,
        audience: AudienceFilter,
        category: Option<String>,
        limit: usize,
        snippets: usize,
    ) -> Result<(Arc<Snapshot>, SearchResults), AppError> {
        self.search_page(query, audience, category, (0, limit), snippets).await
    }

    /// How many hits of `query` each category holds ([`Snapshot::category_counts`]).
    pub async fn category_counts(&self, query: String, audience: AudienceFilter) -> Result<Vec<(Option<String>, usize)>, AppError> {
        let snapshot = self.snapshot();
        tokio::task::spawn_blocking(move || {
            let request = SearchRequest { audience, ..SearchRequest::new(&query) };
            snapshot.category_counts(&request)
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("search task failed: {e}")))?
        .map_err(Into::into)
    }

    /// [`AppState::search_with`] for the `limit` hits from `offset` on (a page of results).
    pub async fn search_page(
        &self,
        query: String,
        audience: AudienceFilter,
        category: Option<String>,
        (offset, limit): (usize, usize),
        snippets: usize,
    ) -> Result<(Arc<Snapshot>, SearchResults), AppError> {
        let snapshot = self.snapshot();
        let snap = snapshot.clone();
        let results = tokio::task::spawn_blocking(move || {
            let request = SearchRequest {
                query: &query,
                audience,
                category: category.as_deref(),
                limit,
                offset,
                explain: false,
                snippets,
            };
            snap.search(&request)
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("search task failed: {e}")))??;
        Ok((snapshot, results))
    }
}

/// `snapshot` with a result cache of the configured size.
fn sized(mut snapshot: Snapshot, config: &Config) -> Snapshot {
    if snapshot.internal.cache_capacity() != config.result_cache || snapshot.public.cache_capacity() != config.result_cache {
        snapshot = snapshot.with_cache_capacity(config.result_cache);
    }
    snapshot
}
