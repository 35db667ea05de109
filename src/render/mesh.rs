//! Meshes (`shaders/mesh.wgsl`): all meshes of a scene share one vertex and one index buffer.
//! Opaque triangles are drawn first with depth writes; translucent ones (any vertex alpha < 1)
//! are sorted back to front by the view depth of their centroid each frame and drawn after
//! everything else with depth test on and depth writes off, so each blends over what is
//! behind it. Triangles with three fully transparent vertices are skipped.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use bytemuck::{Pod, Zeroable};
use glam::Vec3;

use crate::render::buffer::GrowableBuffer;
use crate::render::pipeline::{self, PipelineSpec};
use crate::render::projection::SceneCamera;
use crate::render::scene::{Mesh, color_to_rgba8};
use crate::render::shaders;

/// One vertex on the GPU; mirrors WGSL `struct VertexIn` in `shaders/mesh.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct MeshGpuVertex {
    /// Position in world space.
    pub pos: [f32; 3],
    /// Color as `Unorm8x4`.
    pub color: [u8; 4],
}
const _: () = assert!(std::mem::size_of::<MeshGpuVertex>() == 16);

const ATTRIBUTES: [wgpu::VertexAttribute; 2] = wgpu::vertex_attr_array![
    0 => Float32x3,
    1 => Unorm8x4,
];

/// Draws a scene's meshes in two phases.
#[derive(Debug)]
pub struct MeshRenderer {
    opaque_pipeline: wgpu::RenderPipeline,
    translucent_pipeline: wgpu::RenderPipeline,
    vertices: GrowableBuffer,
    indices: GrowableBuffer,
    vertex_scratch: Vec<MeshGpuVertex>,
    index_scratch: Vec<u32>,
    translucent_scratch: Vec<(f32, [u32; 3])>,
    opaque_index_count: u32,
    translucent_index_count: u32,
}

impl MeshRenderer {
    /// Builds both pipelines for targets of `color_format` with `sample_count` samples.
    pub fn new(
        device: &wgpu::Device,
        frame_layout: &wgpu::BindGroupLayout,
        color_format: wgpu::TextureFormat,
        sample_count: u32,
        allocations: Arc<AtomicU64>,
    ) -> Self {
        let module = shaders::module(device, "mesh.wgsl", shaders::MESH);
        let layout = pipeline::layout(device, "mesh", &[frame_layout]);
        let buffers = [Some(wgpu::VertexBufferLayout {
            array_stride: std::mem::size_of::<MeshGpuVertex>() as u64,
            step_mode: wgpu::VertexStepMode::Vertex,
            attributes: &ATTRIBUTES,
        })];
        let build = |label, depth_write| {
            pipeline::create(
                device,
                &PipelineSpec {
                    label,
                    module: &module,
                    layout: &layout,
                    buffers: &buffers,
                    color_format,
                    sample_count,
                    depth_write,
                },
            )
        };
        Self {
            opaque_pipeline: build("mesh (opaque)", true),
            translucent_pipeline: build("mesh (translucent)", false),
            vertices: GrowableBuffer::new(
                "mesh vertices",
                wgpu::BufferUsages::VERTEX,
                allocations.clone(),
            ),
            indices: GrowableBuffer::new("mesh indices", wgpu::BufferUsages::INDEX, allocations),
            vertex_scratch: Vec::new(),
            index_scratch: Vec::new(),
            translucent_scratch: Vec::new(),
            opaque_index_count: 0,
            translucent_index_count: 0,
        }
    }

    /// Uploads the meshes (already validated), sorting translucent triangles for `camera`.
    pub fn prepare(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        meshes: &[Mesh],
        camera: &SceneCamera,
    ) {
        self.vertex_scratch.clear();
        self.index_scratch.clear();
        self.translucent_scratch.clear();
        for mesh in meshes {
            let base = self.vertex_scratch.len() as u32;
            self.vertex_scratch
                .extend(mesh.vertices.iter().map(|vertex| MeshGpuVertex {
                    pos: vertex.pos,
                    color: color_to_rgba8(vertex.color),
                }));
            let placed = &self.vertex_scratch[base as usize..];
            for tri in mesh.indices.chunks_exact(3) {
                let alphas = [0, 1, 2].map(|k| placed[tri[k] as usize].color[3]);
                let global = [tri[0] + base, tri[1] + base, tri[2] + base];
                if alphas == [0; 3] {
                    continue;
                }
                if alphas == [255; 3] {
                    self.index_scratch.extend_from_slice(&global);
                } else {
                    let centroid = tri
                        .iter()
                        .map(|&i| Vec3::from(placed[i as usize].pos))
                        .sum::<Vec3>()
                        / 3.0;
                    self.translucent_scratch
                        .push((camera.view_depth(centroid), global));
                }
            }
        }
        // Farthest first; the stable sort keeps submission order among equal depths.
        self.translucent_scratch.sort_by(|a, b| b.0.total_cmp(&a.0));
        self.opaque_index_count = self.index_scratch.len() as u32;
        self.index_scratch
            .extend(self.translucent_scratch.iter().flat_map(|(_, tri)| *tri));
        self.translucent_index_count = self.index_scratch.len() as u32 - self.opaque_index_count;
        self.vertices
            .write(device, queue, bytemuck::cast_slice(&self.vertex_scratch));
        self.indices
            .write(device, queue, bytemuck::cast_slice(&self.index_scratch));
    }

    /// Records the opaque triangles.
    pub fn draw_opaque(&self, pass: &mut wgpu::RenderPass<'_>) {
        self.draw_range(pass, &self.opaque_pipeline, 0, self.opaque_index_count);
    }

    /// Records the translucent triangles, back to front (draw these last).
    pub fn draw_translucent(&self, pass: &mut wgpu::RenderPass<'_>) {
        self.draw_range(
            pass,
            &self.translucent_pipeline,
            self.opaque_index_count,
            self.translucent_index_count,
        );
    }

    fn draw_range(
        &self,
        pass: &mut wgpu::RenderPass<'_>,
        pipeline: &wgpu::RenderPipeline,
        first: u32,
        count: u32,
    ) {
        let (Some(vertices), Some(indices)) = (self.vertices.get(), self.indices.get()) else {
            return;
        };
        if count == 0 {
            return;
        }
        pass.set_pipeline(pipeline);
        pass.set_vertex_buffer(0, vertices.slice(..));
        pass.set_index_buffer(indices.slice(..), wgpu::IndexFormat::Uint32);
        pass.draw_indexed(first..first + count, 0, 0..1);
    }
}
