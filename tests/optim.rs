//! Optimizer steps against numbers worked out by hand.
//!
//! Every test uses the same parameter and gradients:
//! `p0 = [1, -2]`, step 1 gradient `g1 = [0.5, -1]`, step 2 gradient `g2 = [1, 0.25]`.

use netviz::nn::optim::{Adam, AdamConfig, Sgd, SgdConfig};
use netviz::nn::{Optimizer, OptimizerKind, Param, Tensor};

const G1: [f32; 2] = [0.5, -1.0];
const G2: [f32; 2] = [1.0, 0.25];

fn param() -> Param {
    Param::new(
        "weight",
        Tensor::from_vec(&[2], vec![1.0, -2.0]).expect("two values"),
    )
}

/// One optimizer step on `p` with gradient `g`, as `Sequential::apply_gradients` does it.
fn step(opt: &mut dyn Optimizer, p: &mut Param, g: [f32; 2]) {
    p.grad.data_mut().copy_from_slice(&g);
    opt.begin_step();
    opt.update(0, p);
}

fn assert_close(got: &[f32], want: &[f64], tol: f64) {
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!(
            (f64::from(g) - w).abs() <= tol,
            "value {i}: got {g}, want {w} (all: {got:?} vs {want:?})"
        );
    }
}

#[test]
fn sgd_without_momentum_two_steps() {
    // lr = 0.1.
    // Step 1: p = [1, -2] - 0.1 * [0.5, -1] = [0.95, -1.9]
    // Step 2: p = [0.95, -1.9] - 0.1 * [1, 0.25] = [0.85, -1.925]
    let mut opt = Sgd::new(SgdConfig {
        learning_rate: 0.1,
        momentum: 0.0,
    });
    let mut p = param();
    step(&mut opt, &mut p, G1);
    assert_close(p.value.data(), &[0.95, -1.9], 1e-6);
    step(&mut opt, &mut p, G2);
    assert_close(p.value.data(), &[0.85, -1.925], 1e-6);
}

#[test]
fn sgd_with_momentum_two_steps() {
    // lr = 0.1, mu = 0.9, v0 = 0.
    // Step 1: v = 0.9 * 0 + [0.5, -1] = [0.5, -1]
    //         p = [1, -2] - 0.1 * [0.5, -1] = [0.95, -1.9]
    // Step 2: v = 0.9 * [0.5, -1] + [1, 0.25] = [0.45 + 1, -0.9 + 0.25] = [1.45, -0.65]
    //         p = [0.95, -1.9] - 0.1 * [1.45, -0.65] = [0.805, -1.835]
    let mut opt = Sgd::new(SgdConfig {
        learning_rate: 0.1,
        momentum: 0.9,
    });
    let mut p = param();
    step(&mut opt, &mut p, G1);
    assert_close(p.value.data(), &[0.95, -1.9], 1e-6);
    step(&mut opt, &mut p, G2);
    assert_close(p.value.data(), &[0.805, -1.835], 1e-6);
}

#[test]
fn sgd_learning_rate_change_applies_to_next_step_and_keeps_velocity() {
    // As above, but lr becomes 0.2 before step 2; the velocity is kept.
    // Step 2: v = [1.45, -0.65] (unchanged by the lr)
    //         p = [0.95, -1.9] - 0.2 * [1.45, -0.65] = [0.95 - 0.29, -1.9 + 0.13] = [0.66, -1.77]
    let mut opt = Sgd::new(SgdConfig {
        learning_rate: 0.1,
        momentum: 0.9,
    });
    let mut p = param();
    step(&mut opt, &mut p, G1);
    opt.set_learning_rate(0.2);
    assert_eq!(opt.learning_rate(), 0.2);
    // Step 1 already happened: its result is untouched by the change.
    assert_close(p.value.data(), &[0.95, -1.9], 1e-6);
    step(&mut opt, &mut p, G2);
    assert_close(p.value.data(), &[0.66, -1.77], 1e-6);
}

#[test]
fn sgd_update_ratio_of_last_step() {
    // Step 1 of the plain SGD test: delta = -0.1 * [0.5, -1] = [-0.05, 0.1],
    // ||delta|| = sqrt(0.0025 + 0.01) = sqrt(0.0125), ||p0|| = sqrt(1 + 4) = sqrt(5),
    // ratio = sqrt(0.0125 / 5) = sqrt(0.0025) = 0.05.
    let mut opt = Sgd::new(SgdConfig {
        learning_rate: 0.1,
        momentum: 0.0,
    });
    let mut p = param();
    assert_eq!(opt.last_update_ratio(0), None);
    step(&mut opt, &mut p, G1);
    let r = opt.last_update_ratio(0).expect("a ratio after a step");
    assert!((r - 0.05).abs() < 1e-6, "ratio {r}");
    assert_eq!(opt.last_update_ratio(1), None);
}

