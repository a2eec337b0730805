//! The report's figures on a seeded log, worked out by hand.

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
    Event::Click { ts, session: None, search_id: Some(sid.into()), article: article.into(), rank: 1, query: None, client: None }
}
fn view(ts: i64, sid: Option<&str>, article: &str) -> Event {
    Event::View { ts, session: None, search_id: sid.map(str::to_string), article: article.into() }
}
fn vote(ts: i64, sid: Option<&str>, article: &str, helpful: bool) -> Event {
    Event::Vote(Vote { ts, session: None, search_id: sid.map(str::to_string), article: article.into(), helpful, query: None, comment: None, client: None })
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
        questions: Page { offset: 0, limit: 100 },
        tz: Tz::UTC,
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
    // Unanswered: no result (z1, z2, z3) or handed over (b1 said no and was shown contacts).
    let unanswered: Vec<(&str, u64)> = r.unanswered.iter().map(|u| (u.query.as_str(), u.searches)).collect();
    assert_eq!(unanswered, [("ぽいんと失効", 2), ("謎の言葉", 1), ("送料", 1)]);
    assert_eq!(r.unanswered_total, 3);
    assert!(r.meaning_groups.is_empty(), "filled by a caller with the model");
    let helpful: Vec<(&str, u64, u64)> = r.worst_helpful.iter().map(|h| (h.article.as_str(), h.yes, h.no)).collect();
    assert_eq!(helpful, [("shipping/fee", 1, 2), ("points/expiry", 1, 0), ("returns/how", 1, 0)]);
    assert!(r.worst_helpful.iter().all(|h| h.ratio.is_none()), "no ratio under {MIN_VOTES} votes");
    assert_eq!(r.never_found, ["account/delete"]);
    let days: Vec<(&str, u64, u64)> = r.self_resolution.iter().map(|d| (d.day.as_str(), d.searches, d.resolved)).collect();
    // Day 1: a1, a2, f1 resolved; b1 (no vote + contact) and z1 not. Day 2: f2, f3 resolved.
    assert_eq!(days, [(day(T0, Tz::UTC).as_str(), 5, 3), (day(T0 + 86_400, Tz::UTC).as_str(), 4, 2)]);
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
fn no_helpful_ratio_under_the_minimum_of_votes() {
    let (_dir, store) = seeded();
    // returns/guide: 1 yes, 4 no (enough votes); shipping/fee keeps its 1 yes, 2 no.
    let mut votes = vec![vote(T0 + 500, None, "returns/guide", true)];
    votes.extend((0..4).map(|i| vote(T0 + 501 + i, None, "returns/guide", false)));
    store.record_all(&votes).unwrap();
    let r = report(&store);
    let helpful: Vec<(&str, Option<f64>)> = r.worst_helpful.iter().map(|h| (h.article.as_str(), h.ratio)).collect();
    assert_eq!(helpful[0], ("returns/guide", Some(0.2)), "rated articles come first: {helpful:?}");
    assert_eq!(helpful[1], ("shipping/fee", None), "1 yes of 3 votes shows no ratio: {helpful:?}");
    let mut text = Vec::new();
    r.write_text(&mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("    1     2 票数不足  shipping/fee"), "{text}");
    assert!(text.contains(" 0.20  returns/guide"), "{text}");
    let mut csv = Vec::new();
    r.write_csv("worst_helpful", &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains("\nreturns/guide,,1,4,0.2000\nshipping/fee,,1,2,\n"), "{csv}");
    assert!(serde_json::to_value(&r).unwrap()["worst_helpful"][1]["ratio"].is_null());
}

#[test]
fn junk_queries_are_not_suggested_as_aliases() {
    let (_dir, store) = seeded();
    // 「xyzzy」 found nothing, then the contact page was found helpful: not an alias.
    store
        .record_all(&[
            s("j1", T0 + 2_000, Some("j"), None, "xyzzy", &[]),
            s("j2", T0 + 2_030, Some("j"), None, "問い合わせ 聴覚", &["contact/hearing-impaired"]),
            vote(T0 + 2_040, Some("j2"), "contact/hearing-impaired", true),
            // The same pattern with words: 「みみが きこえない」 is a good alias.
            s("g1", T0 + 3_000, Some("g"), None, "みみが きこえない", &[]),
            s("g2", T0 + 3_030, Some("g"), None, "問い合わせ 聴覚", &["contact/hearing-impaired"]),
            vote(T0 + 3_040, Some("g2"), "contact/hearing-impaired", true),
        ])
        .unwrap();
    let r = report(&store);
    let aliases: Vec<(&str, &str)> = r.alias_suggestions.iter().map(|a| (a.query.as_str(), a.article.as_str())).collect();
    assert!(!aliases.iter().any(|(q, _)| *q == "xyzzy"), "{aliases:?}");
    assert!(aliases.contains(&("みみが きこえない", "contact/hearing-impaired")), "{aliases:?}");
    assert!(aliases.contains(&("ぽいんと失効", "points/expiry")), "{aliases:?}");
}

#[test]
fn articles_are_shown_by_title_and_exported_with_their_id() {
    let (_dir, store) = seeded();
    let mut r = report(&store);
    r.add_titles(|id| match id {
        "shipping/fee" => Some("送料はいくらですか？".into()),
        "points/expiry" => Some("ポイントの有効期限".into()),
        "account/delete" => Some("アカウントを削除するには".into()),
        _ => None,
    });
    let mut text = Vec::new();
    r.write_text(&mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("送料はいくらですか？ (shipping/fee)"), "{text}");
    assert!(text.contains("  アカウントを削除するには (account/delete)"), "{text}");
    assert!(text.contains("ぽいんと失効 → ポイントの有効期限 (points/expiry)"), "{text}");
    assert!(text.contains("returns/how\n"), "an unknown title shows the id: {text}");
    let csv = |section| {
        let mut out = Vec::new();
        r.write_csv(section, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    };
    assert!(csv("worst_helpful").contains("shipping/fee,送料はいくらですか？,1,2,"), "{}", csv("worst_helpful"));
    assert!(csv("never_found").contains("article,title\naccount/delete,アカウントを削除するには\n"), "{}", csv("never_found"));
    assert!(csv("aliases").contains("ぽいんと失効,points/expiry,ポイントの有効期限,2,"), "{}", csv("aliases"));
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["worst_helpful"][0]["article"], "shipping/fee");
    assert_eq!(json["titles"]["shipping/fee"], "送料はいくらですか？");
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
fn meaning_groups_are_written_in_every_format() {
    let (_dir, store) = seeded();
    let mut r = report(&store);
    r.meaning_groups = vec![MeaningGroupRow {
        searches: 37,
        queries: 3,
        examples: vec!["駐車場はありますか".into(), "車で行けますか".into(), "=駐車できる場所".into()],
        nearest: Some(NearestFaq { id: "store/access".into(), title: "店舗へのアクセス".into(), similarity: 0.861 }),
    }];
    r.unanswered_total = 600;
    let mut text = Vec::new();
    r.write_text(&mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("(the 3 most searched of 600 queries)"), "{text}");
    assert!(text.contains("この 37 件の検索は同じことを聞いています（3 通りの言い方）: 駐車場はありますか / 車で行けますか / =駐車できる場所"), "{text}");
    assert!(text.contains("近い FAQ: 店舗へのアクセス (store/access, 0.86)"), "{text}");
    let mut csv = Vec::new();
    r.write_csv("meaning_groups", &mut csv).unwrap();
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("searches,queries,examples,nearest_id,nearest_title,similarity\n"), "{csv}");
    assert!(csv.contains("37,3,駐車場はありますか | 車で行けますか | =駐車できる場所,store/access,店舗へのアクセス,0.8610"), "{csv}");
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["meaning_groups"][0]["searches"], 37);
    assert_eq!(json["meaning_groups"][0]["nearest"]["id"], "store/access");
    assert!(json.get("unanswered").is_none());
}

