//! The attention lab's pictures checked against the model's numbers: every attention map's
//! cells are the weights through the colormap (rows summing to 1, masked cells empty), the
//! lines' widths follow the weights, the prediction bars are the softmax outputs; a head
//! switched off is exactly that head zeroed; a fixed seed solves sorting; the command line.

// The helpers of these tests unwrap: a failure there is the test's failure.
#![allow(clippy::unwrap_used)]

mod render_support;

use std::sync::Arc;

use glam::{Vec2, Vec3};
use netviz::data::tasks::{Task, TaskKind};
use netviz::labs::Session;
use netviz::labs::attention::scenes::{
    self, BAR_H, BAR_LEN, LINE_MAX_PT, LinesFocus, MapsShown, TOP_K,
};
use netviz::labs::attention::{AttentionSession, AttentionSettings, AttentionSnapshot};
use netviz::labs::style::BACKGROUND;
use netviz::nn::transformer::{HeadMask, Trace};
use netviz::render::scene::color_to_rgba8;
use netviz::render::{Colormap, colormap_rgba};
use render_support::{maybe_save, render};

/// The T model trained `steps` steps on `task` (a model whose heads already look somewhere).
fn trained(task: TaskKind, steps: u64) -> Arc<AttentionSnapshot> {
    let mut session = AttentionSession::new(AttentionSettings {
        task,
        max_steps: Some(steps),
        ..AttentionSettings::default()
    })
    .unwrap();
    session.run_to_end(steps).unwrap();
    session.snapshot()
}

fn probe_trace(snap: &AttentionSnapshot) -> Trace {
    snap.model
        .trace(&snap.probe.tokens, &HeadMask::all_on(snap.model.config()))
        .unwrap()
}

fn project(camera: &netviz::render::SceneCamera, p: [f32; 2], size: [u32; 2]) -> (u32, u32) {
    let px = camera
        .project(
            Vec3::new(p[0], p[1], 0.0),
            Vec2::new(size[0] as f32, size[1] as f32),
        )
        .unwrap();
    (px.x as u32, px.y as u32)
}

/// The weight a viridis pixel stands for: the middle of its colormap bin.
fn weight_of(pixel: [u8; 4]) -> Option<f32> {
    (0..256).find_map(|k| {
        let v = (k as f32 + 0.5) / 256.0;
        (colormap_rgba(Colormap::Viridis, (0.0, 1.0), v) == pixel).then_some(v)
    })
}

#[test]
fn every_map_cell_is_its_weight_through_the_colormap_rows_sum_to_one_and_masked_cells_are_empty() {
    let snap = trained(TaskKind::Sort, 150);
    let trace = probe_trace(&snap);
    let c = *snap.model.config();
    let t = trace.tokens.len();
    for shown in [MapsShown::All, MapsShown::One { layer: 1, head: 2 }] {
        let camera = scenes::maps_camera(c.layers, c.heads, shown).scene_camera();
        let size = [1000, 640];
        let scene = scenes::maps(
            &trace,
            &snap.task,
            shown,
            &|_, _| true,
            Colormap::Viridis,
            camera,
        );
        let image = render(&scene, size[0], size[1]);
        maybe_save(&image, &format!("attention-maps-{shown:?}"));
        let maps: Vec<(usize, usize, [f32; 2])> = match shown {
            MapsShown::All => (0..c.layers)
                .flat_map(|l| (0..c.heads).map(move |h| (l, h, scenes::map_origin(l, h))))
                .collect(),
            MapsShown::One { layer, head } => vec![(layer, head, [0.0, 0.0])],
        };
        for (l, h, origin) in maps {
            let w = &trace.layers[l].weights[h * t * t..(h + 1) * t * t];
            for i in 0..t {
                let mut row_sum = 0.0;
                for j in 0..t {
                    let (min, max) = scenes::cell_rect(origin, t, i, j);
                    let center = [(min[0] + max[0]) / 2.0, (min[1] + max[1]) / 2.0];
                    let (x, y) = project(&camera, center, size);
                    let pixel = image.pixel(x, y);
                    if j <= i {
                        assert_eq!(
                            pixel,
                            colormap_rgba(Colormap::Viridis, (0.0, 1.0), w[i * t + j]),
                            "layer {l} head {h} cell ({i},{j}) weight {}",
                            w[i * t + j]
                        );
                        row_sum += weight_of(pixel).unwrap();
                    } else {
                        assert_eq!(pixel, color_to_rgba8(BACKGROUND), "masked cell ({i},{j})");
                    }
                }
                // Each cell is read back to within half a bin of 1/256.
                let tolerance = (i + 1) as f32 / 512.0 + 1e-4;
                assert!(
                    (row_sum - 1.0).abs() <= tolerance,
                    "layer {l} head {h} row {i} sums to {row_sum}"
                );
            }
        }
    }
}

