//! The command line contract other tools depend on.

use crate::util::{kotae, repo, sample_content, sample_index, stdout};

#[test]
fn check_passes_on_the_sample_corpus() {
    let out = kotae(&repo(), &["check", "--content", sample_content().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(!stdout(&out).lines().any(|l| !l.contains(": warning: ")), "only warnings allowed: {}", stdout(&out));
}

#[test]
fn search_json_has_the_documented_shape() {
    let index = sample_index().join("index");
    let out = kotae(&repo(), &["search", "--json", "--index", index.to_str().unwrap(), "--limit", "2", "返品"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert!(v["total"].as_u64().unwrap() >= 2);
    let hits = v["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 2);
    for key in ["id", "title", "category", "score", "snippet", "section"] {
        assert!(hits[0].get(key).is_some(), "missing {key}: {}", hits[0]);
    }
    assert!(hits[0]["section"].is_null(), "a public FAQ hit has no section");
    assert!(hits[0]["score"].as_f64().unwrap() > 0.0);
}

#[test]
fn search_without_an_index_says_how_to_build_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = kotae(dir.path(), &["search", "返品"]);
    assert!(!out.status.success());
    assert!(crate::util::stderr(&out).contains("kotae index"), "{}", crate::util::stderr(&out));
}

#[test]
fn unknown_audience_is_refused() {
    let index = sample_index().join("index");
    let out = kotae(&repo(), &["search", "--index", index.to_str().unwrap(), "--audience", "everyone", "返品"]);
    assert!(!out.status.success());
    assert!(crate::util::stderr(&out).contains("--audience must be public, internal or all"));
}

/// `kotae search --explain` reorders as the help page does and says why: five clients whose
/// question 「届かない」 the delivery-status page resolved put it first; `--no-learned` gives
/// the plain ranking back.
#[test]
fn search_explain_shows_the_learned_boost_and_its_evidence() {
    let index = sample_index().join("index");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.sqlite3");
    let store = kotae_events::Store::open(&db).unwrap();
    let now = kotae_events::now();
    let mut events = Vec::new();
    for c in 0..5 {
        let id = format!("cli{c}");
        events.push(kotae_events::Event::Search(kotae_events::Search {
            id: id.clone(),
            ts: now - 60,
            session: None,
            prev: None,
            query: "届かない".into(),
            normalized: "届かない".into(),
            source: "help".into(),
            audience: "public".into(),
            hits: 10,
            top_ids: Vec::new(),
            latency_ms: 1,
        }));
        events.push(kotae_events::Event::Click {
            ts: now - 50,
            session: None,
            search_id: Some(id),
            article: "shipping/tracking".into(),
            rank: 9,
            query: None,
            client: Some(format!("client{c}")),
        });
    }
    store.record_all(&events).unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["search", "--index", index.to_str().unwrap(), "--events", db.to_str().unwrap(), "--limit", "20"];
        args.extend_from_slice(extra);
        args.push("届かない");
        stdout(&kotae(&repo(), &args))
    };
    let plain = run(&["--no-learned"]);
    assert!(!plain.starts_with(" 1. 商品がまだ届きません"), "{plain}");
    let learned = run(&["--explain"]);
    assert!(learned.starts_with(" 1. 商品がまだ届きません"), "{learned}");
    let line = learned.lines().find(|l| l.starts_with("learned: shipping/tracking")).unwrap_or_else(|| panic!("{learned}"));
    assert!(line.contains("5 client(s), evidence 15.00: boost +75% of the best score; rank "), "{line}");
    assert!(line.ends_with(" -> 1"), "{line}");
}

/// `kotae … | head` closes the pipe early: the command stops quietly (status 141, as after
/// SIGPIPE), with no panic on standard error.
#[test]
fn a_closed_output_pipe_is_not_a_panic() {
    use std::process::{Command, Stdio};
    let index = sample_index().join("index");
    let mut child = Command::new(env!("CARGO_BIN_EXE_kotae"))
        .args(["search", "--limit", "50", "--index", index.to_str().unwrap(), "--", "返品"])
        .current_dir(repo())
        .env("KOTAE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kotae");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(141), "{stderr}");
}
