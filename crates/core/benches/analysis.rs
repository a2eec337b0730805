//! Analyzer throughput over the sample corpus (`content/`): normalization, morphological
//! analysis, and the three tokenizers an indexed body goes through.
//!
//! ```sh
//! cargo bench -p kotae-core --bench analysis -- --warm-up-time 1 --measurement-time 5
//! ```

use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kotae_core::Analyzer;
use kotae_core::analysis::{normalize, tokenizer};
use kotae_core::content::{self, markdown};

fn sample_texts() -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../content");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
    let loaded = content::load(&root, today);
    assert!(!loaded.corpus.pages.is_empty(), "no pages in {}", root.display());
    loaded
        .corpus
        .pages
        .iter()
        .map(|p| format!("{}\n{}\n{}", p.title, p.aliases.join("\n"), p.plain_text()))
        .collect()
}

fn bench(c: &mut Criterion) {
    let analyzer = Analyzer::from_env().expect("IPADIC (apt-get install -y mecab-ipadic)");
    let texts = sample_texts();
    let bytes: u64 = texts.iter().map(|t| t.len() as u64).sum();
    eprintln!("analysis bench: {} pages, {:.1} KB of plain text", texts.len(), bytes as f64 / 1e3);

    let mut g = c.benchmark_group("analysis");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("normalize", |b| {
        b.iter(|| texts.iter().map(|t| normalize(t).text.len()).sum::<usize>())
    });
    g.bench_function("analyze", |b| {
        b.iter(|| texts.iter().map(|t| analyzer.analyze(t).len()).sum::<usize>())
    });
    // What indexing a body costs: terms and readings share one analysis each in the index
    // writer (each tokenizer analyzes on its own), plus character bigrams.
    g.bench_function("index_tokenizers", |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| {
                    tokenizer::term_tokens(&analyzer.analyze(t)).len()
                        + tokenizer::reading_tokens(&analyzer.analyze(t)).len()
                        + tokenizer::ngram_tokens(t).len()
                })
                .sum::<usize>()
        })
    });
    g.finish();

    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../content");
    let bodies: Vec<String> = walk_md(&root);
    let md_bytes: u64 = bodies.iter().map(|t| t.len() as u64).sum();
    let mut g = c.benchmark_group("markdown");
    g.throughput(Throughput::Bytes(md_bytes));
    g.bench_function("sections", |b| {
        b.iter(|| bodies.iter().map(|t| markdown::analyze(t, 1).sections.len()).sum::<usize>())
    });
    g.bench_function("render_html", |b| b.iter(|| bodies.iter().map(|t| markdown::render_html(t).len()).sum::<usize>()));
    g.finish();
}

fn walk_md(root: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "md")
                && let Ok(text) = std::fs::read_to_string(&p)
                && let Ok(split) = content::frontmatter::split(&text)
            {
                out.push(split.body.to_string());
            }
        }
    }
    out.sort();
    out
}

criterion_group!(benches, bench);
criterion_main!(benches);
