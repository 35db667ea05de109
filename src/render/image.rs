//! Images (`shaders/image.wgsl`): each image's values live in an `R32Float` texture read with
//! `textureLoad` (nearest texel, no filtering), mapped through the shared colormap LUT texture.
//! Textures are kept per image slot and reused while the size stays the same.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytemuck::{Pod, Zeroable};

use crate::render::colormap::{self, ColormapParams, LUT_SIZE};
use crate::render::pipeline::{self, PipelineSpec};
use crate::render::scene::Image;
use crate::render::shaders;

/// Per-image uniforms; mirrors WGSL `struct ImageParams` in `shaders/image.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct ImageUniforms {
    /// Corners (top-left, top-right, bottom-right, bottom-left), w = 1.
    pub corners: [[f32; 4]; 4],
    /// [`ColormapParams::offset`].
    pub offset: f32,
    /// [`ColormapParams::scale`].
    pub scale: f32,
    /// LUT row of the colormap.
    pub lut_row: u32,
    /// Explicit padding to the 16-byte struct alignment.
    pub _pad: u32,
}
const _: () = assert!(std::mem::size_of::<ImageUniforms>() == 80);

impl ImageUniforms {
    /// The uniforms of `image`.
    pub fn new(image: &Image) -> Self {
        let params = ColormapParams::new(image.colormap, image.range);
        Self {
            corners: image.corners.map(|[x, y, z]| [x, y, z, 1.0]),
            offset: params.offset,
            scale: params.scale,
            lut_row: params.row,
            _pad: 0,
        }
    }
}

/// GPU resources of one image position in the scene's list.
#[derive(Debug)]
struct ImageSlot {
    size: (u32, u32),
    texture: wgpu::Texture,
    uniforms: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
}

/// Draws a scene's images.
#[derive(Debug)]
pub struct ImageRenderer {
    pipeline: wgpu::RenderPipeline,
    layout: wgpu::BindGroupLayout,
    lut: wgpu::Texture,
    lut_view: wgpu::TextureView,
    lut_uploaded: bool,
    slots: Vec<ImageSlot>,
    active: usize,
    value_scratch: Vec<f32>,
    allocations: Arc<AtomicU64>,
}

