//! `AttentionSession`: the attention lab's state on its thread. It trains the transformer on
//! the chosen task one batch at a time, scores it on held-out sequences (with the heads the
//! user switched off), records the curves and, at moments of training, every head's attention
//! map on a fixed probe (the filmstrip), and publishes the model itself so the UI can trace any
//! sequence the user types. Pure and synchronous: the lab thread owns it.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::data::tasks::{Probe, Task, TaskKind};
use crate::labs::thread::{Session, Step};
use crate::nn::init::{NnRng, rng_from_seed};
use crate::nn::optim::{Adam, AdamConfig, Optimizer};
use crate::nn::transformer::{
    BatchStats, HeadMask, SeqBatch, Transformer, TransformerConfig, warmup_lr,
};

/// Held-out sequences scored at every evaluation (modular addition: its held-out pairs).
pub const HELD_OUT: usize = 1000;
/// Held-out sequences used to measure what each head is worth.
pub const KNOCKOUT_SEQUENCES: usize = 200;
/// Training steps between evaluations during the first [`EARLY_STEPS`] (where the jumps
/// happen), and after them.
pub const EVAL_EVERY: (u64, u64) = (25, 100);
/// See [`EVAL_EVERY`].
pub const EARLY_STEPS: u64 = 1000;
/// Training steps between two measures of every head's worth (each costs one evaluation per
/// head on [`KNOCKOUT_SEQUENCES`] sequences).
pub const KNOCKOUT_EVERY: u64 = 100;
/// Filmstrip frames kept; beyond it every other frame is dropped and frames are taken half
/// as often, so the strip always spans the whole run.
pub const MAX_FRAMES: usize = 48;
/// Curve points kept; beyond it every other point is dropped.
pub const MAX_CURVE: usize = 4000;

/// Everything the user sets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttentionSettings {
    /// The task.
    pub task: TaskKind,
    /// Blocks.
    pub layers: usize,
    /// Heads per block.
    pub heads: usize,
    /// Model width.
    pub width: usize,
    /// Adam's learning rate after warm-up.
    pub learning_rate: f32,
    /// Steps of linear warm-up.
    pub warmup: u64,
    /// Sequences per step.
    pub batch: usize,
    /// Seed of the weights, the batches and the held-out sequences.
    pub seed: u64,
    /// Stop after this many steps (`None`: train until paused).
    pub max_steps: Option<u64>,
    /// Lower the learning rate along a half cosine to zero at `max_steps` (after the
    /// warm-up), so a run of known length ends settled instead of at full step size.
    pub decay: bool,
    /// Decoupled weight decay (AdamW): after each step every matrix (the linear layers' and
    /// the embeddings' weights; not biases or LayerNorms) shrinks by `lr * weight_decay`.
    pub weight_decay: f32,
}

impl Default for AttentionSettings {
    /// Workload T's model on the sort task.
    fn default() -> Self {
        let t = TransformerConfig::workload_t();
        AttentionSettings {
            task: TaskKind::Sort,
            layers: t.layers,
            heads: t.heads,
            width: t.width,
            learning_rate: 1e-3,
            warmup: 50,
            batch: 32,
            seed: 0,
            max_steps: None,
            decay: false,
            weight_decay: 0.0,
        }
    }
}

impl AttentionSettings {
    /// The learning rate of step `step` (counted from 0): the warm-up, then the base rate,
    /// or with [`decay`](Self::decay) a half cosine down to zero at `max_steps`.
    pub fn learning_rate_at(&self, step: u64) -> f32 {
        let lr = warmup_lr(self.learning_rate, step, self.warmup);
        match self.max_steps {
            Some(total) if self.decay && total > self.warmup && step >= self.warmup => {
                let done = (step - self.warmup) as f64 / (total - self.warmup) as f64;
                (f64::from(lr) * 0.5 * (1.0 + (std::f64::consts::PI * done.min(1.0)).cos())) as f32
            }
            _ => lr,
        }
    }

