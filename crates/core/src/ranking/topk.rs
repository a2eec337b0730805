//! The best hits of a query, without scoring every document it matches.
//!
//! A Kotae query is a sum of clauses, one per piece of evidence (a word, a reading bigram, a
//! character trigram...), each the [`DisMax`](super::DisMax) of its fields. On a large
//! corpus most clauses are common sounds and characters that match a large share of the
//! documents but can add little to a score. Scoring every document they match was nearly all of
//! a search on 100,000 articles.
//!
//! [`TopK`] uses **MaxScore** (Turtle and Flood, 1995), on the postings of each field of each
//! clause (a *unit*). Every unit knows the most it can score (its upper bound). Once the k best
//! documents so far all score above θ, the units with the smallest bounds, as long as together
//! they cannot score more than θ, become *non-essential*: a document found only in those cannot
//! enter the top k. Only the documents of the essential units are visited; the others are asked
//! about those documents only, and only while the document can still make it. Bounds per field
//! matter: a word that is rare in titles but common in bodies has a high bound in the title
//! field only.
//!
//! **What a set of units can score** is counted clause by clause, the way the clause scores:
//! its best field plus `tie_breaker` times the others, applied to the bounds (see
//! `group_growth`). Summing the bounds instead would count a word found in five fields five
//! times over; with the tie-breaker at 0.1 this made about a third more documents look
//! promising on 100,000 articles (see the README's "Analysis and query latency").
//!
//! Bounds are also kept per window of [`window`] documents (what a term scores at most in that
//! window, from [`ScoringCache`](super::ScoringCache)): the essential units are chosen
//! again in every window, and a window where no document can beat θ is skipped.
//!
//! The results are the same hits, with the same scores, in the same order, as scoring
//! everything (ties go to the lower document address, as with tantivy's `TopDocs`). Scores are
//! summed in clause order so they are bit-for-bit the same as the exhaustive sum.
//!
//! **Filters** (audience, category) must contain every hit. When a filter's next document is
//! further on than the next candidate, the essential units jump straight to it: a customer's
//! search skips the internal manual's section documents in one seek per unit, where it used to
//! look at each of them and reject it.
//!
//! **Block by block.** Within a window the visited units are read a block of
//! [`BLOCK`](super::block::BLOCK) documents at a time, one unit after the other, into one slot
//! per document ([`Block`]); the documents they have whose partial score, plus what the other
//! units can add, still beats θ are then scored in full, in document order. Looking at every
//! essential unit for every document visited was most of a long question's walk (about 26
//! units per document on wiki-qa's 13,448 pages, 76 documents scored in full out of 2,800
//! visited).
//!
//! **A seeded threshold.** Pruning starts once θ is known, which is late if the first k
//! documents are weak. Walking a term's postings for its window bounds also keeps its best
//! documents; before a long walk, the best of those on the lists alone are scored exactly with
//! fresh scorers, and the k-th of their scores (among those that pass the filters) becomes a
//! floor for θ from the first document on. Before a short walk without filters, the lists'
//! scores are lower bounds of the documents' scores, and the k-th of those is the floor
//! (`seed_from_lists`): no postings are read for it.
//!
//! **Counting.** Pruning skips documents, so the total cannot be exact once it starts. Like
//! Elasticsearch's `track_total_hits`, the first [`COUNT_EXACTLY`] matching documents are
//! counted exactly; past that the total is reported as a lower bound. On long postings (the
//! same [`SEED_POSTINGS`] as seeding) they are counted before the walk, with fresh scorers
//! (copies of the walk's when no filter is left, see `fresh`):
//! each unit's documents in a window of [`COUNT_WINDOW`] are set in a bitmap, and the set
//! documents that pass the filters are counted. The walk then prunes from its first document.
//! On short postings that second pass costs more than it saves, and the walk counts: until the
//! count is reached every unit's documents are visited, though the non-essential units are
//! still scored only while a document can make it. On 100,000 articles counting first saves
//! 3.3% of a search's instructions; counting in the walk, the first 1,000 matches cost 7%.
//! Where nothing but deletions can leave a document out (no filter, or filters that hold the
//! whole segment), a term whose postings alone hold enough live documents settles the count
//! without visiting any (`count_from_lengths`): on wiki-qa, four questions out of five.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use tantivy::fastfield::AliveBitSet;
use tantivy::query::Scorer;
use tantivy::{DocAddress, DocId, DocSet, Score, SegmentReader, TERMINATED};

