//! Where a plot's legend goes so it covers no data, in plot coordinates and with no UI:
//! the bounds egui_plot's automatic bounds will choose ([`auto_bounds`]), how much data a
//! corner region holds ([`data_in`], [`emptiest_corner`]), the headroom that clears a band
//! for the legend ([`headroom`]), and the decision ([`placement`]).

use egui::Vec2;
use egui_plot::Corner;

/// What an item covers in the plot, in plot coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Geometry<'a> {
    /// A polyline through the points.
    Line(&'a [[f64; 2]]),
    /// Separate markers at the points.
    Points(&'a [[f64; 2]]),
    /// A horizontal line across the plot at this y.
    HLine(f64),
    /// A vertical line across the plot at this x.
    VLine(f64),
}

/// A rectangle in plot coordinates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bounds {
    /// Smallest x and y.
    pub min: [f64; 2],
    /// Largest x and y.
    pub max: [f64; 2],
}

impl Bounds {
    fn size(&self) -> [f64; 2] {
        [self.max[0] - self.min[0], self.max[1] - self.min[1]]
    }
}

/// egui_plot's default margin around the data, as a fraction of the data's extent per side.
pub const MARGIN_FRACTION: f64 = 0.05;

/// The data's extent and the bounds egui_plot's automatic bounds give it (the extent plus
/// [`MARGIN_FRACTION`] on every side; an empty extent grows by 0.5 each way). `None` when no
/// item has a finite point.
pub fn auto_bounds(items: &[Geometry]) -> Option<(Bounds, Bounds)> {
    let mut lo = [f64::INFINITY; 2];
    let mut hi = [f64::NEG_INFINITY; 2];
    let mut grow = |axis: usize, v: f64| {
        if v.is_finite() {
            lo[axis] = lo[axis].min(v);
            hi[axis] = hi[axis].max(v);
        }
    };
    for item in items {
        match *item {
            Geometry::Line(points) | Geometry::Points(points) => {
                for p in points
                    .iter()
                    .filter(|p| p[0].is_finite() && p[1].is_finite())
                {
                    grow(0, p[0]);
                    grow(1, p[1]);
                }
            }
            Geometry::HLine(y) => grow(1, y),
            Geometry::VLine(x) => grow(0, x),
        }
    }
    if !(lo[0].is_finite() || lo[1].is_finite()) {
        return None;
    }
    let data = Bounds { min: lo, max: hi };
    let mut shown = data;
    for axis in 0..2 {
        if !lo[axis].is_finite() {
            shown.min[axis] = 0.0;
            shown.max[axis] = 1.0;
            continue;
        }
        let extent = hi[axis] - lo[axis];
        let pad = if extent > 0.0 {
            MARGIN_FRACTION * extent
        } else {
            0.5
        };
        shown.min[axis] -= pad;
        shown.max[axis] += pad;
    }
    Some((data, shown))
}

/// The region of `bounds` a legend of `fraction` (of the width, of the height) takes in
/// `corner`.
pub fn corner_region(bounds: &Bounds, corner: Corner, fraction: [f64; 2]) -> Bounds {
    let [w, h] = bounds.size();
    let (w, h) = (
        w * fraction[0].clamp(0.0, 1.0),
        h * fraction[1].clamp(0.0, 1.0),
    );
    let left = matches!(corner, Corner::LeftTop | Corner::LeftBottom);
    let top = matches!(corner, Corner::LeftTop | Corner::RightTop);
    let x = if left {
        [bounds.min[0], bounds.min[0] + w]
    } else {
        [bounds.max[0] - w, bounds.max[0]]
    };
    let y = if top {
        [bounds.max[1] - h, bounds.max[1]]
    } else {
        [bounds.min[1], bounds.min[1] + h]
    };
    Bounds {
        min: [x[0], y[0]],
        max: [x[1], y[1]],
    }
}

fn inside(region: &Bounds, p: [f64; 2]) -> bool {
    (region.min[0]..=region.max[0]).contains(&p[0])
        && (region.min[1]..=region.max[1]).contains(&p[1])
}

