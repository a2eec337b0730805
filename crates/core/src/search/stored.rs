//! What does a hit show? The stored fields of the index documents that rank, decoded once and
//! kept: reading one from tantivy's store decompresses a block and decodes every field, and the
//! same pages answer most questions.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use lru::LruCache;
use tantivy::schema::Field;
use tantivy::schema::document::{
    DeserializeError, DocumentDeserialize, DocumentDeserializer, ValueDeserialize, ValueDeserializer, ValueVisitor,
};
use tantivy::{DocAddress, Searcher};

use super::results::Hit;
use super::snippet::{Marker, NormalizedOnce, SNIPPET_CHARS, Snippet};
use crate::content::Audience;
use crate::error::Result;
use crate::index::schema::Fields;

/// How many documents' stored fields are kept decoded. The 1,000 wiki-qa questions' first ten
/// hits are 6,436 distinct pages: with 4,096 kept, most hits were read from the store and their
/// body normalized again (2.47M → 2.14M instructions per search at 8,192).
pub const STORED_DOCS: usize = 8192;

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
        let StoredFields(mut doc) = searcher.doc(address)?;
        let f = fields;
        // The first text of `field`, taken out of the document.
        let mut text = |field: Field| doc.iter_mut().find(|(f, _)| *f == field).map(|(_, t)| std::mem::take(t));
        let key = text(f.key).unwrap_or_default();
        let id = text(f.id).unwrap_or_default();
        let title = text(f.title).unwrap_or_default();
        let category = text(f.category).filter(|s| !s.is_empty());
        let heading = text(f.heading).filter(|s| !s.is_empty());
        let section = text(f.section).filter(|s| !s.is_empty());
        let audience = text(f.audience).as_deref().and_then(Audience::parse).unwrap_or(Audience::Internal);
        let updated = text(f.updated);
        let review_by = text(f.review_by);
        let body = Arc::from(text(f.body).unwrap_or_default());
        let stored = Arc::new(StoredDoc {
            key,
            id,
            title,
            category,
            heading,
            section,
            audience,
            updated,
            review_by,
            body,
            normalized_body: NormalizedOnce::new(),
        });
        if let Ok(mut m) = self.docs.lock() {
            m.put(address, stored.clone());
        }
        Ok(stored)
    }
}

/// A document's stored texts as read from the store, in their order: decoded straight into
/// strings, not through a [`tantivy::TantivyDocument`] first (every stored field is text).
struct StoredFields(Vec<(Field, String)>);

impl DocumentDeserialize for StoredFields {
    fn deserialize<'de, D: DocumentDeserializer<'de>>(mut doc: D) -> Result<Self, DeserializeError> {
        let mut fields = Vec::with_capacity(doc.size_hint());
        while let Some((field, Text(text))) = doc.next_field::<Text>()? {
            fields.extend(text.map(|t| (field, t)));
        }
        Ok(StoredFields(fields))
    }
}

/// A stored value: its text, none for a value of another kind.
struct Text(Option<String>);

impl ValueDeserialize for Text {
    fn deserialize<'de, D: ValueDeserializer<'de>>(value: D) -> Result<Self, DeserializeError> {
        value.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl ValueVisitor for TextVisitor {
    type Value = Text;
    fn visit_string(&self, text: String) -> Result<Text, DeserializeError> {
        Ok(Text(Some(text)))
    }
    fn visit_null(&self) -> Result<Text, DeserializeError> {
        Ok(Text(None))
    }
    fn visit_u64(&self, _: u64) -> Result<Text, DeserializeError> {
        Ok(Text(None))
    }
    fn visit_i64(&self, _: i64) -> Result<Text, DeserializeError> {
        Ok(Text(None))
    }
    fn visit_f64(&self, _: f64) -> Result<Text, DeserializeError> {
        Ok(Text(None))
    }
    fn visit_bool(&self, _: bool) -> Result<Text, DeserializeError> {
        Ok(Text(None))
    }
}

impl StoredDoc {
    pub fn category(&self) -> Option<&str> {
        self.category.as_deref()
    }

    /// The document as a hit with `score`, and a snippet when a `marker` is given.
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
