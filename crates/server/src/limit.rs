//! How many requests may one client make? Every request passes one layer, [`crate::throttle::per_client`],
//! which sorts it into a [`Class`] and charges it to that class's per-client budget:
//!
//! | class | routes | default |
//! | --- | --- | --- |
//! | [`Class::Api`] | `/api/*` reads, `/search` | 20 a second, bursts of 60 |
//! | [`Class::Write`] | `POST /questions`, `POST /feedback`, `POST /api/feedback`, `/contact/go` | 6 a minute, bursts of 10 |
//! | [`Class::Page`] | every other public route: pages, articles, assets, `/healthz`, `/ops/login`, 404s | 20 a second, bursts of 120 |
//! | [`Class::Console`] | the rest of `/ops` (behind authentication; failed logins have their own limit, [`crate::login_limit`]) | none |
//!
//! Over its budget a client gets 429 with `Retry-After` ([`AppError::RateLimited`](crate::error::AppError::RateLimited)): JSON from
//! `/api` and `/ops/api`, a Japanese page from the routers that serve people.
//!
//! The budgets are `governor` keyed rate limiters (GCRA) keyed by [`client_key`]: the IPv4
//! address, or the /64 of an IPv6 address (the block one subscriber usually gets). Keys whose
//! budget is full again are swept when the map has doubled; a flood of distinct addresses
//! cannot grow one past [`MAX_CLIENTS`] (it is then replaced by an empty one, and logged).
//!
//! [`client_ip`] says who the client is: the socket peer address (from axum's `ConnectInfo`),
//! or the last address of `X-Forwarded-For` when `trust_forwarded_for` is on (the one the
//! reverse proxy in front of Kotae appended; earlier ones are whatever the client sent). The
//! layer puts it in the request's extensions as [`Client`] for handlers (article views are
//! counted once per client, see [`crate::views`]). A request whose client address is unknown
//! (the router called directly, as in tests) is not limited; [`crate::serve`] always knows it.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use arc_swap::ArcSwap;
use axum::http::{HeaderValue, Method, header};
use axum::response::Response;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub use crate::client::{Client, MAX_CLIENTS, client_ip, client_key};
use crate::config::Config;

/// Which budget a request is charged to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The JSON API's reads and the results page.
    Api,
    /// Requests that store something: votes, questions, hand-overs.
    Write,
    /// Every other public route.
    Page,
    /// The console behind authentication: not limited here.
    Console,
}

/// The class of a request.
pub fn classify(method: &Method, path: &str) -> Class {
    let write = (method == Method::POST && matches!(path, "/questions" | "/feedback" | "/api/feedback")) || path == "/contact/go";
    if write {
        Class::Write
    } else if path.starts_with("/api/") || path == "/search" {
        Class::Api
    } else if path == "/ops" || (path.starts_with("/ops/") && path != "/ops/login") {
        Class::Console
    } else {
        Class::Page
    }
}

/// One per-client budget.
pub struct Budget {
    quota: Quota,
    limiter: ArcSwap<DefaultKeyedRateLimiter<IpAddr>>,
    /// Checks since the map size was last looked at.
    checks: AtomicUsize,
    /// Sweep when the map reaches this size.
    next_sweep: AtomicUsize,
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budget").field("quota", &self.quota).field("clients", &self.len()).finish()
    }
}

impl Budget {
    /// `per_second` requests a second with bursts of `burst`; `None` (no limit) when either is 0.
    pub fn per_second(per_second: f64, burst: u32) -> Option<Budget> {
        if !(per_second > 0.0 && per_second.is_finite()) {
            return None;
        }
        let period = Duration::try_from_secs_f64(1.0 / per_second).ok()?;
        let quota = Quota::with_period(period)?.allow_burst(NonZeroU32::new(burst)?);
        Some(Budget {
            quota,
            limiter: ArcSwap::from_pointee(RateLimiter::keyed(quota)),
            checks: AtomicUsize::new(0),
            next_sweep: AtomicUsize::new(1024),
        })
    }

    /// `per_minute` requests a minute with bursts of `burst`.
    pub fn per_minute(per_minute: f64, burst: u32) -> Option<Budget> {
        Budget::per_second(per_minute / 60.0, burst)
    }

