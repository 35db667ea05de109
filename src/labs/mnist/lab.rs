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

use egui::{DragValue, RichText, Slider, Ui};
use glam::{Vec2, Vec3};

use crate::labs::LabError;
use crate::labs::mnist::activation_labels;
use crate::labs::mnist::browser::{BrowserState, browser_ui};
use crate::labs::mnist::confusion::{confusion_ui, rolling_confusion_ui};
use crate::labs::mnist::drawing::{Canvas, canvas_ui, preprocess};
use crate::labs::mnist::filter_pass::{FilterPass, filter_pass_scene_fitted};
pub use crate::labs::mnist::plots::{
    MAX_PLOT_POINTS, epoch_line, ratio_line, step_size_line, step_size_share, thinned,
};
use crate::labs::mnist::plots::{curves_ui, optimizer_ui};
use crate::labs::mnist::scenes::{self, activation_layout, filter_layout};
use crate::labs::mnist::session::{MnistCommand, MnistSession, MnistSetup, ROLLING_BATCHES};
use crate::labs::mnist::snapshot::MnistSnapshot;
use crate::labs::mnist::worker::Published;
use crate::labs::thread::{LabThread, run_session};
use crate::nn::OptimizerKind;
use crate::nn::config::{InputSpec, ModelConfig};
use crate::render::camera::OrbitPose;
use crate::render::{Camera2d, OrbitCamera, Scene};
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
    thread: LabThread<Published, MnistCommand>,
    latest: Published,
    lr: f32,
    image: usize,
    selected_cell: Option<(usize, usize)>,
    rolling: bool,
    browser: BrowserState,
    canvas: Canvas,
    pass: PassPlayer,
    model_path: String,
    settings: ModelConfig,
    message: Option<String>,
    /// The config file the picker reads.
    config_path: String,
    /// The model file "Load model" reads.
    load_path: String,
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

    fn training_controls_ui(&mut self, ui: &mut Ui) {
        let snap = Arc::clone(&self.latest);
        ui.label(RichText::new("Training").strong());
        ui.horizontal(|ui| {
            let label = if snap.paused { "Resume" } else { "Pause" };
            if ui.button(label).on_hover_text("Space").clicked() {
                self.toggle_pause();
            }
            if ui.button("Reset").on_hover_text("r: same seed").clicked() {
                self.reset();
            }
        });
        let lr = ui.add(
            Slider::new(&mut self.lr, 1e-5..=1.0)
                .logarithmic(true)
                .text("learning rate"),
        );
        if lr.changed() {
            self.send(MnistCommand::SetLearningRate(self.lr));
        }
        ui.label(format!("in use: {:.2e}", snap.learning_rate));
        if let Some(stop) = &snap.stop {
            ui.label(stop.to_string());
        }
        ui.horizontal(|ui| {
            if ui.button("Save model").clicked() {
                let path = std::path::PathBuf::from(&self.model_path);
                self.send(MnistCommand::SaveModel(path));
            }
            ui.add(egui::TextEdit::singleline(&mut self.model_path))
                .on_hover_text("where Save model writes")
                .widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::TextInput, true, "model file")
                });
        });
        if let Some(m) = &snap.message {
            ui.label(m);
        }
        if let Some(e) = snap.error.as_ref().or(self.message.as_ref()) {
            ui.colored_label(egui::Color32::from_rgb(240, 120, 100), e);
        }
    }

    /// The filter pass of the newest snapshot with the chosen filter.
    pub fn filter_pass(&self) -> Option<FilterPass> {
        let snap = &self.latest;
        FilterPass::first_conv(
            &snap.config,
            snap.probe.as_deref()?,
            &snap.filters,
            self.pass.filter,
        )
    }

    /// The filter pass's playback.
    pub fn pass_player(&mut self) -> &mut PassPlayer {
        &mut self.pass
    }

    fn pass_controls_ui(&mut self, ui: &mut Ui) {
        let Some(pass) = self.filter_pass() else {
            return;
        };
        let filters = self.latest.filters.first().map_or(1, |f| f.out_channels);
        ui.label(RichText::new("Filter pass").strong());
        ui.horizontal(|ui| {
            let label = if self.pass.playing { "Pause" } else { "Play" };
            if ui.button(label).clicked() {
                self.pass.playing = !self.pass.playing;
            }
            let f = ui.label("filter");
            ui.add(DragValue::new(&mut self.pass.filter).range(0..=filters - 1))
                .labelled_by(f.id);
        });
        ui.add(
            Slider::new(&mut self.pass.speed, 1.0..=200.0)
                .logarithmic(true)
                .text("steps/s"),
        );
        let mut step = self.pass.step as usize;
        if ui
            .add(Slider::new(&mut step, 0..=pass.steps().saturating_sub(1)).text("step"))
            .changed()
        {
            self.pass.step = step as f32;
            self.pass.playing = false;
        }
    }

    /// Settings that need a fresh model and data: edited here, applied by "Restart".
    fn restart_controls_ui(&mut self, ui: &mut Ui) {
        egui::CollapsingHeader::new("Restart with other settings").show(ui, |ui| {
            self.config_picker_ui(ui);
            let c = &mut self.settings;
            ui.add(
                DragValue::new(&mut c.epochs)
                    .range(1..=1000)
                    .prefix("epochs "),
            );
            ui.add(
                DragValue::new(&mut c.patience)
                    .range(1..=1000)
                    .prefix("patience "),
            );
            ui.add(
                DragValue::new(&mut c.batch_size)
                    .range(1..=4096)
                    .prefix("batch "),
            );
            ui.add(DragValue::new(&mut c.seed).prefix("seed "));
            ui.add(
                Slider::new(&mut c.percent_of_train_data_to_use, 0.01..=1.0)
                    .text("share of the data"),
            );
            if let InputSpec::Image { size, .. } = &mut c.input {
                ui.add(DragValue::new(size).range(6..=28).prefix("input size "));
            }
            let mut lr = c.learning_rate;
            if ui
                .add(
                    Slider::new(&mut lr, 1e-5..=1.0)
                        .logarithmic(true)
                        .text("initial learning rate"),
                )
                .changed()
            {
                c.learning_rate = lr;
            }
            egui::ComboBox::from_label("optimizer")
                .selected_text(format!("{:?}", c.optimizer))
                .show_ui(ui, |ui| {
                    for kind in [OptimizerKind::Adam, OptimizerKind::Sgd] {
                        ui.selectable_value(&mut c.optimizer, kind, format!("{kind:?}"));
                    }
                });
            if ui.button("Restart").clicked() {
                match self.settings.validate() {
                    Ok(()) => {
                        let config = Box::new(self.settings.clone());
                        self.lr = config.learning_rate;
                        self.send(MnistCommand::Restart(config));
                    }
                    Err(e) => self.message = Some(format!("not restarted: {e}")),
                }
            }
        });
    }

    /// Chooses a config file (the shipped ones and the user's, or any path) whose settings
    /// "Restart" then uses, and loads a saved model into the views.
    fn config_picker_ui(&mut self, ui: &mut Ui) {
        let known = config_files();
        egui::ComboBox::from_label("config")
            .selected_text(
                std::path::Path::new(&self.config_path)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            )
            .show_ui(ui, |ui| {
                for path in &known {
                    let text = path.display().to_string();
                    ui.selectable_value(&mut self.config_path, text.clone(), text);
                }
            });
        ui.horizontal(|ui| {
            ui.add(egui::TextEdit::singleline(&mut self.config_path).desired_width(150.0))
                .on_hover_text("config file (the original JSON schema)");
            if ui.button("Load config").clicked() {
                self.message = Some(match ModelConfig::from_file(&self.config_path) {
                    Ok(config) => {
                        self.settings = config;
                        format!("{} loaded: Restart applies it", self.config_path)
                    }
                    Err(e) => format!("not loaded: {e}"),
                });
            }
        });
        ui.horizontal(|ui| {
            ui.add(egui::TextEdit::singleline(&mut self.load_path).desired_width(150.0))
                .on_hover_text("model file (safetensors with its config)");
            if ui.button("Load model").clicked() {
                self.send(MnistCommand::LoadModel(self.load_path.clone().into()));
            }
        });
        ui.separator();
    }

    fn image_controls_ui(&mut self, ui: &mut Ui) {
        let snap = Arc::clone(&self.latest);
        ui.label(RichText::new("Activations of").strong());
        ui.horizontal(|ui| {
            let label = ui.label("validation image");
            let last = snap.val.len().saturating_sub(1);
            if ui
                .add(DragValue::new(&mut self.image).range(0..=last))
                .labelled_by(label.id)
                .changed()
            {
                self.send(MnistCommand::SelectImage(self.image));
            }
        });
        if let Some(p) = &snap.probe {
            let label = p
                .label
                .map_or("drawing".to_string(), |l| format!("label {l}"));
            ui.label(format!(
                "{label}, predicted {} ({:.1}%)",
                p.predicted(),
                100.0 * p.probabilities.get(p.predicted()).copied().unwrap_or(0.0)
            ));
        }
    }

    /// The canvas and the model's probabilities for the drawing (also in the activation view).
    fn draw_ui(&mut self, ui: &mut Ui) {
        let snap = Arc::clone(&self.latest);
        if let Some(p) = snap.probe.as_ref().filter(|p| p.label.is_none()) {
            let best = p.predicted();
            ui.label(format!(
                "predicted {best} ({:.1}%)",
                100.0 * p.probabilities.get(best).copied().unwrap_or(0.0)
            ));
        }
        if canvas_ui(ui, &mut self.canvas) {
            let side = snap.val.side.max(1);
            if self.canvas.is_blank() {
                self.send(MnistCommand::SelectImage(self.image));
            } else {
                self.send(MnistCommand::ShowDrawing(preprocess(&self.canvas, side)));
            }
        }
    }
}

