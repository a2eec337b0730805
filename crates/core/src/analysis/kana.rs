//! Which script is this, and how is it written in katakana?

/// Convert hiragana to katakana, leaving every other character as it is.
pub fn to_katakana(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            // ぁ..ゖ and the iteration marks ゝゞ map 0x60 code points up.
            '\u{3041}'..='\u{3096}' | '\u{309D}' | '\u{309E}' => {
                char::from_u32(c as u32 + 0x60).unwrap_or(c)
            }
            other => other,
        })
        .collect()
}

/// Whether `text` is written only in hiragana, katakana and long-vowel marks.
pub fn is_kana(text: &str) -> bool {
    !text.is_empty()
        && text.chars().all(|c| matches!(c, '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FA}' | '\u{30FC}'))
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
    fn kana_detection() {
        assert!(is_kana("へんぴん"));
        assert!(is_kana("キャンセル"));
        assert!(!is_kana("返品"));
        assert!(!is_kana(""));
    }
}
