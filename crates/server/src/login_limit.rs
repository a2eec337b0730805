//! How many failed console logins may one client make? A token bucket per client address
//! (`login_failures_per_minute` tokens a minute, as many at once), where an attempt is
//! *reserved* before its secret is checked and given back when it succeeds.
//!
//! Reserving first is what makes the limit hold under concurrency: a hundred wrong passwords
//! sent at once take the five tokens there are, and the other ninety-five are refused before
//! any secret is looked at. A success refunds its token, so operators logging in (or programs
//! calling the agents' API with a valid token) are never limited by their own successes.
//!
//! Buckets that have refilled completely are equivalent to absent ones, so they are swept
//! away once the map has doubled since the last sweep; a flood of distinct addresses cannot
//! grow it past [`MAX_CLIENTS`] (it is then cleared). IPv6 addresses are counted per /64.
//!
//! The public request budgets ([`crate::limit`]) use the `governor` crate; this one is hand
//! written because it needs the refund, which governor's limiters do not offer.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::client::{MAX_CLIENTS, client_key};

/// Per-client token buckets.
#[derive(Debug)]
pub struct Limiter {
    /// Tokens added per second.
    rate: f64,
    /// Bucket size: how many attempts may come at once after a quiet period.
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

/// An attempt reserved by [`Limiter::reserve`]: it counts as a failure unless
/// [`Reservation::succeeded`] gives it back.
#[must_use = "a reservation is a failure unless `succeeded` is called"]
pub struct Reservation<'a> {
    limiter: Option<&'a Limiter>,
    client: IpAddr,
}

impl Reservation<'_> {
    /// The attempt succeeded: give its token back.
    pub fn succeeded(self) {
        if let Some(l) = self.limiter {
            l.refund(self.client);
        }
    }

    /// A reservation of no limiter (the limit is off).
    pub fn unlimited(client: IpAddr) -> Reservation<'static> {
        Reservation { limiter: None, client }
    }
}

impl Limiter {
    /// A limiter allowing `rate` attempts a second with bursts of `burst`; `None` (no limit)
    /// when either is 0.
    pub fn new(rate: f64, burst: u32) -> Option<Limiter> {
        (rate > 0.0 && rate.is_finite() && burst > 0).then(|| Limiter {
            rate,
            burst: f64::from(burst),
            inner: Mutex::new(Buckets { map: HashMap::new(), next_sweep: 1024 }),
        })
    }

    /// Reserve an attempt for `client` before checking its secret. `Err` carries how long
    /// until one is available.
    pub fn reserve(&self, client: IpAddr) -> Result<Reservation<'_>, Duration> {
        self.take(client, Instant::now())?;
        Ok(Reservation { limiter: Some(self), client })
    }

    /// Take one token from `client`'s bucket. `Err` carries how long until one is available.
    pub fn take(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        self.update(client, now, true)
    }

    /// Whether `client` has a token left, without taking it.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        self.update(client, now, false)
    }

    /// Give one token back to `client` (a reserved attempt that succeeded).
    pub fn refund(&self, client: IpAddr) {
        let Ok(mut b) = self.inner.lock() else { return };
        let client = client_key(client);
        let now = Instant::now();
        if let Some(bucket) = b.map.get(&client).copied() {
            let tokens = self.refill(&bucket, now) + 1.0;
            if tokens >= self.burst {
                b.map.remove(&client);
            } else {
                b.map.insert(client, Bucket { tokens, updated: now });
            }
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
        let client = client_key(client);
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
            tracing::warn!(clients = b.map.len(), "too many clients to track: failed-login limits reset");
            b.map.clear();
        }
        b.next_sweep = (b.map.len() * 2).clamp(1024, MAX_CLIENTS);
    }
}

/// The failed-login limiter of the settings: `per_minute` attempts a minute, as many at once.
pub fn per_minute(per_minute: u32) -> Option<Limiter> {
    Limiter::new(f64::from(per_minute) / 60.0, per_minute)
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
        assert!(per_minute(0).is_none());
    }

    #[test]
    fn reservations_are_taken_before_the_check_and_successes_give_them_back() {
        let l = per_minute(5).unwrap();
        let client = ip("192.0.2.1");
        let held: Vec<_> = (0..5).map(|_| l.reserve(client).expect("five attempts")).collect();
        assert!(l.reserve(client).is_err(), "all five are in flight: the sixth waits");
        let mut held = held.into_iter();
        held.next().unwrap().succeeded();
        let again = l.reserve(client).expect("a success gave its attempt back");
        drop(held);
        assert!(l.reserve(client).is_err(), "the four failures and the one in flight count");
        again.succeeded();
        assert!(l.reserve(client).is_ok());
        assert!(l.reserve(ip("192.0.2.2")).is_ok(), "another client has its own budget");
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
}
