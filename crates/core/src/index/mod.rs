//! What is stored in the index and where is it on disk?

pub mod layout;
pub mod media;
pub mod schema;
pub mod stored;
pub mod verify;
pub mod words;

pub use layout::IndexRoot;
pub use schema::{Fields, document_count, documents, schema};
pub use stored::{PageInfo, StoredCorpus};
