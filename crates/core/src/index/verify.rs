//! Is a generation whole on disk?
//!
//! Every file of a tantivy segment ends with a footer holding the CRC-32 of its bytes. A
//! generation is verified when it is opened, at start and at every reload, before anything is
//! served from it: a damaged byte would otherwise surface as a wrong answer or a panic on the
//! queries that reach it. The files checked are found by listing the folder, not from tantivy's
//! own list of managed files (`.managed.json`), so a lost or damaged list cannot hide a file.
//!
//! A check at open cannot protect the files *after* it: the segments are memory-mapped, and a
//! file truncated under a running service kills it (`SIGBUS`) when a query reaches the missing
//! pages. [`sizes`] records what a served generation's files looked like, so that a service
//! can notice such a change (see the operations guide).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use tantivy::Index;

use crate::error::{Error, Result};

/// What a successful check read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    /// Segment files checked.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
}

/// Check every file of every searchable segment of `index`, opened from `dir`: each must be
/// readable and match the checksum in its footer. The error names every damaged file.
pub fn tantivy(index: &Index, dir: &Path) -> Result<Verified> {
    let started = Instant::now();
    let bad = |message: String| Error::BadIndex { path: dir.to_path_buf(), message };
    let segments = index.searchable_segment_metas().map_err(|e| bad(e.to_string()))?;
    let listing = list(dir)?;
    let mut damaged: Vec<String> = Vec::new();
    let mut verified = Verified { files: 0, bytes: 0 };
    for segment in &segments {
        let prefix = segment.id().uuid_string();
        let files: Vec<&(String, u64)> = listing.iter().filter(|(name, _)| name.starts_with(&prefix)).collect();
        if files.is_empty() {
            damaged.push(format!("{prefix}.* (no file of this segment)"));
        }
        for (name, size) in files {
            verified.files += 1;
            verified.bytes += size;
            match index.directory().validate_checksum(Path::new(name)) {
                Ok(true) => {}
                Ok(false) => damaged.push(format!("{name} (checksum mismatch)")),
                Err(e) => damaged.push(format!("{name} (unreadable: {})", cause(&e))),
            }
        }
    }
    if !damaged.is_empty() {
        damaged.sort();
        let names = damaged.join(", ");
        tracing::warn!(index = %dir.display(), damaged = %names, "index files are damaged; refusing the index");
        return Err(bad(format!("damaged files: {names}")));
    }
    tracing::debug!(
        index = %dir.display(),
        files = verified.files,
        bytes = verified.bytes,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "index files verified"
    );
    Ok(verified)
}

/// The file names and sizes of `dir` (not recursive).
fn list(dir: &Path) -> Result<Vec<(String, u64)>> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let meta = entry.metadata().map_err(|e| Error::io(entry.path(), e))?;
        if meta.is_file() {
            files.push((entry.file_name().to_string_lossy().into_owned(), meta.len()));
        }
    }
    Ok(files)
}

/// The I/O cause of a tantivy read error, without its debug dump.
fn cause(error: &tantivy::directory::error::OpenReadError) -> String {
    use tantivy::directory::error::OpenReadError;
    match error {
        OpenReadError::IoError { io_error, .. } => io_error.to_string(),
        other => other.to_string(),
    }
}

