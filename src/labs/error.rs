//! [`LabError`]: why a lab could not start.

use crate::nn::NnError;
use crate::train::TrainError;

/// Why a lab could not start: its model or training could not be set up, or its thread could
/// not be started.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// The network or config is unusable.
    #[error(transparent)]
    Nn(#[from] NnError),
    /// Training could not be set up (data, config).
    #[error(transparent)]
    Train(#[from] TrainError),
    /// The lab's settings cannot be used (they say why).
    #[error("cannot start the {lab} lab: {detail}")]
    Start {
        /// The lab.
        lab: &'static str,
        /// What is wrong.
        detail: String,
    },
    /// A saved run could not be read.
    #[error(transparent)]
    RunFile(#[from] crate::labs::run_file::RunFileError),
    /// The operating system refused a new thread.
    #[error("cannot start the {lab} lab's thread: {source}")]
    Thread {
        /// The lab.
        lab: &'static str,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
}
