//! End-to-end training checks of the core: the original XOR network solves XOR, the generic
//! `Sequential` path computes what the hand-written `XorNet` computes, a small CNN learns a
//! synthetic task, and a seed reproduces weights bit for bit.

// The helpers of these tests unwrap: a failure there is the test's failure.
#![allow(clippy::unwrap_used)]

use netviz::nn::config::ModelConfig;
use netviz::nn::init::rng_from_seed;
use netviz::nn::layers::{Dense, Sigmoid};
use netviz::nn::metrics::argmax;
use netviz::nn::optim::{Sgd, SgdConfig};
use netviz::nn::xor::{Activation, XOR_INPUTS, XOR_TARGETS, XorNet};
use netviz::nn::{Layer, Loss, Sequential, Tensor};
use rand::Rng;

fn xor_batch() -> (Tensor, Tensor) {
    let x = Tensor::from_vec(&[4, 2], XOR_INPUTS.iter().flatten().copied().collect()).unwrap();
    let y = Tensor::from_vec(&[4, 1], XOR_TARGETS.to_vec()).unwrap();
    (x, y)
}

/// The original network as a config: 2-3-1, sigmoid, N(0,1) weights, MSE, plain GD, lr 0.1.
const XOR_CONFIG: &str = r#"{
    "epochs": 50000, "patience": 0, "batch_size": 4, "validation_subset_ratio": 1.0,
    "percent_of_train_data_to_use": 1.0, "percent_train_data_to_use_for_validation": 0.0,
    "num_classes": 1, "input_features": 2, "model_output_filename": "xor",
    "optimizer": "sgd", "learning_rate": 0.1, "seed": 3, "init": "standard_normal",
    "layers": [{"type": "dense", "out_features": 3}, {"type": "sigmoid"},
               {"type": "dense", "out_features": 1}, {"type": "sigmoid"}]
}"#;

#[test]
fn sequential_solves_xor_with_the_original_settings() {
    let config = ModelConfig::from_json_str(XOR_CONFIG).expect("xor config");
    let mut model = config.build().expect("build");
    let mut opt = config.optimizer.build(config.learning_rate);
    let (x, y) = xor_batch();
    let first = model.train_step(&x, &y, Loss::Mse, opt.as_mut()).unwrap();
    let mut last = first;
    for _ in 0..40_000 {
        last = model.train_step(&x, &y, Loss::Mse, opt.as_mut()).unwrap();
    }
    let out = model.forward(&x).unwrap().data().to_vec();
    for (o, t) in out.iter().zip(XOR_TARGETS) {
        assert_eq!(
            *o > 0.5,
            t > 0.5,
            "outputs {out:?} (loss {first} -> {last})"
        );
    }
    assert!(last < 0.02, "loss {first} -> {last}");
}

#[test]
fn sequential_and_xornet_compute_the_same_training() {
    for activation in [Activation::Sigmoid] {
        let mut net = XorNet::new(3, activation, 11).unwrap();
        let mut d1 = Dense::new(2, 3).unwrap();
        let mut d2 = Dense::new(3, 1).unwrap();
        d1.params_mut()[0].value.data_mut().copy_from_slice(&net.w1);
        d2.params_mut()[0].value.data_mut().copy_from_slice(&net.w2);
        let layers: Vec<Box<dyn Layer>> = vec![
            Box::new(d1),
            Box::new(Sigmoid::new()),
            Box::new(d2),
            Box::new(Sigmoid::new()),
        ];
        let mut model = Sequential::new(&[2], layers).unwrap();
        let mut opt = Sgd::new(SgdConfig {
            learning_rate: 0.1,
            ..SgdConfig::default()
        });
        let (x, y) = xor_batch();
        for step in 0..2000 {
            let a = net.train_epoch(&XOR_INPUTS, &XOR_TARGETS, 0.1);
            let b = model.train_step(&x, &y, Loss::Mse, &mut opt).unwrap();
            assert!(
                (a - b).abs() <= 1e-5 * a.abs().max(1e-3),
                "step {step}: loss {a} vs {b}"
            );
        }
        let layers = model.layers();
        let close = |got: &[f32], want: &[f32]| {
            got.iter()
                .zip(want)
                .all(|(g, w)| (g - w).abs() < 1e-4 * w.abs().max(1.0))
        };
        assert!(close(layers[0].params()[0].value.data(), &net.w1));
        assert!(close(layers[0].params()[1].value.data(), &net.b1));
        assert!(close(layers[2].params()[0].value.data(), &net.w2));
        assert!(close(layers[2].params()[1].value.data(), &[net.b2]));
    }
}