/// The config files offered by the picker: the shipped ones and the user's, where they exist.
pub fn config_files() -> Vec<std::path::PathBuf> {
    let mut found: Vec<std::path::PathBuf> = std::fs::read_dir("assets/configs")
        .map(|dir| {
            dir.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    let user = std::path::PathBuf::from("config/user_cnn_params.json");
    if user.is_file() {
        found.push(user);
    }
    found
}

fn camera_2d(min: [f32; 2], max: [f32; 2]) -> Camera2d {
    Camera2d::new(
        Vec2::new(min[0] - 0.5, min[1] - 0.5),
        Vec2::new(max[0] + 0.5, max[1] + 0.5),
    )
    .keeping_aspect()
}

/// The camera of the filters panel.
pub fn filters_camera(snap: &MnistSnapshot) -> Camera2d {
    let layout = filter_layout(&snap.filters);
    camera_2d(layout.min, layout.max)
}

/// The camera of the activations panel: framing the layer stack, seen from the front right
/// and a little above so every slab shows beside the one in front of it; orthographic, so
/// the last layers are as large as the first (`o` toggles perspective).
pub fn activations_camera(snap: &MnistSnapshot) -> OrbitCamera {
    let (min, max) = match &snap.probe {
        Some(p) => {
            let layout = activation_layout(p);
            (Vec3::from(layout.min), Vec3::from(layout.max))
        }
        None => (Vec3::splat(-1.0), Vec3::splat(1.0)),
    };
    let mut camera = OrbitCamera::framing(min, max);
    let home = camera.pose();
    camera.set_home(OrbitPose {
        yaw_rad: 0.85,
        pitch_rad: 0.3,
        distance: home.distance * 0.55,
        ..home
    });
    camera.orthographic = true;
    camera
}

/// The camera of the filter-pass panel.
pub fn filter_pass_camera(snap: &MnistSnapshot) -> Camera2d {
    let pass = snap
        .probe
        .as_deref()
        .and_then(|p| FilterPass::first_conv(&snap.config, p, &snap.filters, 0));
    match pass {
        Some(p) => camera_2d(
            [0.0, -(p.in_side as f32) - 2.0],
            [p.output_x() + p.out_side as f32, 1.5],
        ),
        None => camera_2d([0.0, -1.0], [1.0, 0.0]),
    }
}

/// The camera of the embedding panel: framing the ball of radius 1.1 around the origin
/// (the bulk of the cloud fills the unit box, see
/// [`Embedding::scale`](crate::labs::mnist::analysis::Embedding::scale), and the axis names
/// sit at 1.1), so the cloud fills the panel.
pub fn embedding_camera() -> OrbitCamera {
    // `framing` fits the box's bounding sphere, whose radius is sqrt(3) times the half side.
    let half = 1.1 / 3f32.sqrt();
    OrbitCamera::framing(Vec3::splat(-half), Vec3::splat(half))
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
