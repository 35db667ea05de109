//! The labs the window's Lab menu offers, each started with its command's defaults.

use anyhow::Result;

use netviz::ui::{Lab, LabEntry};

/// The labs the window's Lab menu offers, each started with its command's defaults.
pub fn entries() -> Vec<LabEntry> {
    fn boxed<L: Lab + 'static>(lab: Result<L>) -> Result<Box<dyn Lab>, String> {
        lab.map(|lab| Box::new(lab) as Box<dyn Lab>)
            .map_err(|e| format!("{e:#}"))
    }
    vec![
        LabEntry::new("xor", "XOR", || {
            boxed(crate::cli::xor::build(&crate::cli::xor::default_args()))
        }),
        LabEntry::new("mnist", "MNIST", || {
            boxed(crate::cli::mnist::lab::build(
                &crate::cli::mnist::lab::default_args(),
            ))
        }),
        LabEntry::new("gallery", "Gallery", || {
            boxed(crate::cli::gallery::build(
                &crate::cli::gallery::default_args(),
            ))
        }),
    ]
}
