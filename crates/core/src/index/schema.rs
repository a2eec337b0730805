//! What does the index store, and how is a page turned into index documents?
//!
//! A public page is one document. An internal (manual) page is one document per section, so an
//! agent lands on the matching heading; each section document carries the page's title too.

use tantivy::{IndexSettings, IndexSortByField, Order, TantivyDocument};
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use crate::analysis::Analyzer;
use crate::analysis::tokenizer::names;
use crate::content::{Audience, Page};

/// The index's fields, resolved once.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// Unique per document: the page id, plus `#anchor` for a section document.
    pub key: Field,
    /// The page id.
    pub id: Field,
    /// The section's anchor, or empty for a whole page or the text before the first heading.
    pub section: Field,
    pub heading: Field,
    pub title: Field,
    pub aliases: Field,
    pub tags: Field,
    pub body: Field,
    pub category: Field,
    pub audience: Field,
    /// Reading bigrams of title, aliases, heading and tags. Bodies have none: there, the words and
    /// character trigrams already find a page, and the sounds of a long body match nearly any
    /// query's (ヘン in both 変更 and 返品). Matching them was a third of a search's CPU on
    /// 100,000 articles, and dropping them did not lower MRR on the tuning queries (README,
    /// "Analysis and query latency").
    pub title_reading: Field,
    /// Character trigrams of title, aliases, heading and tags (a tag is the writer's own
    /// keyword for the page: 破損 tagged counts like 破損 in a title).
    pub title_ngram: Field,
    pub body_ngram: Field,
    pub updated: Field,
    pub review_by: Field,
    /// The document's words and the readings of its content words ([`super::words`]), a
    /// bytes fast field: read for the few best hits only, without touching the stored fields.
    pub words: Field,
    /// The document's place in the corpus (pages by path, a manual page's sections in order):
    /// the index is sorted by it ([`settings`]), so a build is deterministic and equal scores
    /// rank in the same order on every build and every replica.
    pub ord: Field,
}

/// A field of words: positions are kept, for phrases (multi-word synonyms).
fn text(tokenizer: &str, stored: bool) -> TextOptions {
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(tokenizer)
        .set_index_option(IndexRecordOption::WithFreqsAndPositions);
    let options = TextOptions::default().set_indexing_options(indexing);
    if stored { options.set_stored() } else { options }
}

/// A field of sounds or characters, only ever looked up one token at a time: no positions.
fn grams(tokenizer: &str) -> TextOptions {
    let indexing = TextFieldIndexing::default().set_tokenizer(tokenizer).set_index_option(IndexRecordOption::WithFreqs);
    TextOptions::default().set_indexing_options(indexing)
}

/// Build the schema. The same function describes every index Kotae writes.
pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        key: b.add_text_field("key", STRING | STORED),
        id: b.add_text_field("id", STRING | STORED),
        section: b.add_text_field("section", STRING | STORED),
        heading: b.add_text_field("heading", text(names::TERMS, true)),
        title: b.add_text_field("title", text(names::TERMS, true)),
        aliases: b.add_text_field("aliases", text(names::TERMS, false)),
        tags: b.add_text_field("tags", text(names::TERMS, false)),
        body: b.add_text_field("body", text(names::TERMS, true)),
        category: b.add_text_field(CATEGORY_FIELD, STRING | STORED | FAST),
        audience: b.add_text_field("audience", STRING | STORED | FAST),
        title_reading: b.add_text_field("title_reading", grams(names::READINGS)),
        title_ngram: b.add_text_field("title_ngram", grams(names::NGRAMS)),
        body_ngram: b.add_text_field("body_ngram", grams(names::NGRAMS)),
        updated: b.add_text_field("updated", STORED),
        review_by: b.add_text_field("review_by", STORED),
        words: b.add_bytes_field(WORDS_FIELD, FAST),
        ord: b.add_u64_field(ORD_FIELD, FAST),
    };
    (b.build(), fields)
}

/// The name of [`Fields::ord`].
const ORD_FIELD: &str = "ord";
/// The name of [`Fields::category`].
pub const CATEGORY_FIELD: &str = "category";
/// The name of [`Fields::words`].
pub const WORDS_FIELD: &str = "words";

/// The settings of every index Kotae writes: documents sorted by [`Fields::ord`], whatever the
/// number of indexing threads and the order their segments are merged in.
pub fn settings() -> IndexSettings {
    IndexSettings {
        sort_by_field: Some(IndexSortByField { field: ORD_FIELD.to_string(), order: Order::Asc }),
        docstore_blocksize: 4096,
        ..IndexSettings::default()
    }
}

