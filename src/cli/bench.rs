//! `netviz bench cnn|xor`: argument parsing and printing around [`netviz::bench`].

use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use netviz::files::limits::{BATCH, THREADS, XOR_HIDDEN};

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
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=i64::from(BATCH)))]
    pub batch: u32,
    /// Worker threads (default: all cores).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=THREADS as i64))]
    pub threads: Option<u32>,
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
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=i64::from(XOR_HIDDEN)))]
    pub hidden: u32,
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
        threads: args.threads.map_or_else(default_threads, |t| t as usize),
        seconds: args.seconds,
        profile: args.profile,
    };
    let report = bench::run_cnn(&opts, |line| println!("{line}"))
        .with_context(|| format!("benchmark of workload {}", opts.workload.name()))?;
    if !report.profile.is_empty() {
        print_profile(&report.profile);
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

/// Prints where a step's time goes, layer by layer: microseconds per step, share of the
/// step, and the GFLOP/s of the layers that multiply.
fn print_profile(profile: &[bench::LayerProfile]) {
    println!(
        "{:<12} {:>12} {:>10} {:>10} {:>7} {:>10} {:>10}",
        "layer", "output", "fwd us", "bwd us", "share", "fwd GF/s", "bwd GF/s"
    );
    let total: f64 = profile
        .iter()
        .map(|l| l.forward_secs + l.backward_secs)
        .sum();
    let rate = |g: Option<f64>| g.map_or_else(String::new, |g| format!("{g:.1}"));
    for (i, l) in profile.iter().enumerate() {
        let line = format!(
            "{:<12} {:>12} {:>10.1} {:>10.1} {:>6.1}% {:>10} {:>10}",
            format!("{i} {}", l.name),
            l.output,
            l.forward_secs * 1e6,
            l.backward_secs * 1e6,
            100.0 * (l.forward_secs + l.backward_secs) / total.max(1e-12),
            rate(l.forward_gflops()),
            rate(l.backward_gflops()),
        );
        println!("{}", line.trim_end());
    }
}

/// Runs `netviz bench xor`.
pub fn xor(args: &XorArgs) -> Result<()> {
    anyhow::ensure!(
        args.seconds.is_finite() && args.seconds > 0.0,
        "--seconds must be a positive number, got {}",
        args.seconds
    );
    let report = bench::run_xor(args.hidden as usize, args.seconds).context("xor benchmark")?;
    println!(
        "2-{}-1 sigmoid network, full batch of 4 points, lr 0.1: {} epochs, final loss {:.6}",
        args.hidden, report.epochs, report.final_loss
    );
    println!("epochs_per_sec={:.0}", report.epochs_per_sec);
    Ok(())
}
