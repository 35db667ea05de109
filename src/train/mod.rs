//! Training loops on top of [`crate::nn`]: a [`Trainer`] that advances one mini-batch at a
//! time, the evaluation of a model over a whole dataset, early stopping, and the MNIST data
//! preparation ([`mnist`]). Pure CPU code with no terminal or UI in it: the command line
//! drives it from its own loop and prints, and a windowed lab can run the very same code on a
//! worker thread (pause between batches, change the learning rate, read the activations).
//!
//! **Architecture Invariant:** `train` never prints and never imports anything about
//! rendering or UI; everything it has to say goes out through return values
//! ([`StepReport`], [`EpochSummary`], [`StopReason`]).

mod early_stopping;
mod evaluate;
pub mod mnist;
mod report;
mod trainer;

pub use early_stopping::{EarlyStopping, Verdict};
pub use evaluate::{EVAL_BATCH, Evaluation, evaluate};
pub use report::{BatchReport, EpochSummary, Kept, StepReport, StopReason};
pub use trainer::{Trainer, thin};

use crate::data::DataError;
use crate::nn::NnError;

/// Everything that can go wrong while preparing or running a training.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The training core failed (shapes, configs, model files).
    #[error(transparent)]
    Nn(#[from] NnError),
    /// The data could not be prepared.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Settings that do not fit the data or the model.
    #[error("{0}")]
    Setup(String),
}
