//! Throughput benchmarks behind `netviz bench`: training speed of the CNN workloads and of the
//! XOR network, measured on synthetic data of the right shapes.
//!
//! Workloads (forward + backward + optimizer step, batch 32 unless told otherwise):
//! - S: `assets/configs/default_cnn.json` (1x14x14, conv8-pool-conv16-pool-dense128-dense10,
//!   Adam lr 0.01), about 0.23 MFLOP per training image.
//! - L: `assets/configs/keras_cnn.json` (1x28x28, conv32-pool-conv64-pool-dense128-dense10,
//!   Adam lr 1e-3), about 15.8 MFLOP per training image.
//!
//! With `profile`, every layer's forward and backward are timed inside the training steps
//! and reported per step, with the GFLOP/s of the conv and dense layers: forward 2 x its
//! multiply-adds, backward 2 x as many for the weight gradient and as many again for the
//! input gradient (which the first layer does not compute).

use std::time::{Duration, Instant};

use rand::Rng;

use crate::nn::config::ModelConfig;
use crate::nn::error::fmt_shape;
use crate::nn::init::rng_from_seed;
use crate::nn::xor::{Activation, XOR_INPUTS, XOR_TARGETS, XorNet};
use crate::nn::{Layer, LayerKind, Loss, NnError, Result, Sequential, Tensor};

/// The config of workload S.
pub const WORKLOAD_S: &str = include_str!("../assets/configs/default_cnn.json");
/// The config of workload L.
pub const WORKLOAD_L: &str = include_str!("../assets/configs/keras_cnn.json");

/// Which CNN workload to train.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// Small: the original program's default CNN on 14x14 inputs.
    S,
    /// Large: the Keras MNIST example CNN on 28x28 inputs.
    L,
}

impl Workload {
    /// "S" or "L".
    pub fn name(self) -> &'static str {
        match self {
            Workload::S => "S",
            Workload::L => "L",
        }
    }

    /// The model config of this workload.
    pub fn config(self) -> Result<ModelConfig> {
        ModelConfig::from_json_str(match self {
            Workload::S => WORKLOAD_S,
            Workload::L => WORKLOAD_L,
        })
    }
}

/// Settings of a CNN benchmark run.
#[derive(Clone, Debug)]
pub struct CnnBench {
    /// The workload.
    pub workload: Workload,
    /// Images per training step.
    pub batch: usize,
    /// Worker threads (the rayon pool the layers split batches over).
    pub threads: usize,
    /// Measured time, after a warm-up.
    pub seconds: f64,
    /// Also time every layer's forward and backward.
    pub profile: bool,
}

/// What a CNN benchmark measured.
#[derive(Clone, Debug)]
pub struct CnnReport {
    /// Training steps measured.
    pub steps: usize,
    /// Training images per second.
    pub images_per_sec: f64,
    /// Multiply-adds of one image's forward pass.
    pub forward_macs: u64,
    /// Every layer's times, when profiled (empty otherwise).
    pub profile: Vec<LayerProfile>,
}

/// Where one layer's time went, per training step.
#[derive(Clone, Debug)]
pub struct LayerProfile {
    /// The layer's op name ("conv2d", "relu", ...).
    pub name: String,
    /// One sample's output shape, as `(C,H,W)` or `(F)`.
    pub output: String,
    /// Seconds in `forward` per step.
    pub forward_secs: f64,
    /// Seconds in `backward` per step.
    pub backward_secs: f64,
    /// Multiply-adds of the forward pass per step (the whole batch; 0 for layers without
    /// weights).
    pub forward_macs: u64,
    /// Multiply-adds of the backward pass per step: the weight gradient's, plus the input
    /// gradient's unless this is the first layer.
    pub backward_macs: u64,
}

impl LayerProfile {
    /// Forward GFLOP/s (2 FLOPs per multiply-add); `None` for layers without multiply-adds.
    pub fn forward_gflops(&self) -> Option<f64> {
        gflops(self.forward_macs, self.forward_secs)
    }