    /// Charge one request to `client`. `Err` carries how long until one is allowed.
    pub fn check(&self, client: IpAddr) -> Result<(), Duration> {
        let limiter = self.limiter.load();
        let result = limiter.check_key(&client_key(client)).map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()));
        if self.checks.fetch_add(1, Ordering::Relaxed) % 256 == 255 {
            self.sweep(&limiter);
        }
        result
    }

    /// Forget the clients whose budget is full again once the map has doubled; replace the
    /// map when even the recent ones are too many.
    fn sweep(&self, limiter: &DefaultKeyedRateLimiter<IpAddr>) {
        if limiter.len() < self.next_sweep.load(Ordering::Relaxed) {
            return;
        }
        limiter.retain_recent();
        let mut len = limiter.len();
        if len >= MAX_CLIENTS {
            tracing::warn!(clients = len, "too many clients to track: their request budgets reset");
            self.limiter.store(Arc::new(RateLimiter::keyed(self.quota)));
            len = 0;
        } else {
            limiter.shrink_to_fit();
        }
        self.next_sweep.store((len * 2).clamp(1024, MAX_CLIENTS), Ordering::Relaxed);
    }

    /// How many clients are remembered now.
    pub fn len(&self) -> usize {
        self.limiter.load().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The limiters the service uses, built from its settings.
#[derive(Debug)]
pub struct Limits {
    /// `/api/*` reads and `/search`, per client.
    pub api: Option<Budget>,
    /// Votes, questions and hand-overs, per client.
    pub write: Option<Budget>,
    /// Every other public route, per client.
    pub page: Option<Budget>,
    /// Failed console logins (and wrong bearer tokens), per client.
    pub login: Option<crate::login_limit::Limiter>,
}

impl Limits {
    pub fn new(config: &Config) -> Limits {
        Limits {
            api: Budget::per_second(config.rate_limit_per_second, config.rate_limit_burst),
            write: Budget::per_minute(config.write_rate_limit_per_minute, config.write_rate_limit_burst),
            page: Budget::per_second(config.page_rate_limit_per_second, config.page_rate_limit_burst),
            login: crate::login_limit::per_minute(config.login_failures_per_minute),
        }
    }

    /// The budget requests of `class` are charged to, if limited.
    pub fn budget(&self, class: Class) -> Option<&Budget> {
        match class {
            Class::Api => self.api.as_ref(),
            Class::Write => self.write.as_ref(),
            Class::Page => self.page.as_ref(),
            Class::Console => None,
        }
    }
}

pub use crate::error::retry_after_secs;

/// Add `Retry-After: secs` to a response.
pub fn with_retry_after(mut response: Response, secs: u64) -> Response {
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_burst_then_the_rate() {
        let b = Budget::per_second(2.0, 3).unwrap();
        for _ in 0..3 {
            assert!(b.check(ip("10.0.0.1")).is_ok());
        }
        let wait = b.check(ip("10.0.0.1")).unwrap_err();
        assert!(wait > Duration::from_millis(400) && wait <= Duration::from_millis(500), "{wait:?}");
        assert!(b.check(ip("10.0.0.2")).is_ok(), "another client has its own budget");
        let writes = Budget::per_minute(6.0, 2).unwrap();
        assert!(writes.check(ip("10.0.0.1")).is_ok() && writes.check(ip("10.0.0.1")).is_ok());
        let wait = writes.check(ip("10.0.0.1")).unwrap_err();
        assert!(wait > Duration::from_secs(9) && wait <= Duration::from_secs(10), "one write per 10 s: {wait:?}");
    }

    #[test]
    fn zero_means_off() {
        assert!(Budget::per_second(0.0, 60).is_none());
        assert!(Budget::per_second(20.0, 0).is_none());
        assert!(Budget::per_second(f64::NAN, 5).is_none());
        assert!(Budget::per_minute(0.0, 5).is_none());
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_v4_as_v4() {
        let b = Budget::per_second(1.0, 1).unwrap();
        assert!(b.check(ip("2001:db8:1:2::1")).is_ok());
        assert!(b.check(ip("2001:db8:1:2::ffff")).is_err(), "same /64");
        assert!(b.check(ip("2001:db8:1:3::1")).is_ok(), "another /64");
        assert!(b.check(ip("192.0.2.7")).is_ok());
        assert!(b.check(ip("::ffff:192.0.2.7")).is_err(), "IPv4-mapped is the IPv4 client");
    }

    #[test]
    fn refilled_clients_are_swept_and_the_map_stays_bounded() {
        let b = Budget::per_second(1000.0, 1).unwrap();
        for i in 0..5000u32 {
            b.check(IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i))).unwrap();
        }
        std::thread::sleep(Duration::from_millis(20));
        for i in 0..5000u32 {
            b.check(IpAddr::V4(std::net::Ipv4Addr::from(0x0b00_0000 + i))).unwrap();
        }
        assert!(b.len() < 10_000, "refilled clients were swept: {}", b.len());
        assert!(b.len() < MAX_CLIENTS);
    }

    #[test]
    fn every_route_has_a_class() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(classify(&post, "/questions"), Class::Write);
        assert_eq!(classify(&post, "/feedback"), Class::Write);
        assert_eq!(classify(&post, "/api/feedback"), Class::Write);
        assert_eq!(classify(&get, "/contact/go"), Class::Write);
        assert_eq!(classify(&get, "/api/search"), Class::Api);
        assert_eq!(classify(&get, "/api/feedback"), Class::Api, "a GET stores nothing");
        assert_eq!(classify(&get, "/search"), Class::Api);
        for path in ["/", "/articles/orders/cancel", "/categories/orders", "/contact", "/assets/app.css", "/healthz", "/sitemap.xml", "/ops/login", "/nothing"] {
            assert_eq!(classify(&get, path), Class::Page, "{path}");
        }
        assert_eq!(classify(&post, "/ops/login"), Class::Page);
        for path in ["/ops", "/ops/insights", "/ops/api/search", "/ops/articles/x"] {
            assert_eq!(classify(&get, path), Class::Console, "{path}");
        }
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}
