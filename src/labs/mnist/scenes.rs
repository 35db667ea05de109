//! Turns the MNIST lab's numbers into plain render scenes: the convolution kernels as tiles
//! ([`filters`]), one image through every layer as a 3D stack of heatmap slabs with the
//! strongest contributions to the prediction and the output probabilities as bars
//! ([`activations`]), and the penultimate layer's PCA cloud ([`embedding`]). Every position
//! and value comes from the snapshot; the layouts are public so tests can find each tile.
//!
//! (Over 600 lines: three scenes and the layouts the tests use to find each tile, kept side
//! by side so a layout and the scene built from it cannot drift apart.)

use crate::labs::mnist::analysis::{ConvFilters, Embedding, Probe};
pub use crate::labs::style::{BACKGROUND, TEXT};
use crate::render::scene::LabelRole;
use crate::render::{
    Anchor, Colormap, Image, Label, Line, Mesh, Point, PointStyle, Scene, SceneCamera,
};

/// The colormap of weights: blue below zero, white at zero, red above.
pub const WEIGHT_COLORMAP: Colormap = Colormap::Diverging { center: 0.0 };
/// The colormap of activations.
pub const ACTIVATION_COLORMAP: Colormap = Colormap::Viridis;
/// One color per digit (matplotlib's tab10).
pub const CLASS_COLORS: [[f32; 4]; 10] = [
    [0.12, 0.47, 0.71, 1.0],
    [1.0, 0.50, 0.05, 1.0],
    [0.17, 0.63, 0.17, 1.0],
    [0.84, 0.15, 0.16, 1.0],
    [0.58, 0.40, 0.74, 1.0],
    [0.55, 0.34, 0.29, 1.0],
    [0.89, 0.47, 0.76, 1.0],
    [0.60, 0.60, 0.60, 1.0],
    [0.74, 0.74, 0.13, 1.0],
    [0.09, 0.75, 0.81, 1.0],
];

const TILE_GAP: f32 = 0.15;
const GROUP_GAP: f32 = 0.6;
const ROW_GAP: f32 = 0.35;
const LAYER_GAP: f32 = 1.4;
const LABEL_PX: f32 = 13.0;
/// Smallest size a label is drawn at, in points.
const MIN_LABEL_PX: f32 = 7.0;

/// Where one kernel is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FilterTile {
    /// Index into the filters list.
    pub conv: usize,
    /// Output channel.
    pub out: usize,
    /// Input channel.
    pub input: usize,
    /// Bottom-left corner in world units.
    pub min: [f32; 2],
    /// Top-right corner.
    pub max: [f32; 2],
}

/// Every kernel's tile and each layer's title position.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FilterLayout {
    /// The tiles, layer after layer, output channel after output channel.
    pub tiles: Vec<FilterTile>,
    /// Top-left of each layer's title.
    pub titles: Vec<[f32; 2]>,
    /// Bottom-left of everything.
    pub min: [f32; 2],
    /// Top-right of everything.
    pub max: [f32; 2],
}

/// Lays the kernels out: each layer is a block below the previous one; inside it, each
/// output channel is a group of its input channels' tiles side by side, the groups wrapping
/// so a block is about 16 tiles wide.
pub fn filter_layout(filters: &[ConvFilters]) -> FilterLayout {
    let mut layout = FilterLayout::default();
    let mut top = 0.0f32;
    let mut width = 1.0f32;
    for (conv, f) in filters.iter().enumerate() {
        layout.titles.push([0.0, top]);
        top -= LAYER_GAP;
        let per_row = 16usize
            .div_ceil(f.in_channels)
            .clamp(1, f.out_channels.max(1));
        let group_width = f.in_channels as f32 * (1.0 + TILE_GAP) - TILE_GAP;
        for o in 0..f.out_channels {
            let (row, col) = (o / per_row, o % per_row);
            let y_top = top - row as f32 * (1.0 + ROW_GAP);
            let x0 = col as f32 * (group_width + GROUP_GAP);
            for c in 0..f.in_channels {
                let x = x0 + c as f32 * (1.0 + TILE_GAP);
                layout.tiles.push(FilterTile {
                    conv,
                    out: o,
                    input: c,
                    min: [x, y_top - 1.0],
                    max: [x + 1.0, y_top],
                });
                width = width.max(x + 1.0);
            }
        }
        let rows = f.out_channels.div_ceil(per_row);
        top -= rows as f32 * (1.0 + ROW_GAP) + 0.3;
    }
    layout.min = [0.0, top.min(-1.0)];
    layout.max = [width, 0.0];
    layout
}

