//! The help page and the agents' console in a real browser: `tests/browser/run.mjs` (node:test
//! and playwright-core driving Debian's headless Chromium) against `kotae serve` on a fresh
//! index of the sample corpus. Needs node, npm and /usr/bin/chromium, which `.ci/setup`
//! installs; without them this test fails rather than being skipped.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::repo;

/// The browser run stops itself sooner (run.mjs gives up after 240 s); this is the last resort.
const LIMIT: Duration = Duration::from_secs(300);

const CHROMIUM: &str = "/usr/bin/chromium";

fn found(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Run `cmd` with its output captured; kill it after `limit`. Returns (success, output).
fn run(mut cmd: Command, limit: Duration) -> (bool, String) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the command");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the command") {
            break Some(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = format!("{}{}", out.join().unwrap_or_default(), err.join().unwrap_or_default());
    match status {
        Some(s) => (s.success(), output),
        None => (false, format!("{output}\n(killed after {} s)", limit.as_secs())),
    }
}

#[test]
fn help_page_and_console_in_chromium() {
    let dir = repo().join("tests/browser");
    assert!(found("node"), "node is missing: run `.ci/setup` (it installs nodejs, npm and chromium)");
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: run `.ci/setup` (it installs chromium for the browser tests)"
    );
    if !dir.join("node_modules/playwright-core/package.json").exists() {
        assert!(found("npm"), "npm is missing: run `.ci/setup`");
        let mut npm = Command::new("npm");
        npm.args(["ci", "--no-audit", "--no-fund"]).current_dir(&dir);
        let (ok, output) = run(npm, Duration::from_secs(300));
        assert!(ok, "`npm ci` in tests/browser failed:\n{output}");
    }
    let mut node = Command::new("node");
    node.arg("run.mjs")
        .current_dir(&dir)
        .env("KOTAE_BIN", env!("CARGO_BIN_EXE_kotae"))
        .env_remove("KOTAE_BROWSER_URL")
        .env_remove("NODE_OPTIONS");
    let start = Instant::now();
    let (ok, output) = run(node, LIMIT);
    assert!(ok, "the browser tests failed (screenshots in tests/browser/artifacts/):\n{output}");
    eprintln!("browser tests passed in {:.1} s", start.elapsed().as_secs_f64());
}
