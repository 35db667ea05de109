//! The colors every lab's scenes share, so the panels of all labs look like one program.

/// The background of every lab's scenes.
pub const BACKGROUND: [f32; 4] = [0.07, 0.075, 0.09, 1.0];
/// Text drawn in the scenes (titles, axis names, values).
pub const TEXT: [f32; 4] = [0.88, 0.88, 0.9, 1.0];
