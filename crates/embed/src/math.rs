//! Element-wise arithmetic of the forward pass, written so that the compiler can vectorize it:
//! no calls into the C maths library inside the loops (its `erff` alone took half the time of
//! a forward pass), no branches. `model.rs` runs them through `pulp::Arch::dispatch`, which
//! compiles them for each SIMD level (AVX2 + FMA, ...) and picks the CPU's at run time.

/// `1.5 · 2²³`: adding and subtracting it rounds an f32 of magnitude below 2²² to the nearest
/// integer, ties to even (the default rounding mode, as C's `lrintf` rounds).
const ROUND_MAGIC: f32 = 12_582_912.0;

/// Round to the nearest integer, ties to even, for `|x| < 2²²`.
#[inline(always)]
fn round_even(x: f32) -> f32 {
    (x + ROUND_MAGIC) - ROUND_MAGIC
}

/// Weights per block of the reference's int8 activation quantization.
const BLOCK: usize = 32;

/// Round each block of 32 values of `.0` as the reference's int8 activation quantization does
/// (scale = max |x| / 127, value = round-half-even(x / scale) clamped to [-128, 127]), and write
/// the rounded values (integer × scale) to `.1`.
pub(crate) struct QuantizeBlocks<'a>(pub &'a [f32], pub &'a mut [f32]);

impl pulp::WithSimd for QuantizeBlocks<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        quantize_blocks(self.0, self.1);
    }
}

#[inline(always)]
fn quantize_blocks(src: &[f32], dst: &mut [f32]) {
    for (s, d) in src.chunks_exact(BLOCK).zip(dst.chunks_exact_mut(BLOCK)) {
        let mut lanes = [0f32; 8];
        for chunk in s.chunks_exact(8) {
            for (m, v) in lanes.iter_mut().zip(chunk) {
                *m = m.max(v.abs());
            }
        }
        let amax = lanes.iter().fold(0f32, |m, &v| m.max(v));
        let scale = amax / 127.0;
        let inv = if scale > 0.0 { 1.0 / scale } else { 0.0 };
        for (d, &v) in d.iter_mut().zip(s) {
            *d = round_even(v * inv).clamp(-128.0, 127.0) * scale;
        }
    }
}

/// `eʸ` for `y` in about [-87, 88], relative error a few units in the last place.
#[inline(always)]
fn exp(y: f32) -> f32 {
    const LOG2_E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split in two, so that `y - n·ln 2` is exact for the n that occur here.
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    // n = round(y / ln 2), read both as a float and, from the rounding sum's low mantissa
    // bits, as an integer: no float-to-int conversion, which would not vectorize.
    let shifted = y * LOG2_E + ROUND_MAGIC;
    let n = shifted - ROUND_MAGIC;
    let n_int = shifted.to_bits().wrapping_sub(ROUND_MAGIC.to_bits()) as i32;
    let r = (y - n * LN2_HI) - n * LN2_LO; // |r| <= ln 2 / 2
    // Taylor series of eʳ to r⁷ / 7!: truncation error below 6e-9 for |r| <= 0.347.
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r / 5040.0))))));
    // 2ⁿ built from its exponent bits; n stays within the normal range for our inputs.
    let two_n = f32::from_bits((n_int.wrapping_add(127) as u32) << 23);
    p * two_n
}

/// erfc(z) for z ≥ 0, relative error about 1.2e-7 (Chebyshev fit of W. H. Press et al.,
/// *Numerical Recipes*, §6.2 "erfcc"), plus f32 rounding in the exponent.
#[inline(always)]
#[allow(clippy::excessive_precision)] // the coefficients as published
fn erfc_nonneg(z: f32) -> f32 {
    let z = z.min(9.0); // erfc(9) ≈ 4e-37: below that the result does not matter here.
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -1.265_512_2
        + t * (1.000_023_7
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    t * exp(-z * z + poly)
}

/// BERT's exact GELU, `x · Φ(x) = 0.5 · x · (1 + erf(x / √2))`, in place. For negative `x` the
/// factor `1 + erf` is computed as `erfc(|x| / √2)`, so small results keep their precision.
pub(crate) struct Gelu<'a>(pub &'a mut [f32]);

impl pulp::WithSimd for Gelu<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        gelu_in_place(self.0);
    }
}

#[inline(always)]
fn gelu_in_place(values: &mut [f32]) {
    for v in values {
        let x = *v;
        let c = erfc_nonneg(x.abs() * std::f32::consts::FRAC_1_SQRT_2);
        let one_plus_erf = if x >= 0.0 { 2.0 - c } else { c };
        *v = 0.5 * x * one_plus_erf;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_to_even() {
        for (x, r) in [
            (0.5, 0.0),
            (1.5, 2.0),
            (2.5, 2.0),
            (-0.5, 0.0),
            (-1.5, -2.0),
            (126.7, 127.0),
            (-3.2, -3.0),
        ] {
            assert_eq!(round_even(x), r, "{x}");
        }
    }

    #[test]
    fn quantization_is_int8_per_block() {
        let mut x = [0f32; 64];
        x[..4].copy_from_slice(&[127.0, 0.5, 1.5, -2.4]);
        x[32] = -0.002; // a block on its own scale
        let mut out = [1f32; 64];
        quantize_blocks(&x, &mut out);
        assert_eq!(&out[..4], &[127.0, 0.0, 2.0, -2.0]);
        assert_eq!(out[32], -0.002);
        assert!(out[33..].iter().all(|&v| v == 0.0));
        quantize_blocks(&[0.0; 32], &mut out[..32]);
        assert!(out[..32].iter().all(|&v| v == 0.0));
    }

    #[test]
    fn exp_and_gelu_agree_with_the_maths_library() {
        for i in -8700..=8800 {
            let y = i as f32 * 0.01;
            let (got, want) = (exp(y), (y as f64).exp());
            assert!(
                ((got as f64 - want) / want).abs() < 4e-7,
                "exp({y}) = {got}, want {want}"
            );
        }
        let xs: Vec<f32> = (-20_000..=20_000)
            .map(|i| i as f32 * 0.0005)
            .chain([-30.0, -12.0, 12.0, 30.0])
            .collect();
        let mut got = xs.clone();
        gelu_in_place(&mut got);
        for (&x, &g) in xs.iter().zip(&got) {
            let want =
                0.5 * x as f64 * (1.0 + libm::erf(x as f64 * std::f64::consts::FRAC_1_SQRT_2));
            let err = (g as f64 - want).abs();
            // Within 1e-6 of the value, or, where the value is tiny (x below about -3), within
            // 1e-7 · |x|: closer than the reference's f32 `1 + erff(x)`, which cancels there.
            assert!(
                err <= (1e-6 * want.abs()).max(1e-7 * x.abs() as f64),
                "gelu({x}) = {g}, want {want}"
            );
        }
    }
}
