//! Losses. Each returns the mean loss over the batch and writes its gradient with respect to
//! the prediction, already divided by the batch size N.
//!
//! - MSE, as the XOR network uses it: `J = 1/N sum_n sum_f 1/2 (y_hat - y)^2`,
//!   `dJ/dy_hat = (y_hat - y) / N`.
//! - Categorical cross-entropy on probabilities: `J = -1/N sum_n sum_c y log p`,
//!   `dJ/dp = -y / (N p)` (p clamped at [`PROB_FLOOR`] so a zero probability stays finite).
//! - Softmax + cross-entropy fused, on logits z: `p = softmax(z)` computed with the row max
//!   subtracted, `J = -1/N sum y (z - max - log sum exp(z - max))`, `dJ/dz = (p - y) / N`.
//!   Stable for any logits, and the form a softmax output layer trains through.

use serde::{Deserialize, Serialize};

use crate::nn::error::{NnError, Result};
use crate::nn::tensor::Tensor;

/// Smallest probability the unfused cross-entropy takes a log of.
pub const PROB_FLOOR: f32 = 1e-12;

/// Which loss a model trains with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// Half squared error, averaged over the batch.
    Mse,
    /// Categorical cross-entropy, averaged over the batch.
    #[default]
    CrossEntropy,
}

fn check_same(op: &'static str, pred: &Tensor, target: &Tensor) -> Result<()> {
    if pred.shape() != target.shape() || pred.shape().len() != 2 {
        return Err(NnError::shape(
            op,
            format!(
                "prediction {}, target {} (both must be (N,F))",
                pred.shape_str(),
                target.shape_str()
            ),
        ));
    }
    Ok(())
}

/// Mean half squared error; writes `dJ/dpred` into `grad`.
pub fn mse(pred: &Tensor, target: &Tensor, grad: &mut Tensor) -> Result<f32> {
    check_same("mse", pred, target)?;
    let n = pred.batch().max(1) as f32;
    grad.resize(pred.shape());
    let mut sum = 0.0f64;
    for ((g, &p), &t) in grad
        .data_mut()
        .iter_mut()
        .zip(pred.data())
        .zip(target.data())
    {
        let d = p - t;
        sum += 0.5 * f64::from(d * d);
        *g = d / n;
    }
    Ok((sum / f64::from(n)) as f32)
}

/// Mean categorical cross-entropy of probabilities `probs` against one-hot (or soft) `target`;
/// writes `dJ/dprobs` into `grad`.
pub fn cross_entropy(probs: &Tensor, target: &Tensor, grad: &mut Tensor) -> Result<f32> {
    check_same("cross_entropy", probs, target)?;
    let n = probs.batch().max(1) as f32;
    grad.resize(probs.shape());
    let mut sum = 0.0f64;
    for ((g, &p), &t) in grad
        .data_mut()
        .iter_mut()
        .zip(probs.data())
        .zip(target.data())
    {
        let p = p.max(PROB_FLOOR);
        if t != 0.0 {
            sum -= f64::from(t * p.ln());
        }
        *g = -t / (n * p);
    }
    Ok((sum / f64::from(n)) as f32)
}

/// Fused softmax + cross-entropy on `logits`: writes the softmax into `probs` and
/// `dJ/dlogits = (probs - target) / N` into `grad`; returns the mean loss.
pub fn softmax_cross_entropy(
    logits: &Tensor,
    target: &Tensor,
    probs: &mut Tensor,
    grad: &mut Tensor,
) -> Result<f32> {
    check_same("softmax_cross_entropy", logits, target)?;
    let (rows, cols) = (logits.batch(), logits.sample_len());
    let n = rows.max(1) as f32;
    probs.resize(logits.shape());
    grad.resize(logits.shape());
    let mut sum = 0.0f64;
    for r in 0..rows {
        let z = &logits.data()[r * cols..(r + 1) * cols];
        let t = &target.data()[r * cols..(r + 1) * cols];
        let p = &mut probs.data_mut()[r * cols..(r + 1) * cols];
        let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut denom = 0.0f32;
        for (pi, &zi) in p.iter_mut().zip(z) {
            *pi = (zi - max).exp();
            denom += *pi;
        }
        let log_denom = denom.ln();
        for ((pi, &zi), &ti) in p.iter_mut().zip(z).zip(t) {
            *pi /= denom;
            if ti != 0.0 {
                sum -= f64::from(ti * (zi - max - log_denom));
            }
        }
        let g = &mut grad.data_mut()[r * cols..(r + 1) * cols];
        for ((gi, &pi), &ti) in g.iter_mut().zip(p.iter()).zip(t) {
            *gi = (pi - ti) / n;
        }
    }
    Ok((sum / f64::from(n)) as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mse_matches_hand_values() {
        let p = Tensor::from_vec(&[2, 1], vec![0.5, 1.0]).unwrap();
        let t = Tensor::from_vec(&[2, 1], vec![1.0, 0.0]).unwrap();
        let mut g = Tensor::default();
        let j = mse(&p, &t, &mut g).unwrap();
        // (0.5*0.25 + 0.5*1) / 2
        assert!((j - 0.3125).abs() < 1e-7);
        assert_eq!(g.data(), &[-0.25, 0.5]);
    }

    #[test]
    fn fused_is_stable_for_huge_logits() {
        let z = Tensor::from_vec(&[1, 3], vec![1000.0, 0.0, -1000.0]).unwrap();
        let t = Tensor::from_vec(&[1, 3], vec![0.0, 1.0, 0.0]).unwrap();
        let (mut p, mut g) = (Tensor::default(), Tensor::default());
        let j = softmax_cross_entropy(&z, &t, &mut p, &mut g).unwrap();
        assert!((j - 1000.0).abs() < 1e-3, "{j}");
        assert!(g.all_finite());
        assert!((g.data()[0] - 1.0).abs() < 1e-6 && (g.data()[1] + 1.0).abs() < 1e-6);
    }

    #[test]
    fn shapes_are_checked() {
        let p = Tensor::zeros(&[2, 3]);
        let t = Tensor::zeros(&[2, 4]);
        let err = mse(&p, &t, &mut Tensor::default()).unwrap_err().to_string();
        assert!(
            err.contains("mse") && err.contains("(2,3)") && err.contains("(2,4)"),
            "{err}"
        );
    }
}
