//! What resolved each question: the evidence the learned ranking promotes pages with.
//!
//! A customer's action counts as **resolved** for the (normalized) query it came from and the
//! page it chose when it is
//! - a click on a public search's result, with no later search in the same tab session (or
//!   typed on that results page) within [`Options::return_window`] seconds, or
//! - a 「はい」 vote on a page opened from such a search.
//!
//! Each resolved action weighs
//! - `√rank` (a click on the 4th result counts twice as much as one on the 1st: customers look
//!   at the first results more, so a click there says less; ranks past 20 count as 20), 1 for
//!   a vote;
//! - halved every [`Options::half_life`] seconds of age.
//!
//! A client (a keyed hash of its address, [`crate::Store::client_key`]) counts **once** per
//! query and page: its heaviest action, and nothing when it also voted 「いいえ」 on that page
//! for that query. [`Store::signals`] returns, per query and page, the summed weight (the
//! evidence) and the number of distinct clients; the caller decides what is enough.
//!
//! The SQL is one plain `SELECT` (joins and `EXISTS`, no engine-specific function), run as it
//! is by SQLite and, with `$n` placeholders ([`pg`]), by PostgreSQL
//! ([`crate::PgStore::signals`]); the weighing is done here in Rust ([`weigh`]), once for both.

use std::collections::HashMap;

use rusqlite::params;
use serde::Serialize;

use crate::Store;

/// Ranks past this one weigh as much as it.
pub const MAX_RANK_WEIGHT: u32 = 20;

/// What to read and how to weigh it.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Unix seconds, now.
    pub now: i64,
    /// The weight of an action halves every this many seconds.
    pub half_life: i64,
    /// How many half-lives back events are read (older ones weigh too little to matter).
    pub half_lives: i64,
    /// A search within this many seconds after a click means the click did not resolve.
    pub return_window: i64,
}

impl Options {
    /// Half-life 14 days, read 4 half-lives back (56 days), return window 10 minutes.
    pub fn new(now: i64) -> Self {
        Options {
            now,
            half_life: 14 * 86_400,
            half_lives: 4,
            return_window: 600,
        }
    }
}

/// The evidence that `article` resolved `query`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signal {
    /// The normalized query (`searches.normalized`).
    pub query: String,
    pub article: String,
    /// The summed, decayed and position-weighted resolved actions, one per client.
    pub evidence: f64,
    /// Distinct clients with a resolved action.
    pub clients: u32,
    /// Unix seconds of the newest resolved action.
    pub last: i64,
}

impl Options {
    /// The oldest events read: [`Options::half_lives`] half-lives before now.
    pub fn since(&self) -> i64 {
        self.now - self.half_life.max(1) * self.half_lives.max(1)
    }
}

/// Clicks and votes from public searches since `?1`, with whether the customer searched
/// again within `?2` seconds (`returned`): the one query the learned ranking runs, on both
/// stores.
pub(crate) const ACTIONS: &str = "
SELECT e.kind, e.ts, e.client, e.article, e.rank, e.helpful, s.normalized,
       CAST(CASE WHEN EXISTS (
           SELECT 1 FROM searches n
           WHERE n.id <> s.id AND n.ts >= e.ts AND n.ts <= e.ts + ?2
             AND (n.prev = s.id OR (s.session IS NOT NULL AND n.session = s.session))
       ) THEN 1 ELSE 0 END AS BIGINT) AS returned
FROM events e JOIN searches s ON s.id = e.search_id
WHERE e.ts >= ?1 AND e.kind IN ('click', 'vote') AND e.client IS NOT NULL AND e.article IS NOT NULL
  AND s.audience = 'public' AND s.source <> 'console'";

/// Store the key `?1` unless one is there already (two replicas racing: the first wins).
pub(crate) const INSERT_KEY: &str =
    "INSERT INTO settings (name, value) VALUES ('client_key', ?1) ON CONFLICT (name) DO NOTHING";
/// The key that is there.
pub(crate) const SELECT_KEY: &str = "SELECT value FROM settings WHERE name = 'client_key'";

