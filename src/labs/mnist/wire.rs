//! How a run file writes the values of an [`MnistSnapshot`](super::MnistSnapshot) whose own
//! serde form is made for JSON and cannot be read back from postcard: the config (the config
//! file's schema, with optional keys and layers read as JSON values) and why training ended
//! and which weights were kept (tagged enums of the metrics files). Each goes through a plain
//! mirror with derived serde; a config read back is validated like one read from a file.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::nn::OptimizerKind;
use crate::nn::config::{InputSpec, LayerConfig, ModelConfig};
use crate::nn::init::Init;
use crate::train::{Kept, StopReason};

/// [`InputSpec`], field for field.
#[derive(Serialize, Deserialize)]
enum InputWire {
    Image { channels: usize, size: usize },
    Features(usize),
}

/// [`LayerConfig`], field for field.
#[derive(Serialize, Deserialize)]
enum LayerWire {
    Conv {
        out_channels: usize,
        filter_size: usize,
        stride: usize,
        padding: usize,
    },
    MaxPool {
        filter_size: usize,
        stride: usize,
    },
    Dense {
        out_features: usize,
    },
    Flatten,
    Relu,
    Sigmoid,
    Tanh,
    Softmax,
}

/// [`ModelConfig`], field for field.
#[derive(Serialize, Deserialize)]
struct ConfigWire {
    epochs: usize,
    patience: usize,
    batch_size: usize,
    validation_subset_ratio: f64,
    percent_of_train_data_to_use: f64,
    percent_train_data_to_use_for_validation: f64,
    num_classes: usize,
    input: InputWire,
    model_output_filename: String,
    layers: Vec<LayerWire>,
    optimizer: OptimizerKind,
    learning_rate: f32,
    seed: u64,
    init: Init,
}

impl From<&ModelConfig> for ConfigWire {
    fn from(c: &ModelConfig) -> Self {
        ConfigWire {
            epochs: c.epochs,
            patience: c.patience,
            batch_size: c.batch_size,
            validation_subset_ratio: c.validation_subset_ratio,
            percent_of_train_data_to_use: c.percent_of_train_data_to_use,
            percent_train_data_to_use_for_validation: c.percent_train_data_to_use_for_validation,
            num_classes: c.num_classes,
            input: match c.input {
                InputSpec::Image { channels, size } => InputWire::Image { channels, size },
                InputSpec::Features(f) => InputWire::Features(f),
            },
            model_output_filename: c.model_output_filename.clone(),
            layers: c
                .layers
                .iter()
                .map(|l| match *l {
                    LayerConfig::Conv {
                        out_channels,
                        filter_size,
                        stride,
                        padding,
                    } => LayerWire::Conv {
                        out_channels,
                        filter_size,
                        stride,
                        padding,
                    },
                    LayerConfig::MaxPool {
                        filter_size,
                        stride,
                    } => LayerWire::MaxPool {
                        filter_size,
                        stride,
                    },
                    LayerConfig::Dense { out_features } => LayerWire::Dense { out_features },
                    LayerConfig::Flatten => LayerWire::Flatten,
                    LayerConfig::Relu => LayerWire::Relu,
                    LayerConfig::Sigmoid => LayerWire::Sigmoid,
                    LayerConfig::Tanh => LayerWire::Tanh,
                    LayerConfig::Softmax => LayerWire::Softmax,
                })
                .collect(),
            optimizer: c.optimizer,
            learning_rate: c.learning_rate,
            seed: c.seed,
            init: c.init,
        }
    }
}

impl From<ConfigWire> for ModelConfig {
    fn from(w: ConfigWire) -> Self {
        ModelConfig {
            epochs: w.epochs,
            patience: w.patience,
            batch_size: w.batch_size,
            validation_subset_ratio: w.validation_subset_ratio,
            percent_of_train_data_to_use: w.percent_of_train_data_to_use,
            percent_train_data_to_use_for_validation: w.percent_train_data_to_use_for_validation,
            num_classes: w.num_classes,
            input: match w.input {
                InputWire::Image { channels, size } => InputSpec::Image { channels, size },
                InputWire::Features(f) => InputSpec::Features(f),
            },
            model_output_filename: w.model_output_filename,
            layers: w
                .layers
                .into_iter()
                .map(|l| match l {
                    LayerWire::Conv {
                        out_channels,
                        filter_size,
                        stride,
                        padding,
                    } => LayerConfig::Conv {
                        out_channels,
                        filter_size,
                        stride,
                        padding,
                    },
                    LayerWire::MaxPool {
                        filter_size,
                        stride,
                    } => LayerConfig::MaxPool {
                        filter_size,
                        stride,
                    },
                    LayerWire::Dense { out_features } => LayerConfig::Dense { out_features },
                    LayerWire::Flatten => LayerConfig::Flatten,
                    LayerWire::Relu => LayerConfig::Relu,
                    LayerWire::Sigmoid => LayerConfig::Sigmoid,
                    LayerWire::Tanh => LayerConfig::Tanh,
                    LayerWire::Softmax => LayerConfig::Softmax,
                })
                .collect(),
            optimizer: w.optimizer,
            learning_rate: w.learning_rate,
            seed: w.seed,
            init: w.init,
        }
    }
}

