//! `MnistLab`: the MNIST lab in the app shell. Its thread ([`worker`](super::worker)) trains
//! the configured CNN with the same [`Trainer`](crate::train::Trainer) as `netviz mnist
//! train` and publishes snapshots; this side lays out nine panels (the curves, the filters,
//! the confusion matrix, one image's activations, the penultimate layer's embedding, the
//! validation image browser, the optimizer, draw-a-digit and the filter pass; five visible
//! in the default layout, the rest as tabs); the side panel holds the live learning rate,
//! pause/resume/reset, restarting with other settings, saving and loading, the image chooser
//! and the filter-pass player. A saved run ([`MnistLab::open_run`]) shows its recorded
//! moments with no thread behind them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::Ui;
use glam::Vec2;

use crate::labs::LabError;
use crate::labs::mnist::activation_labels;
use crate::labs::mnist::browser::{BrowserState, browser_ui};
pub use crate::labs::mnist::cameras::{
    activations_camera, embedding_camera, filter_pass_camera, filters_camera,
};
use crate::labs::mnist::confusion::{confusion_ui, rolling_confusion_ui};
use crate::labs::mnist::drawing::Canvas;
use crate::labs::mnist::filter_pass::filter_pass_scene_fitted;
pub use crate::labs::mnist::plots::{
    MAX_PLOT_POINTS, epoch_line, ratio_line, step_size_line, step_size_share, thinned,
};
use crate::labs::mnist::plots::{curves_ui, optimizer_ui};
use crate::labs::mnist::scenes::{self, filter_layout};
use crate::labs::mnist::session::{
    MnistCommand, MnistSession, MnistSetup, ModelReply, ROLLING_BATCHES,
};
use crate::labs::mnist::snapshot::MnistSnapshot;
use crate::labs::mnist::worker::Published;
use crate::labs::run_file::{
    self, RunFile, RunToSave, SAVED_RUN_TRAINS_NOT, saved_run_status, saved_run_ui,
};
use crate::labs::thread::{LabThread, run_session};
use crate::labs::timeline::{DEFAULT_BUDGET, Timeline};
use crate::nn::config::ModelConfig;
use crate::render::Scene;
use crate::ui::{Lab, Layout, PanelKind, PanelSpec, SceneView, StatusInfo, TimelineInfo};

crate::lab_panels! {
    /// The lab's panels, in the order [`MnistLab`] lists them.
    pub enum Panel {
        /// The loss and accuracy curves.
        Curves = ("curves", "Training curves"),
        /// The first conv layer's filters.
        Filters = ("filters", "Filters"),
        /// The validation confusion matrix (or the rolling one of the last batches).
        Confusion = ("confusion", "Confusion matrix"),
        /// One image's activations through every layer.
        Activations = ("activations", "Activations"),
        /// The penultimate layer's embedding of the validation images.
        Embedding = ("embedding", "Embedding (PCA)"),
        /// The validation image browser.
        Browser = ("browser", "Validation images"),
        /// The optimizer's update-to-weight ratios and step sizes.
        Optimizer = ("optimizer", "Optimizer"),
        /// Draw-a-digit.
        Draw = ("draw", "Draw a digit"),
        /// The filter pass over one image.
        FilterPass = ("filter-pass", "Filter pass"),
    }
}

/// The filter pass's playback: which filter, which step, playing or not, how fast.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PassPlayer {
    /// The output channel (filter) shown.
    pub filter: usize,
    /// The current step (fractional while playing).
    pub step: f32,
    /// Whether the step advances by itself.
    pub playing: bool,
    /// Steps per second while playing.
    pub speed: f32,
    last_frame: Option<Instant>,
}

impl Default for PassPlayer {
    fn default() -> Self {
        PassPlayer {
            filter: 0,
            step: 0.0,
            playing: true,
            speed: 12.0,
            last_frame: None,
        }
    }
}

impl PassPlayer {
    /// Advances the step by the time since the last frame, wrapping at `steps`.
    fn advance(&mut self, steps: usize) {
        let now = Instant::now();
        let dt = self
            .last_frame
            .map_or(0.0, |t| (now - t).as_secs_f32().min(0.25));
        self.last_frame = Some(now);
        if self.playing && steps > 0 {
            self.step = (self.step + dt * self.speed) % steps as f32;
        }
    }
}

