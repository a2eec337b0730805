//! Which words does a page have? The words and sounds kept with each document when it was
//! indexed ([`crate::index::words`]), for the verdict and the answer confidence
//! ([`super::verdict`]).

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use lru::LruCache;
use tantivy::columnar::BytesColumn;
use tantivy::{DocAddress, Searcher};

use crate::index::schema::WORDS_FIELD;
use crate::index::words::{SEPARATOR, SOUNDS_MARK, ZSTD_MAGIC};

/// The words and the readings of the content words of a page (or manual section): its title,
/// heading, aliases, tags and text.
#[derive(Debug, Default)]
pub struct PageWords {
    terms: SortedLines,
    /// The readings of its words, in katakana.
    sounds: SortedLines,
}

impl PageWords {
    /// The words as kept in the `words` field: the terms, [`SOUNDS_MARK`], the sounds, each
    /// list sorted, a word per line.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let (terms, sounds) = match bytes.iter().position(|&b| b == SOUNDS_MARK) {
            Some(at) => (&bytes[..at], &bytes[at + 1..]),
            None => (bytes, &[][..]),
        };
        PageWords { terms: SortedLines::new(terms), sounds: SortedLines::new(sounds) }
    }

    /// Whether the page has the word `term`.
    pub fn has_term(&self, term: &str) -> bool {
        self.terms.contains(term.as_bytes())
    }

    /// Whether the page has a word read `katakana` (one it writes another way).
    pub fn has_sound(&self, katakana: &str) -> bool {
        self.sounds.contains(katakana.as_bytes())
    }

    #[cfg(test)]
    pub(crate) fn from_terms<'a>(terms: impl IntoIterator<Item = &'a str>) -> Self {
        let mut terms: Vec<&str> = terms.into_iter().collect();
        terms.sort_unstable();
        PageWords::from_bytes(terms.join("\n").as_bytes())
    }
}

/// How many documents' words are kept decoded. Reading them from the column decompresses a
/// block of it (about 0.1M instructions: 1.45M → 1.84M per wiki-qa search when every read
/// did); the best three hits of a question are read, and the same pages are the best often.
pub const KEPT_PAGES: usize = 4096;

/// The `words` columns of an index's segments, by segment number, and the most recently read
/// documents' words. Opened once for the searcher of a generation, whose segments never change
/// while it serves (its reader is never reloaded): the addresses asked about are that searcher's.
#[derive(Debug)]
pub struct WordsColumns {
    segments: Vec<Option<BytesColumn>>,
    kept: Mutex<LruCache<DocAddress, Arc<PageWords>>>,
}

impl WordsColumns {
    /// The columns of the segments `searcher` reads.
    pub fn open(searcher: &Searcher) -> tantivy::Result<Self> {
        let segments = searcher
            .segment_readers()
            .iter()
            .map(|reader| reader.fast_fields().bytes(WORDS_FIELD))
            .collect::<tantivy::Result<_>>()?;
        let kept = Mutex::new(LruCache::new(NonZeroUsize::new(KEPT_PAGES).unwrap_or(NonZeroUsize::MIN)));
        Ok(WordsColumns { segments, kept })
    }

    /// The words of the document at `address` (none if it has none).
    pub fn of(&self, address: DocAddress) -> tantivy::Result<Arc<PageWords>> {
        if let Some(words) = self.kept.lock().ok().and_then(|mut m| m.get(&address).cloned()) {
            return Ok(words);
        }
        let words = Arc::new(self.read(address)?);
        if let Ok(mut m) = self.kept.lock() {
            m.put(address, words.clone());
        }
        Ok(words)
    }

    fn read(&self, address: DocAddress) -> tantivy::Result<PageWords> {
        let column = self.segments.get(address.segment_ord as usize).and_then(Option::as_ref);
        let Some((column, ord)) = column.and_then(|c| Some((c, c.term_ords(address.doc_id).next()?))) else {
            return Ok(PageWords::default());
        };
        let mut frame = Vec::new();
        column.ord_to_bytes(ord, &mut frame)?;
        if !frame.starts_with(&ZSTD_MAGIC) {
            return Ok(PageWords::from_bytes(&frame));
        }
        let bytes = DECOMPRESSOR.with_borrow_mut(|kept| {
            let decompressor = match kept {
                Some(decompressor) => decompressor,
                None => kept.insert(zstd::bulk::Decompressor::new()?),
            };
            let size = zstd::bulk::Decompressor::upper_bound(&frame).unwrap_or(0).min(MAX_WORDS_BYTES);
            decompressor.decompress(&frame, size)
        });
        let bytes = bytes.map_err(|e| tantivy::TantivyError::InternalError(format!("the words of document {address:?}: {e}")))?;
        Ok(PageWords::from_bytes(&bytes))
    }
}

