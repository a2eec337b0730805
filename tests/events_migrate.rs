//! `kotae events migrate --to postgres://…` copies the SQLite events file into PostgreSQL,
//! once; `kotae report --events-url` then gives the same figures as on the file, and so does a
//! database restored from `pg_dump`. Needs PostgreSQL (kotae-pgtest): skipped without it,
//! unless `KOTAE_REQUIRE_PG=1`.

use std::path::Path;

use crate::util::{kotae, stderr, stdout};

/// A small log an hour old: searches (one without results), a click, votes and a question.
fn log(db: &Path) {
    let store = kotae_events::Store::open(db).unwrap();
    let ts = kotae_events::now() - 3_600;
    let search = |id: &str, q: &str, hits: u64| {
        kotae_events::Event::Search(kotae_events::Search {
            id: id.into(),
            ts,
            session: Some("tab".into()),
            prev: None,
            query: q.into(),
            normalized: q.into(),
            source: "help".into(),
            audience: "public".into(),
            hits,
            top_ids: if hits > 0 {
                vec!["shipping/fee".into()]
            } else {
                vec![]
            },
            latency_ms: 3,
        })
    };
    let mut events: Vec<_> = (0..30)
        .map(|i| search(&format!("s{i}"), "送料はいくら", 1))
        .collect();
    events.push(search("z", "ぽいんとかーど", 0));
    events.push(kotae_events::Event::Click {
        ts,
        session: None,
        search_id: Some("s1".into()),
        article: "shipping/fee".into(),
        rank: 1,
        query: None,
        client: Some("hash-1".into()),
    });
    store.record_all(&events).unwrap();
    for helpful in [true, false, true] {
        let vote = kotae_events::Vote {
            ts,
            session: None,
            search_id: Some("s1".into()),
            article: "shipping/fee".into(),
            helpful,
            query: None,
            comment: None,
            client: Some("hash-1".into()),
        };
        store.record_vote(vote).unwrap();
    }
    let question = kotae_events::Question {
        ts,
        session: None,
        search_id: Some("z".into()),
        article: None,
        query: Some("ぽいんとかーど".into()),
        question: "ポイントカードはありますか".into(),
        contact: None,
    };
    store.record_question(&question).unwrap();
    // The service made its key for hashing clients at start.
    store.client_key().unwrap();
}

/// `kotae report --format json` on `source` (`--events FILE` or `--events-url URL`), without
/// the range's bounds (they move with the clock).
fn report(dir: &Path, source: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "report",
        "--index",
        "/nonexistent/kotae-index",
        "--format",
        "json",
    ];
    args.extend_from_slice(source);
    let out = kotae(dir, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    for key in ["from", "to"] {
        v.as_object_mut().unwrap().remove(key);
    }
    v
}

#[test]
fn events_migrate_copies_the_file_once_and_reports_and_backups_agree() {
    let Some(pg) = kotae_pgtest::PgServer::start() else {
        return;
    };
    let url = pg.create_database("kotae");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("events.sqlite3");
    log(&db);

    let out = kotae(
        dir.path(),
        &[
            "events",
            "migrate",
            "--to",
            &url,
            "--events",
            db.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("copied 36 rows"), "{}", stdout(&out));
    // Who clicked and voted, and the key they were hashed with, come along.
    let copied = kotae_events::PgStore::connect(&url).unwrap();
    assert_eq!(copied.count("events", "client = 'hash-1'").unwrap(), 4);
    let key = kotae_events::Store::open(&db)
        .unwrap()
        .client_key()
        .unwrap();
    assert_eq!(copied.client_key().unwrap(), key);
    let expected = report(dir.path(), &["--events", db.to_str().unwrap()]);
    assert_eq!(expected["searches"], 31, "{expected}");
    assert_eq!(report(dir.path(), &["--events-url", &url]), expected);

    // A second run would count everything twice: refused, and nothing is added.
    let again = kotae(
        dir.path(),
        &[
            "events",
            "migrate",
            "--to",
            &url,
            "--events",
            db.to_str().unwrap(),
        ],
    );
    assert!(!again.status.success());
    assert!(stderr(&again).contains("not empty"), "{}", stderr(&again));
    assert_eq!(report(dir.path(), &["--events-url", &url]), expected);

    // A backup (docs/operations.md): pg_dump, restored into a new database, reports the same.
    let port = pg.port().to_string();
    let dump = pg.socket_dir().join("events.dump");
    pg.run_tool("pg_dump", |c| {
        c.args([
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            "postgres",
            "-Fc",
            "-f",
        ])
        .arg(&dump)
        .arg("kotae");
    });
    let restored = pg.create_database("restored");
    pg.run_tool("pg_restore", |c| {
        c.args([
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            "postgres",
            "--no-owner",
            "-d",
            "restored",
        ])
        .arg(&dump);
    });
    assert_eq!(report(dir.path(), &["--events-url", &restored]), expected);

    // No file to copy: a clear error, not a panic.
    let missing = kotae(
        dir.path(),
        &[
            "events",
            "migrate",
            "--to",
            &url,
            "--events",
            "/nonexistent/e.sqlite3",
        ],
    );
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("no events database at /nonexistent/e.sqlite3"),
        "{}",
        stderr(&missing)
    );
}
