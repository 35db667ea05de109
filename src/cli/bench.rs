//! `netviz bench cnn|xor`: argument parsing and printing around [`netviz::bench`].

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};

use netviz::bench::{self, CnnBench, Workload};

/// Workload names on the command line.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum WorkloadArg {
    /// 1x14x14 input, conv8-pool-conv16-pool-dense128-dense10.
    #[value(name = "S", alias = "s")]
    S,
    /// 1x28x28 input, conv32-pool-conv64-pool-dense128-dense10.
    #[value(name = "L", alias = "l")]
    L,
}

/// Arguments of `netviz bench cnn`.
#[derive(Debug, Args)]
pub struct CnnArgs {
    /// Which workload.
    #[arg(long, value_enum, default_value = "S")]
    pub workload: WorkloadArg,
    /// Images per training step.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..))]
    pub batch: u32,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Seconds to measure (after a short warm-up).
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Also print where the time goes, layer by layer.
    #[arg(long)]
    pub profile: bool,
}

/// Arguments of `netviz bench xor`.
#[derive(Debug, Args)]
pub struct XorArgs {
    /// Hidden neurons.
    #[arg(long, default_value_t = 3)]
    pub hidden: usize,
    /// Seconds to measure.
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs `netviz bench cnn`.
pub fn cnn(args: &CnnArgs) -> Result<()> {
    anyhow::ensure!(
        args.seconds.is_finite() && args.seconds > 0.0,
        "--seconds must be a positive number, got {}",
        args.seconds
    );
    let opts = CnnBench {
        workload: match args.workload {
            WorkloadArg::S => Workload::S,
            WorkloadArg::L => Workload::L,
        },
        batch: args.batch as usize,
        threads: args.threads.unwrap_or_else(default_threads),
        seconds: args.seconds,
        profile: args.profile,
    };
    let report = bench::run_cnn(&opts, |line| println!("{line}"))
        .with_context(|| format!("benchmark of workload {}", opts.workload.name()))?;
    if !report.profile.is_empty() {
        println!(
            "{:<10} {:>16} {:>12} {:>12}",
            "layer", "output", "fwd us", "bwd us"
        );
        let total: f64 = report.profile.iter().map(|(_, _, f, b)| f + b).sum();
        for (i, (name, shape, f, b)) in report.profile.iter().enumerate() {
            println!(
                "{:<10} {:>16} {:>12.1} {:>12.1}  {:>5.1}%",
                format!("{i} {name}"),
                shape,
                f * 1e6,
                b * 1e6,
                100.0 * (f + b) / total.max(1e-12)
            );
        }
    }
    let gflops = report.images_per_sec * 3.0 * 2.0 * report.forward_macs as f64 / 1e9;
    println!(
        "{} steps, {:.1} GFLOP/s (counting 3x the forward multiply-adds per training image)",
        report.steps, gflops
    );
    println!(
        "workload={} images_per_sec={:.0}",
        opts.workload.name(),
        report.images_per_sec
    );
    Ok(())
}

/// Runs `netviz bench xor`.
pub fn xor(args: &XorArgs) -> Result<()> {
    anyhow::ensure!(
        args.seconds.is_finite() && args.seconds > 0.0,
        "--seconds must be a positive number, got {}",
        args.seconds
    );
    let report = bench::run_xor(args.hidden, args.seconds).context("xor benchmark")?;
    println!(
        "2-{}-1 sigmoid network, full batch of 4 points, lr 0.1: {} epochs, final loss {:.6}",
        args.hidden, report.epochs, report.final_loss
    );
    println!("epochs_per_sec={:.0}", report.epochs_per_sec);
    Ok(())
}
