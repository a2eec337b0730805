//! Issue 17, item 2: stored HTML injection through category ids. A category id is an id like
//! any other: `kotae check` refuses one that is not, at its line of `categories.yml`, and
//! `kotae import` rewrites one into a valid id (keeping the text as the category's name), so
//! that nothing a record holds reaches a served page as markup.

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{kotae, stderr, stdout};

const EVIL_ID: &str = r#"evil"><b id="pwn">X</b><a x=""#;
const REFRESH: &str = r#"<meta http-equiv="refresh" content="0;url=http://evil.example">"#;

#[test]
fn check_refuses_a_category_id_that_is_not_an_id_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    fs::create_dir_all(content.join("orders")).unwrap();
    fs::write(
        content.join("categories.yml"),
        format!("# categories\n- id: orders\n  name: ご注文\n- id: '{EVIL_ID}'\n  name: 悪意\n"),
    )
    .unwrap();
    fs::write(content.join("orders/cancel.md"), "---\ntitle: 注文を取り消したい\ncategory: orders\n---\n注文履歴から取り消せます。\n").unwrap();
    let out = kotae(dir.path(), &["check", "--content", "content"]);
    assert_eq!(out.status.code(), Some(1), "{}{}", stdout(&out), stderr(&out));
    let expected = format!(
        "{}:4: invalid category id `{EVIL_ID}`: use lower-case ASCII letters, digits, `-`, `_` and `/`\n",
        Path::new("content").join("categories.yml").display()
    );
    assert_eq!(stdout(&out), expected);
    assert!(stderr(&out).contains("1 error(s)"), "{}", stderr(&out));
}

#[test]
fn import_rewrites_a_hostile_category_and_no_served_page_carries_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let category = format!("返品\"{REFRESH}");
    let records = [
        serde_json::json!({ "id": "returns/how", "title": "返品の方法", "body": "マイページの注文履歴から返品を申し込めます。", "category": category }),
        serde_json::json!({ "id": "returns/fee", "title": "返品の送料", "body": "不良品の返品送料は当店が負担します。", "category": category }),
    ];
    fs::write(root.join("faq.jsonl"), records.iter().map(|r| format!("{r}\n")).collect::<String>()).unwrap();
    let out = kotae(root, &["import", "faq.jsonl", "--out", "content"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let id = "meta-http-equiv-refresh-content-0-url-http/evil-example";
    assert!(
        stderr(&out).contains(&format!("faq.jsonl:1: note: category `{category}` is not a usable category id: written as `{id}`")),
        "{}",
        stderr(&out)
    );
    let loaded = kotae_core::content::load(&root.join("content"), chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    let c = &loaded.corpus.categories[0];
    assert_eq!((c.id.as_str(), c.name.as_str()), (id, category.as_str()), "named as the records wrote it");
    assert!(loaded.corpus.pages.iter().all(|p| p.category.as_deref() == Some(id)));

    let check = kotae(root, &["check", "--content", "content"]);
    assert_eq!(check.status.code(), Some(0), "{}{}", stdout(&check), stderr(&check));
    let index = kotae(root, &["index", "--quiet", "--content", "content", "--index", "index"]);
    assert!(index.status.success(), "{}", stderr(&index));

    let server = Server::start(root, &root.join("index"));
    let search = format!("/search?q={}", "%E8%BF%94%E5%93%81");
    let paths = ["/".to_string(), search, format!("/categories/{id}"), "/articles/returns/how".into(), "/sitemap.xml".into(), "/ops".into()];
    for path in &paths {
        let (status, body) = server.get(path);
        assert_eq!(status, 200, "{path}: {body}");
        assert!(!body.to_ascii_lowercase().contains("<meta http-equiv"), "{path} carries the record's markup: {body}");
        assert!(!body.contains("evil.example\""), "{path}: {body}");
    }
    let (_, home) = server.get("/");
    assert!(home.contains(&format!(r#"<a href="/categories/{id}">返品&quot;&lt;meta http-equiv=&quot;refresh&quot;"#)), "the name is shown as text: {home}");
}

/// `kotae serve` on a free port, killed when dropped.
struct Server {
    child: std::process::Child,
    port: u16,
}

impl Server {
    fn start(dir: &Path, index: &Path) -> Server {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(env!("CARGO_BIN_EXE_kotae"))
            .args(["serve", "--index", index.to_str().unwrap(), "--addr", &format!("127.0.0.1:{port}")])
            .current_dir(dir)
            .env("KOTAE_LOG", "warn")
            .env("KOTAE_EVENTS_DB", dir.join("events.sqlite3"))
            .env("KOTAE_OPERATORS", "tanaka:operator-token-0123456789")
            .env_remove("KOTAE_CONTENT")
            .env_remove("KOTAE_INDEX")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start kotae serve");
        let mut server = Server { child, port };
        let start = Instant::now();
        while !matches!(server.try_get("/healthz"), Ok((200, _))) {
            assert!(server.child.try_wait().unwrap().is_none(), "kotae serve exited early");
            assert!(start.elapsed() < Duration::from_secs(90), "kotae serve did not come up");
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    /// A GET as an operator (bearer token), so that the console answers too.
    fn try_get(&self, path: &str) -> std::io::Result<(u16, String)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nAuthorization: Bearer operator-token-0123456789\r\n\r\n",
            self.port
        );
        stream.write_all(request.as_bytes())?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response)?;
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
        Ok((status, body))
    }

    fn get(&self, path: &str) -> (u16, String) {
        self.try_get(path).unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
