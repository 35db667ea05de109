//! Datasets: MNIST (IDX parsing, lookup, verified download, the original preprocessing) and
//! the two-class datasets in the plane (`plane`: xor, circles, gaussians, spiral, moons).
//! Pure CPU code, independent of rendering.

pub mod idx;
pub mod mnist;
pub mod plane;
pub mod preprocess;
pub mod tasks;

use std::path::PathBuf;

/// Everything that can go wrong while getting data.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file's contents are not what its format says.
    #[error("{file}: {detail}")]
    Format {
        /// Short name of the file, e.g. "t10k-labels".
        file: String,
        /// The problem.
        detail: String,
    },
    /// A file's decompressed bytes do not have the published SHA-256.
    #[error("{file}: SHA-256 of the decompressed bytes is {got}, expected {expected}", file = file.display())]
    Checksum {
        /// The file.
        file: PathBuf,
        /// The published hash.
        expected: String,
        /// What the file hashes to.
        got: String,
    },
    /// A file is missing and no mirror could provide it.
    #[error(
        "MNIST file {file} is not in {dir} and could not be downloaded ({attempts}). Put the four MNIST files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte; .gz or raw) in {dir}, or point --data-dir or NETVIZ_DATA_DIR at a folder holding them",
        dir = dir.display(),
        attempts = if attempts.is_empty() { "no mirror to try".to_string() } else { attempts.join("; ") }
    )]
    Unavailable {
        /// The file's stem.
        file: String,
        /// The data folder.
        dir: PathBuf,
        /// One line per mirror tried.
        attempts: Vec<String>,
    },
    /// A data folder named by the user does not exist, or is not a folder.
    #[error("data folder {dir} (from {source_name}) {problem}", dir = dir.display())]
    MissingDir {
        /// The folder.
        dir: PathBuf,
        /// "--data-dir" or "NETVIZ_DATA_DIR".
        source_name: &'static str,
        /// "does not exist", "is a file, not a folder".
        problem: &'static str,
    },
    /// A file could not be read or written (not a regular file, too large, an I/O error).
    #[error(transparent)]
    File(#[from] crate::files::FileError),
    /// The platform has no user cache folder.
    #[error("no user cache folder on this system; pass --data-dir or set NETVIZ_DATA_DIR")]
    NoCacheDir,
    /// An I/O failure on a file.
    #[error("{action} {path}: {source}", path = path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Preprocessing settings that cannot be applied.
    #[error("preprocessing: {0}")]
    Preprocess(String),
}
