//! Faults, end to end with the `kotae` binary: a build killed with SIGKILL, a damaged index
//! folder, a missing dictionary. (A full disk under the events database is tested in process:
//! crates/server/tests/faults.rs.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::util::{sample_content, stderr, stdout};

fn kotae_with(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kotae"));
    cmd.args(args).current_dir(dir).env("KOTAE_LOG", "warn").env("KOTAE_RATE_LIMIT", "0").env_remove("KOTAE_CONTENT").env_remove("KOTAE_INDEX");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run kotae")
}

fn kotae(dir: &Path, args: &[&str]) -> Output {
    kotae_with(dir, args, &[])
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn index_sample(dir: &Path, index: &Path) {
    let out = kotae(dir, &["index", "--quiet", "--content", path_str(&sample_content()), "--index", path_str(index)]);
    assert!(out.status.success(), "indexing failed: {}", stderr(&out));
}

fn current(index: &Path) -> String {
    std::fs::read_to_string(index.join("CURRENT")).unwrap().trim().to_string()
}

fn generations(index: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(index)
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| n.starts_with("gen-"))
        .collect();
    names.sort();
    names
}

/// `kotae search --json` on `index`: the ids of the hits.
fn search_ids(dir: &Path, index: &Path, query: &str) -> Vec<String> {
    let out = kotae(dir, &["search", "--json", "--index", path_str(index), "--", query]);
    assert!(out.status.success(), "search {query:?} failed: {}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    v["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()).collect()
}

