//! The MNIST lab checked against the numbers it shows, on real MNIST (5% of the training
//! images, one epoch): it trains exactly as `netviz mnist train` does; pause, the live
//! learning rate and reset reach its thread; the filter tiles' texels are the kernel weights
//! through the colormap; an activation heatmap's texels are the layer's activations (each
//! slab of the 3D stack seen face on); the connections drawn are the largest weight x
//! activation terms into the prediction, computed here from the model; the
//! confusion matrix's cells have the colors of an independently computed matrix and clicking
//! one lists its digits; the embedding is the PCA of the penultimate activations, checked
//! against a power-iteration PCA computed here; and the headless command line writes PNGs.

// The helpers of these tests unwrap: a failure there is the test's failure.
#![allow(clippy::unwrap_used)]

mod common;
mod render_support;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use glam::{Mat4, Vec2, Vec3};

use common::mnist_server::shared_mnist_dir;
use netviz::data::mnist::{self, DirSource, Mnist, Quiet};
use netviz::data::preprocess::Dataset;
use netviz::data::preprocess::{downsample, to_dataset};
use netviz::labs::mnist::analysis::{ValidationPass, weight_param_indices};
use netviz::labs::mnist::browser::{BrowserState, browser_ui, caption};
use netviz::labs::mnist::confusion::{
    ConfusionLayout, cell_color, cell_name, confusion_ui, digit_name,
};
use netviz::labs::mnist::drawing::{CANVAS_SIDE, Canvas, preprocess};
use netviz::labs::mnist::filter_pass::{FilterPass, filter_pass_scene};
use netviz::labs::mnist::lab::{
    Panel, activations_camera, embedding_camera, filters_camera, step_size_line, step_size_share,
};
use netviz::labs::mnist::scenes::{
    self, ACTIVATION_COLORMAP, LAYER_STEP, TOP_K, WEIGHT_COLORMAP, activation_layout,
    activation_range, contribution_color, filter_layout, tile_values,
};
use netviz::labs::mnist::session::ROLLING_BATCHES;
use netviz::labs::mnist::{MnistCommand, MnistLab, MnistSession, MnistSetup, MnistSnapshot};
use netviz::nn::config::LayerConfig;
use netviz::nn::config::ModelConfig;
use netviz::nn::optim::StepSizes;
use netviz::nn::{LayerKind, Sequential, Tensor};
use netviz::render::camera::OrbitPose;
use netviz::render::scene::color_to_rgba8;
use netviz::render::{Projection, RgbaImage, SceneCamera, colormap_rgba};
use netviz::train::Trainer;
use netviz::train::mnist::prepare;
use netviz::ui::{HeadlessOptions, Lab, render_headless};
use render_support::{ctx, maybe_save, render};

const DEFAULT_CONFIG: &str = include_str!("../assets/configs/default_cnn.json");

/// The default config on 5% of the training images, one epoch.
fn config() -> ModelConfig {
    let mut config = ModelConfig::from_json_str(DEFAULT_CONFIG).expect("default config");
    config.percent_of_train_data_to_use = 0.05;
    config.epochs = 1;
    config
}

/// Real MNIST, loaded once per test binary.
fn real_mnist() -> &'static Arc<Mnist> {
    static DATA: OnceLock<Arc<Mnist>> = OnceLock::new();
    DATA.get_or_init(|| {
        Arc::new(
            mnist::load(&shared_mnist_dir(), DirSource::Flag, &[], &mut Quiet)
                .expect("real MNIST in ../shared/data/mnist"),
        )
    })
}

/// The lab's setup from real MNIST, prepared once per test binary.
fn setup() -> MnistSetup {
    static SETUP: OnceLock<(Arc<Dataset>, Arc<Dataset>)> = OnceLock::new();
    let config = config();
    let (train, val) = SETUP.get_or_init(|| {
        let splits = prepare(&config, real_mnist()).expect("prepare");
        (Arc::new(splits.train), Arc::new(splits.val))
    });
    MnistSetup {
        model: config.build().expect("build"),
        config,
        train: Arc::clone(train),
        val: Arc::clone(val),
        source: Some(Arc::clone(real_mnist())),
    }
}

/// A session trained to the end on this thread, its last snapshot and its model.
struct Trained {
    snap: MnistSnapshot,
    model: Mutex<Sequential>,
}

fn trained() -> &'static Trained {
    static TRAINED: OnceLock<Trained> = OnceLock::new();
    TRAINED.get_or_init(|| {
        let mut session = MnistSession::new(setup(), false).expect("session");
        while session.step().is_some() {}
        assert!(session.trainer().stop_reason().is_some(), "training ended");
        Trained {
            model: Mutex::new(session.trainer().model().clone()),
            snap: session.snapshot(),
        }
    })
}

/// A trainer on the same setup, driven directly as `netviz mnist train` drives it.
fn direct_trainer(setup: &MnistSetup) -> Trainer {
    Trainer::new(
        setup.config.clone(),
        setup.model.clone(),
        (*setup.train).clone(),
        (*setup.val).clone(),
    )
    .unwrap()
}

fn close(a: [u8; 4], b: [u8; 4], tolerance: i32) -> bool {
    a.iter()
        .zip(b)
        .all(|(x, y)| (i32::from(*x) - i32::from(y)).abs() <= tolerance)
}

#[test]
fn the_lab_thread_trains_exactly_as_the_terminal_command() {
    let setup = setup();
    let mut direct = direct_trainer(&setup);
    direct.run(|_| {}).unwrap();
    let mut lab = MnistLab::new(setup, false).unwrap();
    assert!(lab.wait_until_done(Duration::from_secs(120)));
    let snap = lab.snapshot();
    assert_eq!(snap.epochs.len(), direct.history().len());
    for (a, b) in snap.epochs.iter().zip(direct.history()) {
        assert_eq!(a.validation, b.validation, "same validation figures");
        assert_eq!(a.train_loss, b.train_loss);
        assert_eq!(a.epochs_without_improvement, b.epochs_without_improvement);
    }
    assert_eq!(snap.steps as usize, direct.batches_per_epoch());
    // The filters shown are the trained kernels.
    let convs: Vec<&Tensor> = direct
        .model()
        .layers()
        .iter()
        .filter(|l| l.kind() == LayerKind::Conv2d)
        .map(|l| &l.params()[0].value)
        .collect();
    assert_eq!(snap.filters.len(), convs.len());
    for (f, w) in snap.filters.iter().zip(convs) {
        assert_eq!(f.weights, w.data());
    }
    // The curves: one point per batch, smoothed values between the extremes.
    assert_eq!(snap.batches.len() as u64, snap.steps);
    let last = snap.batches.last().unwrap();
    assert!(last.smoothed_loss < snap.batches[0].loss, "the loss fell");
    assert!((0.0..=1.0).contains(&last.smoothed_accuracy));
}

