//! Security, one test per rule: CSRF tokens on console forms and same-origin checks on every
//! form; failed logins limited per client; operators' argon2 hashes; per-client rate limits on
//! the public API; request size and time limits; article ids that cannot leave the corpus;
//! sanitized Markdown, escaped snippets and queries; security headers on every response.

use std::convert::Infallible;
use std::path::Path;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode};
use crate::common::*;
use kotae_core::{IndexRoot, Snapshot};
use kotae_server::{AppState, Config};

fn state_with(change: impl FnOnce(&mut Config)) -> AppState {
    let mut config = config(sample_index());
    change(&mut config);
    let snapshot = Snapshot::open(&IndexRoot::new(sample_index()), analyzer()).unwrap();
    AppState::new(config, analyzer().clone(), snapshot)
}

fn form_post(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri).header("content-type", "application/x-www-form-urlencoded").body(Body::from(body.to_string())).unwrap()
}

fn with_header(mut request: Request<Body>, name: &'static str, value: &str) -> Request<Body> {
    request.headers_mut().insert(name, value.parse().unwrap());
    request
}

fn with_cookie(request: Request<Body>, cookie: &str) -> Request<Body> {
    with_header(request, "cookie", cookie)
}

fn login_body(name: &str, secret: &str, csrf: Option<&str>) -> String {
    let mut fields = vec![("name", name), ("token", secret)];
    if let Some(c) = csrf {
        fields.push(("csrf", c));
    }
    serde_urlencoded::to_string(fields).unwrap()
}

// ---------------------------------------------------------------------------------------------
// 1. CSRF

#[tokio::test]
async fn the_login_form_only_accepts_its_own_csrf_token() {
    let s = state();
    let page = get(&s, "/ops/login").await;
    let set = page.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect::<Vec<_>>();
    let token_cookie = set.iter().find(|c| c.starts_with("kotae_login_csrf=")).expect("a token cookie");
    assert!(token_cookie.contains("HttpOnly") && token_cookie.contains("SameSite=Strict"), "{token_cookie}");
    let (cookie, token) = login_form(&s).await;
    assert_eq!(token.len(), 64, "a 256-bit random token: {token}");
    assert_eq!(cookie, format!("kotae_login_csrf={token}"), "cookie and field carry the same token");
    // The page reloaded with its cookie keeps the same token (a second tab keeps working).
    let again = send(&s, with_cookie(Request::get("/ops/login").body(Body::empty()).unwrap(), &cookie)).await;
    assert_eq!(csrf_field(&again.body).as_deref(), Some(token.as_str()));

    let other = "0".repeat(64);
    for (what, request) in [
        ("no token", login_request(&cookie, &login_body("tanaka", TOKEN, None))),
        ("a wrong token", login_request(&cookie, &login_body("tanaka", TOKEN, Some(&other)))),
        ("an empty token", login_request(&cookie, &login_body("tanaka", TOKEN, Some("")))),
        ("no cookie", form_post("/ops/login", &login_body("tanaka", TOKEN, Some(&token)))),
        ("another cookie", login_request(&format!("kotae_login_csrf={other}"), &login_body("tanaka", TOKEN, Some(&token)))),
    ] {
        let r = send(&s, request).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}: {}", r.body);
        assert!(r.body.contains("もう一度ログインしてください"), "{what}: a Japanese explanation: {}", r.body);
        assert!(r.headers.get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().starts_with("kotae_session=")), "{what}: no session");
        let fresh = csrf_field(&r.body).expect("the form again, with a fresh token");
        assert_eq!(set_cookie(&r, "kotae_login_csrf"), Some(format!("kotae_login_csrf={fresh}")));
    }
    let ok = send(&s, login_request(&cookie, &login_body("tanaka", TOKEN, Some(&token)))).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert!(set_cookie(&ok, "kotae_session").is_some());
}

