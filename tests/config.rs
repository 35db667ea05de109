//! Model configs: the shipped files, round trips, building, and one test per malformed case.

use std::path::PathBuf;

use netviz::nn::NnError;
use netviz::nn::config::{InputSpec, LayerConfig, ModelConfig};
use netviz::nn::init::Init;
use netviz::nn::optim::OptimizerKind;
use serde_json::{Value, json};

fn asset(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("assets/configs")
        .join(name)
}

/// The original schema example, verbatim.
const ORIGINAL: &str = r#"{"epochs":10,"patience":2,"batch_size":32,"validation_subset_ratio":0.5,"percent_of_train_data_to_use":0.2,"percent_train_data_to_use_for_validation":0.2,"num_classes":10,"input_size":14,"in_channels":1,"model_output_filename":"mnist_cnn","layers":[{"type":"conv","out_channels":8,"filter_size":3,"stride":1,"padding":0},{"type":"relu"},{"type":"maxpool","filter_size":2,"stride":2},{"type":"conv","out_channels":16,"filter_size":3,"stride":1,"padding":0},{"type":"relu"},{"type":"maxpool","filter_size":2,"stride":2},{"type":"flatten"},{"type":"dense","out_features":128},{"type":"relu"},{"type":"dense","out_features":10},{"type":"softmax"}]}"#;

/// The original example with `patch` applied to its JSON value.
fn patched(patch: impl FnOnce(&mut Value)) -> String {
    let mut v: Value = serde_json::from_str(ORIGINAL).expect("the example is JSON");
    patch(&mut v);
    v.to_string()
}

/// The config error message for `text`; panics if it parses.
fn config_error(text: &str) -> String {
    match ModelConfig::from_json_str(text) {
        Ok(c) => panic!("expected an error, parsed {c:?}"),
        Err(e @ NnError::Config(_)) => e.to_string(),
        Err(e) => panic!("expected a config error, got {e}"),
    }
}

fn assert_contains(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "message {msg:?} lacks {p:?}");
    }
}

// Default CNN, input (1,14,14):
//   0 conv 8 3x3   -> (8,12,12)   params 8*1*9 + 8    = 80
//   1 relu         -> (8,12,12)
//   2 maxpool 2/2  -> (8,6,6)
//   3 conv 16 3x3  -> (16,4,4)    params 16*8*9 + 16  = 1168
//   4 relu
//   5 maxpool 2/2  -> (16,2,2)
//   6 flatten      -> (64)
//   7 dense 128    -> (128)       params 64*128 + 128 = 8320
//   8 relu
//   9 dense 10     -> (10)        params 128*10 + 10  = 1290
//  10 softmax      -> (10)
//   total 80 + 1168 + 8320 + 1290 = 10858
const DEFAULT_SHAPES: [&[usize]; 12] = [
    &[1, 14, 14],
    &[8, 12, 12],
    &[8, 12, 12],
    &[8, 6, 6],
    &[16, 4, 4],
    &[16, 4, 4],
    &[16, 2, 2],
    &[64],
    &[128],
    &[128],
    &[10],
    &[10],
];
const DEFAULT_PARAMS: usize = 8 + 8 * 9 + 16 * 8 * 9 + 16 + 64 * 128 + 128 + 128 * 10 + 10;

// Keras CNN, input (1,28,28):
//   0 conv 32 3x3  -> (32,26,26)  params 32*1*9 + 32     = 320
//   2 maxpool 2/2  -> (32,13,13)
//   3 conv 64 3x3  -> (64,11,11)  params 64*32*9 + 64    = 18496
//   5 maxpool 2/2  -> (64,5,5)    (floor of 11/2)
//   6 flatten      -> (1600)
//   7 dense 128    -> (128)       params 1600*128 + 128  = 204928
//   9 dense 10     -> (10)        params 128*10 + 10     = 1290
//   total 320 + 18496 + 204928 + 1290 = 225034
const KERAS_PARAMS: usize = 32 * 9 + 32 + 64 * 32 * 9 + 64 + 1600 * 128 + 128 + 128 * 10 + 10;

