//! Turns an [`XorSnapshot`] into the plain scenes the renderer draws: the input space
//! (decision heatmap, 0.5 contour, data points), the feature space (hidden activations,
//! separating plane / line / threshold, the warped input plane), the loss surface with the
//! weights' path, and the network diagram. Every position and color is computed from the
//! snapshot's numbers; tests check the pictures against them.
//!
//! The feature space ([`feature`]) and the network diagram ([`network`]) have files of their
//! own; this one holds the shared colors and drawing helpers, the input space and the loss
//! surface.

mod feature;
mod network;

pub use feature::{FeatureMotion, feature_space};
pub use network::{
    CHOSEN, NETWORK_COLUMNS, NETWORK_EXTENT, Overlay, column_x, edge_of, network, network_with,
    neuron_pos, neuron_positions, param_at,
};

pub use crate::labs::style::{BACKGROUND, TEXT};
use glam::Vec3;

use crate::labs::xor::snapshot::{HEATMAP_CELLS, XorSnapshot};
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
        let want = format!("a = {:.3}", snap.points[1].a[0][0]);
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
