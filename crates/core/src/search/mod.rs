//! How is a customer's question turned into ranked answers?
//!
//! The question is analyzed once into a [`Question`] by the same analyzer as the pages. Its
//! [`evidence`] is each content word looked up in every text field with its weight (title and
//! aliases above the body), plus weaker evidence from its reading bigrams and character
//! trigrams, so kana-only, differently segmented or unknown words still find their page.
//! [`crate::ranking`] finds the best documents; the audience filter is applied inside that
//! walk, so an internal page can never reach a public caller.
//!
//! One file per question a reader may have:
//!
//! | file | answers |
//! |---|---|
//! | [`request`] | what may be asked: audience, category, page, limits |
//! | [`question`] | what was asked, analyzed once |
//! | [`framing`] | which words around the question are only courtesy |
//! | [`weights`] | how much each field and kind of evidence counts |
//! | [`evidence`] | what a question looks for |
//! | [`stored`] | what a hit shows, and the decoded-document cache |
//! | [`snippet`] | how a snippet is cut and highlighted |
//! | [`results`] | what a search answers |
//! | `counts` | how many hits each category holds (a results page's filter) |
//! | [`page_words`] | which words a page has |
//! | [`verdict`] | whether anything answers, how sure the best answer is, and what is closest in meaning when nothing does |
//! | [`did_you_mean`] | what the customer meant to type |
//! | [`explain`] | why a page matched |
//! | [`learned`] | what customers taught the ranking (resolved clicks, writers' pins) |
//! | [`result_cache`] | which searches are answered without searching again, and the key |
//! | [`snapshot`] | one index generation opened for reading |

pub mod context;
mod counts;
pub mod did_you_mean;
pub mod evidence;
pub mod explain;
pub mod framing;
pub mod fusion;
mod keys;
pub mod learned;
pub mod page_words;
pub mod profile;
pub mod question;
pub mod request;
pub mod result_cache;
pub mod results;
pub mod snapshot;
pub mod snippet;
pub mod stored;
pub mod verdict;
pub mod weights;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::query::{EnableScoring, Scorer};
use tantivy::schema::Field;
use tantivy::{Index, IndexReader, ReloadPolicy, Term};

pub use question::Question;
pub use request::{AudienceFilter, MAX_LIMIT, MAX_OFFSET, MAX_QUERY_CHARS, SearchRequest};
pub use result_cache::ResultCache;
pub use results::{Explained, Hit, SearchResults};
pub use snapshot::Snapshot;
pub use snippet::{Marker, SNIPPET_CHARS, Snippet, escape_into, write_escaped};
pub use verdict::{Closest, Verdict};
pub use weights::Weights;

use crate::analysis::{Analyzer, tokenizer};
use crate::content::Audience;
use crate::error::{Error, Result};
use crate::index::schema::Fields;
use crate::lexicon::Lexicon;
use crate::meaning::{DocVectors, Meaning, Similarities};
use crate::ranking::{
    BoundedWeight, COUNT_EXACTLY, FilterCache, Found, ScoringCache, SegmentFields, TopK, score_docs,
};
use profile::Stage;
use evidence::{Evidence, Sources, drop_common_sounds, known_words};
use counts::CategoryCounts;
use page_words::WordsColumns;
use stored::StoredDocs;

/// An index opened for searching, with the caches of its generation.
#[derive(Clone)]
pub struct SearchIndex {
    _index: Index,
    reader: IndexReader,
    fields: Fields,
    analyzer: Analyzer,
    weights: Weights,
    lexicon: Arc<Lexicon>,
    /// Each live document's address by its key ([`keys`]), read when first asked.
    keys: Arc<keys::KeysOnce>,
    /// Whole results of recent requests ([`result_cache`]).
    cache: Arc<ResultCache>,
    /// The category counts of recent results pages ([`SearchIndex::category_counts`]), as
    /// many as results.
    counts: Arc<ResultCache<CategoryCounts>>,
    /// Decoded stored fields of recent hits ([`stored`]).
    stored: Arc<StoredDocs>,
    /// The documents' words, for the verdict ([`page_words`]).
    words: Arc<WordsColumns>,
    /// The word fields no document has ([`evidence::empty_word_fields`]).
    empty: Arc<[Field]>,
    /// Term statistics and per-window bounds of the terms searched so far
    /// ([`crate::ranking::stats`]).
    scoring: Arc<ScoringCache>,
    /// The audience and category filters' documents, per segment ([`crate::ranking::filter`]).
    filters: Arc<FilterCache>,
    /// The embedding model and this index's document vectors, when both are there
    /// ([`crate::meaning`], [`fusion`]).
    meaning: Option<(Arc<Meaning>, Arc<DocVectors>)>,
    path: PathBuf,
}

