//! Colormaps: the CPU reference that the image shader mirrors exactly.
//!
//! Every colormap is a 256-entry RGBA8 lookup table (one row of the LUT texture per colormap,
//! see [`lut_texture_data`]). A value `v` picks an entry in two steps that the CPU and the
//! shader do with the same f32 operations, so a texel value maps to one exact, testable color:
//!
//! 1. `t = clamp((v - offset) * scale, 0, 1)` with `offset` and `scale` from
//!    [`ColormapParams::new`] (computed once, on the CPU, from the colormap and the range);
//! 2. `index = min(floor(t * 256), 255)`: 256 bins of equal width, the last one including 1.
//!
//! Subtraction and multiplication are correctly rounded in f32 on both sides and `* 256` is
//! exact, so both sides agree bit for bit; NaN values are replaced by the range's first value
//! on the CPU before upload.
//!
//! - [`Colormap::Viridis`]: a natural cubic spline through 18 samples (every 15th entry) of
//!   matplotlib's viridis (CC0); each channel is within 2/255 of the original table.
//! - [`Colormap::Diverging`]: blue, white, red, symmetric about `center`: the range is widened
//!   on one side so `center` maps to t = 0.5 and equal distances from it get equally strong
//!   colors. Entries 127 and 128 are both exactly white, so the center value is white whatever
//!   the rounding of t.
//! - [`Colormap::Grayscale`]: entry `i` is `(i, i, i)`.

use std::sync::OnceLock;

/// Entries per colormap.
pub const LUT_SIZE: usize = 256;

/// How grid values become colors.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Colormap {
    /// Perceptually uniform dark blue to yellow.
    #[default]
    Viridis,
    /// Blue below `center`, white at it, red above (weights, gradients, differences).
    Diverging {
        /// The value drawn white.
        center: f32,
    },
    /// Black to white.
    Grayscale,
}

impl Colormap {
    /// All colormaps in LUT row order.
    pub const ALL: [Colormap; 3] = [
        Colormap::Viridis,
        Colormap::Diverging { center: 0.0 },
        Colormap::Grayscale,
    ];

    /// The colormap's row in the LUT texture.
    pub fn lut_row(self) -> u32 {
        match self {
            Colormap::Viridis => 0,
            Colormap::Diverging { .. } => 1,
            Colormap::Grayscale => 2,
        }
    }

    /// LUT entry `index` (0..=255) of this colormap.
    pub fn entry(self, index: usize) -> [u8; 4] {
        lut()[self.lut_row() as usize * LUT_SIZE + index.min(LUT_SIZE - 1)]
    }

    /// The color at `t` in 0..=1 (a colorbar), binned like image values.
    pub fn rgba_at(self, t: f32) -> [u8; 4] {
        self.entry(index_of_t(t))
    }
}

/// The color `value` gets in an image with this colormap and range: the exact bytes the image
/// shader writes for a texel holding `value`.
pub fn colormap_rgba(colormap: Colormap, range: (f32, f32), value: f32) -> [u8; 4] {
    let params = ColormapParams::new(colormap, range);
    colormap.entry(params.index(value))
}

/// The per-image numbers the shader needs to turn a value into a LUT index.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColormapParams {
    /// Subtracted from the value first.
    pub offset: f32,
    /// Then multiplied; 0 for a degenerate range.
    pub scale: f32,
    /// What NaN values are replaced with before upload.
    pub nan_value: f32,
    /// LUT row.
    pub row: u32,
}

impl ColormapParams {
    /// Offset and scale mapping `range` onto 0..1 (for [`Colormap::Diverging`], the range
    /// widened symmetrically about the center). A non-finite range counts as `(0, 1)`; a
    /// reversed range reverses the colormap.
    pub fn new(colormap: Colormap, range: (f32, f32)) -> Self {
        let (lo, hi) = if range.0.is_finite() && range.1.is_finite() {
            range
        } else {
            (0.0, 1.0)
        };
        let (offset, scale) = match colormap {
            Colormap::Viridis | Colormap::Grayscale => (lo, finite_or_zero(1.0 / (hi - lo))),
            Colormap::Diverging { center } => {
                let center = if center.is_finite() {
                    center
                } else {
                    0.5 * (lo + hi)
                };
                let half = (hi - center).abs().max((center - lo).abs());
                let scale = 1.0 / (2.0 * half);
                if half > 0.0 && scale.is_finite() {
                    (center - half, scale)
                } else {
                    // Degenerate: only the center is meaningful; it still maps to 0.5.
                    (center - 1.0, 0.5)
                }
            }
        };
        Self {
            offset,
            scale,
            nan_value: lo,
            row: colormap.lut_row(),
        }
    }

