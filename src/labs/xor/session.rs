//! `XorSession`: the XOR lab's training state and the commands that change it. Pure and
//! synchronous - the lab thread owns one, applies the UI's commands between epochs, trains
//! `epochs_per_refresh` epochs at a time and publishes [`XorSnapshot`]s.

use std::sync::Arc;

use crate::data::plane::{DEFAULT_POINTS, Dataset2d, DatasetKind};
use crate::labs::xor::settings::{XorSettings, default_surface_weights};
use crate::labs::xor::snapshot::{Checkpoint, TrainingState, XorSnapshot};
use crate::nn::plane::{ParamId, PlaneLoss, PlaneNet, PlaneOptimizer, check_hidden};
use crate::nn::xor::Activation;
use crate::nn::{NnError, Result};

pub use crate::labs::xor::snapshot::HistoryEntry;

/// What the UI asks of the lab.
#[derive(Clone, Debug, PartialEq)]
pub enum XorCommand {
    /// Stop training (snapshots keep coming when settings change).
    Pause,
    /// Continue training.
    Resume,
    /// Pause if running, resume if paused.
    TogglePause,
    /// Train exactly one refresh's worth of epochs, then stay paused.
    Step,
    /// Train exactly one epoch, then stay paused (the end of a step-through).
    StepEpoch,
    /// New initial weights: with a new seed (`true`) or the same one.
    Reset {
        /// Draw a new seed first.
        new_seed: bool,
    },
    /// Learning rate for the next epochs.
    SetLearningRate(f32),
    /// Hidden activation (restarts training).
    SetActivation(Activation),
    /// Neurons of each hidden layer (restarts training).
    SetHidden(Vec<usize>),
    /// The loss (restarts training).
    SetLoss(PlaneLoss),
    /// The optimizer (restarts training).
    SetOptimizer(PlaneOptimizer),
    /// Points per batch, 0 for all (restarts training).
    SetBatch(usize),
    /// The hidden layer the feature space shows (from 1; `None`: the last).
    SetFeatureLayer(Option<usize>),
    /// Epochs between snapshots.
    SetEpochsPerRefresh(u64),
    /// Total epochs.
    SetMaxEpochs(u64),
    /// Dataset and noise (restarts training).
    SetDataset(DatasetKind, f32),
    /// Seed (restarts training).
    SetSeed(u64),
    /// The two parameters the loss surface spans.
    SetSurfaceWeights(ParamId, ParamId),
    /// Replace the network's weights and biases (loaded from a file); its layers and
    /// activation become the settings, the loss, optimizer and batch stay.
    LoadNetwork(Box<PlaneNet>),
}

/// Most entries kept in the loss and gradient histories; older ones are thinned out.
const MAX_HISTORY: usize = 4096;

/// The lab's training state.
#[derive(Clone, Debug)]
pub struct XorSession {
    settings: XorSettings,
    net: PlaneNet,
    data: Arc<Dataset2d>,
    epoch: u64,
    paused: bool,
    /// `(epoch, loss, grad norms per layer)` at every refresh.
    history: Vec<HistoryEntry>,
    /// `(w_a, w_b, loss)` of the loss surface's two weights at every refresh.
    trajectory: Vec<[f32; 3]>,
    /// Per data point, the shown hidden layer's activations at every refresh (for trails).
    trails: Vec<Vec<Vec<f32>>>,
    /// What the last epoch changed in each weight, per layer (like `w`); empty before one.
    last_change: Vec<Vec<f32>>,
    diverged: Option<String>,
    /// Why the last command failed, shown until the next one succeeds.
    message: Option<String>,
    /// Restarts so far (each starts a new run on the timeline).
    run: u64,
}

impl XorSession {
    /// A fresh session with `settings`.
    pub fn new(settings: XorSettings) -> Result<Self> {
        let net = PlaneNet::new(&settings.spec())?;
        let data = Arc::new(Dataset2d::generate(
            settings.dataset,
            DEFAULT_POINTS,
            settings.noise,
            settings.seed,
        ));
        let mut session = XorSession {
            settings,
            net,
            data,
            epoch: 0,
            paused: false,
            history: Vec::new(),
            trajectory: Vec::new(),
            trails: Vec::new(),
            last_change: Vec::new(),
            diverged: None,
            message: None,
            run: 0,
        };
        session.check_settings()?;
        session.record(session.net.loss(&session.data.points, &session.data.labels));
        Ok(session)
    }