#[test]
fn pause_the_live_learning_rate_and_reset_reach_the_thread() {
    let mut lab = MnistLab::new(setup(), true).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    lab.wait_for(Duration::from_secs(5), |_| true);
    assert_eq!(lab.snapshot().steps, 0, "a paused lab trains nothing");
    lab.send(MnistCommand::SetLearningRate(0.003));
    assert!(lab.wait_for(Duration::from_secs(5), |s| s.learning_rate == 0.003));
    lab.send(MnistCommand::TogglePause);
    assert!(lab.wait_for(Duration::from_secs(30), |s| s.steps >= 5));
    lab.send(MnistCommand::TogglePause);
    assert!(lab.wait_for(Duration::from_secs(5), |s| s.paused));
    let steps = lab.snapshot().steps;
    std::thread::sleep(Duration::from_millis(100));
    lab.wait_for(Duration::from_secs(1), |_| true);
    assert_eq!(lab.snapshot().steps, steps, "paused again");
    assert!(
        lab.snapshot()
            .batches
            .iter()
            .all(|b| b.learning_rate == 0.003)
    );
    lab.send(MnistCommand::Reset);
    assert!(lab.wait_for(Duration::from_secs(5), |s| s.steps == 0
        && s.batches.is_empty()
        && s.learning_rate == 0.01));
}

/// Pixel position of world point `p` in a `size` render seen through `camera`.
fn px(camera: &netviz::render::Camera2d, p: [f32; 2], size: Vec2) -> (u32, u32) {
    let at = camera.project(Vec3::new(p[0], p[1], 0.0), size).unwrap();
    (at.x as u32, at.y as u32)
}

/// Checks every texel center of a `cols x rows` image drawn on `min..max`.
fn check_texels(
    image: &RgbaImage,
    camera: &netviz::render::Camera2d,
    (min, max): ([f32; 2], [f32; 2]),
    [cols, rows]: [u32; 2],
    want: impl Fn(usize) -> [u8; 4],
    what: &str,
) {
    let size = Vec2::new(image.width as f32, image.height as f32);
    let (w, h) = (
        (max[0] - min[0]) / cols as f32,
        (max[1] - min[1]) / rows as f32,
    );
    let (a, b) = (
        px(camera, min, size),
        px(camera, [min[0] + w, min[1] + h], size),
    );
    assert!(
        b.0 - a.0 >= 3 && a.1 - b.1 >= 3,
        "{what}: texels are {}x{} px, too small to check",
        b.0 - a.0,
        a.1 - b.1
    );
    for r in 0..rows as usize {
        for c in 0..cols as usize {
            let center = [min[0] + (c as f32 + 0.5) * w, max[1] - (r as f32 + 0.5) * h];
            let (x, y) = px(camera, center, size);
            let k = r * cols as usize + c;
            assert_eq!(image.pixel(x, y), want(k), "{what}: texel ({r},{c})");
        }
    }
}

#[test]
fn filter_texels_are_the_kernel_weights_through_the_colormap() {
    let snap = &trained().snap;
    let camera = filters_camera(snap);
    let scene = scenes::filters(&snap.filters, camera.scene_camera());
    let image = render(&scene, 900, 800);
    maybe_save(&image, "mnist_filters");
    let layout = filter_layout(&snap.filters);
    let expected: usize = snap
        .filters
        .iter()
        .map(|f| f.out_channels * f.in_channels)
        .sum();
    assert_eq!(layout.tiles.len(), expected, "one tile per (out, in) pair");
    for tile in &layout.tiles {
        let f = &snap.filters[tile.conv];
        let m = f.max_abs();
        let kernel = f.kernel_of(tile.out, tile.input);
        let k = f.kernel as u32;
        check_texels(
            &image,
            &camera,
            (tile.min, tile.max),
            [k, k],
            |i| colormap_rgba(WEIGHT_COLORMAP, (-m, m), kernel[i]),
            &format!("conv {} kernel ({}, {})", f.layer, tile.out, tile.input),
        );
    }
}

/// A face-on orthographic camera showing the rectangle `lo..hi` of the plane `z` alone:
/// the near and far planes cut every other layer's slab (they lie [`LAYER_STEP`] away).
fn face_on(lo: [f32; 2], hi: [f32; 2], z: f32) -> SceneCamera {
    let center = Vec3::new((lo[0] + hi[0]) / 2.0, (lo[1] + hi[1]) / 2.0, z);
    let half = Vec2::new((hi[0] - lo[0]) / 2.0 + 0.2, (hi[1] - lo[1]) / 2.0 + 0.2);
    SceneCamera {
        view_from_world: Mat4::look_at_rh(center + Vec3::Z, center, Vec3::Y),
        projection: Projection::Rect {
            min: -half,
            max: half,
            keep_aspect: true,
            near: 1.0 - LAYER_STEP / 3.0,
            far: 1.0 + LAYER_STEP / 3.0,
        },
    }
}

#[test]
fn hovering_a_filter_tile_shows_its_weights_and_bias() {
    let mut lab = MnistLab::new(setup(), true).unwrap();
    let snap = lab.snapshot().clone();
    let camera = filters_camera(&snap);
    let view = netviz::ui::SceneView {
        size_px: [900, 800],
        pixels_per_point: 1.0,
        camera: camera.scene_camera(),
    };
    let size = Vec2::new(900.0, 800.0);
    let layout = filter_layout(&snap.filters);
    // The first tile, the last one and one of the second convolution.
    let picks = [
        layout.tiles[0],
        *layout
            .tiles
            .iter()
            .find(|t| t.conv == 1 && t.out == 3)
            .unwrap(),
        *layout.tiles.last().unwrap(),
    ];
    for tile in picks {
        let center = [
            (tile.min[0] + tile.max[0]) / 2.0,
            (tile.min[1] + tile.max[1]) / 2.0,
        ];
        let at = camera
            .project(Vec3::new(center[0], center[1], 0.0), size)
            .unwrap();
        let text = lab
            .hover_text(Panel::Filters.index(), at, &view)
            .expect("a tile is under the pointer");
        let f = &snap.filters[tile.conv];
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with(&format!(
                "layer {} conv, output {}, input {}",
                f.layer, tile.out, tile.input
            )),
            "{text}"
        );
        // The K x K values, row by row, then the bias.
        let k = f.kernel;
        assert_eq!(lines.len(), k + 2, "{text}");
        let shown: Vec<f32> = lines[1..=k]
            .iter()
            .flat_map(|l| l.split_whitespace().map(|v| v.parse::<f32>().unwrap()))
            .collect();
        let kernel = f.kernel_of(tile.out, tile.input);
        assert_eq!(shown.len(), kernel.len(), "{text}");
        for (s, w) in shown.iter().zip(kernel) {
            assert!((s - w).abs() <= 5e-5, "shown {s}, weight {w}: {text}");
        }
        assert_eq!(lines[k + 1], format!("bias {:+.4}", f.bias[tile.out]));
    }
    assert!(
        lab.hover_text(Panel::Filters.index(), Vec2::new(899.0, 799.0), &view)
            .is_none(),
        "nothing in the corner"
    );
}

