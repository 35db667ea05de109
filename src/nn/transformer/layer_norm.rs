//! LayerNorm over the last dimension (`D`) of a row block, eps 1e-5, with weight and bias,
//! as PyTorch's `nn.LayerNorm(D)`.
//!
//! ```text
//! mean = sum(x) / D          var = sum((x - mean)^2) / D          rstd = 1 / sqrt(var + eps)
//! xhat = (x - mean) * rstd   y = xhat * w + b
//! backward: g = dy * w
//!   dx = rstd * (g - mean(g) - xhat * mean(g * xhat))   dw += sum_rows dy * xhat   db += sum_rows dy
//! ```
//!
//! The forward pass keeps `mean` and `rstd` per row; the backward pass recomputes `xhat`
//! from the input.

use crate::nn::simd::{lane_sum, vectorized};

/// LayerNorm's epsilon.
pub(crate) const LN_EPS: f32 = 1e-5;

/// `y = LayerNorm(x)` for every row of `x` (rows of `w.len()` values); writes each row's mean
/// and `1/std` to `mean` and `rstd`.
pub(crate) fn layer_norm_forward(
    x: &[f32],
    w: &[f32],
    b: &[f32],
    y: &mut [f32],
    mean: &mut [f32],
    rstd: &mut [f32],
) {
    let d = w.len();
    let inv_d = 1.0 / d as f32;
    vectorized(
        #[inline(always)]
        || {
            let rows = x
                .chunks_exact(d)
                .zip(y.chunks_exact_mut(d))
                .zip(mean.iter_mut().zip(rstd.iter_mut()));
            for ((x, y), (mean, rstd)) in rows {
                let m = lane_sum(x, |x| x) * inv_d;
                let var = lane_sum(x, |v| (v - m) * (v - m)) * inv_d;
                let r = 1.0 / (var + LN_EPS).sqrt();
                for (((y, &x), &w), &b) in y.iter_mut().zip(x).zip(w).zip(b) {
                    *y = (x - m) * r * w + b;
                }
                (*mean, *rstd) = (m, r);
            }
        },
    );
}

/// Backward of [`layer_norm_forward`]: adds `dL/dx` into `dx` and the parameter gradients
/// into `dw` and `db`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn layer_norm_backward(
    x: &[f32],
    w: &[f32],
    mean: &[f32],
    rstd: &[f32],
    dy: &[f32],
    dx: &mut [f32],
    dw: &mut [f32],
    db: &mut [f32],
) {
    let d = w.len();
    let inv_d = 1.0 / d as f32;
    vectorized(
        #[inline(always)]
        || {
            let rows = x
                .chunks_exact(d)
                .zip(dy.chunks_exact(d))
                .zip(dx.chunks_exact_mut(d))
                .zip(mean.iter().zip(rstd));
            for (((x, dy), dx), (&m, &r)) in rows {
                for (((&x, &dy), dw), db) in x.iter().zip(dy).zip(dw.iter_mut()).zip(db.iter_mut())
                {
                    *dw += dy * ((x - m) * r);
                    *db += dy;
                }
                // g = dy * w; the row sums in order (as the reference arithmetic).
                let (mut sum_g, mut sum_gx) = (0.0f32, 0.0f32);
                for ((&x, &dy), &w) in x.iter().zip(dy).zip(w) {
                    let g = dy * w;
                    sum_g += g;
                    sum_gx += g * ((x - m) * r);
                }
                let (mean_g, mean_gx) = (sum_g * inv_d, sum_gx * inv_d);
                for (((dx, &x), &dy), &w) in dx.iter_mut().zip(x).zip(dy).zip(w) {
                    let xhat = (x - m) * r;
                    *dx += r * (dy * w - mean_g - xhat * mean_gx);
                }
            }
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Loss `sum(y * c)` for fixed coefficients `c`, in f64 through the f32 forward.
    fn loss(x: &[f32], w: &[f32], b: &[f32], c: &[f32]) -> f64 {
        let rows = x.len() / w.len();
        let mut y = vec![0.0; x.len()];
        let (mut m, mut r) = (vec![0.0; rows], vec![0.0; rows]);
        layer_norm_forward(x, w, b, &mut y, &mut m, &mut r);
        y.iter().zip(c).map(|(&y, &c)| f64::from(y * c)).sum()
    }

    #[test]
    fn gradients_match_finite_differences() {
        // Central differences with step 1e-2 on values of order 1 (f32 forward): tolerance
        // 2e-3 absolute + 1e-2 relative.
        let (rows, d) = (3, 6);
        let x: Vec<f32> = (0..rows * d)
            .map(|i| (i as f32 * 0.7).sin() * 1.5)
            .collect();
        let w: Vec<f32> = (0..d).map(|i| 0.5 + 0.1 * i as f32).collect();
        let b: Vec<f32> = (0..d).map(|i| 0.05 * i as f32).collect();
        let c: Vec<f32> = (0..rows * d).map(|i| (i as f32 * 1.3).cos()).collect();
        let mut y = vec![0.0; x.len()];
        let (mut m, mut r) = (vec![0.0; rows], vec![0.0; rows]);
        layer_norm_forward(&x, &w, &b, &mut y, &mut m, &mut r);
        let (mut dx, mut dw, mut db) = (vec![0.0; x.len()], vec![0.0; d], vec![0.0; d]);
        layer_norm_backward(&x, &w, &m, &r, &c, &mut dx, &mut dw, &mut db);
        let h = 1e-2f32;
        let check = |analytic: f32, plus: f64, minus: f64, what: &str| {
            let fd = (plus - minus) / (2.0 * f64::from(h));
            let tol = 2e-3 + 1e-2 * fd.abs();
            assert!(
                (f64::from(analytic) - fd).abs() < tol,
                "{what}: {analytic} vs {fd}"
            );
        };
        for i in 0..x.len() {
            let (mut xp, mut xm) = (x.clone(), x.clone());
            xp[i] += h;
            xm[i] -= h;
            check(dx[i], loss(&xp, &w, &b, &c), loss(&xm, &w, &b, &c), "dx");
        }
        for i in 0..d {
            let (mut wp, mut wm) = (w.clone(), w.clone());
            wp[i] += h;
            wm[i] -= h;
            check(dw[i], loss(&x, &wp, &b, &c), loss(&x, &wm, &b, &c), "dw");
            let (mut bp, mut bm) = (b.clone(), b.clone());
            bp[i] += h;
            bm[i] -= h;
            check(db[i], loss(&x, &w, &bp, &c), loss(&x, &w, &bm, &c), "db");
        }
    }

    #[test]
    fn output_rows_are_normalised() {
        let x = [1.0, 2.0, 3.0, 4.0];
        let mut y = [0.0; 4];
        let (mut m, mut r) = ([0.0], [0.0]);
        layer_norm_forward(&x, &[1.0; 4], &[0.0; 4], &mut y, &mut m, &mut r);
        assert!((m[0] - 2.5).abs() < 1e-6);
        assert!(y.iter().sum::<f32>().abs() < 1e-5);
        let var: f32 = y.iter().map(|v| v * v).sum::<f32>() / 4.0;
        assert!((var - 1.0).abs() < 1e-4);
    }
}
