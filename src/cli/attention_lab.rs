//! `netviz attention` with no subcommand: the attention lab. By default it opens the window
//! and trains live; `--headless` trains `--steps` steps first and writes the dashboard (or one
//! `--scene`) as a PNG, then prints `steps=... token_accuracy=... exact_accuracy=...`.

use anyhow::{Context, Result};
use clap::Args;

use netviz::labs::attention::{AttentionLab, AttentionLabOptions, AttentionSettings};

use crate::cli::app::ShellArgs;
use crate::cli::attention::ModelArgs;
use crate::cli::lab_command::LabCommand;

/// Arguments of `netviz attention` with no subcommand.
#[derive(Debug, Args)]
pub struct AttentionLabArgs {
    /// The task and the model.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Headless: steps trained before the picture (the window trains until paused).
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(0..=10_000_000))]
    pub steps: u64,
    /// Start paused (nothing trained until Play).
    #[arg(long, conflicts_with = "headless")]
    pub paused: bool,
    #[command(flatten)]
    pub shell: ShellArgs,
}

impl AttentionLabArgs {
    fn settings(&self) -> Result<AttentionSettings> {
        let m = &self.model;
        m.check()?;
        Ok(AttentionSettings {
            task: m.task.into(),
            layers: m.layers as usize,
            heads: m.heads as usize,
            width: m.width as usize,
            learning_rate: m.lr,
            warmup: m.warmup,
            batch: m.batch as usize,
            seed: m.seed,
            max_steps: self.shell.headless.then_some(self.steps),
            decay: false,
            weight_decay: m.weight_decay(),
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

    fn open(run: &netviz::labs::run_file::RunFile) -> Result<AttentionLab> {
        Ok(AttentionLab::open_run(run)?)
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
