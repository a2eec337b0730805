//! The pages of a generation, as the service reads them.
//!
//! A generation keeps its pages in two files:
//!
//! - `corpus.json`, the *catalogue*: categories, site, synonyms, and for every page what lists
//!   and links need (id, title, category, audience, order, date) plus where its full text is.
//! - `pages.jsonl`, one JSON line per page with everything else (answer, sections, tags...).
//!
//! Opening a generation reads the catalogue only, so starting the service does not grow with
//! the size of the answers (on 100,000 articles the catalogue is about 1/30 of the text). A page
//! is read from `pages.jsonl` when it is asked for, checked against the CRC-32 the catalogue
//! holds for it, and kept decoded among the most recently read.
//!
//! Damage is found as early as is cheap: a missing or truncated `pages.jsonl` (its length is
//! in the catalogue) refuses the whole generation at open; a changed byte inside a page is a
//! [`Error::BadIndex`] for that page when it is read, like a database that verifies page
//! checksums on read.

use std::collections::HashMap;
use std::fs::File;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::layout;
use crate::content::{Audience, Category, Corpus, Page, Site};
use crate::error::{Error, Result};

/// How many decoded pages are kept (a few kilobytes each).
const CACHED_PAGES: usize = 1024;

/// What the service keeps in memory about every page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageInfo {
    pub id: String,
    pub title: String,
    pub category: Option<String>,
    pub audience: Audience,
    /// Writer-set order among the most asked questions (lower first).
    pub featured: Option<u32>,
    /// Questions the writers pinned this page for (`pinned_queries:`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pinned_queries: Vec<String>,
    pub updated: Option<NaiveDate>,
    /// Where the page's line is in `pages.jsonl`: byte offset and length (defaults only so that
    /// a catalogue of an older format parses far enough to say so).
    #[serde(default)]
    at: u64,
    #[serde(default)]
    len: u32,
    /// CRC-32 of those bytes.
    #[serde(default)]
    crc: u32,
}

/// The layout of `corpus.json` and `pages.jsonl` this version writes. Older generations kept
/// every page whole in `corpus.json` and had no `format`.
const FORMAT: u32 = 2;

/// The contents of `corpus.json`.
#[derive(Debug, Serialize, Deserialize)]
struct Catalogue {
    #[serde(default)]
    format: u32,
    categories: Vec<Category>,
    #[serde(default)]
    site: Site,
    #[serde(default)]
    synonyms: Vec<Vec<String>>,
    pages: Vec<PageInfo>,
    /// The length of `pages.jsonl`.
    #[serde(default)]
    pages_len: u64,
}

/// The two files of a corpus, encoded: `corpus.json` and `pages.jsonl`.
pub struct Encoded {
    pub catalogue: Vec<u8>,
    pub pages: Vec<u8>,
}

/// Encode `corpus` as a generation stores it.
pub fn encode(corpus: &Corpus) -> Result<Encoded> {
    let mut pages = Vec::new();
    let mut infos = Vec::with_capacity(corpus.pages.len());
    for page in &corpus.pages {
        let at = pages.len();
        serde_json::to_writer(&mut pages, page).map_err(|e| Error::BadIndex { path: page.path.clone(), message: e.to_string() })?;
        let line = &pages[at..];
        let len = u32::try_from(line.len()).map_err(|_| Error::BadIndex { path: page.path.clone(), message: "page over 4 GiB".into() })?;
        infos.push(PageInfo {
            id: page.id.clone(),
            title: page.title.clone(),
            category: page.category.clone(),
            audience: page.audience,
            featured: page.featured,
            pinned_queries: page.pinned_queries.clone(),
            updated: page.updated,
            at: at as u64,
            len,
            crc: crc32fast::hash(line),
        });
        pages.push(b'\n');
    }
    let catalogue = Catalogue {
        format: FORMAT,
        categories: corpus.categories.clone(),
        site: corpus.site.clone(),
        synonyms: corpus.synonyms.clone(),
        pages: infos,
        pages_len: pages.len() as u64,
    };
    let catalogue = serde_json::to_vec(&catalogue).map_err(|e| Error::BadIndex { path: layout::CORPUS_FILE.into(), message: e.to_string() })?;
    Ok(Encoded { catalogue, pages })
}

/// A generation's pages, opened for reading.
pub struct StoredCorpus {
    /// Categories in the order the help page lists them.
    pub categories: Vec<Category>,
    pub site: Site,
    pub synonyms: Vec<Vec<String>>,
    /// Every page, in path order.
    pub pages: Vec<PageInfo>,
    by_id: HashMap<String, usize>,
    /// How many pages are public, and how many of those each category holds: counted once
    /// here, not per request (a health check on 100,000 pages read every page's audience).
    public_pages: usize,
    public_by_category: HashMap<String, usize>,
    /// Kept open for the life of the snapshot: a build that deletes this generation while a
    /// request still reads from it removes only the name.
    file: File,
    path: PathBuf,
    decoded: Mutex<lru::LruCache<usize, Arc<Page>>>,
}