#[test]
fn param_counts_by_hand() {
    assert_eq!(DEFAULT_PARAMS, 10858);
    assert_eq!(KERAS_PARAMS, 225034);
}

#[test]
fn original_schema_parses_with_defaults() {
    let c = ModelConfig::from_json_str(ORIGINAL).expect("the original schema parses");
    assert_eq!(
        (c.epochs, c.patience, c.batch_size, c.num_classes),
        (10, 2, 32, 10)
    );
    assert_eq!(c.validation_subset_ratio, 0.5);
    assert_eq!(c.percent_of_train_data_to_use, 0.2);
    assert_eq!(c.percent_train_data_to_use_for_validation, 0.2);
    assert_eq!(
        c.input,
        InputSpec::Image {
            channels: 1,
            size: 14
        }
    );
    assert_eq!(c.model_output_filename, "mnist_cnn");
    assert_eq!(c.layers.len(), 11);
    assert_eq!(
        c.layers[0],
        LayerConfig::Conv {
            out_channels: 8,
            filter_size: 3,
            stride: 1,
            padding: 0
        }
    );
    assert_eq!(
        c.layers[2],
        LayerConfig::MaxPool {
            filter_size: 2,
            stride: 2
        }
    );
    // Optional keys take their defaults.
    assert_eq!(c.optimizer, OptimizerKind::Adam);
    assert_eq!(c.learning_rate, 0.01);
    assert_eq!(c.seed, 42);
    assert_eq!(c.init, Init::XavierUniform);
}

#[test]
fn default_cnn_file_is_the_original_schema() {
    let file = ModelConfig::from_file(asset("default_cnn.json")).expect("default_cnn.json");
    assert_eq!(file, ModelConfig::from_json_str(ORIGINAL).unwrap());
    let shapes = file.layer_shapes().unwrap();
    assert_eq!(shapes.len(), DEFAULT_SHAPES.len());
    for (got, want) in shapes.iter().zip(DEFAULT_SHAPES) {
        assert_eq!(got.as_slice(), want);
    }
    let params = file.param_shapes().unwrap();
    let names: Vec<&str> = params.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "layers.0.weight",
            "layers.0.bias",
            "layers.3.weight",
            "layers.3.bias",
            "layers.7.weight",
            "layers.7.bias",
            "layers.9.weight",
            "layers.9.bias"
        ]
    );
    assert_eq!(params[0].1, vec![8, 1, 3, 3]);
    assert_eq!(params[2].1, vec![16, 8, 3, 3]);
    assert_eq!(params[4].1, vec![128, 64]);
    assert_eq!(params[6].1, vec![10, 128]);
    let count: usize = params
        .iter()
        .map(|(_, s)| s.iter().product::<usize>())
        .sum();
    assert_eq!(count, DEFAULT_PARAMS);
}

#[test]
fn keras_cnn_file_parses() {
    let c = ModelConfig::from_file(asset("keras_cnn.json")).expect("keras_cnn.json");
    assert_eq!(
        c.input,
        InputSpec::Image {
            channels: 1,
            size: 28
        }
    );
    assert_eq!((c.epochs, c.patience, c.batch_size), (2, 2, 32));
    assert_eq!(c.percent_of_train_data_to_use, 1.0);
    assert_eq!(c.percent_train_data_to_use_for_validation, 0.1);
    assert_eq!(c.validation_subset_ratio, 1.0);
    assert_eq!(c.optimizer, OptimizerKind::Adam);
    assert_eq!(c.learning_rate, 0.001);
    assert_eq!(c.model_output_filename, "keras_cnn");
    assert_eq!(c.init, Init::XavierUniform);
    let shapes = c.layer_shapes().unwrap();
    assert_eq!(shapes[3], vec![32, 13, 13]);
    assert_eq!(shapes[6], vec![64, 5, 5]);
    assert_eq!(shapes[7], vec![1600]);
    assert_eq!(shapes.last().unwrap(), &vec![10]);
    let count: usize = c
        .param_shapes()
        .unwrap()
        .iter()
        .map(|(_, s)| s.iter().product::<usize>())
        .sum();
    assert_eq!(count, KERAS_PARAMS);
}

