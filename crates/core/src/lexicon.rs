//! Which corpus words does a customer mean when they type sounds, a variant or a synonym?
//!
//! The lexicon is built with each index generation from the pages and `content/synonyms.txt`:
//! - **readings**: katakana reading → the corpus word most often read that way (ヘンピン → 返品),
//!   so a query typed in kana or romaji can be turned into the words the pages use;
//! - **synonym groups**: writer-maintained groups (スマホ, スマートフォン, 携帯) applied at query
//!   time as whole terms, after normalization;
//! - **general synonyms**: from a [`Thesaurus`] (Sudachi's dictionary) when one is given, kept
//!   only where they lead to words the corpus contains.
//!
//! It also proposes corrections for "did you mean" from the same readings, with an edit
//! distance on readings (sounds), not on kanji bytes.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::analysis::{Analyzer, KanaToken, kana, normalize_str};
use crate::content::Page;
use crate::thesaurus::Thesaurus;

mod compounds;
mod near;
mod pieces;
mod split;
use compounds::{Chain, Compound, CompoundCounts};
use near::Near;

/// Shortest reading (in kana) a typed run is matched against. Two-kana readings (イエ 家,
/// ツユ 梅雨) are ambiguous (カイ: 会, 回, 貝...): they are taken only where the rest of the run
/// is explained around them (see [`Lexicon::recognize`]).
const MIN_READING_CHARS: usize = 2;
/// Readings of this many kana are taken wherever they fall.
const SURE_READING_CHARS: usize = 3;
/// What a word read with one kana slipped costs in a split (an exact word costs 1, a kana
/// nothing explains 10).
const SLIPPED_WORD_COST: u32 = 4 * PIECE_COST;
/// What a word read with its voicing slipped costs (でんわ typed てんわ): less than a two-kana
/// word and a particle (テン|ワ), which explain the same kana.
const VOICING_SLIP_COST: u32 = 2 * PIECE_COST;
/// What a piece costs in a split: a particle or a word of three kana or more one piece, a
/// two-kana word two, a kana nothing explains ten. A word also costs its rarity
/// ([`Lexicon::rarity`], at most [`MAX_RARITY`]).
const PIECE_COST: u32 = 10;
/// What a word costs more where it goes against IPADIC's reading of the run: it starts or ends
/// inside one of IPADIC's words (ニソウ|トウシ cuts through ニ|ソウトウ). At 5, 10 and 20: wiki-qa
/// hiragana 0.8531, 0.8532 and 0.8519; also counting a word that takes in a whole particle
/// (10): 0.8507.
const GRAMMAR_COST: u32 = PIECE_COST;
/// What a word costs more where it takes in a question word and the particle beside it (ハイツ
/// in みさわ|は|いつ, [`pieces::question_words`]): more than the particle it saves, so the
/// question word wins even against the commonest word.
const QUESTION_WORD_COST: u32 = 2 * PIECE_COST;
const LEFTOVER_COST: u32 = 10 * PIECE_COST;
/// The most a word's rarity adds to its cost: less than one piece, so the split with fewer
/// pieces wins unless the words of the other are far more common.
const MAX_RARITY: u32 = 8;
/// Shortest reading looked for with a slip in a hiragana run: with fewer kana, nearly any
/// stretch of hiragana is one slip away from some corpus word (いぬつれて). A katakana run is
/// loanwords, where three kana (ホタン for ボタン) are already a word.
const SLIPPED_READING_CHARS: usize = 4;
/// Three kana of hiragana are looked for with their voicing slipped only (てんわ for でんわ,
/// しがた for しかた): a vowel moved is one slip from too many words.
const SLIPPED_VOICING_CHARS: usize = 3;
const SLIPPED_KATAKANA_CHARS: usize = 3;
/// Longest reading tried when splitting a typed run.
const MAX_READING_CHARS: usize = 12;
/// How many corpus words are kept per reading: the most frequent, and others read the same way
/// (キカン: 期間, 機関), among which the rest of the question chooses.
const WORDS_PER_READING: usize = 3;

/// The maps a question's every stretch of kana is looked up in, with a hash that is quick on
/// short keys (foldhash rather than SipHash: nothing here is keyed by what a stranger chooses
/// to flood).
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
pub(crate) type FastSet<K> = HashSet<K, foldhash::fast::RandomState>;

