//! The channels-last patch layout, used for large C*K*K: `cols` (n*Ho*Wo, K*K*C), row
//! `(image, i, j)`, columns ordered `(u, v, c)`, with the weight permuted to match
//! (O, K*K*C). Each image is first transposed to (H*W, C), so a patch row is K copies of
//! K*C contiguous values ([`im2patch`]) and its inverse adds K runs of K*C values back
//! ([`patch2im`]). [`permute_weight`] and [`add_permuted`] move the weight and its gradient
//! between PyTorch's [O, C, K, K] and this order.

use super::geom::Geom;
use super::kernels::add_run;

/// Patch rows of one image: `xt` is the image as (H*W, C); `cols` receives (Ho*Wo, K*K*C) with
/// row `(i, j)`, column `(u, v, c)` holding `xpad[c, i*S + u, j*S + v]`.
#[inline]
pub(super) fn im2patch(g: &Geom, xt: &[f32], cols: &mut [f32]) {
    let (c, kc) = (g.c, g.k * g.c);
    let (jlo, jhi) = g.interior_cols();
    for (pos, row) in cols.chunks_exact_mut(g.ckk()).enumerate() {
        let (i, j) = (pos / g.wo, pos % g.wo);
        for (u, seg) in row.chunks_exact_mut(kc).enumerate() {
            let Some(ih) = g.src_index(i, u, g.h) else {
                seg.fill(0.0);
                continue;
            };
            if (jlo..jhi).contains(&j) {
                let start = (ih * g.w + j * g.s - g.p) * c;
                seg.copy_from_slice(&xt[start..start + kc]);
            } else {
                for (v, part) in seg.chunks_exact_mut(c).enumerate() {
                    match g.src_index(j, v, g.w) {
                        Some(iw) => part.copy_from_slice(&xt[(ih * g.w + iw) * c..][..c]),
                        None => part.fill(0.0),
                    }
                }
            }
        }
    }
}

/// Inverse of [`im2patch`]: `dxt` (the image as (H*W, C), overwritten) receives the sum of the
/// entries of `dcols` copied from each input value.
#[inline]
pub(super) fn patch2im(g: &Geom, dcols: &[f32], dxt: &mut [f32]) {
    dxt.fill(0.0);
    let (c, kc) = (g.c, g.k * g.c);
    let (jlo, jhi) = g.interior_cols();
    for (pos, row) in dcols.chunks_exact(g.ckk()).enumerate() {
        let (i, j) = (pos / g.wo, pos % g.wo);
        for (u, seg) in row.chunks_exact(kc).enumerate() {
            let Some(ih) = g.src_index(i, u, g.h) else {
                continue;
            };
            if (jlo..jhi).contains(&j) {
                let start = (ih * g.w + j * g.s - g.p) * c;
                add_run(&mut dxt[start..start + kc], seg);
            } else {
                for (v, part) in seg.chunks_exact(c).enumerate() {
                    if let Some(iw) = g.src_index(j, v, g.w) {
                        add_run(&mut dxt[(ih * g.w + iw) * c..][..c], part);
                    }
                }
            }
        }
    }
}

/// Writes the weight [O, C, K, K] as (O, K*K*C), the column order of the patch layout.
#[inline]
pub(super) fn permute_weight(g: &Geom, weight: &[f32], wmat: &mut [f32]) {
    let kk = g.k * g.k;
    for (src, dst) in weight
        .chunks_exact(g.ckk())
        .zip(wmat.chunks_exact_mut(g.ckk()))
    {
        for (c, wc) in src.chunks_exact(kk).enumerate() {
            for (uv, &v) in wc.iter().enumerate() {
                dst[uv * g.c + c] = v;
            }
        }
    }
}

/// `grad [O, C, K, K] += part (O, K*K*C)`: the inverse permutation of [`permute_weight`].
#[inline]
pub(super) fn add_permuted(g: &Geom, part: &[f32], grad: &mut [f32]) {
    let kk = g.k * g.k;
    for (src, dst) in part
        .chunks_exact(g.ckk())
        .zip(grad.chunks_exact_mut(g.ckk()))
    {
        for (c, gc) in dst.chunks_exact_mut(kk).enumerate() {
            for (uv, d) in gc.iter_mut().enumerate() {
                *d += src[uv * g.c + c];
            }
        }
    }
}
