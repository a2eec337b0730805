//! One index generation opened for reading: its two search indexes (public pages, internal
//! manual), their lexicons and the pages, consistent together; and the console's merge of the
//! two.

use std::path::{Path, PathBuf};

use super::verdict::Verdict;
use super::{AudienceFilter, MAX_LIMIT, MAX_OFFSET, SearchIndex, SearchRequest, SearchResults, Weights};
use crate::analysis::Analyzer;
use crate::error::{Error, Result};
use crate::index::layout::{self, IndexRoot};
use crate::index::media::Media;
use crate::index::stored::StoredCorpus;
use crate::lexicon::Lexicon;

/// One generation opened for reading: its two search indexes and its pages, consistent
/// together.
///
/// **The audience rule starts here.** A generation holds two indexes, each with its own
/// statistics and lexicon: the public pages, and the internal manual. Customers search the
/// public one only, so nothing about the manual (its words, their frequencies, their readings,
/// corrections towards them) can change what a public search returns or suggests. Agents search
/// both, and the two lists are merged by score ([`Snapshot::search`]).
pub struct Snapshot {
    pub generation: PathBuf,
    /// The public pages: the customers' index.
    pub public: SearchIndex,
    /// The internal manual's sections.
    pub internal: SearchIndex,
    /// The pages and categories the index was built from.
    pub corpus: StoredCorpus,
    /// The source hash of the generation ([`layout::SOURCE_FILE`]), when it has one.
    pub source_hash: Option<String>,
    /// The images its pages show.
    pub media: Media,
}

impl Snapshot {
    /// Open the generation `root` currently serves.
    pub fn open(root: &IndexRoot, analyzer: &Analyzer) -> Result<Self> {
        let generation = root.current()?;
        Self::open_generation(generation, analyzer)
    }

    /// Open a given generation folder.
    pub fn open_generation(generation: PathBuf, analyzer: &Analyzer) -> Result<Self> {
        if !generation.is_dir() {
            return Err(Error::io(&generation, std::io::Error::from(std::io::ErrorKind::NotFound)));
        }
        let part = |name: &str| {
            let dir = generation.join(name);
            if !dir.is_dir() {
                // Written before the two indexes existed: rebuild it.
                return Err(Error::OtherFormat(dir));
            }
            open_index(&dir, analyzer)
        };
        let public = part(layout::PUBLIC_DIR)?;
        let internal = part(layout::INTERNAL_DIR)?;
        let corpus = StoredCorpus::open(&generation)?;
        let source_hash = std::fs::read_to_string(generation.join(layout::SOURCE_FILE))
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_hexdigit()));
        let media = Media::open(&generation)?;
        Ok(Self { generation, public, internal, corpus, source_hash, media })
    }

    /// Run a search: in the public index for customers, in the manual's for `internal`, and in
    /// both, merged, for `all`.
    pub fn search(&self, request: &SearchRequest<'_>) -> Result<SearchResults> {
        match request.audience {
            AudienceFilter::Public => self.public.search(request),
            AudienceFilter::Internal => self.internal.search(request),
            AudienceFilter::All => {
                let offset = request.offset.min(MAX_OFFSET);
                let limit = request.limit.clamp(1, MAX_LIMIT);
                let public = self.public.search_top(&SearchRequest { audience: AudienceFilter::Public, ..request.clone() }, offset + limit)?;
                let internal = self.internal.search_top(&SearchRequest { audience: AudienceFilter::Internal, ..request.clone() }, offset + limit)?;
                Ok(merge(public, internal, offset, limit))
            }
        }
    }

    /// How many of `request`'s hits are in each category (`None`: pages without one), counted
    /// over its first [`COUNT_EXACTLY`](crate::ranking::COUNT_EXACTLY) hits whatever its offset and limit, in the order the
    /// categories first appear: the counts of a category filter. Exact when the search's total
    /// is.
    pub fn category_counts(&self, request: &SearchRequest<'_>) -> Result<Vec<(Option<String>, usize)>> {
        let mut lists = Vec::new();
        if request.audience != AudienceFilter::Internal {
            lists.push(self.public.category_counts(&SearchRequest { audience: AudienceFilter::Public, ..request.clone() })?);
        }
        if request.audience != AudienceFilter::Public {
            lists.push(self.internal.category_counts(&SearchRequest { audience: AudienceFilter::Internal, ..request.clone() })?);
        }
        let mut counts: Vec<(Option<String>, usize)> = Vec::new();
        for (category, n) in lists.iter().flat_map(|list| list.iter()) {
            match counts.iter_mut().find(|(c, _)| c == category) {
                Some((_, total)) => *total += n,
                None => counts.push((category.clone(), *n)),
            }
        }
        Ok(counts)
    }

    /// [`Snapshot::search`] and [`Snapshot::category_counts`] of `request` together: what a
    /// results page shows. In one index (customers', or the manual's), from one ranking of the
    /// question (see [`SearchIndex::search_counted`]).
    pub fn search_counted(&self, request: &SearchRequest<'_>) -> Result<(SearchResults, Vec<(Option<String>, usize)>)> {
        let index = match request.audience {
            AudienceFilter::Public => &self.public,
            AudienceFilter::Internal => &self.internal,
            AudienceFilter::All => return Ok((self.search(request)?, self.category_counts(request)?)),
        };
        let (results, counts) = index.search_counted(request)?;
        Ok((results, counts.as_ref().clone()))
    }

    /// The index whose analysis of the question goes with results for `audience` (for
    /// [`SearchIndex::confidence`]): the manual's for `internal`, the public one otherwise.
    pub fn for_audience(&self, audience: AudienceFilter) -> &SearchIndex {
        match audience {
            AudienceFilter::Internal => &self.internal,
            AudienceFilter::Public | AudienceFilter::All => &self.public,
        }
    }

    /// Whether a search may embed its question (meaning is on in either index): milliseconds
    /// of model inference rather than a lexical search's fraction of one.
    pub fn has_meaning(&self) -> bool {
        self.public.has_meaning() || self.internal.has_meaning()
    }

    /// Number of index documents, both indexes together.
    pub fn num_docs(&self) -> u64 {
        self.public.num_docs() + self.internal.num_docs()
    }

    /// Both indexes with a result cache of `capacity` requests (0: off).
    pub fn with_cache_capacity(self, capacity: usize) -> Self {
        Snapshot { public: self.public.with_cache_capacity(capacity), internal: self.internal.with_cache_capacity(capacity), ..self }
    }

    /// Both indexes with other weights (for tuning).
    pub fn with_weights(self, weights: Weights) -> Self {
        Snapshot { public: self.public.with_weights(weights), internal: self.internal.with_weights(weights), ..self }
    }
}

