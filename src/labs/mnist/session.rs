//! `MnistSession`: the MNIST lab's training state, owned by its thread. It drives the same
//! [`Trainer`] as `netviz mnist train` (same config, data and seed give the same weights: the
//! session only calls [`Trainer::step`] and changes the learning rate when told), keeps the
//! per-batch curves, and after every validation pass (and when training ends) runs a
//! [`ValidationPass`] on a copy of the model for the confusion matrix and the embedding. Each
//! batch's update-to-weight ratios and step sizes are read from the trainer's optimizer, which
//! computes them inside its update.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::data::mnist::Mnist;
use crate::data::preprocess::Dataset;
use crate::labs::mnist::analysis::{
    self, ValidationPass, conv_filters, copy_weights, layer_weights, weight_param_indices,
};
use crate::labs::mnist::snapshot::{BatchPoint, MnistSnapshot, RatioPoint};
use crate::nn::config::ModelConfig;
use crate::nn::metrics::ConfusionMatrix;
use crate::nn::optim::StepSizes;
use crate::nn::{Sequential, io};
use crate::train::mnist::prepare;
use crate::train::{StepReport, TrainError, Trainer};

/// Training batches in the rolling confusion matrix.
pub const ROLLING_BATCHES: usize = 50;

/// Weight of the newest batch in the smoothed curves (an exponential moving average).
pub const SMOOTHING: f32 = 0.05;

/// What the lab trains: the config, the starting model and the data.
#[derive(Clone, Debug)]
pub struct MnistSetup {
    /// The config (training settings included).
    pub config: ModelConfig,
    /// The model as training starts (fresh from the config or with loaded weights).
    pub model: Sequential,
    /// The training images.
    pub train: Arc<Dataset>,
    /// The validation images.
    pub val: Arc<Dataset>,
    /// All of MNIST, to prepare new splits when a restart changes the seed, the data share
    /// or the input size (`None`: restarts keep `train` and `val`).
    pub source: Option<Arc<Mnist>>,
}

impl MnistSetup {
    /// The setup for `config` with a fresh model and, when the source is known, the data
    /// prepared as `netviz mnist train` prepares it for that config.
    pub fn restarted(&self, config: ModelConfig) -> Result<Self, TrainError> {
        let (train, val) = match &self.source {
            Some(mnist) => {
                let splits = prepare(&config, mnist)?;
                (Arc::new(splits.train), Arc::new(splits.val))
            }
            None => (Arc::clone(&self.train), Arc::clone(&self.val)),
        };
        Ok(MnistSetup {
            model: config.build()?,
            config,
            train,
            val,
            source: self.source.clone(),
        })
    }
}

/// A command from the UI.
#[derive(Clone, Debug, PartialEq)]
pub enum MnistCommand {
    /// Pauses or resumes training.
    TogglePause,
    /// Starts over from the starting model with the same seed.
    Reset,
    /// Changes the learning rate from the next batch on.
    SetLearningRate(f32),
    /// Shows validation image `index` in the activation view.
    SelectImage(usize),
    /// Shows a drawing (already preprocessed to the model's input size) in the activation
    /// view.
    ShowDrawing(Vec<f32>),
    /// Starts over with new settings (epochs, batch size, optimizer, seed, data share, input
    /// size, ...): a fresh model and freshly prepared data, as `netviz mnist train` would.
    Restart(Box<ModelConfig>),
    /// Writes the model as it is now (safetensors with its config) to this path, and the
    /// finished epochs' summaries beside it as `<stem>.metrics.json`.
    SaveModel(std::path::PathBuf),
    /// Loads a model file (weights and config) and shows it, paused: the views then show that
    /// model, and resuming trains it further with its own config. A file that cannot be read
    /// or does not fit MNIST leaves the session as it was and says why.
    LoadModel(std::path::PathBuf),
    /// Puts the bytes of the model file "Save model" would write now, with a snapshot of the
    /// same moment, into the reply (to save the run with its model).
    EncodeModel(ModelReply),
}

/// What [`MnistCommand::EncodeModel`] answers: a snapshot and the model file's bytes of the
/// same moment, or why the model could not be encoded.
pub type EncodedModel = Result<(Arc<MnistSnapshot>, Vec<u8>), String>;

/// Where the lab thread puts its answer to [`MnistCommand::EncodeModel`]; clones share it.
#[derive(Clone, Default)]
pub struct ModelReply(Arc<Mutex<Option<EncodedModel>>>);

