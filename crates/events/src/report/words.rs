//! Which zero-result queries are worth suggesting as an alias: those that look like words.
//!
//! A zero-result search followed by a helpful one is often a typo or keyboard mashing
//! (「xyzzy」, 「asdfgh」, 「ああああ」, `12345`); adding it as an alias would only clutter the
//! page. The rule is on the characters alone, so it needs no dictionary and works the same in
//! SQL reports, tests and the console:
//!
//! - A query with a kanji looks like words (one kanji is already a word: 「謎」).
//! - Kana (hiragana, katakana) look like words when there are at least two of them and they
//!   are not one character repeated (「ぽいんと」 yes, 「ああああ」 no).
//! - Latin letters look like words when some run of letters (a "word") has at least two
//!   letters, a vowel (a, e, i, o, u) and no more than three consonants in a row, and is not
//!   one letter repeated (「wifi」, 「iphone」 yes; 「xyzzy」, 「asdfgh」, 「zzz」 no). Short
//!   acronyms without a vowel (「pdf」) are left out too: writers add those by hand.
//! - Digits and symbols alone never do (an order number is no alias).

/// Whether `query` looks like words rather than noise (see the module documentation).
pub fn looks_like_words(query: &str) -> bool {
    let mut kana: Vec<char> = Vec::new();
    for c in query.chars() {
        if is_kanji(c) {
            return true;
        }
        if is_kana(c) {
            kana.push(c);
        }
    }
    if kana.len() >= 2 && kana.iter().any(|c| *c != kana[0]) {
        return true;
    }
    query
        .split(|c: char| !c.is_alphabetic() || is_kana(c))
        .filter(|w| !w.is_empty())
        .any(latin_word)
}

fn is_kanji(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}' | '\u{f900}'..='\u{faff}' | '々')
}

fn is_kana(c: char) -> bool {
    matches!(c, '\u{3041}'..='\u{309f}' | '\u{30a0}'..='\u{30ff}' | '\u{ff66}'..='\u{ff9f}') && c != '・' && c != 'ー'
}

/// A run of letters that reads like a word: two letters or more, a vowel, at most three
/// consonants in a row, not one letter repeated.
fn latin_word(w: &str) -> bool {
    // Full-width letters (ｐａｓｓ) count as their ASCII forms.
    let ascii = |c: char| match c {
        '\u{ff21}'..='\u{ff3a}' | '\u{ff41}'..='\u{ff5a}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        c => c,
    };
    let letters: Vec<char> = w.chars().map(ascii).flat_map(char::to_lowercase).filter(char::is_ascii_alphabetic).collect();
    if letters.len() < 2 || letters.iter().all(|c| *c == letters[0]) {
        return false;
    }
    let vowel = |c: &char| matches!(c, 'a' | 'e' | 'i' | 'o' | 'u');
    let mut run = 0;
    for c in &letters {
        run = if vowel(c) { 0 } else { run + 1 };
        if run > 3 {
            return false;
        }
    }
    letters.iter().any(vowel)
}

#[cfg(test)]
mod tests {
    use super::looks_like_words;

    #[test]
    fn junk_is_not_word_like() {
        for q in ["xyzzy", "asdfgh", "zzz", "ああああ", "12345", "!!!", "", " ", "a", "ｗｗｗ", "pdf", "ー"] {
            assert!(!looks_like_words(q), "{q:?} is junk");
        }
    }

    #[test]
    fn words_are_word_like() {
        for q in ["ぽいんと失効", "謎", "返品", "ぽいんと", "wifi", "iPhone 充電", "password reset", "パスワード", "ｐａｓｓｗｏｒｄ"] {
            assert!(looks_like_words(q), "{q:?} looks like words");
        }
    }
}
