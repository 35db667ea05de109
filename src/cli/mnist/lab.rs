//! `netviz mnist` (and the original `netviz -md`): the MNIST lab. By default it opens the
//! window and trains the configured CNN live; `--headless` trains to the end (`--epochs`)
//! and writes the dashboard (or one `--scene`) as a PNG, then prints
//! `epochs=1 val_accuracy=0.9612 val_loss=0.1301`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use clap::{Args, ValueEnum};

use netviz::labs::mnist::lab::panel;
use netviz::labs::mnist::{MnistLab, MnistSetup};
use netviz::nn::io;
use netviz::train::mnist::{MnistSplits, prepare};

use crate::cli::app::{LabMenu, ShellArgs, run_lab, write_single_view};
use crate::cli::mnist::load_mnist;
use crate::cli::mnist::train::{TrainArgs, output_path, training_config};

/// Arguments of `netviz mnist` with no subcommand.
#[derive(Debug, Args)]
pub struct LabArgs {
    #[command(flatten)]
    pub train: TrainArgs,
    /// Share of the 60,000 training images used (overrides `percent_of_train_data_to_use`).
    #[arg(long, value_name = "SHARE")]
    pub data_fraction: Option<f64>,
    /// Start paused: the views show the starting model (e.g. one loaded with
    /// --init-weights) until Resume.
    #[arg(long, conflicts_with = "headless")]
    pub paused: bool,
    /// With --headless: write only this view instead of the whole dashboard.
    #[arg(long, value_enum, requires = "headless")]
    pub scene: Option<SceneArg>,
    #[command(flatten)]
    pub shell: ShellArgs,
}

/// One view of the lab, for `--headless --scene`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum SceneArg {
    /// Loss and accuracy curves.
    Curves,
    /// Every convolution kernel.
    Filters,
    /// The validation confusion matrix.
    Confusion,
    /// One image through every layer.
    Activations,
    /// The penultimate layer's PCA cloud.
    Embedding,
    /// The update-to-weight ratios and the learning rate.
    Optimizer,
    /// Validation images with their predicted classes.
    Browser,
    /// The draw-a-digit canvas.
    Draw,
    /// The first convolution's filter sliding over the image.
    FilterPass,
}

impl SceneArg {
    fn panel(self) -> usize {
        match self {
            SceneArg::Curves => panel::CURVES,
            SceneArg::Filters => panel::FILTERS,
            SceneArg::Confusion => panel::CONFUSION,
            SceneArg::Activations => panel::ACTIVATIONS,
            SceneArg::Embedding => panel::EMBEDDING,
            SceneArg::Optimizer => panel::OPTIMIZER,
            SceneArg::Browser => panel::BROWSER,
            SceneArg::Draw => panel::DRAW,
            SceneArg::FilterPass => panel::FILTER_PASS,
        }
    }
}

/// Loads the data and starts the lab as `args` say (training starts at once unless
/// `--paused`).
pub fn build(args: &LabArgs) -> Result<MnistLab> {
    let mut config = training_config(&args.train)?;
    if let Some(share) = args.data_fraction {
        ensure!(
            share > 0.0 && share <= 1.0,
            "--data-fraction must be in (0, 1], got {share}"
        );
        config.percent_of_train_data_to_use = share;
    }
    let mut model = config.build()?;
    if let Some(path) = &args.train.init_weights {
        io::load_weights_into(path, &config, &mut model)
            .with_context(|| format!("--init-weights {}", path.display()))?;
    }
    let (mnist, data_dir) = load_mnist(args.train.data_dir.as_deref())?;
    let MnistSplits { train, val, .. } = prepare(&config, &mnist)?;
    eprintln!(
        "MNIST from {data_dir}: training on {} images, validating on {}",
        train.len(),
        val.len()
    );
    let setup = MnistSetup {
        config,
        model,
        train: Arc::new(train),
        val: Arc::new(val),
        source: Some(Arc::new(mnist)),
    };
    let out = output_path(args.train.out.as_deref(), &setup.config)?;
    Ok(MnistLab::new(setup, args.paused)?.with_model_path(&out))
}

/// The arguments of a plain `netviz mnist` (what the Lab menu opens).
pub fn default_args() -> LabArgs {
    #[derive(clap::Parser)]
    struct Defaults {
        #[command(flatten)]
        args: LabArgs,
    }
    <Defaults as clap::Parser>::parse_from(["netviz"]).args
}

/// Runs the MNIST lab in a window, or headless to a PNG.
pub fn run(args: &LabArgs, menu: LabMenu) -> Result<()> {
    let mut lab = build(args)?;
    if !args.shell.headless {
        return run_lab(Box::new(lab), &args.shell, menu);
    }
    ensure!(
        lab.wait_until_done(Duration::from_secs(3600)),
        "training did not end within an hour"
    );
    let snap = lab.snapshot().clone();
    if let Some(e) = &snap.error {
        anyhow::bail!("training stopped: {e}");
    }
    match args.scene {
        None => run_lab(Box::new(lab), &args.shell, menu)?,
        Some(scene) => write_single_view(Box::new(lab), scene.panel(), &args.shell)?,
    }
    let val = snap.epochs.last().and_then(|e| e.validation.as_ref());
    println!(
        "epochs={} val_accuracy={:.4} val_loss={:.4}",
        snap.epochs.len(),
        val.map_or(f64::NAN, |v| v.metrics.accuracy),
        val.map_or(f64::NAN, |v| v.loss)
    );
    Ok(())
}