#[test]
fn activation_heatmap_texels_are_the_layer_activations() {
    let snap = &trained().snap;
    let probe = snap.probe.as_ref().expect("a probe");
    // The probe is the model's forward pass of that image, computed here again.
    let mut model = trained().model.lock().unwrap().clone();
    let (mut x, mut y) = (Tensor::default(), Tensor::default());
    snap.val.batch(&[probe.index], 10, &mut x, &mut y);
    model.forward(&x).unwrap();
    for (a, t) in probe.layers.iter().zip(model.activations()) {
        assert_eq!(a.values, t.sample(0), "{}", a.name);
    }
    // The whole stack as the panel first shows it, to look at.
    let home = activations_camera(snap);
    let scene = scenes::activations(probe, home.scene_camera());
    maybe_save(&render(&scene, 1400, 900), "mnist_activations");
    let layout = activation_layout(probe);
    assert_eq!(layout.slabs.len(), probe.layers.len(), "one slab per layer");
    assert!(
        layout.slabs.windows(2).all(|s| s[1].2 < s[0].2),
        "the slabs are stacked in depth, the input in front"
    );
    // Each layer checked face on, its slab alone between the near and far planes; the
    // connections are checked in their own test.
    let size = Vec2::new(1000.0, 1000.0);
    // The input, the first conv layer's maps, the first pooling and the 128 dense values.
    for layer in [0, 1, 3, probe.layers.len() - 3] {
        let (lo, hi, z) = layout.slabs[layer];
        let mut scene = scenes::activations(probe, face_on(lo, hi, z));
        scene.lines.clear();
        let camera = scene.camera;
        let image = render(&scene, size.x as u32, size.y as u32);
        maybe_save(&image, &format!("mnist_activations_layer{layer}"));
        let range = activation_range(&probe.layers[layer].values);
        let tiles: Vec<_> = layout.tiles.iter().filter(|t| t.layer == layer).collect();
        assert!(!tiles.is_empty());
        for tile in tiles {
            let values = tile_values(probe, tile);
            if probe.layers[layer].shape.len() == 3 {
                let n = values.len();
                let start = tile.channel * n;
                assert_eq!(values, probe.layers[layer].values[start..start + n]);
            }
            let at = |c, r| {
                let p = camera
                    .project(Vec3::from(tile.texel_center(c, r)), size)
                    .unwrap();
                (p.x as u32, p.y as u32)
            };
            let (a, b) = (at(0, 0), at(1, 1));
            assert!(
                b.0 - a.0 >= 3 && b.1 - a.1 >= 3,
                "texels too small to check"
            );
            for r in 0..tile.size[1] {
                for c in 0..tile.size[0] {
                    let (x, y) = at(c, r);
                    let k = (r * tile.size[0] + c) as usize;
                    assert_eq!(
                        image.pixel(x, y),
                        colormap_rgba(ACTIVATION_COLORMAP, range, values[k]),
                        "activation {} channel {} texel ({r},{c})",
                        probe.layers[layer].name,
                        tile.channel
                    );
                }
            }
        }
    }
    let sum: f32 = probe.probabilities.iter().sum();
    assert!((sum - 1.0).abs() < 1e-4, "probabilities sum to {sum}");
}

#[test]
fn the_connections_are_the_largest_weight_times_activation_terms_into_the_prediction() {
    let snap = &trained().snap;
    let probe = snap.probe.as_ref().expect("a probe");
    let mut model = trained().model.lock().unwrap().clone();
    let (mut x, mut y) = (Tensor::default(), Tensor::default());
    snap.val.batch(&[probe.index], 10, &mut x, &mut y);
    model.forward(&x).unwrap();
    // Computed here from the model: the last dense layer's weights times its input.
    let dense = model
        .layers()
        .iter()
        .rposition(|l| l.kind() == LayerKind::Dense)
        .unwrap();
    let w = &model.layers()[dense].params()[0].value;
    let inputs = w.shape()[1];
    let acts = model.activations();
    let input = acts[dense].sample(0);
    let output = acts[acts.len() - 1].sample(0);
    let predicted = (0..output.len())
        .max_by(|&a, &b| output[a].total_cmp(&output[b]).then(b.cmp(&a)))
        .unwrap();
    assert_eq!(predicted, probe.predicted());
    let mut terms: Vec<(usize, f32)> = (0..inputs)
        .map(|j| (j, w.data()[predicted * inputs + j] * input[j]))
        .collect();
    terms.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    terms.truncate(TOP_K);
    assert_eq!(TOP_K, 12);
    assert!(terms[0].1 > 0.0, "the prediction has positive support");

    let layout = activation_layout(probe);
    let scene = scenes::activations(probe, activations_camera(snap).scene_camera());
    assert_eq!(scene.lines.len(), TOP_K, "one line per term");
    let to = layout.neuron(dense + 1, predicted).unwrap();
    for (line, &(j, value)) in scene.lines.iter().zip(&terms) {
        assert_eq!(line.a, layout.neuron(dense, j).unwrap(), "input {j}");
        assert_eq!(line.b, to);
        assert_eq!(line.color, contribution_color(value));
    }
    // A line ends at the texel center of its neuron: the 128-value strip of the dense
    // layer's input and the 10-value strip of its output.
    let (col, row) = (terms[0].0 % 16, terms[0].0 / 16);
    let strip = layout.tiles.iter().find(|t| t.layer == dense).unwrap();
    assert_eq!(strip.size, [16, 8]);
    assert_eq!(scene.lines[0].a, strip.texel_center(col as u32, row as u32));
    // Drawn: seen from the side of the stack, the middle of the strongest line (drawn
    // alone here, so no other line crosses it) has its color.
    let mut side = activations_camera(snap);
    let pose = side.pose();
    side.set_home(OrbitPose {
        target: Vec3::from(scene.lines[0].a).lerp(Vec3::from(to), 0.5),
        yaw_rad: std::f32::consts::FRAC_PI_2,
        pitch_rad: 0.0,
        distance: pose.distance / 3.0,
    });
    let mut alone = scenes::activations(probe, side.scene_camera());
    alone.lines.truncate(1);
    let size = Vec2::new(600.0, 600.0);
    let image = render(&alone, 600, 600);
    let mid = side
        .scene_camera()
        .project(Vec3::from(scene.lines[0].a).lerp(Vec3::from(to), 0.5), size)
        .unwrap();
    assert_eq!(
        image.pixel(mid.x as u32, mid.y as u32),
        color_to_rgba8(contribution_color(terms[0].1))
    );
}

