//! The nearest documents by meaning without reading every vector's floats: a scan of the
//! vectors in 16-bit integers gives each document's similarity within a known margin, and only
//! the documents the margins cannot settle are computed exactly.
//!
//! The exact scan read every vector as 384 floats and summed their products one after the
//! other: on wiki-qa's 13,448 pages (a vector per page, and one per answer lead) it was 41 MB
//! read and two chains of 384 dependent additions per page for every question, 9.0 ms, some
//! thirty times the cost of the whole lexical search. Here each vector is kept once more as
//! 16-bit integers and a scale: half the bytes, and the products summed sixteen at a time with
//! the widest SIMD the CPU has (1.5 ms). For each vector the error of that copy is known when
//! it is made (`‖v − scale × q‖`), so the approximate cosine is within a margin of the exact
//! one (Cauchy–Schwarz, plus the rounding of both sums). A document is then known to lie between two bounds; the `k` best are found among the
//! documents whose upper bound reaches the `k`-th best lower bound, and those alone are
//! computed exactly, with the same float operations in the same order as the exact scan:
//! the similarities, and so the rankings, are the same to the bit.

use std::ops::Range;

use pulp::{Simd, WithSimd};

/// The documents' vectors in 16-bit integers, with what it takes to bound their error.
pub(super) struct Scan {
    dim: usize,
    /// The vectors, `dim` integers each: `scale × value` is the float within the vector's error.
    values: Vec<i16>,
    /// Per vector, its scale.
    scales: Vec<f32>,
    /// Per vector, how far its approximate cosine can be from the exact one, per unit of the
    /// query's length: the length of its error `‖v − scale × q‖`, and the rounding of both sums
    /// (see [`Scan::of`]), rounded up.
    slack: Vec<f32>,
}

/// What one query's scan found, per vector: an approximate cosine and its margin.
pub(super) struct Approximate {
    pub(super) cosine: Vec<f32>,
    pub(super) margin: Vec<f32>,
}

impl Scan {
    /// The integer copy of `data` (`dim` floats per vector).
    pub(super) fn of(data: &[f32], dim: usize) -> Self {
        let count = data.len().checked_div(dim).unwrap_or(0);
        let mut scan = Scan {
            dim,
            values: Vec::with_capacity(count * dim),
            scales: Vec::with_capacity(count),
            slack: Vec::with_capacity(count),
        };
        if dim == 0 {
            return scan;
        }
        // Each float sum of `dim` products is off by at most `dim × ε` times the sum of their
        // magnitudes, itself at most the product of the lengths: once for the exact scan's sum,
        // once for the copy's (whose products are within its error of the vector's).
        let rounding = 2.0 * (dim as f32 + 2.0) * f32::EPSILON;
        for v in data.chunks_exact(dim) {
            let largest = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            let scale = if largest > 0.0 { largest / f32::from(i16::MAX) } else { 0.0 };
            let (mut error, mut length) = (0.0f64, 0.0f64);
            for &x in v {
                let q = if scale > 0.0 { (x / scale).round().clamp(-f32::from(i16::MAX), f32::from(i16::MAX)) as i16 } else { 0 };
                scan.values.push(q);
                // The error of the copy, in f64: what the float `scale × q` misses of `x`.
                let e = f64::from(x) - f64::from(scale) * f64::from(q);
                error += e * e;
                length += f64::from(x) * f64::from(x);
            }
            scan.scales.push(scale);
            // Each rounded up to the next float, so that the bound holds.
            let (error, length) = (next_up(error.sqrt() as f32), next_up(length.sqrt() as f32));
            scan.slack.push(next_up(error + rounding * (length + error)));
        }
        scan
    }

    /// Every vector's approximate cosine with `query`, and how far from the exact one (as the
    /// exact scan computes it) it can be.
    pub(super) fn approximate(&self, query: &[f32]) -> Approximate {
        let count = self.scales.len();
        let mut out = Approximate { cosine: Vec::with_capacity(count), margin: Vec::with_capacity(count) };
        if query.len() != self.dim || self.dim == 0 {
            return out;
        }
        let norm = next_up(query.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>().sqrt() as f32);
        pulp::Arch::new().dispatch(Approximating { scan: self, query, out: &mut out.cosine });
        out.margin.extend(self.slack.iter().map(|&slack| next_up(slack * norm * (1.0 + 4.0 * f32::EPSILON)) + f32::MIN_POSITIVE));
        out
    }
}

/// Each vector's approximate cosine with `query` into `out`, compiled for the widest SIMD the
/// CPU has (`pulp::Arch::dispatch`: AVX2 where there is, SSE2 otherwise).
struct Approximating<'a> {
    scan: &'a Scan,
    query: &'a [f32],
    out: &'a mut Vec<f32>,
}

impl WithSimd for Approximating<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) {
        let Approximating { scan, query, out } = self;
        for (v, &scale) in scan.values.chunks_exact(scan.dim).zip(&scan.scales) {
            out.push(scale * dot(v, query));
        }
    }
}

/// Σ `q[i] × x[i]`, in [`LANES`] running sums (the compiler keeps them in vector registers,
/// several of them, so that no addition waits for the one before).
#[inline(always)]
fn dot(q: &[i16], x: &[f32]) -> f32 {
    let mut sums = [0.0f32; LANES];
    let (q_lanes, x_lanes) = (q.chunks_exact(LANES), x.chunks_exact(LANES));
    let (q_rest, x_rest) = (q_lanes.remainder(), x_lanes.remainder());
    for (a, b) in q_lanes.zip(x_lanes) {
        for lane in 0..LANES {
            sums[lane] += f32::from(a[lane]) * b[lane];
        }
    }
    let mut total: f32 = sums.iter().sum();
    for (a, b) in q_rest.iter().zip(x_rest) {
        total += f32::from(*a) * b;
    }
    total
}

