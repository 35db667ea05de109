// The scene blit: copies a panel's scene texture texel for pixel into its rectangle inside
// egui's render pass (src/ui/scene_blit.rs). A full-viewport triangle pair; each fragment
// loads the texel under it (no sampler, no branches: cheap on software rasterizers).

@group(0) @binding(0) var scene: texture_2d<f32>;

struct VertexOut {
    @builtin(position) position: vec4<f32>,
    @location(0) uv: vec2<f32>,
};

@vertex
fn vs_main(@builtin(vertex_index) index: u32) -> VertexOut {
    // Two triangles covering the viewport; uv (0, 0) at its top-left corner.
    var corners = array<vec2<f32>, 6>(
        vec2(0.0, 0.0), vec2(1.0, 0.0), vec2(0.0, 1.0),
        vec2(0.0, 1.0), vec2(1.0, 0.0), vec2(1.0, 1.0),
    );
    let uv = corners[index];
    var out: VertexOut;
    out.position = vec4(uv.x * 2.0 - 1.0, 1.0 - uv.y * 2.0, 0.0, 1.0);
    out.uv = uv;
    return out;
}

@fragment
fn fs_main(in: VertexOut) -> @location(0) vec4<f32> {
    let size = vec2<i32>(textureDimensions(scene));
    let texel = clamp(vec2<i32>(floor(in.uv * vec2<f32>(size))), vec2(0), size - 1);
    return textureLoad(scene, texel, 0);
}
