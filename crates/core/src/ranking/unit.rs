//! What [`TopK`](super::TopK) walks: the postings of one field of one clause (a [`Unit`]), with
//! the most they can score, grouped by clause ([`Group`]).

use std::sync::Arc;

use tantivy::query::Scorer;
use tantivy::{DocId, DocSet, Score};

use super::bm25::{Bm25TermScorer, DecodedScorer};
use super::stats::Walked;

/// The postings of one field of a clause, on a segment, and the most they score.
pub struct Unit {
    pub scorer: UnitScorer,
    /// An upper bound of `scorer.score()`; `Score::INFINITY` when unknown (never pruned).
    pub max: Score,
    /// What a walk over the unit's postings found (see [`Walked`]), when known: its
    /// [`windows`](Unit::windows), [`blocks`](Unit::blocks) and [`top`](Unit::top).
    pub walked: Option<Arc<Walked>>,
}

impl Unit {
    /// For each window of [`window`](super::window) documents, the share of `max` the unit can
    /// reach there (0 where it has no document, and more than 0 where it has one:
    /// [`TopK`](super::TopK) leaves a unit behind until the next window where it has a
    /// document), when known.
    #[inline]
    pub fn windows(&self) -> Option<&[Score]> {
        self.walked.as_deref().map(|w| &*w.shares)
    }

    /// For each block of [`BLOCK`](super::stats::BLOCK) documents, an upper bound of the share
    /// of `max` the unit can reach there, in 255ths, when known (see [`Walked::blocks`]).
    #[inline]
    pub fn blocks(&self) -> Option<&[u8]> {
        self.walked.as_deref().and_then(|w| w.blocks.as_deref())
    }

    /// Some of the unit's best documents in the segment, each with its share of `max`, when
    /// known: see [`TopK::collect_segment`](super::TopK::collect_segment) for what they are for.
    #[inline]
    pub fn top(&self) -> Option<&[(DocId, Score)]> {
        self.walked.as_deref().map(|w| &*w.top)
    }

    /// The most the unit scores in window `w`.
    pub fn bound_in(&self, w: usize) -> Score {
        match self.windows() {
            Some(shares) => shares.get(w).map_or(self.max, |share| self.max * share),
            None => self.max,
        }
    }
}

impl Unit {
    /// The most the unit scores in block `b` of [`BLOCK`](super::stats::BLOCK) documents,
    /// when its block bounds are known.
    pub fn bound_in_block(&self, b: usize) -> Option<Score> {
        let q = *self.blocks()?.get(b)?;
        Some(self.max * (Score::from(q) / 255.0))
    }
}

/// A unit's scorer. BM25 terms, nearly every unit, are called directly (and inlined), not
/// through a `dyn Scorer`: a search on a large corpus makes a few hundred thousand of these
/// calls.
pub enum UnitScorer {
    Term(Box<Bm25TermScorer>),
    /// A term whose short postings were kept decoded.
    Decoded(DecodedScorer),
    Other(Box<dyn Scorer>),
}

impl DocSet for UnitScorer {
    #[inline]
    fn advance(&mut self) -> DocId {
        match self {
            UnitScorer::Term(s) => s.advance(),
            UnitScorer::Decoded(s) => s.advance(),
            UnitScorer::Other(s) => s.advance(),
        }
    }

    #[inline]
    fn seek(&mut self, target: DocId) -> DocId {
        match self {
            UnitScorer::Term(s) => s.seek(target),
            UnitScorer::Decoded(s) => s.seek(target),
            UnitScorer::Other(s) => s.seek(target),
        }
    }

    #[inline]
    fn doc(&self) -> DocId {
        match self {
            UnitScorer::Term(s) => s.doc(),
            UnitScorer::Decoded(s) => s.doc(),
            UnitScorer::Other(s) => s.doc(),
        }
    }

    fn size_hint(&self) -> u32 {
        match self {
            UnitScorer::Term(s) => s.size_hint(),
            UnitScorer::Decoded(s) => s.size_hint(),
            UnitScorer::Other(s) => s.size_hint(),
        }
    }
}

impl Scorer for UnitScorer {
    #[inline]
    fn score(&mut self) -> Score {
        match self {
            UnitScorer::Term(s) => s.score(),
            UnitScorer::Decoded(s) => s.score(),
            UnitScorer::Other(s) => s.score(),
        }
    }
}

impl UnitScorer {
    /// How many documents the postings hold, deleted ones included, when known exactly (a
    /// term's document frequency in the segment; `None` for a phrase).
    pub fn exact_len(&self) -> Option<u32> {
        match self {
            UnitScorer::Term(s) => Some(s.size_hint()),
            UnitScorer::Decoded(s) => Some(s.size_hint()),
            UnitScorer::Other(_) => None,
        }
    }

    /// A copy at the same place in the postings (a term's; `None` for a phrase).
    pub fn copy(&self) -> Option<UnitScorer> {
        match self {
            UnitScorer::Term(s) => Some(UnitScorer::Term(s.clone())),
            UnitScorer::Decoded(s) => Some(UnitScorer::Decoded(s.clone())),
            UnitScorer::Other(_) => None,
        }
    }
}

/// A segment's clauses and filters, as [`TopK::collect_segment`](super::TopK::collect_segment)'s `open` makes them.
pub type Opened = (Vec<Group>, Vec<Box<dyn Scorer>>);

/// One clause of the sum: the dis-max of its units (best + `tie_breaker` × the others).
pub struct Group {
    pub units: Vec<Unit>,
    pub tie_breaker: Score,
}