/// The MNIST lab.
pub struct MnistLab {
    pub(super) thread: LabThread<Published, MnistCommand>,
    /// The snapshot the views show: the newest, or a recorded one while scrubbing.
    pub(super) latest: Published,
    /// The newest snapshot.
    pub(super) live: Published,
    pub(super) timeline: Timeline<MnistSnapshot>,
    pub(super) learning_rate: f32,
    pub(super) image: usize,
    pub(super) selected_cell: Option<(usize, usize)>,
    pub(super) rolling: bool,
    pub(super) browser: BrowserState,
    pub(super) canvas: Canvas,
    pub(super) pass: PassPlayer,
    pub(super) model_path: String,
    pub(super) settings: ModelConfig,
    pub(super) message: Option<String>,
    /// The config file the picker reads.
    pub(super) config_path: String,
    /// The model file "Load model" reads.
    pub(super) load_path: String,
    /// What the thread was started on (the starting model and the data), for a second run.
    setup: Option<MnistSetup>,
    /// The run file shown, when the lab shows a saved run instead of training.
    pub(super) saved_run: Option<PathBuf>,
    /// The saved run's model file bytes (its `model` section).
    saved_model: Option<Vec<u8>>,
}

/// How long saving a run waits for the thread to hand over its model.
const MODEL_WAIT: Duration = Duration::from_secs(60);

impl MnistLab {
    /// The lab's name, in run files and on the command line.
    pub const NAME: &'static str = "mnist";

    /// Starts the lab's thread on `setup` (paused when `paused`).
    pub fn new(setup: MnistSetup, paused: bool) -> Result<Self, LabError> {
        let kept = setup.clone();
        let mut session = MnistSession::new(setup, paused)?;
        let latest = Arc::new(session.snapshot());
        let thread =
            LabThread::spawn("mnist", move |w| run_session(&w, session)).map_err(|source| {
                LabError::Thread {
                    lab: "MNIST",
                    source,
                }
            })?;
        let mut timeline = Timeline::new(DEFAULT_BUDGET);
        timeline.push(Arc::clone(&latest));
        let mut lab = Self::with_parts(thread, timeline, latest);
        lab.setup = Some(kept);
        Ok(lab)
    }

    fn with_parts(
        thread: LabThread<Published, MnistCommand>,
        timeline: Timeline<MnistSnapshot>,
        live: Published,
    ) -> Self {
        MnistLab {
            thread,
            learning_rate: live.learning_rate,
            settings: live.config.clone(),
            latest: Arc::clone(&live),
            live,
            timeline,
            image: 0,
            selected_cell: None,
            rolling: false,
            browser: BrowserState::default(),
            canvas: Canvas::default(),
            pass: PassPlayer::default(),
            model_path: "models/mnist_lab.safetensors".into(),
            message: None,
            config_path: "assets/configs/default_cnn.json".into(),
            load_path: "assets/models/default_mnist_cnn.safetensors".into(),
            setup: None,
            saved_run: None,
            saved_model: None,
        }
    }

    /// The saved run `run` (of this lab), to scrub without training: its controls show the
    /// last moment's settings and image.
    pub fn open_run(run: &RunFile) -> Result<Self, LabError> {
        let moments: Vec<Arc<MnistSnapshot>> = run.moments(Self::NAME)?;
        let live = run_file::last(&moments, run)?;
        let timeline = Timeline::from_moments(moments);
        let mut lab = Self::with_parts(LabThread::idle(), timeline, live);
        lab.image = lab
            .live
            .probe
            .as_ref()
            .filter(|p| p.label.is_some())
            .map_or(0, |p| p.index);
        lab.saved_run = Some(run.path.clone());
        lab.saved_model = run.model().map(<[u8]>::to_vec);
        Ok(lab)
    }

    /// Uses `path` for "Save model".
    pub fn with_model_path(mut self, path: &std::path::Path) -> Self {
        self.model_path = path.display().to_string();
        self
    }

    /// The newest snapshot taken from the thread.
    pub fn snapshot(&self) -> &MnistSnapshot {
        &self.latest
    }

    /// The confusion-matrix cell whose digits are listed.
    pub fn selected_cell(&self) -> Option<(usize, usize)> {
        self.selected_cell
    }

    /// Whether the confusion panel shows the rolling window of recent training batches
    /// instead of the validation matrix.
    pub fn shows_rolling_confusion(&self) -> bool {
        self.rolling
    }

