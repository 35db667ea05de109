//! `netviz mnist` (and the original `netviz -md`): the MNIST lab. By default it opens the
//! window and trains the configured CNN live; `--headless` trains to the end (`--epochs`)
//! and writes the dashboard (or one `--scene`) as a PNG, then prints
//! `epochs=1 val_accuracy=0.9612 val_loss=0.1301`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use clap::Args;

use netviz::labs::mnist::{MnistLab, MnistSetup};
use netviz::nn::io;
use netviz::train::mnist::{MnistSplits, prepare};

use crate::cli::app::ShellArgs;
use crate::cli::lab_command::LabCommand;
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
    #[command(flatten)]
    pub shell: ShellArgs,
}

impl LabCommand for LabArgs {
    const NAME: &'static str = "mnist";
    const TITLE: &'static str = "MNIST";
    type Lab = MnistLab;

    fn shell(&self) -> &ShellArgs {
        &self.shell
    }

    fn open(run: &netviz::labs::run_file::RunFile) -> Result<MnistLab> {
        Ok(MnistLab::open_run(run)?)
    }

    /// Loads the data and starts the lab (training starts at once unless `--paused`).
    fn build(&self) -> Result<MnistLab> {
        let args = self;
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

    fn run_to_end(&self, lab: &mut MnistLab) -> Result<String> {
        ensure!(
            lab.wait_until_done(Duration::from_secs(3600)),
            "training did not end within an hour"
        );
        let snap = lab.snapshot();
        if let Some(e) = &snap.error {
            anyhow::bail!("training stopped: {e}");
        }
        let val = snap.epochs.last().and_then(|e| e.validation.as_ref());
        Ok(format!(
            "epochs={} val_accuracy={:.4} val_loss={:.4}",
            snap.epochs.len(),
            val.map_or(f64::NAN, |v| v.metrics.accuracy),
            val.map_or(f64::NAN, |v| v.loss)
        ))
    }
}
