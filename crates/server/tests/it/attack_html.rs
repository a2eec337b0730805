//! Issue 17, item 2: stored HTML injection through ids, and every page from templates that
//! escape by default.
//!
//! - A category id that is not an id stops the build (`kotae check` says where).
//! - A generation that holds hostile ids anyway (built before ids were checked) is served with
//!   every id escaped: home, category page, breadcrumbs, `sitemap.xml`, the console's filter.
//! - The console's pages answer their errors as Japanese pages, like the help page; their API
//!   answers JSON (the error format belongs to the router).

use std::path::Path;

use axum::http::StatusCode;
use kotae_core::IndexRoot;
use kotae_core::index::layout;

use crate::common::*;

const EVIL_ID: &str = r#"evil"><b id="pwn">X</b><a x=""#;
const EVIL_PAGE: &str = r#"orders/x"><b id="pwn-page">"#;
const REFRESH: &str = r#"<meta http-equiv="refresh" content="0;url=http://evil.example">"#;

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A small valid corpus in `root/content`.
fn content(root: &Path, categories: &str) -> std::path::PathBuf {
    let content = root.join("content");
    write(&content, "categories.yml", categories);
    write(&content, "orders/cancel.md", "---\ntitle: 注文をキャンセルしたい\ncategory: orders\nrelated: [orders/change]\n---\n注文履歴からキャンセルできます。\n\n## 発送後のキャンセル\n\n発送後は返品になります。\n");
    write(&content, "orders/change.md", "---\ntitle: 注文を変更したい\ncategory: orders\nrelated: [orders/cancel]\n---\n注文の変更は発送前までです。\n");
    content
}

#[test]
fn a_category_id_that_is_not_an_id_stops_the_build_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let categories = format!("- id: orders\n  name: ご注文\n- id: '{EVIL_ID}'\n  name: 悪意\n");
    let content = content(dir.path(), &categories);
    let options = kotae_indexer::BuildOptions {
        content: content.clone(),
        index: dir.path().join("index"),
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        progress: false,
    };
    let diagnostics = match kotae_indexer::build(&options, analyzer()) {
        Err(kotae_indexer::BuildError::Invalid(diagnostics)) => diagnostics,
        Err(e) => panic!("the build failed otherwise: {e}"),
        Ok(_) => panic!("a corpus with a category id that is not an id was built"),
    };
    let messages: Vec<String> = diagnostics.iter().filter(|d| d.is_error()).map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [format!(
            "{}:3: invalid category id `{EVIL_ID}`: use lower-case ASCII letters, digits, `-`, `_` and `/`",
            content.join("categories.yml").display()
        )]
    );
    assert!(!dir.path().join("index").join("CURRENT").exists(), "nothing was published");
}

/// An index whose served generation holds hostile ids and names, as one built before ids were
/// checked would: the catalogue of a valid build is written again with them.
fn hostile_index() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let content = content(dir.path(), "- id: orders\n  name: ご注文\n  description: 注文について\n");
        write(
            &content,
            "site.yml",
            &format!("name: 'ヘルプ{REFRESH}'\ncontact:\n  - kind: 'mail\"><b id=\"pwn-kind\">'\n    label: 'メール{REFRESH}'\n    url: 'https://example.com/?a=\"><b id=\"pwn-url\">'\n"),
        );
        let index = dir.path().join("index");
        build(&content, &index);
        let mut corpus = kotae_core::content::load(&content, chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()).corpus;
        for c in &mut corpus.categories {
            c.id = EVIL_ID.into();
            c.name = format!("ご注文{REFRESH}");
        }
        for p in &mut corpus.pages {
            p.category = Some(EVIL_ID.into());
            if p.id == "orders/change" {
                p.id = EVIL_PAGE.into();
            } else {
                p.related = vec![EVIL_PAGE.into()];
            }
        }
        let encoded = kotae_core::index::stored::encode(&corpus).unwrap();
        let generation = IndexRoot::new(&index).current().unwrap();
        std::fs::write(generation.join(layout::PAGES_FILE), &encoded.pages).unwrap();
        std::fs::write(generation.join(layout::CORPUS_FILE), &encoded.catalogue).unwrap();
        dir
    })
    .path()
}

/// No markup of the hostile values is live in `body`.
fn assert_inert(what: &str, body: &str) {
    let lower = body.to_ascii_lowercase();
    for live in ["<b id=", "<meta http-equiv", "<a x="] {
        assert!(!lower.contains(live), "{what} carries live markup `{live}`:\n{body}");
    }
}

