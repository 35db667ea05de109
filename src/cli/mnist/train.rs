//! `netviz mnist train`: builds the model from a config (with the command line's overrides
//! and optional starting weights), trains it with a progress bar per epoch and a summary line
//! after each, stops cleanly on Ctrl-C, SIGTERM or SIGHUP, evaluates the kept weights on the
//! whole test set, and writes the model and `<stem>.metrics.json` together as a set (the
//! folder holds the old pair or the new one, whatever happens).

use netviz::files::limits::BATCH;
use std::ffi::OsStr;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use clap::{Args, ValueEnum};
use indicatif::ProgressBar;
use serde::Serialize;

use netviz::data::preprocess::Dataset;
use netviz::nn::config::ModelConfig;
use netviz::nn::{NnError, OptimizerKind, Sequential, io};
use netviz::train::mnist::{MNIST_CLASSES, MnistSplits, image_side, prepare};
use netviz::train::{EVAL_BATCH, EpochSummary, Evaluation, Kept, StopReason, Trainer, evaluate};

use crate::cli::legacy::USER_CONFIG;
use crate::cli::mnist::{
    DEFAULT_CONFIG, bar_style, fmt_loss, load_mnist, print_test_summary, result_line,
};

/// Optimizers on the command line.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OptimizerArg {
    /// Adam with bias correction (the default).
    Adam,
    /// Stochastic gradient descent.
    Sgd,
}

/// Arguments of `netviz mnist train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Model config (JSON, the original schema) [default: the built-in
    /// assets/configs/default_cnn.json]. config/user_cnn_params.json is created from the
    /// default the first time it is named.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Passes over the training data (overrides the config's `epochs`).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub epochs: Option<u32>,
    /// Images per training batch (overrides `batch_size`).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(BATCH)))]
    pub batch_size: Option<u32>,
    /// Learning rate (overrides `learning_rate`; the default config uses 0.01).
    #[arg(long = "lr", visible_alias = "learning-rate")]
    pub learning_rate: Option<f32>,
    /// Optimizer (overrides `optimizer`).
    #[arg(long, value_enum)]
    pub optimizer: Option<OptimizerArg>,
    /// Seed of the data selection, split, initial weights and shuffles (overrides `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Folder with the four MNIST files [default: $NETVIZ_DATA_DIR, else the user cache
    /// folder, where missing files are downloaded].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Where to write the model [default: models/<model_output_filename>.safetensors]; the
    /// metrics go beside it as <stem>.metrics.json.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Start from the weights of this model file (same architecture as the config).
    #[arg(long, value_name = "FILE")]
    pub init_weights: Option<PathBuf>,
}

/// Runs `netviz mnist train`.
pub fn train(args: &TrainArgs) -> Result<()> {
    let config = training_config(args)?;
    let side = image_side(&config)?;
    let mut model = config.build()?;
    if let Some(path) = &args.init_weights {
        io::load_weights_into(path, &config, &mut model)
            .with_context(|| format!("--init-weights {}", path.display()))?;
    }
    let out = output_path(args.out.as_deref(), &config)?;

    let (mnist, data_dir) = load_mnist(args.data_dir.as_deref())?;
    let MnistSplits { train, val, test } = prepare(&config, &mnist)?;
    drop(mnist);
    let sizes = DataSizes {
        train: train.len(),
        validation: val.len(),
        test: test.len(),
        input_size: side,
    };
    print_setup(&config, &model, &sizes, &data_dir);
    let mut trainer = Trainer::new(config, model, train, val)?;
    crate::cli::signals::install(trainer.stop_flag(), "stopping after the current batch");
    let started = Instant::now();
    let reason = run_with_bars(&mut trainer)?;
    let total_secs = started.elapsed().as_secs_f64();
    finish(trainer, reason, total_secs, sizes, &test, &out)
}

fn print_setup(config: &ModelConfig, model: &Sequential, sizes: &DataSizes, data_dir: &str) {
    let side = sizes.input_size;
    println!(
        "MNIST from {data_dir}: training on {} images, validating on {} ({}% of them each \
         epoch), testing on {}; images {side}x{side}",
        sizes.train,
        sizes.validation,
        config.validation_subset_ratio * 100.0,
        sizes.test
    );
    println!(
        "model: {} layers, {} parameters; {} lr {}, batch {}, up to {} epochs, patience {}, \
         seed {}",
        config.layers.len(),
        model.num_params(),
        optimizer_name(config.optimizer),
        config.learning_rate,
        config.batch_size,
        config.epochs,
        config.patience,
        config.seed
    );
}

