//! Bounded reads: the size of a file is known, and checked against a limit, before anything is
//! allocated for it; a file that grows while it is read is cut at the limit and refused.
//! Only regular files are read: `/dev/zero`, a pipe or a folder given where a file belongs is
//! refused with a message that says what it is.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::{FileError, non_regular_kind};

/// Opens `path` for reading if it is a regular file (following links) of at most `limit`
/// bytes; returns it with its size. `what` names the kind of file in messages ("config
/// file").
pub fn open_bounded(path: &Path, limit: u64, what: &'static str) -> Result<(File, u64), FileError> {
    let file = File::open(path).map_err(FileError::io("opening", path))?;
    let meta = file.metadata().map_err(FileError::io("reading", path))?;
    if let Some(kind) = non_regular_kind(&meta) {
        return Err(FileError::NotRegular {
            path: path.to_path_buf(),
            kind,
            what: "it was not read",
        });
    }
    if meta.len() > limit {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            limit,
            what,
        });
    }
    Ok((file, meta.len()))
}

/// Reads at most `limit` bytes of `reader` (a file of `path`); more is an error.
pub fn read_limited(
    reader: impl Read,
    path: &Path,
    capacity: u64,
    limit: u64,
    what: &'static str,
) -> Result<Vec<u8>, FileError> {
    let mut bytes = Vec::with_capacity(capacity.min(limit) as usize);
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(FileError::io("reading", path))?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            limit,
            what,
        });
    }
    Ok(bytes)
}

/// The bytes of the regular file `path`, if it has at most `limit` of them.
pub fn read_bounded(path: &Path, limit: u64, what: &'static str) -> Result<Vec<u8>, FileError> {
    let (file, size) = open_bounded(path, limit, what)?;
    read_limited(file, path, size, limit, what)
}

/// The text of the regular file `path` (UTF-8, a leading byte-order mark removed), if it has
/// at most `limit` bytes.
pub fn read_text_bounded(path: &Path, limit: u64, what: &'static str) -> Result<String, FileError> {
    let bytes = read_bounded(path, limit, what)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        FileError::io("reading", path)(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        ))
    })?;
    Ok(strip_bom(text))
}

/// `text` without a leading UTF-8 byte-order mark (editors on some systems add one).
pub fn strip_bom(text: String) -> String {
    match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_folders_and_large_files_are_refused_before_reading() {
        let dir = std::env::temp_dir().join(format!("netviz-bounded-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let msg =
            |r: Result<Vec<u8>, FileError>| r.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(msg(read_bounded(&dir, 10, "config file")).contains("is a folder"));
        #[cfg(unix)]
        assert!(
            msg(read_bounded(Path::new("/dev/zero"), 10, "config file"))
                .contains("is a character device, not a regular file")
        );
        let file = dir.join("big.json");
        std::fs::write(&file, [b' '; 11]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            msg(read_bounded(&file, 10, "config file")),
            format!(
                "{} has 11 bytes, more than the 10 bytes a config file may have",
                file.display()
            )
        );
        std::fs::write(&file, "\u{feff}{}").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            read_text_bounded(&file, 10, "config file").ok().as_deref(),
            Some("{}")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
