//! Every label readable: each lab's whole dashboard is laid out in a plain egui context (no
//! GPU: scene panels show their background and their labels, drawn as egui text like in the
//! window) at 1280x800 and 1600x1000 physical pixels, at scale 1 and 2, and no two visible
//! texts (panel titles, plot ticks and legends, scene labels, controls) may overlap by more
//! than 2 pixels. A failure names both strings. Then the MNIST views' own fixes: the filter
//! pass prints numbers only at a size that fits a cell (hover tells them otherwise), the
//! activation stack's layer names stand apart, and the embedding's cloud fills its panel.

mod common;
mod ui_support;

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use egui::{Pos2, RawInput, Rect, Vec2, ViewportId};

use common::mnist_server::shared_mnist_dir;
use glam::{Vec2 as V2, Vec3};
use netviz::data::mnist::{self, DirSource, Quiet};
use netviz::labs::mnist::activation_labels::{activation_text, activations_fitted};
use netviz::labs::mnist::filter_pass::{FilterPass, filter_pass_scene_fitted};
use netviz::labs::mnist::lab::{activations_camera, embedding_camera, filter_pass_camera};
use netviz::labs::mnist::scenes::activation_layout;
use netviz::labs::mnist::{MnistLab, MnistSetup};
use netviz::labs::xor::XorSettings;
use netviz::labs::xor::{XorLab, XorLabOptions};
use netviz::nn::config::ModelConfig;
use netviz::render::labels::{estimated_text_size, label_box, project_labels};
use netviz::render::scene::LabelRole;
use netviz::train::mnist::prepare;
use netviz::ui::text_overlap::text_overlaps;
use netviz::ui::{Dashboard, Lab, SceneView, dashboard_ui};
use ui_support::paused_gallery;

/// Window sizes in physical pixels.
const SIZES_PX: [[u32; 2]; 2] = [[1280, 800], [1600, 1000]];
/// Physical pixels per point.
const SCALES: [f32; 2] = [1.0, 2.0];
/// The most two texts may share, in physical pixels, across and down.
const TOLERANCE_PX: f32 = 2.0;
/// egui passes per picture: the first ones measure (windows, plots, grids), the last counts.
const PASSES: usize = 3;

/// The overlapping texts of `lab`'s dashboard at `size_px` and `ppp`, one line each.
fn overlaps_of(lab: &mut dyn Lab, size_px: [u32; 2], ppp: f32) -> Vec<String> {
    let ctx = egui::Context::default();
    ctx.all_styles_mut(|style| style.animation_time = 0.0);
    let input = || {
        let mut input = RawInput {
            screen_rect: Some(Rect::from_min_size(
                Pos2::ZERO,
                Vec2::new(size_px[0] as f32, size_px[1] as f32) / ppp,
            )),
            time: Some(0.0),
            focused: true,
            ..RawInput::default()
        };
        input
            .viewports
            .entry(ViewportId::ROOT)
            .or_default()
            .native_pixels_per_point = Some(ppp);
        input
    };
    let mut dashboard = Dashboard::new();
    let mut shapes = Vec::new();
    for _ in 0..PASSES {
        lab.update();
        shapes = ctx
            .run_ui(input(), |ui| dashboard_ui(ui, lab, &mut dashboard))
            .shapes;
    }
    text_overlaps(&shapes, TOLERANCE_PX / ppp)
        .iter()
        .map(|o| format!("{}x{} at scale {ppp}: {o}", size_px[0], size_px[1]))
        .collect()
}