impl ModelReply {
    /// Puts the answer.
    pub fn put(&self, answer: EncodedModel) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(answer);
    }

    /// Waits up to `timeout` for the answer.
    pub fn wait(&self, timeout: Duration) -> Option<EncodedModel> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(answer) = self.0.lock().unwrap_or_else(PoisonError::into_inner).take() {
                return Some(answer);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

impl PartialEq for ModelReply {
    /// The same reply slot.
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for ModelReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ModelReply")
    }
}

/// The training state of the lab (see the module documentation).
#[derive(Debug)]
pub struct MnistSession {
    setup: MnistSetup,
    trainer: Trainer,
    probe_model: Sequential,
    paused: bool,
    steps: u64,
    batches: Vec<BatchPoint>,
    update_ratios: Vec<RatioPoint>,
    step_sizes: Vec<StepSizes>,
    /// (true, predicted) classes of the latest [`ROLLING_BATCHES`] batches, oldest first.
    recent: VecDeque<Vec<(u8, u8)>>,
    epoch_steps: Vec<u64>,
    /// The trainer's history as the snapshots share it.
    epochs: Arc<Vec<crate::train::EpochSummary>>,
    validation: Option<Arc<ValidationPass>>,
    selected: usize,
    drawing: Option<Vec<f32>>,
    message: Option<String>,
    error: Option<String>,
    /// Restarts and loads so far (each starts a new run on the timeline).
    run: u64,
}

impl MnistSession {
    /// A session about to train `setup` (starting paused when `paused`).
    pub fn new(setup: MnistSetup, paused: bool) -> Result<Self, TrainError> {
        let trainer = Trainer::new(
            setup.config.clone(),
            setup.model.clone(),
            (*setup.train).clone(),
            (*setup.val).clone(),
        )?;
        let mut session = MnistSession {
            probe_model: setup.model.clone(),
            setup,
            trainer,
            paused,
            steps: 0,
            batches: Vec::new(),
            update_ratios: Vec::new(),
            step_sizes: Vec::new(),
            recent: VecDeque::with_capacity(ROLLING_BATCHES),
            epoch_steps: Vec::new(),
            epochs: Arc::new(Vec::new()),
            validation: None,
            selected: 0,
            drawing: None,
            message: None,
            error: None,
            run: 0,
        };
        session.revalidate();
        Ok(session)
    }

    /// Shows `message` in the side panel (with the next snapshot).
    pub fn set_message(&mut self, message: String) {
        self.message = Some(message);
    }

    /// The trainer (for tests and the command line).
    pub fn trainer(&self) -> &Trainer {
        &self.trainer
    }

    /// True while batches remain and training is not paused.
    pub fn is_running(&self) -> bool {
        !self.paused && self.trainer.stop_reason().is_none() && self.error.is_none()
    }

    /// Applies a UI command.
    pub fn apply(&mut self, command: MnistCommand) -> Result<(), TrainError> {
        match command {
            MnistCommand::TogglePause => self.paused = !self.paused,
            MnistCommand::SetLearningRate(lr) => self.trainer.set_learning_rate(lr),
            MnistCommand::SelectImage(i) => {
                self.selected = i;
                self.drawing = None;
            }
            MnistCommand::ShowDrawing(pixels) => self.drawing = Some(pixels),
            MnistCommand::Restart(config) => {
                let setup = self.setup.restarted(*config)?;
                let fresh = MnistSession::new(setup, self.paused)?;
                let selected = self.selected;
                *self = fresh;
                self.selected = selected;
            }
            MnistCommand::SaveModel(path) => {
                self.message = Some(match self.save(&path) {
                    Ok(()) => format!("saved {}", path.display()),
                    Err(e) => format!("not saved: {e}"),
                });
            }
            MnistCommand::LoadModel(path) => match self.loaded(&path) {
                Ok(fresh) => {
                    let (selected, run) = (self.selected, self.run + 1);
                    *self = fresh;
                    self.selected = selected;
                    self.run = run;
                    self.message = Some(format!("loaded {}", path.display()));
                }
                Err(e) => self.message = Some(format!("not loaded: {e}")),
            },
            MnistCommand::EncodeModel(reply) => {
                let bytes = io::encode_model(
                    std::path::Path::new("the MNIST model"),
                    &self.setup.config,
                    self.trainer.model(),
                )
                .map_err(|e| e.to_string());
                reply.put(bytes.map(|bytes| (Arc::new(self.snapshot()), bytes)));
            }
            MnistCommand::Reset => {
                let fresh = MnistSession::new(self.setup.clone(), self.paused)?;
                let (selected, drawing) = (self.selected, self.drawing.take());
                let run = self.run + 1;
                *self = fresh;
                self.selected = selected;
                self.drawing = drawing;
                self.run = run;
            }
        }
        Ok(())
    }

