//! `XorSnapshot`: everything the XOR lab's views draw, computed from the network on the lab
//! thread so the UI only copies numbers into scenes:
//! - every neuron's `z` and `a` of every layer for every data point (the network diagram);
//! - the output probability and each hidden neuron's activation (of every hidden layer) over a
//!   grid of the input plane (the decision heatmap and the per-neuron heatmaps);
//! - the input grid mapped through the chosen hidden layer (the warped surface), the data
//!   points in that layer's feature space and, when it is the last hidden layer, the
//!   separating plane / line / threshold of the output layer, exactly; for more than three
//!   neurons, a PCA projection of those;
//! - the loss over a grid of two chosen parameters around their current values, with their
//!   path.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::data::plane::Dataset2d;
use crate::labs::pca::{Pca, pca3};
use crate::labs::xor::geometry::{clip_line_to_rect, clip_plane_to_box};
use crate::labs::xor::settings::XorSettings;
use crate::nn::plane::{ParamId, PlaneNet};
use crate::nn::xor::Activation;

/// One refresh in the history: `(epoch, loss, gradient norm of each layer)`.
pub type HistoryEntry = (u64, f32, Vec<f32>);

/// Cells per side of the heatmaps over the input plane.
pub const HEATMAP_CELLS: usize = 64;
/// Vertices per side of the warped surface mesh.
pub const SURFACE_VERTICES: usize = 25;
/// Samples per side of the loss surface.
pub const LOSS_SURFACE_SAMPLES: usize = 33;
/// Half-width of the loss surface around each weight's current value.
pub const LOSS_SURFACE_HALF_RANGE: f32 = 4.0;

/// One data point seen by every neuron.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointValues {
    /// Pre-activations per layer: `z[l - 1]` of layer `l` (the last is the output's).
    pub z: Vec<Vec<f32>>,
    /// Activations per layer: `a[l - 1]` of layer `l` (the last is the output probability).
    pub a: Vec<Vec<f32>>,
    /// Output probability.
    pub y: f32,
}

impl PointValues {
    /// The output neuron's pre-activation.
    pub fn output_z(&self) -> f32 {
        self.z
            .last()
            .and_then(|z| z.first())
            .copied()
            .unwrap_or(0.0)
    }
}

/// How the feature space is shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FeatureSpace {
    /// One neuron: activations on an axis, split at `threshold` (where the output is 0.5),
    /// `None` when the output never reaches 0.5 inside the axis range or the layer is not the
    /// last hidden one.
    Axis {
        /// Activation where `w2 a + b2 = 0`.
        threshold: Option<f32>,
    },
    /// Two hidden neurons: the plane of activations and the separating line clipped to it.
    Plane {
        /// Ends of `w · a + b = 0` (the output layer's) inside the box, if it crosses it and
        /// the layer is the last hidden one.
        line: Option<([f32; 2], [f32; 2])>,
    },
    /// Three hidden neurons: the separating plane clipped to the box of activations.
    Cube {
        /// Corners of the polygon `w · a + b = 0` (the output layer's) inside the box, in
        /// order; empty unless the layer is the last hidden one.
        plane: Vec<[f32; 3]>,
    },
    /// More than three: coordinates are along the top three principal axes of the activations
    /// of the input grid.
    Projection {
        /// The principal axes.
        pca: Pca,
    },
}

/// The loss over two weights around their current values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LossSurface {
    /// The two parameters and their names.
    pub weights: [(ParamId, String); 2],
    /// Current values of the two weights (the center).
    pub center: [f32; 2],
    /// `samples x samples` losses, row `r` at `wb = center[1] + half_range * (2r/(n-1) - 1)`,
    /// column `c` at `wa = center[0] + half_range * (2c/(n-1) - 1)`.
    pub values: Vec<f32>,
    /// Samples per side.
    pub samples: usize,
    /// Half-width around the center.
    pub half_range: f32,
    /// `(wa, wb, loss then)` at every refresh so far (the loss with all weights as they were).
    pub trajectory: Vec<[f32; 3]>,
    /// The same path drawn on this surface: `(wa, wb, loss now at (wa, wb))`, the other
    /// weights at their current values.
    pub path_on_surface: Vec<[f32; 3]>,
}

