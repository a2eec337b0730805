//! What is in the content folder, and is it valid?
//!
//! [`load`] reads every `*.md` file (and `categories.yml`) of a content folder into a
//! [`Corpus`], and returns a [`Diagnostic`] for every problem found, as `path:line: message`.
//! Reading never stops at the first problem: a writer sees all of them at once.

pub mod diagnostic;
pub mod frontmatter;
pub mod ids;
pub mod images;
pub mod markdown;
pub mod model;
mod pins;
pub mod plain;
pub mod yaml;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rayon::prelude::*;

pub use diagnostic::{Diagnostic, Severity};
pub use ids::{ID_RULE, is_valid_id};
pub use model::{Audience, Category, ContactChannel, Page, PageImage, Section, Site};

/// The name of the categories file at the root of the content folder.
pub const CATEGORIES_FILE: &str = "categories.yml";
/// The name of the help center settings file at the root of the content folder.
pub const SITE_FILE: &str = "site.yml";
/// The name of the synonyms file at the root of the content folder.
pub const SYNONYMS_FILE: &str = "synonyms.txt";

/// Content files one parallel task reads and parses.
const PAGES_PER_TASK: usize = 256;

/// Every page and category of a content folder.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    /// The content folder, as given.
    pub root: PathBuf,
    /// Categories in the order the help page lists them.
    pub categories: Vec<Category>,
    /// Pages in path order.
    pub pages: Vec<Page>,
    /// The help center's name and contact channels.
    pub site: Site,
    /// Synonym groups from `synonyms.txt`.
    pub synonyms: Vec<Vec<String>>,
}

/// A loaded corpus and the problems found while loading it.
#[derive(Debug)]
pub struct Loaded {
    pub corpus: Corpus,
    pub diagnostics: Vec<Diagnostic>,
}

impl Loaded {
    /// Whether any diagnostic is an error (warnings do not count).
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

impl Corpus {
    pub fn new(root: PathBuf, categories: Vec<Category>, pages: Vec<Page>, site: Site, synonyms: Vec<Vec<String>>) -> Self {
        Corpus { root, categories, pages, site, synonyms }
    }
}

/// Load and validate the content folder at `root`, as of the date `today` (for review dates).
pub fn load(root: &Path, today: NaiveDate) -> Loaded {
    let mut diagnostics = Vec::new();
    let categories = load_categories(root, &mut diagnostics);
    let site = load_site(root, &mut diagnostics);
    let synonyms = load_synonyms(root, &mut diagnostics);
    let mut pages = Vec::new();

    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !is_hidden(e.file_name()))
        .filter_map(|e| match e {
            Ok(e) => Some(e),
            Err(err) => {
                let path = err.path().map(Path::to_path_buf).unwrap_or_else(|| root.to_path_buf());
                diagnostics.push(Diagnostic::error(path, 1, format!("cannot read: {err}")));
                None
            }
        })
        .filter(|e| e.file_type().is_file() && is_page_file(e.path()))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    if files.is_empty() && !root.is_dir() {
        diagnostics.push(Diagnostic::error(root, 1, "no such content folder"));
    }

    // Ids of files whose front matter could not be read at all: links to them are not
    // reported again as unknown.
    let mut unreadable = Vec::new();
    // Pages are read and parsed on every core (rayon), in chunks; each file's result keeps its
    // place.
    let image_cache = images::Cache::default();
    let mut parts: Vec<_> = files.par_chunks(PAGES_PER_TASK).map(|part| {
        let mut found = Vec::with_capacity(part.len());
        let mut problems = Vec::new();
        for path in part {
            found.push(load_page(root, path, &categories, &image_cache, today, &mut problems));
        }
        (found, problems)
    }).collect();
    for (path, page) in files.iter().zip(parts.iter_mut().flat_map(|(found, _)| found.drain(..))) {
        match page {
            Some(page) => pages.push(page),
            None => unreadable.push(default_id(path.strip_prefix(root).unwrap_or(path))),
        }
    }
    diagnostics.extend(parts.into_iter().flat_map(|(_, problems)| problems));
    check_links(root, &pages, &unreadable, &mut diagnostics);
    diagnostics.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    Loaded { corpus: Corpus::new(root.to_path_buf(), categories, pages, site, synonyms), diagnostics }
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.to_str().is_some_and(|n| n.starts_with('.') || n.starts_with('_'))
}

