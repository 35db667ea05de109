//! The forest lab's scenes, built from a [`ForestSnapshot`] and the view state (trees used,
//! chosen tree, probe): the vote map, every tree's thumbnail, the vote terrain, forest
//! against network, feature importance, and an MNIST digit with a tree's path. The tree
//! diagram has a file of its own ([`super::diagram`]). Every color and position comes from
//! the forest's numbers; `tests/forest_lab.rs` reads the pixels back.

use glam::Vec3;

use crate::labs::forest::session::{ForestSnapshot, GRID, LabData, NetView};
use crate::labs::plot::palette;
use crate::labs::style::{BACKGROUND, rect_lines, text_label};
use crate::labs::xor::scenes::{CLASS0, CLASS1, PROB_COLORMAP, contour_segments, prob_color};
use crate::render::camera::OrbitPose;
use crate::render::scene::{LabelRole, grid_indices};
use crate::render::{
    Anchor, Axes, Camera2d, Colormap, Image, Line, Mesh, MeshVertex, OrbitCamera, Point,
    PointStyle, Scene, SceneCamera,
};

/// The plane all plane views frame (the widest extent of the plane datasets), so a switch of
/// dataset keeps every point in view.
pub const PLANE_VIEW: (f32, f32) = (-1.5, 1.5);
/// Thumbnails per row in the "every tree" panel.
pub const THUMB_COLUMNS: usize = 8;
/// World size of a thumbnail (the gap between two is `THUMB_GAP`).
pub const THUMB_SIZE: f32 = 1.0;
/// Gap between two thumbnails (room for the tree's number above each).
pub const THUMB_GAP: f32 = 0.28;
/// Color of the chosen tree's frame, the probe and a highlighted path.
pub const HIGHLIGHT: [f32; 4] = [1.0, 0.84, 0.1, 1.0];
/// The importance image's colormap.
pub const IMPORTANCE_COLORMAP: Colormap = Colormap::Viridis;
/// Height of a vote share of 1 in the terrain.
pub const TERRAIN_HEIGHT: f32 = 1.0;

/// The color of class `c` of many (MNIST digits); classes 0 and 1 of the plane keep the XOR
/// lab's blue and red.
pub fn class_color(c: usize, classes: usize) -> [f32; 4] {
    if classes <= 2 {
        return if c == 1 { CLASS1 } else { CLASS0 };
    }
    let [r, g, b, _] = palette(c).to_array();
    [
        f32::from(r) / 255.0,
        f32::from(g) / 255.0,
        f32::from(b) / 255.0,
        1.0,
    ]
}

/// A disc with a white ring, so a class color stands out on any map.
fn push_marker(scene: &mut Scene, pos: [f32; 3], color: [f32; 4], radius: f32) {
    scene.points.push(Point {
        pos,
        color: [1.0, 1.0, 1.0, 1.0],
        radius_px: radius + 1.5,
        style: PointStyle::Disc,
    });
    scene.points.push(Point {
        pos: [pos[0], pos[1], pos[2] + 0.01],
        color,
        radius_px: radius,
        style: PointStyle::Disc,
    });
}

/// The 2D camera over the plane's extent.
pub fn plane_camera(extent: (f32, f32)) -> Camera2d {
    let (lo, hi) = extent;
    let pad = 0.08 * (hi - lo);
    Camera2d::new(
        glam::Vec2::new(lo - pad, lo - pad),
        glam::Vec2::new(hi + pad, hi + pad),
    )
    .keeping_aspect()
}

/// What the vote map shows besides the votes.
#[derive(Clone, Debug, Default)]
pub struct VoteMapMarks {
    /// Training rows whose out-of-bag prediction (trees used) is wrong.
    pub oob_mistakes: Vec<usize>,
    /// The probe point.
    pub probe: Option<[f32; 2]>,
    /// The chosen tree's bootstrap draw counts, to show its sample instead of the classes.
    pub bootstrap: Option<Vec<u32>>,
}

