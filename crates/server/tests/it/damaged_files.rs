//! Damaged files of index generations: refused with a log line naming them, and the previous
//! generation served instead, at start, on reload, and when a served file is changed in place.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use kotae_core::IndexRoot;
use kotae_server::reload::{self, AtStart};

use crate::common::*;

/// Log lines at WARN and above written on this thread while the guard lives.
///
/// One subscriber for the whole test binary, installed once, writes each line to the buffer of
/// the thread that logged it (if that thread is capturing): a per-thread default subscriber
/// loses lines when other tests of the binary meet the same call sites first (tracing caches
/// that nobody was interested).
struct Logs(Arc<Mutex<Vec<u8>>>);

/// Stops the capture of this thread's lines when dropped.
struct Capturing;

impl Drop for Capturing {
    fn drop(&mut self) {
        CAPTURE.with(|c| *c.borrow_mut() = None);
    }
}

thread_local! {
    static CAPTURE: std::cell::RefCell<Option<Arc<Mutex<Vec<u8>>>>> = const { std::cell::RefCell::new(None) };
}

impl Logs {
    fn capture() -> (Logs, Capturing) {
        static INSTALLED: std::sync::Once = std::sync::Once::new();
        INSTALLED.call_once(|| {
            let subscriber = tracing_subscriber::fmt()
                .with_ansi(false)
                .with_max_level(tracing::Level::WARN)
                .with_writer(|| Sink)
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber in the server tests");
        });
        let buffer = Arc::new(Mutex::new(Vec::new()));
        CAPTURE.with(|c| *c.borrow_mut() = Some(buffer.clone()));
        (Logs(buffer), Capturing)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Writes to the capturing buffer of the current thread, if any.
struct Sink;

impl std::io::Write for Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|c| {
            if let Some(buffer) = c.borrow().as_ref() {
                buffer.lock().unwrap().extend_from_slice(bytes);
            }
        });
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// An index folder with two generations of the sample, built once per test binary: (the
/// folder, the older generation's name, the newer one's, which `CURRENT` names).
fn two_generations() -> &'static (tempfile::TempDir, String, String) {
    static DIR: std::sync::OnceLock<(tempfile::TempDir, String, String)> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        build(&sample_content(), dir.path());
        let older = current(dir.path());
        build(&sample_content(), dir.path());
        let newer = current(dir.path());
        assert_ne!(older, newer);
        (dir, older, newer)
    })
}

/// A fresh copy of [`two_generations`]: (the temporary folder, the index in it, older, newer).
fn copy_of_two_generations() -> (tempfile::TempDir, PathBuf, String, String) {
    let (source, older, newer) = two_generations();
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    copy_dir(source.path(), &index);
    let _ = std::fs::remove_file(index.join(".lock"));
    (dir, index, older.clone(), newer.clone())
}

fn current(index: &Path) -> String {
    std::fs::read_to_string(index.join("CURRENT")).unwrap().trim().to_string()
}

/// The file of the tantivy index in `dir` (a generation's `public/` or `internal/`) with
/// extension `ext`.
fn segment_file(generation: &Path, ext: &str) -> PathBuf {
    std::fs::read_dir(generation.join("tantivy"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == ext))
        .unwrap_or_else(|| panic!("no .{ext} in {}", generation.display()))
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_str().unwrap().to_string()
}

fn flip_middle(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle - 8..middle + 8] {
        *b = !*b;
    }
    std::fs::write(path, bytes).unwrap();
}

fn truncate_half(path: &Path) {
    let len = std::fs::metadata(path).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(path).unwrap().set_len(len / 2).unwrap();
}

/// What damages a generation, and the file name the log must show (if one is damaged).
type Damage = fn(&Path) -> Option<String>;

const DAMAGES: [(&str, Damage); 5] = [
    ("bytes flipped inside a segment file", |g| {
        let f = segment_file(&g.join("internal"), "idx");
        flip_middle(&f);
        Some(file_name(&f))
    }),
    ("a segment file truncated", |g| {
        let f = segment_file(&g.join("internal"), "store");
        truncate_half(&f);
        Some(file_name(&f))
    }),
    ("a segment file of the public index truncated", |g| {
        let f = segment_file(&g.join("public"), "term");
        truncate_half(&f);
        Some(file_name(&f))
    }),
    ("corpus.json deleted", |g| {
        std::fs::remove_file(g.join("corpus.json")).unwrap();
        Some("corpus.json".into())
    }),
    ("the generation folder deleted", |g| {
        std::fs::remove_dir_all(g).unwrap();
        None
    }),
];