#[test]
fn since_accepts_durations_and_dates() {
    assert_eq!(parse_since("30d", 100 * 86_400, Tz::UTC).unwrap(), 70 * 86_400);
    assert_eq!(parse_since("2w", 100 * 86_400, Tz::UTC).unwrap(), 86 * 86_400);
    assert_eq!(parse_since("1970-01-02", 0, Tz::UTC).unwrap(), 86_400);
    assert!(parse_since("soon", 0, Tz::UTC).is_err());
}

/// A small deterministic generator (xorshift), so that a failing case can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const QUERIES: &[&str] = &["返品", "送料", "ぽいんと失効", "ポイント 期限", "解約", "=HYPERLINK(1)", " ", "\u{3000}", "", "謎", "配送"];
const ARTICLES: &[&str] = &["returns/how", "returns/fee", "shipping/fee", "points/expiry", "account/delete", "orders/cancel"];

/// A random log over four days: visits of one to six searches (in a tab session or not, each
/// typed on the previous one's results page or not), with clicks, views, votes, hand-overs and
/// questions, some linked to no search or to an unknown one; and rows the writer never makes
/// (a vote without a value, a hand-over without an action, an unknown kind, broken top ids).
fn random_log(seed: u64) -> (tempfile::TempDir, Store) {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("e.sqlite3")).unwrap();
    let mut events = Vec::new();
    let mut ids: Vec<String> = Vec::new();
    for visit in 0..40 {
        let session = rng.chance(60).then(|| format!("tab{}", rng.below(12)));
        let mut ts = T0 - 86_400 + rng.below(4 * 86_400) as i64;
        let mut prev: Option<String> = None;
        for n in 0..1 + rng.below(6) {
            let id = format!("v{visit}n{n}");
            let hits = if rng.chance(35) { 0 } else { 1 + rng.below(5) };
            let top: Vec<String> = (0..hits.min(3)).map(|_| rng.pick(ARTICLES).to_string()).collect();
            let linked = if rng.chance(60) { prev.clone() } else if rng.chance(10) { ids.last().cloned() } else { None };
            events.push(Event::Search(Search {
                id: id.clone(),
                ts,
                session: session.clone(),
                prev: linked,
                query: "q".into(),
                normalized: rng.pick(QUERIES).into(),
                source: rng.pick(&["help", "help", "api", "console"]).into(),
                audience: "public".into(),
                hits,
                top_ids: top,
                latency_ms: 1,
            }));
            for _ in 0..rng.below(4) {
                let at = ts + rng.below(120) as i64;
                let sid = if rng.chance(90) { Some(id.clone()) } else if rng.chance(50) { None } else { Some("unknown".to_string()) };
                let article = rng.pick(ARTICLES).to_string();
                events.push(match rng.below(5) {
                    0 => Event::Click { ts: at, session: None, search_id: sid, article, rank: 1, query: None, client: None },
                    1 => Event::View { ts: at, session: None, search_id: sid, article },
                    2 => Event::Vote(Vote { ts: at, session: None, search_id: sid, article, helpful: rng.chance(60), query: None, comment: None, client: None }),
                    _ => Event::Handover {
                        ts: at,
                        session: None,
                        search_id: sid,
                        query: None,
                        handover: Handover {
                            action: rng.pick(&["shown", "go"]).into(),
                            reason: Some("zero".into()),
                            channel: None,
                            article: None,
                        },
                    },
                });
            }
            if rng.chance(10) {
                let question = Question {
                    ts: ts + 30,
                    session: None,
                    search_id: rng.chance(70).then(|| id.clone()),
                    article: None,
                    query: None,
                    question: format!("質問 {visit} {n}"),
                    contact: rng.chance(50).then(|| "a@example.com".to_string()),
                };
                store.record_question(&question).unwrap();
            }
            ids.push(id.clone());
            prev = Some(id);
            ts += 5 + rng.below(400) as i64;
        }
    }
    store.record_all(&events).unwrap();
    store
        .with(|c| {
            c.execute_batch(&format!(
                "INSERT INTO events (ts, kind, search_id, article, helpful) VALUES ({t}, 'vote', 'v0n0', 'returns/how', NULL);
                 INSERT INTO events (ts, kind, search_id, action) VALUES ({t}, 'handover', 'v1n0', NULL);
                 INSERT INTO events (ts, kind, search_id, article) VALUES ({t}, 'other', 'v2n0', 'shipping/fee');
                 INSERT INTO searches (id, ts, query, normalized, source, audience, hits, top_ids, latency_ms)
                     VALUES ('broken', {t}, 'x', 'x', 'help', 'public', 2, '[\"returns/fee\"', 1);",
                t = T0 + 100
            ))?;
            Ok(())
        })
        .unwrap();
    (dir, store)
}

