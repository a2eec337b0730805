//! How do FAQ records exported from another tool become pages of a content folder?
//!
//! A record has an `id`, a `title` and a `body`, and may have a `category`, `tags`, `aliases`
//! and an `audience`. Records come as JSON lines (one object a line; `tags` and `aliases` are
//! arrays of strings) or as CSV with a header row (`tags` and `aliases` separated by `|`).
//!
//! [`import`] works in three steps, each usable on its own:
//!
//! 1. [`read_records`]: parse the file; every bad record is a [`Diagnostic`] at its line
//!    (`FILE:line: message`) and is skipped, the others are kept.
//! 2. [`assign_ids`]: keep valid ids as they are, reject duplicates, and derive a valid,
//!    unique id from every id that cannot be used as written ([`Rename`]);
//!    [`assign_categories`] does the same for categories (a category is an id too, see
//!    [`kotae_core::content::ids`]), naming each new category as the records wrote it.
//! 3. Write one page per record at `OUT/<id>.md` ([`render_page`]), never replacing a file
//!    unless asked to, and make `OUT/categories.yml` list every category the pages use.
//!    Public records without a category get [`DEFAULT_CATEGORY`], since public pages need one.
//!
//! The folder written passes `kotae check`.
//!
//! The steps live in [`read`] (records from JSON lines or CSV), [`ids`] (page ids) and
//! [`mod@write`] (pages and `categories.yml`).

pub mod ids;
pub mod read;
pub mod write;

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use kotae_core::content::{self, Audience, CATEGORIES_FILE, Diagnostic, markdown};
use kotae_core::error::{Error, Result};

pub use ids::{Categories, assign_categories, assign_ids};
pub use read::read_records;
pub use write::render_page;
use write::{CategoryEntry, add_categories, read_categories};


/// The category of public records that have none.
pub const DEFAULT_CATEGORY: &str = "imported";

/// The display name of [`DEFAULT_CATEGORY`] when the import creates it: what customers see
/// on its chip, so a plain 「その他」 rather than how the pages arrived.
pub const DEFAULT_CATEGORY_NAME: &str = "その他";

/// The fields a record may have; any other field or column is ignored with a warning.
const FIELDS: [&str; 7] = ["id", "title", "body", "category", "tags", "aliases", "audience"];

/// How the records are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON lines: one JSON object a line.
    Jsonl,
    /// CSV with a header row naming the fields.
    Csv,
}

impl Format {
    /// The format a file name suggests (`.jsonl`, `.ndjson`, `.csv`), if any.
    pub fn from_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// One valid record, as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The 1-based line of the source file where the record starts.
    pub line: usize,
    /// The id as written in the source (it may still need rewriting, see [`assign_ids`]).
    pub id: String,
    pub title: String,
    /// The answer in Markdown, with `\n` line ends and no trailing blank lines.
    pub body: String,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub aliases: Vec<String>,
    pub audience: Audience,
}

/// What [`read_records`] found in a file.
#[derive(Debug, Default)]
pub struct Records {
    /// How many records the file has, good and bad.
    pub read: usize,
    /// The good ones, in file order.
    pub records: Vec<Record>,
    /// One error for each problem of a bad record, and warnings (ignored fields).
    pub diagnostics: Vec<Diagnostic>,
}

/// A source id that could not be used as written, and the id used instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    pub line: usize,
    pub from: String,
    pub to: String,
}

/// What to import, and where.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// The records file; diagnostics name it as given.
    pub source: PathBuf,
    pub format: Format,
    /// The content folder to write into (created if needed).
    pub out: PathBuf,
    /// Replace existing page files instead of refusing to.
    pub overwrite: bool,
}

/// What [`import`] did.
#[derive(Debug, Default)]
pub struct Report {
    /// Records in the source file, good and bad.
    pub read: usize,
    /// Pages written.
    pub written: usize,
    /// Records not written (bad, or their page already existed).
    pub skipped: usize,
    /// Ids that were rewritten to be valid and unique.
    pub renames: Vec<Rename>,
    /// Categories that were rewritten to be valid ids (each once, at its first record).
    pub category_renames: Vec<Rename>,
    /// Whether `categories.yml` was created (rather than appended to).
    pub categories_created: bool,
    /// Category ids added to `categories.yml`, in order.
    pub categories_added: Vec<String>,
    /// Problems, in line order: errors for skipped records, and warnings.
    pub diagnostics: Vec<Diagnostic>,
}

