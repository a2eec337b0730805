//! Counts and paging that match what is shown (issue 19): the help page's 「すべて（N）」 and
//! each category's count, and the console's 「N件」, are the number of hits the page links
//! reach, each once.

use std::collections::HashSet;

use regex::Regex;

use crate::common::*;

/// The help page's result links on `html`: (article id, rank).
fn help_hits(html: &str) -> Vec<(String, usize)> {
    let re =
        Regex::new(r#"<a class="title" href="/articles/([^"?]+)\?q=[^"]*&amp;rank=(\d+)&amp;"#)
            .unwrap();
    re.captures_iter(html)
        .map(|c| (c[1].to_string(), c[2].parse().unwrap()))
        .collect()
}

/// A number written as `（N）` after `label` (a filter link).
fn count_after(html: &str, label: &str) -> usize {
    let re = Regex::new(&format!(r"{}（(\d+)）", regex::escape(label))).unwrap();
    re.captures(html)
        .unwrap_or_else(|| panic!("no count for {label} in {html}"))[1]
        .parse()
        .unwrap()
}

/// Every page of the help page's results from `first` (an address without `page`), following
/// its 次へ links: the hits of each page.
async fn follow_help_pages(
    state: &kotae_server::AppState,
    first: &str,
) -> Vec<Vec<(String, usize)>> {
    let next = Regex::new(r#"<a href="([^"]+)" rel="next">次へ</a>"#).unwrap();
    let mut pages = Vec::new();
    let mut uri = first.to_string();
    loop {
        let reply = get(state, &uri).await;
        assert_eq!(reply.status, 200, "{uri}");
        pages.push(help_hits(&reply.body));
        match next.captures(&reply.body) {
            Some(c) => uri = c[1].replace("&amp;", "&"),
            None => break,
        }
        assert!(pages.len() < 60, "the 次へ links go on");
    }
    pages
}

/// A question of the sample with more than two pages of public hits.
const BROAD: &str = "注文";

#[tokio::test]
async fn the_help_page_pages_through_exactly_the_hits_it_counts() {
    let state = state();
    let first = format!("/search?{}", q(BROAD));
    let page1 = get(&state, &first).await;
    assert_eq!(page1.status, 200);
    let total = count_after(&page1.body, "すべて");
    assert!(
        total > 40,
        "the sample should have more than two pages for {BROAD}: {total}"
    );
    assert!(
        page1.body.contains(r#"aria-current="page">1</a>"#),
        "page 1 is marked as the current page"
    );

    let pages = follow_help_pages(&state, &first).await;
    assert_eq!(pages.len(), total.div_ceil(20), "one page per 20 hits");
    assert!(
        pages[..pages.len() - 1].iter().all(|p| p.len() == 20),
        "every page but the last is full"
    );
    let ids: Vec<&String> = pages.iter().flatten().map(|(id, _)| id).collect();
    let unique: HashSet<&String> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "no hit on two pages");
    assert_eq!(ids.len(), total, "the pages hold exactly the count shown");
    let ranks: Vec<usize> = pages.iter().flatten().map(|(_, r)| *r).collect();
    assert_eq!(
        ranks,
        (1..=total).collect::<Vec<_>>(),
        "ranks run on across the pages"
    );

    // page=2 is the second slice of the same list, whatever way it is reached.
    let page2 = get(&state, &format!("{first}&page=2")).await;
    assert_eq!(help_hits(&page2.body), pages[1]);
    assert!(
        page2.body.contains(r#"rel="prev""#) && page2.body.contains(r#"aria-current="page">2</a>"#)
    );
    assert!(page2.body.contains(r#"<ol class="results" start="21">"#));
}

#[tokio::test]
async fn each_category_count_is_what_filtering_on_it_pages_through() {
    let state = state();
    let first = format!("/search?{}", q(BROAD));
    let page1 = get(&state, &first).await;
    let filter = Regex::new(
        r#"<a href="/search\?q=[^"&]*&amp;category=([^"]+)"[^>]*>([^<（]+)（(\d+)）</a>"#,
    )
    .unwrap();
    let filters: Vec<(String, String, usize)> = filter
        .captures_iter(&page1.body)
        .map(|c| (c[1].to_string(), c[2].to_string(), c[3].parse().unwrap()))
        .collect();
    assert!(filters.len() >= 2, "{}", page1.body);
    let mut sum = 0;
    for (id, name, count) in filters {
        let pages = follow_help_pages(&state, &format!("{first}&category={id}")).await;
        let ids: HashSet<String> = pages.iter().flatten().map(|(id, _)| id.clone()).collect();
        assert_eq!(ids.len(), count, "{name}（{count}）");
        assert_eq!(
            pages.iter().map(Vec::len).sum::<usize>(),
            count,
            "{name}: no hit twice"
        );
        sum += count;
    }
    assert_eq!(
        sum,
        count_after(&page1.body, "すべて"),
        "the categories add up to すべて"
    );
}

#[tokio::test]
async fn a_page_number_out_of_range_or_malformed_gets_a_clear_page() {
    let state = state();
    let first = format!("/search?{}", q(BROAD));
    let total = count_after(&get(&state, &first).await.body, "すべて");
    let past = total.div_ceil(20) + 1;
    let reply = get(&state, &format!("{first}&page={past}")).await;
    assert_eq!(reply.status, 404);
    assert!(
        reply.body.contains(&format!("{} ページ目まで", past - 1)),
        "{}",
        reply.body
    );
    assert!(reply.body.contains("1ページ目を見る"));
    for bad in [
        "0",
        "abc",
        "-2",
        "1.5",
        "99999999999999999999999",
        "%EF%BC%92",
    ] {
        let reply = get(&state, &format!("{first}&page={bad}")).await;
        assert_eq!(reply.status, 400, "page={bad}");
        assert!(
            reply.body.contains("1 以上の整数で指定してください"),
            "page={bad}: {}",
            reply.body
        );
    }
    let huge = get(&state, &format!("{first}&page=100000000")).await;
    assert_eq!(huge.status, 404, "far past the end");
}

#[tokio::test]
async fn a_question_nothing_answers_keeps_its_page_whatever_the_page_number() {
    let state = state();
    for page in ["", "&page=2"] {
        let reply = get(&state, &format!("/search?{}{page}", q("xyzzy の天気予報"))).await;
        assert_eq!(reply.status, 200);
        assert!(
            reply.body.contains("に一致する回答は見つかりませんでした"),
            "{page}: {}",
            reply.body
        );
    }
}

/// The console's result links on `html` (with their anchors: a manual section is a hit).
fn console_hits(html: &str) -> Vec<String> {
    let re = Regex::new(r#"<a class="title" href="(/ops/articles/[^"]+)""#).unwrap();
    re.captures_iter(html).map(|c| c[1].to_string()).collect()
}

#[tokio::test]
async fn the_console_pages_through_exactly_the_hits_it_counts() {
    let state = state();
    let uri = format!("/ops?{}&audience=all", q("お客様"));
    let reply = get_as_operator(&state, &uri).await;
    assert_eq!(reply.status, 200);
    let count = Regex::new(r"」: (\d+)件").unwrap();
    let total: usize = count.captures(&reply.body).expect("a count")[1]
        .parse()
        .unwrap();
    assert!(
        total > 60,
        "お客様 should fill more than two console pages: {total}"
    );
    let next = Regex::new(r#"<a href="([^"]+)" rel="next">次へ</a>"#).unwrap();
    let mut seen = Vec::new();
    let mut page = reply;
    loop {
        let hits = console_hits(&page.body);
        assert!(!hits.is_empty());
        seen.extend(hits);
        let Some(c) = next.captures(&page.body) else {
            break;
        };
        page = get_as_operator(&state, &c[1].replace("&amp;", "&")).await;
        assert_eq!(page.status, 200);
    }
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no hit on two pages");
    assert_eq!(
        seen.len(),
        total,
        "the console's pages hold exactly its count"
    );
    assert!(
        seen.iter().any(|h| h.contains("/manual/")) && seen.iter().any(|h| !h.contains("/manual/")),
        "both audiences"
    );
    let page2 = get_as_operator(&state, &format!("{uri}&page=2")).await;
    assert!(page2.body.contains("（31〜60件目）"), "{}", page2.body);
    let past = get_as_operator(&state, &format!("{uri}&page={}", total.div_ceil(30) + 1)).await;
    assert_eq!(past.status, 404);
    assert_eq!(
        get_as_operator(&state, &format!("{uri}&page=x"))
            .await
            .status,
        400
    );
}
