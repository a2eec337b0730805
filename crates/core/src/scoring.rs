//! How much does one word in one field count?
//!
//! BM25, as tantivy computes it, but with the saturation `k1` and the length normalization `b`
//! as parameters: tantivy fixes them at 1.2 and 0.75. Kotae's queries add up many pieces of
//! evidence per word (fields, readings, characters), so a word repeated in a long paragraph
//! should stop adding much sooner than classic BM25 lets it: tuned on data, `k1` 0.5 ranks
//! better on both the FAQ tuning queries and wiki-qa (see the README's ablation table).
//!
//! [`Bm25TermQuery`] is a drop-in for tantivy's `TermQuery` with frequencies.
//!
//! [`DisMax`] scores a word by its best field plus a fraction of the others, like tantivy's
//! `DisjunctionMaxQuery`, without its cost: tantivy's builds a union buffer of 4,096 scores per
//! query clause, which on a help center's few hundred documents was a quarter of a search's CPU.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use lru::LruCache;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings, TermInfo};
use tantivy::query::{
    Bm25StatisticsProvider, Bm25Weight, BoostQuery, EmptyScorer, EnableScoring, Explanation, PhraseQuery, Query, Scorer, Weight,
};
use tantivy::schema::IndexRecordOption;
use tantivy::index::{InvertedIndexReader, SegmentId};
use tantivy::schema::Field;
use tantivy::{DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED, TantivyError, Term};

use crate::topk::UnitScorer;

/// BM25's two parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bm25 {
    /// Term-frequency saturation: how fast repeated occurrences stop counting.
    pub k1: f32,
    /// Length normalization: 0 ignores the field's length, 1 divides by it fully.
    pub b: f32,
}

impl Default for Bm25 {
    fn default() -> Self {
        Bm25 { k1: 0.5, b: 0.75 }
    }
}

/// A term, scored by BM25 with the given parameters.
#[derive(Debug, Clone)]
pub struct Bm25TermQuery {
    term: Term,
    params: Bm25,
    boost: Score,
    cache: Option<Arc<ScoringCache>>,
}

impl Bm25TermQuery {
    pub fn new(term: Term, params: Bm25) -> Self {
        Self { term, params, boost: 1.0, cache: None }
    }

