//! `PlaneNet`, the `2 -> h1 -> ... -> hk -> 1` network: its gradients against central finite
//! differences of an f64 re-implementation of the forward pass, the per-point traces against
//! the batch gradient, the update previews against the updates, mini-batches, the bit-exact
//! match with `XorNet`, and `netviz xor --text` (the default run unchanged, other datasets, the
//! spiral run of 97% or more), and the headless lab training the same networks.

// The helpers of these tests unwrap: a failure there is the test's failure.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

use netviz::data::plane::{DEFAULT_POINTS, Dataset2d, DatasetKind};
use netviz::nn::config::DEFAULT_SEED;
use netviz::nn::init::rng_from_seed;
use netviz::nn::plane::{
    MOMENTUM, ParamId, PlaneLoss, PlaneNet, PlaneOptimizer, PlaneSpec, UpdateTerms,
};
use netviz::nn::xor::{Activation, XOR_INPUTS, XOR_TARGETS, XorNet};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

const ACTIVATIONS: [Activation; 3] = [Activation::Sigmoid, Activation::Tanh, Activation::Relu];
const LOSSES: [PlaneLoss; 2] = [PlaneLoss::Mse, PlaneLoss::Bce];
const OPTIMIZERS: [PlaneOptimizer; 3] = [
    PlaneOptimizer::Gd,
    PlaneOptimizer::Momentum,
    PlaneOptimizer::Adam,
];

fn spec(hidden: &[usize], activation: Activation, loss: PlaneLoss) -> PlaneSpec {
    PlaneSpec {
        hidden: hidden.to_vec(),
        activation,
        loss,
        ..PlaneSpec::default()
    }
}

/// `count` points in [-1.5, 1.5]^2 with random 0/1 labels.
fn random_points(count: usize, seed: u64) -> (Vec<[f32; 2]>, Vec<f32>) {
    let mut rng = rng_from_seed(seed);
    let xs = (0..count)
        .map(|_| {
            [
                rng.random_range(-1.5..1.5f32),
                rng.random_range(-1.5..1.5f32),
            ]
        })
        .collect();
    let ys = (0..count)
        .map(|_| if rng.random_bool(0.5) { 1.0 } else { 0.0 })
        .collect();
    (xs, ys)
}

/// Sets every bias to a random value (they start at zero, which would leave half the bias
/// paths untested and put ReLU's kink at the origin).
fn randomize_biases(net: &mut PlaneNet, seed: u64) {
    let mut rng = rng_from_seed(seed);
    for id in net.params() {
        if id.name().starts_with('b') {
            let z: f32 = StandardNormal.sample(&mut rng);
            net.set_param(id, 0.5 * z).unwrap();
        }
    }
}

/// The loss in f64, from the net's parameters with `(id, delta)` added to one of them.
fn loss_f64(net: &PlaneNet, nudge: (ParamId, f64), xs: &[[f32; 2]], ys: &[f32]) -> f64 {
    let spec = net.spec();
    let layers: Vec<(usize, Vec<f64>, Vec<f64>)> = net
        .layers()
        .iter()
        .enumerate()
        .map(|(l, layer)| {
            let mut w: Vec<f64> = layer.w.iter().map(|&v| f64::from(v)).collect();
            let mut b: Vec<f64> = layer.b.iter().map(|&v| f64::from(v)).collect();
            let (id, delta) = nudge;
            if id.layer == l + 1 {
                match id.kind {
                    netviz::nn::plane::ParamKind::Weight { to, from } => {
                        w[to * layer.inputs + from] += delta
                    }
                    netviz::nn::plane::ParamKind::Bias { to } => b[to] += delta,
                }
            }
            (layer.inputs, w, b)
        })
        .collect();
    let act = |z: f64| match spec.activation {
        Activation::Sigmoid => 1.0 / (1.0 + (-z).exp()),
        Activation::Tanh => z.tanh(),
        Activation::Relu => z.max(0.0),
    };
    let mut total = 0.0;
    for (x, &y) in xs.iter().zip(ys) {
        let mut a: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        let mut z_out = 0.0;
        for (l, (inputs, w, b)) in layers.iter().enumerate() {
            let z: Vec<f64> = b
                .iter()
                .enumerate()
                .map(|(j, bj)| bj + (0..*inputs).map(|i| w[j * inputs + i] * a[i]).sum::<f64>())
                .collect();
            if l + 1 == layers.len() {
                z_out = z[0];
            }
            a = z.into_iter().map(act).collect();
        }
        let y = f64::from(y);
        total += match spec.loss {
            PlaneLoss::Mse => {
                let y_hat = 1.0 / (1.0 + (-z_out).exp());
                0.5 * (y_hat - y).powi(2)
            }
            PlaneLoss::Bce => z_out.max(0.0) + (-z_out.abs()).exp().ln_1p() - y * z_out,
        };
    }
    total / xs.len() as f64
}