/// Needs the real layers (constructors and `output_shape`).
#[test]
fn shipped_configs_build_with_the_right_shapes() {
    let c = ModelConfig::from_file(asset("default_cnn.json")).unwrap();
    let model = c.build().expect("default CNN builds");
    assert_eq!(model.input_shape(), &[1, 14, 14]);
    assert_eq!(model.output_shape(), &[10]);
    assert_eq!(model.num_params(), DEFAULT_PARAMS);
    assert_eq!(model.shapes(), c.layer_shapes().unwrap().as_slice());

    let k = ModelConfig::from_file(asset("keras_cnn.json")).unwrap();
    let model = k.build().expect("keras CNN builds");
    assert_eq!(model.input_shape(), &[1, 28, 28]);
    assert_eq!(model.output_shape(), &[10]);
    assert_eq!(model.num_params(), KERAS_PARAMS);
    assert_eq!(model.shapes(), k.layer_shapes().unwrap().as_slice());
}

/// Needs the real layers.
#[test]
fn build_initialises_weights_from_the_seed_and_zeroes_biases() {
    let c = ModelConfig::from_json_str(ORIGINAL).unwrap();
    let a = c.build().unwrap();
    let b = c.build().unwrap();
    let mut other = c.clone();
    other.seed = 7;
    let d = other.build().unwrap();
    let values = |m: &netviz::nn::Sequential| -> Vec<Vec<f32>> {
        m.params().map(|(_, p)| p.value.data().to_vec()).collect()
    };
    assert_eq!(values(&a), values(&b), "same seed, same weights");
    assert_ne!(values(&a), values(&d), "another seed, other weights");
    for (i, p) in a.params() {
        if p.name == "bias" {
            assert!(p.value.data().iter().all(|&v| v == 0.0), "layer {i} bias");
        } else {
            // Xavier uniform: |w| <= sqrt(6 / (fan_in + fan_out)), and not all zero.
            let s = p.value.shape();
            let receptive: usize = s[2..].iter().product();
            let bound = (6.0 / ((s[0] + s[1]) * receptive) as f32).sqrt();
            assert!(p.value.data().iter().all(|v| v.abs() <= bound), "layer {i}");
            assert!(p.value.data().iter().any(|&v| v != 0.0), "layer {i}");
        }
    }
}

#[test]
fn round_trips_through_json() {
    for text in [
        ORIGINAL.to_string(),
        std::fs::read_to_string(asset("keras_cnn.json")).unwrap(),
        patched(|v| {
            v["optimizer"] = json!("sgd");
            v["learning_rate"] = json!(0.05);
            v["seed"] = json!(123);
            v["init"] = json!("he_normal");
            v["layers"][0]["padding"] = json!(1);
            v["layers"][3]["stride"] = json!(2);
        }),
    ] {
        let c = ModelConfig::from_json_str(&text).unwrap();
        let again = ModelConfig::from_json_str(&c.to_json_string().unwrap()).unwrap();
        assert_eq!(c, again);
        // Through serde directly too.
        let s = serde_json::to_string(&c).unwrap();
        let back: ModelConfig = serde_json::from_str(&s).unwrap();
        assert_eq!(c, back);
    }
}

