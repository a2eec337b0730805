//! How is a customer's question turned into ranked answers?
//!
//! The query goes through the same analyzer as the pages. Each content word is looked up in
//! every text field with its weight (title and aliases above the body); the query's reading
//! bigrams and character bigrams add weaker evidence, so kana-only, differently segmented or
//! unknown words still find their page. The audience filter is applied inside the index query,
//! so an internal page can never reach a public caller.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, EnableScoring, Occur, Query, Scorer, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, Value};
use tantivy::{DocAddress, Index, IndexReader, ReloadPolicy, TantivyDocument, Term};

use crate::analysis::tokenizer::{kana_bigrams, query_ngrams, reading_tokens, typed_sound_bigrams};
use crate::analysis::{Analyzer, Morpheme, Normalized, tokenizer};
use crate::content::Audience;
use crate::analysis::{kana, normalize_str, romaji};
use crate::error::{Error, Result};
use crate::cache::ResultCache;
use crate::filter::FilterCache;
use crate::lexicon::Lexicon;
use crate::scoring::{Bm25, Bm25TermQuery, BoostedPhrase, BoundedWeight, ScoringCache, SegmentFields};
use crate::topk::{COUNT_EXACTLY, Found, TopK};
use std::sync::Arc;
use crate::index::schema::Fields;

/// Queries longer than this many characters are cut: nobody types more, and analysis cost
/// must stay bounded.
pub const MAX_QUERY_CHARS: usize = 256;
/// The most hits one request may ask for.
pub const MAX_LIMIT: usize = 100;
/// The furthest a request may page: larger offsets are lowered to it.
pub const MAX_OFFSET: usize = 10_000;

/// Which pages a search may return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AudienceFilter {
    /// Customers: public pages only.
    #[default]
    Public,
    /// The operator manual only.
    Internal,
    /// Agents: everything.
    All,
}

impl AudienceFilter {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "public" => Some(Self::Public),
            "internal" => Some(Self::Internal),
            "all" => Some(Self::All),
            _ => None,
        }
    }
}

/// A search to run.
#[derive(Debug, Clone)]
pub struct SearchRequest<'a> {
    pub query: &'a str,
    pub audience: AudienceFilter,
    pub category: Option<&'a str>,
    pub limit: usize,
    pub offset: usize,
    /// Attach to each hit which evidence matched it, in which field (see [`Hit::explain`]).
    pub explain: bool,
    /// How many hits, from the first, get a snippet (most of a search's cost on a small
    /// corpus): `usize::MAX` for all of them, 0 when only ids are needed.
    pub snippets: usize,
}

impl<'a> SearchRequest<'a> {
    /// A public search for `query` with 10 hits.
    pub fn new(query: &'a str) -> Self {
        Self { query, audience: AudienceFilter::Public, category: None, limit: 10, offset: 0, explain: false, snippets: usize::MAX }
    }
}

/// One piece of evidence a query looks for: a word, a synonym, a word recognized from kana or
/// romaji, a reading bigram, or a character trigram.
struct Evidence {
    kind: &'static str,
    text: String,
    /// What it stands for, when it is a variant (the synonym or kana it came from).
    from: Option<String>,
    /// The weighted query per field, by field name.
    fields: Vec<(&'static str, Box<dyn Query>)>,
}

/// Why a hit matched: one line per matching evidence and field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explained {
    pub kind: String,
    pub text: String,
    pub from: Option<String>,
    pub field: String,
    pub score: f32,
}

/// Field weights: how much a match in each field counts.
#[derive(Debug, Clone, Copy, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Weights {
    pub title: f32,
    pub aliases: f32,
    pub heading: f32,
    pub tags: f32,
    pub body: f32,
    /// Readings of titles, headings and aliases. Bodies' readings are not indexed: see
    /// [`crate::index::schema::Fields::title_reading`].
    pub title_reading: f32,
    pub title_ngram: f32,
    pub body_ngram: f32,
    /// How much the fields other than a word's best one add (0: only the best counts).
    pub tie_breaker: f32,
    /// How much a writer synonym of a query word counts, next to the word itself.
    pub synonym: f32,
    /// How much a general synonym (Sudachi's dictionary, when the index has one) counts.
    pub general_synonym: f32,
    /// How much a corpus word recognized from kana or romaji counts.
    pub recognized: f32,
    /// BM25 term-frequency saturation for word and reading matches (see [`crate::scoring`]).
    pub k1: f32,
    /// BM25 length normalization.
    pub b: f32,
}