/// How deep the lexical list and the list by meaning go before they are fused.
const FUSION_DEPTH: usize = 30;

/// How many terms' per-window bounds are kept: under a kilobyte each on a 100k corpus, a few
/// hundred bytes on wiki-qa. The 1,000 wiki-qa questions look up between 20,000 and 50,000
/// distinct terms: with 20,000 the least recently used were walked again question after
/// question (2.74M → 2.47M instructions per search at 65,536; maximum RSS 190 → 193 MB).
const WINDOW_TERMS: usize = 65_536;

impl SearchIndex {
    /// Open the tantivy index in `dir`.
    pub fn open(dir: &Path, analyzer: &Analyzer) -> Result<Self> {
        let bad = |message: String| Error::BadIndex {
            path: dir.to_path_buf(),
            message,
        };
        let index = Index::open_in_dir(dir).map_err(|e| bad(e.to_string()))?;
        if index.schema() != crate::index::schema().0 {
            return Err(Error::OtherFormat(dir.to_path_buf()));
        }
        // Every file's checksum, before serving it: a damaged byte in a segment would otherwise
        // surface as a panic on the queries that reach it.
        crate::index::verify::tantivy(&index, dir)?;
        tokenizer::register(&index, analyzer);
        let fields = Fields::from_schema(&index.schema())
            .map_err(|e| bad(format!("unexpected schema: {e}")))?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e: tantivy::TantivyError| bad(e.to_string()))?;
        let words = WordsColumns::open(&reader.searcher()).map_err(|e| bad(e.to_string()))?;
        let empty = evidence::empty_word_fields(&fields, &reader.searcher()).map_err(|e| bad(e.to_string()))?;
        Ok(Self {
            _index: index,
            reader,
            fields,
            analyzer: analyzer.clone(),
            weights: Weights::default(),
            lexicon: Arc::default(),
            keys: Arc::default(),
            cache: Arc::default(),
            counts: Arc::default(),
            stored: Arc::default(),
            words: Arc::new(words),
            empty: empty.into(),
            scoring: Arc::new(ScoringCache::new(WINDOW_TERMS)),
            filters: Arc::default(),
            meaning: None,
            path: dir.to_path_buf(),
        })
    }

    /// Use the readings and synonyms of the generation (see [`Lexicon`]).
    pub fn with_lexicon(mut self, lexicon: Lexicon) -> Self {
        lexicon.prepare();
        self.lexicon = Arc::new(lexicon);
        self
    }

    /// Rank by meaning too, with `meaning` and this index's document vectors.
    pub fn with_meaning(mut self, meaning: Arc<Meaning>, vectors: DocVectors) -> Self {
        if vectors.dim() == meaning.dim() && !vectors.is_empty() {
            // The scan's integer copy is made now, not by the first question.
            vectors.prepare();
            self.meaning = Some((meaning, Arc::new(vectors)));
            self.cache = Arc::new(ResultCache::new(self.cache.capacity()));
            self.counts = Arc::new(ResultCache::new(self.cache.capacity()));
        }
        self
    }

    /// The documents closest in meaning to the document `key` (by its first vector: a page's
    /// title), at least `floor` similar, best first, itself left out; none without vectors.
    pub fn similar(&self, key: &str, k: usize, floor: f32) -> Vec<String> {
        let Some((_, vectors)) = &self.meaning else { return Vec::new() };
        let Some(query) = vectors.first_of(key) else { return Vec::new() };
        vectors
            .nearest(query, k + 1)
            .into_iter()
            .filter(|(other, similarity)| *other != key && *similarity >= floor)
            .take(k)
            .map(|(other, _)| other.to_string())
            .collect()
    }

    /// The documents' vectors, when searches rank by meaning.
    pub fn vectors(&self) -> Option<&DocVectors> {
        self.meaning.as_ref().map(|(_, vectors)| vectors.as_ref())
    }

    /// Whether searches rank by meaning too.
    pub fn has_meaning(&self) -> bool {
        self.meaning.is_some()
    }

    /// Use other field weights (for tuning).
    pub fn with_weights(mut self, weights: Weights) -> Self {
        self.weights = weights;
        self.cache = Arc::new(ResultCache::new(self.cache.capacity()));
        self.counts = Arc::new(ResultCache::new(self.cache.capacity()));
        self
    }

    /// How many distinct searches the result cache keeps (0: it is off).
    pub fn cache_capacity(&self) -> usize {
        self.cache.capacity()
    }

    /// Remember the results of up to `capacity` recent requests (0: search every time).
    pub fn with_cache_capacity(mut self, capacity: usize) -> Self {
        self.cache = Arc::new(ResultCache::new(capacity));
        self.counts = Arc::new(ResultCache::new(capacity));
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    /// Number of index documents (pages and manual sections).
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The question analyzed, its words read alike chosen by the rest of it
    /// ([`context::choose_by_context`]).
    fn question(&self, text: &str) -> Result<Question> {
        let mut question = Question::new(text, &self.analyzer, &self.lexicon);
        let f = &self.fields;
        context::choose_by_context(&mut question, &self.reader.searcher(), &[f.title, f.body])?;
        Ok(question)
    }

    /// Run a search.
    pub fn search(&self, request: &SearchRequest<'_>) -> Result<SearchResults> {
        let query_text = request.searched_text();
        if let Some(cached) = self.cache.get(&query_text, request) {
            return Ok(cached);
        }
        profile::start();
        let question = self.question(&query_text)?;
        profile::done(Stage::Analysis);
        let window = (
            request.offset.min(MAX_OFFSET),
            request.limit.clamp(1, MAX_LIMIT),
        );
        let results = self.search_question(Arc::new(question), request, window)?;
        self.cache.put(&query_text, request, &results);
        Ok(results)
    }

    /// The best `depth` hits of `request` from the first, whatever its offset and limit (what
    /// the console merges from its two indexes; see [`Snapshot::search`]).
    pub(crate) fn search_top(
        &self,
        request: &SearchRequest<'_>,
        depth: usize,
    ) -> Result<SearchResults> {
        let top = SearchRequest {
            offset: 0,
            limit: depth,
            ..request.clone()
        };
        let query_text = request.searched_text();
        if let Some(cached) = self.cache.get(&query_text, &top) {
            return Ok(cached);
        }
        let question = self.question(&query_text)?;
        let results = self.search_question(Arc::new(question), &top, (0, depth.max(1)))?;
        self.cache.put(&query_text, &top, &results);
        Ok(results)
    }

    /// The lexical top fused with the documents nearest in meaning ([`fusion`]): (score,
    /// address, whether a word of the question is in it), best first. The documents nearest in
    /// meaning are scored by the question's words too (`clauses`), so a document's place does
    /// not depend on how deep the lexical list went.
    fn fuse(
        &self,
        searcher: &tantivy::Searcher,
        request: &SearchRequest<'_>,
        clauses: &[BoundedWeight],
        top: Vec<(f32, tantivy::DocAddress)>,
        (similarities, ranking): (&Similarities<'_>, &Similarities<'_>),
        lift: fusion::Lift,
    ) -> Result<Vec<(f32, tantivy::DocAddress, bool)>> {
        let key_map = self.keys.get(searcher, self.fields.key)?;
        let lexical = top
            .into_iter()
            .map(|(score, address)| {
                let key = match key_map.key_of(address) {
                    Some(key) => key.to_string(),
                    None => self.stored.get(searcher, &self.fields, address)?.key.clone(),
                };
                Ok((score, address, key))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut nearest: Vec<(tantivy::DocAddress, String)> = Vec::new();
        // The closest documents by the questions and by the ranking blend, sorted once.
        let closest: Vec<&str> = similarities.top(FUSION_DEPTH).into_iter().chain(ranking.top(FUSION_DEPTH)).map(|(key, _)| key).collect();
        for &key in &closest {
            if lexical.iter().any(|(_, _, k)| k == key) || nearest.iter().any(|(_, k)| k == key) {
                continue;
            }
            if let Some(address) = self.address_of(searcher, key, request.category)? {
                nearest.push((address, key.to_string()));
            }
        }
        // Their words' score, segment by segment, in document order.
        nearest.sort_by_key(|(a, _)| (a.segment_ord, a.doc_id));
        let mut scored = Vec::with_capacity(nearest.len());
        for (ord, reader) in searcher.segment_readers().iter().enumerate() {
            let here: Vec<&(tantivy::DocAddress, String)> = nearest.iter().filter(|(a, _)| a.segment_ord as usize == ord).collect();
            if here.is_empty() {
                continue;
            }
            let mut fields = SegmentFields::new(reader);
            let groups = clauses.iter().map(|c| c.group(&mut fields)).collect::<tantivy::Result<Vec<_>>>()?;
            let docs: Vec<u32> = here.iter().map(|(a, _)| a.doc_id).collect();
            for ((address, key), score) in here.into_iter().zip(score_docs(groups, &docs)) {
                scored.push((score, *address, key.clone()));
            }
        }
        // Meaning lifts the first `FUSION_DEPTH` of the lexical list and the documents nearest in
        // meaning, never a document further down: so each document's fused score is the same
        // however deep the lexical list went, and the pages of a long list are slices of one
        // order (a deeper list only adds documents below all of these).
        let lifted_keys: Vec<&str> = lexical.iter().take(FUSION_DEPTH).map(|(_, _, key)| key.as_str()).chain(closest.iter().copied()).collect();
        let (by_questions, by_ranking) = (similarities.of_all(&lifted_keys), ranking.of_all(&lifted_keys));
        let lifted: std::collections::HashMap<String, (f32, f32)> = lifted_keys.iter().map(|k| k.to_string()).zip(by_questions.into_iter().zip(by_ranking)).collect();
        Ok(fusion::fuse(lexical, scored, |key| lifted.get(key).copied().unwrap_or((0.0, 0.0)), lift)
            .into_iter()
            .map(|c| (c.score, c.address, c.lexical > 0.0 || c.on_lexical_list))
            .collect())
    }

    /// Whether `hits` answer `question` ([`verdict`]), and when they do not, the documents
    /// closest in meaning.
    fn verdict(
        &self,
        searcher: &tantivy::Searcher,
        words: &[verdict::TopicWord],
        (scores, best_docs): (&[f32], &[(tantivy::DocAddress, Arc<stored::StoredDoc>)]),
        similarities: Option<&Similarities<'_>>,
    ) -> Result<Verdict> {
        let coverages: Vec<f32> =
            best_docs.iter().map(|(address, _)| self.coverage(words, *address)).collect::<Result<_>>()?;
        let coverage = coverages.iter().copied().fold(0.0f32, f32::max);
        let nearest = similarities.map(|s| s.top(verdict::CLOSEST)).unwrap_or_default();
        let similarity = similarities.map(|_| nearest.first().map_or(0.0, |(_, c)| *c));
        let answered = verdict::decide(!scores.is_empty(), coverage, similarity, &self.weights);
        let confidence = match (scores.first(), best_docs.first()) {
            (Some(&top), Some((_, doc))) => {
                let margin = match scores.get(1) {
                    Some(&r) if top > 0.0 => 1.0 - r / top,
                    _ => 1.0,
                };
                verdict::confidence(coverages[0], similarities.map(|s| s.of(&doc.key)), margin, &self.weights)
            }
            _ => 0.0,
        };
        let mut closest = Vec::new();
        if !answered {
            for (key, similarity) in nearest {
                if let Some(address) = self.address_of(searcher, key, None)? {
                    let hit = self.stored.get(searcher, &self.fields, address)?.hit(similarity, None);
                    closest.push(Closest { id: hit.id, title: hit.title, section: hit.section, similarity });
                }
            }
        }
        Ok(Verdict { answered, coverage, confidence, similarity, closest })
    }

    /// The question's topic words ([`verdict::topic_words`]), weighed by their rarity here.
    fn topic_words(&self, searcher: &tantivy::Searcher, question: &Question, evidence: &[Evidence]) -> Vec<verdict::TopicWord> {
        // The question's words were looked up in these fields for its evidence: the scoring
        // cache answers without asking the term dictionaries again.
        let doc_freq = |word: &str| {
            self.fields
                .word_fields()
                .into_iter()
                .filter(|field| !self.empty.contains(field))
                .map(|field| self.scoring.doc_freq(searcher, &Term::from_field_text(field, word)).unwrap_or(0))
                .max()
                .unwrap_or(0)
        };
        verdict::topic_words(question, evidence, &self.weights, searcher.num_docs(), doc_freq, |w| self.lexicon.conjugates(w))
    }

    /// How much of the topic `words` the document at `address` covers.
    fn coverage(&self, words: &[verdict::TopicWord], address: tantivy::DocAddress) -> Result<f32> {
        Ok(verdict::topic_coverage(words, &*self.words.of(address)?))
    }

    /// The address of the live document `key`, if it is in `category` (when one is asked for).
    fn address_of(&self, searcher: &tantivy::Searcher, key: &str, category: Option<&str>) -> Result<Option<tantivy::DocAddress>> {
        let found = self.keys.get(searcher, self.fields.key)?.get(key);
        let Some(address) = found else { return Ok(None) };
        if let Some(category) = category.filter(|c| !c.is_empty())
            && self.stored.get(searcher, &self.fields, address)?.category() != Some(category)
        {
            return Ok(None);
        }
        Ok(Some(address))
    }

    /// The best `depth` documents of `request` for `question` (fused with those nearest in
    /// meaning when meaning is on), before anything is shown of them.
    fn ranked(&self, question: &Question, request: &SearchRequest<'_>, depth: usize) -> Result<Ranked<'_>> {
        let searcher = self.reader.searcher();
        let sources = Sources {
            fields: &self.fields,
            weights: &self.weights,
            lexicon: &self.lexicon,
            analyzer: &self.analyzer,
            scoring: &self.scoring,
            empty: &self.empty,
        };
        // The sum of the evidence, best documents first (see `crate::ranking::topk` for how it
        // avoids scoring every document a common sound matches).
        let scoring = EnableScoring::enabled_from_searcher(&searcher);
        let weigh = |e: Evidence| -> tantivy::Result<(BoundedWeight, Evidence)> {
            Ok((
                BoundedWeight::of(
                    e.fields.iter().map(|(_, q)| q.as_ref()),
                    self.weights.tie_breaker,
                    scoring,
                )?,
                e,
            ))
        };
        // Words first: the sounds and characters of a word the index knows echo it, and count
        // less (`Weights::echo`), so that one word matched several ways does not outweigh two.
        // (The vectors are made to size: growing them moved every piece of evidence so far.)
        let evidence = sources.evidence(&question);
        let mut words = Vec::with_capacity(evidence.len());
        let mut sounds = Vec::with_capacity(evidence.len());
        for e in evidence {
            if matches!(e.kind, "reading" | "characters") {
                sounds.push(e);
            } else {
                words.push(e);
            }
        }
        let mut weighed = Vec::with_capacity(words.len() + sounds.len() + 4);
        for e in words {
            weighed.push(weigh(e)?);
        }
        for e in sources.corrections(&question, &weighed) {
            weighed.push(weigh(e)?);
        }
        let known = known_words(&weighed);
        for e in sounds {
            let e = if e.echoes(&known) {
                e.scaled(self.weights.echo)
            } else {
                e
            };
            weighed.push(weigh(e)?);
        }
        drop_common_sounds(&mut weighed, searcher.num_docs());
        profile::done(Stage::Clauses);
        let terms = question.terms.clone();
        // The question's closeness in meaning to every document: for the fusion and the verdict.
        // The normalized text: half-width kana and full-width letters read like the pages; words
        // heard in kana spelled as the corpus spells them (`Question::spelled`).
        let embed = || {
            let text = question.spelled.as_deref().unwrap_or(&question.normalized.text);
            let similarities = self
                .meaning
                .as_ref()
                .map(|(meaning, vectors)| vectors.similarities(&meaning.question(text)));
            profile::done(Stage::Meaning);
            similarities
        };
        if weighed.is_empty() {
            let similarities = embed();
            return Ok(Ranked { searcher, top: Vec::new(), total: 0, total_exact: true, evidence: Vec::new(), words: Vec::new(), similarities, terms });
        }
        let (clauses, evidence): (Vec<_>, Vec<_>) = weighed.into_iter().unzip();
        // Every hit must have each of these terms (see `crate::ranking::filter` for how they are
        // asked).
        let mut filters: Vec<Term> = Vec::new();
        let audience = match request.audience {
            AudienceFilter::Public => Some(Audience::Public),
            AudienceFilter::Internal => Some(Audience::Internal),
            AudienceFilter::All => None,
        };
        if let Some(a) = audience {
            filters.push(Term::from_field_text(self.fields.audience, a.as_str()));
        }
        if let Some(c) = request.category.filter(|c| !c.is_empty()) {
            filters.push(Term::from_field_text(self.fields.category, c));
        }
        // With meaning, a deeper lexical list is fused with the documents nearest in meaning.
        let fusing = self.meaning.is_some() && self.weights.meaning > 0.0;
        let depth = if fusing { depth.max(FUSION_DEPTH) } else { depth };
        let mut best = TopK::new(depth, COUNT_EXACTLY);
        for (ord, reader) in searcher.segment_readers().iter().enumerate() {
            let mut open = || {
                profile::done(Stage::Scoring);
                let mut fields = SegmentFields::new(reader);
                let scorers = clauses
                    .iter()
                    .map(|c| c.group(&mut fields))
                    .collect::<tantivy::Result<Vec<_>>>()?;
                let filters = filters
                    .iter()
                    .map(|t| Ok(Box::new(self.filters.scorer(reader, t)?) as Box<dyn Scorer>))
                    .collect::<tantivy::Result<Vec<_>>>()?;
                profile::done(Stage::Postings);
                Ok((scorers, filters))
            };
            best.collect_segment(ord as u32, &mut open, reader)?;
        }
        let Found {
            top,
            total,
            exact: total_exact,
        } = best.finish(0);
        profile::done(Stage::Scoring);
        let words = self.topic_words(&searcher, &question, &evidence);
        // Meaning counts more when the words found cover little of the question (a customer
        // who says it in other words than the pages), and is not asked when they cover it all.
        let mut lexical_coverage = 0.0f32;
        if self.meaning.is_some() {
            for (_, address) in top.iter().take(verdict::VERDICT_DEPTH) {
                lexical_coverage = lexical_coverage.max(self.coverage(&words, *address)?);
            }
        }
        let leads = match top.as_slice() {
            [(first, _), (second, _), ..] => *first >= self.weights.meaning_settled_margin * second,
            _ => true,
        };
        let settled = lexical_coverage >= self.weights.meaning_settled && leads;
        let similarities = if settled { None } else { embed() };
        let (top, total) = match &similarities {
            Some(similarities) if fusing => {
                let mut lift = self.weights.lift(lexical_coverage);
                // e5 reads kana poorly, and a question written without kanji is heard rather
                // than read: even spelled the corpus's way (`Question::spelled`), its words are
                // guesses. There the words heard lead (`meaning_lead_kana`).
                if question.is_without_kanji() {
                    lift.lead *= self.weights.meaning_lead_kana;
                }
                // The pages closest by their questions, found once for the two uses below.
                let rank = self.weights.meaning_unsure_rank.max(0.0) as usize;
                let closest = similarities.top(rank.max(1));
                // Meaning leads only as far as some page's questions are close to this one
                // (`meaning_lead_floor`): on a corpus whose pages embed poorly, nothing is.
                if let Some((_, best)) = closest.first() {
                    lift.lead *= self.weights.lead_closeness(*best);
                }
                // The unsure part lifts only the documents closer than the `meaning_unsure_rank`-th
                // closest: when many are as close (pages under one shared title), it says nothing.
                if let Some((_, s)) = closest.get(rank.wrapping_sub(1)) {
                    lift.unsure_floor = lift.unsure_floor.max(*s);
                }
                // Meaning leads by how far a document stands above the `meaning_lead_rank`-th
                // closest, by the questions' closeness blended with the answers'.
                let ranking = similarities.ranking();
                let lead_rank = (self.weights.meaning_lead_rank.max(1.0) as usize).max(2);
                let nearest = ranking.top(lead_rank);
                if let (Some((_, top)), Some((_, reference))) = (nearest.first(), nearest.last()) {
                    lift.relative = fusion::Relative { top: *top, reference: *reference, spread: self.weights.meaning_lead_spread };
                }
                let fused = self.fuse(&searcher, request, &clauses, top, (similarities, &ranking), lift)?;
                // Documents without the question's words are added to the count of those with.
                let added = fused.iter().filter(|(_, _, worded)| !worded).count();
                (fused.into_iter().map(|(s, a, _)| (s, a)).collect(), total + added)
            }
            _ => (top, total),
        };
        profile::done(Stage::Fusion);
        Ok(Ranked { searcher, top, total, total_exact, evidence, words, similarities, terms })
    }

    fn search_question(
        &self,
        question: Arc<Question>,
        request: &SearchRequest<'_>,
        (offset, limit): (usize, usize),
    ) -> Result<SearchResults> {
        let ranked = self.ranked(&question, request, offset + limit)?;
        self.present(question, request, (offset, limit), ranked)
    }

    /// The hits `offset..offset + limit` of `ranked` as a results page: their stored fields
    /// and snippets, the verdict and did-you-mean.
    fn present(
        &self,
        question: Arc<Question>,
        request: &SearchRequest<'_>,
        (offset, limit): (usize, usize),
        ranked: Ranked<'_>,
    ) -> Result<SearchResults> {
        let Ranked { searcher, top, total, total_exact, evidence, words, similarities, terms } = ranked;
        if evidence.is_empty() {
            // Nothing to look for: only meaning can say what is closest.
            let verdict = self.verdict(&searcher, &[], (&[], &[]), similarities.as_ref())?;
            return Ok(SearchResults { total, total_exact, hits: Vec::new(), terms, did_you_mean: None, verdict, question });
        }
        // Whether anything answers, and how surely, is judged on the top of the list, whatever
        // page of it is asked for.
        let mut best_docs = Vec::with_capacity(verdict::VERDICT_DEPTH);
        for (_, address) in top.iter().take(verdict::VERDICT_DEPTH) {
            best_docs.push((*address, self.stored.get(&searcher, &self.fields, *address)?));
        }
        let best_scores: Vec<f32> = top.iter().take(2).map(|(s, _)| *s).collect();
        let top: Vec<(f32, tantivy::DocAddress)> = top.into_iter().skip(offset).take(limit).collect();
        if profile::on() {
            for (_, address) in &top {
                self.stored.get(&searcher, &self.fields, *address)?;
            }
            profile::done(Stage::Stored);
        }
        // Highlight the corpus words the query was understood as, too (返品 for へんぴん).
        let understood = evidence
            .iter()
            .filter(|e| matches!(e.kind, "kana" | "romaji" | "synonym"))
            .flat_map(|e| std::iter::once(&e.text).chain(&e.also).map(String::as_str));
        let marker = Marker::new(&question.morphemes).with_words(understood);
        let mut hits = Vec::with_capacity(top.len());
        for (rank, (score, address)) in top.into_iter().enumerate() {
            let doc = self.stored.get(&searcher, &self.fields, address)?;
            let mut hit = doc.hit(score, (rank < request.snippets).then_some(&marker));
            if request.explain {
                hit.explain = explain::explain(&searcher, self.fields.key, &doc.key, &evidence);
            }
            hits.push(hit);
        }
        profile::done(Stage::Snippets);
        let did_you_mean = if total < 3 {
            did_you_mean::did_you_mean(&question, &self.lexicon, &self.fields, &searcher)
        } else {
            None
        };
        let verdict = self.verdict(&searcher, &words, (&best_scores, &best_docs), similarities.as_ref())?;
        profile::done(Stage::Verdict);
        Ok(SearchResults {
            total,
            total_exact,
            hits,
            terms,
            did_you_mean,
            verdict,
            question,
        })
    }
}

/// What a search ranked, before anything is shown of it ([`SearchIndex::ranked`]).
struct Ranked<'a> {
    searcher: tantivy::Searcher,
    /// The best documents, best first.
    top: Vec<(f32, tantivy::DocAddress)>,
    total: usize,
    total_exact: bool,
    /// What the question looked for (none: nothing to look for).
    evidence: Vec<Evidence>,
    /// The question's topic words, for the verdict.
    words: Vec<verdict::TopicWord>,
    /// The question's closeness in meaning to every document, when it was embedded.
    similarities: Option<Similarities<'a>>,
    terms: Vec<String>,
}
