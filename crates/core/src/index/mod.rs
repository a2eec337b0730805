//! What is stored in the index and where is it on disk?

pub mod layout;
pub mod schema;

use std::path::PathBuf;

use crate::analysis::Analyzer;
use crate::content::{Category, Corpus, Page, Site};
use crate::error::{Error, Result};
use crate::lexicon::Lexicon;
use crate::search::SearchIndex;

pub use layout::IndexRoot;
pub use schema::{Fields, documents, schema};

/// What a generation's `corpus.json` holds: the pages and categories it was built from.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct StoredCorpus {
    pub categories: Vec<Category>,
    pub pages: Vec<Page>,
    #[serde(default)]
    pub site: Site,
    #[serde(default)]
    pub synonyms: Vec<Vec<String>>,
}

/// One generation opened for reading: its search index and its pages, consistent together.
pub struct Snapshot {
    pub generation: PathBuf,
    pub search: SearchIndex,
    pub corpus: Corpus,
}

impl Snapshot {
    /// Open the generation `root` currently serves.
    pub fn open(root: &IndexRoot, analyzer: &Analyzer) -> Result<Self> {
        let generation = root.current()?;
        Self::open_generation(generation, analyzer)
    }

    /// Open a given generation folder.
    pub fn open_generation(generation: PathBuf, analyzer: &Analyzer) -> Result<Self> {
        let lexicon_path = generation.join(layout::LEXICON_FILE);
        let lexicon = match std::fs::read_to_string(&lexicon_path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| Error::BadIndex { path: lexicon_path.clone(), message: e.to_string() })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Lexicon::default(),
            Err(e) => return Err(Error::io(lexicon_path, e)),
        };
        let search = SearchIndex::open(&generation.join(layout::TANTIVY_DIR), analyzer)?.with_lexicon(lexicon);
        let corpus_path = generation.join(layout::CORPUS_FILE);
        let text = std::fs::read_to_string(&corpus_path).map_err(|e| Error::io(&corpus_path, e))?;
        let stored: StoredCorpus = serde_json::from_str(&text)
            .map_err(|e| Error::BadIndex { path: corpus_path.clone(), message: e.to_string() })?;
        let corpus = Corpus::new(PathBuf::new(), stored.categories, stored.pages, stored.site, stored.synonyms);
        Ok(Self { generation, search, corpus })
    }
}
