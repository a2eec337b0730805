//! A broken content file is reported as `path:line: message`, and the serving index survives.

use std::fs;

use crate::util::{copy_dir, kotae, sample_content, stderr, stdout};

fn current(index: &std::path::Path) -> String {
    fs::read_to_string(index.join("CURRENT")).expect("CURRENT exists")
}

#[test]
fn a_broken_file_fails_the_build_with_its_line_and_keeps_the_old_index() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&sample_content(), &dir.path().join("content"));
    let ok = kotae(dir.path(), &["index", "--quiet"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let before = current(&dir.path().join("index"));

    // Break three files in three ways.
    let faq = dir.path().join("content/orders/cancel.md");
    let text = fs::read_to_string(&faq).unwrap();
    fs::write(&faq, text.replacen("title:", "title: [unclosed", 1)).unwrap();
    fs::write(
        dir.path().join("content/shipping/new-page.md"),
        "---\ncategory: shipping\nrelated: [shipping/fee, shipping/nowhere]\n---\n本文です。\n",
    )
    .unwrap();
    fs::write(dir.path().join("content/shipping/no-front-matter.md"), "# 見出しだけ\n").unwrap();

    let out = kotae(dir.path(), &["index", "--quiet"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("content/orders/cancel.md:2: front matter:"), "{err}");
    assert!(err.contains("content/shipping/new-page.md:1: missing `title`: the question as customers ask it"), "{err}");
    assert!(err.contains("content/shipping/new-page.md:3: unknown related id `shipping/nowhere`"), "{err}");
    assert!(err.contains("content/shipping/no-front-matter.md:1: missing front matter"), "{err}");
    assert!(err.contains("the index was not changed"), "{err}");

    // The previous index is still the one served, and it still answers.
    assert_eq!(current(&dir.path().join("index")), before);
    let search = kotae(dir.path(), &["search", "--json", "キャンセル"]);
    assert!(search.status.success(), "{}", stderr(&search));
    assert!(stdout(&search).contains("orders/cancel"));

    // `check` reports the same problems and exits 1.
    let check = kotae(dir.path(), &["check"]);
    assert_eq!(check.status.code(), Some(1));
    assert!(stdout(&check).contains("content/shipping/new-page.md:3: unknown related id `shipping/nowhere`"));
}

#[test]
fn a_duplicate_id_is_reported_at_the_id_line() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&sample_content(), &dir.path().join("content"));
    fs::write(
        dir.path().join("content/orders/copy.md"),
        "---\nid: orders/cancel\ntitle: 複製\ncategory: orders\n---\n本文\n",
    )
    .unwrap();
    let check = kotae(dir.path(), &["check"]);
    assert_eq!(check.status.code(), Some(1));
    let out = stdout(&check);
    assert!(
        out.contains("content/orders/copy.md:2: duplicate id `orders/cancel`: content/orders/cancel.md uses it too"),
        "{out}"
    );
}

#[test]
fn a_rebuild_publishes_a_new_generation_and_removes_old_ones() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&sample_content(), &dir.path().join("content"));
    let index = dir.path().join("index");
    let mut seen = Vec::new();
    for _ in 0..4 {
        let out = kotae(dir.path(), &["index", "--quiet"]);
        assert!(out.status.success(), "{}", stderr(&out));
        seen.push(current(&index));
    }
    seen.dedup();
    assert_eq!(seen.len(), 4, "every build publishes a new generation");
    let generations = fs::read_dir(&index)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("gen-"))
        .count();
    assert_eq!(generations, 2, "the served generation and one previous one are kept");
}

