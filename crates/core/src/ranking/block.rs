//! One block of documents, scored unit by unit: what [`TopK`](super::TopK) does instead of
//! looking at every unit for every document.
//!
//! A long question makes about forty units, and twenty to thirty of them stay essential on a
//! corpus of 13,448 pages. Walking them document by document, each document visited asked
//! every essential unit whether it was there and where it went next: about 26 comparisons per
//! document, 70,000 per search, for 76 documents scored in full. [`Block`] reads instead each
//! unit's postings in a block of [`BLOCK`] documents one unit after the other, and adds what
//! they score into one slot per document, clause by clause. The documents worth scoring in
//! full are then the block's marked documents whose partial score, plus what the other units
//! can add, beats the threshold.
//!
//! Each clause's units are read one after the other, so that a document's clause score is
//! combined from its units exactly as [`combine`](super::topk) does (best + tie-breaker × the
//! others, the sum taken in the units' order, and clause scores added from zero in clause
//! order): when every unit is read, the partial score *is* the document's score, bit for bit.
//! When only some are, each unit's score is also kept in a list per document, so that the few
//! documents scored in full need not read those postings again.

use std::ops::Range;

use tantivy::query::Scorer;
use tantivy::{DocId, Score};

use super::unit::{Unit, UnitScorer};

/// Documents per block. A multiple of 64 that divides every [`window`](super::window); small enough
/// that the block's slots stay in the first-level cache. Terms' block bounds
/// ([`Walked::blocks`](super::Walked::blocks)) are kept per block.
pub const BLOCK: u32 = super::stats::BLOCK;

/// No entry: the end of a document's list.
const NONE: u32 = u32::MAX;

/// The slots of one block of documents (see the module documentation).
pub struct Block {
    /// The block's first document.
    start: DocId,
    /// The documents some unit read has, one bit each.
    marked: [u64; SLOTS / 64],
    /// Each marked document's score from the clauses read.
    partial: Box<[Score; SLOTS]>,
    /// Each document's first entry in `entries` (`NONE`: none), when entries are kept.
    head: Box<[u32; SLOTS]>,
    /// (unit, score, the document's next entry), when entries are kept.
    entries: Vec<(u32, Score, u32)>,
    /// While one clause is read: its units' scores of each document so far.
    clause: Box<[Clause; SLOTS]>,
    /// The documents the clause read so far has.
    touched: Vec<u32>,
}

thread_local! {
    /// The block given back by the thread's last walk (see [`Block::take`]).
    static SPARE: std::cell::Cell<Option<Block>> = const { std::cell::Cell::new(None) };
}

/// [`BLOCK`] as an index: slots are indexed `& MASK`, which the compiler knows is in bounds.
const SLOTS: usize = BLOCK as usize;
const MASK: usize = SLOTS - 1;

/// One document's units of the clause being read: their best score, their sum, how many
/// matched, and the first one's score.
#[derive(Clone, Copy, Default)]
struct Clause {
    best: Score,
    sum: Score,
    count: u32,
    first: Score,
}

impl Block {
    pub(crate) fn new() -> Self {
        Block {
            start: 0,
            marked: [0; SLOTS / 64],
            partial: Box::new([0.0; SLOTS]),
            head: Box::new([NONE; SLOTS]),
            entries: Vec::with_capacity(4 * SLOTS),
            clause: Box::new([Clause::default(); SLOTS]),
            touched: Vec::with_capacity(SLOTS),
        }
    }

    /// A block with no document: the searching thread's last one when it gave it back
    /// ([`Block::give_back`]), otherwise a new one. Making one (its slots are about 12 KB, and
    /// room for 2,048 entries) was 0.6% of a long question's search, made twice (two segments).
    pub(crate) fn take() -> Self {
        SPARE.with(|spare| spare.take()).unwrap_or_else(Block::new)
    }

    /// Keep the block for the thread's next [`Block::take`]. Only a block whose documents were
    /// all cleared ([`Block::clear`] after each read) may be given back.
    pub(crate) fn give_back(self) {
        debug_assert!(self.marked.iter().all(|&w| w == 0) && self.entries.is_empty() && self.touched.is_empty());
        SPARE.with(|spare| spare.set(Some(self)));
    }

