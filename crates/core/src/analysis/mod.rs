//! How is Japanese text turned into search terms?
//!
//! Text is [normalized](normalize()) (NFKC, case, long-vowel marks), then segmented into
//! morphemes by lindera with IPADIC ([`dictionary`]). Each morpheme keeps its byte range in the
//! *original* text, its dictionary base form and its katakana reading. Function words
//! (particles, auxiliaries, symbols) are marked so that they never dominate ranking.
//!
//! [`tokenizer`] adapts this to tantivy: the same analyzer is registered for indexing and for
//! queries, under the names in [`tokenizer::names`].

pub mod dictionary;
pub mod kana;
pub mod normalize;
pub mod romaji;
pub mod tokenizer;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use lindera::mode::Mode;
use lindera::segmenter::Segmenter;
use lindera_dictionary::viterbi::Lattice;

pub use dictionary::DictionaryConfig;
pub use normalize::{Normalized, is_normalized, normalize, normalize_str};

use crate::error::Result;

/// A morpheme of analyzed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Morpheme {
    /// The search term: the dictionary base form for conjugated words, otherwise the
    /// normalized surface.
    pub term: String,
    /// The normalized surface form as it appears in the text.
    pub surface: String,
    /// The reading in katakana (from the dictionary; the surface in katakana for unknown words).
    pub reading: String,
    /// Major part of speech (名詞, 動詞, 助詞...).
    pub pos: String,
    /// Whether this morpheme carries meaning for search (not a particle, symbol, auxiliary...).
    pub content: bool,
    /// Byte range in the original, un-normalized text.
    pub start: usize,
    pub end: usize,
}

impl Morpheme {
    /// Whether this is a verb or an adjective, whose term is its base form.
    pub fn conjugates(&self) -> bool {
        matches!(self.pos.as_str(), "動詞" | "形容詞")
    }
}

/// The Japanese analyzer: cheap to clone, safe to share between threads.
#[derive(Clone)]
pub struct Analyzer {
    segmenter: Arc<Segmenter>,
    /// IPADIC keyed by reading ([`dictionary::load_readings`]); none if it could not be built.
    readings: Option<Arc<Segmenter>>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer").finish_non_exhaustive()
    }
}

thread_local! {
    static LATTICE: RefCell<Lattice> = RefCell::new(Lattice::default());
    static READING_LATTICE: RefCell<Lattice> = RefCell::new(Lattice::default());
    static RECENT: RefCell<Recent> = RefCell::new(Recent::default());
}

/// The last few texts a thread analyzed, with their morphemes. Indexing analyzes each text of a
/// document twice in a row (for its word field, then for its reading field, on the same
/// thread); the second time is a lookup.
#[derive(Default)]
struct Recent {
    entries: std::collections::VecDeque<(String, Rc<Vec<Morpheme>>)>,
}

/// How many texts [`Recent`] keeps: a document's title, heading, aliases, tags and body.
const RECENT_TEXTS: usize = 12;

/// Base forms of verbs that appear in almost every question and mean nothing on their own.
const STOP_BASE_FORMS: &[&str] = &["する", "ある", "いる", "なる", "れる", "られる", "せる", "させる", "くださる", "いただく"];

impl Analyzer {
    /// Load the dictionary described by `config` (compiling it once if needed).
    pub fn load(config: &DictionaryConfig) -> Result<Self> {
        let dictionary = dictionary::load(config)?;
        let segmenter = Segmenter::new(Mode::Normal, dictionary, None);
        let readings = match dictionary::load_readings(config) {
            Ok(d) => Some(Arc::new(Segmenter::new(Mode::Normal, d, None))),
            Err(e) => {
                tracing::warn!(error = %e, "no reading dictionary: kana runs are split without IPADIC's grammar");
                None
            }
        };
        Ok(Self { segmenter: Arc::new(segmenter), readings })
    }

    /// Load the dictionary configured by the environment (see [`DictionaryConfig::from_env`]).
    pub fn from_env() -> Result<Self> {
        Self::load(&DictionaryConfig::from_env())
    }

    /// Analyze `text` into morphemes, function words included (see [`Morpheme::content`]).
    pub fn analyze(&self, text: &str) -> Vec<Morpheme> {
        let normalized = normalize(text);
        self.analyze_normalized(&normalized)
    }