#[test]
fn watch_mode_rebuilds_when_content_changes_and_survives_a_broken_save() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&sample_content(), &dir.path().join("content"));
    let index = dir.path().join("index");
    let mut watcher = Watcher::start(dir.path());
    let mut wait_for = |what: &str, matches: &dyn Fn(&str) -> bool| watcher.wait_for(what, matches);
    wait_for("watching", &|l| l.starts_with("watching "));
    let first = fs::read_to_string(index.join("CURRENT")).ok();
    // A broken save is reported at its line, and not published; the fix that follows is.
    let page = dir.path().join("content/shipping/fee.md");
    let good = fs::read_to_string(&page).unwrap();
    fs::write(&page, "---\ntitle: [broken\n").unwrap();
    wait_for("the broken file at its line", &|l| l.contains("shipping/fee.md:"));
    wait_for("that the index was kept", &|l| l.contains("the index was not changed"));
    let after_broken = fs::read_to_string(index.join("CURRENT")).ok();
    fs::write(&page, good.replace("送料はいくらですか？", "送料について教えてください")).unwrap();
    wait_for("the rebuild", &|l| l.starts_with("indexed "));
    let second = fs::read_to_string(index.join("CURRENT")).ok();
    watcher.stop();

    assert!(first.is_some(), "the first build published an index");
    assert_eq!(after_broken, first, "a broken save does not replace the served index");
    assert!(second.is_some() && second != first, "the fixed save was rebuilt and published");
    let out = kotae(dir.path(), &["search", "--json", "送料について教えてください"]);
    assert!(stdout(&out).contains("送料について教えてください"), "{}", stdout(&out));
}

#[test]
fn watch_mode_prints_an_unchanged_warning_once() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    fs::create_dir_all(content.join("orders")).unwrap();
    fs::write(content.join("categories.yml"), "- id: orders\n  name: ご注文\n").unwrap();
    fs::write(
        content.join("orders/old.md"),
        "---\ntitle: 古いページ\ncategory: orders\nreview_by: 2020-01-01\n---\n見直しが必要です。\n",
    )
    .unwrap();
    let other = content.join("orders/cancel.md");
    let text = "---\ntitle: 注文をキャンセルしたい\ncategory: orders\n---\n注文履歴から取り消せます。\n";
    fs::write(&other, text).unwrap();
    let mut watcher = Watcher::start(dir.path());
    let mut wait_for = |what: &str, matches: &dyn Fn(&str) -> bool| watcher.wait_for(what, matches);
    wait_for("watching", &|l| l.starts_with("watching "));
    for n in 0..2 {
        // An unrelated file is saved again, unchanged in meaning.
        fs::write(&other, format!("{text}{}", "\n".repeat(n + 1))).unwrap();
        wait_for("the rebuild", &|l| l.starts_with("indexed "));
    }
    let seen = watcher.stop();
    let warned = seen.iter().filter(|l| l.contains("old.md:4: warning: review date 2020-01-01 has passed")).count();
    assert_eq!(warned, 1, "the warning is printed once:\n{}", seen.join("\n"));
    assert!(seen.iter().any(|l| l.contains("unchanged warning(s) not repeated")), "{}", seen.join("\n"));
}

/// `kotae index --watch --quiet` running in a folder, and what it reports on stderr.
struct Watcher {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    /// The lines read so far.
    seen: Vec<String>,
}

impl Watcher {
    fn start(dir: &std::path::Path) -> Self {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let mut child = Command::new(env!("CARGO_BIN_EXE_kotae"))
            .args(["index", "--watch", "--quiet"])
            .current_dir(dir)
            .env("KOTAE_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = std::sync::mpsc::channel::<String>();
        let stderr_pipe = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr_pipe).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watcher { child, lines, seen: Vec::new() }
    }

    /// Read lines until one `matches`, or fail after a minute with everything it said.
    fn wait_for(&mut self, what: &str, matches: &dyn Fn(&str) -> bool) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = matches(&line);
                    self.seen.push(line);
                    if found {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("the watcher never reported {what}; it said:\n{}", self.seen.join("\n"));
    }

    /// Stop it; the lines it said.
    fn stop(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::take(&mut self.seen)
    }
}
