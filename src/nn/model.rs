//! `Sequential`: a stack of layers with the buffers that carry a batch forward and its
//! gradient backward.
//!
//! `acts[0]` is the input batch and `acts[i + 1]` the output of layer `i`; `grads[i]` is
//! dL/d`acts[i]`. Buffers are sized by the first step and reused afterwards, so a training
//! step allocates nothing. The activations of the latest forward stay readable
//! ([`Sequential::activations`]) for the visualisations.

use std::time::Instant;

use crate::nn::error::{NnError, Result, fmt_shape};
use crate::nn::layers::{Layer, LayerKind, Param};
use crate::nn::loss::{self, Loss};
use crate::nn::optim::Optimizer;
use crate::nn::tensor::Tensor;

/// A feed-forward stack of layers.
#[derive(Clone, Debug)]
pub struct Sequential {
    input_shape: Vec<usize>,
    layers: Vec<Box<dyn Layer>>,
    /// `shapes[i]`: one sample's shape entering layer `i`; the last entry is the output shape.
    shapes: Vec<Vec<usize>>,
    acts: Vec<Tensor>,
    grads: Vec<Tensor>,
    probs: Tensor,
    /// Per-layer time spent in forward and backward, when profiling is on.
    profile: Option<Vec<LayerTime>>,
}

/// Time one layer spent since profiling was switched on.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LayerTime {
    /// Seconds in `forward`.
    pub forward_secs: f64,
    /// Seconds in `backward`.
    pub backward_secs: f64,
}

impl Sequential {
    /// Builds a model for samples of shape `input_shape` (no batch dimension), checking that
    /// every layer accepts what the previous one produces.
    pub fn new(input_shape: &[usize], layers: Vec<Box<dyn Layer>>) -> Result<Self> {
        let mut shapes = vec![input_shape.to_vec()];
        for (i, layer) in layers.iter().enumerate() {
            let prev = &shapes[i];
            let next = layer.output_shape(prev).map_err(|e| {
                NnError::Config(format!(
                    "layer {i} ({}) cannot take input {}: {e}",
                    layer.kind().name(),
                    fmt_shape(prev)
                ))
            })?;
            shapes.push(next);
        }
        let n = layers.len();
        Ok(Sequential {
            input_shape: input_shape.to_vec(),
            layers,
            shapes,
            acts: vec![Tensor::default(); n + 1],
            grads: vec![Tensor::default(); n + 1],
            probs: Tensor::default(),
            profile: None,
        })
    }

