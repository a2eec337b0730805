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
    /// The normalized text with the words heard in kana spelled as the corpus spells them
    /// ([`Question::spell`]), when that differs.
    pub spelled: Option<String>,
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
    /// For each of `words`, the bytes of the normalized question it was heard in; none for a
    /// romaji word, whose kana are not in the text.
    pub places: Vec<Option<std::ops::Range<usize>>>,
    /// The bytes of the normalized question the run spans; none for a romaji word.
    pub span: Option<std::ops::Range<usize>>,
}

impl Question {
    /// Analyze `text` with the generation's `analyzer` and `lexicon`.
    pub fn new(text: &str, analyzer: &Analyzer, lexicon: &Lexicon) -> Self {
        let text: String = text.chars().take(MAX_QUERY_CHARS).collect();
        let normalized = without_framing(&text);
        let morphemes = analyzer.analyze_normalized(&normalized);
        let terms = unique(term_tokens(&morphemes).into_iter().map(|t| t.text));
        let written = normalized.text.chars().any(kana::is_kanji);
        let kana_runs = kana_runs(&normalized.text)
            .into_iter()
            .map(|(start, typed, kana)| {
                // Each character's place in the question, and the end (none for romaji).
                let bytes: Vec<usize> = match start {
                    Some(start) => typed.char_indices().map(|(i, _)| start + i).chain([start + typed.len()]).collect(),
                    None => Vec::new(),
                };
                let mut words = Vec::new();
                let mut places = Vec::new();
                // In a question written with kanji, a run none of whose words could be heard
                // apart (see `heard_apart`) is not split at all: every word heard in it would
                // be left out.
                let heard = match start {
                    Some(start) if written => may_be_heard_apart(&normalized, &morphemes, start..start + typed.len()),
                    _ => true,
                };
                // With IPADIC's reading of the hiragana ([`Analyzer::kana_grammar`]); katakana
                // are names.
                let recognized = if !heard {
                    Vec::new()
                } else if kana.chars().any(kana::is_hiragana) {
                    lexicon.recognize_typed(&kana, &analyzer.kana_grammar(&kana::to_katakana(&kana)))
                } else {
                    lexicon.recognize_typed(&kana, &[])
                };
                for (span, r) in recognized {
                    let place = bytes.get(span.start).zip(bytes.get(span.end)).map(|(&from, &to)| from..to);
                    if written && place.as_ref().is_some_and(|p| !heard_apart(&normalized, &morphemes, p.clone())) {
                        continue;
                    }
                    words.push(r.words().cloned().collect());
                    places.push(place);
                }
                let span = start.map(|start| start..start + typed.len());
                KanaRun { katakana: kana::to_katakana(&kana), typed, words, places, span }
            })
            .collect();
        let mut question = Question { text, normalized, morphemes, terms, kana_runs, spelled: None };
        question.spelled = question.spell();
        question
    }

    /// Spell the question anew once the words heard in it were reordered
    /// ([`super::context::choose_by_context`]).
    pub fn respell(&mut self) {
        self.spelled = self.spell();
    }

    /// The base forms of the content words, in order, repeats included.
    pub fn content_terms(&self) -> Vec<String> {
        self.morphemes.iter().filter(|m| m.content).map(|m| m.term.clone()).collect()
    }

    /// The question as the corpus would spell it: each word of three kana or more heard in a
    /// run of kana written as the corpus word (たいかいしたら → 退会したら, でんぴょうばんごう →
    /// 伝票番号); none when nothing was heard or the spelling is the same. What meaning embeds,
    /// since the model reads a word in kanji far better than its sound.
    fn spell(&self) -> Option<String> {
        let text = &self.normalized.text;
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for run in &self.kana_runs {
            for (place, words) in run.places.iter().zip(&run.words) {
                // A two-kana word is a guess (ログインできん is not ログインで金): its sound stays.
                let (Some(place), Some(word)) = (place, words.first()) else { continue };
                if place.start < at || text[place.clone()].chars().count() < 3 {
                    continue;
                }
                out.push_str(&text[at..place.start]);
                out.push_str(word);
                at = place.end;
            }
        }
        out.push_str(&text[at..]);
        (out != *text).then_some(out)
    }

    /// Whether the bytes `from..to` of the original question lie in a run of kana where words
    /// were heard, touching none of them: the endings and particles around the words
    /// (へんぴん|したい), whose sounds tell nothing of the topic.
    pub fn is_beside_heard_words(&self, from: usize, to: usize) -> bool {
        let original = |r: &std::ops::Range<usize>| self.normalized.original_range(r.start, r.end);
        self.kana_runs.iter().any(|run| {
            if !run.span.as_ref().map(original).is_some_and(|span| span.0 <= from && to <= span.1) {
                return false;
            }
            let mut heard = run.places.iter().flatten().map(original).peekable();
            heard.peek().is_some() && heard.all(|(a, b)| to <= a || b <= from)
        })
    }

