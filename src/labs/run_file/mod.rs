//! The run file: a lab's run saved to one file (its settings, every recorded moment of its
//! timeline, and its final model) to reopen later with `netviz open FILE` and scrub without
//! training.
//!
//! # Format, version 1
//!
//! | bytes | what |
//! |---|---|
//! | 8 | the magic `NVRUN\r\n\x1a` |
//! | 4 | the format version, `u32` little-endian (1) |
//! | 4 | `H`, the length of the JSON header, `u32` LE |
//! | `H` | the header: `lab` (its name: `xor`, `mnist`, `forest`, `attention`), `settings` (the run's settings as the lab writes them, for people and tools), `steps` (the step of every moment), and `sections`: each `{name, bytes, raw_bytes}` |
//! | ... | each section in the header's order: `bytes` of raw deflate that inflate to `raw_bytes` of postcard |
//! | 32 | SHA-256 of everything before it |
//!
//! Sections: `moments` (a `Vec` of the lab's snapshots; a value several moments share, like
//! a dataset, is written once, see [`shared`]) and, where the lab has one, `model` (its model
//! file's bytes, as `Save model` writes them).
//!
//! Reading checks, in order, before anything is decoded: the file is a regular file under
//! [`RUN_FILE_BYTES`](crate::files::limits::RUN_FILE_BYTES); the magic; the version (a newer
//! one is refused by name); the header; the length the header implies (a shorter file is
//! truncated); the checksum (any changed byte); each section inflates to exactly its
//! `raw_bytes`, at most [`RUN_SECTION_BYTES`](crate::files::limits::RUN_SECTION_BYTES); and
//! the moments decode, belong to the lab and are in order.

pub mod shared;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::files::limits::{RUN_FILE_BYTES, RUN_HEADER_BYTES, RUN_SECTION_BYTES};
use crate::files::{FileError, read_bounded, write_atomic};
use crate::labs::timeline::Moment;

/// The first eight bytes of every run file.
pub const MAGIC: &[u8; 8] = b"NVRUN\r\n\x1a";
/// The format version this program writes and the newest it reads.
pub const VERSION: u32 = 1;
/// The usual extension of a run file.
pub const EXTENSION: &str = "nvrun";

/// Why a run file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum RunFileError {
    /// Reading or writing the file failed.
    #[error(transparent)]
    File(#[from] FileError),
    /// The file is not a run file, or it is damaged.
    #[error("{path} is not a readable netviz run file: {detail}", path = path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// The file was written by a newer netviz.
    #[error(
        "{path} is a run file of format version {found}; this netviz reads version {VERSION} \
         and older; open it with a newer netviz",
        path = path.display()
    )]
    Newer {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u32,
    },
    /// The file holds another lab's run.
    #[error("{path} holds a run of the {found} lab, not of the {wanted} lab", path = path.display())]
    OtherLab {
        /// The file.
        path: PathBuf,
        /// The lab it holds.
        found: String,
        /// The lab that tried to open it.
        wanted: String,
    },
    /// Nothing to save.
    #[error("nothing to save: the run has no recorded moment yet")]
    Empty,
}

/// One section's place in the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionInfo {
    /// `moments` or `model`.
    pub name: String,
    /// Its compressed length in the file.
    pub bytes: u64,
    /// Its length once inflated.
    pub raw_bytes: u64,
}

/// The JSON header of a run file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunHeader {
    /// The lab whose run it is (`xor`).
    pub lab: String,
    /// The run's settings, as the lab writes them.
    pub settings: serde_json::Value,
    /// The step of every moment, oldest first.
    pub steps: Vec<u64>,
    /// The sections, in file order.
    pub sections: Vec<SectionInfo>,
}

/// A run file read and checked, its sections inflated.
#[derive(Debug)]
pub struct RunFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its header.
    pub header: RunHeader,
    sections: Vec<(String, Vec<u8>)>,
}

/// What a lab saves: its name, its settings, its moments, and its model file's bytes.
pub struct RunToSave<'a, S> {
    /// The lab's name (`xor`).
    pub lab: &'a str,
    /// Its settings (written to the header as JSON).
    pub settings: serde_json::Value,
    /// The recorded moments, oldest first.
    pub moments: Vec<Arc<S>>,
    /// The final model, as its model file holds it.
    pub model: Option<Vec<u8>>,
}

