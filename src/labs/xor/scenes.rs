//! Turns an [`XorSnapshot`] into the plain scenes the renderer draws: the input space
//! (decision heatmap, 0.5 contour, data points), the feature space (hidden activations,
//! separating plane / line / threshold, the warped input plane), the loss surface with the
//! weights' path, and the network diagram. Every position and color is computed from the
//! snapshot's numbers; tests check the pictures against them.
//!
//! (Over 600 lines: five views of one snapshot; the feature-space and network scenes are
//! long functions still to be split into their parts.)

pub use crate::labs::style::{BACKGROUND, TEXT};
use glam::Vec3;

use crate::labs::xor::snapshot::{FeatureSpace, HEATMAP_CELLS, SURFACE_VERTICES, XorSnapshot};
use crate::render::colormap::colormap_rgba;
use crate::render::scene::LabelRole;
use crate::render::scene::{color_from_rgba8, grid_indices};
use crate::render::{
    Anchor, Axes, Colormap, Image, Label, Line, Mesh, MeshVertex, Point, PointStyle, Scene,
    SceneCamera,
};

/// Color of class 0 (and of outputs near 0).
pub const CLASS0: [f32; 4] = [0.22, 0.47, 0.95, 1.0];
/// Color of class 1 (and of outputs near 1).
pub const CLASS1: [f32; 4] = [0.93, 0.30, 0.22, 1.0];
/// The colormap of output probabilities: blue at 0, white at 0.5, red at 1.
pub const PROB_COLORMAP: Colormap = Colormap::Diverging { center: 0.5 };

/// The color of a probability `p` (the same LUT the heatmap shader uses).
pub fn prob_color(p: f32, alpha: f32) -> [f32; 4] {
    let [r, g, b, _] = color_from_rgba8(colormap_rgba(PROB_COLORMAP, (0.0, 1.0), p));
    [r, g, b, alpha]
}

/// The color of class `label` (0.0 or 1.0).
pub fn class_color(label: f32) -> [f32; 4] {
    if label > 0.5 { CLASS1 } else { CLASS0 }
}

/// Feature-space positions as drawn: they ease toward each new snapshot, so the view flows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FeatureMotion {
    /// The warped surface's vertices.
    pub surface: Vec<[f32; 3]>,
    /// The data points.
    pub points: Vec<[f32; 3]>,
}

impl FeatureMotion {
    /// Positions exactly as in `snap`.
    pub fn at(snap: &XorSnapshot) -> Self {
        FeatureMotion {
            surface: snap.surface.clone(),
            points: snap.point_features.clone(),
        }
    }

    /// Moves a fraction `t` (0..=1) of the way toward `snap`; jumps when the shapes differ
    /// (a new network or dataset). Returns true while still moving.
    pub fn ease_toward(&mut self, snap: &XorSnapshot, t: f32) -> bool {
        if self.surface.len() != snap.surface.len()
            || self.points.len() != snap.point_features.len()
        {
            *self = FeatureMotion::at(snap);
            return false;
        }
        let mut moving = false;
        let t = t.clamp(0.0, 1.0);
        for (cur, goal) in self
            .surface
            .iter_mut()
            .zip(&snap.surface)
            .chain(self.points.iter_mut().zip(&snap.point_features))
        {
            for k in 0..3 {
                let d = goal[k] - cur[k];
                if d.abs() > 1e-5 {
                    cur[k] += d * t;
                    moving = true;
                } else {
                    cur[k] = goal[k];
                }
            }
        }
        moving
    }
}

