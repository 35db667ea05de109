//! Errors of the random forest: a config or a table that cannot be used, a fit that was
//! stopped, and forest files that cannot be read back. Each message is one line; a file's
//! message names the file and the problem (`forest file run.forest: checksum mismatch ...`).

use std::path::PathBuf;

/// Everything that can go wrong in `forest`.
#[derive(Debug, thiserror::Error)]
pub enum ForestError {
    /// A setting out of range (`trees must be at least 1`).
    #[error("invalid forest setting: {0}")]
    Config(String),
    /// A table that cannot be trained on or scored (sizes that disagree, a label out of
    /// range, a non-finite value).
    #[error("invalid forest data: {0}")]
    Data(String),
    /// The stop flag was raised before every tree was grown; no forest is returned.
    #[error("stopped before the forest was complete")]
    Stopped,
    /// A file that could not be read or written (not a regular file, too large, an I/O error).
    #[error(transparent)]
    File(#[from] crate::files::FileError),
    /// Bytes that are not a forest [`Forest::decode`](super::Forest::decode) can accept (no
    /// file involved).
    #[error("forest data: {0}")]
    Decode(String),
    /// A forest file that cannot be read back as the forest it claims to be.
    #[error("forest file {path}: {detail}", path = path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
}
