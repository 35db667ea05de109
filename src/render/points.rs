//! Points (`shaders/points.wgsl`): one instanced screen-facing quad per point, shaded as an
//! impostor sphere or a flat disc, with a one-pixel anti-aliased rim. Points write depth and
//! blend in submission order.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use bytemuck::{Pod, Zeroable};
use glam::{Vec2, Vec3};

use crate::render::buffer::GrowableBuffer;
use crate::render::pipeline::{self, PipelineSpec};
use crate::render::scene::{Point, PointStyle, color_to_rgba8};
use crate::render::shaders;

/// One point on the GPU; mirrors WGSL `struct PointIn` in `shaders/points.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct PointInstance {
    /// Center in world space.
    pub pos: [f32; 3],
    /// Radius in pixels.
    pub radius_px: f32,
    /// Color as `Unorm8x4`.
    pub color: [u8; 4],
    /// 0 sphere, 1 disc.
    pub style: u32,
}
const _: () = assert!(std::mem::size_of::<PointInstance>() == 24);

impl From<&Point> for PointInstance {
    fn from(point: &Point) -> Self {
        Self {
            pos: point.pos,
            radius_px: point.radius_px,
            color: color_to_rgba8(point.color),
            style: match point.style {
                PointStyle::Sphere => 0,
                PointStyle::Disc => 1,
            },
        }
    }
}

const ATTRIBUTES: [wgpu::VertexAttribute; 4] = wgpu::vertex_attr_array![
    0 => Float32x3,
    1 => Float32,
    2 => Unorm8x4,
    3 => Uint32,
];

/// Light direction in view space (towards the light), as in the shader.
const LIGHT_DIR: Vec3 = Vec3::new(-0.4, 0.5, 0.768_114_57);
const AMBIENT: f32 = 0.35;
const SPECULAR: f32 = 0.25;
const SHININESS: f32 = 32.0;

/// The CPU mirror of the shader's sphere shading: the color a sphere of `color` gets at
/// `local` (its position inside the point, |local| = 1 at the rim, y up). At the center this
/// is `color * (0.35 + 0.65 * 0.768) + 0.25 * 0.981^32`; GPU pixels match within 1/255 per
/// channel (rounding of the 8-bit color and `pow` precision).
pub fn sphere_lit_color(color: [f32; 4], local: Vec2) -> [f32; 4] {
    let normal = local.extend((1.0 - local.length_squared().min(1.0)).sqrt());
    let diffuse = normal.dot(LIGHT_DIR).max(0.0);
    let half_dir = (LIGHT_DIR + Vec3::Z).normalize();
    let specular = SPECULAR * normal.dot(half_dir).max(0.0).powf(SHININESS);
    let shade = |c: f32| c * (AMBIENT + (1.0 - AMBIENT) * diffuse) + specular;
    [shade(color[0]), shade(color[1]), shade(color[2]), color[3]]
}

/// Draws a scene's points.
#[derive(Debug)]
pub struct PointsRenderer {
    pipeline: wgpu::RenderPipeline,
    instances: GrowableBuffer,
    scratch: Vec<PointInstance>,
    count: u32,
}

impl PointsRenderer {
    /// Builds the pipeline for targets of `color_format` with `sample_count` samples.
    pub fn new(
        device: &wgpu::Device,
        frame_layout: &wgpu::BindGroupLayout,
        color_format: wgpu::TextureFormat,
        sample_count: u32,
        allocations: Arc<AtomicU64>,
    ) -> Self {
        let module = shaders::module(device, "points.wgsl", shaders::POINTS);
        let layout = pipeline::layout(device, "points", &[frame_layout]);
        let pipeline = pipeline::create(
            device,
            &PipelineSpec {
                label: "points",
                module: &module,
                layout: &layout,
                buffers: &[Some(wgpu::VertexBufferLayout {
                    array_stride: std::mem::size_of::<PointInstance>() as u64,
                    step_mode: wgpu::VertexStepMode::Instance,
                    attributes: &ATTRIBUTES,
                })],
                color_format,
                sample_count,
                depth_write: true,
            },
        );
        Self {
            pipeline,
            instances: GrowableBuffer::new(
                "point instances",
                wgpu::BufferUsages::VERTEX,
                allocations,
            ),
            scratch: Vec::new(),
            count: 0,
        }
    }

    /// Converts and uploads `points`.
    pub fn prepare(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, points: &[Point]) {
        self.scratch.clear();
        self.scratch.extend(points.iter().map(PointInstance::from));
        self.instances
            .write(device, queue, bytemuck::cast_slice(&self.scratch));
        self.count = points.len() as u32;
    }

    /// Records the draw (frame globals must be bound at group 0).
    pub fn draw(&self, pass: &mut wgpu::RenderPass<'_>) {
        let Some(buffer) = self.instances.get() else {
            return;
        };
        if self.count == 0 {
            return;
        }
        pass.set_pipeline(&self.pipeline);
        pass.set_vertex_buffer(0, buffer.slice(..));
        pass.draw(0..6, 0..self.count);
    }
}
