//! The small loops the convolution runs on every image: short copies and additions, a
//! vectorisable sum, and a blocked transpose between channels-first and channels-last order.

/// Copies `src` into `dst` (equal, short lengths) with an inlined loop: for runs of a few
/// values a call to `memcpy` costs more than the copy.
#[inline(always)]
pub(super) fn copy_run(dst: &mut [f32], src: &[f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
}

/// Adds `src` onto `dst`.
#[inline(always)]
pub(super) fn add_run(dst: &mut [f32], src: &[f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += *s;
    }
}

/// Sum of `v` over 16 interleaved partial sums (a single running sum is a chain of dependent
/// additions, several times slower than the vectorised form).
#[inline]
pub(super) fn sum(v: &[f32]) -> f32 {
    let mut acc = [0.0f32; 16];
    let mut chunks = v.chunks_exact(16);
    for c in &mut chunks {
        for (a, x) in acc.iter_mut().zip(c) {
            *a += *x;
        }
    }
    for (a, x) in acc.iter_mut().zip(chunks.remainder()) {
        *a += *x;
    }
    acc.iter().sum()
}

/// `dst (cols, rows) = src (rows, cols)^T`, both row-major.
#[inline]
pub(super) fn transpose(src: &[f32], rows: usize, cols: usize, dst: &mut [f32]) {
    let (src, dst) = (&src[..rows * cols], &mut dst[..rows * cols]);
    // 4 x 4 blocks: four contiguous loads, four contiguous stores (shuffles in between).
    let (r4, c4) = (rows / 4 * 4, cols / 4 * 4);
    for r in (0..r4).step_by(4) {
        for c in (0..c4).step_by(4) {
            let mut b = [[0.0f32; 4]; 4];
            for (k, row) in b.iter_mut().enumerate() {
                row.copy_from_slice(&src[(r + k) * cols + c..][..4]);
            }
            for k in 0..4 {
                let d = &mut dst[(c + k) * rows + r..][..4];
                d[0] = b[0][k];
                d[1] = b[1][k];
                d[2] = b[2][k];
                d[3] = b[3][k];
            }
        }
    }
    // Right and bottom edges.
    for r in 0..rows {
        let cstart = if r < r4 { c4 } else { 0 };
        for c in cstart..cols {
            dst[c * rows + r] = src[r * cols + c];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transpose_handles_ragged_edges() {
        // Sizes that are not multiples of the 4 x 4 blocks.
        for (rows, cols) in [(1, 1), (3, 5), (4, 4), (6, 9), (9, 6)] {
            let src: Vec<f32> = (0..rows * cols).map(|i| i as f32).collect();
            let mut dst = vec![f32::NAN; rows * cols];
            transpose(&src, rows, cols, &mut dst);
            for r in 0..rows {
                for c in 0..cols {
                    assert_eq!(
                        dst[c * rows + r],
                        src[r * cols + c],
                        "{rows}x{cols} ({r},{c})"
                    );
                }
            }
        }
    }

    #[test]
    fn sum_adds_every_value() {
        for n in [0usize, 1, 15, 16, 17, 100] {
            let v: Vec<f32> = (0..n).map(|i| i as f32).collect();
            assert_eq!(sum(&v), (n * n.saturating_sub(1) / 2) as f32, "{n}");
        }
    }
}
