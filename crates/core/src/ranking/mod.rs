//! How are the documents a question matches put in order?
//!
//! Below [`crate::search`], which decides *what* to look for, this module decides how much each
//! piece of evidence counts and finds the best documents without scoring all of them. It knows
//! tantivy, not Japanese: its inputs are terms, fields and weights.
//!
//! - [`stats`]: BM25's statistics and a term's per-window bounds, kept per generation in the
//!   [`ScoringCache`].
//! - [`bm25`]: [`Bm25TermQuery`], BM25 with tunable `k1` and `b`.
//! - [`dismax`]: a word's fields combined as best + tie-breaker × the others ([`DisMax`]), and
//!   the same with bounds ([`BoundedWeight`]) for pruning; [`BoostedPhrase`] for multi-word
//!   synonyms.
//! - [`mod@unit`]: what the pruning walks: one field of one clause ([`Unit`]), grouped by clause.
//! - [`block`]: one block of documents scored unit by unit, for [`TopK`].
//! - [`topk`]: [`TopK`], MaxScore pruning over the units, with exact counting up to
//!   [`COUNT_EXACTLY`].
//! - [`filter`]: the audience and category filters as runs of document ids ([`FilterCache`]).
//!
//! Imports go one way: `stats` ← `bm25` ← `unit` ← `dismax`, `block` ← `topk`; `filter` ← `topk`.

pub mod block;
pub mod bm25;
pub mod dismax;
pub mod filter;
pub mod stats;
pub mod topk;
pub mod unit;

pub use bm25::{Bm25, Bm25TermQuery, Bm25TermScorer, DecodedScorer};
pub use dismax::{BoostedPhrase, BoundedWeight, DisMax};
pub use filter::{FilterCache, Runs};
pub use stats::{DECODED_POSTINGS, ScoringCache, SegmentFields, TOP_DOCS, Walked, window};
pub use topk::{COUNT_EXACTLY, Found, TopK, score_docs};
pub use unit::{Group, Opened, Unit, UnitScorer};

#[cfg(test)]
#[path = "tests/scoring.rs"]
mod scoring_tests;
