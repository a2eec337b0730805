//! 4-bit weight matrices, and the matrix product for passes of few tokens (a single query).
//!
//! A [`Q4Matrix`] keeps the file's Q4_0 weights one per byte (0..15) in row order, and the
//! block scales converted to f32 once, so that decoding is two flat loops the compiler
//! vectorizes well (packed two per byte, it vectorized them badly: three times slower).
//!
//! For a few rows of activations, a general matrix product spends most of its time moving the
//! weights (decoding, packing), not multiplying. [`SkinnyQ4`] instead decodes four weight rows
//! at a time into a buffer that stays in L1 cache and multiplies them with every token's row,
//! three tokens at a time (twelve accumulators), with the CPU's widest fused multiply-add. The
//! weights are read once, 4.5 bits each.

use pulp::{Simd, WithSimd};

use crate::format::{BLOCK, BLOCK_BYTES, block_scale};

/// Weight rows decoded together.
const ROWS: usize = 4;

/// A `rows` × `cols` matrix of 4-bit weights: weight `k` is `(values[k] - 8) · scales[k / 32]`.
pub(crate) struct Q4Matrix {
    pub rows: usize,
    pub cols: usize,
    values: Vec<u8>,
    scales: Vec<f32>,
}

impl Q4Matrix {
    /// From the file's blocks (f16 scale + 16 bytes each), matrices stacked row-wise.
    pub(crate) fn new(parts: &[&[u8]], cols: usize) -> Q4Matrix {
        let (mut values, mut scales) = (Vec::new(), Vec::new());
        for block in parts.iter().flat_map(|p| p.chunks_exact(BLOCK_BYTES)) {
            scales.push(block_scale(block));
            // Byte j of a block holds weight j in its low nibble and weight j + 16 in its high.
            values.extend(block[2..].iter().map(|b| b & 0x0F));
            values.extend(block[2..].iter().map(|b| b >> 4));
        }
        Q4Matrix {
            rows: scales.len() * BLOCK / cols.max(1),
            cols,
            values,
            scales,
        }
    }

    /// Decode rows `first..first + out.len() / cols` into `out`.
    #[inline(always)]
    fn decode_rows(&self, first: usize, out: &mut [f32]) {
        let start = first * self.cols;
        let blocks = start / BLOCK..(start + out.len()) / BLOCK;
        let n = out.len();
        for (o, &q) in out.iter_mut().zip(&self.values[start..start + n]) {
            *o = q as f32 - 8.0;
        }
        for (o, &d) in out.chunks_exact_mut(BLOCK).zip(&self.scales[blocks]) {
            for v in o {
                *v *= d;
            }
        }
    }
}

/// Decode a whole [`Q4Matrix`] into `.1` (`rows · cols` values), for `pulp::Arch::dispatch`.
pub(crate) struct Decode<'a>(pub &'a Q4Matrix, pub &'a mut [f32]);

impl WithSimd for Decode<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) {
        self.0.decode_rows(0, self.1);
    }
}

/// `y[t][o] += Σₖ x[t][k] · W[o][k]` for every token `t` and output `o`, where `x` is
/// `tokens` × `W.cols` and `y` is `tokens` × `W.rows`.
pub(crate) struct SkinnyQ4<'a> {
    pub w: &'a Q4Matrix,
    pub x: &'a [f32],
    pub y: &'a mut [f32],
}

impl WithSimd for SkinnyQ4<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let SkinnyQ4 { w: m, x, y } = self;
        let (out_dim, in_dim) = (m.rows, m.cols);
        if in_dim == 0 || in_dim % BLOCK != 0 {
            return;
        }
        let tokens = (x.len() / in_dim).min(y.len() / out_dim.max(1));
        let mut buf = vec![0f32; ROWS * in_dim];
        for o0 in (0..out_dim).step_by(ROWS) {
            let rows = ROWS.min(out_dim - o0);
            m.decode_rows(o0, &mut buf[..rows * in_dim]);
            buf[rows * in_dim..].fill(0.0);
            let w: [&[f32]; ROWS] = std::array::from_fn(|r| &buf[r * in_dim..(r + 1) * in_dim]);
            let mut t = 0;
            while t < tokens {
                // Three tokens at a time (12 accumulators: with the weights and the tokens'
                // values, the 16 AVX2 registers), then the one or two left.
                let group = (tokens - t).min(TOKENS);
                let xs: [&[f32]; TOKENS] = std::array::from_fn(|k| {
                    let k = t + k.min(group - 1);
                    &x[k * in_dim..(k + 1) * in_dim]
                });
                let sums = dot_rows(simd, w, xs);
                for r in 0..rows {
                    for (k, sum) in sums[r].iter().enumerate().take(group) {
                        y[(t + k) * out_dim + o0 + r] += sum;
                    }
                }
                t += group;
            }
        }
    }
}

