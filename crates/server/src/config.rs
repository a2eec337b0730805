//! How is the service configured? One TOML file, then environment overrides.
//!
//! ```toml
//! addr = "127.0.0.1:8080"
//! index = "index"
//! content = "content"
//! base_url = "https://help.example.com"   # for canonical URLs and the sitemap
//! reload_interval_ms = 500
//! request_timeout_ms = 10000
//! events_db = "kotae-events.sqlite3"      # default: beside the index folder
//! events_url = "postgres://kotae:secret@db.internal/kotae"   # PostgreSQL instead of events_db
//! retention_days = 365
//! rate_limit_per_second = 20.0             # per client on /api/* and /search; 0 = off
//! rate_limit_burst = 60
//! write_rate_limit_per_minute = 6.0        # per client: votes, questions, /contact/go; 0 = off
//! write_rate_limit_burst = 10
//! page_rate_limit_per_second = 20.0        # per client: every other public route; 0 = off
//! page_rate_limit_burst = 120
//! view_window_minutes = 1440               # one counted article view per client per window
//! login_failures_per_minute = 5            # per client; 0 = off
//! trust_forwarded_for = false              # take the client from X-Forwarded-For
//! header_read_timeout_ms = 10000           # close connections whose headers take longer
//! max_connections = 512                    # open connections at most; more wait to be accepted
//! max_connections_per_client = 64          # per client address; 0 = off
//! session_secret = "…"                     # console session key, 32 bytes or more; replicas share it
//! shutdown_drain_ms = 0                    # on SIGTERM: /readyz says 503 this long before stopping
//! timezone = "Asia/Tokyo"                  # IANA name: days and times of /ops/insights, `kotae report`
//! learned_ranking = true                   # promote what resolved a question (see `recorder`)
//! widget_origins = ["https://shop.example.com"]  # pages that may embed /widget.js (CORS)
//! image_hosts = ["https://cdn.example.com"] # external image hosts pages may show (CSP img-src)
//!
//! [operators]                              # console logins: name = token or argon2 hash
//! tanaka = "a-long-random-token"
//! sato = "$argon2id$v=19$m=19456,t=2,p=1$..."   # from `kotae hash-password`
//! ```
//!
//! Environment overrides: `KOTAE_ADDR`, `KOTAE_INDEX`, `KOTAE_CONTENT`, `KOTAE_BASE_URL`,
//! `KOTAE_EVENTS_DB`, `KOTAE_EVENTS_URL`, `KOTAE_RETENTION_DAYS`, `KOTAE_RATE_LIMIT` (`RATE` or `RATE,BURST` for
//! the API; `0` or `off` switches every per-client request limit off: API, writes and pages),
//! `KOTAE_WRITE_RATE_LIMIT` (`off`, `RATE` or `RATE,BURST`, a minute), `KOTAE_PAGE_RATE_LIMIT`
//! (`off`, `RATE` or `RATE,BURST`, a second), `KOTAE_RESULT_CACHE`,
//! `KOTAE_LOGIN_FAILURES_PER_MINUTE`, `KOTAE_TRUST_FORWARDED_FOR` (`true`/`false`),
//! `KOTAE_MAX_CONNECTIONS`, `KOTAE_MAX_CONNECTIONS_PER_CLIENT`, `KOTAE_HEADER_READ_TIMEOUT_MS`,
//! `KOTAE_SESSION_SECRET`, `KOTAE_SHUTDOWN_DRAIN_MS`,
//! `KOTAE_TIMEZONE`, `KOTAE_LEARNED_RANKING` (`true`/`false`),
//! `KOTAE_WIDGET_ORIGINS` (`https://a.example,https://b.example`; empty: none),
//! and `KOTAE_OPERATORS` (`name:secret,name:secret`), which replaces the file's operators.
//!
//! `session_secret` signs console session cookies ([`crate::session`]): replicas behind one load
//! balancer must have the same one, so that a login on one works on the others. Unset, each
//! process draws a random key at start (one machine works; a restart logs operators out).
//! `shutdown_drain_ms`: on SIGTERM or Ctrl-C, `/readyz` answers 503 at once while requests keep
//! being served for this long, so that a load balancer stops sending new ones; then the service
//! stops (finishing the requests in flight). A second signal stops it at once.
//!
//! Every operator, from the file or the environment, has a token of 12 characters or more or
//! an argon2 hash: [`Config::validate`] refuses the settings otherwise, naming the operator.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

