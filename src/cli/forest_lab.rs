//! `netviz forest` with no subcommand: the random-forest lab. By default it opens the window
//! and grows the trees live; `--headless` grows them all and writes the dashboard (or one
//! `--scene`) as a PNG, then prints
//! `trees=40 train_accuracy=1.0000 oob_accuracy=0.9467 test_accuracy=0.9533`.

use std::sync::Arc;

use anyhow::{Context, Result, ensure};
use clap::Args;

use netviz::data::mnist;
use netviz::files::limits::XOR_HIDDEN;
use netviz::forest::MaxFeatures;
use netviz::labs::forest::{ForestData, ForestLab, ForestLabOptions, ForestSettings, MnistSource};

use crate::cli::app::ShellArgs;
use crate::cli::forest::{CriterionArg, DatasetArg, parse_max_features};
use crate::cli::lab_command::LabCommand;
use crate::cli::mnist::load_mnist;

/// Arguments of `netviz forest` with no subcommand.
#[derive(Debug, Args)]
pub struct ForestLabArgs {
    /// What the forest learns.
    #[arg(long, value_enum, default_value = "xor")]
    pub dataset: DatasetArg,
    /// Trees in the forest.
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u32).range(1..=2000))]
    pub trees: u32,
    /// Deepest level a tree grows to (none: until the leaves are pure or too small).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_depth: Option<u32>,
    /// Fewest training rows in a leaf.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub min_samples_leaf: u32,
    /// Features tried per split: sqrt, log2, all, a fraction (0.3) or a count (7).
    #[arg(long, default_value = "sqrt", value_parser = parse_max_features)]
    pub max_features: MaxFeatures,
    /// Split criterion.
    #[arg(long, value_enum, default_value = "gini")]
    pub criterion: CriterionArg,
    /// Grow every tree on all rows instead of a bootstrap sample.
    #[arg(long)]
    pub no_bootstrap: bool,
    /// Seed of the trees and of the plane's points.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Gaussian noise of a plane dataset.
    #[arg(long, default_value_t = 0.25)]
    pub noise: f32,
    /// Points of a plane dataset (as many again are held out).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u32).range(4..=20_000))]
    pub points: u32,
    /// MNIST training images (the first ones).
    #[arg(long, default_value_t = 5000, value_parser = clap::value_parser!(u32).range(10..=60_000))]
    pub train_count: u32,
    /// Trees added per second in the window (0: as fast as they grow).
    #[arg(long, default_value_t = 8.0)]
    pub speed: f32,
    /// Hidden neurons of the network compared on the plane.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=i64::from(XOR_HIDDEN)))]
    pub net_hidden: u32,
    /// Folder of the MNIST files (as for `netviz mnist`).
    #[arg(long)]
    pub data_dir: Option<std::path::PathBuf>,
    /// Start paused (no tree grown until Play).
    #[arg(long, conflicts_with = "headless")]
    pub paused: bool,
    #[command(flatten)]
    pub shell: ShellArgs,
}

impl ForestLabArgs {
    fn settings(&self) -> Result<ForestSettings> {
        ensure!(
            self.noise.is_finite() && (0.0..=2.0).contains(&self.noise),
            "--noise must be from 0 to 2, got {}",
            self.noise
        );
        ensure!(
            self.speed.is_finite() && self.speed >= 0.0,
            "--speed must be 0 or more trees per second, got {}",
            self.speed
        );
        let mut settings = ForestSettings {
            data: self
                .dataset
                .plane()
                .map_or(ForestData::Mnist, ForestData::Plane),
            noise: self.noise,
            points: self.points as usize,
            mnist_train: self.train_count as usize,
            trees_per_sec: (self.speed > 0.0).then_some(self.speed),
            net_hidden: self.net_hidden as usize,
            ..ForestSettings::default()
        };
        let f = &mut settings.forest;
        f.trees = self.trees as usize;
        f.max_depth = self.max_depth.map(|d| d as usize);
        f.min_samples_leaf = self.min_samples_leaf as usize;
        f.max_features = self.max_features;
        f.criterion = self.criterion.into();
        f.bootstrap = !self.no_bootstrap;
        f.seed = self.seed;
        f.validate()?;
        Ok(settings)
    }

    fn options(&self) -> Result<ForestLabOptions> {
        let settings = self.settings()?;
        let (mnist_data, mnist_source) = if matches!(settings.data, ForestData::Mnist) {
            let (data, _) = load_mnist(self.data_dir.as_deref())?;
            (Some(Arc::new(data)), None)
        } else {
            // Read later, if the user switches to MNIST in the window.
            let source = mnist::resolve_data_dir(self.data_dir.as_deref())
                .ok()
                .map(|(dir, source)| MnistSource { dir, source });
            (None, source)
        };
        Ok(ForestLabOptions {
            settings,
            mnist: mnist_data,
            mnist_source,
            paused: self.paused,
        })
    }
}

impl LabCommand for ForestLabArgs {
    const NAME: &'static str = "forest";
    const TITLE: &'static str = "Random forest";
    type Lab = ForestLab;

    fn shell(&self) -> &ShellArgs {
        &self.shell
    }

    fn open(run: &netviz::labs::run_file::RunFile) -> Result<ForestLab> {
        Ok(ForestLab::open_run(run)?)
    }

    /// Headless runs grow the whole forest before the picture; the window grows it live.
    fn build(&self) -> Result<ForestLab> {
        let options = self.options()?;
        let lab = if self.shell.headless {
            ForestLab::new_complete(options)
        } else {
            ForestLab::new(options)
        };
        lab.context("starting the forest lab")
    }

    fn run_to_end(&self, lab: &mut ForestLab) -> Result<String> {
        use netviz::ui::Lab as _;
        lab.update();
        let snap = lab.snapshot();
        if let Some(message) = snap.data.is_none().then(|| snap.message.clone()).flatten() {
            anyhow::bail!("{message}");
        }
        let last = snap.curves.last();
        Ok(format!(
            "trees={} train_accuracy={:.4} oob_accuracy={} test_accuracy={:.4}",
            snap.trees.len(),
            last.map_or(0.0, |c| c.train),
            last.and_then(|c| c.oob)
                .map_or_else(|| "none".to_string(), |o| format!("{o:.4}")),
            last.map_or(0.0, |c| c.test),
        ))
    }
}