impl Report {
    /// Whether any record was bad (warnings do not count).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Import the records of `options.source` into the content folder `options.out`.
///
/// Bad records are reported in [`Report::diagnostics`] and skipped; an `Err` means the import
/// could not run at all (unreadable source, unwritable folder, broken `categories.yml`).
pub fn import(options: &ImportOptions) -> Result<Report> {
    let source = &options.source;
    let data = std::fs::read(source).map_err(|e| Error::io(source, e))?;
    let Records { read, records, mut diagnostics } = read_records(options.format, source, &data);
    let (planned, renames) = assign_ids(records, source, &mut diagnostics);

    let out = &options.out;
    let categories_path = out.join(CATEGORIES_FILE);
    let existing = read_categories(&categories_path)?;
    let internal: HashSet<&str> = existing
        .iter()
        .flatten()
        .filter(|c| c.audience.as_deref() == Some("internal"))
        .map(|c| c.id.as_str())
        .collect();
    let named: Vec<(String, String)> = existing.iter().flatten().map(|c| (c.id.clone(), c.name.clone())).collect();
    let categories = assign_categories(planned.iter().map(|(record, _)| record), &named);

    let ids: HashSet<&str> = planned.iter().map(|(_, id)| id.as_str()).collect();
    let mut pages = Vec::new();
    for (record, id) in &planned {
        let category = record
            .category
            .as_deref()
            .map(|c| categories.id(c).to_string())
            .or_else(|| (record.audience == Audience::Public).then(|| DEFAULT_CATEGORY.to_string()));
        if let Some(c) = category.as_deref().filter(|c| record.audience == Audience::Public && internal.contains(c)) {
            diagnostics.push(Diagnostic::error(source, record.line, format!(
                "category `{c}` is internal but this record is public: set `audience` to `internal` or pick a public category"
            )));
            continue;
        }
        for link in markdown::analyze(&record.body, 1).links {
            let Some(rest) = link.dest.strip_prefix("/articles/") else { continue };
            let target = rest.split(['#', '?']).next().unwrap_or("");
            if !ids.contains(target) && !out.join(format!("{target}.md")).is_file() {
                diagnostics.push(Diagnostic::warning(source, record.line, format!(
                    "`body` links to unknown article `{target}`: `kotae check` will report it"
                )));
            }
        }
        pages.push((record, id, category));
    }

    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    // Categories used by pages already in a folder without categories.yml: once the file
    // exists they must be listed in it too.
    let mut used: Vec<(String, bool)> = Vec::new();
    if existing.is_none() {
        for page in content::load(out, chrono::NaiveDate::MIN).corpus.pages {
            // A category that is not an id is `kotae check`'s to report, not ours to list.
            if let Some(c) = page.category.filter(|c| content::is_valid_id(c)) {
                note_category(&mut used, c, page.audience);
            }
        }
    }
    let mut written = 0;
    for (record, id, category) in pages {
        let path = out.join(format!("{id}.md"));
        let text = render_page(record, category.as_deref())
            .map_err(|e| Error::BadInput(format!("{}:{}: cannot write the front matter: {e}", source.display(), record.line)))?;
        if write_page(&path, &text, options.overwrite)? {
            written += 1;
            if let Some(c) = category {
                note_category(&mut used, c, record.audience);
            }
        } else {
            diagnostics.push(Diagnostic::error(source, record.line, format!(
                "{} already exists: use --overwrite to replace it", path.display()
            )));
        }
    }

    let known: HashSet<&str> = existing.iter().flatten().map(|c| c.id.as_str()).collect();
    // A new category is named as the records wrote it; when they wrote an id, the id made
    // readable (`store-hours` → `Store hours`), never the bare id.
    let name_of = |id: &str| -> String {
        if id == DEFAULT_CATEGORY {
            return DEFAULT_CATEGORY_NAME.to_string();
        }
        match categories.ids.iter().find(|(_, to)| *to == id) {
            Some((text, _)) => text.clone(),
            None => readable_name(id),
        }
    };
    let added: Vec<CategoryEntry> = used
        .into_iter()
        .filter(|(id, _)| !known.contains(id.as_str()))
        .map(|(id, public)| CategoryEntry {
            name: name_of(&id),
            id,
            description: None,
            audience: (!public).then(|| "internal".to_string()),
        })
        .collect();
    let categories_created = existing.is_none() && !added.is_empty();
    if !added.is_empty() {
        add_categories(&categories_path, existing.unwrap_or_default(), &added)?;
    }

    diagnostics.sort_by_key(|d| d.line);
    Ok(Report {
        read,
        written,
        skipped: read - written,
        renames,
        category_renames: categories.renames,
        categories_created,
        categories_added: added.into_iter().map(|c| c.id).collect(),
        diagnostics,
    })
}

/// A category id as a name: separators as spaces, the first letter in capitals.
pub fn readable_name(id: &str) -> String {
    let words = id.replace(['-', '_', '/'], " ");
    let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = words.chars();
    chars.next().map_or_else(|| id.to_string(), |c| c.to_uppercase().chain(chars).collect())
}

/// Remember that a page of `audience` uses category `id`; a category is public as soon as one
/// public page uses it.
fn note_category(used: &mut Vec<(String, bool)>, id: String, audience: Audience) {
    let public = audience == Audience::Public;
    match used.iter_mut().find(|(c, _)| *c == id) {
        Some(entry) => entry.1 |= public,
        None => used.push((id, public)),
    }
}

/// Write `text` to `path`; `Ok(false)` if the file exists and `overwrite` is off.
fn write_page(path: &Path, text: &str, overwrite: bool) -> Result<bool> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    if overwrite {
        std::fs::write(path, text).map_err(|e| Error::io(path, e))?;
        return Ok(true);
    }
    match std::fs::OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(mut file) => {
            file.write_all(text.as_bytes()).map_err(|e| Error::io(path, e))?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(Error::io(path, e)),
    }
}


#[cfg(test)]
mod tests;
