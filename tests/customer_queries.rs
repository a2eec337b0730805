//! Realistic customer phrasings find the right FAQ in the top 3.

use crate::util::search;

/// (what a customer types, the FAQ that answers it)
const CASES: &[(&str, &str)] = &[
    // colloquial
    ("ログインできん", "account/cannot-login"),
    ("解約したいんだけど", "membership/cancel"),
    ("荷物まだ来ないんだけど", "shipping/tracking"),
    ("クーポン使えないんだけど", "points/coupon-not-working"),
    ("ポイントつかないじゃん", "points/not-granted"),
    // kana only
    ("へんぴんしたい", "returns/how-to-return"),
    ("ぱすわーど わすれた", "password/forgot"),
    ("りょうしゅうしょ", "orders/receipt"),
    ("そうりょう いくら", "shipping/fee"),
    ("ぷれみあむ かいやく", "membership/cancel"),
    // full-width and half-width
    ("ｷｬﾝｾﾙしたい", "orders/cancel"),
    ("ＰａｙＰａｙ", "payment/paypay"),
    ("ﾊﾟｽﾜｰﾄﾞ 再設定 ﾒｰﾙ 来ない", "password/reset-mail-not-arriving"),
    ("ＬＩＮＥでログイン", "account/social-login"),
    // extra words, long sentences
    ("先週注文した服がイメージと全然違ったので返品したいのですが可能でしょうか", "returns/own-reason"),
    ("昨日の夜に不在票が入っていたのですが、もう一度届けてもらうにはどうしたらいいですか", "shipping/missed-delivery"),
    ("スマホを買い替えたら二段階認証のコードが受け取れなくなってしまいました", "password/two-step-new-phone"),
    ("すみません、カスタマーセンターの電話って何時から何時までやってますか", "contact/phone-hours"),
    // plain keywords
    ("送料", "shipping/fee"),
    ("ポイント 有効期限", "points/expiry"),
    ("アプリ 起動しない", "app/wont-start"),
    ("代引き 手数料", "payment/cash-on-delivery"),
    ("フィッシングメール", "privacy/phishing-mail"),
];

#[test]
fn customer_phrasings_find_the_right_faq_in_the_top_3() {
    let mut failures = Vec::new();
    for (query, expected) in CASES {
        let (_, hits) = search(query, &["--limit", "3"]);
        let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        if !ids.contains(expected) {
            failures.push(format!("{query:?}: expected {expected}, got {ids:?}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} failed:\n{}", failures.len(), CASES.len(), failures.join("\n"));
}

#[test]
fn exact_titles_rank_their_page_first() {
    for (query, expected) in [
        ("注文をキャンセルしたいです", "orders/cancel"),
        ("送料はいくらですか？", "shipping/fee"),
        ("ポイントの有効期限はいつまでですか", "points/expiry"),
    ] {
        let (_, hits) = search(query, &["--limit", "1"]);
        assert_eq!(hits[0].id, expected, "{query}");
    }
}

#[test]
fn snippets_mark_the_matched_words_of_the_original_text() {
    // The query is half-width; the page is full-width: the snippet shows the page's text.
    let (_, hits) = search("ｷｬﾝｾﾙ", &["--limit", "1"]);
    assert_eq!(hits[0].id, "orders/cancel");
    assert!(hits[0].snippet.contains("キャンセル"), "{}", hits[0].snippet);
}

#[test]
fn category_filter_restricts_hits() {
    let (total, hits) = search("キャンセル", &["--category", "membership", "--limit", "20"]);
    assert!(total > 0);
    assert!(hits.iter().all(|h| h.id.starts_with("membership/")), "{hits:?}");
}

#[test]
fn queries_of_any_shape_do_not_fail() {
    let long = "あ".repeat(10_000);
    for q in ["", " ", "!!!", "title:foo AND (bar OR", "\"unclosed", "*", "🙂🙂", "-", long.as_str(), "<script>alert(1)</script>"] {
        let (total, hits) = search(q, &[]);
        assert_eq!(hits.len() as u64, total.min(10), "{q:?}");
    }
    let (total, _) = search("", &[]);
    assert_eq!(total, 0);
}
