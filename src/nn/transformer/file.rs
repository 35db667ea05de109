//! Transformer model files: safetensors, `F32`, PyTorch's `state_dict` names and layouts
//! (see [`super::Transformer::params`]), so `model.load_state_dict(load_file(path))` works on
//! the reference module of the [module documentation](super).
//!
//! Metadata: [`CONFIG_KEY`] holds
//! `{"kind":"transformer","vocab":V,"context":T,"width":D,"heads":H,"layers":L}`;
//! [`CHECKSUM_KEY`] the SHA-256 of the content as [`content_checksum`] defines it (the same as
//! the CNN's files), so an altered byte is reported. A file without a checksum (written by
//! another tool) is accepted if everything else checks out.
//!
//! Loading reads at most [`MODEL_FILE_BYTES`] of a regular file and refuses, with
//! [`NnError::ModelFile`] and never a panic: a truncated or damaged file, a checksum
//! mismatch, a missing or invalid config (sizes over the limits included), a missing,
//! extra, wrongly shaped or non-`F32` tensor (every problem listed), and non-finite values.

use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensors};
use serde::{Deserialize, Serialize};

use super::config::TransformerConfig;
use super::model::Transformer;
use super::params::param_specs;
use crate::files::limits::MODEL_FILE_BYTES;
use crate::files::{self, read_bounded};
use crate::nn::error::{NnError, Result};
use crate::nn::io::{
    CHECKSUM_KEY, CONFIG_KEY, F32View, content_checksum, file_err, serialize_checked,
};
use crate::nn::layers::Param;
use crate::nn::tensor::Tensor;

/// The `kind` of a transformer's config metadata.
const KIND: &str = "transformer";

/// The config as stored in the file's metadata.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    kind: String,
    vocab: usize,
    context: usize,
    width: usize,
    heads: usize,
    layers: usize,
}

impl Transformer {
    /// Writes the model to `path` atomically (through [`crate::files`]).
    pub fn save(&self, path: &Path) -> Result<()> {
        let bytes = self.to_bytes()?;
        files::write_atomic(path, &bytes)?;
        Ok(())
    }