/// The service's settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub addr: String,
    pub index: PathBuf,
    pub content: PathBuf,
    /// The public address of the help center, without a trailing slash; when empty, links
    /// are built from the request's Host header.
    pub base_url: String,
    /// How often the index folder is checked for a new generation.
    pub reload_interval_ms: u64,
    pub request_timeout_ms: u64,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Operators of the console: name → token.
    pub operators: BTreeMap<String, String>,
    /// Confidence below which `/api/answer` hands the customer to a human.
    pub answer_threshold: f32,
    /// The events database (SQLite); when unset, `kotae-events.sqlite3` beside the index folder.
    pub events_db: Option<PathBuf>,
    /// A PostgreSQL database for the events (`postgres://user:password@host:port/db`), shared
    /// by several replicas; when set, `events_db` is not used.
    pub events_url: Option<String>,
    /// Events older than this many days are deleted (at start and daily).
    pub retention_days: u32,
    /// Requests a second each client may make to `/api/*` and `/search` (0: no limit).
    pub rate_limit_per_second: f64,
    /// How many of those requests may come at once (0: no limit).
    pub rate_limit_burst: u32,
    /// Requests that store something (votes, questions, `/contact/go`) each client may make a
    /// minute (0: no limit).
    pub write_rate_limit_per_minute: f64,
    /// How many of those may come at once (0: no limit).
    pub write_rate_limit_burst: u32,
    /// Requests a second each client may make to the other public routes: pages, articles,
    /// assets, `/healthz`, `/ops/login` (0: no limit).
    pub page_rate_limit_per_second: f64,
    /// How many of those may come at once (0: no limit).
    pub page_rate_limit_burst: u32,
    /// An article view counts toward popularity once per client and article in this many
    /// minutes (0: every view counts).
    pub view_window_minutes: u64,
    /// Connections whose request headers are not complete after this long are closed (an idle
    /// keep-alive connection too). 0: no limit (not recommended).
    pub header_read_timeout_ms: u64,
    /// Open connections at most; further ones wait in the listen queue until one closes.
    pub max_connections: usize,
    /// Open connections from one client address at most (IPv6 per /64); further ones are
    /// closed at once. 0: no limit. Not applied with `trust_forwarded_for` (the peer is then
    /// the reverse proxy).
    pub max_connections_per_client: usize,
    /// Failed console logins (or wrong bearer tokens) each client may make a minute before it
    /// gets 429 (0: no limit).
    pub login_failures_per_minute: u32,
    /// Identify clients by the last address of `X-Forwarded-For` (set by the reverse proxy in
    /// front of Kotae) instead of the socket peer. Only turn on behind such a proxy.
    pub trust_forwarded_for: bool,
    /// How many recent distinct searches each index generation keeps the results of (0: none,
    /// every request is searched).
    pub result_cache: usize,
    /// The key console session cookies are signed with (at least 32 bytes); random per
    /// process when unset.
    pub session_secret: Option<String>,
    /// How long readiness says 503 before the service stops, on SIGTERM.
    pub shutdown_drain_ms: u64,
    /// The site's time zone (IANA name): the insights' days and times are in it.
    pub timezone: String,
    /// Move up, for a query seen often enough, the pages that resolved it for many clients
    /// (`kotae_core::search::learned`); off: the plain ranking (writers' pins still apply).
    pub learned_ranking: bool,
    /// Origins (`scheme://host[:port]`) of the pages that embed `/widget.js`: only they get
    /// CORS headers on the public API, and may send votes to it ([`crate::widget`]).
    pub widget_origins: Vec<String>,
    /// External hosts whose images pages may show (`https://` origins, added to the CSP's
    /// `img-src`); an image from another host is shown as a link.
    pub image_hosts: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: "127.0.0.1:8080".into(),
            index: "index".into(),
            content: "content".into(),
            base_url: String::new(),
            reload_interval_ms: 500,
            request_timeout_ms: 10_000,
            max_body_bytes: 16 * 1024,
            operators: BTreeMap::new(),
            answer_threshold: 0.5,
            events_db: None,
            events_url: None,
            retention_days: 365,
            rate_limit_per_second: 20.0,
            rate_limit_burst: 60,
            write_rate_limit_per_minute: 6.0,
            write_rate_limit_burst: 10,
            page_rate_limit_per_second: 20.0,
            page_rate_limit_burst: 120,
            view_window_minutes: 24 * 60,
            header_read_timeout_ms: 10_000,
            max_connections: 512,
            max_connections_per_client: 64,
            login_failures_per_minute: 5,
            trust_forwarded_for: false,
            result_cache: kotae_core::search::result_cache::DEFAULT_CAPACITY,
            session_secret: None,
            shutdown_drain_ms: 0,
            timezone: kotae_events::report::DEFAULT_TIMEZONE.into(),
            learned_ranking: true,
            widget_origins: Vec::new(),
            image_hosts: Vec::new(),
        }
    }
}