    /// Keep what scoring can reuse in `cache`, and give [`TopK`](crate::topk::TopK) this
    /// term's bound per window.
    pub fn with_cache(mut self, cache: Arc<ScoringCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// Multiply every score by `boost` (a field's weight).
    pub fn with_boost(mut self, boost: Score) -> Self {
        self.boost = boost;
        self
    }

    fn bm25_weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Bm25TermWeight> {
        let field = self.term.field();
        if !enable_scoring.schema().get_field_entry(field).is_indexed() {
            return Err(TantivyError::SchemaError(format!("field {field:?} is not indexed")));
        }
        let (weight, average, stats) = match enable_scoring {
            EnableScoring::Enabled { searcher, statistics_provider } => {
                // The cache keeps the searcher's own statistics: it serves only when they are
                // the ones asked for.
                let cache = self.cache.as_ref().filter(|_| std::ptr::addr_eq(statistics_provider, searcher));
                let docs = statistics_provider.total_num_docs()?;
                let average = match cache {
                    Some(cache) => cache.average(searcher, field, docs)?,
                    None => field_average(statistics_provider, field, docs)?,
                };
                let stats = match cache {
                    Some(cache) => cache.term_stats(searcher, &self.term)?,
                    None => TermStats::look_up(searcher, &self.term)?,
                };
                (idf(stats.doc_freq, docs) * (1.0 + self.params.k1), average, stats)
            }
            EnableScoring::Disabled { .. } => (1.0, 1.0, TermStats { doc_freq: 0, found: Arc::new([]), walked: None }),
        };
        let norms = match &self.cache {
            Some(cache) => cache.norms(self.params, average),
            None => Arc::new(norm_table(self.params, average)),
        };
        Ok(Bm25TermWeight {
            term: self.term.clone(),
            weight: weight * self.boost,
            average,
            params: self.params,
            norms,
            found: stats.found,
            doc_freq: stats.doc_freq,
            walked: stats.walked,
        })
    }
}

/// The field's average length in tokens, over `docs` documents.
fn field_average(statistics: &dyn Bm25StatisticsProvider, field: Field, docs: u64) -> tantivy::Result<Score> {
    let tokens = statistics.total_num_tokens(field)?;
    Ok(if docs == 0 { 1.0 } else { (tokens as Score / docs as Score).max(f32::MIN_POSITIVE) })
}

/// A term's entries in the term dictionaries of a searcher's segments.
#[derive(Clone)]
struct TermStats {
    /// How many documents have the term, over all segments.
    doc_freq: u64,
    /// The term in each segment, in the searcher's order.
    found: Arc<[(SegmentId, Option<TermInfo>)]>,
    /// The term's walks, per segment and parameters, kept with it in the cache (`None` when
    /// nothing is cached).
    walked: Option<WalkedList>,
}

/// Walks of one term, by segment and parameters: a handful at most.
type WalkedList = Arc<Mutex<Vec<(SegmentId, NormKey, Walked)>>>;

impl TermStats {
    fn look_up(searcher: &Searcher, term: &Term) -> tantivy::Result<Self> {
        let found = searcher
            .segment_readers()
            .iter()
            .map(|reader| Ok((reader.segment_id(), reader.inverted_index(term.field())?.get_term_info(term)?)))
            .collect::<tantivy::Result<Arc<[_]>>>()?;
        let doc_freq = found.iter().map(|(_, info)| info.as_ref().map_or(0, |i| u64::from(i.doc_freq))).sum();
        Ok(TermStats { doc_freq, found, walked: None })
    }
}

/// Whether `ids` are the searcher's segments, in its order.
fn same_segments<'a>(ids: impl ExactSizeIterator<Item = &'a SegmentId>, searcher: &Searcher) -> bool {
    let readers = searcher.segment_readers();
    ids.len() == readers.len() && ids.zip(readers).all(|(id, reader)| *id == reader.segment_id())
}

/// `log(1 + (N - n + 0.5) / (n + 0.5))`, as Lucene and tantivy compute it.
fn idf(doc_freq: u64, num_docs: u64) -> Score {
    let x = (num_docs.saturating_sub(doc_freq) as Score + 0.5) / (doc_freq as Score + 0.5);
    (1.0 + x).ln()
}

impl Query for Bm25TermQuery {
    /// The weight looks the term up once in every segment of the searcher: the document
    /// frequency is the sum of what it finds, and the scorers read their postings from it
    /// instead of looking the term up again.
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.bm25_weight(enable_scoring)?))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        visitor(&self.term, false);
    }
}

struct Bm25TermWeight {
    term: Term,
    /// idf × (k1 + 1) × boost: the most one document can score, since tf / (tf + norm) < 1.
    weight: Score,
    /// The field's average length, in tokens.
    average: Score,
    params: Bm25,
    norms: Arc<NormTable>,
    /// The term in each segment of the searcher the weight was made for.
    found: Arc<[(SegmentId, Option<TermInfo>)]>,
    /// How many documents of the searcher have the term (deleted ones included, as in
    /// tantivy's own statistics); 0 when scoring is disabled.
    doc_freq: u64,
    /// Where the term's walks are kept (see [`ScoringCache`]).
    walked: Option<WalkedList>,
}

impl Bm25TermWeight {
    fn term_scorer(&self, fields: &mut SegmentFields<'_>, boost: Score) -> tantivy::Result<Option<Bm25TermScorer>> {
        let segment = fields.reader.segment_id();
        let (index, fieldnorms) = fields.open(self.term.field())?;
        let postings = match self.found.iter().find(|(id, _)| *id == segment) {
            Some((_, None)) => return Ok(None),
            Some((_, Some(info))) => index.read_postings_from_terminfo(info, IndexRecordOption::WithFreqs)?,
            None => match index.read_postings(&self.term, IndexRecordOption::WithFreqs)? {
                Some(postings) => postings,
                None => return Ok(None),
            },
        };
        Ok(Some(Bm25TermScorer { postings, fieldnorms: fieldnorms.clone(), weight: self.weight * boost, norms: self.norms.clone() }))
    }
}