/// The vote map: the share of the trees used that vote class 1 at every cell, through the
/// blue-white-red colormap (hue: the majority class, saturation: the agreement), the 0.5
/// contour, the training points (out-of-bag mistakes crossed), the probe.
pub fn vote_map(data: &LabData, votes: &[f32], marks: &VoteMapMarks, camera: SceneCamera) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    let (lo, hi) = data.extent();
    let n = GRID as u32;
    scene.images.push(
        Image::in_rect([lo, lo], [hi, hi], 0.0, n, n, votes.to_vec())
            .with_colormap(PROB_COLORMAP, (0.0, 1.0)),
    );
    contour(&mut scene, votes, data.extent(), 0.5);
    if let Some((train, _)) = &data.plane {
        let radius = if train.len() <= 8 { 8.0 } else { 3.5 };
        for (i, (p, &l)) in train.points.iter().zip(&train.labels).enumerate() {
            let color = if l > 0.5 { CLASS1 } else { CLASS0 };
            match &marks.bootstrap {
                Some(counts) if counts.get(i).copied().unwrap_or(0) == 0 => {
                    // Out of this tree's bag: a hollow gray ring.
                    scene.points.push(Point {
                        pos: [p[0], p[1], 1.0],
                        color: [0.55, 0.55, 0.58, 1.0],
                        radius_px: radius + 1.0,
                        style: PointStyle::Disc,
                    });
                    scene.points.push(Point {
                        pos: [p[0], p[1], 1.01],
                        color: BACKGROUND,
                        radius_px: radius - 0.5,
                        style: PointStyle::Disc,
                    });
                }
                Some(counts) => {
                    let drawn = counts.get(i).copied().unwrap_or(1) as f32;
                    push_marker(&mut scene, [p[0], p[1], 1.0], color, radius * drawn.sqrt());
                }
                None => push_marker(&mut scene, [p[0], p[1], 1.0], color, radius),
            }
        }
        if marks.bootstrap.is_none() {
            let arm = 0.018 * (hi - lo);
            for &i in &marks.oob_mistakes {
                if let Some(p) = train.points.get(i) {
                    for (dx, dy) in [(1.0, 1.0), (1.0, -1.0)] {
                        scene.lines.push(Line {
                            a: [p[0] - dx * arm, p[1] - dy * arm, 1.1],
                            b: [p[0] + dx * arm, p[1] + dy * arm, 1.1],
                            color: [0.0, 0.0, 0.0, 1.0],
                            width_px: 2.0,
                        });
                    }
                }
            }
        }
    }
    if let Some(p) = marks.probe {
        probe_marker(&mut scene, p, 0.03 * (hi - lo));
    }
    let mut axes = Axes::new(Vec3::new(lo, lo, 0.0), Vec3::new(hi, hi, 0.0));
    axes.names = ["x1".into(), "x2".into(), String::new()];
    axes.add_to(&mut scene);
    scene
}

fn contour(scene: &mut Scene, grid: &[f32], extent: (f32, f32), level: f32) {
    for (a, b) in contour_segments(grid, GRID, extent, level) {
        scene.lines.push(Line {
            a: [a[0], a[1], 0.5],
            b: [b[0], b[1], 0.5],
            color: [0.05, 0.05, 0.05, 1.0],
            width_px: 2.5,
        });
    }
}

fn probe_marker(scene: &mut Scene, p: [f32; 2], arm: f32) {
    for (a, b) in [
        ([p[0] - arm, p[1]], [p[0] + arm, p[1]]),
        ([p[0], p[1] - arm], [p[0], p[1] + arm]),
    ] {
        scene.lines.push(Line {
            a: [a[0], a[1], 1.2],
            b: [b[0], b[1], 1.2],
            color: HIGHLIGHT,
            width_px: 3.0,
        });
    }
}

/// The world rectangle of thumbnail `i`: `(min, max)`.
pub fn thumb_rect(i: usize) -> ([f32; 2], [f32; 2]) {
    let (row, col) = (i / THUMB_COLUMNS, i % THUMB_COLUMNS);
    let step = THUMB_SIZE + THUMB_GAP;
    let min = [col as f32 * step, -(row as f32 * step) - THUMB_SIZE];
    (min, [min[0] + THUMB_SIZE, min[1] + THUMB_SIZE])
}

/// The thumbnails' starting camera: five rows of eight (drag to scroll, wheel to zoom).
pub fn thumbs_camera() -> Camera2d {
    let step = THUMB_SIZE + THUMB_GAP;
    Camera2d::new(
        glam::Vec2::new(-0.1, -(5.0 * step) + THUMB_GAP * 0.5),
        glam::Vec2::new(THUMB_COLUMNS as f32 * step, 0.05),
    )
    .keeping_aspect()
}

