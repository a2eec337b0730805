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
//!    unique id from every id that cannot be used as written ([`Rename`]).
//! 3. Write one page per record at `OUT/<id>.md` ([`render_page`]), never replacing a file
//!    unless asked to, and make `OUT/categories.yml` list every category the pages use.
//!    Public records without a category get [`DEFAULT_CATEGORY`], since public pages need one.
//!
//! The folder written passes `kotae check`.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::content::{self, Audience, CATEGORIES_FILE, Diagnostic, is_valid_id, markdown};
use crate::error::{Error, Result};

/// The category of public records that have none.
pub const DEFAULT_CATEGORY: &str = "imported";

/// The display name of [`DEFAULT_CATEGORY`] when the import creates it.
pub const DEFAULT_CATEGORY_NAME: &str = "インポート";

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

    let ids: HashSet<&str> = planned.iter().map(|(_, id)| id.as_str()).collect();
    let mut pages = Vec::new();
    for (record, id) in &planned {
        let category = record
            .category
            .clone()
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
            if let Some(c) = page.category {
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
    let added: Vec<CategoryEntry> = used
        .into_iter()
        .filter(|(id, _)| !known.contains(id.as_str()))
        .map(|(id, public)| CategoryEntry {
            name: if id == DEFAULT_CATEGORY { DEFAULT_CATEGORY_NAME.to_string() } else { id.clone() },
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
        categories_created,
        categories_added: added.into_iter().map(|c| c.id).collect(),
        diagnostics,
    })
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

/// Parse the records of a file (`path` names it in diagnostics).
pub fn read_records(format: Format, path: &Path, data: &[u8]) -> Records {
    let data = data.strip_prefix("\u{FEFF}".as_bytes()).unwrap_or(data);
    let mut records = Records::default();
    match format {
        Format::Jsonl => read_jsonl(path, data, &mut records),
        Format::Csv => read_csv(path, data, &mut records),
    }
    records
}

/// A record's fields as found, before validation.
#[derive(Debug, Default)]
struct RawRecord {
    id: Option<String>,
    title: Option<String>,
    body: Option<String>,
    category: Option<String>,
    tags: Vec<String>,
    aliases: Vec<String>,
    audience: Option<String>,
}

const NOT_UTF8: &str = "not valid UTF-8: save the file as UTF-8";

fn read_jsonl(path: &Path, data: &[u8], out: &mut Records) {
    let mut ignored = HashSet::new();
    for (i, line) in data.split(|b| *b == b'\n').enumerate() {
        let line_no = i + 1;
        if line.trim_ascii().is_empty() {
            continue;
        }
        out.read += 1;
        let mut error = |message: String| out.diagnostics.push(Diagnostic::error(path, line_no, message));
        let Ok(text) = std::str::from_utf8(line) else {
            error(NOT_UTF8.into());
            continue;
        };
        let value: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                // serde_json ends with " at line 1 column C"; the line is ours to report.
                let message = e.to_string();
                let message = message.split(" at line ").next().unwrap_or(&message);
                error(format!("invalid JSON: {message} (column {})", e.column()));
                continue;
            }
        };
        let serde_json::Value::Object(object) = value else {
            error("expected a JSON object with `id`, `title` and `body`".into());
            continue;
        };
        let mut raw = RawRecord::default();
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        for (key, value) in object {
            match key.as_str() {
                "id" => match json_id(&value) {
                    Some(id) => raw.id = id,
                    None => problems.push("`id` must be a string or an integer".into()),
                },
                "title" | "body" | "category" | "audience" => {
                    let text = match value {
                        serde_json::Value::Null => None,
                        serde_json::Value::String(s) => Some(s),
                        _ => {
                            problems.push(format!("`{key}` must be a string"));
                            None
                        }
                    };
                    match key.as_str() {
                        "title" => raw.title = text,
                        "body" => raw.body = text,
                        "category" => raw.category = text,
                        _ => raw.audience = text,
                    }
                }
                "tags" | "aliases" => match json_list(value) {
                    Some(list) if key == "tags" => raw.tags = list,
                    Some(list) => raw.aliases = list,
                    None => problems.push(format!("`{key}` must be a list of strings")),
                },
                _ => {
                    if ignored.insert(key.clone()) {
                        warnings.push(Diagnostic::warning(path, line_no, format!(
                            "field `{key}` is not imported (known fields: {})", FIELDS.join(", ")
                        )));
                    }
                }
            }
        }
        finish(path, line_no, raw, problems, out);
        out.diagnostics.append(&mut warnings);
    }
}