/// Everything the views show at one moment of training.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct XorSnapshot {
    /// Epochs trained.
    pub epoch: u64,
    /// Which run (restarts so far).
    pub run: u64,
    /// Settings in force.
    pub settings: XorSettings,
    /// True while training is paused or finished.
    pub paused: bool,
    /// Set when training stopped on a non-finite loss.
    pub diverged: Option<String>,
    /// Why the last command failed, if it did.
    pub message: Option<String>,
    /// Mean loss now.
    pub loss: f32,
    /// Gradient norms of the latest update, per layer.
    pub grad_norms: Vec<f32>,
    /// The network (weights, biases and optimizer state).
    pub net: PlaneNet,
    /// The dataset.
    #[serde(with = "crate::labs::run_file::shared")]
    pub data: Arc<Dataset2d>,
    /// Per data point, every neuron's values.
    pub points: Vec<PointValues>,
    /// Output probability over the input grid: `HEATMAP_CELLS^2`, row 0 at the top (largest
    /// y), cell centers spanning the dataset's extent.
    pub output_grid: Vec<f32>,
    /// Per hidden layer, each neuron's activation over the same grid.
    pub hidden_grids: Vec<Vec<Vec<f32>>>,
    /// The hidden layer the feature space shows, from 1.
    pub feature_layer: usize,
    /// Feature-space coordinates of the warped input plane: `SURFACE_VERTICES^2` vertices,
    /// row-major from the input's bottom-left (x fastest); unused coordinates are 0.
    pub surface: Vec<[f32; 3]>,
    /// The output probability at each surface vertex.
    pub surface_output: Vec<f32>,
    /// Feature-space coordinates of the data points.
    pub point_features: Vec<[f32; 3]>,
    /// Feature-space coordinates of each data point at every refresh (trails).
    pub trails: Vec<Vec<[f32; 3]>>,
    /// The box the feature space is drawn in: `(lo, hi)` per axis.
    pub feature_box: ([f32; 3], [f32; 3]),
    /// How the feature space is shown.
    pub feature_space: FeatureSpace,
    /// `(epoch, loss, grad norms per layer)` at every refresh.
    pub history: Vec<HistoryEntry>,
    /// What the last epoch changed in each weight, per layer (like `w`; with the full batch,
    /// the last update's `Δw`); empty before the first epoch.
    pub last_change: Vec<Vec<f32>>,
    /// The loss over the two chosen parameters.
    pub loss_surface: LossSurface,
    /// The whole training state this moment was computed from, when the lab thread
    /// published it: training on from here reproduces the run, so the timeline can show any
    /// step between two recorded moments. Not saved in run files.
    #[serde(skip)]
    pub checkpoint: Option<Checkpoint>,
}

/// The whole training state a moment came from, opaque here: the session makes one
/// ([`XorSession::checkpoint`](crate::labs::xor::session::XorSession::checkpoint)) and
/// trains on from it; a snapshot only carries it and counts what it costs.
#[derive(Clone)]
pub struct Checkpoint {
    state: Arc<dyn std::any::Any + Send + Sync>,
    bytes: usize,
}

impl Checkpoint {
    /// `state`, which holds `bytes` beyond its own size.
    pub fn new<T: std::any::Any + Send + Sync>(state: T, bytes: usize) -> Self {
        Checkpoint {
            state: Arc::new(state),
            bytes,
        }
    }

    /// The state, if it is a `T`.
    pub fn get<T: std::any::Any>(&self) -> Option<&T> {
        self.state.downcast_ref()
    }

    /// Bytes the state holds.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

impl std::fmt::Debug for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Checkpoint({} bytes)", self.bytes)
    }
}

/// Coordinates of input-grid position `i` of `n` over `extent` (cell centers when `centers`).
fn grid_coord(i: usize, n: usize, extent: (f32, f32), centers: bool) -> f32 {
    let (lo, hi) = extent;
    let t = if centers {
        (i as f32 + 0.5) / n as f32
    } else {
        i as f32 / (n - 1).max(1) as f32
    };
    lo + t * (hi - lo)
}

/// Feature-space coordinates of a hidden activation vector.
fn to_features(a: &[f32], pca: Option<&Pca>) -> [f32; 3] {
    match pca {
        Some(p) => p.project(a),
        None => [
            a.first().copied().unwrap_or(0.0),
            a.get(1).copied().unwrap_or(0.0),
            a.get(2).copied().unwrap_or(0.0),
        ],
    }
}

/// What a snapshot is computed from: the training state at one moment.
#[derive(Clone, Copy, Debug)]
pub struct TrainingState<'a> {
    /// The settings trained with.
    pub settings: &'a XorSettings,
    /// The network now.
    pub net: &'a PlaneNet,
    /// The dataset.
    pub data: &'a Arc<Dataset2d>,
    /// Epochs trained.
    pub epoch: u64,
    /// Which run (restarts so far).
    pub run: u64,
    /// Whether training is paused.
    pub paused: bool,
    /// Why training stopped on its own, if it did.
    pub diverged: Option<&'a str>,
    /// Why the last command failed, if it did.
    pub message: Option<&'a str>,
    /// `(epoch, loss, grad norms per layer)` at every refresh.
    pub history: &'a [HistoryEntry],
    /// `(w_a, w_b, loss)` of the loss surface's two weights at every refresh.
    pub trajectory: &'a [[f32; 3]],
    /// Per data point, the shown hidden layer's activations at every refresh.
    pub trails: &'a [Vec<Vec<f32>>],
    /// What the last epoch changed in each weight, per layer.
    pub last_change: &'a [Vec<f32>],
}

