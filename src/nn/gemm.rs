//! Safe single-precision matrix multiply over strided views, backed by the `gemm` crate.
//!
//! Every GEMM of the training core goes through [`matmul`]. Views carry a row stride and a
//! column stride, so a transpose is a view ([`MatRef::t`]) and never a copy. The multiply
//! runs on the calling thread: layers parallelise over the batch themselves, which measured
//! faster on these small shapes than splitting one GEMM across threads.

/// A read-only `rows x cols` matrix view; element `(r, c)` is `data[r * rs + c * cs]`.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

/// A mutable `rows x cols` matrix view; element `(r, c)` is `data[r * rs + c * cs]`.
#[derive(Debug)]
pub struct MatMut<'a> {
    data: &'a mut [f32],
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

/// Largest offset a view touches, or `None` for an empty view.
fn last_offset(rows: usize, cols: usize, rs: usize, cs: usize) -> Option<usize> {
    if rows == 0 || cols == 0 {
        None
    } else {
        Some((rows - 1) * rs + (cols - 1) * cs)
    }
}

impl<'a> MatRef<'a> {
    /// A view with explicit strides. Panics if the view reaches past `data`.
    pub fn new(data: &'a [f32], rows: usize, cols: usize, rs: usize, cs: usize) -> Self {
        if let Some(last) = last_offset(rows, cols, rs, cs) {
            assert!(
                last < data.len(),
                "matrix view {rows}x{cols} (strides {rs},{cs}) exceeds buffer of {}",
                data.len()
            );
        }
        MatRef {
            data,
            rows,
            cols,
            rs,
            cs,
        }
    }

    /// A contiguous row-major `rows x cols` view of the first `rows * cols` values.
    pub fn row_major(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self::new(data, rows, cols, cols, 1)
    }

    /// The transposed view (no copy).
    pub fn t(self) -> Self {
        MatRef {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.cols
    }
}

impl<'a> MatMut<'a> {
    /// A view with explicit strides. Panics if the view reaches past `data`.
    pub fn new(data: &'a mut [f32], rows: usize, cols: usize, rs: usize, cs: usize) -> Self {
        if let Some(last) = last_offset(rows, cols, rs, cs) {
            assert!(
                last < data.len(),
                "matrix view {rows}x{cols} (strides {rs},{cs}) exceeds buffer of {}",
                data.len()
            );
        }
        // Overlapping writes would make the result depend on the kernel's order.
        assert!(
            rows <= 1 || cols <= 1 || (rs >= cols * cs.max(1)) || (cs >= rows * rs.max(1)),
            "mutable matrix view {rows}x{cols} with strides {rs},{cs} aliases itself"
        );
        MatMut {
            data,
            rows,
            cols,
            rs,
            cs,
        }
    }

    /// A contiguous row-major `rows x cols` view of the first `rows * cols` values.
    pub fn row_major(data: &'a mut [f32], rows: usize, cols: usize) -> Self {
        Self::new(data, rows, cols, cols, 1)
    }

    /// The transposed view (no copy).
    pub fn t(self) -> Self {
        MatMut {
            data: self.data,
            rows: self.cols,
            cols: self.rows,
            rs: self.cs,
            cs: self.rs,
        }
    }
}

/// `c = a * b` (when `accumulate` is false) or `c += a * b` (when true), on this thread.
///
/// Panics if the dimensions disagree: callers check user-facing shapes before they get here.
pub fn matmul(c: MatMut<'_>, a: MatRef<'_>, b: MatRef<'_>, accumulate: bool) {
    assert_eq!(a.cols, b.rows, "matmul: inner dimensions differ");
    assert_eq!(c.rows, a.rows, "matmul: output rows differ");
    assert_eq!(c.cols, b.cols, "matmul: output columns differ");
    let (m, n, k) = (c.rows, c.cols, a.cols);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        if !accumulate {
            for r in 0..m {
                for col in 0..n {
                    c.data[r * c.rs + col * c.cs] = 0.0;
                }
            }
        }
        return;
    }
    // SAFETY: the constructors of the three views checked that every element they address,
    // (rows-1)*rs + (cols-1)*cs at most, lies inside its slice; the dimensions agree (asserted
    // above); `c` is borrowed mutably and does not alias itself (checked in `MatMut::new`), and
    // it cannot alias `a` or `b` because those are shared borrows. Strides fit in isize since
    // they index into live slices.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.data.as_mut_ptr(),
            c.cs as isize,
            c.rs as isize,
            accumulate,
            a.data.as_ptr(),
            a.cs as isize,
            a.rs as isize,
            b.data.as_ptr(),
            b.cs as isize,
            b.rs as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                for p in 0..k {
                    c[i * n + j] += a[i * k + p] * b[p * n + j];
                }
            }
        }
        c
    }

    #[test]
    fn matches_naive_product_with_transposed_views() {
        let (m, k, n) = (5, 7, 3);
        let a: Vec<f32> = (0..m * k).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..k * n).map(|i| (i as f32 * 0.11).cos()).collect();
        let want = naive(&a, &b, m, k, n);

        let mut c = vec![0.0; m * n];
        matmul(
            MatMut::row_major(&mut c, m, n),
            MatRef::row_major(&a, m, k),
            MatRef::row_major(&b, k, n),
            false,
        );
        for (x, y) in c.iter().zip(&want) {
            assert!((x - y).abs() < 1e-5);
        }

        // b stored transposed (n x k), read through a transposed view; c written transposed.
        let mut bt = vec![0.0; n * k];
        for p in 0..k {
            for j in 0..n {
                bt[j * k + p] = b[p * n + j];
            }
        }
        let mut ct = vec![1.0; n * m];
        matmul(
            MatMut::row_major(&mut ct, n, m).t(),
            MatRef::row_major(&a, m, k),
            MatRef::row_major(&bt, n, k).t(),
            true,
        );
        for i in 0..m {
            for j in 0..n {
                assert!((ct[j * m + i] - 1.0 - want[i * n + j]).abs() < 1e-5);
            }
        }
    }
}