fn label(pos: [f32; 3], text: String, anchor: Anchor, role: LabelRole) -> Label {
    Label {
        pos,
        text,
        color: TEXT,
        size_px: LABEL_PX,
        anchor,
        role,
    }
}

/// The layer titles of the filters view, longest first.
fn filter_titles(f: &ConvFilters) -> [String; 4] {
    let (layer, out, input, k) = (f.layer, f.out_channels, f.in_channels, f.kernel);
    let max = f.max_abs();
    [
        format!(
            "layer {layer} conv: {out} outputs x {input} inputs, {k}x{k} kernels, |w| <= {max:.3}"
        ),
        format!("layer {layer} conv: {out} x {input} kernels {k}x{k}, |w| <= {max:.3}"),
        format!("layer {layer} conv {out} x {input} x {k}x{k}"),
        format!("layer {layer}"),
    ]
}

/// Every kernel as a `K x K` image through [`WEIGHT_COLORMAP`] (see [`filters_fitted`]),
/// with the full titles.
pub fn filters(filters: &[ConvFilters], camera: SceneCamera) -> Scene {
    filters_fitted(filters, camera, f32::INFINITY)
}

/// Every kernel as a `K x K` image through [`WEIGHT_COLORMAP`], symmetric about zero over
/// the layer's largest absolute weight, each layer under a title. `unit_pt` is the size of
/// a world unit (a tile) on screen in points: each title takes the longest wording that fits
/// the tiles' width, at a size that fits the gap above its tiles (none when too small).
pub fn filters_fitted(filters: &[ConvFilters], camera: SceneCamera, unit_pt: f32) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    let layout = filter_layout(filters);
    for tile in &layout.tiles {
        let f = &filters[tile.conv];
        let m = f.max_abs();
        let k = f.kernel as u32;
        scene.images.push(
            Image::in_rect(
                tile.min,
                tile.max,
                0.0,
                k,
                k,
                f.kernel_of(tile.out, tile.input).to_vec(),
            )
            .with_colormap(WEIGHT_COLORMAP, (-m, m)),
        );
    }
    // The title fills the gap above its tiles, less a little room.
    let size = (LABEL_PX).min((LAYER_GAP * unit_pt - 3.0) / 1.15);
    let width_pt = (layout.max[0] - layout.min[0]) * unit_pt;
    for (f, at) in filters.iter().zip(&layout.titles) {
        if size < MIN_LABEL_PX {
            break;
        }
        if let Some(title) = crate::labs::longest_fitting(&filter_titles(f), size, width_pt) {
            let mut title = label(
                [at[0], at[1], 0.0],
                title.to_string(),
                Anchor::TopLeft,
                LabelRole::Title,
            );
            title.size_px = size;
            scene.labels.push(title);
        }
    }
    scene
}

/// The tile of `layout` under `pos_px` (pixels from the top-left of a `viewport_px`
/// viewport seen through `camera`), if any.
pub fn filter_tile_at(
    layout: &FilterLayout,
    camera: &SceneCamera,
    viewport_px: glam::Vec2,
    pos_px: glam::Vec2,
) -> Option<FilterTile> {
    layout.tiles.iter().copied().find(|t| {
        let corner = |x: f32, y: f32| camera.project(glam::Vec3::new(x, y, 0.0), viewport_px);
        let (Some(a), Some(b)) = (corner(t.min[0], t.min[1]), corner(t.max[0], t.max[1])) else {
            return false;
        };
        let (lo, hi) = (a.min(b), a.max(b));
        pos_px.cmpge(lo).all() && pos_px.cmple(hi).all()
    })
}

