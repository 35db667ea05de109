//! [`Trainer`]: mini-batch training of a classifier with validation, early stopping and the
//! best weights kept, advanced one batch per [`Trainer::step`].
//!
//! One epoch: shuffle the training set (seeded), run its batches (`batch_size`, the last one
//! possibly smaller) through forward, the cross-entropy loss, backward and the optimizer,
//! keeping a running loss and confusion matrix; then evaluate on a fresh random
//! `validation_subset_ratio` share of the validation set (seeded), and feed its loss to
//! [`EarlyStopping`]. The weights of the best epoch are copied aside and put back into the
//! model when training ends, whatever the reason ([`StopReason`]):
//! - all epochs done, or `patience` epochs without improvement;
//! - the stop flag ([`Trainer::stop_flag`], e.g. set by Ctrl-C or a UI button), honoured
//!   before the next batch: before any epoch has ended the weights after the last batch are
//!   kept (see [`Kept`]);
//! - a non-finite loss (usually a learning rate that is too high): the best weights so far, or
//!   the initial ones if no epoch ended, are kept, and nothing panics.
//!
//! Without a validation split every finished epoch counts as the best one so far.
//!
//! Reproducibility: the shuffles and validation subsets come from generators seeded with
//! `config.seed`, so the same config, data and thread count give the same weights.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rand::seq::SliceRandom;

use crate::data::preprocess::Dataset;
use crate::nn::config::ModelConfig;
use crate::nn::init::{NnRng, rng_from_seed};
use crate::nn::metrics::{ConfusionMatrix, argmax_into};
use crate::nn::{Loss, NnError, Optimizer, Result, Sequential, Tensor};
use crate::train::TrainError;
use crate::train::early_stopping::{EarlyStopping, Verdict};
use crate::train::evaluate::{EVAL_BATCH, evaluate};
use crate::train::report::{BatchReport, EpochSummary, Kept, StepReport, StopReason};

/// Mixed into the seed of the per-epoch shuffles.
const SHUFFLE_SALT: u64 = 0x5348_5546_464C_4531;
/// Mixed into the seed of the validation subsets.
const VALIDATION_SALT: u64 = 0x5641_4C49_4441_5431;

#[derive(Clone, Debug)]
struct Best {
    epoch: usize,
    val_loss: Option<f64>,
    weights: Vec<Tensor>,
}

/// Trains a classifier on image datasets one batch at a time (see the module documentation).
#[derive(Debug)]
pub struct Trainer {
    config: ModelConfig,
    model: Sequential,
    optimizer: Box<dyn Optimizer>,
    train: Dataset,
    val: Dataset,
    stop: Arc<AtomicBool>,
    shuffle_rng: NnRng,
    val_rng: NnRng,
    order: Vec<usize>,
    /// Position in `order` of the next batch.
    cursor: usize,
    /// The epoch in progress or next (1-based).
    epoch: usize,
    /// Batches done in the current epoch.
    batch: usize,
    epoch_secs: f64,
    loss_sum: f64,
    samples: usize,
    running: ConfusionMatrix,
    x: Tensor,
    y: Tensor,
    batch_idx: Vec<usize>,
    preds: Vec<usize>,
    early: EarlyStopping,
    best: Option<Best>,
    initial: Vec<Tensor>,
    history: Vec<EpochSummary>,
    finished: Option<StopReason>,
    kept: Option<Kept>,
}

/// Copies of every parameter value, in order.
fn snapshot(model: &Sequential) -> Vec<Tensor> {
    model.params().map(|(_, p)| p.value.clone()).collect()
}

/// Copies `weights` (from [`snapshot`] of the same model) back into `model`.
fn restore(model: &mut Sequential, weights: &[Tensor]) {
    let mut source = weights.iter();
    for layer in model.layers_mut() {
        for p in layer.params_mut() {
            if let Some(w) = source.next() {
                p.value.copy_from(w);
            }
        }
    }
}

