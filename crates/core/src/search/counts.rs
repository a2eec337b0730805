//! How many hits of a question each category holds: the counts of a results page's category
//! filter, over the question's best [`COUNT_EXACTLY`] hits.
//!
//! A results page shows a few hits and the counts beside them. Both come from one ranking
//! ([`SearchIndex::search_counted`]): the hits are a slice of the best [`COUNT_EXACTLY`], and
//! a ranking is the same order however deep it goes (see [`crate::ranking::topk`]), so the
//! slice is the page a search for it alone lists. Ranking the question once for the page and
//! once more for the counts analyzed and walked it twice.

use std::sync::Arc;

use super::{MAX_LIMIT, MAX_OFFSET, Ranked, SearchIndex, SearchRequest, SearchResults};
use crate::error::Result;
use crate::index::schema::CATEGORY_FIELD;
use crate::ranking::COUNT_EXACTLY;

/// The category counts of a results page: (category, hits), `None` for pages without one, in
/// the order the categories first appear among the hits.
pub type CategoryCounts = Arc<Vec<(Option<String>, usize)>>;

impl SearchIndex {
    /// How many of the best [`COUNT_EXACTLY`] hits of `request` fall in each category (`None`:
    /// without one), in the order the categories first appear among them: the same hits
    /// [`SearchIndex::search_top`] would list, their categories read from the `category`
    /// column instead of their stored fields.
    pub(crate) fn category_counts(&self, request: &SearchRequest<'_>) -> Result<CategoryCounts> {
        let all = counted(request);
        let query_text = request.searched_text();
        if let Some(cached) = self.counts.get(&query_text, &all) {
            return Ok(cached);
        }
        let question = self.question(&query_text)?;
        let ranked = self.ranked(&question, &all, COUNT_EXACTLY)?;
        let counts = Arc::new(count(&ranked)?);
        self.counts.put(&query_text, &all, &counts);
        Ok(counts)
    }

    /// [`SearchIndex::search`] and [`SearchIndex::category_counts`] of `request`, from one
    /// analysis of the question and one ranking, [`COUNT_EXACTLY`] deep (or as deep as the
    /// page asked for, when that is deeper).
    pub(crate) fn search_counted(&self, request: &SearchRequest<'_>) -> Result<(SearchResults, CategoryCounts)> {
        let all = counted(request);
        let query_text = request.searched_text();
        let cached = (self.cache.get(&query_text, request), self.counts.get(&query_text, &all));
        if let (Some(results), Some(counts)) = cached {
            return Ok((results, counts));
        }
        let question = Arc::new(self.question(&query_text)?);
        let window = (request.offset.min(MAX_OFFSET), request.limit.clamp(1, MAX_LIMIT));
        let ranked = self.ranked(&question, request, (window.0 + window.1).max(COUNT_EXACTLY))?;
        let counts = Arc::new(count(&ranked)?);
        let results = self.present(question, request, window, ranked)?;
        self.cache.put(&query_text, request, &results);
        self.counts.put(&query_text, &all, &counts);
        Ok((results, counts))
    }
}

/// The request the counts of `request` are kept under: its question and filters, from the
/// first hit, without snippets.
fn counted<'a>(request: &SearchRequest<'a>) -> SearchRequest<'a> {
    SearchRequest { snippets: 0, offset: 0, limit: COUNT_EXACTLY, ..request.clone() }
}

/// The categories of the first [`COUNT_EXACTLY`] documents of `ranked`.
fn count(ranked: &Ranked<'_>) -> Result<Vec<(Option<String>, usize)>> {
    let searcher = &ranked.searcher;
    let mut columns: Vec<Option<Option<tantivy::columnar::StrColumn>>> = vec![None; searcher.segment_readers().len()];
    let mut counts: Vec<(Option<String>, usize)> = Vec::new();
    let mut name = String::new();
    for (_, address) in ranked.top.iter().take(COUNT_EXACTLY) {
        let Some(slot) = columns.get_mut(address.segment_ord as usize) else { continue };
        if slot.is_none() {
            *slot = Some(searcher.segment_reader(address.segment_ord).fast_fields().str(CATEGORY_FIELD)?);
        }
        let Some(column) = slot else { continue };
        name.clear();
        if let Some(column) = column.as_ref()
            && let Some(ord) = column.term_ords(address.doc_id).next()
        {
            column.ord_to_str(ord, &mut name).map_err(tantivy::TantivyError::from)?;
        }
        let category = (!name.is_empty()).then_some(name.as_str());
        match counts.iter_mut().find(|(c, _)| c.as_deref() == category) {
            Some((_, n)) => *n += 1,
            None => counts.push((category.map(str::to_string), 1)),
        }
    }
    Ok(counts)
}
