//! The events database survives a killed server: a vote and a question acknowledged with 2xx
//! are in the SQLite file even when `kotae serve` is killed right after (SIGKILL), and
//! `kotae report` reads them back.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{kotae, repo, sample_index, stdout};

/// A minimal HTTP/1.1 exchange; returns the status code and the body.
fn http(port: u16, method: &str, path: &str, content_type: &str, body: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn acknowledged_votes_and_questions_survive_a_killed_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.sqlite3");
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let index = sample_index().join("index");
    let child = Command::new(env!("CARGO_BIN_EXE_kotae"))
        .args(["serve", "--index", index.to_str().unwrap(), "--addr", &format!("127.0.0.1:{port}")])
        .current_dir(dir.path())
        .env("KOTAE_LOG", "warn")
        .env("KOTAE_EVENTS_DB", &db)
        .env("KOTAE_OPERATORS", "tanaka:operator-token-0123456789")
        .env_remove("KOTAE_CONTENT")
        .env_remove("KOTAE_INDEX")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start kotae serve");
    let mut server = Server(child);

    let start = Instant::now();
    loop {
        if let Ok((200, _)) = http(port, "GET", "/healthz", "text/plain", "") {
            break;
        }
        assert!(server.0.try_wait().unwrap().is_none(), "kotae serve exited early");
        assert!(start.elapsed() < Duration::from_secs(90), "kotae serve did not come up");
        std::thread::sleep(Duration::from_millis(100));
    }

    let (status, body) = http(
        port,
        "POST",
        "/api/feedback",
        "application/json",
        r#"{"id":"orders/cancel","helpful":false,"query":"キャンセルしたい","comment":"durable vote"}"#,
    )
    .unwrap();
    assert_eq!(status, 202, "{body}");
    let question = "question=%E8%A7%A3%E7%B4%84%E3%81%97%E3%81%9F%E3%81%84&contact=kill%40example.com&q=%E8%A7%A3%E7%B4%84";
    let (status, body) = http(port, "POST", "/questions", "application/x-www-form-urlencoded", question).unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("ご質問を受け付けました"));

    // SIGKILL right away: no graceful shutdown, no flush.
    server.0.kill().unwrap();
    server.0.wait().unwrap();

    let store = kotae_events::Store::open(&db).unwrap();
    assert_eq!(store.count("events", "kind = 'vote' AND article = 'orders/cancel' AND helpful = 0 AND comment = 'durable vote'").unwrap(), 1);
    assert_eq!(store.count("questions", "question = '解約したい' AND contact = 'kill@example.com' AND query = '解約'").unwrap(), 1);
    drop(store);

    // The report reads the file; contact addresses stay out of it.
    let out = kotae(&repo(), &["report", "--events", db.to_str().unwrap(), "--index", index.to_str().unwrap(), "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["questions"][0]["question"], "解約したい");
    assert_eq!(v["questions"][0]["has_contact"], true);
    assert!(!stdout(&out).contains("kill@example.com"), "contact addresses are shown only in the console");
    assert_eq!(v["worst_helpful"][0]["article"], "orders/cancel");
    assert!(v["never_found"].as_array().unwrap().len() > 10, "no search yet: most public pages were never found");
    let out = kotae(&repo(), &["report", "--events", db.to_str().unwrap(), "--index", index.to_str().unwrap(), "--since", "7d"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("Questions sent (1)") && stdout(&out).contains("解約したい [連絡先あり]"), "{}", stdout(&out));
    let out = kotae(&repo(), &["report", "--events", db.to_str().unwrap(), "--index", index.to_str().unwrap(), "--format", "csv", "--report", "worst_helpful"]);
    assert!(out.status.success());
    // The id and the title; one vote is too few for a ratio.
    assert!(stdout(&out).starts_with("article,title,yes,no,ratio\norders/cancel,"), "{}", stdout(&out));
    assert!(stdout(&out).contains(",0,1,\n") && !stdout(&out).contains("orders/cancel,,"), "{}", stdout(&out));
}
