//! Labels: text is not drawn by wgpu. [`project_labels`] turns a scene's world-anchored
//! labels into screen positions for the UI to draw as egui text (crisp at any size).

use glam::{Vec2, Vec3};

use crate::render::projection::{aspect_of, project_with};
use crate::render::scene::{Anchor, Scene};

/// A label placed on screen.
#[derive(Clone, Debug, PartialEq)]
pub struct ScreenLabel {
    /// Anchor position in pixels from the viewport's top-left corner.
    pub pos_px: Vec2,
    /// The text.
    pub text: String,
    /// Text color.
    pub color: [f32; 4],
    /// Font size in pixels.
    pub size_px: f32,
    /// Which point of the text box sits at `pos_px`.
    pub anchor: Anchor,
    /// Clip-space depth, 0 (near) to 1 (far).
    pub depth: f32,
}

/// The scene's labels as seen in a `viewport_px` viewport, farthest first (draw in order so
/// nearer text lands on top). Labels behind the camera or outside the near/far range are left
/// out; those beyond the viewport's sides are kept (the UI clips them).
pub fn project_labels(scene: &Scene, viewport_px: Vec2) -> Vec<ScreenLabel> {
    let clip_from_world = scene.camera.clip_from_world(aspect_of(viewport_px));
    let mut placed: Vec<ScreenLabel> = scene
        .labels
        .iter()
        .filter_map(|label| {
            let (pos_px, depth) =
                project_with(&clip_from_world, Vec3::from(label.pos), viewport_px)?;
            Some(ScreenLabel {
                pos_px,
                text: label.text.clone(),
                color: label.color,
                size_px: label.size_px,
                anchor: label.anchor,
                depth,
            })
        })
        .collect();
    placed.sort_by(|a, b| b.depth.total_cmp(&a.depth));
    placed
}