#[test]
fn writes_the_original_schema_back() {
    // Serializing the parsed example gives the example plus the optional keys, layer objects
    // with "type" first.
    let c = ModelConfig::from_json_str(ORIGINAL).unwrap();
    let text = c.to_json_string().unwrap();
    let mut written: Value = serde_json::from_str(&text).unwrap();
    let o = written.as_object_mut().unwrap();
    assert_eq!(o.remove("optimizer"), Some(json!("adam")));
    assert_eq!(o.remove("learning_rate"), Some(json!(0.01)));
    assert_eq!(o.remove("seed"), Some(json!(42)));
    assert_eq!(o.remove("init"), Some(json!("xavier_uniform")));
    assert_eq!(written, serde_json::from_str::<Value>(ORIGINAL).unwrap());
    let first_layer = text.find("\"layers\"").unwrap();
    let after = &text[first_layer..];
    assert!(
        after.find("\"type\"").unwrap() < after.find("\"out_channels\"").unwrap(),
        "{text}"
    );
}

#[test]
fn optional_keys_are_read() {
    let c = ModelConfig::from_json_str(&patched(|v| {
        v["optimizer"] = json!("sgd");
        v["learning_rate"] = json!(0.1);
        v["seed"] = json!(9);
        v["init"] = json!("he_normal");
    }))
    .unwrap();
    assert_eq!(c.optimizer, OptimizerKind::Sgd);
    assert_eq!(c.learning_rate, 0.1);
    assert_eq!(c.seed, 9);
    assert_eq!(c.init, Init::HeNormal);
}

#[test]
fn layer_defaults() {
    // conv stride 1 and padding 0, maxpool stride = filter_size.
    let c = ModelConfig::from_json_str(&patched(|v| {
        v["layers"][0] = json!({"type": "conv", "out_channels": 8, "filter_size": 3});
        v["layers"][2] = json!({"type": "maxpool", "filter_size": 2});
    }))
    .unwrap();
    assert_eq!(
        c.layers[0],
        LayerConfig::Conv {
            out_channels: 8,
            filter_size: 3,
            stride: 1,
            padding: 0
        }
    );
    assert_eq!(
        c.layers[2],
        LayerConfig::MaxPool {
            filter_size: 2,
            stride: 2
        }
    );
}

const XOR: &str = r#"{"epochs":1000,"patience":0,"batch_size":4,"validation_subset_ratio":1.0,
  "percent_of_train_data_to_use":1.0,"percent_train_data_to_use_for_validation":0.0,
  "num_classes":1,"input_features":2,"model_output_filename":"xor",
  "layers":[{"type":"dense","out_features":2},{"type":"sigmoid"},
            {"type":"dense","out_features":1},{"type":"sigmoid"}],
  "optimizer":"sgd","learning_rate":0.5,"init":"standard_normal"}"#;

#[test]
fn flat_input_variant() {
    let c = ModelConfig::from_json_str(XOR).unwrap();
    assert_eq!(c.input, InputSpec::Features(2));
    assert_eq!(c.input_shape(), vec![2]);
    let shapes = c.layer_shapes().unwrap();
    assert_eq!(shapes.last().unwrap(), &vec![1]);
    let params = c.param_shapes().unwrap();
    assert_eq!(params[0], ("layers.0.weight".to_string(), vec![2, 2]));
    assert_eq!(params[2], ("layers.2.weight".to_string(), vec![1, 2]));
    let again = ModelConfig::from_json_str(&c.to_json_string().unwrap()).unwrap();
    assert_eq!(c, again);
    assert!(!c.to_json_string().unwrap().contains("input_size"));
}

/// Needs the real layers.
#[test]
fn flat_input_variant_builds() {
    let model = ModelConfig::from_json_str(XOR).unwrap().build().unwrap();
    assert_eq!(model.output_shape(), &[1]);
    assert_eq!(model.num_params(), 2 * 2 + 2 + 2 + 1);
}

#[test]
fn exactly_one_input_kind() {
    let both = patched(|v| v["input_features"] = json!(196));
    assert_contains(
        &config_error(&both),
        &["input_size", "input_features", "not both"],
    );
    let neither = patched(|v| {
        let o = v.as_object_mut().unwrap();
        o.remove("input_size");
        o.remove("in_channels");
    });
    assert_contains(&config_error(&neither), &["input_size", "input_features"]);
}

