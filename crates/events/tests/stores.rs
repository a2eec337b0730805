//! One suite, both stores: every test body below runs on SQLite and on PostgreSQL (a
//! throwaway server from kotae-pgtest; skipped when PostgreSQL is not installed, unless
//! `KOTAE_REQUIRE_PG=1`). Then tests of PostgreSQL alone: concurrent migrations, an outage,
//! and copying a SQLite file in.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kotae_events::report::{self, Options, Page};
use kotae_events::{Event, EventStore, Handover, PgStore, Question, Search, Store, Vote};
use kotae_pgtest::PgServer;

const T0: i64 = 1_795_000_000;

fn search(id: &str, ts: i64, session: Option<&str>, q: &str, hits: u64) -> Event {
    Event::Search(Search {
        id: id.into(),
        ts,
        session: session.map(str::to_string),
        prev: None,
        query: q.into(),
        normalized: q.into(),
        source: "help".into(),
        audience: "public".into(),
        hits,
        top_ids: if hits > 0 {
            vec!["returns/how".into()]
        } else {
            vec![]
        },
        latency_ms: 4,
    })
}

fn view(ts: i64, sid: Option<&str>, article: &str) -> Event {
    Event::View {
        ts,
        session: None,
        search_id: sid.map(str::to_string),
        article: article.into(),
    }
}

fn vote(ts: i64, sid: Option<&str>, article: &str, helpful: bool) -> Vote {
    Vote {
        ts,
        session: None,
        search_id: sid.map(str::to_string),
        article: article.into(),
        helpful,
        query: Some("返品".into()),
        comment: Some("わかりやすい".into()),
        client: Some("hash-voter".into()),
    }
}

fn question(ts: i64, text: &str) -> Question {
    Question {
        ts,
        session: Some("tab1".into()),
        search_id: Some("z1".into()),
        article: None,
        query: Some("領収書".into()),
        question: text.into(),
        contact: None,
    }
}

/// A small log touching every table and kind, with a zero-result query reformulated.
fn seed(store: &EventStore) {
    store
        .record_all(&[
            search("a1", T0, Some("tab1"), "返品", 2),
            Event::Click {
                ts: T0 + 5,
                session: Some("tab1".into()),
                search_id: Some("a1".into()),
                article: "returns/how".into(),
                rank: 1,
                query: Some("返品".into()),
                client: Some("hash-a".into()),
            },
            view(T0 + 5, Some("a1"), "returns/how"),
            search("z1", T0 + 100, Some("tab2"), "りょうしゅうしょ", 0),
            Event::Handover {
                ts: T0 + 101,
                session: Some("tab2".into()),
                search_id: Some("z1".into()),
                query: Some("りょうしゅうしょ".into()),
                handover: Handover {
                    action: "shown".into(),
                    reason: Some("zero".into()),
                    channel: None,
                    article: None,
                },
            },
            search("z2", T0 + 130, Some("tab2"), "領収書", 1),
            view(T0 + 140, Some("z2"), "returns/how"),
        ])
        .unwrap();
    store
        .record_vote(vote(T0 + 150, Some("z2"), "returns/how", true))
        .unwrap();
    store
        .record_vote(vote(T0 + 160, Some("a1"), "shipping/fee", false))
        .unwrap();
    assert!(
        store
            .record_question(&question(T0 + 170, "領収書は出せますか"))
            .unwrap()
            > 0
    );
}

/// Run each body on a SQLite file and on a PostgreSQL database.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[test]
            fn $name() {
                let dir = tempfile::tempdir().unwrap();
                let store = kotae_events::EventStore::Sqlite(std::sync::Arc::new(kotae_events::Store::open(&dir.path().join("e.sqlite3")).unwrap()));
                super::$name(&store);
            })*
        }
        mod postgres {
            $(#[test]
            fn $name() {
                let Some(pg) = kotae_pgtest::PgServer::start() else { return };
                let store = kotae_events::EventStore::postgres(&pg.create_database("kotae")).unwrap();
                super::$name(&store);
            })*
        }
    };
}

