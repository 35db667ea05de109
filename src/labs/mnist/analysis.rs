//! What the MNIST lab computes from a model besides training, always on a copy of the model
//! so the trainer's state is never touched:
//! - [`ValidationPass`]: every validation image's prediction, the confusion matrix with the
//!   images of each cell, and the penultimate layer's activations of the first
//!   [`EMBEDDING_POINTS`] images projected to 3D by PCA ([`Embedding`]);
//! - [`Probe`]: every layer's activations and the output probabilities for one image;
//! - [`ConvFilters`]: every convolution's kernels.
//!
//! The update-to-weight ratios are not computed here: the optimizer measures them inside its
//! update ([`Optimizer::last_update_ratio`](crate::nn::Optimizer::last_update_ratio)).

use serde::{Deserialize, Serialize};

use crate::data::preprocess::Dataset;
use crate::labs::pca::{Pca, pca3};
use crate::nn::metrics::{ConfusionMatrix, argmax_into};
use crate::nn::{LayerKind, NnError, Result, Sequential, Tensor};
use crate::train::EVAL_BATCH;

/// Validation images whose penultimate activations are projected in the embedding.
pub const EMBEDDING_POINTS: usize = 2000;

/// Every validation image seen by one model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ValidationPass {
    /// Rows: true class, columns: predicted class, over the whole validation set.
    pub confusion: ConfusionMatrix,
    /// The predicted class of each validation image.
    pub predictions: Vec<u8>,
    /// `cells[truth * classes + pred]`: the validation indices in that cell, ascending.
    pub cells: Vec<Vec<usize>>,
    /// The penultimate layer's activations in 3D.
    pub embedding: Embedding,
}

impl ValidationPass {
    /// The validation indices of images of class `truth` predicted as `pred`.
    pub fn cell(&self, truth: usize, pred: usize) -> &[usize] {
        let k = self.confusion.num_classes();
        self.cells
            .get(truth * k + pred)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// The penultimate layer's activations of some validation images, projected on their top
/// three principal axes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Embedding {
    /// Which activation is projected: the input of layer `layer` (the last dense layer).
    pub layer: usize,
    /// Values per activation vector.
    pub dim: usize,
    /// The activation vectors, `dim` values per image (kept for checking the projection).
    pub activations: Vec<f32>,
    /// The principal axes.
    pub pca: Pca,
    /// Each image's coordinates along the axes.
    pub points: Vec<[f32; 3]>,
    /// Each image's true class.
    pub labels: Vec<u8>,
    /// Each image's predicted class.
    pub predicted: Vec<u8>,
}

/// The share of the embedding's points inside the unit box the view shows (see
/// [`Embedding::scale`]).
pub const EMBEDDING_EXTENT_QUANTILE: f32 = 0.9;

impl Embedding {
    /// The extent of the bulk of the cloud: the largest absolute coordinate of the point at
    /// the [`EMBEDDING_EXTENT_QUANTILE`] of the points ordered by theirs (at least a tiny
    /// positive number). The view divides by it so the cloud fills the unit box, a few
    /// outliers reaching past it instead of shrinking everyone else into the middle.
    pub fn scale(&self) -> f32 {
        let mut extents: Vec<f32> = self
            .points
            .iter()
            .map(|p| p.iter().fold(0.0f32, |m, v| m.max(v.abs())))
            .filter(|v| v.is_finite())
            .collect();
        if extents.is_empty() {
            return 1e-6;
        }
        let at = ((extents.len() - 1) as f32 * EMBEDDING_EXTENT_QUANTILE).round() as usize;
        let (_, bulk, _) = extents.select_nth_unstable_by(at, f32::total_cmp);
        bulk.max(1e-6)
    }
}

/// One image seen by every layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    /// Index of the image in its dataset.
    pub index: usize,
    /// Its true class (`None` for a drawing).
    pub label: Option<u8>,
    /// The input and then every layer's output.
    pub layers: Vec<LayerActivation>,
    /// The ten class probabilities (the softmax of the output when the model has none).
    pub probabilities: Vec<f32>,
    /// The weights of the model's last dense layer, for the contributions to the prediction.
    pub last_dense: Option<DenseWeights>,
}

/// The weights of one dense layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DenseWeights {
    /// Index of the layer in the model: its input is activation `layer` of a [`Probe`], its
    /// output activation `layer + 1`.
    pub layer: usize,
    /// Input features.
    pub inputs: usize,
    /// Output features.
    pub outputs: usize,
    /// `[outputs, inputs]` weights, row-major.
    pub weights: Vec<f32>,
}

