//! The WGSL sources, one per primitive, embedded from `shaders/` at the crate root.

/// `(file name, source)` of every shader, for pipelines and the naga validation test.
pub const ALL: [(&str, &str); 4] = [
    ("points.wgsl", POINTS),
    ("lines.wgsl", LINES),
    ("mesh.wgsl", MESH),
    ("image.wgsl", IMAGE),
];

/// Impostor spheres and flat discs.
pub const POINTS: &str = include_str!("../../shaders/points.wgsl");
/// Pixel-width line segments.
pub const LINES: &str = include_str!("../../shaders/lines.wgsl");
/// Vertex-colored triangles.
pub const MESH: &str = include_str!("../../shaders/mesh.wgsl");
/// Colormapped f32 grids.
pub const IMAGE: &str = include_str!("../../shaders/image.wgsl");

/// Compiles one of the sources above.
pub fn module(device: &wgpu::Device, label: &str, source: &str) -> wgpu::ShaderModule {
    device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    })
}
