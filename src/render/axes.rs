//! World axes with ticks and labels, built from plain scene items (lines and labels), for 3D
//! views and, with a flat z range, 2D plots.

use glam::Vec3;

use crate::render::scene::{Anchor, Label, LabelRole, Line, Scene};

/// Axes along the edges of the box `min..max` that meet at `min`. An axis whose range is
/// empty (e.g. z in a 2D plot) is left out.
#[derive(Clone, Debug, PartialEq)]
pub struct Axes {
    /// Corner where the axes meet (also the lower end of each range).
    pub min: Vec3,
    /// Upper ends.
    pub max: Vec3,
    /// Axis names, drawn past the upper ends.
    pub names: [String; 3],
    /// About how many ticks per axis (the step is rounded to 1, 2 or 5 times a power of ten).
    pub ticks: usize,
    /// Line colors of the x, y and z axes.
    pub colors: [[f32; 4]; 3],
    /// Color of tick values and names.
    pub text_color: [f32; 4],
    /// Font size of tick values in pixels (names are 20% larger).
    pub text_size_px: f32,
    /// Axis line width in pixels.
    pub width_px: f32,
}

impl Axes {
    /// Axes over `min..max` named x, y, z with about five ticks each.
    pub fn new(min: Vec3, max: Vec3) -> Self {
        Self {
            min,
            max,
            names: ["x".into(), "y".into(), "z".into()],
            ticks: 5,
            colors: [
                [0.85, 0.35, 0.35, 1.0],
                [0.35, 0.8, 0.4, 1.0],
                [0.4, 0.55, 0.95, 1.0],
            ],
            text_color: [0.85, 0.85, 0.85, 1.0],
            text_size_px: 12.0,
            width_px: 2.0,
        }
    }

    /// Appends the axis lines, tick marks, tick values and names to `scene`.
    pub fn add_to(&self, scene: &mut Scene) {
        let extent = self.max - self.min;
        let tick_len = 0.03 * extent.max_element();
        for axis in 0..3 {
            let (lo, hi) = (self.min[axis], self.max[axis]);
            // Empty, reversed or NaN ranges draw no axis.
            if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
                continue;
            }
            let along = Vec3::AXES[axis];
            // Tick marks point away from the other non-empty axis (down for x, left for y).
            let outward = -Vec3::AXES[if axis == 1 { 0 } else { 1 }];
            let end = self.min + along * extent[axis];
            scene.lines.push(Line {
                a: self.min.into(),
                b: end.into(),
                color: self.colors[axis],
                width_px: self.width_px,
            });
            let step = nice_step(hi - lo, self.ticks.max(1));
            for value in tick_values(lo, hi, step) {
                let at = self.min + along * (value - lo);
                scene.lines.push(Line {
                    a: at.into(),
                    b: (at + outward * tick_len).into(),
                    color: self.colors[axis],
                    width_px: self.width_px * 0.5,
                });
                scene.labels.push(Label {
                    pos: (at + outward * tick_len * 1.5).into(),
                    text: format_tick(value, step),
                    color: self.text_color,
                    size_px: self.text_size_px,
                    anchor: if axis == 1 {
                        Anchor::Right
                    } else {
                        Anchor::Top
                    },
                    role: LabelRole::Tick,
                });
            }
            scene.labels.push(Label {
                pos: (end + along * tick_len * 2.0).into(),
                text: self.names[axis].clone(),
                color: self.text_color,
                size_px: self.text_size_px * 1.2,
                anchor: Anchor::Center,
                role: LabelRole::AxisName,
            });
        }
    }
}

/// A step of 1, 2 or 5 times a power of ten giving about `count` steps over `range`.
pub fn nice_step(range: f32, count: usize) -> f32 {
    let raw = range / count as f32;
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let magnitude = 10f32.powf(raw.log10().floor());
    let normalized = raw / magnitude;
    let nice = if normalized < 1.5 {
        1.0
    } else if normalized < 3.5 {
        2.0
    } else if normalized < 7.5 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// The multiples of `step` in `lo..=hi` (with a little slack for rounding).
pub fn tick_values(lo: f32, hi: f32, step: f32) -> impl Iterator<Item = f32> {
    let first = (lo / step - 1e-4).ceil() as i64;
    let last = (hi / step + 1e-4).floor() as i64;
    (first..=last.min(first + 1000)).map(move |k| k as f32 * step)
}

/// A tick value with as many decimals as the step needs ("0.25", "10", "-0.5").
pub fn format_tick(value: f32, step: f32) -> String {
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    let text = format!("{value:.decimals$}");
    // "-0" and "-0.0" read as noise.
    if text
        .trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        text.trim_start_matches('-').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(10.0, 5), 2.0);
        assert_eq!(nice_step(1.0, 4), 0.2);
        assert_eq!(nice_step(100.0, 2), 50.0);
        assert!((nice_step(0.03, 3) - 0.01).abs() < 1e-9);
    }

    #[test]
    fn ticks_cover_the_range() {
        let ticks: Vec<f32> = tick_values(-1.0, 1.0, 0.5).collect();
        assert_eq!(ticks, vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
        assert_eq!(format_tick(-0.0, 0.5), "0.0");
        assert_eq!(format_tick(0.25, 0.05), "0.25");
        assert_eq!(format_tick(20.0, 10.0), "20");
    }

    #[test]
    fn flat_axes_are_left_out() {
        let mut scene = Scene::default();
        Axes::new(Vec3::ZERO, Vec3::new(1.0, 1.0, 0.0)).add_to(&mut scene);
        assert!(scene.labels.iter().all(|label| label.text != "z"));
        assert!(scene.labels.iter().any(|label| label.text == "y"));
    }
}
