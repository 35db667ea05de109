//! Labs: the things the app shell ([`crate::ui`]) hosts. Each lab runs its work (training,
//! an animation) on a [`LabThread`] that publishes snapshots and takes commands, and turns the
//! newest snapshot into scenes and panels through the [`Lab`](crate::ui::Lab) trait.
//!
//! - [`thread`]: [`LabThread`] / [`LabWorker`], the snapshot-and-command channel pair.
//! - [`gallery`]: every rendering primitive, live, with no neural network.

pub mod gallery;
pub mod thread;

pub use thread::{LabThread, LabWorker};
