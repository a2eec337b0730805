//! The nearest documents by meaning without reading every vector's floats: a scan of the
//! vectors in 8-bit integers gives each document's similarity within a known margin, and only
//! the documents the margins cannot settle are computed exactly.
//!
//! e5's vectors lie in a narrow cone: on wiki-qa their mean has length 0.93 and a vector's
//! difference from it about 0.37, and a question's 30th nearest page is typically only 0.02
//! above its 300th. So the copy keeps the mean once, in floats, and each vector's difference
//! from it in 8-bit integers with a scale of its own: 384 bytes a vector, and integer products
//! summed sixteen at a time (`vpmaddwd` on AVX2) against the question's 16-bit copy. The
//! approximate cosine is the question's product with the mean plus the integer sum, scaled.
//! The error of each copy is known (`‖c − scale × k‖` for a vector, `‖q − s × m‖` for the
//! question), so the approximate cosine is within a margin of the exact one (Cauchy–Schwarz,
//! plus the rounding of the exact scan's float sum): about 0.003 on wiki-qa. A document is then
//! known to lie between two bounds; the `k` best are found among the documents whose upper
//! bound reaches the `k`-th best lower bound (77 of 13,448 pages on average for 30 on wiki-qa),
//! and those alone are computed exactly, with the same float operations in the same order as
//! the exact scan: the similarities, and so the rankings, are the same to the bit.

use std::ops::Range;

/// The documents' vectors as their mean and, per vector, its difference from it in 8-bit
/// integers, with what it takes to bound the error.
pub(super) struct Scan {
    dim: usize,
    /// What the vectors share: their mean.
    mean: Vec<f32>,
    /// Per vector, `dim` integers: `scale × code` is within the vector's error of its
    /// difference from the mean.
    codes: Vec<i8>,
    /// Per vector, its scale.
    scales: Vec<f32>,
    /// Per vector, the length of its copy's error `‖c − scale × k‖`, with the rounding of the
    /// exact scan's sum (see [`Scan::of`]): how far the approximate cosine can be from the exact
    /// one per unit of the question's length. Rounded up.
    slack: Vec<f32>,
    /// Per vector, the length of its copy `‖scale × k‖`, rounded up: what the question's own
    /// copy's error is multiplied by.
    lengths: Vec<f32>,
}

/// Where one query's similarities lie, per vector or per document: between `low` and `high`
/// (both minus infinity for a document without vectors).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Bounds {
    pub(super) low: Vec<f32>,
    pub(super) high: Vec<f32>,
}

/// The largest magnitude of a vector's integers.
const CODE: f32 = i8::MAX as f32;

impl Scan {
    /// The integer copy of `data` (`dim` floats per vector).
    pub(super) fn of(data: &[f32], dim: usize) -> Self {
        let count = data.len().checked_div(dim).unwrap_or(0);
        let mut scan = Scan {
            dim,
            mean: vec![0.0; dim],
            codes: Vec::with_capacity(count * dim),
            scales: Vec::with_capacity(count),
            slack: Vec::with_capacity(count),
            lengths: Vec::with_capacity(count),
        };
        if dim == 0 || count == 0 {
            return scan;
        }
        let mut sum = vec![0.0f64; dim];
        for v in data.chunks_exact(dim) {
            for (s, &x) in sum.iter_mut().zip(v) {
                *s += f64::from(x);
            }
        }
        scan.mean = sum.iter().map(|s| (s / count as f64) as f32).collect();
        // The exact scan's float sum of `dim` products is off by at most `dim × ε` times the sum
        // of their magnitudes, itself at most the product of the lengths.
        let rounding = (dim as f64 + 2.0) * f64::from(f32::EPSILON);
        let mut difference = vec![0.0f64; dim];
        for v in data.chunks_exact(dim) {
            for ((d, &x), &m) in difference.iter_mut().zip(v).zip(&scan.mean) {
                *d = f64::from(x) - f64::from(m);
            }
            let largest = difference.iter().fold(0.0f64, |m, x| m.max(x.abs())) as f32;
            let scale = if largest > 0.0 { largest / CODE } else { 0.0 };
            let (mut error, mut copy, mut length) = (0.0f64, 0.0f64, 0.0f64);
            for (&d, &x) in difference.iter().zip(v) {
                let k = if scale > 0.0 { (d / f64::from(scale)).round().clamp(-f64::from(CODE), f64::from(CODE)) as i8 } else { 0 };
                scan.codes.push(k);
                // What the copy `scale × k` misses of the difference, in f64.
                let kept = f64::from(scale) * f64::from(k);
                error += (d - kept) * (d - kept);
                copy += kept * kept;
                length += f64::from(x) * f64::from(x);
            }
            scan.scales.push(scale);
            // Each rounded up to the next float, so that the bounds hold.
            scan.slack.push(next_up((error.sqrt() + rounding * length.sqrt()) as f32));
            scan.lengths.push(next_up(copy.sqrt() as f32));
        }
        scan
    }