#[test]
fn the_grayscale_maps_are_the_same_weights() {
    let snap = trained(TaskKind::Reverse, 40);
    let trace = probe_trace(&snap);
    let c = *snap.model.config();
    let t = trace.tokens.len();
    let shown = MapsShown::One { layer: 0, head: 0 };
    let camera = scenes::maps_camera(c.layers, c.heads, shown).scene_camera();
    let scene = scenes::maps(
        &trace,
        &snap.task,
        shown,
        &|_, _| true,
        Colormap::Grayscale,
        camera,
    );
    let image = render(&scene, 600, 600);
    let w = &trace.layers[0].weights[..t * t];
    for i in 0..t {
        for j in 0..=i {
            let (min, max) = scenes::cell_rect([0.0, 0.0], t, i, j);
            let (x, y) = project(
                &camera,
                [(min[0] + max[0]) / 2.0, (min[1] + max[1]) / 2.0],
                [600, 600],
            );
            assert_eq!(
                image.pixel(x, y),
                colormap_rgba(Colormap::Grayscale, (0.0, 1.0), w[i * t + j])
            );
        }
    }
}

#[test]
fn the_lines_widths_and_opacities_follow_the_weights() {
    let snap = trained(TaskKind::Sort, 150);
    let trace = probe_trace(&snap);
    let t = trace.tokens.len();
    let camera = scenes::lines_camera(t).scene_camera();
    for focus in [LinesFocus::All, LinesFocus::Query(12), LinesFocus::Key(3)] {
        let lines = scenes::weight_lines(&trace, 1, &|_| true, focus);
        assert!(!lines.is_empty());
        let scene = scenes::lines(&trace, &snap.task, &lines, camera);
        assert_eq!(scene.lines.len(), lines.len());
        for (drawn, wl) in scene.lines.iter().zip(&lines) {
            let expect = trace.layers[1].weights[wl.head * t * t + wl.i * t + wl.j];
            assert_eq!(wl.w, expect);
            assert!((drawn.width_px - LINE_MAX_PT * expect).abs() < 1e-6);
            assert_eq!(drawn.color[3], expect.clamp(0.15, 1.0));
            assert_eq!(drawn.a[1], scenes::lines_y(wl.i));
            assert_eq!(drawn.b[1], scenes::lines_y(wl.j));
            match focus {
                LinesFocus::Query(q) => assert_eq!(wl.i, q),
                LinesFocus::Key(k) => assert_eq!(wl.j, k),
                LinesFocus::All => {}
            }
        }
        // Every pair of visible weight above the cut is drawn, and only those.
        let expected = (0..4)
            .flat_map(|h| (0..t).flat_map(move |i| (0..=i).map(move |j| (h, i, j))))
            .filter(|&(h, i, j)| {
                let keep = match focus {
                    LinesFocus::All => true,
                    LinesFocus::Query(q) => q == i,
                    LinesFocus::Key(k) => k == j,
                };
                keep && trace.layers[1].weights[h * t * t + i * t + j] >= scenes::LINE_MIN_WEIGHT
            })
            .count();
        assert_eq!(lines.len(), expected);
    }
    // Rendered: a lone line of weight w covers about LINE_MAX_PT * w pixels across.
    let heaviest = scenes::weight_lines(&trace, 1, &|h| h == 0, LinesFocus::Query(12))
        .into_iter()
        .max_by(|a, b| a.w.total_cmp(&b.w))
        .unwrap();
    let mut scene = scenes::lines(&trace, &snap.task, &[heaviest], camera);
    scene.labels.clear();
    scene.lines[0].color[3] = 1.0;
    let size = [800u32, 800u32];
    let image = render(&scene, size[0], size[1]);
    let a = camera
        .project(Vec3::from(scene.lines[0].a), Vec2::new(800.0, 800.0))
        .unwrap();
    let b = camera
        .project(Vec3::from(scene.lines[0].b), Vec2::new(800.0, 800.0))
        .unwrap();
    let mid = (a + b) / 2.0;
    let dir = (b - a).normalize();
    let normal = Vec2::new(-dir.y, dir.x);
    let bg = color_to_rgba8(BACKGROUND);
    let covered = (-40..=40)
        .filter(|&k| {
            let p = mid + normal * (k as f32 * 0.25);
            image.pixel(p.x as u32, p.y as u32) != bg
        })
        .count() as f32
        * 0.25;
    let expected = LINE_MAX_PT * heaviest.w;
    assert!(
        (covered - expected).abs() <= 1.5,
        "line of weight {} covers {covered} px, expected {expected}",
        heaviest.w
    );
}

