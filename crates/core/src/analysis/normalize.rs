//! How is text made comparable before it is tokenized?
//!
//! Japanese users write the same word in several ways: full-width or half-width letters and
//! digits (`ＰＣ`, `pc`), half-width katakana (`ｷｬﾝｾﾙ`), upper or lower case, a hyphen or a dash
//! where a long-vowel mark belongs (`サーバ−`). [`normalize`] folds all of these (NFKC, case
//! folding, long-vowel marks) and keeps a map back to the original text, so that highlights
//! computed on the normalized text land on the right characters of the original.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::canonical_combining_class;

/// Normalized text and the way back to the original's byte offsets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normalized {
    /// The normalized text.
    pub text: String,
    /// The original text in order: runs copied unchanged, and the clusters between them.
    spans: Vec<Span>,
    original_len: usize,
}

/// A stretch of the original text and where its output starts in the normalized text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    /// Start of the span's output in the normalized text.
    norm_start: usize,
    orig_start: usize,
    orig_end: usize,
    /// A run of characters copied as they are (any character in it maps to itself), or a
    /// cluster (a base character with its combining marks) normalized as a unit.
    copied: bool,
}

impl Normalized {
    /// Map a byte range of the normalized text to a byte range of the original text.
    ///
    /// A range that starts or ends inside the output of one original cluster is widened to the
    /// whole cluster, so the result always lies on character boundaries of the original.
    pub fn original_range(&self, norm_start: usize, norm_end: usize) -> (usize, usize) {
        if self.spans.is_empty() {
            return (0, 0);
        }
        // In a copied run, a character maps to itself: the offset moves by as much as in the
        // normalized text, after widening to the character. A cluster maps as a whole.
        let start = self.span_containing(norm_start).map_or(self.original_len, |s| match s.copied {
            true => s.orig_start + floor_char_boundary(&self.text, norm_start) - s.norm_start,
            false => s.orig_start,
        });
        let end = if norm_end <= norm_start {
            start
        } else {
            self.span_containing(norm_end - 1).map_or(self.original_len, |s| match s.copied {
                true => s.orig_start + ceil_char_boundary(&self.text, norm_end) - s.norm_start,
                false => s.orig_end,
            })
        };
        (start, end.max(start))
    }

    fn span_containing(&self, norm_offset: usize) -> Option<&Span> {
        if norm_offset >= self.text.len() {
            return None;
        }
        let idx = self.spans.partition_point(|s| s.norm_start <= norm_offset);
        idx.checked_sub(1).map(|i| &self.spans[i])
    }
}

/// The start of the character that byte `at` of `text` is in (`at` is inside `text`).
fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The end of the character that byte `at - 1` of `text` is in (`at` is at most its length).
fn ceil_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// Normalize `input` for indexing and querying alike. See the module documentation.
pub fn normalize(input: &str) -> Normalized {
    let mut text = String::with_capacity(input.len());
    let mut spans = Vec::new();
    let mut cluster = String::new();
    let mut cluster_start = 0;
    let mut last: Option<char> = None;

    let mut chars = input.char_indices().peekable();
    while let Some((offset, ch)) = chars.next() {
        if !cluster.is_empty() && !attaches_to_previous(ch) {
            emit(&cluster, cluster_start, offset, &mut text, &mut spans, &mut last);
            cluster.clear();
        }
        // Most characters are a cluster of their own that normalization leaves alone: copied as
        // they are. Only the others are gathered into a cluster for `emit`.
        // A run of them is copied at once: a plain character never attaches, so each but the
        // last is followed by one that does not attach to it.
        if cluster.is_empty() && is_plain(ch) {
            let (mut end, mut final_char, mut before_final) = (offset + ch.len_utf8(), ch, last);
            while let Some(&(at, next)) = chars.peek() {
                if !is_plain(next) {
                    break;
                }
                chars.next();
                (end, before_final, final_char) = (at + next.len_utf8(), Some(final_char), next);
            }
            let final_copied = chars.peek().is_none_or(|&(_, next)| !attaches_to_previous(next));
            let copied_end = if final_copied { end } else { end - final_char.len_utf8() };
            if copied_end > offset {
                match spans.last_mut() {
                    Some(run) if run.copied && run.orig_end == offset => run.orig_end = copied_end,
                    _ => spans.push(Span { norm_start: text.len(), orig_start: offset, orig_end: copied_end, copied: true }),
                }
                text.push_str(&input[offset..copied_end]);
                last = if final_copied { Some(final_char) } else { before_final };
            }
            if final_copied {
                continue;
            }
            // The last one starts a cluster with what attaches to it.
            cluster_start = copied_end;
            cluster.push(final_char);
            continue;
        }
        if cluster.is_empty() {
            cluster_start = offset;
        }
        cluster.push(match ch {
            // Spacing voiced sound marks become their combining forms so NFKC composes them.
            '\u{309B}' => '\u{3099}',
            '\u{309C}' => '\u{309A}',
            other => other,
        });
    }
    if !cluster.is_empty() {
        emit(&cluster, cluster_start, input.len(), &mut text, &mut spans, &mut last);
    }
    Normalized { text, spans, original_len: input.len() }
}

