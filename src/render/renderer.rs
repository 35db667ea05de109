//! [`SceneRenderer`]: draws a [`Scene`] into a [`SceneTexture`] in one render pass.
//!
//! Draw order within the pass: opaque mesh triangles, images, lines (and wireframes), points
//! (all with depth writes), then translucent mesh triangles sorted back to front (depth test,
//! no depth writes). Pipelines are built once; GPU buffers are reused frame to frame and
//! regrown only when a scene's counts outgrow them.
//!
//! [`SceneRenderer::render`] encodes and submits; [`SceneRenderer::render_into`] records into
//! the caller's encoder (uploads go through `queue.write_*`, which lands before any later
//! submission), e.g. inside an egui-wgpu `prepare` callback.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use glam::Vec2;

use crate::render::error::RenderError;
use crate::render::frame::{self, FrameUniforms};
use crate::render::image::ImageRenderer;
use crate::render::lines::LinesRenderer;
use crate::render::mesh::MeshRenderer;
use crate::render::points::PointsRenderer;
use crate::render::projection::aspect_of;
use crate::render::scene::Scene;
use crate::render::target::SceneTexture;

/// Long-lived pipelines and buffers for drawing scenes into targets of one format and sample
/// count.
#[derive(Debug)]
pub struct SceneRenderer {
    color_format: wgpu::TextureFormat,
    sample_count: u32,
    frame_buffer: wgpu::Buffer,
    frame_bind_group: wgpu::BindGroup,
    points: PointsRenderer,
    lines: LinesRenderer,
    meshes: MeshRenderer,
    images: ImageRenderer,
    allocations: Arc<AtomicU64>,
}

impl SceneRenderer {
    /// Builds every pipeline for targets of `color_format` (normally
    /// [`COLOR_FORMAT`](crate::render::target::COLOR_FORMAT)) with `sample_count` samples
    /// (1: the deterministic mode; 4: MSAA).
    pub fn new(
        device: &wgpu::Device,
        color_format: wgpu::TextureFormat,
        sample_count: u32,
    ) -> Self {
        let allocations = Arc::new(AtomicU64::new(0));
        let frame_layout = frame::bind_group_layout(device);
        let frame_buffer = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("frame globals"),
            size: std::mem::size_of::<FrameUniforms>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let frame_bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("frame globals"),
            layout: &frame_layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: frame_buffer.as_entire_binding(),
            }],
        });
        let (format, samples) = (color_format, sample_count);
        Self {
            color_format,
            sample_count,
            points: PointsRenderer::new(
                device,
                &frame_layout,
                format,
                samples,
                allocations.clone(),
            ),
            lines: LinesRenderer::new(device, &frame_layout, format, samples, allocations.clone()),
            meshes: MeshRenderer::new(device, &frame_layout, format, samples, allocations.clone()),
            images: ImageRenderer::new(device, &frame_layout, format, samples, allocations.clone()),
            frame_buffer,
            frame_bind_group,
            allocations,
        }
    }

    /// The color format this renderer draws.
    pub fn color_format(&self) -> wgpu::TextureFormat {
        self.color_format
    }

    /// The sample count this renderer draws with.
    pub fn sample_count(&self) -> u32 {
        self.sample_count
    }

    /// How many GPU buffers and textures this renderer has allocated for scene data so far
    /// (constant while scenes do not grow).
    pub fn gpu_allocations(&self) -> u64 {
        self.allocations.load(Ordering::Relaxed)
    }

    /// Draws `scene` into `target` and submits the work.
    pub fn render(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        target: &SceneTexture,
        scene: &Scene,
    ) -> Result<wgpu::SubmissionIndex, RenderError> {
        let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("scene"),
        });
        self.encode(device, queue, &mut encoder, target, scene, None)?;
        Ok(queue.submit([encoder.finish()]))
    }

    /// Uploads `scene` and records its render pass into `encoder`; the caller submits.
    ///
    /// The uploads land before the submission, so one renderer can record only one scene per
    /// submission: give each view its own renderer, or use [`render`](Self::render), which
    /// submits each view before the next one's uploads.
    pub fn render_into(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        target: &SceneTexture,
        scene: &Scene,
    ) -> Result<(), RenderError> {
        self.encode(device, queue, encoder, target, scene, None)
    }

    /// Like [`render_into`](Self::render_into), writing GPU timestamps at the start and end
    /// of the pass (the device needs `Features::TIMESTAMP_QUERY`).
    pub fn render_into_timed(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        target: &SceneTexture,
        scene: &Scene,
        timestamps: wgpu::RenderPassTimestampWrites<'_>,
    ) -> Result<(), RenderError> {
        self.encode(device, queue, encoder, target, scene, Some(timestamps))
    }

    fn encode(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        target: &SceneTexture,
        scene: &Scene,
        timestamps: Option<wgpu::RenderPassTimestampWrites<'_>>,
    ) -> Result<(), RenderError> {
        self.check_target(target)?;
        validate(scene, device.limits().max_texture_dimension_2d)?;
        let viewport = Vec2::new(target.width() as f32, target.height() as f32);
        let clip_from_world = scene.camera.clip_from_world(aspect_of(viewport));
        let globals = FrameUniforms::new(clip_from_world, target.width(), target.height());
        queue.write_buffer(&self.frame_buffer, 0, bytemuck::bytes_of(&globals));
        self.meshes
            .prepare(device, queue, &scene.meshes, &scene.camera);
        self.images.prepare(device, queue, &scene.images);
        self.lines
            .prepare(device, queue, &scene.lines, &scene.meshes);
        self.points.prepare(device, queue, &scene.points);

        let [r, g, b, a] = scene.background.map(f64::from);
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("scene"),
            color_attachments: &[Some(target.color_attachment(wgpu::Color { r, g, b, a }))],
            depth_stencil_attachment: Some(target.depth_attachment()),
            timestamp_writes: timestamps,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        pass.set_bind_group(0, &self.frame_bind_group, &[]);
        self.meshes.draw_opaque(&mut pass);
        self.images.draw(&mut pass);
        self.lines.draw(&mut pass);
        self.points.draw(&mut pass);
        self.meshes.draw_translucent(&mut pass);
        Ok(())
    }

    fn check_target(&self, target: &SceneTexture) -> Result<(), RenderError> {
        if target.format() == self.color_format && target.sample_count() == self.sample_count {
            return Ok(());
        }
        Err(RenderError::TargetMismatch {
            renderer_format: self.color_format,
            renderer_samples: self.sample_count,
            target_format: target.format(),
            target_samples: target.sample_count(),
        })
    }
}

// Renderers and targets live in egui-wgpu's callback resources, which need `Send + Sync`.
const _: () = {
    const fn send_sync<T: Send + Sync>() {}
    send_sync::<SceneRenderer>();
    send_sync::<SceneTexture>();
};

/// Rejects malformed meshes and images before anything reaches the GPU.
fn validate(scene: &Scene, max_texture_dimension: u32) -> Result<(), RenderError> {
    for (index, mesh) in scene.meshes.iter().enumerate() {
        mesh.validate()
            .map_err(|reason| RenderError::InvalidScene(format!("mesh {index}: {reason}")))?;
    }
    for (index, image) in scene.images.iter().enumerate() {
        image
            .validate()
            .map_err(|reason| RenderError::InvalidScene(format!("image {index}: {reason}")))?;
        if image.width > max_texture_dimension || image.height > max_texture_dimension {
            return Err(RenderError::InvalidScene(format!(
                "image {index}: {}x{} exceeds the device's largest texture side, {max_texture_dimension}",
                image.width, image.height
            )));
        }
    }
    Ok(())
}