on_both_stores!(
    records_every_kind,
    writer_batches_and_flushes,
    retention,
    popularity_counts_views_and_helpful_votes,
    report_is_the_same_as_on_a_sqlite_file,
    resolved_clicks_from_many_clients_are_evidence_and_a_flood_counts_once,
);

fn records_every_kind(store: &EventStore) {
    seed(store);
    assert_eq!(store.count("searches", "").unwrap(), 3);
    assert_eq!(
        store
            .count("events", "kind = 'click' AND rank = 1")
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .count(
                "events",
                "kind = 'vote' AND helpful = 1 AND comment = 'わかりやすい'"
            )
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .count("events", "kind = 'handover' AND reason = 'zero'")
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .count("questions", "question = '領収書は出せますか'")
            .unwrap(),
        1
    );
    assert_eq!(store.search_session("z1").unwrap().as_deref(), Some("tab2"));
    assert_eq!(store.search_session("nope").unwrap(), None);
    // A search id recorded twice (a retried request) is kept once.
    store
        .record_all(&[search("a1", T0 + 999, None, "別", 1)])
        .unwrap();
    assert_eq!(
        store
            .count("searches", "id = 'a1' AND query = '返品'")
            .unwrap(),
        1
    );
    let ids: Vec<i64> = (0..2)
        .map(|i| store.record_question(&question(T0 + i, "?")).unwrap())
        .collect();
    assert!(ids[1] > ids[0], "question ids grow: {ids:?}");
}

fn writer_batches_and_flushes(store: &EventStore) {
    let writer = store.writer().unwrap();
    for i in 0..1200 {
        writer.send(search(&format!("s{i}"), T0 + i, None, "q", 1));
    }
    writer.flush();
    assert_eq!(store.count("searches", "").unwrap(), 1200);
    assert_eq!(
        (
            writer.stats().written(),
            writer.stats().dropped(),
            writer.stats().queued()
        ),
        (1200, 0, 0)
    );
}

fn retention(store: &EventStore) {
    let now = 1_000 * 86_400;
    let (old, edge, new) = (now - 31 * 86_400, now - 30 * 86_400, now - 86_400);
    for (id, ts) in [("old", old), ("edge", edge), ("new", new)] {
        store
            .record_all(&[search(id, ts, None, "a", 1), view(ts, None, "a")])
            .unwrap();
        store.record_question(&question(ts, "?")).unwrap();
    }
    assert_eq!(store.purge(0, now).unwrap(), 0, "0 days keeps everything");
    assert_eq!(store.purge(30, now).unwrap(), 3);
    assert_eq!(store.count("searches", "id IN ('edge', 'new')").unwrap(), 2);
    assert_eq!(store.count("searches", "").unwrap(), 2);
    assert_eq!(store.count("events", "").unwrap(), 2);
    assert_eq!(store.count("questions", &format!("ts = {old}")).unwrap(), 0);
    assert_eq!(store.count("questions", "").unwrap(), 2);
}

fn popularity_counts_views_and_helpful_votes(store: &EventStore) {
    seed(store);
    store
        .record_vote(vote(T0 + 200, None, "returns/how", false))
        .unwrap();
    let mut rows = store.popularity(T0).unwrap();
    rows.sort();
    assert_eq!(
        rows,
        [
            ("returns/how".to_string(), 2, 1, 1),
            ("shipping/fee".to_string(), 0, 0, 1)
        ]
    );
    let mut later = store.popularity(T0 + 145).unwrap();
    later.sort();
    assert_eq!(
        later,
        [
            ("returns/how".to_string(), 0, 1, 1),
            ("shipping/fee".to_string(), 0, 0, 1)
        ]
    );
}

fn options(from: i64, to: i64) -> Options {
    Options {
        from,
        to,
        limit: 20,
        public_ids: vec![
            "returns/how".into(),
            "shipping/fee".into(),
            "never/seen".into(),
        ],
        questions: Page::number(1, 10),
        tz: report::Tz::UTC,
    }
}

