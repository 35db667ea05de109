//! netviz: train small neural networks from scratch on the CPU and watch them learn.
//!
//! - [`nn`]: the training core (tensors, layers, losses, optimizers, model files, metrics).
//!   Knows nothing of rendering.
//! - [`data`]: datasets (MNIST lookup, verified download, preprocessing).
//! - [`train`]: training loops (mini-batches, validation, early stopping, evaluation) and
//!   the MNIST preparation; no terminal or UI code, so the command line and the labs share it.
//! - [`labs`]: the labs (XOR, ...) that train on their own thread and publish snapshots.
//! - [`bench`]: the throughput benchmarks behind `netviz bench`.
//! - [`render`]: the wgpu rendering engine (plain scene data to pixels). Knows nothing of `nn`.

pub mod bench;
pub mod data;
pub mod labs;
pub mod nn;
pub mod render;
pub mod train;