impl std::fmt::Debug for StoredCorpus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredCorpus").field("path", &self.path).field("pages", &self.pages.len()).finish_non_exhaustive()
    }
}

impl StoredCorpus {
    /// Open the pages of the generation folder `generation`.
    pub fn open(generation: &Path) -> Result<Self> {
        let catalogue_path = generation.join(layout::CORPUS_FILE);
        let text = std::fs::read(&catalogue_path).map_err(|e| Error::io(&catalogue_path, e))?;
        let catalogue: Catalogue =
            serde_json::from_slice(&text).map_err(|e| Error::BadIndex { path: catalogue_path.clone(), message: e.to_string() })?;
        if catalogue.format != FORMAT {
            return Err(Error::OtherFormat(generation.to_path_buf()));
        }
        let path = generation.join(layout::PAGES_FILE);
        let file = File::open(&path).map_err(|e| Error::io(&path, e))?;
        let len = file.metadata().map_err(|e| Error::io(&path, e))?.len();
        if len != catalogue.pages_len {
            return Err(Error::BadIndex { path, message: format!("{len} bytes where {} were written", catalogue.pages_len) });
        }
        if let Some(p) = catalogue.pages.iter().find(|p| p.at.checked_add(u64::from(p.len)).is_none_or(|end| end > len)) {
            return Err(Error::BadIndex { path, message: format!("page `{}` lies past the end of the file", p.id) });
        }
        let mut by_id = HashMap::with_capacity(catalogue.pages.len());
        for (i, p) in catalogue.pages.iter().enumerate() {
            // The first page with an id wins its lookups (loading the content reports any
            // duplicate id as an error, so a built index has none).
            by_id.entry(p.id.clone()).or_insert(i);
        }
        let public = catalogue.pages.iter().filter(|p| p.audience == Audience::Public);
        let public_pages = public.clone().count();
        let mut public_by_category: HashMap<String, usize> = HashMap::new();
        for category in public.filter_map(|p| p.category.as_ref()) {
            *public_by_category.entry(category.clone()).or_default() += 1;
        }
        Ok(StoredCorpus {
            categories: catalogue.categories,
            site: catalogue.site,
            synonyms: catalogue.synonyms,
            pages: catalogue.pages,
            by_id,
            public_pages,
            public_by_category,
            file,
            path,
            decoded: Mutex::new(lru::LruCache::new(NonZeroUsize::new(CACHED_PAGES).expect("nonzero"))),
        })
    }

    /// How many pages are public.
    pub fn public_pages(&self) -> usize {
        self.public_pages
    }

    /// How many public pages the category `id` holds.
    pub fn public_in(&self, category: &str) -> usize {
        self.public_by_category.get(category).copied().unwrap_or(0)
    }

    /// What is known about page `id` without reading it.
    pub fn info(&self, id: &str) -> Option<&PageInfo> {
        self.by_id.get(id).map(|&i| &self.pages[i])
    }

    /// The whole page `id`, read from disk unless recently read.
    pub fn page(&self, id: &str) -> Result<Option<Arc<Page>>> {
        let Some(&i) = self.by_id.get(id) else { return Ok(None) };
        if let Some(page) = self.decoded.lock().unwrap_or_else(|e| e.into_inner()).get(&i) {
            return Ok(Some(page.clone()));
        }
        let page = Arc::new(self.read(&self.pages[i])?);
        self.decoded.lock().unwrap_or_else(|e| e.into_inner()).put(i, page.clone());
        Ok(Some(page))
    }

    fn read(&self, info: &PageInfo) -> Result<Page> {
        let bad = |message: String| Error::BadIndex { path: self.path.clone(), message };
        let mut bytes = vec![0; info.len as usize];
        std::os::unix::fs::FileExt::read_exact_at(&self.file, &mut bytes, info.at).map_err(|e| Error::io(&self.path, e))?;
        if crc32fast::hash(&bytes) != info.crc {
            return Err(bad(format!("page `{}` is damaged (checksum mismatch at byte {})", info.id, info.at)));
        }
        serde_json::from_slice(&bytes).map_err(|e| bad(format!("page `{}`: {e}", info.id)))
    }

