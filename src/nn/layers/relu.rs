//! `Relu`: the rectified linear unit, elementwise.
//!
//! Shapes (legend: N batch, C channels, H height, W width, F features): any batch, e.g.
//! `(N, F)` or `(N, C, H, W)`; the output has the input's shape.
//!
//! - Forward: `y = max(x, 0)`.
//! - Backward: `dx = dy * [x > 0]` (the derivative at exactly 0 is taken as 0, as PyTorch does).
//!   No parameters.

use rayon::prelude::*;

use crate::nn::error::{NnError, Result};
use crate::nn::layers::{Layer, LayerKind};
use crate::nn::tensor::Tensor;

/// Elementwise `max(x, 0)`.
#[derive(Clone, Debug, Default)]
pub struct Relu;

/// Tensors with fewer values than this are processed on the calling thread: below it, handing
/// work to another thread costs more than it saves.
const PARALLEL_MIN: usize = 1 << 19;

/// Length of the chunks a tensor of `len` values is split into: one per thread when the tensor
/// is large (each thread then reads the half of the batch the previous layer wrote from its
/// own cache), else one chunk.
fn chunk_len(len: usize) -> usize {
    if len < PARALLEL_MIN {
        len.max(1)
    } else {
        len.div_ceil(rayon::current_num_threads().max(1)).max(1)
    }
}

impl Relu {
    /// A ReLU layer.
    pub fn new() -> Self {
        Relu
    }
}

impl Layer for Relu {
    fn kind(&self) -> LayerKind {
        LayerKind::Relu
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        Ok(input.to_vec())
    }

    fn forward(&mut self, x: &Tensor, y: &mut Tensor) -> Result<()> {
        y.resize(x.shape());
        let chunk = chunk_len(x.len());
        y.data_mut()
            .par_chunks_mut(chunk)
            .zip(x.data().par_chunks(chunk))
            .for_each(|(y, x)| {
                for (yi, &xi) in y.iter_mut().zip(x) {
                    *yi = xi.max(0.0);
                }
            });
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
        if dy.shape() != x.shape() {
            return Err(NnError::shape(
                "relu backward",
                format!("dy {} vs input {}", dy.shape_str(), x.shape_str()),
            ));
        }
        if need_dx {
            dx.resize(x.shape());
            let chunk = chunk_len(x.len());
            dx.data_mut()
                .par_chunks_mut(chunk)
                .zip(dy.data().par_chunks(chunk))
                .zip(x.data().par_chunks(chunk))
                .for_each(|((dx, dy), x)| {
                    for ((g, &d), &xi) in dx.iter_mut().zip(dy).zip(x) {
                        *g = if xi > 0.0 { d } else { 0.0 };
                    }
                });
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
    fn clamps_and_gates() {
        let mut r = Relu::new();
        let x = Tensor::from_vec(&[1, 4], vec![-2.0, 0.0, 0.5, 3.0]).unwrap();
        let (mut y, mut dx) = (Tensor::default(), Tensor::default());
        r.forward(&x, &mut y).unwrap();
        assert_eq!(y.data(), &[0.0, 0.0, 0.5, 3.0]);
        let dy = Tensor::from_vec(&[1, 4], vec![1.0, 1.0, 2.0, -3.0]).unwrap();
        r.backward(&x, &y, &dy, &mut dx, true).unwrap();
        assert_eq!(dx.data(), &[0.0, 0.0, 2.0, -3.0]);
    }

    #[test]
    fn backward_checks_dy() {
        let mut r = Relu::new();
        let x = Tensor::zeros(&[2, 3]);
        let err = r
            .backward(
                &x,
                &x,
                &Tensor::zeros(&[3, 2]),
                &mut Tensor::default(),
                true,
            )
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("relu") && err.contains("(3,2)") && err.contains("(2,3)"),
            "{err}"
        );
    }
}
