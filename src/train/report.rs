//! What the [`crate::train::Trainer`] tells its caller: a [`BatchReport`] after every batch,
//! an [`EpochSummary`] after every epoch, and at the end why training stopped
//! ([`StopReason`]) and which weights the model holds ([`Kept`]). All serialize to JSON
//! (the command line writes them into `*.metrics.json`).

use serde::{Deserialize, Serialize};

use crate::train::evaluate::Evaluation;

/// What one training batch did, with the epoch's running figures so far.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BatchReport {
    /// The epoch this batch belongs to (1-based).
    pub epoch: usize,
    /// Epochs planned.
    pub epochs: usize,
    /// This batch's number within the epoch (1-based).
    pub batch: usize,
    /// Batches per epoch.
    pub batches: usize,
    /// Mean loss of this batch.
    pub loss: f32,
    /// Mean loss over the epoch's samples so far.
    pub running_loss: f64,
    /// Accuracy over the epoch's samples so far.
    pub running_accuracy: f64,
    /// Macro precision over the epoch's samples so far.
    pub running_macro_precision: f64,
    /// Macro F1 over the epoch's samples so far.
    pub running_macro_f1: f64,
    /// Learning rate this batch was trained with.
    pub learning_rate: f32,
}

/// What one finished epoch did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochSummary {
    /// The epoch (1-based).
    pub epoch: usize,
    /// Mean training loss over the epoch (weights changing as it went).
    pub train_loss: f64,
    /// Training accuracy over the epoch.
    pub train_accuracy: f64,
    /// Training macro precision over the epoch.
    pub train_macro_precision: f64,
    /// Training macro F1 over the epoch.
    pub train_macro_f1: f64,
    /// The evaluation on this epoch's validation subset; `None` without a validation split.
    pub validation: Option<Evaluation>,
    /// This epoch's validation loss is the best so far (its weights are kept).
    pub improved: bool,
    /// Epochs in a row without improvement, this one included (the patience counter).
    pub epochs_without_improvement: usize,
    /// The patience: training stops when the counter reaches it.
    pub patience: usize,
    /// Seconds spent training and validating this epoch (pauses between batches excluded).
    pub wall_secs: f64,
    /// Learning rate at the end of the epoch.
    pub learning_rate: f32,
}

/// Why training ended.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum StopReason {
    /// Every planned epoch ran.
    Completed {
        /// Epochs run.
        epochs: usize,
    },
    /// `patience` epochs in a row did not improve the validation loss.
    EarlyStopped {
        /// The last epoch run.
        epoch: usize,
        /// The patience.
        patience: usize,
    },
    /// The stop flag was set.
    Interrupted {
        /// The epoch in progress (1-based).
        epoch: usize,
        /// Batches of it done (0: stopped before it started).
        batch: usize,
    },
    /// The loss became NaN or infinite.
    Diverged {
        /// The epoch (1-based).
        epoch: usize,
        /// The batch (1-based) whose loss was not finite; for `stage` "validation", the
        /// epoch's batch count.
        batch: usize,
        /// "training" or "validation".
        stage: &'static str,
        /// The learning rate in use.
        learning_rate: f32,
    },
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            StopReason::Completed { epochs } => write!(f, "finished all {epochs} epochs"),
            StopReason::EarlyStopped { epoch, patience } => write!(
                f,
                "stopped early after epoch {epoch}: {patience} epoch(s) without a lower validation loss"
            ),
            StopReason::Interrupted { epoch, batch: 0 } => {
                write!(f, "stopped on request before epoch {epoch} started")
            }
            StopReason::Interrupted { epoch, batch } => {
                write!(f, "stopped on request in epoch {epoch} after batch {batch}")
            }
            StopReason::Diverged {
                epoch,
                batch,
                stage,
                learning_rate,
            } => write!(
                f,
                "training diverged in epoch {epoch}, batch {batch}: the {stage} loss became NaN \
                 or infinite with learning rate {learning_rate}; try a lower learning rate, \
                 e.g. {}",
                learning_rate / 10.0
            ),
        }
    }
}

/// Which weights the model holds after training ended.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "weights", rename_all = "snake_case")]
pub enum Kept {
    /// Those after the epoch with the lowest validation loss (the last finished epoch when
    /// there is no validation split).
    Epoch {
        /// The epoch (1-based).
        epoch: usize,
        /// Its validation loss.
        val_loss: Option<f64>,
    },
    /// Those after the last batch (stopped before any epoch ended).
    LastBatch,
    /// The initial ones (diverged before any epoch ended).
    Initial,
}

/// What one [`crate::train::Trainer::step`] did.
#[derive(Clone, Debug, PartialEq)]
pub struct StepReport {
    /// The batch trained; `None` when no batch ran (stopped, diverged or already finished).
    pub batch: Option<BatchReport>,
    /// Set when this step finished an epoch.
    pub epoch: Option<EpochSummary>,
    /// Set when training is over; the model then holds the kept weights ([`crate::train::Trainer::kept`]).
    pub stop: Option<StopReason>,
}
