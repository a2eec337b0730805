//! The report as its first version computed it: every search and event of the range loaded
//! into memory and grouped in Rust. Kept for the tests only, as the reference the SQL version
//! must agree with (it needs memory in proportion to the log, which is why it was replaced).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use anyhow::Context;
use rusqlite::Connection;

use super::{AliasRow, CHAIN_SECONDS, DayRow, HandoverRow, HelpfulRow, Options, QueryRow, QuestionRow, Report, MIN_VOTES, UNANSWERED_QUERIES, UnansweredRow, ZeroRow, day, helpful_ratio, iso, looks_like_words, ratio};

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

/// The report as the first version computed it, all in memory.
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
                    time: iso(r.get(1)?, o.tz),
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
        .map(|(r, zero, last)| ZeroRow { query: r.query.clone(), searches: *zero, last_seen: iso(*last, o.tz) })
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

    // Unanswered: no result, or handed over.
    let mut unanswered: BTreeMap<&str, u64> = BTreeMap::new();
    for s in searches.iter().filter(|s| !s.normalized.trim().is_empty()) {
        let a = after_of(&s.id);
        if s.hits == 0 || a.shown + a.contacted > 0 || !a.no.is_empty() {
            *unanswered.entry(&s.normalized).or_default() += 1;
        }
    }
    let unanswered_total = unanswered.len() as u64;
    let mut unanswered: Vec<UnansweredRow> =
        unanswered.into_iter().map(|(q, n)| UnansweredRow { query: q.to_string(), searches: n }).collect();
    unanswered.sort_by(|a, b| b.searches.cmp(&a.searches).then_with(|| a.query.cmp(&b.query)));
    unanswered.truncate(UNANSWERED_QUERIES);

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
        .map(|(article, (yes, no))| HelpfulRow { article: article.to_string(), yes, no, ratio: helpful_ratio(yes, no) })
        .collect();
    let few = |h: &HelpfulRow| h.yes + h.no < MIN_VOTES;
    worst_helpful.sort_by(|a, b| {
        few(a)
            .cmp(&few(b))
            .then(ratio(a.yes, a.yes + a.no).total_cmp(&ratio(b.yes, b.yes + b.no)))
            .then(b.no.cmp(&a.no))
            .then_with(|| a.article.cmp(&b.article))
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
        let d = days.entry(day(s.ts, o.tz)).or_default();
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
        .filter(|((query, _), _)| looks_like_words(query))
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
        from: iso(o.from, o.tz),
        to: iso(o.to, o.tz),
        searches: searches.len() as u64,
        zero_result_searches: searches.iter().filter(|s| s.hits == 0).count() as u64,
        top_queries,
        zero_result_queries,
        handover_queries,
        worst_helpful,
        never_found,
        self_resolution,
        questions_total: questions.len() as u64,
        questions: questions.into_iter().map(|(q, _)| q).collect(),
        alias_suggestions,
        unanswered,
        unanswered_total,
        meaning_groups: Vec::new(),
        titles: Default::default(),
    })
}

