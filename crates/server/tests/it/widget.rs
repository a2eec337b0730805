//! The widget for other sites: `/widget.js` is served as a short-lived, revalidated script;
//! only the configured `widget_origins` get CORS headers (on the public API only) and may
//! send votes; the widget's calls record clicks and never see the operator manual.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use kotae_server::{AppState, Config};

use crate::common::*;
use crate::events::rows;

const SHOP: &str = "http://shop.example";
const EVIL: &str = "https://evil.example";

fn state_with(change: impl FnOnce(&mut Config)) -> AppState {
    let mut config = config(sample_index());
    change(&mut config);
    let snapshot =
        kotae_core::Snapshot::open(&kotae_core::IndexRoot::new(sample_index()), analyzer())
            .unwrap();
    AppState::new(config, analyzer().clone(), snapshot)
}

fn shop_state() -> AppState {
    state_with(|c| c.widget_origins = vec![SHOP.into(), "https://other-shop.example/".into()])
}

fn from(origin: &str, request: Request<Body>) -> Request<Body> {
    let mut request = request;
    request
        .headers_mut()
        .insert("origin", origin.parse().unwrap());
    request
}

fn get_from(origin: &str, uri: &str) -> Request<Body> {
    from(origin, Request::get(uri).body(Body::empty()).unwrap())
}

fn cors_headers(r: &Reply) -> Vec<String> {
    r.headers
        .keys()
        .map(|k| k.as_str().to_string())
        .filter(|k| k.starts_with("access-control-"))
        .collect()
}

