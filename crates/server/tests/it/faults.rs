//! Faults in process: a full disk under the events database, and damaged generations published
//! while the service runs.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use crate::common::*;
use kotae_events::{Event, Search};
use kotae_server::reload;

fn post_json(uri: &str, body: serde_json::Value) -> Request<Body> {
    Request::post(uri).header("content-type", "application/json").body(Body::from(body.to_string())).unwrap()
}

fn form(uri: &str, body: &str) -> Request<Body> {
    Request::post(uri).header("content-type", "application/x-www-form-urlencoded").body(Body::from(body.to_string())).unwrap()
}

fn count(s: &kotae_server::AppState, table: &str, filter: &str) -> i64 {
    s.events.flush();
    s.events.store().unwrap().count(table, filter).unwrap()
}

fn background_search(i: usize) -> Event {
    Event::Search(Search {
        id: format!("filler-{i}"),
        ts: kotae_events::now(),
        session: None,
        prev: None,
        query: "送料はいくらですか".into(),
        normalized: "送料はいくらですか".into(),
        source: "api".into(),
        audience: "public".into(),
        hits: 3,
        top_ids: vec!["shipping/fee".into(), "shipping/free".into()],
        latency_ms: 4,
    })
}

/// The disk under the events database fills up: searches and pages go on (200), votes and
/// questions, which promise durability, answer 503 with a message in Japanese instead of
/// claiming success, batched events are dropped (counted, logged) without a crash, and once
/// there is room again everything is recorded again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_events_disk_keeps_search_up_refuses_votes_and_questions_clearly_and_recovers() {
    let s = state();
    let db = s.events.sqlite().unwrap().path().to_path_buf();
    let vote = |comment: &str| post_json("/api/feedback", serde_json::json!({ "id": "shipping/fee", "helpful": true, "comment": comment }));
    assert_eq!(send(&s, vote("before")).await.status, StatusCode::ACCEPTED);

    kotae_events::faults::simulate_disk_full(&db, true).unwrap();
    // Background events that do not fit are dropped, batch by batch.
    for i in 0..1500 {
        s.events.send(background_search(i));
    }
    s.events.flush();
    let stats = s.events.writer_stats().unwrap();
    assert!(stats.dropped() >= 500, "batches that do not fit are dropped: {} dropped", stats.dropped());
    assert!(count(&s, "searches", "id LIKE 'filler-%'") < 1500);

    // Searches, pages and the API keep answering.
    for uri in [format!("/api/search?{}", q("送料はいくら")), format!("/search?{}", q("返品したい")), "/".into(), "/articles/shipping/fee".into(), format!("/api/answer?{}", q("送料"))] {
        let r = get(&s, &uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri} on a full disk: {}", r.body);
    }
    let r = get(&s, &format!("/api/search?{}", q("送料はいくら"))).await;
    assert_eq!(r.json()["hits"][0]["id"], "shipping/fee");

    // Votes are refused as soon as one does not fit (the first may still fit in a page that
    // has room): 503, a Japanese message, never a 202 for a vote that was not stored.
    let long = "とても分かりやすかったです。".repeat(30);
    let mut accepted = 0;
    let refused = loop {
        let r = send(&s, vote(&long)).await;
        match r.status {
            StatusCode::ACCEPTED => accepted += 1,
            _ => break r,
        }
        assert!(accepted < 100, "votes keep being accepted on a full disk");
    };
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE, "{}", refused.body);
    let message = refused.json()["error"]["message"].as_str().unwrap().to_string();
    assert_eq!(message, kotae_server::events::VOTE_UNAVAILABLE);
    assert!(message.contains("しばらくしてから"), "{message}");
    assert_eq!(count(&s, "events", "kind = 'vote'"), 1 + accepted, "every 202 is a stored vote, and only those");
    // The same vote from the page without JavaScript: 503 too, not a thank-you page.
    let page_vote = send(&s, form("/feedback", &format!("id=shipping/fee&helpful=yes&q={}", "送料".repeat(1000)))).await;
    assert_eq!(page_vote.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(!page_vote.body.contains("ありがとうございました"), "no thanks for a vote that was not stored");
    assert!(page_vote.body.contains(kotae_server::events::VOTE_UNAVAILABLE), "the page says the vote was not taken: {}", page_vote.body);

    // Questions from 「質問を送る」 likewise (their table may still have room for one or two):
    // 503 with a page that says the question was not sent.
    let question = format!("question={}&q={}", "届いた商品が壊れていた場合はどうすればいいですか".repeat(20), "壊れていた");
    let mut sent = 0;
    let r = loop {
        let r = send(&s, form("/questions", &question)).await;
        match r.status {
            StatusCode::OK => sent += 1,
            _ => break r,
        }
        assert!(sent < 20, "questions keep being accepted on a full disk");
    };
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert!(r.body.contains("ご質問を送れませんでした"), "{}", r.body);
    assert!(r.body.contains(&kotae_server::html::escape(kotae_server::events::QUESTION_UNAVAILABLE)));
    assert!(!r.body.contains("受け付けました"));
    assert_eq!(count(&s, "questions", ""), sent, "every confirmed question is stored, and only those");

    // Room again: recording resumes by itself.
    kotae_events::faults::simulate_disk_full(&db, false).unwrap();
    assert_eq!(send(&s, vote(&long)).await.status, StatusCode::ACCEPTED);
    assert_eq!(count(&s, "events", "kind = 'vote'"), 2 + accepted);
    let r = send(&s, form("/questions", &question)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(count(&s, "questions", ""), sent + 1);
    let sid = get(&s, &format!("/api/search?{}", q("送料はいくら"))).await.json()["search_id"].as_str().unwrap().to_string();
    assert_eq!(count(&s, "searches", &format!("id = '{sid}'")), 1, "searches are recorded again");
}

/// Generations damaged in ways a disk or an operator can damage them, published while the
/// service runs: each is refused, and the service keeps answering from the one it has.
#[tokio::test]
async fn damaged_generations_published_while_serving_are_refused_and_the_old_one_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    build(&sample_content(), &index);
    let s = state_for(&index);
    let serving = s.snapshot().generation.clone();

    // A second good build, to damage copies of.
    let spare = dir.path().join("spare");
    build(&sample_content(), &spare);
    let good = std::fs::read_to_string(spare.join("CURRENT")).unwrap().trim().to_string();

    type Damage = fn(&std::path::Path);
    let damages: [(&str, Damage); 5] = [
        ("generation missing", |g| std::fs::remove_dir_all(g).unwrap()),
        ("corpus.json deleted", |g| std::fs::remove_file(g.join("corpus.json")).unwrap()),
        ("corpus.json truncated", |g| {
            let text = std::fs::read(g.join("corpus.json")).unwrap();
            std::fs::write(g.join("corpus.json"), &text[..text.len() / 2]).unwrap();
        }),
        ("a segment file deleted", |g| {
            let idx = std::fs::read_dir(g.join("public/tantivy")).unwrap().flatten().map(|e| e.path()).find(|p| p.extension().is_some_and(|e| e == "idx")).unwrap();
            std::fs::remove_file(idx).unwrap();
        }),
        ("a segment file truncated", |g| {
            let store = std::fs::read_dir(g.join("public/tantivy")).unwrap().flatten().map(|e| e.path()).find(|p| p.extension().is_some_and(|e| e == "store")).unwrap();
            let len = std::fs::metadata(&store).unwrap().len();
            std::fs::OpenOptions::new().write(true).open(&store).unwrap().set_len(len / 2).unwrap();
        }),
    ];
    for (i, (what, damage)) in damages.iter().enumerate() {
        let name = format!("gen-2999010{i}T000000.000000Z-1");
        let generation = index.join(&name);
        copy_dir(&spare.join(&good), &generation);
        damage(&generation);
        std::fs::write(index.join("CURRENT"), format!("{name}\n")).unwrap();

        let mut failed = None;
        assert!(!reload::check(&s, &mut failed).await, "{what}: refused");
        assert_eq!(failed.as_deref(), Some(name.as_str()), "{what}: remembered as failed");
        assert_eq!(s.snapshot().generation, serving, "{what}: the old generation keeps serving");
        let r = get(&s, &format!("/api/search?{}", q("送料はいくら"))).await;
        assert_eq!(r.status, StatusCode::OK, "{what}");
        assert_eq!(r.json()["hits"][0]["id"], "shipping/fee", "{what}");
        assert_eq!(get(&s, "/articles/shipping/fee").await.status, StatusCode::OK, "{what}");
    }

    // A CURRENT file that is garbage: logged, nothing changes.
    std::fs::write(index.join("CURRENT"), "../../etc/passwd\n").unwrap();
    let mut failed = None;
    assert!(!reload::check(&s, &mut failed).await);
    assert_eq!(s.snapshot().generation, serving);
    assert_eq!(get(&s, &format!("/api/search?{}", q("返品"))).await.status, StatusCode::OK);

    // And a good generation published after all that is picked up.
    let name = "gen-29990200T000000.000000Z-1";
    copy_dir(&spare.join(&good), &index.join(name));
    std::fs::write(index.join("CURRENT"), format!("{name}\n")).unwrap();
    assert!(reload::check(&s, &mut failed).await, "a good generation is served again");
    assert_eq!(s.snapshot().generation, index.join(name));
}

