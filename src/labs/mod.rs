//! Labs: the things the app shell ([`crate::ui`]) hosts. Each lab runs its work (training,
//! an animation) on a [`LabThread`] that publishes snapshots and takes commands, and turns the
//! newest snapshot into scenes and panels through the [`Lab`](crate::ui::Lab) trait.
//!
//! - [`thread`]: [`LabThread`] / [`LabWorker`], the snapshot-and-command channel pair.
//! - [`xor`]: the original 2-h-1 network learning XOR, in input space, feature space, loss
//!   surface and network views.
//! - [`mnist`]: the configured CNN learning MNIST: curves, filters, confusion matrix,
//!   activations and the penultimate layer's embedding.
//! - [`gallery`]: every rendering primitive, live, with no neural network.
//! - [`plot`]: legends placed where they cover no data, for every lab's plots.

pub mod gallery;
pub mod mnist;
pub mod plot;
pub mod thread;
pub mod xor;

pub use thread::{LabThread, LabWorker};

/// Multiplies every pixel size in `scene` by `pixels_per_point`, so sizes given in points look
/// the same on HiDPI screens.
pub fn scale_sizes(scene: &mut crate::render::Scene, pixels_per_point: f32) {
    for p in &mut scene.points {
        p.radius_px *= pixels_per_point;
    }
    for l in &mut scene.lines {
        l.width_px *= pixels_per_point;
    }
    for l in &mut scene.labels {
        l.size_px *= pixels_per_point;
    }
}

/// Moves or drops the labels of `scene` that would print over each other in `view` (see
/// [`declutter_scene`](crate::render::labels::declutter_scene)): titles and data labels win
/// over axis names and tick values. Call it last, once sizes are in pixels.
pub fn declutter_labels(scene: &mut crate::render::Scene, view: &crate::ui::SceneView) {
    let viewport_px = glam::Vec2::new(view.size_px[0] as f32, view.size_px[1] as f32);
    crate::render::labels::declutter_scene(scene, viewport_px);
}

