//! Shared set-up: the sample corpus indexed once into a temporary folder, and request helpers.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use kotae_core::{Analyzer, IndexRoot, Snapshot};
use kotae_server::{AppState, Config};
use tower::ServiceExt;

pub const TOKEN: &str = "operator-token-0123456789";

pub fn analyzer() -> &'static Analyzer {
    static A: OnceLock<Analyzer> = OnceLock::new();
    A.get_or_init(|| Analyzer::from_env().expect("IPADIC installed"))
}

pub fn sample_content() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content")
}

pub fn build(content: &Path, index: &Path) {
    let options = kotae_indexer::BuildOptions {
        content: content.to_path_buf(),
        index: index.to_path_buf(),
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        progress: false,
    };
    kotae_indexer::build(&options, analyzer()).expect("sample corpus builds");
}

/// The sample corpus, indexed once per test binary.
pub fn sample_index() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        build(&sample_content(), dir.path());
        dir
    })
    .path()
}

/// A fresh events database path for each state, in a folder kept for the test binary's run.
pub fn fresh_events_db() -> PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = DIR.get_or_init(|| tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap());
    dir.path().join(format!("events-{}.sqlite3", N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)))
}

pub fn config(index: &Path) -> Config {
    let mut config = Config { index: index.to_path_buf(), events_db: Some(fresh_events_db()), ..Config::default() };
    config.operators.insert("tanaka".into(), TOKEN.into());
    config
}

pub fn state_for(index: &Path) -> AppState {
    let snapshot = Snapshot::open(&IndexRoot::new(index), analyzer()).unwrap();
    AppState::new(config(index), analyzer().clone(), snapshot)
}

pub fn state() -> AppState {
    state_for(sample_index())
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub async fn send(state: &AppState, request: Request<Body>) -> Reply {
    let response = kotae_server::app(state.clone()).oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Reply { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

pub async fn get(state: &AppState, uri: &str) -> Reply {
    send(state, Request::get(uri).body(Body::empty()).unwrap()).await
}

pub async fn get_as_operator(state: &AppState, uri: &str) -> Reply {
    let request = Request::get(uri).header("authorization", format!("Bearer {TOKEN}")).body(Body::empty()).unwrap();
    send(state, request).await
}

pub fn q(text: &str) -> String {
    serde_urlencoded::to_string([("q", text)]).unwrap()
}

/// `request` as if it came over a socket from `ip` (what `into_make_service_with_connect_info`
/// gives handlers in the real service).
pub fn from_peer(mut request: Request<Body>, ip: &str) -> Request<Body> {
    let addr = std::net::SocketAddr::new(ip.parse().expect("an IP address"), 40_000);
    request.extensions_mut().insert(axum::extract::ConnectInfo(addr));
    request
}

/// A `Set-Cookie` value of `reply` for cookie `name`, as `name=value` (for a `Cookie` header).
pub fn set_cookie(reply: &Reply, name: &str) -> Option<String> {
    reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_string())
        .find(|kv| kv.split_once('=').is_some_and(|(k, v)| k == name && !v.is_empty()))
}

/// The value of the hidden form field `csrf` in an HTML page (the first one).
pub fn csrf_field(html: &str) -> Option<String> {
    let at = html.find(r#"name="csrf" value=""#)? + r#"name="csrf" value=""#.len();
    Some(html[at..].split('"').next()?.to_string())
}

/// What the login form hands a browser: its token cookie (`kotae_login_csrf=…`) and the
/// token in its hidden field.
pub async fn login_form(state: &AppState) -> (String, String) {
    let page = get(state, "/ops/login").await;
    assert_eq!(page.status, StatusCode::OK);
    let cookie = set_cookie(&page, "kotae_login_csrf").expect("the login page sets its token cookie");
    let token = csrf_field(&page.body).expect("the login form has a csrf field");
    (cookie, token)
}

/// A login form submission with the form's token cookie and `body` (url-encoded).
pub fn login_request(cookie: &str, body: &str) -> Request<Body> {
    Request::post("/ops/login")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", cookie)
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// Log in as `name` with `secret` through the console form; returns the session cookie
/// (`kotae_session=…`).
pub async fn log_in(state: &AppState, name: &str, secret: &str) -> String {
    let (cookie, token) = login_form(state).await;
    let body = serde_urlencoded::to_string([("name", name), ("token", secret), ("csrf", token.as_str())]).unwrap();
    let r = send(state, login_request(&cookie, &body)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "login as {name}: {}", r.body);
    set_cookie(&r, "kotae_session").expect("a session cookie")
}

/// Copy a folder recursively (a generation, to damage or republish a copy of it).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
