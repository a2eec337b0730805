//! Queries of any shape, with any parameters, searched in-process on the sample corpus: the
//! search never fails or panics, and what it returns keeps the promises callers rely on (the
//! audience and category filters hold, the page has the size the total says, scores go down,
//! snippet highlights are valid: see `search_contract`).
//!
//! `PROPTEST_CASES=5000 cargo test --test integration query_shapes` runs more cases.

use std::sync::OnceLock;

use kotae_core::search::{AudienceFilter, SearchRequest, SearchResults};
use kotae_core::{Analyzer, IndexRoot, Snapshot};
use proptest::prelude::*;

use crate::search_contract::broken_promise;
use crate::util::sample_index;

fn snapshot() -> &'static Snapshot {
    static SNAPSHOT: OnceLock<Snapshot> = OnceLock::new();
    SNAPSHOT.get_or_init(|| {
        let analyzer = Analyzer::from_env().expect("IPADIC is installed (apt-get install -y mecab-ipadic)");
        Snapshot::open(&IndexRoot::new(sample_index().join("index")), &analyzer).expect("open the sample index")
    })
}

/// Pieces customers and curious people type: corpus words in every script, words of the
/// internal manual, query-language syntax that Kotae does not interpret, and oddities.
fn piece() -> impl Strategy<Value = String> {
    let words = [
        "返品", "へんぴん", "henpin", "ﾍﾝﾋﾟﾝ", "パスワード", "ぱすわーど", "ログイン", "ﾛｸﾞｲﾝ", "出来ない", "できない", "送料",
        "キャンセル", "解約", "ポイント", "領収書", "エスカレーション", "クレーム", "敬語", "保留", "本人確認", "KPI",
        "一次対応", "の", "は", "を", "ー", "〜", "？", "！", "。",
    ];
    let syntax = [
        "\"", "'", "AND", "OR", "NOT", "-", "+", "*", "?", ":", "title:", "category:manual", "audience:internal", "(", ")",
        "[", "]", "{", "}", "^2", "~", "\\", "/", "&&", "||", "!", "<script>", "%", "%00", "'; DROP TABLE x;--", "\u{0}",
    ];
    prop_oneof![
        4 => prop::sample::select(words.to_vec()).prop_map(str::to_string),
        3 => prop::sample::select(syntax.to_vec()).prop_map(str::to_string),
        1 => prop::sample::select(vec![" ", "\u{3000}", "\t", "\n"]).prop_map(str::to_string),
        2 => "[ぁ-んァ-ヶ一-龠ｦ-ﾟＡ-ｚ0-9a-zA-Z]{1,6}",
        1 => any::<String>().prop_map(|s| s.chars().take(12).collect()),
    ]
}

fn query() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::collection::vec(piece(), 0..8).prop_map(|p| p.concat()),
        1 => (piece(), 1..400usize).prop_map(|(p, n)| p.repeat(n)),
    ]
}

fn audience() -> impl Strategy<Value = AudienceFilter> {
    prop::sample::select(vec![AudienceFilter::Public, AudienceFilter::Internal, AudienceFilter::All])
}

fn category() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        3 => Just(None),
        2 => prop::sample::select(vec!["returns", "password", "account", "manual", "payment"]).prop_map(|c| Some(c.to_string())),
        1 => prop::sample::select(vec!["", "nope", "../manual", "manual ", "RETURNS", "*"]).prop_map(|c| Some(c.to_string())),
    ]
}

fn check(request: &SearchRequest<'_>, results: &SearchResults) -> Result<(), TestCaseError> {
    broken_promise(request, results).map_or(Ok(()), |e| Err(TestCaseError::fail(e)))
}

fn config() -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 256;
    }
    config
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_query_with_any_parameters_is_answered_within_its_filters(
        q in query(),
        audience in audience(),
        category in category(),
        limit in prop_oneof![Just(0usize), 1..30usize, Just(100usize), Just(101usize), Just(usize::MAX)],
        offset in prop_oneof![3 => Just(0usize), 1 => 1..200usize, 1 => Just(usize::MAX)],
    ) {
        let request = SearchRequest {
            query: &q,
            audience,
            category: category.as_deref(),
            limit,
            offset,
            explain: false,
            snippets: usize::MAX,
        };
        let results = snapshot().search(&request).map_err(|e| TestCaseError::fail(format!("{q:?}: {e}")))?;
        check(&request, &results)?;
        // The same request again (from the result cache) gives the same page.
        let again = snapshot().search(&request).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let ids = |r: &SearchResults| r.hits.iter().map(|h| (h.id.clone(), h.section.clone())).collect::<Vec<_>>();
        prop_assert_eq!(ids(&results), ids(&again));
        prop_assert_eq!(results.total, again.total);
    }
}

