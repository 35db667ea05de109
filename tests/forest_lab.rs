//! The forest lab's pictures checked against the forest's numbers: the vote map's color at
//! cell centers against `Forest::votes`, each thumbnail against its tree's predictions, the
//! MNIST importance image against `Forest::importances`, the terrain's heights, the network
//! comparison, the tree diagram's layout and path, a tree replayed split by split, hover,
//! and the headless command line.

// The helpers of these tests unwrap: a failure there is the test's failure.
#![allow(clippy::unwrap_used)]

mod common;
mod render_support;

use std::sync::Arc;

use glam::{Vec2, Vec3};
use netviz::data::plane::DatasetKind;
use netviz::forest::{Forest, LEAF};
use netviz::labs::Session;
use netviz::labs::forest::diagram::{self, DiagramOptions};
use netviz::labs::forest::lab::PLANE_VIEW;
use netviz::labs::forest::scenes::{self, Thumb, VoteMapMarks};
use netviz::labs::forest::session::{GRID, LabData};
use netviz::labs::forest::{
    ForestData, ForestLab, ForestLabOptions, ForestSession, ForestSettings, ForestSnapshot, Panel,
    ViewState, views,
};
use netviz::labs::xor::scenes::PROB_COLORMAP;
use netviz::render::{Colormap, colormap_rgba};
use netviz::ui::{Lab, PanelKind, SceneView};
use render_support::{maybe_save, render};

/// A plane forest grown to the end (and its network trained).
fn grown(kind: DatasetKind, noise: f32, trees: usize) -> Arc<ForestSnapshot> {
    let mut settings = ForestSettings {
        data: ForestData::Plane(kind),
        noise,
        ..ForestSettings::default()
    };
    settings.forest.trees = trees;
    let mut session = ForestSession::new(settings, None, None);
    session.run_to_end();
    let snap = session.snapshot();
    assert_eq!(snap.trees.len(), trees);
    snap
}

/// The grid cell (row, col) whose center is nearest `p`.
fn cell_of(data: &LabData, p: [f32; 2]) -> (usize, usize) {
    let (lo, hi) = data.extent();
    let w = (hi - lo) / GRID as f32;
    let col = (((p[0] - lo) / w) as usize).min(GRID - 1);
    let row = GRID - 1 - (((p[1] - lo) / w) as usize).min(GRID - 1);
    (row, col)
}

/// Real MNIST, read from the shared folder.
fn mnist_data() -> netviz::data::mnist::Mnist {
    let dir = common::mnist_server::shared_mnist_dir();
    netviz::data::mnist::load(
        &dir,
        netviz::data::mnist::DirSource::Flag,
        &[],
        &mut netviz::data::mnist::Quiet,
    )
    .unwrap()
}

#[test]
fn the_vote_map_shows_the_share_of_trees_voting_each_class_at_every_cell() {
    let snap = grown(DatasetKind::Moons, 0.2, 25);
    let data = snap.data.clone().unwrap();
    let forest = snap.forest().unwrap();
    for k in [1, 7, 25] {
        let votes = views::vote_share_grid(&snap.trees, k);
        // The grid equals the library's own votes at every cell center.
        for row in (0..GRID).step_by(5) {
            for col in (0..GRID).step_by(5) {
                let c = data.cell_center(row, col);
                let v = forest.votes(&c, k);
                assert_eq!(
                    votes[row * GRID + col],
                    v[1] as f32 / k as f32,
                    "k {k}, cell ({row},{col})"
                );
            }
        }
        let camera = scenes::plane_camera(PLANE_VIEW);
        let mut scene = scenes::vote_map(
            &data,
            &votes,
            &VoteMapMarks::default(),
            camera.scene_camera(),
        );
        scene.points.clear();
        scene.lines.clear();
        let image = render(&scene, 480, 480);
        maybe_save(&image, &format!("forest_vote_map_{k}"));
        let size = Vec2::new(480.0, 480.0);
        let (_, train) = (0, &data.plane.as_ref().unwrap().0);
        for p in train.points.iter().step_by(9) {
            let (row, col) = cell_of(&data, *p);
            let center = data.cell_center(row, col);
            let px = camera
                .project(Vec3::new(center[0], center[1], 0.0), size)
                .unwrap();
            let got = image.pixel(px.x as u32, px.y as u32);
            let share = votes[row * GRID + col];
            assert_eq!(
                got,
                colormap_rgba(PROB_COLORMAP, (0.0, 1.0), share),
                "k {k} at {center:?}"
            );
            // Hue: the majority class (red = class 1); saturation grows with agreement.
            let majority = forest.votes(&center, k);
            if majority[0] != majority[1] {
                assert_eq!(
                    got[0] > got[2],
                    majority[1] > majority[0],
                    "k {k} at {center:?}: {got:?}"
                );
            }
        }
    }
}

