//! `MaxPool2d`: 2-D max pooling with a square window, a stride and no padding, in PyTorch's
//! floor mode (a partial window at the right or bottom edge is dropped).
//!
//! Legend: N batch, C channels, H x W input size, K window (kernel) size, S stride,
//! Ho x Wo output size. There is no padding (P = 0).
//!
//! Shapes: input `x` (N, C, H, W), output `y` (N, C, Ho, Wo) with `Ho = (H - K) / S + 1` and
//! `Wo = (W - K) / S + 1` (floor division; requires K <= H and K <= W).
//!
//! Forward: `y[n, c, i, j] = max_{0 <= u, v < K} x[n, c, i*S + u, j*S + v]`. The position of
//! the maximum is cached for every output: the first one in row-major window order when
//! several values tie; a NaN counts as the maximum (the last NaN of the window), as PyTorch.
//!
//! Backward: the gradient of a max is 1 at its argmax and 0 elsewhere, so
//! `dx[n, c, h, w] = sum of dy[n, c, i, j] over the windows (i, j) whose argmax is (h, w)`.
//! Windows overlap when S < K, so one input value can receive several contributions.
//!
//! Large batches are split by (image, channel) planes across `rayon::current_num_threads()`
//! chunks; the work per plane does not depend on the split, so results are identical for any
//! thread count.

use rayon::prelude::*;

use crate::nn::error::{NnError, Result, fmt_shape};
use crate::nn::layers::{Layer, LayerKind};
use crate::nn::tensor::Tensor;

/// Minimum input values per chunk before the planes are split across threads.
const MIN_VALUES_PER_CHUNK: usize = 1 << 18;

/// Geometry of one pooling on one input size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Geom {
    h: usize,
    w: usize,
    k: usize,
    s: usize,
    ho: usize,
    wo: usize,
}

/// What `forward` left for `backward`.
#[derive(Clone, Copy, Debug)]
struct Cached {
    shape: [usize; 4],
    geom: Geom,
    /// Planes per chunk.
    chunk: usize,
}

/// A max-pooling layer: input (N, C, H, W) to output (N, C, Ho, Wo); see the module docs.
#[derive(Debug)]
pub struct MaxPool2d {
    kernel: usize,
    stride: usize,
    /// For every output value, the offset `h * W + w` of its argmax inside its input plane.
    argmax: Vec<u32>,
    cached: Option<Cached>,
}

impl Clone for MaxPool2d {
    /// A copy with the same window and an empty cache.
    fn clone(&self) -> Self {
        MaxPool2d {
            kernel: self.kernel,
            stride: self.stride,
            argmax: Vec::new(),
            cached: None,
        }
    }
}

impl MaxPool2d {
    /// Max pooling over `kernel` x `kernel` windows (K) taken every `stride` values (S).
    /// Fails if either is 0.
    pub fn new(kernel: usize, stride: usize) -> Result<Self> {
        if kernel == 0 || stride == 0 {
            return Err(NnError::Config(format!(
                "maxpool2d needs kernel and stride of at least 1, got kernel {kernel}, stride \
                 {stride}"
            )));
        }
        Ok(MaxPool2d {
            kernel,
            stride,
            argmax: Vec::new(),
            cached: None,
        })
    }

    /// Window size (K): the window is K x K.
    pub fn kernel(&self) -> usize {
        self.kernel
    }

    /// Stride (S), the same along both axes.
    pub fn stride(&self) -> usize {
        self.stride
    }

    /// Geometry for one sample of shape (C, H, W); `shown` is the shape quoted in errors.
    fn geom(&self, sample: &[usize], shown: &[usize]) -> Result<Geom> {
        let (k, s) = (self.kernel, self.stride);
        let &[_, h, w] = sample else {
            return Err(NnError::shape(
                "maxpool2d",
                format!(
                    "input {} must be (C,H,W) per sample, (N,C,H,W) per batch; kernel {k}, \
                     stride {s}",
                    fmt_shape(shown)
                ),
            ));
        };
        if h < k || w < k {
            return Err(NnError::shape(
                "maxpool2d",
                format!(
                    "kernel {k}x{k} larger than input {} (stride {s})",
                    fmt_shape(shown)
                ),
            ));
        }
        Ok(Geom {
            h,
            w,
            k,
            s,
            ho: (h - k) / s + 1,
            wo: (w - k) / s + 1,
        })
    }