/// Bound of the gradient check: `|backward - fd| <= ABS + REL * |fd|`, with `fd` the central
/// difference `(J(p + h) - J(p - h)) / 2h` of the f64 loss, `h = 1e-6` (its own error is about
/// 1e-10 here), and the gradient computed in f32 (relative rounding about 1e-6 per operation).
const FD_STEP: f64 = 1e-6;
const FD_ABS: f64 = 1e-6;
const FD_REL: f64 = 1e-4;

#[test]
fn gradients_match_central_differences_for_every_activation_and_loss() {
    let (xs, ys) = random_points(16, 3);
    let mut worst: f64 = 0.0;
    for hidden in [&[5][..], &[4, 3, 5][..]] {
        for activation in ACTIVATIONS {
            for loss in LOSSES {
                let mut net = PlaneNet::new(&spec(hidden, activation, loss)).unwrap();
                randomize_biases(&mut net, 11);
                let grads = net.backward(&xs, &ys);
                for id in net.params() {
                    let plus = loss_f64(&net, (id, FD_STEP), &xs, &ys);
                    let minus = loss_f64(&net, (id, -FD_STEP), &xs, &ys);
                    let fd = (plus - minus) / (2.0 * FD_STEP);
                    let g = f64::from(grads.get(id).unwrap());
                    let err = (g - fd).abs();
                    worst = worst.max(err / (FD_ABS + FD_REL * fd.abs()));
                    assert!(
                        err <= FD_ABS + FD_REL * fd.abs(),
                        "{hidden:?} {activation:?} {loss:?} {id}: backward {g:e}, finite difference {fd:e}"
                    );
                }
                // The batch loss is the loss.
                let j = f64::from(grads.loss);
                let j64 = loss_f64(&net, (ParamId::bias(1, 0), 0.0), &xs, &ys);
                assert!((j - j64).abs() <= 1e-6 * j64.abs(), "{j} vs {j64}");
                assert_eq!(grads.loss, net.loss(&xs, &ys));
            }
        }
    }
    eprintln!("worst error / bound: {worst:.3}");
}

#[test]
fn trace_deltas_times_inputs_sum_to_the_batch_gradient() {
    let (xs, ys) = random_points(7, 5);
    for loss in LOSSES {
        for activation in ACTIVATIONS {
            let mut net = PlaneNet::new(&spec(&[3, 4], activation, loss)).unwrap();
            randomize_biases(&mut net, 2);
            let grads = net.backward(&xs, &ys);
            let traces: Vec<_> = xs
                .iter()
                .zip(&ys)
                .map(|(&x, &y)| net.trace(x, y, xs.len()))
                .collect();
            for id in net.params() {
                let mut sum = 0.0f32;
                for t in &traces {
                    sum += t.grad(id).unwrap();
                }
                assert_eq!(
                    sum.to_bits(),
                    grads.get(id).unwrap().to_bits(),
                    "{loss:?} {activation:?} {id}"
                );
            }
            let mut loss_sum = 0.0f32;
            for t in &traces {
                loss_sum += t.loss;
            }
            assert_eq!(loss_sum / xs.len() as f32, grads.loss);
            for (t, (&x, &y)) in traces.iter().zip(xs.iter().zip(&ys)) {
                assert_eq!(t.forward, net.forward(x));
                assert_eq!(t.forward.output(), net.predict(x));
                // Hidden: δ = (Σ δ_next · w) · f'(z) exactly.
                for l in 0..t.delta.len() - 1 {
                    for j in 0..t.delta[l].len() {
                        assert_eq!(t.delta[l][j], t.dj_da[l][j] * t.dact[l][j]);
                        let next = &net.layers()[l + 1];
                        let mut s = t.delta[l + 1][0] * next.weight(0, j);
                        for k in 1..next.outputs {
                            s += t.delta[l + 1][k] * next.weight(k, j);
                        }
                        assert_eq!(t.dj_da[l][j], s);
                    }
                }
                // Output: ∂J/∂ŷ and σ'(z) as the module documents.
                let y_hat = t.forward.output();
                let n = xs.len() as f32;
                let out = t.delta.last().unwrap()[0];
                assert_eq!(t.dact.last().unwrap()[0], y_hat * (1.0 - y_hat));
                match loss {
                    PlaneLoss::Mse => {
                        assert_eq!(t.dj_dyhat(), (y_hat - y) / n);
                        assert!(
                            (out - t.dj_dyhat() * y_hat * (1.0 - y_hat)).abs() <= 1e-6 * out.abs()
                        );
                    }
                    PlaneLoss::Bce => assert_eq!(out, (y_hat - y) / n),
                }
            }
        }
    }
}

