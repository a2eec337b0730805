//! How does tantivy see the analyzer?
//!
//! Three tokenizers, registered together on every index opened for writing or reading by
//! [`register`]:
//! - [`names::TERMS`]: the content words, base forms for conjugated words (`できない` → `できる`).
//! - [`names::READINGS`]: katakana bigrams of the words' readings, so `へんぴん` meets `返品`
//!   whichever way the query is segmented.
//! - [`names::NGRAMS`]: character bigrams of the normalized text, a fallback for words the
//!   dictionary splits differently or does not know (`配信` inside `有料配信`). Never unigrams.
//!
//! Every token carries byte offsets into the *original* text, so tantivy's snippets highlight
//! the right characters even where normalization changed the text's length.

use tantivy::tokenizer::{TextAnalyzer, Token, TokenStream, Tokenizer};

use super::{Analyzer, Morpheme, Normalized, normalize};

/// Names the tokenizers are registered under.
pub mod names {
    pub const TERMS: &str = "kotae_ja";
    pub const READINGS: &str = "kotae_ja_reading";
    pub const NGRAMS: &str = "kotae_ja_ngram";
}

/// Register Kotae's tokenizers on `index`. Call it on every index you open.
pub fn register(index: &tantivy::Index, analyzer: &Analyzer) {
    let manager = index.tokenizers();
    manager.register(
        names::TERMS,
        TextAnalyzer::from(TermTokenizer(analyzer.clone())),
    );
    manager.register(
        names::READINGS,
        TextAnalyzer::from(ReadingTokenizer(analyzer.clone())),
    );
    manager.register(names::NGRAMS, TextAnalyzer::from(NgramTokenizer));
}

/// Content words of the text.
#[derive(Clone)]
pub struct TermTokenizer(pub Analyzer);

/// Katakana reading bigrams of the text's content words.
#[derive(Clone)]
pub struct ReadingTokenizer(pub Analyzer);

/// Character bigrams of the normalized text.
#[derive(Clone)]
pub struct NgramTokenizer;

/// A token stream over tokens computed up front.
pub struct VecTokenStream {
    tokens: Vec<Token>,
    next: usize,
}

impl VecTokenStream {
    fn new(tokens: Vec<Token>) -> Self {
        Self { tokens, next: 0 }
    }
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

fn token(text: String, position: usize, from: usize, to: usize) -> Token {
    Token {
        offset_from: from,
        offset_to: to,
        position,
        text,
        position_length: 1,
    }
}

impl Tokenizer for TermTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let tokens = indexed_term_tokens(&self.0.analyze_shared(text));
        VecTokenStream::new(tokens)
    }
}

/// The term tokens of analyzed text: content words, numbered without gaps so that
/// `パスワードの変更` and `パスワード変更` are both the phrase `パスワード 変更`.
///
/// A conjugating word (verb, adjective) also yields its base-form reading at the same position,
/// so that `つかない` meets `付きません` (both ツク) in the fields that count most.
pub fn term_tokens(morphemes: &[Morpheme]) -> Vec<Token> {
    let mut tokens = Vec::new();
    for (i, m) in morphemes.iter().filter(|m| m.content).enumerate() {
        tokens.push(token(m.term.clone(), i, m.start, m.end));
        if m.conjugates() && m.reading != m.term && !m.reading.is_empty() {
            tokens.push(token(m.reading.clone(), i, m.start, m.end));
        }
    }
    tokens
}

/// What the term fields index: [`term_tokens`]; beside each katakana compound the dictionary
/// does not know (スイッチング・バリア, マリー=アンヌ: one unknown word to it), its words, so that
/// バリア finds the page that writes スイッチング・バリア; and beside each katakana word with
/// long-vowel marks the word without them (ジョージ and ジョジ), so that a question that leaves
/// a mark out finds it. A question's ジョージ looks for ジョージ only: a mark typed is trusted,
/// and セール does not find セル. A question's compound looks for the compound.
pub fn indexed_term_tokens(morphemes: &[Morpheme]) -> Vec<Token> {
    let mut tokens = term_tokens(morphemes);
    let parts: Vec<Token> = tokens
        .iter()
        .flat_map(|t| compound_words(&t.text).into_iter().map(|w| token(w.to_string(), t.position, t.offset_from, t.offset_to)))
        .collect();
    let compounds = !parts.is_empty();
    tokens.extend(parts);
    let extra: Vec<Token> = tokens
        .iter()
        .filter(|t| super::kana::is_katakana_word(&t.text))
        .filter_map(|t| {
            Some(token(
                super::kana::without_long_vowels(&t.text)?,
                t.position,
                t.offset_from,
                t.offset_to,
            ))
        })
        .collect();
    if compounds || !extra.is_empty() {
        tokens.extend(extra);
        tokens.sort_by_key(|t| t.position);
    }
    tokens
}