    /// Whether the bytes `from..to` of the original question overlap a word heard in a run of
    /// kana without being that word: the analyzer's own guess at the same kana (がんませんのたんい
    /// heard as γ線 + 単位, read by the analyzer as がん|ませ|ん|の|たん|い), a worse reading of
    /// it.
    pub fn cuts_heard_words(&self, from: usize, to: usize) -> bool {
        let original = |r: &std::ops::Range<usize>| self.normalized.original_range(r.start, r.end);
        self.kana_runs.iter().flat_map(|run| run.places.iter().flatten()).map(original).any(|(a, b)| from < b && a < to && (from, to) != (a, b))
    }

    /// Whether the question has no kanji: kana, perhaps with letters and digits
    /// (`Android9 あぷり つかえない`). Its words are heard rather than read.
    pub fn is_without_kanji(&self) -> bool {
        !self.normalized.text.chars().any(kana::is_kanji)
    }

    /// Whether the question is kana only (spaces and punctuation aside): `へんぴんしたい？`.
    pub fn is_kana_only(&self) -> bool {
        let letters: String = self.normalized.text.chars().filter(|&c| !c.is_whitespace() && !framing::is_separator(c)).collect();
        kana::is_kana(&letters)
    }
}

/// Whether a word heard in kana at `piece` (bytes of `normalized`) of a question written with
/// kanji stands apart from the words the analyzer read there: in such a question, kana are mostly
/// endings and grammar, which only sound like corpus words (話せるのは is not セール, 引き上げら
/// れちゃった is not チャット, しょっちゅう is not 中). The piece must touch no word written in
/// kanji, lie not inside a longer word, and cover at least one content word; a two-kana word
/// must not cut through one either (の|しかた is not ノシ).
fn heard_apart(normalized: &Normalized, morphemes: &[Morpheme], piece: std::ops::Range<usize>) -> bool {
    let (start, end) = normalized.original_range(piece.start, piece.end);
    // A two-kana word is a guess: one that cuts through the analyzer's words is a worse one.
    let short = normalized.text.get(piece.clone()).is_some_and(|p| p.chars().count() <= 2);
    let mut content = false;
    for m in morphemes.iter().filter(|m| m.start < end && start < m.end) {
        // (A run of katakana the dictionary does not know is one word to it: キャンセルホタン,
        // and so are katakana words joined by ・: ラス・メニナス.)
        let katakana = kana::is_katakana_word(&m.surface) || !crate::analysis::tokenizer::compound_words(&m.surface).is_empty();
        let inside = m.start <= start && end <= m.end && m.end - m.start > end - start && !katakana;
        let within = start <= m.start && m.end <= end;
        let cuts = short && !within && !(m.start <= start && end <= m.end) && !katakana;
        if m.surface.chars().any(kana::is_kanji) || (m.content && (inside || cuts)) {
            return false;
        }
        content |= m.content;
    }
    content
}

/// Whether any piece of the run at `run` (bytes of `normalized`) may be [`heard_apart`]: one
/// must overlap a content word written without kanji, and a piece overlaps only words the whole
/// run overlaps.
fn may_be_heard_apart(normalized: &Normalized, morphemes: &[Morpheme], run: std::ops::Range<usize>) -> bool {
    let (start, end) = normalized.original_range(run.start, run.end);
    morphemes.iter().any(|m| m.start < end && start < m.end && m.content && !m.surface.chars().any(kana::is_kanji))
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

/// Runs of kana in normalized text, and romaji words turned into kana: (where the kana run
/// starts, as typed, its kana: as typed, or in hiragana for romaji).
fn kana_runs(normalized: &str) -> Vec<(Option<usize>, String, String)> {
    let mut out = Vec::new();
    let mut run = String::new();
    let mut start = 0;
    let flush = |start: usize, run: &mut String, out: &mut Vec<(Option<usize>, String, String)>| {
        if run.chars().count() >= 2 {
            out.push((Some(start), run.clone(), run.clone()));
        }
        run.clear();
    };
    for (i, c) in normalized.char_indices() {
        if kana::is_kana(c.encode_utf8(&mut [0; 4])) {
            if run.is_empty() {
                start = i;
            }
            run.push(c);
        } else {
            flush(start, &mut run, &mut out);
        }
    }
    flush(start, &mut run, &mut out);
    for word in normalized.split(|c: char| !c.is_ascii_alphabetic() && c != '-' && c != '\'') {
        if word.len() >= 3
            && romaji::is_romaji_word(word)
            && let Some(hiragana) = romaji::to_hiragana(word)
        {
            out.push((None, word.to_string(), hiragana));
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
        let typed: Vec<&str> = runs.iter().map(|(_, t, _)| t.as_str()).collect();
        assert_eq!(typed, ["へんぴん", "henpin"], "a lone と is not a run");
        assert_eq!(runs[0].2, "へんぴん");
        assert_eq!(runs[1].2, "へんぴん");
        assert_eq!(runs[0].0, Some("返品 ".len()), "where the kana run starts");
        assert_eq!(runs[1].0, None, "romaji has no kana in the text");
        assert!(kana_runs("ab").is_empty(), "romaji words of fewer than three letters are left alone");
    }

    #[test]
    fn unique_keeps_the_first_order() {
        let items = ["b", "a", "b", "c", "a"].map(String::from);
        assert_eq!(unique(items.into_iter()), ["b", "a", "c"]);
    }
}
