//! The training core: tensors, layers, losses, optimizers, initialisers, models built from
//! configs, model files and metrics. Pure CPU code.
//!
//! **Architecture Invariant:** `nn` never imports anything about rendering or UI (`wgpu`,
//! `egui`, `winit`, `crate::render`, `crate::ui`). Labs read its numbers; it reads nothing of
//! theirs.

pub mod config;
pub mod error;
pub mod gemm;
pub mod init;
pub mod io;
pub mod layers;
pub mod loss;
pub mod metrics;
pub mod model;
pub mod optim;
pub mod plane;
pub(crate) mod simd;
pub mod tensor;
pub mod transformer;
pub mod xor;

pub use error::{NnError, Result};
pub use layers::{Layer, LayerKind, Param};
pub use loss::Loss;
pub use model::Sequential;
pub use optim::{Optimizer, OptimizerKind};
pub use tensor::Tensor;
