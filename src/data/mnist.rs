//! Finding, downloading and verifying the four MNIST files.
//!
//! Lookup order for the data folder: `--data-dir DIR`, then `NETVIZ_DATA_DIR`, then the user
//! cache folder (`~/.cache/netviz/mnist` on Linux). Each file may be gzip-compressed
//! (`name.gz`) or raw (`name`). Whatever the source, the SHA-256 of the *decompressed* bytes
//! must match [`FILES`]: a mismatching file is reported, removed and fetched again.
//!
//! Every file's size is known ([`MnistFile::size`]): a local file is read only if it is a
//! regular file no larger than that (plus [`GZIP_OVERHEAD_BYTES`] when compressed), it is
//! decompressed to at most that many bytes (a gzip bomb stops there), and a download stops
//! as soon as it exceeds it. Something other than a file where a data file belongs is
//! reported as such, not downloaded over.
//!
//! Downloads try the mirrors in order, stream into memory with progress reports, check the
//! hash, then are written atomically ([`crate::files::write_atomic`]): an interrupted or
//! corrupt download never leaves a file that looks valid.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use flate2::read::GzDecoder;
use sha2::{Digest, Sha256};

use crate::data::DataError;
use crate::data::idx::{self, IdxImages};
use crate::files::bounded::{open_bounded, read_limited};
use crate::files::limits::GZIP_OVERHEAD_BYTES;
use crate::files::{self, FileError};

/// One of the four MNIST files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MnistFile {
    /// File name without `.gz`, e.g. `train-images-idx3-ubyte`.
    pub stem: &'static str,
    /// Short name used in messages, e.g. `train-images`.
    pub short: &'static str,
    /// SHA-256 of the decompressed IDX bytes, lower-case hex.
    pub sha256: &'static str,
    /// Size of the decompressed IDX file in bytes.
    pub size: u64,
}

impl MnistFile {
    /// The most bytes a stored copy (raw, or gzip-compressed) may have.
    pub fn max_stored_bytes(&self) -> u64 {
        self.size + GZIP_OVERHEAD_BYTES
    }
}

/// The largest decompressed MNIST file (the training images), the most [`maybe_gunzip`]
/// produces.
pub const MAX_IDX_BYTES: u64 = 47_040_016;

/// The four files with the hashes of their decompressed bytes.
pub const FILES: [MnistFile; 4] = [
    MnistFile {
        stem: "train-images-idx3-ubyte",
        short: "train-images",
        sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        size: 47_040_016,
    },
    MnistFile {
        stem: "train-labels-idx1-ubyte",
        short: "train-labels",
        sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        size: 60_008,
    },
    MnistFile {
        stem: "t10k-images-idx3-ubyte",
        short: "t10k-images",
        sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        size: 7_840_016,
    },
    MnistFile {
        stem: "t10k-labels-idx1-ubyte",
        short: "t10k-labels",
        sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        size: 10_008,
    },
];

/// Public mirrors, tried in order; each serves `<stem>.gz`.
pub const MIRRORS: [&str; 2] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
];

/// The environment variable naming a data folder.
pub const DATA_DIR_ENV: &str = "NETVIZ_DATA_DIR";

/// The MNIST training and test sets, as parsed from the IDX files.
#[derive(Clone, Debug)]
pub struct Mnist {
    /// 60,000 training images.
    pub train_images: IdxImages,
    /// Their labels.
    pub train_labels: Vec<u8>,
    /// 10,000 test images.
    pub test_images: IdxImages,
    /// Their labels.
    pub test_labels: Vec<u8>,
}

/// Where a data folder came from (for messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirSource {
    /// `--data-dir`.
    Flag,
    /// `NETVIZ_DATA_DIR`.
    Env,
    /// The user cache folder.
    Cache,
}

/// Receives download progress (the CLI draws a progress bar from it).
pub trait Progress {
    /// A download of `what` starts; `total_bytes` if the server said.
    fn start(&mut self, what: &str, total_bytes: Option<u64>);
    /// `bytes` more arrived.
    fn advance(&mut self, bytes: u64);
    /// The current download ended (successfully or not).
    fn finish(&mut self);
    /// A one-line notice ("cached file failed its checksum; fetching it again").
    fn note(&mut self, message: &str);
}

/// A [`Progress`] that reports nothing.
pub struct Quiet;

impl Progress for Quiet {
    fn start(&mut self, _what: &str, _total_bytes: Option<u64>) {}
    fn advance(&mut self, _bytes: u64) {}
    fn finish(&mut self) {}
    fn note(&mut self, _message: &str) {}
}