/// Readings and synonyms of one generation.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Lexicon {
    /// Katakana reading → corpus word.
    readings: FastMap<String, String>,
    /// Groups of normalized synonyms.
    synonyms: Vec<Vec<String>>,
    /// General synonyms: a word's terms (joined by spaces) → the terms of each synonym the
    /// corpus contains.
    #[serde(default)]
    general: FastMap<String, Vec<Vec<String>>>,
    /// Katakana reading → the other corpus words read that way, most frequent first.
    #[serde(default)]
    others: FastMap<String, Vec<String>>,
    /// Katakana reading → how often the corpus uses a word read that way, for choosing between
    /// splits that explain a run equally well (ニジ|ドウシツ or ニ|ジドウ|シツ). Empty in
    /// lexicons built before it was kept: then every word weighs the same.
    #[serde(default)]
    frequency: FastMap<String, u32>,
    /// The highest of `frequency`, 0 without it.
    #[serde(default)]
    most_frequent: u32,
    /// Corpus words heard by the reading of a conjugated form (ツカエ → 使える): verbs and
    /// adjectives, which say less about the topic than nouns.
    #[serde(default)]
    conjugating: FastSet<String>,
    /// The reading of each of `conjugating`'s base forms (かき回す → カキマワス), which the index
    /// keeps beside the word: a verb heard in kana is looked for by both, as a verb typed is.
    /// Empty in lexicons built before it was kept.
    #[serde(default)]
    base_readings: FastMap<String, String>,
    /// Readings of nouns the corpus writes side by side (ショウカカン: 消化 + 管), heard as
    /// one piece ([`compounds`]).
    #[serde(default)]
    compounds: FastMap<Box<str>, Compound>,
    /// The readings by length, for [`Lexicon::correct`]: made the first time it is needed.
    #[serde(skip)]
    near: OnceLock<Arc<Near>>,
}


/// A span of typed kana recognized as a corpus word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recognized {
    pub reading: String,
    /// The corpus word most often read this way.
    pub word: String,
    /// Other corpus words read the same way (the rest of the question decides).
    pub others: Vec<String>,
}

/// A piece of a split kana run: the characters it covers, and the corpus word it was read as
/// (none for a particle, or a leftover kana nothing explains).
#[derive(Debug, Clone)]
struct Piece {
    span: std::ops::Range<usize>,
    word: Option<Recognized>,
    leftover: bool,
    /// Part of a compound the corpus writes ([`compounds`]): sure, however short.
    compound: bool,
}


impl Recognized {
    /// Every corpus word it may stand for, the most frequent first.
    pub fn words(&self) -> impl Iterator<Item = &String> {
        std::iter::once(&self.word).chain(&self.others)
    }

    /// Only the words written in katakana (ポール, not 進化 for シンカ), if any.
    fn katakana_only(self) -> Option<Recognized> {
        let mut words: Vec<String> = self.words().filter(|w| kana::is_katakana_word(w)).cloned().collect();
        if words.is_empty() {
            return None;
        }
        let word = words.remove(0);
        Some(Recognized { reading: self.reading, word, others: words })
    }
}


impl Lexicon {
    /// Build the lexicon of `pages`, with the writers' synonym groups.
    ///
    /// Analyzing every page is most of the cost, so pages are counted in parallel chunks
    /// (rayon) and the counts summed: the result does not depend on the split.
    pub fn build(analyzer: &Analyzer, pages: &[Page], synonyms: &[Vec<String>]) -> Self {
        Self::build_with(analyzer, pages, synonyms, None)
    }

