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
use std::sync::{Arc, OnceLock};

use super::scan::{self, Scan};
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
    /// The bounded scan's copy of the vectors.
    prepared: PreparedOnce,
}

/// Every document's similarity to one question: its best vector's cosine, known within bounds
/// for every document and computed exactly for those asked about ([`super::scan`]).
pub struct Similarities<'v> {
    vectors: &'v DocVectors,
    query: Vec<f32>,
    /// By document number, bounds of its similarity; minus infinity for a document without
    /// vectors.
    low: Vec<f32>,
    high: Vec<f32>,
    /// The bounds of the ranking's similarities, blended with the answer leads' (`None` without
    /// answer vectors).
    blended: Option<(Vec<f32>, Vec<f32>)>,
    /// Whether these are the ranking's similarities ([`Similarities::ranking`]).
    ranking: bool,
}

impl<'v> Similarities<'v> {
    /// The similarity of the document `key` (0 when it has no vector).
    pub fn of(&self, key: &str) -> f32 {
        self.vectors.positions.get(key).map(|&i| self.exact(i as usize)).filter(|c| c.is_finite()).unwrap_or(0.0)
    }

    /// The similarities documents are ranked by: each question's cosine blended with the page's
    /// answer lead's (`(q + ANSWER_WEIGHT × a) / (1 + ANSWER_WEIGHT)`), where the index has
    /// answer vectors. A customer who says it in other words than the title often says it in
    /// the answer's (docs/relevance.md, "Meaning"). [`Similarities::of`] stays the questions'
    /// cosine: the verdict and the closest questions are judged on it.
    pub fn ranking(&self) -> Similarities<'v> {
        let (low, high) = self.blended.clone().unwrap_or_else(|| (self.low.clone(), self.high.clone()));
        Similarities { vectors: self.vectors, query: self.query.clone(), low, high, blended: None, ranking: self.blended.is_some() }
    }

    /// The `k` most similar documents, best first (ties: by key).
    pub fn top(&self, k: usize) -> Vec<(&'v str, f32)> {
        let mut ranked: Vec<(usize, f32)> =
            scan::contenders(&self.low, &self.high, k).into_iter().map(|d| (d, self.exact(d))).filter(|(_, c)| c.is_finite()).collect();
        let by_similarity = |a: &(usize, f32), b: &(usize, f32)| b.1.total_cmp(&a.1).then_with(|| self.vectors.keys[a.0].cmp(&self.vectors.keys[b.0]));
        ranked.sort_by(by_similarity);
        ranked.truncate(k);
        let vectors = self.vectors;
        ranked.into_iter().map(|(i, c)| (vectors.keys[i].as_str(), c)).collect()
    }

    /// The questions' similarities again (what [`Similarities::ranking`] is to the ranking).
    #[cfg(test)]
    fn ranking_free(&self) -> Similarities<'v> {
        Similarities { vectors: self.vectors, query: self.query.clone(), low: self.low.clone(), high: self.high.clone(), blended: None, ranking: false }
    }

    /// Document `d`'s similarity, as the exact scan computed it: its best vector's cosine (the
    /// products summed in order), blended with its answer lead's in the ranking.
    fn exact(&self, d: usize) -> f32 {
        let vectors = self.vectors;
        let scan = vectors.scan();
        if self.query.len() != vectors.dim {
            return f32::NEG_INFINITY;
        }
        let cosine = |v: &[f32]| -> f32 { v.iter().zip(&self.query).map(|(a, b)| a * b).sum() };
        let range = scan.ranges[d].clone();
        let best = scan.grouped[range.start as usize..range.end as usize]
            .iter()
            .map(|&v| cosine(&vectors.data[v as usize * vectors.dim..(v as usize + 1) * vectors.dim]))
            .fold(f32::NEG_INFINITY, f32::max);
        match vectors.answers.get(d) {
            Some(Some(answer)) if self.ranking && best.is_finite() => (best + ANSWER_WEIGHT * cosine(answer)) / (1.0 + ANSWER_WEIGHT),
            _ => best,
        }
    }
}

