//! Kotae as two replicas behind nginx, with real parts: Debian's nginx running
//! `docs/deploy/nginx.conf` (ports filled in) in front of two `kotae serve` processes that share
//! one events store (a PostgreSQL server of Debian's, started by the test) and one session secret, each serving its own index folder built from the
//! same content (the recommended mode, docs/operations.md).
//!
//! While searches run through nginx without a pause, and votes and questions are posted
//! through it: a console login on replica A works on B and a logout on B ends it on A; A is
//! killed with SIGKILL, restarted, and serves again; PostgreSQL is restarted; a new generation
//! is built on both, and both switch to it. No search may fail, and every acknowledged vote and
//! question must be in PostgreSQL. Skipped when nginx or PostgreSQL is missing, unless
//! `KOTAE_REQUIRE_NGINX=1` (or `KOTAE_REQUIRE_PG=1`).
//!
//! Also here, without nginx: the same content gives the same source hash in any folder.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::util::{copy_dir, kotae, repo, sample_content, stderr};

const SECRET: &str = "replica-test-session-secret-0123456789abcdef";
const OPERATOR: &str = "tanaka";
const TOKEN: &str = "operator-token-0123456789";

/// An HTTP/1.1 answer: status, headers (lower-case names), body.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .filter(|(k, _)| k == "set-cookie")
            .filter_map(|(_, v)| v.split(';').next())
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(str::to_string)
    }
}

/// One request on a fresh connection (`Connection: close`).
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(Answer {
        status,
        headers,
        body: body.to_string(),
    })
}

fn get(port: u16, path: &str) -> std::io::Result<Answer> {
    http(port, "GET", path, &[], "")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A process stopped (and waited for) when dropped: SIGTERM first, so that nginx's master
/// stops its workers (killed outright, it leaves them running), SIGKILL after 5 s.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.0.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Build `content` into `index`; returns the source hash `kotae index` printed.
fn build(content: &Path, index: &Path) -> String {
    let out = kotae(
        &repo(),
        &[
            "index",
            "--content",
            content.to_str().unwrap(),
            "--index",
            index.to_str().unwrap(),
        ],
    );
    let text = stderr(&out);
    assert!(out.status.success(), "kotae index failed: {text}");
    let hash = text
        .split("(source hash ")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .unwrap_or_else(|| panic!("no source hash printed: {text}"));
    let generation = std::fs::read_to_string(index.join("CURRENT")).unwrap();
    let written = std::fs::read_to_string(index.join(generation.trim()).join("SOURCE")).unwrap();
    assert_eq!(
        written.trim(),
        hash,
        "the generation holds the hash printed"
    );
    hash.to_string()
}

/// Change one character of a page of `content`.
fn edit_one_character(content: &Path) {
    let page = content.join("orders/cancel.md");
    let text = std::fs::read_to_string(&page).unwrap();
    std::fs::write(
        &page,
        text.replacen(
            "マイページからキャンセルできます",
            "マイページからキャンセルできまず",
            1,
        ),
    )
    .unwrap();
}

#[test]
fn the_same_content_gives_the_same_source_hash_in_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (
        dir.path().join("a/content"),
        dir.path().join("elsewhere/b/content"),
    );
    copy_dir(&sample_content(), &a);
    copy_dir(&sample_content(), &b);
    let first = build(&a, &dir.path().join("a/index"));
    assert_eq!(first.len(), 32, "{first}");
    assert_eq!(
        build(&b, &dir.path().join("b-index")),
        first,
        "another folder, another build time: the same hash"
    );
    edit_one_character(&b);
    assert_ne!(
        build(&b, &dir.path().join("b-index")),
        first,
        "one character changed"
    );
}

/// A `kotae serve` replica.
struct Replica {
    port: u16,
    index: PathBuf,
    log: PathBuf,
    proc: Option<Proc>,
}

