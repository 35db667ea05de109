//! Command-line definitions (clap derive) and the glue that runs each subcommand.

pub mod app;
pub mod bench;

use clap::{CommandFactory, Parser, Subcommand};

/// Train small neural networks from scratch on the CPU and watch them learn.
#[derive(Debug, Parser)]
#[command(name = "netviz", version, about)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Top-level subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Measure training throughput.
    Bench {
        /// Which benchmark.
        #[command(subcommand)]
        what: BenchCommand,
    },
    /// Show every rendering primitive, live (window, or --headless PNG).
    Gallery(app::GalleryArgs),
}

/// `netviz bench ...`
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Train a CNN workload on synthetic data; prints `workload=S images_per_sec=N` last.
    Cnn(bench::CnnArgs),
    /// Train the 2-3-1 XOR network; prints `epochs_per_sec=N` last.
    Xor(bench::XorArgs),
}

/// Prints the top-level help.
pub fn print_help() {
    // Printing help can only fail if stdout is closed; nothing useful to do then.
    let _ = Cli::command().print_help();
}
