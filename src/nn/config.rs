//! Model configs: the JSON files that describe a network and how to train it, their checks,
//! and [`ModelConfig::build`], which turns a config into a [`Sequential`] with initial weights.
//!
//! The schema is the original project's, plus optional keys:
//!
//! ```json
//! {"epochs":10,"patience":2,"batch_size":32,"validation_subset_ratio":0.5,
//!  "percent_of_train_data_to_use":0.2,"percent_train_data_to_use_for_validation":0.2,
//!  "num_classes":10,"input_size":14,"in_channels":1,"model_output_filename":"mnist_cnn",
//!  "layers":[{"type":"conv","out_channels":8,"filter_size":3,"stride":1,"padding":0},
//!            {"type":"relu"},{"type":"maxpool","filter_size":2,"stride":2}, ...,
//!            {"type":"flatten"},{"type":"dense","out_features":10},{"type":"softmax"}],
//!  "optimizer":"adam","learning_rate":0.01,"seed":42,"init":"xavier_uniform"}
//! ```
//!
//! - Input: images `(in_channels, input_size, input_size)` (`in_channels` defaults to 1), or
//!   flat vectors of `input_features` values (for MLPs such as XOR). Exactly one of
//!   `input_size` and `input_features` must be given.
//! - Layer types: `conv` (`out_channels`, `filter_size`, `stride` = 1, `padding` = 0),
//!   `maxpool` (`filter_size`, `stride` = `filter_size`), `dense` (`out_features`), `flatten`,
//!   `relu`, `sigmoid`, `tanh`, `softmax`. Square kernels; a conv's input channels and a
//!   dense layer's input features come from the previous layer's output.
//! - Optional keys: `optimizer` (`"adam"` | `"sgd"`, default adam), `learning_rate` (default
//!   0.01), `seed` (default 42), `init` (`xavier_uniform` (default), `xavier_normal`,
//!   `he_normal`, `he_uniform`, `standard_normal`).
//!
//! A config is checked completely before anything is built or trained: every field, then the
//! shapes flowing through the layers (conv: `(C, H, W) -> (out, (H + 2P - K) / S + 1, ...)`,
//! maxpool: `(C, H, W) -> (C, (H - K) / S + 1, ...)`, flatten: `-> (C * H * W)`,
//! dense: `(F) -> (out)`), and finally that the output is `(num_classes)`. Each problem has its
//! own message naming the layer index, its type and the shapes involved.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::nn::error::{NnError, Result, fmt_shape};
use crate::nn::init::{Init, rng_from_seed};
use crate::nn::layers::{Conv2d, Dense, Flatten, Layer, MaxPool2d, Relu, Sigmoid, Softmax, Tanh};
use crate::nn::model::Sequential;
use crate::nn::optim::OptimizerKind;

/// The layer types a config may name, in the order messages list them.
pub const LAYER_TYPES: [&str; 8] = [
    "conv", "maxpool", "dense", "flatten", "relu", "sigmoid", "tanh", "softmax",
];

/// Default of `learning_rate` (as the original program).
pub const DEFAULT_LEARNING_RATE: f32 = 0.01;

/// Default of `seed`.
pub const DEFAULT_SEED: u64 = 42;

/// Largest value a size field may hold (`input_size`, `in_channels`, `input_features`,
/// `num_classes`, `batch_size` and every layer field), so that no shape arithmetic overflows.
pub const MAX_DIM: usize = 1 << 20;

/// Most values one sample's activation or one parameter tensor may hold.
pub const MAX_TENSOR_LEN: usize = 1 << 30;

