//! The gallery's scenes, built from a [`Snapshot`] each frame: every primitive of the renderer
//! in use (spheres, discs, lines and polylines, translucent and wireframe meshes, colormapped
//! images, labels, axes).

pub use crate::labs::style::{BACKGROUND, TEXT};
use glam::{Vec2, Vec3};

use crate::labs::gallery::landscape::{LANDSCAPE_HALF, LANDSCAPE_RANGE, MINIMA, landscape_value};
use crate::labs::gallery::world::{CLOUD_HALF, Snapshot};
use crate::render::camera::OrbitPose;
use crate::render::scene::LabelRole;
use crate::render::scene::{color_from_rgba8, grid_indices};
use crate::render::{
    Anchor, Axes, Camera2d, Colormap, Image, Label, Line, Mesh, MeshVertex, OrbitCamera, Point,
    PointStyle, Scene, colormap_rgba,
};
use crate::ui::SceneView;

/// Colors of the three clusters.
const CLUSTER_COLORS: [[f32; 3]; 3] = [[0.98, 0.6, 0.25], [0.3, 0.7, 0.98], [0.55, 0.88, 0.4]];
/// The colorbar of the landscape view spans these world x values (right of the heatmap).
const COLORBAR_X: (f32, f32) = (6.3, 6.9);
/// Resolution of the landscape's surface mesh (cells per side).
const SURFACE_CELLS: u32 = 24;

/// The point cloud's starting camera.
pub fn cloud_camera() -> OrbitCamera {
    closer(
        OrbitCamera::framing(Vec3::splat(-CLOUD_HALF), Vec3::splat(CLOUD_HALF)),
        0.68,
    )
}

/// `framing` fits the bounding sphere; a box's corners rarely reach it, so move in (`factor`
/// of the distance).
fn closer(mut camera: OrbitCamera, factor: f32) -> OrbitCamera {
    let home = camera.goal();
    camera.set_home(OrbitPose {
        distance: home.distance * factor,
        ..home
    });
    camera
}

/// The landscape heatmap's camera: the heatmap, its axes and the colorbar, units square.
pub fn landscape_camera() -> Camera2d {
    Camera2d::new(Vec2::new(-6.4, -6.3), Vec2::new(8.2, 6.0)).keeping_aspect()
}

/// The surface's starting camera.
pub fn surface_camera() -> OrbitCamera {
    let (min, max) = surface_box();
    closer(OrbitCamera::framing(min, max), 0.8)
}

/// World box of the surface view: landscape x and y along world x and z, `ln(1 + f)` up.
fn surface_box() -> (Vec3, Vec3) {
    (
        Vec3::new(-LANDSCAPE_HALF, 0.0, -LANDSCAPE_HALF),
        Vec3::new(LANDSCAPE_HALF, LANDSCAPE_RANGE.1, LANDSCAPE_HALF),
    )
}

/// The colormap in use, with the diverging map centered on the middle of the range.
pub fn centered(colormap: Colormap) -> Colormap {
    match colormap {
        Colormap::Diverging { .. } => Colormap::Diverging {
            center: 0.5 * (LANDSCAPE_RANGE.0 + LANDSCAPE_RANGE.1),
        },
        other => other,
    }
}

/// The 3D scatter: three clusters of spheres, a translucent plane through the origin with a
/// wireframe, points dimmed behind the plane, world axes.
pub fn cloud_scene(snapshot: &Snapshot, view: &SceneView) -> Scene {
    let mut scene = Scene::new(view.camera);
    scene.background = BACKGROUND;
    let normal = Vec3::from(snapshot.plane_normal);
    let count = snapshot.cloud.positions.len().max(1) as f32;
    let radius_px = (5.0 * (400.0 / count).sqrt()).clamp(1.5, 5.0);
    scene.points.extend(
        snapshot
            .cloud
            .positions
            .iter()
            .zip(&snapshot.cloud.clusters)
            .map(|(&pos, &cluster)| {
                let base = CLUSTER_COLORS[usize::from(cluster) % CLUSTER_COLORS.len()];
                let shade = if Vec3::from(pos).dot(normal) >= 0.0 {
                    1.0
                } else {
                    0.45
                };
                Point {
                    pos,
                    color: [base[0] * shade, base[1] * shade, base[2] * shade, 1.0],
                    radius_px,
                    style: PointStyle::Sphere,
                }
            }),
    );
    let half = CLOUD_HALF * 0.95;
    scene
        .meshes
        .push(plane_mesh(normal, half, [0.55, 0.68, 0.95, 0.22]));
    plane_grid(&mut scene, normal, half, 6, [0.6, 0.72, 0.98, 0.7], 1.0);
    // Name the plane at its highest corner, away from the axes at the bottom.
    let (u, v) = plane_basis(normal);
    let top = [u + v, u - v, -u + v, -u - v]
        .into_iter()
        .max_by(|a, b| a.y.total_cmp(&b.y))
        .unwrap_or(u + v);
    scene.labels.push(Label {
        pos: (top * half).into(),
        text: "plane".into(),
        color: TEXT,
        size_px: 13.0,
        anchor: Anchor::BottomLeft,
        role: LabelRole::Title,
    });
    let mut axes = Axes::new(Vec3::splat(-CLOUD_HALF), Vec3::splat(CLOUD_HALF));
    axes.text_color = TEXT;
    axes.text_size_px = 11.0;
    axes.width_px = 1.5;
    axes.add_to(&mut scene);
    scene
}