/// A JSON id: a string, or an integer as many tools number their records.
fn json_id(value: &serde_json::Value) -> Option<Option<String>> {
    match value {
        serde_json::Value::Null => Some(None),
        serde_json::Value::String(s) => Some(Some(s.clone())),
        serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => Some(Some(n.to_string())),
        _ => None,
    }
}

/// A JSON list of strings (a single string is a list of one, `null` an empty list).
fn json_list(value: serde_json::Value) -> Option<Vec<String>> {
    match value {
        serde_json::Value::Null => Some(Vec::new()),
        serde_json::Value::String(s) => Some(vec![s]),
        serde_json::Value::Array(items) => items
            .into_iter()
            .map(|v| match v {
                serde_json::Value::String(s) => Some(s),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn read_csv(path: &Path, data: &[u8], out: &mut Records) {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(data);
    let header: Vec<String> = match reader.byte_headers() {
        Ok(h) => h.iter().map(|f| String::from_utf8_lossy(f).trim().to_ascii_lowercase()).collect(),
        Err(e) => {
            out.diagnostics.push(Diagnostic::error(path, 1, format!("cannot read the header row: {e}")));
            return;
        }
    };
    let mut column: HashMap<&str, usize> = HashMap::new();
    for (i, name) in header.iter().enumerate() {
        if FIELDS.contains(&name.as_str()) {
            if column.insert(name, i).is_some() {
                out.diagnostics.push(Diagnostic::error(path, 1, format!("column `{name}` appears twice")));
                return;
            }
        } else {
            out.diagnostics.push(Diagnostic::warning(path, 1, format!(
                "column `{name}` is not imported (known columns: {})", FIELDS.join(", ")
            )));
        }
    }
    let missing: Vec<String> = ["id", "title", "body"]
        .iter()
        .filter(|f| !column.contains_key(*f))
        .map(|f| format!("`{f}`"))
        .collect();
    if !missing.is_empty() {
        out.diagnostics.push(Diagnostic::error(path, 1, format!(
            "the header row has no {} column{}: the first row must name the columns (id, title, body, ...)",
            join_and(&missing),
            if missing.len() > 1 { "s" } else { "" }
        )));
        return;
    }

    let mut lines = LineCounter::new(data);
    for result in reader.byte_records() {
        out.read += 1;
        let record = match result {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(1, |p| lines.line_at(p.byte() as usize));
                let message = match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        format!("expected {expected_len} fields as in the header row, found {len}")
                    }
                    _ => format!("bad CSV: {e}"),
                };
                out.diagnostics.push(Diagnostic::error(path, line, message));
                continue;
            }
        };
        let line = record.position().map_or(1, |p| lines.line_at(p.byte() as usize));
        let field = |name: &str| -> Result<Option<String>, ()> {
            let Some(&i) = column.get(name) else { return Ok(None) };
            let bytes = record.get(i).unwrap_or_default();
            let text = std::str::from_utf8(bytes).map_err(|_| ())?;
            Ok((!text.trim().is_empty()).then(|| text.to_string()))
        };
        let list = |name: &str| -> Result<Vec<String>, ()> {
            Ok(field(name)?.map(|v| v.split('|').map(str::to_string).collect()).unwrap_or_default())
        };
        let raw = (|| {
            Ok::<_, ()>(RawRecord {
                id: field("id")?,
                title: field("title")?,
                body: field("body")?,
                category: field("category")?,
                tags: list("tags")?,
                aliases: list("aliases")?,
                audience: field("audience")?,
            })
        })();
        match raw {
            Ok(raw) => finish(path, line, raw, Vec::new(), out),
            Err(()) => out.diagnostics.push(Diagnostic::error(path, line, NOT_UTF8)),
        }
    }
}

/// The 1-based lines where CSV records start. The `csv` crate's own line count is one short
/// after `\r\n` line ends (a record's position points at the `\n` of the previous line), so
/// lines are counted here from byte offsets, which only ever increase.
struct LineCounter<'a> {
    data: &'a [u8],
    at: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(data: &'a [u8]) -> Self {
        Self { data, at: 0, line: 1 }
    }

    /// The line of the first character at or after `byte` that is not a line end.
    fn line_at(&mut self, byte: usize) -> usize {
        let mut start = byte.min(self.data.len());
        while matches!(self.data.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start >= self.at {
            self.line += self.data[self.at..start].iter().filter(|b| **b == b'\n').count();
            self.at = start;
        }
        self.line
    }
}

/// Validate a raw record: keep it, or report each of its problems.
fn finish(path: &Path, line: usize, raw: RawRecord, mut problems: Vec<String>, out: &mut Records) {
    let text = |v: Option<String>| v.map(|s| s.replace("\r\n", "\n").trim().to_string()).filter(|s| !s.is_empty());
    let id = text(raw.id);
    // A title is one line: line breaks inside it become spaces.
    let title = text(raw.title).map(|t| t.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join(" "));
    let body = raw.body.map(|b| clean_body(&b)).filter(|b| !b.is_empty());
    let missing: Vec<String> = [("id", id.is_none()), ("title", title.is_none()), ("body", body.is_none())]
        .iter()
        .filter(|(_, missing)| *missing)
        .map(|(f, _)| format!("`{f}`"))
        .collect();
    if !missing.is_empty() {
        problems.insert(0, format!("missing {}: every record needs `id`, `title` and `body`", join_and(&missing)));
    }
    let shows_nothing = |b: &String| markdown::analyze(b, 1).sections.iter().all(|s| s.text.is_empty() && s.heading.is_none());
    if body.as_ref().is_some_and(shows_nothing) {
        problems.push("`body` has no text to show (only markup)".into());
    }
    let audience = match text(raw.audience) {
        None => Audience::Public,
        Some(a) => Audience::parse(&a).unwrap_or_else(|| {
            problems.push(format!("unknown audience `{a}`: use `public` or `internal`"));
            Audience::Public
        }),
    };
    if !problems.is_empty() {
        out.diagnostics.extend(problems.into_iter().map(|m| Diagnostic::error(path, line, m)));
        return;
    }
    let list = |v: Vec<String>| -> Vec<String> {
        let mut seen = HashSet::new();
        v.into_iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty() && seen.insert(s.clone()))
            .collect()
    };
    out.records.push(Record {
        line,
        id: id.unwrap_or_default(),
        title: title.unwrap_or_default(),
        body: body.unwrap_or_default(),
        category: text(raw.category),
        tags: list(raw.tags),
        aliases: list(raw.aliases),
        audience,
    });
}