impl crate::labs::timeline::Moment for XorSnapshot {
    fn step(&self) -> u64 {
        self.epoch
    }

    fn loss(&self) -> Option<f32> {
        Some(self.loss)
    }

    /// Every grid, surface, point and history the snapshot holds (the dataset is shared).
    fn heap_bytes(&self) -> usize {
        let f = std::mem::size_of::<f32>();
        let v3 = std::mem::size_of::<[f32; 3]>();
        let neurons: usize = self.net.layers().iter().map(|l| l.outputs).sum();
        let trails: usize = self.trails.iter().map(|t| t.len() * v3).sum();
        std::mem::size_of::<XorSnapshot>()
            + self.points.len() * (std::mem::size_of::<PointValues>() + 2 * neurons * f)
            + self.last_change.iter().map(|l| l.len() * f).sum::<usize>()
            + self.output_grid.len() * f
            + self
                .hidden_grids
                .iter()
                .flatten()
                .map(|g| g.len() * f)
                .sum::<usize>()
            + 4 * self.net.params().len() * f
            + self.surface.len() * v3
            + self.surface_output.len() * f
            + self.point_features.len() * v3
            + trails
            + self.history.len()
                * (std::mem::size_of::<HistoryEntry>() + self.net.layers().len() * f)
            + self.loss_surface.values.len() * f
            + (self.loss_surface.trajectory.len() + self.loss_surface.path_on_surface.len()) * v3
            + self.checkpoint.as_ref().map_or(0, Checkpoint::bytes)
    }

    fn run(&self) -> u64 {
        self.run
    }
}

impl XorSnapshot {
    /// Computes the snapshot of `session` now.
    pub fn compute(session: &TrainingState<'_>) -> XorSnapshot {
        let net = session.net.clone();
        let data = Arc::clone(session.data);
        let layers = net.layers().len();
        let hidden_layers = layers - 1;
        let shown = session.settings.shown_layer().min(hidden_layers);
        let h = net.layers()[shown - 1].outputs;

        let points: Vec<PointValues> = data
            .points
            .iter()
            .map(|&p| {
                let f = net.forward(p);
                let y = f.output();
                PointValues {
                    z: f.z,
                    a: f.a.into_iter().skip(1).collect(),
                    y,
                }
            })
            .collect();

        // Heatmaps over the input plane, row 0 at the top.
        let n = HEATMAP_CELLS;
        let mut output_grid = vec![0.0; n * n];
        let mut hidden_grids: Vec<Vec<Vec<f32>>> = net.layers()[..hidden_layers]
            .iter()
            .map(|l| vec![vec![0.0; n * n]; l.outputs])
            .collect();
        for row in 0..n {
            let y = grid_coord(n - 1 - row, n, data.extent, true);
            for col in 0..n {
                let x = grid_coord(col, n, data.extent, true);
                let f = net.forward([x, y]);
                output_grid[row * n + col] = f.output();
                for (grids, a) in hidden_grids.iter_mut().zip(&f.a[1..]) {
                    for (grid, &v) in grids.iter_mut().zip(a) {
                        grid[row * n + col] = v;
                    }
                }
            }
        }

        // The input plane mapped through the shown hidden layer.
        let m = SURFACE_VERTICES;
        let mut surface_acts = Vec::with_capacity(m * m * h);
        let mut surface_output = Vec::with_capacity(m * m);
        for r in 0..m {
            let y = grid_coord(r, m, data.extent, false);
            for c in 0..m {
                let x = grid_coord(c, m, data.extent, false);
                let f = net.forward([x, y]);
                surface_acts.extend_from_slice(&f.a[shown]);
                surface_output.push(f.output());
            }
        }
        let pca = (h > 3).then(|| pca3(&surface_acts, h));
        let surface: Vec<[f32; 3]> = surface_acts
            .chunks_exact(h)
            .map(|a| to_features(a, pca.as_ref()))
            .collect();
        let point_features: Vec<[f32; 3]> = points
            .iter()
            .map(|p| to_features(&p.a[shown - 1], pca.as_ref()))
            .collect();
        let trails = session
            .trails
            .iter()
            .map(|t| t.iter().map(|a| to_features(a, pca.as_ref())).collect())
            .collect();

        let feature_box = feature_box(&net, h, &surface, &point_features, pca.is_some());
        let (lo, hi) = feature_box;
        // The output layer's weights and bias: the exact separator of the last hidden layer.
        let out = &net.layers()[layers - 1];
        let exact = shown == hidden_layers;
        let (w, b) = (&out.w, out.b[0]);
        let feature_space = match (h, pca) {
            (1, _) => FeatureSpace::Axis {
                threshold: (exact && w[0] != 0.0)
                    .then(|| -b / w[0])
                    .filter(|t| (lo[0]..=hi[0]).contains(t)),
            },
            (2, _) => FeatureSpace::Plane {
                line: if exact {
                    clip_line_to_rect([w[0], w[1]], b, [lo[0], lo[1]], [hi[0], hi[1]])
                } else {
                    None
                },
            },
            (3, _) => FeatureSpace::Cube {
                plane: if exact {
                    clip_plane_to_box([w[0], w[1], w[2]], b, lo, hi)
                } else {
                    Vec::new()
                },
            },
            (_, Some(pca)) => FeatureSpace::Projection { pca },
            (_, None) => FeatureSpace::Axis { threshold: None },
        };

        XorSnapshot {
            epoch: session.epoch,
            run: session.run,
            settings: session.settings.clone(),
            paused: session.paused,
            diverged: session.diverged.map(str::to_string),
            message: session.message.map(str::to_string),
            loss: session.history.last().map(|e| e.1).unwrap_or(f32::NAN),
            grad_norms: net.grad_norms().to_vec(),
            loss_surface: loss_surface(session, &net, &data),
            checkpoint: None,
            net,
            data,
            points,
            output_grid,
            hidden_grids,
            feature_layer: shown,
            surface,
            surface_output,
            point_features,
            trails,
            feature_box,
            feature_space,
            history: session.history.to_vec(),
            last_change: session.last_change.to_vec(),
        }
    }