impl<S: Serialize + Moment> RunToSave<'_, S> {
    /// The bytes of the run file.
    pub fn encode(&self) -> Result<Vec<u8>, String> {
        if self.moments.is_empty() {
            return Err("no moment to save".into());
        }
        let moments = shared::scope_write(|| postcard::to_stdvec(&self.moments))
            .map_err(|e| format!("encoding the moments: {e}"))?;
        let mut raw: Vec<(&str, &[u8])> = vec![("moments", &moments)];
        if let Some(model) = &self.model {
            raw.push(("model", model));
        }
        let mut sections = Vec::new();
        let mut body = Vec::new();
        for (name, bytes) in raw {
            let mut encoder =
                flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder
                .write_all(bytes)
                .map_err(|e| format!("compressing {name}: {e}"))?;
            let packed = encoder
                .finish()
                .map_err(|e| format!("compressing {name}: {e}"))?;
            sections.push(SectionInfo {
                name: name.to_string(),
                bytes: packed.len() as u64,
                raw_bytes: bytes.len() as u64,
            });
            body.extend_from_slice(&packed);
        }
        let header = RunHeader {
            lab: self.lab.to_string(),
            settings: self.settings.clone(),
            steps: self.moments.iter().map(|m| m.step()).collect(),
            sections,
        };
        let header = serde_json::to_vec(&header).map_err(|e| format!("the header: {e}"))?;
        let mut out = Vec::with_capacity(16 + header.len() + body.len() + 32);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&body);
        let digest = Sha256::digest(&out);
        out.extend_from_slice(&digest);
        Ok(out)
    }

    /// Writes the run file at `path` (atomically: a file already there is replaced only by a
    /// complete new one).
    pub fn save(&self, path: &Path) -> Result<(), RunFileError> {
        if self.moments.is_empty() {
            return Err(RunFileError::Empty);
        }
        let bytes = self.encode().map_err(|detail| RunFileError::Format {
            path: path.to_path_buf(),
            detail,
        })?;
        write_atomic(path, &bytes)?;
        Ok(())
    }
}

impl RunFile {
    /// Reads and checks the run file at `path` (see the module doc for what is checked).
    pub fn read(path: &Path) -> Result<RunFile, RunFileError> {
        let bytes = read_bounded(path, RUN_FILE_BYTES, "run file")?;
        Self::decode(path, &bytes)
    }

