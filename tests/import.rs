//! `kotae import`: records from another FAQ tool become a content folder that checks, indexes
//! and answers; bad records are reported as `file:line: message` and skipped.

use std::fs;

use crate::util::{kotae, stderr, stdout};

/// Search an index with `kotae search --json` and return the ids of the hits.
fn hit_ids(dir: &std::path::Path, index: &str, query: &str) -> Vec<String> {
    let out = kotae(dir, &["search", "--json", "--index", index, "--", query]);
    assert!(out.status.success(), "search {query:?} failed: {}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("search --json prints JSON");
    v["hits"].as_array().expect("hits").iter().map(|h| h["id"].as_str().unwrap().to_string()).collect()
}

#[test]
fn jsonl_and_csv_imports_check_index_and_answer() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::write(
        root.join("faq.jsonl"),
        concat!(
            r#"{"id": "gift-wrapping", "title": "ギフト包装はできますか", "body": "ご注文手続きの画面で「ギフト包装」を選ぶと、のし紙とリボンをお付けします。", "tags": ["ギフト", "ラッピング"], "aliases": ["プレゼント用に包んでほしい"]}"#,
            "\n",
            r#"{"id": "no-title", "body": "タイトルのない記録です。"}"#,
            "\n",
            r#"{"id": "Store Hours", "title": "店舗の営業時間を知りたい", "body": "店舗は毎日10時から20時まで営業しています。", "category": "stores"}"#,
            "\n",
        ),
    )
    .unwrap();
    fs::write(
        root.join("faq.csv"),
        concat!(
            "id,title,body,category,tags,aliases,audience\n",
            "warranty,保証期間はどのくらいですか,\"家電製品の保証期間は、お届けから1年間です。\n\n保証書は, 箱の中にあります。\",stores,保証|修理,保証書をなくした,\n",
            "ops/warranty-desk,保証の受付手順,\"## 受付\n保証書の日付を確認します。\",,,,internal\n",
            "ops/memo,社内メモ,本文です。,,,,staff\n",
        ),
    )
    .unwrap();

    let out = kotae(root, &["import", "--format", "jsonl", "faq.jsonl", "--out", "content"]);
    assert_eq!(out.status.code(), Some(1), "one record is bad: {}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("faq.jsonl:2: missing `title`: every record needs `id`, `title` and `body`\n"), "{err}");
    assert!(err.contains("faq.jsonl:3: note: id `Store Hours` is not a usable page id: written as `store-hours`"), "{err}");
    assert!(err.contains("3 record(s) read, 2 written, 1 skipped"), "{err}");

    let out = kotae(root, &["import", "faq.csv", "--out", "content"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("faq.csv:7: unknown audience `staff`: use `public` or `internal`\n"), "{err}");
    assert!(err.contains("3 record(s) read, 2 written, 1 skipped"), "{err}");

    let page = fs::read_to_string(root.join("content/warranty.md")).unwrap();
    assert!(page.starts_with("---\ntitle: 保証期間はどのくらいですか\ncategory: stores\n"), "{page}");
    assert!(page.ends_with("---\n家電製品の保証期間は、お届けから1年間です。\n\n保証書は, 箱の中にあります。\n"), "{page}");
    assert!(root.join("content/gift-wrapping.md").is_file());
    assert!(root.join("content/store-hours.md").is_file());
    let manual = fs::read_to_string(root.join("content/ops/warranty-desk.md")).unwrap();
    assert_eq!(manual, "---\ntitle: 保証の受付手順\naudience: internal\n---\n## 受付\n保証書の日付を確認します。\n");
    let categories = fs::read_to_string(root.join("content/categories.yml")).unwrap();
    assert!(categories.contains("- id: imported\n  name: その他\n"), "{categories}");
    assert!(categories.contains("- id: stores\n  name: Stores\n"), "{categories}");

    // Importing again refuses to replace the pages.
    let again = kotae(root, &["import", "faq.jsonl", "--out", "content"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("already exists: use --overwrite to replace it"), "{}", stderr(&again));
    assert!(stderr(&again).contains("0 written"), "{}", stderr(&again));

    let check = kotae(root, &["check", "--content", "content"]);
    assert_eq!(check.status.code(), Some(0), "{}{}", stdout(&check), stderr(&check));
    assert!(stderr(&check).contains("checked 4 pages"), "{}", stderr(&check));
    assert!(stderr(&check).contains("0 error(s), 0 warning(s)"), "{}", stderr(&check));

    let index = kotae(root, &["index", "--quiet", "--content", "content", "--index", "index"]);
    assert!(index.status.success(), "{}", stderr(&index));
    assert_eq!(hit_ids(root, "index", "ギフト包装").first().map(String::as_str), Some("gift-wrapping"));
    assert_eq!(hit_ids(root, "index", "保証書をなくした").first().map(String::as_str), Some("warranty"));
    assert!(hit_ids(root, "index", "営業時間").contains(&"store-hours".to_string()));
}

#[test]
fn a_file_of_unknown_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("faq.txt"), "id,title,body\n").unwrap();
    let out = kotae(dir.path(), &["import", "faq.txt", "--out", "content"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("add --format jsonl or --format csv"), "{}", stderr(&out));
    assert!(!dir.path().join("content").exists());
}
