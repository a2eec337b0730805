//! The vectors of one index's documents, on disk and in memory, and the exact nearest search
//! over them.
//!
//! File layout (`vectors.bin`, little-endian): the magic `KOTAEVEC`, the format version (u32),
//! the dimension (u32), the number of documents (u32) and of vectors (u32); each document's key
//! (u32 length, UTF-8 bytes); for each vector its document's number (u32); then the vectors,
//! `dim` f32 each, unit length. `answers.bin`, beside it, has the same layout: one vector per
//! page, its answer's lead ([`DocVectors::with_answers`]).

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};

const MAGIC: &[u8; 8] = b"KOTAEVEC";
const VERSION: u32 = 1;

/// How much a page's answer lead counts next to its best question when documents are ranked by
/// meaning: `(question + ANSWER_WEIGHT × answer) / (1 + ANSWER_WEIGHT)` ([`Similarities::ranking`]).
pub const ANSWER_WEIGHT: f32 = 0.5;

/// The vectors of one index's documents: several per document (its title, each alias...).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DocVectors {
    dim: usize,
    /// Document keys (the index's `key` field).
    keys: Vec<String>,
    /// For each vector, its document.
    owners: Vec<u32>,
    /// The vectors, `dim` floats each.
    data: Vec<f32>,
    /// Key → document number: built once, so a search looks a key up instead of scanning.
    positions: HashMap<String, u32>,
    /// By document number, the vector of its answer's lead, when the index has them
    /// (`answers.bin`; not part of this file).
    answers: Vec<Option<Box<[f32]>>>,
}

/// Every document's similarity to one question: its best vector's cosine.
pub struct Similarities<'v> {
    vectors: &'v DocVectors,
    /// By document number; `-inf` for a document without vectors.
    best: Vec<f32>,
    /// By document number, for ranking: the best question's cosine blended with the answer
    /// lead's; `None` without answer vectors.
    blended: Option<Vec<f32>>,
}

impl<'v> Similarities<'v> {
    /// The similarity of the document `key` (0 when it has no vector).
    pub fn of(&self, key: &str) -> f32 {
        self.vectors.positions.get(key).map(|&i| self.best[i as usize]).filter(|c| c.is_finite()).unwrap_or(0.0)
    }

    /// The similarities documents are ranked by: each question's cosine blended with the page's
    /// answer lead's (`(q + ANSWER_WEIGHT × a) / (1 + ANSWER_WEIGHT)`), where the index has
    /// answer vectors. A customer who says it in other words than the title often says it in
    /// the answer's (docs/relevance.md, "Meaning"). [`Similarities::of`] stays the questions'
    /// cosine: the verdict and the closest questions are judged on it.
    pub fn ranking(&self) -> Similarities<'v> {
        Similarities { vectors: self.vectors, best: self.blended.clone().unwrap_or_else(|| self.best.clone()), blended: None }
    }

    /// The `k` most similar documents, best first (ties: by key).
    pub fn top(&self, k: usize) -> Vec<(&'v str, f32)> {
        let mut ranked: Vec<(usize, f32)> = self.best.iter().copied().enumerate().filter(|(_, c)| c.is_finite()).collect();
        let by_similarity = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then_with(|| self.vectors.keys[a.0].cmp(&self.vectors.keys[b.0]));
        if k < ranked.len() {
            ranked.select_nth_unstable_by(k, by_similarity);
            ranked.truncate(k);
        }
        ranked.sort_by(by_similarity);
        let vectors = self.vectors;
        ranked.into_iter().map(|(i, c)| (vectors.keys[i].as_str(), c)).collect()
    }
}