impl Config {
    /// Read `path` (if given), then apply the environment overrides.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let mut config = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
                toml::from_str(&text).with_context(|| format!("in {}", p.display()))?
            }
            None => Config::default(),
        };
        config.apply_env(|k| std::env::var(k).ok())?;
        config.validate()?;
        Ok(config)
    }

    /// Where the events database is: `events_db`, else a sibling of the index folder.
    pub fn events_path(&self) -> PathBuf {
        match &self.events_db {
            Some(p) => p.clone(),
            None => self.index.parent().unwrap_or(Path::new("")).join(kotae_events::DEFAULT_FILE),
        }
    }

    /// Open the events store: PostgreSQL when `events_url` is set, else the SQLite file of
    /// [`Config::events_path`], refused when it cannot be written.
    pub fn open_events(&self) -> anyhow::Result<kotae_events::EventStore> {
        match &self.events_url {
            Some(url) => kotae_events::EventStore::postgres(url),
            None => kotae_events::EventStore::sqlite_for_recording(&self.events_path()),
        }
    }

    /// Refuse settings that cannot work or are unsafe: an operator with a malformed password
    /// hash or a token shorter than 12 characters (empty included), wherever it was set; a
    /// negative rate; no connections at all.
    pub fn validate(&self) -> anyhow::Result<()> {
        for (name, secret) in &self.operators {
            crate::auth::validate_operator(name, secret).context("[operators]")?;
        }
        for (key, rate) in [
            ("rate_limit_per_second", self.rate_limit_per_second),
            ("write_rate_limit_per_minute", self.write_rate_limit_per_minute),
            ("page_rate_limit_per_second", self.page_rate_limit_per_second),
        ] {
            anyhow::ensure!(rate >= 0.0 && rate.is_finite(), "{key} must be 0 (off) or a positive number");
        }
        anyhow::ensure!(self.max_connections > 0, "max_connections must be at least 1");
        if let Some(secret) = &self.session_secret {
            anyhow::ensure!(
                secret.len() >= crate::session::MIN_SECRET_BYTES,
                "session_secret (KOTAE_SESSION_SECRET) is {} bytes: at least {} are needed (for example `openssl rand -hex 32`)",
                secret.len(),
                crate::session::MIN_SECRET_BYTES
            );
        }
        kotae_events::report::parse_timezone(&self.timezone).context("timezone")?;
        for origin in &self.widget_origins {
            check_origin(origin).context("widget_origins")?;
        }
        for host in &self.image_hosts {
            anyhow::ensure!(
                kotae_core::content::images::is_valid_image_host(host),
                "image_hosts: `{host}` is not an https:// origin like `https://cdn.example.com` (no path)"
            );
        }
        Ok(())
    }

    /// The site's time zone ([`Config::validate`] refused any other than a valid name).
    pub fn tz(&self) -> kotae_events::report::Tz {
        kotae_events::report::parse_timezone(&self.timezone).unwrap_or(kotae_events::report::Tz::Asia__Tokyo)
    }

    /// Switch every per-client request limit off (`KOTAE_RATE_LIMIT=0`).
    pub fn without_request_limits(&mut self) {
        self.rate_limit_per_second = 0.0;
        self.write_rate_limit_per_minute = 0.0;
        self.page_rate_limit_per_second = 0.0;
    }

    fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = var("KOTAE_ADDR") {
            self.addr = v;
        }
        if let Some(v) = var("KOTAE_INDEX") {
            self.index = v.into();
        }
        if let Some(v) = var("KOTAE_CONTENT") {
            self.content = v.into();
        }
        if let Some(v) = var("KOTAE_BASE_URL") {
            self.base_url = v.trim_end_matches('/').to_string();
        }
        if let Some(v) = var("KOTAE_EVENTS_DB").filter(|v| !v.is_empty()) {
            self.events_db = Some(v.into());
        }
        if let Some(v) = var("KOTAE_EVENTS_URL").filter(|v| !v.is_empty()) {
            self.events_url = Some(v);
        }
        if let Some(v) = var("KOTAE_RETENTION_DAYS") {
            self.retention_days = v.trim().parse().with_context(|| format!("KOTAE_RETENTION_DAYS: `{v}` is not a number of days"))?;
        }
        if let Some(v) = var("KOTAE_RATE_LIMIT") {
            let (rate, burst) = parse_rate_limit(&v).context("KOTAE_RATE_LIMIT")?;
            self.rate_limit_per_second = rate;
            if let Some(burst) = burst {
                self.rate_limit_burst = burst;
            }
            if rate == 0.0 {
                self.without_request_limits();
            }
        }
        if let Some(v) = var("KOTAE_WRITE_RATE_LIMIT") {
            let (rate, burst) = parse_rate_limit(&v).context("KOTAE_WRITE_RATE_LIMIT")?;
            self.write_rate_limit_per_minute = rate;
            if let Some(burst) = burst {
                self.write_rate_limit_burst = burst;
            }
        }
        if let Some(v) = var("KOTAE_PAGE_RATE_LIMIT") {
            let (rate, burst) = parse_rate_limit(&v).context("KOTAE_PAGE_RATE_LIMIT")?;
            self.page_rate_limit_per_second = rate;
            if let Some(burst) = burst {
                self.page_rate_limit_burst = burst;
            }
        }
        for (key, target) in [
            ("KOTAE_MAX_CONNECTIONS", &mut self.max_connections),
            ("KOTAE_MAX_CONNECTIONS_PER_CLIENT", &mut self.max_connections_per_client),
        ] {
            if let Some(v) = var(key) {
                *target = v.trim().parse().with_context(|| format!("{key}: `{v}` is not a whole number"))?;
            }
        }
        if let Some(v) = var("KOTAE_HEADER_READ_TIMEOUT_MS") {
            self.header_read_timeout_ms =
                v.trim().parse().with_context(|| format!("KOTAE_HEADER_READ_TIMEOUT_MS: `{v}` is not a number of milliseconds"))?;
        }
        if let Some(v) = var("KOTAE_RESULT_CACHE") {
            self.result_cache = v.trim().parse().with_context(|| format!("KOTAE_RESULT_CACHE: `{v}` is not a number of searches"))?;
        }
        if let Some(v) = var("KOTAE_LOGIN_FAILURES_PER_MINUTE") {
            self.login_failures_per_minute =
                v.trim().parse().with_context(|| format!("KOTAE_LOGIN_FAILURES_PER_MINUTE: `{v}` is not a whole number"))?;
        }
        for (key, target) in [("KOTAE_TRUST_FORWARDED_FOR", &mut self.trust_forwarded_for), ("KOTAE_LEARNED_RANKING", &mut self.learned_ranking)] {
            if let Some(v) = var(key) {
                *target = match v.trim().to_ascii_lowercase().as_str() {
                    "1" | "true" | "yes" | "on" => true,
                    "0" | "false" | "no" | "off" | "" => false,
                    _ => anyhow::bail!("{key}: `{v}` is not true or false"),
                };
            }
        }
        if let Some(v) = var("KOTAE_TIMEZONE") {
            self.timezone = v.trim().to_string();
        }
        if let Some(v) = var("KOTAE_SESSION_SECRET").filter(|v| !v.is_empty()) {
            self.session_secret = Some(v);
        }
        if let Some(v) = var("KOTAE_SHUTDOWN_DRAIN_MS") {
            self.shutdown_drain_ms =
                v.trim().parse().with_context(|| format!("KOTAE_SHUTDOWN_DRAIN_MS: `{v}` is not a number of milliseconds"))?;
        }
        if let Some(v) = var("KOTAE_WIDGET_ORIGINS") {
            self.widget_origins = v.split(',').map(str::trim).filter(|o| !o.is_empty()).map(str::to_string).collect();
        }
        if let Some(v) = var("KOTAE_OPERATORS") {
            self.operators = parse_operators(&v)?;
        }
        Ok(())
    }
}

