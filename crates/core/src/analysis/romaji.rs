//! How is a word typed in romaji (`henpin`, `pasuwa-do`) written in hiragana?
//!
//! Customers without a Japanese input method type words in Latin letters. [`to_hiragana`]
//! reads one such word, in Hepburn or in the spellings Japanese input methods accept
//! (`shi`/`si`, `chi`/`ti`, `tsu`/`tu`, `fu`/`hu`, `ji`/`zi`, `sha`/`sya`, `cha`/`tya`,
//! `ja`/`jya`/`zya`...), and returns it in hiragana, or `None` if some part of it is not romaji.
//!
//! - Syllabic `n`: `n` before a consonant or at the end, `nn`, and `n'` are ん; `n` before a
//!   vowel or `y` starts a syllable (`kani` かに, `kan'i` かんい, `konnichiwa` こんにちわ).
//!   `m` before `b` or `p` is ん too (traditional Hepburn: `shimbun` しんぶん).
//! - A doubled consonant is っ (`kitte` きって, `kocchi` こっち), as is `t` before `ch`
//!   (`matcha` まっちゃ).
//! - `-` is the long-vowel mark ー (`pasuwa-do` ぱすわーど); long vowels otherwise stay as
//!   written (`toukyou` とうきょう, `tokyo` ときょ); macrons are not read.
//! - `wa` is わ and `wo` is を: whether a particle was meant cannot be known from one word.
//!
//! Upper-case letters are read as lower case. Digits, spaces and other symbols make the word
//! unconvertible. English words may convert (`pine` ぴね); callers decide what to do
//! with the result.

/// Convert one word written in romaji into hiragana; `None` if any part of it is not romaji
/// (`xyz`, `abc`, digits, spaces, an empty string).
pub fn to_hiragana(input: &str) -> Option<String> {
    if input.is_empty() || !input.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-' || b == b'\'') {
        return None;
    }
    let word: Vec<u8> = input.bytes().map(|b| b.to_ascii_lowercase()).collect();
    let at = |i: usize| word.get(i).copied();
    let mut out = String::new();
    let mut i = 0;
    while i < word.len() {
        let c = word[i];
        match c {
            // The long-vowel mark only lengthens something already written.
            b'-' if !out.is_empty() => {
                out.push('ー');
                i += 1;
            }
            b'n' if !at(i + 1).is_some_and(starts_n_syllable) => {
                out.push('ん');
                i += match at(i + 1) {
                    // `n'` separates ん from a following vowel: `kan'i`.
                    Some(b'\'') => 2,
                    // `nn` is ん, unless the second `n` starts a syllable: `konnichiwa`.
                    Some(b'n') if !at(i + 2).is_some_and(starts_n_syllable) => 2,
                    _ => 1,
                };
            }
            b'm' if matches!(at(i + 1), Some(b'b' | b'p')) => {
                out.push('ん');
                i += 1;
            }
            _ if is_consonant(c) && (at(i + 1) == Some(c) || (c == b't' && at(i + 1) == Some(b'c'))) => {
                // A doubled consonant (or Hepburn's `tch`) is a small tsu; what follows must
                // still be a syllable, which the next round checks.
                out.push('っ');
                i += 1;
            }
            _ => {
                let (kana, len) = (1..=4)
                    .rev()
                    .filter(|len| i + len <= word.len())
                    .find_map(|len| syllable(&word[i..i + len]).map(|k| (k, len)))?;
                out.push_str(kana);
                i += len;
            }
        }
    }
    Some(out)
}

/// Whether `s` is one word of romaji: ASCII letters (with `-` and `'`) that [`to_hiragana`]
/// converts entirely. `henpin` and `Kyanseru` are; `xyz`, `abc`, `100yen` and `` are not.
pub fn is_romaji_word(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_alphabetic()) && to_hiragana(s).is_some()
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'i' | b'u' | b'e' | b'o')
}

/// Letters that may be doubled into っ (every consonant but `n`, whose double is ん).
fn is_consonant(c: u8) -> bool {
    c.is_ascii_lowercase() && !is_vowel(c) && c != b'n'
}

/// Whether `c`, after an `n`, makes the `n` part of a syllable (`na`, `nya`) rather than ん.
fn starts_n_syllable(c: u8) -> bool {
    is_vowel(c) || c == b'y'
}