    /// [`Analyzer::analyze`], reusing the result when this thread analyzed the same text
    /// moments ago: indexing analyzes each value twice in a row, for its word field and then for
    /// its reading field, and the second time is a lookup among the thread's last few texts.
    pub fn analyze_shared(&self, text: &str) -> Rc<Vec<Morpheme>> {
        let hit = RECENT.with(|r| r.borrow().entries.iter().find(|(t, _)| t == text).map(|(_, m)| m.clone()));
        if let Some(morphemes) = hit {
            return morphemes;
        }
        let morphemes = Rc::new(self.analyze(text));
        RECENT.with(|r| {
            let mut r = r.borrow_mut();
            if r.entries.len() == RECENT_TEXTS {
                r.entries.pop_front();
            }
            r.entries.push_back((text.to_string(), morphemes.clone()));
        });
        morphemes
    }

    /// Analyze text that was already normalized with [`normalize()`].
    pub fn analyze_normalized(&self, normalized: &Normalized) -> Vec<Morpheme> {
        self.parts(normalized)
            .into_iter()
            .map(|p| {
                let (start, end) = normalized.original_range(p.start, p.end);
                p.into_morpheme(start, end)
            })
            .collect()
    }

    /// Each morpheme of `text` with the dictionary reading of its surface, in katakana, as it
    /// would be typed in kana (東京 トウキョウ, 忘れ ワスレ; unknown words: the surface). What the
    /// evaluation's sloppy variants write a question with.
    pub fn spoken(&self, text: &str) -> Vec<(Morpheme, String)> {
        let normalized = normalize(text);
        self.parts(&normalized)
            .into_iter()
            .map(|p| {
                let reading = match p.reading {
                    Some(r) => kana::to_katakana(&normalize_str(r)),
                    None => kana::to_katakana(p.surface),
                };
                let (start, end) = normalized.original_range(p.start, p.end);
                (p.into_morpheme(start, end), reading)
            })
            .collect()
    }

    /// The lindera tokens of normalized text, blank ones left out.
    fn parts<'a>(&'a self, normalized: &'a Normalized) -> Vec<Parts<'a>> {
        let text = normalized.text.as_str();
        if text.trim().is_empty() {
            return Vec::new();
        }
        let tokens = LATTICE.with(|lattice| {
            let mut lattice = lattice.borrow_mut();
            self.segmenter
                .segment_with_lattice(std::borrow::Cow::Borrowed(text), &mut lattice)
                .map(|tokens| tokens.iter().map(|t| to_parts(text, t)).collect::<Vec<_>>())
        });
        let tokens = match tokens {
            Ok(tokens) => tokens,
            Err(e) => {
                tracing::warn!(error = %e, "segmentation failed; treating the text as one word");
                vec![Parts::unknown(text, 0, text.len())]
            }
        };
        tokens
            .into_iter()
            .filter(|p| !p.surface.trim().is_empty())
            .collect()
    }

    /// How a run of kana (in katakana) reads as Japanese: IPADIC's cheapest reading of it,
    /// word by word, as a kana-kanji converter would read it (ツイテイル: ツイ|テ|イル). Empty
    /// without the reading dictionary.
    pub fn kana_grammar(&self, katakana: &str) -> Vec<KanaToken> {
        let Some(readings) = &self.readings else { return Vec::new() };
        if katakana.is_empty() {
            return Vec::new();
        }
        // Byte offsets to character offsets.
        let mut chars: Vec<usize> = katakana.char_indices().map(|(i, _)| i).collect();
        chars.push(katakana.len());
        let at = |byte: usize| chars.binary_search(&byte).unwrap_or_else(|i| i);
        let tokens = READING_LATTICE.with(|lattice| {
            let mut lattice = lattice.borrow_mut();
            readings.segment_with_lattice(std::borrow::Cow::Borrowed(katakana), &mut lattice).map(|tokens| {
                tokens
                    .into_iter()
                    .map(|t| {
                        let span = at(t.byte_start)..at(t.byte_end);
                        let unknown = t.word_id.is_unknown();
                        let details = details(&t);
                        let part = |i: usize| details[i];
                        let kind = if unknown {
                            KanaTokenKind::Unknown
                        } else if is_grammar(part(0), part(1), part(6)) {
                            KanaTokenKind::Grammar
                        } else {
                            KanaTokenKind::Word
                        };
                        KanaToken { span, kind }
                    })
                    .collect::<Vec<_>>()
            })
        });
        tokens.unwrap_or_default()
    }

    /// The content terms of `text`, in order: what a query searches for.
    pub fn terms(&self, text: &str) -> Vec<String> {
        self.analyze(text).into_iter().filter(|m| m.content).map(|m| m.term).collect()
    }
}