#[test]
fn unknown_layer_type_lists_the_known_ones() {
    let msg = config_error(&patched(|v| v["layers"][4]["type"] = json!("leaky_relu")));
    assert_contains(
        &msg,
        &[
            "layer 4",
            "leaky_relu",
            "conv",
            "maxpool",
            "dense",
            "flatten",
            "relu",
            "sigmoid",
            "tanh",
            "softmax",
        ],
    );
}

#[test]
fn missing_layer_type() {
    let msg = config_error(&patched(|v| v["layers"][1] = json!({})));
    assert_contains(&msg, &["layer 1", "missing field `type`", "conv"]);
}

#[test]
fn missing_layer_field_names_field_and_index() {
    let msg = config_error(&patched(|v| {
        v["layers"][3]
            .as_object_mut()
            .unwrap()
            .remove("out_channels");
    }));
    assert_contains(&msg, &["layer 3 (conv)", "missing field `out_channels`"]);
    let msg = config_error(&patched(|v| {
        v["layers"][7]
            .as_object_mut()
            .unwrap()
            .remove("out_features");
    }));
    assert_contains(&msg, &["layer 7 (dense)", "missing field `out_features`"]);
    let msg = config_error(&patched(|v| {
        v["layers"][2]
            .as_object_mut()
            .unwrap()
            .remove("filter_size");
    }));
    assert_contains(&msg, &["layer 2 (maxpool)", "missing field `filter_size`"]);
}

#[test]
fn missing_top_level_field_is_named() {
    let msg = config_error(&patched(|v| {
        v.as_object_mut().unwrap().remove("batch_size");
    }));
    assert_contains(&msg, &["batch_size"]);
}

#[test]
fn unknown_fields_are_rejected() {
    let msg = config_error(&patched(|v| v["learning_rat"] = json!(0.1)));
    assert_contains(&msg, &["learning_rat"]);
    let msg = config_error(&patched(|v| v["layers"][1]["filter_size"] = json!(2)));
    assert_contains(&msg, &["layer 1 (relu)", "unknown field `filter_size`"]);
    let msg = config_error(&patched(|v| v["layers"][0]["kernel"] = json!(3)));
    assert_contains(
        &msg,
        &["layer 0 (conv)", "unknown field `kernel`", "filter_size"],
    );
}

#[test]
fn kernel_larger_than_input() {
    // Input (1,8,8): conv 3x3 -> (8,6,6), relu, maxpool 2/2 -> (8,3,3), then a 5x5 conv.
    let msg = config_error(&patched(|v| {
        v["input_size"] = json!(8);
        v["layers"][3]["filter_size"] = json!(5);
    }));
    assert_contains(
        &msg,
        &["layer 3 (conv): kernel 5x5 larger than input (8,3,3)"],
    );
    // A pooling window too large.
    let msg = config_error(&patched(|v| v["layers"][5]["filter_size"] = json!(5)));
    assert_contains(
        &msg,
        &["layer 5 (maxpool): kernel 5x5 larger than input (16,4,4)"],
    );
    // The first conv larger than the image.
    let msg = config_error(&patched(|v| v["layers"][0]["filter_size"] = json!(15)));
    assert_contains(
        &msg,
        &["layer 0 (conv): kernel 15x15 larger than input (1,14,14)"],
    );
}

#[test]
fn dense_on_image_without_flatten() {
    // Removing the flatten puts dense (now layer 6) on (16,2,2).
    let msg = config_error(&patched(|v| {
        v["layers"].as_array_mut().unwrap().remove(6);
    }));
    assert_contains(&msg, &["layer 6 (dense)", "(16,2,2)", "flatten"]);
}

