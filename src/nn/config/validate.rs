//! [`ModelConfig::validate`]: every rule a config must meet before anything is built or
//! trained, each checked in one place: the counts and their limits, the ratios, the learning
//! rate, each layer's size fields, the shapes through the layers (learnt by building them,
//! see `build.rs`) and the output `(num_classes)`. The parser reports a value that is not
//! even of the right type with the messages made here, so both say the same.

use crate::files::limits::{BATCH, CONFIG_LAYERS};
use std::fmt::Display;

use crate::nn::error::{NnError, Result, fmt_shape};

use super::schema::{InputSpec, LayerConfig, ModelConfig};

/// Largest value a size field may hold (`input_size`, `in_channels`, `input_features`,
/// `num_classes`, `batch_size` and every layer field), so that no shape arithmetic overflows.
pub const MAX_DIM: usize = 1 << 20;

/// Smallest value of the top-level count `name`: 0 for `patience`, 1 for the others.
fn count_min(name: &str) -> usize {
    usize::from(name != "patience")
}

/// The error for a top-level count `name` that breaks its minimum (or is no count at all).
pub(super) fn count_error(name: &str, got: impl Display) -> NnError {
    let rule = if count_min(name) == 0 {
        "a non-negative integer"
    } else {
        "at least 1"
    };
    NnError::Config(format!("`{name}` must be {rule}, got {got}"))
}

/// Smallest value of a layer's size field: 0 for `padding`, 1 for the others.
fn layer_field_min(field: &str) -> usize {
    usize::from(field != "padding")
}

/// The error for size field `field` of layer `index` (of type `ty`) that breaks its minimum
/// (or is no integer at all).
pub(super) fn layer_field_error(index: usize, ty: &str, field: &str, got: impl Display) -> NnError {
    let rule = if layer_field_min(field) == 0 {
        "a non-negative integer"
    } else {
        "a positive integer"
    };
    NnError::Config(format!(
        "layer {index} ({ty}): field `{field}` must be {rule}, got {got}"
    ))
}

/// The error for a value of `name` above [`MAX_DIM`].
fn above_limit(name: impl Display, v: usize) -> NnError {
    NnError::Config(format!("{name} is {v}, above the limit {MAX_DIM}"))
}

/// A share that must lie in (0, 1].
fn check_share(name: &str, v: f64) -> Result<()> {
    if v > 0.0 && v <= 1.0 {
        Ok(())
    } else {
        Err(NnError::Config(format!(
            "`{name}` must be in (0, 1], got {v}"
        )))
    }
}

/// The validation share of the training data: in [0, 1), since 1 would leave nothing to train
/// on (0 trains on everything and skips validation).
fn check_split(name: &str, v: f64) -> Result<()> {
    if (0.0..1.0).contains(&v) {
        Ok(())
    } else {
        Err(NnError::Config(format!(
            "`{name}` must be in [0, 1), got {v}"
        )))
    }
}

/// Fails if a config lists more than [`CONFIG_LAYERS`] layers (checked before any layer is
/// parsed or built).
pub(super) fn check_layer_count(count: usize) -> Result<()> {
    if count > CONFIG_LAYERS {
        return Err(NnError::Config(format!(
            "`layers` lists {count} layers, more than the {CONFIG_LAYERS} a config may have"
        )));
    }
    Ok(())
}

impl ModelConfig {
    /// Checks everything that can be checked without data: the settings, every layer's
    /// fields, the shape through every layer (by building the layers, with zero weights), and
    /// that the output is `(num_classes)`. Parsing runs it; [`ModelConfig::build`] runs the
    /// same checks. Errors name the key, or the layer (`layer 3 (conv): ...`) and the shapes.
    pub fn validate(&self) -> Result<()> {
        self.check_settings()?;
        let shapes = self.layer_shapes()?;
        self.check_output(&shapes)
    }

    /// The rules that do not involve the layers' shapes: counts and their limits, ratios, the
    /// learning rate, and a layer list that is not empty.
    pub(super) fn check_settings(&self) -> Result<()> {
        // (name, value, whether MAX_DIM applies)
        let mut counts = vec![
            ("epochs", self.epochs, false),
            ("patience", self.patience, false),
            ("batch_size", self.batch_size, true),
            ("num_classes", self.num_classes, true),
        ];
        match self.input {
            InputSpec::Image { channels, size } => {
                counts.extend([("input_size", size, true), ("in_channels", channels, true)]);
            }
            InputSpec::Features(f) => counts.push(("input_features", f, true)),
        }
        for (name, v, limited) in counts {
            if v < count_min(name) {
                return Err(count_error(name, v));
            }
            if limited && v > MAX_DIM {
                return Err(above_limit(format_args!("`{name}`"), v));
            }
        }
        check_share("validation_subset_ratio", self.validation_subset_ratio)?;
        check_share(
            "percent_of_train_data_to_use",
            self.percent_of_train_data_to_use,
        )?;
        check_split(
            "percent_train_data_to_use_for_validation",
            self.percent_train_data_to_use_for_validation,
        )?;
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(NnError::Config(format!(
                "`learning_rate` must be a positive number, got {}",
                self.learning_rate
            )));
        }
        if self.layers.is_empty() {
            return Err(NnError::Config("`layers` is empty".into()));
        }
        check_layer_count(self.layers.len())?;
        if self.batch_size > BATCH as usize {
            return Err(NnError::Config(format!(
                "`batch_size` is {}, more than the {BATCH} images a batch may hold",
                self.batch_size
            )));
        }
        Ok(())
    }

    /// Checks that the model's output shape (the last of `shapes`) is `(num_classes)`.
    pub(super) fn check_output(&self, shapes: &[Vec<usize>]) -> Result<()> {
        let out = shapes.last().map(Vec::as_slice).unwrap_or(&[]);
        if out == [self.num_classes] {
            return Ok(());
        }
        let last = self.layers.len().saturating_sub(1);
        let ty = self
            .layers
            .last()
            .map(LayerConfig::type_name)
            .unwrap_or_default();
        Err(NnError::Config(format!(
            "layer {last} ({ty}), the last layer, outputs {} but num_classes is {}: the \
             output must be ({})",
            fmt_shape(out),
            self.num_classes,
            self.num_classes
        )))
    }
}

impl LayerConfig {
    /// Checks the size fields of layer `index`: each at least 1 (`padding` at least 0) and at
    /// most [`MAX_DIM`].
    pub(super) fn check_fields(&self, index: usize) -> Result<()> {
        let ty = self.type_name();
        for (field, v) in self.size_fields() {
            if v < layer_field_min(field) {
                return Err(layer_field_error(index, ty, field, v));
            }
            if v > MAX_DIM {
                return Err(above_limit(
                    format_args!("layer {index} ({ty}): field `{field}`"),
                    v,
                ));
            }
        }
        Ok(())
    }
}
