//! Animations of rendered frames, encoded in pure Rust: an animated GIF (`gif` crate; each
//! frame gets its own 256-color palette from NeuQuant and every pixel the palette color
//! nearest to it), an animated PNG (`png` crate, lossless) or a numbered PNG sequence in a
//! folder (for video tools). Files are written atomically.

use std::path::{Path, PathBuf};

use crate::render::error::RenderError;
use crate::render::target::RgbaImage;

/// How frames are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnimationFormat {
    /// An animated GIF (`.gif`).
    Gif,
    /// An animated PNG (`.png`, `.apng`).
    Apng,
    /// `frame-00001.png`, ... in a folder (a path ending in `/` or an existing folder).
    PngSequence,
}

impl AnimationFormat {
    /// The format `path` asks for, or why it names none.
    pub fn for_path(path: &Path) -> Result<AnimationFormat, String> {
        let text = path.to_string_lossy();
        if text.ends_with('/') || path.is_dir() {
            return Ok(AnimationFormat::PngSequence);
        }
        match path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .as_deref()
        {
            Some("gif") => Ok(AnimationFormat::Gif),
            Some("png" | "apng") => Ok(AnimationFormat::Apng),
            _ => Err(format!(
                "{}: a recording is a .gif, an animated .png (or .apng), or a folder ending in / \
                 for numbered PNGs",
                path.display()
            )),
        }
    }
}

fn err(path: &Path, reason: impl Into<String>) -> RenderError {
    RenderError::Png {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Checks that there are frames and that all have the first one's size.
fn check_frames(path: &Path, frames: &[RgbaImage]) -> Result<(u32, u32), RenderError> {
    let first = frames
        .first()
        .ok_or_else(|| err(path, "no frames to write"))?;
    if let Some(odd) = frames
        .iter()
        .position(|f| (f.width, f.height) != (first.width, first.height))
    {
        return Err(err(
            path,
            format!(
                "frame {odd} is {}x{}, frame 0 {}x{}",
                frames[odd].width, frames[odd].height, first.width, first.height
            ),
        ));
    }
    Ok((first.width, first.height))
}

/// The GIF delay of one frame at `fps`, in hundredths of a second (at least 2: browsers
/// slow down shorter delays).
pub fn gif_delay(fps: f32) -> u16 {
    (100.0 / fps.max(0.01)).round().clamp(2.0, 65_535.0) as u16
}

/// A 256-color palette (RGB triples) for RGBA `pixels` (treated as opaque) and each pixel's
/// index: the palette entry nearest to it (squared RGB distance; the first on a tie).
pub fn quantize(pixels: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let quant = color_quant::NeuQuant::new(10, 256, pixels);
    let palette = quant.color_map_rgb();
    let mut cache: std::collections::HashMap<[u8; 3], u8> = std::collections::HashMap::new();
    let indices = pixels
        .chunks_exact(4)
        .map(|p| {
            let rgb = [p[0], p[1], p[2]];
            *cache.entry(rgb).or_insert_with(|| nearest(&palette, rgb))
        })
        .collect();
    (palette, indices)
}

/// The index of the entry of `palette` (RGB triples) nearest to `rgb`.
pub fn nearest(palette: &[u8], rgb: [u8; 3]) -> u8 {
    let distance = |c: &[u8]| -> u32 {
        c.iter()
            .zip(rgb)
            .map(|(&a, b)| u32::from(a.abs_diff(b)).pow(2))
            .sum()
    };
    let best = palette
        .chunks_exact(3)
        .enumerate()
        .min_by_key(|(i, c)| (distance(c), *i))
        .map_or(0, |(i, _)| i);
    u8::try_from(best).unwrap_or(u8::MAX)
}

/// The frames as an animated GIF looping forever, `fps` frames a second.
pub fn encode_gif(path: &Path, frames: &[RgbaImage], fps: f32) -> Result<Vec<u8>, RenderError> {
    let (w, h) = check_frames(path, frames)?;
    let (w16, h16) = match (u16::try_from(w), u16::try_from(h)) {
        (Ok(w), Ok(h)) => (w, h),
        _ => return Err(err(path, format!("{w}x{h} is larger than a GIF can be"))),
    };
    let mut bytes = Vec::new();
    {
        let mut encoder =
            gif::Encoder::new(&mut bytes, w16, h16, &[]).map_err(|e| err(path, e.to_string()))?;
        encoder
            .set_repeat(gif::Repeat::Infinite)
            .map_err(|e| err(path, e.to_string()))?;
        for image in frames {
            let (palette, indices) = quantize(&image.pixels);
            let mut frame = gif::Frame::from_palette_pixels(w16, h16, indices, palette, None);
            frame.delay = gif_delay(fps);
            encoder
                .write_frame(&frame)
                .map_err(|e| err(path, e.to_string()))?;
        }
    }
    Ok(bytes)
}

/// The frames as an animated PNG looping forever, `fps` frames a second (lossless).
pub fn encode_apng(path: &Path, frames: &[RgbaImage], fps: f32) -> Result<Vec<u8>, RenderError> {
    let (w, h) = check_frames(path, frames)?;
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, w, h);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let count = u32::try_from(frames.len()).map_err(|_| err(path, "too many frames"))?;
        encoder
            .set_animated(count, 0)
            .map_err(|e| err(path, e.to_string()))?;
        // The delay as a fraction: 1000 / (fps * 1000) seconds.
        let den = (fps.clamp(0.01, 1000.0) * 100.0).round() as u16;
        encoder
            .set_frame_delay(100, den.max(1))
            .map_err(|e| err(path, e.to_string()))?;
        let mut writer = encoder
            .write_header()
            .map_err(|e| err(path, e.to_string()))?;
        for image in frames {
            writer
                .write_image_data(&image.pixels)
                .map_err(|e| err(path, e.to_string()))?;
        }
        writer.finish().map_err(|e| err(path, e.to_string()))?;
    }
    Ok(bytes)
}