impl Weights {
    fn bm25(&self) -> Bm25 {
        Bm25 { k1: self.k1, b: self.b }
    }
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            title: 1.3,
            aliases: 1.3,
            heading: 1.3,
            tags: 1.0,
            body: 1.0,
            title_reading: 0.4,
            title_ngram: 0.6,
            body_ngram: 0.6,
            tie_breaker: 0.1,
            synonym: 0.8,
            general_synonym: 0.5,
            recognized: 1.0,
            k1: Bm25::default().k1,
            b: Bm25::default().b,
        }
    }
}

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
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// One result.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    pub title: String,
    pub category: Option<String>,
    pub score: f32,
    pub snippet: Snippet,
    /// The anchor of the matching section of a manual page.
    pub section: Option<String>,
    /// The heading of that section.
    pub heading: Option<String>,
    pub audience: Audience,
    pub updated: Option<String>,
    pub review_by: Option<String>,
    /// The text of the page (or of the section, for a manual section hit).
    /// Shared, so that copies of a hit (the result cache hands out copies) do not copy the text.
    #[serde(skip)]
    pub body: Arc<str>,
    /// Filled when the request asked to explain.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub explain: Vec<Explained>,
}

/// The results of a search.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    /// How many documents matched in all: exact up to [`COUNT_EXACTLY`], a lower bound beyond
    /// (see `total_exact`).
    pub total: usize,
    /// False when counting stopped at [`COUNT_EXACTLY`] and more documents may match.
    pub total_exact: bool,
    pub hits: Vec<Hit>,
    /// The content words the query was analyzed into.
    pub terms: Vec<String>,
    /// A corrected query, when this one found little and a correction is likely.
    pub did_you_mean: Option<String>,
}

/// An index opened for searching.
#[derive(Clone)]
pub struct SearchIndex {
    _index: Index,
    reader: IndexReader,
    fields: Fields,
    analyzer: Analyzer,
    weights: Weights,
    lexicon: Arc<Lexicon>,
    cache: Arc<ResultCache>,
    page_words: Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<PageWords>>>>,
    stored: Arc<std::sync::Mutex<lru::LruCache<DocAddress, Arc<StoredDoc>>>>,
    /// Per-window bounds of the terms searched so far (see [`crate::topk`]).
    scoring: Arc<ScoringCache>,
    /// The audience and category filters' documents, per segment (see [`crate::filter`]).
    filters: Arc<FilterCache>,
    path: PathBuf,
}

/// How many terms' per-window bounds are kept: a few hundred bytes each on a 100k corpus.
const WINDOW_TERMS: usize = 20_000;

/// How many documents' stored fields are kept decoded (see [`SearchIndex::stored`]).
const STORED_DOCS: usize = 4096;

/// The stored fields of an index document, decoded.
#[derive(Debug)]
struct StoredDoc {
    key: String,
    id: String,
    title: String,
    category: Option<String>,
    heading: Option<String>,
    section: Option<String>,
    audience: Audience,
    updated: Option<String>,
    review_by: Option<String>,
    body: Arc<str>,
    /// The body, trimmed and normalized, for highlighting (`None`: normalizing leaves it as
    /// it is). Made the first time a snippet needs it, and kept with the document.
    normalized_body: NormalizedOnce,
}