/// Line segments of the `level` contour of a `cells x cells` grid whose cell centers span
/// `extent` (row 0 at the top), by marching squares, in world coordinates.
pub fn contour_segments(
    grid: &[f32],
    cells: usize,
    extent: (f32, f32),
    level: f32,
) -> Vec<([f32; 2], [f32; 2])> {
    let (lo, hi) = extent;
    let step = (hi - lo) / cells as f32;
    let center = |row: usize, col: usize| -> [f32; 2] {
        [
            lo + (col as f32 + 0.5) * step,
            hi - (row as f32 + 0.5) * step,
        ]
    };
    let mut segs = Vec::new();
    for row in 0..cells.saturating_sub(1) {
        for col in 0..cells.saturating_sub(1) {
            // Corners in order around the square: top-left, top-right, bottom-right, bottom-left.
            let idx = [
                (row, col),
                (row, col + 1),
                (row + 1, col + 1),
                (row + 1, col),
            ];
            let v: Vec<f32> = idx
                .iter()
                .map(|&(r, c)| grid[r * cells + c] - level)
                .collect();
            let mut crossings = Vec::new();
            for e in 0..4 {
                let (a, b) = (v[e], v[(e + 1) % 4]);
                if (a < 0.0) != (b < 0.0) {
                    let t = a / (a - b);
                    let (pa, pb) = (
                        center(idx[e].0, idx[e].1),
                        center(idx[(e + 1) % 4].0, idx[(e + 1) % 4].1),
                    );
                    crossings.push([pa[0] + t * (pb[0] - pa[0]), pa[1] + t * (pb[1] - pa[1])]);
                }
            }
            match crossings.len() {
                2 => segs.push((crossings[0], crossings[1])),
                4 => {
                    // Saddle: pair by the value at the center.
                    let mid: f32 = v.iter().sum::<f32>() / 4.0;
                    if (mid < 0.0) == (v[0] < 0.0) {
                        segs.push((crossings[0], crossings[3]));
                        segs.push((crossings[1], crossings[2]));
                    } else {
                        segs.push((crossings[0], crossings[1]));
                        segs.push((crossings[2], crossings[3]));
                    }
                }
                _ => {}
            }
        }
    }
    segs
}

fn push_point(
    scene: &mut Scene,
    pos: [f32; 3],
    color: [f32; 4],
    radius_px: f32,
    style: PointStyle,
) {
    scene.points.push(Point {
        pos,
        color,
        radius_px,
        style,
    });
}

/// A disc with a thin white ring, so class colors stand out on any heatmap.
fn push_marker(scene: &mut Scene, pos: [f32; 3], color: [f32; 4], radius_px: f32) {
    push_point(
        scene,
        pos,
        [1.0, 1.0, 1.0, 1.0],
        radius_px + 2.0,
        PointStyle::Disc,
    );
    push_point(
        scene,
        [pos[0], pos[1], pos[2] + 0.01],
        color,
        radius_px,
        PointStyle::Disc,
    );
}

fn label(
    scene: &mut Scene,
    pos: [f32; 3],
    text: impl Into<String>,
    size_px: f32,
    (anchor, role): (Anchor, LabelRole),
) {
    scene.labels.push(Label {
        pos,
        text: text.into(),
        color: TEXT,
        size_px,
        anchor,
        role,
    });
}

/// The input plane: output probability as a heatmap over the dataset's extent, the 0.5
/// contour as a dark line, the data points in their class colors. Drawn at z = 0 (heatmap)
/// and above; `camera` is a 2D camera over the extent.
pub fn input_space(snap: &XorSnapshot, camera: SceneCamera) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    let (lo, hi) = snap.data.extent;
    let n = HEATMAP_CELLS as u32;
    scene.images.push(
        Image::in_rect([lo, lo], [hi, hi], 0.0, n, n, snap.output_grid.clone())
            .with_colormap(PROB_COLORMAP, (0.0, 1.0)),
    );
    for (a, b) in contour_segments(&snap.output_grid, HEATMAP_CELLS, snap.data.extent, 0.5) {
        scene.lines.push(Line {
            a: [a[0], a[1], 0.5],
            b: [b[0], b[1], 0.5],
            color: [0.05, 0.05, 0.05, 1.0],
            width_px: 3.0,
        });
    }
    let radius = if snap.data.len() <= 8 { 9.0 } else { 4.0 };
    for (i, (p, &l)) in snap.data.points.iter().zip(&snap.data.labels).enumerate() {
        push_marker(&mut scene, [p[0], p[1], 1.0], class_color(l), radius);
        if snap.data.len() <= 8 {
            label(
                &mut scene,
                [p[0] + 0.06, p[1] + 0.06, 1.0],
                format!("{}: {:.2}", snap.data.point_label(i), snap.points[i].y),
                13.0,
                (Anchor::BottomLeft, LabelRole::Data),
            );
        }
    }
    let mut axes = Axes::new(Vec3::new(lo, lo, 0.0), Vec3::new(hi, hi, 0.0));
    axes.names = ["x1".into(), "x2".into(), String::new()];
    axes.add_to(&mut scene);
    scene
}