/// The weights of `tile`'s kernel in words: the layer, the output and input channel, the
/// `K x K` values row by row and the output channel's bias.
pub fn filter_text(filters: &[ConvFilters], tile: &FilterTile) -> String {
    let f = &filters[tile.conv];
    let mut text = format!(
        "layer {} conv, output {}, input {}: {k}x{k} weights",
        f.layer,
        tile.out,
        tile.input,
        k = f.kernel
    );
    for row in f.kernel_of(tile.out, tile.input).chunks(f.kernel.max(1)) {
        let row: Vec<String> = row.iter().map(|w| format!("{w:+.4}")).collect();
        text.push('\n');
        text.push_str(&row.join(" "));
    }
    let bias = f.bias.get(tile.out).copied().unwrap_or(0.0);
    text.push_str(&format!("\nbias {bias:+.4}"));
    text
}

/// Where one activation map (or a dense layer's values) is drawn: a rectangle in the plane
/// `z = z` facing +z.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivationTile {
    /// Index of the activation (0: the input).
    pub layer: usize,
    /// Channel (0 for dense layers).
    pub channel: usize,
    /// Bottom-left corner in world units (x, y).
    pub min: [f32; 2],
    /// Top-right corner.
    pub max: [f32; 2],
    /// Depth of the layer's slab.
    pub z: f32,
    /// Columns and rows of the image.
    pub size: [u32; 2],
}

impl ActivationTile {
    /// The world position of the center of texel (`col`, `row`), row 0 at the top.
    pub fn texel_center(&self, col: u32, row: u32) -> [f32; 3] {
        let w = (self.max[0] - self.min[0]) / self.size[0] as f32;
        let h = (self.max[1] - self.min[1]) / self.size[1] as f32;
        [
            self.min[0] + (col as f32 + 0.5) * w,
            self.max[1] - (row as f32 + 0.5) * h,
            self.z,
        ]
    }
}

/// Where the activation view draws everything: one slab per activation, stacked along -z
/// (the input in front), each centered on the z axis.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ActivationLayout {
    /// The tiles, layer after layer.
    pub tiles: Vec<ActivationTile>,
    /// Each layer's slab: bottom-left and top-right corners (x, y) and its depth.
    pub slabs: Vec<([f32; 2], [f32; 2], f32)>,
    /// Bottom-left of each probability bar, in the output slab (its height is the
    /// probability times [`BAR_HEIGHT`], its width [`BAR_WIDTH`]).
    pub bars: Vec<[f32; 3]>,
    /// The corner of the bounding box with the smallest coordinates.
    pub min: [f32; 3],
    /// The opposite corner.
    pub max: [f32; 3],
}

impl ActivationLayout {
    /// The world position of value `index` (row-major over the activation's shape) of
    /// activation `layer`: the center of its texel.
    pub fn neuron(&self, layer: usize, index: usize) -> Option<[f32; 3]> {
        let first = self.tiles.iter().position(|t| t.layer == layer)?;
        let per_tile = (self.tiles[first].size[0] * self.tiles[first].size[1]) as usize;
        let tile = self.tiles.get(first + index / per_tile.max(1))?;
        if tile.layer != layer {
            return None;
        }
        let within = (index % per_tile.max(1)) as u32;
        Some(tile.texel_center(within % tile.size[0], within / tile.size[0]))
    }
}

/// Height of a probability bar of 1.
pub const BAR_HEIGHT: f32 = 3.0;
/// Width of a probability bar.
pub const BAR_WIDTH: f32 = 0.5;
/// The least distance between two layers' slabs; wider slabs lie farther apart (by
/// [`STEP_PER_WIDTH`] times the wider one's width) so the view sees between them.
pub const LAYER_STEP: f32 = 2.0;
/// Extra distance between two slabs per unit of the wider one's width.
const STEP_PER_WIDTH: f32 = 0.6;
/// How many contributions to the predicted class are drawn.
pub const TOP_K: usize = 12;
/// World size of one activation texel (maps are kept between [`MIN_MAP`] and [`MAX_MAP`]).
const TEXEL: f32 = 0.25;
const MIN_MAP: f32 = 1.0;
const MAX_MAP: f32 = 4.0;
/// Side of one dense value (of a layer of at most [`DENSE_COLUMNS`] values: [`SHORT_CELL`]).
const DENSE_CELL: f32 = 0.5;
const SHORT_CELL: f32 = 0.8;
/// Values per row of a dense layer's strip.
const DENSE_COLUMNS: usize = 16;