    /// One sample's input shape.
    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }

    /// One sample's output shape.
    pub fn output_shape(&self) -> &[usize] {
        self.shapes.last().map(Vec::as_slice).unwrap_or(&[])
    }

    /// One sample's shape entering each layer, then the output shape (`layers().len() + 1`).
    pub fn shapes(&self) -> &[Vec<usize>] {
        &self.shapes
    }

    /// The layers.
    pub fn layers(&self) -> &[Box<dyn Layer>] {
        &self.layers
    }

    /// The layers, mutable (to set weights).
    pub fn layers_mut(&mut self) -> &mut [Box<dyn Layer>] {
        &mut self.layers
    }

    /// The input and every layer's output from the latest forward pass.
    pub fn activations(&self) -> &[Tensor] {
        &self.acts
    }

    /// dL/d(input of layer i) for every layer from the latest backward pass (entry 0 is only
    /// filled by [`Sequential::backward_all`]).
    pub fn activation_grads(&self) -> &[Tensor] {
        &self.grads
    }

    /// Switches per-layer timing on (resetting it) or off.
    pub fn set_profiling(&mut self, on: bool) {
        self.profile = on.then(|| vec![LayerTime::default(); self.layers.len()]);
    }

    /// Per-layer times since profiling was switched on, if it is.
    pub fn layer_times(&self) -> Option<&[LayerTime]> {
        self.profile.as_deref()
    }

    /// Total number of trainable values.
    pub fn num_params(&self) -> usize {
        self.params().map(|(_, p)| p.value.len()).sum()
    }

    /// Every parameter with the index of its layer, in order.
    pub fn params(&self) -> impl Iterator<Item = (usize, &Param)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, l)| l.params().iter().map(move |p| (i, p)))
    }

    /// Runs a batch `x` of shape `(N, input_shape...)` through the model; returns the output.
    pub fn forward(&mut self, x: &Tensor) -> Result<&Tensor> {
        if x.shape().get(1..) != Some(self.input_shape.as_slice()) {
            return Err(NnError::shape(
                "sequential",
                format!(
                    "input {} does not match the model's input (N,{})",
                    x.shape_str(),
                    self.input_shape
                        .iter()
                        .map(|d| d.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            ));
        }
        self.acts[0].copy_from(x);
        for (i, layer) in self.layers.iter_mut().enumerate() {
            let (done, rest) = self.acts.split_at_mut(i + 1);
            let start = self.profile.as_ref().map(|_| Instant::now());
            layer.forward(&done[i], &mut rest[0])?;
            if let (Some(times), Some(start)) = (self.profile.as_mut(), start) {
                times[i].forward_secs += start.elapsed().as_secs_f64();
            }
        }
        Ok(&self.acts[self.layers.len()])
    }

    /// Sets every parameter gradient to zero.
    pub fn zero_grad(&mut self) {
        for layer in &mut self.layers {
            layer.zero_grad();
        }
    }

    /// Backpropagates `dy = dL/d(output)` of the latest forward through layers
    /// `top, top-1, ..., 0`, accumulating parameter gradients. `grads[top + 1]` must hold dL/d
    /// output of layer `top`. Input gradients stop at layer 1 unless `need_input_grad`.
    fn backward_from(&mut self, top: usize, need_input_grad: bool) -> Result<()> {
        for i in (0..=top).rev() {
            let (lo, hi) = self.grads.split_at_mut(i + 1);
            let need_dx = i > 0 || need_input_grad;
            let start = self.profile.as_ref().map(|_| Instant::now());
            self.layers[i].backward(
                &self.acts[i],
                &self.acts[i + 1],
                &hi[0],
                &mut lo[i],
                need_dx,
            )?;
            if let (Some(times), Some(start)) = (self.profile.as_mut(), start) {
                times[i].backward_secs += start.elapsed().as_secs_f64();
            }
        }
        Ok(())
    }

    /// Backpropagates `dy` (dL/d output of the latest forward) through the whole model,
    /// including dL/d input (kept in `activation_grads()[0]`). Parameter gradients accumulate.
    pub fn backward_all(&mut self, dy: &Tensor) -> Result<()> {
        let n = self.layers.len();
        if dy.shape() != self.acts[n].shape() {
            return Err(NnError::shape(
                "sequential backward",
                format!(
                    "dy {} vs output {}",
                    dy.shape_str(),
                    self.acts[n].shape_str()
                ),
            ));
        }
        self.grads[n].copy_from(dy);
        if n == 0 {
            return Ok(());
        }
        self.backward_from(n - 1, true)
    }

    /// Forward, loss and backward for one batch; parameter gradients are zeroed first and hold
    /// this batch's gradient afterwards. Returns the mean loss.
    ///
    /// With [`Loss::CrossEntropy`], a final softmax layer is trained through the fused
    /// `probs - onehot` gradient (its own backward is skipped); without a final softmax the
    /// output is taken as logits, as PyTorch's `CrossEntropyLoss` does.
    pub fn loss_and_grads(&mut self, x: &Tensor, target: &Tensor, loss: Loss) -> Result<f32> {
        self.forward(x)?;
        let n = self.layers.len();
        if n == 0 {
            return Err(NnError::Config("model has no layers".into()));
        }
        let ends_in_softmax = self.layers[n - 1].kind() == LayerKind::Softmax;
        let (value, top) = match loss {
            Loss::Mse => (loss::mse(&self.acts[n], target, &mut self.grads[n])?, n - 1),
            Loss::CrossEntropy if ends_in_softmax => {
                let v = loss::softmax_cross_entropy(
                    &self.acts[n - 1],
                    target,
                    &mut self.probs,
                    &mut self.grads[n - 1],
                )?;
                if n == 1 {
                    return Ok(v);
                }
                (v, n - 2)
            }
            Loss::CrossEntropy => (
                loss::softmax_cross_entropy(
                    &self.acts[n],
                    target,
                    &mut self.probs,
                    &mut self.grads[n],
                )?,
                n - 1,
            ),
        };
        if !value.is_finite() {
            return Err(NnError::NonFinite {
                op: "sequential",
                what: "loss",
            });
        }
        self.zero_grad();
        self.backward_from(top, false)?;
        Ok(value)
    }

    /// Applies one optimizer step from the accumulated gradients.
    pub fn apply_gradients(&mut self, opt: &mut dyn Optimizer) {
        opt.begin_step();
        let mut index = 0;
        for layer in &mut self.layers {
            for p in layer.params_mut() {
                opt.update(index, p);
                index += 1;
            }
        }
    }

    /// One training step: forward, loss, backward, optimizer update. Returns the mean loss.
    pub fn train_step(
        &mut self,
        x: &Tensor,
        target: &Tensor,
        loss: Loss,
        opt: &mut dyn Optimizer,
    ) -> Result<f32> {
        let value = self.loss_and_grads(x, target, loss)?;
        self.apply_gradients(opt);
        Ok(value)
    }
}
