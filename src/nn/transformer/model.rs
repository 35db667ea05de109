//! [`Transformer`]: the parameters, the checks on what it is given, and the training step
//! that splits a batch across the rayon threads.
//!
//! A batch of `n` sequences is cut into as many contiguous shards as there are rayon
//! threads (at most `n`); each thread runs the whole forward and backward pass of its shard
//! with its own [`Workspace`] (its GEMMs single-threaded, over all of the shard's rows) and
//! writes its own gradient buffers, which are added into the parameters' gradients once at
//! the end. Workspaces are kept between steps, so a step allocates nothing after the first.

use rayon::prelude::*;

use super::attention::HeadMask;
use super::batch::SeqBatch;
use super::config::TransformerConfig;
use super::params::{init_params, param_specs};
use super::profile::{StepPart, StepProfile, Stopwatch};
use super::shard::{ShardStats, Workspace, backward, forward, loss};
use crate::files::limits::MODEL_PARAMS;
use crate::nn::error::{NnError, Result};
use crate::nn::layers::Param;
use crate::nn::optim::Optimizer;

/// A decoder-only transformer (see the [module documentation](super)).
pub struct Transformer {
    config: TransformerConfig,
    params: Vec<Param>,
    /// One per shard of the latest `forward_backward`, reused.
    workspaces: Vec<Workspace>,
    /// Whether training steps are timed, the main thread's parts, and the steps timed.
    profiling: bool,
    watch: Stopwatch,
    profiled_steps: u64,
}

impl Clone for Transformer {
    /// A copy of the configuration and parameters (gradients included); workspaces start
    /// empty.
    fn clone(&self) -> Self {
        Transformer {
            config: self.config,
            params: self.params.clone(),
            workspaces: Vec::new(),
            profiling: false,
            watch: Stopwatch::default(),
            profiled_steps: 0,
        }
    }
}

impl std::fmt::Debug for Transformer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transformer")
            .field("config", &self.config)
            .field("params", &self.config.param_count())
            .finish_non_exhaustive()
    }
}

/// Loss and accuracies over a batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BatchStats {
    /// Mean cross-entropy over the scored positions of every sequence.
    pub loss: f32,
    /// Scored positions whose largest logit (the first, on ties) is the target.
    pub correct: usize,
    /// Scored positions.
    pub scored: usize,
    /// Sequences with every scored position correct.
    pub exact: usize,
    /// Sequences.
    pub sequences: usize,
}

impl BatchStats {
    /// `correct / scored` (0 when nothing is scored).
    pub fn token_accuracy(&self) -> f32 {
        if self.scored == 0 {
            0.0
        } else {
            self.correct as f32 / self.scored as f32
        }
    }

    /// `exact / sequences` (0 for no sequences).
    pub fn exact_accuracy(&self) -> f32 {
        if self.sequences == 0 {
            0.0
        } else {
            self.exact as f32 / self.sequences as f32
        }
    }

    fn from_shards<'a>(shards: impl IntoIterator<Item = &'a ShardStats>) -> Self {
        let mut sum = ShardStats::default();
        for s in shards {
            sum.loss_sum += s.loss_sum;
            sum.correct += s.correct;
            sum.scored += s.scored;
            sum.exact += s.exact;
            sum.sequences += s.sequences;
        }
        BatchStats {
            loss: (sum.loss_sum / sum.scored.max(1) as f64) as f32,
            correct: sum.correct,
            scored: sum.scored,
            exact: sum.exact,
            sequences: sum.sequences,
        }
    }
}

/// Learning rate of step `step` (0 for the first) under a linear warm-up of `warmup` steps:
/// `base * (step + 1) / warmup` until it reaches `base`; `base` when `warmup` is 0.
pub fn warmup_lr(base: f32, step: u64, warmup: u64) -> f32 {
    if warmup == 0 || step >= warmup {
        base
    } else {
        base * (step + 1) as f32 / warmup as f32
    }
}

/// The sequences `[start, end)` of shard `s` of `shards` over `n` sequences.
fn shard_range(n: usize, shards: usize, s: usize) -> (usize, usize) {
    (n * s / shards, n * (s + 1) / shards)
}

impl Transformer {
    /// A freshly initialised model (GPT-2's initialisation, see [`super::params`] ordering in
    /// [`Transformer::params`]) from `seed`. Fails on an invalid config or one with more than
    /// [`MODEL_PARAMS`] parameters.
    pub fn new(config: TransformerConfig, seed: u64) -> Result<Self> {
        Self::check_config(&config)?;
        Ok(Self::from_parts(config, init_params(&config, seed)))
    }