/// Lays out one probe (see [`ActivationLayout`]): a layer's channels tiled in a square-ish
/// grid, a dense layer as a strip of [`DENSE_COLUMNS`] values a row, the probability bars
/// standing on the output strip (bar `d` above value `d`).
pub fn activation_layout(probe: &Probe) -> ActivationLayout {
    let mut layout = ActivationLayout {
        min: [f32::INFINITY; 3],
        max: [f32::NEG_INFINITY; 3],
        ..ActivationLayout::default()
    };
    for (layer, a) in probe.layers.iter().enumerate() {
        let mut tiles = Vec::new();
        match a.shape[..] {
            [c, h, w] => {
                let side = (w as f32 * TEXEL).clamp(MIN_MAP, MAX_MAP);
                let tile_h = side * h as f32 / w.max(1) as f32;
                let gap = 0.12 * side;
                let cols = (c as f32).sqrt().ceil().max(1.0) as usize;
                for ch in 0..c {
                    let (row, col) = (ch / cols, ch % cols);
                    let x = col as f32 * (side + gap);
                    let y = -(row as f32) * (tile_h + gap);
                    tiles.push(ActivationTile {
                        layer,
                        channel: ch,
                        min: [x, y - tile_h],
                        max: [x + side, y],
                        z: 0.0,
                        size: [w as u32, h as u32],
                    });
                }
            }
            _ => {
                let n: usize = a.shape.iter().product::<usize>().max(1);
                let cols = n.min(DENSE_COLUMNS);
                let rows = n.div_ceil(cols);
                let cell = if rows == 1 { SHORT_CELL } else { DENSE_CELL };
                tiles.push(ActivationTile {
                    layer,
                    channel: 0,
                    min: [0.0, -(rows as f32) * cell],
                    max: [cols as f32 * cell, 0.0],
                    z: 0.0,
                    size: [cols as u32, rows as u32],
                });
            }
        }
        // Center the slab on the z axis.
        let lo = tiles.iter().fold([f32::INFINITY; 2], |m, t| {
            [m[0].min(t.min[0]), m[1].min(t.min[1])]
        });
        let hi = tiles.iter().fold([f32::NEG_INFINITY; 2], |m, t| {
            [m[0].max(t.max[0]), m[1].max(t.max[1])]
        });
        let shift = [-(lo[0] + hi[0]) / 2.0, -(lo[1] + hi[1]) / 2.0];
        for t in &mut tiles {
            for (k, d) in shift.iter().enumerate() {
                t.min[k] += d;
                t.max[k] += d;
            }
        }
        let (lo, hi) = (
            [lo[0] + shift[0], lo[1] + shift[1]],
            [hi[0] + shift[0], hi[1] + shift[1]],
        );
        let z = match layout.slabs.last() {
            None => 0.0,
            Some(&(plo, phi, pz)) => {
                pz - LAYER_STEP - STEP_PER_WIDTH * (phi[0] - plo[0]).max(hi[0] - lo[0])
            }
        };
        for t in &mut tiles {
            t.z = z;
        }
        layout.slabs.push((lo, hi, z));
        layout.tiles.extend(tiles);
        let mut top = hi[1];
        if layer + 1 == probe.layers.len() {
            let cell = (hi[0] - lo[0]) / probe.probabilities.len().max(1) as f32;
            for d in 0..probe.probabilities.len() {
                let x = lo[0] + (d as f32 + 0.5) * cell - BAR_WIDTH / 2.0;
                layout.bars.push([x, hi[1] + 0.2, z]);
            }
            top += 0.2 + BAR_HEIGHT;
        }
        for (k, v) in [lo[0], lo[1] - 0.6, z].into_iter().enumerate() {
            layout.min[k] = layout.min[k].min(v);
        }
        for (k, v) in [hi[0], top + 0.6, z].into_iter().enumerate() {
            layout.max[k] = layout.max[k].max(v);
        }
    }
    if probe.layers.is_empty() {
        (layout.min, layout.max) = ([-1.0; 3], [1.0; 3]);
    }
    layout
}

