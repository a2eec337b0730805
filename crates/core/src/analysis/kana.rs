//! Which script is this, and how is it written in katakana?

/// Convert hiragana to katakana, leaving every other character as it is.
pub fn to_katakana(text: &str) -> String {
    text.chars().map(hiragana_to_katakana).collect()
}

/// [`to_katakana`] of a string owned: given back as it is when it has no hiragana.
pub fn into_katakana(text: String) -> String {
    if text.chars().any(|c| hiragana_to_katakana(c) != c) { to_katakana(&text) } else { text }
}

/// The katakana of a hiragana letter or iteration mark; any other character as it is.
fn hiragana_to_katakana(c: char) -> char {
    match c {
        // ぁ..ゖ and the iteration marks ゝゞ map 0x60 code points up.
        '\u{3041}'..='\u{3096}' | '\u{309D}' | '\u{309E}' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
        other => other,
    }
}

/// Convert katakana letters to hiragana (the long-vowel mark stays), leaving every other
/// character as it is.
pub fn to_hiragana(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{30A1}'..='\u{30F6}' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
            other => other,
        })
        .collect()
}

/// Whether `c` is a hiragana letter (ぁ to ゖ).
pub fn is_hiragana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{3096}')
}

/// Whether `text` is written only in hiragana, katakana and long-vowel marks.
pub fn is_kana(text: &str) -> bool {
    !text.is_empty()
        && text.chars().all(|c| matches!(c, '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FA}' | '\u{30FC}'))
}

/// Rows of katakana that one slip of the finger moves within: the vowel of a consonant
/// (カ キ ク ケ コ), and, index for index, its voiced and half-voiced forms (カ ガ, ハ バ パ).
const ROWS: &[&str] = &[
    "アイウエオ", "カキクケコ", "ガギグゲゴ", "サシスセソ", "ザジズゼゾ", "タチツテト", "ダヂヅデド", "ナニヌネノ", "ハヒフヘホ",
    "バビブベボ", "パピプペポ", "マミムメモ", "ラリルレロ",
];
/// Rows that are one another's voiced forms.
const VOICING: &[&[usize]] = &[&[1, 2], &[3, 4], &[5, 6], &[8, 9, 10]];

/// The katakana a customer may have typed for `c` by one slip: another vowel of the same
/// consonant (カ → キ), or the voicing added or dropped (カ → ガ, ピ → ヒ). Small kana and
/// ン, ー are left alone.
pub fn slips(c: char) -> &'static [char] {
    slip_table(c).map_or(&[], |(all, _)| all.as_slice())
}

/// The katakana `c` becomes when its voicing is added or dropped (カ → ガ, ピ → ヒ, ビ, ヴ → ウ):
/// the slips [`slips`] offers that keep its vowel.
pub fn voicing_slips(c: char) -> &'static [char] {
    slip_table(c).map_or(&[], |(_, voicing)| voicing.as_slice())
}

/// First and last katakana letters with slips (ア to ヴ).
const SLIP_TABLE_FIRST: char = '\u{30A2}';
const SLIP_TABLE_LAST: char = '\u{30F4}';

/// [`slips`] and [`voicing_slips`] of `c`, worked out once for every katakana letter: the
/// lexicon asks them for every kana of every stretch of a typed run.
fn slip_table(c: char) -> Option<&'static (Vec<char>, Vec<char>)> {
    static TABLE: std::sync::OnceLock<Vec<(Vec<char>, Vec<char>)>> = std::sync::OnceLock::new();
    if !(SLIP_TABLE_FIRST..=SLIP_TABLE_LAST).contains(&c) {
        return None;
    }
    let table = TABLE.get_or_init(|| {
        (SLIP_TABLE_FIRST..=SLIP_TABLE_LAST)
            .map(|c| {
                let voicing = voiced_or_voiceless(c);
                let mut all: Vec<char> = row_of(c).map(|(row, _)| ROWS[row].chars().filter(|&x| x != c).collect()).unwrap_or_default();
                all.extend(&voicing);
                (all, voicing)
            })
            .collect()
    });
    table.get(c as usize - SLIP_TABLE_FIRST as usize)
}

/// `c` with its voicing added or dropped, from the rows (ヴ has no row: its slip is ウ, the
/// voicing a finger added, as in りょゔしゅうしょ).
fn voiced_or_voiceless(c: char) -> Vec<char> {
    if c == 'ヴ' {
        return vec!['ウ'];
    }
    let Some((row, at)) = row_of(c) else {
        return Vec::new();
    };
    VOICING
        .iter()
        .filter(|g| g.contains(&row))
        .flat_map(|group| group.iter().filter(|&&r| r != row).filter_map(|&r| ROWS[r].chars().nth(at)))
        .collect()
}

