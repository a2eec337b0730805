//! What scoring keeps between searches, and what a term's postings say about their best scores.
//!
//! Lowest room of [`crate::ranking`]: BM25's statistics (document frequencies, average field
//! lengths, length-normalization tables), a term's per-window bounds and best documents
//! ([`Walked`]), and the [`ScoringCache`] that keeps all of them for one index generation.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use tantivy::fieldnorm::FieldNormReader;
use tantivy::index::{InvertedIndexReader, SegmentId};
use tantivy::postings::{SegmentPostings, TermInfo};
use tantivy::query::Bm25StatisticsProvider;
use tantivy::schema::Field;
use tantivy::{DocId, Score, Searcher, SegmentReader, Term};

use super::bm25::Bm25;

/// Documents per window in a segment of `max_doc` documents (see
/// [`TopK::collect_segment`](super::TopK::collect_segment)): about 32 windows per segment, a
/// power of two from 512 to 4,096. Finer windows bound the units more tightly, but each window
/// costs a pass over the units (their bounds and order) and a seek of those left behind.
/// Instructions per search: wiki-qa (13,448 documents) 4,096: 3.04M, 1,024: 2.86M, 512: 2.80M,
/// 256: 2.89M; generated 100k (95,038 documents) 512: 7.15M, 1,024: 6.67M, 2,048: 6.45M,
/// 4,096: 6.43M.
pub fn window(max_doc: DocId) -> u32 {
    (max_doc / 32).next_power_of_two().clamp(512, 4096)
}

/// Documents per block of [`Walked::blocks`] (and of [`Block`](super::block::Block)'s walk).
pub const BLOCK: u32 = 512;

/// An upper bound of a share (`tf / (tf + norm)`, in [0, 1]) in 255ths, at least 1: what
/// [`Walked::blocks`] keeps for a block with a document. `None` for a share outside [0, 1]
/// (parameters no tuning would choose), which cannot be bounded so.
pub(crate) fn share_255ths(share: Score) -> Option<u8> {
    if !(0.0..=1.0).contains(&share) {
        return None;
    }
    // One 255th over the rounded-up share: float rounding never makes the bound smaller. The
    // ceiling of a value in [0, 255] as its whole part plus one when there is more: `ceil` is a
    // call into libm on x86-64's baseline (1.4% of a 100k search's first-time walks).
    let scaled = share * 255.0;
    let whole = scaled as u32;
    let ceiling = whole + u32::from((whole as Score) < scaled);
    Some((ceiling + 1).clamp(1, 255) as u8)
}

/// The field's average length in tokens, over `docs` documents.
pub(crate) fn field_average(statistics: &dyn Bm25StatisticsProvider, field: Field, docs: u64) -> tantivy::Result<Score> {
    let tokens = statistics.total_num_tokens(field)?;
    Ok(if docs == 0 { 1.0 } else { (tokens as Score / docs as Score).max(f32::MIN_POSITIVE) })
}

/// A term's entries in the term dictionaries of a searcher's segments, and its walks: one
/// allocation per term, shared by the cache and every weight made for the term. (Its parts
/// were three: a search asks for some hundred and seventy terms, and each part cost a cache
/// miss to share.)
pub(crate) struct TermStats {
    /// The term itself: each search's weights read their postings by it (a copy per weight
    /// was another allocation for each of a long question's clauses).
    pub(crate) term: Term,
    /// How many documents have the term, over all segments.
    pub(crate) doc_freq: u64,
    /// The term in each segment, in the searcher's order.
    pub(crate) found: Box<[(SegmentId, Option<TermInfo>)]>,
    /// The term's walks, per segment and parameters, kept with it in the cache (`None` when
    /// nothing is cached).
    pub(crate) walked: Option<WalkedList>,
}

/// Walks of one term, by segment and parameters: a handful at most.
pub(crate) type WalkedList = Mutex<Vec<(SegmentId, NormKey, Arc<Walked>)>>;

