//! CPU time per query, measured on the searching thread itself (`CLOCK_THREAD_CPUTIME_ID`), so
//! the numbers hold on a machine busy with other work, where criterion's wall-clock times do not.
//!
//! ```sh
//! cargo run --release -- index
//! cargo run --release -p kotae-core --example query_cpu -- index 20
//! ```
//!
//! For the held-out relevance queries, every search is timed on its own, and the median, 90th
//! and 99th percentile and mean are printed for: uncached with snippets (a question asked for
//! the first time, as the help page asks it), uncached without snippets, a suggest-like prefix
//! (8 hits), and cached. The second argument is how many times the query set is run; a third,
//! optional, is another query file in the same JSON-lines shape (`{"text": …}`), for example
//! `../shared/eval/wiki-qa/queries.jsonl` against an index of that corpus.
//!
//! With `--profile` (anywhere among the arguments), it prints instead where an uncached search
//! with snippets spends its time, stage by stage (see `kotae_core::search::profile`): the mean
//! and median wall time of each stage over every search, and its share of the total, plus the
//! results' serialization to JSON.
//!
//! ```sh
//! cargo run --release -p kotae-core --example query_cpu -- /tmp/wiki-idx 3 \
//!     ../shared/eval/wiki-qa/queries.jsonl --profile
//! ```
//!
//! With `--dump`, it prints instead every search's results, one line per question: the total,
//! whether it is exact, and each hit's id and score (bit pattern), for comparing two builds.
//! `--snippets` dumps the same with each hit's snippet (text and highlights) on a line of its own.
//!
//! With `--instructions`, it reads no clock (valgrind cannot run rustix's vDSO clock): after a
//! warm-up round, `counted` runs the uncached searches with snippets, for callgrind to count:
//!
//! ```sh
//! valgrind --tool=callgrind --collect-atstart=no --toggle-collect='query_cpu::counted*' \
//!     target/release/examples/query_cpu /tmp/wiki-idx 1 queries.jsonl --instructions
//! ```
//!
//! With `--scan`, it times the scan by meaning alone (an index built with the model): each
//! question's best page's title vector as the query, its five nearest pages
//! (`SearchIndex::similar`), then all a search ranking by meaning asks of the vectors (the
//! questions' and the answer leads' scans, the closest documents it takes from them, and both
//! similarities of the documents the fusion lifts). With `--threads=N`, N threads search at
//! once, sharing the index and its caches as the service's workers do, and each prints its
//! own figures.
//!
//! With `--unseen`, the first half of the questions warms the caches and the second half is
//! searched once each, timed (uncached, with snippets) or counted: what the index keeps from
//! one question to the next (terms and their postings, pages analyzed for the verdict) is then
//! only what earlier, different questions left, as on a help page, where a question is seldom
//! asked twice. Without it, every round after the warm-up asks questions already asked. With
//! `--profile` too, the second half is profiled stage by stage, each question once.

use std::path::PathBuf;

use kotae_core::search::profile;
use kotae_core::{Analyzer, IndexRoot, SearchIndex, SearchRequest, Snapshot};

/// The allocator of the `kotae` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// CPU time this thread has used, in nanoseconds.
fn thread_cpu_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

fn measure(name: &str, queries: &[String], rounds: usize, mut run: impl FnMut(&str)) {
    let mut times: Vec<f64> = Vec::with_capacity(queries.len() * rounds);
    for _ in 0..rounds {
        for q in queries {
            let start = thread_cpu_ns();
            run(q);
            times.push((thread_cpu_ns() - start) as f64 / 1000.0);
        }
    }
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    println!(
        "{name:<34} median {:>8.1} µs  p90 {:>8.1}  p99 {:>8.1}  mean {:>8.1}  ({} searches)",
        at(0.5),
        at(0.9),
        at(0.99),
        mean,
        times.len()
    );
}