fn row_of(c: char) -> Option<(usize, usize)> {
    ROWS.iter().enumerate().find_map(|(r, chars)| chars.chars().position(|x| x == c).map(|at| (r, at)))
}

/// Whether `c` is a kanji (CJK ideographs, extension A, and the iteration mark 々).
pub fn is_kanji(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '々')
}

/// Whether `text` is a katakana word (katakana letters and long-vowel marks only).
pub fn is_katakana_word(text: &str) -> bool {
    !text.is_empty() && text.chars().all(|c| matches!(c, '\u{30A1}'..='\u{30FA}' | '\u{30FC}'))
}

/// Fold spelling variants of katakana words, as Japanese style guides allow both:
/// a final long-vowel mark on words of four or more characters (サーバー → サーバ,
/// プリンター → プリンタ), and ヴ spellings (ヴァイオリン → バイオリン).
pub fn fold_katakana(word: &str) -> String {
    into_folded(without_vu(word))
}

/// [`fold_katakana`] of a word owned: no copy unless it has a ヴ.
pub fn into_folded(word: String) -> String {
    let mut out = if word.contains('ヴ') { without_vu(&word) } else { word };
    while out.ends_with('ー') && out.chars().count() >= 4 {
        out.pop();
    }
    out
}

/// `word` with its ヴ spellings written as the common kana (ヴァイオリン → バイオリン, ヴ → ブ),
/// as [`fold_katakana`] folds them.
pub fn without_vu(word: &str) -> String {
    let mut out = String::with_capacity(word.len());
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        if c != 'ヴ' {
            out.push(c);
            continue;
        }
        let next = chars.peek().copied();
        let (replacement, consumed) = match next {
            Some('ァ') => ('バ', true),
            Some('ィ') => ('ビ', true),
            Some('ゥ') => ('ブ', true),
            Some('ェ') => ('ベ', true),
            Some('ォ') => ('ボ', true),
            _ => ('ブ', false),
        };
        out.push(replacement);
        if consumed {
            chars.next();
        }
    }
    out
}

/// A katakana word without its long-vowel marks (ジョージ → ジョジ), or `None` if it has none
/// after a letter. What the index keeps beside such a word, so that a customer who leaves a
/// mark out still finds it.
pub fn without_long_vowels(word: &str) -> Option<String> {
    let mut out = String::with_capacity(word.len());
    let mut previous_letter = false;
    let mut dropped = false;
    for c in word.chars() {
        if c == 'ー' && previous_letter {
            dropped = true;
            continue;
        }
        previous_letter = matches!(c, '\u{30A1}'..='\u{30FA}');
        out.push(c);
    }
    (dropped && out.chars().count() >= 2).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hiragana_becomes_katakana() {
        assert_eq!(to_katakana("へんぴん"), "ヘンピン");
        assert_eq!(to_katakana("ぱすわーど"), "パスワード");
        assert_eq!(to_katakana("返品abc"), "返品abc");
    }

    #[test]
    fn katakana_variants_fold() {
        assert_eq!(fold_katakana("サーバー"), "サーバ");
        assert_eq!(fold_katakana("サーバ"), "サーバ");
        assert_eq!(fold_katakana("プリンター"), "プリンタ");
        assert_eq!(fold_katakana("メール"), "メール", "three characters: the mark stays");
        assert_eq!(fold_katakana("ヴァイオリン"), "バイオリン");
        assert_eq!(fold_katakana("ヴィーガン"), "ビーガン");
    }

    #[test]
    fn converting_in_place_gives_what_copying_gives() {
        for text in ["へんぴん", "ヘンピン", "ぱすわーど", "返品したい", "サーバー", "ヴァイオリン", "ヴ", "ゝゞ", "ABC", "", "コーヒー", "ルー"] {
            assert_eq!(into_katakana(text.to_string()), to_katakana(text), "{text}");
            let katakana = to_katakana(text);
            assert_eq!(into_folded(katakana.clone()), fold_katakana(&katakana), "{text}");
        }
    }

    #[test]
    fn long_vowel_free_forms() {
        assert_eq!(without_long_vowels("ジョージ").as_deref(), Some("ジョジ"));
        assert_eq!(
            without_long_vowels("グーテンベルク").as_deref(),
            Some("グテンベルク")
        );
        assert_eq!(
            without_long_vowels("パスワード").as_deref(),
            Some("パスワド")
        );
        assert_eq!(without_long_vowels("カメラ"), None);
        assert_eq!(without_long_vowels("ー"), None);
        assert_eq!(
            without_long_vowels("ビー"),
            None,
            "one letter is not a word"
        );
    }

    #[test]
    fn kana_detection() {
        assert!(is_kana("へんぴん"));
        assert!(is_kana("キャンセル"));
        assert!(!is_kana("返品"));
        assert!(!is_kana(""));
    }
}
