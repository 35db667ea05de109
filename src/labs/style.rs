//! The colors every lab's scenes share, so the panels of all labs look like one program.

/// The background of every lab's scenes.
pub const BACKGROUND: [f32; 4] = [0.07, 0.075, 0.09, 1.0];
/// Text drawn in the scenes (titles, axis names, values).
pub const TEXT: [f32; 4] = [0.88, 0.88, 0.9, 1.0];

/// A label of `text` at `pos` in the scenes' text color.
pub fn text_label(
    pos: [f32; 3],
    text: impl Into<String>,
    size: f32,
    anchor: crate::render::Anchor,
    role: crate::render::scene::LabelRole,
) -> crate::render::Label {
    crate::render::Label {
        pos,
        text: text.into(),
        color: TEXT,
        size_px: size,
        anchor,
        role,
    }
}

/// The outline of the rectangle `min..max` in the plane `z`.
pub fn rect_lines(
    min: [f32; 2],
    max: [f32; 2],
    z: f32,
    color: [f32; 4],
    width: f32,
) -> Vec<crate::render::Line> {
    let corners = [
        [min[0], min[1], z],
        [max[0], min[1], z],
        [max[0], max[1], z],
        [min[0], max[1], z],
        [min[0], min[1], z],
    ];
    crate::render::Line::polyline(&corners, color, width)
}
