//! What did the customer ask? The question, analyzed once.
//!
//! A [`Question`] is built once per search and shared by everything that reads the question:
//! the evidence that ranks pages, the snippet marker, did-you-mean, answer confidence and
//! explain. It holds the text cut to [`MAX_QUERY_CHARS`], its normalized form (with the map back
//! to the original), its morphemes, its content words, and its runs of kana and romaji with the
//! corpus words they were recognized as (へんぴん → 返品).

use std::collections::BTreeSet;

use super::framing;
use super::request::MAX_QUERY_CHARS;
use crate::analysis::tokenizer::term_tokens;
use crate::analysis::{Analyzer, Morpheme, Normalized, kana, normalize, romaji};
use crate::lexicon::Lexicon;

/// A customer's question, analyzed.
#[derive(Debug, Clone, Default)]
pub struct Question {
    /// The text as searched: what was typed, cut to [`MAX_QUERY_CHARS`] characters.
    pub text: String,
    /// The text normalized (width, case, iteration marks...), with offsets into `text`; the
    /// courtesy around the question (「よろしくお願いします」, [`framing`]) is blanked out.
    pub normalized: Normalized,
    /// Every morpheme, function words included.
    pub morphemes: Vec<Morpheme>,
    /// The content words (and conjugating words' base readings), each once, in order.
    pub terms: Vec<String>,
    /// Runs of kana, and romaji words, with the corpus words they sound like.
    pub kana_runs: Vec<KanaRun>,
}

/// A run of kana (or a romaji word) in the question.
#[derive(Debug, Clone)]
pub struct KanaRun {
    /// As typed (normalized): `へんぴん`, `henpin`.
    pub typed: String,
    /// In katakana: `ヘンピン`.
    pub katakana: String,
    /// The corpus words it was recognized as, in order: for each, every corpus word read that
    /// way, the most frequent first (`返品`; `期間`, `機関`).
    pub words: Vec<Vec<String>>,
}

impl Question {
    /// Analyze `text` with the generation's `analyzer` and `lexicon`.
    pub fn new(text: &str, analyzer: &Analyzer, lexicon: &Lexicon) -> Self {
        let text: String = text.chars().take(MAX_QUERY_CHARS).collect();
        let normalized = without_framing(&text);
        let morphemes = analyzer.analyze_normalized(&normalized);
        let terms = unique(term_tokens(&morphemes).into_iter().map(|t| t.text));
        let kana_runs = kana_runs(&normalized.text)
            .into_iter()
            .map(|(typed, katakana)| {
                let hiragana = typed.chars().any(|c| matches!(c, 'ぁ'..='ゖ'));
                let words = lexicon.recognize(&katakana, hiragana).iter().map(|r| r.words().cloned().collect()).collect();
                KanaRun { typed, katakana, words }
            })
            .collect();
        Question { text, normalized, morphemes, terms, kana_runs }
    }

    /// The base forms of the content words, in order, repeats included.
    pub fn content_terms(&self) -> Vec<String> {
        self.morphemes.iter().filter(|m| m.content).map(|m| m.term.clone()).collect()
    }

    /// Whether the question is kana only (spaces and punctuation aside): `へんぴんしたい？`.
    pub fn is_kana_only(&self) -> bool {
        let letters: String = self.normalized.text.chars().filter(|&c| !c.is_whitespace() && !framing::is_separator(c)).collect();
        kana::is_kana(&letters)
    }
}

/// `text` normalized, with the courtesy around the question ([`framing`]) blanked out.
fn without_framing(text: &str) -> Normalized {
    let normalized = normalize(text);
    let framing = framing::framing(&normalized.text);
    if framing.is_empty() {
        return normalized;
    }
    let original: Vec<_> = framing.iter().map(|r| normalized.original_range(r.start, r.end)).map(|(a, b)| a..b).collect();
    normalize(&framing::blank_framing(text, &original))
}

/// The items in their first order, each once.
pub(crate) fn unique(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    items.filter(|i| seen.insert(i.clone())).collect()
}

/// Runs of kana in normalized text, and romaji words turned into kana: (as typed, katakana).
fn kana_runs(normalized: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut Vec<(String, String)>| {
        if run.chars().count() >= 2 {
            out.push((run.clone(), kana::to_katakana(run)));
        }
        run.clear();
    };
    for c in normalized.chars() {
        if kana::is_kana(c.encode_utf8(&mut [0; 4])) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
        }
    }
    flush(&mut run, &mut out);
    for word in normalized.split(|c: char| !c.is_ascii_alphabetic() && c != '-' && c != '\'') {
        if word.len() >= 3
            && romaji::is_romaji_word(word)
            && let Some(hiragana) = romaji::to_hiragana(word)
        {
            out.push((word.to_string(), kana::to_katakana(&hiragana)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kana_runs_and_romaji_words_are_found_once_each() {
        let runs = kana_runs("返品 へんぴん と henpin");
        let typed: Vec<&str> = runs.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(typed, ["へんぴん", "henpin"], "a lone と is not a run");
        assert_eq!(runs[0].1, "ヘンピン");
        assert_eq!(runs[1].1, "ヘンピン");
        assert!(kana_runs("ab").is_empty(), "romaji words of fewer than three letters are left alone");
    }

    #[test]
    fn unique_keeps_the_first_order() {
        let items = ["b", "a", "b", "c", "a"].map(String::from);
        assert_eq!(unique(items.into_iter()), ["b", "a", "c"]);
    }
}
