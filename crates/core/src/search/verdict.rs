//! Did the search find an answer, or nothing that answers? The no-dead-end rule.
//!
//! A list of hits is not an answer when the only thing they share with the question is an
//! everyday word (できる, ある), a sound or a fragment of characters. A search *answers* when
//! one of its best pages covers the question's topic words ([`topic_coverage`]: nouns count
//! fully, verbs, adjectives and adverbs as [`Weights::part_of_speech`] says, and a writer's
//! synonym on the page covers the word it stands for), weighed with how close in meaning the
//! nearest page is ([`decide`]). Otherwise the help page
//! says honestly that nothing matches and offers the questions closest in meaning
//! ([`Verdict::closest`]) with the contact channels.

use serde::Serialize;

use super::page_words::PageWords;
use super::evidence::Evidence;
use super::question::Question;
use super::weights::Weights;

/// How many of the best hits may carry the answer's words (the first may have come by meaning).
pub const VERDICT_DEPTH: usize = 3;

/// How many questions close in meaning are offered when nothing answers.
pub const CLOSEST: usize = 3;

/// What a search concluded.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Verdict {
    /// Whether the hits answer the question (see the module documentation).
    pub answered: bool,
    /// The best share of the question's topic words one of the best hits covers (0 to 1).
    pub coverage: f32,
    /// How sure the best hit is ([`confidence`]); 0 without hits.
    pub confidence: f32,
    /// The best similarity in meaning of any page to the question (without a model: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f32>,
    /// When nothing answers: the pages closest in meaning, best first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub closest: Vec<Closest>,
}

impl Verdict {
    /// The verdict of two lists merged (the console's): answered when either answers; the
    /// closest pages of both, best first.
    pub fn either(a: Verdict, b: Verdict) -> Verdict {
        let mut closest = a.closest;
        closest.extend(b.closest);
        closest.sort_by(|x, y| y.similarity.total_cmp(&x.similarity));
        closest.truncate(CLOSEST);
        let answered = a.answered || b.answered;
        Verdict {
            answered,
            coverage: a.coverage.max(b.coverage),
            confidence: a.confidence.max(b.confidence),
            similarity: match (a.similarity, b.similarity) {
                (Some(x), Some(y)) => Some(x.max(y)),
                (x, y) => x.or(y),
            },
            closest: if answered { Vec::new() } else { closest },
        }
    }
}

/// A page close in meaning to a question nothing answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Closest {
    pub id: String,
    pub title: String,
    /// The manual section's anchor, for a section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    pub similarity: f32,
}

/// A topic word of the question: how much it says about the topic, the spellings a page may
/// answer it with (the word, its synonyms, the corpus words its kana were heard as or corrected
/// to), and its sound, for a page that writes it another way.
#[derive(Debug, Clone, PartialEq)]
pub struct TopicWord {
    pub weight: f32,
    /// Each spelling is one or more words, all of which the page must have.
    pub spellings: Vec<Vec<String>>,
    /// The word's reading in katakana, when it has one of three kana or more.
    pub sound: Option<String>,
}

/// How much a word of kana where nothing was heard counts, of its weight as a topic word: it
/// may be a word the corpus lacks, or the analyzer's guess at kana typed with a slip
/// (ふせいろぐん: ぐん). At 0.5, of 32 questions the sample does not answer, typed in hiragana,
/// 24 end in "not covered" (16 with these words left out, 26 at full weight), and no held-out
/// or tuning question typed in kana loses its answer (at full weight, two with a slip do).
const UNHEARD_KANA: f32 = 0.5;

/// How much a topic word found only by its sound counts.
const SOUND_ONLY: f32 = 0.8;

