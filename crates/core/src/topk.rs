//! The best hits of a query, without scoring every document it matches.
//!
//! A Kotae query is a sum of clauses, one per piece of evidence (a word, a reading bigram, a
//! character trigram...), each the [`DisMax`](crate::scoring::DisMax) of its fields. On a large
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
//! Bounds are also kept per window of [`WINDOW`] documents (what a term scores at most in that
//! window, from [`ScoringCache`](crate::scoring::ScoringCache)): the essential units are chosen
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
//! **A seeded threshold.** Pruning starts once θ is known, which is late if the first k
//! documents are weak. Walking a term's postings for its window bounds also keeps its best
//! documents; before a long walk, the best of those on the lists alone are scored exactly with
//! fresh scorers, and the k-th of their scores (among those that pass the filters) becomes a
//! floor for θ from the first document on.
//!
//! **Counting.** Pruning skips documents, so the total cannot be exact once it starts. Like
//! Elasticsearch's `track_total_hits`, the first [`COUNT_EXACTLY`] matching documents are
//! counted exactly; past that the total is reported as a lower bound. On long postings (the
//! same [`SEED_POSTINGS`] as seeding) they are counted before the walk, with fresh scorers:
//! each unit's documents in a window of [`COUNT_WINDOW`] are set in a bitmap, and the set
//! documents that pass the filters are counted. The walk then prunes from its first document.
//! On short postings that second pass costs more than it saves, and the walk counts: until the
//! count is reached every unit's documents are visited, though the non-essential units are
//! still scored only while a document can make it. On 100,000 articles counting first saves
//! 3.3% of a search's instructions; counting in the walk, the first 1,000 matches cost 7%.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use tantivy::fastfield::AliveBitSet;
use tantivy::query::Scorer;
use tantivy::{DocAddress, DocId, DocSet, Score, TERMINATED};

use crate::scoring::Bm25TermScorer;

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

/// Documents per window: see [`TopK::collect_segment`].
pub const WINDOW: u32 = 4096;

/// The postings of one field of a clause, on a segment, and the most they score.
pub struct Unit {
    pub scorer: UnitScorer,
    /// An upper bound of `scorer.score()`; `Score::INFINITY` when unknown (never pruned).
    pub max: Score,
    /// For each window of [`WINDOW`] documents, the share of `max` the unit can reach there (0
    /// where it has no document), when known.
    pub windows: Option<std::sync::Arc<[Score]>>,
    /// Some of the unit's best documents in the segment, each with its share of `max`, when
    /// known: see [`TopK::collect_segment`] for what they are for.
    pub top: Option<std::sync::Arc<[(DocId, Score)]>>,
}

impl Unit {
    /// The most the unit scores in window `w`.
    fn bound_in(&self, w: usize) -> Score {
        match &self.windows {
            Some(shares) => shares.get(w).map_or(self.max, |share| self.max * share),
            None => self.max,
        }
    }
}

/// A unit's scorer. BM25 terms, nearly every unit, are called directly (and inlined), not
/// through a `dyn Scorer`: a search on a large corpus makes a few hundred thousand of these
/// calls.
pub enum UnitScorer {
    Term(Box<Bm25TermScorer>),
    Other(Box<dyn Scorer>),
}

impl DocSet for UnitScorer {
    #[inline]
    fn advance(&mut self) -> DocId {
        match self {
            UnitScorer::Term(s) => s.advance(),
            UnitScorer::Other(s) => s.advance(),
        }
    }

    #[inline]
    fn seek(&mut self, target: DocId) -> DocId {
        match self {
            UnitScorer::Term(s) => s.seek(target),
            UnitScorer::Other(s) => s.seek(target),
        }
    }

    #[inline]
    fn doc(&self) -> DocId {
        match self {
            UnitScorer::Term(s) => s.doc(),
            UnitScorer::Other(s) => s.doc(),
        }
    }

    fn size_hint(&self) -> u32 {
        match self {
            UnitScorer::Term(s) => s.size_hint(),
            UnitScorer::Other(s) => s.size_hint(),
        }
    }
}

impl Scorer for UnitScorer {
    #[inline]
    fn score(&mut self) -> Score {
        match self {
            UnitScorer::Term(s) => s.score(),
            UnitScorer::Other(s) => s.score(),
        }
    }
}

/// A segment's clauses and filters, as [`TopK::collect_segment`]'s `open` makes them.
pub type Opened = (Vec<Group>, Vec<Box<dyn Scorer>>);