    pub fn category(&self, id: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.id == id)
    }

    /// The display name of a page's or hit's category, if it has a known one.
    pub fn category_name(&self, id: Option<&str>) -> Option<&str> {
        id.and_then(|c| self.category(c)).map(|c| c.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(id: &str, audience: Audience, body: &str) -> Page {
        Page {
            id: id.into(),
            path: format!("{id}.md").into(),
            title: format!("{id}の質問"),
            category: Some("c".into()),
            tags: vec!["タグ".into()],
            audience,
            aliases: Vec::new(),
            related: Vec::new(),
            updated: NaiveDate::from_ymd_opt(2026, 1, 2),
            review_by: None,
            featured: None,
            pinned_queries: Vec::new(),
            body: body.into(),
            body_line: 5,
            sections: Vec::new(),
            images: Vec::new(),
        }
    }

    fn write(dir: &Path, corpus: &Corpus) {
        let encoded = encode(corpus).unwrap();
        std::fs::write(dir.join(layout::CORPUS_FILE), encoded.catalogue).unwrap();
        std::fs::write(dir.join(layout::PAGES_FILE), encoded.pages).unwrap();
    }

    fn corpus() -> Corpus {
        let pages = vec![page("a", Audience::Public, "答え\n改行"), page("b", Audience::Internal, "社内"), page("a", Audience::Public, "二つ目")];
        Corpus::new(PathBuf::new(), Vec::new(), pages, Site::default(), vec![vec!["返品".into(), "返却".into()]])
    }

    #[test]
    fn pages_read_back_as_written_and_the_first_of_an_id_wins() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &corpus());
        let stored = StoredCorpus::open(dir.path()).unwrap();
        assert_eq!(stored.pages.len(), 3);
        assert_eq!(stored.synonyms, vec![vec!["返品".to_string(), "返却".to_string()]]);
        for _ in 0..2 {
            // Read, then from the decoded cache.
            let a = stored.page("a").unwrap().unwrap();
            assert_eq!(a.body, "答え\n改行");
            assert_eq!(a.updated, NaiveDate::from_ymd_opt(2026, 1, 2));
            assert_eq!(stored.page("b").unwrap().unwrap().audience, Audience::Internal);
        }
        assert_eq!(stored.info("b").unwrap().title, "bの質問");
        assert!(stored.page("c").unwrap().is_none());
    }

    #[test]
    fn public_counts_leave_the_manual_out() {
        let dir = tempfile::tempdir().unwrap();
        let mut pages = corpus().pages;
        pages.push(Page { category: Some("d".into()), ..page("d", Audience::Public, "別") });
        pages.push(Page { category: Some("d".into()), ..page("e", Audience::Internal, "社内だけ") });
        write(dir.path(), &Corpus::new(PathBuf::new(), Vec::new(), pages, Site::default(), Vec::new()));
        let stored = StoredCorpus::open(dir.path()).unwrap();
        assert_eq!(stored.public_pages(), 3);
        assert_eq!((stored.public_in("c"), stored.public_in("d"), stored.public_in("none")), (2, 1, 0));
    }

    #[test]
    fn a_truncated_page_file_is_refused_at_open_and_a_changed_byte_when_read() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &corpus());
        let path = dir.path().join(layout::PAGES_FILE);
        let bytes = std::fs::read(&path).unwrap();

        std::fs::write(&path, &bytes[..bytes.len() - 3]).unwrap();
        let message = StoredCorpus::open(dir.path()).unwrap_err().to_string();
        assert!(message.contains("pages.jsonl") && message.contains("were written"), "{message}");

        // The same length, one byte of page `b` changed: `a` still reads, `b` is an error.
        let mut damaged = bytes.clone();
        let at = damaged.windows("社内".len()).position(|w| w == "社内".as_bytes()).unwrap();
        damaged[at + 2] ^= 1;
        std::fs::write(&path, &damaged).unwrap();
        let stored = StoredCorpus::open(dir.path()).unwrap();
        assert!(stored.page("a").unwrap().is_some());
        let message = stored.page("b").unwrap_err().to_string();
        assert!(message.contains("page `b` is damaged"), "{message}");

        std::fs::remove_file(&path).unwrap();
        assert!(StoredCorpus::open(dir.path()).is_err());
    }

    #[test]
    fn a_catalogue_of_the_older_whole_pages_format_is_another_format() {
        let dir = tempfile::tempdir().unwrap();
        // What generations held before `pages.jsonl`: every page whole, no format.
        let old = serde_json::json!({ "categories": [], "pages": [page("a", Audience::Public, "答え")], "site": Site::default(), "synonyms": [] });
        std::fs::write(dir.path().join(layout::CORPUS_FILE), old.to_string()).unwrap();
        assert!(matches!(StoredCorpus::open(dir.path()), Err(Error::OtherFormat(_))));
    }
}