/// The question's topic words, from its analysis and the evidence it looked for.
///
/// A question typed without kanji is the corpus words its sounds were recognized as (its own
/// kana morphemes are a guess of the analyzer), with the analyzer's content words where no
/// word was heard (kana ones at [`UNHEARD_KANA`] of their weight).
/// A heard word weighs as its part of speech says (`conjugates`: a verb or adjective heard by
/// its form), and a page that writes another word with the same sound (以上 for the 異常 heard
/// in いじょう) covers it as a word found by its sound. Otherwise each content word counts by
/// its part of speech; the synonyms, recognized words and corrections found for it are other
/// spellings. Each word's weight is its part of speech's ([`Weights::part_of_speech`]) times
/// its rarity in the corpus: `ln(1 + N / (df + 1))` for `df` the pages that have its most
/// common spelling (`doc_freq`), of `docs` pages. A word no page has weighs most: a question
/// about タバコ in a shop that never mentions it is not answered by a page that shares its お店.
pub fn topic_words(
    question: &Question,
    evidence: &[Evidence],
    weights: &Weights,
    docs: u64,
    doc_freq: impl Fn(&str) -> u64,
    conjugates: impl Fn(&str) -> bool,
) -> Vec<TopicWord> {
    let rarity = |spellings: &[Vec<String>]| {
        let df = spellings.iter().map(|s| s.iter().map(|p| doc_freq(p)).min().unwrap_or(0)).max().unwrap_or(0);
        (1.0 + docs as f32 / (df as f32 + 1.0)).ln()
    };
    let sound = |katakana: &str| (katakana.chars().count() >= 3).then(|| katakana.to_string());
    let heard_only = question.is_without_kanji();
    let recognized: Vec<TopicWord> = question
        .kana_runs
        .iter()
        .flat_map(|run| run.words.iter().zip(&run.places))
        .filter(|(words, _)| heard_only && !words.is_empty())
        .map(|(words, place)| {
            let mut spellings: Vec<Vec<String>> = words.iter().map(|w| vec![w.clone()]).collect();
            // A writer's synonym of a heard word (ぺいぺい: ペイペイ = PayPay) answers it too.
            for e in evidence.iter().filter(|e| e.kind == "synonym") {
                if e.from.as_deref().is_some_and(|found| words.iter().any(|w| found.contains(w.as_str()))) {
                    spellings.push(e.text.split(' ').map(str::to_string).collect());
                }
            }
            let part_of_speech = if conjugates(&words[0]) { weights.verb } else { 1.0 };
            let heard = place.as_ref().and_then(|p| question.normalized.text.get(p.clone())).map(crate::analysis::kana::to_katakana);
            TopicWord { weight: part_of_speech * rarity(&spellings), spellings, sound: heard.as_deref().and_then(sound) }
        })
        .collect();
    // The analyzer's words, with the other spellings the evidence found for each.
    let read: Vec<(TopicWord, Vec<&crate::analysis::Morpheme>)> = question
        .terms
        .iter()
        .filter_map(|term| {
            let sources: Vec<_> = question
                .morphemes
                .iter()
                .filter(|m| m.content && (m.term == *term || (m.conjugates() && m.reading == *term)))
                .collect();
            // The base reading of a conjugating word is the same word as its base form.
            if sources.iter().all(|m| m.term != *term) && !sources.is_empty() {
                return None;
            }
            let weight = sources.iter().map(|m| weights.part_of_speech(m)).fold(None, |b: Option<f32>, w| Some(b.map_or(w, |b| b.max(w))));
            let mut spellings = vec![vec![term.clone()]];
            let compound = !crate::analysis::tokenizer::compound_words(term).is_empty();
            for e in evidence.iter().filter(|e| matches!(e.kind, "synonym" | "corrected" | "kana" | "romaji")) {
                let Some(found) = e.from.as_deref() else { continue };
                if found.contains(term.as_str()) {
                    spellings.push(e.text.split(' ').map(str::to_string).collect());
                    spellings.extend(e.also.iter().map(|a| vec![a.clone()]));
                } else if compound && term.contains(found) && found != e.text {
                    // One word of a katakana compound heard as another (ラス・メニナス: メニーナス):
                    // the compound with that word.
                    spellings.push(vec![term.replacen(found, &e.text, 1)]);
                }
            }
            // The words heard where the analyzer read this word in kana (だいびき: だい, read as
            // ダイ, heard as 代): its term is the katakana form, which the typed run lacks.
            for (words, place) in question.kana_runs.iter().flat_map(|run| run.words.iter().zip(&run.places)) {
                let Some(place) = place else { continue };
                let (from, to) = question.normalized.original_range(place.start, place.end);
                if sources.iter().any(|m| m.start < to && from < m.end) {
                    spellings.extend(words.iter().map(|w| vec![w.clone()]));
                }
            }
            let reading = sources.first().map(|m| crate::analysis::kana::to_katakana(&m.reading)).unwrap_or_default();
            Some((TopicWord { weight: weight.unwrap_or(1.0) * rarity(&spellings), spellings, sound: sound(&reading) }, sources))
        })
        .collect();
    if recognized.is_empty() {
        return read.into_iter().map(|(w, _)| w).collect();
    }
    // Without kanji: the words heard, and the analyzer's words where nothing was heard: words
    // in letters or digits, and kana that sound like no corpus word (ふくぶくろ in a shop that
    // sells none), a topic the pages may not have.
    let heard: Vec<(usize, usize)> = question
        .kana_runs
        .iter()
        .flat_map(|run| run.places.iter().flatten())
        .map(|p| question.normalized.original_range(p.start, p.end))
        .collect();
    let unheard = |m: &crate::analysis::Morpheme| {
        !heard.iter().any(|&(from, to)| m.start < to && from < m.end) && m.surface.chars().count() >= 2
    };
    let mut words = recognized;
    for (mut word, sources) in read {
        if sources.is_empty() || !sources.iter().all(|m| unheard(m)) || words.iter().any(|w| w.spellings.contains(&word.spellings[0])) {
            continue;
        }
        if sources.iter().all(|m| crate::analysis::kana::is_kana(&m.surface)) {
            word.weight *= UNHEARD_KANA;
        }
        words.push(word);
    }
    words
}

