//! Model files: one [safetensors](https://github.com/huggingface/safetensors) file holds a
//! whole model, its weights and the config that rebuilds it.
//!
//! Layout (readable by PyTorch's `safetensors.torch.load_file`):
//! - one tensor per parameter, named `layers.{i}.weight` / `layers.{i}.bias`, where `i` is the
//!   layer's index in the config's `layers` list (the numbering of PyTorch's `nn.Sequential`),
//!   `F32` little-endian, in PyTorch's layouts (conv `[out, in, kh, kw]`, dense `[out, in]`);
//! - the metadata key [`CONFIG_KEY`] (`"config"`): the [`ModelConfig`] as JSON;
//! - the metadata key [`CHECKSUM_KEY`]: SHA-256 over the config text and every tensor's name,
//!   dtype, shape and bytes (see [`content_checksum`]), so that an altered byte anywhere is
//!   reported instead of silently loaded. Files without it (written by other tools) are
//!   accepted unchecked.
//!
//! Saving goes through [`crate::files`]: atomic, never over anything but a regular file; a
//! model saved with its metrics is committed with them as a set ([`encode_model`] gives the
//! bytes for that).
//!
//! Loading reads at most [`MODEL_FILE_BYTES`] bytes of a regular file, first completing or
//! undoing any save to that folder that was interrupted ([`crate::files::recover`]), and checks
//! every tensor's name, dtype and shape against the model the config builds, listing every
//! problem by tensor name, and that every weight is a finite number. Truncated, altered or
//! damaged files give [`NnError::ModelFile`], never a panic.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use safetensors::tensor::{Dtype, SafeTensorError, SafeTensors, View};
use sha2::{Digest, Sha256};

use crate::files::limits::MODEL_FILE_BYTES;
use crate::files::{self, read_bounded};
use crate::nn::config::ModelConfig;
use crate::nn::error::{NnError, Result};
use crate::nn::model::Sequential;
use crate::nn::tensor::Tensor;

/// Metadata key holding the model's config as JSON.
pub const CONFIG_KEY: &str = "config";

/// Metadata key holding the content checksum (lowercase hex SHA-256).
pub const CHECKSUM_KEY: &str = "netviz_sha256";

/// The contents of a model file, read and checked for integrity but not yet matched to a model.
#[derive(Clone, Debug)]
pub struct ModelFile {
    /// The embedded config; `None` when the file has no [`CONFIG_KEY`] metadata.
    pub config: Option<ModelConfig>,
    /// Every tensor by name, converted to `f32`.
    pub tensors: BTreeMap<String, Tensor>,
}

/// A model-file error about `path`.
pub(crate) fn file_err(path: &Path, detail: impl Into<String>) -> NnError {
    NnError::ModelFile {
        path: path.to_path_buf(),
        detail: detail.into(),
    }
}

/// A tensor to write: shape and little-endian bytes.
pub(crate) struct F32View {
    pub(crate) shape: Vec<usize>,
    pub(crate) bytes: Vec<u8>,
}

impl View for &F32View {
    fn dtype(&self) -> Dtype {
        Dtype::F32
    }

    fn shape(&self) -> &[usize] {
        &self.shape
    }

    fn data(&self) -> std::borrow::Cow<'_, [u8]> {
        std::borrow::Cow::Borrowed(&self.bytes)
    }

    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

/// SHA-256 (lowercase hex) of a model file's content: a version tag, then the config text, then
/// for every tensor in name order its name, dtype, shape and bytes, each length-prefixed with a
/// little-endian `u64`. Independent of the order tensors are laid out in the file.
pub fn content_checksum<'a>(
    config_json: &str,
    tensors: impl IntoIterator<Item = (&'a str, Dtype, &'a [usize], &'a [u8])>,
) -> String {
    fn put(h: &mut Sha256, bytes: &[u8]) {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    }
    let mut sorted: Vec<_> = tensors.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut h = Sha256::new();
    put(&mut h, b"netviz model v1");
    put(&mut h, config_json.as_bytes());
    for (name, dtype, shape, bytes) in sorted {
        put(&mut h, name.as_bytes());
        put(&mut h, dtype.to_string().as_bytes());
        h.update((shape.len() as u64).to_le_bytes());
        for &d in shape {
            h.update((d as u64).to_le_bytes());
        }
        put(&mut h, bytes);
    }
    format!("{:x}", h.finalize())
}

