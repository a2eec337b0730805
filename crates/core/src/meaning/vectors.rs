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

use super::scan::{self, Bounds, Scan};
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
    query: Arc<[f32]>,
    /// By document number, bounds of its similarity; minus infinity for a document without
    /// vectors.
    bounds: Bounds,
    /// Whether these are the ranking's similarities ([`Similarities::ranking`]).
    ranking: bool,
    /// The documents that may be among the [`SHORTLIST`] best, with their exact similarity,
    /// best first: made at the first [`Similarities::top`] and kept for the next ones.
    shortlist: OnceLock<Vec<(usize, f32)>>,
}

/// How many of the best documents [`Similarities::top`] finds at its first call, for the next
/// calls to take from: a search asks for the best 3, 8, 10 and 30.
const SHORTLIST: usize = 32;

impl<'v> Similarities<'v> {
    fn new(vectors: &'v DocVectors, query: Arc<[f32]>, bounds: Bounds, ranking: bool) -> Self {
        Similarities { vectors, query, bounds, ranking, shortlist: OnceLock::new() }
    }

    /// The similarity of the document `key` (0 when it has no vector).
    pub fn of(&self, key: &str) -> f32 {
        self.of_all(&[key])[0]
    }

    /// [`Similarities::of`] of each of `keys`, computed together (eight vectors side by side,
    /// as the exact scan does: the same values as one at a time, to the bit).
    pub fn of_all(&self, keys: &[&str]) -> Vec<f32> {
        let docs: Vec<Option<usize>> = keys.iter().map(|key| self.vectors.positions.get(*key).map(|&i| i as usize)).collect();
        let known: Vec<usize> = docs.iter().flatten().copied().collect();
        let mut exact = self.exact_all(&known).into_iter();
        docs.iter()
            .map(|d| match d {
                Some(_) => exact.next().filter(|c| c.is_finite()).unwrap_or(0.0),
                None => 0.0,
            })
            .collect()
    }

    /// The similarities documents are ranked by: each question's cosine blended with the page's
    /// answer lead's (`(q + ANSWER_WEIGHT × a) / (1 + ANSWER_WEIGHT)`), where the index has
    /// answer vectors. A customer who says it in other words than the title often says it in
    /// the answer's (docs/relevance.md, "Meaning"). [`Similarities::of`] stays the questions'
    /// cosine: the verdict and the closest questions are judged on it. The answers are scanned
    /// here, not before: a search that does not rank by meaning does not read them.
    pub fn ranking(&self) -> Similarities<'v> {
        let prepared = self.vectors.scan();
        let blended = prepared.answers.as_ref().filter(|_| !self.ranking && self.query.len() == self.vectors.dim).map(|(answers, place)| {
            let answer = answers.bounds(&self.query);
            let mut out = self.bounds.clone();
            for ((low, high), at) in out.low.iter_mut().zip(out.high.iter_mut()).zip(place) {
                if let Some(a) = at.map(|a| a as usize)
                    && low.is_finite()
                {
                    *low = (*low + ANSWER_WEIGHT * answer.low[a]) / (1.0 + ANSWER_WEIGHT) - scan::SLACK;
                    *high = (*high + ANSWER_WEIGHT * answer.high[a]) / (1.0 + ANSWER_WEIGHT) + scan::SLACK;
                }
            }
            out
        });
        let ranking = self.ranking || blended.is_some();
        Similarities::new(self.vectors, self.query.clone(), blended.unwrap_or_else(|| self.bounds.clone()), ranking)
    }

    /// The `k` most similar documents, best first (ties: by key).
    pub fn top(&self, k: usize) -> Vec<(&'v str, f32)> {
        let vectors = self.vectors;
        let named = |ranked: &[(usize, f32)]| ranked.iter().take(k).map(|&(d, c)| (vectors.keys[d].as_str(), c)).collect();
        if k <= SHORTLIST {
            // The best `k` are among the contenders for the best `SHORTLIST`: a document below
            // those has `SHORTLIST` documents surely above it.
            return named(self.shortlist.get_or_init(|| self.best(SHORTLIST)));
        }
        named(&self.best(k))
    }

    /// The `k` most similar documents by number, with their exact similarities, best first.
    fn best(&self, k: usize) -> Vec<(usize, f32)> {
        let contenders = scan::contenders(&self.bounds.low, &self.bounds.high, k);
        let mut ranked: Vec<(usize, f32)> = contenders.iter().copied().zip(self.exact_all(&contenders)).filter(|(_, c)| c.is_finite()).collect();
        let keys = &self.vectors.keys;
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| keys[a.0].cmp(&keys[b.0])));
        ranked.truncate(k);
        ranked
    }

    /// The questions' similarities again (what [`Similarities::ranking`] is to the ranking).
    #[cfg(test)]
    fn ranking_free(&self) -> Similarities<'v> {
        assert!(!self.ranking, "made from the questions' similarities");
        Similarities::new(self.vectors, self.query.clone(), self.bounds.clone(), false)
    }

    /// Each of `docs`' similarity, as the exact scan computed it: its best vector's cosine (the
    /// products summed in order), blended with its answer lead's in the ranking; their vectors'
    /// sums interleaved ([`cosines`]).
    fn exact_all(&self, docs: &[usize]) -> Vec<f32> {
        let vectors = self.vectors;
        if self.query.len() != vectors.dim {
            return vec![f32::NEG_INFINITY; docs.len()];
        }
        let scan = vectors.scan();
        let range = |d: usize| scan.ranges[d].start as usize..scan.ranges[d].end as usize;
        let answer = |d: usize| vectors.answers.get(d).and_then(Option::as_deref).filter(|_| self.ranking);
        // Each document's vectors, then the answer leads wanted, in one batch.
        let mut rows: Vec<&[f32]> = Vec::with_capacity(docs.len() * 2);
        for &d in docs {
            rows.extend(scan.grouped[range(d)].iter().map(|&v| &vectors.data[v as usize * vectors.dim..(v as usize + 1) * vectors.dim]));
        }
        rows.extend(docs.iter().filter_map(|&d| answer(d)));
        let all = cosines(&rows, &self.query);
        let (mut questions, mut answers) = (all.iter(), all[all.len() - docs.iter().filter(|&&d| answer(d).is_some()).count()..].iter());
        docs.iter()
            .map(|&d| {
                let best = questions.by_ref().take(range(d).len()).fold(f32::NEG_INFINITY, |m, &c| m.max(c));
                match answer(d) {
                    Some(_) => {
                        let a = *answers.next().expect("a cosine per answer lead");
                        if best.is_finite() { (best + ANSWER_WEIGHT * a) / (1.0 + ANSWER_WEIGHT) } else { best }
                    }
                    None => best,
                }
            })
            .collect()
    }
}

