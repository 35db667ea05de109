// Meshes: indexed triangles with per-vertex color and alpha.
// Group 0: frame globals (`frame.wgsl`, prepended by src/render/shaders.rs). Vertex buffer: `MeshGpuVertex` (src/render/mesh.rs).

struct VertexIn {
    @location(0) pos: vec3<f32>,
    @location(1) color: vec4<f32>,
};

struct VsOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) color: vec4<f32>,
};

@vertex
fn vs_main(vertex: VertexIn) -> VsOut {
    var out: VsOut;
    out.clip = frame.clip_from_world * vec4<f32>(vertex.pos, 1.0);
    out.color = vertex.color;
    return out;
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    return in.color;
}