/// A body with `\n` line ends, without leading blank lines or trailing white space.
fn clean_body(body: &str) -> String {
    let body = body.replace("\r\n", "\n").replace('\r', "\n");
    let start = body.lines().take_while(|l| l.trim().is_empty()).map(|l| l.len() + 1).sum::<usize>();
    body.get(start..).unwrap_or("").trim_end().to_string()
}

/// `a`, `a and b`, `a, b and c`.
fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

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

/// The front matter of an imported page, in the README's content format.
#[derive(Serialize)]
struct FrontMatter<'a> {
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    aliases: &'a [String],
    /// Written only for internal pages; public is the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    audience: Option<&'static str>,
}

/// The Markdown file of a record: YAML front matter (serialized, so every value is quoted
/// as YAML needs) and the body.
pub fn render_page(record: &Record, category: Option<&str>) -> Result<String, serde_yaml_ng::Error> {
    let front = FrontMatter {
        title: &record.title,
        category,
        tags: &record.tags,
        aliases: &record.aliases,
        audience: (record.audience == Audience::Internal).then_some("internal"),
    };
    let yaml = serde_yaml_ng::to_string(&front)?;
    let yaml = yaml.strip_prefix("---\n").unwrap_or(&yaml);
    Ok(format!("---\n{yaml}---\n{}\n", record.body))
}

