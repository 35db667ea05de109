//! The attention lab's scenes, built from a [`Trace`] of the probe: every head's attention
//! map, the BertViz-style lines, the predictions at every position, and the embedding in 3D.
//! Every color, width and length comes from the model's numbers; `tests/attention_lab.rs`
//! reads the pixels back.

use glam::{Vec2, Vec3};

use crate::data::tasks::{Probe, Task};
use crate::labs::plot::palette;
use crate::labs::style::{BACKGROUND, TEXT, rect_lines, text_label as label};
use crate::nn::transformer::Trace;
use crate::render::camera::OrbitPose;
use crate::render::colormap::colormap_rgba;
use crate::render::scene::{LabelRole, color_from_rgba8};
use crate::render::{
    Anchor, Camera2d, Colormap, Label, Line, Mesh, OrbitCamera, Point, PointStyle, Scene,
    SceneCamera,
};

/// Side of one attention map in world units (the map has `T x T` cells).
pub const MAP_SIZE: f32 = 1.0;
/// Gap between two maps (room for a title above each).
pub const MAP_GAP: f32 = 0.32;
/// Attention weights are colored over this range, so maps compare across heads.
pub const WEIGHT_RANGE: (f32, f32) = (0.0, 1.0);
/// Width in points of a line of weight 1 in the lines view.
pub const LINE_MAX_PT: f32 = 7.0;
/// Lines of smaller weight are not drawn (they would be under a tenth of a point wide).
pub const LINE_MIN_WEIGHT: f32 = 0.01;
/// Candidates shown per position in the predictions view.
pub const TOP_K: usize = 5;
/// World width of one candidate's cell in the predictions view.
pub const CELL_W: f32 = 2.0;
/// World length of a bar of probability 1.
pub const BAR_LEN: f32 = 1.35;
/// Where a bar starts inside its cell (after the candidate's label).
pub const BAR_X0: f32 = 0.45;
/// Height of a bar (rows are 1 apart).
pub const BAR_H: f32 = 0.56;
/// Bar of a correct prediction.
pub const RIGHT: [f32; 4] = [0.3, 0.78, 0.42, 1.0];
/// Bar of a wrong top prediction at a scored position.
pub const WRONG: [f32; 4] = [0.92, 0.33, 0.3, 1.0];
/// Other candidates.
pub const OTHER: [f32; 4] = [0.45, 0.55, 0.75, 1.0];
/// Bars at positions the task does not score.
pub const UNSCORED: [f32; 4] = [0.42, 0.42, 0.46, 1.0];
/// The band behind a row whose scored prediction is wrong.
pub const MISTAKE_BAND: [f32; 4] = [0.32, 0.12, 0.12, 1.0];
/// Frame around the chosen (enlarged) head.
pub const HIGHLIGHT: [f32; 4] = [1.0, 0.84, 0.1, 1.0];

/// The color of head `h` in the lines view and its legend.
pub fn head_color(h: usize) -> [f32; 4] {
    let [r, g, b, _] = palette(h).to_array();
    [
        f32::from(r) / 255.0,
        f32::from(g) / 255.0,
        f32::from(b) / 255.0,
        1.0,
    ]
}

/// The color a weight is drawn with in a map (exactly, as 8-bit channels).
pub fn weight_color(colormap: Colormap, w: f32) -> [f32; 4] {
    color_from_rgba8(colormap_rgba(colormap, WEIGHT_RANGE, w))
}

/// An empty scene that says `text`.
pub fn note(text: &str, camera: SceneCamera) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    scene.labels.push(label(
        [0.5, -0.5, 0.0],
        text,
        14.0,
        Anchor::Center,
        LabelRole::Title,
    ));
    scene
}

/// Which maps the maps view shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapsShown {
    /// Every layer x head.
    All,
    /// One map, enlarged, with its numbers.
    One {
        /// Block.
        layer: usize,
        /// Head.
        head: usize,
    },
}

/// The top-left corner of map `(layer, head)` in a grid of every map (row = layer).
pub fn map_origin(layer: usize, head: usize) -> [f32; 2] {
    [
        head as f32 * (MAP_SIZE + MAP_GAP),
        -(layer as f32) * (MAP_SIZE + MAP_GAP),
    ]
}

/// The world rectangle `(min, max)` of cell `(i, j)` (query row `i`, key column `j`) of a map
/// whose top-left corner is `origin` and which has `t` cells a side.
pub fn cell_rect(origin: [f32; 2], t: usize, i: usize, j: usize) -> ([f32; 2], [f32; 2]) {
    let c = MAP_SIZE / t as f32;
    let min = [origin[0] + j as f32 * c, origin[1] - (i + 1) as f32 * c];
    (min, [min[0] + c, min[1] + c])
}

