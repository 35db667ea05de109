//! `PlaneNet`: a fully connected network `2 -> h1 -> ... -> hk -> 1` for two-class data in the
//! plane (1 to [`PLANE_LAYERS`] hidden layers), written out by hand like
//! [`XorNet`](crate::nn::xor::XorNet) so a UI can read every number training uses: each
//! neuron's `z`, `a` and `δ`, each parameter's gradient and the optimizer's terms of its next
//! update.
//!
//! Math (legend: layers `l = 1..=L`, `a0 = x`, weights in PyTorch's `[out, in]` layout, a batch
//! of `n` points; `f` the hidden activation, `σ` the sigmoid):
//! - `z_l = W_l a_{l-1} + b_l`, `a_l = f(z_l)` for the hidden layers, `ŷ = a_L = σ(z_L)`;
//! - MSE (as `XorNet`): `J = 1/n Σ ½(ŷ − y)²`; output `δ_L = (ŷ − y)/n · ŷ(1 − ŷ)`;
//! - BCE: `J = −1/n Σ [y ln ŷ + (1 − y) ln(1 − ŷ)]`, computed from `z` as
//!   `softplus(z) − y z`; output `δ_L = (ŷ − y)/n` (the sigmoid's derivative cancels);
//! - hidden `δ_l[j] = (Σ_k δ_{l+1}[k] W_{l+1}[k, j]) · f'(z_l[j])`;
//! - `∂J/∂W_l[j, i] = Σ_points δ_l[j] a_{l-1}[i]`, `∂J/∂b_l[j] = Σ_points δ_l[j]`.
//!
//! Optimizers (`g` the batch gradient, one update per batch):
//! - GD: `p ← p − lr g`;
//! - momentum (PyTorch's form): `v ← 0.9 v + g`, `p ← p − lr v` (`v` starts at 0);
//! - Adam: `m ← β1 m + (1 − β1) g`, `v ← β2 v + (1 − β2) g²`, `m̂ = m / (1 − β1^t)`,
//!   `v̂ = v / (1 − β2^t)`, `p ← p − lr m̂ / (√v̂ + ε)` with β1 = 0.9, β2 = 0.999, ε = 1e-8 and
//!   `t` the number of updates so far (this one included).
//!
//! Batches: `batch = 0` (or at least the number of points) trains on all points as one batch
//! in their order; otherwise each epoch visits the points in an order shuffled by a generator
//! seeded from the net's seed and the epoch number, in batches of `batch` points (the last one
//! possibly smaller), each the mean over its own points. The same spec and data give the same
//! run bit for bit.
//!
//! Initialisation: one [`rng_from_seed`] stream draws every layer's weights from N(0, 1) in
//! order, each `[out, in]` row-major; biases start at zero. With one hidden layer the weights
//! are [`XorNet`](crate::nn::xor::XorNet)'s, and the sums are taken in `XorNet`'s order (the
//! first layer adds its bias after the weighted inputs, later layers start from the bias), so
//! full-batch MSE gradient descent with one hidden layer reproduces `XorNet` bit for bit.

use std::fmt;
use std::str::FromStr;

use rand::seq::SliceRandom;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::files::limits::{PLANE_LAYERS, PLANE_WIDTH, XOR_HIDDEN};
use crate::nn::error::{NnError, Result};
use crate::nn::init::rng_from_seed;
use crate::nn::xor::{Activation, sigmoid};

/// Momentum factor of [`PlaneOptimizer::Momentum`].
pub const MOMENTUM: f32 = 0.9;
/// Adam's decay rate of the first moment.
pub const ADAM_BETA1: f32 = 0.9;
/// Adam's decay rate of the second moment.
pub const ADAM_BETA2: f32 = 0.999;
/// Adam's `ε`, added to `√v̂`.
pub const ADAM_EPS: f32 = 1e-8;

/// Mixed into the seed of the per-epoch shuffles.
const SHUFFLE_SALT: u64 = 0x504C_414E_4553_4855;

/// The loss of a [`PlaneNet`] (its output is always a sigmoid).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlaneLoss {
    /// `1/n Σ ½(ŷ − y)²`, as the original XOR program.
    #[default]
    Mse,
    /// Binary cross-entropy `−1/n Σ [y ln ŷ + (1 − y) ln(1 − ŷ)]`.
    Bce,
}

impl PlaneLoss {
    /// Lower-case name ("mse", "bce").
    pub fn name(self) -> &'static str {
        match self {
            PlaneLoss::Mse => "mse",
            PlaneLoss::Bce => "bce",
        }
    }
}

/// How a [`PlaneNet`] updates its parameters from a batch gradient.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlaneOptimizer {
    /// Gradient descent: `p ← p − lr g`.
    #[default]
    Gd,
    /// Heavy-ball momentum ([`MOMENTUM`]): `v ← 0.9 v + g`, `p ← p − lr v`.
    Momentum,
    /// Adam with bias correction ([`ADAM_BETA1`], [`ADAM_BETA2`], [`ADAM_EPS`]).
    Adam,
}