/// Pages are `*.md` files; `README.md` files document the folder and are not pages.
fn is_page_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "md")
        && !path.file_name().is_some_and(|n| n.eq_ignore_ascii_case("README.md"))
}

struct RawCategory {
    id: String,
    name: String,
    description: String,
    audience: Option<String>,
}

const CATEGORY_FIELDS: &[&str] = &["id", "name", "description", "audience"];

/// A file's YAML, or its problem at its line.
fn read_yaml(path: &Path, text: &str) -> Result<serde_yaml_ng::Value, Diagnostic> {
    yaml::parse(text, 1).map_err(|e| Diagnostic::error(path, e.line, e.message))
}

/// A message of serde without its type names, for `site.yml`.
fn plain_serde_message(e: &serde_yaml_ng::Error) -> String {
    let raw = e.to_string();
    let raw = raw.split(" at line ").next().unwrap_or(&raw);
    if let Some(rest) = raw.strip_prefix("unknown field ") {
        return format!("unknown field {}", rest.split(',').next().unwrap_or(rest));
    }
    if let Some(field) = raw.strip_prefix("missing field ") {
        return format!("missing {field}");
    }
    "a field has the wrong kind of value: `name` and each contact's `kind`, `label`, `value`, `hours` \
     and `url` are text, and `contact` is a list of `- kind: ...` items".to_string()
}
/// `synonyms.txt`: one group per line, members separated by commas (`,` or `、`).
fn load_synonyms(root: &Path, diagnostics: &mut Vec<Diagnostic>) -> Vec<Vec<String>> {
    let path = root.join(SYNONYMS_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Vec::new();
    };
    let mut groups = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let members: Vec<String> = line.split([',', '、', '，']).map(|m| m.trim().to_string()).collect();
        if members.iter().any(String::is_empty) {
            diagnostics.push(Diagnostic::error(&path, i + 1, "empty synonym: remove the extra comma"));
        } else if members.len() < 2 {
            diagnostics.push(Diagnostic::error(&path, i + 1, "a synonym group needs at least two words, separated by commas"));
        } else {
            groups.push(members);
        }
    }
    groups
}

fn load_site(root: &Path, diagnostics: &mut Vec<Diagnostic>) -> Site {
    let path = root.join(SITE_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Site::default();
    };
    let value = match read_yaml(&path, &text) {
        Ok(v) => v,
        Err(d) => {
            diagnostics.push(d);
            return Site::default();
        }
    };
    match serde_yaml_ng::from_value(value) {
        Ok(site) => site,
        Err(e) => {
            diagnostics.push(Diagnostic::error(&path, 1, format!("{SITE_FILE}: {}", plain_serde_message(&e))));
            Site::default()
        }
    }
}

/// One item of `categories.yml`, whose lines start at `start`; a problem at its line.
fn category_of(text: &str, start: usize, item: &serde_yaml_ng::Value, example: &str) -> Result<RawCategory, (usize, String)> {
    let line_of = |key: &str| {
        text.lines()
            .enumerate()
            .skip(start - 1)
            .take_while(|(i, l)| *i + 1 == start || !l.trim_start().starts_with("- ") || l.starts_with("  "))
            .find(|(_, l)| {
                let l = l.trim_start().trim_start_matches("- ").trim_start();
                l.strip_prefix(key).is_some_and(|r| r.trim_start().starts_with(':'))
            })
            .map_or(start, |(i, _)| i + 1)
    };
    let fields = yaml::fields(item, "a category", example).map_err(|m| (start, m))?;
    let (mut id, mut name, mut description, mut audience) = (None, None, None, None);
    for (key, v) in fields {
        let v = Some(v);
        match key {
            "id" => yaml::text(key, v).map(|t| id = t),
            "name" => yaml::text(key, v).map(|t| name = t),
            "description" => yaml::text(key, v).map(|t| description = t),
            "audience" => yaml::text(key, v).map(|t| audience = t),
            _ => Err(format!("unknown field `{key}`: a category has {}", CATEGORY_FIELDS.join(", "))),
        }
        .map_err(|m| (line_of(key), m))?;
    }
    let id = id.ok_or((start, "a category needs an `id`, like `id: orders`".to_string()))?;
    let name = name.ok_or((start, format!("category `{id}` needs a `name`: the title customers see, like `name: ご注文`")))?;
    Ok(RawCategory { id, name, description: description.unwrap_or_default(), audience })
}