/// Top three principal axes by power iteration with deflation on the covariance (f64).
fn power_pca(data: &[f32], dim: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    let n = data.len() / dim;
    let mut mean = vec![0.0; dim];
    for row in data.chunks_exact(dim) {
        for (m, v) in mean.iter_mut().zip(row) {
            *m += f64::from(*v) / n as f64;
        }
    }
    let mut cov = vec![vec![0.0; dim]; dim];
    for row in data.chunks_exact(dim) {
        let d: Vec<f64> = row
            .iter()
            .zip(&mean)
            .map(|(v, m)| f64::from(*v) - m)
            .collect();
        for i in 0..dim {
            for j in 0..dim {
                cov[i][j] += d[i] * d[j] / n as f64;
            }
        }
    }
    let mut axes = Vec::new();
    for k in 0..3 {
        let mut v: Vec<f64> = (0..dim).map(|i| 1.0 + (i * 7 + k) as f64 % 5.0).collect();
        let mut lambda = 0.0;
        for _ in 0..3000 {
            let mut w: Vec<f64> = (0..dim)
                .map(|i| (0..dim).map(|j| cov[i][j] * v[j]).sum())
                .collect();
            lambda = w.iter().map(|x| x * x).sum::<f64>().sqrt();
            w.iter_mut().for_each(|x| *x /= lambda);
            v = w;
        }
        for i in 0..dim {
            for j in 0..dim {
                cov[i][j] -= lambda * v[i] * v[j];
            }
        }
        axes.push(v);
    }
    (mean, axes)
}

#[test]
fn the_embedding_is_the_pca_of_the_penultimate_activations_and_the_confusion_matrix_counts_the_predictions()
 {
    let snap = &trained().snap;
    let pass: &ValidationPass = snap.validation.as_ref().expect("a validation pass");
    let emb = &pass.embedding;
    let mut model = trained().model.lock().unwrap().clone();
    let last_dense = model
        .layers()
        .iter()
        .rposition(|l| l.kind() == LayerKind::Dense)
        .unwrap();
    assert_eq!(emb.layer, last_dense);
    // Our own forward pass over the validation set.
    let val = &snap.val;
    let n = emb.points.len();
    assert_eq!(n, val.len().min(2000));
    let mut acts = Vec::new();
    let mut confusion = [[0u64; 10]; 10];
    let (mut x, mut y) = (Tensor::default(), Tensor::default());
    for start in (0..val.len()).step_by(100) {
        let idx: Vec<usize> = (start..(start + 100).min(val.len())).collect();
        val.batch(&idx, 10, &mut x, &mut y);
        model.forward(&x).unwrap();
        let a = model.activations();
        for (row, &i) in idx.iter().enumerate() {
            let out = a[a.len() - 1].sample(row);
            let pred = (0..10).max_by(|&p, &q| out[p].total_cmp(&out[q])).unwrap();
            confusion[usize::from(val.labels[i])][pred] += 1;
            if i < n {
                acts.extend_from_slice(a[last_dense].sample(row));
            }
        }
    }
    for (t, row) in confusion.iter().enumerate() {
        for (p, &count) in row.iter().enumerate() {
            assert_eq!(pass.confusion.get(t, p), count, "cell ({t}, {p})");
            assert_eq!(pass.cell(t, p).len() as u64, count);
        }
    }
    let dim = emb.dim;
    assert_eq!(acts.len(), n * dim);
    for (a, b) in acts.iter().zip(&emb.activations) {
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }
    let (mean, axes) = power_pca(&acts, dim);
    let scene = scenes::embedding(emb, embedding_camera().scene_camera());
    let scale = emb.scale();
    assert_eq!(scene.points.len(), n);
    for (k, axis) in axes.iter().enumerate() {
        let theirs = &emb.pca.axes[k];
        let dot: f64 = axis
            .iter()
            .zip(theirs)
            .map(|(a, b)| a * f64::from(*b))
            .sum();
        assert!(dot.abs() > 0.999, "axis {k}: |cos| = {}", dot.abs());
        let sign = dot.signum();
        let mut worst = 0.0f64;
        for (i, point) in scene.points.iter().enumerate() {
            let ours: f64 = acts[i * dim..(i + 1) * dim]
                .iter()
                .zip(&mean)
                .zip(axis)
                .map(|((v, m), a)| (f64::from(*v) - m) * a)
                .sum::<f64>()
                * sign;
            worst = worst.max((ours - f64::from(point.pos[k] * scale)).abs());
        }
        assert!(worst < 2e-3 * f64::from(scale), "axis {k}: off by {worst}");
    }
    let wrong = emb
        .labels
        .iter()
        .zip(&emb.predicted)
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(
        scene.lines.len(),
        3 * wrong + 3,
        "a cross per misclassified point"
    );
}

#[test]
fn confusion_cells_have_the_colors_of_the_matrix_in_the_dashboard() {
    let mut lab = MnistLab::new(setup(), false).unwrap();
    assert!(lab.wait_until_done(Duration::from_secs(120)));
    let pass = lab.snapshot().validation.clone().unwrap();
    assert_eq!(
        pass.confusion,
        trained().snap.validation.as_ref().unwrap().confusion
    );
    let frame = render_dashboard(lab);
    maybe_save(&frame.image, "mnist_dashboard");
    check_confusion_cells(&frame, &pass.confusion);
}

/// The lab's whole dashboard at 1400x900.
fn render_dashboard(lab: MnistLab) -> netviz::ui::HeadlessFrame {
    let options = HeadlessOptions {
        size_px: [1400, 900],
        ..HeadlessOptions::default()
    };
    render_headless(ctx(), Box::new(lab), options).unwrap()
}