/// A word of a kana run as IPADIC reads it ([`Analyzer::kana_grammar`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KanaToken {
    /// The characters of the run it spans.
    pub span: std::ops::Range<usize>,
    pub kind: KanaTokenKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KanaTokenKind {
    /// A particle, an auxiliary, a dependent verb (いる in ている) or a form of する: what lies
    /// between words.
    Grammar,
    /// A word of the dictionary.
    Word,
    /// Kana the dictionary has no word for (names, loanwords).
    Unknown,
}

/// Whether an IPADIC entry (part of speech, its detail, base form) is grammar rather than a
/// word: particles, auxiliaries, dependent and suffix verbs, and する.
fn is_grammar(pos: &str, detail: &str, base: &str) -> bool {
    matches!(pos, "助詞" | "助動詞" | "記号") || (pos == "動詞" && (matches!(detail, "非自立" | "接尾") || base == "する"))
}

/// What we take out of a lindera token: its surface (in the text analyzed) and its details
/// (in the dictionary), borrowed.
struct Parts<'a> {
    surface: &'a str,
    pos: &'a str,
    pos_detail: &'a str,
    base: Option<&'a str>,
    reading: Option<&'a str>,
    start: usize,
    end: usize,
}

/// The first eight IPADIC details of a token (pos, pos1, pos2, pos3, conjugation type and form,
/// base form, reading), read from its dictionary in place, as `Token::details` reads them ("" for
/// a detail the entry does not have). `Token::details` collected them into two new vectors per
/// token: most of the allocations of analyzing a question.
fn details<'a>(token: &lindera::token::Token<'a>) -> [&'a str; 8] {
    let (dictionary, id) = (token.dictionary, token.word_id.id() as usize);
    if token.word_id.is_system() && !token.word_id.is_unknown() {
        let words = &*dictionary.prefix_dictionary;
        if let Some(details) = system_details(&words.words_idx_data, &words.words_data, id) {
            return details;
        }
    }
    let fields = if token.word_id.is_unknown() {
        dictionary.unknown_word_details_iter(id)
    } else if token.word_id.is_system() {
        dictionary.word_details_iter(id)
    } else {
        match token.user_dictionary {
            Some(user) => user.word_details_iter(id),
            None => lindera_dictionary::dictionary::DetailFields::unk(),
        }
    };
    let mut details = [""; 8];
    for (slot, field) in details.iter_mut().zip(fields) {
        *slot = field;
    }
    details
}

/// [`details`] of the system dictionary's entry `id`, split here: lindera's iterator checks
/// the entry as UTF-8, counts its fields, then splits it with a searcher per field (about 700
/// instructions a token; a page's analysis for the verdict reads some 1,200 tokens). The same
/// fields, and `None` where lindera would not find them (the entry missing or not UTF-8): then
/// lindera's own fallback applies.
fn system_details<'a>(index: &[u8], words: &'a [u8], id: usize) -> Option<[&'a str; 8]> {
    let u32_at = |bytes: &[u8], at: usize| Some(u32::from_le_bytes(bytes.get(at..at.checked_add(4)?)?.try_into().ok()?) as usize);
    let at = u32_at(index, id.checked_mul(4)?)?;
    let len = u32_at(words, at)?;
    let entry = std::str::from_utf8(words.get(at + 4..(at + 4).checked_add(len)?)?).ok()?;
    let mut details = [""; 8];
    let (mut field, mut start) = (0, 0);
    // A NUL byte is only ever the NUL character in UTF-8: the fields split on bytes are whole.
    for (i, &byte) in entry.as_bytes().iter().enumerate() {
        if byte == 0 {
            details[field] = &entry[start..i];
            field += 1;
            start = i + 1;
            if field == details.len() {
                return Some(details);
            }
        }
    }
    details[field] = &entry[start..];
    Some(details)
}

/// The parts of a token of `text` (segmented borrowed: the token's surface is borrowed from it).
fn to_parts<'a>(text: &'a str, token: &lindera::token::Token<'a>) -> Parts<'a> {
    let surface: &'a str = match token.surface {
        std::borrow::Cow::Borrowed(surface) => surface,
        std::borrow::Cow::Owned(_) => &text[token.byte_start..token.byte_end],
    };
    let (start, end) = (token.byte_start, token.byte_end);
    let details = details(token);
    let field = |i: usize| Some(details[i]).filter(|v| !v.is_empty() && *v != "*");
    // IPADIC details: pos, pos1, pos2, pos3, conj type, conj form, base form, reading, pron.
    Parts {
        pos: field(0).unwrap_or("UNK"),
        pos_detail: field(1).unwrap_or(""),
        base: field(6),
        reading: field(7),
        surface,
        start,
        end,
    }
}