/// The value range an activation is drawn over: from `min(0, lowest)` to the highest value.
pub fn activation_range(values: &[f32]) -> (f32, f32) {
    let lo = values.iter().copied().fold(0.0f32, f32::min);
    let hi = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    (lo, hi.max(lo + 1e-6))
}

/// The image's values of `tile`: the channel's map, or a dense layer's values padded with
/// the range's low end to whole rows.
pub fn tile_values(probe: &Probe, tile: &ActivationTile) -> Vec<f32> {
    let a = &probe.layers[tile.layer];
    let n = (tile.size[0] * tile.size[1]) as usize;
    if a.shape.len() == 3 {
        a.values[tile.channel * n..(tile.channel + 1) * n].to_vec()
    } else {
        let low = activation_range(&a.values).0;
        let mut v = a.values.clone();
        v.resize(n, low);
        v
    }
}

/// One term `weight x activation` of a dense layer's output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Contribution {
    /// Activation index of the input (the dense layer's index in the model).
    pub from_layer: usize,
    /// Index of the input value.
    pub from: usize,
    /// Index of the output value (in activation `from_layer + 1`).
    pub to: usize,
    /// `weight[to, from] * input[from]`.
    pub value: f32,
}

/// The [`TOP_K`] largest terms `weight x activation` into the predicted class of the
/// model's last dense layer, largest first (ties: lower input first); none without one.
pub fn top_contributions(probe: &Probe) -> Vec<Contribution> {
    let Some(d) = &probe.last_dense else {
        return Vec::new();
    };
    let to = probe.predicted();
    let Some(input) = probe.layers.get(d.layer) else {
        return Vec::new();
    };
    if to >= d.outputs || input.values.len() != d.inputs {
        return Vec::new();
    }
    let mut terms: Vec<Contribution> = d
        .row(to)
        .iter()
        .zip(&input.values)
        .enumerate()
        .map(|(from, (w, a))| Contribution {
            from_layer: d.layer,
            from,
            to,
            value: w * a,
        })
        .collect();
    terms.sort_by(|a, b| b.value.total_cmp(&a.value).then(a.from.cmp(&b.from)));
    terms.truncate(TOP_K);
    terms
}

/// The color of a contribution line: orange for a positive term, blue for a negative one.
pub fn contribution_color(value: f32) -> [f32; 4] {
    if value >= 0.0 {
        [1.0, 0.62, 0.18, 1.0]
    } else {
        [0.35, 0.6, 1.0, 1.0]
    }
}

/// The lines of `contributions`: from the input value's texel center to the output value's,
/// 1 to 4 pixels wide by the term's size relative to the largest.
pub fn contribution_lines(layout: &ActivationLayout, contributions: &[Contribution]) -> Vec<Line> {
    let largest = contributions
        .iter()
        .fold(1e-12f32, |m, c| m.max(c.value.abs()));
    contributions
        .iter()
        .filter_map(|c| {
            Some(Line {
                a: layout.neuron(c.from_layer, c.from)?,
                b: layout.neuron(c.from_layer + 1, c.to)?,
                color: contribution_color(c.value),
                width_px: 1.0 + 3.0 * c.value.abs() / largest,
            })
        })
        .collect()
}

