//! The attack run of issue 17, items 1, 3, 4, 5 and 11, as tests: failed logins sent at once,
//! weak operators in the settings file, operator names guessed by timing, floods of writes and
//! article views, and sockets that never finish their headers.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use crate::common::*;
use kotae_server::{AppState, Config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn state_with(change: impl FnOnce(&mut Config)) -> AppState {
    let mut config = config(sample_index());
    change(&mut config);
    let snapshot = kotae_core::Snapshot::open(&kotae_core::IndexRoot::new(sample_index()), analyzer()).unwrap();
    AppState::new(config, analyzer().clone(), snapshot)
}

fn login_body(name: &str, secret: &str, csrf: &str) -> String {
    serde_urlencoded::to_string([("name", name), ("token", secret), ("csrf", csrf)]).unwrap()
}

fn bearer(token: &str) -> Request<Body> {
    Request::get("/ops/api/search?q=x").header("authorization", token).body(Body::empty()).unwrap()
}

fn form(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri).header("content-type", "application/x-www-form-urlencoded").body(Body::from(body.to_string())).unwrap()
}

fn json_post(uri: &str, body: serde_json::Value) -> Request<Body> {
    Request::post(uri).header("content-type", "application/json").body(Body::from(body.to_string())).unwrap()
}

fn count(s: &AppState, table: &str, filter: &str) -> i64 {
    s.events.flush();
    s.events.store().unwrap().count(table, filter).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Item 1: the failed-login limit holds under concurrency

/// Send the requests `make(i)` for i in 0..n all at once from one client; their statuses.
async fn all_at_once(s: &AppState, n: usize, make: impl Fn(usize) -> Request<Body>) -> Vec<StatusCode> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (s, request, barrier) = (s.clone(), from_peer(make(i), "203.0.113.50"), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                send(&s, request).await.status
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses
}

fn assert_at_most_five_checked(what: &str, s: &AppState, statuses: &[StatusCode]) {
    let checks = s.operators.stats.checks();
    let refused = statuses.iter().filter(|c| **c == StatusCode::TOO_MANY_REQUESTS).count();
    let wrong = statuses.iter().filter(|c| **c == StatusCode::UNAUTHORIZED || **c == StatusCode::SEE_OTHER).count();
    assert!(checks <= 5, "{what}: {checks} of 100 wrong secrets reached the password check");
    assert_eq!(refused + wrong, statuses.len(), "{what}: {statuses:?}");
    assert!(refused >= 95, "{what}: only {refused} refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_wrong_logins_at_once_reach_the_password_check_at_most_five_times() {
    let hash = kotae_server::auth::hash_password("sato-no-password-2026").unwrap();
    for (what, hashed) in [("form, plain token", false), ("form, argon2 hash", true)] {
        let s = state_with(|c| {
            c.operators.insert("sato".into(), hash.clone());
        });
        assert_eq!(s.config.login_failures_per_minute, 5);
        let (cookie, token) = login_form(&s).await;
        let name = if hashed { "sato" } else { "tanaka" };
        let statuses = all_at_once(&s, 100, |i| login_request(&cookie, &login_body(name, &format!("wrong-secret-{i:04}"), &token))).await;
        assert_at_most_five_checked(what, &s, &statuses);
    }
    for (what, hashed) in [("bearer, plain token", false), ("bearer, argon2 hash", true)] {
        let s = state_with(|c| {
            c.operators.insert("sato".into(), hash.clone());
        });
        let statuses = all_at_once(&s, 100, |i| {
            if hashed { bearer(&format!("Bearer sato:wrong-secret-{i:04}")) } else { bearer(&format!("Bearer wrong-token-{i:08}")) }
        })
        .await;
        assert_at_most_five_checked(what, &s, &statuses);
        // The right secret is refused too while the client is blocked (guessing learns nothing),
        // and another client is not blocked.
        let right = if hashed { "Bearer sato:sato-no-password-2026".to_string() } else { format!("Bearer {TOKEN}") };
        assert_eq!(send(&s, from_peer(bearer(&right), "203.0.113.50")).await.status, StatusCode::TOO_MANY_REQUESTS, "{what}");
        assert_eq!(send(&s, from_peer(bearer(&right), "203.0.113.51")).await.status, StatusCode::OK, "{what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn successful_checks_give_their_attempt_back() {
    // Concurrent requests of a program with a valid token are not limited by each other.
    let s = state_with(|_| {});
    let statuses = all_at_once(&s, 40, |_| bearer(&format!("Bearer {TOKEN}"))).await;
    let ok = statuses.iter().filter(|c| **c == StatusCode::OK).count();
    assert!(ok >= 35, "valid tokens are not counted as failures: {statuses:?}");
    for _ in 0..20 {
        assert_eq!(send(&s, from_peer(bearer(&format!("Bearer {TOKEN}")), "203.0.113.50")).await.status, StatusCode::OK);
    }
}

// ---------------------------------------------------------------------------------------------
// Item 11: operator names cannot be guessed by timing

#[tokio::test]
async fn an_unknown_name_goes_through_the_same_verification_as_a_known_one() {
    // Only plain-token operators: before, a known name was a fast comparison and an unknown one
    // ran argon2 or not depending on the settings; now every named check is one argon2 run.
    let s = state_with(|c| {
        c.login_failures_per_minute = 0;
        c.operators.insert("suzuki".into(), "suzuki-token-0123456".into());
    });
    let (cookie, token) = login_form(&s).await;
    let stats = &s.operators.stats;
    let cases = [
        ("unknown name", "nobody", "wrong-secret-000"),
        ("known name, wrong token", "tanaka", "wrong-secret-000"),
        ("unknown name, a real token", "nobody", TOKEN),
        ("empty name", "", "wrong-secret-000"),
        ("known name, right token", "suzuki", "suzuki-token-0123456"),
    ];
    for (what, name, secret) in cases {
        let before = (stats.checks(), stats.hash_verifications());
        let r = send(&s, login_request(&cookie, &login_body(name, secret, &token))).await;
        assert!(matches!(r.status, StatusCode::UNAUTHORIZED | StatusCode::SEE_OTHER), "{what}: {}", r.status);
        assert_eq!((stats.checks(), stats.hash_verifications()), (before.0 + 1, before.1 + 1), "{what}: one check, one argon2 run");
    }
    for (what, auth) in [
        ("bearer, unknown name", "Bearer nobody:wrong-secret-000".to_string()),
        ("bearer, known name", "Bearer tanaka:wrong-secret-000".to_string()),
        ("bearer, known name and its token", format!("Bearer tanaka:{TOKEN}")),
    ] {
        let before = stats.hash_verifications();
        let _ = send(&s, bearer(&auth)).await;
        assert_eq!(stats.hash_verifications(), before + 1, "{what}");
    }
}

// ---------------------------------------------------------------------------------------------
// Smaller fix: the bearer scheme in any case

#[tokio::test]
async fn a_lowercase_bearer_scheme_works() {
    let s = state();
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let r = send(&s, bearer(&format!("{scheme} {TOKEN}"))).await;
        assert_eq!(r.status, StatusCode::OK, "{scheme}: {}", r.body);
    }
    assert_eq!(send(&s, bearer(&format!("Basic {TOKEN}"))).await.status, StatusCode::UNAUTHORIZED);
}

// ---------------------------------------------------------------------------------------------
// Item 3: `[operators]` in the settings file is length-checked

#[tokio::test]
async fn weak_or_empty_operators_in_the_settings_file_refuse_to_start() {
    let dir = tempfile::tempdir().unwrap();
    for (name, secret, why) in [("weak", "a", "shorter than 12"), ("empty", "", "empty"), ("eleven", "abcdefghijk", "shorter than 12")] {
        let path = dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, format!("[operators]\ntanaka = \"{TOKEN}\"\n{name} = \"{secret}\"\n")).unwrap();
        let error = format!("{:#}", Config::load(Some(&path)).unwrap_err());
        assert!(error.contains(&format!("`{name}`")) && error.contains(why), "{name}: {error}");
        // `run` refuses them too, before opening anything.
        let mut config = config(sample_index());
        config.operators.insert(name.into(), secret.into());
        let error = format!("{:#}", kotae_server::run(config, analyzer().clone()).await.unwrap_err());
        assert!(error.contains(&format!("`{name}`")), "{name}: {error}");
    }
    let path = dir.path().join("good.toml");
    let hash = kotae_server::auth::hash_password("a password").unwrap();
    std::fs::write(&path, format!("[operators]\ntanaka = \"{TOKEN}\"\nsato = \"{hash}\"\n")).unwrap();
    assert_eq!(Config::load(Some(&path)).unwrap().operators.len(), 2, "a long token and an argon2 hash are fine");
}

// ---------------------------------------------------------------------------------------------
// Item 4: every public route is limited per client; writes much more strictly

#[tokio::test]
async fn a_flood_of_writes_from_one_client_gets_429_and_stored_rows_stop_growing() {
    let s = state();
    let (per_minute, burst) = (s.config.write_rate_limit_per_minute, s.config.write_rate_limit_burst);
    assert!(burst <= 10 && per_minute <= 10.0, "writes get a much stricter budget than reads");

    // Questions by form.
    let question = |i: usize| from_peer(form("/questions", &format!("question=%E8%B3%AA%E5%95%8F{i}")), "198.51.100.10");
    let mut statuses = Vec::new();
    for i in 0..40 {
        statuses.push(send(&s, question(i)).await);
    }
    let stored = count(&s, "questions", "");
    let accepted = statuses.iter().filter(|r| r.status == StatusCode::OK).count();
    assert_eq!(stored, accepted as i64);
    assert!((burst as usize..=burst as usize + 1).contains(&accepted), "the burst, then 429: {accepted}");
    let refused = statuses.last().unwrap();
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers.contains_key("retry-after"));
    assert!(refused.body.contains("秒ほど待ってから") && refused.headers["content-type"].to_str().unwrap().starts_with("text/html"), "{}", refused.body);
    for i in 0..10 {
        send(&s, question(100 + i)).await;
    }
    assert_eq!(count(&s, "questions", ""), stored, "rows stop growing");

    // Votes through the JSON API, and through the form.
    let vote = |ip: &str| from_peer(json_post("/api/feedback", serde_json::json!({ "id": "orders/cancel", "helpful": true })), ip);
    let mut last = None;
    for _ in 0..30 {
        last = Some(send(&s, vote("198.51.100.11")).await);
    }
    let last = last.unwrap();
    assert_eq!(last.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(last.json()["error"]["status"], 429);
    let secs: u64 = last.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&secs), "{secs}");
    let votes = count(&s, "events", "kind = 'vote'");
    assert!(votes <= i64::from(burst) + 1, "{votes} votes stored");
    let form_vote = send(&s, from_peer(form("/feedback", "id=orders%2Fcancel&helpful=yes"), "198.51.100.11")).await;
    assert_eq!(form_vote.status, StatusCode::TOO_MANY_REQUESTS, "votes by form share the client's write budget");
    assert!(form_vote.body.contains("秒ほど待ってから"));
    assert_eq!(count(&s, "events", "kind = 'vote'"), votes, "rows stop growing");

    // Hand-overs.
    for _ in 0..30 {
        send(&s, from_peer(Request::get("/contact/go?channel=chat&q=x").body(Body::empty()).unwrap(), "198.51.100.12")).await;
    }
    let go = count(&s, "events", "kind = 'handover' AND action = 'go'");
    assert!(go <= i64::from(burst) + 1, "{go} hand-overs recorded");

    // Another client can still write; the flooding one can still read.
    assert_eq!(send(&s, vote("198.51.100.13")).await.status, StatusCode::ACCEPTED);
    assert_eq!(send(&s, from_peer(Request::get("/articles/orders/cancel").body(Body::empty()).unwrap(), "198.51.100.10")).await.status, StatusCode::OK);
}

