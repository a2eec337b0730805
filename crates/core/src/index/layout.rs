//! Where on disk is the index being served?
//!
//! An index folder holds *generations*, one folder each (`gen-<time>-<pid>`), and a `CURRENT`
//! file naming the one to serve. A build writes a new generation beside the served one and
//! replaces `CURRENT` by an atomic rename only once the generation is complete, so a failed or
//! killed build leaves the previous index serving. Each generation also holds the pages and
//! categories it was built from (`corpus.json` and `pages.jsonl`), so readers get both from one
//! consistent snapshot.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The file naming the generation to serve.
pub const CURRENT: &str = "CURRENT";
/// The catalogue of a generation: categories, and what lists need about each page (see
/// [`crate::index::stored`]).
pub const CORPUS_FILE: &str = "corpus.json";
/// The full pages of a generation, one JSON line each.
pub const PAGES_FILE: &str = "pages.jsonl";
/// The readings and synonyms of a generation.
pub const LEXICON_FILE: &str = "lexicon.json";
/// The tantivy index inside a generation (and inside its public part).
pub const TANTIVY_DIR: &str = "tantivy";
/// The public part of a generation: a tantivy index and a lexicon of the public pages only.
pub const PUBLIC_DIR: &str = "public";
/// The internal part of a generation: a tantivy index and a lexicon of the manual's pages.
pub const INTERNAL_DIR: &str = "internal";
/// Prefix of generation folders.
pub const GENERATION_PREFIX: &str = "gen-";
/// Written into a generation once it is complete and verified.
pub const READY: &str = "READY";

/// An index folder.
#[derive(Debug, Clone)]
pub struct IndexRoot {
    pub path: PathBuf,
}

impl IndexRoot {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The name of the generation being served, if any.
    pub fn current_name(&self) -> Result<Option<String>> {
        let file = self.path.join(CURRENT);
        match fs::read_to_string(&file) {
            Ok(name) => {
                let name = name.trim().to_string();
                if name.starts_with(GENERATION_PREFIX) && !name.contains(['/', '\\']) {
                    Ok(Some(name))
                } else {
                    Err(Error::BadIndex { path: file, message: format!("`{name}` is not a generation name") })
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(file, e)),
        }
    }

    /// The folder of the generation being served.
    pub fn current(&self) -> Result<PathBuf> {
        match self.current_name()? {
            Some(name) => Ok(self.path.join(name)),
            None => Err(Error::NoIndex(self.path.clone())),
        }
    }

    /// A new, empty generation folder (not yet served).
    pub fn new_generation(&self) -> Result<PathBuf> {
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ");
        let dir = self.path.join(format!("{GENERATION_PREFIX}{stamp}-{}", std::process::id()));
        fs::create_dir_all(dir.join(TANTIVY_DIR)).map_err(|e| Error::io(&dir, e))?;
        Ok(dir)
    }

    /// Mark `generation` complete: only ready generations are ever published or kept.
    pub fn mark_ready(&self, generation: &Path) -> Result<()> {
        let path = generation.join(READY);
        fs::write(&path, b"").map_err(|e| Error::io(path, e))
    }

    /// Serve `generation` from now on: write `CURRENT` beside it and rename it into place.
    pub fn publish(&self, generation: &Path) -> Result<()> {
        let name = generation
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Error::BadIndex { path: generation.to_path_buf(), message: "not a generation".into() })?;
        let tmp = self.path.join(format!(".{CURRENT}.{}", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = fs::File::create(&tmp)?;
            std::io::Write::write_all(&mut f, format!("{name}\n").as_bytes())?;
            f.sync_all()?;
            fs::rename(&tmp, self.path.join(CURRENT))?;
            // Make the rename itself durable.
            if let Ok(dir) = fs::File::open(&self.path) {
                let _ = dir.sync_all();
            }
            Ok(())
        };
        write().map_err(|e| Error::io(self.path.join(CURRENT), e))
    }

    /// Delete generations other than the served one and the `keep` newest other ready ones;
    /// incomplete generations (left by killed builds) always go. Call it only while holding
    /// the build lock. Readers that still have an older generation open keep working: its
    /// files stay readable until they close them.
    pub fn collect_garbage(&self, keep: usize) -> Result<Vec<PathBuf>> {
        let current = self.current_name()?;
        let mut generations: Vec<PathBuf> = fs::read_dir(&self.path)
            .map_err(|e| Error::io(&self.path, e))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.is_dir()
                    && p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                        n.starts_with(GENERATION_PREFIX) && Some(n) != current.as_deref()
                    })
            })
            .collect();
        generations.sort();
        let (ready, incomplete): (Vec<PathBuf>, Vec<PathBuf>) =
            generations.into_iter().partition(|g| g.join(READY).is_file());
        let remove = ready.len().saturating_sub(keep);
        let mut removed = Vec::new();
        for dir in incomplete.into_iter().chain(ready.into_iter().take(remove)) {
            if fs::remove_dir_all(&dir).is_ok() {
                removed.push(dir);
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_switches_current_and_gc_keeps_the_served_one() {
        let dir = tempfile::tempdir().unwrap();
        let root = IndexRoot::new(dir.path());
        assert!(matches!(root.current(), Err(Error::NoIndex(_))));
        let a = root.new_generation().unwrap();
        root.mark_ready(&a).unwrap();
        root.publish(&a).unwrap();
        assert_eq!(root.current().unwrap(), a);
        let b = root.new_generation().unwrap();
        root.mark_ready(&b).unwrap();
        let c = root.new_generation().unwrap();
        root.mark_ready(&c).unwrap();
        let killed = root.new_generation().unwrap();
        root.publish(&b).unwrap();
        let removed = root.collect_garbage(1).unwrap();
        assert_eq!(removed, vec![killed.clone(), a.clone()]);
        assert!(!a.exists() && !killed.exists());
        assert!(b.is_dir() && c.is_dir());
        assert_eq!(root.current().unwrap(), b);
    }

    #[test]
    fn a_bad_current_file_is_an_error_not_a_path_escape() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(CURRENT), "../../etc\n").unwrap();
        assert!(matches!(IndexRoot::new(dir.path()).current(), Err(Error::BadIndex { .. })));
    }
}