    /// The model config for these settings and `task` (its vocabulary and length).
    pub fn model_config(&self, task: &Task) -> TransformerConfig {
        TransformerConfig {
            vocab: task.vocab(),
            context: task.len(),
            width: self.width,
            heads: self.heads,
            layers: self.layers,
        }
    }
}

/// What the UI asks of the lab.
#[derive(Clone, Debug, PartialEq)]
pub enum AttentionCommand {
    /// Stop or continue training.
    SetPaused(bool),
    /// Train `n` steps now (even while paused).
    Step(u64),
    /// The learning rate from the next step on.
    SetLearningRate(f32),
    /// Start over with these settings.
    Restart(Box<AttentionSettings>),
    /// Which heads are on (evaluation and the views; training always uses every head).
    SetHeads(HeadMask),
    /// The probe the filmstrip records (it starts over).
    SetProbe(Probe),
    /// Write the model to a file.
    Save(PathBuf),
    /// Replace the model with one read from a file (it must fit the task).
    Load(PathBuf),
}

/// One point of the curves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Steps trained.
    pub step: u64,
    /// The training batch's loss.
    pub loss: f32,
    /// The training batch's token accuracy.
    pub train_token: f32,
    /// The training batch's exact-sequence accuracy.
    pub train_exact: f32,
}

/// One evaluation on the held-out sequences.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EvalPoint {
    /// Steps trained.
    pub step: u64,
    /// Every head on.
    pub all_on: BatchStats,
}

/// Every head's attention map on the probe at one moment of training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    /// Steps trained.
    pub step: u64,
    /// `layers x heads x T x T` weights (see [`crate::nn::transformer::LayerTrace`]).
    pub weights: Vec<f32>,
}

/// What the views draw. A run file writes the values snapshots share (the task, the
/// evaluations, the heads' worth, each frame of the filmstrip) once.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AttentionSnapshot {
    /// Which run (a restart or a load starts a new one).
    pub run: u64,
    /// The settings of this run.
    pub settings: AttentionSettings,
    /// The task.
    #[serde(with = "crate::labs::run_file::shared")]
    pub task: Arc<Task>,
    /// The model now (the UI traces sequences with it).
    #[serde(with = "model_values")]
    pub model: Arc<Transformer>,
    /// Steps trained.
    pub step: u64,
    /// The learning rate of the latest step (after warm-up).
    pub learning_rate: f32,
    /// Training batches' curves.
    #[serde(with = "crate::labs::run_file::shared")]
    pub curve: Arc<Vec<CurvePoint>>,
    /// Held-out evaluations (shared between snapshots until the next one).
    #[serde(with = "crate::labs::run_file::shared")]
    pub evals: Arc<Vec<EvalPoint>>,
    /// The latest held-out score with the heads as the user set them.
    pub held: BatchStats,
    /// The latest held-out score with every head on.
    pub held_all_on: BatchStats,
    /// For every head (layer-major), the held-out exact accuracy on
    /// [`KNOCKOUT_SEQUENCES`] sequences with only that head off, and with every head on.
    #[serde(with = "crate::labs::run_file::shared")]
    pub knockout: Arc<(Vec<BatchStats>, BatchStats)>,
    /// The heads switched on.
    pub heads: HeadMask,
    /// The probe the filmstrip records.
    pub probe: Probe,
    /// The filmstrip (each frame shared by the snapshots taken after it).
    #[serde(with = "crate::labs::run_file::shared::vec")]
    pub frames: Vec<Arc<Frame>>,
    /// Training is paused.
    pub paused: bool,
    /// Training ran to `max_steps`.
    pub finished: bool,
    /// Something to tell the user (a failed command, training stopped).
    pub message: Option<String>,
}

/// The model as its config and parameter values (its model file's header is not written
/// byte for byte the same twice, so a moment read back would not write the same bytes);
/// reading it back checks them as a model file's are checked.
mod model_values {
    use std::sync::Arc;

    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::nn::transformer::{Transformer, TransformerConfig};