    /// A paused session on the model in `path`, its data prepared from the file's config.
    fn loaded(&self, path: &std::path::Path) -> Result<MnistSession, TrainError> {
        let (config, model) = io::load_model(path)?;
        let mut setup = self.setup.restarted(config)?;
        setup.model = model;
        MnistSession::new(setup, true)
    }

    fn save(&self, path: &std::path::Path) -> Result<(), TrainError> {
        let history = self.trainer.history();
        io::save_model_with_metrics(path, &self.setup.config, self.trainer.model(), |sha| {
            let record = serde_json::json!({ "model_sha256": sha, "epochs": history });
            serde_json::to_vec_pretty(&record)
                .map_err(|e| crate::nn::NnError::Config(format!("encoding the metrics: {e}")))
        })?;
        Ok(())
    }

    /// Trains one batch when running; returns its report.
    pub fn step(&mut self) -> Option<StepReport> {
        if !self.is_running() {
            return None;
        }
        let report = match self.trainer.step() {
            Ok(r) => r,
            Err(e) => {
                self.error = Some(e.to_string());
                return None;
            }
        };
        if let Some(b) = &report.batch {
            self.steps += 1;
            self.record_batch(b);
            self.record_predictions();
            let optimizer = self.trainer.optimizer();
            let weights = weight_param_indices(self.trainer.model());
            self.step_sizes.clear();
            self.step_sizes.extend(
                weights
                    .iter()
                    .filter_map(|&i| optimizer.last_step_sizes(i).cloned()),
            );
            if report.stop.is_none() {
                let ratios = Arc::new(
                    weights
                        .iter()
                        .filter_map(|&i| optimizer.last_update_ratio(i))
                        .collect(),
                );
                push_bounded(
                    &mut self.update_ratios,
                    RatioPoint {
                        step: self.steps,
                        ratios,
                    },
                );
            }
        }
        if report.epoch.is_some() {
            self.epoch_steps.push(self.steps);
            if self.epoch_steps.len() > MAX_EPOCHS_KEPT {
                self.trainer.thin_history();
                crate::train::thin(&mut self.epoch_steps);
            }
            self.epochs = Arc::new(self.trainer.history().to_vec());
        }
        if report.epoch.is_some() || report.stop.is_some() {
            self.revalidate();
        }
        Some(report)
    }

    fn record_batch(&mut self, b: &crate::train::BatchReport) {
        let batch_size = self.setup.config.batch_size;
        let train_len = self.trainer.train_data().len();
        let seen = |k: usize| (k * batch_size).min(train_len) as f64;
        // The batch's own accuracy, from the running accuracy before and after it.
        let before = self
            .batches
            .last()
            .filter(|p| p.epoch == b.epoch)
            .map_or(0.0, |p| p.running_accuracy * seen(b.batch - 1));
        let in_batch = (seen(b.batch) - seen(b.batch - 1)).max(1.0);
        let accuracy = ((b.running_accuracy * seen(b.batch) - before) / in_batch) as f32;
        let (smooth_loss, smooth_acc) = match self.batches.last() {
            Some(p) => (
                p.smoothed_loss + SMOOTHING * (b.loss - p.smoothed_loss),
                p.smoothed_accuracy + SMOOTHING * (accuracy - p.smoothed_accuracy),
            ),
            None => (b.loss, accuracy),
        };
        push_bounded(
            &mut self.batches,
            BatchPoint {
                step: self.steps,
                epoch: b.epoch,
                loss: b.loss,
                accuracy,
                running_accuracy: b.running_accuracy,
                smoothed_loss: smooth_loss,
                smoothed_accuracy: smooth_acc,
                learning_rate: b.learning_rate,
            },
        );
    }

    /// Keeps the latest batch's (true, predicted) classes, dropping the oldest batch's once
    /// [`ROLLING_BATCHES`] are kept (its buffer is reused).
    fn record_predictions(&mut self) {
        let mut pairs = if self.recent.len() >= ROLLING_BATCHES {
            self.recent.pop_front().unwrap_or_default()
        } else {
            Vec::new()
        };
        pairs.clear();
        let (indices, preds) = self.trainer.last_batch();
        let labels = &self.trainer.train_data().labels;
        pairs.extend(
            indices
                .iter()
                .zip(preds)
                .map(|(&i, &p)| (labels[i], p as u8)),
        );
        self.recent.push_back(pairs);
    }

