//! Which words does a document have? Its words and the readings of its content words, found
//! when it is indexed and kept in a bytes fast field (`words`), a sorted list each. The verdict
//! asks whether the best hits have the question's topic words ([`crate::search::page_words`]):
//! reading them costs a few microseconds, where analyzing a page at query time cost about a
//! millisecond on the first question it answered. A fast field, not a stored one: the stored
//! fields of every hit are read for its snippet, and carrying the lists there made the 100
//! hits of a results page cost more to read.

use std::collections::BTreeSet;

use crate::analysis::Analyzer;
use crate::analysis::kana::to_katakana;
use crate::analysis::tokenizer::indexed_term_tokens;

/// What separates the words of a stored list (no word contains it: the analyzer splits text
/// at line breaks).
pub const SEPARATOR: char = '\n';
/// What separates the terms from the sounds in the field's value (never a byte of UTF-8).
pub const SOUNDS_MARK: u8 = 0xFF;

/// The first bytes of a zstd frame.
pub const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// zstd's level for the words' frames: its decompression is as fast at any level.
const FRAME_LEVEL: i32 = 3;

/// A document's words, as stored: each list sorted, without repeats, a word per line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DocWords {
    /// Its words as the index has them (katakana compounds and their words, long vowels
    /// dropped too).
    pub terms: String,
    /// The readings of its content words, in katakana.
    pub sounds: String,
}

impl DocWords {
    /// The terms, [`SOUNDS_MARK`], the sounds.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.terms.len() + 1 + self.sounds.len());
        bytes.extend_from_slice(self.terms.as_bytes());
        bytes.push(SOUNDS_MARK);
        bytes.extend_from_slice(self.sounds.as_bytes());
        bytes
    }

    /// The value of the `words` field: [`DocWords::to_bytes`] as one zstd frame. The column's
    /// dictionary compresses its blocks of 4 KB with zstd when that makes them smaller, so
    /// reading one document's words decompressed a block of several documents (0.10M
    /// instructions a page on wiki-qa). Frames compress no further: the blocks are kept as
    /// they are, and a page's words cost the decompression of its own frame only. Indexes
    /// built before kept [`DocWords::to_bytes`]: a value that does not start with zstd's magic
    /// number ([`ZSTD_MAGIC`], never the start of UTF-8 text) is read as that.
    pub fn to_frame(&self) -> Vec<u8> {
        let bytes = self.to_bytes();
        zstd::bulk::compress(&bytes, FRAME_LEVEL).unwrap_or(bytes)
    }
}

/// The text a document's words are read from: title, heading, aliases and tags, and body, a
/// line each (the heading's line empty when it has none).
pub fn searchable_text<'a>(title: &str, heading: Option<&str>, aliases_and_tags: impl IntoIterator<Item = &'a str>, body: &str) -> String {
    let mut text = String::with_capacity(title.len() + body.len() + 64);
    text.push_str(title);
    text.push(SEPARATOR);
    text.push_str(heading.unwrap_or(""));
    text.push(SEPARATOR);
    for (n, line) in aliases_and_tags.into_iter().enumerate() {
        if n > 0 {
            text.push(SEPARATOR);
        }
        text.push_str(line);
    }
    text.push(SEPARATOR);
    text.push_str(body);
    text
}

/// The words of `text`, as the index has them.
pub fn of_text(text: &str, analyzer: &Analyzer) -> DocWords {
    let morphemes = analyzer.analyze(text);
    let terms: BTreeSet<String> = indexed_term_tokens(&morphemes).into_iter().map(|t| t.text).collect();
    let sounds: BTreeSet<String> =
        morphemes.iter().filter(|m| m.content && !m.reading.is_empty()).map(|m| to_katakana(&m.reading)).collect();
    DocWords { terms: lines(terms), sounds: lines(sounds) }
}

/// `words` a line each, leaving out any that could not be read back as one.
fn lines(words: BTreeSet<String>) -> String {
    let mut out = String::new();
    for word in words.iter().filter(|w| !w.is_empty() && !w.contains(SEPARATOR)) {
        if !out.is_empty() {
            out.push(SEPARATOR);
        }
        out.push_str(word);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_are_sorted_without_repeats() {
        let words = of_text("返品の方法。返品は無料です。", crate::analysis::tests::analyzer());
        let terms: Vec<&str> = words.terms.split(SEPARATOR).collect();
        assert!(terms.contains(&"返品"), "{terms:?}");
        assert!(terms.windows(2).all(|w| w[0] < w[1]), "sorted and without repeats: {terms:?}");
        let sounds: Vec<&str> = words.sounds.split(SEPARATOR).collect();
        assert!(sounds.contains(&"ヘンピン"), "{sounds:?}");
    }

    #[test]
    fn every_part_of_a_document_is_read() {
        let text = searchable_text("配送について", Some("送料"), ["お届け日", "宅配便"], "本文の説明");
        assert_eq!(text, "配送について\n送料\nお届け日\n宅配便\n本文の説明");
        let words = of_text(&text, crate::analysis::tests::analyzer());
        for word in ["配送", "送料", "宅配", "説明"] {
            assert!(words.terms.split(SEPARATOR).any(|t| t.starts_with(word)), "{word}: {}", words.terms);
        }
        assert_eq!(searchable_text("題", None, [], "本文"), "題\n\n\n本文", "as many lines whatever is missing");
    }
}
