//! `MnistLab`: the MNIST lab in the app shell. Its thread ([`worker`](super::worker)) trains
//! the configured CNN with the same [`Trainer`](crate::train::Trainer) as `netviz mnist
//! train` and publishes snapshots; this side lays out nine panels (the curves, the filters,
//! the confusion matrix, one image's activations, the penultimate layer's embedding, the
//! validation image browser, the optimizer, draw-a-digit and the filter pass; five visible
//! in the default layout, the rest as tabs); the side panel holds the live learning rate,
//! pause/resume/reset, restarting with other settings, saving and loading, the image chooser
//! and the filter-pass player.

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
use crate::labs::mnist::session::{MnistCommand, MnistSession, MnistSetup, ROLLING_BATCHES};
use crate::labs::mnist::snapshot::MnistSnapshot;
use crate::labs::mnist::worker::Published;
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
}

impl MnistLab {
    /// Starts the lab's thread on `setup` (paused when `paused`).
    pub fn new(setup: MnistSetup, paused: bool) -> Result<Self, LabError> {
        let mut session = MnistSession::new(setup, paused)?;
        let latest = Arc::new(session.snapshot());
        let thread =
            LabThread::spawn("mnist", move |w| run_session(&w, session)).map_err(|source| {
                LabError::Thread {
                    lab: "MNIST",
                    source,
                }
            })?;
        let settings = latest.config.clone();
        let mut timeline = Timeline::new(DEFAULT_BUDGET);
        timeline.push(Arc::clone(&latest));
        Ok(MnistLab {
            thread,
            learning_rate: latest.learning_rate,
            live: Arc::clone(&latest),
            timeline,
            latest,
            image: 0,
            selected_cell: None,
            rolling: false,
            browser: BrowserState::default(),
            canvas: Canvas::default(),
            pass: PassPlayer::default(),
            model_path: "models/mnist_lab.safetensors".into(),
            settings,
            message: None,
            config_path: "assets/configs/default_cnn.json".into(),
            load_path: "assets/models/default_mnist_cnn.safetensors".into(),
        })
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

    /// Sends a command to the training thread.
    pub fn send(&mut self, command: MnistCommand) {
        if !self.thread.send(command) {
            self.message = Some("the training thread has stopped".into());
        }
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
        "mnist"
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
        self.restart_controls_ui(ui);
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
            self.send(MnistCommand::SaveModel(self.model_path.clone().into()));
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

    fn status(&self) -> StatusInfo {
        StatusInfo {
            step: self.live.steps,
            loss: self.live.loss(),
            // A finished training shows as paused: nothing more happens.
            paused: self.live.paused || self.live.finished(),
            message: self
                .live
                .error
                .clone()
                .or_else(|| self.live.message.clone()),
        }
    }

    fn toggle_pause(&mut self) {
        self.send(MnistCommand::TogglePause);
    }

    fn reset(&mut self) {
        self.send(MnistCommand::Reset);
    }
}
