//! The network diagram: every layer as a column of neurons filled with their activation,
//! edges colored by sign and thick by magnitude, each hidden neuron's activation over the
//! input plane beside it, and the numbers at every neuron (while the columns leave room).

use super::{BACKGROUND, CLASS0, CLASS1, label, prob_color, push_point};
use crate::labs::xor::snapshot::{HEATMAP_CELLS, PointValues, XorSnapshot};
use crate::nn::plane::{ParamId, ParamKind};
use crate::nn::xor::Activation;
use crate::render::scene::LabelRole;
use crate::render::{Anchor, Colormap, Image, Line, PointStyle, Scene, SceneCamera};

/// Layout of the network diagram in its own 2D world: `(x, y)` of neuron `j` of a layer of
/// `count` neurons at column `x`.
pub fn neuron_pos(x: f32, j: usize, count: usize) -> [f32; 3] {
    let span = 0.72f32;
    let y = if count == 1 {
        0.6
    } else {
        0.96 - span * j as f32 / (count - 1) as f32
    };
    [x, y, 0.5]
}

/// World x of the input, hidden and output columns of the network diagram with one hidden
/// layer.
pub const NETWORK_COLUMNS: (f32, f32, f32) = (0.12, 0.62, 1.38);

/// World rectangle of the network diagram (for its 2D camera).
pub const NETWORK_EXTENT: ([f32; 2], [f32; 2]) = ([-0.35, -0.05], [1.95, 1.05]);

/// World x of column `c` (0 the inputs, 1 to `hidden` the hidden layers, `hidden + 1` the
/// output) of a diagram with `hidden` hidden layers; with one it is [`NETWORK_COLUMNS`].
pub fn column_x(c: usize, hidden: usize) -> f32 {
    let (xi, xh, xo) = NETWORK_COLUMNS;
    match c {
        0 => xi,
        _ if hidden <= 1 => {
            if c == 1 {
                xh
            } else {
                xo
            }
        }
        _ if c > hidden => 1.45,
        _ => 0.40 + (c - 1) as f32 * 0.78 / (hidden - 1) as f32,
    }
}

/// The parameter under `pos` (a world point of the diagram) within `reach` world units: a
/// hidden or output neuron's bias when `pos` is on the neuron, else the nearest edge's weight.
pub fn param_at(
    snap: &XorSnapshot,
    pos: [f32; 2],
    reach: f32,
    neuron_reach: f32,
) -> Option<ParamId> {
    let diagram = Diagram::new(snap, None);
    let at = glam::Vec2::from(pos);
    let layers = snap.net.layers();
    for (l, layer) in layers.iter().enumerate() {
        for to in 0..layer.outputs {
            let p = diagram.pos(l + 1, to);
            if at.distance(glam::Vec2::new(p[0], p[1])) <= neuron_reach {
                return Some(ParamId::bias(l + 1, to));
            }
        }
    }
    let mut best: Option<(f32, ParamId)> = None;
    for (l, layer) in layers.iter().enumerate() {
        for to in 0..layer.outputs {
            for from in 0..layer.inputs {
                let (a, b) = diagram.edge_ends(l + 1, to, from);
                let (a, b) = (glam::Vec2::new(a[0], a[1]), glam::Vec2::new(b[0], b[1]));
                let t = ((at - a).dot(b - a) / (b - a).length_squared().max(1e-12)).clamp(0.0, 1.0);
                let d = at.distance(a + (b - a) * t);
                if d <= reach && best.is_none_or(|(bd, _)| d < bd) {
                    best = Some((d, ParamId::weight(l + 1, to, from)));
                }
            }
        }
    }
    best.map(|(_, id)| id)
}

/// Where the edge of weight `id` is drawn in the diagram of `snap` (world points), if `id`
/// is a weight of its network.
pub fn edge_of(snap: &XorSnapshot, id: ParamId) -> Option<([f32; 3], [f32; 3])> {
    let layer = snap.net.layers().get(id.layer.checked_sub(1)?)?;
    match id.kind {
        ParamKind::Weight { to, from } if to < layer.outputs && from < layer.inputs => {
            Some(Diagram::new(snap, None).edge_ends(id.layer, to, from))
        }
        _ => None,
    }
}

