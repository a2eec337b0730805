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
/// The vectors of an index's documents, when the build had the embedding model.
pub const VECTORS_FILE: &str = "vectors.bin";
/// The vectors of its pages' answer leads, beside `vectors.bin` (see `crate::meaning::answer_lead`).
pub const ANSWERS_FILE: &str = "answers.bin";
/// The tantivy index inside a generation (and inside its public part).
pub const TANTIVY_DIR: &str = "tantivy";
/// The public part of a generation: a tantivy index and a lexicon of the public pages only.
pub const PUBLIC_DIR: &str = "public";
/// The internal part of a generation: a tantivy index and a lexicon of the manual's pages.
pub const INTERNAL_DIR: &str = "internal";
/// Prefix of generation folders.
pub const GENERATION_PREFIX: &str = "gen-";
/// The source hash of a generation: a digest of the content and settings it was built from
/// (written by the indexer; the same content gives the same hash on every machine).
pub const SOURCE_FILE: &str = "SOURCE";
/// Written into a generation once it is complete and verified.
pub const READY: &str = "READY";
/// Written into a generation a service refused because it was damaged (holding why): it is
/// never chosen as a fallback, and the next build deletes it.
pub const REFUSED: &str = "REFUSED";
/// The build lock: builds, and roll-backs of `CURRENT`, of one index folder run one at a time.
pub const LOCK: &str = ".lock";

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

    /// Take the build lock of this folder (creating the folder if needed); it is released when
    /// the returned file is closed, or when the process dies.
    pub fn lock(&self) -> Result<fs::File> {
        fs::create_dir_all(&self.path).map_err(|e| Error::io(&self.path, e))?;
        let path = self.path.join(LOCK);
        let file = fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        file.lock().map_err(|e| Error::io(&path, e))?;
        Ok(file)
    }

    /// Whether `generation` is complete and was never refused as damaged.
    pub fn is_usable(generation: &Path) -> bool {
        generation.join(READY).is_file() && !generation.join(REFUSED).exists()
    }

    /// Record that a service refused `generation` as damaged, and why. Best effort: a
    /// read-only or missing folder is not an error.
    pub fn mark_refused(generation: &Path, why: &str) {
        if generation.is_dir() {
            let _ = fs::write(generation.join(REFUSED), format!("{why}\n"));
        }
    }

    /// The generations to fall back to when the one named `served` (`None`: unknown, as when
    /// `CURRENT` is garbage) cannot be used: complete, never refused, older than it, newest
    /// first.
    pub fn fallbacks(&self, served: Option<&str>) -> Result<Vec<PathBuf>> {
        let mut found: Vec<PathBuf> = fs::read_dir(&self.path)
            .map_err(|e| Error::io(&self.path, e))?
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                    n.starts_with(GENERATION_PREFIX) && served.is_none_or(|served| n < served)
                }) && p.is_dir()
                    && Self::is_usable(p)
            })
            .collect();
        found.sort();
        found.reverse();
        Ok(found)
    }

    /// Serve `generation` instead of a damaged one: publish it, under the build lock, if
    /// `CURRENT` still names `damaged` (`None`: still unreadable). Returns `false`, changing
    /// nothing, when a build published something else meanwhile.
    pub fn roll_back(&self, damaged: Option<&str>, generation: &Path) -> Result<bool> {
        let _lock = self.lock()?;
        let now = self.current_name().ok().flatten();
        if now.as_deref() != damaged {
            return Ok(false);
        }
        self.publish(generation)?;
        Ok(true)
    }

    /// Delete generations other than the served one and the `keep` newest other ready ones;
    /// incomplete generations (left by killed builds) and refused ones always go. Call it only while holding
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
            generations.into_iter().partition(|g| Self::is_usable(g));
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

    #[test]
    fn fallbacks_are_older_usable_generations_newest_first_and_refused_ones_go() {
        let dir = tempfile::tempdir().unwrap();
        let root = IndexRoot::new(dir.path());
        let make = |name: &str, ready: bool| {
            let g = dir.path().join(name);
            fs::create_dir_all(&g).unwrap();
            if ready {
                root.mark_ready(&g).unwrap();
            }
            g
        };
        let a = make("gen-20260101T000000.000000Z-1", true);
        let b = make("gen-20260102T000000.000000Z-1", true);
        let _incomplete = make("gen-20260103T000000.000000Z-1", false);
        let refused = make("gen-20260104T000000.000000Z-1", true);
        IndexRoot::mark_refused(&refused, "damaged files: x.idx (checksum mismatch)");
        let served = make("gen-20260105T000000.000000Z-1", true);
        let _newer = make("gen-20260106T000000.000000Z-1", true);
        root.publish(&served).unwrap();

        assert_eq!(root.fallbacks(Some("gen-20260105T000000.000000Z-1")).unwrap(), vec![b.clone(), a.clone()]);
        assert_eq!(root.fallbacks(Some("gen-20260102T000000.000000Z-1")).unwrap(), vec![a.clone()]);
        // CURRENT unreadable: every usable generation, newest first.
        assert_eq!(root.fallbacks(None).unwrap().len(), 4);
        assert!(fs::read_to_string(refused.join(REFUSED)).unwrap().contains("x.idx"));

        // A refused generation is not kept as "the one before": the next build deletes it.
        let removed = root.collect_garbage(1).unwrap();
        assert!(removed.contains(&refused), "{removed:?}");
        assert!(!removed.contains(&served));
    }

    #[test]
    fn roll_back_publishes_only_if_current_still_names_the_damaged_generation() {
        let dir = tempfile::tempdir().unwrap();
        let root = IndexRoot::new(dir.path());
        let old = root.new_generation().unwrap();
        let damaged = root.new_generation().unwrap();
        let name = |g: &Path| g.file_name().unwrap().to_str().unwrap().to_string();
        root.publish(&damaged).unwrap();

        // A build published another generation meanwhile: nothing changes.
        assert!(!root.roll_back(Some("gen-other"), &old).unwrap());
        assert_eq!(root.current().unwrap(), damaged);

        assert!(root.roll_back(Some(&name(&damaged)), &old).unwrap());
        assert_eq!(root.current().unwrap(), old);

        // From a garbage CURRENT.
        fs::write(dir.path().join(CURRENT), "garbage\n").unwrap();
        assert!(root.roll_back(None, &damaged).unwrap());
        assert_eq!(root.current().unwrap(), damaged);
    }
}
