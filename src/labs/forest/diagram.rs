//! The node-link diagram of one tree. Each node is a box holding its class distribution as a
//! stacked bar (leaves filled with their majority class's color), its split (feature and
//! threshold), impurity and sample count written beside it; box widths follow the sample
//! count on a log scale. Nodes below the collapse depth are folded into their ancestor (marked
//! with how many nodes it hides); the tree can be shown as it was after its first `splits`
//! splits; the probe's path is drawn in the highlight color.
//!
//! The layout is normalised: leaves shown are spread evenly over `x` in `[0, 1]`, a parent sits
//! above the middle of its children, depth runs down `y` from 0 to -1. Zoom and pan (the
//! panel's 2D camera) open up deep trees.

use crate::forest::{LEAF, Tree};
use crate::labs::forest::scenes::{HIGHLIGHT, class_color};
use crate::labs::style::{BACKGROUND, TEXT};
use crate::render::scene::LabelRole;
use crate::render::{Anchor, Camera2d, Label, Line, Mesh, Scene, SceneCamera};

/// How the diagram is drawn.
#[derive(Clone, Debug)]
pub struct DiagramOptions {
    /// Deepest level drawn; deeper nodes fold into their ancestor at this depth.
    pub max_depth: usize,
    /// The tree as it was after this many splits (`None`: as grown).
    pub splits: Option<usize>,
    /// Nodes on the probe's path (root to leaf).
    pub path: Vec<usize>,
    /// Names of the features (`x1`, `px(3,14)`), by index.
    pub feature_name: fn(usize) -> String,
}

/// Where each shown node sits.
#[derive(Clone, Debug, Default)]
pub struct DiagramLayout {
    /// `(node, center)` of every node drawn, in the tree's order.
    pub nodes: Vec<(usize, [f32; 2])>,
    /// Half width and half height of the largest box.
    pub half: [f32; 2],
    /// Levels drawn (depth of the deepest node shown + 1).
    pub levels: usize,
}

/// The diagram's starting camera: the whole `[0, 1] x [-1, 0]` layout.
pub fn diagram_camera() -> Camera2d {
    Camera2d::new(glam::Vec2::new(-0.04, -1.12), glam::Vec2::new(1.04, 0.1))
}

/// Whether `node` has children in the tree as drawn.
fn is_open(tree: &Tree, node: usize, opts: &DiagramOptions) -> bool {
    let n = &tree.nodes[node];
    if n.feature == LEAF || n.depth as usize >= opts.max_depth {
        return false;
    }
    match opts.splits {
        Some(s) => (n.left as usize) < 1 + 2 * s,
        None => true,
    }
}

/// Nodes below `node` that the diagram hides (folded by the depth limit).
fn hidden_below(tree: &Tree, node: usize, opts: &DiagramOptions) -> usize {
    let limit = opts.splits.map_or(usize::MAX, |s| 1 + 2 * s);
    let mut stack = vec![node];
    let mut count = 0;
    while let Some(i) = stack.pop() {
        let n = &tree.nodes[i];
        if n.feature != LEAF && (n.left as usize) < limit {
            stack.push(n.left as usize);
            stack.push(n.right as usize);
            count += 2;
        }
    }
    count
}

/// Positions of the nodes the diagram draws.
pub fn layout(tree: &Tree, opts: &DiagramOptions) -> DiagramLayout {
    if tree.nodes.is_empty() {
        return DiagramLayout::default();
    }
    // Leaves of the drawn tree in order (an iterative in-order walk), then parents centered.
    let mut order = Vec::new();
    let mut stack = vec![(0_usize, false)];
    let mut levels = 1;
    while let Some((i, expanded)) = stack.pop() {
        levels = levels.max(tree.nodes[i].depth as usize + 1);
        if expanded || !is_open(tree, i, opts) {
            order.push(i);
            continue;
        }
        let n = &tree.nodes[i];
        stack.push((n.right as usize, false));
        stack.push((i, true));
        stack.push((n.left as usize, false));
    }
    let leaves: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| !is_open(tree, i, opts))
        .collect();
    let mut x = vec![f32::NAN; tree.nodes.len()];
    let spacing = 1.0 / leaves.len().max(1) as f32;
    for (k, &i) in leaves.iter().enumerate() {
        x[i] = (k as f32 + 0.5) * spacing;
    }
    // Children come after their parents in the node arrays, so a reverse pass fills parents.
    for i in (0..tree.nodes.len()).rev() {
        if x[i].is_nan() && is_open(tree, i, opts) {
            let n = &tree.nodes[i];
            let (l, r) = (x[n.left as usize], x[n.right as usize]);
            if !l.is_nan() && !r.is_nan() {
                x[i] = 0.5 * (l + r);
            }
        }
    }
    let level_step = 1.0 / levels.max(1) as f32;
    let nodes = order
        .iter()
        .filter(|&&i| !x[i].is_nan())
        .map(|&i| (i, [x[i], -(tree.nodes[i].depth as f32 + 0.5) * level_step]))
        .collect();
    DiagramLayout {
        nodes,
        half: [0.42 * spacing, 0.22 * level_step],
        levels,
    }
}

