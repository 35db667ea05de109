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

/// The pipeline of an instanced primitive (points, lines): shader `name` with `source`, frame
/// globals at group 0, one instance buffer of `stride` bytes with `attributes`, depth written.
#[allow(clippy::too_many_arguments)]
pub fn instanced(
    device: &wgpu::Device,
    frame_layout: &wgpu::BindGroupLayout,
    name: &'static str,
    source: &'static str,
    stride: u64,
    attributes: &[wgpu::VertexAttribute],
    color_format: wgpu::TextureFormat,
    sample_count: u32,
) -> wgpu::RenderPipeline {
    let module = crate::render::shaders::module(device, name, source);
    let label = name.trim_end_matches(".wgsl");
    let layout = layout(device, label, &[frame_layout]);
    create(
        device,
        &PipelineSpec {
            label,
            module: &module,
            layout: &layout,
            buffers: &[Some(wgpu::VertexBufferLayout {
                array_stride: stride,
                step_mode: wgpu::VertexStepMode::Instance,
                attributes,
            })],
            color_format,
            sample_count,
            depth_write: true,
        },
    )
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
