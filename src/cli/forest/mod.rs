//! `netviz forest ...`: random forests in the terminal. `train` grows a forest on MNIST or
//! a dataset in the plane with a progress bar of trees, scores it on held-out data and
//! prints `test_accuracy=... oob_accuracy=... fit_seconds=...` last ([`train`]). The tables
//! it trains on are built here ([`mnist_tables`], [`plane_tables`]), shared with
//! `netviz bench forest`.

mod train;

pub use train::{TrainArgs, train};

use anyhow::{Result, ensure};
use clap::{Subcommand, ValueEnum};

use netviz::data::mnist::Mnist;
use netviz::data::plane::{Dataset2d, DatasetKind};
use netviz::forest::{Criterion, MaxFeatures, Table};

/// `netviz forest ...`
#[derive(Debug, Subcommand)]
pub enum ForestCommand {
    /// Grow a random forest and score it on held-out data; prints
    /// `test_accuracy=... oob_accuracy=... fit_seconds=...` last.
    Train(TrainArgs),
}

/// Datasets on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DatasetArg {
    /// The handwritten digits: 784 pixels (0-255) per image, 10 classes.
    Mnist,
    /// Four noisy clusters at the corners of the unit square, XOR labels.
    Xor,
    /// A disc inside a ring.
    Circles,
    /// Two gaussian blobs.
    Gaussians,
    /// Two interleaved spiral arms.
    Spiral,
    /// Two interleaved half circles.
    Moons,
}

impl DatasetArg {
    /// The plane dataset, or `None` for MNIST.
    pub fn plane(self) -> Option<DatasetKind> {
        match self {
            DatasetArg::Mnist => None,
            DatasetArg::Xor => Some(DatasetKind::Xor),
            DatasetArg::Circles => Some(DatasetKind::Circles),
            DatasetArg::Gaussians => Some(DatasetKind::Gaussians),
            DatasetArg::Spiral => Some(DatasetKind::Spiral),
            DatasetArg::Moons => Some(DatasetKind::Moons),
        }
    }
}

/// Criteria on the command line.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CriterionArg {
    /// Gini impurity.
    Gini,
    /// Shannon entropy.
    Entropy,
}

impl From<CriterionArg> for Criterion {
    fn from(c: CriterionArg) -> Criterion {
        match c {
            CriterionArg::Gini => Criterion::Gini,
            CriterionArg::Entropy => Criterion::Entropy,
        }
    }
}

/// Parses `--max-features` (sqrt, log2, all, a count or a fraction in (0, 1]).
pub fn parse_max_features(text: &str) -> Result<MaxFeatures, String> {
    text.parse::<MaxFeatures>().map_err(|e| e.to_string())
}

/// Training images of MNIST.
pub const MNIST_TRAIN: usize = 60_000;

/// The first `count` MNIST training images and all 10,000 test images as 8-bit tables.
pub fn mnist_tables(data: &Mnist, count: usize) -> Result<(Table, Table)> {
    let train = &data.train_images;
    let test = &data.test_images;
    let pixels = train.rows * train.cols;
    ensure!(
        count <= train.count,
        "--train-count {count} is more than the {} MNIST training images",
        train.count
    );
    let train_table = Table::from_u8(
        train.pixels[..count * pixels].to_vec(),
        count,
        pixels,
        data.train_labels[..count].to_vec(),
        10,
    )?;
    let test_table = Table::from_u8(
        test.pixels.clone(),
        test.count,
        test.rows * test.cols,
        data.test_labels.clone(),
        10,
    )?;
    Ok((train_table, test_table))
}

/// `count` points of `kind` drawn with `seed` for training, and a fresh draw (`seed + 1`)
/// for testing.
pub fn plane_tables(kind: DatasetKind, count: usize, noise: f32, seed: u64) -> (Table, Table) {
    let train = Dataset2d::generate(kind, count, noise, seed);
    let test = Dataset2d::generate(kind, count, noise, seed.wrapping_add(1));
    (
        Table::from_plane(&train.points, &train.labels),
        Table::from_plane(&test.points, &test.labels),
    )
}