    /// Bounds of every vector's cosine with `query` as the exact scan computes it: the
    /// approximate cosine less and plus its margin, widened by [`SLACK`]. Empty for a query of
    /// another dimension.
    pub(super) fn bounds(&self, query: &[f32]) -> Bounds {
        let count = self.scales.len();
        let mut out = Bounds { low: Vec::new(), high: Vec::new() };
        if query.len() != self.dim || self.dim == 0 {
            return out;
        }
        let copy = QueryCopy::of(query);
        let shared: f64 = query.iter().zip(&self.mean).map(|(&q, &m)| f64::from(q) * f64::from(m)).sum();
        let sums = products(&self.codes, &copy.values, self.dim);
        // Besides each vector's own slack: the question's copy's error against the vector's
        // copy; the margin's own rounding (a few operations, each within half an epsilon,
        // `UP`); and the rounding of the cosine's (`LOOSE`).
        let (norm, error, scale, shared) = (copy.norm, copy.error, copy.scale, shared as f32);
        let loose = LOOSE * norm.max(1.0);
        out.low.resize(count, 0.0);
        out.high.resize(count, 0.0);
        let each = out.low.iter_mut().zip(out.high.iter_mut()).zip(sums.iter().zip(&self.scales).zip(self.slack.iter().zip(&self.lengths)));
        for ((low, high), ((&sum, &s), (&slack, &length))) in each {
            let cosine = shared + s * scale * sum as f32;
            let margin = (slack * norm + error * length) * UP + loose;
            *low = cosine - margin;
            *high = cosine + margin;
        }
        out
    }
}

/// What the rounding in [`Scan::bounds`] can add to a margin besides the exact scan's and the
/// margin's own: the question's product with the mean (in f64, then rounded to `f32`), the
/// integer sum's conversion to `f32` and the two float operations that make the cosine, each
/// within 6e-8 of terms below 2 in magnitude (for a question of unit length; scaled by a longer
/// one's); and [`SLACK`] for the subtraction and addition of the margin.
const LOOSE: f32 = 1e-6 + SLACK;

/// A margin computed in `f32` in a few operations, each rounded by at most half an epsilon,
/// times this is at least the margin.
const UP: f32 = 1.0 + 4.0 * f32::EPSILON;

/// The question in 16-bit integers: `scale × values` within `error` of it.
struct QueryCopy {
    values: Vec<i16>,
    scale: f32,
    /// The question's length and its copy's error, rounded up.
    norm: f32,
    error: f32,
}

impl QueryCopy {
    fn of(query: &[f32]) -> Self {
        // The largest integer that keeps a sum of `dim` products within an `i32`.
        let bound = (i32::MAX as usize / (CODE as usize * query.len().max(1))).min(i16::MAX as usize) as f32;
        let largest = query.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        let scale = if largest > 0.0 { largest / bound } else { 0.0 };
        let (mut error, mut norm) = (0.0f64, 0.0f64);
        let values = query
            .iter()
            .map(|&x| {
                let v = if scale > 0.0 { (x / scale).round().clamp(-bound, bound) as i16 } else { 0 };
                let e = f64::from(x) - f64::from(scale) * f64::from(v);
                error += e * e;
                norm += f64::from(x) * f64::from(x);
                v
            })
            .collect();
        QueryCopy { values, scale, norm: next_up(norm.sqrt() as f32), error: next_up(error.sqrt() as f32) }
    }
}

