//! Stochastic gradient descent with optional (heavy-ball) momentum, as PyTorch's `torch.optim.SGD`
//! without dampening, Nesterov or weight decay.
//!
//! For every parameter `p` with gradient `g`, momentum `mu` and learning rate `lr`:
//!
//! ```text
//! mu == 0:  p <- p - lr * g
//! mu >  0:  v <- mu * v + g        (v starts at 0, so the first step has v = g, as PyTorch)
//!           p <- p - lr * v
//! ```
//!
//! The velocity `v` is kept per parameter, keyed by the `index` handed to
//! [`Optimizer::update`], and allocated the first time that index is seen; later steps allocate
//! nothing. The learning rate can change between any two steps; the velocity is kept (it holds
//! gradients, not steps, so a new `lr` simply scales the next update).
//!
//! Each update also records the update-to-weight ratio `||delta p||_2 / ||p||_2` (with `p` the
//! value before the update), computed in the same pass as the update, for the visualisations
//! ([`Optimizer::last_update_ratio`]).

use crate::nn::layers::Param;
use crate::nn::optim::Optimizer;

/// Settings of [`Sgd`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SgdConfig {
    /// Learning rate (step size). Default 0.01.
    pub learning_rate: f32,
    /// Momentum factor `mu` in `[0, 1)`. Default 0 (plain SGD, no velocity kept).
    pub momentum: f32,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig {
            learning_rate: 0.01,
            momentum: 0.0,
        }
    }
}

/// Per-parameter state of [`Sgd`].
#[derive(Clone, Debug, Default)]
struct Slot {
    /// Velocity `v`, same length as the parameter (empty without momentum).
    velocity: Vec<f32>,
    /// `||delta p|| / ||p||` of the latest update, if there was one.
    ratio: Option<f32>,
}

/// SGD with optional momentum. See the module documentation for the update rule.
#[derive(Clone, Debug)]
pub struct Sgd {
    config: SgdConfig,
    slots: Vec<Slot>,
    steps: u64,
}

impl Sgd {
    /// A new optimizer with no state yet.
    pub fn new(config: SgdConfig) -> Self {
        Sgd {
            config,
            slots: Vec::new(),
            steps: 0,
        }
    }

    /// The current settings (the learning rate included).
    pub fn config(&self) -> SgdConfig {
        self.config
    }

    /// Number of [`Optimizer::begin_step`] calls so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Forgets all velocities and statistics (the settings stay).
    pub fn reset_state(&mut self) {
        self.slots.clear();
        self.steps = 0;
    }
}

impl Default for Sgd {
    fn default() -> Self {
        Sgd::new(SgdConfig::default())
    }
}

/// `||delta|| / ||p||` from the two sums of squares.
pub(crate) fn update_ratio(delta_sq: f64, p_sq: f64) -> f32 {
    if p_sq > 0.0 {
        (delta_sq / p_sq).sqrt() as f32
    } else if delta_sq > 0.0 {
        f32::INFINITY
    } else {
        0.0
    }
}

impl Optimizer for Sgd {
    fn name(&self) -> &'static str {
        "sgd"
    }

    fn learning_rate(&self) -> f32 {
        self.config.learning_rate
    }

    fn set_learning_rate(&mut self, lr: f32) {
        self.config.learning_rate = lr;
    }

    fn begin_step(&mut self) {
        self.steps += 1;
    }

    fn last_update_ratio(&self, index: usize) -> Option<f32> {
        self.slots.get(index).and_then(|s| s.ratio)
    }

    fn update(&mut self, index: usize, param: &mut Param) {
        if self.slots.len() <= index {
            self.slots.resize_with(index + 1, Slot::default);
        }
        let SgdConfig {
            learning_rate: lr,
            momentum,
        } = self.config;
        let slot = &mut self.slots[index];
        let values = param.value.data_mut();
        let grads = param.grad.data();
        let (mut delta_sq, mut p_sq) = (0.0f64, 0.0f64);
        if momentum == 0.0 {
            for (p, &g) in values.iter_mut().zip(grads) {
                let delta = -lr * g;
                p_sq += f64::from(*p) * f64::from(*p);
                delta_sq += f64::from(delta) * f64::from(delta);
                *p += delta;
            }
        } else {
            if slot.velocity.len() != values.len() {
                // First update of this index (or a parameter of a new size under an old index).
                slot.velocity.clear();
                slot.velocity.resize(values.len(), 0.0);
            }
            for ((p, &g), v) in values.iter_mut().zip(grads).zip(&mut slot.velocity) {
                *v = momentum * *v + g;
                let delta = -lr * *v;
                p_sq += f64::from(*p) * f64::from(*p);
                delta_sq += f64::from(delta) * f64::from(delta);
                *p += delta;
            }
        }
        slot.ratio = Some(update_ratio(delta_sq, p_sq));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::tensor::Tensor;

    fn param(value: &[f32], grad: &[f32]) -> Param {
        let mut p = Param::new(
            "weight",
            Tensor::from_vec(&[value.len()], value.to_vec()).unwrap(),
        );
        p.grad.data_mut().copy_from_slice(grad);
        p
    }

    #[test]
    fn plain_step_and_ratio() {
        // p = [3, 4] (norm 5), g = [1, 0], lr = 0.5: delta = [-0.5, 0], ratio 0.5 / 5 = 0.1.
        let mut opt = Sgd::new(SgdConfig {
            learning_rate: 0.5,
            momentum: 0.0,
        });
        let mut p = param(&[3.0, 4.0], &[1.0, 0.0]);
        assert_eq!(opt.last_update_ratio(0), None);
        opt.begin_step();
        opt.update(0, &mut p);
        assert_eq!(p.value.data(), &[2.5, 4.0]);
        assert!((opt.last_update_ratio(0).unwrap() - 0.1).abs() < 1e-6);
        assert_eq!(opt.last_update_ratio(1), None);
    }

    #[test]
    fn zero_weight_ratio() {
        assert_eq!(update_ratio(0.0, 0.0), 0.0);
        assert_eq!(update_ratio(1.0, 0.0), f32::INFINITY);
    }

    #[test]
    fn lazy_state_for_sparse_indices() {
        let mut opt = Sgd::new(SgdConfig {
            learning_rate: 1.0,
            momentum: 0.9,
        });
        let mut p = param(&[1.0], &[1.0]);
        opt.begin_step();
        opt.update(3, &mut p);
        assert_eq!(p.value.data(), &[0.0]);
        assert!(opt.last_update_ratio(3).is_some());
        assert_eq!(opt.last_update_ratio(0), None);
    }
}