    pub fn serialize<S: Serializer>(model: &Arc<Transformer>, s: S) -> Result<S::Ok, S::Error> {
        let values: Vec<&[f32]> = model.params().iter().map(|p| p.value.data()).collect();
        (model.config(), values).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<Transformer>, D::Error> {
        let (config, values) = <(TransformerConfig, Vec<Vec<f32>>)>::deserialize(d)?;
        Transformer::from_values(config, values)
            .map(Arc::new)
            .map_err(|e| D::Error::custom(format!("the model: {e}")))
    }
}

impl crate::labs::timeline::Moment for AttentionSnapshot {
    fn step(&self) -> u64 {
        self.step
    }

    fn loss(&self) -> Option<f32> {
        self.curve.last().map(|c| c.loss)
    }

    /// The model (values and gradients), the curves (the evaluations counted in full, though
    /// snapshots taken between two evaluations share them) and the filmstrip's newest frame
    /// (earlier ones are shared).
    fn heap_bytes(&self) -> usize {
        let params: usize = self
            .model
            .params()
            .iter()
            .map(|p| 2 * 4 * p.value.len())
            .sum();
        let frames = self.frames.len() * std::mem::size_of::<Arc<Frame>>()
            + self.frames.last().map_or(0, |f| 4 * f.weights.len() + 16);
        params
            + self.curve.len() * std::mem::size_of::<CurvePoint>()
            + self.evals.len() * std::mem::size_of::<EvalPoint>()
            + self.knockout.0.len() * std::mem::size_of::<BatchStats>()
            + frames
            + 4 * self.probe.tokens.len() * 2
    }

    fn run(&self) -> u64 {
        self.run
    }
}

/// The session.
pub struct AttentionSession {
    run: u64,
    settings: AttentionSettings,
    task: Arc<Task>,
    model: Transformer,
    optimizer: Adam,
    rng: NnRng,
    batch: SeqBatch,
    held: SeqBatch,
    knockout_batch: SeqBatch,
    step: u64,
    curve: Vec<CurvePoint>,
    /// Shared with the snapshots taken since it last changed (copied on the next change).
    evals: Arc<Vec<EvalPoint>>,
    held_stats: BatchStats,
    held_all_on: BatchStats,
    knockout: Arc<(Vec<BatchStats>, BatchStats)>,
    heads: HeadMask,
    probe: Probe,
    frames: Vec<Arc<Frame>>,
    frame_every: u64,
    paused: bool,
    stopped: bool,
    message: Option<String>,
    published_model_step: Option<(u64, u64)>,
    published_model: Option<Arc<Transformer>>,
}

impl AttentionSession {
    /// A fresh model for `settings`, scored once, nothing trained yet.
    pub fn new(settings: AttentionSettings) -> Result<Self, String> {
        let task = Task::new(settings.task, settings.seed);
        let config = settings.model_config(&task);
        let model = Transformer::new(config, settings.seed).map_err(|e| e.to_string())?;
        Ok(Self::with_model(settings, task, model, 0))
    }

    fn with_model(settings: AttentionSettings, task: Task, model: Transformer, run: u64) -> Self {
        let held = task.held_out(HELD_OUT, settings.seed);
        let knockout_batch = task.held_out(KNOCKOUT_SEQUENCES, settings.seed ^ 0x6b0);
        let heads = HeadMask::all_on(model.config());
        let probe = task.default_probe();
        let optimizer = Adam::new(AdamConfig {
            learning_rate: settings.learning_rate,
            ..AdamConfig::default()
        });
        let mut session = AttentionSession {
            run,
            rng: rng_from_seed(settings.seed.wrapping_add(1)),
            batch: task.empty_batch(),
            task: Arc::new(task),
            settings,
            model,
            optimizer,
            held,
            knockout_batch,
            step: 0,
            curve: Vec::new(),
            evals: Arc::new(Vec::new()),
            held_stats: BatchStats::default(),
            held_all_on: BatchStats::default(),
            knockout: Arc::new((Vec::new(), BatchStats::default())),
            heads,
            probe,
            frames: Vec::new(),
            frame_every: 5,
            paused: false,
            stopped: false,
            message: None,
            published_model_step: None,
            published_model: None,
        };
        session.evaluate();
        session.record_frame();
        session
    }

