//! Property tests of the training core: for random valid configs the shapes the config
//! reports (`layer_shapes`, `param_shapes`) are the shapes the built model really has and
//! produces on a batch; model files, config JSON, IDX files and XOR network files give back
//! exactly what was written.
//!
//! Configs are generated as a list of raw layer choices that [`plan`] turns into a valid
//! network for the input (clamping each kernel to what the current size allows), so every
//! generated config is valid and shrinking keeps it valid.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use netviz::data::idx::{IdxImages, encode_images, encode_labels, parse_images, parse_labels};
use netviz::labs::xor::file::{load_xor, save_xor};
use netviz::nn::config::ModelConfig;
use netviz::nn::init::rng_from_seed;
use netviz::nn::io::{load_model, load_model_bytes, read_model_file, save_model};
use netviz::nn::xor::{Activation, XorNet};
use netviz::nn::{Sequential, Tensor};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use rand::RngCore;
use serde_json::{Value, json};

/// One raw layer choice; [`plan`] makes it fit the shape it meets.
#[derive(Clone, Debug)]
enum Op {
    Conv {
        out_channels: usize,
        filter_size: usize,
        stride: usize,
        padding: usize,
        /// Leave `stride`/`padding` out of the JSON when they equal their defaults.
        omit_defaults: bool,
    },
    MaxPool {
        filter_size: usize,
        stride: usize,
        omit_default: bool,
    },
    Dense {
        out_features: usize,
    },
    /// 0 relu, 1 sigmoid, 2 tanh.
    Activation(u8),
    Flatten,
    Softmax,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1usize..=4, 1usize..=5, 1usize..=3, 0usize..=2, any::<bool>()).prop_map(
            |(out_channels, filter_size, stride, padding, omit_defaults)| Op::Conv {
                out_channels,
                filter_size,
                stride,
                padding,
                omit_defaults,
            }
        ),
        2 => (1usize..=3, 1usize..=3, any::<bool>()).prop_map(|(filter_size, stride, omit_default)| {
            Op::MaxPool { filter_size, stride, omit_default }
        }),
        2 => (1usize..=12).prop_map(|out_features| Op::Dense { out_features }),
        2 => (0u8..3).prop_map(Op::Activation),
        1 => Just(Op::Flatten),
        1 => Just(Op::Softmax),
    ]
}

/// The input of a generated config.
#[derive(Clone, Copy, Debug)]
enum Input {
    Image { channels: usize, size: usize },
    Features(usize),
}

fn input() -> impl Strategy<Value = Input> {
    prop_oneof![
        3 => (1usize..=2, 4usize..=12).prop_map(|(channels, size)| Input::Image { channels, size }),
        1 => (1usize..=10).prop_map(Input::Features),
    ]
}

/// A generated config: its JSON, and what the shapes must be, worked out here from the
/// textbook formulas (floor mode, no dilation) independently of the library.
#[derive(Clone, Debug)]
struct Planned {
    json: Value,
    /// One sample's shape entering each layer, then the output shape.
    shapes: Vec<Vec<usize>>,
    /// `("layers.{i}.weight|bias", shape)` in order.
    params: Vec<(String, Vec<usize>)>,
}

fn out_size(size: usize, k: usize, stride: usize, padding: usize) -> usize {
    (size + 2 * padding - k) / stride + 1
}

