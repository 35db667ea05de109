//! The renderer's one error type: every message says what failed and with which values.

use std::path::PathBuf;

/// What can go wrong while setting up the GPU, drawing a scene or saving a picture.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// No adapter (driver) was found for the enabled backends.
    #[error(
        "no GPU adapter found; on Linux install a Vulkan driver, e.g. Debian's mesa-vulkan-drivers{hint}"
    )]
    NoAdapter {
        /// Extra context (e.g. a `WGPU_BACKEND` that narrows the search), empty or starting
        /// with a space.
        hint: String,
    },
    /// The adapter refused to open a device.
    #[error("could not open a device on the GPU adapter {adapter}: {source}")]
    RequestDevice {
        /// The adapter's name and backend.
        adapter: String,
        /// wgpu's reason.
        source: wgpu::RequestDeviceError,
    },
    /// A scene item is malformed (an index out of range, a value count that does not match).
    #[error("invalid scene: {0}")]
    InvalidScene(String),
    /// The renderer and the target disagree on format or sample count.
    #[error(
        "the scene renderer draws {renderer_format:?} with {renderer_samples} sample(s) but the target is {target_format:?} with {target_samples} sample(s)"
    )]
    TargetMismatch {
        /// The renderer's color format.
        renderer_format: wgpu::TextureFormat,
        /// The renderer's sample count.
        renderer_samples: u32,
        /// The target's color format.
        target_format: wgpu::TextureFormat,
        /// The target's sample count.
        target_samples: u32,
    },
    /// Reading the texture back from the GPU failed.
    #[error("reading back a {width}x{height} texture failed: {reason}")]
    Readback {
        /// Texture width in pixels.
        width: u32,
        /// Texture height in pixels.
        height: u32,
        /// What went wrong.
        reason: String,
    },
    /// Writing a PNG failed.
    #[error("writing the PNG {path} failed: {reason}")]
    Png {
        /// Where it was to go.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}