/// Refuse a widget origin that is not `http(s)://host[:port]` (no path, no wildcard): a page
/// is embedded from one exact origin, as browsers send it in `Origin`.
pub fn check_origin(origin: &str) -> anyhow::Result<()> {
    let bad = || anyhow::anyhow!("`{origin}` is not an origin such as https://shop.example.com (scheme and host, no path)");
    let (scheme, authority) = origin.trim_end_matches('/').split_once("://").ok_or_else(bad)?;
    anyhow::ensure!(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https"), bad());
    anyhow::ensure!(
        !authority.is_empty() && !authority.contains(|c: char| "/?#@*\\".contains(c) || c.is_whitespace() || c.is_control()),
        bad()
    );
    Ok(())
}

/// Parse a rate limit such as `KOTAE_RATE_LIMIT`: `0` or `off` (no limit), `RATE` (requests
/// a second, or a minute for writes), or `RATE,BURST`. Returns the rate and the burst if given.
pub fn parse_rate_limit(spec: &str) -> anyhow::Result<(f64, Option<u32>)> {
    let spec = spec.trim();
    if spec.is_empty() || spec.eq_ignore_ascii_case("off") {
        return Ok((0.0, None));
    }
    let (rate, burst) = match spec.split_once(',') {
        Some((r, b)) => (r.trim(), Some(b.trim())),
        None => (spec, None),
    };
    let rate: f64 = rate
        .parse()
        .ok()
        .filter(|r: &f64| *r >= 0.0 && r.is_finite())
        .with_context(|| format!("`{spec}` is not `off`, RATE or RATE,BURST"))?;
    let burst = match burst {
        Some(b) => Some(b.parse().with_context(|| format!("the burst `{b}` is not a whole number"))?),
        None => None,
    };
    Ok((rate, burst))
}

/// Parse `name:secret,name:secret`; a secret is a token (12 characters or more) or an argon2
/// hash from `kotae hash-password`. An argon2 hash contains commas, so pairs are split at a
/// comma only where the next part looks like `name:`.
pub fn parse_operators(spec: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let mut pairs: Vec<String> = Vec::new();
    for part in spec.split(',') {
        match pairs.last_mut() {
            Some(last) if last.contains(":$argon2") && !starts_a_pair(part) => {
                last.push(',');
                last.push_str(part);
            }
            _ => pairs.push(part.to_string()),
        }
    }
    let mut operators = BTreeMap::new();
    for pair in pairs.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let (name, secret) = pair
            .split_once(':')
            .with_context(|| format!("KOTAE_OPERATORS: `{pair}` is not name:token"))?;
        let (name, secret) = (name.trim(), secret.trim());
        crate::auth::validate_operator(name, secret).context("KOTAE_OPERATORS")?;
        operators.insert(name.to_string(), secret.to_string());
    }
    Ok(operators)
}