    /// Neurons of the hidden layer the feature space shows.
    pub fn feature_width(&self) -> usize {
        self.net
            .layers()
            .get(self.feature_layer.saturating_sub(1))
            .map_or(0, |l| l.outputs)
    }

    /// Hidden layers of the network.
    pub fn hidden_layers(&self) -> usize {
        self.net.layers().len().saturating_sub(1)
    }
}

/// The box the feature space is drawn in: the activation's range ([0,1] for sigmoid, [-1,1] for
/// tanh), grown to hold every point for ReLU and for projections.
fn feature_box(
    net: &PlaneNet,
    width: usize,
    surface: &[[f32; 3]],
    points: &[[f32; 3]],
    projected: bool,
) -> ([f32; 3], [f32; 3]) {
    let dims = width.min(3);
    let activation = net.spec().activation;
    let (mut lo, mut hi) = match (activation, projected) {
        (Activation::Sigmoid, false) => ([0.0; 3], [1.0; 3]),
        (Activation::Tanh, false) => ([-1.0; 3], [1.0; 3]),
        _ => ([f32::INFINITY; 3], [f32::NEG_INFINITY; 3]),
    };
    if activation == Activation::Relu || projected {
        for p in surface.iter().chain(points) {
            for k in 0..3 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
        for k in 0..3 {
            if !(lo[k].is_finite() && hi[k].is_finite()) {
                (lo[k], hi[k]) = (0.0, 1.0);
            }
            if hi[k] - lo[k] < 1e-3 {
                hi[k] = lo[k] + 1.0;
            }
        }
    }
    for k in dims..3 {
        lo[k] = 0.0;
        hi[k] = 0.0;
    }
    (lo, hi)
}

fn loss_surface(session: &TrainingState<'_>, net: &PlaneNet, data: &Dataset2d) -> LossSurface {
    let (ia, ib) = session.settings.surface_weights;
    let value = |id| net.param(id).unwrap_or(0.0);
    let center = [value(ia), value(ib)];
    let n = LOSS_SURFACE_SAMPLES;
    let half = LOSS_SURFACE_HALF_RANGE;
    let mut probe = net.clone();
    // A parameter the network lacks is left alone (the session never chooses one).
    let set = |probe: &mut PlaneNet, id: ParamId, v: f32| {
        probe.set_param(id, v).ok();
    };
    let mut values = Vec::with_capacity(n * n);
    for r in 0..n {
        let wb = center[1] + half * (2.0 * r as f32 / (n - 1) as f32 - 1.0);
        set(&mut probe, ib, wb);
        for c in 0..n {
            let wa = center[0] + half * (2.0 * c as f32 / (n - 1) as f32 - 1.0);
            set(&mut probe, ia, wa);
            values.push(probe.loss(&data.points, &data.labels));
        }
    }
    let trajectory = session.trajectory.to_vec();
    let path_on_surface = trajectory
        .iter()
        .map(|&[wa, wb, _]| {
            set(&mut probe, ia, wa);
            set(&mut probe, ib, wb);
            [wa, wb, probe.loss(&data.points, &data.labels)]
        })
        .collect();
    LossSurface {
        weights: [(ia, ia.name()), (ib, ib.name())],
        center,
        values,
        samples: n,
        half_range: half,
        trajectory,
        path_on_surface,
    }
}
