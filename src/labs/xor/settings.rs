//! [`XorSettings`]: everything the user can set in the XOR lab, shared by the session that
//! trains with them and the snapshots that report them.

use crate::data::plane::DatasetKind;
use crate::nn::xor::Activation;

/// Everything the user can set.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct XorSettings {
    /// Hidden neurons.
    pub hidden: usize,
    /// Hidden activation (the output is a sigmoid).
    pub activation: Activation,
    /// Learning rate of full-batch gradient descent.
    pub learning_rate: f32,
    /// Epochs between two snapshots (the original's "epochs per refresh").
    pub epochs_per_refresh: u64,
    /// Epochs to train in all (the original's `-e`).
    pub max_epochs: u64,
    /// Seed of the initial weights and of the dataset.
    pub seed: u64,
    /// Which dataset.
    pub dataset: DatasetKind,
    /// Gaussian noise of the dataset.
    pub noise: f32,
    /// Indices (into [`XorNet::param_names`](crate::nn::xor::XorNet::param_names)) of the two weights the loss surface spans.
    pub surface_weights: (usize, usize),
}

impl Default for XorSettings {
    fn default() -> Self {
        XorSettings {
            hidden: 3,
            activation: Activation::Sigmoid,
            learning_rate: 0.1,
            epochs_per_refresh: 100,
            max_epochs: 50_000,
            seed: crate::nn::config::DEFAULT_SEED,
            dataset: DatasetKind::Xor,
            noise: 0.0,
            surface_weights: (0, 1),
        }
    }
}