/// One thumbnail: a tree's grid of class-1 probabilities (or, for images, a tile in the class
/// color of the tree's vote), and the leaf box of the probe when known.
pub struct Thumb {
    /// The tree's probabilities of class 1 over the plane (`GRID²`), empty for images.
    pub grid: Vec<f32>,
    /// For images: the class this tree votes for the chosen digit.
    pub vote: Option<u8>,
    /// The probe's leaf as a box of the plane `(min, max)`.
    pub leaf_box: Option<([f32; 2], [f32; 2])>,
}

/// Every tree at once: small multiples in grown order, the chosen tree framed, the trees
/// beyond the number used dimmed.
pub fn thumbnails(
    data: &LabData,
    thumbs: &[Thumb],
    used: usize,
    chosen: Option<usize>,
    camera: SceneCamera,
) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    let (lo, hi) = data.extent();
    let to_thumb = |min: [f32; 2], p: [f32; 2]| {
        [
            min[0] + (p[0] - lo) / (hi - lo) * THUMB_SIZE,
            min[1] + (p[1] - lo) / (hi - lo) * THUMB_SIZE,
        ]
    };
    let mut tiles = Mesh::default();
    for (i, thumb) in thumbs.iter().enumerate() {
        let (min, max) = thumb_rect(i);
        if !thumb.grid.is_empty() {
            scene.images.push(
                Image::in_rect(min, max, 0.0, GRID as u32, GRID as u32, thumb.grid.clone())
                    .with_colormap(PROB_COLORMAP, (0.0, 1.0)),
            );
        } else if let Some(v) = thumb.vote {
            tiles.push_rect(
                min,
                max,
                0.0,
                class_color(usize::from(v), data.train.classes),
            );
            scene.labels.push(text_label(
                [(min[0] + max[0]) / 2.0, (min[1] + max[1]) / 2.0, 0.5],
                v.to_string(),
                15.0,
                Anchor::Center,
                LabelRole::Data,
            ));
        }
        if i >= used {
            tiles.push_rect(min, max, 0.3, [0.07, 0.075, 0.09, 0.75]);
        }
        if let Some((a, b)) = thumb.leaf_box {
            let (a, b) = (to_thumb(min, a), to_thumb(min, b));
            scene.lines.extend(rect_lines(a, b, 0.6, HIGHLIGHT, 1.5));
        }
        let frame = if chosen == Some(i) {
            (HIGHLIGHT, 3.0)
        } else {
            ([0.35, 0.35, 0.4, 1.0], 1.0)
        };
        scene
            .lines
            .extend(rect_lines(min, max, 0.7, frame.0, frame.1));
        scene.labels.push(text_label(
            [min[0], max[1] + 0.03, 0.8],
            format!("#{i}"),
            11.0,
            Anchor::BottomLeft,
            LabelRole::Data,
        ));
    }
    if !tiles.vertices.is_empty() {
        scene.meshes.push(tiles);
    }
    scene
}

/// How far right of the ensemble's terrain the chosen tree's surface stands.
pub const TREE_SURFACE_DX: f32 = 3.6;

/// The terrain's starting camera: the ensemble's terrain and the chosen tree's beside it.
pub fn terrain_camera() -> OrbitCamera {
    let (lo, hi) = PLANE_VIEW;
    let mut camera = OrbitCamera::framing(
        Vec3::new(lo, 0.0, lo),
        Vec3::new(hi + TREE_SURFACE_DX, TERRAIN_HEIGHT, hi),
    );
    // `framing` fits the bounding sphere; the flat boxes' corners rarely reach it.
    let home = camera.goal();
    camera.set_home(OrbitPose {
        distance: home.distance * 0.62,
        ..home
    });
    camera
}

/// World position in the terrain of plane point `p` at vote share `v`: x1 along world x, x2
/// along z, the share up (world units are the data's, so the axes' ticks read true), shifted
/// right by `dx`.
pub fn terrain_pos(p: [f32; 2], v: f32, dx: f32) -> [f32; 3] {
    [p[0] + dx, v * TERRAIN_HEIGHT, p[1]]
}