#[test]
fn the_prediction_bars_are_the_softmax_outputs() {
    let snap = trained(TaskKind::Sort, 150);
    let trace = probe_trace(&snap);
    let t = trace.tokens.len();
    let v = snap.model.config().vocab;
    let size = [1200u32, 900u32];
    let camera = scenes::predictions_camera(t).scene_camera();
    let scored = snap.task.scored();
    let scene = scenes::predictions(&trace, &snap.probe, &snap.task, &scored, camera);
    let image = render(&scene, size[0], size[1]);
    maybe_save(&image, "attention-predictions");
    let viewport = Vec2::new(size[0] as f32, size[1] as f32);
    let px_per_unit = camera
        .project(Vec3::new(1.0, 0.0, 0.0), viewport)
        .unwrap()
        .x
        - camera.project(Vec3::ZERO, viewport).unwrap().x;
    for i in 0..t {
        let probs = &trace.probs[i * v..(i + 1) * v];
        // The probabilities are the softmax of the logits.
        let logits = &trace.logits[i * v..(i + 1) * v];
        let max = logits.iter().copied().fold(f32::MIN, f32::max);
        let z: f32 = logits.iter().map(|l| (l - max).exp()).sum();
        for k in 0..v {
            assert!(((logits[k] - max).exp() / z - probs[k]).abs() < 1e-5);
        }
        for (c, (_, p)) in scenes::top_k(probs, TOP_K).into_iter().enumerate() {
            let (min, _) = scenes::bar_rect(i, c, p);
            let y = -(i as f32);
            let start = camera.project(Vec3::new(min[0], y, 0.0), viewport).unwrap();
            // Walk right from the bar's start while the pixel is the bar's color.
            let row_y = start.y as u32;
            let color = image.pixel(start.x as u32 + 1, row_y);
            if p * BAR_LEN * px_per_unit < 2.0 {
                continue;
            }
            let mut x = start.x as u32 + 1;
            while image.pixel(x + 1, row_y) == color {
                x += 1;
            }
            let length = (x + 1) as f32 - start.x;
            let expected = p * BAR_LEN * px_per_unit;
            assert!(
                (length - expected).abs() <= 1.5,
                "position {i} candidate {c}: bar {length} px for p = {p} ({expected} px)"
            );
        }
        let _ = BAR_H;
    }
}

#[test]
fn switching_a_head_off_zeroes_exactly_its_output_and_changes_the_predictions() {
    let snap = trained(TaskKind::Sort, 300);
    let model = &snap.model;
    let c = *model.config();
    let dh = c.head_dim();
    let tokens = &snap.probe.tokens;
    let t = tokens.len();
    let on = model.trace(tokens, &HeadMask::all_on(&c)).unwrap();
    let mut mask = HeadMask::all_on(&c);
    mask.set(0, 1, false);
    let off = model.trace(tokens, &mask).unwrap();
    for p in 0..t {
        for h in 0..c.heads {
            let a = &on.layers[0].head_out[p * c.width + h * dh..p * c.width + (h + 1) * dh];
            let b = &off.layers[0].head_out[p * c.width + h * dh..p * c.width + (h + 1) * dh];
            if h == 1 {
                assert!(b.iter().all(|&x| x == 0.0));
            } else {
                assert_eq!(a, b, "head {h} of the same block is untouched");
            }
        }
    }
    // Its attention weights are still computed (the maps show them); the output is what is cut.
    assert_eq!(on.layers[0].weights, off.layers[0].weights);
    assert_ne!(on.probs, off.probs);
}

