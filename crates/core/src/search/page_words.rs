//! Which words does a page have? The words and sounds stored with a document when it was
//! indexed ([`crate::index::words`]), for the verdict and the answer confidence
//! ([`super::verdict`]).

use crate::index::words::SEPARATOR;

/// The words and the readings of the content words of a page (or manual section): its title,
/// heading, aliases, tags and text.
#[derive(Debug, Default)]
pub struct PageWords {
    terms: SortedLines,
    /// The readings of its words, in katakana.
    sounds: SortedLines,
}

impl PageWords {
    /// The words as stored: `terms` and `sounds` sorted, a word per line.
    pub fn from_stored(terms: String, sounds: String) -> Self {
        PageWords { terms: SortedLines::new(terms), sounds: SortedLines::new(sounds) }
    }

    /// Whether the page has the word `term`.
    pub fn has_term(&self, term: &str) -> bool {
        self.terms.contains(term)
    }

    /// Whether the page has a word read `katakana` (one it writes another way).
    pub fn has_sound(&self, katakana: &str) -> bool {
        self.sounds.contains(katakana)
    }

    #[cfg(test)]
    pub(crate) fn from_terms<'a>(terms: impl IntoIterator<Item = &'a str>) -> Self {
        let mut terms: Vec<&str> = terms.into_iter().collect();
        terms.sort_unstable();
        PageWords::from_stored(terms.join("\n"), String::new())
    }
}

/// Sorted lines, looked up by bisection: one allocation for the text, one for where each
/// line starts.
#[derive(Debug, Default)]
struct SortedLines {
    text: Box<str>,
    starts: Box<[u32]>,
}

impl SortedLines {
    fn new(text: String) -> Self {
        let starts = if text.is_empty() {
            Vec::new()
        } else {
            std::iter::once(0).chain(text.match_indices(SEPARATOR).map(|(at, _)| (at + SEPARATOR.len_utf8()) as u32)).collect()
        };
        SortedLines { text: text.into_boxed_str(), starts: starts.into_boxed_slice() }
    }

    fn line(&self, n: usize) -> &str {
        let from = self.starts[n] as usize;
        let to = self.starts.get(n + 1).map_or(self.text.len(), |&next| next as usize - SEPARATOR.len_utf8());
        &self.text[from..to]
    }

    fn contains(&self, word: &str) -> bool {
        let (mut low, mut high) = (0, self.starts.len());
        while low < high {
            let middle = (low + high) / 2;
            match self.line(middle).cmp(word) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::words::of_text;

    fn page(text: &str) -> PageWords {
        let words = of_text(text, crate::analysis::tests::analyzer());
        PageWords::from_stored(words.terms, words.sounds)
    }

    #[test]
    fn a_word_written_another_way_is_found_by_its_sound() {
        let words = page("年末年始の休業期間と駐輪場");
        assert!(words.has_sound("キュウギョウ"));
        assert!(!words.has_sound("チュウシャジョウ"), "sounds are whole words, not bigrams found here and there");
        assert!(!words.has_sound(""), "no sound, no match");
    }

    #[test]
    fn a_page_has_the_words_of_its_katakana_compounds() {
        let words = page("『ラス・メニーナス』の構成");
        assert!(words.has_term("ラス・メニーナス"));
        assert!(words.has_term("メニーナス"), "a question may name one word of the compound");
        assert!(words.has_term("構成"));
    }

    #[test]
    fn every_stored_word_is_found_and_no_other() {
        let words = PageWords::from_terms(["あ", "いい", "う", "ええ", "お"]);
        for word in ["あ", "いい", "う", "ええ", "お"] {
            assert!(words.has_term(word), "{word}");
        }
        for word in ["", "い", "あい", "えええ", "か", "\n"] {
            assert!(!words.has_term(word), "{word:?}");
        }
        assert!(!PageWords::default().has_term(""), "an empty list has nothing");
        assert!(!PageWords::from_terms(["x"]).has_sound("x"), "terms are not sounds");
    }
}