fn load_categories(root: &Path, diagnostics: &mut Vec<Diagnostic>) -> Vec<Category> {
    let path = root.join(CATEGORIES_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Vec::new();
    };
    let value = match read_yaml(&path, &text) {
        Ok(v) => v,
        Err(d) => {
            diagnostics.push(d);
            return Vec::new();
        }
    };
    let items = item_id_lines(&text);
    let example = "- id: orders\n  name: ご注文";
    let list = match &value {
        serde_yaml_ng::Value::Null => return Vec::new(),
        serde_yaml_ng::Value::Sequence(list) => list,
        other => {
            diagnostics.push(Diagnostic::error(&path, 1, format!(
                "{CATEGORIES_FILE} should be a list with one `- id: ...` item per category, like `{example}`, but is {}",
                yaml::kind(other)
            )));
            return Vec::new();
        }
    };
    let mut raw = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let (start, id_line) = items.get(i).copied().unwrap_or((1, 1));
        match category_of(&text, start, item, example) {
            Ok(c) => raw.push((c, id_line)),
            Err((line, message)) => diagnostics.push(Diagnostic::error(&path, line, message)),
        }
    }
    let items: Vec<usize> = raw.iter().map(|(_, line)| *line).collect();
    let raw: Vec<RawCategory> = raw.into_iter().map(|(c, _)| c).collect();
    let mut seen = HashSet::new();
    let mut categories = Vec::new();
    for (i, c) in raw.into_iter().enumerate() {
        let line = items
            .get(i)
            .copied()
            .or_else(|| frontmatter::value_line(&text, 1, "- id", &c.id))
            .unwrap_or(1);
        if !is_valid_id(&c.id) {
            diagnostics.push(Diagnostic::error(&path, line, format!("invalid category id `{}`: {ID_RULE}", c.id)));
            continue;
        }
        let audience = match c.audience.as_deref().map(Audience::parse) {
            None => Audience::Public,
            Some(Some(a)) => a,
            Some(None) => {
                diagnostics.push(Diagnostic::error(&path, line, format!(
                    "category `{}`: unknown audience (expected `public` or `internal`)", c.id
                )));
                continue;
            }
        };
        if !seen.insert(c.id.clone()) {
            diagnostics.push(Diagnostic::error(&path, line, format!("duplicate category id `{}`", c.id)));
            continue;
        }
        categories.push(Category { id: c.id, name: c.name, description: c.description, audience });
    }
    categories
}

/// The line of each top-level item's `id:` in a YAML list written one item a block (the item's
/// first line when its `id` is not found); empty for a list written another way.
fn item_id_lines(text: &str) -> Vec<(usize, usize)> {
    let is_item = |l: &str, indent: usize| {
        l.len() > indent && l[..indent].bytes().all(|b| b == b' ') && l[indent..].starts_with('-')
            && l[indent + 1..].chars().next().is_none_or(char::is_whitespace)
    };
    let lines: Vec<&str> = text.lines().collect();
    let Some(indent) = lines
        .iter()
        .find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .filter(|l| l.trim_start().starts_with('-'))
        .map(|l| l.len() - l.trim_start_matches(' ').len())
    else {
        return Vec::new();
    };
    let starts: Vec<usize> = (0..lines.len()).filter(|&i| is_item(lines[i], indent)).collect();
    starts
        .iter()
        .enumerate()
        .map(|(n, &start)| {
            let end = starts.get(n + 1).copied().unwrap_or(lines.len());
            let has_id = |l: &str| {
                let key = l.trim_start().trim_start_matches('-').trim_start();
                key.strip_prefix("id").is_some_and(|rest| rest.trim_start().starts_with(':'))
            };
            (1 + start, 1 + (start..end).find(|&i| has_id(lines[i])).unwrap_or(start))
        })
        .collect()
}