/// The vote share as a height field over the plane, each training point at its ensemble
/// vote share (`point_votes`), and optionally the chosen tree's step surface to the right.
pub fn terrain(
    data: &LabData,
    votes: &[f32],
    point_votes: &[f32],
    tree_grid: Option<&[f32]>,
    camera: SceneCamera,
) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    let extent = data.extent();
    scene.meshes.push(height_field(data, votes, 0.0));
    if let Some(grid) = tree_grid {
        scene.meshes.push(height_field(data, grid, TREE_SURFACE_DX));
        scene.labels.push(text_label(
            terrain_pos(
                [0.5 * (extent.0 + extent.1), extent.0],
                1.05,
                TREE_SURFACE_DX,
            ),
            "chosen tree",
            13.0,
            Anchor::BottomLeft,
            LabelRole::Title,
        ));
    }
    if let Some((train, _)) = &data.plane {
        for ((p, &l), &v) in train.points.iter().zip(&train.labels).zip(point_votes) {
            let color = if l > 0.5 { CLASS1 } else { CLASS0 };
            scene.points.push(Point {
                pos: terrain_pos(*p, v, 0.0),
                color,
                radius_px: 3.5,
                style: PointStyle::Sphere,
            });
        }
    }
    let (lo, hi) = extent;
    let mut axes = Axes::new(Vec3::new(lo, 0.0, lo), Vec3::new(hi, TERRAIN_HEIGHT, hi));
    axes.names = ["x1".into(), "vote share".into(), "x2".into()];
    axes.add_to(&mut scene);
    scene
}

fn height_field(data: &LabData, grid: &[f32], dx: f32) -> Mesh {
    let mut mesh = Mesh::default();
    // One vertex per cell center: a (GRID-1)² mesh of cells.
    for row in 0..GRID {
        for col in 0..GRID {
            let v = grid[row * GRID + col];
            mesh.vertices.push(MeshVertex {
                pos: terrain_pos(data.cell_center(row, col), v, dx),
                color: prob_color(v, 1.0),
            });
        }
    }
    mesh.indices = grid_indices(GRID as u32 - 1);
    mesh
}

/// Forest and network side by side on the same plane: the forest's vote share and the
/// network's output, each with its 0.5 contour and the training points, titled with their
/// accuracies.
pub fn compare(
    data: &LabData,
    votes: &[f32],
    forest_title: String,
    net: Option<&NetView>,
    camera: SceneCamera,
) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    let (lo, hi) = data.extent();
    let width = hi - lo;
    let gap = 0.12 * width;
    let mut panel = |dx: f32, grid: &[f32], title: String| {
        let n = GRID as u32;
        scene.images.push(
            Image::in_rect([lo + dx, lo], [hi + dx, hi], 0.0, n, n, grid.to_vec())
                .with_colormap(PROB_COLORMAP, (0.0, 1.0)),
        );
        for (a, b) in contour_segments(grid, GRID, (lo, hi), 0.5) {
            scene.lines.push(Line {
                a: [a[0] + dx, a[1], 0.5],
                b: [b[0] + dx, b[1], 0.5],
                color: [0.05, 0.05, 0.05, 1.0],
                width_px: 2.5,
            });
        }
        if let Some((train, _)) = &data.plane {
            for (p, &l) in train.points.iter().zip(&train.labels) {
                let color = if l > 0.5 { CLASS1 } else { CLASS0 };
                push_marker(&mut scene, [p[0] + dx, p[1], 1.0], color, 2.5);
            }
        }
        scene.labels.push(text_label(
            [lo + dx, hi + 0.02 * width, 1.0],
            title,
            13.0,
            Anchor::BottomLeft,
            LabelRole::Title,
        ));
    };
    panel(0.0, votes, forest_title);
    if let Some(net) = net {
        panel(
            width + gap,
            &net.grid,
            format!(
                "Network 2-{}-1 (tanh), epoch {}: train {:.3}, held out {:.3}",
                net.hidden, net.epoch, net.train_accuracy, net.test_accuracy
            ),
        );
    }
    scene
}

/// The camera of the comparison: both planes.
pub fn compare_camera(extent: (f32, f32)) -> Camera2d {
    let (lo, hi) = extent;
    let width = hi - lo;
    Camera2d::new(
        glam::Vec2::new(lo - 0.05 * width, lo - 0.08 * width),
        glam::Vec2::new(hi + 1.17 * width, hi + 0.15 * width),
    )
    .keeping_aspect()
}

