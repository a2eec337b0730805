//! Page ids for records: valid ids kept, others rewritten into valid, unique ones.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use kotae_core::content::{Diagnostic, is_valid_id};
use unicode_normalization::UnicodeNormalization;

use super::{Record, Rename};

/// Give every record its page id.
///
/// Ids used by several records are errors (the later records are skipped). An id that is
/// not valid (see [`is_valid_id`]), or that would name a file `kotae check` does not read as a
/// page (a segment starting with `_`, a `readme`), is rewritten deterministically: lower case,
/// other characters replaced by `-`, and a `-2`, `-3`... suffix if that id is taken.
pub fn assign_ids(records: Vec<Record>, path: &Path, diagnostics: &mut Vec<Diagnostic>) -> (Vec<(Record, String)>, Vec<Rename>) {
    let mut first_line: HashMap<String, usize> = HashMap::new();
    let mut unique = Vec::new();
    for record in records {
        if let Some(line) = first_line.get(&record.id) {
            diagnostics.push(Diagnostic::error(path, record.line, format!(
                "duplicate id `{}`: line {line} uses it too", record.id
            )));
            continue;
        }
        first_line.insert(record.id.clone(), record.line);
        unique.push(record);
    }
    // Usable ids are reserved first, so a rewritten id never takes one a later record uses.
    let mut taken: HashSet<String> = unique.iter().filter(|r| is_usable_id(&r.id)).map(|r| r.id.clone()).collect();
    let mut renames = Vec::new();
    let planned = unique
        .into_iter()
        .map(|record| {
            if is_usable_id(&record.id) {
                let id = record.id.clone();
                return (record, id);
            }
            let base = derive_id(&record.id, record.line);
            let id = std::iter::once(base.clone())
                .chain((2..).map(|n| format!("{base}-{n}")))
                .find(|id| is_usable_id(id) && !taken.contains(id))
                .unwrap_or_default();
            taken.insert(id.clone());
            renames.push(Rename { line: record.line, from: record.id.clone(), to: id.clone() });
            (record, id)
        })
        .collect();
    (planned, renames)
}

/// Whether `id` can be written as `OUT/<id>.md` and read back with the same id.
fn is_usable_id(id: &str) -> bool {
    is_valid_id(id)
        && !id.split('/').any(|seg| seg.starts_with('_'))
        && id.rsplit('/').next().is_none_or(|last| last != "readme")
}

/// A valid id made from `id`: NFKC, lower case, runs of other characters as one `-`,
/// `-` and `_` trimmed from each segment; `record-LINE` if nothing is left.
fn derive_id(id: &str, line: usize) -> String {
    let lowered: String = id.nfkc().collect::<String>().to_ascii_lowercase();
    let segments: Vec<String> = lowered
        .split('/')
        .map(|seg| {
            let mut out = String::new();
            for c in seg.chars() {
                if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
                    out.push(c);
                } else if !out.ends_with('-') {
                    out.push('-');
                }
            }
            out.trim_matches(['-', '_']).to_string()
        })
        .filter(|seg| !seg.is_empty())
        .collect();
    if segments.is_empty() { format!("record-{line}") } else { segments.join("/") }
}