/// Every parameter of `model` as `("layers.{i}.{weight|bias}", shape)`, in order.
fn model_param_shapes(model: &Sequential) -> Vec<(String, Vec<usize>)> {
    model
        .params()
        .map(|(i, p)| (format!("layers.{i}.{}", p.name), p.value.shape().to_vec()))
        .collect()
}

/// Checks that `model` has exactly the parameters `config` describes (names and shapes).
fn check_model_matches(config: &ModelConfig, model: &Sequential) -> Result<()> {
    let expected = config.param_shapes()?;
    if model.layers().len() != config.layers.len() {
        return Err(NnError::Config(format!(
            "the model has {} layers but its config has {}",
            model.layers().len(),
            config.layers.len()
        )));
    }
    let actual = model_param_shapes(model);
    for (k, (name, shape)) in actual.iter().enumerate() {
        match expected.get(k) {
            Some((n, s)) if n == name && s == shape => {}
            Some((n, s)) => {
                return Err(NnError::Config(format!(
                    "the model's parameter {name} {shape:?} does not match the config's {n} {s:?}"
                )));
            }
            None => {
                return Err(NnError::Config(format!(
                    "the model has a parameter {name} {shape:?} its config does not describe"
                )));
            }
        }
    }
    if let Some((n, s)) = expected.get(actual.len()) {
        return Err(NnError::Config(format!(
            "the config describes a parameter {n} {s:?} the model lacks"
        )));
    }
    Ok(())
}

/// Writes `model` and `config` to `path` atomically (see the module documentation); creates
/// the parent folder if missing. Fails without touching `path` if the model does not match the
/// config.
pub fn save_model(path: impl AsRef<Path>, config: &ModelConfig, model: &Sequential) -> Result<()> {
    let path = path.as_ref();
    let bytes = encode_model(path, config, model)?;
    files::write_atomic(path, &bytes)?;
    Ok(())
}

/// Where the metrics of the model file `path` are written: `model.safetensors` ->
/// `model.metrics.json`.
pub fn metrics_path(path: &Path) -> std::path::PathBuf {
    path.with_extension("metrics.json")
}

/// Writes `model` to `path` and its metrics (JSON, made by `metrics` from the model file's
/// SHA-256 in lowercase hex, so the pair can be told apart from another) to
/// [`metrics_path`] as a set: after any interruption the folder holds the old pair or the new
/// one (see [`crate::files::atomic`]). Nothing is replaced unless both files are ready.
pub fn save_model_with_metrics(
    path: &Path,
    config: &ModelConfig,
    model: &Sequential,
    metrics: impl FnOnce(&str) -> Result<Vec<u8>>,
) -> Result<()> {
    let bytes = encode_model(path, config, model)?;
    let metrics = metrics(&hex(&Sha256::digest(&bytes)))?;
    if let Some(dir) = path.parent() {
        files::recover(dir)?;
    }
    let mut model_file = files::AtomicFile::create(path)?;
    model_file.write_bytes(&bytes)?;
    let mut metrics_file = files::AtomicFile::create(&metrics_path(path))?;
    metrics_file.write_bytes(&metrics)?;
    files::commit_together(vec![model_file, metrics_file])?;
    Ok(())
}

/// `bytes` as lowercase hex.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of the model file for `model` and `config` (`path` only names it in messages).
/// Fails if the model does not match the config.
pub fn encode_model(path: &Path, config: &ModelConfig, model: &Sequential) -> Result<Vec<u8>> {
    config.validate()?;
    check_model_matches(config, model)?;
    let config_json = config.to_json_string()?;
    let views: Vec<(String, F32View)> = model
        .params()
        .map(|(i, p)| {
            let bytes = p
                .value
                .data()
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .collect();
            (
                format!("layers.{i}.{}", p.name),
                F32View {
                    shape: p.value.shape().to_vec(),
                    bytes,
                },
            )
        })
        .collect();
    serialize_checked(config_json, &views)
        .map_err(|e| file_err(path, format!("cannot encode the model: {e}")))
}

