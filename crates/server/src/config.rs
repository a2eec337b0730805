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
//! retention_days = 365
//!
//! [operators]                              # console logins: name = token
//! tanaka = "a-long-random-token"
//! ```
//!
//! Environment overrides: `KOTAE_ADDR`, `KOTAE_INDEX`, `KOTAE_CONTENT`, `KOTAE_BASE_URL`,
//! `KOTAE_EVENTS_DB`, `KOTAE_RETENTION_DAYS`, and
//! `KOTAE_OPERATORS` (`name:token,name:token`), which replaces the file's operators.

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
    /// Events older than this many days are deleted (at start and daily).
    pub retention_days: u32,
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
            retention_days: 365,
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
        Ok(config)
    }

    /// Where the events database is: `events_db`, else a sibling of the index folder.
    pub fn events_path(&self) -> PathBuf {
        match &self.events_db {
            Some(p) => p.clone(),
            None => self.index.parent().unwrap_or(Path::new("")).join(kotae_events::DEFAULT_FILE),
        }
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
        if let Some(v) = var("KOTAE_RETENTION_DAYS") {
            self.retention_days = v.trim().parse().with_context(|| format!("KOTAE_RETENTION_DAYS: `{v}` is not a number of days"))?;
        }
        if let Some(v) = var("KOTAE_OPERATORS") {
            self.operators = parse_operators(&v)?;
        }
        Ok(())
    }
}

/// Parse `name:token,name:token`.
pub fn parse_operators(spec: &str) -> anyhow::Result<BTreeMap<String, String>> {
    let mut operators = BTreeMap::new();
    for pair in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, token) = pair
            .split_once(':')
            .with_context(|| format!("KOTAE_OPERATORS: `{pair}` is not name:token"))?;
        anyhow::ensure!(token.len() >= 12, "KOTAE_OPERATORS: the token of `{name}` is shorter than 12 characters");
        operators.insert(name.trim().to_string(), token.trim().to_string());
    }
    Ok(operators)
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
    }

    #[test]
    fn short_tokens_and_unknown_keys_are_refused() {
        assert!(parse_operators("a:short").is_err());
        assert!(toml::from_str::<Config>("adress = \"x\"").is_err());
    }
}