#[test]
fn a_fixed_seed_solves_sorting_on_every_held_out_sequence() {
    // The lab's defaults (workload T's model, Adam 1e-3 after 50 warm-up steps, batch 32),
    // the rate decaying to zero over the run.
    let mut session = AttentionSession::new(AttentionSettings {
        max_steps: Some(3000),
        decay: true,
        ..AttentionSettings::default()
    })
    .unwrap();
    session.run_to_end(3000).unwrap();
    let snap = session.snapshot();
    assert_eq!(snap.held_all_on.sequences, 1000);
    assert_eq!(
        snap.held_all_on.exact_accuracy(),
        1.0,
        "held-out {:?}",
        snap.held_all_on
    );
    // And the task's own check: the fresh sequences really are sorted digits.
    let task = Task::new(TaskKind::Sort, 0);
    let held = task.held_out(10, 0);
    for s in 0..10 {
        let targets = &held.targets_of(s)[8..];
        assert!(targets.windows(2).all(|w| w[0] <= w[1]));
    }
}

#[test]
fn the_command_line_trains_headless_and_writes_each_view() {
    let dir = std::env::temp_dir().join(format!("netviz-attention-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for scene in [
        None,
        Some("maps"),
        Some("lines"),
        Some("predictions"),
        Some("learning"),
        Some("embedding"),
        Some("heads"),
    ] {
        let png = dir.join(format!("{}.png", scene.unwrap_or("dashboard")));
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_netviz"));
        cmd.args([
            "attention",
            "--headless",
            "--steps",
            "60",
            "--size",
            "640x400",
            "--screenshot",
        ])
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
        assert!(last.starts_with("steps=60 token_accuracy="), "{last}");
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (640, 400));
    }
    // `attention train` ends with the scores and writes a model the lab can load.
    let model = dir.join("reverse.safetensors");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_netviz"))
        .args([
            "attention",
            "train",
            "--task",
            "reverse",
            "--steps",
            "50",
            "--eval-every",
            "25",
            "--out",
        ])
        .arg(&model)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("steps=50 token_accuracy=")
            && last.contains(" exact_accuracy=")
            && last.contains(" seconds="),
        "{last}"
    );
    let loaded = netviz::nn::transformer::Transformer::load(&model).unwrap();
    assert_eq!(loaded.config().vocab, 16);
    // Bad flags get one line and exit 2.
    for bad in [
        vec!["attention", "train", "--lr", "nan"],
        vec!["attention", "train", "--width", "30", "--heads", "4"],
        vec!["attention", "train", "--weight-decay", "200"],
        vec![
            "attention",
            "--headless",
            "--heads",
            "3",
            "--screenshot",
            "x.png",
        ],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_netviz"))
            .args(&bad)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with("error:") && !stderr.contains("panicked"),
            "{stderr}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_session_survives_a_learning_rate_that_diverges() {
    let mut session = AttentionSession::new(AttentionSettings {
        learning_rate: 1.0,
        warmup: 0,
        ..AttentionSettings::default()
    })
    .unwrap();
    session.set_paused(false);
    for _ in 0..300 {
        let _ = session.step();
    }
    let snap = session.snapshot();
    // Either it trained through, or it stopped with a message; never a panic.
    assert!(snap.step > 0);
}

fn scene_view(
    lab: &netviz::labs::attention::AttentionLab,
    panel: netviz::labs::attention::Panel,
    size: [u32; 2],
) -> netviz::ui::SceneView {
    use netviz::ui::{Lab, PanelKind};
    let camera = match lab.panels()[panel.index()].kind.clone() {
        PanelKind::Scene2d(c) => c.scene_camera(),
        PanelKind::Scene3d(c) => c.scene_camera(),
        PanelKind::Egui => panic!("{panel:?} is a scene"),
    };
    netviz::ui::SceneView {
        size_px: size,
        pixels_per_point: 1.0,
        camera,
    }
}

