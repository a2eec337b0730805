//! TopK against exhaustive scoring.

use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, EnableScoring, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, STRING, Schema, TEXT};
use tantivy::{Index, Term, doc};

use std::sync::Arc;

use super::*;
use crate::ranking::{Bm25, Bm25TermQuery, DisMax, ScoringCache, SegmentFields};

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
    corpus_in_segments_of(9_000)
}

/// The same corpus, committed every `segment_docs` documents.
fn corpus_in_segments_of(segment_docs: usize) -> Corpus {
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
        if i % segment_docs == segment_docs - 1 {
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
    let corpus = corpus();
    let searcher = corpus.index.reader().unwrap().searcher();
    assert!(searcher.segment_readers().len() >= 3);
    assert!(searcher.segment_readers().iter().any(|r| r.max_doc() > 2 * window(r.max_doc())));
    pruned_equals_exhaustive(corpus);
}

/// One segment of 20,000 documents: windows of 1,024, so the walk judges candidates by the
/// terms' block bounds.
#[test]
fn pruned_results_equal_exhaustive_scoring_on_a_large_segment() {
    let corpus = corpus_in_segments_of(DOCS);
    let searcher = corpus.index.reader().unwrap().searcher();
    assert!(searcher.segment_readers().iter().all(|r| window(r.max_doc()) > crate::ranking::stats::BLOCK));
    pruned_equals_exhaustive(corpus);
}

/// [`TopK`] against tantivy's boolean query and collectors, over queries, filters, limits and
/// offsets, with and without seeding.
fn pruned_equals_exhaustive(Corpus { index, title, body, kind, part }: Corpus) {
    let searcher = index.reader().unwrap().searcher();
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
                    top.collect_segment(ord as u32, &mut open, reader).unwrap();
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
    each_unit(&corpus(), |word, reader, mut u| {
        assert!(u.max.is_finite());
        let shares = u.windows().expect("terms have window bounds").to_vec();
        let size = window(reader.max_doc());
        assert_eq!(shares.len(), reader.max_doc().div_ceil(size) as usize);
        let mut best = vec![0.0 as Score; shares.len()];
        let mut has = vec![false; shares.len()];
        while u.scorer.doc() != TERMINATED {
            let (doc, score) = (u.scorer.doc(), u.scorer.score());
            let w = (doc / size) as usize;
            has[w] = true;
            assert!(score <= u.max, "{word}");
            assert!(score <= widen(u.bound_in(w)), "{word}: {score} in window {w}");
            best[w] = best[w].max(score);
            u.scorer.advance();
        }
        // Positive exactly where the unit has a document: the walk leaves a unit
        // behind until its next such window.
        let positive: Vec<bool> = shares.iter().map(|&share| share > 0.0).collect();
        assert_eq!(positive, has, "{word}");
        for (w, b) in best.iter().enumerate() {
            // Tight: each window's bound is reached there (or the window is empty).
            assert!((u.bound_in(w) - b).abs() <= 1e-4 * u.max, "{word} window {w}: {} vs {b}", u.bound_in(w));
        }
    });
}

/// Calls `f` with every unit of the clauses for a few words, segment by segment.
fn each_unit(corpus: &Corpus, mut f: impl FnMut(&str, &tantivy::SegmentReader, crate::ranking::unit::Unit)) {
    let searcher = corpus.index.reader().unwrap().searcher();
    let windows = Arc::new(ScoringCache::new(100));
    for word in ["alpha", "kiwi", "pear"] {
        let weight = clause(corpus.title, corpus.body, word, &windows).bounded_weight(EnableScoring::enabled_from_searcher(&searcher)).unwrap();
        for reader in searcher.segment_readers() {
            for u in weight.group(&mut SegmentFields::new(reader)).unwrap().units {
                f(word, reader, u);
            }
        }
    }
}

/// With deleted documents and no filters, the walk may count from the postings' lengths and
/// seed its threshold from the units' best documents: the same hits, scores and counts as
/// exhaustive scoring, including counts right at the limit.
#[test]
fn counted_from_lengths_and_seeded_from_lists_equal_exhaustive_scoring() {
    let Corpus { index, title, body, kind, .. } = corpus();
    let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 50_000_000).unwrap();
    // Every fourth document goes: deletions in every segment.
    writer.delete_term(Term::from_field_text(kind, "internal"));
    writer.commit().unwrap();
    let searcher = index.reader().unwrap().searcher();
    assert!(searcher.segment_readers().iter().all(|r| r.alive_bitset().is_some()));
    let windows = Arc::new(ScoringCache::new(100));
    let queries: [&[&str]; 4] = [&["alpha", "kiwi"], &["beta", "gamma", "plum", "fig"], &["pear"], &["lime", "delta"]];
    for words in queries {
        let dismaxes: Vec<DisMax> = words.iter().map(|w| clause(title, body, w, &windows)).collect();
        let should: Vec<(Occur, Box<dyn Query>)> =
            dismaxes.iter().map(|d| (Occur::Should, Box::new(d.clone()) as Box<dyn Query>)).collect();
        let query = BooleanQuery::new(should);
        let total = searcher.search(&query, &Count).unwrap();
        let scoring = EnableScoring::enabled_from_searcher(&searcher);
        let weights: Vec<_> = dismaxes.iter().map(|d| d.bounded_weight(scoring).unwrap()).collect();
        for count_exactly in [1, 50, total.saturating_sub(1).max(1), total, total + 1, 100_000] {
            // Short walks (counted in the walk, seeded from the lists) and long ones (counted
            // and seeded ahead of the walk, with copies of its scorers).
            for (limit, seeding) in [1, 10, 40].into_iter().flat_map(|l| [(l, u64::MAX), (l, 0)]) {
                let expected = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score()).unwrap();
                let found = walk(&searcher, &weights, TopK::new(limit, count_exactly).seeding_from(seeding));
                assert_eq!(found.top, expected, "{words:?} limit {limit} counting {count_exactly} seeding {seeding}");
                assert_eq!(found.total, total.min(count_exactly), "{words:?} counting {count_exactly}");
                assert_eq!(found.exact, total < count_exactly, "{words:?}: {total} vs {count_exactly}");
            }
        }
    }
}

