//! Kotae's core: from Markdown FAQ files to ranked Japanese answers.
//!
//! Data flows one way:
//!
//! 1. [`content`]: read a content folder into pages, reporting problems as `path:line: message`.
//! 2. [`analysis`]: normalize Japanese text and split it into searchable words (lindera, IPADIC).
//! 3. [`index`]: the tantivy schema, how pages become index documents, and the on-disk layout
//!    of index generations.
//! 4. [`search`]: analyze a question once, turn it into evidence, and return ranked hits with
//!    snippets; [`ranking`] below it weighs the evidence (BM25, dis-max) and finds the best
//!    documents without scoring all of them (top-k pruning, filters).
//!
//! [`lexicon`] (readings and synonyms of a generation) is built at index time and read by search;
//! [`eval`] measures ranking quality on judged queries.
//!
//! ```no_run
//! use kotae_core::{Analyzer, IndexRoot, Snapshot, SearchRequest};
//! let analyzer = Analyzer::from_env()?;
//! let snapshot = Snapshot::open(&IndexRoot::new("index"), &analyzer)?;
//! let results = snapshot.search(&SearchRequest::new("へんぴんしたい"))?;
//! for hit in results.hits {
//!     println!("{} {}", hit.id, hit.title);
//! }
//! # Ok::<(), kotae_core::Error>(())
//! ```

pub mod analysis;
pub mod content;
pub mod error;
pub mod eval;
pub mod index;
pub mod lexicon;
pub mod meaning;
pub mod ranking;
pub mod search;
pub mod thesaurus;

pub use analysis::Analyzer;
pub use content::{Audience, Corpus, Diagnostic, Page};
pub use error::{Error, Result};
pub use index::IndexRoot;
pub use search::{AudienceFilter, Hit, Question, SearchIndex, SearchRequest, SearchResults, Snapshot, Verdict};
