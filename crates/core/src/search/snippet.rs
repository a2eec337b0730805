//! How is a snippet cut? The passage of a hit with the most matches, and its highlights.

use std::ops::Range;

use serde::Serialize;

use crate::analysis::{Morpheme, Normalized};

/// Characters in a snippet.
pub const SNIPPET_CHARS: usize = 90;

/// A short passage of a hit with the matching words marked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    pub text: String,
    /// Byte ranges of `text` to highlight, sorted and disjoint.
    pub highlights: Vec<Range<usize>>,
}

impl Snippet {
    /// HTML with the highlights in `<mark>`, everything else escaped.
    pub fn to_html(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 16 * self.highlights.len());
        let mut at = 0;
        for r in &self.highlights {
            escape_into(&self.text[at..r.start], &mut out);
            out.push_str("<mark>");
            escape_into(&self.text[r.clone()], &mut out);
            out.push_str("</mark>");
            at = r.end;
        }
        escape_into(&self.text[at..], &mut out);
        out
    }
}

/// Escape text for HTML element content and attribute values.
pub fn escape_into(text: &str, out: &mut String) {
    let _ = write_escaped(out, text);
}

/// [`escape_into`] any writer (the service's templates use it too): `&`, `<`, `>`, `"` and
/// `'` as entities. Copies the runs between them whole: pushing character by character was 59K
/// of the 158K instructions a wiki-qa answer's JSON cost. The five are ASCII, so no run is cut
/// inside a character.
pub fn write_escaped<W: std::fmt::Write>(mut dest: W, text: &str) -> std::fmt::Result {
    let mut start = 0;
    for (i, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        dest.write_str(&text[start..i])?;
        dest.write_str(entity)?;
        start = i + 1;
    }
    dest.write_str(&text[start..])
}

/// Finds the words of a text that match the query, to highlight them.
pub struct Marker {
    /// Normalized strings to highlight: the query's content words as typed and in their base
    /// form, the stems of its conjugated words (できない → でき), and the corpus words it was
    /// understood as ([`Marker::with_words`]).
    needles: Vec<memchr::memmem::Finder<'static>>,
    /// For each needle, its 3-byte windows hashed ([`Grams`]): a page whose grams lack one of
    /// them does not hold the needle, and is not searched for it.
    windows: Vec<Vec<u32>>,
}

impl Marker {
    pub fn new(query: &[Morpheme]) -> Self {
        let mut marker = Marker { needles: Vec::new(), windows: Vec::new() };
        for m in query.iter().filter(|m| m.content) {
            let stem: String = m.surface.chars().zip(m.term.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a).collect();
            for n in [m.surface.as_str(), m.term.as_str(), stem.as_str()] {
                marker.add(n);
            }
        }
        marker
    }

