//! Images: served by content hash with long caching, an image only the manual shows kept from
//! the public, and external images only from the configured hosts (the CSP says the same).

use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::common::*;

/// Status, headers and raw body of `request`.
async fn fetch(
    state: &kotae_server::AppState,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let response = kotae_server::app(state.clone())
        .oneshot(request)
        .await
        .unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (
        status,
        headers,
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
}

fn plain(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn with_cookie(uri: &str, cookie: &str) -> Request<Body> {
    Request::get(uri)
        .header("cookie", cookie)
        .body(Body::empty())
        .unwrap()
}

/// The `src` of every `<img>` of `html`.
fn image_sources(html: &str) -> Vec<String> {
    let re = regex::Regex::new(r#"<img src="([^"]+)""#).unwrap();
    re.captures_iter(html).map(|c| c[1].to_string()).collect()
}

#[tokio::test]
async fn the_sample_image_is_served_by_hash_with_long_caching() {
    let s = state();
    let page = get(&s, "/articles/contact/order-number").await;
    assert_eq!(page.status, StatusCode::OK);
    let re = regex::Regex::new(
        r#"<img src="(/media/[0-9a-f]{32}\.png)" alt="ご注文の詳細画面。注文番号は画面上部に表示されます" width="560" height="240" loading="lazy" decoding="async">"#,
    )
    .unwrap();
    let url = re
        .captures(&page.body)
        .unwrap_or_else(|| panic!("no image in {}", page.body))[1]
        .to_string();

    let (status, headers, body) = fetch(&s, plain(&url)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(
        body,
        std::fs::read(sample_content().join("contact/order-number.png")).unwrap()
    );
    // The same URL from the JSON API.
    let api = get(&s, "/api/articles/contact/order-number").await.json();
    assert_eq!(image_sources(api["html"].as_str().unwrap()), [url]);
}

#[tokio::test]
async fn unknown_or_malformed_media_names_are_404() {
    let s = state();
    for uri in [
        "/media/00000000000000000000000000000000.png",
        "/media/..%2Fcorpus.json",
        "/media/corpus.json",
        "/media/media.json",
        "/media/",
    ] {
        let (status, _, _) = fetch(&s, plain(uri)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
    }
}

#[tokio::test]
async fn the_csp_lists_the_configured_image_hosts_only() {
    let s = state();
    let csp = |r: &Reply| {
        r.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string()
    };
    let plain_csp = csp(&get(&s, "/").await);
    assert!(plain_csp.contains("img-src 'self' data:;"), "{plain_csp}");

    let mut config = config(sample_index());
    config.image_hosts = vec![
        "https://cdn.example.com/".into(),
        "https://evil.example; script-src *".into(),
    ];
    let snapshot =
        kotae_core::Snapshot::open(&kotae_core::IndexRoot::new(sample_index()), analyzer())
            .unwrap();
    let s = kotae_server::AppState::new(config.clone(), analyzer().clone(), snapshot);
    let listed = csp(&get(&s, "/").await);
    assert!(
        listed.contains("img-src 'self' data: https://cdn.example.com;"),
        "{listed}"
    );
    assert!(!listed.contains("evil"), "{listed}");
    assert!(
        config.validate().is_err(),
        "an invalid host is refused at start"
    );
}

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// A PNG file's first bytes (what the size reader needs), with `tag` after them so that two
/// images differ.
fn png(width: u32, height: u32, tag: &[u8]) -> Vec<u8> {
    let mut b = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    b.extend(width.to_be_bytes());
    b.extend(height.to_be_bytes());
    b.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    b.extend(tag);
    b
}

#[tokio::test]
async fn an_image_only_the_manual_shows_is_served_to_operators_only() {
    let dir = tempfile::tempdir().unwrap();
    let (content, index) = (dir.path().join("content"), dir.path().join("index"));
    write(
        &content,
        "categories.yml",
        "- id: faq\n  name: よくある質問\n- id: manual\n  name: マニュアル\n  audience: internal\n"
            .as_bytes(),
    );
    write(&content, "assets/shared.png", &png(40, 30, b"shared"));
    write(&content, "manual/console.png", &png(80, 60, b"staff"));
    write(&content, "faq/a.md", concat!(
        "---\ntitle: 画面の見方\ncategory: faq\n---\n",
        "![共通の図](/assets/shared.png)\n\n![地図](https://cdn.example.com/map.png)\n\n![広告](https://ads.example.net/x.png)\n",
    ).as_bytes());
    write(
        &content,
        "manual/b.md",
        concat!(
            "---\ntitle: 管理画面の見方\ncategory: manual\naudience: internal\n---\n",
            "![管理画面](console.png)\n\n![共通の図](../assets/shared.png)\n",
        )
        .as_bytes(),
    );
    build(&content, &index);
    let mut config = config(&index);
    config.image_hosts = vec!["https://cdn.example.com".into()];
    let snapshot =
        kotae_core::Snapshot::open(&kotae_core::IndexRoot::new(&index), analyzer()).unwrap();
    let s = kotae_server::AppState::new(config, analyzer().clone(), snapshot);

    // The public page: its own image by hash, the listed host's image, the other host's as a link.
    let public = get(&s, "/articles/faq/a").await;
    let shown = image_sources(&public.body);
    assert_eq!(shown.len(), 2, "{}", public.body);
    assert!(
        shown[0].starts_with("/media/") && shown[0].ends_with(".png"),
        "{shown:?}"
    );
    assert_eq!(shown[1], "https://cdn.example.com/map.png");
    assert!(
        public.body.contains(
            r#"<a href="https://ads.example.net/x.png" rel="noopener noreferrer">広告</a>"#
        ),
        "{}",
        public.body
    );
    let shared = shown[0].trim_start_matches("/media/").to_string();

    // The manual's page, in the console: both images under /ops/media/.
    let session = log_in(&s, "tanaka", TOKEN).await;
    let manual = fetch(&s, with_cookie("/ops/articles/manual/b", &session)).await;
    assert_eq!(manual.0, StatusCode::OK);
    let manual_sources = image_sources(&String::from_utf8(manual.2).unwrap());
    assert_eq!(manual_sources.len(), 2);
    assert!(
        manual_sources.iter().all(|u| u.starts_with("/ops/media/")),
        "{manual_sources:?}"
    );
    assert_eq!(manual_sources[1], format!("/ops/media/{shared}"));
    let staff = manual_sources[0]
        .trim_start_matches("/ops/media/")
        .to_string();
    assert_ne!(staff, shared);

    // The public gets the shared image, never the staff-only one, even knowing its name.
    assert_eq!(
        fetch(&s, plain(&format!("/media/{shared}"))).await.0,
        StatusCode::OK
    );
    assert_eq!(
        fetch(&s, plain(&format!("/media/{staff}"))).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, _, _) = fetch(&s, plain(&format!("/ops/media/{staff}"))).await;
    assert!(
        status.is_redirection() || status == StatusCode::UNAUTHORIZED,
        "without a session: {status}"
    );
    // Operators get it, cached by their browser only.
    let (status, headers, body) =
        fetch(&s, with_cookie(&format!("/ops/media/{staff}"), &session)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["cache-control"],
        "private, max-age=31536000, immutable"
    );
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(body, png(80, 60, b"staff"));
}
