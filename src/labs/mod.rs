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

pub mod gallery;
pub mod mnist;
pub mod thread;
pub mod xor;

pub use thread::{LabThread, LabWorker};