impl PlaneOptimizer {
    /// Lower-case name ("gd", "momentum", "adam").
    pub fn name(self) -> &'static str {
        match self {
            PlaneOptimizer::Gd => "gd",
            PlaneOptimizer::Momentum => "momentum",
            PlaneOptimizer::Adam => "adam",
        }
    }
}

/// Everything that defines a [`PlaneNet`] and its training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlaneSpec {
    /// Neurons of each hidden layer, input side first (1 to [`PLANE_LAYERS`] layers; one layer
    /// of up to [`XOR_HIDDEN`] neurons, or layers of up to [`PLANE_WIDTH`] each).
    pub hidden: Vec<usize>,
    /// Activation of every hidden layer.
    pub activation: Activation,
    /// The loss.
    pub loss: PlaneLoss,
    /// The optimizer.
    pub optimizer: PlaneOptimizer,
    /// Learning rate (positive).
    pub learning_rate: f32,
    /// Points per batch; 0 = all points as one batch.
    pub batch: usize,
    /// Seed of the initial weights and of the mini-batch shuffles.
    pub seed: u64,
}

impl Default for PlaneSpec {
    /// The original XOR network: 2-3-1, sigmoid, MSE, full-batch GD, lr 0.1.
    fn default() -> Self {
        PlaneSpec {
            hidden: vec![3],
            activation: Activation::Sigmoid,
            loss: PlaneLoss::Mse,
            optimizer: PlaneOptimizer::Gd,
            learning_rate: 0.1,
            batch: 0,
            seed: crate::nn::config::DEFAULT_SEED,
        }
    }
}

/// Checks a list of hidden-layer sizes; the message says which limit is broken (as
/// `"1024 is not in 1..=64"`).
pub fn check_hidden(hidden: &[usize]) -> std::result::Result<(), String> {
    if hidden.is_empty() {
        return Err("at least one hidden layer is needed".into());
    }
    if hidden.len() > PLANE_LAYERS {
        return Err(format!(
            "{} hidden layers are more than the {PLANE_LAYERS} allowed",
            hidden.len()
        ));
    }
    let max = if hidden.len() == 1 {
        XOR_HIDDEN as usize
    } else {
        PLANE_WIDTH
    };
    for &h in hidden {
        if !(1..=max).contains(&h) {
            return Err(if hidden.len() == 1 {
                format!("{h} is not in 1..={max}")
            } else {
                format!(
                    "{h} is not in 1..={max} (each layer of a network with 2 or more hidden layers)"
                )
            });
        }
    }
    Ok(())
}

/// Which parameter of a layer: a weight `W[to, from]` or a bias `b[to]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ParamKind {
    /// The weight from input `from` of the layer to its neuron `to`.
    Weight {
        /// The neuron of this layer.
        to: usize,
        /// The neuron (or input) of the layer before.
        from: usize,
    },
    /// The bias of neuron `to`.
    Bias {
        /// The neuron of this layer.
        to: usize,
    },
}

/// One parameter of a [`PlaneNet`]: layer numbers start at 1 (the first hidden layer), so the
/// names read `w1[j,i]`, `b1[j]`, ..., `w{L}[0,j]`, `b{L}[0]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ParamId {
    /// Layer number, from 1.
    pub layer: usize,
    /// Weight or bias, and which.
    pub kind: ParamKind,
}

impl ParamId {
    /// The weight `w{layer}[to,from]`.
    pub fn weight(layer: usize, to: usize, from: usize) -> Self {
        ParamId {
            layer,
            kind: ParamKind::Weight { to, from },
        }
    }

    /// The bias `b{layer}[to]`.
    pub fn bias(layer: usize, to: usize) -> Self {
        ParamId {
            layer,
            kind: ParamKind::Bias { to },
        }
    }

    /// The name: `w2[0,1]` or `b1[3]`.
    pub fn name(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for ParamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ParamKind::Weight { to, from } => write!(f, "w{}[{to},{from}]", self.layer),
            ParamKind::Bias { to } => write!(f, "b{}[{to}]", self.layer),
        }
    }
}

impl FromStr for ParamId {
    type Err = NnError;

    /// Reads a name as [`ParamId::name`] writes it (`w2[0,1]`, `b1[3]`).
    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            NnError::Config(format!(
                "{s:?} is not a parameter name like w1[0,1] or b2[0]"
            ))
        };
        let (head, rest) = s.split_once('[').ok_or_else(bad)?;
        let inner = rest.strip_suffix(']').ok_or_else(bad)?;
        let mut chars = head.chars();
        let letter = chars.next().ok_or_else(bad)?;
        let layer: usize = chars.as_str().parse().map_err(|_| bad())?;
        let numbers: Vec<usize> = inner
            .split(',')
            .map(|p| p.trim().parse().map_err(|_| bad()))
            .collect::<Result<_>>()?;
        match (letter, numbers.as_slice()) {
            ('w', &[to, from]) => Ok(ParamId::weight(layer, to, from)),
            ('b', &[to]) => Ok(ParamId::bias(layer, to)),
            _ => Err(bad()),
        }
    }
}

