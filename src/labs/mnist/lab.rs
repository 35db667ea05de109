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
use crate::nn::config::ModelConfig;
use crate::render::Scene;
use crate::ui::{Lab, Layout, PanelSpec, SceneView, StatusInfo};

/// Title of the curves panel.
pub const CURVES_PANEL: &str = "Training curves";
/// Title of the filters panel.
pub const FILTERS_PANEL: &str = "Filters";
/// Title of the confusion-matrix panel.
pub const CONFUSION_PANEL: &str = "Confusion matrix";
/// Title of the activations panel.
pub const ACTIVATIONS_PANEL: &str = "Activations";
/// Title of the embedding panel.
pub const EMBEDDING_PANEL: &str = "Embedding (PCA)";

/// Title of the optimizer panel.
pub const OPTIMIZER_PANEL: &str = "Optimizer";

/// Title of the dataset browser panel.
pub const BROWSER_PANEL: &str = "Validation images";

/// Title of the draw-a-digit panel.
pub const DRAW_PANEL: &str = "Draw a digit";

/// Title of the filter-pass panel.
pub const FILTER_PASS_PANEL: &str = "Filter pass";

/// Indices of the lab's panels, in reading order.
pub mod panel {
    /// The curves.
    pub const CURVES: usize = 0;
    /// The filters.
    pub const FILTERS: usize = 1;
    /// The confusion matrix.
    pub const CONFUSION: usize = 2;
    /// The activations.
    pub const ACTIVATIONS: usize = 3;
    /// The embedding.
    pub const EMBEDDING: usize = 4;
    /// The dataset browser (in the last column: its wrapped grid needs a bounded width).
    pub const BROWSER: usize = 5;
    /// The optimizer's update-to-weight ratios.
    pub const OPTIMIZER: usize = 6;
    /// Draw-a-digit.
    pub const DRAW: usize = 7;
    /// The filter pass.
    pub const FILTER_PASS: usize = 8;
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
    pub(super) latest: Published,
    pub(super) lr: f32,
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
        Ok(MnistLab {
            thread,
            lr: latest.learning_rate,
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
            if done(&self.latest) {
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
            self.latest = s;
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
        vec![
            PanelSpec::egui(CURVES_PANEL).with_id("curves"),
            PanelSpec::scene_2d(FILTERS_PANEL, filters_camera(snap)).with_id("filters"),
            PanelSpec::egui(CONFUSION_PANEL).with_id("confusion"),
            PanelSpec::scene_3d(ACTIVATIONS_PANEL, activations_camera(snap)).with_id("activations"),
            PanelSpec::scene_3d(EMBEDDING_PANEL, embedding_camera()).with_id("embedding"),
            PanelSpec::egui(BROWSER_PANEL).with_id("browser"),
            PanelSpec::egui(OPTIMIZER_PANEL).with_id("optimizer"),
            PanelSpec::egui(DRAW_PANEL).with_id("draw"),
            PanelSpec::scene_2d(FILTER_PASS_PANEL, filter_pass_camera(snap)).with_id("filter-pass"),
        ]
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
        Layout::Row(vec![
            (
                0.33,
                Layout::Column(vec![
                    (0.5, Layout::tabs(["curves", "optimizer"])),
                    (0.5, Layout::tabs(["confusion", "browser"])),
                ]),
            ),
            (
                0.67,
                Layout::Column(vec![
                    (0.55, Layout::tabs(["activations", "draw", "filter-pass"])),
                    (
                        0.45,
                        Layout::Row(vec![
                            (0.6, Layout::panel("filters")),
                            (0.4, Layout::panel("embedding")),
                        ]),
                    ),
                ]),
            ),
        ])
    }

    fn scene(&mut self, panel: usize, view: &SceneView) -> Scene {
        let snap = &self.latest;
        match (panel, &snap.probe, &snap.validation) {
            (panel::FILTERS, _, _) => {
                scenes::filters_fitted(&snap.filters, view.camera, crate::labs::unit_pt(view))
            }
            (panel::ACTIVATIONS, Some(p), _) => activation_labels::activations_fitted(p, view),
            (panel::EMBEDDING, _, Some(v)) => scenes::embedding(&v.embedding, view.camera),
            (panel::FILTER_PASS, Some(_), _) => match self.filter_pass() {
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
        match panel {
            panel::FILTERS => {
                let layout = filter_layout(&snap.filters);
                let tile = scenes::filter_tile_at(&layout, &view.camera, size, pos_px)?;
                Some(scenes::filter_text(&snap.filters, &tile))
            }
            panel::ACTIVATIONS => {
                activation_labels::activation_text(snap.probe.as_ref()?, view, pos_px)
            }
            panel::FILTER_PASS => {
                let world = crate::labs::world_at(view, pos_px, 0.0)?;
                self.filter_pass()?
                    .describe_at([world.x, world.y], self.pass.step as usize)
            }
            _ => None,
        }
    }

    fn panel_ui(&mut self, panel: usize, ui: &mut Ui) {
        match panel {
            panel::CURVES => curves_ui(ui, &self.latest),
            panel::OPTIMIZER => optimizer_ui(ui, &self.latest),
            panel::DRAW => self.draw_ui(ui),
            panel::CONFUSION if self.rolling => {
                let snap = &self.latest;
                rolling_confusion_ui(ui, &snap.rolling, snap.rolling_batches);
            }
            panel::CONFUSION | panel::BROWSER => {
                let snap = Arc::clone(&self.latest);
                let Some(pass) = &snap.validation else {
                    ui.label("no validation pass yet");
                    return;
                };
                let clicked = if panel == panel::CONFUSION {
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

    fn status(&self) -> StatusInfo {
        StatusInfo {
            step: self.latest.steps,
            loss: self.latest.loss(),
            // A finished training shows as paused: nothing more happens.
            paused: self.latest.paused || self.latest.finished(),
            message: self
                .latest
                .error
                .clone()
                .or_else(|| self.latest.message.clone()),
        }
    }

    fn toggle_pause(&mut self) {
        self.send(MnistCommand::TogglePause);
    }

    fn reset(&mut self) {
        self.send(MnistCommand::Reset);
    }
}