/// Every neuron of `snap`'s network as `(column, neuron, position)`: the inputs (column 0),
/// each hidden layer, then the output.
pub fn neuron_positions(snap: &XorSnapshot) -> Vec<(usize, usize, [f32; 3])> {
    let counts = column_counts(snap);
    let hidden = counts.len() - 2;
    counts
        .iter()
        .enumerate()
        .flat_map(|(c, &n)| (0..n).map(move |j| (c, j, neuron_pos(column_x(c, hidden), j, n))))
        .collect()
}

/// Neurons per column: 2 inputs, each layer's outputs.
fn column_counts(snap: &XorSnapshot) -> Vec<usize> {
    std::iter::once(2)
        .chain(snap.net.layers().iter().map(|l| l.outputs))
        .collect()
}

/// The network: neurons filled with their activation for data point `selected` (with `None`,
/// the values of every point are listed when there are at most four), edges colored by sign
/// (red positive, blue negative) and thick by magnitude, each hidden neuron's activation over
/// the input plane as a small heatmap beside it, and `z`, `a`, `b` printed at each neuron
/// (fewer numbers, smaller neurons and heatmaps as the columns fill up).
pub fn network(snap: &XorSnapshot, selected: Option<usize>, camera: SceneCamera) -> Scene {
    network_with(snap, selected, camera, &Overlay::default())
}

/// What the diagram's edges show, and the parameter the Backprop panel follows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overlay {
    /// Per layer, one value per weight in the layout of [`PlaneLayer::w`](crate::nn::plane::PlaneLayer)
    /// (a gradient, an update) to color the edges by sign and widen by magnitude instead of
    /// the weights; with its name for the legend (`∂J/∂w`).
    pub values: Option<(Vec<Vec<f32>>, String)>,
    /// The chosen parameter, outlined in yellow (an edge, or a neuron's bias).
    pub chosen: Option<ParamId>,
    /// Step-through, forward stage: only columns up to this one (0 the inputs) are filled
    /// with the chosen point's values; the others are grey (`None`: all).
    pub filled: Option<usize>,
    /// Step-through, backward stage: `δ` of the chosen point at each neuron of the columns
    /// reached (`deltas[c - 1]` for column `c`; `None` where not reached yet).
    pub deltas: Option<Vec<Option<Vec<f32>>>>,
    /// Numbers printed at the middle of each edge (per layer, like `w`), e.g. `Δw` in the
    /// update stage, when the network has at most 24 weights; with their name.
    pub edge_labels: Option<(Vec<Vec<f32>>, String)>,
}

/// Grey: an edge whose value is not known yet (a layer the backward pass has not reached).
const UNKNOWN: [f32; 4] = [0.45, 0.45, 0.5, 0.5];

/// Yellow: the parameter the Backprop panel follows.
pub const CHOSEN: [f32; 4] = [1.0, 0.85, 0.2, 1.0];

/// [`network`] with an [`Overlay`]: edges colored and widened by the overlay's values (red
/// positive, blue negative, width `1 + extra · |v| / max |v|`, a legend saying the largest),
/// and the chosen parameter outlined.
pub fn network_with(
    snap: &XorSnapshot,
    selected: Option<usize>,
    camera: SceneCamera,
    overlay: &Overlay,
) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    let mut diagram = Diagram::new(snap, selected);
    if let Some((values, name)) = &overlay.values {
        diagram.max_w = values
            .iter()
            .flatten()
            .fold(0.0f32, |m, v| m.max(v.abs()))
            .max(1e-12);
        diagram.values = Some(values);
        label(
            &mut scene,
            [NETWORK_EXTENT.0[0] + 0.02, NETWORK_EXTENT.0[1] + 0.02, 0.7],
            format!(
                "edges: {name}, red > 0, blue < 0, width up to |{name}| = {:.3e}",
                diagram.max_w
            ),
            11.0,
            (Anchor::BottomLeft, LabelRole::Data),
        );
    }
    diagram.filled = overlay.filled.unwrap_or(usize::MAX);
    diagram.push_edges(&mut scene);
    if let Some(id) = overlay.chosen {
        diagram.push_chosen(&mut scene, id);
    }
    if let Some(deltas) = &overlay.deltas {
        diagram.push_deltas(&mut scene, deltas);
    }
    if let Some((values, name)) = &overlay.edge_labels {
        diagram.push_edge_labels(&mut scene, values, name);
    }
    diagram.push_inputs(&mut scene);
    for c in 1..=diagram.hidden {
        for j in 0..diagram.counts[c] {
            diagram.push_hidden(&mut scene, c, j);
        }
        if diagram.hidden > 1 {
            let x = column_x(c, diagram.hidden);
            // Above the top neuron's heatmap.
            let top = 0.96 + diagram.heatmap_side(c) / 2.0 + 0.015;
            label(
                &mut scene,
                [x, top, 0.7],
                format!("h{c} ({})", diagram.counts[c]),
                11.0,
                (Anchor::Bottom, LabelRole::Data),
            );
        }
    }
    diagram.push_output(&mut scene);
    scene
}

