//! Speed and memory of kotae-embed on this machine.
//!
//! ```sh
//! tools/fetch-model.sh
//! cargo run --release -p kotae-embed --example bench
//! ```
//!
//! Prints the load time and the resident memory after it, the mean CPU time and the median
//! wall time of one query embedding on the calling thread (a typical short question, and a
//! whole sentence; 200 runs each), the throughput of `embed_passages` on 256 FAQ-length
//! passages (about 200 characters each) over rayon's threads, and the peak resident memory of
//! the process.

use std::time::Instant;

use kotae_embed::{Embedder, TextKind, default_model_dir};

const SENTENCES: [&str; 8] = [
    "ご注文の商品は、通常ご注文から3営業日以内に発送いたします。",
    "配送状況はマイページの「注文履歴」からご確認いただけます。",
    "お届け先の変更は発送準備に入る前までであれば可能です。",
    "ポイントは商品到着後7日で付与され、有効期限は最終利用日から1年間です。",
    "返品をご希望の場合は、商品到着後8日以内にお問い合わせフォームからご連絡ください。",
    "パスワードをお忘れの場合は、ログイン画面の「再設定」から手続きできます。",
    "クレジットカード、コンビニ払い、代金引換がご利用いただけます。",
    "送料は全国一律550円で、5,000円以上のご注文で無料になります。",
];

fn passages(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let mut p = format!("質問{i}: ");
            let mut j = i;
            while p.chars().count() < 200 {
                p.push_str(SENTENCES[j % SENTENCES.len()]);
                j = j * 7 + 3;
            }
            p.chars().take(200).collect()
        })
        .collect()
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok());
    kb.map_or(f64::NAN, |kb| kb / 1024.0)
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<f64>().ok());
    kb.map_or(f64::NAN, |kb| kb / 1024.0)
}

/// CPU time of the calling thread so far, in nanoseconds (Linux's schedstat; 0 elsewhere).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let start = Instant::now();
    let m = Embedder::load(&default_model_dir())?;
    let load = start.elapsed();
    println!(
        "load: {:.0} ms, RSS after load {:.0} MB (peak {:.0} MB)",
        load.as_secs_f64() * 1e3,
        rss_mb(),
        peak_rss_mb()
    );

    // A short question, and a whole sentence as wiki-qa's questions are.
    for (name, query) in [
        ("query", "注文した商品がまだ届かないのですが"),
        ("long query", "先月の終わりに注文した冬物のコートがまだ届いておらず、配送状況のページを見ても発送準備中のままなのですが、いつごろ届くのでしょうか"),
    ] {
        let tokens = m.token_ids(query, TextKind::Query).len();
        let _ = m.embed_query(query);
        let runs = 200;
        let mut wall = Vec::with_capacity(runs);
        // The kernel updates a thread's CPU time at context switches and at timer ticks (4 ms
        // here), so one query's figure is coarse: the mean over all runs is not.
        let cpu_start = thread_cpu_ns();
        for _ in 0..runs {
            let start = Instant::now();
            std::hint::black_box(m.embed_query(std::hint::black_box(query)));
            wall.push(start.elapsed().as_secs_f64() * 1e3);
        }
        let cpu = (thread_cpu_ns() - cpu_start) as f64 / 1e6 / runs as f64;
        println!(
            "{name} ({tokens} tokens, calling thread): {cpu:.2} ms CPU (mean), median {:.2} ms wall; RSS {:.0} MB",
            median(&mut wall),
            rss_mb()
        );
    }

    let texts = passages(256);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let tokens: usize = refs
        .iter()
        .map(|t| m.token_ids(t, TextKind::Passage).len())
        .sum();
    let _ = m.embed_passages(&refs[..16]);
    let start = Instant::now();
    let out = m.embed_passages(&refs);
    let secs = start.elapsed().as_secs_f64();
    println!(
        "passages: 256 × ~200 chars ({:.0} tokens each on average) in {:.2} s = {:.1} passages/s on {} threads",
        tokens as f64 / 256.0,
        secs,
        out.len() as f64 / secs,
        rayon::current_num_threads()
    );
    println!("peak RSS: {:.0} MB", peak_rss_mb());
    Ok(())
}
