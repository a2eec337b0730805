//! Where is the document a key names? Each live document's address by its key, read once per
//! generation from the key field's terms, for the searches that find documents by meaning (the
//! vectors know documents by their keys; the index by their addresses).
//!
//! Reading a key's postings per document asked cost about 30 µs of a hybrid search on wiki-qa:
//! the fusion asks up to sixty keys, each a term dictionary lookup and a postings list opened.

use std::sync::OnceLock;

use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocSet, Searcher, TERMINATED};

use crate::lexicon::FastMap;

/// The documents' addresses by key, for one searcher (whose segments never change: a
/// generation's reader is never reloaded).
#[derive(Debug, Default)]
pub struct KeyAddresses {
    by_key: FastMap<Box<str>, DocAddress>,
}

impl KeyAddresses {
    /// Every key of `field` with the first live document that has it, in the searcher's
    /// segment order (a key names one document; should two have it, the first is taken, as a
    /// search of the key's postings would).
    pub fn read(searcher: &Searcher, field: Field) -> tantivy::Result<Self> {
        let mut by_key: FastMap<Box<str>, DocAddress> = FastMap::default();
        for (ord, reader) in searcher.segment_readers().iter().enumerate() {
            let inverted = reader.inverted_index(field)?;
            let mut terms = inverted.terms().stream()?;
            while terms.advance() {
                let Ok(key) = std::str::from_utf8(terms.key()) else { continue };
                if by_key.contains_key(key) {
                    continue;
                }
                let mut postings = inverted.read_postings_from_terminfo(terms.value(), IndexRecordOption::Basic)?;
                let mut doc = postings.doc();
                while doc != TERMINATED && reader.is_deleted(doc) {
                    doc = postings.advance();
                }
                if doc != TERMINATED {
                    by_key.insert(key.into(), DocAddress::new(ord as u32, doc));
                }
            }
        }
        Ok(KeyAddresses { by_key })
    }

    /// The address of the live document `key`.
    pub fn get(&self, key: &str) -> Option<DocAddress> {
        self.by_key.get(key).copied()
    }

    /// How many keys name a live document.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.by_key.len()
    }
}

/// [`KeyAddresses`] read the first time a search asks (only searches by meaning do), and kept.
#[derive(Debug, Default)]
pub struct KeysOnce(OnceLock<Result<KeyAddresses, String>>);

impl KeysOnce {
    /// The addresses, read from `searcher`'s `field` unless read before.
    pub fn get(&self, searcher: &Searcher, field: Field) -> tantivy::Result<&KeyAddresses> {
        self.0
            .get_or_init(|| KeyAddresses::read(searcher, field).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| tantivy::TantivyError::InternalError(format!("reading the documents' keys: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use tantivy::schema::Value;
    use tantivy::{TantivyDocument, Term};

    use super::*;

    #[test]
    fn each_key_names_its_live_document_across_segments() -> tantivy::Result<()> {
        let (schema, fields) = crate::index::schema();
        let index = tantivy::Index::create_in_ram(schema);
        crate::analysis::tokenizer::register(&index, crate::analysis::tests::analyzer());
        let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(1, 15_000_000)?;
        let page = |key: &str, title: &str| {
            let mut doc = TantivyDocument::new();
            doc.add_text(fields.key, key);
            doc.add_text(fields.title, title);
            doc
        };
        writer.add_document(page("returns", "返品"))?;
        writer.add_document(page("shipping", "送料（旧）"))?;
        writer.commit()?;
        // The shipping page rewritten: its old document is deleted, the new one in another
        // segment.
        writer.delete_term(Term::from_field_text(fields.key, "shipping"));
        writer.add_document(page("shipping", "送料"))?;
        writer.add_document(page("cancel", "解約"))?;
        writer.commit()?;
        let searcher = index.reader()?.searcher();
        assert_eq!(searcher.segment_readers().len(), 2);
        let keys = KeyAddresses::read(&searcher, fields.key)?;
        assert_eq!(keys.len(), 3);
        for (key, title) in [("returns", "返品"), ("shipping", "送料"), ("cancel", "解約")] {
            let address = keys.get(key).unwrap_or_else(|| panic!("{key} has no address"));
            let doc: TantivyDocument = searcher.doc(address)?;
            let text = |field| doc.get_first(field).and_then(|v| v.as_str()).map(str::to_string);
            assert_eq!(text(fields.key).as_deref(), Some(key));
            assert_eq!(text(fields.title).as_deref(), Some(title), "the live document, not the deleted one");
            assert!(!searcher.segment_reader(address.segment_ord).is_deleted(address.doc_id));
        }
        assert_eq!(keys.get("refunds"), None);
        Ok(())
    }
}