/// Running sums in [`dot`]. The meaning stage of a wiki-qa question (the embedding, and the
/// scan of 26,896 vectors of 384), median: SSE2 8 lanes 3.0 ms, 16 lanes 2.3 ms, 32 lanes 2.8
/// ms; AVX2 16 lanes 1.5 ms, 32 lanes 1.6 ms.
const LANES: usize = 16;

/// The smallest float above `x` (for a finite, non-negative `x`): bounds rounded up.
fn next_up(x: f32) -> f32 {
    if x.is_finite() && x >= 0.0 { f32::from_bits(x.to_bits() + 1) } else { x }
}

/// The bounds of each document's best cosine, from its vectors' (`ranges`: each document's
/// vectors, by document number): (lower, upper); minus infinity for a document with none.
/// `grouped` lists the vectors by document, `ranges` each document's part of it. Bounds are
/// widened by [`SLACK`] against the rounding of the sums that make them.
pub(super) fn document_bounds(approximate: &Approximate, grouped: &[u32], ranges: &[Range<u32>]) -> (Vec<f32>, Vec<f32>) {
    let mut low = vec![f32::NEG_INFINITY; ranges.len()];
    let mut high = vec![f32::NEG_INFINITY; ranges.len()];
    for (d, range) in ranges.iter().enumerate() {
        for &v in &grouped[range.start as usize..range.end as usize] {
            // (None for a query of another dimension: nothing is near it.)
            let (Some(&c), Some(&m)) = (approximate.cosine.get(v as usize), approximate.margin.get(v as usize)) else { continue };
            low[d] = low[d].max(c - m - SLACK);
            high[d] = high[d].max(c + m + SLACK);
        }
    }
    (low, high)
}

/// What a bound is widened by for each float operation on the way to it: cosines are within
/// [-1, 1], where one rounding moves a value by less than 6e-8.
pub(super) const SLACK: f32 = 1e-6;

/// The documents that may be among the `k` best of documents known to lie within `low` and
/// `high` (infinite bounds: no document): every document whose upper bound reaches the `k`-th
/// best lower bound. A document below it has `k` documents surely above it.
pub(super) fn contenders(low: &[f32], high: &[f32], k: usize) -> Vec<usize> {
    let present: Vec<usize> = (0..low.len()).filter(|&d| high[d].is_finite()).collect();
    if k == 0 {
        return Vec::new();
    }
    if present.len() <= k {
        return present;
    }
    let mut lows: Vec<f32> = present.iter().map(|&d| low[d]).collect();
    let (_, &mut kth, _) = lows.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
    present.into_iter().filter(|&d| high[d] >= kth).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exact scan's cosine: products summed in order.
    fn exact(v: &[f32], q: &[f32]) -> f32 {
        v.iter().zip(q).map(|(a, b)| a * b).sum()
    }

    fn unit(v: Vec<f32>) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / n).collect()
    }

    /// A deterministic stream of floats in [-1, 1), with a few large coordinates (as sentence
    /// embeddings have).
    fn floats(seed: u64, n: usize) -> Vec<f32> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|i| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                let x = (s >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0;
                if i % 97 == 5 { x * 8.0 } else { x }
            })
            .collect()
    }

    #[test]
    fn the_exact_cosine_is_always_within_the_margin() {
        let dim = 384;
        let data: Vec<f32> = (0..300).flat_map(|i| unit(floats(i, dim))).collect();
        let scan = Scan::of(&data, dim);
        for seed in 1000..1020 {
            let query = unit(floats(seed, dim));
            let a = scan.approximate(&query);
            for (i, v) in data.chunks_exact(dim).enumerate() {
                let e = exact(v, &query);
                assert!((e - a.cosine[i]).abs() <= a.margin[i], "vector {i}: exact {e}, approximate {} ± {}", a.cosine[i], a.margin[i]);
                assert!(a.margin[i] < 1e-3, "a margin this wide would settle nothing: {}", a.margin[i]);
            }
        }
    }

    #[test]
    fn the_best_are_always_among_the_contenders() {
        let low = [0.5, 0.7, 0.2, f32::NEG_INFINITY, 0.69];
        let high = [0.6, 0.8, 0.3, f32::NEG_INFINITY, 0.75];
        // The second best lower bound is 0.69: documents 0 and 2 (at most 0.6 and 0.3) cannot
        // be among the best two; the one without vectors is nobody.
        assert_eq!(contenders(&low, &high, 2), [1, 4]);
        assert_eq!(contenders(&low, &high, 1), [1, 4]);
        assert_eq!(contenders(&low, &high, 3), [0, 1, 4]);
        assert_eq!(contenders(&low, &high, 9), [0, 1, 2, 4]);
        assert!(contenders(&low, &high, 0).is_empty());
        // Vectors 0 and 2 are the first document's, 1 the third's; the second has none.
        let (grouped, ranges) = ([0, 2, 1], [0..2, 2..2, 2..3]);
        let a = Approximate { cosine: vec![0.1, -0.2, 0.4], margin: vec![0.01, 0.01, 0.02] };
        let (l, h) = document_bounds(&a, &grouped, &ranges);
        assert_eq!((l[0], h[0]), (0.4 - 0.02 - SLACK, 0.4 + 0.02 + SLACK));
        assert_eq!((l[1], h[1]), (f32::NEG_INFINITY, f32::NEG_INFINITY));
        assert_eq!((l[2], h[2]), (-0.2 - 0.01 - SLACK, -0.2 + 0.01 + SLACK));
    }
}