/// Runs `lab` at every size and scale and fails listing every overlap found.
fn assert_readable(name: &str, lab: &mut dyn Lab) {
    let mut found = Vec::new();
    for size_px in SIZES_PX {
        for ppp in SCALES {
            found.extend(overlaps_of(lab, size_px, ppp));
        }
    }
    assert!(
        found.is_empty(),
        "{name}: {} texts overlap:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn gallery_texts_never_overlap() {
    assert_readable("gallery", &mut paused_gallery());
}

#[test]
fn xor_texts_never_overlap() {
    let mut lab = XorLab::new(XorLabOptions {
        settings: XorSettings {
            max_epochs: 5_000,
            ..XorSettings::default()
        },
        max_refresh_hz: None,
        ..XorLabOptions::default()
    })
    .expect("start the XOR lab");
    assert!(lab.wait_until_done(Duration::from_secs(60)), "XOR trained");
    assert_readable("xor", &mut lab);
}

#[test]
fn attention_texts_never_overlap() {
    use netviz::labs::attention::{AttentionLab, AttentionLabOptions, AttentionSettings};
    let mut lab = AttentionLab::new(AttentionLabOptions {
        settings: AttentionSettings {
            max_steps: Some(150),
            ..AttentionSettings::default()
        },
        paused: true,
        steps_before: 150,
    })
    .expect("start the attention lab");
    assert_readable("attention", &mut lab);
}

#[test]
fn forest_texts_never_overlap() {
    use netviz::labs::forest::{ForestData, ForestLab, ForestLabOptions, ForestSettings};
    let mut settings = ForestSettings {
        data: ForestData::Plane(netviz::data::plane::DatasetKind::Moons),
        ..ForestSettings::default()
    };
    settings.forest.trees = 20;
    let mut lab = ForestLab::new_complete(ForestLabOptions {
        settings,
        ..ForestLabOptions::default()
    })
    .expect("start the forest lab");
    assert_readable("forest", &mut lab);

    let mnist =
        mnist::load(&shared_mnist_dir(), DirSource::Flag, &[], &mut Quiet).expect("read MNIST");
    let mut settings = ForestSettings {
        data: ForestData::Mnist,
        mnist_train: 2_000,
        mnist_test: 1_000,
        ..ForestSettings::default()
    };
    settings.forest.trees = 10;
    let mut lab = ForestLab::new_complete(ForestLabOptions {
        settings,
        mnist: Some(std::sync::Arc::new(mnist)),
        ..ForestLabOptions::default()
    })
    .expect("start the forest lab on MNIST");
    assert_readable("forest on MNIST", &mut lab);
}

/// The MNIST lab on real MNIST (5% of the training images), trained one epoch, built once.
fn trained_mnist() -> &'static Mutex<MnistLab> {
    static LAB: OnceLock<Mutex<MnistLab>> = OnceLock::new();
    LAB.get_or_init(|| {
        let mut config =
            ModelConfig::from_json_str(include_str!("../assets/configs/default_cnn.json"))
                .expect("default config");
        config.percent_of_train_data_to_use = 0.05;
        config.epochs = 1;
        let data = Arc::new(
            mnist::load(&shared_mnist_dir(), DirSource::Flag, &[], &mut Quiet)
                .expect("real MNIST in ../shared/data/mnist"),
        );
        let splits = prepare(&config, &data).expect("prepare");
        let setup = MnistSetup {
            model: config.build().expect("build"),
            config,
            train: Arc::new(splits.train),
            val: Arc::new(splits.val),
            source: Some(data),
        };
        let mut lab = MnistLab::new(setup, false).expect("start the MNIST lab");
        assert!(lab.wait_until_done(Duration::from_secs(120)), "one epoch");
        Mutex::new(lab)
    })
}

#[test]
fn mnist_texts_never_overlap() {
    let mut lab = trained_mnist().lock().unwrap_or_else(|e| e.into_inner());
    assert_readable("mnist", &mut *lab);
}

#[test]
fn filter_pass_numbers_fit_their_cells_or_are_left_out_and_hovering_tells_them() {
    let lab = trained_mnist().lock().unwrap_or_else(|e| e.into_inner());
    let snap = lab.snapshot();
    let pass = FilterPass::first_conv(
        &snap.config,
        snap.probe.as_deref().expect("a probe"),
        &snap.filters,
        0,
    )
    .expect("the first convolution's pass");
    let camera = filter_pass_camera(snap).scene_camera();
    let step = 20;
    for cell_pt in [9.0f32, 24.0, 60.0] {
        let scene = filter_pass_scene_fitted(&pass, step, camera, cell_pt);
        let values: Vec<_> = scene
            .labels
            .iter()
            .filter(|l| l.role == LabelRole::Value)
            .collect();
        let sum = scene
            .labels
            .iter()
            .find(|l| l.text.contains(&format!("{:.3}", pass.outputs[step])))
            .expect("the sum");
        if cell_pt < 20.0 {
            assert!(
                values.is_empty(),
                "{cell_pt} pt cells are too small for numbers"
            );
            assert!(sum.text.contains("hover"), "{}", sum.text);
        } else {
            assert_eq!(values.len(), 2 * pass.kernel * pass.kernel);
            for v in values {
                let size = estimated_text_size(&v.text, v.size_px);
                assert!(
                    size.x <= cell_pt && size.y <= cell_pt,
                    "{v:?} in {cell_pt} pt"
                );
            }
        }
    }
    // Hovering an input pixel and a weight.
    let x = pass.input[3 * pass.in_side + 5];
    let text = pass.describe_at([5.5, -3.5], step).expect("an input pixel");
    assert!(text.contains(&format!("{x:.4}")), "{text}");
    let w = pass.kernel_of(0)[pass.kernel + 2];
    let text = pass
        .describe_at([pass.kernel_x() + 2.5, -1.5], step)
        .expect("a weight");
    assert!(text.contains(&format!("{w:.4}")), "{text}");
    assert_eq!(pass.describe_at([-3.0, 1.0], step), None);
}

