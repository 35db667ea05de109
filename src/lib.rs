//! netviz: train small neural networks from scratch on the CPU and watch them learn.
//!
//! - [`nn`]: the training core (tensors, layers, losses, optimizers, model files, metrics).
//!   Knows nothing of rendering.
//! - [`data`]: datasets (MNIST lookup, verified download, preprocessing).
//! - [`train`]: training loops (mini-batches, validation, early stopping, evaluation) and
//!   the MNIST preparation; no terminal or UI code, so the command line and the labs share it.
//! - [`bench`]: the throughput benchmarks behind `netviz bench`.

pub mod bench;
pub mod data;
pub mod labs;
pub mod nn;
pub mod train;
