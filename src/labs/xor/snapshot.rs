//! `XorSnapshot`: everything the XOR lab's views draw, computed from the network on the lab
//! thread so the UI only copies numbers into scenes:
//! - every neuron's `z` and `a` for every data point (the network diagram);
//! - the output probability and each hidden neuron's activation over a grid of the input plane
//!   (the decision heatmap and the per-neuron heatmaps);
//! - the input grid mapped through the hidden layer (the warped surface), the data points in
//!   feature space, and the separating plane / line / threshold of the output layer, exactly;
//!   for more than three hidden neurons, a PCA projection of those;
//! - the loss over a grid of two chosen weights around their current values, with their path.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::data::plane::Dataset2d;
use crate::labs::pca::{Pca, pca3};
use crate::labs::xor::geometry::{clip_line_to_rect, clip_plane_to_box};
use crate::labs::xor::settings::XorSettings;
use crate::nn::xor::{Activation, GradNorms, XorNet, sigmoid};

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
    /// Hidden pre-activations.
    pub z1: Vec<f32>,
    /// Hidden activations.
    pub a1: Vec<f32>,
    /// Output pre-activation.
    pub z2: f32,
    /// Output probability.
    pub y: f32,
}

/// How the feature space is shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FeatureSpace {
    /// One hidden neuron: activations on an axis, split at `threshold` (where the output is 0.5),
    /// `None` when the output never reaches 0.5 inside the axis range.
    Axis {
        /// Activation where `w2 a + b2 = 0`.
        threshold: Option<f32>,
    },
    /// Two hidden neurons: the plane of activations and the separating line clipped to it.
    Plane {
        /// Ends of `w2 · a + b2 = 0` inside the box, if it crosses it.
        line: Option<([f32; 2], [f32; 2])>,
    },
    /// Three hidden neurons: the separating plane clipped to the box of activations.
    Cube {
        /// Corners of the polygon `w2 · a + b2 = 0` inside the box, in order.
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
    /// Parameter indices and names.
    pub weights: [(usize, String); 2],
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
    /// Gradient norms of the latest epoch.
    pub grad_norms: GradNorms,
    /// The network (weights and biases).
    pub net: XorNet,
    /// The dataset.
    #[serde(with = "crate::labs::run_file::shared")]
    pub data: Arc<Dataset2d>,
    /// Per data point, every neuron's values.
    pub points: Vec<PointValues>,
    /// Output probability over the input grid: `HEATMAP_CELLS^2`, row 0 at the top (largest
    /// y), cell centers spanning the dataset's extent.
    pub output_grid: Vec<f32>,
    /// Each hidden neuron's activation over the same grid.
    pub hidden_grids: Vec<Vec<f32>>,
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
    /// `(epoch, loss, grad norms)` at every refresh.
    pub history: Vec<(u64, f32, GradNorms)>,
    /// The loss over the two chosen weights.
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
    pub net: &'a XorNet,
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
    /// `(epoch, loss, grad norms)` at every refresh.
    pub history: &'a [(u64, f32, GradNorms)],
    /// `(w_a, w_b, loss)` of the loss surface's two weights at every refresh.
    pub trajectory: &'a [[f32; 3]],
    /// Per data point, its hidden activations at every refresh.
    pub trails: &'a [Vec<Vec<f32>>],
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
        let h = self.net.hidden();
        let trails: usize = self.trails.iter().map(|t| t.len() * v3).sum();
        std::mem::size_of::<XorSnapshot>()
            + self.points.len() * (std::mem::size_of::<PointValues>() + 2 * h * f)
            + self.output_grid.len() * f
            + self.hidden_grids.iter().map(|g| g.len() * f).sum::<usize>()
            + self.surface.len() * v3
            + self.surface_output.len() * f
            + self.point_features.len() * v3
            + trails
            + self.history.len() * std::mem::size_of::<(u64, f32, GradNorms)>()
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
        let h = net.hidden();
        let (mut z, mut a) = (vec![0.0; h], vec![0.0; h]);

        let points: Vec<PointValues> = data
            .points
            .iter()
            .map(|&p| {
                net.hidden_into(p, &mut z, &mut a);
                let z2 = net.output_z(&a);
                PointValues {
                    z1: z.clone(),
                    a1: a.clone(),
                    z2,
                    y: sigmoid(z2),
                }
            })
            .collect();

        // Heatmaps over the input plane, row 0 at the top.
        let n = HEATMAP_CELLS;
        let mut output_grid = vec![0.0; n * n];
        let mut hidden_grids = vec![vec![0.0; n * n]; h];
        for row in 0..n {
            let y = grid_coord(n - 1 - row, n, data.extent, true);
            for col in 0..n {
                let x = grid_coord(col, n, data.extent, true);
                net.hidden_into([x, y], &mut z, &mut a);
                output_grid[row * n + col] = sigmoid(net.output_z(&a));
                for (grid, &v) in hidden_grids.iter_mut().zip(&a) {
                    grid[row * n + col] = v;
                }
            }
        }

        // The input plane mapped through the hidden layer.
        let m = SURFACE_VERTICES;
        let mut surface_acts = Vec::with_capacity(m * m * h);
        let mut surface_output = Vec::with_capacity(m * m);
        for r in 0..m {
            let y = grid_coord(r, m, data.extent, false);
            for c in 0..m {
                let x = grid_coord(c, m, data.extent, false);
                net.hidden_into([x, y], &mut z, &mut a);
                surface_acts.extend_from_slice(&a);
                surface_output.push(sigmoid(net.output_z(&a)));
            }
        }
        let pca = (h > 3).then(|| pca3(&surface_acts, h));
        let surface: Vec<[f32; 3]> = surface_acts
            .chunks_exact(h)
            .map(|a| to_features(a, pca.as_ref()))
            .collect();
        let point_features: Vec<[f32; 3]> = points
            .iter()
            .map(|p| to_features(&p.a1, pca.as_ref()))
            .collect();
        let trails = session
            .trails
            .iter()
            .map(|t| t.iter().map(|a| to_features(a, pca.as_ref())).collect())
            .collect();

        let feature_box = feature_box(&net, &surface, &point_features, pca.is_some());
        let (lo, hi) = feature_box;
        let feature_space = match (h, pca) {
            (1, _) => FeatureSpace::Axis {
                threshold: (net.w2[0] != 0.0)
                    .then(|| -net.b2 / net.w2[0])
                    .filter(|t| (lo[0]..=hi[0]).contains(t)),
            },
            (2, _) => FeatureSpace::Plane {
                line: clip_line_to_rect(
                    [net.w2[0], net.w2[1]],
                    net.b2,
                    [lo[0], lo[1]],
                    [hi[0], hi[1]],
                ),
            },
            (3, _) => FeatureSpace::Cube {
                plane: clip_plane_to_box([net.w2[0], net.w2[1], net.w2[2]], net.b2, lo, hi),
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
            grad_norms: net.grad_norms(),
            loss_surface: loss_surface(session, &net, &data),
            checkpoint: None,
            net,
            data,
            points,
            output_grid,
            hidden_grids,
            surface,
            surface_output,
            point_features,
            trails,
            feature_box,
            feature_space,
            history: session.history.to_vec(),
        }
    }
}

