//! Whole-model tests: gradients against finite differences, trace against the batch forward,
//! head switching, evaluate against the training pass, thread counts, files, bad input, and
//! the sort task.

use rand::Rng;

use super::shard::{Workspace, forward};
use super::*;
use crate::nn::init::{NnRng, rng_from_seed};
use crate::nn::optim::{Adam, AdamConfig};
use crate::nn::{NnError, Optimizer};

fn small_config() -> TransformerConfig {
    TransformerConfig {
        vocab: 7,
        context: 6,
        width: 8,
        heads: 2,
        layers: 2,
    }
}

/// A model with larger-than-initial random weights (so every gradient is far from zero) and
/// LayerNorm weights around 1.
fn scrambled_model(config: TransformerConfig, seed: u64) -> Transformer {
    let mut model = Transformer::new(config, seed).unwrap();
    let mut rng = rng_from_seed(seed + 100);
    for p in model.params_mut() {
        let is_ln_weight = p.name.starts_with("ln") && p.name.ends_with("weight");
        for v in p.value.data_mut() {
            let r: f32 = rng.random_range(-0.5..0.5);
            *v = if is_ln_weight { 1.0 + r } else { r };
        }
    }
    model
}

fn random_batch(
    rng: &mut NnRng,
    config: &TransformerConfig,
    n: usize,
    scored: Vec<bool>,
) -> SeqBatch {
    let len = scored.len();
    let mut batch = SeqBatch::new(scored);
    for _ in 0..n {
        let tokens: Vec<u32> = (0..len)
            .map(|_| rng.random_range(0..config.vocab as u32))
            .collect();
        let targets: Vec<u32> = (0..len)
            .map(|_| rng.random_range(0..config.vocab as u32))
            .collect();
        batch.push(&tokens, &targets);
    }
    batch
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

#[test]
fn model_gradients_match_finite_differences() {
    // Every parameter tensor, up to 5 entries each, against central differences of the mean
    // loss (f32 forward, f64 sums) with step 1e-2: tolerance 3e-4 absolute + 3e-2 relative.
    let config = small_config();
    let mut model = scrambled_model(config, 3);
    let batch = random_batch(
        &mut rng_from_seed(4),
        &config,
        3,
        vec![false, true, true, false, true],
    );
    let heads = HeadMask::all_on(&config);
    model.zero_grad();
    model.forward_backward(&batch).unwrap();
    let names = model.param_names();
    let mut rng = rng_from_seed(5);
    let h = 1e-2f32;
    let mut checked = 0;
    for (i, name) in names.iter().enumerate() {
        let n = model.params()[i].value.len();
        for _ in 0..5.min(n) {
            let k = rng.random_range(0..n);
            let analytic = model.params()[i].grad.data()[k];
            let mut m = model.clone();
            m.params_mut()[i].value.data_mut()[k] += h;
            let plus = f64::from(m.evaluate(&batch, &heads).unwrap().loss);
            m.params_mut()[i].value.data_mut()[k] -= 2.0 * h;
            let minus = f64::from(m.evaluate(&batch, &heads).unwrap().loss);
            let fd = (plus - minus) / (2.0 * f64::from(h));
            let tol = 3e-4 + 3e-2 * fd.abs();
            assert!(
                (f64::from(analytic) - fd).abs() < tol,
                "{name}[{k}]: analytic {analytic}, finite difference {fd}"
            );
            checked += 1;
        }
    }
    assert!(checked > 100);
    // Position 0 and 3 are never scored, but the embedding of a token seen only there still
    // matters through attention; position embeddings of the last position (5) are unused.
    let pos = &model.params()[1];
    assert!(pos.grad.data()[5 * 8..].iter().all(|&g| g == 0.0));
}

#[test]
fn gradients_accumulate_and_zero_grad_clears_them() {
    let config = small_config();
    let mut model = scrambled_model(config, 1);
    let batch = random_batch(&mut rng_from_seed(2), &config, 2, vec![true; 4]);
    model.forward_backward(&batch).unwrap();
    let once: Vec<f32> = model.params()[2].grad.data().to_vec();
    model.forward_backward(&batch).unwrap();
    for (a, b) in model.params()[2].grad.data().iter().zip(&once) {
        assert!((a - 2.0 * b).abs() <= 1e-6 * b.abs().max(1.0));
    }
    model.zero_grad();
    assert!(
        model
            .params()
            .iter()
            .all(|p| p.grad.data().iter().all(|&g| g == 0.0))
    );
}

#[test]
fn trace_matches_the_batch_forward() {
    let config = small_config();
    let model = scrambled_model(config, 7);
    let batch = random_batch(&mut rng_from_seed(8), &config, 4, vec![true; 6]);
    let mut ws = Workspace::default();
    ws.prepare(&config, model.params(), 4, 6, false);
    forward(&mut ws, model.params(), &config, &batch.tokens, 6, None);
    let heads = HeadMask::all_on(&config);
    for s in 0..4 {
        let trace = model.trace(batch.tokens_of(s), &heads).unwrap();
        let want = &ws.logits[s * 6 * 7..(s + 1) * 6 * 7];
        for (a, b) in trace.logits.iter().zip(want) {
            assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0), "{a} vs {b}");
        }
        assert_eq!(trace.layers.len(), 2);
        assert_eq!(trace.embed.len(), 6 * 8);
        for row in trace.probs.chunks_exact(7) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
        for layer in &trace.layers {
            assert_eq!(layer.scores.len(), 2 * 6 * 6);
            for (i, row) in layer.weights.chunks_exact(6).enumerate() {
                let q = i % 6;
                assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
                assert!(row[q + 1..].iter().all(|&w| w == 0.0));
            }
            // The weights are the softmax of the scores over j <= i.
            let row = &layer.scores[3 * 6..3 * 6 + 4];
            let max = row.iter().copied().fold(f32::MIN, f32::max);
            let sum: f32 = row.iter().map(|s| (s - max).exp()).sum();
            let w0 = (row[0] - max).exp() / sum;
            assert!((w0 - layer.weights[3 * 6]).abs() < 1e-5);
        }
        for (a, b) in trace.layers[1]
            .resid
            .iter()
            .zip(&ws.resid[2][s * 48..(s + 1) * 48])
        {
            assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0), "{a} vs {b}");
        }
    }
}