/// Block bounds (one segment of 20,000 documents, windows of 1,024) hold for every document,
/// are positive exactly in the blocks with one, and are within two 255ths of the best share
/// there.
#[test]
fn block_bounds_hold_for_every_document() {
    use crate::ranking::stats::BLOCK;
    each_unit(&corpus_in_segments_of(DOCS), |word, reader, mut u| {
        let blocks = u.blocks().expect("windows longer than blocks: block bounds").to_vec();
        assert_eq!(blocks.len(), reader.max_doc().div_ceil(BLOCK) as usize);
        let mut best = vec![None::<Score>; blocks.len()];
        while u.scorer.doc() != TERMINATED {
            let (doc, score) = (u.scorer.doc(), u.scorer.score());
            let b = (doc / BLOCK) as usize;
            let bound = u.bound_in_block(b).unwrap();
            assert!(score <= bound, "{word}: {score} over {bound} in block {b}");
            best[b] = Some(best[b].map_or(score, |s: Score| s.max(score)));
            u.scorer.advance();
        }
        for (b, best) in best.iter().enumerate() {
            let bound = u.bound_in_block(b).unwrap();
            match best {
                None => assert_eq!(bound, 0.0, "{word} block {b}"),
                Some(best) => assert!(bound > 0.0 && bound <= best + 2.0 * u.max / 255.0, "{word} block {b}: {bound} vs {best}"),
            }
        }
    });
}

#[test]
fn shares_in_255ths_bound_the_share_from_above() {
    use crate::ranking::stats::share_255ths;
    for step in 0..=100_000u32 {
        let share = step as Score / 100_000.0;
        let q = share_255ths(share).unwrap();
        assert!(q >= 1 && Score::from(q) / 255.0 >= share && Score::from(q) <= share * 255.0 + 2.0, "{share}: {q}");
    }
    assert_eq!(share_255ths(1.0), Some(255));
    // The same as with `ceil`, at and around every multiple of a 255th too.
    let with_ceil = |share: Score| ((share * 255.0).ceil() as u32 + 1).clamp(1, 255) as u8;
    let around = (0..=255u32).flat_map(|k| {
        let x = k as Score / 255.0;
        [x, Score::from_bits(x.to_bits().saturating_sub(1)), Score::from_bits(x.to_bits() + 1)]
    });
    for share in (0..=1_000_000u32).map(|s| s as Score / 1_000_000.0).chain(around).filter(|s| (0.0..=1.0).contains(s)) {
        assert_eq!(share_255ths(share), Some(with_ceil(share)), "{share}");
    }
    for outside in [-0.1, 1.5, Score::NAN, Score::INFINITY] {
        assert_eq!(share_255ths(outside), None);
    }
}

