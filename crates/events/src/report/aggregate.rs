//! The figures, computed by SQLite: grouping, sorting and limits happen in SQL, on temporary
//! tables that spill to files, so memory stays flat however many events the range holds. Only
//! the limited lists (and the public ids of the corpus) reach Rust.
//!
//! Everything is read in one transaction, so the figures come from one snapshot of the log; the
//! temporary tables are dropped when it ends. Nothing is written to the events database itself,
//! so a report also runs on a read-only copy.

use std::collections::HashSet;

use anyhow::Context;
use rusqlite::{Connection, Row, params};

use super::{
    AliasRow, CHAIN_SECONDS, CHAIN_STEPS, DayRow, HandoverRow, HelpfulRow, Options, Page, QueryRow, QuestionRow, Report,
    MIN_VOTES, SESSION_LOOKBACK, Tz, UNANSWERED_QUERIES, UnansweredRow, ZeroRow, day, helpful_ratio, iso, looks_like_words, ratio,
};

/// The characters `char::is_whitespace` accepts, as SQL `char(...)`, for `trim(x, ...)`.
const WHITESPACE: &str = "char(9,10,11,12,13,32,133,160,5760,8192,8193,8194,8195,8196,8197,8198,8199,8200,8201,8202,8232,8233,8239,8287,12288)";

