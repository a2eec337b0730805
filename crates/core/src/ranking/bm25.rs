//! How much does one word in one field count?
//!
//! BM25, as tantivy computes it, but with the saturation `k1` and the length normalization `b`
//! as parameters: tantivy fixes them at 1.2 and 0.75. Kotae's queries add up many pieces of
//! evidence per word (fields, readings, characters), so a word repeated in a long paragraph
//! should stop adding much sooner than classic BM25 lets it: tuned on data, `k1` 0.5 ranks
//! better on both the FAQ tuning queries and wiki-qa (see the README's ablation table).
//!
//! [`Bm25TermQuery`] is a drop-in for tantivy's `TermQuery` with frequencies.

use std::sync::Arc;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::IndexRecordOption;
use tantivy::index::SegmentId;
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError, Term};

use super::stats::{DECODED_POSTINGS, Decoded, NormKey, NormTable, ScoringCache, SegmentFields, Start, TOP_DOCS, TermStats, Walked, field_average, idf, norm_table, share_255ths, window, BLOCK};

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

    /// Keep what scoring can reuse in `cache`, and give [`TopK`](super::TopK) this
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

    /// Set the multiplier [`Bm25TermQuery::with_boost`] sets.
    pub fn set_boost(&mut self, boost: Score) {
        self.boost = boost;
    }

    pub fn boost(&self) -> Score {
        self.boost
    }

    pub(crate) fn bm25_weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Bm25TermWeight> {
        let field = self.term.field();
        if !enable_scoring.schema().get_field_entry(field).is_indexed() {
            return Err(TantivyError::SchemaError(format!("field {field:?} is not indexed")));
        }
        // The field's average length and its normalization table: both from the cache, under
        // one lock, where it keeps the searcher's statistics.
        let mut kept: Option<Arc<NormTable>> = None;
        let (weight, average, stats) = match enable_scoring {
            EnableScoring::Enabled { searcher, statistics_provider } => {
                // The cache keeps the searcher's own statistics: it serves only when they are
                // the ones asked for.
                let cache = self.cache.as_ref().filter(|_| std::ptr::addr_eq(statistics_provider, searcher));
                let docs = statistics_provider.total_num_docs()?;
                let average = match cache {
                    Some(cache) => {
                        let (average, norms) = cache.average_and_norms(searcher, field, docs, self.params)?;
                        kept = Some(norms);
                        average
                    }
                    None => field_average(statistics_provider, field, docs)?,
                };
                let stats = match cache {
                    Some(cache) => cache.term_stats(searcher, &self.term)?,
                    None => Arc::new(TermStats::look_up(searcher, &self.term)?),
                };
                (idf(stats.doc_freq, docs) * (1.0 + self.params.k1), average, stats)
            }
            EnableScoring::Disabled { .. } => (1.0, 1.0, Arc::new(TermStats { term: self.term.clone(), doc_freq: 0, found: Box::new([]), walked: None })),
        };
        let norms = match (kept, &self.cache) {
            (Some(norms), _) => norms,
            (None, Some(cache)) => cache.norms(self.params, average),
            (None, None) => Arc::new(norm_table(self.params, average)),
        };
        Ok(Bm25TermWeight {
            weight: weight * self.boost,
            average,
            params: self.params,
            norms,
            stats,
        })
    }
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

pub(crate) struct Bm25TermWeight {
    /// idf × (k1 + 1) × boost: the most one document can score, since tf / (tf + norm) < 1.
    pub(crate) weight: Score,
    /// The field's average length, in tokens.
    average: Score,
    params: Bm25,
    norms: Arc<NormTable>,
    /// The term, the term in each segment of the searcher the weight was made for, how many
    /// documents of the searcher have it (deleted ones included, as in tantivy's own
    /// statistics; 0 when scoring is disabled), and where its walks are kept (see
    /// [`ScoringCache`]).
    stats: Arc<TermStats>,
}

impl Bm25TermWeight {
    /// The term's scorer on the segment, made in its box: the postings are over a kilobyte,
    /// and moving them into a box after was a fifth of opening them.
    pub(crate) fn term_scorer(&self, fields: &mut SegmentFields<'_>, boost: Score) -> tantivy::Result<Option<Box<Bm25TermScorer>>> {
        let segment = fields.reader.segment_id();
        let (index, fieldnorms) = fields.open(self.stats.term.field())?;
        let postings = match self.stats.found.iter().find(|(id, _)| *id == segment) {
            Some((_, None)) => return Ok(None),
            Some((_, Some(info))) => index.read_postings_from_terminfo(info, IndexRecordOption::WithFreqs)?,
            None => match index.read_postings(&self.stats.term, IndexRecordOption::WithFreqs)? {
                Some(postings) => postings,
                None => return Ok(None),
            },
        };
        Ok(Some(Box::new(Bm25TermScorer { postings, fieldnorms: fieldnorms.clone(), weight: self.weight * boost, norms: self.norms.clone() })))
    }
}