/// One fully connected layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlaneLayer {
    /// Inputs (neurons of the layer before, or 2 for the first layer).
    pub inputs: usize,
    /// Neurons.
    pub outputs: usize,
    /// `[outputs, inputs]`, row-major.
    pub w: Vec<f32>,
    /// `[outputs]`.
    pub b: Vec<f32>,
}

impl PlaneLayer {
    /// The weight from input `from` to neuron `to`.
    pub fn weight(&self, to: usize, from: usize) -> f32 {
        self.w[to * self.inputs + from]
    }
}

/// One point's forward pass.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Forward {
    /// Pre-activations, one vector per layer: `z[l - 1]` is layer `l`'s; the last is the
    /// output's `[z_L]`.
    pub z: Vec<Vec<f32>>,
    /// Activations: `a[0]` is the input, `a[l]` layer `l`'s; the last is `[ŷ]`.
    pub a: Vec<Vec<f32>>,
}

impl Forward {
    /// The output probability `ŷ`.
    pub fn output(&self) -> f32 {
        self.a
            .last()
            .and_then(|a| a.first())
            .copied()
            .unwrap_or(0.0)
    }
}

/// Gradients of one layer, shaped like its parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerGrads {
    /// `∂J/∂W`, `[outputs, inputs]` row-major.
    pub w: Vec<f32>,
    /// `∂J/∂b`.
    pub b: Vec<f32>,
}

/// The gradient of the loss over one batch: what an update of that batch applies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gradients {
    /// Per layer, input side first.
    pub layers: Vec<LayerGrads>,
    /// The batch's mean loss at the parameters the gradient was taken at.
    pub loss: f32,
    /// Points in the batch.
    pub points: usize,
}

impl Gradients {
    /// The gradient of parameter `id`, if the network has it.
    pub fn get(&self, id: ParamId) -> Option<f32> {
        let g = self.layers.get(id.layer.checked_sub(1)?)?;
        match id.kind {
            ParamKind::Weight { to, from } => {
                let inputs = g.w.len() / g.b.len().max(1);
                (from < inputs).then(|| g.w.get(to * inputs + from).copied())?
            }
            ParamKind::Bias { to } => g.b.get(to).copied(),
        }
    }

    /// L2 norm of each layer's gradient (weights and biases together).
    pub fn norms(&self) -> Vec<f32> {
        let sq = |v: &[f32]| v.iter().map(|g| g * g).sum::<f32>();
        self.layers
            .iter()
            .map(|g| (sq(&g.w) + sq(&g.b)).sqrt())
            .collect()
    }

    fn zeros(layers: &[PlaneLayer]) -> Gradients {
        Gradients {
            layers: layers
                .iter()
                .map(|l| LayerGrads {
                    w: vec![0.0; l.w.len()],
                    b: vec![0.0; l.b.len()],
                })
                .collect(),
            loss: 0.0,
            points: 0,
        }
    }
}

/// One point's way through the network and back, with the numbers backpropagation uses, as a
/// member of a batch of `n` points (every `δ` carries the batch's `1/n`).
///
/// For a hidden neuron `δ = dj_da · dact` exactly, with `dj_da = Σ_k δ_next[k] · w[k, j]`
/// summed in `k` order. For the output, MSE computes `δ = (ŷ − y)/n · ŷ · (1 − ŷ)` from left
/// to right (so `dj_da · dact` may differ from it in the last bit); BCE computes
/// `δ = (ŷ − y)/n` directly, and its `dj_da = (ŷ − y)/(n ŷ(1 − ŷ))` is infinite where `ŷ`
/// rounds to 0 or 1. The point's contribution to a batch gradient is `δ_l[j] · a[l - 1][i]`
/// for `W_l[j, i]` and `δ_l[j]` for `b_l[j]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// The forward pass.
    pub forward: Forward,
    /// The label.
    pub y: f32,
    /// Points in the batch (the `n` of `1/n`).
    pub n: usize,
    /// This point's own loss (`½(ŷ − y)²` or `softplus(z) − y z`), without the `1/n`.
    pub loss: f32,
    /// `∂J/∂a` per layer (`dj_da[l - 1]` for layer `l`); the last is `[∂J/∂ŷ]`.
    pub dj_da: Vec<Vec<f32>>,
    /// The activation's derivative at each neuron: `f'(z)` for hidden layers, `σ'(z) =
    /// ŷ(1 − ŷ)` for the output.
    pub dact: Vec<Vec<f32>>,
    /// `δ = ∂J/∂z` per layer (`delta[l - 1]` for layer `l`).
    pub delta: Vec<Vec<f32>>,
}

impl Trace {
    /// `∂J/∂ŷ` (with the `1/n`).
    pub fn dj_dyhat(&self) -> f32 {
        self.dj_da
            .last()
            .and_then(|d| d.first())
            .copied()
            .unwrap_or(0.0)
    }