impl TermStats {
    pub(crate) fn look_up(searcher: &Searcher, term: &Term) -> tantivy::Result<Self> {
        let found = searcher
            .segment_readers()
            .iter()
            .map(|reader| Ok((reader.segment_id(), reader.inverted_index(term.field())?.get_term_info(term)?)))
            .collect::<tantivy::Result<Box<[_]>>>()?;
        let doc_freq = found.iter().map(|(_, info)| info.as_ref().map_or(0, |i| u64::from(i.doc_freq))).sum();
        Ok(TermStats { term: term.clone(), doc_freq, found, walked: None })
    }
}

/// Whether `ids` are the searcher's segments, in its order.
fn same_segments<'a>(ids: impl ExactSizeIterator<Item = &'a SegmentId>, searcher: &Searcher) -> bool {
    let readers = searcher.segment_readers();
    ids.len() == readers.len() && ids.zip(readers).all(|(id, reader)| *id == reader.segment_id())
}

/// `log(1 + (N - n + 0.5) / (n + 0.5))`, as Lucene and tantivy compute it.
pub(crate) fn idf(doc_freq: u64, num_docs: u64) -> Score {
    let x = (num_docs.saturating_sub(doc_freq) as Score + 0.5) / (doc_freq as Score + 0.5);
    (1.0 + x).ln()
}

/// A segment's readers of the fields a search looks at, opened once per search rather than
/// once for each of its terms (tantivy's lookup takes a lock).
pub struct SegmentFields<'r> {
    pub(crate) reader: &'r SegmentReader,
    open: Vec<(Field, Arc<InvertedIndexReader>, FieldNormReader)>,
}

impl<'r> SegmentFields<'r> {
    pub fn new(reader: &'r SegmentReader) -> Self {
        SegmentFields { reader, open: Vec::new() }
    }

    /// The field's postings and lengths in this segment.
    pub(crate) fn open(&mut self, field: Field) -> tantivy::Result<(&Arc<InvertedIndexReader>, &FieldNormReader)> {
        let at = match self.open.iter().position(|(f, ..)| *f == field) {
            Some(at) => at,
            None => {
                let index = self.reader.inverted_index(field)?;
                let norms = self.reader.get_fieldnorms_reader(field)?;
                self.open.push((field, index, norms));
                self.open.len() - 1
            }
        };
        let (_, index, norms) = &self.open[at];
        Ok((index, norms))
    }
}

/// What one walk over a term's postings in a segment tells [`TopK`](super::TopK): shared, as
/// one allocation, by the cache and the units made from it.
pub struct Walked {
    /// The most `tf / (tf + norm)` reaches in each window of [`window`]
    /// documents.
    pub shares: Box<[Score]>,
    /// [`TOP_DOCS`] documents where the share is highest (at equal shares, the first met),
    /// with their share.
    pub top: Box<[(DocId, Score)]>,
    /// Where windows are longer than a [`BLOCK`] (segments of more than 16,384 documents):
    /// for each block of [`BLOCK`] documents, an upper bound of the share there in 255ths
    /// ([`share_255ths`]; 0 where the term has no document). Finer than the windows, for
    /// judging a candidate before asking the units not read about it; one byte per block.
    pub blocks: Option<Box<[u8]>>,
    /// Where a term's scorer starts from: its postings decoded whole when they are short
    /// ([`Start::Decoded`]), otherwise as opened ([`Start::Opened`]).
    pub(crate) start: Start,
}

/// The postings a term's scorer starts from (see [`Walked::start`]).
pub(crate) enum Start {
    /// The postings as opened, at their first document with their first block decoded: a
    /// term's scorer starts from a copy of them. Opening the postings (the term's slice of the
    /// postings file, its first block decoded, and the result moved three times) cost about
    /// three times the copy, and a long question opens some eighty terms' postings.
    Opened(Box<SegmentPostings>),
    /// Postings of at most [`DECODED_POSTINGS`] documents, decoded once when the term is
    /// walked: a scorer over them is a place in two arrays, made without copying a kilobyte of
    /// postings, and read without decoding blocks again.
    Decoded(Arc<Decoded>),
}