    /// [`Lexicon::build`], with general synonyms from `thesaurus`.
    pub fn build_with(
        analyzer: &Analyzer,
        pages: &[Page],
        synonyms: &[Vec<String>],
        thesaurus: Option<&Thesaurus>,
    ) -> Self {
        let mut counts: Counts = HashMap::new();
        let mut vocabulary: HashSet<String> = HashSet::new();
        let mut conjugating: FastSet<String> = FastSet::default();
        let mut base_readings: FastMap<String, String> = FastMap::default();
        let mut compounds = CompoundCounts::new();
        let parts: Vec<_> = pages
            .par_chunks(64)
            .map(|part| count_readings(analyzer, part))
            .collect();
        for part in parts {
            vocabulary.extend(part.vocabulary);
            conjugating.extend(part.conjugating);
            base_readings.extend(part.base_readings);
            compounds::merge(&mut compounds, part.compounds);
            for (reading, words) in part.counts {
                let entry = counts.entry(reading).or_default();
                for (word, n) in words {
                    *entry.entry(word).or_default() += n;
                }
            }
        }
        hear_synonyms(analyzer, synonyms, &mut counts);
        let frequency: FastMap<String, u32> = counts.iter().map(|(r, words)| (r.clone(), words.values().sum::<usize>().min(u32::MAX as usize) as u32)).collect();
        let (readings, others) = most_frequent(counts);
        let synonyms = synonyms
            .iter()
            .map(|g| {
                g.iter()
                    .map(|s| normalize_str(s.trim()))
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
            })
            .filter(|g| g.len() >= 2)
            .collect();
        let general = thesaurus
            .map(|t| general_synonyms(analyzer, t, &vocabulary))
            .unwrap_or_default();
        Lexicon {
            readings,
            synonyms,
            general,
            others,
            most_frequent: frequency.values().copied().max().unwrap_or(0),
            frequency,
            conjugating,
            base_readings,
            compounds: compounds::most_frequent(compounds),
            near: OnceLock::new(),
        }
    }

    /// How many words have general synonyms in this corpus.
    pub fn general_len(&self) -> usize {
        self.general.len()
    }

    /// General synonyms of the words of a query (its content terms, in order): for each run of
    /// up to four terms that is a known word, (that word, the terms of each synonym).
    pub fn general_synonyms_of(&self, terms: &[String]) -> Vec<(String, Vec<Vec<String>>)> {
        let mut out = Vec::new();
        if self.general.is_empty() {
            return out;
        }
        for start in 0..terms.len() {
            for len in 1..=4.min(terms.len() - start) {
                let key = terms[start..start + len].join(" ");
                if let Some(synonyms) = self.general.get(&key) {
                    out.push((terms[start..start + len].concat(), synonyms.clone()));
                }
            }
        }
        out
    }

    pub fn len(&self) -> usize {
        self.readings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.readings.is_empty()
    }

    /// The corpus words read `reading`; failing that, read so without its long-vowel marks
    /// (the folded readings are keys of their own, see [`Lexicon::build_with`]).
    fn lookup(&self, reading: &str) -> Option<Recognized> {
        let found = |r: &str| {
            let word = self.readings.get(r)?.clone();
            let others = self.others.get(r).cloned().unwrap_or_default();
            Some(Recognized {
                reading: reading.to_string(),
                word,
                others,
            })
        };
        // (Without a long-vowel mark there is nothing to fold.)
        // Checked before anything is built: most stretches a split looks up are no reading.
        let without_long_vowels = |r: &str| r.contains('ー').then(|| kana::without_long_vowels(r)).flatten();
        found(reading)
            .or_else(|| found(&without_long_vowels(reading)?))
            // The corpus's ヴ spellings are read as the common kana (カラヴァッジョ: カラバッジョ).
            .or_else(|| {
                let common = reading.contains('ヴ').then(|| kana::without_vu(reading))?;
                found(&common).or_else(|| found(&without_long_vowels(&common)?))
            })
    }

    /// Split a typed kana run (katakana) into corpus words by their readings.
    ///
    /// The split explains as much of the run as it can with corpus words and the particles and
    /// endings between them ([`FUNCTION_KANA`]), in as few pieces as possible. A reading of
    /// three kana or more is taken wherever it falls; a two-kana word (イエ 家) only between
    /// pieces the split explains or the ends of the run, never beside leftovers (ブル in
    /// ブルム). Parts that match nothing are skipped.
    ///
    /// Two-kana words are looked for only in runs typed in hiragana (`short_words`): a
    /// two-kana katakana word (イヌ) is a word of its own, not the sound of another.
    ///
    /// When the split leaves kana that nothing explains, the run is split again allowing one
    /// slip per word of four kana or more (three in katakana) ([`kana::slips`]: ガイイン for カイイン, ヘンヒン for
    /// ヘンピン): a slipped word costs more than an exact one, far less than leftovers.
    pub fn recognize(&self, run: &str, short_words: bool) -> Vec<Recognized> {
        let chars: Vec<char> = run.chars().collect();
        self.recognize_chars(&chars, short_words, &vec![!short_words; chars.len()], &[]).into_iter().map(|(_, r)| r).collect()
    }

