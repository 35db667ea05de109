//! Labs: the things the app shell ([`crate::ui`]) hosts. Each lab runs its work (training,
//! an animation) on a [`LabThread`] that publishes snapshots and takes commands, and turns the
//! newest snapshot into scenes and panels through the [`Lab`](crate::ui::Lab) trait.
//!
//! - [`thread`]: [`LabThread`] / [`LabWorker`], the snapshot-and-command channel pair.
//! - [`xor`]: the original 2-h-1 network learning XOR, in input space, feature space, loss
//!   surface and network views.
//! - [`mnist`]: the configured CNN learning MNIST: curves, filters, confusion matrix,
//!   activations and the penultimate layer's embedding.
//! - [`forest`]: a random forest grown tree by tree: vote map, every tree, one tree's
//!   diagram, the vote terrain, forest against network, importance, votes.
//! - [`gallery`]: every rendering primitive, live, with no neural network.
//! - [`plot`]: legends placed where they cover no data, for every lab's plots.

pub mod attention;
pub mod error;
pub mod forest;
pub mod gallery;
pub mod memory;
pub mod mnist;
pub mod pca;
pub mod plot;
pub mod run_file;
pub mod style;
pub mod thread;
pub mod timeline;
pub mod xor;

pub use error::LabError;
pub use thread::{LabThread, LabWorker, Session, Step, run_session};

/// The first of `variants` (longest first) whose estimated width at `size_pt` is at most
/// `max_width_pt` (see [`estimated_text_size`](crate::render::labels::estimated_text_size)).
pub fn longest_fitting(variants: &[String], size_pt: f32, max_width_pt: f32) -> Option<&str> {
    variants
        .iter()
        .find(|v| crate::render::labels::estimated_text_size(v, size_pt).x <= max_width_pt)
        .map(String::as_str)
}

/// The world point in the plane `z = z` under `pos_px` (pixels from the top-left of `view`'s
/// viewport), if the view's ray meets the plane.
pub fn world_at(view: &crate::ui::SceneView, pos_px: glam::Vec2, z: f32) -> Option<glam::Vec3> {
    let viewport = glam::Vec2::new(view.size_px[0] as f32, view.size_px[1] as f32);
    let world_from_clip = view
        .camera
        .clip_from_world(crate::render::projection::aspect_of(viewport))
        .inverse();
    let ndc = glam::Vec2::new(
        pos_px.x / viewport.x * 2.0 - 1.0,
        1.0 - pos_px.y / viewport.y * 2.0,
    );
    let at = |depth: f32| {
        let p = world_from_clip * glam::Vec4::new(ndc.x, ndc.y, depth, 1.0);
        p.truncate() / p.w
    };
    let (near, far) = (at(0.0), at(1.0));
    let t = (z - near.z) / (far.z - near.z);
    let hit = near + (far - near) * t;
    (t.is_finite() && hit.is_finite()).then_some(hit)
}

/// How many points one world unit in the plane `z = 0` spans across `view` near its center
/// (for 2D views: the size of a unit square on screen).
pub fn unit_pt(view: &crate::ui::SceneView) -> f32 {
    let viewport = glam::Vec2::new(view.size_px[0] as f32, view.size_px[1] as f32);
    let center = viewport * 0.5;
    let (Some(a), Some(b)) = (
        world_at(view, center, 0.0),
        world_at(view, center + glam::Vec2::X, 0.0),
    ) else {
        return 0.0;
    };
    let units_per_px = (b - a).length();
    if units_per_px > 0.0 && units_per_px.is_finite() {
        1.0 / units_per_px / view.pixels_per_point.max(1e-3)
    } else {
        0.0
    }
}

/// The world point of a 2D scene under pixel `pos_px`.
pub fn unproject_2d(view: &crate::ui::SceneView, pos_px: glam::Vec2) -> Option<[f32; 2]> {
    let size = glam::Vec2::new(view.size_px[0] as f32, view.size_px[1] as f32);
    let clip_from_world = view.camera.clip_from_world(size.x / size.y.max(1.0));
    let world_from_clip = clip_from_world.inverse();
    let ndc = glam::Vec4::new(
        2.0 * pos_px.x / size.x - 1.0,
        1.0 - 2.0 * pos_px.y / size.y,
        0.5,
        1.0,
    );
    let w = world_from_clip * ndc;
    (w.w.abs() > f32::EPSILON).then(|| [w.x / w.w, w.y / w.w])
}
