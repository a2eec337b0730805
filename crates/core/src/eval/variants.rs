//! How does ranking hold up when customers type sloppily?
//!
//! A judged question can be rewritten the way customers really type it, and evaluated again:
//!
//! | variant | what it does | example |
//! |---|---|---|
//! | `hiragana` | every word written by its reading, in hiragana | 返品の送料 → へんぴんのそうりょう |
//! | `halfwidth` | katakana in half-width forms | パスワード → ﾊﾟｽﾜｰﾄﾞ |
//! | `long-vowel` | one long-vowel mark dropped inside a katakana word | ジョージ → ジョジ |
//! | `kana-slip` | one kana of a content word mistyped (voicing or vowel) | ぽいんと → ぼいんと |
//! | `keywords` | only the content words, separated by spaces | パスワードを忘れた → パスワード 忘れる |
//! | `chatty` | the question inside a polite, wordy message | すみません、… 教えてください |
//!
//! Each rewrite is deterministic: where a variant has a choice to make (which mark, which kana,
//! which wrapper), it is drawn from a hash of the query id, so two runs compare the same text.
//! A variant that finds nothing to change (no katakana, no long-vowel mark) leaves the question
//! as it is; [`VariantReport`] counts how many it changed.

use unicode_normalization::UnicodeNormalization;

use crate::analysis::{Analyzer, Morpheme, kana};

/// A way customers deviate from the writers' spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Original,
    Hiragana,
    HalfWidth,
    LongVowel,
    KanaSlip,
    Keywords,
    Chatty,
}

impl Variant {
    pub const ALL: [Variant; 7] = [
        Variant::Original,
        Variant::Hiragana,
        Variant::HalfWidth,
        Variant::LongVowel,
        Variant::KanaSlip,
        Variant::Keywords,
        Variant::Chatty,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Original => "original",
            Variant::Hiragana => "hiragana",
            Variant::HalfWidth => "halfwidth",
            Variant::LongVowel => "long-vowel",
            Variant::KanaSlip => "kana-slip",
            Variant::Keywords => "keywords",
            Variant::Chatty => "chatty",
        }
    }

    pub fn parse(name: &str) -> Option<Variant> {
        Self::ALL.into_iter().find(|v| v.name() == name)
    }

    /// `text` rewritten this way; `key` (the query id) decides the choices.
    pub fn apply(self, analyzer: &Analyzer, key: &str, text: &str) -> String {
        let seed = hash(self.name(), key);
        match self {
            Variant::Original => text.to_string(),
            Variant::Hiragana => hiragana(analyzer, text),
            Variant::HalfWidth => half_width(text),
            Variant::LongVowel => drop_long_vowel(text, seed),
            Variant::KanaSlip => kana_slip(analyzer, text, seed),
            Variant::Keywords => keywords(analyzer, text),
            Variant::Chatty => chatty(text, seed),
        }
    }
}

/// FNV-1a over the variant and the key: stable across runs and platforms.
fn hash(variant: &str, key: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in variant.bytes().chain([0]).chain(key.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Every morpheme written as its reading, in hiragana; Latin letters, digits and symbols kept.
fn hiragana(analyzer: &Analyzer, text: &str) -> String {
    let mut out = String::new();
    let mut at = 0;
    for (m, reading) in analyzer.spoken(text) {
        // What lies between morphemes (spaces) stays as typed.
        out.push_str(&text[at.min(m.start)..m.start]);
        let surface = &text[m.start..m.end];
        let readable = surface
            .chars()
            .any(|c| kana::is_kanji(c) || kana::is_katakana_word(&c.to_string()));
        if readable && kana::is_kana(&reading) {
            out.push_str(&kana::to_hiragana(&reading));
        } else {
            // No reading (a name the dictionary does not know): its katakana, at least.
            out.push_str(&kana::to_hiragana(surface));
        }
        at = m.end;
    }
    out.push_str(&text[at.min(text.len())..]);
    out
}

/// Katakana and Japanese punctuation in their half-width forms.
pub fn half_width(text: &str) -> String {
    let table = half_width_table();
    let mut out = String::new();
    for c in text.chars() {
        if let Some(half) = table.iter().find(|(full, _)| *full == c).map(|(_, h)| *h) {
            out.push(half);
            continue;
        }
        // Voiced and semi-voiced katakana: the base letter, then the half-width mark.
        let decomposed: Vec<char> = c.to_string().nfd().collect();
        match decomposed.as_slice() {
            [base, mark @ ('\u{3099}' | '\u{309A}')] if table.iter().any(|(f, _)| f == base) => {
                out.extend(table.iter().find(|(f, _)| f == base).map(|(_, h)| *h));
                out.push(if *mark == '\u{3099}' {
                    '\u{FF9E}'
                } else {
                    '\u{FF9F}'
                });
            }
            _ => out.push(c),
        }
    }
    out
}

/// Full-width character → its half-width form, read off Unicode's own compatibility mappings.
fn half_width_table() -> &'static [(char, char)] {
    static TABLE: std::sync::OnceLock<Vec<(char, char)>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        ('\u{FF61}'..='\u{FF9D}')
            .filter_map(|half| {
                let full: Vec<char> = half.to_string().nfkc().collect();
                match full.as_slice() {
                    [full] => Some((*full, half)),
                    _ => None,
                }
            })
            .collect()
    })
}