/// A segment's readers of the fields a search looks at, opened once per search rather than
/// once for each of its terms (tantivy's lookup takes a lock).
pub struct SegmentFields<'r> {
    reader: &'r SegmentReader,
    open: Vec<(Field, Arc<InvertedIndexReader>, FieldNormReader)>,
}

impl<'r> SegmentFields<'r> {
    pub fn new(reader: &'r SegmentReader) -> Self {
        SegmentFields { reader, open: Vec::new() }
    }

    /// The field's postings and lengths in this segment.
    fn open(&mut self, field: Field) -> tantivy::Result<(&Arc<InvertedIndexReader>, &FieldNormReader)> {
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

/// What one walk over a term's postings in a segment tells [`TopK`](crate::topk::TopK).
#[derive(Clone)]
pub struct Walked {
    /// The most `tf / (tf + norm)` reaches in each window of [`WINDOW`](crate::topk::WINDOW)
    /// documents.
    pub shares: Arc<[Score]>,
    /// [`TOP_DOCS`] documents where the share is highest (at equal shares, the first met),
    /// with their share.
    pub top: Arc<[(DocId, Score)]>,
}

/// How many of a term's best documents [`Walked::top`] keeps. Sixteen seed as well as 32
/// did, and the seed's lists are half as long to merge (8.72M → 8.58M instructions per
/// search on 100k).
pub const TOP_DOCS: usize = 16;

impl Bm25TermWeight {
    /// The term's window bounds and best documents in the segment, from the cache or by
    /// walking the postings once.
    fn walked(&self, fields: &mut SegmentFields<'_>) -> tantivy::Result<Option<Walked>> {
        let reader = fields.reader;
        let Some(kept) = &self.walked else { return Ok(None) };
        let segment = reader.segment_id();
        let Some((_, Some(info))) = self.found.iter().find(|(id, _)| *id == segment) else {
            return Ok(None);
        };
        let params = (self.params.k1.to_bits(), self.params.b.to_bits(), self.average.to_bits());
        let known = |list: &Vec<(SegmentId, NormKey, Walked)>| list.iter().find(|(s, p, _)| *s == segment && *p == params).map(|(.., w)| w.clone());
        if let Some(walked) = kept.lock().ok().and_then(|list| known(&list)) {
            return Ok(Some(walked));
        }
        let (index, fieldnorms) = fields.open(self.term.field())?;
        let mut postings = index.read_postings_from_terminfo(info, IndexRecordOption::WithFreqs)?;
        let mut shares = vec![0.0 as Score; reader.max_doc().div_ceil(crate::topk::WINDOW) as usize];
        // The best documents so far; `lowest` is the smallest share among them once full.
        let mut top: Vec<(DocId, Score)> = Vec::with_capacity(TOP_DOCS);
        let mut lowest = Score::NEG_INFINITY;
        let mut doc = postings.doc();
        while doc != TERMINATED {
            let tf = postings.term_freq() as Score;
            let share = tf / (tf + self.norms[fieldnorms.fieldnorm_id(doc) as usize]);
            let w = (doc / crate::topk::WINDOW) as usize;
            if share > shares[w] {
                shares[w] = share;
            }
            if top.len() < TOP_DOCS {
                top.push((doc, share));
                if top.len() == TOP_DOCS {
                    lowest = top.iter().map(|(_, s)| *s).fold(Score::INFINITY, Score::min);
                }
            } else if share > lowest {
                // Replace the weakest (any of them at equal shares: the list only suggests
                // documents to score, see `TopK`).
                let weakest = (0..top.len()).min_by(|&a, &b| top[a].1.total_cmp(&top[b].1)).unwrap_or(0);
                top[weakest] = (doc, share);
                lowest = top.iter().map(|(_, s)| *s).fold(Score::INFINITY, Score::min);
            }
            doc = postings.advance();
        }
        let walked = Walked { shares: shares.into(), top: top.into() };
        if let Ok(mut list) = kept.lock()
            && known(&list).is_none()
        {
            list.push((segment, params, walked.clone()));
        }
        Ok(Some(walked))
    }
}

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
    terms: Mutex<LruCache<Term, TermStats, FastHash>>,
    /// A handful per generation (one per field): a list beats hashing.
    averages: Mutex<Vec<FieldAverage>>,
    /// A handful per generation (one per field and parameters): a list beats hashing.
    norms: Mutex<Vec<(NormKey, Arc<NormTable>)>>,
}

/// A field's average length, and the segments it was measured on.
type FieldAverage = (Field, Arc<[SegmentId]>, Score);

/// Keys are terms and segment ids, not chosen by clients in a way that could hurt: a fast
/// hash instead of the standard library's DoS-resistant one.
type FastHash = foldhash::fast::RandomState;

/// BM25's length normalization for each field-length code.
type NormTable = [Score; 256];

/// k1, b and the field's average length, as bits.
type NormKey = (u32, u32, u32);

/// The per-field lists (average lengths, normalization tables) are cleared when this long: a
/// generation has one entry per field and parameters, so only odd uses ever fill them.
const PER_FIELD_ENTRIES: usize = 64;

impl ScoringCache {
    /// Remember up to `terms` terms: their dictionary entries, window bounds and best documents.
    pub fn new(terms: usize) -> Self {
        let capacity = NonZeroUsize::new(terms.max(1)).unwrap_or(NonZeroUsize::MIN);
        ScoringCache {
            terms: Mutex::new(LruCache::with_hasher(capacity, FastHash::default())),
            averages: Mutex::new(Vec::new()),
            norms: Mutex::new(Vec::new()),
        }
    }