/// Whether the segment `a`-`b` passes through `region` (Liang-Barsky clipping).
fn segment_crosses(region: &Bounds, a: [f64; 2], b: [f64; 2]) -> bool {
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    let d = [b[0] - a[0], b[1] - a[1]];
    for axis in 0..2 {
        for (p, q) in [
            (-d[axis], a[axis] - region.min[axis]),
            (d[axis], region.max[axis] - a[axis]),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    return false;
                }
            } else {
                let t = q / p;
                if p < 0.0 {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
            }
        }
    }
    t0 <= t1
}

/// How many pieces of data lie in `region`: markers inside it, line segments passing
/// through it, and horizontal or vertical lines crossing it.
pub fn data_in(items: &[Geometry], region: &Bounds) -> usize {
    items
        .iter()
        .map(|item| match *item {
            Geometry::Points(points) => points.iter().filter(|&&p| inside(region, p)).count(),
            Geometry::Line(points) => match points {
                [single] => usize::from(inside(region, *single)),
                _ => points
                    .windows(2)
                    .filter(|pair| segment_crosses(region, pair[0], pair[1]))
                    .count(),
            },
            Geometry::HLine(y) => usize::from((region.min[1]..=region.max[1]).contains(&y)),
            Geometry::VLine(x) => usize::from((region.min[0]..=region.max[0]).contains(&x)),
        })
        .sum()
}

/// The corners in order of preference when they hold equally little.
const CORNERS: [Corner; 4] = [
    Corner::RightTop,
    Corner::LeftTop,
    Corner::RightBottom,
    Corner::LeftBottom,
];

/// The corner whose region of `fraction` of `bounds` holds the least data ([`data_in`]), and
/// how much it holds; ties go to the top right, top left, bottom right, bottom left.
pub fn emptiest_corner(items: &[Geometry], bounds: &Bounds, fraction: [f64; 2]) -> (Corner, usize) {
    CORNERS
        .into_iter()
        .map(|corner| {
            (
                corner,
                data_in(items, &corner_region(bounds, corner, fraction)),
            )
        })
        .min_by_key(|&(_, count)| count)
        .unwrap_or((Corner::RightTop, 0))
}

/// The y value to include in the bounds so that, with egui_plot's margins, every datum lies
/// outside a band of `height_fraction` of the plot's height along the top (`top`) or bottom
/// edge, where the legend goes. `data` is the data's extent ([`auto_bounds`]). `None` when
/// the band would leave the data less than half the height.
pub fn headroom(data: &Bounds, height_fraction: f64, top: bool) -> Option<f64> {
    // Including Y stretches the data's extent r to d = |Y - far end|, shown over
    // (1 + 2m) d with margins m; the band takes f (1 + 2m) d of that at the edge. The data
    // clears the band when r <= d (1 + m - f (1 + 2m)), and keeps r / ((1 + 2m) d) of the
    // height.
    let m = MARGIN_FRACTION;
    let room = 1.0 + m - height_fraction * (1.0 + 2.0 * m);
    if !(height_fraction.is_finite() && room >= 0.5 * (1.0 + 2.0 * m)) {
        return None;
    }
    let extent = data.max[1] - data.min[1];
    let extent = if extent > 0.0 { extent } else { 1.0 };
    // 2% more, so data on the band's edge is clear of it too.
    let stretched = 1.02 * extent / room;
    Some(if top {
        data.min[1] + stretched
    } else {
        data.max[1] - stretched
    })
}

/// Where a plot's legend goes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Placement {
    /// Inside the plot in `corner`, with `include_y` added to the bounds (when the corner
    /// needs room made).
    Inside {
        /// The legend's corner.
        corner: Corner,
        /// A y value to include in the plot's bounds.
        include_y: Option<f64>,
    },
    /// In a row above the plot: the plot is too small for a legend inside it.
    Above,
}