    /// Shows the rolling window of recent training batches (`true`) or the validation
    /// matrix in the confusion panel.
    pub fn show_rolling_confusion(&mut self, rolling: bool) {
        self.rolling = rolling;
    }

    /// Sends a command to the training thread, saying so if the thread has stopped (or, in
    /// a saved run, that nothing trains).
    pub fn send(&mut self, command: MnistCommand) {
        if !self.thread.send(command) {
            self.message = Some(if self.saved_run.is_some() {
                SAVED_RUN_TRAINS_NOT.into()
            } else {
                "the training thread has stopped".into()
            });
        }
    }

    /// "Save model": the thread writes the model as it is now; a saved run writes the model
    /// it was saved with.
    pub(super) fn save_model(&mut self) {
        let path = PathBuf::from(&self.model_path);
        if self.saved_run.is_none() {
            self.send(MnistCommand::SaveModel(path));
            return;
        }
        self.message = Some(match &self.saved_model {
            Some(bytes) => match crate::files::write_atomic(&path, bytes) {
                Ok(()) => format!("saved {}", path.display()),
                Err(e) => format!("not saved: {e}"),
            },
            None => "not saved: the run file holds no model".into(),
        });
    }

    /// The model file's bytes as "Save model" would write them now, with a snapshot of the
    /// same moment (`None` when the thread does not answer).
    fn model_now(&self) -> Option<Result<(Published, Vec<u8>), String>> {
        let reply = ModelReply::default();
        if !self.thread.send(MnistCommand::EncodeModel(reply.clone())) {
            return None;
        }
        reply.wait(MODEL_WAIT)
    }

    /// The setup of a second run with the settings the controls show: the same data (and
    /// the same starting model while the settings are the run's), MNIST read again only for
    /// a saved run.
    fn fork_setup(&self, seed: Option<u64>) -> Result<MnistSetup, String> {
        let mut config = self.settings.clone();
        config.seed = seed.unwrap_or(config.seed);
        config.validate().map_err(|e| e.to_string())?;
        if let Some(setup) = &self.setup {
            if setup.config == config {
                return Ok(setup.clone());
            }
            return setup.restarted(config).map_err(|e| e.to_string());
        }
        use crate::data::mnist;
        let (dir, source) = mnist::resolve_data_dir(None).map_err(|e| e.to_string())?;
        let data = mnist::load(&dir, source, &mnist::MIRRORS, &mut mnist::Quiet)
            .map_err(|e| format!("MNIST could not be loaded: {e}"))?;
        let splits = crate::train::mnist::prepare(&config, &data).map_err(|e| e.to_string())?;
        Ok(MnistSetup {
            model: config.build().map_err(|e| e.to_string())?,
            config,
            train: Arc::new(splits.train),
            val: Arc::new(splits.val),
            source: Some(Arc::new(data)),
        })
    }

    /// Waits (up to `timeout`) until the thread publishes a snapshot that satisfies `done`;
    /// returns whether it did. For headless pictures and tests.
    pub fn wait_for(&mut self, timeout: Duration, done: impl Fn(&MnistSnapshot) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            self.update();
            if done(&self.live) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits until training has ended (or stopped on an error).
    pub fn wait_until_done(&mut self, timeout: Duration) -> bool {
        self.wait_for(timeout, |s| s.finished() || s.error.is_some())
    }
}

impl Lab for MnistLab {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn update(&mut self) {
        if let Some(s) = self.thread.take_latest() {
            self.timeline.push(Arc::clone(&s));
            self.live = s;
            self.latest = Arc::clone(self.timeline.shown(&self.live));
        }
        let steps = self.filter_pass().map_or(0, |p| p.steps());
        self.pass.advance(steps);
    }