    /// This point's contribution to the batch gradient of parameter `id`.
    pub fn grad(&self, id: ParamId) -> Option<f32> {
        let l = id.layer.checked_sub(1)?;
        let delta = self.delta.get(l)?;
        match id.kind {
            ParamKind::Weight { to, from } => Some(delta.get(to)? * self.forward.a[l].get(from)?),
            ParamKind::Bias { to } => delta.get(to).copied(),
        }
    }
}

/// The optimizer's terms of one parameter's next update.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum UpdateTerms {
    /// `new = value − lr · grad`.
    Gd,
    /// `velocity_after = MOMENTUM · velocity_before + grad`, `new = value − lr ·
    /// velocity_after`.
    Momentum {
        /// `v` before the update.
        velocity_before: f32,
        /// `v` after it.
        velocity_after: f32,
    },
    /// Adam's moments (before and after), their bias-corrected values and the step:
    /// `new = value − step`, `step = lr · m_hat / (√v_hat + ε)`.
    Adam {
        /// The update's number (1 for the first).
        t: u64,
        /// `m` before the update.
        m_before: f32,
        /// `v` before the update.
        v_before: f32,
        /// `m` after it.
        m: f32,
        /// `v` after it.
        v: f32,
        /// `m / (1 − β1^t)`.
        m_hat: f32,
        /// `v / (1 − β2^t)`.
        v_hat: f32,
        /// `lr · m_hat / (√v_hat + ε)`.
        step: f32,
    },
}

/// What the next update does to one parameter, computed as training computes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UpdateStep {
    /// The parameter.
    pub id: ParamId,
    /// Its value now.
    pub value: f32,
    /// Its gradient.
    pub grad: f32,
    /// The learning rate.
    pub learning_rate: f32,
    /// Its value after the update.
    pub new_value: f32,
    /// The optimizer's terms.
    pub terms: UpdateTerms,
}

/// Optimizer state of one layer (velocity, or Adam's moments).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct LayerState {
    w: Vec<f32>,
    b: Vec<f32>,
}

impl LayerState {
    /// The biases' or the weights' values.
    fn part(&mut self, bias: bool) -> &mut Vec<f32> {
        if bias { &mut self.b } else { &mut self.w }
    }
}

/// The optimizer's state: what is kept between updates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct OptState {
    /// Momentum's velocity or Adam's first moment (empty for GD).
    first: Vec<LayerState>,
    /// Adam's second moment (empty otherwise).
    second: Vec<LayerState>,
}

/// One parameter's optimizer state, read or written by an update.
#[derive(Clone, Copy, Debug, Default)]
struct Slot {
    first: f32,
    second: f32,
}

/// `(1 − β1^t, 1 − β2^t)`.
fn bias_corrections(t: u64) -> (f32, f32) {
    let t = i32::try_from(t).unwrap_or(i32::MAX);
    (
        (1.0 - f64::from(ADAM_BETA1).powi(t)) as f32,
        (1.0 - f64::from(ADAM_BETA2).powi(t)) as f32,
    )
}

/// The one update rule: the new value and the slot after the update, with the terms.
fn update_rule(
    optimizer: PlaneOptimizer,
    lr: f32,
    t: u64,
    corrections: (f32, f32),
    p: f32,
    g: f32,
    slot: Slot,
) -> (f32, Slot, UpdateTerms) {
    match optimizer {
        PlaneOptimizer::Gd => (p - lr * g, slot, UpdateTerms::Gd),
        PlaneOptimizer::Momentum => {
            let v = MOMENTUM * slot.first + g;
            (
                p - lr * v,
                Slot {
                    first: v,
                    second: 0.0,
                },
                UpdateTerms::Momentum {
                    velocity_before: slot.first,
                    velocity_after: v,
                },
            )
        }
        PlaneOptimizer::Adam => {
            let m = ADAM_BETA1 * slot.first + (1.0 - ADAM_BETA1) * g;
            let v = ADAM_BETA2 * slot.second + (1.0 - ADAM_BETA2) * g * g;
            let m_hat = m / corrections.0;
            let v_hat = v / corrections.1;
            let step = lr * m_hat / (v_hat.sqrt() + ADAM_EPS);
            (
                p - step,
                Slot {
                    first: m,
                    second: v,
                },
                UpdateTerms::Adam {
                    t,
                    m_before: slot.first,
                    v_before: slot.second,
                    m,
                    v,
                    m_hat,
                    v_hat,
                    step,
                },
            )
        }
    }
}

/// Numerically stable `ln(1 + e^z)`.
#[inline]
fn softplus(z: f32) -> f32 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// Per-point buffers of a forward and backward pass.
struct Work {
    z: Vec<Vec<f32>>,
    a: Vec<Vec<f32>>,
    dj_da: Vec<Vec<f32>>,
    dact: Vec<Vec<f32>>,
    delta: Vec<Vec<f32>>,
}

impl Work {
    fn new(layers: &[PlaneLayer]) -> Work {
        let per_layer =
            || -> Vec<Vec<f32>> { layers.iter().map(|l| vec![0.0; l.outputs]).collect() };
        let mut a = vec![vec![0.0; 2]];
        a.extend(per_layer());
        Work {
            z: per_layer(),
            a,
            dj_da: per_layer(),
            dact: per_layer(),
            delta: per_layer(),
        }
    }
}