#[test]
fn the_sql_report_agrees_with_the_in_memory_reference_on_random_logs() {
    for seed in 1..=40u64 {
        let (_dir, store) = random_log(seed);
        for limit in [3, 1000] {
            let o = Options {
                from: T0,
                to: T0 + 2 * 86_400 + 3_600,
                limit,
                public_ids: ARTICLES.iter().map(|a| a.to_string()).collect(),
                questions: Page { offset: 0, limit: u64::MAX },
                // Days in another zone than UTC half of the time: the SQL's quarter-hour
                // buckets must add up to the reference's local days.
                tz: if seed % 2 == 0 { Tz::UTC } else { Tz::Asia__Tokyo },
            };
            let expected = store.with(|c| super::reference::build(c, &o)).unwrap();
            let got = store.with(|c| build(c, &o)).unwrap();
            assert_eq!(got, expected, "seed {seed}, limit {limit}");
        }
    }
}

#[test]
fn questions_come_in_pages_with_their_total() {
    let (_dir, store) = random_log(7);
    let mut o = Options { from: 0, to: T0 * 2, limit: 5, public_ids: Vec::new(), questions: Page { offset: 0, limit: u64::MAX }, tz: Tz::UTC };
    let all = store.with(|c| build(c, &o)).unwrap().questions;
    assert!(all.len() > 4, "the log has questions: {}", all.len());
    let mut streamed = Vec::new();
    store.with(|c| questions(c, o.from, o.to, o.tz, |q| {
        streamed.push(q);
        Ok(())
    })).unwrap();
    assert_eq!(streamed, all, "the stream gives every question, newest first");
    let mut paged = Vec::new();
    for n in 1.. {
        o.questions = Page::number(n, 3);
        let r = store.with(|c| build(c, &o)).unwrap();
        assert_eq!(r.questions_total, all.len() as u64);
        if r.questions.is_empty() {
            break;
        }
        assert!(r.questions.len() <= 3);
        paged.extend(r.questions);
    }
    assert_eq!(paged, all);
    o.questions = Page::NONE;
    let r = store.with(|c| build(c, &o)).unwrap();
    assert!(r.questions.is_empty());
    assert_eq!(r.questions_total, all.len() as u64);
}

