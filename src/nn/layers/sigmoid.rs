//! `Sigmoid`: the logistic function, elementwise.
//!
//! Shapes (legend: N batch, C channels, H height, W width, F features): any batch, e.g.
//! `(N, F)` or `(N, C, H, W)`; the output has the input's shape.
//!
//! - Forward: `y = 1 / (1 + exp(-x))`, evaluated as `1 / (1 + exp(-x))` for `x >= 0` and as
//!   `exp(x) / (1 + exp(x))` for `x < 0`, so `exp` only ever sees a non-positive argument and
//!   never overflows: `y` is finite (and in `[0, 1]`) for any finite `x`, e.g. `x = +-1000`.
//! - Backward: `dx = dy * y * (1 - y)`, from the cached output. No parameters.

use crate::nn::error::Result;
use crate::nn::layers::{Layer, LayerKind, elementwise_backward_from_output};
use crate::nn::tensor::Tensor;

/// Elementwise logistic sigmoid `1 / (1 + exp(-x))`.
#[derive(Clone, Debug, Default)]
pub struct Sigmoid;

impl Sigmoid {
    /// A sigmoid layer.
    pub fn new() -> Self {
        Sigmoid
    }
}

/// The logistic function, without overflow for large `|x|`.
fn sigmoid(x: f32) -> f32 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

impl Layer for Sigmoid {
    fn kind(&self) -> LayerKind {
        LayerKind::Sigmoid
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        Ok(input.to_vec())
    }

    fn forward(&mut self, x: &Tensor, y: &mut Tensor) -> Result<()> {
        y.resize(x.shape());
        for (yi, &xi) in y.data_mut().iter_mut().zip(x.data()) {
            *yi = sigmoid(xi);
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
        elementwise_backward_from_output("sigmoid backward", x, y, dy, dx, need_dx, |yi| {
            yi * (1.0 - yi)
        })
    }

    fn box_clone(&self) -> Box<dyn Layer> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_for_huge_inputs() {
        let mut s = Sigmoid::new();
        let x = Tensor::from_vec(&[1, 5], vec![-1000.0, -100.0, 0.0, 100.0, 1000.0]).unwrap();
        let (mut y, mut dx) = (Tensor::default(), Tensor::default());
        s.forward(&x, &mut y).unwrap();
        assert!(y.all_finite(), "{:?}", y.data());
        // exp(-100) ~ 3.7e-44 survives as a subnormal; the ends are exact.
        let want = [0.0, 0.0, 0.5, 1.0, 1.0];
        assert!(
            y.data()
                .iter()
                .zip(want)
                .all(|(a, b)| (a - b).abs() < 1e-30),
            "{:?}",
            y.data()
        );
        assert_eq!((y.data()[0], y.data()[4]), (0.0, 1.0));
        let dy = Tensor::from_vec(&[1, 5], vec![1.0; 5]).unwrap();
        s.backward(&x, &y, &dy, &mut dx, true).unwrap();
        assert!(dx.all_finite(), "{:?}", dx.data());
        let want = [0.0, 0.0, 0.25, 0.0, 0.0];
        assert!(
            dx.data()
                .iter()
                .zip(want)
                .all(|(a, b)| (a - b).abs() < 1e-30),
            "{:?}",
            dx.data()
        );
    }

    #[test]
    fn matches_the_formula() {
        for x in [-20.0f32, -3.0, -0.5, 0.25, 2.0, 15.0] {
            let want = 1.0 / (1.0 + f64::from(-x).exp());
            assert!((f64::from(sigmoid(x)) - want).abs() < 1e-7, "{x}");
        }
    }

    #[test]
    fn backward_checks_dy() {
        let mut s = Sigmoid::new();
        let x = Tensor::zeros(&[2, 3]);
        let err = s
            .backward(
                &x,
                &x,
                &Tensor::zeros(&[2, 4]),
                &mut Tensor::default(),
                true,
            )
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("sigmoid") && err.contains("(2,4)") && err.contains("(2,3)"),
            "{err}"
        );
    }
}