/// Safetensors bytes of `views` with `config_json` under [`CONFIG_KEY`] and their
/// [`content_checksum`] under [`CHECKSUM_KEY`]: how every model file is written.
pub(crate) fn serialize_checked(
    config_json: String,
    views: &[(String, F32View)],
) -> std::result::Result<Vec<u8>, SafeTensorError> {
    let checksum = content_checksum(
        &config_json,
        views.iter().map(|(n, v)| {
            (
                n.as_str(),
                Dtype::F32,
                v.shape.as_slice(),
                v.bytes.as_slice(),
            )
        }),
    );
    let metadata = HashMap::from([
        (CONFIG_KEY.to_string(), config_json),
        (CHECKSUM_KEY.to_string(), checksum),
    ]);
    safetensors::serialize(views.iter().map(|(n, v)| (n.as_str(), v)), Some(metadata))
}

/// Reads the model file `path` (a regular file of at most [`MODEL_FILE_BYTES`]) after
/// finishing any interrupted save to its folder.
fn read_model_bytes(path: &Path) -> Result<Vec<u8>> {
    if let Some(dir) = path.parent() {
        // A folder that cannot be listed still lets the file itself be read.
        let _ = files::recover(dir);
    }
    Ok(read_bounded(path, MODEL_FILE_BYTES, "model file")?)
}

fn describe_parse_error(e: &SafeTensorError, len: usize) -> String {
    match e {
        SafeTensorError::HeaderTooSmall
        | SafeTensorError::InvalidHeaderLength
        | SafeTensorError::MetadataIncompleteBuffer => format!(
            "not a complete safetensors file ({e}; the file has {len} bytes): truncated or \
             corrupted"
        ),
        _ => format!("corrupted safetensors header: {e}"),
    }
}

/// Reads a model file and checks its integrity (format, dtypes, checksum, config) without
/// building a model.
pub fn read_model_file(path: impl AsRef<Path>) -> Result<ModelFile> {
    let path = path.as_ref();
    let bytes = read_model_bytes(path)?;
    parse_model_file(path, &bytes)
}

