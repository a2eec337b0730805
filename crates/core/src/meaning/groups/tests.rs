use super::*;

fn unit(v: &[f32]) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / n).collect()
}

/// The model, or `None` after a note (a failure when `KOTAE_REQUIRE_MODEL=1`).
fn model() -> Option<std::sync::Arc<Meaning>> {
    let meaning = Meaning::shared();
    if meaning.is_none() {
        assert!(std::env::var("KOTAE_REQUIRE_MODEL").as_deref() != Ok("1"), "KOTAE_REQUIRE_MODEL=1 but the model is missing");
        eprintln!("skipped: the embedding model is missing (run tools/fetch-model.sh)");
    }
    meaning
}

#[test]
fn close_items_group_and_far_ones_stay_alone() {
    let v = [unit(&[1.0, 0.0, 0.0]), unit(&[0.0, 0.0, 1.0]), unit(&[1.0, 0.1, 0.0]), unit(&[1.0, 0.0, 0.1]), unit(&[0.0, 1.0, 0.0])];
    let refs: Vec<&[f32]> = v.iter().map(|x| &x[..]).collect();
    let groups = group(&refs, &[1, 9, 5, 2, 1], 0.9, Linkage::Average);
    // By total weight: {1} (9 searches) before {0, 2, 3} (8), each by its own weight.
    assert_eq!(groups, vec![vec![1], vec![2, 3, 0], vec![4]]);
    assert_eq!(group(&refs, &[1, 1, 1, 1, 1], 0.9, Linkage::Complete)[0], vec![0, 2, 3], "ties: by index");
    assert!(group(&[], &[], 0.9, Linkage::Complete).is_empty());
    assert_eq!(group(&refs, &[1; 5], 1.1, Linkage::Average).len(), 5, "nothing is that close");
}

#[test]
fn neither_linkage_chains() {
    // a ~ b and b ~ c at 0.95, but a and c only 0.81 apart: a chain, not one question.
    let angle = 0.95f32.acos();
    let at = |k: f32| vec![(k * angle).cos(), (k * angle).sin()];
    let v = [at(0.0), at(1.0), at(2.0)];
    let refs: Vec<&[f32]> = v.iter().map(|x| &x[..]).collect();
    for linkage in [Linkage::Average, Linkage::Complete] {
        assert_eq!(group(&refs, &[1, 1, 1], 0.94, linkage).len(), 2, "{linkage:?}");
    }
    // At 0.85 the average (0.903) is enough, the lowest pair (0.805) is not.
    assert_eq!(group(&refs, &[1, 1, 1], 0.85, Linkage::Average).len(), 1);
    assert_eq!(group(&refs, &[1, 1, 1], 0.85, Linkage::Complete).len(), 2);
}

#[test]
fn pages_with_one_question_pair_up() {
    let pages = vec![
        vec![unit(&[1.0, 0.0, 0.0]), unit(&[0.0, 1.0, 0.0])],
        vec![unit(&[0.0, 0.0, 1.0])],
        vec![unit(&[0.0, 0.0, 1.0]), unit(&[0.0, 1.0, 0.02])],
    ];
    let pairs = same_questions(&pages, 0.99);
    assert_eq!(pairs.len(), 2);
    assert_eq!((pairs[0].first, pairs[0].second, pairs[0].texts), (0, 2, (1, 1)));
    assert_eq!((pairs[1].first, pairs[1].second, pairs[1].texts), (1, 2, (0, 0)));
    assert_eq!(nearest_pages(&pages)[1], Some((2, 1.0)));
    assert_eq!(nearest_pages(&[vec![], vec![unit(&[1.0])]]), vec![None, None]);
}

#[test]
fn the_model_groups_questions_about_one_thing() {
    let Some(meaning) = model() else { return };
    let queries = [
        ("駐車場はありますか", 5),
        ("領収書を発行してほしい", 4),
        ("駐車できる場所", 3),
        ("お店に駐車場ありますか", 2),
        ("営業時間を教えて", 1),
        ("駐車場ある？", 1),
        // Without the word: 0.865 from 駐車場はありますか, below SAME_QUERY (docs/relevance.md).
        ("車で行けますか", 1),
    ];
    let groups = group_queries(&meaning, &queries, None);
    let parking: Vec<&str> = groups[0].members.iter().map(|&i| queries[i].0).collect();
    assert_eq!(parking, ["駐車場はありますか", "駐車できる場所", "お店に駐車場ありますか", "駐車場ある？"], "{groups:?}");
    assert_eq!(groups[0].searches, 11);
    for g in &groups[1..] {
        assert_eq!(g.members.len(), 1, "{groups:?}");
    }
}

#[test]
fn the_model_tells_a_rewritten_page_from_its_neighbours() {
    let Some(meaning) = model() else { return };
    let embed = |texts: &[&str]| meaning.passages(texts);
    // Titles that only reword another page's question, and the sample's closest pair of
    // different questions (0.980).
    let pages = vec![
        embed(&["送料はいくらですか？", "配送料金"]),
        embed(&["送料はいくらかかりますか？"]),
        embed(&["注文をキャンセルしたいです", "注文を取り消したい"]),
        embed(&["注文をキャンセルしたい"]),
        embed(&["退会したいのですが、どうすればよいですか？", "会員をやめたい"]),
        embed(&["はなまるプレミアムを解約したいです", "プレミアム会員をやめたい"]),
    ];
    let pairs = same_questions(&pages, SAME_QUESTION);
    assert_eq!(pairs.iter().map(|p| (p.first, p.second)).collect::<Vec<_>>(), [(0, 1), (2, 3)], "{pairs:?}");
}