impl<'a> Parts<'a> {
    fn unknown(text: &'a str, start: usize, end: usize) -> Self {
        Parts { surface: &text[start..end], pos: "UNK", pos_detail: "", base: None, reading: None, start, end }
    }

    fn into_morpheme(self, start: usize, end: usize) -> Morpheme {
        let conjugates = matches!(self.pos, "動詞" | "形容詞");
        // The base form normalized, once (for the term and the reading).
        let base = self.base.filter(|_| conjugates).map(normalize_str);
        let term = match &base {
            Some(base) => base.clone(),
            None => self.surface.to_string(),
        };
        // A word written in kana is one word whichever kana it is written in (ごみ, ゴミ): its
        // term is the katakana form. Conjugating words keep their base form (their reading
        // joins the spellings, see `tokenizer::term_tokens`).
        let term = if !conjugates && kana::is_kana(&term) { kana::into_katakana(term) } else { term };
        let term = if kana::is_katakana_word(&term) { kana::into_folded(term) } else { term };
        let content = is_content(self.pos, self.pos_detail, &term, self.surface);
        let surface_reading = match self.reading {
            Some(r) => kana::into_katakana(normalize_str(r)),
            None => kana::to_katakana(self.surface),
        };
        // Conjugated words are read in their base form, so that 付きません and つかない
        // share the reading ツク.
        let reading = match &base {
            Some(base) => base_reading(self.surface, base, &surface_reading).unwrap_or(surface_reading),
            None => surface_reading,
        };
        let reading = kana::into_folded(reading);
        Morpheme { term, surface: self.surface.to_string(), reading, pos: self.pos.to_string(), content, start, end }
    }
}

/// The reading of a conjugated word's base form, from the reading of its surface: the surface
/// and the base share a stem, and the reading ends with the surface's kana ending, which is
/// replaced by the base's (付き, ツキ, 付く → ツク).
fn base_reading(surface: &str, base: &str, reading: &str) -> Option<String> {
    let stem = surface.chars().zip(base.chars()).take_while(|(a, b)| a == b).count();
    let surface_tail = kana::to_katakana(&surface.chars().skip(stem).collect::<String>());
    let base_tail = kana::to_katakana(&base.chars().skip(stem).collect::<String>());
    if !kana::is_kana(&base_tail) && !base_tail.is_empty() {
        return None;
    }
    let head = reading.strip_suffix(surface_tail.as_str())?;
    Some(format!("{head}{base_tail}"))
}

