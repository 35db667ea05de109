//! `XorNet`: the original program's two-layer network, `2 -> h -> 1`, written out by hand for
//! speed (millions of full-batch epochs per second) and for the XOR lab, which reads every
//! `z` and `a` of every neuron.
//!
//! Math (legend: N points, h hidden neurons; weights in PyTorch's `[out, in]` layout):
//! - `z1 = x W1^T + b1` (N, h), `a1 = f(z1)` with `f` the hidden activation;
//! - `z2 = a1 W2^T + b2` (N, 1), `y_hat = sigmoid(z2)`;
//! - `J = 1/N sum 1/2 (y_hat - y)^2` (MSE as the original);
//! - `dz2 = (y_hat - y) / N * y_hat (1 - y_hat)`, `dW2 = dz2^T a1`, `db2 = sum dz2`;
//! - `dz1 = (dz2 W2) * f'(z1)`, `dW1 = dz1^T x`, `db1 = sum dz1`;
//! - full-batch gradient descent: `p -= lr * dp`.
//!
//! It computes exactly what [`crate::nn::Sequential`] computes for
//! `[Dense(2,h), act, Dense(h,1), Sigmoid]` with MSE and SGD (a test checks this).

use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::nn::error::{NnError, Result};
use crate::nn::init::rng_from_seed;

/// The hidden layer's activation (the output is always a sigmoid).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `1 / (1 + e^-z)`, as the original.
    #[default]
    Sigmoid,
    /// `tanh(z)`.
    Tanh,
    /// `max(0, z)`.
    Relu,
}

impl Activation {
    /// `f(z)`.
    #[inline]
    pub fn apply(self, z: f32) -> f32 {
        match self {
            Activation::Sigmoid => sigmoid(z),
            Activation::Tanh => z.tanh(),
            Activation::Relu => z.max(0.0),
        }
    }

    /// `f'(z)` given `a = f(z)` (and `z` for ReLU).
    #[inline]
    pub fn derivative(self, z: f32, a: f32) -> f32 {
        match self {
            Activation::Sigmoid => a * (1.0 - a),
            Activation::Tanh => 1.0 - a * a,
            Activation::Relu => {
                if z > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }

    /// Lower-case name ("sigmoid", "tanh", "relu").
    pub fn name(self) -> &'static str {
        match self {
            Activation::Sigmoid => "sigmoid",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
        }
    }
}

/// Numerically stable logistic function.
#[inline]
pub fn sigmoid(z: f32) -> f32 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// The four XOR points and their labels, in the original's order.
pub const XOR_INPUTS: [[f32; 2]; 4] = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]];
/// XOR labels for [`XOR_INPUTS`].
pub const XOR_TARGETS: [f32; 4] = [0.0, 1.0, 1.0, 0.0];

/// Norms of the gradients of the latest epoch, per layer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GradNorms {
    /// L2 norm of (dW1, db1).
    pub hidden: f32,
    /// L2 norm of (dW2, db2).
    pub output: f32,
}

/// A `2 -> h -> 1` network trained by full-batch gradient descent on MSE.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct XorNet {
    activation: Activation,
    /// `[h, 2]`, row-major.
    pub w1: Vec<f32>,
    /// `[h]`.
    pub b1: Vec<f32>,
    /// `[1, h]`.
    pub w2: Vec<f32>,
    /// The output bias.
    pub b2: f32,
    // Gradients and per-point scratch, sized once.
    dw1: Vec<f32>,
    db1: Vec<f32>,
    dw2: Vec<f32>,
    z1: Vec<f32>,
    a1: Vec<f32>,
    grad_norms: GradNorms,
}