#[test]
fn every_thumbnail_shows_its_own_trees_predictions() {
    let snap = grown(DatasetKind::Circles, 0.1, 6);
    let data = snap.data.clone().unwrap();
    let thumbs: Vec<Thumb> = snap
        .trees
        .iter()
        .map(|t| Thumb {
            grid: t.grid.clone(),
            vote: None,
            leaf_box: None,
        })
        .collect();
    let camera = scenes::thumbs_camera();
    let mut scene = scenes::thumbnails(&data, &thumbs, 6, None, camera.scene_camera());
    scene.lines.clear();
    let (w, h) = (900, 600);
    let image = render(&scene, w, h);
    maybe_save(&image, "forest_thumbnails");
    let size = Vec2::new(w as f32, h as f32);
    let (lo, hi) = data.extent();
    for (i, t) in snap.trees.iter().enumerate() {
        let (min, _) = scenes::thumb_rect(i);
        for (row, col) in [(10, 10), (48, 48), (30, 70), (80, 20), (60, 60)] {
            let c = data.cell_center(row, col);
            let world = [
                min[0] + (c[0] - lo) / (hi - lo) * scenes::THUMB_SIZE,
                min[1] + (c[1] - lo) / (hi - lo) * scenes::THUMB_SIZE,
            ];
            let px = camera
                .project(Vec3::new(world[0], world[1], 0.0), size)
                .unwrap();
            let got = image.pixel(px.x as u32, px.y as u32);
            let leaf = t.tree.leaf(&c);
            let p1 = t.tree.proba(leaf)[1];
            assert_eq!(
                got,
                colormap_rgba(PROB_COLORMAP, (0.0, 1.0), p1),
                "tree {i} cell ({row},{col})"
            );
            if p1 != 0.5 {
                assert_eq!(
                    got[0] > got[2],
                    t.tree.predict(&c) == 1,
                    "tree {i}: {got:?}"
                );
            }
        }
    }
}

#[test]
fn the_probe_leaf_box_is_the_region_of_its_leaf() {
    let snap = grown(DatasetKind::Spiral, 0.05, 3);
    let data = snap.data.clone().unwrap();
    let probe = [0.3, -0.4];
    for t in &snap.trees {
        let (min, max) = views::leaf_box(&t.tree, &probe, None, data.extent());
        assert!(
            min[0] <= probe[0] && probe[0] <= max[0] && min[1] <= probe[1] && probe[1] <= max[1]
        );
        let leaf = t.tree.leaf(&probe);
        for row in 0..GRID {
            for col in 0..GRID {
                let c = data.cell_center(row, col);
                let inside = c[0] > min[0] && c[0] < max[0] && c[1] > min[1] && c[1] < max[1];
                if inside {
                    assert_eq!(
                        t.tree.leaf(&c),
                        leaf,
                        "cell {c:?} inside the box of the probe's leaf"
                    );
                }
            }
        }
    }
}