/// What the bounded scan keeps of the vectors ([`super::scan`]), made once per index.
struct Prepared {
    vectors: Scan,
    /// The answer leads' vectors in document order (documents without one are left out), and
    /// for each document its answer's place among them.
    answers: Option<(Scan, Vec<Option<u32>>)>,
    /// The vectors by document, and each document's part of that list.
    grouped: Vec<u32>,
    ranges: Vec<std::ops::Range<u32>>,
}

/// [`Prepared`], made when first needed (shared by copies of the same vectors). Not part of
/// what the vectors are: equal vectors are equal whether prepared or not.
#[derive(Default)]
struct PreparedOnce(OnceLock<Arc<Prepared>>);

impl Clone for PreparedOnce {
    fn clone(&self) -> Self {
        PreparedOnce(self.0.get().cloned().map(OnceLock::from).unwrap_or_default())
    }
}

impl PartialEq for PreparedOnce {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for PreparedOnce {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() { "prepared" } else { "not prepared" })
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
        self.prepared = PreparedOnce::default();
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

    /// Every document's similarity to `query` (a unit vector): its best vector's cosine, the
    /// same as an exact scan of every vector computes ([`super::scan`]).
    pub fn similarities(&self, query: &[f32]) -> Similarities<'_> {
        let prepared = self.scan();
        let (low, high) = scan::document_bounds(&prepared.vectors.approximate(query), &prepared.grouped, &prepared.ranges);
        let blended = prepared.answers.as_ref().filter(|_| query.len() == self.dim).map(|(answers, place)| {
            let approximate = answers.approximate(query);
            let blend = |best: f32, answer: Option<f32>, sign: f32| match answer {
                Some(a) if best.is_finite() => (best + ANSWER_WEIGHT * a) / (1.0 + ANSWER_WEIGHT) + sign * scan::SLACK,
                _ => best,
            };
            let bound = |at: &Option<u32>, sign: f32| at.map(|a| approximate.cosine[a as usize] + sign * (approximate.margin[a as usize] + scan::SLACK));
            let low_blended = low.iter().zip(place).map(|(&l, at)| blend(l, bound(at, -1.0), -1.0)).collect();
            let high_blended = high.iter().zip(place).map(|(&h, at)| blend(h, bound(at, 1.0), 1.0)).collect();
            (low_blended, high_blended)
        });
        Similarities { vectors: self, query: query.to_vec(), low, high, blended, ranking: false }
    }

    /// Make the bounded scan's copy of the vectors now rather than at the first question.
    pub fn prepare(&self) {
        self.scan();
    }

    fn scan(&self) -> &Prepared {
        self.prepared.0.get_or_init(|| {
            let count = self.owners.len();
            let mut ranges = vec![0..0; self.keys.len()];
            let mut per_doc = vec![0u32; self.keys.len() + 1];
            for &o in &self.owners {
                per_doc[o as usize + 1] += 1;
            }
            for d in 0..self.keys.len() {
                per_doc[d + 1] += per_doc[d];
                ranges[d] = per_doc[d]..per_doc[d + 1];
            }
            let mut grouped = vec![0u32; count];
            let mut next: Vec<u32> = per_doc[..self.keys.len()].to_vec();
            for (v, &o) in self.owners.iter().enumerate() {
                grouped[next[o as usize] as usize] = v as u32;
                next[o as usize] += 1;
            }
            let answers = self.answers.iter().any(Option::is_some).then(|| {
                let mut data = Vec::new();
                let mut place = Vec::with_capacity(self.answers.len());
                for a in &self.answers {
                    place.push(a.as_ref().map(|a| {
                        data.extend_from_slice(a);
                        (data.len() / self.dim.max(1) - 1) as u32
                    }));
                }
                (Scan::of(&data, self.dim), place)
            });
            Arc::new(Prepared { vectors: Scan::of(&self.data, self.dim), answers, grouped, ranges })
        })
    }

    /// Attach each document's answer-lead vector (`answers`: one vector per key; keys this
    /// index does not have, and vectors of another dimension, are ignored).
    pub fn with_answers(mut self, answers: &DocVectors) -> Self {
        self.prepared = PreparedOnce::default();
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

    /// The exact scan the bounded one replaces: every vector's products summed in order, each
    /// document's best, blended with its answer lead's for the ranking.
    fn scanned(v: &DocVectors, query: &[f32], ranking: bool) -> Vec<(String, f32)> {
        let cosine = |x: &[f32]| -> f32 { x.iter().zip(query).map(|(a, b)| a * b).sum() };
        let mut best = vec![f32::NEG_INFINITY; v.keys.len()];
        for (owner, x) in v.owners.iter().zip(v.data.chunks_exact(v.dim)) {
            best[*owner as usize] = best[*owner as usize].max(cosine(x));
        }
        let mut all: Vec<(String, f32)> = best
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_finite())
            .map(|(d, &c)| match &v.answers.get(d) {
                Some(Some(a)) if ranking => (v.keys[d].clone(), (c + ANSWER_WEIGHT * cosine(a)) / (1.0 + ANSWER_WEIGHT)),
                _ => (v.keys[d].clone(), c),
            })
            .collect();
        all.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        all
    }

    #[test]
    fn the_bounded_scan_finds_what_the_exact_scan_finds_to_the_bit() {
        // Documents of one to three vectors, many of them near copies of a few directions, so
        // that similarities tie or differ by less than the margins; a third have answer leads.
        let dim = 48;
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
        };
        let directions: Vec<Vec<f32>> = (0..6).map(|_| unit(&(0..dim).map(|_| next()).collect::<Vec<_>>())).collect();
        let mut noisy = |d: usize, noise: f32| unit(&directions[d].iter().map(|x| x + noise * next()).collect::<Vec<_>>());
        let mut v = DocVectors::new(dim);
        let mut answers = DocVectors::new(dim);
        for doc in 0..400 {
            let key = format!("faq/{doc:03}");
            let vectors: Vec<Vec<f32>> = (0..1 + doc % 3).map(|k| noisy((doc + k) % 6, if doc % 5 == 0 { 0.0 } else { 1e-4 * (doc % 7) as f32 })).collect();
            v.push(&key, vectors);
            if doc % 3 == 0 {
                answers.push(&key, [noisy((doc + 1) % 6, 0.01)]);
            }
        }
        v.push("faq/none", Vec::<Vec<f32>>::new());
        let v = v.with_answers(&answers);
        for q in 0..12 {
            let query = noisy(q % 6, if q < 6 { 0.0 } else { 0.05 });
            let s = v.similarities(&query);
            for (ranking, view) in [(false, s.ranking_free()), (true, s.ranking())] {
                let expected = scanned(&v, &query, ranking);
                for k in [1, 5, 20, 399, 500] {
                    let got: Vec<(String, f32)> = view.top(k).into_iter().map(|(key, c)| (key.to_string(), c)).collect();
                    let want: Vec<(String, f32)> = expected.iter().take(k).cloned().collect();
                    assert_eq!(got.len(), want.len(), "query {q}, k {k}");
                    for (g, w) in got.iter().zip(&want) {
                        assert_eq!((g.0.as_str(), g.1.to_bits()), (w.0.as_str(), w.1.to_bits()), "query {q}, k {k}, ranking {ranking}");
                    }
                }
                for (key, c) in &expected {
                    assert_eq!(view.of(key).to_bits(), c.to_bits(), "{key}");
                }
                assert_eq!(view.of("faq/none"), 0.0);
            }
        }
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
