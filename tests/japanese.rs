//! Where peer search engines fail Japanese users, Kotae must not: one test per known complaint.

use std::fs;
use std::path::Path;
use std::sync::OnceLock;

use crate::util::{kotae, stderr, stdout};

fn page(root: &Path, id: &str, title: &str, body: &str) {
    let path = root.join(format!("{id}.md"));
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, format!("---\ntitle: {title}\ncategory: help\n---\n{body}\n")).unwrap();
}

/// A small corpus written for these cases, indexed once.
fn corpus() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let c = dir.path().join("content");
        fs::create_dir_all(&c).unwrap();
        fs::write(c.join("categories.yml"), "- id: help\n  name: ヘルプ\n- id: manual\n  name: マニュアル\n  audience: internal\n").unwrap();
        fs::write(c.join("synonyms.txt"), "スマホ, スマートフォン\nクレカ, クレジットカード\n").unwrap();
        page(&c, "kix", "関西国際空港への配送について", "関西国際空港の旅客ターミナルへはお届けできません。");
        page(&c, "streaming", "有料配信の見方", "有料配信は購入後すぐに視聴できます。");
        page(&c, "server", "サーバーに接続できません", "サーバーの混雑時は時間をおいてお試しください。");
        page(&c, "printer", "プリンタの設定方法", "プリンタの電源を入れ、設定画面を開きます。");
        page(&c, "dame", "使ってはダメな洗剤", "塩素系の洗剤は使わないでください。");
        page(&c, "guide", "ガイドブックの入手方法", "ガイドブックは店頭で配布しています。");
        page(&c, "pc", "PCで注文する方法", "パソコンのブラウザから注文できます。");
        page(&c, "phone", "スマートフォンの機種変更", "機種変更の前にデータを移行してください。");
        page(&c, "card", "クレジットカードの登録", "マイページからクレジットカードを登録できます。");
        page(&c, "pointcard", "ポイントカードの再発行", "ポイントカードをなくした場合は再発行できます。");
        page(&c, "ring", "リングのサイズ直し", "指輪のサイズ直しを承ります。");
        page(&c, "green", "グリーンの限定色", "グリーンの限定色は数量限定です。");
        page(&c, "campaign", "春のｷｬﾝﾍﾟｰﾝについて", "春のｷｬﾝﾍﾟｰﾝは4月末までです。");
        page(&c, "password", "パスワードの変更", "マイページでパスワードを変更できます。");
        page(&c, "boer", "ボーア戦争の始まり", "ボーア戦争は南アフリカで起きました。");
        page(&c, "bellboy", "ホテルのボーイ", "ボーイが荷物を部屋まで運びます。ボーイへのチップは不要です。戦争の前から続くホテルです。");
        fs::write(
            c.join("manual.md"),
            "---\ntitle: 電話応対マニュアル\ncategory: manual\naudience: internal\n---\n前置き。\n\n## 保留のしかた\n\n保留は一回二分までです。\n\n## 転送のしかた\n\n転送先の担当者名を伝えます。\n\n## 折り返し電話\n\n折り返しの時刻を約束します。\n",
        )
        .unwrap();
        let out = kotae(dir.path(), &["index", "--quiet"]);
        assert!(out.status.success(), "{}", stderr(&out));
        dir
    })
    .path()
}

