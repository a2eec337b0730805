//! Properties of normalization, analysis and snippets, over arbitrary Unicode and over text
//! biased towards what Japanese customers type (kana of both widths, full-width Latin,
//! combining marks, dashes, squared forms).
//!
//! `PROPTEST_CASES=5000 cargo test -p kotae-core --test properties` runs more cases.

use std::sync::OnceLock;

use kotae_core::Analyzer;
use kotae_core::analysis::{is_normalized, normalize, normalize_str, romaji, tokenizer};
use kotae_core::content::{frontmatter, markdown};
use kotae_core::search::Marker;
use proptest::prelude::*;

/// `cases` cases, unless `PROPTEST_CASES` asks for another number.
fn config(cases: u32) -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    config
}

fn analyzer() -> &'static Analyzer {
    static ANALYZER: OnceLock<Analyzer> = OnceLock::new();
    ANALYZER.get_or_init(|| Analyzer::from_env().expect("IPADIC is installed (apt-get install -y mecab-ipadic)"))
}

/// Characters from the ranges that make Japanese text hard: every kind of kana, half-width
/// forms and their voicing marks, full-width ASCII, CJK, combining marks, dashes, squared
/// and circled forms, emoji, and plain ASCII.
fn japanese_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => prop::char::range('\u{3041}', '\u{309F}'),  // hiragana, voicing marks
        3 => prop::char::range('\u{30A0}', '\u{30FF}'),  // katakana
        3 => prop::char::range('\u{FF61}', '\u{FF9F}'),  // half-width katakana
        2 => prop::char::range('\u{FF01}', '\u{FF5E}'),  // full-width ASCII
        3 => prop::char::range('\u{4E00}', '\u{4FFF}'),  // CJK
        2 => prop::char::range('\u{0300}', '\u{036F}'),  // combining marks
        1 => prop::char::range('\u{3099}', '\u{309C}'),  // (spacing) voicing marks
        1 => prop::char::range('\u{3300}', '\u{33FF}'),  // squared forms (㍻, ㌔)
        1 => prop::char::range('\u{2460}', '\u{24FF}'),  // circled numbers
        1 => prop::char::range('\u{2010}', '\u{2015}'),  // dashes
        1 => Just('\u{2212}'),
        1 => Just('\u{301C}'),
        1 => Just('\u{FF5E}'),
        1 => prop::char::range('\u{1F300}', '\u{1F6FF}'), // emoji
        1 => prop::char::range('\u{00C0}', '\u{024F}'),  // Latin with diacritics
        1 => Just('\u{0130}'),                           // İ lowercases to two characters
        1 => Just('\u{FB03}'),                           // ﬃ: NFKC expands
        1 => Just('\u{FDFA}'),                           // the longest NFKC expansion
        4 => prop::char::range(' ', '~'),
        1 => prop::sample::select(vec!['\n', '\t', '\r', '\u{3000}', '\u{FEFF}', '\u{200B}', '\u{0000}']),
    ]
}

fn japanese_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(japanese_char(), 0..max).prop_map(|v| v.into_iter().collect())
}

fn any_text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..max).prop_map(|v| v.into_iter().collect())
}

fn text(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![3 => japanese_text(max), 1 => any_text(max)]
}

