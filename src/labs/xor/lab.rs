//! `XorLab`: the XOR lab in the app shell. Its thread ([`worker`](super::worker)) trains and
//! publishes snapshots; this side keeps the newest one, eases the feature space toward it, and
//! lays out five panels: feature space, input space, network, loss surface, and the loss and
//! gradient-norm curves; the side panel holds every setting.
//!
//! (Over 600 lines: the XOR lab's side panel is long, one control per setting of the
//! original program; it is to be split when the 2-D lab grows deeper networks.)

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{ComboBox, DragValue, RichText, Slider, Ui};
use egui_plot::Plot;
use glam::{Vec2, Vec3};

use crate::data::plane::DatasetKind;
use crate::labs::LabError;
use crate::labs::plot::{Series, SeriesKind, palette, plot_ui};
use crate::labs::run_file::{
    RunFile, RunToSave, SAVED_RUN_TRAINS_NOT, saved_run_status, saved_run_ui,
};
use crate::labs::thread::{LabThread, run_session};
use crate::labs::timeline::{DEFAULT_BUDGET, Timeline};
use crate::labs::xor::file::{encode_xor, load_xor, save_xor};
use crate::labs::xor::scenes::{self, FeatureMotion, NETWORK_EXTENT};
use crate::labs::xor::session::{XorCommand, XorSession};
use crate::labs::xor::settings::XorSettings;
use crate::labs::xor::snapshot::{FeatureSpace, XorSnapshot};
use crate::labs::xor::worker::{self, Published, WorkerCommand};
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
    }
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
        let mut hidden = self.controls.hidden as u32;
        if ui
            .add(Slider::new(&mut hidden, 1..=16).text("hidden neurons"))
            .changed()
        {
            self.controls.hidden = hidden as usize;
            self.send(XorCommand::SetHidden(self.controls.hidden));
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
        ui.checkbox(&mut self.log_scale, "log-scale loss");
        let names = snap.net.param_names();
        let (mut a, mut b) = snap.settings.surface_weights;
        for (label, value) in [("surface x", &mut a), ("surface z", &mut b)] {
            ComboBox::from_label(label)
                .selected_text(names.get(*value).cloned().unwrap_or_default())
                .show_ui(ui, |ui| {
                    for (i, n) in names.iter().enumerate() {
                        ui.selectable_value(value, i, n);
                    }
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
        self.message = Some(
            match save_xor(
                &path,
                &snap.net,
                snap.settings.learning_rate,
                snap.settings.seed,
            ) {
                Ok(()) => format!("saved {}", path.display()),
                Err(e) => format!("not saved: {e}"),
            },
        );
    }

    /// Loads the network at the model path into the training thread.
    fn load_network(&mut self) {
        let path = PathBuf::from(&self.model_path);
        match load_xor(&path) {
            Ok(net) => {
                self.controls.hidden = net.hidden();
                self.controls.activation = net.activation();
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
        let hidden = trained().map(|(e, _, g)| [*e as f64, y(g.hidden)]);
        let output = trained().map(|(e, _, g)| [*e as f64, y(g.output)]);
        let series = vec![
            Series::new("loss", palette(3), SeriesKind::Line, loss),
            Series::new("|grad| hidden", palette(0), SeriesKind::Line, hidden),
            Series::new("|grad| output", palette(6), SeriesKind::Line, output),
        ];
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

    fn feature_title(&self) -> String {
        let h = self.latest.net.hidden();
        let name = Panel::Feature.title();
        match h {
            1 => format!("{name}: 1 hidden neuron (axis)"),
            2 => format!("{name}: 2 hidden neurons (plane)"),
            3 => format!("{name}: 3 hidden neurons (cube)"),
            _ => format!("{name}: {h} hidden neurons (PCA projection)"),
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
    format!(
        "input {} = ({x1:.2}, {x2:.2}), class {}\nz1 = [{}]\na1 = [{}]\nz2 = {:.3}, output {:.3}",
        snap.data.point_label(i),
        snap.data.labels[i],
        fmt(&p.z1),
        fmt(&p.a1),
        p.z2,
        p.y
    )
}

/// The values of neuron `k` (inputs first, then hidden, then the output), for a tooltip.
fn neuron_text(snap: &XorSnapshot, k: usize, selected: Option<usize>) -> String {
    let net = &snap.net;
    let h = net.hidden();
    let point = selected.filter(|&i| i < snap.points.len());
    let at = point
        .map(|i| format!(" for input {}", snap.data.point_label(i)))
        .unwrap_or_default();
    if k < 2 {
        let value = point
            .map(|i| format!(" = {:.3}", snap.data.points[i][k]))
            .unwrap_or_default();
        return format!("input x{}{value}", k + 1);
    }
    if k < 2 + h {
        let j = k - 2;
        let mut text = format!(
            "hidden neuron {}\nweights from x1, x2: {:.3}, {:.3}\nbias b = {:.3}\nweight to output: {:.3}",
            j + 1,
            net.w1[2 * j],
            net.w1[2 * j + 1],
            net.b1[j],
            net.w2[j]
        );
        if let Some(i) = point {
            text.push_str(&format!(
                "\nz = {:.4}, a = {:.4}{at}",
                snap.points[i].z1[j], snap.points[i].a1[j]
            ));
        }
        return text;
    }
    let mut text = format!("output neuron\nbias b = {:.3}", net.b2);
    if let Some(i) = point {
        text.push_str(&format!(
            "\nz = {:.4}, output = {:.4}{at}",
            snap.points[i].z2, snap.points[i].y
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
        if let Some(s) = self.thread.take_latest() {
            self.timeline.push(Arc::clone(&s));
            self.live = s;
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
            self.controls.hidden = self.live.settings.hidden;
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
                Panel::Curves => PanelSpec::of(panel, PanelKind::Egui),
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
                    (0.58, Layout::panel(Panel::Feature.id())),
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
            Some(Panel::Network) => scenes::network(snap, self.selected_point, view.camera),
            Some(Panel::LossSurface) => scenes::loss_surface(snap, view.camera),
            Some(Panel::Curves) | None => Scene::new(view.camera),
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
                let h = snap.net.hidden();
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
                let (xi, xh, xo) = scenes::NETWORK_COLUMNS;
                let h = snap.net.hidden();
                let mut all = (0..2)
                    .map(|i| scenes::neuron_pos(xi, i, 2))
                    .chain((0..h).map(|j| scenes::neuron_pos(xh, j, h)))
                    .chain(std::iter::once(scenes::neuron_pos(xo, 0, 1)));
                let k = nearest(&mut all)?;
                Some(neuron_text(snap, k, self.selected_point))
            }
            Panel::LossSurface | Panel::Curves => None,
        }
    }

    fn panel_ui(&mut self, panel: usize, ui: &mut Ui) {
        if Panel::at(panel) == Some(Panel::Curves) {
            self.curves_ui(ui);
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
        let model = encode_xor(&s.net, s.settings.learning_rate, s.settings.seed)
            .map_err(|e| e.to_string())?;
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
