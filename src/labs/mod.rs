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