impl Fields {
    /// The fields a question's words are looked for in: title, aliases, heading, tags, body.
    pub fn word_fields(&self) -> [Field; 5] {
        [self.title, self.aliases, self.heading, self.tags, self.body]
    }

    /// Resolve the fields of an existing index's schema.
    pub fn from_schema(schema: &Schema) -> tantivy::Result<Self> {
        let f = |name: &str| schema.get_field(name);
        Ok(Fields {
            key: f("key")?,
            id: f("id")?,
            section: f("section")?,
            heading: f("heading")?,
            title: f("title")?,
            aliases: f("aliases")?,
            tags: f("tags")?,
            body: f("body")?,
            category: f(CATEGORY_FIELD)?,
            audience: f("audience")?,
            title_reading: f("title_reading")?,
            title_ngram: f("title_ngram")?,
            body_ngram: f("body_ngram")?,
            updated: f("updated")?,
            review_by: f("review_by")?,
            words: f(WORDS_FIELD)?,
            ord: f(ORD_FIELD)?,
        })
    }
}

/// How many index documents `page` makes: one, or one per section of a manual page.
pub fn document_count(page: &Page) -> usize {
    if per_section(page) { page.sections.len() } else { 1 }
}

fn per_section(page: &Page) -> bool {
    page.audience == Audience::Internal && page.sections.len() > 1
}

/// The index documents of one page (see the module documentation), numbered from `first` in
/// [`Fields::ord`], with their words as `analyzer` reads them ([`super::words`]).
pub fn documents(page: &Page, fields: &Fields, analyzer: &Analyzer, first: u64) -> Vec<TantivyDocument> {
    let mut docs = if !per_section(page) {
        vec![document(page, fields, analyzer, None, None, &page.plain_text())]
    } else {
        page.sections
            .iter()
            .map(|s| document(page, fields, analyzer, s.anchor.as_deref(), s.heading.as_deref(), &s.text))
            .collect()
    };
    for (n, doc) in (first..).zip(docs.iter_mut()) {
        doc.add_u64(fields.ord, n);
    }
    docs
}

/// The key of the index document of `page` for the section at `anchor` (with `heading`), or of
/// the whole page: the page id, `id#anchor` for a manual section, `id#` for the untitled text
/// before a manual page's first heading.
pub fn document_key(page: &Page, anchor: Option<&str>, heading: Option<&str>) -> String {
    match anchor {
        Some(a) => format!("{}#{a}", page.id),
        None if heading.is_none() && per_section(page) => {
            format!("{}#", page.id)
        }
        None => page.id.clone(),
    }
}

fn document(
    page: &Page,
    f: &Fields,
    analyzer: &Analyzer,
    anchor: Option<&str>,
    heading: Option<&str>,
    body: &str,
) -> TantivyDocument {
    let mut doc = TantivyDocument::new();
    doc.add_text(f.key, document_key(page, anchor, heading));
    doc.add_text(f.id, &page.id);
    doc.add_text(f.section, anchor.unwrap_or(""));
    doc.add_text(f.title, &page.title);
    doc.add_text(f.title_reading, &page.title);
    doc.add_text(f.title_ngram, &page.title);
    if let Some(h) = heading {
        doc.add_text(f.heading, h);
        doc.add_text(f.title_reading, h);
        doc.add_text(f.title_ngram, h);
    }
    for alias in &page.aliases {
        doc.add_text(f.aliases, alias);
        doc.add_text(f.title_reading, alias);
        doc.add_text(f.title_ngram, alias);
    }
    for tag in &page.tags {
        doc.add_text(f.tags, tag);
        doc.add_text(f.title_reading, tag);
        doc.add_text(f.title_ngram, tag);
    }
    doc.add_text(f.body, body);
    doc.add_text(f.body_ngram, body);
    doc.add_text(f.category, page.category.as_deref().unwrap_or(""));
    doc.add_text(f.audience, page.audience.as_str());
    if let Some(d) = page.updated {
        doc.add_text(f.updated, d.to_string());
    }
    if let Some(d) = page.review_by {
        doc.add_text(f.review_by, d.to_string());
    }
    let aliases_and_tags = page.aliases.iter().chain(&page.tags).map(String::as_str);
    let words = super::words::of_text(&super::words::searchable_text(&page.title, heading, aliases_and_tags, body), analyzer);
    doc.add_bytes(f.words, &words.to_frame());
    doc
}