    /// Checks and unpacks the bytes of a run file read from `path`.
    pub fn decode(path: &Path, bytes: &[u8]) -> Result<RunFile, RunFileError> {
        let fail = |detail: String| RunFileError::Format {
            path: path.to_path_buf(),
            detail,
        };
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err(fail(
                "it does not start with a run file's magic bytes".into(),
            ));
        }
        if bytes.len() < 16 {
            return Err(fail(format!(
                "truncated: {} bytes, not even a header",
                bytes.len()
            )));
        }
        let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        if version > VERSION {
            return Err(RunFileError::Newer {
                path: path.to_path_buf(),
                found: version,
            });
        }
        if version == 0 {
            return Err(fail("format version 0 does not exist".into()));
        }
        let header_len = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as usize;
        if header_len > RUN_HEADER_BYTES {
            return Err(fail(format!(
                "its header claims {header_len} bytes, more than the {RUN_HEADER_BYTES} a header may have"
            )));
        }
        let header_end = 16 + header_len;
        if bytes.len() < header_end + 32 {
            return Err(fail(format!(
                "truncated: {} bytes, shorter than its {header_len}-byte header",
                bytes.len()
            )));
        }
        let header: RunHeader = serde_json::from_slice(&bytes[16..header_end])
            .map_err(|e| fail(format!("its header is not valid: {e}")))?;
        let body: u64 = header
            .sections
            .iter()
            .try_fold(0u64, |sum, s| sum.checked_add(s.bytes))
            .ok_or_else(|| fail("its sections' lengths overflow".into()))?;
        let expected = (header_end as u64)
            .checked_add(body)
            .and_then(|n| n.checked_add(32))
            .ok_or_else(|| fail("its sections' lengths overflow".into()))?;
        if (bytes.len() as u64) < expected {
            return Err(fail(format!(
                "truncated: {} bytes where its header says {expected}",
                bytes.len()
            )));
        }
        if (bytes.len() as u64) > expected {
            return Err(fail(format!(
                "{} bytes where its header says {expected}: something was appended",
                bytes.len()
            )));
        }
        let sum_at = bytes.len() - 32;
        if Sha256::digest(&bytes[..sum_at]).as_slice() != &bytes[sum_at..] {
            return Err(fail(
                "its checksum does not match: the file was altered or damaged".into(),
            ));
        }
        let mut sections = Vec::new();
        let mut at = header_end;
        for s in &header.sections {
            if s.raw_bytes > RUN_SECTION_BYTES {
                return Err(fail(format!(
                    "section {} claims {} bytes, more than the {RUN_SECTION_BYTES} a section may hold",
                    s.name, s.raw_bytes
                )));
            }
            let end = at + s.bytes as usize;
            let mut raw = Vec::with_capacity(s.raw_bytes as usize);
            flate2::read::DeflateDecoder::new(&bytes[at..end])
                .take(s.raw_bytes + 1)
                .read_to_end(&mut raw)
                .map_err(|e| fail(format!("section {} does not inflate: {e}", s.name)))?;
            if raw.len() as u64 != s.raw_bytes {
                return Err(fail(format!(
                    "section {} inflates to {} bytes, not {}",
                    s.name,
                    raw.len(),
                    s.raw_bytes
                )));
            }
            sections.push((s.name.clone(), raw));
            at = end;
        }
        Ok(RunFile {
            path: path.to_path_buf(),
            header,
            sections,
        })
    }

    /// The lab whose run the file holds.
    pub fn lab(&self) -> &str {
        &self.header.lab
    }

    /// The bytes of section `name`, if the file has it.
    pub fn section(&self, name: &str) -> Option<&[u8]> {
        self.sections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, bytes)| bytes.as_slice())
    }

    /// The model file's bytes the run ended with, if the lab saved one.
    pub fn model(&self) -> Option<&[u8]> {
        self.section("model")
    }

    /// The recorded moments of lab `lab`, checked: they decode, there are as many as the
    /// header lists, each at the step the header gives, in order, all of one run.
    pub fn moments<S: DeserializeOwned + Moment>(
        &self,
        lab: &str,
    ) -> Result<Vec<Arc<S>>, RunFileError> {
        let fail = |detail: String| RunFileError::Format {
            path: self.path.clone(),
            detail,
        };
        if self.header.lab != lab {
            return Err(RunFileError::OtherLab {
                path: self.path.clone(),
                found: self.header.lab.clone(),
                wanted: lab.to_string(),
            });
        }
        let bytes = self
            .section("moments")
            .ok_or_else(|| fail("it has no moments section".into()))?;
        let moments: Vec<Arc<S>> = shared::scope_read(|| postcard::from_bytes(bytes))
            .map_err(|e| fail(format!("its moments do not decode: {e}")))?;
        if moments.is_empty() {
            return Err(fail("it holds no moment".into()));
        }
        let steps: Vec<u64> = moments.iter().map(|m| m.step()).collect();
        if steps != self.header.steps {
            return Err(fail(
                "its moments are not at the steps its header lists".into(),
            ));
        }
        if steps.windows(2).any(|w| w[0] >= w[1]) {
            return Err(fail("its moments are not in order".into()));
        }
        let run = moments[0].run();
        if moments.iter().any(|m| m.run() != run) {
            return Err(fail("its moments belong to more than one run".into()));
        }
        Ok(moments)
    }
}

/// The newest of `moments` read from `run` (an error for none, which
/// [`RunFile::moments`] already refuses).
pub fn last<S>(moments: &[Arc<S>], run: &RunFile) -> Result<Arc<S>, RunFileError> {
    moments.last().cloned().ok_or_else(|| RunFileError::Format {
        path: run.path.clone(),
        detail: "it holds no moment".into(),
    })
}

/// What a lab showing a saved run says when asked to train.
pub const SAVED_RUN_TRAINS_NOT: &str = "a saved run does not train: scrub it with the timeline, or start the lab anew from the Lab menu";

/// What a lab says when its thread refused a command: a saved run does not train (see
/// [`SAVED_RUN_TRAINS_NOT`]); otherwise `lab`'s thread has stopped, which is also printed.
pub fn command_refused(saved_run: bool, lab: &str) -> String {
    if saved_run {
        return SAVED_RUN_TRAINS_NOT.into();
    }
    eprintln!("warning: the {lab} thread has stopped; a command was dropped");
    format!("the {lab} thread has stopped")
}

/// The status bar's word on a lab showing the saved run `path`, if it shows one.
pub fn saved_run_status(path: Option<&Path>) -> Option<String> {
    path.map(|p| format!("saved run {}", p.display()))
}

