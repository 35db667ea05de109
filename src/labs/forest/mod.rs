//! The random-forest lab: many trees converging on one decision, grown live on the plane
//! datasets of the XOR lab or on MNIST's pixels.
//!
//! - `settings`, `session`: the model side (the data, the trees grown one at a time exactly as
//!   [`Forest::fit`](crate::forest::Forest::fit) grows them, running votes and curves, the
//!   comparison network), pure and tested without a GPU; `views`: the numbers each view shows
//!   for a chosen number of trees;
//! - `scenes`, `diagram`: snapshot to plain render scenes; `lab`: the
//!   [`Lab`](crate::ui::Lab) the shell hosts.

pub mod diagram;
pub mod lab;
pub mod scenes;
pub mod session;
pub mod settings;
pub mod views;

pub use lab::{ForestLab, ForestLabOptions, Panel, ViewState};
pub use session::{ForestCommand, ForestSession, ForestSnapshot, MnistSource};
pub use settings::{ForestData, ForestSettings};