/// Turns raw choices into a valid network: spatial layers while the shape is `(C,H,W)`
/// (a dense or softmax choice there becomes a flatten first), then flat layers, then the
/// output `dense(num_classes)` and optionally a softmax.
fn plan(
    input: Input,
    ops: &[Op],
    num_classes: usize,
    final_softmax: bool,
    extra: &Value,
) -> Planned {
    let mut shape = match input {
        Input::Image { channels, size } => vec![channels, size, size],
        Input::Features(f) => vec![f],
    };
    let mut shapes = vec![shape.clone()];
    let mut layers: Vec<Value> = Vec::new();
    let mut params = Vec::new();
    let mut push = |layer: Value, next: Vec<usize>, shape: &mut Vec<usize>, p: Vec<Vec<usize>>| {
        let i = layers.len();
        for (name, s) in ["weight", "bias"].iter().zip(p) {
            params.push((format!("layers.{i}.{name}"), s));
        }
        layers.push(layer);
        shapes.push(next.clone());
        *shape = next;
    };
    let flat = |shape: &[usize]| vec![shape.iter().product::<usize>()];
    for op in ops {
        match (op, shape.len()) {
            (
                &Op::Conv {
                    out_channels,
                    filter_size,
                    stride,
                    padding,
                    omit_defaults,
                },
                3,
            ) => {
                let (c, s) = (shape[0], shape[1]);
                let k = filter_size.min(s + 2 * padding);
                let mut layer =
                    json!({"type": "conv", "out_channels": out_channels, "filter_size": k});
                if !(omit_defaults && stride == 1) {
                    layer["stride"] = json!(stride);
                }
                if !(omit_defaults && padding == 0) {
                    layer["padding"] = json!(padding);
                }
                let o = out_size(s, k, stride, padding);
                push(
                    layer,
                    vec![out_channels, o, o],
                    &mut shape,
                    vec![vec![out_channels, c, k, k], vec![out_channels]],
                );
            }
            (
                &Op::MaxPool {
                    filter_size,
                    stride,
                    omit_default,
                },
                3,
            ) => {
                let (c, s) = (shape[0], shape[1]);
                let k = filter_size.min(s);
                let mut layer = json!({"type": "maxpool", "filter_size": k});
                if !(omit_default && stride == k) {
                    layer["stride"] = json!(stride);
                }
                let o = out_size(s, k, stride, 0);
                push(layer, vec![c, o, o], &mut shape, vec![]);
            }
            (Op::Conv { .. } | Op::MaxPool { .. }, _) => {} // no spatial layer on flat data
            (&Op::Dense { out_features }, n) => {
                if n != 1 {
                    let next = flat(&shape);
                    push(json!({"type": "flatten"}), next, &mut shape, vec![]);
                }
                let f = shape[0];
                push(
                    json!({"type": "dense", "out_features": out_features}),
                    vec![out_features],
                    &mut shape,
                    vec![vec![out_features, f], vec![out_features]],
                );
            }
            (Op::Softmax, n) => {
                if n != 1 {
                    let next = flat(&shape);
                    push(json!({"type": "flatten"}), next, &mut shape, vec![]);
                }
                let same = shape.clone();
                push(json!({"type": "softmax"}), same, &mut shape, vec![]);
            }
            (&Op::Activation(a), _) => {
                let ty = ["relu", "sigmoid", "tanh"][usize::from(a)];
                let same = shape.clone();
                push(json!({"type": ty}), same, &mut shape, vec![]);
            }
            (Op::Flatten, _) => {
                let next = flat(&shape);
                push(json!({"type": "flatten"}), next, &mut shape, vec![]);
            }
        }
    }
    if shape.len() != 1 {
        let next = flat(&shape);
        push(json!({"type": "flatten"}), next, &mut shape, vec![]);
    }
    let f = shape[0];
    push(
        json!({"type": "dense", "out_features": num_classes}),
        vec![num_classes],
        &mut shape,
        vec![vec![num_classes, f], vec![num_classes]],
    );
    if final_softmax {
        push(
            json!({"type": "softmax"}),
            vec![num_classes],
            &mut shape,
            vec![],
        );
    }
    // The keys in the order of assets/configs/*.json, then the optional ones.
    let mut json = json!({
        "epochs": extra["epochs"],
        "patience": extra["patience"],
        "batch_size": extra["batch_size"],
        "validation_subset_ratio": extra["validation_subset_ratio"],
        "percent_of_train_data_to_use": extra["percent_of_train_data_to_use"],
        "percent_train_data_to_use_for_validation": extra["percent_train_data_to_use_for_validation"],
        "num_classes": num_classes,
    });
    match input {
        Input::Image { channels, size } => {
            json["input_size"] = json!(size);
            json["in_channels"] = json!(channels);
        }
        Input::Features(f) => json["input_features"] = json!(f),
    }
    json["model_output_filename"] = extra["model_output_filename"].clone();
    json["layers"] = Value::Array(layers);
    for key in ["optimizer", "learning_rate", "seed", "init"] {
        if !extra[key].is_null() {
            json[key] = extra[key].clone();
        }
    }
    Planned {
        json,
        shapes,
        params,
    }
}

/// The settings besides the layers, some optional keys left out.
fn settings() -> impl Strategy<Value = Value> {
    let optional = |v: BoxedStrategy<Value>| prop_oneof![1 => Just(Value::Null), 3 => v];
    (
        (1usize..=1000, 0usize..=20, 1usize..=512),
        (share_strategy(), share_strategy(), 0.0f64..1.0),
        "[a-z][a-z0-9_]{0,12}",
        (
            optional(prop_oneof![Just(json!("sgd")), Just(json!("adam"))].boxed()),
            optional((1e-6f32..10.0).prop_map(|lr| json!(lr)).boxed()),
            optional(any::<u64>().prop_map(|s| json!(s)).boxed()),
            optional(
                prop::sample::select(vec![
                    "xavier_uniform",
                    "xavier_normal",
                    "he_normal",
                    "he_uniform",
                    "standard_normal",
                ])
                .prop_map(|s| json!(s))
                .boxed(),
            ),
        ),
    )
        .prop_map(
            |((epochs, patience, batch), (vsub, used, split), name, (opt, lr, seed, init))| {
                json!({
                    "epochs": epochs, "patience": patience, "batch_size": batch,
                    "validation_subset_ratio": vsub, "percent_of_train_data_to_use": used,
                    "percent_train_data_to_use_for_validation": split,
                    "model_output_filename": name,
                    "optimizer": opt, "learning_rate": lr, "seed": seed, "init": init,
                })
            },
        )
}