#[tokio::test]
async fn widget_js_is_a_script_cached_briefly_and_revalidated() {
    let s = state();
    let r = get(&s, "/widget.js").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(
        r.headers["cache-control"], "public, max-age=300",
        "its URL has no hash: a new version reaches pages within minutes"
    );
    assert_eq!(r.headers["cross-origin-resource-policy"], "cross-origin");
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
    // One scope, the shared suggestion box, styles in a constructed sheet, the public API only.
    assert!(
        r.body.starts_with("(function () {") && r.body.trim_end().ends_with("})();"),
        "nothing leaks into the page's globals"
    );
    for part in [
        "function suggestBox",
        "suggestBox(input, list",
        "attachShadow",
        "adoptedStyleSheets",
        "replaceSync",
        "/api/answer",
        "/api/suggest",
        "/api/feedback",
    ] {
        assert!(r.body.contains(part), "the script has {part}");
    }
    for bad in [
        "eval(",
        "new Function",
        "setAttribute(\"style\"",
        "/ops",
        "innerHTML = html",
    ] {
        assert!(!r.body.contains(bad), "the script must not use {bad}");
    }
    let etag = r.headers["etag"].to_str().unwrap().to_string();
    let again = send(
        &s,
        Request::get("/widget.js")
            .header("if-none-match", &etag)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.headers["etag"], etag.as_str());
    let stale = send(
        &s,
        Request::get("/widget.js")
            .header("if-none-match", "\"0\"")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(stale.status, StatusCode::OK);
    // The help page's script carries the same suggestion box.
    assert!(kotae_server::assets::APP_JS.contains("function suggestBox"));
}

#[tokio::test]
async fn only_configured_origins_get_cors_headers_and_only_on_the_public_api() {
    let s = shop_state();
    let search = format!("/api/search?{}", q("パスワードを忘れた"));
    for origin in [SHOP, "https://other-shop.example"] {
        for uri in [
            search.as_str(),
            "/api/suggest?q=%E8%BF%94%E5%93%81",
            "/api/answer?q=%E8%BF%94%E5%93%81",
            "/api/articles/orders/cancel",
            "/api/nowhere",
        ] {
            let r = send(&s, get_from(origin, uri)).await;
            assert_eq!(
                r.headers["access-control-allow-origin"], origin,
                "{origin} {uri}"
            );
            assert!(
                r.headers
                    .get_all("vary")
                    .iter()
                    .any(|v| v.to_str().unwrap().contains("origin")),
                "{uri}: Vary: Origin"
            );
            assert!(
                r.headers.get("access-control-allow-credentials").is_none(),
                "no cookies are shared"
            );
        }
    }
    let r = send(&s, get_from(SHOP, &search)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["hits"].as_array().is_some_and(|h| !h.is_empty()));
    // Another site, a look-alike, a path, the console's API and the help page's HTML: nothing.
    for (origin, uri) in [
        (EVIL, search.as_str()),
        ("http://shop.example.evil.example", search.as_str()),
        ("http://shop.example:8080", search.as_str()),
        ("null", search.as_str()),
        (SHOP, "/search?q=x"),
        (SHOP, "/widget.js"),
        (SHOP, "/ops/api/search?q=x"),
    ] {
        let r = send(&s, get_from(origin, uri)).await;
        assert_eq!(cors_headers(&r), Vec::<String>::new(), "{origin} {uri}");
    }
    let r = send(
        &s,
        from(
            SHOP,
            Request::get("/ops/api/search?q=x")
                .header("authorization", format!("Bearer {TOKEN}"))
                .body(Body::empty())
                .unwrap(),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        cors_headers(&r),
        Vec::<String>::new(),
        "the console's API is never shared"
    );
    // Without widget_origins, no origin gets anything.
    let plain = state();
    let r = send(&plain, get_from(SHOP, &search)).await;
    assert_eq!(cors_headers(&r), Vec::<String>::new());
}

#[tokio::test]
async fn preflights_from_widget_origins_are_answered_and_others_are_not() {
    let s = shop_state();
    let preflight = |origin: &str, uri: &str| {
        from(
            origin,
            Request::options(uri)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "content-type")
                .body(Body::empty())
                .unwrap(),
        )
    };
    let r = send(&s, preflight(SHOP, "/api/feedback")).await;
    assert!(r.status.is_success(), "{}", r.status);
    assert_eq!(r.headers["access-control-allow-origin"], SHOP);
    assert!(
        r.headers["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    assert_eq!(r.headers["access-control-allow-headers"], "content-type");
    assert!(r.headers.contains_key("access-control-max-age"));
    for (origin, uri) in [
        (EVIL, "/api/feedback"),
        (SHOP, "/feedback"),
        (SHOP, "/ops/api/search"),
    ] {
        let r = send(&s, preflight(origin, uri)).await;
        assert_eq!(cors_headers(&r), Vec::<String>::new(), "{origin} {uri}");
        assert!(!r.status.is_success(), "{origin} {uri}: {}", r.status);
    }
}

#[tokio::test]
async fn widget_pages_may_vote_through_the_api_and_nothing_else() {
    let s = shop_state();
    let vote = |origin: &str| {
        let body =
            serde_json::json!({ "id": "orders/cancel", "helpful": false, "query": "キャンセル" });
        let request = Request::post("/api/feedback")
            .header("content-type", "application/json")
            .header("sec-fetch-site", "cross-site")
            .body(Body::from(body.to_string()))
            .unwrap();
        from(origin, request)
    };
    let r = send(&s, vote(SHOP)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert_eq!(r.headers["access-control-allow-origin"], SHOP);
    assert!(
        r.json()["contact"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "a no brings the contact channels"
    );
    assert_eq!(send(&s, vote(EVIL)).await.status, StatusCode::FORBIDDEN);
    // The help page's own forms stay same-origin only, whoever embeds the widget.
    for uri in ["/feedback", "/questions"] {
        let form = Request::post(uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from("id=orders%2Fcancel&helpful=yes&question=x"))
            .unwrap();
        assert_eq!(
            send(&s, from(SHOP, form)).await.status,
            StatusCode::FORBIDDEN,
            "{uri}"
        );
    }
    assert_eq!(
        rows(&s, "SELECT COUNT(*) FROM events WHERE kind = 'vote'"),
        [["1"]],
        "only the widget's vote is stored"
    );
}

#[tokio::test]
async fn an_article_opened_from_the_widgets_list_is_a_click_and_a_view() {
    let s = shop_state();
    let sid = "0123456789abcdef";
    let uri = format!(
        "/api/articles/orders/cancel?{}&rank=2&sid={sid}&s=tab-9",
        q("キャンセルしたい")
    );
    let r = send(&s, get_from(SHOP, &uri)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["id"], "orders/cancel");
    assert_eq!(
        rows(
            &s,
            "SELECT kind, COALESCE(session, ''), COALESCE(search_id, ''), article, COALESCE(rank, ''), COALESCE(query, '') FROM events ORDER BY kind"
        ),
        [
            [
                "click",
                "tab-9",
                sid,
                "orders/cancel",
                "2",
                "キャンセルしたい"
            ],
            ["view", "", "", "orders/cancel", "", ""]
        ]
    );
    // Without a rank, or with a nonsense one, it is a view only.
    for extra in ["", "&rank=0", "&rank=x"] {
        let r = get(&s, &format!("/api/articles/orders/change?q=x{extra}")).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    assert_eq!(
        rows(&s, "SELECT COUNT(*) FROM events WHERE kind = 'click'"),
        [["1"]]
    );
}

#[tokio::test]
async fn the_widgets_calls_never_reach_the_manual() {
    let s = shop_state();
    let internal: Vec<(String, String)> = s
        .snapshot()
        .corpus
        .pages
        .iter()
        .filter(|p| p.audience == kotae_core::Audience::Internal)
        .map(|p| (p.id.clone(), p.title.clone()))
        .collect();
    assert!(!internal.is_empty());
    let mut uris = vec!["/widget.js".to_string()];
    for word in [
        "エスカレーション",
        "保留ルール",
        "クレーム対応",
        "一次解決率",
    ] {
        for path in ["/api/suggest", "/api/answer", "/api/search"] {
            uris.push(format!("{path}?{}", q(word)));
        }
    }
    for (id, _) in &internal {
        uris.push(format!("/api/articles/{id}?rank=1"));
    }
    for uri in &uris {
        let r = send(&s, get_from(SHOP, uri)).await;
        for (id, title) in &internal {
            assert!(
                !r.body.contains(&format!("\"{id}\"")) && !r.body.contains(&format!("/{id}\"")),
                "{uri} leaks {id}"
            );
            assert!(
                !r.body.contains(title.as_str()),
                "{uri} leaks the title {title}"
            );
        }
    }
    assert_eq!(
        rows(&s, "SELECT COUNT(*) FROM events WHERE kind = 'click'"),
        [["0"]],
        "no click on a hidden page"
    );
}
