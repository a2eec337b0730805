//! What does a question look for? Its evidence: words, synonyms, words recognized from kana or
//! romaji, reading bigrams and character trigrams, each weighted per field.
//!
//! Each piece of evidence becomes one clause of the sum [`crate::ranking`] ranks by; the weights
//! come from [`Weights`].

use std::collections::BTreeSet;
use std::sync::Arc;

use tantivy::Term;
use tantivy::query::Query;
use tantivy::schema::Field;

use super::question::{Question, unique};
use super::weights::Weights;
use crate::analysis::Analyzer;
use crate::analysis::tokenizer::{kana_bigrams, query_ngrams_of, reading_tokens, typed_sound_bigrams};
use crate::index::schema::Fields;
use crate::lexicon::Lexicon;
use crate::ranking::{Bm25, Bm25TermQuery, BoostedPhrase, BoundedWeight, ScoringCache};

/// One piece of evidence a query looks for: a word, a synonym, a word recognized from kana or
/// romaji, a reading bigram, or a character trigram.
pub struct Evidence {
    pub kind: &'static str,
    pub text: String,
    /// What it stands for, when it is a variant (the synonym or kana it came from).
    pub from: Option<String>,
    /// The weighted query per field, by field name.
    pub fields: Vec<(&'static str, Box<dyn Query>)>,
}

/// What evidence is weighed with: the index's fields, the weights, the generation's lexicon,
/// and the scoring cache the term queries share.
pub struct Sources<'a> {
    pub fields: &'a Fields,
    pub weights: &'a Weights,
    pub lexicon: &'a Lexicon,
    pub analyzer: &'a Analyzer,
    pub scoring: &'a Arc<ScoringCache>,
}

impl Sources<'_> {
    /// Everything the question looks for, with the weight of each field.
    pub fn evidence(&self, question: &Question) -> Vec<Evidence> {
        let f = self.fields;
        let w = self.weights;
        let bm25 = w.bm25();
        let terms = &question.terms;
        let term_fields = [
            ("title", f.title, w.title),
            ("aliases", f.aliases, w.aliases),
            ("heading", f.heading, w.heading),
            ("tags", f.tags, w.tags),
            ("body", f.body, w.body),
        ];
        let words = |kind, word: &str, from: Option<String>, factor: f32| Evidence {
            kind,
            text: word.to_string(),
            from,
            fields: term_fields.iter().map(|(name, field, weight)| (*name, weighted(*field, word, weight * factor, bm25, self.scoring))).collect(),
        };
        let mut out: Vec<Evidence> = terms.iter().map(|t| words("word", t, None, 1.0)).collect();
        let mut known: BTreeSet<String> = terms.iter().cloned().collect();

        // Kana and romaji typed for words of the corpus: へんぴん, henpin → 返品.
        for run in &question.kana_runs {
            for word in &run.words {
                if known.insert(word.clone()) {
                    let kind = if run.typed.is_ascii() { "romaji" } else { "kana" };
                    out.push(words(kind, word, Some(run.typed.clone()), w.recognized));
                }
            }
        }
        // Synonyms, as whole words: a multi-word synonym must match as a phrase.
        let synonym = |parts: &[String], found: &str, factor: f32| -> Evidence {
            if let [single] = parts {
                return words("synonym", single, Some(found.to_string()), factor);
            }
            let fields = term_fields
                .iter()
                .map(|(name, field, weight)| {
                    let terms = parts.iter().map(|p| Term::from_field_text(*field, p)).collect();
                    // A phrase scores every word in it: count it as one word.
                    let boost = weight * factor / parts.len() as f32;
                    (*name, Box::new(BoostedPhrase::new(terms, boost)) as Box<dyn Query>)
                })
                .collect();
            Evidence { kind: "synonym", text: parts.join(" "), from: Some(found.to_string()), fields }
        };
        let mut expand = |parts: Vec<String>, found: &str, factor: f32, out: &mut Vec<Evidence>| {
            if parts.is_empty() || parts.iter().all(|p| known.contains(p)) {
                return;
            }
            if let [single] = parts.as_slice() {
                known.insert(single.clone());
            }
            out.push(synonym(&parts, found, factor));
        };
        for (found, others) in self.lexicon.synonyms_in(&question.normalized.text) {
            for other in others {
                expand(self.analyzer.terms(&other), &found, w.synonym, &mut out);
            }
        }
        // General synonyms (Sudachi's), for the query's own words only, weaker than the writers'.
        for (found, synonyms) in self.lexicon.general_synonyms_of(&question.content_terms()) {
            for parts in synonyms {
                expand(parts, &found, w.general_synonym, &mut out);
            }
        }
        // Readings: each bigram on its own, since the sounds of a kana query rarely line up
        // with the readings' word boundaries. Of the kana typed, only the sounds that touch a
        // content word: those of endings alone (ですか) match nearly every title.
        let morphemes = &question.morphemes;
        let romaji_kana = question.kana_runs.iter().filter(|run| run.typed.is_ascii()).flat_map(|run| kana_bigrams(&run.katakana));
        let readings = unique(
            reading_tokens(morphemes)
                .into_iter()
                .chain(typed_sound_bigrams(&question.normalized, morphemes))
                .chain(romaji_kana)
                .map(|t| t.text),
        );
        for r in readings {
            let fields = vec![("title_reading", weighted(f.title_reading, &r, w.title_reading, bm25, self.scoring))];
            out.push(Evidence { kind: "reading", text: r, from: None, fields });
        }
        // Characters: three in a row, indexed as trigrams (see `query_ngrams`).
        for n in query_ngrams_of(&question.normalized) {
            let fields = vec![
                ("title_ngram", weighted(f.title_ngram, &n, w.title_ngram, bm25, self.scoring)),
                ("body_ngram", weighted(f.body_ngram, &n, w.body_ngram, bm25, self.scoring)),
            ];
            out.push(Evidence { kind: "characters", text: n, from: None, fields });
        }
        out
    }
}

/// Sound and character evidence found in more than this share of the documents is dropped.
/// At 0.3 no ranking changed on the tuning, held-out or wiki-qa queries, and searches on the
/// generated 100k corpus took 16% less CPU (13.1 → 11.0 ms); lower shares start to cost
/// held-out MRR.
const COMMON_SHARE: f64 = 0.3;

/// Drop reading bigrams and character trigrams that nearly every document has (ショ, ます...):
/// they add almost nothing to any score (their idf is near zero) but walking their postings is
/// most of a search's time on a large corpus.
///
/// The document frequencies are the ones the weights looked up: no second lookup.
pub fn drop_common_sounds(weighed: &mut Vec<(BoundedWeight, Evidence)>, docs: u64) {
    let docs = docs.max(1) as f64;
    weighed.retain(|(weight, e)| {
        !matches!(e.kind, "reading" | "characters")
            || weight.doc_freqs().any(|n| n.is_none_or(|n| n as f64 / docs <= COMMON_SHARE))
    });
}

fn weighted(field: Field, text: &str, weight: f32, bm25: Bm25, cache: &Arc<ScoringCache>) -> Box<dyn Query> {
    Box::new(Bm25TermQuery::new(Term::from_field_text(field, text), bm25).with_boost(weight).with_cache(cache.clone()))
}
