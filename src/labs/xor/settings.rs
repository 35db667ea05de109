//! [`XorSettings`]: everything the user can set in the XOR lab, shared by the session that
//! trains with them and the snapshots that report them.

use crate::data::plane::DatasetKind;
use crate::nn::plane::{ParamId, PlaneLoss, PlaneOptimizer, PlaneSpec};
use crate::nn::xor::Activation;

/// Everything the user can set.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct XorSettings {
    /// Neurons of each hidden layer, input side first.
    pub hidden: Vec<usize>,
    /// Hidden activation (the output is a sigmoid).
    pub activation: Activation,
    /// The loss.
    #[serde(default)]
    pub loss: PlaneLoss,
    /// The optimizer.
    #[serde(default)]
    pub optimizer: PlaneOptimizer,
    /// Points per batch; 0 = all points as one batch.
    #[serde(default)]
    pub batch: usize,
    /// Learning rate.
    pub learning_rate: f32,
    /// Epochs between two snapshots (the original's "epochs per refresh").
    pub epochs_per_refresh: u64,
    /// Epochs to train in all (the original's `-e`).
    pub max_epochs: u64,
    /// Seed of the initial weights, of the mini-batch shuffles and of the dataset.
    pub seed: u64,
    /// Which dataset.
    pub dataset: DatasetKind,
    /// Gaussian noise of the dataset.
    pub noise: f32,
    /// The hidden layer the feature space shows, from 1; `None` (or a layer the network does
    /// not have) is the last hidden layer.
    #[serde(default)]
    pub feature_layer: Option<usize>,
    /// The two parameters the loss surface spans.
    #[serde(default = "default_surface_weights")]
    pub surface_weights: (ParamId, ParamId),
}

/// The loss surface's default parameters: the first two weights of layer 1.
pub fn default_surface_weights() -> (ParamId, ParamId) {
    (ParamId::weight(1, 0, 0), ParamId::weight(1, 0, 1))
}

impl XorSettings {
    /// The network these settings train.
    pub fn spec(&self) -> PlaneSpec {
        PlaneSpec {
            hidden: self.hidden.clone(),
            activation: self.activation,
            loss: self.loss,
            optimizer: self.optimizer,
            learning_rate: self.learning_rate,
            batch: self.batch,
            seed: self.seed,
        }
    }

    /// The hidden layer the feature space shows, from 1 (the last one unless another that
    /// exists is chosen).
    pub fn shown_layer(&self) -> usize {
        let layers = self.hidden.len().max(1);
        self.feature_layer
            .filter(|l| (1..=layers).contains(l))
            .unwrap_or(layers)
    }
}

impl Default for XorSettings {
    fn default() -> Self {
        XorSettings {
            hidden: vec![3],
            activation: Activation::Sigmoid,
            loss: PlaneLoss::Mse,
            optimizer: PlaneOptimizer::Gd,
            batch: 0,
            learning_rate: 0.1,
            epochs_per_refresh: 100,
            max_epochs: 50_000,
            seed: crate::nn::config::DEFAULT_SEED,
            dataset: DatasetKind::Xor,
            noise: 0.0,
            feature_layer: None,
            surface_weights: default_surface_weights(),
        }
    }
}