fn assert_range(original: &str, start: usize, end: usize) -> Result<(), TestCaseError> {
    prop_assert!(start <= end, "{start}..{end} is reversed in {original:?}");
    prop_assert!(end <= original.len(), "{start}..{end} is past the end of {original:?}");
    prop_assert!(original.is_char_boundary(start), "{start} is inside a character of {original:?}");
    prop_assert!(original.is_char_boundary(end), "{end} is inside a character of {original:?}");
    Ok(())
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn normalization_is_idempotent(s in text(48)) {
        let once = normalize_str(&s);
        prop_assert_eq!(normalize_str(&once), once.clone(), "input {:?}", s);
    }

    #[test]
    fn text_said_to_be_normalized_is_left_unchanged(s in text(48)) {
        if is_normalized(&s) {
            prop_assert_eq!(normalize_str(&s), s.clone());
        }
        // Normalized Japanese text mostly passes the scan: the shortcut is taken in practice.
        let once = normalize_str(&s);
        if once.chars().all(|c| matches!(c, 'ぁ'..='ゖ' | 'ァ'..='ヺ' | '一'..='鿿' | 'a'..='z' | '0'..='9' | '、' | '。')) {
            prop_assert!(is_normalized(&once), "{:?}", once);
        }
    }

    #[test]
    fn every_mapped_range_lies_on_char_boundaries(s in text(48), a in 0usize..200, b in 0usize..200) {
        let n = normalize(&s);
        let bounds: Vec<usize> = n.text.char_indices().map(|(i, _)| i).chain([n.text.len()]).collect();
        for (i, &from) in bounds.iter().enumerate() {
            for &to in &bounds[i..] {
                let (start, end) = n.original_range(from, to);
                assert_range(&s, start, end)?;
            }
        }
        // Offsets that are not boundaries, or past the end, must not panic either.
        let (start, end) = n.original_range(a, b);
        assert_range(&s, start, end)?;
    }

    #[test]
    fn ranges_of_whole_characters_cover_their_source(s in japanese_text(32)) {
        let n = normalize(&s);
        // The whole normalized text maps back to the whole original, minus what normalizes
        // to nothing at the edges.
        let (start, end) = n.original_range(0, n.text.len());
        assert_range(&s, start, end)?;
        if !n.text.is_empty() {
            prop_assert!(end > start, "non-empty output maps to an empty range in {s:?}");
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn analysis_offsets_are_char_boundaries(s in text(64)) {
        for m in analyzer().analyze(&s) {
            assert_range(&s, m.start, m.end)?;
            prop_assert!(!m.surface.trim().is_empty());
        }
    }

    #[test]
    fn tokenizer_offsets_are_char_boundaries(s in text(64)) {
        let morphemes = analyzer().analyze(&s);
        let tokens = tokenizer::term_tokens(&morphemes)
            .into_iter()
            .chain(tokenizer::reading_tokens(&morphemes))
            .chain(tokenizer::ngram_tokens(&s))
            .chain(tokenizer::kana_bigrams(&s));
        for t in tokens {
            assert_range(&s, t.offset_from, t.offset_to)?;
            prop_assert!(!t.text.is_empty());
        }
    }

    #[test]
    fn romaji_never_panics(s in "[a-zA-Z'\\- ]{0,24}") {
        if let Some(kana) = romaji::to_hiragana(&s) {
            prop_assert!(!kana.is_empty());
        }
    }

    #[test]
    fn snippet_highlights_lie_in_the_snippet(body in text(300), query in text(16), max in 5usize..120) {
        let marker = Marker::new(&analyzer().analyze(&query));
        let snippet = marker.snippet(&body, max);
        let mut at = 0;
        for h in &snippet.highlights {
            assert_range(&snippet.text, h.start, h.end)?;
            prop_assert!(h.start >= at, "highlights overlap or are unsorted: {:?}", snippet.highlights);
            at = h.end;
        }
        let _ = snippet.to_html();
    }

    #[test]
    fn snippets_of_matching_text_highlight_something(
        words in prop::collection::vec(prop::sample::select(vec!["返品", "パスワード", "ｷｬﾝｾﾙ", "送料", "ログイン", "注文"]), 1..4),
        filler in japanese_text(200),
    ) {
        let body = format!("{filler}。{}をお願いします。{filler}", words.join("と"));
        let marker = Marker::new(&analyzer().analyze(words[0]));
        let snippet = marker.snippet(&body, 60);
        prop_assert!(!snippet.highlights.is_empty(), "nothing marked for {} in {:?}", words[0], snippet.text);
        for h in &snippet.highlights {
            assert_range(&snippet.text, h.start, h.end)?;
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn front_matter_and_markdown_never_panic(s in text(200)) {
        check_page(&s)?;
    }

    #[test]
    fn page_like_text_never_panics(
        yaml in text(60),
        body in prop::collection::vec(prop_oneof![
            Just("## ".to_string()), Just("### ".to_string()), Just("\n".to_string()), Just("{#".to_string()),
            Just("}".to_string()), Just("[x](/articles/".to_string()), Just("| a | b |\n|---|---|\n".to_string()),
            Just("<script>".to_string()), Just("- [ ] ".to_string()), Just("```\n".to_string()), japanese_text(12),
        ], 0..40),
    ) {
        let page = format!("---\ntitle: {yaml}\n---\n{}", body.concat());
        check_page(&page)?;
    }
}

fn check_page(s: &str) -> Result<(), TestCaseError> {
    if let Ok(split) = frontmatter::split(s) {
        let _ = frontmatter::parse(split.yaml, split.yaml_line);
        let _ = frontmatter::key_line(split.yaml, split.yaml_line, "title");
        let _ = frontmatter::value_line(split.yaml, split.yaml_line, "related", "x");
        let parsed = markdown::analyze(split.body, split.body_line);
        for section in &parsed.sections {
            prop_assert!(section.line >= split.body_line);
        }
        let _ = markdown::render_html(split.body);
    }
    let parsed = markdown::analyze(s, 1);
    let lines = s.split('\n').count();
    for link in &parsed.links {
        prop_assert!(link.line >= 1 && link.line <= lines, "link line {} of {lines}", link.line);
    }
    let html = markdown::render_html(s);
    prop_assert!(!html.contains("<script"), "{html}");
    Ok(())
}

/// Inputs that once broke something or are known to be hard, checked on every test run (the
/// fuzzers' seeds: see `crates/core/fuzz`).
#[test]
fn tricky_inputs() {
    let inputs = [
        "", " ", "\u{3000}", "\u{FEFF}", "\u{FEFF}---\n---\n", "---", "---\n", "---\n...\n", "---\r\n---\r\nbody",
        "ｶﾞｷﾞｸﾞｹﾞｺﾞﾟﾟﾟ", "゛゜", "か゛", "\u{3099}", "\u{0301}あ", "ア\u{0301}\u{0302}\u{0303}",
        "İİİ", "ﬃ", "\u{FDFA}", "㍻㌔㍍", "ー-−‐", "ｰｰｰ", "サーバ−−", "Ⅻ", "①②", "\0\0",
        "## \n### \n## ", "## {#}\n", "# {#a}\n## {#a}\n## a", "[a](/articles/#)", "<div>\n<script>x</script>",
        "| a |\n|---|\n| ｶﾞ |", "- [x] ", "```\n## not a heading\n```", "\n\n\n\n", "\r\r\r",
        "パスワードを忘れてしまいました", "へんぴんしたい", "henpin", "ﾛｸﾞｲﾝ 出来ない",
    ];
    let long = "あ".repeat(10_000);
    for s in inputs.iter().copied().chain([long.as_str()]) {
        let n = normalize(s);
        assert_eq!(normalize_str(&n.text), n.text, "{s:?}");
        for m in analyzer().analyze(s) {
            assert!(s.is_char_boundary(m.start) && s.is_char_boundary(m.end) && m.start <= m.end, "{s:?}");
        }
        for t in tokenizer::ngram_tokens(s).into_iter().chain(tokenizer::kana_bigrams(s)) {
            assert!(s.is_char_boundary(t.offset_from) && s.is_char_boundary(t.offset_to), "{s:?}");
        }
        let marker = Marker::new(&analyzer().analyze(s));
        let snippet = marker.snippet(s, 10);
        for h in &snippet.highlights {
            assert!(snippet.text.is_char_boundary(h.start) && snippet.text.is_char_boundary(h.end), "{s:?}");
        }
        if let Ok(split) = frontmatter::split(s) {
            let _ = frontmatter::parse(split.yaml, split.yaml_line);
            let _ = markdown::analyze(split.body, split.body_line);
        }
        let _ = markdown::render_html(s);
    }
}

#[test]
fn dotted_capital_i_before_a_half_width_voicing_mark() {
    // Found by proptest: lower-casing İ after NFKC yields i + U+0307, which then sits before
    // the voicing mark out of canonical order.
    for s in ["İ\u{ff9e}", "İ\u{3099}", "İ\u{ff9f}\u{0301}"] {
        let once = normalize_str(s);
        assert_eq!(normalize_str(&once), once, "{s:?}");
        let n = normalize(s);
        let (a, b) = n.original_range(0, n.text.len());
        assert!(s.is_char_boundary(a) && s.is_char_boundary(b));
    }
}

#[test]
fn a_long_page_shows_the_passage_where_width_variants_match() {
    // The only matches are half-width, far into the page: found in the normalized page, they
    // choose the passage and are marked on the page's own characters.
    let filler = "お届けまでの日数は地域によって異なります。".repeat(8);
    let body = format!("{filler}ご注文のｷｬﾝｾﾙは発送前まで受け付けます。ｷｬﾝｾﾙ料はかかりません。{filler}");
    let marker = Marker::new(&analyzer().analyze("キャンセル"));
    let snippet = marker.snippet(&body, 40);
    let marked: Vec<&str> = snippet.highlights.iter().map(|h| &snippet.text[h.clone()]).collect();
    assert_eq!(marked, ["ｷｬﾝｾﾙ", "ｷｬﾝｾﾙ"], "{:?}", snippet.text);
    assert!(snippet.text.starts_with('…') && snippet.text.ends_with('…'), "{:?}", snippet.text);
    // A match across the passage's edge is cut at the edge, never past it.
    let snippet = marker.snippet(&body, 3);
    for h in &snippet.highlights {
        assert!(h.end <= snippet.text.len() && snippet.text.is_char_boundary(h.start) && snippet.text.is_char_boundary(h.end));
    }
}