#[test]
fn switching_a_head_off_zeroes_exactly_its_output_columns() {
    let config = small_config();
    let model = scrambled_model(config, 9);
    let tokens = [1u32, 2, 3, 4, 5];
    let on = HeadMask::all_on(&config);
    let mut off = on.clone();
    off.set(1, 0, false);
    assert_eq!(off.off_count(), 1);
    let a = model.trace(&tokens, &on).unwrap();
    let b = model.trace(&tokens, &off).unwrap();
    // Block 0 is untouched; in block 1, head 0's columns (0..4) are zero, head 1's equal.
    assert_eq!(a.layers[0].head_out, b.layers[0].head_out);
    for row in 0..5 {
        let (ra, rb) = (
            &a.layers[1].head_out[row * 8..],
            &b.layers[1].head_out[row * 8..],
        );
        assert!(rb[..4].iter().all(|&x| x == 0.0));
        assert!(ra[..4].iter().any(|&x| x != 0.0));
        assert_eq!(ra[4..8], rb[4..8]);
    }
    assert_ne!(a.logits, b.logits);
}

#[test]
fn evaluate_equals_the_stats_of_forward_backward() {
    let config = small_config();
    let mut model = scrambled_model(config, 11);
    let batch = random_batch(&mut rng_from_seed(12), &config, 5, vec![false, true, true]);
    let heads = HeadMask::all_on(&config);
    let eval = model.evaluate(&batch, &heads).unwrap();
    let train = model.forward_backward(&batch).unwrap();
    assert_eq!(eval.correct, train.correct);
    assert_eq!(eval.exact, train.exact);
    assert_eq!((eval.scored, eval.sequences), (10, 5));
    assert!((eval.loss - train.loss).abs() < 1e-6);
    let mut off = heads.clone();
    off.set(0, 1, false);
    assert_ne!(model.evaluate(&batch, &off).unwrap().loss, eval.loss);
}

