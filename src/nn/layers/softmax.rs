//! `Softmax`: normalised exponentials over the feature axis.
//!
//! Shapes (legend: N batch, F features): input `x` (N, F), output `y` (N, F); each row of `y`
//! is a probability distribution.
//!
//! - Forward: `y[n, f] = exp(x[n, f] - m_n) / sum_g exp(x[n, g] - m_n)` with
//!   `m_n = max_g x[n, g]`; subtracting the row max keeps every `exp` argument `<= 0`, so large
//!   logits cannot overflow.
//! - Backward (the full Jacobian-vector product, for a softmax followed by anything other than
//!   the fused cross-entropy): `dx[n, :] = y[n, :] * (dy[n, :] - sum_g dy[n, g] y[n, g])`.
//!   A model trained with cross-entropy skips this and uses the fused `probs - onehot`
//!   gradient of [`crate::nn::loss::softmax_cross_entropy`] instead. No parameters.

use crate::nn::error::{NnError, Result, fmt_shape};
use crate::nn::layers::{Layer, LayerKind};
use crate::nn::tensor::Tensor;

/// Row-wise softmax over the features of an `(N, F)` batch.
#[derive(Clone, Debug, Default)]
pub struct Softmax;

impl Softmax {
    /// A softmax layer.
    pub fn new() -> Self {
        Softmax
    }
}

/// Checks that `x` is `(N, F)`; returns `F`.
fn check_input(op: &'static str, x: &Tensor) -> Result<usize> {
    match x.shape() {
        [_, f] => Ok(*f),
        _ => Err(NnError::shape(
            op,
            format!(
                "input {} must be (N,F): softmax runs over the feature axis of a flat batch",
                x.shape_str()
            ),
        )),
    }
}

impl Layer for Softmax {
    fn kind(&self) -> LayerKind {
        LayerKind::Softmax
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        match input {
            [f] if *f > 0 => Ok(vec![*f]),
            _ => Err(NnError::shape(
                "softmax",
                format!(
                    "softmax expects (F) per sample with F >= 1, got {}: add a flatten layer before it",
                    fmt_shape(input)
                ),
            )),
        }
    }

    fn forward(&mut self, x: &Tensor, y: &mut Tensor) -> Result<()> {
        let f = check_input("softmax", x)?;
        y.resize(x.shape());
        if f == 0 {
            return Ok(());
        }
        for (yr, xr) in y
            .data_mut()
            .chunks_exact_mut(f)
            .zip(x.data().chunks_exact(f))
        {
            let max = xr.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut denom = 0.0f32;
            for (yi, &xi) in yr.iter_mut().zip(xr) {
                *yi = (xi - max).exp();
                denom += *yi;
            }
            let inv = 1.0 / denom;
            for yi in yr.iter_mut() {
                *yi *= inv;
            }
        }
        Ok(())
    }

    fn backward(
        &mut self,
        x: &Tensor,
        y: &Tensor,
        dy: &Tensor,
        dx: &mut Tensor,
        need_dx: bool,
    ) -> Result<()> {
        let f = check_input("softmax backward", x)?;
        if dy.shape() != x.shape() || y.shape() != x.shape() {
            return Err(NnError::shape(
                "softmax backward",
                format!(
                    "dy {}, output {} and input {} must agree",
                    dy.shape_str(),
                    y.shape_str(),
                    x.shape_str()
                ),
            ));
        }
        if !need_dx {
            return Ok(());
        }
        dx.resize(x.shape());
        if f == 0 {
            return Ok(());
        }
        for ((gr, dr), yr) in dx
            .data_mut()
            .chunks_exact_mut(f)
            .zip(dy.data().chunks_exact(f))
            .zip(y.data().chunks_exact(f))
        {
            let dot: f32 = dr.iter().zip(yr).map(|(&d, &yi)| d * yi).sum();
            for ((g, &d), &yi) in gr.iter_mut().zip(dr).zip(yr) {
                *g = yi * (d - dot);
            }
        }
        Ok(())
    }

    fn box_clone(&self) -> Box<dyn Layer> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_sum_to_one_and_huge_logits_are_stable() {
        let mut s = Softmax::new();
        let x = Tensor::from_vec(&[2, 3], vec![1000.0, 0.0, -1000.0, 1.0, 2.0, 3.0]).unwrap();
        let mut y = Tensor::default();
        s.forward(&x, &mut y).unwrap();
        assert!(y.all_finite());
        assert_eq!(y.sample(0), &[1.0, 0.0, 0.0]);
        let e: Vec<f64> = [1.0f64, 2.0, 3.0].iter().map(|v| v.exp()).collect();
        let z: f64 = e.iter().sum();
        for (a, b) in y.sample(1).iter().zip(&e) {
            assert!((f64::from(*a) - b / z).abs() < 1e-6);
        }
    }

    #[test]
    fn gradient_of_a_constant_shift_is_zero() {
        // dy = constant per row: softmax is shift invariant, so dx = 0.
        let mut s = Softmax::new();
        let x = Tensor::from_vec(&[1, 4], vec![0.3, -1.0, 2.0, 0.0]).unwrap();
        let (mut y, mut dx) = (Tensor::default(), Tensor::default());
        s.forward(&x, &mut y).unwrap();
        let dy = Tensor::from_vec(&[1, 4], vec![2.5; 4]).unwrap();
        s.backward(&x, &y, &dy, &mut dx, true).unwrap();
        assert!(dx.data().iter().all(|v| v.abs() < 1e-6), "{:?}", dx.data());
    }

    #[test]
    fn rejects_non_flat_input() {
        let mut s = Softmax::new();
        let err = s.output_shape(&[8, 4, 4]).unwrap_err().to_string();
        assert!(err.contains("softmax") && err.contains("(8,4,4)"), "{err}");
        assert!(s.output_shape(&[0]).is_err());
        assert_eq!(s.output_shape(&[10]).unwrap(), vec![10]);
        let err = s
            .forward(&Tensor::zeros(&[2, 3, 4]), &mut Tensor::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("softmax") && err.contains("(2,3,4)"), "{err}");
    }
}