/// The feature space: what the output layer sees. See [`FeatureSpace`] for the four forms.
pub fn feature_space(
    snap: &XorSnapshot,
    motion: &FeatureMotion,
    camera: SceneCamera,
    trails: bool,
) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    let (lo, hi) = snap.feature_box;
    let h = snap.net.hidden();
    let three_d = h >= 3;
    // The warped input plane: the grid of inputs mapped through the hidden layer, colored by
    // the output's probability.
    let m = SURFACE_VERTICES;
    let vertices: Vec<MeshVertex> = motion
        .surface
        .iter()
        .zip(&snap.surface_output)
        .map(|(&pos, &p)| MeshVertex {
            pos: if three_d { pos } else { [pos[0], pos[1], -0.2] },
            color: prob_color(p, if three_d { 0.55 } else { 0.85 }),
        })
        .collect();
    let indices = grid_indices(m as u32 - 1);
    if h >= 2 {
        scene.meshes.push(Mesh {
            vertices,
            indices,
            wireframe: three_d,
        });
    }
    match &snap.feature_space {
        FeatureSpace::Cube { plane } if plane.len() >= 3 => {
            let verts: Vec<MeshVertex> = plane
                .iter()
                .map(|&pos| MeshVertex {
                    pos,
                    color: [0.95, 0.95, 0.55, 0.35],
                })
                .collect();
            let indices = (1..plane.len() as u32 - 1)
                .flat_map(|k| [0, k, k + 1])
                .collect();
            scene.meshes.push(Mesh {
                vertices: verts,
                indices,
                wireframe: false,
            });
            let mut ring = plane.clone();
            ring.push(plane[0]);
            scene
                .lines
                .extend(Line::polyline(&ring, [0.98, 0.95, 0.45, 1.0], 2.5));
        }
        FeatureSpace::Plane { line: Some((a, b)) } => {
            scene.lines.push(Line {
                a: [a[0], a[1], 0.5],
                b: [b[0], b[1], 0.5],
                color: [0.98, 0.95, 0.45, 1.0],
                width_px: 3.0,
            });
        }
        FeatureSpace::Axis { threshold } => {
            // The surface of one neuron is a segment: show the grid's samples along the axis.
            for (pos, &p) in motion.surface.iter().zip(&snap.surface_output).step_by(3) {
                push_point(
                    &mut scene,
                    [pos[0], 0.0, -0.1],
                    prob_color(p, 1.0),
                    3.0,
                    PointStyle::Disc,
                );
            }
            if let Some(t) = threshold {
                scene.lines.push(Line {
                    a: [*t, -0.25, 0.5],
                    b: [*t, 0.25, 0.5],
                    color: [0.98, 0.95, 0.45, 1.0],
                    width_px: 3.0,
                });
                label(
                    &mut scene,
                    [*t, 0.27, 0.5],
                    format!("threshold a = {t:.3}"),
                    13.0,
                    (Anchor::Bottom, LabelRole::Data),
                );
            }
        }
        _ => {}
    }
    // Trails, then the points on top.
    if trails {
        for (trail, &l) in snap.trails.iter().zip(&snap.data.labels) {
            let path: Vec<[f32; 3]> = trail
                .iter()
                .map(|p| {
                    if three_d {
                        *p
                    } else if h == 1 {
                        [p[0], 0.0, 0.2]
                    } else {
                        [p[0], p[1], 0.2]
                    }
                })
                .collect();
            let mut color = class_color(l);
            color[3] = 0.8;
            scene.lines.extend(Line::polyline(&path, color, 1.5));
        }
    }
    let few = snap.data.len() <= 8;
    let radius = if few { 10.0 } else { 4.5 };
    for (i, (p, &l)) in motion.points.iter().zip(&snap.data.labels).enumerate() {
        let pos = match h {
            1 => [p[0], 0.0, 1.0],
            2 => [p[0], p[1], 1.0],
            _ => *p,
        };
        if three_d {
            push_point(&mut scene, pos, class_color(l), radius, PointStyle::Sphere);
        } else {
            push_marker(&mut scene, pos, class_color(l), radius);
        }
        if few {
            label(
                &mut scene,
                pos,
                format!("  {}", snap.data.point_label(i)),
                13.0,
                (Anchor::Left, LabelRole::Data),
            );
        }
    }
    // The box and its axes.
    let (bmin, bmax) = match h {
        1 => (Vec3::new(lo[0], -0.3, 0.0), Vec3::new(hi[0], 0.3, 0.0)),
        2 => (Vec3::new(lo[0], lo[1], 0.0), Vec3::new(hi[0], hi[1], 0.0)),
        _ => (Vec3::from(lo), Vec3::from(hi)),
    };
    if three_d {
        push_box_edges(&mut scene, bmin, bmax);
    }
    let mut axes = Axes::new(
        bmin,
        if h == 1 {
            Vec3::new(bmax.x, bmin.y, 0.0)
        } else {
            bmax
        },
    );
    axes.names = match &snap.feature_space {
        FeatureSpace::Projection { pca } => {
            let share = |k: usize| {
                100.0 * pca.variances.get(k).copied().unwrap_or(0.0) / pca.total_variance.max(1e-12)
            };
            [
                format!("PC1 ({:.0}%)", share(0)),
                format!("PC2 ({:.0}%)", share(1)),
                format!("PC3 ({:.0}%)", share(2)),
            ]
        }
        _ => [
            "a1".into(),
            if h >= 2 { "a2".into() } else { String::new() },
            if h >= 3 { "a3".into() } else { String::new() },
        ],
    };
    if h == 1 {
        axes.min.y = 0.0;
        axes.max.y = 0.0;
        axes.min.z = 0.0;
        axes.max.z = 0.0;
    }
    axes.add_to(&mut scene);
    if let FeatureSpace::Projection { .. } = snap.feature_space {
        label(
            &mut scene,
            [bmin.x, bmax.y, bmax.z],
            format!("PCA projection of the {h}-D hidden space"),
            14.0,
            (Anchor::BottomLeft, LabelRole::Title),
        );
    }
    scene
}