/// The id of a page without an `id` field: its path without `.md`.
fn default_id(relative: &Path) -> String {
    relative.with_extension("").to_string_lossy().replace('\\', "/")
}

fn load_page(
    root: &Path,
    path: &Path,
    categories: &[Category],
    image_cache: &images::Cache,
    today: NaiveDate,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Page> {
    let relative = path.strip_prefix(root).unwrap_or(path).to_path_buf();
    let mut report = |line: usize, message: String| diagnostics.push(Diagnostic::error(path, line, message));

    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            report(1, format!("cannot read: {e}"));
            return None;
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let line = 1 + valid.iter().filter(|b| **b == b'\n').count();
            report(line, "not valid UTF-8: save the file as UTF-8".into());
            return None;
        }
    };
    let split = match frontmatter::split(&text) {
        Ok(s) => s,
        Err(e) => {
            report(e.line, e.message);
            return None;
        }
    };
    let raw = match frontmatter::parse(split.yaml, split.yaml_line) {
        Ok(raw) => raw,
        Err(e) => {
            report(e.line, e.message);
            return None;
        }
    };
    let (yaml, yl) = (split.yaml, split.yaml_line);
    let line_of = |key: &str| frontmatter::key_line(yaml, yl, key).unwrap_or(1);

    let title = raw.title.as_deref().map(str::trim).unwrap_or("").to_string();
    if title.is_empty() {
        let line = frontmatter::key_line(yaml, yl, "title").unwrap_or(1);
        report(line, "missing `title`: the question as customers ask it".into());
    }

    let id = raw.id.clone().map(|s| s.trim().to_string()).unwrap_or_else(|| default_id(&relative));
    if !is_valid_id(&id) {
        let how = if raw.id.is_some() { "" } else { " (taken from the file name; rename the file or set `id`)" };
        report(line_of("id"), format!("invalid id `{id}`{how}: {ID_RULE}"));
    }

    let audience = match raw.audience.as_deref().map(str::trim) {
        None => Audience::Public,
        Some(a) => match Audience::parse(a) {
            Some(a) => a,
            None => {
                report(line_of("audience"), format!("unknown audience `{a}`: use `public` or `internal`"));
                        Audience::Public
            }
        },
    };

    let category = raw.category.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_string);
    match &category {
        Some(c) if !is_valid_id(c) => {
            report(line_of("category"), format!("invalid category `{c}`: {ID_RULE}"));
        }
        None if audience == Audience::Public => {
            report(line_of("category"), "missing `category`: every public page needs one".into());
            }
        Some(c) if !categories.is_empty() => match categories.iter().find(|k| &k.id == c) {
            None => {
                let known: Vec<&str> = categories.iter().map(|k| k.id.as_str()).collect();
                report(line_of("category"), format!(
                    "unknown category `{c}` (known: {}; see {CATEGORIES_FILE})", known.join(", ")
                ));
                    }
            Some(k) if k.audience == Audience::Internal && audience == Audience::Public => {
                report(line_of("category"), format!(
                    "category `{c}` is internal but this page is public: set `audience: internal` or pick a public category"
                ));
                    }
            Some(_) => {}
        },
        _ => {}
    }

    for (key, list) in [("tags", &raw.tags), ("aliases", &raw.aliases), ("related", &raw.related), ("pinned_queries", &raw.pinned_queries)] {
        if list.iter().any(|v| v.trim().is_empty()) {
            report(line_of(key), format!("`{key}` has an empty entry"));
            }
    }

    let mut date = |key: &str, value: &Option<String>| -> Option<NaiveDate> {
        let v = value.as_deref()?.trim();
        match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                report(line_of(key), format!("`{key}`: `{v}` is not a date written YYYY-MM-DD"));
                        None
            }
        }
    };
    let updated = date("updated", &raw.updated);
    let review_by = date("review_by", &raw.review_by);

    let parsed = markdown::analyze(split.body, split.body_line);
    if parsed.sections.iter().all(|s| s.text.is_empty() && s.heading.is_none()) {
        report(split.body_line, "the answer is empty: write it below the front matter".into());
    }
    if let Some(d) = review_by.filter(|d| *d < today) {
        diagnostics.push(Diagnostic::warning(path, line_of("review_by"), format!("review date {d} has passed: check the page and move the date")));
    }
    for line in &parsed.raw_html_lines {
        diagnostics.push(Diagnostic::warning(path, *line, "raw HTML is removed when the page is shown: use Markdown instead"));
    }
    let images = images::resolve(root, path, &relative, &parsed.images, image_cache, diagnostics);

    // A page with errors is still returned, so corpus-wide checks see its links; the errors
    // already recorded keep it out of any index.
    Some(Page {
        id,
        path: relative,
        title,
        category,
        tags: raw.tags.into_iter().map(|t| t.trim().to_string()).collect(),
        audience,
        aliases: raw.aliases.into_iter().map(|t| t.trim().to_string()).collect(),
        related: raw.related.into_iter().map(|t| t.trim().to_string()).collect(),
        updated,
        review_by,
        featured: raw.featured,
        pinned_queries: raw.pinned_queries.into_iter().map(|t| t.trim().to_string()).collect(),
        body: split.body.to_string(),
        body_line: split.body_line,
        sections: parsed.sections,
        images,
    })
}