/// Whether [`normalize`] would give `text` back unchanged: every character is one it leaves
/// alone whatever surrounds it. A scan, much cheaper than normalizing: most pages of a
/// Japanese help center pass it, and text that passes needs no map back to the original.
pub fn is_normalized(text: &str) -> bool {
    text.chars().all(is_plain)
}

/// Normalize and keep only the text (a copy when normalizing leaves it as it is: no map back
/// to the original is made).
pub fn normalize_str(input: &str) -> String {
    if is_normalized(input) {
        return input.to_string();
    }
    normalize(input).text
}

fn attaches_to_previous(ch: char) -> bool {
    // ASCII, kana letters and CJK ideographs are most of the text and never attach: spare
    // them the table lookup.
    if ch.is_ascii() || matches!(ch, '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FA}' | '\u{4E00}'..='\u{9FFF}') {
        return false;
    }
    matches!(ch, '\u{FF9E}' | '\u{FF9F}' | '\u{309B}' | '\u{309C}') || canonical_combining_class(ch) != 0
}

fn emit(
    cluster: &str,
    orig_start: usize,
    orig_end: usize,
    text: &mut String,
    spans: &mut Vec<Span>,
    last: &mut Option<char>,
) {
    let norm_start = text.len();
    // A lone ASCII character (an upper-case letter, a hyphen): NFKC leaves it alone.
    let mut one = cluster.chars();
    if let (Some(c), None) = (one.next(), one.next())
        && c.is_ascii()
    {
        let out = fold(c.to_ascii_lowercase(), *last);
        text.push(out);
        *last = Some(out);
        spans.push(Span { norm_start, orig_start, orig_end, copied: false });
        return;
    }
    // Lower-casing can produce combining marks (İ → i + U+0307), so the cluster is brought
    // back to normal form after it: otherwise a second pass would reorder the marks.
    let lowered: String = cluster.nfkc().flat_map(char::to_lowercase).collect();
    for ch in lowered.nfkc() {
        let out = fold(ch, *last);
        text.push(out);
        *last = Some(out);
    }
    if text.len() > norm_start {
        spans.push(Span { norm_start, orig_start, orig_end, copied: false });
    }
}

/// Characters that NFKC, lower-casing and [`fold`] all leave unchanged, whatever precedes them,
/// and that never attach to the character before: most of any Japanese text (kana, kanji,
/// lower-case ASCII, the usual full-width punctuation and symbols). Such a character is copied
/// as it is.
fn is_plain(c: char) -> bool {
    match c {
        'a'..='z' | '0'..='9' | '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FC}' | '\u{4E00}'..='\u{9FFF}' => true,
        _ => {
            let c = c as u32;
            c < 0x10000 && plain_table()[(c / 64) as usize] & (1 << (c % 64)) != 0
        }
    }
}

/// Which characters are plain, found by running each one of the blocks Japanese text uses
/// through the full path once (about 7,000 characters, on first use); the others take the full
/// path every time.
fn plain_table() -> &'static [u64] {
    static TABLE: std::sync::OnceLock<Vec<u64>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = vec![0u64; 0x10000 / 64];
        // Latin and Greek letters and punctuation, general punctuation and symbols, CJK
        // symbols and kana, full-width forms: what Japanese help pages are written with.
        let blocks = ['\u{0}'..='\u{4FF}', '\u{2000}'..='\u{33FF}', '\u{FE30}'..='\u{FFEF}'];
        for c in blocks.into_iter().flatten().filter(|&c| is_plain_by_the_full_path(c)) {
            table[c as usize / 64] |= 1 << (c as u32 % 64);
        }
        table
    })
}

fn is_plain_by_the_full_path(c: char) -> bool {
    let full: String = std::iter::once(c).nfkc().flat_map(char::to_lowercase).collect::<String>().nfkc().collect();
    full.chars().eq(std::iter::once(c))
        && [None, Some('ア'), Some('a')].into_iter().all(|previous| fold(c, previous) == c)
        && !attaches_to_previous(c)
}

