//! Showing a panel's scene texture inside egui's render pass: an egui-wgpu paint callback
//! ([`SceneBlit`]) that copies the texture texel for pixel into the panel's rectangle.
//!
//! This is the egui `custom3d_wgpu` pattern: the pipeline is built once and kept in the egui
//! renderer's `callback_resources` ([`BlitResources`]); each frame a panel only adds a small
//! callback naming its index. The copy shader loads texels directly (no sampler, no
//! branches), which keeps the largest areas of the dashboard cheap on software rasterizers,
//! where egui's general textured shader costs several times more per pixel. Scene textures
//! are exactly as large as their panels, so the copy is exact.

use egui_wgpu::wgpu;
use egui_wgpu::{CallbackResources, CallbackTrait, ScreenDescriptor};

/// The copy pipeline and one bind group per panel texture.
pub(crate) struct BlitResources {
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    bind_groups: Vec<Option<wgpu::BindGroup>>,
}

impl BlitResources {
    /// Builds the pipeline for render passes into `output_format` targets.
    pub(crate) fn new(device: &wgpu::Device, output_format: wgpu::TextureFormat) -> Self {
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("scene blit"),
            entries: &[wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::FRAGMENT,
                ty: wgpu::BindingType::Texture {
                    sample_type: wgpu::TextureSampleType::Float { filterable: false },
                    view_dimension: wgpu::TextureViewDimension::D2,
                    multisampled: false,
                },
                count: None,
            }],
        });
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("scene blit"),
            source: wgpu::ShaderSource::Wgsl(crate::render::shaders::BLIT.into()),
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("scene blit"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("scene blit"),
            layout: Some(&pipeline_layout),
            vertex: wgpu::VertexState {
                module: &module,
                entry_point: Some("vs_main"),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
                buffers: &[],
            },
            fragment: Some(wgpu::FragmentState {
                module: &module,
                entry_point: Some("fs_main"),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
                targets: &[Some(wgpu::ColorTargetState {
                    format: output_format,
                    blend: None,
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            multiview_mask: None,
            cache: None,
        });
        Self {
            pipeline,
            layout,
            bind_groups: Vec::new(),
        }
    }

    /// Points panel `panel`'s copy at `view` (after the texture was created or resized).
    pub(crate) fn set_texture(
        &mut self,
        device: &wgpu::Device,
        panel: usize,
        view: &wgpu::TextureView,
    ) {
        if self.bind_groups.len() <= panel {
            self.bind_groups.resize_with(panel + 1, || None);
        }
        self.bind_groups[panel] = Some(device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("scene blit"),
            layout: &self.layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: wgpu::BindingResource::TextureView(view),
            }],
        }));
    }
}

/// The paint callback of one scene panel: copy its texture into the callback's rectangle
/// (egui sets the viewport to it and the scissor to the panel's clip rectangle).
pub(crate) struct SceneBlit {
    /// Index of the panel whose texture to copy.
    pub(crate) panel: usize,
}

impl CallbackTrait for SceneBlit {
    fn prepare(
        &self,
        _device: &wgpu::Device,
        _queue: &wgpu::Queue,
        _screen: &ScreenDescriptor,
        _encoder: &mut wgpu::CommandEncoder,
        _resources: &mut CallbackResources,
    ) -> Vec<wgpu::CommandBuffer> {
        Vec::new()
    }

    fn paint(
        &self,
        _info: egui::PaintCallbackInfo,
        render_pass: &mut wgpu::RenderPass<'static>,
        resources: &CallbackResources,
    ) {
        // Without the resources (a renderer that is not ours, e.g. a test harness) there is
        // nothing to show; the panel stays as egui left it.
        let Some(blit) = resources.get::<BlitResources>() else {
            return;
        };
        let Some(Some(bind_group)) = blit.bind_groups.get(self.panel) else {
            return;
        };
        render_pass.set_pipeline(&blit.pipeline);
        render_pass.set_bind_group(0, bind_group, &[]);
        render_pass.draw(0..6, 0..1);
    }
}
