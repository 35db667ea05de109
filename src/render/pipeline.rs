//! The one way pipelines are built here: triangle lists, both faces, `Depth32Float` tested with
//! `LessEqual` (so later items win ties, as painters expect in 2D), straight-alpha blending.

use crate::render::target::DEPTH_FORMAT;

/// What differs between the renderer's pipelines.
pub struct PipelineSpec<'a> {
    /// Debug label.
    pub label: &'a str,
    /// Compiled WGSL with `vs_main` and `fs_main`.
    pub module: &'a wgpu::ShaderModule,
    /// Bind group layouts (group 0 first).
    pub layout: &'a wgpu::PipelineLayout,
    /// Vertex buffer layouts.
    pub buffers: &'a [Option<wgpu::VertexBufferLayout<'a>>],
    /// Target color format.
    pub color_format: wgpu::TextureFormat,
    /// Target sample count.
    pub sample_count: u32,
    /// Whether fragments write depth (off for translucent surfaces).
    pub depth_write: bool,
}

/// Builds a render pipeline from `spec`.
pub fn create(device: &wgpu::Device, spec: &PipelineSpec<'_>) -> wgpu::RenderPipeline {
    device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some(spec.label),
        layout: Some(spec.layout),
        vertex: wgpu::VertexState {
            module: spec.module,
            entry_point: Some("vs_main"),
            compilation_options: wgpu::PipelineCompilationOptions::default(),
            buffers: spec.buffers,
        },
        primitive: wgpu::PrimitiveState {
            topology: wgpu::PrimitiveTopology::TriangleList,
            cull_mode: None,
            ..wgpu::PrimitiveState::default()
        },
        depth_stencil: Some(wgpu::DepthStencilState {
            format: DEPTH_FORMAT,
            depth_write_enabled: Some(spec.depth_write),
            depth_compare: Some(wgpu::CompareFunction::LessEqual),
            stencil: wgpu::StencilState::default(),
            bias: wgpu::DepthBiasState::default(),
        }),
        multisample: wgpu::MultisampleState {
            count: spec.sample_count,
            mask: !0,
            alpha_to_coverage_enabled: false,
        },
        fragment: Some(wgpu::FragmentState {
            module: spec.module,
            entry_point: Some("fs_main"),
            compilation_options: wgpu::PipelineCompilationOptions::default(),
            targets: &[Some(wgpu::ColorTargetState {
                format: spec.color_format,
                blend: Some(wgpu::BlendState::ALPHA_BLENDING),
                write_mask: wgpu::ColorWrites::ALL,
            })],
        }),
        multiview_mask: None,
        cache: None,
    })
}

/// A pipeline layout from bind group layouts (group 0 first).
pub fn layout(
    device: &wgpu::Device,
    label: &str,
    groups: &[&wgpu::BindGroupLayout],
) -> wgpu::PipelineLayout {
    let groups: Vec<Option<&wgpu::BindGroupLayout>> = groups.iter().copied().map(Some).collect();
    device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(label),
        bind_group_layouts: &groups,
        immediate_size: 0,
    })
}