#[test]
fn a_tree_replayed_split_by_split_ends_as_grown_and_starts_as_its_root() {
    let snap = grown(DatasetKind::Moons, 0.2, 2);
    let data = snap.data.clone().unwrap();
    let t = &snap.trees[1];
    let total = t.tree.splits();
    assert!(total > 3);
    assert_eq!(views::grid_after(&data, &t.tree, total), t.grid);
    let root = t.tree.proba(0)[1];
    assert!(
        views::grid_after(&data, &t.tree, 0)
            .iter()
            .all(|&v| v == root)
    );
    // Each split changes the picture only inside the node it splits.
    let before = views::grid_after(&data, &t.tree, 1);
    let distinct: std::collections::BTreeSet<u32> = before.iter().map(|v| v.to_bits()).collect();
    assert!(distinct.len() <= 2, "one split makes at most two regions");
}

#[test]
fn the_terrain_puts_every_point_at_its_vote_share() {
    let snap = grown(DatasetKind::Xor, 0.2, 15);
    let data = snap.data.clone().unwrap();
    let forest = snap.forest().unwrap();
    let votes = views::vote_share_grid(&snap.trees, 15);
    let shares = views::train_vote_shares(&data, &snap.trees, 15);
    let scene = scenes::terrain(
        &data,
        &votes,
        &shares,
        None,
        scenes::terrain_camera().scene_camera(),
    );
    let train = &data.plane.as_ref().unwrap().0;
    let spheres: Vec<_> = scene
        .points
        .iter()
        .filter(|p| p.style == netviz::render::PointStyle::Sphere)
        .collect();
    assert_eq!(spheres.len(), train.len());
    for (p, point) in train.points.iter().zip(&spheres) {
        let v = forest.votes(p, 15);
        assert_eq!(point.pos[1], v[1] as f32 / 15.0 * scenes::TERRAIN_HEIGHT);
    }
}

#[test]
fn a_forest_solves_xor_and_the_network_beside_it_too() {
    let snap = grown(DatasetKind::Xor, 0.0, 10);
    let last = snap.curves.last().unwrap();
    assert_eq!(last.train, 1.0);
    let net = snap.net.clone().unwrap();
    assert_eq!(net.epoch, ForestSettings::default().net_epochs);
    assert_eq!(
        net.train_accuracy, 1.0,
        "the 2-8-1 network learns XOR's four points"
    );
    // The comparison's right half is the network's output through the same colormap.
    let data = snap.data.clone().unwrap();
    let votes = views::vote_share_grid(&snap.trees, 10);
    let camera = scenes::compare_camera(PLANE_VIEW);
    let mut scene = scenes::compare(
        &data,
        &votes,
        "forest".into(),
        Some(&net),
        camera.scene_camera(),
    );
    scene.points.clear();
    scene.lines.clear();
    let image = render(&scene, 800, 400);
    maybe_save(&image, "forest_compare");
    let (lo, hi) = data.extent();
    let dx = (hi - lo) * 1.12;
    for (row, col) in [(20, 20), (50, 70), (75, 30)] {
        let c = data.cell_center(row, col);
        let px = camera
            .project(Vec3::new(c[0] + dx, c[1], 0.0), Vec2::new(800.0, 400.0))
            .unwrap();
        let want = colormap_rgba(PROB_COLORMAP, (0.0, 1.0), net.grid[row * GRID + col]);
        assert_eq!(
            image.pixel(px.x as u32, px.y as u32),
            want,
            "network cell ({row},{col})"
        );
    }
}