/// The words of a katakana compound joined by ・ or = (ラス・メニーナス → ラス, メニーナス);
/// nothing for any other term.
pub fn compound_words(term: &str) -> Vec<&str> {
    let is_mark = |c: char| matches!(c, '・' | '=' | '＝');
    if !term.contains(is_mark) || !term.chars().all(|c| is_mark(c) || matches!(c, 'ァ'..='ヺ' | 'ー')) {
        return Vec::new();
    }
    term.split(is_mark).filter(|w| w.chars().count() >= 2).collect()
}

impl Tokenizer for ReadingTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        VecTokenStream::new(reading_tokens(&self.0.analyze_shared(text)))
    }
}

/// Reading bigrams over each run of consecutive content words.
///
/// A run's readings are joined before taking bigrams, so that a query segmented differently
/// from the document (`へん`+`ぴん` against `返品`) still yields the same bigrams.
pub fn reading_tokens(morphemes: &[Morpheme]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut run: Vec<(char, usize, usize)> = Vec::new();
    let flush = |run: &mut Vec<(char, usize, usize)>, tokens: &mut Vec<Token>| {
        bigrams_into(run, tokens);
        run.clear();
    };
    for m in morphemes {
        if !m.content {
            flush(&mut run, &mut tokens);
            continue;
        }
        // Only sounds: words without a kana reading (Latin letters, digits) are left to the
        // terms and character bigrams.
        if !super::kana::is_kana(&m.reading) {
            flush(&mut run, &mut tokens);
            continue;
        }
        for c in m.reading.chars() {
            run.push((c, m.start, m.end));
        }
    }
    flush(&mut run, &mut tokens);
    tokens
}

/// Push the bigrams of `chars` (each with the byte range of the text it came from).
/// A run of one character is emitted alone only if it is not a single kana, which would match
/// far too much.
fn bigrams_into(chars: &[(char, usize, usize)], tokens: &mut Vec<Token>) {
    if chars.len() == 1 {
        let (c, from, to) = chars[0];
        if !super::kana::is_kana(&c.to_string()) {
            tokens.push(token(c.to_string(), tokens.len(), from, to));
        }
        return;
    }
    tokens.reserve(chars.len().saturating_sub(1));
    for pair in chars.windows(2) {
        let mut text = String::with_capacity(pair[0].0.len_utf8() + pair[1].0.len_utf8());
        text.push(pair[0].0);
        text.push(pair[1].0);
        tokens.push(token(
            text,
            tokens.len(),
            pair[0].1,
            pair[1].2.max(pair[0].1),
        ));
    }
}

impl Tokenizer for NgramTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        VecTokenStream::new(indexed_ngrams(text))
    }
}

