//! Model files: round trips, the file layout, damaged files, mismatched architectures and
//! atomic saving.

// The helpers of these tests unwrap: a failure there is the test's failure.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use common::gradcheck::random_tensor;
use netviz::nn::config::{LayerConfig, ModelConfig};
use netviz::nn::io::{
    CHECKSUM_KEY, CONFIG_KEY, load_model, load_weights_into, read_model_file, save_model,
};
use netviz::nn::{NnError, Sequential};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};

const DEFAULT_CNN: &str = include_str!("../assets/configs/default_cnn.json");

const MLP: &str = r#"{"epochs":1,"patience":0,"batch_size":4,"validation_subset_ratio":1.0,
  "percent_of_train_data_to_use":1.0,"percent_train_data_to_use_for_validation":0.0,
  "num_classes":3,"input_features":5,"model_output_filename":"mlp",
  "layers":[{"type":"dense","out_features":4},{"type":"tanh"},
            {"type":"dense","out_features":3},{"type":"softmax"}],
  "init":"he_normal","seed":5}"#;

/// A fresh, empty folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netviz-model-io-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn cnn_config() -> ModelConfig {
    ModelConfig::from_json_str(DEFAULT_CNN).expect("default config")
}

fn param_values(model: &Sequential) -> Vec<(usize, &'static str, Vec<usize>, Vec<f32>)> {
    model
        .params()
        .map(|(i, p)| (i, p.name, p.value.shape().to_vec(), p.value.data().to_vec()))
        .collect()
}

/// Names of the files in `dir`.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("listing")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The model-file error detail for loading `path`; panics on success or another error kind.
fn model_file_error(result: netviz::nn::Result<impl std::fmt::Debug>) -> String {
    match result {
        Ok(v) => panic!("expected a model file error, got {v:?}"),
        Err(e @ NnError::ModelFile { .. }) => e.to_string(),
        Err(e) => panic!("expected a model file error, got {e}"),
    }
}

fn assert_contains(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "message {msg:?} lacks {p:?}");
    }
}

/// Saves the default CNN (seed 42) to `dir/model.safetensors`; returns config, model, path.
fn saved_cnn(dir: &Path) -> (ModelConfig, Sequential, PathBuf) {
    let config = cnn_config();
    let model = config.build().expect("build");
    let path = dir.join("model.safetensors");
    save_model(&path, &config, &model).expect("save");
    (config, model, path)
}

/// Needs the real layers (build and forward).
#[test]
fn save_then_load_gives_identical_parameters_and_outputs() {
    let dir = scratch("round-trip");
    for text in [DEFAULT_CNN, MLP] {
        let config = ModelConfig::from_json_str(text).unwrap();
        let mut model = config.build().unwrap();
        let path = dir.join(format!("{}.safetensors", config.model_output_filename));
        save_model(&path, &config, &model).unwrap();

        let (loaded_config, mut loaded) = load_model(&path).unwrap();
        assert_eq!(loaded_config, config);
        assert_eq!(param_values(&loaded), param_values(&model));

        let mut shape = vec![6];
        shape.extend_from_slice(&config.input_shape());
        let x = random_tensor(&shape, 1.0, 11);
        let want = model.forward(&x).unwrap().clone();
        let got = loaded.forward(&x).unwrap();
        assert_eq!(got.shape(), want.shape());
        assert_eq!(got.data(), want.data(), "outputs differ after a round trip");
    }
    assert!(!listing(&dir).iter().any(|n| n.ends_with(".tmp")));
    fs::remove_dir_all(&dir).unwrap();
}

/// Needs the real layers (build).
#[test]
fn file_layout_is_plain_safetensors() {
    let dir = scratch("layout");
    let (config, model, path) = saved_cnn(&dir);
    let bytes = fs::read(&path).unwrap();
    let st = SafeTensors::deserialize(&bytes).expect("a standard safetensors file");
    let mut names = st.names();
    names.sort();
    assert_eq!(
        names,
        [
            "layers.0.bias",
            "layers.0.weight",
            "layers.3.bias",
            "layers.3.weight",
            "layers.7.bias",
            "layers.7.weight",
            "layers.9.bias",
            "layers.9.weight"
        ]
    );
    let w = st.tensor("layers.0.weight").unwrap();
    assert_eq!(w.dtype(), Dtype::F32);
    assert_eq!(w.shape(), &[8, 1, 3, 3]);
    assert_eq!(st.tensor("layers.7.weight").unwrap().shape(), &[128, 64]);
    // Little-endian f32 in PyTorch layout: the first value is weight[0, 0, 0, 0].
    let first = f32::from_le_bytes(w.data()[..4].try_into().unwrap());
    let (_, p) = model.params().next().unwrap();
    assert_eq!(first, p.value.data()[0]);

    let (_, header) = SafeTensors::read_metadata(&bytes).unwrap();
    let meta = header.metadata().as_ref().expect("metadata");
    let embedded = ModelConfig::from_json_str(&meta[CONFIG_KEY]).unwrap();
    assert_eq!(embedded, config);
    assert_eq!(meta[CHECKSUM_KEY].len(), 64);

    let file = read_model_file(&path).unwrap();
    assert_eq!(file.config.as_ref(), Some(&config));
    assert_eq!(file.tensors.len(), 8);
    fs::remove_dir_all(&dir).unwrap();
}

