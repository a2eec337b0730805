//! Which corpus words does a customer mean when they type sounds, a variant or a synonym?
//!
//! The lexicon is built with each index generation from the pages and `content/synonyms.txt`:
//! - **readings**: katakana reading → the corpus word most often read that way (ヘンピン → 返品),
//!   so a query typed in kana or romaji can be turned into the words the pages use;
//! - **synonym groups**: writer-maintained groups (スマホ, スマートフォン, 携帯) applied at query
//!   time as whole terms, after normalization;
//! - **general synonyms**: from a [`Thesaurus`] (Sudachi's dictionary) when one is given, kept
//!   only where they lead to words the corpus contains.
//!
//! It also proposes corrections for "did you mean" from the same readings, with an edit
//! distance on readings (sounds), not on kanji bytes.

use std::collections::{BTreeMap, HashMap, HashSet};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::analysis::{Analyzer, kana, normalize_str};
use crate::content::Page;
use crate::thesaurus::Thesaurus;

/// Shortest reading (in kana) a typed run is matched against: two-kana readings are too
/// ambiguous (カイ: 会, 回, 貝...).
const MIN_READING_CHARS: usize = 3;
/// Longest reading tried when splitting a typed run.
const MAX_READING_CHARS: usize = 12;

/// Readings and synonyms of one generation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Lexicon {
    /// Katakana reading → corpus word.
    readings: HashMap<String, String>,
    /// Groups of normalized synonyms.
    synonyms: Vec<Vec<String>>,
    /// General synonyms: a word's terms (joined by spaces) → the terms of each synonym the
    /// corpus contains.
    #[serde(default)]
    general: HashMap<String, Vec<Vec<String>>>,
}

/// A span of typed kana recognized as a corpus word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recognized {
    pub reading: String,
    pub word: String,
}

impl Lexicon {
    /// Build the lexicon of `pages`, with the writers' synonym groups.
    ///
    /// Analyzing every page is most of the cost, so pages are counted in parallel chunks
    /// (rayon) and the counts summed: the result does not depend on the split.
    pub fn build(analyzer: &Analyzer, pages: &[Page], synonyms: &[Vec<String>]) -> Self {
        Self::build_with(analyzer, pages, synonyms, None)
    }

    /// [`Lexicon::build`], with general synonyms from `thesaurus`.
    pub fn build_with(analyzer: &Analyzer, pages: &[Page], synonyms: &[Vec<String>], thesaurus: Option<&Thesaurus>) -> Self {
        let mut counts: Counts = HashMap::new();
        let mut vocabulary: HashSet<String> = HashSet::new();
        let parts: Vec<_> = pages.par_chunks(64).map(|part| count_readings(analyzer, part)).collect();
        for (part, words) in parts {
            vocabulary.extend(words);
            for (reading, words) in part {
                let entry = counts.entry(reading).or_default();
                for (word, n) in words {
                    *entry.entry(word).or_default() += n;
                }
            }
        }
        let readings = most_frequent(counts);
        let synonyms = synonyms
            .iter()
            .map(|g| g.iter().map(|s| normalize_str(s.trim())).filter(|s| !s.is_empty()).collect::<Vec<_>>())
            .filter(|g| g.len() >= 2)
            .collect();
        let general = thesaurus.map(|t| general_synonyms(analyzer, t, &vocabulary)).unwrap_or_default();
        Lexicon { readings, synonyms, general }
    }

    /// How many words have general synonyms in this corpus.
    pub fn general_len(&self) -> usize {
        self.general.len()
    }

    /// General synonyms of the words of a query (its content terms, in order): for each run of
    /// up to four terms that is a known word, (that word, the terms of each synonym).
    pub fn general_synonyms_of(&self, terms: &[String]) -> Vec<(String, Vec<Vec<String>>)> {
        let mut out = Vec::new();
        if self.general.is_empty() {
            return out;
        }
        for start in 0..terms.len() {
            for len in 1..=4.min(terms.len() - start) {
                let key = terms[start..start + len].join(" ");
                if let Some(synonyms) = self.general.get(&key) {
                    out.push((terms[start..start + len].concat(), synonyms.clone()));
                }
            }
        }
        out
    }

    pub fn len(&self) -> usize {
        self.readings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.readings.is_empty()
    }