    /// The term's entries in the searcher's segments.
    fn term_stats(&self, searcher: &Searcher, term: &Term) -> tantivy::Result<TermStats> {
        let kept = self.terms.lock().ok().and_then(|mut m| m.get(term).cloned());
        if let Some(stats) = kept.filter(|s| same_segments(s.found.iter().map(|(id, _)| id), searcher)) {
            return Ok(stats);
        }
        let stats = TermStats { walked: Some(WalkedList::default()), ..TermStats::look_up(searcher, term)? };
        if let Ok(mut m) = self.terms.lock() {
            m.put(term.clone(), stats.clone());
        }
        Ok(stats)
    }

    /// The field's average length over the searcher's `docs` documents.
    fn average(&self, searcher: &Searcher, field: Field, docs: u64) -> tantivy::Result<Score> {
        if let Ok(kept) = self.averages.lock()
            && let Some((.., average)) = kept.iter().find(|(f, ids, _)| *f == field && same_segments(ids.iter(), searcher))
        {
            return Ok(*average);
        }
        let average = field_average(searcher, field, docs)?;
        if let Ok(mut kept) = self.averages.lock() {
            if kept.len() >= PER_FIELD_ENTRIES {
                kept.clear();
            }
            kept.push((field, searcher.segment_readers().iter().map(|r| r.segment_id()).collect(), average));
        }
        Ok(average)
    }

