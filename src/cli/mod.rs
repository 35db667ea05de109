//! Command-line definitions (clap derive) and the glue that runs each subcommand.

pub mod app;
pub mod attention;
pub mod attention_bench;
pub mod attention_lab;
pub mod bench;
pub mod digits;
pub mod forest;
pub mod forest_bench;
pub mod forest_lab;
pub mod gallery;
pub mod lab_command;
pub mod labs;
pub mod legacy;
pub mod mnist;
pub mod render_bench;
pub mod signals;
pub mod ui_bench;
pub mod xor;

use clap::{Parser, Subcommand};

/// Train small neural networks from scratch on the CPU and watch them learn.
///
/// The original program's command lines also work: `-md`, `--mnist_digits` and `--mnist`
/// (with `-m infer`, `-um FILE`, `-uc`) for MNIST, `--xor` (with `-hn`, `-ner`, `-e`) for XOR.
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
    /// The MNIST lab: watch a CNN learn the handwritten digits (window, or --headless PNG);
    /// `train` and `infer` work in the terminal.
    #[command(args_conflicts_with_subcommands = true)]
    Mnist {
        /// What to do in the terminal (none: open the lab).
        #[command(subcommand)]
        what: Option<MnistCommand>,
        /// The lab's settings.
        #[command(flatten)]
        lab: Box<mnist::LabArgs>,
    },
    /// Train the original 2-h-1 network on XOR and print its neurons.
    Xor(xor::XorArgs),
    /// Measure training throughput.
    Bench {
        /// Which benchmark.
        #[command(subcommand)]
        what: BenchCommand,
    },
    /// Show every rendering primitive, live (window, or --headless PNG).
    Gallery(gallery::GalleryArgs),
    /// The random-forest lab: trees grown one at a time converging on one decision, on the
    /// plane datasets or MNIST (window, or --headless PNG); `train` grows one in the terminal.
    #[command(args_conflicts_with_subcommands = true)]
    Forest {
        /// What to do in the terminal (none: open the lab).
        #[command(subcommand)]
        what: Option<forest::ForestCommand>,
        /// The lab's settings.
        #[command(flatten)]
        lab: Box<forest_lab::ForestLabArgs>,
    },
    /// The attention lab: a small transformer trained live on sorting, reversing, induction,
    /// modular addition or text, its heads watched as they form (window, or --headless PNG);
    /// `train` trains one in the terminal.
    #[command(args_conflicts_with_subcommands = true)]
    Attention {
        /// What to do in the terminal (none: open the lab).
        #[command(subcommand)]
        what: Option<attention::AttentionCommand>,
        /// The lab's settings.
        #[command(flatten)]
        lab: Box<attention_lab::AttentionLabArgs>,
    },
    /// Open a saved run (File > Save run, or `--save-run`) to scrub it without training
    /// (window, or --headless PNG / --record).
    Open(OpenArgs),
}

/// `netviz open ...` lives with the registry of labs.
pub use labs::OpenArgs;

/// `netviz mnist ...`
#[derive(Debug, Subcommand)]
pub enum MnistCommand {
    /// Train a model from a config; writes the model and its metrics; prints
    /// `test_accuracy=... macro_precision=... macro_recall=... macro_f1=...` last.
    Train(mnist::TrainArgs),
    /// Evaluate a model on the 10,000 test images and draw a few of them; prints the same
    /// last line as `train`.
    Infer(mnist::InferArgs),
}

/// `netviz bench ...`
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Train a CNN workload on synthetic data; prints `workload=S images_per_sec=N` last.
    Cnn(bench::CnnArgs),
    /// Train the 2-3-1 XOR network; prints `epochs_per_sec=N` last.
    Xor(bench::XorArgs),
    /// Draw N points offscreen; prints `points=N cpu_ms_per_frame=X` last.
    Render(render_bench::RenderArgs),
    /// Drive a lab's dashboard offscreen while it trains; prints the UI thread's CPU time,
    /// `lab=NAME ui_cpu_ms_per_frame=X` last.
    Ui(ui_bench::UiBenchArgs),
    /// Grow a random forest on MNIST pixels; prints
    /// `workload=F fit_seconds=X trees_per_sec=Y test_accuracy=Z` last.
    Forest(forest_bench::ForestBenchArgs),
    /// Train the transformer of workload T; prints `workload=T tokens_per_sec=N` last.
    Attention(attention_bench::AttentionBenchArgs),
}
