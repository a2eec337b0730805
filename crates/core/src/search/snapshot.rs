//! One index generation opened for reading: its search index, lexicon and pages, consistent
//! together.

use std::path::{Path, PathBuf};

use super::{AudienceFilter, SearchIndex, SearchRequest, SearchResults};
use crate::analysis::Analyzer;
use crate::error::{Error, Result};
use crate::index::layout::{self, IndexRoot};
use crate::index::stored::StoredCorpus;
use crate::lexicon::Lexicon;

/// One generation opened for reading: its two search indexes and its pages, consistent
/// together.
///
/// **The audience rule starts here.** Customers search `public`, an index of the public pages
/// only, with its own statistics and lexicon: nothing about the internal manual (its words,
/// their frequencies, their readings, corrections towards them) can change what a public
/// search returns or suggests. Agents search `all`, every page.
pub struct Snapshot {
    pub generation: PathBuf,
    /// Every page, public and internal: the console's index.
    pub all: SearchIndex,
    /// The public pages only: the customers' index.
    pub public: SearchIndex,
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
        let all = open_index(&generation, analyzer)?;
        let public_dir = generation.join(layout::PUBLIC_DIR);
        if !public_dir.is_dir() {
            // Written before public indexes existed: rebuild it.
            return Err(Error::OtherFormat(public_dir));
        }
        let public = open_index(&public_dir, analyzer)?;
        let corpus = StoredCorpus::open(&generation)?;
        Ok(Self { generation, all, public, corpus })
    }

    /// The index a search for `audience` reads: the public one for customers.
    pub fn for_audience(&self, audience: AudienceFilter) -> &SearchIndex {
        match audience {
            AudienceFilter::Public => &self.public,
            AudienceFilter::Internal | AudienceFilter::All => &self.all,
        }
    }

    /// Run a search in the index of its audience.
    pub fn search(&self, request: &SearchRequest<'_>) -> Result<SearchResults> {
        self.for_audience(request.audience).search(request)
    }

    /// Both indexes with a result cache of `capacity` requests (0: off).
    pub fn with_cache_capacity(self, capacity: usize) -> Self {
        Snapshot { all: self.all.with_cache_capacity(capacity), public: self.public.with_cache_capacity(capacity), ..self }
    }
}

/// The tantivy index and lexicon in `dir` (a generation, or its public part).
fn open_index(dir: &Path, analyzer: &Analyzer) -> Result<SearchIndex> {
    let lexicon_path = dir.join(layout::LEXICON_FILE);
    let lexicon = match std::fs::read_to_string(&lexicon_path) {
        Ok(text) => {
            serde_json::from_str(&text).map_err(|e| Error::BadIndex { path: lexicon_path.clone(), message: e.to_string() })?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Lexicon::default(),
        Err(e) => return Err(Error::io(lexicon_path, e)),
    };
    Ok(SearchIndex::open(&dir.join(layout::TANTIVY_DIR), analyzer)?.with_lexicon(lexicon))
}