#[tokio::test]
async fn console_forms_carry_the_session_token_and_logout_checks_it() {
    let s = state();
    let session = log_in(&s, "tanaka", TOKEN).await;
    let console = send(&s, with_cookie(Request::get("/ops").body(Body::empty()).unwrap(), &session)).await;
    assert_eq!(console.status, StatusCode::OK);
    let token = csrf_field(&console.body).expect("the logout form carries a token");
    assert!(console.body.contains(r#"action="/ops/logout""#));
    let insights = send(&s, with_cookie(Request::get("/ops/insights").body(Body::empty()).unwrap(), &session)).await;
    assert_eq!(csrf_field(&insights.body).as_deref(), Some(token.as_str()), "every console page's form has it");
    let login_page = get(&s, "/ops/login").await;
    assert!(!login_page.body.contains("/ops/logout"), "no logout form without a session");
    // The bearer-token API is for programs: its pages have no session, hence no form.
    assert!(!get_as_operator(&s, "/ops").await.body.contains("/ops/logout"));

    let logged_in = || async {
        send(&s, with_cookie(Request::get("/ops").body(Body::empty()).unwrap(), &session)).await.status == StatusCode::OK
    };
    for (what, body) in [("no token", String::new()), ("a wrong token", format!("csrf={}", "f".repeat(64)))] {
        let r = send(&s, with_cookie(form_post("/ops/logout", &body), &session)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}");
        assert!(r.body.contains("確認用トークンが一致しません"), "{what}: {}", r.body);
        assert!(logged_in().await, "{what}: the session survives a forged logout");
    }
    // Another session's token is not this session's.
    let other = log_in(&s, "tanaka", TOKEN).await;
    let other_page = send(&s, with_cookie(Request::get("/ops").body(Body::empty()).unwrap(), &other)).await;
    let other_token = csrf_field(&other_page.body).unwrap();
    assert_ne!(other_token, token);
    let r = send(&s, with_cookie(form_post("/ops/logout", &format!("csrf={other_token}")), &session)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // The header works for scripts, and the right token logs out.
    let r = send(&s, with_header(with_cookie(form_post("/ops/logout", ""), &session), "x-csrf-token", &token)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(!logged_in().await, "the session is gone after logout");
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_same_site_ones_accepted() {
    let s = state();
    let vote = || form_post("/feedback", "id=orders%2Fcancel&helpful=yes");
    let question = || form_post("/questions", "question=%E8%BF%94%E5%93%81%E3%81%97%E3%81%9F%E3%81%84");
    let api_vote = || {
        Request::post("/api/feedback").header("content-type", "application/json").body(Body::from(r#"{"id":"orders/cancel","helpful":true}"#)).unwrap()
    };
    let evil = "https://evil.example";
    for (what, request) in [
        ("vote from another Origin", with_header(vote(), "origin", evil)),
        ("vote with Origin null", with_header(vote(), "origin", "null")),
        ("vote from another port", with_header(with_header(vote(), "host", "localhost"), "origin", "http://localhost:9999")),
        ("question from another site", with_header(question(), "sec-fetch-site", "cross-site")),
        ("question from a sibling site", with_header(question(), "sec-fetch-site", "same-site")),
    ] {
        let r = send(&s, request).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}: {}", r.body);
        assert!(r.body.contains("別のサイトから送信されたため"), "{what}: a Japanese page: {}", r.body);
    }
    let r = send(&s, with_header(api_vote(), "origin", evil)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["error"]["status"], 403);
    let (cookie, token) = login_form(&s).await;
    let r = send(&s, with_header(login_request(&cookie, &login_body("tanaka", TOKEN, Some(&token))), "origin", evil)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "even with the right token, a cross-site login is refused");

    let store = s.events.store().unwrap();
    assert_eq!(store.count("events", "kind = 'vote'").unwrap(), 0, "no refused vote was recorded");
    assert_eq!(store.count("questions", "1 = 1").unwrap_or(0), 0, "no refused question was recorded");

    // The help page's own forms and scripts, and programs that send no Origin, get through.
    let same = |r: Request<Body>| with_header(with_header(r, "host", "help.example.com"), "origin", "http://help.example.com");
    assert_eq!(send(&s, same(vote())).await.status, StatusCode::OK);
    assert_eq!(send(&s, with_header(same(question()), "sec-fetch-site", "same-origin")).await.status, StatusCode::OK);
    assert_eq!(send(&s, same(api_vote())).await.status, StatusCode::ACCEPTED);
    assert_eq!(send(&s, vote()).await.status, StatusCode::OK, "no Origin: not a browser form from another site");
    assert_eq!(send(&s, with_header(api_vote(), "sec-fetch-site", "none")).await.status, StatusCode::ACCEPTED, "typed by the user");
    // GET is never refused (links from other sites are how customers arrive).
    assert_eq!(send(&s, with_header(Request::get("/").body(Body::empty()).unwrap(), "origin", evil)).await.status, StatusCode::OK);
    // Behind a proxy that rewrites Host, the configured public address is the origin.
    let proxied = state_with(|c| c.base_url = "https://help.example.com".into());
    let r = send(&proxied, with_header(with_header(vote(), "host", "127.0.0.1:8080"), "origin", "https://help.example.com")).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = send(&proxied, with_header(with_header(vote(), "host", "127.0.0.1:8080"), "origin", "https://help.example.com.evil.example")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

// ---------------------------------------------------------------------------------------------
// 2. Failed logins

#[tokio::test]
async fn failed_logins_are_limited_per_client_and_successes_are_not() {
    let s = state_with(|c| c.login_failures_per_minute = 3);
    let (cookie, token) = login_form(&s).await;
    let attempt = |ip: &'static str, secret: &'static str| {
        let request = from_peer(login_request(&cookie, &login_body("tanaka", secret, Some(&token))), ip);
        send(&s, request)
    };
    for _ in 0..3 {
        assert_eq!(attempt("192.0.2.1", "wrong-token-000000").await.status, StatusCode::UNAUTHORIZED);
    }
    for secret in ["wrong-token-000000", TOKEN] {
        let r = attempt("192.0.2.1", secret).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "blocked whatever the secret, so guessing learns nothing");
        let wait: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=20).contains(&wait), "one attempt back within 60/3 s: {wait}");
        assert!(r.body.contains("ログインの失敗が続いたため") && r.body.contains("秒ほど待って"), "{}", r.body);
        assert!(csrf_field(&r.body).is_some(), "the form stays usable for later");
    }
    assert_eq!(attempt("192.0.2.2", TOKEN).await.status, StatusCode::SEE_OTHER, "other clients are not blocked");
    for _ in 0..10 {
        assert_eq!(attempt("192.0.2.3", TOKEN).await.status, StatusCode::SEE_OTHER, "successful logins do not count");
    }
    // Wrong bearer tokens on the agents' API count the same way.
    let bearer = |ip: &'static str, token: &'static str| {
        let request = Request::get("/ops/api/search?q=x").header("authorization", format!("Bearer {token}")).body(Body::empty()).unwrap();
        send(&s, from_peer(request, ip))
    };
    for _ in 0..3 {
        assert_eq!(bearer("192.0.2.4", "operator-token-wrong-00").await.status, StatusCode::UNAUTHORIZED);
    }
    let r = bearer("192.0.2.4", TOKEN).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.json()["error"]["status"], 429);
    assert!(r.headers.contains_key("retry-after"));
    assert_eq!(bearer("192.0.2.5", TOKEN).await.status, StatusCode::OK);
    // 0 switches the limit off.
    let off = state_with(|c| c.login_failures_per_minute = 0);
    let (cookie, token) = login_form(&off).await;
    for _ in 0..8 {
        let r = send(&off, from_peer(login_request(&cookie, &login_body("tanaka", "wrong-token-000000", Some(&token))), "192.0.2.1")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Argon2

#[tokio::test]
async fn operators_with_an_argon2_hash_log_in_with_their_password() {
    let password = "sato-no-password-2026";
    let hash = kotae_server::auth::hash_password(password).unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let s = state_with(|c| {
        c.operators.insert("sato".into(), hash.clone());
        // This test fails on purpose more often than the failed-login limit allows.
        c.login_failures_per_minute = 0;
    });
    let (cookie, token) = login_form(&s).await;
    let try_login = |name: &str, secret: &str| send(&s, login_request(&cookie, &login_body(name, secret, Some(&token))));
    assert_eq!(try_login("sato", password).await.status, StatusCode::SEE_OTHER);
    assert_eq!(try_login("sato", &hash).await.status, StatusCode::UNAUTHORIZED, "the stored hash is not a password");
    assert_eq!(try_login("sato", "sato-no-password-2025").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(try_login("tanaka", password).await.status, StatusCode::UNAUTHORIZED, "the password is sato's only");
    assert_eq!(try_login("tanaka", TOKEN).await.status, StatusCode::SEE_OTHER, "plain tokens keep working");
    let api = |auth: String| send(&s, Request::get("/ops/api/search?q=x").header("authorization", auth).body(Body::empty()).unwrap());
    assert_eq!(api(format!("Bearer sato:{password}")).await.status, StatusCode::OK);
    assert_eq!(api(format!("Bearer {password}")).await.status, StatusCode::UNAUTHORIZED, "a hashed operator names themselves");
    assert_eq!(api(format!("Bearer {hash}")).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(api(format!("Bearer {TOKEN}")).await.status, StatusCode::OK);
    // A malformed hash is refused when the settings are read, not at the first login.
    let mut bad = Config::default();
    bad.operators.insert("sato".into(), "$argon2id$v=19$m=19456".into());
    assert!(bad.validate().is_err());
    assert!(kotae_server::config::parse_operators(&format!("sato:{hash},tanaka:{TOKEN}")).unwrap()["sato"] == hash);
}

// ---------------------------------------------------------------------------------------------
// 4. Public API rate limit

#[tokio::test]
async fn the_public_api_is_rate_limited_per_client() {
    let s = state_with(|c| {
        c.rate_limit_per_second = 1.0;
        c.rate_limit_burst = 5;
    });
    let search = |ip: &'static str| send(&s, from_peer(Request::get(format!("/api/search?{}", q("返品"))).body(Body::empty()).unwrap(), ip));
    for i in 0..5 {
        assert_eq!(search("198.51.100.1").await.status, StatusCode::OK, "request {i} is within the burst");
    }
    let r = search("198.51.100.1").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.json()["error"]["status"], 429);
    assert!(r.json()["error"]["message"].as_str().unwrap().contains("too many requests"));
    assert_eq!(r.headers["retry-after"], "1");
    let page = send(&s, from_peer(Request::get(format!("/search?{}", q("返品"))).body(Body::empty()).unwrap(), "198.51.100.1")).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.body.contains("秒ほど待ってから") && page.headers.contains_key("retry-after"), "{}", page.body);
    let suggest = send(&s, from_peer(Request::get("/api/suggest?q=%E3%81%B8%E3%82%93").body(Body::empty()).unwrap(), "198.51.100.1")).await;
    assert_eq!(suggest.status, StatusCode::TOO_MANY_REQUESTS, "every /api/ path shares the bucket");
    // Other clients, and pages outside the API, are unaffected.
    assert_eq!(search("198.51.100.2").await.status, StatusCode::OK);
    let article = send(&s, from_peer(Request::get("/articles/orders/cancel").body(Body::empty()).unwrap(), "198.51.100.1")).await;
    assert_eq!(article.status, StatusCode::OK);
    // A token comes back after 1/rate seconds.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(search("198.51.100.1").await.status, StatusCode::OK);

    // X-Forwarded-For counts only when trusted: untrusted, every forwarded client is the peer.
    let untrusted = state_with(|c| {
        c.rate_limit_per_second = 1.0;
        c.rate_limit_burst = 2;
    });
    assert_eq!(forwarded(&untrusted, &["203.0.113.1", "203.0.113.2", "203.0.113.3"]).await, [200, 200, 429]);
    let trusted = state_with(|c| {
        c.rate_limit_per_second = 1.0;
        c.rate_limit_burst = 2;
        c.trust_forwarded_for = true;
    });
    assert_eq!(
        forwarded(&trusted, &["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.1", "203.0.113.1"]).await,
        [200, 200, 200, 200, 429]
    );
}

/// Statuses of requests from 127.0.0.1 (a proxy) forwarding for each of `clients` in turn.
async fn forwarded(s: &AppState, clients: &[&str]) -> Vec<u16> {
    let mut codes = Vec::new();
    for client in clients {
        let r = Request::get("/api/categories").header("x-forwarded-for", format!("10.9.9.9, {client}")).body(Body::empty()).unwrap();
        codes.push(send(s, from_peer(r, "127.0.0.1")).await.status.as_u16());
    }
    codes
}

#[tokio::test]
async fn the_default_limit_lets_a_customer_through_and_zero_switches_it_off() {
    // A customer typing a question: a suggestion per character, then the search and its page.
    let s = state();
    assert_eq!((s.config.rate_limit_per_second, s.config.rate_limit_burst), (20.0, 60));
    let typed = "注文をキャンセルしたいのですがどうすればいいですか";
    let mut prefix = String::new();
    for c in typed.chars() {
        prefix.push(c);
        let r = send(&s, from_peer(Request::get(format!("/api/suggest?{}", q(&prefix))).body(Body::empty()).unwrap(), "192.0.2.80")).await;
        assert_eq!(r.status, StatusCode::OK, "after {prefix}");
    }
    for uri in [format!("/search?{}", q(typed)), format!("/api/search?{}", q(typed)), format!("/api/answer?{}", q(typed))] {
        assert_eq!(send(&s, from_peer(Request::get(uri).body(Body::empty()).unwrap(), "192.0.2.80")).await.status, StatusCode::OK);
    }
    // A flood from one address is stopped within the burst, plus what refilled while it ran (a
    // loaded machine serves the burst slower than a second: 20 more a second).
    let started = std::time::Instant::now();
    let mut limited_at = None;
    for i in 0..200 {
        let r = send(&s, from_peer(Request::get("/api/categories").body(Body::empty()).unwrap(), "192.0.2.81")).await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited_at = Some(i);
            break;
        }
    }
    let at = limited_at.expect("a flood is limited");
    let refilled = (started.elapsed().as_secs_f64() * 20.0).ceil() as usize;
    assert!((60..=60 + refilled).contains(&at), "after the burst of 60 (plus the {refilled} that refilled meanwhile): {at}");
    // rate_limit_per_second = 0 (KOTAE_RATE_LIMIT=0) switches it off.
    let off = state_with(|c| c.rate_limit_per_second = 0.0);
    for _ in 0..150 {
        let r = send(&off, from_peer(Request::get("/api/categories").body(Body::empty()).unwrap(), "192.0.2.82")).await;
        assert_eq!(r.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn the_served_service_knows_each_clients_address() {
    // `serve` is what `kotae serve` runs: with the peer address, so the limit applies over TCP.
    let s = state_with(|c| {
        c.rate_limit_per_second = 0.5;
        c.rate_limit_burst = 3;
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(kotae_server::serve(listener, s.clone(), async {
        let _ = stopped.await;
    }));
    let mut codes = Vec::new();
    for _ in 0..5 {
        codes.push(http_status(addr, "/api/categories").await);
    }
    assert_eq!(codes, [200, 200, 200, 429, 429]);
    assert_eq!(http_status(addr, "/").await, 200, "the help page itself is not limited");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

async fn http_status(addr: std::net::SocketAddr, path: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    String::from_utf8_lossy(&response).split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

// ---------------------------------------------------------------------------------------------
// 5. Size and time limits

/// A request body that never arrives.
struct Stalled;

impl http_body::Body for Stalled {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        Poll::Pending
    }
}

#[tokio::test]
async fn slow_requests_get_503_within_the_time_limit() {
    let s = state_with(|c| c.request_timeout_ms = 300);
    let stalled = |uri: &str, content_type: &str| {
        Request::post(uri).header("content-type", content_type).body(Body::new(Stalled)).unwrap()
    };
    let started = Instant::now();
    let r = send(&s, stalled("/api/feedback", "application/json")).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.json()["error"]["status"], 503);
    assert!(started.elapsed() < Duration::from_secs(5), "answered after the limit, not never: {:?}", started.elapsed());
    assert!(started.elapsed() >= Duration::from_millis(300));
    let r = send(&s, stalled("/questions", "application/x-www-form-urlencoded")).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.body.contains("しばらくしてからもう一度お試しください"), "{}", r.body);
    assert_eq!(r.headers["x-frame-options"], "DENY");
}

#[tokio::test]
async fn oversized_bodies_get_413_and_long_urls_414() {
    let s = state();
    let big = "a".repeat(s.config.max_body_bytes + 1);
    for uri in ["/feedback", "/questions"] {
        // Browsers announce the length of a form: the limit answers before reading it.
        let body = format!("question={big}");
        let request = with_header(form_post(uri, &body), "content-length", &body.len().to_string());
        let r = send(&s, request).await;
        assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}");
    }
    let json = Request::post("/api/feedback")
        .header("content-type", "application/json")
        .body(Body::from(format!(r#"{{"id":"orders/cancel","helpful":false,"comment":"{big}"}}"#)))
        .unwrap();
    let r = send(&s, json).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json()["error"]["status"], 413);
    let (cookie, token) = login_form(&s).await;
    let r = send(&s, login_request(&cookie, &format!("csrf={token}&name=tanaka&token={big}"))).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "the console's CSRF check reads no more than the limit either");
    let long = format!("/search?{}", q(&"あ".repeat(1500)));
    assert!(long.len() > kotae_server::MAX_URI_BYTES);
    assert_eq!(get(&s, &long).await.status, StatusCode::URI_TOO_LONG);
    assert_eq!(get(&s, &format!("/articles/{}", "a".repeat(5000))).await.status, StatusCode::URI_TOO_LONG);
}

// ---------------------------------------------------------------------------------------------
// 6. Article ids

#[tokio::test]
async fn article_ids_cannot_escape_the_corpus() {
    let s = state();
    let ids = [
        "../../Cargo.toml".to_string(),
        "../../../../../../etc/passwd".to_string(),
        "..%2f..%2fCargo.toml".to_string(),
        "%2e%2e/%2e%2e/Cargo.toml".to_string(),
        "%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd".to_string(),
        "%252e%252e%252fCargo.toml".to_string(),
        "....//....//etc/passwd".to_string(),
        "orders/../orders/cancel".to_string(),
        "orders/./cancel".to_string(),
        "orders/cancel.md".to_string(),
        "/etc/passwd".to_string(),
        "%2Fetc%2Fpasswd".to_string(),
        "C:%5CWindows%5Cwin.ini".to_string(),
        "..%5C..%5CCargo.toml".to_string(),
        "orders/cancel%00.md".to_string(),
        "%00".to_string(),
        "%C0%AE%C0%AE/Cargo.toml".to_string(),
        "%FF%FE".to_string(),
        "a".repeat(4000),
        "manual/..%2f..%2fmanual/phone-hold".to_string(),
    ];
    for prefix in ["/articles/", "/api/articles/", "/ops/articles/", "/ops/api/articles/"] {
        for id in &ids {
            let uri = format!("{prefix}{id}");
            let r = get_as_operator(&s, &uri).await;
            assert!(r.status == StatusCode::NOT_FOUND || r.status == StatusCode::BAD_REQUEST, "{uri}: {}", r.status);
            for secret in ["[workspace]", "[package]", "root:", "[fonts]"] {
                assert!(!r.body.contains(secret), "{uri} shows a file");
            }
        }
    }
    // Other path parameters too.
    for uri in ["/categories/..%2f..%2fCargo.toml", "/categories/%00", "/assets/..%2f..%2fCargo.toml", "/assets/%2e%2e%2fsrc%2flib.rs", "/ops/articles/"] {
        let r = get_as_operator(&s, uri).await;
        assert!(r.status == StatusCode::NOT_FOUND || r.status == StatusCode::BAD_REQUEST, "{uri}: {}", r.status);
        assert!(!r.body.contains("[package]") && !r.body.contains("pub mod"), "{uri} shows a file");
    }
    // And the real ids still work.
    assert_eq!(get(&s, "/articles/orders/cancel").await.status, StatusCode::OK);
    assert_eq!(get_as_operator(&s, "/ops/api/articles/manual/phone-hold").await.status, StatusCode::OK);
}

// ---------------------------------------------------------------------------------------------
// 7. Sanitized Markdown, escaped snippets, headers

/// A small corpus with a hostile page, indexed once.
fn hostile_index() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let content = dir.path().join("content");
        std::fs::create_dir_all(content.join("help")).unwrap();
        std::fs::write(content.join("categories.yml"), "- id: help\n  name: ヘルプ\n  description: テスト\n").unwrap();
        std::fs::write(content.join("site.yml"), "name: テストヘルプ\ncontact:\n  - kind: phone\n    label: お電話\n    value: 0120-000-000\n").unwrap();
        std::fs::write(
            content.join("help/hostile.md"),
            "---\ntitle: 危ないページの注入テスト\ncategory: help\n---\n\
             注入テストの本文です。\n\n\
             <script>alert('script-tag')</script>\n\n\
             <img src=x onerror=\"alert('onerror')\">\n\n\
             <iframe src=\"https://evil.example/\"></iframe>\n\n\
             [リンクを開く](javascript:alert('js-link')) と [データ](data:text/html;base64,PHNjcmlwdD4=) と [普通のリンク](/articles/help/other)\n\n\
             <a href=\"javascript:alert('raw-link')\">生のリンク</a>\n\n\
             本文に `<mark>注入</mark>` という文字列と <b onclick=\"alert('attr')\">太字</b> があります。\n",
        )
        .unwrap();
        std::fs::write(content.join("help/other.md"), "---\ntitle: 普通のページ\ncategory: help\n---\n普通の本文です。\n").unwrap();
        build(&content, &dir.path().join("index"));
        dir
    })
    .path()
}

fn hostile_state() -> AppState {
    state_for(&hostile_index().join("index"))
}

fn assert_no_active_content(what: &str, html: &str) {
    let lower = html.to_lowercase();
    for bad in ["<script>alert", "<script", "onerror", "onclick", "<iframe", "javascript:", "data:text/html"] {
        if bad == "<script" {
            // Only the page's own script files and its JSON-LD data block may appear.
            for (i, _) in lower.match_indices("<script") {
                let tag = &lower[i..lower[i..].find('>').map_or(lower.len(), |e| i + e)];
                assert!(tag.contains(" src=\"/assets/") || tag.contains("application/ld+json"), "{what}: {tag}");
            }
            continue;
        }
        assert!(!lower.contains(bad), "{what} contains {bad}: {html}");
    }
}

#[tokio::test]
async fn script_tags_and_event_handlers_in_markdown_are_removed() {
    let s = hostile_state();
    let page = get(&s, "/articles/help/hostile").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("注入テストの本文です"));
    assert_no_active_content("article page", &page.body);
    assert!(!page.body.contains("alert('script-tag')"), "the script's text is dropped too");
    let api = get(&s, "/api/articles/help/hostile").await;
    assert_no_active_content("article JSON", &api.body);
    let ops = get_as_operator(&s, "/ops/articles/help/hostile").await;
    assert_no_active_content("console article", &ops.body);
}

#[tokio::test]
async fn javascript_and_data_links_in_markdown_are_removed() {
    let s = hostile_state();
    let page = get(&s, "/articles/help/hostile").await;
    assert!(page.body.contains("リンクを開く") && page.body.contains("生のリンク"), "the link text stays");
    assert!(page.body.contains(r#"href="/articles/help/other""#), "ordinary links stay");
    let html = get(&s, "/api/articles/help/hostile").await.json();
    let html = serde_json::to_string(&html).unwrap().to_lowercase();
    assert!(!html.contains("javascript:") && !html.contains("data:text/html"), "{html}");
}

#[tokio::test]
async fn queries_and_page_text_cannot_inject_marks_or_tags_into_snippets() {
    let s = hostile_state();
    // Text in the page that looks like markup is escaped in snippets; only real highlights are tags.
    let v = get(&s, &format!("/api/search?{}", q("注入"))).await.json();
    let hit = v["hits"].as_array().unwrap().iter().find(|h| h["id"] == "help/hostile").expect("the page is found");
    let snippet = hit["snippet_html"].as_str().unwrap();
    assert!(snippet.contains("<mark>"), "{snippet}");
    let stripped = snippet.replace("<mark>", "").replace("</mark>", "");
    assert!(!stripped.contains('<') && !stripped.contains('>'), "no markup but the highlights: {snippet}");
    assert_eq!(snippet.matches("<mark>").count(), snippet.matches("</mark>").count());
    assert!(snippet.contains("&lt;mark&gt;<mark>注入</mark>&lt;/mark&gt;"), "the page's own `<mark>` text is shown as text: {snippet}");
    let results = get(&s, &format!("/search?{}", q("注入"))).await;
    for (i, _) in results.body.match_indices("<p class=\"snippet\">") {
        let end = results.body[i..].find("</p>").unwrap();
        let inner = &results.body[i + "<p class=\"snippet\">".len()..i + end];
        let stripped = inner.replace("<mark>", "").replace("</mark>", "");
        assert!(!stripped.contains('<'), "snippet on the results page: {inner}");
    }
    // A query made of markup is echoed escaped wherever it appears.
    let evil = "</mark><script>alert(1)</script><mark>注入";
    let page = get(&s, &format!("/search?{}", q(evil))).await;
    assert!(!page.body.contains("<script>alert(1)"), "{}", page.body);
    assert!(!page.body.contains("</mark><script>"));
    assert!(page.body.contains("&lt;/mark&gt;&lt;script&gt;alert(1)&lt;/script&gt;"), "the query is shown, escaped");
    let v = get(&s, &format!("/api/search?{}", q(evil))).await.json();
    for hit in v["hits"].as_array().unwrap() {
        let snippet = hit["snippet_html"].as_str().unwrap();
        let stripped = snippet.replace("<mark>", "").replace("</mark>", "");
        assert!(!stripped.contains('<'), "{snippet}");
    }
    let console = get_as_operator(&s, &format!("/ops?{}", q(evil))).await;
    assert!(!console.body.contains("<script>alert(1)"));
}

#[tokio::test]
async fn security_headers_are_on_html_json_and_error_responses() {
    let s = state_with(|c| {
        c.request_timeout_ms = 300;
        c.rate_limit_per_second = 1.0;
        c.rate_limit_burst = 1;
    });
    let big = "a".repeat(s.config.max_body_bytes + 1);
    let mut cases: Vec<(&str, Request<Body>, StatusCode)> = vec![
        ("HTML page", Request::get("/").body(Body::empty()).unwrap(), StatusCode::OK),
        ("article", Request::get("/articles/orders/cancel").body(Body::empty()).unwrap(), StatusCode::OK),
        ("JSON", Request::get(format!("/api/search?{}", q("返品"))).body(Body::empty()).unwrap(), StatusCode::OK),
        ("asset", Request::get(kotae_server::assets::APP_JS_URL.as_str()).body(Body::empty()).unwrap(), StatusCode::OK),
        ("HTML 404", Request::get("/nothing").body(Body::empty()).unwrap(), StatusCode::NOT_FOUND),
        ("JSON 404", Request::get("/api/articles/nope").body(Body::empty()).unwrap(), StatusCode::NOT_FOUND),
        ("JSON 400", Request::get("/api/search").body(Body::empty()).unwrap(), StatusCode::BAD_REQUEST),
        ("login redirect", Request::get("/ops").body(Body::empty()).unwrap(), StatusCode::SEE_OTHER),
        ("401", Request::get("/ops/api/search?q=x").body(Body::empty()).unwrap(), StatusCode::UNAUTHORIZED),
        ("403", with_header(form_post("/feedback", "id=orders%2Fcancel&helpful=yes"), "origin", "https://evil.example"), StatusCode::FORBIDDEN),
        ("413", Request::post("/api/feedback").header("content-type", "application/json").header("content-length", big.len()).body(Body::from(big.clone())).unwrap(), StatusCode::PAYLOAD_TOO_LARGE),
        ("414", Request::get(format!("/api/search?{}", q(&"あ".repeat(1500)))).body(Body::empty()).unwrap(), StatusCode::URI_TOO_LONG),
        ("503", Request::post("/api/feedback").header("content-type", "application/json").body(Body::new(Stalled)).unwrap(), StatusCode::SERVICE_UNAVAILABLE),
    ];
    cases.push(("429", from_peer(Request::get("/api/categories").body(Body::empty()).unwrap(), "192.0.2.90"), StatusCode::OK));
    cases.push(("429", from_peer(Request::get("/api/categories").body(Body::empty()).unwrap(), "192.0.2.90"), StatusCode::TOO_MANY_REQUESTS));
    for (what, request, status) in cases {
        let r = send(&s, request).await;
        assert_eq!(r.status, status, "{what}: {}", r.body);
        let csp = r.headers.get("content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP")).to_str().unwrap();
        assert!(csp.contains("default-src 'self'") && csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{what}: {csp}");
        assert_eq!(r.headers["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(r.headers["x-frame-options"], "DENY", "{what}");
        assert_eq!(r.headers["referrer-policy"], "same-origin", "{what}");
        assert!(r.headers.contains_key("cache-control"), "{what}");
    }
}