    /// Validates `config` and its parameter count.
    pub(crate) fn check_config(config: &TransformerConfig) -> Result<()> {
        config.validate()?;
        let count = config.param_count();
        if count > MODEL_PARAMS {
            return Err(NnError::Config(format!(
                "the transformer would have {count} parameters, more than the {MODEL_PARAMS} a \
                 model may have"
            )));
        }
        Ok(())
    }

    /// A model with the given parameters (already checked to match `config`).
    pub(crate) fn from_parts(config: TransformerConfig, params: Vec<Param>) -> Self {
        Transformer {
            config,
            params,
            workspaces: Vec::new(),
            profiling: false,
            watch: Stopwatch::default(),
            profiled_steps: 0,
        }
    }

    /// The sizes.
    pub fn config(&self) -> &TransformerConfig {
        &self.config
    }

    /// Every parameter, in the order of [`Transformer::param_names`] (and of the model
    /// file): `tok_emb`, `pos_emb`, per block `ln1`, `attn.qkv`, `attn.proj`, `ln2`,
    /// `mlp.fc`, `mlp.proj` (weight then bias each), then `ln_f` and `head`. Values are in
    /// PyTorch's layouts (a linear weight is `[out, in]`); [`Param::name`] holds the name
    /// without the `blocks.{i}.` prefix.
    pub fn params(&self) -> &[Param] {
        &self.params
    }

    /// The parameters, mutable (same order).
    pub fn params_mut(&mut self) -> &mut [Param] {
        &mut self.params
    }

    /// PyTorch `state_dict` names of [`Transformer::params`], in the same order.
    pub fn param_names(&self) -> Vec<String> {
        param_specs(&self.config)
            .into_iter()
            .map(|s| s.name)
            .collect()
    }

    /// Sets every gradient to zero.
    pub fn zero_grad(&mut self) {
        for p in &mut self.params {
            p.grad.fill(0.0);
        }
    }