/// An entry of `categories.yml`, as the content loader reads it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryEntry {
    id: String,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    audience: Option<String>,
}

/// The categories of an existing `categories.yml`; `None` if there is no such file.
fn read_categories(path: &Path) -> Result<Option<Vec<CategoryEntry>>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    parse_categories(&text).map(Some).map_err(|e| {
        Error::BadInput(format!("{}: {e}: fix it (`kotae check`) before importing", path.display()))
    })
}

fn parse_categories(text: &str) -> Result<Vec<CategoryEntry>, serde_yaml_ng::Error> {
    let has_content = text.lines().any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    if !has_content {
        return Ok(Vec::new());
    }
    serde_yaml_ng::from_str(text)
}

/// Append `added` to `categories.yml` (creating it if needed), keeping the file's comments;
/// if appending would not read back as the expected list, write the whole list anew.
fn add_categories(path: &Path, existing: Vec<CategoryEntry>, added: &[CategoryEntry]) -> Result<()> {
    let yaml = |entries: &[CategoryEntry]| {
        serde_yaml_ng::to_string(entries).map_err(|e| Error::BadInput(format!("{}: {e}", path.display())))
    };
    let mut text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            "# Categories of the help center, in display order (`kotae import` added the ones it needed).\n".to_string()
        }
        Err(e) => return Err(Error::io(path, e)),
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&yaml(added)?);
    let expected: Vec<&str> = existing.iter().chain(added).map(|c| c.id.as_str()).collect();
    let reads_back = parse_categories(&text)
        .is_ok_and(|got| got.iter().map(|c| c.id.as_str()).eq(expected.iter().copied()));
    if !reads_back {
        let all: Vec<CategoryEntry> = existing.into_iter().chain(added.iter().cloned()).collect();
        text = yaml(&all)?;
    }
    std::fs::write(path, text).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::frontmatter;

    fn jsonl(text: &str) -> Records {
        read_records(Format::Jsonl, Path::new("faq.jsonl"), text.as_bytes())
    }

    fn csv(text: &str) -> Records {
        read_records(Format::Csv, Path::new("faq.csv"), text.as_bytes())
    }

    fn messages(diagnostics: &[Diagnostic]) -> Vec<String> {
        diagnostics.iter().map(ToString::to_string).collect()
    }

    fn record(line: usize, id: &str) -> Record {
        Record {
            line,
            id: id.into(),
            title: "t".into(),
            body: "b".into(),
            category: None,
            tags: vec![],
            aliases: vec![],
            audience: Audience::Public,
        }
    }

    #[test]
    fn jsonl_records_with_every_field() {
        let got = jsonl(concat!(
            r#"{"id": "orders/cancel", "title": " 注文を取り消したい ", "body": "マイページから。\r\n\r\n", "category": "orders", "tags": ["キャンセル", " 注文 ", ""], "aliases": ["取り消し"], "audience": "internal"}"#,
            "\n\n",
            r#"{"id": 42, "title": "番号だけのID", "body": "本文"}"#,
            "\n",
        ));
        assert!(got.diagnostics.is_empty(), "{:?}", messages(&got.diagnostics));
        assert_eq!(got.read, 2);
        let r = &got.records[0];
        assert_eq!((r.line, r.id.as_str(), r.title.as_str(), r.body.as_str()), (1, "orders/cancel", "注文を取り消したい", "マイページから。"));
        assert_eq!(r.category.as_deref(), Some("orders"));
        assert_eq!(r.tags, vec!["キャンセル", "注文"]);
        assert_eq!(r.aliases, vec!["取り消し"]);
        assert_eq!(r.audience, Audience::Internal);
        assert_eq!((got.records[1].line, got.records[1].id.as_str()), (3, "42"));
        assert_eq!(got.records[1].audience, Audience::Public);
    }

    #[test]
    fn jsonl_errors_name_their_line() {
        let got = jsonl(concat!(
            "{\"id\": \"a\", \"title\": \"A\", \"body\": \"本文\"}\n",
            "{\"id\": \"b\", \"title\": \"B\", \"body\": \n",
            "{\"id\": \"c\", \"body\": \"本文\"}\n",
            "{\"title\": \"D\", \"body\": \"  \"}\n",
            "{\"id\": \"e\", \"title\": \"E\", \"body\": \"本文\", \"audience\": \"staff\"}\n",
            "[1, 2]\n",
            "{\"id\": \"g\", \"title\": \"G\", \"body\": \"本文\", \"tags\": \"x\", \"aliases\": [1], \"url\": \"/g\"}\n",
            "{\"id\": \"h\", \"title\": \"H\", \"body\": \"<!-- -->\", \"url\": \"/h\"}\n",
        ));
        assert_eq!(got.read, 8);
        assert_eq!(got.records.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["a"]);
        assert_eq!(messages(&got.diagnostics), [
            "faq.jsonl:2: invalid JSON: EOF while parsing a value (column 34)",
            "faq.jsonl:3: missing `title`: every record needs `id`, `title` and `body`",
            "faq.jsonl:4: missing `id` and `body`: every record needs `id`, `title` and `body`",
            "faq.jsonl:5: unknown audience `staff`: use `public` or `internal`",
            "faq.jsonl:6: expected a JSON object with `id`, `title` and `body`",
            "faq.jsonl:7: `aliases` must be a list of strings",
            "faq.jsonl:7: warning: field `url` is not imported (known fields: id, title, body, category, tags, aliases, audience)",
            "faq.jsonl:8: `body` has no text to show (only markup)",
        ]);
    }

    #[test]
    fn jsonl_rejects_bad_utf8() {
        let mut data = b"{\"id\": \"a\", \"title\": \"A\", \"body\": \"x\"}\n".to_vec();
        data.extend_from_slice(b"{\"id\": \"b\", \"title\": \"\xff\", \"body\": \"x\"}\n");
        let got = read_records(Format::Jsonl, Path::new("f.jsonl"), &data);
        assert_eq!(got.records.len(), 1);
        assert_eq!(messages(&got.diagnostics), ["f.jsonl:2: not valid UTF-8: save the file as UTF-8"]);
    }

    #[test]
    fn csv_with_quoted_commas_newlines_and_lists() {
        let got = csv(concat!(
            "\u{FEFF}id,title,body,category,tags,aliases,audience\r\n",
            "returns/how,\"返品したい, どうすれば?\",\"1行目\r\n\r\n2行目, \"\"引用\"\"\",returns,返品|交換| ,返品方法,\r\n",
            "manual/x,社内,手順,,,,internal\r\n",
        ));
        assert!(got.diagnostics.is_empty(), "{:?}", messages(&got.diagnostics));
        assert_eq!(got.read, 2);
        let r = &got.records[0];
        assert_eq!(r.line, 2);
        assert_eq!(r.title, "返品したい, どうすれば?");
        assert_eq!(r.body, "1行目\n\n2行目, \"引用\"");
        assert_eq!(r.category.as_deref(), Some("returns"));
        assert_eq!(r.tags, vec!["返品", "交換"]);
        assert_eq!(r.aliases, vec!["返品方法"]);
        assert_eq!(r.audience, Audience::Public);
        // The multi-line body moved the next record's line.
        let r = &got.records[1];
        assert_eq!((r.line, r.id.as_str(), r.audience, r.category.as_deref()), (5, "manual/x", Audience::Internal, None));
    }

    #[test]
    fn csv_errors_name_their_line() {
        let got = csv(concat!(
            "id,title,body,notes\n",
            "a,A,\"本文\nの続き\",メモ\n",
            "b,,本文,\n",
            "c,C,本文\n",
            "a,A2,本文,\n",
        ));
        assert_eq!(got.read, 4);
        assert_eq!(got.records.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 6]);
        assert_eq!(messages(&got.diagnostics), [
            "faq.csv:1: warning: column `notes` is not imported (known columns: id, title, body, category, tags, aliases, audience)",
            "faq.csv:4: missing `title`: every record needs `id`, `title` and `body`",
            "faq.csv:5: expected 4 fields as in the header row, found 3",
        ]);
        // Duplicates are found when ids are assigned.
        let mut diagnostics = Vec::new();
        let (planned, _) = assign_ids(got.records, Path::new("faq.csv"), &mut diagnostics);
        assert_eq!(planned.len(), 1);
        assert_eq!(messages(&diagnostics), ["faq.csv:6: duplicate id `a`: line 2 uses it too"]);
    }

    #[test]
    fn csv_without_required_columns_is_refused() {
        let got = csv("id,question,answer\n1,Q,A\n");
        assert!(got.records.is_empty());
        let errors: Vec<String> = got.diagnostics.iter().filter(|d| d.is_error()).map(ToString::to_string).collect();
        assert_eq!(errors, ["faq.csv:1: the header row has no `title` and `body` columns: the first row must name the columns (id, title, body, ...)"]);
    }

    #[test]
    fn invalid_ids_are_rewritten_uniquely_and_deterministically() {
        let records = vec![
            record(1, "FAQ 1"),
            record(2, "faq-1"),
            record(3, "Ｑ＆Ａ/Returns!"),
            record(4, "返品について"),
            record(5, "_draft"),
            record(6, "help/README"),
            record(7, "jsq-a10336p0"),
            record(8, "faq_1?"),
            record(9, "jsq-a10336p0"),
        ];
        let mut diagnostics = Vec::new();
        let (planned, renames) = assign_ids(records, Path::new("f"), &mut diagnostics);
        let ids: Vec<&str> = planned.iter().map(|(_, id)| id.as_str()).collect();
        assert_eq!(ids, ["faq-1-2", "faq-1", "q-a/returns", "record-4", "draft", "help/readme-2", "jsq-a10336p0", "faq_1"]);
        assert!(ids.iter().all(|id| is_valid_id(id)));
        assert_eq!(renames.len(), 6);
        assert_eq!(renames[0], Rename { line: 1, from: "FAQ 1".into(), to: "faq-1-2".into() });
        assert_eq!(messages(&diagnostics), ["f:9: duplicate id `jsq-a10336p0`: line 7 uses it too"]);
    }

    #[test]
    fn front_matter_is_valid_yaml_whatever_the_values() {
        let mut r = record(1, "x");
        r.title = "「はい」: yes # not a comment".into();
        r.tags = vec!["yes".into(), "123".into(), "- dash".into(), "null".into(), "'quote'\"".into()];
        r.aliases = vec!["---".into(), "a: b".into(), "@at".into()];
        r.audience = Audience::Internal;
        r.body = "---\n本文".into();
        let text = render_page(&r, Some("2026-01-01")).unwrap();
        let split = frontmatter::split(&text).unwrap();
        let fm = frontmatter::parse(split.yaml, split.yaml_line).unwrap();
        assert_eq!(fm.title.as_deref(), Some(r.title.as_str()));
        assert_eq!(fm.category.as_deref(), Some("2026-01-01"));
        assert_eq!(fm.tags, r.tags);
        assert_eq!(fm.aliases, r.aliases);
        assert_eq!(fm.audience.as_deref(), Some("internal"));
        assert_eq!(split.body, "---\n本文\n");
    }

    #[test]
    fn a_public_page_without_extras_is_minimal() {
        let r = record(1, "x");
        assert_eq!(render_page(&r, Some("imported")).unwrap(), "---\ntitle: t\ncategory: imported\n---\nb\n");
    }

    #[test]
    fn import_writes_pages_and_categories_that_pass_the_check() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("faq.jsonl");
        std::fs::write(&source, concat!(
            "{\"id\": \"Q1\", \"title\": \"返品したい\", \"body\": \"[交換](/articles/q2)もできます。\"}\n",
            "{\"id\": \"q2\", \"title\": \"交換したい\", \"body\": \"本文\", \"category\": \"returns\"}\n",
            "{\"id\": \"ops/manual\", \"title\": \"返品の手順\", \"body\": \"## 手順\\n倉庫へ\", \"category\": \"ops\", \"audience\": \"internal\"}\n",
            "{\"id\": \"q3\", \"title\": \"\", \"body\": \"本文\"}\n",
        )).unwrap();
        let out = dir.path().join("content");
        let options = ImportOptions { source: source.clone(), format: Format::Jsonl, out: out.clone(), overwrite: false };
        let report = import(&options).unwrap();
        assert_eq!((report.read, report.written, report.skipped), (4, 3, 1));
        assert!(report.has_errors());
        assert_eq!(report.renames, vec![Rename { line: 1, from: "Q1".into(), to: "q1".into() }]);
        assert!(report.categories_created);
        assert_eq!(report.categories_added, ["imported", "returns", "ops"]);
        let categories = std::fs::read_to_string(out.join(CATEGORIES_FILE)).unwrap();
        assert!(categories.contains("- id: imported\n  name: インポート\n"), "{categories}");
        assert!(categories.contains("- id: ops\n  name: ops\n  audience: internal\n"), "{categories}");

        let loaded = content::load(&out, chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        assert!(loaded.diagnostics.is_empty(), "{:?}", messages(&loaded.diagnostics));
        let mut ids: Vec<&str> = loaded.corpus.pages.iter().map(|p| p.id.as_str()).collect();
        ids.sort();
        assert_eq!(ids, ["ops/manual", "q1", "q2"]);

        // A second run refuses to replace the pages; with --overwrite it replaces them and
        // adds no category twice.
        let again = import(&options).unwrap();
        assert_eq!(again.written, 0);
        assert!(messages(&again.diagnostics).contains(&format!(
            "{}:2: {} already exists: use --overwrite to replace it", source.display(), out.join("q2.md").display()
        )));
        let again = import(&ImportOptions { overwrite: true, ..options }).unwrap();
        assert_eq!((again.written, again.skipped), (3, 1));
        assert!(again.categories_added.is_empty());
        assert_eq!(std::fs::read_to_string(out.join(CATEGORIES_FILE)).unwrap(), categories);
    }

    #[test]
    fn import_appends_missing_categories_and_respects_internal_ones() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("content");
        std::fs::create_dir_all(&out).unwrap();
        let before = "# ours\n- id: orders\n  name: ご注文\n- id: manual\n  name: マニュアル\n  audience: internal";
        std::fs::write(out.join(CATEGORIES_FILE), before).unwrap();
        let source = dir.path().join("faq.csv");
        std::fs::write(&source, "id,title,body,category\na,A,本文,orders\nb,B,本文,\nc,C,本文,manual\nd,D,本文,shoes\n").unwrap();
        let report = import(&ImportOptions { source, format: Format::Csv, out: out.clone(), overwrite: false }).unwrap();
        assert_eq!((report.written, report.skipped), (3, 1));
        assert!(messages(&report.diagnostics)[0].ends_with(":4: category `manual` is internal but this record is public: set `audience` to `internal` or pick a public category"));
        assert!(!report.categories_created);
        assert_eq!(report.categories_added, ["imported", "shoes"]);
        let after = std::fs::read_to_string(out.join(CATEGORIES_FILE)).unwrap();
        assert_eq!(after, format!("{before}\n- id: imported\n  name: インポート\n- id: shoes\n  name: shoes\n"));
        let loaded = content::load(&out, chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        assert!(loaded.diagnostics.is_empty(), "{:?}", messages(&loaded.diagnostics));
    }

    #[test]
    fn formats_from_file_names() {
        assert_eq!(Format::from_path(Path::new("a/faq.JSONL")), Some(Format::Jsonl));
        assert_eq!(Format::from_path(Path::new("faq.csv")), Some(Format::Csv));
        assert_eq!(Format::from_path(Path::new("faq.txt")), None);
    }
}