#[test]
fn adam_two_steps_with_learning_rate_change() {
    // b1 = 0.9, b2 = 0.999, eps = 1e-8; lr = 0.1 for step 1, then 0.05 for step 2.
    //
    // Step 1 (t = 1):
    //   m = 0.1 * [0.5, -1] = [0.05, -0.1]
    //   v = 0.001 * [0.25, 1] = [0.00025, 0.001]
    //   m_hat = m / (1 - 0.9) = [0.5, -1];  v_hat = v / (1 - 0.999) = [0.25, 1]
    //   delta = 0.1 * [0.5 / (0.5 + 1e-8), -1 / (1 + 1e-8)] = [0.1, -0.1] (to 1e-8)
    //   p = [1 - 0.1, -2 + 0.1] = [0.9, -1.9]
    //
    // Step 2 (t = 2), g = [1, 0.25]:
    //   m = 0.9 * [0.05, -0.1] + 0.1 * [1, 0.25] = [0.045 + 0.1, -0.09 + 0.025] = [0.145, -0.065]
    //   v = 0.999 * [0.00025, 0.001] + 0.001 * [1, 0.0625]
    //     = [0.00024975 + 0.001, 0.000999 + 0.0000625] = [0.00124975, 0.0010615]
    //   1 - 0.9^2 = 0.19;  1 - 0.999^2 = 1 - 0.998001 = 0.001999
    //   m_hat = [0.145 / 0.19, -0.065 / 0.19] = [0.7631579, -0.3421053]
    //   v_hat = [0.00124975 / 0.001999, 0.0010615 / 0.001999] = [0.6251876, 0.5310155]
    //   sqrt(v_hat) = [0.7906881, 0.7287081]
    //   delta = 0.05 * [0.7631579 / 0.7906881, -0.3421053 / 0.7287081]
    //         = 0.05 * [0.9651820, -0.4694682] = [0.0482591, -0.0234734]
    //   p = [0.9 - 0.0482591, -1.9 + 0.0234734] = [0.8517409, -1.8765266]
    let mut opt = Adam::new(AdamConfig {
        learning_rate: 0.1,
        ..AdamConfig::default()
    });
    let mut p = param();
    step(&mut opt, &mut p, G1);
    assert_close(p.value.data(), &[0.9, -1.9], 1e-6);
    opt.set_learning_rate(0.05);
    step(&mut opt, &mut p, G2);
    assert_close(p.value.data(), &[0.8517409, -1.8765266], 2e-6);
    assert_eq!(opt.steps(), 2);
}

#[test]
fn adam_without_learning_rate_change() {
    // Same as above with lr = 0.1 for both steps: step 2's delta doubles,
    //   delta = 0.1 * [0.9651820, -0.4694682] = [0.0965182, -0.0469468]
    //   p = [0.9 - 0.0965182, -1.9 + 0.0469468] = [0.8034818, -1.8530532]
    let mut opt = Adam::new(AdamConfig {
        learning_rate: 0.1,
        ..AdamConfig::default()
    });
    let mut p = param();
    step(&mut opt, &mut p, G1);
    step(&mut opt, &mut p, G2);
    assert_close(p.value.data(), &[0.8034818, -1.8530532], 2e-6);
}

#[test]
fn adam_update_ratio_of_last_step() {
    // Step 1 moves each value by 0.1 (to 1e-8): ||delta|| = sqrt(0.02), ||p0|| = sqrt(5),
    // ratio = sqrt(0.02 / 5) = sqrt(0.004) = 0.0632456.
    let mut opt = Adam::new(AdamConfig {
        learning_rate: 0.1,
        ..AdamConfig::default()
    });
    let mut p = param();
    step(&mut opt, &mut p, G1);
    let r = opt.last_update_ratio(0).expect("a ratio after a step");
    assert!((r - 0.063_245_6).abs() < 1e-6, "ratio {r}");
}

#[test]
fn adam_defaults_match_pytorch() {
    let c = AdamConfig::default();
    assert_eq!(
        (c.learning_rate, c.beta1, c.beta2, c.eps),
        (1e-3, 0.9, 0.999, 1e-8)
    );
    assert_eq!(SgdConfig::default().momentum, 0.0);
}

#[test]
fn state_is_kept_per_index() {
    // Two parameters under indices 0 and 1 with momentum: each keeps its own velocity.
    // Index 0 sees g1 twice: v = [0.5, -1] then 0.9 * [0.5, -1] + [0.5, -1] = [0.95, -1.9];
    //   p = [1, -2] - 0.1 * [0.5, -1] - 0.1 * [0.95, -1.9] = [1 - 0.145, -2 + 0.29] = [0.855, -1.71]
    // Index 1 sees g2 twice: v = [1, 0.25] then [1.9, 0.475];
    //   p = [1, -2] - 0.1 * [1, 0.25] - 0.1 * [1.9, 0.475] = [0.71, -2.0725]
    let mut opt = Sgd::new(SgdConfig {
        learning_rate: 0.1,
        momentum: 0.9,
    });
    let (mut a, mut b) = (param(), param());
    a.grad.data_mut().copy_from_slice(&G1);
    b.grad.data_mut().copy_from_slice(&G2);
    for _ in 0..2 {
        opt.begin_step();
        opt.update(0, &mut a);
        opt.update(1, &mut b);
    }
    assert_close(a.value.data(), &[0.855, -1.71], 1e-6);
    assert_close(b.value.data(), &[0.71, -2.0725], 1e-6);
}

#[test]
fn kinds_build_with_their_learning_rate() {
    let mut adam = OptimizerKind::Adam.build(0.02);
    assert_eq!((adam.name(), adam.learning_rate()), ("adam", 0.02));
    adam.set_learning_rate(0.5);
    assert_eq!(adam.learning_rate(), 0.5);
    let sgd = OptimizerKind::Sgd.build(0.3);
    assert_eq!((sgd.name(), sgd.learning_rate()), ("sgd", 0.3));
}