#[test]
fn conv_after_flatten() {
    let msg = config_error(&patched(|v| {
        v["layers"].as_array_mut().unwrap().insert(
            7,
            json!({"type": "conv", "out_channels": 2, "filter_size": 1}),
        );
    }));
    assert_contains(&msg, &["layer 7 (conv)", "(C,H,W)", "(64)"]);
}

#[test]
fn output_size_must_equal_num_classes() {
    let msg = config_error(&patched(|v| v["num_classes"] = json!(12)));
    assert_contains(&msg, &["(10)", "num_classes is 12", "layer 10 (softmax)"]);
    let msg = config_error(&patched(|v| v["layers"][9]["out_features"] = json!(9)));
    assert_contains(&msg, &["(9)", "num_classes is 10"]);
}

/// A named edit of the original config and the words its error must contain.
type Case = (
    &'static str,
    Box<dyn Fn(&mut Value)>,
    &'static [&'static str],
);

#[test]
fn zero_and_negative_sizes() {
    let cases: [Case; 7] = [
        (
            "out_channels 0",
            Box::new(|v| v["layers"][0]["out_channels"] = json!(0)),
            &["layer 0 (conv)", "`out_channels`", "positive", "got 0"],
        ),
        (
            "filter_size -3",
            Box::new(|v| v["layers"][3]["filter_size"] = json!(-3)),
            &["layer 3 (conv)", "`filter_size`", "got -3"],
        ),
        (
            "stride 0",
            Box::new(|v| v["layers"][2]["stride"] = json!(0)),
            &["layer 2 (maxpool)", "`stride`"],
        ),
        (
            "padding -1",
            Box::new(|v| v["layers"][0]["padding"] = json!(-1)),
            &["layer 0 (conv)", "`padding`", "non-negative", "got -1"],
        ),
        (
            "out_features 0",
            Box::new(|v| v["layers"][7]["out_features"] = json!(0)),
            &["layer 7 (dense)", "`out_features`"],
        ),
        (
            "input_size 0",
            Box::new(|v| v["input_size"] = json!(0)),
            &["`input_size`", "at least 1", "got 0"],
        ),
        (
            "in_channels -2",
            Box::new(|v| v["in_channels"] = json!(-2)),
            &["`in_channels`", "got -2"],
        ),
    ];
    for (what, patch, parts) in cases {
        let msg = config_error(&patched(|v| patch(v)));
        for p in parts {
            assert!(msg.contains(p), "{what}: message {msg:?} lacks {p:?}");
        }
    }
    let msg = config_error(&patched(|v| v["num_classes"] = json!(0)));
    assert_contains(&msg, &["`num_classes`", "at least 1"]);
    let msg = config_error(&patched(|v| v["layers"][0]["filter_size"] = json!(2.5)));
    assert_contains(&msg, &["layer 0 (conv)", "`filter_size`", "2.5"]);
}

#[test]
fn absurd_sizes_are_rejected_before_any_allocation() {
    let msg = config_error(&patched(|v| v["layers"][0]["padding"] = json!(1u64 << 62)));
    assert_contains(&msg, &["layer 0 (conv)", "`padding`", "above the limit"]);
    let msg = config_error(&patched(|v| v["input_size"] = json!(1u64 << 40)));
    assert_contains(&msg, &["`input_size`", "above the limit"]);
    // Each size within the limit, but the weight (2^20 x 2^20) would not be.
    let msg = config_error(&patched(|v| {
        let o = v.as_object_mut().unwrap();
        o.remove("input_size");
        o.remove("in_channels");
        o.insert("input_features".into(), json!(1 << 20));
        o.insert("num_classes".into(), json!(1 << 20));
        o.insert(
            "layers".into(),
            json!([{"type": "dense", "out_features": 1 << 20}]),
        );
    }));
    assert_contains(
        &msg,
        &[
            "layer 0 (dense)",
            "more than the 134217728 parameters a model may have",
        ],
    );
    // A conv kernel within the limit, padded to fit, but its weight would not be.
    let msg = config_error(&patched(|v| {
        v["layers"][0]["filter_size"] = json!(1 << 20);
        v["layers"][0]["padding"] = json!(1 << 19);
    }));
    assert_contains(
        &msg,
        &[
            "layer 0 (conv)",
            "more than the 134217728 parameters a model may have",
        ],
    );
}

