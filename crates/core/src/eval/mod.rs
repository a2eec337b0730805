//! How good is the ranking? Standard IR metrics over judged queries.
//!
//! Queries are JSON lines `{"qid": "...", "text": "..."}`; judgments (qrels) are TSV lines
//! `qid<TAB>doc_id<TAB>relevance`. Hits are ranked by page: several sections of one manual page
//! count once, at the rank of the best one.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::analysis::Analyzer;
use crate::error::{Error, Result};
use crate::search::{AudienceFilter, SearchRequest, Snapshot};

pub mod variants;
pub use variants::Variant;

/// A judged query.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Query {
    pub qid: String,
    pub text: String,
}

/// Relevance judgments: query id → page id → grade (> 0 is relevant).
pub type Qrels = HashMap<String, HashMap<String, u32>>;

fn invalid(path: &Path, line: usize, message: impl std::fmt::Display) -> Error {
    Error::BadInput(format!("{}:{line}: {message}", path.display()))
}

/// Read queries from a JSON-lines file.
pub fn read_queries(path: &Path) -> Result<Vec<Query>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut queries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let q: Query = serde_json::from_str(line).map_err(|e| invalid(path, i + 1, e))?;
        queries.push(q);
    }
    Ok(queries)
}

/// Read judgments from a TSV file (`qid`, `doc_id`, `relevance`).
pub fn read_qrels(path: &Path) -> Result<Qrels> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let mut qrels: Qrels = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let [qid, doc, rel] = cols[..] else {
            return Err(invalid(path, i + 1, "expected qid<TAB>doc_id<TAB>relevance"));
        };
        let rel: u32 = rel.trim().parse().map_err(|_| invalid(path, i + 1, format!("relevance `{rel}` is not a number")))?;
        qrels.entry(qid.trim().to_string()).or_default().insert(doc.trim().to_string(), rel);
    }
    Ok(qrels)
}

/// Averages over the evaluated queries.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Metrics {
    pub queries: usize,
    pub mrr_at_10: f64,
    pub ndcg_at_10: f64,
    pub recall_at_1: f64,
    pub recall_at_5: f64,
    pub recall_at_10: f64,
    /// The share of queries the search says it answered (the rest end in "not covered").
    pub answered: f64,
}

/// The outcome of one query.
#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub qid: String,
    pub text: String,
    pub relevant: Vec<String>,
    /// The top 10 page ids.
    pub ranked: Vec<String>,
    /// 1-based rank of the first relevant page in the top 10.
    pub first_relevant: Option<usize>,
    /// Whether the search said it answered (see [`crate::search::verdict`]), and the figures it
    /// decided by.
    pub answered: bool,
    pub coverage: f32,
    pub similarity: Option<f32>,
}

/// Metrics and per-query outcomes.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub metrics: Metrics,
    pub outcomes: Vec<Outcome>,
    /// Queries without judgments, skipped.
    pub unjudged: usize,
}

