//! How sure is an answer? Answer confidence for `/api/answer` and the help page's "not sure"
//! notice: how much of the question the best page covers, and how far it leads the runner-up.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use super::question::{Question, unique};
use super::results::Hit;
use crate::analysis::Analyzer;
use crate::analysis::tokenizer::{reading_tokens, term_tokens};

/// How sure we are that `hit` answers `question`, from 0 to 1; `page` holds the words of the
/// hit's page (see [`PageWordsCache`]).
pub fn confidence(question: &Question, hit: &Hit, runner_up: Option<&Hit>, page: &PageWords) -> f32 {
    let page_terms = &page.terms;
    // The words of the question: for a question typed in kana, the corpus words its sounds
    // were recognized as; otherwise its content words.
    let recognized: Vec<String> = question.kana_runs.iter().flat_map(|run| run.words.iter().flatten().cloned()).collect();
    let query_terms = if question.is_kana_only() && !recognized.is_empty() {
        unique(recognized.into_iter())
    } else {
        unique(term_tokens(&question.morphemes).into_iter().map(|t| t.text).chain(recognized))
    };
    let term_cover = fraction(&query_terms, |t| page_terms.contains(t));
    // Sounds of the content words, for words written differently than on the page.
    let page_readings = &page.readings;
    let query_readings = unique(reading_tokens(&question.morphemes).into_iter().map(|t| t.text));
    let reading_cover = fraction(&query_readings, |r| page_readings.contains(r));
    let coverage = term_cover.max(0.8 * reading_cover);
    let margin = match runner_up {
        Some(r) if hit.score > 0.0 => (1.0 - r.score / hit.score).clamp(0.0, 1.0),
        _ => 1.0,
    };
    (0.75 * coverage + 0.25 * margin).clamp(0.0, 1.0)
}

fn fraction(items: &[String], hit: impl Fn(&String) -> bool) -> f32 {
    if items.is_empty() {
        return 0.0;
    }
    items.iter().filter(|i| hit(i)).count() as f32 / items.len() as f32
}

/// The words and reading bigrams of a hit's page (or section).
#[derive(Debug, Default)]
pub struct PageWords {
    terms: BTreeSet<String>,
    readings: BTreeSet<String>,
}

/// The [`PageWords`] of the pages asked about, per generation.
///
/// Analyzing a whole page costs about a millisecond, and the best hits are asked about again
/// and again: each page is analyzed once per generation (a few hundred bytes per page that ever
/// ranked first; at most one entry per index document).
#[derive(Debug, Default)]
pub struct PageWordsCache {
    pages: Mutex<HashMap<String, Arc<PageWords>>>,
}

impl PageWordsCache {
    /// The words of `hit`'s page or section.
    pub fn of(&self, hit: &Hit, analyzer: &Analyzer) -> Arc<PageWords> {
        let key = format!("{}#{}", hit.id, hit.section.as_deref().unwrap_or(""));
        if let Some(words) = self.pages.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return words;
        }
        let page_text = format!("{}\n{}\n{}", hit.title, hit.heading.as_deref().unwrap_or(""), hit.body);
        let page = analyzer.analyze(&page_text);
        let words = Arc::new(PageWords {
            terms: term_tokens(&page).into_iter().map(|t| t.text).collect(),
            readings: reading_tokens(&page).into_iter().map(|t| t.text).collect(),
        });
        if let Ok(mut m) = self.pages.lock() {
            m.insert(key, words.clone());
        }
        words
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fraction_counts_what_is_covered() {
        let items = ["a", "b", "c", "d"].map(String::from);
        assert_eq!(fraction(&items, |i| i == "a" || i == "c"), 0.5);
        assert_eq!(fraction(&[], |_| true), 0.0, "nothing asked, nothing covered");
    }
}
