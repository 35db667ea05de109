//! `netviz mnist [train|infer]`: the MNIST lab in a window or headless ([`lab`]), and the
//! terminal front of [`netviz::train`]. Loads the data
//! (lookup, verified download with a progress bar), drives the trainer batch by batch with an
//! `indicatif` bar per epoch and a summary line after it ([`train`]), or evaluates a model and
//! draws digits ([`infer`]). Both commands end with the line
//! `test_accuracy=0.9871 macro_precision=0.9870 macro_recall=0.9869 macro_f1=0.9870`.

mod infer;
pub mod lab;
mod train;

pub use infer::{InferArgs, infer};
pub use lab::LabArgs;
pub use train::{TrainArgs, train};

use std::path::Path;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use netviz::data::mnist::{self, DirSource, MIRRORS, Mnist, Progress};
use netviz::nn::metrics::Metrics;
use netviz::train::Evaluation;

/// The default config (`assets/configs/default_cnn.json`), built in.
pub const DEFAULT_CONFIG: &str = include_str!("../../../assets/configs/default_cnn.json");

/// The model `infer` evaluates when none is named.
pub const DEFAULT_MODEL: &str = "assets/models/default_mnist_cnn.safetensors";

/// The machine-readable last line of `train` and `infer`.
pub fn result_line(m: &Metrics) -> String {
    format!(
        "test_accuracy={:.4} macro_precision={:.4} macro_recall={:.4} macro_f1={:.4}",
        m.accuracy, m.macro_precision, m.macro_recall, m.macro_f1
    )
}

/// A loss with four decimals, or in scientific notation when it is huge.
fn fmt_loss(loss: f64) -> String {
    if loss.abs() < 1e4 {
        format!("{loss:.4}")
    } else {
        format!("{loss:.3e}")
    }
}

fn print_test_summary(eval: &Evaluation) {
    let m = &eval.metrics;
    println!(
        "test set ({} images): loss {}  accuracy {:.4}  macro precision {:.4}  macro recall \
         {:.4}  macro F1 {:.4}",
        m.total,
        fmt_loss(eval.loss),
        m.accuracy,
        m.macro_precision,
        m.macro_recall,
        m.macro_f1
    );
}

fn bar_style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

/// Finds (or downloads) and loads MNIST; returns it with a description of where it came from.
pub(crate) fn load_mnist(flag: Option<&Path>) -> Result<(Mnist, String)> {
    let (dir, source) = mnist::resolve_data_dir(flag)?;
    let mut progress = DownloadBar::default();
    let data = mnist::load(&dir, source, &MIRRORS, &mut progress)
        .with_context(|| format!("loading MNIST from {}", dir.display()))?;
    let from = match source {
        DirSource::Flag => "--data-dir",
        DirSource::Env => mnist::DATA_DIR_ENV,
        DirSource::Cache => "the cache folder",
    };
    Ok((data, format!("{} ({from})", dir.display())))
}

/// A download progress bar.
#[derive(Default)]
struct DownloadBar {
    bar: Option<ProgressBar>,
}

impl Progress for DownloadBar {
    fn start(&mut self, what: &str, total_bytes: Option<u64>) {
        let bar = match total_bytes {
            Some(total) => ProgressBar::new(total).with_style(bar_style(
                "{msg} [{bar:28}] {bytes}/{total_bytes} {bytes_per_sec}",
            )),
            None => ProgressBar::new_spinner()
                .with_style(bar_style("{msg} {spinner} {bytes} {bytes_per_sec}")),
        };
        bar.set_message(format!("downloading {what}"));
        self.bar = Some(bar);
    }

    fn advance(&mut self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    fn note(&mut self, message: &str) {
        eprintln!("{message}");
    }
}