/// A `2 -> h1 -> ... -> hk -> 1` network with a sigmoid output; see the module documentation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PlaneNetData")]
pub struct PlaneNet {
    spec: PlaneSpec,
    layers: Vec<PlaneLayer>,
    state: OptState,
    /// Updates so far (Adam's `t` of the latest one).
    updates: u64,
    /// Epochs trained by [`PlaneNet::train_epoch`].
    epochs: u64,
    /// Per layer, the gradient norms of the latest update.
    grad_norms: Vec<f32>,
}

/// [`PlaneNet`] as a file holds it, checked before it becomes one.
#[derive(Deserialize)]
struct PlaneNetData {
    spec: PlaneSpec,
    layers: Vec<PlaneLayer>,
    state: OptState,
    updates: u64,
    epochs: u64,
    grad_norms: Vec<f32>,
}

impl TryFrom<PlaneNetData> for PlaneNet {
    type Error = NnError;

    fn try_from(d: PlaneNetData) -> Result<PlaneNet> {
        let fresh = PlaneNet::new(&d.spec)?;
        let same_shape = |a: &[LayerState]| {
            a.len() == fresh.layers.len()
                && a.iter()
                    .zip(&fresh.layers)
                    .all(|(s, l)| s.w.len() == l.w.len() && s.b.len() == l.b.len())
        };
        let layers_fit = d.layers.len() == fresh.layers.len()
            && d.layers.iter().zip(&fresh.layers).all(|(a, b)| {
                a.inputs == b.inputs
                    && a.outputs == b.outputs
                    && a.w.len() == b.w.len()
                    && a.b.len() == b.b.len()
            });
        let state_fits = (d.state.first.is_empty() || same_shape(&d.state.first))
            && (d.state.second.is_empty() || same_shape(&d.state.second))
            && d.state.first.len() == fresh.state.first.len()
            && d.state.second.len() == fresh.state.second.len();
        if !layers_fit || !state_fits || d.grad_norms.len() != fresh.layers.len() {
            return Err(NnError::Config(format!(
                "a saved {} network whose parameters or optimizer state do not fit its shape",
                fresh.architecture()
            )));
        }
        Ok(PlaneNet {
            spec: d.spec,
            layers: d.layers,
            state: d.state,
            updates: d.updates,
            epochs: d.epochs,
            grad_norms: d.grad_norms,
        })
    }
}

impl PlaneNet {
    /// A network as `spec` says: weights N(0, 1) from `spec.seed`, biases zero, no optimizer
    /// state yet. Refuses hidden sizes beyond the limits ([`check_hidden`]) and a learning
    /// rate that is not a positive number.
    pub fn new(spec: &PlaneSpec) -> Result<PlaneNet> {
        check_hidden(&spec.hidden)
            .map_err(|why| NnError::Config(format!("hidden layers {:?}: {why}", spec.hidden)))?;
        check_learning_rate(spec.learning_rate)?;
        let mut rng = rng_from_seed(spec.seed);
        let mut sizes = vec![2];
        sizes.extend(&spec.hidden);
        sizes.push(1);
        let layers: Vec<PlaneLayer> = sizes
            .windows(2)
            .map(|pair| {
                let (inputs, outputs) = (pair[0], pair[1]);
                let w = (0..inputs * outputs)
                    .map(|_| {
                        let z: f32 = StandardNormal.sample(&mut rng);
                        z
                    })
                    .collect();
                PlaneLayer {
                    inputs,
                    outputs,
                    w,
                    b: vec![0.0; outputs],
                }
            })
            .collect();
        let zeros = || -> Vec<LayerState> {
            layers
                .iter()
                .map(|l| LayerState {
                    w: vec![0.0; l.w.len()],
                    b: vec![0.0; l.b.len()],
                })
                .collect()
        };
        let state = match spec.optimizer {
            PlaneOptimizer::Gd => OptState {
                first: Vec::new(),
                second: Vec::new(),
            },
            PlaneOptimizer::Momentum => OptState {
                first: zeros(),
                second: Vec::new(),
            },
            PlaneOptimizer::Adam => OptState {
                first: zeros(),
                second: zeros(),
            },
        };
        let grad_norms = vec![0.0; layers.len()];
        Ok(PlaneNet {
            spec: spec.clone(),
            layers,
            state,
            updates: 0,
            epochs: 0,
            grad_norms,
        })
    }

    /// The spec in force (its learning rate as last set).
    pub fn spec(&self) -> &PlaneSpec {
        &self.spec
    }

    /// The layers, input side first (the last is the output neuron).
    pub fn layers(&self) -> &[PlaneLayer] {
        &self.layers
    }

    /// The shape as `2-8-8-1`.
    pub fn architecture(&self) -> String {
        let mut parts = vec!["2".to_string()];
        parts.extend(self.layers.iter().map(|l| l.outputs.to_string()));
        parts.join("-")
    }

