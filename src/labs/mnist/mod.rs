//! The MNIST lab: the configured CNN learning the digits, trained on its own thread by the
//! same [`Trainer`](crate::train::Trainer) as `netviz mnist train`.
//! - `analysis`: what is computed from a copy of the model (validation pass with the
//!   confusion matrix and the PCA embedding, one image through every layer, the kernels);
//! - `session`, `snapshot`, `worker`: the lab thread's state, what it publishes, its loop;
//! - `scenes`: snapshot to plain render scenes (filters, activations, embedding), with
//!   `activation_labels` placing the activation stack's names for a view;
//!   `confusion`: the clickable confusion-matrix panel; `browser`: the dataset browser;
//!   `drawing`: draw-a-digit and its MNIST-like preprocessing; `filter_pass`: a filter
//!   sliding over the chosen image step by step; `plots`: the training curves and the
//!   optimizer's plots; `lab`: the [`Lab`](crate::ui::Lab); `wire`: how a run file writes
//!   the snapshot's config and stop reason.

pub mod activation_labels;
pub mod analysis;
pub mod browser;
pub mod cameras;
pub mod confusion;
pub mod controls;
pub mod drawing;
pub mod filter_pass;
pub mod lab;
pub mod plots;
pub mod scenes;
pub mod session;
pub mod snapshot;
pub mod wire;
pub mod worker;

pub use lab::MnistLab;
pub use session::{MnistCommand, MnistSession, MnistSetup};
pub use snapshot::MnistSnapshot;