    /// Split a typed kana run (katakana) into corpus words by their readings, longest first.
    /// Parts that match nothing are skipped.
    pub fn recognize(&self, run: &str) -> Vec<Recognized> {
        let chars: Vec<char> = run.chars().collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let longest = (chars.len() - i).min(MAX_READING_CHARS);
            let found = (MIN_READING_CHARS..=longest).rev().find_map(|len| {
                let reading: String = chars[i..i + len].iter().collect();
                self.readings.get(&reading).map(|w| (len, Recognized { reading, word: w.clone() }))
            });
            match found {
                Some((len, r)) => {
                    out.push(r);
                    i += len;
                }
                None => i += 1,
            }
        }
        out
    }

    /// The corpus word whose reading is closest to `reading` (at most one edit for readings of
    /// four to six kana, two from seven), if it is not already a known reading.
    pub fn correct(&self, reading: &str) -> Option<Recognized> {
        let n = reading.chars().count();
        if n < 4 || self.readings.contains_key(reading) {
            return None;
        }
        let max = if n >= 7 { 2 } else { 1 };
        self.readings
            .iter()
            .filter(|(r, _)| r.chars().count().abs_diff(n) <= max)
            .filter_map(|(r, w)| {
                let d = edit_distance(reading, r);
                (d <= max).then_some((d, r, w))
            })
            .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)))
            .map(|(_, r, w)| Recognized { reading: r.clone(), word: w.clone() })
    }

    /// The synonym groups with a member in `normalized_query`: (member found, the others).
    pub fn synonyms_in(&self, normalized_query: &str) -> Vec<(String, Vec<String>)> {
        let mut out = Vec::new();
        for group in &self.synonyms {
            // The longest member found stands for the group (携帯電話 before 携帯).
            let found = group.iter().filter(|m| normalized_query.contains(m.as_str())).max_by_key(|m| m.chars().count());
            if let Some(found) = found {
                let others = group.iter().filter(|m| *m != found && !normalized_query.contains(m.as_str())).cloned().collect();
                out.push((found.clone(), others));
            }
        }
        out
    }
}

/// Katakana reading → corpus word → how often the word is read that way.
type Counts = HashMap<String, BTreeMap<String, usize>>;

/// Each reading's most frequent word (ties: the smallest word, so the result is stable).
fn most_frequent(counts: Counts) -> HashMap<String, String> {
    counts
        .into_iter()
        .filter_map(|(reading, words)| {
            let (word, _) = words.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))?;
            Some((reading, word))
        })
        .collect()
}

/// Count the readings of the nouns of `pages`, and collect the terms they use.
fn count_readings(analyzer: &Analyzer, pages: &[Page]) -> (Counts, HashSet<String>) {
    let mut counts: Counts = HashMap::new();
    let mut vocabulary = HashSet::new();
    for page in pages {
        let text = format!("{}\n{}\n{}", page.title, page.aliases.join("\n"), page.plain_text());
        for m in analyzer.analyze(&text) {
            if m.content && !vocabulary.contains(&m.term) {
                vocabulary.insert(m.term.clone());
            }
            if !m.content || m.pos != "名詞" || !kana::is_kana(&m.reading) || m.reading.chars().count() < MIN_READING_CHARS {
                continue;
            }
            *counts.entry(m.reading).or_default().entry(m.term).or_default() += 1;
        }
    }
    (counts, vocabulary)
}