/// Every cell of the dashboard's confusion panel has the color of `m`'s count there.
fn check_confusion_cells(
    frame: &netviz::ui::HeadlessFrame,
    m: &netviz::nn::metrics::ConfusionMatrix,
) {
    let rect = frame
        .panel(Panel::Confusion.title())
        .expect("the confusion panel");
    // The shell draws egui panels inside a 4-point margin.
    let layout = ConfusionLayout::new(rect.shrink(4.0), 10);
    assert!(layout.cell >= 8.0, "cells of {} px", layout.cell);
    let max = (0..10)
        .flat_map(|t| (0..10).map(move |p| m.get(t, p)))
        .max()
        .unwrap();
    for t in 0..10 {
        for p in 0..10 {
            let cell = layout.cell_rect(t, p);
            let (x, y) = ((cell.min.x + 2.0) as u32, (cell.min.y + 2.0) as u32);
            let got = frame.image.pixel(x, y);
            let want = cell_color(m.get(t, p), max);
            assert!(close(got, want, 2), "cell ({t},{p}): {got:?} vs {want:?}");
        }
    }
}

type ConfusionState = (Arc<ValidationPass>, Arc<Dataset>, Option<(usize, usize)>);

#[test]
fn the_confusion_panel_switches_to_the_rolling_matrix() {
    let mut lab = MnistLab::new(setup(), false).unwrap();
    assert!(lab.wait_until_done(Duration::from_secs(120)));
    lab.show_rolling_confusion(true);
    assert!(lab.shows_rolling_confusion());
    let snap = lab.snapshot().clone();
    assert_eq!(snap.rolling_batches, ROLLING_BATCHES);
    let m = &snap.rolling;
    assert_ne!(
        m,
        &snap.validation.as_ref().unwrap().confusion,
        "another matrix"
    );
    let frame = render_dashboard(lab);
    maybe_save(&frame.image, "mnist_dashboard_rolling");
    check_confusion_cells(&frame, m);
}

#[test]
fn clicking_a_confusion_cell_lists_its_digits() {
    let snap = &trained().snap;
    let pass = snap.validation.clone().unwrap();
    // An off-diagonal cell with a few digits (the most confused pair of classes).
    let (t, p) = (0..10)
        .flat_map(|t| (0..10).map(move |p| (t, p)))
        .filter(|&(t, p)| t != p && (1..=20).contains(&pass.cell(t, p).len()))
        .max_by_key(|&(t, p)| pass.cell(t, p).len())
        .expect("some confusion after one epoch on 5% of MNIST");
    let state: ConfusionState = (Arc::clone(&pass), Arc::clone(&snap.val), None);
    let mut harness = Harness::builder().with_size([900.0, 500.0]).build_ui_state(
        |ui, (pass, val, selected): &mut ConfusionState| {
            confusion_ui(ui, pass, val, selected);
        },
        state,
    );
    harness.run();
    assert!(
        harness
            .query_by_label(&digit_name(pass.cell(t, p)[0]))
            .is_none()
    );
    harness.get_by_label(&cell_name(t, p)).click();
    harness.run();
    assert_eq!(harness.state().2, Some((t, p)));
    for &i in pass.cell(t, p) {
        assert_eq!(usize::from(snap.val.labels[i]), t);
        assert_eq!(usize::from(pass.predictions[i]), p);
        harness.get_by_label(&digit_name(i));
    }
    harness.get_by_label_contains(&format!(
        "{}: {} digits",
        cell_name(t, p),
        pass.cell(t, p).len()
    ));
}