    /// Also highlight these words (several words separated by spaces are taken one by one).
    pub fn with_words<'w>(mut self, words: impl Iterator<Item = &'w str>) -> Self {
        for word in words.flat_map(str::split_whitespace) {
            self.add(word);
        }
        self
    }

    /// A needle of one kana would light up every particle: two characters at least, or one
    /// that is not kana (a kanji such as 色).
    fn add(&mut self, needle: &str) {
        let worth = needle.chars().count() >= 2
            || needle.chars().any(|c| !c.is_ascii() && !crate::analysis::kana::is_kana(c.encode_utf8(&mut [0; 4])));
        if worth && !needle.trim().is_empty() && !self.needles.iter().any(|n| n.needle() == needle.as_bytes()) {
            // Built once: a page's snippet searches for every needle.
            self.needles.push(memchr::memmem::Finder::new(needle).into_owned());
            self.windows.push(needle.as_bytes().windows(3).map(gram_hash).collect());
        }
    }

    /// Where the needles occur in `text`: byte ranges of the original text, sorted and merged.
    /// They are searched for in the text normalized (`prepared`; the text itself when
    /// normalizing leaves it as it is), so `ｷｬﾝﾍﾟｰﾝ` holds the needle `キャンペーン`.
    fn matches(&self, text: &str, prepared: &Prepared) -> Vec<Range<usize>> {
        let normalized = prepared.normalized.as_ref();
        // (The filter only leaves out needles the text cannot hold: the matches are the same
        // with it or without it.)
        let grams = prepared.grams(text);
        let find = |haystack: &str| -> Vec<Range<usize>> {
            self.needles
                .iter()
                .zip(&self.windows)
                .filter(|(_, windows)| grams.is_none_or(|g| g.may_hold(windows)))
                .flat_map(|(n, _)| n.find_iter(haystack.as_bytes()).map(move |i| with_long_vowels(haystack, i..i + n.needle().len())))
                .collect()
        };
        let mut found: Vec<Range<usize>> = match normalized {
            None => find(text),
            Some(normalized) => find(&normalized.text)
                .into_iter()
                .map(|r| {
                    let (start, end) = normalized.original_range(r.start, r.end);
                    start..end
                })
                .filter(|r| r.start < r.end)
                .collect(),
        };
        found.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
        let mut merged: Vec<Range<usize>> = Vec::with_capacity(found.len());
        for r in found {
            match merged.last_mut() {
                Some(last) if last.end >= r.start => last.end = last.end.max(r.end),
                _ => merged.push(r),
            }
        }
        merged
    }

    /// The passage of about `max_chars` characters of `text` with the most matches, starting at
    /// a sentence start where one is near.
    ///
    /// Matches are found as strings in the normalized text, not by analyzing it: a snippet costs
    /// microseconds, not the hundreds a morphological analysis of the page would. When nothing
    /// matches as a string (a match by sound or characters alone), the passage is the
    /// beginning of the text.
    pub fn snippet(&self, text: &str, max_chars: usize) -> Snippet {
        self.snippet_with(text, max_chars, &NormalizedOnce::new())
    }

    /// [`Marker::snippet`], keeping the normalized text in `normalized` for the next snippet
    /// of the same `text` (a page that answers many questions is normalized once).
    pub(crate) fn snippet_with(&self, text: &str, max_chars: usize, normalized: &NormalizedOnce) -> Snippet {
        let text = text.trim();
        // Every match in the page, found once: they choose the passage, and those inside it
        // are its highlights.
        let found = self.matches(text, normalized.get_or_init(|| Prepared::new(text)));
        if text.chars().nth(max_chars).is_none() {
            return Snippet { text: flatten(text), highlights: found };
        }
        // Each match's start, in characters and in bytes (counted once, left to right).
        let mut starts: Vec<(usize, usize)> = Vec::with_capacity(found.len());
        let (mut byte, mut chars) = (0, 0);
        for r in &found {
            chars += text[byte..r.start].chars().count();
            byte = r.start;
            starts.push((chars, byte));
        }
        // Choose the window start covering the most matches.
        // (The starts are in order: the end of each window only moves right.)
        let (mut start, mut from, mut covered) = (0usize, 0usize, 0usize);
        let mut end = 0;
        for (i, &(s, b)) in starts.iter().enumerate() {
            end = end.max(i);
            while end < starts.len() && starts[end].0 < s + max_chars {
                end += 1;
            }
            let n = end - i;
            if n > covered {
                (start, from, covered) = (s, b, n);
            }
        }
        // Back up to the start of the sentence, a little context at most.
        let floor = start.saturating_sub(max_chars / 3);
        for (i, c) in text[..from].char_indices().rev() {
            if start <= floor || matches!(c, '。' | '\n' | '！' | '？' | '!' | '?') {
                break;
            }
            start -= 1;
            from = i;
        }
        let to = text[from..].char_indices().nth(max_chars).map_or(text.len(), |(i, _)| from + i);
        let mut snippet_text = String::new();
        if start > 0 {
            snippet_text.push('…');
        }
        let shift = snippet_text.len();
        flatten_into(&text[from..to], &mut snippet_text);
        // The matches inside the passage; one across its edge is cut at the edge.
        let highlights = found
            .iter()
            .map(|r| r.start.max(from)..r.end.min(to))
            .filter(|r| r.start < r.end)
            .map(|r| r.start - from + shift..r.end - from + shift)
            .collect();
        if to < text.len() {
            snippet_text.push('…');
        }
        Snippet { text: snippet_text, highlights }
    }
}