/// [`read_model_file`] on bytes already in memory; `path` is only used in messages.
pub fn parse_model_file(path: &Path, bytes: &[u8]) -> Result<ModelFile> {
    let st = SafeTensors::deserialize(bytes)
        .map_err(|e| file_err(path, describe_parse_error(&e, bytes.len())))?;
    let (_, header) = SafeTensors::read_metadata(bytes)
        .map_err(|e| file_err(path, describe_parse_error(&e, bytes.len())))?;
    let meta = header.metadata().as_ref();
    let config_json = meta.and_then(|m| m.get(CONFIG_KEY));

    let mut views: Vec<(&str, safetensors::tensor::TensorView<'_>)> = st.iter().collect();
    views.sort_by(|a, b| a.0.cmp(b.0));

    if let Some(stored) = meta.and_then(|m| m.get(CHECKSUM_KEY)) {
        let actual = content_checksum(
            config_json.map(String::as_str).unwrap_or(""),
            views
                .iter()
                .map(|(n, v)| (*n, v.dtype(), v.shape(), v.data())),
        );
        if *stored != actual {
            return Err(file_err(
                path,
                format!(
                    "checksum mismatch (stored {stored}, content {actual}): the file was altered \
                     or damaged"
                ),
            ));
        }
    }

    let config = match config_json {
        Some(text) => Some(
            ModelConfig::from_json_str(text)
                .map_err(|e| file_err(path, format!("invalid `{CONFIG_KEY}` metadata: {e}")))?,
        ),
        None => None,
    };

    let mut tensors = BTreeMap::new();
    for (name, view) in views {
        if view.dtype() != Dtype::F32 {
            return Err(file_err(
                path,
                format!("{name}: dtype {} in file, model expects F32", view.dtype()),
            ));
        }
        let values: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let tensor = Tensor::from_vec(view.shape(), values)
            .map_err(|e| file_err(path, format!("{name}: {e}")))?;
        tensors.insert(name.to_string(), tensor);
    }
    Ok(ModelFile { config, tensors })
}

/// Checks the file's tensors against the expected `(name, shape)` list: every expected tensor
/// present with its shape, and nothing else. All problems are listed, separated by `; `.
fn check_tensors(path: &Path, expected: &[(String, Vec<usize>)], file: &ModelFile) -> Result<()> {
    let mut problems = Vec::new();
    for (name, shape) in expected {
        match file.tensors.get(name) {
            None => problems.push(format!("missing tensor {name} (model expects {shape:?})")),
            Some(t) if t.shape() != shape.as_slice() => problems.push(format!(
                "{name}: shape {:?} in file, model expects {shape:?}",
                t.shape()
            )),
            Some(_) => {}
        }
    }
    for name in file.tensors.keys() {
        if !expected.iter().any(|(n, _)| n == name) {
            problems.push(format!(
                "unexpected tensor {name} (the model has no such parameter)"
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(file_err(path, problems.join("; ")))
    }
}

/// Copies the (already checked) tensors into the model's parameters and zeroes the gradients.
fn fill(path: &Path, file: &ModelFile, model: &mut Sequential) -> Result<()> {
    // Every weight must be a number before any is copied, so a refused file leaves `model`
    // as it was.
    for (name, t) in &file.tensors {
        let bad = t.data().iter().filter(|v| !v.is_finite()).count();
        if bad > 0 {
            return Err(file_err(
                path,
                format!(
                    "tensor {name} holds {bad} non-finite value(s) (NaN or infinity): the model \
                     is damaged or was saved from a training that diverged"
                ),
            ));
        }
    }
    for (i, layer) in model.layers_mut().iter_mut().enumerate() {
        for p in layer.params_mut() {
            let name = format!("layers.{i}.{}", p.name);
            let t = file
                .tensors
                .get(&name)
                .filter(|t| t.shape() == p.value.shape())
                .ok_or_else(|| file_err(path, format!("missing tensor {name}")))?;
            p.value.data_mut().copy_from_slice(t.data());
            p.grad.fill(0.0);
        }
    }
    Ok(())
}

/// Loads a whole model: rebuilds it from the embedded config, checks every tensor against it
/// and fills the weights.
pub fn load_model(path: impl AsRef<Path>) -> Result<(ModelConfig, Sequential)> {
    let path = path.as_ref();
    let bytes = read_model_bytes(path)?;
    load_model_bytes(path, &bytes)
}

/// [`load_model`] on the bytes of a model file already in memory (e.g. one built into the
/// program); `path` is only used in messages.
pub fn load_model_bytes(path: &Path, bytes: &[u8]) -> Result<(ModelConfig, Sequential)> {
    let file = parse_model_file(path, bytes)?;
    let config = file.config.clone().ok_or_else(|| {
        file_err(
            path,
            format!("no `{CONFIG_KEY}` metadata: cannot tell which model the weights belong to"),
        )
    })?;
    let mut model = config.build()?;
    check_tensors(path, &model_param_shapes(&model), &file)?;
    fill(path, &file, &mut model)?;
    Ok((config, model))
}

/// Loads the weights of the file at `path` into `model`, built from `config` (for
/// `--init-weights`). The file's tensors must match `config`'s architecture exactly; its
/// embedded config, if any, is not otherwise used (training settings may differ).
pub fn load_weights_into(
    path: impl AsRef<Path>,
    config: &ModelConfig,
    model: &mut Sequential,
) -> Result<()> {
    let path = path.as_ref();
    check_model_matches(config, model)?;
    let file = read_model_file(path)?;
    check_tensors(path, &model_param_shapes(model), &file)?;
    fill(path, &file, model)
}