/// 8x8 images with one bar: class 0 horizontal, 1 vertical, 2 diagonal, 3 anti-diagonal, at a
/// random position (diagonals random in offset), plus noise.
fn bars(count: usize, seed: u64) -> (Tensor, Tensor, Vec<usize>) {
    let mut rng = rng_from_seed(seed);
    let (mut pixels, mut onehot, mut labels) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..count {
        let class = rng.random_range(0..4usize);
        let pos = rng.random_range(1..7usize);
        let mut img = [0.0f32; 64];
        for v in img.iter_mut() {
            *v = rng.random_range(0.0..0.3);
        }
        for i in 0..8usize {
            let (r, c) = match class {
                0 => (pos, i),
                1 => (i, pos),
                2 => (i, (i + pos) % 8),
                _ => (i, (15 - i - pos) % 8),
            };
            img[r * 8 + c] = 1.0;
        }
        pixels.extend_from_slice(&img);
        let mut t = [0.0f32; 4];
        t[class] = 1.0;
        onehot.extend_from_slice(&t);
        labels.push(class);
    }
    (
        Tensor::from_vec(&[count, 1, 8, 8], pixels).unwrap(),
        Tensor::from_vec(&[count, 4], onehot).unwrap(),
        labels,
    )
}

const BARS_CONFIG: &str = r#"{
    "epochs": 1, "patience": 1, "batch_size": 32, "validation_subset_ratio": 1.0,
    "percent_of_train_data_to_use": 1.0, "percent_train_data_to_use_for_validation": 0.2,
    "num_classes": 4, "input_size": 8, "in_channels": 1, "model_output_filename": "bars",
    "optimizer": "adam", "learning_rate": 0.01, "seed": 5,
    "layers": [{"type": "conv", "out_channels": 4, "filter_size": 3, "stride": 1, "padding": 1},
               {"type": "relu"}, {"type": "maxpool", "filter_size": 2, "stride": 2},
               {"type": "flatten"}, {"type": "dense", "out_features": 4}, {"type": "softmax"}]
}"#;

#[test]
fn a_small_cnn_learns_a_synthetic_task() {
    let config = ModelConfig::from_json_str(BARS_CONFIG).unwrap();
    let mut model = config.build().unwrap();
    let mut opt = config.optimizer.build(config.learning_rate);
    let (test_x, _, test_labels) = bars(400, 999);
    let accuracy = |model: &mut Sequential| {
        let pred = argmax(model.forward(&test_x).unwrap()).unwrap();
        pred.iter()
            .zip(&test_labels)
            .filter(|(p, t)| p == t)
            .count() as f64
            / 400.0
    };
    let before = accuracy(&mut model);
    for step in 0..300 {
        let (x, y, _) = bars(32, step);
        model
            .train_step(&x, &y, Loss::CrossEntropy, opt.as_mut())
            .unwrap();
    }
    let after = accuracy(&mut model);
    assert!(after > 0.95, "held-out accuracy {before} -> {after}");
}

fn train_s_for(steps: u64, seed: u64, threads: usize) -> Vec<Vec<f32>> {
    let mut config =
        ModelConfig::from_json_str(include_str!("../assets/configs/default_cnn.json")).unwrap();
    config.seed = seed;
    let mut model = config.build().unwrap();
    let mut opt = config.optimizer.build(config.learning_rate);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| {
        for step in 0..steps {
            let mut rng = rng_from_seed(step);
            let x: Vec<f32> = (0..32 * 196).map(|_| rng.random()).collect();
            let mut y = vec![0.0; 32 * 10];
            for row in y.chunks_mut(10) {
                row[rng.random_range(0..10)] = 1.0;
            }
            let x = Tensor::from_vec(&[32, 1, 14, 14], x).unwrap();
            let y = Tensor::from_vec(&[32, 10], y).unwrap();
            model
                .train_step(&x, &y, Loss::CrossEntropy, opt.as_mut())
                .unwrap();
        }
    });
    model
        .params()
        .map(|(_, p)| p.value.data().to_vec())
        .collect()
}

#[test]
fn one_seed_and_thread_count_give_bitwise_identical_weights() {
    let a = train_s_for(15, 42, 2);
    let b = train_s_for(15, 42, 2);
    assert_eq!(a, b, "same seed, same threads");
    let c = train_s_for(15, 43, 2);
    assert_ne!(a, c, "another seed gives other weights");
    let single = train_s_for(15, 42, 1);
    assert_eq!(single, train_s_for(15, 42, 1), "same seed, one thread");
}