/// The temporary tables of one report.
///
/// - `report_after`: what happened after each search of the range (clicks, contact shown, contact
///   followed or question sent, a "no" vote, an article opened).
/// - `report_helpful`: the articles each search found helpful (voted "yes", or opened and not
///   voted "no").
/// - `report_alias`: (zero-result query, helpful article, zero-result search, reformulation).
const TABLES: &str = "
DROP TABLE IF EXISTS temp.report_after;
DROP TABLE IF EXISTS temp.report_helpful;
DROP TABLE IF EXISTS temp.report_alias;
CREATE TEMP TABLE report_after (
    sid TEXT PRIMARY KEY, clicks INTEGER NOT NULL, shown INTEGER NOT NULL, contacted INTEGER NOT NULL,
    said_no INTEGER NOT NULL, opened INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TEMP TABLE report_helpful (sid TEXT NOT NULL, article TEXT NOT NULL, PRIMARY KEY (sid, article)) WITHOUT ROWID;
CREATE TEMP TABLE report_alias (query TEXT NOT NULL, article TEXT NOT NULL, zid TEXT NOT NULL, reform TEXT NOT NULL);
";

const AFTER: &str = "
INSERT INTO report_after
SELECT sid, SUM(clicks), SUM(shown), SUM(contacted), MAX(said_no), MAX(opened) FROM (
    SELECT search_id AS sid,
           kind = 'click' AS clicks,
           kind = 'handover' AND action IS NOT 'go' AS shown,
           kind = 'handover' AND action IS 'go' AS contacted,
           COALESCE(kind = 'vote' AND helpful = 0 AND article IS NOT NULL, 0) AS said_no,
           kind IN ('click', 'view') AND article IS NOT NULL AS opened
    FROM events WHERE ts >= ?1 AND ts < ?2 AND search_id IS NOT NULL
    UNION ALL
    SELECT search_id, 0, 0, 1, 0, 0 FROM questions WHERE ts >= ?1 AND ts < ?2 AND search_id IS NOT NULL
) GROUP BY sid";

const HELPFUL: &str = "
INSERT INTO report_helpful
SELECT search_id, article FROM events
WHERE ts >= ?1 AND ts < ?2 AND search_id IS NOT NULL AND article IS NOT NULL AND kind IN ('click', 'view', 'vote')
GROUP BY search_id, article
HAVING MAX(kind = 'vote' AND helpful <> 0) = 1
    OR (MAX(kind IN ('click', 'view')) = 1 AND MAX(COALESCE(kind = 'vote' AND helpful = 0, 0)) = 0)";

/// The customer searches of the range (`s`), with what happened after them (`a`).
const SEARCHES: &str = "searches s LEFT JOIN report_after a ON a.sid = s.id WHERE s.ts >= ?1 AND s.ts < ?2 AND s.source <> 'console'";

/// Zero-result searches followed by a search that found something helpful: through the `prev`
/// chain (at most [`CHAIN_STEPS`] + 1 searches back, every one of them within
/// [`CHAIN_SECONDS`] of the later search), and through the tab session (the latest
/// [`SESSION_LOOKBACK`] searches of the [`CHAIN_SECONDS`] before it).
fn alias_sql() -> String {
    format!(
        "
INSERT INTO report_alias
WITH RECURSIVE
found AS (
    SELECT f.id, f.ts, f.session, f.prev, f.normalized FROM searches f
    WHERE f.id IN (SELECT sid FROM report_helpful) AND f.ts >= ?1 AND f.ts < ?2 AND f.source <> 'console' AND f.hits > 0
),
chain(fid, fts, fnorm, id, prev, hits, normalized, depth) AS (
    SELECT f.id, f.ts, f.normalized, p.id, p.prev, p.hits, p.normalized, 0
    FROM found f JOIN searches p ON p.id = f.prev
    WHERE p.ts >= ?1 AND p.ts < ?2 AND p.source <> 'console' AND f.ts - p.ts <= {window}
    UNION ALL
    SELECT c.fid, c.fts, c.fnorm, p.id, p.prev, p.hits, p.normalized, c.depth + 1
    FROM chain c JOIN searches p ON p.id = c.prev
    WHERE c.depth < {steps} AND p.ts >= ?1 AND p.ts < ?2 AND p.source <> 'console' AND c.fts - p.ts <= {window}
),
earlier(fid, fnorm, zid, znorm, zhits) AS (
    SELECT fid, fnorm, id, normalized, hits FROM chain
    UNION ALL
    SELECT f.id, f.normalized, z.id, z.normalized, z.hits FROM found f JOIN searches z ON z.rowid IN (
        SELECT p.rowid FROM searches p
        WHERE p.session = f.session AND p.ts <= f.ts AND p.ts >= f.ts - {window} AND p.ts >= ?1
          AND p.id <> f.id AND p.source <> 'console'
        ORDER BY p.ts DESC LIMIT {lookback}
    )
    WHERE f.session IS NOT NULL AND f.session <> ''
)
SELECT e.znorm, h.article, e.zid, e.fnorm FROM earlier e JOIN report_helpful h ON h.sid = e.fid
WHERE e.zhits = 0 AND e.znorm <> e.fnorm AND trim(e.znorm, {WHITESPACE}) <> ''",
        window = CHAIN_SECONDS,
        steps = CHAIN_STEPS,
        lookback = SESSION_LOOKBACK,
    )
}

fn count(r: &Row, i: usize) -> rusqlite::Result<u64> {
    Ok(r.get::<_, Option<i64>>(i)?.unwrap_or(0).max(0) as u64)
}

fn sql_limit(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Compute the report from the database.
pub fn build(conn: &Connection, o: &Options) -> anyhow::Result<Report> {
    // Temporary tables and sorts go to files, whatever the build's default.
    conn.pragma_update(None, "temp_store", "FILE")?;
    // Rolled back at the end: the temporary tables go with it.
    let tx = conn.unchecked_transaction()?;
    compute(&tx, o)
}

fn compute(conn: &Connection, o: &Options) -> anyhow::Result<Report> {
    let range = params![o.from, o.to];
    let limit = sql_limit(o.limit as u64);
    conn.execute_batch(TABLES)?;
    conn.execute(AFTER, range).context("what followed each search")?;
    conn.execute(HELPFUL, range).context("helpful articles")?;

    let (searches, zero_result_searches) = conn.query_row(
        "SELECT COUNT(*), SUM(hits = 0) FROM searches WHERE ts >= ?1 AND ts < ?2 AND source <> 'console'",
        range,
        |r| Ok((count(r, 0)?, count(r, 1)?)),
    )?;

    let top_queries = conn
        .prepare(&format!(
            "SELECT s.normalized, COUNT(*) AS n, SUM(s.hits = 0), SUM(a.clicks) FROM {SEARCHES}
             GROUP BY s.normalized ORDER BY n DESC, s.normalized LIMIT ?3"
        ))?
        .query_map(params![o.from, o.to, limit], |r| {
            Ok(QueryRow { query: r.get(0)?, searches: count(r, 1)?, zero_hits: count(r, 2)?, clicks: count(r, 3)? })
        })?
        .collect::<Result<Vec<_>, _>>()
        .context("top queries")?;

    let zero_result_queries = conn
        .prepare(
            "SELECT normalized, COUNT(*) AS n, MAX(ts) FROM searches
             WHERE ts >= ?1 AND ts < ?2 AND source <> 'console' AND hits = 0
             GROUP BY normalized ORDER BY n DESC, normalized LIMIT ?3",
        )?
        .query_map(params![o.from, o.to, limit], |r| {
            Ok(ZeroRow { query: r.get(0)?, searches: count(r, 1)?, last_seen: iso(r.get(2)?, o.tz) })
        })?
        .collect::<Result<Vec<_>, _>>()
        .context("zero-result queries")?;

    let handover_queries = conn
        .prepare(&format!(
            "SELECT s.normalized, COUNT(*) AS n, SUM(a.shown), SUM(a.contacted) AS c FROM {SEARCHES}
               AND (a.shown + a.contacted > 0 OR a.said_no = 1)
             GROUP BY s.normalized ORDER BY c DESC, n DESC, s.normalized LIMIT ?3"
        ))?
        .query_map(params![o.from, o.to, limit], |r| {
            Ok(HandoverRow { query: r.get(0)?, searches: count(r, 1)?, shown: count(r, 2)?, contacted: count(r, 3)? })
        })?
        .collect::<Result<Vec<_>, _>>()
        .context("hand-overs")?;

    // Unanswered: no result, or handed over; blank queries say nothing to group.
    let unanswered_from = format!(
        "FROM {SEARCHES} AND (s.hits = 0 OR a.shown + a.contacted > 0 OR a.said_no = 1) AND trim(s.normalized, {WHITESPACE}) <> ''"
    );
    let unanswered = conn
        .prepare(&format!("SELECT s.normalized, COUNT(*) AS n {unanswered_from} GROUP BY s.normalized ORDER BY n DESC, s.normalized LIMIT ?3"))?
        .query_map(params![o.from, o.to, sql_limit(UNANSWERED_QUERIES as u64)], |r| {
            Ok(UnansweredRow { query: r.get(0)?, searches: count(r, 1)? })
        })?
        .collect::<Result<Vec<_>, _>>()
        .context("unanswered queries")?;
    let unanswered_total =
        conn.query_row(&format!("SELECT COUNT(DISTINCT s.normalized) {unanswered_from}"), range, |r| count(r, 0)).context("unanswered queries")?;

    // Helpful ratios, from every vote in the range (linked to a search or not); articles with
    // too few votes for a ratio come last.
    let worst_helpful = conn
        .prepare(&format!(
            "SELECT article, SUM(helpful <> 0) AS yes, SUM(helpful = 0) AS no FROM events
             WHERE ts >= ?1 AND ts < ?2 AND kind = 'vote' AND article IS NOT NULL AND helpful IS NOT NULL
             GROUP BY article ORDER BY yes + no < {MIN_VOTES}, CAST(yes AS REAL) / (yes + no), no DESC, article LIMIT ?3"
        ))?
        .query_map(params![o.from, o.to, limit], |r| {
            let (yes, no) = (count(r, 1)?, count(r, 2)?);
            Ok(HelpfulRow { article: r.get(0)?, yes, no, ratio: helpful_ratio(yes, no) })
        })?
        .collect::<Result<Vec<_>, _>>()
        .context("helpful ratios")?;

    // Never found: the public ids no search's top ids named. Only public ids are kept.
    let public: HashSet<&str> = o.public_ids.iter().map(String::as_str).collect();
    let mut found: HashSet<&str> = HashSet::new();
    if !public.is_empty() {
        let mut stmt = conn.prepare(
            "SELECT DISTINCT j.value FROM searches s,
                 json_each(CASE WHEN json_valid(s.top_ids) THEN s.top_ids ELSE '[]' END) j
             WHERE s.ts >= ?1 AND s.ts < ?2 AND s.source <> 'console' AND j.type = 'text'",
        )?;
        let mut rows = stmt.query(range)?;
        while let Some(r) = rows.next()? {
            if let Some(id) = public.get(r.get_ref(0)?.as_str()?) {
                found.insert(id);
            }
        }
    }
    let mut never_found: Vec<String> = o.public_ids.iter().filter(|id| !found.contains(id.as_str())).cloned().collect();
    never_found.sort();
    never_found.dedup();

    // Self-resolution per day in the site's time zone: SQL counts per quarter of an hour (every
    // zone's offset is a whole number of them), Rust adds the quarters up by local day.
    let quarters = conn
        .prepare(&format!(
            "SELECT s.ts - ((s.ts % 900) + 900) % 900 AS d, COUNT(*),
                    SUM(COALESCE(a.opened, 0) = 1 AND COALESCE(a.said_no, 0) = 0 AND COALESCE(a.contacted, 0) = 0)
             FROM {SEARCHES} GROUP BY d ORDER BY d"
        ))?
        .query_map(range, |r| Ok((r.get::<_, i64>(0)?, count(r, 1)?, count(r, 2)?)))?
        .collect::<Result<Vec<_>, _>>()
        .context("self-resolution")?;
    let mut self_resolution: Vec<DayRow> = Vec::new();
    for (at, n, resolved) in quarters {
        let d = day(at, o.tz);
        match self_resolution.last_mut() {
            Some(last) if last.day == d => {
                last.searches += n;
                last.resolved += resolved;
            }
            _ => self_resolution.push(DayRow { day: d, searches: n, resolved, rate: 0.0 }),
        }
    }
    for r in &mut self_resolution {
        r.rate = ratio(r.resolved, r.searches);
    }

    let (questions_total, questions) = question_page(conn, o.from, o.to, o.questions, o.tz)?;

    conn.execute(&alias_sql(), range).context("alias suggestions")?;
    // Read in order until `limit` queries that look like words are found (noise is skipped).
    let mut alias_suggestions: Vec<AliasRow> = Vec::new();
    {
        let mut stmt = conn.prepare(
            "SELECT query, article, COUNT(DISTINCT zid) AS n FROM report_alias
             GROUP BY query, article ORDER BY n DESC, query, article",
        )?;
        let mut rows = stmt.query([]).context("alias suggestions")?;
        while alias_suggestions.len() < o.limit {
            let Some(r) = rows.next()? else { break };
            let query: String = r.get(0)?;
            if looks_like_words(&query) {
                alias_suggestions.push(AliasRow { query, article: r.get(1)?, count: count(r, 2)?, reformulations: Vec::new() });
            }
        }
    }
    let mut reformulations =
        conn.prepare("SELECT DISTINCT reform FROM report_alias WHERE query = ?1 AND article = ?2 ORDER BY reform LIMIT 3")?;
    for a in &mut alias_suggestions {
        a.reformulations = reformulations.query_map(params![a.query, a.article], |r| r.get(0))?.collect::<Result<_, _>>()?;
    }

    Ok(Report {
        from: iso(o.from, o.tz),
        to: iso(o.to, o.tz),
        searches,
        zero_result_searches,
        top_queries,
        zero_result_queries,
        handover_queries,
        worst_helpful,
        never_found,
        self_resolution,
        questions,
        questions_total,
        alias_suggestions,
        unanswered,
        unanswered_total,
        meaning_groups: Vec::new(),
        titles: Default::default(),
    })
}

/// The questions of `[from, to)`, newest first, `page` of them, one at a time.
fn questions_page(
    conn: &Connection,
    from: i64,
    to: i64,
    page: Page,
    tz: Tz,
    mut f: impl FnMut(QuestionRow) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut stmt = conn.prepare(
        "SELECT id, ts, question, query, article, contact FROM questions WHERE ts >= ?1 AND ts < ?2
         ORDER BY ts DESC, id DESC LIMIT ?3 OFFSET ?4",
    )?;
    let mut rows = stmt.query(params![from, to, sql_limit(page.limit), sql_limit(page.offset)])?;
    while let Some(r) = rows.next()? {
        let contact: Option<String> = r.get::<_, Option<String>>(5)?.filter(|c| !c.is_empty());
        f(QuestionRow {
            id: r.get(0)?,
            time: iso(r.get(1)?, tz),
            question: r.get(2)?,
            query: r.get(3)?,
            article: r.get(4)?,
            has_contact: contact.is_some(),
            contact,
        })
        .context("reading questions")?;
    }
    Ok(())
}

/// How many questions `[from, to)` holds, and `page` of them, newest first.
pub fn question_page(conn: &Connection, from: i64, to: i64, page: Page, tz: Tz) -> anyhow::Result<(u64, Vec<QuestionRow>)> {
    let total = conn.query_row("SELECT COUNT(*) FROM questions WHERE ts >= ?1 AND ts < ?2", params![from, to], |r| count(r, 0))?;
    let mut rows = Vec::new();
    if page.limit > 0 {
        questions_page(conn, from, to, page, tz, |q| {
            rows.push(q);
            Ok(())
        })?;
    }
    Ok((total, rows))
}

/// Every question of `[from, to)`, newest first, handed to `f` one at a time (memory stays
/// flat however many there are).
pub fn questions(conn: &Connection, from: i64, to: i64, tz: Tz, f: impl FnMut(QuestionRow) -> anyhow::Result<()>) -> anyhow::Result<()> {
    questions_page(conn, from, to, Page { offset: 0, limit: u64::MAX }, tz, f)
}
