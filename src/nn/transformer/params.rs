//! The parameters of a [`super::Transformer`] in one place: their order (the order of
//! `params()` and of the model file), their PyTorch `state_dict` names, shapes and initial
//! values.
//!
//! Order: `tok_emb.weight [V,D]`, `pos_emb.weight [T,D]`; per block `i`:
//! `blocks.{i}.ln1.weight [D]`, `ln1.bias [D]`, `attn.qkv.weight [3D,D]` (rows q, then k,
//! then v), `attn.qkv.bias [3D]`, `attn.proj.weight [D,D]`, `attn.proj.bias [D]`,
//! `ln2.weight [D]`, `ln2.bias [D]`, `mlp.fc.weight [4D,D]`, `mlp.fc.bias [4D]`,
//! `mlp.proj.weight [D,4D]`, `mlp.proj.bias [D]`; then `ln_f.weight [D]`, `ln_f.bias [D]`,
//! `head.weight [V,D]`, `head.bias [V]`. Every linear weight is `[out, in]`, as PyTorch's,
//! in memory and in the file.
//!
//! Initialisation (GPT-2's): every linear weight and both embeddings `N(0, 0.02^2)`, biases
//! 0, LayerNorm weights 1 and biases 0, drawn in this order from one seeded generator.

use rand_distr::{Distribution, StandardNormal};

use super::config::TransformerConfig;
use crate::nn::init::rng_from_seed;
use crate::nn::layers::Param;
use crate::nn::tensor::Tensor;

/// Standard deviation of the initial weights and embeddings.
pub const INIT_STD: f32 = 0.02;

/// Parameters per block.
pub(crate) const PER_BLOCK: usize = 12;

/// Index of `tok_emb.weight`.
pub(crate) const TOK_EMB: usize = 0;
/// Index of `pos_emb.weight`.
pub(crate) const POS_EMB: usize = 1;

/// Offsets of a block's parameters from [`block`]`(l)`.
pub(crate) mod off {
    pub const LN1_W: usize = 0;
    pub const LN1_B: usize = 1;
    pub const QKV_W: usize = 2;
    pub const QKV_B: usize = 3;
    pub const PROJ_W: usize = 4;
    pub const PROJ_B: usize = 5;
    pub const LN2_W: usize = 6;
    pub const LN2_B: usize = 7;
    pub const FC_W: usize = 8;
    pub const FC_B: usize = 9;
    pub const MPROJ_W: usize = 10;
    pub const MPROJ_B: usize = 11;
    /// Offsets of the final parameters from [`super::tail`].
    pub const LNF_W: usize = 0;
    pub const LNF_B: usize = 1;
    pub const HEAD_W: usize = 2;
    pub const HEAD_B: usize = 3;
}

/// Index of block `l`'s first parameter.
pub(crate) fn block(l: usize) -> usize {
    2 + PER_BLOCK * l
}

/// Index of the first parameter after the blocks (`ln_f.weight`) of a model of `layers`.
pub(crate) fn tail(layers: usize) -> usize {
    2 + PER_BLOCK * layers
}

/// How a parameter starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Start {
    Normal,
    Zeros,
    Ones,
}

/// Suffixes and starts of a block's parameters, in order.
const BLOCK_PARAMS: [(&str, Start); PER_BLOCK] = [
    ("ln1.weight", Start::Ones),
    ("ln1.bias", Start::Zeros),
    ("attn.qkv.weight", Start::Normal),
    ("attn.qkv.bias", Start::Zeros),
    ("attn.proj.weight", Start::Normal),
    ("attn.proj.bias", Start::Zeros),
    ("ln2.weight", Start::Ones),
    ("ln2.bias", Start::Zeros),
    ("mlp.fc.weight", Start::Normal),
    ("mlp.fc.bias", Start::Zeros),
    ("mlp.proj.weight", Start::Normal),
    ("mlp.proj.bias", Start::Zeros),
];

/// One parameter: its short name (kept in [`Param::name`]), full `state_dict` name, shape
/// and start.
#[derive(Clone, Debug)]
pub(crate) struct ParamSpec {
    pub short: &'static str,
    pub name: String,
    pub shape: Vec<usize>,
    start: Start,
}

/// Every parameter of a model of `config`, in order.
pub(crate) fn param_specs(config: &TransformerConfig) -> Vec<ParamSpec> {
    let (v, t, d, m) = (
        config.vocab,
        config.context,
        config.width,
        config.mlp_width(),
    );
    let spec = |short: &'static str, name: String, shape: Vec<usize>, start| ParamSpec {
        short,
        name,
        shape,
        start,
    };
    let mut specs = vec![
        spec(
            "tok_emb.weight",
            "tok_emb.weight".into(),
            vec![v, d],
            Start::Normal,
        ),
        spec(
            "pos_emb.weight",
            "pos_emb.weight".into(),
            vec![t, d],
            Start::Normal,
        ),
    ];
    let block_shapes = [
        vec![d],
        vec![d],
        vec![3 * d, d],
        vec![3 * d],
        vec![d, d],
        vec![d],
        vec![d],
        vec![d],
        vec![m, d],
        vec![m],
        vec![d, m],
        vec![d],
    ];
    for l in 0..config.layers {
        for ((short, start), shape) in BLOCK_PARAMS.iter().zip(&block_shapes) {
            specs.push(spec(
                short,
                format!("blocks.{l}.{short}"),
                shape.clone(),
                *start,
            ));
        }
    }
    specs.push(spec(
        "ln_f.weight",
        "ln_f.weight".into(),
        vec![d],
        Start::Ones,
    ));
    specs.push(spec("ln_f.bias", "ln_f.bias".into(), vec![d], Start::Zeros));
    specs.push(spec(
        "head.weight",
        "head.weight".into(),
        vec![v, d],
        Start::Normal,
    ));
    specs.push(spec("head.bias", "head.bias".into(), vec![v], Start::Zeros));
    specs
}

/// Freshly initialised parameters of `config` from `seed` (see the module documentation).
pub(crate) fn init_params(config: &TransformerConfig, seed: u64) -> Vec<Param> {
    let mut rng = rng_from_seed(seed);
    param_specs(config)
        .into_iter()
        .map(|spec| {
            let mut value = Tensor::zeros(&spec.shape);
            match spec.start {
                Start::Normal => {
                    for x in value.data_mut() {
                        let z: f32 = StandardNormal.sample(&mut rng);
                        *x = z * INIT_STD;
                    }
                }
                Start::Ones => value.fill(1.0),
                Start::Zeros => {}
            }
            Param::new(spec.short, value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_follow_the_documented_order_and_count() {
        let config = TransformerConfig::workload_t();
        let specs = param_specs(&config);
        assert_eq!(specs.len(), tail(config.layers) + 4);
        let total: usize = specs
            .iter()
            .map(|s| s.shape.iter().product::<usize>())
            .sum();
        assert_eq!(total, config.param_count());
        assert_eq!(specs[block(1) + off::FC_W].name, "blocks.1.mlp.fc.weight");
        assert_eq!(specs[block(0) + off::QKV_W].shape, vec![192, 64]);
        assert_eq!(specs[tail(2) + off::HEAD_B].name, "head.bias");
        assert_eq!(specs[POS_EMB].shape, vec![16, 64]);
        assert_eq!(specs[TOK_EMB].name, "tok_emb.weight");
    }
}