/// The twelve edges of the box `min..max` as thin lines.
fn push_box_edges(scene: &mut Scene, min: Vec3, max: Vec3) {
    let corner = |i: usize| -> [f32; 3] {
        std::array::from_fn(|k| if i >> k & 1 == 1 { max[k] } else { min[k] })
    };
    for i in 0..8usize {
        for k in 0..3 {
            if i >> k & 1 == 0 {
                scene.lines.push(Line {
                    a: corner(i),
                    b: corner(i | 1 << k),
                    color: [0.5, 0.5, 0.55, 0.7],
                    width_px: 1.0,
                });
            }
        }
    }
}

/// World coordinates of the loss surface: x = first weight, z = second weight (both relative to
/// the surface's center, in weight units), y = loss scaled by `height_scale`.
pub fn loss_surface_height_scale(snap: &XorSnapshot) -> f32 {
    let max = snap
        .loss_surface
        .values
        .iter()
        .copied()
        .fold(0.0f32, f32::max);
    if max > 0.0 {
        2.0 * snap.loss_surface.half_range / max * 0.6
    } else {
        1.0
    }
}

/// The loss over the two chosen weights around their current values, colored by loss
/// (viridis), the path the two weights took (with the loss then), and the current point.
pub fn loss_surface(snap: &XorSnapshot, camera: SceneCamera) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    let ls = &snap.loss_surface;
    let n = ls.samples;
    let scale = loss_surface_height_scale(snap);
    let max = ls.values.iter().copied().fold(0.0f32, f32::max).max(1e-12);
    let coord = |i: usize| ls.half_range * (2.0 * i as f32 / (n - 1) as f32 - 1.0);
    let mut vertices = Vec::with_capacity(n * n);
    for r in 0..n {
        for c in 0..n {
            let v = ls.values[r * n + c];
            let rgba = colormap_rgba(Colormap::Viridis, (0.0, max), v);
            vertices.push(MeshVertex {
                pos: [coord(c), v * scale, coord(r)],
                color: color_from_rgba8(rgba),
            });
        }
    }
    let indices = grid_indices(n as u32 - 1);
    scene.meshes.push(Mesh {
        vertices,
        indices,
        wireframe: true,
    });
    let inside = |p: &[f32; 3]| {
        (p[0] - ls.center[0]).abs() <= ls.half_range && (p[1] - ls.center[1]).abs() <= ls.half_range
    };
    let path: Vec<[f32; 3]> = ls
        .path_on_surface
        .iter()
        .filter(|p| inside(p))
        .map(|p| {
            [
                p[0] - ls.center[0],
                p[2] * scale + 0.02,
                p[1] - ls.center[1],
            ]
        })
        .collect();
    scene
        .lines
        .extend(Line::polyline(&path, [1.0, 0.35, 0.85, 1.0], 2.5));
    push_point(
        &mut scene,
        [0.0, snap.loss * scale + 0.02, 0.0],
        [1.0, 0.35, 0.85, 1.0],
        8.0,
        PointStyle::Sphere,
    );
    let mut axes = Axes::new(
        Vec3::new(-ls.half_range, 0.0, -ls.half_range),
        Vec3::new(ls.half_range, max * scale, ls.half_range),
    );
    axes.names = [
        format!("Δ{}", ls.weights[0].1),
        "loss".into(),
        format!("Δ{}", ls.weights[1].1),
    ];
    axes.add_to(&mut scene);
    scene
}