impl SearchIndex {
    /// Open the tantivy index in `dir`.
    pub fn open(dir: &Path, analyzer: &Analyzer) -> Result<Self> {
        let bad = |message: String| Error::BadIndex { path: dir.to_path_buf(), message };
        let index = Index::open_in_dir(dir).map_err(|e| bad(e.to_string()))?;
        if index.schema() != crate::index::schema().0 {
            return Err(Error::OtherFormat(dir.to_path_buf()));
        }
        // Every file's checksum, before serving it: a damaged byte in a segment would otherwise
        // surface as a panic on the queries that reach it.
        let damaged = index.validate_checksum().map_err(|e| bad(e.to_string()))?;
        if !damaged.is_empty() {
            let mut names: Vec<String> = damaged.iter().map(|p| p.display().to_string()).collect();
            names.sort();
            return Err(bad(format!("damaged files (checksum mismatch): {}", names.join(", "))));
        }
        tokenizer::register(&index, analyzer);
        let fields = Fields::from_schema(&index.schema()).map_err(|e| bad(format!("unexpected schema: {e}")))?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e: tantivy::TantivyError| bad(e.to_string()))?;
        Ok(Self { _index: index, reader, fields, analyzer: analyzer.clone(), weights: Weights::default(), lexicon: Arc::default(), cache: Arc::default(), page_words: Arc::default(), stored: Arc::new(std::sync::Mutex::new(lru::LruCache::new(std::num::NonZeroUsize::new(STORED_DOCS).expect("nonzero")))), scoring: Arc::new(ScoringCache::new(WINDOW_TERMS)), filters: Arc::default(), path: dir.to_path_buf() })
    }

    /// Use the readings and synonyms of the generation (see [`Lexicon`]).
    pub fn with_lexicon(mut self, lexicon: Lexicon) -> Self {
        self.lexicon = Arc::new(lexicon);
        self
    }

    /// Use other field weights (for tuning).
    pub fn with_weights(mut self, weights: Weights) -> Self {
        self.weights = weights;
        self.cache = Arc::new(ResultCache::new(self.cache.capacity()));
        self
    }

    /// How many distinct searches the result cache keeps (0: it is off).
    pub fn cache_capacity(&self) -> usize {
        self.cache.capacity()
    }

    /// Remember the results of up to `capacity` recent requests (0: search every time).
    pub fn with_cache_capacity(mut self, capacity: usize) -> Self {
        self.cache = Arc::new(ResultCache::new(capacity));
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

    /// Run a search.
    pub fn search(&self, request: &SearchRequest<'_>) -> Result<SearchResults> {
        let query_text: String = request.query.chars().take(MAX_QUERY_CHARS).collect();
        if let Some(cached) = self.cache.get(&query_text, request) {
            return Ok(cached);
        }
        let results = self.search_uncached(&query_text, request)?;
        self.cache.put(&query_text, request, &results);
        Ok(results)
    }

    fn search_uncached(&self, query_text: &str, request: &SearchRequest<'_>) -> Result<SearchResults> {
        let query_text = query_text.to_string();
        let morphemes = self.analyzer.analyze(&query_text);
        let terms = unique(tokenizer::term_tokens(&morphemes).into_iter().map(|t| t.text));
        let searcher = self.reader.searcher();
        let evidence = self.evidence(&query_text, &morphemes, &terms);
        // The sum of the evidence, best documents first (see `topk` for how it avoids scoring
        // every document a common sound matches).
        let scoring = EnableScoring::enabled_from_searcher(&searcher);
        let mut weighed = evidence
            .into_iter()
            .map(|e| Ok((BoundedWeight::of(e.fields.iter().map(|(_, q)| q.as_ref()), self.weights.tie_breaker, scoring)?, e)))
            .collect::<tantivy::Result<Vec<_>>>()?;
        drop_common_sounds(&mut weighed, searcher.num_docs());
        if weighed.is_empty() {
            return Ok(SearchResults { total: 0, total_exact: true, hits: Vec::new(), terms, did_you_mean: None });
        }
        let (clauses, evidence): (Vec<_>, Vec<_>) = weighed.into_iter().unzip();
        // Every hit must have each of these terms (see `crate::filter` for how they are asked).
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
        let limit = request.limit.clamp(1, MAX_LIMIT);
        let offset = request.offset.min(MAX_OFFSET);
        let mut best = TopK::new(offset + limit, COUNT_EXACTLY);
        for (ord, reader) in searcher.segment_readers().iter().enumerate() {
            let mut open = || {
                let mut fields = SegmentFields::new(reader);
                let scorers = clauses.iter().map(|c| c.group(&mut fields)).collect::<tantivy::Result<Vec<_>>>()?;
                let filters = filters
                    .iter()
                    .map(|t| Ok(Box::new(self.filters.scorer(reader, t)?) as Box<dyn Scorer>))
                    .collect::<tantivy::Result<Vec<_>>>()?;
                Ok((scorers, filters))
            };
            best.collect_segment(ord as u32, &mut open, reader.alive_bitset())?;
        }
        let Found { top, total, exact: total_exact } = best.finish(offset);
        // Highlight the corpus words the query was understood as, too (返品 for へんぴん).
        let understood = evidence.iter().filter(|e| matches!(e.kind, "kana" | "romaji" | "synonym")).map(|e| e.text.as_str());
        let marker = Marker::new(&morphemes).with_words(understood);
        let mut hits = Vec::with_capacity(top.len());
        for (rank, (score, address)) in top.into_iter().enumerate() {
            let doc = self.stored(&searcher, address)?;
            let mut hit = self.hit(&doc, score, (rank < request.snippets).then_some(&marker));
            if request.explain {
                hit.explain = explain(&searcher, self.fields.key, &doc.key, &evidence);
            }
            hits.push(hit);
        }
        let did_you_mean = if total < 3 { self.did_you_mean(&query_text, &morphemes, &searcher) } else { None };
        Ok(SearchResults { total, total_exact, hits, terms, did_you_mean })
    }

    /// Everything the query looks for, with the weight of each field.
    fn evidence(&self, text: &str, morphemes: &[Morpheme], terms: &[String]) -> Vec<Evidence> {
        let f = &self.fields;
        let w = &self.weights;
        let bm25 = w.bm25();
        let term_fields = [
            ("title", f.title, w.title),
            ("aliases", f.aliases, w.aliases),
            ("heading", f.heading, w.heading),
            ("tags", f.tags, w.tags),
            ("body", f.body, w.body),
        ];
        let words = |kind, word: &str, from: Option<String>, factor: f32| Evidence {
            kind,
            text: word.to_string(),
            from,
            fields: term_fields.iter().map(|(name, field, weight)| (*name, weighted(*field, word, weight * factor, bm25, &self.scoring))).collect(),
        };
        let mut out: Vec<Evidence> = terms.iter().map(|t| words("word", t, None, 1.0)).collect();
        let mut known: BTreeSet<String> = terms.iter().cloned().collect();

        // Kana and romaji typed for words of the corpus: へんぴん, henpin → 返品.
        let normalized = normalize_str(text);
        let runs = kana_runs(&normalized);
        for (typed, run) in &runs {
            for r in self.lexicon.recognize(run) {
                if known.insert(r.word.clone()) {
                    let kind = if typed.is_ascii() { "romaji" } else { "kana" };
                    out.push(words(kind, &r.word, Some(typed.clone()), w.recognized));
                }
            }
        }
        // Synonyms, as whole words: a multi-word synonym must match as a phrase.
        let synonym = |parts: &[String], found: &str, factor: f32| -> Evidence {
            if let [single] = parts {
                return words("synonym", single, Some(found.to_string()), factor);
            }
            let fields = term_fields
                .iter()
                .map(|(name, field, weight)| {
                    let terms = parts.iter().map(|p| Term::from_field_text(*field, p)).collect();
                    // A phrase scores every word in it: count it as one word.
                    let boost = weight * factor / parts.len() as f32;
                    (*name, Box::new(BoostedPhrase::new(terms, boost)) as Box<dyn Query>)
                })
                .collect();
            Evidence { kind: "synonym", text: parts.join(" "), from: Some(found.to_string()), fields }
        };
        let mut expand = |parts: Vec<String>, found: &str, factor: f32, out: &mut Vec<Evidence>| {
            if parts.is_empty() || parts.iter().all(|p| known.contains(p)) {
                return;
            }
            if let [single] = parts.as_slice() {
                known.insert(single.clone());
            }
            out.push(synonym(&parts, found, factor));
        };
        for (found, others) in self.lexicon.synonyms_in(&normalized) {
            for other in others {
                expand(self.analyzer.terms(&other), &found, w.synonym, &mut out);
            }
        }
        // General synonyms (Sudachi's), for the query's own words only, weaker than the writers'.
        let content_terms: Vec<String> = morphemes.iter().filter(|m| m.content).map(|m| m.term.clone()).collect();
        for (found, synonyms) in self.lexicon.general_synonyms_of(&content_terms) {
            for parts in synonyms {
                expand(parts, &found, w.general_synonym, &mut out);
            }
        }
        // Readings: each bigram on its own, since the sounds of a kana query rarely line up
        // with the readings' word boundaries. Of the kana typed, only the sounds that touch a
        // content word: those of endings alone (ですか) match nearly every title.
        let romaji_kana = runs.iter().filter(|(typed, _)| typed.is_ascii()).flat_map(|(_, run)| kana_bigrams(run));
        let readings = unique(reading_tokens(morphemes).into_iter().chain(typed_sound_bigrams(text, morphemes)).chain(romaji_kana).map(|t| t.text));
        for r in readings {
            let fields = vec![("title_reading", weighted(f.title_reading, &r, w.title_reading, bm25, &self.scoring))];
            out.push(Evidence { kind: "reading", text: r, from: None, fields });
        }
        // Characters: three in a row, indexed as trigrams (see `query_ngrams`).
        for n in query_ngrams(text) {
            let fields = vec![
                ("title_ngram", weighted(f.title_ngram, &n, w.title_ngram, bm25, &self.scoring)),
                ("body_ngram", weighted(f.body_ngram, &n, w.body_ngram, bm25, &self.scoring)),
            ];
            out.push(Evidence { kind: "characters", text: n, from: None, fields });
        }
        out
    }

    /// A corrected query: words the index does not know, replaced by the corpus word that
    /// sounds closest (パスワート → パスワード).
    fn did_you_mean(&self, text: &str, morphemes: &[Morpheme], searcher: &tantivy::Searcher) -> Option<String> {
        let f = &self.fields;
        let known = |term: &str| {
            [f.title, f.body, f.aliases].iter().any(|field| searcher.doc_freq(&Term::from_field_text(*field, term)).unwrap_or(0) > 0)
        };
        let mut corrected = String::new();
        let mut changed = false;
        let mut at = 0;
        for m in morphemes.iter().filter(|m| m.content) {
            if known(&m.term) || m.start < at {
                continue;
            }
            let fix = self.lexicon.correct(&kana::to_katakana(&m.reading)).filter(|r| known(&r.word));
            if let Some(fix) = fix {
                corrected.push_str(&text[at..m.start]);
                corrected.push_str(&fix.word);
                at = m.end;
                changed = true;
            }
        }
        corrected.push_str(&text[at..]);
        changed.then_some(corrected)
    }

    /// The stored fields of a document. Reading one from tantivy's store decompresses a block
    /// and decodes every field, and the same pages answer most questions: the most recently
    /// used documents are kept decoded.
    fn stored(&self, searcher: &tantivy::Searcher, address: DocAddress) -> Result<Arc<StoredDoc>> {
        if let Some(doc) = self.stored.lock().ok().and_then(|mut m| m.get(&address).cloned()) {
            return Ok(doc);
        }
        let doc: TantivyDocument = searcher.doc(address)?;
        let f = &self.fields;
        let text = |field: Field| doc.get_first(field).and_then(|v| v.as_str()).map(str::to_string);
        let nonempty = |field: Field| text(field).filter(|s| !s.is_empty());
        let stored = Arc::new(StoredDoc {
            key: text(f.key).unwrap_or_default(),
            id: text(f.id).unwrap_or_default(),
            title: text(f.title).unwrap_or_default(),
            category: nonempty(f.category),
            heading: nonempty(f.heading),
            section: nonempty(f.section),
            audience: text(f.audience).as_deref().and_then(Audience::parse).unwrap_or(Audience::Internal),
            updated: text(f.updated),
            review_by: text(f.review_by),
            body: Arc::from(text(f.body).unwrap_or_default()),
            normalized_body: NormalizedOnce::new(),
        });
        if let Ok(mut m) = self.stored.lock() {
            m.put(address, stored.clone());
        }
        Ok(stored)
    }

    fn hit(&self, doc: &StoredDoc, score: f32, marker: Option<&Marker>) -> Hit {
        Hit {
            id: doc.id.clone(),
            title: doc.title.clone(),
            category: doc.category.clone(),
            score,
            snippet: match marker {
                Some(marker) => marker.snippet_with(&doc.body, SNIPPET_CHARS, &doc.normalized_body),
                None => Snippet { text: String::new(), highlights: Vec::new() },
            },
            heading: doc.heading.clone(),
            section: doc.section.clone(),
            audience: doc.audience,
            updated: doc.updated.clone(),
            review_by: doc.review_by.clone(),
            body: doc.body.clone(),
            explain: Vec::new(),
        }
    }
}

