//! Unanswered searches grouped by meaning, for `/ops/insights` and `kotae report`: the report's
//! [`Report::unanswered`] queries (the most searched [`UNANSWERED_QUERIES`]) are embedded and
//! grouped by `kotae_core::meaning::groups`, and each group of two or more queries is shown
//! with the public page closest to it in meaning: 「この 37 件の検索は同じことを聞いています」.
//! A writer then sees what to write next, or which page needs the customers' words as aliases.
//!
//! The page vectors are read from the generation's `public/vectors.bin`; without the model, or
//! an index built without it, there are no groups (or no nearest page), and nothing fails.

use std::path::Path;

use kotae_core::index::{StoredCorpus, layout};
use kotae_core::meaning::{DocVectors, Meaning, groups};
use kotae_events::report::{MEANING_EXAMPLES, MeaningGroupRow, NearestFaq, Report, UNANSWERED_QUERIES};

/// Whether unanswered searches can be grouped: the model is there.
pub fn available() -> bool {
    Meaning::shared().is_some()
}

/// Fill [`Report::meaning_groups`]: at most `limit` groups of two or more distinct queries,
/// largest first, each with its nearest public page of `index` (a generation folder and its
/// pages), when given. Returns `false`, leaving the report as it was, without the model (the
/// model is not loaded when there is nothing to group).
pub fn fill(report: &mut Report, index: Option<(&Path, &StoredCorpus)>, limit: usize) -> bool {
    if report.unanswered.len() < 2 {
        return true;
    }
    let Some(meaning) = Meaning::shared() else { return false };
    let vectors = index.and_then(|(generation, _)| DocVectors::read(&generation.join(layout::PUBLIC_DIR).join(layout::VECTORS_FILE)).ok());
    let queries: Vec<(&str, u64)> =
        report.unanswered.iter().take(UNANSWERED_QUERIES).map(|u| (u.query.as_str(), u.searches)).collect();
    let found = groups::group_queries(&meaning, &queries, vectors.as_ref().filter(|v| v.dim() == meaning.dim()));
    report.meaning_groups = found
        .into_iter()
        .filter(|g| g.members.len() > 1)
        .take(limit)
        .map(|g| MeaningGroupRow {
            searches: g.searches,
            queries: g.members.len() as u64,
            examples: g.members.iter().take(MEANING_EXAMPLES).map(|&i| queries[i].0.to_string()).collect(),
            nearest: g.nearest.and_then(|(id, similarity)| {
                let title = index?.1.info(&id)?.title.clone();
                Some(NearestFaq { id, title, similarity })
            }),
        })
        .collect();
    true
}