    /// The confusion matrix of the kept batches' predictions.
    pub fn rolling_confusion(&self) -> ConfusionMatrix {
        let mut m = ConfusionMatrix::new(self.setup.config.num_classes);
        for &(t, p) in self.recent.iter().flatten() {
            // Labels and predictions are below the class count (the trainer checked both).
            let _ = m.add(usize::from(t), usize::from(p));
        }
        m
    }

    /// Recomputes the validation pass on the current weights.
    fn revalidate(&mut self) {
        copy_weights(&mut self.probe_model, self.trainer.model());
        let classes = self.setup.config.num_classes;
        match analysis::validation_pass(&mut self.probe_model, &self.setup.val, classes) {
            Ok(v) => self.validation = Some(Arc::new(v)),
            Err(e) => self.error = Some(format!("validation pass: {e}")),
        }
    }

    /// Everything the views show now.
    pub fn snapshot(&mut self) -> MnistSnapshot {
        copy_weights(&mut self.probe_model, self.trainer.model());
        let data = if self.setup.val.is_empty() {
            &self.setup.train
        } else {
            &self.setup.val
        };
        let probe = match &self.drawing {
            Some(pixels) => analysis::probe_pixels(&mut self.probe_model, pixels),
            None => analysis::probe(&mut self.probe_model, data, self.selected),
        };
        let probe = probe
            .map(Arc::new)
            .map_err(|e| self.error.get_or_insert(format!("probe: {e}")).clone())
            .ok();
        MnistSnapshot {
            config: self.setup.config.clone(),
            run: self.run,
            steps: self.steps,
            epoch: self.trainer.epoch(),
            batches_per_epoch: self.trainer.batches_per_epoch(),
            learning_rate: self.trainer.learning_rate(),
            paused: self.paused,
            stop: self.trainer.stop_reason().cloned(),
            kept: self.trainer.kept(),
            batches: self.batches.clone(),
            weighted_layers: layer_weights(self.trainer.model())
                .into_iter()
                .map(|(_, name, _)| name)
                .collect(),
            update_ratios: self.update_ratios.clone(),
            step_sizes: self.step_sizes.clone(),
            rolling: self.rolling_confusion(),
            rolling_batches: self.recent.len(),
            epochs: Arc::clone(&self.epochs),
            epoch_steps: self.epoch_steps.clone(),
            filters: conv_filters(self.trainer.model()),
            validation: self.validation.clone(),
            probe,
            val: Arc::clone(data),
            message: self.message.clone(),
            error: self.error.clone(),
        }
    }
}

/// Per-batch points kept at most: a lab left training for hours keeps its memory flat, and
/// each snapshot (20 a second) copies at most this many.
pub const MAX_SERIES_POINTS: usize = 10_000;

/// Finished epochs kept at most; beyond, every other one is dropped (see
/// [`Trainer::thin_history`](crate::train::Trainer::thin_history)).
pub const MAX_EPOCHS_KEPT: usize = 2_000;

/// Appends `point`; a full series first drops every other point (the newest kept), so it
/// spans the whole run at half the resolution. Points carry their step, so plots stay true.
fn push_bounded<T>(series: &mut Vec<T>, point: T) {
    use crate::train::thin;
    if series.len() >= MAX_SERIES_POINTS {
        thin(series);
    }
    series.push(point);
}

#[cfg(test)]
mod bounded_tests {
    use super::*;

    #[test]
    fn a_full_series_halves_and_keeps_the_newest_point() {
        let mut series: Vec<usize> = (0..MAX_SERIES_POINTS).collect();
        push_bounded(&mut series, MAX_SERIES_POINTS);
        assert_eq!(series.len(), MAX_SERIES_POINTS / 2 + 1);
        assert_eq!(series[series.len() - 2], MAX_SERIES_POINTS - 1);
        assert_eq!(series.last(), Some(&MAX_SERIES_POINTS));
        assert!(series.windows(2).all(|w| w[0] < w[1]));
        let mut odd = vec![1, 2, 3, 4, 5];
        crate::train::thin(&mut odd);
        assert_eq!(odd, [1, 3, 5]);
    }
}