/// The most a document's words may take decompressed (a page of a few megabytes).
const MAX_WORDS_BYTES: usize = 64 << 20;

thread_local! {
    /// zstd's decompression state, kept: making one per frame cost as much as decompressing it.
    static DECOMPRESSOR: std::cell::RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { std::cell::RefCell::new(None) };
}

/// Sorted lines, looked up by bisection: one allocation for the text, one for where each
/// line starts.
#[derive(Debug, Default)]
struct SortedLines {
    text: Box<[u8]>,
    starts: Box<[u32]>,
}

/// [`SEPARATOR`] as a byte.
const LINE_END: u8 = SEPARATOR as u8;

impl SortedLines {
    fn new(text: &[u8]) -> Self {
        let starts = if text.is_empty() {
            Vec::new()
        } else {
            std::iter::once(0).chain(memchr::memchr_iter(LINE_END, text).map(|at| at as u32 + 1)).collect()
        };
        SortedLines { text: text.into(), starts: starts.into_boxed_slice() }
    }

    fn line(&self, n: usize) -> &[u8] {
        let from = self.starts[n] as usize;
        let to = self.starts.get(n + 1).map_or(self.text.len(), |&next| next as usize - 1);
        &self.text[from..to]
    }

    fn contains(&self, word: &[u8]) -> bool {
        let (mut low, mut high) = (0, self.starts.len());
        while low < high {
            let middle = (low + high) / 2;
            match self.line(middle).cmp(word) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::words::of_text;

    fn page(text: &str) -> PageWords {
        PageWords::from_bytes(&of_text(text, crate::analysis::tests::analyzer()).to_bytes())
    }

    #[test]
    fn a_word_written_another_way_is_found_by_its_sound() {
        let words = page("年末年始の休業期間と駐輪場");
        assert!(words.has_sound("キュウギョウ"));
        assert!(!words.has_sound("チュウシャジョウ"), "sounds are whole words, not bigrams found here and there");
        assert!(!words.has_sound(""), "no sound, no match");
    }

    #[test]
    fn a_page_has_the_words_of_its_katakana_compounds() {
        let words = page("『ラス・メニーナス』の構成");
        assert!(words.has_term("ラス・メニーナス"));
        assert!(words.has_term("メニーナス"), "a question may name one word of the compound");
        assert!(words.has_term("構成"));
    }

    #[test]
    fn each_document_reads_back_its_own_words_from_the_index() -> tantivy::Result<()> {
        let (schema, fields) = crate::index::schema();
        let index = tantivy::Index::builder().schema(schema).settings(crate::index::schema::settings()).create_in_ram()?;
        crate::analysis::tokenizer::register(&index, crate::analysis::tests::analyzer());
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000)?;
        // Added out of corpus order: the index sorts them by `ord`.
        for (ord, text) in [(2u64, "駐輪場の場所"), (0, "返品の方法"), (1, "休業期間のお知らせ")] {
            let mut doc = tantivy::TantivyDocument::new();
            doc.add_text(fields.key, text);
            let words = of_text(text, crate::analysis::tests::analyzer());
            // One as indexes kept them before frames.
            doc.add_bytes(fields.words, &if ord == 1 { words.to_bytes() } else { words.to_frame() });
            doc.add_u64(fields.ord, ord);
            writer.add_document(doc)?;
        }
        let mut bare = tantivy::TantivyDocument::new();
        bare.add_u64(fields.ord, 3);
        writer.add_document(bare)?;
        writer.commit()?;
        let searcher = index.reader()?.searcher();
        let columns = WordsColumns::open(&searcher)?;
        let at = |doc_id| DocAddress::new(0, doc_id);
        assert!(columns.of(at(0))?.has_term("返品"));
        assert!(!columns.of(at(0))?.has_term("駐輪"));
        assert!(columns.of(at(1))?.has_sound("キュウギョウ"));
        assert!(columns.of(at(2))?.has_term("駐輪場") || columns.of(at(2))?.has_term("駐輪"));
        assert!(!columns.of(at(3))?.has_term("返品"), "a document without words has none");
        assert!(columns.of(at(0))?.has_term("返品"), "read again from the kept ones");
        Ok(())
    }

    #[test]
    fn every_stored_word_is_found_and_no_other() {
        let words = PageWords::from_terms(["あ", "いい", "う", "ええ", "お"]);
        for word in ["あ", "いい", "う", "ええ", "お"] {
            assert!(words.has_term(word), "{word}");
        }
        for word in ["", "い", "あい", "えええ", "か", "\n"] {
            assert!(!words.has_term(word), "{word:?}");
        }
        assert!(!PageWords::default().has_term(""), "an empty list has nothing");
        assert!(!PageWords::from_terms(["x"]).has_sound("x"), "terms are not sounds");
    }
}