/// The file of frame `index` (0-based) in a PNG sequence folder: `frame-00001.png` for 0.
pub fn sequence_frame_path(dir: &Path, index: usize) -> PathBuf {
    dir.join(format!("frame-{:05}.png", index + 1))
}

/// Writes `frames` to `path` in the format its name asks for; returns the format.
pub fn write_animation(
    path: &Path,
    frames: &[RgbaImage],
    fps: f32,
) -> Result<AnimationFormat, RenderError> {
    let format = AnimationFormat::for_path(path).map_err(|e| err(path, e))?;
    match format {
        AnimationFormat::Gif => {
            let bytes = encode_gif(path, frames, fps)?;
            crate::files::write_atomic(path, &bytes).map_err(|e| err(path, e.to_string()))?;
        }
        AnimationFormat::Apng => {
            let bytes = encode_apng(path, frames, fps)?;
            crate::files::write_atomic(path, &bytes).map_err(|e| err(path, e.to_string()))?;
        }
        AnimationFormat::PngSequence => {
            check_frames(path, frames)?;
            std::fs::create_dir_all(path).map_err(|e| err(path, e.to_string()))?;
            for (i, frame) in frames.iter().enumerate() {
                frame.save_png(sequence_frame_path(path, i))?;
            }
        }
    }
    Ok(format)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(shade: u8, w: u32, h: u32) -> RgbaImage {
        let mut pixels = Vec::new();
        for y in 0..h {
            for x in 0..w {
                pixels.extend_from_slice(&[shade, (x * 255 / w) as u8, (y * 255 / h) as u8, 255]);
            }
        }
        RgbaImage {
            width: w,
            height: h,
            pixels,
        }
    }

    #[test]
    fn the_format_follows_the_name() {
        assert_eq!(
            AnimationFormat::for_path(Path::new("a.gif")),
            Ok(AnimationFormat::Gif)
        );
        assert_eq!(
            AnimationFormat::for_path(Path::new("a.PNG")),
            Ok(AnimationFormat::Apng)
        );
        assert_eq!(
            AnimationFormat::for_path(Path::new("a.apng")),
            Ok(AnimationFormat::Apng)
        );
        assert_eq!(
            AnimationFormat::for_path(Path::new("frames/")),
            Ok(AnimationFormat::PngSequence)
        );
        assert!(AnimationFormat::for_path(Path::new("a.mp4")).is_err());
        assert_eq!(gif_delay(30.0), 3);
        assert_eq!(gif_delay(1000.0), 2);
    }

    #[test]
    fn an_apng_holds_every_frame_exactly() {
        let frames: Vec<RgbaImage> = (0..3).map(|k| frame(k * 100, 24, 16)).collect();
        let bytes = encode_apng(Path::new("t.png"), &frames, 10.0).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        assert_eq!(reader.info().animation_control().unwrap().num_frames, 3);
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        for f in &frames {
            reader.next_frame(&mut buf).unwrap();
            assert_eq!(&buf[..f.pixels.len()], &f.pixels[..]);
        }
    }

    #[test]
    fn a_gif_holds_every_frame_within_its_palette() {
        let frames: Vec<RgbaImage> = (0..3).map(|k| frame(k * 100, 24, 16)).collect();
        let bytes = encode_gif(Path::new("t.gif"), &frames, 10.0).unwrap();
        let mut options = gif::DecodeOptions::new();
        options.set_color_output(gif::ColorOutput::RGBA);
        let mut decoder = options.read_info(std::io::Cursor::new(bytes)).unwrap();
        for f in &frames {
            let got = decoder.read_next_frame().unwrap().unwrap();
            assert_eq!(got.delay, 10);
            // Every pixel is the palette color nearest to the original.
            let palette = got.palette.clone().unwrap();
            for (g, p) in got.buffer.chunks_exact(4).zip(f.pixels.chunks_exact(4)) {
                let k = usize::from(nearest(&palette, [p[0], p[1], p[2]]));
                assert_eq!(&g[..3], &palette[3 * k..3 * k + 3]);
            }
        }
        assert!(decoder.read_next_frame().unwrap().is_none());
        // Frames of different sizes are refused.
        let odd = [frame(0, 4, 4), frame(0, 5, 4)];
        assert!(encode_gif(Path::new("t.gif"), &odd, 10.0).is_err());
        assert!(encode_apng(Path::new("t.png"), &[], 10.0).is_err());
    }
}