    /// The normalization table for these parameters and average length.
    fn norms(&self, params: Bm25, average: Score) -> Arc<NormTable> {
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
fn norm_table(Bm25 { k1, b }: Bm25, average: Score) -> NormTable {
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

impl Weight for Bm25TermWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(match self.term_scorer(&mut SegmentFields::new(reader), boost)? {
            Some(scorer) => Box::new(scorer),
            None => Box::new(EmptyScorer),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let not_matching = || TantivyError::InvalidArgument(format!("document #{doc} does not match"));
        let mut scorer = self.term_scorer(&mut SegmentFields::new(reader), 1.0)?.ok_or_else(not_matching)?;
        if scorer.doc() > doc || scorer.seek(doc) != doc {
            return Err(not_matching());
        }
        let mut explanation = Explanation::new("BM25", scorer.score());
        explanation.add_const("k1", self.params.k1);
        explanation.add_const("b", self.params.b);
        explanation.add_const("term frequency", scorer.postings.term_freq() as Score);
        explanation.add_context(format!("term={:?}", self.term));
        Ok(explanation)
    }
}

/// The postings of a [`Bm25TermQuery`] on one segment, scored.
pub struct Bm25TermScorer {
    postings: SegmentPostings,
    fieldnorms: FieldNormReader,
    weight: Score,
    norms: Arc<NormTable>,
}

impl DocSet for Bm25TermScorer {
    #[inline]
    fn advance(&mut self) -> DocId {
        self.postings.advance()
    }

    #[inline]
    fn seek(&mut self, target: DocId) -> DocId {
        self.postings.seek(target)
    }

    #[inline]
    fn doc(&self) -> DocId {
        self.postings.doc()
    }

    fn size_hint(&self) -> u32 {
        self.postings.size_hint()
    }
}

impl Scorer for Bm25TermScorer {
    #[inline]
    fn score(&mut self) -> Score {
        let tf = self.postings.term_freq() as Score;
        let norm = self.norms[self.fieldnorms.fieldnorm_id(self.postings.doc()) as usize];
        self.weight * tf / (tf + norm)
    }
}

/// A phrase (a multi-word synonym such as スマート フォン) times a weight, with a known bound.
///
/// Scored by tantivy's phrase BM25, which is at most `boost` × the sum of its terms' idf ×
/// (1 + k1): [`TopK`](crate::topk::TopK) can leave it out of the documents it visits once it
/// cannot lift a document into the top k. Without a bound a phrase was visited on every
/// document it matched (11,000 of them for スマート フォン on 100,000 articles).
#[derive(Debug, Clone)]
pub struct BoostedPhrase {
    phrase: PhraseQuery,
    boost: Score,
}

impl BoostedPhrase {
    pub fn new(terms: Vec<Term>, boost: Score) -> Self {
        BoostedPhrase { phrase: PhraseQuery::new(terms), boost }
    }

    /// The most a document can score (infinite when scoring is off).
    fn max_score(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Score> {
        match enable_scoring {
            EnableScoring::Enabled { statistics_provider, .. } => {
                let weight = Bm25Weight::for_terms(statistics_provider, &self.phrase.phrase_terms())?;
                Ok(weight.max_score() * self.boost.max(0.0))
            }
            EnableScoring::Disabled { .. } => Ok(Score::INFINITY),
        }
    }
}

impl Query for BoostedPhrase {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        BoostQuery::new(Box::new(self.phrase.clone()), self.boost).weight(enable_scoring)
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.phrase.query_terms(visitor);
    }
}

/// The best of its clauses, plus `tie_breaker` times the others.
#[derive(Debug)]
pub struct DisMax {
    clauses: Vec<Box<dyn Query>>,
    tie_breaker: Score,
}

impl Clone for DisMax {
    fn clone(&self) -> Self {
        Self { clauses: self.clauses.iter().map(|c| c.box_clone()).collect(), tie_breaker: self.tie_breaker }
    }
}

impl DisMax {
    pub fn new(clauses: Vec<Box<dyn Query>>, tie_breaker: Score) -> Self {
        Self { clauses, tie_breaker }
    }
}

impl Query for DisMax {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let weights = self.clauses.iter().map(|c| c.weight(enable_scoring)).collect::<tantivy::Result<Vec<_>>>()?;
        Ok(Box::new(DisMaxWeight { weights, tie_breaker: self.tie_breaker }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for c in &self.clauses {
            c.query_terms(visitor);
        }
    }
}

struct DisMaxWeight {
    weights: Vec<Box<dyn Weight>>,
    tie_breaker: Score,
}

/// A [`DisMax`]'s weights, one per field, each with the most it can score, for
/// [`TopK`](crate::topk::TopK).
pub struct BoundedWeight {
    fields: Vec<FieldWeight>,
    tie_breaker: Score,
}

enum FieldWeight {
    /// A term: its bound is known, overall and per window.
    Term(Bm25TermWeight),
    /// Anything else (phrases), with the most it scores (infinite when not known).
    Other(Box<dyn Weight>, Score),
}

impl BoundedWeight {
    /// For each field's term, how many documents have it; `None` for a field that is not a
    /// single term (a phrase).
    pub fn doc_freqs(&self) -> impl Iterator<Item = Option<u64>> + '_ {
        self.fields.iter().map(|field| match field {
            FieldWeight::Term(w) => Some(w.doc_freq),
            FieldWeight::Other(..) => None,
        })
    }

    /// The clause's units on a segment.
    pub fn group(&self, fields: &mut SegmentFields<'_>) -> tantivy::Result<crate::topk::Group> {
        let units = self
            .fields
            .iter()
            .map(|field| {
                Ok(match field {
                    FieldWeight::Term(w) => {
                        let walked = w.walked(fields)?;
                        crate::topk::Unit {
                            scorer: match w.term_scorer(fields, 1.0)? {
                                Some(scorer) => UnitScorer::Term(Box::new(scorer)),
                                None => UnitScorer::Other(Box::new(EmptyScorer)),
                            },
                            max: w.weight.max(0.0),
                            windows: walked.as_ref().map(|w| w.shares.clone()),
                            top: walked.map(|w| w.top),
                        }
                    }
                    FieldWeight::Other(w, max) => {
                        crate::topk::Unit { scorer: UnitScorer::Other(w.scorer(fields.reader, 1.0)?), max: *max, windows: None, top: None }
                    }
                })
            })
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(crate::topk::Group { units, tie_breaker: self.tie_breaker })
    }
}

impl DisMax {
    /// The weights of the fields, each with an upper bound of its scores. Clauses other than
    /// [`Bm25TermQuery`] and [`BoostedPhrase`] have no known bound: infinite, they are never
    /// pruned.
    pub fn bounded_weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<BoundedWeight> {
        BoundedWeight::of(self.clauses.iter().map(|c| c.as_ref()), self.tie_breaker, enable_scoring)
    }
}

impl BoundedWeight {
    /// The bounded weight of a [`DisMax`] of these clauses, without building the query (a
    /// search has about ninety clauses: copying each would cost two allocations).
    pub fn of<'q>(
        clauses: impl Iterator<Item = &'q dyn Query>,
        tie_breaker: Score,
        enable_scoring: EnableScoring<'_>,
    ) -> tantivy::Result<BoundedWeight> {
        let fields = clauses
            .map(|clause| {
                if let Some(term) = clause.downcast_ref::<Bm25TermQuery>() {
                    return Ok(FieldWeight::Term(term.bm25_weight(enable_scoring)?));
                }
                let max = match clause.downcast_ref::<BoostedPhrase>() {
                    Some(phrase) => phrase.max_score(enable_scoring)?,
                    None => Score::INFINITY,
                };
                Ok(FieldWeight::Other(clause.weight(enable_scoring)?, max))
            })
            .collect::<tantivy::Result<Vec<_>>>()?;
        Ok(BoundedWeight { fields, tie_breaker })
    }
}

impl Weight for DisMaxWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut scorers = Vec::with_capacity(self.weights.len());
        for w in &self.weights {
            let scorer = w.scorer(reader, boost)?;
            if scorer.doc() != TERMINATED {
                scorers.push(scorer);
            }
        }
        Ok(match scorers.len() {
            0 => Box::new(EmptyScorer),
            1 => scorers.pop().unwrap_or_else(|| Box::new(EmptyScorer)),
            _ => Box::new(DisMaxScorer::new(scorers, self.tie_breaker)),
        })
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.doc() > doc || scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!("document #{doc} does not match")));
        }
        let mut explanation = Explanation::new("best field + tie breaker × the others", scorer.score());
        explanation.add_const("tie breaker", self.tie_breaker);
        Ok(explanation)
    }
}

