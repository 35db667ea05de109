//! Plot legends that never cover data, shared by every lab's egui_plot panels.
//!
//! The labs describe what a plot will draw ([`Item`]: a name, a color and its points); a
//! [`PlotLegend`] then puts the legend where it hides nothing: in the plot's corner region
//! holding the fewest data, counted over the bounds egui_plot will choose, with headroom
//! added to the bounds when even that corner holds some (all decided in [`placement`]);
//! and when the plot is too small for a legend inside it, as a row of
//! entries above the plot. Either way a click on an entry hides or shows its series.
//! [`plot_ui`] does all of it for a list of [`Series`].

use std::collections::BTreeSet;

use egui::{Color32, Sense, TextStyle, Ui, Vec2};
use egui_plot::{Corner, HLine, Legend, Line, Plot, PlotPoints, PlotUi, Points, VLine};

pub mod placement;

pub use placement::{Geometry, Placement, placement};

/// One plotted series as the legend sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Item<'a> {
    /// The legend entry (and the series' name in egui_plot).
    pub name: &'a str,
    /// The series' color (give it to the egui_plot item too).
    pub color: Color32,
    /// What it covers.
    pub geometry: Geometry<'a>,
}

/// Colors for series on the dark theme, told apart at a glance (tab10, brightened).
pub const PALETTE: [Color32; 8] = [
    Color32::from_rgb(86, 156, 230),
    Color32::from_rgb(255, 150, 50),
    Color32::from_rgb(90, 200, 90),
    Color32::from_rgb(240, 90, 90),
    Color32::from_rgb(180, 130, 230),
    Color32::from_rgb(230, 140, 200),
    Color32::from_rgb(200, 200, 70),
    Color32::from_rgb(70, 210, 220),
];

/// Color `i` of [`PALETTE`], wrapping.
pub fn palette(i: usize) -> Color32 {
    PALETTE[i % PALETTE.len()]
}

/// The text style of legend entries.
pub const LEGEND_TEXT: TextStyle = TextStyle::Small;
/// Room egui_plot takes for its axes beside and under the data area, in points (about).
const AXES_PT: Vec2 = Vec2::new(48.0, 30.0);

/// A plot's legend, placed so it covers no data (see the module docs).
#[derive(Clone, Debug)]
pub struct PlotLegend {
    placement: Placement,
    hidden: BTreeSet<String>,
    /// Height left for the plot, in points.
    pub plot_height: f32,
}

impl PlotLegend {
    /// Decides where the legend of `items` goes for a plot `height` points high taking the
    /// width left in `ui`; when it goes above the plot, draws it there (clicking an entry
    /// hides or shows its series; `id_salt` keeps that choice) and leaves the rest of
    /// `height` to the plot.
    pub fn ui(ui: &mut Ui, id_salt: &str, height: f32, items: &[Item]) -> Self {
        let plot_size = Vec2::new(ui.available_width(), height) - AXES_PT;
        let legend_size = legend_size(ui, items);
        let geometry: Vec<Geometry> = items.iter().map(|i| i.geometry).collect();
        let placement = if items.is_empty() {
            Placement::Inside {
                corner: Corner::RightTop,
                include_y: None,
            }
        } else {
            placement(&geometry, legend_size, plot_size)
        };
        let mut legend = PlotLegend {
            placement,
            hidden: BTreeSet::new(),
            plot_height: height,
        };
        if placement == Placement::Above {
            let id = ui.scope_id().with(("netviz-legend", id_salt));
            let mut hidden: BTreeSet<String> = ui.data(|d| d.get_temp(id)).unwrap_or_default();
            let top = ui.cursor().top();
            ui.horizontal_wrapped(|ui| {
                ui.spacing_mut().item_spacing.x = 10.0;
                for item in items {
                    let shown = !hidden.contains(item.name);
                    if entry_ui(ui, item, shown).clicked() && !hidden.remove(item.name) {
                        hidden.insert(item.name.to_string());
                    }
                }
            });
            legend.plot_height = (height - (ui.cursor().top() - top)).max(40.0);
            ui.data_mut(|d| d.insert_temp(id, hidden.clone()));
            legend.hidden = hidden;
        }
        legend
    }

    /// Where the legend went.
    pub fn placement(&self) -> Placement {
        self.placement
    }

    /// `plot` with the legend in its corner and the headroom it needs (unchanged when the
    /// legend is above the plot).
    pub fn apply<'a>(&self, plot: Plot<'a>) -> Plot<'a> {
        match self.placement {
            Placement::Inside { corner, include_y } => {
                let plot = plot.legend(
                    Legend::default()
                        .position(corner)
                        .text_style(LEGEND_TEXT)
                        .follow_insertion_order(true),
                );
                match include_y {
                    Some(y) => plot.include_y(y),
                    None => plot,
                }
            }
            Placement::Above => plot,
        }
    }

    /// Whether the series `name` is to be drawn (not hidden from the row above the plot;
    /// a legend inside the plot hides series by itself).
    pub fn shows(&self, name: &str) -> bool {
        !self.hidden.contains(name)
    }
}