fn report_is_the_same_as_on_a_sqlite_file(store: &EventStore) {
    seed(store);
    // Outside the range: must not count.
    store
        .record_all(&[search("late", T0 + 86_400 * 3, None, "返品", 1)])
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let reference = EventStore::Sqlite(Arc::new(
        Store::open(&dir.path().join("r.sqlite3")).unwrap(),
    ));
    seed(&reference);
    let o = options(T0 - 10, T0 + 86_400);
    let got = report::build(&store.report_connection(o.from, o.to).unwrap(), &o).unwrap();
    let expected = report::build(&reference.report_connection(o.from, o.to).unwrap(), &o).unwrap();
    assert_eq!(got, expected);
    assert_eq!(got.searches, 3, "{got:?}");
    assert_eq!(
        got.alias_suggestions.len(),
        1,
        "りょうしゅうしょ → 領収書 found helpful: {:?}",
        got.alias_suggestions
    );
    assert_eq!(got.questions.len(), 1);
}

fn click(ts: i64, sid: &str, article: &str, rank: u32, client: &str) -> Event {
    Event::Click {
        ts,
        session: None,
        search_id: Some(sid.into()),
        article: article.into(),
        rank,
        query: None,
        client: Some(client.into()),
    }
}

fn resolved_clicks_from_many_clients_are_evidence_and_a_flood_counts_once(store: &EventStore) {
    // Through the batched writer, as the service records clicks.
    let writer = store.writer().unwrap();
    for c in 0..6 {
        let sid = format!("s{c}");
        writer.send(search(&sid, T0, Some(&format!("tab{c}")), "届かない", 3));
        writer.send(click(T0 + 5, &sid, "shipping/late", 4, &format!("c{c}")));
    }
    // One client clicking another page a hundred times, and c0 fifty more times.
    for i in 0..100 {
        let sid = format!("flood{i}");
        writer.send(search(&sid, T0, None, "届かない", 3));
        writer.send(click(T0 + 5, &sid, "spam/page", 1, "flooder"));
        if i < 50 {
            writer.send(click(T0 + 5, &sid, "shipping/late", 4, "c0"));
        }
    }
    // Searched again in the same tab a minute later: not resolved.
    writer.send(search("back", T0, Some("tab-back"), "届かない", 3));
    writer.send(click(T0 + 5, "back", "shipping/late", 4, "returner"));
    writer.send(search(
        "back2",
        T0 + 65,
        Some("tab-back"),
        "届かない 遅い",
        3,
    ));
    writer.flush();
    assert_eq!(writer.stats().dropped(), 0);
    assert_eq!(store.count("events", "client = 'c0'").unwrap(), 51);

    let signals = store
        .signals(&kotae_events::signals::Options::new(T0 + 5))
        .unwrap();
    let late = signals
        .iter()
        .find(|s| s.article == "shipping/late")
        .expect("six resolved clients are evidence");
    assert_eq!((late.query.as_str(), late.clients), ("届かない", 6));
    assert!(
        (late.evidence - 6.0 * 2.0).abs() < 1e-9,
        "√4 = 2 once per client: {}",
        late.evidence
    );
    let spam = signals.iter().find(|s| s.article == "spam/page").unwrap();
    assert_eq!(
        spam.clients, 1,
        "a hundred clicks from one client count once"
    );
    assert!((spam.evidence - 1.0).abs() < 1e-9, "{}", spam.evidence);
    assert_eq!(signals.len(), 2, "{signals:?}");

    let key = store.client_key().unwrap();
    assert_eq!(key.len(), 32);
    assert_eq!(store.client_key().unwrap(), key, "made once");
}

// PostgreSQL alone.

fn pg() -> Option<(PgServer, String)> {
    let pg = PgServer::start()?;
    let url = pg.create_database("kotae");
    Some((pg, url))
}

