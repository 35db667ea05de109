//! `netviz bench forest`: grows a random forest on raw MNIST pixels and times the fit.
//!
//! - **F**: the first 10,000 training images, 50 trees.
//! - **F60**: all 60,000 training images, 100 trees.
//!
//! Both: 784 pixel values (u8) as features, max features sqrt, no depth limit, min samples
//! per leaf 1, bootstrap, seed 0, scored on the 10,000 test images. Only the fit is timed
//! (not loading, not scoring). Prints `workload=F fit_seconds=X trees_per_sec=Y
//! test_accuracy=Z` last.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::{Args, ValueEnum};

use netviz::files::limits::THREADS;
use netviz::forest::{Forest, ForestConfig};

use crate::cli::forest::mnist_tables;
use crate::cli::mnist::load_mnist;

/// Forest workloads.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ForestWorkload {
    /// 10,000 training images, 50 trees.
    #[value(name = "F", alias = "f")]
    F,
    /// 60,000 training images, 100 trees.
    #[value(name = "F60", alias = "f60")]
    F60,
}

/// Arguments of `netviz bench forest`.
#[derive(Debug, Args)]
pub struct ForestBenchArgs {
    /// Which workload.
    #[arg(long, value_enum, default_value = "F")]
    pub workload: ForestWorkload,
    /// Worker threads [default: all cores].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=THREADS as i64))]
    pub threads: Option<u32>,
    /// Folder with the four MNIST files [default: $NETVIZ_DATA_DIR, else the user cache
    /// folder].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

/// Runs `netviz bench forest`.
pub fn run(args: &ForestBenchArgs) -> Result<()> {
    let (name, rows, trees) = match args.workload {
        ForestWorkload::F => ("F", 10_000, 50),
        ForestWorkload::F60 => ("F60", 60_000, 100),
    };
    let (mnist, _) = load_mnist(args.data_dir.as_deref())?;
    let (train, test) = mnist_tables(&mnist, rows)?;
    drop(mnist);
    let config = ForestConfig {
        trees,
        threads: args.threads.map_or(0, |t| t as usize),
        ..ForestConfig::default()
    };
    config.validate()?;
    let started = Instant::now();
    let forest = Forest::fit(&train, &config)?;
    let fit_seconds = started.elapsed().as_secs_f64();
    let scoring = Instant::now();
    let accuracy = forest.accuracy(&test, trees);
    let nodes: usize = forest.trees.iter().map(|t| t.nodes.len()).sum();
    let depth: usize = forest.trees.iter().map(|t| t.depth()).sum();
    println!(
        "{rows} images, {trees} trees on {} threads: {:.0} nodes and depth {:.1} per tree on \
         average; scoring 10,000 test images took {:.3} s",
        config.resolved_threads(),
        nodes as f64 / trees as f64,
        depth as f64 / trees as f64,
        scoring.elapsed().as_secs_f64()
    );
    println!(
        "workload={name} fit_seconds={fit_seconds:.3} trees_per_sec={:.1} test_accuracy={accuracy:.4}",
        trees as f64 / fit_seconds
    );
    Ok(())
}