    /// Epochs trained by [`PlaneNet::train_epoch`].
    pub fn epochs(&self) -> u64 {
        self.epochs
    }

    /// Updates applied so far (one per batch).
    pub fn updates(&self) -> u64 {
        self.updates
    }

    /// Sets the learning rate of the next updates (the optimizer's state is kept).
    pub fn set_learning_rate(&mut self, learning_rate: f32) -> Result<()> {
        check_learning_rate(learning_rate)?;
        self.spec.learning_rate = learning_rate;
        Ok(())
    }

    /// Every parameter, in order: per layer its weights (`[out, in]` row-major), then its
    /// biases.
    pub fn params(&self) -> Vec<ParamId> {
        let mut ids = Vec::new();
        for (l, layer) in self.layers.iter().enumerate() {
            for to in 0..layer.outputs {
                for from in 0..layer.inputs {
                    ids.push(ParamId::weight(l + 1, to, from));
                }
            }
            ids.extend((0..layer.outputs).map(|to| ParamId::bias(l + 1, to)));
        }
        ids
    }

    /// Where parameter `id` lives: `(layer index, is a bias, index in w or b)`.
    fn locate(&self, id: ParamId) -> Option<(usize, bool, usize)> {
        let l = id.layer.checked_sub(1)?;
        let layer = self.layers.get(l)?;
        match id.kind {
            ParamKind::Weight { to, from } => (to < layer.outputs && from < layer.inputs)
                .then_some((l, false, to * layer.inputs + from)),
            ParamKind::Bias { to } => (to < layer.outputs).then_some((l, true, to)),
        }
    }

    /// The value of parameter `id`, if the network has it.
    pub fn param(&self, id: ParamId) -> Option<f32> {
        let (l, bias, i) = self.locate(id)?;
        let layer = &self.layers[l];
        Some(if bias { layer.b[i] } else { layer.w[i] })
    }

    /// Sets parameter `id`.
    pub fn set_param(&mut self, id: ParamId, value: f32) -> Result<()> {
        let (l, bias, i) = self.locate(id).ok_or_else(|| {
            NnError::Config(format!(
                "a {} network has no parameter {id}",
                self.architecture()
            ))
        })?;
        let layer = &mut self.layers[l];
        if bias {
            layer.b[i] = value;
        } else {
            layer.w[i] = value;
        }
        Ok(())
    }

    /// Gradient norms of the latest update, per layer (input side first).
    pub fn grad_norms(&self) -> &[f32] {
        &self.grad_norms
    }

    /// True when every weight and bias is finite.
    pub fn is_finite(&self) -> bool {
        self.layers
            .iter()
            .all(|l| l.w.iter().chain(&l.b).all(|v| v.is_finite()))
    }

    /// The forward pass of one point into `w.z` and `w.a`.
    fn forward_into(&self, x: [f32; 2], w: &mut Work) {
        let act = self.spec.activation;
        let last = self.layers.len() - 1;
        w.a[0].copy_from_slice(&x);
        for (l, layer) in self.layers.iter().enumerate() {
            let (before, after) = w.a.split_at_mut(l + 1);
            let input = &before[l];
            let out = &mut after[0];
            let z = &mut w.z[l];
            for j in 0..layer.outputs {
                let row = &layer.w[j * layer.inputs..(j + 1) * layer.inputs];
                let zj = if l == 0 {
                    // XorNet's order: the weighted inputs, then the bias.
                    row[0] * input[0] + row[1] * input[1] + layer.b[j]
                } else {
                    // XorNet's output order: the bias first.
                    let mut s = layer.b[j];
                    for (wi, ai) in row.iter().zip(input) {
                        s += wi * ai;
                    }
                    s
                };
                z[j] = zj;
                out[j] = if l == last {
                    sigmoid(zj)
                } else {
                    act.apply(zj)
                };
            }
        }
    }

    /// This point's loss (without `1/n`) from the output's `z` and `ŷ`.
    fn point_loss(&self, z: f32, y_hat: f32, y: f32) -> f32 {
        match self.spec.loss {
            PlaneLoss::Mse => {
                let d = y_hat - y;
                0.5 * d * d
            }
            PlaneLoss::Bce => softplus(z) - y * z,
        }
    }

    /// The backward pass of one point (after [`PlaneNet::forward_into`]) as a member of a
    /// batch of `n`; returns the point's loss.
    fn backward_into(&self, y: f32, n: f32, w: &mut Work) -> f32 {
        let act = self.spec.activation;
        let last = self.layers.len() - 1;
        let z = w.z[last][0];
        let y_hat = w.a[last + 1][0];
        let d = y_hat - y;
        let dact = y_hat * (1.0 - y_hat);
        let (dj_dyhat, delta) = match self.spec.loss {
            PlaneLoss::Mse => (d / n, d / n * y_hat * (1.0 - y_hat)),
            PlaneLoss::Bce => (d / n / dact, d / n),
        };
        w.dj_da[last][0] = dj_dyhat;
        w.dact[last][0] = dact;
        w.delta[last][0] = delta;
        for l in (0..last).rev() {
            let next = &self.layers[l + 1];
            let (here, above) = w.delta.split_at_mut(l + 1);
            let delta_next = &above[0];
            for (j, delta) in here[l].iter_mut().enumerate() {
                // Σ_k δ_next[k] w[k, j], from the first term (as XorNet's single product).
                let mut s = delta_next[0] * next.w[j];
                for (k, dk) in delta_next.iter().enumerate().skip(1) {
                    s += dk * next.w[k * next.inputs + j];
                }
                let f = act.derivative(w.z[l][j], w.a[l + 1][j]);
                w.dj_da[l][j] = s;
                w.dact[l][j] = f;
                *delta = s * f;
            }
        }
        self.point_loss(z, y_hat, y)
    }

