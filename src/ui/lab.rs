//! The [`Lab`] trait: what the shell hosts.
//!
//! A lab owns some work running on its own thread (training a network, an animation) and
//! describes what to show: controls for the side panel, a list of panels that are either wgpu
//! scenes or plain egui, and a status line. The shell owns everything else: windows, cameras,
//! textures, layout, keys and screenshots. Nothing here knows what a lab computes.

use egui::Ui;

use crate::render::{Camera2d, OrbitCamera, Scene, SceneCamera};

/// One panel of a lab's dashboard.
#[derive(Clone, Debug)]
pub struct PanelSpec {
    /// Shown in the panel's title bar; also names the panel in headless layout reports.
    pub title: String,
    /// How the panel is drawn.
    pub kind: PanelKind,
}

/// How a panel is drawn.
#[derive(Clone, Debug)]
pub enum PanelKind {
    /// A 3D scene rendered with wgpu into the panel's own texture. The shell keeps an
    /// [`OrbitCamera`] for it (starting as this one) that pointer drags (left: rotate, right
    /// or shift: pan), the wheel, double-click (reset) and the arrow keys steer while the
    /// pointer is over the panel.
    Scene3d(OrbitCamera),
    /// A 2D scene rendered with wgpu. The shell keeps a [`Camera2d`] for it (starting as this
    /// one) that drags pan, the wheel zooms and double-click resets.
    Scene2d(Camera2d),
    /// A plain egui panel (plots, tables) drawn by [`Lab::panel_ui`].
    Egui,
}

impl PanelSpec {
    /// A 3D scene panel starting with `camera`.
    pub fn scene_3d(title: impl Into<String>, camera: OrbitCamera) -> Self {
        Self {
            title: title.into(),
            kind: PanelKind::Scene3d(camera),
        }
    }

    /// A 2D scene panel starting with `camera`.
    pub fn scene_2d(title: impl Into<String>, camera: Camera2d) -> Self {
        Self {
            title: title.into(),
            kind: PanelKind::Scene2d(camera),
        }
    }

    /// A plain egui panel.
    pub fn egui(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            kind: PanelKind::Egui,
        }
    }

    /// Whether the panel is rendered with wgpu.
    pub fn is_scene(&self) -> bool {
        !matches!(self.kind, PanelKind::Egui)
    }
}

/// What the shell tells a lab about a scene panel it is about to draw.
#[derive(Clone, Copy, Debug)]
pub struct SceneView {
    /// The panel's image size in physical pixels (never zero).
    pub size_px: [u32; 2],
    /// Physical pixels per egui point: scene sizes are in physical pixels, so a line meant to
    /// look 2 points wide is `2.0 * pixels_per_point` pixels.
    pub pixels_per_point: f32,
    /// The panel's camera as the user left it; the lab should put it in its scene.
    pub camera: SceneCamera,
}

impl SceneView {
    /// Width over height of the panel's image.
    pub fn aspect(&self) -> f32 {
        self.size_px[0] as f32 / self.size_px[1].max(1) as f32
    }

    /// `points` egui points in physical pixels.
    pub fn px(&self, points: f32) -> f32 {
        points * self.pixels_per_point
    }
}

/// The numbers of the status bar.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StatusInfo {
    /// Training (or animation) steps done since the last reset.
    pub step: u64,
    /// The latest loss, if the lab has one.
    pub loss: Option<f32>,
    /// Whether the lab's work is paused.
    pub paused: bool,
}

/// A lab the shell can host: in a window, headless, or in a test harness.
pub trait Lab {
    /// Short name shown in the title bar, e.g. `gallery`.
    fn name(&self) -> &str;

    /// Takes the lab thread's newest snapshot, if any. Called once per frame before any UI
    /// function; must never block.
    fn update(&mut self);

    /// The controls of the side panel (sliders, choices, buttons).
    fn controls_ui(&mut self, ui: &mut Ui);

    /// The panels of the dashboard, in reading order. The shell keeps each panel's camera and
    /// texture by index and rebuilds them when the count changes, so keep the list stable.
    fn panels(&self) -> Vec<PanelSpec>;

    /// The scene of scene panel `panel` for this frame; its labels are drawn by the shell as
    /// egui text on top of the rendered image.
    fn scene(&mut self, panel: usize, view: &SceneView) -> Scene;

    /// What to say while the pointer rests over scene panel `panel` at `pos_px` (physical
    /// pixels from the panel's top-left corner), e.g. the values of the point or neuron under
    /// it; `None` shows nothing. `view` is the view of the frame being drawn.
    fn hover_text(&mut self, panel: usize, pos_px: glam::Vec2, view: &SceneView) -> Option<String> {
        let _ = (panel, pos_px, view);
        None
    }

    /// Draws plain egui panel `panel` (see [`PanelKind::Egui`]) into `ui`.
    fn panel_ui(&mut self, panel: usize, ui: &mut Ui) {
        let _ = (panel, ui);
    }

    /// Step, loss and pause state for the status bar.
    fn status(&self) -> StatusInfo;

    /// Pauses or resumes the lab's work.
    fn toggle_pause(&mut self);

    /// Starts the lab's work over.
    fn reset(&mut self);
}
