//! `XorLab`: the XOR lab in the app shell. Its thread ([`worker`](super::worker)) trains and
//! publishes snapshots; this side keeps the newest one, eases the feature space toward it, and
//! lays out five panels: feature space, input space, network, loss surface, and the loss and
//! gradient-norm curves; the side panel holds every setting.
//!
//! (Over 600 lines: the XOR lab's side panel is long, one control per setting: the layers,
//! loss, optimizer and batch of the network and every setting of the original program.)

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{ComboBox, DragValue, RichText, Slider, Ui};
use egui_plot::Plot;
use glam::{Vec2, Vec3};

use crate::data::plane::DatasetKind;
use crate::files::limits::{PLANE_LAYERS, PLANE_WIDTH, XOR_HIDDEN};
use crate::labs::LabError;
use crate::labs::plot::{Series, SeriesKind, palette, plot_ui};
use crate::labs::run_file::{
    RunFile, RunToSave, SAVED_RUN_TRAINS_NOT, saved_run_status, saved_run_ui,
};
use crate::labs::thread::{LabThread, run_session};
use crate::labs::timeline::{DEFAULT_BUDGET, Timeline};
use crate::labs::xor::backprop;
use crate::labs::xor::file::{encode_plane, load_plane, save_plane};
use crate::labs::xor::scenes::{self, FeatureMotion, NETWORK_EXTENT, Overlay};
use crate::labs::xor::session::{XorCommand, XorSession};
use crate::labs::xor::settings::XorSettings;
use crate::labs::xor::snapshot::{FeatureSpace, XorSnapshot};
use crate::labs::xor::worker::{self, Published, WorkerCommand};
use crate::nn::plane::{ParamId, PlaneLoss, PlaneOptimizer};
use crate::nn::xor::Activation;
use crate::render::{Camera2d, OrbitCamera, Scene};
use crate::ui::{Lab, Layout, PanelKind, PanelSpec, SceneView, StatusInfo, TimelineInfo};

crate::lab_panels! {
    /// The lab's panels, in the order [`XorLab`] lists them.
    pub enum Panel {
        /// The network diagram.
        Network = ("network", "Network"),
        /// The hidden layer's feature space (its title adds the dimension).
        Feature = ("feature-space", "Feature space"),
        /// The output probability over the input plane.
        Input = ("input-space", "Input space: output probability"),
        /// The loss over two weights (its title names them).
        LossSurface = ("loss-surface", "Loss surface"),
        /// The loss and gradient-norm curves.
        Curves = ("curves", "Loss and gradient norms"),
        /// The chain of equations from the loss to one parameter, with live numbers.
        Backprop = ("backprop", "Backprop"),
    }
}

/// A stage of an epoch stepped through (see [`XorLab::start_step_through`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Forward: the columns up to this one (0 the inputs) hold the chosen input's values.
    Forward(usize),
    /// Backward: `δ` known for this many columns from the output down, their edges
    /// recolored by their gradient.
    Backward(usize),
    /// Update: every edge at its new weight, `Δw` shown.
    Update,
}

/// An epoch being stepped through: the moment it starts from, what the epoch computes.
struct Stepper {
    stage: Stage,
    /// The moment stepping started from (training paused).
    before: Published,
    /// The same moment with the network after the epoch (what the update stage shows).
    after: Published,
    /// The full-batch gradient at `before`.
    grads: Vec<Vec<f32>>,
    /// `δ` of the chosen input at every neuron, per column from 1.
    deltas: Vec<Vec<f32>>,
    /// `Δw` per layer.
    changes: Vec<Vec<f32>>,
    /// Playing at `step_speed` (else stepped by hand).
    playing: bool,
    last: Instant,
}

/// What the network diagram's edges show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeView {
    /// The weights (as always).
    Weights,
    /// The full-batch gradient of each weight.
    Gradients,
    /// The change the last epoch made to each weight (with the full batch: the last
    /// update's `Δw`).
    LastUpdate,
    /// The change the next update will make to each weight.
    NextUpdate,
}

/// How the lab starts.
#[derive(Clone, Debug, PartialEq)]
pub struct XorLabOptions {
    /// Training settings.
    pub settings: XorSettings,
    /// Snapshots per second at most (`None`: unpaced).
    pub max_refresh_hz: Option<f32>,
    /// Where "Save network" / "Load network" read and write.
    pub model_path: PathBuf,
    /// Train to the end before the thread starts, recording the refreshes on the timeline
    /// (at most [`HEADLESS_MOMENTS`], evenly spaced) as a window would have: for headless
    /// pictures, recordings and saved runs.
    pub train_first: bool,
}

/// Refreshes a run trained before its thread starts records at most.
pub const HEADLESS_MOMENTS: u64 = 1000;

impl Default for XorLabOptions {
    fn default() -> Self {
        XorLabOptions {
            settings: XorSettings::default(),
            max_refresh_hz: Some(60.0),
            model_path: PathBuf::from("models/xor.safetensors"),
            train_first: false,
        }
    }
}

/// The XOR lab.
pub struct XorLab {
    thread: LabThread<Published, WorkerCommand>,
    /// The snapshot the views show: the newest, or a recorded one while scrubbing.
    latest: Published,
    /// The newest snapshot.
    live: Published,
    timeline: Timeline<XorSnapshot>,
    motion: FeatureMotion,
    last_frame: Instant,
    /// The settings as the controls show them (sent to the thread when changed).
    controls: XorSettings,
    paced: bool,
    max_refresh_hz: f32,
    selected_point: Option<usize>,
    /// The parameter the Backprop panel derives (click an edge or a neuron to choose).
    chosen: ParamId,
    /// Whether the user chose it (then the diagram outlines it).
    outlined: bool,
    /// The Backprop panel sums over the batch (else: the chosen point's share).
    whole_batch: bool,
    /// What the network diagram's edges show.
    edges: EdgeView,
    /// An epoch being stepped through, stage by stage.
    stepper: Option<Stepper>,
    /// Stages per second while a step-through plays.
    step_speed: f32,
    /// A step-through waits for the thread to say it has paused.
    step_pending: bool,
    trails: bool,
    log_scale: bool,
    model_path: String,
    message: Option<String>,
    /// The run file shown, when the lab shows a saved run instead of training.
    saved_run: Option<PathBuf>,
    /// A step between two recorded moments, recomputed from the one before it, while shown.
    computed: Option<Published>,
}