/// The camera framing the maps view for `layers x heads` maps (or one).
pub fn maps_camera(layers: usize, heads: usize, shown: MapsShown) -> Camera2d {
    let (cols, rows) = match shown {
        MapsShown::All => (heads.max(1), layers.max(1)),
        MapsShown::One { .. } => (1, 1),
    };
    let w = cols as f32 * (MAP_SIZE + MAP_GAP) - MAP_GAP;
    let h = rows as f32 * (MAP_SIZE + MAP_GAP) - MAP_GAP;
    Camera2d::new(
        Vec2::new(-0.22, -h - 0.08),
        Vec2::new(w + 0.04, MAP_GAP * 0.9),
    )
    .keeping_aspect()
}

/// One attention map: a cell per (query, key) with `j <= i` colored by its weight; the masked
/// cells (`j > i`) are left empty, so the background shows through.
fn push_map(mesh: &mut Mesh, origin: [f32; 2], t: usize, weights: &[f32], colormap: Colormap) {
    for i in 0..t {
        for j in 0..=i {
            let (min, max) = cell_rect(origin, t, i, j);
            mesh.push_rect(min, max, 0.0, weight_color(colormap, weights[i * t + j]));
        }
    }
}

/// Every layer x head's attention map on the probe (or the one chosen, enlarged, with its
/// numbers and the tokens on both axes).
pub fn maps(
    trace: &Trace,
    task: &Task,
    shown: MapsShown,
    heads_on: &dyn Fn(usize, usize) -> bool,
    colormap: Colormap,
    camera: SceneCamera,
) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    let t = trace.tokens.len();
    if t == 0 || trace.layers.is_empty() {
        return note("no sequence", camera);
    }
    let heads = trace.layers[0].weights.len() / (t * t);
    let mut mesh = Mesh::default();
    let tokens: Vec<String> = trace.tokens.iter().map(|&k| task.label(k)).collect();
    let cell = MAP_SIZE / t as f32;
    let maps: Vec<(usize, usize, [f32; 2])> = match shown {
        MapsShown::All => (0..trace.layers.len())
            .flat_map(|l| (0..heads).map(move |h| (l, h, map_origin(l, h))))
            .collect(),
        MapsShown::One { layer, head } => {
            vec![(
                layer.min(trace.layers.len() - 1),
                head.min(heads - 1),
                [0.0, 0.0],
            )]
        }
    };
    let one = matches!(shown, MapsShown::One { .. });
    for &(l, h, origin) in &maps {
        let w = &trace.layers[l].weights[h * t * t..(h + 1) * t * t];
        push_map(&mut mesh, origin, t, w, colormap);
        // The mask's border: a staircase along the diagonal.
        let mut stairs = Vec::with_capacity(2 * t + 1);
        for i in 0..t {
            let x = origin[0] + (i + 1) as f32 * cell;
            stairs.push([x, origin[1] - i as f32 * cell, 0.01]);
            stairs.push([x, origin[1] - (i + 1) as f32 * cell, 0.01]);
        }
        scene
            .lines
            .extend(Line::polyline(&stairs, [0.5, 0.5, 0.55, 1.0], 1.0));
        let off = !heads_on(l, h);
        let title = format!(
            "layer {} head {}{}",
            l + 1,
            h + 1,
            if off { " (off)" } else { "" }
        );
        scene.labels.push(label(
            [origin[0] + MAP_SIZE / 2.0, origin[1] + 0.03, 0.0],
            title,
            if one { 14.0 } else { 11.0 },
            Anchor::Bottom,
            LabelRole::Title,
        ));
        let first_col = one || h == 0;
        let last_row = one || l + 1 == trace.layers.len();
        let size = if one { 12.0 } else { 9.0 };
        if first_col {
            for (i, tok) in tokens.iter().enumerate() {
                scene.labels.push(label(
                    [origin[0] - 0.012, origin[1] - (i as f32 + 0.5) * cell, 0.0],
                    tok.clone(),
                    size,
                    Anchor::Right,
                    LabelRole::Data,
                ));
            }
        }
        if last_row {
            for (j, tok) in tokens.iter().enumerate() {
                scene.labels.push(label(
                    [
                        origin[0] + (j as f32 + 0.5) * cell,
                        origin[1] - MAP_SIZE - 0.01,
                        0.0,
                    ],
                    tok.clone(),
                    size,
                    Anchor::Top,
                    LabelRole::Data,
                ));
            }
        }
        if one {
            for i in 0..t {
                for j in 0..=i {
                    let v = w[i * t + j];
                    let (min, max) = cell_rect(origin, t, i, j);
                    let mut l = label(
                        [(min[0] + max[0]) / 2.0, (min[1] + max[1]) / 2.0, 0.02],
                        format!("{:.2}", v).trim_start_matches('0').to_string(),
                        9.0,
                        Anchor::Center,
                        LabelRole::Value,
                    );
                    let bg = weight_color(colormap, v);
                    let lum = 0.3 * bg[0] + 0.59 * bg[1] + 0.11 * bg[2];
                    l.color = if lum > 0.5 {
                        [0.05, 0.05, 0.05, 1.0]
                    } else {
                        TEXT
                    };
                    scene.labels.push(l);
                }
            }
        }
        if off {
            scene.lines.extend(rect_lines(
                [origin[0], origin[1] - MAP_SIZE],
                [origin[0] + MAP_SIZE, origin[1]],
                0.02,
                WRONG,
                2.0,
            ));
        }
    }
    scene.meshes.push(mesh);
    scene
}

