//! Before the walk: counting the matches from the postings' lengths or a first pass, and
//! seeding the threshold from the units' cached best documents ([`TopK`]'s module documentation
//! says when each pays).

use super::*;

impl TopK {
    /// Raise the floor from the units' best documents, before the segment is walked.
    ///
    /// Each unit's [`Unit::top`] list names documents that score high on it. Those that
    /// score best on the lists alone (no postings are read for that) are likely among the
    /// best of the query: they are scored exactly, with `fresh` scorers, and if k of them pass
    /// the filters, a document that cannot beat the k-th of those scores cannot make the top
    /// k. The walk then prunes from the segment's first document on, instead of once it has
    /// met k good documents. Only worth it on long postings: see [`SEED_POSTINGS`].
    pub(super) fn seed(&mut self, units: &[((usize, usize), Unit)], fresh: Fresh, ties: &[Score], alive: Option<&AliveBitSet>) {
        let (mut scorers, mut filters) = fresh;
        // Each document's score on the units' lists, combined as the walk combines scores.
        let listed = listed_by_doc(units);
        let mut matched: Vec<Scored> = Vec::with_capacity(units.len());
        let mut candidates: Vec<(Score, DocId)> = listed
            .chunk_by(|a, b| a.0 == b.0)
            .map(|same_doc| {
                matched.clear();
                matched.extend(same_doc.iter().map(|(_, entry)| *entry));
                (combine(&mut matched, ties), same_doc[0].0)
            })
            .collect();
        let wanted = SEED_CANDIDATES_PER_HIT * self.k;
        if candidates.len() > wanted {
            candidates.select_nth_unstable_by(wanted, |a, b| b.0.total_cmp(&a.0));
            candidates.truncate(wanted);
        }
        candidates.sort_unstable_by_key(|&(_, doc)| doc);
        // Score them exactly, as the walk would.
        matched.clear();
        let mut exact: Vec<Score> = Vec::with_capacity(candidates.len());
        for &(_, doc) in &candidates {
            if !eligible(doc, &mut filters, alive) {
                continue;
            }
            for (at, scorer) in scorers.iter_mut() {
                if scorer.doc() < doc {
                    scorer.seek(doc);
                }
                if scorer.doc() == doc {
                    matched.push((*at, scorer.score()));
                }
            }
            exact.push(combine(&mut matched, ties));
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

    /// Count without visiting: when nothing but deletions can leave a document out, a term
    /// unit's postings hold at least their length less the segment's deleted documents, all
    /// matching. When that is as many as are still to be counted, the count is reached (what
    /// counting them one by one in the walk would find), and the walk prunes from its first
    /// document.
    pub(super) fn count_from_lengths(&mut self, units: &[((usize, usize), Unit)], reader: &SegmentReader) {
        let needed = self.count_exactly.saturating_sub(self.counted);
        let deleted = reader.max_doc().saturating_sub(reader.num_docs());
        let surely = units.iter().filter_map(|(_, u)| u.scorer.exact_len()).max().unwrap_or(0).saturating_sub(deleted);
        if needed > 0 && surely as usize >= needed {
            self.counted = self.count_exactly;
            self.exact = false;
        }
    }

    /// Raise the floor from the units' best documents, without reading postings: what
    /// [`TopK::seed`] does, with each document's score on the lists as a lower bound of its
    /// score instead of its exact score.
    ///
    /// A document's score only grows with each unit it matches (a clause's best + tie-breaker
    /// × the others, tie-breaker in [0, 1], scores not negative), so the lists' units alone
    /// give at most its score; a list's score (`max` × share) can differ from the scorer's by
    /// rounding, so the bound is lowered by 10⁻⁴ of itself. If k live documents have bounds,
    /// the k-th of them is below k documents' scores. For segments without filters (the
    /// filters could not be asked again from the first document).
    pub(super) fn seed_from_lists(&mut self, units: &[((usize, usize), Unit)], ties: &[Score], alive: Option<&AliveBitSet>) {
        if ties.iter().any(|t| !(0.0..=1.0).contains(t)) || units.iter().any(|(_, u)| !(u.max > 0.0 && u.max.is_finite())) {
            return;
        }
        // Each listed document's entries, chained from `head[doc]` (a slot per document of the
        // segment, kept by the thread with every slot back at `NONE` after use: filling a new
        // one cost more than it saved), instead of sorted by document as `listed_by_doc` does:
        // the sort was three quarters of the seeding's cost. The units are taken last to
        // first, so each document's chain is in clause order, as `combine_sorted` wants it
        // (sorting each chain again, as `combine` does, cost 0.2% of a wiki-qa search).
        let tops = || units.iter().rev().filter_map(|(at, u)| u.top().map(|top| (*at, u.max, top)));
        let end = tops().flat_map(|(.., top)| top.iter().map(|&(doc, _)| doc as usize + 1)).max().unwrap_or(0);
        let mut head: Vec<u32> = HEADS.with(|heads| heads.take());
        if head.len() < end {
            head.resize(end, NONE);
        }
        let mut entries: Vec<(Scored, u32)> = Vec::with_capacity(tops().map(|(.., top)| top.len()).sum());
        let mut listed: Vec<DocId> = Vec::new();
        for (at, max, top) in tops() {
            for &(doc, share) in top.iter() {
                let first = &mut head[doc as usize];
                if *first == NONE {
                    listed.push(doc);
                }
                entries.push(((at, max * share), *first));
                *first = (entries.len() - 1) as u32;
            }
        }
        // Each document's chain, combined as it is followed (nothing collected first).
        let (heads, entries) = (&head, &entries);
        let chain = |doc: DocId| {
            let mut at = heads[doc as usize];
            std::iter::from_fn(move || {
                (at != NONE).then(|| {
                    let (entry, next) = entries[at as usize];
                    at = next;
                    entry
                })
            })
        };
        let mut bounds: Vec<Score> = listed
            .iter()
            .filter(|&&doc| alive.is_none_or(|a| a.is_alive(doc)))
            .map(|&doc| combine_in_order(chain(doc), ties))
            .collect();
        for &doc in &listed {
            head[doc as usize] = NONE;
        }
        HEADS.with(|heads| heads.set(head));
        // The k-th best of the bounds does not depend on their order.
        if bounds.len() < self.k {
            return;
        }
        let (_, kth, _) = bounds.select_nth_unstable_by(self.k - 1, |a, b| b.total_cmp(a));
        let kth = *kth;
        if kth > 0.0 && kth.is_finite() {
            self.floor = self.floor.max(kth - kth * 1e-4);
        }
    }

    /// Count the segment's matching documents, window by window, until [`TopK::count_exactly`]
    /// of them are counted in all, with `fresh` scorers: each unit's documents in the window
    /// are marked in a bitmap, and the marked documents that pass the filters are counted. The
    /// walk that finds the best documents then never has to visit a document only to count it.
    pub(super) fn count(&mut self, fresh: Fresh, alive: Option<&AliveBitSet>) {
        let (units, mut filters) = fresh;
        let mut units: Vec<UnitScorer> = units.into_iter().map(|(_, scorer)| scorer).collect();
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
}

/// No entry: the end of a document's chain in `seed_from_lists`.
const NONE: u32 = u32::MAX;

thread_local! {
    /// `seed_from_lists`'s first entry of each document, all `NONE` between uses.
    static HEADS: std::cell::Cell<Vec<u32>> = const { std::cell::Cell::new(Vec::new()) };
}

/// Scorers of a segment's units from their first document, each with its (clause, position),
/// and the filters: what counting and seeding read before the walk.
pub(super) type Fresh = (Vec<((usize, usize), UnitScorer)>, Vec<Box<dyn Scorer>>);

/// Fresh scorers for the units not yet moved: copies of theirs when there are no filters
/// (filters cannot be copied) and every unit is a term; otherwise `open` again. A copy costs
/// a fifth of opening the postings again, and long questions needed two.
pub(super) fn fresh(
    units: &[((usize, usize), Unit)],
    filters: &[Box<dyn Scorer>],
    open: &mut dyn FnMut() -> tantivy::Result<Opened>,
) -> tantivy::Result<Fresh> {
    if filters.is_empty()
        && let Some(copies) = units.iter().map(|(at, u)| u.scorer.copy().map(|s| (*at, s))).collect::<Option<Vec<_>>>()
    {
        return Ok((copies, Vec::new()));
    }
    let (groups, filters) = open()?;
    Ok((flatten(groups).into_iter().map(|(at, u)| (at, u.scorer)).collect(), filters))
}

/// (document, (group, position), score on the lists) for each document of each unit's cached
/// best-documents list, ordered by document only: `combine` puts each document's entries in
/// clause order.
fn listed_by_doc(units: &[((usize, usize), Unit)]) -> Vec<(DocId, Scored)> {
    // Sized once: growing it entry by entry was a fifth of the lists' cost.
    let entries = units.iter().map(|(_, u)| u.top().map_or(0, <[_]>::len)).sum();
    let mut listed: Vec<(DocId, Scored)> = Vec::with_capacity(entries);
    for (at, unit) in units {
        if let Some(top) = unit.top() {
            listed.extend(top.iter().map(|&(doc, share)| (doc, (*at, unit.max * share))));
        }
    }
    // Sorted as integers (document, then entry), and the entries moved once: sorting the
    // entries themselves by a key cost more than the seeding it serves.
    let mut keys: Vec<u64> = listed.iter().enumerate().map(|(e, &(doc, _))| u64::from(doc) << 32 | e as u64).collect();
    keys.sort_unstable();
    keys.iter().map(|&key| listed[key as u32 as usize]).collect()
}