impl Bm25TermWeight {
    /// How many documents of the searcher have the term (deleted ones included, as in
    /// tantivy's own statistics); 0 when scoring is disabled.
    pub(crate) fn doc_freq(&self) -> u64 {
        self.stats.doc_freq
    }

    /// Whether the term was looked up in the segment and is not there.
    pub(crate) fn absent_from(&self, reader: &SegmentReader) -> bool {
        let segment = reader.segment_id();
        matches!(self.stats.found.iter().find(|(id, _)| *id == segment), Some((_, None)))
    }

    /// [`Bm25TermWeight::term_scorer`], from a copy of the postings `walked` kept as opened
    /// (the same scorer, at the same first document) when the term was walked on this segment.
    pub(crate) fn term_scorer_from(
        &self,
        walked: Option<&Arc<Walked>>,
        fields: &mut SegmentFields<'_>,
        boost: Score,
    ) -> tantivy::Result<Option<Box<Bm25TermScorer>>> {
        let Some(Start::Opened(start)) = walked.map(|w| &w.start) else { return self.term_scorer(fields, boost) };
        let (_, fieldnorms) = fields.open(self.stats.term.field())?;
        Ok(Some(Box::new(Bm25TermScorer {
            postings: SegmentPostings::clone(start),
            fieldnorms: fieldnorms.clone(),
            weight: self.weight * boost,
            norms: self.norms.clone(),
        })))
    }

    /// The term's scorer on the segment over the postings `walked` kept decoded
    /// ([`DecodedScorer`]): the same documents and scores as [`Bm25TermWeight::term_scorer`]'s.
    pub(crate) fn decoded_scorer(&self, decoded: &Arc<Decoded>) -> DecodedScorer {
        DecodedScorer { postings: decoded.clone(), at: 0, weight: self.weight }
    }