/// Two unit vectors spanning the plane with this normal.
fn plane_basis(normal: Vec3) -> (Vec3, Vec3) {
    let helper = if normal.y.abs() < 0.9 {
        Vec3::Y
    } else {
        Vec3::X
    };
    let u = normal.cross(helper).normalize();
    (u, normal.cross(u))
}

/// A translucent square through the origin, `2 * half` wide.
fn plane_mesh(normal: Vec3, half: f32, color: [f32; 4]) -> Mesh {
    let (u, v) = plane_basis(normal);
    let vertices = [(-1.0, -1.0), (1.0, -1.0), (-1.0, 1.0), (1.0, 1.0)]
        .map(|(s, t)| MeshVertex {
            pos: ((u * s + v * t) * half).into(),
            color,
        })
        .to_vec();
    Mesh {
        vertices,
        indices: grid_indices(1),
        wireframe: false,
    }
}

/// Grid lines over the square of [`plane_mesh`]: `cells + 1` in each direction.
fn plane_grid(
    scene: &mut Scene,
    normal: Vec3,
    half: f32,
    cells: u32,
    color: [f32; 4],
    width_px: f32,
) {
    let (u, v) = plane_basis(normal);
    for k in 0..=cells {
        let s = (-1.0 + 2.0 * k as f32 / cells as f32) * half;
        for (along, across) in [(u, v), (v, u)] {
            scene.lines.push(Line {
                a: (across * s - along * half).into(),
                b: (across * s + along * half).into(),
                color,
                width_px,
            });
        }
    }
}

/// The landscape as a heatmap (`values` is the `cells x cells` grid from
/// [`landscape_grid`](crate::labs::gallery::landscape::landscape_grid)), the optimizer's path,
/// the minima, axes and a colorbar with its scale.
pub fn landscape_scene(
    snapshot: &Snapshot,
    view: &SceneView,
    values: &[f32],
    cells: u32,
    colormap: Colormap,
) -> Scene {
    let mut scene = Scene::new(view.camera);
    scene.background = BACKGROUND;
    let colormap = centered(colormap);
    let h = LANDSCAPE_HALF;
    scene.images.push(
        Image::in_rect([-h, -h], [h, h], 0.0, cells, cells, values.to_vec())
            .with_colormap(colormap, LANDSCAPE_RANGE),
    );
    for &[x, y] in &MINIMA {
        scene
            .points
            .push(disc([x, y, 1.0], [1.0, 1.0, 1.0, 0.8], 3.0));
    }
    let path: Vec<[f32; 3]> = snapshot.path.iter().map(|&[x, y]| [x, y, 0.5]).collect();
    scene
        .lines
        .extend(Line::polyline(&path, [1.0, 1.0, 1.0, 0.9], 1.5));
    if let Some(&start) = path.first() {
        scene.points.push(disc(start, [1.0, 1.0, 1.0, 1.0], 4.0));
    }
    if let Some(&[x, y, _]) = path.last() {
        scene
            .points
            .push(disc([x, y, 2.0], [0.95, 0.2, 0.25, 1.0], 5.0));
    }
    let mut axes = Axes::new(Vec3::new(-h, -h, 0.5), Vec3::new(h, h, 0.5));
    axes.text_color = TEXT;
    axes.text_size_px = 11.0;
    axes.width_px = 1.5;
    axes.add_to(&mut scene);
    colorbar(&mut scene, colormap);
    scene
}

fn disc(pos: [f32; 3], color: [f32; 4], radius_px: f32) -> Point {
    Point {
        pos,
        color,
        radius_px,
        style: PointStyle::Disc,
    }
}

