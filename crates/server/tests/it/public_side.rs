//! The public side cannot see the internal manual: every public endpoint answers the same with
//! and without `content/manual/` (issue 17, item 8). Before the public index had its own
//! statistics and lexicon, typing the kana of a manual-only word moved public results and
//! confidence, did-you-mean suggested manual words, and `/healthz` counted manual pages.

use std::path::Path;

use kotae_server::AppState;

use crate::common::*;

/// Questions an outsider would try: the kana of manual-only words, a misspelling of one, and
/// ordinary customer questions.
const QUESTIONS: &[&str] = &[
    "いしゃりょう",
    "きんせんようきゅう",
    "慰謝料",
    "金銭要求",
    "エスカレーシヨン",
    "エスカレーション",
    "クレーム対応",
    "返品したい",
    "ログインできない",
    "届かない",
    "パスワート",
    "henpin",
    "りょうしゅうしょ",
];

/// Ids, timestamps, tokens and generation names, which differ between any two services.
fn masked(text: &str) -> String {
    let patterns = [
        (r"gen-[0-9A-Za-z.\-]+", "gen-*"),
        // A digest of all the content (the manual too), like the generation's name: it tells
        // only that something changed.
        (r#""source_hash"\s*:\s*"[0-9a-f]*""#, r#""source_hash":"*""#),
        (r#"("(?:search_id|sid|id_token|csrf|prev)"\s*:\s*)"[^"]*""#, "$1\"*\""),
        (r#"((?:sid|csrf|prev)=)[0-9A-Za-z_\-]+"#, "${1}*"),
        (r#"(name="(?:sid|csrf|prev)" value=")[^"]*""#, "${1}*\""),
        (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})", "<time>"),
    ];
    let mut out = text.to_string();
    for (pattern, with) in patterns {
        out = regex::Regex::new(pattern).unwrap().replace_all(&out, with).into_owned();
    }
    out
}

/// Every public URL worth asking, for the pages and categories of `state`'s public side.
fn public_urls(state: &AppState) -> Vec<String> {
    let snapshot = state.snapshot();
    let mut urls: Vec<String> = [
        "/",
        "/contact",
        "/sitemap.xml",
        "/opensearch.xml",
        "/robots.txt",
        "/healthz",
        "/api/categories",
        "/api/openapi.json",
        // Manual pages: a public caller must not learn whether they exist.
        "/articles/manual/escalation",
        "/api/articles/manual/escalation",
        "/articles/manual/consumer-protection-law",
        "/categories/manual",
    ]
    .map(String::from)
    .to_vec();
    for c in snapshot.corpus.categories.iter().filter(|c| c.audience == kotae_core::Audience::Public) {
        urls.push(format!("/categories/{}", c.id));
    }
    for p in snapshot.corpus.pages.iter().filter(|p| p.audience == kotae_core::Audience::Public) {
        urls.push(format!("/articles/{}", p.id));
        urls.push(format!("/api/articles/{}", p.id));
    }
    for question in QUESTIONS {
        let q = q(question);
        for path in ["/search", "/api/search", "/api/suggest", "/api/answer"] {
            urls.push(format!("{path}?{q}"));
        }
    }
    urls
}

fn without_manual(dir: &Path) -> std::path::PathBuf {
    let content = dir.join("content");
    copy_dir(&sample_content(), &content);
    std::fs::remove_dir_all(content.join("manual")).unwrap();
    let index = dir.join("index");
    build(&content, &index);
    index
}

#[tokio::test]
async fn every_public_answer_is_the_same_with_and_without_the_manual() {
    let dir = tempfile::tempdir().unwrap();
    let with = state();
    let without = state_for(&without_manual(dir.path()));
    let urls = public_urls(&with);
    assert_eq!(urls, public_urls(&without), "the same public pages and categories on both sides");
    let mut differ = Vec::new();
    for url in &urls {
        let (a, b) = (get(&with, url).await, get(&without, url).await);
        if a.status != b.status || masked(&a.body) != masked(&b.body) {
            let first = masked(&a.body).chars().zip(masked(&b.body).chars()).take_while(|(x, y)| x == y).count();
            let around = |s: &str| s.chars().skip(first.saturating_sub(60)).take(160).collect::<String>();
            differ.push(format!("{url}: {} / {}\n  with:    {}\n  without: {}", a.status, b.status, around(&masked(&a.body)), around(&masked(&b.body))));
        }
    }
    assert!(differ.is_empty(), "{} of {} public answers depend on the manual:\n{}", differ.len(), urls.len(), differ.join("\n"));
}

#[tokio::test]
async fn the_console_still_finds_the_manual() {
    let s = state();
    let r = get_as_operator(&s, &format!("/ops/api/search?{}&audience=all", q("いしゃりょう"))).await;
    assert_eq!(r.status, axum::http::StatusCode::OK, "{}", r.body);
    let ids: Vec<String> = r.json()["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()).collect();
    assert!(ids.iter().any(|id| id.starts_with("manual/")), "agents find the manual: {ids:?}");
}