#[test]
fn one_and_two_threads_give_the_same_gradients() {
    let config = TransformerConfig::workload_t();
    let batch = random_batch(&mut rng_from_seed(13), &config, 7, vec![true; 16]);
    let grads = |threads: usize| {
        let mut model = Transformer::new(config, 14).unwrap();
        let stats = pool(threads)
            .install(|| model.forward_backward(&batch))
            .unwrap();
        let grads: Vec<Vec<f32>> = model
            .params()
            .iter()
            .map(|p| p.grad.data().to_vec())
            .collect();
        (stats, grads)
    };
    let (s1, g1) = grads(1);
    let (s2, g2) = grads(2);
    assert_eq!((s1.correct, s1.exact), (s2.correct, s2.exact));
    assert!((s1.loss - s2.loss).abs() < 1e-6);
    for (a, b) in g1.iter().zip(&g2) {
        let scale = a.iter().fold(0.0f32, |m, x| m.max(x.abs())).max(1e-12);
        for (x, y) in a.iter().zip(b) {
            assert!((x - y).abs() <= 1e-5 * scale, "{x} vs {y}");
        }
    }
}

#[test]
fn bad_batches_are_refused_without_panicking() {
    let config = small_config();
    let mut model = Transformer::new(config, 0).unwrap();
    let heads = HeadMask::all_on(&config);
    let mut batch = SeqBatch::new(vec![true; 3]);
    batch.push(&[1, 7, 2], &[0, 0, 0]);
    for err in [
        model.forward_backward(&batch).unwrap_err(),
        model.evaluate(&batch, &heads).unwrap_err(),
        model.trace(&[1, 9], &heads).unwrap_err(),
    ] {
        assert!(matches!(err, NnError::Shape { .. }), "{err}");
        assert!(err.to_string().contains("vocabulary"), "{err}");
    }
    let long = SeqBatch::new(vec![true; 7]);
    assert!(matches!(
        model.forward_backward(&long),
        Err(NnError::Shape { .. })
    ));
    let empty = SeqBatch::new(vec![]);
    assert!(matches!(
        model.forward_backward(&empty),
        Err(NnError::Shape { .. })
    ));
    let no_sequences = SeqBatch::new(vec![true; 3]);
    assert!(matches!(
        model.evaluate(&no_sequences, &heads),
        Err(NnError::Shape { .. })
    ));
    let mut bad_target = SeqBatch::new(vec![true; 2]);
    bad_target.push(&[1, 2], &[1, 70]);
    assert!(model.forward_backward(&bad_target).is_err());
    assert!(model.trace(&[], &heads).is_err());
    assert!(model.trace(&[0; 7], &heads).is_err());
    let other = HeadMask::all_on(&TransformerConfig::workload_t());
    assert!(model.trace(&[1, 2], &other).is_err());
    // Too many parameters for a model file.
    let huge = TransformerConfig {
        vocab: 65_536,
        context: 4096,
        width: 4096,
        heads: 64,
        layers: 64,
    };
    assert!(matches!(Transformer::new(huge, 0), Err(NnError::Config(_))));
}

#[test]
fn a_non_finite_loss_is_reported() {
    let config = small_config();
    let mut model = Transformer::new(config, 0).unwrap();
    model.params_mut()[0].value.data_mut()[8] = f32::NAN;
    let mut batch = SeqBatch::new(vec![true; 2]);
    batch.push(&[1, 2], &[1, 2]);
    let err = model.forward_backward(&batch).unwrap_err();
    assert!(matches!(err, NnError::NonFinite { .. }), "{err}");
}