#[test]
fn clicking_a_map_enlarges_it_and_hovering_a_token_isolates_its_lines() {
    use netviz::labs::attention::{AttentionLab, AttentionLabOptions, Panel};
    use netviz::ui::Lab;
    let mut lab = AttentionLab::new(AttentionLabOptions {
        settings: AttentionSettings {
            max_steps: Some(30),
            ..AttentionSettings::default()
        },
        paused: true,
        steps_before: 30,
    })
    .unwrap();
    lab.update();
    let size = [1000, 700];
    let view = scene_view(&lab, Panel::Maps, size);
    // The middle of layer 2 head 3's map.
    let o = scenes::map_origin(1, 2);
    let center = [o[0] + scenes::MAP_SIZE / 2.0, o[1] - scenes::MAP_SIZE / 2.0];
    let (x, y) = project(&view.camera, center, size);
    let hover = lab
        .hover_text(Panel::Maps.index(), Vec2::new(x as f32, y as f32), &view)
        .unwrap();
    assert!(hover.starts_with("layer 2 head 3: query "), "{hover}");
    lab.click(Panel::Maps.index(), Vec2::new(x as f32, y as f32), &view);
    let state = lab.view_state();
    assert!(state.enlarged);
    assert_eq!((state.layer, state.head), (1, 2));
    // A click on the enlarged map shows every map again.
    lab.click(Panel::Maps.index(), Vec2::new(x as f32, y as f32), &view);
    assert!(!lab.view_state().enlarged);

    // Hovering query 12 in the lines view isolates its lines in the next scene.
    let view = scene_view(&lab, Panel::Lines, size);
    let (x, y) = project(
        &view.camera,
        [scenes::LINES_X.0 - 0.1, scenes::lines_y(12)],
        size,
    );
    let text = lab
        .hover_text(Panel::Lines.index(), Vec2::new(x as f32, y as f32), &view)
        .unwrap();
    assert!(text.starts_with("query 12 "), "{text}");
    let scene = lab.scene(Panel::Lines.index(), &view);
    let y12 = scenes::lines_y(12);
    assert!(!scene.lines.is_empty());
    assert!(scene.lines.iter().all(|l| l.a[1] == y12));
    // The pointer gone, the next frame shows every query's lines again.
    lab.update();
    lab.update();
    let scene = lab.scene(Panel::Lines.index(), &view);
    assert!(scene.lines.iter().any(|l| l.a[1] != y12));
}

#[test]
fn an_edited_probe_changes_every_view_at_once_and_a_bad_one_is_refused() {
    use netviz::labs::attention::{AttentionLab, AttentionLabOptions, Panel};
    use netviz::ui::Lab;
    let mut lab = AttentionLab::new(AttentionLabOptions {
        settings: AttentionSettings {
            max_steps: Some(30),
            ..AttentionSettings::default()
        },
        paused: true,
        steps_before: 30,
    })
    .unwrap();
    lab.update();
    let before = lab.trace().unwrap();
    lab.set_probe_text("98765432").unwrap();
    assert_eq!(&lab.probe().tokens[..9], &[9, 8, 7, 6, 5, 4, 3, 2, 10]);
    assert_eq!(lab.probe().targets[8], Some(2));
    let after = lab.trace().unwrap();
    assert_ne!(before.probs, after.probs);
    let snap = lab.snapshot().clone();
    let expect = snap
        .model
        .trace(&lab.probe().tokens, &HeadMask::all_on(snap.model.config()))
        .unwrap();
    assert_eq!(after.probs, expect.probs);
    let view = scene_view(&lab, Panel::Predictions, [900, 700]);
    let scene = lab.scene(Panel::Predictions.index(), &view);
    assert!(scene.labels.iter().any(|l| l.text == "0 9"));
    // Not digits: refused with a reason, the probe kept.
    let err = lab.set_probe_text("12a45678").unwrap_err();
    assert!(err.contains("'a' is not a digit"), "{err}");
    assert_eq!(lab.probe().tokens[0], 9);
}
