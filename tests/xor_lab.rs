//! The XOR lab's pictures checked against the numbers they show: the decision heatmap's color
//! at the four points, the separating plane between the classes (in the camera's projection
//! and in the rendered pixels), the warped surface, the network's printed values, and a
//! headless run of the whole dashboard.

// The helpers of these tests unwrap: a failure there is the test's failure.
#![allow(clippy::unwrap_used)]

mod render_support;

use std::sync::Arc;

use glam::{Vec2, Vec3};
use netviz::labs::xor::lab::{Panel, XorLab, XorLabOptions};
use netviz::labs::xor::scenes::{self, FeatureMotion, PROB_COLORMAP};
use netviz::labs::xor::snapshot::{FeatureSpace, HEATMAP_CELLS, XorSnapshot};
use netviz::labs::xor::{XorSession, XorSettings};
use netviz::render::camera::OrbitPose;
use netviz::render::{Camera2d, OrbitCamera, colormap_rgba};
use netviz::ui::{HeadlessOptions, Lab, render_headless};
use render_support::{ctx, maybe_save, render};

/// The default lab settings (seed 42), trained to 20,000 epochs: XOR is solved.
fn solved() -> XorSnapshot {
    let mut s = XorSession::new(XorSettings {
        max_epochs: 20_000,
        ..XorSettings::default()
    })
    .unwrap();
    while s.advance() {}
    let snap = s.snapshot();
    for (p, &l) in snap.points.iter().zip(&snap.data.labels) {
        assert_eq!(
            p.y > 0.5,
            l > 0.5,
            "XOR is solved from the fixed seed: {}",
            p.y
        );
    }
    snap
}

/// The heatmap cell containing world point `p` and that cell's center.
fn cell_of(snap: &XorSnapshot, p: [f32; 2]) -> (usize, [f32; 2]) {
    let (lo, hi) = snap.data.extent;
    let n = HEATMAP_CELLS;
    let w = (hi - lo) / n as f32;
    let col = (((p[0] - lo) / w) as usize).min(n - 1);
    let row_from_bottom = (((p[1] - lo) / w) as usize).min(n - 1);
    let row = n - 1 - row_from_bottom;
    (
        row * n + col,
        [
            lo + (col as f32 + 0.5) * w,
            lo + (row_from_bottom as f32 + 0.5) * w,
        ],
    )
}

#[test]
fn the_input_heatmap_shows_the_predicted_class_at_each_point() {
    let snap = solved();
    let (lo, hi) = snap.data.extent;
    let camera = Camera2d::new(
        Vec2::new(lo - 0.25, lo - 0.2),
        Vec2::new(hi + 0.15, hi + 0.2),
    )
    .keeping_aspect();
    let mut scene = scenes::input_space(&snap, camera.scene_camera());
    // The markers would cover the points: look at the heatmap itself.
    scene.points.clear();
    let size = Vec2::new(400.0, 400.0);
    let image = render(&scene, 400, 400);
    maybe_save(&image, "xor_input_heatmap");
    for (i, p) in snap.data.points.iter().enumerate() {
        let (cell, center) = cell_of(&snap, *p);
        let value = snap.output_grid[cell];
        let px = camera
            .project(Vec3::new(center[0], center[1], 0.0), size)
            .unwrap();
        let got = image.pixel(px.x as u32, px.y as u32);
        assert_eq!(
            got,
            colormap_rgba(PROB_COLORMAP, (0.0, 1.0), value),
            "point {i}: heatmap texel"
        );
        // Red (above 0.5) exactly where the network predicts class 1.
        assert_eq!(
            got[0] > got[2],
            snap.points[i].y > 0.5,
            "point {i}: color {got:?}, output {}",
            snap.points[i].y
        );
    }
}

/// A camera whose eye lies in the plane `n · a + b = 0`, so the plane projects to a line.
fn edge_on_camera(n: Vec3, b: f32, center: Vec3) -> OrbitCamera {
    let target = center - n * (n.dot(center) + b) / n.length_squared();
    let along = n.cross(Vec3::Y).normalize();
    let mut camera = OrbitCamera::framing(Vec3::ZERO, Vec3::ONE);
    let home = camera.pose();
    camera.limits.max_pitch_rad = camera.limits.max_pitch_rad.max(0.1);
    camera.set_home(OrbitPose {
        target,
        yaw_rad: along.x.atan2(along.z),
        pitch_rad: 0.0,
        ..home
    });
    camera
}