impl SearchIndex {
    /// How sure we are that `hit` answers `query`, from 0 to 1: how much of the question the
    /// page covers (its words, or the sounds of kana typed), and how far it leads the runner-up.
    pub fn confidence(&self, query: &str, hit: &Hit, runner_up: Option<&Hit>) -> f32 {
        let query: String = query.chars().take(MAX_QUERY_CHARS).collect();
        let q = self.analyzer.analyze(&query);
        let page = self.page_words(hit);
        let page_terms = &page.terms;
        // The words of the question: for a question typed in kana, the corpus words its sounds
        // were recognized as; otherwise its content words.
        let normalized = normalize_str(&query);
        let recognized: Vec<String> = kana_runs(&normalized)
            .iter()
            .flat_map(|(_, run)| self.lexicon.recognize(run))
            .map(|r| r.word)
            .collect();
        let query_terms = if kana::is_kana(&normalized.replace([' ', '　'], "")) && !recognized.is_empty() {
            unique(recognized.into_iter())
        } else {
            unique(tokenizer::term_tokens(&q).into_iter().map(|t| t.text).chain(recognized))
        };
        let term_cover = fraction(&query_terms, |t| page_terms.contains(t));
        // Sounds of the content words, for words written differently than on the page.
        let page_readings = &page.readings;
        let query_readings = unique(reading_tokens(&q).into_iter().map(|t| t.text));
        let reading_cover = fraction(&query_readings, |r| page_readings.contains(r));
        let coverage = term_cover.max(0.8 * reading_cover);
        let margin = match runner_up {
            Some(r) if hit.score > 0.0 => (1.0 - r.score / hit.score).clamp(0.0, 1.0),
            _ => 1.0,
        };
        (0.75 * coverage + 0.25 * margin).clamp(0.0, 1.0)
    }
}

