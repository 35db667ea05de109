// Points: screen-facing quads `radius_px` in radius (plus one pixel of anti-aliasing margin),
// shaded as a lit impostor sphere or as a flat disc.
// Group 0: frame globals (`frame.wgsl`, prepended by src/render/shaders.rs). Instance buffer: `PointInstance` (src/render/points.rs).

struct PointIn {
    @location(0) pos: vec3<f32>,
    @location(1) radius_px: f32,
    @location(2) color: vec4<f32>,
    @location(3) style: u32,
};

struct VsOut {
    @builtin(position) clip: vec4<f32>,
    // Position inside the point: |local| = 1 at the radius, y up.
    @location(0) local: vec2<f32>,
    @location(1) color: vec4<f32>,
    @location(2) @interpolate(flat) style: u32,
    @location(3) @interpolate(flat) radius_px: f32,
};

const STYLE_SPHERE: u32 = 0u;
const AA_MARGIN_PX: f32 = 1.0;

// Sphere lighting (mirrored by `sphere_lit_color` in src/render/points.rs).
const LIGHT_DIR: vec3<f32> = vec3<f32>(-0.4, 0.5, 0.76811457);
const AMBIENT: f32 = 0.35;
const SPECULAR: f32 = 0.25;
const SHININESS: f32 = 32.0;

@vertex
fn vs_main(@builtin(vertex_index) vertex: u32, point: PointIn) -> VsOut {
    var corners = array<vec2<f32>, 6>(
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, -1.0), vec2<f32>(1.0, 1.0),
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, 1.0), vec2<f32>(-1.0, 1.0),
    );
    let corner = corners[vertex];
    var out: VsOut;
    if !(point.radius_px > 0.0) {
        // Zero, negative or NaN radius: a degenerate, clipped quad draws nothing.
        out.clip = vec4<f32>(0.0, 0.0, -1.0, 1.0);
        return out;
    }
    let center = frame.clip_from_world * vec4<f32>(point.pos, 1.0);
    let radius = point.radius_px;
    let extent_px = radius + AA_MARGIN_PX;
    // Offsets in NDC scaled by w, so the quad keeps its pixel size at any depth. Points behind
    // the camera have w < 0 and are clipped whole.
    let offset_ndc = corner * extent_px * 2.0 / frame.viewport_px;
    out.clip = vec4<f32>(center.xy + offset_ndc * center.w, center.z, center.w);
    out.local = corner * extent_px / radius;
    out.color = point.color;
    out.style = point.style;
    out.radius_px = radius;
    return out;
}

fn sphere_shade(rgb: vec3<f32>, local: vec2<f32>) -> vec3<f32> {
    let normal = vec3<f32>(local, sqrt(1.0 - min(dot(local, local), 1.0)));
    let diffuse = max(dot(normal, LIGHT_DIR), 0.0);
    let half_dir = normalize(LIGHT_DIR + vec3<f32>(0.0, 0.0, 1.0));
    let specular = SPECULAR * pow(max(dot(normal, half_dir), 0.0), SHININESS);
    return rgb * (AMBIENT + (1.0 - AMBIENT) * diffuse) + vec3<f32>(specular);
}

@fragment
fn fs_main(in: VsOut) -> @location(0) vec4<f32> {
    // Signed distance from the rim in pixels; coverage ramps from 1 to 0 over one pixel.
    let rim_distance_px = (length(in.local) - 1.0) * in.radius_px;
    let coverage = clamp(0.5 - rim_distance_px, 0.0, 1.0);
    if coverage <= 0.0 {
        discard;
    }
    var rgb = in.color.rgb;
    if in.style == STYLE_SPHERE {
        rgb = sphere_shade(rgb, in.local);
    }
    return vec4<f32>(rgb, in.color.a * coverage);
}