/// The exact scan's cosine of each of `rows` with `query`: each row's products summed in order,
/// as `Iterator::sum` adds them. Eight rows go side by side, so that each addition need not
/// wait for the one before it in the same row; each row's sum is the same to the bit.
fn cosines(rows: &[&[f32]], query: &[f32]) -> Vec<f32> {
    let mut out = Vec::with_capacity(rows.len());
    let mut eights = rows.chunks_exact(8);
    for eight in &mut eights {
        let dim = query.len();
        let rows: [&[f32]; 8] = std::array::from_fn(|j| &eight[j][..dim]);
        let mut sums = [-0.0f32; 8];
        for i in 0..dim {
            let q = query[i];
            for j in 0..8 {
                sums[j] += rows[j][i] * q;
            }
        }
        out.extend(sums);
    }
    out.extend(eights.remainder().iter().map(|row| row.iter().zip(query).map(|(a, b)| a * b).sum::<f32>()));
    out
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
    /// Whether that is one vector per document, in order ([`scan::one_each`]).
    one_each: bool,
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
        let bounds = scan::document_bounds(prepared.vectors.bounds(query), &prepared.grouped, &prepared.ranges, prepared.one_each);
        Similarities::new(self, query.into(), bounds, false)
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
            let one_each = scan::one_each(&grouped, &ranges);
            Arc::new(Prepared { vectors: Scan::of(&self.data, self.dim), answers, grouped, ranges, one_each })
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
                // Together, in batches of eight and a rest, unknown keys and repeats among them:
                // the same values to the bit.
                let mut keys: Vec<&str> = expected.iter().rev().map(|(key, _)| key.as_str()).step_by(3).collect();
                keys.extend(["faq/none", "faq/unknown", keys[0]]);
                let together = view.of_all(&keys);
                assert_eq!(together.len(), keys.len());
                for (key, c) in keys.iter().zip(&together) {
                    assert_eq!(c.to_bits(), view.of(key).to_bits(), "{key}, ranking {ranking}");
                }
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