#[test]
fn the_diagram_lays_out_every_shown_node_below_its_parent_and_highlights_the_path() {
    let snap = grown(DatasetKind::Spiral, 0.1, 1);
    let tree = &snap.trees[0].tree;
    let probe = [0.1, 0.2];
    let path = tree.path(&probe);
    let opts = DiagramOptions {
        max_depth: 4,
        splits: None,
        path: path.clone(),
        feature_name: |f| format!("x{}", f + 1),
    };
    let lay = diagram::layout(tree, &opts);
    let shown: std::collections::HashMap<usize, [f32; 2]> = lay.nodes.iter().copied().collect();
    let expected = tree.nodes.iter().filter(|n| n.depth <= 4).count();
    assert_eq!(
        shown.len(),
        expected,
        "every node down to depth 4, no deeper"
    );
    for (&i, c) in &shown {
        let n = &tree.nodes[i];
        if n.feature != LEAF && n.depth < 4 {
            let (l, r) = (shown[&(n.left as usize)], shown[&(n.right as usize)]);
            assert!(l[1] < c[1] && r[1] < c[1], "children below their parent");
            assert!(l[0] < r[0], "left child on the left");
            assert!((c[0] - 0.5 * (l[0] + r[0])).abs() < 1e-5, "parent centered");
        }
    }
    let scene = diagram::diagram(tree, &opts, diagram::diagram_camera().scene_camera());
    let highlighted = scene
        .lines
        .iter()
        .filter(|l| l.color == scenes::HIGHLIGHT && l.width_px == 3.0)
        .count();
    let shown_path = path.iter().filter(|&&i| shown.contains_key(&i)).count();
    assert_eq!(
        highlighted,
        shown_path - 1,
        "one highlighted edge per step of the path"
    );
    // Grown to s splits, the diagram holds exactly the first 1 + 2s nodes (depth allowing).
    let s = 5.min(tree.splits());
    let lay = diagram::layout(
        tree,
        &DiagramOptions {
            max_depth: 64,
            splits: Some(s),
            ..opts
        },
    );
    let mut ids: Vec<usize> = lay.nodes.iter().map(|(i, _)| *i).collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..1 + 2 * s).collect::<Vec<_>>());
}

#[test]
fn the_mnist_importance_image_shows_the_forests_importances() {
    let mnist = Arc::new(mnist_data());
    let mut settings = ForestSettings {
        data: ForestData::Mnist,
        mnist_train: 1500,
        mnist_test: 500,
        ..ForestSettings::default()
    };
    settings.forest.trees = 6;
    let mut session = ForestSession::new(settings, Some(mnist), None);
    session.run_to_end();
    let snap = session.snapshot();
    let data = snap.data.clone().unwrap();
    let forest = snap.forest().unwrap();
    let imp = forest.importances(6);
    let ours = views::importances(&snap.trees, 6, 784);
    for (a, b) in imp.iter().zip(&ours) {
        assert!((a - b).abs() < 1e-12);
    }
    let camera = scenes::unit_camera();
    let scene = scenes::importance(&data, &imp, camera.scene_camera());
    let image = render(&scene, 560, 560);
    maybe_save(&image, "forest_importance");
    let max = imp.iter().copied().fold(0.0, f64::max) as f32;
    for pixel in [0, 100, 300, 350, 406, 433, 500, 783] {
        let (r, c) = (pixel / 28, pixel % 28);
        let center = [(c as f32 + 0.5) / 28.0, 1.0 - (r as f32 + 0.5) / 28.0];
        let px = camera
            .project(
                Vec3::new(center[0], center[1], 0.0),
                Vec2::new(560.0, 560.0),
            )
            .unwrap();
        assert_eq!(
            image.pixel(px.x as u32, px.y as u32),
            colormap_rgba(Colormap::Viridis, (0.0, max), imp[pixel] as f32),
            "pixel {pixel}"
        );
    }
    // The confusion matrix of the held-out digits agrees with the library's predictions.
    let m = views::test_confusion(&data, &snap.trees, 6);
    let mut row = Vec::new();
    let right = (0..data.test.rows)
        .filter(|&r| {
            data.test.row_into(r, &mut row);
            forest.predict(&row, 6) == data.test.labels[r]
        })
        .count();
    assert_eq!(m.correct() as usize, right);
    assert!(
        m.accuracy() > 0.6,
        "six trees on 1,500 digits: {}",
        m.accuracy()
    );
}

fn scene_view(lab: &ForestLab, panel: Panel, size: [u32; 2]) -> SceneView {
    let camera = match lab.panels()[panel.index()].kind.clone() {
        PanelKind::Scene2d(c) => c.scene_camera(),
        PanelKind::Scene3d(c) => c.scene_camera(),
        PanelKind::Egui => panic!("{panel:?} is a scene"),
    };
    SceneView {
        size_px: size,
        pixels_per_point: 1.0,
        camera,
    }
}

