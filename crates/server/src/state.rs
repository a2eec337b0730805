//! What does every handler share? The served snapshot, the analyzer, settings, the events
//! database, the console sessions' key and whether the service is draining.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;
use kotae_core::search::learned::{self, Applied, Learned};
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
    /// The writers' pins of the served generation (its folder, then normalized query → page).
    pins: Mutex<(std::path::PathBuf, Arc<HashMap<String, String>>)>,
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
            pins: Mutex::default(),
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

    /// [`AppState::search_with`] for the `limit` hits from `offset` on (a page of results).
    pub async fn search_page(
        &self,
        query: String,
        audience: AudienceFilter,
        category: Option<String>,
        window: (usize, usize),
        snippets: usize,
    ) -> Result<(Arc<Snapshot>, SearchResults), AppError> {
        let (snapshot, results, _) = self.page(query, audience, category, window, snippets, false).await?;
        Ok((snapshot, results))
    }

    /// [`AppState::search_page`], with how many of the best hits each category holds
    /// ([`Snapshot::search_counted`]): a results page and its category filter, from one
    /// ranking of the question.
    pub async fn search_page_counted(
        &self,
        query: String,
        audience: AudienceFilter,
        window: (usize, usize),
        snippets: usize,
    ) -> Result<(Arc<Snapshot>, SearchResults, Vec<(Option<String>, usize)>), AppError> {
        let (snapshot, results, counts) = self.page(query, audience, None, window, snippets, true).await?;
        Ok((snapshot, results, counts.unwrap_or_default()))
    }

    /// A page of results, and with `counted` the category counts of the question's best hits.
    async fn page(
        &self,
        query: String,
        audience: AudienceFilter,
        category: Option<String>,
        (offset, limit): (usize, usize),
        snippets: usize,
        counted: bool,
    ) -> Result<(Arc<Snapshot>, SearchResults, Option<Vec<(Option<String>, usize)>>), AppError> {
        let snapshot = self.snapshot();
        let snap = snapshot.clone();
        // What customers taught the ranking applies to customers' results (the public index);
        // a learned query is searched deeper from the first hit, so that a page further down
        // can come up, and the page is cut from that one order. Past the first
        // `learned::DEPTH` hits, which the learned ranking only reorders, nothing moves (nor
        // do the category counts, over many more).
        let learned = (audience == AudienceFilter::Public && offset < learned::DEPTH)
            .then(|| self.learned(&snapshot))
            .filter(|l| l.knows(&query));
        let (window, snippets) = match learned {
            Some(_) => {
                let depth = offset.saturating_add(limit).max(learned::DEPTH);
                ((0, depth), offset.saturating_add(snippets).max(learned::DEPTH))
            }
            None => ((offset, limit), snippets),
        };
        let (results, counts) = searching(&snapshot, move || {
            let request = SearchRequest {
                query: &query,
                audience,
                category: category.as_deref(),
                limit: window.1,
                offset: window.0,
                explain: false,
                snippets,
            };
            let (mut results, counts) = match counted {
                true => snap.search_counted(&request).map(|(r, c)| (r, Some(c)))?,
                false => (snap.search(&request)?, None),
            };
            if let Some(learned) = learned {
                learned.apply(&query, &mut results);
                results.hits.drain(..offset.min(results.hits.len()));
                results.hits.truncate(limit);
            }
            Ok((results, counts))
        })
        .await?;
        Ok((snapshot, results, counts))
    }

    /// The evidence (unless `learned_ranking` is off) and the pins of `snapshot`.
    pub fn learned(&self, snapshot: &Snapshot) -> Learned {
        let evidence = if self.config.learned_ranking { self.events.learned() } else { Arc::default() };
        let pins = match self.pins.lock() {
            Ok(mut cached) => {
                if cached.0 != snapshot.generation {
                    let pages = snapshot.corpus.pages.iter().filter(|p| p.audience == kotae_core::Audience::Public);
                    *cached = (snapshot.generation.clone(), Arc::new(learned::pins(pages.map(|p| (p.id.as_str(), p.pinned_queries.as_slice())))));
                }
                cached.1.clone()
            }
            Err(_) => Arc::default(),
        };
        Learned { evidence, pins }
    }

    /// What the learned ranking and the pins do to the customers' results for `query`: each
    /// page's evidence, boost, and place before and after (the console's and `--explain`'s view).
    pub async fn learned_explain(&self, query: String) -> Result<Vec<Applied>, AppError> {
        let snapshot = self.snapshot();
        let learned = self.learned(&snapshot);
        searching(&snapshot.clone(), move || {
            let request = SearchRequest { limit: learned::DEPTH, snippets: 0, ..SearchRequest::new(&query) };
            let mut results = snapshot.search(&request)?;
            Ok(learned.apply(&query, &mut results))
        })
        .await
    }
}

/// Run `search`, a search on `snapshot`, where it costs least.
///
/// A lexical search takes a few hundred microseconds of CPU. Handing it to the blocking pool
/// and back woke a thread on each side and let more searches share the cores at once: run on
/// the worker that took the request, wiki-qa's p99 at 32 connections fell from 18.9–21.8 to
/// 15.5–17.8 ms, with the same or less CPU per request (docs/performance.md, "What the
/// long-question path does"). With meaning on, a search may embed its question (milliseconds of model
/// inference): it goes to the blocking pool, so that the worker's other connections are not
/// held up that long.
async fn searching<T, F>(snapshot: &Snapshot, search: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce() -> kotae_core::Result<T> + Send + 'static,
{
    if !snapshot.has_meaning() {
        return search().map_err(AppError::from);
    }
    tokio::task::spawn_blocking(search)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("search task failed: {e}")))?
        .map_err(AppError::from)
}

/// `snapshot` with a result cache of the configured size.
fn sized(mut snapshot: Snapshot, config: &Config) -> Snapshot {
    if snapshot.internal.cache_capacity() != config.result_cache || snapshot.public.cache_capacity() != config.result_cache {
        snapshot = snapshot.with_cache_capacity(config.result_cache);
    }
    snapshot
}
