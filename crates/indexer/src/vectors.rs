//! The vectors of a generation's documents (see `kotae_core::meaning`), embedded once per text:
//! a cache in Kotae's cache folder (`vectors/e5-small-q4.bin`, beside the compiled dictionary)
//! keeps each text's vector, so a rebuild embeds only the titles, aliases and sections that
//! changed, whichever index folder it builds.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kotae_core::content::Page;
use kotae_core::index::layout;
use kotae_core::meaning::{DocVectors, Meaning, answer_lead, document_texts};

use crate::{BuildError, write_durably};

/// How many texts are embedded per call (the progress bar moves between calls).
const BATCH: usize = 64;
/// The most texts the cache keeps; beyond, only those of the last build are kept.
const CACHE_TEXTS: usize = 300_000;

/// Text → vector, from earlier builds; what this build used is what is saved.
pub(crate) struct TextCache {
    path: PathBuf,
    known: HashMap<String, Vec<f32>>,
    used: HashSet<String>,
    dim: usize,
}

impl TextCache {
    /// The cache in Kotae's cache folder; empty when missing, damaged or of another model.
    pub(crate) fn open(dim: usize) -> Self {
        let cache_dir = kotae_core::analysis::DictionaryConfig::from_env().cache_dir;
        let path = cache_dir.join("vectors").join(kotae_embed_file());
        let mut known = HashMap::new();
        if let Ok(vectors) = DocVectors::read(&path)
            && vectors.dim() == dim
        {
            for (text, v) in vectors.entries() {
                known.insert(text.to_string(), v.to_vec());
            }
        }
        TextCache { path, known, used: HashSet::new(), dim }
    }

    /// Keep the vectors for the next build (all of them, or this build's when there are too
    /// many). Written to a temporary file and renamed, so a build running at the same time
    /// reads the old cache or the new one, never half of one. A cache that cannot be written
    /// only costs the next build time.
    pub(crate) fn save(&self) {
        let mut out = DocVectors::new(self.dim);
        let mut texts: Vec<&String> =
            if self.known.len() <= CACHE_TEXTS { self.known.keys().collect() } else { self.used.iter().collect() };
        texts.sort();
        for text in texts {
            if let Some(v) = self.known.get(text) {
                out.push(text, [v.clone()]);
            }
        }
        let Some(dir) = self.path.parent() else { return };
        let temporary = self.path.with_extension(format!("{}.part", std::process::id()));
        let written = std::fs::create_dir_all(dir)
            .map_err(|e| e.to_string())
            .and_then(|()| write_durably(&temporary, &out.encode()).map_err(|e| e.to_string()))
            .and_then(|()| std::fs::rename(&temporary, &self.path).map_err(|e| e.to_string()));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temporary);
            tracing::warn!(path = %self.path.display(), error = %e, "the vectors cache could not be written");
        }
    }

    /// Embed the `texts` not known yet (as passages), with a progress bar on a terminal; how
    /// many were embedded.
    pub(crate) fn embed<'t>(&mut self, texts: impl IntoIterator<Item = &'t String>, meaning: &Meaning, progress: bool) -> usize {
        let mut missing: Vec<&str> = Vec::new();
        for t in texts {
            self.used.insert(t.clone());
            if !self.known.contains_key(t) && !missing.contains(&t.as_str()) {
                missing.push(t);
            }
        }
        let bar = bar(missing.len() as u64, progress);
        for chunk in missing.chunks(BATCH) {
            for (text, v) in chunk.iter().zip(meaning.passages(chunk)) {
                self.known.insert(text.to_string(), v);
            }
            bar.inc(chunk.len() as u64);
        }
        bar.finish_and_clear();
        missing.len()
    }

    /// The vector of `text`, once embedded.
    pub(crate) fn get(&self, text: &str) -> Option<&Vec<f32>> {
        self.known.get(text)
    }
}

/// Embed the questions and answer leads of `pages` (those not in `cache`) and write the
/// index's `vectors.bin` and `answers.bin` into `dir`.
pub(crate) fn write_vectors(dir: &Path, pages: &[Page], meaning: &Meaning, cache: &mut TextCache, progress: bool) -> Result<(), BuildError> {
    let documents: Vec<(String, Vec<String>)> = pages.iter().flat_map(document_texts).collect();
    // A page embedded whole (one document) is also found by its answer's lead.
    let leads: Vec<(String, String)> = pages
        .iter()
        .filter_map(|page| match document_texts(page).as_slice() {
            [(key, _)] => Some((key.clone(), answer_lead(page)?)),
            _ => None,
        })
        .collect();
    cache.embed(documents.iter().flat_map(|(_, texts)| texts).chain(leads.iter().map(|(_, lead)| lead)), meaning, progress);
    let mut vectors = DocVectors::new(meaning.dim());
    for (key, texts) in &documents {
        vectors.push(key, texts.iter().filter_map(|t| cache.known.get(t).cloned()));
    }
    let mut answers = DocVectors::new(meaning.dim());
    for (key, lead) in &leads {
        answers.push(key, cache.known.get(lead).cloned());
    }
    write_durably(&dir.join(layout::ANSWERS_FILE), &answers.encode())?;
    write_durably(&dir.join(layout::VECTORS_FILE), &vectors.encode())
}

/// The cache file's name: the model's.
fn kotae_embed_file() -> &'static str {
    "e5-small-q4.bin"
}

fn bar(len: u64, visible: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        Some(len),
        if visible && len > 0 { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() },
    );
    bar.set_style(
        ProgressStyle::with_template("{spinner} embedding [{bar:30}] {pos}/{len} questions {per_sec} {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}