#[test]
fn replicas_asking_for_the_client_key_at_once_get_the_same_one() {
    let Some((_pg, url)) = pg() else { return };
    let stores: Vec<PgStore> = (0..2).map(|_| PgStore::connect(&url).unwrap()).collect();
    let keys: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = stores
            .iter()
            .flat_map(|st| (0..4).map(move |_| st))
            .map(|st| s.spawn(move || st.client_key().unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        keys.iter().all(|k| k == &keys[0] && k.len() == 32),
        "{keys:?}"
    );
    assert_eq!(stores[0].count("settings", "").unwrap(), 1);
}

#[test]
fn two_replicas_migrating_at_once_both_succeed() {
    let Some((_pg, url)) = pg() else { return };
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                PgStore::connect(&url).map(|s| s.count("schema_migrations", "").unwrap())
            })
        })
        .collect();
    for h in handles {
        assert_eq!(
            h.join().unwrap().unwrap(),
            kotae_events::postgres::PG_MIGRATIONS.len() as i64
        );
    }
}

#[test]
fn an_outage_keeps_batched_events_refuses_votes_and_drains_on_return() {
    let Some((mut pg, url)) = pg() else { return };
    let store = EventStore::postgres(&url).unwrap();
    let writer = store.writer().unwrap();
    writer.send(search("before", T0, None, "返品", 1));
    writer.flush();
    pg.stop();
    let started = Instant::now();
    assert!(
        store
            .record_vote(vote(T0, None, "returns/how", true))
            .is_err(),
        "a vote is refused while PostgreSQL is down"
    );
    assert!(store.record_question(&question(T0, "?")).is_err());
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "refused quickly: {:?}",
        started.elapsed()
    );
    // More than the buffer holds: the rest is counted as dropped.
    let sent = kotae_events::QUEUE + kotae_events::BATCH + 300;
    for i in 0..sent {
        writer.send(search(&format!("down{i}"), T0 + 1, None, "返品", 1));
    }
    std::thread::sleep(Duration::from_millis(300));
    let dropped = writer.stats().dropped();
    assert!(dropped >= 300, "overflow counted: {dropped}");
    assert!(
        writer.stats().queued() >= kotae_events::QUEUE as u64,
        "the buffer holds: {}",
        writer.stats().queued()
    );
    pg.resume();
    writer.flush();
    writer.flush();
    let kept = store.count("searches", "id LIKE 'down%'").unwrap();
    assert_eq!(
        kept as u64 + dropped,
        sent as u64,
        "every event kept is written once the database is back"
    );
    assert_eq!(writer.stats().queued(), 0);
    store
        .record_vote(vote(T0, None, "returns/how", true))
        .unwrap();
    assert_eq!(store.count("events", "kind = 'vote'").unwrap(), 1);
}

#[test]
fn a_sqlite_file_is_copied_whole_and_only_into_an_empty_database() {
    let Some((_pg, url)) = pg() else { return };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.sqlite3");
    let file = EventStore::Sqlite(Arc::new(Store::open(&path).unwrap()));
    seed(&file);
    let key = file.client_key().unwrap();
    let pg_store = PgStore::connect(&url).unwrap();
    let mut seen = Vec::new();
    let copied = pg_store
        .copy_from_sqlite(&kotae_events::connect(&path).unwrap(), |done, total| {
            seen.push((done, total))
        })
        .unwrap();
    assert_eq!(copied, 3 + 6 + 1);
    assert_eq!(seen.last(), Some(&(10, 10)));
    let store = EventStore::Postgres(pg_store.clone());
    let o = options(T0 - 10, T0 + 86_400);
    assert_eq!(
        report::build(&store.report_connection(o.from, o.to).unwrap(), &o).unwrap(),
        report::build(&file.report_connection(o.from, o.to).unwrap(), &o).unwrap()
    );
    assert_eq!(store.count("events", "client IS NOT NULL").unwrap(), 3);
    assert_eq!(store.client_key().unwrap(), key, "clients hash as before");
    // New rows are numbered after the copied ones.
    assert!(store.record_question(&question(T0, "next")).unwrap() > 1);
    let again = pg_store
        .copy_from_sqlite(&kotae_events::connect(&path).unwrap(), |_, _| {})
        .unwrap_err();
    assert!(format!("{again:#}").contains("not empty"), "{again:#}");
}
