//! `netviz attention ...`: the attention lab's terminal side. `train` trains the transformer
//! on a task, prints held-out scores as it goes and `token_accuracy=... exact_accuracy=...
//! seconds=...` last ([`train`]). The flags shared with the lab (task, model size) live here.

mod train;

pub use train::{TrainArgs, train};

use clap::{Args, Subcommand, ValueEnum};

use netviz::data::tasks::TaskKind;
use netviz::files::limits::{TRANSFORMER_HEADS, TRANSFORMER_LAYERS, TRANSFORMER_WIDTH};

/// The task, the model's sizes and how it is trained: the flags `attention train` and the
/// lab share.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// The task.
    #[arg(long, value_enum, default_value = "sort")]
    pub task: TaskArg,
    /// Blocks.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=TRANSFORMER_LAYERS as i64))]
    pub layers: u32,
    /// Attention heads per block (must divide --width).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=TRANSFORMER_HEADS as i64))]
    pub heads: u32,
    /// Model width.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=TRANSFORMER_WIDTH as i64))]
    pub width: u32,
    /// Adam's learning rate after warm-up.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f32,
    /// Steps of linear learning-rate warm-up.
    #[arg(long, default_value_t = 50)]
    pub warmup: u64,
    /// Sequences per step.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub batch: u32,
    /// Seed of the weights, the batches and the held-out sequences.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Decoupled weight decay (AdamW) of the matrices [default: 1 for modadd, else 0].
    #[arg(long)]
    pub weight_decay: Option<f32>,
}

impl ModelArgs {
    /// The weight decay: the flag, else the task's default (modular addition needs it to
    /// generalise).
    pub fn weight_decay(&self) -> f32 {
        self.weight_decay
            .unwrap_or(if self.task == TaskArg::Modadd {
                1.0
            } else {
                0.0
            })
    }

    /// Checks what clap cannot: the learning rate, heads dividing the width.
    pub fn check(&self) -> anyhow::Result<()> {
        check_lr(self.lr)?;
        let wd = self.weight_decay();
        anyhow::ensure!(
            wd.is_finite() && (0.0..=100.0).contains(&wd) && self.lr * wd < 1.0,
            "--weight-decay must be from 0 to 100 with --lr times it below 1, got {wd}"
        );
        anyhow::ensure!(
            self.width.is_multiple_of(self.heads),
            "--width {} is not a multiple of --heads {}",
            self.width,
            self.heads
        );
        Ok(())
    }
}

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