/// Every regular file under `generation`, with its size and inode, sorted by path: what a
/// served generation looked like when it was opened. Compare two with [`changed`].
pub fn sizes(generation: &Path) -> Vec<FileState> {
    let mut out = Vec::new();
    let mut stack = vec![generation.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else { continue };
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else if meta.is_file() {
                out.push(FileState { path: entry.path(), len: meta.len(), id: file_id(&meta) });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// One file of a generation as it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileState {
    pub path: PathBuf,
    pub len: u64,
    /// Device and inode (Unix): a file replaced by a rename has another one.
    id: (u64, u64),
}

#[cfg(unix)]
fn file_id(meta: &fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn file_id(_: &fs::Metadata) -> (u64, u64) {
    (0, 0)
}

/// How a served generation's files changed since `before` was taken.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Files whose length changed in place (same inode): a memory-mapped reader of such a file
    /// dies when it reads past the new end. Deleted files are not here: the readers that have
    /// them open keep them.
    pub resized: Vec<PathBuf>,
    /// Files deleted, or replaced by another file (a rename over them): harmless to the readers
    /// that have the old ones open, but the generation on disk is no longer the one served.
    pub replaced: Vec<PathBuf>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.resized.is_empty() && self.replaced.is_empty()
    }
}

/// Compare `before` with the generation's files now (`now`, from [`sizes`]).
pub fn changed(before: &[FileState], now: &[FileState]) -> Changes {
    let mut changes = Changes::default();
    for old in before {
        match now.binary_search_by(|f| f.path.cmp(&old.path)) {
            Ok(i) if now[i].id == old.id && now[i].len != old.len => changes.resized.push(old.path.clone()),
            Ok(i) if now[i].id != old.id => changes.replaced.push(old.path.clone()),
            Ok(_) => {}
            Err(_) => changes.replaced.push(old.path.clone()),
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::doc;
    use tantivy::schema::{STORED, Schema, TEXT};

    /// A small tantivy index of one segment in a temporary folder, and its segment files.
    fn small_index() -> (tempfile::TempDir, Vec<PathBuf>) {
        let dir = tempfile::tempdir().unwrap();
        let mut builder = Schema::builder();
        let body = builder.add_text_field("body", TEXT | STORED);
        let index = Index::create_in_dir(dir.path(), builder.build()).unwrap();
        let mut writer = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for i in 0..200 {
            writer.add_document(doc!(body => format!("document {i} about returns and shipping fees"))).unwrap();
        }
        writer.commit().unwrap();
        writer.wait_merging_threads().unwrap();
        let id = index.searchable_segment_metas().unwrap()[0].id().uuid_string();
        let mut files: Vec<PathBuf> = fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with(&id))
            .collect();
        files.sort();
        (dir, files)
    }

    fn check(dir: &Path) -> Result<Verified> {
        tantivy(&Index::open_in_dir(dir).unwrap(), dir)
    }

    fn flip_middle(path: &Path) {
        let mut bytes = fs::read(path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0xff;
        fs::write(path, bytes).unwrap();
    }

    #[test]
    fn a_whole_index_passes_and_every_segment_file_is_read() {
        let (dir, files) = small_index();
        let verified = check(dir.path()).unwrap();
        assert_eq!(verified.files, files.len());
        assert_eq!(verified.bytes, files.iter().map(|f| fs::metadata(f).unwrap().len()).sum::<u64>());
    }

    #[test]
    fn damaged_and_truncated_files_are_named() {
        let (dir, files) = small_index();
        let store = files.iter().find(|f| f.extension().unwrap() == "store").unwrap();
        let term = files.iter().find(|f| f.extension().unwrap() == "term").unwrap();
        flip_middle(store);
        let len = fs::metadata(term).unwrap().len();
        fs::OpenOptions::new().write(true).open(term).unwrap().set_len(len / 2).unwrap();
        let err = check(dir.path()).unwrap_err().to_string();
        let name = |p: &Path| p.file_name().unwrap().to_str().unwrap().to_string();
        assert!(err.contains(&format!("{} (checksum mismatch)", name(store))), "{err}");
        assert!(err.contains(&format!("{} (", name(term))), "{err}");
    }

    /// tantivy's own check only reads the files listed in `.managed.json`: with that list lost,
    /// a damaged segment passed it.
    #[test]
    fn a_lost_list_of_managed_files_hides_no_damage() {
        let (dir, files) = small_index();
        fs::remove_file(dir.path().join(".managed.json")).unwrap();
        let index = Index::open_in_dir(dir.path()).unwrap();
        assert!(index.validate_checksum().unwrap().is_empty(), "tantivy checked nothing");
        let store = files.iter().find(|f| f.extension().unwrap() == "store").unwrap();
        flip_middle(store);
        let err = tantivy(&Index::open_in_dir(dir.path()).unwrap(), dir.path()).unwrap_err().to_string();
        assert!(err.contains("checksum mismatch"), "{err}");
    }

    #[test]
    fn resized_in_place_and_replaced_files_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (dir.path().join("a"), dir.path().join("sub/b"), dir.path().join("c"));
        fs::create_dir_all(dir.path().join("sub")).unwrap();
        for f in [&a, &b, &c] {
            fs::write(f, b"0123456789").unwrap();
        }
        let before = sizes(dir.path());
        assert_eq!(before.len(), 3);
        assert!(changed(&before, &sizes(dir.path())).is_empty());

        // Truncated in place (what kills a reader of a memory-mapped file).
        fs::OpenOptions::new().write(true).open(&a).unwrap().set_len(4).unwrap();
        // Replaced by a rename, and deleted: the readers keep their old files.
        fs::write(dir.path().join("b.new"), b"01").unwrap();
        fs::rename(dir.path().join("b.new"), &b).unwrap();
        fs::remove_file(&c).unwrap();
        let changes = changed(&before, &sizes(dir.path()));
        assert_eq!(changes.resized, vec![a]);
        assert_eq!(changes.replaced, vec![c, b]);
    }
}