    /// Checks a batch `x`: returns its shape and geometry.
    fn batch_geom(&self, x: &Tensor) -> Result<([usize; 4], Geom)> {
        let &[n, c, h, w] = x.shape() else {
            return Err(NnError::shape(
                "maxpool2d",
                format!(
                    "input {} must be (N,C,H,W); kernel {}, stride {}",
                    x.shape_str(),
                    self.kernel,
                    self.stride
                ),
            ));
        };
        let g = self.geom(&x.shape()[1..], x.shape())?;
        Ok(([n, c, h, w], g))
    }
}

/// True when `v` replaces `best` as the running maximum: a larger value, or a NaN (which then
/// propagates, as in PyTorch). Ties keep the earlier value.
#[inline(always)]
fn takes_over(v: f32, best: f32) -> bool {
    (v > best) | v.is_nan()
}

/// All ones when `t`, else zero: a mask for branch-free selects (argmaxes are data dependent,
/// so branches would mispredict about half the time).
#[inline(always)]
fn mask(t: bool) -> u32 {
    0u32.wrapping_sub(u32::from(t))
}

/// `if m is all ones { a } else { b }` for a mask from [`mask`].
#[inline(always)]
fn select_f32(m: u32, a: f32, b: f32) -> f32 {
    f32::from_bits((a.to_bits() & m) | (b.to_bits() & !m))
}

/// Pools whole planes: `x` holds planes of H*W values, `y` and `arg` planes of Ho*Wo.
fn forward_planes(g: &Geom, x: &[f32], y: &mut [f32], arg: &mut [u32]) {
    let (plane, oplane) = (g.h * g.w, g.ho * g.wo);
    let planes = x
        .chunks_exact(plane)
        .zip(y.chunks_exact_mut(oplane).zip(arg.chunks_exact_mut(oplane)));
    if g.k == 2 && g.s == 2 {
        // Branch-free so that the loop over a row vectorises.
        let w = g.w as u32;
        for (xp, (yp, ap)) in planes {
            let rows = yp.chunks_exact_mut(g.wo).zip(ap.chunks_exact_mut(g.wo));
            for (i, (yr, ar)) in rows.enumerate() {
                let top = 2 * i * g.w;
                let r0 = &xp[top..top + 2 * g.wo];
                let r1 = &xp[top + g.w..top + g.w + 2 * g.wo];
                let windows = r0.chunks_exact(2).zip(r1.chunks_exact(2));
                for (j, ((yv, av), (a, b))) in
                    yr.iter_mut().zip(ar.iter_mut()).zip(windows).enumerate()
                {
                    let c0 = (top + 2 * j) as u32;
                    let (mut best, mut at) = (a[0], c0);
                    for (v, pos) in [(a[1], c0 + 1), (b[0], c0 + w), (b[1], c0 + w + 1)] {
                        let m = mask(takes_over(v, best));
                        best = select_f32(m, v, best);
                        at = (pos & m) | (at & !m);
                    }
                    *yv = best;
                    *av = at;
                }
            }
        }
        return;
    }
    for (xp, (yp, ap)) in planes {
        for i in 0..g.ho {
            for j in 0..g.wo {
                let first = i * g.s * g.w + j * g.s;
                let (mut best, mut at) = (xp[first], first);
                for u in 0..g.k {
                    let row = first + u * g.w;
                    for (v, &val) in xp[row..row + g.k].iter().enumerate() {
                        if takes_over(val, best) {
                            best = val;
                            at = row + v;
                        }
                    }
                }
                yp[i * g.wo + j] = best;
                ap[i * g.wo + j] = at as u32;
            }
        }
    }
}

/// Routes `dy` to the argmax of every window: `dx` (whole planes) is overwritten.
fn backward_planes(g: &Geom, dy: &[f32], arg: &[u32], dx: &mut [f32]) {
    let (plane, oplane) = (g.h * g.w, g.ho * g.wo);
    let planes = dx
        .chunks_exact_mut(plane)
        .zip(dy.chunks_exact(oplane).zip(arg.chunks_exact(oplane)));
    for (dxp, (dyp, ap)) in planes {
        dxp.fill(0.0);
        for (&d, &a) in dyp.iter().zip(ap) {
            dxp[a as usize] += d;
        }
    }
}

impl Layer for MaxPool2d {
    fn kind(&self) -> LayerKind {
        LayerKind::MaxPool2d
    }

    fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let g = self.geom(input, input)?;
        Ok(vec![input[0], g.ho, g.wo])
    }

    fn forward(&mut self, x: &Tensor, y: &mut Tensor) -> Result<()> {
        let ([n, c, h, w], g) = self.batch_geom(x)?;
        if u32::try_from(h * w).is_err() {
            return Err(NnError::shape(
                "maxpool2d",
                format!("input {} has planes over 2^32 values", x.shape_str()),
            ));
        }
        let planes = n * c;
        let oplane = g.ho * g.wo;
        y.resize(&[n, c, g.ho, g.wo]);
        self.argmax.resize(planes * oplane, 0);
        let by_work = (x.len() / MIN_VALUES_PER_CHUNK).max(1);
        let chunks = rayon::current_num_threads().min(by_work).min(planes).max(1);
        let chunk = planes.div_ceil(chunks).max(1);
        if chunk >= planes {
            forward_planes(&g, x.data(), y.data_mut(), &mut self.argmax);
        } else {
            x.data()
                .par_chunks(chunk * h * w)
                .zip(y.data_mut().par_chunks_mut(chunk * oplane))
                .zip(self.argmax.par_chunks_mut(chunk * oplane))
                .for_each(|((xc, yc), ac)| forward_planes(&g, xc, yc, ac));
        }
        self.cached = Some(Cached {
            shape: [n, c, h, w],
            geom: g,
            chunk,
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
        let Some(cached) = self.cached.filter(|c| c.shape == x.shape()) else {
            return Err(NnError::shape(
                "maxpool2d",
                format!(
                    "backward for input {} without a forward on that shape",
                    x.shape_str()
                ),
            ));
        };
        let [n, c, h, w] = cached.shape;
        let g = cached.geom;
        let out = [n, c, g.ho, g.wo];
        if dy.shape() != out {
            return Err(NnError::shape(
                "maxpool2d",
                format!(
                    "dy {} does not match the output {} of input {}",
                    dy.shape_str(),
                    fmt_shape(&out),
                    x.shape_str()
                ),
            ));
        }
        if !need_dx {
            return Ok(());
        }
        dx.resize(x.shape());
        let (chunk, oplane) = (cached.chunk, g.ho * g.wo);
        if chunk >= n * c {
            backward_planes(&g, dy.data(), &self.argmax, dx.data_mut());
        } else {
            dy.data()
                .par_chunks(chunk * oplane)
                .zip(self.argmax.par_chunks(chunk * oplane))
                .zip(dx.data_mut().par_chunks_mut(chunk * h * w))
                .for_each(|((dyc, ac), dxc)| backward_planes(&g, dyc, ac, dxc));
        }
        Ok(())
    }

    fn box_clone(&self) -> Box<dyn Layer> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructor_and_accessors() {
        assert!(MaxPool2d::new(0, 1).is_err());
        assert!(MaxPool2d::new(2, 0).is_err());
        let p = MaxPool2d::new(3, 2).unwrap();
        assert_eq!((p.kernel(), p.stride()), (3, 2));
    }

    #[test]
    fn output_shape_uses_floor_mode() {
        let p = MaxPool2d::new(2, 2).unwrap();
        assert_eq!(p.output_shape(&[8, 12, 12]).unwrap(), vec![8, 6, 6]);
        assert_eq!(p.output_shape(&[8, 11, 13]).unwrap(), vec![8, 5, 6]);
        let p = MaxPool2d::new(3, 2).unwrap();
        assert_eq!(p.output_shape(&[1, 7, 8]).unwrap(), vec![1, 3, 3]);
    }

    #[test]
    fn output_shape_rejects_kernel_larger_than_input() {
        let p = MaxPool2d::new(3, 1).unwrap();
        let msg = p.output_shape(&[4, 2, 5]).unwrap_err().to_string();
        assert!(
            msg.contains("maxpool2d") && msg.contains("(4,2,5)"),
            "{msg}"
        );
        assert!(msg.contains("3x3"), "{msg}");
    }

    #[test]
    fn output_shape_rejects_wrong_rank() {
        let p = MaxPool2d::new(2, 2).unwrap();
        let msg = p.output_shape(&[12, 12]).unwrap_err().to_string();
        assert!(
            msg.contains("maxpool2d") && msg.contains("(12,12)"),
            "{msg}"
        );
        let msg = MaxPool2d::new(2, 2)
            .unwrap()
            .forward(&Tensor::zeros(&[8, 12, 12]), &mut Tensor::default())
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("maxpool2d") && msg.contains("(8,12,12)"),
            "{msg}"
        );
    }

    #[test]
    fn forward_takes_first_max_and_backward_routes_to_it() {
        // One 3x4 plane, 2x2 windows with stride 1 (overlapping): ties resolve to the first.
        let x = Tensor::from_vec(
            &[1, 1, 3, 4],
            vec![
                1.0, 5.0, 5.0, 0.0, //
                2.0, 3.0, 4.0, 6.0, //
                7.0, 0.0, 4.0, 1.0,
            ],
        )
        .unwrap();
        let mut p = MaxPool2d::new(2, 1).unwrap();
        let mut y = Tensor::default();
        p.forward(&x, &mut y).unwrap();
        assert_eq!(y.shape(), &[1, 1, 2, 3]);
        assert_eq!(y.data(), &[5.0, 5.0, 6.0, 7.0, 4.0, 6.0]);
        let dy = Tensor::from_vec(&[1, 1, 2, 3], vec![1.0, 10.0, 100.0, 1e3, 1e4, 1e5]).unwrap();
        let mut dx = Tensor::default();
        p.backward(&x, &y, &dy, &mut dx, true).unwrap();
        assert_eq!(
            dx.data(),
            &[
                0.0,
                11.0,
                0.0,
                0.0, //
                0.0,
                0.0,
                1e4,
                100.0 + 1e5, //
                1e3,
                0.0,
                0.0,
                0.0,
            ]
        );
    }

    /// Direct max pooling: (values, argmax offsets) per plane, first maximum on ties.
    fn reference(g: &Geom, x: &[f32]) -> (Vec<f32>, Vec<u32>) {
        let (mut y, mut arg) = (Vec::new(), Vec::new());
        for xp in x.chunks_exact(g.h * g.w) {
            for i in 0..g.ho {
                for j in 0..g.wo {
                    let first = i * g.s * g.w + j * g.s;
                    let mut best = (xp[first], first);
                    for u in 0..g.k {
                        for v in 0..g.k {
                            let idx = first + u * g.w + v;
                            if xp[idx] > best.0 {
                                best = (xp[idx], idx);
                            }
                        }
                    }
                    y.push(best.0);
                    arg.push(best.1 as u32);
                }
            }
        }
        (y, arg)
    }

    #[test]
    fn two_by_two_path_and_generic_path_match_the_reference() {
        let (n, c, h, w) = (2, 3, 7, 9);
        // Few distinct values: many ties, which must resolve to the first maximum.
        let x: Vec<f32> = (0..n * c * h * w)
            .map(|i| ((i * 37) % 11) as f32 - 5.0)
            .collect();
        for (k, s) in [(2, 2), (3, 2), (2, 1), (3, 3)] {
            let g = MaxPool2d::new(k, s)
                .unwrap()
                .geom(&[c, h, w], &[c, h, w])
                .unwrap();
            let len = n * c * g.ho * g.wo;
            let (mut y, mut arg) = (vec![0.0; len], vec![0; len]);
            forward_planes(&g, &x, &mut y, &mut arg);
            let (want_y, want_arg) = reference(&g, &x);
            assert_eq!(y, want_y, "kernel {k}, stride {s}");
            assert_eq!(arg, want_arg, "kernel {k}, stride {s}");
        }
    }

    #[test]
    fn nan_propagates_like_pytorch() {
        let x = Tensor::from_vec(
            &[1, 1, 2, 4],
            vec![1.0, f32::NAN, 3.0, 2.0, 0.0, 5.0, 1.0, 9.0],
        )
        .unwrap();
        for (k, s) in [(2, 2), (2, 1)] {
            let mut p = MaxPool2d::new(k, s).unwrap();
            let mut y = Tensor::default();
            p.forward(&x, &mut y).unwrap();
            assert!(
                y.data()[0].is_nan(),
                "kernel {k} stride {s}: {:?}",
                y.data()
            );
            assert_eq!(*y.data().last().unwrap(), 9.0);
        }
    }

    #[test]
    fn backward_checks_shapes() {
        let mut p = MaxPool2d::new(2, 2).unwrap();
        let x = Tensor::zeros(&[1, 2, 4, 4]);
        let (mut y, mut dx) = (Tensor::default(), Tensor::default());
        assert!(
            p.backward(&x, &y, &Tensor::zeros(&[1, 2, 2, 2]), &mut dx, true)
                .is_err()
        );
        p.forward(&x, &mut y).unwrap();
        let msg = p
            .backward(&x, &y, &Tensor::zeros(&[1, 2, 3, 2]), &mut dx, true)
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("maxpool2d") && msg.contains("(1,2,3,2)"),
            "{msg}"
        );
    }
}