/// Run every judged query and score the rankings.
pub fn evaluate(snapshot: &Snapshot, queries: &[Query], qrels: &Qrels, audience: AudienceFilter) -> Result<Report> {
    let mut outcomes = Vec::new();
    let mut sums = Metrics::default();
    let mut unjudged = 0;
    for q in queries {
        let Some(judged) = qrels.get(&q.qid).filter(|j| j.values().any(|r| *r > 0)) else {
            unjudged += 1;
            continue;
        };
        let request = SearchRequest { query: &q.text, audience, category: None, limit: 30, offset: 0, explain: false, snippets: 0 };
        let results = snapshot.search(&request)?;
        let verdict = results.verdict.clone();
        let mut ranked: Vec<String> = Vec::new();
        for hit in results.hits {
            if !ranked.contains(&hit.id) {
                ranked.push(hit.id);
            }
        }
        ranked.truncate(10);
        let m = score(&ranked, judged);
        sums.mrr_at_10 += m.mrr_at_10;
        sums.ndcg_at_10 += m.ndcg_at_10;
        sums.recall_at_1 += m.recall_at_1;
        sums.recall_at_5 += m.recall_at_5;
        sums.recall_at_10 += m.recall_at_10;
        sums.answered += f64::from(u8::from(verdict.answered));
        sums.queries += 1;
        let relevant: BTreeMap<&String, &u32> = judged.iter().filter(|(_, r)| **r > 0).collect();
        outcomes.push(Outcome {
            qid: q.qid.clone(),
            text: q.text.clone(),
            relevant: relevant.keys().map(|s| s.to_string()).collect(),
            first_relevant: ranked.iter().position(|d| judged.get(d).is_some_and(|r| *r > 0)).map(|p| p + 1),
            ranked,
            answered: verdict.answered,
            coverage: verdict.coverage,
            similarity: verdict.similarity,
        });
    }
    let n = sums.queries.max(1) as f64;
    let metrics = Metrics {
        queries: sums.queries,
        mrr_at_10: sums.mrr_at_10 / n,
        ndcg_at_10: sums.ndcg_at_10 / n,
        recall_at_1: sums.recall_at_1 / n,
        recall_at_5: sums.recall_at_5 / n,
        recall_at_10: sums.recall_at_10 / n,
        answered: sums.answered / n,
    };
    Ok(Report { metrics, outcomes, unjudged })
}

/// How questions the corpus does not answer end: how many say "not covered", and each one's
/// verdict.
#[derive(Debug, Clone, Serialize)]
pub struct UncoveredReport {
    pub queries: usize,
    pub not_covered: usize,
    pub outcomes: Vec<UncoveredOutcome>,
}

/// One question the corpus does not answer, and what the search made of it.
#[derive(Debug, Clone, Serialize)]
pub struct UncoveredOutcome {
    pub qid: String,
    pub text: String,
    pub answered: bool,
    pub coverage: f32,
    pub similarity: Option<f32>,
    /// The first hit, if any.
    pub first: Option<String>,
}

/// Run questions the corpus does not answer (no judgments needed).
pub fn evaluate_uncovered(snapshot: &Snapshot, queries: &[Query], audience: AudienceFilter) -> Result<UncoveredReport> {
    let mut outcomes = Vec::with_capacity(queries.len());
    for q in queries {
        let request = SearchRequest { query: &q.text, audience, category: None, limit: 10, offset: 0, explain: false, snippets: 0 };
        let results = snapshot.search(&request)?;
        let v = &results.verdict;
        outcomes.push(UncoveredOutcome {
            qid: q.qid.clone(),
            text: q.text.clone(),
            answered: v.answered,
            coverage: v.coverage,
            similarity: v.similarity,
            first: results.hits.first().map(|h| h.id.clone()),
        });
    }
    let not_covered = outcomes.iter().filter(|o| !o.answered).count();
    Ok(UncoveredReport { queries: outcomes.len(), not_covered, outcomes })
}

/// How the queries rank when rewritten one way ([`Variant`]), next to the original.
#[derive(Debug, Clone, Serialize)]
pub struct VariantReport {
    pub variant: &'static str,
    /// How many judged queries the rewrite changed.
    pub changed: usize,
    /// Over all judged queries (those left unchanged count as they were).
    pub metrics: Metrics,
    /// MRR@10 over the changed queries only: as written, and rewritten.
    pub changed_original_mrr: f64,
    pub changed_mrr: f64,
    pub report: Report,
}

