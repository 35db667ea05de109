//! `MnistSnapshot`: everything the MNIST lab's views draw at one moment of training, made on
//! the lab thread so the UI only copies numbers into scenes and plots.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::data::preprocess::Dataset;
use crate::labs::mnist::analysis::{ConvFilters, Probe, ValidationPass};
use crate::nn::config::ModelConfig;
use crate::nn::metrics::ConfusionMatrix;
use crate::nn::optim::StepSizes;
use crate::train::{EpochSummary, Kept, StopReason};

/// One training batch on the curves.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BatchPoint {
    /// Batches trained since the start, this one included.
    pub step: u64,
    /// Its epoch (1-based).
    pub epoch: usize,
    /// The batch's mean loss.
    pub loss: f32,
    /// The batch's accuracy.
    pub accuracy: f32,
    /// The epoch's running accuracy so far.
    pub running_accuracy: f64,
    /// Exponential moving average of the loss.
    pub smoothed_loss: f32,
    /// Exponential moving average of the batch accuracy.
    pub smoothed_accuracy: f32,
    /// The learning rate it was trained with.
    pub learning_rate: f32,
}

/// The update-to-weight ratio of every weighted layer after one batch.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RatioPoint {
    /// The batch (as [`BatchPoint::step`]).
    pub step: u64,
    /// One ratio per entry of [`MnistSnapshot::weighted_layers`] (shared, so copying the
    /// series into a snapshot allocates nothing per point, and a run file writes it once).
    #[serde(with = "crate::labs::run_file::shared")]
    pub ratios: Arc<Vec<f32>>,
}

/// What the MNIST lab shows (see the module documentation). A run file writes the values
/// snapshots share (the epochs, the validation pass, the data) once.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MnistSnapshot {
    /// Which run (restarts and loads so far).
    pub run: u64,
    /// The config being trained.
    #[serde(with = "crate::labs::mnist::wire::config")]
    pub config: ModelConfig,
    /// Batches trained since the start.
    pub steps: u64,
    /// The epoch in progress or next (1-based).
    pub epoch: usize,
    /// Batches per epoch.
    pub batches_per_epoch: usize,
    /// The learning rate of the next batch.
    pub learning_rate: f32,
    /// True while paused.
    pub paused: bool,
    /// Why training ended, once it has.
    #[serde(with = "crate::labs::mnist::wire::stop")]
    pub stop: Option<StopReason>,
    /// Which weights the model holds once training has ended.
    #[serde(with = "crate::labs::mnist::wire::kept")]
    pub kept: Option<Kept>,
    /// Every batch so far.
    pub batches: Vec<BatchPoint>,
    /// The names of the layers with weights (`0 conv2d`, `7 dense`, ...).
    pub weighted_layers: Vec<String>,
    /// Every batch's update-to-weight ratios (not the last batch of training, after which
    /// the kept weights are put back).
    pub update_ratios: Vec<RatioPoint>,
    /// The latest batch's step sizes `|new - old|` of every weight of each entry of
    /// [`MnistSnapshot::weighted_layers`], as the optimizer counted them (Adam's effective
    /// step sizes); empty before the first batch and for optimizers that do not count them.
    pub step_sizes: Vec<StepSizes>,
    /// The confusion matrix of the training predictions of the latest
    /// [`ROLLING_BATCHES`](crate::labs::mnist::session::ROLLING_BATCHES) batches (fewer at
    /// the start), updated with every batch.
    pub rolling: ConfusionMatrix,
    /// Batches in [`MnistSnapshot::rolling`].
    pub rolling_batches: usize,
    /// The finished epochs (validation metrics and the patience counter): every one, or
    /// every other one once more than [`MAX_EPOCHS_KEPT`](super::session::MAX_EPOCHS_KEPT)
    /// have finished. Shared between snapshots until the next epoch ends.
    #[serde(with = "crate::labs::run_file::shared")]
    pub epochs: Arc<Vec<EpochSummary>>,
    /// The step at which each finished epoch ended.
    pub epoch_steps: Vec<u64>,
    /// Every convolution's kernels now.
    pub filters: Vec<ConvFilters>,
    /// The latest validation pass (confusion matrix, embedding).
    #[serde(with = "crate::labs::run_file::shared::option")]
    pub validation: Option<Arc<ValidationPass>>,
    /// The chosen image through every layer.
    #[serde(with = "crate::labs::run_file::shared::option")]
    pub probe: Option<Arc<Probe>>,
    /// The validation images (the training images when there is no validation split).
    #[serde(with = "crate::labs::run_file::shared")]
    pub val: Arc<Dataset>,
    /// The outcome of the latest command that reports one (saving the model).
    pub message: Option<String>,
    /// Set when training stopped on an error.
    pub error: Option<String>,
}

impl crate::labs::timeline::Moment for MnistSnapshot {
    /// Batches trained.
    fn step(&self) -> u64 {
        self.steps
    }

    fn loss(&self) -> Option<f32> {
        MnistSnapshot::loss(self)
    }

    /// The series, filters and probe the snapshot holds a copy of (the validation pass, the
    /// epochs and the data are shared between snapshots).
    fn heap_bytes(&self) -> usize {
        let f = std::mem::size_of::<f32>();
        let filters: usize = self
            .filters
            .iter()
            .map(|c| (c.weights.len() + c.bias.len()) * f)
            .sum();
        let probe = self.probe.as_ref().map_or(0, |p| {
            p.layers.iter().map(|l| l.values.len() * f).sum::<usize>()
                + p.probabilities.len() * f
                + p.last_dense.as_ref().map_or(0, |d| d.inputs * 10 * f)
        });
        std::mem::size_of::<MnistSnapshot>()
            + self.batches.len() * std::mem::size_of::<BatchPoint>()
            + self.update_ratios.len() * std::mem::size_of::<RatioPoint>()
            + self.step_sizes.len() * std::mem::size_of::<crate::nn::optim::StepSizes>()
            + self.epoch_steps.len() * 8
            + filters
            + probe
    }

    fn run(&self) -> u64 {
        self.run
    }
}

impl MnistSnapshot {
    /// True once training has ended (completed, stopped early, diverged).
    pub fn finished(&self) -> bool {
        self.stop.is_some()
    }

    /// The latest smoothed batch loss.
    pub fn loss(&self) -> Option<f32> {
        self.batches.last().map(|b| b.smoothed_loss)
    }
}