impl XorNet {
    /// A network with `hidden` neurons, weights drawn from N(0, 1) (as the original) with
    /// `seed`, biases zero.
    pub fn new(hidden: usize, activation: Activation, seed: u64) -> Result<Self> {
        if hidden == 0 {
            return Err(NnError::Config(
                "xor network needs at least one hidden neuron".into(),
            ));
        }
        let mut rng = rng_from_seed(seed);
        let mut draw = |n: usize| -> Vec<f32> {
            (0..n)
                .map(|_| {
                    let z: f32 = StandardNormal.sample(&mut rng);
                    z
                })
                .collect()
        };
        let w1 = draw(hidden * 2);
        let w2 = draw(hidden);
        Ok(XorNet {
            activation,
            w1,
            b1: vec![0.0; hidden],
            w2,
            b2: 0.0,
            dw1: vec![0.0; hidden * 2],
            db1: vec![0.0; hidden],
            dw2: vec![0.0; hidden],
            z1: vec![0.0; hidden],
            a1: vec![0.0; hidden],
            grad_norms: GradNorms::default(),
        })
    }

    /// Names of the parameters in order: `w1[j,i]`, `b1[j]`, `w2[0,j]`, `b2`.
    pub fn param_names(&self) -> Vec<String> {
        let hidden = self.hidden();
        let mut names = Vec::with_capacity(4 * hidden + 1);
        for j in 0..hidden {
            for i in 0..2 {
                names.push(format!("w1[{j},{i}]"));
            }
        }
        names.extend((0..hidden).map(|j| format!("b1[{j}]")));
        names.extend((0..hidden).map(|j| format!("w2[0,{j}]")));
        names.push("b2".to_string());
        names
    }

    /// Parameter `index` (order of [`param_names`](Self::param_names)).
    pub fn param(&self, index: usize) -> f32 {
        let h = self.hidden();
        match index {
            i if i < 2 * h => self.w1[i],
            i if i < 3 * h => self.b1[i - 2 * h],
            i if i < 4 * h => self.w2[i - 3 * h],
            _ => self.b2,
        }
    }

    /// Sets parameter `index` (order of [`param_names`](Self::param_names)).
    pub fn set_param(&mut self, index: usize, value: f32) {
        let h = self.hidden();
        match index {
            i if i < 2 * h => self.w1[i] = value,
            i if i < 3 * h => self.b1[i - 2 * h] = value,
            i if i < 4 * h => self.w2[i - 3 * h] = value,
            _ => self.b2 = value,
        }
    }

    /// Number of hidden neurons.
    pub fn hidden(&self) -> usize {
        self.b1.len()
    }

    /// The hidden activation.
    pub fn activation(&self) -> Activation {
        self.activation
    }

    /// Gradient norms of the latest [`XorNet::train_epoch`].
    pub fn grad_norms(&self) -> GradNorms {
        self.grad_norms
    }

    /// Hidden pre-activations `z1` and activations `a1` for one input, written into the
    /// slices (each of length `hidden`).
    #[inline]
    pub fn hidden_into(&self, x: [f32; 2], z1: &mut [f32], a1: &mut [f32]) {
        let act = self.activation;
        for j in 0..self.b1.len() {
            let z = self.w1[2 * j] * x[0] + self.w1[2 * j + 1] * x[1] + self.b1[j];
            z1[j] = z;
            a1[j] = act.apply(z);
        }
    }

    /// The output pre-activation `z2` for hidden activations `a1`.
    #[inline]
    pub fn output_z(&self, a1: &[f32]) -> f32 {
        let mut z = self.b2;
        for (w, a) in self.w2.iter().zip(a1) {
            z += w * a;
        }
        z
    }

    /// The output probability for one input.
    pub fn predict(&self, x: [f32; 2]) -> f32 {
        let h = self.hidden();
        let mut z1 = vec![0.0; h];
        let mut a1 = vec![0.0; h];
        self.hidden_into(x, &mut z1, &mut a1);
        sigmoid(self.output_z(&a1))
    }

    /// Mean MSE loss over the points, without training.
    pub fn loss(&self, xs: &[[f32; 2]], ys: &[f32]) -> f32 {
        let n = xs.len().max(1) as f32;
        let sum: f32 = xs
            .iter()
            .zip(ys)
            .map(|(&x, &y)| {
                let d = self.predict(x) - y;
                0.5 * d * d
            })
            .sum();
        sum / n
    }

