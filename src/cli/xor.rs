//! `netviz xor`: the XOR lab. By default it opens the window (live training, feature space,
//! input space, network, loss surface, curves); `--headless` trains to `--epochs` and writes
//! the dashboard (or one `--scene`) as a PNG; `--text` trains in the terminal and prints, as
//! the original program did, the loss every `--refresh` epochs and, for the four XOR points,
//! every neuron's pre-activation `z`, activation `a` and bias `b` for each input. Text and
//! headless runs end with a machine-readable line:
//! `epochs=50000 accuracy=1.0000 final_loss=0.000812 outputs=0.0213,0.9790,0.9790,0.0240`
//! (`outputs=` only for the four XOR points; the headless line has no `accuracy=`).
//!
//! `--text` trains a [`PlaneNet`] on the chosen `--dataset`: any number of hidden layers
//! (`--hidden 8,8`), `--loss mse|bce`, `--optimizer gd|momentum|adam` and `--batch N`. Its
//! defaults (one layer of 3, MSE, full-batch gradient descent) are the original network, and
//! give the same numbers. The lab (window, `--headless`) takes one hidden layer, MSE and full
//! batch gradient descent for now, and refuses the others.

use netviz::files::limits::XOR_HIDDEN;
use std::time::Duration;

use anyhow::{Result, ensure};
use clap::{Args, ValueEnum};

use crate::cli::app::ShellArgs;
use crate::cli::lab_command::LabCommand;
use netviz::data::plane::{DEFAULT_POINTS, Dataset2d};
use netviz::labs::xor::{DatasetKind, XorLab, XorLabOptions, XorSettings};
use netviz::nn::plane::{PlaneLoss, PlaneNet, PlaneOptimizer, PlaneSpec, check_hidden};
use netviz::nn::xor::Activation;

/// Hidden activations on the command line.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ActivationArg {
    /// 1 / (1 + e^-z), as the original.
    Sigmoid,
    /// tanh(z).
    Tanh,
    /// max(0, z).
    Relu,
}

impl From<ActivationArg> for Activation {
    fn from(a: ActivationArg) -> Self {
        match a {
            ActivationArg::Sigmoid => Activation::Sigmoid,
            ActivationArg::Tanh => Activation::Tanh,
            ActivationArg::Relu => Activation::Relu,
        }
    }
}

/// Losses on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LossArg {
    /// 1/N sum 1/2 (y_hat - y)^2, as the original.
    Mse,
    /// Binary cross-entropy.
    Bce,
}

impl From<LossArg> for PlaneLoss {
    fn from(l: LossArg) -> Self {
        match l {
            LossArg::Mse => PlaneLoss::Mse,
            LossArg::Bce => PlaneLoss::Bce,
        }
    }
}

/// Optimizers on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OptimizerArg {
    /// Gradient descent, as the original.
    Gd,
    /// Momentum 0.9.
    Momentum,
    /// Adam (0.9, 0.999, 1e-8).
    Adam,
}

impl From<OptimizerArg> for PlaneOptimizer {
    fn from(o: OptimizerArg) -> Self {
        match o {
            OptimizerArg::Gd => PlaneOptimizer::Gd,
            OptimizerArg::Momentum => PlaneOptimizer::Momentum,
            OptimizerArg::Adam => PlaneOptimizer::Adam,
        }
    }
}

/// Neurons of each hidden layer, input side first (`--hidden 8,8`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HiddenLayers(pub Vec<usize>);