#[test]
fn the_headless_command_line_writes_the_dashboard_and_one_view() {
    let dir = std::env::temp_dir().join(format!("netviz-mnist-lab-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = shared_mnist_dir();
    for (scene, size) in [(None, (800, 500)), (Some("filters"), (400, 300))] {
        let png = dir.join("mnist.png");
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_netviz"));
        cmd.args([
            "mnist",
            "--headless",
            "--epochs",
            "1",
            "--data-fraction",
            "0.05",
        ])
        .arg("--data-dir")
        .arg(&data)
        .arg("--size")
        .arg(format!("{}x{}", size.0, size.1))
        .arg("--screenshot")
        .arg(&png);
        if let Some(s) = scene {
            cmd.args(["--scene", s]);
        }
        let out = cmd.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let last = stdout.lines().last().unwrap_or_default();
        assert!(last.starts_with("epochs=1 val_accuracy="), "{last}");
        let accuracy: f64 = last
            .split("val_accuracy=")
            .nth(1)
            .and_then(|v| v.split(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap();
        assert!(accuracy > 0.6, "{last}");
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
        let reader = decoder.read_info().unwrap();
        let (w, h) = (reader.info().width, reader.info().height);
        match scene {
            None => assert_eq!((w, h), size),
            // One view: about the asked size (the panel's title bar takes a little).
            Some(_) => assert!(w >= size.0 - 40 && h >= size.1 - 60, "{w}x{h}"),
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_update_to_weight_ratios_are_the_relative_steps_of_the_weights() {
    let snap = &trained().snap;
    assert_eq!(
        snap.weighted_layers,
        ["0 conv2d", "3 conv2d", "7 dense", "9 dense"]
    );
    // The last batch is left out: training ends there and the kept weights are put back.
    assert_eq!(snap.update_ratios.len() as u64, snap.steps - 1);
    let setup = setup();
    let mut direct = direct_trainer(&setup);
    let weights = |t: &Trainer| -> Vec<Vec<f32>> {
        t.model()
            .layers()
            .iter()
            .filter_map(|l| l.params().first().map(|p| p.value.data().to_vec()))
            .collect()
    };
    for point in snap.update_ratios.iter().take(5) {
        let before = weights(&direct);
        direct.step().unwrap();
        let after = weights(&direct);
        for (k, (b, a)) in before.iter().zip(&after).enumerate() {
            let step: f64 = b.iter().zip(a).map(|(x, y)| f64::from(y - x).powi(2)).sum();
            let norm: f64 = b.iter().map(|x| f64::from(*x).powi(2)).sum();
            let want = (step / norm).sqrt();
            let got = f64::from(point.ratios[k]);
            assert!(
                (got - want).abs() <= 1e-5 * want,
                "batch {} layer {k}: {got} vs {want}",
                point.step
            );
        }
    }
    let line = netviz::labs::mnist::lab::ratio_line(snap);
    assert!(line.starts_with("latest |dw|/|w|: 0 conv2d "), "{line}");
}

type BrowserUiState = (Arc<ValidationPass>, Arc<Dataset>, BrowserState);

#[test]
fn adams_step_sizes_are_the_weights_changes_in_one_step() {
    let setup = setup();
    let lr = setup.config.learning_rate;
    let mut direct = direct_trainer(&setup);
    let mut session = MnistSession::new(setup.clone(), false).unwrap();
    let weights = |t: &Trainer| -> Vec<Vec<f32>> {
        t.model()
            .layers()
            .iter()
            .filter_map(|l| l.params().first().map(|p| p.value.data().to_vec()))
            .collect()
    };
    let indices = weight_param_indices(direct.model());
    assert_eq!(
        indices,
        [0, 2, 4, 6],
        "weight and bias of each weighted layer"
    );
    for step in 1..=3 {
        let before = weights(&direct);
        direct.step().unwrap();
        session.step().unwrap();
        let after = weights(&direct);
        let snap = session.snapshot();
        assert_eq!(snap.step_sizes.len(), 4, "one histogram per weighted layer");
        for (k, (b, a)) in before.iter().zip(&after).enumerate() {
            // The histogram of delta = new - old, counted here.
            let mut want = StepSizes::default();
            for (x, y) in b.iter().zip(a) {
                want.add(y - x);
            }
            let got = direct.optimizer().last_step_sizes(indices[k]).unwrap();
            assert_eq!(got, &want, "step {step} layer {k}");
            assert_eq!(got.total(), b.len() as u64);
            assert_eq!(&snap.step_sizes[k], got, "the snapshot shows the same");
            if step == 1 {
                // At t = 1 Adam's step is lr * |g| / (|g| + eps) <= lr.
                assert!(got.bins().all(|(lo, _)| lo <= lr), "step 1 layer {k}");
                assert!(got.quantile(1.0).unwrap() > lr / 2.0 - 1e-9);
            }
        }
        let share = step_size_share(&snap.step_sizes[0]);
        let total: f64 = share.iter().map(|s| s.2).sum();
        assert!(
            (total - 1.0).abs() < 1e-9,
            "the shares add up to 1: {total}"
        );
    }
    let line = step_size_line(&session.snapshot());
    assert!(line.starts_with("median |step|: 0 conv2d "), "{line}");
    // SGD records none: the panel says so instead.
    let mut config = setup.config.clone();
    config.optimizer = netviz::nn::OptimizerKind::Sgd;
    let mut sgd = MnistSession::new(MnistSetup { config, ..setup }, false).unwrap();
    sgd.step().unwrap();
    assert!(sgd.snapshot().step_sizes.is_empty());
}

#[test]
fn the_rolling_confusion_matrix_counts_the_last_batches_predictions() {
    let mut setup = setup();
    let batch = 16;
    setup.config.batch_size = batch;
    let mut direct = direct_trainer(&setup);
    assert!(
        direct.batches_per_epoch() > ROLLING_BATCHES + 5,
        "one epoch"
    );
    let mut session = MnistSession::new(setup, false).unwrap();
    let classes = 10;
    // Each batch's (true, predicted) classes, the predictions taken here as the argmax of
    // the batch's outputs.
    let mut seen: Vec<Vec<(usize, usize)>> = Vec::new();
    for step in 1..=ROLLING_BATCHES + 5 {
        direct.step().unwrap();
        session.step().unwrap();
        let (indices, _) = direct.last_batch();
        let out = direct.model().activations().last().unwrap();
        let pairs = indices
            .iter()
            .enumerate()
            .map(|(row, &i)| {
                let o = out.sample(row);
                let best = (0..classes).fold(0, |b, k| if o[k] > o[b] { k } else { b });
                (usize::from(direct.train_data().labels[i]), best)
            })
            .collect();
        seen.push(pairs);
        if step % 9 != 0 && step != ROLLING_BATCHES + 5 {
            continue;
        }
        let snap = session.snapshot();
        let kept = &seen[seen.len().saturating_sub(ROLLING_BATCHES)..];
        assert_eq!(snap.rolling_batches, kept.len().min(ROLLING_BATCHES));
        assert_eq!(snap.rolling.total(), (kept.len() * batch) as u64);
        let mut want = vec![0u64; classes * classes];
        for &(t, p) in kept.iter().flatten() {
            want[t * classes + p] += 1;
        }
        for t in 0..classes {
            for p in 0..classes {
                assert_eq!(
                    snap.rolling.get(t, p),
                    want[t * classes + p],
                    "step {step}: cell ({t}, {p})"
                );
            }
        }
    }
    assert_eq!(
        session.snapshot().rolling.total(),
        (ROLLING_BATCHES * batch) as u64,
        "N batches of {batch}"
    );
}

#[test]
fn the_browser_lists_images_with_their_predictions_and_the_mistakes_alone() {
    let snap = &trained().snap;
    let pass = snap.validation.clone().unwrap();
    let val = Arc::clone(&snap.val);
    let state: BrowserUiState = (Arc::clone(&pass), Arc::clone(&val), BrowserState::default());
    let mut harness = Harness::builder().with_size([900.0, 900.0]).build_ui_state(
        |ui, (pass, val, state): &mut BrowserUiState| {
            browser_ui(ui, pass, val, state);
        },
        state,
    );
    harness.run();
    for i in 0..8 {
        harness.get_by_label(&digit_name(i));
    }
    let mistakes: Vec<usize> = (0..val.len())
        .filter(|&i| pass.predictions[i] != val.labels[i])
        .collect();
    assert!(mistakes.len() >= 3, "some mistakes after one short epoch");
    harness.get_by_label("mistakes only").click();
    harness.run();
    assert!(harness.state().2.mistakes_only);
    for &i in mistakes.iter().take(3) {
        harness.get_by_label(&digit_name(i));
        let caption = caption(val.labels[i], pass.predictions[i]);
        assert!(
            harness.query_all_by_label(&caption).next().is_some(),
            "{caption}"
        );
    }
    let first_right = (0..val.len()).find(|i| !mistakes.contains(i)).unwrap();
    assert!(
        harness.query_by_label(&digit_name(first_right)).is_none(),
        "a correctly classified image is not listed among the mistakes"
    );
}

#[test]
fn a_drawing_is_scaled_into_20_pixels_and_centered_by_mass_like_mnist() {
    let mut canvas = Canvas::default();
    // A short stroke near the top-left corner.
    for y in 2..9 {
        canvas.paint(4.0, y as f32);
    }
    canvas.paint(5.0, 3.0);
    let image = preprocess(&canvas, CANVAS_SIDE);
    let n = CANVAS_SIDE;
    let inked: Vec<usize> = (0..n)
        .filter(|&r| (0..n).any(|c| image[r * n + c] > 0.05))
        .collect();
    let height = inked.last().unwrap() - inked.first().unwrap() + 1;
    assert!((19..=21).contains(&height), "ink {height} rows tall");
    let mass: f32 = image.iter().sum();
    let cy: f32 = (0..n * n)
        .map(|k| image[k] * ((k / n) as f32 + 0.5))
        .sum::<f32>()
        / mass;
    let cx: f32 = (0..n * n)
        .map(|k| image[k] * ((k % n) as f32 + 0.5))
        .sum::<f32>()
        / mass;
    assert!(
        (cy - 14.0).abs() <= 0.6 && (cx - 14.0).abs() <= 0.6,
        "center of mass ({cx}, {cy})"
    );
    // At the model's size it is the 28x28 result area-averaged like the training images.
    assert_eq!(preprocess(&canvas, 14), downsample(&image, 28, 14));
    assert_eq!(preprocess(&Canvas::default(), 14), vec![0.0; 196]);
}

#[test]
fn real_digits_survive_the_drawing_preprocessing_and_a_drawing_reaches_the_activation_view() {
    let data = real_mnist();
    let idx: Vec<usize> = (0..40).collect();
    let raw = to_dataset(&data.test_images, &data.test_labels, Some(&idx), 28).unwrap();
    let small = to_dataset(&data.test_images, &data.test_labels, Some(&idx), 14).unwrap();
    let mut model = trained().model.lock().unwrap().clone();
    let mut agree = 0;
    for i in 0..raw.len() {
        let canvas = Canvas {
            pixels: raw.image(i).to_vec(),
        };
        // MNIST digits were made this way: preprocessing them again moves their center of
        // mass by about a pixel at most.
        let again = preprocess(&canvas, 28);
        let com = |img: &[f32]| {
            let mass: f32 = img.iter().sum();
            let y: f32 = (0..784).map(|k| img[k] * (k / 28) as f32).sum::<f32>() / mass;
            let x: f32 = (0..784).map(|k| img[k] * (k % 28) as f32).sum::<f32>() / mass;
            (x, y)
        };
        let (a, b) = (com(&again), com(raw.image(i)));
        assert!(
            (a.0 - b.0).abs() < 1.5 && (a.1 - b.1).abs() < 1.5,
            "image {i}: center of mass {a:?} vs {b:?}"
        );
        let drawn =
            netviz::labs::mnist::analysis::probe_pixels(&mut model, &preprocess(&canvas, 14))
                .unwrap()
                .predicted();
        let plain = netviz::labs::mnist::analysis::probe_pixels(&mut model, small.image(i))
            .unwrap()
            .predicted();
        agree += usize::from(drawn == plain);
    }
    assert!(agree >= 34, "{agree} of 40 predictions agree");

    let mut session = MnistSession::new(setup(), true).unwrap();
    let pixels = small.image(3).to_vec();
    session
        .apply(MnistCommand::ShowDrawing(pixels.clone()))
        .unwrap();
    let probe = session.snapshot().probe.unwrap();
    assert_eq!(probe.label, None);
    assert_eq!(probe.layers[0].values, pixels);
    session.apply(MnistCommand::SelectImage(5)).unwrap();
    let probe = session.snapshot().probe.unwrap();
    assert_eq!((probe.index, probe.label), (5, Some(setup().val.labels[5])));
}

#[test]
fn dragging_over_the_canvas_draws_where_the_pointer_went() {
    let mut harness = Harness::builder().with_size([300.0, 340.0]).build_ui_state(
        |ui, canvas: &mut Canvas| {
            netviz::labs::mnist::drawing::canvas_ui(ui, canvas);
        },
        Canvas::default(),
    );
    harness.run();
    assert!(harness.state().is_blank());
    // The canvas is the square below the "Clear" row; find it from the button.
    let clear = harness.get_by_label("Clear").rect();
    let top = clear.bottom() + 8.0;
    let side = 300.0f32.min(340.0 - top) - 4.0;
    let cell = side / CANVAS_SIDE as f32;
    let press = |pressed| egui::Event::PointerButton {
        pos: egui::pos2(8.0 + 14.0 * cell, top + 5.0 * cell),
        button: egui::PointerButton::Primary,
        pressed,
        modifiers: egui::Modifiers::NONE,
    };
    harness.hover_at(egui::pos2(8.0 + 14.0 * cell, top + 5.0 * cell));
    harness.event(press(true));
    for row in 5..=22 {
        harness.hover_at(egui::pos2(8.0 + 14.0 * cell, top + row as f32 * cell));
        harness.step();
    }
    harness.event(press(false));
    harness.run();
    let canvas = harness.state();
    assert!(!canvas.is_blank(), "the drag drew something");
    // A vertical stroke: ink in column 13 or 14 down most of the canvas, none far left.
    let inked_rows = (0..CANVAS_SIDE)
        .filter(|&r| (12..=15).any(|c| canvas.pixels[r * CANVAS_SIDE + c] > 0.5))
        .count();
    assert!(inked_rows >= 14, "{inked_rows} rows inked");
    assert!((0..CANVAS_SIDE).all(|r| canvas.pixels[r * CANVAS_SIDE + 2] == 0.0));
}

#[test]
fn the_filter_pass_adds_up_to_the_convolution_output_and_draws_it() {
    let snap = &trained().snap;
    let probe = snap.probe.as_ref().unwrap();
    let pass = FilterPass::first_conv(&snap.config, probe, &snap.filters, 5).unwrap();
    assert_eq!((pass.out_side, pass.steps()), (12, 144));
    let conv_out = &probe.layers[pass.layer + 1].values;
    for (s, v) in pass.outputs.iter().enumerate() {
        let want = conv_out[5 * 144 + s];
        assert!((v - want).abs() < 1e-4, "step {s}: {v} vs {want}");
    }
    let step = 37;
    assert_eq!(pass.window(step), (3, 1));
    let patch = pass.patch(step, 0);
    assert_eq!(patch[4], probe.layers[0].values[4 * 14 + 2]);
    let camera = netviz::labs::mnist::lab::filter_pass_camera(snap);
    let scene = filter_pass_scene(&pass, step, camera.scene_camera());
    let text: Vec<&str> = scene.labels.iter().map(|l| l.text.as_str()).collect();
    assert!(
        text.iter()
            .any(|t| t.ends_with(&format!("= {:.3}", pass.outputs[step]))),
        "{text:?}"
    );
    for (x, w) in patch.iter().zip(pass.kernel_of(0)) {
        assert!(text.contains(&format!("{x:.2}").as_str()));
        assert!(text.contains(&format!("{w:.2}").as_str()));
    }
    // The output map is filled up to this step, each cell in the value's color.
    let image = render(&scene, 900, 420);
    maybe_save(&image, "mnist_filter_pass");
    let size = Vec2::new(900.0, 420.0);
    let m = pass.max_abs_output();
    for s in [0, 12, step, step + 1, 143] {
        let (r, c) = ((s / 12) as f32, (s % 12) as f32);
        let (x, y) = px(&camera, [pass.output_x() + c + 0.5, -r - 0.5], size);
        let got = image.pixel(x, y);
        if s <= step {
            assert_eq!(
                got,
                colormap_rgba(WEIGHT_COLORMAP, (-m, m), pass.outputs[s]),
                "cell {s}"
            );
        } else {
            let bg = scenes::BACKGROUND.map(|v| (v * 255.0).round() as u8);
            assert_eq!(got, bg, "cell {s} is not computed yet");
        }
    }
    // Stride and padding are respected.
    let mut strided = snap.config.clone();
    if let LayerConfig::Conv {
        stride, padding, ..
    } = &mut strided.layers[0]
    {
        (*stride, *padding) = (2, 1);
    }
    let pass = FilterPass::first_conv(&strided, probe, &snap.filters, 0).unwrap();
    assert_eq!(pass.out_side, 7);
    assert_eq!(
        (pass.window(0), pass.window(1), pass.window(7)),
        ((-1, -1), (-1, 1), (1, -1))
    );
    assert!(
        pass.patch(0, 0)[..3].iter().all(|&v| v == 0.0),
        "padding reads zeros"
    );
}

#[test]
fn save_model_writes_the_weights_the_views_show() {
    let dir = std::env::temp_dir().join(format!("netviz-mnist-save-{}", std::process::id()));
    let path = dir.join("sub/lab.safetensors");
    let mut session = MnistSession::new(setup(), false).unwrap();
    for _ in 0..5 {
        session.step();
    }
    session
        .apply(MnistCommand::SaveModel(path.clone()))
        .unwrap();
    let snap = session.snapshot();
    assert_eq!(snap.message, Some(format!("saved {}", path.display())));
    let (_, model) = netviz::nn::io::load_model(&path).unwrap();
    let saved: Vec<Vec<f32>> = model
        .params()
        .map(|(_, p)| p.value.data().to_vec())
        .collect();
    let live: Vec<Vec<f32>> = session
        .trainer()
        .model()
        .params()
        .map(|(_, p)| p.value.data().to_vec())
        .collect();
    assert_eq!(saved, live);
    assert_eq!(snap.filters[0].weights, saved[0]);
    assert!(path.with_extension("metrics.json").is_file());

    // "Load model" brings those weights back into a fresh session, paused, and the views show
    // them; a file that is not a model leaves the session as it was.
    let mut other = MnistSession::new(setup(), false).unwrap();
    other.apply(MnistCommand::LoadModel(path.clone())).unwrap();
    let loaded: Vec<Vec<f32>> = other
        .trainer()
        .model()
        .params()
        .map(|(_, p)| p.value.data().to_vec())
        .collect();
    assert_eq!(loaded, saved);
    let snap = other.snapshot();
    assert_eq!(snap.message, Some(format!("loaded {}", path.display())));
    assert_eq!(snap.filters[0].weights, saved[0]);
    assert!(snap.paused, "a loaded model waits to be inspected");
    let bogus = dir.join("not-a-model.safetensors");
    std::fs::write(&bogus, b"not a model").unwrap();
    other.apply(MnistCommand::LoadModel(bogus)).unwrap();
    let snap = other.snapshot();
    assert!(
        snap.message
            .as_deref()
            .unwrap_or_default()
            .starts_with("not loaded:"),
        "{:?}",
        snap.message
    );
    assert_eq!(
        snap.filters[0].weights, saved[0],
        "the session is unchanged"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn long_curves_are_thinned_but_keep_both_ends() {
    use netviz::labs::mnist::lab::{MAX_PLOT_POINTS, thinned};
    let items: Vec<usize> = (0..10_001).collect();
    let kept: Vec<usize> = thinned(&items).copied().collect();
    assert!(kept.len() <= MAX_PLOT_POINTS + 1, "{}", kept.len());
    assert_eq!((kept[0], *kept.last().unwrap()), (0, 10_000));
    let short: Vec<usize> = (0..50).collect();
    assert_eq!(thinned(&short).copied().collect::<Vec<_>>(), short);
}

#[test]
fn a_restart_with_new_settings_trains_as_the_terminal_would_with_them() {
    let mut config = config();
    config.seed = 7;
    config.batch_size = 64;
    config.input = netviz::nn::config::InputSpec::Image {
        channels: 1,
        size: 12,
    };
    let mut session = MnistSession::new(setup(), true).unwrap();
    session
        .apply(MnistCommand::Restart(Box::new(config.clone())))
        .unwrap();
    session.apply(MnistCommand::TogglePause).unwrap();
    while session.step().is_some() {}
    let splits = prepare(&config, real_mnist()).unwrap();
    assert_eq!(session.trainer().train_data(), &splits.train);
    assert_eq!(session.trainer().val_data().side, 12);
    let mut direct = Trainer::new(
        config.clone(),
        config.build().unwrap(),
        splits.train,
        splits.val,
    )
    .unwrap();
    direct.run(|_| {}).unwrap();
    let snap = session.snapshot();
    assert_eq!(snap.config, config);
    assert_eq!(snap.epochs[0].validation, direct.history()[0].validation);
    assert_eq!(snap.probe.unwrap().layers[0].shape, [1, 12, 12]);
}

#[test]
fn the_whole_dashboard_runs_in_a_test_harness_and_space_pauses_training() {
    use netviz::ui::{Dashboard, Lab, dashboard_ui};
    type State = (MnistLab, Dashboard);
    let mut harness = Harness::builder()
        .with_size([1400.0, 900.0])
        .build_ui_state(
            |ui, (lab, dashboard): &mut State| {
                lab.update();
                dashboard_ui(ui, lab, dashboard);
            },
            (MnistLab::new(setup(), true).unwrap(), Dashboard::new()),
        );
    harness.run();
    harness.get_by_label("Restart with other settings").click();
    harness.run();
    harness.get_by_label("Restart");
    assert_eq!(harness.state().0.status().step, 0);
    harness.key_press(egui::Key::Space);
    harness.run();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while harness.state().0.status().step == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "training never started"
        );
        std::thread::sleep(Duration::from_millis(5));
        harness.step();
    }
}
