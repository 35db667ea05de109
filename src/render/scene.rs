//! The plain data of one frame: what to draw, with no GPU types. A lab fills a [`Scene`] every
//! frame (cheap: a few `Vec`s); [`SceneRenderer`](crate::render::SceneRenderer) draws it.
//!
//! Units: positions in world units, sizes in physical pixels of the target (`*_px`), colors
//! `[r, g, b, a]` display values in 0..=1 (see [`color_to_rgba8`]).

use crate::render::colormap::Colormap;
use crate::render::projection::SceneCamera;

/// Everything drawn in one view.
#[derive(Clone, Debug, PartialEq)]
pub struct Scene {
    /// Clear color; keep alpha 1 for an opaque view.
    pub background: [f32; 4],
    /// The camera (viewport independent).
    pub camera: SceneCamera,
    /// Points (scatter plots).
    pub points: Vec<Point>,
    /// Line segments with pixel width.
    pub lines: Vec<Line>,
    /// Triangle meshes.
    pub meshes: Vec<Mesh>,
    /// Colormapped f32 grids.
    pub images: Vec<Image>,
    /// Text anchored in the world, drawn by the UI (see
    /// [`project_labels`](crate::render::project_labels)).
    pub labels: Vec<Label>,
}

impl Default for Scene {
    fn default() -> Self {
        Self {
            background: [0.08, 0.08, 0.1, 1.0],
            camera: SceneCamera::default(),
            points: Vec::new(),
            lines: Vec::new(),
            meshes: Vec::new(),
            images: Vec::new(),
            labels: Vec::new(),
        }
    }
}

impl Scene {
    /// An empty scene seen through `camera`.
    pub fn new(camera: SceneCamera) -> Self {
        Self {
            camera,
            ..Self::default()
        }
    }

    /// Multiplies every size (point radii, line widths, label sizes) by `factor`: a scene
    /// built with sizes in points becomes one in physical pixels.
    pub fn scale_sizes(&mut self, factor: f32) {
        for p in &mut self.points {
            p.radius_px *= factor;
        }
        for l in &mut self.lines {
            l.width_px *= factor;
        }
        for l in &mut self.labels {
            l.size_px *= factor;
        }
    }

    /// Empties every list (keeping their allocations) so the scene can be refilled.
    pub fn clear(&mut self) {
        self.points.clear();
        self.lines.clear();
        self.meshes.clear();
        self.images.clear();
        self.labels.clear();
    }
}

/// How a point is shaded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PointStyle {
    /// A screen-facing impostor sphere, lit from the upper left (3D scatter plots). Its center
    /// pixel is [`points::sphere_lit_color`](crate::render::points::sphere_lit_color) at the
    /// center.
    #[default]
    Sphere,
    /// A flat disc of exactly the point's color (2D plots).
    Disc,
}

/// A point drawn as a screen-facing circle of a fixed pixel radius.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Center in world space.
    pub pos: [f32; 3],
    /// Color; alpha < 1 blends in draw order (points write depth).
    pub color: [f32; 4],
    /// Radius in pixels; edges are anti-aliased over about one pixel. Zero, negative or NaN
    /// radii draw nothing.
    pub radius_px: f32,
    /// Sphere or disc.
    pub style: PointStyle,
}

/// A straight segment of constant pixel width, with square caps (it extends `width_px / 2`
/// past each end, so segments of a polyline meet without gaps).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Line {
    /// Start in world space.
    pub a: [f32; 3],
    /// End in world space.
    pub b: [f32; 3],
    /// Color; alpha < 1 blends in draw order.
    pub color: [f32; 4],
    /// Width in pixels (a pixel is covered when its center is within `width_px / 2` of the
    /// segment).
    pub width_px: f32,
}

impl Line {
    /// The segments joining consecutive `points` (none for fewer than two points).
    pub fn polyline(points: &[[f32; 3]], color: [f32; 4], width_px: f32) -> Vec<Line> {
        points
            .windows(2)
            .map(|pair| Line {
                a: pair[0],
                b: pair[1],
                color,
                width_px,
            })
            .collect()
    }
}

/// One vertex of a [`Mesh`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeshVertex {
    /// Position in world space.
    pub pos: [f32; 3],
    /// Color; a triangle is translucent when any of its vertices has alpha < 1.
    pub color: [f32; 4],
}

