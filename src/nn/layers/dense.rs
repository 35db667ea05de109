//! `Dense`: a fully connected (affine) layer.
//!
//! Shapes (legend: N batch, F features): input `x` (N, F_in), output `y` (N, F_out),
//! weight `W` `[F_out, F_in]` (PyTorch's layout), bias `b` `[F_out]`.
//!
//! - Forward: `y = x W^T + b`, i.e. `y[n, o] = b[o] + sum_i x[n, i] W[o, i]`.
//! - Backward, given `dy = dL/dy` (N, F_out):
//!   - `dW += dy^T x` (`[F_out, F_in]`),
//!   - `db += sum_n dy[n, :]` (column sums of `dy`),
//!   - `dx = dy W` (N, F_in).
//!
//! Every product is one [`matmul`] over strided views (`W^T` and `dy^T` are free views, never
//! copies). Batches with enough work are split across the rayon pool along a dimension whose
//! outputs are independent (rows of `y` and `dx`, rows of `dW`), so no partial sums are needed
//! and the result does not depend on the number of threads.

use rayon::prelude::*;

use crate::nn::error::{NnError, Result, fmt_shape};
use crate::nn::gemm::{MatMut, MatRef, matmul};
use crate::nn::layers::{Layer, LayerKind, Param};
use crate::nn::tensor::Tensor;

/// Multiply-adds below which a product stays on the calling thread: under this, handing work
/// to the pool costs more than it saves.
const PARALLEL_MIN_MADDS: usize = 1 << 20;

/// A fully connected layer `y = x W^T + b` from `in_features` to `out_features` values per
/// sample.
#[derive(Clone, Debug)]
pub struct Dense {
    in_features: usize,
    out_features: usize,
    /// `[weight [out, in], bias [out]]`.
    params: [Param; 2],
}

impl Dense {
    /// A dense layer with zero weights and biases (the model builder initialises the weights).
    /// Fails if either size is zero or the weight would exceed
    /// [`MAX_TENSOR_LEN`](crate::nn::tensor::MAX_TENSOR_LEN) values.
    pub fn new(in_features: usize, out_features: usize) -> Result<Self> {
        if in_features == 0 || out_features == 0 {
            return Err(NnError::shape(
                "dense",
                format!(
                    "in_features {in_features} and out_features {out_features} must both be at least 1"
                ),
            ));
        }
        let weight = Tensor::try_zeros("dense", "weight", &[out_features, in_features])?;
        let bias = Tensor::try_zeros("dense", "bias", &[out_features])?;
        Ok(Dense {
            in_features,
            out_features,
            params: [Param::new("weight", weight), Param::new("bias", bias)],
        })
    }

    /// Number of input values per sample (`F_in`).
    pub fn in_features(&self) -> usize {
        self.in_features
    }

    /// Number of output values per sample (`F_out`).
    pub fn out_features(&self) -> usize {
        self.out_features
    }

    /// Checks that `x` is `(N, F_in)`; returns N.
    fn check_input(&self, x: &Tensor) -> Result<usize> {
        match x.shape() {
            [n, f] if *f == self.in_features => Ok(*n),
            _ => Err(NnError::shape(
                "dense",
                format!(
                    "input {} does not match (N,{}) for weight {}",
                    x.shape_str(),
                    self.in_features,
                    self.params[0].value.shape_str()
                ),
            )),
        }
    }

    /// How many chunks to split `rows` rows into for a product of `madds` multiply-adds.
    fn chunks_for(rows: usize, madds: usize) -> usize {
        if madds < PARALLEL_MIN_MADDS || rows < 2 {
            1
        } else {
            rayon::current_num_threads().clamp(1, rows)
        }
    }
}

/// Rows per chunk when `rows` rows are split into `chunks` chunks.
fn rows_per_chunk(rows: usize, chunks: usize) -> usize {
    rows.div_ceil(chunks.max(1)).max(1)
}

impl Layer for Dense {
    fn kind(&self) -> LayerKind {
        LayerKind::Dense
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        match input {
            [f] if *f == self.in_features => Ok(vec![self.out_features]),
            [f] => Err(NnError::shape(
                "dense",
                format!(
                    "input {} has {f} features, weight {} expects {}",
                    fmt_shape(input),
                    self.params[0].value.shape_str(),
                    self.in_features
                ),
            )),
            _ => Err(NnError::shape(
                "dense",
                format!(
                    "dense expects (F) per sample, got {}: add a flatten layer",
                    fmt_shape(input)
                ),
            )),
        }
    }

