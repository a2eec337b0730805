//! Ranking quality stays where it was measured, and any change of ranking is a reviewed diff.
//!
//! - Floors: MRR@10 and Recall@5 of the sample's held-out and tuning halves, and of wiki-qa
//!   (`../shared/eval/wiki-qa`), each at most 0.02 below the value measured when it was set
//!   (docs/relevance.md has the figures).
//! - Pins: the top 3 of every held-out query are in `tests/relevance/heldout_top3.tsv`. A
//!   ranking change fails the test with the queries that moved; after review, refresh the file
//!   with `KOTAE_BLESS=1 cargo test --test integration relevance` and commit the diff.

use std::path::Path;

use crate::util::{kotae, repo, sample_index, stderr, stdout};

fn eval(index: &Path, queries: &Path, qrels: &Path) -> serde_json::Value {
    let out = kotae(
        &repo(),
        &["eval", "--json", "--index", index.to_str().unwrap(), "--queries", queries.to_str().unwrap(), "--qrels", qrels.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("eval --json prints JSON")
}

fn sample_eval(queries: &str) -> serde_json::Value {
    let dir = repo().join("tests/relevance");
    eval(&sample_index().join("index"), &dir.join(queries), &dir.join("qrels.tsv"))
}

/// Fails with every metric below its floor.
fn assert_floors(name: &str, metrics: &serde_json::Value, floors: &[(&str, f64)]) {
    let below: Vec<String> = floors
        .iter()
        .filter_map(|(metric, floor)| {
            let value = metrics[metric].as_f64().unwrap_or(0.0);
            (value < *floor).then(|| format!("{metric} {value:.4} < {floor}"))
        })
        .collect();
    assert!(below.is_empty(), "{name}: {}", below.join(", "));
}

#[test]
fn held_out_queries_stay_at_their_measured_quality() {
    let report = sample_eval("heldout.jsonl");
    let m = &report["metrics"];
    assert!(m["queries"].as_u64().unwrap() >= 100, "{m}");
    // Measured on the public index: MRR@10 0.9682, Recall@5 0.9931 with the model; 0.9400 and
    // 0.9931 lexical only (the floors hold for both).
    assert_floors("held-out", m, &[("mrr_at_10", 0.937), ("recall_at_5", 0.973)]);
    pinned_top3(&report);
}

#[test]
fn tuning_queries_stay_at_their_measured_quality() {
    let report = sample_eval("tuning.jsonl");
    // Measured on the public index: MRR@10 0.9470, Recall@5 0.9965 with the model; 0.9195 and
    // 0.9826 lexical only (the floors hold for both).
    assert_floors("tuning", &report["metrics"], &[("mrr_at_10", 0.915), ("recall_at_5", 0.97)]);
}

#[test]
fn wiki_qa_stays_at_its_measured_quality() {
    let eval_dir = repo().join("../shared/eval/wiki-qa");
    assert!(eval_dir.join("corpus.jsonl").is_file(), "{} is missing: the shared evaluation material is part of CI", eval_dir.display());
    let work = tempfile::tempdir().unwrap();
    let content = work.path().join("content");
    let index = work.path().join("index");
    let corpus = eval_dir.join("corpus.jsonl");
    let out = kotae(&repo(), &["import", "--format", "jsonl", corpus.to_str().unwrap(), "--out", content.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = kotae(&repo(), &["index", "--quiet", "--content", content.to_str().unwrap(), "--index", index.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let report = eval(&index, &eval_dir.join("queries.jsonl"), &eval_dir.join("qrels.tsv"));
    // Measured: MRR@10 0.9056, Recall@5 0.965 (0.9050 lexical only).
    assert_floors("wiki-qa", &report["metrics"], &[("mrr_at_10", 0.883), ("recall_at_5", 0.946)]);
}

/// The top 3 of each held-out query, as `qid<TAB>query<TAB>first<TAB>second<TAB>third` lines.
fn top3_lines(report: &serde_json::Value) -> String {
    let mut out = String::from("# qid\tquery\ttop 3 (refresh: KOTAE_BLESS=1 cargo test --test integration relevance)\n");
    for o in report["outcomes"].as_array().expect("outcomes") {
        let ranked: Vec<&str> = o["ranked"].as_array().unwrap().iter().take(3).map(|r| r.as_str().unwrap()).collect();
        out.push_str(&format!("{}\t{}\t{}\n", o["qid"].as_str().unwrap(), o["text"].as_str().unwrap(), ranked.join("\t")));
    }
    out
}

fn pinned_top3(report: &serde_json::Value) {
    let path = repo().join("tests/relevance/heldout_top3.tsv");
    let now = top3_lines(report);
    if std::env::var_os("KOTAE_BLESS").is_some() {
        std::fs::write(&path, &now).unwrap();
        return;
    }
    let pinned = std::fs::read_to_string(&path).unwrap_or_default();
    let moved: Vec<String> = pinned
        .lines()
        .zip(now.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("  pinned: {a}\n  now:    {b}"))
        .collect();
    assert!(
        moved.is_empty() && pinned.lines().count() == now.lines().count(),
        "{} held-out rankings changed (review, then refresh with KOTAE_BLESS=1):\n{}",
        moved.len().max(1),
        moved.join("\n")
    );
}

#[test]
fn every_judged_page_exists_in_the_sample_corpus() {
    let qrels = std::fs::read_to_string(repo().join("tests/relevance/qrels.tsv")).unwrap();
    for line in qrels.lines().filter(|l| !l.is_empty()) {
        let doc = line.split('\t').nth(1).expect("doc column");
        assert!(repo().join("content").join(format!("{doc}.md")).is_file(), "{line}");
    }
}
