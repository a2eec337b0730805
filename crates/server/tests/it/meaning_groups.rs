//! Unanswered searches grouped by meaning on `/ops/insights` (issue #18, "for writers"):
//! differently worded searches about one topic are one group with its count and the nearest
//! FAQ; an unrelated search is not in it.

use kotae_events::{Event, Search};

use crate::common::*;
use crate::related::model_present;

fn unanswered(id: &str, ts: i64, query: &str) -> Event {
    Event::Search(Search {
        id: id.into(),
        ts,
        session: None,
        prev: None,
        query: query.into(),
        normalized: query.into(),
        source: "help".into(),
        audience: "public".into(),
        hits: 0,
        top_ids: Vec::new(),
        latency_ms: 5,
    })
}

#[tokio::test]
async fn unanswered_searches_asking_one_thing_are_one_group_with_the_nearest_faq() {
    if !model_present() {
        return;
    }
    let s = state();
    let at = kotae_events::now() - 60;
    let queries = [
        ("駐車場はありますか", 3),
        ("領収書を発行してほしい", 2),
        ("お店に駐車場ありますか", 2),
        ("駐車できる場所", 1),
    ];
    let mut events = Vec::new();
    for (query, times) in queries {
        for n in 0..times {
            events.push(unanswered(&format!("{}-{n}", events.len()), at, query));
        }
    }
    s.events.store().unwrap().record_all(&events).unwrap();

    let page = get_as_operator(&s, "/ops/insights").await;
    assert_eq!(page.status, axum::http::StatusCode::OK);
    let b = &page.body;
    let start = b.find(r#"<ul class="meaning-groups">"#).unwrap_or_else(|| panic!("no groups: {b}"));
    let groups = &b[start..start + b[start..].find("</ul>").unwrap()];
    let first = &groups[..groups.find("</li>").unwrap()];
    assert!(first.contains("この 6 件の検索は同じことを聞いています</strong>（3 通りの言い方）"), "{groups}");
    assert!(first.contains("「駐車場はありますか」 「お店に駐車場ありますか」 「駐車できる場所」"), "{groups}");
    assert!(first.contains(r#"いちばん近い FAQ: <a href="/ops/articles/"#), "{groups}");
    assert!(!groups.contains("領収書"), "an unrelated search is not grouped with them: {groups}");

    let csv = get_as_operator(&s, "/ops/insights.csv?report=meaning_groups").await;
    assert!(csv.body.starts_with("searches,queries,examples,nearest_id,nearest_title,similarity\n"), "{}", csv.body);
    assert!(csv.body.contains("\n6,3,駐車場はありますか | お店に駐車場ありますか | 駐車できる場所,"), "{}", csv.body);
}