/// After training: writes the kept model (unless training diverged before any epoch ended),
/// evaluates it on the test set, writes the metrics and prints the last line.
fn finish(
    trainer: Trainer,
    reason: StopReason,
    total_secs: f64,
    sizes: DataSizes,
    test: &Dataset,
    out: &Path,
) -> Result<()> {
    let kept = trainer.kept();
    let config = trainer.config().clone();
    let history = trainer.history().to_vec();
    let mut model = trainer.into_model();
    let diverged = matches!(reason, StopReason::Diverged { .. });
    if diverged && kept == Some(Kept::Initial) {
        let existing = if out.exists() {
            format!(" ({} is unchanged)", out.display())
        } else {
            String::new()
        };
        bail!("{reason}; no epoch finished, so no model was written{existing}");
    }
    if !diverged {
        println!("{reason}; keeping {}", kept_weights(kept));
    }
    // Everything is computed before anything is written: an interruption up to the commit
    // leaves the previous model and metrics as they were.
    let test_eval = evaluate(&mut model, test, None, MNIST_CLASSES, EVAL_BATCH)?;
    let record = |model_sha256: &str| TrainingRecord {
        model_file: out.display().to_string(),
        model_sha256: model_sha256.to_string(),
        config: &config,
        data: sizes,
        stop: &reason,
        kept,
        total_secs,
        epochs: &history,
        test: &test_eval,
    };
    let metrics_out = io::metrics_path(out);
    crate::cli::signals::while_saving(|| {
        io::save_model_with_metrics(out, &config, &model, |sha| {
            serde_json::to_vec_pretty(&record(sha))
                .map_err(|e| NnError::Config(format!("encoding the metrics as JSON: {e}")))
        })
    })
    .with_context(|| format!("writing the model to {}", out.display()))?;
    println!("wrote {} and {}", out.display(), metrics_out.display());
    print_test_summary(&test_eval);
    println!("{}", result_line(&test_eval.metrics));
    if diverged {
        bail!(
            "{reason}; {} (the best so far) were written to {}",
            kept_weights(kept),
            out.display()
        );
    }
    Ok(())
}

/// The config to train with: the file (or the built-in default) with the command-line
/// settings applied and checked.
pub(crate) fn training_config(args: &TrainArgs) -> Result<ModelConfig> {
    let mut config = match &args.config {
        None => ModelConfig::from_json_str(DEFAULT_CONFIG).context("the built-in config")?,
        Some(path) => {
            if path == Path::new(USER_CONFIG) {
                create_user_config(path)?;
            }
            ModelConfig::from_file(path)?
        }
    };
    if let Some(epochs) = args.epochs {
        config.epochs = epochs as usize;
    }
    if let Some(batch) = args.batch_size {
        config.batch_size = batch as usize;
    }
    if let Some(lr) = args.learning_rate {
        ensure!(
            lr.is_finite() && lr > 0.0,
            "--lr must be a positive number, got {lr}"
        );
        config.learning_rate = lr;
    }
    if let Some(opt) = args.optimizer {
        config.optimizer = match opt {
            OptimizerArg::Adam => OptimizerKind::Adam,
            OptimizerArg::Sgd => OptimizerKind::Sgd,
        };
    }
    if let Some(seed) = args.seed {
        config.seed = seed;
    }
    config.validate()?;
    Ok(config)
}

/// Creates the user config from the default one if it does not exist yet (never overwrites).
fn create_user_config(path: &Path) -> Result<()> {
    if path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).with_context(|| format!("creating folder {}", dir.display()))?;
    }
    let mut file = match OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(f) => f,
        // Created by someone else in the meantime: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
    };
    file.write_all(DEFAULT_CONFIG.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    println!(
        "created {} from the default config (assets/configs/default_cnn.json); edit it to \
         change the model or the training",
        path.display()
    );
    Ok(())
}

