//! From a config to a model: each [`LayerConfig`] becomes its layer for the shape the
//! previous layer outputs, and the layer says what it outputs
//! ([`Layer::output_shape`]), so the shape formulas live in the layers alone. Errors name
//! the layer as `layer 3 (conv): ...` with the shapes involved. [`ModelConfig::build`]
//! then draws the initial weights.

use crate::files::limits::MODEL_PARAMS;
use crate::nn::error::{NnError, Result, fmt_shape};
use crate::nn::init::rng_from_seed;
use crate::nn::layers::{Conv2d, Dense, Flatten, Layer, MaxPool2d, Relu, Sigmoid, Softmax, Tanh};
use crate::nn::model::Sequential;
use crate::nn::tensor::{MAX_TENSOR_LEN, checked_len};

use super::schema::{LayerConfig, ModelConfig};

/// The layers of a config, with zero weights, and one sample's shape entering each layer
/// followed by the output shape.
struct Built {
    layers: Vec<Box<dyn Layer>>,
    shapes: Vec<Vec<usize>>,
}

/// A layer's own message, without its prefix (`shape mismatch in conv2d: `): the config's
/// message names the layer by index and type instead.
fn layer_message(e: NnError) -> String {
    match e {
        NnError::Shape { detail, .. } => detail,
        NnError::Config(msg) => msg,
        other => other.to_string(),
    }
}

impl LayerConfig {
    /// How many parameters this layer has for an input whose first dimension is `fan_in`
    /// (`None` if the count overflows), known before anything is allocated.
    fn param_count(&self, fan_in: usize) -> Option<usize> {
        match *self {
            LayerConfig::Conv {
                out_channels,
                filter_size,
                ..
            } => out_channels
                .checked_mul(fan_in)?
                .checked_mul(filter_size.checked_mul(filter_size)?)?
                .checked_add(out_channels),
            LayerConfig::Dense { out_features } => {
                out_features.checked_mul(fan_in)?.checked_add(out_features)
            }
            _ => Some(0),
        }
    }

    /// This layer for one input sample of shape `input`, weights zero: a conv's input
    /// channels and a dense layer's input features are `input[0]`. The layer itself checks
    /// that it can take `input` ([`Layer::output_shape`]).
    fn layer_for(&self, input: &[usize]) -> Result<Box<dyn Layer>> {
        let fan_in = input.first().copied().unwrap_or(0);
        Ok(match *self {
            LayerConfig::Conv {
                out_channels,
                filter_size,
                stride,
                padding,
            } => Box::new(Conv2d::new(
                fan_in,
                out_channels,
                filter_size,
                stride,
                padding,
            )?),
            LayerConfig::MaxPool {
                filter_size,
                stride,
            } => Box::new(MaxPool2d::new(filter_size, stride)?),
            LayerConfig::Dense { out_features } => Box::new(Dense::new(fan_in, out_features)?),
            LayerConfig::Flatten => Box::new(Flatten::new()),
            LayerConfig::Relu => Box::new(Relu::new()),
            LayerConfig::Sigmoid => Box::new(Sigmoid::new()),
            LayerConfig::Tanh => Box::new(Tanh::new()),
            LayerConfig::Softmax => Box::new(Softmax::new()),
        })
    }
}

impl ModelConfig {
    /// Builds every layer (weights zero) in order, each for the output of the previous one,
    /// and asks it for its output shape; fails on the first layer whose fields are out of
    /// range, that cannot take its input, or whose output is empty or too large.
    fn build_layers(&self) -> Result<Built> {
        let input = self.input_shape();
        if checked_len(&input).is_none() {
            return Err(NnError::Config(format!(
                "the input {} holds more than {MAX_TENSOR_LEN} values",
                fmt_shape(&input)
            )));
        }
        let mut shapes = vec![input];
        let mut layers = Vec::with_capacity(self.layers.len());
        let mut params = 0usize;
        for (i, config) in self.layers.iter().enumerate() {
            config.check_fields(i)?;
            let ty = config.type_name();
            let at_layer =
                |e: NnError| NnError::Config(format!("layer {i} ({ty}): {}", layer_message(e)));
            let input = &shapes[i];
            params = config
                .param_count(input.first().copied().unwrap_or(0))
                .and_then(|n| n.checked_add(params))
                .filter(|&n| n <= MODEL_PARAMS)
                .ok_or_else(|| {
                    NnError::Config(format!(
                        "layer {i} ({ty}): the model would hold more than the {MODEL_PARAMS} \
                         parameters a model may have"
                    ))
                })?;
            let layer = config.layer_for(input).map_err(at_layer)?;
            let output = layer.output_shape(input).map_err(at_layer)?;
            if checked_len(&output).is_none() {
                return Err(NnError::Config(format!(
                    "layer {i} ({ty}): output {} holds more than {MAX_TENSOR_LEN} values",
                    fmt_shape(&output)
                )));
            }
            if output.contains(&0) {
                return Err(NnError::Config(format!(
                    "layer {i} ({ty}): output {} is empty (input {})",
                    fmt_shape(&output),
                    fmt_shape(input)
                )));
            }
            layers.push(layer);
            shapes.push(output);
        }
        Ok(Built { layers, shapes })
    }

    /// One sample's shape entering each layer, then the output shape (`layers.len() + 1`
    /// entries), as the layers compute them; fails on the first layer that cannot take its
    /// input.
    pub fn layer_shapes(&self) -> Result<Vec<Vec<usize>>> {
        Ok(self.build_layers()?.shapes)
    }

    /// Every parameter of the model this config builds, in order, as
    /// `("layers.{i}.{weight|bias}", shape)`: the tensors of its model file.
    pub fn param_shapes(&self) -> Result<Vec<(String, Vec<usize>)>> {
        let built = self.build_layers()?;
        Ok(built
            .layers
            .iter()
            .enumerate()
            .flat_map(|(i, layer)| {
                layer
                    .params()
                    .iter()
                    .map(move |p| (format!("layers.{i}.{}", p.name), p.value.shape().to_vec()))
            })
            .collect())
    }

    /// Checks the config as [`ModelConfig::validate`] does and builds its model: every layer
    /// in order, every weight drawn with [`ModelConfig::init`] from one generator seeded with
    /// [`ModelConfig::seed`] (in layer order), every bias zero.
    pub fn build(&self) -> Result<Sequential> {
        self.check_settings()?;
        let Built { mut layers, shapes } = self.build_layers()?;
        self.check_output(&shapes)?;
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
