//! Kotae's indexer: check a content folder, then build a new index generation and publish it
//! atomically.
//!
//! [`build`] never touches the generation being served: it loads and validates the content
//! (any error stops it before anything is written), writes a new generation beside the old
//! one, reopens it to verify it, and only then switches `CURRENT` to it. A failed, interrupted
//! or killed build leaves the previous index serving; its leftovers are removed by the next
//! build.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use kotae_core::content::{self, Audience, Diagnostic, Loaded, Page};
use kotae_core::Snapshot;
use kotae_core::index::{self, IndexRoot, layout};
use kotae_core::{Analyzer, analysis::tokenizer};

pub mod same;
pub mod source;
mod vectors;

/// Why a build did not publish a new index.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The content has errors; they are listed, one `path:line: message` each.
    #[error("the content has {} error(s); the index was not changed", .0.iter().filter(|d| d.is_error()).count())]
    Invalid(Vec<Diagnostic>),
    #[error(transparent)]
    Core(#[from] kotae_core::Error),
    /// The I/O error is part of the message, not a `source`, so it is printed once.
    #[error("{}: {error}", path.display())]
    Io { path: PathBuf, error: std::io::Error },
    #[error("index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("the new index failed verification: {0}")]
    Verify(String),
}

/// What to build, from where, to where.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub content: PathBuf,
    pub index: PathBuf,
    /// The date review deadlines are compared with.
    pub today: NaiveDate,
    /// Show a progress bar on standard error (only drawn on a terminal).
    pub progress: bool,
}

/// What a successful build did.
#[derive(Debug, Clone)]
pub struct BuildReport {
    pub generation: PathBuf,
    pub pages: usize,
    pub documents: usize,
    pub elapsed: Duration,
    /// The source hash: the same content gives the same hash (see [`source`]).
    pub source_hash: String,
    /// Warnings found in the content (errors stop the build).
    pub warnings: Vec<Diagnostic>,
}

/// Load and validate a content folder.
pub fn check(content: &Path, today: NaiveDate) -> Loaded {
    content::load(content, today)
}

/// Build and publish a new index generation from `options.content`.
pub fn build(options: &BuildOptions, analyzer: &Analyzer) -> Result<BuildReport, BuildError> {
    let started = Instant::now();
    let loaded = check(&options.content, options.today);
    Phase(started).done("load");
    if loaded.has_errors() {
        return Err(BuildError::Invalid(loaded.diagnostics));
    }
    // General synonyms, when KOTAE_SYNONYM_DICT names Sudachi's dictionary.
    let thesaurus = kotae_core::thesaurus::Thesaurus::from_env()?;
    let root = IndexRoot::new(&options.index);
    let _lock = root.lock()?;
    // Leftovers of builds that were killed before they published.
    let _ = root.collect_garbage(1);

    let environment = source::Environment::current(kotae_core::meaning::Meaning::shared().is_some());
    let source_hash = source::hash(&options.content, &environment).map_err(|e| io(&options.content, e))?;
    let generation = root.new_generation()?;
    let result = source::write(&generation, &source_hash)
        .map_err(|e| io(&generation, e))
        .and_then(|()| write_generation(&generation, &loaded, analyzer, thesaurus.as_ref(), options.progress));
    let documents = match result {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&generation);
            return Err(e);
        }
    };
    root.publish(&generation)?;
    let _ = root.collect_garbage(1);
    Ok(BuildReport {
        generation,
        pages: loaded.corpus.pages.len(),
        documents,
        elapsed: started.elapsed(),
        source_hash,
        warnings: loaded.diagnostics,
    })
}