#[test]
fn the_separating_plane_splits_the_classes_in_the_projection_and_in_the_pixels() {
    let snap = solved();
    let FeatureSpace::Cube { plane } = &snap.feature_space else {
        panic!("3 hidden neurons make a cube")
    };
    let out = &snap.net.layers()[1];
    let n = Vec3::from_slice(&out.w);
    let b = out.b[0];
    // 1. Seen edge-on, the plane is a line on screen with the true points on one side.
    let camera = edge_on_camera(n, b, Vec3::splat(0.5));
    let size = Vec2::new(600.0, 600.0);
    let sc = camera.scene_camera();
    let corners: Vec<Vec2> = plane
        .iter()
        .map(|c| sc.project(Vec3::from(*c), size).unwrap())
        .collect();
    let (p0, p1) = corners
        .iter()
        .flat_map(|a| corners.iter().map(move |b| (*a, *b)))
        .max_by(|x, y| (x.0 - x.1).length().total_cmp(&(y.0 - y.1).length()))
        .unwrap();
    let dir = (p1 - p0).normalize();
    for c in &corners {
        let off = (*c - p0).perp_dot(dir).abs();
        assert!(
            off < 1.0,
            "the plane is seen edge-on: corner {off} px off the line"
        );
    }
    let mut sides = [Vec::new(), Vec::new()];
    for (p, &l) in snap.point_features.iter().zip(&snap.data.labels) {
        let s = (sc.project(Vec3::from(*p), size).unwrap() - p0).perp_dot(dir);
        assert!(s.abs() > 2.0, "point {p:?} is off the plane on screen");
        sides[usize::from(l > 0.5)].push(s > 0.0);
    }
    assert!(
        sides[0].iter().all(|&s| s == sides[0][0]) && sides[1].iter().all(|&s| s == sides[1][0])
    );
    assert_ne!(
        sides[0][0], sides[1][0],
        "the classes fall on opposite sides of the projected plane"
    );

    // 2. Seen face-on, a point behind the translucent plane is tinted by it, a point in front
    //    of it is not: the picture agrees with each point's side of the plane.
    let mut camera = OrbitCamera::framing(Vec3::ZERO, Vec3::ONE);
    let normal = n.normalize();
    let home = camera.pose();
    camera.set_home(OrbitPose {
        target: Vec3::splat(0.5),
        yaw_rad: normal.x.atan2(normal.z),
        pitch_rad: normal.y.asin(),
        ..home
    });
    let eye_side = n.dot(camera.eye()) + b > 0.0;
    let motion = FeatureMotion::at(&snap);
    let mut with_plane = scenes::feature_space(&snap, &motion, camera.scene_camera(), false);
    with_plane.meshes.remove(0); // the warped surface; keep the plane (mesh 1) and the points
    with_plane.lines.clear();
    let mut without_plane = with_plane.clone();
    without_plane.meshes.clear();
    let (a, b_img) = (
        render(&with_plane, 600, 600),
        render(&without_plane, 600, 600),
    );
    maybe_save(&a, "xor_plane");
    let scam = camera.scene_camera();
    let mut checked = [0, 0];
    let quad: Vec<Vec2> = plane
        .iter()
        .map(|c| scam.project(Vec3::from(*c), size).unwrap())
        .collect();
    for (p, &l) in snap.point_features.iter().zip(&snap.data.labels) {
        let px = scam.project(Vec3::from(*p), size).unwrap();
        if !inside_convex(&quad, px) {
            continue;
        }
        let (x, y) = (px.x as u32, px.y as u32);
        let tinted = a.pixel(x, y) != b_img.pixel(x, y);
        let behind = (n.dot(Vec3::from(*p)) + b > 0.0) != eye_side;
        assert_eq!(
            tinted, behind,
            "point {p:?} (class {l}) behind the plane: {behind}"
        );
        checked[usize::from(behind)] += 1;
    }
    assert!(
        checked[0] + checked[1] > 0,
        "some point lies under the plane in this view"
    );
}