/// Chooses the data folder: the flag, else `NETVIZ_DATA_DIR`, else the user cache folder.
pub fn resolve_data_dir(flag: Option<&Path>) -> Result<(PathBuf, DirSource), DataError> {
    if let Some(dir) = flag {
        return Ok((dir.to_path_buf(), DirSource::Flag));
    }
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|v| !v.is_empty()) {
        return Ok((PathBuf::from(dir), DirSource::Env));
    }
    let dirs = directories::ProjectDirs::from("", "", "netviz").ok_or(DataError::NoCacheDir)?;
    Ok((dirs.cache_dir().join("mnist"), DirSource::Cache))
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn io_err(action: &'static str, path: &Path, source: std::io::Error) -> DataError {
    DataError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// Decompresses `bytes` if they start with the gzip magic (to at most [`MAX_IDX_BYTES`]);
/// returns them as they are otherwise.
pub fn maybe_gunzip(name: &str, bytes: Vec<u8>) -> Result<Vec<u8>, DataError> {
    gunzip_bounded(name, bytes, MAX_IDX_BYTES)
}

/// [`maybe_gunzip`] producing at most `limit` bytes: more is an error, found after
/// decompressing `limit + 1` bytes, never more.
pub fn gunzip_bounded(name: &str, bytes: Vec<u8>, limit: u64) -> Result<Vec<u8>, DataError> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(bytes);
    }
    let mut out = Vec::with_capacity((bytes.len() as u64 * 4).min(limit) as usize);
    GzDecoder::new(bytes.as_slice())
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| DataError::Format {
            file: name.to_string(),
            detail: format!("corrupt gzip data: {e}"),
        })?;
    if out.len() as u64 > limit {
        return Err(DataError::Format {
            file: name.to_string(),
            detail: format!(
                "decompresses to more than {limit} bytes, more than the file can hold: not an \
                 MNIST file"
            ),
        });
    }
    Ok(out)
}

/// The file for `file` in `dir`, `.gz` preferred, if either exists. Something other than a
/// regular file under either name (a folder, a device) is an error, not a missing file.
pub fn find_file(dir: &Path, file: &MnistFile) -> Result<Option<PathBuf>, DataError> {
    for name in [format!("{}.gz", file.stem), file.stem.to_string()] {
        let path = dir.join(name);
        match fs::metadata(&path) {
            Ok(meta) if meta.is_file() => return Ok(Some(path)),
            Ok(meta) => {
                return Err(FileError::NotRegular {
                    path,
                    kind: files::non_regular_kind(&meta).unwrap_or("not a regular file"),
                    what: "it was not read; move it away to use or download the data file",
                }
                .into());
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_err("checking", &path, e)),
        }
    }
    Ok(None)
}

