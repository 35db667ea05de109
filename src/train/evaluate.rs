//! Evaluating a classifier over a dataset: forward passes in batches of [`EVAL_BATCH`], the
//! mean cross-entropy loss, the confusion matrix and the metrics read from it.
//!
//! The loss is the softmax cross-entropy of the model's logits: the input of a final softmax
//! layer when the model ends in one, else the output itself (as PyTorch's
//! `CrossEntropyLoss`), the same loss [`crate::nn::Sequential::loss_and_grads`] trains with.

use serde::{Deserialize, Serialize};

use crate::data::preprocess::Dataset;
use crate::nn::metrics::{ConfusionMatrix, Metrics, argmax_into};
use crate::nn::{LayerKind, NnError, Result, Sequential, Tensor, loss};

/// Images per forward pass when evaluating.
pub const EVAL_BATCH: usize = 500;

/// How a model did on a set of samples.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Mean cross-entropy loss (NaN or infinite if the model produced non-finite outputs).
    pub loss: f64,
    /// Accuracy and per-class/macro precision, recall and F1.
    pub metrics: Metrics,
    /// Rows: true class, columns: predicted class.
    pub confusion: ConfusionMatrix,
}

/// Evaluates `model` on the samples of `data` at `indices` (all when `None`) in batches of
/// `batch_size` (at least 1), for `num_classes` classes. Leaves the model's weights alone; its
/// activation buffers then hold the last evaluation batch.
pub fn evaluate(
    model: &mut Sequential,
    data: &Dataset,
    indices: Option<&[usize]>,
    num_classes: usize,
    batch_size: usize,
) -> Result<Evaluation> {
    let all: Vec<usize>;
    let indices = match indices {
        Some(ix) => ix,
        None => {
            all = (0..data.len()).collect();
            &all
        }
    };
    let mut confusion = ConfusionMatrix::new(num_classes);
    let (mut x, mut y) = (Tensor::default(), Tensor::default());
    let (mut probs, mut grad) = (Tensor::default(), Tensor::default());
    let mut preds = Vec::new();
    let mut loss_sum = 0.0f64;
    for chunk in indices.chunks(batch_size.max(1)) {
        data.batch(chunk, num_classes, &mut x, &mut y);
        model.forward(&x)?;
        let acts = model.activations();
        let n = model.layers().len();
        let ends_in_softmax = model
            .layers()
            .last()
            .is_some_and(|l| l.kind() == LayerKind::Softmax);
        let logits = if ends_in_softmax && n >= 1 {
            &acts[n - 1]
        } else {
            &acts[n]
        };
        let batch_loss = loss::softmax_cross_entropy(logits, &y, &mut probs, &mut grad)?;
        loss_sum += f64::from(batch_loss) * chunk.len() as f64;
        argmax_into(&acts[n], &mut preds)?;
        for (&i, &p) in chunk.iter().zip(&preds) {
            confusion.add(usize::from(data.labels[i]), p).map_err(|_| {
                NnError::shape(
                    "evaluate",
                    format!(
                        "label {} or prediction {p} out of range for {num_classes} classes",
                        data.labels[i]
                    ),
                )
            })?;
        }
    }
    let loss = if indices.is_empty() {
        0.0
    } else {
        loss_sum / indices.len() as f64
    };
    Ok(Evaluation {
        loss,
        metrics: confusion.metrics(),
        confusion,
    })
}
