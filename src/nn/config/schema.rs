//! The config file's schema: the serde types ([`ModelConfig`], [`LayerConfig`],
//! [`InputSpec`]), parsing (errors name the key, or the layer index, its type and the field)
//! and writing back in the original key order. Parsing checks only what the types need; the
//! value rules are [`ModelConfig::validate`]'s, which every parse ends with.

use crate::files::limits::CONFIG_BYTES;
use crate::files::read_text_bounded;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::nn::error::{NnError, Result};
use crate::nn::init::Init;
use crate::nn::optim::OptimizerKind;

use super::validate::{count_error, layer_field_error};

/// The layer types a config may name, in the order messages list them.
pub const LAYER_TYPES: [&str; 8] = [
    "conv", "maxpool", "dense", "flatten", "relu", "sigmoid", "tanh", "softmax",
];

/// Default of `learning_rate` (as the original program).
pub const DEFAULT_LEARNING_RATE: f32 = 0.01;

/// Default of `seed`.
pub const DEFAULT_SEED: u64 = 42;

/// The shape of one input sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputSpec {
    /// Square images of shape `(channels, size, size)`.
    Image {
        /// `in_channels`.
        channels: usize,
        /// `input_size`: height and width.
        size: usize,
    },
    /// Flat vectors of `input_features` values.
    Features(usize),
}

impl InputSpec {
    /// The sample shape without the batch dimension: `[C, H, W]` or `[F]`.
    pub fn shape(self) -> Vec<usize> {
        match self {
            InputSpec::Image { channels, size } => vec![channels, size, size],
            InputSpec::Features(f) => vec![f],
        }
    }
}

/// One entry of `layers`. Serializes as the JSON object of the config file, `"type"` first and
/// every field written out; parsed by [`LayerConfig::from_json_value`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum LayerConfig {
    /// `{"type":"conv","out_channels":8,"filter_size":3,"stride":1,"padding":0}`
    Conv {
        /// Output channels.
        out_channels: usize,
        /// Kernel height and width.
        filter_size: usize,
        /// Step between windows (default 1).
        stride: usize,
        /// Zeros added on each border (default 0).
        padding: usize,
    },
    /// `{"type":"maxpool","filter_size":2,"stride":2}`
    MaxPool {
        /// Window height and width.
        filter_size: usize,
        /// Step between windows (default `filter_size`).
        stride: usize,
    },
    /// `{"type":"dense","out_features":128}`
    Dense {
        /// Output features.
        out_features: usize,
    },
    /// `{"type":"flatten"}`
    Flatten,
    /// `{"type":"relu"}`
    Relu,
    /// `{"type":"sigmoid"}`
    Sigmoid,
    /// `{"type":"tanh"}`
    Tanh,
    /// `{"type":"softmax"}`
    Softmax,
}

