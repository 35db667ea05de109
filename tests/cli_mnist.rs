//! The `netviz` binary end to end: `mnist infer` on the shipped model, `mnist train` writing
//! a model and its metrics, the original command lines, and bad input (each a one-line error,
//! exit code 2, nothing overwritten). Uses the real MNIST files in `../shared/data/mnist`.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::mnist_server::shared_mnist_dir;
use netviz::nn::config::ModelConfig;
use netviz::nn::io;

const DEFAULT_CONFIG: &str = include_str!("../assets/configs/default_cnn.json");
const KERAS_CONFIG: &str = include_str!("../assets/configs/keras_cnn.json");
const SHIPPED_MODEL: &str = "assets/models/default_mnist_cnn.safetensors";

/// Runs the binary in `dir` with `args`.
fn netviz_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netviz"))
        .args(args)
        .current_dir(dir)
        .env_remove("NETVIZ_DATA_DIR")
        .output()
        .expect("run netviz")
}

/// Runs the binary in the project root.
fn netviz(args: &[&str]) -> Output {
    netviz_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

fn data() -> String {
    shared_mnist_dir().display().to_string()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netviz-cli-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        stdout(out),
        stderr(out)
    );
}

/// Exit code 2 and exactly one line on stderr, `error: ...`, containing every needle.
fn assert_one_line_error(out: &Output, needles: &[&str]) {
    let err = stderr(out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout:\n{}\nstderr:\n{err}",
        stdout(out)
    );
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line expected, got:\n{err}");
    assert!(lines[0].starts_with("error: "), "{err}");
    for needle in needles {
        assert!(lines[0].contains(needle), "{needle:?} missing from: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

/// Parses `test_accuracy=A macro_precision=P macro_recall=R macro_f1=F` into [A, P, R, F].
fn parse_result_line(line: &str) -> [f64; 4] {
    let keys = [
        "test_accuracy",
        "macro_precision",
        "macro_recall",
        "macro_f1",
    ];
    let parts: Vec<&str> = line.split(' ').collect();
    assert_eq!(parts.len(), 4, "last line: {line:?}");
    let mut values = [0.0; 4];
    for ((part, key), value) in parts.iter().zip(keys).zip(values.iter_mut()) {
        let (k, v) = part.split_once('=').expect("key=value");
        assert_eq!(k, key, "last line: {line:?}");
        assert_eq!(v.len(), 6, "four decimals in {line:?}");
        *value = v.parse().expect("a number");
    }
    values
}

fn last_line(out: &Output) -> String {
    stdout(out).lines().last().unwrap_or_default().to_string()
}

/// A small training config: the default CNN on 5% of the data.
fn small_config(dir: &Path, epochs: usize) -> PathBuf {
    let mut config = ModelConfig::from_json_str(DEFAULT_CONFIG).expect("default config");
    config.percent_of_train_data_to_use = 0.05;
    config.epochs = epochs;
    let path = dir.join("small.json");
    fs::write(&path, config.to_json_string().expect("json")).expect("write config");
    path
}

/// An existing output file with known contents, to check that failures leave it alone.
fn existing_output(dir: &Path) -> (PathBuf, Vec<u8>) {
    let path = dir.join("existing.safetensors");
    let bytes = b"an earlier model that must survive".to_vec();
    fs::write(&path, &bytes).expect("write existing output");
    (path, bytes)
}

#[test]
fn infer_on_the_shipped_model() {
    let out = netviz(&[
        "mnist",
        "infer",
        "--count",
        "2",
        "--data-dir",
        &data(),
        "--seed",
        "1",
    ]);
    assert_success(&out);
    let text = stdout(&out);
    let [accuracy, precision, recall, f1] = parse_result_line(&last_line(&out));
    assert!(accuracy >= 0.95, "accuracy {accuracy}");
    assert!(precision >= 0.95 && recall >= 0.95 && f1 >= 0.95, "{text}");
    assert_eq!(text.matches("test image ").count(), 2, "{text}");
    assert!(text.contains("true\\pred"), "confusion matrix:\n{text}");
    assert!(text.contains("(10000 images)"), "{text}");
    // Shaded ASCII art: some ink characters.
    assert!(text.contains("@@") || text.contains("%%"), "{text}");

    // The original command line gives the same evaluation.
    let legacy = netviz(&[
        "-md",
        "-m",
        "infer",
        "-um",
        SHIPPED_MODEL,
        "--count",
        "0",
        "--data-dir",
        &data(),
    ]);
    assert_success(&legacy);
    assert_eq!(last_line(&legacy), last_line(&out));
}

#[test]
fn train_writes_the_model_and_its_metrics() {
    let dir = temp_dir("train");
    let config = small_config(&dir, 2);
    let model = dir.join("small.safetensors");
    let out = netviz(&[
        "mnist",
        "train",
        "--config",
        path_str(&config),
        "--data-dir",
        &data(),
        "--out",
        path_str(&model),
    ]);
    assert_success(&out);
    let text = stdout(&out);
    assert!(
        text.contains("epoch 1/2") && text.contains("val loss"),
        "{text}"
    );
    let [accuracy, ..] = parse_result_line(&last_line(&out));
    assert!(accuracy > 0.85, "accuracy {accuracy}");

    let (saved_config, _) = io::load_model(&model).expect("the model loads");
    assert_eq!(saved_config.percent_of_train_data_to_use, 0.05);
    let metrics: serde_json::Value = serde_json::from_slice(
        &fs::read(dir.join("small.metrics.json")).expect("metrics beside the model"),
    )
    .expect("metrics JSON");
    let epochs = metrics["epochs"].as_array().expect("per-epoch history");
    assert!(!epochs.is_empty() && epochs[0]["validation"]["loss"].is_f64());
    assert!(epochs[0]["wall_secs"].is_f64());
    let test_accuracy = metrics["test"]["metrics"]["accuracy"]
        .as_f64()
        .expect("test accuracy");
    assert!((test_accuracy - accuracy).abs() < 1e-4);
    assert_eq!(
        metrics["test"]["confusion"]["counts"]
            .as_array()
            .map(Vec::len),
        Some(100)
    );

    // infer on the new model agrees with train's last line.
    let infer = netviz(&[
        "mnist",
        "infer",
        "--model",
        path_str(&model),
        "--count",
        "0",
        "--data-dir",
        &data(),
    ]);
    assert_success(&infer);
    assert_eq!(last_line(&infer), last_line(&out));
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn an_unknown_layer_type_is_one_line_and_overwrites_nothing() {
    let dir = temp_dir("layer");
    let config = dir.join("bad.json");
    fs::write(
        &config,
        DEFAULT_CONFIG.replacen("\"maxpool\"", "\"maxpooling\"", 1),
    )
    .unwrap();
    let (existing, bytes) = existing_output(&dir);
    let out = netviz(&[
        "mnist",
        "train",
        "--config",
        path_str(&config),
        "--data-dir",
        &data(),
        "--out",
        path_str(&existing),
    ]);
    assert_one_line_error(&out, &["bad.json", "layer 2", "maxpooling"]);
    assert_eq!(fs::read(&existing).unwrap(), bytes);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn init_weights_of_another_architecture_are_refused() {
    let dir = temp_dir("arch");
    let keras = ModelConfig::from_json_str(KERAS_CONFIG).unwrap();
    let other = dir.join("keras.safetensors");
    io::save_model(&other, &keras, &keras.build().unwrap()).unwrap();
    let (existing, bytes) = existing_output(&dir);
    let out = netviz(&[
        "mnist",
        "train",
        "--init-weights",
        path_str(&other),
        "--data-dir",
        &data(),
        "--out",
        path_str(&existing),
    ]);
    assert_one_line_error(
        &out,
        &["--init-weights", "keras.safetensors", "layers.0.weight"],
    );
    assert_eq!(fs::read(&existing).unwrap(), bytes);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn infer_refuses_a_model_that_is_not_for_mnist() {
    let dir = temp_dir("notmnist");
    let xor = ModelConfig::from_json_str(
        r#"{"epochs": 1, "patience": 0, "batch_size": 4, "validation_subset_ratio": 1.0,
            "percent_of_train_data_to_use": 1.0, "percent_train_data_to_use_for_validation": 0.0,
            "num_classes": 1, "input_features": 2, "model_output_filename": "xor",
            "layers": [{"type": "dense", "out_features": 3}, {"type": "sigmoid"},
                       {"type": "dense", "out_features": 1}, {"type": "sigmoid"}]}"#,
    )
    .unwrap();
    let model = dir.join("xor.safetensors");
    io::save_model(&model, &xor, &xor.build().unwrap()).unwrap();
    let out = netviz(&[
        "mnist",
        "infer",
        "--model",
        path_str(&model),
        "--data-dir",
        &data(),
    ]);
    assert_one_line_error(&out, &["xor.safetensors", "not MNIST images"]);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_data_folder_is_one_line() {
    let dir = temp_dir("nodata");
    let (existing, bytes) = existing_output(&dir);
    let missing = dir.join("no-such-folder");
    let out = netviz(&[
        "mnist",
        "train",
        "--data-dir",
        path_str(&missing),
        "--out",
        path_str(&existing),
    ]);
    assert_one_line_error(&out, &["no-such-folder", "does not exist"]);
    assert_eq!(fs::read(&existing).unwrap(), bytes);
    let infer = netviz(&["mnist", "infer", "--data-dir", path_str(&missing)]);
    assert_one_line_error(&infer, &["no-such-folder"]);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_corrupt_gz_is_one_line_and_overwrites_nothing() {
    let dir = temp_dir("corrupt");
    let data_dir = dir.join("data");
    fs::create_dir_all(&data_dir).unwrap();
    for entry in fs::read_dir(shared_mnist_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "gz") {
            let mut bytes = fs::read(&path).unwrap();
            if path.ends_with("train-images-idx3-ubyte.gz") {
                let mid = bytes.len() / 2;
                for b in &mut bytes[mid..mid + 4096] {
                    *b ^= 0x5a;
                }
            }
            fs::write(data_dir.join(path.file_name().unwrap()), bytes).unwrap();
        }
    }
    let (existing, bytes) = existing_output(&dir);
    let out = netviz(&[
        "mnist",
        "train",
        "--data-dir",
        path_str(&data_dir),
        "--out",
        path_str(&existing),
    ]);
    assert_one_line_error(&out, &["train-images", "corrupt"]);
    assert_eq!(fs::read(&existing).unwrap(), bytes);
    // A folder the user named is reported, never repaired behind their back.
    assert!(data_dir.join("train-images-idx3-ubyte.gz").is_file());
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn an_absurd_learning_rate_ends_with_a_clear_error() {
    let dir = temp_dir("nan");
    let config = small_config(&dir, 2);
    let (existing, bytes) = existing_output(&dir);
    let out = netviz(&[
        "mnist",
        "train",
        "--config",
        path_str(&config),
        "--lr",
        "1e9",
        "--data-dir",
        &data(),
        "--out",
        path_str(&existing),
    ]);
    assert_one_line_error(
        &out,
        &[
            "diverged in epoch 1, batch",
            "lower learning rate",
            "unchanged",
        ],
    );
    // Nothing was learned before it diverged, so the earlier model stays.
    assert_eq!(fs::read(&existing).unwrap(), bytes);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn the_user_config_is_created_once_and_never_overwritten() {
    let dir = temp_dir("user");
    let out = netviz_in(
        &dir,
        &[
            "-md",
            "-m",
            "train",
            "-uc",
            "--epochs",
            "1",
            "--data-dir",
            &data(),
            "--out",
            "m.safetensors",
        ],
    );
    assert_success(&out);
    assert!(
        stdout(&out).contains("created config/user_cnn_params.json"),
        "{}",
        stdout(&out)
    );
    let user = dir.join("config/user_cnn_params.json");
    assert_eq!(fs::read_to_string(&user).unwrap(), DEFAULT_CONFIG);
    parse_result_line(&last_line(&out));

    // An edited (here: broken) user config is used as it is, not replaced.
    let edited = DEFAULT_CONFIG.replacen("\"relu\"", "\"gelu\"", 1);
    fs::write(&user, &edited).unwrap();
    let again = netviz_in(&dir, &["-md", "-m", "train", "-uc", "--data-dir", &data()]);
    assert_one_line_error(&again, &["user_cnn_params.json", "gelu"]);
    assert!(!stdout(&again).contains("created"));
    assert_eq!(fs::read_to_string(&user).unwrap(), edited);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn the_original_xor_line_trains_and_prints_the_outputs() {
    let out = netviz(&["--xor", "-hn", "3", "-ner", "200", "-e", "2000", "--text"]);
    assert_success(&out);
    let text = stdout(&out);
    assert_eq!(text.matches("\nepoch ").count(), 10, "{text}");
    assert_eq!(text.matches("input (").count(), 4, "{text}");
    assert_eq!(text.matches("  hidden ").count(), 12, "{text}");
    let last = last_line(&out);
    let outputs = last
        .split_once("outputs=")
        .map(|(_, o)| o.split(',').count());
    assert!(last.starts_with("epochs=2000 accuracy="), "{last}");
    assert!(last.contains(" final_loss="), "{last}");
    assert_eq!(outputs, Some(4), "{last}");
}

#[test]
fn help_lists_the_commands_and_flags() {
    let top = stdout(&netviz(&["--help"]));
    assert!(top.contains("mnist") && top.contains("xor"), "{top}");
    let train = stdout(&netviz(&["mnist", "train", "--help"]));
    for flag in [
        "--config",
        "--epochs",
        "--batch-size",
        "--lr",
        "--optimizer",
        "--seed",
        "--data-dir",
        "--out",
        "--init-weights",
    ] {
        assert!(train.contains(flag), "{flag} missing from:\n{train}");
    }
    let infer = stdout(&netviz(&["mnist", "infer", "--help"]));
    for flag in ["--model", "--count", "--data-dir", "--seed"] {
        assert!(infer.contains(flag), "{flag} missing from:\n{infer}");
    }
}