impl Trainer {
    /// A trainer for `model` (built from `config`, possibly with loaded weights) on `train`,
    /// validating on `val` (may be empty). Training settings come from `config`: epochs,
    /// patience, batch size, validation subset ratio, classes, optimizer, learning rate, seed.
    pub fn new(
        config: ModelConfig,
        model: Sequential,
        train: Dataset,
        val: Dataset,
    ) -> std::result::Result<Self, TrainError> {
        config.validate()?;
        let classes = config.num_classes;
        if model.output_shape() != [classes] {
            return Err(TrainError::Setup(format!(
                "the model outputs {:?} but the config has {classes} classes",
                model.output_shape()
            )));
        }
        if train.is_empty() {
            return Err(TrainError::Setup("the training set is empty".into()));
        }
        for (name, data) in [("training", &train), ("validation", &val)] {
            if !data.is_empty() && model.input_shape() != [1, data.side, data.side] {
                return Err(TrainError::Setup(format!(
                    "the model takes inputs {:?} but the {name} images are 1x{}x{}",
                    model.input_shape(),
                    data.side,
                    data.side
                )));
            }
            if let Some(&bad) = data.labels.iter().find(|&&l| usize::from(l) >= classes) {
                return Err(TrainError::Setup(format!(
                    "the {name} set has label {bad}, but the model has {classes} classes"
                )));
            }
        }
        let optimizer = config.optimizer.build(config.learning_rate);
        let initial = snapshot(&model);
        Ok(Trainer {
            shuffle_rng: rng_from_seed(config.seed ^ SHUFFLE_SALT),
            val_rng: rng_from_seed(config.seed ^ VALIDATION_SALT),
            early: EarlyStopping::new(config.patience),
            running: ConfusionMatrix::new(classes),
            order: Vec::with_capacity(train.len()),
            config,
            model,
            optimizer,
            train,
            val,
            stop: Arc::new(AtomicBool::new(false)),
            cursor: 0,
            epoch: 1,
            batch: 0,
            epoch_secs: 0.0,
            loss_sum: 0.0,
            samples: 0,
            x: Tensor::default(),
            y: Tensor::default(),
            batch_idx: Vec::new(),
            preds: Vec::new(),
            best: None,
            initial,
            history: Vec::new(),
            finished: None,
            kept: None,
        })
    }