#[test]
fn update_preview_is_what_the_next_update_does() {
    let (xs, ys) = random_points(12, 8);
    for optimizer in OPTIMIZERS {
        for batch in [0, 5] {
            let mut net = PlaneNet::new(&PlaneSpec {
                optimizer,
                batch,
                learning_rate: 0.05,
                ..spec(&[4, 4], Activation::Tanh, PlaneLoss::Bce)
            })
            .unwrap();
            // A few epochs first, so momentum's velocity and Adam's moments are not zero.
            for _ in 0..3 {
                net.train_epoch(&xs, &ys);
            }
            let (bx, by) = if batch == 0 {
                (&xs[..], &ys[..])
            } else {
                (&xs[..batch], &ys[..batch])
            };
            let grads = net.backward(bx, by);
            let previews: Vec<_> = net
                .params()
                .into_iter()
                .map(|id| net.update_preview(&grads, id).unwrap())
                .collect();
            let updates = net.updates();
            if batch == 0 {
                let loss = net.train_epoch(&xs, &ys);
                assert_eq!(loss, grads.loss);
            } else {
                assert_eq!(net.train_batch(bx, by), grads);
            }
            assert_eq!(net.updates(), updates + 1);
            for p in &previews {
                let now = net.param(p.id).unwrap();
                assert_eq!(
                    now.to_bits(),
                    p.new_value.to_bits(),
                    "{optimizer:?} {}",
                    p.id
                );
                assert_eq!(p.grad, grads.get(p.id).unwrap());
                match (&p.terms, optimizer) {
                    (UpdateTerms::Gd, PlaneOptimizer::Gd) => {
                        assert_eq!(p.new_value, p.value - p.learning_rate * p.grad)
                    }
                    (
                        UpdateTerms::Momentum {
                            velocity_before,
                            velocity_after,
                        },
                        PlaneOptimizer::Momentum,
                    ) => {
                        assert_eq!(*velocity_after, MOMENTUM * velocity_before + p.grad);
                        assert_ne!(*velocity_before, 0.0);
                        assert_eq!(p.new_value, p.value - p.learning_rate * velocity_after);
                    }
                    (
                        UpdateTerms::Adam {
                            t, step, m_before, ..
                        },
                        PlaneOptimizer::Adam,
                    ) => {
                        assert_eq!(*t, updates + 1);
                        assert_ne!(*m_before, 0.0);
                        assert_eq!(p.new_value, p.value - step);
                    }
                    (terms, _) => panic!("{optimizer:?} previewed as {terms:?}"),
                }
            }
            assert_eq!(net.grad_norms(), grads.norms().as_slice());
        }
    }
}