/// Fold one already NFKC-normalized, lower-cased character, given the one before it.
fn fold(ch: char, previous: Option<char>) -> char {
    match ch {
        // Dashes and hyphens written after katakana stand for the long-vowel mark.
        '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{30FC}' | '\u{FF70}'
            if previous.is_some_and(is_katakana) =>
        {
            '\u{30FC}'
        }
        // Wave dashes: one form.
        '\u{301C}' | '\u{FF5E}' | '\u{223C}' => '~',
        other => other,
    }
}

/// Katakana letters and the long-vowel mark.
pub fn is_katakana(ch: char) -> bool {
    matches!(ch, '\u{30A1}'..='\u{30FA}' | '\u{30FC}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_japanese_punctuation_is_plain_and_width_variants_are_not() {
        for c in ['、', '。', '「', '」', '【', '】', '『', '』', '・', '※', '→', '々', 'ー', ' ', '.', '(', 'a', '1'] {
            assert!(is_plain(c), "{c}");
        }
        for c in ['（', '１', 'Ａ', 'A', 'ｱ', '〜', '-', '\u{3000}', '\u{3099}', '㈱'] {
            assert!(!is_plain(c), "{c}");
        }
    }

    #[test]
    fn plain_characters_are_exactly_what_the_full_path_would_give() {
        let plain = ('\u{0}'..='\u{FFFF}').filter(|c| is_plain(*c));
        for c in plain {
            let full: String = c.to_string().nfkc().flat_map(char::to_lowercase).collect::<String>().nfkc().collect();
            assert_eq!(full, c.to_string(), "U+{:04X}", c as u32);
            for previous in [None, Some('ア'), Some('a')] {
                assert_eq!(fold(c, previous), c, "U+{:04X} after {previous:?}", c as u32);
            }
            assert!(!attaches_to_previous(c), "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn characters_that_skip_the_lookup_never_attach() {
        let skipped = ('\u{0}'..='\u{7F}').chain('\u{3041}'..='\u{3096}').chain('\u{30A1}'..='\u{30FA}').chain('\u{4E00}'..='\u{9FFF}');
        for c in skipped {
            assert_eq!(canonical_combining_class(c), 0, "U+{:04X}", c as u32);
            assert!(!matches!(c, '\u{FF9E}' | '\u{FF9F}' | '\u{309B}' | '\u{309C}'));
            assert!(!attaches_to_previous(c));
        }
        assert!(attaches_to_previous('\u{3099}') && attaches_to_previous('\u{FF9E}') && attaches_to_previous('\u{0301}'));
    }

    #[test]
    fn width_and_case_fold() {
        assert_eq!(normalize_str("ＰＣ"), "pc");
        assert_eq!(normalize_str("ｷｬﾝｾﾙ"), "キャンセル");
        assert_eq!(normalize_str("ｶﾞｲﾄﾞ"), "ガイド");
        assert_eq!(normalize_str("ﾊﾟｽﾜｰﾄﾞ"), "パスワード");
        assert_eq!(normalize_str("ＰａｙＰａｙ　１２３"), "paypay 123");
        assert_eq!(normalize_str("か゛"), "が");
    }

    #[test]
    fn dashes_after_katakana_become_long_vowel_marks() {
        assert_eq!(normalize_str("サーバ−"), "サーバー");
        assert_eq!(normalize_str("メ-ル"), "メール");
        assert_eq!(normalize_str("ID-123"), "id-123");
        assert_eq!(normalize_str("東京〜大阪"), "東京~大阪");
    }

    /// [`normalize`] as it was before runs were copied at once and lone ASCII characters
    /// skipped NFKC: one character at a time, every cluster through the full path.
    fn normalize_char_by_char(input: &str) -> Normalized {
        let (mut text, mut spans, mut cluster, mut cluster_start, mut last) = (String::new(), Vec::new(), String::new(), 0, None);
        let full = |cluster: &str, orig_start: usize, orig_end: usize, text: &mut String, spans: &mut Vec<Span>, last: &mut Option<char>| {
            let norm_start = text.len();
            let lowered: String = cluster.nfkc().flat_map(char::to_lowercase).collect();
            for ch in lowered.nfkc() {
                let out = fold(ch, *last);
                text.push(out);
                *last = Some(out);
            }
            if text.len() > norm_start {
                spans.push(Span { norm_start, orig_start, orig_end, copied: false });
            }
        };
        let mut chars = input.char_indices().peekable();
        while let Some((offset, ch)) = chars.next() {
            if !cluster.is_empty() && !attaches_to_previous(ch) {
                full(&cluster, cluster_start, offset, &mut text, &mut spans, &mut last);
                cluster.clear();
            }
            if cluster.is_empty() && is_plain(ch) && chars.peek().is_none_or(|&(_, next)| !attaches_to_previous(next)) {
                let end = offset + ch.len_utf8();
                match spans.last_mut() {
                    Some(run) if run.copied && run.orig_end == offset => run.orig_end = end,
                    _ => spans.push(Span { norm_start: text.len(), orig_start: offset, orig_end: end, copied: true }),
                }
                text.push(ch);
                last = Some(ch);
                continue;
            }
            if cluster.is_empty() {
                cluster_start = offset;
            }
            cluster.push(match ch {
                '\u{309B}' => '\u{3099}',
                '\u{309C}' => '\u{309A}',
                other => other,
            });
        }
        if !cluster.is_empty() {
            full(&cluster, cluster_start, input.len(), &mut text, &mut spans, &mut last);
        }
        Normalized { text, spans, original_len: input.len() }
    }

    #[test]
    fn runs_and_lone_ascii_normalize_as_one_character_at_a_time() {
        let alphabet: Vec<char> = "Aa-_アｱﾞﾟ\u{3099}゛゜ＡｚＺ１İ\u{0301}漢ーｰ−〜～ 　。、xZ9(（".chars().collect();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            let len = (state >> 60) as usize + 1;
            let text: String = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    alphabet[(state % alphabet.len() as u64) as usize]
                })
                .collect();
            assert_eq!(normalize(&text), normalize_char_by_char(&text), "{text:?}");
        }
        for c in ('\u{0}'..='\u{7F}').chain('\u{FF01}'..='\u{FF5E}') {
            for before in ["", "ア", "a"] {
                let text = format!("{before}{c}{c}x{c}");
                assert_eq!(normalize(&text), normalize_char_by_char(&text), "{text:?}");
            }
        }
    }

    #[test]
    fn idempotent() {
        for s in ["ｷｬﾝｾﾙ", "ＰａｙＰａｙ", "サーバ−", "Ⅻ㍻", "ﾊﾟｽﾜｰﾄﾞを忘れた", "ÀÉ", "ｶﾞ゛", "İ\u{ff9e}"] {
            let once = normalize_str(s);
            assert_eq!(normalize_str(&once), once, "{s}");
        }
    }

    #[test]
    fn offsets_map_back_to_the_original() {
        let original = "ﾊﾟｽﾜｰﾄﾞを忘れた";
        let n = normalize(original);
        assert_eq!(n.text, "パスワードを忘れた");
        // "パスワード" is the first five characters of the normalized text.
        let end = "パスワード".len();
        let (s, e) = n.original_range(0, end);
        assert_eq!(&original[s..e], "ﾊﾟｽﾜｰﾄﾞ");
        let start = n.text.find("忘れ").unwrap();
        let (s, e) = n.original_range(start, start + "忘れ".len());
        assert_eq!(&original[s..e], "忘れ");
    }

    #[test]
    fn copied_characters_map_to_themselves_between_clusters() {
        let original = "ＰＣのパスワードを忘れた（ｽﾏﾎ）です";
        let n = normalize(original);
        assert_eq!(n.text, "pcのパスワードを忘れた(スマホ)です");
        for word in ["の", "パスワード", "忘れた", "です", "を忘"] {
            let at = n.text.find(word).unwrap();
            let (s, e) = n.original_range(at, at + word.len());
            assert_eq!(&original[s..e], word);
            // An offset inside a character widens to the whole character.
            let (s, e) = n.original_range(at + 1, at + word.len() - 1);
            assert_eq!(&original[s..e], word);
        }
        let at = n.text.find("スマホ").unwrap();
        let (s, e) = n.original_range(at, at + "スマホ".len());
        assert_eq!(&original[s..e], "ｽﾏﾎ");
        let (s, e) = n.original_range(0, n.text.len());
        assert_eq!((s, e), (0, original.len()));
    }

    #[test]
    fn offsets_inside_an_expansion_widen_to_the_cluster() {
        let original = "㍻の";
        let n = normalize(original);
        assert_eq!(n.text, "平成の");
        let (s, e) = n.original_range(0, "平".len());
        assert_eq!(&original[s..e], "㍻");
    }
}