/// Write the two indexes and `corpus.json` of a generation, then reopen it to verify it.
///
/// `public/` holds the public pages, `internal/` the manual's, each with its own statistics
/// and lexicon (see [`Snapshot`]).
fn write_generation(
    generation: &Path,
    loaded: &Loaded,
    analyzer: &Analyzer,
    thesaurus: Option<&kotae_core::thesaurus::Thesaurus>,
    progress: bool,
) -> Result<usize, BuildError> {
    let corpus = &loaded.corpus;
    let (public, internal): (Vec<Page>, Vec<Page>) = corpus.pages.iter().cloned().partition(|p| p.audience == Audience::Public);
    let bar = progress_bar(corpus.pages.len() as u64, progress);
    let mut phase = Phase::start();
    let part = |dir: &Path, pages: &[Page], phase: &mut Phase| {
        write_index(dir, pages, &corpus.synonyms, Sources { analyzer, thesaurus, bar: &bar }, phase)
    };
    let public_documents = part(&generation.join(layout::PUBLIC_DIR), &public, &mut phase)?;
    let internal_documents = part(&generation.join(layout::INTERNAL_DIR), &internal, &mut phase)?;
    let documents = public_documents + internal_documents;
    bar.finish_and_clear();
    // Vectors, when the model is there; a build without it is lexical only.
    if let Some(meaning) = kotae_core::meaning::Meaning::shared() {
        let mut cache = vectors::TextCache::open(meaning.dim());
        vectors::write_vectors(&generation.join(layout::PUBLIC_DIR), &public, &meaning, &mut cache, progress)?;
        vectors::write_vectors(&generation.join(layout::INTERNAL_DIR), &internal, &meaning, &mut cache, progress)?;
        cache.save();
        phase.done("vectors");
    }

    write_media(generation, corpus)?;
    let encoded = index::stored::encode(corpus).map_err(|e| BuildError::Verify(e.to_string()))?;
    write_durably(&generation.join(layout::PAGES_FILE), &encoded.pages)?;
    write_durably(&generation.join(layout::CORPUS_FILE), &encoded.catalogue)?;
    bar.finish_and_clear();
    let snapshot = Snapshot::open_generation(generation.to_path_buf(), analyzer)?;
    let found = (snapshot.num_docs() as usize, snapshot.public.num_docs() as usize);
    if found != (documents, public_documents) || snapshot.corpus.pages.len() != corpus.pages.len() {
        return Err(BuildError::Verify(format!(
            "wrote {documents} documents ({public_documents} public) but read back {} ({})",
            found.0, found.1
        )));
    }
    phase.done("write and verify");
    IndexRoot::new(generation.parent().unwrap_or(generation)).mark_ready(generation)?;
    Ok(documents)
}

/// What every index of a generation is built with.
struct Sources<'a> {
    analyzer: &'a Analyzer,
    thesaurus: Option<&'a kotae_core::thesaurus::Thesaurus>,
    bar: &'a ProgressBar,
}

/// Write a tantivy index of `pages` and its lexicon into `dir`; the number of documents.
fn write_index(dir: &Path, pages: &[Page], synonyms: &[Vec<String>], sources: Sources<'_>, phase: &mut Phase) -> Result<usize, BuildError> {
    let Sources { analyzer, thesaurus, bar } = sources;
    let (schema, fields) = index::schema();
    let tantivy_dir = dir.join(layout::TANTIVY_DIR);
    std::fs::create_dir_all(&tantivy_dir).map_err(|e| io(&tantivy_dir, e))?;
    let tindex = tantivy::Index::builder().schema(schema).settings(index::schema::settings()).create_in_dir(&tantivy_dir)?;
    tokenizer::register(&tindex, analyzer);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
    let mut writer: tantivy::IndexWriter = tindex.writer_with_num_threads(threads, threads * 64_000_000)?;
    // The lexicon analyzes the pages on its own threads while tantivy indexes them.
    let (documents, lexicon) = std::thread::scope(|scope| {
        let lexicon = scope.spawn(|| kotae_core::lexicon::Lexicon::build_with(analyzer, pages, synonyms, thesaurus));
        let documents = index_pages(&tindex, &mut writer, pages, (&fields, analyzer), bar, phase);
        let lexicon = lexicon.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        documents.map(|d| (d, lexicon))
    })?;
    writer.wait_merging_threads()?;
    phase.done("lexicon (what indexing did not overlap)");
    let lexicon_json = serde_json::to_vec(&lexicon).map_err(|e| BuildError::Verify(e.to_string()))?;
    write_durably(&dir.join(layout::LEXICON_FILE), &lexicon_json)?;
    Ok(documents)
}