#[test]
fn mini_batches_are_deterministic_and_differ_from_full_batch() {
    let (xs, ys) = random_points(50, 9);
    let train = |batch: usize, seed: u64| {
        let mut net = PlaneNet::new(&PlaneSpec {
            batch,
            seed,
            optimizer: PlaneOptimizer::Adam,
            learning_rate: 0.01,
            ..spec(&[6, 6], Activation::Relu, PlaneLoss::Bce)
        })
        .unwrap();
        let losses: Vec<f32> = (0..20).map(|_| net.train_epoch(&xs, &ys)).collect();
        (net, losses)
    };
    let (a, losses_a) = train(8, 1);
    let (b, losses_b) = train(8, 1);
    assert_eq!(a, b, "the same settings train the same network");
    assert_eq!(losses_a, losses_b);
    // 50 points in batches of 8: 7 updates an epoch.
    assert_eq!((a.epochs(), a.updates()), (20, 140));
    let (full, _) = train(0, 1);
    assert_eq!(full.updates(), 20);
    assert_ne!(full.layers(), a.layers());
    // A batch of all points (or more) is the full batch.
    assert_eq!(train(50, 1).0.layers(), full.layers());
    assert_eq!(train(500, 1).0.layers(), full.layers());
    // The order is a permutation, reshuffled every epoch, and depends on the seed.
    let mut order = a.epoch_order(0, 50);
    assert_ne!(order, a.epoch_order(1, 50));
    assert_ne!(order, train(8, 2).0.epoch_order(0, 50));
    order.sort_unstable();
    assert_eq!(order, (0..50).collect::<Vec<_>>());
    // The loss an epoch returns is the loss before it.
    let (mut c, _) = train(8, 1);
    let before = c.loss(&xs, &ys);
    assert_eq!(c.train_epoch(&xs, &ys), before);
}

#[test]
fn one_hidden_layer_matches_xornet_bit_for_bit() {
    for activation in ACTIVATIONS {
        for hidden in [2, 3, 8] {
            let seed = DEFAULT_SEED + hidden as u64;
            let mut xor = XorNet::new(hidden, activation, seed).unwrap();
            let mut net = PlaneNet::new(&PlaneSpec {
                hidden: vec![hidden],
                activation,
                seed,
                ..PlaneSpec::default()
            })
            .unwrap();
            let names: Vec<String> = net.params().iter().map(ParamId::name).collect();
            let mut expected = xor.param_names();
            *expected.last_mut().unwrap() = "b2[0]".into();
            assert_eq!(names, expected);
            for epoch in 0..1000 {
                let a = xor.train_epoch(&XOR_INPUTS, &XOR_TARGETS, 0.1);
                let b = net.train_epoch(&XOR_INPUTS, &XOR_TARGETS);
                assert_eq!(
                    a.to_bits(),
                    b.to_bits(),
                    "{activation:?} h={hidden} epoch {epoch}"
                );
            }
            for (i, id) in net.params().into_iter().enumerate() {
                assert_eq!(
                    xor.param(i).to_bits(),
                    net.param(id).unwrap().to_bits(),
                    "{activation:?} h={hidden} {id}"
                );
            }
            assert_eq!(xor.grad_norms().hidden, net.grad_norms()[0]);
            for x in XOR_INPUTS {
                assert_eq!(xor.predict(x).to_bits(), net.predict(x).to_bits());
            }
            assert_eq!(
                xor.loss(&XOR_INPUTS, &XOR_TARGETS),
                net.loss(&XOR_INPUTS, &XOR_TARGETS)
            );
        }
    }
}

#[test]
fn specs_beyond_the_limits_are_refused_with_the_reason() {
    let refused = |s: PlaneSpec, needle: &str| {
        let err = PlaneNet::new(&s).unwrap_err().to_string();
        assert!(err.contains(needle), "{needle:?} missing from {err:?}");
    };
    let base = PlaneSpec::default();
    refused(
        PlaneSpec {
            hidden: vec![],
            ..base.clone()
        },
        "at least one hidden layer",
    );
    refused(
        PlaneSpec {
            hidden: vec![65],
            ..base.clone()
        },
        "65 is not in 1..=64",
    );
    refused(
        PlaneSpec {
            hidden: vec![0],
            ..base.clone()
        },
        "0 is not in 1..=64",
    );
    refused(
        PlaneSpec {
            hidden: vec![8, 17],
            ..base.clone()
        },
        "17 is not in 1..=16",
    );
    refused(
        PlaneSpec {
            hidden: vec![2; 5],
            ..base.clone()
        },
        "5 hidden layers",
    );
    refused(
        PlaneSpec {
            learning_rate: 0.0,
            ..base.clone()
        },
        "learning rate",
    );
    refused(
        PlaneSpec {
            learning_rate: f32::NAN,
            ..base.clone()
        },
        "learning rate",
    );
    assert!(
        PlaneNet::new(&PlaneSpec {
            hidden: vec![64],
            ..base.clone()
        })
        .is_ok()
    );
    assert!(
        PlaneNet::new(&PlaneSpec {
            hidden: vec![16; 4],
            ..base.clone()
        })
        .is_ok()
    );
    let mut net = PlaneNet::new(&base).unwrap();
    assert!(net.set_learning_rate(-1.0).is_err());
    assert!(net.set_param(ParamId::weight(3, 0, 0), 1.0).is_err());
    assert_eq!(net.param(ParamId::bias(1, 3)), None);
}