impl XorLab {
    /// Starts the lab's thread with `options`.
    pub fn new(options: XorLabOptions) -> Result<Self, LabError> {
        let mut session = XorSession::new(options.settings.clone())?;
        let moment = |session: &XorSession| {
            let mut snapshot = session.snapshot();
            snapshot.checkpoint = Some(session.checkpoint());
            Arc::new(snapshot)
        };
        let mut timeline = Timeline::new(DEFAULT_BUDGET);
        timeline.push(moment(&session));
        if options.train_first {
            let settings = &options.settings;
            let refreshes = settings
                .max_epochs
                .div_ceil(settings.epochs_per_refresh.max(1));
            let every = refreshes.div_ceil(HEADLESS_MOMENTS).max(1);
            let mut done = 0;
            while !session.is_done() && session.diverged().is_none() {
                let before = session.epoch();
                session.train_to(before + settings.epochs_per_refresh);
                if session.epoch() == before {
                    break;
                }
                done += 1;
                if done % every == 0 || session.is_done() {
                    timeline.push(moment(&session));
                }
            }
        }
        let latest = moment(&session);
        timeline.push(Arc::clone(&latest));
        let hz = options.max_refresh_hz;
        let thread = LabThread::spawn("xor", move |w| {
            run_session(&w, worker::XorRun::new(session, hz));
        })
        .map_err(|source| LabError::Thread { lab: "XOR", source })?;
        Ok(Self::with_parts(thread, timeline, latest, &options))
    }

    fn with_parts(
        thread: LabThread<Published, WorkerCommand>,
        timeline: Timeline<XorSnapshot>,
        live: Published,
        options: &XorLabOptions,
    ) -> Self {
        XorLab {
            thread,
            motion: FeatureMotion::at(&live),
            latest: Arc::clone(&live),
            live,
            timeline,
            last_frame: Instant::now(),
            controls: options.settings.clone(),
            paced: options.max_refresh_hz.is_some(),
            max_refresh_hz: options.max_refresh_hz.unwrap_or(60.0),
            selected_point: Some(1),
            chosen: ParamId::weight(1, 0, 1),
            outlined: false,
            whole_batch: true,
            edges: EdgeView::Weights,
            stepper: None,
            step_speed: 1.5,
            step_pending: false,
            trails: false,
            log_scale: true,
            model_path: options.model_path.display().to_string(),
            message: None,
            saved_run: None,
            computed: None,
        }
    }

    /// Step `step` recomputed exactly: the recorded moment at or before it trained on to
    /// the last refresh at or before `step`, as the run trained (see [`Lab::seek_step`]).
    /// `Err` says why not (no checkpoint, or the settings changed in between).
    fn recompute(&self, step: u64) -> Result<(usize, Published), String> {
        let at = self.timeline.index_at_or_before(step);
        let moment = self
            .timeline
            .get(at)
            .cloned()
            .ok_or("nothing is recorded yet")?;
        if moment.epoch >= step {
            return Ok((at, moment));
        }
        let next = self
            .timeline
            .get(at + 1)
            .cloned()
            .unwrap_or_else(|| Arc::clone(&self.live));
        if next.settings != moment.settings {
            return Err(format!(
                "the settings changed between epochs {} and {}: only the recorded moments there can be shown",
                moment.epoch, next.epoch
            ));
        }
        let mut session = moment
            .checkpoint
            .as_ref()
            .and_then(XorSession::from_checkpoint)
            .ok_or("this moment has no checkpoint to train on from (a saved run)")?;
        session.train_to(step.min(next.epoch));
        let mut snapshot = session.snapshot();
        snapshot.paused = moment.paused;
        Ok((at, Arc::new(snapshot)))
    }

    /// The saved run `run` (of this lab), to scrub without training.
    pub fn open_run(run: &RunFile) -> Result<Self, LabError> {
        let moments: Vec<Arc<XorSnapshot>> = run.moments(Self::NAME)?;
        let live = crate::labs::run_file::last(&moments, run)?;
        let options = XorLabOptions {
            settings: live.settings.clone(),
            max_refresh_hz: None,
            ..XorLabOptions::default()
        };
        let timeline = Timeline::from_moments(moments);
        let mut lab = Self::with_parts(LabThread::idle(), timeline, live, &options);
        lab.saved_run = Some(run.path.clone());
        Ok(lab)
    }

    /// The lab's name, in run files and on the command line.
    pub const NAME: &'static str = "xor";

    /// The newest snapshot taken from the thread.
    pub fn snapshot(&self) -> &XorSnapshot {
        &self.latest
    }

