//! `netviz attention` with no subcommand: the attention lab. By default it opens the window
//! and trains live; `--headless` trains `--steps` steps first and writes the dashboard (or one
//! `--scene`) as a PNG, then prints `steps=... token_accuracy=... exact_accuracy=...`.

use anyhow::{Context, Result};
use clap::Args;

use netviz::files::limits::{TRANSFORMER_HEADS, TRANSFORMER_LAYERS, TRANSFORMER_WIDTH};
use netviz::labs::attention::{AttentionLab, AttentionLabOptions, AttentionSettings};

use crate::cli::app::ShellArgs;
use crate::cli::attention::{TaskArg, check_lr};
use crate::cli::lab_command::LabCommand;

/// Arguments of `netviz attention` with no subcommand.
#[derive(Debug, Args)]
pub struct AttentionLabArgs {
    /// The task.
    #[arg(long, value_enum, default_value = "sort")]
    pub task: TaskArg,
    /// Headless: steps trained before the picture (the window trains until paused).
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(0..=10_000_000))]
    pub steps: u64,
    /// Blocks.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=TRANSFORMER_LAYERS as i64))]
    pub layers: u32,
    /// Attention heads per block (must divide --width).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=TRANSFORMER_HEADS as i64))]
    pub heads: u32,
    /// Model width.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=TRANSFORMER_WIDTH as i64))]
    pub width: u32,
    /// Adam's learning rate after warm-up (changeable live in the window).
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
    /// Start paused (nothing trained until Play).
    #[arg(long, conflicts_with = "headless")]
    pub paused: bool,
    #[command(flatten)]
    pub shell: ShellArgs,
}

impl AttentionLabArgs {
    fn settings(&self) -> Result<AttentionSettings> {
        check_lr(self.lr)?;
        anyhow::ensure!(
            self.width.is_multiple_of(self.heads),
            "--width {} is not a multiple of --heads {}",
            self.width,
            self.heads
        );
        Ok(AttentionSettings {
            task: self.task.into(),
            layers: self.layers as usize,
            heads: self.heads as usize,
            width: self.width as usize,
            learning_rate: self.lr,
            warmup: self.warmup,
            batch: self.batch as usize,
            seed: self.seed,
            max_steps: self.shell.headless.then_some(self.steps),
            decay: false,
        })
    }
}

impl LabCommand for AttentionLabArgs {
    const NAME: &'static str = "attention";
    const TITLE: &'static str = "Attention";
    type Lab = AttentionLab;

    fn shell(&self) -> &ShellArgs {
        &self.shell
    }

    /// Headless runs train every step before the picture; the window trains live.
    fn build(&self) -> Result<AttentionLab> {
        let settings = self.settings()?;
        let steps_before = if self.shell.headless { self.steps } else { 0 };
        AttentionLab::new(AttentionLabOptions {
            settings,
            paused: self.paused || self.shell.headless,
            steps_before,
        })
        .context("starting the attention lab")
    }

    fn run_to_end(&self, lab: &mut AttentionLab) -> Result<String> {
        use netviz::ui::Lab as _;
        lab.update();
        let snap = lab.snapshot();
        if let Some(message) = snap
            .message
            .as_ref()
            .filter(|m| m.starts_with("training stopped"))
        {
            anyhow::bail!("{message}");
        }
        Ok(format!(
            "steps={} token_accuracy={:.4} exact_accuracy={:.4}",
            snap.step,
            snap.held_all_on.token_accuracy(),
            snap.held_all_on.exact_accuracy()
        ))
    }
}
