//! One index generation opened for reading: its search index, lexicon and pages, consistent
//! together.

use std::path::PathBuf;

use super::SearchIndex;
use crate::analysis::Analyzer;
use crate::error::{Error, Result};
use crate::index::layout::{self, IndexRoot};
use crate::index::stored::StoredCorpus;
use crate::lexicon::Lexicon;

/// One generation opened for reading: its search index and its pages, consistent together.
pub struct Snapshot {
    pub generation: PathBuf,
    pub search: SearchIndex,
    /// The pages and categories the index was built from.
    pub corpus: StoredCorpus,
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
        let corpus = StoredCorpus::open(&generation)?;
        Ok(Self { generation, search, corpus })
    }
}