/// Each vector's integer product with the question's copy: on AVX2, sixteen products a step
/// (`vpmaddwd`). Integer sums are exact, so every path gives the same sums.
fn products(codes: &[i8], query: &[i16], dim: usize) -> Vec<i32> {
    #[cfg(target_arch = "x86_64")]
    if let Some(simd) = pulp::x86::V3::try_new() {
        return simd.vectorize(Wide { simd, codes, query, dim });
    }
    codes.chunks_exact(dim).map(|k| product(k, query)).collect()
}

/// One vector's integer product with the question's copy, one product after the other.
#[inline(always)]
fn product(codes: &[i8], query: &[i16]) -> i32 {
    codes.iter().zip(query).map(|(&k, &q)| i32::from(k) * i32::from(q)).sum()
}

/// [`products`] with AVX2's integer products, compiled with its features (`V3::vectorize`).
#[cfg(target_arch = "x86_64")]
struct Wide<'a> {
    simd: pulp::x86::V3,
    codes: &'a [i8],
    query: &'a [i16],
    dim: usize,
}

#[cfg(target_arch = "x86_64")]
impl pulp::NullaryFnOnce for Wide<'_> {
    type Output = Vec<i32>;

    #[inline(always)]
    fn call(self) -> Vec<i32> {
        use std::arch::x86_64::__m256i;
        let Wide { simd, codes, query, dim } = self;
        let (sixteens, query_rest) = query.as_chunks::<16>();
        let wide: Vec<__m256i> = sixteens.iter().map(|&q| pulp::cast(q)).collect();
        let wide = wide.as_slice();
        // Plain loops and functions inlined: a closure would not be compiled with the features
        // of `vectorize`. Four vectors at a time share each load of the question and one
        // horizontal sum.
        let mut out = Vec::with_capacity(codes.len() / dim.max(1));
        let mut fours = codes.chunks_exact(4 * dim);
        for four in &mut fours {
            let (k0, rest) = four.split_at(dim);
            let (k1, rest) = rest.split_at(dim);
            let (k2, k3) = rest.split_at(dim);
            let (c0, c1, c2, c3) = (k0.as_chunks::<16>().0, k1.as_chunks::<16>().0, k2.as_chunks::<16>().0, k3.as_chunks::<16>().0);
            let zero = simd.avx._mm256_setzero_si256();
            let (mut s0, mut s1, mut s2, mut s3) = (zero, zero, zero, zero);
            for ((((&q, &a), &b), &c), &d) in wide.iter().zip(c0).zip(c1).zip(c2).zip(c3) {
                s0 = step(simd, s0, a, q);
                s1 = step(simd, s1, b, q);
                s2 = step(simd, s2, c, q);
                s3 = step(simd, s3, d, q);
            }
            // Pairwise sums twice, then the two halves: the four vectors' totals.
            let h = simd.avx2._mm256_hadd_epi32(simd.avx2._mm256_hadd_epi32(s0, s1), simd.avx2._mm256_hadd_epi32(s2, s3));
            let halves: [[i32; 4]; 2] = pulp::cast(h);
            for (j, k) in [k0, k1, k2, k3].into_iter().enumerate() {
                out.push(halves[0][j] + halves[1][j] + product(&k[dim - query_rest.len()..], query_rest));
            }
        }
        for k in fours.remainder().chunks_exact(dim) {
            let mut sum = simd.avx._mm256_setzero_si256();
            for (&q, &c) in wide.iter().zip(k.as_chunks::<16>().0) {
                sum = step(simd, sum, c, q);
            }
            let sums: [i32; 8] = pulp::cast(sum);
            let mut total = product(&k[dim - query_rest.len()..], query_rest);
            for s in sums {
                total += s;
            }
            out.push(total);
        }
        out
    }
}