#[test]
fn activation_layer_names_stand_apart_and_hovering_a_slab_names_it() {
    let lab = trained_mnist().lock().unwrap_or_else(|e| e.into_inner());
    let snap = lab.snapshot();
    let probe = snap.probe.as_ref().expect("a probe");
    let camera = activations_camera(snap).scene_camera();
    for (size_px, ppp) in [
        ([320u32, 230u32], 1.0f32),
        ([640, 460], 2.0),
        ([900, 600], 1.0),
    ] {
        let view = SceneView {
            size_px,
            pixels_per_point: ppp,
            camera,
        };
        let mut scene = activations_fitted(probe, &view);
        for label in &mut scene.labels {
            label.size_px *= ppp;
        }
        let viewport = V2::new(size_px[0] as f32, size_px[1] as f32);
        let names: Vec<_> = project_labels(&scene, viewport)
            .into_iter()
            .filter(|l| l.role == LabelRole::Title)
            .collect();
        assert!(
            names.len() * 2 >= probe.layers.len(),
            "most names shown at {size_px:?}"
        );
        for (i, a) in names.iter().enumerate() {
            let box_a = label_box(a.pos_px, a.anchor, estimated_text_size(&a.text, a.size_px));
            assert!(box_a.0.y >= 0.0 && box_a.1.y <= viewport.y, "{a:?} in view");
            for b in &names[i + 1..] {
                let box_b = label_box(b.pos_px, b.anchor, estimated_text_size(&b.text, b.size_px));
                let apart = box_a.1.x <= box_b.0.x
                    || box_b.1.x <= box_a.0.x
                    || box_a.1.y <= box_b.0.y
                    || box_b.1.y <= box_a.0.y;
                assert!(apart, "{:?} and {:?} at {size_px:?}", a.text, b.text);
            }
        }
    }
    // The center of the input slab's first tile names the input layer.
    let view = SceneView {
        size_px: [900, 600],
        pixels_per_point: 1.0,
        camera,
    };
    let layout = activation_layout(probe);
    let tile = &layout.tiles[0];
    let center = Vec3::new(
        (tile.min[0] + tile.max[0]) / 2.0,
        (tile.min[1] + tile.max[1]) / 2.0,
        tile.z,
    );
    let at = camera
        .project(center, V2::new(900.0, 600.0))
        .expect("in view");
    let text = activation_text(probe, &view, at).expect("a tile under the pointer");
    assert!(text.starts_with(&probe.layers[0].name), "{text}");
}

#[test]
fn the_embedding_cloud_fills_its_panel() {
    let lab = trained_mnist().lock().unwrap_or_else(|e| e.into_inner());
    let emb = &lab
        .snapshot()
        .validation
        .as_ref()
        .expect("a validation pass")
        .embedding;
    let scene = netviz::labs::mnist::scenes::embedding(emb, embedding_camera().scene_camera());
    let viewport = V2::new(400.0, 300.0);
    let camera = scene.camera;
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for p in &scene.points {
        if let Some(px) = camera.project(Vec3::from(p.pos), viewport) {
            xs.push(px.x);
            ys.push(px.y);
        }
    }
    let spread = |v: &mut Vec<f32>| {
        v.sort_by(f32::total_cmp);
        v[v.len() * 95 / 100] - v[v.len() * 5 / 100]
    };
    let (wide, high) = (spread(&mut xs), spread(&mut ys));
    // Nine in ten points span more than half the panel one way or the other.
    assert!(
        wide > 0.5 * viewport.x || high > 0.5 * viewport.y,
        "the cloud spans {wide} x {high} px of {viewport}"
    );
}