impl DocVectors {
    pub fn new(dim: usize) -> Self {
        DocVectors { dim, ..Default::default() }
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn is_empty(&self) -> bool {
        self.owners.is_empty()
    }

    /// How many vectors.
    pub fn len(&self) -> usize {
        self.owners.len()
    }

    /// Add `vectors` for the document `key`.
    pub fn push(&mut self, key: &str, vectors: impl IntoIterator<Item = Vec<f32>>) {
        let owner = match self.keys.last() {
            Some(last) if last == key => self.keys.len() - 1,
            _ => {
                self.positions.insert(key.to_string(), self.keys.len() as u32);
                self.keys.push(key.to_string());
                self.keys.len() - 1
            }
        };
        for v in vectors {
            if v.len() == self.dim {
                self.owners.push(owner as u32);
                self.data.extend_from_slice(&v);
            }
        }
    }

    /// The first vector of the document `key` (a page's title), if it has one.
    pub fn first_of(&self, key: &str) -> Option<&[f32]> {
        let owner = *self.positions.get(key)?;
        let at = self.owners.iter().position(|o| *o == owner)?;
        self.data.get(at * self.dim..(at + 1) * self.dim)
    }

    /// Each vector with its document's key.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &[f32])> {
        self.owners.iter().zip(self.data.chunks_exact(self.dim.max(1))).map(|(o, v)| (self.keys[*o as usize].as_str(), v))
    }