/// The words and reading bigrams of a hit's page (or section), for [`SearchIndex::confidence`].
#[derive(Debug, Default)]
pub struct PageWords {
    terms: BTreeSet<String>,
    readings: BTreeSet<String>,
}

impl SearchIndex {
    /// Analyzing a whole page costs about a millisecond, and the best hits are asked about
    /// again and again: each page is analyzed once per generation (a few hundred bytes per page
    /// that ever ranked first).
    fn page_words(&self, hit: &Hit) -> Arc<PageWords> {
        let key = format!("{}#{}", hit.id, hit.section.as_deref().unwrap_or(""));
        if let Some(words) = self.page_words.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return words;
        }
        let page_text = format!("{}\n{}\n{}", hit.title, hit.heading.as_deref().unwrap_or(""), hit.body);
        let page = self.analyzer.analyze(&page_text);
        let words = Arc::new(PageWords {
            terms: tokenizer::term_tokens(&page).into_iter().map(|t| t.text).collect(),
            readings: reading_tokens(&page).into_iter().map(|t| t.text).collect(),
        });
        if let Ok(mut m) = self.page_words.lock() {
            m.insert(key, words.clone());
        }
        words
    }
}

/// Sound and character evidence found in more than this share of the documents is dropped.
/// At 0.3 no ranking changed on the tuning, held-out or wiki-qa queries, and searches on the
/// generated 100k corpus took 16% less CPU (13.1 → 11.0 ms); lower shares start to cost
/// held-out MRR.
const COMMON_SHARE: f64 = 0.3;