impl Replica {
    fn start(&mut self, events_url: &str) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_kotae"))
            .args([
                "serve",
                "--index",
                self.index.to_str().unwrap(),
                "--addr",
                &format!("127.0.0.1:{}", self.port),
            ])
            .current_dir(self.index.parent().unwrap())
            .env("KOTAE_LOG", "warn")
            .env("KOTAE_EVENTS_URL", events_url)
            .env("KOTAE_SESSION_SECRET", SECRET)
            .env("KOTAE_OPERATORS", format!("{OPERATOR}:{TOKEN}"))
            .env("KOTAE_TRUST_FORWARDED_FOR", "true")
            .env("KOTAE_RATE_LIMIT", "off")
            .env_remove("KOTAE_CONTENT")
            .env_remove("KOTAE_INDEX")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start kotae serve");
        self.proc = Some(Proc(child));
        self.wait_ready();
    }

    fn wait_ready(&mut self) {
        let start = Instant::now();
        loop {
            if get(self.port, "/readyz").is_ok_and(|a| a.status == 200) {
                return;
            }
            let exited = self
                .proc
                .as_mut()
                .and_then(|p| p.0.try_wait().ok().flatten());
            assert!(
                exited.is_none(),
                "replica on {} exited: {}",
                self.port,
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "replica on {} did not get ready",
                self.port
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn kill(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.0.kill().unwrap();
            p.0.wait().unwrap();
        }
    }

    fn source_hash(&self) -> Option<String> {
        let health = get(self.port, "/healthz").ok()?;
        let v: serde_json::Value = serde_json::from_str(&health.body).ok()?;
        v["source_hash"].as_str().map(str::to_string)
    }
}

/// nginx with `docs/deploy/nginx.conf`, listening on `port`, in front of the two replicas.
fn start_nginx(nginx: &Path, dir: &Path, port: u16, a: u16, b: u16) -> Proc {
    for sub in ["logs", "temp"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let template = std::fs::read_to_string(repo().join("docs/deploy/nginx.conf")).unwrap();
    let conf = template
        .replace("@LISTEN@", &format!("127.0.0.1:{port}"))
        .replace("@REPLICA_A@", &format!("127.0.0.1:{a}"))
        .replace("@REPLICA_B@", &format!("127.0.0.1:{b}"));
    assert!(!conf.contains('@'), "every placeholder filled in");
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let child = Command::new(nginx)
        .args([
            "-p",
            &format!("{}/", dir.display()),
            "-c",
            dir.join("nginx.conf").to_str().unwrap(),
            "-g",
            "daemon off;",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nginx");
    let mut proc = Proc(child);
    let start = Instant::now();
    while !get(port, "/healthz").is_ok_and(|a| a.status == 200) {
        assert!(
            proc.0.try_wait().unwrap().is_none(),
            "nginx exited: {}",
            std::fs::read_to_string(dir.join("logs/error.log")).unwrap_or_default()
        );
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "nginx did not come up"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    proc
}

fn find_nginx() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

/// Requests made through nginx, and those that failed.
#[derive(Default)]
struct Tally {
    searches: AtomicUsize,
    failed: Mutex<Vec<String>>,
    votes: Mutex<Vec<String>>,
    questions: Mutex<Vec<String>>,
    refused_writes: AtomicUsize,
}

const QUERIES: &[&str] = &[
    "返品したい",
    "パスワードを忘れた",
    "送料",
    "キャンセル",
    "ポイント",
    "へんぴん",
    "領収書",
    "届かない",
];

/// Searches through nginx until `stop`: each one must answer 200.
fn search_loop(port: u16, stop: Arc<AtomicBool>, tally: Arc<Tally>, worker: usize) {
    let mut i = worker;
    while !stop.load(Ordering::SeqCst) {
        let q = QUERIES[i % QUERIES.len()];
        let path = if i % 3 == 0 {
            format!("/search?q={}", encode(q))
        } else {
            format!("/api/search?q={}", encode(q))
        };
        match get(port, &path) {
            Ok(a) if a.status == 200 => {}
            Ok(a) => tally.failed.lock().unwrap().push(format!(
                "{path}: {} {}",
                a.status,
                a.body.chars().take(200).collect::<String>()
            )),
            Err(e) => tally.failed.lock().unwrap().push(format!("{path}: {e}")),
        }
        tally.searches.fetch_add(1, Ordering::SeqCst);
        i += 2;
        std::thread::sleep(Duration::from_millis(15));
    }
}

/// Votes and questions through nginx until `stop`; those acknowledged are remembered.
fn write_loop(port: u16, stop: Arc<AtomicBool>, tally: Arc<Tally>) {
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        if n % 2 == 0 {
            let comment = format!("replica-vote-{n}");
            let body = format!(r#"{{"id":"orders/cancel","helpful":true,"comment":"{comment}"}}"#);
            match http(
                port,
                "POST",
                "/api/feedback",
                &[("Content-Type", "application/json")],
                &body,
            ) {
                Ok(a) if a.status == 202 => tally.votes.lock().unwrap().push(comment),
                _ => {
                    tally.refused_writes.fetch_add(1, Ordering::SeqCst);
                }
            }
        } else {
            let question = format!("レプリカの質問{n}");
            let body = format!("question={}", encode(&question));
            match http(
                port,
                "POST",
                "/questions",
                &[("Content-Type", "application/x-www-form-urlencoded")],
                &body,
            ) {
                Ok(a) if a.status == 200 => tally.questions.lock().unwrap().push(question),
                _ => {
                    tally.refused_writes.fetch_add(1, Ordering::SeqCst);
                }
            }
        }
        std::thread::sleep(Duration::from_millis(40));
    }
}

/// Log in on `port` through the console form; returns the session cookie (`name=value`).
fn log_in(port: u16) -> String {
    let form = get(port, "/ops/login").unwrap();
    let login_cookie = form
        .cookie("kotae_login_csrf")
        .expect("a login token cookie");
    let token = login_cookie.split_once('=').unwrap().1.to_string();
    let body = format!("name={OPERATOR}&token={TOKEN}&csrf={token}");
    let a = http(
        port,
        "POST",
        "/ops/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Cookie", &login_cookie),
        ],
        &body,
    )
    .unwrap();
    assert_eq!(a.status, 303, "login: {}", a.body);
    a.cookie("kotae_session").expect("a session cookie")
}

fn console_status(port: u16, session: &str) -> u16 {
    http(port, "GET", "/ops", &[("Cookie", session)], "")
        .unwrap()
        .status
}

/// The console's logout token on a page of `port`.
fn csrf_token(port: u16, session: &str) -> String {
    let page = http(port, "GET", "/ops", &[("Cookie", session)], "").unwrap();
    let at = page
        .body
        .find(r#"name="csrf" value=""#)
        .expect("a CSRF field")
        + r#"name="csrf" value=""#.len();
    page.body[at..].split('"').next().unwrap().to_string()
}

/// Lines of nginx's access log after the first `skip`, served by the upstream `addr` with 200.
fn served_by(log: &Path, skip: usize, addr: &str) -> usize {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .skip(skip)
        .filter(|l| l.contains(&format!("upstream={addr} ")) && l.contains("upstream_status=200"))
        .count()
}

fn log_lines(log: &Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .count()
}

#[test]
fn two_replicas_behind_nginx_fail_over_share_sessions_and_switch_generations() {
    let Some(nginx) = find_nginx() else {
        let required = std::env::var("KOTAE_REQUIRE_NGINX").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "KOTAE_REQUIRE_NGINX=1 but nginx is not installed (apt-get install nginx, or run .ci/setup)"
        );
        eprintln!("skipped: nginx is not installed (apt-get install nginx, or run .ci/setup)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    copy_dir(&sample_content(), &content);
    let Some(mut pg) = kotae_pgtest::PgServer::start() else {
        return;
    };
    let db = pg.create_database("kotae");
    let mut replicas: Vec<Replica> = ["a", "b"]
        .iter()
        .map(|name| {
            let home = dir.path().join(format!("replica-{name}"));
            std::fs::create_dir_all(&home).unwrap();
            Replica {
                port: free_port(),
                index: home.join("index"),
                log: home.join("serve.log"),
                proc: None,
            }
        })
        .collect();
    // Each replica builds its own index from the same content revision.
    let hashes: Vec<String> = replicas.iter().map(|r| build(&content, &r.index)).collect();
    assert_eq!(hashes[0], hashes[1], "the same content, the same hash");
    for r in &mut replicas {
        r.start(&db);
    }
    assert_eq!(
        replicas[0].source_hash().as_deref(),
        Some(hashes[0].as_str()),
        "/healthz shows the hash"
    );
    let port = free_port();
    let nginx_dir = dir.path().join("nginx");
    let _nginx = start_nginx(&nginx, &nginx_dir, port, replicas[0].port, replicas[1].port);
    let access_log = nginx_dir.join("logs/access.log");

    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let mut workers = Vec::new();
    for w in 0..2 {
        let (stop, tally) = (stop.clone(), tally.clone());
        workers.push(std::thread::spawn(move || {
            search_loop(port, stop, tally, w)
        }));
    }
    {
        let (stop, tally) = (stop.clone(), tally.clone());
        workers.push(std::thread::spawn(move || write_loop(port, stop, tally)));
    }
    let started = Instant::now();

    // A console login on A works on B; a logout on B ends it on A.
    let (a_port, b_port) = (replicas[0].port, replicas[1].port);
    let session = log_in(a_port);
    assert_eq!(
        console_status(b_port, &session),
        200,
        "A's session works on B"
    );
    let token = csrf_token(b_port, &session);
    let out = http(
        b_port,
        "POST",
        "/ops/logout",
        &[("Cookie", &session), ("X-CSRF-Token", &token)],
        "",
    )
    .unwrap();
    assert_eq!(out.status, 303, "logout on B: {}", out.body);
    assert_eq!(
        console_status(a_port, &session),
        303,
        "logged out on B: A sends to the login form"
    );
    assert_eq!(console_status(b_port, &session), 303);

    // Kill A mid-load, then restart it: it serves again.
    std::thread::sleep(Duration::from_secs(3));
    replicas[0].kill();
    std::thread::sleep(Duration::from_secs(3));
    let before_restart = log_lines(&access_log);
    replicas[0].start(&db);
    let a_addr = format!("127.0.0.1:{a_port}");
    let rejoin = Instant::now();
    while served_by(&access_log, before_restart, &a_addr) < 5 {
        assert!(
            rejoin.elapsed() < Duration::from_secs(30),
            "the restarted replica gets no traffic from nginx"
        );
        std::thread::sleep(Duration::from_millis(200));
    }

    // PostgreSQL restarted mid-load: searches go on; votes and questions are refused (503)
    // while it is away, and acknowledged again once it is back.
    pg.stop();
    std::thread::sleep(Duration::from_secs(2));
    pg.resume();
    let acknowledged = tally.votes.lock().unwrap().len();
    let back = Instant::now();
    while tally.votes.lock().unwrap().len() < acknowledged + 3 {
        assert!(back.elapsed() < Duration::from_secs(30), "votes are not acknowledged again after PostgreSQL came back");
        std::thread::sleep(Duration::from_millis(100));
    }

    // A new generation of changed content, built on both replicas while traffic runs.
    edit_one_character(&content);
    let new_hashes: Vec<String> = replicas.iter().map(|r| build(&content, &r.index)).collect();
    assert_eq!(new_hashes[0], new_hashes[1]);
    assert_ne!(new_hashes[0], hashes[0], "changed content, another hash");
    let switch = Instant::now();
    while replicas
        .iter()
        .any(|r| r.source_hash().as_deref() != Some(new_hashes[0].as_str()))
    {
        assert!(
            switch.elapsed() < Duration::from_secs(30),
            "the replicas did not switch to the new generation"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(2));
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.join().unwrap();
    }

    let searches = tally.searches.load(Ordering::SeqCst);
    let failed = tally.failed.lock().unwrap().clone();
    eprintln!(
        "replicas: {searches} searches in {:.1}s through nginx, {} failed; {} votes and {} questions acknowledged, {} writes refused",
        started.elapsed().as_secs_f64(),
        failed.len(),
        tally.votes.lock().unwrap().len(),
        tally.questions.lock().unwrap().len(),
        tally.refused_writes.load(Ordering::SeqCst)
    );
    assert!(searches > 100, "steady traffic: {searches} searches");
    assert!(
        failed.is_empty(),
        "{} of {searches} searches failed through nginx:\n{}",
        failed.len(),
        failed.join("\n")
    );
    let b_addr = format!("127.0.0.1:{b_port}");
    for addr in [&a_addr, &b_addr] {
        let log = std::fs::read_to_string(&access_log).unwrap();
        assert!(
            log.lines()
                .any(|l| l.contains("POST /api/feedback")
                    && l.contains(&format!("upstream={addr} "))),
            "votes reached {addr}"
        );
    }

    // Every acknowledged vote and question is stored.
    let store = kotae_events::PgStore::connect(&db).unwrap();
    let votes = tally.votes.lock().unwrap().clone();
    let questions = tally.questions.lock().unwrap().clone();
    assert!(!votes.is_empty() && !questions.is_empty());
    for comment in &votes {
        assert_eq!(
            store
                .count(
                    "events",
                    &format!("kind = 'vote' AND comment = '{comment}'")
                )
                .unwrap(),
            1,
            "vote {comment}"
        );
    }
    for question in &questions {
        assert_eq!(
            store
                .count("questions", &format!("question = '{question}'"))
                .unwrap(),
            1,
            "question {question}"
        );
    }
}
