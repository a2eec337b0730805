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
