//! Which page vectors find a page by meaning alone? Ranks the sample's public pages for the
//! judged queries of tuning, held-out and paraphrase by several page representations (titles and
//! aliases as shipped, the answer's first sentences, mixes, a per-page "hub" calibration) and
//! prints MRR@10 and Recall@5 of each (docs/relevance.md, "Meaning"). From the repository root,
//! with the model:
//!
//! ```sh
//! cargo run --release -p kotae-core --example dense_explore
//! ```
//!
//! `LEAD=n` sets how many characters of the answer are embedded (default 150); `SHOWLEAD=1`
//! prints a few.
use std::collections::HashMap;
use kotae_core::content::{self, Audience};
use kotae_core::meaning::{Meaning, document_texts, groups::cosine};

fn load_queries(path: &str) -> Vec<(String, String)> {
    std::fs::read_to_string(path).unwrap().lines().filter_map(|l| {
        let v: serde_json::Value = serde_json::from_str(l).ok()?;
        Some((v["qid"].as_str()?.to_string(), v["text"].as_str()?.to_string()))
    }).collect()
}

fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        if c == '\n' { if !cur.trim().is_empty() { out.push(cur.trim().to_string()); } cur.clear(); continue; }
        cur.push(c);
        if c == '。' || c == '？' || c == '！' { if !cur.trim().is_empty() { out.push(cur.trim().to_string()); } cur.clear(); }
    }
    if !cur.trim().is_empty() { out.push(cur.trim().to_string()); }
    out
}

fn lead(text: &str, chars: usize) -> String {
    let mut out = String::new();
    for s in sentences(text) {
        if !out.is_empty() && out.chars().count() + s.chars().count() > chars { break; }
        out.push_str(&s);
        if out.chars().count() >= chars { break; }
    }
    out.chars().take(chars * 2).collect()
}