    /// [`Lexicon::recognize`] of a run as typed, in hiragana, katakana or both (キャンセルホタンが;
    /// romaji as its hiragana), with the characters of the run each word was heard in. Two-kana
    /// words are looked for where there is hiragana; a slip in a word of three kana where those
    /// were typed in katakana (ホタン), of four otherwise.
    ///
    /// `grammar` is how IPADIC reads the run ([`crate::Analyzer::kana_grammar`]): its particles
    /// and endings are pieces a split may take, and a word that cuts through one of its words
    /// costs more ([`GRAMMAR_COST`]: イクラ|ニ|ソウトウ is not 尼僧 + 投資, ヨウ|ナ|ネガイ is not
    /// 宇奈根).
    pub fn recognize_typed(&self, typed: &str, grammar: &[KanaToken]) -> Vec<(std::ops::Range<usize>, Recognized)> {
        let katakana: Vec<bool> = typed.chars().map(|c| !kana::is_hiragana(c)).collect();
        let chars: Vec<char> = kana::to_katakana(typed).chars().collect();
        if chars.len() != katakana.len() {
            return Vec::new();
        }
        // Kana typed in katakana are a name or a loanword, whatever IPADIC reads in them
        // (ショートメール is not ショー|ト|メール): only its reading of the hiragana counts.
        let grammar: Vec<KanaToken> = grammar.iter().filter(|t| t.span.clone().all(|i| katakana.get(i) == Some(&false))).cloned().collect();
        self.recognize_chars(&chars, katakana.contains(&false), &katakana, &grammar)
    }

    fn recognize_chars(&self, chars: &[char], short_words: bool, katakana: &[bool], grammar: &[KanaToken]) -> Vec<(std::ops::Range<usize>, Recognized)> {
        // The stretches of the run are looked up once, for both splits.
        let stretches = self.stretches(chars, short_words, katakana, grammar);
        let exact = self.split(&stretches, false);
        // Kana the exact split could not explain, or explained only by a two-kana guess.
        let left: Vec<bool> = (0..chars.len())
            .map(|i| exact.iter().any(|p| (p.leftover || (p.word.is_some() && !p.compound && p.span.len() < SURE_READING_CHARS)) && p.span.contains(&i)))
            .collect();
        let heard = |p: Piece| Some((p.span, p.word?));
        if !left.contains(&true) {
            return exact.into_iter().filter_map(heard).collect();
        }
        // A word read with a slip is taken where it explains kana the exact split left over,
        // and only whole words of that split inside it give way: ガイイン → 会員 replaces the イン
        // heard in it, but never cuts through a word heard in full.
        let slipped: Vec<Piece> = self
            .split(&stretches, true)
            .into_iter()
            .filter(|p| p.word.as_ref().is_some_and(|w| w.reading.chars().ne(chars[p.span.clone()].iter().copied())))
            .filter(|p| p.span.clone().any(|i| left[i]))
            .filter(|p| {
                exact.iter().filter(|e| e.word.is_some() && e.span.start < p.span.end && p.span.start < e.span.end).all(|e| e.span.start >= p.span.start && e.span.end <= p.span.end)
            })
            .collect();
        let mut pieces: Vec<Piece> = exact
            .into_iter()
            .filter(|e| e.word.is_some() && !slipped.iter().any(|p| e.span.start >= p.span.start && e.span.end <= p.span.end))
            .collect();
        pieces.extend(slipped);
        pieces.sort_by_key(|p| p.span.start);
        pieces.into_iter().filter_map(heard).collect()
    }

    /// How rare the corpus words read `reading` are: `2 × log₂(most frequent / this)`, capped at
    /// [`MAX_RARITY`]; 0 without frequencies.
    fn rarity(&self, reading: &str) -> u32 {
        self.rarity_of(self.frequency.get(reading).copied().unwrap_or(1))
    }

