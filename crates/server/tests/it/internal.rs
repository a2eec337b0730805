//! The operator manual never reaches the public side, and the console requires a login.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use crate::common::*;

/// Words only the internal manual uses.
const INTERNAL_WORDS: &[&str] = &["エスカレーション", "一次解決率", "保留ルール", "クレーム対応", "SV", "消費者契約法", "NPS"];

fn internal_markers(s: &kotae_server::AppState) -> Vec<(String, String)> {
    s.snapshot()
        .corpus
        .pages
        .iter()
        .filter(|p| p.audience == kotae_core::Audience::Internal)
        .map(|p| (p.id.clone(), p.title.clone()))
        .collect()
}

#[tokio::test]
async fn no_public_endpoint_returns_internal_pages() {
    let s = state();
    let markers = internal_markers(&s);
    assert!(markers.len() >= 15);
    let mut uris = vec![
        "/".to_string(),
        "/sitemap.xml".to_string(),
        "/api/categories".to_string(),
        "/categories/manual".to_string(),
        "/contact".to_string(),
    ];
    for word in INTERNAL_WORDS {
        let qs = q(word);
        for path in ["/api/search", "/api/suggest", "/api/answer", "/search"] {
            uris.push(format!("{path}?{qs}&limit=100"));
        }
        uris.push(format!("/api/search?{qs}&category=manual"));
    }
    for (id, _) in &markers {
        uris.push(format!("/articles/{id}"));
        uris.push(format!("/api/articles/{id}"));
    }
    for uri in &uris {
        let r = get(&s, uri).await;
        for (id, title) in &markers {
            assert!(!r.body.contains(&format!("\"{id}\"")) && !r.body.contains(&format!("/{id}\"")), "{uri} leaks {id}");
            assert!(!r.body.contains(title.as_str()), "{uri} leaks the title {title}");
        }
    }
}

#[tokio::test]
async fn agents_find_internal_sections_with_deep_links() {
    let s = state();
    let r = get_as_operator(&s, &format!("/ops/api/search?{}&audience=internal", q("保留 何分まで"))).await;
    assert_eq!(r.status, StatusCode::OK);
    let hit = &r.json()["hits"][0];
    assert_eq!(hit["id"], "manual/phone-hold");
    assert_eq!(hit["audience"], "internal");
    assert!(hit["url"].as_str().unwrap().starts_with("/ops/articles/manual/phone-hold#"), "{hit}");
    let article = get_as_operator(&s, "/ops/api/articles/manual/phone-hold").await.json();
    assert!(!article["sections"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn the_console_requires_authentication() {
    let s = state();
    assert_eq!(get(&s, "/ops").await.status, StatusCode::SEE_OTHER);
    assert_eq!(get(&s, &format!("/ops?{}", q("保留"))).await.status, StatusCode::SEE_OTHER);
    assert_eq!(get(&s, "/ops/articles/manual/phone-hold").await.status, StatusCode::SEE_OTHER);
    for uri in ["/ops/api/search?q=x", "/ops/api/suggest?q=x", "/ops/api/answer?q=x", "/ops/api/articles/manual/kpi"] {
        let r = get(&s, uri).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{uri}");
        assert!(!r.body.contains("manual/"), "{uri}");
    }
    let wrong = Request::get("/ops/api/search?q=x").header("authorization", "Bearer operator-token-0123456788").body(Body::empty()).unwrap();
    assert_eq!(send(&s, wrong).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn operators_log_in_search_both_audiences_and_log_out() {
    let s = state();
    let (form_cookie, csrf) = login_form(&s).await;
    let login = |token: &str| login_request(&form_cookie, &format!("name=tanaka&token={token}&csrf={csrf}"));
    let bad = send(&s, login("wrong-token-000000000")).await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert!(bad.body.contains("正しくありません"));
    // The name typed is kept, so only the token is typed again; the token is never echoed.
    assert!(bad.body.contains(r#"name="name" autocomplete="username" value="tanaka""#), "{}", bad.body);
    assert!(!bad.body.contains("wrong-token-000000000"));
    let odd = send(&s, login_request(&form_cookie, &format!("name=%22%3E%3Cscript%3E&token=x&csrf={csrf}"))).await;
    assert!(odd.body.contains(r#"value="&#34;&gt;&lt;script&gt;""#) || odd.body.contains(r#"value="&quot;&gt;&lt;script&gt;""#), "a typed name is escaped: {}", odd.body);

    let ok = send(&s, login(TOKEN)).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let cookie = ok.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let session = cookie.split(';').next().unwrap().to_string();

    let console = Request::get(format!("/ops?{}", q("返金"))).header("cookie", &session).body(Body::empty()).unwrap();
    let r = send(&s, console).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("公開FAQ") && r.body.contains("社内マニュアル"), "both audiences in one search");
    assert!(r.body.contains("回答をコピー"));
    assert!(r.body.contains("要見直し"), "pages past review_by are flagged");
    assert_eq!(r.headers["cache-control"], "no-store");

    let logout_token = csrf_field(&r.body).expect("the logout form carries the session's token");
    let out = Request::post("/ops/logout").header("cookie", &session).header("x-csrf-token", logout_token).body(Body::empty()).unwrap();
    assert_eq!(send(&s, out).await.status, StatusCode::SEE_OTHER);
    let again = Request::get("/ops").header("cookie", &session).body(Body::empty()).unwrap();
    assert_eq!(send(&s, again).await.status, StatusCode::SEE_OTHER, "the session is gone after logout");
}