/// What every part of the diagram shares: the snapshot, the chosen point and the sizes.
struct Diagram<'a> {
    snap: &'a XorSnapshot,
    /// The chosen data point's values, if one is chosen.
    point: Option<&'a PointValues>,
    /// Its inputs.
    inputs: Option<[f32; 2]>,
    /// Neurons per column (inputs, hidden layers, output).
    counts: Vec<usize>,
    /// Hidden layers.
    hidden: usize,
    /// The largest weight magnitude (the thickest edge).
    max_w: f32,
    /// Width of the thickest edge beyond 1 px.
    edge_extra: f32,
    /// Neuron radius in points.
    radius: f32,
    /// Values the edges show instead of the weights (per layer, like `w`).
    values: Option<&'a [Vec<f32>]>,
    /// Columns filled with the chosen point's values (the rest grey).
    filled: usize,
}

impl<'a> Diagram<'a> {
    fn new(snap: &'a XorSnapshot, selected: Option<usize>) -> Self {
        let net = &snap.net;
        let counts = column_counts(snap);
        let hidden = counts.len() - 2;
        let widest = counts[1..=hidden].iter().copied().max().unwrap_or(1);
        let selected = selected.filter(|&i| i < snap.points.len());
        let radius = match (hidden, widest) {
            (1, h) if h <= 6 => 16.0,
            (1, _) => 10.0,
            (_, h) if h <= 4 => 12.0,
            (_, h) if h <= 8 => 9.0,
            _ => 6.0,
        };
        Self {
            snap,
            point: selected.map(|i| &snap.points[i]),
            inputs: selected.map(|i| snap.data.points[i]),
            max_w: net
                .layers()
                .iter()
                .flat_map(|l| &l.w)
                .fold(1e-6f32, |m, w| m.max(w.abs())),
            edge_extra: if hidden > 1 && widest > 8 { 3.0 } else { 7.0 },
            counts,
            hidden,
            radius,
            values: None,
            filled: usize::MAX,
        }
    }

    /// `δ = …` beside every neuron of the columns reached.
    fn push_deltas(&self, scene: &mut Scene, deltas: &[Option<Vec<f32>>]) {
        for (c, column) in deltas.iter().enumerate() {
            let Some(column) = column else {
                continue;
            };
            for (j, d) in column.iter().enumerate() {
                let p = self.pos(c + 1, j);
                label(
                    scene,
                    [p[0], p[1] + 0.045, 0.7],
                    format!("δ {}", crate::labs::xor::backprop::num(*d)),
                    10.0,
                    (Anchor::Bottom, LabelRole::Data),
                );
            }
        }
    }

    /// `values` at the middle of each edge, if there are few enough edges to read them.
    fn push_edge_labels(&self, scene: &mut Scene, values: &[Vec<f32>], name: &str) {
        let layers = self.snap.net.layers();
        let count: usize = layers.iter().map(|l| l.w.len()).sum();
        if count > 24 {
            return;
        }
        for (l, layer) in layers.iter().enumerate() {
            for to in 0..layer.outputs {
                for from in 0..layer.inputs {
                    let Some(v) = values.get(l).and_then(|v| v.get(to * layer.inputs + from))
                    else {
                        continue;
                    };
                    let (a, b) = self.edge_ends(l + 1, to, from);
                    let t = 0.35 + 0.3 * (to as f32 / layer.outputs.max(1) as f32);
                    label(
                        scene,
                        [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, 0.7],
                        format!("{name} {}", crate::labs::xor::backprop::num(*v)),
                        9.0,
                        (Anchor::Center, LabelRole::Data),
                    );
                }
            }
        }
    }

