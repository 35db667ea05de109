//! `Tensor`: contiguous `f32` storage with an explicit, batch-first shape:
//! `(N, C, H, W)` for images and feature maps, `(N, F)` for flat features.
//!
//! Tensors are plain data. Layers write into tensors they are handed and reuse their
//! allocation from step to step ([`Tensor::resize`]), so a training step allocates nothing
//! once the first step has sized every buffer.

use crate::nn::error::{NnError, Result, fmt_shape};

/// Most values one tensor sized from user input (a parameter, one sample's activation) may
/// hold: 2^30 values, 4 GiB of `f32`.
pub const MAX_TENSOR_LEN: usize = 1 << 30;

/// Number of values of `shape`, or `None` if the product overflows or exceeds
/// [`MAX_TENSOR_LEN`].
pub fn checked_len(shape: &[usize]) -> Option<usize> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= MAX_TENSOR_LEN)
}

/// A dense, row-major (C order) `f32` tensor.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tensor {
    shape: Vec<usize>,
    data: Vec<f32>,
}

impl Tensor {
    /// A tensor of zeros.
    pub fn zeros(shape: &[usize]) -> Self {
        Tensor {
            shape: shape.to_vec(),
            data: vec![0.0; shape.iter().product()],
        }
    }

    /// A tensor of zeros whose shape comes from user input: fails, naming `op`, `what` (e.g.
    /// "weight") and the shape, before allocating anything beyond [`MAX_TENSOR_LEN`] values.
    pub fn try_zeros(op: &'static str, what: &str, shape: &[usize]) -> Result<Self> {
        if checked_len(shape).is_none() {
            return Err(NnError::shape(
                op,
                format!(
                    "{what} {} would hold more than {MAX_TENSOR_LEN} values",
                    fmt_shape(shape)
                ),
            ));
        }
        Ok(Tensor::zeros(shape))
    }

    /// Wraps `data` with `shape`; fails if the element counts differ.
    pub fn from_vec(shape: &[usize], data: Vec<f32>) -> Result<Self> {
        let want: usize = shape.iter().product();
        if want != data.len() {
            return Err(NnError::shape(
                "tensor",
                format!(
                    "shape {} holds {want} values, data has {}",
                    fmt_shape(shape),
                    data.len()
                ),
            ));
        }
        Ok(Tensor {
            shape: shape.to_vec(),
            data,
        })
    }

    /// The shape, batch first.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The values in row-major order.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// The values in row-major order, mutable.
    pub fn data_mut(&mut self) -> &mut [f32] {
        &mut self.data
    }

    /// Consumes the tensor, returning its values.
    pub fn into_vec(self) -> Vec<f32> {
        self.data
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when the tensor holds no values.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The leading (batch) dimension; 0 for a tensor without dimensions.
    pub fn batch(&self) -> usize {
        self.shape.first().copied().unwrap_or(0)
    }

    /// Number of values per sample: the product of all dimensions but the first.
    pub fn sample_len(&self) -> usize {
        self.shape.iter().skip(1).product()
    }

    /// The values of sample `i` (along the batch dimension).
    pub fn sample(&self, i: usize) -> &[f32] {
        let n = self.sample_len();
        &self.data[i * n..(i + 1) * n]
    }

    /// Sets the shape, reusing the allocation. Values already present are kept, new ones are
    /// zero; callers that resize an output buffer overwrite (or zero) it themselves.
    pub fn resize(&mut self, shape: &[usize]) {
        if self.shape != shape {
            self.shape.clear();
            self.shape.extend_from_slice(shape);
        }
        self.data.resize(shape.iter().product(), 0.0);
    }

    /// Changes the shape without touching the values; fails if the element count differs.
    pub fn reshape(&mut self, shape: &[usize]) -> Result<()> {
        let want: usize = shape.iter().product();
        if want != self.data.len() {
            return Err(NnError::shape(
                "reshape",
                format!("{} to {}", fmt_shape(&self.shape), fmt_shape(shape)),
            ));
        }
        self.shape.clear();
        self.shape.extend_from_slice(shape);
        Ok(())
    }

    /// Sets every value to `v`.
    pub fn fill(&mut self, v: f32) {
        self.data.fill(v);
    }

    /// Copies shape and values from `other`, reusing this tensor's allocation.
    pub fn copy_from(&mut self, other: &Tensor) {
        self.resize(other.shape());
        self.data.copy_from_slice(other.data());
    }

    /// The shape as `(32,1,14,14)`, for messages.
    pub fn shape_str(&self) -> String {
        fmt_shape(&self.shape)
    }

    /// True when every value is finite.
    pub fn all_finite(&self) -> bool {
        self.data.iter().all(|v| v.is_finite())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_vec_checks_the_count() {
        assert!(Tensor::from_vec(&[2, 3], vec![0.0; 6]).is_ok());
        let err = Tensor::from_vec(&[2, 3], vec![0.0; 5]).unwrap_err();
        assert!(err.to_string().contains("(2,3)"), "{err}");
    }

    #[test]
    fn try_zeros_refuses_oversized_shapes_before_allocating() {
        assert_eq!(
            Tensor::try_zeros("dense", "weight", &[3, 4]).unwrap().len(),
            12
        );
        for shape in [&[1 << 16, 1 << 15][..], &[usize::MAX, 2]] {
            let err = Tensor::try_zeros("dense", "weight", shape).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains("dense") && msg.contains("weight ("), "{msg}");
        }
        assert_eq!(checked_len(&[1 << 15, 1 << 15]), Some(MAX_TENSOR_LEN));
        assert_eq!(checked_len(&[usize::MAX, 2]), None);
    }

    #[test]
    fn resize_reuses_and_reshapes() {
        let mut t = Tensor::zeros(&[4, 2]);
        t.fill(1.0);
        t.resize(&[2, 2]);
        assert_eq!(t.shape(), &[2, 2]);
        assert_eq!(t.len(), 4);
        t.resize(&[3, 2]);
        assert_eq!(&t.data()[4..], &[0.0, 0.0]);
        assert_eq!(t.sample_len(), 2);
        assert_eq!(t.sample(1), &[1.0, 1.0]);
    }
}