/// Corpus-wide checks: unique ids, `related` ids and `/articles/...` links that exist.
fn check_links(root: &Path, pages: &[Page], unreadable: &[String], diagnostics: &mut Vec<Diagnostic>) {
    let mut by_id: HashMap<&str, &Page> = HashMap::new();
    for page in pages {
        if let Some(first) = by_id.get(page.id.as_str()) {
            let path = root.join(&page.path);
            let line = key_line_in_file(&path, "id");
            diagnostics.push(Diagnostic::error(&path, line, format!(
                "duplicate id `{}`: {} uses it too", page.id, root.join(&first.path).display()
            )));
        } else {
            by_id.insert(&page.id, page);
        }
    }
    for page in pages {
        let path = root.join(&page.path);
        for related in &page.related {
            if unreadable.contains(related) {
                continue;
            }
            let target = by_id.get(related.as_str());
            let problem = match target {
                None if !is_valid_id(related) => format!("invalid related id `{related}`: {ID_RULE}"),
                None => format!("unknown related id `{related}`"),
                Some(_) if related == &page.id => format!("`related` lists the page itself (`{related}`)"),
                Some(t) if page.audience == Audience::Public && t.audience == Audience::Internal => {
                    format!("public page relates to internal page `{related}`, which customers cannot see")
                }
                Some(_) => continue,
            };
            let line = value_line_in_file(&path, "related", related);
            diagnostics.push(Diagnostic::error(&path, line, problem));
        }
        for link in markdown::analyze(&page.body, page.body_line).links {
            let Some(rest) = link.dest.strip_prefix("/articles/") else { continue };
            let target_id = rest.split(['#', '?']).next().unwrap_or("");
            if unreadable.iter().any(|u| u == target_id) {
                continue;
            }
            match by_id.get(target_id) {
                None => diagnostics.push(Diagnostic::error(&path, link.line, format!(
                    "link to unknown article `{target_id}`"
                ))),
                Some(t) if page.audience == Audience::Public && t.audience == Audience::Internal => {
                    diagnostics.push(Diagnostic::error(&path, link.line, format!(
                        "public page links to internal page `{target_id}`"
                    )))
                }
                Some(_) => {}
            }
        }
    }
    pins::check(root, pages, diagnostics);
}

