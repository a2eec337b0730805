//! The operator manual never reaches the public side.

use crate::util::search;

/// Words that only internal manual pages use.
const INTERNAL_ONLY: &[&str] = &[
    "エスカレーション",
    "一次解決率",
    "SVへの報告",
    "保留ルール",
    "クレーム対応",
    "消費者契約法",
    "NPS",
    "傾聴 共感 謝罪",
];

#[test]
fn internal_words_find_manual_pages_for_agents() {
    for word in INTERNAL_ONLY {
        let (_, hits) = search(word, &["--audience", "internal"]);
        assert!(!hits.is_empty(), "{word}: the manual should answer this");
        assert!(hits.iter().all(|h| h.audience == "internal" && h.id.starts_with("manual/")), "{word}: {hits:?}");
    }
}

#[test]
fn public_searches_never_return_internal_pages() {
    for word in INTERNAL_ONLY {
        for extra in [&[][..], &["--audience", "public"][..], &["--category", "manual"][..]] {
            let mut args = vec!["--limit", "100"];
            args.extend_from_slice(extra);
            let (_, hits) = search(word, &args);
            let leaked: Vec<_> = hits.iter().filter(|h| h.audience != "public" || h.id.starts_with("manual/")).collect();
            assert!(leaked.is_empty(), "{word} {extra:?} leaked {leaked:?}");
        }
    }
}

#[test]
fn manual_hits_land_on_their_section() {
    let (_, hits) = search("保留 何分まで", &["--audience", "internal", "--limit", "3"]);
    let top = &hits[0];
    assert_eq!(top.id, "manual/phone-hold", "{hits:?}");
    assert!(top.section.is_some(), "a manual hit names its section: {top:?}");
}

#[test]
fn agents_see_both_audiences_together() {
    let (_, hits) = search("返金", &["--audience", "all", "--limit", "30"]);
    assert!(hits.iter().any(|h| h.audience == "public"), "{hits:?}");
    assert!(hits.iter().any(|h| h.audience == "internal"), "{hits:?}");
}