#[test]
fn warmup_is_linear_then_flat() {
    assert_eq!(warmup_lr(1e-3, 0, 0), 1e-3);
    assert_eq!(warmup_lr(1.0, 0, 4), 0.25);
    assert_eq!(warmup_lr(1.0, 3, 4), 1.0);
    assert_eq!(warmup_lr(1.0, 100, 4), 1.0);
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("netviz-transformer-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn save_and_load_round_trip_bit_identical() {
    let config = small_config();
    let model = scrambled_model(config, 21);
    let dir = temp_dir("round-trip");
    let path = dir.join("t.safetensors");
    model.save(&path).unwrap();
    let back = Transformer::load(&path).unwrap();
    assert_eq!(back.config(), model.config());
    for (a, b) in model.params().iter().zip(back.params()) {
        assert_eq!(a.name, b.name);
        assert_eq!(a.value.shape(), b.value.shape());
        let bits = |p: &crate::nn::Param| {
            p.value
                .data()
                .iter()
                .map(|v| v.to_bits())
                .collect::<Vec<_>>()
        };
        assert_eq!(bits(a), bits(b));
    }
    // Saving the loaded model again gives the same weights.
    let again = Transformer::from_bytes(&back.to_bytes().unwrap(), &path).unwrap();
    assert_eq!(again.params()[2].value, model.params()[2].value);
    let _ = std::fs::remove_dir_all(dir);
}

/// A file of `model` whose tensors were changed by `edit` (name, values) and re-encoded with
/// a correct checksum over the new content, so only the content checks can refuse it.
fn rewritten(
    model: &Transformer,
    edit: impl Fn(&str, &mut Vec<usize>, &mut Vec<f32>) -> bool,
) -> Vec<u8> {
    use safetensors::tensor::{Dtype, TensorView};
    let bytes = model.to_bytes().unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let meta = header.metadata().clone().unwrap();
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for (name, view) in st.tensors() {
        let mut shape = view.shape().to_vec();
        let mut values: Vec<f32> = view
            .data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        if edit(&name, &mut shape, &mut values) {
            tensors.push((
                name,
                shape,
                values.iter().flat_map(|v| v.to_le_bytes()).collect(),
            ));
        }
    }
    let checksum = crate::nn::io::content_checksum(
        &meta[crate::nn::io::CONFIG_KEY],
        tensors
            .iter()
            .map(|(n, s, b)| (n.as_str(), Dtype::F32, s.as_slice(), b.as_slice())),
    );
    let mut meta = meta;
    meta.insert(crate::nn::io::CHECKSUM_KEY.into(), checksum);
    let views: Vec<(String, TensorView<'_>)> = tensors
        .iter()
        .map(|(n, s, b)| {
            (
                n.clone(),
                TensorView::new(Dtype::F32, s.clone(), b).unwrap(),
            )
        })
        .collect();
    safetensors::serialize(views, Some(meta)).unwrap()
}

/// `bytes` with the first `from` replaced by `to` (same length).
fn replace_bytes(bytes: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let at = bytes.windows(from.len()).position(|w| w == from).unwrap();
    let mut out = bytes.to_vec();
    out[at..at + to.len()].copy_from_slice(to);
    out
}

/// A file with the given config metadata, no tensors and a matching checksum.
fn config_only_file(config_json: &str) -> Vec<u8> {
    use crate::nn::io::{CHECKSUM_KEY, CONFIG_KEY, content_checksum};
    let checksum = content_checksum(config_json, std::iter::empty());
    let meta = std::collections::HashMap::from([
        (CONFIG_KEY.to_string(), config_json.to_string()),
        (CHECKSUM_KEY.to_string(), checksum),
    ]);
    let none: Vec<(String, safetensors::tensor::TensorView<'_>)> = Vec::new();
    safetensors::serialize(none, Some(meta)).unwrap()
}

#[test]
fn damaged_files_are_refused_with_messages() {
    let config = small_config();
    let model = scrambled_model(config, 22);
    let path = std::path::Path::new("t.safetensors");
    let good = model.to_bytes().unwrap();
    let refuse = |bytes: &[u8], needle: &str| {
        let err = Transformer::from_bytes(bytes, path).unwrap_err();
        assert!(matches!(err, NnError::ModelFile { .. }), "{err}");
        assert!(err.to_string().contains(needle), "{needle:?} not in {err}");
    };
    refuse(&good[..good.len() - 9], "truncated");
    refuse(&good[..5], "truncated");
    let mut altered = good.clone();
    let at = altered.len() - 20;
    altered[at] ^= 0x40;
    refuse(&altered, "checksum");
    refuse(
        &rewritten(&model, |n, _, v| {
            if n == "blocks.1.mlp.fc.bias" {
                v[3] = f32::NAN;
            }
            true
        }),
        "non-finite",
    );
    refuse(
        &rewritten(&model, |n, s, v| {
            if n == "head.bias" {
                s[0] = 6;
                v.truncate(6);
            }
            true
        }),
        "head.bias: shape [6]",
    );
    refuse(
        &rewritten(&model, |n, _, _| n != "ln_f.weight"),
        "missing tensor ln_f.weight",
    );
    // An edited config: the checksum no longer matches; with a matching checksum, the
    // config itself is refused (over the limits, or not a transformer).
    let edited = replace_bytes(&good, br#"\"heads\":2"#, br#"\"heads\":3"#);
    refuse(&edited, "checksum");
    refuse(
        &config_only_file(
            r#"{"kind":"transformer","vocab":70000,"context":6,"width":8,"heads":2,"layers":2}"#,
        ),
        "vocabulary",
    );
    refuse(
        &config_only_file(r#"{"kind":"cnn","vocab":7,"context":6,"width":8,"heads":2,"layers":2}"#),
        "not a transformer",
    );
    refuse(&config_only_file("{"), "invalid `config`");
    // A real file on disk that is not a model.
    let dir = temp_dir("damaged");
    let file = dir.join("junk.safetensors");
    std::fs::write(&file, b"not a model at all").unwrap();
    let err = Transformer::load(&file).unwrap_err();
    assert!(matches!(err, NnError::ModelFile { .. }), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

/// One sort-task sequence (8 digits, separator 10, the digits sorted), as input and targets.
fn sort_sequence(rng: &mut NnRng) -> (Vec<u32>, Vec<u32>) {
    let mut full: Vec<u32> = (0..8).map(|_| rng.random_range(0..10)).collect();
    let mut sorted = full.clone();
    sorted.sort_unstable();
    full.push(10);
    full.extend(sorted);
    (full[..16].to_vec(), full[1..].to_vec())
}

fn sort_batch(rng: &mut NnRng, n: usize) -> SeqBatch {
    let mut batch = SeqBatch::new((0..16).map(|p| p >= 8).collect());
    for _ in 0..n {
        let (tokens, targets) = sort_sequence(rng);
        batch.push(&tokens, &targets);
    }
    batch
}

#[test]
fn sort_is_solved_for_a_fixed_seed() {
    let config = TransformerConfig::workload_t();
    let mut model = Transformer::new(config, 0).unwrap();
    let mut opt = Adam::new(AdamConfig::default());
    let held_out = sort_batch(&mut rng_from_seed(12_345), 1000);
    let heads = HeadMask::all_on(&config);
    let mut rng = rng_from_seed(2);
    let mut exact = 0.0;
    for step in 0..3000u64 {
        opt.set_learning_rate(warmup_lr(3e-3, step, 50));
        model
            .train_step(&sort_batch(&mut rng, 32), &mut opt)
            .unwrap();
        if (step + 1) % 100 == 0 {
            exact = model.evaluate(&held_out, &heads).unwrap().exact_accuracy();
            if exact == 1.0 {
                return;
            }
        }
    }
    panic!("sort task: {:.1}% exact after 3000 steps", 100.0 * exact);
}
