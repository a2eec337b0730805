//! What a search answers: ranked hits, each with a snippet, and how many matched.

use std::sync::Arc;

use serde::Serialize;

use super::question::Question;
use super::snippet::Snippet;
use super::verdict::Verdict;
use crate::content::Audience;

/// Why a hit matched: one line per matching evidence and field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explained {
    pub kind: String,
    pub text: String,
    pub from: Option<String>,
    pub field: String,
    pub score: f32,
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
    /// How many documents matched in all: exact up to [`COUNT_EXACTLY`](crate::ranking::COUNT_EXACTLY), a lower bound beyond
    /// (see `total_exact`).
    pub total: usize,
    /// False when counting stopped at [`COUNT_EXACTLY`](crate::ranking::COUNT_EXACTLY) and more documents may match.
    pub total_exact: bool,
    pub hits: Vec<Hit>,
    /// The content words the query was analyzed into.
    pub terms: Vec<String>,
    /// A corrected query, when this one found little and a correction is likely.
    pub did_you_mean: Option<String>,
    /// Whether the hits answer the question, and what is closest in meaning when they do not.
    pub verdict: Verdict,
    /// The question as it was analyzed, for what is asked of the results next (confidence).
    #[serde(skip)]
    pub question: Arc<Question>,
}