/// Needs the real layers (build).
#[test]
fn truncated_files_are_rejected() {
    let dir = scratch("truncated");
    let (_, _, path) = saved_cnn(&dir);
    let bytes = fs::read(&path).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let cuts = [
        0,
        3,
        8,
        9,
        8 + header_len / 2,
        8 + header_len - 1,
        8 + header_len,
        8 + header_len + 7,
        bytes.len() / 2,
        bytes.len() - 4,
        bytes.len() - 1,
    ];
    let cut_path = dir.join("cut.safetensors");
    for cut in cuts {
        fs::write(&cut_path, &bytes[..cut]).unwrap();
        let msg = model_file_error(load_model(&cut_path));
        assert_contains(&msg, &["cut.safetensors"]);
        assert!(
            msg.contains("truncated") || msg.contains("corrupted"),
            "cut at {cut}: {msg}"
        );
    }
    // Extra bytes at the end are damage too.
    let mut longer = bytes.clone();
    longer.extend_from_slice(&[0; 4]);
    fs::write(&cut_path, &longer).unwrap();
    model_file_error(load_model(&cut_path));
    fs::remove_dir_all(&dir).unwrap();
}

/// Needs the real layers (build).
#[test]
fn altered_bytes_are_rejected() {
    let dir = scratch("altered");
    let (_, _, path) = saved_cnn(&dir);
    let bytes = fs::read(&path).unwrap();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + header_len]).unwrap();
    let bad = dir.join("bad.safetensors");

    // A value inside the embedded config: "epochs": 10 becomes 11. Still a valid config, so
    // only the checksum can tell.
    let at = 8
        + header
            .find("\\\"epochs\\\": 10")
            .expect("epochs in the header")
        + 13;
    let mut altered = bytes.clone();
    assert_eq!(altered[at], b'0');
    altered[at] = b'1';
    fs::write(&bad, &altered).unwrap();
    let msg = model_file_error(load_model(&bad));
    assert_contains(&msg, &["checksum mismatch"]);

    // A digit of a tensor shape.
    let at = 8 + header.find("[128,64]").expect("a dense shape") + 5;
    let mut altered = bytes.clone();
    altered[at] = b'5';
    fs::write(&bad, &altered).unwrap();
    model_file_error(load_model(&bad));

    // One weight's bits.
    let mut altered = bytes.clone();
    let last = altered.len() - 1;
    altered[last] ^= 0x10;
    fs::write(&bad, &altered).unwrap();
    assert_contains(&model_file_error(load_model(&bad)), &["checksum mismatch"]);

    // Every single header byte flipped in turn: rejected, or (a flip in a key nobody reads)
    // loaded with exactly the original content. Never a panic.
    let original = read_model_file(&path).unwrap();
    let mut accepted = 0;
    for i in 0..8 + header_len {
        let mut altered = bytes.clone();
        altered[i] ^= 0x01;
        fs::write(&bad, &altered).unwrap();
        match read_model_file(&bad) {
            Ok(f) => {
                accepted += 1;
                assert_eq!(f.config, original.config, "byte {i}");
                assert_eq!(f.tensors, original.tensors, "byte {i}");
            }
            Err(NnError::ModelFile { .. }) => {}
            Err(e) => panic!("byte {i}: unexpected error kind {e}"),
        }
    }
    assert!(accepted < 20, "{accepted} flipped headers were accepted");
    fs::remove_dir_all(&dir).unwrap();
}

