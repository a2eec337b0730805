//! What does a hit show? The stored fields of the index documents that rank, decoded once and
//! kept: reading one from tantivy's store decompresses a block and decodes every field, and the
//! same pages answer most questions.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use lru::LruCache;
use tantivy::schema::{Field, Value};
use tantivy::{DocAddress, Searcher, TantivyDocument};

use super::results::Hit;
use super::snippet::{Marker, NormalizedOnce, SNIPPET_CHARS, Snippet};
use crate::content::Audience;
use crate::error::Result;
use crate::index::schema::Fields;

/// How many documents' stored fields are kept decoded.
pub const STORED_DOCS: usize = 4096;

/// The stored fields of an index document, decoded.
#[derive(Debug)]
pub struct StoredDoc {
    pub key: String,
    id: String,
    title: String,
    category: Option<String>,
    heading: Option<String>,
    section: Option<String>,
    audience: Audience,
    updated: Option<String>,
    review_by: Option<String>,
    body: Arc<str>,
    /// The aliases and tags, a line each.
    aliases_and_tags: String,
    /// The body, trimmed and normalized, for highlighting (`None`: normalizing leaves it as
    /// it is). Made the first time a snippet needs it, and kept with the document.
    normalized_body: NormalizedOnce,
}

/// The most recently used documents' stored fields, for one generation.
#[derive(Debug)]
pub struct StoredDocs {
    docs: Mutex<LruCache<DocAddress, Arc<StoredDoc>>>,
}

impl Default for StoredDocs {
    fn default() -> Self {
        StoredDocs { docs: Mutex::new(LruCache::new(NonZeroUsize::new(STORED_DOCS).unwrap_or(NonZeroUsize::MIN))) }
    }
}

impl StoredDocs {
    /// The stored fields of the document at `address`.
    pub fn get(&self, searcher: &Searcher, fields: &Fields, address: DocAddress) -> Result<Arc<StoredDoc>> {
        if let Some(doc) = self.docs.lock().ok().and_then(|mut m| m.get(&address).cloned()) {
            return Ok(doc);
        }
        let doc: TantivyDocument = searcher.doc(address)?;
        let f = fields;
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
            aliases_and_tags: [f.aliases, f.tags]
                .into_iter()
                .flat_map(|field| doc.get_all(field).filter_map(|v| v.as_str().map(str::to_string)).collect::<Vec<_>>())
                .collect::<Vec<_>>()
                .join("\n"),
            normalized_body: NormalizedOnce::new(),
        });
        if let Ok(mut m) = self.docs.lock() {
            m.put(address, stored.clone());
        }
        Ok(stored)
    }
}

impl StoredDoc {
    /// Everything a reader can find the page by: title, heading, aliases, tags and text.
    pub fn all_text(&self) -> String {
        format!("{}\n{}\n{}\n{}", self.title, self.heading.as_deref().unwrap_or(""), self.aliases_and_tags, self.body)
    }

    /// The document as a hit with `score`, and a snippet when a `marker` is given.
    pub fn category(&self) -> Option<&str> {
        self.category.as_deref()
    }

    pub fn hit(&self, score: f32, marker: Option<&Marker>) -> Hit {
        let doc = self;
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
