//! What does every handler share? The served snapshot, the analyzer, settings, page statistics
//! and console sessions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use kotae_core::search::{SearchResults, SearchRequest};
use kotae_core::{Analyzer, AudienceFilter, IndexRoot, Page, Snapshot};

use crate::config::Config;
use crate::error::AppError;

/// Shared state; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    pub analyzer: Analyzer,
    pub index_root: IndexRoot,
    snapshot: ArcSwap<Snapshot>,
    pub stats: Stats,
    pub sessions: Sessions,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(config: Config, analyzer: Analyzer, snapshot: Snapshot) -> Self {
        let index_root = IndexRoot::new(&config.index);
        AppState(Arc::new(Inner {
            config,
            analyzer,
            index_root,
            snapshot: ArcSwap::from_pointee(snapshot),
            stats: Stats::default(),
            sessions: Sessions::default(),
        }))
    }

    /// The snapshot serving now. Hold on to it for the whole request, so that a swap in the
    /// middle of it cannot mix two generations.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    /// Serve `snapshot` from now on.
    pub fn swap(&self, snapshot: Snapshot) {
        self.snapshot.store(Arc::new(snapshot));
    }

    /// Run a search off the async threads.
    pub async fn search(
        &self,
        query: String,
        audience: AudienceFilter,
        category: Option<String>,
        limit: usize,
    ) -> Result<(Arc<Snapshot>, SearchResults), AppError> {
        let snapshot = self.snapshot();
        let snap = snapshot.clone();
        let results = tokio::task::spawn_blocking(move || {
            let request = SearchRequest { query: &query, audience, category: category.as_deref(), limit, offset: 0, explain: false };
            snap.search.search(&request)
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("search task failed: {e}")))??;
        Ok((snapshot, results))
    }
}

/// Views and helpful votes per page, counted since the service started.
#[derive(Default)]
pub struct Stats {
    pages: Mutex<HashMap<String, PageStats>>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageStats {
    pub views: u64,
    pub helpful: u64,
    pub unhelpful: u64,
}

impl Stats {
    pub fn view(&self, id: &str) {
        self.with(id, |s| s.views += 1);
    }

    pub fn vote(&self, id: &str, helpful: bool) {
        self.with(id, |s| if helpful { s.helpful += 1 } else { s.unhelpful += 1 });
    }

    pub fn get(&self, id: &str) -> PageStats {
        self.pages.lock().map(|p| p.get(id).copied().unwrap_or_default()).unwrap_or_default()
    }

    fn with(&self, id: &str, f: impl FnOnce(&mut PageStats)) {
        if let Ok(mut pages) = self.pages.lock() {
            f(pages.entry(id.to_string()).or_default());
        }
    }

    /// The `n` most popular public pages: by helpful votes and views once there are any,
    /// by the writers' `featured` order before that (and as the tie-break).
    pub fn popular<'a>(&self, pages: &'a [Page], n: usize) -> Vec<&'a Page> {
        let mut candidates: Vec<(&Page, u64)> = pages
            .iter()
            .filter(|p| p.audience == kotae_core::Audience::Public)
            .map(|p| {
                let s = self.get(&p.id);
                (p, s.views + 3 * s.helpful)
            })
            .filter(|(p, score)| *score > 0 || p.featured.is_some())
            .collect();
        candidates.sort_by(|(a, sa), (b, sb)| {
            sb.cmp(sa)
                .then(a.featured.unwrap_or(u32::MAX).cmp(&b.featured.unwrap_or(u32::MAX)))
                .then(a.id.cmp(&b.id))
        });
        candidates.into_iter().take(n).map(|(p, _)| p).collect()
    }
}

/// Console sessions, in memory: a restart logs operators out.
#[derive(Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub operator: String,
    /// Token that console forms must echo back (CSRF protection).
    pub csrf: String,
    expires: Instant,
}

/// How long a console session lasts without activity.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);

impl Sessions {
    /// Open a session for `operator`; returns its id.
    pub fn open(&self, operator: &str) -> String {
        let id = random_token();
        let session = Session { operator: operator.to_string(), csrf: random_token(), expires: Instant::now() + SESSION_TTL };
        if let Ok(mut map) = self.map.lock() {
            map.retain(|_, s| s.expires > Instant::now());
            map.insert(id.clone(), session);
        }
        id
    }

    pub fn get(&self, id: &str) -> Option<Session> {
        let mut map = self.map.lock().ok()?;
        let session = map.get_mut(id)?;
        if session.expires <= Instant::now() {
            map.remove(id);
            return None;
        }
        session.expires = Instant::now() + SESSION_TTL;
        Some(session.clone())
    }

    pub fn close(&self, id: &str) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(id);
        }
    }
}

/// 32 random bytes, hex-encoded.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