/// One long-vowel mark removed from a katakana word, preferably from inside the word; the
/// text as it is when it has none.
fn drop_long_vowel(text: &str, seed: u64) -> String {
    let chars: Vec<char> = text.chars().collect();
    let marks: Vec<usize> = (0..chars.len())
        .filter(|&i| chars[i] == 'ー' && i > 0 && is_katakana_letter(chars[i - 1]))
        .collect();
    let inside: Vec<usize> = marks
        .iter()
        .copied()
        .filter(|&i| chars.get(i + 1).is_some_and(|&c| is_katakana_letter(c)))
        .collect();
    let pool = if inside.is_empty() { &marks } else { &inside };
    if pool.is_empty() {
        return text.to_string();
    }
    let drop = pool[(seed % pool.len() as u64) as usize];
    chars
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != drop)
        .map(|(_, c)| c)
        .collect()
}

fn is_katakana_letter(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30FA}')
}

/// One kana of a content word of three or more characters mistyped: its voicing toggled
/// (ど ↔ と), or, where it has none, its vowel moved (か → き).
fn kana_slip(analyzer: &Analyzer, text: &str, seed: u64) -> String {
    let morphemes = analyzer.analyze(text);
    let candidates: Vec<usize> = morphemes
        .iter()
        .filter(|m| m.content && text[m.start..m.end].chars().count() >= 3)
        .flat_map(|m| {
            text[m.start..m.end]
                .char_indices()
                .map(move |(i, c)| (m.start + i, c))
        })
        .filter(|(_, c)| slip(*c).is_some())
        .map(|(at, _)| at)
        .collect();
    let Some(&at) = candidates.get((seed % candidates.len().max(1) as u64) as usize) else {
        return text.to_string();
    };
    let c = text[at..].chars().next().unwrap_or_default();
    let Some(replacement) = slip(c) else {
        return text.to_string();
    };
    format!(
        "{}{}{}",
        &text[..at],
        replacement,
        &text[at + c.len_utf8()..]
    )
}

/// The kana a slip of the finger turns `c` into, if `c` is a kana that can slip.
fn slip(c: char) -> Option<char> {
    let katakana = is_katakana_letter(c);
    let h = if katakana {
        kana::to_hiragana(&c.to_string()).chars().next()?
    } else {
        c
    };
    if !kana::is_hiragana(h) {
        return None;
    }
    let slipped = toggle_voicing(h).or_else(|| shift_vowel(h))?;
    Some(if katakana {
        kana::to_katakana(&slipped.to_string()).chars().next()?
    } else {
        slipped
    })
}

