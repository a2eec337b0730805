//! The numbers behind the thresholds of `kotae_core::meaning::groups` (docs/relevance.md,
//! "Same question, same meaning"), with the model:
//!
//! ```sh
//! cargo run --release -p kotae-core --example same_meaning -- content tests/relevance
//! ```
//!
//! 1. Pages: each public page's nearest other page, by the best cosine between their question
//!    texts (title and aliases, embedded as passages), as `kotae check` compares them.
//! 2. Queries: the judged queries of the relevance sets, embedded as questions; for each, its
//!    nearest query with the same answer and its nearest query with another answer; then, for
//!    several thresholds, how `group` groups them: groups of two or more queries, and the share
//!    of same-group pairs whose answers agree (precision) and of same-answer pairs put in one
//!    group (recall).

use std::collections::HashMap;
use std::path::PathBuf;

use kotae_core::content::{self, Audience};
use kotae_core::meaning::{Meaning, document_texts, groups};

fn quantiles(name: &str, mut xs: Vec<f32>) {
    xs.sort_by(f32::total_cmp);
    let at = |q: f64| xs[((xs.len() - 1) as f64 * q).round() as usize];
    if xs.is_empty() {
        return;
    }
    println!(
        "{name}: n={} min={:.3} p10={:.3} p25={:.3} median={:.3} p75={:.3} p90={:.3} p99={:.3} max={:.3}",
        xs.len(),
        xs[0],
        at(0.1),
        at(0.25),
        at(0.5),
        at(0.75),
        at(0.9),
        at(0.99),
        xs[xs.len() - 1]
    );
}

fn main() {
    let mut args = std::env::args().skip(1);
    let content_dir = PathBuf::from(args.next().unwrap_or_else(|| "content".into()));
    let relevance = PathBuf::from(args.next().unwrap_or_else(|| "tests/relevance".into()));
    let Some(meaning) = Meaning::shared() else {
        eprintln!("no model: run tools/fetch-model.sh");
        return;
    };

    // Any texts given in PAIRS (separated by |): their similarities as questions.
    if let Ok(list) = std::env::var("PAIRS") {
        let texts: Vec<&str> = list.split('|').collect();
        let normalized: Vec<String> = texts.iter().map(|t| kotae_core::analysis::normalize_str(t)).collect();
        let v: Vec<Vec<f32>> = if std::env::var("PROFILE").is_ok() {
            let anchors = anchors(&meaning, &content_dir);
            normalized.iter().map(|t| profile(&meaning.question(t), &anchors)).collect()
        } else if std::env::var("AS_PASSAGE").is_ok() {
            meaning.passages(&normalized.iter().map(String::as_str).collect::<Vec<_>>())
        } else {
            normalized.iter().map(|t| meaning.question(t).to_vec()).collect()
        };
        for i in 0..texts.len() {
            let row: Vec<String> = (0..texts.len()).map(|j| format!("{:.3}", groups::cosine(&v[i], &v[j]))).collect();
            println!("{} {}", row.join(" "), texts[i]);
        }
        return;
    }

    // 1. Pages.
    let loaded = content::load(&content_dir, chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default());
    let pages: Vec<_> = loaded.corpus.pages.iter().filter(|p| p.audience == Audience::Public).collect();
    let texts: Vec<Vec<String>> = pages.iter().map(|p| document_texts(p).into_iter().flat_map(|(_, t)| t).collect()).collect();
    let vectors: Vec<Vec<Vec<f32>>> = texts
        .iter()
        .map(|t| {
            if std::env::var("AS_QUERY").is_ok() {
                t.iter().map(|x| meaning.question(x).to_vec()).collect()
            } else {
                meaning.passages(&t.iter().map(String::as_str).collect::<Vec<_>>())
            }
        })
        .collect();
    let centre = mean_of(vectors.iter().flatten().map(|v| &v[..]));
    let vectors: Vec<Vec<Vec<f32>>> = if std::env::var("CENTER").is_ok() {
        vectors.iter().map(|p| p.iter().map(|v| centred(v, &centre)).collect()).collect()
    } else {
        vectors
    };
    let nearest = groups::nearest_pages(&vectors);
    let mut rows: Vec<(f32, usize, usize)> = nearest.iter().enumerate().filter_map(|(i, n)| n.map(|(j, c)| (c, i, j))).collect();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!("== pages: nearest other page ({} public pages), closest first", pages.len());
    for (c, i, j) in rows.iter().take(15) {
        println!("  {c:.4}  {} ~ {}  ({} / {})", pages[*i].id, pages[*j].id, pages[*i].title, pages[*j].title);
    }
    if let Ok(show) = std::env::var("SHOW") {
        for (c, i, j) in rows.iter().filter(|r| pages[r.1].id.starts_with(&show)) {
            println!("  {show}: {c:.4}  {} ~ {}  ({} / {})", pages[*i].id, pages[*j].id, pages[*i].title, pages[*j].title);
        }
    }
    quantiles("page nearest-neighbour similarity", rows.iter().map(|r| r.0).collect());
    for t in thresholds(&[0.95, 0.96, 0.965, 0.97, 0.975, 0.98]) {
        println!("  pairs at >= {t}: {}", groups::same_questions(&vectors, t).len());
    }

    // 2. Queries.
    let mut answer: HashMap<String, String> = HashMap::new();
    for line in std::fs::read_to_string(relevance.join("qrels.tsv")).unwrap_or_default().lines() {
        let cells: Vec<&str> = line.split('\t').collect();
        if cells.len() >= 3 && cells[2].trim() != "0" {
            answer.entry(cells[0].to_string()).or_insert_with(|| cells[1].to_string());
        }
    }
    let mut queries: Vec<(String, String)> = Vec::new();
    for file in ["tuning.jsonl", "heldout.jsonl"] {
        for line in std::fs::read_to_string(relevance.join(file)).unwrap_or_default().lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            let (Some(qid), Some(text)) = (v["qid"].as_str(), v["text"].as_str()) else { continue };
            if let Some(page) = answer.get(qid) {
                queries.push((text.to_string(), page.clone()));
            }
        }
    }
    let normalized: Vec<String> = queries.iter().map(|q| kotae_core::analysis::normalize_str(&q.0)).collect();
    let anchor_vectors: Vec<Vec<f32>> = vectors.iter().flatten().cloned().collect();
    let qv: Vec<std::sync::Arc<[f32]>> = if std::env::var("PROFILE").is_ok() {
        normalized.iter().map(|q| profile(&meaning.question(q), &anchor_vectors).into()).collect()
    } else if std::env::var("AS_PASSAGE").is_ok() {
        meaning.passages(&normalized.iter().map(String::as_str).collect::<Vec<_>>()).into_iter().map(Into::into).collect()
    } else {
        normalized.iter().map(|q| meaning.question(q)).collect()
    };
    let qcentre = mean_of(qv.iter().map(|v| &v[..]));
    let qv: Vec<std::sync::Arc<[f32]>> =
        if std::env::var("CENTER").is_ok() { qv.iter().map(|v| centred(v, &qcentre).into()).collect() } else { qv };
    let (mut same, mut other) = (Vec::new(), Vec::new());
    for i in 0..queries.len() {
        let best = |want_same: bool| {
            (0..queries.len())
                .filter(|&j| j != i && (queries[j].1 == queries[i].1) == want_same)
                .map(|j| groups::cosine(&qv[i], &qv[j]))
                .max_by(f32::total_cmp)
        };
        same.extend(best(true));
        other.extend(best(false));
    }
    println!("== queries: {} judged queries", queries.len());
    quantiles("nearest query with the same answer", same);
    quantiles("nearest query with another answer", other);
    let refs: Vec<&[f32]> = qv.iter().map(|v| &v[..]).collect();
    let ones = vec![1u64; refs.len()];
    let same_pairs = (0..queries.len())
        .flat_map(|i| (i + 1..queries.len()).map(move |j| (i, j)))
        .filter(|&(i, j)| queries[i].1 == queries[j].1)
        .count();
    for t in thresholds(&[0.86, 0.88, 0.89, 0.90, 0.91, 0.92, 0.93, 0.94]) {
        let linkage = if std::env::var("COMPLETE").is_ok() { groups::Linkage::Complete } else { groups::Linkage::Average };
        let grouped = groups::group(&refs, &ones, t, linkage);
        let (mut pairs, mut agree) = (0usize, 0usize);
        for g in &grouped {
            for (x, &i) in g.iter().enumerate() {
                for &j in &g[x + 1..] {
                    pairs += 1;
                    agree += usize::from(queries[i].1 == queries[j].1);
                }
            }
        }
        if std::env::var("PRINT_GROUPS").is_ok() {
            for g in grouped.iter().filter(|g| g.len() > 2).take(8) {
                let shown: Vec<String> = g.iter().map(|&i| format!("{} [{}]", queries[i].0, queries[i].1)).collect();
                println!("    {}", shown.join(" / "));
            }
        }
        let multi = grouped.iter().filter(|g| g.len() > 1).count();
        println!(
            "  threshold {t:.2}: {multi} groups of 2+, largest {}, precision {:.3} ({agree}/{pairs}), recall {:.3}",
            grouped.first().map_or(0, Vec::len),
            agree as f64 / pairs.max(1) as f64,
            agree as f64 / same_pairs.max(1) as f64
        );
    }
}

