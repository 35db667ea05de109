//! `Conv2d`: 2-D convolution (cross-correlation, as PyTorch's `nn.Conv2d`) with a square
//! kernel, a stride and zero padding, computed as im2col + GEMM.
//!
//! Legend: N batch, C input channels, O output channels, H x W input size, K kernel size,
//! S stride, P zero padding, Ho x Wo output size.
//!
//! Shapes: input `x` (N, C, H, W); `weight` [O, C, K, K] (PyTorch layout); `bias` [O];
//! output `y` (N, O, Ho, Wo) with `Ho = (H + 2P - K) / S + 1` and `Wo = (W + 2P - K) / S + 1`
//! (floor division).
//!
//! Forward, for every image:
//! `y[o, i, j] = bias[o] + sum_{c, u, v} weight[o, c, u, v] * xpad[c, i*S + u, j*S + v]`,
//! where `xpad` is `x` surrounded by P zeros. Gathering the C*K*K input values that each
//! output position sees into a column (im2col) turns this into one matrix product per image:
//! `Y (O, Ho*Wo) = W (O, C*K*K) x cols (C*K*K, Ho*Wo) + bias`.
//!
//! Backward, with `dY = dL/dy` of one image seen as an (O, Ho*Wo) matrix:
//! - `dW += dY x cols^T` and `dbias[o] += sum_{i,j} dY[o, i, j]`, summed over the batch;
//! - `dcols = W^T x dY`, then col2im adds every entry of `dcols` back onto the input value it
//!   was copied from (overlapping windows add up), which gives `dx`.
//!
//! Implementation notes (measured on the training machines, see `shared/PERF-NOTES.md`):
//! - The images of a batch are stacked side by side so each GEMM covers many images at once:
//!   `cols` of a group of n images is (C*K*K, n*Ho*Wo). The batch is split into at most
//!   `rayon::current_num_threads()` chunks, each processed by single-threaded GEMMs on its own
//!   part of the scratch buffers; per-chunk weight gradients are summed afterwards in chunk
//!   order, so results are bitwise reproducible for a given thread count. Small batches
//!   (too little work to pay for waking a thread) run as one chunk on the calling thread.
//! - When C*K*K is large (conv layers after the first) the cols matrix is stored transposed
//!   ("im2row", (n*Ho*Wo, C*K*K)): then every GEMM streams its operands contiguously, at the
//!   price of an (n*Ho*Wo, O) -> (n, O, Ho*Wo) transpose of the output. When C*K*K is small
//!   (first layers, K*K rows) the plain im2col layout is faster and the weight gradient is
//!   computed in row blocks that fit the GEMM kernel for thin outputs.
//! - `backward` skips `dcols` and col2im entirely when `need_dx` is false (first layer).
//! - Scratch buffers live in the layer and are only grown, so a steady-state training step
//!   allocates nothing here.

use rayon::prelude::*;

use crate::nn::error::{NnError, Result, fmt_shape};
use crate::nn::gemm::{MatMut, MatRef, matmul};
use crate::nn::layers::{Layer, LayerKind, Param};
use crate::nn::tensor::Tensor;

/// Above this many values per column (C*K*K) the transposed im2col ("im2row") layout is used.
const ROW_LAYOUT_MIN_CKK: usize = 129;

/// The gemm crate has a fast kernel for outputs of at most this many values; in the im2col
/// layout the weight gradient is computed in row blocks that small.
const SMALL_GEMM_OUTPUT: usize = 256;

/// Minimum multiply-adds (of one GEMM) per chunk before the batch is split across threads.
const MIN_MACS_PER_CHUNK: usize = 1 << 21;

/// Geometry of one convolution on one input size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Geom {
    c: usize,
    h: usize,
    w: usize,
    o: usize,
    k: usize,
    s: usize,
    p: usize,
    ho: usize,
    wo: usize,
}

