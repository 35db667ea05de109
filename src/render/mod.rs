//! The rendering engine: plain scene data in, pixels in a texture out.
//!
//! **Architecture Invariant:** `render` never imports `crate::nn` or anything about neural
//! networks. It draws plain scene data (points, lines, meshes, images, labels) that a lab fills;
//! what those mean is the lab's business.
//!
//! The layers, from the bottom up:
//!
//! - [`context`]: one `wgpu` instance, adapter, device and queue ([`GpuContext`]), headless or
//!   for a window; a missing driver is a [`RenderError::NoAdapter`] with what to install.
//! - [`scene`]: the plain data of one frame ([`Scene`]): no GPU types, cheap to build every
//!   frame. [`SceneCamera`] carries the viewport-independent camera; [`OrbitCamera`] and
//!   [`Camera2d`] turn user input into one.
//! - [`target`]: where a frame goes ([`SceneTexture`]): color (optionally 4x MSAA), depth and
//!   a resolved single-sample texture that egui can show and tests can read back as an
//!   [`RgbaImage`].
//! - [`renderer`]: [`SceneRenderer`] owns one long-lived pipeline set per primitive, each in its
//!   own file with a same-named WGSL shader in `shaders/` ([`points`], [`lines`], [`mesh`],
//!   [`image`]), and reuses its GPU buffers frame to frame.
//! - [`labels`]: text is not drawn by wgpu; [`project_labels`] gives screen positions for the
//!   UI to draw crisp egui text. [`axes`] builds axis lines, ticks and tick labels from plain
//!   scene items.
//! - [`colormap`]: the CPU reference of every colormap, which the image shader mirrors
//!   exactly.
//! - [`bench`]: `netviz bench render`.
//!
//! Colors are `[f32; 4]` display values in 0..=1 (sRGB-encoded, straight alpha), written as is
//! into an `Rgba8Unorm` texture: a color's bytes are `round(c * 255)` (see
//! [`scene::color_to_rgba8`]), which is also what egui-wgpu expects of a native texture.
//! Blending therefore happens on encoded values, as in egui.
//!
//! Shader bind groups follow one scheme: group 0 holds the frame globals ([`frame`]), group 1
//! the draw data of one primitive (an image's texture, say).

pub mod animation;
pub mod axes;
pub mod bench;
pub mod buffer;
pub mod camera;
pub mod camera2d;
pub mod colormap;
pub mod context;
pub mod error;
pub mod frame;
pub mod image;
pub mod labels;
pub mod lines;
pub mod mesh;
pub mod pipeline;
pub mod points;
pub mod projection;
pub mod renderer;
pub mod scene;
pub mod shaders;
pub mod target;

pub use axes::Axes;
pub use camera::OrbitCamera;
pub use camera2d::Camera2d;
pub use colormap::{Colormap, colormap_rgba};
pub use context::GpuContext;
pub use error::RenderError;
pub use labels::{ScreenLabel, project_labels};
pub use projection::{Projection, SceneCamera};
pub use renderer::SceneRenderer;
pub use scene::{Anchor, Image, Label, Line, Mesh, MeshVertex, Point, PointStyle, Scene};
pub use target::{RgbaImage, SceneTexture};

/// The sample count of the deterministic mode used by pixel tests: no MSAA, so every pixel is
/// decided by one sample and tests can name exact colors.
pub const DETERMINISTIC_SAMPLE_COUNT: u32 = 1;

/// The sample count the app uses for on-screen views (4x MSAA).
pub const DEFAULT_SAMPLE_COUNT: u32 = 4;

#[cfg(test)]
mod tests {
    /// The architecture invariant, checked: no file of this module names the training core.
    #[test]
    fn render_never_imports_nn() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/render");
        for entry in std::fs::read_dir(&dir).expect("read src/render") {
            let path = entry.expect("directory entry").path();
            let source = std::fs::read_to_string(&path).expect("read source");
            // Built at run time so this test does not trip over itself.
            let forbidden = [["crate", "::nn"].concat(), ["netviz", "::nn"].concat()];
            let code = source
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"));
            for line in code {
                for name in &forbidden {
                    assert!(!line.contains(name.as_str()), "{}: {line}", path.display());
                }
            }
        }
    }
}