/// `sum` plus the products of sixteen of a vector's integers (`k`) with the question's (`q`),
/// added in pairs.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn step(simd: pulp::x86::V3, sum: std::arch::x86_64::__m256i, k: [i8; 16], q: std::arch::x86_64::__m256i) -> std::arch::x86_64::__m256i {
    simd.avx2._mm256_add_epi32(sum, simd.avx2._mm256_madd_epi16(simd.avx2._mm256_cvtepi8_epi16(pulp::cast(k)), q))
}

/// The smallest float above `x` (for a finite, non-negative `x`): bounds rounded up.
fn next_up(x: f32) -> f32 {
    if x.is_finite() && x >= 0.0 { f32::from_bits(x.to_bits() + 1) } else { x }
}

/// The bounds of each document's best cosine, from its vectors' (`vectors`); minus infinity
/// for a document with none. `grouped` lists the vectors by document, `ranges` each document's
/// part of it; `one_each` says whether that is one vector each, in order ([`one_each`]).
pub(super) fn document_bounds(vectors: Bounds, grouped: &[u32], ranges: &[Range<u32>], one_each: bool) -> Bounds {
    // A vector each, in order (pages without aliases): the vectors' bounds are the documents'.
    if one_each && vectors.low.len() == grouped.len() {
        return vectors;
    }
    let mut out = Bounds { low: vec![f32::NEG_INFINITY; ranges.len()], high: vec![f32::NEG_INFINITY; ranges.len()] };
    for (d, range) in ranges.iter().enumerate() {
        for &v in &grouped[range.start as usize..range.end as usize] {
            // (None for a query of another dimension: nothing is near it.)
            let (Some(&l), Some(&h)) = (vectors.low.get(v as usize), vectors.high.get(v as usize)) else { continue };
            out.low[d] = out.low[d].max(l);
            out.high[d] = out.high[d].max(h);
        }
    }
    out
}

/// Whether each document has one vector, and in order: `grouped` and `ranges` as
/// [`document_bounds`] takes them.
pub(super) fn one_each(grouped: &[u32], ranges: &[Range<u32>]) -> bool {
    grouped.len() == ranges.len()
        && grouped.iter().enumerate().all(|(i, &v)| v as usize == i)
        && ranges.iter().enumerate().all(|(d, r)| r.start as usize == d && r.end as usize == d + 1)
}

/// What a bound is widened by for each float operation on the way to it: cosines are within
/// [-1, 1], where one rounding moves a value by less than 6e-8.
pub(super) const SLACK: f32 = 1e-6;

/// The documents that may be among the `k` best of documents known to lie within `low` and
/// `high` (infinite bounds: no document): every document whose upper bound reaches the `k`-th
/// best lower bound. A document below it has `k` documents surely above it.
pub(super) fn contenders(low: &[f32], high: &[f32], k: usize) -> Vec<usize> {
    if k == 0 {
        return Vec::new();
    }
    // The `k` best lower bounds, in a heap whose top is the worst of them: most documents are
    // below it and cost one comparison.
    let mut best: std::collections::BinaryHeap<std::cmp::Reverse<Ordered>> = std::collections::BinaryHeap::with_capacity(k + 1);
    for (&l, &h) in low.iter().zip(high) {
        if !h.is_finite() {
            continue;
        }
        if best.len() < k {
            best.push(std::cmp::Reverse(Ordered(l)));
        } else if let Some(mut worst) = best.peek_mut()
            && l > worst.0.0
        {
            *worst = std::cmp::Reverse(Ordered(l));
        }
    }
    // Fewer than `k` documents: all of them.
    let kth = if best.len() < k { f32::NEG_INFINITY } else { best.peek().map_or(f32::NEG_INFINITY, |w| w.0.0) };
    (0..low.len()).filter(|&d| high[d].is_finite() && high[d] >= kth).collect()
}

/// A bound ordered by `f32::total_cmp`, for the heap in [`contenders`].
#[derive(Clone, Copy, PartialEq)]
struct Ordered(f32);

impl Eq for Ordered {}

impl PartialOrd for Ordered {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ordered {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
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

