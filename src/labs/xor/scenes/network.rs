//! The network diagram: neurons filled with their activation, edges colored by sign and
//! thick by magnitude, each hidden neuron's activation over the input plane beside it, and
//! the numbers at every neuron.

use super::{BACKGROUND, CLASS0, CLASS1, label, prob_color, push_point};
use crate::labs::xor::snapshot::{HEATMAP_CELLS, PointValues, XorSnapshot};
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

/// World x of the input, hidden and output columns of the network diagram.
pub const NETWORK_COLUMNS: (f32, f32, f32) = (0.12, 0.62, 1.38);

/// World rectangle of the network diagram (for its 2D camera).
pub const NETWORK_EXTENT: ([f32; 2], [f32; 2]) = ([-0.35, -0.05], [1.95, 1.05]);

/// The network: neurons filled with their activation for data point `selected` (with `None`,
/// the values of every point are listed when there are at most four), edges colored by sign
/// (red positive, blue negative) and thick by magnitude, each hidden neuron's activation over
/// the input plane as a small heatmap beside it, and `z`, `a`, `b` printed at each neuron.
pub fn network(snap: &XorSnapshot, selected: Option<usize>, camera: SceneCamera) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    let diagram = Diagram::new(snap, selected);
    diagram.push_edges(&mut scene);
    diagram.push_inputs(&mut scene);
    for j in 0..diagram.snap.net.hidden() {
        diagram.push_hidden(&mut scene, j);
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
    /// The largest weight magnitude (the thickest edge).
    max_w: f32,
    /// Side of a hidden neuron's heatmap, in world units.
    heatmap_side: f32,
    /// Neuron radius in points.
    radius: f32,
}

impl<'a> Diagram<'a> {
    fn new(snap: &'a XorSnapshot, selected: Option<usize>) -> Self {
        let net = &snap.net;
        let h = net.hidden();
        let selected = selected.filter(|&i| i < snap.points.len());
        Self {
            snap,
            point: selected.map(|i| &snap.points[i]),
            inputs: selected.map(|i| snap.data.points[i]),
            max_w: net
                .w1
                .iter()
                .chain(&net.w2)
                .fold(1e-6f32, |m, w| m.max(w.abs())),
            heatmap_side: (0.7 / h.max(2) as f32).min(0.2),
            radius: if h <= 6 { 16.0 } else { 10.0 },
        }
    }

    /// An edge for weight `w`: red when positive, blue when negative, wider when larger.
    fn edge(&self, a: [f32; 3], b: [f32; 3], w: f32) -> Line {
        let mut color = if w >= 0.0 { CLASS1 } else { CLASS0 };
        color[3] = 0.9;
        Line {
            a: [a[0], a[1], 0.1],
            b: [b[0], b[1], 0.1],
            color,
            width_px: 1.0 + 7.0 * w.abs() / self.max_w,
        }
    }

    /// World x of the left side of hidden neuron `p`'s heatmap.
    fn heatmap_x(p: [f32; 3]) -> f32 {
        p[0] + 0.05
    }

    /// Input to hidden edges, and hidden to output edges leaving from the heatmaps' right
    /// sides.
    fn push_edges(&self, scene: &mut Scene) {
        let net = &self.snap.net;
        let h = net.hidden();
        let (xi, xh, xo) = NETWORK_COLUMNS;
        let op = neuron_pos(xo, 0, 1);
        for j in 0..h {
            let hp = neuron_pos(xh, j, h);
            for i in 0..2 {
                let ip = neuron_pos(xi, i, 2);
                scene.lines.push(self.edge(ip, hp, net.w1[2 * j + i]));
            }
            let start = [Self::heatmap_x(hp) + self.heatmap_side, hp[1], 0.1];
            scene.lines.push(self.edge(start, op, net.w2[j]));
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
        let (xi, _, _) = NETWORK_COLUMNS;
        for i in 0..2 {
            let p = neuron_pos(xi, i, 2);
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

    /// Hidden neuron `j`, its activation over the input plane to its right, and its bias
    /// with the chosen point's `z` and `a` (or, with no point chosen and at most four points,
    /// every point's) below it.
    fn push_hidden(&self, scene: &mut Scene, j: usize) {
        let snap = self.snap;
        let net = &snap.net;
        let (_, xh, _) = NETWORK_COLUMNS;
        let p = neuron_pos(xh, j, net.hidden());
        self.push_neuron(scene, p, self.point.map(|v| v.a1[j]));
        let size = self.heatmap_side;
        let (x0, y0) = (Self::heatmap_x(p), p[1] - size / 2.0);
        let grid = &snap.hidden_grids[j];
        let range = match net.activation() {
            Activation::Tanh => (-1.0, 1.0),
            Activation::Relu => (0.0, grid.iter().copied().fold(1e-6, f32::max)),
            Activation::Sigmoid => (0.0, 1.0),
        };
        let n = HEATMAP_CELLS as u32;
        scene.images.push(
            Image::in_rect([x0, y0], [x0 + size, y0 + size], 0.3, n, n, grid.clone())
                .with_colormap(Colormap::Viridis, range),
        );
        let mut text = format!("h{}  b = {:.3}", j + 1, net.b1[j]);
        if let Some(v) = self.point {
            text = format!("{text}\nz = {:.3}  a = {:.3}", v.z1[j], v.a1[j]);
        } else if snap.data.len() <= 4 {
            for (k, pv) in snap.points.iter().enumerate() {
                text.push_str(&format!(
                    "\n{}: z {:.2} a {:.2}",
                    snap.data.point_label(k),
                    pv.z1[j],
                    pv.a1[j]
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
        let (_, _, xo) = NETWORK_COLUMNS;
        let op = neuron_pos(xo, 0, 1);
        self.push_neuron(scene, op, self.point.map(|v| v.y));
        let mut text = format!("output  b = {:.3}", snap.net.b2);
        if let Some(v) = self.point {
            text = format!("{text}\nz = {:.3}\nŷ = {:.3}", v.z2, v.y);
        } else if snap.data.len() <= 4 {
            for (k, pv) in snap.points.iter().enumerate() {
                text.push_str(&format!(
                    "\n{}: z {:.2} ŷ {:.2}",
                    snap.data.point_label(k),
                    pv.z2,
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