    /// [`Lexicon::rarity`] of a reading the corpus uses `count` times.
    fn rarity_of(&self, count: u32) -> u32 {
        let most = self.most_frequent;
        if most == 0 {
            return 0;
        }
        let this = count.max(1);
        ((2.0 * (most as f32 / this as f32).log2()).round() as u32).min(MAX_RARITY)
    }

    /// Whether `word` was heard by a conjugated form: a verb or an adjective.
    pub fn conjugates(&self, word: &str) -> bool {
        self.conjugating.contains(word)
    }

    /// The reading of a verb's or adjective's base form heard in kana, as the index keeps it
    /// beside the word (かき回す: カキマワス).
    pub fn base_reading(&self, word: &str) -> Option<&str> {
        self.base_readings.get(word).map(String::as_str)
    }

    /// The corpus words read `reading` with one kana slipped ([`kana::slips`]). Every reading
    /// one slip away is offered, the one the corpus uses most first, as words read alike are
    /// (ホタン: 負担 or ボタン): the rest of the question chooses.
    fn lookup_slipped(&self, reading: &[char]) -> Option<Recognized> {
        self.lookup_slipped_by(reading, kana::slips)
    }

    /// [`Lexicon::lookup_slipped`] with the slips `slips` offers for each kana.
    fn lookup_slipped_by(&self, reading: &[char], slips: fn(char) -> &'static [char]) -> Option<Recognized> {
        let mut typed: Vec<char> = reading.to_vec();
        let mut found: Vec<(u32, String)> = Vec::new();
        let mut candidate = String::with_capacity(3 * reading.len());
        for at in 0..reading.len() {
            for &slip in slips(reading[at]) {
                typed[at] = slip;
                candidate.clear();
                candidate.extend(&typed);
                if self.readings.contains_key(&candidate) {
                    found.push((self.frequency.get(&candidate).copied().unwrap_or(0), candidate.clone()));
                }
            }
            typed[at] = reading[at];
        }
        found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        let mut found = found.into_iter().filter_map(|(_, r)| self.lookup(&r));
        let mut first = found.next()?;
        for other in found {
            for word in other.words() {
                if first.others.len() < 2 * WORDS_PER_READING && *word != first.word && !first.others.contains(word) {
                    first.others.push(word.clone());
                }
            }
        }
        Some(first)
    }

    /// The corpus word whose reading is closest to `reading` (at most one edit for readings of
    /// four to six kana, two from seven), if it is not already a known reading.
    pub fn correct(&self, reading: &str) -> Option<Recognized> {
        let typed: Vec<char> = reading.chars().collect();
        let n = typed.len();
        if self.readings.contains_key(reading) {
            return None;
        }
        // Three kana are one edit from too many words: only a slip (voicing, a vowel) is
        // taken, and only in katakana, where three kana are already a name (アンノ: アンネ).
        if n == SLIPPED_KATAKANA_CHARS && kana::is_katakana_word(reading) {
            return self.lookup_slipped(&typed);
        }
        if n < 4 {
            return None;
        }
        let r = self.near().find(reading, &typed)?;
        Some(Recognized {
            reading: r.to_string(),
            word: self.readings.get(&*r)?.clone(),
            others: Vec::new(),
        })
    }

    /// Whether the corpus has `word`, read `reading` (katakana).
    pub fn reads(&self, reading: &str, word: &str) -> bool {
        self.readings.get(reading).is_some_and(|w| w == word) || self.others.get(reading).is_some_and(|o| o.iter().any(|w| w == word))
    }

    /// Whether the corpus writes these nouns side by side, in this order, more than any other
    /// way of writing their readings: each part is (reading, term) ([`compounds`]).
    pub fn written_together(&self, parts: &[(&str, &str)]) -> bool {
        let reading: String = parts.iter().map(|(r, _)| *r).collect();
        self.compounds.get(reading.as_str()).is_some_and(|c| {
            let written: Vec<(usize, &str)> = c.parts().collect();
            written.len() == parts.len() && written.iter().zip(parts).all(|((n, term), (r, t))| *n == r.chars().count() && term == t)
        })
    }

