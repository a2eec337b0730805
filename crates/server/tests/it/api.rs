//! The JSON API and the help page, in process (no port is bound).

use axum::body::Body;
use axum::http::{Request, StatusCode};
use crate::common::*;

#[tokio::test]
async fn search_finds_the_right_faq_for_a_customer_phrasing() {
    let s = state();
    let r = get(&s, &format!("/api/search?{}&limit=3", q("荷物まだ来ないんだけど"))).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    let ids: Vec<&str> = v["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"shipping/tracking"), "{ids:?}");
    let hit = &v["hits"][0];
    for key in ["id", "title", "category_name", "snippet", "snippet_html", "url"] {
        assert!(!hit[key].is_null(), "{key} missing: {hit}");
    }
    assert!(hit.get("audience").is_none(), "public hits do not expose audience");
}

#[tokio::test]
async fn snippets_are_escaped_and_marked() {
    let s = state();
    let v = get(&s, &format!("/api/search?{}", q("キャンセル"))).await.json();
    let html = v["hits"][0]["snippet_html"].as_str().unwrap();
    assert!(html.contains("<mark>キャンセル</mark>"), "{html}");
    let r = get(&s, &format!("/api/search?{}", q("<script>alert(1)</script> 返品"))).await;
    assert_eq!(r.status, StatusCode::OK);
    for hit in r.json()["hits"].as_array().unwrap() {
        assert!(!hit["snippet_html"].as_str().unwrap().contains("<script"), "{hit}");
    }
}

#[tokio::test]
async fn suggestions_come_after_a_couple_of_characters() {
    let s = state();
    let v = get(&s, &format!("/api/suggest?{}", q("へんぴ"))).await.json();
    let titles: Vec<&str> = v["suggestions"].as_array().unwrap().iter().map(|h| h["title"].as_str().unwrap()).collect();
    assert!(titles.iter().any(|t| t.contains("返品")), "{titles:?}");
}

#[tokio::test]
async fn articles_render_sanitized_html_with_related_pages() {
    let s = state();
    let v = get(&s, "/api/articles/orders/cancel").await.json();
    assert_eq!(v["id"], "orders/cancel");
    assert!(v["html"].as_str().unwrap().contains("<p>"));
    assert!(!v["related"].as_array().unwrap().is_empty());
    assert_eq!(get(&s, "/api/articles/orders/nothing-here").await.status, StatusCode::NOT_FOUND);
    assert_eq!(get(&s, "/api/articles/../../etc/passwd").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn answer_is_confident_for_a_clear_question_and_escalates_otherwise() {
    let s = state();
    let v = get(&s, &format!("/api/answer?{}", q("送料はいくら？"))).await.json();
    assert_eq!(v["answer"]["id"], "shipping/fee");
    assert_eq!(v["escalate"], false, "{v}");
    assert!(v.get("contact").is_none());

    let v = get(&s, &format!("/api/answer?{}", q("量子力学の講義について"))).await.json();
    assert_eq!(v["escalate"], true, "{v}");
    let contact = v["contact"].as_array().unwrap();
    assert!(contact.iter().any(|c| c["kind"] == "phone"), "{v}");
    let url = contact.iter().find_map(|c| c["url"].as_str()).unwrap();
    assert!(url.contains("q=%E9%87%8F%E5%AD%90"), "the question is carried to the channel: {url}");
}

#[tokio::test]
async fn feedback_records_votes_and_a_no_brings_the_contact_channels() {
    let s = state();
    let post = |body: &str| Request::post("/api/feedback").header("content-type", "application/json").body(Body::from(body.to_string())).unwrap();
    let r = send(&s, post(r#"{"id":"orders/cancel","helpful":true}"#)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert!(r.json().get("contact").is_none());
    let r = send(&s, post(r#"{"id":"orders/cancel","helpful":false,"query":"キャンセルしたい"}"#)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert!(!r.json()["contact"].as_array().unwrap().is_empty());
    let store = s.events.store().unwrap();
    assert_eq!(store.count("events", "kind = 'vote' AND article = 'orders/cancel' AND helpful = 1").unwrap(), 1);
    assert_eq!(store.count("events", "kind = 'vote' AND article = 'orders/cancel' AND helpful = 0").unwrap(), 1);

    for (body, status) in [
        (r#"{"id":"nope","helpful":true}"#, StatusCode::NOT_FOUND),
        (r#"{"id":"manual/escalation","helpful":true}"#, StatusCode::NOT_FOUND),
        (r#"{"id":"orders/cancel"}"#, StatusCode::BAD_REQUEST),
        ("not json", StatusCode::BAD_REQUEST),
    ] {
        let r = send(&s, post(body)).await;
        assert_eq!(r.status, status, "{body}: {}", r.body);
        assert!(r.json()["error"]["message"].is_string());
    }
    let huge = format!(r#"{{"id":"orders/cancel","helpful":true,"comment":"{}"}}"#, "あ".repeat(20_000));
    assert_eq!(send(&s, post(&huge)).await.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn no_input_of_any_shape_yields_a_server_error() {
    let s = state();
    let long = "検索".repeat(3000);
    let cases = [
        "/api/search".to_string(),
        "/api/search?q=".to_string(),
        "/api/search?q=%FF%FE".to_string(),
        "/api/search?q=a&q=b".to_string(),
        "/api/search?q=x&limit=0".to_string(),
        "/api/search?q=x&limit=-1".to_string(),
        "/api/search?q=x&limit=99999999999999999999".to_string(),
        "/api/search?q=x&category=nope".to_string(),
        "/api/search?q=x&category=manual".to_string(),
        format!("/api/search?{}", q("title:(foo AND \"bar")),
        format!("/api/search?{}", q(&long)),
        format!("/api/suggest?{}", q("*")),
        format!("/api/answer?{}", q("")),
        "/search?q=%E3%81%82&category=zzz".to_string(),
        format!("/search?{}", q("!!!???")),
        "/articles/%00".to_string(),
        "/categories/..".to_string(),
        "/nothing".to_string(),
        "/api/nothing".to_string(),
    ];
    for uri in &cases {
        let r = get(&s, uri).await;
        assert!(r.status.is_success() || r.status.is_client_error() || r.status.is_redirection(), "{uri}: {}", r.status);
        if uri.starts_with("/api/") && r.status.is_client_error() {
            assert!(r.json()["error"]["message"].is_string(), "{uri}: {}", r.body);
        }
    }
    assert_eq!(get(&s, "/api/search?q=x&limit=0").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(get(&s, "/api/search?q=x&category=manual").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(get(&s, &format!("/api/search?{}", q(&long))).await.status, StatusCode::URI_TOO_LONG);
}

#[tokio::test]
async fn help_pages_work_without_javascript() {
    let s = state();
    let home = get(&s, "/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains(r#"<html lang="ja">"#));
    assert!(home.body.contains("よくあるご質問"));
    assert!(home.body.contains("パスワードを忘れてしまいました"), "featured FAQs are listed");

    let results = get(&s, &format!("/search?{}", q("へんぴん"))).await;
    assert!(results.body.contains("返品"), "{}", results.body);
    assert!(results.body.contains("<mark>"));

    let none = get(&s, &format!("/search?{}", q("qwertyuiop"))).await;
    assert!(none.body.contains("見つかりませんでした"), "{}", none.body);
    assert!(none.body.contains("0120-870-870"), "the zero-result page shows the contact channels");
    assert!(none.body.contains("q=qwertyuiop"), "the query is carried to the contact form");

    let vague = get(&s, &format!("/search?{}", q("量子コンピュータの仕組み"))).await;
    let contact_at = vague.body.find("0120-870-870").expect("contact shown");
    let results_at = vague.body.find(r#"<ol class="results">"#).unwrap_or(usize::MAX);
    assert!(contact_at < results_at, "with no useful result, the way to a human comes first");

    let article = get(&s, "/articles/orders/cancel").await;
    assert!(article.body.contains("この回答は役に立ちましたか？"));
    assert!(article.body.contains(r#""@type":"FAQPage""#));
    assert!(article.body.contains(r#"<link rel="canonical" href="http://localhost/articles/orders/cancel">"#), "{}", article.body);
    assert!(article.body.contains("パンくずリスト"));
    assert!(article.body.contains("最終更新日"));

    let vote = Request::post("/feedback")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("id=orders%2Fcancel&helpful=no&q=%E3%82%AD%E3%83%A3%E3%83%B3%E3%82%BB%E3%83%AB"))
        .unwrap();
    let r = send(&s, vote).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("0120-870-870") && r.body.contains("キャンセル"), "{}", r.body);
}

#[tokio::test]
async fn search_engines_and_browsers_find_the_help_center() {
    let s = state();
    let sitemap = get(&s, "/sitemap.xml").await;
    assert!(sitemap.body.contains("/articles/orders/cancel</loc>"));
    let open = get(&s, "/opensearch.xml").await;
    assert!(open.body.contains("/search?q={searchTerms}"));
    let robots = get(&s, "/robots.txt").await;
    assert!(robots.body.contains("Disallow: /ops"));
    let spec = get(&s, "/api/openapi.json").await.json();
    assert_eq!(spec["openapi"], "3.1.0");
    assert!(spec["paths"]["/api/answer"].is_object());
}

#[tokio::test]
async fn search_responses_have_exactly_the_fields_the_openapi_document_lists() {
    let s = state();
    let spec = get(&s, "/api/openapi.json").await.json();
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let schemas = &spec["components"]["schemas"];
    let r = get(&s, &format!("/api/search?{}", q("返品"))).await.json();
    assert_eq!(keys(&r), keys(&schemas["SearchResults"]["properties"]), "{r}");
    assert_eq!(keys(&r["hits"][0]), keys(&schemas["Hit"]["properties"]), "{}", r["hits"][0]);
    let required: Vec<&str> = schemas["SearchResults"]["required"].as_array().unwrap().iter().map(|k| k.as_str().unwrap()).collect();
    assert!(required.contains(&"total_exact"));
    // The sample corpus has a few hundred documents: always counted exactly.
    assert_eq!(r["total_exact"], true);
    assert!(r["total"].as_u64().unwrap() >= r["hits"].as_array().unwrap().len() as u64);
}

#[tokio::test]
async fn responses_carry_security_and_cache_headers() {
    let s = state();
    let r = get(&s, "/").await;
    let csp = r.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"));
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    assert_eq!(r.headers["cache-control"], "public, max-age=60");
    let css = get(&s, kotae_server::assets::CSS_URL.as_str()).await;
    assert_eq!(css.headers["cache-control"], "public, max-age=31536000, immutable");
    let health = get(&s, "/healthz").await.json();
    assert_eq!(health["status"], "ok");
}

/// The result ids of a help-center results page, in order.
fn page_ids(body: &str) -> Vec<String> {
    body.split(r#"<li class="result"><a class="title" href="/articles/"#)
        .skip(1)
        .map(|rest| rest.split('?').next().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn the_results_page_shows_what_the_search_api_finds() {
    let s = state();
    for query in ["注文", "ログインできない", "へんぴん"] {
        let api = get(&s, &format!("/api/search?{}&limit=20", q(query))).await.json();
        let expected: Vec<String> = api["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()).collect();
        assert!(!expected.is_empty(), "{query}");
        let page = get(&s, &format!("/search?{}", q(query))).await;
        assert_eq!(page_ids(&page.body), expected, "{query}");
        assert_eq!(page.body.matches(r#"<p class="snippet">"#).count(), expected.len());
        assert!(!page.body.contains(r#"<p class="snippet"></p>"#), "every result has its snippet: {query}");
        // The category filter: the same search within the first hit's category.
        let category = api["hits"][0]["category"].as_str().unwrap();
        let api = get(&s, &format!("/api/search?{}&limit=20&category={category}", q(query))).await.json();
        let expected: Vec<String> = api["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()).collect();
        let page = get(&s, &format!("/search?{}&category={category}", q(query))).await;
        assert_eq!(page_ids(&page.body), expected, "{query} in {category}");
    }
    let many = get(&s, &format!("/api/search?{}&limit=20", q("注文"))).await.json();
    assert_eq!(many["hits"].as_array().unwrap().len(), 20, "a query with more than a page of results is covered");
}