/// The top of a lab's side panel while it shows the saved run `path`: what it is, and that
/// the training controls below are the run's settings, not to be changed.
pub fn saved_run_ui(ui: &mut egui::Ui, path: Option<&Path>) {
    let Some(path) = path else {
        return;
    };
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    ui.label(egui::RichText::new(format!("Saved run: {name}")).strong());
    ui.label("Nothing trains: drag the timeline to any recorded moment. The settings below are the run's.");
    ui.add_space(6.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Snap {
        step: u64,
        loss: f32,
        #[serde(with = "shared")]
        data: Arc<Vec<u8>>,
    }

    impl Moment for Snap {
        fn step(&self) -> u64 {
            self.step
        }
        fn loss(&self) -> Option<f32> {
            Some(self.loss)
        }
        fn heap_bytes(&self) -> usize {
            8
        }
        fn run(&self) -> u64 {
            0
        }
    }

    fn run() -> RunToSave<'static, Snap> {
        let data = Arc::new(vec![7u8; 5000]);
        RunToSave {
            lab: "test",
            settings: serde_json::json!({"seed": 3}),
            moments: (0..10)
                .map(|i| {
                    Arc::new(Snap {
                        step: i * 10,
                        loss: 1.0 / (i as f32 + 1.0),
                        data: Arc::clone(&data),
                    })
                })
                .collect(),
            model: Some(vec![1, 2, 3]),
        }
    }

    #[test]
    fn a_run_reads_back_as_it_was_written_with_shared_values_once() {
        let bytes = run().encode().unwrap();
        let file = RunFile::decode(Path::new("r.nvrun"), &bytes).unwrap();
        let moments: Vec<Arc<Snap>> = file.moments("test").unwrap();
        assert_eq!(moments.len(), 10);
        for (a, b) in moments.iter().zip(&run().moments) {
            assert_eq!(**a, **b);
        }
        // Shared once: every moment points at the same vector.
        assert!(
            moments
                .iter()
                .all(|m| Arc::ptr_eq(&m.data, &moments[0].data))
        );
        let moments_section = &file.header.sections[0];
        assert!(
            moments_section.raw_bytes < 5000 + 10 * 100,
            "{moments_section:?}"
        );
        assert_eq!(file.model(), Some(&[1u8, 2, 3][..]));
        assert_eq!(
            file.header.steps,
            (0..10).map(|i| i * 10).collect::<Vec<_>>()
        );
        assert!(matches!(
            file.moments::<Snap>("xor"),
            Err(RunFileError::OtherLab { .. })
        ));
    }

    #[test]
    fn truncated_altered_newer_and_foreign_files_are_refused() {
        let bytes = run().encode().unwrap();
        let path = Path::new("r.nvrun");
        for cut in [0, 5, 12, 20, 100, bytes.len() / 2, bytes.len() - 1] {
            let e = RunFile::decode(path, &bytes[..cut])
                .unwrap_err()
                .to_string();
            assert!(
                e.contains("truncated") || e.contains("magic") || e.contains("header"),
                "{cut}: {e}"
            );
        }
        for at in [20, bytes.len() / 2, bytes.len() - 40, bytes.len() - 1] {
            let mut altered = bytes.clone();
            altered[at] ^= 0x10;
            let e = RunFile::decode(path, &altered).unwrap_err().to_string();
            assert!(e.contains("checksum") || e.contains("header"), "{at}: {e}");
        }
        let mut newer = bytes.clone();
        newer[8] = 2;
        let e = RunFile::decode(path, &newer).unwrap_err().to_string();
        assert!(e.contains("format version 2") && e.contains("newer"), "{e}");
        let mut longer = bytes.clone();
        longer.push(0);
        let e = RunFile::decode(path, &longer).unwrap_err().to_string();
        assert!(e.contains("appended"), "{e}");
        let e = RunFile::decode(path, b"PK\x03\x04 not a run file at all")
            .unwrap_err()
            .to_string();
        assert!(e.contains("magic"), "{e}");
    }

    #[test]
    fn a_file_whose_checksum_was_recomputed_still_has_its_sections_checked() {
        // An altered section with a matching checksum (a hostile file) is refused by the
        // section checks, not trusted.
        let mut bytes = run().encode().unwrap();
        let header_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
        let at = 16 + header_len + 2;
        bytes[at] ^= 0xff;
        let n = bytes.len() - 32;
        let digest = Sha256::digest(&bytes[..n]);
        bytes[n..].copy_from_slice(&digest);
        let result = RunFile::decode(Path::new("r.nvrun"), &bytes)
            .and_then(|f| f.moments::<Snap>("test").map(|_| ()));
        assert!(result.is_err());
    }
}
