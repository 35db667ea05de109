//! netviz: train small neural networks from scratch on the CPU and watch them learn.
//!
//! - [`nn`]: the training core (tensors, layers, losses, optimizers, model files, metrics).
//!   Knows nothing of rendering.
//! - [`forest`]: random forests (fit on threads, predict, out-of-bag, importances, forest
//!   files). Knows nothing of rendering.
//! - [`data`]: datasets (MNIST lookup, verified download, preprocessing).
//! - [`train`]: training loops (mini-batches, validation, early stopping, evaluation) and
//!   the MNIST preparation; no terminal or UI code, so the command line and the labs share it.
//! - [`bench`]: the throughput benchmarks behind `netviz bench`.
//! - [`render`]: the wgpu rendering engine (plain scene data to pixels). Knows nothing of `nn`.
//! - [`ui`]: the app shell hosting a lab in a window or headless. Knows nothing of `nn`.
//! - [`labs`]: the labs the shell hosts (XOR, the primitive gallery, ...), each running its
//!   work on a [`labs::LabThread`] that publishes snapshots and takes commands.

pub mod bench;
pub mod data;
pub mod files;
pub mod forest;
pub mod labs;
pub mod nn;
pub mod render;
pub mod train;
pub mod ui;