/// Where a legend of `legend_size` goes in a plot whose data area is `plot_size` (both in
/// points): the emptiest corner when the legend takes at most half the width and height,
/// with [`headroom`] when that corner holds data; else above the plot.
pub fn placement(items: &[Geometry], legend_size: Vec2, plot_size: Vec2) -> Placement {
    let fraction = [
        f64::from(legend_size.x / plot_size.x.max(1.0)),
        f64::from(legend_size.y / plot_size.y.max(1.0)),
    ];
    if fraction[0] > 0.5 || fraction[1] > 0.5 {
        return Placement::Above;
    }
    let Some((data, shown)) = auto_bounds(items) else {
        return Placement::Inside {
            corner: Corner::RightTop,
            include_y: None,
        };
    };
    let (corner, count) = emptiest_corner(items, &shown, fraction);
    if count == 0 {
        return Placement::Inside {
            corner,
            include_y: None,
        };
    }
    let top = matches!(corner, Corner::LeftTop | Corner::RightTop);
    match headroom(&data, fraction[1], top) {
        Some(y) => Placement::Inside {
            corner,
            include_y: Some(y),
        },
        None => Placement::Above,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rising() -> Vec<[f64; 2]> {
        (0..=100).map(|i| [f64::from(i), f64::from(i)]).collect()
    }

    #[test]
    fn a_rising_line_leaves_the_top_left_and_bottom_right_empty() {
        let line = rising();
        let items = [Geometry::Line(&line)];
        let (_, shown) = auto_bounds(&items).unwrap();
        let (corner, count) = emptiest_corner(&items, &shown, [0.3, 0.3]);
        assert_eq!((corner, count), (Corner::LeftTop, 0));
        let top_right = data_in(&items, &corner_region(&shown, Corner::RightTop, [0.3, 0.3]));
        assert!(
            top_right > 20,
            "the top right holds the line's end: {top_right}"
        );
    }

    #[test]
    fn a_falling_curve_takes_the_legend_top_right() {
        let curve: Vec<[f64; 2]> = (0..=100)
            .map(|i| [f64::from(i), (-f64::from(i) / 20.0).exp()])
            .collect();
        let items = [Geometry::Line(&curve)];
        assert_eq!(
            placement(&items, Vec2::new(80.0, 40.0), Vec2::new(300.0, 200.0)),
            Placement::Inside {
                corner: Corner::RightTop,
                include_y: None
            }
        );
    }

    #[test]
    fn lines_and_markers_everywhere_get_headroom_that_clears_the_band() {
        // A band of noise over the whole plot: no corner is empty.
        let noise: Vec<[f64; 2]> = (0..200)
            .map(|i| [f64::from(i), f64::from((i * 37) % 11)])
            .collect();
        let marks: Vec<[f64; 2]> = vec![[10.0, 5.0], [190.0, 10.0]];
        let items = [
            Geometry::Line(&noise),
            Geometry::Points(&marks),
            Geometry::HLine(3.0),
        ];
        let legend = Vec2::new(80.0, 60.0);
        let plot = Vec2::new(300.0, 200.0);
        let Placement::Inside {
            corner,
            include_y: Some(y),
        } = placement(&items, legend, plot)
        else {
            panic!("room is made inside the plot");
        };
        // With the extra y, the band the legend takes along that edge holds nothing.
        let mut with = items.to_vec();
        let extra = [[0.0, y]];
        with.push(Geometry::Points(&extra));
        let (_, shown) = auto_bounds(&with).unwrap();
        let band = corner_region(&shown, corner, [1.0, f64::from(legend.y / plot.y)]);
        assert_eq!(data_in(&items, &band), 0, "{corner:?} {y}");
    }

    #[test]
    fn a_legend_too_big_for_the_plot_goes_above() {
        let line = rising();
        let items = [Geometry::Line(&line)];
        assert_eq!(
            placement(&items, Vec2::new(80.0, 110.0), Vec2::new(300.0, 200.0)),
            Placement::Above
        );
        assert_eq!(
            placement(&items, Vec2::new(200.0, 40.0), Vec2::new(300.0, 200.0)),
            Placement::Above
        );
    }

    #[test]
    fn segments_crossing_a_region_count_even_without_a_vertex_inside() {
        let region = Bounds {
            min: [4.0, 4.0],
            max: [6.0, 6.0],
        };
        assert!(segment_crosses(&region, [0.0, 0.0], [10.0, 10.0]));
        assert!(!segment_crosses(&region, [0.0, 10.0], [3.0, 0.0]));
        assert!(segment_crosses(&region, [5.0, 0.0], [5.0, 10.0]));
        let items = [Geometry::VLine(5.0), Geometry::HLine(7.0)];
        assert_eq!(data_in(&items, &region), 1);
    }
}