#[test]
fn days_and_times_are_the_site_time_zones() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("e.sqlite3")).unwrap();
    // 2026-01-01T16:00Z is 2026-01-02 01:00 in Tokyo.
    let ts = chrono::DateTime::parse_from_rfc3339("2026-01-01T16:00:00Z").unwrap().timestamp();
    store.record_all(&[s("tz", ts, None, None, "返品", &["returns/how"])]).unwrap();
    store
        .record_question(&Question { ts, session: None, search_id: None, article: None, query: None, question: "?".into(), contact: None })
        .unwrap();
    let tokyo = parse_timezone("Asia/Tokyo").unwrap();
    let from = start_of(chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(), tokyo);
    assert_eq!(from, ts - 3_600, "the Tokyo day starts at 15:00Z");
    let o = Options { from, to: from + 86_400, limit: 5, public_ids: Vec::new(), questions: Page { offset: 0, limit: 10 }, tz: tokyo };
    let r = store.with(|c| build(c, &o)).unwrap();
    let days: Vec<(&str, u64)> = r.self_resolution.iter().map(|d| (d.day.as_str(), d.searches)).collect();
    assert_eq!(days, [("2026-01-02", 1)]);
    assert_eq!(r.questions[0].time, "2026-01-02T01:00:00+09:00");
    assert_eq!(r.from, "2026-01-02T00:00:00+09:00");
    let utc = store.with(|c| build(c, &Options { from: from - 86_400, tz: Tz::UTC, ..o.clone() })).unwrap();
    assert_eq!(utc.self_resolution[0].day, "2026-01-01", "in UTC the same search is on the 1st");
    assert_eq!(parse_since("2026-01-02", 0, tokyo).unwrap(), from);
    let error = parse_timezone("Asia/Tokio").unwrap_err().to_string();
    assert!(error.contains("Asia/Tokio") && error.contains("IANA"), "{error}");
}