    /// Waits (up to `timeout`) until the thread has published a snapshot at `max_epochs` (or
    /// stopped on its own); returns whether it did. For headless pictures and tests.
    pub fn wait_until_done(&mut self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            self.update();
            let s = &self.live;
            if s.epoch >= s.settings.max_epochs || s.diverged.is_some() {
                self.motion = FeatureMotion::at(&self.latest);
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Sends a training command.
    pub fn send(&mut self, command: XorCommand) {
        self.send_worker(WorkerCommand::Session(command));
    }

    /// Sends a command to the lab thread, saying so if the thread has stopped.
    fn send_worker(&mut self, command: WorkerCommand) {
        if !self.thread.send(command) {
            self.message = Some(if self.saved_run.is_some() {
                SAVED_RUN_TRAINS_NOT.into()
            } else {
                "the training thread has stopped".into()
            });
        }
    }

    fn network_controls_ui(&mut self, ui: &mut Ui) {
        ui.label(RichText::new("Network").strong());
        let lr = ui.add(
            Slider::new(&mut self.controls.learning_rate, 1e-4..=20.0)
                .logarithmic(true)
                .text("learning rate"),
        );
        if lr.changed() {
            self.send(XorCommand::SetLearningRate(self.controls.learning_rate));
        }
        let before = self.controls.hidden.clone();
        let mut layers = before.len().clamp(1, PLANE_LAYERS);
        ui.add(Slider::new(&mut layers, 1..=PLANE_LAYERS).text("hidden layers"));
        let mut hidden = before.clone();
        if layers != hidden.len() {
            let last = hidden.last().copied().unwrap_or(3);
            hidden.resize(layers, last);
            if layers > 1 {
                for h in &mut hidden {
                    *h = (*h).min(PLANE_WIDTH);
                }
            }
        }
        let max = if hidden.len() == 1 {
            XOR_HIDDEN as usize
        } else {
            PLANE_WIDTH
        };
        let count = hidden.len();
        for (l, h) in hidden.iter_mut().enumerate() {
            let text = if count == 1 {
                "hidden neurons".to_string()
            } else {
                format!("layer {} neurons", l + 1)
            };
            ui.add(Slider::new(h, 1..=max).text(text));
        }
        if hidden != before {
            self.controls.hidden = hidden.clone();
            self.send(XorCommand::SetHidden(hidden));
        }
        let before = self.controls.activation;
        ComboBox::from_label("activation")
            .selected_text(before.name())
            .show_ui(ui, |ui| {
                for a in [Activation::Sigmoid, Activation::Tanh, Activation::Relu] {
                    ui.selectable_value(&mut self.controls.activation, a, a.name());
                }
            });
        if self.controls.activation != before {
            self.send(XorCommand::SetActivation(self.controls.activation));
        }
        let before = self.controls.loss;
        ComboBox::from_label("loss")
            .selected_text(before.name().to_uppercase())
            .show_ui(ui, |ui| {
                for l in [PlaneLoss::Mse, PlaneLoss::Bce] {
                    ui.selectable_value(&mut self.controls.loss, l, l.name().to_uppercase());
                }
            });
        if self.controls.loss != before {
            self.send(XorCommand::SetLoss(self.controls.loss));
        }
        let before = self.controls.optimizer;
        let optimizer_name = |o: PlaneOptimizer| match o {
            PlaneOptimizer::Gd => "gradient descent",
            PlaneOptimizer::Momentum => "momentum",
            PlaneOptimizer::Adam => "Adam",
        };
        ComboBox::from_label("optimizer")
            .selected_text(optimizer_name(before))
            .show_ui(ui, |ui| {
                for o in [
                    PlaneOptimizer::Gd,
                    PlaneOptimizer::Momentum,
                    PlaneOptimizer::Adam,
                ] {
                    ui.selectable_value(&mut self.controls.optimizer, o, optimizer_name(o));
                }
            });
        if self.controls.optimizer != before {
            self.send(XorCommand::SetOptimizer(self.controls.optimizer));
        }
        let before = self.controls.batch;
        ui.horizontal(|ui| {
            let mut full = self.controls.batch == 0;
            if ui.checkbox(&mut full, "full batch").changed() {
                self.controls.batch = if full { 0 } else { 16 };
            }
            if !full {
                let label = ui.label("batch");
                ui.add(DragValue::new(&mut self.controls.batch).range(1..=4096))
                    .labelled_by(label.id);
            }
        });
        if self.controls.batch != before {
            self.send(XorCommand::SetBatch(self.controls.batch));
        }
        let layers = self.controls.hidden.len();
        if layers > 1 {
            let before = self.controls.feature_layer;
            let name = |l: Option<usize>| match l {
                Some(l) if (1..=layers).contains(&l) => format!("hidden layer {l}"),
                _ => "last hidden layer".to_string(),
            };
            ComboBox::from_label("feature space of")
                .selected_text(name(before))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut self.controls.feature_layer, None, name(None));
                    for l in 1..layers {
                        ui.selectable_value(
                            &mut self.controls.feature_layer,
                            Some(l),
                            name(Some(l)),
                        );
                    }
                });
            if self.controls.feature_layer != before {
                self.send(XorCommand::SetFeatureLayer(self.controls.feature_layer));
            }
        }
    }

    fn data_controls_ui(&mut self, ui: &mut Ui) {
        ui.label(RichText::new("Data").strong());
        let before = (self.controls.dataset, self.controls.noise);
        ComboBox::from_label("dataset")
            .selected_text(self.controls.dataset.name())
            .show_ui(ui, |ui| {
                for k in DatasetKind::ALL {
                    ui.selectable_value(&mut self.controls.dataset, k, k.name());
                }
            });
        ui.add(Slider::new(&mut self.controls.noise, 0.0..=0.5).text("noise"));
        if (self.controls.dataset, self.controls.noise) != before {
            self.send(XorCommand::SetDataset(
                self.controls.dataset,
                self.controls.noise,
            ));
        }
        ui.horizontal(|ui| {
            let label = ui.label("seed");
            if ui
                .add(DragValue::new(&mut self.controls.seed))
                .labelled_by(label.id)
                .changed()
            {
                self.send(XorCommand::SetSeed(self.controls.seed));
            }
        });
    }

    fn training_controls_ui(&mut self, ui: &mut Ui) {
        ui.label(RichText::new("Training").strong());
        let paused = self.live.paused;
        ui.horizontal(|ui| {
            if ui
                .button(if paused { "Resume" } else { "Pause" })
                .on_hover_text("Space")
                .clicked()
            {
                self.toggle_pause();
            }
            if ui
                .button("Step")
                .on_hover_text("train one refresh, then pause")
                .clicked()
            {
                self.send(XorCommand::Step);
            }
            if ui.button("Reset").on_hover_text("r: same seed").clicked() {
                self.reset();
            }
            if ui.button("New seed").clicked() {
                self.stepper = None;
                self.send(XorCommand::Reset { new_seed: true });
            }
        });
        let mut refresh = self.controls.epochs_per_refresh;
        if ui
            .add(
                Slider::new(&mut refresh, 1..=10_000)
                    .logarithmic(true)
                    .text("epochs / refresh"),
            )
            .changed()
        {
            self.controls.epochs_per_refresh = refresh;
            self.send(XorCommand::SetEpochsPerRefresh(refresh));
        }
        let mut max = self.controls.max_epochs;
        if ui
            .add(
                Slider::new(&mut max, 100..=1_000_000)
                    .logarithmic(true)
                    .text("max epochs"),
            )
            .changed()
        {
            self.controls.max_epochs = max;
            self.send(XorCommand::SetMaxEpochs(max));
        }
        ui.horizontal(|ui| {
            let paced = ui.checkbox(&mut self.paced, "at most").changed();
            let hz = ui
                .add_enabled(
                    self.paced,
                    Slider::new(&mut self.max_refresh_hz, 1.0..=240.0).text("refreshes/s"),
                )
                .changed();
            if paced || hz {
                let hz = self.paced.then_some(self.max_refresh_hz);
                self.send_worker(WorkerCommand::SetMaxRefreshHz(hz));
            }
        });
        self.step_through_ui(ui);
        if let Some(why) = &self.latest.diverged {
            ui.colored_label(egui::Color32::from_rgb(240, 120, 100), why);
        }
    }

    fn view_controls_ui(&mut self, ui: &mut Ui) {
        ui.label(RichText::new("Views").strong());
        let snap = self.latest.clone();
        let point_name = |i: Option<usize>| match i {
            Some(i) if i < snap.data.len() => format!("input {}", snap.data.point_label(i)),
            _ => "all inputs".to_string(),
        };
        ComboBox::from_label("network shows")
            .selected_text(point_name(self.selected_point))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut self.selected_point, None, "all inputs");
                for i in 0..snap.data.len().min(16) {
                    ui.selectable_value(&mut self.selected_point, Some(i), point_name(Some(i)));
                }
            });
        ui.checkbox(&mut self.trails, "trails in feature space");
        let name = |e: EdgeView| match e {
            EdgeView::Weights => "weights w",
            EdgeView::Gradients => "gradients ∂J/∂w",
            EdgeView::LastUpdate => "last update Δw",
            EdgeView::NextUpdate => "next update Δw",
        };
        ComboBox::from_label("edges show")
            .selected_text(name(self.edges))
            .show_ui(ui, |ui| {
                for e in [
                    EdgeView::Weights,
                    EdgeView::Gradients,
                    EdgeView::LastUpdate,
                    EdgeView::NextUpdate,
                ] {
                    ui.selectable_value(&mut self.edges, e, name(e));
                }
            });
        ui.checkbox(&mut self.log_scale, "log-scale loss");
        let params = snap.net.params();
        let (mut a, mut b) = snap.settings.surface_weights;
        for (label, value) in [("surface x", &mut a), ("surface z", &mut b)] {
            ComboBox::from_label(label)
                .selected_text(value.name())
                .show_ui(ui, |ui| {
                    egui::ScrollArea::vertical()
                        .max_height(240.0)
                        .show(ui, |ui| {
                            for &id in &params {
                                ui.selectable_value(value, id, id.name());
                            }
                        });
                });
        }
        if (a, b) != snap.settings.surface_weights && a != b {
            self.send(XorCommand::SetSurfaceWeights(a, b));
        }
    }

    /// Saves the network as it is now to the model path.
    fn save_network(&mut self) {
        let path = PathBuf::from(&self.model_path);
        let snap = &self.latest;
        self.message = Some(match save_plane(&path, &snap.net) {
            Ok(()) => format!("saved {}", path.display()),
            Err(e) => format!("not saved: {e}"),
        });
    }

    /// Loads the network at the model path into the training thread.
    fn load_network(&mut self) {
        let path = PathBuf::from(&self.model_path);
        match load_plane(&path, &self.controls.spec()) {
            Ok(net) => {
                self.controls.hidden = net.spec().hidden.clone();
                self.controls.activation = net.spec().activation;
                self.send(XorCommand::LoadNetwork(Box::new(net)));
                self.message = Some(format!("loaded {}", path.display()));
            }
            Err(e) => self.message = Some(format!("not loaded: {e}")),
        }
    }

    fn file_controls_ui(&mut self, ui: &mut Ui) {
        let label = ui.label(RichText::new("Network file").strong());
        ui.text_edit_singleline(&mut self.model_path)
            .labelled_by(label.id);
        ui.horizontal(|ui| {
            if ui.button("Save network").clicked() {
                self.save_network();
            }
            if ui.button("Load network").clicked() {
                self.load_network();
            }
        });
        if let Some(m) = &self.message {
            ui.label(m);
        }
    }

    fn curves_ui(&self, ui: &mut Ui) {
        let snap = &self.latest;
        let log = self.log_scale;
        let y = |v: f32| {
            if log {
                f64::from(v.max(1e-12)).log10()
            } else {
                f64::from(v)
            }
        };
        let loss = snap.history.iter().map(|(e, l, _)| [*e as f64, y(*l)]);
        // Gradient norms exist from the first epoch on (epoch 0 has none yet).
        let trained = || snap.history.iter().filter(|(e, _, _)| *e > 0);
        let mut series = vec![Series::new("loss", palette(3), SeriesKind::Line, loss)];
        // One curve per layer: with one hidden layer "hidden" and "output" as always.
        let layers = snap.net.layers().len();
        for l in 0..layers {
            let name = match (layers, l) {
                (2, 0) => "|grad| hidden".to_string(),
                (_, l) if l + 1 == layers => "|grad| output".to_string(),
                (_, l) => format!("|grad| layer {}", l + 1),
            };
            let color = if l + 1 == layers {
                palette(6)
            } else {
                palette(l)
            };
            let points = trained()
                .map(move |(e, _, g)| [*e as f64, y(g.get(l).copied().unwrap_or(f32::NAN))]);
            series.push(Series::new(&name, color, SeriesKind::Line, points));
        }
        let height = ui.available_height();
        plot_ui(
            ui,
            Plot::new("xor-curves")
                .x_axis_label("epoch")
                .y_axis_label(if log { "log10" } else { "value" }),
            "curves",
            height,
            series,
        );
    }

    /// What the edges show under the current [`EdgeView`]: `None` for the weights.
    fn edge_values(&self) -> Option<(Vec<Vec<f32>>, String)> {
        let snap = &self.latest;
        let grads = || snap.net.backward(&snap.data.points, &snap.data.labels);
        match self.edges {
            EdgeView::Weights => None,
            EdgeView::Gradients => Some((
                grads().layers.into_iter().map(|l| l.w).collect(),
                "∂J/∂w".into(),
            )),
            EdgeView::LastUpdate => {
                (!snap.last_change.is_empty()).then(|| (snap.last_change.clone(), "last Δw".into()))
            }
            EdgeView::NextUpdate => {
                let grads = grads();
                let values = snap
                    .net
                    .layers()
                    .iter()
                    .enumerate()
                    .map(|(l, layer)| {
                        (0..layer.outputs * layer.inputs)
                            .map(|k| {
                                let id = ParamId::weight(l + 1, k / layer.inputs, k % layer.inputs);
                                snap.net
                                    .update_preview(&grads, id)
                                    .map_or(0.0, |u| u.new_value - u.value)
                            })
                            .collect()
                    })
                    .collect();
                Some((values, "next Δw".into()))
            }
        }
    }

    /// The Backprop panel: what to derive (parameter, point, share or batch), then the chain.
    fn backprop_ui(&mut self, ui: &mut Ui) {
        let snap = Arc::clone(&self.latest);
        let params = snap.net.params();
        if !params.contains(&self.chosen) {
            self.chosen = params.first().copied().unwrap_or(self.chosen);
        }
        ui.horizontal_wrapped(|ui| {
            ComboBox::from_label("parameter")
                .selected_text(self.chosen.to_string())
                .height(300.0)
                .show_ui(ui, |ui| {
                    for id in &params {
                        if ui
                            .selectable_value(&mut self.chosen, *id, id.to_string())
                            .clicked()
                        {
                            self.outlined = true;
                        }
                    }
                });
            let point = self.selected_point.unwrap_or(0).min(snap.data.len().saturating_sub(1));
            ui.label(format!("input {}", snap.data.point_label(point)))
                .on_hover_text("the input the chain is written for: choose it with \"network shows\" in the side panel");
            ui.selectable_value(&mut self.whole_batch, false, "this input's share");
            ui.selectable_value(&mut self.whole_batch, true, "whole batch");
            ui.label(egui::RichText::new("click an edge or a neuron in the network to choose").weak());
        });
        let point = self.selected_point.unwrap_or(0);
        let scope = if self.whole_batch {
            backprop::Scope::Batch(point)
        } else {
            backprop::Scope::Point(point)
        };
        ui.separator();
        match backprop::derive(&snap.net, &snap.data, self.chosen, scope) {
            Some(derivation) => {
                egui::ScrollArea::both()
                    .auto_shrink([false, false])
                    .show(ui, |ui| backprop::derivation_ui(ui, &derivation));
            }
            None => {
                ui.label("nothing to derive for this parameter and input");
            }
        }
    }

    /// The parameter the Backprop panel derives.
    pub fn chosen_param(&self) -> ParamId {
        self.chosen
    }

    /// Starts stepping through one epoch from the present (training pauses): forward,
    /// column by column; backward, `δ` column by column from the output; the update. The
    /// other views move only when the update is made, by the lab thread training exactly
    /// that epoch.
    pub fn start_step_through(&mut self) {
        if self.saved_run.is_some() {
            self.message = Some(crate::labs::run_file::SAVED_RUN_TRAINS_NOT.into());
            return;
        }
        self.seek(None);
        if !self.live.paused {
            // Start from the state the thread really holds once it has stopped.
            self.send(XorCommand::Pause);
            self.step_pending = true;
            return;
        }
        self.step_pending = false;
        let before = Arc::clone(&self.live);
        let data = &before.data;
        let grads = before.net.backward(&data.points, &data.labels);
        let mut net = before.net.clone();
        net.train_epoch(&data.points, &data.labels);
        let i = self
            .selected_point
            .unwrap_or(0)
            .min(data.len().saturating_sub(1));
        let trace = before.net.trace(data.points[i], data.labels[i], data.len());
        let changes = net
            .layers()
            .iter()
            .zip(before.net.layers())
            .map(|(a, b)| a.w.iter().zip(&b.w).map(|(x, y)| x - y).collect())
            .collect();
        let mut after = (*before).clone();
        after.net = net;
        self.stepper = Some(Stepper {
            stage: Stage::Forward(1),
            grads: grads.layers.into_iter().map(|l| l.w).collect(),
            deltas: trace.delta,
            changes,
            after: Arc::new(after),
            before,
            playing: false,
            last: Instant::now(),
        });
    }

    /// The stage shown, while stepping through an epoch.
    pub fn step_stage(&self) -> Option<Stage> {
        self.stepper.as_ref().map(|s| s.stage)
    }

    /// The network the update stage shows (after the epoch), while stepping.
    pub fn step_result(&self) -> Option<&crate::nn::plane::PlaneNet> {
        self.stepper.as_ref().map(|s| &s.after.net)
    }

    /// Goes to the next stage; after the update, the lab thread trains that very epoch and
    /// stepping ends.
    pub fn next_stage(&mut self) {
        let Some(stepper) = &mut self.stepper else {
            return;
        };
        let columns = stepper.before.net.layers().len();
        stepper.last = Instant::now();
        stepper.stage = match stepper.stage {
            Stage::Forward(k) if k < columns => Stage::Forward(k + 1),
            Stage::Forward(_) => Stage::Backward(1),
            Stage::Backward(k) if k < columns => Stage::Backward(k + 1),
            Stage::Backward(_) => Stage::Update,
            Stage::Update => {
                self.stepper = None;
                self.send(XorCommand::StepEpoch);
                return;
            }
        };
    }

    /// The diagram's overlay and snapshot while stepping through an epoch.
    fn step_overlay(&self) -> Option<(Published, Overlay)> {
        let s = self.stepper.as_ref()?;
        let columns = s.before.net.layers().len();
        let chosen = self.outlined.then_some(self.chosen);
        Some(match s.stage {
            Stage::Forward(k) => (
                Arc::clone(&s.before),
                Overlay {
                    filled: Some(k),
                    chosen,
                    ..Overlay::default()
                },
            ),
            Stage::Backward(k) => {
                // Column c (1-based) has its δ once k columns from the output are done.
                let reached = |c: usize| c + k > columns;
                let deltas = (1..=columns)
                    .map(|c| reached(c).then(|| s.deltas[c - 1].clone()))
                    .collect();
                let values = (1..=columns)
                    .map(|c| {
                        if reached(c) {
                            s.grads[c - 1].clone()
                        } else {
                            Vec::new()
                        }
                    })
                    .collect();
                (
                    Arc::clone(&s.before),
                    Overlay {
                        values: Some((values, "∂J/∂w".into())),
                        deltas: Some(deltas),
                        chosen,
                        ..Overlay::default()
                    },
                )
            }
            Stage::Update => (
                Arc::clone(&s.after),
                Overlay {
                    edge_labels: Some((s.changes.clone(), "Δw".into())),
                    chosen,
                    ..Overlay::default()
                },
            ),
        })
    }

    /// The step-through controls (in the Training section).
    fn step_through_ui(&mut self, ui: &mut Ui) {
        let Some(stepper) = &mut self.stepper else {
            if ui
                .button("Step through an epoch")
                .on_hover_text("pause, then watch one epoch: forward layer by layer, backward (δ) from the output, and the update")
                .clicked()
            {
                self.start_step_through();
            }
            return;
        };
        let columns = stepper.before.net.layers().len();
        let text = match stepper.stage {
            Stage::Forward(k) => format!("forward: layer {k} of {columns}"),
            Stage::Backward(k) => format!(
                "backward: δ of layer {} (step {k} of {columns})",
                columns + 1 - k
            ),
            Stage::Update => "update: the new weights, Δw on the edges".to_string(),
        };
        ui.label(RichText::new(text).strong());
        let mut next = false;
        let mut cancel = false;
        ui.horizontal(|ui| {
            next = ui.button("Next stage").clicked();
            ui.checkbox(&mut stepper.playing, "play");
            cancel = ui
                .button("Cancel")
                .on_hover_text("stop stepping; nothing is trained")
                .clicked();
        });
        ui.add(
            Slider::new(&mut self.step_speed, 0.2..=10.0)
                .logarithmic(true)
                .text("stages/s"),
        );
        if cancel {
            self.stepper = None;
        } else if next {
            self.next_stage();
        }
    }

    fn feature_title(&self) -> String {
        let snap = &self.latest;
        let h = snap.feature_width();
        let name = Panel::Feature.title();
        let shown = match h {
            1 => "axis",
            2 => "plane",
            3 => "cube",
            _ => "PCA projection",
        };
        let layers = snap.hidden_layers();
        if layers == 1 {
            let neurons = if h == 1 { "neuron" } else { "neurons" };
            format!("{name}: {h} hidden {neurons} ({shown})")
        } else {
            let last = if snap.feature_layer == layers {
                ", last"
            } else {
                ", no separator"
            };
            format!(
                "{name}: hidden layer {} of {layers}{last}, {h} neurons ({shown})",
                snap.feature_layer
            )
        }
    }
}

