//! Which searches can be answered without searching again?
//!
//! Help-center traffic is dominated by a few questions, above all in a spike (a campaign, an
//! outage: thousands of customers type 「ログインできない」 within minutes). [`ResultCache`]
//! keeps the results of the most recent distinct requests. A cache belongs to one
//! [`SearchIndex`](crate::SearchIndex), that is to one index generation, so a rebuilt index never
//! serves stale results: the new generation comes with an empty cache.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use lru::LruCache;

use super::request::{AudienceFilter, SearchRequest};
use super::results::SearchResults;

/// How many distinct requests a cache remembers by default.
pub const DEFAULT_CAPACITY: usize = 1024;

/// Everything that changes the results of a request (explained searches are never cached).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    query: String,
    audience: AudienceFilter,
    category: Option<String>,
    limit: usize,
    offset: usize,
    snippets: usize,
}

impl Key {
    fn of(query: &str, request: &SearchRequest<'_>) -> Self {
        Key {
            query: query.to_string(),
            audience: request.audience,
            category: request.category.filter(|c| !c.is_empty()).map(str::to_string),
            limit: request.limit,
            offset: request.offset,
            snippets: request.snippets,
        }
    }
}

/// A least-recently-used map from requests to their results (or to what else was found for
/// them: the category counts of a results page); capacity 0 turns it off.
pub struct ResultCache<V = SearchResults> {
    entries: Option<Mutex<LruCache<Key, V>>>,
}

impl<V: Clone> std::fmt::Debug for ResultCache<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultCache").field("capacity", &self.capacity()).finish()
    }
}

impl<V: Clone> ResultCache<V> {
    pub fn new(capacity: usize) -> Self {
        Self { entries: NonZeroUsize::new(capacity).map(|c| Mutex::new(LruCache::new(c))) }
    }

    pub fn capacity(&self) -> usize {
        self.entries.as_ref().map_or(0, |e| e.lock().map_or(0, |e| e.cap().get()))
    }

    /// The results stored for `request` (whose query text, already cut to length, is `query`).
    pub fn get(&self, query: &str, request: &SearchRequest<'_>) -> Option<V> {
        let entries = self.entries.as_ref()?;
        if request.explain {
            return None;
        }
        let key = Key::of(query, request);
        entries.lock().ok()?.get(&key).cloned()
    }

    /// Remember `results` for `request`.
    pub fn put(&self, query: &str, request: &SearchRequest<'_>, results: &V) {
        let Some(entries) = &self.entries else { return };
        if request.explain {
            return;
        }
        if let Ok(mut entries) = entries.lock() {
            entries.put(Key::of(query, request), results.clone());
        }
    }
}

impl<V: Clone> Default for ResultCache<V> {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results(total: usize) -> SearchResults {
        SearchResults { total, total_exact: true, hits: Vec::new(), terms: Vec::new(), did_you_mean: None, verdict: Default::default(), question: Default::default() }
    }

    #[test]
    fn remembers_by_every_part_of_the_request() {
        let cache: ResultCache = ResultCache::new(8);
        let request = SearchRequest::new("返品");
        cache.put("返品", &request, &results(3));
        assert_eq!(cache.get("返品", &request).map(|r| r.total), Some(3));
        let internal = SearchRequest { audience: AudienceFilter::All, ..request.clone() };
        assert!(cache.get("返品", &internal).is_none(), "the audience is part of the key");
        let page2 = SearchRequest { offset: 10, ..request.clone() };
        assert!(cache.get("返品", &page2).is_none(), "the page is part of the key");
        let category = SearchRequest { category: Some("orders"), ..request.clone() };
        assert!(cache.get("返品", &category).is_none(), "the category is part of the key");
        let explained = SearchRequest { explain: true, ..request.clone() };
        assert!(cache.get("返品", &explained).is_none(), "explained searches always run");
    }

    #[test]
    fn forgets_the_least_recently_used_and_can_be_off() {
        let cache: ResultCache = ResultCache::new(2);
        for q in ["a", "b", "c"] {
            cache.put(q, &SearchRequest::new(q), &results(1));
        }
        assert!(cache.get("a", &SearchRequest::new("a")).is_none());
        assert!(cache.get("c", &SearchRequest::new("c")).is_some());
        let off: ResultCache = ResultCache::new(0);
        off.put("a", &SearchRequest::new("a"), &results(1));
        assert!(off.get("a", &SearchRequest::new("a")).is_none());
        assert_eq!(off.capacity(), 0);
    }
}
