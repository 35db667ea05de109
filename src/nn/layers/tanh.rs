//! `Tanh`: the hyperbolic tangent, elementwise.
//!
//! Shapes (legend: N batch, C channels, H height, W width, F features): any batch, e.g.
//! `(N, F)` or `(N, C, H, W)`; the output has the input's shape.
//!
//! - Forward: `y = tanh(x)` (saturates to `+-1` without overflow for large `|x|`).
//! - Backward: `dx = dy * (1 - y^2)`, from the cached output. No parameters.

use crate::nn::error::Result;
use crate::nn::layers::{Layer, LayerKind, elementwise_backward_from_output};
use crate::nn::tensor::Tensor;

/// Elementwise hyperbolic tangent.
#[derive(Clone, Debug, Default)]
pub struct Tanh;

impl Tanh {
    /// A tanh layer.
    pub fn new() -> Self {
        Tanh
    }
}

impl Layer for Tanh {
    fn kind(&self) -> LayerKind {
        LayerKind::Tanh
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        Ok(input.to_vec())
    }

    fn forward(&mut self, x: &Tensor, y: &mut Tensor) -> Result<()> {
        y.resize(x.shape());
        for (yi, &xi) in y.data_mut().iter_mut().zip(x.data()) {
            *yi = xi.tanh();
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
        elementwise_backward_from_output("tanh backward", x, y, dy, dx, need_dx, |yi| 1.0 - yi * yi)
    }

    fn box_clone(&self) -> Box<dyn Layer> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saturates_without_overflow() {
        let mut t = Tanh::new();
        let x = Tensor::from_vec(&[1, 3], vec![-1000.0, 0.0, 1000.0]).unwrap();
        let (mut y, mut dx) = (Tensor::default(), Tensor::default());
        t.forward(&x, &mut y).unwrap();
        assert_eq!(y.data(), &[-1.0, 0.0, 1.0]);
        t.backward(&x, &y, &y, &mut dx, true).unwrap();
        assert_eq!(dx.data(), &[0.0, 0.0, 0.0]);
    }

    #[test]
    fn backward_checks_dy() {
        let mut t = Tanh::new();
        let x = Tensor::zeros(&[2, 3]);
        let err = t
            .backward(&x, &x, &Tensor::zeros(&[6]), &mut Tensor::default(), true)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("tanh") && err.contains("(6)") && err.contains("(2,3)"),
            "{err}"
        );
    }
}
