//! Gradient and reference checks of `Conv2d` and `MaxPool2d`.
//!
//! Finite differences go through `common::gradcheck::check_layer` (central differences,
//! `L = sum(y * r)` summed in f64). Both layers are piecewise linear in every input and
//! parameter, so the central difference is exact up to f32 rounding of the forward pass:
//! with values in [-1, 1] and eps = 1e-2 that rounding is below 1e-3 of the gradient. The
//! bound used is a relative error of 5e-3 (absolute below magnitude 1), see [`TOL`].

mod common;

use common::gradcheck::{check_layer, random_tensor};
use netviz::nn::init::rng_from_seed;
use netviz::nn::layers::{Conv2d, MaxPool2d};
use netviz::nn::{Layer, Tensor};
use rand::seq::SliceRandom;

/// Finite-difference step.
const EPS: f32 = 1e-2;
/// `|analytic - numeric| <= TOL * max(|analytic|, |numeric|, 1)`.
const TOL: f64 = 5e-3;

/// A conv layer with random weights and bias (uniform in [-0.5, 0.5)).
fn conv(c: usize, o: usize, k: usize, s: usize, p: usize, seed: u64) -> Conv2d {
    let mut layer = Conv2d::new(c, o, k, s, p).expect("valid conv");
    let w = random_tensor(&[o, c, k, k], 0.5, seed);
    let b = random_tensor(&[o], 0.5, seed + 1);
    layer.params_mut()[0].value = w;
    layer.params_mut()[1].value = b;
    layer
}

/// Checks every input, weight and bias gradient; returns how many values were compared.
fn gradcheck_conv(n: usize, c: usize, o: usize, hw: (usize, usize), k: usize, s: usize, p: usize) {
    let mut layer = conv(c, o, k, s, p, 11);
    let x = random_tensor(&[n, c, hw.0, hw.1], 1.0, 5);
    let compared = check_layer(&mut layer, &x, EPS, TOL);
    let want = x.len() + o * c * k * k + o;
    assert_eq!(compared, want);
}

#[test]
fn conv_gradients_stride_1_padding_0() {
    gradcheck_conv(2, 1, 2, (6, 6), 3, 1, 0);
}

#[test]
fn conv_gradients_stride_2_padding_1() {
    gradcheck_conv(2, 1, 2, (7, 7), 3, 2, 1);
    // Even size: the last window reads the bottom/right padding.
    gradcheck_conv(1, 2, 2, (6, 6), 3, 2, 1);
}

#[test]
fn conv_gradients_multiple_in_and_out_channels() {
    gradcheck_conv(2, 2, 3, (5, 5), 3, 1, 0);
    gradcheck_conv(2, 3, 4, (5, 6), 2, 1, 1);
}

#[test]
fn conv_gradients_non_square_input() {
    gradcheck_conv(2, 2, 3, (5, 8), 3, 1, 1);
    gradcheck_conv(1, 1, 2, (9, 4), 3, 2, 0);
}

#[test]
fn conv_gradients_with_many_input_channels() {
    // C*K*K >= 129 takes the transposed (im2row) layout: K = 3 and a generic K.
    gradcheck_conv(2, 15, 3, (5, 4), 3, 1, 1);
    gradcheck_conv(1, 9, 2, (6, 5), 4, 2, 1);
}

/// Direct convolution, accumulated in f64.
fn naive_conv(layer: &Conv2d, x: &Tensor) -> Tensor {
    let (w, b) = (
        layer.params()[0].value.data(),
        layer.params()[1].value.data(),
    );
    let &[n, c, h, wd] = x.shape() else {
        panic!("rank 4")
    };
    let (o, k, s, p) = (
        layer.out_channels(),
        layer.kernel(),
        layer.stride(),
        layer.padding(),
    );
    let ho = (h + 2 * p - k) / s + 1;
    let wo = (wd + 2 * p - k) / s + 1;
    let mut y = Tensor::zeros(&[n, o, ho, wo]);
    for img in 0..n {
        for oc in 0..o {
            for i in 0..ho {
                for j in 0..wo {
                    let mut acc = f64::from(b[oc]);
                    for ci in 0..c {
                        for u in 0..k {
                            for v in 0..k {
                                let ih = (i * s + u) as isize - p as isize;
                                let iw = (j * s + v) as isize - p as isize;
                                if ih < 0 || iw < 0 || ih >= h as isize || iw >= wd as isize {
                                    continue;
                                }
                                let xv =
                                    x.data()[((img * c + ci) * h + ih as usize) * wd + iw as usize];
                                let wv = w[((oc * c + ci) * k + u) * k + v];
                                acc += f64::from(xv) * f64::from(wv);
                            }
                        }
                    }
                    y.data_mut()[((img * o + oc) * ho + i) * wo + j] = acc as f32;
                }
            }
        }
    }
    y
}