impl DenseWeights {
    /// The weights into output `o`.
    pub fn row(&self, o: usize) -> &[f32] {
        &self.weights[o * self.inputs..(o + 1) * self.inputs]
    }
}

impl Probe {
    /// The most probable class.
    pub fn predicted(&self) -> usize {
        argmax(&self.probabilities)
    }
}

/// One activation tensor of one sample.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerActivation {
    /// "input" or the layer's op name with its index, e.g. `1 relu`.
    pub name: String,
    /// One sample's shape: `[C, H, W]` or `[F]`.
    pub shape: Vec<usize>,
    /// The values, row-major.
    pub values: Vec<f32>,
}

/// The kernels of one convolution layer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConvFilters {
    /// Index of the layer in the model.
    pub layer: usize,
    /// Output channels (O).
    pub out_channels: usize,
    /// Input channels (C).
    pub in_channels: usize,
    /// Kernel side (K).
    pub kernel: usize,
    /// `[O, C, K, K]` weights, row-major.
    pub weights: Vec<f32>,
    /// One bias per output channel.
    pub bias: Vec<f32>,
}

impl ConvFilters {
    /// The `K x K` kernel from input channel `c` to output channel `o`, row-major.
    pub fn kernel_of(&self, o: usize, c: usize) -> &[f32] {
        let kk = self.kernel * self.kernel;
        let start = (o * self.in_channels + c) * kk;
        &self.weights[start..start + kk]
    }

    /// The largest absolute weight (at least a tiny positive number).
    pub fn max_abs(&self) -> f32 {
        self.weights.iter().fold(1e-6f32, |m, w| m.max(w.abs()))
    }
}

/// The kernels of every convolution of `model`, in layer order.
pub fn conv_filters(model: &Sequential) -> Vec<ConvFilters> {
    model
        .layers()
        .iter()
        .enumerate()
        .filter(|(_, l)| l.kind() == LayerKind::Conv2d)
        .filter_map(|(i, l)| {
            let w = &l.params().first()?.value;
            let &[o, c, k, k2] = w.shape() else {
                return None;
            };
            (k == k2).then(|| ConvFilters {
                layer: i,
                out_channels: o,
                in_channels: c,
                kernel: k,
                weights: w.data().to_vec(),
                bias: l
                    .params()
                    .get(1)
                    .map(|b| b.value.data().to_vec())
                    .unwrap_or_else(|| vec![0.0; o]),
            })
        })
        .collect()
}

/// Index of the activation the embedding projects: the input of the last dense layer (for
/// the default CNN the 128 ReLU outputs before the classifier), or the input of the last
/// layer when there is no dense layer.
pub fn penultimate(model: &Sequential) -> usize {
    let layers = model.layers();
    layers
        .iter()
        .rposition(|l| l.kind() == LayerKind::Dense)
        .unwrap_or(layers.len().saturating_sub(1))
}

fn argmax(values: &[f32]) -> usize {
    values
        .iter()
        .enumerate()
        .fold((0, f32::NEG_INFINITY), |(bi, bv), (i, &v)| {
            if v > bv { (i, v) } else { (bi, bv) }
        })
        .0
}

/// Copies every parameter value of `src` into `dst` (the same architecture).
pub fn copy_weights(dst: &mut Sequential, src: &Sequential) {
    let mut values = src.params().map(|(_, p)| &p.value);
    for layer in dst.layers_mut() {
        for p in layer.params_mut() {
            if let Some(v) = values.next() {
                p.value.copy_from(v);
            }
        }
    }
}