/// `--out`, or `models/<model_output_filename>.safetensors`.
pub(crate) fn output_path(out: Option<&Path>, config: &ModelConfig) -> Result<PathBuf> {
    let path = match out {
        Some(p) => p.to_path_buf(),
        None => {
            let name = config.model_output_filename.as_str();
            ensure!(
                !name.is_empty() && Path::new(name).file_name() == Some(OsStr::new(name)),
                "model_output_filename {name:?} must be a plain file name"
            );
            let file = if name.ends_with(".safetensors") {
                name.to_string()
            } else {
                format!("{name}.safetensors")
            };
            Path::new("models").join(file)
        }
    };
    ensure!(
        !path.is_dir(),
        "the model output {} is a folder; name a file",
        path.display()
    );
    // Refused now rather than after the training: only regular files are ever replaced.
    netviz::files::atomic::check_replaceable(&path)?;
    netviz::files::atomic::check_replaceable(&io::metrics_path(&path))?;
    Ok(path)
}

fn optimizer_name(kind: OptimizerKind) -> &'static str {
    match kind {
        OptimizerKind::Adam => "adam",
        OptimizerKind::Sgd => "sgd",
    }
}

/// Which weights were kept, as words: "the weights of epoch 3 (validation loss 0.1234)".
fn kept_weights(kept: Option<Kept>) -> String {
    match kept {
        Some(Kept::Epoch {
            epoch,
            val_loss: Some(loss),
        }) => format!("the weights of epoch {epoch} (validation loss {loss:.4})"),
        Some(Kept::Epoch { epoch, .. }) => format!("the weights of epoch {epoch}"),
        Some(Kept::LastBatch) => "the weights after the last batch".into(),
        Some(Kept::Initial) | None => "the initial weights".into(),
    }
}

/// Steps the trainer to the end, with a progress bar per epoch and a line after each.
fn run_with_bars(trainer: &mut Trainer) -> Result<StopReason> {
    let epochs = trainer.config().epochs;
    let style = bar_style("epoch {prefix} [{bar:28}] {pos}/{len} {msg} ({elapsed})");
    let mut bar: Option<ProgressBar> = None;
    loop {
        if bar.is_none() && trainer.stop_reason().is_none() {
            let b = ProgressBar::new(trainer.batches_per_epoch() as u64).with_style(style.clone());
            b.set_prefix(format!("{}/{epochs}", trainer.epoch()));
            bar = Some(b);
        }
        let report = trainer.step()?;
        if let (Some(b), Some(batch)) = (&bar, &report.batch) {
            b.set_position(batch.batch as u64);
            b.set_message(format!(
                "loss {} acc {:.4} P {:.4} F1 {:.4}",
                fmt_loss(batch.running_loss),
                batch.running_accuracy,
                batch.running_macro_precision,
                batch.running_macro_f1
            ));
        }
        if let Some(summary) = &report.epoch {
            if let Some(b) = bar.take() {
                b.finish_and_clear();
            }
            println!("{}", epoch_line(summary, epochs));
        }
        if let Some(reason) = report.stop {
            if let Some(b) = bar.take() {
                b.finish_and_clear();
            }
            return Ok(reason);
        }
    }
}

/// One epoch's summary line.
fn epoch_line(s: &EpochSummary, epochs: usize) -> String {
    let width = epochs.to_string().len();
    let mut line = format!(
        "epoch {:>width$}/{epochs}  train loss {} acc {:.4} P {:.4} F1 {:.4}",
        s.epoch,
        fmt_loss(s.train_loss),
        s.train_accuracy,
        s.train_macro_precision,
        s.train_macro_f1
    );
    match &s.validation {
        Some(v) => {
            let m = &v.metrics;
            line.push_str(&format!(
                " | val loss {} acc {:.4} P {:.4} R {:.4} F1 {:.4} ({} images)",
                fmt_loss(v.loss),
                m.accuracy,
                m.macro_precision,
                m.macro_recall,
                m.macro_f1,
                m.total
            ));
        }
        None => line.push_str(" | no validation split"),
    }
    line.push_str(&format!(" | {:.2} s", s.wall_secs));
    if s.validation.is_some() {
        if s.improved {
            line.push_str(" | best so far");
        } else {
            line.push_str(&format!(
                " | no improvement {}/{}",
                s.epochs_without_improvement, s.patience
            ));
        }
    }
    line
}

/// What `metrics.json` holds.
#[derive(Serialize)]
struct TrainingRecord<'a> {
    model_file: String,
    /// SHA-256 of the model file written with these metrics.
    model_sha256: String,
    config: &'a ModelConfig,
    data: DataSizes,
    stop: &'a StopReason,
    kept: Option<Kept>,
    total_secs: f64,
    epochs: &'a [EpochSummary],
    test: &'a Evaluation,
}

#[derive(Serialize)]
struct DataSizes {
    train: usize,
    validation: usize,
    test: usize,
    input_size: usize,
}