/// The config (`#[serde(with = "config")]`).
pub mod config {
    use super::*;

    /// Writes `config` field for field.
    pub fn serialize<S: Serializer>(config: &ModelConfig, s: S) -> Result<S::Ok, S::Error> {
        ConfigWire::from(config).serialize(s)
    }

    /// Reads a config written by [`serialize`] and validates it.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ModelConfig, D::Error> {
        let config = ModelConfig::from(ConfigWire::deserialize(d)?);
        config.validate().map_err(D::Error::custom)?;
        Ok(config)
    }
}

/// [`StopReason`], variant for variant.
#[derive(Serialize, Deserialize)]
enum StopWire {
    Completed {
        epochs: usize,
    },
    EarlyStopped {
        epoch: usize,
        patience: usize,
    },
    Interrupted {
        epoch: usize,
        batch: usize,
    },
    Diverged {
        epoch: usize,
        batch: usize,
        stage: String,
        learning_rate: f32,
    },
}

/// Why training ended (`#[serde(with = "stop")]` on an `Option<StopReason>`).
pub mod stop {
    use super::*;

    /// Writes the reason variant for variant.
    pub fn serialize<S: Serializer>(stop: &Option<StopReason>, s: S) -> Result<S::Ok, S::Error> {
        stop.as_ref()
            .map(|r| match *r {
                StopReason::Completed { epochs } => StopWire::Completed { epochs },
                StopReason::EarlyStopped { epoch, patience } => {
                    StopWire::EarlyStopped { epoch, patience }
                }
                StopReason::Interrupted { epoch, batch } => StopWire::Interrupted { epoch, batch },
                StopReason::Diverged {
                    epoch,
                    batch,
                    stage,
                    learning_rate,
                } => StopWire::Diverged {
                    epoch,
                    batch,
                    stage: stage.to_string(),
                    learning_rate,
                },
            })
            .serialize(s)
    }

    /// Reads what [`serialize`] wrote (a divergence's stage is `training` or `validation`).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<StopReason>, D::Error> {
        Option::<StopWire>::deserialize(d)?
            .map(|w| {
                Ok(match w {
                    StopWire::Completed { epochs } => StopReason::Completed { epochs },
                    StopWire::EarlyStopped { epoch, patience } => {
                        StopReason::EarlyStopped { epoch, patience }
                    }
                    StopWire::Interrupted { epoch, batch } => {
                        StopReason::Interrupted { epoch, batch }
                    }
                    StopWire::Diverged {
                        epoch,
                        batch,
                        stage,
                        learning_rate,
                    } => StopReason::Diverged {
                        epoch,
                        batch,
                        stage: match stage.as_str() {
                            "training" => "training",
                            "validation" => "validation",
                            other => {
                                return Err(D::Error::custom(format!(
                                    "training cannot diverge in stage {other:?}"
                                )));
                            }
                        },
                        learning_rate,
                    },
                })
            })
            .transpose()
    }
}

/// [`Kept`], variant for variant.
#[derive(Serialize, Deserialize)]
enum KeptWire {
    Epoch { epoch: usize, val_loss: Option<f64> },
    LastBatch,
    Initial,
}

/// Which weights were kept (`#[serde(with = "kept")]` on an `Option<Kept>`).
pub mod kept {
    use super::*;

    /// Writes the choice variant for variant.
    pub fn serialize<S: Serializer>(kept: &Option<Kept>, s: S) -> Result<S::Ok, S::Error> {
        kept.map(|k| match k {
            Kept::Epoch { epoch, val_loss } => KeptWire::Epoch { epoch, val_loss },
            Kept::LastBatch => KeptWire::LastBatch,
            Kept::Initial => KeptWire::Initial,
        })
        .serialize(s)
    }

    /// Reads what [`serialize`] wrote.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Kept>, D::Error> {
        Ok(Option::<KeptWire>::deserialize(d)?.map(|w| match w {
            KeptWire::Epoch { epoch, val_loss } => Kept::Epoch { epoch, val_loss },
            KeptWire::LastBatch => Kept::LastBatch,
            KeptWire::Initial => Kept::Initial,
        }))
    }
}