/// Runs every image of `val` through `model` (see the module documentation).
pub fn validation_pass(
    model: &mut Sequential,
    val: &Dataset,
    classes: usize,
) -> Result<ValidationPass> {
    let layer = penultimate(model);
    let dim: usize = model.shapes()[layer].iter().product();
    let embedded = val.len().min(EMBEDDING_POINTS);
    let mut confusion = ConfusionMatrix::new(classes);
    let mut cells = vec![Vec::new(); classes * classes];
    let mut predictions = Vec::with_capacity(val.len());
    let mut activations = Vec::with_capacity(embedded * dim);
    let (mut x, mut y) = (Tensor::default(), Tensor::default());
    let mut preds = Vec::new();
    let all: Vec<usize> = (0..val.len()).collect();
    for chunk in all.chunks(EVAL_BATCH) {
        val.batch(chunk, classes, &mut x, &mut y);
        model.forward(&x)?;
        let acts = model.activations();
        argmax_into(&acts[acts.len() - 1], &mut preds)?;
        for (row, (&i, &p)) in chunk.iter().zip(&preds).enumerate() {
            let truth = usize::from(val.labels[i]);
            confusion
                .add(truth, p)
                .map_err(|_| NnError::shape("validation pass", format!("class {truth}/{p}")))?;
            cells[truth * classes + p].push(i);
            predictions.push(p as u8);
            if i < embedded {
                activations.extend_from_slice(&acts[layer].sample(row)[..dim]);
            }
        }
    }
    let pca = pca3(&activations, dim);
    let points = activations
        .chunks_exact(dim.max(1))
        .map(|a| pca.project(a))
        .collect();
    Ok(ValidationPass {
        embedding: Embedding {
            layer,
            dim,
            pca,
            points,
            labels: val.labels[..embedded].to_vec(),
            predicted: predictions[..embedded].to_vec(),
            activations,
        },
        confusion,
        predictions,
        cells,
    })
}

/// Runs image `index` of `data` through `model` and keeps every activation.
pub fn probe(model: &mut Sequential, data: &Dataset, index: usize) -> Result<Probe> {
    let index = index.min(data.len().saturating_sub(1));
    let image = if data.is_empty() {
        &[][..]
    } else {
        data.image(index)
    };
    let mut probe = probe_pixels(model, image)?;
    probe.index = index;
    probe.label = data.labels.get(index).copied();
    Ok(probe)
}

/// Runs one `(1, side, side)` image given by its pixels through `model` (a drawing: no
/// label, index 0).
pub fn probe_pixels(model: &mut Sequential, pixels: &[f32]) -> Result<Probe> {
    let mut shape = vec![1];
    shape.extend_from_slice(model.input_shape());
    let x = Tensor::from_vec(&shape, pixels.to_vec())?;
    model.forward(&x)?;
    let names = std::iter::once("input".to_string()).chain(
        model
            .layers()
            .iter()
            .enumerate()
            .map(|(i, l)| format!("{i} {}", l.kind().name())),
    );
    let layers: Vec<LayerActivation> = names
        .zip(model.shapes())
        .zip(model.activations())
        .map(|((name, shape), t)| LayerActivation {
            name,
            shape: shape.clone(),
            values: t.sample(0).to_vec(),
        })
        .collect();
    let ends_in_softmax = model
        .layers()
        .last()
        .is_some_and(|l| l.kind() == LayerKind::Softmax);
    let out = layers.last().map(|l| l.values.clone()).unwrap_or_default();
    let probabilities = if ends_in_softmax { out } else { softmax(&out) };
    let last_dense = model
        .layers()
        .iter()
        .enumerate()
        .rfind(|(_, l)| l.kind() == LayerKind::Dense)
        .and_then(|(layer, l)| {
            let w = &l.params().first()?.value;
            let &[outputs, inputs] = w.shape() else {
                return None;
            };
            Some(DenseWeights {
                layer,
                inputs,
                outputs,
                weights: w.data().to_vec(),
            })
        });
    Ok(Probe {
        index: 0,
        label: None,
        layers,
        probabilities,
        last_dense,
    })
}

fn softmax(z: &[f32]) -> Vec<f32> {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = z.iter().map(|v| (v - max).exp()).collect();
    let sum: f32 = e.iter().sum();
    e.iter().map(|v| v / sum).collect()
}

/// The weight tensor of every layer that has one, with the layer's index and name
/// (`7 dense`), in order. Biases are left out: their norms start at zero.
pub fn layer_weights(model: &Sequential) -> Vec<(usize, String, &Tensor)> {
    model
        .layers()
        .iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let w = l.params().iter().find(|p| p.name == "weight")?;
            Some((i, format!("{i} {}", l.kind().name()), &w.value))
        })
        .collect()
}

/// The index (as [`Sequential::apply_gradients`] hands it to the optimizer) of every weight
/// tensor of [`layer_weights`], in the same order.
pub fn weight_param_indices(model: &Sequential) -> Vec<usize> {
    let mut next = 0;
    let mut indices = Vec::new();
    for layer in model.layers() {
        let params = layer.params();
        if let Some(k) = params.iter().position(|p| p.name == "weight") {
            indices.push(next + k);
        }
        next += params.len();
    }
    indices
}
