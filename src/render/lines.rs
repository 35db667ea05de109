//! Lines (`shaders/lines.wgsl`): one instanced screen-space quad per segment, so widths are in
//! pixels at any depth. Also draws mesh wireframes (see [`wireframe_edges`]).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use bytemuck::{Pod, Zeroable};

use crate::render::buffer::GrowableBuffer;
use crate::render::pipeline;
use crate::render::scene::{Line, Mesh, color_to_rgba8};
use crate::render::shaders;

/// One segment on the GPU; mirrors WGSL `struct LineIn` in `shaders/lines.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct LineInstance {
    /// Start in world space.
    pub a: [f32; 3],
    /// Width in pixels.
    pub width_px: f32,
    /// End in world space.
    pub b: [f32; 3],
    /// Color as `Unorm8x4`.
    pub color: [u8; 4],
}
const _: () = assert!(std::mem::size_of::<LineInstance>() == 32);

impl From<&Line> for LineInstance {
    fn from(line: &Line) -> Self {
        Self {
            a: line.a,
            width_px: line.width_px,
            b: line.b,
            color: color_to_rgba8(line.color),
        }
    }
}

const ATTRIBUTES: [wgpu::VertexAttribute; 4] = wgpu::vertex_attr_array![
    0 => Float32x3,
    1 => Float32,
    2 => Float32x3,
    3 => Unorm8x4,
];

/// Width of wireframe edges in pixels.
pub const WIREFRAME_WIDTH_PX: f32 = 1.0;

/// Every edge of `mesh` once, as a 1-pixel line in its first vertex's color made opaque.
pub fn wireframe_edges(mesh: &Mesh) -> impl Iterator<Item = LineInstance> + '_ {
    let mut seen = HashSet::new();
    mesh.indices.chunks_exact(3).flat_map(move |tri| {
        let edges = [(tri[0], tri[1]), (tri[1], tri[2]), (tri[2], tri[0])];
        let fresh: Vec<(u32, u32)> = edges
            .into_iter()
            .filter(|&(i, j)| seen.insert((i.min(j), i.max(j))))
            .collect();
        fresh.into_iter().map(|(i, j)| {
            let (a, b) = (&mesh.vertices[i as usize], &mesh.vertices[j as usize]);
            let mut color = color_to_rgba8(a.color);
            color[3] = 255;
            LineInstance {
                a: a.pos,
                width_px: WIREFRAME_WIDTH_PX,
                b: b.pos,
                color,
            }
        })
    })
}

/// Draws a scene's lines and wireframes.
#[derive(Debug)]
pub struct LinesRenderer {
    pipeline: wgpu::RenderPipeline,
    instances: GrowableBuffer,
    scratch: Vec<LineInstance>,
    count: u32,
}

impl LinesRenderer {
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
            "lines.wgsl",
            shaders::LINES,
            std::mem::size_of::<LineInstance>() as u64,
            &ATTRIBUTES,
            color_format,
            sample_count,
        );
        Self {
            pipeline,
            instances: GrowableBuffer::new(
                "line instances",
                wgpu::BufferUsages::VERTEX,
                allocations,
            ),
            scratch: Vec::new(),
            count: 0,
        }
    }

    /// Uploads `lines` followed by the wireframe edges of `meshes`.
    pub fn prepare(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        lines: &[Line],
        meshes: &[Mesh],
    ) {
        self.scratch.clear();
        self.scratch.extend(lines.iter().map(LineInstance::from));
        for mesh in meshes.iter().filter(|mesh| mesh.wireframe) {
            self.scratch.extend(wireframe_edges(mesh));
        }
        self.instances
            .write(device, queue, bytemuck::cast_slice(&self.scratch));
        self.count = self.scratch.len() as u32;
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