/// Whether `part` begins a new `name:secret` pair (rather than continuing an argon2 hash's
/// `m=…,t=…,p=…` parameters).
fn starts_a_pair(part: &str) -> bool {
    let part = part.trim_start();
    match part.split_once(':') {
        Some((name, _)) => !name.is_empty() && !name.contains(['=', '$']),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_environment() {
        let mut config: Config = toml::from_str("addr = \"0.0.0.0:9000\"\n[operators]\nsato = \"0123456789abcdef\"\n").unwrap();
        assert_eq!(config.addr, "0.0.0.0:9000");
        assert_eq!(config.operators["sato"], "0123456789abcdef");
        config
            .apply_env(|k| match k {
                "KOTAE_OPERATORS" => Some("tanaka:abcdefghijklmnop".into()),
                "KOTAE_BASE_URL" => Some("https://help.example.com/".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(config.operators.len(), 1);
        assert_eq!(config.operators["tanaka"], "abcdefghijklmnop");
        assert_eq!(config.base_url, "https://help.example.com");
    }

    #[test]
    fn a_short_session_secret_is_refused() {
        let mut config = Config::default();
        config.apply_env(|k| (k == "KOTAE_SESSION_SECRET").then(|| "short".into())).unwrap();
        let error = format!("{:#}", config.validate().unwrap_err());
        assert!(error.contains("session_secret") && error.contains("32"), "{error}");
        config.apply_env(|k| (k == "KOTAE_SESSION_SECRET").then(|| "x".repeat(32))).unwrap();
        assert!(config.validate().is_ok());
        config.apply_env(|k| (k == "KOTAE_SHUTDOWN_DRAIN_MS").then(|| "2500".into())).unwrap();
        assert_eq!(config.shutdown_drain_ms, 2500);
    }

    #[test]
    fn events_database_sits_beside_the_index() {
        let mut config = Config { index: "/srv/kotae/index".into(), ..Config::default() };
        assert_eq!(config.events_path(), Path::new("/srv/kotae/kotae-events.sqlite3"));
        assert_eq!(Config::default().events_path(), Path::new("kotae-events.sqlite3"));
        assert_eq!(config.retention_days, 365);
        config
            .apply_env(|k| match k {
                "KOTAE_EVENTS_DB" => Some("/var/lib/kotae/e.db".into()),
                "KOTAE_RETENTION_DAYS" => Some("90".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(config.events_path(), Path::new("/var/lib/kotae/e.db"));
        assert_eq!(config.retention_days, 90);
        assert_eq!(config.events_url, None, "SQLite unless a URL is given");
    }

    #[test]
    fn events_url_from_the_file_or_the_environment() {
        let mut config: Config = toml::from_str("events_url = \"postgres://kotae@db/kotae\"\n").unwrap();
        assert_eq!(config.events_url.as_deref(), Some("postgres://kotae@db/kotae"));
        config.apply_env(|k| (k == "KOTAE_EVENTS_URL").then(|| "postgres://other@db2/kotae".into())).unwrap();
        assert_eq!(config.events_url.as_deref(), Some("postgres://other@db2/kotae"));
        // A URL that is not one is refused at start with the key's name.
        config.events_url = Some("mysql://nope".into());
        let e = config.open_events().err().expect("refused");
        assert!(format!("{e:#}").contains("events_url"), "{e:#}");
    }

    #[test]
    fn the_result_cache_can_be_resized_or_turned_off() {
        let mut config = Config::default();
        assert_eq!(config.result_cache, 1024);
        config.apply_env(|k| (k == "KOTAE_RESULT_CACHE").then(|| "0".into())).unwrap();
        assert_eq!(config.result_cache, 0);
        let error = config.apply_env(|k| (k == "KOTAE_RESULT_CACHE").then(|| "lots".into())).unwrap_err();
        assert!(format!("{error:#}").contains("KOTAE_RESULT_CACHE"), "{error:#}");
    }

    #[test]
    fn short_tokens_and_unknown_keys_are_refused() {
        assert!(parse_operators("a:short").is_err());
        assert!(toml::from_str::<Config>("adress = \"x\"").is_err());
        assert!(parse_operators("a:$argon2id$v=19$broken").is_err(), "a malformed hash is refused at start");
        let config: Config = toml::from_str("[operators]\nsato = \"$argon2id$nope\"\n").unwrap();
        assert!(config.validate().is_err());
    }

    #[test]
    fn operators_from_the_file_are_checked_like_the_environment_ones() {
        for (name, secret) in [("weak", "a"), ("empty", ""), ("eleven", "abcdefghijk")] {
            let config: Config = toml::from_str(&format!("[operators]\n{name} = \"{secret}\"\n")).unwrap();
            let error = format!("{:#}", config.validate().unwrap_err());
            assert!(error.contains(&format!("`{name}`")), "{error}");
            assert!(parse_operators(&format!("{name}:{secret}")).is_err());
        }
        let config: Config = toml::from_str("[operators]\ntanaka = \"abcdefghijkl\"\n").unwrap();
        assert!(config.validate().is_ok(), "12 characters are enough");
    }

    #[test]
    fn request_and_connection_limits_can_be_set_and_switched_off() {
        let mut config = Config::default();
        assert_eq!((config.write_rate_limit_per_minute, config.write_rate_limit_burst), (6.0, 10));
        assert_eq!((config.page_rate_limit_per_second, config.page_rate_limit_burst), (20.0, 120));
        assert_eq!((config.max_connections, config.max_connections_per_client, config.header_read_timeout_ms), (512, 64, 10_000));
        config
            .apply_env(|k| match k {
                "KOTAE_WRITE_RATE_LIMIT" => Some("3,4".into()),
                "KOTAE_PAGE_RATE_LIMIT" => Some("5".into()),
                "KOTAE_MAX_CONNECTIONS" => Some("100".into()),
                "KOTAE_MAX_CONNECTIONS_PER_CLIENT" => Some("0".into()),
                "KOTAE_HEADER_READ_TIMEOUT_MS" => Some("2500".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!((config.write_rate_limit_per_minute, config.write_rate_limit_burst), (3.0, 4));
        assert_eq!((config.page_rate_limit_per_second, config.page_rate_limit_burst), (5.0, 120));
        assert_eq!((config.max_connections, config.max_connections_per_client, config.header_read_timeout_ms), (100, 0, 2500));
        // KOTAE_RATE_LIMIT=0 (load tests from one address) switches every request budget off.
        config.apply_env(|k| (k == "KOTAE_RATE_LIMIT").then(|| "off".into())).unwrap();
        assert_eq!((config.rate_limit_per_second, config.write_rate_limit_per_minute, config.page_rate_limit_per_second), (0.0, 0.0, 0.0));
        assert!(Config { max_connections: 0, ..Config::default() }.validate().is_err());
        assert!(Config { write_rate_limit_per_minute: -1.0, ..Config::default() }.validate().is_err());
    }

    #[test]
    fn the_time_zone_is_checked_at_start_and_learning_can_be_switched_off() {
        let config = Config::default();
        assert_eq!((config.tz(), config.learned_ranking), (kotae_events::report::Tz::Asia__Tokyo, true));
        let file: Config = toml::from_str("timezone = \"Asia/Tokio\"\n").unwrap();
        let error = format!("{:#}", file.validate().unwrap_err());
        assert!(error.starts_with("timezone") && error.contains("`Asia/Tokio` is not a time zone"), "{error}");
        let mut config = Config::default();
        config
            .apply_env(|k| match k {
                "KOTAE_TIMEZONE" => Some("Europe/Paris".into()),
                "KOTAE_LEARNED_RANKING" => Some("off".into()),
                _ => None,
            })
            .unwrap();
        assert!(config.validate().is_ok());
        assert_eq!((config.tz().name(), config.learned_ranking), ("Europe/Paris", false));
        assert!(config.apply_env(|k| (k == "KOTAE_LEARNED_RANKING").then(|| "maybe".into())).is_err());
    }

    #[test]
    fn widget_origins_come_from_the_file_or_the_environment_and_are_checked() {
        let config: Config = toml::from_str("widget_origins = [\"https://shop.example.com\"]\n").unwrap();
        assert_eq!(config.widget_origins, ["https://shop.example.com"]);
        assert!(config.validate().is_ok());
        let mut config = Config::default();
        config.apply_env(|k| (k == "KOTAE_WIDGET_ORIGINS").then(|| "https://a.example, http://127.0.0.1:8081/,".into())).unwrap();
        assert_eq!(config.widget_origins, ["https://a.example", "http://127.0.0.1:8081/"]);
        assert!(config.validate().is_ok());
        for bad in ["*", "shop.example.com", "https://shop.example.com/orders", "ftp://x.example", "https://", "null", "https://a b"] {
            let config = Config { widget_origins: vec![bad.into()], ..Config::default() };
            let error = format!("{:#}", config.validate().unwrap_err());
            assert!(error.contains("widget_origins") && error.contains(bad), "{bad}: {error}");
        }
    }

    #[test]
    fn operators_may_have_argon2_hashes_with_commas() {
        let hash = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";
        let ops = parse_operators(&format!("sato:{hash},tanaka:abcdefghijklmnop")).unwrap();
        assert_eq!(ops["sato"], hash);
        assert_eq!(ops["tanaka"], "abcdefghijklmnop");
        let ops = parse_operators(&format!("tanaka:abcdefghijklmnop, sato:{hash}")).unwrap();
        assert_eq!(ops["sato"], hash);
    }

    #[test]
    fn rate_limits_have_safe_defaults_and_can_be_switched_off() {
        let config = Config::default();
        assert_eq!((config.rate_limit_per_second, config.rate_limit_burst), (20.0, 60));
        assert_eq!(config.login_failures_per_minute, 5);
        assert!(!config.trust_forwarded_for);
        for (spec, expected) in [("0", (0.0, None)), ("off", (0.0, None)), ("50", (50.0, None)), ("5, 10", (5.0, Some(10)))] {
            assert_eq!(parse_rate_limit(spec).unwrap(), expected, "{spec}");
        }
        assert!(parse_rate_limit("fast").is_err());
        assert!(parse_rate_limit("-1").is_err());
        let mut config = Config::default();
        config
            .apply_env(|k| match k {
                "KOTAE_RATE_LIMIT" => Some("0".into()),
                "KOTAE_LOGIN_FAILURES_PER_MINUTE" => Some("3".into()),
                "KOTAE_TRUST_FORWARDED_FOR" => Some("true".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(config.rate_limit_per_second, 0.0);
        assert_eq!(config.login_failures_per_minute, 3);
        assert!(config.trust_forwarded_for);
        let file: Config = toml::from_str("rate_limit_per_second = 5\nrate_limit_burst = 10\ntrust_forwarded_for = true\n").unwrap();
        assert_eq!((file.rate_limit_per_second, file.rate_limit_burst, file.trust_forwarded_for), (5.0, 10, true));
    }
}