/// The weighted share of `words` that `page` has, 0 to 1 (0 for a question without words). A
/// word the page writes another way but sounds the same counts [`SOUND_ONLY`].
pub fn topic_coverage(words: &[TopicWord], page: &PageWords) -> f32 {
    let total: f32 = words.iter().map(|w| w.weight).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let covered: f32 = words
        .iter()
        .map(|w| {
            if w.spellings.iter().any(|s| s.iter().all(|part| page.has_term(part))) {
                w.weight
            } else if w.sound.as_deref().is_some_and(|s| page.has_sound(s)) {
                SOUND_ONLY * w.weight
            } else {
                0.0
            }
        })
        .sum();
    covered / total
}

/// How sure the best hit is, from 0 to 1: how much of the question it covers, in words or in
/// meaning (`similarity`: its cosine, counted from [`Weights::meaning_floor`] up to 0.95), and
/// how far it leads the runner-up (`margin`, 0 to 1).
pub fn confidence(coverage: f32, similarity: Option<f32>, margin: f32, weights: &Weights) -> f32 {
    let floor = weights.meaning_floor;
    let meaning = similarity.map_or(0.0, |s| ((s - floor) / (0.95 - floor).max(1e-6)).clamp(0.0, 1.0));
    (0.75 * coverage.max(meaning) + 0.25 * margin.clamp(0.0, 1.0)).clamp(0.0, 1.0)
}

/// The verdict from the best coverage among the best hits and the best similarity in meaning
/// of any page: with a model, `coverage + answer_meaning × max(0, similarity − meaning_floor)`
/// must reach `answer_evidence` (a page close in meaning makes up for words written
/// differently); without one, the coverage must reach `answer_coverage`. A similarity below
/// the floor takes nothing away: on a corpus whose pages embed poorly (encyclopaedia
/// paragraphs under shared titles), the words alone must be able to answer.
pub fn decide(has_hits: bool, coverage: f32, similarity: Option<f32>, weights: &Weights) -> bool {
    has_hits
        && match similarity {
            Some(s) => coverage + weights.answer_meaning * (s - weights.meaning_floor).max(0.0) >= weights.answer_evidence,
            None => coverage >= weights.answer_coverage,
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(weight: f32, spellings: &[&[&str]]) -> TopicWord {
        TopicWord { weight, spellings: spellings.iter().map(|s| s.iter().map(|p| p.to_string()).collect()).collect(), sound: None }
    }

    #[test]
    fn nouns_lead_the_coverage_and_synonyms_cover_their_word() {
        let page = PageWords::from_terms(["ペット", "できる", "払い戻し"]);
        let pets = [word(1.0, &[&["駐車場"]]), word(0.3, &[&["できる"]])];
        assert!((topic_coverage(&pets, &page) - 0.3 / 1.3).abs() < 1e-6, "an everyday verb alone covers little");
        let refund = [word(1.0, &[&["返金"], &["払い戻し"]])];
        assert_eq!(topic_coverage(&refund, &page), 1.0, "the page's synonym answers the word");
        let phrase = [word(1.0, &[&["払い戻し", "方法"]])];
        assert_eq!(topic_coverage(&phrase, &page), 0.0, "every word of a multi-word spelling is needed");
        assert_eq!(topic_coverage(&[], &page), 0.0);
    }

    #[test]
    fn either_signal_answers_and_no_hits_never_do() {
        let w = Weights::default();
        assert!(decide(true, 1.0, None, &w));
        assert!(!decide(true, 0.1, None, &w));
        assert!(decide(true, 0.1, Some(0.95), &w), "a page asking the same thing answers without the words");
        assert!(!decide(true, 0.1, Some(w.meaning_floor), &w), "few words and nothing close: not covered");
        assert!(decide(true, 0.8, Some(w.meaning_floor), &w), "the words answer");
        assert!(decide(true, 0.8, Some(0.70), &w), "a page that embeds poorly can still answer by its words");
        assert!(!decide(true, 0.4, Some(0.70), &w));
        assert!(!decide(false, 1.0, Some(1.0), &w));
    }
}
