//! Which corpus words does the lexicon hear in questions typed in kana? Prints, for each
//! question of a JSON-lines file (`qid`, `text`), the words heard in its kana runs. Given the
//! same questions as originally written, it counts instead the words heard that the original
//! does not contain (どの heard as 殿, は|いつ as ハイツ), most frequent first: the misreadings
//! worth a look (docs/relevance.md, "How sloppy typing is read").
//!
//! ```sh
//! kotae eval --index I --queries Q.jsonl --qrels R.tsv --rewrite hiragana > /tmp/hiragana.jsonl
//! cargo run --release -p kotae-core --example heard_words -- I /tmp/hiragana.jsonl [Q.jsonl]
//! ```
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use kotae_core::{Analyzer, IndexRoot, SearchRequest, Snapshot};

fn questions(path: &str) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{path}: {e}"));
            (v["qid"].as_str().unwrap_or_default().to_string(), v["text"].as_str().unwrap_or_default().to_string())
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [index, typed, rest @ ..] = args.as_slice() else {
        eprintln!("usage: heard_words INDEX QUESTIONS.jsonl [ORIGINALS.jsonl]");
        std::process::exit(2);
    };
    let analyzer = Analyzer::from_env().expect("IPADIC (apt-get install -y mecab-ipadic)");
    let snapshot = Snapshot::open(&IndexRoot::new(&PathBuf::from(index)), &analyzer).expect("open the index");
    let originals: HashMap<String, String> = rest.first().map(|p| questions(p).into_iter().collect()).unwrap_or_default();
    let mut misheard: BTreeMap<String, (usize, Vec<String>)> = BTreeMap::new();
    for (qid, text) in questions(typed) {
        let results = snapshot.public.search(&SearchRequest { snippets: 0, ..SearchRequest::new(&text) }).expect("search");
        let heard: Vec<String> = results.question.kana_runs.iter().flat_map(|run| run.words.iter().filter_map(|w| w.first().cloned())).collect();
        match originals.get(&qid) {
            None => println!("{qid}\t{text}\t{}", heard.join(" ")),
            Some(original) => {
                for word in heard.into_iter().filter(|w| !original.contains(w.as_str())) {
                    let entry = misheard.entry(word).or_default();
                    entry.0 += 1;
                    entry.1.push(qid.clone());
                }
            }
        }
    }
    let mut counted: Vec<_> = misheard.into_iter().collect();
    counted.sort_by(|a, b| b.1.0.cmp(&a.1.0).then_with(|| a.0.cmp(&b.0)));
    if !counted.is_empty() {
        println!("{} words heard that the originals do not contain (verbs heard by their base form included)", counted.iter().map(|c| c.1.0).sum::<usize>());
    }
    for (word, (n, qids)) in counted.iter().take(40) {
        println!("{n:5}  {word}  ({})", qids.iter().take(3).cloned().collect::<Vec<_>>().join(", "));
    }
}
