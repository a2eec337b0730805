//! IPADIC keyed by reading: the same entries, costs and connections, each entry's surface
//! replaced by its katakana reading (引き込む → ヒキコム). Segmenting a run of kana with it
//! reads the run the way a kana-kanji converter does, and tells where its particles and
//! endings are (ツイ|テ|イル, ニ|ナッ|タ): what [`crate::Analyzer::kana_grammar`] gives the
//! lexicon, so that a corpus word heard in a run does not swallow them.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use crate::error::{Error, Result};

/// The source files besides the word lists, rewritten in UTF-8.
const DEFINITIONS: [&str; 3] = ["matrix.def", "char.def", "unk.def"];

/// Write the reading-keyed source of the IPADIC source at `source` (in `encoding`) into `out`,
/// in UTF-8. Entries with the same reading and connection ids are one: the cheapest.
pub(super) fn write_source(source: &Path, encoding: &str, out: &Path) -> Result<()> {
    let fail = |path: &Path, e: std::io::Error| Error::Dictionary {
        message: format!("cannot prepare the reading dictionary from {}: {e}", path.display()),
    };
    let decoder = encoding_rs::Encoding::for_label(encoding.as_bytes()).unwrap_or(encoding_rs::UTF_8);
    let read = |path: &Path| -> Result<String> {
        let bytes = fs::read(path).map_err(|e| fail(path, e))?;
        Ok(decoder.decode(&bytes).0.into_owned())
    };
    fs::create_dir_all(out).map_err(|e| fail(out, e))?;
    // (reading, left id, right id) → (cost, the entry with its surface replaced).
    let mut entries: HashMap<(String, u32, u32), (i64, String)> = HashMap::new();
    let mut lists: Vec<_> = fs::read_dir(source)
        .map_err(|e| fail(source, e))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    lists.sort();
    for list in lists {
        for line in read(&list)?.lines() {
            let fields: Vec<&str> = line.split(',').collect();
            // surface, left id, right id, cost, 6 parts of speech and forms, base, reading, ...
            let [_, left, right, cost, ..] = fields.as_slice() else { continue };
            let Some(reading) = fields.get(11).filter(|r| !r.is_empty() && **r != "*") else { continue };
            let (Ok(left), Ok(right), Ok(cost)) = (left.parse::<u32>(), right.parse::<u32>(), cost.parse::<i64>()) else {
                continue;
            };
            let entry = std::iter::once(*reading).chain(fields[1..].iter().copied()).collect::<Vec<_>>().join(",");
            let key = (reading.to_string(), left, right);
            if entries.get(&key).is_none_or(|(c, _)| cost < *c) {
                entries.insert(key, (cost, entry));
            }
        }
    }
    let mut rows: Vec<String> = entries.into_values().map(|(_, row)| row).collect();
    rows.sort_unstable();
    let csv = out.join("readings.csv");
    fs::write(&csv, rows.join("\n") + "\n").map_err(|e| fail(&csv, e))?;
    for name in DEFINITIONS {
        let mut text = read(&source.join(name))?;
        if name == "char.def" {
            text = katakana_one_by_one(&text);
        }
        fs::write(out.join(name), text).map_err(|e| fail(&out.join(name), e))?;
    }
    Ok(())
}

/// `char.def` with kana the dictionary has no word for taken one character at a time. IPADIC
/// groups a run of unknown katakana into one word, and all of a run typed in kana would read
/// as one unknown word: cheaper than the words it is made of.
fn katakana_one_by_one(char_def: &str) -> String {
    char_def
        .lines()
        .map(|line| match line.split_whitespace().next() {
            // NAME INVOKE GROUP LENGTH
            Some("KATAKANA") => "KATAKANA 1 0 1",
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}