/// A vertical colorbar right of the heatmap, with tick values and a title.
fn colorbar(scene: &mut Scene, colormap: Colormap) {
    const STEPS: u32 = 128;
    let (lo, hi) = LANDSCAPE_RANGE;
    let h = LANDSCAPE_HALF;
    // Row 0 is the top: the largest value.
    let values = (0..STEPS)
        .map(|row| hi - (row as f32 + 0.5) / STEPS as f32 * (hi - lo))
        .collect();
    scene.images.push(
        Image::in_rect([COLORBAR_X.0, -h], [COLORBAR_X.1, h], 0.0, 1, STEPS, values)
            .with_colormap(colormap, LANDSCAPE_RANGE),
    );
    for tick in 0..=7 {
        let value = tick as f32;
        let y = -h + (value - lo) / (hi - lo) * 2.0 * h;
        scene.lines.push(Line {
            a: [COLORBAR_X.1, y, 0.5],
            b: [COLORBAR_X.1 + 0.15, y, 0.5],
            color: TEXT,
            width_px: 1.0,
        });
        scene.labels.push(Label {
            pos: [COLORBAR_X.1 + 0.25, y, 0.5],
            text: format!("{tick}"),
            color: TEXT,
            size_px: 11.0,
            anchor: Anchor::Left,
            role: LabelRole::Tick,
        });
    }
    scene.labels.push(Label {
        pos: [0.5 * (COLORBAR_X.0 + COLORBAR_X.1), h + 0.3, 0.5],
        text: "ln(1+f)".into(),
        color: TEXT,
        size_px: 12.0,
        anchor: Anchor::Bottom,
        role: LabelRole::AxisName,
    });
}

/// The landscape's height field, computed once.
#[derive(Clone, Debug)]
pub struct Surface {
    positions: Vec<[f32; 3]>,
    heights: Vec<f32>,
    indices: Vec<u32>,
}

impl Default for Surface {
    fn default() -> Self {
        Self::new()
    }
}

impl Surface {
    /// A `SURFACE_CELLS²` grid over the landscape.
    pub fn new() -> Self {
        let side = SURFACE_CELLS + 1;
        let step = 2.0 * LANDSCAPE_HALF / SURFACE_CELLS as f32;
        let mut positions = Vec::with_capacity((side * side) as usize);
        let mut heights = Vec::with_capacity(positions.capacity());
        for j in 0..side {
            for i in 0..side {
                let (x, y) = (
                    -LANDSCAPE_HALF + i as f32 * step,
                    -LANDSCAPE_HALF + j as f32 * step,
                );
                let height = landscape_value(x, y);
                positions.push([x, height, y]);
                heights.push(height);
            }
        }
        Self {
            positions,
            heights,
            indices: grid_indices(SURFACE_CELLS),
        }
    }
}

/// The landscape as a colored surface with a wireframe, the optimizer's path riding on it and
/// axes.
pub fn surface_scene(
    snapshot: &Snapshot,
    view: &SceneView,
    surface: &Surface,
    colormap: Colormap,
) -> Scene {
    let mut scene = Scene::new(view.camera);
    scene.background = BACKGROUND;
    let colormap = centered(colormap);
    let vertices = surface
        .positions
        .iter()
        .zip(&surface.heights)
        .map(|(&pos, &height)| MeshVertex {
            pos,
            color: color_from_rgba8(colormap_rgba(colormap, LANDSCAPE_RANGE, height)),
        })
        .collect();
    scene.meshes.push(Mesh {
        vertices,
        indices: surface.indices.clone(),
        wireframe: false,
    });
    // The wireframe as its own mesh with invisible faces, lifted a little against z-fighting.
    let wire = surface
        .positions
        .iter()
        .map(|&[x, y, z]| MeshVertex {
            pos: [x, y + 0.02, z],
            color: [0.05, 0.05, 0.07, 0.0],
        })
        .collect();
    scene.meshes.push(Mesh {
        vertices: wire,
        indices: surface.indices.clone(),
        wireframe: true,
    });
    let path: Vec<[f32; 3]> = snapshot
        .path
        .iter()
        .map(|&[x, y]| [x, landscape_value(x, y) + 0.08, y])
        .collect();
    scene
        .lines
        .extend(Line::polyline(&path, [1.0, 1.0, 1.0, 1.0], 2.0));
    if let Some(&last) = path.last() {
        scene.points.push(Point {
            pos: last,
            color: [0.95, 0.2, 0.25, 1.0],
            radius_px: 6.0,
            style: PointStyle::Sphere,
        });
    }
    let (min, max) = surface_box();
    let mut axes = Axes::new(min, max);
    axes.names = ["x".into(), "ln(1+f)".into(), "y".into()];
    axes.text_color = TEXT;
    axes.text_size_px = 11.0;
    axes.width_px = 1.5;
    axes.add_to(&mut scene);
    scene
}
