//! Optimizers. Both read each parameter's accumulated gradient and update its value in place.
//! The learning rate can be changed between any two steps (the UI changes it live); the change
//! applies to the next step and keeps all other state (momentum, Adam's moments and step count).

mod adam;
mod sgd;
mod step_sizes;

pub use adam::{Adam, AdamConfig};
pub use sgd::{Sgd, SgdConfig};
pub use step_sizes::{STEP_BINS, StepSizes};

use serde::{Deserialize, Serialize};

use crate::nn::layers::Param;

/// Which optimizer a config asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// Stochastic gradient descent, optionally with momentum.
    Sgd,
    /// Adam (Kingma & Ba 2015) with bias correction.
    #[default]
    Adam,
}

impl OptimizerKind {
    /// A new optimizer of this kind with learning rate `lr` and otherwise default settings.
    pub fn build(self, lr: f32) -> Box<dyn Optimizer> {
        match self {
            OptimizerKind::Sgd => Box::new(Sgd::new(SgdConfig {
                learning_rate: lr,
                ..SgdConfig::default()
            })),
            OptimizerKind::Adam => Box::new(Adam::new(AdamConfig {
                learning_rate: lr,
                ..AdamConfig::default()
            })),
        }
    }
}

/// Updates parameters from their gradients.
pub trait Optimizer: Send + std::fmt::Debug {
    /// "sgd" or "adam".
    fn name(&self) -> &'static str;

    /// The learning rate the next step will use.
    fn learning_rate(&self) -> f32;

    /// Sets the learning rate for the next and later steps.
    fn set_learning_rate(&mut self, lr: f32);

    /// Starts a step (Adam advances its step count here). Call once, then `update` every
    /// parameter.
    fn begin_step(&mut self);

    /// Updates parameter number `index` (stable from step to step) from its gradient.
    fn update(&mut self, index: usize, param: &mut Param);

    /// `update(i, &mut params[i])` for every `i`: the same result, which an optimizer may
    /// compute in parallel.
    fn update_all(&mut self, params: &mut [Param]) {
        for (i, p) in params.iter_mut().enumerate() {
            self.update(i, p);
        }
    }

    /// The update-to-weight ratio `||delta p||_2 / ||p||_2` of the latest update of parameter
    /// `index` (`p` before the update), computed inside the update loop; `None` before its
    /// first update. A zero `p` gives 0 when the update is zero too and `+inf` otherwise.
    /// About 1e-3 is healthy; much larger means the learning rate is too high, much smaller
    /// too low.
    fn last_update_ratio(&self, index: usize) -> Option<f32>;

    /// How far the latest update moved each value of parameter `index` (`|new - old|` per
    /// power of two), for optimizers that record it (Adam); `None` otherwise or before the
    /// parameter's first update.
    fn last_step_sizes(&self, index: usize) -> Option<&StepSizes> {
        let _ = index;
        None
    }
}
