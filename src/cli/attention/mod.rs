//! `netviz attention ...`: the attention lab's terminal side. `train` trains the transformer
//! on a task, prints held-out scores as it goes and `token_accuracy=... exact_accuracy=...
//! seconds=...` last ([`train`]). The flags shared with the lab (task, model size) live here.

mod train;

pub use train::{TrainArgs, train};

use clap::{Subcommand, ValueEnum};

use netviz::data::tasks::TaskKind;

/// `netviz attention ...`
#[derive(Debug, Subcommand)]
pub enum AttentionCommand {
    /// Train the transformer on a task and score it on held-out sequences; prints
    /// `token_accuracy=... exact_accuracy=... seconds=...` last.
    Train(TrainArgs),
}

/// Tasks on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TaskArg {
    /// Sort 8 digits.
    Sort,
    /// Reverse 8 digits.
    Reverse,
    /// Copy 8 digits.
    Copy,
    /// "... A B ... A" -> "B".
    Induction,
    /// a + b mod 13 (half the pairs held out).
    Modadd,
    /// The next character of Shakespeare's sonnets.
    Text,
}

impl From<TaskArg> for TaskKind {
    fn from(t: TaskArg) -> TaskKind {
        match t {
            TaskArg::Sort => TaskKind::Sort,
            TaskArg::Reverse => TaskKind::Reverse,
            TaskArg::Copy => TaskKind::Copy,
            TaskArg::Induction => TaskKind::Induction,
            TaskArg::Modadd => TaskKind::ModAdd,
            TaskArg::Text => TaskKind::Text,
        }
    }
}

/// Checks a learning rate from the command line.
pub fn check_lr(lr: f32) -> anyhow::Result<()> {
    anyhow::ensure!(
        lr.is_finite() && lr > 0.0 && lr <= 1.0,
        "--lr must be above 0 and at most 1, got {lr}"
    );
    Ok(())
}