/// Needs the real layers (build).
#[test]
fn wrong_architecture_is_rejected_naming_the_tensor() {
    let dir = scratch("architecture");
    let (_, _, path) = saved_cnn(&dir);

    // Input 18 instead of 14: (1,18,18) -> conv (8,16,16) -> pool (8,8,8) -> conv (16,6,6)
    // -> pool (16,3,3) -> flatten (144): the first dense weight becomes [128, 144].
    let mut other = cnn_config();
    other.input = netviz::nn::config::InputSpec::Image {
        channels: 1,
        size: 18,
    };
    let mut model = other.build().unwrap();
    let before = param_values(&model);
    let msg = model_file_error(load_weights_into(&path, &other, &mut model));
    assert_contains(
        &msg,
        &["layers.7.weight: shape [128, 64] in file, model expects [128, 144]"],
    );
    assert_eq!(
        param_values(&model),
        before,
        "a failed load changes nothing"
    );

    // A wider first conv: conv weight, conv bias and the next conv's weight all differ.
    let mut other = cnn_config();
    other.layers[0] = LayerConfig::Conv {
        out_channels: 4,
        filter_size: 3,
        stride: 1,
        padding: 0,
    };
    let mut model = other.build().unwrap();
    let msg = model_file_error(load_weights_into(&path, &other, &mut model));
    assert_contains(
        &msg,
        &[
            "layers.0.weight: shape [8, 1, 3, 3] in file, model expects [4, 1, 3, 3]",
            "layers.0.bias",
            "layers.3.weight",
        ],
    );

    // One more dense layer: its tensors are missing from the file.
    let mut other = cnn_config();
    other.layers.splice(
        9..9,
        [LayerConfig::Dense { out_features: 128 }, LayerConfig::Relu],
    );
    let mut model = other.build().unwrap();
    let msg = model_file_error(load_weights_into(&path, &other, &mut model));
    assert_contains(&msg, &["missing tensor layers.11.weight"]);

    // The matching config loads.
    let same = cnn_config();
    let mut fresh = {
        let mut c = same.clone();
        c.seed = 1;
        c.build().unwrap()
    };
    load_weights_into(&path, &same, &mut fresh).unwrap();
    let (_, reference) = load_model(&path).unwrap();
    assert_eq!(param_values(&fresh), param_values(&reference));
    fs::remove_dir_all(&dir).unwrap();
}

