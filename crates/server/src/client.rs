//! Who is the client? The address a request comes from (the socket peer, or the address the
//! reverse proxy in front of Kotae appended to `X-Forwarded-For` when it is trusted), and the
//! key the per-client limits count it by.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;

use crate::config::Config;

/// The most clients one budget remembers; past that it forgets them all (and logs it).
pub const MAX_CLIENTS: usize = 65_536;

/// The client a request came from, put in its extensions by [`crate::throttle::per_client`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client(pub IpAddr);

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


#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
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
}
