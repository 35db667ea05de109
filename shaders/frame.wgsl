// The frame globals every primitive's shader reads (bind group 0), mirrored by
// `FrameUniforms` in src/render/frame.rs. src/render/shaders.rs puts this file in front of
// each primitive's shader.

struct Frame {
    clip_from_world: mat4x4<f32>,
    viewport_px: vec2<f32>,
    _pad: vec2<f32>,
};
@group(0) @binding(0) var<uniform> frame: Frame;
