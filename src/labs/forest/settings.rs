//! [`ForestSettings`]: everything the user can set in the forest lab: the data, the forest's
//! hyperparameters, the animation's pace and the network it is compared with.

use crate::data::plane::{DEFAULT_POINTS, DatasetKind};
use crate::forest::ForestConfig;

/// What the forest learns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ForestData {
    /// A two-class dataset in the plane (the XOR lab's datasets).
    Plane(DatasetKind),
    /// MNIST digits, raw pixels as features.
    Mnist,
}

impl ForestData {
    /// Every choice, in menu order.
    pub const ALL: [ForestData; 6] = [
        ForestData::Plane(DatasetKind::Xor),
        ForestData::Plane(DatasetKind::Circles),
        ForestData::Plane(DatasetKind::Gaussians),
        ForestData::Plane(DatasetKind::Spiral),
        ForestData::Plane(DatasetKind::Moons),
        ForestData::Mnist,
    ];

    /// Lower-case name (`xor`, ..., `mnist`).
    pub fn name(self) -> &'static str {
        match self {
            ForestData::Plane(kind) => kind.name(),
            ForestData::Mnist => "mnist",
        }
    }

    /// Whether the data are points in the plane.
    pub fn is_plane(self) -> bool {
        matches!(self, ForestData::Plane(_))
    }
}

/// Everything the user can set.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ForestSettings {
    /// The data.
    pub data: ForestData,
    /// Gaussian noise of a plane dataset.
    pub noise: f32,
    /// Points drawn for a plane dataset (training; as many again are held out).
    pub points: usize,
    /// MNIST training images used (the first ones of the training set).
    pub mnist_train: usize,
    /// MNIST test images scored (the first ones of the test set).
    pub mnist_test: usize,
    /// The forest (trees, depth, leaf size, features per split, criterion, bootstrap, seed;
    /// its seed also draws the plane dataset).
    pub forest: ForestConfig,
    /// Trees added per second while growing (`None`: as fast as they grow).
    pub trees_per_sec: Option<f32>,
    /// Hidden neurons of the network the plane's boundary is compared with.
    pub net_hidden: usize,
    /// Its learning rate (full-batch gradient descent).
    pub net_learning_rate: f32,
    /// Its epochs.
    pub net_epochs: u64,
}

/// The forest's hyperparameters the lab starts with: scikit-learn's defaults with 40 trees.
pub fn default_forest() -> ForestConfig {
    ForestConfig {
        trees: 40,
        threads: 1,
        ..ForestConfig::default()
    }
}

impl Default for ForestSettings {
    fn default() -> Self {
        ForestSettings {
            data: ForestData::Plane(DatasetKind::Xor),
            noise: 0.25,
            points: DEFAULT_POINTS,
            mnist_train: 5_000,
            mnist_test: 10_000,
            forest: default_forest(),
            trees_per_sec: Some(8.0),
            net_hidden: 8,
            net_learning_rate: 0.5,
            net_epochs: 20_000,
        }
    }
}