/// Walks its clauses in step: a handful of fields, so a linear scan beats a heap. Each
/// clause's current document is kept in `docs`, sparing a virtual call per look.
struct DisMaxScorer {
    scorers: Vec<Box<dyn Scorer>>,
    docs: Vec<DocId>,
    doc: DocId,
    tie_breaker: Score,
}

impl DisMaxScorer {
    fn new(scorers: Vec<Box<dyn Scorer>>, tie_breaker: Score) -> Self {
        let docs: Vec<DocId> = scorers.iter().map(|s| s.doc()).collect();
        let doc = docs.iter().copied().min().unwrap_or(TERMINATED);
        DisMaxScorer { scorers, docs, doc, tie_breaker }
    }

    fn settle(&mut self) -> DocId {
        self.doc = self.docs.iter().copied().min().unwrap_or(TERMINATED);
        self.doc
    }
}

impl DocSet for DisMaxScorer {
    fn advance(&mut self) -> DocId {
        let current = self.doc;
        for (s, d) in self.scorers.iter_mut().zip(&mut self.docs) {
            if *d == current {
                *d = s.advance();
            }
        }
        self.settle()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        for (s, d) in self.scorers.iter_mut().zip(&mut self.docs) {
            if *d < target {
                *d = s.seek(target);
            }
        }
        self.settle()
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.scorers.iter().map(|s| s.size_hint()).max().unwrap_or(0)
    }
}

