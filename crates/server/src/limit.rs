//! How many requests may one client make? Per-client token buckets for the public API and the
//! results page, and for failed console logins.
//!
//! - [`Limiter`]: a token bucket per client address (`rate` tokens a second, at most `burst`),
//!   kept in a `Mutex<HashMap>`. Buckets that have refilled completely are equivalent to absent
//!   ones, so they are swept away once the map has doubled since the last sweep; a flood of
//!   distinct addresses cannot grow it past [`MAX_CLIENTS`] (it is then cleared). IPv6
//!   addresses are counted per /64, the block one subscriber usually gets.
//! - [`client_ip`]: who the client is: the socket peer address (from axum's `ConnectInfo`), or
//!   the last address of `X-Forwarded-For` when `trust_forwarded_for` is on (the one the
//!   reverse proxy in front of Kotae appended; earlier ones are whatever the client sent).
//! - [`public_api`]: the middleware on `/api/*` and `/search`; over the limit it answers 429
//!   with `Retry-After` (JSON like every API error; a Japanese page for `/search`).
//!
//! A request whose client address is unknown (the router served without
//! `into_make_service_with_connect_info`, as in tests that call it directly) is not limited by
//! [`public_api`]; [`crate::run`] always serves with the peer address.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::middleware::Next;
use serde_json::json;

use crate::config::Config;
use crate::state::AppState;

/// The most clients one limiter remembers; past that it forgets them all (and logs it).
pub const MAX_CLIENTS: usize = 65_536;

/// Per-client token buckets.
#[derive(Debug)]
pub struct Limiter {
    /// Tokens added per second.
    rate: f64,
    /// Bucket size: how many requests may come at once after a quiet period.
    burst: f64,
    inner: Mutex<Buckets>,
}

#[derive(Debug)]
struct Buckets {
    map: HashMap<IpAddr, Bucket>,
    /// Sweep full buckets when the map reaches this size.
    next_sweep: usize,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    updated: Instant,
}

impl Limiter {
    /// A limiter allowing `rate` requests a second with bursts of `burst`; `None` (no limit)
    /// when either is 0.
    pub fn new(rate: f64, burst: u32) -> Option<Limiter> {
        (rate > 0.0 && rate.is_finite() && burst > 0).then(|| Limiter {
            rate,
            burst: f64::from(burst),
            inner: Mutex::new(Buckets { map: HashMap::new(), next_sweep: 1024 }),
        })
    }

    /// Take one token from `client`'s bucket. `Err` carries how long until one is available.
    pub fn take(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        self.update(client, now, true)
    }

    /// Whether `client` has a token left, without taking it.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        self.update(client, now, false)
    }

    /// Forget `client` (its bucket is full again).
    pub fn forget(&self, client: IpAddr) {
        if let Ok(mut b) = self.inner.lock() {
            b.map.remove(&key(client));
        }
    }

    /// How many clients are remembered now.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|b| b.map.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn refill(&self, bucket: &Bucket, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        (bucket.tokens + elapsed * self.rate).min(self.burst)
    }

    fn update(&self, client: IpAddr, now: Instant, take: bool) -> Result<(), Duration> {
        let Ok(mut b) = self.inner.lock() else { return Ok(()) };
        let client = key(client);
        let tokens = match b.map.get(&client) {
            Some(bucket) => self.refill(bucket, now),
            None => self.burst,
        };
        if tokens < 1.0 {
            let wait = (1.0 - tokens) / self.rate;
            return Err(Duration::from_secs_f64(wait));
        }
        if take {
            if !b.map.contains_key(&client) && b.map.len() + 1 >= b.next_sweep {
                self.sweep(&mut b, now);
            }
            b.map.insert(client, Bucket { tokens: tokens - 1.0, updated: now });
        }
        Ok(())
    }

    /// Drop the buckets that are full again; they behave exactly like absent ones.
    fn sweep(&self, b: &mut Buckets, now: Instant) {
        b.map.retain(|_, bucket| self.refill(bucket, now) < self.burst);
        if b.map.len() >= MAX_CLIENTS {
            tracing::warn!(clients = b.map.len(), "too many clients to track: rate limits reset");
            b.map.clear();
        }
        b.next_sweep = (b.map.len() * 2).clamp(1024, MAX_CLIENTS);
    }
}

/// What a client is counted as: its IPv4 address, or the /64 of its IPv6 address.
fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// The limiters the service uses, built from its settings.
#[derive(Debug)]
pub struct Limits {
    /// `/api/*` and `/search`, per client.
    pub api: Option<Limiter>,
    /// Failed console logins (and wrong bearer tokens), per client.
    pub login: Option<Limiter>,
}

impl Limits {
    pub fn new(config: &Config) -> Limits {
        let login = config.login_failures_per_minute;
        Limits {
            api: Limiter::new(config.rate_limit_per_second, config.rate_limit_burst),
            login: Limiter::new(f64::from(login) / 60.0, login),
        }
    }
}