    /// Checks that `batch` fits the model: non-empty, at most `context` positions, tokens and
    /// scored targets below the vocabulary, something scored.
    fn check_batch(&self, batch: &SeqBatch) -> Result<()> {
        const OP: &str = "transformer batch";
        let cfg = &self.config;
        if batch.len == 0 || batch.len > cfg.context {
            return Err(NnError::shape(
                OP,
                format!(
                    "sequences of {} positions, the model takes 1 to {}",
                    batch.len, cfg.context
                ),
            ));
        }
        if batch.scored.len() != batch.len
            || batch.targets.len() != batch.tokens.len()
            || !batch.tokens.len().is_multiple_of(batch.len)
        {
            return Err(NnError::shape(
                OP,
                format!(
                    "{} tokens, {} targets and {} scored flags for sequences of {}",
                    batch.tokens.len(),
                    batch.targets.len(),
                    batch.scored.len(),
                    batch.len
                ),
            ));
        }
        if batch.tokens.is_empty() || batch.scored_per_sequence() == 0 {
            return Err(NnError::shape(
                OP,
                "no sequences or no scored positions: the loss is undefined",
            ));
        }
        check_tokens(&batch.tokens, cfg.vocab, "token")?;
        for (targets, _) in batch.targets.chunks_exact(batch.len).zip(0..) {
            for (&t, &s) in targets.iter().zip(&batch.scored) {
                if s && t as usize >= cfg.vocab {
                    return Err(NnError::shape(
                        OP,
                        format!("target {t} outside the vocabulary of {}", cfg.vocab),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Checks that `heads` has this model's blocks and heads.
    pub(crate) fn check_mask(&self, heads: &HeadMask) -> Result<()> {
        if heads.layers() != self.config.layers || heads.heads() != self.config.heads {
            return Err(NnError::shape(
                "transformer head mask",
                format!(
                    "mask of {} blocks x {} heads, the model has {} x {}",
                    heads.layers(),
                    heads.heads(),
                    self.config.layers,
                    self.config.heads
                ),
            ));
        }
        Ok(())
    }

    fn shard_count(sequences: usize) -> usize {
        rayon::current_num_threads().clamp(1, sequences.max(1))
    }

    /// Forward and backward pass over `batch`, *adding* dLoss/dparam into every
    /// [`Param::grad`] (loss = mean cross-entropy over the scored positions of all
    /// sequences). The batch is split across the current rayon pool's threads. Bad tokens,
    /// targets or lengths give [`NnError::Shape`]; a non-finite loss gives
    /// [`NnError::NonFinite`] (gradients then untouched).
    pub fn forward_backward(&mut self, batch: &SeqBatch) -> Result<BatchStats> {
        self.check_batch(batch)?;
        let n = batch.sequences();
        let len = batch.len;
        let shards = Self::shard_count(n);
        if self.workspaces.len() < shards {
            self.workspaces.resize_with(shards, Workspace::default);
        }
        let scale = 1.0 / (n * batch.scored_per_sequence()) as f32;
        let profiling = self.profiling;
        let (cfg, params) = (&self.config, &self.params);
        self.workspaces[..shards]
            .par_iter_mut()
            .enumerate()
            .for_each(|(s, ws)| {
                let (a, b) = shard_range(n, shards, s);
                let tokens = &batch.tokens[a * len..b * len];
                let targets = &batch.targets[a * len..b * len];
                ws.prepare(cfg, params, b - a, len, true);
                ws.watch.set_on(profiling);
                forward(ws, params, cfg, tokens, len, None);
                ws.stats = loss(ws, targets, &batch.scored, cfg.vocab, Some(scale));
                if ws.stats.loss_sum.is_finite() {
                    backward(ws, params, cfg, tokens, len);
                }
            });
        let stats = BatchStats::from_shards(self.workspaces[..shards].iter().map(|w| &w.stats));
        if !stats.loss.is_finite() {
            return Err(NnError::NonFinite {
                op: "transformer",
                what: "loss",
            });
        }
        self.watch.start();
        for (i, p) in self.params.iter_mut().enumerate() {
            let grad = p.grad.data_mut();
            for ws in &self.workspaces[..shards] {
                for (g, &s) in grad.iter_mut().zip(&ws.grads[i]) {
                    *g += s;
                }
            }
        }
        self.watch.lap(StepPart::GradSum);
        Ok(stats)
    }

    /// One optimisation step: [`Transformer::zero_grad`], [`Transformer::forward_backward`],
    /// `opt.begin_step()`, then `opt.update(i, &mut params[i])` for every parameter (through
    /// [`Optimizer::update_all`], which may update them in parallel).
    pub fn train_step(&mut self, batch: &SeqBatch, opt: &mut dyn Optimizer) -> Result<BatchStats> {
        self.zero_grad();
        let stats = self.forward_backward(batch)?;
        self.watch.start();
        opt.begin_step();
        opt.update_all(&mut self.params);
        self.watch.lap(StepPart::Optimizer);
        if self.profiling {
            self.profiled_steps += 1;
        }
        Ok(stats)
    }

    /// Switches the timing of training steps on or off; switching on starts a new profile.
    pub fn set_profiling(&mut self, on: bool) {
        self.profiling = on;
        self.watch.set_on(on);
        if on {
            self.watch.reset();
            self.profiled_steps = 0;
            for ws in &mut self.workspaces {
                ws.watch.reset();
            }
        }
    }

    /// Seconds per part of the training steps ([`Transformer::train_step`]) since profiling
    /// was switched on.
    pub fn profile(&self) -> StepProfile {
        let parts = StepPart::ALL
            .iter()
            .map(|&part| {
                let secs = match part {
                    StepPart::GradSum | StepPart::Optimizer => self.watch.secs(part),
                    _ => self
                        .workspaces
                        .first()
                        .map_or(0.0, |ws| ws.watch.secs(part)),
                };
                (part, secs)
            })
            .collect();
        StepProfile {
            parts,
            steps: self.profiled_steps,
        }
    }

    /// Loss and accuracies over `batch` with the heads `heads` switches off, without touching
    /// gradients (split across the rayon threads like a training step).
    pub fn evaluate(&self, batch: &SeqBatch, heads: &HeadMask) -> Result<BatchStats> {
        self.check_batch(batch)?;
        self.check_mask(heads)?;
        let n = batch.sequences();
        let len = batch.len;
        let shards = Self::shard_count(n);
        let mask = (!heads.all_are_on()).then_some(heads);
        let (cfg, params) = (&self.config, &self.params);
        let stats: Vec<ShardStats> = (0..shards)
            .into_par_iter()
            .map(|s| {
                let (a, b) = shard_range(n, shards, s);
                let mut ws = Workspace::default();
                ws.prepare(cfg, params, b - a, len, false);
                forward(
                    &mut ws,
                    params,
                    cfg,
                    &batch.tokens[a * len..b * len],
                    len,
                    mask,
                );
                loss(
                    &mut ws,
                    &batch.targets[a * len..b * len],
                    &batch.scored,
                    cfg.vocab,
                    None,
                )
            })
            .collect();
        Ok(BatchStats::from_shards(&stats))
    }
}

/// Checks that every token is below `vocab`.
pub(crate) fn check_tokens(tokens: &[u32], vocab: usize, what: &str) -> Result<()> {
    if let Some(&t) = tokens.iter().find(|&&t| t as usize >= vocab) {
        return Err(NnError::shape(
            "transformer input",
            format!("{what} {t} outside the vocabulary of {vocab}"),
        ));
    }
    Ok(())
}
