//! What customers taught the ranking: pages that resolved a question before are moved up for
//! it, within bounds; and pages the writers pinned for a question come first.
//!
//! The evidence comes from outside (the server reads it from the events store); this module
//! only knows queries, page ids and numbers, and never imports the events store. A query is
//! matched by its normalized text ([`crate::analysis::normalize_str`] of the trimmed query),
//! as the events store keeps it.
//!
//! A page's boost is `MAX_BOOST × e / (e + HALF_EVIDENCE)` of the best hit's score, added to
//! its own score, where `e` is its evidence; only with at least `MIN_CLIENTS` distinct
//! clients. Only pages among the first [`DEPTH`] hits of the plain ranking are moved. A pinned
//! page goes first, whatever its score, when it is among those hits.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use super::results::SearchResults;

/// How deep in the plain ranking a promoted or pinned page may be.
pub const DEPTH: usize = 30;
/// Fewer distinct clients than this move nothing.
pub const MIN_CLIENTS: u32 = 5;
/// The largest boost, as a share of the best hit's score.
pub const MAX_BOOST: f64 = 1.0;
/// The evidence at which a page gets half of [`MAX_BOOST`].
pub const HALF_EVIDENCE: f64 = 5.0;

/// What is known about one page for one query.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub page: String,
    /// Decayed, position-weighted resolved actions (one per client).
    pub evidence: f64,
    /// Distinct clients behind it.
    pub clients: u32,
}

impl Evidence {
    /// The boost, as a share of the best hit's score: 0 below [`MIN_CLIENTS`].
    pub fn boost(&self) -> f64 {
        if self.clients < MIN_CLIENTS || self.evidence <= 0.0 {
            return 0.0;
        }
        MAX_BOOST * self.evidence / (self.evidence + HALF_EVIDENCE)
    }
}

/// The evidence of every learned query, and the writers' pins.
#[derive(Debug, Clone, Default)]
pub struct Learned {
    /// Normalized query → what resolved it, most evidence first.
    pub evidence: Arc<HashMap<String, Vec<Evidence>>>,
    /// Normalized query → the page pinned for it.
    pub pins: Arc<HashMap<String, String>>,
}

/// The writers' pins of `pages` (id and pinned queries), by normalized query; the first page
/// wins (`kotae check` refuses a query pinned twice).
pub fn pins<'a>(
    pages: impl IntoIterator<Item = (&'a str, &'a [String])>,
) -> HashMap<String, String> {
    let mut pins = HashMap::new();
    for (id, queries) in pages {
        for q in queries {
            pins.entry(normalized(q)).or_insert_with(|| id.to_string());
        }
    }
    pins
}

/// What was done to one search: shown by `--explain` and the console.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Applied {
    pub page: String,
    /// Its evidence (absent for a pin without any).
    pub evidence: f64,
    pub clients: u32,
    /// The boost given, as a share of the best hit's score (0: not enough evidence yet).
    pub boost: f64,
    /// Its place in the plain ranking (1-based), if it was there.
    pub from: Option<usize>,
    /// Its place now (1-based), if it is shown.
    pub to: Option<usize>,
    pub pinned: bool,
}

impl Learned {
    /// Whether anything is known about `query` (a search then asks for [`DEPTH`] hits).
    pub fn knows(&self, query: &str) -> bool {
        if self.evidence.is_empty() && self.pins.is_empty() {
            return false;
        }
        let q = normalized(query);
        self.pins.contains_key(&q)
            || self
                .evidence
                .get(&q)
                .is_some_and(|e| e.iter().any(|e| e.boost() > 0.0))
    }