    /// Every document's similarity to `query` (a unit vector): its best vector's cosine. An
    /// exact scan: 384 multiply-adds per vector.
    pub fn similarities(&self, query: &[f32]) -> Similarities<'_> {
        let mut best = vec![f32::NEG_INFINITY; self.keys.len()];
        if query.len() == self.dim && self.dim > 0 {
            for (owner, v) in self.owners.iter().zip(self.data.chunks_exact(self.dim)) {
                let cos: f32 = v.iter().zip(query).map(|(a, b)| a * b).sum();
                let slot = &mut best[*owner as usize];
                *slot = slot.max(cos);
            }
        }
        let blended = (query.len() == self.dim && self.answers.iter().any(Option::is_some)).then(|| {
            self.answers
                .iter()
                .zip(&best)
                .map(|(answer, &q)| match answer {
                    Some(a) if q.is_finite() => {
                        let cos: f32 = a.iter().zip(query).map(|(a, b)| a * b).sum();
                        (q + ANSWER_WEIGHT * cos) / (1.0 + ANSWER_WEIGHT)
                    }
                    _ => q,
                })
                .collect()
        });
        Similarities { vectors: self, best, blended }
    }

    /// Attach each document's answer-lead vector (`answers`: one vector per key; keys this
    /// index does not have, and vectors of another dimension, are ignored).
    pub fn with_answers(mut self, answers: &DocVectors) -> Self {
        self.answers = vec![None; self.keys.len()];
        if answers.dim == self.dim {
            for (key, v) in answers.entries() {
                if let Some(&i) = self.positions.get(key) {
                    self.answers[i as usize] = Some(v.into());
                }
            }
        }
        self
    }

    /// The `k` documents nearest to `query` (a unit vector), each scored by its best vector's
    /// cosine similarity, best first.
    pub fn nearest(&self, query: &[f32], k: usize) -> Vec<(&str, f32)> {
        self.similarities(query).top(k)
    }

    /// The file's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24 + self.data.len() * 4);
        out.extend_from_slice(MAGIC);
        for n in [VERSION, self.dim as u32, self.keys.len() as u32, self.owners.len() as u32] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        for key in &self.keys {
            out.extend_from_slice(&(key.len() as u32).to_le_bytes());
            out.extend_from_slice(key.as_bytes());
        }
        for o in &self.owners {
            out.extend_from_slice(&o.to_le_bytes());
        }
        for x in &self.data {
            out.extend_from_slice(&x.to_le_bytes());
        }
        out
    }

    /// Read the file written by [`DocVectors::encode`]; a damaged file is an error that names it.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::decode(&bytes).ok_or_else(|| Error::BadIndex { path: path.to_path_buf(), message: "the vectors file is damaged".into() })
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let mut at = 0usize;
        let mut take = |n: usize| -> Option<&[u8]> {
            let slice = bytes.get(at..at.checked_add(n)?)?;
            at += n;
            Some(slice)
        };
        if take(8)? != MAGIC {
            return None;
        }
        let mut u32s = [0u32; 4];
        for n in &mut u32s {
            *n = u32::from_le_bytes(take(4)?.try_into().ok()?);
        }
        let [version, dim, keys, vectors] = u32s.map(|n| n as usize);
        if version != VERSION as usize || dim == 0 || dim > 4096 {
            return None;
        }
        let mut out = DocVectors::new(dim);
        for _ in 0..keys {
            let len = u32::from_le_bytes(take(4)?.try_into().ok()?) as usize;
            let key = String::from_utf8(take(len)?.to_vec()).ok()?;
            if out.positions.insert(key.clone(), out.keys.len() as u32).is_some() {
                return None;
            }
            out.keys.push(key);
        }
        for _ in 0..vectors {
            let owner = u32::from_le_bytes(take(4)?.try_into().ok()?);
            if owner as usize >= keys {
                return None;
            }
            out.owners.push(owner);
        }
        let floats = take(vectors.checked_mul(dim)?.checked_mul(4)?)?;
        out.data = floats.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        if out.data.iter().any(|x| !x.is_finite()) || take(1).is_some() {
            return None;
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn answers_blend_into_the_ranking_not_into_the_questions_similarity() {
        let mut v = DocVectors::new(2);
        v.push("a", [unit(&[1.0, 0.0])]);
        v.push("b", [unit(&[1.0, -0.05])]);
        let mut answers = DocVectors::new(2);
        answers.push("b", [unit(&[0.6, 0.8])]);
        answers.push("other", [unit(&[0.0, 1.0])]);
        let v = v.with_answers(&answers);
        let query = unit(&[0.6, 0.8]);
        let s = v.similarities(&query);
        assert!(s.of("a") > s.of("b"), "the questions alone: a is closer");
        let ranking = s.ranking();
        assert_eq!(ranking.top(1)[0].0, "b", "b's answer says what the question says");
        assert_eq!(ranking.of("a"), s.of("a"), "a document without an answer vector keeps its cosine");
        let b = (s.of("b") + ANSWER_WEIGHT) / (1.0 + ANSWER_WEIGHT);
        assert!((ranking.of("b") - b).abs() < 1e-6);
    }

    #[test]
    fn a_document_scores_by_its_best_vector() {
        let mut v = DocVectors::new(2);
        v.push("a", [unit(&[1.0, 0.0]), unit(&[0.0, 1.0])]);
        v.push("b", [unit(&[1.0, 1.0])]);
        let near = v.nearest(&unit(&[0.1, 1.0]), 2);
        assert_eq!(near[0].0, "a");
        assert!(near[0].1 > 0.99);
        assert_eq!(near[1].0, "b");
        assert!(v.nearest(&[1.0], 2).is_empty(), "a query of another dimension finds nothing");
        assert_eq!(v.first_of("b"), Some(unit(&[1.0, 1.0]).as_slice()));
        assert_eq!(v.first_of("a"), Some(unit(&[1.0, 0.0]).as_slice()));
        assert_eq!(v.first_of("z"), None);
    }

    #[test]
    fn the_file_reads_back_and_damage_is_refused() {
        let mut v = DocVectors::new(3);
        v.push("faq/返品", [unit(&[1.0, 2.0, 3.0]), unit(&[3.0, 2.0, 1.0])]);
        v.push("faq/送料", [unit(&[0.0, 0.0, 1.0])]);
        let bytes = v.encode();
        assert_eq!(DocVectors::decode(&bytes), Some(v.clone()));
        for cut in [0, 7, 20, bytes.len() - 1] {
            assert_eq!(DocVectors::decode(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(DocVectors::decode(&longer), None);
        let mut wrong_owner = bytes.clone();
        let owners_at = 8 + 16 + (4 + "faq/返品".len()) + (4 + "faq/送料".len());
        wrong_owner[owners_at] = 9;
        assert_eq!(DocVectors::decode(&wrong_owner), None);
    }
}
