//! What every search result promises its caller, whatever the query: shared by the property
//! test (`query_shapes`) and the `search_query` fuzz target (`crates/core/fuzz`), so it uses
//! nothing but `kotae_core`.

use kotae_core::content::Audience;
use kotae_core::search::{AudienceFilter, MAX_LIMIT, MAX_OFFSET, SearchRequest, SearchResults};

/// The first promise `results` breaks for `request`, if any: the audience and category filters
/// hold, the page has the size the total says, scores are positive and never go up, no hit is
/// listed twice, and snippet highlights are sorted, disjoint and on character boundaries.
pub fn broken_promise(request: &SearchRequest<'_>, results: &SearchResults) -> Option<String> {
    let limit = request.limit.clamp(1, MAX_LIMIT);
    let offset = request.offset.min(MAX_OFFSET);
    let page = results.hits.len();
    if page > limit {
        return Some(format!("{page} hits for limit {limit}"));
    }
    if results.total_exact {
        // The page holds everything the total leaves after the offset, up to the limit.
        let expected = limit.min(results.total.saturating_sub(offset));
        if page != expected {
            return Some(format!("{page} hits, expected {expected} (total {}, offset {offset})", results.total));
        }
    } else if page != limit || results.total < page {
        return Some(format!("a lower-bound total ({}) with a page of {page}, not {limit}", results.total));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, hit) in results.hits.iter().enumerate() {
        let audience_ok = match request.audience {
            AudienceFilter::Public => hit.audience == Audience::Public,
            AudienceFilter::Internal => hit.audience == Audience::Internal,
            AudienceFilter::All => true,
        };
        if !audience_ok {
            return Some(format!("{} ({:?}) reached a {:?} search", hit.id, hit.audience, request.audience));
        }
        if let Some(c) = request.category.filter(|c| !c.is_empty())
            && hit.category.as_deref() != Some(c)
        {
            return Some(format!("{} ({:?}) is not in the category asked for, {c:?}", hit.id, hit.category));
        }
        if !(hit.score.is_finite() && hit.score > 0.0) {
            return Some(format!("{}: score {}", hit.id, hit.score));
        }
        if i > 0 && results.hits[i - 1].score < hit.score {
            return Some(format!("scores go up at rank {}", i + 1));
        }
        if !seen.insert((hit.id.as_str(), hit.section.as_deref())) {
            return Some(format!("{} {:?} listed twice", hit.id, hit.section));
        }
        let text = &hit.snippet.text;
        let mut end = 0;
        for h in &hit.snippet.highlights {
            let valid = end <= h.start && h.start < h.end && h.end <= text.len() && text.is_char_boundary(h.start) && text.is_char_boundary(h.end);
            if !valid {
                return Some(format!("{}: highlight {h:?} in {text:?}", hit.id));
            }
            end = h.end;
        }
    }
    None
}
