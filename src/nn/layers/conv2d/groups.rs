//! The work of one thread: its chunk of the batch, image group by image group, with
//! single-threaded GEMMs. [`images_per_chunk`] decides how the batch is split across threads
//! and [`images_per_group`] how a chunk is cut into cache-sized groups; [`forward_chunk`] and
//! [`backward_chunk`] run a chunk through im2col (or the patch layout), the GEMMs and the
//! copies into `y` (backward: the weight and bias gradients and, when asked, `dx`).

use super::geom::Geom;
use super::im2col::{col2im, im2col};
use super::kernels::{sum, transpose};
use super::patches::{im2patch, patch2im};
use crate::nn::gemm::{MatMut, MatRef, matmul};

/// The gemm crate has a fast kernel for outputs of at most this many values; in the im2col
/// layout the weight gradient is computed in row blocks that small.
const SMALL_GEMM_OUTPUT: usize = 256;

/// Working set (im2col matrix plus output) of one group of images processed together.
const GROUP_BYTES: usize = 512 * 1024;

/// Minimum multiply-adds (of one GEMM) per chunk before the batch is split across threads.
const MIN_MACS_PER_CHUNK: usize = 1 << 21;

/// Images per chunk for a batch of `n`: as many chunks as threads, but only while each chunk
/// gets at least [`MIN_MACS_PER_CHUNK`] multiply-adds.
pub(super) fn images_per_chunk(g: &Geom, n: usize) -> usize {
    let macs_per_image = (g.o * g.cols_len()).max(1);
    let by_work = (n * macs_per_image / MIN_MACS_PER_CHUNK).max(1);
    let chunks = rayon::current_num_threads().min(by_work).min(n).max(1);
    n.div_ceil(chunks).max(1)
}

/// Images per group: a group's im2col matrix and output stay in the core's cache between
/// the im2col, the GEMM and the copy into `y` (and between the GEMM and col2im backward).
pub(super) fn images_per_group(g: &Geom, chunk: usize) -> usize {
    let bytes = 4 * (g.cols_len() + g.out_len()).max(1);
    (GROUP_BYTES / bytes).clamp(1, chunk.max(1))
}

/// What every group of a call shares.
#[derive(Clone, Copy)]
pub(super) struct Ctx<'a> {
    pub(super) g: Geom,
    /// Images per group.
    pub(super) group: usize,
    /// The weight as the GEMMs read it: [O, C, K, K] or, in the patch layout, (O, K*K*C).
    pub(super) wmat: &'a [f32],
    pub(super) bias: &'a [f32],
}

/// Forward for one group of images: fills its `cols`, computes the GEMM into `mat` and writes
/// `y`; `nhwc` holds one image.
fn forward_group(
    cx: &Ctx<'_>,
    x: &[f32],
    cols: &mut [f32],
    mat: &mut [f32],
    nhwc: &mut [f32],
    y: &mut [f32],
) {
    let g = &cx.g;
    let n = x.len() / g.in_len();
    let (o, ckk, hwo) = (g.o, g.ckk(), g.hwo());
    let m = n * hwo;
    let w = MatRef::row_major(cx.wmat, o, ckk);
    if g.patches {
        for (xi, ci) in x
            .chunks_exact(g.in_len())
            .zip(cols.chunks_exact_mut(g.cols_len()))
        {
            transpose(xi, g.c, g.h * g.w, nhwc);
            im2patch(g, nhwc, ci);
        }
        // Yt (n*Ho*Wo, O) = cols (n*Ho*Wo, K*K*C) x Wmat^T.
        matmul(
            MatMut::row_major(mat, m, o),
            MatRef::row_major(cols, m, ckk),
            w.t(),
            false,
        );
        // y[img, o, p] = Yt[img*HoWo + p, o] + bias[o]
        for (yi, ti) in y.chunks_exact_mut(o * hwo).zip(mat.chunks_exact(hwo * o)) {
            transpose(ti, hwo, o, yi);
            for (yrow, &b) in yi.chunks_exact_mut(hwo).zip(cx.bias) {
                yrow.iter_mut().for_each(|v| *v += b);
            }
        }
    } else {
        im2col(g, x, n, cols);
        let colsm = MatRef::row_major(cols, ckk, m);
        // Y (O, n*Ho*Wo) = W x cols.
        matmul(MatMut::row_major(mat, o, m), w, colsm, false);
        for (img, yi) in y.chunks_exact_mut(o * hwo).enumerate() {
            for (oc, (yrow, &b)) in yi.chunks_exact_mut(hwo).zip(cx.bias).enumerate() {
                let src = &mat[oc * m + img * hwo..][..hwo];
                for (d, s) in yrow.iter_mut().zip(src) {
                    *d = s + b;
                }
            }
        }
    }
}