fn search(query: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["search", "--json", "--limit", "20"];
    args.extend_from_slice(extra);
    args.push("--");
    args.push(query);
    let out = kotae(corpus(), &args);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

fn ids(query: &str) -> Vec<String> {
    search(query, &[])["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()).collect()
}

fn top(query: &str) -> String {
    ids(query).into_iter().next().unwrap_or_else(|| panic!("{query}: no hit"))
}

#[test]
fn a_part_of_a_compound_finds_the_whole() {
    assert_eq!(top("空港"), "kix");
    assert_eq!(top("配信"), "streaming");
}

#[test]
fn kana_and_width_variants_match() {
    assert_eq!(top("だめ"), "dame");
    assert_eq!(top("ﾀﾞﾒ"), "dame");
    assert_eq!(top("ｶﾞｲﾄﾞ"), "guide");
    assert_eq!(top("ＰＣ"), "pc");
    assert_eq!(top("pc"), "pc");
    assert_eq!(top("キャンペーン"), "campaign");
}

#[test]
fn long_vowel_variants_match() {
    assert_eq!(top("サーバ"), "server");
    assert_eq!(top("サーバー"), "server");
    assert_eq!(top("プリンター"), "printer");
    assert_eq!(top("プリンタ"), "printer");
}

#[test]
fn multi_word_synonyms_match_as_whole_terms() {
    assert_eq!(top("スマホ"), "phone");
    let found = ids("クレカ");
    assert_eq!(found.first().map(String::as_str), Some("card"));
    assert!(!found.contains(&"pointcard".to_string()), "クレジット カード is one synonym, not カード alone: {found:?}");
}

#[test]
fn typos_are_tolerated_on_readings() {
    assert_eq!(top("パスワート"), "password");
    let v = search("パスワートへんこう", &[]);
    assert_eq!(v["hits"][0]["id"], "password");
}

#[test]
fn highlights_land_on_the_original_characters() {
    // Query full-width, page half-width: the mark covers the page's own characters.
    let v = search("キャンペーン", &[]);
    let html = v["hits"][0]["snippet_html"].as_str().unwrap();
    assert!(html.contains("<mark>ｷｬﾝﾍﾟｰﾝ</mark>"), "{html}");
    let v = search("ｶﾞｲﾄﾞﾌﾞｯｸ", &[]);
    assert!(v["hits"][0]["snippet_html"].as_str().unwrap().contains("<mark>ガイドブック</mark>"), "{v}");
}

#[test]
fn character_fallback_uses_bigrams_never_unigrams() {
    let found = ids("リング");
    assert_eq!(found.first().map(String::as_str), Some("ring"));
    assert!(!found.contains(&"green".to_string()), "リング shares only single characters with グリーン: {found:?}");
}

#[test]
fn long_manual_pages_are_searched_per_section() {
    let v = search("転送するとき", &["--audience", "internal"]);
    assert_eq!(v["hits"][0]["id"], "manual");
    assert_eq!(v["hits"][0]["section"], "転送のしかた");
    let v = search("保留", &["--audience", "internal"]);
    assert_eq!(v["hits"][0]["section"], "保留のしかた");
}

#[test]
fn a_query_that_finds_nothing_proposes_a_correction() {
    let v = search("パスワートー", &[]);
    assert!(v["did_you_mean"].as_str().is_some_and(|s| s.contains("パスワード")), "{v}");
}

#[test]
fn general_synonyms_from_sudachis_dictionary_reach_the_corpus_words() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("content");
    fs::create_dir_all(&c).unwrap();
    fs::write(c.join("categories.yml"), "- id: help\n  name: ヘルプ\n").unwrap();
    page(&c, "hours", "営業時間のご案内", "平日の閉店時間は十八時です。");
    page(&c, "parking", "駐車場について", "駐車場は店舗の裏にございます。");
    // The shape of the npm package sudachi-synonyms-dictionary: クローズ and 店じまい mean 閉店.
    let item = |word: &str, control: u8| {
        format!(r#"{{"taigenYogen": "体言", "expandControl": {control}, "vocabularyNumber": 1, "gokeiSyubetsu": "代表語", "ryakusyou": "代表語形", "hyoukiYure": "未定義", "bunya": [], "midashi": "{word}"}}"#)
    };
    let dict = dir.path().join("sudachi.json");
    fs::write(&dict, format!(r#"[{{"id": "000001", "items": [{}, {}, {}]}}]"#, item("閉店", 0), item("クローズ", 0), item("店じまい", 0))).unwrap();
    let run = |args: &[&str], with_dict: bool| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_kotae"));
        command.args(args).current_dir(dir.path()).env("KOTAE_LOG", "warn").env_remove("KOTAE_CONTENT").env_remove("KOTAE_INDEX");
        if with_dict {
            command.env("KOTAE_SYNONYM_DICT", &dict);
        } else {
            command.env_remove("KOTAE_SYNONYM_DICT");
        }
        let out = command.output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let found = |query: &str| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(&run(&["search", "--json", "--", query], false)).unwrap();
        v["hits"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()).collect()
    };
    run(&["index", "--quiet"], false);
    assert!(!found("店じまい").contains(&"hours".to_string()), "without the dictionary 店じまい is unknown");
    run(&["index", "--quiet"], true);
    assert_eq!(found("店じまい").first().map(String::as_str), Some("hours"));
    assert_eq!(found("クローズ").first().map(String::as_str), Some("hours"));

    // A file that is not the dictionary stops the build with its path, and the index stays.
    fs::write(&dict, "{}").unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_kotae"));
    let out = command.args(["index", "--quiet"]).current_dir(dir.path()).env("KOTAE_SYNONYM_DICT", &dict).env_remove("KOTAE_CONTENT").env_remove("KOTAE_INDEX").output().unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("sudachi.json:1:"), "{}", stderr(&out));
    assert_eq!(found("クローズ").first().map(String::as_str), Some("hours"));
}

/// A katakana name typed one kana off (ボーイ for ボーア) is itself a word the pages have; the
/// noun it stands beside tells which is meant: the pages write ボーア戦争, never ボーイ戦争.
#[test]
fn a_name_slipped_into_another_name_is_told_by_the_noun_beside_it() {
    assert_eq!(top("ボーイ戦争"), "boer");
    assert_eq!(top("ボーイのチップ"), "bellboy", "no noun the pages write beside ボーア");
}
