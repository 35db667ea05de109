//! `netviz xor`: trains the original `2 -> h -> 1` network ([`XorNet`]) on the four XOR
//! points by full-batch gradient descent and prints, as the original program did, the loss
//! every `--refresh` epochs and at the end every neuron's pre-activation `z`, activation `a`
//! and bias `b` for each input. The last line is machine-readable:
//! `final_loss=0.000812 outputs=0.0213,0.9790,0.9790,0.0240`.

use anyhow::{Result, ensure};
use clap::{Args, ValueEnum};

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
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub hidden: u32,
    /// Print the loss every this many epochs (original: -ner, epochs per refresh).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..))]
    pub refresh: u64,
    /// Full-batch gradient-descent epochs (original: -e).
    #[arg(long, default_value_t = 50_000)]
    pub epochs: u64,
    /// Learning rate.
    #[arg(long, default_value_t = 0.1)]
    pub lr: f32,
    /// Seed of the initial weights (drawn from N(0, 1) as the original).
    #[arg(long, default_value_t = netviz::nn::config::DEFAULT_SEED)]
    pub seed: u64,
    /// Activation of the hidden layer (the output is always a sigmoid).
    #[arg(long, value_enum, default_value = "sigmoid")]
    pub activation: ActivationArg,
}

/// Runs `netviz xor`: trains in the terminal and prints the neurons.
pub fn run(args: &XorArgs) -> Result<()> {
    ensure!(
        args.lr.is_finite() && args.lr > 0.0,
        "--lr must be a positive number, got {}",
        args.lr
    );
    let activation = Activation::from(args.activation);
    let mut net = XorNet::new(args.hidden as usize, activation, args.seed)?;
    println!(
        "XOR: 2-{}-1 network, {} hidden activation, sigmoid output, MSE, full batch of 4 points, \
         lr {}, {} epochs, seed {}",
        args.hidden,
        activation.name(),
        args.lr,
        args.epochs,
        args.seed
    );
    for epoch in 1..=args.epochs {
        let loss = net.train_epoch(&XOR_INPUTS, &XOR_TARGETS, args.lr);
        if epoch % args.refresh == 0 || epoch == args.epochs {
            ensure!(
                loss.is_finite() && net.is_finite(),
                "XOR training diverged by epoch {epoch} (loss {loss}) with learning rate {}; \
                 try a lower --lr",
                args.lr
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