/// Every activation of `probe` as heatmaps through [`ACTIVATION_COLORMAP`] (each layer over
/// its own [`activation_range`]) in slabs stacked in depth (see [`activation_layout`]), each
/// named with its shape; the [`top_contributions`] as lines (and nothing else:
/// `lines` holds exactly [`contribution_lines`]); the output probabilities as bars on the
/// output slab (true class green, predicted class orange when wrong or when there is no
/// true class), those of at least 0.05 with their digit and value; every layer's name
/// alternates above and below its slab (the last one's below, the bars above it).
pub fn activations(probe: &Probe, camera: SceneCamera) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    let layout = activation_layout(probe);
    for tile in &layout.tiles {
        let range = activation_range(&probe.layers[tile.layer].values);
        scene.images.push(
            Image::in_rect(
                tile.min,
                tile.max,
                tile.z,
                tile.size[0],
                tile.size[1],
                tile_values(probe, tile),
            )
            .with_colormap(ACTIVATION_COLORMAP, range),
        );
    }
    for (layer, (a, (lo, hi, z))) in probe.layers.iter().zip(&layout.slabs).enumerate() {
        let shape: Vec<String> = a.shape.iter().map(usize::to_string).collect();
        let text = format!("{} {}", a.name, shape.join("x"));
        // Above and below in turn, so neighbouring names do not run into each other.
        let (at, anchor) = if layer % 2 == 0 && layer + 1 < probe.layers.len() {
            ([lo[0], hi[1] + 0.15, *z], Anchor::BottomLeft)
        } else {
            ([lo[0], lo[1] - 0.15, *z], Anchor::TopLeft)
        };
        scene.labels.push(label(at, text, anchor, LabelRole::Title));
    }
    scene.lines = contribution_lines(&layout, &top_contributions(probe));
    let predicted = probe.predicted();
    let mut mesh = Mesh::default();
    for (d, (&p, at)) in probe.probabilities.iter().zip(&layout.bars).enumerate() {
        let color = if probe.label == Some(d as u8) {
            [0.30, 0.80, 0.35, 1.0]
        } else if d == predicted {
            [0.95, 0.55, 0.15, 1.0]
        } else {
            [0.55, 0.57, 0.62, 1.0]
        };
        let h = p.clamp(0.0, 1.0) * BAR_HEIGHT;
        mesh.push_rect(
            [at[0], at[1]],
            [at[0] + BAR_WIDTH, at[1] + h.max(0.02)],
            at[2],
            color,
        );
        if p >= 0.05 {
            scene.labels.push(label(
                [at[0] + BAR_WIDTH / 2.0, at[1] + h + 0.1, at[2]],
                format!("{d}: {p:.2}"),
                Anchor::Bottom,
                LabelRole::Data,
            ));
        }
    }
    scene.meshes.push(mesh);
    scene
}

/// The embedding's points (divided by [`Embedding::scale`], so the cloud fills the box
/// `[-1, 1]^3`) colored by true class; misclassified ones carry a white cross.
pub fn embedding(emb: &Embedding, camera: SceneCamera) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    let s = emb.scale();
    let arm = 0.025;
    for ((p, &truth), &pred) in emb.points.iter().zip(&emb.labels).zip(&emb.predicted) {
        let pos = [p[0] / s, p[1] / s, p[2] / s];
        scene.points.push(Point {
            pos,
            color: CLASS_COLORS[usize::from(truth) % 10],
            radius_px: 3.0,
            style: PointStyle::Sphere,
        });
        if truth != pred {
            for k in 0..3 {
                let (mut a, mut b) = (pos, pos);
                a[k] -= arm;
                b[k] += arm;
                scene.lines.push(Line {
                    a,
                    b,
                    color: [1.0, 1.0, 1.0, 0.9],
                    width_px: 1.5,
                });
            }
        }
    }
    let total = emb.pca.total_variance.max(1e-12);
    for (k, v) in emb.pca.variances.iter().enumerate() {
        let mut at = [0.0; 3];
        at[k] = 1.1;
        scene.labels.push(label(
            at,
            format!("PC{} {:.0}%", k + 1, 100.0 * v / total),
            Anchor::Center,
            LabelRole::AxisName,
        ));
        let mut end = [0.0; 3];
        end[k] = 1.0;
        scene.lines.push(Line {
            a: [0.0; 3],
            b: end,
            color: [0.5, 0.5, 0.55, 1.0],
            width_px: 1.0,
        });
    }
    scene
}