#[tokio::test]
async fn every_public_route_is_limited_per_client() {
    let s = state_with(|c| {
        c.page_rate_limit_per_second = 0.5;
        c.page_rate_limit_burst = 1;
        c.rate_limit_per_second = 0.5;
        c.rate_limit_burst = 1;
    });
    let routes = [
        "/",
        "/articles/orders/cancel",
        "/categories/orders",
        "/contact",
        "/sitemap.xml",
        "/robots.txt",
        "/opensearch.xml",
        "/healthz",
        "/ops/login",
        kotae_server::assets::APP_JS_URL.as_str(),
        "/no-such-page",
        "/api/categories",
        "/api/openapi.json",
        "/search?q=x",
    ];
    for (i, route) in routes.iter().enumerate() {
        let ip = format!("198.51.100.{}", 100 + i);
        let get = || from_peer(Request::get(*route).body(Body::empty()).unwrap(), &ip);
        let first = send(&s, get()).await;
        assert_ne!(first.status, StatusCode::TOO_MANY_REQUESTS, "{route}");
        let second = send(&s, get()).await;
        assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS, "{route}");
        assert!(second.headers.contains_key("retry-after"), "{route}");
        let json = route.starts_with("/api/");
        assert_eq!(second.headers["content-type"].to_str().unwrap().starts_with("application/json"), json, "{route}");
    }
    // The console behind authentication is not limited by these budgets.
    for _ in 0..5 {
        assert_eq!(send(&s, from_peer(bearer(&format!("Bearer {TOKEN}")), "198.51.100.99")).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn a_flood_of_article_views_from_one_client_moves_popularity_by_at_most_one() {
    let s = state();
    let article = "orders/cancel";
    let score = |s: &AppState| {
        s.events.flush();
        s.events.refresh();
        let s = s.clone();
        async move { s.events.popularity().await.get(article).map_or(0, |p| p.views) }
    };
    let before = score(&s).await;
    for _ in 0..50 {
        let r = send(&s, from_peer(Request::get(format!("/articles/{article}")).body(Body::empty()).unwrap(), "192.0.2.60")).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    for _ in 0..20 {
        let r = send(&s, from_peer(Request::get(format!("/api/articles/{article}")).body(Body::empty()).unwrap(), "192.0.2.60")).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    assert_eq!(score(&s).await, before + 1, "seventy views from one client count once");
    assert_eq!(count(&s, "events", &format!("kind = 'view' AND article = '{article}'")), 1);
    // Another client's view counts; so does the first client's view of another article.
    send(&s, from_peer(Request::get(format!("/articles/{article}")).body(Body::empty()).unwrap(), "192.0.2.61")).await;
    assert_eq!(score(&s).await, before + 2);
    send(&s, from_peer(Request::get("/articles/account/register").body(Body::empty()).unwrap(), "192.0.2.60")).await;
    assert_eq!(count(&s, "events", "kind = 'view'"), 3);
}

// ---------------------------------------------------------------------------------------------
// Item 5: slowloris

struct Served {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

async fn serve(change: impl FnOnce(&mut Config)) -> Served {
    let s = state_with(change);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(kotae_server::serve(listener, s, async {
        let _ = stopped.await;
    }));
    Served { addr, stop: Some(stop), server }
}

impl Served {
    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(10), self.server).await.expect("the server stops").unwrap().unwrap();
    }
}

/// Connect to `addr` from the loopback address `from`.
async fn connect_from(from: &str, addr: SocketAddr) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    socket.connect(addr).await.unwrap()
}

/// Read until the server closes `stream`; how long that took (`None`: not within `limit`).
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at((started + limit).into(), stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            // A 408 before closing is fine too.
            Ok(Ok(_)) => continue,
        }
    }
}