#[test]
fn params_are_named_and_parsed_and_survive_a_round_trip() {
    let mut net = PlaneNet::new(&spec(&[3, 2], Activation::Tanh, PlaneLoss::Mse)).unwrap();
    let names: Vec<String> = net.params().iter().map(ParamId::name).collect();
    assert_eq!(names.len(), 3 * 2 + 3 + 2 * 3 + 2 + 2 + 1);
    assert_eq!(names[0], "w1[0,0]");
    assert_eq!(names[6], "b1[0]");
    assert_eq!(names[9], "w2[0,0]");
    assert_eq!(names.last().unwrap(), "b3[0]");
    for id in net.params() {
        assert_eq!(id.name().parse::<ParamId>().unwrap(), id);
    }
    assert!("w1[0]".parse::<ParamId>().is_err());
    assert!("x1[0]".parse::<ParamId>().is_err());
    net.set_param(ParamId::weight(2, 1, 2), 7.0).unwrap();
    assert_eq!(net.layers()[1].weight(1, 2), 7.0);
    // Serde: the network, its optimizer state included, comes back as it was.
    let (xs, ys) = random_points(10, 1);
    let mut adam = PlaneNet::new(&PlaneSpec {
        optimizer: PlaneOptimizer::Adam,
        ..spec(&[3, 2], Activation::Tanh, PlaneLoss::Bce)
    })
    .unwrap();
    adam.train_epoch(&xs, &ys);
    let json = serde_json::to_string(&adam).unwrap();
    let back: PlaneNet = serde_json::from_str(&json).unwrap();
    assert_eq!(back, adam);
    // A file whose state does not fit its shape is refused.
    let broken = json.replacen("\"hidden\":[3,2]", "\"hidden\":[3,3]", 1);
    assert!(serde_json::from_str::<PlaneNet>(&broken).is_err());
}