impl Geom {
    /// C*K*K: values per column of the im2col matrix.
    fn ckk(&self) -> usize {
        self.c * self.k * self.k
    }
    /// Ho*Wo: output positions per image.
    fn hwo(&self) -> usize {
        self.ho * self.wo
    }
    /// Values per input image.
    fn in_len(&self) -> usize {
        self.c * self.h * self.w
    }
    /// Values per output image.
    fn out_len(&self) -> usize {
        self.o * self.hwo()
    }
    /// Values of the im2col matrix per image.
    fn cols_len(&self) -> usize {
        self.ckk() * self.hwo()
    }
    /// True when the transposed (im2row) layout is used.
    fn row_layout(&self) -> bool {
        self.ckk() >= ROW_LAYOUT_MIN_CKK
    }
    /// Input row (or column) read by output row `i` at kernel offset `u`, if inside the input.
    fn src_index(&self, i: usize, u: usize, len: usize) -> Option<usize> {
        (i * self.s + u).checked_sub(self.p).filter(|&v| v < len)
    }
    /// Output positions `[lo, hi)` along an axis of `len` inputs and `out` outputs whose
    /// kernel offset `u` falls inside the input (the rest read padding).
    fn valid_range(&self, u: usize, len: usize, out: usize) -> (usize, usize) {
        let (s, p) = (self.s, self.p);
        let lo = if u >= p { 0 } else { (p - u).div_ceil(s) };
        let hi = if len + p > u {
            ((len + p - u - 1) / s + 1).min(out)
        } else {
            0
        };
        (lo.min(out), hi.max(lo.min(out)))
    }
}

/// What `forward` left for `backward`.
#[derive(Clone, Copy, Debug)]
struct Cached {
    geom: Geom,
    n: usize,
    /// Images per chunk (the last chunk may hold fewer).
    chunk: usize,
}

/// Reusable buffers. Cloning a layer gives it empty ones.
#[derive(Debug, Default)]
struct Scratch {
    /// im2col (or im2row) matrices of the latest forward, chunk after chunk.
    cols: Vec<f32>,
    /// Forward: the GEMM output before it is moved into `y`; backward: `dy` regrouped as
    /// (O, n*Ho*Wo) per chunk.
    mat: Vec<f32>,
    /// dL/dcols per chunk.
    dcols: Vec<f32>,
    /// Weight gradient of each chunk, (O, C*K*K) each.
    dw: Vec<f32>,
    /// Bias gradient of each chunk, O each.
    db: Vec<f32>,
    cached: Option<Cached>,
}

impl Clone for Scratch {
    fn clone(&self) -> Self {
        Scratch::default()
    }
}

/// Grows (never shrinks the allocation of) `v` to exactly `len` values.
fn set_len(v: &mut Vec<f32>, len: usize) {
    v.resize(len, 0.0);
}

/// A 2-D convolution layer: input (N, C, H, W) to output (N, O, Ho, Wo); see the module docs.
#[derive(Clone, Debug)]
pub struct Conv2d {
    in_channels: usize,
    out_channels: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    /// `[weight [O, C, K, K], bias [O]]`.
    params: [Param; 2],
    scratch: Scratch,
}

