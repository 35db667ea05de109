//! Points (`shaders/points.wgsl`): one instanced screen-facing quad per point, shaded as an
//! impostor sphere or a flat disc, with a one-pixel anti-aliased rim. Points write depth and
//! blend in submission order.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use bytemuck::{Pod, Zeroable};
use glam::{Vec2, Vec3};
use rayon::prelude::*;

use crate::render::buffer::GrowableBuffer;
use crate::render::pipeline;
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

/// Points converted per batch: small enough to stay in cache on the way to staging memory.
const BATCH: usize = 1024;
const BATCH_BYTES: usize = BATCH * std::mem::size_of::<PointInstance>();
/// From this many points on, batches are converted on all rayon threads.
const PARALLEL_MIN: usize = 1 << 16;

/// Converts `points` into `out` (exactly their instances' size in bytes), batch by batch.
fn write_instances(out: wgpu::WriteOnly<'_, [u8]>, points: &[Point]) {
    let (whole, rest) = out.into_chunks::<BATCH_BYTES>();
    let whole: Vec<wgpu::WriteOnly<'_, [u8; BATCH_BYTES]>> = whole.into_iter().collect();
    let (batched_points, rest_points) = points.split_at(whole.len() * BATCH);
    if points.len() >= PARALLEL_MIN {
        whole
            .into_par_iter()
            .zip(batched_points.par_chunks_exact(BATCH))
            .for_each(|(out, batch)| write_batch(out.into(), batch));
    } else {
        for (out, batch) in whole.into_iter().zip(batched_points.chunks_exact(BATCH)) {
            write_batch(out.into(), batch);
        }
    }
    write_batch(rest, rest_points);
}

/// Converts at most [`BATCH`] points into `out`.
fn write_batch(mut out: wgpu::WriteOnly<'_, [u8]>, points: &[Point]) {
    let mut batch = [PointInstance::zeroed(); BATCH];
    for (instance, point) in batch.iter_mut().zip(points) {
        *instance = PointInstance::from(point);
    }
    out.copy_from_slice(bytemuck::cast_slice(&batch[..points.len()]));
}

/// Draws a scene's points.
#[derive(Debug)]
pub struct PointsRenderer {
    pipeline: wgpu::RenderPipeline,
    instances: GrowableBuffer,
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
        let pipeline = pipeline::instanced(
            device,
            frame_layout,
            "points.wgsl",
            shaders::POINTS,
            std::mem::size_of::<PointInstance>() as u64,
            &ATTRIBUTES,
            color_format,
            sample_count,
        );
        Self {
            pipeline,
            instances: GrowableBuffer::new(
                "point instances",
                wgpu::BufferUsages::VERTEX,
                allocations,
            ),
            count: 0,
        }
    }

    /// Converts `points` straight into the queue's staging memory (in parallel for large
    /// scenes), so a million points cost one pass over the data.
    pub fn prepare(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, points: &[Point]) {
        self.count = 0;
        let bytes = points.len() * std::mem::size_of::<PointInstance>();
        let Some(size) = wgpu::BufferSize::new(bytes as u64) else {
            return;
        };
        let buffer = self.instances.reserve(device, size.get());
        let Some(mut staging) = queue.write_buffer_with(buffer, 0, size) else {
            return;
        };
        write_instances(staging.slice(..), points);
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