/// The box half width of a node with `samples` rows of a root with `root` rows: a log scale
/// from 40% (one row) to 100% (the root) of the largest.
pub fn box_scale(samples: u32, root: u32) -> f32 {
    let root = f64::from(root.max(1));
    let share = (1.0 + f64::from(samples)).ln() / (1.0 + root).ln();
    (0.4 + 0.6 * share.clamp(0.0, 1.0)) as f32
}

/// The diagram of `tree` (see the module documentation).
pub fn diagram(tree: &Tree, opts: &DiagramOptions, camera: SceneCamera) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    let lay = layout(tree, opts);
    let classes = tree.classes.max(1);
    let root_samples = tree.nodes.first().map_or(1, |n| n.samples);
    let mut centers = vec![None; tree.nodes.len()];
    for &(i, c) in &lay.nodes {
        centers[i] = Some(c);
    }
    let center_of = |node: usize| centers.get(node).copied().flatten();
    let mut path = vec![false; tree.nodes.len()];
    for &i in &opts.path {
        if let Some(p) = path.get_mut(i) {
            *p = true;
        }
    }
    let on_path = |node: usize| path.get(node).copied().unwrap_or(false);
    // Edges first, under the boxes.
    for &(i, c) in &lay.nodes {
        if !is_open(tree, i, opts) {
            continue;
        }
        let n = &tree.nodes[i];
        for child in [n.left as usize, n.right as usize] {
            if let Some(cc) = center_of(child) {
                let highlighted = on_path(i) && on_path(child);
                scene.lines.push(Line {
                    a: [c[0], c[1] - lay.half[1], 0.0],
                    b: [cc[0], cc[1] + lay.half[1], 0.0],
                    color: if highlighted {
                        HIGHLIGHT
                    } else {
                        [0.45, 0.45, 0.5, 1.0]
                    },
                    width_px: if highlighted { 3.0 } else { 1.0 },
                });
            }
        }
    }
    let mut mesh = Mesh::default();
    for &(i, c) in &lay.nodes {
        let n = &tree.nodes[i];
        let hw = lay.half[0] * box_scale(n.samples, root_samples);
        let hh = lay.half[1];
        let (x0, x1, y0, y1) = (c[0] - hw, c[0] + hw, c[1] - hh, c[1] + hh);
        let proba = tree.proba(i);
        if n.feature == LEAF {
            // A leaf: filled with its majority class, a thin distribution bar along the top.
            let best = argmax(&proba);
            mesh.push_rect([x0, y0], [x1, y1], 0.1, dim(class_color(best, classes)));
            stacked(
                &mut mesh,
                &proba,
                classes,
                [x0, y1 - 0.3 * hh],
                [x1, y1],
                0.2,
            );
        } else {
            mesh.push_rect([x0, y0], [x1, y1], 0.1, [0.2, 0.21, 0.25, 1.0]);
            stacked(
                &mut mesh,
                &proba,
                classes,
                [x0, y0],
                [x1, y0 + 0.45 * hh],
                0.2,
            );
        }
        let frame = if on_path(i) {
            (HIGHLIGHT, 2.5)
        } else {
            ([0.6, 0.6, 0.65, 1.0], 1.0)
        };
        let corners = [
            [x0, y0, 0.3],
            [x1, y0, 0.3],
            [x1, y1, 0.3],
            [x0, y1, 0.3],
            [x0, y0, 0.3],
        ];
        scene
            .lines
            .extend(Line::polyline(&corners, frame.0, frame.1));
        let mut text = String::new();
        if n.feature != LEAF && is_open(tree, i, opts) {
            text = format!(
                "{} ≤ {}",
                (opts.feature_name)(n.feature as usize),
                fmt_threshold(n.threshold)
            );
        } else if n.feature != LEAF {
            let hidden = hidden_below(tree, i, opts);
            if hidden > 0 && (n.depth as usize) >= opts.max_depth {
                text = format!("+{hidden} nodes");
            }
        }
        let detail = format!("imp {:.3} · n {}", n.impurity, n.samples);
        scene.labels.push(Label {
            pos: [c[0], y1, 0.5],
            text: if text.is_empty() {
                detail
            } else {
                format!("{text}\n{detail}")
            },
            color: TEXT,
            size_px: 11.0,
            anchor: Anchor::Bottom,
            role: LabelRole::Data,
        });
    }
    scene.meshes.push(mesh);
    scene
}

/// A threshold as short as it is exact: `87`, `86.5` (pixel thresholds), else 3 decimals.
fn fmt_threshold(t: f32) -> String {
    if (t * 2.0).fract() == 0.0 && t.abs() < 1e6 {
        format!("{t}")
    } else {
        format!("{t:.3}")
    }
}

/// The index of the largest value (the first of equals, like `numpy.argmax`).
pub fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best
}

fn dim(color: [f32; 4]) -> [f32; 4] {
    [color[0] * 0.75, color[1] * 0.75, color[2] * 0.75, 1.0]
}

/// A bar from `min` to `max` split left to right into the classes' shares of `proba`.
fn stacked(mesh: &mut Mesh, proba: &[f32], classes: usize, min: [f32; 2], max: [f32; 2], z: f32) {
    let mut x = min[0];
    let width = max[0] - min[0];
    for (c, &p) in proba.iter().enumerate() {
        if p <= 0.0 {
            continue;
        }
        let x1 = (x + p * width).min(max[0]);
        mesh.push_rect([x, min[1]], [x1, max[1]], z, class_color(c, classes));
        x = x1;
    }
}