/// The status of `GET path` sent on `stream` (0 when the connection closed first).
async fn status_on(stream: &mut TcpStream, path: &str) -> u16 {
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return 0;
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    String::from_utf8_lossy(&response).split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0)
}

#[tokio::test]
async fn connections_that_do_not_finish_their_headers_are_closed_after_the_timeout() {
    let served = serve(|c| c.header_read_timeout_ms = 500).await;
    let opened = Instant::now();
    let mut partial = TcpStream::connect(served.addr).await.unwrap();
    partial.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ").await.unwrap();
    let mut silent = TcpStream::connect(served.addr).await.unwrap();
    let mut trickle = TcpStream::connect(served.addr).await.unwrap();
    let trickling = tokio::spawn(async move {
        // One byte every 100 ms: the head never completes, however busy the client looks.
        for b in b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".iter() {
            if trickle.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        closed_within(&mut trickle, Duration::from_secs(10)).await
    });
    for (what, stream) in [("a partial head", &mut partial), ("nothing at all", &mut silent)] {
        closed_within(stream, Duration::from_secs(10)).await.unwrap_or_else(|| panic!("{what}: still open after 10 s"));
        let took = opened.elapsed();
        assert!(took >= Duration::from_millis(300) && took < Duration::from_secs(5), "{what}: closed after {took:?}");
    }
    let took = trickling.await.unwrap().expect("a trickled head: closed");
    assert!(took < Duration::from_secs(5), "{took:?}");
    // A complete request is still served.
    let mut ok = TcpStream::connect(served.addr).await.unwrap();
    assert_eq!(status_on(&mut ok, "/healthz").await, 200);
    served.stop().await;
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_and_healthz_still_answers_for_others() {
    // One client cannot hold more than its share: its extra sockets are closed at once, and
    // another client's /healthz is answered while it holds its own.
    let served = serve(|c| {
        c.header_read_timeout_ms = 30_000;
        c.max_connections = 16;
        c.max_connections_per_client = 2;
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut s = connect_from("127.0.0.1", served.addr).await;
        s.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        held.push(s);
    }
    for i in 0..5 {
        let mut extra = connect_from("127.0.0.1", served.addr).await;
        let _ = extra.write_all(b"GET / HTTP/1.1\r\n").await;
        let took = closed_within(&mut extra, Duration::from_secs(5)).await;
        assert!(took.is_some_and(|t| t < Duration::from_secs(2)), "extra connection {i} of one client: {took:?}");
    }
    let started = Instant::now();
    let mut other = connect_from("127.0.0.2", served.addr).await;
    assert_eq!(status_on(&mut other, "/healthz").await, 200);
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    drop(held);
    served.stop().await;

    // The overall cap: beyond it, connections wait to be accepted until one closes.
    let served = serve(|c| {
        c.header_read_timeout_ms = 1500;
        c.max_connections = 3;
        c.max_connections_per_client = 0;
    })
    .await;
    let mut silent = Vec::new();
    for _ in 0..3 {
        silent.push(TcpStream::connect(served.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let mut waiting = connect_from("127.0.0.2", served.addr).await;
    let request = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    waiting.write_all(request).await.unwrap();
    let mut response = Vec::new();
    let early = tokio::time::timeout(Duration::from_millis(700), waiting.read_to_end(&mut response)).await;
    assert!(early.is_err() && response.is_empty(), "not served while three connections hold every slot");
    tokio::time::timeout(Duration::from_secs(10), waiting.read_to_end(&mut response)).await.expect("served once a slot frees").unwrap();
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(started.elapsed() >= Duration::from_millis(1000), "waited for the silent ones to time out: {:?}", started.elapsed());
    served.stop().await;
}