    /// Read the units `read` (ascending, so that clauses come in order and each clause's units
    /// in order) from their current documents `docs` (none before `start`) up to `end` (at
    /// most [`BLOCK`] past `start`), adding their scores into the block's slots; `keep` keeps
    /// each score in its document's list too. The units are left on their first document at or
    /// past `end`. Out of line: inlined into the walk, it cost 2% more of a wiki-qa search.
    #[inline(never)]
    pub(crate) fn read(
        &mut self,
        Range { start, end }: Range<DocId>,
        units: &mut [((usize, usize), Unit)],
        docs: &mut [DocId],
        read: &[usize],
        ties: &[Score],
        keep: bool,
    ) {
        debug_assert!(end - start <= BLOCK);
        self.start = start;
        let mut at = 0;
        while at < read.len() {
            let group = units[read[at]].0.0;
            let first = at;
            while at < read.len() && units[read[at]].0.0 == group {
                at += 1;
            }
            // A clause with one unit read scores what the unit scores: added straight into the
            // slots, with no clause to combine (the same sum: the partial score from zero, plus
            // the clause score, once per document).
            let alone = at - first == 1;
            for &i in &read[first..at] {
                let doc = docs[i];
                docs[i] = match &mut units[i].1.scorer {
                    UnitScorer::Term(scorer) => self.read_unit(&mut **scorer, i, doc, end, keep, alone),
                    UnitScorer::Decoded(scorer) => scorer.read_until(end, |doc, s| self.add(i, doc, s, keep, alone)),
                    UnitScorer::Other(scorer) => self.read_unit(&mut **scorer, i, doc, end, keep, alone),
                };
            }
            if alone {
                continue;
            }
            let t = ties[group];
            for &slot in &self.touched {
                let slot = slot as usize & MASK;
                let c = &mut self.clause[slot];
                let score = if c.count == 1 { c.first } else { c.best + t * (c.sum - c.best) };
                c.count = 0;
                let (word, bit) = (slot / 64, 1u64 << (slot % 64));
                if self.marked[word] & bit == 0 {
                    self.marked[word] |= bit;
                    self.partial[slot] = 0.0;
                }
                self.partial[slot] += score;
            }
            self.touched.clear();
        }
    }

    /// Read unit `i`'s `scorer` from its document `doc` up to `end` (see [`Block::read`]);
    /// `alone`: the only unit of its clause read, whose scores go straight into the slots.
    /// Returns the unit's first document at or past `end`. Generic over the scorer, so that a
    /// term's postings are read without a branch on the kind of unit per document (decoded
    /// postings are read by [`DecodedScorer::read_until`](super::DecodedScorer::read_until)).
    #[inline(always)]
    fn read_unit<S: Scorer + ?Sized>(&mut self, scorer: &mut S, i: usize, mut doc: DocId, end: DocId, keep: bool, alone: bool) -> DocId {
        while doc < end {
            self.add(i, doc, scorer.score(), keep, alone);
            doc = scorer.advance();
        }
        doc
    }

    /// Unit `i`'s score `s` of `doc` into its slot (see [`Block::read_unit`]).
    #[inline(always)]
    fn add(&mut self, i: usize, doc: DocId, s: Score, keep: bool, alone: bool) {
        let slot = (doc - self.start) as usize & MASK;
        if keep {
            self.entries.push((i as u32, s, self.head[slot]));
            self.head[slot] = (self.entries.len() - 1) as u32;
        }
        if alone {
            let (word, bit) = (slot / 64, 1u64 << (slot % 64));
            if self.marked[word] & bit == 0 {
                self.marked[word] |= bit;
                self.partial[slot] = 0.0;
            }
            self.partial[slot] += s;
        } else {
            let c = &mut self.clause[slot];
            if c.count == 0 {
                self.touched.push(slot as u32);
                // As `combine`: best and sum from zero, in the units' order.
                *c = Clause { best: 0.0, sum: 0.0, count: 0, first: s };
            }
            c.count += 1;
            c.best = c.best.max(s);
            c.sum += s;
        }
    }

    /// The marked documents, ascending, each with its partial score. Call [`Block::clear`]
    /// after. (The walk reads them with [`Block::marked_words`] and [`Block::slot`].)
    #[cfg(test)]
    pub(crate) fn marked(&self) -> impl Iterator<Item = (DocId, Score)> + '_ {
        self.marked.iter().enumerate().flat_map(move |(word, &bits)| {
            let mut bits = bits;
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let slot = word * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    (self.start + slot as DocId, self.partial[slot & MASK])
                })
            })
        })
    }

    /// The marked documents, one bit each: bit `b` of word `w` is slot `64 × w + b` (see
    /// [`Block::slot`]). Call [`Block::clear`] after.
    pub(crate) fn marked_words(&self) -> [u64; SLOTS / 64] {
        self.marked
    }

    /// The document of slot `slot` and its partial score.
    #[inline]
    pub(crate) fn slot(&self, slot: usize) -> (DocId, Score) {
        (self.start + slot as DocId, self.partial[slot & MASK])
    }

    /// The scores kept for `doc` (by [`Block::read`] with `keep`), as (unit, score).
    pub(crate) fn kept(&self, doc: DocId) -> impl Iterator<Item = (usize, Score)> + '_ {
        let mut at = self.head[(doc - self.start) as usize & MASK];
        std::iter::from_fn(move || {
            (at != NONE).then(|| {
                let (unit, score, next) = self.entries[at as usize];
                at = next;
                (unit as usize, score)
            })
        })
    }

    /// Forget the block's documents, for the next block.
    pub(crate) fn clear(&mut self) {
        if !self.entries.is_empty() {
            for (word, &bits) in self.marked.iter().enumerate() {
                let mut bits = bits;
                while bits != 0 {
                    self.head[(word * 64 + bits.trailing_zeros() as usize) & MASK] = NONE;
                    bits &= bits - 1;
                }
            }
            self.entries.clear();
        }
        self.marked.fill(0);
    }
}