/// `kotae serve` at start: `CURRENT`'s generation damaged, an older one kept → the older one
/// is published again and served; the damaged one is named in the log and marked `REFUSED`.
#[tokio::test]
async fn at_start_a_damaged_current_generation_rolls_back_to_the_previous_one() {
    for (what, damage) in DAMAGES {
        let (_dir, index, older, newer) = copy_of_two_generations();
        let named = damage(&index.join(&newer));
        let (logs, guard) = Logs::capture();
        let outcome = reload::recover_at_start(&IndexRoot::new(&index), analyzer());
        drop(guard);
        let AtStart::RolledBack { refused, serving, .. } = outcome else { panic!("{what}: {outcome:?}") };
        assert_eq!(refused.as_deref(), Some(newer.as_str()), "{what}");
        assert_eq!(serving, index.join(&older), "{what}");
        assert_eq!(current(&index), older, "{what}: CURRENT names the generation served");
        let logs = logs.text();
        assert!(logs.contains("ROLLED BACK") && logs.contains(&newer) && logs.contains(&older), "{what}: {logs}");
        if let Some(file) = named {
            assert!(logs.contains(&file), "{what}: the log names {file}: {logs}");
            let refused = std::fs::read_to_string(index.join(&newer).join("REFUSED")).unwrap();
            assert!(refused.contains(&file), "{what}: {refused}");
        }

        // What `kotae serve` then serves.
        let s = state_for(&index);
        assert_eq!(s.snapshot().generation, index.join(&older));
        let r = get(&s, &format!("/api/search?{}", q("送料はいくら"))).await;
        assert_eq!(r.status, StatusCode::OK, "{what}");
        assert_eq!(r.json()["hits"][0]["id"], "shipping/fee", "{what}");

        // The next build deletes the refused generation and keeps the good one before it.
        build(&sample_content(), &index);
        assert!(!index.join(&newer).exists(), "{what}");
        assert!(index.join(&older).is_dir(), "{what}");
    }
}

/// A garbage `CURRENT`: the newest generation that opens is served.
#[test]
fn at_start_a_garbage_current_rolls_back_to_the_newest_generation() {
    let (_dir, index, _older, newer) = copy_of_two_generations();
    std::fs::write(index.join("CURRENT"), "\u{0}garbage\n").unwrap();
    let outcome = reload::recover_at_start(&IndexRoot::new(&index), analyzer());
    assert!(matches!(&outcome, AtStart::RolledBack { refused: None, serving, .. } if *serving == index.join(&newer)), "{outcome:?}");
    assert_eq!(current(&index), newer);
}

/// Nothing to fall back to (the only generation damaged, or every one): a rebuild is asked
/// for, and nothing is published.
#[test]
fn at_start_with_no_good_generation_the_index_must_be_rebuilt() {
    let (_dir, index, older, newer) = copy_of_two_generations();
    flip_middle(&segment_file(&index.join(&newer).join("public"), "idx"));
    truncate_half(&segment_file(&index.join(&older).join("public"), "store"));
    let (logs, guard) = Logs::capture();
    let outcome = reload::recover_at_start(&IndexRoot::new(&index), analyzer());
    drop(guard);
    assert!(matches!(outcome, AtStart::Damaged(kotae_core::Error::BadIndex { .. })), "{outcome:?}");
    assert_eq!(current(&index), newer, "nothing published");
    assert!(index.join(&newer).join("REFUSED").is_file() && index.join(&older).join("REFUSED").is_file());
    let logs = logs.text();
    assert!(logs.contains(&older) && logs.contains("refused too"), "{logs}");

    // A good generation at start is just that.
    let (_dir, index, _, newer) = copy_of_two_generations();
    let outcome = reload::recover_at_start(&IndexRoot::new(&index), analyzer());
    assert!(matches!(&outcome, AtStart::Ready(g) if *g == index.join(&newer)), "{outcome:?}");
}