    /// The flag that stops training before the next batch; clone it into a signal handler or
    /// a UI.
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        self.stop.clone()
    }

    /// Uses `flag` as the stop flag (e.g. one a Ctrl-C handler already holds).
    pub fn set_stop_flag(&mut self, flag: Arc<AtomicBool>) {
        self.stop = flag;
    }

    /// The config training follows.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// The model (its activations are those of the latest batch or evaluation).
    pub fn model(&self) -> &Sequential {
        &self.model
    }

    /// The model, consuming the trainer (after training: the kept weights).
    pub fn into_model(self) -> Sequential {
        self.model
    }

    /// The training set.
    pub fn train_data(&self) -> &Dataset {
        &self.train
    }

    /// The validation set.
    pub fn val_data(&self) -> &Dataset {
        &self.val
    }

    /// The learning rate of the next batch.
    pub fn learning_rate(&self) -> f32 {
        self.optimizer.learning_rate()
    }

    /// The optimizer, with its statistics of the latest step: each parameter's
    /// [`Optimizer::last_update_ratio`] and [`Optimizer::last_step_sizes`], indexed as
    /// [`Sequential::apply_gradients`] numbers the parameters.
    pub fn optimizer(&self) -> &dyn Optimizer {
        self.optimizer.as_ref()
    }

    /// The latest training batch: the indices of its images in the training set and the class
    /// the model predicted for each (before that batch's update); empty before the first.
    pub fn last_batch(&self) -> (&[usize], &[usize]) {
        (&self.batch_idx, &self.preds)
    }

    /// Changes the learning rate from the next batch on (optimizer state is kept). Ignores
    /// values that are not positive and finite.
    pub fn set_learning_rate(&mut self, lr: f32) {
        if lr.is_finite() && lr > 0.0 {
            self.optimizer.set_learning_rate(lr);
        }
    }

    /// The epoch in progress or next (1-based).
    pub fn epoch(&self) -> usize {
        self.epoch
    }

    /// Batches per epoch.
    pub fn batches_per_epoch(&self) -> usize {
        self.train.len().div_ceil(self.config.batch_size.max(1))
    }

    /// Summaries of the finished epochs.
    pub fn history(&self) -> &[EpochSummary] {
        &self.history
    }

    /// Keeps every other finished epoch's summary (the newest kept), for a session that
    /// trains without end and must keep its memory flat; early stopping does not read the
    /// history, so training is unchanged.
    pub fn thin_history(&mut self) {
        thin(&mut self.history);
    }

    /// The best epoch so far and its validation loss.
    pub fn best_epoch(&self) -> Option<(usize, Option<f64>)> {
        self.best.as_ref().map(|b| (b.epoch, b.val_loss))
    }

    /// Why training ended, once it has.
    pub fn stop_reason(&self) -> Option<&StopReason> {
        self.finished.as_ref()
    }

    /// Which weights the model holds, once training has ended.
    pub fn kept(&self) -> Option<Kept> {
        self.kept
    }

    /// Runs steps until training ends, calling `on_step` after each; returns why it ended.
    pub fn run(&mut self, mut on_step: impl FnMut(&StepReport)) -> Result<StopReason> {
        loop {
            let report = self.step()?;
            on_step(&report);
            if let Some(reason) = report.stop {
                return Ok(reason);
            }
        }
    }

    /// Trains one batch; at the end of an epoch also validates and decides whether to go on.
    /// Errors are the training core's (shapes, labels); a non-finite loss is not an error but
    /// a [`StopReason::Diverged`].
    pub fn step(&mut self) -> Result<StepReport> {
        if let Some(reason) = &self.finished {
            return Ok(StepReport {
                batch: None,
                epoch: None,
                stop: Some(reason.clone()),
            });
        }
        if self.stop.load(Ordering::Relaxed) {
            return Ok(self.finish(StopReason::Interrupted {
                epoch: self.epoch,
                batch: self.batch,
            }));
        }
        let started = Instant::now();
        if self.batch == 0 {
            self.begin_epoch();
        }
        let classes = self.config.num_classes;
        let end = (self.cursor + self.config.batch_size).min(self.order.len());
        self.batch_idx.clear();
        self.batch_idx
            .extend_from_slice(&self.order[self.cursor..end]);
        self.train
            .batch(&self.batch_idx, classes, &mut self.x, &mut self.y);
        let loss = match self
            .model
            .loss_and_grads(&self.x, &self.y, Loss::CrossEntropy)
        {
            Ok(v) => v,
            Err(NnError::NonFinite { .. }) => {
                return Ok(self.finish(StopReason::Diverged {
                    epoch: self.epoch,
                    batch: self.batch + 1,
                    stage: "training",
                    learning_rate: self.learning_rate(),
                }));
            }
            Err(e) => return Err(e),
        };
        let learning_rate = self.learning_rate();
        self.model.apply_gradients(self.optimizer.as_mut());
        self.record_batch(loss)?;
        self.cursor = end;
        self.batch += 1;
        let running = self.running.metrics();
        let batch = BatchReport {
            epoch: self.epoch,
            epochs: self.config.epochs,
            batch: self.batch,
            batches: self.batches_per_epoch(),
            loss,
            running_loss: self.loss_sum / self.samples.max(1) as f64,
            running_accuracy: running.accuracy,
            running_macro_precision: running.macro_precision,
            running_macro_f1: running.macro_f1,
            learning_rate,
        };
        if self.cursor < self.order.len() {
            self.epoch_secs += started.elapsed().as_secs_f64();
            return Ok(StepReport {
                batch: Some(batch),
                epoch: None,
                stop: None,
            });
        }
        let mut report = self.end_epoch(started)?;
        report.batch = Some(batch);
        Ok(report)
    }

    /// Shuffles the training order and clears the running figures.
    fn begin_epoch(&mut self) {
        self.order.clear();
        self.order.extend(0..self.train.len());
        self.order.shuffle(&mut self.shuffle_rng);
        self.cursor = 0;
        self.epoch_secs = 0.0;
        self.loss_sum = 0.0;
        self.samples = 0;
        self.running.clear();
    }

    /// Adds the latest batch's loss and predictions to the running figures.
    fn record_batch(&mut self, loss: f32) -> Result<()> {
        let n = self.batch_idx.len();
        self.loss_sum += f64::from(loss) * n as f64;
        self.samples += n;
        let out = self
            .model
            .activations()
            .last()
            .ok_or_else(|| NnError::Config("model has no output".into()))?;
        argmax_into(out, &mut self.preds)?;
        for (&i, &p) in self.batch_idx.iter().zip(&self.preds) {
            self.running.add(usize::from(self.train.labels[i]), p)?;
        }
        Ok(())
    }

    /// The indices of a fresh random validation subset (all of it for a ratio of 1).
    fn validation_subset(&mut self) -> Vec<usize> {
        let n = self.val.len();
        let k = ((self.config.validation_subset_ratio * n as f64).round() as usize).clamp(1, n);
        let mut idx: Vec<usize> = (0..n).collect();
        if k < n {
            idx.shuffle(&mut self.val_rng);
            idx.truncate(k);
            idx.sort_unstable();
        }
        idx
    }

    /// Validates, applies early stopping and records the epoch's summary.
    fn end_epoch(&mut self, started: Instant) -> Result<StepReport> {
        let epoch = self.epoch;
        let validation = if self.val.is_empty() {
            None
        } else {
            let idx = self.validation_subset();
            Some(evaluate(
                &mut self.model,
                &self.val,
                Some(&idx),
                self.config.num_classes,
                EVAL_BATCH,
            )?)
        };
        if validation.as_ref().is_some_and(|v| !v.loss.is_finite()) {
            return Ok(self.finish(StopReason::Diverged {
                epoch,
                batch: self.batch,
                stage: "validation",
                learning_rate: self.learning_rate(),
            }));
        }
        let verdict = match &validation {
            Some(v) => self.early.record(epoch, v.loss),
            None => Verdict {
                improved: true,
                epochs_without_improvement: 0,
                stop: false,
            },
        };
        if verdict.improved {
            let val_loss = validation.as_ref().map(|v| v.loss);
            match &mut self.best {
                Some(best) => {
                    save_into(&mut best.weights, &self.model);
                    best.epoch = epoch;
                    best.val_loss = val_loss;
                }
                None => {
                    self.best = Some(Best {
                        epoch,
                        val_loss,
                        weights: snapshot(&self.model),
                    });
                }
            }
        }
        let train = self.running.metrics();
        let summary = EpochSummary {
            epoch,
            train_loss: self.loss_sum / self.samples.max(1) as f64,
            train_accuracy: train.accuracy,
            train_macro_precision: train.macro_precision,
            train_macro_f1: train.macro_f1,
            validation,
            improved: verdict.improved,
            epochs_without_improvement: verdict.epochs_without_improvement,
            patience: self.config.patience,
            wall_secs: self.epoch_secs + started.elapsed().as_secs_f64(),
            learning_rate: self.learning_rate(),
        };
        self.history.push(summary.clone());
        self.epoch += 1;
        self.batch = 0;
        self.cursor = 0;
        let stop = if verdict.stop {
            Some(StopReason::EarlyStopped {
                epoch,
                patience: self.config.patience,
            })
        } else if epoch >= self.config.epochs {
            Some(StopReason::Completed { epochs: epoch })
        } else {
            None
        };
        let mut report = match stop {
            Some(reason) => self.finish(reason),
            None => StepReport {
                batch: None,
                epoch: None,
                stop: None,
            },
        };
        report.epoch = Some(summary);
        Ok(report)
    }

    /// Ends training: puts the kept weights into the model and remembers why it ended.
    fn finish(&mut self, reason: StopReason) -> StepReport {
        let kept = match (&self.best, &reason) {
            (Some(best), _) => {
                restore(&mut self.model, &best.weights);
                Kept::Epoch {
                    epoch: best.epoch,
                    val_loss: best.val_loss,
                }
            }
            (None, StopReason::Diverged { .. }) => {
                restore(&mut self.model, &self.initial);
                Kept::Initial
            }
            (None, _) => Kept::LastBatch,
        };
        self.kept = Some(kept);
        self.finished = Some(reason.clone());
        StepReport {
            batch: None,
            epoch: None,
            stop: Some(reason),
        }
    }
}

/// Copies the model's current parameter values into `weights` (a [`snapshot`] of it).
fn save_into(weights: &mut [Tensor], model: &Sequential) {
    for (w, (_, p)) in weights.iter_mut().zip(model.params()) {
        w.copy_from(&p.value);
    }
}

/// Drops every other element of `series`, keeping the last, so a long record keeps its
/// whole span at half the resolution.
pub fn thin<T>(series: &mut Vec<T>) {
    let last = series.len().saturating_sub(1);
    let mut index = 0;
    series.retain(|_| {
        let keep = (last - index).is_multiple_of(2);
        index += 1;
        keep
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trainer_can_move_to_another_thread() {
        fn is_send<T: Send>() {}
        is_send::<Trainer>();
    }
}