fn assert_all_close(a: &Tensor, b: &Tensor, tol: f32, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}: shapes");
    for (i, (x, y)) in a.data().iter().zip(b.data()).enumerate() {
        assert!(
            (x - y).abs() <= tol * x.abs().max(y.abs()).max(1.0),
            "{what}[{i}]: {x} vs {y}"
        );
    }
}

#[test]
fn conv_matches_direct_convolution_stride_2_padding_1() {
    // Small C*K*K (im2col layout) and large (im2row layout), odd and even sizes.
    for (n, c, o, h, w, seed) in [
        (3, 3, 4, 9, 11, 1),
        (2, 16, 5, 8, 7, 2),
        (2, 1, 8, 14, 14, 3),
    ] {
        let mut layer = conv(c, o, 3, 2, 1, seed);
        let x = random_tensor(&[n, c, h, w], 1.0, seed + 10);
        let mut y = Tensor::default();
        layer.forward(&x, &mut y).expect("forward");
        assert_all_close(&y, &naive_conv(&layer, &x), 1e-5, "conv vs direct");
    }
}

#[test]
fn conv_matches_direct_convolution_other_kernels() {
    for (c, o, k, s, p) in [
        (2, 3, 1, 1, 0),
        (3, 2, 5, 1, 2),
        (12, 3, 4, 3, 2),
        (2, 2, 2, 2, 0),
    ] {
        let mut layer = conv(c, o, k, s, p, 7);
        let x = random_tensor(&[2, c, 10, 9], 1.0, 8);
        let mut y = Tensor::default();
        layer.forward(&x, &mut y).expect("forward");
        assert_all_close(&y, &naive_conv(&layer, &x), 1e-5, "conv vs direct");
    }
}

/// Forward and backward of `layer` on `x`, with `dy = r`: returns (y, dx, dweight, dbias).
fn run_conv(layer: &mut Conv2d, x: &Tensor) -> [Tensor; 4] {
    let mut y = Tensor::default();
    layer.forward(x, &mut y).expect("forward");
    let r = random_tensor(y.shape(), 1.0, 42);
    let mut dx = Tensor::default();
    layer.zero_grad();
    layer.backward(x, &y, &r, &mut dx, true).expect("backward");
    let (dw, db) = (
        layer.params()[0].grad.clone(),
        layer.params()[1].grad.clone(),
    );
    [y, dx, dw, db]
}

fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
        .install(f)
}

#[test]
fn conv_is_deterministic_per_thread_count_and_close_across_counts() {
    // Large enough to be split across two threads (unevenly for 15 images) and into several
    // image groups per thread, in both layouts.
    for (n, c, o, hw, seed) in [(15, 4, 32, 30, 1), (8, 16, 32, 20, 2)] {
        let x = random_tensor(&[n, c, hw, hw], 1.0, seed);
        let base = conv(c, o, 3, 1, 0, seed + 5);
        let one = with_threads(1, || run_conv(&mut base.clone(), &x));
        let two_a = with_threads(2, || run_conv(&mut base.clone(), &x));
        let two_b = with_threads(2, || {
            let mut layer = base.clone();
            run_conv(&mut layer, &x);
            run_conv(&mut layer, &x)
        });
        for i in 0..4 {
            assert_eq!(two_a[i], two_b[i], "2 threads, output {i} not reproducible");
            assert_all_close(&one[i], &two_a[i], 1e-4, "1 vs 2 threads");
        }
    }
}