impl Conv2d {
    /// A convolution from `in_channels` (C) to `out_channels` (O) with a `kernel` x `kernel`
    /// window (K), `stride` (S) and zero `padding` (P). Weights and bias start at zero (the
    /// model builder initialises them). Fails if a size, the kernel or the stride is 0.
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
    ) -> Result<Self> {
        if in_channels == 0 || out_channels == 0 || kernel == 0 || stride == 0 {
            return Err(NnError::Config(format!(
                "conv2d needs in_channels, out_channels, kernel and stride of at least 1, got \
                 in_channels {in_channels}, out_channels {out_channels}, kernel {kernel}, \
                 stride {stride}"
            )));
        }
        let weight = Tensor::zeros(&[out_channels, in_channels, kernel, kernel]);
        let bias = Tensor::zeros(&[out_channels]);
        Ok(Conv2d {
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
            params: [Param::new("weight", weight), Param::new("bias", bias)],
            scratch: Scratch::default(),
        })
    }

    /// Input channels (C).
    pub fn in_channels(&self) -> usize {
        self.in_channels
    }

    /// Output channels (O).
    pub fn out_channels(&self) -> usize {
        self.out_channels
    }

    /// Kernel size (K): the window is K x K.
    pub fn kernel(&self) -> usize {
        self.kernel
    }

    /// Stride (S), the same along both axes.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Zero padding (P) added on each side of both axes.
    pub fn padding(&self) -> usize {
        self.padding
    }

    fn weight_shape(&self) -> [usize; 4] {
        [
            self.out_channels,
            self.in_channels,
            self.kernel,
            self.kernel,
        ]
    }

    /// Checks that the parameters still have the shapes this layer was built with (they are
    /// public and may have been replaced, e.g. by a model file).
    fn check_params(&self, input: &[usize]) -> Result<()> {
        let w = self.params[0].value.shape();
        let b = self.params[1].value.shape();
        if w != self.weight_shape() || b != [self.out_channels] {
            return Err(NnError::shape(
                "conv2d",
                format!(
                    "input {}, weight {} and bias {}, expected weight {} and bias ({})",
                    fmt_shape(input),
                    fmt_shape(w),
                    fmt_shape(b),
                    fmt_shape(&self.weight_shape()),
                    self.out_channels
                ),
            ));
        }
        Ok(())
    }

    /// Geometry for one sample of shape (C, H, W); `shown` is the shape quoted in errors.
    fn geom(&self, sample: &[usize], shown: &[usize]) -> Result<Geom> {
        let wshape = fmt_shape(&self.weight_shape());
        let &[c, h, w] = sample else {
            return Err(NnError::shape(
                "conv2d",
                format!(
                    "input {} must be (C,H,W) per sample, (N,C,H,W) per batch; weight {wshape}",
                    fmt_shape(shown)
                ),
            ));
        };
        if c != self.in_channels {
            return Err(NnError::shape(
                "conv2d",
                format!(
                    "input {} has {c} channels, weight {wshape} expects {}",
                    fmt_shape(shown),
                    self.in_channels
                ),
            ));
        }
        let (k, s, p) = (self.kernel, self.stride, self.padding);
        if h + 2 * p < k || w + 2 * p < k {
            return Err(NnError::shape(
                "conv2d",
                format!(
                    "input {} padded by {p} is {}x{}, smaller than the {k}x{k} kernel of weight \
                     {wshape}",
                    fmt_shape(shown),
                    h + 2 * p,
                    w + 2 * p
                ),
            ));
        }
        Ok(Geom {
            c,
            h,
            w,
            o: self.out_channels,
            k,
            s,
            p,
            ho: (h + 2 * p - k) / s + 1,
            wo: (w + 2 * p - k) / s + 1,
        })
    }

    /// Checks a batch `x` and returns its geometry and batch size.
    fn batch_geom(&self, x: &Tensor) -> Result<(Geom, usize)> {
        let shape = x.shape();
        if shape.len() != 4 {
            return Err(NnError::shape(
                "conv2d",
                format!(
                    "input {} must be (N,C,H,W); weight {}",
                    fmt_shape(shape),
                    fmt_shape(&self.weight_shape())
                ),
            ));
        }
        let g = self.geom(&shape[1..], shape)?;
        self.check_params(shape)?;
        Ok((g, shape[0]))
    }
}

/// Images per chunk for a batch of `n`: as many chunks as threads, but only while each chunk
/// gets at least [`MIN_MACS_PER_CHUNK`] multiply-adds.
fn images_per_chunk(g: &Geom, n: usize) -> usize {
    let macs_per_image = (g.o * g.cols_len()).max(1);
    let by_work = (n * macs_per_image / MIN_MACS_PER_CHUNK).max(1);
    let chunks = rayon::current_num_threads().min(by_work).min(n).max(1);
    n.div_ceil(chunks).max(1)
}

// ---------------------------------------------------------------------------------------------
// im2col / col2im in both layouts.

