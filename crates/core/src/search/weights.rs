//! Where are the weights? How much each field and each kind of evidence counts.
//!
//! Tuned on the sample's tuning queries and wiki-qa (see docs/relevance.md); `kotae eval
//! --weights` tries others without a rebuild.

use serde::{Deserialize, Serialize};

use crate::analysis::Morpheme;
use crate::ranking::Bm25;

/// Field weights: how much a match in each field counts.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(default)]
pub struct Weights {
    pub title: f32,
    pub aliases: f32,
    pub heading: f32,
    pub tags: f32,
    pub body: f32,
    /// Readings of titles, headings and aliases. Bodies' readings are not indexed: see
    /// [`crate::index::schema::Fields::title_reading`].
    pub title_reading: f32,
    pub title_ngram: f32,
    pub body_ngram: f32,
    /// How much the fields other than a word's best one add (0: only the best counts).
    pub tie_breaker: f32,
    /// How much a writer synonym of a query word counts, next to the word itself.
    pub synonym: f32,
    /// How much a general synonym (Sudachi's dictionary, when the index has one) counts.
    pub general_synonym: f32,
    /// How much a corpus word recognized from kana or romaji counts.
    pub recognized: f32,
    /// How much a question's verbs count next to its nouns: 分かる, できる, 困る say little
    /// about the topic.
    pub verb: f32,
    /// How much its adjectives count (難しい, 安い).
    pub adjective: f32,
    /// How much its adverbs and adverb-like nouns count (ちょっと, 早め, 最近).
    pub adverb: f32,
    /// How much a corpus word one kana slip away from a kana word no page has counts.
    pub corrected: f32,
    /// How much a katakana corpus word one kana slip away from a katakana word the pages do
    /// have counts (ボーア for ボーイ): a name mistyped into another name.
    pub slipped_name: f32,
    /// How much the reading bigrams and character trigrams of a question word count when the
    /// index knows the word itself: they echo a match already counted.
    pub echo: f32,
    /// How much closeness in meaning adds, in units of the question's best lexical score
    /// (0: lexical only; see [`crate::search::fusion`]).
    pub meaning: f32,
    /// The cosine similarity below which meaning adds nothing.
    pub meaning_floor: f32,
    /// How much more meaning counts when the best lexical pages cover little of the question:
    /// `meaning_unsure × (1 − their coverage)²` more (see [`crate::search::verdict`] for the
    /// coverage), counted from `meaning_unsure_floor`. Off by default (0): `meaning_lead` does
    /// this better (docs/relevance.md, "Meaning"); kept to compare.
    pub meaning_unsure: f32,
    /// The cosine from which the unsure part of meaning counts: lower than `meaning_floor`,
    /// since a question in other words than its page's is rarely as close (see
    /// [`crate::search::fusion::Lift`]).
    pub meaning_unsure_floor: f32,
    /// How much of the lexical score gives way when the words are unsure: the lexical score
    /// counts `1 − meaning_unsure_lexical × (1 − coverage)²`.
    pub meaning_unsure_lexical: f32,
    /// The unsure part counts from the similarity of the `meaning_unsure_rank`-th closest
    /// document when that is higher than `meaning_unsure_floor` (0: off).
    pub meaning_unsure_rank: f32,
    /// How much meaning leads the order when the words are unsure: the lexical score counts
    /// `1 − lead` of itself and each document adds `lead` × its closeness relative to the others
    /// (see [`crate::search::fusion::Relative`]), for `lead = meaning_lead × (1 − coverage /
    /// meaning_lead_coverage)^meaning_lead_power` (0 from `meaning_lead_coverage` up, at most
    /// `meaning_lead_max`).
    /// Closeness here is the questions' blended with the answer's lead
    /// ([`crate::meaning::Similarities::ranking`]).
    pub meaning_lead: f32,
    pub meaning_lead_power: f32,
    pub meaning_lead_coverage: f32,
    /// The closeness relative to the others counts from the `meaning_lead_rank`-th closest
    /// document's similarity...
    pub meaning_lead_rank: f32,
    /// ...over at least this span of cosine.
    pub meaning_lead_spread: f32,
    /// The most the lead reaches: the words always keep a share, so every hit keeps a positive
    /// score and pages about as close in meaning are told apart by their words.
    pub meaning_lead_max: f32,
    /// The lead counts fully from this cosine between the question and its closest page's
    /// questions up, and gives way linearly over `meaning_lead_ramp` below it (0: always full).
    pub meaning_lead_floor: f32,
    pub meaning_lead_ramp: f32,
    /// The share of the lead kept for a question written without kanji (kana, perhaps with
    /// letters and digits): e5 reads kana poorly, and the words heard in kana are guesses.
    pub meaning_lead_kana: f32,
    /// The question is not embedded when the best lexical pages cover at least this share of
    /// its topic words (above 1: always embedded)...
    pub meaning_settled: f32,
    /// ...and the best lexical score is at least this many times the runner-up's: the words
    /// settle the answer, and an embedding costs ~9 ms of CPU against ~0.3 ms for the words.
    pub meaning_settled_margin: f32,
    /// Without a model: the share of the question's topic words one of the best pages must
    /// cover for the search to answer (see [`crate::search::verdict`]).
    pub answer_coverage: f32,
    /// With a model: how much each 0.01 of similarity above `meaning_floor` adds to the
    /// coverage, ×100 (8: 0.01 of cosine counts like 8% of the topic words)...
    pub answer_meaning: f32,
    /// ...and what their sum must reach for the search to answer.
    pub answer_evidence: f32,
    /// BM25 term-frequency saturation for word and reading matches (see [`crate::ranking::bm25`]).
    pub k1: f32,
    /// BM25 length normalization.
    pub b: f32,
}