impl LayerConfig {
    /// The `"type"` string of this layer.
    pub fn type_name(&self) -> &'static str {
        match self {
            LayerConfig::Conv { .. } => "conv",
            LayerConfig::MaxPool { .. } => "maxpool",
            LayerConfig::Dense { .. } => "dense",
            LayerConfig::Flatten => "flatten",
            LayerConfig::Relu => "relu",
            LayerConfig::Sigmoid => "sigmoid",
            LayerConfig::Tanh => "tanh",
            LayerConfig::Softmax => "softmax",
        }
    }

    /// Parses layer number `index` from its JSON object, naming the index, the type and the
    /// field in every error. Size fields must be non-negative integers here; their ranges
    /// are checked by [`ModelConfig::validate`].
    pub fn from_json_value(index: usize, value: &Value) -> Result<Self> {
        let obj = value.as_object().ok_or_else(|| {
            NnError::Config(format!(
                "layer {index}: expected an object like {{\"type\":\"relu\"}}, got {value}"
            ))
        })?;
        let known = LAYER_TYPES.join(", ");
        let ty = match obj.get("type") {
            None => {
                return Err(NnError::Config(format!(
                    "layer {index}: missing field `type` (known types: {known})"
                )));
            }
            Some(Value::String(s)) => s.as_str(),
            Some(other) => {
                return Err(NnError::Config(format!(
                    "layer {index}: field `type` must be a string, got {other} (known types: {known})"
                )));
            }
        };
        let fields = LayerFields { index, ty, obj };
        let layer = match ty {
            "conv" => {
                fields.only(&["out_channels", "filter_size", "stride", "padding"])?;
                LayerConfig::Conv {
                    out_channels: fields.required("out_channels")?,
                    filter_size: fields.required("filter_size")?,
                    stride: fields.optional("stride", 1)?,
                    padding: fields.optional("padding", 0)?,
                }
            }
            "maxpool" => {
                fields.only(&["filter_size", "stride"])?;
                let filter_size = fields.required("filter_size")?;
                LayerConfig::MaxPool {
                    filter_size,
                    stride: fields.optional("stride", filter_size)?,
                }
            }
            "dense" => {
                fields.only(&["out_features"])?;
                LayerConfig::Dense {
                    out_features: fields.required("out_features")?,
                }
            }
            "flatten" | "relu" | "sigmoid" | "tanh" | "softmax" => {
                fields.only(&[])?;
                match ty {
                    "flatten" => LayerConfig::Flatten,
                    "relu" => LayerConfig::Relu,
                    "sigmoid" => LayerConfig::Sigmoid,
                    "tanh" => LayerConfig::Tanh,
                    _ => LayerConfig::Softmax,
                }
            }
            other => {
                return Err(NnError::Config(format!(
                    "layer {index}: unknown type \"{other}\" (known types: {known})"
                )));
            }
        };
        Ok(layer)
    }

    /// The layer's size fields as `(name, value)`, in schema order; empty for layers without
    /// any.
    pub(super) fn size_fields(&self) -> Vec<(&'static str, usize)> {
        match *self {
            LayerConfig::Conv {
                out_channels,
                filter_size,
                stride,
                padding,
            } => vec![
                ("out_channels", out_channels),
                ("filter_size", filter_size),
                ("stride", stride),
                ("padding", padding),
            ],
            LayerConfig::MaxPool {
                filter_size,
                stride,
            } => vec![("filter_size", filter_size), ("stride", stride)],
            LayerConfig::Dense { out_features } => vec![("out_features", out_features)],
            _ => Vec::new(),
        }
    }
}

/// Field access for one layer object, with messages naming the layer.
struct LayerFields<'a> {
    index: usize,
    ty: &'a str,
    obj: &'a Map<String, Value>,
}

impl LayerFields<'_> {
    /// Rejects fields other than `type` and `allowed`.
    fn only(&self, allowed: &[&str]) -> Result<()> {
        for key in self.obj.keys() {
            if key != "type" && !allowed.contains(&key.as_str()) {
                let expected = if allowed.is_empty() {
                    "it takes no fields besides `type`".to_string()
                } else {
                    format!("expected one of `{}`", allowed.join("`, `"))
                };
                return Err(NnError::Config(format!(
                    "layer {} ({}): unknown field `{key}`; {expected}",
                    self.index, self.ty
                )));
            }
        }
        Ok(())
    }

    /// The integer field `name`; `None` when absent.
    fn int(&self, name: &'static str) -> Result<Option<usize>> {
        let Some(v) = self.obj.get(name) else {
            return Ok(None);
        };
        match v.as_u64().and_then(|n| usize::try_from(n).ok()) {
            Some(n) => Ok(Some(n)),
            None => Err(layer_field_error(self.index, self.ty, name, v)),
        }
    }

    /// A field that must be present.
    fn required(&self, name: &'static str) -> Result<usize> {
        self.int(name)?.ok_or_else(|| {
            NnError::Config(format!(
                "layer {} ({}): missing field `{name}`",
                self.index, self.ty
            ))
        })
    }

    /// An optional field, `default` when absent.
    fn optional(&self, name: &'static str, default: usize) -> Result<usize> {
        Ok(self.int(name)?.unwrap_or(default))
    }
}