/// The promises checked above hold on queries that match: without this, a test whose every
/// query found nothing would pass whatever the filters did.
#[test]
fn the_checks_see_real_hits() {
    for (query, audience, category) in [
        ("返品したい", AudienceFilter::Public, None),
        ("エスカレーション", AudienceFilter::Internal, None),
        ("クレーム 対応", AudienceFilter::All, None),
        ("パスワード", AudienceFilter::Public, Some("password")),
    ] {
        let request = SearchRequest { audience, category, ..SearchRequest::new(query) };
        let results = snapshot().search(&request).expect("search");
        assert!(!results.hits.is_empty(), "{query:?} found nothing");
        if let Some(broken) = broken_promise(&request, &results) {
            panic!("{query:?}: {broken}");
        }
    }
    // A page past the end: the total is still counted, the page is empty.
    let request = SearchRequest { offset: 5_000, ..SearchRequest::new("返品") };
    let results = snapshot().search(&request).expect("search");
    assert!(results.total > 0 && results.hits.is_empty(), "total {} with {} hits", results.total, results.hits.len());
}

/// Every page of `request`'s hits, from the first (the sample holds fewer than `MAX_OFFSET`).
fn every_hit(request: &SearchRequest<'_>) -> Vec<kotae_core::search::Hit> {
    let mut hits = Vec::new();
    loop {
        let page = SearchRequest { offset: hits.len(), limit: 100, snippets: 0, ..request.clone() };
        let results = snapshot().search(&page).expect("search");
        if results.hits.is_empty() {
            return hits;
        }
        hits.extend(results.hits);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..config() })]

    /// The category filter's counts, read from the index's category column, are the categories
    /// of the hits themselves (the sample's searches list fewer than a thousand).
    #[test]
    fn category_counts_are_the_categories_of_the_hits(q in query(), audience in audience()) {
        let request = SearchRequest { audience, ..SearchRequest::new(&q) };
        let mut counts = snapshot().category_counts(&request).map_err(|e| TestCaseError::fail(format!("{q:?}: {e}")))?;
        let mut expected: Vec<(Option<String>, usize)> = Vec::new();
        for hit in every_hit(&request) {
            match expected.iter_mut().find(|(c, _)| *c == hit.category) {
                Some((_, n)) => *n += 1,
                None => expected.push((hit.category, 1)),
            }
        }
        counts.sort();
        expected.sort();
        prop_assert_eq!(counts, expected);
    }
}

/// The sample index without a result cache: every search is ranked anew.
fn uncached() -> &'static Snapshot {
    static SNAPSHOT: OnceLock<Snapshot> = OnceLock::new();
    SNAPSHOT.get_or_init(|| {
        let analyzer = Analyzer::from_env().expect("IPADIC is installed (apt-get install -y mecab-ipadic)");
        let root = IndexRoot::new(sample_index().join("index"));
        Snapshot::open(&root, &analyzer).expect("open the sample index").with_cache_capacity(0)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..config() })]

    /// A results page and its category counts from one ranking are the page a search lists and
    /// the counts counted on their own, whatever the page (the slice of a deeper ranking is
    /// the shallower one).
    #[test]
    fn a_page_with_counts_is_the_page_and_the_counts(
        q in query(),
        audience in audience(),
        category in category(),
        offset in prop_oneof![3 => Just(0usize), 1 => 0..120usize],
        limit in 1..40usize,
    ) {
        let request = SearchRequest { audience, category: category.as_deref(), offset, limit, ..SearchRequest::new(&q) };
        let fail = |e: kotae_core::Error| TestCaseError::fail(format!("{q:?}: {e}"));
        let (page, counts) = uncached().search_counted(&request).map_err(fail)?;
        let alone = uncached().search(&request).map_err(fail)?;
        let counted = uncached().category_counts(&request).map_err(fail)?;
        let json = |r: &SearchResults| serde_json::to_string(r).expect("results serialize");
        prop_assert_eq!(json(&page), json(&alone));
        prop_assert_eq!(counts, counted);
    }
}

#[test]
fn category_counts_see_several_categories() {
    let request = SearchRequest { audience: AudienceFilter::All, ..SearchRequest::new("確認") };
    let counts = snapshot().category_counts(&request).expect("counts");
    assert!(counts.len() >= 3, "{counts:?}");
    assert!(counts.iter().any(|(c, _)| c.as_deref() == Some("manual")), "{counts:?}");
}
