//! Files: the one way the program writes a file and the one way it reads one it did not make.
//!
//! - [`atomic`]: every file the program writes (models, metrics, screenshots, layouts, data
//!   downloads) goes to a temporary file in the target's folder, is synced, and is renamed over
//!   the target; a set of files that belong together (a model and its metrics) is committed
//!   through a small journal so that a folder holds the old set or the new one, never a mix.
//!   Nothing but a regular file is ever replaced.
//! - [`bounded`]: every file read from a path the user gives is checked to be a regular file
//!   of at most a known size before a byte is allocated, and is read with that limit.
//! - [`limits`]: every limit the program enforces, in one table.
//!
//! Nothing here knows what a file holds.

pub mod atomic;
pub mod bounded;
pub mod limits;

use std::path::{Path, PathBuf};

pub use atomic::{AtomicFile, commit_together, recover, write_atomic};
pub use bounded::{read_bounded, read_text_bounded};

/// Why a file could not be read or written. Each message names the file and says what to do
/// about it in one line; the operating system's own words appear once.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The path exists but is not a regular file (a folder, a device, a pipe, a link).
    #[error("{path} is {kind}, not a regular file; {what}", path = path.display())]
    NotRegular {
        /// The path.
        path: PathBuf,
        /// What is there ("a folder", "a character device", ...).
        kind: &'static str,
        /// What was done about it ("nothing was written", "it was not read").
        what: &'static str,
    },
    /// The file is larger than what the program reads of its kind.
    #[error(
        "{path} has {size} bytes, more than the {limit} bytes a {what} may have",
        path = path.display()
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size (or a lower bound when it grew while being read).
        size: u64,
        /// The limit.
        limit: u64,
        /// What kind of file it is meant to be ("config file").
        what: &'static str,
    },
    /// The path has no file name (`/`, `..`).
    #[error("{path} does not name a file", path = path.display())]
    NoFileName {
        /// The path.
        path: PathBuf,
    },
    /// An operating-system failure.
    #[error("{action} {path}: {source}", path = path.display())]
    Io {
        /// What was being done ("reading", "renaming a temporary file onto").
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
}

impl FileError {
    /// An [`Io`](Self::Io) error maker for `map_err`.
    pub(crate) fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.to_path_buf();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }

    /// Whether the error is "no such file".
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }
}

/// What kind of thing `meta` describes, in words (`"a folder"`), if it is not a regular file.
pub fn non_regular_kind(meta: &std::fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a folder");
    }
    if t.is_symlink() {
        return Some("a symbolic link");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_char_device() {
            return Some("a character device");
        }
        if t.is_block_device() {
            return Some("a block device");
        }
        if t.is_fifo() {
            return Some("a named pipe");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}
