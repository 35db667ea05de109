//! The IDX file format of MNIST: a big-endian header (magic `0x0000 08 DD`, where `08` means
//! unsigned bytes and `DD` the number of dimensions, then one `u32` per dimension) followed by
//! the values. Images are `idx3` (count, rows, cols), labels `idx1` (count).
//!
//! The parser checks the magic, the dimensions and the length, and names the file and the
//! problem: "t10k-labels: header says 10000 items, file holds 9998".

use crate::data::DataError;

/// A stack of 8-bit grayscale images.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxImages {
    /// Number of images.
    pub count: usize,
    /// Rows per image.
    pub rows: usize,
    /// Columns per image.
    pub cols: usize,
    /// `count * rows * cols` pixels, image after image, row-major.
    pub pixels: Vec<u8>,
}

impl IdxImages {
    /// The pixels of image `i`.
    pub fn image(&self, i: usize) -> &[u8] {
        let n = self.rows * self.cols;
        &self.pixels[i * n..(i + 1) * n]
    }
}

fn bad(name: &str, detail: impl Into<String>) -> DataError {
    DataError::Format {
        file: name.to_string(),
        detail: detail.into(),
    }
}

/// Reads the header of an unsigned-byte IDX file with `dims` dimensions; returns the sizes
/// and the payload.
fn header<'a>(
    name: &str,
    bytes: &'a [u8],
    dims: usize,
) -> Result<(Vec<usize>, &'a [u8]), DataError> {
    let head_len = 4 + 4 * dims;
    if bytes.len() < 4 {
        return Err(bad(
            name,
            format!(
                "file holds {} bytes, too short for an IDX header",
                bytes.len()
            ),
        ));
    }
    let magic = [bytes[0], bytes[1], bytes[2], bytes[3]];
    let want = [0, 0, 0x08, dims as u8];
    if magic != want {
        return Err(bad(
            name,
            format!(
                "wrong magic number {:02x}{:02x}{:02x}{:02x}, expected {:02x}{:02x}{:02x}{:02x} (unsigned-byte IDX with {dims} dimension(s)); is this the right file?",
                magic[0], magic[1], magic[2], magic[3], want[0], want[1], want[2], want[3]
            ),
        ));
    }
    if bytes.len() < head_len {
        return Err(bad(
            name,
            format!("header is truncated ({} of {head_len} bytes)", bytes.len()),
        ));
    }
    let sizes = (0..dims)
        .map(|d| {
            let o = 4 + 4 * d;
            u32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) as usize
        })
        .collect();
    Ok((sizes, &bytes[head_len..]))
}

/// Parses an `idx3-ubyte` image file. `name` labels errors (e.g. "t10k-images").
pub fn parse_images(name: &str, bytes: &[u8]) -> Result<IdxImages, DataError> {
    let (sizes, payload) = header(name, bytes, 3)?;
    let (count, rows, cols) = (sizes[0], sizes[1], sizes[2]);
    if rows == 0 || cols == 0 {
        return Err(bad(name, format!("header says images are {rows}x{cols}")));
    }
    let per_image = rows * cols;
    let want = count
        .checked_mul(per_image)
        .ok_or_else(|| bad(name, "header sizes overflow"))?;
    if payload.len() != want {
        let held = payload.len() as f64 / per_image as f64;
        return Err(bad(
            name,
            format!(
                "header says {count} images of {rows}x{cols} ({want} bytes), file holds {} bytes ({held:.2} images)",
                payload.len()
            ),
        ));
    }
    Ok(IdxImages {
        count,
        rows,
        cols,
        pixels: payload.to_vec(),
    })
}

/// Parses an `idx1-ubyte` label file. `name` labels errors (e.g. "t10k-labels").
pub fn parse_labels(name: &str, bytes: &[u8]) -> Result<Vec<u8>, DataError> {
    let (sizes, payload) = header(name, bytes, 1)?;
    let count = sizes[0];
    if payload.len() != count {
        return Err(bad(
            name,
            format!("header says {count} items, file holds {}", payload.len()),
        ));
    }
    if let Some((i, &l)) = payload.iter().enumerate().find(|&(_, &l)| l > 9) {
        return Err(bad(name, format!("label {i} is {l}, digits are 0..9")));
    }
    Ok(payload.to_vec())
}

/// Encodes images as an `idx3-ubyte` file (for tests and fixtures).
pub fn encode_images(images: &IdxImages) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, 3];
    for d in [images.count, images.rows, images.cols] {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.extend_from_slice(&images.pixels);
    out
}

/// Encodes labels as an `idx1-ubyte` file (for tests and fixtures).
pub fn encode_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, 1];
    out.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    out.extend_from_slice(labels);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images() -> IdxImages {
        IdxImages {
            count: 2,
            rows: 2,
            cols: 3,
            pixels: (0..12).collect(),
        }
    }

    #[test]
    fn round_trips() {
        let img = images();
        assert_eq!(parse_images("x", &encode_images(&img)).unwrap(), img);
        assert_eq!(
            parse_labels("y", &encode_labels(&[1, 2, 3])).unwrap(),
            vec![1, 2, 3]
        );
        assert_eq!(img.image(1), &[6, 7, 8, 9, 10, 11]);
    }

    #[test]
    fn truncated_labels_name_file_and_counts() {
        let mut bytes = encode_labels(&[1; 10000]);
        bytes.truncate(bytes.len() - 2);
        let err = parse_labels("t10k-labels", &bytes).unwrap_err().to_string();
        assert!(
            err.contains("t10k-labels: header says 10000 items, file holds 9998"),
            "{err}"
        );
    }

    #[test]
    fn truncated_images_are_rejected() {
        let mut bytes = encode_images(&images());
        bytes.pop();
        let err = parse_images("train-images", &bytes)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("train-images") && err.contains("2 images of 2x3"),
            "{err}"
        );
        let err = parse_images("train-images", &bytes[..10])
            .unwrap_err()
            .to_string();
        assert!(err.contains("truncated"), "{err}");
    }

    #[test]
    fn wrong_magic_is_rejected() {
        // A label file where images are expected, and garbage.
        let labels = encode_labels(&[1, 2]);
        let err = parse_images("train-images", &labels)
            .unwrap_err()
            .to_string();
        assert!(err.contains("wrong magic number 00000801"), "{err}");
        let err = parse_labels("train-labels", b"\x1f\x8b\x08\x00junk")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("train-labels") && err.contains("magic"),
            "{err}"
        );
    }

    #[test]
    fn labels_above_nine_are_rejected() {
        let err = parse_labels("l", &encode_labels(&[3, 12]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("label 1 is 12"), "{err}");
    }
}