/// Tokens multiplied together with the [`ROWS`] decoded weight rows.
const TOKENS: usize = 3;

/// The dot products of each of `w`'s rows with each of `xs`.
#[inline(always)]
fn dot_rows<S: Simd>(simd: S, w: [&[f32]; ROWS], xs: [&[f32]; TOKENS]) -> [[f32; TOKENS]; ROWS] {
    let split_x = xs.map(|x| S::as_simd_f32s(x));
    let split = w.map(|row| S::as_simd_f32s(row));
    let zero = simd.splat_f32s(0.0);
    let mut acc = [[zero; TOKENS]; ROWS];
    for c in 0..split_x[0].0.len() {
        let xv: [S::f32s; TOKENS] = std::array::from_fn(|k| split_x[k].0[c]);
        for r in 0..ROWS {
            let wv = split[r].0[c];
            for k in 0..TOKENS {
                acc[r][k] = simd.mul_add_f32s(wv, xv[k], acc[r][k]);
            }
        }
    }
    let mut out = [[0f32; TOKENS]; ROWS];
    for r in 0..ROWS {
        let tail = split[r].1;
        for k in 0..TOKENS {
            let dot_tail: f32 = tail.iter().zip(split_x[k].1).map(|(w, x)| w * x).sum();
            out[r][k] = simd.reduce_sum_f32s(acc[r][k]) + dot_tail;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Q4_0 matrix with a varying scale and varying nibbles, and its decoded f32 values.
    fn matrix(rows: usize, cols: usize) -> (Vec<u8>, Vec<f32>) {
        let mut q4 = Vec::new();
        for b in 0..rows * cols / BLOCK {
            let scale = half::f16::from_f32(0.01 * (1 + b % 7) as f32);
            q4.extend(scale.to_bits().to_le_bytes());
            q4.extend((0..16).map(|j| ((b * 31 + j * 7) % 256) as u8));
        }
        let mut f = vec![0f32; rows * cols];
        crate::format::dequantize_q4(&q4, &mut f);
        (q4, f)
    }

    #[test]
    fn matches_a_plain_product_for_any_token_and_row_count() {
        let arch = pulp::Arch::new();
        for (tokens, rows, cols) in [(1, 4, 32), (3, 7, 64), (14, 384, 384), (5, 9, 1536)] {
            let (q4, w) = matrix(rows, cols);
            let m = Q4Matrix::new(&[&q4], cols);
            let mut decoded = vec![0f32; rows * cols];
            arch.dispatch(Decode(&m, &mut decoded));
            assert_eq!(decoded, w);
            let x: Vec<f32> = (0..tokens * cols)
                .map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0)
                .collect();
            let mut y = vec![1f32; tokens * rows];
            arch.dispatch(SkinnyQ4 {
                w: &m,
                x: &x,
                y: &mut y,
            });
            for t in 0..tokens {
                for o in 0..rows {
                    let want: f32 = 1.0
                        + (0..cols)
                            .map(|k| x[t * cols + k] * w[o * cols + k])
                            .sum::<f32>();
                    let got = y[t * rows + o];
                    assert!(
                        (got - want).abs() <= 1e-4 * (1.0 + want.abs()),
                        "t{t} o{o}: {got} vs {want}"
                    );
                }
            }
        }
    }

    #[test]
    #[ignore = "timing, not a check: cargo test --release -p kotae-embed --lib skinny_speed -- --ignored --nocapture"]
    fn skinny_speed() {
        let arch = pulp::Arch::new();
        let (tokens, rows, cols) = (14, 1536, 384);
        let m = Q4Matrix::new(&[&matrix(rows, cols).0], cols);
        let x = vec![0.1f32; tokens * cols];
        let (mut y, mut f) = (vec![0f32; tokens * rows], vec![0f32; rows * cols]);
        let runs = 1000;
        let start = std::time::Instant::now();
        (0..runs).for_each(|_| {
            arch.dispatch(SkinnyQ4 {
                w: &m,
                x: &x,
                y: &mut y,
            })
        });
        let per = start.elapsed().as_secs_f64() / runs as f64;
        println!(
            "skinny {tokens}×{cols}×{rows}: {:.0} µs, {:.1} GFLOP/s",
            per * 1e6,
            (2 * tokens * rows * cols) as f64 / per / 1e9
        );
        let start = std::time::Instant::now();
        (0..runs).for_each(|_| arch.dispatch(Decode(&m, &mut f)));
        let per = start.elapsed().as_secs_f64() / runs as f64;
        println!(
            "decode: {:.3} ns per weight",
            per * 1e9 / (rows * cols) as f64
        );
    }
}
