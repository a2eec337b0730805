//! Query analysis with the real dictionary: normalization, lindera, the tokenizers and
//! snippets must never panic, and every offset must be a character boundary of the input.
#![no_main]

use std::sync::LazyLock;

use kotae_core::Analyzer;
use kotae_core::analysis::{normalize, normalize_str, romaji, tokenizer};
use kotae_core::search::Marker;
use libfuzzer_sys::fuzz_target;

static ANALYZER: LazyLock<Analyzer> =
    LazyLock::new(|| Analyzer::from_env().expect("IPADIC is installed (apt-get install -y mecab-ipadic)"));

fn check(text: &str, from: usize, to: usize) {
    assert!(from <= to && to <= text.len(), "{from}..{to} out of {text:?}");
    assert!(text.is_char_boundary(from) && text.is_char_boundary(to), "{from}..{to} inside a character of {text:?}");
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let n = normalize(text);
    assert_eq!(normalize_str(&n.text), n.text, "normalization is not idempotent on {text:?}");
    let (s, e) = n.original_range(0, n.text.len());
    check(text, s, e);

    let morphemes = ANALYZER.analyze(text);
    for m in &morphemes {
        check(text, m.start, m.end);
    }
    for t in tokenizer::term_tokens(&morphemes)
        .into_iter()
        .chain(tokenizer::reading_tokens(&morphemes))
        .chain(tokenizer::ngram_tokens(text))
        .chain(tokenizer::kana_bigrams(text))
    {
        check(text, t.offset_from, t.offset_to);
    }
    for word in text.split_whitespace() {
        let _ = romaji::to_hiragana(word);
    }
    // The query highlights itself: the snippet must stay consistent.
    let snippet = Marker::new(&morphemes).snippet(text, 40);
    for h in &snippet.highlights {
        check(&snippet.text, h.start, h.end);
    }
    let _ = snippet.to_html();
});