    /// Pauses or resumes.
    pub fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
    }

    /// Steps trained.
    pub fn steps(&self) -> u64 {
        self.step
    }

    /// The model.
    pub fn model(&self) -> &Transformer {
        &self.model
    }

    /// The task.
    pub fn task(&self) -> &Task {
        &self.task
    }

    /// The latest held-out score with every head on.
    pub fn held_out(&self) -> BatchStats {
        self.held_all_on
    }

    /// Trains until `max_steps` (or `steps` more when it is `None`), evaluating as the window
    /// would: what a headless run does before its picture.
    pub fn run_to_end(&mut self, steps: u64) -> Result<(), String> {
        let target = self.settings.max_steps.unwrap_or(self.step + steps);
        while self.step < target && !self.stopped {
            self.train_one()?;
        }
        self.evaluate();
        self.record_frame();
        Ok(())
    }

    /// Trains until `step` steps are done (evaluating on the usual schedule, nothing more).
    pub fn train_until(&mut self, step: u64) -> Result<(), String> {
        while self.step < step && !self.stopped {
            self.train_one()?;
        }
        Ok(())
    }

    /// One training step, and an evaluation or a filmstrip frame when one is due.
    fn train_one(&mut self) -> Result<(), String> {
        let lr = self.settings.learning_rate_at(self.step);
        self.optimizer.set_learning_rate(lr);
        self.task
            .fill_batch(self.settings.batch, &mut self.rng, &mut self.batch);
        let stats = match self.model.train_step(&self.batch, &mut self.optimizer) {
            Ok(stats) => {
                decay_weights(&mut self.model, lr * self.settings.weight_decay);
                stats
            }
            Err(e) => {
                self.stopped = true;
                let message = format!("training stopped at step {}: {e}", self.step);
                self.message = Some(message.clone());
                return Err(message);
            }
        };
        self.step += 1;
        self.curve.push(CurvePoint {
            step: self.step,
            loss: stats.loss,
            train_token: stats.token_accuracy(),
            train_exact: stats.exact_accuracy(),
        });
        if self.curve.len() > MAX_CURVE {
            thin(&mut self.curve);
        }
        let every = if self.step <= EARLY_STEPS {
            EVAL_EVERY.0
        } else {
            EVAL_EVERY.1
        };
        if self.step.is_multiple_of(every) {
            self.score_held_out();
            if self.step.is_multiple_of(KNOCKOUT_EVERY) {
                self.measure_heads();
            }
        }
        if self.step.is_multiple_of(self.frame_every) {
            self.record_frame();
        }
        Ok(())
    }

    /// Scores the held-out sequences (with the user's heads and with every head) and what
    /// each head is worth.
    fn evaluate(&mut self) {
        self.score_held_out();
        self.measure_heads();
    }

    fn score(&self, batch: &SeqBatch, mask: &HeadMask) -> BatchStats {
        self.model.evaluate(batch, mask).unwrap_or_default()
    }

    /// The held-out score with the user's heads and with every head, onto the curve.
    fn score_held_out(&mut self) {
        let all_on = HeadMask::all_on(self.model.config());
        self.held_all_on = self.score(&self.held, &all_on);
        self.held_stats = if self.heads == all_on {
            self.held_all_on
        } else {
            self.score(&self.held, &self.heads)
        };
        if self.evals.last().is_none_or(|e| e.step != self.step) {
            let evals = Arc::make_mut(&mut self.evals);
            evals.push(EvalPoint {
                step: self.step,
                all_on: self.held_all_on,
            });
            if evals.len() > MAX_CURVE {
                thin(evals);
            }
        }
    }