fn escaped(text: &str) -> String {
    kotae_server::html::escape(text)
}

#[tokio::test]
async fn hostile_ids_and_names_in_a_served_generation_are_escaped_on_every_page() {
    let s = state_for(&hostile_index().join("index"));
    let id = escaped(EVIL_ID);
    // Path segments: form encoding's `+` for a space would be a `+` there.
    let path = |id: &str| kotae_server::api::urlencode(id).replace('+', "%20").replace("%2F", "/");
    let category_url = format!("/categories/{}", path(EVIL_ID));
    let article_url = format!("/articles/{}", path(EVIL_PAGE));
    let pages: Vec<(String, Vec<String>)> = vec![
        ("/".into(), vec![format!(r#"<a href="/categories/{id}">"#), format!("/articles/{}", escaped(EVIL_PAGE))]),
        (category_url, vec![format!("<h1>{}</h1>", escaped(&format!("ご注文{REFRESH}")))]),
        ("/articles/orders/cancel".into(), vec![format!(r#"<li><a href="/categories/{id}">"#), format!(r#"<a href="/articles/{}">"#, escaped(EVIL_PAGE))]),
        (article_url, vec![format!(r#"<input type="hidden" name="id" value="{}">"#, escaped(EVIL_PAGE))]),
        ("/sitemap.xml".into(), vec![format!("/categories/{id}</loc>")]),
        ("/opensearch.xml".into(), vec![format!("<ShortName>{}</ShortName>", escaped(&format!("ヘルプ{REFRESH}")))]),
        (format!("/search?{}", q("キャンセル")), vec![escaped("mail\"><b id=\"pwn-kind\">")]),
        (format!("/search?{}", q("qwertyuiop")), vec![escaped(&format!("メール{REFRESH}"))]),
        ("/contact".into(), vec![escaped(&format!("メール{REFRESH}")), escaped("https://example.com/?a=\"><b id=\"pwn-url\">")]),
        ("/nothing".into(), vec![escaped(&format!("ヘルプ{REFRESH}"))]),
    ];
    for (uri, expected) in &pages {
        let r = get(&s, uri).await;
        let status = if uri == "/nothing" { StatusCode::NOT_FOUND } else { StatusCode::OK };
        assert_eq!(r.status, status, "{uri}: {}", r.body);
        assert_inert(uri, &r.body);
        for e in expected {
            assert!(r.body.contains(e.as_str()), "{uri} shows `{e}` as text:\n{}", r.body);
        }
    }
    // The console: its category filter and its pages.
    let console = get_as_operator(&s, &format!("/ops?{}", q("キャンセル"))).await;
    assert_eq!(console.status, StatusCode::OK);
    assert_inert("/ops", &console.body);
    assert!(console.body.contains(&format!(r#"<option value="{id}">"#)), "{}", console.body);
    let article = get_as_operator(&s, "/ops/articles/orders/cancel").await;
    assert_eq!(article.status, StatusCode::OK);
    assert_inert("/ops/articles/orders/cancel", &article.body);
}

#[tokio::test]
async fn the_console_answers_errors_as_japanese_pages_and_its_api_as_json() {
    let s = state();
    for uri in ["/ops/articles/nothing", "/ops?audience=everyone", "/ops/nothing"] {
        let r = get_as_operator(&s, uri).await;
        assert!(r.status == StatusCode::NOT_FOUND || r.status == StatusCode::BAD_REQUEST, "{uri}: {}", r.status);
        assert!(r.headers["content-type"].to_str().unwrap().starts_with("text/html"), "{uri}: {:?}", r.headers);
        assert!(r.body.contains("<html lang=\"ja\">") && r.body.contains(&format!("<h1>{}</h1>", r.status.as_u16())), "{uri}: {}", r.body);
    }
    assert!(get_as_operator(&s, "/ops/articles/nothing").await.body.contains("お探しのページは見つかりませんでした。"));
    assert!(get_as_operator(&s, "/ops?audience=everyone").await.body.contains("リクエストを処理できませんでした（`audience` must be public, internal or all）。"));
    for uri in ["/ops/api/articles/nothing", "/ops/api/search?q=x&audience=everyone", "/ops/api/nothing", "/api/nothing", "/api/articles/nothing"] {
        let r = get_as_operator(&s, uri).await;
        assert!(r.status == StatusCode::NOT_FOUND || r.status == StatusCode::BAD_REQUEST, "{uri}: {}", r.status);
        assert_eq!(r.json()["error"]["status"], r.status.as_u16(), "{uri}");
    }
}