/// A model and its training settings, as read from a config file.
///
/// Parse with [`ModelConfig::from_json_str`] or [`ModelConfig::from_file`] (or serde), all of
/// which run [`ModelConfig::validate`]; write with [`ModelConfig::to_json_string`] (or serde).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawModelConfig", into = "SerModelConfig")]
pub struct ModelConfig {
    /// Passes over the training data.
    pub epochs: usize,
    /// Epochs without validation improvement before training stops early.
    pub patience: usize,
    /// Samples per training batch.
    pub batch_size: usize,
    /// Fraction of the validation split evaluated after each epoch, in (0, 1].
    pub validation_subset_ratio: f64,
    /// Fraction of the training data used at all, in (0, 1].
    pub percent_of_train_data_to_use: f64,
    /// Fraction of the used training data held out for validation, in [0, 1).
    pub percent_train_data_to_use_for_validation: f64,
    /// Number of classes; the model's output must be `(num_classes)`.
    pub num_classes: usize,
    /// Shape of one input sample.
    pub input: InputSpec,
    /// Base name of the model file written after training.
    pub model_output_filename: String,
    /// The layers, in order; index `i` names the file tensors `layers.{i}.weight`/`.bias`.
    pub layers: Vec<LayerConfig>,
    /// Which optimizer trains the model.
    pub optimizer: OptimizerKind,
    /// Initial learning rate.
    pub learning_rate: f32,
    /// Seed of every random choice (weights, shuffles).
    pub seed: u64,
    /// Initialiser of every weight (biases start at zero).
    pub init: Init,
}

/// The config as it is written in JSON: optional keys as options, counts as signed integers
/// (so that a negative one gets a message of its own), layers as raw objects (so each
/// layer's errors can name its index).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModelConfig {
    epochs: i64,
    patience: i64,
    batch_size: i64,
    validation_subset_ratio: f64,
    percent_of_train_data_to_use: f64,
    percent_train_data_to_use_for_validation: f64,
    num_classes: i64,
    #[serde(default)]
    input_size: Option<i64>,
    #[serde(default)]
    in_channels: Option<i64>,
    #[serde(default)]
    input_features: Option<i64>,
    model_output_filename: String,
    layers: Vec<Value>,
    #[serde(default)]
    optimizer: OptimizerKind,
    #[serde(default = "default_learning_rate")]
    learning_rate: f32,
    #[serde(default = "default_seed")]
    seed: u64,
    #[serde(default)]
    init: Init,
}

/// The config as it is written out: the original key order, then the optional keys.
#[derive(Clone, Debug, Serialize)]
struct SerModelConfig {
    epochs: usize,
    patience: usize,
    batch_size: usize,
    validation_subset_ratio: f64,
    percent_of_train_data_to_use: f64,
    percent_train_data_to_use_for_validation: f64,
    num_classes: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    input_size: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    in_channels: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    input_features: Option<usize>,
    model_output_filename: String,
    layers: Vec<LayerConfig>,
    optimizer: OptimizerKind,
    learning_rate: f32,
    seed: u64,
    init: Init,
}

fn default_learning_rate() -> f32 {
    DEFAULT_LEARNING_RATE
}

fn default_seed() -> u64 {
    DEFAULT_SEED
}

/// A top-level count as a `usize`: negative values are refused here, the range (at least 1
/// for most, an upper limit for sizes) is the validation's.
fn count(name: &str, v: i64) -> Result<usize> {
    usize::try_from(v).map_err(|_| count_error(name, v))
}