/// Scratch and output of the input gradient of one chunk or group: `dcols`, one image in
/// channels-last order, and `dx`.
pub(super) type DxBufs<'a> = (&'a mut [f32], &'a mut [f32], &'a mut [f32]);

/// Backward for one group of images: regroups `dy` into `mat`, adds the group's weight and
/// bias gradients into `dw` (overwriting it instead when `first`) and `db`, and, when `dx` is
/// given, writes it.
#[allow(clippy::too_many_arguments)]
fn backward_group(
    cx: &Ctx<'_>,
    cols: &[f32],
    dy: &[f32],
    mat: &mut [f32],
    dw: &mut [f32],
    db: &mut [f32],
    first: bool,
    dx: Option<DxBufs<'_>>,
) {
    let g = &cx.g;
    let (o, ckk, hwo) = (g.o, g.ckk(), g.hwo());
    let n = dy.len() / g.out_len();
    let m = n * hwo;
    // dY (O, n*Ho*Wo) from dy (n, O, Ho*Wo); db[o] += sum of row o.
    for (img, dyi) in dy.chunks_exact(o * hwo).enumerate() {
        for (oc, (src, b)) in dyi.chunks_exact(hwo).zip(db.iter_mut()).enumerate() {
            mat[oc * m + img * hwo..][..hwo].copy_from_slice(src);
            *b += sum(src);
        }
    }
    let dmat = MatRef::row_major(mat, o, m);
    let w = MatRef::row_major(cx.wmat, o, ckk);
    if g.patches {
        // dW (O, K*K*C) = dY x cols.
        matmul(
            MatMut::row_major(dw, o, ckk),
            dmat,
            MatRef::row_major(cols, m, ckk),
            !first,
        );
        if let Some((dcols, nhwc, dx)) = dx {
            // dcols (n*Ho*Wo, K*K*C) = dY^T x Wmat.
            matmul(MatMut::row_major(dcols, m, ckk), dmat.t(), w, false);
            for (dci, dxi) in dcols
                .chunks_exact(g.cols_len())
                .zip(dx.chunks_exact_mut(g.in_len()))
            {
                patch2im(g, dci, nhwc);
                transpose(nhwc, g.h * g.w, g.c, dxi);
            }
        }
    } else {
        // dW (O, CKK) = dY x cols^T, in row blocks small enough for the thin-output kernel.
        let rows = (SMALL_GEMM_OUTPUT / ckk).max(1);
        let colst = MatRef::row_major(cols, ckk, m).t();
        for (bi, dwb) in dw.chunks_mut(rows * ckk).enumerate() {
            let r = dwb.len() / ckk;
            matmul(
                MatMut::row_major(dwb, r, ckk),
                MatRef::row_major(&mat[bi * rows * m..], r, m),
                colst,
                !first,
            );
        }
        if let Some((dcols, _, dx)) = dx {
            // dcols (CKK, n*Ho*Wo) = W^T x dY.
            matmul(MatMut::row_major(dcols, ckk, m), w.t(), dmat, false);
            col2im(g, dcols, n, dx);
        }
    }
}

/// Forward for one chunk (`x`, `cols`, `y` hold its images; `mat` and `nhwc` are its
/// scratch), group by group.
pub(super) fn forward_chunk(
    cx: &Ctx<'_>,
    x: &[f32],
    cols: &mut [f32],
    mat: &mut [f32],
    nhwc: &mut [f32],
    y: &mut [f32],
) {
    let g = &cx.g;
    let groups = x
        .chunks(cx.group * g.in_len())
        .zip(cols.chunks_mut(cx.group * g.cols_len()))
        .zip(y.chunks_mut(cx.group * g.out_len()));
    for ((xg, cg), yg) in groups {
        forward_group(cx, xg, cg, &mut mat[..yg.len()], nhwc, yg);
    }
}