#[test]
fn conv_backward_accumulates_and_can_skip_dx() {
    let mut layer = conv(3, 4, 3, 1, 1, 3);
    let x = random_tensor(&[4, 3, 6, 6], 1.0, 4);
    let [y, dx, dw, db] = run_conv(&mut layer, &x);
    let r = random_tensor(y.shape(), 1.0, 42);
    // A second backward without dx adds the same gradients again and leaves dx alone.
    let mut untouched = Tensor::from_vec(&[1], vec![7.0]).expect("tensor");
    layer
        .backward(&x, &y, &r, &mut untouched, false)
        .expect("backward");
    assert_eq!(untouched.data(), &[7.0]);
    let twice =
        |t: &Tensor| Tensor::from_vec(t.shape(), t.data().iter().map(|v| 2.0 * v).collect());
    assert_all_close(&layer.params()[0].grad, &twice(&dw).expect("w"), 1e-6, "dW");
    assert_all_close(&layer.params()[1].grad, &twice(&db).expect("b"), 1e-6, "db");
    assert_eq!(dx.shape(), x.shape());
}

/// An input whose values are a shuffled arithmetic sequence with step 0.05 (> 4 * EPS), so
/// no two values of a window are within a nudge of each other and argmaxes never flip.
fn distinct_input(shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let mut values: Vec<f32> = (0..n).map(|i| i as f32 * 0.05 - n as f32 * 0.025).collect();
    values.shuffle(&mut rng_from_seed(seed));
    Tensor::from_vec(shape, values).expect("shape and data agree")
}

#[test]
fn maxpool_gradients_non_overlapping() {
    let mut pool = MaxPool2d::new(2, 2).expect("pool");
    // Odd sizes: the last row and column are dropped (floor mode).
    for shape in [[2, 3, 6, 6], [1, 2, 5, 7]] {
        let x = distinct_input(&shape, 3);
        assert_eq!(check_layer(&mut pool, &x, EPS, TOL), x.len());
    }
}

#[test]
fn maxpool_gradients_overlapping() {
    let mut pool = MaxPool2d::new(3, 2).expect("pool");
    for shape in [[2, 2, 7, 7], [1, 3, 6, 9]] {
        let x = distinct_input(&shape, 4);
        assert_eq!(check_layer(&mut pool, &x, EPS, TOL), x.len());
    }
    let mut pool = MaxPool2d::new(2, 1).expect("pool");
    let x = distinct_input(&[2, 2, 5, 4], 5);
    check_layer(&mut pool, &x, EPS, TOL);
}

#[test]
fn maxpool_matches_direct_max_and_threads_agree() {
    let x = random_tensor(&[32, 32, 26, 26], 1.0, 9);
    for (k, s) in [(2, 2), (3, 2)] {
        let run = |threads| {
            with_threads(threads, || {
                let mut pool = MaxPool2d::new(k, s).expect("pool");
                let mut y = Tensor::default();
                pool.forward(&x, &mut y).expect("forward");
                let dy = random_tensor(y.shape(), 1.0, 1);
                let mut dx = Tensor::default();
                pool.backward(&x, &y, &dy, &mut dx, true).expect("backward");
                (y, dx)
            })
        };
        let (y1, dx1) = run(1);
        let (y2, dx2) = run(2);
        assert_eq!(y1, y2);
        assert_eq!(dx1, dx2);
        let ho = (26 - k) / s + 1;
        assert_eq!(y1.shape(), &[32, 32, ho, ho]);
        for plane in 0..32 * 32 {
            let xp = &x.data()[plane * 26 * 26..][..26 * 26];
            for i in 0..ho {
                for j in 0..ho {
                    let mut want = f32::NEG_INFINITY;
                    for u in 0..k {
                        for v in 0..k {
                            want = want.max(xp[(i * s + u) * 26 + j * s + v]);
                        }
                    }
                    assert_eq!(y1.data()[(plane * ho + i) * ho + j], want);
                }
            }
        }
    }
}
