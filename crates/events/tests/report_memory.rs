//! The report's memory stays flat however large the log: on a generated log of a million
//! events (600,000 searches and 400,000 clicks, views, votes and hand-overs over 30 days, with
//! 150,000 distinct queries, plus 5,000 questions), computing the report and writing it as
//! text, CSV and JSON raises the peak resident memory of this process by less than
//! [`BOUND_MB`]. The first version loaded the whole range and needed several hundred MB.
//!
//! The peak is the kernel's `VmHWM`, reset with `/proc/self/clear_refs` before the report (so
//! the generation's own peak does not count); SQLite's memory counts as well as Rust's. This
//! file is a test binary of its own so that no other test runs beside it, and the log is
//! generated in a child process so that its memory is not counted. Linux only.

use std::io::Write;
use std::path::Path;

use kotae_events::report::{self, Options, Page};
use kotae_events::rusqlite::Connection;

/// The most the report may add to the peak resident memory, in MB.
const BOUND_MB: u64 = 48;
const SEARCHES: i64 = 600_000;
const EVENTS: i64 = 400_000;
const QUESTIONS: i64 = 5_000;
/// 2026-11-01T00:00:00Z.
const T0: i64 = 1_793_491_200;
const SPAN: i64 = 30 * 86_400;

/// Fill the database with one batched SQL insert per table (a few seconds).
fn generate(path: &Path) {
    drop(kotae_events::Store::open(path).unwrap());
    let conn = Connection::open(path).unwrap();
    conn.execute_batch("PRAGMA synchronous = OFF; PRAGMA cache_size = -65536;").unwrap();
    conn.execute_batch(&format!(
        "BEGIN;
        INSERT INTO searches (id, ts, session, prev, query, normalized, source, audience, hits, top_ids, latency_ms)
        WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x + 1 < {SEARCHES})
        SELECT printf('s%07d', x), {T0} + x * {SPAN} / {SEARCHES},
               CASE WHEN x % 3 = 0 THEN NULL ELSE printf('tab%06d', x / 4) END,
               CASE WHEN x % 4 = 0 THEN NULL ELSE printf('s%07d', x - 1) END,
               printf('問い合わせ %d', x % 150000), printf('問い合わせ %d', x % 150000),
               CASE x % 10 WHEN 0 THEN 'console' WHEN 1 THEN 'api' ELSE 'help' END, 'public',
               CASE WHEN x % 5 = 0 THEN 0 ELSE 1 + x % 7 END,
               CASE WHEN x % 5 = 0 THEN '[]' ELSE printf('[\"faq/%d\",\"faq/%d\",\"guide/%d\"]', x % 500, (x * 7) % 500, x % 90) END,
               x % 40
        FROM n;
        INSERT INTO events (ts, kind, session, search_id, article, rank, helpful, comment, query, channel, action, reason)
        WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x + 1 < {EVENTS})
        SELECT {T0} + (x * 3 / 2) * {SPAN} / {SEARCHES} + 20,
               CASE x % 8 WHEN 0 THEN 'click' WHEN 1 THEN 'click' WHEN 2 THEN 'view' WHEN 3 THEN 'view'
                          WHEN 4 THEN 'vote' WHEN 5 THEN 'handover' WHEN 6 THEN 'view' ELSE 'vote' END,
               NULL, printf('s%07d', x * 3 / 2), printf('faq/%d', x % 500),
               CASE WHEN x % 8 < 2 THEN 1 + x % 3 END,
               CASE WHEN x % 8 IN (4, 7) THEN (x / 8) % 3 <> 0 END,
               CASE WHEN x % 8 = 7 THEN 'わかりにくい' END,
               printf('問い合わせ %d', (x * 3 / 2) % 150000),
               NULL, CASE WHEN x % 8 = 5 THEN CASE WHEN x % 3 = 0 THEN 'go' ELSE 'shown' END END,
               CASE WHEN x % 8 = 5 THEN 'zero' END
        FROM n;
        INSERT INTO questions (ts, session, search_id, article, query, question, contact)
        WITH RECURSIVE n(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM n WHERE x + 1 < {QUESTIONS})
        SELECT {T0} + x * {SPAN} / {QUESTIONS}, NULL, printf('s%07d', x * 100), NULL, '返品',
               printf('%d: 商品が届かないのですが、どうすればよいですか。%s', x, substr(hex(zeroblob(150)), 1, 300)),
               CASE WHEN x % 2 = 0 THEN 'a@example.com' END
        FROM n;
        COMMIT;"
    ))
    .unwrap();
}

fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Where the child process generates the log.
const GENERATE: &str = "KOTAE_TEST_GENERATE_EVENTS";

/// Run in a child process (this binary, this test only): generate the log at `$GENERATE`. Its
/// memory then stays out of the measuring process.
#[test]
fn generate_in_a_child() {
    if let Some(path) = std::env::var_os(GENERATE) {
        generate(Path::new(&path));
    }
}

#[test]
fn a_report_on_a_million_events_stays_within_a_memory_bound() {
    if status_kb("VmHWM:").is_none() {
        eprintln!("skipped: no /proc/self/status (not Linux)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.sqlite3");
    let started = std::time::Instant::now();
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "generate_in_a_child", "--test-threads", "1"])
        .env(GENERATE, &path)
        .output()
        .unwrap();
    assert!(child.status.success(), "generating the log failed: {}", String::from_utf8_lossy(&child.stderr));
    let generated = started.elapsed();
    let size_mb = std::fs::metadata(&path).unwrap().len() / 1_000_000;

    // Start the measure from here: reset the peak to the current size where the kernel allows.
    let reset = std::fs::OpenOptions::new().write(true).open("/proc/self/clear_refs").and_then(|mut f| f.write_all(b"5")).is_ok();
    let base = if reset { status_kb("VmRSS:").unwrap() } else { status_kb("VmHWM:").unwrap() };

    let started = std::time::Instant::now();
    let store = kotae_events::Store::open(&path).unwrap();
    let public_ids: Vec<String> = (0..600).map(|i| format!("faq/{i}")).collect();
    let o = Options { from: T0, to: T0 + SPAN, limit: 20, public_ids, questions: Page::number(1, 50), tz: kotae_events::report::Tz::UTC };
    let r = store.with(|c| report::build(c, &o)).unwrap();
    let mut out = std::io::sink();
    r.write_text(&mut out).unwrap();
    for section in report::SECTIONS {
        r.write_csv(section, &mut out).unwrap();
    }
    store.with(|c| report::write_json(&r, c, &o, true, &mut out)).unwrap();
    let mut streamed = 0;
    store.with(|c| report::questions(c, o.from, o.to, o.tz, |_| {
        streamed += 1;
        Ok(())
    })).unwrap();
    let took = started.elapsed();

    let peak = status_kb("VmHWM:").unwrap();
    let grew_mb = peak.saturating_sub(base) / 1024;
    eprintln!(
        "generated {size_mb} MB in {generated:.1?}; report in {took:.1?}; peak {} MB, {grew_mb} MB over the {} MB before (peak reset: {reset})",
        peak / 1024,
        base / 1024
    );
    assert_eq!(r.searches, (SEARCHES - SEARCHES / 10) as u64, "console searches are left out");
    assert_eq!(r.top_queries.len(), 20);
    assert_eq!(r.questions.len(), 50);
    assert_eq!(r.questions_total, QUESTIONS as u64);
    assert_eq!(streamed, QUESTIONS);
    assert_eq!(r.self_resolution.len(), 30);
    assert!(!r.alias_suggestions.is_empty() && !r.handover_queries.is_empty() && !r.worst_helpful.is_empty());
    assert!(grew_mb < BOUND_MB, "the report raised the peak resident memory by {grew_mb} MB (bound {BOUND_MB} MB)");
}
