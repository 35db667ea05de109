//! Where a frame goes: [`SceneTexture`] holds the color (optionally 4x MSAA), depth and
//! resolved textures of one view, and reads the result back as an [`RgbaImage`].
//!
//! Format: `Rgba8Unorm` ([`COLOR_FORMAT`]), not an sRGB format: color values are stored as
//! written (`round(c * 255)`), so a flat color or a colormap entry comes back as the exact
//! bytes, and egui-wgpu (which wants `Rgba8Unorm` for `register_native_texture` and treats
//! texels as display values) shows the view as rendered.

use std::path::Path;

use crate::render::context::GpuContext;
use crate::render::error::RenderError;

/// Color format of scene textures.
pub const COLOR_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;
/// Depth format of scene textures.
pub const DEPTH_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Depth32Float;

/// `wanted` if `gpu`'s adapter can multisample `format` (and the depth buffer) that many
/// times, else 1.
pub fn sample_count_for(gpu: &GpuContext, format: wgpu::TextureFormat, wanted: u32) -> u32 {
    let supported = |format| {
        gpu.adapter
            .get_texture_format_features(format)
            .flags
            .sample_count_supported(wanted)
    };
    if supported(format) && supported(DEPTH_FORMAT) {
        wanted
    } else {
        1
    }
}

/// The textures one view renders into.
#[derive(Debug)]
pub struct SceneTexture {
    width: u32,
    height: u32,
    sample_count: u32,
    generation: u64,
    /// The multisampled color texture (only with `sample_count > 1`).
    msaa_view: Option<wgpu::TextureView>,
    resolved: wgpu::Texture,
    resolved_view: wgpu::TextureView,
    depth_view: wgpu::TextureView,
}

impl SceneTexture {
    /// Textures of `width x height` pixels (0 counts as 1) with `sample_count` samples
    /// (1: the deterministic mode; 4: MSAA, resolved into the single-sample texture).
    pub fn new(device: &wgpu::Device, width: u32, height: u32, sample_count: u32) -> Self {
        let (width, height) = (width.max(1), height.max(1));
        let size = wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        };
        let texture = |label, format, samples, usage| {
            device.create_texture(&wgpu::TextureDescriptor {
                label: Some(label),
                size,
                mip_level_count: 1,
                sample_count: samples,
                dimension: wgpu::TextureDimension::D2,
                format,
                usage,
                view_formats: &[],
            })
        };
        let resolved = texture(
            "scene color (resolved)",
            COLOR_FORMAT,
            1,
            wgpu::TextureUsages::RENDER_ATTACHMENT
                | wgpu::TextureUsages::TEXTURE_BINDING
                | wgpu::TextureUsages::COPY_SRC,
        );
        let msaa_view = (sample_count > 1).then(|| {
            texture(
                "scene color (multisampled)",
                COLOR_FORMAT,
                sample_count,
                wgpu::TextureUsages::RENDER_ATTACHMENT,
            )
            .create_view(&wgpu::TextureViewDescriptor::default())
        });
        let depth = texture(
            "scene depth",
            DEPTH_FORMAT,
            sample_count,
            wgpu::TextureUsages::RENDER_ATTACHMENT,
        );
        Self {
            width,
            height,
            sample_count,
            generation: 0,
            msaa_view,
            resolved_view: resolved.create_view(&wgpu::TextureViewDescriptor::default()),
            resolved,
            depth_view: depth.create_view(&wgpu::TextureViewDescriptor::default()),
        }
    }

    /// Reallocates for a new size (0 counts as 1, so minimized windows are fine); does nothing
    /// when the size is unchanged. Returns whether the textures changed, in which case a UI
    /// must register the new [`view`](Self::view) with egui again.
    pub fn resize(&mut self, device: &wgpu::Device, width: u32, height: u32) -> bool {
        if (width.max(1), height.max(1)) == (self.width, self.height) {
            return false;
        }
        let generation = self.generation + 1;
        *self = Self::new(device, width, height, self.sample_count);
        self.generation = generation;
        true
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Samples per pixel of the color and depth attachments.
    pub fn sample_count(&self) -> u32 {
        self.sample_count
    }

    /// The color format ([`COLOR_FORMAT`]).
    pub fn format(&self) -> wgpu::TextureFormat {
        COLOR_FORMAT
    }

    /// Counts reallocations (starts at 0, +1 per effective [`resize`](Self::resize)).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The resolved single-sample texture (`TEXTURE_BINDING | COPY_SRC | RENDER_ATTACHMENT`).
    pub fn texture(&self) -> &wgpu::Texture {
        &self.resolved
    }

    /// A view of the resolved texture: what egui shows
    /// (`egui_wgpu::Renderer::register_native_texture`).
    pub fn view(&self) -> &wgpu::TextureView {
        &self.resolved_view
    }

    /// The color attachment of a pass drawing into this target, cleared to `clear`.
    pub fn color_attachment(&self, clear: wgpu::Color) -> wgpu::RenderPassColorAttachment<'_> {
        let (view, resolve_target) = match &self.msaa_view {
            Some(msaa) => (msaa, Some(&self.resolved_view)),
            None => (&self.resolved_view, None),
        };
        wgpu::RenderPassColorAttachment {
            view,
            depth_slice: None,
            resolve_target,
            ops: wgpu::Operations {
                load: wgpu::LoadOp::Clear(clear),
                store: wgpu::StoreOp::Store,
            },
        }
    }

    /// The depth attachment, cleared to the far plane and not kept after the pass.
    pub fn depth_attachment(&self) -> wgpu::RenderPassDepthStencilAttachment<'_> {
        wgpu::RenderPassDepthStencilAttachment {
            view: &self.depth_view,
            depth_ops: Some(wgpu::Operations {
                load: wgpu::LoadOp::Clear(1.0),
                store: wgpu::StoreOp::Discard,
            }),
            stencil_ops: None,
        }
    }

    /// Copies the resolved texture to the CPU (rows padded to 256 bytes on the GPU side,
    /// unpadded here) and waits for it.
    pub fn read_rgba(&self, ctx: &GpuContext) -> Result<RgbaImage, RenderError> {
        self.read_rgba_with(&ctx.device, &ctx.queue)
    }

    /// [`read_rgba`](Self::read_rgba) with a bare device and queue (e.g. egui-wgpu's).
    pub fn read_rgba_with(
        &self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
    ) -> Result<RgbaImage, RenderError> {
        read_texture_rgba(device, queue, &self.resolved, self.width, self.height)
    }
}

