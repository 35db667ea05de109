//! The GPU side of a dashboard frame, shared by the window, the window's screenshots and the
//! headless path: render each scene panel into its own texture, then paint egui (whose scene
//! panels copy those textures in through a paint callback) into any target view.
//!
//! Every scene panel owns a [`SceneTexture`] the size of its rectangle; when the panel's size
//! changes the texture is reallocated and the panel's copy is pointed at the new view, so the
//! layout code never waits for the GPU.

use egui::{ClippedPrimitive, TexturesDelta};
use egui_wgpu::wgpu;

use crate::render::{
    DEFAULT_SAMPLE_COUNT, GpuContext, RenderError, RgbaImage, SceneRenderer, SceneTexture,
    target::{COLOR_FORMAT, read_texture_rgba, sample_count_for},
};
use crate::ui::dashboard::Dashboard;
use crate::ui::panels::SceneJob;
use crate::ui::scene_blit::BlitResources;

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

/// Long-lived renderers (egui and scenes) and the panels' scene textures.
pub struct FramePainter {
    egui: egui_wgpu::Renderer,
    scenes: SceneRenderer,
    sample_count: u32,
    targets: Vec<SceneTexture>,
    /// The scene each target holds now, to skip rendering an unchanged one (a paused lab).
    shown: Vec<Option<crate::render::Scene>>,
    /// What shows where egui paints nothing (the gaps between panels).
    clear: wgpu::Color,
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
        let sample_count = sample_count_for(gpu, COLOR_FORMAT, DEFAULT_SAMPLE_COUNT);
        let mut egui = egui_wgpu::Renderer::new(&gpu.device, output_format, options);
        egui.callback_resources
            .insert(BlitResources::new(&gpu.device, output_format));
        Self {
            egui,
            scenes: SceneRenderer::new(&gpu.device, COLOR_FORMAT, sample_count),
            sample_count,
            targets: Vec::new(),
            shown: Vec::new(),
            clear: wgpu::Color::BLACK,
            output_format,
        }
    }

    /// Clears frames to `color` (an egui color: display values, as the target stores them).
    pub fn set_clear_color(&mut self, color: egui::Color32) {
        let [r, g, b, a] = color.to_array().map(|c| f64::from(c) / 255.0);
        self.clear = wgpu::Color { r, g, b, a };
    }

    /// The format frames are painted in.
    pub fn output_format(&self) -> wgpu::TextureFormat {
        self.output_format
    }

    /// Gives every panel of `dashboard` two scene textures (its own and Run B's view of it)
    /// and tells the dashboard that scenes can be shown. Call after [`Dashboard::sync_lab`],
    /// before the egui pass.
    pub fn attach(&mut self, gpu: &GpuContext, dashboard: &mut Dashboard) {
        while self.targets.len() < 2 * dashboard.panel_count() {
            let texture = SceneTexture::new(&gpu.device, 1, 1, self.sample_count);
            self.point_blit_at(gpu, self.targets.len(), &texture);
            self.targets.push(texture);
            self.shown.push(None);
        }
        dashboard.attach_scenes(self.targets.len());
    }

    fn point_blit_at(&mut self, gpu: &GpuContext, panel: usize, texture: &SceneTexture) {
        if let Some(blit) = self.egui.callback_resources.get_mut::<BlitResources>() {
            blit.set_texture(&gpu.device, panel, texture.view());
        }
    }

    /// Renders each job's scene into its panel's texture (resized to the job's size) and
    /// submits the work; a texture that already shows that scene at that size is kept.
    pub fn render_scenes(
        &mut self,
        gpu: &GpuContext,
        jobs: &[SceneJob],
    ) -> Result<(), RenderError> {
        for job in jobs {
            let Some(texture) = self.targets.get_mut(job.panel) else {
                continue;
            };
            let [width, height] = job.size_px;
            let shown = &mut self.shown[job.panel];
            if texture.resize(&gpu.device, width, height) {
                *shown = None;
                if let Some(blit) = self.egui.callback_resources.get_mut::<BlitResources>() {
                    blit.set_texture(&gpu.device, job.panel, texture.view());
                }
            }
            if shown.as_ref() == Some(&job.scene) {
                continue;
            }
            // One submission per scene: the renderer reuses its buffers, so two scenes
            // must not share a submission.
            *shown = None;
            self.scenes
                .render(&gpu.device, &gpu.queue, texture, &job.scene)?;
            *shown = Some(job.scene.clone());
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
                        load: wgpu::LoadOp::Clear(self.clear),
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