    /// Unit vectors in a narrow cone, as e5's are: a shared direction (with a few large
    /// coordinates) and a smaller part of their own (without).
    fn cone(seed: u64, count: usize, dim: usize) -> Vec<f32> {
        let shared = unit(floats(seed, dim));
        let own = |i: u64| unit(floats(seed + 1 + i, dim).into_iter().map(|x| x.clamp(-1.0, 1.0)).collect());
        (0..count as u64).flat_map(|i| unit(shared.iter().zip(own(i)).map(|(s, x)| 2.5 * s + x).collect())).collect()
    }

    #[test]
    fn the_exact_cosine_is_always_within_the_margin() {
        // Spread vectors with large coordinates, and vectors in a cone; dimensions that fill the
        // sixteen-wide steps and one that leaves a rest; counts that leave vectors outside the
        // groups of four.
        for (dim, count) in [(384, 301), (100, 37)] {
            let spread: Vec<f32> = (0..count as u64).flat_map(|i| unit(floats(i, dim))).collect();
            for data in [spread, cone(7, count, dim)] {
                let scan = Scan::of(&data, dim);
                for seed in 1000..1012 {
                    let query = if seed % 2 == 0 { unit(floats(seed, dim)) } else { cone(seed, 1, dim) };
                    let b = scan.bounds(&query);
                    assert_eq!(b.low.len(), count);
                    for (i, v) in data.chunks_exact(dim).enumerate() {
                        let e = exact(v, &query);
                        assert!(b.low[i] <= e && e <= b.high[i], "vector {i}: exact {e}, bounds {} to {}", b.low[i], b.high[i]);
                    }
                }
            }
        }
    }

    #[test]
    fn margins_in_a_cone_are_narrow_enough_to_settle_the_best() {
        // What makes the scan pay: in a cone, where cosines differ in their second decimal, a
        // vector's margin is a few thousandths (wiki-qa's: 0.0026 on average).
        let dim = 384;
        let data = cone(11, 200, dim);
        let scan = Scan::of(&data, dim);
        let b = scan.bounds(&cone(99, 1, dim));
        let widest = b.low.iter().zip(&b.high).fold(0.0f32, |m, (l, h)| m.max((h - l) / 2.0));
        assert!(widest < 0.005, "margins this wide would settle little: {widest}");
        let cosines: Vec<f32> = data.chunks_exact(dim).map(|v| exact(v, &cone(99, 1, dim))).collect();
        let (low, high) = cosines.iter().fold((1.0f32, -1.0f32), |(l, h), &c| (l.min(c), h.max(c)));
        assert!(high - low > 20.0 * widest, "the cone's cosines spread over {}", high - low);
    }

    #[test]
    fn every_path_sums_the_same_integers() {
        // Extremes included: the largest codes against the largest question values.
        for dim in [384, 100, 16, 7] {
            let floats_k = floats(3, dim * 9);
            let codes: Vec<i8> = floats_k.iter().enumerate().map(|(i, x)| if i % 11 == 0 { -127 } else if i % 13 == 0 { 127 } else { (x * 127.0) as i8 }).collect();
            let query: Vec<i16> = floats(4, dim).iter().enumerate().map(|(i, x)| if i % 5 == 0 { 32767 } else { (x * 32767.0) as i16 }).collect();
            let expected: Vec<i32> = codes.chunks_exact(dim).map(|k| product(k, &query)).collect();
            assert_eq!(products(&codes, &query, dim), expected, "dimension {dim}");
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
        let vectors = Bounds { low: vec![0.09, -0.21, 0.38], high: vec![0.11, -0.19, 0.42] };
        assert!(!one_each(&grouped, &ranges));
        let b = document_bounds(vectors.clone(), &grouped, &ranges, false);
        assert_eq!((b.low[0], b.high[0]), (0.38, 0.42));
        assert_eq!((b.low[1], b.high[1]), (f32::NEG_INFINITY, f32::NEG_INFINITY));
        assert_eq!((b.low[2], b.high[2]), (-0.21, -0.19));
        // A vector each, in order: the documents' bounds are the vectors'.
        assert!(one_each(&[0, 1, 2], &[0..1, 1..2, 2..3]));
        assert_eq!(document_bounds(vectors.clone(), &[0, 1, 2], &[0..1, 1..2, 2..3], true), vectors);
    }
}