    fn controls_ui(&mut self, ui: &mut Ui) {
        let snap = Arc::clone(&self.latest);
        let c = &snap.config;
        ui.label(format!(
            "epoch {} of {}, {} batches each",
            snap.epoch.min(c.epochs),
            c.epochs,
            snap.batches_per_epoch
        ));
        ui.label(format!(
            "{} batches trained; {:?}, batch {}, seed {}",
            snap.steps, c.optimizer, c.batch_size, c.seed
        ));
        ui.add_space(6.0);
        saved_run_ui(ui, self.saved_run.as_deref());
        self.training_controls_ui(ui);
        ui.add_space(6.0);
        self.image_controls_ui(ui);
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            ui.label("Confusion matrix:");
            ui.selectable_value(&mut self.rolling, false, "validation");
            ui.selectable_value(&mut self.rolling, true, "last batches")
                .on_hover_text(format!(
                    "training predictions of the last {ROLLING_BATCHES} batches"
                ));
        });
        ui.add_space(6.0);
        self.pass_controls_ui(ui);
        ui.add_space(6.0);
        ui.add_enabled_ui(self.saved_run.is_none(), |ui| self.restart_controls_ui(ui));
    }

    fn panels(&self) -> Vec<PanelSpec> {
        let snap = &self.latest;
        Panel::ALL
            .iter()
            .map(|&panel| {
                let kind = match panel {
                    Panel::Filters => PanelKind::Scene2d(filters_camera(snap)),
                    Panel::Activations => PanelKind::Scene3d(activations_camera(snap)),
                    Panel::Embedding => PanelKind::Scene3d(embedding_camera()),
                    Panel::FilterPass => PanelKind::Scene2d(filter_pass_camera(snap)),
                    Panel::Curves
                    | Panel::Confusion
                    | Panel::Browser
                    | Panel::Optimizer
                    | Panel::Draw => PanelKind::Egui,
                };
                PanelSpec::of(panel, kind)
            })
            .collect()
    }

    fn file_menu_ui(&mut self, ui: &mut Ui) {
        if ui
            .button("Save model")
            .on_hover_text(format!("to {} (set in the side panel)", self.model_path))
            .clicked()
        {
            self.save_model();
            ui.close();
        }
        if ui
            .button("Load model")
            .on_hover_text(format!("from {} (set in the side panel)", self.load_path))
            .clicked()
        {
            self.send(MnistCommand::LoadModel(self.load_path.clone().into()));
            ui.close();
        }
    }

    /// Five tiles at 1280x800, the other four as tabs beside them: on the left the curves
    /// (with the optimizer) over the confusion matrix (with the image browser); on the right
    /// the activations (with the draw-a-digit canvas and the filter pass) across the top, the
    /// filters and the embedding below.
    fn default_layout(&self) -> Layout {
        let tabs = |panels: &[Panel]| Layout::tabs(panels.iter().map(|p| p.id()));
        Layout::Row(vec![
            (
                0.33,
                Layout::Column(vec![
                    (0.5, tabs(&[Panel::Curves, Panel::Optimizer])),
                    (0.5, tabs(&[Panel::Confusion, Panel::Browser])),
                ]),
            ),
            (
                0.67,
                Layout::Column(vec![
                    (
                        0.55,
                        tabs(&[Panel::Activations, Panel::Draw, Panel::FilterPass]),
                    ),
                    (
                        0.45,
                        Layout::Row(vec![
                            (0.6, Layout::panel(Panel::Filters.id())),
                            (0.4, Layout::panel(Panel::Embedding.id())),
                        ]),
                    ),
                ]),
            ),
        ])
    }

    fn scene(&mut self, panel: usize, view: &SceneView) -> Scene {
        let snap = &self.latest;
        let Some(panel) = Panel::at(panel) else {
            return Scene::new(view.camera);
        };
        match (panel, &snap.probe, &snap.validation) {
            (Panel::Filters, _, _) => {
                scenes::filters_fitted(&snap.filters, view.camera, crate::labs::unit_pt(view))
            }
            (Panel::Activations, Some(p), _) => activation_labels::activations_fitted(p, view),
            (Panel::Embedding, _, Some(v)) => scenes::embedding(&v.embedding, view.camera),
            (Panel::FilterPass, Some(_), _) => match self.filter_pass() {
                Some(pass) => filter_pass_scene_fitted(
                    &pass,
                    self.pass.step as usize,
                    view.camera,
                    crate::labs::unit_pt(view),
                ),
                None => Scene::new(view.camera),
            },
            _ => Scene::new(view.camera),
        }
    }

    fn hover_text(&mut self, panel: usize, pos_px: Vec2, view: &SceneView) -> Option<String> {
        let snap = &self.latest;
        let size = Vec2::new(view.size_px[0] as f32, view.size_px[1] as f32);
        match Panel::at(panel)? {
            Panel::Filters => {
                let layout = filter_layout(&snap.filters);
                let tile = scenes::filter_tile_at(&layout, &view.camera, size, pos_px)?;
                Some(scenes::filter_text(&snap.filters, &tile))
            }
            Panel::Activations => {
                activation_labels::activation_text(snap.probe.as_ref()?, view, pos_px)
            }
            Panel::FilterPass => {
                let world = crate::labs::world_at(view, pos_px, 0.0)?;
                self.filter_pass()?
                    .describe_at([world.x, world.y], self.pass.step as usize)
            }
            _ => None,
        }
    }

    fn panel_ui(&mut self, panel: usize, ui: &mut Ui) {
        let Some(panel) = Panel::at(panel) else {
            return;
        };
        match panel {
            Panel::Curves => curves_ui(ui, &self.latest),
            Panel::Optimizer => optimizer_ui(ui, &self.latest),
            Panel::Draw => self.draw_ui(ui),
            Panel::Confusion if self.rolling => {
                let snap = &self.latest;
                rolling_confusion_ui(ui, &snap.rolling, snap.rolling_batches);
            }
            Panel::Confusion | Panel::Browser => {
                let snap = Arc::clone(&self.latest);
                let Some(pass) = &snap.validation else {
                    ui.label("no validation pass yet");
                    return;
                };
                let clicked = if panel == Panel::Confusion {
                    confusion_ui(ui, pass, &snap.val, &mut self.selected_cell)
                } else {
                    browser_ui(ui, pass, &snap.val, &mut self.browser)
                };
                if let Some(i) = clicked {
                    self.image = i;
                    self.send(MnistCommand::SelectImage(i));
                }
            }
            _ => {}
        }
    }

    fn timeline(&self) -> Option<TimelineInfo> {
        Some(self.timeline.info())
    }

    fn set_timeline_budget(&mut self, bytes: usize) {
        self.timeline.set_budget(bytes);
        self.latest = Arc::clone(self.timeline.shown(&self.live));
    }

    fn seek(&mut self, index: Option<usize>) {
        self.timeline.seek(index);
        self.latest = Arc::clone(self.timeline.shown(&self.live));
    }

    fn save_run(&self, path: &Path) -> Result<String, String> {
        let mut moments = self.timeline.moments();
        let (model, note) = if self.saved_run.is_some() {
            (self.saved_model.clone(), "")
        } else {
            match self.model_now() {
                Some(Ok((snap, bytes))) => {
                    let last = moments.last();
                    if last.is_some_and(|l| l.run != snap.run) {
                        (None, " without its model (the run was just restarted)")
                    } else {
                        // Training may have gone on since the newest moment recorded: the
                        // moment of the model ends the run saved.
                        if last.is_none_or(|l| l.steps < snap.steps) {
                            moments.push(snap);
                        }
                        (Some(bytes), "")
                    }
                }
                Some(Err(e)) => return Err(format!("the model could not be encoded: {e}")),
                None => (
                    None,
                    " without its model (the training thread did not answer)",
                ),
            }
        };
        let last = moments.last().ok_or("no moment to save")?;
        let (steps, settings) = (last.steps, last.config.clone());
        let run = RunToSave {
            lab: Self::NAME,
            settings: serde_json::to_value(&settings).map_err(|e| e.to_string())?,
            moments,
            model,
        };
        run.save(path).map_err(|e| e.to_string())?;
        Ok(format!(
            "{} moments up to batch {steps}{note}",
            run.moments.len()
        ))
    }

    fn is_saved_run(&self) -> bool {
        self.saved_run.is_some()
    }

    fn fork(&self, seed: Option<u64>) -> Result<Box<dyn Lab>, String> {
        let setup = self.fork_setup(seed)?;
        let lab = MnistLab::new(setup, false).map_err(|e| e.to_string())?;
        Ok(Box::new(lab.with_model_path(Path::new(&self.model_path))))
    }

    fn status(&self) -> StatusInfo {
        StatusInfo {
            step: self.live.steps,
            loss: self.live.loss(),
            // A finished training shows as paused: nothing more happens.
            paused: self.live.paused || self.live.finished() || self.saved_run.is_some(),
            message: saved_run_status(self.saved_run.as_deref()).or_else(|| {
                self.live
                    .error
                    .clone()
                    .or_else(|| self.live.message.clone())
            }),
        }
    }

    fn toggle_pause(&mut self) {
        self.send(MnistCommand::TogglePause);
    }

    fn reset(&mut self) {
        self.send(MnistCommand::Reset);
    }
}
