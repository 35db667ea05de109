//! Finding, downloading and verifying the four MNIST files.
//!
//! Lookup order for the data folder: `--data-dir DIR`, then `NETVIZ_DATA_DIR`, then the user
//! cache folder (`~/.cache/netviz/mnist` on Linux). Each file may be gzip-compressed
//! (`name.gz`) or raw (`name`). Whatever the source, the SHA-256 of the *decompressed* bytes
//! must match [`FILES`]: a mismatching file is reported, removed and fetched again.
//!
//! Downloads try the mirrors in order, stream into memory with progress reports, check the
//! hash, then write a temporary file in the target folder and rename it into place: an
//! interrupted or corrupt download never leaves a file that looks valid.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use flate2::read::GzDecoder;
use sha2::{Digest, Sha256};

use crate::data::DataError;
use crate::data::idx::{self, IdxImages};

/// One of the four MNIST files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MnistFile {
    /// File name without `.gz`, e.g. `train-images-idx3-ubyte`.
    pub stem: &'static str,
    /// Short name used in messages, e.g. `train-images`.
    pub short: &'static str,
    /// SHA-256 of the decompressed IDX bytes, lower-case hex.
    pub sha256: &'static str,
}

/// The four files with the hashes of their decompressed bytes.
pub const FILES: [MnistFile; 4] = [
    MnistFile {
        stem: "train-images-idx3-ubyte",
        short: "train-images",
        sha256: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    },
    MnistFile {
        stem: "train-labels-idx1-ubyte",
        short: "train-labels",
        sha256: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    },
    MnistFile {
        stem: "t10k-images-idx3-ubyte",
        short: "t10k-images",
        sha256: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    },
    MnistFile {
        stem: "t10k-labels-idx1-ubyte",
        short: "t10k-labels",
        sha256: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
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

/// Decompresses `bytes` if they start with the gzip magic; returns them as they are otherwise.
pub fn maybe_gunzip(name: &str, bytes: Vec<u8>) -> Result<Vec<u8>, DataError> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(bytes.len() * 4);
        GzDecoder::new(bytes.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| DataError::Format {
                file: name.to_string(),
                detail: format!("corrupt gzip data: {e}"),
            })?;
        Ok(out)
    } else {
        Ok(bytes)
    }
}

/// The file for `file` in `dir`, `.gz` preferred, if either exists.
pub fn find_file(dir: &Path, file: &MnistFile) -> Option<PathBuf> {
    [format!("{}.gz", file.stem), file.stem.to_string()]
        .into_iter()
        .map(|name| dir.join(name))
        .find(|p| p.is_file())
}

/// Reads, decompresses and hash-checks a local copy of `file`.
pub fn read_verified(path: &Path, file: &MnistFile) -> Result<Vec<u8>, DataError> {
    let bytes = fs::read(path).map_err(|e| io_err("reading", path, e))?;
    let raw = maybe_gunzip(file.short, bytes)?;
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

/// Fetches `url` into memory, reporting progress.
fn fetch(agent: &ureq::Agent, url: &str, progress: &mut dyn Progress) -> Result<Vec<u8>, String> {
    let response = agent.get(url).call().map_err(|e| e.to_string())?;
    let body = response.into_body();
    let total = body.content_length();
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

/// Writes `bytes` to `target` through a temporary file in the same folder and a rename.
pub fn write_atomically(target: &Path, bytes: &[u8]) -> Result<(), DataError> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.partial", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    };
    if let Err(e) = write() {
        let _ = fs::remove_file(&tmp);
        return Err(io_err("writing", &tmp, e));
    }
    fs::rename(&tmp, target).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_err("renaming into", target, e)
    })
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
        let bytes = match fetch(&agent, &url, progress) {
            Ok(b) => b,
            Err(e) => {
                attempts.push(format!("{url}: {e}"));
                continue;
            }
        };
        // Some servers send .gz files with Content-Encoding: gzip and the client unpacks them.
        let raw = match maybe_gunzip(file.short, bytes.clone()) {
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
        write_atomically(&dir.join(name), &stored)?;
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
    if let Some(path) = find_file(dir, file) {
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
        if source == DirSource::Cache {
            fs::create_dir_all(dir).map_err(|e| io_err("creating", dir, e))?;
        } else {
            return Err(DataError::MissingDir {
                dir: dir.to_path_buf(),
                source_name: match source {
                    DirSource::Flag => "--data-dir",
                    _ => DATA_DIR_ENV,
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
