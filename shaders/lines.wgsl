// Lines: one instanced quad per segment, `width_px` wide in screen space with square caps
// (extended `width_px / 2` past both ends). Segments crossing the near plane are cut there.
// Group 0: frame globals (`frame.wgsl`, prepended by src/render/shaders.rs). Instance buffer: `LineInstance` (src/render/lines.rs).

struct LineIn {
    @location(0) a: vec3<f32>,
    @location(1) width_px: f32,
    @location(2) b: vec3<f32>,
    @location(3) color: vec4<f32>,
};

struct VsOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) color: vec4<f32>,
};

// Lines are pulled this far towards the camera (in NDC depth) so they win over the surfaces
// they lie on (wireframes, axes on planes).
const DEPTH_NUDGE: f32 = 1e-5;

@vertex
fn vs_main(@builtin(vertex_index) vertex: u32, line: LineIn) -> VsOut {
    // x: 0 at end a, 1 at end b; y: side of the line.
    var corners = array<vec2<f32>, 6>(
        vec2<f32>(0.0, -1.0), vec2<f32>(1.0, -1.0), vec2<f32>(1.0, 1.0),
        vec2<f32>(0.0, -1.0), vec2<f32>(1.0, 1.0), vec2<f32>(0.0, 1.0),
    );
    let corner = corners[vertex];
    var out: VsOut;
    out.color = line.color;
    var ca = frame.clip_from_world * vec4<f32>(line.a, 1.0);
    var cb = frame.clip_from_world * vec4<f32>(line.b, 1.0);
    if ca.z < 0.0 && cb.z < 0.0 {
        // Wholly in front of the near plane: a degenerate, clipped position.
        out.clip = vec4<f32>(0.0, 0.0, -1.0, 1.0);
        return out;
    }
    if ca.z < 0.0 {
        ca = mix(ca, cb, ca.z / (ca.z - cb.z));
    } else if cb.z < 0.0 {
        cb = mix(cb, ca, cb.z / (cb.z - ca.z));
    }
    // Screen positions in pixels from the viewport center, y up.
    let half_viewport = frame.viewport_px * 0.5;
    let sa = ca.xy / ca.w * half_viewport;
    let sb = cb.xy / cb.w * half_viewport;
    let delta = sb - sa;
    let length_px = length(delta);
    var dir = vec2<f32>(1.0, 0.0);
    if length_px > 1e-6 {
        dir = delta / length_px;
    }
    let normal = vec2<f32>(-dir.y, dir.x);
    let half_width = max(line.width_px, 0.0) * 0.5;
    var end = ca;
    var screen = sa - dir * half_width;
    if corner.x > 0.5 {
        end = cb;
        screen = sb + dir * half_width;
    }
    screen += normal * corner.y * half_width;
    out.clip = vec4<f32>(screen / half_viewport * end.w, end.z - DEPTH_NUDGE * end.w, end.w);
    return out;
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    return in.color;
}
