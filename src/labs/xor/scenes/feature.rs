//! The feature space: the chosen hidden layer's activations of the data and of the input
//! grid, the output layer's separating plane, line or threshold among them (when the layer is
//! the last hidden one), and the axes (the layer's neurons, or principal components beyond
//! three).

use glam::Vec3;

use super::{BACKGROUND, class_color, label, prob_color, push_marker, push_point};
use crate::labs::xor::snapshot::{FeatureSpace, SURFACE_VERTICES, XorSnapshot};
use crate::render::scene::{LabelRole, grid_indices};
use crate::render::{Anchor, Axes, Line, Mesh, MeshVertex, PointStyle, Scene, SceneCamera};

/// Color of the separating plane's fill (translucent).
const SEPARATOR_FILL: [f32; 4] = [0.95, 0.95, 0.55, 0.35];
/// Color of the separating plane's edge, line or threshold.
const SEPARATOR: [f32; 4] = [0.98, 0.95, 0.45, 1.0];

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

/// The feature space: what the output layer sees. See [`FeatureSpace`] for the four forms.
pub fn feature_space(
    snap: &XorSnapshot,
    motion: &FeatureMotion,
    camera: SceneCamera,
    trails: bool,
) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    let h = snap.feature_width();
    if h >= 2 {
        push_warped_plane(&mut scene, snap, motion);
    }
    push_separator(&mut scene, snap, motion);
    if trails {
        push_trails(&mut scene, snap);
    }
    push_points(&mut scene, snap, motion);
    push_box_and_axes(&mut scene, snap);
    scene
}

/// Where a hidden-space point is drawn: on the axis (one neuron), in the plane in front of
/// the warped surface (two), or where it is (three or more, already projected).
fn drawn_at(p: [f32; 3], hidden: usize, z: f32) -> [f32; 3] {
    match hidden {
        1 => [p[0], 0.0, z],
        2 => [p[0], p[1], z],
        _ => p,
    }
}

/// The warped input plane: the grid of inputs mapped through the hidden layer, colored by
/// the output's probability (a wireframe in 3D, a filled sheet behind the points in 2D).
fn push_warped_plane(scene: &mut Scene, snap: &XorSnapshot, motion: &FeatureMotion) {
    let three_d = snap.feature_width() >= 3;
    let vertices: Vec<MeshVertex> = motion
        .surface
        .iter()
        .zip(&snap.surface_output)
        .map(|(&pos, &p)| MeshVertex {
            pos: if three_d { pos } else { [pos[0], pos[1], -0.2] },
            color: prob_color(p, if three_d { 0.55 } else { 0.85 }),
        })
        .collect();
    scene.meshes.push(Mesh {
        vertices,
        indices: grid_indices(SURFACE_VERTICES as u32 - 1),
        wireframe: three_d,
    });
}

/// Where the output neuron's pre-activation is zero: a translucent polygon with its edge in
/// 3D, a line in 2D, a threshold (with the grid's samples along the axis) in 1D.
fn push_separator(scene: &mut Scene, snap: &XorSnapshot, motion: &FeatureMotion) {
    match &snap.feature_space {
        FeatureSpace::Cube { plane } if plane.len() >= 3 => {
            let vertices = plane
                .iter()
                .map(|&pos| MeshVertex {
                    pos,
                    color: SEPARATOR_FILL,
                })
                .collect();
            let indices = (1..plane.len() as u32 - 1)
                .flat_map(|k| [0, k, k + 1])
                .collect();
            scene.meshes.push(Mesh {
                vertices,
                indices,
                wireframe: false,
            });
            let mut ring = plane.clone();
            ring.push(plane[0]);
            scene.lines.extend(Line::polyline(&ring, SEPARATOR, 2.5));
        }
        FeatureSpace::Plane { line: Some((a, b)) } => {
            scene.lines.push(Line {
                a: [a[0], a[1], 0.5],
                b: [b[0], b[1], 0.5],
                color: SEPARATOR,
                width_px: 3.0,
            });
        }
        FeatureSpace::Axis { threshold } => {
            // The surface of one neuron is a segment: show the grid's samples along the axis.
            for (pos, &p) in motion.surface.iter().zip(&snap.surface_output).step_by(3) {
                push_point(
                    scene,
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
                    color: SEPARATOR,
                    width_px: 3.0,
                });
                label(
                    scene,
                    [*t, 0.27, 0.5],
                    format!("threshold a = {t:.3}"),
                    13.0,
                    (Anchor::Bottom, LabelRole::Data),
                );
            }
        }
        _ => {}
    }
}

