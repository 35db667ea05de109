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
//! Implementation notes (each choice was measured; the figures are in ARCHITECTURE.md,
//! "Performance"):
//! - The batch is split into at most `rayon::current_num_threads()` chunks of whole images,
//!   each processed with single-threaded GEMMs on its own part of the scratch buffers; the
//!   per-chunk weight gradients are summed afterwards in chunk order, so results are bitwise
//!   reproducible for a given thread count. On two cores this keeps the GEMMs near 200
//!   GFLOP/s, where letting the GEMM library split each product gave 120-150. Batches with
//!   too little work to pay for waking a thread run as one chunk on the calling thread.
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
//!
//! Files: this one holds the layer (parameters, shape checks, scratch buffers) and splits a
//! batch across threads; `groups.rs` runs one thread's chunk group by group through the
//! GEMMs; `im2col.rs` and `patches.rs` are the two layouts; `kernels.rs` the short copies,
//! sums and transposes; `geom.rs` the sizes and the padding arithmetic.

mod geom;
mod groups;
mod im2col;
mod kernels;
mod patches;

use rayon::prelude::*;

use crate::nn::error::{NnError, Result, fmt_shape};
use crate::nn::layers::{Layer, LayerKind, Param};
use crate::nn::tensor::Tensor;
use geom::Geom;
use groups::{Ctx, backward_chunk, forward_chunk, images_per_chunk, images_per_group};
use kernels::add_run;
use patches::{add_permuted, permute_weight};

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
    /// model builder initialises them). Fails if a size, the kernel or the stride is 0, or if
    /// the weight would exceed [`MAX_TENSOR_LEN`](crate::nn::tensor::MAX_TENSOR_LEN) values.
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
        let weight = Tensor::try_zeros(
            "conv2d",
            "weight",
            &[out_channels, in_channels, kernel, kernel],
        )?;
        let bias = Tensor::try_zeros("conv2d", "bias", &[out_channels])?;
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
        let pad = p.saturating_mul(2);
        let (ph, pw) = (h.saturating_add(pad), w.saturating_add(pad));
        if ph < k || pw < k {
            let padded = if p > 0 {
                format!(" (padded by {p} to {ph}x{pw})")
            } else {
                String::new()
            };
            return Err(NnError::shape(
                "conv2d",
                format!(
                    "kernel {k}x{k} larger than input {}{padded}; weight {wshape}",
                    fmt_shape(shown)
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
            ho: (ph - k) / s + 1,
            wo: (pw - k) / s + 1,
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
}