    /// Where the edge of weight `w_{l}[to, from]` is drawn: from the input, or from the right
    /// side of the hidden neuron's heatmap, to the neuron it feeds.
    fn edge_ends(&self, l: usize, to: usize, from: usize) -> ([f32; 3], [f32; 3]) {
        let (from_c, to_c) = (l - 1, l);
        let end = self.pos(to_c, to);
        let p = self.pos(from_c, from);
        let start = if from_c == 0 {
            p
        } else {
            [Self::heatmap_x(p) + self.heatmap_side(from_c), p[1], 0.1]
        };
        (start, end)
    }

    /// The chosen parameter outlined: its edge drawn again in yellow over a dark halo, or a
    /// yellow ring around the neuron whose bias it is.
    fn push_chosen(&self, scene: &mut Scene, id: ParamId) {
        let layers = self.snap.net.layers();
        let Some(layer) = id.layer.checked_sub(1).and_then(|l| layers.get(l)) else {
            return;
        };
        match id.kind {
            ParamKind::Weight { to, from } if to < layer.outputs && from < layer.inputs => {
                let (a, b) = self.edge_ends(id.layer, to, from);
                for (color, width) in [([0.0, 0.0, 0.0, 0.8], 7.0), (CHOSEN, 3.0)] {
                    scene.lines.push(Line {
                        a: [a[0], a[1], 0.15],
                        b: [b[0], b[1], 0.15],
                        color,
                        width_px: width,
                    });
                }
            }
            ParamKind::Bias { to } if to < layer.outputs => {
                let p = self.pos(id.layer, to);
                push_point(
                    scene,
                    [p[0], p[1], 0.45],
                    CHOSEN,
                    self.radius + 6.0,
                    PointStyle::Disc,
                );
            }
            _ => {}
        }
    }

    /// Side of the heatmaps of hidden column `c`, in world units.
    fn heatmap_side(&self, c: usize) -> f32 {
        let side = (0.7 / self.counts[c].max(2) as f32).min(0.2);
        if self.hidden == 1 {
            side
        } else {
            let gap = column_x(c + 1, self.hidden) - column_x(c, self.hidden);
            side.min(gap - 0.09)
        }
    }

    /// Position of neuron `j` of column `c`.
    fn pos(&self, c: usize, j: usize) -> [f32; 3] {
        neuron_pos(column_x(c, self.hidden), j, self.counts[c])
    }

    /// An edge for weight `w`: red when positive, blue when negative, wider when larger.
    fn edge(&self, a: [f32; 3], b: [f32; 3], w: f32) -> Line {
        let mut color = if w >= 0.0 { CLASS1 } else { CLASS0 };
        color[3] = 0.9;
        Line {
            a: [a[0], a[1], 0.1],
            b: [b[0], b[1], 0.1],
            color,
            width_px: 1.0 + self.edge_extra * w.abs() / self.max_w,
        }
    }

    /// World x of the left side of hidden neuron `p`'s heatmap.
    fn heatmap_x(p: [f32; 3]) -> f32 {
        p[0] + 0.05
    }

    /// Every layer's edges: from the inputs, or from the right sides of the hidden neurons'
    /// heatmaps.
    fn push_edges(&self, scene: &mut Scene) {
        for (l, layer) in self.snap.net.layers().iter().enumerate() {
            for to in 0..layer.outputs {
                for from in 0..layer.inputs {
                    let (start, end) = self.edge_ends(l + 1, to, from);
                    let value = match self.values {
                        Some(values) => values
                            .get(l)
                            .and_then(|v| v.get(to * layer.inputs + from))
                            .copied(),
                        None => Some(layer.weight(to, from)),
                    };
                    scene.lines.push(match value {
                        Some(value) => self.edge(start, end, value),
                        None => Line {
                            a: [start[0], start[1], 0.1],
                            b: [end[0], end[1], 0.1],
                            color: UNKNOWN,
                            width_px: 1.0,
                        },
                    });
                }
            }
        }
    }

    /// A neuron: a light ring around a disc filled with `value`'s color (grey without one).
    fn push_neuron(&self, scene: &mut Scene, p: [f32; 3], value: Option<f32>) {
        push_point(
            scene,
            [p[0], p[1], 0.5],
            [0.8, 0.8, 0.85, 1.0],
            self.radius + 2.0,
            PointStyle::Disc,
        );
        push_point(
            scene,
            [p[0], p[1], 0.6],
            value.map_or([0.3, 0.3, 0.35, 1.0], |v| prob_color(v, 1.0)),
            self.radius,
            PointStyle::Disc,
        );
    }