#[test]
fn a_unit_left_behind_is_next_in_its_next_window_with_a_document() {
    let shares: [Score; 6] = [0.5, 0.0, 0.0, 0.2, 0.0, 0.0];
    // From the start of a window: that window if the unit has a document there.
    assert_eq!(next_window(&shares, 0, 512), 0);
    assert_eq!(next_window(&shares, 1536, 512), 1536);
    // Otherwise the next one that has; none left: TERMINATED.
    assert_eq!(next_window(&shares, 512, 512), 1536);
    assert_eq!(next_window(&shares, 2048, 512), TERMINATED);
    assert_eq!(next_window(&shares, 6 * 512, 512), TERMINATED);
    // Against brute force over random shares.
    let mut state = 0x2545_f491_u32;
    let mut random = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state
    };
    for _ in 0..200 {
        let shares: Vec<Score> = (0..random() % 20).map(|_| if random() % 3 == 0 { 0.3 } else { 0.0 }).collect();
        for w in 0..=shares.len() + 1 {
            let from = w as DocId * 256;
            let expected = (w..shares.len()).find(|&v| shares[v] > 0.0).map_or(TERMINATED, |v| v as DocId * 256);
            assert_eq!(next_window(&shares, from, 256), expected, "{shares:?} from {from}");
        }
    }
}

#[test]
fn bound_keys_sort_as_total_cmp() {
    let values: Vec<Score> = vec![0.0, -0.0, 1e-6, 1.0, 0.5, 3.25, -2.0, Score::INFINITY, Score::NEG_INFINITY, Score::MIN_POSITIVE, 1.0, 7.5e3];
    let mut by_keys: Vec<usize> = (0..values.len()).collect();
    by_keys.sort_by_key(|&i| super::by_bound(values[i], i));
    let mut by_floats: Vec<usize> = (0..values.len()).collect();
    by_floats.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
    assert_eq!(by_keys, by_floats);
}

/// Walks reuse the thread's block (`Block::take`): each gives it back with no document left in
/// it, so the next walk, whatever the last one read, finds the same hits as on a new block.
#[test]
fn walks_give_their_block_back_empty() {
    let Corpus { index, title, body, .. } = corpus();
    let searcher = index.reader().unwrap().searcher();
    let windows = Arc::new(ScoringCache::new(100));
    let scoring = EnableScoring::enabled_from_searcher(&searcher);
    let search = |words: &[&str], limit: usize| {
        let weights: Vec<_> = words.iter().map(|w| clause(title, body, w, &windows).bounded_weight(scoring).unwrap()).collect();
        walk(&searcher, &weights, TopK::new(limit, 10))
    };
    let first = search(&["plum", "fig", "beta"], 7);
    for words in [&["alpha", "kiwi"][..], &["delta", "pear", "lime"], &["gamma"]] {
        search(words, 20);
        let block = Block::take();
        assert!(block.marked().next().is_none(), "{words:?} left documents in the block");
        block.give_back();
        assert_eq!(search(&["plum", "fig", "beta"], 7), first, "after {words:?}");
    }
}