/// A text prepared for highlighting ([`Prepared`]), made once when first needed.
pub(crate) type NormalizedOnce = std::sync::OnceLock<Prepared>;

/// A text as its needles are searched for: normalized (`None`: normalizing leaves it as it
/// is), and, from its second search on, which 3-byte windows it has.
#[derive(Debug)]
pub(crate) struct Prepared {
    normalized: Option<Normalized>,
    /// Made when the text is searched a second time: hashing every window of a page costs
    /// about eight instructions a byte, and a page searched once is cheaper to scan for each
    /// needle (a few hundred instructions a needle). Questions not asked before mostly rank
    /// pages not shown before: there the windows were 0.10M of a wiki-qa search's 2.19M.
    grams: std::sync::OnceLock<Grams>,
    /// Whether the text was searched once already.
    searched: std::sync::atomic::AtomicBool,
}

impl Prepared {
    fn new(text: &str) -> Self {
        Prepared {
            normalized: normalized_unless_unchanged(text),
            grams: std::sync::OnceLock::new(),
            searched: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The text's windows, made now if it was searched before; `None` the first time. `text`
    /// is the text [`Prepared::new`] was given.
    fn grams(&self, text: &str) -> Option<&Grams> {
        if let Some(grams) = self.grams.get() {
            return Some(grams);
        }
        if !self.searched.swap(true, std::sync::atomic::Ordering::Relaxed) {
            return None;
        }
        let haystack = self.normalized.as_ref().map_or(text, |n| n.text.as_str());
        Some(self.grams.get_or_init(|| Grams::of(haystack.as_bytes())))
    }
}

/// The 3-byte windows of a text, hashed into a bit set (a Bloom filter with one hash): a
/// needle with a window the set lacks is not in the text. A page's snippet searched for every
/// needle, and a long question's twenty or so needles are mostly not in a given page: a search
/// for a needle through a wiki-qa page cost about 250 instructions, checking its windows a
/// few.
#[derive(Debug)]
struct Grams {
    bits: Box<[u64]>,
    /// A window's bit is its hash's top bits: 32 minus log2 of the number of bits.
    shift: u32,
}

impl Grams {
    fn of(text: &[u8]) -> Self {
        // About eight bits per window, so that about one in nine is set.
        let len = (text.len() * 8).next_power_of_two().clamp(512, 1 << 16);
        let mut bits = vec![0u64; len / 64].into_boxed_slice();
        let shift = 32 - len.trailing_zeros();
        for window in text.windows(3) {
            let at = (gram_hash(window) >> shift) as usize;
            bits[at / 64] |= 1 << (at % 64);
        }
        Grams { bits, shift }
    }

    /// Whether the text may have every window of a needle (`windows`, hashed by
    /// [`gram_hash`]); true for a needle under three bytes.
    fn may_hold(&self, windows: &[u32]) -> bool {
        windows.iter().all(|&hash| {
            let at = (hash >> self.shift) as usize;
            self.bits[at / 64] & (1 << (at % 64)) != 0
        })
    }
}

/// A 3-byte window, hashed (multiplicative: the top bits are the well-mixed ones).
fn gram_hash(window: &[u8]) -> u32 {
    let x = u32::from(window[0]) | u32::from(window[1]) << 8 | u32::from(window[2]) << 16;
    x.wrapping_mul(0x9E37_79B1)
}

/// `text` normalized, or `None` when normalizing leaves it as it is (most Japanese text: a scan
/// finds out, with no copy and no map back to the original).
fn normalized_unless_unchanged(text: &str) -> Option<Normalized> {
    (!crate::analysis::is_normalized(text)).then(|| crate::analysis::normalize(text))
}

/// Newlines become spaces, keeping byte offsets unchanged.
fn flatten(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    flatten_into(text, &mut out);
    out
}

/// [`flatten`], onto the end of `out`.
fn flatten_into(text: &str, out: &mut String) {
    // (The three are ASCII, so each is one byte and a whole character.)
    let mut at = 0;
    for i in memchr::memchr3_iter(b'\n', b'\t', b'\r', text.as_bytes()) {
        out.push_str(&text[at..i]);
        out.push(' ');
        at = i + 1;
    }
    out.push_str(&text[at..]);
}

/// `found` in `haystack`, taking in the long-vowel marks right after a katakana match: the
/// words are folded without their final ー (プライバシ for プライバシー), and a highlight that
/// stopped before it would cut the word the page writes.
fn with_long_vowels(haystack: &str, found: Range<usize>) -> Range<usize> {
    let ends_in_katakana = haystack[..found.end].chars().next_back().is_some_and(|c| matches!(c, '\u{30A1}'..='\u{30FA}'));
    if !ends_in_katakana {
        return found;
    }
    let marks = haystack[found.end..].chars().take_while(|&c| c == 'ー').count();
    found.start..found.end + marks * 'ー'.len_utf8()
}

#[cfg(test)]
mod tests {
    use super::{Grams, Marker, NormalizedOnce, escape_into, gram_hash};

    #[test]
    fn html_specials_are_escaped_and_the_rest_is_copied_whole() {
        let mut out = String::from("前:");
        escape_into("<b>\"返品\" & 'ｷｬﾝｾﾙ'</b>。", &mut out);
        assert_eq!(out, "前:&lt;b&gt;&quot;返品&quot; &amp; &#39;ｷｬﾝｾﾙ&#39;&lt;/b&gt;。");
        let mut plain = String::new();
        escape_into("送料は無料です", &mut plain);
        assert_eq!(plain, "送料は無料です");
    }

    #[test]
    fn a_folded_katakana_word_is_highlighted_with_its_long_vowel() {
        // The question's word is folded (プライバシー → プライバシ), the page writes it whole.
        let marker = Marker::new(&[]).with_words(["プライバシ"].into_iter());
        let snippet = marker.snippet("当店のプライバシーポリシーをご覧ください。", 90);
        let marked: Vec<&str> = snippet.highlights.iter().map(|r| &snippet.text[r.clone()]).collect();
        assert_eq!(marked, ["プライバシー"]);
    }

    #[test]
    fn a_page_is_snippeted_alike_before_and_after_its_windows_are_made() {
        // The first search of a page scans it for every needle; the second makes its windows
        // and skips the needles they rule out. Full-width letters and half-width kana make the
        // page be searched normalized.
        let page = "ｷｬﾝｾﾙ料は無料です。ＡＢＣ会員の返品は、到着から30日以内に申請してください。送料はお客様のご負担です。";
        let marker = Marker::new(&[]).with_words(["キャンセル", "返品", "abc", "送料", "パスワード", "申請"].into_iter());
        let prepared = NormalizedOnce::new();
        let first = marker.snippet_with(page, 20, &prepared);
        assert!(prepared.get().is_some_and(|p| p.grams.get().is_none()), "the first search makes no windows");
        let second = marker.snippet_with(page, 20, &prepared);
        assert!(prepared.get().is_some_and(|p| p.grams.get().is_some()), "the second search makes them");
        assert_eq!(first, second);
        assert_eq!(first, marker.snippet(page, 20));
        let marked: Vec<&str> = first.highlights.iter().map(|r| &first.text[r.clone()]).collect();
        assert!(marked.contains(&"返品") && marked.contains(&"ＡＢＣ"), "{marked:?}");
    }

    #[test]
    fn grams_hold_every_piece_of_their_text() {
        let text = "返品の送料はお客様のご負担です。ｷｬﾝｾﾙ can be free of charge (30 days).";
        let grams = Grams::of(text.as_bytes());
        for start in 0..text.len() {
            for end in start + 3..=text.len() {
                let windows: Vec<u32> = text.as_bytes()[start..end].windows(3).map(gram_hash).collect();
                assert!(grams.may_hold(&windows), "{start}..{end}");
            }
        }
        let absent: Vec<u32> = "パスワード".as_bytes().windows(3).map(gram_hash).collect();
        assert!(!grams.may_hold(&absent));
        assert!(Grams::of(b"").may_hold(&[]));
    }
}