impl std::fmt::Display for HiddenLayers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(usize::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

/// Reads `3` or `8,8` and checks it against the limits (one layer of up to
/// [`XOR_HIDDEN`], or up to 4 layers of up to 16).
fn parse_hidden(text: &str) -> std::result::Result<HiddenLayers, String> {
    let sizes = text
        .split(',')
        .map(|part| {
            let part = part.trim();
            part.parse::<i64>()
                .map_err(|_| format!("{part:?} is not a number of neurons"))
                .and_then(|n| {
                    usize::try_from(n).map_err(|_| format!("{n} is not in 1..={XOR_HIDDEN}"))
                })
        })
        .collect::<std::result::Result<Vec<usize>, String>>()?;
    check_hidden(&sizes)?;
    Ok(HiddenLayers(sizes))
}

/// Arguments of `netviz xor`.
#[derive(Debug, Args)]
pub struct XorArgs {
    /// Hidden neurons (original: -hn); with `--text`, a list such as 8,8 gives one hidden
    /// layer per number (up to 4 layers of up to 16).
    #[arg(long, default_value = "3", value_parser = parse_hidden, allow_hyphen_values = true)]
    pub hidden: HiddenLayers,
    /// Loss (`--text` only for bce).
    #[arg(long, value_enum, default_value = "mse")]
    pub loss: LossArg,
    /// Optimizer (`--text` only for momentum and adam).
    #[arg(long, value_enum, default_value = "gd")]
    pub optimizer: OptimizerArg,
    /// Points per batch, reshuffled every epoch; 0 = all points (`--text` only for others).
    #[arg(long, default_value_t = 0)]
    pub batch: usize,
    /// Print the loss every this many epochs (original: -ner, epochs per refresh).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    pub refresh: u64,
    /// Epochs (original: -e).
    #[arg(long, default_value_t = 50_000)]
    pub epochs: u64,
    /// Learning rate (`--learning-rate` also works).
    #[arg(long = "lr", visible_alias = "learning-rate", default_value_t = 0.1)]
    pub learning_rate: f32,
    /// Seed of the initial weights (drawn from N(0, 1) as the original).
    #[arg(long, default_value_t = netviz::nn::config::DEFAULT_SEED)]
    pub seed: u64,
    /// Activation of the hidden layers (the output is always a sigmoid).
    #[arg(long, value_enum, default_value = "sigmoid")]
    pub activation: ActivationArg,
    /// Dataset (two classes in the plane).
    #[arg(long, value_enum, default_value = "xor")]
    pub dataset: DatasetArg,
    /// Gaussian noise added to the dataset's points.
    #[arg(long, default_value_t = 0.0)]
    pub noise: f32,
    /// Train in the terminal and print the neurons instead of opening the lab.
    #[arg(long, conflicts_with = "headless")]
    pub text: bool,
    #[command(flatten)]
    pub shell: ShellArgs,
}

/// Datasets on the command line.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DatasetArg {
    /// The four XOR points.
    Xor,
    /// A disc inside a ring.
    Circles,
    /// Two gaussian blobs.
    Gaussians,
    /// Two spiral arms.
    Spiral,
    /// Two moons.
    Moons,
}

impl From<DatasetArg> for DatasetKind {
    fn from(d: DatasetArg) -> Self {
        match d {
            DatasetArg::Xor => DatasetKind::Xor,
            DatasetArg::Circles => DatasetKind::Circles,
            DatasetArg::Gaussians => DatasetKind::Gaussians,
            DatasetArg::Spiral => DatasetKind::Spiral,
            DatasetArg::Moons => DatasetKind::Moons,
        }
    }
}

impl LabCommand for XorArgs {
    const NAME: &'static str = "xor";
    const TITLE: &'static str = "XOR";
    type Lab = XorLab;

    fn shell(&self) -> &ShellArgs {
        &self.shell
    }

    fn open(run: &netviz::labs::run_file::RunFile) -> Result<XorLab> {
        Ok(XorLab::open_run(run)?)
    }

    /// Starts the lab (unpaced when headless, so a picture shows the end of training as
    /// soon as possible).
    fn build(&self) -> Result<XorLab> {
        check(self)?;
        let settings = XorSettings {
            hidden: self.hidden.0.clone(),
            activation: self.activation.into(),
            loss: self.loss.into(),
            optimizer: self.optimizer.into(),
            batch: self.batch,
            learning_rate: self.learning_rate,
            epochs_per_refresh: self.refresh,
            max_epochs: self.epochs,
            seed: self.seed,
            dataset: self.dataset.into(),
            noise: self.noise,
            ..XorSettings::default()
        };
        let max_refresh_hz = if self.shell.headless {
            None
        } else {
            Some(60.0)
        };
        Ok(XorLab::new(XorLabOptions {
            settings,
            max_refresh_hz,
            train_first: self.shell.headless,
            ..XorLabOptions::default()
        })?)
    }

    fn run_to_end(&self, lab: &mut XorLab) -> Result<String> {
        ensure!(
            lab.wait_until_done(Duration::from_secs(600)),
            "training did not reach {} epochs within 10 minutes",
            self.epochs
        );
        let snap = lab.snapshot();
        if let Some(why) = &snap.diverged {
            eprintln!("warning: {why}");
        }
        let summary = format!(
            "epochs={} accuracy={:.4} final_loss={:.6}",
            snap.epoch,
            snap.net.accuracy(&snap.data.points, &snap.data.labels),
            snap.loss
        );
        if is_four_xor_points(&snap.data) {
            let outputs: Vec<String> = snap.points.iter().map(|p| format!("{:.4}", p.y)).collect();
            Ok(format!("{summary} outputs={}", outputs.join(",")))
        } else {
            Ok(summary)
        }
    }

    fn terminal(&self) -> Option<Result<()>> {
        self.text.then(|| check(self).and_then(|()| run_text(self)))
    }
}