    /// Reorder `results` (the plain ranking of `query`) and say what moved. Scores stay
    /// positive and never rise down the list. With nothing known, `results` is untouched.
    pub fn apply(&self, query: &str, results: &mut SearchResults) -> Vec<Applied> {
        let q = normalized(query);
        let evidence = self.evidence.get(&q).map(Vec::as_slice).unwrap_or(&[]);
        let pin = self.pins.get(&q);
        if evidence.is_empty() && pin.is_none() {
            return Vec::new();
        }
        let place =
            |hits: &[super::Hit], id: &str| hits.iter().position(|h| h.id == id).map(|i| i + 1);
        let depth = results.hits.len().min(DEPTH);
        let before: Vec<String> = results.hits.iter().map(|h| h.id.clone()).collect();
        let top = results.hits.first().map_or(0.0, |h| h.score);
        let mut moved = false;
        for e in evidence.iter().filter(|e| e.boost() > 0.0) {
            for hit in results.hits[..depth].iter_mut().filter(|h| h.id == e.page) {
                hit.score += (e.boost() * f64::from(top)) as f32;
                moved = true;
            }
        }
        if moved {
            results.hits[..depth].sort_by(|a, b| b.score.total_cmp(&a.score));
        }
        if let Some(pin) = pin
            && let Some(i) = results.hits[..depth].iter().position(|h| &h.id == pin)
        {
            let mut hit = results.hits.remove(i);
            hit.score = hit.score.max(results.hits.first().map_or(0.0, |h| h.score));
            results.hits.insert(0, hit);
        }
        let mut applied: Vec<Applied> = evidence
            .iter()
            .map(|e| Applied {
                page: e.page.clone(),
                evidence: e.evidence,
                clients: e.clients,
                boost: e.boost(),
                from: before.iter().position(|id| *id == e.page).map(|i| i + 1),
                to: place(&results.hits, &e.page),
                pinned: pin == Some(&e.page),
            })
            .collect();
        if let Some(pin) = pin.filter(|p| !evidence.iter().any(|e| &&e.page == p)) {
            applied.insert(
                0,
                Applied {
                    page: pin.clone(),
                    evidence: 0.0,
                    clients: 0,
                    boost: 0.0,
                    from: before.iter().position(|id| id == pin).map(|i| i + 1),
                    to: place(&results.hits, pin),
                    pinned: true,
                },
            );
        }
        applied
    }
}

fn normalized(q: &str) -> String {
    crate::analysis::normalize_str(q.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{Hit, Snippet, Verdict};

    fn results(ids: &[&str]) -> SearchResults {
        let hits = ids
            .iter()
            .enumerate()
            .map(|(i, id)| Hit {
                id: id.to_string(),
                title: id.to_string(),
                category: None,
                score: 10.0 - 0.5 * i as f32,
                snippet: Snippet {
                    text: String::new(),
                    highlights: Vec::new(),
                },
                section: None,
                heading: None,
                audience: crate::Audience::Public,
                updated: None,
                review_by: None,
                body: "".into(),
                explain: Vec::new(),
            })
            .collect();
        SearchResults {
            total: ids.len(),
            total_exact: true,
            hits,
            terms: Vec::new(),
            did_you_mean: None,
            verdict: Verdict::default(),
            question: Default::default(),
        }
    }

    fn ids(r: &SearchResults) -> Vec<&str> {
        r.hits.iter().map(|h| h.id.as_str()).collect()
    }

    fn learned(page: &str, evidence: f64, clients: u32) -> Learned {
        let evidence = HashMap::from([(
            "届かない".to_string(),
            vec![Evidence {
                page: page.into(),
                evidence,
                clients,
            }],
        )]);
        Learned {
            evidence: Arc::new(evidence),
            ..Learned::default()
        }
    }

    #[test]
    fn enough_clients_move_a_page_up_fewer_do_not() {
        let plain = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
        let mut r = results(&plain);
        let applied = learned("j", 4.0 * 3.0, 4).apply("届かない", &mut r);
        assert_eq!(ids(&r), plain, "four clients are not enough");
        assert_eq!(
            (applied[0].boost, applied[0].from, applied[0].to),
            (0.0, Some(10), Some(10))
        );

        let mut r = results(&plain);
        let applied = learned("j", 5.0 * 3.0, 5).apply(" 届かない ", &mut r);
        assert_eq!(ids(&r)[0], "j");
        assert_eq!(
            (applied[0].from, applied[0].to, applied[0].clients),
            (Some(10), Some(1), 5)
        );
        assert!((applied[0].boost - 0.75).abs() < 1e-9);
        let scores: Vec<f32> = r.hits.iter().map(|h| h.score).collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    }

    #[test]
    fn the_boost_is_capped_and_other_queries_are_untouched() {
        assert!(
            Evidence {
                page: "p".into(),
                evidence: 1e9,
                clients: 1000
            }
            .boost()
                <= MAX_BOOST
        );
        let mut r = results(&["a", "b"]);
        assert!(learned("b", 100.0, 50).apply("返品", &mut r).is_empty());
        assert_eq!(ids(&r), ["a", "b"]);
    }

    #[test]
    fn a_pin_comes_first() {
        let l = Learned {
            pins: Arc::new(pins([("c", &["届かない".to_string()][..])])),
            ..Learned::default()
        };
        assert!(l.knows("届かない") && !l.knows("返品"));
        let mut r = results(&["a", "b", "c"]);
        let applied = l.apply("届かない", &mut r);
        assert_eq!(ids(&r), ["c", "a", "b"]);
        assert!(applied[0].pinned && applied[0].from == Some(3) && applied[0].to == Some(1));
        assert!(r.hits[0].score >= r.hits[1].score);
    }
}
