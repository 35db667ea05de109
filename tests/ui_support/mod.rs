//! Shared helpers of the app shell tests: PNG decoding, scratch folders and a paused gallery.

#![allow(dead_code)]

use std::io::BufReader;
use std::path::{Path, PathBuf};

use netviz::labs::gallery::world::Settings;
use netviz::labs::gallery::{GalleryLab, GalleryOptions};
use netviz::render::RgbaImage;

/// Decodes an 8-bit RGBA PNG.
pub fn read_png(path: &Path) -> RgbaImage {
    let file =
        std::fs::File::open(path).unwrap_or_else(|err| panic!("opening {}: {err}", path.display()));
    let mut reader = png::Decoder::new(BufReader::new(file))
        .read_info()
        .unwrap_or_else(|err| panic!("reading {}: {err}", path.display()));
    let size = reader
        .output_buffer_size()
        .expect("PNG size fits in memory");
    let mut pixels = vec![0; size];
    let info = reader.next_frame(&mut pixels).expect("PNG frame");
    assert_eq!(info.color_type, png::ColorType::Rgba, "{}", path.display());
    assert_eq!(info.bit_depth, png::BitDepth::Eight, "{}", path.display());
    pixels.truncate(info.buffer_size());
    RgbaImage {
        width: info.width,
        height: info.height,
        pixels,
    }
}

/// A fresh, empty folder under the system's temp folder, unique to this test.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netviz-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch folder");
    dir
}

/// A gallery that starts paused at step 0 with a small cloud, so its pictures are fixed.
pub fn paused_gallery() -> GalleryLab {
    GalleryLab::new(GalleryOptions {
        seed: 1,
        settings: Settings {
            point_count: 300,
            paused: true,
            ..Settings::default()
        },
        warmup_ticks: 0,
    })
    .expect("start the gallery thread")
}