use super::block::{BLOCK, Block};
use super::filter::Runs;
use super::stats::window;
use super::unit::{Group, Opened, Unit, UnitScorer};

mod seed;
use seed::fresh;

/// How many matching documents are counted exactly before pruning may start.
pub const COUNT_EXACTLY: usize = 1000;

/// The threshold is seeded (see the module documentation) when the units' postings add up to this many:
/// below it, a walk is too short for the seeding to pay for itself.
pub const SEED_POSTINGS: u64 = 50_000;

/// How many documents per hit wanted are scored to seed the threshold.
const SEED_CANDIDATES_PER_HIT: usize = 4;

/// Documents per window when counting ahead of the walk: counting stops within a window, so
/// a small one reads few postings past the last document counted. Instructions per search on
/// 100k: 4,096 documents 9.59M, 1,024 9.40M, 512 9.38M, 256 9.42M.
pub const COUNT_WINDOW: u32 = 512;

/// The k best documents of a sum of clauses, over the segments of a searcher.
pub struct TopK {
    k: usize,
    count_exactly: usize,
    /// The worst of the best on top (a min-heap through [`Entry`]'s order).
    heap: BinaryHeap<Entry>,
    counted: usize,
    exact: bool,
    /// A score that k eligible documents are known to beat (see the module documentation).
    floor: Score,
    /// Seed the threshold in segments whose units have this many postings.
    seed_postings: u64,
}

/// What a search found: the best documents, best first, and how many matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub top: Vec<(Score, DocAddress)>,
    /// Matching documents; a lower bound when `exact` is false.
    pub total: usize,
    pub exact: bool,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    score: Score,
    address: DocAddress,
}