/// Triangle indices of a `cells x cells` grid of `(cells + 1)²` vertices in row-major
/// order (two triangles per cell, split along the same diagonal everywhere).
pub fn grid_indices(cells: u32) -> Vec<u32> {
    let side = cells + 1;
    (0..cells)
        .flat_map(|j| (0..cells).map(move |i| (i, j)))
        .flat_map(|(i, j)| {
            let a = j * side + i;
            let (b, c, d) = (a + 1, a + side, a + side + 1);
            [a, b, d, a, d, c]
        })
        .collect()
}

/// An indexed triangle list with per-vertex color. Opaque triangles are drawn first; the
/// translucent ones are then sorted back to front by centroid and blended with depth test on
/// and depth writes off; triangles whose three vertices have alpha 0 are skipped (so a
/// wireframe-only mesh costs no fill). Both sides are drawn.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Mesh {
    /// Vertices.
    pub vertices: Vec<MeshVertex>,
    /// Three indices per triangle into `vertices`.
    pub indices: Vec<u32>,
    /// Also draw every edge as a 1-pixel line in the color of its first vertex, made opaque.
    pub wireframe: bool,
}

impl Mesh {
    /// Adds the axis-aligned rectangle `min..max` in the plane `z` (facing +z) as two
    /// triangles of one color.
    pub fn push_rect(&mut self, min: [f32; 2], max: [f32; 2], z: f32, color: [f32; 4]) {
        let base = self.vertices.len() as u32;
        for pos in [
            [min[0], min[1], z],
            [max[0], min[1], z],
            [max[0], max[1], z],
            [min[0], max[1], z],
        ] {
            self.vertices.push(MeshVertex { pos, color });
        }
        self.indices
            .extend([base, base + 1, base + 2, base, base + 2, base + 3]);
    }

    /// Checks that the indices form whole triangles and stay in range.
    pub fn validate(&self) -> Result<(), String> {
        if !self.indices.len().is_multiple_of(3) {
            return Err(format!(
                "{} indices do not form whole triangles",
                self.indices.len()
            ));
        }
        match self
            .indices
            .iter()
            .find(|&&index| index as usize >= self.vertices.len())
        {
            Some(index) => Err(format!(
                "index {index} is out of range for {} vertices",
                self.vertices.len()
            )),
            None => Ok(()),
        }
    }
}

/// A `width x height` grid of f32 values on a world-space quad, each value a crisp square
/// colored through a colormap (heatmaps, filters, digits, confusion matrices).
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    /// World-space corners: top-left, top-right, bottom-right, bottom-left. Row 0 of `values`
    /// runs along the top edge, column 0 along the left edge.
    pub corners: [[f32; 3]; 4],
    /// Columns.
    pub width: u32,
    /// Rows.
    pub height: u32,
    /// `width * height` values, row-major, row 0 at the top. NaN draws as `range.0`.
    pub values: Vec<f32>,
    /// How values become colors.
    pub colormap: Colormap,
    /// The values mapped to the two ends of the colormap (see
    /// [`ColormapParams`](crate::render::colormap::ColormapParams)).
    pub range: (f32, f32),
}

impl Image {
    /// An image filling the axis-aligned rectangle `min..max` in the plane `z` (facing +z),
    /// row 0 at the top (at `max[1]`), colored with viridis over `0..1` until
    /// [`with_colormap`](Self::with_colormap) says otherwise.
    pub fn in_rect(
        min: [f32; 2],
        max: [f32; 2],
        z: f32,
        width: u32,
        height: u32,
        values: Vec<f32>,
    ) -> Self {
        Self {
            corners: [
                [min[0], max[1], z],
                [max[0], max[1], z],
                [max[0], min[1], z],
                [min[0], min[1], z],
            ],
            width,
            height,
            values,
            colormap: Colormap::Viridis,
            range: (0.0, 1.0),
        }
    }

    /// The same image with another colormap and value range.
    pub fn with_colormap(self, colormap: Colormap, range: (f32, f32)) -> Self {
        Self {
            colormap,
            range,
            ..self
        }
    }

    /// Checks the size and the number of values.
    pub fn validate(&self) -> Result<(), String> {
        let expected = self.width as usize * self.height as usize;
        if self.width == 0 || self.height == 0 {
            return Err(format!("a {}x{} image is empty", self.width, self.height));
        }
        if self.values.len() != expected {
            return Err(format!(
                "a {}x{} image needs {expected} values, got {}",
                self.width,
                self.height,
                self.values.len()
            ));
        }
        Ok(())
    }
}