/// `kotae serve` on `index` (any free port), logging at `log`, with its events beside it and
/// standard error piped.
fn serve_command(dir: &Path, index: &Path, log: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kotae"));
    cmd.args(["serve", "--index", path_str(index), "--addr", "127.0.0.1:0"])
        .current_dir(dir)
        .env("KOTAE_LOG", log)
        .env("KOTAE_RATE_LIMIT", "0")
        .env("KOTAE_OPERATORS", "tanaka:operator-token-0123456789")
        .env("KOTAE_EVENTS_DB", dir.join("events.sqlite3"))
        .env_remove("KOTAE_CONTENT")
        .env_remove("KOTAE_INDEX")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// Start `kotae serve` on `index` (any free port) and wait until it exits, at most 60 s.
fn serve_until_exit(dir: &Path, index: &Path, env: &[(&str, &Path)]) -> Output {
    let mut cmd = serve_command(dir, index, "warn");
    cmd.stdout(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn kotae serve");
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!("kotae serve kept running on a broken setup: {}", stderr(&out));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// SIGKILL in the middle of `kotae index`: the served generation and `CURRENT` are untouched,
/// the half-written generation is never served, and the next build succeeds and removes it.
#[test]
fn a_build_killed_with_sigkill_leaves_the_served_index_intact_and_the_next_build_works() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    index_sample(dir.path(), &index);
    let served = current(&index);
    let before = search_ids(dir.path(), &index, "返品したい");
    assert!(!before.is_empty());

    // Kill a build as soon as its generation folder appears, then a little later in each
    // attempt, until one was caught in the middle (it always is on the first attempts: the
    // build takes over a second after creating its folder).
    let mut killed_mid_build = None;
    for delay_ms in [0u64, 150, 400, 800] {
        let known = generations(&index);
        let mut child = Command::new(env!("CARGO_BIN_EXE_kotae"))
            .args(["index", "--quiet", "--content", path_str(&sample_content()), "--index", path_str(&index)])
            .env("KOTAE_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let new = loop {
            if let Some(new) = generations(&index).into_iter().find(|g| !known.contains(g)) {
                break Some(new);
            }
            if child.try_wait().unwrap().is_some() || started.elapsed() > Duration::from_secs(60) {
                break None;
            }
            std::thread::sleep(Duration::from_millis(2));
        };
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        if let Some(new) = new
            && !status.success()
            && current(&index) == served
        {
            killed_mid_build = Some((new, status));
            break;
        }
        // The build finished before the kill: start from a clean state for the next attempt.
        let _ = std::fs::remove_file(index.join("CURRENT"));
        index_sample(dir.path(), &index);
    }
    let (leftover, status) = killed_mid_build.expect("a build was killed in the middle");
    assert!(!status.success(), "the build was killed: {status:?}");
    let served = current(&index);
    assert_ne!(leftover, served, "the half-written generation is not served");
    assert!(!index.join(&leftover).join("READY").exists(), "a killed build never marks its generation ready");
    assert!(index.join(&served).join("READY").is_file());
    assert_eq!(search_ids(dir.path(), &index, "返品したい"), before, "the served index answers as before");

    // The next build takes the lock the killed one held (the kernel released it), publishes,
    // and removes the leftover.
    index_sample(dir.path(), &index);
    let after = current(&index);
    assert_ne!(after, served);
    assert!(index.join(&after).join("READY").is_file());
    assert!(!index.join(&leftover).exists(), "the killed build's leftovers are removed: {:?}", generations(&index));
    assert_eq!(search_ids(dir.path(), &index, "返品したい"), before);
}

/// Ways an index folder gets damaged on disk, each applied to a fresh copy of a good index.
fn damaged_index(kind: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    index_sample(dir.path(), &index);
    let generation = index.join(current(&index));
    let tantivy = generation.join("public").join("tantivy");
    let segment_file = |ext: &str| -> PathBuf {
        std::fs::read_dir(&tantivy)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().and_then(|e| e.to_str()) == Some(ext))
            .unwrap_or_else(|| panic!("no .{ext} file in {}", tantivy.display()))
    };
    match kind {
        "missing generation" => std::fs::remove_dir_all(&generation).unwrap(),
        "CURRENT names nothing" => std::fs::write(index.join("CURRENT"), "gen-20000101T000000.000000Z-1\n").unwrap(),
        "CURRENT is garbage" => std::fs::write(index.join("CURRENT"), "\u{0}\u{1}garbage\n").unwrap(),
        "deleted segment file" => std::fs::remove_file(segment_file("idx")).unwrap(),
        "truncated segment file" => {
            let file = segment_file("store");
            let len = std::fs::metadata(&file).unwrap().len();
            std::fs::OpenOptions::new().write(true).open(&file).unwrap().set_len(len / 2).unwrap();
        }
        "truncated meta.json" => {
            let file = tantivy.join("meta.json");
            let text = std::fs::read(&file).unwrap();
            std::fs::write(&file, &text[..text.len() / 2]).unwrap();
        }
        "overwritten bytes inside a segment file" => {
            // The footer stays intact: only the checksum tells.
            let file = segment_file("idx");
            let mut bytes = std::fs::read(&file).unwrap();
            let middle = bytes.len() / 2;
            for b in &mut bytes[middle - 8..middle + 8] {
                *b = !*b;
            }
            std::fs::write(&file, bytes).unwrap();
        }
        "deleted corpus.json" => std::fs::remove_file(generation.join("corpus.json")).unwrap(),
        "truncated corpus.json" => {
            let file = generation.join("corpus.json");
            let text = std::fs::read(&file).unwrap();
            std::fs::write(&file, &text[..text.len() / 3]).unwrap();
        }
        "deleted pages.jsonl" => std::fs::remove_file(generation.join("pages.jsonl")).unwrap(),
        "truncated pages.jsonl" => {
            let file = generation.join("pages.jsonl");
            let len = std::fs::metadata(&file).unwrap().len();
            std::fs::OpenOptions::new().write(true).open(&file).unwrap().set_len(len - 1).unwrap();
        }
        other => panic!("unknown damage {other}"),
    }
    (dir, index)
}

const DAMAGE: [&str; 11] = [
    "missing generation",
    "CURRENT names nothing",
    "CURRENT is garbage",
    "deleted segment file",
    "truncated segment file",
    "truncated meta.json",
    "overwritten bytes inside a segment file",
    "deleted corpus.json",
    "truncated corpus.json",
    "deleted pages.jsonl",
    "truncated pages.jsonl",
];

/// `kotae serve` on a damaged index with no other generation and no content folder to rebuild
/// from refuses to start, says what is wrong and how to fix it, and `kotae index` does fix it.
#[test]
fn serve_refuses_a_damaged_index_and_says_to_run_kotae_index() {
    for kind in DAMAGE {
        if kind == "CURRENT is garbage" {
            continue; // the generation it should name is served (`serve_falls_back_…`)
        }
        let (dir, index) = damaged_index(kind);
        let out = serve_until_exit(dir.path(), &index, &[]);
        let err = stderr(&out);
        assert!(!out.status.success(), "{kind}: kotae serve must not start: {err}");
        assert!(!err.contains("panicked"), "{kind}: a clear error, not a panic: {err}");
        assert!(err.contains("kotae index"), "{kind}: the message says to run `kotae index`: {err}");
        assert!(err.contains(path_str(&index)), "{kind}: the message names the index folder: {err}");

        // The fix works: a new build publishes a good generation, which serves.
        index_sample(dir.path(), &index);
        assert!(!search_ids(dir.path(), &index, "送料はいくら").is_empty(), "{kind}: searchable again");
    }
}

/// A `kotae serve` started on `index` with `args` (any free port): the child, and its address
/// once it listens, with what it printed until then.
fn serve_started(dir: &Path, index: &Path, args: &[&str]) -> (std::process::Child, String, String) {
    use std::io::BufRead;
    let mut child = serve_command(dir, index, "info").args(args).spawn().expect("spawn kotae serve");
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    // Read to the end: a service whose standard error is closed dies at its next log line.
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut said = String::new();
    let marker = "serving the help center at http://";
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) {
        said.push_str(&line);
        said.push('\n');
        if let Some(at) = line.find(marker) {
            let addr = line[at + marker.len()..].split('/').next().unwrap().to_string();
            return (child, addr, said);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("kotae serve did not start: {said}");
}

/// The generation `/healthz` of the service at `addr` names.
fn served_generation(addr: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {response}"));
    v["generation"].as_str().unwrap().to_string()
}

/// `kotae serve` when `CURRENT`'s generation is damaged and the one before it is kept: it
/// serves the one before (published again), and says so loudly, naming the damaged file.
#[test]
fn serve_falls_back_to_the_previous_generation_when_the_current_one_is_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    index_sample(dir.path(), &index);
    let older = current(&index);
    index_sample(dir.path(), &index);
    let newer = current(&index);
    let idx = std::fs::read_dir(index.join(&newer).join("public").join("tantivy"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .unwrap();
    let mut bytes = std::fs::read(&idx).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&idx, bytes).unwrap();

    let (mut child, addr, said) = serve_started(dir.path(), &index, &[]);
    let generation = served_generation(&addr);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(generation, older, "{said}");
    assert_eq!(current(&index), older);
    let file = idx.file_name().unwrap().to_str().unwrap();
    assert!(said.contains("ROLLED BACK") && said.contains(file) && said.contains("checksum mismatch"), "{said}");

    // A garbage CURRENT, with the only generation good: that generation is served.
    let (dir, index) = damaged_index("CURRENT is garbage");
    let only = generations(&index);
    let (mut child, addr, said) = serve_started(dir.path(), &index, &[]);
    let generation = served_generation(&addr);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(vec![generation], only, "{said}");
    assert!(said.contains("ROLLED BACK"), "{said}");
}

/// `kotae serve` when no generation opens and the content is there: rebuilt from the content,
/// as for an index of another version.
#[test]
fn serve_rebuilds_a_damaged_index_from_the_content_when_no_generation_opens() {
    let (dir, index) = damaged_index("truncated segment file");
    let damaged = current(&index);
    let content = sample_content();
    let (mut child, addr, said) = serve_started(dir.path(), &index, &["--content", path_str(&content)]);
    let generation = served_generation(&addr);
    let _ = child.kill();
    let _ = child.wait();
    assert_ne!(generation, damaged, "{said}");
    assert!(said.contains("a damaged index") && said.contains("building it from"), "{said}");
    assert!(!search_ids(dir.path(), &index, "送料はいくら").is_empty());
}

/// `kotae search` on a damaged index: the same clear refusal, never wrong results or a panic.
#[test]
fn search_refuses_a_damaged_index_and_says_to_run_kotae_index() {
    for kind in DAMAGE {
        let (dir, index) = damaged_index(kind);
        let out = kotae(dir.path(), &["search", "--json", "--index", path_str(&index), "--", "送料はいくら"]);
        let err = stderr(&out);
        assert!(!out.status.success(), "{kind}: search must fail: {}", stdout(&out));
        assert!(!err.contains("panicked"), "{kind}: {err}");
        assert!(err.contains("kotae index"), "{kind}: {err}");
    }
}

/// No dictionary (an empty `KOTAE_MECAB_DIR` and an empty cache): every command that needs it
/// stops with a non-zero status and a message naming the fix.
#[test]
fn a_missing_dictionary_is_a_clear_error_naming_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("no-ipadic");
    let cache = dir.path().join("fresh-cache");
    std::fs::create_dir_all(&empty).unwrap();
    let env = [("KOTAE_MECAB_DIR", empty.as_path()), ("KOTAE_DICT_CACHE", cache.as_path())];
    let index = dir.path().join("index");
    index_sample(dir.path(), &index);
    let served = current(&index);
    let content = sample_content();
    let runs: Vec<(&str, Output)> = vec![
        ("index", kotae_with(dir.path(), &["index", "--quiet", "--content", path_str(&content), "--index", path_str(&index)], &env)),
        ("search", kotae_with(dir.path(), &["search", "--index", path_str(&index), "返品"], &env)),
        ("serve", serve_until_exit(dir.path(), &index, &env)),
    ];
    for (name, out) in runs {
        let err = stderr(&out);
        assert!(!out.status.success(), "{name}: must fail without a dictionary");
        assert_ne!(out.status.code(), Some(101), "{name}: an error, not a panic: {err}");
        assert!(err.contains(path_str(&empty)), "{name}: names the folder it looked in: {err}");
        assert!(err.contains("mecab-ipadic") && err.contains("KOTAE_MECAB_DIR"), "{name}: names the fix: {err}");
    }
    assert_eq!(current(&index), served, "nothing was published");
    assert_eq!(generations(&index), vec![served]);
}

#[test]
fn a_missing_file_is_named_with_its_error_once() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    index_sample(dir.path(), &index);
    let queries = dir.path().join("queries.jsonl");
    std::fs::write(&queries, "{\"qid\": \"1\", \"text\": \"返品\"}\n").unwrap();
    let missing = dir.path().join("missing.tsv");
    let out = kotae(dir.path(), &["eval", "--index", path_str(&index), "--queries", path_str(&queries), "--qrels", path_str(&missing)]);
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(err.contains(path_str(&missing)), "names the file: {err}");
    assert_eq!(err.matches("(os error 2)").count(), 1, "the OS error once, not repeated by the error chain: {err}");
}

/// `kotae serve` keeps serving when its standard error is closed (the pipe to a log collector
/// gone): a log line it cannot write is lost, the service is not.
#[test]
fn serve_keeps_serving_when_its_standard_error_is_closed() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    index_sample(dir.path(), &index);
    let mut child = serve_command(dir.path(), &index, "info").spawn().expect("spawn kotae serve");
    let marker = "serving the help center at http://";
    let mut reader = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let addr = loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            let _ = child.kill();
            panic!("kotae serve did not start");
        }
        if let Some(at) = line.find(marker) {
            break line[at + marker.len()..].split('/').next().unwrap().to_string();
        }
    };
    drop(reader);
    // A new generation: the service logs that it serves it, into the closed pipe.
    let before = served_generation(&addr);
    index_sample(dir.path(), &index);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let mut now = before.clone();
    while now == before && std::time::Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(100));
        now = served_generation(&addr);
    }
    let exited = child.try_wait().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(exited.is_none(), "the service exited ({exited:?}) when it could not write a log line");
    assert_ne!(now, before, "and switched to the new generation");
}