/// The checks clap cannot make.
fn check(args: &XorArgs) -> Result<()> {
    ensure!(
        args.learning_rate.is_finite() && args.learning_rate > 0.0,
        "--lr must be a positive number, got {}",
        args.learning_rate
    );
    ensure!(
        args.noise.is_finite() && args.noise >= 0.0,
        "--noise must be zero or positive, got {}",
        args.noise
    );
    Ok(())
}

/// `netviz xor --text`: trains a [`PlaneNet`] on the dataset in the terminal, prints the loss
/// every `--refresh` epochs and, for the four XOR points, the neurons.
fn run_text(args: &XorArgs) -> Result<()> {
    let kind = DatasetKind::from(args.dataset);
    let data = Dataset2d::generate(kind, DEFAULT_POINTS, args.noise, args.seed);
    let spec = PlaneSpec {
        hidden: args.hidden.0.clone(),
        activation: args.activation.into(),
        loss: args.loss.into(),
        optimizer: args.optimizer.into(),
        learning_rate: args.learning_rate,
        batch: args.batch,
        seed: args.seed,
    };
    let mut net = PlaneNet::new(&spec)?;
    let (xs, ys) = (&data.points, &data.labels);
    let batches = if spec.batch == 0 || spec.batch >= data.len() {
        format!("full batch of {} points", data.len())
    } else {
        format!("batches of {} of {} points", spec.batch, data.len())
    };
    let optimizer = match spec.optimizer {
        PlaneOptimizer::Gd => "gradient descent",
        PlaneOptimizer::Momentum => "momentum 0.9",
        PlaneOptimizer::Adam => "Adam",
    };
    let name = if kind == DatasetKind::Xor {
        "XOR".to_string()
    } else {
        kind.name().to_string()
    };
    println!(
        "{name}: {} network, {} hidden activation, sigmoid output, {}, {optimizer}, {batches}, \
         lr {}, {} epochs, seed {}",
        net.architecture(),
        spec.activation.name(),
        spec.loss.name().to_uppercase(),
        args.learning_rate,
        args.epochs,
        args.seed
    );
    for epoch in 1..=args.epochs {
        let loss = net.train_epoch(xs, ys);
        if epoch % args.refresh == 0 || epoch == args.epochs {
            ensure!(
                loss.is_finite() && net.is_finite(),
                "{name} training diverged by epoch {epoch} (loss {loss}) with learning rate {}; \
                 try a lower --lr",
                args.learning_rate
            );
            println!("epoch {epoch:>8}  loss {loss:.6}");
        }
    }
    let final_loss = net.loss(xs, ys);
    ensure!(
        final_loss.is_finite(),
        "{name} training diverged (final loss {final_loss}) with learning rate {}; try a lower --lr",
        args.learning_rate
    );
    let summary = format!(
        "epochs={} accuracy={:.4} final_loss={final_loss:.6}",
        net.epochs(),
        net.accuracy(xs, ys)
    );
    if is_four_xor_points(&data) {
        print_neurons(&net, &data);
        let outputs: Vec<String> = xs
            .iter()
            .map(|&x| format!("{:.4}", net.predict(x)))
            .collect();
        println!("{summary} outputs={}", outputs.join(","));
    } else {
        println!("{summary}");
    }
    Ok(())
}

/// True for the plain XOR dataset: the four corners, each once.
fn is_four_xor_points(data: &Dataset2d) -> bool {
    data.kind == DatasetKind::Xor && data.points == netviz::nn::xor::XOR_INPUTS
}

/// Prints `z`, `a` and `b` of every neuron of every layer for each input.
fn print_neurons(net: &PlaneNet, data: &Dataset2d) {
    let layers = net.layers();
    let deep = layers.len() > 2;
    for (x, target) in data.points.iter().zip(&data.labels) {
        let f = net.forward(*x);
        println!(
            "input ({}, {})  target {}  output {:.4}",
            x[0],
            x[1],
            target,
            f.output()
        );
        for (l, layer) in layers.iter().enumerate() {
            let last = l + 1 == layers.len();
            for j in 0..layer.outputs {
                let label = match (last, deep) {
                    (true, false) => "output    ".to_string(),
                    (true, true) => "output      ".to_string(),
                    (false, false) => format!("hidden {:<3}", j + 1),
                    (false, true) => format!("hidden {:<5}", format!("{}.{}", l + 1, j + 1)),
                };
                println!(
                    "  {label} z={:>9.4}  a={:>7.4}  b={:>8.4}",
                    f.z[l][j],
                    f.a[l + 1][j],
                    layer.b[j]
                );
            }
        }
    }
}
