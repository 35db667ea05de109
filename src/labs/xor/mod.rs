//! The XOR lab: the original 2-h-1 network learning XOR (and other two-class datasets in the
//! plane), with everything its views need to show why a hidden layer makes the classes
//! separable.
//!
//! - `settings`, `session`, `snapshot`, `geometry`: the model side (what is trained and every
//!   number the views show), pure and tested without a GPU; the datasets are
//!   [`crate::data::plane`];
//! - `worker`: the lab thread; `scenes`: snapshot to plain render scenes; `lab`: the
//!   [`Lab`](crate::ui::Lab) the shell hosts; `file`: the network as a model file.

pub mod backprop;
pub mod file;
pub mod geometry;
pub mod lab;
pub mod scenes;
pub mod session;
pub mod settings;
pub mod snapshot;
pub mod worker;

pub use crate::data::plane::{Dataset2d, DatasetKind};
pub use lab::{XorLab, XorLabOptions};
pub use session::{XorCommand, XorSession};
pub use settings::XorSettings;
pub use snapshot::XorSnapshot;