/// The console's list: the best of both indexes by score (the public hit first at equal
/// scores), the page `offset..offset + limit` of it, and both totals added up.
fn merge(public: SearchResults, internal: SearchResults, offset: usize, limit: usize) -> SearchResults {
    let total = public.total + internal.total;
    let mut hits = public.hits;
    hits.extend(internal.hits);
    // Stable: at equal scores the public hit stays first.
    hits.sort_by(|a, b| b.score.total_cmp(&a.score));
    let hits = hits.into_iter().skip(offset).take(limit).collect();
    let did_you_mean = if total < 3 { public.did_you_mean.or(internal.did_you_mean) } else { None };
    let verdict = Verdict::either(public.verdict, internal.verdict);
    SearchResults { total, total_exact: public.total_exact && internal.total_exact, hits, terms: public.terms, did_you_mean, verdict, question: public.question }
}

/// The tantivy index and lexicon in `dir` (a generation, or its public part).
fn open_index(dir: &Path, analyzer: &Analyzer) -> Result<SearchIndex> {
    let lexicon_path = dir.join(layout::LEXICON_FILE);
    let lexicon = match std::fs::read_to_string(&lexicon_path) {
        Ok(text) => {
            serde_json::from_str(&text).map_err(|e| Error::BadIndex { path: lexicon_path.clone(), message: e.to_string() })?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Lexicon::default(),
        Err(e) => return Err(Error::io(lexicon_path, e)),
    };
    let index = SearchIndex::open(&dir.join(layout::TANTIVY_DIR), analyzer)?.with_lexicon(lexicon);
    // Vectors, when the build had the model and this process has it too.
    let vectors_path = dir.join(layout::VECTORS_FILE);
    if !vectors_path.is_file() {
        return Ok(index);
    }
    let Some(meaning) = crate::meaning::Meaning::shared() else { return Ok(index) };
    let mut vectors = crate::meaning::DocVectors::read(&vectors_path)?;
    // The answers' leads, when the build embedded them (an index built before has none).
    let answers_path = dir.join(layout::ANSWERS_FILE);
    if answers_path.is_file() {
        vectors = vectors.with_answers(&crate::meaning::DocVectors::read(&answers_path)?);
    }
    Ok(index.with_meaning(meaning, vectors))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Audience;
    use crate::search::{Hit, Snippet};

    fn results(hits: &[(&str, f32)], total: usize) -> SearchResults {
        let hit = |(id, score): &(&str, f32)| Hit {
            id: id.to_string(),
            title: String::new(),
            category: None,
            score: *score,
            snippet: Snippet { text: String::new(), highlights: Vec::new() },
            section: None,
            heading: None,
            audience: if id.starts_with("manual/") { Audience::Internal } else { Audience::Public },
            updated: None,
            review_by: None,
            body: "".into(),
            explain: Vec::new(),
        };
        SearchResults { total, total_exact: true, hits: hits.iter().map(hit).collect(), terms: Vec::new(), did_you_mean: None, verdict: Default::default(), question: Default::default() }
    }

    #[test]
    fn the_console_merges_both_lists_by_score_and_pages_through_them() {
        let public = results(&[("a", 9.0), ("b", 5.0), ("c", 1.0)], 3);
        let internal = results(&[("manual/x", 7.0), ("manual/y", 5.0)], 2);
        let ids = |r: &SearchResults| r.hits.iter().map(|h| h.id.clone()).collect::<Vec<_>>();
        let all = merge(public.clone(), internal.clone(), 0, 10);
        assert_eq!(ids(&all), ["a", "manual/x", "b", "manual/y", "c"], "by score; the public hit first at equal scores");
        assert_eq!(all.total, 5);
        let page2 = merge(public, internal, 2, 2);
        assert_eq!(ids(&page2), ["b", "manual/y"]);
        assert_eq!(page2.total, 5, "the total counts both lists whatever the page");
    }
}