/// Which point of a label's text box sits at the projected anchor position.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Anchor {
    /// Top-left corner of the text at the position.
    TopLeft,
    /// Middle of the top edge.
    Top,
    /// Top-right corner.
    TopRight,
    /// Middle of the left edge.
    Left,
    /// Center of the text.
    #[default]
    Center,
    /// Middle of the right edge.
    Right,
    /// Bottom-left corner.
    BottomLeft,
    /// Middle of the bottom edge.
    Bottom,
    /// Bottom-right corner.
    BottomRight,
}

impl Anchor {
    /// The anchored point as fractions of the text box: x 0 left .. 1 right, y 0 top .. 1
    /// bottom (maps directly onto `egui::Align2`).
    pub fn fractions(self) -> [f32; 2] {
        match self {
            Anchor::TopLeft => [0.0, 0.0],
            Anchor::Top => [0.5, 0.0],
            Anchor::TopRight => [1.0, 0.0],
            Anchor::Left => [0.0, 0.5],
            Anchor::Center => [0.5, 0.5],
            Anchor::Right => [1.0, 0.5],
            Anchor::BottomLeft => [0.0, 1.0],
            Anchor::Bottom => [0.5, 1.0],
            Anchor::BottomRight => [1.0, 1.0],
        }
    }
}

/// What a label says, which decides who yields when two labels would overlap on screen
/// (see [`declutter`](crate::render::labels::declutter)): in the order below, a title
/// beats a data label, which beats a value, an axis name and, last, a tick value. Values and
/// tick values name the exact spot they sit on, so they are never moved, only dropped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LabelRole {
    /// The name of a whole view or of a part of it (a layer, a plane).
    Title,
    /// A value or name of the data itself (a point, a neuron, a probability).
    #[default]
    Data,
    /// A number printed on what it describes (a pixel's value in its cell).
    Value,
    /// The name of an axis.
    AxisName,
    /// A tick value on an axis: dropped first when space runs out.
    Tick,
}

/// Text at a world position, drawn by the UI on top of the scene.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    /// Anchor position in world space.
    pub pos: [f32; 3],
    /// The text.
    pub text: String,
    /// Text color.
    pub color: [f32; 4],
    /// Font size in pixels.
    pub size_px: f32,
    /// Which point of the text box sits at `pos`.
    pub anchor: Anchor,
    /// Who yields when labels would overlap on screen.
    pub role: LabelRole,
}

/// The bytes a color becomes in the `Rgba8Unorm` target: each channel clamped to 0..=1, times
/// 255, rounded to nearest. An opaque flat color (a disc, a line, an opaque mesh) is written
/// exactly as these bytes.
pub fn color_to_rgba8(color: [f32; 4]) -> [u8; 4] {
    color.map(unit_to_u8)
}

/// A color from 8-bit channels (a colormap entry, say): the inverse of [`color_to_rgba8`].
pub fn color_from_rgba8(bytes: [u8; 4]) -> [f32; 4] {
    bytes.map(|b| f32::from(b) / 255.0)
}

/// One channel of [`color_to_rgba8`]; NaN becomes 0.
pub fn unit_to_u8(value: f32) -> u8 {
    // Round half up without `f32::round` (a libm call on baseline x86-64, hot for a million
    // points): `scaled - whole` is exact below 2^23. NaN survives the clamp and `as` maps it
    // to 0, and `NaN >= 0.5` is false.
    let scaled = value.clamp(0.0, 1.0) * 255.0;
    let whole = scaled as u32;
    (whole + u32::from(scaled - whole as f32 >= 0.5)) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_to_u8_rounds_to_nearest_and_clamps() {
        for byte in 0..=255u8 {
            let exact = f32::from(byte) / 255.0;
            assert_eq!(unit_to_u8(exact), byte);
        }
        for i in 0..=100_000 {
            let value = i as f32 / 100_000.0;
            assert_eq!(unit_to_u8(value), (value * 255.0).round() as u8, "{value}");
        }
        assert_eq!(unit_to_u8(-1.0), 0);
        assert_eq!(unit_to_u8(2.0), 255);
        assert_eq!(unit_to_u8(f32::NAN), 0);
        assert_eq!(unit_to_u8(f32::INFINITY), 255);
        assert_eq!(unit_to_u8(0.5 / 255.0), 1);
    }
}
