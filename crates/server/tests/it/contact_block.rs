//! The contact block (issue 19): a phone number is a `tel:` link, each link's text names its
//! channel, the sample site offers no channel it cannot reach, and before uncertain results
//! the block is marked compact (on a phone, only the channels' links).

use kotae_server::pages::tel_link;

use crate::common::*;

/// The contact section of a page, from its opening tag to its end.
fn contact_section(html: &str) -> &str {
    let start = html.find(r#"<section class="contact"#).unwrap_or_else(|| panic!("no contact block in {html}"));
    let end = html[start..].find("</section>").map(|e| start + e).expect("contact block closed");
    &html[start..end]
}

/// `(href, text)` of every link in `html`.
fn links(html: &str) -> Vec<(String, String)> {
    regex::Regex::new(r#"<a href="([^"]*)">([^<]*)</a>"#)
        .unwrap()
        .captures_iter(html)
        .map(|c| (c[1].replace("&amp;", "&"), c[2].to_string()))
        .collect()
}

#[test]
fn a_phone_number_becomes_a_tel_link() {
    assert_eq!(tel_link("0120-870-870（通話無料）").as_deref(), Some("tel:0120-870-870"));
    assert_eq!(tel_link("０３－１２３４－５６７８").as_deref(), Some("tel:03-1234-5678"));
    assert_eq!(tel_link("+81-3-1234-5678").as_deref(), Some("tel:+81-3-1234-5678"));
    assert_eq!(tel_link("受付 03-1234-5678 まで").as_deref(), Some("tel:03-1234-5678"));
    assert_eq!(tel_link("ヘルプページから"), None);
    assert_eq!(tel_link("24時間"), None, "too short for a number");
}

#[tokio::test]
async fn channels_are_links_named_after_the_channel() {
    let s = state();
    let site = s.snapshot().corpus.site.clone();
    for page in ["/contact", &format!("/search?{}", q("qwertyuiop"))] {
        let reply = get(&s, page).await;
        let block = contact_section(&reply.body);
        let found = links(block);
        assert!(
            found.iter().any(|(href, text)| href == "tel:0120-870-870" && text == "電話"),
            "{page}: the phone number is a tel: link named 電話: {found:?}"
        );
        for (href, text) in &found {
            let channel = site.contact.iter().find(|c| &c.label == text);
            assert!(channel.is_some(), "{page}: the link {href} is named {text:?}, not after a channel");
        }
        // Every channel of the sample site can be reached from the block: none points at a
        // button or page the help center does not have.
        for c in &site.contact {
            assert!(
                found.iter().any(|(_, text)| *text == c.label),
                "{page}: the {} channel has no link: {block}",
                c.kind
            );
        }
        assert!(!block.contains("チャットで相談"), "{page}: no chat button exists on the help page");
    }
}

#[tokio::test]
async fn the_block_before_uncertain_results_is_compact() {
    let s = state();
    // Vague questions whose best results cover them poorly: the contact block comes first.
    let mut compact = 0;
    for question in ["会社の住所", "ポイント返金"] {
        let vague = get(&s, &format!("/search?{}", q(question))).await;
        if vague.body.contains(r#"<section class="contact compact""#) {
            compact += 1;
            let (contact_at, results_at) = (vague.body.find("contact compact").unwrap(), vague.body.find(r#"<ol class="results">"#));
            assert!(results_at.is_some_and(|r| contact_at < r), "{question}: the compact block comes before the results");
        }
    }
    assert!(compact > 0, "a vague question shows the compact block before its results");
    let clear = get(&s, &format!("/search?{}", q("パスワードを忘れた"))).await;
    assert!(clear.body.contains(r#"<ol class="results">"#));
    assert!(clear.body.contains(r#"<section class="contact""#) && !clear.body.contains("contact compact"), "after confident results the block is whole");
}