/// Each data point's recent path through the hidden space, in its class color.
fn push_trails(scene: &mut Scene, snap: &XorSnapshot) {
    let h = snap.feature_width();
    for (trail, &l) in snap.trails.iter().zip(&snap.data.labels) {
        let path: Vec<[f32; 3]> = trail.iter().map(|&p| drawn_at(p, h, 0.2)).collect();
        let mut color = class_color(l);
        color[3] = 0.8;
        scene.lines.extend(Line::polyline(&path, color, 1.5));
    }
}

/// The data points in their class colors (spheres in 3D, ringed discs in 2D), named when
/// there are few.
fn push_points(scene: &mut Scene, snap: &XorSnapshot, motion: &FeatureMotion) {
    let h = snap.feature_width();
    let few = snap.data.len() <= 8;
    let radius = if few { 10.0 } else { 4.5 };
    for (i, (&p, &l)) in motion.points.iter().zip(&snap.data.labels).enumerate() {
        let pos = drawn_at(p, h, 1.0);
        if h >= 3 {
            push_point(scene, pos, class_color(l), radius, PointStyle::Sphere);
        } else {
            push_marker(scene, pos, class_color(l), radius);
        }
        if few {
            label(
                scene,
                pos,
                format!("  {}", snap.data.point_label(i)),
                13.0,
                (Anchor::Left, LabelRole::Data),
            );
        }
    }
}

/// The feature box (its edges in 3D) and its axes, named by neuron or by principal
/// component with its share of the variance.
fn push_box_and_axes(scene: &mut Scene, snap: &XorSnapshot) {
    let (lo, hi) = snap.feature_box;
    let h = snap.feature_width();
    let (bmin, bmax) = match h {
        1 => (Vec3::new(lo[0], -0.3, 0.0), Vec3::new(hi[0], 0.3, 0.0)),
        2 => (Vec3::new(lo[0], lo[1], 0.0), Vec3::new(hi[0], hi[1], 0.0)),
        _ => (Vec3::from(lo), Vec3::from(hi)),
    };
    if h >= 3 {
        push_box_edges(scene, bmin, bmax);
    }
    let mut axes = if h == 1 {
        // One axis along x at y = z = 0.
        Axes::new(Vec3::new(bmin.x, 0.0, 0.0), Vec3::new(bmax.x, 0.0, 0.0))
    } else {
        Axes::new(bmin, bmax)
    };
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
        _ => {
            // One hidden layer: a1..a3 as always; deeper: the layer's number too.
            let name = |k: usize| {
                if h <= k {
                    String::new()
                } else if snap.hidden_layers() == 1 {
                    format!("a{}", k + 1)
                } else {
                    format!("h{}.{}", snap.feature_layer, k + 1)
                }
            };
            [name(0), name(1), name(2)]
        }
    };
    axes.add_to(scene);
    if let FeatureSpace::Projection { .. } = snap.feature_space {
        label(
            scene,
            [bmin.x, bmax.y, bmax.z],
            if snap.hidden_layers() == 1 {
                format!("PCA projection of the {h}-D hidden space")
            } else {
                format!(
                    "PCA projection of hidden layer {} ({h}-D)",
                    snap.feature_layer
                )
            },
            14.0,
            (Anchor::BottomLeft, LabelRole::Title),
        );
    }
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