    /// The LUT index of `value` (the shader's computation, step for step).
    pub fn index(&self, value: f32) -> usize {
        let value = if value.is_nan() {
            self.nan_value
        } else {
            value
        };
        index_of_t((value - self.offset) * self.scale)
    }
}

fn finite_or_zero(x: f32) -> f32 {
    if x.is_finite() { x } else { 0.0 }
}

/// `min(floor(clamp(t, 0, 1) * 256), 255)`.
fn index_of_t(t: f32) -> usize {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    ((t * 256.0) as usize).min(LUT_SIZE - 1)
}

/// The LUT texture's texels: `Colormap::ALL.len()` rows of [`LUT_SIZE`] RGBA8 entries, row
/// `Colormap::lut_row()` for each colormap.
pub fn lut_texture_data() -> &'static [[u8; 4]] {
    lut()
}

fn lut() -> &'static [[u8; 4]] {
    static LUT: OnceLock<Vec<[u8; 4]>> = OnceLock::new();
    LUT.get_or_init(|| {
        let mut texels = Vec::with_capacity(Colormap::ALL.len() * LUT_SIZE);
        texels.extend((0..LUT_SIZE).map(viridis_entry));
        texels.extend((0..LUT_SIZE).map(diverging_entry));
        texels.extend((0..LUT_SIZE).map(|i| [i as u8, i as u8, i as u8, 255]));
        texels
    })
}

/// Samples of matplotlib's viridis at entries 0, 15, 30, ..., 255.
#[expect(
    clippy::approx_constant,
    reason = "color samples; one happens to be near pi/6"
)]
const VIRIDIS_KNOTS: [[f64; 3]; 18] = [
    [0.2670, 0.0049, 0.3294],
    [0.2819, 0.0897, 0.4124],
    [0.2803, 0.1657, 0.4765],
    [0.2637, 0.2376, 0.5188],
    [0.2374, 0.3052, 0.5419],
    [0.2086, 0.3678, 0.5527],
    [0.1823, 0.4262, 0.5571],
    [0.1592, 0.4822, 0.5581],
    [0.1378, 0.5375, 0.5549],
    [0.1211, 0.5927, 0.5446],
    [0.1281, 0.6477, 0.5235],
    [0.1807, 0.7014, 0.4882],
    [0.2741, 0.7520, 0.4366],
    [0.3952, 0.7975, 0.3678],
    [0.5356, 0.8358, 0.2819],
    [0.6889, 0.8654, 0.1827],
    [0.8456, 0.8873, 0.0997],
    [0.9932, 0.9062, 0.1439],
];
const VIRIDIS_KNOT_SPACING: usize = 15;

fn viridis_entry(index: usize) -> [u8; 4] {
    static SECOND_DERIVATIVES: OnceLock<[[f64; 18]; 3]> = OnceLock::new();
    let moments = SECOND_DERIVATIVES.get_or_init(|| {
        [0, 1, 2].map(|channel| natural_spline_moments(&VIRIDIS_KNOTS.map(|knot| knot[channel])))
    });
    let segment = (index / VIRIDIS_KNOT_SPACING).min(VIRIDIS_KNOTS.len() - 2);
    let t = (index - segment * VIRIDIS_KNOT_SPACING) as f64 / VIRIDIS_KNOT_SPACING as f64;
    let channel = |c: usize| {
        let (y0, y1) = (VIRIDIS_KNOTS[segment][c], VIRIDIS_KNOTS[segment + 1][c]);
        let (m0, m1) = (moments[c][segment], moments[c][segment + 1]);
        let s = 1.0 - t;
        let value = s * y0 + t * y1 + ((s * s * s - s) * m0 + (t * t * t - t) * m1) / 6.0;
        (value.clamp(0.0, 1.0) * 255.0).round() as u8
    };
    [channel(0), channel(1), channel(2), 255]
}

/// Second derivatives of the natural cubic spline through `ys` at unit spacing (zero at both
/// ends), by the tridiagonal (Thomas) algorithm.
fn natural_spline_moments<const N: usize>(ys: &[f64; N]) -> [f64; N] {
    let mut diag = [1.0; N];
    let mut rhs = [0.0; N];
    let mut upper = [0.0; N];
    for i in 1..N - 1 {
        diag[i] = 4.0;
        upper[i] = 1.0;
        rhs[i] = 6.0 * (ys[i + 1] - 2.0 * ys[i] + ys[i - 1]);
    }
    // Forward elimination; the sub-diagonal is 1 inside, 0 in the last row.
    for i in 1..N {
        let lower = if i < N - 1 { 1.0 } else { 0.0 };
        let factor = lower / diag[i - 1];
        diag[i] -= factor * upper[i - 1];
        rhs[i] -= factor * rhs[i - 1];
    }
    let mut moments = [0.0; N];
    moments[N - 1] = rhs[N - 1] / diag[N - 1];
    for i in (0..N - 1).rev() {
        moments[i] = (rhs[i] - upper[i] * moments[i + 1]) / diag[i];
    }
    moments
}