/// The client's address: the last `X-Forwarded-For` entry when `trust_forwarded_for` is on and
/// the header is there, else the socket peer; `None` when neither is known.
pub fn client_ip(config: &Config, headers: &HeaderMap, extensions: &axum::http::Extensions) -> Option<IpAddr> {
    if config.trust_forwarded_for {
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|s| !s.is_empty())
            .and_then(|s| s.parse::<IpAddr>().ok().or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip())));
        if forwarded.is_some() {
            return forwarded;
        }
    }
    extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(addr)| addr.ip())
}

/// Whole seconds to announce in `Retry-After` (at least 1).
pub fn retry_after_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// A 429 for the JSON API: `{"error":{"status":429,"message":...}}` with `Retry-After`.
pub fn too_many_json(wait: Duration) -> Response {
    let secs = retry_after_secs(wait);
    let body = json!({ "error": { "status": 429, "message": format!("too many requests; try again in {secs} s") } });
    with_retry_after((StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response(), secs)
}

/// Add `Retry-After: secs` to a response.
pub fn with_retry_after(mut response: Response, secs: u64) -> Response {
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    response
}

/// Middleware on `/api/*` and `/search`: one token per request from the client's bucket.
pub async fn public_api(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let limited = path.starts_with("/api/") || path == "/search";
    if let (true, Some(limiter)) = (limited, state.limits.api.as_ref())
        && let Some(ip) = client_ip(&state.config, request.headers(), request.extensions())
        && let Err(wait) = limiter.take(ip, Instant::now())
    {
        tracing::debug!(client = %ip, path, "rate limited");
        if path.starts_with("/api/") {
            return too_many_json(wait);
        }
        let secs = retry_after_secs(wait);
        let site = state.snapshot().corpus.site.name.clone();
        let message = format!("短時間に多くのリクエストが届いたため、一時的に受け付けを停止しています。{secs}秒ほど待ってから、もう一度お試しください。");
        return with_retry_after(crate::pages::status_page(StatusCode::TOO_MANY_REQUESTS, &site, &message), secs);
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_burst_then_the_rate() {
        let l = Limiter::new(2.0, 3).unwrap();
        let t = Instant::now();
        for _ in 0..3 {
            assert!(l.take(ip("10.0.0.1"), t).is_ok());
        }
        let wait = l.take(ip("10.0.0.1"), t).unwrap_err();
        assert!((wait.as_secs_f64() - 0.5).abs() < 1e-6, "{wait:?}");
        assert!(l.take(ip("10.0.0.2"), t).is_ok(), "another client has its own bucket");
        assert!(l.take(ip("10.0.0.1"), t + Duration::from_millis(500)).is_ok(), "one token after 1/rate");
        assert!(l.take(ip("10.0.0.1"), t + Duration::from_millis(500)).is_err());
        assert!(l.check(ip("10.0.0.1"), t + Duration::from_secs(10)).is_ok());
    }

    #[test]
    fn zero_means_off() {
        assert!(Limiter::new(0.0, 60).is_none());
        assert!(Limiter::new(20.0, 0).is_none());
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_v4_as_v4() {
        let l = Limiter::new(1.0, 1).unwrap();
        let t = Instant::now();
        assert!(l.take(ip("2001:db8:1:2::1"), t).is_ok());
        assert!(l.take(ip("2001:db8:1:2::ffff"), t).is_err(), "same /64");
        assert!(l.take(ip("2001:db8:1:3::1"), t).is_ok(), "another /64");
        assert!(l.take(ip("192.0.2.7"), t).is_ok());
        assert!(l.take(ip("::ffff:192.0.2.7"), t).is_err(), "IPv4-mapped is the IPv4 client");
    }

    #[test]
    fn full_buckets_are_swept_and_the_map_stays_bounded() {
        let l = Limiter::new(100.0, 5).unwrap();
        let t = Instant::now();
        for i in 0..5000u32 {
            let a = IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
            l.take(a, t).unwrap();
        }
        assert_eq!(l.len(), 5000, "recent clients are all remembered");
        // A second later every bucket is full again: the next sweep drops them.
        let later = t + Duration::from_secs(1);
        for i in 0..10_000u32 {
            let a = IpAddr::V4(std::net::Ipv4Addr::from(0x0b00_0000 + i));
            l.take(a, later).unwrap();
        }
        assert!(l.len() <= 10_000, "the 5000 refilled buckets were swept: {}", l.len());
        assert!(l.len() < MAX_CLIENTS);
    }

    #[test]
    fn forwarded_for_only_when_trusted() {
        let mut config = Config::default();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.9, 198.51.100.4"));
        let mut ext = axum::http::Extensions::new();
        ext.insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 4000))));
        assert_eq!(client_ip(&config, &headers, &ext), Some(ip("127.0.0.1")));
        config.trust_forwarded_for = true;
        assert_eq!(client_ip(&config, &headers, &ext), Some(ip("198.51.100.4")), "the proxy's entry, not the client's");
        assert_eq!(client_ip(&config, &HeaderMap::new(), &axum::http::Extensions::new()), None);
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_secs(Duration::from_secs(3)), 3);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
    }
}