fn netviz(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netviz"))
        .args(args)
        .env("XDG_RUNTIME_DIR", std::env::temp_dir())
        .output()
        .expect("run netviz")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `key=value` of the last line.
fn field(out: &Output, key: &str) -> Option<String> {
    let text = stdout(out);
    let last = text.lines().last()?.to_string();
    last.split(' ')
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")).map(str::to_string))
}

#[test]
fn the_default_text_run_is_the_xor_networks() {
    let out = netviz(&["xor", "--text", "--epochs", "3000", "--refresh", "1000"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut xor = XorNet::new(3, Activation::Sigmoid, DEFAULT_SEED).unwrap();
    let mut losses = Vec::new();
    for epoch in 1..=3000 {
        let loss = xor.train_epoch(&XOR_INPUTS, &XOR_TARGETS, 0.1);
        if epoch % 1000 == 0 {
            losses.push(format!("epoch {epoch:>8}  loss {loss:.6}"));
        }
    }
    let text = stdout(&out);
    for line in &losses {
        assert!(text.contains(line), "{line:?} missing from\n{text}");
    }
    let outputs: Vec<String> = XOR_INPUTS
        .iter()
        .map(|&x| format!("{:.4}", xor.predict(x)))
        .collect();
    assert_eq!(field(&out, "outputs"), Some(outputs.join(",")));
    assert_eq!(
        field(&out, "final_loss"),
        Some(format!("{:.6}", xor.loss(&XOR_INPUTS, &XOR_TARGETS)))
    );
    assert_eq!(field(&out, "epochs").as_deref(), Some("3000"));
    let right = XOR_INPUTS
        .iter()
        .zip(XOR_TARGETS)
        .filter(|&(&x, y)| (xor.predict(x) >= 0.5) == (y >= 0.5))
        .count();
    assert_eq!(
        field(&out, "accuracy"),
        Some(format!("{:.4}", right as f32 / 4.0))
    );
    assert_eq!(text.matches("  hidden ").count(), 12, "{text}");
}

#[test]
fn a_deeper_text_run_prints_every_layer_and_other_datasets_their_accuracy() {
    let out = netviz(&[
        "xor",
        "--text",
        "--hidden",
        "4,3",
        "--epochs",
        "10",
        "--refresh",
        "5",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert_eq!(text.matches("  hidden 1.").count(), 16, "{text}");
    assert_eq!(text.matches("  hidden 2.").count(), 12, "{text}");
    assert_eq!(text.matches("  output       z=").count(), 4, "{text}");
    assert!(field(&out, "outputs").is_some());

    let out = netviz(&[
        "xor",
        "--text",
        "--dataset",
        "moons",
        "--hidden",
        "8,8",
        "--optimizer",
        "momentum",
        "--batch",
        "32",
        "--epochs",
        "20",
        "--refresh",
        "10",
        "--noise",
        "0.05",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert_eq!(text.matches("\nepoch ").count(), 2, "{text}");
    assert!(!text.contains("input ("), "{text}");
    assert_eq!(field(&out, "outputs"), None);
    let accuracy: f32 = field(&out, "accuracy").unwrap().parse().unwrap();
    assert!((0.0..=1.0).contains(&accuracy));
    // Matches the library on the same data.
    let data = Dataset2d::generate(DatasetKind::Moons, DEFAULT_POINTS, 0.05, DEFAULT_SEED);
    let mut net = PlaneNet::new(&PlaneSpec {
        hidden: vec![8, 8],
        optimizer: PlaneOptimizer::Momentum,
        batch: 32,
        ..PlaneSpec::default()
    })
    .unwrap();
    for _ in 0..20 {
        net.train_epoch(&data.points, &data.labels);
    }
    assert_eq!(
        field(&out, "accuracy"),
        Some(format!("{:.4}", net.accuracy(&data.points, &data.labels)))
    );
    assert_eq!(
        field(&out, "final_loss"),
        Some(format!("{:.6}", net.loss(&data.points, &data.labels)))
    );
}

#[test]
fn the_headless_lab_trains_what_the_terminal_trains() {
    let dir = std::env::temp_dir().join(format!("netviz-plane-lab-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join("lab.png");
    let png = png.to_str().unwrap();
    for args in [
        &["--hidden", "4,4"][..],
        &["--loss", "bce"],
        &["--optimizer", "adam"],
        &["--batch", "2"],
    ] {
        let mut all = vec!["xor", "--headless", "--epochs", "300", "--size", "640x400"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--screenshot", png]);
        let out = netviz(&all);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(field(&out, "epochs").as_deref(), Some("300"), "{args:?}");
        let accuracy: f32 = field(&out, "accuracy").unwrap().parse().unwrap();
        assert!((0.0..=1.0).contains(&accuracy), "{args:?}");
        assert!(
            field(&out, "outputs").is_some(),
            "{args:?}: the four XOR points"
        );
    }
    // The spiral run of the terminal, in the lab.
    let out = netviz(&[
        "xor",
        "--headless",
        "--dataset",
        "spiral",
        "--hidden",
        "8,8",
        "--activation",
        "tanh",
        "--loss",
        "bce",
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
        "--epochs",
        "5000",
        "--size",
        "800x500",
        "--screenshot",
        png,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let accuracy: f32 = field(&out, "accuracy").unwrap().parse().unwrap();
    assert!(accuracy >= 0.97, "{}", stdout(&out));
    assert_eq!(field(&out, "outputs"), None);
    std::fs::remove_dir_all(&dir).ok();
    let out = netviz(&["xor", "--text", "--hidden", "8,17"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("17 is not in 1..=16"), "{err}");
}

#[test]
fn the_spiral_run_reaches_97_percent() {
    let start = std::time::Instant::now();
    let out = netviz(&[
        "xor",
        "--text",
        "--dataset",
        "spiral",
        "--hidden",
        "8,8",
        "--activation",
        "tanh",
        "--loss",
        "bce",
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
        "--epochs",
        "5000",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let accuracy: f32 = field(&out, "accuracy").unwrap().parse().unwrap();
    eprintln!("spiral: accuracy {accuracy} in {:.2?}", start.elapsed());
    assert!(accuracy >= 0.97, "{}", stdout(&out));
    assert_eq!(field(&out, "epochs").as_deref(), Some("5000"));
}
