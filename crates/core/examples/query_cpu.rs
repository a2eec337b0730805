//! CPU time per query, measured on the thread itself (`/proc/thread-self/schedstat`), so the
//! numbers hold on a machine busy with other work, where criterion's wall-clock times do not.
//!
//! ```sh
//! cargo run --release -- index
//! cargo run --release -p kotae-core --example query_cpu -- index 50
//! ```
//!
//! Prints, for the held-out relevance queries, the mean CPU time of one search: uncached with
//! snippets (a question asked for the first time, as the help page asks it), uncached without
//! snippets, a suggest-like prefix, and cached. The kernel updates a thread's CPU time at
//! scheduler ticks, so each round times the whole query set and divides; the median round is
//! printed, with the fastest and slowest.

use std::path::PathBuf;

use kotae_core::{Analyzer, IndexRoot, SearchRequest, Snapshot};

/// CPU time this thread has used, in nanoseconds.
fn thread_cpu_ns() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").expect("Linux /proc/thread-self/schedstat");
    stat.split_whitespace().next().and_then(|n| n.parse().ok()).expect("schedstat's first field")
}

fn measure(name: &str, queries: &[String], rounds: usize, mut run: impl FnMut(&str)) {
    let mut means: Vec<f64> = (0..rounds)
        .map(|_| {
            let start = thread_cpu_ns();
            for q in queries {
                run(q);
            }
            (thread_cpu_ns() - start) as f64 / queries.len() as f64 / 1000.0
        })
        .collect();
    means.sort_by(f64::total_cmp);
    println!(
        "{name:<34} {:>9.1} µs per search (rounds: {:.1} to {:.1}; {} rounds of {})",
        means[means.len() / 2],
        means[0],
        means[means.len() - 1],
        rounds,
        queries.len()
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let index = PathBuf::from(args.next().unwrap_or_else(|| "index".into()));
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(20);
    let analyzer = Analyzer::from_env().expect("IPADIC (apt-get install -y mecab-ipadic)");
    let snapshot = Snapshot::open(&IndexRoot::new(&index), &analyzer).expect("open the index (run `kotae index` first)");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let heldout = std::fs::read_to_string(root.join("tests/relevance/heldout.jsonl")).expect("heldout.jsonl");
    let queries: Vec<String> = heldout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json")["text"].as_str().expect("text").to_string())
        .collect();

    let uncached = snapshot.search.clone().with_cache_capacity(0);
    // Warm the page cache and the analyzer's buffers.
    for q in &queries {
        uncached.search(&SearchRequest::new(q)).expect("search");
    }
    // Rounds long enough (hundreds of scheduler ticks) for the tick to be a small error.
    let queries: Vec<String> = queries.iter().flat_map(|q| std::iter::repeat_n(q.clone(), 10)).collect();
    measure("uncached, with snippets", &queries, rounds, |q| {
        uncached.search(&SearchRequest::new(q)).expect("search");
    });
    measure("uncached, without snippets", &queries, rounds, |q| {
        uncached.search(&SearchRequest { snippets: false, ..SearchRequest::new(q) }).expect("search");
    });
    measure("suggest (8 hits, with snippets)", &queries, rounds, |q| {
        let prefix: String = q.chars().take(3).collect();
        uncached.search(&SearchRequest { limit: 8, ..SearchRequest::new(&prefix) }).expect("search");
    });
    let cached = snapshot.search.clone().with_cache_capacity(4096);
    for q in &queries {
        cached.search(&SearchRequest::new(q)).expect("search");
    }
    // A cached search is too quick for one round to last a scheduler tick: each round asks
    // every question 200 times.
    let repeated: Vec<String> = queries.iter().flat_map(|q| std::iter::repeat_n(q.clone(), 20)).collect();
    measure("cached (the same question again)", &repeated, rounds, |q| {
        cached.search(&SearchRequest::new(q)).expect("search");
    });
}