/// Number of values of `shape`, or `None` if it overflows or exceeds [`MAX_TENSOR_LEN`].
fn checked_len(shape: &[usize]) -> Option<usize> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .filter(|&n| n <= MAX_TENSOR_LEN)
}

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
    /// field in every error.
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
                    out_channels: fields.positive("out_channels")?,
                    filter_size: fields.positive("filter_size")?,
                    stride: fields.optional("stride", 1, 1)?,
                    padding: fields.optional("padding", 0, 0)?,
                }
            }
            "maxpool" => {
                fields.only(&["filter_size", "stride"])?;
                let filter_size = fields.positive("filter_size")?;
                LayerConfig::MaxPool {
                    filter_size,
                    stride: fields.optional("stride", filter_size, 1)?,
                }
            }
            "dense" => {
                fields.only(&["out_features"])?;
                LayerConfig::Dense {
                    out_features: fields.positive("out_features")?,
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

    /// The layer's size fields as `(name, value, smallest allowed value)`.
    fn size_fields(&self) -> Vec<(&'static str, usize, usize)> {
        match *self {
            LayerConfig::Conv {
                out_channels,
                filter_size,
                stride,
                padding,
            } => vec![
                ("out_channels", out_channels, 1),
                ("filter_size", filter_size, 1),
                ("stride", stride, 1),
                ("padding", padding, 0),
            ],
            LayerConfig::MaxPool {
                filter_size,
                stride,
            } => vec![("filter_size", filter_size, 1), ("stride", stride, 1)],
            LayerConfig::Dense { out_features } => vec![("out_features", out_features, 1)],
            _ => Vec::new(),
        }
    }

    /// One sample's output shape for input shape `input`, or an error naming layer `index`.
    pub fn output_shape(&self, index: usize, input: &[usize]) -> Result<Vec<usize>> {
        let ty = self.type_name();
        let needs_image = || {
            NnError::Config(format!(
                "layer {index} ({ty}): needs a (C,H,W) input but gets {}",
                fmt_shape(input)
            ))
        };
        match *self {
            LayerConfig::Conv {
                out_channels,
                filter_size: k,
                stride: s,
                padding: p,
            } => {
                let &[_, h, w] = input else {
                    return Err(needs_image());
                };
                let pad = p.saturating_mul(2);
                let (ph, pw) = (h.saturating_add(pad), w.saturating_add(pad));
                if k > ph || k > pw {
                    let padded = if p > 0 {
                        format!(" (padded to {ph}x{pw})")
                    } else {
                        String::new()
                    };
                    return Err(NnError::Config(format!(
                        "layer {index} ({ty}): kernel {k}x{k} larger than input {}{padded}",
                        fmt_shape(input)
                    )));
                }
                Ok(vec![out_channels, (ph - k) / s + 1, (pw - k) / s + 1])
            }
            LayerConfig::MaxPool {
                filter_size: k,
                stride: s,
            } => {
                let &[c, h, w] = input else {
                    return Err(needs_image());
                };
                if k > h || k > w {
                    return Err(NnError::Config(format!(
                        "layer {index} ({ty}): kernel {k}x{k} larger than input {}",
                        fmt_shape(input)
                    )));
                }
                Ok(vec![c, (h - k) / s + 1, (w - k) / s + 1])
            }
            LayerConfig::Dense { out_features } => {
                if input.len() != 1 {
                    return Err(NnError::Config(format!(
                        "layer {index} ({ty}): needs a flat (F) input but gets {}; add a \
                         {{\"type\":\"flatten\"}} layer before it",
                        fmt_shape(input)
                    )));
                }
                Ok(vec![out_features])
            }
            LayerConfig::Flatten => checked_len(input).map(|n| vec![n]).ok_or_else(|| {
                NnError::Config(format!(
                    "layer {index} ({ty}): input {} holds more than {MAX_TENSOR_LEN} values",
                    fmt_shape(input)
                ))
            }),
            LayerConfig::Softmax => {
                if input.len() != 1 {
                    return Err(NnError::Config(format!(
                        "layer {index} ({ty}): needs a flat (F) input but gets {}; add a \
                         {{\"type\":\"flatten\"}} layer before it",
                        fmt_shape(input)
                    )));
                }
                Ok(input.to_vec())
            }
            LayerConfig::Relu | LayerConfig::Sigmoid | LayerConfig::Tanh => Ok(input.to_vec()),
        }
    }

    /// Names and shapes of this layer's parameters for input shape `input` (PyTorch layouts:
    /// conv weight `[out, in, k, k]`, dense weight `[out, in]`, then bias `[out]`); empty for
    /// layers without parameters. `input` must have been accepted by [`Self::output_shape`].
    pub fn param_shapes(&self, input: &[usize]) -> Vec<(&'static str, Vec<usize>)> {
        let fan_in = input.first().copied().unwrap_or(0);
        match *self {
            LayerConfig::Conv {
                out_channels,
                filter_size: k,
                ..
            } => vec![
                ("weight", vec![out_channels, fan_in, k, k]),
                ("bias", vec![out_channels]),
            ],
            LayerConfig::Dense { out_features } => vec![
                ("weight", vec![out_features, fan_in]),
                ("bias", vec![out_features]),
            ],
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

    /// The integer field `name`, which must be at least `min`; `None` when absent.
    fn int(&self, name: &str, min: usize) -> Result<Option<usize>> {
        let Some(v) = self.obj.get(name) else {
            return Ok(None);
        };
        let n = v
            .as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n >= min);
        match n {
            Some(n) => Ok(Some(n)),
            None => {
                let what = if min == 0 {
                    "a non-negative integer"
                } else {
                    "a positive integer"
                };
                Err(NnError::Config(format!(
                    "layer {} ({}): field `{name}` must be {what}, got {v}",
                    self.index, self.ty
                )))
            }
        }
    }

    /// A required integer field of at least 1.
    fn positive(&self, name: &str) -> Result<usize> {
        self.int(name, 1)?.ok_or_else(|| {
            NnError::Config(format!(
                "layer {} ({}): missing field `{name}`",
                self.index, self.ty
            ))
        })
    }

    /// An optional integer field of at least `min`, `default` when absent.
    fn optional(&self, name: &str, default: usize, min: usize) -> Result<usize> {
        Ok(self.int(name, min)?.unwrap_or(default))
    }
}

/// A model and its training settings, as read from a config file.
///
/// Parse with [`ModelConfig::from_json_str`] or [`ModelConfig::from_file`] (or serde), both of
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

/// The config as it is written in JSON: optional keys as options, layers as raw objects (so
/// each layer's errors can name its index).
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

/// A top-level integer field that must be at least `min`.
fn top_int(name: &str, v: i64, min: i64) -> Result<usize> {
    if v < min {
        let what = if min == 0 {
            "a non-negative integer"
        } else {
            "at least 1"
        };
        return Err(NnError::Config(format!("`{name}` must be {what}, got {v}")));
    }
    usize::try_from(v).map_err(|_| NnError::Config(format!("`{name}` is too large: {v}")))
}

/// The validation share of the training data: in [0, 1), since 1 would leave nothing to train
/// on (0 trains on everything and skips validation).
fn split_ratio(name: &str, v: f64) -> Result<f64> {
    if (0.0..1.0).contains(&v) {
        Ok(v)
    } else {
        Err(NnError::Config(format!(
            "`{name}` must be in [0, 1), got {v}"
        )))
    }
}

/// A top-level ratio that must lie in (0, 1].
fn top_ratio(name: &str, v: f64) -> Result<f64> {
    if v > 0.0 && v <= 1.0 {
        Ok(v)
    } else {
        Err(NnError::Config(format!(
            "`{name}` must be in (0, 1], got {v}"
        )))
    }
}

impl TryFrom<RawModelConfig> for ModelConfig {
    type Error = NnError;

    fn try_from(raw: RawModelConfig) -> Result<Self> {
        let input = match (raw.input_size, raw.in_channels, raw.input_features) {
            (Some(size), channels, None) => InputSpec::Image {
                channels: top_int("in_channels", channels.unwrap_or(1), 1)?,
                size: top_int("input_size", size, 1)?,
            },
            (None, None, Some(f)) => InputSpec::Features(top_int("input_features", f, 1)?),
            (None, Some(_), Some(_)) | (Some(_), _, Some(_)) => {
                return Err(NnError::Config(
                    "give either `input_size` (with `in_channels`) for images or \
                     `input_features` for flat inputs, not both"
                        .into(),
                ));
            }
            (None, Some(_), None) => {
                return Err(NnError::Config(
                    "`in_channels` is given but `input_size` is missing".into(),
                ));
            }
            (None, None, None) => {
                return Err(NnError::Config(
                    "missing the input shape: give `input_size` (and `in_channels`) for \
                     images or `input_features` for flat inputs"
                        .into(),
                ));
            }
        };
        let layers = raw
            .layers
            .iter()
            .enumerate()
            .map(|(i, v)| LayerConfig::from_json_value(i, v))
            .collect::<Result<Vec<_>>>()?;
        if !(raw.learning_rate.is_finite() && raw.learning_rate > 0.0) {
            return Err(NnError::Config(format!(
                "`learning_rate` must be a positive number, got {}",
                raw.learning_rate
            )));
        }
        let config = ModelConfig {
            epochs: top_int("epochs", raw.epochs, 1)?,
            patience: top_int("patience", raw.patience, 0)?,
            batch_size: top_int("batch_size", raw.batch_size, 1)?,
            validation_subset_ratio: top_ratio(
                "validation_subset_ratio",
                raw.validation_subset_ratio,
            )?,
            percent_of_train_data_to_use: top_ratio(
                "percent_of_train_data_to_use",
                raw.percent_of_train_data_to_use,
            )?,
            percent_train_data_to_use_for_validation: split_ratio(
                "percent_train_data_to_use_for_validation",
                raw.percent_train_data_to_use_for_validation,
            )?,
            num_classes: top_int("num_classes", raw.num_classes, 1)?,
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
    /// Parses and validates a config from JSON text.
    pub fn from_json_str(text: &str) -> Result<Self> {
        let raw: RawModelConfig = serde_json::from_str(text)
            .map_err(|e| NnError::Config(format!("cannot parse config JSON: {e}")))?;
        ModelConfig::try_from(raw)
    }

    /// Reads, parses and validates a config file; errors name the file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| NnError::Io {
            action: "reading config",
            path: path.to_path_buf(),
            source,
        })?;
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

    /// One sample's shape entering each layer, then the output shape (`layers.len() + 1`
    /// entries); fails on the first layer that cannot take its input.
    pub fn layer_shapes(&self) -> Result<Vec<Vec<usize>>> {
        let mut shapes = vec![self.input_shape()];
        for (i, layer) in self.layers.iter().enumerate() {
            let next = layer.output_shape(i, &shapes[i])?;
            if checked_len(&next).is_none() {
                return Err(NnError::Config(format!(
                    "layer {i} ({}): output {} holds more than {MAX_TENSOR_LEN} values",
                    layer.type_name(),
                    fmt_shape(&next)
                )));
            }
            if next.contains(&0) {
                return Err(NnError::Config(format!(
                    "layer {i} ({}): output {} is empty (input {})",
                    layer.type_name(),
                    fmt_shape(&next),
                    fmt_shape(&shapes[i])
                )));
            }
            shapes.push(next);
        }
        Ok(shapes)
    }

    /// Every parameter of the model this config builds, in order, as
    /// `("layers.{i}.{weight|bias}", shape)`: the tensors of its model file.
    pub fn param_shapes(&self) -> Result<Vec<(String, Vec<usize>)>> {
        let shapes = self.layer_shapes()?;
        Ok(self
            .layers
            .iter()
            .enumerate()
            .flat_map(|(i, layer)| {
                layer
                    .param_shapes(&shapes[i])
                    .into_iter()
                    .map(move |(name, shape)| (format!("layers.{i}.{name}"), shape))
            })
            .collect())
    }

    /// Checks everything that can be checked without data: sizes, ratios, the shape through
    /// every layer, and that the output is `(num_classes)`.
    pub fn validate(&self) -> Result<()> {
        if self.epochs == 0 {
            return Err(NnError::Config("`epochs` must be at least 1, got 0".into()));
        }
        let mut sizes = vec![
            ("batch_size", self.batch_size),
            ("num_classes", self.num_classes),
        ];
        match self.input {
            InputSpec::Image { channels, size } => {
                sizes.extend([("input_size", size), ("in_channels", channels)]);
            }
            InputSpec::Features(f) => sizes.push(("input_features", f)),
        }
        for (name, v) in sizes {
            if v == 0 {
                return Err(NnError::Config(format!(
                    "`{name}` must be at least 1, got 0"
                )));
            }
            if v > MAX_DIM {
                return Err(NnError::Config(format!(
                    "`{name}` is {v}, above the limit {MAX_DIM}"
                )));
            }
        }
        let ratios = [
            ("validation_subset_ratio", self.validation_subset_ratio),
            (
                "percent_of_train_data_to_use",
                self.percent_of_train_data_to_use,
            ),
        ];
        for (name, v) in ratios {
            top_ratio(name, v)?;
        }
        split_ratio(
            "percent_train_data_to_use_for_validation",
            self.percent_train_data_to_use_for_validation,
        )?;
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(NnError::Config(format!(
                "`learning_rate` must be a positive number, got {}",
                self.learning_rate
            )));
        }
        for (i, layer) in self.layers.iter().enumerate() {
            for (field, v, min) in layer.size_fields() {
                let ty = layer.type_name();
                if v < min {
                    return Err(NnError::Config(format!(
                        "layer {i} ({ty}): field `{field}` must be a positive integer, got {v}"
                    )));
                }
                if v > MAX_DIM {
                    return Err(NnError::Config(format!(
                        "layer {i} ({ty}): field `{field}` is {v}, above the limit {MAX_DIM}"
                    )));
                }
            }
        }
        if self.layers.is_empty() {
            return Err(NnError::Config("`layers` is empty".into()));
        }
        let shapes = self.layer_shapes()?;
        for (name, shape) in self.param_shapes()? {
            if checked_len(&shape).is_none() {
                return Err(NnError::Config(format!(
                    "{name} of shape {shape:?} would hold more than {MAX_TENSOR_LEN} values"
                )));
            }
        }
        let out = shapes.last().map(Vec::as_slice).unwrap_or(&[]);
        if out != [self.num_classes] {
            return Err(NnError::Config(format!(
                "layer {} ({}), the last layer, outputs {} but num_classes is {}: the \
                 output must be ({})",
                self.layers.len() - 1,
                self.layers
                    .last()
                    .map(LayerConfig::type_name)
                    .unwrap_or_default(),
                fmt_shape(out),
                self.num_classes,
                self.num_classes
            )));
        }
        Ok(())
    }

    /// Validates the config and builds its model: every layer in order, every weight drawn
    /// with [`ModelConfig::init`] from one generator seeded with [`ModelConfig::seed`] (in layer
    /// order), every bias zero.
    pub fn build(&self) -> Result<Sequential> {
        self.validate()?;
        let shapes = self.layer_shapes()?;
        let mut layers: Vec<Box<dyn Layer>> = Vec::with_capacity(self.layers.len());
        for (i, layer) in self.layers.iter().enumerate() {
            let fan_in = shapes[i].first().copied().unwrap_or(0);
            let context =
                |e: NnError| NnError::Config(format!("layer {i} ({}): {e}", layer.type_name()));
            let boxed: Box<dyn Layer> = match *layer {
                LayerConfig::Conv {
                    out_channels,
                    filter_size,
                    stride,
                    padding,
                } => Box::new(
                    Conv2d::new(fan_in, out_channels, filter_size, stride, padding)
                        .map_err(context)?,
                ),
                LayerConfig::MaxPool {
                    filter_size,
                    stride,
                } => Box::new(MaxPool2d::new(filter_size, stride).map_err(context)?),
                LayerConfig::Dense { out_features } => {
                    Box::new(Dense::new(fan_in, out_features).map_err(context)?)
                }
                LayerConfig::Flatten => Box::new(Flatten::new()),
                LayerConfig::Relu => Box::new(Relu::new()),
                LayerConfig::Sigmoid => Box::new(Sigmoid::new()),
                LayerConfig::Tanh => Box::new(Tanh::new()),
                LayerConfig::Softmax => Box::new(Softmax::new()),
            };
            layers.push(boxed);
        }
        let mut rng = rng_from_seed(self.seed);
        for layer in &mut layers {
            for p in layer.params_mut() {
                if p.name == "weight" {
                    let shape = p.value.shape().to_vec();
                    self.init.fill(p.value.data_mut(), &shape, &mut rng);
                } else {
                    p.value.fill(0.0);
                }
                p.grad.fill(0.0);
            }
        }
        Sequential::new(&self.input_shape(), layers)
    }
}
