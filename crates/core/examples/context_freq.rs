//! Writes how often analysis reads each row and column of IPADIC's connection-cost matrix:
//! the histogram `analysis/dictionary/context_freq.txt` that the dictionary is compiled with,
//! so that the contexts read most often sit together in memory (see
//! `kotae_core::analysis::dictionary`).
//!
//! ```sh
//! cargo run --release -p kotae-core --example context_freq -- content tests/relevance/*.jsonl \
//!     > crates/core/src/analysis/dictionary/context_freq.txt
//! ```
//!
//! The texts are the pages of a content folder and the questions of the given files, each as
//! written, in hiragana and with kana slips (the ways customers type them); the questions'
//! kana runs are also read with the reading dictionary, as a search reads them.
//!
//! Lindera's Viterbi pass reads, for each word it places at a position, the matrix row of the
//! word's left context, at the column of the right context of every word ending there. So the
//! row of a word that can start at a position is read once for each word that can end there,
//! and the column of a word that can end there once for each word that can start there. This
//! counts those reads over every word of the dictionary that matches at each position, and one
//! unknown word per character category (lindera's exact set of unknown words differs a
//! little: the counts only order the contexts, and the analysis is the same in any order).
//! They are written in the source's numbering, whatever the cached dictionary's is.

use std::path::Path;

use kotae_core::analysis::{dictionary, kana};
use kotae_core::eval::Variant;
use kotae_core::Analyzer;
use kotae_core::analysis::DictionaryConfig;
use lindera_dictionary::dictionary::Dictionary;

/// The read counts, by source context id: rows (left contexts) and columns (right contexts).
struct Reads {
    rows: Vec<u64>,
    columns: Vec<u64>,
}

impl Reads {
    /// Count the reads of analyzing `text` with `dictionary`, whose left and right context ids
    /// are `sources` in the source's numbering.
    fn count(&mut self, (dictionary, sources): &(Dictionary, Sources), text: &str) {
        let (left_source, right_source) = sources;
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let n = chars.len();
        let char_at_byte = |byte: usize| chars.partition_point(|(b, _)| *b < byte);
        // The words that can start at each position: (left, right, end position).
        let mut starting: Vec<Vec<(u32, u32, usize)>> = vec![Vec::new(); n];
        for (at, &(byte, c)) in chars.iter().enumerate() {
            let mut known = false;
            for (end, entry) in dictionary.prefix_dictionary.prefix(&text[byte..]) {
                known = true;
                starting[at].push((entry.left_id(), entry.right_id(), char_at_byte(byte + end)));
            }
            let definitions = &dictionary.character_definition;
            for &category in definitions.lookup_categories(c) {
                let data = definitions.lookup_definition(category);
                if known && !data.invoke {
                    continue;
                }
                let same = |&(_, d): &(usize, char)| definitions.lookup_categories(d).contains(&category);
                let end = if data.group { at + chars[at..].iter().take_while(|x| same(x)).count().max(1) } else { at + 1 };
                for &word in dictionary.unknown_dictionary.lookup_word_ids(category) {
                    let entry = dictionary.unknown_dictionary.word_entry(word);
                    starting[at].push((entry.left_id(), entry.right_id(), end));
                }
            }
        }
        // How many words end at each position (the start of the text: one).
        let mut ending: Vec<Vec<u32>> = vec![Vec::new(); n + 1];
        ending[0].push(0);
        for at in 0..n {
            if ending[at].is_empty() {
                continue;
            }
            for &(left, right, end) in &starting[at] {
                self.rows[left_source[left as usize]] += ending[at].len() as u64;
                ending[end].push(right);
            }
        }
        // The end of the text starts one word (left context 0).
        self.rows[0] += ending[n].len() as u64;
        for (at, ended) in ending.iter().enumerate() {
            let next = if at == n { 1 } else { starting[at].len() as u64 };
            for &right in ended {
                self.columns[right_source[right as usize]] += next;
            }
        }
    }
}

/// For each compiled context id, its id in the source (left, then right).
type Sources = (Vec<usize>, Vec<usize>);

/// `dictionary` with [`Sources`] for its context ids.
fn with_sources(dictionary: Dictionary) -> (Dictionary, Sources) {
    // `perm[source] = compiled`.
    let inverse = |perm: Option<&Vec<u16>>| -> Vec<usize> {
        let mut back: Vec<usize> = (0..=usize::from(u16::MAX)).collect();
        for (source, &compiled) in perm.into_iter().flatten().enumerate() {
            back[usize::from(compiled)] = source;
        }
        back
    };
    let map = dictionary.metadata.context_id_map.as_ref();
    let sources = (inverse(map.map(|m| &m.left)), inverse(map.map(|m| &m.right)));
    (dictionary, sources)
}

/// A text's runs of kana, in katakana: what a search reads with the reading dictionary.
fn kana_runs(text: &str) -> Vec<String> {
    let mut runs = Vec::new();
    let mut run = String::new();
    for c in text.chars() {
        if kana::is_kana(c.encode_utf8(&mut [0; 4])) {
            run.push(c);
        } else if !run.is_empty() {
            runs.push(kana::to_katakana(&std::mem::take(&mut run)));
        }
    }
    if !run.is_empty() {
        runs.push(kana::to_katakana(&run));
    }
    runs
}

fn main() {
    let mut args = std::env::args().skip(1);
    let content = args.next().expect("usage: context_freq CONTENT QUESTIONS.jsonl...");
    let config = DictionaryConfig::from_env();
    let analyzer = Analyzer::load(&config).expect("IPADIC (apt-get install -y mecab-ipadic)");
    let words = with_sources(dictionary::load(&config).expect("the dictionary"));
    let readings = with_sources(dictionary::load_readings(&config).expect("the reading dictionary"));
    let matrix = &words.0.connection_cost_matrix;
    let mut reads = Reads { rows: vec![0; matrix.backward_size as usize], columns: vec![0; matrix.forward_size as usize] };
    let mut texts = 0usize;
    for entry in walkdir::WalkDir::new(&content).sort_by_file_name() {
        let entry = entry.expect("the content folder");
        if entry.path().extension().is_some_and(|x| x == "md") {
            let page = std::fs::read_to_string(entry.path()).expect("a page");
            for sentence in page.split(['\n', '。']).filter(|s| !s.trim().is_empty()) {
                reads.count(&words, sentence);
                texts += 1;
            }
        }
    }
    for file in args {
        let text = std::fs::read_to_string(Path::new(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        for (n, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
            let value: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{file}:{}: {e}", n + 1));
            let Some(question) = value["text"].as_str() else { continue };
            let key = format!("{file}:{n}");
            let variants = ["hiragana", "kana-slip"].into_iter().filter_map(Variant::parse).map(|v| v.apply(&analyzer, &key, question));
            for asked in std::iter::once(question.to_string()).chain(variants) {
                reads.count(&words, &asked);
                for run in kana_runs(&asked) {
                    reads.count(&readings, &run);
                }
                texts += 1;
            }
        }
    }
    eprintln!("{texts} texts; {} row reads, {} column reads", reads.rows.iter().sum::<u64>(), reads.columns.iter().sum::<u64>());
    println!("{} {}", reads.rows.len(), reads.columns.len());
    for counts in [&reads.rows, &reads.columns] {
        println!("{}", counts.iter().map(u64::to_string).collect::<Vec<_>>().join(" "));
    }
}
