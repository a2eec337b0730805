//! The feedback loop in process: every customer action is recorded in the events database,
//! questions are stored and confirmed, popular FAQs come from the stored figures, and the
//! insights pages are for operators only.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use crate::common::*;

fn form(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri).header("content-type", "application/x-www-form-urlencoded").body(Body::from(body.to_string())).unwrap()
}

pub fn sid_in(body: &str) -> String {
    let at = body.find("sid=").expect("a search id in the page") + 4;
    body[at..].chars().take_while(|c| c.is_ascii_hexdigit()).collect()
}

pub fn rows(s: &kotae_server::AppState, sql: &str) -> Vec<Vec<String>> {
    s.events.flush();
    s.events
        .sqlite()
        .unwrap()
        .with(|c| {
            let mut stmt = c.prepare(sql)?;
            let n = stmt.column_count();
            let rows = stmt
                .query_map([], |r| {
                    (0..n)
                        .map(|i| {
                            r.get::<_, kotae_events::rusqlite::types::Value>(i).map(|v| match v {
                                kotae_events::rusqlite::types::Value::Null => "NULL".to_string(),
                                kotae_events::rusqlite::types::Value::Integer(i) => i.to_string(),
                                kotae_events::rusqlite::types::Value::Text(t) => t,
                                other => format!("{other:?}"),
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .unwrap()
}

#[tokio::test]
async fn a_search_a_click_a_view_and_a_vote_are_recorded_and_linked() {
    let s = state();
    let page = get(&s, &format!("/search?{}&s=tab-123", q("キャンセルしたい"))).await;
    assert_eq!(page.status, StatusCode::OK);
    let sid = sid_in(&page.body);
    assert_eq!(sid.len(), 16);
    assert!(page.body.contains(&format!(r#"name="prev" value="{sid}""#)), "the next search is linked to this one");
    assert_eq!(page.headers["cache-control"], "private, max-age=60", "a search id is not shared through caches");

    let search = rows(&s, "SELECT id, session, query, normalized, source, audience, hits > 0, top_ids, latency_ms >= 0 FROM searches");
    assert_eq!(search.len(), 1);
    let r = &search[0];
    assert_eq!((r[0].as_str(), r[1].as_str(), r[2].as_str(), r[4].as_str(), r[5].as_str(), r[6].as_str()), (sid.as_str(), "tab-123", "キャンセルしたい", "help", "public", "1"));
    let top: Vec<String> = serde_json::from_str(&r[7]).unwrap();
    assert!(!top.is_empty() && top.len() <= 5, "{top:?}");
    assert!(top.contains(&"orders/cancel".to_string()), "{top:?}");

    // The result link carries the rank and the search id; following it is a click and a view.
    let link = format!("/articles/orders/cancel?{}&rank=1&sid={sid}", q("キャンセルしたい"));
    let article = get(&s, &link).await;
    assert_eq!(article.status, StatusCode::OK);
    assert!(article.body.contains(&format!(r#"name="sid" value="{sid}""#)), "the vote form carries the search id");
    assert_eq!(
        rows(&s, "SELECT kind, search_id, article, COALESCE(rank, '') FROM events ORDER BY id"),
        [["click", &sid, "orders/cancel", "1"], ["view", &sid, "orders/cancel", ""]]
    );

    // A "no" vote with a comment (JSON), linked to the search: the vote and the hand-over.
    let body = serde_json::json!({ "id": "orders/cancel", "helpful": false, "query": "キャンセルしたい", "comment": "手順が違う", "search_id": sid });
    let r = send(&s, Request::post("/api/feedback").header("content-type", "application/json").body(Body::from(body.to_string())).unwrap()).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(
        rows(&s, "SELECT kind, search_id, article, COALESCE(helpful, ''), COALESCE(comment, ''), COALESCE(action, ''), COALESCE(reason, '') FROM events WHERE kind IN ('vote', 'handover') ORDER BY id"),
        [
            ["vote", &sid, "orders/cancel", "0", "手順が違う", "", ""],
            ["handover", &sid, "orders/cancel", "", "", "shown", "no_vote"],
        ]
    );

    // The HTML form's vote is recorded too.
    let r = send(&s, form("/feedback", &format!("id=orders%2Fcancel&helpful=yes&sid={sid}"))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(rows(&s, "SELECT COUNT(*) FROM events WHERE kind = 'vote' AND helpful = 1 AND search_id IS NOT NULL"), [["1"]]);

    // Comments longer than 500 characters are refused, and nothing is stored.
    let long = serde_json::json!({ "id": "orders/cancel", "helpful": true, "comment": "あ".repeat(501) });
    let r = send(&s, Request::post("/api/feedback").header("content-type", "application/json").body(Body::from(long.to_string())).unwrap()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(rows(&s, "SELECT COUNT(*) FROM events WHERE kind = 'vote'"), [["2"]]);
}

#[tokio::test]
async fn a_zero_result_search_offers_a_human_and_the_question_form_and_records_both() {
    let s = state();
    let page = get(&s, &format!("/search?{}", q("qwertyuiop"))).await;
    let sid = sid_in(&page.body);
    assert!(page.body.contains("質問を送る"), "{}", page.body);
    assert!(page.body.contains(r#"action="/questions""#));
    assert!(page.body.contains(&format!("/contact/go?channel=email&amp;q=qwertyuiop&amp;sid={sid}")), "{}", page.body);
    assert_eq!(rows(&s, "SELECT hits, top_ids FROM searches"), [["0", "[]"]]);
    assert_eq!(rows(&s, "SELECT search_id, action, reason FROM events WHERE kind = 'handover'"), [[&sid, "shown", "zero"]]);

    // Following a contact link records it and goes to the channel with the question.
    let r = get(&s, &format!("/contact/go?channel=email&q=qwertyuiop&sid={sid}")).await;
    assert!(r.status.is_redirection(), "{}", r.status);
    let location = r.headers["location"].to_str().unwrap();
    assert!(location.starts_with("https://") && location.contains("q=qwertyuiop"), "{location}");
    assert_eq!(r.headers["cache-control"], "no-store");
    assert_eq!(rows(&s, "SELECT search_id, action, channel FROM events WHERE kind = 'handover' AND action = 'go'"), [[&sid, "go", "email"]]);
    // An unknown channel goes to the contact page and records nothing.
    let r = get(&s, "/contact/go?channel=carrier-pigeon&q=x").await;
    assert_eq!(r.headers["location"], "/contact?q=x");
    assert_eq!(rows(&s, "SELECT COUNT(*) FROM events WHERE action = 'go'"), [["1"]]);

    // The question is stored (committed before the answer) and confirmed in Japanese.
    let r = send(&s, form("/questions", &format!("question=%E3%83%9D%E3%82%A4%E3%83%B3%E3%83%88%E3%81%AF%EF%BC%9F&contact=a%40example.com&q=qwertyuiop&sid={sid}"))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("ご質問を受け付けました"), "{}", r.body);
    let store = s.events.sqlite().unwrap();
    type Row = (String, Option<String>, Option<String>, Option<String>);
    let stored: Vec<Row> = store
        .with(|c| Ok(c.prepare("SELECT question, contact, query, search_id FROM questions")?.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?.collect::<Result<_, _>>()?))
        .unwrap();
    assert_eq!(stored, [("ポイントは？".to_string(), Some("a@example.com".to_string()), Some("qwertyuiop".to_string()), Some(sid.clone()))]);

    // An empty question is refused with the form shown again.
    let r = send(&s, form("/questions", "question=++&q=x")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("ご質問を入力してください"));
    assert_eq!(store.count("questions", "").unwrap(), 1);
}

#[tokio::test]
async fn a_no_vote_from_the_form_offers_the_question_form() {
    let s = state();
    let article = get(&s, "/articles/orders/cancel").await;
    assert!(article.body.contains(r#"<div class="after-no" hidden>"#));
    assert!(article.body.contains(r#"action="/questions""#), "the question form is in the after-no block");
    let r = send(&s, form("/feedback", "id=orders%2Fcancel&helpful=no")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("質問を送る") && r.body.contains(r#"name="article" value="orders/cancel""#), "{}", r.body);
    assert_eq!(rows(&s, "SELECT kind, article FROM events ORDER BY kind"), [["handover", "orders/cancel"], ["view", "orders/cancel"], ["vote", "orders/cancel"]]);
}

#[tokio::test]
async fn api_searches_return_their_id_and_console_searches_are_marked() {
    let s = state();
    let v = get(&s, &format!("/api/search?{}", q("送料"))).await.json();
    let sid = v["search_id"].as_str().unwrap().to_string();
    let v = get(&s, &format!("/api/answer?{}", q("送料はいくら？"))).await.json();
    assert!(v["search_id"].is_string());
    let r = get_as_operator(&s, &format!("/ops/api/search?{}&audience=internal", q("エスカレーション"))).await;
    assert_eq!(r.status, StatusCode::OK);
    get(&s, "/api/articles/shipping/fee").await;
    assert_eq!(
        rows(&s, "SELECT source, audience FROM searches ORDER BY source"),
        [["api", "public"], ["api", "public"], ["console", "internal"]]
    );
    assert_eq!(rows(&s, &format!("SELECT COUNT(*) FROM searches WHERE id = '{sid}'")), [["1"]]);
    assert_eq!(rows(&s, "SELECT kind, article FROM events"), [["view", "shipping/fee"]]);
}

#[tokio::test]
async fn popular_faqs_keep_the_featured_order_until_the_figures_say_otherwise() {
    let s = state();
    let popular = |body: &str| -> Vec<String> {
        let start = body.find(r#"<section class="popular""#).expect("popular section");
        let end = start + body[start..].find("</section>").unwrap();
        body[start..end].split(r#"href="/articles/"#).skip(1).map(|p| p[..p.find('"').unwrap()].to_string()).collect()
    };
    let home = |s: &kotae_server::AppState| {
        s.events.flush();
        s.events.refresh();
        let s = s.clone();
        async move { popular(&get(&s, "/").await.body) }
    };
    let featured = home(&s).await;
    assert_eq!(featured[..3], ["password/forgot", "shipping/tracking", "orders/cancel"], "the writers' order");
    assert!(!featured.contains(&"shipping/fee".to_string()));

    // A handful of views and a 「はい」 move nothing.
    for _ in 0..3 {
        get(&s, "/articles/shipping/fee").await;
    }
    send(&s, form("/feedback", "id=shipping%2Ffee&helpful=yes")).await;
    assert_eq!(home(&s).await, featured, "three views and one vote do not reorder");

    // Many views with 「はい」 votes do.
    for _ in 0..30 {
        get(&s, "/articles/shipping/fee").await;
    }
    for _ in 0..5 {
        send(&s, form("/feedback", "id=shipping%2Ffee&helpful=yes")).await;
    }
    assert_eq!(home(&s).await[0], "shipping/fee", "the most viewed and helpful FAQ comes first");

    // Many 「いいえ」 push a page down, even the writers' first.
    for _ in 0..10 {
        get(&s, "/articles/password/forgot").await;
    }
    for _ in 0..15 {
        send(&s, form("/feedback", "id=password%2Fforgot&helpful=no")).await;
    }
    let now = home(&s).await;
    let place = now.iter().position(|id| id == "password/forgot");
    assert!(place.is_none_or(|p| p > 3), "a page mostly voted no goes down: {now:?}");
}

#[tokio::test]
async fn insights_require_an_operator() {
    let s = state();
    for uri in ["/ops/insights", "/ops/insights.csv?report=top_queries"] {
        let r = get(&s, uri).await;
        assert!(r.status.is_redirection(), "{uri}: {}", r.status);
        assert_eq!(r.headers["location"], "/ops/login");
    }
    let bad = Request::get("/ops/insights").header("authorization", "Bearer wrong-token-0123456789").body(Body::empty()).unwrap();
    assert!(send(&s, bad).await.status.is_redirection());
}

#[tokio::test]
async fn insights_show_the_figures_with_charts_and_csv_exports() {
    let s = state();
    // A zero-result search, reformulated on its results page, then found helpful.
    let none = get(&s, &format!("/search?{}", q("qwertyuiop"))).await;
    let z = sid_in(&none.body);
    let found = get(&s, &format!("/search?{}&prev={z}", q("送料"))).await;
    let f = sid_in(&found.body);
    let top: Vec<String> = serde_json::from_str(&rows(&s, &format!("SELECT top_ids FROM searches WHERE id = '{f}'"))[0][0]).unwrap();
    let article = top[0].clone();
    get(&s, &format!("/articles/{article}?rank=1&sid={f}")).await;
    send(&s, form("/feedback", &format!("id={}&helpful=yes&sid={f}", article.replace('/', "%2F")))).await;
    send(&s, form("/questions", "question=%E8%B3%AA%E5%95%8F&contact=secret%40example.com")).await;

    let page = get_as_operator(&s, "/ops/insights").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers["cache-control"], "no-store");
    let b = &page.body;
    assert!(b.contains("検索インサイト"));
    assert!(b.contains("<svg") && !b.contains("style="), "inline SVG charts, no style attributes");
    assert!(!b.contains("<script>") && !b.contains("<script type=\"text/javascript\">"));
    assert!(b.contains("qwertyuiop"), "the zero-result query is listed");
    let title = s.snapshot().corpus.pages.iter().find(|p| p.id == article).unwrap().title.clone();
    assert!(
        b.contains(&format!(r#"<a href="/ops/articles/{article}" title="{article}">{}</a>"#, kotae_server::html::escape(&title))),
        "the alias suggestion names the article by its title: {b}"
    );
    assert!(b.contains(r#"<span class="bar-label">qwertyuiop</span>"#), "chart labels are whole HTML text");
    assert!(b.contains("<td>票数不足（1票）</td>"), "one vote shows no ratio");
    assert!(b.contains("secret@example.com"), "the console shows the contact address");
    assert!(b.contains("/ops/insights.csv?report=aliases"));

    let console = get_as_operator(&s, "/ops").await;
    assert!(console.body.contains(r#"href="/ops/insights""#), "the console links to the insights");

    let csv = get_as_operator(&s, "/ops/insights.csv?report=aliases").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(csv.body.starts_with("query,article,title,count,reformulations"), "{}", csv.body);
    assert!(csv.body.contains(&format!("qwertyuiop,{article},{title},1,")), "the id and the title: {}", csv.body);

    let today = chrono::Utc::now().date_naive();
    let r = get_as_operator(&s, &format!("/ops/insights?from={}&to={}", today - chrono::Days::new(400), today - chrono::Days::new(399))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("qwertyuiop"), "the date range applies");
    assert_eq!(get_as_operator(&s, "/ops/insights?from=yesterday").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(get_as_operator(&s, "/ops/insights.csv?report=nope").await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn retention_runs_at_start_and_keeps_recent_events() {
    let mut config = config(sample_index());
    config.retention_days = 30;
    let snapshot = kotae_core::Snapshot::open(&kotae_core::IndexRoot::new(sample_index()), analyzer()).unwrap();
    let s = kotae_server::AppState::new(config, analyzer().clone(), snapshot);
    let store = s.events.store().unwrap().clone();
    let now = kotae_events::now();
    for (ts, text) in [(now - 31 * 86_400, "old"), (now - 29 * 86_400, "recent")] {
        store
            .record_question(&kotae_events::Question { ts, session: None, search_id: None, article: None, query: None, question: text.into(), contact: None })
            .unwrap();
        store.record_all(&[kotae_events::Event::View { ts, session: None, search_id: None, article: text.into() }]).unwrap();
    }
    let task = kotae_server::events::spawn_retention(s.clone());
    let start = std::time::Instant::now();
    while store.count("questions", "").unwrap() > 1 {
        assert!(start.elapsed() < std::time::Duration::from_secs(10), "retention did not run at start");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    task.abort();
    assert_eq!(rows(&s, "SELECT question FROM questions"), [["recent"]]);
    assert_eq!(rows(&s, "SELECT article FROM events"), [["recent"]]);
}