    fn forward(&mut self, x: &Tensor, y: &mut Tensor) -> Result<()> {
        let n = self.check_input(x)?;
        let (fin, fout) = (self.in_features, self.out_features);
        y.resize(&[n, fout]);
        let w = self.params[0].value.data();
        let b = self.params[1].value.data();
        let chunks = Self::chunks_for(n, n * fin * fout);
        let rows = rows_per_chunk(n, chunks);
        // y[rows] = b (broadcast), then y[rows] += x[rows] W^T.
        let work = |(ys, xs): (&mut [f32], &[f32])| {
            let m = ys.len() / fout;
            for row in ys.chunks_exact_mut(fout) {
                row.copy_from_slice(b);
            }
            matmul(
                MatMut::row_major(ys, m, fout),
                MatRef::row_major(xs, m, fin),
                MatRef::row_major(w, fout, fin).t(),
                true,
            );
        };
        if chunks == 1 {
            work((y.data_mut(), x.data()));
        } else {
            y.data_mut()
                .par_chunks_mut(rows * fout)
                .zip(x.data().par_chunks(rows * fin))
                .for_each(work);
        }
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
        let n = self.check_input(x)?;
        let (fin, fout) = (self.in_features, self.out_features);
        if dy.shape() != [n, fout] {
            return Err(NnError::shape(
                "dense backward",
                format!(
                    "dy {} does not match the output (N,F_out) = ({n},{fout}) of input {}",
                    dy.shape_str(),
                    x.shape_str()
                ),
            ));
        }
        let (wp, bp) = self.params.split_at_mut(1);
        let (weight, bias) = (&mut wp[0], &mut bp[0]);

        // db += column sums of dy.
        let db = bias.grad.data_mut();
        for row in dy.data().chunks_exact(fout) {
            for (g, &d) in db.iter_mut().zip(row) {
                *g += d;
            }
        }

        // dW[o, :] += dy[:, o]^T x: rows of dW are independent, so split them.
        let dyd = dy.data();
        let xd = x.data();
        let madds = n * fin * fout;
        let chunks = Self::chunks_for(fout, madds);
        let orows = rows_per_chunk(fout, chunks);
        let dw_work = |(ci, dws): (usize, &mut [f32])| {
            let o0 = ci * orows;
            let m = dws.len() / fin;
            matmul(
                MatMut::row_major(dws, m, fin),
                // dy[:, o0..o0+m] viewed as (N, m) with row stride F_out, then transposed.
                MatRef::new(&dyd[o0..], n, m, fout, 1).t(),
                MatRef::row_major(xd, n, fin),
                true,
            );
        };
        if n > 0 {
            if chunks == 1 {
                dw_work((0, weight.grad.data_mut()));
            } else {
                weight
                    .grad
                    .data_mut()
                    .par_chunks_mut(orows * fin)
                    .enumerate()
                    .for_each(dw_work);
            }
        }

        if need_dx {
            // dx = dy W: rows of dx are independent, so split the batch.
            dx.resize(&[n, fin]);
            let w = weight.value.data();
            let chunks = Self::chunks_for(n, madds);
            let rows = rows_per_chunk(n, chunks);
            let dx_work = |(dxs, dys): (&mut [f32], &[f32])| {
                let m = dxs.len() / fin;
                matmul(
                    MatMut::row_major(dxs, m, fin),
                    MatRef::row_major(dys, m, fout),
                    MatRef::row_major(w, fout, fin),
                    false,
                );
            };
            if chunks == 1 {
                dx_work((dx.data_mut(), dyd));
            } else {
                dx.data_mut()
                    .par_chunks_mut(rows * fin)
                    .zip(dyd.par_chunks(rows * fout))
                    .for_each(dx_work);
            }
        }
        Ok(())
    }

    fn params(&self) -> &[Param] {
        &self.params
    }

    fn params_mut(&mut self) -> &mut [Param] {
        &mut self.params
    }

    fn box_clone(&self) -> Box<dyn Layer> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer_2x3() -> Dense {
        let mut d = Dense::new(3, 2).unwrap();
        d.params_mut()[0]
            .value
            .data_mut()
            .copy_from_slice(&[1.0, 2.0, 3.0, -1.0, 0.5, 0.0]);
        d.params_mut()[1]
            .value
            .data_mut()
            .copy_from_slice(&[0.1, -0.2]);
        d
    }

