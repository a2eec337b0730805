//! BM25 and dis-max, checked against tantivy's own scoring.

use tantivy::collector::TopDocs;
use tantivy::query::TermQuery;
use tantivy::schema::{IndexRecordOption, STRING, Schema, TEXT};
use tantivy::{Index, TantivyDocument, doc};

use std::sync::Arc;

use tantivy::query::{EnableScoring, Query};
use tantivy::{Score, Searcher, Term};

use crate::ranking::*;

/// Scores of `word` over documents made of the given texts, best first, with each doc's text.
fn ranked(texts: &[&str], query: &dyn Query) -> Vec<(String, Score)> {
    ranked_in(&searcher_of(texts), query)
}

/// A searcher over documents made of the given texts.
fn searcher_of(texts: &[&str]) -> Searcher {
    let mut schema = Schema::builder();
    let body = schema.add_text_field("body", TEXT);
    schema.add_text_field("name", STRING | tantivy::schema::STORED);
    let index = Index::create_in_ram(schema.build());
    let name = index.schema().get_field("name").unwrap();
    let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
    for t in texts {
        writer.add_document(doc!(body => *t, name => *t)).unwrap();
    }
    writer.commit().unwrap();
    index.reader().unwrap().searcher()
}

fn ranked_in(searcher: &Searcher, query: &dyn Query) -> Vec<(String, Score)> {
    let name = searcher.schema().get_field("name").unwrap();
    let top = searcher.search(query, &TopDocs::with_limit(10).order_by_score()).unwrap();
    top.into_iter()
        .map(|(score, address)| {
            let d: TantivyDocument = searcher.doc(address).unwrap();
            let text = tantivy::schema::Value::as_str(&d.get_first(name).unwrap()).unwrap().to_string();
            (text, score)
        })
        .collect()
}

fn body_term(word: &str) -> Term {
    let mut schema = Schema::builder();
    let body = schema.add_text_field("body", TEXT);
    let _ = schema.build();
    Term::from_field_text(body, word)
}

#[test]
fn dismax_scores_as_tantivys_disjunction_max() {
    use tantivy::query::DisjunctionMaxQuery;
    let texts = ["apple pie", "pear apple", "plum", "apple apple pear pear", "fig pear"];
    let clauses = || -> Vec<Box<dyn Query>> {
        ["apple", "pear", "kiwi"]
            .iter()
            .map(|w| Box::new(Bm25TermQuery::new(body_term(w), Bm25::default())) as Box<dyn Query>)
            .collect()
    };
    for tie in [0.0, 0.1, 1.0] {
        let ours = ranked(&texts, &DisMax::new(clauses(), tie));
        let theirs = ranked(&texts, &DisjunctionMaxQuery::with_tie_breaker(clauses(), tie));
        assert_eq!(ours.len(), 4, "plum matches nothing");
        for ((a, x), (b, y)) in ours.iter().zip(&theirs) {
            assert_eq!(a, b);
            assert!((x - y).abs() < 1e-5, "tie {tie}, {a}: {x} vs {y}");
        }
    }
}

const TEXTS: &[&str] = &["apple pie", "apple apple apple apple pear plum fig kiwi lime", "pear plum", "apple pear plum fig"];

#[test]
fn with_tantivys_parameters_it_scores_as_tantivy_does() {
    let ours = ranked(TEXTS, &Bm25TermQuery::new(body_term("apple"), Bm25 { k1: 1.2, b: 0.75 }));
    let theirs = ranked(TEXTS, &TermQuery::new(body_term("apple"), IndexRecordOption::WithFreqs));
    assert_eq!(ours.len(), 3);
    for ((a, x), (b, y)) in ours.iter().zip(&theirs) {
        assert_eq!(a, b);
        assert!((x - y).abs() < 1e-5, "{a}: {x} vs {y}");
    }
}

#[test]
fn a_lower_k1_lets_repetition_count_less() {
    let classic = ranked(TEXTS, &Bm25TermQuery::new(body_term("apple"), Bm25 { k1: 1.2, b: 0.0 }));
    let saturated = ranked(TEXTS, &Bm25TermQuery::new(body_term("apple"), Bm25 { k1: 0.1, b: 0.0 }));
    let score = |r: &[(String, Score)], t: &str| r.iter().find(|(x, _)| x == t).unwrap().1;
    let many = TEXTS[1];
    let ratio = |r: &[(String, Score)]| score(r, many) / score(r, "apple pie");
    assert!(ratio(&classic) > 1.5, "four occurrences count much more with k1 1.2: {}", ratio(&classic));
    assert!(ratio(&saturated) < 1.1, "and barely more with k1 0.1: {}", ratio(&saturated));
}