impl Scorer for DisMaxScorer {
    fn score(&mut self) -> Score {
        let (mut best, mut sum) = (0.0f32, 0.0f32);
        let current = self.doc;
        for (s, d) in self.scorers.iter_mut().zip(&self.docs) {
            if *d == current {
                let score = s.score();
                best = best.max(score);
                sum += score;
            }
        }
        best + self.tie_breaker * (sum - best)
    }
}

#[cfg(test)]
mod tests {
    use tantivy::collector::TopDocs;
    use tantivy::query::TermQuery;
    use tantivy::schema::{STRING, Schema, TEXT};
    use tantivy::{Index, TantivyDocument, doc};

    use super::*;

    /// Scores of `word` over documents made of the given texts, best first, with each doc's text.
    fn ranked(texts: &[&str], query: &dyn Query) -> Vec<(String, Score)> {
        ranked_in(&searcher_of(texts), query)
    }

    /// A searcher over documents made of the given texts.
    fn searcher_of(texts: &[&str]) -> Searcher {
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", TEXT);
        schema.add_text_field("name", STRING | tantivy::schema::STORED);
        let index = Index::create_in_ram(schema.build());
        let name = index.schema().get_field("name").unwrap();
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for t in texts {
            writer.add_document(doc!(body => *t, name => *t)).unwrap();
        }
        writer.commit().unwrap();
        index.reader().unwrap().searcher()
    }

    fn ranked_in(searcher: &Searcher, query: &dyn Query) -> Vec<(String, Score)> {
        let name = searcher.schema().get_field("name").unwrap();
        let top = searcher.search(query, &TopDocs::with_limit(10).order_by_score()).unwrap();
        top.into_iter()
            .map(|(score, address)| {
                let d: TantivyDocument = searcher.doc(address).unwrap();
                let text = tantivy::schema::Value::as_str(&d.get_first(name).unwrap()).unwrap().to_string();
                (text, score)
            })
            .collect()
    }

    fn body_term(word: &str) -> Term {
        let mut schema = Schema::builder();
        let body = schema.add_text_field("body", TEXT);
        let _ = schema.build();
        Term::from_field_text(body, word)
    }

    #[test]
    fn dismax_scores_as_tantivys_disjunction_max() {
        use tantivy::query::DisjunctionMaxQuery;
        let texts = ["apple pie", "pear apple", "plum", "apple apple pear pear", "fig pear"];
        let clauses = || -> Vec<Box<dyn Query>> {
            ["apple", "pear", "kiwi"]
                .iter()
                .map(|w| Box::new(Bm25TermQuery::new(body_term(w), Bm25::default())) as Box<dyn Query>)
                .collect()
        };
        for tie in [0.0, 0.1, 1.0] {
            let ours = ranked(&texts, &DisMax::new(clauses(), tie));
            let theirs = ranked(&texts, &DisjunctionMaxQuery::with_tie_breaker(clauses(), tie));
            assert_eq!(ours.len(), 4, "plum matches nothing");
            for ((a, x), (b, y)) in ours.iter().zip(&theirs) {
                assert_eq!(a, b);
                assert!((x - y).abs() < 1e-5, "tie {tie}, {a}: {x} vs {y}");
            }
        }
    }

    const TEXTS: &[&str] = &["apple pie", "apple apple apple apple pear plum fig kiwi lime", "pear plum", "apple pear plum fig"];

    #[test]
    fn with_tantivys_parameters_it_scores_as_tantivy_does() {
        let ours = ranked(TEXTS, &Bm25TermQuery::new(body_term("apple"), Bm25 { k1: 1.2, b: 0.75 }));
        let theirs = ranked(TEXTS, &TermQuery::new(body_term("apple"), IndexRecordOption::WithFreqs));
        assert_eq!(ours.len(), 3);
        for ((a, x), (b, y)) in ours.iter().zip(&theirs) {
            assert_eq!(a, b);
            assert!((x - y).abs() < 1e-5, "{a}: {x} vs {y}");
        }
    }

