//! Query latency on the sample corpus index (built in the setup with the real indexer), for
//! realistic questions, suggest-like prefixes and the held-out relevance queries; and on a
//! large generated corpus when `KOTAE_BENCH_CORPUS` names one (a content folder, indexed into a
//! temporary folder first, or an index folder with a `CURRENT` file, used as it is).
//!
//! ```sh
//! cargo bench -p kotae-core --bench search -- --warm-up-time 1 --measurement-time 5
//! cargo run --release -p kotae-core --example gen_corpus -- --articles 100000 --out /tmp/kotae-100k
//! KOTAE_BENCH_CORPUS=/tmp/kotae-100k cargo bench -p kotae-core --bench search -- large
//! ```

use std::path::{Path, PathBuf};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use kotae_core::{Analyzer, IndexRoot, SearchRequest, Snapshot};

/// Questions as customers type them: kanji, kana-only, romaji, half-width, colloquial, long.
pub const QUERIES: &[&str] = &[
    "パスワードを忘れた",
    "へんぴんしたい",
    "henpin",
    "ﾛｸﾞｲﾝ 出来ない",
    "注文をキャンセルしたい",
    "送料はいくら",
    "領収書 発行",
    "クレカ 変更",
    "ポイントの有効期限",
    "届いた商品が壊れていた",
    "メアド変えたい",
    "アプリの通知がこない",
    "退会したいんですがどうすればいいですか",
    "昨日注文したんですけど、お届け先を実家に変えることってできますか？急ぎです",
    "配達日時 指定",
    "会員ランク 特典",
];

/// What the search box sends while a customer types (`/api/suggest`: 8 hits).
pub const PREFIXES: &[&str] = &["へん", "返品", "ぱす", "ログ", "送料", "キャン", "pas", "ポイ", "領収", "アプ"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn heldout() -> Vec<String> {
    let text = std::fs::read_to_string(root().join("tests/relevance/heldout.jsonl")).expect("heldout.jsonl");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json line");
            v["text"].as_str().expect("text").to_string()
        })
        .collect()
}

/// Build an index of `content` into `dir` with the real indexer.
fn build(content: &Path, dir: &Path, analyzer: &Analyzer) -> Snapshot {
    let options = kotae_indexer::BuildOptions {
        content: content.to_path_buf(),
        index: dir.to_path_buf(),
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 22).expect("date"),
        progress: false,
    };
    let started = std::time::Instant::now();
    let report = kotae_indexer::build(&options, analyzer).unwrap_or_else(|e| panic!("indexing {}: {e}", content.display()));
    eprintln!("search bench: indexed {} pages ({} documents) of {} in {:.1?}", report.pages, report.documents, content.display(), started.elapsed());
    Snapshot::open(&IndexRoot::new(dir), analyzer).expect("open the index")
}

/// Every request searched for real: the result cache is off, as for a question asked for the
/// first time.
fn queries(c: &mut Criterion, group: &str, snapshot: &Snapshot, held: &[String]) {
    let uncached = snapshot.public.clone().with_cache_capacity(0);
    let search = &uncached;
    let mut g = c.benchmark_group(group);
    for q in QUERIES {
        g.bench_with_input(BenchmarkId::new("query", q), q, |b, q| {
            b.iter(|| search.search(&SearchRequest::new(q)).expect("search").hits.len())
        });
    }
    g.throughput(Throughput::Elements(QUERIES.len() as u64));
    g.bench_function("all_queries", |b| {
        b.iter(|| QUERIES.iter().map(|q| search.search(&SearchRequest::new(q)).expect("search").hits.len()).sum::<usize>())
    });
    g.throughput(Throughput::Elements(held.len() as u64));
    g.bench_function("heldout_all", |b| {
        b.iter(|| held.iter().map(|q| search.search(&SearchRequest::new(q)).expect("search").hits.len()).sum::<usize>())
    });
    g.throughput(Throughput::Elements(PREFIXES.len() as u64));
    g.bench_function("suggest_prefixes", |b| {
        b.iter(|| {
            PREFIXES
                .iter()
                .map(|q| {
                    let mut r = SearchRequest::new(q);
                    r.limit = 8;
                    search.search(&r).expect("search").hits.len()
                })
                .sum::<usize>()
        })
    });
    g.finish();
}

/// Questions asked again (the result cache of a served index, as in a traffic spike).
fn cached(c: &mut Criterion, group: &str, snapshot: &Snapshot) {
    let search = &snapshot.public;
    let mut g = c.benchmark_group(group);
    g.bench_function("repeated_query", |b| {
        let mut i = 0;
        b.iter(|| {
            i += 1;
            search.search(&SearchRequest::new(QUERIES[i % QUERIES.len()])).expect("search").hits.len()
        })
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    let analyzer = Analyzer::from_env().expect("IPADIC (apt-get install -y mecab-ipadic)");
    let held = heldout();
    let dir = tempfile::tempdir().expect("tempdir");
    let sample = build(&root().join("content"), dir.path(), &analyzer);
    queries(c, "sample", &sample, &held);
    cached(c, "sample_cached", &sample);

    if let Some(large) = std::env::var_os("KOTAE_BENCH_CORPUS").filter(|v| !v.is_empty()).map(PathBuf::from) {
        let large_dir = tempfile::tempdir().expect("tempdir");
        let snapshot = if large.join("CURRENT").is_file() {
            Snapshot::open(&IndexRoot::new(&large), &analyzer).expect("open KOTAE_BENCH_CORPUS")
        } else {
            build(&large, large_dir.path(), &analyzer)
        };
        eprintln!("search bench: large corpus has {} index documents", snapshot.num_docs());
        queries(c, "large", &snapshot, &held);
        cached(c, "large_cached", &snapshot);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
