//! The paraphrase and uncovered query sets are what they claim to be.
//!
//! - `tests/relevance/paraphrase.jsonl` (judged in `qrels.tsv`, qids `p…`) asks public pages in
//!   the customer's own words: no query shares a content word with its answer page, checked
//!   here with Kotae's own analyzer against the page's title, aliases, tags and whole body.
//! - `tests/relevance/uncovered.jsonl` (qids `u…`) asks what the sample corpus does not answer;
//!   none of its queries is judged.
//!
//! A content word is a morpheme the analyzer marks as content ([`Morpheme::content`]: nouns,
//! verbs, adjectives, adverbs; not particles, auxiliaries, symbols or empty verbs such as する),
//! minus prefixes (お, ご), which carry no topic. A query word is shared with a page when:
//! - the page has the same term (base form for verbs and adjectives, katakana for kana words);
//! - or one side writes the word in kana and the readings are equal (わかる = 分かる);
//! - or a writers' synonym group (`content/synonyms.txt`) holds the query word and a word of
//!   the page (携帯 = スマートフォン): the writers declared them one word.
//!
//! These queries measure ranking by meaning; they are not tuned to the engine, and a query that
//! Kotae fails stays in the set.

use std::collections::{BTreeSet, HashMap, HashSet};

use kotae_core::analysis::{Morpheme, kana};
use kotae_core::content::Audience;
use kotae_core::eval::{read_qrels, read_queries};
use kotae_core::{Analyzer, Page};

use crate::util::{repo, sample_content};

/// The words of a text, or of a page, in the three forms the check compares.
#[derive(Default)]
struct Words {
    terms: HashSet<String>,
    readings: HashSet<String>,
    /// Readings of the words written in kana.
    kana_readings: HashSet<String>,
}

fn is_word(m: &Morpheme) -> bool {
    m.content && m.pos != "接頭詞"
}

fn is_kana_word(m: &Morpheme) -> bool {
    kana::is_kana(&m.surface)
}

impl Words {
    fn add(&mut self, analyzer: &Analyzer, text: &str) {
        for m in analyzer.analyze(text).iter().filter(|m| is_word(m)) {
            self.terms.insert(m.term.clone());
            self.readings.insert(m.reading.clone());
            if is_kana_word(m) {
                self.kana_readings.insert(m.reading.clone());
            }
        }
    }

    fn of_page(analyzer: &Analyzer, page: &Page) -> Self {
        let mut words = Words::default();
        words.add(analyzer, &page.title);
        for text in page.aliases.iter().chain(&page.tags) {
            words.add(analyzer, text);
        }
        words.add(analyzer, &page.plain_text());
        words
    }
}

/// The writers' synonym groups, each member as the set of its words.
fn synonym_groups(analyzer: &Analyzer, groups: &[Vec<String>]) -> Vec<Vec<BTreeSet<String>>> {
    groups
        .iter()
        .map(|group| {
            group
                .iter()
                .map(|member| analyzer.analyze(member).into_iter().filter(is_word).map(|m| m.term).collect::<BTreeSet<_>>())
                .filter(|words| !words.is_empty())
                .collect()
        })
        .collect()
}

/// The query's words that the page has, each with the reason.
///
/// A synonym group counts when the query holds all the words of one member and the page all
/// the words of another.
fn shared(analyzer: &Analyzer, query: &str, page: &Words, synonyms: &[Vec<BTreeSet<String>>]) -> Vec<String> {
    let mut out = Vec::new();
    let words: Vec<Morpheme> = analyzer.analyze(query).into_iter().filter(is_word).collect();
    for m in &words {
        if page.terms.contains(&m.term) {
            out.push(m.term.clone());
        } else if (is_kana_word(m) && page.readings.contains(&m.reading)) || page.kana_readings.contains(&m.reading) {
            out.push(format!("{} (read {})", m.surface, m.reading));
        }
    }
    let query_terms: BTreeSet<String> = words.iter().map(|m| m.term.clone()).collect();
    for group in synonyms {
        let Some(asked) = group.iter().find(|member| member.is_subset(&query_terms)) else { continue };
        if let Some(other) = group.iter().find(|member| *member != asked && member.iter().all(|w| page.terms.contains(w))) {
            out.push(format!("{} (synonym {})", join(asked), join(other)));
        }
    }
    out
}