impl Entry {
    /// Better: a higher score, or the same score and a lower address.
    fn better(&self, other: &Entry) -> Ordering {
        self.score.total_cmp(&other.score).then_with(|| other.address.cmp(&self.address))
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.better(other) == Ordering::Equal
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    /// Reversed, so that `BinaryHeap` keeps the worst entry on top.
    fn cmp(&self, other: &Self) -> Ordering {
        other.better(self)
    }
}

/// Bounds are widened a little, so that float rounding in a sum never prunes a document that
/// would have made it.
fn widen(bound: Score) -> Score {
    bound * 1.0001 + 1e-6
}

/// A unit's score, with the unit's (clause, position).
type Scored = ((usize, usize), Score);

/// The units of the clauses, each with its (clause, position): the order scores are combined
/// in.
fn flatten(groups: Vec<Group>) -> Vec<((usize, usize), Unit)> {
    groups
        .into_iter()
        .enumerate()
        .flat_map(|(g, group)| group.units.into_iter().enumerate().map(move |(p, u)| ((g, p), u)))
        .collect()
}

/// How much the bound of a set of units grows when a unit of bound `bound`, no smaller than
/// the group's others already in the set, joins it. A group scores its best unit plus
/// `tie_breaker` times the others, `(1 - t) × best + t × sum`, and that never exceeds the same
/// expression over the units' bounds; `group_max` is the best bound of the group so far.
///
/// Counting a group this way, rather than as the sum of its units' bounds, is what lets a
/// word's title, heading and body postings be pruned together: with `t` = 0.1 a word's five
/// fields are bounded by little more than its best field, not by five times it.
fn group_growth(bound: Score, group_max: &mut Score, tie_breaker: Score) -> Score {
    let t = tie_breaker;
    if !(0.0..=1.0).contains(&t) {
        // Outside [0, 1] the group is no longer a weighted mean of max and sum; it is still
        // at most (1 + |t|) × the sum.
        return (1.0 + t.abs()) * bound;
    }
    let rise = (bound - *group_max).max(0.0);
    *group_max = group_max.max(bound);
    // Both terms are non-negative, so `below` only ever adds: no cancellation.
    (1.0 - t) * rise + t * bound
}

/// Whether `doc` is alive and in every filter; the filters are asked in increasing order of
/// documents.
fn eligible(doc: DocId, filters: &mut [Box<dyn Scorer>], alive: Option<&AliveBitSet>) -> bool {
    alive.is_none_or(|a| a.is_alive(doc))
        && filters.iter_mut().all(|f| {
            if f.doc() < doc {
                f.seek(doc);
            }
            f.doc() == doc
        })
}

/// A document's score from the scores of its units: each group's dis-max, summed group by
/// group from zero. The operations are those of tantivy's boolean sum over
/// [`DisMax`](super::DisMax) scorers, in the same order, so the scores are identical.
fn combine(matched: &mut [Scored], ties: &[Score]) -> Score {
    matched.sort_unstable_by_key(|(at, _)| *at);
    combine_sorted(matched, ties)
}

/// [`combine`] of scores already in clause order (sorted by (group, position)).
fn combine_sorted(matched: &[Scored], ties: &[Score]) -> Score {
    debug_assert!(matched.is_sorted_by_key(|(at, _)| *at));
    combine_in_order(matched.iter().copied(), ties)
}

/// [`combine_sorted`] of scores given one by one in clause order: the same operations in the
/// same order, with nothing collected first.
#[inline(always)]
fn combine_in_order(matched: impl Iterator<Item = Scored>, ties: &[Score]) -> Score {
    let mut total: Score = 0.0;
    // The current group, and its units' best score, sum, count and first score so far.
    let mut group = usize::MAX;
    let (mut best, mut sum, mut count, mut first) = (0.0 as Score, 0.0 as Score, 0usize, 0.0 as Score);
    for ((g, _), s) in matched {
        if g != group {
            if count > 0 {
                total += if count == 1 { first } else { best + ties[group] * (sum - best) };
            }
            (group, best, sum, count, first) = (g, 0.0, 0.0, 0, s);
        }
        best = best.max(s);
        sum += s;
        count += 1;
    }
    if count > 0 {
        total += if count == 1 { first } else { best + ties[group] * (sum - best) };
    }
    total
}

/// The exact scores of some documents of one segment (`docs`, ascending) under the clauses
/// `groups` opened on that segment: what [`TopK`] gives them. For documents found another way
/// (by meaning) whose words must count too.
pub fn score_docs(groups: Vec<Group>, docs: &[DocId]) -> Vec<Score> {
    let ties: Vec<Score> = groups.iter().map(|g| g.tie_breaker).collect();
    let mut units = flatten(groups);
    docs.iter()
        .map(|&doc| {
            let mut matched: Vec<Scored> = Vec::new();
            for (at, unit) in units.iter_mut() {
                let mut current = unit.scorer.doc();
                if current < doc {
                    current = unit.scorer.seek(doc);
                }
                if current == doc {
                    matched.push((*at, unit.scorer.score()));
                }
            }
            combine(&mut matched, &ties)
        })
        .collect()
}

impl TopK {
    /// Keep the `k` best; count the first `count_exactly` matches exactly.
    pub fn new(k: usize, count_exactly: usize) -> Self {
        TopK { k: k.max(1), count_exactly, heap: BinaryHeap::new(), counted: 0, exact: true, floor: Score::NEG_INFINITY, seed_postings: SEED_POSTINGS }
    }

    /// Seed the threshold in segments whose units have at least `postings` postings (by
    /// default [`SEED_POSTINGS`]; `u64::MAX` never seeds).
    pub fn seeding_from(mut self, postings: u64) -> Self {
        self.seed_postings = postings;
        self
    }

    /// The score a document must beat to enter: the worst of the k best so far, or the
    /// seeded floor, whichever is higher.
    fn threshold(&self) -> Option<Score> {
        let worst = (self.heap.len() >= self.k).then(|| self.heap.peek().map_or(Score::NEG_INFINITY, |e| e.score));
        match worst {
            Some(w) => Some(w.max(self.floor)),
            None => (self.floor > Score::NEG_INFINITY).then_some(self.floor),
        }
    }

