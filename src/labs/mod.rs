//! Labs: each trains a model on its own thread and publishes snapshots that the views draw.

pub mod xor;
