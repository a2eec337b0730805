//! Meaning for writers (issue #18): `kotae check` warns when two public pages ask the same
//! question, and `kotae report` groups unanswered searches that ask the same thing. With the
//! embedding model only (`tools/fetch-model.sh`); without it these tests say so and pass, and
//! both commands still work.

use std::path::Path;

use crate::meaning::model_present;
use crate::util::{copy_dir, kotae, repo, sample_content, sample_index, stderr, stdout};

#[test]
fn check_warns_when_two_pages_ask_the_same_question() {
    let sample = kotae(&repo(), &["check", "--content", sample_content().to_str().unwrap()]);
    assert!(sample.status.success(), "{}", stderr(&sample));
    assert!(!stdout(&sample).contains("asks the same question"), "the sample has no duplicates: {}", stdout(&sample));
    if !model_present() {
        assert!(stderr(&sample).contains("pages asking the same question were not looked for"), "{}", stderr(&sample));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    copy_dir(&sample_content(), &content);
    // Another writer adds the question of orders/cancel.md again, in other words.
    std::fs::write(
        content.join("orders/cancel-again.md"),
        "---\ntitle: 送料はいくらかかりますか？\ncategory: orders\naliases:\n  - 注文を取り消せますか\n  - 注文をキャンセルしたい\n---\n注文履歴から取り消せます。\n",
    )
    .unwrap();
    let out = kotae(&repo(), &["check", "--content", content.to_str().unwrap()]);
    assert!(out.status.success(), "a warning, not an error: {}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("asks the same question")).collect();
    let cancel = lines.iter().find(|l| l.contains("orders/cancel.md") && l.contains("orders/cancel-again.md"));
    let cancel = cancel.unwrap_or_else(|| panic!("a warning naming both pages: {text}"));
    assert!(cancel.contains(": warning: "), "{cancel}");
    assert!(cancel.contains("「注文をキャンセルしたい」"), "{cancel}");
    let fee = lines.iter().find(|l| l.contains("shipping/fee.md") && l.contains("orders/cancel-again.md"));
    let fee = fee.unwrap_or_else(|| panic!("its title asks shipping/fee.md's question: {text}"));
    assert!(fee.starts_with(&format!("{}:2: warning: ", content.join("orders/cancel-again.md").display())), "the title's line: {fee}");
    assert_eq!(lines.len(), 2, "{text}");
}

/// An events database with unanswered searches, an hour old: (query, how many times).
fn unanswered_log(dir: &Path, queries: &[(&str, usize)]) -> std::path::PathBuf {
    let db = dir.join("events.sqlite3");
    let store = kotae_events::Store::open(&db).unwrap();
    let ts = kotae_events::now() - 3_600;
    let mut events = Vec::new();
    for (query, times) in queries {
        for _ in 0..*times {
            events.push(kotae_events::Event::Search(kotae_events::Search {
                id: format!("u{}", events.len()),
                ts,
                session: None,
                prev: None,
                query: query.to_string(),
                normalized: query.to_string(),
                source: "help".into(),
                audience: "public".into(),
                hits: 0,
                top_ids: Vec::new(),
                latency_ms: 1,
            }));
        }
    }
    store.record_all(&events).unwrap();
    db
}

#[test]
fn report_groups_unanswered_searches_that_ask_the_same_thing() {
    let dir = tempfile::tempdir().unwrap();
    let queries = [("駐車場はありますか", 5), ("領収書を発行してほしい", 4), ("お店に駐車場ありますか", 3), ("駐車できる場所", 2)];
    let db = unanswered_log(dir.path(), &queries);
    let index = sample_index().join("index");
    let args = ["report", "--events", db.to_str().unwrap(), "--index", index.to_str().unwrap()];
    let out = kotae(&repo(), &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    if !model_present() {
        assert!(stderr(&out).contains("not grouped by meaning"), "{}", stderr(&out));
        return;
    }
    let group = "この 10 件の検索は同じことを聞いています（3 通りの言い方）: 駐車場はありますか / お店に駐車場ありますか / 駐車できる場所";
    assert!(text.contains(group), "{text}");
    assert!(!text.contains("件の検索は同じことを聞いています（1"), "no group of one query: {text}");
    let after = &text[text.find(group).unwrap() + group.len()..];
    assert!(after.trim_start().starts_with("近い FAQ: "), "the nearest FAQ: {after}");

    let csv = stdout(&kotae(&repo(), &[&args[..], &["--format", "csv", "--report", "meaning_groups"]].concat()));
    assert!(csv.contains("10,3,駐車場はありますか | お店に駐車場ありますか | 駐車できる場所,"), "{csv}");
    assert!(!csv.contains("領収書"), "an unrelated search is not in the group: {csv}");
}
