//! Helpers: run the `kotae` binary, and build the sample corpus once per test run.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The repository's root folder.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The sample corpus.
pub fn sample_content() -> PathBuf {
    repo().join("content")
}

/// Run `kotae` with `args` in `dir`.
pub fn kotae(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kotae"))
        .args(args)
        .current_dir(dir)
        .env("KOTAE_LOG", "warn")
        .env_remove("KOTAE_CONTENT")
        .env_remove("KOTAE_INDEX")
        .env_remove("KOTAE_SYNONYM_DICT")
        .output()
        .expect("run kotae")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// An index of the sample corpus, built once and shared by the tests that only read it.
pub fn sample_index() -> &'static Path {
    static INDEX: OnceLock<tempfile::TempDir> = OnceLock::new();
    INDEX
        .get_or_init(|| {
            let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("temp dir");
            let index = dir.path().join("index");
            let out = kotae(
                &repo(),
                &["index", "--quiet", "--content", sample_content().to_str().unwrap(), "--index", index.to_str().unwrap()],
            );
            assert!(out.status.success(), "indexing the sample corpus failed: {}", stderr(&out));
            dir
        })
        .path()
}

/// One hit of `kotae search --json`.
#[derive(Debug, Clone)]
pub struct Hit {
    pub id: String,
    pub section: Option<String>,
    pub audience: String,
    pub snippet: String,
}

/// Search the shared sample index; returns the total and the hits.
pub fn search(query: &str, extra: &[&str]) -> (u64, Vec<Hit>) {
    let index = sample_index().join("index");
    let mut args = vec!["search", "--json", "--index", index.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.push("--");
    args.push(query);
    let out = kotae(&repo(), &args);
    assert!(out.status.success(), "search {query:?} failed: {}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("search --json prints JSON");
    let hits = v["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| Hit {
            id: h["id"].as_str().unwrap().to_string(),
            section: h["section"].as_str().map(str::to_string),
            audience: h["audience"].as_str().unwrap().to_string(),
            snippet: h["snippet"].as_str().unwrap().to_string(),
        })
        .collect();
    (v["total"].as_u64().expect("total"), hits)
}

/// Copy a folder recursively.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
