//! The activation stack's labels in a given view: the layer names staggered so none prints
//! over another or over the probabilities ([`stagger_names`], [`activations_fitted`]), and
//! what the pointer is over ([`activation_text`]), so a name left out for lack of room is
//! still a hover away.

use glam::{Vec2, Vec3};

use crate::labs::mnist::analysis::Probe;
use crate::labs::mnist::scenes::{ActivationTile, activation_layout, activations, tile_values};
use crate::render::labels::{estimated_text_size, label_box, unproject};
use crate::render::projection::{aspect_of, project_with};
use crate::render::{Anchor, Line, Scene};
use crate::ui::SceneView;

/// [`activations`] for a panel seen through `view`: the layer names are staggered
/// ([`stagger_names`]) so none prints over another, each joined to its slab by a thin line
/// when it had to move away from it (so `lines` holds those after the contribution lines).
pub fn activations_fitted(probe: &Probe, view: &SceneView) -> Scene {
    let mut scene = activations(probe, view.camera);
    let viewport_px = Vec2::new(view.size_px[0] as f32, view.size_px[1] as f32);
    stagger_names(
        &mut scene,
        probe.layers.len(),
        viewport_px,
        view.pixels_per_point,
    );
    scene
}

/// Gap in points between a staggered name and what it must clear.
const STAGGER_GAP_PT: f32 = 2.0;
/// Color of the line from a moved name to its slab.
const LEADER: [f32; 4] = [0.55, 0.57, 0.62, 0.8];

/// Moves the first `count` labels of `scene` (names anchored at their slabs' edges: the
/// bottom-anchored ones above their slab, the others below) in `viewport_px` (label sizes
/// in points, `pixels_per_point` of them per point): first sideways into the viewport when
/// they run past its left or right edge, then away from their slab (up or down the screen)
/// just far enough that none overlaps a name placed before it or another label of the scene.
/// A thin line joins each moved
/// name to where it was; a name pushed out of the viewport is left out (hovering a slab
/// names it, see [`activation_text`]).
pub fn stagger_names(scene: &mut Scene, count: usize, viewport_px: Vec2, pixels_per_point: f32) {
    let clip_from_world = scene.camera.clip_from_world(aspect_of(viewport_px));
    let gap = STAGGER_GAP_PT * pixels_per_point;
    // The other labels (the probabilities) stay; the names keep clear of them.
    let mut placed: Vec<(Vec2, Vec2)> = scene
        .labels
        .iter()
        .skip(count)
        .filter_map(|label| {
            let (pos, _) = project_with(&clip_from_world, Vec3::from(label.pos), viewport_px)?;
            let size = estimated_text_size(&label.text, label.size_px * pixels_per_point);
            Some(label_box(pos, label.anchor, size))
        })
        .collect();
    let mut leaders = Vec::new();
    let mut out_of_view = Vec::new();
    for (index, label) in scene.labels.iter_mut().take(count).enumerate() {
        let at = Vec3::from(label.pos);
        let Some((anchor_px, depth)) = project_with(&clip_from_world, at, viewport_px) else {
            continue;
        };
        let above = label.anchor == Anchor::BottomLeft;
        let size = estimated_text_size(&label.text, label.size_px * pixels_per_point);
        let mut pos = anchor_px;
        pos.x -= (pos.x + size.x - viewport_px.x).max(0.0);
        pos.x = pos.x.max(0.0);
        let box_at = |pos: Vec2| {
            let min = if above {
                pos - Vec2::new(0.0, size.y)
            } else {
                pos
            };
            (min, min + size)
        };
        // Each step clears one more box; moving on never un-clears one.
        for _ in 0..=placed.len() {
            let (min, max) = box_at(pos);
            let Some(&(bmin, bmax)) = placed.iter().find(|(bmin, bmax)| {
                min.x < bmax.x && bmin.x < max.x && min.y < bmax.y && bmin.y < max.y
            }) else {
                break;
            };
            pos.y = if above { bmin.y - gap } else { bmax.y + gap };
        }
        let (min, max) = box_at(pos);
        if pos != anchor_px && (min.y < 0.0 || max.y > viewport_px.y) {
            out_of_view.push(index);
            continue;
        }
        placed.push((min, max));
        if pos != anchor_px
            && let Some(moved) = unproject(&clip_from_world, pos, depth, viewport_px)
        {
            leaders.push(Line {
                a: at.into(),
                b: moved.into(),
                color: LEADER,
                width_px: 1.0,
            });
            label.pos = moved.into();
        }
    }
    scene.lines.extend(leaders);
    for index in out_of_view.into_iter().rev() {
        scene.labels.remove(index);
    }
}

/// What the activation view shows under `pos_px` (pixels from the top-left of `view`): the
/// layer's name and shape, the channel, and the value of the texel, of the nearest slab's
/// tile there; `None` over no tile.
pub fn activation_text(probe: &Probe, view: &SceneView, pos_px: Vec2) -> Option<String> {
    let layout = activation_layout(probe);
    let eye_z = view.camera.view_from_world.inverse().w_axis.z;
    let mut tiles: Vec<&ActivationTile> = layout.tiles.iter().collect();
    // Nearest slab first: the camera looks at the stack from its front (larger z).
    tiles.sort_by(|a, b| (eye_z - a.z).abs().total_cmp(&(eye_z - b.z).abs()));
    tiles.into_iter().find_map(|tile| {
        let hit = crate::labs::world_at(view, pos_px, tile.z)?;
        let inside = (tile.min[0]..tile.max[0]).contains(&hit.x)
            && (tile.min[1]..tile.max[1]).contains(&hit.y);
        if !inside {
            return None;
        }
        let col =
            ((hit.x - tile.min[0]) / (tile.max[0] - tile.min[0]) * tile.size[0] as f32) as usize;
        let row =
            ((tile.max[1] - hit.y) / (tile.max[1] - tile.min[1]) * tile.size[1] as f32) as usize;
        let (col, row) = (
            col.min(tile.size[0] as usize - 1),
            row.min(tile.size[1] as usize - 1),
        );
        let a = probe.layers.get(tile.layer)?;
        let shape: Vec<String> = a.shape.iter().map(usize::to_string).collect();
        let name = format!("{} {}", a.name, shape.join("x"));
        let values = tile_values(probe, tile);
        let per_row = tile.size[0] as usize;
        Some(if a.shape.len() == 3 {
            format!(
                "{name}\nchannel {}, row {row}, column {col}: {:.4}",
                tile.channel,
                values.get(row * per_row + col)?
            )
        } else {
            let index = row * per_row + col;
            match a.values.get(index) {
                Some(v) => format!("{name}\nvalue {index}: {v:.4}"),
                None => name,
            }
        })
    })
}
