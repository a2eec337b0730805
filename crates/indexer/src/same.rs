//! `kotae check`'s look for public pages that ask the same question in other words.
//!
//! Each public page's questions (its title and every alias, as the index embeds them) are
//! compared by meaning with every other public page's. Two pages whose closest questions are at
//! least [`SAME_QUESTION`] (0.985) similar get a warning: customers would find either, and
//! writers keep two answers up to date. The threshold was chosen on the sample corpus
//! (docs/relevance.md): its closest two pages are 0.980 alike, a page whose title rewords
//! another's question 0.987–0.996. A duplicate in quite other words is often no closer than
//! neighbouring pages and is not reported.
//!
//! Vectors come from the build's text cache, so after a build the check embeds nothing; the
//! texts it embeds are kept for the next build. Without the model the check is skipped.

use std::path::Path;

use kotae_core::content::{Audience, Corpus, Diagnostic, Page, frontmatter};
use kotae_core::meaning::groups::{SAME_QUESTION, SamePair, same_questions};
use kotae_core::meaning::{Meaning, document_texts};

use crate::vectors::TextCache;

/// Above this many public pages the comparison (every pair of pages) is skipped: it would take
/// minutes.
pub const MAX_PAGES: usize = 3_000;

/// Why the look for pages asking the same question did not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Skipped {
    /// No model, or `KOTAE_MEANING=off`.
    NoModel,
    /// More public pages than [`MAX_PAGES`].
    TooManyPages(usize),
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Skipped::NoModel => write!(
                f,
                "pages asking the same question were not looked for: the embedding model is off or missing (run tools/fetch-model.sh)"
            ),
            Skipped::TooManyPages(n) => {
                write!(f, "pages asking the same question were not looked for: {n} public pages (at most {MAX_PAGES})")
            }
        }
    }
}

/// A warning for every pair of public pages of `corpus` that ask the same question, on the
/// first page's line of the question that matched, naming the second page.
pub fn same_question_warnings(corpus: &Corpus, progress: bool) -> Result<Vec<Diagnostic>, Skipped> {
    let pages: Vec<&Page> = corpus.pages.iter().filter(|p| p.audience == Audience::Public).collect();
    if pages.len() > MAX_PAGES {
        return Err(Skipped::TooManyPages(pages.len()));
    }
    let meaning = Meaning::shared().ok_or(Skipped::NoModel)?;
    let texts: Vec<Vec<String>> = pages.iter().map(|p| document_texts(p).into_iter().flat_map(|(_, t)| t).collect()).collect();
    let mut cache = TextCache::open(meaning.dim());
    if cache.embed(texts.iter().flatten(), &meaning, progress) > 0 {
        cache.save();
    }
    let vectors: Vec<Vec<Vec<f32>>> =
        texts.iter().map(|t| t.iter().filter_map(|t| cache.get(t).cloned()).collect()).collect();
    Ok(same_questions(&vectors, SAME_QUESTION).iter().map(|pair| warning(&corpus.root, &pages, pair)).collect())
}

fn warning(root: &Path, pages: &[&Page], pair: &SamePair) -> Diagnostic {
    let (a, b) = (pages[pair.first], pages[pair.second]);
    let (path, other) = (root.join(&a.path), root.join(&b.path));
    let (qa, qb) = (question(a, pair.texts.0), question(b, pair.texts.1));
    Diagnostic::warning(
        &path,
        line_of(&path, a, pair.texts.0),
        format!(
            "asks the same question as {} (「{qa}」 and 「{qb}」 are {:.3} alike by meaning): merge the two pages, or reword one so customers can tell them apart",
            other.display(),
            pair.similarity
        ),
    )
}

/// The `n`th question text of `page` as written: its title, then its aliases (as
/// [`document_texts`] lists them).
fn question(page: &Page, n: usize) -> &str {
    std::iter::once(&page.title)
        .chain(&page.aliases)
        .filter(|t| !t.trim().is_empty())
        .nth(n)
        .map_or("", |t| t.as_str())
}

/// The file line of the `n`th question of `page`; 1 when the file cannot be read again.
fn line_of(path: &Path, page: &Page, n: usize) -> usize {
    let Ok(text) = std::fs::read_to_string(path) else { return 1 };
    let Ok(split) = frontmatter::split(&text) else { return 1 };
    let found = if n == 0 {
        frontmatter::key_line(split.yaml, split.yaml_line, "title")
    } else {
        frontmatter::value_line(split.yaml, split.yaml_line, "aliases", question(page, n))
    };
    found.unwrap_or(1)
}