/// Evaluate each variant of `queries` (see [`variants`]); the first is always the original.
pub fn evaluate_variants(
    snapshot: &Snapshot,
    analyzer: &Analyzer,
    queries: &[Query],
    qrels: &Qrels,
    audience: AudienceFilter,
    which: &[Variant],
) -> Result<Vec<VariantReport>> {
    let original = evaluate(snapshot, queries, qrels, audience)?;
    let mrr_of = |o: &Outcome| o.first_relevant.map_or(0.0, |r| 1.0 / r as f64);
    let mut out = Vec::new();
    for &variant in
        std::iter::once(&Variant::Original).chain(which.iter().filter(|v| **v != Variant::Original))
    {
        let rewritten: Vec<Query> = queries
            .iter()
            .map(|q| Query {
                qid: q.qid.clone(),
                text: variant.apply(analyzer, &q.qid, &q.text),
            })
            .collect();
        let report = if variant == Variant::Original {
            original.clone()
        } else {
            evaluate(snapshot, &rewritten, qrels, audience)?
        };
        let (mut changed, mut before, mut after) = (0, 0.0, 0.0);
        for (o, v) in original.outcomes.iter().zip(&report.outcomes) {
            if o.text != v.text {
                changed += 1;
                before += mrr_of(o);
                after += mrr_of(v);
            }
        }
        let n = changed.max(1) as f64;
        out.push(VariantReport {
            variant: variant.name(),
            changed,
            metrics: report.metrics,
            changed_original_mrr: before / n,
            changed_mrr: after / n,
            report,
        });
    }
    Ok(out)
}

/// The metrics of one ranking against its judgments.
pub fn score(ranked: &[String], judged: &HashMap<String, u32>) -> Metrics {
    let grade = |d: &String| judged.get(d).copied().unwrap_or(0);
    let relevant = judged.values().filter(|r| **r > 0).count().max(1) as f64;
    let recall = |k: usize| ranked.iter().take(k).filter(|d| grade(d) > 0).count() as f64 / relevant;
    let mrr = ranked.iter().take(10).position(|d| grade(d) > 0).map_or(0.0, |p| 1.0 / (p as f64 + 1.0));
    let dcg: f64 = ranked
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, d)| (2f64.powi(grade(d) as i32) - 1.0) / (i as f64 + 2.0).log2())
        .sum();
    let mut ideal: Vec<u32> = judged.values().copied().filter(|r| *r > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, r)| (2f64.powi(*r as i32) - 1.0) / (i as f64 + 2.0).log2())
        .sum();
    Metrics {
        queries: 1,
        mrr_at_10: mrr,
        ndcg_at_10: if idcg > 0.0 { dcg / idcg } else { 0.0 },
        recall_at_1: recall(1),
        recall_at_5: recall(5),
        recall_at_10: recall(10),
        answered: 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(pairs: &[(&str, u32)]) -> HashMap<String, u32> {
        pairs.iter().map(|(d, r)| (d.to_string(), *r)).collect()
    }

    fn ranked(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn metrics_of_a_single_relevant_page() {
        let m = score(&ranked(&["a", "b", "c"]), &judged(&[("b", 1)]));
        assert_eq!(m.mrr_at_10, 0.5);
        assert_eq!(m.recall_at_1, 0.0);
        assert_eq!(m.recall_at_5, 1.0);
        assert!((m.ndcg_at_10 - 1.0 / 3f64.log2()).abs() < 1e-12);
    }

    #[test]
    fn metrics_with_two_relevant_pages() {
        let m = score(&ranked(&["a", "x", "b"]), &judged(&[("a", 1), ("b", 1)]));
        assert_eq!(m.mrr_at_10, 1.0);
        assert_eq!(m.recall_at_1, 0.5);
        assert_eq!(m.recall_at_5, 1.0);
        let ideal = 1.0 + 1.0 / 3f64.log2();
        assert!((m.ndcg_at_10 - (1.0 + 0.5) / ideal).abs() < 1e-12);
    }

    #[test]
    fn nothing_found_scores_zero() {
        let m = score(&ranked(&["x"]), &judged(&[("a", 1)]));
        assert_eq!((m.mrr_at_10, m.ndcg_at_10, m.recall_at_10), (0.0, 0.0, 0.0));
    }

    #[test]
    fn bad_qrels_lines_name_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.tsv");
        std::fs::write(&path, "q1\ta\t1\nq2 b 1\n").unwrap();
        let err = read_qrels(&path).unwrap_err().to_string();
        assert!(err.ends_with("q.tsv:2: expected qid<TAB>doc_id<TAB>relevance"), "{err}");
    }
}
