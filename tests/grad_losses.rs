//! Finite-difference checks of the losses in `nn::loss`, and of the fused softmax +
//! cross-entropy path of `Sequential` against the unfused chain.
//!
//! Each returned gradient `a` is compared with the central difference `n` of the returned
//! (f32) loss value and must satisfy `|a - n| <= REL * max(|a|, |n|) + ABS` with `REL` = 1e-3
//! and `ABS` = 1e-4: a relative error bound of 1e-3, loosened by an absolute 1e-4 for tiny
//! gradients, where the f32 rounding of the loss value (about 1e-7 / (2 eps)) dominates.

mod common;

use common::gradcheck::random_tensor;
use netviz::nn::layers::{Dense, Layer, Sigmoid, Softmax, Tanh};
use netviz::nn::loss::{self, Loss};
use netviz::nn::{Sequential, Tensor};

const REL: f64 = 1e-3;
const ABS: f64 = 1e-4;

fn assert_close(what: &str, i: usize, analytic: f32, numeric: f64) {
    let a = f64::from(analytic);
    let bound = REL * a.abs().max(numeric.abs()) + ABS;
    assert!(
        (a - numeric).abs() <= bound,
        "{what}[{i}]: analytic {a:.6e}, numeric {numeric:.6e} (bound {bound:.2e})"
    );
}

/// Checks `grad` (the gradient `loss_fn` wrote for `pred`) against central differences of
/// the value `loss_fn` returns. Returns the number of values compared.
fn check_loss(
    what: &str,
    pred: &Tensor,
    eps: f32,
    mut loss_fn: impl FnMut(&Tensor, &mut Tensor) -> f32,
) -> usize {
    let mut grad = Tensor::default();
    loss_fn(pred, &mut grad);
    assert_eq!(grad.shape(), pred.shape(), "{what}: gradient shape");
    let mut scratch = Tensor::default();
    let mut p = pred.clone();
    for i in 0..pred.len() {
        let v = pred.data()[i];
        p.data_mut()[i] = v + eps;
        let up = f64::from(loss_fn(&p, &mut scratch));
        p.data_mut()[i] = v - eps;
        let down = f64::from(loss_fn(&p, &mut scratch));
        p.data_mut()[i] = v;
        assert_close(
            what,
            i,
            grad.data()[i],
            (up - down) / (2.0 * f64::from(eps)),
        );
    }
    pred.len()
}

/// One-hot targets: row `n` has its 1 at column `(3n + 1) % f`.
fn one_hot(n: usize, f: usize) -> Tensor {
    let mut t = Tensor::zeros(&[n, f]);
    for r in 0..n {
        t.data_mut()[r * f + (3 * r + 1) % f] = 1.0;
    }
    t
}

#[test]
fn mse_gradient() {
    let pred = random_tensor(&[3, 4], 1.0, 1);
    let target = random_tensor(&[3, 4], 1.0, 2);
    let n = check_loss("mse", &pred, 1e-2, |p, g| {
        loss::mse(p, &target, g).expect("mse")
    });
    assert_eq!(n, 12);
}

#[test]
fn cross_entropy_gradient_on_probabilities() {
    // Probabilities in [0.2, 1.0): away from 0 (and from the clamp at PROB_FLOOR).
    let mut probs = random_tensor(&[4, 5], 0.4, 3);
    for v in probs.data_mut() {
        *v += 0.6;
    }
    // One-hot rows and one soft row.
    let mut target = one_hot(4, 5);
    target.data_mut()[15..20].copy_from_slice(&[0.1, 0.2, 0.3, 0.4, 0.0]);
    let n = check_loss("cross_entropy", &probs, 1e-3, |p, g| {
        loss::cross_entropy(p, &target, g).expect("cross_entropy")
    });
    assert_eq!(n, 20);
}

#[test]
fn softmax_cross_entropy_gradient_wrt_logits() {
    let logits = random_tensor(&[4, 6], 3.0, 4);
    let mut target = one_hot(4, 6);
    target.data_mut()[0..6].copy_from_slice(&[0.5, 0.0, 0.25, 0.25, 0.0, 0.0]);
    let mut probs = Tensor::default();
    let n = check_loss("softmax_cross_entropy", &logits, 1e-2, |z, g| {
        loss::softmax_cross_entropy(z, &target, &mut probs, g).expect("softmax_cross_entropy")
    });
    assert_eq!(n, 24);
    // The probabilities it writes are the softmax of the logits.
    let mut y = Tensor::default();
    Softmax::new().forward(&logits, &mut y).unwrap();
    let mut g = Tensor::default();
    loss::softmax_cross_entropy(&logits, &target, &mut probs, &mut g).unwrap();
    for (a, b) in probs.data().iter().zip(y.data()) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
}

/// A dense layer with non-zero random weights and biases.
fn random_dense(fin: usize, fout: usize, seed: u64) -> Box<dyn Layer> {
    let mut d = Dense::new(fin, fout).expect("valid sizes");
    d.params_mut()[0]
        .value
        .copy_from(&random_tensor(&[fout, fin], 0.5, seed));
    d.params_mut()[1]
        .value
        .copy_from(&random_tensor(&[fout], 0.5, seed + 1));
    Box::new(d)
}

