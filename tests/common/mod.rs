//! Helpers shared by the integration tests: one helper per boundary.

#![allow(dead_code)]

pub mod gradcheck;
pub mod mnist_server;