/// Drop reading bigrams and character trigrams that nearly every document has (ショ, ます...):
/// they add almost nothing to any score (their idf is near zero) but walking their postings is
/// most of a search's time on a large corpus.
///
/// The document frequencies are the ones the weights looked up: no second lookup.
fn drop_common_sounds(weighed: &mut Vec<(BoundedWeight, Evidence)>, docs: u64) {
    let docs = docs.max(1) as f64;
    weighed.retain(|(weight, e)| {
        !matches!(e.kind, "reading" | "characters")
            || weight.doc_freqs().any(|n| n.is_none_or(|n| n as f64 / docs <= COMMON_SHARE))
    });
}

fn fraction(items: &[String], hit: impl Fn(&String) -> bool) -> f32 {
    if items.is_empty() {
        return 0.0;
    }
    items.iter().filter(|i| hit(i)).count() as f32 / items.len() as f32
}

/// Characters in a snippet.
pub const SNIPPET_CHARS: usize = 90;

/// Runs of kana in normalized text, and romaji words turned into kana: (as typed, katakana).
fn kana_runs(normalized: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut Vec<(String, String)>| {
        if run.chars().count() >= 2 {
            out.push((run.clone(), kana::to_katakana(run)));
        }
        run.clear();
    };
    for c in normalized.chars() {
        if kana::is_kana(c.encode_utf8(&mut [0; 4])) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
        }
    }
    flush(&mut run, &mut out);
    for word in normalized.split(|c: char| !c.is_ascii_alphabetic() && c != '-' && c != '\'') {
        if word.len() >= 3
            && romaji::is_romaji_word(word)
            && let Some(hiragana) = romaji::to_hiragana(word)
        {
            out.push((word.to_string(), kana::to_katakana(&hiragana)));
        }
    }
    out
}