/// Bytes per row of a `width`-pixel RGBA8 row in a copy buffer: a multiple of 256.
pub fn padded_bytes_per_row(width: u32) -> u32 {
    let unpadded = width * 4;
    unpadded.div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT) * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT
}

/// Reads a single-sample RGBA8 texture with `COPY_SRC` back to the CPU.
pub fn read_texture_rgba(
    device: &wgpu::Device,
    queue: &wgpu::Queue,
    texture: &wgpu::Texture,
    width: u32,
    height: u32,
) -> Result<RgbaImage, RenderError> {
    let failed = |reason: String| RenderError::Readback {
        width,
        height,
        reason,
    };
    let padded = padded_bytes_per_row(width);
    let buffer = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("readback"),
        size: u64::from(padded) * u64::from(height),
        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
        mapped_at_creation: false,
    });
    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
        label: Some("readback"),
    });
    encoder.copy_texture_to_buffer(
        texture.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &buffer,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(padded),
                rows_per_image: Some(height),
            },
        },
        wgpu::Extent3d {
            width,
            height,
            depth_or_array_layers: 1,
        },
    );
    let submission = queue.submit([encoder.finish()]);
    let (sender, receiver) = std::sync::mpsc::channel();
    buffer.map_async(wgpu::MapMode::Read, .., move |result| {
        // The receiver outlives the poll below; a failed send cannot happen.
        let _ = sender.send(result);
    });
    device
        .poll(wgpu::PollType::Wait {
            submission_index: Some(submission),
            timeout: None,
        })
        .map_err(|err| failed(format!("waiting for the GPU: {err}")))?;
    receiver
        .recv()
        .map_err(|err| failed(format!("the map callback never ran: {err}")))?
        .map_err(|err| failed(format!("mapping the buffer: {err}")))?;
    let row_bytes = width as usize * 4;
    let mut pixels = Vec::with_capacity(row_bytes * height as usize);
    {
        let mapped = buffer
            .get_mapped_range(..)
            .map_err(|err| failed(format!("reading the mapped buffer: {err}")))?;
        for row in mapped.chunks_exact(padded as usize) {
            pixels.extend_from_slice(&row[..row_bytes]);
        }
    }
    buffer.unmap();
    Ok(RgbaImage {
        width,
        height,
        pixels,
    })
}

/// An 8-bit RGBA picture on the CPU, rows top to bottom with no padding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RgbaImage {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// `width * height * 4` bytes, row-major from the top-left.
    pub pixels: Vec<u8>,
}

impl RgbaImage {
    /// The pixels from `min_px` to `max_px` (corners in pixels, clamped to the image).
    pub fn crop(&self, min_px: [f32; 2], max_px: [f32; 2]) -> RgbaImage {
        let x0 = (min_px[0].max(0.0) as u32).min(self.width);
        let y0 = (min_px[1].max(0.0) as u32).min(self.height);
        let x1 = (max_px[0].max(0.0) as u32).clamp(x0, self.width);
        let y1 = (max_px[1].max(0.0) as u32).clamp(y0, self.height);
        let (w, h) = (x1 - x0, y1 - y0);
        let mut pixels = Vec::with_capacity((w * h * 4) as usize);
        for y in y0..y1 {
            let start = ((y * self.width + x0) * 4) as usize;
            pixels.extend_from_slice(&self.pixels[start..start + (w * 4) as usize]);
        }
        RgbaImage {
            width: w,
            height: h,
            pixels,
        }
    }

    /// The pixel at column `x`, row `y` (from the top); panics outside the image.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        assert!(
            x < self.width && y < self.height,
            "pixel ({x}, {y}) is outside a {}x{} image",
            self.width,
            self.height
        );
        let at = (y as usize * self.width as usize + x as usize) * 4;
        [
            self.pixels[at],
            self.pixels[at + 1],
            self.pixels[at + 2],
            self.pixels[at + 3],
        ]
    }

    /// Writes the picture as an 8-bit RGBA PNG, atomically (a full disk leaves any earlier
    /// file of that name as it was).
    pub fn save_png(&self, path: impl AsRef<Path>) -> Result<(), RenderError> {
        let path = path.as_ref();
        let failed = |reason: String| RenderError::Png {
            path: path.to_path_buf(),
            reason,
        };
        let mut bytes = Vec::new();
        self.encode_png(&mut bytes).map_err(failed)?;
        crate::files::write_atomic(path, &bytes).map_err(|err| RenderError::Png {
            path: path.to_path_buf(),
            reason: err.to_string(),
        })
    }

    /// Encodes the picture as an 8-bit RGBA PNG into `out`.
    fn encode_png(&self, out: &mut Vec<u8>) -> Result<(), String> {
        let failed = |err: png::EncodingError| err.to_string();
        let mut encoder = png::Encoder::new(out, self.width, self.height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(failed)?;
        writer.write_image_data(&self.pixels).map_err(failed)?;
        writer.finish().map_err(failed)
    }
}
