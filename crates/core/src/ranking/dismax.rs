//! How do a word's fields add up? The best field plus a fraction of the others.
//!
//! [`DisMax`] scores a word by its best field plus a fraction of the others, like tantivy's
//! `DisjunctionMaxQuery`, without its cost: tantivy's builds a union buffer of 4,096 scores per
//! query clause, which on a help center's few hundred documents was a quarter of a search's CPU.
//! [`BoundedWeight`] is the same sum with each field's upper bound, cut into the [`Unit`]s
//! that [`TopK`](super::TopK) prunes. [`BoostedPhrase`] is a multi-word synonym with a bound.

use tantivy::query::{Bm25Weight, BoostQuery, EmptyScorer, EnableScoring, Explanation, PhraseQuery, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError, Term};

use super::bm25::{Bm25TermQuery, Bm25TermWeight};
use super::stats::{SegmentFields, Start};
use super::unit::{Group, Unit, UnitScorer};

/// A phrase (a multi-word synonym such as スマート フォン) times a weight, with a known bound.
///
/// Scored by tantivy's phrase BM25, which is at most `boost` × the sum of its terms' idf ×
/// (1 + k1): [`TopK`](super::TopK) can leave it out of the documents it visits once it
/// cannot lift a document into the top k. Without a bound a phrase was visited on every
/// document it matched (11,000 of them for スマート フォン on 100,000 articles).
#[derive(Debug, Clone)]
pub struct BoostedPhrase {
    phrase: PhraseQuery,
    boost: Score,
}

impl BoostedPhrase {
    pub fn new(terms: Vec<Term>, boost: Score) -> Self {
        BoostedPhrase { phrase: PhraseQuery::new(terms), boost }
    }

    /// The most a document can score (infinite when scoring is off).
    pub(crate) fn max_score(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Score> {
        match enable_scoring {
            EnableScoring::Enabled { statistics_provider, .. } => {
                let weight = Bm25Weight::for_terms(statistics_provider, &self.phrase.phrase_terms())?;
                Ok(weight.max_score() * self.boost.max(0.0))
            }
            EnableScoring::Disabled { .. } => Ok(Score::INFINITY),
        }
    }
}

impl Query for BoostedPhrase {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        BoostQuery::new(Box::new(self.phrase.clone()), self.boost).weight(enable_scoring)
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.phrase.query_terms(visitor);
    }
}

/// The best of its clauses, plus `tie_breaker` times the others.
#[derive(Debug)]
pub struct DisMax {
    clauses: Vec<Box<dyn Query>>,
    tie_breaker: Score,
}

impl Clone for DisMax {
    fn clone(&self) -> Self {
        Self { clauses: self.clauses.iter().map(|c| c.box_clone()).collect(), tie_breaker: self.tie_breaker }
    }
}

impl DisMax {
    pub fn new(clauses: Vec<Box<dyn Query>>, tie_breaker: Score) -> Self {
        Self { clauses, tie_breaker }
    }
}

impl Query for DisMax {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weights = self.clauses.iter().map(|c| c.weight(enable_scoring)).collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Box::new(DisMaxWeight { weights, tie_breaker: self.tie_breaker }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for c in &self.clauses {
            c.query_terms(visitor);
        }
    }
}

struct DisMaxWeight {
    weights: Vec<Box<dyn Weight>>,
    tie_breaker: Score,
}

/// A [`DisMax`]'s weights, one per field, each with the most it can score, for
/// [`TopK`](super::TopK).
pub struct BoundedWeight {
    fields: Vec<FieldWeight>,
    tie_breaker: Score,
}

enum FieldWeight {
    /// A term: its bound is known, overall and per window.
    Term(Bm25TermWeight),
    /// Anything else (phrases), with the most it scores (infinite when not known).
    Other(Box<dyn Weight>, Score),
}

impl BoundedWeight {
    /// For each field's term, how many documents have it; `None` for a field that is not a
    /// single term (a phrase).
    pub fn doc_freqs(&self) -> impl Iterator<Item = Option<u64>> + '_ {
        self.fields.iter().map(|field| match field {
            FieldWeight::Term(w) => Some(w.doc_freq()),
            FieldWeight::Other(..) => None,
        })
    }

    /// The clause's units on a segment. A term known to be absent from the segment makes no
    /// unit (about half of a long question's terms in each of wiki-qa's two segments): it
    /// could match nothing, and leaving it out keeps the others' order, so the scores are
    /// summed as before.
    pub fn group(&self, fields: &mut SegmentFields<'_>) -> tantivy::Result<Group> {
        let units = self
            .fields
            .iter()
            .filter(|field| !matches!(field, FieldWeight::Term(w) if w.absent_from(fields.reader)))
            .map(|field| {
                Ok(match field {
                    FieldWeight::Term(w) => {
                        let walked = w.walked(fields)?;
                        Unit {
                            // Short postings kept decoded are read in place; others from a
                            // copy of the postings as opened.
                            scorer: match walked.as_ref().map(|w| &w.start) {
                                Some(Start::Decoded(decoded)) => UnitScorer::Decoded(w.decoded_scorer(decoded)),
                                _ => match w.term_scorer_from(walked.as_ref(), fields, 1.0)? {
                                    Some(scorer) => UnitScorer::Term(scorer),
                                    None => UnitScorer::Other(Box::new(EmptyScorer)),
                                },
                            },
                            max: w.weight.max(0.0),
                            walked,
                        }
                    }
                    FieldWeight::Other(w, max) => {
                        Unit { scorer: UnitScorer::Other(w.scorer(fields.reader, 1.0)?), max: *max, walked: None }
                    }
                })
            })
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Group { units, tie_breaker: self.tie_breaker })
    }
}

