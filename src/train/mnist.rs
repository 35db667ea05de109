//! MNIST as the original program prepared it for training, from a [`ModelConfig`]:
//! `percent_of_train_data_to_use` of the 60,000 training images with equal counts per class,
//! downsampled to the config's `input_size` by area averaging and scaled to [0, 1], split into
//! training and validation sets stratified by class (`percent_train_data_to_use_for_validation`),
//! every random choice drawn from `config.seed`. The 10,000 test images are downsampled the
//! same way and always used whole.

use crate::data::mnist::Mnist;
use crate::data::preprocess::{Dataset, select_per_class, stratified_split, to_dataset};
use crate::nn::config::{InputSpec, ModelConfig};
use crate::train::TrainError;

/// Classes of MNIST (the digits 0 to 9).
pub const MNIST_CLASSES: usize = 10;

/// Side of an MNIST image in pixels.
pub const MNIST_SIDE: usize = 28;

/// The three sets a training run uses.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MnistSplits {
    /// Images to train on.
    pub train: Dataset,
    /// Images held out for validation (empty when the config's share is 0).
    pub val: Dataset,
    /// The whole test set.
    pub test: Dataset,
}

/// The image side a model config takes, checking that it can read MNIST at all: one input
/// channel, a size from 1 to 28, and 10 classes.
pub fn image_side(config: &ModelConfig) -> Result<usize, TrainError> {
    let side = match config.input {
        InputSpec::Image { channels: 1, size } if (1..=MNIST_SIDE).contains(&size) => size,
        InputSpec::Image { channels, size } => {
            return Err(TrainError::Setup(format!(
                "the model takes {channels}x{size}x{size} images; MNIST needs 1 channel and a \
                 size from 1 to {MNIST_SIDE}"
            )));
        }
        InputSpec::Features(f) => {
            return Err(TrainError::Setup(format!(
                "the model takes flat vectors of {f} values, not MNIST images (give \
                 `input_size` and `in_channels` in its config)"
            )));
        }
    };
    if config.num_classes != MNIST_CLASSES {
        return Err(TrainError::Setup(format!(
            "the model has {} classes; MNIST has {MNIST_CLASSES}",
            config.num_classes
        )));
    }
    Ok(side)
}

/// The training, validation and test sets for `config` (see the module documentation).
pub fn prepare(config: &ModelConfig, mnist: &Mnist) -> Result<MnistSplits, TrainError> {
    let side = image_side(config)?;
    let keep = select_per_class(
        &mnist.train_labels,
        MNIST_CLASSES,
        config.percent_of_train_data_to_use,
        config.seed,
    )?;
    let used = to_dataset(&mnist.train_images, &mnist.train_labels, Some(&keep), side)?;
    let (train, val) = stratified_split(
        &used,
        MNIST_CLASSES,
        config.percent_train_data_to_use_for_validation,
        config.seed,
    )?;
    Ok(MnistSplits {
        train,
        val,
        test: test_set(config, mnist)?,
    })
}

/// The whole test set, downsampled for `config`.
pub fn test_set(config: &ModelConfig, mnist: &Mnist) -> Result<Dataset, TrainError> {
    let side = image_side(config)?;
    Ok(to_dataset(
        &mnist.test_images,
        &mnist.test_labels,
        None,
        side,
    )?)
}