    /// The term's window bounds and best documents in the segment, from the cache or by
    /// walking the postings once.
    pub(crate) fn walked(&self, fields: &mut SegmentFields<'_>) -> tantivy::Result<Option<Arc<Walked>>> {
        let reader = fields.reader;
        let Some(kept) = &self.stats.walked else { return Ok(None) };
        let segment = reader.segment_id();
        let Some((_, Some(info))) = self.stats.found.iter().find(|(id, _)| *id == segment) else {
            return Ok(None);
        };
        let params = (self.params.k1.to_bits(), self.params.b.to_bits(), self.average.to_bits());
        let known = |list: &Vec<(SegmentId, NormKey, Arc<Walked>)>| list.iter().find(|(s, p, _)| *s == segment && *p == params).map(|(.., w)| w.clone());
        if let Some(walked) = kept.lock().ok().and_then(|list| known(&list)) {
            return Ok(Some(walked));
        }
        let (index, fieldnorms) = fields.open(self.stats.term.field())?;
        let mut postings = index.read_postings_from_terminfo(info, IndexRecordOption::WithFreqs)?;
        // Short postings are kept decoded (read below), longer ones as opened.
        let decode = info.doc_freq <= DECODED_POSTINGS && Decoded::reserve(info.doc_freq);
        let opened = (!decode).then(|| Box::new(postings.clone()));
        let (mut docs, mut scored) = if decode { (Vec::with_capacity(info.doc_freq as usize + 1), Vec::with_capacity(info.doc_freq as usize)) } else { (Vec::new(), Vec::new()) };
        let size = window(reader.max_doc());
        let mut shares = vec![0.0 as Score; reader.max_doc().div_ceil(size) as usize];
        // Block bounds, where windows are longer than blocks (see `Walked::blocks`).
        let mut blocks = if size > BLOCK { Some(vec![0u8; reader.max_doc().div_ceil(BLOCK) as usize]) } else { None };
        // The best documents so far; `lowest` is the smallest share among them once full.
        let mut top: Vec<(DocId, Score)> = Vec::with_capacity(TOP_DOCS);
        let mut lowest = Score::NEG_INFINITY;
        let mut doc = postings.doc();
        while doc != TERMINATED {
            let tf = postings.term_freq() as Score;
            let denominator = tf + self.norms[fieldnorms.fieldnorm_id(doc) as usize];
            if decode {
                docs.push(doc);
                scored.push((tf, denominator));
            }
            let share = tf / denominator;
            let w = (doc / size) as usize;
            // Positive in every window with a document, whatever the parameters (see
            // `Unit::windows`): only a share that is not (an infinite norm) is raised.
            let share_kept = share.max(Score::MIN_POSITIVE);
            if share_kept > shares[w] {
                shares[w] = share_kept;
            }
            if let Some(bounds) = &mut blocks {
                match share_255ths(share) {
                    Some(q) => {
                        let b = &mut bounds[(doc / BLOCK) as usize];
                        *b = (*b).max(q);
                    }
                    None => blocks = None,
                }
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
        let start = match opened {
            Some(opened) => Start::Opened(opened),
            None => {
                docs.push(TERMINATED);
                Start::Decoded(Arc::new(Decoded { docs: docs.into(), scored: scored.into(), reserved: info.doc_freq }))
            }
        };
        let walked = Arc::new(Walked { shares: shares.into(), top: top.into(), blocks: blocks.map(Into::into), start });
        if let Ok(mut list) = kept.lock()
            && known(&list).is_none()
        {
            list.push((segment, params, walked.clone()));
        }
        Ok(Some(walked))
    }
}

impl Weight for Bm25TermWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(match self.term_scorer(&mut SegmentFields::new(reader), boost)? {
            Some(scorer) => scorer,
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
        explanation.add_context(format!("term={:?}", self.stats.term));
        Ok(explanation)
    }
}

/// The postings of a [`Bm25TermQuery`] on one segment, scored.
#[derive(Clone)]
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

/// A term's scorer over its decoded postings ([`Decoded`]): what [`Bm25TermScorer`] scores, the
/// same documents with the same scores, without decoding blocks. Copied by cloning an `Arc`.
#[derive(Clone)]
pub struct DecodedScorer {
    postings: Arc<Decoded>,
    /// The current document's place in the postings (the sentinel's once past the end).
    at: usize,
    weight: Score,
}

impl DecodedScorer {
    /// Each document before `end` from the current one, with its score (as
    /// [`Scorer::score`] gives it), to `add`; then the place moves to the first document at
    /// or past `end`, which is returned. One pass over the two arrays.
    #[inline(always)]
    pub(crate) fn read_until(&mut self, end: DocId, mut add: impl FnMut(DocId, Score)) -> DocId {
        let postings = &*self.postings;
        let (docs, scored) = (&postings.docs[self.at..], &postings.scored[self.at..]);
        let mut read = 0;
        // `docs` ends with the sentinel, one more than `scored`: the zip stops before it.
        for (&doc, &(tf, denominator)) in docs.iter().zip(scored) {
            if doc >= end {
                break;
            }
            add(doc, self.weight * tf / denominator);
            read += 1;
        }
        self.at += read;
        docs[read]
    }
}

impl DocSet for DecodedScorer {
    #[inline]
    fn advance(&mut self) -> DocId {
        // The sentinel (TERMINATED) is the last document: the place stays on it.
        if self.at + 1 < self.postings.docs.len() {
            self.at += 1;
        }
        self.postings.docs[self.at]
    }

    #[inline]
    fn seek(&mut self, target: DocId) -> DocId {
        let docs = &self.postings.docs;
        if docs[self.at] >= target {
            return docs[self.at];
        }
        // Most seeks (a candidate asking a unit) land on the next document: before galloping.
        // `docs[self.at]` is before the target, so not the sentinel: the next one exists.
        if docs[self.at + 1] >= target {
            self.at += 1;
            return docs[self.at];
        }
        // Galloping from the current place: the target is usually near.
        let mut step = 1;
        let mut low = self.at;
        let last = docs.len() - 1;
        while low + step < last && docs[low + step] < target {
            low += step;
            step *= 2;
        }
        let high = (low + step).min(last);
        // docs[low] < target; the first at or past it is in (low, high] (the sentinel is past
        // every target).
        self.at = low + 1 + docs[low + 1..high].partition_point(|&d| d < target);
        docs[self.at]
    }

    #[inline]
    fn doc(&self) -> DocId {
        self.postings.docs[self.at]
    }

    fn size_hint(&self) -> u32 {
        self.postings.scored.len() as u32
    }
}

impl Scorer for DecodedScorer {
    #[inline]
    fn score(&mut self) -> Score {
        // As `Bm25TermScorer::score`, operation for operation (`Decoded::scored`).
        let (tf, denominator) = self.postings.scored[self.at];
        self.weight * tf / denominator
    }
}