    fn check_settings(&self) -> Result<()> {
        let s = &self.settings;
        if !(s.learning_rate.is_finite() && s.learning_rate > 0.0) {
            return Err(NnError::Config(format!(
                "learning rate must be positive, got {}",
                s.learning_rate
            )));
        }
        if s.epochs_per_refresh == 0 {
            return Err(NnError::Config(
                "epochs per refresh must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// The settings in force.
    pub fn settings(&self) -> &XorSettings {
        &self.settings
    }

    /// The network.
    pub fn net(&self) -> &PlaneNet {
        &self.net
    }

    /// The dataset.
    pub fn data(&self) -> &Arc<Dataset2d> {
        &self.data
    }

    /// Epochs trained since the last restart.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Shows `message` with the next snapshots (a command that failed).
    pub fn set_message(&mut self, message: String) {
        self.message = Some(message);
    }

    /// True while paused (or after `max_epochs`, or after diverging).
    pub fn is_paused(&self) -> bool {
        self.paused || self.is_done()
    }

    /// True once `max_epochs` are trained or training diverged.
    pub fn is_done(&self) -> bool {
        self.epoch >= self.settings.max_epochs || self.diverged.is_some()
    }

    /// Why training stopped by itself with a non-finite loss, if it did.
    pub fn diverged(&self) -> Option<&str> {
        self.diverged.as_deref()
    }

    /// Restarts training from new weights drawn with the current settings.
    fn restart(&mut self) -> Result<()> {
        let s = &self.settings;
        self.net = PlaneNet::new(&s.spec())?;
        self.data = Arc::new(Dataset2d::generate(
            s.dataset,
            DEFAULT_POINTS,
            s.noise,
            s.seed,
        ));
        let (a, b) = s.surface_weights;
        if self.net.param(a).is_none() || self.net.param(b).is_none() || a == b {
            self.settings.surface_weights = default_surface_weights();
        }
        self.epoch = 0;
        self.run += 1;
        self.history.clear();
        self.trajectory.clear();
        self.trails.clear();
        self.last_change.clear();
        self.diverged = None;
        self.record(self.net.loss(&self.data.points, &self.data.labels));
        Ok(())
    }

    /// Applies one command from the UI.
    pub fn apply(&mut self, command: XorCommand) -> Result<()> {
        self.message = None;
        match command {
            XorCommand::Pause => self.paused = true,
            XorCommand::Resume => self.paused = false,
            XorCommand::TogglePause => self.paused = !self.paused,
            XorCommand::Step => {
                self.paused = true;
                self.train_refresh();
            }
            XorCommand::StepEpoch => {
                self.paused = true;
                self.train_epochs(1);
            }
            XorCommand::Reset { new_seed } => {
                if new_seed {
                    self.settings.seed = self
                        .settings
                        .seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                }
                self.restart()?;
            }
            XorCommand::SetLearningRate(lr) => {
                if !(lr.is_finite() && lr > 0.0) {
                    return Err(NnError::Config(format!(
                        "learning rate must be positive, got {lr}"
                    )));
                }
                self.settings.learning_rate = lr;
                self.net.set_learning_rate(lr)?;
            }
            XorCommand::SetActivation(a) => {
                self.settings.activation = a;
                self.restart()?;
            }
            XorCommand::SetHidden(hidden) => {
                check_hidden(&hidden)
                    .map_err(|why| NnError::Config(format!("hidden layers {hidden:?}: {why}")))?;
                self.settings.hidden = hidden;
                self.restart()?;
            }
            XorCommand::SetLoss(loss) => {
                self.settings.loss = loss;
                self.restart()?;
            }
            XorCommand::SetOptimizer(optimizer) => {
                self.settings.optimizer = optimizer;
                self.restart()?;
            }
            XorCommand::SetBatch(batch) => {
                self.settings.batch = batch;
                self.restart()?;
            }
            XorCommand::SetFeatureLayer(layer) => {
                self.settings.feature_layer = layer;
                self.trails.clear();
                self.last_change.clear();
                self.record_trails();
            }
            XorCommand::SetEpochsPerRefresh(n) => self.settings.epochs_per_refresh = n.max(1),
            XorCommand::SetMaxEpochs(n) => self.settings.max_epochs = n,
            XorCommand::SetDataset(kind, noise) => {
                self.settings.dataset = kind;
                self.settings.noise = noise.max(0.0);
                self.restart()?;
            }
            XorCommand::SetSeed(seed) => {
                self.settings.seed = seed;
                self.restart()?;
            }
            XorCommand::SetSurfaceWeights(a, b) => {
                if self.net.param(a).is_some() && self.net.param(b).is_some() && a != b {
                    self.settings.surface_weights = (a, b);
                    self.trajectory.clear();
                    self.record(self.net.loss(&self.data.points, &self.data.labels));
                }
            }
            XorCommand::LoadNetwork(net) => {
                let spec = net.spec();
                check_hidden(&spec.hidden).map_err(NnError::Config)?;
                self.settings.hidden = spec.hidden.clone();
                self.settings.activation = spec.activation;
                self.restart()?;
                for id in self.net.params() {
                    if let Some(v) = net.param(id) {
                        self.net.set_param(id, v)?;
                    }
                }
                self.history.clear();
                self.trajectory.clear();
                self.trails.clear();
                self.last_change.clear();
                self.record(self.net.loss(&self.data.points, &self.data.labels));
            }
        }
        Ok(())
    }

    /// Trains on, refresh by refresh as the run did (paused or not), while a whole refresh
    /// still ends at or before epoch `target`; returns the epoch reached.
    pub fn train_to(&mut self, target: u64) -> u64 {
        while !self.is_done() && self.diverged.is_none() {
            let next = self.epoch
                + self
                    .settings
                    .epochs_per_refresh
                    .min(self.settings.max_epochs - self.epoch);
            if next > target {
                break;
            }
            self.train_refresh();
        }
        self.epoch
    }

    /// The session as a snapshot's checkpoint (a copy; see [`from_checkpoint`](Self::from_checkpoint)).
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint::new(self.clone(), self.heap_bytes())
    }

    /// A copy of the session `checkpoint` holds, if it holds one.
    pub fn from_checkpoint(checkpoint: &Checkpoint) -> Option<XorSession> {
        checkpoint.get::<XorSession>().cloned()
    }

    /// Bytes the session holds beyond its own size (what keeping it as a checkpoint costs).
    pub fn heap_bytes(&self) -> usize {
        let f = std::mem::size_of::<f32>();
        let trails: usize = self
            .trails
            .iter()
            .flat_map(|t| {
                t.iter()
                    .map(|a| a.len() * f + std::mem::size_of::<Vec<f32>>())
            })
            .sum();
        std::mem::size_of::<XorSession>()
            + trails
            + self.history.len()
                * (std::mem::size_of::<HistoryEntry>() + self.net.layers().len() * f)
            + self.trajectory.len() * std::mem::size_of::<[f32; 3]>()
            + 4 * self.net.params().len() * f
    }

    /// Trains one refresh's worth of epochs unless paused or done; returns whether it trained.
    pub fn advance(&mut self) -> bool {
        if self.is_paused() {
            return false;
        }
        self.train_refresh();
        true
    }

    fn train_refresh(&mut self) {
        self.train_epochs(self.settings.epochs_per_refresh);
    }

    /// Trains `count` epochs (fewer at `max_epochs`) and records the moment.
    fn train_epochs(&mut self, count: u64) {
        if self.is_done() {
            return;
        }
        let todo = count.min(self.settings.max_epochs - self.epoch);
        let mut loss = f32::NAN;
        let weights = |net: &PlaneNet| -> Vec<Vec<f32>> {
            net.layers().iter().map(|l| l.w.clone()).collect()
        };
        let mut before = Vec::new();
        for i in 0..todo {
            if i + 1 == todo {
                before = weights(&self.net);
            }
            loss = self.net.train_epoch(&self.data.points, &self.data.labels);
            self.epoch += 1;
        }
        self.last_change = weights(&self.net)
            .iter()
            .zip(&before)
            .map(|(a, b)| a.iter().zip(b).map(|(x, y)| x - y).collect())
            .collect();
        if !(loss.is_finite() && self.net.is_finite()) {
            self.diverged = Some(format!(
                "training diverged by epoch {} (loss {loss}) with learning rate {}: lower it and reset",
                self.epoch, self.settings.learning_rate
            ));
            return;
        }
        // The loss of the weights after the update, as the views show them.
        let after = self.net.loss(&self.data.points, &self.data.labels);
        self.record(after);
    }

    fn record(&mut self, loss: f32) {
        self.history
            .push((self.epoch, loss, self.net.grad_norms().to_vec()));
        let (a, b) = self.settings.surface_weights;
        let value = |id| self.net.param(id).unwrap_or(f32::NAN);
        self.trajectory.push([value(a), value(b), loss]);
        self.record_trails();
        if self.history.len() > MAX_HISTORY {
            thin(&mut self.history);
            thin(&mut self.trajectory);
            for t in &mut self.trails {
                thin(t);
            }
        }
    }

    /// Adds every data point's activations of the shown hidden layer to its trail.
    fn record_trails(&mut self) {
        let layer = self.settings.shown_layer();
        self.trails.resize(self.data.len(), Vec::new());
        for (trail, &p) in self.trails.iter_mut().zip(&self.data.points) {
            let mut f = self.net.forward(p);
            trail.push(std::mem::take(&mut f.a[layer]));
        }
    }

    /// `(epoch, loss, grad norms per layer)` at every refresh.
    pub fn history(&self) -> &[HistoryEntry] {
        &self.history
    }

    /// The loss surface's two weights and the loss at every refresh.
    pub fn trajectory(&self) -> &[[f32; 3]] {
        &self.trajectory
    }

    /// Per data point, the shown hidden layer's activations at every refresh.
    pub fn trails(&self) -> &[Vec<Vec<f32>>] {
        &self.trails
    }

    /// Everything the views draw, computed now.
    pub fn snapshot(&self) -> XorSnapshot {
        XorSnapshot::compute(&TrainingState {
            settings: &self.settings,
            net: &self.net,
            data: &self.data,
            epoch: self.epoch,
            run: self.run,
            paused: self.paused,
            diverged: self.diverged.as_deref(),
            message: self.message.as_deref(),
            history: &self.history,
            trajectory: &self.trajectory,
            trails: &self.trails,
            last_change: &self.last_change,
        })
    }
}

/// Drops every other entry but the last, halving a history that grew too long.
fn thin<T: Clone>(v: &mut Vec<T>) {
    let last = v.last().cloned();
    let mut i = 0;
    v.retain(|_| {
        i += 1;
        i % 2 == 1
    });
    if let Some(last) = last {
        v.push(last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_session_solves_xor_and_stops_at_max_epochs() {
        let mut s = XorSession::new(XorSettings {
            max_epochs: 20_000,
            ..XorSettings::default()
        })
        .unwrap();
        while s.advance() {}
        assert_eq!(s.epoch(), 20_000);
        assert!(s.is_done());
        for (p, &y) in s.data().points.iter().zip(&s.data().labels) {
            assert_eq!(s.net().predict(*p) > 0.5, y > 0.5);
        }
        assert_eq!(
            s.history().len(),
            201,
            "one entry per refresh plus the start"
        );
    }

    #[test]
    fn commands_change_what_they_say() {
        let mut s = XorSession::new(XorSettings::default()).unwrap();
        s.apply(XorCommand::Pause).unwrap();
        assert!(!s.advance());
        s.apply(XorCommand::Step).unwrap();
        assert_eq!(s.epoch(), 100);
        s.apply(XorCommand::SetLearningRate(0.5)).unwrap();
        assert_eq!(s.settings().learning_rate, 0.5);
        assert!(s.apply(XorCommand::SetLearningRate(-1.0)).is_err());
        assert_eq!(s.net().spec().learning_rate, 0.5);
        s.apply(XorCommand::SetHidden(vec![5])).unwrap();
        assert_eq!((s.net().architecture().as_str(), s.epoch()), ("2-5-1", 0));
        assert!(s.apply(XorCommand::SetHidden(vec![8, 17])).is_err());
        s.apply(XorCommand::SetHidden(vec![4, 3])).unwrap();
        s.apply(XorCommand::SetLoss(PlaneLoss::Bce)).unwrap();
        s.apply(XorCommand::SetOptimizer(PlaneOptimizer::Adam))
            .unwrap();
        s.apply(XorCommand::SetBatch(2)).unwrap();
        let spec = s.net().spec();
        assert_eq!(
            (
                spec.hidden.as_slice(),
                spec.loss,
                spec.optimizer,
                spec.batch
            ),
            (&[4, 3][..], PlaneLoss::Bce, PlaneOptimizer::Adam, 2)
        );
        s.apply(XorCommand::Step).unwrap();
        assert_eq!(s.history().last().map(|h| h.2.len()), Some(3));
        s.apply(XorCommand::Reset { new_seed: false }).unwrap();
        let before = s.net().layers().to_vec();
        s.apply(XorCommand::Step).unwrap();
        s.apply(XorCommand::Reset { new_seed: false }).unwrap();
        assert_eq!(s.net().layers(), before, "same seed, same weights");
        s.apply(XorCommand::Reset { new_seed: true }).unwrap();
        assert_ne!(s.net().layers(), before);
        s.apply(XorCommand::SetDataset(DatasetKind::Moons, 0.05))
            .unwrap();
        assert_eq!(s.data().len(), DEFAULT_POINTS);
    }

    #[test]
    fn divergence_stops_training_with_a_message() {
        let mut s = XorSession::new(XorSettings::default()).unwrap();
        // A weight that is no longer a number: every loss after it is NaN.
        let mut broken = s.net().clone();
        broken
            .set_param(ParamId::weight(2, 0, 0), f32::NAN)
            .unwrap();
        s.apply(XorCommand::LoadNetwork(Box::new(broken))).unwrap();
        let mut steps = 0;
        while s.advance() && steps < 1000 {
            steps += 1;
        }
        assert_eq!(steps, 1, "training went on after the loss became NaN");
        let msg = s.diverged().expect("a NaN weight is divergence");
        assert!(msg.contains("lower it"), "{msg}");
        assert!(
            s.epoch() < s.settings().max_epochs,
            "training ran to the end at epoch {}",
            s.epoch()
        );
        assert!(s.is_paused());
        // The snapshot says so too, and a reset starts over.
        assert!(s.snapshot().diverged.is_some());
        s.apply(XorCommand::Reset { new_seed: false }).unwrap();
        assert!(s.diverged().is_none());
    }
}

#[cfg(test)]
mod snapshot_tests {
    use super::*;
    use crate::labs::xor::snapshot::{FeatureSpace, HEATMAP_CELLS, SURFACE_VERTICES};

    #[test]
    fn the_chosen_layer_is_the_feature_space_of_a_deeper_network() {
        for layer in [Some(2), None] {
            let mut s = XorSession::new(XorSettings {
                hidden: vec![4, 3, 2],
                activation: Activation::Tanh,
                max_epochs: 300,
                feature_layer: layer,
                ..XorSettings::default()
            })
            .unwrap();
            while s.advance() {}
            let snap = s.snapshot();
            let l = layer.unwrap_or(3);
            assert_eq!(snap.feature_layer, l);
            for (p, f) in snap.data.points.iter().zip(&snap.point_features) {
                let a = &snap.net.forward(*p).a[l];
                let want = [a[0], a[1], a.get(2).copied().unwrap_or(0.0)];
                assert_eq!(f, &want, "layer {l}");
            }
            match (&snap.feature_space, l) {
                (FeatureSpace::Cube { plane }, 2) => assert!(plane.is_empty()),
                (FeatureSpace::Plane { .. }, 3) => {}
                (other, _) => panic!("layer {l}: {other:?}"),
            }
            assert_eq!(snap.hidden_grids.len(), 3);
            assert_eq!(snap.points[0].a.len(), 4);
        }
    }

    fn trained(hidden: usize, epochs: u64) -> XorSession {
        let mut s = XorSession::new(XorSettings {
            hidden: vec![hidden],
            max_epochs: epochs,
            ..XorSettings::default()
        })
        .unwrap();
        while s.advance() {}
        s
    }

    #[test]
    fn the_plane_separates_the_points_once_xor_is_solved() {
        let snap = trained(3, 30_000).snapshot();
        let FeatureSpace::Cube { plane } = &snap.feature_space else {
            panic!("h = 3 is a cube")
        };
        assert!(plane.len() >= 3);
        let out = &snap.net.layers()[1];
        let (w, b2) = (&out.w, out.b[0]);
        for corner in plane {
            let v: f32 = w.iter().zip(corner).map(|(a, b)| a * b).sum::<f32>() + b2;
            assert!(v.abs() < 1e-4, "corner {corner:?} is on the plane");
        }
        for (p, &label) in snap.point_features.iter().zip(&snap.data.labels) {
            let side: f32 = w.iter().zip(p).map(|(a, b)| a * b).sum::<f32>() + b2;
            assert_eq!(
                side > 0.0,
                label > 0.5,
                "point {p:?} on the side of its class"
            );
        }
    }

    #[test]
    fn the_surface_is_the_hidden_layer_applied_to_the_grid() {
        let snap = trained(3, 2_000).snapshot();
        let m = SURFACE_VERTICES;
        for (k, v) in snap.surface.iter().enumerate() {
            let (r, c) = (k / m, k % m);
            let x = -0.5 + 2.0 * c as f32 / (m - 1) as f32;
            let y = -0.5 + 2.0 * r as f32 / (m - 1) as f32;
            let a = &snap.net.forward([x, y]).a[1];
            assert_eq!(v, &[a[0], a[1], a[2]]);
        }
        assert_eq!(snap.output_grid.len(), HEATMAP_CELLS * HEATMAP_CELLS);
        assert_eq!(snap.hidden_grids.len(), 1);
        assert_eq!(snap.hidden_grids[0].len(), 3);
    }

    #[test]
    fn other_sizes_get_their_own_feature_views() {
        assert!(matches!(
            trained(1, 100).snapshot().feature_space,
            FeatureSpace::Axis { .. }
        ));
        assert!(matches!(
            trained(2, 100).snapshot().feature_space,
            FeatureSpace::Plane { .. }
        ));
        let snap = trained(6, 100).snapshot();
        let FeatureSpace::Projection { pca } = &snap.feature_space else {
            panic!("h = 6 projects")
        };
        assert_eq!(pca.axes.len(), 3);
        let (lo, hi) = snap.feature_box;
        for p in &snap.surface {
            assert!((0..3).all(|k| p[k] >= lo[k] - 1e-5 && p[k] <= hi[k] + 1e-5));
        }
    }

    #[test]
    fn the_loss_surface_is_centred_on_the_current_weights() {
        let mut s = trained(3, 1_000);
        s.apply(XorCommand::SetSurfaceWeights(
            ParamId::bias(1, 0),
            ParamId::weight(2, 0, 0),
        ))
        .unwrap();
        let snap = s.snapshot();
        let ls = &snap.loss_surface;
        assert_eq!(ls.weights[0].1, "b1[0]");
        assert_eq!(ls.weights[1].1, "w2[0,0]");
        let mid = ls.samples / 2;
        let at_center = ls.values[mid * ls.samples + mid];
        assert!(
            (at_center - snap.loss).abs() < 1e-6,
            "{at_center} vs {}",
            snap.loss
        );
        assert_eq!(ls.trajectory.last().map(|t| t[2]), Some(snap.loss));
        // The path drawn on the surface ends at the surface's center, at today's loss.
        let end = ls.path_on_surface.last().unwrap();
        assert_eq!([end[0], end[1]], ls.center);
        assert!((end[2] - at_center).abs() < 1e-6);
    }
}