/// Copies `src` into `dst` (equal, short lengths) with an inlined loop: for runs of a few
/// values a call to `memcpy` costs more than the copy.
#[inline(always)]
fn copy_run(dst: &mut [f32], src: &[f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
}

/// Adds `src` onto `dst`.
#[inline(always)]
fn add_run(dst: &mut [f32], src: &[f32]) {
    for (d, s) in dst.iter_mut().zip(src) {
        *d += *s;
    }
}

/// im2col of `n` images `x` into `cols` (C*K*K, n*Ho*Wo): row `(c, u, v)`, column
/// `(image, i, j)` holds `xpad[image, c, i*S + u, j*S + v]`.
fn im2col(g: &Geom, x: &[f32], n: usize, cols: &mut [f32]) {
    let (hwo, plane) = (g.hwo(), g.h * g.w);
    let row_len = n * hwo;
    for c in 0..g.c {
        for u in 0..g.k {
            for v in 0..g.k {
                let r = (c * g.k + u) * g.k + v;
                let row = &mut cols[r * row_len..(r + 1) * row_len];
                let (lo, hi) = g.valid_range(v, g.w, g.wo);
                let iw_lo = (lo * g.s + v).saturating_sub(g.p);
                for img in 0..n {
                    let xp = &x[(img * g.c + c) * plane..][..plane];
                    let out = &mut row[img * hwo..(img + 1) * hwo];
                    for (i, seg) in out.chunks_exact_mut(g.wo).enumerate() {
                        let Some(ih) = g.src_index(i, u, g.h) else {
                            seg.fill(0.0);
                            continue;
                        };
                        seg[..lo].fill(0.0);
                        seg[hi..].fill(0.0);
                        if lo >= hi {
                            continue;
                        }
                        let src = &x_row(xp, ih, g.w)[iw_lo..];
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
fn col2im(g: &Geom, dcols: &[f32], n: usize, dx: &mut [f32]) {
    dx.fill(0.0);
    let (hwo, plane) = (g.hwo(), g.h * g.w);
    let row_len = n * hwo;
    for c in 0..g.c {
        for u in 0..g.k {
            for v in 0..g.k {
                let r = (c * g.k + u) * g.k + v;
                let row = &dcols[r * row_len..(r + 1) * row_len];
                let (lo, hi) = g.valid_range(v, g.w, g.wo);
                if lo >= hi {
                    continue;
                }
                let iw_lo = (lo * g.s + v).saturating_sub(g.p);
                for img in 0..n {
                    let dp = &mut dx[(img * g.c + c) * plane..][..plane];
                    let src = &row[img * hwo..(img + 1) * hwo];
                    for (i, seg) in src.chunks_exact(g.wo).enumerate() {
                        let Some(ih) = g.src_index(i, u, g.h) else {
                            continue;
                        };
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

/// Row `ih` of an input plane of width `w`.
#[inline(always)]
fn x_row(plane: &[f32], ih: usize, w: usize) -> &[f32] {
    &plane[ih * w..(ih + 1) * w]
}

/// im2row of `n` images `x` into `cols` (n*Ho*Wo, C*K*K): the transpose of [`im2col`].
fn im2row(g: &Geom, x: &[f32], n: usize, cols: &mut [f32]) {
    let (ckk, k, plane) = (g.ckk(), g.k, g.h * g.w);
    let (jlo, jhi) = interior_range(g);
    for img in 0..n {
        let xi = &x[img * g.in_len()..(img + 1) * g.in_len()];
        for i in 0..g.ho {
            let blk = &mut cols[(img * g.ho + i) * g.wo * ckk..][..g.wo * ckk];
            for c in 0..g.c {
                for u in 0..k {
                    let col0 = (c * k + u) * k;
                    let Some(ih) = g.src_index(i, u, g.h) else {
                        for run in blk[col0..].chunks_mut(ckk) {
                            run[..k].fill(0.0);
                        }
                        continue;
                    };
                    let src = x_row(&xi[c * plane..(c + 1) * plane], ih, g.w);
                    // Window columns fully inside the input: straight copies of K values.
                    if k == 3 {
                        for j in jlo..jhi {
                            let iw = j * g.s - g.p;
                            let (d, s) = (&mut blk[j * ckk + col0..][..3], &src[iw..iw + 3]);
                            d[0] = s[0];
                            d[1] = s[1];
                            d[2] = s[2];
                        }
                    } else {
                        for j in jlo..jhi {
                            let iw = j * g.s - g.p;
                            copy_run(&mut blk[j * ckk + col0..][..k], &src[iw..iw + k]);
                        }
                    }
                    // Windows that overlap the padding.
                    for j in (0..jlo).chain(jhi.max(jlo)..g.wo) {
                        let run = &mut blk[j * ckk + col0..][..k];
                        for (v, d) in run.iter_mut().enumerate() {
                            *d = g.src_index(j, v, g.w).map_or(0.0, |iw| src[iw]);
                        }
                    }
                }
            }
        }
    }
}

/// Inverse of [`im2row`]: `dx` (n images, overwritten) receives the sum of the entries copied
/// from each input value.
fn row2im(g: &Geom, dcols: &[f32], n: usize, dx: &mut [f32]) {
    dx.fill(0.0);
    let (ckk, k, plane) = (g.ckk(), g.k, g.h * g.w);
    let (jlo, jhi) = interior_range(g);
    for img in 0..n {
        let di = &mut dx[img * g.in_len()..(img + 1) * g.in_len()];
        for i in 0..g.ho {
            let blk = &dcols[(img * g.ho + i) * g.wo * ckk..][..g.wo * ckk];
            for c in 0..g.c {
                for u in 0..k {
                    let col0 = (c * k + u) * k;
                    let Some(ih) = g.src_index(i, u, g.h) else {
                        continue;
                    };
                    let dst = &mut di[c * plane + ih * g.w..c * plane + (ih + 1) * g.w];
                    if k == 3 {
                        for j in jlo..jhi {
                            let iw = j * g.s - g.p;
                            let (d, s) = (&mut dst[iw..iw + 3], &blk[j * ckk + col0..][..3]);
                            d[0] += s[0];
                            d[1] += s[1];
                            d[2] += s[2];
                        }
                    } else {
                        for j in jlo..jhi {
                            let iw = j * g.s - g.p;
                            add_run(&mut dst[iw..iw + k], &blk[j * ckk + col0..][..k]);
                        }
                    }
                    for j in (0..jlo).chain(jhi.max(jlo)..g.wo) {
                        let run = &blk[j * ckk + col0..][..k];
                        for (v, s) in run.iter().enumerate() {
                            if let Some(iw) = g.src_index(j, v, g.w) {
                                dst[iw] += *s;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Output columns `[lo, hi)` whose whole K-wide window lies inside the input width.
fn interior_range(g: &Geom) -> (usize, usize) {
    let lo = g.p.div_ceil(g.s).min(g.wo);
    // j*S - P + K <= W  <=>  j <= (W + P - K) / S
    let hi = if g.w + g.p >= g.k {
        ((g.w + g.p - g.k) / g.s + 1).min(g.wo)
    } else {
        0
    };
    (lo, hi.max(lo))
}

// ---------------------------------------------------------------------------------------------
// Per-chunk work. Each function handles `n` consecutive images with single-threaded GEMMs.

/// Forward for one chunk: fills `cols`, computes the GEMM into `mat` and writes `y` (n images).
fn forward_chunk(
    g: &Geom,
    weight: &[f32],
    bias: &[f32],
    x: &[f32],
    cols: &mut [f32],
    mat: &mut [f32],
    y: &mut [f32],
) {
    let n = x.len() / g.in_len();
    let (o, ckk, hwo) = (g.o, g.ckk(), g.hwo());
    let m = n * hwo;
    let w = MatRef::row_major(weight, o, ckk);
    if g.row_layout() {
        im2row(g, x, n, cols);
        // Yt (n*Ho*Wo, O) = colsR (n*Ho*Wo, CKK) x W^T.
        matmul(
            MatMut::row_major(mat, m, o),
            MatRef::row_major(cols, m, ckk),
            w.t(),
            false,
        );
        // y[img, o, p] = Yt[img*HoWo + p, o] + bias[o]
        for (yi, ti) in y.chunks_exact_mut(o * hwo).zip(mat.chunks_exact(hwo * o)) {
            for (oc, (yrow, &b)) in yi.chunks_exact_mut(hwo).zip(bias).enumerate() {
                for (d, trow) in yrow.iter_mut().zip(ti.chunks_exact(o)) {
                    *d = trow[oc] + b;
                }
            }
        }
    } else {
        im2col(g, x, n, cols);
        // Y (O, n*Ho*Wo) = W x cols.
        matmul(
            MatMut::row_major(mat, o, m),
            w,
            MatRef::row_major(cols, ckk, m),
            false,
        );
        for (img, yi) in y.chunks_exact_mut(o * hwo).enumerate() {
            for (oc, (yrow, &b)) in yi.chunks_exact_mut(hwo).zip(bias).enumerate() {
                let src = &mat[oc * m + img * hwo..][..hwo];
                for (d, s) in yrow.iter_mut().zip(src) {
                    *d = s + b;
                }
            }
        }
    }
}

/// Backward for one chunk: regroups `dy` into `mat`, writes this chunk's weight and bias
/// gradients into `dw` and `db` (overwriting), and, when `dx` is given, writes it.
#[allow(clippy::too_many_arguments)]
fn backward_chunk(
    g: &Geom,
    weight: &[f32],
    cols: &[f32],
    dy: &[f32],
    mat: &mut [f32],
    dw: &mut [f32],
    db: &mut [f32],
    dx: Option<(&mut [f32], &mut [f32])>,
) {
    let (o, ckk, hwo) = (g.o, g.ckk(), g.hwo());
    let n = dy.len() / g.out_len();
    let m = n * hwo;
    // dY (O, n*Ho*Wo) from dy (n, O, Ho*Wo); db[o] = sum of row o.
    db.fill(0.0);
    for (img, dyi) in dy.chunks_exact(o * hwo).enumerate() {
        for (oc, (src, b)) in dyi.chunks_exact(hwo).zip(db.iter_mut()).enumerate() {
            mat[oc * m + img * hwo..][..hwo].copy_from_slice(src);
            *b += src.iter().sum::<f32>();
        }
    }
    let dmat = MatRef::row_major(mat, o, m);
    let w = MatRef::row_major(weight, o, ckk);
    if g.row_layout() {
        // dW (O, CKK) = dY x colsR.
        matmul(
            MatMut::row_major(dw, o, ckk),
            dmat,
            MatRef::row_major(cols, m, ckk),
            false,
        );
        if let Some((dcols, dx)) = dx {
            // dcolsR (n*Ho*Wo, CKK) = dY^T x W.
            matmul(MatMut::row_major(dcols, m, ckk), dmat.t(), w, false);
            row2im(g, dcols, n, dx);
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
                false,
            );
        }
        if let Some((dcols, dx)) = dx {
            // dcols (CKK, n*Ho*Wo) = W^T x dY.
            matmul(MatMut::row_major(dcols, ckk, m), w.t(), dmat, false);
            col2im(g, dcols, n, dx);
        }
    }
}

impl Layer for Conv2d {
    fn kind(&self) -> LayerKind {
        LayerKind::Conv2d
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let g = self.geom(input, input)?;
        Ok(vec![g.o, g.ho, g.wo])
    }

    fn forward(&mut self, x: &Tensor, y: &mut Tensor) -> Result<()> {
        let (g, n) = self.batch_geom(x)?;
        y.resize(&[n, g.o, g.ho, g.wo]);
        let chunk = images_per_chunk(&g, n);
        let Conv2d {
            params, scratch, ..
        } = self;
        scratch.cached = None;
        set_len(&mut scratch.cols, n * g.cols_len());
        set_len(&mut scratch.mat, n * g.out_len());
        let (weight, bias) = (params[0].value.data(), params[1].value.data());
        if n > 0 {
            if chunk >= n {
                forward_chunk(
                    &g,
                    weight,
                    bias,
                    x.data(),
                    &mut scratch.cols,
                    &mut scratch.mat,
                    y.data_mut(),
                );
            } else {
                x.data()
                    .par_chunks(chunk * g.in_len())
                    .zip(scratch.cols.par_chunks_mut(chunk * g.cols_len()))
                    .zip(scratch.mat.par_chunks_mut(chunk * g.out_len()))
                    .zip(y.data_mut().par_chunks_mut(chunk * g.out_len()))
                    .for_each(|(((xc, cc), mc), yc)| {
                        forward_chunk(&g, weight, bias, xc, cc, mc, yc);
                    });
            }
        }
        scratch.cached = Some(Cached { geom: g, n, chunk });
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
        let (g, n) = self.batch_geom(x)?;
        let Some(cached) = self.scratch.cached.filter(|c| c.geom == g && c.n == n) else {
            return Err(NnError::shape(
                "conv2d",
                format!(
                    "backward for input {} without a forward on that shape",
                    x.shape_str()
                ),
            ));
        };
        let out_shape = [n, g.o, g.ho, g.wo];
        if dy.shape() != out_shape {
            return Err(NnError::shape(
                "conv2d",
                format!(
                    "dy {} does not match the output {} of input {}",
                    dy.shape_str(),
                    fmt_shape(&out_shape),
                    x.shape_str()
                ),
            ));
        }
        if n == 0 {
            if need_dx {
                dx.resize(x.shape());
            }
            return Ok(());
        }
        let chunk = cached.chunk;
        let chunks = n.div_ceil(chunk);
        let (o, ckk) = (g.o, g.ckk());
        let Conv2d {
            params, scratch, ..
        } = self;
        set_len(&mut scratch.mat, n * g.out_len());
        set_len(&mut scratch.dw, chunks * o * ckk);
        set_len(&mut scratch.db, chunks * o);
        if need_dx {
            set_len(&mut scratch.dcols, n * g.cols_len());
            dx.resize(x.shape());
        }
        let weight = params[0].value.data();
        let Scratch {
            cols,
            mat,
            dcols,
            dw,
            db,
            ..
        } = scratch;
        if chunks == 1 {
            let dxs = need_dx.then(|| (&mut dcols[..], dx.data_mut()));
            backward_chunk(&g, weight, cols, dy.data(), mat, dw, db, dxs);
        } else {
            let parts = cols
                .par_chunks(chunk * g.cols_len())
                .zip(dy.data().par_chunks(chunk * g.out_len()))
                .zip(mat.par_chunks_mut(chunk * g.out_len()))
                .zip(dw.par_chunks_mut(o * ckk))
                .zip(db.par_chunks_mut(o));
            if need_dx {
                parts
                    .zip(dcols.par_chunks_mut(chunk * g.cols_len()))
                    .zip(dx.data_mut().par_chunks_mut(chunk * g.in_len()))
                    .for_each(|((((((cc, dyc), mc), dwc), dbc), dcc), dxc)| {
                        backward_chunk(&g, weight, cc, dyc, mc, dwc, dbc, Some((dcc, dxc)));
                    });
            } else {
                parts.for_each(|((((cc, dyc), mc), dwc), dbc)| {
                    backward_chunk(&g, weight, cc, dyc, mc, dwc, dbc, None);
                });
            }
        }
        // Sum the chunks' gradients in chunk order (deterministic for a given thread count).
        let [pw, pb] = params;
        for part in dw.chunks_exact(o * ckk) {
            add_run(pw.grad.data_mut(), part);
        }
        for part in db.chunks_exact(o) {
            add_run(pb.grad.data_mut(), part);
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

    fn err_text(r: Result<Vec<usize>>) -> String {
        match r {
            Ok(s) => panic!("expected an error, got shape {s:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn constructor_rejects_zero_kernel_and_stride() {
        assert!(Conv2d::new(1, 8, 0, 1, 0).is_err());
        assert!(Conv2d::new(1, 8, 3, 0, 0).is_err());
        let c = Conv2d::new(2, 8, 3, 2, 1).unwrap();
        assert_eq!(
            (
                c.in_channels(),
                c.out_channels(),
                c.kernel(),
                c.stride(),
                c.padding()
            ),
            (2, 8, 3, 2, 1)
        );
        assert_eq!(c.params()[0].value.shape(), &[8, 2, 3, 3]);
        assert_eq!(c.params()[1].value.shape(), &[8]);
    }

    #[test]
    fn output_shape_follows_the_formula() {
        let c = Conv2d::new(1, 8, 3, 1, 0).unwrap();
        assert_eq!(c.output_shape(&[1, 14, 14]).unwrap(), vec![8, 12, 12]);
        let c = Conv2d::new(3, 4, 3, 2, 1).unwrap();
        assert_eq!(c.output_shape(&[3, 7, 10]).unwrap(), vec![4, 4, 5]);
        // Padding lets the kernel exceed the raw input.
        let c = Conv2d::new(1, 1, 5, 1, 2).unwrap();
        assert_eq!(c.output_shape(&[1, 1, 1]).unwrap(), vec![1, 1, 1]);
    }

    #[test]
    fn output_shape_rejects_wrong_rank() {
        let c = Conv2d::new(1, 8, 3, 1, 0).unwrap();
        let msg = err_text(c.output_shape(&[14, 14]));
        assert!(msg.contains("conv2d") && msg.contains("(14,14)"), "{msg}");
        assert!(msg.contains("(8,1,3,3)"), "{msg}");
    }

    #[test]
    fn output_shape_rejects_wrong_channel_count() {
        let c = Conv2d::new(2, 8, 3, 1, 0).unwrap();
        let msg = err_text(c.output_shape(&[1, 14, 14]));
        assert!(msg.contains("conv2d"), "{msg}");
        assert!(
            msg.contains("(1,14,14)") && msg.contains("(8,2,3,3)"),
            "{msg}"
        );
    }

    #[test]
    fn output_shape_rejects_kernel_larger_than_padded_input() {
        let c = Conv2d::new(1, 4, 5, 1, 0).unwrap();
        let msg = err_text(c.output_shape(&[1, 4, 9]));
        assert!(msg.contains("conv2d") && msg.contains("(1,4,9)"), "{msg}");
        assert!(msg.contains("(4,1,5,5)"), "{msg}");
        let c = Conv2d::new(1, 4, 5, 1, 1).unwrap();
        assert!(c.output_shape(&[1, 3, 3]).is_ok());
        assert!(c.output_shape(&[1, 2, 3]).is_err());
    }

    #[test]
    fn forward_rejects_bad_batches_and_backward_checks_dy() {
        let mut c = Conv2d::new(2, 3, 3, 1, 0).unwrap();
        let mut y = Tensor::default();
        let msg = c
            .forward(&Tensor::zeros(&[32, 1, 14, 14]), &mut y)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("conv2d") && msg.contains("(32,1,14,14)"),
            "{msg}"
        );
        assert!(msg.contains("(3,2,3,3)"), "{msg}");
        let msg = c
            .forward(&Tensor::zeros(&[2, 14, 14]), &mut y)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("conv2d") && msg.contains("(2,14,14)"), "{msg}");

        let x = Tensor::zeros(&[2, 2, 5, 5]);
        let mut dx = Tensor::default();
        assert!(
            c.backward(&x, &y, &Tensor::zeros(&[2, 3, 3, 3]), &mut dx, true)
                .is_err()
        );
        c.forward(&x, &mut y).unwrap();
        assert_eq!(y.shape(), &[2, 3, 3, 3]);
        let msg = c
            .backward(&x, &y, &Tensor::zeros(&[2, 3, 4, 3]), &mut dx, true)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("conv2d") && msg.contains("(2,3,4,3)"), "{msg}");
        c.backward(&x, &y, &Tensor::zeros(&[2, 3, 3, 3]), &mut dx, true)
            .unwrap();
        assert_eq!(dx.shape(), x.shape());
    }

    #[test]
    fn replaced_weight_of_wrong_shape_is_reported() {
        let mut c = Conv2d::new(2, 3, 3, 1, 0).unwrap();
        c.params_mut()[0].value = Tensor::zeros(&[3, 1, 3, 3]);
        let msg = c
            .forward(&Tensor::zeros(&[1, 2, 5, 5]), &mut Tensor::default())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("conv2d") && msg.contains("(3,1,3,3)"), "{msg}");
    }

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
        };
        // j*2 + v - 1 in [0, 5)
        assert_eq!(g.valid_range(0, 5, 3), (1, 3));
        assert_eq!(g.valid_range(1, 5, 3), (0, 3));
        assert_eq!(g.valid_range(2, 5, 3), (0, 2));
        // whole window inside: j*2 - 1 >= 0 and j*2 + 2 <= 5
        assert_eq!(interior_range(&g), (1, 2));
    }
}