fn inside_convex(poly: &[Vec2], p: Vec2) -> bool {
    let mut sign = 0.0f32;
    for i in 0..poly.len() {
        let (a, b) = (poly[i], poly[(i + 1) % poly.len()]);
        let s = (b - a).perp_dot(p - a);
        if s.abs() < 1e-3 {
            continue;
        }
        if sign == 0.0 {
            sign = s.signum();
        } else if s.signum() != sign {
            return false;
        }
    }
    true
}

#[test]
fn the_warped_surface_is_the_hidden_layer_of_the_grid_and_the_network_prints_its_values() {
    let snap = solved();
    let scene = scenes::feature_space(
        &snap,
        &FeatureMotion::at(&snap),
        OrbitCamera::default().scene_camera(),
        false,
    );
    let m = netviz::labs::xor::snapshot::SURFACE_VERTICES;
    let (lo, hi) = snap.data.extent;
    for (k, v) in scene.meshes[0].vertices.iter().enumerate() {
        let x = lo + (hi - lo) * (k % m) as f32 / (m - 1) as f32;
        let y = lo + (hi - lo) * (k / m) as f32 / (m - 1) as f32;
        let a = &snap.net.forward([x, y]).a[1];
        assert_eq!(v.pos, [a[0], a[1], a[2]], "vertex {k}");
    }
    let net = scenes::network(
        &snap,
        Some(2),
        Camera2d::new(Vec2::ZERO, Vec2::ONE).scene_camera(),
    );
    let text: String = net.labels.iter().map(|l| l.text.clone() + "\n").collect();
    for j in 0..3 {
        assert!(
            text.contains(&format!("b = {:.3}", snap.net.layers()[0].b[j])),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "z = {:.3}  a = {:.3}",
                snap.points[2].z[0][j], snap.points[2].a[0][j]
            )),
            "{text}"
        );
    }
    assert!(
        text.contains(&format!("ŷ = {:.3}", snap.points[2].y)),
        "{text}"
    );
}

#[test]
fn a_headless_dashboard_of_the_default_lab_solves_xor_and_shows_it() {
    let mut lab = XorLab::new(XorLabOptions {
        settings: XorSettings {
            max_epochs: 20_000,
            ..XorSettings::default()
        },
        max_refresh_hz: None,
        ..XorLabOptions::default()
    })
    .unwrap();
    assert!(lab.wait_until_done(std::time::Duration::from_secs(120)));
    let snap: Arc<XorSnapshot> = Arc::new(lab.snapshot().clone());
    for (p, &l) in snap.points.iter().zip(&snap.data.labels) {
        assert_eq!(p.y > 0.5, l > 0.5, "solved: output {}", p.y);
    }
    let camera = match lab.panels()[Panel::Input.index()].kind.clone() {
        netviz::ui::PanelKind::Scene2d(c) => c,
        other => panic!("the input space is a 2D scene, not {other:?}"),
    };
    let frame = render_headless(
        ctx(),
        Box::new(lab),
        HeadlessOptions {
            size_px: [1280, 800],
            pixels_per_point: 1.0,
            maximize: None,
        },
    )
    .unwrap();
    maybe_save(&frame.image, "xor_dashboard");
    let rect = frame
        .panel(Panel::Input.title())
        .expect("the input panel is laid out");
    let size = Vec2::new(rect.width(), rect.height());
    // The middle of the input plane, between the four points: the heatmap's exact color there.
    let (cell, center) = cell_of(&snap, [0.5, 0.5]);
    let local = camera
        .project(Vec3::new(center[0], center[1], 0.0), size)
        .unwrap();
    let (x, y) = ((rect.min.x + local.x) as u32, (rect.min.y + local.y) as u32);
    let want = colormap_rgba(PROB_COLORMAP, (0.0, 1.0), snap.output_grid[cell]);
    let got = frame.image.pixel(x, y);
    let close = got
        .iter()
        .zip(want)
        .all(|(g, w)| (i32::from(*g) - i32::from(w)).abs() <= 8);
    assert!(
        close,
        "dashboard pixel {got:?} at ({x},{y}) vs heatmap {want:?} (MSAA may soften edges only)"
    );
    assert!(
        got[2] > got[0],
        "the middle of XOR's plane is class 0 (blue): {got:?}"
    );
    // The feature-space panel is a picture, not a blank rectangle.
    let fs = frame.panels[Panel::Feature.index()].rect;
    let mut colors = std::collections::HashSet::new();
    for yy in (fs.min.y as u32..fs.max.y as u32).step_by(7) {
        for xx in (fs.min.x as u32..fs.max.x as u32).step_by(7) {
            colors.insert(frame.image.pixel(xx, yy));
        }
    }
    assert!(
        colors.len() > 50,
        "the feature space shows {} colors",
        colors.len()
    );
}