/// The hiragana of one syllable of romaji (without doubling or syllabic `n`).
fn syllable(s: &[u8]) -> Option<&'static str> {
    let s = std::str::from_utf8(s).ok()?;
    Some(match s {
        "a" => "あ", "i" => "い", "u" => "う", "e" => "え", "o" => "お",

        "ka" => "か", "ki" => "き", "ku" => "く", "ke" => "け", "ko" => "こ",
        "kya" => "きゃ", "kyu" => "きゅ", "kyo" => "きょ", "kye" => "きぇ",
        "ga" => "が", "gi" => "ぎ", "gu" => "ぐ", "ge" => "げ", "go" => "ご",
        "gya" => "ぎゃ", "gyu" => "ぎゅ", "gyo" => "ぎょ",

        "sa" => "さ", "shi" | "si" => "し", "su" => "す", "se" => "せ", "so" => "そ",
        "sha" | "sya" => "しゃ", "shu" | "syu" => "しゅ", "sho" | "syo" => "しょ",
        "she" | "sye" => "しぇ",
        "za" => "ざ", "ji" | "zi" => "じ", "zu" => "ず", "ze" => "ぜ", "zo" => "ぞ",
        "ja" | "jya" | "zya" => "じゃ", "ju" | "jyu" | "zyu" => "じゅ",
        "jo" | "jyo" | "zyo" => "じょ", "je" | "jye" | "zye" => "じぇ",

        "ta" => "た", "chi" | "ti" => "ち", "tsu" | "tu" => "つ", "te" => "て", "to" => "と",
        "cha" | "tya" | "cya" => "ちゃ", "chu" | "tyu" | "cyu" => "ちゅ",
        "cho" | "tyo" | "cyo" => "ちょ", "che" | "tye" | "cye" => "ちぇ",
        "tsa" => "つぁ", "tsi" => "つぃ", "tse" => "つぇ", "tso" => "つぉ",
        "thi" => "てぃ", "thu" => "てゅ", "twu" => "とぅ",
        "da" => "だ", "di" => "ぢ", "du" => "づ", "de" => "で", "do" => "ど",
        "dya" => "ぢゃ", "dyu" => "ぢゅ", "dyo" => "ぢょ", "dhi" => "でぃ", "dhu" => "でゅ",
        "dwu" => "どぅ",

        "na" => "な", "ni" => "に", "nu" => "ぬ", "ne" => "ね", "no" => "の",
        "nya" => "にゃ", "nyu" => "にゅ", "nyo" => "にょ",

        "ha" => "は", "hi" => "ひ", "fu" | "hu" => "ふ", "he" => "へ", "ho" => "ほ",
        "hya" => "ひゃ", "hyu" => "ひゅ", "hyo" => "ひょ",
        "fa" => "ふぁ", "fi" => "ふぃ", "fe" => "ふぇ", "fo" => "ふぉ", "fyu" => "ふゅ",
        "ba" => "ば", "bi" => "び", "bu" => "ぶ", "be" => "べ", "bo" => "ぼ",
        "bya" => "びゃ", "byu" => "びゅ", "byo" => "びょ",
        "pa" => "ぱ", "pi" => "ぴ", "pu" => "ぷ", "pe" => "ぺ", "po" => "ぽ",
        "pya" => "ぴゃ", "pyu" => "ぴゅ", "pyo" => "ぴょ",

        "ma" => "ま", "mi" => "み", "mu" => "む", "me" => "め", "mo" => "も",
        "mya" => "みゃ", "myu" => "みゅ", "myo" => "みょ",
        "ya" => "や", "yu" => "ゆ", "ye" => "いぇ", "yo" => "よ",
        "ra" => "ら", "ri" => "り", "ru" => "る", "re" => "れ", "ro" => "ろ",
        "rya" => "りゃ", "ryu" => "りゅ", "ryo" => "りょ",
        "wa" => "わ", "wi" => "うぃ", "wu" => "う", "we" => "うぇ", "wo" => "を",
        "va" => "ゔぁ", "vi" => "ゔぃ", "vu" => "ゔ", "ve" => "ゔぇ", "vo" => "ゔぉ",

        // Small kana as input methods write them.
        "xa" => "ぁ", "xi" => "ぃ", "xu" => "ぅ", "xe" => "ぇ", "xo" => "ぉ",
        "xya" => "ゃ", "xyu" => "ゅ", "xyo" => "ょ", "xwa" => "ゎ",
        "xtu" | "xtsu" => "っ", "xka" => "ゕ", "xke" => "ゖ",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(s: &str) -> Option<String> {
        to_hiragana(s)
    }

    #[test]
    fn customer_words() {
        for (romaji, kana) in [
            ("henpin", "へんぴん"),
            ("pasuwa-do", "ぱすわーど"),
            ("kyanseru", "きゃんせる"),
            ("roguin", "ろぐいん"),
            ("kaiyaku", "かいやく"),
            ("shinkansen", "しんかんせん"),
            ("kitte", "きって"),
            ("konnichiwa", "こんにちわ"),
            ("tsukaenai", "つかえない"),
            ("haisou", "はいそう"),
            ("ryoushuusho", "りょうしゅうしょ"),
            ("kaado", "かあど"),
            ("ka-do", "かーど"),
            ("meeru", "めえる"),
            ("me-ru", "めーる"),
            ("tetsuzuki", "てつずき"),
            ("tetsuduki", "てつづき"),
            ("henkin", "へんきん"),
            ("koukan", "こうかん"),
            ("nyuukin", "にゅうきん"),
        ] {
            assert_eq!(h(romaji).as_deref(), Some(kana), "{romaji}");
        }
    }

    #[test]
    fn hepburn_and_input_method_spellings_agree() {
        for (a, b) in [
            ("shi", "si"),
            ("chi", "ti"),
            ("tsu", "tu"),
            ("fu", "hu"),
            ("ji", "zi"),
            ("sha", "sya"),
            ("shu", "syu"),
            ("sho", "syo"),
            ("cha", "tya"),
            ("cha", "cya"),
            ("chu", "tyu"),
            ("cho", "tyo"),
            ("ja", "jya"),
            ("ja", "zya"),
            ("ju", "zyu"),
            ("jo", "jyo"),
            ("shiharai", "siharai"),
            ("chuumon", "tyuumon"),
            ("tsuuchi", "tuuti"),
            ("jouhou", "zyouhou"),
            ("kaisha", "kaisya"),
        ] {
            assert_eq!(h(a), h(b), "{a} vs {b}");
            assert!(h(a).is_some(), "{a}");
        }
        assert_eq!(h("shiharai").as_deref(), Some("しはらい"));
        assert_eq!(h("jouhou").as_deref(), Some("じょうほう"));
    }

    #[test]
    fn syllabic_n() {
        assert_eq!(h("kani").as_deref(), Some("かに"));
        assert_eq!(h("kan'i").as_deref(), Some("かんい"));
        assert_eq!(h("kanni").as_deref(), Some("かんに"));
        assert_eq!(h("shin'you").as_deref(), Some("しんよう"));
        assert_eq!(h("shinyou").as_deref(), Some("しにょう"));
        assert_eq!(h("onna").as_deref(), Some("おんな"));
        // Input-method style: `nn` is ん whatever follows.
        assert_eq!(h("henpinn").as_deref(), Some("へんぴん"));
        assert_eq!(h("konnbanwa").as_deref(), Some("こんばんわ"));
        assert_eq!(h("konnnichiwa").as_deref(), Some("こんにちわ"));
        assert_eq!(h("konbanwa").as_deref(), Some("こんばんわ"));
        assert_eq!(h("n").as_deref(), Some("ん"));
        assert_eq!(h("shimbun").as_deref(), Some("しんぶん"));
        assert_eq!(h("tempura").as_deref(), Some("てんぷら"));
    }

    #[test]
    fn double_consonants_are_small_tsu() {
        assert_eq!(h("kitte").as_deref(), Some("きって"));
        assert_eq!(h("zasshi").as_deref(), Some("ざっし"));
        assert_eq!(h("kippu").as_deref(), Some("きっぷ"));
        assert_eq!(h("matcha").as_deref(), Some("まっちゃ"));
        assert_eq!(h("kocchi").as_deref(), Some("こっち"));
        assert_eq!(h("mittsu").as_deref(), Some("みっつ"));
        assert_eq!(h("gakkou").as_deref(), Some("がっこう"));
        assert_eq!(h("hassou").as_deref(), Some("はっそう"));
        // A small tsu must be followed by a syllable.
        assert_eq!(h("kitt"), None);
    }

    #[test]
    fn long_vowel_marks_and_loanwords() {
        assert_eq!(h("pasuwa-do").as_deref(), Some("ぱすわーど"));
        assert_eq!(h("sa-bisu").as_deref(), Some("さーびす"));
        assert_eq!(h("fairu").as_deref(), Some("ふぁいる"));
        assert_eq!(h("pa-thi-").as_deref(), Some("ぱーてぃー"));
        assert_eq!(h("vaiorin").as_deref(), Some("ゔぁいおりん"));
        assert_eq!(h("-a"), None, "a leading dash lengthens nothing");
    }

    #[test]
    fn case_and_small_kana() {
        assert_eq!(h("HENPIN").as_deref(), Some("へんぴん"));
        assert_eq!(h("Kyanseru").as_deref(), Some("きゃんせる"));
        assert_eq!(h("xtsu").as_deref(), Some("っ"));
        assert_eq!(h("fa").as_deref(), Some("ふぁ"));
    }

    #[test]
    fn what_is_not_romaji() {
        for s in ["abc", "xyz", "", "123", "henpin2", "hen pin", "へんぴん", "q", "l", "ltsu", "'a", "kit'te", "ō"] {
            assert_eq!(h(s), None, "{s:?}");
        }
    }

    #[test]
    fn romaji_words() {
        assert!(is_romaji_word("henpin"));
        assert!(is_romaji_word("pasuwa-do"));
        assert!(is_romaji_word("Kyanseru"));
        assert!(!is_romaji_word("xyz"));
        assert!(!is_romaji_word("abc"));
        assert!(!is_romaji_word("100yen"));
        assert!(!is_romaji_word(""));
        assert!(!is_romaji_word("-"));
        assert!(!is_romaji_word("返品"));
    }
}