/// Time every stage of an uncached search with snippets, `rounds` times over `queries`.
fn stages(index: &SearchIndex, queries: &[String], rounds: usize) {
    const N: usize = profile::STAGES + 1;
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); N + 1];
    let mut cpu: Vec<f64> = Vec::new();
    profile::enable();
    for _ in 0..rounds {
        for q in queries {
            profile::take();
            let start = thread_cpu_ns();
            let results = index.search(&SearchRequest::new(q)).expect("search");
            let searched = thread_cpu_ns();
            let json = serde_json::to_vec(&results).expect("json");
            std::hint::black_box(json);
            let serialized = thread_cpu_ns();
            let stages = profile::take();
            let mut total = 0.0;
            for (i, ns) in stages.iter().enumerate() {
                times[i].push(*ns as f64 / 1000.0);
                total += *ns as f64 / 1000.0;
            }
            let json = (serialized - searched) as f64 / 1000.0;
            times[N - 1].push(json);
            times[N].push(total + json);
            cpu.push((serialized - start) as f64 / 1000.0);
        }
    }
    let names: Vec<&str> = profile::NAMES.iter().copied().chain(["serialization (JSON)", "all stages"]).collect();
    let sum_all: f64 = times[N].iter().sum();
    println!("{:<24} {:>10} {:>10} {:>7}", "stage (wall µs)", "mean", "median", "share");
    for (name, t) in names.iter().zip(&mut times) {
        t.sort_by(f64::total_cmp);
        let mean = t.iter().sum::<f64>() / t.len() as f64;
        println!("{name:<24} {mean:>10.1} {:>10.1} {:>6.1}%", t[t.len() / 2], 100.0 * t.iter().sum::<f64>() / sum_all);
    }
    cpu.sort_by(f64::total_cmp);
    println!(
        "CPU per search and serialization: median {:.1} µs, mean {:.1} µs ({} searches)",
        cpu[cpu.len() / 2],
        cpu.iter().sum::<f64>() / cpu.len() as f64,
        cpu.len()
    );
}

/// The uncached searches with snippets, `rounds` times over `queries`, with no clock read: what
/// `--instructions` has callgrind count.
#[inline(never)]
fn counted(index: &SearchIndex, queries: &[String], rounds: usize) -> usize {
    let mut hits = 0;
    for _ in 0..rounds {
        for q in queries {
            hits += index.search(&SearchRequest::new(q)).expect("search").hits.len();
        }
    }
    hits
}