#[test]
fn ratios_must_be_in_zero_one() {
    for key in ["validation_subset_ratio", "percent_of_train_data_to_use"] {
        for bad in [0.0, -0.5, 1.5] {
            let msg = config_error(&patched(|v| v[key] = json!(bad)));
            assert_contains(&msg, &[key, "(0, 1]"]);
        }
        assert!(ModelConfig::from_json_str(&patched(|v| v[key] = json!(1.0))).is_ok());
    }
    // The validation share may be 0 (no validation) but not 1 (nothing left to train on).
    let key = "percent_train_data_to_use_for_validation";
    for bad in [1.0, -0.5, 1.5] {
        let msg = config_error(&patched(|v| v[key] = json!(bad)));
        assert_contains(&msg, &[key, "[0, 1)"]);
    }
    assert!(ModelConfig::from_json_str(&patched(|v| v[key] = json!(0.0))).is_ok());
}

#[test]
fn epochs_and_batch_size_must_be_positive() {
    let msg = config_error(&patched(|v| v["epochs"] = json!(0)));
    assert_contains(&msg, &["`epochs`", "at least 1"]);
    let msg = config_error(&patched(|v| v["batch_size"] = json!(0)));
    assert_contains(&msg, &["`batch_size`", "at least 1"]);
    let msg = config_error(&patched(|v| v["patience"] = json!(-1)));
    assert_contains(&msg, &["`patience`"]);
}

#[test]
fn learning_rate_must_be_positive() {
    let msg = config_error(&patched(|v| v["learning_rate"] = json!(0.0)));
    assert_contains(&msg, &["`learning_rate`", "positive"]);
}

#[test]
fn unknown_optimizer_and_init_are_rejected() {
    let msg = config_error(&patched(|v| v["optimizer"] = json!("rmsprop")));
    assert_contains(&msg, &["rmsprop", "sgd", "adam"]);
    let msg = config_error(&patched(|v| v["init"] = json!("lecun")));
    assert_contains(&msg, &["lecun", "xavier_uniform", "he_normal"]);
}

#[test]
fn empty_layer_list() {
    let msg = config_error(&patched(|v| v["layers"] = json!([])));
    assert_contains(&msg, &["`layers` is empty"]);
}

#[test]
fn invalid_json() {
    let msg = config_error("{\"epochs\": 10,");
    assert_contains(&msg, &["cannot parse config JSON", "line 1"]);
}

#[test]
fn file_errors_name_the_file() {
    let dir = std::env::temp_dir().join(format!("netviz-config-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad_config.json");
    std::fs::write(&bad, patched(|v| v["epochs"] = json!(0))).unwrap();
    let msg = ModelConfig::from_file(&bad).unwrap_err().to_string();
    assert_contains(&msg, &["bad_config.json", "`epochs`"]);
    let missing = dir.join("no_such_config.json");
    let err = ModelConfig::from_file(&missing).unwrap_err();
    assert!(
        matches!(&err, NnError::File(e) if e.is_not_found()),
        "{err:?}"
    );
    assert_contains(&err.to_string(), &["no_such_config.json"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn programmatic_configs_are_validated_too() {
    let mut c = ModelConfig::from_json_str(ORIGINAL).unwrap();
    c.batch_size = 0;
    assert_contains(&c.validate().unwrap_err().to_string(), &["`batch_size`"]);
    let mut c = ModelConfig::from_json_str(ORIGINAL).unwrap();
    c.layers[7] = LayerConfig::Dense { out_features: 0 };
    let msg = c.build().unwrap_err().to_string();
    assert_contains(&msg, &["layer 7 (dense)", "`out_features`"]);
}