/// `sql` with PostgreSQL's placeholders (`$1` for `?1`).
pub(crate) fn pg(sql: &str) -> String {
    (1..=9).fold(sql.to_string(), |s, i| {
        s.replace(&format!("?{i}"), &format!("${i}"))
    })
}

/// One row of [`ACTIONS`].
pub(crate) struct Action {
    pub kind: String,
    pub ts: i64,
    pub client: String,
    pub article: String,
    pub rank: Option<i64>,
    pub helpful: Option<i64>,
    pub query: String,
    pub returned: i64,
}

/// One client's say on one query and page.
#[derive(Default)]
struct Say {
    best: f64,
    said_no: bool,
    last: i64,
}

impl Store {
    /// The key clients are hashed with before they are stored, made at random once per
    /// database (so that the same client hashes the same across restarts and replicas, and
    /// the hashes mean nothing without the database).
    pub fn client_key(&self) -> anyhow::Result<String> {
        self.with(|conn| {
            conn.execute(INSERT_KEY, params![random_key()])?;
            Ok(conn.query_row(SELECT_KEY, [], |r| r.get(0))?)
        })
    }

    /// Per query and page, the evidence that the page resolved the query (see the module).
    pub fn signals(&self, o: &Options) -> anyhow::Result<Vec<Signal>> {
        let rows = self.with(|conn| {
            let mut stmt = conn.prepare(ACTIONS)?;
            let rows = stmt
                .query_map(params![o.since(), o.return_window], |r| {
                    Ok(Action {
                        kind: r.get(0)?,
                        ts: r.get(1)?,
                        client: r.get(2)?,
                        article: r.get(3)?,
                        rank: r.get(4)?,
                        helpful: r.get(5)?,
                        query: r.get(6)?,
                        returned: r.get(7)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })?;
        Ok(weigh(rows, o))
    }
}

/// The rows of [`ACTIONS`] weighed into signals (see the module).
pub(crate) fn weigh(rows: impl IntoIterator<Item = Action>, o: &Options) -> Vec<Signal> {
    let mut says: HashMap<(String, String), HashMap<String, Say>> = HashMap::new();
    for a in rows {
        let say = says
            .entry((a.query, a.article))
            .or_default()
            .entry(a.client)
            .or_default();
        let weight = match (a.kind.as_str(), a.helpful) {
            ("vote", Some(0)) => {
                say.said_no = true;
                continue;
            }
            ("vote", _) => 1.0,
            _ if a.returned != 0 => continue,
            _ => rank_weight(a.rank.unwrap_or(1)),
        };
        let age = (o.now - a.ts).max(0) as f64;
        let decayed = weight * 0.5f64.powf(age / o.half_life.max(1) as f64);
        say.best = say.best.max(decayed);
        say.last = say.last.max(a.ts);
    }
    let mut out: Vec<Signal> = says
        .into_iter()
        .filter_map(|((query, article), clients)| {
            let counted: Vec<&Say> = clients
                .values()
                .filter(|s| !s.said_no && s.best > 0.0)
                .collect();
            (!counted.is_empty()).then(|| Signal {
                query,
                article,
                evidence: counted.iter().map(|s| s.best).sum(),
                clients: counted.len() as u32,
                last: counted.iter().map(|s| s.last).max().unwrap_or(0),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        a.query
            .cmp(&b.query)
            .then(b.evidence.total_cmp(&a.evidence))
            .then(a.article.cmp(&b.article))
    });
    out
}

/// A click's weight at a 1-based rank: √rank, ranks past [`MAX_RANK_WEIGHT`] as that one.
pub fn rank_weight(rank: i64) -> f64 {
    (rank.clamp(1, i64::from(MAX_RANK_WEIGHT)) as f64).sqrt()
}

/// 32 hex digits from the operating system's random source (via the standard library's
/// randomly keyed hasher, twice with fresh keys).
pub(crate) fn random_key() -> String {
    use std::hash::{BuildHasher, RandomState};
    let a = RandomState::new().hash_one(std::time::SystemTime::now());
    let b = RandomState::new().hash_one(std::process::id());
    format!("{a:016x}{b:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Event, Search, Vote};

    const T0: i64 = 1_800_000_000;

    fn search(id: &str, ts: i64, session: Option<&str>, prev: Option<&str>, q: &str) -> Event {
        Event::Search(Search {
            id: id.into(),
            ts,
            session: session.map(str::to_string),
            prev: prev.map(str::to_string),
            query: q.into(),
            normalized: q.into(),
            source: "help".into(),
            audience: "public".into(),
            hits: 10,
            top_ids: Vec::new(),
            latency_ms: 1,
        })
    }

    fn click(ts: i64, sid: &str, article: &str, rank: u32, client: &str) -> Event {
        Event::Click {
            ts,
            session: None,
            search_id: Some(sid.into()),
            article: article.into(),
            rank,
            query: None,
            client: Some(client.into()),
        }
    }

    fn vote(ts: i64, sid: &str, article: &str, helpful: bool, client: &str) -> Event {
        Event::Vote(Vote {
            ts,
            session: None,
            search_id: Some(sid.into()),
            article: article.into(),
            helpful,
            query: None,
            comment: None,
            client: Some(client.into()),
        })
    }

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("e.sqlite3")).unwrap();
        (dir, store)
    }

    #[test]
    fn resolved_clicks_count_once_per_client_weighted_by_rank() {
        let (_dir, store) = store();
        let mut events = Vec::new();
        for c in 0..3 {
            let sid = format!("s{c}");
            events.push(search(&sid, T0, Some(&format!("tab{c}")), None, "届かない"));
            events.push(click(T0 + 5, &sid, "delivery", 4, &format!("c{c}")));
        }
        // One client clicking fifty times still counts once.
        for i in 0..50 {
            let sid = format!("flood{i}");
            events.push(search(&sid, T0, None, None, "届かない"));
            events.push(click(T0 + 5, &sid, "delivery", 4, "c0"));
        }
        store.record_all(&events).unwrap();
        let s = store.signals(&Options::new(T0 + 5)).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(
            (s[0].query.as_str(), s[0].article.as_str(), s[0].clients),
            ("届かない", "delivery", 3)
        );
        assert!(
            (s[0].evidence - 3.0 * 2.0).abs() < 1e-9,
            "√4 = 2 per client: {}",
            s[0].evidence
        );
    }

    #[test]
    fn a_return_to_search_or_a_no_vote_is_not_resolved_and_old_actions_fade() {
        let (_dir, store) = store();
        store
            .record_all(&[
                // Searched again in the same tab two minutes after the click: not resolved.
                search("a", T0, Some("tab-a"), None, "q"),
                click(T0 + 10, "a", "p", 1, "ca"),
                search("a2", T0 + 130, Some("tab-a"), None, "q2"),
                // Typed on the results page (prev), no session: not resolved either.
                search("b", T0, None, None, "q"),
                click(T0 + 10, "b", "p", 1, "cb"),
                search("b2", T0 + 20, None, Some("b"), "q3"),
                // Searched again, but after the window: resolved.
                search("c", T0, Some("tab-c"), None, "q"),
                click(T0 + 10, "c", "p", 1, "cc"),
                search("c2", T0 + 10 + 601, Some("tab-c"), None, "q4"),
                // Clicked, then said no: not counted.
                search("d", T0, None, None, "q"),
                click(T0 + 10, "d", "p", 1, "cd"),
                vote(T0 + 30, "d", "p", false, "cd"),
                // A yes vote alone counts (weight 1), here 14 days old: half.
                search("e", T0 - 14 * 86_400, None, None, "q"),
                vote(T0 - 14 * 86_400, "e", "p", true, "ce"),
            ])
            .unwrap();
        let s = store.signals(&Options::new(T0 + 10)).unwrap();
        let p: Vec<&Signal> = s.iter().filter(|s| s.query == "q").collect();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].clients, 2, "{p:?}");
        assert!((p[0].evidence - 1.5).abs() < 1e-3, "{}", p[0].evidence);
        // Past four half-lives nothing is read.
        assert!(
            store
                .signals(&Options::new(T0 + 60 * 86_400))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn the_client_key_is_made_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.sqlite3");
        let key = Store::open(&path).unwrap().client_key().unwrap();
        assert_eq!(key.len(), 32);
        assert_eq!(Store::open(&path).unwrap().client_key().unwrap(), key);
    }
}
