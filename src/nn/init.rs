//! Weight initialisers and the one random-number generator type of the training core.
//!
//! Every random choice (initial weights, shuffles, synthetic data) flows from an explicit
//! `u64` seed through [`rng_from_seed`], so the same seed and thread count reproduce the same
//! weights bit for bit.
//!
//! Fans follow PyTorch: for a weight of shape `[out, in, k...]`, `fan_in = in * prod(k)` and
//! `fan_out = out * prod(k)`.
//! - Xavier/Glorot uniform: `U(-a, a)`, `a = sqrt(6 / (fan_in + fan_out))`.
//! - Xavier/Glorot normal: `N(0, 2 / (fan_in + fan_out))`.
//! - He (Kaiming) normal: `N(0, 2 / fan_in)`; He uniform: `U(-a, a)`, `a = sqrt(6 / fan_in)`.
//! - Standard normal: `N(0, 1)`, as the original XOR program drew its weights.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// The generator used everywhere in `nn`: portable and reproducible across platforms.
pub type NnRng = ChaCha8Rng;

/// A generator seeded with `seed`.
pub fn rng_from_seed(seed: u64) -> NnRng {
    use rand::SeedableRng;
    ChaCha8Rng::seed_from_u64(seed)
}

/// How to draw a weight tensor's initial values. Biases always start at zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Init {
    /// Glorot & Bengio 2010, uniform variant.
    #[default]
    XavierUniform,
    /// Glorot & Bengio 2010, normal variant.
    XavierNormal,
    /// He et al. 2015, normal variant (for ReLU networks).
    HeNormal,
    /// He et al. 2015, uniform variant.
    HeUniform,
    /// N(0, 1), as the original XOR network.
    StandardNormal,
}

/// `(fan_in, fan_out)` of a weight with PyTorch's layout `[out, in, k...]` (or `[out, in]`).
pub fn fans(shape: &[usize]) -> (usize, usize) {
    match shape {
        [] => (1, 1),
        [n] => (*n, *n),
        [out, inp, rest @ ..] => {
            let receptive: usize = rest.iter().product();
            (inp * receptive, out * receptive)
        }
    }
}

impl Init {
    /// Fills `values` (a weight of shape `shape`) from `rng`.
    pub fn fill(self, values: &mut [f32], shape: &[usize], rng: &mut NnRng) {
        let (fan_in, fan_out) = fans(shape);
        let (fan_in, fan_out) = (fan_in.max(1) as f32, fan_out.max(1) as f32);
        match self {
            Init::XavierUniform => uniform(values, (6.0 / (fan_in + fan_out)).sqrt(), rng),
            Init::HeUniform => uniform(values, (6.0 / fan_in).sqrt(), rng),
            Init::XavierNormal => normal(values, (2.0 / (fan_in + fan_out)).sqrt(), rng),
            Init::HeNormal => normal(values, (2.0 / fan_in).sqrt(), rng),
            Init::StandardNormal => normal(values, 1.0, rng),
        }
    }
}

fn uniform(values: &mut [f32], bound: f32, rng: &mut NnRng) {
    for v in values {
        *v = rng.random_range(-bound..bound);
    }
}

fn normal(values: &mut [f32], std: f32, rng: &mut NnRng) {
    for v in values {
        let z: f32 = StandardNormal.sample(rng);
        *v = z * std;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(v: &[f32]) -> (f32, f32) {
        let n = v.len() as f32;
        let mean = v.iter().sum::<f32>() / n;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / n;
        (mean, var)
    }

    #[test]
    fn fans_follow_pytorch() {
        assert_eq!(fans(&[8, 2, 3, 3]), (18, 72));
        assert_eq!(fans(&[10, 128]), (128, 10));
    }

    #[test]
    fn variances_match_their_formulas() {
        let shape = [64, 32, 3, 3];
        let n: usize = shape.iter().product();
        let (fi, fo) = (32.0f32 * 9.0, 64.0f32 * 9.0);
        let cases = [
            (Init::XavierUniform, 2.0 / (fi + fo)),
            (Init::XavierNormal, 2.0 / (fi + fo)),
            (Init::HeNormal, 2.0 / fi),
            (Init::HeUniform, 2.0 / fi),
            (Init::StandardNormal, 1.0),
        ];
        for (init, want_var) in cases {
            let mut v = vec![0.0; n];
            init.fill(&mut v, &shape, &mut rng_from_seed(7));
            let (mean, var) = moments(&v);
            assert!(mean.abs() < 0.05 * want_var.sqrt(), "{init:?} mean {mean}");
            assert!(
                (var / want_var - 1.0).abs() < 0.05,
                "{init:?} variance {var}, want {want_var}"
            );
        }
    }

    #[test]
    fn same_seed_same_values() {
        let mut a = vec![0.0; 100];
        let mut b = vec![0.0; 100];
        Init::XavierNormal.fill(&mut a, &[10, 10], &mut rng_from_seed(3));
        Init::XavierNormal.fill(&mut b, &[10, 10], &mut rng_from_seed(3));
        assert_eq!(a, b);
    }
}