    #[test]
    fn forward_matches_hand_values() {
        let mut d = layer_2x3();
        let x = Tensor::from_vec(&[2, 3], vec![1.0, 0.0, -1.0, 2.0, 1.0, 1.0]).unwrap();
        let mut y = Tensor::default();
        d.forward(&x, &mut y).unwrap();
        assert_eq!(y.shape(), &[2, 2]);
        let want = [
            1.0 - 3.0 + 0.1,
            -1.0 - 0.2,
            2.0 + 2.0 + 3.0 + 0.1,
            -2.0 + 0.5 - 0.2,
        ];
        for (a, b) in y.data().iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{:?} vs {want:?}", y.data());
        }
    }

    #[test]
    fn backward_matches_hand_values_and_accumulates() {
        let mut d = layer_2x3();
        let x = Tensor::from_vec(&[2, 3], vec![1.0, 0.0, -1.0, 2.0, 1.0, 1.0]).unwrap();
        let dy = Tensor::from_vec(&[2, 2], vec![1.0, 0.0, 0.5, -1.0]).unwrap();
        let (mut y, mut dx) = (Tensor::default(), Tensor::default());
        d.forward(&x, &mut y).unwrap();
        d.backward(&x, &y, &dy, &mut dx, true).unwrap();
        // dW = dy^T x
        let dw = [1.0 + 1.0, 0.5, -1.0 + 0.5, -2.0, -1.0, -1.0];
        assert_eq!(d.params()[0].grad.data(), &dw);
        assert_eq!(d.params()[1].grad.data(), &[1.5, -1.0]);
        // dx = dy W
        let want_dx = [1.0, 2.0, 3.0, 0.5 + 1.0, 1.0 - 0.5, 1.5];
        assert_eq!(dx.data(), &want_dx);
        // A second backward adds to the parameter gradients.
        d.backward(&x, &y, &dy, &mut dx, false).unwrap();
        assert_eq!(d.params()[1].grad.data(), &[3.0, -2.0]);
        assert_eq!(d.params()[0].grad.data()[0], 4.0);
    }

    #[test]
    fn rejects_unflattened_input() {
        let d = Dense::new(1152, 10).unwrap();
        let err = d.output_shape(&[8, 12, 12]).unwrap_err().to_string();
        assert!(
            err.contains("dense")
                && err.contains("(8,12,12)")
                && err.contains("add a flatten layer"),
            "{err}"
        );
        assert_eq!(d.output_shape(&[1152]).unwrap(), vec![10]);
    }

    #[test]
    fn rejects_wrong_feature_count() {
        let mut d = Dense::new(4, 2).unwrap();
        let err = d.output_shape(&[5]).unwrap_err().to_string();
        assert!(
            err.contains("dense") && err.contains("(5)") && err.contains("(2,4)"),
            "{err}"
        );
        let x = Tensor::zeros(&[3, 5]);
        let err = d
            .forward(&x, &mut Tensor::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("dense") && err.contains("(3,5)") && err.contains("(2,4)"),
            "{err}"
        );
        let x = Tensor::zeros(&[3, 4]);
        let dy = Tensor::zeros(&[3, 3]);
        let mut y = Tensor::default();
        d.forward(&x, &mut y).unwrap();
        let err = d
            .backward(&x, &y, &dy, &mut Tensor::default(), true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("dense") && err.contains("(3,3)"), "{err}");
    }

    #[test]
    fn rejects_zero_sizes() {
        assert!(Dense::new(0, 3).is_err());
        assert!(Dense::new(3, 0).is_err());
    }

    /// Big enough to take the threaded path: it must agree with the single-thread path.
    #[test]
    fn threaded_path_matches_sequential_path() {
        let (n, fin, fout) = (32, 160, 256);
        assert!(n * fin * fout >= PARALLEL_MIN_MADDS);
        let mut d = Dense::new(fin, fout).unwrap();
        for (i, v) in d.params_mut()[0].value.data_mut().iter_mut().enumerate() {
            *v = ((i as f32) * 0.37).sin() * 0.1;
        }
        let xs: Vec<f32> = (0..n * fin).map(|i| ((i as f32) * 0.11).cos()).collect();
        let dys: Vec<f32> = (0..n * fout).map(|i| ((i as f32) * 0.23).sin()).collect();
        let x = Tensor::from_vec(&[n, fin], xs).unwrap();
        let dy = Tensor::from_vec(&[n, fout], dys).unwrap();

        let run = |d: &mut Dense, threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let (mut y, mut dx) = (Tensor::default(), Tensor::default());
                d.zero_grad();
                d.forward(&x, &mut y).unwrap();
                d.backward(&x, &y, &dy, &mut dx, true).unwrap();
                (
                    y,
                    dx,
                    d.params()[0].grad.clone(),
                    d.params()[1].grad.clone(),
                )
            })
        };
        let one = run(&mut d, 1);
        let three = run(&mut d, 3);
        for (a, b) in [
            (&one.0, &three.0),
            (&one.1, &three.1),
            (&one.2, &three.2),
            (&one.3, &three.3),
        ] {
            assert_eq!(a.shape(), b.shape());
            for (p, q) in a.data().iter().zip(b.data()) {
                assert!((p - q).abs() <= 1e-5 * p.abs().max(1.0), "{p} vs {q}");
            }
        }
    }

    #[test]
    fn second_step_reuses_buffers() {
        let mut d = Dense::new(8, 4).unwrap();
        let x = Tensor::zeros(&[5, 8]);
        let dy = Tensor::zeros(&[5, 4]);
        let (mut y, mut dx) = (Tensor::default(), Tensor::default());
        d.forward(&x, &mut y).unwrap();
        d.backward(&x, &y, &dy, &mut dx, true).unwrap();
        let (py, pdx) = (y.data().as_ptr(), dx.data().as_ptr());
        d.forward(&x, &mut y).unwrap();
        d.backward(&x, &y, &dy, &mut dx, true).unwrap();
        assert_eq!((py, pdx), (y.data().as_ptr(), dx.data().as_ptr()));
    }
}