    /// Backward GFLOP/s; `None` for layers without multiply-adds.
    pub fn backward_gflops(&self) -> Option<f64> {
        gflops(self.backward_macs, self.backward_secs)
    }
}

fn gflops(macs: u64, secs: f64) -> Option<f64> {
    (macs > 0 && secs > 0.0).then(|| 2.0 * macs as f64 / secs / 1e9)
}

/// Multiply-adds of one sample's forward pass through `layer`, whose input and output
/// shapes are `io[0]` and `io[1]` (conv and dense layers; 0 for the others).
fn layer_macs(layer: &dyn Layer, io: &[Vec<usize>]) -> u64 {
    let weights: usize = layer.params().first().map(|p| p.value.len()).unwrap_or(0);
    let out: usize = io[1].iter().product();
    match layer.kind() {
        // Every output value of a conv costs (in * k * k) multiply-adds: weights / out_c.
        LayerKind::Conv2d => {
            let out_channels = io[1].first().copied().unwrap_or(1).max(1);
            (weights / out_channels * out) as u64
        }
        LayerKind::Dense => weights as u64,
        _ => 0,
    }
}

/// Multiply-adds of one sample's forward pass through `model` (conv and dense layers).
pub fn forward_macs(model: &Sequential) -> u64 {
    model
        .layers()
        .iter()
        .zip(model.shapes().windows(2))
        .map(|(layer, io)| layer_macs(layer.as_ref(), io))
        .sum()
}

/// The per-step profile of `model` after `steps` steps of `batch` images with profiling on.
fn layer_profiles(model: &Sequential, steps: usize, batch: usize) -> Vec<LayerProfile> {
    let Some(times) = model.layer_times() else {
        return Vec::new();
    };
    let steps = steps.max(1) as f64;
    times
        .iter()
        .zip(model.layers())
        .zip(model.shapes().windows(2))
        .enumerate()
        .map(|(i, ((t, layer), io))| {
            let macs = layer_macs(layer.as_ref(), io) * batch as u64;
            // Sequential computes no input gradient for its first layer.
            let gradients = if i == 0 { 1 } else { 2 };
            LayerProfile {
                name: layer.kind().name().to_string(),
                output: fmt_shape(&io[1]),
                forward_secs: t.forward_secs / steps,
                backward_secs: t.backward_secs / steps,
                forward_macs: macs,
                backward_macs: gradients * macs,
            }
        })
        .collect()
}

/// Runs the CNN benchmark; `report_line` receives human-readable progress lines.
pub fn run_cnn(opts: &CnnBench, mut report_line: impl FnMut(&str)) -> Result<CnnReport> {
    let config = opts.workload.config()?;
    let mut model = config.build()?;
    let mut opt = config.optimizer.build(config.learning_rate);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads.max(1))
        .build()
        .map_err(|e| NnError::Config(format!("cannot start {} threads: {e}", opts.threads)))?;

    // A pool of synthetic batches: uniform pixels, random one-hot labels.
    let mut rng = rng_from_seed(7);
    let mut in_shape = vec![opts.batch];
    in_shape.extend_from_slice(model.input_shape());
    let classes: usize = model.output_shape().iter().product();
    let batches: Vec<(Tensor, Tensor)> = (0..16)
        .map(|_| {
            let n: usize = in_shape.iter().product();
            let x = (0..n).map(|_| rng.random::<f32>()).collect();
            let mut y = vec![0.0; opts.batch * classes];
            for row in y.chunks_mut(classes) {
                row[rng.random_range(0..classes)] = 1.0;
            }
            Ok((
                Tensor::from_vec(&in_shape, x)?,
                Tensor::from_vec(&[opts.batch, classes], y)?,
            ))
        })
        .collect::<Result<_>>()?;

    report_line(&format!(
        "workload {}: {} parameters, {:.3} MFLOP per training image, batch {}, {} thread(s)",
        opts.workload.name(),
        model.num_params(),
        3.0 * 2.0 * forward_macs(&model) as f64 / 1e6,
        opts.batch,
        opts.threads
    ));

    pool.install(|| -> Result<CnnReport> {
        // Warm-up: size every buffer, fault in the pages, spin the threads up.
        let warm_until = Instant::now() + Duration::from_secs_f64((opts.seconds * 0.1).min(1.0));
        let mut i = 0;
        while Instant::now() < warm_until || i < 3 {
            let (x, y) = &batches[i % batches.len()];
            model.train_step(x, y, Loss::CrossEntropy, opt.as_mut())?;
            i += 1;
        }
        model.set_profiling(opts.profile);
        let start = Instant::now();
        let budget = Duration::from_secs_f64(opts.seconds);
        let mut steps = 0;
        while start.elapsed() < budget {
            let (x, y) = &batches[steps % batches.len()];
            model.train_step(x, y, Loss::CrossEntropy, opt.as_mut())?;
            steps += 1;
        }
        let secs = start.elapsed().as_secs_f64();
        Ok(CnnReport {
            steps,
            images_per_sec: (steps * opts.batch) as f64 / secs,
            forward_macs: forward_macs(&model),
            profile: layer_profiles(&model, steps, opts.batch),
        })
    })
}