impl Weights {
    pub fn bm25(&self) -> Bm25 {
        Bm25 { k1: self.k1, b: self.b }
    }

    /// How meaning is fused with the words for a question whose best lexical pages cover
    /// `coverage` of its topic words ([`crate::search::fusion`]).
    pub fn lift(&self, coverage: f32) -> crate::search::fusion::Lift {
        let unsure = (1.0 - coverage).clamp(0.0, 1.0).powi(2);
        crate::search::fusion::Lift {
            weight: self.meaning,
            floor: self.meaning_floor,
            unsure: self.meaning_unsure * unsure,
            unsure_floor: self.meaning_unsure_floor,
            lexical: (1.0 - self.meaning_unsure_lexical * unsure).max(0.0),
            lead: (self.meaning_lead * (1.0 - coverage / self.meaning_lead_coverage.max(1e-6)).clamp(0.0, 1.0).powf(self.meaning_lead_power))
                .clamp(0.0, self.meaning_lead_max.clamp(0.0, 1.0)),
            relative: crate::search::fusion::Relative::NONE,
        }
    }

    /// The share of the lead kept when the closest page's questions are `best` close
    /// (`meaning_lead_floor`, `meaning_lead_ramp`).
    pub fn lead_closeness(&self, best: f32) -> f32 {
        if self.meaning_lead_ramp <= 0.0 {
            return if best >= self.meaning_lead_floor { 1.0 } else { 0.0 };
        }
        (1.0 - (self.meaning_lead_floor - best) / self.meaning_lead_ramp).clamp(0.0, 1.0)
    }

    /// How much a question word counts for its part of speech: nouns (and unknown words, often
    /// names) fully, the everyday verbs, adjectives and adverbs around them less.
    pub fn part_of_speech(&self, m: &Morpheme) -> f32 {
        match m.pos.as_str() {
            "動詞" => self.verb,
            "形容詞" => self.adjective,
            "副詞" => self.adverb,
            _ => 1.0,
        }
    }
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            title: 1.3,
            aliases: 1.3,
            heading: 1.3,
            tags: 1.0,
            body: 1.0,
            title_reading: 0.4,
            title_ngram: 0.6,
            body_ngram: 0.6,
            tie_breaker: 0.1,
            synonym: 0.8,
            general_synonym: 0.5,
            recognized: 1.0,
            verb: 0.3,
            adjective: 0.3,
            adverb: 0.3,
            echo: 0.9,
            corrected: 0.5,
            slipped_name: 0.3,
            meaning: 0.5,
            meaning_floor: 0.85,
            meaning_unsure: 0.0,
            meaning_unsure_floor: 0.8,
            meaning_unsure_lexical: 0.0,
            meaning_unsure_rank: 5.0,
            meaning_lead: 2.5,
            meaning_lead_power: 3.0,
            meaning_lead_coverage: 1.0,
            meaning_lead_rank: 30.0,
            meaning_lead_spread: 0.035,
            meaning_lead_kana: 0.0,
            meaning_lead_floor: 0.84,
            meaning_lead_ramp: 0.02,
            meaning_lead_max: 0.95,
            meaning_settled: 1.0,
            meaning_settled_margin: 1.5,
            answer_coverage: 0.5,
            answer_meaning: 8.0,
            answer_evidence: 0.61,
            k1: Bm25::default().k1,
            b: Bm25::default().b,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meaning_leads_only_as_far_as_some_page_is_close() {
        let w = Weights { meaning_lead_floor: 0.84, meaning_lead_ramp: 0.02, ..Weights::default() };
        assert_eq!(w.lead_closeness(0.90), 1.0);
        assert_eq!(w.lead_closeness(0.84), 1.0);
        assert!((w.lead_closeness(0.83) - 0.5).abs() < 1e-4, "half way down the ramp");
        assert_eq!(w.lead_closeness(0.81), 0.0, "wiki-qa's paragraphs: nothing close, the words lead");
        let off = Weights { meaning_lead_floor: 0.0, meaning_lead_ramp: 0.0, ..Weights::default() };
        assert_eq!(off.lead_closeness(0.5), 1.0);
    }
}