/// Writes a safetensors file by hand (no checksum) with the given tensors and metadata.
fn write_raw(path: &Path, tensors: &[(String, Dtype, Vec<usize>, Vec<u8>)], meta: &[(&str, &str)]) {
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .map(|(n, d, s, b)| (n.clone(), TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    let meta: HashMap<String, String> = meta
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let bytes = safetensors::serialize(views, Some(meta)).unwrap();
    fs::write(path, bytes).unwrap();
}

/// The MLP's tensors as (name, dtype, shape, bytes), all zero.
fn mlp_tensors() -> Vec<(String, Dtype, Vec<usize>, Vec<u8>)> {
    ModelConfig::from_json_str(MLP)
        .unwrap()
        .param_shapes()
        .unwrap()
        .into_iter()
        .map(|(n, s)| {
            let len = s.iter().product::<usize>() * 4;
            (n, Dtype::F32, s, vec![0u8; len])
        })
        .collect()
}

#[test]
fn extra_missing_and_mistyped_tensors_are_named() {
    let dir = scratch("handmade");
    let path = dir.join("hand.safetensors");
    let config = ModelConfig::from_json_str(MLP).unwrap();
    let config_json = config.to_json_string().unwrap();

    // An extra tensor.
    let mut tensors = mlp_tensors();
    tensors.push(("layers.1.weight".into(), Dtype::F32, vec![2], vec![0; 8]));
    write_raw(&path, &tensors, &[(CONFIG_KEY, &config_json)]);
    // load_model checks the tensors against the config before it builds any layer.
    let msg = model_file_error(load_model(&path));
    assert_contains(&msg, &["unexpected tensor layers.1.weight"]);

    // A missing tensor.
    let mut tensors = mlp_tensors();
    tensors.retain(|(n, ..)| n != "layers.2.bias");
    write_raw(&path, &tensors, &[(CONFIG_KEY, &config_json)]);
    let msg = model_file_error(load_model(&path));
    assert_contains(&msg, &["missing tensor layers.2.bias", "[3]"]);

    // A tensor that is not F32.
    let mut tensors = mlp_tensors();
    tensors[0].1 = Dtype::F64;
    tensors[0].3 = vec![0; 4 * 5 * 8];
    write_raw(&path, &tensors, &[(CONFIG_KEY, &config_json)]);
    let msg = model_file_error(read_model_file(&path));
    assert_contains(
        &msg,
        &["layers.0.weight: dtype F64 in file, model expects F32"],
    );

    // No config metadata: fine for read_model_file, not for load_model.
    write_raw(&path, &mlp_tensors(), &[]);
    assert!(read_model_file(&path).unwrap().config.is_none());
    let msg = model_file_error(load_model(&path));
    assert_contains(&msg, &["no `config` metadata"]);

    // Invalid config metadata.
    write_raw(&path, &mlp_tensors(), &[(CONFIG_KEY, "{\"epochs\": 0}")]);
    let msg = model_file_error(read_model_file(&path));
    assert_contains(&msg, &["invalid `config` metadata"]);

    // A wrong checksum.
    write_raw(
        &path,
        &mlp_tensors(),
        &[(CONFIG_KEY, &config_json), (CHECKSUM_KEY, "00")],
    );
    assert_contains(
        &model_file_error(read_model_file(&path)),
        &["checksum mismatch"],
    );

    // Not a model file at all.
    fs::write(&path, b"hello, this is not a model").unwrap();
    model_file_error(read_model_file(&path));
    fs::remove_dir_all(&dir).unwrap();
}

/// Needs the real layers (build).
#[test]
fn failed_saves_keep_the_old_file_and_leave_no_temp_files() {
    let dir = scratch("atomic");
    let (config, model, path) = saved_cnn(&dir);
    let original = fs::read(&path).unwrap();

    // 1. A model that does not match its config: nothing is written.
    let mlp = ModelConfig::from_json_str(MLP).unwrap();
    let err = save_model(&path, &mlp, &model).unwrap_err();
    assert!(matches!(err, NnError::Config(_)), "{err}");
    assert_eq!(fs::read(&path).unwrap(), original);
    assert_eq!(listing(&dir), ["model.safetensors"]);

    // 2. The target is a non-empty folder: refused before anything is written, the folder
    //    untouched.
    let blocked = dir.join("blocked.safetensors");
    fs::create_dir(&blocked).unwrap();
    fs::write(blocked.join("keep.txt"), b"keep").unwrap();
    let err = save_model(&blocked, &config, &model).unwrap_err();
    assert!(matches!(err, NnError::File(_)), "{err}");
    assert_contains(
        &err.to_string(),
        &["blocked.safetensors is a folder, not a regular file"],
    );
    assert_eq!(fs::read(blocked.join("keep.txt")).unwrap(), b"keep");
    assert_eq!(listing(&dir), ["blocked.safetensors", "model.safetensors"]);

    // 3. The parent "folder" is a file: nothing is created, the file is untouched.
    let err = save_model(path.join("inner.safetensors"), &config, &model).unwrap_err();
    assert!(matches!(err, NnError::File(_)), "{err}");
    assert_eq!(fs::read(&path).unwrap(), original);
    assert_eq!(listing(&dir), ["blocked.safetensors", "model.safetensors"]);

    // 4. A read-only folder (only meaningful when not running as root, which ignores modes).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let ro = dir.join("readonly");
        fs::create_dir(&ro).unwrap();
        let target = ro.join("model.safetensors");
        save_model(&target, &config, &model).unwrap();
        fs::set_permissions(&ro, fs::Permissions::from_mode(0o555)).unwrap();
        let enforced = fs::write(ro.join("probe"), b"").is_err();
        if enforced {
            let mut other = config.clone();
            other.epochs = 3;
            assert!(save_model(&target, &other, &model).is_err());
            assert_eq!(fs::read(&target).unwrap(), fs::read(&path).unwrap());
            assert_eq!(listing(&ro), ["model.safetensors"]);
        }
        fs::set_permissions(&ro, fs::Permissions::from_mode(0o755)).unwrap();
    }

    // 5. A successful save replaces the old file and leaves only it.
    let mut other = config.clone();
    other.epochs = 3;
    save_model(&path, &other, &model).unwrap();
    assert_ne!(fs::read(&path).unwrap(), original);
    assert_eq!(read_model_file(&path).unwrap().config, Some(other));
    assert!(!listing(&dir).iter().any(|n| n.ends_with(".tmp")));
    fs::remove_dir_all(&dir).unwrap();
}

/// Needs the real layers (build).
#[test]
fn save_creates_missing_folders() {
    let dir = scratch("folders");
    let config = ModelConfig::from_json_str(MLP).unwrap();
    let model = config.build().unwrap();
    let path = dir.join("a/b/c/mlp.safetensors");
    save_model(&path, &config, &model).unwrap();
    assert_eq!(listing(&dir.join("a/b/c")), ["mlp.safetensors"]);
    fs::remove_dir_all(&dir).unwrap();
}
