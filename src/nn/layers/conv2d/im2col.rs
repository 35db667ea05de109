//! The plain im2col layout, used when a patch is small (C*K*K below the patch layout's
//! threshold, typically a first layer): `cols` (C*K*K, n*Ho*Wo), row `(c, u, v)`, column
//! `(image, i, j)`, so that `Y (O, n*Ho*Wo) = W (O, C*K*K) x cols`. [`im2col`] gathers the
//! columns of a group of images, [`col2im`] adds a gradient of the columns back onto the
//! images.

use super::geom::Geom;
use super::kernels::{add_run, copy_run};

/// im2col of `n` images `x` into `cols` (C*K*K, n*Ho*Wo): row `(c, u, v)`, column
/// `(image, i, j)` holds `xpad[image, c, i*S + u, j*S + v]`.
#[inline]
pub(super) fn im2col(g: &Geom, x: &[f32], n: usize, cols: &mut [f32]) {
    let (hwo, plane) = (g.hwo(), g.h * g.w);
    let row_len = n * hwo;
    for c in 0..g.c {
        for u in 0..g.k {
            let (ilo, ihi) = g.valid_range(u, g.h, g.ho);
            for v in 0..g.k {
                let r = (c * g.k + u) * g.k + v;
                let row = &mut cols[r * row_len..(r + 1) * row_len];
                let (lo, hi) = g.valid_range(v, g.w, g.wo);
                // First input column read by output column `lo`.
                let iw_lo = (lo * g.s + v).saturating_sub(g.p);
                for (img, out) in row.chunks_exact_mut(hwo).enumerate() {
                    let xp = &x[(img * g.c + c) * plane..][..plane];
                    out[..ilo * g.wo].fill(0.0);
                    out[ihi * g.wo..].fill(0.0);
                    let rows = out[ilo * g.wo..ihi * g.wo].chunks_exact_mut(g.wo);
                    for (i, seg) in (ilo..ihi).zip(rows) {
                        let ih = i * g.s + u - g.p;
                        seg[..lo].fill(0.0);
                        seg[hi..].fill(0.0);
                        let src = &xp[ih * g.w + iw_lo..(ih + 1) * g.w];
                        if g.s == 1 {
                            copy_run(&mut seg[lo..hi], src);
                        } else {
                            for (d, s) in seg[lo..hi].iter_mut().zip(src.iter().step_by(g.s)) {
                                *d = *s;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Inverse of [`im2col`]: `dx` (n images, overwritten) receives the sum of the `dcols` entries
/// copied from each input value.
#[inline]
pub(super) fn col2im(g: &Geom, dcols: &[f32], n: usize, dx: &mut [f32]) {
    dx.fill(0.0);
    let (hwo, plane) = (g.hwo(), g.h * g.w);
    let row_len = n * hwo;
    for c in 0..g.c {
        for u in 0..g.k {
            let (ilo, ihi) = g.valid_range(u, g.h, g.ho);
            for v in 0..g.k {
                let r = (c * g.k + u) * g.k + v;
                let row = &dcols[r * row_len..(r + 1) * row_len];
                let (lo, hi) = g.valid_range(v, g.w, g.wo);
                if lo >= hi {
                    continue;
                }
                let iw_lo = (lo * g.s + v).saturating_sub(g.p);
                for (img, src) in row.chunks_exact(hwo).enumerate() {
                    let dp = &mut dx[(img * g.c + c) * plane..][..plane];
                    let rows = src[ilo * g.wo..ihi * g.wo].chunks_exact(g.wo);
                    for (i, seg) in (ilo..ihi).zip(rows) {
                        let ih = i * g.s + u - g.p;
                        let dst = &mut dp[ih * g.w + iw_lo..(ih + 1) * g.w];
                        if g.s == 1 {
                            add_run(dst, &seg[lo..hi]);
                        } else {
                            for (d, s) in dst.iter_mut().step_by(g.s).zip(&seg[lo..hi]) {
                                *d += *s;
                            }
                        }
                    }
                }
            }
        }
    }
}