    /// The held-out score with each head alone switched off.
    fn measure_heads(&mut self) {
        let all_on = HeadMask::all_on(self.model.config());
        let score = |batch: &SeqBatch, mask: &HeadMask| self.score(batch, mask);
        let config = *self.model.config();
        let mut single = Vec::with_capacity(config.layers * config.heads);
        for layer in 0..config.layers {
            for head in 0..config.heads {
                let mut mask = all_on.clone();
                mask.set(layer, head, false);
                single.push(score(&self.knockout_batch, &mask));
            }
        }
        self.knockout = Arc::new((single, score(&self.knockout_batch, &all_on)));
    }

    /// Every head's map on the probe now, into the filmstrip.
    fn record_frame(&mut self) {
        if self.frames.last().is_some_and(|f| f.step == self.step) {
            return;
        }
        let Ok(trace) = self
            .model
            .trace(&self.probe.tokens, &HeadMask::all_on(self.model.config()))
        else {
            return;
        };
        let weights = trace
            .layers
            .iter()
            .flat_map(|l| l.weights.iter().copied())
            .collect();
        self.frames.push(Arc::new(Frame {
            step: self.step,
            weights,
        }));
        if self.frames.len() > MAX_FRAMES {
            // Keep frame 0 and every other one after it; take frames half as often.
            let mut i = 0;
            self.frames.retain(|_| {
                let keep = i % 2 == 0;
                i += 1;
                keep
            });
            self.frame_every *= 2;
        }
    }

    fn restart(&mut self, settings: AttentionSettings) -> Result<(), String> {
        let task = Task::new(settings.task, settings.seed);
        let config = settings.model_config(&task);
        let model = Transformer::new(config, settings.seed).map_err(|e| e.to_string())?;
        let paused = self.paused;
        *self = Self::with_model(settings, task, model, self.run + 1);
        self.paused = paused;
        Ok(())
    }

    fn load(&mut self, path: &std::path::Path) -> Result<(), String> {
        let model = Transformer::load(path).map_err(|e| e.to_string())?;
        let c = *model.config();
        let task = Task::new(self.settings.task, self.settings.seed);
        if c.vocab != task.vocab() || c.context < task.len() {
            return Err(format!(
                "{}: the model has a vocabulary of {} and a context of {}; the {} task needs {} and at least {}",
                path.display(),
                c.vocab,
                c.context,
                task.kind(),
                task.vocab(),
                task.len()
            ));
        }
        let settings = AttentionSettings {
            layers: c.layers,
            heads: c.heads,
            width: c.width,
            ..self.settings.clone()
        };
        let paused = self.paused;
        *self = Self::with_model(settings, task, model, self.run + 1);
        self.paused = paused;
        self.message = Some(format!("loaded {}", path.display()));
        Ok(())
    }

    fn model_arc(&mut self) -> Arc<Transformer> {
        let key = (self.run, self.step);
        match &self.published_model {
            Some(model) if self.published_model_step == Some(key) => Arc::clone(model),
            _ => {
                let model = Arc::new(self.model.clone());
                self.published_model = Some(Arc::clone(&model));
                self.published_model_step = Some(key);
                model
            }
        }
    }
}

/// Decoupled weight decay: every matrix of `model` (its linear layers' and embeddings'
/// weights) times `1 - amount`; biases and LayerNorms stay. Nothing when `amount` is 0.
pub fn decay_weights(model: &mut Transformer, amount: f32) {
    if amount <= 0.0 {
        return;
    }
    let keep = 1.0 - amount;
    for p in model.params_mut() {
        if p.value.shape().len() == 2 {
            for v in p.value.data_mut() {
                *v *= keep;
            }
        }
    }
}

