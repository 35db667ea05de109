//! `XorSession`: the XOR lab's training state and the commands that change it. Pure and
//! synchronous - the lab thread owns one, applies the UI's commands between epochs, trains
//! `epochs_per_refresh` epochs at a time and publishes [`XorSnapshot`]s.

use std::sync::Arc;

use crate::labs::xor::datasets::{DEFAULT_POINTS, Dataset2d, DatasetKind};
use crate::labs::xor::snapshot::XorSnapshot;
use crate::nn::xor::{Activation, GradNorms, XorNet};
use crate::nn::{NnError, Result};

/// Everything the user can set.
#[derive(Clone, Debug, PartialEq)]
pub struct XorSettings {
    /// Hidden neurons.
    pub hidden: usize,
    /// Hidden activation (the output is a sigmoid).
    pub activation: Activation,
    /// Learning rate of full-batch gradient descent.
    pub lr: f32,
    /// Epochs between two snapshots (the original's "epochs per refresh").
    pub epochs_per_refresh: u64,
    /// Epochs to train in all (the original's `-e`).
    pub max_epochs: u64,
    /// Seed of the initial weights and of the dataset.
    pub seed: u64,
    /// Which dataset.
    pub dataset: DatasetKind,
    /// Gaussian noise of the dataset.
    pub noise: f32,
    /// Indices (into [`param_names`]) of the two weights the loss surface spans.
    pub surface_weights: (usize, usize),
}

impl Default for XorSettings {
    fn default() -> Self {
        XorSettings {
            hidden: 3,
            activation: Activation::Sigmoid,
            lr: 0.1,
            epochs_per_refresh: 100,
            max_epochs: 50_000,
            seed: crate::nn::config::DEFAULT_SEED,
            dataset: DatasetKind::Xor,
            noise: 0.0,
            surface_weights: (0, 1),
        }
    }
}

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
    /// New initial weights: with a new seed (`true`) or the same one.
    Reset {
        /// Draw a new seed first.
        new_seed: bool,
    },
    /// Learning rate for the next epochs.
    SetLearningRate(f32),
    /// Hidden activation (restarts training).
    SetActivation(Activation),
    /// Hidden neurons (restarts training).
    SetHidden(usize),
    /// Epochs between snapshots.
    SetEpochsPerRefresh(u64),
    /// Total epochs.
    SetMaxEpochs(u64),
    /// Dataset and noise (restarts training).
    SetDataset(DatasetKind, f32),
    /// Seed (restarts training).
    SetSeed(u64),
    /// The two weights the loss surface spans.
    SetSurfaceWeights(usize, usize),
    /// Replace the network (loaded from a file); its size and activation become the settings.
    LoadNetwork(Box<XorNet>),
}

/// Names of the network's parameters in order: `w1[j,i]`, `b1[j]`, `w2[0,j]`, `b2`.
pub fn param_names(hidden: usize) -> Vec<String> {
    let mut names = Vec::with_capacity(4 * hidden + 1);
    for j in 0..hidden {
        for i in 0..2 {
            names.push(format!("w1[{j},{i}]"));
        }
    }
    names.extend((0..hidden).map(|j| format!("b1[{j}]")));
    names.extend((0..hidden).map(|j| format!("w2[0,{j}]")));
    names.push("b2".to_string());
    names
}

/// Parameter `index` of `net` (order of [`param_names`]).
pub fn param(net: &XorNet, index: usize) -> f32 {
    let h = net.hidden();
    match index {
        i if i < 2 * h => net.w1[i],
        i if i < 3 * h => net.b1[i - 2 * h],
        i if i < 4 * h => net.w2[i - 3 * h],
        _ => net.b2,
    }
}

/// Sets parameter `index` of `net` (order of [`param_names`]).
pub fn set_param(net: &mut XorNet, index: usize, value: f32) {
    let h = net.hidden();
    match index {
        i if i < 2 * h => net.w1[i] = value,
        i if i < 3 * h => net.b1[i - 2 * h] = value,
        i if i < 4 * h => net.w2[i - 3 * h] = value,
        _ => net.b2 = value,
    }
}

/// Most entries kept in the loss and gradient histories; older ones are thinned out.
const MAX_HISTORY: usize = 4096;

/// The lab's training state.
#[derive(Clone, Debug)]
pub struct XorSession {
    settings: XorSettings,
    net: XorNet,
    data: Arc<Dataset2d>,
    epoch: u64,
    paused: bool,
    /// `(epoch, loss, grad norms)` at every refresh.
    history: Vec<(u64, f32, GradNorms)>,
    /// `(w_a, w_b, loss)` of the loss surface's two weights at every refresh.
    trajectory: Vec<[f32; 3]>,
    /// Per data point, its hidden activations at every refresh (for trails).
    trails: Vec<Vec<Vec<f32>>>,
    diverged: Option<String>,
}