/// On reload: a damaged generation published while serving is refused once, with a log line
/// naming its damaged files, and marked `REFUSED`; the served one keeps serving.
#[tokio::test]
async fn on_reload_a_damaged_generation_is_refused_with_its_files_named_once() {
    let (_dir, index, older, newer) = copy_of_two_generations();
    std::fs::write(index.join("CURRENT"), format!("{older}\n")).unwrap();
    let s = state_for(&index);
    let damaged = segment_file(&index.join(&newer).join("public"), "idx");
    flip_middle(&damaged);
    std::fs::write(index.join("CURRENT"), format!("{newer}\n")).unwrap();

    let (logs, guard) = Logs::capture();
    let mut failed = None;
    assert!(!reload::check(&s, &mut failed).await);
    assert!(!reload::check(&s, &mut failed).await);
    // An unreadable CURRENT is logged once too.
    std::fs::write(index.join("CURRENT"), "../etc\n").unwrap();
    assert!(!reload::check(&s, &mut failed).await);
    assert!(!reload::check(&s, &mut failed).await);
    drop(guard);
    let logs = logs.text();
    assert_eq!(logs.matches("the new index is refused").count(), 1, "{logs}");
    assert!(logs.contains(&file_name(&damaged)) && logs.contains("checksum mismatch"), "{logs}");
    assert_eq!(logs.matches("cannot read the index pointer").count(), 1, "{logs}");
    assert!(std::fs::read_to_string(index.join(&newer).join("REFUSED")).unwrap().contains(&file_name(&damaged)));
    assert_eq!(s.snapshot().generation, index.join(&older));
    assert_eq!(get(&s, &format!("/api/search?{}", q("返品"))).await.status, StatusCode::OK);
}

/// A file of the served generation truncated in place (which would kill the service with
/// SIGBUS once a query reads past the new end): noticed at the next poll, logged with the
/// file's name, and the previous generation is served instead. Nothing here reads the
/// truncated file.
#[tokio::test]
async fn a_served_file_truncated_in_place_switches_to_the_previous_generation() {
    let (_dir, index, older, newer) = copy_of_two_generations();
    let s = state_for(&index);
    assert_eq!(s.snapshot().generation, index.join(&newer));
    let mut watch = reload::Watch::default();
    assert!(!reload::watch_served(&s, &mut watch).await, "first sight: recorded");
    assert!(!reload::watch_served(&s, &mut watch).await, "unchanged");

    let store = segment_file(&index.join(&newer).join("public"), "store");
    truncate_half(&store);
    let (logs, guard) = Logs::capture();
    assert!(reload::watch_served(&s, &mut watch).await, "switched");
    let mut failed = None;
    assert!(!reload::check(&s, &mut failed).await, "CURRENT's damaged generation is not taken back");
    drop(guard);
    assert_eq!(s.snapshot().generation, index.join(&older));
    let logs = logs.text();
    assert!(logs.contains("changed in place") && logs.contains(&file_name(&store)), "{logs}");
    assert!(index.join(&newer).join("REFUSED").is_file());
    let r = get(&s, &format!("/api/search?{}", q("送料はいくら"))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["hits"][0]["id"], "shipping/fee");
    assert_eq!(get(&s, "/articles/shipping/fee").await.status, StatusCode::OK);
}

/// Files replaced by a rename or deleted: the open generation keeps its files, so the service
/// keeps serving it, with a warning.
#[tokio::test]
async fn a_served_file_replaced_by_a_rename_is_a_warning_only() {
    let (_dir, index, _older, newer) = copy_of_two_generations();
    let s = state_for(&index);
    let mut watch = reload::Watch::default();
    reload::watch_served(&s, &mut watch).await;
    let corpus = index.join(&newer).join("corpus.json");
    let copy = index.join(&newer).join("corpus.json.new");
    std::fs::copy(&corpus, &copy).unwrap();
    std::fs::rename(&copy, &corpus).unwrap();
    let (logs, guard) = Logs::capture();
    assert!(!reload::watch_served(&s, &mut watch).await);
    assert!(!reload::watch_served(&s, &mut watch).await);
    drop(guard);
    assert_eq!(s.snapshot().generation, index.join(&newer));
    let logs = logs.text();
    assert_eq!(logs.matches("deleted or replaced").count(), 1, "{logs}");
    assert!(!index.join(&newer).join("REFUSED").exists());
    assert_eq!(get(&s, "/api/articles/shipping/fee").await.status, StatusCode::OK);
}
