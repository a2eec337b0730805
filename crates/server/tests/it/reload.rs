//! A rebuilt index is served without a restart and without a failed request; a broken one is
//! refused and the old one keeps serving.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::StatusCode;
use crate::common::*;
use kotae_server::reload;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A copy of the sample content in a temporary folder, and its index built: (the folder, which
/// is removed when dropped, the content, the index).
fn built_copy() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (content, index) = (dir.path().join("content"), dir.path().join("index"));
    copy_dir(&sample_content(), &content);
    build(&content, &index);
    (dir, content, index)
}

fn retitle(content: &Path, title: &str) {
    let path = content.join("shipping/fee.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let i = lines.iter().position(|l| l.starts_with("title:")).unwrap();
    lines[i] = format!("title: {title}");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
}

#[tokio::test]
async fn a_rebuilt_index_is_served_without_restart() {
    let (_dir, content, index) = built_copy();
    let s = state_for(&index);
    let mut failed = None;
    assert!(!reload::check(&s, &mut failed).await, "nothing new yet");

    retitle(&content, "配送料金はいくらかかりますか");
    build(&content, &index);
    assert!(reload::check(&s, &mut failed).await);
    let v = get(&s, "/api/articles/shipping/fee").await.json();
    assert_eq!(v["title"], "配送料金はいくらかかりますか");
}

#[tokio::test]
async fn a_broken_generation_is_refused_and_the_old_one_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    build(&sample_content(), &index);
    let s = state_for(&index);
    let serving = s.snapshot().generation.clone();

    // A generation whose files are garbage, published by hand.
    let broken = index.join("gen-99999999T999999.999999Z-1");
    std::fs::create_dir_all(broken.join("public/tantivy")).unwrap();
    std::fs::write(broken.join("public/tantivy/meta.json"), "{ truncated").unwrap();
    std::fs::write(index.join("CURRENT"), "gen-99999999T999999.999999Z-1\n").unwrap();

    let mut failed = None;
    assert!(!reload::check(&s, &mut failed).await);
    assert_eq!(failed.as_deref(), Some("gen-99999999T999999.999999Z-1"));
    assert_eq!(s.snapshot().generation, serving);
    let r = get(&s, &format!("/api/search?{}", q("送料"))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["hits"][0]["id"], "shipping/fee");
}

/// A minimal HTTP/1.1 GET over loopback; returns the status code.
async fn http_get(addr: std::net::SocketAddr, path: &str) -> std::io::Result<u16> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let head = String::from_utf8_lossy(&response[..response.len().min(32)]).to_string();
    head.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad response: {head:?}")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn swapping_the_index_under_load_fails_no_request() {
    let (_dir, content, index) = built_copy();
    let s = state_for(&index);
    let first = s.snapshot().generation.clone();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(axum::serve(listener, kotae_server::app(s.clone())).into_future());
    let reloader = reload::spawn(s.clone(), std::time::Duration::from_millis(20));

    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ok = Arc::new(AtomicUsize::new(0));
    let failures = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut clients = Vec::new();
    for worker in 0..4 {
        let (done, ok, failures) = (done.clone(), ok.clone(), failures.clone());
        clients.push(tokio::spawn(async move {
            let paths = [format!("/api/search?{}", q("送料")), format!("/search?{}", q("へんぴん")), "/articles/shipping/fee".to_string()];
            let mut i = worker;
            // Bounded: stop when the rebuilds are done, or after 20,000 requests.
            while !done.load(Ordering::Relaxed) && i < 20_000 {
                let path = &paths[i % paths.len()];
                match http_get(addr, path).await {
                    Ok(200) => {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    other => failures.lock().unwrap().push(format!("{path}: {other:?}")),
                }
                i += 4;
            }
        }));
    }

    let mut generations = vec![first.clone()];
    for round in 0..5 {
        retitle(&content, &format!("送料はいくらですか（改訂{round}）"));
        let (c, i) = (content.clone(), index.clone());
        tokio::task::spawn_blocking(move || build(&c, &i)).await.unwrap();
        // Wait until the service serves the new generation.
        for _ in 0..200 {
            if s.snapshot().generation != *generations.last().unwrap() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        generations.push(s.snapshot().generation.clone());
    }
    done.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    reloader.abort();
    server.abort();

    let failures = failures.lock().unwrap().clone();
    assert!(failures.is_empty(), "{} failed requests: {:?}", failures.len(), &failures[..failures.len().min(5)]);
    generations.dedup();
    assert_eq!(generations.len(), 6, "every rebuild was picked up: {generations:?}");
    assert!(ok.load(Ordering::Relaxed) >= 50, "the load ran: {} requests", ok.load(Ordering::Relaxed));
    let v = get(&s, "/api/articles/shipping/fee").await.json();
    assert_eq!(v["title"], "送料はいくらですか（改訂4）");
}

#[tokio::test]
async fn every_generation_gets_the_configured_result_cache() {
    let (_dir, content, index) = built_copy();
    let snapshot = kotae_core::Snapshot::open(&kotae_core::IndexRoot::new(&index), analyzer()).unwrap();
    let config = kotae_server::config::Config { result_cache: 0, ..config(&index) };
    let s = kotae_server::AppState::new(config, analyzer().clone(), snapshot);
    assert_eq!(s.snapshot().public.cache_capacity(), 0, "off from the start");

    retitle(&content, "配送料金はいくらかかりますか");
    build(&content, &index);
    let mut failed = None;
    assert!(reload::check(&s, &mut failed).await);
    assert_eq!(s.snapshot().public.cache_capacity(), 0, "and for the rebuilt generation");
    assert_eq!(state_for(&index).snapshot().public.cache_capacity(), 1024, "1,024 by default");
}
