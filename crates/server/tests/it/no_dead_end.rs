//! No dead end (issue #18): a question the help center does not cover gets an honest "not
//! covered", the questions closest in meaning and the contact channels, never a list of pages
//! that share only できる or ある with it; the reports count it as unanswered.

use axum::http::StatusCode;

use crate::common::*;
use crate::events::{rows, sid_in};
use crate::related::model_present;

/// The 「もしかして」 links of a results page.
fn closest_ids(html: &str) -> Vec<String> {
    let Some(start) = html.find(r#"<ul class="closest""#) else { return Vec::new() };
    let list = &html[start..html[start..].find("</ul>").map_or(html.len(), |e| start + e)];
    list.split(r#"href="/articles/"#).skip(1).filter_map(|s| s.split('?').next()).map(str::to_string).collect()
}

#[tokio::test]
async fn a_question_the_shop_does_not_cover_is_told_so_with_the_closest_questions_and_a_human() {
    if !model_present() {
        return;
    }
    let s = state();
    for question in ["駐車場ある？", "ペットを連れて来店できますか", "お店の中でタバコ吸えますか"] {
        let page = get(&s, &format!("/search?{}", q(question))).await;
        assert_eq!(page.status, StatusCode::OK);
        let body = &page.body;
        assert!(body.contains("に一致する回答は見つかりませんでした"), "{question}: {body}");
        assert!(body.contains("もしかして、こちらのご質問ですか？"), "{question}");
        let closest = closest_ids(body);
        assert_eq!(closest.len(), 3, "{question}: {closest:?}");
        let snapshot = s.snapshot();
        for id in &closest {
            let info = snapshot.corpus.info(id).unwrap_or_else(|| panic!("{id} is a page"));
            assert_eq!(info.audience, kotae_core::content::Audience::Public, "{id}: never the manual");
        }
        assert!(!body.contains(r#"<ol class="results">"#), "{question}: no list of weak hits");
        assert!(body.contains("/contact/go?channel="), "{question}: the contact channels follow");
        assert!(body.contains(r#"action="/questions""#), "{question}: and the question form");

        // The API says the same.
        let api = get(&s, &format!("/api/search?{}", q(question))).await.json();
        assert_eq!(api["answered"], false, "{question}: {api}");
        assert_eq!(api["closest"].as_array().map(Vec::len), Some(3), "{question}: {api}");
        let answer = get(&s, &format!("/api/answer?{}", q(question))).await.json();
        assert_eq!((answer["answer"].is_null(), answer["escalate"].as_bool()), (true, Some(true)), "{question}: {answer}");
        assert!(answer["confidence"].as_f64().unwrap() < 0.5, "{answer}");
        assert!(answer["contact"].is_array() || answer["contact"].is_object(), "{answer}");
        assert_eq!(answer["closest"].as_array().map(Vec::len), Some(3), "{answer}");
    }
    // Counted as searches without an answer, although weak hits exist.
    assert!(!s.snapshot().search(&kotae_core::SearchRequest::new("駐車場ある？")).unwrap().hits.is_empty(), "weak hits exist");
    let unanswered = rows(&s, "SELECT query, hits, top_ids FROM searches WHERE source = 'help' AND query = '駐車場ある？'");
    assert_eq!(unanswered, [["駐車場ある？", "0", "[]"]]);
}

#[tokio::test]
async fn questions_the_shop_covers_keep_their_answers() {
    if !model_present() {
        return;
    }
    let s = state();
    for (question, id) in [
        ("キャンセルしたい", "orders/cancel"),
        ("パスワードを忘れてログインできない", "password/forgot"),
        ("ボイント 使い方", "points/how-to-use"),
        ("結婚して苗字が変わったんですが登録名も変えられますか", "account/change-profile"),
    ] {
        let page = get(&s, &format!("/search?{}", q(question))).await;
        assert!(page.body.contains(r#"<ol class="results">"#), "{question}: {}", page.body);
        assert!(page.body.contains(&format!("/articles/{id}?")), "{question}: {id}");
        assert!(!page.body.contains("もしかして、こちらのご質問ですか？"), "{question}");
        let sid = sid_in(&page.body);
        let hits = rows(&s, &format!("SELECT hits > 0 FROM searches WHERE id = '{sid}'"));
        assert_eq!(hits, [["1"]], "{question}: recorded as answered");
        let answer = get(&s, &format!("/api/answer?{}", q(question))).await.json();
        assert_eq!(answer["answer"]["id"], id, "{question}: {answer}");
    }
}
