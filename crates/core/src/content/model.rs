//! What is a page of the corpus?

use std::path::PathBuf;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Who may see a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    /// Customers on the help page (and agents).
    #[default]
    Public,
    /// Agents only: the operator manual.
    Internal,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Public => "public",
            Audience::Internal => "internal",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "public" => Some(Audience::Public),
            "internal" => Some(Audience::Internal),
            _ => None,
        }
    }
}

/// A category from `categories.yml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Category {
    pub id: String,
    pub name: String,
    pub description: String,
    pub audience: Audience,
}

/// One Markdown file: front matter and answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Page {
    /// Stable id, unique in the corpus (defaults to the path without `.md`).
    pub id: String,
    /// Path relative to the content folder.
    pub path: PathBuf,
    pub title: String,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub audience: Audience,
    pub aliases: Vec<String>,
    pub related: Vec<String>,
    pub updated: Option<NaiveDate>,
    pub review_by: Option<NaiveDate>,
    /// Writer-set order among the most asked questions (lower first).
    pub featured: Option<u32>,
    /// Questions this page answers first, whatever the ranking says (`pinned_queries:`).
    #[serde(default)]
    pub pinned_queries: Vec<String>,
    /// The answer, in Markdown.
    pub body: String,
    /// The 1-based line of the file where the body starts.
    pub body_line: usize,
    /// The answer split at its `##`/`###` headings.
    pub sections: Vec<Section>,
    /// The answer's images that could be resolved (see [`super::images`]).
    #[serde(default)]
    pub images: Vec<PageImage>,
}

/// An image of a page's answer (`![alt](src)`), as resolved when the content was loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageImage {
    /// The address as written in the Markdown.
    pub src: String,
    /// The 1-based line of the file where it is written.
    pub line: usize,
    /// An image of the content folder: its media name, `<hash>.<ext>`; `None` for an external
    /// (`https://`) image.
    #[serde(default)]
    pub media: Option<String>,
    /// The file it was read from, relative to the content folder.
    #[serde(default)]
    pub file: Option<PathBuf>,
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
}

/// A part of a page's answer: the text before the first heading, or one heading's section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// The heading's anchor (`#...` in the page URL); `None` for the text before any heading.
    pub anchor: Option<String>,
    pub heading: Option<String>,
    /// Plain text of the section, Markdown removed.
    pub text: String,
    /// 1-based line of the file where the section starts.
    pub line: usize,
}

impl Page {
    /// The whole answer as plain text.
    pub fn plain_text(&self) -> String {
        let mut out = String::new();
        for s in &self.sections {
            if let Some(h) = &s.heading {
                out.push_str(h);
                out.push('\n');
            }
            out.push_str(&s.text);
            out.push('\n');
        }
        out.trim_end().to_string()
    }

    /// Whether the page is past its review date on `today`.
    pub fn is_stale(&self, today: NaiveDate) -> bool {
        self.review_by.is_some_and(|d| d < today)
    }
}

/// The help center itself, from `site.yml`: its name and the human channels customers are
/// handed to when search does not help.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    pub name: String,
    #[serde(default)]
    pub contact: Vec<ContactChannel>,
}

impl Default for Site {
    fn default() -> Self {
        Site { name: "ヘルプセンター".to_string(), contact: Vec::new() }
    }
}

/// One way to reach a human.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactChannel {
    /// `phone`, `chat`, `email` or anything else.
    pub kind: String,
    pub label: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub hours: String,
    /// Where the channel is reached; the customer's question is added as `q`.
    #[serde(default)]
    pub url: Option<String>,
}
