//! The figures writers work from, computed from the event log over a time range.
//!
//! Customer figures count searches from the help page and the public API (`source` `help` or
//! `api`); the agents' console searches are stored but left out.
//!
//! - **Top queries** and **zero-result queries**, grouped by normalized query.
//! - **Hand-overs** (corpus gaps): queries whose searches led to the contact channels (shown
//!   after an empty or weak result or a "no" vote, or followed: a contact link clicked or a
//!   question sent).
//! - **Worst helpful ratio**: articles by yes / (yes + no).
//! - **Never found**: public articles that never appeared in any search's top ids.
//! - **Self-resolution** per day (UTC): a search is resolved when an article was opened from it,
//!   no "no" vote was given from it, no contact link was followed and no question sent.
//! - **Questions** customers sent.
//! - **Alias suggestions**: a zero-result query followed within 10 minutes (same tab session, or
//!   a search typed on that query's results page) by a reformulated query from which an article
//!   was found helpful (a "yes" vote, or opened with no "no" vote): add the first query as an
//!   alias of that article.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Write;

use anyhow::Context;
use rusqlite::Connection;
use serde::Serialize;

/// How long after a zero-result search a reformulation still counts, in seconds.
pub const CHAIN_SECONDS: i64 = 600;

/// What to report on.
#[derive(Debug, Clone)]
pub struct Options {
    /// Unix seconds, inclusive.
    pub from: i64,
    /// Unix seconds, exclusive.
    pub to: i64,
    /// Longest list for the ranked sections.
    pub limit: usize,
    /// The public article ids, for "never found"; empty leaves that section empty.
    pub public_ids: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryRow {
    pub query: String,
    pub searches: u64,
    pub zero_hits: u64,
    pub clicks: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZeroRow {
    pub query: String,
    pub searches: u64,
    pub last_seen: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HandoverRow {
    pub query: String,
    /// Searches of this query that led to a hand-over of any kind.
    pub searches: u64,
    /// The contact block was shown (empty or weak results, or after a "no").
    pub shown: u64,
    /// A contact link was followed or a question sent.
    pub contacted: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HelpfulRow {
    pub article: String,
    pub yes: u64,
    pub no: u64,
    pub ratio: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayRow {
    pub day: String,
    pub searches: u64,
    pub resolved: u64,
    pub rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuestionRow {
    pub id: i64,
    pub time: String,
    pub question: String,
    pub query: Option<String>,
    pub article: Option<String>,
    pub has_contact: bool,
    /// Only in the console; [`Report::redact_contacts`] removes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AliasRow {
    /// The zero-result query to add as an alias.
    pub query: String,
    pub article: String,
    /// How many zero-result searches led to this article.
    pub count: u64,
    /// The queries that found it instead.
    pub reformulations: Vec<String>,
}

/// Every figure over one range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub from: String,
    pub to: String,
    pub searches: u64,
    pub zero_result_searches: u64,
    pub top_queries: Vec<QueryRow>,
    pub zero_result_queries: Vec<ZeroRow>,
    pub handover_queries: Vec<HandoverRow>,
    pub worst_helpful: Vec<HelpfulRow>,
    pub never_found: Vec<String>,
    pub self_resolution: Vec<DayRow>,
    pub questions: Vec<QuestionRow>,
    pub alias_suggestions: Vec<AliasRow>,
}

/// The report's sections, for CSV exports.
pub const SECTIONS: &[&str] =
    &["top_queries", "zero_results", "handovers", "worst_helpful", "never_found", "self_resolution", "questions", "aliases"];

struct S {
    id: String,
    ts: i64,
    session: Option<String>,
    prev: Option<String>,
    normalized: String,
    hits: u64,
    top_ids: Vec<String>,
}

struct E {
    kind: String,
    search_id: Option<String>,
    article: Option<String>,
    helpful: Option<bool>,
    action: Option<String>,
}

fn iso(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0).map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string()).unwrap_or_default()
}

fn day(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0).map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Compute the report from the database.
pub fn build(conn: &Connection, o: &Options) -> anyhow::Result<Report> {
    let searches: Vec<S> = conn
        .prepare(
            "SELECT id, ts, session, prev, normalized, hits, top_ids FROM searches
             WHERE ts >= ?1 AND ts < ?2 AND source <> 'console' ORDER BY ts, id",
        )?
        .query_map([o.from, o.to], |r| {
            let top: String = r.get(6)?;
            Ok(S {
                id: r.get(0)?,
                ts: r.get(1)?,
                session: r.get::<_, Option<String>>(2)?.filter(|s| !s.is_empty()),
                prev: r.get(3)?,
                normalized: r.get(4)?,
                hits: r.get::<_, i64>(5)? as u64,
                top_ids: serde_json::from_str(&top).unwrap_or_default(),
            })
        })?
        .collect::<Result<_, _>>()
        .context("reading searches")?;
    // Events may come a little after the range's last search.
    let events: Vec<E> = conn
        .prepare("SELECT kind, search_id, article, helpful, action FROM events WHERE ts >= ?1 AND ts < ?2 ORDER BY ts, id")?
        .query_map([o.from, o.to], |r| {
            Ok(E {
                kind: r.get(0)?,
                search_id: r.get(1)?,
                article: r.get(2)?,
                helpful: r.get::<_, Option<i64>>(3)?.map(|h| h != 0),
                action: r.get(4)?,
            })
        })?
        .collect::<Result<_, _>>()
        .context("reading events")?;
    let questions: Vec<(QuestionRow, Option<String>)> = conn
        .prepare("SELECT id, ts, question, query, article, contact, search_id FROM questions WHERE ts >= ?1 AND ts < ?2 ORDER BY ts DESC, id DESC")?
        .query_map([o.from, o.to], |r| {
            let contact: Option<String> = r.get::<_, Option<String>>(5)?.filter(|c| !c.is_empty());
            Ok((
                QuestionRow {
                    id: r.get(0)?,
                    time: iso(r.get(1)?),
                    question: r.get(2)?,
                    query: r.get(3)?,
                    article: r.get(4)?,
                    has_contact: contact.is_some(),
                    contact,
                },
                r.get(6)?,
            ))
        })?
        .collect::<Result<_, _>>()
        .context("reading questions")?;

    // What happened after each search.
    #[derive(Default)]
    struct After {
        clicks: u64,
        opened: BTreeSet<String>,
        yes: BTreeSet<String>,
        no: BTreeSet<String>,
        shown: u64,
        contacted: u64,
    }
    let mut after: HashMap<&str, After> = HashMap::new();
    for e in &events {
        let Some(sid) = e.search_id.as_deref() else { continue };
        let a = after.entry(sid).or_default();
        match (e.kind.as_str(), e.action.as_deref()) {
            ("click", _) => {
                a.clicks += 1;
                a.opened.extend(e.article.clone());
            }
            ("view", _) => a.opened.extend(e.article.clone()),
            ("vote", _) => match (e.helpful, e.article.clone()) {
                (Some(true), Some(x)) => {
                    a.yes.insert(x);
                }
                (Some(false), Some(x)) => {
                    a.no.insert(x);
                }
                _ => {}
            },
            ("handover", Some("go")) => a.contacted += 1,
            ("handover", _) => a.shown += 1,
            _ => {}
        }
    }
    for (_, sid) in &questions {
        if let Some(sid) = sid.as_deref() {
            after.entry(sid).or_default().contacted += 1;
        }
    }
    let none = After::default();
    let after_of = |id: &str| after.get(id).unwrap_or(&none);

    // Top and zero-result queries.
    let mut by_query: BTreeMap<&str, (QueryRow, u64, i64)> = BTreeMap::new();
    for s in &searches {
        let row = by_query.entry(&s.normalized).or_insert_with(|| {
            (QueryRow { query: s.normalized.clone(), searches: 0, zero_hits: 0, clicks: 0 }, 0, 0)
        });
        row.0.searches += 1;
        row.0.clicks += after_of(&s.id).clicks;
        if s.hits == 0 {
            row.0.zero_hits += 1;
            row.1 += 1;
            row.2 = row.2.max(s.ts);
        }
    }
    let mut top_queries: Vec<QueryRow> = by_query.values().map(|(r, _, _)| r.clone()).collect();
    top_queries.sort_by(|a, b| b.searches.cmp(&a.searches).then_with(|| a.query.cmp(&b.query)));
    top_queries.truncate(o.limit);
    let mut zero_result_queries: Vec<ZeroRow> = by_query
        .values()
        .filter(|(_, zero, _)| *zero > 0)
        .map(|(r, zero, last)| ZeroRow { query: r.query.clone(), searches: *zero, last_seen: iso(*last) })
        .collect();
    zero_result_queries.sort_by(|a, b| b.searches.cmp(&a.searches).then_with(|| a.query.cmp(&b.query)));
    zero_result_queries.truncate(o.limit);

    // Hand-overs.
    let mut gaps: BTreeMap<&str, HandoverRow> = BTreeMap::new();
    for s in &searches {
        let a = after_of(&s.id);
        let no_votes = a.no.len() as u64;
        if a.shown + a.contacted == 0 && no_votes == 0 {
            continue;
        }
        let row = gaps
            .entry(&s.normalized)
            .or_insert_with(|| HandoverRow { query: s.normalized.clone(), searches: 0, shown: 0, contacted: 0 });
        row.searches += 1;
        row.shown += a.shown;
        row.contacted += a.contacted;
    }
    let mut handover_queries: Vec<HandoverRow> = gaps.into_values().collect();
    handover_queries.sort_by(|a, b| {
        b.contacted.cmp(&a.contacted).then(b.searches.cmp(&a.searches)).then_with(|| a.query.cmp(&b.query))
    });
    handover_queries.truncate(o.limit);

    // Helpful ratios, from every vote in the range (linked to a search or not).
    let mut votes: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for e in events.iter().filter(|e| e.kind == "vote") {
        if let (Some(article), Some(h)) = (e.article.as_deref(), e.helpful) {
            let v = votes.entry(article).or_default();
            if h { v.0 += 1 } else { v.1 += 1 }
        }
    }
    let mut worst_helpful: Vec<HelpfulRow> = votes
        .into_iter()
        .map(|(article, (yes, no))| HelpfulRow { article: article.to_string(), yes, no, ratio: ratio(yes, yes + no) })
        .collect();
    worst_helpful.sort_by(|a, b| {
        a.ratio.total_cmp(&b.ratio).then(b.no.cmp(&a.no)).then_with(|| a.article.cmp(&b.article))
    });
    worst_helpful.truncate(o.limit);

    // Never found.
    let found: HashSet<&str> = searches.iter().flat_map(|s| s.top_ids.iter().map(String::as_str)).collect();
    let mut never_found: Vec<String> = o.public_ids.iter().filter(|id| !found.contains(id.as_str())).cloned().collect();
    never_found.sort();
    never_found.dedup();

    // Self-resolution per day.
    let mut days: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for s in &searches {
        let a = after_of(&s.id);
        let resolved = !a.opened.is_empty() && a.no.is_empty() && a.contacted == 0;
        let d = days.entry(day(s.ts)).or_default();
        d.0 += 1;
        d.1 += u64::from(resolved);
    }
    let self_resolution =
        days.into_iter().map(|(day, (n, r))| DayRow { day, searches: n, resolved: r, rate: ratio(r, n) }).collect();

    // Alias suggestions: walk back from each search that found an article helpful.
    let by_id: HashMap<&str, &S> = searches.iter().map(|s| (s.id.as_str(), s)).collect();
    let mut by_session: HashMap<&str, Vec<&S>> = HashMap::new();
    for s in &searches {
        if let Some(sess) = s.session.as_deref() {
            by_session.entry(sess).or_default().push(s);
        }
    }
    // (query, article) → (zero-result search ids, reformulations)
    let mut aliases: BTreeMap<(String, String), (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    for f in searches.iter().filter(|s| s.hits > 0) {
        let a = after_of(&f.id);
        let helpful: BTreeSet<&String> = a.yes.iter().chain(a.opened.iter().filter(|x| !a.no.contains(*x))).collect();
        if helpful.is_empty() {
            continue;
        }
        // Earlier searches in the same chain within the window.
        let mut earlier: Vec<&S> = Vec::new();
        let mut cur = f.prev.as_deref();
        let mut guard = 0;
        while let Some(id) = cur {
            let Some(p) = by_id.get(id) else { break };
            if f.ts - p.ts > CHAIN_SECONDS || guard > 50 {
                break;
            }
            earlier.push(p);
            cur = p.prev.as_deref();
            guard += 1;
        }
        if let Some(sess) = f.session.as_deref() {
            for p in by_session.get(sess).into_iter().flatten() {
                if p.ts <= f.ts && p.id != f.id && f.ts - p.ts <= CHAIN_SECONDS {
                    earlier.push(p);
                }
            }
        }
        for z in earlier.into_iter().filter(|z| z.hits == 0 && z.normalized != f.normalized && !z.normalized.trim().is_empty()) {
            for x in &helpful {
                let entry = aliases.entry((z.normalized.clone(), (*x).clone())).or_default();
                entry.0.insert(z.id.clone());
                entry.1.insert(f.normalized.clone());
            }
        }
    }
    let mut alias_suggestions: Vec<AliasRow> = aliases
        .into_iter()
        .map(|((query, article), (zs, refs))| AliasRow {
            query,
            article,
            count: zs.len() as u64,
            reformulations: refs.into_iter().take(3).collect(),
        })
        .collect();
    alias_suggestions.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.query.cmp(&b.query)).then_with(|| a.article.cmp(&b.article)));
    alias_suggestions.truncate(o.limit);

    Ok(Report {
        from: iso(o.from),
        to: iso(o.to),
        searches: searches.len() as u64,
        zero_result_searches: searches.iter().filter(|s| s.hits == 0).count() as u64,
        top_queries,
        zero_result_queries,
        handover_queries,
        worst_helpful,
        never_found,
        self_resolution,
        questions: questions.into_iter().map(|(q, _)| q).collect(),
        alias_suggestions,
    })
}

impl Report {
    /// Drop submitted contact addresses (they are shown only in the console).
    pub fn redact_contacts(&mut self) {
        for q in &mut self.questions {
            q.contact = None;
        }
    }

    /// The report as text for a terminal.
    pub fn write_text(&self, w: &mut impl Write) -> std::io::Result<()> {
        writeln!(w, "Kotae report {} .. {}", self.from, self.to)?;
        writeln!(w, "searches: {}, zero-result searches: {}", self.searches, self.zero_result_searches)?;
        writeln!(w, "\nTop queries (searches, zero hits, clicks)")?;
        for r in &self.top_queries {
            writeln!(w, "  {:>5} {:>5} {:>5}  {}", r.searches, r.zero_hits, r.clicks, r.query)?;
        }
        writeln!(w, "\nZero-result queries (searches, last seen)")?;
        for r in &self.zero_result_queries {
            writeln!(w, "  {:>5}  {}  {}", r.searches, r.last_seen, r.query)?;
        }
        writeln!(w, "\nHanded over to a human (searches, contact shown, contacted)")?;
        for r in &self.handover_queries {
            writeln!(w, "  {:>5} {:>5} {:>5}  {}", r.searches, r.shown, r.contacted, r.query)?;
        }
        writeln!(w, "\nWorst helpful ratio (yes, no, ratio)")?;
        for r in &self.worst_helpful {
            writeln!(w, "  {:>5} {:>5} {:>5.2}  {}", r.yes, r.no, r.ratio, r.article)?;
        }
        writeln!(w, "\nArticles never found ({})", self.never_found.len())?;
        for id in &self.never_found {
            writeln!(w, "  {id}")?;
        }
        writeln!(w, "\nSelf-resolution per day (searches, resolved, rate)")?;
        for r in &self.self_resolution {
            writeln!(w, "  {}  {:>5} {:>5} {:>5.1}%", r.day, r.searches, r.resolved, r.rate * 100.0)?;
        }
        writeln!(w, "\nAlias suggestions (count, query → article, found with)")?;
        for r in &self.alias_suggestions {
            writeln!(w, "  {:>5}  {} → {}  ({})", r.count, r.query, r.article, r.reformulations.join(", "))?;
        }
        writeln!(w, "\nQuestions sent ({})", self.questions.len())?;
        for q in &self.questions {
            let contact = if q.has_contact { " [連絡先あり]" } else { "" };
            writeln!(w, "  {}  {}{}", q.time, q.question.replace('\n', " "), contact)?;
        }
        Ok(())
    }

    /// One section as CSV with a header row. `section` is one of [`SECTIONS`].
    pub fn write_csv(&self, section: &str, w: impl Write) -> anyhow::Result<()> {
        let mut c = csv::Writer::from_writer(w);
        let f = |x: f64| format!("{x:.4}");
        match section {
            "top_queries" => {
                c.write_record(["query", "searches", "zero_hits", "clicks"])?;
                for r in &self.top_queries {
                    c.write_record([r.query.clone(), r.searches.to_string(), r.zero_hits.to_string(), r.clicks.to_string()])?;
                }
            }
            "zero_results" => {
                c.write_record(["query", "searches", "last_seen"])?;
                for r in &self.zero_result_queries {
                    c.write_record([r.query.clone(), r.searches.to_string(), r.last_seen.clone()])?;
                }
            }
            "handovers" => {
                c.write_record(["query", "searches", "shown", "contacted"])?;
                for r in &self.handover_queries {
                    c.write_record([r.query.clone(), r.searches.to_string(), r.shown.to_string(), r.contacted.to_string()])?;
                }
            }
            "worst_helpful" => {
                c.write_record(["article", "yes", "no", "ratio"])?;
                for r in &self.worst_helpful {
                    c.write_record([r.article.clone(), r.yes.to_string(), r.no.to_string(), f(r.ratio)])?;
                }
            }
            "never_found" => {
                c.write_record(["article"])?;
                for id in &self.never_found {
                    c.write_record([id])?;
                }
            }
            "self_resolution" => {
                c.write_record(["day", "searches", "resolved", "rate"])?;
                for r in &self.self_resolution {
                    c.write_record([r.day.clone(), r.searches.to_string(), r.resolved.to_string(), f(r.rate)])?;
                }
            }
            "questions" => {
                c.write_record(["id", "time", "question", "query", "article", "has_contact", "contact"])?;
                for q in &self.questions {
                    c.write_record([
                        q.id.to_string(),
                        q.time.clone(),
                        q.question.clone(),
                        q.query.clone().unwrap_or_default(),
                        q.article.clone().unwrap_or_default(),
                        q.has_contact.to_string(),
                        q.contact.clone().unwrap_or_default(),
                    ])?;
                }
            }
            "aliases" => {
                c.write_record(["query", "article", "count", "reformulations"])?;
                for r in &self.alias_suggestions {
                    c.write_record([r.query.clone(), r.article.clone(), r.count.to_string(), r.reformulations.join(" | ")])?;
                }
            }
            other => anyhow::bail!("unknown report `{other}` (one of {})", SECTIONS.join(", ")),
        }
        c.flush()?;
        Ok(())
    }
}

/// Parse a `--since` value: `30d`, `12h`, `2w`, or a date `2026-11-01` (UTC midnight).
pub fn parse_since(s: &str, now: i64) -> anyhow::Result<i64> {
    let s = s.trim();
    if let Ok(d) = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp()).unwrap_or(0));
    }
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = n.parse().with_context(|| format!("`{s}` is not a duration like 30d or a date like 2026-11-01"))?;
    let secs = match unit {
        "d" | "" => 86_400,
        "h" => 3_600,
        "w" => 7 * 86_400,
        "m" => 60,
        _ => anyhow::bail!("`{s}`: the unit must be m, h, d or w"),
    };
    Ok(now - n * secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Event, Handover, Question, Search, Store, Vote};

    const T0: i64 = 1_795_000_000; // 2026-11-18T...Z

    fn s(id: &str, ts: i64, session: Option<&str>, prev: Option<&str>, q: &str, top: &[&str]) -> Event {
        Event::Search(Search {
            id: id.into(),
            ts,
            session: session.map(str::to_string),
            prev: prev.map(str::to_string),
            query: q.into(),
            normalized: q.into(),
            source: "help".into(),
            audience: "public".into(),
            hits: top.len() as u64,
            top_ids: top.iter().map(|t| t.to_string()).collect(),
            latency_ms: 5,
        })
    }
    fn click(ts: i64, sid: &str, article: &str) -> Event {
        Event::Click { ts, session: None, search_id: Some(sid.into()), article: article.into(), rank: 1, query: None }
    }
    fn view(ts: i64, sid: Option<&str>, article: &str) -> Event {
        Event::View { ts, session: None, search_id: sid.map(str::to_string), article: article.into() }
    }
    fn vote(ts: i64, sid: Option<&str>, article: &str, helpful: bool) -> Event {
        Event::Vote(Vote { ts, session: None, search_id: sid.map(str::to_string), article: article.into(), helpful, query: None, comment: None })
    }
    fn handover(ts: i64, sid: &str, action: &str, reason: &str) -> Event {
        Event::Handover {
            ts,
            session: None,
            search_id: Some(sid.into()),
            query: None,
            handover: Handover { action: action.into(), reason: Some(reason.into()), channel: None, article: None },
        }
    }

    /// A seeded log whose every figure is worked out by hand below.
    fn seeded() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("e.sqlite3")).unwrap();
        let day2 = T0 + 86_400;
        store
            .record_all(&[
                // Day 1: "返品" twice, both opened; one voted yes.
                s("a1", T0, None, None, "返品", &["returns/how", "returns/fee"]),
                click(T0 + 5, "a1", "returns/how"),
                view(T0 + 5, Some("a1"), "returns/how"),
                vote(T0 + 30, Some("a1"), "returns/how", true),
                s("a2", T0 + 100, None, None, "返品", &["returns/how"]),
                click(T0 + 105, "a2", "returns/how"),
                view(T0 + 105, Some("a2"), "returns/how"),
                // "送料" opened but voted no, then contact link followed.
                s("b1", T0 + 200, None, None, "送料", &["shipping/fee"]),
                view(T0 + 205, Some("b1"), "shipping/fee"),
                vote(T0 + 210, Some("b1"), "shipping/fee", false),
                handover(T0 + 210, "b1", "shown", "no_vote"),
                handover(T0 + 220, "b1", "go", "no_vote"),
                // Zero result, session x, then reformulated within 10 min and voted yes.
                s("z1", T0 + 300, Some("x"), None, "ぽいんと失効", &[]),
                handover(T0 + 300, "z1", "shown", "zero"),
                s("f1", T0 + 360, Some("x"), None, "ポイント 期限", &["points/expiry"]),
                view(T0 + 370, Some("f1"), "points/expiry"),
                vote(T0 + 380, Some("f1"), "points/expiry", true),
                // Day 2: the same zero-result query, linked by prev (no session), then a click.
                s("z2", day2, None, None, "ぽいんと失効", &[]),
                handover(day2, "z2", "shown", "zero"),
                s("f2", day2 + 60, None, Some("z2"), "ポイント有効期限", &["points/expiry"]),
                click(day2 + 70, "f2", "points/expiry"),
                view(day2 + 70, Some("f2"), "points/expiry"),
                // Too late: 11 minutes after a zero result, same session: no alias.
                s("z3", day2 + 1000, Some("y"), None, "謎の言葉", &[]),
                s("f3", day2 + 1000 + 660, Some("y"), None, "返品", &["returns/how"]),
                view(day2 + 1000 + 670, Some("f3"), "returns/how"),
                // Console searches do not count.
                Event::Search(Search {
                    id: "c1".into(),
                    ts: day2,
                    session: None,
                    prev: None,
                    query: "社内".into(),
                    normalized: "社内".into(),
                    source: "console".into(),
                    audience: "all".into(),
                    hits: 1,
                    top_ids: vec!["manual/x".into()],
                    latency_ms: 1,
                }),
                // A vote without a search.
                vote(day2 + 5, None, "shipping/fee", true),
                vote(day2 + 6, None, "shipping/fee", false),
                // Outside the range.
                s("old", T0 - 10 * 86_400, None, None, "古い", &["returns/how"]),
            ])
            .unwrap();
        store
            .record_question(&Question {
                ts: day2 + 2,
                session: None,
                search_id: Some("z2".into()),
                article: None,
                query: Some("ぽいんと失効".into()),
                question: "ポイントが消えた".into(),
                contact: Some("a@example.com".into()),
            })
            .unwrap();
        (dir, store)
    }

    fn report(store: &Store) -> Report {
        let o = Options {
            from: T0 - 86_400,
            to: T0 + 3 * 86_400,
            limit: 20,
            public_ids: ["returns/how", "returns/fee", "shipping/fee", "points/expiry", "account/delete"].map(String::from).to_vec(),
        };
        store.with(|c| build(c, &o)).unwrap()
    }

    #[test]
    fn figures_are_exact_on_a_seeded_log() {
        let (_dir, store) = seeded();
        let r = report(&store);
        assert_eq!(r.searches, 9);
        assert_eq!(r.zero_result_searches, 3);
        let top: Vec<(&str, u64, u64, u64)> = r.top_queries.iter().map(|q| (q.query.as_str(), q.searches, q.zero_hits, q.clicks)).collect();
        assert_eq!(
            top,
            [
                ("返品", 3, 0, 2),
                ("ぽいんと失効", 2, 2, 0),
                ("ポイント 期限", 1, 0, 0),
                ("ポイント有効期限", 1, 0, 1),
                ("謎の言葉", 1, 1, 0),
                ("送料", 1, 0, 0),
            ]
        );
        let zero: Vec<(&str, u64)> = r.zero_result_queries.iter().map(|q| (q.query.as_str(), q.searches)).collect();
        assert_eq!(zero, [("ぽいんと失効", 2), ("謎の言葉", 1)]);
        let gaps: Vec<(&str, u64, u64, u64)> =
            r.handover_queries.iter().map(|g| (g.query.as_str(), g.searches, g.shown, g.contacted)).collect();
        // z2 sent a question (contacted 1); b1 followed a contact link; z1 was only shown.
        assert_eq!(gaps, [("ぽいんと失効", 2, 2, 1), ("送料", 1, 1, 1)]);
        let helpful: Vec<(&str, u64, u64)> = r.worst_helpful.iter().map(|h| (h.article.as_str(), h.yes, h.no)).collect();
        assert_eq!(helpful, [("shipping/fee", 1, 2), ("points/expiry", 1, 0), ("returns/how", 1, 0)]);
        assert!((r.worst_helpful[0].ratio - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(r.never_found, ["account/delete"]);
        let days: Vec<(&str, u64, u64)> = r.self_resolution.iter().map(|d| (d.day.as_str(), d.searches, d.resolved)).collect();
        // Day 1: a1, a2, f1 resolved; b1 (no vote + contact) and z1 not. Day 2: f2, f3 resolved.
        assert_eq!(days, [(day(T0).as_str(), 5, 3), (day(T0 + 86_400).as_str(), 4, 2)]);
        assert_eq!(r.questions.len(), 1);
        assert_eq!(r.questions[0].question, "ポイントが消えた");
        assert!(r.questions[0].has_contact);
        assert_eq!(r.questions[0].contact.as_deref(), Some("a@example.com"));
    }

    #[test]
    fn alias_suggested_for_a_reformulation_that_helped() {
        let (_dir, store) = seeded();
        let r = report(&store);
        let aliases: Vec<(&str, &str, u64)> = r.alias_suggestions.iter().map(|a| (a.query.as_str(), a.article.as_str(), a.count)).collect();
        assert_eq!(aliases, [("ぽいんと失効", "points/expiry", 2)]);
        assert_eq!(r.alias_suggestions[0].reformulations, ["ポイント 期限", "ポイント有効期限"]);
    }

    #[test]
    fn formats_and_redaction() {
        let (_dir, store) = seeded();
        let mut r = report(&store);
        let mut csv = Vec::new();
        r.write_csv("questions", &mut csv).unwrap();
        assert!(String::from_utf8(csv).unwrap().contains("a@example.com"));
        r.redact_contacts();
        let json = serde_json::to_string(&r).unwrap();
        assert!(!json.contains("a@example.com"), "{json}");
        let mut text = Vec::new();
        r.write_text(&mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("ぽいんと失効 → points/expiry"), "{text}");
        for section in SECTIONS {
            r.write_csv(section, Vec::new()).unwrap();
        }
        assert!(r.write_csv("nope", Vec::new()).is_err());
    }

    #[test]
    fn since_accepts_durations_and_dates() {
        assert_eq!(parse_since("30d", 100 * 86_400).unwrap(), 70 * 86_400);
        assert_eq!(parse_since("2w", 100 * 86_400).unwrap(), 86 * 86_400);
        assert_eq!(parse_since("1970-01-02", 0).unwrap(), 86_400);
        assert!(parse_since("soon", 0).is_err());
    }
}