/// Which evidence matched the document `key`, field by field. Each clause is run again,
/// restricted to that document (tantivy's own `explain` can panic on phrase queries).
fn explain(searcher: &tantivy::Searcher, key_field: Field, key: &str, evidence: &[Evidence]) -> Vec<Explained> {
    let mut out = Vec::new();
    for e in evidence {
        for (field, q) in &e.fields {
            let only_this = BooleanQuery::new(vec![(Occur::Must, q.box_clone()), (Occur::Must, filter(key_field, key))]);
            let score = searcher
                .search(&only_this, &TopDocs::with_limit(1).order_by_score())
                .ok()
                .and_then(|top| top.first().map(|(s, _)| *s))
                .unwrap_or(0.0);
            if score > 0.0 {
                out.push(Explained { kind: e.kind.into(), text: e.text.clone(), from: e.from.clone(), field: (*field).into(), score });
            }
        }
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    out
}

fn weighted(field: Field, text: &str, weight: f32, bm25: Bm25, cache: &Arc<ScoringCache>) -> Box<dyn Query> {
    Box::new(Bm25TermQuery::new(Term::from_field_text(field, text), bm25).with_boost(weight).with_cache(cache.clone()))
}

/// A filter that does not change scores.
fn filter(field: Field, value: &str) -> Box<dyn Query> {
    let q = TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic);
    Box::new(BoostQuery::new(Box::new(q), 0.0))
}

fn unique(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    items.filter(|i| seen.insert(i.clone())).collect()
}

/// Finds the words of a text that match the query, to highlight them.
pub struct Marker {
    /// Normalized strings to highlight: the query's content words as typed and in their base
    /// form, the stems of its conjugated words (できない → でき), and the corpus words it was
    /// understood as ([`Marker::with_words`]).
    needles: Vec<memchr::memmem::Finder<'static>>,
}

impl Marker {
    pub fn new(query: &[Morpheme]) -> Self {
        let mut marker = Marker { needles: Vec::new() };
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
        }
    }

    /// Where the needles occur in `text`: byte ranges of the original text, sorted and merged.
    /// They are searched for in `normalized`, the text normalized (`None`: normalizing leaves
    /// it as it is), so `ｷｬﾝﾍﾟｰﾝ` holds the needle `キャンペーン`.
    fn matches(&self, text: &str, normalized: Option<&Normalized>) -> Vec<Range<usize>> {
        let find = |haystack: &str| -> Vec<Range<usize>> {
            self.needles
                .iter()
                .flat_map(|n| n.find_iter(haystack.as_bytes()).map(move |i| i..i + n.needle().len()))
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
    fn snippet_with(&self, text: &str, max_chars: usize, normalized: &NormalizedOnce) -> Snippet {
        let text = text.trim();
        // Every match in the page, found once: they choose the passage, and those inside it
        // are its highlights.
        let found = self.matches(text, normalized.get_or_init(|| normalized_unless_unchanged(text)).as_ref());
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
        let (mut start, mut from, mut covered) = (0usize, 0usize, 0usize);
        for (i, &(s, b)) in starts.iter().enumerate() {
            let n = starts[i..].iter().take_while(|&&(t, _)| t < s + max_chars).count();
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
        snippet_text.push_str(&flatten(&text[from..to]));
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

/// Normalized text, made once when first needed; `None` inside when normalizing leaves the text
/// as it is.
type NormalizedOnce = std::sync::OnceLock<Option<Normalized>>;

/// `text` normalized, or `None` when normalizing leaves it as it is (most Japanese text: a scan
/// finds out, with no copy and no map back to the original).
fn normalized_unless_unchanged(text: &str) -> Option<Normalized> {
    (!crate::analysis::is_normalized(text)).then(|| crate::analysis::normalize(text))
}

/// Newlines become spaces, keeping byte offsets unchanged.
fn flatten(text: &str) -> String {
    text.replace(['\n', '\t', '\r'], " ")
}
