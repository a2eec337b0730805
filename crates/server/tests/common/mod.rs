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
        let dir = tempfile::tempdir().unwrap();
        build(&sample_content(), dir.path());
        dir
    })
    .path()
}

/// A fresh events database path for each state, in a folder kept for the test binary's run.
pub fn fresh_events_db() -> PathBuf {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = DIR.get_or_init(|| tempfile::tempdir().unwrap());
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