fn is_content(pos: &str, detail: &str, term: &str, surface: &str) -> bool {
    match pos {
        "助詞" | "助動詞" | "記号" | "フィラー" | "接続詞" | "感動詞" | "連体詞" | "BOS/EOS" => false,
        // 何 also counts (何回, 何枚): a question word whatever its part of speech.
        "名詞" if matches!(detail, "非自立" | "代名詞") || term == "何" => false,
        "動詞" if detail == "非自立" || STOP_BASE_FORMS.contains(&term) => false,
        "形容詞" if detail == "非自立" => false,
        // A lone long-vowel mark (ー) or symbols are not words.
        _ => surface.chars().any(|c| c.is_alphanumeric() && c != 'ー'),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::OnceLock;

    /// The analyzer over the dictionary the environment names (Debian's IPADIC by default).
    pub(crate) fn analyzer() -> &'static Analyzer {
        static ANALYZER: OnceLock<Analyzer> = OnceLock::new();
        ANALYZER.get_or_init(|| Analyzer::from_env().expect("IPADIC is installed (apt-get install -y mecab-ipadic)"))
    }

    fn terms(text: &str) -> Vec<String> {
        analyzer().terms(text)
    }

    #[test]
    fn kana_are_read_word_by_word_with_their_grammar() {
        let run = "ツイテイルモノハナニ";
        let read: Vec<(String, KanaTokenKind)> = analyzer()
            .kana_grammar(run)
            .into_iter()
            .map(|t| (run.chars().skip(t.span.start).take(t.span.len()).collect(), t.kind))
            .collect();
        let grammar = KanaTokenKind::Grammar;
        assert_eq!(read[..3], [("ツイ".to_string(), KanaTokenKind::Word), ("テ".into(), grammar), ("イル".into(), grammar)], "{read:?}");
        assert!(read.contains(&("ハ".into(), grammar)), "{read:?}");
    }

    #[test]
    fn particles_and_auxiliaries_are_not_search_terms() {
        assert_eq!(terms("パスワードを忘れてしまいました"), ["パスワード", "忘れる"]);
    }

    #[test]
    fn conjugated_words_use_their_base_form() {
        assert!(terms("ログインできない").contains(&"できる".to_string()));
        assert_eq!(terms("届かない"), terms("届きます"));
    }

    #[test]
    fn width_variants_give_the_same_terms() {
        assert_eq!(terms("ｷｬﾝｾﾙ"), terms("キャンセル"));
        assert_eq!(terms("ＰＣ"), terms("pc"));
        assert_eq!(terms("ダメ"), terms("ﾀﾞﾒ"));
    }

    #[test]
    fn readings_are_katakana_and_base_form_for_verbs() {
        let m = analyzer().analyze("返品が付きません");
        assert_eq!(m[0].reading, "ヘンピン");
        let verb = m.iter().find(|m| m.term == "付く").expect("付く");
        assert_eq!(verb.reading, "ツク");
        let kana = analyzer().analyze("つかない");
        assert_eq!(kana[0].reading, "ツク");
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let text = "ﾊﾟｽﾜｰﾄﾞを忘れた";
        let m = analyzer().analyze(text);
        assert_eq!(&text[m[0].start..m[0].end], "ﾊﾟｽﾜｰﾄﾞ");
        assert_eq!(m[0].term, "パスワード");
    }

    #[test]
    fn long_vowel_and_vu_variants_meet() {
        assert_eq!(terms("サーバ"), terms("サーバー"));
        assert_eq!(terms("プリンタ"), terms("プリンター"));
        assert_eq!(terms("ヴァイオリン"), terms("バイオリン"));
        assert_eq!(terms("ダメ")[0], "ダメ");
        assert_eq!(analyzer().analyze("だめ")[0].reading, analyzer().analyze("ダメ")[0].reading);
    }

    #[test]
    fn a_lone_long_vowel_mark_is_not_a_word() {
        assert!(analyzer().analyze("ー").iter().all(|m| !m.content));
        for query in ["らぐびーぼーるのかたちは？", "ほーほーどり", "ーー"] {
            assert!(
                !terms(query).iter().any(|t| t.chars().all(|c| c == 'ー')),
                "{query}: {:?}",
                terms(query)
            );
        }
    }

    #[test]
    fn a_word_in_hiragana_or_katakana_is_one_word() {
        assert_eq!(terms("ごみ"), terms("ゴミ"));
        assert_eq!(terms("りんご"), terms("リンゴ"));
        assert_eq!(terms("のし"), ["ノシ"]);
    }

    #[test]
    fn a_dictionary_entry_s_details_are_lindera_s() {
        // Every 37th entry of IPADIC (about 10,000), and ids past the end.
        let dictionary = &analyzer().segmenter.dictionary;
        let words = &*dictionary.prefix_dictionary;
        let entries = words.words_idx_data.len() / 4;
        assert!(entries > 300_000, "IPADIC has {entries} entries");
        for id in (0..entries).step_by(37).chain([entries - 1]) {
            let ours = system_details(&words.words_idx_data, &words.words_data, id).expect("an entry of the dictionary");
            let mut lindera = [""; 8];
            for (slot, field) in lindera.iter_mut().zip(dictionary.word_details_iter(id)) {
                *slot = field;
            }
            assert_eq!(ours, lindera, "entry {id}");
        }
        assert_eq!(system_details(&words.words_idx_data, &words.words_data, entries), None, "no such entry");
    }

    #[test]
    fn base_readings() {
        assert_eq!(base_reading("付き", "付く", "ツキ").as_deref(), Some("ツク"));
        assert_eq!(base_reading("できな", "できる", "デキナ").as_deref(), Some("デキル"));
        assert_eq!(base_reading("行っ", "行く", "イッ").as_deref(), Some("イク"));
        assert_eq!(base_reading("見", "見る", "ミ").as_deref(), Some("ミル"));
        assert_eq!(base_reading("でき", "できる", "デキ").as_deref(), Some("デキル"));
        assert_eq!(base_reading("届か", "届く", "トドカ").as_deref(), Some("トドク"));
    }
}
