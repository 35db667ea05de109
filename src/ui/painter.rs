//! The GPU side of a dashboard frame, shared by the window, the window's screenshots and the
//! headless path: render each scene panel into its own texture, then paint egui (which shows
//! those textures as images) into any target view.
//!
//! Every scene panel owns a [`SceneTexture`] registered with egui-wgpu under a stable
//! [`egui::TextureId`]; when the panel's size changes the texture is reallocated and the same
//! id is pointed at the new view, so the layout code never waits for the GPU.

use egui::{ClippedPrimitive, TexturesDelta};
use egui_wgpu::wgpu;

use crate::render::{
    DEFAULT_SAMPLE_COUNT, GpuContext, RenderError, RgbaImage, SceneRenderer, SceneTexture,
    target::{COLOR_FORMAT, read_texture_rgba},
};
use crate::ui::dashboard::Dashboard;
use crate::ui::panels::SceneJob;

/// One tessellated egui frame, ready to paint.
pub struct PaintFrame {
    /// egui's triangles.
    pub primitives: Vec<ClippedPrimitive>,
    /// Textures to upload before painting and free after.
    pub textures_delta: TexturesDelta,
    /// Target size in physical pixels.
    pub size_px: [u32; 2],
    /// Physical pixels per point.
    pub pixels_per_point: f32,
}

/// The scene texture of one panel and the egui id showing it.
struct PanelTarget {
    texture: SceneTexture,
    id: egui::TextureId,
}

/// Long-lived renderers (egui and scenes) and the panels' scene textures.
pub struct FramePainter {
    egui: egui_wgpu::Renderer,
    scenes: SceneRenderer,
    sample_count: u32,
    targets: Vec<PanelTarget>,
    output_format: wgpu::TextureFormat,
}

impl FramePainter {
    /// Renderers for frames painted into `output_format` targets (a non-sRGB format, as
    /// egui-wgpu expects: `Bgra8Unorm` for most window surfaces, `Rgba8Unorm` offscreen).
    pub fn new(gpu: &GpuContext, output_format: wgpu::TextureFormat) -> Self {
        let options = egui_wgpu::RendererOptions {
            // Dithering would add noise to gradients; off, so the window and headless PNGs are
            // the same pixels.
            dithering: false,
            ..egui_wgpu::RendererOptions::default()
        };
        let sample_count = gpu.sample_count_for(COLOR_FORMAT, DEFAULT_SAMPLE_COUNT);
        Self {
            egui: egui_wgpu::Renderer::new(&gpu.device, output_format, options),
            scenes: SceneRenderer::new(&gpu.device, COLOR_FORMAT, sample_count),
            sample_count,
            targets: Vec::new(),
            output_format,
        }
    }

    /// The format frames are painted in.
    pub fn output_format(&self) -> wgpu::TextureFormat {
        self.output_format
    }

    /// Gives every panel of `dashboard` a scene texture and tells the dashboard its id.
    /// Call after [`Dashboard::sync_panels`], before the egui pass.
    pub fn attach(&mut self, gpu: &GpuContext, dashboard: &mut Dashboard) {
        while self.targets.len() < dashboard.panel_count() {
            let texture = SceneTexture::new(&gpu.device, 1, 1, self.sample_count);
            let id = self.egui.register_native_texture(
                &gpu.device,
                texture.view(),
                wgpu::FilterMode::Nearest,
            );
            self.targets.push(PanelTarget { texture, id });
        }
        for (panel, target) in self.targets.iter().enumerate() {
            dashboard.set_texture(panel, target.id);
        }
    }