impl ImageRenderer {
    /// Builds the pipeline and uploads the colormap LUT.
    pub fn new(
        device: &wgpu::Device,
        frame_layout: &wgpu::BindGroupLayout,
        color_format: wgpu::TextureFormat,
        sample_count: u32,
        allocations: Arc<AtomicU64>,
    ) -> Self {
        let texture_entry = |binding| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::FRAGMENT,
            ty: wgpu::BindingType::Texture {
                sample_type: wgpu::TextureSampleType::Float { filterable: false },
                view_dimension: wgpu::TextureViewDimension::D2,
                multisampled: false,
            },
            count: None,
        };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("image draw data"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
                    ty: wgpu::BindingType::Buffer {
                        ty: wgpu::BufferBindingType::Uniform,
                        has_dynamic_offset: false,
                        min_binding_size: wgpu::BufferSize::new(
                            std::mem::size_of::<ImageUniforms>() as u64,
                        ),
                    },
                    count: None,
                },
                texture_entry(1),
                texture_entry(2),
            ],
        });
        let module = shaders::module(device, "image.wgsl", shaders::IMAGE);
        let pipeline_layout = pipeline::layout(device, "image", &[frame_layout, &layout]);
        let pipeline = pipeline::create(
            device,
            &PipelineSpec {
                label: "image",
                module: &module,
                layout: &pipeline_layout,
                buffers: &[],
                color_format,
                sample_count,
                depth_write: true,
            },
        );
        let lut = create_lut(device);
        Self {
            pipeline,
            layout,
            lut_view: lut.create_view(&wgpu::TextureViewDescriptor::default()),
            lut,
            lut_uploaded: false,
            slots: Vec::new(),
            active: 0,
            value_scratch: Vec::new(),
            allocations,
        }
    }

    /// Uploads the images (already validated), reusing slots whose size is unchanged; the
    /// first call also uploads the LUT.
    pub fn prepare(&mut self, device: &wgpu::Device, queue: &wgpu::Queue, images: &[Image]) {
        if !self.lut_uploaded {
            upload_lut(queue, &self.lut);
            self.lut_uploaded = true;
        }
        for (index, image) in images.iter().enumerate() {
            let size = (image.width, image.height);
            if self.slots.get(index).is_none_or(|slot| slot.size != size) {
                let slot = self.create_slot(device, size);
                if index < self.slots.len() {
                    self.slots[index] = slot;
                } else {
                    self.slots.push(slot);
                }
            }
            let slot = &self.slots[index];
            queue.write_buffer(
                &slot.uniforms,
                0,
                bytemuck::bytes_of(&ImageUniforms::new(image)),
            );
            let values = if image.values.iter().any(|v| v.is_nan()) {
                let nan_value = ColormapParams::new(image.colormap, image.range).nan_value;
                self.value_scratch.clear();
                self.value_scratch.extend(
                    image
                        .values
                        .iter()
                        .map(|&v| if v.is_nan() { nan_value } else { v }),
                );
                &self.value_scratch
            } else {
                &image.values
            };
            queue.write_texture(
                slot.texture.as_image_copy(),
                bytemuck::cast_slice(values),
                wgpu::TexelCopyBufferLayout {
                    offset: 0,
                    bytes_per_row: Some(image.width * 4),
                    rows_per_image: Some(image.height),
                },
                extent(size),
            );
        }
        self.active = images.len();
    }

    /// Records one draw per image (frame globals must be bound at group 0).
    pub fn draw(&self, pass: &mut wgpu::RenderPass<'_>) {
        if self.active == 0 {
            return;
        }
        pass.set_pipeline(&self.pipeline);
        for slot in &self.slots[..self.active] {
            pass.set_bind_group(1, &slot.bind_group, &[]);
            pass.draw(0..6, 0..1);
        }
    }

    fn create_slot(&self, device: &wgpu::Device, size: (u32, u32)) -> ImageSlot {
        self.allocations.fetch_add(2, Ordering::Relaxed);
        let texture = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("image values"),
            size: extent(size),
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: wgpu::TextureFormat::R32Float,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        });
        let uniforms = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("image uniforms"),
            size: std::mem::size_of::<ImageUniforms>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let values_view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("image draw data"),
            layout: &self.layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: uniforms.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::TextureView(&values_view),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: wgpu::BindingResource::TextureView(&self.lut_view),
                },
            ],
        });
        ImageSlot {
            size,
            texture,
            uniforms,
            bind_group,
        }
    }
}

fn extent((width, height): (u32, u32)) -> wgpu::Extent3d {
    wgpu::Extent3d {
        width,
        height,
        depth_or_array_layers: 1,
    }
}

/// A `LUT_SIZE x rows` `Rgba8Unorm` texture for [`colormap::lut_texture_data`].
fn create_lut(device: &wgpu::Device) -> wgpu::Texture {
    let rows = (colormap::lut_texture_data().len() / LUT_SIZE) as u32;
    device.create_texture(&wgpu::TextureDescriptor {
        label: Some("colormap LUT"),
        size: extent((LUT_SIZE as u32, rows)),
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::Rgba8Unorm,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        view_formats: &[],
    })
}

/// Writes [`colormap::lut_texture_data`] into the LUT texture.
fn upload_lut(queue: &wgpu::Queue, lut: &wgpu::Texture) {
    queue.write_texture(
        lut.as_image_copy(),
        bytemuck::cast_slice(colormap::lut_texture_data()),
        wgpu::TexelCopyBufferLayout {
            offset: 0,
            bytes_per_row: Some(LUT_SIZE as u32 * 4),
            rows_per_image: Some(lut.height()),
        },
        lut.size(),
    );
}