#[test]
fn a_cache_shared_by_two_searchers_keeps_their_statistics_apart() {
    // The same word, rare and in short fields in one index, common and in long ones in
    // the other: document frequency and average length both differ.
    let rare = searcher_of(&["apple pie", "pear", "plum", "fig", "kiwi", "lime"]);
    let common = searcher_of(&["apple pie tart", "apple pear plum fig", "apple plum", "fig kiwi lime lemon"]);
    let cache = Arc::new(ScoringCache::new(100));
    let uncached = Bm25TermQuery::new(body_term("apple"), Bm25::default());
    let cached = uncached.clone().with_cache(cache);
    for searcher in [&rare, &common, &rare, &common] {
        let (ours, theirs) = (ranked_in(searcher, &cached), ranked_in(searcher, &uncached));
        assert!(!ours.is_empty());
        assert_eq!(ours, theirs);
    }
}

#[test]
fn the_cache_tells_apart_terms_of_any_length_and_field() {
    // Words of a few bytes and of more than a key holds in place (the cache keeps those
    // elsewhere), two long ones that differ only in their last byte, and one word in two
    // fields: each keeps its own document frequency, asked for once or again.
    let long = "abcdefghij".repeat(5);
    let (longer_a, longer_b) = (format!("{long}a"), format!("{long}b"));
    let texts = ["fig", "fig kiwi", "kiwi", longer_a.as_str(), longer_b.as_str(), longer_b.as_str()];
    let searcher = searcher_of(&texts);
    let name = searcher.schema().get_field("name").unwrap();
    let cache = ScoringCache::new(100);
    // (The long words are looked up in the untokenized field: the body's tokenizer drops
    // words over 40 bytes.)
    let cases = [
        (body_term("fig"), 2),
        (body_term("kiwi"), 2),
        (Term::from_field_text(name, &longer_a), 1),
        (Term::from_field_text(name, &longer_b), 2),
        (Term::from_field_text(name, &long), 0),
        (Term::from_field_text(name, "fig"), 1),
        (Term::from_field_text(name, "fig kiwi"), 1),
    ];
    for _ in 0..2 {
        for (term, expected) in &cases {
            assert_eq!(cache.doc_freq(&searcher, term).unwrap(), *expected, "{term:?}");
        }
    }
}

#[test]
fn b_decides_how_much_a_long_field_is_penalized() {
    let texts = ["apple pear", "apple pear plum fig kiwi lime lemon melon"];
    let flat = ranked(&texts, &Bm25TermQuery::new(body_term("apple"), Bm25 { k1: 1.2, b: 0.0 }));
    assert!((flat[0].1 - flat[1].1).abs() < 1e-6, "b 0 ignores length: {flat:?}");
    let full = ranked(&texts, &Bm25TermQuery::new(body_term("apple"), Bm25 { k1: 1.2, b: 1.0 }));
    assert_eq!(full[0].0, "apple pear", "b 1 prefers the short field: {full:?}");
    assert!(full[0].1 > full[1].1 * 1.2);
}

#[test]
fn a_phrase_never_scores_above_its_bound_and_the_bound_is_near() {
    // A repeated phrase in a short field scores close to the bound; every match stays under it.
    let texts = ["smart phone", "smart phone smart phone smart phone", "my old smart phone broke", "smart watch", "phone smart"];
    let searcher = searcher_of(&texts);
    let phrase = BoostedPhrase::new(vec![body_term("smart"), body_term("phone")], 0.8);
    let max = phrase.max_score(EnableScoring::enabled_from_searcher(&searcher)).unwrap();
    assert!(max.is_finite() && max > 0.0);
    let found = ranked_in(&searcher, &phrase);
    assert_eq!(found.len(), 3, "only the three texts with the words in order: {found:?}");
    for (text, score) in &found {
        assert!(*score <= max, "{text}: {score} above the bound {max}");
    }
    assert!(found[0].1 > 0.7 * max, "the bound is not loose: {found:?} against {max}");
    // The bound reaches the units TopK prunes with.
    let weight = BoundedWeight::of(std::iter::once(&phrase as &dyn Query), 0.1, EnableScoring::enabled_from_searcher(&searcher)).unwrap();
    let reader = &searcher.segment_readers()[0];
    let group = weight.group(&mut SegmentFields::new(reader)).unwrap();
    assert_eq!(group.units[0].max, max);
}