const WHITE: [f32; 3] = [247.0, 247.0, 247.0];
const BLUES: [[f32; 3]; 3] = [
    [209.0, 229.0, 240.0],
    [103.0, 169.0, 207.0],
    [33.0, 102.0, 172.0],
];
const REDS: [[f32; 3]; 3] = [
    [253.0, 219.0, 199.0],
    [239.0, 138.0, 98.0],
    [178.0, 24.0, 43.0],
];

fn diverging_entry(index: usize) -> [u8; 4] {
    // Entries 127 and 128 are the white center; strength runs 1/127 .. 1 outwards.
    let (ramp, strength) = match index {
        0..=126 => (&BLUES, (127 - index) as f32 / 127.0),
        127 | 128 => (&BLUES, 0.0),
        _ => (&REDS, (index - 128) as f32 / 127.0),
    };
    let stops = [WHITE, ramp[0], ramp[1], ramp[2]];
    let position = strength * 3.0;
    let segment = (position as usize).min(2);
    let f = position - segment as f32;
    let channel = |c: usize| {
        (stops[segment][c] + (stops[segment + 1][c] - stops[segment][c]) * f).round() as u8
    };
    [channel(0), channel(1), channel(2), 255]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_matches_matplotlib_within_two_levels() {
        // Entries of matplotlib's table, as bytes.
        let reference = [
            (0, [68, 1, 84]),
            (64, [59, 82, 139]),
            (128, [33, 145, 140]),
            (192, [94, 201, 98]),
            (255, [253, 231, 37]),
        ];
        for (index, rgb) in reference {
            let entry = Colormap::Viridis.entry(index);
            for c in 0..3 {
                assert!(
                    (i32::from(entry[c]) - rgb[c]).abs() <= 2,
                    "entry {index}: {entry:?} vs {rgb:?}"
                );
            }
        }
    }

    #[test]
    fn diverging_center_is_white_and_ends_are_blue_and_red() {
        let cmap = Colormap::Diverging { center: 0.0 };
        for value in [0.0, 1e-9, -1e-9] {
            assert_eq!(
                colormap_rgba(cmap, (-3.0, 1.0), value),
                [247, 247, 247, 255]
            );
        }
        assert_eq!(colormap_rgba(cmap, (-3.0, 1.0), -3.0), [33, 102, 172, 255]);
        // Symmetric: +3 would be full red even though the range stops at 1.
        assert_eq!(colormap_rgba(cmap, (-3.0, 1.0), 3.0), [178, 24, 43, 255]);
        assert_eq!(
            colormap_rgba(cmap, (-3.0, 1.0), 1.0),
            colormap_rgba(cmap, (-1.0, 3.0), 1.0)
        );
    }

    #[test]
    fn indices_bin_the_range_evenly_and_clamp() {
        let params = ColormapParams::new(Colormap::Grayscale, (0.0, 1.0));
        assert_eq!(params.index(0.0), 0);
        assert_eq!(params.index(1.0), 255);
        assert_eq!(params.index(0.5), 128);
        assert_eq!(params.index(0.499), 127);
        assert_eq!(params.index(-5.0), 0);
        assert_eq!(params.index(5.0), 255);
        assert_eq!(params.index(f32::NAN), 0);
        assert_eq!(params.index(f32::INFINITY), 255);
    }

    #[test]
    fn degenerate_ranges_do_not_produce_nan() {
        for cmap in Colormap::ALL {
            for range in [(1.0, 1.0), (f32::NAN, 1.0), (0.0, f32::INFINITY)] {
                let params = ColormapParams::new(cmap, range);
                assert!(
                    params.offset.is_finite() && params.scale.is_finite(),
                    "{cmap:?} {range:?}"
                );
            }
        }
        let diverging = Colormap::Diverging { center: 2.0 };
        assert_eq!(
            colormap_rgba(diverging, (2.0, 2.0), 2.0),
            [247, 247, 247, 255]
        );
    }

    #[test]
    fn lut_has_one_row_per_colormap() {
        assert_eq!(lut_texture_data().len(), Colormap::ALL.len() * LUT_SIZE);
        assert_eq!(Colormap::Grayscale.entry(200), [200, 200, 200, 255]);
    }
}