/// The values of data point `i` at every neuron, for a tooltip.
fn point_text(snap: &XorSnapshot, i: usize) -> String {
    let p = &snap.points[i];
    let [x1, x2] = snap.data.points[i];
    let fmt = |v: &[f32]| {
        v.iter()
            .map(|x| format!("{x:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut text = format!(
        "input {} = ({x1:.2}, {x2:.2}), class {}",
        snap.data.point_label(i),
        snap.data.labels[i],
    );
    let hidden = p.z.len().saturating_sub(1);
    for l in 0..hidden {
        text.push_str(&format!(
            "\nz{n} = [{}]\na{n} = [{}]",
            fmt(&p.z[l]),
            fmt(&p.a[l]),
            n = l + 1
        ));
    }
    text.push_str(&format!(
        "\nz{} = {:.3}, output {:.3}",
        hidden + 1,
        p.output_z(),
        p.y
    ));
    text
}

/// The values of neuron `j` of diagram column `column` (0 the inputs, then each hidden
/// layer, then the output), for a tooltip.
fn neuron_text(snap: &XorSnapshot, column: usize, j: usize, selected: Option<usize>) -> String {
    let net = &snap.net;
    let layers = net.layers();
    let hidden = layers.len() - 1;
    let point = selected.filter(|&i| i < snap.points.len());
    let at = point
        .map(|i| format!(" for input {}", snap.data.point_label(i)))
        .unwrap_or_default();
    if column == 0 {
        let value = point
            .map(|i| format!(" = {:.3}", snap.data.points[i][j]))
            .unwrap_or_default();
        return format!("input x{}{value}", j + 1);
    }
    let layer = &layers[column - 1];
    let from = |k: usize| {
        if column == 1 {
            format!("x{}", k + 1)
        } else {
            format!("h{}.{}", column - 1, k + 1)
        }
    };
    let weights_in = (0..layer.inputs)
        .map(|k| format!("{:.3}", layer.weight(j, k)))
        .collect::<Vec<_>>()
        .join(", ");
    let sources = if layer.inputs <= 4 {
        (0..layer.inputs).map(from).collect::<Vec<_>>().join(", ")
    } else {
        format!("{} .. {}", from(0), from(layer.inputs - 1))
    };
    if column <= hidden {
        let next = &layers[column];
        let weights_out = (0..next.outputs)
            .map(|k| format!("{:.3}", next.weight(k, j)))
            .collect::<Vec<_>>()
            .join(", ");
        let (name, to) = if hidden == 1 {
            (format!("hidden neuron {}", j + 1), "output".to_string())
        } else if column == hidden {
            (
                format!("hidden layer {column} (last), neuron {}", j + 1),
                "output".to_string(),
            )
        } else {
            (
                format!("hidden layer {column}, neuron {}", j + 1),
                format!("layer {}", column + 1),
            )
        };
        let mut text = format!(
            "{name}\nweights from {sources}: {weights_in}\nbias b = {:.3}\nweight{} to {to}: {weights_out}",
            layer.b[j],
            if next.outputs == 1 { "" } else { "s" }
        );
        if let Some(i) = point {
            text.push_str(&format!(
                "\nz = {:.4}, a = {:.4}{at}",
                snap.points[i].z[column - 1][j],
                snap.points[i].a[column - 1][j]
            ));
        }
        return text;
    }
    let mut text = format!("output neuron\nbias b = {:.3}", layer.b[0]);
    if hidden > 1 {
        text.push_str(&format!("\nweights from {sources}: {weights_in}"));
    }
    if let Some(i) = point {
        text.push_str(&format!(
            "\nz = {:.4}, output = {:.4}{at}",
            snap.points[i].output_z(),
            snap.points[i].y
        ));
    }
    text
}

/// A camera framing the feature box of `snap`.
pub fn feature_camera(snap: &XorSnapshot) -> PanelKind {
    let (lo, hi) = snap.feature_box;
    match snap.feature_space {
        FeatureSpace::Axis { .. } => PanelKind::Scene2d(
            Camera2d::new(Vec2::new(lo[0] - 0.25, -0.5), Vec2::new(hi[0] + 0.25, 0.5))
                .keeping_aspect(),
        ),
        FeatureSpace::Plane { .. } => PanelKind::Scene2d(
            Camera2d::new(
                Vec2::new(lo[0] - 0.2, lo[1] - 0.2),
                Vec2::new(hi[0] + 0.15, hi[1] + 0.15),
            )
            .keeping_aspect(),
        ),
        _ => PanelKind::Scene3d(OrbitCamera::framing(Vec3::from(lo), Vec3::from(hi))),
    }
}

/// A camera framing the loss surface of `snap`.
pub fn loss_surface_camera(snap: &XorSnapshot) -> OrbitCamera {
    let r = snap.loss_surface.half_range;
    let top = 2.0 * r * 0.6;
    OrbitCamera::framing(Vec3::new(-r, 0.0, -r), Vec3::new(r, top, r))
}

impl Lab for XorLab {
    fn name(&self) -> &str {
        "xor"
    }

    fn update(&mut self) {
        if let Some(stepper) = &self.stepper
            && stepper.playing
            && stepper.last.elapsed().as_secs_f32() >= 1.0 / self.step_speed.max(0.05)
        {
            self.next_stage();
        }
        if let Some(s) = self.thread.take_latest() {
            self.timeline.push(Arc::clone(&s));
            self.live = s;
            if self.step_pending && self.live.paused {
                self.start_step_through();
            }
            if self.timeline.cursor().is_none() {
                self.computed = None;
            }
            self.latest = match &self.computed {
                Some(computed) => Arc::clone(computed),
                None => Arc::clone(self.timeline.shown(&self.live)),
            };
        }
        let now = Instant::now();
        let dt = (now - self.last_frame).as_secs_f32().min(0.25);
        self.last_frame = now;
        // Ease about 95% of the way in a quarter second.
        let t = 1.0 - (-12.0 * dt).exp();
        self.motion.ease_toward(&self.latest, t);
        if self.controls.hidden != self.live.settings.hidden && !self.thread.is_finished() {
            // A loaded network may change the size; keep the controls honest.
            self.controls.hidden = self.live.settings.hidden.clone();
        }
    }

    fn controls_ui(&mut self, ui: &mut Ui) {
        let snap = self.latest.clone();
        ui.label(format!(
            "epoch {} of {}",
            snap.epoch, snap.settings.max_epochs
        ));
        ui.label(format!("loss {:.6}", snap.loss));
        ui.add_space(6.0);
        saved_run_ui(ui, self.saved_run.as_deref());
        ui.add_enabled_ui(self.saved_run.is_none(), |ui| {
            self.network_controls_ui(ui);
            ui.add_space(6.0);
            self.data_controls_ui(ui);
            ui.add_space(6.0);
            self.training_controls_ui(ui);
        });
        ui.add_space(6.0);
        self.view_controls_ui(ui);
        ui.add_space(6.0);
        self.file_controls_ui(ui);
    }

    fn panels(&self) -> Vec<PanelSpec> {
        let snap = &self.latest;
        Panel::ALL
            .iter()
            .map(|&panel| match panel {
                Panel::Network => PanelSpec::of(
                    panel,
                    PanelKind::Scene2d(
                        Camera2d::new(Vec2::from(NETWORK_EXTENT.0), Vec2::from(NETWORK_EXTENT.1))
                            .keeping_aspect(),
                    ),
                ),
                Panel::Feature => {
                    PanelSpec::of(panel, feature_camera(snap)).titled(self.feature_title())
                }
                Panel::Input => {
                    let (lo, hi) = snap.data.extent;
                    let camera = Camera2d::new(
                        Vec2::new(lo - 0.25, lo - 0.2),
                        Vec2::new(hi + 0.15, hi + 0.2),
                    );
                    PanelSpec::of(panel, PanelKind::Scene2d(camera.keeping_aspect()))
                }
                Panel::LossSurface => {
                    let [(_, a), (_, b)] = &snap.loss_surface.weights;
                    PanelSpec::of(panel, PanelKind::Scene3d(loss_surface_camera(snap)))
                        .titled(format!("{} over {a} and {b}", panel.title()))
                }
                Panel::Curves | Panel::Backprop => PanelSpec::of(panel, PanelKind::Egui),
            })
            .collect()
    }

    fn file_menu_ui(&mut self, ui: &mut Ui) {
        let path = self.model_path.clone();
        if ui
            .button("Save network")
            .on_hover_text(format!("to {path} (set in the side panel)"))
            .clicked()
        {
            self.save_network();
            ui.close();
        }
        if ui
            .button("Load network")
            .on_hover_text(format!("from {path} (set in the side panel)"))
            .clicked()
        {
            self.load_network();
            ui.close();
        }
    }

    /// The network and, larger, the feature space on top; the input space, the loss
    /// surface and the curves below: all five visible at 1280x800.
    fn default_layout(&self) -> Layout {
        Layout::Column(vec![
            (
                0.6,
                Layout::Row(vec![
                    (0.42, Layout::panel(Panel::Network.id())),
                    (
                        0.58,
                        Layout::tabs([Panel::Feature.id(), Panel::Backprop.id()]),
                    ),
                ]),
            ),
            (
                0.4,
                Layout::Row(vec![
                    (1.0, Layout::panel(Panel::Input.id())),
                    (1.0, Layout::panel(Panel::LossSurface.id())),
                    (1.0, Layout::panel(Panel::Curves.id())),
                ]),
            ),
        ])
    }

    fn scene(&mut self, panel: usize, view: &SceneView) -> Scene {
        let snap = &self.latest;
        match Panel::at(panel) {
            Some(Panel::Feature) => {
                scenes::feature_space(snap, &self.motion, view.camera, self.trails)
            }
            Some(Panel::Input) => scenes::input_space(snap, view.camera),
            Some(Panel::Network) => match self.step_overlay() {
                Some((shown, overlay)) => {
                    scenes::network_with(&shown, self.selected_point, view.camera, &overlay)
                }
                None => {
                    let overlay = Overlay {
                        values: self.edge_values(),
                        chosen: self.outlined.then_some(self.chosen),
                        ..Overlay::default()
                    };
                    scenes::network_with(snap, self.selected_point, view.camera, &overlay)
                }
            },
            Some(Panel::LossSurface) => scenes::loss_surface(snap, view.camera),
            Some(Panel::Curves | Panel::Backprop) | None => Scene::new(view.camera),
        }
    }

    fn hover_text(&mut self, panel: usize, pos_px: Vec2, view: &SceneView) -> Option<String> {
        let snap = &self.latest;
        let size = Vec2::new(view.size_px[0] as f32, view.size_px[1] as f32);
        let near = |world: [f32; 3]| {
            view.camera
                .project(Vec3::from(world), size)
                .map(|p| p.distance(pos_px))
                .filter(|d| *d <= view.px(14.0))
        };
        let nearest = |positions: &mut dyn Iterator<Item = [f32; 3]>| {
            positions
                .enumerate()
                .filter_map(|(i, w)| near(w).map(|d| (i, d)))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(i, _)| i)
        };
        let panel = Panel::at(panel)?;
        match panel {
            Panel::Feature | Panel::Input => {
                let h = snap.feature_width();
                let mut positions: Box<dyn Iterator<Item = [f32; 3]>> = if panel == Panel::Input {
                    Box::new(snap.data.points.iter().map(|p| [p[0], p[1], 1.0]))
                } else {
                    Box::new(self.motion.points.iter().map(move |p| match h {
                        1 => [p[0], 0.0, 1.0],
                        2 => [p[0], p[1], 1.0],
                        _ => *p,
                    }))
                };
                let i = nearest(&mut positions)?;
                Some(point_text(snap, i))
            }
            Panel::Network => {
                let neurons = scenes::neuron_positions(snap);
                let k = nearest(&mut neurons.iter().map(|n| n.2))?;
                let (column, j, _) = neurons[k];
                Some(neuron_text(snap, column, j, self.selected_point))
            }
            Panel::LossSurface | Panel::Curves | Panel::Backprop => None,
        }
    }

    fn panel_ui(&mut self, panel: usize, ui: &mut Ui) {
        match Panel::at(panel) {
            Some(Panel::Curves) => self.curves_ui(ui),
            Some(Panel::Backprop) => self.backprop_ui(ui),
            _ => {}
        }
    }

    fn click(&mut self, panel: usize, pos_px: Vec2, view: &SceneView) {
        if Panel::at(panel) != Some(Panel::Network) {
            return;
        }
        let Some(world) = crate::labs::unproject_2d(view, pos_px) else {
            return;
        };
        // Reach in world units: about 6 points for an edge, 14 for a neuron.
        let unit = crate::labs::unit_pt(view).max(1e-3);
        if let Some(id) = scenes::param_at(&self.latest, world, 6.0 / unit, 14.0 / unit) {
            self.chosen = id;
            self.outlined = true;
        }
    }

    fn timeline(&self) -> Option<TimelineInfo> {
        let mut info = self.timeline.info();
        info.computed_step = self.computed.as_ref().map(|s| s.epoch);
        Some(info)
    }

    fn set_timeline_budget(&mut self, bytes: usize) {
        self.timeline.set_budget(bytes);
        self.computed = None;
        self.latest = Arc::clone(self.timeline.shown(&self.live));
    }

    fn seek_step(&mut self, step: u64) {
        match self.recompute(step) {
            Ok((at, snapshot)) => {
                self.timeline.seek(Some(at));
                let recorded = self
                    .timeline
                    .get(at)
                    .is_some_and(|m| m.epoch == snapshot.epoch);
                self.computed = (!recorded).then(|| Arc::clone(&snapshot));
                self.latest = snapshot;
                self.motion = FeatureMotion::at(&self.latest);
            }
            Err(why) => {
                self.message = Some(why);
                let at = self.timeline.index_at_or_before(step);
                self.seek(Some(at));
            }
        }
    }

    fn seek(&mut self, index: Option<usize>) {
        self.computed = None;
        self.timeline.seek(index);
        self.latest = Arc::clone(self.timeline.shown(&self.live));
        // A jump in time is shown at once, not eased into.
        self.motion = FeatureMotion::at(&self.latest);
    }

    fn save_run(&self, path: &Path) -> Result<String, String> {
        let s = &self.live;
        let model = encode_plane(&s.net).map_err(|e| e.to_string())?;
        let run = RunToSave {
            lab: Self::NAME,
            settings: serde_json::to_value(&s.settings).map_err(|e| e.to_string())?,
            moments: self.timeline.moments(),
            model: Some(model),
        };
        run.save(path).map_err(|e| e.to_string())?;
        Ok(format!(
            "{} moments up to epoch {}",
            run.moments.len(),
            s.epoch
        ))
    }

    fn is_saved_run(&self) -> bool {
        self.saved_run.is_some()
    }

    fn fork(&self, seed: Option<u64>) -> Result<Box<dyn Lab>, String> {
        let mut settings = self.controls.clone();
        settings.seed = seed.unwrap_or(settings.seed);
        let options = XorLabOptions {
            settings,
            max_refresh_hz: self.paced.then_some(self.max_refresh_hz),
            model_path: PathBuf::from(&self.model_path),
            train_first: false,
        };
        XorLab::new(options)
            .map(|lab| Box::new(lab) as Box<dyn Lab>)
            .map_err(|e| e.to_string())
    }

    fn status(&self) -> StatusInfo {
        StatusInfo {
            step: self.live.epoch,
            loss: Some(self.live.loss),
            paused: self.live.paused || self.saved_run.is_some(),
            message: saved_run_status(self.saved_run.as_deref())
                .or_else(|| self.live.message.clone()),
        }
    }

    fn toggle_pause(&mut self) {
        self.send(XorCommand::TogglePause);
    }

    fn reset(&mut self) {
        self.send(XorCommand::Reset { new_seed: false });
    }
}
