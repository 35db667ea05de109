// Images: a world-space quad showing an f32 grid, each cell a crisp square (`textureLoad`, so
// nearest texel, no filtering), colored through a 256-entry LUT row. The value-to-index steps
// are mirrored exactly by `ColormapParams::index` in src/render/colormap.rs.
// Group 0: frame globals (`frame.wgsl`, prepended by src/render/shaders.rs). Group 1: `ImageUniforms` (src/render/image.rs), values, LUT.

struct ImageParams {
    // World-space corners: top-left, top-right, bottom-right, bottom-left (w unused).
    corners: array<vec4<f32>, 4>,
    offset: f32,
    scale: f32,
    lut_row: u32,
    _pad: u32,
};
@group(1) @binding(0) var<uniform> image: ImageParams;
@group(1) @binding(1) var values: texture_2d<f32>;
@group(1) @binding(2) var lut: texture_2d<f32>;

struct VsOut {
    @builtin(position) clip: vec4<f32>,
    // (0, 0) at the top-left corner, (1, 1) at the bottom-right.
    @location(0) uv: vec2<f32>,
};

@vertex
fn vs_main(@builtin(vertex_index) vertex: u32) -> VsOut {
    var corner_of_vertex = array<u32, 6>(0u, 1u, 2u, 0u, 2u, 3u);
    var uv_of_corner = array<vec2<f32>, 4>(
        vec2<f32>(0.0, 0.0), vec2<f32>(1.0, 0.0), vec2<f32>(1.0, 1.0), vec2<f32>(0.0, 1.0),
    );
    let corner = corner_of_vertex[vertex];
    var out: VsOut;
    out.clip = frame.clip_from_world * vec4<f32>(image.corners[corner].xyz, 1.0);
    out.uv = uv_of_corner[corner];
    return out;
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    let size = textureDimensions(values);
    let uv = clamp(in.uv, vec2<f32>(0.0), vec2<f32>(1.0));
    let texel = min(vec2<u32>(uv * vec2<f32>(size)), size - vec2<u32>(1u));
    let value = textureLoad(values, texel, 0).r;
    let t = clamp((value - image.offset) * image.scale, 0.0, 1.0);
    let index = min(u32(t * 256.0), 255u);
    return textureLoad(lut, vec2<u32>(index, image.lut_row), 0);
}