/// One clause of the sum: the dis-max of its units (best + `tie_breaker` × the others).
pub struct Group {
    pub units: Vec<Unit>,
    pub tie_breaker: Score,
}

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
/// [`DisMax`](crate::scoring::DisMax) scorers, in the same order, so the scores are identical.
fn combine(matched: &mut [Scored], ties: &[Score]) -> Score {
    matched.sort_unstable_by_key(|(at, _)| *at);
    let mut total: Score = 0.0;
    let mut i = 0;
    while i < matched.len() {
        let group = matched[i].0.0;
        let (mut best, mut sum) = (0.0 as Score, 0.0 as Score);
        let start = i;
        while i < matched.len() && matched[i].0.0 == group {
            best = best.max(matched[i].1);
            sum += matched[i].1;
            i += 1;
        }
        total += if i - start == 1 { matched[start].1 } else { best + ties[group] * (sum - best) };
    }
    total
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

    /// Raise the floor from the units' best documents, before the segment is walked.
    ///
    /// Each unit's [`Unit::top`] list names documents that score high on it. Those that
    /// score best on the lists alone (no postings are read for that) are likely among the
    /// best of the query: they are scored exactly, with `fresh` scorers, and if k of them pass
    /// the filters, a document that cannot beat the k-th of those scores cannot make the top
    /// k. The walk then prunes from the segment's first document on, instead of once it has
    /// met k good documents. Only worth it on long postings: see [`SEED_POSTINGS`].
    fn seed(&mut self, units: &[((usize, usize), Unit)], fresh: Opened, alive: Option<&AliveBitSet>) {
        let (groups, mut filters) = fresh;
        let ties: Vec<Score> = groups.iter().map(|g| g.tie_breaker).collect();
        // (document, (group, position), score on the lists) for each document of each unit's
        // list, then each document's score on the lists, combined as the walk combines scores.
        let mut listed: Vec<(DocId, Scored)> = Vec::new();
        for (at, unit) in units {
            if let Some(top) = &unit.top {
                listed.extend(top.iter().map(|&(doc, share)| (doc, (*at, unit.max * share))));
            }
        }
        // By document only: `combine` puts each document's entries in clause order.
        listed.sort_unstable_by_key(|&(doc, _)| doc);
        let mut matched: Vec<Scored> = Vec::with_capacity(units.len());
        let mut candidates: Vec<(Score, DocId)> = listed
            .chunk_by(|a, b| a.0 == b.0)
            .map(|same_doc| {
                matched.clear();
                matched.extend(same_doc.iter().map(|(_, entry)| *entry));
                (combine(&mut matched, &ties), same_doc[0].0)
            })
            .collect();
        let wanted = SEED_CANDIDATES_PER_HIT * self.k;
        if candidates.len() > wanted {
            candidates.select_nth_unstable_by(wanted, |a, b| b.0.total_cmp(&a.0));
            candidates.truncate(wanted);
        }
        candidates.sort_unstable_by_key(|&(_, doc)| doc);
        // Score them exactly, as the walk would.
        let mut units = flatten(groups);
        matched.clear();
        let mut exact: Vec<Score> = Vec::with_capacity(candidates.len());
        for &(_, doc) in &candidates {
            if !eligible(doc, &mut filters, alive) {
                continue;
            }
            for (at, u) in units.iter_mut() {
                if u.scorer.doc() < doc {
                    u.scorer.seek(doc);
                }
                if u.scorer.doc() == doc {
                    matched.push((*at, u.scorer.score()));
                }
            }
            exact.push(combine(&mut matched, &ties));
            matched.clear();
        }
        if exact.len() < self.k {
            return;
        }
        exact.sort_unstable_by(|a, b| b.total_cmp(a));
        // k documents score at least this. The floor sits a hair below it, so that a document
        // tying with the k-th (and winning on its address) is still looked at.
        let kth = exact[self.k - 1];
        self.floor = self.floor.max(kth - kth.abs() * 1e-6);
    }

    /// Count the segment's matching documents, window by window, until [`TopK::count_exactly`]
    /// of them are counted in all, with `fresh` scorers: each unit's documents in the window
    /// are marked in a bitmap, and the marked documents that pass the filters are counted. The
    /// walk that finds the best documents then never has to visit a document only to count it.
    fn count(&mut self, fresh: Opened, alive: Option<&AliveBitSet>) {
        let (groups, mut filters) = fresh;
        let mut units: Vec<UnitScorer> = groups.into_iter().flat_map(|g| g.units).map(|u| u.scorer).collect();
        let mut marks = [0u64; COUNT_WINDOW as usize / 64];
        loop {
            let next = units.iter().map(|u| u.doc()).min().unwrap_or(TERMINATED);
            if next == TERMINATED {
                return;
            }
            let start = next - next % COUNT_WINDOW;
            let end = start.saturating_add(COUNT_WINDOW);
            marks.fill(0);
            for u in units.iter_mut() {
                let mut doc = u.doc();
                while doc < end {
                    let at = (doc - start) as usize;
                    marks[at / 64] |= 1 << (at % 64);
                    doc = u.advance();
                }
            }
            for (word, &bits) in marks.iter().enumerate() {
                let mut bits = bits;
                while bits != 0 {
                    let doc = start + (word * 64) as DocId + bits.trailing_zeros();
                    bits &= bits - 1;
                    if eligible(doc, &mut filters, alive) {
                        self.counted += 1;
                        if self.counted >= self.count_exactly {
                            self.exact = false;
                            return;
                        }
                    }
                }
            }
        }
    }

    fn offer(&mut self, entry: Entry) {
        if self.heap.len() < self.k {
            self.heap.push(entry);
        } else if self.heap.peek().is_some_and(|worst| entry.better(worst) == Ordering::Greater) {
            self.heap.pop();
            self.heap.push(entry);
        }
    }

    /// Visit one segment. `filters` must all contain a document for it to count (the audience
    /// and category); `alive` leaves out deleted documents.
    ///
    /// The segment is walked in windows of [`WINDOW`] documents. In each window a unit's bound
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
        alive: Option<&AliveBitSet>,
    ) -> tantivy::Result<()> {
        let (groups, mut filters) = open()?;
        let ties: Vec<Score> = groups.iter().map(|g| g.tie_breaker).collect();
        let mut units = flatten(groups);
        units.retain(|(_, u)| u.scorer.doc() != TERMINATED);
        let n = units.len();
        let postings: u64 = units.iter().map(|(_, u)| u64::from(u.scorer.size_hint())).sum();
        // On long postings the matches are counted first, on their own (see `count`); on short
        // ones a second pass costs more than visiting every unit's documents in the walk.
        let long = postings >= self.seed_postings;
        if long && self.exact && n > 0 {
            self.count(open()?, alive);
        }
        let count_in_walk = !long;
        if long {
            self.seed(&units, open()?, alive);
        }
        // Each unit's current document, kept here to spare a virtual call per look.
        let mut docs: Vec<DocId> = units.iter().map(|(_, u)| u.scorer.doc()).collect();
        // The scores of the current document: ((group, position), score).
        let mut matched: Vec<Scored> = Vec::with_capacity(n);
        // In the current window: each unit's bound, the units by bound (smallest first), and
        // below[k], the sum of the bounds of order[..k].
        let mut bounds: Vec<Score> = vec![0.0; n];
        let mut order: Vec<usize> = (0..n).collect();
        let mut below: Vec<Score> = vec![0.0; n + 1];
        // While `below` is built: the largest bound of each group in the prefix so far.
        let mut group_max: Vec<Score> = vec![0.0; ties.len()];
        // While a document is scored: the best score of each group among its units so far.
        let mut group_best: Vec<Score> = vec![0.0; ties.len()];

        loop {
            let next = docs.iter().copied().min().unwrap_or(TERMINATED);
            if next == TERMINATED {
                break;
            }
            let window = next / WINDOW;
            let end = window.saturating_add(1).saturating_mul(WINDOW);
            let mut resume = end;
            for (i, (_, u)) in units.iter().enumerate() {
                bounds[i] = if docs[i] >= end { 0.0 } else { widen(u.bound_in(window as usize)) };
            }
            order.sort_by(|&a, &b| bounds[a].total_cmp(&bounds[b]));
            group_max.fill(0.0);
            for k in 0..n {
                let i = order[k];
                let group = units[i].0.0;
                below[k + 1] = below[k] + group_growth(bounds[i], &mut group_max[group], ties[group]);
            }
            // order[first_essential..] are essential: their documents are all visited.
            let mut first_essential = 0;
            self.raise(&below, &mut first_essential);

            // The next document of the essential units, when the last pass over them found it.
            let mut next: Option<DocId> = None;
            loop {
                // While the walk counts, every unit's documents are visited (and counted), but
                // only the essential units are scored in full.
                let counting = count_in_walk && self.exact;
                let first_visited = if counting { 0 } else { first_essential };
                if first_visited >= n {
                    break;
                }
                let doc = match next.take() {
                    Some(doc) => doc,
                    None => order[first_visited..].iter().map(|&i| docs[i]).min().unwrap_or(TERMINATED),
                };
                if doc >= end {
                    break;
                }
                // Every filter must contain the document. Where one's next document is further
                // on, nothing before it can count: the essential units jump there (past the
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
                // Unless the walk counts, the essential units are scored and moved on in one
                // pass, which also finds the next document.
                let mut moved = false;
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    let threshold = self.threshold();
                    // What the units looked at so far add up to, group by group.
                    let mut known: Score = 0.0;
                    let mut following = TERMINATED;
                    for &i in &order[first_essential..] {
                        if docs[i] == doc {
                            let (at, u) = &mut units[i];
                            let s = u.scorer.score();
                            matched.push((*at, s));
                            known += group_growth(s, &mut group_best[at.0], ties[at.0]);
                            if !counting {
                                docs[i] = u.scorer.advance();
                            }
                        }
                        following = following.min(docs[i]);
                    }
                    if !counting {
                        moved = true;
                        next = Some(following);
                    }
                    // The non-essential units, largest bound first, while the document can
                    // still beat the threshold: the units not looked at yet are order[..k + 1],
                    // and below[k + 1] bounds what they can add.
                    let mut hopeless = false;
                    for k in (0..first_essential).rev() {
                        if threshold.is_some_and(|t| known + below[k + 1] <= t) {
                            hopeless = true;
                            break;
                        }
                        let i = order[k];
                        let (at, u) = &mut units[i];
                        if docs[i] < doc {
                            docs[i] = u.scorer.seek(doc);
                        }
                        if docs[i] == doc {
                            let s = u.scorer.score();
                            matched.push((*at, s));
                            known += group_growth(s, &mut group_best[at.0], ties[at.0]);
                        }
                    }
                    for ((group, _), _) in &matched {
                        group_best[*group] = 0.0;
                    }
                    if !hopeless {
                        let score = combine(&mut matched, &ties);
                        self.offer(Entry { score, address: DocAddress::new(segment, doc) });
                    }
                    matched.clear();
                    if counting {
                        self.counted += 1;
                        if self.counted >= self.count_exactly {
                            self.exact = false;
                        }
                    }
                }
                if !moved {
                    for &i in &order[first_visited..] {
                        if docs[i] == doc {
                            docs[i] = units[i].1.scorer.advance();
                        }
                    }
                }
                let essential = first_essential;
                self.raise(&below, &mut first_essential);
                if first_essential != essential {
                    next = None;
                }
            }
            // Past the window (or to the filters' next document): what is left before it
            // cannot make the top k.
            for (i, (_, u)) in units.iter_mut().enumerate() {
                if docs[i] < resume {
                    docs[i] = u.scorer.seek(resume);
                }
            }
        }
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