#[test]
fn hovering_the_vote_map_moves_the_probe_and_says_the_votes() {
    let mut settings = ForestSettings {
        data: ForestData::Plane(DatasetKind::Gaussians),
        ..ForestSettings::default()
    };
    settings.forest.trees = 12;
    let mut lab = ForestLab::new_complete(ForestLabOptions {
        settings,
        ..ForestLabOptions::default()
    })
    .unwrap();
    lab.update();
    let view = scene_view(&lab, Panel::VoteMap, [400, 400]);
    let camera = scenes::plane_camera(PLANE_VIEW);
    let target = [0.4_f32, -0.3_f32];
    let px = camera
        .project(
            Vec3::new(target[0], target[1], 0.0),
            Vec2::new(400.0, 400.0),
        )
        .unwrap();
    let text = lab.hover_text(Panel::VoteMap.index(), px, &view).unwrap();
    let probe = lab.view_state().probe;
    assert!(
        (probe[0] - target[0]).abs() < 0.01 && (probe[1] - target[1]).abs() < 0.01,
        "{probe:?}"
    );
    let forest = lab.snapshot().forest().unwrap();
    let votes = forest.votes(&probe, 12);
    assert!(
        text.contains(&format!("{} of 12 trees vote class 1", votes[1])),
        "{text}"
    );
    // Hovering a thumbnail chooses its tree.
    let view = scene_view(&lab, Panel::Trees, [800, 500]);
    let (min, max) = scenes::thumb_rect(3);
    let c = [(min[0] + max[0]) / 2.0, (min[1] + max[1]) / 2.0];
    let px = scenes::thumbs_camera()
        .project(Vec3::new(c[0], c[1], 0.0), Vec2::new(800.0, 500.0))
        .unwrap();
    let text = lab.hover_text(Panel::Trees.index(), px, &view).unwrap();
    assert!(text.starts_with("tree #3"), "{text}");
    assert_eq!(lab.chosen_tree(), Some(3));
    lab.set_view_state(ViewState {
        used: Some(4),
        ..lab.view_state().clone()
    });
    assert_eq!(lab.used(), 4);
}

#[test]
fn a_loaded_forest_file_replaces_the_trees_and_keeps_its_predictions() {
    let snap = grown(DatasetKind::Moons, 0.2, 5);
    let forest = snap.forest().unwrap();
    let dir = std::env::temp_dir().join(format!("netviz-forest-lab-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("moons.nvforest");
    forest.save(&path).unwrap();
    let mut settings = ForestSettings {
        data: ForestData::Plane(DatasetKind::Moons),
        noise: 0.2,
        ..ForestSettings::default()
    };
    settings.forest.trees = 2;
    let mut session = ForestSession::new(settings, None, None);
    session
        .apply(netviz::labs::forest::ForestCommand::Load(path.clone()))
        .unwrap();
    let loaded = session.snapshot();
    assert_eq!(loaded.trees.len(), 5);
    assert_eq!(
        views::vote_share_grid(&loaded.trees, 5),
        views::vote_share_grid(&snap.trees, 5)
    );
    assert_eq!(loaded.curves.last(), snap.curves.last());
    // A forest for other features is refused with a message, the trees kept.
    let mut mnist_like = Forest::clone(&forest);
    mnist_like.n_features = 784;
    let err = session.apply(netviz::labs::forest::ForestCommand::Load(
        dir.join("missing.nvforest"),
    ));
    assert!(err.is_err());
    assert_eq!(session.snapshot().trees.len(), 5);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_command_line_grows_the_forest_headless_and_writes_each_view() {
    let dir = std::env::temp_dir().join(format!("netviz-forest-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for scene in [None, Some("vote-map"), Some("tree"), Some("terrain")] {
        let png = dir.join(format!("{}.png", scene.unwrap_or("dashboard")));
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_netviz"));
        cmd.args([
            "forest",
            "--headless",
            "--dataset",
            "xor",
            "--trees",
            "12",
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
        assert!(last.starts_with("trees=12 train_accuracy="), "{last}");
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (640, 400));
    }
    std::fs::remove_dir_all(&dir).ok();
}
