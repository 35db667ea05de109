//! Saving and loading the XOR lab's network as a model file: the network becomes the
//! equivalent `Sequential` config (`dense h1 -> activation -> ... -> dense hk -> activation
//! -> dense 1 -> sigmoid` on two input features) and goes through the core's safetensors
//! files, so the file is an ordinary netviz model (`layers.0.weight` is `w1`,
//! `layers.2.weight` is `w2`, ...) that PyTorch can read too. [`save_plane`] and
//! [`load_plane`] carry a [`PlaneNet`] of any depth, [`save_xor`] and [`load_xor`] the
//! one-hidden-layer [`XorNet`].

use std::path::Path;

use crate::nn::config::{InputSpec, LayerConfig, ModelConfig};
use crate::nn::io::{encode_model, load_model, save_model};
use crate::nn::plane::{ParamId, PlaneNet, PlaneSpec, check_hidden};
use crate::nn::xor::{Activation, XorNet};
use crate::nn::{NnError, Result};

/// The config describing a `2 -> hidden -> 1` network with `activation`.
pub fn xor_config(
    hidden: usize,
    activation: Activation,
    learning_rate: f32,
    seed: u64,
) -> Result<ModelConfig> {
    plane_config(&[hidden], activation, learning_rate, seed)
}

/// The config describing a `2 -> h1 -> ... -> hk -> 1` network with `activation` after every
/// hidden layer.
pub fn plane_config(
    hidden: &[usize],
    activation: Activation,
    learning_rate: f32,
    seed: u64,
) -> Result<ModelConfig> {
    let act = match activation {
        Activation::Sigmoid => LayerConfig::Sigmoid,
        Activation::Tanh => LayerConfig::Tanh,
        Activation::Relu => LayerConfig::Relu,
    };
    let mut layers: Vec<serde_json::Value> = hidden
        .iter()
        .flat_map(|&h| {
            [
                serde_json::json!({"type": "dense", "out_features": h}),
                serde_json::json!({"type": act.type_name()}),
            ]
        })
        .collect();
    layers.push(serde_json::json!({"type": "dense", "out_features": 1}));
    layers.push(serde_json::json!({"type": "sigmoid"}));
    let json = serde_json::json!({
        "epochs": 1, "patience": 1, "batch_size": 4, "validation_subset_ratio": 1.0,
        "percent_of_train_data_to_use": 1.0, "percent_train_data_to_use_for_validation": 0.0,
        "num_classes": 1, "input_features": 2, "model_output_filename": "xor",
        "optimizer": "sgd", "learning_rate": learning_rate, "seed": seed, "init": "standard_normal",
        "layers": layers
    });
    ModelConfig::from_json_str(&json.to_string())
}

/// Writes `net` to `path` (atomically, like every model file).
pub fn save_xor(path: &Path, net: &XorNet, learning_rate: f32, seed: u64) -> Result<()> {
    let (config, model) = xor_model(net, learning_rate, seed)?;
    save_model(path, &config, &model)
}

/// The bytes of the model file [`save_xor`] writes for `net`.
pub fn encode_xor(net: &XorNet, learning_rate: f32, seed: u64) -> Result<Vec<u8>> {
    let (config, model) = xor_model(net, learning_rate, seed)?;
    encode_model(Path::new("the XOR network"), &config, &model)
}

/// `net` as the equivalent config and `Sequential`.
fn xor_model(
    net: &XorNet,
    learning_rate: f32,
    seed: u64,
) -> Result<(ModelConfig, crate::nn::Sequential)> {
    let config = xor_config(net.hidden(), net.activation(), learning_rate, seed)?;
    let mut model = config.build()?;
    let layers = model.layers_mut();
    layers[0].params_mut()[0]
        .value
        .data_mut()
        .copy_from_slice(&net.w1);
    layers[0].params_mut()[1]
        .value
        .data_mut()
        .copy_from_slice(&net.b1);
    layers[2].params_mut()[0]
        .value
        .data_mut()
        .copy_from_slice(&net.w2);
    layers[2].params_mut()[1]
        .value
        .data_mut()
        .copy_from_slice(&[net.b2]);
    Ok((config, model))
}

/// Writes `net` (any depth) to `path` (atomically, like every model file).
pub fn save_plane(path: &Path, net: &PlaneNet) -> Result<()> {
    let (config, model) = plane_model(net)?;
    save_model(path, &config, &model)
}