    /// Adds the point in `w` to the gradient sums.
    fn accumulate(w: &Work, grads: &mut Gradients) {
        for (l, g) in grads.layers.iter_mut().enumerate() {
            let input = &w.a[l];
            let inputs = input.len();
            for (j, &dj) in w.delta[l].iter().enumerate() {
                g.b[j] += dj;
                for (gw, ai) in g.w[j * inputs..(j + 1) * inputs].iter_mut().zip(input) {
                    *gw += dj * ai;
                }
            }
        }
    }

    /// One point's forward pass.
    pub fn forward(&self, x: [f32; 2]) -> Forward {
        let mut w = Work::new(&self.layers);
        self.forward_into(x, &mut w);
        Forward { z: w.z, a: w.a }
    }

    /// The output probability `ŷ` for one point.
    pub fn predict(&self, x: [f32; 2]) -> f32 {
        let mut w = Work::new(&self.layers);
        self.forward_into(x, &mut w);
        w.a[self.layers.len()][0]
    }

    /// Mean loss over the points (pairs beyond the shorter slice are ignored); 0 for none.
    pub fn loss(&self, xs: &[[f32; 2]], ys: &[f32]) -> f32 {
        let mut w = Work::new(&self.layers);
        let last = self.layers.len() - 1;
        let n = xs.len().min(ys.len()).max(1) as f32;
        let mut sum = 0.0f32;
        for (&x, &y) in xs.iter().zip(ys) {
            self.forward_into(x, &mut w);
            sum += self.point_loss(w.z[last][0], w.a[last + 1][0], y);
        }
        sum / n
    }

    /// Share of the points classified right (`ŷ ≥ 0.5` is class 1, a label ≥ 0.5 is class 1);
    /// 0 for none.
    pub fn accuracy(&self, xs: &[[f32; 2]], ys: &[f32]) -> f32 {
        let n = xs.len().min(ys.len());
        if n == 0 {
            return 0.0;
        }
        let mut w = Work::new(&self.layers);
        let right = xs
            .iter()
            .zip(ys)
            .filter(|&(&x, &y)| {
                self.forward_into(x, &mut w);
                (w.a[self.layers.len()][0] >= 0.5) == (y >= 0.5)
            })
            .count();
        right as f32 / n as f32
    }

    /// The gradient over the points taken as one batch (the mean over them): exactly what an
    /// update of that batch applies. It is the sum, in point order, of each point's `δ · a_in`
    /// as [`PlaneNet::trace`] gives them with `n` the number of points.
    pub fn backward(&self, xs: &[[f32; 2]], ys: &[f32]) -> Gradients {
        let n = xs.len().min(ys.len());
        self.batch_gradients(xs.iter().copied().zip(ys.iter().copied()), n)
    }

    /// The gradient over `points` (`n` of them) as one batch.
    fn batch_gradients(
        &self,
        points: impl Iterator<Item = ([f32; 2], f32)>,
        n: usize,
    ) -> Gradients {
        let mut grads = Gradients::zeros(&self.layers);
        let mut w = Work::new(&self.layers);
        let nf = n.max(1) as f32;
        let mut loss = 0.0f32;
        for (x, y) in points {
            self.forward_into(x, &mut w);
            loss += self.backward_into(y, nf, &mut w);
            Self::accumulate(&w, &mut grads);
        }
        grads.loss = loss / nf;
        grads.points = n;
        grads
    }

    /// One point's forward and backward pass as a member of a batch of `n` points.
    pub fn trace(&self, x: [f32; 2], y: f32, n: usize) -> Trace {
        let mut w = Work::new(&self.layers);
        self.forward_into(x, &mut w);
        let loss = self.backward_into(y, n.max(1) as f32, &mut w);
        Trace {
            forward: Forward { z: w.z, a: w.a },
            y,
            n,
            loss,
            dj_da: w.dj_da,
            dact: w.dact,
            delta: w.delta,
        }
    }