fn toggle_voicing(c: char) -> Option<char> {
    let decomposed: Vec<char> = c.to_string().nfd().collect();
    if let [base, '\u{3099}' | '\u{309A}'] = decomposed.as_slice() {
        return Some(*base);
    }
    let voiced: Vec<char> = format!("{c}\u{3099}").nfc().collect();
    match voiced.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

fn shift_vowel(c: char) -> Option<char> {
    const ROWS: [&str; 8] = [
        "あいうえお",
        "かきくけこ",
        "さしすせそ",
        "たちつてと",
        "なにぬねの",
        "はひふへほ",
        "まみむめも",
        "らりるれろ",
    ];
    ROWS.iter().find_map(|row| {
        let row: Vec<char> = row.chars().collect();
        let i = row.iter().position(|&r| r == c)?;
        Some(row[(i + 1) % row.len()])
    })
}

/// The content words only, as a customer types keywords: nouns written together stay one
/// keyword (会員 登録 → 会員登録), verbs and adjectives in their base form. A stretch typed in
/// kana without kanji (`たいかいしたら`) is kept as typed: the analyzer's split of hiragana is a
/// guess (たい かいす), and a customer who types kana already types the quick form.
fn keywords(analyzer: &Analyzer, text: &str) -> String {
    let chunks: Vec<&str> = text.split([' ', '　']).filter(|c| !c.is_empty()).collect();
    let kana_typed = |chunk: &str| chunk.chars().any(kana::is_hiragana) && !chunk.chars().any(kana::is_kanji);
    if chunks.len() > 1 || chunks.first().is_some_and(|c| kana_typed(c)) {
        let words: Vec<String> = chunks.iter().map(|c| if kana_typed(c) { c.to_string() } else { keywords_of_chunk(analyzer, c) }).collect();
        return words.join(" ");
    }
    keywords_of_chunk(analyzer, text)
}

fn keywords_of_chunk(analyzer: &Analyzer, text: &str) -> String {
    let morphemes = analyzer.analyze(text);
    let mut words: Vec<String> = Vec::new();
    let mut previous: Option<&Morpheme> = None;
    for m in &morphemes {
        if !m.content {
            previous = None;
            continue;
        }
        let word = if m.conjugates() {
            m.term.clone()
        } else {
            text[m.start..m.end].to_string()
        };
        match (previous, words.last_mut()) {
            (Some(p), Some(last)) if p.pos == "名詞" && m.pos == "名詞" && p.end == m.start => {
                last.push_str(&word)
            }
            _ => words.push(word),
        }
        previous = Some(m);
    }
    if words.is_empty() {
        text.to_string()
    } else {
        words.join(" ")
    }
}

/// The question wrapped in one of the polite, wordy messages customers send.
fn chatty(text: &str, seed: u64) -> String {
    let question = text
        .trim()
        .trim_end_matches(['?', '？', '。', '.', '!', '！']);
    let templates = [
        "すみません、ちょっとお聞きしたいのですが、{q}？",
        "{q}。よく分からなくて困っています。",
        "初めて利用するのですが、{q}？教えてください。",
        "{q}って、どうなっていますか？できれば早めに知りたいです。",
        "お世話になっております。{q}？よろしくお願いいたします。",
    ];
    templates[(seed % templates.len() as u64) as usize].replace("{q}", question)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyzer() -> &'static Analyzer {
        crate::analysis::tests::analyzer()
    }

    #[test]
    fn hiragana_writes_words_by_their_readings() {
        assert_eq!(hiragana(analyzer(), "返品の送料"), "へんぴんのそうりょう");
        assert_eq!(
            hiragana(analyzer(), "パスワードを忘れた"),
            "ぱすわーどをわすれた"
        );
        assert_eq!(
            hiragana(analyzer(), "PC 2台で使える？"),
            "PC 2だいでつかえる？"
        );
    }

    #[test]
    fn half_width_forms() {
        assert_eq!(half_width("パスワード、ガイド"), "ﾊﾟｽﾜｰﾄﾞ､ｶﾞｲﾄﾞ");
        assert_eq!(half_width("返品"), "返品");
        assert_eq!(
            crate::analysis::normalize_str(&half_width("ヴァイオリンのチケット")),
            "ヴァイオリンのチケット"
        );
    }

    #[test]
    fn a_long_vowel_inside_a_word_is_dropped_before_a_final_one() {
        assert_eq!(drop_long_vowel("ジョージ", 0), "ジョジ");
        assert_eq!(drop_long_vowel("サーバー", 7), "サバー");
        assert_eq!(drop_long_vowel("メール", 3), "メル");
        assert_eq!(drop_long_vowel("カバー", 3), "カバ");
        assert_eq!(
            drop_long_vowel("らーめん", 3),
            "らーめん",
            "hiragana words are left alone"
        );
    }

    #[test]
    fn slips_change_one_kana_of_a_content_word() {
        for key in ["a", "b", "c", "d"] {
            let slipped = Variant::KanaSlip.apply(analyzer(), key, "ポイントの有効期限");
            assert_ne!(slipped, "ポイントの有効期限");
            let differing = slipped
                .chars()
                .zip("ポイントの有効期限".chars())
                .filter(|(a, b)| a != b)
                .count();
            assert_eq!(differing, 1, "{slipped}");
            assert!(slipped.ends_with("の有効期限"), "{slipped}");
        }
        assert_eq!(slip('ど'), Some('と'));
        assert_eq!(slip('ト'), Some('ド'));
        assert_eq!(slip('な'), Some('に'));
        assert_eq!(slip('ー'), None);
    }

    #[test]
    fn keywords_keep_content_words() {
        assert_eq!(
            keywords(analyzer(), "パスワードを忘れてしまいました"),
            "パスワード 忘れる"
        );
        assert_eq!(
            keywords(analyzer(), "会員登録のしかたを教えてください"),
            "会員登録 しかた 教える"
        );
        assert_eq!(keywords(analyzer(), "たいかいしたらポイントどうなる"), "たいかいしたらポイントどうなる", "kana as typed");
        assert_eq!(keywords(analyzer(), "あとばらい 手数料"), "あとばらい 手数料");
    }

    #[test]
    fn the_same_key_gives_the_same_rewrite() {
        for v in Variant::ALL {
            let a = v.apply(analyzer(), "q1", "クーポンコードが使えないのはなぜ？");
            assert_eq!(
                a,
                v.apply(analyzer(), "q1", "クーポンコードが使えないのはなぜ？"),
                "{}",
                v.name()
            );
            assert_eq!(Variant::parse(v.name()), Some(v));
        }
        assert!(
            Variant::Chatty
                .apply(analyzer(), "q1", "返品できますか？")
                .contains("返品できます")
        );
    }
}