    /// The two inputs, named (with the chosen point's values) to their left.
    fn push_inputs(&self, scene: &mut Scene) {
        for i in 0..2 {
            let p = self.pos(0, i);
            let v = self.inputs.map(|x| x[i]);
            self.push_neuron(scene, p, v);
            let text = match v {
                Some(v) => format!("x{} = {v:.2}", i + 1),
                None => format!("x{}", i + 1),
            };
            label(
                scene,
                [p[0] - 0.06, p[1], 0.7],
                text,
                13.0,
                (Anchor::Right, LabelRole::Data),
            );
        }
    }

    /// Neuron `j` of hidden column `c`, its activation over the input plane to its right,
    /// and its bias with the chosen point's `z` and `a` (or, with no point chosen and at
    /// most four points, every point's) below it; with more than one hidden layer, only the
    /// chosen point's `a` and only while the column has at most four neurons.
    fn push_hidden(&self, scene: &mut Scene, c: usize, j: usize) {
        let snap = self.snap;
        let net = &snap.net;
        let layer = &net.layers()[c - 1];
        let p = self.pos(c, j);
        let shown = self.point.filter(|_| c <= self.filled);
        self.push_neuron(scene, p, shown.map(|v| v.a[c - 1][j]));
        let size = self.heatmap_side(c);
        let (x0, y0) = (Self::heatmap_x(p), p[1] - size / 2.0);
        let grid = &snap.hidden_grids[c - 1][j];
        let range = match net.spec().activation {
            Activation::Tanh => (-1.0, 1.0),
            Activation::Relu => (0.0, grid.iter().copied().fold(1e-6, f32::max)),
            Activation::Sigmoid => (0.0, 1.0),
        };
        let n = HEATMAP_CELLS as u32;
        scene.images.push(
            Image::in_rect([x0, y0], [x0 + size, y0 + size], 0.3, n, n, grid.clone())
                .with_colormap(Colormap::Viridis, range),
        );
        if self.hidden > 1 {
            if self.counts[c] <= 4 {
                let text = match self.point {
                    Some(v) => format!("a {:.2}", v.a[c - 1][j]),
                    None => format!("b {:.2}", layer.b[j]),
                };
                label(
                    scene,
                    [x0 + size / 2.0, y0 - 0.01, 0.7],
                    text,
                    10.0,
                    (Anchor::Top, LabelRole::Data),
                );
            }
            return;
        }
        let mut text = format!("h{}  b = {:.3}", j + 1, layer.b[j]);
        if let Some(v) = self.point {
            text = format!("{text}\nz = {:.3}  a = {:.3}", v.z[0][j], v.a[0][j]);
        } else if snap.data.len() <= 4 {
            for (k, pv) in snap.points.iter().enumerate() {
                text.push_str(&format!(
                    "\n{}: z {:.2} a {:.2}",
                    snap.data.point_label(k),
                    pv.z[0][j],
                    pv.a[0][j]
                ));
            }
        }
        label(
            scene,
            [x0 + size / 2.0, y0 - 0.01, 0.7],
            text,
            12.0,
            (Anchor::Top, LabelRole::Data),
        );
    }

    /// The output neuron with its bias, and the chosen point's `z` and output (or every
    /// point's) to its right.
    fn push_output(&self, scene: &mut Scene) {
        let snap = self.snap;
        let op = self.pos(self.hidden + 1, 0);
        let shown = self.point.filter(|_| self.hidden < self.filled);
        self.push_neuron(scene, op, shown.map(|v| v.y));
        let bias = snap.net.layers().last().map_or(0.0, |l| l.b[0]);
        let mut text = format!("output  b = {bias:.3}");
        if let Some(v) = self.point {
            text = format!("{text}\nz = {:.3}\nŷ = {:.3}", v.output_z(), v.y);
        } else if snap.data.len() <= 4 {
            for (k, pv) in snap.points.iter().enumerate() {
                text.push_str(&format!(
                    "\n{}: z {:.2} ŷ {:.2}",
                    snap.data.point_label(k),
                    pv.output_z(),
                    pv.y
                ));
            }
        }
        label(
            scene,
            [op[0] + 0.06, op[1], 0.7],
            text,
            12.0,
            (Anchor::Left, LabelRole::Data),
        );
    }
}