fn main() {
    let profiling = std::env::args().any(|a| a == "--profile");
    let instructions = std::env::args().any(|a| a == "--instructions");
    let unseen = std::env::args().any(|a| a == "--unseen");
    let scan = std::env::args().any(|a| a == "--scan");
    // `--threads=N`: N threads search at once, sharing the index and its caches (as the
    // service's workers do); each prints its own figures.
    let threads: usize = std::env::args().find_map(|a| a.strip_prefix("--threads=").and_then(|n| n.parse().ok())).unwrap_or(1).max(1);
    let snippets = std::env::args().any(|a| a == "--snippets");
    let dump = snippets || std::env::args().any(|a| a == "--dump");
    let mut args = std::env::args().skip(1).filter(|a| !matches!(a.as_str(), "--profile" | "--instructions" | "--dump" | "--snippets" | "--unseen" | "--scan") && !a.starts_with("--threads="));
    let index = PathBuf::from(args.next().unwrap_or_else(|| "index".into()));
    let rounds: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(20).max(1);
    let analyzer = Analyzer::from_env().expect("IPADIC (apt-get install -y mecab-ipadic)");
    let snapshot = Snapshot::open(&IndexRoot::new(&index), &analyzer).expect("open the index (run `kotae index` first)");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let file = args.next().map(PathBuf::from).unwrap_or_else(|| root.join("tests/relevance/heldout.jsonl"));
    let heldout = std::fs::read_to_string(&file).expect("the query file");
    let queries: Vec<String> = heldout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json")["text"].as_str().expect("text").to_string())
        .collect();

    let uncached = snapshot.public.clone().with_cache_capacity(0);
    if unseen {
        let (warm, unseen) = queries.split_at(queries.len() / 2);
        for q in warm {
            uncached.search(&SearchRequest::new(q)).expect("search");
        }
        if profiling {
            stages(&uncached, unseen, 1);
        } else if instructions {
            let hits = counted(&uncached, unseen, 1);
            println!("{} searches, {hits} hits", unseen.len());
        } else {
            measure("uncached, with snippets, unseen", unseen, 1, |q| {
                uncached.search(&SearchRequest::new(q)).expect("search");
            });
        }
        return;
    }
    if dump {
        for q in &queries {
            for request in [SearchRequest::new(q), SearchRequest { limit: 50, ..SearchRequest::new(q) }] {
                let results = uncached.search(&request).expect("search");
                let hits: Vec<String> = results.hits.iter().map(|h| format!("{}:{:08x}", h.id, h.score.to_bits())).collect();
                println!("{}\t{}\t{}\t{}", results.total, results.total_exact, hits.join(" "), results.verdict.confidence);
                if snippets {
                    for h in &results.hits {
                        println!("\t{}\t{:?}\t{:?}", h.id, h.snippet.text, h.snippet.highlights);
                    }
                }
            }
        }
        return;
    }
    if instructions {
        for q in &queries {
            uncached.search(&SearchRequest::new(q)).expect("search");
        }
        let hits = counted(&uncached, &queries, rounds);
        println!("{} searches, {hits} hits", queries.len() * rounds);
        return;
    }
    if profiling {
        for q in &queries {
            uncached.search(&SearchRequest::new(q)).expect("search");
        }
        stages(&uncached, &queries, rounds);
        return;
    }
    if scan {
        // The scan by meaning alone: each question's best page's title as the query vector, its
        // five nearest pages found (`SearchIndex::similar`).
        let keys: Vec<String> = queries
            .iter()
            .filter_map(|q| uncached.search(&SearchRequest::new(q)).expect("search").hits.first().map(|h| h.id.clone()))
            .collect();
        measure("nearest by meaning (5)", &keys, rounds, |key| {
            std::hint::black_box(uncached.similar(key, 5, 0.0));
        });
        // What a search that ranks by meaning asks of the vectors: the questions' closest 8,
        // 30 and 3, the ranking blended with the answer leads (its closest 10 and 30), and both
        // similarities of the documents the fusion lifts (here the closest 30 of each; a search
        // adds its lexical top 30).
        let vectors = uncached.vectors().expect("an index built with the model");
        measure("a hybrid search's vector work", &keys, rounds, |key| {
            let Some(query) = vectors.first_of(key) else { return };
            let similarities = vectors.similarities(query);
            let ranking = similarities.ranking();
            std::hint::black_box((similarities.top(8), ranking.top(10), similarities.top(3)));
            let lifted: Vec<&str> = similarities.top(30).into_iter().chain(ranking.top(30)).map(|(key, _)| key).collect();
            std::hint::black_box((similarities.of_all(&lifted), ranking.of_all(&lifted)));
        });
        return;
    }
    if threads > 1 {
        for q in &queries {
            uncached.search(&SearchRequest::new(q)).expect("search");
        }
        std::thread::scope(|scope| {
            for t in 0..threads {
                let (uncached, queries) = (&uncached, &queries);
                scope.spawn(move || {
                    // Each thread starts at another place in the questions.
                    let mut mine = queries.clone();
                    mine.rotate_left(t * queries.len() / threads);
                    measure(&format!("thread {t}: uncached, with snippets"), &mine, rounds, |q| {
                        uncached.search(&SearchRequest::new(q)).expect("search");
                    });
                });
            }
        });
        return;
    }
    // Warm the page cache, the allocator and the analyzer's buffers: a whole untimed round of
    // each kind of search.
    for q in &queries {
        uncached.search(&SearchRequest::new(q)).expect("search");
        uncached.search(&SearchRequest { snippets: 0, ..SearchRequest::new(q) }).expect("search");
    }
    measure("uncached, with snippets", &queries, rounds, |q| {
        uncached.search(&SearchRequest::new(q)).expect("search");
    });
    measure("uncached, without snippets", &queries, rounds, |q| {
        uncached.search(&SearchRequest { snippets: 0, ..SearchRequest::new(q) }).expect("search");
    });
    measure("suggest (8 hits, with snippets)", &queries, rounds, |q| {
        let prefix: String = q.chars().take(3).collect();
        uncached.search(&SearchRequest { limit: 8, ..SearchRequest::new(&prefix) }).expect("search");
    });
    let cached = snapshot.public.clone().with_cache_capacity(4096);
    for q in &queries {
        cached.search(&SearchRequest::new(q)).expect("search");
    }
    measure("cached (the same question again)", &queries, rounds, |q| {
        cached.search(&SearchRequest::new(q)).expect("search");
    });
}
