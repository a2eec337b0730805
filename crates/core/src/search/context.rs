//! Which of the words read alike did the customer mean? The rest of the question decides.
//!
//! A piece of kana may be read as several corpus words (こうふん: 興奮 or 口吻, じゅうだん: 縦断
//! or 銃弾). The lexicon lists them most frequent first; the question's other words tell which
//! one fits: the word whose pages most often have them too. The word chosen leads its clause,
//! is how the question is spelled for meaning and for its characters ([`Question::spelled`]),
//! and is the topic word the verdict looks for. The others stay in the clause: the pages decide
//! the ranking.
//!
//! Counted on the documents of the index searched only (the public index for the help page), so
//! nothing of the operators' manual reaches a customer's question.

use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocSet, Searcher, TERMINATED, Term};

use super::question::Question;
use crate::lexicon::FastSet;

/// Words in more than this share of the documents say nothing about a context (年, 日本), and
/// their postings are the longest to read (wiki-qa hiragana MRR@10 at 0.02, 0.05 and 0.15:
/// 0.8796, 0.8800, 0.8793)...
const COMMON_SHARE: f64 = 0.05;
/// ...unless they are in this many documents or fewer: in a small corpus every word is in a
/// large share of it.
const FEW_DOCUMENTS: usize = 20;

/// Put first, in each piece of kana heard as several words, the word that the question's other
/// words go with most in `fields` of `searcher`'s documents (see the module's notes).
pub fn choose_by_context(question: &mut Question, searcher: &Searcher, fields: &[Field]) -> tantivy::Result<()> {
    let ambiguous = question.kana_runs.iter().flat_map(|run| &run.words).any(|words| words.len() > 1);
    if !ambiguous {
        return Ok(());
    }
    let docs = searcher.num_docs().max(1) as f64;
    let documents = |word: &str| -> tantivy::Result<FastSet<u64>> {
        let mut out = FastSet::default();
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            for &field in fields {
                let index = segment.inverted_index(field)?;
                let Some(mut postings) = index.read_postings(&Term::from_field_text(field, word), IndexRecordOption::Basic)? else { continue };
                let mut doc = postings.doc();
                while doc != TERMINATED {
                    out.insert(((ord as u64) << 32) | doc as u64);
                    doc = postings.advance();
                }
            }
        }
        Ok(out)
    };
    // The context: the question's own words and the words heard elsewhere in it, each with the
    // documents that have it and its rarity.
    let pieces: Vec<Vec<String>> = question.kana_runs.iter().flat_map(|run| run.words.iter().cloned()).collect();
    let mut context: Vec<(String, FastSet<u64>, f64)> = Vec::new();
    let words = question.terms.iter().chain(pieces.iter().filter(|p| p.len() == 1).flatten());
    for word in words {
        if context.iter().any(|(w, ..)| w == word) {
            continue;
        }
        let found = documents(word)?;
        let common = found.len() > FEW_DOCUMENTS && found.len() as f64 / docs > COMMON_SHARE;
        if found.is_empty() || common {
            continue;
        }
        let rarity = (1.0 + docs / (found.len() as f64 + 1.0)).ln();
        context.push((word.clone(), found, rarity));
    }
    if context.is_empty() {
        return Ok(());
    }
    for run in &mut question.kana_runs {
        for words in run.words.iter_mut().filter(|w| w.len() > 1) {
            let mut scored: Vec<(f64, usize)> = Vec::with_capacity(words.len());
            for (i, word) in words.iter().enumerate() {
                let found = documents(word)?;
                // The share of the word's documents that have each context word, by its rarity.
                let fit: f64 = context
                    .iter()
                    .filter(|(w, ..)| w != word)
                    .map(|(_, with, rarity)| rarity * (1.0 + both(&found, with) as f64).ln())
                    .sum();
                scored.push((fit, i));
            }
            let best = scored.iter().copied().fold((0.0, 0), |best, s| if s.0 > best.0 { s } else { best });
            if best.1 != 0 {
                let chosen = words.remove(best.1);
                words.insert(0, chosen);
            }
        }
    }
    question.respell();
    Ok(())
}

/// How many documents are in both sets (the smaller one walked).
fn both(a: &FastSet<u64>, b: &FastSet<u64>) -> usize {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    small.iter().filter(|d| large.contains(d)).count()
}