fn main() {
    let meaning = Meaning::shared().expect("model");
    let loaded = content::load(std::path::Path::new("content"), chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap());
    let pages: Vec<_> = loaded.corpus.pages.iter().filter(|p| p.audience == Audience::Public).collect();
    let norm = |t: &str| kotae_core::analysis::normalize_str(t);
    let emb = |ts: &[String]| meaning.passages(&ts.iter().map(String::as_str).collect::<Vec<_>>());
    let qvec: Vec<Vec<Vec<f32>>> = pages.iter().map(|p| emb(&document_texts(p).into_iter().flat_map(|(_, t)| t).collect::<Vec<_>>())).collect();
    let chars: usize = std::env::var("LEAD").ok().and_then(|v| v.parse().ok()).unwrap_or(150);
    let leads: Vec<String> = pages.iter().map(|p| norm(&lead(&p.plain_text(), chars))).collect();
    if std::env::var("SHOWLEAD").is_ok() { for (p, l) in pages.iter().zip(&leads).take(8) { println!("{} | {}", p.id, l); } }
    let avec: Vec<Vec<f32>> = emb(&leads);
    let tavec: Vec<Vec<f32>> = emb(&pages.iter().zip(&leads).map(|(p, l)| norm(&format!("{} {}", p.title, l))).collect::<Vec<_>>());
    let svec: Vec<Vec<Vec<f32>>> = pages.iter().map(|p| {
        let s: Vec<String> = sentences(&p.plain_text()).into_iter().take(4).map(|s| norm(&s)).collect();
        emb(&s)
    }).collect();
    // hubness: each page's mean similarity to the other pages' questions, embedded as queries
    let tq: Vec<Vec<f32>> = pages.iter().map(|p| meaning.question(&norm(&p.title)).to_vec()).collect();
    let mut answer: HashMap<String, String> = HashMap::new();
    for line in std::fs::read_to_string("tests/relevance/qrels.tsv").unwrap().lines() {
        let c: Vec<&str> = line.split('\t').collect();
        if c.len() >= 3 && c[2].trim() != "0" { answer.entry(c[0].to_string()).or_insert(c[1].to_string()); }
    }
    let maxq = |q: &[f32], i: usize| qvec[i].iter().map(|v| cosine(q, v)).fold(-1.0f32, f32::max);
    // Titles and aliases embedded as queries ("query: ", the model card's symmetric use).
    let qqvec: Vec<Vec<Vec<f32>>> = pages.iter().map(|p| document_texts(p).into_iter().flat_map(|(_, t)| t).map(|t| meaning.question(&t).to_vec()).collect()).collect();
    let maxqq = |q: &[f32], i: usize| qqvec[i].iter().map(|v| cosine(q, v)).fold(-1.0f32, f32::max);
    // One vector per question: the question's vector plus w × the answer lead's, normalized.
    let mix = |vs: &Vec<Vec<f32>>, a: &[f32], w: f32| -> Vec<Vec<f32>> { vs.iter().map(|v| { let m: Vec<f32> = v.iter().zip(a).map(|(x, y)| x + w * y).collect(); let n = m.iter().map(|x| x * x).sum::<f32>().sqrt(); m.iter().map(|x| x / n).collect() }).collect() };
    let mixp: Vec<Vec<Vec<f32>>> = (0..pages.len()).map(|i| mix(&qvec[i], &avec[i], 0.5)).collect();
    let mixq: Vec<Vec<Vec<f32>>> = (0..pages.len()).map(|i| mix(&qqvec[i], &avec[i], 0.5)).collect();
    let mixq3: Vec<Vec<Vec<f32>>> = (0..pages.len()).map(|i| mix(&qqvec[i], &avec[i], 0.3)).collect();
    let mixq8: Vec<Vec<Vec<f32>>> = (0..pages.len()).map(|i| mix(&qqvec[i], &avec[i], 0.8)).collect();
    let maxv = |vs: &Vec<Vec<Vec<f32>>>, q: &[f32], i: usize| vs[i].iter().map(|v| cosine(q, v)).fold(-1.0f32, f32::max);
    let maxs = |q: &[f32], i: usize| svec[i].iter().map(|v| cosine(q, v)).fold(-1.0f32, f32::max);
    let hubq: Vec<f32> = (0..pages.len()).map(|i| (0..pages.len()).filter(|&j| j != i).map(|j| maxq(&tq[j], i)).sum::<f32>() / (pages.len() - 1) as f32).collect();
    let huba: Vec<f32> = (0..pages.len()).map(|i| (0..pages.len()).filter(|&j| j != i).map(|j| cosine(&tq[j], &avec[i])).sum::<f32>() / (pages.len() - 1) as f32).collect();
    for set in ["tuning", "heldout", "paraphrase"] {
        let qs = load_queries(&format!("tests/relevance/{set}.jsonl"));
        let qv: Vec<std::sync::Arc<[f32]>> = qs.iter().map(|(_, t)| meaning.question(&norm(t))).collect();
        let schemes: Vec<(&str, Box<dyn Fn(&[f32], usize) -> f32>)> = vec![
            ("Q max", Box::new(|q, i| maxq(q, i))),
            ("A lead", Box::new(|q, i| cosine(q, &avec[i]))),
            ("T+A one", Box::new(|q, i| cosine(q, &tavec[i]))),
            ("S sent max", Box::new(|q, i| maxs(q, i))),
            ("max(Q,A)", Box::new(|q, i| maxq(q, i).max(cosine(q, &avec[i])))),
            ("max(Q,TA)", Box::new(|q, i| maxq(q, i).max(cosine(q, &tavec[i])))),
            ("Q+A", Box::new(|q, i| maxq(q, i) + cosine(q, &avec[i]))),
            ("Q+.5A", Box::new(|q, i| maxq(q, i) + 0.5 * cosine(q, &avec[i]))),
            ("Qq max", Box::new(|q, i| maxqq(q, i))),
            ("Qq+.5A", Box::new(|q, i| maxqq(q, i) + 0.5 * cosine(q, &avec[i]))),
            ("mix(Q,.5A)", Box::new(|q, i| maxv(&mixp, q, i))),
            ("mix(Qq,.3A)", Box::new(|q, i| maxv(&mixq3, q, i))),
            ("mix(Qq,.5A)", Box::new(|q, i| maxv(&mixq, q, i))),
            ("mix(Qq,.8A)", Box::new(|q, i| maxv(&mixq8, q, i))),
            ("Q+TA", Box::new(|q, i| maxq(q, i) + cosine(q, &tavec[i]))),
            ("Q+S", Box::new(|q, i| maxq(q, i) + maxs(q, i))),
            ("Q+A+S", Box::new(|q, i| maxq(q, i) + cosine(q, &avec[i]) + maxs(q, i))),
            ("Q-hub", Box::new(|q, i| maxq(q, i) - hubq[i])),
            ("Q-hub+A-hub", Box::new(|q, i| maxq(q, i) - hubq[i] + cosine(q, &avec[i]) - huba[i])),
            ("Q+A -.5hub", Box::new(|q, i| maxq(q, i) - 0.5 * hubq[i] + cosine(q, &avec[i]) - 0.5 * huba[i])),
        ];
        for (name, f) in &schemes {
            let (mut mrr, mut r5, mut n) = (0.0, 0.0, 0.0);
            for ((qid, _), q) in qs.iter().zip(&qv) {
                let Some(want) = answer.get(qid) else { continue };
                n += 1.0;
                let mut s: Vec<(f32, usize)> = (0..pages.len()).map(|i| (f(q, i), i)).collect();
                s.sort_by(|a, b| b.0.total_cmp(&a.0));
                if let Some(r) = s.iter().position(|(_, i)| &pages[*i].id == want) {
                    if r < 10 { mrr += 1.0 / (r + 1) as f64; }
                    if r < 5 { r5 += 1.0; }
                }
            }
            println!("{set:10} {name:14} MRR {:.4} R@5 {:.4}", mrr / n, r5 / n);
        }
    }
}