/// A changed byte inside one page of `pages.jsonl` (the lengths still match, so the generation
/// opens): that page answers a clear 500 and the damage is logged; search and every other page
/// keep working.
#[tokio::test]
async fn a_damaged_page_fails_alone() {
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    build(&sample_content(), &index);
    let generation = index.join(std::fs::read_to_string(index.join("CURRENT")).unwrap().trim());
    let file = generation.join("pages.jsonl");
    let mut bytes = std::fs::read(&file).unwrap();
    let line = bytes.split(|&b| b == b'\n').position(|l| l.starts_with(br#"{"id":"shipping/fee""#)).expect("the page's line");
    let start: usize = bytes.split(|&b| b == b'\n').take(line).map(|l| l.len() + 1).sum();
    let at = start + bytes[start..].iter().position(|&b| b == b'\n').unwrap() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(&file, bytes).unwrap();
    let s = state_for(&index);

    let r = get(&s, "/api/articles/shipping/fee").await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
    assert_eq!(r.json()["error"]["message"], "internal error", "no details to the client");
    assert_eq!(get(&s, "/articles/shipping/fee").await.status, StatusCode::INTERNAL_SERVER_ERROR);
    let r = get(&s, &format!("/api/search?{}", q("送料はいくら"))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["hits"][0]["id"], "shipping/fee", "search does not read pages");
    assert_eq!(get(&s, "/api/articles/returns/how-to-return").await.status, StatusCode::OK);
    assert_eq!(get(&s, "/articles/returns/how-to-return").await.status, StatusCode::OK);

    // The agents' console still lists the hit, without a copy button for the unreadable page
    // only.
    let r = get_as_operator(&s, &format!("/ops?{}", q("送料はいくら"))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let item = |id: &str| r.body.split(r#"<li class="result">"#).find(|li| li.contains(&format!("/ops/articles/{id}"))).map(str::to_string);
    let damaged = item("shipping/fee").expect("the damaged page is still listed");
    assert!(!damaged.contains("回答をコピー"), "{damaged}");
    assert!(r.body.matches("回答をコピー").count() >= 1, "the other hits keep their copy buttons");
}
