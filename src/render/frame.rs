//! Frame globals (bind group 0 of every shader): the camera matrix and the viewport size.

use bytemuck::{Pod, Zeroable};
use glam::Mat4;

/// Mirrors WGSL `struct Frame` at the top of every shader in `shaders/`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct FrameUniforms {
    /// World to clip space, column-major.
    pub clip_from_world: [[f32; 4]; 4],
    /// Target size in pixels.
    pub viewport_px: [f32; 2],
    /// Explicit padding to the 16-byte struct alignment.
    pub _pad: [f32; 2],
}
const _: () = assert!(std::mem::size_of::<FrameUniforms>() == 80);

impl FrameUniforms {
    /// Globals for a `width x height` target seen through `clip_from_world`.
    pub fn new(clip_from_world: Mat4, width: u32, height: u32) -> Self {
        Self {
            clip_from_world: clip_from_world.to_cols_array_2d(),
            viewport_px: [width as f32, height as f32],
            _pad: [0.0; 2],
        }
    }
}

/// The layout of bind group 0: one uniform buffer holding [`FrameUniforms`], visible to the
/// vertex and fragment stages.
pub fn bind_group_layout(device: &wgpu::Device) -> wgpu::BindGroupLayout {
    device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("frame globals"),
        entries: &[wgpu::BindGroupLayoutEntry {
            binding: 0,
            visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
            ty: wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: false,
                min_binding_size: wgpu::BufferSize::new(std::mem::size_of::<FrameUniforms>() as u64),
            },
            count: None,
        }],
    })
}
