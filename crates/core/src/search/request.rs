//! What a caller asks for: the question, who is asking (the audience), a category, and a page.

use serde::Serialize;

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
    /// Attach to each hit which evidence matched it, in which field (see [`Hit::explain`](super::Hit::explain)).
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

    /// The question as it is searched (and cached): its first [`MAX_QUERY_CHARS`] characters.
    pub fn searched_text(&self) -> String {
        self.query.chars().take(MAX_QUERY_CHARS).collect()
    }
}