/// The size egui_plot's legend of `items` takes, with its frame and padding.
fn legend_size(ui: &Ui, items: &[Item]) -> Vec2 {
    let font = LEGEND_TEXT.resolve(ui.style());
    let mut width = 0.0f32;
    let mut height = 0.0f32;
    for item in items {
        let size = ui.fonts_mut(|f| {
            f.layout_no_wrap(item.name.to_string(), font.clone(), Color32::WHITE)
                .size()
        });
        // The entry's dot is as wide as a row is high, plus a fifth of that.
        width = width.max(size.x + size.y * 1.2);
        height += size.y;
    }
    let spacing = ui.spacing().item_spacing.y * items.len().saturating_sub(1) as f32;
    // egui_plot: 4 points around the legend, an 8 x 4 point inner margin, a 1 point stroke.
    Vec2::new(
        width + 2.0 * (4.0 + 8.0 + 1.0),
        height + spacing + 2.0 * (4.0 + 4.0 + 1.0),
    )
}

/// One entry of the row above a plot: a dot in the series' color (hollow when hidden) and the
/// name.
fn entry_ui(ui: &mut Ui, item: &Item, shown: bool) -> egui::Response {
    let font = LEGEND_TEXT.resolve(ui.style());
    let text_color = if shown {
        ui.visuals().text_color()
    } else {
        ui.visuals().weak_text_color()
    };
    let galley = ui.fonts_mut(|f| f.layout_no_wrap(item.name.to_string(), font, text_color));
    let dot = galley.size().y;
    let size = Vec2::new(dot * 1.2 + galley.size().x, galley.size().y);
    let (rect, response) = ui.allocate_exact_size(size, Sense::click());
    let center = egui::pos2(rect.left() + dot * 0.5, rect.center().y);
    if shown {
        ui.painter().circle_filled(center, dot * 0.3, item.color);
    } else {
        ui.painter()
            .circle_stroke(center, dot * 0.3, egui::Stroke::new(1.0, item.color));
    }
    ui.painter().galley(
        egui::pos2(rect.left() + dot * 1.2, rect.top()),
        galley,
        text_color,
    );
    response
        .widget_info(|| egui::WidgetInfo::selected(egui::Role::CheckBox, true, shown, item.name));
    response.on_hover_text(if shown {
        "click to hide"
    } else {
        "click to show"
    })
}

/// How a [`Series`] is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SeriesKind {
    /// A line through the points (egui_plot may draw dense stretches as a band).
    Line,
    /// A line through the points drawn as a line at any density (histogram steps).
    Steps,
    /// Markers of this radius in points.
    Points(f32),
    /// A horizontal line across the plot at this y (no points).
    HLine(f64),
    /// A vertical line across the plot at this x (no points).
    VLine(f64),
}

/// One series of a plot: its legend entry, color, points and how it is drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The legend entry.
    pub name: String,
    /// The color.
    pub color: Color32,
    /// The points, in plot coordinates (none for [`SeriesKind::HLine`] / `VLine`).
    pub points: Vec<[f64; 2]>,
    /// How it is drawn.
    pub kind: SeriesKind,
}

impl Series {
    /// A series named `name` of `kind` in `color` through `points`.
    pub fn new(
        name: impl Into<String>,
        color: Color32,
        kind: SeriesKind,
        points: impl IntoIterator<Item = [f64; 2]>,
    ) -> Self {
        Series {
            name: name.into(),
            color,
            points: points.into_iter().collect(),
            kind,
        }
    }

    /// What the legend placement sees of it.
    pub fn item(&self) -> Item<'_> {
        Item {
            name: &self.name,
            color: self.color,
            geometry: match self.kind {
                SeriesKind::Line | SeriesKind::Steps => Geometry::Line(&self.points),
                SeriesKind::Points(_) => Geometry::Points(&self.points),
                SeriesKind::HLine(y) => Geometry::HLine(y),
                SeriesKind::VLine(x) => Geometry::VLine(x),
            },
        }
    }

    /// Adds it to a plot being built.
    pub fn add_to(self, plot: &mut PlotUi<'_>) {
        let points = PlotPoints::from(self.points);
        match self.kind {
            SeriesKind::Line => plot.line(Line::new(self.name, points).color(self.color)),
            SeriesKind::Steps => plot.line(
                Line::new(self.name, points)
                    .color(self.color)
                    .allow_band(false),
            ),
            SeriesKind::Points(radius) => plot.points(
                Points::new(self.name, points)
                    .color(self.color)
                    .radius(radius),
            ),
            SeriesKind::HLine(y) => plot.hline(HLine::new(self.name, y).color(self.color)),
            SeriesKind::VLine(x) => plot.vline(VLine::new(self.name, x).color(self.color)),
        }
    }
}

/// Draws `plot` (axes and names set by the caller) `height` points high with `series`, its
/// legend placed by [`PlotLegend`] (`id_salt` tells the legends of one panel apart).
/// Scrolling over the plot scrolls the panel, it does not pan the plot.
pub fn plot_ui(ui: &mut Ui, plot: Plot<'_>, id_salt: &str, height: f32, series: Vec<Series>) {
    let items: Vec<Item> = series.iter().map(Series::item).collect();
    let legend = PlotLegend::ui(ui, id_salt, height, &items);
    let shown: Vec<Series> = series
        .into_iter()
        .filter(|s| legend.shows(&s.name))
        .collect();
    legend
        .apply(plot.height(legend.plot_height).allow_scroll(false))
        .show(ui, move |plot| {
            for s in shown {
                s.add_to(plot);
            }
        });
}

/// The height of `text` as a wrapped label in the width left in `ui`, in points.
pub fn label_height(ui: &Ui, text: &str) -> f32 {
    let font = TextStyle::Body.resolve(ui.style());
    let width = ui.available_width();
    ui.fonts_mut(|f| {
        f.layout(text.to_string(), font, Color32::WHITE, width)
            .size()
            .y
    })
}