    /// The katakana corpus words one kana slip away from the katakana word `word` (ボーア for
    /// ボーイ), the most used first.
    pub fn slipped_words(&self, word: &str) -> Vec<String> {
        let chars: Vec<char> = word.chars().collect();
        if chars.len() < SLIPPED_KATAKANA_CHARS || !kana::is_katakana_word(word) {
            return Vec::new();
        }
        self.lookup_slipped(&chars)
            .map(|r| r.words().filter(|w| kana::is_katakana_word(w) && *w != word).cloned().collect())
            .unwrap_or_default()
    }

    /// Group the readings for [`Lexicon::correct`] now, rather than at the first question that
    /// needs them.
    pub fn prepare(&self) {
        self.near();
    }

    fn near(&self) -> &Near {
        self.near.get_or_init(|| Arc::new(Near::of(&self.readings)))
    }

    /// The synonym groups with a member in `normalized_query`: (member found, the others).
    pub fn synonyms_in(&self, normalized_query: &str) -> Vec<(String, Vec<String>)> {
        let mut out = Vec::new();
        for group in &self.synonyms {
            // The longest member found stands for the group (携帯電話 before 携帯).
            let found = group
                .iter()
                .filter(|m| normalized_query.contains(m.as_str()))
                .max_by_key(|m| m.chars().count());
            if let Some(found) = found {
                let others = group
                    .iter()
                    .filter(|m| *m != found && !normalized_query.contains(m.as_str()))
                    .cloned()
                    .collect();
                out.push((found.clone(), others));
            }
        }
        out
    }
}

/// Katakana reading → corpus word → how often the word is read that way.
type Counts = HashMap<String, BTreeMap<String, usize>>;

/// Each reading's most frequent word, and the next most frequent ones (ties: the smallest
/// word first, so the result is stable). A reading with long-vowel marks is also kept without
/// them (ジョジ for ジョージ) where no word is read that way.
fn most_frequent(counts: Counts) -> (FastMap<String, String>, FastMap<String, Vec<String>>) {
    let mut readings = FastMap::default();
    let mut others = FastMap::default();
    let mut folded = Vec::new();
    for (reading, words) in counts {
        let mut words: Vec<(String, usize)> = words.into_iter().collect();
        words.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut words = words.into_iter().map(|(w, _)| w).take(WORDS_PER_READING);
        let Some(first) = words.next() else { continue };
        let rest: Vec<String> = words.collect();
        if let Some(f) = kana::without_long_vowels(&reading) {
            folded.push((f, first.clone(), rest.clone()));
        }
        if !rest.is_empty() {
            others.insert(reading.clone(), rest);
        }
        readings.insert(reading, first);
    }
    folded.sort();
    for (reading, first, rest) in folded {
        if let std::collections::hash_map::Entry::Vacant(slot) = readings.entry(reading.clone()) {
            slot.insert(first);
            if !rest.is_empty() {
                others.insert(reading, rest);
            }
        }
    }
    (readings, others)
}

/// Count the readings of the nouns of `pages`, and of the conjugated forms of their verbs and
/// adjectives written with kanji (使え → ツカエ → 使える, a form of three kana or more); collect
/// the terms they use, and which of the words heard conjugate.
fn count_readings(analyzer: &Analyzer, pages: &[Page]) -> Counted {
    let mut counts: Counts = HashMap::new();
    let mut vocabulary = HashSet::new();
    let mut conjugating = HashSet::new();
    let mut base_readings = HashMap::new();
    let mut compounds = CompoundCounts::new();
    for page in pages {
        // Tags too: a word a writer gave only as a tag (混雑) is still a word customers type.
        let text = format!(
            "{}\n{}\n{}\n{}",
            page.title,
            page.aliases.join("\n"),
            page.tags.join("\n"),
            page.plain_text()
        );
        let mut chain = Chain::default();
        for (m, spoken) in analyzer.spoken(&text) {
            chain.push(&m, &mut compounds);
            if m.content && !vocabulary.contains(&m.term) {
                vocabulary.insert(m.term.clone());
            }
            let conjugated = m.conjugates()
                && m.surface.chars().any(kana::is_kanji)
                && spoken.chars().count() >= SURE_READING_CHARS;
            // The words of a katakana compound are words too (メニーナス in ラス・メニーナス),
            // as the index has them.
            for word in crate::analysis::tokenizer::compound_words(&m.term) {
                vocabulary.insert(word.to_string());
                *counts.entry(word.to_string()).or_default().entry(word.to_string()).or_default() += 1;
            }
            // A conjugated word is heard by its form's reading; its base reading is kept aside.
            let (reading, base_reading) = if conjugated { (spoken, Some(m.reading)) } else { (m.reading, None) };
            if !m.content
                || !(m.pos == "名詞" || conjugated)
                || !kana::is_kana(&reading)
                || reading.chars().count() < MIN_READING_CHARS
            {
                continue;
            }
            if conjugated && !conjugating.contains(&m.term) {
                conjugating.insert(m.term.clone());
                if let Some(base) = base_reading.filter(|b| *b != m.term && !b.is_empty()) {
                    base_readings.insert(m.term.clone(), base);
                }
            }
            *counts
                .entry(reading)
                .or_default()
                .entry(m.term)
                .or_default() += 1;
        }
    }
    Counted { counts, vocabulary, conjugating, base_readings, compounds }
}