/// Keeps the first item and every other one after it.
fn thin<T>(items: &mut Vec<T>) {
    let mut i = 0;
    items.retain(|_| {
        let keep = i % 2 == 0;
        i += 1;
        keep
    });
}

impl Session for AttentionSession {
    type Command = AttentionCommand;
    type Snapshot = Arc<AttentionSnapshot>;

    fn apply(&mut self, command: AttentionCommand) -> Result<(), String> {
        match command {
            AttentionCommand::SetPaused(paused) => self.paused = paused,
            AttentionCommand::Step(n) => {
                for _ in 0..n {
                    self.train_one()?;
                }
                self.evaluate();
                self.record_frame();
            }
            AttentionCommand::SetLearningRate(lr) => {
                if !(lr.is_finite() && lr > 0.0) {
                    return Err(format!("learning rate must be positive, got {lr}"));
                }
                self.settings.learning_rate = lr;
            }
            AttentionCommand::Restart(settings) => self.restart(*settings)?,
            AttentionCommand::SetHeads(mask) => {
                if self.heads == mask {
                    return Ok(());
                }
                self.heads = mask;
                self.score_held_out();
            }
            AttentionCommand::SetProbe(probe) => {
                if probe.tokens.len() > self.model.config().context || probe.tokens.is_empty() {
                    return Err("the probe does not fit the model's context".to_string());
                }
                self.probe = probe;
                self.frames.clear();
                self.frame_every = 5;
                self.record_frame();
            }
            AttentionCommand::Save(path) => {
                self.model.save(&path).map_err(|e| e.to_string())?;
                self.message = Some(format!("saved {}", path.display()));
            }
            AttentionCommand::Load(path) => self.load(&path)?,
        }
        Ok(())
    }

    fn is_running(&self) -> bool {
        !self.paused && !self.stopped && self.settings.max_steps.is_none_or(|max| self.step < max)
    }

    fn step(&mut self) -> Step {
        let before = self.step;
        // About 10 ms of training per step of the thread, so commands stay responsive.
        let start = std::time::Instant::now();
        while start.elapsed() < std::time::Duration::from_millis(10) && self.is_running() {
            if self.train_one().is_err() {
                return Step {
                    changed: true,
                    urgent: true,
                };
            }
        }
        let finished = self.settings.max_steps.is_some_and(|m| self.step >= m);
        if finished {
            self.evaluate();
            self.record_frame();
        }
        Step {
            changed: self.step != before,
            urgent: finished,
        }
    }

    fn snapshot(&mut self) -> Arc<AttentionSnapshot> {
        let model = self.model_arc();
        Arc::new(AttentionSnapshot {
            run: self.run,
            settings: self.settings.clone(),
            task: Arc::clone(&self.task),
            model,
            step: self.step,
            learning_rate: self.optimizer.learning_rate(),
            curve: Arc::new(self.curve.clone()),
            evals: Arc::clone(&self.evals),
            held: self.held_stats,
            held_all_on: self.held_all_on,
            knockout: Arc::clone(&self.knockout),
            heads: self.heads.clone(),
            probe: self.probe.clone(),
            frames: self.frames.clone(),
            paused: self.paused,
            finished: self.settings.max_steps.is_some_and(|m| self.step >= m),
            message: self.message.take(),
        })
    }

    fn report(&mut self, message: String) {
        self.message = Some(message);
    }

