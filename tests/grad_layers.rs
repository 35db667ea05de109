//! Finite-difference checks of every simple layer's backward: dense, flatten, relu, sigmoid,
//! tanh and softmax (through its general Jacobian-vector backward).
//!
//! `check_layer` compares each analytic gradient `a` with the central difference `n` of
//! `L = sum(y * r)` and requires `|a - n| <= TOL * max(|a|, |n|, 1)`: a relative error of at most
//! `TOL` = 1e-3 for gradients above 1 in magnitude, an absolute error of at most 1e-3 below.
//! With `EPS` = 1e-2 the truncation error of the central difference (`EPS^2 / 6 * f'''`) is
//! about 2e-5 for sigmoid, tanh and softmax and zero for the piecewise-linear layers, and the
//! f32 rounding of the outputs contributes about 1e-5: both well inside the bound.

mod common;

use common::gradcheck::{check_layer, random_tensor};
use netviz::nn::Tensor;
use netviz::nn::layers::{Dense, Flatten, Layer, Relu, Sigmoid, Softmax, Tanh};

const EPS: f32 = 1e-2;
const TOL: f64 = 1e-3;

/// A dense layer with non-zero random weights and biases.
fn random_dense(fin: usize, fout: usize, seed: u64) -> Dense {
    let mut d = Dense::new(fin, fout).expect("valid sizes");
    let w = random_tensor(&[fout, fin], 0.5, seed);
    let b = random_tensor(&[fout], 0.5, seed + 1);
    d.params_mut()[0].value.copy_from(&w);
    d.params_mut()[1].value.copy_from(&b);
    d
}

#[test]
fn dense_input_weight_and_bias() {
    let mut d = random_dense(5, 3, 1);
    let x = random_tensor(&[4, 5], 1.0, 2);
    let compared = check_layer(&mut d, &x, EPS, TOL);
    assert_eq!(compared, 4 * 5 + 3 * 5 + 3);
}

#[test]
fn dense_single_sample_and_single_output() {
    let mut d = random_dense(7, 1, 3);
    let x = random_tensor(&[1, 7], 2.0, 4);
    assert_eq!(check_layer(&mut d, &x, EPS, TOL), 7 + 7 + 1);
}

#[test]
fn dense_backward_accumulates_parameter_gradients() {
    let mut d = random_dense(4, 3, 5);
    let x = random_tensor(&[2, 4], 1.0, 6);
    let dy = random_tensor(&[2, 3], 1.0, 7);
    let (mut y, mut dx) = (Tensor::default(), Tensor::default());
    d.forward(&x, &mut y).unwrap();
    d.backward(&x, &y, &dy, &mut dx, true).unwrap();
    let once: Vec<Tensor> = d.params().iter().map(|p| p.grad.clone()).collect();
    d.backward(&x, &y, &dy, &mut dx, false).unwrap();
    for (p, g1) in d.params().iter().zip(&once) {
        for (&twice, &one) in p.grad.data().iter().zip(g1.data()) {
            assert!((twice - 2.0 * one).abs() <= 1e-6 * one.abs().max(1.0));
        }
    }
}

#[test]
fn flatten_4d_input() {
    let mut f = Flatten::new();
    let x = random_tensor(&[2, 3, 2, 2], 1.0, 8);
    assert_eq!(check_layer(&mut f, &x, EPS, TOL), 24);
}

#[test]
fn relu_away_from_the_kink() {
    let mut r = Relu::new();
    // Push every value at least 0.1 > EPS away from 0, so no nudge crosses the kink.
    let mut x = random_tensor(&[3, 2, 4], 1.0, 9);
    for v in x.data_mut() {
        *v += 0.1f32.copysign(*v);
    }
    assert!(
        x.data()
            .iter()
            .all(|v| v.abs() > 0.1 - 1e-6 && v.abs() > EPS)
    );
    assert!(x.data().iter().any(|&v| v < 0.0) && x.data().iter().any(|&v| v > 0.0));
    assert_eq!(check_layer(&mut r, &x, EPS, TOL), 24);
}

#[test]
fn sigmoid() {
    let mut s = Sigmoid::new();
    let x = random_tensor(&[4, 6], 4.0, 10);
    assert_eq!(check_layer(&mut s, &x, EPS, TOL), 24);
}

#[test]
fn tanh() {
    let mut t = Tanh::new();
    let x = random_tensor(&[2, 3, 3], 3.0, 11);
    assert_eq!(check_layer(&mut t, &x, EPS, TOL), 18);
}

#[test]
fn softmax_general_backward() {
    let mut s = Softmax::new();
    let x = random_tensor(&[3, 5], 2.0, 12);
    assert_eq!(check_layer(&mut s, &x, EPS, TOL), 15);
}

#[test]
fn softmax_with_large_logits() {
    // Row max subtraction: logits near 80 would overflow exp in f32 without it.
    let mut s = Softmax::new();
    let mut x = random_tensor(&[2, 4], 1.0, 13);
    for v in x.data_mut() {
        *v += 80.0;
    }
    assert_eq!(check_layer(&mut s, &x, EPS, TOL), 8);
}

#[test]
fn dense_then_tanh_composes() {
    // dense -> tanh checked as one composite: dense must turn the dx of tanh into its own dx.
    let mut d = random_dense(3, 4, 14);
    let mut t = Tanh::new();
    let x = random_tensor(&[2, 3], 1.0, 15);
    let r = random_tensor(&[2, 4], 1.0, 16);
    let (mut z, mut y) = (Tensor::default(), Tensor::default());
    let (mut dz, mut dx) = (Tensor::default(), Tensor::default());
    d.forward(&x, &mut z).unwrap();
    t.forward(&z, &mut y).unwrap();
    t.backward(&z, &y, &r, &mut dz, true).unwrap();
    d.backward(&x, &z, &dz, &mut dx, true).unwrap();
    let loss = |d: &mut Dense, x: &Tensor| -> f64 {
        let (mut z, mut y) = (Tensor::default(), Tensor::default());
        d.forward(x, &mut z).unwrap();
        Tanh::new().forward(&z, &mut y).unwrap();
        y.data()
            .iter()
            .zip(r.data())
            .map(|(&a, &b)| f64::from(a) * f64::from(b))
            .sum()
    };
    let mut xp = x.clone();
    for i in 0..x.len() {
        let v = x.data()[i];
        xp.data_mut()[i] = v + EPS;
        let up = loss(&mut d, &xp);
        xp.data_mut()[i] = v - EPS;
        let down = loss(&mut d, &xp);
        xp.data_mut()[i] = v;
        let numeric = (up - down) / (2.0 * f64::from(EPS));
        let a = f64::from(dx.data()[i]);
        assert!(
            (a - numeric).abs() <= TOL * a.abs().max(numeric.abs()).max(1.0),
            "dx[{i}]: {a} vs {numeric}"
        );
    }
}