/// Which head `(layer, head)` the world point `p` of the maps view falls in.
pub fn map_at(p: [f32; 2], layers: usize, heads: usize) -> Option<(usize, usize, [f32; 2])> {
    (0..layers)
        .flat_map(|l| (0..heads).map(move |h| (l, h)))
        .find_map(|(l, h)| {
            let o = map_origin(l, h);
            let inside =
                p[0] >= o[0] && p[0] <= o[0] + MAP_SIZE && p[1] <= o[1] && p[1] >= o[1] - MAP_SIZE;
            inside.then_some((l, h, [(p[0] - o[0]) / MAP_SIZE, (o[1] - p[1]) / MAP_SIZE]))
        })
}

/// What the lines view isolates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LinesFocus {
    /// Every query's lines.
    #[default]
    All,
    /// Only the lines from query `i` (a token in the left column).
    Query(usize),
    /// Only the lines into key `j` (a token in the right column).
    Key(usize),
}

/// X of the left (queries) and right (keys) columns of the lines view.
pub const LINES_X: (f32, f32) = (0.0, 1.6);

/// Y of token `i` in the lines view.
pub fn lines_y(i: usize) -> f32 {
    -(i as f32) * 0.22
}

/// The camera of the lines view for `t` tokens.
pub fn lines_camera(t: usize) -> Camera2d {
    let bottom = lines_y(t.saturating_sub(1));
    Camera2d::new(
        Vec2::new(LINES_X.0 - 0.45, bottom - 0.2),
        Vec2::new(LINES_X.1 + 0.45, 0.35),
    )
    .keeping_aspect()
}

/// One line of the lines view: query `i` attends to key `j` with weight `w` in head `head`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WeightLine {
    /// Head.
    pub head: usize,
    /// Query.
    pub i: usize,
    /// Key.
    pub j: usize,
    /// Weight.
    pub w: f32,
}

/// The lines drawn for `layer` (heads switched on in `shown`, per `focus`), in draw order.
pub fn weight_lines(
    trace: &Trace,
    layer: usize,
    shown: &dyn Fn(usize) -> bool,
    focus: LinesFocus,
) -> Vec<WeightLine> {
    let t = trace.tokens.len();
    let Some(lt) = trace.layers.get(layer) else {
        return Vec::new();
    };
    let heads = lt.weights.len() / (t * t).max(1);
    let mut out = Vec::new();
    for head in (0..heads).filter(|&h| shown(h)) {
        for i in 0..t {
            for j in 0..=i {
                let keep = match focus {
                    LinesFocus::All => true,
                    LinesFocus::Query(q) => q == i,
                    LinesFocus::Key(k) => k == j,
                };
                let w = lt.weights[head * t * t + i * t + j];
                if keep && w >= LINE_MIN_WEIGHT {
                    out.push(WeightLine { head, i, j, w });
                }
            }
        }
    }
    out
}