/// The bytes of the model file [`save_plane`] writes for `net`.
pub fn encode_plane(net: &PlaneNet) -> Result<Vec<u8>> {
    let (config, model) = plane_model(net)?;
    encode_model(Path::new("the XOR network"), &config, &model)
}

/// `net` as the equivalent config and `Sequential`: layer `l` of `net` is the config's
/// layer `2 (l - 1)`.
fn plane_model(net: &PlaneNet) -> Result<(ModelConfig, crate::nn::Sequential)> {
    let spec = net.spec();
    let config = plane_config(&spec.hidden, spec.activation, spec.learning_rate, spec.seed)?;
    let mut model = config.build()?;
    let layers = model.layers_mut();
    for (l, layer) in net.layers().iter().enumerate() {
        let params = layers[2 * l].params_mut();
        params[0].value.data_mut().copy_from_slice(&layer.w);
        params[1].value.data_mut().copy_from_slice(&layer.b);
    }
    Ok((config, model))
}

/// Reads a network saved by [`save_plane`] or [`save_xor`] (or any model file of the same
/// shape: dense layers on 2 input features, each hidden one followed by the same sigmoid,
/// tanh or ReLU, the last of one neuron followed by a sigmoid). Its spec is `base` with the
/// file's hidden layers and activation.
pub fn load_plane(path: &Path, base: &PlaneSpec) -> Result<PlaneNet> {
    let (config, model) = load_model(path)?;
    let wrong = |why: &str| NnError::ModelFile {
        path: path.to_path_buf(),
        detail: format!(
            "not an XOR network ({why}); expected dense -> sigmoid|tanh|relu (1 to 4 times) -> dense 1 -> sigmoid on 2 input features"
        ),
    };
    if config.input != InputSpec::Features(2) {
        return Err(wrong("input is not 2 features"));
    }
    let (hidden_part, tail) = match config.layers.len().checked_sub(2) {
        Some(k) if k >= 2 && k % 2 == 0 => config.layers.split_at(k),
        _ => return Err(wrong("layers")),
    };
    if !matches!(
        tail,
        [LayerConfig::Dense { out_features: 1 }, LayerConfig::Sigmoid]
    ) {
        return Err(wrong("layers"));
    }
    let mut hidden = Vec::new();
    let mut activation = None;
    for pair in hidden_part.chunks_exact(2) {
        let LayerConfig::Dense { out_features } = pair[0] else {
            return Err(wrong("layers"));
        };
        let act = match pair[1] {
            LayerConfig::Sigmoid => Activation::Sigmoid,
            LayerConfig::Tanh => Activation::Tanh,
            LayerConfig::Relu => Activation::Relu,
            _ => return Err(wrong("hidden activation")),
        };
        if activation.is_some_and(|a| a != act) {
            return Err(wrong("hidden layers with different activations"));
        }
        activation = Some(act);
        hidden.push(out_features);
    }
    check_hidden(&hidden).map_err(|why| wrong(&format!("hidden layers {hidden:?}: {why}")))?;
    let spec = PlaneSpec {
        hidden,
        activation: activation.unwrap_or_default(),
        ..base.clone()
    };
    let mut net = PlaneNet::new(&spec)?;
    let layers = model.layers();
    for l in 0..net.layers().len() {
        let params = layers[2 * l].params();
        let (w, b) = (params[0].value.data(), params[1].value.data());
        let (inputs, outputs) = (net.layers()[l].inputs, net.layers()[l].outputs);
        if w.len() != inputs * outputs || b.len() != outputs {
            return Err(wrong("parameter shapes"));
        }
        for to in 0..outputs {
            for from in 0..inputs {
                net.set_param(ParamId::weight(l + 1, to, from), w[to * inputs + from])?;
            }
            net.set_param(ParamId::bias(l + 1, to), b[to])?;
        }
    }
    Ok(net)
}