#[test]
fn fused_softmax_cross_entropy_matches_the_unfused_chain() {
    let (n, fin, fout) = (5, 6, 4);
    let x = random_tensor(&[n, fin], 1.0, 10);
    let target = one_hot(n, fout);
    let mut model = Sequential::new(
        &[fin],
        vec![random_dense(fin, fout, 11), Box::new(Softmax::new())],
    )
    .expect("model builds");
    let fused_loss = model
        .loss_and_grads(&x, &target, Loss::CrossEntropy)
        .expect("loss_and_grads");
    let fused: Vec<Tensor> = model.params().map(|(_, p)| p.grad.clone()).collect();

    // Unfused: dense -> softmax -> cross-entropy on probabilities, then softmax's own
    // Jacobian-vector backward and dense's backward.
    let mut dense = model.layers()[0].box_clone();
    let mut softmax = Softmax::new();
    let (mut z, mut p, mut dp) = (Tensor::default(), Tensor::default(), Tensor::default());
    let (mut dz, mut dx) = (Tensor::default(), Tensor::default());
    dense.forward(&x, &mut z).unwrap();
    softmax.forward(&z, &mut p).unwrap();
    let unfused_loss = loss::cross_entropy(&p, &target, &mut dp).unwrap();
    softmax.backward(&z, &p, &dp, &mut dz, true).unwrap();
    dense.zero_grad();
    dense.backward(&x, &z, &dz, &mut dx, false).unwrap();

    assert!(
        (fused_loss - unfused_loss).abs() <= 1e-5 * fused_loss.abs().max(1.0),
        "loss: fused {fused_loss}, unfused {unfused_loss}"
    );
    assert_eq!(fused.len(), 2);
    for (f, u) in fused.iter().zip(dense.params()) {
        assert_eq!(f.shape(), u.grad.shape());
        assert!(
            f.data().iter().any(|&v| v != 0.0),
            "{} gradient is all zero",
            u.name
        );
        for (i, (&a, &b)) in f.data().iter().zip(u.grad.data()).enumerate() {
            assert!(
                (a - b).abs() <= 1e-4 * a.abs().max(b.abs()) + 1e-6,
                "d{}[{i}]: fused {a}, unfused {b}",
                u.name
            );
        }
    }
}

#[test]
fn sequential_parameter_gradients_match_finite_differences_of_the_loss() {
    // dense -> tanh -> dense -> softmax trained with the fused cross-entropy: every
    // parameter gradient from loss_and_grads against central differences of its loss.
    let (n, fin, hidden, fout) = (3, 4, 5, 3);
    let x = random_tensor(&[n, fin], 1.0, 20);
    let target = one_hot(n, fout);
    let layers: Vec<Box<dyn Layer>> = vec![
        random_dense(fin, hidden, 21),
        Box::new(Tanh::new()),
        random_dense(hidden, fout, 23),
        Box::new(Softmax::new()),
    ];
    let mut model = Sequential::new(&[fin], layers).expect("model builds");
    model
        .loss_and_grads(&x, &target, Loss::CrossEntropy)
        .expect("loss_and_grads");
    let grads: Vec<(usize, usize, Tensor)> = {
        let mut out = Vec::new();
        for (li, layer) in model.layers().iter().enumerate() {
            for (pi, p) in layer.params().iter().enumerate() {
                out.push((li, pi, p.grad.clone()));
            }
        }
        out
    };
    assert_eq!(grads.len(), 4);
    let eps = 1e-2f32;
    for (li, pi, grad) in &grads {
        for i in 0..grad.len() {
            let v = model.layers()[*li].params()[*pi].value.data()[i];
            let mut loss_at = |value: f32| {
                model.layers_mut()[*li].params_mut()[*pi].value.data_mut()[i] = value;
                f64::from(
                    model
                        .loss_and_grads(&x, &target, Loss::CrossEntropy)
                        .unwrap(),
                )
            };
            let numeric = (loss_at(v + eps) - loss_at(v - eps)) / (2.0 * f64::from(eps));
            loss_at(v);
            assert_close(
                &format!("layer {li} param {pi}"),
                i,
                grad.data()[i],
                numeric,
            );
        }
    }
}

#[test]
fn mse_through_sequential_matches_finite_differences() {
    // dense -> sigmoid with MSE, as the XOR network trains.
    let x = random_tensor(&[4, 2], 1.0, 30);
    let target = random_tensor(&[4, 1], 0.5, 31);
    let mut model = Sequential::new(&[2], vec![random_dense(2, 1, 32), Box::new(Sigmoid::new())])
        .expect("model builds");
    model.loss_and_grads(&x, &target, Loss::Mse).unwrap();
    let grads: Vec<Tensor> = model.layers()[0]
        .params()
        .iter()
        .map(|p| p.grad.clone())
        .collect();
    let eps = 1e-2f32;
    for (pi, grad) in grads.iter().enumerate() {
        for i in 0..grad.len() {
            let v = model.layers()[0].params()[pi].value.data()[i];
            let mut loss_at = |value: f32| {
                model.layers_mut()[0].params_mut()[pi].value.data_mut()[i] = value;
                f64::from(model.loss_and_grads(&x, &target, Loss::Mse).unwrap())
            };
            let numeric = (loss_at(v + eps) - loss_at(v - eps)) / (2.0 * f64::from(eps));
            loss_at(v);
            assert_close(&format!("param {pi}"), i, grad.data()[i], numeric);
        }
    }
}