/// A term's scorer made from the postings its walk kept (`Walked::start`) reads the same
/// documents with the same scores as one that opens the postings, search after search: the
/// kept postings stay at their first document whatever the copies made from them read.
#[test]
fn a_scorer_from_the_walked_postings_reads_as_one_opened_afresh() {
    use super::stats::Start;
    use tantivy::DocSet;
    use tantivy::query::Scorer;
    // "apple": over DECODED_POSTINGS documents (kept as opened: bit-packed blocks and a last
    // block of variable-length integers); "pear": a few thousand (kept decoded); "kiwi": a few.
    let texts: Vec<String> = (0..36_000)
        .map(|i| match (i % 3, i % 97) {
            (_, 5) => "kiwi plum".to_string(),
            (0, _) => format!("pear {}", "apple ".repeat(i % 7)),
            (1, _) => format!("apple {}", "plum ".repeat(i % 5)),
            _ => "apple".to_string(),
        })
        .collect();
    let searcher = searcher_of(&texts.iter().map(String::as_str).collect::<Vec<_>>());
    let reader = &searcher.segment_readers()[0];
    let cache = Arc::new(ScoringCache::new(10));
    for round in 0..2 {
        for (word, decoded) in [("apple", false), ("pear", true), ("kiwi", true)] {
            let query = Bm25TermQuery::new(body_term(word), Bm25::default()).with_cache(cache.clone());
            let weight = query.bm25_weight(EnableScoring::enabled_from_searcher(&searcher)).unwrap();
            let mut fields = SegmentFields::new(reader);
            let walked = weight.walked(&mut fields).unwrap().expect("a cached term is walked");
            let from_walked = |fields: &mut SegmentFields<'_>| match &walked.start {
                Start::Decoded(postings) => UnitScorer::Decoded(weight.decoded_scorer(postings)),
                Start::Opened(_) => UnitScorer::Term(weight.term_scorer_from(Some(&walked), fields, 1.0).unwrap().unwrap()),
            };
            assert_eq!(matches!(walked.start, Start::Decoded(_)), decoded, "{word}");
            let mut copied = from_walked(&mut fields);
            let mut opened = weight.term_scorer(&mut fields, 1.0).unwrap().unwrap();
            assert_eq!(copied.size_hint(), opened.size_hint(), "{word}");
            let mut read = 0;
            loop {
                assert_eq!(copied.doc(), opened.doc(), "{word} round {round}");
                if opened.doc() == tantivy::TERMINATED {
                    break;
                }
                assert_eq!(copied.score().to_bits(), opened.score().to_bits(), "{word} round {round}");
                read += 1;
                copied.advance();
                opened.advance();
            }
            assert_eq!(copied.advance(), tantivy::TERMINATED);
            assert!(read >= if word == "apple" { DECODED_POSTINGS as usize } else { 3 }, "{word}: {read}");
            // Read block by block, decoded postings give the same documents and scores.
            if let Start::Decoded(postings) = &walked.start {
                let mut decoded = weight.decoded_scorer(postings);
                let mut opened = weight.term_scorer(&mut fields, 1.0).unwrap().unwrap();
                let mut end = 0;
                while decoded.doc() != tantivy::TERMINATED {
                    end += 100;
                    let mut got = Vec::new();
                    let next = decoded.read_until(end, |doc, score| got.push((doc, score.to_bits())));
                    let mut want = Vec::new();
                    while opened.doc() < end {
                        want.push((opened.doc(), opened.score().to_bits()));
                        opened.advance();
                    }
                    assert_eq!(got, want, "{word} up to {end}");
                    assert_eq!(next, opened.doc(), "{word} up to {end}");
                    assert_eq!(decoded.doc(), opened.doc(), "{word} up to {end}");
                }
            }
            // Seeks, near and far, land where the postings opened afresh land.
            for stride in [1, 2, 7, 40, 300, 5000] {
                let mut copied = from_walked(&mut fields);
                let mut opened = weight.term_scorer(&mut fields, 1.0).unwrap().unwrap();
                let mut target = 0;
                while opened.doc() != tantivy::TERMINATED {
                    // Never behind the current document: `DocSet::seek` only goes forward.
                    target = (target + stride).max(opened.doc());
                    assert_eq!(copied.seek(target), opened.seek(target), "{word} seek {target}");
                    if opened.doc() != tantivy::TERMINATED {
                        assert_eq!(copied.score().to_bits(), opened.score().to_bits(), "{word} seek {target}");
                    }
                }
            }
        }
    }
}