/// Feature importance: for images, an image of the importance of every pixel (viridis from
/// 0 to the largest); for the plane, one bar per coordinate.
pub fn importance(data: &LabData, importances: &[f64], camera: SceneCamera) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    let max = importances.iter().copied().fold(0.0_f64, f64::max) as f32;
    if data.side > 0 {
        let side = data.side as u32;
        let values: Vec<f32> = importances.iter().map(|&v| v as f32).collect();
        scene.images.push(
            Image::in_rect([0.0, 0.0], [1.0, 1.0], 0.0, side, side, values)
                .with_colormap(IMPORTANCE_COLORMAP, (0.0, max.max(f32::MIN_POSITIVE))),
        );
        scene.labels.push(text_label(
            [0.0, 1.02, 0.0],
            format!("impurity decrease per pixel, 0 to {max:.4}"),
            13.0,
            Anchor::BottomLeft,
            LabelRole::Title,
        ));
    } else {
        let mut bars = Mesh::default();
        for (i, &v) in importances.iter().enumerate() {
            let x = 0.15 + 0.45 * i as f32;
            bars.push_rect([x, 0.0], [x + 0.3, v as f32], 0.0, palette_rgba(i));
            scene.labels.push(text_label(
                [x + 0.15, v as f32 + 0.02, 0.0],
                format!("x{}: {v:.3}", i + 1),
                13.0,
                Anchor::Bottom,
                LabelRole::Data,
            ));
        }
        scene.meshes.push(bars);
    }
    scene
}

fn palette_rgba(i: usize) -> [f32; 4] {
    let [r, g, b, _] = palette(i).to_array();
    [
        f32::from(r) / 255.0,
        f32::from(g) / 255.0,
        f32::from(b) / 255.0,
        1.0,
    ]
}

/// The camera of the importance view.
pub fn unit_camera() -> Camera2d {
    Camera2d::new(glam::Vec2::new(-0.08, -0.08), glam::Vec2::new(1.08, 1.12)).keeping_aspect()
}

/// One split on the chosen digit's path: the pixel, whether the digit went left (pixel at
/// most the threshold) and the threshold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PixelSplit {
    /// Pixel index (row-major).
    pub pixel: usize,
    /// The threshold.
    pub threshold: f32,
    /// The digit's pixel is at most the threshold.
    pub left: bool,
}

/// An MNIST digit (grayscale) with the chosen tree's splits along its path marked: each split
/// pixel framed (green: the digit went left, pixel dark enough; orange: right) and numbered in
/// path order.
pub fn digit_path(
    side: usize,
    pixels: &[u8],
    path: &[PixelSplit],
    title: String,
    camera: SceneCamera,
) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    let s = side as u32;
    let values: Vec<f32> = pixels.iter().map(|&p| f32::from(p) / 255.0).collect();
    scene.images.push(
        Image::in_rect([0.0, 0.0], [1.0, 1.0], 0.0, s, s, values)
            .with_colormap(Colormap::Grayscale, (0.0, 1.0)),
    );
    let cell = 1.0 / side as f32;
    for (step, split) in path.iter().enumerate() {
        let (r, c) = (split.pixel / side, split.pixel % side);
        let min = [c as f32 * cell, 1.0 - (r + 1) as f32 * cell];
        let max = [min[0] + cell, min[1] + cell];
        let color = if split.left {
            [0.2, 0.9, 0.35, 1.0]
        } else {
            [1.0, 0.55, 0.1, 1.0]
        };
        scene.lines.extend(rect_lines(min, max, 0.5, color, 2.0));
        scene.labels.push(text_label(
            [max[0], max[1], 0.6],
            (step + 1).to_string(),
            11.0,
            Anchor::BottomLeft,
            LabelRole::Data,
        ));
    }
    scene.labels.push(text_label(
        [0.0, 1.02, 0.0],
        title,
        13.0,
        Anchor::BottomLeft,
        LabelRole::Title,
    ));
    scene
}

/// A scene that only says `text` (a view that does not apply to the data).
pub fn note(text: &str, camera: SceneCamera) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    scene.labels.push(text_label(
        [0.5, 0.5, 0.0],
        text,
        14.0,
        Anchor::Center,
        LabelRole::Title,
    ));
    scene
}

/// A snapshot's plane extent (`(0, 1)` before data).
pub fn extent_of(snap: &ForestSnapshot) -> (f32, f32) {
    snap.data.as_ref().map_or((0.0, 1.0), |d| d.extent())
}