/// Reads, decompresses and hash-checks a local copy of `file`: a regular file of at most
/// [`MnistFile::max_stored_bytes`], decompressing to exactly [`MnistFile::size`] bytes.
pub fn read_verified(path: &Path, file: &MnistFile) -> Result<Vec<u8>, DataError> {
    let (reader, stored) = open_bounded(path, file.max_stored_bytes(), "copy of this MNIST file")?;
    let bytes = read_limited(
        reader,
        path,
        stored,
        file.max_stored_bytes(),
        "copy of this MNIST file",
    )?;
    let raw = gunzip_bounded(file.short, bytes, file.size)?;
    if raw.len() as u64 != file.size {
        return Err(DataError::Format {
            file: path.display().to_string(),
            detail: format!(
                "{} bytes of data where {} has {}: truncated or not the MNIST file",
                raw.len(),
                file.short,
                file.size
            ),
        });
    }
    let got = sha256_hex(&raw);
    if got != file.sha256 {
        return Err(DataError::Checksum {
            file: path.to_path_buf(),
            expected: file.sha256.to_string(),
            got,
        });
    }
    Ok(raw)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(15)))
        .timeout_recv_response(Some(Duration::from_secs(30)))
        .timeout_per_read(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// Fetches `url` into memory, reporting progress; more than `limit` bytes is an error (found
/// as soon as they arrive, or from the announced length).
fn fetch(
    agent: &ureq::Agent,
    url: &str,
    limit: u64,
    progress: &mut dyn Progress,
) -> Result<Vec<u8>, String> {
    let response = agent.get(url).call().map_err(|e| e.to_string())?;
    let body = response.into_body();
    let total = body.content_length();
    if let Some(total) = total.filter(|&t| t > limit) {
        return Err(format!(
            "the server sends {total} bytes, more than the {limit} the file can have"
        ));
    }
    progress.start(url, total);
    let mut reader = body.into_reader();
    let mut out = Vec::with_capacity(total.unwrap_or(0).min(64 << 20) as usize);
    let mut buf = vec![0u8; 64 * 1024];
    let result = loop {
        match reader.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                progress.advance(n as u64);
                if out.len() as u64 > limit {
                    break Err(format!(
                        "more than the {limit} bytes the file can have; stopped"
                    ));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => break Err(format!("connection failed after {} bytes: {e}", out.len())),
        }
    };
    progress.finish();
    result?;
    if let Some(total) = total
        && out.len() as u64 != total
    {
        return Err(format!("got {} of {total} bytes", out.len()));
    }
    Ok(out)
}

/// Downloads `file` into `dir` from the first mirror that serves a copy with the right hash.
/// Returns the decompressed bytes.
pub fn download(
    dir: &Path,
    file: &MnistFile,
    mirrors: &[&str],
    progress: &mut dyn Progress,
) -> Result<Vec<u8>, DataError> {
    let agent = agent();
    let mut attempts = Vec::new();
    for mirror in mirrors {
        let url = format!("{mirror}{}.gz", file.stem);
        let bytes = match fetch(&agent, &url, file.max_stored_bytes(), progress) {
            Ok(b) => b,
            Err(e) => {
                attempts.push(format!("{url}: {e}"));
                continue;
            }
        };
        // Some servers send .gz files with Content-Encoding: gzip and the client unpacks them.
        let raw = match gunzip_bounded(file.short, bytes.clone(), file.size) {
            Ok(raw) => raw,
            Err(e) => {
                attempts.push(format!("{url}: {e}"));
                continue;
            }
        };
        let got = sha256_hex(&raw);
        if got != file.sha256 {
            attempts.push(format!(
                "{url}: SHA-256 {got} does not match {}",
                file.sha256
            ));
            continue;
        }
        let stored = if bytes.starts_with(&[0x1f, 0x8b]) {
            bytes
        } else {
            raw.clone()
        };
        let name = if stored.starts_with(&[0x1f, 0x8b]) {
            format!("{}.gz", file.stem)
        } else {
            file.stem.to_string()
        };
        files::write_atomic(&dir.join(name), &stored)?;
        return Ok(raw);
    }
    Err(DataError::Unavailable {
        file: file.stem.to_string(),
        dir: dir.to_path_buf(),
        attempts,
    })
}

/// Returns the verified decompressed bytes of `file` from `dir`, downloading it when it is
/// missing. A copy that fails its checksum or is corrupt is removed and fetched again when
/// `repair` is set (the program's own cache folder); otherwise (a folder the user named) it is
/// reported and left alone.
pub fn obtain(
    dir: &Path,
    file: &MnistFile,
    mirrors: &[&str],
    repair: bool,
    progress: &mut dyn Progress,
) -> Result<Vec<u8>, DataError> {
    if let Some(path) = find_file(dir, file)? {
        match read_verified(&path, file) {
            Ok(raw) => return Ok(raw),
            Err(err @ (DataError::Checksum { .. } | DataError::Format { .. })) if repair => {
                progress.note(&format!("{err}; removing it and fetching it again"));
                fs::remove_file(&path).map_err(|e| io_err("removing", &path, e))?;
            }
            Err(other) => return Err(other),
        }
    }
    download(dir, file, mirrors, progress)
}

/// Loads all four files from `dir` (which must exist unless it is the cache folder),
/// downloading what is missing from `mirrors` (pass [`MIRRORS`]; tests pass a local server).
pub fn load(
    dir: &Path,
    source: DirSource,
    mirrors: &[&str],
    progress: &mut dyn Progress,
) -> Result<Mnist, DataError> {
    if !dir.is_dir() {
        let exists = dir.exists();
        if source == DirSource::Cache && !exists {
            fs::create_dir_all(dir).map_err(|e| io_err("creating", dir, e))?;
        } else {
            return Err(DataError::MissingDir {
                dir: dir.to_path_buf(),
                source_name: match source {
                    DirSource::Flag => "--data-dir",
                    DirSource::Env => DATA_DIR_ENV,
                    DirSource::Cache => "the user cache folder",
                },
                problem: if exists {
                    "is not a folder"
                } else {
                    "does not exist"
                },
            });
        }
    }
    let mut raw = Vec::with_capacity(4);
    for file in &FILES {
        raw.push(obtain(
            dir,
            file,
            mirrors,
            source == DirSource::Cache,
            progress,
        )?);
    }
    let train_images = idx::parse_images(FILES[0].short, &raw[0])?;
    let train_labels = idx::parse_labels(FILES[1].short, &raw[1])?;
    let test_images = idx::parse_images(FILES[2].short, &raw[2])?;
    let test_labels = idx::parse_labels(FILES[3].short, &raw[3])?;
    for (images, labels, what) in [
        (&train_images, &train_labels, "train"),
        (&test_images, &test_labels, "t10k"),
    ] {
        if images.count != labels.len() {
            return Err(DataError::Format {
                file: format!("{what}-labels"),
                detail: format!("{} labels for {} images", labels.len(), images.count),
            });
        }
    }
    Ok(Mnist {
        train_images,
        train_labels,
        test_images,
        test_labels,
    })
}