    #[test]
    fn a_lower_k1_lets_repetition_count_less() {
        let classic = ranked(TEXTS, &Bm25TermQuery::new(body_term("apple"), Bm25 { k1: 1.2, b: 0.0 }));
        let saturated = ranked(TEXTS, &Bm25TermQuery::new(body_term("apple"), Bm25 { k1: 0.1, b: 0.0 }));
        let score = |r: &[(String, Score)], t: &str| r.iter().find(|(x, _)| x == t).unwrap().1;
        let many = TEXTS[1];
        let ratio = |r: &[(String, Score)]| score(r, many) / score(r, "apple pie");
        assert!(ratio(&classic) > 1.5, "four occurrences count much more with k1 1.2: {}", ratio(&classic));
        assert!(ratio(&saturated) < 1.1, "and barely more with k1 0.1: {}", ratio(&saturated));
    }

    #[test]
    fn a_cache_shared_by_two_searchers_keeps_their_statistics_apart() {
        // The same word, rare and in short fields in one index, common and in long ones in
        // the other: document frequency and average length both differ.
        let rare = searcher_of(&["apple pie", "pear", "plum", "fig", "kiwi", "lime"]);
        let common = searcher_of(&["apple pie tart", "apple pear plum fig", "apple plum", "fig kiwi lime lemon"]);
        let cache = Arc::new(ScoringCache::new(100));
        let uncached = Bm25TermQuery::new(body_term("apple"), Bm25::default());
        let cached = uncached.clone().with_cache(cache);
        for searcher in [&rare, &common, &rare, &common] {
            let (ours, theirs) = (ranked_in(searcher, &cached), ranked_in(searcher, &uncached));
            assert!(!ours.is_empty());
            assert_eq!(ours, theirs);
        }
    }

    #[test]
    fn b_decides_how_much_a_long_field_is_penalized() {
        let texts = ["apple pear", "apple pear plum fig kiwi lime lemon melon"];
        let flat = ranked(&texts, &Bm25TermQuery::new(body_term("apple"), Bm25 { k1: 1.2, b: 0.0 }));
        assert!((flat[0].1 - flat[1].1).abs() < 1e-6, "b 0 ignores length: {flat:?}");
        let full = ranked(&texts, &Bm25TermQuery::new(body_term("apple"), Bm25 { k1: 1.2, b: 1.0 }));
        assert_eq!(full[0].0, "apple pear", "b 1 prefers the short field: {full:?}");
        assert!(full[0].1 > full[1].1 * 1.2);
    }

    #[test]
    fn a_phrase_never_scores_above_its_bound_and_the_bound_is_near() {
        // A repeated phrase in a short field scores close to the bound; every match stays under it.
        let texts = ["smart phone", "smart phone smart phone smart phone", "my old smart phone broke", "smart watch", "phone smart"];
        let searcher = searcher_of(&texts);
        let phrase = BoostedPhrase::new(vec![body_term("smart"), body_term("phone")], 0.8);
        let max = phrase.max_score(EnableScoring::enabled_from_searcher(&searcher)).unwrap();
        assert!(max.is_finite() && max > 0.0);
        let found = ranked_in(&searcher, &phrase);
        assert_eq!(found.len(), 3, "only the three texts with the words in order: {found:?}");
        for (text, score) in &found {
            assert!(*score <= max, "{text}: {score} above the bound {max}");
        }
        assert!(found[0].1 > 0.7 * max, "the bound is not loose: {found:?} against {max}");
        // The bound reaches the units TopK prunes with.
        let weight = BoundedWeight::of(std::iter::once(&phrase as &dyn Query), 0.1, EnableScoring::enabled_from_searcher(&searcher)).unwrap();
        let reader = &searcher.segment_readers()[0];
        let group = weight.group(&mut SegmentFields::new(reader)).unwrap();
        assert_eq!(group.units[0].max, max);
    }
}