fn join(words: &BTreeSet<String>) -> String {
    words.iter().cloned().collect::<Vec<_>>().join("+")
}

fn set(name: &str) -> std::path::PathBuf {
    repo().join("tests/relevance").join(name)
}

#[test]
fn paraphrases_share_no_content_word_with_their_answer() {
    let analyzer = Analyzer::from_env().expect("IPADIC is installed (apt-get install -y mecab-ipadic)");
    let loaded = kotae_core::content::load(&sample_content(), chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
    let pages: HashMap<&str, &Page> = loaded.corpus.pages.iter().map(|p| (p.id.as_str(), p)).collect();
    let synonyms = synonym_groups(&analyzer, &loaded.corpus.synonyms);
    let queries = read_queries(&set("paraphrase.jsonl")).unwrap();
    let qrels = read_qrels(&set("qrels.tsv")).unwrap();

    let mut problems = Vec::new();
    let mut judged_pages = BTreeSet::new();
    let mut qids = HashSet::new();
    for q in &queries {
        if !q.qid.starts_with('p') || !qids.insert(q.qid.as_str()) {
            problems.push(format!("{}: qids are unique and start with `p`", q.qid));
        }
        let relevant: Vec<&str> = qrels.get(&q.qid).into_iter().flatten().filter(|(_, r)| **r > 0).map(|(d, _)| d.as_str()).collect();
        if relevant.is_empty() {
            problems.push(format!("{} {}: not judged in qrels.tsv", q.qid, q.text));
        }
        for id in relevant {
            let Some(page) = pages.get(id) else {
                problems.push(format!("{} {}: judged page {id} does not exist", q.qid, q.text));
                continue;
            };
            if page.audience != Audience::Public {
                problems.push(format!("{} {}: judged page {id} is not public", q.qid, q.text));
            }
            judged_pages.insert(id);
            let words = shared(&analyzer, &q.text, &Words::of_page(&analyzer, page), &synonyms);
            if !words.is_empty() {
                problems.push(format!("{} {} → {id}: shares {}", q.qid, q.text, words.join(", ")));
            }
        }
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
    assert!(queries.len() >= 64, "{} paraphrases, at least 64", queries.len());
    assert!(judged_pages.len() >= 45, "{} pages judged, at least 45", judged_pages.len());
}

#[test]
fn uncovered_queries_are_not_judged() {
    let queries = read_queries(&set("uncovered.jsonl")).unwrap();
    let qrels = read_qrels(&set("qrels.tsv")).unwrap();
    assert!(queries.len() >= 24, "{} uncovered queries, at least 24", queries.len());
    let mut qids = HashSet::new();
    for q in &queries {
        assert!(q.qid.starts_with('u') && qids.insert(q.qid.as_str()), "{}: qids are unique and start with `u`", q.qid);
        assert!(!qrels.contains_key(&q.qid), "{} {} is judged, but the corpus does not answer it", q.qid, q.text);
    }
}

#[test]
fn the_check_finds_shared_words_in_every_form() {
    let analyzer = Analyzer::from_env().expect("IPADIC is installed (apt-get install -y mecab-ipadic)");
    let mut page = Words::default();
    page.add(&analyzer, "パスワードがわかりません。スマートフォンで再設定してください。");
    let synonyms = synonym_groups(&analyzer, &[vec!["スマホ".into(), "スマートフォン".into(), "携帯".into()], vec!["パスワード".into(), "暗証番号".into()]]);
    let found = |q: &str| shared(&analyzer, q, &page, &synonyms);
    assert_eq!(found("パスワードを忘れた"), ["パスワード"]);
    assert!(found("暗証番号を忘れた").iter().any(|w| w.contains("synonym")), "{:?}", found("暗証番号を忘れた"));
    assert!(found("分からない").iter().any(|w| w.starts_with("分から")), "{:?}", found("分からない"));
    assert!(found("携帯で").iter().any(|w| w.contains("synonym")), "{:?}", found("携帯で"));
    assert!(found("合言葉を思い出せない").is_empty(), "{:?}", found("合言葉を思い出せない"));
    assert!(found("ご案内").is_empty(), "a prefix is not a word");
}
