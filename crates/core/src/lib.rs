//! Kotae's core: from Markdown FAQ files to ranked Japanese answers.
//!
//! Data flows one way:
//!
//! 1. [`content`]: read a content folder into pages, reporting problems as `path:line: message`.
//! 2. [`analysis`]: normalize Japanese text and split it into searchable words (lindera, IPADIC).
//! 3. [`index`]: the tantivy schema, how pages become index documents, and the on-disk layout
//!    of index generations.
//! 4. [`search`]: turn a question into a query and return ranked hits with snippets.
//!
//! ```no_run
//! use kotae_core::{Analyzer, IndexRoot, Snapshot, SearchRequest};
//! let analyzer = Analyzer::from_env()?;
//! let snapshot = Snapshot::open(&IndexRoot::new("index"), &analyzer)?;
//! let results = snapshot.search.search(&SearchRequest::new("へんぴんしたい"))?;
//! for hit in results.hits {
//!     println!("{} {}", hit.id, hit.title);
//! }
//! # Ok::<(), kotae_core::Error>(())
//! ```

pub mod analysis;
pub mod cache;
pub mod content;
pub mod error;
pub mod eval;
pub mod filter;
pub mod import;
pub mod index;
pub mod lexicon;
pub mod parallel;
pub mod scoring;
pub mod search;
pub mod thesaurus;
pub mod topk;

pub use analysis::Analyzer;
pub use content::{Audience, Corpus, Diagnostic, Page};
pub use error::{Error, Result};
pub use index::{IndexRoot, Snapshot};
pub use search::{AudienceFilter, Hit, SearchIndex, SearchRequest, SearchResults};