/// The box the feature space is drawn in: the activation's range ([0,1] for sigmoid, [-1,1] for
/// tanh), grown to hold every point for ReLU and for projections.
fn feature_box(
    net: &XorNet,
    surface: &[[f32; 3]],
    points: &[[f32; 3]],
    projected: bool,
) -> ([f32; 3], [f32; 3]) {
    let dims = net.hidden().min(3);
    let (mut lo, mut hi) = match (net.activation(), projected) {
        (Activation::Sigmoid, false) => ([0.0; 3], [1.0; 3]),
        (Activation::Tanh, false) => ([-1.0; 3], [1.0; 3]),
        _ => ([f32::INFINITY; 3], [f32::NEG_INFINITY; 3]),
    };
    if net.activation() == Activation::Relu || projected {
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

fn loss_surface(session: &TrainingState<'_>, net: &XorNet, data: &Dataset2d) -> LossSurface {
    let (ia, ib) = session.settings.surface_weights;
    let names = net.param_names();
    let center = [net.param(ia), net.param(ib)];
    let n = LOSS_SURFACE_SAMPLES;
    let half = LOSS_SURFACE_HALF_RANGE;
    let mut probe = net.clone();
    let mut values = Vec::with_capacity(n * n);
    for r in 0..n {
        let wb = center[1] + half * (2.0 * r as f32 / (n - 1) as f32 - 1.0);
        probe.set_param(ib, wb);
        for c in 0..n {
            let wa = center[0] + half * (2.0 * c as f32 / (n - 1) as f32 - 1.0);
            probe.set_param(ia, wa);
            values.push(probe.loss(&data.points, &data.labels));
        }
    }
    let trajectory = session.trajectory.to_vec();
    let path_on_surface = trajectory
        .iter()
        .map(|&[wa, wb, _]| {
            probe.set_param(ia, wa);
            probe.set_param(ib, wb);
            [wa, wb, probe.loss(&data.points, &data.labels)]
        })
        .collect();
    LossSurface {
        weights: [(ia, names[ia].clone()), (ib, names[ib].clone())],
        center,
        values,
        samples: n,
        half_range: half,
        trajectory,
        path_on_surface,
    }
}
