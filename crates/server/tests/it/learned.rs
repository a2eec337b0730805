//! The learned ranking with simulated traffic: clients search 「届かない」 and are resolved by
//! the delivery-status page, which then comes first; one client's flood moves nothing;
//! `learned_ranking = false` gives the plain ranking back; a writer's pin comes first; the
//! console shows the boost and its evidence.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use kotae_core::{IndexRoot, Snapshot};
use kotae_server::{AppState, Config};

use crate::common::*;

const QUERY: &str = "届かない";
const TRACKING: &str = "shipping/tracking";

fn state_with(index: &std::path::Path, change: impl FnOnce(&mut Config)) -> AppState {
    let mut config = config(index);
    change(&mut config);
    let snapshot = Snapshot::open(&IndexRoot::new(index), analyzer()).unwrap();
    AppState::new(config, analyzer().clone(), snapshot)
}

/// The public API's ranking of `query` (ids, 20 hits).
async fn ranking(s: &AppState, query: &str) -> Vec<String> {
    let v = get(s, &format!("/api/search?{}&limit=20", q(query)))
        .await
        .json();
    v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_string())
        .collect()
}

/// One customer at `ip`: searches on the help page, opens `article` from the results (its
/// rank and the search id, as the results page links it) and does not search again.
/// Returns the two statuses.
async fn resolved_click(
    s: &AppState,
    ip: &str,
    query: &str,
    article: &str,
) -> (StatusCode, StatusCode) {
    let page = send(
        s,
        from_peer(
            Request::get(format!("/search?{}", q(query)))
                .body(Body::empty())
                .unwrap(),
            ip,
        ),
    )
    .await;
    if page.status != StatusCode::OK {
        return (page.status, page.status);
    }
    let link = format!(r#"href="/articles/{article}?"#);
    let at = page
        .body
        .find(&link)
        .unwrap_or_else(|| panic!("{article} is not on the results page of {query}"));
    let href = &page.body[at + 6..];
    let href = href[..href.find('"').unwrap()].replace("&amp;", "&");
    let click = send(
        s,
        from_peer(Request::get(href).body(Body::empty()).unwrap(), ip),
    )
    .await;
    (page.status, click.status)
}

async fn learn(s: &AppState) {
    s.events.flush();
    s.events.refresh_learned().await;
}

#[tokio::test]
async fn the_delivery_status_page_learns_to_come_first_for_todokanai() {
    let s = state_with(sample_index(), |_| {});
    let plain = ranking(&s, QUERY).await;
    let before = plain
        .iter()
        .position(|id| id == TRACKING)
        .expect("the tracking page is found");
    assert!(
        before > 0,
        "the tracking page is not first today: {plain:?}"
    );

    // Four clients are not enough evidence.
    for i in 1..=4 {
        assert_eq!(
            resolved_click(&s, &format!("192.0.2.{i}"), QUERY, TRACKING).await,
            (StatusCode::OK, StatusCode::OK)
        );
    }
    learn(&s).await;
    assert_eq!(ranking(&s, QUERY).await, plain, "four clients move nothing");

    // The fifth makes it.
    resolved_click(&s, "192.0.2.5", QUERY, TRACKING).await;
    learn(&s).await;
    let learned = ranking(&s, QUERY).await;
    assert_eq!(learned[0], TRACKING, "{learned:?}");
    assert_eq!(learned.len(), plain.len());
    let mut sorted = learned.clone();
    sorted.sort();
    let mut plain_sorted = plain.clone();
    plain_sorted.sort();
    assert_eq!(sorted, plain_sorted, "the same hits, in another order");
    // The help page and the answer API follow.
    let page = get(&s, &format!("/search?{}", q(QUERY))).await;
    let first = page.body.find(r#"<li class="result">"#).unwrap();
    assert!(page.body[first..].starts_with(&format!(
        r#"<li class="result"><a class="title" href="/articles/{TRACKING}?"#
    )));
    let answer = get(&s, &format!("/api/answer?{}", q(QUERY))).await.json();
    assert_eq!(answer["answer"]["id"], TRACKING);
    // Another question is not touched.
    let other = state_with(sample_index(), |_| {});
    assert_eq!(
        ranking(&s, "返品したい").await,
        ranking(&other, "返品したい").await
    );

    // The console shows the boost and its evidence.
    let console = get_as_operator(&s, &format!("/ops?{}", q(QUERY))).await;
    assert_eq!(console.status, StatusCode::OK);
    let at = console
        .body
        .find(r#"<section class="learned""#)
        .expect("the learned section");
    let section = &console.body[at..at + console.body[at..].find("</section>").unwrap()];
    assert!(
        section.contains("商品がまだ届きません。配送状況を確認できますか？"),
        "{section}"
    );
    assert!(section.contains("<td>5人</td>"), "{section}");
    assert!(
        section.contains(&format!("<td>{}位 → 1位</td>", before + 1)),
        "{section}"
    );
    assert!(section.contains("<td>+"), "{section}");
}

#[tokio::test]
async fn a_click_flood_from_one_client_moves_nothing() {
    let s = state_with(sample_index(), |_| {});
    let plain = ranking(&s, QUERY).await;
    let mut limited = 0;
    for _ in 0..150 {
        let (search, click) = resolved_click(&s, "198.51.100.7", QUERY, TRACKING).await;
        limited += usize::from(search == StatusCode::TOO_MANY_REQUESTS)
            + usize::from(click == StatusCode::TOO_MANY_REQUESTS);
    }
    assert!(limited > 0, "a flood from one client is rate-limited");
    learn(&s).await;
    assert_eq!(
        ranking(&s, QUERY).await,
        plain,
        "one client's flood moves nothing"
    );
    let evidence = s.events.learned();
    let tracking = evidence
        .get(&kotae_core::analysis::normalize_str(QUERY))
        .and_then(|e| e.iter().find(|e| e.page == TRACKING))
        .expect("the clicks are evidence");
    assert_eq!(tracking.clients, 1, "counted once per client");
}

#[tokio::test]
async fn turning_learning_off_restores_the_plain_ranking() {
    let s = state_with(sample_index(), |c| c.learned_ranking = false);
    let plain = ranking(&s, QUERY).await;
    for i in 1..=8 {
        resolved_click(&s, &format!("203.0.113.{i}"), QUERY, TRACKING).await;
    }
    learn(&s).await;
    assert_eq!(ranking(&s, QUERY).await, plain);
    let console = get_as_operator(&s, &format!("/ops?{}", q(QUERY))).await;
    assert!(console.body.contains("学習による順位補正はオフです"));
}

#[tokio::test]
async fn a_writers_pin_comes_first() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let content = dir.path().join("content");
    copy_dir(&sample_content(), &content);
    let page = content.join("shipping/tracking.md");
    let text = std::fs::read_to_string(&page).unwrap();
    std::fs::write(
        &page,
        text.replacen("\ntitle:", "\npinned_queries: [届かない]\ntitle:", 1),
    )
    .unwrap();
    let index = dir.path().join("index");
    build(&content, &index);
    let s = state_with(&index, |c| c.learned_ranking = false);
    assert_eq!(ranking(&s, QUERY).await[0], TRACKING);
    let console = get_as_operator(&s, &format!("/ops?{}", q(QUERY))).await;
    assert!(console.body.contains("固定（pinned_queries）"));
}

#[tokio::test]
async fn insights_count_days_in_the_site_time_zone() {
    let s = state_with(sample_index(), |_| {});
    let ts = chrono::DateTime::parse_from_rfc3339("2026-01-01T16:00:00Z")
        .unwrap()
        .timestamp();
    let search = kotae_events::Search {
        id: "tz0123456789abcd".into(),
        ts,
        session: None,
        prev: None,
        query: "返品".into(),
        normalized: "返品".into(),
        source: "help".into(),
        audience: "public".into(),
        hits: 3,
        top_ids: vec!["returns/how".into()],
        latency_ms: 2,
    };
    s.events
        .store()
        .unwrap()
        .record_all(&[kotae_events::Event::Search(search)])
        .unwrap();
    let on = |day: &str| {
        let s = s.clone();
        let uri = format!("/ops/insights?from={day}&to={day}");
        async move { get_as_operator(&s, &uri).await.body }
    };
    let jan2 = on("2026-01-02").await;
    assert!(
        jan2.contains("（Asia/Tokyo）: 検索 1件"),
        "{}",
        &jan2[jan2.find("summary").unwrap_or(0)..][..300.min(jan2.len())]
    );
    assert!(
        on("2026-01-01").await.contains("検索 0件"),
        "16:00Z is already the 2nd in Tokyo"
    );
    let utc = state_with(sample_index(), |c| c.timezone = "UTC".into());
    utc.events
        .store()
        .unwrap()
        .record_all(&[kotae_events::Event::Search(kotae_events::Search {
            id: "tz0123456789abce".into(),
            ts,
            session: None,
            prev: None,
            query: "返品".into(),
            normalized: "返品".into(),
            source: "help".into(),
            audience: "public".into(),
            hits: 3,
            top_ids: Vec::new(),
            latency_ms: 2,
        })])
        .unwrap();
    assert!(
        get_as_operator(&utc, "/ops/insights?from=2026-01-01&to=2026-01-01")
            .await
            .body
            .contains("（UTC）: 検索 1件")
    );
}

/// Two replicas sharing one PostgreSQL database (skipped without PostgreSQL unless
/// `KOTAE_REQUIRE_PG=1`): clients resolved on one replica move the ranking on the other, since
/// both hash clients with the database's one key and read the same signals.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_what_one_replica_records_teaches_the_other() {
    let Some(pg) = kotae_pgtest::PgServer::start() else {
        return;
    };
    let url = pg.create_database("kotae");
    let a = state_with(sample_index(), |c| c.events_url = Some(url.clone()));
    let b = state_with(sample_index(), |c| c.events_url = Some(url.clone()));
    assert!(matches!(
        b.events.store(),
        Some(kotae_events::EventStore::Postgres(_))
    ));
    let plain = ranking(&b, QUERY).await;
    assert_ne!(plain[0], TRACKING, "{plain:?}");
    // The same client on both replicas is one client.
    assert_eq!(
        a.events.client("192.0.2.9".parse().ok()),
        b.events.client("192.0.2.9".parse().ok())
    );
    for i in 1..=5 {
        assert_eq!(
            resolved_click(&a, &format!("192.0.2.{i}"), QUERY, TRACKING).await,
            (StatusCode::OK, StatusCode::OK)
        );
    }
    a.events.flush();
    assert_eq!(
        b.events
            .store()
            .unwrap()
            .count("events", "kind = 'click' AND client IS NOT NULL")
            .unwrap(),
        5
    );
    learn(&b).await;
    let learned = ranking(&b, QUERY).await;
    assert_eq!(learned[0], TRACKING, "{learned:?}");
}