    /// Renders each job's scene into its panel's texture (resized to the job's size) and
    /// submits the work.
    pub fn render_scenes(
        &mut self,
        gpu: &GpuContext,
        jobs: &[SceneJob],
    ) -> Result<(), RenderError> {
        for job in jobs {
            let Some(target) = self.targets.get_mut(job.panel) else {
                continue;
            };
            let [width, height] = job.size_px;
            if target.texture.resize(&gpu.device, width, height) {
                self.egui.update_egui_texture_from_wgpu_texture(
                    &gpu.device,
                    target.texture.view(),
                    wgpu::FilterMode::Nearest,
                    target.id,
                );
            }
            // One submission per scene: the renderer reuses its buffers, so two scenes
            // must not share a submission.
            self.scenes
                .render(&gpu.device, &gpu.queue, &target.texture, &job.scene)?;
        }
        Ok(())
    }

    /// Uploads the frame's new textures, paints it into `view` (cleared first) and frees the
    /// textures egui no longer needs.
    pub fn paint(&mut self, gpu: &GpuContext, view: &wgpu::TextureView, frame: &PaintFrame) {
        self.upload_textures(gpu, frame);
        self.draw(gpu, view, frame);
        self.free_textures(frame);
    }

    /// Applies a frame's texture changes without drawing it (a frame the window had to
    /// skip: the font atlas must still grow).
    pub fn skip(&mut self, gpu: &GpuContext, frame: &PaintFrame) {
        self.upload_textures(gpu, frame);
        self.free_textures(frame);
    }

    fn upload_textures(&mut self, gpu: &GpuContext, frame: &PaintFrame) {
        for (id, deltas) in &frame.textures_delta.set {
            for delta in deltas {
                self.egui
                    .update_texture(&gpu.device, &gpu.queue, *id, delta);
            }
        }
    }

    fn free_textures(&mut self, frame: &PaintFrame) {
        for id in &frame.textures_delta.free {
            self.egui.free_texture(id);
        }
    }

    /// Applies the frame's texture changes, paints it into a new offscreen texture and reads it
    /// back (a frame that is painted nowhere else: headless).
    pub fn paint_offscreen(
        &mut self,
        gpu: &GpuContext,
        frame: &PaintFrame,
    ) -> Result<RgbaImage, RenderError> {
        self.upload_textures(gpu, frame);
        let image = self.paint_to_image(gpu, frame);
        self.free_textures(frame);
        image
    }

    /// Paints `frame` again into a new offscreen texture and reads it back (the screenshot of
    /// a frame already painted with [`paint`](Self::paint)).
    pub fn paint_to_image(
        &mut self,
        gpu: &GpuContext,
        frame: &PaintFrame,
    ) -> Result<RgbaImage, RenderError> {
        let [width, height] = frame.size_px;
        let texture = gpu.device.create_texture(&wgpu::TextureDescriptor {
            label: Some("dashboard frame"),
            size: wgpu::Extent3d {
                width: width.max(1),
                height: height.max(1),
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: self.output_format,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
            view_formats: &[],
        });
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        self.draw(gpu, &view, frame);
        let mut image = read_texture_rgba(
            &gpu.device,
            &gpu.queue,
            &texture,
            width.max(1),
            height.max(1),
        )?;
        if matches!(
            self.output_format,
            wgpu::TextureFormat::Bgra8Unorm | wgpu::TextureFormat::Bgra8UnormSrgb
        ) {
            for pixel in image.pixels.chunks_exact_mut(4) {
                pixel.swap(0, 2);
            }
        }
        Ok(image)
    }

    /// Records and submits one pass drawing egui's triangles into `view`.
    fn draw(&mut self, gpu: &GpuContext, view: &wgpu::TextureView, frame: &PaintFrame) {
        let screen = egui_wgpu::ScreenDescriptor {
            size_in_pixels: frame.size_px,
            pixels_per_point: frame.pixels_per_point,
        };
        let mut encoder = gpu
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("egui"),
            });
        let callbacks = self.egui.update_buffers(
            &gpu.device,
            &gpu.queue,
            &mut encoder,
            &frame.primitives,
            &screen,
        );
        {
            let pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("egui"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                depth_stencil_attachment: None,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            self.egui
                .render(&mut pass.forget_lifetime(), &frame.primitives, &screen);
        }
        gpu.queue
            .submit(callbacks.into_iter().chain([encoder.finish()]));
    }
}