#[test]
fn the_command_line_headless_run_writes_a_png_and_the_outputs() {
    let dir = std::env::temp_dir().join(format!("netviz-xor-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let png = dir.join("xor.png");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_netviz"))
        .args([
            "xor",
            "--headless",
            "--epochs",
            "20000",
            "--size",
            "800x500",
            "--screenshot",
        ])
        .arg(&png)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last = stdout.lines().last().unwrap_or_default();
    let outputs: Vec<f32> = last
        .split("outputs=")
        .nth(1)
        .unwrap()
        .split(',')
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(
        outputs.iter().map(|&o| o > 0.5).collect::<Vec<_>>(),
        [false, true, true, false],
        "{last}"
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
    let reader = decoder.read_info().unwrap();
    assert_eq!((reader.info().width, reader.info().height), (800, 500));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn hovering_a_point_or_a_neuron_shows_its_values() {
    let mut lab = XorLab::new(XorLabOptions {
        settings: XorSettings {
            max_epochs: 5_000,
            ..XorSettings::default()
        },
        max_refresh_hz: None,
        ..XorLabOptions::default()
    })
    .unwrap();
    assert!(lab.wait_until_done(std::time::Duration::from_secs(60)));
    let snap = lab.snapshot().clone();
    let size = Vec2::new(500.0, 400.0);
    let view_of = |camera: Camera2d| netviz::ui::SceneView {
        size_px: [500, 400],
        pixels_per_point: 1.0,
        camera: camera.scene_camera(),
    };
    let (lo, hi) = snap.data.extent;
    let input = Camera2d::new(
        Vec2::new(lo - 0.25, lo - 0.2),
        Vec2::new(hi + 0.15, hi + 0.2),
    )
    .keeping_aspect();
    let at = input.project(Vec3::new(1.0, 0.0, 1.0), size).unwrap();
    let text = lab
        .hover_text(
            Panel::Input.index(),
            at + Vec2::new(3.0, -2.0),
            &view_of(input),
        )
        .expect("a point is under the pointer");
    assert!(
        text.contains("(1,0)") && text.contains(&format!("output {:.3}", snap.points[2].y)),
        "{text}"
    );
    assert!(
        lab.hover_text(Panel::Input.index(), Vec2::new(2.0, 2.0), &view_of(input))
            .is_none(),
        "nothing in the corner"
    );
    let (lo2, hi2) = scenes::NETWORK_EXTENT;
    let net = Camera2d::new(Vec2::from(lo2), Vec2::from(hi2)).keeping_aspect();
    let h1 = scenes::neuron_pos(scenes::NETWORK_COLUMNS.1, 0, 3);
    let at = net.project(Vec3::from(h1), size).unwrap();
    let text = lab
        .hover_text(Panel::Network.index(), at, &view_of(net))
        .expect("a neuron is under the pointer");
    assert!(
        text.contains("hidden neuron 1")
            && text.contains(&format!("bias b = {:.3}", snap.net.layers()[0].b[0])),
        "{text}"
    );
}

#[test]
fn a_command_the_session_refuses_says_why_in_the_status_line() {
    let mut lab = XorLab::new(XorLabOptions {
        settings: XorSettings {
            max_epochs: 100,
            ..XorSettings::default()
        },
        max_refresh_hz: None,
        ..XorLabOptions::default()
    })
    .expect("start the XOR lab");
    lab.send(netviz::labs::xor::XorCommand::SetLearningRate(-1.0));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let message = loop {
        lab.update();
        if let Some(message) = lab.status().message {
            break message;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no message within 5 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    assert!(
        message.contains("learning rate must be positive"),
        "{message}"
    );
    // The next command that works clears it.
    lab.send(netviz::labs::xor::XorCommand::SetLearningRate(0.5));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while lab.status().message.is_some() {
        assert!(std::time::Instant::now() < deadline, "the message stayed");
        std::thread::sleep(std::time::Duration::from_millis(5));
        lab.update();
    }
}

/// Clicks `at` in a kittest harness like a user would.
fn click_at<S>(harness: &mut egui_kittest::Harness<'_, S>, at: egui::Pos2) {
    harness.hover_at(at);
    for pressed in [true, false] {
        harness.event(egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
    harness.run();
}

#[test]
fn a_click_on_an_edge_of_the_network_chooses_that_weight_for_the_backprop_panel() {
    use egui_kittest::Harness;
    use netviz::nn::plane::ParamId;
    use netviz::ui::{Dashboard, dashboard_ui};

    let lab = XorLab::new(XorLabOptions {
        settings: XorSettings {
            hidden: vec![3, 2],
            max_epochs: 300,
            ..XorSettings::default()
        },
        max_refresh_hz: None,
        ..XorLabOptions::default()
    })
    .unwrap();
    let mut harness = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_ui_state(
            |ui, (lab, dashboard): &mut (XorLab, Dashboard)| {
                lab.update();
                dashboard_ui(ui, lab, dashboard);
            },
            (lab, Dashboard::new()),
        );
    harness.run_steps(3);
    let (lab, dashboard) = harness.state();
    let rect = dashboard
        .panel_rects()
        .iter()
        .find(|r| r.id == Panel::Network.id())
        .unwrap()
        .rect;
    let netviz::ui::PanelKind::Scene2d(camera) = lab.panels()[Panel::Network.index()].kind.clone()
    else {
        panic!("the network is a 2D scene")
    };
    let size = Vec2::new(rect.width(), rect.height());
    let screen = |w: [f32; 3]| {
        let p = camera.project(Vec3::from(w), size).unwrap();
        rect.min + egui::vec2(p.x, p.y)
    };
    // Each of these: the middle of its edge, or the neuron of its bias.
    for id in [
        ParamId::weight(2, 1, 2),
        ParamId::weight(1, 0, 1),
        ParamId::weight(3, 0, 0),
        ParamId::bias(2, 1),
    ] {
        let snap = harness.state().0.snapshot().clone();
        let at = match scenes::edge_of(&snap, id) {
            Some((a, b)) => screen([(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0, 0.0]),
            None => {
                let (_, _, p) = scenes::neuron_positions(&snap)
                    .into_iter()
                    .find(|&(c, j, _)| c == 2 && j == 1)
                    .unwrap();
                screen(p)
            }
        };
        click_at(&mut harness, at);
        assert_eq!(harness.state().0.chosen_param(), id, "clicked at {at:?}");
    }
}

#[test]
fn the_gradient_overlay_widens_edges_with_the_size_of_their_gradient() {
    use netviz::labs::xor::scenes::Overlay;
    let mut s = XorSession::new(XorSettings {
        hidden: vec![4, 3],
        max_epochs: 500,
        ..XorSettings::default()
    })
    .unwrap();
    while s.advance() {}
    let snap = s.snapshot();
    let grads = snap.net.backward(&snap.data.points, &snap.data.labels);
    let values: Vec<Vec<f32>> = grads.layers.iter().map(|l| l.w.clone()).collect();
    let overlay = Overlay {
        values: Some((values.clone(), "∂J/∂w".into())),
        ..Overlay::default()
    };
    let camera = netviz::render::Camera2d::new(Vec2::ZERO, Vec2::ONE).scene_camera();
    let scene = scenes::network_with(&snap, None, camera, &overlay);
    // The edges are the scene's first lines, layer by layer, `[to, from]` row-major.
    let flat: Vec<f32> = values.iter().flatten().copied().collect();
    let edges = &scene.lines[..flat.len()];
    let mut pairs: Vec<(f32, f32)> = flat
        .iter()
        .zip(edges)
        .map(|(g, line)| (g.abs(), line.width_px))
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    for w in pairs.windows(2) {
        assert!(w[0].1 <= w[1].1, "width not monotone in |gradient|: {w:?}");
    }
    assert!(pairs.last().unwrap().1 > pairs[0].1 + 1.0);
    for (g, line) in flat.iter().zip(edges) {
        let red = line.color[0] > line.color[2];
        assert_eq!(red, *g >= 0.0, "sign of {g}");
    }
    assert!(scene.labels.iter().any(|l| l.text.contains("∂J/∂w")));
}

#[test]
fn stepping_through_an_epoch_ends_on_the_weights_the_backprop_panel_showed() {
    use netviz::labs::xor::backprop::{Scope, derive};
    use netviz::labs::xor::lab::Stage;
    use std::time::{Duration, Instant};

    let mut lab = XorLab::new(XorLabOptions {
        settings: XorSettings {
            hidden: vec![3, 2],
            max_epochs: 1_000_000,
            ..XorSettings::default()
        },
        max_refresh_hz: Some(100.0),
        ..XorLabOptions::default()
    })
    .unwrap();
    let wait = |lab: &mut XorLab, done: &dyn Fn(&XorLab) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !done(lab) {
            assert!(Instant::now() < deadline, "timed out");
            std::thread::sleep(Duration::from_millis(5));
            lab.update();
        }
    };
    wait(&mut lab, &|l| l.snapshot().epoch >= 300);
    lab.start_step_through();
    wait(&mut lab, &|l| l.step_stage().is_some());
    let before = lab.snapshot().clone();
    assert!(before.paused);
    let shown = derive(
        &before.net,
        &before.data,
        lab.chosen_param(),
        Scope::Batch(1),
    )
    .unwrap();
    let mut stages = vec![lab.step_stage().unwrap()];
    let result = lab.step_result().unwrap().clone();
    while lab.step_stage() != Some(Stage::Update) {
        lab.next_stage();
        stages.push(lab.step_stage().unwrap());
        // The diagram at every stage, for looking at (NETVIZ_SAVE_TEST_PNGS).
        let netviz::ui::PanelKind::Scene2d(camera) =
            lab.panels()[Panel::Network.index()].kind.clone()
        else {
            panic!("the network is a 2D scene")
        };
        let view = netviz::ui::SceneView {
            size_px: [900, 520],
            pixels_per_point: 1.0,
            camera: camera.scene_camera(),
        };
        let scene = lab.scene(Panel::Network.index(), &view);
        maybe_save(
            &render(&scene, 900, 520),
            &format!("step-through-{}", stages.len()),
        );
    }
    assert_eq!(
        stages,
        [
            Stage::Forward(1),
            Stage::Forward(2),
            Stage::Forward(3),
            Stage::Backward(1),
            Stage::Backward(2),
            Stage::Backward(3),
            Stage::Update
        ]
    );
    // Nothing else moved meanwhile.
    assert_eq!(lab.snapshot().epoch, before.epoch);
    lab.next_stage();
    assert_eq!(lab.step_stage(), None);
    wait(&mut lab, &|l| l.snapshot().epoch == before.epoch + 1);
    let after = &lab.snapshot().net;
    assert_eq!(
        after.layers(),
        result.layers(),
        "the diagram's weights are the thread's"
    );
    // The "last update" overlay is that epoch's change.
    let change: Vec<Vec<f32>> = after
        .layers()
        .iter()
        .zip(before.net.layers())
        .map(|(a, b)| a.w.iter().zip(&b.w).map(|(x, y)| x - y).collect())
        .collect();
    assert_eq!(lab.snapshot().last_change, change);
    let new = shown.update.unwrap().new_value;
    assert_eq!(
        after.param(lab.chosen_param()).unwrap().to_bits(),
        new.to_bits(),
        "the panel's update row"
    );
}
