//! `Geom`: the sizes of one convolution on one input size, the derived lengths every buffer
//! is cut by, and the index arithmetic of padding (which output positions read inside the
//! input), shared by the im2col and patch layouts.

/// From this many values per patch (C*K*K) on, the channels-last patch layout is always used.
const PATCH_LAYOUT_MIN_CKK: usize = 129;

/// Geometry of one convolution on one input size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Geom {
    pub(super) c: usize,
    pub(super) h: usize,
    pub(super) w: usize,
    pub(super) o: usize,
    pub(super) k: usize,
    pub(super) s: usize,
    pub(super) p: usize,
    pub(super) ho: usize,
    pub(super) wo: usize,
    /// True for the channels-last patch layout (see [`Geom::prefers_patches`]).
    pub(super) patches: bool,
}

impl Geom {
    /// C*K*K: values per patch (column of the im2col matrix).
    #[inline]
    pub(super) fn ckk(&self) -> usize {
        self.c * self.k * self.k
    }
    /// Ho*Wo: output positions per image.
    #[inline]
    pub(super) fn hwo(&self) -> usize {
        self.ho * self.wo
    }
    /// Values per input image.
    #[inline]
    pub(super) fn in_len(&self) -> usize {
        self.c * self.h * self.w
    }
    /// Values per output image.
    #[inline]
    pub(super) fn out_len(&self) -> usize {
        self.o * self.hwo()
    }
    /// Values of the im2col matrix per image.
    #[inline]
    pub(super) fn cols_len(&self) -> usize {
        self.ckk() * self.hwo()
    }
    /// Whether the channels-last patch layout beats the plain im2col layout (measured): its
    /// copies move runs of K*C values where im2col moves runs of Wo, and for large C*K*K its
    /// GEMMs read their operands in the order the GEMM kernel prefers.
    pub(super) fn prefers_patches(&self) -> bool {
        self.ckk() >= PATCH_LAYOUT_MIN_CKK || self.k * self.c >= 2 * self.wo
    }
    /// Input row (or column) read by output row `i` at kernel offset `u`, if inside the input.
    #[inline]
    pub(super) fn src_index(&self, i: usize, u: usize, len: usize) -> Option<usize> {
        (i * self.s + u).checked_sub(self.p).filter(|&v| v < len)
    }
    /// Output positions `[lo, hi)` along an axis of `len` inputs and `out` outputs whose
    /// kernel offset `u` falls inside the input (the rest read padding).
    #[inline]
    pub(super) fn valid_range(&self, u: usize, len: usize, out: usize) -> (usize, usize) {
        let (s, p) = (self.s, self.p);
        let lo = if u >= p { 0 } else { (p - u).div_ceil(s) };
        let hi = if len + p > u {
            ((len + p - u - 1) / s + 1).min(out)
        } else {
            0
        };
        (lo.min(out), hi.max(lo.min(out)))
    }
    /// Output columns `[lo, hi)` whose whole K-wide window lies inside the input width.
    #[inline]
    pub(super) fn interior_cols(&self) -> (usize, usize) {
        let lo = self.p.div_ceil(self.s).min(self.wo);
        // j*S - P + K <= W  <=>  j <= (W + P - K) / S
        let hi = if self.w + self.p >= self.k {
            ((self.w + self.p - self.k) / self.s + 1).min(self.wo)
        } else {
            0
        };
        (lo, hi.max(lo))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_and_interior_ranges() {
        let g = Geom {
            c: 1,
            h: 5,
            w: 5,
            o: 1,
            k: 3,
            s: 2,
            p: 1,
            ho: 3,
            wo: 3,
            patches: false,
        };
        // j*2 + v - 1 in [0, 5)
        assert_eq!(g.valid_range(0, 5, 3), (1, 3));
        assert_eq!(g.valid_range(1, 5, 3), (0, 3));
        assert_eq!(g.valid_range(2, 5, 3), (0, 2));
        // whole window inside: j*2 - 1 >= 0 and j*2 + 2 <= 5
        assert_eq!(g.interior_cols(), (1, 2));
    }
}
