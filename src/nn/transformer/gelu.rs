//! GELU, tanh approximation (PyTorch's `nn.GELU(approximate='tanh')`), and the branch-free
//! `exp` it and the softmaxes use, written so that loops over them vectorise.
//!
//! ```text
//! u = sqrt(2/pi) * (x + 0.044715 x^3)
//! gelu(x)  = 0.5 x (1 + tanh(u))
//! gelu'(x) = 0.5 (1 + tanh(u)) + 0.5 x (1 - tanh(u)^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
//! ```
//!
//! The forward pass writes the derivative next to the output, so the backward pass is one
//! multiply per value.

use crate::nn::simd::vectorized;

const SQRT_2_OVER_PI: f32 = 0.797_884_6;
const GELU_C: f32 = 0.044_715;

/// `e^x` to about 2 ulp for `x` in `[-87, 88]` (clamped outside: `exp(-100)` gives ~1e-38, not
/// 0). Cephes' `expf` polynomial with round-to-nearest done by the 1.5 * 2^23 trick, so no
/// libm call blocks vectorisation.
#[inline(always)]
pub(crate) fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const ROUND: f32 = 12_582_912.0; // 1.5 * 2^23
    const C1: f32 = 0.693_359_4;
    const C2: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.0, 88.0);
    let n = (x * LOG2E + ROUND) - ROUND;
    let r = x - n * C1 - n * C2;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    // `n + ROUND` holds the integer `n` in its low mantissa bits: integer arithmetic on the
    // bits gives the exponent of 2^n without a (saturating, slow) float-to-int cast.
    let n_bits = (x * LOG2E + ROUND).to_bits().wrapping_sub(ROUND.to_bits());
    let scale = f32::from_bits(n_bits.wrapping_add(127) << 23);
    e * scale
}

/// `tanh(u)` through [`exp`]: `1 - 2 / (e^(2u) + 1)`, about 1e-7 absolute error.
#[inline(always)]
pub(crate) fn tanh(u: f32) -> f32 {
    1.0 - 2.0 / (exp(2.0 * u) + 1.0)
}

/// `(gelu(x), gelu'(x))`.
#[inline(always)]
pub(crate) fn gelu_and_derivative(x: f32) -> (f32, f32) {
    let x2 = x * x;
    let t = tanh(SQRT_2_OVER_PI * x * (1.0 + GELU_C * x2));
    let half_1pt = 0.5 * (1.0 + t);
    let y = x * half_1pt;
    let dy = half_1pt + 0.5 * x * (1.0 - t * t) * SQRT_2_OVER_PI * (1.0 + 3.0 * GELU_C * x2);
    (y, dy)
}

/// Forward over a row block, in place: `h` holds `x W^T` without the bias on entry; adds
/// `bias` (one value per column, `bias.len()` columns) and leaves `gelu(h + bias)` in `h`,
/// `gelu'(h + bias)` in `dy`.
pub(crate) fn gelu_forward(h: &mut [f32], bias: &[f32], dy: &mut [f32]) {
    let cols = bias.len();
    vectorized(
        #[inline(always)]
        || {
            for (h, dy) in h.chunks_exact_mut(cols).zip(dy.chunks_exact_mut(cols)) {
                for ((h, &b), dy) in h.iter_mut().zip(bias).zip(dy.iter_mut()) {
                    (*h, *dy) = gelu_and_derivative(*h + b);
                }
            }
        },
    );
}

/// Backward: `dx = dy_out * gelu'(x)`, in place on `grad` (which holds `dL/dy` on entry).
pub(crate) fn gelu_backward(grad: &mut [f32], derivative: &[f32]) {
    vectorized(
        #[inline(always)]
        || {
            for (g, &d) in grad.iter_mut().zip(derivative) {
                *g *= d;
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gelu_f64(x: f64) -> f64 {
        let u = (2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x);
        0.5 * x * (1.0 + u.tanh())
    }

    #[test]
    fn exp_and_tanh_match_std() {
        for i in -2000..=2000 {
            let x = i as f32 * 0.04;
            let want = f64::from(x).exp();
            let got = f64::from(exp(x));
            assert!(
                ((got - want) / want).abs() < 3e-7,
                "exp({x}) = {got}, want {want}"
            );
            let t = f64::from(tanh(x));
            assert!((t - f64::from(x).tanh()).abs() < 3e-7, "tanh({x}) = {t}");
        }
        assert!(exp(-1000.0) >= 0.0 && exp(-1000.0) < 1e-37);
        assert!(exp(1000.0).is_finite());
    }

    #[test]
    fn gelu_matches_pytorch_formula_and_its_derivative_finite_differences() {
        // The derivative is checked against central differences of the f64 formula
        // (step 1e-4, tolerance 1e-4 absolute); the value against the formula to 1e-6.
        for i in -120..=120 {
            let x = i as f32 * 0.05;
            let (y, dy) = gelu_and_derivative(x);
            let xd = f64::from(x);
            assert!((f64::from(y) - gelu_f64(xd)).abs() < 1e-6, "gelu({x})");
            let h = 1e-4;
            let fd = (gelu_f64(xd + h) - gelu_f64(xd - h)) / (2.0 * h);
            assert!(
                (f64::from(dy) - fd).abs() < 1e-4,
                "gelu'({x}) = {dy}, fd {fd}"
            );
        }
        let mut y = [0.5, -1.0];
        let mut d = [0.0; 2];
        gelu_forward(&mut y, &[0.25, 0.0], &mut d);
        assert_eq!((y[0], d[0]), gelu_and_derivative(0.75));
        let mut g = [2.0, 3.0];
        gelu_backward(&mut g, &d);
        assert_eq!(g, [2.0 * d[0], 3.0 * d[1]]);
    }
}