fn thresholds(default: &[f32]) -> Vec<f32> {
    match std::env::var("THRESHOLDS") {
        Ok(list) => list.split(',').filter_map(|t| t.trim().parse().ok()).collect(),
        Err(_) => default.to_vec(),
    }
}

fn mean_of<'v>(vectors: impl Iterator<Item = &'v [f32]>) -> Vec<f32> {
    let mut sum: Vec<f32> = Vec::new();
    let mut n = 0.0;
    for v in vectors {
        sum.resize(v.len(), 0.0);
        sum.iter_mut().zip(v).for_each(|(s, x)| *s += x);
        n += 1.0;
    }
    sum.iter().map(|s| s / n).collect()
}

fn centred(v: &[f32], centre: &[f32]) -> Vec<f32> {
    let d: Vec<f32> = v.iter().zip(centre).map(|(x, c)| x - c).collect();
    let norm = d.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    d.iter().map(|x| x / norm).collect()
}

/// The passage vectors of every public page's questions.
fn anchors(meaning: &Meaning, content_dir: &std::path::Path) -> Vec<Vec<f32>> {
    let loaded = content::load(content_dir, chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default());
    let texts: Vec<String> = loaded
        .corpus
        .pages
        .iter()
        .filter(|p| p.audience == Audience::Public)
        .flat_map(|p| document_texts(p).into_iter().flat_map(|(_, t)| t))
        .collect();
    meaning.passages(&texts.iter().map(String::as_str).collect::<Vec<_>>())
}

/// A query's similarities to the anchors, centred and of unit length: the cosine of two
/// profiles is the correlation of what the two queries retrieve.
fn profile(query: &[f32], anchors: &[Vec<f32>]) -> Vec<f32> {
    let sims: Vec<f32> = anchors.iter().map(|a| groups::cosine(query, a)).collect();
    let mean = sims.iter().sum::<f32>() / sims.len().max(1) as f32;
    centred(&sims, &vec![mean; sims.len()])
}