/// BertViz's view: the tokens in two columns (queries left, keys right), a line from each
/// query to every key it attends to, width [`LINE_MAX_PT`] times the weight and opacity the
/// weight, one color per head.
pub fn lines(
    trace: &Trace,
    task: &Task,
    weight_lines: &[WeightLine],
    camera: SceneCamera,
) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    let (xl, xr) = LINES_X;
    for wl in weight_lines {
        let [r, g, b, _] = head_color(wl.head);
        scene.lines.push(Line {
            a: [xl + 0.05, lines_y(wl.i), 0.0],
            b: [xr - 0.05, lines_y(wl.j), 0.0],
            color: [r, g, b, wl.w.clamp(0.15, 1.0)],
            width_px: LINE_MAX_PT * wl.w,
        });
    }
    for (i, &tok) in trace.tokens.iter().enumerate() {
        let text = task.label(tok);
        scene.labels.push(label(
            [xl, lines_y(i), 0.0],
            text.clone(),
            12.0,
            Anchor::Right,
            LabelRole::Data,
        ));
        scene.labels.push(label(
            [xr, lines_y(i), 0.0],
            text,
            12.0,
            Anchor::Left,
            LabelRole::Data,
        ));
    }
    scene.labels.push(label(
        [xl, 0.25, 0.0],
        "query",
        11.0,
        Anchor::Center,
        LabelRole::Title,
    ));
    scene.labels.push(label(
        [xr, 0.25, 0.0],
        "key",
        11.0,
        Anchor::Center,
        LabelRole::Title,
    ));
    scene
}

/// The token of the lines view under world point `p`: `Query(i)` or `Key(j)`.
pub fn lines_token_at(p: [f32; 2], t: usize) -> LinesFocus {
    let i = (-p[1] / 0.22).round();
    if !(0.0..t as f32).contains(&i) || (p[1] - lines_y(i as usize)).abs() > 0.11 {
        return LinesFocus::All;
    }
    let i = i as usize;
    if (p[0] - LINES_X.0).abs() < 0.4 && p[0] <= LINES_X.0 + 0.1 {
        LinesFocus::Query(i)
    } else if (p[0] - LINES_X.1).abs() < 0.4 && p[0] >= LINES_X.1 - 0.1 {
        LinesFocus::Key(i)
    } else {
        LinesFocus::All
    }
}

/// The top candidates at one position: `(token, probability)`, most likely first.
pub fn top_k(probs: &[f32], k: usize) -> Vec<(u32, f32)> {
    let mut order: Vec<u32> = (0..probs.len() as u32).collect();
    order.sort_by(|&a, &b| {
        probs[b as usize]
            .total_cmp(&probs[a as usize])
            .then(a.cmp(&b))
    });
    order
        .into_iter()
        .take(k)
        .map(|t| (t, probs[t as usize]))
        .collect()
}

/// The bar of candidate `c` at position `i`: `(min, max)` for probability `p`.
pub fn bar_rect(i: usize, c: usize, p: f32) -> ([f32; 2], [f32; 2]) {
    let x0 = c as f32 * CELL_W + BAR_X0;
    let y = -(i as f32);
    (
        [x0, y - BAR_H / 2.0],
        [x0 + BAR_LEN * p.clamp(0.0, 1.0), y + BAR_H / 2.0],
    )
}

/// Rows of the predictions view for `t` positions.
pub fn predictions_camera(t: usize) -> Camera2d {
    Camera2d::new(
        Vec2::new(-1.5, -(t as f32) + 0.3),
        Vec2::new((TOP_K + 1) as f32 * CELL_W + 0.2, 1.3),
    )
}

