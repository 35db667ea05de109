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
//! - The batch is split into at most `rayon::current_num_threads()` chunks of whole images,
//!   each processed with single-threaded GEMMs on its own part of the scratch buffers; the
//!   per-chunk weight gradients are summed afterwards in chunk order, so results are bitwise
//!   reproducible for a given thread count. Batches with too little work to pay for waking a
//!   thread run as one chunk on the calling thread.
//! - Inside a chunk, images are processed in groups small enough that a group's im2col matrix
//!   and output stay in the core's cache from im2col through the GEMM to the copy into `y`
//!   (and from the GEMM to col2im backward). One GEMM covers a whole group.
//! - Two layouts of the im2col matrix, picked by C*K*K:
//!   - small C*K*K (first layers): `cols` (C*K*K, n*Ho*Wo) as above, rows `(c, u, v)`. The
//!     output of the GEMM is (O, n*Ho*Wo), moved into `y` with row copies; the weight
//!     gradient is computed in row blocks that fit the GEMM kernel for thin outputs.
//!   - large C*K*K: "channels-last patches", `cols` (n*Ho*Wo, K*K*C) with columns ordered
//!     `(u, v, c)` and the weight permuted to match (O, K*K*C). Each image is first
//!     transposed to (H*W, C), so a patch row is K copies of K*C contiguous values (and the
//!     inverse adds K runs of K*C values), and all three GEMMs read their operands in the
//!     order the GEMM kernel prefers. The output comes out as (n*Ho*Wo, O) and is transposed
//!     into `y`.
//! - `backward` skips `dcols` and col2im entirely when `need_dx` is false (first layer).
//! - Scratch buffers live in the layer and are only grown, so a steady-state training step
//!   allocates nothing here (the gemm crate itself may allocate small packing buffers).

use rayon::prelude::*;

use crate::nn::error::{NnError, Result, fmt_shape};
use crate::nn::gemm::{MatMut, MatRef, matmul};
use crate::nn::layers::{Layer, LayerKind, Param};
use crate::nn::tensor::Tensor;

/// From this many values per patch (C*K*K) on, the channels-last patch layout is always used.
const PATCH_LAYOUT_MIN_CKK: usize = 129;

/// The gemm crate has a fast kernel for outputs of at most this many values; in the im2col
/// layout the weight gradient is computed in row blocks that small.
const SMALL_GEMM_OUTPUT: usize = 256;

/// Working set (im2col matrix plus output) of one group of images processed together.
const GROUP_BYTES: usize = 512 * 1024;

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
    /// True for the channels-last patch layout (see [`Geom::prefers_patches`]).
    patches: bool,
}

