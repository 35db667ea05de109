//! `check_layer`: central finite differences against a layer's analytic backward.
//!
//! The scalar checked is `L = sum(y * r)` for a fixed random `r`, so `dL/dy = r` exercises
//! every output. Each input value and each parameter value `v` is nudged to `v +/- eps`;
//! `(L(v+eps) - L(v-eps)) / (2 eps)` (with `L` summed in f64) must match the analytic
//! gradient within `|analytic - numeric| <= tol * max(|analytic|, |numeric|, 1)`, i.e. a
//! relative error bound of `tol` for gradients of magnitude above 1 and an absolute one below.

use netviz::nn::init::rng_from_seed;
use netviz::nn::{Layer, Tensor};
use rand::Rng;

/// Random tensor with values uniform in `[-scale, scale)`, from `seed`.
pub fn random_tensor(shape: &[usize], scale: f32, seed: u64) -> Tensor {
    let mut rng = rng_from_seed(seed);
    let n: usize = shape.iter().product();
    let data = (0..n).map(|_| rng.random_range(-scale..scale)).collect();
    Tensor::from_vec(shape, data).expect("shape and data agree")
}

fn weighted_sum(layer: &mut dyn Layer, x: &Tensor, r: &Tensor) -> f64 {
    let mut y = Tensor::default();
    layer.forward(x, &mut y).expect("forward");
    y.data()
        .iter()
        .zip(r.data())
        .map(|(&a, &b)| f64::from(a) * f64::from(b))
        .sum()
}

fn assert_close(what: &str, index: usize, analytic: f32, numeric: f64, tol: f64) {
    let a = f64::from(analytic);
    let scale = a.abs().max(numeric.abs()).max(1.0);
    assert!(
        (a - numeric).abs() <= tol * scale,
        "{what}[{index}]: analytic {a:.6e}, numeric {numeric:.6e} (tol {tol} x {scale:.3})"
    );
}

/// Checks dL/dx and every parameter gradient of `layer` at input `x`.
/// Returns the number of values compared.
pub fn check_layer(layer: &mut dyn Layer, x: &Tensor, eps: f32, tol: f64) -> usize {
    let mut y = Tensor::default();
    layer.forward(x, &mut y).expect("forward");
    let r = random_tensor(y.shape(), 1.0, 99);
    let mut dx = Tensor::default();
    layer.zero_grad();
    layer.backward(x, &y, &r, &mut dx, true).expect("backward");
    assert_eq!(dx.shape(), x.shape(), "dx must have the input's shape");
    let param_grads: Vec<Tensor> = layer.params().iter().map(|p| p.grad.clone()).collect();
    let mut compared = 0;

    let mut xp = x.clone();
    for i in 0..x.len() {
        let v = x.data()[i];
        xp.data_mut()[i] = v + eps;
        let up = weighted_sum(layer, &xp, &r);
        xp.data_mut()[i] = v - eps;
        let down = weighted_sum(layer, &xp, &r);
        xp.data_mut()[i] = v;
        let numeric = (up - down) / (2.0 * f64::from(eps));
        assert_close(
            &format!("{:?} dx", layer.kind()),
            i,
            dx.data()[i],
            numeric,
            tol,
        );
        compared += 1;
    }

    for (pi, grad) in param_grads.iter().enumerate() {
        for i in 0..grad.len() {
            let v = layer.params()[pi].value.data()[i];
            layer.params_mut()[pi].value.data_mut()[i] = v + eps;
            let up = weighted_sum(layer, x, &r);
            layer.params_mut()[pi].value.data_mut()[i] = v - eps;
            let down = weighted_sum(layer, x, &r);
            layer.params_mut()[pi].value.data_mut()[i] = v;
            let numeric = (up - down) / (2.0 * f64::from(eps));
            let name = layer.params()[pi].name;
            assert_close(
                &format!("{:?} d{name}", layer.kind()),
                i,
                grad.data()[i],
                numeric,
                tol,
            );
            compared += 1;
        }
    }
    compared
}
