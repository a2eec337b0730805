//! What an import writes: a page's Markdown file and the entries of `categories.yml`.

use std::path::Path;

use kotae_core::content::Audience;
use kotae_core::error::{Error, Result};
use serde::{Deserialize, Serialize};

use super::Record;

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
pub(crate) struct CategoryEntry {
    pub(crate) id: String,
    pub(crate) name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) audience: Option<String>,
}

/// The categories of an existing `categories.yml`; `None` if there is no such file.
pub(crate) fn read_categories(path: &Path) -> Result<Option<Vec<CategoryEntry>>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(path, e)),
    };
    parse_categories(&text).map(Some).map_err(|e| {
        Error::BadInput(format!("{}: {e}: fix it (`kotae check`) before importing", path.display()))
    })
}

pub(crate) fn parse_categories(text: &str) -> Result<Vec<CategoryEntry>, serde_yaml_ng::Error> {
    let has_content = text.lines().any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    if !has_content {
        return Ok(Vec::new());
    }
    serde_yaml_ng::from_str(text)
}

/// Append `added` to `categories.yml` (creating it if needed), keeping the file's comments;
/// if appending would not read back as the expected list, write the whole list anew.
pub(crate) fn add_categories(path: &Path, existing: Vec<CategoryEntry>, added: &[CategoryEntry]) -> Result<()> {
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

