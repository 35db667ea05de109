//! The WGSL sources, embedded from `shaders/` at the crate root: one per primitive, each
//! with the shared frame globals (`frame.wgsl`, bind group 0) put in front, and the scene
//! blit the app shell uses to show scene textures inside egui.

/// `(file name, complete source)` of every shader, for pipelines and the naga validation test.
pub const ALL: [(&str, &str); 5] = [
    ("points.wgsl", POINTS),
    ("lines.wgsl", LINES),
    ("mesh.wgsl", MESH),
    ("image.wgsl", IMAGE),
    ("blit.wgsl", BLIT),
];

/// `(file name, source)` of the snippets the shaders above include.
pub const SNIPPETS: [(&str, &str); 1] = [("frame.wgsl", FRAME)];

/// The frame globals (`struct Frame`, bind group 0), shared by every primitive.
pub const FRAME: &str = include_str!("../../shaders/frame.wgsl");
/// Impostor spheres and flat discs.
pub const POINTS: &str = concat!(
    include_str!("../../shaders/frame.wgsl"),
    include_str!("../../shaders/points.wgsl")
);
/// Pixel-width line segments.
pub const LINES: &str = concat!(
    include_str!("../../shaders/frame.wgsl"),
    include_str!("../../shaders/lines.wgsl")
);
/// Vertex-colored triangles.
pub const MESH: &str = concat!(
    include_str!("../../shaders/frame.wgsl"),
    include_str!("../../shaders/mesh.wgsl")
);
/// Colormapped f32 grids.
pub const IMAGE: &str = concat!(
    include_str!("../../shaders/frame.wgsl"),
    include_str!("../../shaders/image.wgsl")
);
/// The copy of a scene texture into an egui panel (no frame globals).
pub const BLIT: &str = include_str!("../../shaders/blit.wgsl");

/// Compiles one of the sources above.
pub fn module(device: &wgpu::Device, label: &str, source: &str) -> wgpu::ShaderModule {
    device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    })
}