    fn offer(&mut self, entry: Entry) {
        if self.heap.len() < self.k {
            self.heap.push(entry);
        } else if let Some(mut worst) = self.heap.peek_mut()
            && entry.better(&worst) == Ordering::Greater
        {
            // Replaced in place: one sift down, where a pop and a push sifted twice. A
            // results page ranks a thousand deep: 8% of its CPU on wiki-qa.
            *worst = entry;
        }
    }

    /// Visit one segment. `filters` must all contain a document for it to count (the audience
    /// and category); `alive` leaves out deleted documents.
    ///
    /// The segment is walked in windows of [`window`] documents. In each window a unit's bound
    /// is what it can score there (see [`Unit::windows`]), so units that score little in a
    /// window become non-essential there, and a window where nothing can beat the threshold is
    /// skipped whole.
    ///
    /// `open` makes the segment's clauses and filters; it is called twice more, for fresh
    /// scorers, when the units' postings are long enough for counting first and seeding the
    /// threshold to pay (see the module documentation).
    pub fn collect_segment(
        &mut self,
        segment: u32,
        open: &mut dyn FnMut() -> tantivy::Result<Opened>,
        reader: &SegmentReader,
    ) -> tantivy::Result<()> {
        let alive = reader.alive_bitset();
        let (groups, mut filters) = open()?;
        // A filter that holds every document of the segment (the public audience of an index
        // of public pages) has nothing to say.
        filters.retain(|f| (**f).downcast_ref::<Runs>().is_none_or(|runs| !runs.covers(reader.max_doc())));
        let ties: Vec<Score> = groups.iter().map(|g| g.tie_breaker).collect();
        let mut units = flatten(groups);
        units.retain(|(_, u)| u.scorer.doc() != TERMINATED);
        let n = units.len();
        let postings: u64 = units.iter().map(|(_, u)| u64::from(u.scorer.size_hint())).sum();
        // On long postings the matches are counted first, on their own (see `count`); on short
        // ones a second pass costs more than visiting every unit's documents in the walk.
        let long = postings >= self.seed_postings;
        // Settled by the postings' lengths, the count needs no pass of its own.
        if self.exact && filters.is_empty() {
            self.count_from_lengths(&units, reader);
        }
        if long && self.exact && n > 0 {
            let fresh = fresh(&units, &filters, open)?;
            self.count(fresh, alive);
        }
        let count_in_walk = !long;
        if long {
            let fresh = fresh(&units, &filters, open)?;
            self.seed(&units, fresh, &ties, alive);
        } else if filters.is_empty() && !self.exact {
            self.seed_from_lists(&units, &ties, alive);
        }
        let size = window(reader.max_doc());
        // Each unit's current document, kept here to spare a virtual call per look; for a unit
        // left behind (`behind`), where its next document can be at the earliest.
        let mut docs: Vec<DocId> = units.iter().map(|(_, u)| u.scorer.doc()).collect();
        // The units left behind at a window's end without being sought (see `next_window`):
        // their postings are still before `docs`, and are sought there only when needed.
        let mut behind: Vec<bool> = vec![false; n];
        // The scores of the current document: ((group, position), score).
        let mut matched: Vec<Scored> = Vec::with_capacity(n);
        // In the current window: each unit's bound, the units by bound (smallest first), and
        // below[k], the sum of the bounds of order[..k].
        let mut bounds: Vec<Score> = vec![0.0; n];
        let mut order: Vec<usize> = (0..n).collect();
        // The units by bound as sort keys (`by_bound`), and each unit's place in `order`.
        let mut keys: Vec<u64> = Vec::with_capacity(n);
        let mut place: Vec<usize> = vec![0; n];
        let mut below: Vec<Score> = vec![0.0; n + 1];
        // While `below` is built: the largest bound of each group in the prefix so far.
        let mut group_max: Vec<Score> = vec![0.0; ties.len()];
        // While `block_bound` sums the bounds: the largest bound of each group so far.
        let mut block_max: Vec<Score> = vec![0.0; ties.len()];
        // While a document is scored: the best score of each group among its units so far.
        let mut group_best: Vec<Score> = vec![0.0; ties.len()];
        // In the current block: whether some unit of the group is read.
        let mut group_read: Vec<bool> = vec![false; ties.len()];
        // The units a block reads, ascending.
        let mut read: Vec<usize> = Vec::with_capacity(n);
        let mut block = Block::take();

        loop {
            let next = docs.iter().copied().min().unwrap_or(TERMINATED);
            if next == TERMINATED {
                break;
            }
            let window = next / size;
            let end = window.saturating_add(1).saturating_mul(size);
            let mut resume = end;
            // The units with no document left in the window (bound 0, the smallest: widened
            // bounds are positive) come first, in their order, as sorting would put them; only
            // the others are sorted, as integers (the bound's total order, then the unit):
            // comparing through `bounds` was a twentieth of a long question's search, and most
            // of a long question's units have no document in a given window.
            keys.clear();
            let mut absent = 0;
            for (i, (_, u)) in units.iter().enumerate() {
                if docs[i] >= end {
                    bounds[i] = 0.0;
                    order[absent] = i;
                    place[i] = absent;
                    absent += 1;
                } else {
                    bounds[i] = widen(u.bound_in(window as usize));
                    keys.push(by_bound(bounds[i], i));
                }
            }
            keys.sort_unstable();
            for (k, key) in keys.iter().enumerate() {
                let i = *key as u32 as usize;
                order[absent + k] = i;
                place[i] = absent + k;
            }
            group_max.fill(0.0);
            // What the absent units add: nothing (`group_growth` of a bound 0).
            below[..=absent].fill(0.0);
            for k in absent..n {
                let i = order[k];
                let group = units[i].0.0;
                below[k + 1] = below[k] + group_growth(bounds[i], &mut group_max[group], ties[group]);
            }
            // order[first_essential..] are essential: their documents are all visited.
            let mut first_essential = 0;

            // Block by block (see `super::block`): the visited units are read whole, and only
            // the documents they have that can still make it are scored in full.
            loop {
                self.raise(&below, &mut first_essential);
                // While the walk counts, every unit's documents are visited (and counted), but
                // only the essential units' scores make a document a candidate.
                let counting = count_in_walk && self.exact;
                let first_visited = if counting { 0 } else { first_essential };
                if first_visited >= n {
                    break;
                }
                // The visited units are read from their documents: those left behind go there.
                for &i in &order[first_visited..] {
                    if behind[i] {
                        docs[i] = units[i].1.scorer.seek(docs[i]);
                        behind[i] = false;
                    }
                }
                let doc = order[first_visited..].iter().map(|&i| docs[i]).min().unwrap_or(TERMINATED);
                if doc >= end {
                    break;
                }
                // Every filter must contain the document. Where one's next document is further
                // on, nothing before it can count: the visited units jump there (past the
                // whole internal manual, for a customer's search).
                let mut next_allowed = doc;
                for f in filters.iter_mut() {
                    if f.doc() < next_allowed {
                        f.seek(next_allowed);
                    }
                    next_allowed = next_allowed.max(f.doc());
                }
                if next_allowed > doc {
                    if next_allowed >= end {
                        resume = next_allowed;
                        break;
                    }
                    for &i in &order[first_visited..] {
                        if docs[i] < next_allowed {
                            docs[i] = units[i].1.scorer.seek(next_allowed);
                        }
                    }
                    continue;
                }
                let start = doc - doc % BLOCK;
                let stop = start.saturating_add(BLOCK).min(end);
                read.clear();
                read.extend((0..n).filter(|&i| place[i] >= first_visited));
                group_read.fill(false);
                for &i in &read {
                    group_read[units[i].0.0] = true;
                }
                // With every unit read, a document's partial score is its score; otherwise
                // the units not read are asked about the candidates, which needs the scores
                // of those read.
                let whole = first_visited == 0;
                block.read(start..stop, &mut units, &mut docs, &read, &ties, !whole);
                // The absent units (order[..absent]) cannot have a document of the window.
                let present = absent.min(first_visited);
                // What the units not read can add to a document of this block: on large segments
                // (windows of 4,096 documents on 100k) a block's bounds are much lower than its
                // window's, and more candidates are found hopeless before any unit is asked.
                // Where windows are blocks (segments of up to 16,384 documents) the window's
                // bounds serve.
                let not_read = if whole {
                    0.0
                } else if size > BLOCK {
                    block_bound((start / BLOCK) as usize, stop, &order[present..first_visited], &units, &docs, &bounds, &ties, &mut block_max)
                } else {
                    below[first_visited]
                };
                // The threshold changes only when a document is offered: kept between them.
                let mut threshold = self.threshold();
                // The marked documents in order, a word of 64 slots at a time (an iterator over
                // them cost a sixth of the candidates' loop).
                for (word, &bits) in block.marked_words().iter().enumerate() {
                    let mut bits = bits;
                    while bits != 0 {
                        let (doc, partial) = block.slot(word * 64 + bits.trailing_zeros() as usize);
                        bits &= bits - 1;
                        if !eligible(doc, &mut filters, alive) {
                            continue;
                        }
                        if counting && self.exact {
                            self.counted += 1;
                            if self.counted >= self.count_exactly {
                                self.exact = false;
                            }
                        }
                        let address = DocAddress::new(segment, doc);
                        if whole {
                            self.offer(Entry { score: partial, address });
                            threshold = self.threshold();
                            continue;
                        }
                        // The units not read, largest bound first, while the document can still
                        // beat the threshold: the units not looked at yet are order[..k + 1], and
                        // below[k + 1] bounds what they can add. The partial score is widened a
                        // hair, as the bounds are: it is summed in another order than the score.
                        let mut known = partial + partial.abs() * 1e-6;
                        if threshold.is_some_and(|t| known + not_read <= t) {
                            continue;
                        }
                        // The scores of the units read are taken from the block only when needed:
                        // for a document worth scoring in full, or to count a unit asked whose
                        // clause has a unit read (`group_best`). Most candidates are found hopeless
                        // before either; taking them first was a tenth of a wiki-qa search.
                        let mut gathered = false;
                        let mut hopeless = false;
                        // (No threshold: nothing is below minus infinity.)
                        let t = threshold.unwrap_or(Score::NEG_INFINITY);
                        // The absent units cannot have the document: asking them would only find
                        // it hopeless at the first of them if it is.
                        for k in (present..first_visited).rev() {
                            if known + below[k + 1] <= t {
                                hopeless = true;
                                break;
                            }
                            let i = order[k];
                            let (at, u) = &mut units[i];
                            // Left behind with its next document at `doc` at the earliest, the unit
                            // is sought there too (beyond it, it cannot have the document).
                            if docs[i] < doc || (behind[i] && docs[i] == doc) {
                                docs[i] = u.scorer.seek(doc);
                                behind[i] = false;
                            }
                            if docs[i] == doc {
                                let s = u.scorer.score();
                                if !gathered && group_read[at.0] {
                                    gather(&block, doc, &units, &mut matched, &mut group_best);
                                    gathered = true;
                                }
                                let (at, _) = &units[i];
                                matched.push((*at, s));
                                known += group_growth(s, &mut group_best[at.0], ties[at.0]);
                            }
                        }
                        if !hopeless && present > 0 && known + below[present] <= t {
                            hopeless = true;
                        }
                        for ((group, _), _) in &matched {
                            group_best[*group] = 0.0;
                        }
                        if !hopeless {
                            if !gathered {
                                matched.extend(block.kept(doc).map(|(i, s)| (units[i].0, s)));
                            }
                            let score = combine(&mut matched, &ties);
                            self.offer(Entry { score, address });
                            threshold = self.threshold();
                        }
                        matched.clear();
                    }
                }
                block.clear();
            }
            // Past the window (or to the filters' next document): what is left before it
            // cannot make the top k. A unit with window bounds is not sought past a window's
            // end: its next document is at the earliest in the next window where it has one,
            // and most units left behind are left behind again there (one block of postings
            // decoded per unit and window, for nothing).
            for (i, (_, u)) in units.iter_mut().enumerate() {
                if docs[i] < resume {
                    match u.windows() {
                        Some(shares) if resume == end => {
                            docs[i] = next_window(shares, resume, size);
                            behind[i] = true;
                        }
                        _ => {
                            docs[i] = u.scorer.seek(resume);
                            behind[i] = false;
                        }
                    }
                }
            }
        }
        block.give_back();
        Ok(())
    }

