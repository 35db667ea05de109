//! Turns the MNIST lab's numbers into plain render scenes: the convolution kernels as tiles
//! ([`filters`]), one image through every layer with the output probabilities as bars
//! ([`activations`]), and the penultimate layer's PCA cloud ([`embedding`]). Every position
//! and value comes from the snapshot; the layouts are public so tests can find each tile.

use crate::labs::mnist::analysis::{ConvFilters, Embedding, Probe};
use crate::render::{
    Anchor, Colormap, Image, Label, Line, Mesh, MeshVertex, Point, PointStyle, Scene, SceneCamera,
};

/// The colormap of weights: blue below zero, white at zero, red above.
pub const WEIGHT_COLORMAP: Colormap = Colormap::Diverging { center: 0.0 };
/// The colormap of activations.
pub const ACTIVATION_COLORMAP: Colormap = Colormap::Viridis;
/// Text color on the dark background.
pub const TEXT: [f32; 4] = [0.88, 0.88, 0.9, 1.0];
/// Background of the scenes.
pub const BACKGROUND: [f32; 4] = [0.07, 0.075, 0.09, 1.0];
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

fn label(pos: [f32; 3], text: String, anchor: Anchor) -> Label {
    Label {
        pos,
        text,
        color: TEXT,
        size_px: LABEL_PX,
        anchor,
    }
}

/// Every kernel as a `K x K` image through [`WEIGHT_COLORMAP`], symmetric about zero over
/// the layer's largest absolute weight.
pub fn filters(filters: &[ConvFilters], camera: SceneCamera) -> Scene {
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
    for (f, at) in filters.iter().zip(&layout.titles) {
        scene.labels.push(label(
            [at[0], at[1], 0.0],
            format!(
                "layer {} conv: {} outputs x {} inputs, {k}x{k} kernels, |w| <= {:.3}",
                f.layer,
                f.out_channels,
                f.in_channels,
                f.max_abs(),
                k = f.kernel
            ),
            Anchor::TopLeft,
        ));
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

/// Where one activation map (or a dense layer's values) is drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct ActivationTile {
    /// Index of the activation (0: the input).
    pub layer: usize,
    /// Channel (0 for dense layers).
    pub channel: usize,
    /// Bottom-left corner in world units.
    pub min: [f32; 2],
    /// Top-right corner.
    pub max: [f32; 2],
    /// Columns and rows of the image.
    pub size: [u32; 2],
}

/// Where the activation view draws everything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ActivationLayout {
    /// The tiles, layer after layer.
    pub tiles: Vec<ActivationTile>,
    /// Top-left of each layer's title.
    pub titles: Vec<[f32; 2]>,
    /// Bottom-left of each probability bar (its height is the probability times
    /// [`BAR_HEIGHT`]).
    pub bars: Vec<[f32; 2]>,
    /// Bottom-left of everything.
    pub min: [f32; 2],
    /// Top-right of everything.
    pub max: [f32; 2],
}

/// Height of a probability bar of 1.
pub const BAR_HEIGHT: f32 = 3.0;
/// Widest row of the activation view in world units.
const ROW_WIDTH: f32 = 18.0;
/// Width of one feature map in world units.
const MAP_SIDE: f32 = 1.6;
/// Gap between feature maps.
const MAP_GAP: f32 = 0.15;
/// Values per row of a dense layer's strip.
const DENSE_COLUMNS: usize = 32;

/// Lays out one probe: a block per activation from the input down, in two columns; the
/// probability bars at the bottom of the second.
pub fn activation_layout(probe: &Probe) -> ActivationLayout {
    let blocks: Vec<(Vec<ActivationTile>, f32)> = probe
        .layers
        .iter()
        .enumerate()
        .map(|(layer, a)| activation_block(layer, &a.shape))
        .collect();
    // Two columns of blocks, the second starting once the first holds half the height.
    let total: f32 = blocks.iter().map(|b| b.1).sum();
    let mut layout = ActivationLayout::default();
    let (mut x0, mut top, mut bottom) = (0.0f32, 0.0f32, 0.0f32);
    for (tiles, height) in blocks {
        if x0 == 0.0 && top < 0.0 && -top + height / 2.0 > total / 2.0 {
            (x0, top) = (ROW_WIDTH + 2.0, 0.0);
        }
        layout.titles.push([x0, top]);
        layout
            .tiles
            .extend(tiles.into_iter().map(|t| ActivationTile {
                min: [t.min[0] + x0, t.min[1] + top],
                max: [t.max[0] + x0, t.max[1] + top],
                ..t
            }));
        top -= height;
        bottom = bottom.min(top);
    }
    top -= 1.2 + BAR_HEIGHT;
    for d in 0..probe.probabilities.len() {
        layout.bars.push([x0 + d as f32 * 1.8, top]);
    }
    layout.min = [0.0, bottom.min(top) - 1.0];
    layout.max = [x0 + ROW_WIDTH, 0.0];
    layout
}