    fn publish_hz(&self) -> Option<f32> {
        Some(20.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> AttentionSettings {
        AttentionSettings {
            width: 16,
            heads: 2,
            layers: 1,
            batch: 8,
            ..AttentionSettings::default()
        }
    }

    #[test]
    fn a_session_trains_evaluates_and_records_frames() {
        let mut s = AttentionSession::new(small()).unwrap();
        s.run_to_end(60).unwrap();
        assert_eq!(s.steps(), 60);
        let snap = s.snapshot();
        assert_eq!(snap.curve.len(), 60);
        assert_eq!(snap.evals.last().unwrap().step, 60);
        assert_eq!(snap.held_all_on.sequences, HELD_OUT);
        assert_eq!(snap.knockout.0.len(), 2);
        assert_eq!(snap.frames.first().unwrap().step, 0);
        assert_eq!(snap.frames.last().unwrap().step, 60);
        let t = snap.task.len();
        assert_eq!(snap.frames[0].weights.len(), 2 * t * t);
    }

    #[test]
    fn the_filmstrip_stays_bounded_and_spans_the_run() {
        let mut s = AttentionSession::new(small()).unwrap();
        s.run_to_end(2000).unwrap();
        let snap = s.snapshot();
        assert!(snap.frames.len() <= MAX_FRAMES);
        assert_eq!(snap.frames[0].step, 0);
        assert_eq!(snap.frames.last().unwrap().step, 2000);
        assert!(snap.frames.windows(2).all(|w| w[0].step < w[1].step));
    }

    #[test]
    fn switching_heads_off_changes_the_held_out_score_only_through_the_mask() {
        let mut s = AttentionSession::new(small()).unwrap();
        s.run_to_end(100).unwrap();
        let before = s.snapshot();
        let mut mask = before.heads.clone();
        mask.set(0, 1, false);
        s.apply(AttentionCommand::SetHeads(mask.clone())).unwrap();
        let after = s.snapshot();
        assert_eq!(after.heads, mask);
        assert_eq!(after.held_all_on, before.held_all_on);
        let expected = s.model().evaluate(&s.held, &mask).unwrap();
        assert_eq!(after.held, expected);
    }

    #[test]
    fn the_learning_rate_warms_up_then_decays_to_zero_at_the_end() {
        let s = AttentionSettings {
            learning_rate: 1e-3,
            warmup: 10,
            max_steps: Some(110),
            decay: true,
            ..AttentionSettings::default()
        };
        assert!((s.learning_rate_at(4) - 0.5e-3).abs() < 1e-9);
        assert!((s.learning_rate_at(10) - 1e-3).abs() < 1e-9);
        assert!((s.learning_rate_at(60) - 0.5e-3).abs() < 1e-6);
        assert!(s.learning_rate_at(110) < 1e-9);
        let flat = AttentionSettings { decay: false, ..s };
        assert_eq!(flat.learning_rate_at(100), 1e-3);
    }

    #[test]
    fn weight_decay_shrinks_the_matrices_only() {
        let mut s = AttentionSession::new(small()).unwrap();
        let before: Vec<(Vec<usize>, Vec<f32>)> = s
            .model()
            .params()
            .iter()
            .map(|p| (p.value.shape().to_vec(), p.value.data().to_vec()))
            .collect();
        decay_weights(&mut s.model, 0.25);
        for ((shape, old), p) in before.iter().zip(s.model().params()) {
            for (o, n) in old.iter().zip(p.value.data()) {
                let expect = if shape.len() == 2 { o * 0.75 } else { *o };
                assert_eq!(*n, expect, "{} {shape:?}", p.name);
            }
        }
        decay_weights(&mut s.model, 0.0);
    }

    #[test]
    fn a_bad_learning_rate_is_refused() {
        let mut s = AttentionSession::new(small()).unwrap();
        assert!(
            s.apply(AttentionCommand::SetLearningRate(f32::NAN))
                .is_err()
        );
        assert!(s.apply(AttentionCommand::SetLearningRate(-1.0)).is_err());
    }

    #[test]
    fn a_model_of_another_task_is_refused_on_load() {
        let dir = std::env::temp_dir().join(format!("netviz-attn-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("text.safetensors");
        let text = AttentionSession::new(AttentionSettings {
            task: TaskKind::Text,
            ..small()
        })
        .unwrap();
        text.model().save(&path).unwrap();
        let mut sort = AttentionSession::new(small()).unwrap();
        let err = sort
            .apply(AttentionCommand::Load(path.clone()))
            .unwrap_err();
        assert!(err.contains("vocabulary"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
