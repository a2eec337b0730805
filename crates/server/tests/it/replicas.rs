//! Console sessions and health on several replicas: two services in process with one session
//! secret and one events store stand for two machines behind a load balancer.

use std::path::Path;

use crate::common::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use kotae_core::{IndexRoot, Snapshot};
use kotae_server::{AppState, Config};

const SECRET: &str = "a-session-secret-shared-by-the-replicas";

fn replica(events: &Path, change: impl FnOnce(&mut Config)) -> AppState {
    let mut config = config(sample_index());
    config.events_db = Some(events.to_path_buf());
    config.session_secret = Some(SECRET.into());
    change(&mut config);
    let snapshot = Snapshot::open(&IndexRoot::new(sample_index()), analyzer()).unwrap();
    AppState::new(config, analyzer().clone(), snapshot)
}

fn with_cookie(uri: &str, cookie: &str) -> Request<Body> {
    Request::get(uri)
        .header("cookie", cookie)
        .body(Body::empty())
        .unwrap()
}

async fn console(s: &AppState, session: &str) -> StatusCode {
    send(s, with_cookie("/ops", session)).await.status
}

async fn log_out(s: &AppState, session: &str) -> Reply {
    let page = send(s, with_cookie("/ops", session)).await;
    let token = csrf_field(&page.body).expect("the logout form's token");
    let request = Request::post("/ops/logout")
        .header("cookie", session)
        .header("x-csrf-token", token)
        .body(Body::empty())
        .unwrap();
    send(s, request).await
}

#[tokio::test]
async fn a_login_on_one_replica_works_on_the_other_and_a_logout_on_either_ends_it_on_both() {
    let events = fresh_events_db();
    let (a, b) = (replica(&events, |_| {}), replica(&events, |_| {}));
    let session = log_in(&a, "tanaka", TOKEN).await;
    assert_eq!(
        console(&b, &session).await,
        StatusCode::OK,
        "A's session on B"
    );
    // The CSRF token is the same on both: a form drawn by A can be sent to B.
    let token_a = csrf_field(&send(&a, with_cookie("/ops", &session)).await.body).unwrap();
    let token_b = csrf_field(&send(&b, with_cookie("/ops", &session)).await.body).unwrap();
    assert_eq!(token_a, token_b);
    let out = log_out(&b, &session).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER, "{}", out.body);
    assert_eq!(
        console(&a, &session).await,
        StatusCode::SEE_OTHER,
        "logged out on B: A sends to the login form"
    );
    assert_eq!(console(&b, &session).await, StatusCode::SEE_OTHER);
    let api = send(
        &a,
        with_cookie("/ops/api/search?q=%E8%BF%94%E5%93%81", &session),
    )
    .await;
    assert_eq!(
        api.status,
        StatusCode::UNAUTHORIZED,
        "the API refuses it too"
    );

    // Another session of the same operator is not affected.
    let other = log_in(&b, "tanaka", TOKEN).await;
    assert_eq!(console(&a, &other).await, StatusCode::OK);
}

#[tokio::test]
async fn replicas_with_another_secret_or_without_the_operator_refuse_the_session() {
    let events = fresh_events_db();
    let a = replica(&events, |_| {});
    let session = log_in(&a, "tanaka", TOKEN).await;
    let cookie = a_login_cookie_attributes(&a).await;
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Max-Age=28800"),
        "{cookie}"
    );

    let other_secret = replica(&events, |c| {
        c.session_secret = Some("another-secret-another-secret-another".into())
    });
    assert_eq!(
        console(&other_secret, &session).await,
        StatusCode::SEE_OTHER
    );
    let no_secret = replica(&events, |c| c.session_secret = None);
    assert_eq!(
        console(&no_secret, &session).await,
        StatusCode::SEE_OTHER,
        "a random per-process key"
    );
    let removed = replica(&events, |c| {
        c.operators.clear();
        c.operators
            .insert("sato".into(), "sato-token-0123456789".into());
    });
    assert_eq!(
        console(&removed, &session).await,
        StatusCode::SEE_OTHER,
        "the operator was removed from the settings"
    );
    let rotated = replica(&events, |c| {
        c.operators
            .insert("tanaka".into(), "a-new-token-for-tanaka".into());
    });
    assert_eq!(
        console(&rotated, &session).await,
        StatusCode::SEE_OTHER,
        "the operator's token was changed"
    );

    // Any byte changed in the cookie: refused.
    let (name, value) = session.split_once('=').unwrap();
    let mut bytes = value.as_bytes().to_vec();
    let at = bytes.len() - 1;
    bytes[at] = if bytes[at] == b'0' { b'1' } else { b'0' };
    let tampered = format!("{name}={}", String::from_utf8(bytes).unwrap());
    assert_eq!(console(&a, &tampered).await, StatusCode::SEE_OTHER);
    assert_eq!(
        console(&a, &session).await,
        StatusCode::OK,
        "the real one still works"
    );
}

async fn a_login_cookie_attributes(s: &AppState) -> String {
    let (cookie, token) = login_form(s).await;
    let body = serde_urlencoded::to_string([
        ("name", "tanaka"),
        ("token", TOKEN),
        ("csrf", token.as_str()),
    ])
    .unwrap();
    let r = send(s, login_request(&cookie, &body)).await;
    r.headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("kotae_session="))
        .expect("a session cookie")
}

#[tokio::test]
async fn an_expired_session_cookie_is_refused() {
    let events = fresh_events_db();
    let a = replica(&events, |_| {});
    let now = kotae_events::now();
    let (_, old) = a
        .sessions
        .issue("tanaka", now - kotae_server::session::SESSION_TTL_SECS - 1)
        .unwrap();
    assert_eq!(
        console(&a, &format!("kotae_session={old}")).await,
        StatusCode::SEE_OTHER
    );
    let (_, fresh) = a.sessions.issue("tanaka", now - 60).unwrap();
    assert_eq!(
        console(&a, &format!("kotae_session={fresh}")).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn readiness_says_503_while_draining_and_health_shows_the_source_hash() {
    let s = state();
    let health = get(&s, "/healthz").await.json();
    let hash = health["source_hash"].as_str().expect("a source hash");
    assert_eq!(hash.len(), 32, "{health}");
    let ready = get(&s, "/readyz").await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
    assert_eq!(ready.json()["source_hash"].as_str(), Some(hash));
    assert_eq!(ready.headers.get("cache-control").unwrap(), "no-store");
    s.start_draining();
    let draining = get(&s, "/readyz").await;
    assert_eq!(draining.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(draining.body.contains("draining"), "{}", draining.body);
    assert_eq!(
        get(&s, "/healthz").await.status,
        StatusCode::OK,
        "liveness stays up while draining"
    );
    assert_eq!(
        get(&s, "/api/search?q=%E8%BF%94%E5%93%81").await.status,
        StatusCode::OK,
        "and requests are still served"
    );

    let no_store = AppState::with_events(
        config(sample_index()),
        analyzer().clone(),
        Snapshot::open(&IndexRoot::new(sample_index()), analyzer()).unwrap(),
        kotae_server::recorder::Events::disabled(),
    );
    let r = get(&no_store, "/readyz").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.body.contains("events store"), "{}", r.body);
}
