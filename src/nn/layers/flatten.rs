//! `Flatten`: merges every per-sample dimension into one feature axis.
//!
//! Shapes (legend: N batch, C channels, H height, W width, F features): input `x` of shape
//! `(N, d1, ..., dk)` with `k >= 1`, e.g. `(N, C, H, W)`; output `y` of shape
//! `(N, d1 * ... * dk)`, e.g. `(N, C*H*W)`.
//!
//! - Forward: `y[n, (c*H + h)*W + w] = x[n, c, h, w]`: the row-major order, which is PyTorch's
//!   `nn.Flatten` order (C, then H, then W), so flattened weights match PyTorch's files.
//! - Backward: `dx = dy` reshaped back to the shape of `x`. No parameters.

use crate::nn::error::{NnError, Result, fmt_shape};
use crate::nn::layers::{Layer, LayerKind};
use crate::nn::tensor::Tensor;

/// Reshapes `(N, d1, ..., dk)` to `(N, d1 * ... * dk)`; values keep their row-major order.
#[derive(Clone, Debug, Default)]
pub struct Flatten;

impl Flatten {
    /// A flatten layer.
    pub fn new() -> Self {
        Flatten
    }
}

impl Layer for Flatten {
    fn kind(&self) -> LayerKind {
        LayerKind::Flatten
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        if input.is_empty() {
            return Err(NnError::shape(
                "flatten",
                format!(
                    "flatten expects at least one dimension per sample, got {}",
                    fmt_shape(input)
                ),
            ));
        }
        let len = input
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| {
                NnError::shape(
                    "flatten",
                    format!(
                        "input {} holds more values than fit in memory",
                        fmt_shape(input)
                    ),
                )
            })?;
        Ok(vec![len])
    }

    fn forward(&mut self, x: &Tensor, y: &mut Tensor) -> Result<()> {
        if x.shape().len() < 2 {
            return Err(NnError::shape(
                "flatten",
                format!(
                    "input {} must be (N,...) with at least one dimension per sample",
                    x.shape_str()
                ),
            ));
        }
        y.resize(&[x.batch(), x.sample_len()]);
        y.data_mut().copy_from_slice(x.data());
        Ok(())
    }

    fn backward(
        &mut self,
        x: &Tensor,
        _y: &Tensor,
        dy: &Tensor,
        dx: &mut Tensor,
        need_dx: bool,
    ) -> Result<()> {
        if dy.shape() != [x.batch(), x.sample_len()] || x.shape().len() < 2 {
            return Err(NnError::shape(
                "flatten backward",
                format!(
                    "dy {} does not match the flattened input {} -> ({},{})",
                    dy.shape_str(),
                    x.shape_str(),
                    x.batch(),
                    x.sample_len()
                ),
            ));
        }
        if need_dx {
            dx.resize(x.shape());
            dx.data_mut().copy_from_slice(dy.data());
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
    fn flattens_in_c_h_w_order() {
        let mut f = Flatten::new();
        assert_eq!(f.output_shape(&[2, 3, 4]).unwrap(), vec![24]);
        assert_eq!(f.output_shape(&[7]).unwrap(), vec![7]);
        let x = Tensor::from_vec(&[2, 2, 1, 3], (0..12).map(|v| v as f32).collect()).unwrap();
        let mut y = Tensor::default();
        f.forward(&x, &mut y).unwrap();
        assert_eq!(y.shape(), &[2, 6]);
        // x[1, c, 0, w] = 6 + 3c + w
        assert_eq!(y.sample(1), &[6.0, 7.0, 8.0, 9.0, 10.0, 11.0]);
        let mut dx = Tensor::default();
        f.backward(&x, &y, &y, &mut dx, true).unwrap();
        assert_eq!(dx, x);
    }

    #[test]
    fn rejects_missing_sample_dims() {
        let mut f = Flatten::new();
        let err = f.output_shape(&[]).unwrap_err().to_string();
        assert!(err.contains("flatten") && err.contains("()"), "{err}");
        let err = f
            .forward(&Tensor::zeros(&[4]), &mut Tensor::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("flatten") && err.contains("(4)"), "{err}");
    }

    #[test]
    fn backward_checks_dy() {
        let mut f = Flatten::new();
        let x = Tensor::zeros(&[2, 3, 2]);
        let err = f
            .backward(
                &x,
                &Tensor::default(),
                &Tensor::zeros(&[2, 5]),
                &mut Tensor::default(),
                true,
            )
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("flatten") && err.contains("(2,5)") && err.contains("(2,3,2)"),
            "{err}"
        );
    }
}