/// At every position: the input token, the top [`TOP_K`] candidates as bars of their
/// probability (the correct one's bar and name green, a wrong top choice red and its row
/// banded), and the correct token with its probability when it is not among them. `scored` dims positions the
/// task does not score.
pub fn predictions(
    trace: &Trace,
    probe: &Probe,
    task: &Task,
    scored: &[bool],
    camera: SceneCamera,
) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    let t = trace.tokens.len();
    let v = trace.probs.len() / t.max(1);
    let mut mesh = Mesh::default();
    let right_edge = (TOP_K + 1) as f32 * CELL_W;
    for i in 0..t {
        let probs = &trace.probs[i * v..(i + 1) * v];
        let top = top_k(probs, TOP_K);
        let target = probe.targets.get(i).copied().flatten();
        let is_scored = scored.get(i).copied().unwrap_or(false);
        let y = -(i as f32);
        let wrong =
            is_scored && target.is_some_and(|tg| top.first().is_some_and(|&(k, _)| k != tg));
        if wrong {
            mesh.push_rect([-1.4, y - 0.5], [right_edge, y + 0.5], -0.01, MISTAKE_BAND);
        }
        scene.labels.push(label(
            [-0.75, y, 0.0],
            format!("{} {}", i, task.label(trace.tokens[i])),
            11.0,
            Anchor::Center,
            LabelRole::Data,
        ));
        let mut cells: Vec<(u32, f32)> = top.clone();
        if let Some(tg) = target
            && !top.iter().any(|&(k, _)| k == tg)
        {
            cells.push((tg, probs[tg as usize]));
        }
        for (c, &(k, p)) in cells.iter().enumerate() {
            let color = if !is_scored {
                UNSCORED
            } else if Some(k) == target {
                RIGHT
            } else if c == 0 && wrong {
                WRONG
            } else {
                OTHER
            };
            let (min, max) = bar_rect(i, c, p);
            if max[0] > min[0] {
                mesh.push_rect(min, max, 0.0, color);
            }
            // The correct token's name is green wherever it ranks.
            let mut name = label(
                [c as f32 * CELL_W + BAR_X0 - 0.05, y, 0.0],
                task.label(k),
                11.0,
                Anchor::Right,
                LabelRole::Data,
            );
            if Some(k) == target {
                name.color = RIGHT;
            }
            scene.labels.push(name);
            scene.labels.push(label(
                [max[0] + 0.04, y, 0.0],
                format!("{p:.2}"),
                9.0,
                Anchor::Left,
                LabelRole::Value,
            ));
        }
    }
    for (c, title) in (0..TOP_K)
        .map(|c| (c, format!("#{}", c + 1)))
        .chain(std::iter::once((TOP_K, "target".to_string())))
    {
        scene.labels.push(label(
            [c as f32 * CELL_W + BAR_X0 + BAR_LEN / 2.0, 0.85, 0.0],
            title,
            11.0,
            Anchor::Center,
            LabelRole::Title,
        ));
    }
    scene.labels.push(label(
        [-0.75, 0.85, 0.0],
        "pos token",
        11.0,
        Anchor::Center,
        LabelRole::Title,
    ));
    scene.meshes.push(mesh);
    scene
}

/// What the 3D view projects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EmbeddingSource {
    /// The token embedding's rows, one point per token of the vocabulary.
    #[default]
    Tokens,
    /// A block's queries and keys on the probe, one point each per position.
    QueriesKeys(usize),
}

/// A point of the 3D view and what it is.
#[derive(Clone, Debug, PartialEq)]
pub struct EmbeddedPoint {
    /// Position on the top three principal axes.
    pub pos: [f32; 3],
    /// The label.
    pub text: String,
    /// Its color.
    pub color: [f32; 4],
}

/// The camera of the 3D view, framing `points`.
pub fn embedding_camera(points: &[EmbeddedPoint]) -> OrbitCamera {
    let (mut min, mut max) = (Vec3::splat(-1.0), Vec3::splat(1.0));
    for p in points {
        min = min.min(Vec3::from(p.pos));
        max = max.max(Vec3::from(p.pos));
    }
    let mut camera = OrbitCamera::framing(min, max);
    let home = camera.goal();
    camera.set_home(OrbitPose {
        distance: home.distance * 0.8,
        ..home
    });
    camera
}

/// The points, each a sphere with its label, and a faint line joining them in order (for
/// tokens: 0, 1, 2, ..., so sorted digits that line up show it).
pub fn embedding(points: &[EmbeddedPoint], join: bool, camera: SceneCamera) -> Scene {
    let mut scene = Scene::new(camera);
    scene.background = BACKGROUND;
    for p in points {
        scene.points.push(Point {
            pos: p.pos,
            color: p.color,
            radius_px: 7.0,
            style: PointStyle::Sphere,
        });
        scene.labels.push(Label {
            pos: p.pos,
            text: p.text.clone(),
            color: TEXT,
            size_px: 12.0,
            anchor: Anchor::BottomLeft,
            role: LabelRole::Data,
        });
    }
    if join {
        let path: Vec<[f32; 3]> = points.iter().map(|p| p.pos).collect();
        scene
            .lines
            .extend(Line::polyline(&path, [0.6, 0.6, 0.65, 0.5], 1.0));
    }
    let axes = crate::render::Axes {
        names: ["PC1".into(), "PC2".into(), "PC3".into()],
        ..crate::render::Axes::new(
            Vec3::from(points.iter().fold([f32::MAX; 3], |m, p| {
                [m[0].min(p.pos[0]), m[1].min(p.pos[1]), m[2].min(p.pos[2])]
            }))
            .min(Vec3::ZERO),
            Vec3::from(points.iter().fold([f32::MIN; 3], |m, p| {
                [m[0].max(p.pos[0]), m[1].max(p.pos[1]), m[2].max(p.pos[2])]
            }))
            .max(Vec3::ZERO),
        )
    };
    axes.add_to(&mut scene);
    scene
}
