//! `netviz forest train`: flags to a validated [`ForestConfig`], the data as tables, the
//! fit on threads with a progress bar of trees (Ctrl-C, SIGTERM or SIGHUP stop it before the
//! next tree; nothing is saved then), the scores, and the forest file if `--out` names one.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use netviz::files::limits::{FOREST_TREES, THREADS};
use netviz::forest::{Forest, ForestConfig, ForestError, MaxFeatures, Table};

use super::{
    CriterionArg, DatasetArg, MNIST_TRAIN, mnist_tables, parse_max_features, plane_tables,
};
use crate::cli::mnist::load_mnist;

/// Arguments of `netviz forest train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The data: MNIST, or a two-class dataset in the plane.
    #[arg(long, value_enum, default_value = "mnist")]
    pub dataset: DatasetArg,
    /// Trees in the forest.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=FOREST_TREES as i64))]
    pub trees: u32,
    /// Deepest split depth [default: none, grow until leaves are pure].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_depth: Option<u32>,
    /// Candidate features per split: sqrt, log2, all, a count, or a fraction in (0, 1].
    #[arg(long, default_value = "sqrt", value_parser = parse_max_features)]
    pub max_features: MaxFeatures,
    /// Distinct training rows each side of a split keeps at least.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub min_samples_leaf: u32,
    /// A node with fewer distinct training rows is a leaf.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(2..))]
    pub min_samples_split: u32,
    /// Split criterion.
    #[arg(long, value_enum, default_value = "gini")]
    pub criterion: CriterionArg,
    /// Train every tree on all rows instead of a bootstrap sample (no out-of-bag score).
    #[arg(long)]
    pub no_bootstrap: bool,
    /// Training rows: the first N MNIST training images [default: 60000], or N points in
    /// the plane [default: 300].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub train_count: Option<u32>,
    /// Gaussian noise of the plane datasets.
    #[arg(long, default_value_t = 0.1)]
    pub noise: f32,
    /// Worker threads [default: all cores].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=THREADS as i64))]
    pub threads: Option<u32>,
    /// Seed of the bootstrap samples, the feature draws and the plane datasets.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Folder with the four MNIST files [default: $NETVIZ_DATA_DIR, else the user cache
    /// folder, where missing files are downloaded].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Write the forest to this file (the forest file format).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

impl TrainArgs {
    /// The forest settings of these flags, validated.
    pub fn config(&self) -> Result<ForestConfig> {
        let config = ForestConfig {
            trees: self.trees as usize,
            criterion: self.criterion.into(),
            max_depth: self.max_depth.map(|d| d as usize),
            min_samples_split: self.min_samples_split as usize,
            min_samples_leaf: self.min_samples_leaf as usize,
            max_features: self.max_features,
            bootstrap: !self.no_bootstrap,
            seed: self.seed,
            threads: self.threads.map_or(0, |t| t as usize),
        };
        config.validate()?;
        Ok(config)
    }
}

/// Runs `netviz forest train`.
pub fn train(args: &TrainArgs) -> Result<()> {
    let config = args.config()?;
    ensure!(
        args.noise.is_finite() && args.noise >= 0.0,
        "--noise must be zero or positive, got {}",
        args.noise
    );
    if args.dataset == DatasetArg::Mnist {
        let count = args.train_count.map_or(MNIST_TRAIN, |c| c as usize);
        ensure!(
            count <= MNIST_TRAIN,
            "--train-count {count} is more than the {MNIST_TRAIN} MNIST training images"
        );
    }
    if let Some(out) = &args.out {
        netviz::files::atomic::check_replaceable(out)
            .with_context(|| format!("--out {}", out.display()))?;
    }
    let (train_table, test_table, what) = tables(args)?;
    println!(
        "{what}: {} training rows, {} test rows, {} features, {} classes",
        train_table.rows, test_table.rows, train_table.cols, train_table.classes
    );
    println!(
        "forest: {} trees, {} criterion, max features {} ({} of {}), max depth {}, min samples \
         split {}, leaf {}, bootstrap {}, seed {}, {} threads",
        config.trees,
        config.criterion,
        config.max_features,
        config.max_features.resolve(train_table.cols),
        train_table.cols,
        config.max_depth.map_or("none".into(), |d| d.to_string()),
        config.min_samples_split,
        config.min_samples_leaf,
        if config.bootstrap { "yes" } else { "no" },
        config.seed,
        config.resolved_threads()
    );
    let stop = Arc::new(AtomicBool::new(false));
    crate::cli::signals::install(stop.clone(), "stopping after the trees being grown");
    let bar = ProgressBar::new(config.trees as u64).with_style(bar_style());
    let started = Instant::now();
    let fitted = Forest::fit_with(&train_table, &config, &stop, |done| {
        bar.set_position(done as u64)
    });
    let fit_seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let forest = match fitted {
        Ok(forest) => forest,
        Err(ForestError::Stopped) => {
            eprintln!("stopped before every tree was grown; no forest was saved");
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    report(&forest, &train_table, fit_seconds);
    if let Some(out) = &args.out {
        crate::cli::signals::while_saving(|| forest.save(out))
            .with_context(|| format!("saving the forest to {}", out.display()))?;
        println!("forest written to {}", out.display());
    }
    let k = forest.trees.len();
    let oob = forest.oob(&train_table, k).accuracy;
    println!(
        "test_accuracy={:.4} oob_accuracy={} fit_seconds={fit_seconds:.3}",
        forest.accuracy(&test_table, k),
        oob.map_or("none".into(), |a| format!("{a:.4}"))
    );
    Ok(())
}

/// The training and test tables of the chosen dataset, with a description.
fn tables(args: &TrainArgs) -> Result<(Table, Table, String)> {
    match args.dataset.plane() {
        None => {
            let count = args.train_count.map_or(MNIST_TRAIN, |c| c as usize);
            let (mnist, from) = load_mnist(args.data_dir.as_deref())?;
            let (train, test) = mnist_tables(&mnist, count)?;
            Ok((train, test, format!("MNIST from {from}")))
        }
        Some(kind) => {
            let count = args.train_count.map_or(300, |c| c as usize);
            let (train, test) = plane_tables(kind, count, args.noise, args.seed);
            Ok((
                train,
                test,
                format!("{} (noise {}, seed {})", kind.name(), args.noise, args.seed),
            ))
        }
    }
}

/// Prints the shape of the trees and the training accuracy.
fn report(forest: &Forest, train: &Table, fit_seconds: f64) {
    let n = forest.trees.len().max(1) as f64;
    let nodes: usize = forest.trees.iter().map(|t| t.nodes.len()).sum();
    let depth: usize = forest.trees.iter().map(|t| t.depth()).sum();
    println!(
        "grown in {fit_seconds:.3} s ({:.1} trees/s): {:.0} nodes and depth {:.1} per tree on \
         average; training accuracy {:.4}",
        n / fit_seconds.max(1e-9),
        nodes as f64 / n,
        depth as f64 / n,
        forest.accuracy(train, forest.trees.len())
    );
}

/// The bar of trees.
fn bar_style() -> ProgressStyle {
    ProgressStyle::with_template("trees {bar:40} {pos}/{len} {elapsed_precise}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}