/// A writers' synonym no page writes (グーグル beside the pages' Google) is heard in kana like
/// a corpus word, once: typed ぐーぐる, it is heard as グーグル, and its group finds the pages.
/// Only a member of three kana or more that is written in katakana (ペイペイ) or that IPADIC
/// reads as one word.
fn hear_synonyms(analyzer: &Analyzer, synonyms: &[Vec<String>], counts: &mut Counts) {
    for member in synonyms.iter().flatten() {
        let member = normalize_str(member.trim());
        let (reading, term) = if kana::is_katakana_word(&member) {
            (member.clone(), member)
        } else {
            let morphemes = analyzer.analyze(&member);
            let [m] = morphemes.as_slice() else { continue };
            if !m.content {
                continue;
            }
            (m.reading.clone(), m.term.clone())
        };
        if kana::is_kana(&reading) && reading.chars().count() >= SURE_READING_CHARS {
            counts.entry(reading).or_default().entry(term).or_insert(1);
        }
    }
}

/// What [`count_readings`] found in some pages.
struct Counted {
    counts: Counts,
    /// Every content term.
    vocabulary: HashSet<String>,
    /// The terms heard by a conjugated form.
    conjugating: HashSet<String>,
    /// Their base forms' readings.
    base_readings: HashMap<String, String>,
    compounds: CompoundCounts,
}

/// The thesaurus cut down to this corpus: each trigger word's terms → the terms of its
/// synonyms whose every term occurs in the corpus.
fn general_synonyms(
    analyzer: &Analyzer,
    thesaurus: &Thesaurus,
    vocabulary: &HashSet<String>,
) -> FastMap<String, Vec<Vec<String>>> {
    let mut out: FastMap<String, Vec<Vec<String>>> = FastMap::default();
    for group in &thesaurus.groups {
        let analyzed: Vec<(Vec<String>, bool)> = group
            .iter()
            .map(|e| (analyzer.terms(&e.word), e.trigger))
            .filter(|(t, _)| !t.is_empty())
            .collect();
        // A synonym the corpus contains, and that is a word rather than loose characters (an
        // abbreviation like 名大 splits into 名 + 大, which would match anywhere).
        let present: Vec<&Vec<String>> = analyzed
            .iter()
            .map(|(t, _)| t)
            .filter(|t| t.iter().all(|w| vocabulary.contains(w)))
            .filter(|t| t.iter().any(|w| w.chars().count() >= 2))
            .collect();
        if present.is_empty() {
            continue;
        }
        for (terms, _) in analyzed.iter().filter(|(_, trigger)| *trigger) {
            let targets: Vec<Vec<String>> = present
                .iter()
                .filter(|p| **p != terms)
                .map(|p| (*p).clone())
                .collect();
            if targets.is_empty() {
                continue;
            }
            let entry = out.entry(terms.join(" ")).or_default();
            for t in targets {
                if !entry.contains(&t) {
                    entry.push(t);
                }
            }
        }
    }
    out
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
#[path = "lexicon/tests.rs"]
mod tests;