impl Geom {
    /// C*K*K: values per patch (column of the im2col matrix).
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
    /// Whether the channels-last patch layout beats the plain im2col layout (measured): its
    /// copies move runs of K*C values where im2col moves runs of Wo, and for large C*K*K its
    /// GEMMs read their operands in the order the GEMM kernel prefers.
    fn prefers_patches(&self) -> bool {
        self.ckk() >= PATCH_LAYOUT_MIN_CKK || self.k * self.c >= 2 * self.wo
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
    /// Output columns `[lo, hi)` whose whole K-wide window lies inside the input width.
    fn interior_cols(&self) -> (usize, usize) {
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

/// What `forward` left for `backward`.
#[derive(Clone, Copy, Debug)]
struct Cached {
    geom: Geom,
    n: usize,
    /// Images per chunk (the last chunk may hold fewer).
    chunk: usize,
    /// Images per group inside a chunk.
    group: usize,
}

/// Reusable buffers. Cloning a layer gives it empty ones.
#[derive(Debug, Default)]
struct Scratch {
    /// im2col matrices of the latest forward, group after group.
    cols: Vec<f32>,
    /// The weight as the GEMMs read it: (O, K*K*C) in the patch layout (refreshed by every
    /// forward and backward), unused otherwise.
    wmat: Vec<f32>,
    /// Per chunk, one group: forward, the GEMM output before it is moved into `y`; backward,
    /// `dy` regrouped as (O, n*Ho*Wo).
    mat: Vec<f32>,
    /// Per chunk, one group: dL/dcols.
    dcols: Vec<f32>,
    /// Per chunk, one image in channels-last order (patch layout only).
    nhwc: Vec<f32>,
    /// Weight gradient of each chunk, (O, C*K*K) each, in the order of `wmat`.
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
        let mut g = Geom {
            c,
            h,
            w,
            o: self.out_channels,
            k,
            s,
            p,
            ho: (h + 2 * p - k) / s + 1,
            wo: (w + 2 * p - k) / s + 1,
            patches: false,
        };
        g.patches = g.prefers_patches();
        Ok(g)
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

/// Images per group: a group's im2col matrix and output stay in the core's cache between
/// the im2col, the GEMM and the copy into `y` (and between the GEMM and col2im backward).
fn images_per_group(g: &Geom, chunk: usize) -> usize {
    let bytes = 4 * (g.cols_len() + g.out_len()).max(1);
    (GROUP_BYTES / bytes).clamp(1, chunk.max(1))
}

/// Writes the weight [O, C, K, K] as (O, K*K*C), the column order of the patch layout.
fn permute_weight(g: &Geom, weight: &[f32], wmat: &mut [f32]) {
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
fn add_permuted(g: &Geom, part: &[f32], grad: &mut [f32]) {
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

// ---------------------------------------------------------------------------------------------
// Small vector helpers.

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

/// Sum of `v` over 16 interleaved partial sums (a single running sum is a chain of dependent
/// additions, several times slower than the vectorised form).
fn sum(v: &[f32]) -> f32 {
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
fn transpose(src: &[f32], rows: usize, cols: usize, dst: &mut [f32]) {
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

// ---------------------------------------------------------------------------------------------
// Plain im2col layout: cols (C*K*K, n*Ho*Wo).

/// im2col of `n` images `x` into `cols` (C*K*K, n*Ho*Wo): row `(c, u, v)`, column
/// `(image, i, j)` holds `xpad[image, c, i*S + u, j*S + v]`.
fn im2col(g: &Geom, x: &[f32], n: usize, cols: &mut [f32]) {
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
fn col2im(g: &Geom, dcols: &[f32], n: usize, dx: &mut [f32]) {
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

// ---------------------------------------------------------------------------------------------
// Channels-last patch layout: cols (n*Ho*Wo, K*K*C), columns ordered (u, v, c).

/// Patch rows of one image: `xt` is the image as (H*W, C); `cols` receives (Ho*Wo, K*K*C) with
/// row `(i, j)`, column `(u, v, c)` holding `xpad[c, i*S + u, j*S + v]`.
fn im2patch(g: &Geom, xt: &[f32], cols: &mut [f32]) {
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
fn patch2im(g: &Geom, dcols: &[f32], dxt: &mut [f32]) {
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

// ---------------------------------------------------------------------------------------------
// Per-group and per-chunk work, with single-threaded GEMMs.

/// What every group of a call shares.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    g: Geom,
    /// Images per group.
    group: usize,
    /// The weight as the GEMMs read it: [O, C, K, K] or, in the patch layout, (O, K*K*C).
    wmat: &'a [f32],
    bias: &'a [f32],
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
type DxBufs<'a> = (&'a mut [f32], &'a mut [f32], &'a mut [f32]);

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
fn forward_chunk(
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
fn backward_chunk(
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
        let group = images_per_group(&g, chunk);
        let chunks = n.div_ceil(chunk);
        let Conv2d {
            params, scratch, ..
        } = self;
        scratch.cached = None;
        set_len(&mut scratch.cols, n * g.cols_len());
        set_len(&mut scratch.mat, chunks * group * g.out_len());
        set_len(&mut scratch.nhwc, chunks * g.in_len());
        let weight = params[0].value.data();
        if g.patches {
            set_len(&mut scratch.wmat, weight.len());
            permute_weight(&g, weight, &mut scratch.wmat);
        }
        let Scratch {
            cols,
            wmat,
            mat,
            nhwc,
            ..
        } = scratch;
        let cx = Ctx {
            g,
            group,
            wmat: if g.patches { wmat } else { weight },
            bias: params[1].value.data(),
        };
        if n > 0 {
            if chunks == 1 {
                forward_chunk(&cx, x.data(), cols, mat, nhwc, y.data_mut());
            } else {
                x.data()
                    .par_chunks(chunk * g.in_len())
                    .zip(cols.par_chunks_mut(chunk * g.cols_len()))
                    .zip(mat.par_chunks_mut(group * g.out_len()))
                    .zip(nhwc.par_chunks_mut(g.in_len()))
                    .zip(y.data_mut().par_chunks_mut(chunk * g.out_len()))
                    .for_each(|((((xc, cc), mc), tc), yc)| {
                        forward_chunk(&cx, xc, cc, mc, tc, yc);
                    });
            }
        }
        scratch.cached = Some(Cached {
            geom: g,
            n,
            chunk,
            group,
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
        if need_dx {
            dx.resize(x.shape());
        }
        if n == 0 {
            return Ok(());
        }
        let (chunk, group) = (cached.chunk, cached.group);
        let chunks = n.div_ceil(chunk);
        let (o, ckk) = (g.o, g.ckk());
        let Conv2d {
            params, scratch, ..
        } = self;
        set_len(&mut scratch.mat, chunks * group * g.out_len());
        set_len(&mut scratch.dw, chunks * o * ckk);
        set_len(&mut scratch.db, chunks * o);
        if need_dx {
            set_len(&mut scratch.dcols, chunks * group * g.cols_len());
            set_len(&mut scratch.nhwc, chunks * g.in_len());
        }
        let [pw, pb] = params;
        if g.patches {
            set_len(&mut scratch.wmat, pw.value.len());
            permute_weight(&g, pw.value.data(), &mut scratch.wmat);
        }
        let Scratch {
            cols,
            wmat,
            mat,
            dcols,
            nhwc,
            dw,
            db,
            ..
        } = scratch;
        let cx = Ctx {
            g,
            group,
            wmat: if g.patches { wmat } else { pw.value.data() },
            bias: pb.value.data(),
        };
        if chunks == 1 {
            let dxs = need_dx.then(|| (&mut dcols[..], &mut nhwc[..], dx.data_mut()));
            backward_chunk(&cx, cols, dy.data(), mat, dw, db, dxs);
        } else {
            let parts = cols
                .par_chunks(chunk * g.cols_len())
                .zip(dy.data().par_chunks(chunk * g.out_len()))
                .zip(mat.par_chunks_mut(group * g.out_len()))
                .zip(dw.par_chunks_mut(o * ckk))
                .zip(db.par_chunks_mut(o));
            if need_dx {
                parts
                    .zip(dcols.par_chunks_mut(group * g.cols_len()))
                    .zip(nhwc.par_chunks_mut(g.in_len()))
                    .zip(dx.data_mut().par_chunks_mut(chunk * g.in_len()))
                    .for_each(|(((((((cc, dyc), mc), dwc), dbc), dcc), tc), dxc)| {
                        backward_chunk(&cx, cc, dyc, mc, dwc, dbc, Some((dcc, tc, dxc)));
                    });
            } else {
                parts.for_each(|((((cc, dyc), mc), dwc), dbc)| {
                    backward_chunk(&cx, cc, dyc, mc, dwc, dbc, None);
                });
            }
        }
        // Sum the chunks' gradients in chunk order (deterministic for a given thread count).
        for part in dw.chunks_exact(o * ckk) {
            if g.patches {
                add_permuted(&g, part, pw.grad.data_mut());
            } else {
                add_run(pw.grad.data_mut(), part);
            }
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
            patches: false,
        };
        // j*2 + v - 1 in [0, 5)
        assert_eq!(g.valid_range(0, 5, 3), (1, 3));
        assert_eq!(g.valid_range(1, 5, 3), (0, 3));
        assert_eq!(g.valid_range(2, 5, 3), (0, 2));
        // whole window inside: j*2 - 1 >= 0 and j*2 + 2 <= 5
        assert_eq!(g.interior_cols(), (1, 2));
    }

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