impl XorSession {
    /// A fresh session with `settings`.
    pub fn new(settings: XorSettings) -> Result<Self> {
        let net = XorNet::new(settings.hidden, settings.activation, settings.seed)?;
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
            diverged: None,
        };
        session.check_settings()?;
        session.record(session.net.loss(&session.data.points, &session.data.labels));
        Ok(session)
    }

    fn check_settings(&self) -> Result<()> {
        let s = &self.settings;
        if !(s.lr.is_finite() && s.lr > 0.0) {
            return Err(NnError::Config(format!(
                "learning rate must be positive, got {}",
                s.lr
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
    pub fn net(&self) -> &XorNet {
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
        self.net = XorNet::new(s.hidden, s.activation, s.seed)?;
        self.data = Arc::new(Dataset2d::generate(
            s.dataset,
            DEFAULT_POINTS,
            s.noise,
            s.seed,
        ));
        let h = self.net.hidden();
        let n = 4 * h + 1;
        let (a, b) = s.surface_weights;
        if a >= n || b >= n || a == b {
            self.settings.surface_weights = (0, 1);
        }
        self.epoch = 0;
        self.history.clear();
        self.trajectory.clear();
        self.trails.clear();
        self.diverged = None;
        self.record(self.net.loss(&self.data.points, &self.data.labels));
        Ok(())
    }

    /// Applies one command from the UI.
    pub fn apply(&mut self, command: XorCommand) -> Result<()> {
        match command {
            XorCommand::Pause => self.paused = true,
            XorCommand::Resume => self.paused = false,
            XorCommand::TogglePause => self.paused = !self.paused,
            XorCommand::Step => {
                self.paused = true;
                self.train_refresh();
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
                self.settings.lr = lr;
            }
            XorCommand::SetActivation(a) => {
                self.settings.activation = a;
                self.restart()?;
            }
            XorCommand::SetHidden(h) => {
                if h == 0 {
                    return Err(NnError::Config(
                        "the network needs at least one hidden neuron".into(),
                    ));
                }
                self.settings.hidden = h;
                self.restart()?;
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
                let n = 4 * self.net.hidden() + 1;
                if a < n && b < n && a != b {
                    self.settings.surface_weights = (a, b);
                    self.trajectory.clear();
                    self.record(self.net.loss(&self.data.points, &self.data.labels));
                }
            }
            XorCommand::LoadNetwork(net) => {
                self.settings.hidden = net.hidden();
                self.settings.activation = net.activation();
                self.restart()?;
                self.net = *net;
            }
        }
        Ok(())
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
        if self.is_done() {
            return;
        }
        let todo = self
            .settings
            .epochs_per_refresh
            .min(self.settings.max_epochs - self.epoch);
        let mut loss = f32::NAN;
        for _ in 0..todo {
            loss = self
                .net
                .train_epoch(&self.data.points, &self.data.labels, self.settings.lr);
            self.epoch += 1;
        }
        if !(loss.is_finite() && self.net.is_finite()) {
            self.diverged = Some(format!(
                "training diverged by epoch {} (loss {loss}) with learning rate {}: lower it and reset",
                self.epoch, self.settings.lr
            ));
            return;
        }
        // The loss of the weights after the update, as the views show them.
        let after = self.net.loss(&self.data.points, &self.data.labels);
        self.record(after);
    }

    fn record(&mut self, loss: f32) {
        self.history.push((self.epoch, loss, self.net.grad_norms()));
        let (a, b) = self.settings.surface_weights;
        self.trajectory.push([
            crate::labs::xor::session::param(&self.net, a),
            param(&self.net, b),
            loss,
        ]);
        let h = self.net.hidden();
        let (mut z, mut act) = (vec![0.0; h], vec![0.0; h]);
        self.trails.resize(self.data.len(), Vec::new());
        for (trail, &p) in self.trails.iter_mut().zip(&self.data.points) {
            self.net.hidden_into(p, &mut z, &mut act);
            trail.push(act.clone());
        }
        if self.history.len() > MAX_HISTORY {
            thin(&mut self.history);
            thin(&mut self.trajectory);
            for t in &mut self.trails {
                thin(t);
            }
        }
    }

    /// `(epoch, loss, grad norms)` at every refresh.
    pub fn history(&self) -> &[(u64, f32, GradNorms)] {
        &self.history
    }

    /// The loss surface's two weights and the loss at every refresh.
    pub fn trajectory(&self) -> &[[f32; 3]] {
        &self.trajectory
    }

    /// Per data point, its hidden activations at every refresh.
    pub fn trails(&self) -> &[Vec<Vec<f32>>] {
        &self.trails
    }

    /// Everything the views draw, computed now.
    pub fn snapshot(&self) -> XorSnapshot {
        XorSnapshot::compute(self)
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
        assert_eq!(s.settings().lr, 0.5);
        assert!(s.apply(XorCommand::SetLearningRate(-1.0)).is_err());
        s.apply(XorCommand::SetHidden(5)).unwrap();
        assert_eq!((s.net().hidden(), s.epoch()), (5, 0));
        let before = s.net().w1.clone();
        s.apply(XorCommand::Reset { new_seed: false }).unwrap();
        assert_eq!(s.net().w1, before, "same seed, same weights");
        s.apply(XorCommand::Reset { new_seed: true }).unwrap();
        assert_ne!(s.net().w1, before);
        s.apply(XorCommand::SetDataset(DatasetKind::Moons, 0.05))
            .unwrap();
        assert_eq!(s.data().len(), DEFAULT_POINTS);
    }

    #[test]
    fn params_round_trip_by_index() {
        let mut net = XorNet::new(2, Activation::Tanh, 1).unwrap();
        let names = param_names(2);
        assert_eq!(names.len(), 9);
        assert_eq!(names[0], "w1[0,0]");
        assert_eq!(names[8], "b2");
        for i in 0..9 {
            set_param(&mut net, i, i as f32);
        }
        assert_eq!(net.w1, vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!(net.b1, vec![4.0, 5.0]);
        assert_eq!(net.w2, vec![6.0, 7.0]);
        assert_eq!((net.b2, param(&net, 8)), (8.0, 8.0));
    }

    #[test]
    fn divergence_stops_training_with_a_message() {
        let mut s = XorSession::new(XorSettings {
            activation: Activation::Relu,
            lr: 1e30,
            ..XorSettings::default()
        })
        .unwrap();
        let mut steps = 0;
        while s.advance() && steps < 1000 {
            steps += 1;
        }
        if let Some(msg) = s.diverged() {
            assert!(msg.contains("lower it"), "{msg}");
        }
        assert!(s.is_paused());
    }
}
