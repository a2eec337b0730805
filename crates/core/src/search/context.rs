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
    let common = |count: usize| count > FEW_DOCUMENTS && count as f64 / docs > COMMON_SHARE;
    // The documents that have `word` in one of `fields`, in order; `None` when the word is
    // known common before its postings are read (a field's count alone is already too many).
    let documents = |word: &str, skip_common: bool| -> tantivy::Result<Option<Vec<u64>>> {
        let mut found: Vec<u64> = Vec::new();
        let mut infos = Vec::with_capacity(fields.len());
        let mut at_least = 0;
        for (ord, segment) in searcher.segment_readers().iter().enumerate() {
            infos.clear();
            let mut most = 0;
            for &field in fields {
                let index = segment.inverted_index(field)?;
                if let Some(info) = index.get_term_info(&Term::from_field_text(field, word))? {
                    most = most.max(info.doc_freq as usize);
                    infos.push((index, info));
                }
            }
            at_least += most;
            if skip_common && common(at_least) {
                return Ok(None);
            }
            // This segment's documents (after those of the segments before, which are smaller).
            let mut here: Vec<u64> = Vec::new();
            for (index, info) in &infos {
                let mut postings = index.read_postings_from_terminfo(info, IndexRecordOption::Basic)?;
                let mut doc = postings.doc();
                while doc != TERMINATED {
                    here.push(((ord as u64) << 32) | doc as u64);
                    doc = postings.advance();
                }
            }
            if infos.len() > 1 {
                here.sort_unstable();
                here.dedup();
            }
            found.extend(here);
        }
        Ok(Some(found))
    };
    // The context: the question's own words and the words heard elsewhere in it, each with the
    // documents that have it and its rarity.
    let pieces: Vec<Vec<String>> = question.kana_runs.iter().flat_map(|run| run.words.iter().cloned()).collect();
    let mut context: Vec<(String, Vec<u64>, f64)> = Vec::new();
    let words = question.terms.iter().chain(pieces.iter().filter(|p| p.len() == 1).flatten());
    for word in words {
        if context.iter().any(|(w, ..)| w == word) {
            continue;
        }
        let Some(found) = documents(word, true)? else { continue };
        if found.is_empty() || common(found.len()) {
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
                let found = documents(word, false)?.unwrap_or_default();
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

/// How many documents are in both lists, each in order: the shorter one's documents are
/// looked for in the longer by galloping from the last place found.
fn both(a: &[u64], b: &[u64]) -> usize {
    let (small, mut large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    let mut count = 0;
    for &doc in small {
        let mut step = 1;
        while step < large.len() && large[step] < doc {
            step *= 2;
        }
        let end = (step + 1).min(large.len());
        match large[..end].binary_search(&doc) {
            Ok(i) => {
                count += 1;
                large = &large[i + 1..];
            }
            Err(i) => large = &large[i..],
        }
        if large.is_empty() {
            break;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::both;

    proptest! {
        #[test]
        fn documents_in_both_lists_are_counted_as_a_plain_search_counts_them(
            a in proptest::collection::btree_set(0u64..400, 0..120),
            b in proptest::collection::btree_set(0u64..400, 0..120),
        ) {
            let (a, b): (Vec<u64>, Vec<u64>) = (a.into_iter().collect(), b.into_iter().collect());
            let plain = a.iter().filter(|d| b.contains(d)).count();
            prop_assert_eq!(both(&a, &b), plain);
            prop_assert_eq!(both(&b, &a), plain);
        }
    }
}
