//! The service on PostgreSQL (`events_url`), with a throwaway server from kotae-pgtest
//! (skipped when PostgreSQL is not installed, unless `KOTAE_REQUIRE_PG=1`): everything is
//! recorded there, insights read it, and while the database is down searches go on, votes and
//! questions answer 503 in Japanese, and everything resumes when it is back.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use kotae_core::{IndexRoot, Snapshot};
use kotae_server::AppState;

use crate::common::*;

fn post_json(uri: &str, body: serde_json::Value) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn form(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn count(s: &AppState, table: &str, filter: &str) -> i64 {
    s.events.flush();
    s.events.store().unwrap().count(table, filter).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_an_outage_keeps_search_up_refuses_votes_and_questions_and_resumes() {
    let Some(mut pg) = kotae_pgtest::PgServer::start() else {
        return;
    };
    let mut config = config(sample_index());
    config.events_url = Some(pg.create_database("kotae"));
    let snapshot = Snapshot::open(&IndexRoot::new(sample_index()), analyzer()).unwrap();
    let s = AppState::new(config, analyzer().clone(), snapshot);
    assert!(
        matches!(
            s.events.store(),
            Some(kotae_events::EventStore::Postgres(_))
        ),
        "events_url selects PostgreSQL"
    );
    assert!(s.events.sqlite().is_none());

    let vote = || {
        post_json(
            "/api/feedback",
            serde_json::json!({ "id": "shipping/fee", "helpful": true }),
        )
    };
    assert_eq!(send(&s, vote()).await.status, StatusCode::ACCEPTED);
    let sid = get(&s, &format!("/api/search?{}", q("送料はいくら")))
        .await
        .json()["search_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(count(&s, "searches", &format!("id = '{sid}'")), 1);
    // The insights page reads PostgreSQL (through a temporary copy of the range).
    let page = get_as_operator(&s, "/ops/insights").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("送料はいくら"),
        "the search is in the insights"
    );

    tokio::task::block_in_place(|| pg.stop());
    // Searches and pages answer; their events wait in the writer's buffer.
    let r = get(&s, &format!("/api/search?{}", q("送料はいくら"))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["hits"][0]["id"], "shipping/fee");
    let down_sid = r.json()["search_id"].as_str().unwrap().to_string();
    assert_eq!(
        get(&s, "/articles/shipping/fee").await.status,
        StatusCode::OK
    );
    // Votes and questions are refused in Japanese, never acknowledged.
    let refused = send(&s, vote()).await;
    assert_eq!(
        refused.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        refused.body
    );
    assert_eq!(
        refused.json()["error"]["message"],
        kotae_server::events::VOTE_UNAVAILABLE
    );
    let r = send(
        &s,
        form(
            "/questions",
            "question=%E8%BF%94%E5%93%81%E3%81%AF%EF%BC%9F&q=x",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert!(
        r.body.contains(&kotae_server::html::escape(
            kotae_server::events::QUESTION_UNAVAILABLE
        )),
        "{}",
        r.body
    );
    let health = get(&s, "/healthz").await.json();
    assert_eq!(health["status"], "ok");
    assert!(health["events"]["queued"].as_u64().unwrap() >= 1, "the search waits in the buffer: {health}");

    tokio::task::block_in_place(|| pg.resume());
    // The pool reconnects: the next vote is stored; the buffer drains.
    assert_eq!(send(&s, vote()).await.status, StatusCode::ACCEPTED);
    assert_eq!(
        count(&s, "events", "kind = 'vote'"),
        2,
        "the two acknowledged votes, not the refused one"
    );
    let r = send(
        &s,
        form(
            "/questions",
            "question=%E8%BF%94%E5%93%81%E3%81%AF%EF%BC%9F&q=x",
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    tokio::task::block_in_place(|| s.events.flush());
    assert_eq!(
        count(&s, "searches", &format!("id = '{down_sid}'")),
        1,
        "the search made during the outage is stored"
    );
    assert_eq!(count(&s, "questions", ""), 1);
    assert_eq!(s.events.writer_stats().unwrap().dropped(), 0);
}