/// The floor seeded from the lists is the k-th best of the listed documents' bounds, each
/// the clause-by-clause combination of its entries, however the entries are gathered; one
/// seeding after another on the same thread (which keeps the chains' heads) too.
#[test]
fn the_floor_from_the_lists_is_the_kth_bound_of_the_listed_documents() {
    let Corpus { index, title, body, .. } = corpus();
    let searcher = index.reader().unwrap().searcher();
    let windows = Arc::new(ScoringCache::new(100));
    let scoring = EnableScoring::enabled_from_searcher(&searcher);
    let queries: [&[&str]; 4] = [&["alpha", "kiwi", "pear"], &["beta", "gamma", "plum", "fig"], &["lime"], &["delta", "kiwi"]];
    let mut seeded = 0;
    for round in 0..2 {
        for words in queries {
            let weights: Vec<_> = words.iter().map(|w| clause(title, body, w, &windows).bounded_weight(scoring).unwrap()).collect();
            for reader in searcher.segment_readers() {
                let groups = weights.iter().map(|w| w.group(&mut SegmentFields::new(reader)).unwrap()).collect::<Vec<_>>();
                let ties: Vec<Score> = groups.iter().map(|g| g.tie_breaker).collect();
                let units = flatten(groups);
                // By document, in a map: each document's entries in clause order.
                let mut by_doc: std::collections::BTreeMap<DocId, Vec<Scored>> = Default::default();
                for (at, u) in &units {
                    for &(doc, share) in u.top().unwrap_or(&[]) {
                        by_doc.entry(doc).or_default().push((*at, u.max * share));
                    }
                }
                let mut bounds: Vec<Score> = by_doc.into_values().map(|mut matched| combine(&mut matched, &ties)).collect();
                bounds.sort_by(|a, b| b.total_cmp(a));
                for k in [1, 3, 10, 40] {
                    let mut top = TopK::new(k, 10);
                    top.seed_from_lists(&units, &ties, None);
                    match bounds.get(k - 1) {
                        Some(&kth) => {
                            assert_eq!(top.floor.to_bits(), (kth - kth * 1e-4).to_bits(), "{words:?} k {k} round {round}");
                            seeded += 1;
                        }
                        None => assert_eq!(top.floor, Score::NEG_INFINITY, "{words:?} k {k}"),
                    }
                }
            }
        }
    }
    assert!(seeded > 20, "{seeded}");
}

/// A term absent from a segment makes no unit there (the clause keeps the units of its other
/// fields, in order), and the walk finds what exhaustive scoring finds in every segment.
#[test]
fn terms_absent_from_a_segment_make_no_unit_there() {
    let mut schema = Schema::builder();
    let title = schema.add_text_field("title", TEXT);
    let body = schema.add_text_field("body", TEXT);
    let index = Index::create_in_ram(schema.build());
    let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
    // Two segments: "kiwi" only in the second's bodies, "fig" only in the first's titles.
    for i in 0..300 {
        let text = if i % 3 == 0 { "apple pear" } else { "pear" };
        writer.add_document(doc!(title => if i % 7 == 0 { "fig" } else { "plum" }, body => text)).unwrap();
    }
    writer.commit().unwrap();
    for i in 0..300 {
        let text = if i % 5 == 0 { "apple kiwi kiwi" } else if i % 2 == 0 { "kiwi pear" } else { "apple" };
        writer.add_document(doc!(title => "plum", body => text)).unwrap();
    }
    writer.commit().unwrap();
    let searcher = index.reader().unwrap().searcher();
    assert_eq!(searcher.segment_readers().len(), 2);
    let windows = Arc::new(ScoringCache::new(100));
    let scoring = EnableScoring::enabled_from_searcher(&searcher);
    let words = ["kiwi", "fig", "apple", "pear", "plum"];
    let dismaxes: Vec<DisMax> = words.iter().map(|w| clause(title, body, w, &windows)).collect();
    let weights: Vec<_> = dismaxes.iter().map(|d| d.bounded_weight(scoring).unwrap()).collect();
    let [first, second] = searcher.segment_readers() else { unreachable!() };
    let units = |reader| weights.iter().map(|w| w.group(&mut SegmentFields::new(reader)).unwrap().units.len()).collect::<Vec<_>>();
    // kiwi, fig, apple, pear, plum: a unit per field (title, body) where the segment has the
    // word (the segments in either order).
    let mut found = [units(first), units(second)];
    found.sort();
    assert_eq!(found, [vec![0, 1, 1, 1, 1], vec![1, 0, 1, 1, 1]]);
    let query = BooleanQuery::new(dismaxes.iter().map(|d| (Occur::Should, Box::new(d.clone()) as Box<dyn Query>)).collect());
    for limit in [1, 10, 100] {
        let expected = searcher.search(&query, &TopDocs::with_limit(limit).order_by_score()).unwrap();
        assert_eq!(walk(&searcher, &weights, TopK::new(limit, 50)).top, expected, "limit {limit}");
    }
}

/// `top` walked over every segment of `searcher` for the clauses `weights`, with no filter.
fn walk(searcher: &tantivy::Searcher, weights: &[crate::ranking::dismax::BoundedWeight], mut top: TopK) -> Found {
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let mut open = || {
            let mut fields = SegmentFields::new(reader);
            let clauses = weights.iter().map(|w| w.group(&mut fields)).collect::<tantivy::Result<Vec<_>>>()?;
            Ok((clauses, Vec::new()))
        };
        top.collect_segment(ord as u32, &mut open, reader).unwrap();
    }
    top.finish(0)
}