    /// One full-batch gradient-descent epoch on `(xs, ys)` with learning rate `lr`.
    /// Returns the mean loss *before* the update (as the original printed it).
    pub fn train_epoch(&mut self, xs: &[[f32; 2]], ys: &[f32], lr: f32) -> f32 {
        let h = self.hidden();
        let n = xs.len().max(1) as f32;
        let act = self.activation;
        self.dw1.fill(0.0);
        self.db1.fill(0.0);
        self.dw2.fill(0.0);
        let mut db2 = 0.0f32;
        let mut loss = 0.0f32;
        for (&x, &y) in xs.iter().zip(ys) {
            let mut z2 = self.b2;
            for j in 0..h {
                let z = self.w1[2 * j] * x[0] + self.w1[2 * j + 1] * x[1] + self.b1[j];
                let a = act.apply(z);
                self.z1[j] = z;
                self.a1[j] = a;
                z2 += self.w2[j] * a;
            }
            let y_hat = sigmoid(z2);
            let d = y_hat - y;
            loss += 0.5 * d * d;
            let dz2 = d / n * y_hat * (1.0 - y_hat);
            db2 += dz2;
            for j in 0..h {
                self.dw2[j] += dz2 * self.a1[j];
                let dz1 = dz2 * self.w2[j] * act.derivative(self.z1[j], self.a1[j]);
                self.db1[j] += dz1;
                self.dw1[2 * j] += dz1 * x[0];
                self.dw1[2 * j + 1] += dz1 * x[1];
            }
        }
        let sq = |v: &[f32]| v.iter().map(|g| g * g).sum::<f32>();
        self.grad_norms = GradNorms {
            hidden: (sq(&self.dw1) + sq(&self.db1)).sqrt(),
            output: (sq(&self.dw2) + db2 * db2).sqrt(),
        };
        for (w, g) in self.w1.iter_mut().zip(&self.dw1) {
            *w -= lr * g;
        }
        for (b, g) in self.b1.iter_mut().zip(&self.db1) {
            *b -= lr * g;
        }
        for (w, g) in self.w2.iter_mut().zip(&self.dw2) {
            *w -= lr * g;
        }
        self.b2 -= lr * db2;
        loss / n
    }

    /// True when every weight and bias is finite.
    pub fn is_finite(&self) -> bool {
        self.w1
            .iter()
            .chain(&self.b1)
            .chain(&self.w2)
            .all(|v| v.is_finite())
            && self.b2.is_finite()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_round_trip_by_index() {
        let mut net = XorNet::new(2, Activation::Tanh, 1).unwrap();
        let names = net.param_names();
        assert_eq!(names.len(), 9);
        assert_eq!(names[0], "w1[0,0]");
        assert_eq!(names[8], "b2");
        for i in 0..9 {
            net.set_param(i, i as f32);
        }
        assert_eq!(net.w1, vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!(net.b1, vec![4.0, 5.0]);
        assert_eq!(net.w2, vec![6.0, 7.0]);
        assert_eq!((net.b2, net.param(8)), (8.0, 8.0));
    }

    #[test]
    fn solves_xor_from_a_fixed_seed_with_the_original_settings() {
        let mut net = XorNet::new(3, Activation::Sigmoid, 1).unwrap();
        let first = net.train_epoch(&XOR_INPUTS, &XOR_TARGETS, 0.1);
        let mut last = first;
        for _ in 0..50_000 {
            last = net.train_epoch(&XOR_INPUTS, &XOR_TARGETS, 0.1);
        }
        assert!(last < first / 10.0, "loss {first} -> {last}");
        for (x, y) in XOR_INPUTS.iter().zip(XOR_TARGETS) {
            let p = net.predict(*x);
            assert_eq!(p > 0.5, y > 0.5, "input {x:?}: output {p}");
        }
    }

    #[test]
    fn sigmoid_is_stable() {
        assert_eq!(sigmoid(1000.0), 1.0);
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert!((sigmoid(0.0) - 0.5).abs() < 1e-7);
    }

    #[test]
    fn zero_hidden_is_rejected() {
        assert!(XorNet::new(0, Activation::Sigmoid, 0).is_err());
    }
}