    /// Reads a model file written by [`Transformer::save`] (or by PyTorch with the same names
    /// and config metadata), with every check of the module documentation.
    pub fn load(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            // A folder that cannot be listed still lets the file itself be read.
            let _ = files::recover(dir);
        }
        let bytes = read_bounded(path, MODEL_FILE_BYTES, "model file")?;
        Self::from_bytes(&bytes, path)
    }

    /// The bytes of the model file.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let c = self.config();
        let config_json = serde_json::to_string(&FileConfig {
            kind: KIND.into(),
            vocab: c.vocab,
            context: c.context,
            width: c.width,
            heads: c.heads,
            layers: c.layers,
        })
        .map_err(|e| NnError::Config(format!("cannot write the transformer config: {e}")))?;
        let views: Vec<(String, F32View)> = self
            .param_names()
            .into_iter()
            .zip(self.params())
            .map(|(name, p)| {
                let bytes = p
                    .value
                    .data()
                    .iter()
                    .flat_map(|v| v.to_le_bytes())
                    .collect();
                let shape = p.value.shape().to_vec();
                (name, F32View { shape, bytes })
            })
            .collect();
        serialize_checked(config_json, &views)
            .map_err(|e| NnError::Config(format!("cannot encode the transformer: {e}")))
    }

    /// A model of `config` with these parameter values, one `Vec` per entry of
    /// [`Transformer::params`] in that order, given the checks a model file's are: the config
    /// valid and within the limits, as many parameters as it has, each of its shape's
    /// length, every value finite.
    pub fn from_values(config: TransformerConfig, values: Vec<Vec<f32>>) -> Result<Self> {
        Transformer::check_config(&config)?;
        let specs = param_specs(&config);
        if values.len() != specs.len() {
            return Err(NnError::Config(format!(
                "{} parameters where the transformer has {}",
                values.len(),
                specs.len()
            )));
        }
        let mut params = Vec::with_capacity(specs.len());
        for (spec, values) in specs.iter().zip(values) {
            let bad = values.iter().filter(|v| !v.is_finite()).count();
            if bad > 0 {
                return Err(NnError::Config(format!(
                    "tensor {} holds {bad} non-finite value(s) (NaN or infinity)",
                    spec.name
                )));
            }
            params.push(Param::new(
                spec.short,
                Tensor::from_vec(&spec.shape, values)?,
            ));
        }
        Ok(Transformer::from_parts(config, params))
    }

    /// A model from the bytes of a model file; `path` only names it in messages.
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self> {
        if bytes.len() as u64 > MODEL_FILE_BYTES {
            return Err(file_err(
                path,
                format!(
                    "{} bytes, more than the {MODEL_FILE_BYTES} a model file may have",
                    bytes.len()
                ),
            ));
        }
        let damaged = |e: safetensors::SafeTensorError| {
            file_err(
                path,
                format!(
                    "not a complete safetensors file ({e}; the file has {} bytes): truncated or \
                     damaged",
                    bytes.len()
                ),
            )
        };
        let st = SafeTensors::deserialize(bytes).map_err(damaged)?;
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(damaged)?;
        let meta = header.metadata().as_ref();
        let config_json = meta.and_then(|m| m.get(CONFIG_KEY)).ok_or_else(|| {
            file_err(
                path,
                format!("no `{CONFIG_KEY}` metadata: cannot tell which transformer this is"),
            )
        })?;
        let mut views: Vec<_> = st.iter().collect();
        views.sort_by(|a, b| a.0.cmp(b.0));
        if let Some(stored) = meta.and_then(|m| m.get(CHECKSUM_KEY)) {
            let actual = content_checksum(
                config_json,
                views
                    .iter()
                    .map(|(n, v)| (*n, v.dtype(), v.shape(), v.data())),
            );
            if *stored != actual {
                return Err(file_err(
                    path,
                    format!(
                        "checksum mismatch (stored {stored}, content {actual}): the file was \
                         altered or damaged"
                    ),
                ));
            }
        }
        let fc: FileConfig = serde_json::from_str(config_json)
            .map_err(|e| file_err(path, format!("invalid `{CONFIG_KEY}` metadata: {e}")))?;
        if fc.kind != KIND {
            return Err(file_err(
                path,
                format!("a `{}` model, not a transformer", fc.kind),
            ));
        }
        let config = TransformerConfig {
            vocab: fc.vocab,
            context: fc.context,
            width: fc.width,
            heads: fc.heads,
            layers: fc.layers,
        };
        Transformer::check_config(&config)
            .map_err(|e| file_err(path, format!("invalid config: {e}")))?;

        let specs = param_specs(&config);
        let mut problems = Vec::new();
        for spec in &specs {
            match st.tensor(&spec.name) {
                Err(_) => problems.push(format!(
                    "missing tensor {} (model expects {:?})",
                    spec.name, spec.shape
                )),
                Ok(v) if v.dtype() != Dtype::F32 => problems.push(format!(
                    "{}: dtype {} in file, model expects F32",
                    spec.name,
                    v.dtype()
                )),
                Ok(v) if v.shape() != spec.shape.as_slice() => problems.push(format!(
                    "{}: shape {:?} in file, model expects {:?}",
                    spec.name,
                    v.shape(),
                    spec.shape
                )),
                Ok(_) => {}
            }
        }
        for (name, _) in &views {
            if !specs.iter().any(|s| s.name == *name) {
                problems.push(format!(
                    "unexpected tensor {name} (the model has no such parameter)"
                ));
            }
        }
        if !problems.is_empty() {
            return Err(file_err(path, problems.join("; ")));
        }
        let mut params = Vec::with_capacity(specs.len());
        for spec in &specs {
            let view = st
                .tensor(&spec.name)
                .map_err(|e| file_err(path, format!("{}: {e}", spec.name)))?;
            let values: Vec<f32> = view
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let bad = values.iter().filter(|v| !v.is_finite()).count();
            if bad > 0 {
                return Err(file_err(
                    path,
                    format!(
                        "tensor {} holds {bad} non-finite value(s) (NaN or infinity): the model \
                         is damaged or was saved from a training that diverged",
                        spec.name
                    ),
                ));
            }
            let value = Tensor::from_vec(&spec.shape, values)
                .map_err(|e| file_err(path, format!("{}: {e}", spec.name)))?;
            params.push(Param::new(spec.short, value));
        }
        Ok(Transformer::from_parts(config, params))
    }
}
