//! Page and category ids for records: valid ids kept, others rewritten into valid, unique ones.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use kotae_core::content::{self, Diagnostic, is_valid_id};

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

/// A valid id made from `id` ([`content::ids::derive_id`]); `record-LINE` if nothing is left.
fn derive_id(id: &str, line: usize) -> String {
    content::ids::derive_id(id).unwrap_or_else(|| format!("record-{line}"))
}

/// The category ids records use, and their names.
#[derive(Debug, Default)]
pub struct Categories {
    /// A record's category as written → the id its page uses.
    pub ids: HashMap<String, String>,
    /// Categories written as something that is not a valid id ([`content::ids::ID_RULE`]).
    pub renames: Vec<Rename>,
}

impl Categories {
    /// The id used for the category written `text`.
    pub fn id<'a>(&'a self, text: &'a str) -> &'a str {
        self.ids.get(text).map_or(text, String::as_str)
    }
}

/// Give every category the records name a valid id.
///
/// A category written as a valid id keeps it. Any other is rewritten like a page id: to the id
/// of the existing category of `categories.yml` named exactly that (an earlier import wrote it
/// so), else to an id derived from it that no other category has (`-2`, `-3`... added); its
/// first record's line names it in the renames. `existing` is `categories.yml`'s (id, name)
/// pairs.
pub fn assign_categories<'a>(records: impl IntoIterator<Item = &'a Record>, existing: &[(String, String)]) -> Categories {
    let records: Vec<&Record> = records.into_iter().collect();
    let mut taken: HashSet<String> = existing.iter().map(|(id, _)| id.clone()).collect();
    taken.extend(records.iter().filter_map(|r| r.category.clone()).filter(|c| is_valid_id(c)));
    let mut out = Categories::default();
    for record in records {
        let Some(text) = record.category.as_deref().filter(|c| !is_valid_id(c)) else { continue };
        if out.ids.contains_key(text) {
            continue;
        }
        let id = match existing.iter().find(|(_, name)| name == text) {
            Some((id, _)) => id.clone(),
            None => {
                let base = content::ids::derive_id(text).unwrap_or_else(|| format!("category-{}", record.line));
                let id = std::iter::once(base.clone())
                    .chain((2..).map(|n| format!("{base}-{n}")))
                    .find(|id| !taken.contains(id))
                    .unwrap_or_default();
                taken.insert(id.clone());
                id
            }
        };
        out.renames.push(Rename { line: record.line, from: text.to_string(), to: id.clone() });
        out.ids.insert(text.to_string(), id);
    }
    out
}