/// Runs of letters and digits of the normalized text (hiragana excluded), each character with
/// its byte range in the original text.
fn char_runs(normalized: &Normalized) -> Vec<Vec<(char, usize, usize)>> {
    let mut runs = Vec::new();
    let mut run: Vec<(char, usize, usize)> = Vec::new();
    let chars = normalized
        .text
        .char_indices()
        .map(|(i, c)| (c, i, i + c.len_utf8()));
    for (c, from, to) in chars {
        // Hiragana is left to the readings and terms: its bigrams are mostly particles and
        // endings, and would match everywhere.
        if (c.is_alphanumeric() || c == 'ー') && !is_hiragana(c) {
            let (ofrom, oto) = normalized.original_range(from, to);
            run.push((c, ofrom, oto));
        } else if !run.is_empty() {
            runs.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

/// Character bigrams over runs of letters and digits of the normalized text.
pub fn ngram_tokens(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    for run in char_runs(&normalize(text)) {
        bigrams_into(&run, &mut tokens);
    }
    tokens
}

/// What the character fields index: the bigrams of each run, and its trigrams; for a run with
/// long-vowel marks after katakana, also those of the run without them (グーテンベルク, and
/// グテンベルク), so that a question that leaves a mark out still matches three in a row.
pub fn indexed_ngrams(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    for run in char_runs(&normalize(text)) {
        ngrams_into(&run, &mut tokens);
        let marks = |i: usize| {
            run[i].0 == 'ー'
                && i > 0
                && super::normalize::is_katakana(run[i - 1].0)
                && run[i - 1].0 != 'ー'
        };
        if (0..run.len()).any(marks) {
            let folded: Vec<(char, usize, usize)> = (0..run.len())
                .filter(|&i| !marks(i))
                .map(|i| run[i])
                .collect();
            let mut more = Vec::new();
            ngrams_into(&folded, &mut more);
            more.retain(|t| {
                !tokens
                    .iter()
                    .any(|k| k.text == t.text && k.offset_from == t.offset_from)
            });
            tokens.extend(more);
        }
    }
    for (i, t) in tokens.iter_mut().enumerate() {
        t.position = i;
    }
    tokens
}

/// The bigrams and trigrams of one run.
fn ngrams_into(run: &[(char, usize, usize)], tokens: &mut Vec<Token>) {
    bigrams_into(run, tokens);
    trigrams_into(run, tokens);
}

/// Push the trigrams of `run`, each with the byte range of the text it came from.
fn trigrams_into(run: &[(char, usize, usize)], tokens: &mut Vec<Token>) {
    tokens.reserve(run.len().saturating_sub(2));
    for three in run.windows(3) {
        let mut text = String::with_capacity(three.iter().map(|c| c.0.len_utf8()).sum());
        text.extend(three.iter().map(|c| c.0));
        tokens.push(token(text, tokens.len(), three[0].1, three[2].2.max(three[0].1)));
    }
}

/// What a query looks for in the character fields: three characters in a row must match (so
/// `コンピュータ` does not match `データ` on `ータ` alone); a run of two is looked up as its
/// bigram, a lone character that is not kana as itself.
pub fn query_ngrams(text: &str) -> Vec<String> {
    query_ngrams_of(&normalize(text))
        .into_iter()
        .map(|t| t.text)
        .collect()
}

/// [`query_ngrams`] of a text already normalized, each once (at its first place), with its
/// offsets in the original text.
pub fn query_ngrams_of(normalized: &Normalized) -> Vec<Token> {
    let mut out = Vec::new();
    for run in char_runs(normalized) {
        if run.len() >= 3 {
            trigrams_into(&run, &mut out);
        } else {
            bigrams_into(&run, &mut out);
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    out.retain(|t| seen.insert(t.text.clone()));
    out
}

/// Katakana bigrams of the kana runs of `text`, whatever the morphology makes of them: a query
/// typed in kana (`あかうんと`) is often segmented into nonsense, but its sounds still match the
/// readings of the words it stands for.
pub fn kana_bigrams(text: &str) -> Vec<Token> {
    kana_bigrams_of(&normalize(text))
}

/// [`kana_bigrams`] of a text already normalized (offsets into the original text).
pub fn kana_bigrams_of(normalized: &Normalized) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut run: Vec<(char, usize, usize)> = Vec::new();
    for (from, c) in normalized.text.char_indices() {
        if super::kana::is_kana(c.encode_utf8(&mut [0; 4])) {
            let k = super::kana::to_katakana(c.encode_utf8(&mut [0; 4]));
            let (ofrom, oto) = normalized.original_range(from, from + c.len_utf8());
            run.extend(k.chars().map(|k| (k, ofrom, oto)));
        } else {
            if run.len() >= 2 {
                bigrams_into(&run, &mut tokens);
            }
            run.clear();
        }
    }
    if run.len() >= 2 {
        bigrams_into(&run, &mut tokens);
    }
    tokens
}

/// The bigrams of [`kana_bigrams`] that touch a content word of `morphemes` (the analysis of
/// the same `text`). The sounds of particles and endings alone (です, ですか, って, けど) are in
/// nearly every title and lift no page, but each is one more clause to weigh, and a long
/// colloquial question has many.
pub fn typed_sound_bigrams(normalized: &Normalized, morphemes: &[Morpheme]) -> Vec<Token> {
    let mut tokens = kana_bigrams_of(normalized);
    tokens.retain(|t| {
        morphemes
            .iter()
            .any(|m| m.content && m.start < t.offset_to && t.offset_from < m.end)
    });
    tokens
}

fn is_hiragana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{309F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(tokens: &[Token]) -> Vec<&str> {
        tokens.iter().map(|t| t.text.as_str()).collect()
    }

    #[test]
    fn ngrams_are_bigrams_never_unigrams() {
        let tokens = ngram_tokens("リング");
        assert_eq!(texts(&tokens), ["リン", "ング"]);
        let green = ngram_tokens("グリーン");
        assert!(
            tokens
                .iter()
                .all(|t| !green.iter().any(|g| g.text == t.text))
        );
        assert!(ngram_tokens("の").is_empty());
    }

    #[test]
    fn queries_look_for_trigrams_which_the_index_has_beside_bigrams() {
        assert_eq!(query_ngrams("リング"), ["リング"]);
        assert_eq!(query_ngrams("空港"), ["空港"]);
        assert_eq!(query_ngrams("色が"), ["色"]);
        assert!(query_ngrams("が").is_empty());
        let indexed = texts(&indexed_ngrams("関西国際空港"))
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>();
        assert!(indexed.contains(&"空港".to_string()) && indexed.contains(&"際空港".to_string()));
        let green: Vec<String> = indexed_ngrams("グリーン")
            .into_iter()
            .map(|t| t.text)
            .collect();
        assert!(!green.contains(&"リング".to_string()) && !green.iter().any(|g| g == "ング"));
    }

    #[test]
    fn kana_runs_become_katakana_bigrams() {
        assert_eq!(
            texts(&kana_bigrams("あかうんと ろっく")),
            ["アカ", "カウ", "ウン", "ント", "ロッ", "ック"]
        );
        assert!(kana_bigrams("返品").is_empty());
    }

    #[test]
    fn katakana_compounds_are_indexed_with_their_words() {
        assert_eq!(compound_words("ポイント・クーポン"), ["ポイント", "クーポン"]);
        assert_eq!(compound_words("マリー=アンヌ"), ["マリー", "アンヌ"]);
        assert!(compound_words("クーポン").is_empty());
        assert!(compound_words("A・B").is_empty(), "only katakana compounds");
        let analyzer = crate::analysis::tests::analyzer();
        let tokens = indexed_term_tokens(&analyzer.analyze("ラス・メニーナスの構成"));
        let at = |text: &str| tokens.iter().find(|t| t.text == text).map(|t| t.position);
        assert_eq!(at("ラス・メニーナス"), Some(0));
        assert_eq!(at("メニーナス"), Some(0), "its words stand at its place");
        assert_eq!(at("構成"), Some(1));
        assert!(tokens.windows(2).all(|w| w[0].position <= w[1].position));
    }

    #[test]
    fn typed_sounds_are_kept_only_where_they_touch_a_content_word() {
        // 「すまほですか」 as スマホ (content) + です + か (not).
        let text = "すまほですか";
        let morpheme = |surface: &str, start: usize, content: bool| Morpheme {
            term: surface.to_string(),
            surface: surface.to_string(),
            reading: String::new(),
            pos: String::new(),
            content,
            start,
            end: start + surface.len(),
        };
        let morphemes = [
            morpheme("すまほ", 0, true),
            morpheme("です", 9, false),
            morpheme("か", 15, false),
        ];
        // ホデ crosses from the word into the ending: kept; デス and スカ are endings only.
        assert_eq!(
            texts(&typed_sound_bigrams(&normalize(text), &morphemes)),
            ["スマ", "マホ", "ホデ"]
        );
        assert_eq!(
            texts(&kana_bigrams(text)),
            ["スマ", "マホ", "ホデ", "デス", "スカ"]
        );
        assert!(
            typed_sound_bigrams(
                &normalize("ですか"),
                &[morpheme("です", 0, false), morpheme("か", 6, false)]
            )
            .is_empty()
        );
    }

    #[test]
    fn ngram_offsets_point_into_the_original() {
        let original = "ｷｬﾝｾﾙ料";
        let tokens = ngram_tokens(original);
        assert_eq!(tokens[0].text, "キャ");
        assert_eq!(&original[tokens[0].offset_from..tokens[0].offset_to], "ｷｬ");
        let last = tokens.last().unwrap();
        assert_eq!(last.text, "ル料");
        assert_eq!(&original[last.offset_from..last.offset_to], "ﾙ料");
    }
}