fn front_matter_of(path: &Path) -> Option<(String, usize)> {
    let text = std::fs::read_to_string(path).ok()?;
    let split = frontmatter::split(&text).ok()?;
    Some((split.yaml.to_string(), split.yaml_line))
}

fn key_line_in_file(path: &Path, key: &str) -> usize {
    front_matter_of(path)
        .and_then(|(yaml, line)| frontmatter::key_line(&yaml, line, key))
        .unwrap_or(1)
}

fn value_line_in_file(path: &Path, key: &str, value: &str) -> usize {
    front_matter_of(path)
        .and_then(|(yaml, line)| frontmatter::value_line(&yaml, line, key, value))
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 22).unwrap()
    }

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn messages(loaded: &Loaded) -> Vec<String> {
        loaded.diagnostics.iter().map(|d| d.to_string()).collect()
    }

    #[test]
    fn a_valid_page_loads_with_defaults() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "orders/cancel.md", "---\ntitle: 注文をキャンセルしたい\ncategory: orders\ntags: [キャンセル]\n---\n注文履歴から取り消せます。\n");
        let loaded = load(dir.path(), today());
        assert!(loaded.diagnostics.is_empty(), "{:?}", messages(&loaded));
        let page = &loaded.corpus.pages[0];
        assert_eq!(page.id, "orders/cancel");
        assert_eq!(page.audience, Audience::Public);
        assert_eq!(page.body_line, 6);
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "categories.yml", "- id: orders\n  name: ご注文\n- id: manual\n  name: マニュアル\n  audience: internal\n");
        write(root, "a.md", "---\ntitle: A\ncategory: orders\nrelated:\n  - nowhere\n---\n[x](/articles/missing)\n");
        write(root, "b.md", "---\ncategory: orders\n---\n本文\n");
        write(root, "c.md", "---\ntitle: C\ncategory: shoes\n---\n本文\n");
        write(root, "d.md", "---\ntitle: D\naudience: staff\ncategory: orders\n---\n本文\n");
        write(root, "e.md", "---\nid: a\ntitle: E\ncategory: orders\n---\n本文\n");
        write(root, "f.md", "---\ntitle: F\ncategory: manual\n---\n本文\n");
        write(root, "g.md", "---\ntitle: G\ncategory: orders\nupdated: 2026/01/02\n---\n本文\n");
        write(root, "h.md", "---\ntitle: [unclosed\n---\n本文\n");
        write(root, "i.md", "---\ntitle: I\ncategory: orders\n---\n\n");
        write(root, "README.md", "# not a page\n");
        let p = |name: &str| root.join(name).display().to_string();
        let got = messages(&load(root, today()));
        let expected = [
            format!("{}:5: unknown related id `nowhere`", p("a.md")),
            format!("{}:7: link to unknown article `missing`", p("a.md")),
            format!("{}:1: missing `title`: the question as customers ask it", p("b.md")),
            format!("{}:3: unknown category `shoes` (known: orders, manual; see categories.yml)", p("c.md")),
            format!("{}:3: unknown audience `staff`: use `public` or `internal`", p("d.md")),
            format!("{}:2: duplicate id `a`: {} uses it too", p("e.md"), p("a.md")),
            format!("{}:3: category `manual` is internal but this page is public: set `audience: internal` or pick a public category", p("f.md")),
            format!("{}:4: `updated`: `2026/01/02` is not a date written YYYY-MM-DD", p("g.md")),
            format!("{}:5: the answer is empty: write it below the front matter", p("i.md")),
        ];
        for e in &expected {
            assert!(got.contains(e), "missing {e}\n got: {got:#?}");
        }
        assert!(got.iter().any(|m| m.starts_with(&format!("{}:2: front matter:", p("h.md")))), "{got:#?}");
        assert_eq!(got.len(), expected.len() + 1, "{got:#?}");
    }

    #[test]
    fn ids_that_are_not_ids_are_reported_at_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, "categories.yml", concat!(
            "# comment\n",
            "- id: orders\n  name: ご注文\n",
            "- name: 悪意\n  id: 'evil\"><b id=\"pwn\">X</b><a x=\"'\n",
            "- id: \"Returns\"\n  name: 返品\n",
            "- id: orders\n  name: 重複\n",
        ));
        write(root, "a.md", "---\ntitle: A\ncategory: orders\nrelated: [\"x\\\"><b>\"]\n---\n本文\n");
        let got = messages(&load(root, today()));
        let c = root.join("categories.yml").display().to_string();
        let a = root.join("a.md").display().to_string();
        assert_eq!(got, [
            format!("{a}:4: invalid related id `x\"><b>`: use lower-case ASCII letters, digits, `-`, `_` and `/`"),
            format!("{c}:5: invalid category id `evil\"><b id=\"pwn\">X</b><a x=\"`: use lower-case ASCII letters, digits, `-`, `_` and `/`"),
            format!("{c}:6: invalid category id `Returns`: use lower-case ASCII letters, digits, `-`, `_` and `/`"),
            format!("{c}:8: duplicate category id `orders`"),
        ]);

        // Without categories.yml, a page's category is still an id.
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "b.md", "---\ntitle: B\ncategory: '<meta http-equiv=\"refresh\">'\n---\n本文\n");
        let got = messages(&load(dir.path(), today()));
        assert_eq!(got, [format!(
            "{}:3: invalid category `<meta http-equiv=\"refresh\">`: use lower-case ASCII letters, digits, `-`, `_` and `/`",
            dir.path().join("b.md").display()
        )]);
    }

    #[test]
    fn a_broken_categories_file_is_told_in_plain_words_at_its_line() {
        let cases = [
            ("- id: orders\n  name： ご注文\n", 2, "full-width colon `：` follows `name`"),
            ("- id: orders\n\tname: ご注文\n", 2, "tab"),
            ("- id: orders\n  name: [ご注文\n- id: b\n  name: B\n", 2, "`[` on this line is never closed"),
            ("- id: orders\n  name: ご注文\n- id: b\n  name: [B]\n", 4, "`name` should be text, but is a list"),
            ("- id: orders\n  name: ご注文\n- id: b\n  titel: B\n", 4, "unknown field `titel`"),
            ("- id: orders\n", 1, "category `orders` needs a `name`"),
            ("id: orders\nname: ご注文\n", 1, "should be a list with one `- id: ...` item per category"),
        ];
        for (text, line, message) in cases {
            let dir = tempfile::tempdir().unwrap();
            write(dir.path(), "categories.yml", text);
            let got = messages(&load(dir.path(), today()));
            let want = format!("{}:{line}: ", dir.path().join("categories.yml").display());
            assert!(got.iter().any(|m| m.starts_with(&want) && m.contains(message)), "{text:?}: want {want}{message}\n got {got:#?}");
            for m in &got {
                for word in ["struct", "invalid type", "RawCategory", "serde", "Vec<", "untagged", "token"] {
                    assert!(!m.contains(word), "{m}");
                }
            }
        }
        // The other categories of a file with one bad item still load.
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "categories.yml", "- id: orders\n  name: ご注文\n- id: b\n  name: [B]\n");
        assert_eq!(load(dir.path(), today()).corpus.categories.len(), 1);
    }

    #[test]
    fn a_past_review_date_is_a_warning_only() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "x.md", "---\ntitle: X\ncategory: c\nreview_by: 2026-01-01\n---\n本文\n");
        let loaded = load(dir.path(), today());
        assert!(!loaded.has_errors());
        assert_eq!(messages(&loaded), vec![format!(
            "{}:4: warning: review date 2026-01-01 has passed: check the page and move the date",
            dir.path().join("x.md").display()
        )]);
    }
}