#[cfg(test)]
mod tests {
    use tantivy::collector::{Count, TopDocs};
    use tantivy::query::{BooleanQuery, EnableScoring, Occur, Query, TermQuery};
    use tantivy::schema::{IndexRecordOption, STRING, Schema, TEXT};
    use tantivy::{Index, Term, doc};

    use std::sync::Arc;

    use super::*;
    use crate::scoring::{Bm25, Bm25TermQuery, DisMax, ScoringCache, SegmentFields};

    /// A corpus where common words match most documents and rare words a few, with two
    /// text fields, two filter fields, and several segments of several windows.
    struct Corpus {
        index: Index,
        title: tantivy::schema::Field,
        body: tantivy::schema::Field,
        /// "internal" for every fourth document, "public" for the others: interleaved.
        kind: tantivy::schema::Field,
        /// "manual" for documents 5,000 to 13,999, "faq" for the others: one long run,
        /// across windows and a segment boundary, as an internal manual is indexed.
        part: tantivy::schema::Field,
    }

    const DOCS: usize = 20_000;

    fn corpus() -> Corpus {
        let mut schema = Schema::builder();
        let title = schema.add_text_field("title", TEXT);
        let body = schema.add_text_field("body", TEXT);
        let kind = schema.add_text_field("kind", STRING);
        let part = schema.add_text_field("part", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 50_000_000).unwrap();
        let common = ["alpha", "beta", "gamma", "delta"];
        let rare = ["kiwi", "lime", "plum", "fig", "pear"];
        for i in 0..DOCS {
            let mut text = String::new();
            for (j, w) in common.iter().enumerate() {
                if (i * 7 + j * 3) % 5 != 0 {
                    text.push_str(w);
                    text.push(' ');
                }
            }
            for (j, w) in rare.iter().enumerate() {
                if (i * 13 + j * 11) % (37 + j * 10) == 0 {
                    for _ in 0..(i % 3 + 1) {
                        text.push_str(w);
                        text.push(' ');
                    }
                }
            }
            let t = if i % 11 == 0 { rare[i % rare.len()] } else { common[i % common.len()] };
            let k = if i % 4 == 0 { "internal" } else { "public" };
            let p = if (5_000..14_000).contains(&i) { "manual" } else { "faq" };
            writer.add_document(doc!(title => t, body => text, kind => k, part => p)).unwrap();
            // Segments of 9,000, 9,000 and 2,000 documents: three windows each, and a short
            // last one.
            if i % 9_000 == 8_999 {
                writer.commit().unwrap();
            }
        }
        writer.commit().unwrap();
        Corpus { index, title, body, kind, part }
    }

