//! Who is the client? Its address as the per-client limits count it.
//!
//! The socket peer's address, or the last `X-Forwarded-For` entry when `trust_forwarded_for` is
//! on (the one the reverse proxy in front of Kotae appended); IPv6 addresses are counted per
//! /64, the block one subscriber usually gets.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;

use crate::config::Config;

/// The most clients one per-client table remembers; past that it forgets them all (and logs it).
pub const MAX_CLIENTS: usize = 65_536;

/// What a client is counted as: its IPv4 address, or the /64 of its IPv6 address.
pub fn client_key(ip: IpAddr) -> IpAddr {
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
