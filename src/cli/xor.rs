//! `netviz xor`: the XOR lab. By default it opens the window (live training, feature space,
//! input space, network, loss surface, curves); `--headless` trains to `--epochs` and writes
//! the dashboard (or one `--scene`) as a PNG; `--text` trains in the terminal and prints, as
//! the original program did, the loss every `--refresh` epochs and at the end every neuron's
//! pre-activation `z`, activation `a` and bias `b` for each input. Text and headless runs end
//! with a machine-readable line: `final_loss=0.000812 outputs=0.0213,0.9790,0.9790,0.0240`.

use netviz::files::limits::XOR_HIDDEN;
use std::time::Duration;

use anyhow::{Result, ensure};
use clap::{Args, ValueEnum};

use crate::cli::app::ShellArgs;
use crate::cli::lab_command::LabCommand;
use netviz::labs::xor::{DatasetKind, XorLab, XorLabOptions, XorSettings};

use netviz::nn::xor::{Activation, XOR_INPUTS, XOR_TARGETS, XorNet, sigmoid};

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

/// Arguments of `netviz xor`.
#[derive(Debug, Args)]
pub struct XorArgs {
    /// Hidden neurons (original: -hn).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=i64::from(XOR_HIDDEN)))]
    pub hidden: u32,
    /// Print the loss every this many epochs (original: -ner, epochs per refresh).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    pub refresh: u64,
    /// Full-batch gradient-descent epochs (original: -e).
    #[arg(long, default_value_t = 50_000)]
    pub epochs: u64,
    /// Learning rate (`--learning-rate` also works).
    #[arg(long = "lr", visible_alias = "learning-rate", default_value_t = 0.1)]
    pub learning_rate: f32,
    /// Seed of the initial weights (drawn from N(0, 1) as the original).
    #[arg(long, default_value_t = netviz::nn::config::DEFAULT_SEED)]
    pub seed: u64,
    /// Activation of the hidden layer (the output is always a sigmoid).
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
            hidden: self.hidden as usize,
            activation: self.activation.into(),
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
        let outputs: Vec<String> = snap.points.iter().map(|p| format!("{:.4}", p.y)).collect();
        Ok(format!(
            "epochs={} final_loss={:.6} outputs={}",
            snap.epoch,
            snap.loss,
            outputs.join(",")
        ))
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

/// `netviz xor --text`: trains in the terminal and prints the neurons.
fn run_text(args: &XorArgs) -> Result<()> {
    let activation = Activation::from(args.activation);
    let mut net = XorNet::new(args.hidden as usize, activation, args.seed)?;
    println!(
        "XOR: 2-{}-1 network, {} hidden activation, sigmoid output, MSE, full batch of 4 points, \
         lr {}, {} epochs, seed {}",
        args.hidden,
        activation.name(),
        args.learning_rate,
        args.epochs,
        args.seed
    );
    for epoch in 1..=args.epochs {
        let loss = net.train_epoch(&XOR_INPUTS, &XOR_TARGETS, args.learning_rate);
        if epoch % args.refresh == 0 || epoch == args.epochs {
            ensure!(
                loss.is_finite() && net.is_finite(),
                "XOR training diverged by epoch {epoch} (loss {loss}) with learning rate {}; \
                 try a lower --lr",
                args.learning_rate
            );
            println!("epoch {epoch:>8}  loss {loss:.6}");
        }
    }
    print_neurons(&net);
    let outputs: Vec<String> = XOR_INPUTS
        .iter()
        .map(|&x| format!("{:.4}", net.predict(x)))
        .collect();
    println!(
        "final_loss={:.6} outputs={}",
        net.loss(&XOR_INPUTS, &XOR_TARGETS),
        outputs.join(",")
    );
    Ok(())
}

/// Prints `z`, `a` and `b` of every neuron for each of the four inputs.
fn print_neurons(net: &XorNet) {
    let h = net.hidden();
    let (mut z1, mut a1) = (vec![0.0; h], vec![0.0; h]);
    for (x, target) in XOR_INPUTS.iter().zip(XOR_TARGETS) {
        net.hidden_into(*x, &mut z1, &mut a1);
        let z2 = net.output_z(&a1);
        println!(
            "input ({}, {})  target {}  output {:.4}",
            x[0],
            x[1],
            target,
            sigmoid(z2)
        );
        for j in 0..h {
            println!(
                "  hidden {:<3} z={:>9.4}  a={:>7.4}  b={:>8.4}",
                j + 1,
                z1[j],
                a1[j],
                net.b1[j]
            );
        }
        println!(
            "  output     z={:>9.4}  a={:>7.4}  b={:>8.4}",
            z2,
            sigmoid(z2),
            net.b2
        );
    }
}