/// The input shape from its three optional keys.
fn input_spec(
    input_size: Option<i64>,
    in_channels: Option<i64>,
    input_features: Option<i64>,
) -> Result<InputSpec> {
    match (input_size, in_channels, input_features) {
        (Some(size), channels, None) => Ok(InputSpec::Image {
            channels: count("in_channels", channels.unwrap_or(1))?,
            size: count("input_size", size)?,
        }),
        (None, None, Some(f)) => Ok(InputSpec::Features(count("input_features", f)?)),
        (None, Some(_), Some(_)) | (Some(_), _, Some(_)) => Err(NnError::Config(
            "give either `input_size` (with `in_channels`) for images or `input_features` for \
             flat inputs, not both"
                .into(),
        )),
        (None, Some(_), None) => Err(NnError::Config(
            "`in_channels` is given but `input_size` is missing".into(),
        )),
        (None, None, None) => Err(NnError::Config(
            "missing the input shape: give `input_size` (and `in_channels`) for images or \
             `input_features` for flat inputs"
                .into(),
        )),
    }
}

impl TryFrom<RawModelConfig> for ModelConfig {
    type Error = NnError;

    fn try_from(raw: RawModelConfig) -> Result<Self> {
        let input = input_spec(raw.input_size, raw.in_channels, raw.input_features)?;
        super::validate::check_layer_count(raw.layers.len())?;
        let layers = raw
            .layers
            .iter()
            .enumerate()
            .map(|(i, v)| LayerConfig::from_json_value(i, v))
            .collect::<Result<Vec<_>>>()?;
        let config = ModelConfig {
            epochs: count("epochs", raw.epochs)?,
            patience: count("patience", raw.patience)?,
            batch_size: count("batch_size", raw.batch_size)?,
            validation_subset_ratio: raw.validation_subset_ratio,
            percent_of_train_data_to_use: raw.percent_of_train_data_to_use,
            percent_train_data_to_use_for_validation: raw.percent_train_data_to_use_for_validation,
            num_classes: count("num_classes", raw.num_classes)?,
            input,
            model_output_filename: raw.model_output_filename,
            layers,
            optimizer: raw.optimizer,
            learning_rate: raw.learning_rate,
            seed: raw.seed,
            init: raw.init,
        };
        config.validate()?;
        Ok(config)
    }
}

impl From<ModelConfig> for SerModelConfig {
    fn from(c: ModelConfig) -> Self {
        let (input_size, in_channels, input_features) = match c.input {
            InputSpec::Image { channels, size } => (Some(size), Some(channels), None),
            InputSpec::Features(f) => (None, None, Some(f)),
        };
        SerModelConfig {
            epochs: c.epochs,
            patience: c.patience,
            batch_size: c.batch_size,
            validation_subset_ratio: c.validation_subset_ratio,
            percent_of_train_data_to_use: c.percent_of_train_data_to_use,
            percent_train_data_to_use_for_validation: c.percent_train_data_to_use_for_validation,
            num_classes: c.num_classes,
            input_size,
            in_channels,
            input_features,
            model_output_filename: c.model_output_filename,
            layers: c.layers,
            optimizer: c.optimizer,
            learning_rate: c.learning_rate,
            seed: c.seed,
            init: c.init,
        }
    }
}

impl ModelConfig {
    /// Parses and validates a config from JSON text (a leading byte-order mark is ignored).
    pub fn from_json_str(text: &str) -> Result<Self> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let raw: RawModelConfig = serde_json::from_str(text)
            .map_err(|e| NnError::Config(format!("cannot parse config JSON: {e}")))?;
        ModelConfig::try_from(raw)
    }

    /// Reads (a regular file of at most [`CONFIG_BYTES`]), parses and validates a config
    /// file; errors name the file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = read_text_bounded(path, CONFIG_BYTES, "config file")?;
        ModelConfig::from_json_str(&text).map_err(|e| match e {
            NnError::Config(msg) => NnError::Config(format!("{}: {msg}", path.display())),
            other => other,
        })
    }

    /// The config as pretty-printed JSON with every key written out (optional ones included).
    pub fn to_json_string(&self) -> Result<String> {
        serde_json::to_string_pretty(self)
            .map_err(|e| NnError::Config(format!("cannot write config as JSON: {e}")))
    }

    /// One input sample's shape: `[in_channels, input_size, input_size]` or
    /// `[input_features]`.
    pub fn input_shape(&self) -> Vec<usize> {
        self.input.shape()
    }
}
