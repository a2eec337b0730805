//! Is this article view worth counting? The most popular FAQs ("よくあるご質問") are ranked by
//! the stored views, so a client reloading one article must not move it: a view is recorded
//! only the first time a client opens an article within `view_window_minutes`, whether through
//! `/articles/*` or `/api/articles/*`.
//!
//! What has been seen is kept in two generations of keyed 64-bit hashes of (client, article):
//! a view is new when its hash is in neither. The current generation becomes the previous one
//! every window (or earlier, once it holds [`MAX_SEEN`] views, so that memory stays bounded
//! under a flood of distinct clients), so a repeated view is left out for at least one window
//! and at most two. The hash key is random per process, so clients cannot aim collisions.
//! Views of unknown clients (the router called without a peer address, as in tests) are all
//! counted.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The most views one generation remembers (~8 MiB for both at most).
pub const MAX_SEEN: usize = 262_144;

/// Views seen lately, per client and article.
#[derive(Debug)]
pub struct Seen {
    window: Duration,
    hasher: RandomState,
    inner: Mutex<Generations>,
}

#[derive(Debug)]
struct Generations {
    current: HashSet<u64>,
    previous: HashSet<u64>,
    started: Instant,
}

impl Seen {
    /// Views remembered for `window` (0: every view counts).
    pub fn new(window: Duration) -> Seen {
        Seen {
            window,
            hasher: RandomState::new(),
            inner: Mutex::new(Generations { current: HashSet::new(), previous: HashSet::new(), started: Instant::now() }),
        }
    }

    /// Whether this is `client`'s first view of `article` within the window (and so should be
    /// recorded). Always true for an unknown client or a zero window.
    pub fn first_view(&self, client: Option<IpAddr>, article: &str) -> bool {
        self.first_view_at(client, article, Instant::now())
    }

    fn first_view_at(&self, client: Option<IpAddr>, article: &str, now: Instant) -> bool {
        let Some(client) = client else { return true };
        if self.window.is_zero() {
            return true;
        }
        let key = self.hasher.hash_one((crate::client::client_key(client), article));
        let Ok(mut g) = self.inner.lock() else { return true };
        if now.saturating_duration_since(g.started) >= self.window || g.current.len() >= MAX_SEEN {
            if g.current.len() >= MAX_SEEN {
                tracing::debug!(views = g.current.len(), "many distinct article views: the view window turns early");
            }
            g.previous = std::mem::take(&mut g.current);
            g.started = now;
        }
        if g.previous.contains(&key) {
            return false;
        }
        g.current.insert(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn one_view_per_client_and_article_per_window() {
        let seen = Seen::new(Duration::from_secs(60));
        let t = Instant::now();
        assert!(seen.first_view_at(ip("192.0.2.1"), "orders/cancel", t));
        assert!(!seen.first_view_at(ip("192.0.2.1"), "orders/cancel", t));
        assert!(seen.first_view_at(ip("192.0.2.1"), "orders/return", t), "another article");
        assert!(seen.first_view_at(ip("192.0.2.2"), "orders/cancel", t), "another client");
        assert!(!seen.first_view_at(ip("192.0.2.1"), "orders/cancel", t + Duration::from_secs(61)), "at least one window");
        assert!(!seen.first_view_at(ip("192.0.2.1"), "orders/cancel", t + Duration::from_secs(100)));
        assert!(seen.first_view_at(ip("192.0.2.1"), "orders/cancel", t + Duration::from_secs(125)), "at most two windows");
        assert!(seen.first_view_at(None, "orders/cancel", t) && seen.first_view_at(None, "orders/cancel", t), "unknown clients all count");
        let off = Seen::new(Duration::ZERO);
        assert!(off.first_view_at(ip("192.0.2.1"), "a", t) && off.first_view_at(ip("192.0.2.1"), "a", t));
    }

    #[test]
    fn memory_stays_bounded_under_a_flood_of_clients() {
        let seen = Seen::new(Duration::from_secs(3600));
        let t = Instant::now();
        for i in 0..(2 * MAX_SEEN as u32 + 10) {
            seen.first_view_at(Some(IpAddr::V4(std::net::Ipv4Addr::from(i))), "a", t);
        }
        let g = seen.inner.lock().unwrap();
        assert!(g.current.len() <= MAX_SEEN && g.previous.len() <= MAX_SEEN);
    }
}