/// Backward for one chunk, group by group: overwrites the chunk's `dw` and `db` with its
/// gradients and writes its `dx` when given (`mat`, `dcols` and `nhwc` are its scratch).
pub(super) fn backward_chunk(
    cx: &Ctx<'_>,
    cols: &[f32],
    dy: &[f32],
    mat: &mut [f32],
    dw: &mut [f32],
    db: &mut [f32],
    mut dx: Option<DxBufs<'_>>,
) {
    let g = &cx.g;
    db.fill(0.0);
    let groups = cols
        .chunks(cx.group * g.cols_len())
        .zip(dy.chunks(cx.group * g.out_len()));
    for (gi, (cg, dyg)) in groups.enumerate() {
        let gn = dyg.len() / g.out_len();
        let dxg = dx.as_mut().map(|(dcols, nhwc, dx)| {
            (
                &mut dcols[..gn * g.cols_len()],
                &mut nhwc[..],
                &mut dx[gi * cx.group * g.in_len()..][..gn * g.in_len()],
            )
        });
        let mg = &mut mat[..dyg.len()];
        backward_group(cx, cg, dyg, mg, dw, db, gi == 0, dxg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::layers::conv2d::Conv2d;
    use crate::nn::layers::conv2d::patches::{add_permuted, permute_weight};

    /// Runs forward and backward through the per-chunk functions with a forced layout and
    /// group size; returns (y, dx, dweight [O, C, K, K], dbias).
    fn run_internal(
        g: Geom,
        group: usize,
        weight: &[f32],
        bias: &[f32],
        x: &[f32],
        dy: &[f32],
    ) -> [Vec<f32>; 4] {
        let n = x.len() / g.in_len();
        let mut wmat = weight.to_vec();
        if g.patches {
            permute_weight(&g, weight, &mut wmat);
        }
        let cx = Ctx {
            g,
            group,
            wmat: &wmat,
            bias,
        };
        let mut cols = vec![f32::NAN; n * g.cols_len()];
        let mut mat = vec![f32::NAN; group * g.out_len()];
        let mut nhwc = vec![f32::NAN; g.in_len()];
        let mut y = vec![f32::NAN; n * g.out_len()];
        forward_chunk(&cx, x, &mut cols, &mut mat, &mut nhwc, &mut y);
        let (mut dw, mut db) = (vec![f32::NAN; weight.len()], vec![f32::NAN; g.o]);
        let mut dcols = vec![f32::NAN; group * g.cols_len()];
        let mut dx = vec![f32::NAN; x.len()];
        let dxs = Some((&mut dcols[..], &mut nhwc[..], &mut dx[..]));
        backward_chunk(&cx, &cols, dy, &mut mat, &mut dw, &mut db, dxs);
        let grad = if g.patches {
            let mut grad = vec![0.0; weight.len()];
            add_permuted(&g, &dw, &mut grad);
            grad
        } else {
            dw
        };
        [y, dx, grad, db]
    }

    #[test]
    fn both_layouts_and_any_grouping_agree() {
        let values = |len: usize, seed: usize| -> Vec<f32> {
            (0..len)
                .map(|i| (((i * 7919 + seed * 104_729) % 2003) as f32 / 1001.5) - 1.0)
                .collect()
        };
        // (C, O, K, S, P, H, W), five images.
        for (c, o, k, s, p, h, w) in [
            (3, 4, 3, 1, 0, 6, 7),
            (2, 5, 3, 2, 1, 7, 6),
            (4, 3, 2, 1, 1, 5, 5),
            (3, 2, 5, 3, 2, 9, 8),
            (1, 2, 3, 1, 2, 3, 4),
        ] {
            let layer = Conv2d::new(c, o, k, s, p).unwrap();
            let g = layer.geom(&[c, h, w], &[c, h, w]).unwrap();
            let n = 5;
            let weight = values(o * c * k * k, 1);
            let bias = values(o, 2);
            let x = values(n * g.in_len(), 3);
            let dy = values(n * g.out_len(), 4);
            let reference = run_internal(
                Geom {
                    patches: false,
                    ..g
                },
                n,
                &weight,
                &bias,
                &x,
                &dy,
            );
            for (patches, group) in [(false, 2), (true, n), (true, 2), (true, 1)] {
                let got = run_internal(Geom { patches, ..g }, group, &weight, &bias, &x, &dy);
                for (what, (a, b)) in ["y", "dx", "dweight", "dbias"]
                    .iter()
                    .zip(reference.iter().zip(&got))
                {
                    assert_eq!(a.len(), b.len());
                    for (i, (u, v)) in a.iter().zip(b).enumerate() {
                        assert!(
                            (u - v).abs() <= 1e-5 * u.abs().max(1.0),
                            "{what}[{i}] of {:?}, patches {patches}, group {group}: {u} vs {v}",
                            (c, o, k, s, p, h, w)
                        );
                    }
                }
            }
        }
    }
}