/// A share in (0, 1]: round values as the shipped configs have, and arbitrary ones.
fn share_strategy() -> impl Strategy<Value = f64> {
    prop_oneof![
        (1u32..=100).prop_map(|p| f64::from(p) / 100.0),
        (f64::EPSILON..=1.0f64),
    ]
}

fn planned() -> impl Strategy<Value = Planned> {
    (
        input(),
        prop::collection::vec(op(), 0..7),
        1usize..=6,
        any::<bool>(),
        settings(),
    )
        .prop_map(|(input, ops, classes, softmax, extra)| {
            plan(input, &ops, classes, softmax, &extra)
        })
}

/// Parses a generated config; a valid config that does not parse is a failure.
fn parse(planned: &Planned) -> Result<ModelConfig, TestCaseError> {
    let text = serde_json::to_string_pretty(&planned.json).unwrap();
    ModelConfig::from_json_str(&text)
        .map_err(|e| TestCaseError::fail(format!("a valid config is refused: {e}\n{text}")))
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..ProptestConfig::default()
    }
}

/// A fresh, empty folder for one test case.
fn scratch() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "netviz-proptest-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every parameter as `(name, shape, bits of every value)`.
fn param_bits(model: &Sequential) -> Vec<(String, Vec<usize>, Vec<u32>)> {
    model
        .params()
        .map(|(i, p)| {
            (
                format!("layers.{i}.{}", p.name),
                p.value.shape().to_vec(),
                p.value.data().iter().map(|v| v.to_bits()).collect(),
            )
        })
        .collect()
}

