//! Errors of the training core. Every message names the operation and the shapes involved,
//! so a user can tell which layer, file or config field is at fault without a debugger.

use std::path::PathBuf;

/// Result type of the training core.
pub type Result<T> = std::result::Result<T, NnError>;

/// Everything that can go wrong in `nn`.
#[derive(Debug, thiserror::Error)]
pub enum NnError {
    /// Two tensors (or a tensor and a layer) do not fit together.
    #[error("shape mismatch in {op}: {detail}")]
    Shape {
        /// The operation that found the mismatch, e.g. "conv2d".
        op: &'static str,
        /// The shapes involved, e.g. "input (32,1,14,14), weight (8,2,3,3)".
        detail: String,
    },
    /// A model config that cannot be built.
    #[error("invalid model config: {0}")]
    Config(String),
    /// A model file that cannot be read back as the model it claims to be.
    #[error("model file {path}: {detail}", path = path.display())]
    ModelFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// A file that could not be read or written (not a regular file, too large, an I/O error).
    #[error(transparent)]
    File(#[from] crate::files::FileError),
    /// Training produced a non-finite number (usually a learning rate that is too high).
    #[error("non-finite {what} in {op}: training diverged (try a lower learning rate)")]
    NonFinite {
        /// The operation.
        op: &'static str,
        /// What became non-finite ("loss", "gradient").
        what: &'static str,
    },
}

impl NnError {
    /// Shorthand for a shape error.
    pub fn shape(op: &'static str, detail: impl Into<String>) -> Self {
        NnError::Shape {
            op,
            detail: detail.into(),
        }
    }
}

/// Formats a shape as `(32,1,14,14)` for error messages.
pub fn fmt_shape(shape: &[usize]) -> String {
    let parts: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("({})", parts.join(","))
}
