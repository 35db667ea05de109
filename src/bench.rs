//! Throughput benchmarks behind `netviz bench`: training speed of the CNN workloads and of the
//! XOR network, measured on synthetic data of the right shapes.
//!
//! Workloads (forward + backward + optimizer step, batch 32 unless told otherwise):
//! - S: `assets/configs/default_cnn.json` (1x14x14, conv8-pool-conv16-pool-dense128-dense10,
//!   Adam lr 0.01), about 0.23 MFLOP per training image.
//! - L: `assets/configs/keras_cnn.json` (1x28x28, conv32-pool-conv64-pool-dense128-dense10,
//!   Adam lr 1e-3), about 15.8 MFLOP per training image.

use std::time::{Duration, Instant};

use rand::Rng;

use crate::nn::config::ModelConfig;
use crate::nn::init::rng_from_seed;
use crate::nn::xor::{Activation, XOR_INPUTS, XOR_TARGETS, XorNet};
use crate::nn::{Loss, NnError, Result, Sequential, Tensor};

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
    /// Per layer: (name, shape out, forward seconds per step, backward seconds per step),
    /// when profiled.
    pub profile: Vec<(String, String, f64, f64)>,
}

/// Multiply-adds of one sample's forward pass through `model` (conv and dense layers).
pub fn forward_macs(model: &Sequential) -> u64 {
    model
        .layers()
        .iter()
        .zip(model.shapes().windows(2))
        .map(|(layer, io)| {
            let weights: usize = layer.params().first().map(|p| p.value.len()).unwrap_or(0);
            let out: usize = io[1].iter().product();
            match layer.kind() {
                // Every output value of a conv costs (in * k * k) multiply-adds: weights / out_c.
                crate::nn::LayerKind::Conv2d => {
                    let out_channels = io[1].first().copied().unwrap_or(1).max(1);
                    (weights / out_channels * out) as u64
                }
                crate::nn::LayerKind::Dense => weights as u64,
                _ => 0,
            }
        })
        .sum()
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
        let profile = model
            .layer_times()
            .map(|times| {
                times
                    .iter()
                    .zip(model.layers())
                    .zip(model.shapes().iter().skip(1))
                    .map(|((t, l), shape)| {
                        (
                            l.kind().name().to_string(),
                            crate::nn::error::fmt_shape(shape),
                            t.forward_secs / steps as f64,
                            t.backward_secs / steps as f64,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(CnnReport {
            steps,
            images_per_sec: (steps * opts.batch) as f64 / secs,
            forward_macs: forward_macs(&model),
            profile,
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
