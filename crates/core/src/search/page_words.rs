//! Which words does a page have? The words and sounds of the best hits' pages, for the verdict
//! and the answer confidence ([`super::verdict`]).

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use super::stored::StoredDoc;
use crate::analysis::Analyzer;
use crate::analysis::kana::to_katakana;
use crate::analysis::tokenizer::indexed_term_tokens;

/// The words and reading bigrams of a page (or manual section): its title, heading, aliases,
/// tags and text.
#[derive(Debug, Default)]
pub struct PageWords {
    terms: BTreeSet<String>,
    /// The readings of its words, in katakana.
    sounds: BTreeSet<String>,
}

impl PageWords {
    /// The words of `text`, as the index has them.
    pub fn of_text(text: &str, analyzer: &Analyzer) -> Self {
        let page = analyzer.analyze(text);
        PageWords {
            terms: indexed_term_tokens(&page).into_iter().map(|t| t.text).collect(),
            sounds: page.iter().filter(|m| m.content && !m.reading.is_empty()).map(|m| to_katakana(&m.reading)).collect(),
        }
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
        PageWords { terms: terms.into_iter().map(str::to_string).collect(), sounds: BTreeSet::new() }
    }
}

/// The [`PageWords`] of the pages asked about, per generation.
///
/// Analyzing a whole page costs about a millisecond, and the best hits are asked about again
/// and again: each page is analyzed once per generation (a few hundred bytes per page that ever
/// ranked among the best; at most one entry per index document).
#[derive(Debug, Default)]
pub struct PageWordsCache {
    pages: Mutex<HashMap<String, Arc<PageWords>>>,
}

impl PageWordsCache {
    /// The words of the document `doc`.
    pub fn of(&self, doc: &StoredDoc, analyzer: &Analyzer) -> Arc<PageWords> {
        if let Some(words) = self.pages.lock().ok().and_then(|m| m.get(&doc.key).cloned()) {
            return words;
        }
        let words = Arc::new(PageWords::of_text(&doc.all_text(), analyzer));
        if let Ok(mut m) = self.pages.lock() {
            m.insert(doc.key.clone(), words.clone());
        }
        words
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_written_another_way_is_found_by_its_sound() {
        let words = PageWords::of_text("年末年始の休業期間と駐輪場", crate::analysis::tests::analyzer());
        assert!(words.has_sound("キュウギョウ"));
        assert!(!words.has_sound("チュウシャジョウ"), "sounds are whole words, not bigrams found here and there");
        assert!(!words.has_sound(""), "no sound, no match");
    }

    #[test]
    fn a_page_has_the_words_of_its_katakana_compounds() {
        let words = PageWords::of_text("『ラス・メニーナス』の構成", crate::analysis::tests::analyzer());
        assert!(words.has_term("ラス・メニーナス"));
        assert!(words.has_term("メニーナス"), "a question may name one word of the compound");
    }
}