/// Reads a network saved by [`save_xor`] (or any model file of the same shape).
pub fn load_xor(path: &Path) -> Result<XorNet> {
    let (config, model) = load_model(path)?;
    let wrong = |why: &str| NnError::ModelFile {
        path: path.to_path_buf(),
        detail: format!(
            "not an XOR network ({why}); expected dense -> sigmoid|tanh|relu -> dense 1 -> sigmoid on 2 input features"
        ),
    };
    if config.input != InputSpec::Features(2) {
        return Err(wrong("input is not 2 features"));
    }
    let activation = match config.layers.as_slice() {
        [
            LayerConfig::Dense { .. },
            act,
            LayerConfig::Dense { out_features: 1 },
            LayerConfig::Sigmoid,
        ] => match act {
            LayerConfig::Sigmoid => Activation::Sigmoid,
            LayerConfig::Tanh => Activation::Tanh,
            LayerConfig::Relu => Activation::Relu,
            _ => return Err(wrong("hidden activation")),
        },
        _ => return Err(wrong("layers")),
    };
    let layers = model.layers();
    let w1 = layers[0].params()[0].value.data().to_vec();
    let hidden = w1.len() / 2;
    let mut net = XorNet::new(hidden, activation, 0)?;
    net.w1 = w1;
    net.b1 = layers[0].params()[1].value.data().to_vec();
    net.w2 = layers[2].params()[0].value.data().to_vec();
    net.b2 = layers[2].params()[1].value.data()[0];
    Ok(net)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::Tensor;
    use crate::nn::xor::XOR_INPUTS;

    #[test]
    fn saved_networks_load_back_and_predict_like_the_sequential_model() {
        let dir = std::env::temp_dir().join(format!("netviz-xorfile-{}", std::process::id()));
        let path = dir.join("xor.safetensors");
        let mut net = XorNet::new(4, Activation::Tanh, 9).unwrap();
        net.b1 = vec![0.1, -0.2, 0.3, -0.4];
        net.b2 = 0.25;
        save_xor(&path, &net, 0.1, 9).unwrap();
        let back = load_xor(&path).unwrap();
        assert_eq!(back, net);
        // The file is an ordinary model: the core's Sequential computes the same outputs.
        let (_, mut model) = load_model(&path).unwrap();
        let x = Tensor::from_vec(&[4, 2], XOR_INPUTS.iter().flatten().copied().collect()).unwrap();
        let out = model.forward(&x).unwrap().data().to_vec();
        for (o, p) in out.iter().zip(XOR_INPUTS) {
            assert!((o - net.predict(p)).abs() < 1e-6);
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn deeper_networks_load_back_with_every_parameter() {
        let dir = std::env::temp_dir().join(format!("netviz-planefile-{}", std::process::id()));
        let path = dir.join("deep.safetensors");
        let spec = PlaneSpec {
            hidden: vec![4, 3, 5],
            activation: Activation::Tanh,
            ..PlaneSpec::default()
        };
        let mut net = PlaneNet::new(&spec).unwrap();
        net.set_param(ParamId::bias(2, 1), 0.75).unwrap();
        save_plane(&path, &net).unwrap();
        let back = load_plane(&path, &PlaneSpec::default()).unwrap();
        assert_eq!(back.spec().hidden, vec![4, 3, 5]);
        assert_eq!(back.spec().activation, Activation::Tanh);
        assert_eq!(back.layers(), net.layers());
        let (_, mut model) = load_model(&path).unwrap();
        let x = Tensor::from_vec(&[4, 2], XOR_INPUTS.iter().flatten().copied().collect()).unwrap();
        let out = model.forward(&x).unwrap().data().to_vec();
        for (o, p) in out.iter().zip(XOR_INPUTS) {
            assert!((o - net.predict(p)).abs() < 1e-5);
        }
        // A one-layer file is read as one hidden layer too.
        let xor = XorNet::new(3, Activation::Sigmoid, 5).unwrap();
        save_xor(&path, &xor, 0.1, 5).unwrap();
        let back = load_plane(&path, &PlaneSpec::default()).unwrap();
        assert_eq!(back.spec().hidden, vec![3]);
        assert_eq!(back.layers()[0].w, xor.w1);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn other_models_are_refused() {
        let dir = std::env::temp_dir().join(format!("netviz-xorfile-cnn-{}", std::process::id()));
        let path = dir.join("cnn.safetensors");
        let config =
            ModelConfig::from_json_str(include_str!("../../../assets/configs/default_cnn.json"))
                .unwrap();
        save_model(&path, &config, &config.build().unwrap()).unwrap();
        let err = load_xor(&path).unwrap_err().to_string();
        assert!(err.contains("not an XOR network"), "{err}");
        let err = load_plane(&path, &PlaneSpec::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("not an XOR network"), "{err}");
        std::fs::remove_dir_all(&dir).ok();
    }
}
