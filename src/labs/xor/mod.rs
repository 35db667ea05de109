//! The XOR lab: the original 2-h-1 network learning XOR (and other two-class datasets in the
//! plane), with everything its views need to show why a hidden layer makes the classes
//! separable. This part is the model side: datasets, the training session and its commands,
//! and the snapshot computations. Nothing here draws.

pub mod datasets;
pub mod file;
pub mod geometry;
pub mod scenes;
pub mod session;
pub mod snapshot;

pub use datasets::{Dataset2d, DatasetKind};
pub use session::{XorCommand, XorSession, XorSettings};
pub use snapshot::XorSnapshot;