    fn clause(title: tantivy::schema::Field, body: tantivy::schema::Field, word: &str, windows: &Arc<ScoringCache>) -> DisMax {
        let params = Bm25::default();
        let term = |field, boost| Bm25TermQuery::new(Term::from_field_text(field, word), params).with_boost(boost).with_cache(windows.clone());
        DisMax::new(vec![Box::new(term(title, 1.3)), Box::new(term(body, 1.0))], 0.1)
    }

    #[test]
    fn pruned_results_equal_exhaustive_scoring() {
        let Corpus { index, title, body, kind, part } = corpus();
        let searcher = index.reader().unwrap().searcher();
        assert!(searcher.segment_readers().len() >= 3);
        assert!(searcher.segment_readers().iter().any(|r| r.max_doc() > 2 * WINDOW));
        let windows = Arc::new(ScoringCache::new(100));
        let queries: [&[&str]; 5] = [
            &["alpha", "kiwi"],
            &["alpha", "beta", "gamma", "delta", "plum"],
            &["fig", "pear", "lime", "beta"],
            &["delta"],
            &["alpha", "beta", "nothing"],
        ];
        let filter_sets: [&[(tantivy::schema::Field, &str)]; 5] =
            [&[], &[(kind, "public")], &[(part, "faq")], &[(part, "manual")], &[(kind, "public"), (part, "faq")]];
        for words in queries {
            for filter_set in filter_sets {
                for ((limit, offset, count_exactly), seeded) in
                    [(10, 0, 50), (5, 3, 1), (20, 0, 100_000)].into_iter().flat_map(|c| [(c, false), (c, true)])
                {
                    let dismaxes: Vec<DisMax> = words.iter().map(|w| clause(title, body, w, &windows)).collect();
                    // Exhaustive: tantivy's boolean query and collectors.
                    let should: Vec<(Occur, Box<dyn Query>)> =
                        dismaxes.iter().map(|d| (Occur::Should, Box::new(d.clone()) as Box<dyn Query>)).collect();
                    let mut must: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(BooleanQuery::new(should)))];
                    let filters: Vec<TermQuery> =
                        filter_set.iter().map(|(f, v)| TermQuery::new(Term::from_field_text(*f, v), IndexRecordOption::Basic)).collect();
                    for filter in &filters {
                        must.push((Occur::Must, Box::new(tantivy::query::BoostQuery::new(Box::new(filter.clone()), 0.0))));
                    }
                    let collector = (TopDocs::with_limit(limit).and_offset(offset).order_by_score(), Count);
                    let (expected, expected_total) = searcher.search(&BooleanQuery::new(must), &collector).unwrap();

                    // Pruned.
                    let scoring = EnableScoring::enabled_from_searcher(&searcher);
                    let weights: Vec<_> = dismaxes.iter().map(|d| d.bounded_weight(scoring).unwrap()).collect();
                    let filter_weights: Vec<_> =
                        filters.iter().map(|f| f.weight(EnableScoring::disabled_from_searcher(&searcher)).unwrap()).collect();
                    let mut top = TopK::new(limit + offset, count_exactly).seeding_from(if seeded { 0 } else { u64::MAX });
                    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
                        let mut open = || {
                            let mut fields = SegmentFields::new(reader);
                            let clauses = weights.iter().map(|w| w.group(&mut fields)).collect::<tantivy::Result<Vec<_>>>()?;
                            let filters = filter_weights.iter().map(|w| w.scorer(reader, 1.0)).collect::<tantivy::Result<Vec<_>>>()?;
                            Ok((clauses, filters))
                        };
                        top.collect_segment(ord as u32, &mut open, reader.alive_bitset()).unwrap();
                    }
                    let found = top.finish(offset);
                    assert!(!expected.is_empty(), "{words:?} {filter_set:?}");
                    assert_eq!(found.top, expected, "{words:?} filters {filter_set:?} limit {limit} offset {offset} seeded {seeded}");
                    if found.exact {
                        assert_eq!(found.total, expected_total, "{words:?}");
                    } else {
                        assert!(found.total >= count_exactly && found.total <= expected_total, "{words:?}: {}", found.total);
                    }
                    assert_eq!(found.exact, expected_total < count_exactly, "{words:?}: {expected_total} vs {count_exactly}");
                }
            }
        }
    }

    /// The bound built unit by unit, smallest first, is the clause's own formula applied to
    /// the bounds, and it holds for any scores under them, for any tie-breaker.
    #[test]
    fn group_bounds_follow_the_dis_max() {
        let sets: [&[Score]; 4] = [&[1.0], &[0.5, 2.0, 3.0], &[4.0, 4.0, 0.25, 1.5, 2.5], &[0.0, 0.75]];
        for t in [0.0, 0.1, 0.5, 1.0, 1.5, -0.2] {
            for bounds in sets {
                let mut sorted = bounds.to_vec();
                sorted.sort_by(Score::total_cmp);
                let (mut max, mut built) = (0.0, 0.0);
                for b in &sorted {
                    built += group_growth(*b, &mut max, t);
                }
                let best = sorted.last().copied().unwrap_or(0.0);
                let sum: Score = sorted.iter().sum();
                let formula = best + t * (sum - best);
                if (0.0..=1.0).contains(&t) {
                    assert!((built - formula).abs() < 1e-5, "t {t} {bounds:?}: {built} vs {formula}");
                    // Much less than the sum of the bounds once a clause has several fields.
                    if t < 1.0 && bounds.iter().filter(|b| **b > 0.0).count() > 1 {
                        assert!(built < sum - 1e-3, "t {t} {bounds:?}");
                    }
                }
                // Any scores within the bounds, combined as a clause, stay under it.
                for scale in [1.0, 0.5, 0.0] {
                    let mut matched: Vec<((usize, usize), Score)> =
                        sorted.iter().enumerate().map(|(p, b)| ((0, p), b * if p % 2 == 0 { 1.0 } else { scale })).collect();
                    let score = combine(&mut matched, &[t]);
                    assert!(score <= built + 1e-5, "t {t} {bounds:?}: score {score} over bound {built}");
                }
            }
        }
    }

    #[test]
    fn bounds_hold_for_every_document_and_window() {
        let Corpus { index, title, body, .. } = corpus();
        let searcher = index.reader().unwrap().searcher();
        let windows = Arc::new(ScoringCache::new(100));
        for word in ["alpha", "kiwi", "pear"] {
            let weight = clause(title, body, word, &windows).bounded_weight(EnableScoring::enabled_from_searcher(&searcher)).unwrap();
            for reader in searcher.segment_readers() {
                for mut u in weight.group(&mut SegmentFields::new(reader)).unwrap().units {
                    assert!(u.max.is_finite());
                    let shares = u.windows.clone().expect("terms have window bounds");
                    assert_eq!(shares.len(), reader.max_doc().div_ceil(WINDOW) as usize);
                    let mut best = vec![0.0 as Score; shares.len()];
                    while u.scorer.doc() != TERMINATED {
                        let (doc, score) = (u.scorer.doc(), u.scorer.score());
                        let w = (doc / WINDOW) as usize;
                        assert!(score <= u.max, "{word}");
                        assert!(score <= widen(u.bound_in(w)), "{word}: {score} in window {w}");
                        best[w] = best[w].max(score);
                        u.scorer.advance();
                    }
                    for (w, b) in best.iter().enumerate() {
                        // Tight: each window's bound is reached there (or the window is empty).
                        assert!((u.bound_in(w) - b).abs() <= 1e-4 * u.max, "{word} window {w}: {} vs {b}", u.bound_in(w));
                    }
                }
            }
        }
    }
}