/// Layout of the network diagram in its own 2D world: `(x, y)` of neuron `j` of a layer of
/// `count` neurons at column `x`.
pub fn neuron_pos(x: f32, j: usize, count: usize) -> [f32; 3] {
    let span = 0.72f32;
    let y = if count == 1 {
        0.6
    } else {
        0.96 - span * j as f32 / (count - 1) as f32
    };
    [x, y, 0.5]
}

/// World x of the input, hidden and output columns of the network diagram.
pub const NETWORK_COLUMNS: (f32, f32, f32) = (0.12, 0.62, 1.38);

/// World rectangle of the network diagram (for its 2D camera).
pub const NETWORK_EXTENT: ([f32; 2], [f32; 2]) = ([-0.35, -0.05], [1.95, 1.05]);

/// The network: neurons filled with their activation for data point `selected` (with `None`,
/// the values of every point are listed when there are at most four), edges colored by sign
/// (red positive, blue negative) and thick by magnitude, each hidden neuron's activation over
/// the input plane as a small heatmap beside it, and `z`, `a`, `b` printed at each neuron.
pub fn network(snap: &XorSnapshot, selected: Option<usize>, camera: SceneCamera) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    let net = &snap.net;
    let h = net.hidden();
    let (xi, xh, xo) = NETWORK_COLUMNS;
    let point = selected.filter(|&i| i < snap.points.len());
    let inputs = point.map(|i| snap.data.points[i]);
    let max_w = net
        .w1
        .iter()
        .chain(&net.w2)
        .fold(1e-6f32, |m, w| m.max(w.abs()));
    let edge = |w: f32| -> ([f32; 4], f32) {
        let mut c = if w >= 0.0 { CLASS1 } else { CLASS0 };
        c[3] = 0.9;
        (c, 1.0 + 7.0 * w.abs() / max_w)
    };
    let size = (0.7 / h.max(2) as f32).min(0.2);
    let heatmap_x = |p: [f32; 3]| p[0] + 0.05;
    for j in 0..h {
        let hp = neuron_pos(xh, j, h);
        for i in 0..2 {
            let (color, width_px) = edge(net.w1[2 * j + i]);
            let ip = neuron_pos(xi, i, 2);
            scene.lines.push(Line {
                a: [ip[0], ip[1], 0.1],
                b: [hp[0], hp[1], 0.1],
                color,
                width_px,
            });
        }
        // Outgoing edges leave from the heatmap's right side.
        let (color, width_px) = edge(net.w2[j]);
        let op = neuron_pos(xo, 0, 1);
        let start = [heatmap_x(hp) + size, hp[1], 0.1];
        scene.lines.push(Line {
            a: start,
            b: [op[0], op[1], 0.1],
            color,
            width_px,
        });
    }
    let fill = |v: f32| prob_color(v, 1.0);
    let r_px = if h <= 6 { 16.0 } else { 10.0 };
    let neuron = |scene: &mut Scene, p: [f32; 3], value: Option<f32>| {
        push_point(
            scene,
            [p[0], p[1], 0.5],
            [0.8, 0.8, 0.85, 1.0],
            r_px + 2.0,
            PointStyle::Disc,
        );
        push_point(
            scene,
            [p[0], p[1], 0.6],
            value.map(fill).unwrap_or([0.3, 0.3, 0.35, 1.0]),
            r_px,
            PointStyle::Disc,
        );
    };
    for i in 0..2 {
        let p = neuron_pos(xi, i, 2);
        let v = inputs.map(|x| x[i]);
        neuron(&mut scene, p, v);
        let text = match v {
            Some(v) => format!("x{} = {v:.2}", i + 1),
            None => format!("x{}", i + 1),
        };
        label(
            &mut scene,
            [p[0] - 0.06, p[1], 0.7],
            text,
            13.0,
            (Anchor::Right, LabelRole::Data),
        );
    }
    let n = HEATMAP_CELLS as u32;
    for j in 0..h {
        let p = neuron_pos(xh, j, h);
        let (z, a) = match point {
            Some(k) => (Some(snap.points[k].z1[j]), Some(snap.points[k].a1[j])),
            None => (None, None),
        };
        neuron(&mut scene, p, a);
        // The neuron's activation over the input plane, to its right.
        let (x0, y0) = (heatmap_x(p), p[1] - size / 2.0);
        let range = match net.activation() {
            crate::nn::xor::Activation::Tanh => (-1.0, 1.0),
            crate::nn::xor::Activation::Relu => (
                0.0,
                snap.hidden_grids[j].iter().copied().fold(1e-6, f32::max),
            ),
            crate::nn::xor::Activation::Sigmoid => (0.0, 1.0),
        };
        scene.images.push(
            Image::in_rect(
                [x0, y0],
                [x0 + size, y0 + size],
                0.3,
                n,
                n,
                snap.hidden_grids[j].clone(),
            )
            .with_colormap(Colormap::Viridis, range),
        );
        let mut text = format!("h{}  b = {:.3}", j + 1, net.b1[j]);
        if let (Some(z), Some(a)) = (z, a) {
            text = format!("{text}\nz = {z:.3}  a = {a:.3}");
        } else if snap.data.len() <= 4 {
            for (k, pv) in snap.points.iter().enumerate() {
                text.push_str(&format!(
                    "\n{}: z {:.2} a {:.2}",
                    snap.data.point_label(k),
                    pv.z1[j],
                    pv.a1[j]
                ));
            }
        }
        label(
            &mut scene,
            [x0 + size / 2.0, y0 - 0.01, 0.7],
            text,
            12.0,
            (Anchor::Top, LabelRole::Data),
        );
    }
    let op = neuron_pos(xo, 0, 1);
    let out = point.map(|k| (snap.points[k].z2, snap.points[k].y));
    neuron(&mut scene, op, out.map(|(_, y)| y));
    let mut text = format!("output  b = {:.3}", net.b2);
    if let Some((z, y)) = out {
        text = format!("{text}\nz = {z:.3}\nŷ = {y:.3}");
    } else if snap.data.len() <= 4 {
        for (k, pv) in snap.points.iter().enumerate() {
            text.push_str(&format!(
                "\n{}: z {:.2} ŷ {:.2}",
                snap.data.point_label(k),
                pv.z2,
                pv.y
            ));
        }
    }
    label(
        &mut scene,
        [op[0] + 0.06, op[1], 0.7],
        text,
        12.0,
        (Anchor::Left, LabelRole::Data),
    );
    scene
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::xor::session::XorSession;
    use crate::labs::xor::settings::XorSettings;

    #[test]
    fn contour_of_a_ramp_is_a_straight_line_at_the_level() {
        // Value = x coordinate of the cell center over [0, 1]: the 0.5 contour is x = 0.5.
        let n = 8;
        let grid: Vec<f32> = (0..n * n)
            .map(|k| ((k % n) as f32 + 0.5) / n as f32)
            .collect();
        let segs = contour_segments(&grid, n, (0.0, 1.0), 0.5);
        assert_eq!(segs.len(), n - 1);
        for (a, b) in segs {
            assert!((a[0] - 0.5).abs() < 1e-6 && (b[0] - 0.5).abs() < 1e-6);
        }
    }

    #[test]
    fn scenes_hold_what_the_snapshot_says() {
        let mut s = XorSession::new(XorSettings {
            max_epochs: 5_000,
            ..XorSettings::default()
        })
        .unwrap();
        while s.advance() {}
        let snap = s.snapshot();
        let input = input_space(&snap, SceneCamera::default());
        assert_eq!(input.images[0].values, snap.output_grid);
        let feat = feature_space(
            &snap,
            &FeatureMotion::at(&snap),
            SceneCamera::default(),
            true,
        );
        let surface = &feat.meshes[0];
        for (v, s) in surface.vertices.iter().zip(&snap.surface) {
            assert_eq!(&v.pos, s);
        }
        let net = network(&snap, Some(1), SceneCamera::default());
        let texts: Vec<&str> = net.labels.iter().map(|l| l.text.as_str()).collect();
        let want = format!("a = {:.3}", snap.points[1].a1[0]);
        assert!(
            texts.iter().any(|t| t.contains(&want)),
            "{texts:?} has {want}"
        );
        let ls = loss_surface(&snap, SceneCamera::default());
        assert_eq!(ls.meshes[0].vertices.len(), snap.loss_surface.values.len());
    }

    #[test]
    fn motion_eases_and_jumps_on_new_shapes() {
        let s = XorSession::new(XorSettings::default()).unwrap();
        let snap = s.snapshot();
        let mut m = FeatureMotion::default();
        assert!(!m.ease_toward(&snap, 0.5), "different shapes jump");
        assert_eq!(m, FeatureMotion::at(&snap));
        let mut moved = m.clone();
        moved.points[0][0] += 1.0;
        assert!(moved.ease_toward(&snap, 0.5));
        assert!((moved.points[0][0] - snap.point_features[0][0] - 0.5).abs() < 1e-6);
    }
}