/// The thesaurus cut down to this corpus: each trigger word's terms → the terms of its
/// synonyms whose every term occurs in the corpus.
fn general_synonyms(analyzer: &Analyzer, thesaurus: &Thesaurus, vocabulary: &HashSet<String>) -> HashMap<String, Vec<Vec<String>>> {
    let mut out: HashMap<String, Vec<Vec<String>>> = HashMap::new();
    for group in &thesaurus.groups {
        let analyzed: Vec<(Vec<String>, bool)> =
            group.iter().map(|e| (analyzer.terms(&e.word), e.trigger)).filter(|(t, _)| !t.is_empty()).collect();
        // A synonym the corpus contains, and that is a word rather than loose characters (an
        // abbreviation like 名大 splits into 名 + 大, which would match anywhere).
        let present: Vec<&Vec<String>> = analyzed
            .iter()
            .map(|(t, _)| t)
            .filter(|t| t.iter().all(|w| vocabulary.contains(w)))
            .filter(|t| t.iter().any(|w| w.chars().count() >= 2))
            .collect();
        if present.is_empty() {
            continue;
        }
        for (terms, _) in analyzed.iter().filter(|(_, trigger)| *trigger) {
            let targets: Vec<Vec<String>> = present.iter().filter(|p| **p != terms).map(|p| (*p).clone()).collect();
            if targets.is_empty() {
                continue;
            }
            let entry = out.entry(terms.join(" ")).or_default();
            for t in targets {
                if !entry.contains(&t) {
                    entry.push(t);
                }
            }
        }
    }
    out
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexicon() -> Lexicon {
        let readings = [("ヘンピン", "返品"), ("カイヤク", "解約"), ("パスワード", "パスワード"), ("ハイソウ", "配送"), ("ソウリョウ", "送料")]
            .into_iter()
            .map(|(r, w)| (r.to_string(), w.to_string()))
            .collect();
        let synonyms = vec![vec!["スマホ".into(), "スマートフォン".into(), "携帯電話".into(), "携帯".into()]];
        Lexicon { readings, synonyms, general: HashMap::new() }
    }

    fn page(id: &str, title: &str, text: &str) -> Page {
        use crate::content::{Audience, Section};
        Page {
            id: id.to_string(),
            path: format!("{id}.md").into(),
            title: title.to_string(),
            category: None,
            tags: Vec::new(),
            audience: Audience::Public,
            aliases: Vec::new(),
            related: Vec::new(),
            updated: None,
            review_by: None,
            featured: None,
            body: String::new(),
            body_line: 1,
            sections: vec![Section { anchor: None, heading: None, text: text.to_string(), line: 1 }],
        }
    }

    #[test]
    fn kana_runs_become_corpus_words() {
        let l = lexicon();
        let words: Vec<String> = l.recognize("カイヤクシタイ").into_iter().map(|r| r.word).collect();
        assert_eq!(words, ["解約"]);
        let words: Vec<String> = l.recognize("ヘンピンノソウリョウ").into_iter().map(|r| r.word).collect();
        assert_eq!(words, ["返品", "送料"]);
    }

    #[test]
    fn corrections_are_by_sound() {
        let l = lexicon();
        assert_eq!(l.correct("パスワート").map(|r| r.word).as_deref(), Some("パスワード"));
        assert_eq!(l.correct("ヘンピソ").map(|r| r.word).as_deref(), Some("返品"));
        assert_eq!(l.correct("ヘンピン"), None, "known readings need no correction");
        assert_eq!(l.correct("アイウエオ"), None);
    }

    #[test]
    fn synonyms_match_whole_members_longest_first() {
        let l = lexicon();
        let found = l.synonyms_in("携帯電話がこわれた");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].0, "携帯電話");
        assert!(found[0].1.contains(&"スマホ".to_string()));
        assert!(!found[0].1.contains(&"携帯".to_string()), "members inside the query are not added again");
        assert!(l.synonyms_in("携").is_empty(), "no partial members");
    }

    #[test]
    fn parallel_build_equals_one_pass() {
        let analyzer = crate::analysis::tests::analyzer();
        let words = ["返品の手続き", "パスワードの再設定", "配送料金の確認", "解約の方法", "ポイント交換", "領収書の発行"];
        let pages: Vec<Page> =
            (0..300).map(|i| page(&format!("p{i}"), words[i % words.len()], &words[(i * 7) % words.len()].repeat(i % 3 + 1))).collect();
        let built = Lexicon::build(analyzer, &pages, &[]);
        assert_eq!(built.readings, most_frequent(count_readings(analyzer, &pages).0));
        assert_eq!(built.readings.get("ヘンピン").map(String::as_str), Some("返品"));
    }

    #[test]
    fn general_synonyms_lead_only_to_words_the_corpus_has() {
        use crate::thesaurus::{Entry, Thesaurus};
        let entry = |w: &str, trigger| Entry { word: w.into(), trigger };
        let thesaurus = Thesaurus {
            groups: vec![
                vec![entry("ワーニング", true), entry("注意", true), entry("警告", true)],
                vec![entry("閉店", true), entry("クローズ", false)],
                vec![entry("名古屋大学", true), entry("名大", true)],
            ],
        };
        let analyzer = crate::analysis::tests::analyzer();
        let pages = [page("a", "営業時間", "ご注意ください。閉店時間は十八時です。"), page("b", "配送", "名古屋へのお届け")];
        let lexicon = Lexicon::build_with(analyzer, &pages, &[], Some(&thesaurus));
        let of = |word: &str| lexicon.general_synonyms_of(&[word.to_string()]);
        assert_eq!(of("ワーニング"), [("ワーニング".to_string(), vec![vec!["注意".to_string()]])], "警告 is not in the corpus");
        assert!(of("クローズ").is_empty(), "クローズ may be reached but does not expand");
        assert!(of("名古屋大学").is_empty(), "名大 would only be loose characters");
        let plain = Lexicon::build(analyzer, &pages, &[]);
        assert!(plain.general_synonyms_of(&["ワーニング".to_string()]).is_empty());
    }

    #[test]
    fn edit_distances() {
        assert_eq!(edit_distance("サーバ", "サーバー"), 1);
        assert_eq!(edit_distance("ヘンピン", "ヘンピン"), 0);
        assert_eq!(edit_distance("", "アイ"), 2);
    }
}