/// The longest postings kept decoded ([`Start::Decoded`]): 12 bytes a document, so at most
/// 384 KB per term and segment (postings kept as opened are about 1.2 KB), within
/// [`DECODED_BYTES`] for the process. Instructions per wiki-qa search: 256: 1.843M, 1,024:
/// 1.807M, 8,192: 1.785M (no longer postings are kept there); per search on the generated
/// 100k corpus, where common words have tens of thousands: 8,192: 4.88M, 32,768: 4.70M.
pub const DECODED_POSTINGS: u32 = 32_768;

/// How many bytes of decoded postings the process keeps at most: past it, a term's postings
/// are kept as opened, whatever their length. A long question's scores are the same either
/// way; the bound keeps a large corpus's many long postings from filling the memory.
pub const DECODED_BYTES: usize = 64 << 20;

/// The bytes of all the [`Decoded`] postings alive in the process.
static DECODED_IN_USE: AtomicUsize = AtomicUsize::new(0);

impl Decoded {
    /// Room for `docs` decoded documents within [`DECODED_BYTES`], taken (and given back when
    /// the postings made with it are dropped); `false` when there is none.
    pub(crate) fn reserve(docs: u32) -> bool {
        let bytes = Decoded::bytes_of(docs as usize);
        let before = DECODED_IN_USE.fetch_add(bytes, Ordering::Relaxed);
        if before + bytes > DECODED_BYTES {
            DECODED_IN_USE.fetch_sub(bytes, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// What `docs` decoded documents take: each document, its frequency and the denominator
    /// of its score, and the sentinel.
    fn bytes_of(docs: usize) -> usize {
        12 * docs + 4
    }
}

impl Drop for Decoded {
    fn drop(&mut self) {
        DECODED_IN_USE.fetch_sub(Decoded::bytes_of(self.reserved as usize), Ordering::Relaxed);
    }
}

/// A term's postings in a segment, decoded: its documents, ascending, then
/// [`TERMINATED`](tantivy::TERMINATED) as a sentinel, and for each document the two operands of
/// its score after the weight: its term frequency `tf`, and `tf + norm` for its length's norm
/// under the parameters the postings were walked with (a score is `weight × tf / (tf + norm)`:
/// the same operations on the same values as [`Bm25TermScorer`](super::Bm25TermScorer)'s, without
/// looking the length up again for every search). Made only with room reserved
/// ([`Decoded::reserve`]) for its length.
pub(crate) struct Decoded {
    pub(crate) docs: Box<[DocId]>,
    pub(crate) scored: Box<[(Score, Score)]>,
    /// The documents room was reserved for ([`Decoded::reserve`]): given back when dropped.
    pub(crate) reserved: u32,
}

/// How many of a term's best documents [`Walked::top`] keeps. Sixteen seed as well as 32
/// did, and the seed's lists are half as long to merge (8.72M → 8.58M instructions per
/// search on 100k).
pub const TOP_DOCS: usize = 16;

/// What scoring keeps between searches of one index generation:
///
/// - **terms' entries in the term dictionaries** and their document frequencies: a question
///   looks up about ninety terms (each word in five fields, its sounds and characters in two),
///   and a dictionary lookup costs more than the rest of a term's setup;
/// - with each term, its **per-window bounds and best documents** ([`Walked`]): walking a
///   common term's postings to find them costs as much as a search, and the same words come
///   back in question after question;
/// - **fields' average lengths**;
/// - **length-normalization tables**: BM25's `k1 × (1 − b + b × length / average)` for each of
///   the 256 field-length codes tantivy stores, one table per field (its average length) and
///   parameters, so that scoring a posting is one lookup and one division.
///
/// Entries are checked against the searcher's segments, so a cache shared by two searchers
/// never answers one with the other's statistics.
pub struct ScoringCache {
    terms: RwLock<HashMap<Key, Kept, FastHash>>,
    /// How many terms are kept at most.
    capacity: usize,
    /// Counts the terms put in: a term's `used` is the count when it was last asked for.
    clock: AtomicU64,
    /// A handful per generation (one per field and parameters): a list beats hashing.
    norms: Mutex<Vec<(NormKey, Arc<NormTable>)>>,
    /// Each field's average length with its table, per parameters
    /// ([`ScoringCache::average_and_norms`]).
    field_norms: Mutex<Vec<FieldNorms>>,
}

/// A field's average length and normalization table for some parameters (k1 and b as bits),
/// and the segments they were measured on.
type FieldNorms = (Field, (u32, u32), Arc<[SegmentId]>, Score, Arc<NormTable>);

/// A term kept, and the cache's clock when it was last asked for.
struct Kept {
    stats: Arc<TermStats>,
    used: AtomicU64,
}

/// Keys are terms and segment ids, not chosen by clients in a way that could hurt: a fast
/// hash instead of the standard library's DoS-resistant one.
type FastHash = foldhash::fast::RandomState;

/// How many bytes of a term's value a [`Key`] holds in place: its type byte and up to 41 bytes
/// of text, thirteen kana or kanji: nearly every word, reading and character gram a question
/// looks up.
const INLINE: usize = 42;

/// A term as the cache's key: its field and value bytes, in place when they fit. Finding a term
/// then compares bytes in the table's own slot, where a [`Term`] keeps them in a block of their
/// own: one more cache line read for each of a long question's lookups.
enum Key {
    Inline { field: u32, len: u8, bytes: [u8; INLINE] },
    Long { field: u32, bytes: Box<[u8]> },
}

impl Key {
    fn of(term: &Term) -> Key {
        let (field, value) = (term.field().field_id(), term.serialized_value_bytes());
        if value.len() > INLINE {
            return Key::Long { field, bytes: value.into() };
        }
        let mut bytes = [0; INLINE];
        bytes[..value.len()].copy_from_slice(value);
        // (INLINE is under 256: the length fits a byte.)
        Key::Inline { field, len: value.len() as u8, bytes }
    }

    /// The field and the value's bytes.
    fn parts(&self) -> (u32, &[u8]) {
        match self {
            Key::Inline { field, len, bytes } => (*field, &bytes[..usize::from(*len)]),
            Key::Long { field, bytes } => (*field, bytes),
        }
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for Key {}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let (field, bytes) = self.parts();
        state.write_u32(field);
        state.write(bytes);
    }
}

/// BM25's length normalization for each field-length code.
pub(crate) type NormTable = [Score; 256];

/// k1, b and the field's average length, as bits.
pub(crate) type NormKey = (u32, u32, u32);

/// The per-field lists (average lengths, normalization tables) are cleared when this long: a
/// generation has one entry per field and parameters, so only odd uses ever fill them.
const PER_FIELD_ENTRIES: usize = 64;

impl ScoringCache {
    /// Remember up to `terms` terms: their dictionary entries, window bounds and best documents.
    pub fn new(terms: usize) -> Self {
        ScoringCache {
            terms: RwLock::new(HashMap::with_hasher(FastHash::default())),
            capacity: terms.max(1),
            clock: AtomicU64::new(0),
            norms: Mutex::new(Vec::new()),
            field_norms: Mutex::new(Vec::new()),
        }
    }

    /// The term's entries in the searcher's segments.
    ///
    /// Asking for a kept term takes the read lock and, at most, stamps the term with the
    /// clock: an LRU list's `get` relinked the term at the list's head (three entries of a
    /// 65,536-entry list written, cache misses for a long question's ~170 terms, under a
    /// mutex). Eviction is by age in batches instead ([`ScoringCache::put`]).
    pub(crate) fn term_stats(&self, searcher: &Searcher, term: &Term) -> tantivy::Result<Arc<TermStats>> {
        if let Some(stats) = self.kept(searcher, term, Arc::clone) {
            return Ok(stats);
        }
        let stats = Arc::new(TermStats { walked: Some(WalkedList::default()), ..TermStats::look_up(searcher, term)? });
        self.put(term, stats.clone());
        Ok(stats)
    }

    /// How many documents of the searcher have the term: [`ScoringCache::term_stats`]'s
    /// `doc_freq`, without copying the entry out.
    pub(crate) fn doc_freq(&self, searcher: &Searcher, term: &Term) -> tantivy::Result<u64> {
        match self.kept(searcher, term, |s| s.doc_freq) {
            Some(doc_freq) => Ok(doc_freq),
            None => Ok(self.term_stats(searcher, term)?.doc_freq),
        }
    }

    /// `read` of the term's kept entry, if it is kept for the searcher's segments.
    fn kept<T>(&self, searcher: &Searcher, term: &Term, read: impl FnOnce(&Arc<TermStats>) -> T) -> Option<T> {
        let terms = self.terms.read().ok()?;
        let kept = terms.get(&Key::of(term))?;
        if !same_segments(kept.stats.found.iter().map(|(id, _)| id), searcher) {
            return None;
        }
        let now = self.clock.load(Ordering::Relaxed);
        if kept.used.load(Ordering::Relaxed) != now {
            kept.used.store(now, Ordering::Relaxed);
        }
        Some(read(&kept.stats))
    }

    /// Keep the term's entries. When the cache is full, the eighth of the terms asked for
    /// least recently are let go first (the list of stamps is read once per eighth of the
    /// capacity, not per term).
    fn put(&self, term: &Term, stats: Arc<TermStats>) {
        let Ok(mut terms) = self.terms.write() else { return };
        let now = self.clock.fetch_add(1, Ordering::Relaxed) + 1;
        let key = Key::of(term);
        if terms.len() >= self.capacity && !terms.contains_key(&key) {
            let mut stamps: Vec<u64> = terms.values().map(|k| k.used.load(Ordering::Relaxed)).collect();
            let oldest = (self.capacity / 8).clamp(1, stamps.len());
            let (_, &mut cutoff, _) = stamps.select_nth_unstable(oldest - 1);
            terms.retain(|_, k| k.used.load(Ordering::Relaxed) > cutoff);
        }
        terms.insert(key, Kept { stats, used: AtomicU64::new(now) });
    }

    /// The field's average length over the searcher's `docs` documents and its normalization
    /// table for `params`
    /// ([`ScoringCache::norms`]), under one lock: every term of a question asks for both (two
    /// locks and two lists searched for each of a long question's ninety terms).
    pub(crate) fn average_and_norms(&self, searcher: &Searcher, field: Field, docs: u64, params: Bm25) -> tantivy::Result<(Score, Arc<NormTable>)> {
        let bits = (params.k1.to_bits(), params.b.to_bits());
        if let Ok(kept) = self.field_norms.lock()
            && let Some((.., average, norms)) = kept.iter().find(|(f, p, ids, ..)| *f == field && *p == bits && same_segments(ids.iter(), searcher))
        {
            return Ok((*average, norms.clone()));
        }
        let average = field_average(searcher, field, docs)?;
        let norms = self.norms(params, average);
        if let Ok(mut kept) = self.field_norms.lock() {
            if kept.len() >= PER_FIELD_ENTRIES {
                kept.clear();
            }
            kept.push((field, bits, searcher.segment_readers().iter().map(|r| r.segment_id()).collect(), average, norms.clone()));
        }
        Ok((average, norms))
    }

    /// The normalization table for these parameters and average length.
    pub(crate) fn norms(&self, params: Bm25, average: Score) -> Arc<NormTable> {
        let key = (params.k1.to_bits(), params.b.to_bits(), average.to_bits());
        let Ok(mut tables) = self.norms.lock() else { return Arc::new(norm_table(params, average)) };
        if let Some((_, table)) = tables.iter().find(|(k, _)| *k == key) {
            return table.clone();
        }
        if tables.len() >= PER_FIELD_ENTRIES {
            tables.clear();
        }
        let table = Arc::new(norm_table(params, average));
        tables.push((key, table.clone()));
        table
    }
}

/// `k1 × (1 − b + b × length / average)` for every field-length code.
pub(crate) fn norm_table(Bm25 { k1, b }: Bm25, average: Score) -> NormTable {
    std::array::from_fn(|id| {
        let length = FieldNormReader::id_to_fieldnorm(id as u8) as Score;
        k1 * (1.0 - b + b * length / average)
    })
}

impl std::fmt::Debug for ScoringCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScoringCache").finish_non_exhaustive()
    }
}