/// How many pages' documents are made at once, on every core, before the writer takes them.
const PAGES_AT_ONCE: usize = 256;

/// Add every page's documents, commit, and merge the segments into one.
fn index_pages(
    tindex: &tantivy::Index,
    writer: &mut tantivy::IndexWriter,
    pages: &[Page],
    (fields, analyzer): (&index::Fields, &Analyzer),
    bar: &ProgressBar,
    phase: &mut Phase,
) -> Result<usize, BuildError> {
    let mut documents = 0;
    for chunk in pages.chunks(PAGES_AT_ONCE) {
        // Each page's first number in `ord`, then its documents (with their words found by the
        // analyzer, [`index::words`]) on rayon's threads, in order.
        let firsts: Vec<u64> = chunk
            .iter()
            .scan(documents, |next, page| {
                let first = *next;
                *next += index::document_count(page);
                Some(first as u64)
            })
            .collect();
        let made: Vec<Vec<tantivy::TantivyDocument>> =
            chunk.par_iter().zip(firsts).map(|(page, first)| index::documents(page, fields, analyzer, first)).collect();
        for doc in made.into_iter().flatten() {
            writer.add_document(doc)?;
            documents += 1;
        }
        bar.inc(chunk.len() as u64);
    }
    phase.done("add documents (their words found here; the fields analyzed by the writer threads)");
    bar.set_message("committing");
    writer.commit()?;
    phase.done("commit (the last documents analyzed, then written)");
    // One segment: every query term is then looked up once, not once per indexing thread's
    // segment.
    let segments = tindex.searchable_segment_ids()?;
    if segments.len() > 1 {
        bar.set_message("merging");
        writer.merge(&segments).wait()?;
    }
    phase.done("merge");
    Ok(documents)
}

/// Times the phases of a build, for the debug log (`KOTAE_LOG=debug`).
struct Phase(Instant);

impl Phase {
    fn start() -> Self {
        Phase(Instant::now())
    }

    fn done(&mut self, name: &str) {
        tracing::debug!(phase = name, ms = self.0.elapsed().as_millis() as u64, "build phase");
        self.0 = Instant::now();
    }
}

fn progress_bar(len: u64, visible: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        Some(len),
        if visible { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() },
    );
    bar.set_style(
        ProgressStyle::with_template("{spinner} indexing [{bar:30}] {pos}/{len} pages {per_sec} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

/// Copy the images the pages show into the generation's `media/` folder under their hash names,
/// and list them in `media.json` (see [`index::media`]). An image changed since it was checked
/// stops the build: its name would no longer be its hash.
fn write_media(generation: &Path, corpus: &content::Corpus) -> Result<(), BuildError> {
    use index::media::{MEDIA_DIR, MEDIA_FILE, MediaEntry};
    let planned = index::media::plan(corpus);
    let dir = generation.join(MEDIA_DIR);
    if !planned.is_empty() {
        std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    }
    let mut list = Vec::with_capacity(planned.len());
    for image in planned {
        let source = corpus.root.join(&image.source);
        let bytes = std::fs::read(&source).map_err(|e| io(&source, e))?;
        let ext = image.name.rsplit_once('.').map_or("", |(_, e)| e);
        if content::images::media_name(&bytes, ext) != image.name {
            return Err(BuildError::Verify(format!("{}: the image changed during the build; build again", source.display())));
        }
        write_durably(&dir.join(&image.name), &bytes)?;
        list.push(MediaEntry { name: image.name, bytes: bytes.len() as u64, public: image.public });
    }
    let json = serde_json::to_vec(&list).map_err(|e| BuildError::Verify(e.to_string()))?;
    write_durably(&generation.join(MEDIA_FILE), &json)
}

fn write_durably(path: &Path, bytes: &[u8]) -> Result<(), BuildError> {
    use std::io::Write;
    let mut f = File::create(path).map_err(|e| io(path, e))?;
    f.write_all(bytes).map_err(|e| io(path, e))?;
    f.sync_all().map_err(|e| io(path, e))
}

fn io(path: &Path, source: std::io::Error) -> BuildError {
    BuildError::Io { path: path.to_path_buf(), error: source }
}