    /// Once there is a threshold (k documents in, or a seeded floor), the units whose bounds
    /// together cannot beat it stop being essential.
    fn raise(&self, below: &[Score], first_essential: &mut usize) {
        if let Some(t) = self.threshold() {
            while *first_essential + 1 < below.len() && below[*first_essential + 1] <= t {
                *first_essential += 1;
            }
        }
    }

    /// The best documents, best first, after skipping `offset` of them.
    pub fn finish(self, offset: usize) -> Found {
        let mut top: Vec<Entry> = self.heap.into_vec();
        top.sort_by(|a, b| b.better(a));
        let top = top.into_iter().skip(offset).map(|e| (e.score, e.address)).collect();
        // When exactly `count_exactly` documents match, the total is right but reported as a
        // lower bound: counting stops before it could know there are no more.
        Found { top, total: self.counted, exact: self.exact }
    }
}

/// The scores the block kept for `doc` (of the units read), into `matched`, each raising its
/// group's best in `group_best`. Out of the candidates' loop: rarely needed.
#[cold]
#[inline(never)]
fn gather(block: &Block, doc: DocId, units: &[((usize, usize), Unit)], matched: &mut Vec<Scored>, group_best: &mut [Score]) {
    for (j, s) in block.kept(doc) {
        let at = units[j].0;
        matched.push((at, s));
        group_best[at.0] = group_best[at.0].max(s);
    }
}

/// What the units `not_read` can add to a document of block `b` (ending at `stop`): each no
/// more than its window bound (`bounds`), nothing if its next document is past the block, and
/// no more than its block bound where known. Out of the walk's loop: a bound per unit and
/// block used in the loop (each unit asked against it) saved 1.7% more on 100k, but cost 1–2%
/// of a wiki-qa search, where it is never needed.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn block_bound(
    b: usize,
    stop: DocId,
    not_read: &[usize],
    units: &[((usize, usize), Unit)],
    docs: &[DocId],
    bounds: &[Score],
    ties: &[Score],
    group_max: &mut [Score],
) -> Score {
    group_max.fill(0.0);
    let mut sum = 0.0;
    for &i in not_read {
        let ((group, _), u) = &units[i];
        let bound = if docs[i] >= stop { 0.0 } else { u.bound_in_block(b).map_or(bounds[i], |bound| bounds[i].min(widen(bound))) };
        sum += group_growth(bound, &mut group_max[*group], ties[*group]);
    }
    sum
}

/// Where a unit with window bounds `shares` ([`Unit::windows`], positive in every window where
/// the unit has a document) has its next document at the earliest, from `from`, the start of
/// a window: the start of the first window from there where it has one; `TERMINATED` if none.
fn next_window(shares: &[Score], from: DocId, size: u32) -> DocId {
    let first = (from / size) as usize;
    match shares.get(first..).and_then(|rest| rest.iter().position(|&share| share > 0.0)) {
        Some(k) => ((first + k) as DocId * size).max(from),
        None => TERMINATED,
    }
}

/// A sort key for unit `unit` of bound `bound`: ascending keys are bounds in
/// [`f32::total_cmp`]'s order, units in their order at equal bounds.
fn by_bound(bound: Score, unit: usize) -> u64 {
    let bits = bound.to_bits() as i32;
    // As `total_cmp`: negative values' other bits flipped, then the sign bit, so that the
    // order of the integers is the total order of the floats.
    let ordered = (bits ^ ((((bits >> 31) as u32) >> 1) as i32)) as u32 ^ 0x8000_0000;
    u64::from(ordered) << 32 | unit as u64
}

#[cfg(test)]
#[path = "tests/topk.rs"]
mod tests;