    /// What the next update with `grads` would do to parameter `id` (none if the network has
    /// no such parameter or `grads` does not fit it): the same arithmetic as the update.
    pub fn update_preview(&self, grads: &Gradients, id: ParamId) -> Option<UpdateStep> {
        let (l, bias, i) = self.locate(id)?;
        let grad = grads.get(id)?;
        let value = self.param(id)?;
        let t = self.updates + 1;
        let read = |s: &[LayerState]| s.get(l).map_or(0.0, |s| if bias { s.b[i] } else { s.w[i] });
        let slot = Slot {
            first: read(&self.state.first),
            second: read(&self.state.second),
        };
        let lr = self.spec.learning_rate;
        let (new_value, _, terms) = update_rule(
            self.spec.optimizer,
            lr,
            t,
            bias_corrections(t),
            value,
            grad,
            slot,
        );
        Some(UpdateStep {
            id,
            value,
            grad,
            learning_rate: lr,
            new_value,
            terms,
        })
    }

    /// Applies one update with `grads` (from this network's [`PlaneNet::backward`]).
    fn apply(&mut self, grads: &Gradients) {
        self.updates += 1;
        let t = self.updates;
        let corrections = bias_corrections(t);
        let (optimizer, lr) = (self.spec.optimizer, self.spec.learning_rate);
        for (l, (layer, g)) in self.layers.iter_mut().zip(&grads.layers).enumerate() {
            for bias in [false, true] {
                let (params, gs) = if bias {
                    (&mut layer.b, &g.b)
                } else {
                    (&mut layer.w, &g.w)
                };
                let mut first = self.state.first.get_mut(l).map(|s| s.part(bias));
                let mut second = self.state.second.get_mut(l).map(|s| s.part(bias));
                for (i, (p, &gi)) in params.iter_mut().zip(gs).enumerate() {
                    let slot = Slot {
                        first: first.as_ref().map_or(0.0, |s| s[i]),
                        second: second.as_ref().map_or(0.0, |s| s[i]),
                    };
                    let (new_p, new_slot, _) =
                        update_rule(optimizer, lr, t, corrections, *p, gi, slot);
                    *p = new_p;
                    if let Some(s) = first.as_mut() {
                        s[i] = new_slot.first;
                    }
                    if let Some(s) = second.as_mut() {
                        s[i] = new_slot.second;
                    }
                }
            }
        }
        self.grad_norms = grads.norms();
    }

    /// One update on the points taken as one batch; returns the gradients it applied (their
    /// `loss` is the batch's mean loss before the update). Does not count as an epoch.
    pub fn train_batch(&mut self, xs: &[[f32; 2]], ys: &[f32]) -> Gradients {
        let grads = self.backward(xs, ys);
        self.apply(&grads);
        grads
    }

    /// The order in which epoch `epoch` visits `n` points in mini-batches.
    pub fn epoch_order(&self, epoch: u64, n: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..n).collect();
        let seed = self.spec.seed ^ SHUFFLE_SALT ^ epoch.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        order.shuffle(&mut rng_from_seed(seed));
        order
    }

    /// One epoch over the points: one update on all of them (`batch` 0 or at least their
    /// number), or one per mini-batch in a freshly shuffled order. Returns the mean loss over
    /// all points before the epoch's first update.
    pub fn train_epoch(&mut self, xs: &[[f32; 2]], ys: &[f32]) -> f32 {
        let n = xs.len().min(ys.len());
        let batch = self.spec.batch;
        let loss = if batch == 0 || batch >= n {
            self.train_batch(xs, ys).loss
        } else {
            let before = self.loss(xs, ys);
            let order = self.epoch_order(self.epochs, n);
            for chunk in order.chunks(batch) {
                let grads =
                    self.batch_gradients(chunk.iter().map(|&i| (xs[i], ys[i])), chunk.len());
                self.apply(&grads);
            }
            before
        };
        self.epochs += 1;
        loss
    }
}

fn check_learning_rate(lr: f32) -> Result<()> {
    if lr.is_finite() && lr > 0.0 {
        Ok(())
    } else {
        Err(NnError::Config(format!(
            "learning rate must be a positive number, got {lr}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bce_stays_finite_where_the_sigmoid_rounds_to_0_or_1() {
        assert_eq!(softplus(-200.0), 0.0);
        assert_eq!(softplus(200.0), 200.0);
        assert!((softplus(0.0) - std::f32::consts::LN_2).abs() < 1e-7);
        let net = PlaneNet::new(&PlaneSpec {
            loss: PlaneLoss::Bce,
            ..PlaneSpec::default()
        })
        .expect("default spec");
        let mut w = Work::new(&net.layers);
        // A point whose output z is far beyond where the sigmoid rounds to 1.
        net.forward_into([0.0, 0.0], &mut w);
        let last = net.layers.len() - 1;
        w.z[last][0] = 100.0;
        w.a[last + 1][0] = 1.0;
        let loss = net.backward_into(0.0, 1.0, &mut w);
        assert_eq!((loss, w.delta[last][0]), (100.0, 1.0));
    }

    #[test]
    fn hidden_limits_name_the_value() {
        assert_eq!(check_hidden(&[64]), Ok(()));
        assert_eq!(check_hidden(&[65]), Err("65 is not in 1..=64".into()));
        assert!(check_hidden(&[16, 16, 16, 16]).is_ok());
        assert!(check_hidden(&[17, 2]).is_err_and(|e| e.starts_with("17 is not in 1..=16")));
    }
}
