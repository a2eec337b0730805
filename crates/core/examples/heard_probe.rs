use std::path::PathBuf;
use kotae_core::{Analyzer, IndexRoot, SearchRequest, Snapshot};
fn main() {
    let mut args = std::env::args().skip(1);
    let index = PathBuf::from(args.next().unwrap());
    let analyzer = Analyzer::from_env().unwrap();
    let snapshot = Snapshot::open(&IndexRoot::new(&index), &analyzer).unwrap();
    let text = std::fs::read_to_string(args.next().unwrap()).unwrap();
    for l in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        let q = v["text"].as_str().unwrap();
        let r = snapshot.public.search(&SearchRequest::new(q)).unwrap();
        let words: Vec<String> = r.question.kana_runs.iter().flat_map(|run| run.words.iter().filter_map(|w| w.first().cloned())).collect();
        println!("{}\t{}\t{}", v["qid"].as_str().unwrap_or(""), q, words.join(" "));
    }
}