/// Any finite `f32` (subnormals and -0 included) from the generator.
fn finite_f32(rng: &mut impl RngCore) -> f32 {
    loop {
        let v = f32::from_bits(rng.next_u32());
        if v.is_finite() {
            return v;
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// `layer_shapes()` is what the formulas say, what the built model says, and what a
    /// forward pass over a batch really produces, layer by layer; `param_shapes()` is the
    /// built model's parameters, by name and shape.
    #[test]
    fn config_shapes_are_the_shapes_a_forward_pass_produces(
        planned in planned(),
        batch in 1usize..=3,
        data_seed in any::<u64>(),
    ) {
        let config = parse(&planned)?;
        let shapes = config.layer_shapes().unwrap();
        prop_assert_eq!(&shapes, &planned.shapes, "layer_shapes against the formulas");
        let mut model = config.build().unwrap();
        prop_assert_eq!(model.shapes(), shapes.as_slice());
        prop_assert_eq!(model.layers().len(), config.layers.len());

        let mut x_shape = vec![batch];
        x_shape.extend(config.input_shape());
        let n: usize = x_shape.iter().product();
        let mut rng = rng_from_seed(data_seed);
        let data = (0..n)
            .map(|_| (rng.next_u32() % 2001) as f32 / 1000.0 - 1.0)
            .collect();
        let x = Tensor::from_vec(&x_shape, data).unwrap();
        let out_shape = model.forward(&x).unwrap().shape().to_vec();
        let acts = model.activations();
        prop_assert_eq!(acts.len(), shapes.len());
        for (i, (act, sample)) in acts.iter().zip(&shapes).enumerate() {
            let mut want = vec![batch];
            want.extend(sample);
            prop_assert_eq!(act.shape(), want.as_slice(), "activation {} (after layer {})", i, i as isize - 1);
            prop_assert!(act.all_finite(), "activation {} is not finite", i);
        }
        prop_assert_eq!(out_shape, vec![batch, config.num_classes]);

        let declared = config.param_shapes().unwrap();
        let built: Vec<(String, Vec<usize>)> = model
            .params()
            .map(|(i, p)| (format!("layers.{i}.{}", p.name), p.value.shape().to_vec()))
            .collect();
        prop_assert_eq!(&declared, &built);
        prop_assert_eq!(&declared, &planned.params, "param_shapes against the formulas");
        for (_, p) in model.params() {
            prop_assert_eq!(p.grad.shape(), p.value.shape());
        }
    }

    /// A config's JSON text parses back to an equal config, and writing that again gives the
    /// same text.
    #[test]
    fn config_json_round_trips(planned in planned()) {
        let config = parse(&planned)?;
        let text = config.to_json_string().unwrap();
        let back = ModelConfig::from_json_str(&text)
            .map_err(|e| TestCaseError::fail(format!("written config is refused: {e}\n{text}")))?;
        prop_assert_eq!(&back, &config, "{}", text);
        prop_assert_eq!(back.to_json_string().unwrap(), text);
    }

    /// IDX image and label files parse back to what was encoded; every strict prefix of an
    /// encoding is refused (with an error, not a panic).
    #[test]
    fn idx_files_round_trip(
        (count, rows, cols, pixels) in (0usize..=4, 1usize..=6, 1usize..=6)
            .prop_flat_map(|(c, r, k)| {
                (Just(c), Just(r), Just(k), prop::collection::vec(any::<u8>(), c * r * k))
            }),
        labels in prop::collection::vec(0u8..=9, 0..40),
    ) {
        let images = IdxImages { count, rows, cols, pixels };
        let bytes = encode_images(&images);
        prop_assert_eq!(&parse_images("images", &bytes).unwrap(), &images);
        for cut in 0..bytes.len() {
            prop_assert!(parse_images("images", &bytes[..cut]).is_err(), "prefix of {} bytes", cut);
        }
        let bytes = encode_labels(&labels);
        prop_assert_eq!(&parse_labels("labels", &bytes).unwrap(), &labels);
        for cut in 0..bytes.len() {
            prop_assert!(parse_labels("labels", &bytes[..cut]).is_err(), "prefix of {} bytes", cut);
        }
    }
}

proptest! {
    #![proptest_config(config(32))]

    /// A built model with arbitrary finite weights and biases, saved with `save_model`, loads
    /// back (from the file and from its bytes) with an equal config and bit-identical
    /// tensors under the same names and shapes.
    #[test]
    fn model_files_round_trip_bit_for_bit(planned in planned(), weight_seed in any::<u64>()) {
        let config = parse(&planned)?;
        let mut model = config.build().unwrap();
        let mut rng = rng_from_seed(weight_seed);
        for layer in model.layers_mut() {
            for p in layer.params_mut() {
                for v in p.value.data_mut() {
                    *v = finite_f32(&mut rng);
                }
            }
        }
        let written = param_bits(&model);
        let dir = scratch();
        let path = dir.join("model.safetensors");
        save_model(&path, &config, &model).unwrap();

        let (back_config, back) = load_model(&path).unwrap();
        prop_assert_eq!(&back_config, &config);
        prop_assert_eq!(&param_bits(&back), &written);

        let bytes = std::fs::read(&path).unwrap();
        let (bytes_config, from_bytes) = load_model_bytes(&path, &bytes).unwrap();
        prop_assert_eq!(&bytes_config, &config);
        prop_assert_eq!(&param_bits(&from_bytes), &written);

        let file = read_model_file(&path).unwrap();
        prop_assert_eq!(file.config.as_ref(), Some(&config));
        let tensors: Vec<(String, Vec<usize>, Vec<u32>)> = file
            .tensors
            .iter()
            .map(|(n, t)| (n.clone(), t.shape().to_vec(), t.data().iter().map(|v| v.to_bits()).collect()))
            .collect();
        let mut sorted = written.clone();
        sorted.sort();
        prop_assert_eq!(tensors, sorted);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The XOR lab's network files: `save_xor` then `load_xor` gives the same network.
    #[test]
    fn xor_network_files_round_trip(
        hidden in 1usize..=8,
        activation in prop::sample::select(vec![Activation::Sigmoid, Activation::Tanh, Activation::Relu]),
        seed in any::<u64>(),
        learning_rate in 1e-4f32..1.0,
        biases_seed in any::<u64>(),
    ) {
        let mut net = XorNet::new(hidden, activation, seed).unwrap();
        let mut rng = rng_from_seed(biases_seed);
        for b in &mut net.b1 {
            *b = finite_f32(&mut rng);
        }
        net.b2 = finite_f32(&mut rng);
        let dir = scratch();
        let path = dir.join("xor.safetensors");
        save_xor(&path, &net, learning_rate, seed).unwrap();
        let back = load_xor(&path).unwrap();
        prop_assert_eq!(back.activation(), net.activation());
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        prop_assert_eq!(bits(&back.w1), bits(&net.w1));
        prop_assert_eq!(bits(&back.b1), bits(&net.b1));
        prop_assert_eq!(bits(&back.w2), bits(&net.w2));
        prop_assert_eq!(back.b2.to_bits(), net.b2.to_bits());
        prop_assert_eq!(&back, &net);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