/// What the XOR benchmark measured.
#[derive(Clone, Copy, Debug)]
pub struct XorReport {
    /// Epochs run in the measured time.
    pub epochs: u64,
    /// Full-batch epochs per second.
    pub epochs_per_sec: f64,
    /// Loss after the last epoch.
    pub final_loss: f32,
}

/// Trains the original 2-3-1 sigmoid network on the four XOR points for `seconds`.
pub fn run_xor(hidden: usize, seconds: f64) -> Result<XorReport> {
    let mut net = XorNet::new(hidden, Activation::Sigmoid, 0)?;
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut epochs = 0u64;
    let mut loss = 0.0;
    while start.elapsed() < budget {
        for _ in 0..10_000 {
            loss = net.train_epoch(&XOR_INPUTS, &XOR_TARGETS, 0.1);
        }
        epochs += 10_000;
    }
    let secs = start.elapsed().as_secs_f64();
    Ok(XorReport {
        epochs,
        epochs_per_sec: epochs as f64 / secs,
        final_loss: loss,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_counts_each_layers_multiply_adds() {
        // Workload S at batch 2: conv 1->8 3x3 on 14x14 (first layer: no input gradient),
        // conv 8->16 3x3 on 6x6, dense 64->128, dense 128->10.
        let config = Workload::S.config().unwrap();
        let mut model = config.build().unwrap();
        let mut opt = config.optimizer.build(config.learning_rate);
        let x = Tensor::zeros(&[2, 1, 14, 14]);
        let mut y = Tensor::zeros(&[2, 10]);
        y.data_mut()[0] = 1.0;
        y.data_mut()[10] = 1.0;
        model.set_profiling(true);
        model
            .train_step(&x, &y, Loss::CrossEntropy, opt.as_mut())
            .unwrap();
        let profile = layer_profiles(&model, 1, 2);
        assert_eq!(profile.len(), 11);
        let macs: Vec<(u64, u64)> = profile
            .iter()
            .map(|l| (l.forward_macs, l.backward_macs))
            .collect();
        let conv1 = 2 * 8 * 9 * 12 * 12;
        let conv2 = 2 * 16 * 8 * 9 * 4 * 4;
        assert_eq!(macs[0], (conv1, conv1));
        assert_eq!(macs[1], (0, 0));
        assert_eq!(macs[3], (conv2, 2 * conv2));
        assert_eq!(macs[7], (2 * 64 * 128, 2 * 2 * 64 * 128));
        assert_eq!(macs[9], (2 * 128 * 10, 2 * 2 * 128 * 10));
        let per_image: u64 = macs.iter().map(|m| m.0).sum::<u64>() / 2;
        assert_eq!(per_image, forward_macs(&model));
        assert_eq!(profile[3].output, "(16,4,4)");
        assert!(profile[1].forward_gflops().is_none());
    }
}