impl DisMax {
    /// The weights of the fields, each with an upper bound of its scores. Clauses other than
    /// [`Bm25TermQuery`] and [`BoostedPhrase`] have no known bound: infinite, they are never
    /// pruned.
    pub fn bounded_weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<BoundedWeight> {
        BoundedWeight::of(self.clauses.iter().map(|c| c.as_ref()), self.tie_breaker, enable_scoring)
    }
}

impl BoundedWeight {
    /// The bounded weight of a [`DisMax`] of these clauses, without building the query (a
    /// search has about ninety clauses: copying each would cost two allocations).
    pub fn of<'q>(
        clauses: impl Iterator<Item = &'q dyn Query>,
        tie_breaker: Score,
        enable_scoring: EnableScoring<'_>,
    ) -> tantivy::Result<BoundedWeight> {
        let fields = clauses
            .map(|clause| {
                if let Some(term) = clause.downcast_ref::<Bm25TermQuery>() {
                    return Ok(FieldWeight::Term(term.bm25_weight(enable_scoring)?));
                }
                let max = match clause.downcast_ref::<BoostedPhrase>() {
                    Some(phrase) => phrase.max_score(enable_scoring)?,
                    None => Score::INFINITY,
                };
                Ok(FieldWeight::Other(clause.weight(enable_scoring)?, max))
            })
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(BoundedWeight { fields, tie_breaker })
    }
}

impl Weight for DisMaxWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut scorers = Vec::with_capacity(self.weights.len());
        for w in &self.weights {
            let scorer = w.scorer(reader, boost)?;
            if scorer.doc() != TERMINATED {
                scorers.push(scorer);
            }
        }
        Ok(match scorers.len() {
            0 => Box::new(EmptyScorer),
            1 => scorers.pop().unwrap_or_else(|| Box::new(EmptyScorer)),
            _ => Box::new(DisMaxScorer::new(scorers, self.tie_breaker)),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.doc() > doc || scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!("document #{doc} does not match")));
        }
        let mut explanation = Explanation::new("best field + tie breaker × the others", scorer.score());
        explanation.add_const("tie breaker", self.tie_breaker);
        Ok(explanation)
    }
}

/// Walks its clauses in step: a handful of fields, so a linear scan beats a heap. Each
/// clause's current document is kept in `docs`, sparing a virtual call per look.
struct DisMaxScorer {
    scorers: Vec<Box<dyn Scorer>>,
    docs: Vec<DocId>,
    doc: DocId,
    tie_breaker: Score,
}

impl DisMaxScorer {
    fn new(scorers: Vec<Box<dyn Scorer>>, tie_breaker: Score) -> Self {
        let docs: Vec<DocId> = scorers.iter().map(|s| s.doc()).collect();
        let doc = docs.iter().copied().min().unwrap_or(TERMINATED);
        DisMaxScorer { scorers, docs, doc, tie_breaker }
    }

    fn settle(&mut self) -> DocId {
        self.doc = self.docs.iter().copied().min().unwrap_or(TERMINATED);
        self.doc
    }
}

impl DocSet for DisMaxScorer {
    fn advance(&mut self) -> DocId {
        let current = self.doc;
        for (s, d) in self.scorers.iter_mut().zip(&mut self.docs) {
            if *d == current {
                *d = s.advance();
            }
        }
        self.settle()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        for (s, d) in self.scorers.iter_mut().zip(&mut self.docs) {
            if *d < target {
                *d = s.seek(target);
            }
        }
        self.settle()
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.scorers.iter().map(|s| s.size_hint()).max().unwrap_or(0)
    }
}

impl Scorer for DisMaxScorer {
    fn score(&mut self) -> Score {
        let (mut best, mut sum) = (0.0f32, 0.0f32);
        let current = self.doc;
        for (s, d) in self.scorers.iter_mut().zip(&self.docs) {
            if *d == current {
                let score = s.score();
                best = best.max(score);
                sum += score;
            }
        }
        best + self.tie_breaker * (sum - best)
    }
}
