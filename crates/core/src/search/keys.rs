//! Where is the document a key names? Each live document's address by its key, read once per
//! generation from the key field's terms, for the searches that find documents by meaning (the
//! vectors know documents by their keys; the index by their addresses).
//!
//! Reading a key's postings per document asked cost about 30 µs of a hybrid search on wiki-qa:
//! the fusion asks up to sixty keys, each a term dictionary lookup and a postings list opened.
//! The other way, the fusion needs the keys of the lexical list's first thirty documents, of
//! which a page shows ten: reading them from the stored fields decompressed a block of the
//! store for each document not read before.

use std::sync::{Arc, OnceLock};

use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocSet, Searcher, TERMINATED};

use crate::lexicon::FastMap;

/// The documents' addresses by key, for one searcher (whose segments never change: a
/// generation's reader is never reloaded).
#[derive(Debug, Default)]
pub struct KeyAddresses {
    by_key: FastMap<Arc<str>, DocAddress>,
    /// Per segment, each document's key (none for a deleted document, or one whose key an
    /// earlier document has).
    by_doc: Vec<Vec<Option<Arc<str>>>>,
}

impl KeyAddresses {
    /// Every key of `field` with the first live document that has it, in the searcher's
    /// segment order (a key names one document; should two have it, the first is taken, as a
    /// search of the key's postings would).
    pub fn read(searcher: &Searcher, field: Field) -> tantivy::Result<Self> {
        let mut by_key: FastMap<Arc<str>, DocAddress> = FastMap::default();
        let mut by_doc = Vec::with_capacity(searcher.segment_readers().len());
        for (ord, reader) in searcher.segment_readers().iter().enumerate() {
            let mut keys: Vec<Option<Arc<str>>> = vec![None; reader.max_doc() as usize];
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
                    let key: Arc<str> = key.into();
                    if let Some(slot) = keys.get_mut(doc as usize) {
                        *slot = Some(key.clone());
                    }
                    by_key.insert(key, DocAddress::new(ord as u32, doc));
                }
            }
            by_doc.push(keys);
        }
        Ok(KeyAddresses { by_key, by_doc })
    }

    /// The address of the live document `key`.
    pub fn get(&self, key: &str) -> Option<DocAddress> {
        self.by_key.get(key).copied()
    }

    /// The key of the live document at `address`, if that document is the one its key names.
    pub fn key_of(&self, address: DocAddress) -> Option<&str> {
        self.by_doc.get(address.segment_ord as usize)?.get(address.doc_id as usize)?.as_deref()
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
            assert_eq!(keys.key_of(address), Some(key), "and back from the address to the key");
        }
        // The deleted shipping page's address names no key.
        let deleted = searcher.segment_readers().iter().enumerate().find_map(|(ord, reader)| {
            (0..reader.max_doc()).find(|&doc| reader.is_deleted(doc)).map(|doc| DocAddress::new(ord as u32, doc))
        });
        let deleted = deleted.expect("the old shipping page is deleted");
        assert_eq!(keys.key_of(deleted), None);
        assert_eq!(keys.get("refunds"), None);
        Ok(())
    }
}