/// The tiles of one activation below a title, with their top at 0, and the block's height:
/// maps side by side wrapping at [`ROW_WIDTH`]; dense layers as a strip of
/// [`DENSE_COLUMNS`] values a row.
fn activation_block(layer: usize, shape: &[usize]) -> (Vec<ActivationTile>, f32) {
    let mut tiles = Vec::new();
    let top = -0.9;
    let height = match *shape {
        [c, h, w] => {
            let tile_h = MAP_SIDE * h as f32 / w.max(1) as f32;
            let step = MAP_SIDE + MAP_GAP;
            let per_row = ((ROW_WIDTH / step) as usize).clamp(1, c.max(1));
            for ch in 0..c {
                let (row, col) = (ch / per_row, ch % per_row);
                let x = col as f32 * step;
                let y = top - row as f32 * (tile_h + MAP_GAP);
                tiles.push(ActivationTile {
                    layer,
                    channel: ch,
                    min: [x, y - tile_h],
                    max: [x + MAP_SIDE, y],
                    size: [w as u32, h as u32],
                });
            }
            c.div_ceil(per_row) as f32 * (tile_h + MAP_GAP) + 0.3
        }
        _ => {
            let n: usize = shape.iter().product::<usize>().max(1);
            let cols = n.min(DENSE_COLUMNS);
            let rows = n.div_ceil(cols);
            let cell = (ROW_WIDTH / DENSE_COLUMNS as f32).min(0.9);
            tiles.push(ActivationTile {
                layer,
                channel: 0,
                min: [0.0, top - rows as f32 * cell],
                max: [cols as f32 * cell, top],
                size: [cols as u32, rows as u32],
            });
            rows as f32 * cell + 0.3
        }
    };
    (tiles, 0.9 + height)
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

/// Every activation of `probe` as heatmaps through [`ACTIVATION_COLORMAP`] (each layer over
/// its own [`activation_range`]) and the output probabilities as bars (true class green,
/// predicted class orange when wrong or when there is no true class).
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
                0.0,
                tile.size[0],
                tile.size[1],
                tile_values(probe, tile),
            )
            .with_colormap(ACTIVATION_COLORMAP, range),
        );
    }
    for (a, at) in probe.layers.iter().zip(&layout.titles) {
        let (lo, hi) = activation_range(&a.values);
        let shape: Vec<String> = a.shape.iter().map(usize::to_string).collect();
        scene.labels.push(label(
            [at[0], at[1], 0.0],
            format!("{} {}  [{lo:.2}, {hi:.2}]", a.name, shape.join("x")),
            Anchor::TopLeft,
        ));
    }
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
        push_quad(&mut mesh, [at[0], at[1]], [at[0] + 1.0, at[1] + h], color);
        scene.labels.push(label(
            [at[0] + 0.5, at[1] - 0.1, 0.0],
            d.to_string(),
            Anchor::Top,
        ));
        if p >= 0.005 {
            scene.labels.push(label(
                [at[0] + 0.5, at[1] + h + 0.1, 0.0],
                format!("{p:.2}"),
                Anchor::Bottom,
            ));
        }
    }
    let base = layout.bars.first().copied().unwrap_or([0.0, 0.0]);
    scene.lines.push(Line {
        a: [base[0], base[1], 0.0],
        b: [base[0] + 18.0, base[1], 0.0],
        color: TEXT,
        width_px: 1.0,
    });
    scene.meshes.push(mesh);
    scene
}

fn push_quad(mesh: &mut Mesh, min: [f32; 2], max: [f32; 2], color: [f32; 4]) {
    let base = mesh.vertices.len() as u32;
    for pos in [
        [min[0], min[1], 0.0],
        [max[0], min[1], 0.0],
        [max[0], max[1], 0.0],
        [min[0], max[1], 0.0],
    ] {
        mesh.vertices.push(MeshVertex { pos, color });
    }
    mesh.indices
        .extend([base, base + 1, base + 2, base, base + 2, base + 3]);
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
