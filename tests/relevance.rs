//! Ranking quality on the held-out half of the customer query collection stays above its floors.

use crate::util::{kotae, repo, sample_index, stderr, stdout};

fn eval(queries: &str) -> serde_json::Value {
    let index = sample_index().join("index");
    let out = kotae(
        &repo(),
        &[
            "eval",
            "--json",
            "--index",
            index.to_str().unwrap(),
            "--queries",
            &format!("tests/relevance/{queries}"),
            "--qrels",
            "tests/relevance/qrels.tsv",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).expect("eval --json prints JSON")
}

#[test]
fn held_out_queries_meet_the_targets() {
    let report = eval("heldout.jsonl");
    let m = &report["metrics"];
    assert!(m["queries"].as_u64().unwrap() >= 100, "{m}");
    let recall5 = m["recall_at_5"].as_f64().unwrap();
    let mrr = m["mrr_at_10"].as_f64().unwrap();
    assert!(recall5 >= 0.95, "Recall@5 {recall5:.4} < 0.95");
    assert!(mrr >= 0.85, "MRR@10 {mrr:.4} < 0.85");
}

#[test]
fn every_judged_page_exists_in_the_sample_corpus() {
    let qrels = std::fs::read_to_string(repo().join("tests/relevance/qrels.tsv")).unwrap();
    for line in qrels.lines().filter(|l| !l.is_empty()) {
        let doc = line.split('\t').nth(1).expect("doc column");
        assert!(repo().join("content").join(format!("{doc}.md")).is_file(), "{line}");
    }
}
