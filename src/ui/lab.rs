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
    /// Stable name of the panel (`feature-space`): the layout file, the View menu,
    /// `--maximize` and `--scene` know the panel by it, and the shell keeps the panel's camera
    /// under it, so a title that changes (say, with a count) keeps the panel's state.
    pub id: String,
    /// Shown in the panel's tab; also names the panel in headless layout reports.
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
    fn new(title: impl Into<String>, kind: PanelKind) -> Self {
        let title = title.into();
        Self {
            id: slug(&title),
            title,
            kind,
        }
    }

    /// A 3D scene panel starting with `camera`; its id is the title in lowercase words
    /// joined by `-` until [`with_id`](Self::with_id) names it.
    pub fn scene_3d(title: impl Into<String>, camera: OrbitCamera) -> Self {
        Self::new(title, PanelKind::Scene3d(camera))
    }

    /// A 2D scene panel starting with `camera`.
    pub fn scene_2d(title: impl Into<String>, camera: Camera2d) -> Self {
        Self::new(title, PanelKind::Scene2d(camera))
    }

    /// A plain egui panel.
    pub fn egui(title: impl Into<String>) -> Self {
        Self::new(title, PanelKind::Egui)
    }

    /// The same panel under the stable id `id`.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// Panel `panel` (its id and title from the lab's [`lab_panels!`](crate::lab_panels)
    /// list), drawn as `kind`.
    pub fn of(panel: impl PanelName, kind: PanelKind) -> Self {
        Self {
            id: panel.id().to_string(),
            title: panel.title().to_string(),
            kind,
        }
    }

    /// The same panel under the title `title` (for a title that says more than the panel's
    /// name, like a count); its id stays.
    pub fn titled(mut self, title: impl Into<String>) -> Self {
        self.title = title.into();
        self
    }

    /// Whether the panel is rendered with wgpu.
    pub fn is_scene(&self) -> bool {
        !matches!(self.kind, PanelKind::Egui)
    }
}

/// A lab's panel as [`lab_panels!`](crate::lab_panels) declares it.
pub trait PanelName: Copy {
    /// The stable id (`feature-space`).
    fn id(self) -> &'static str;
    /// The title shown in the panel's tab.
    fn title(self) -> &'static str;
}

/// Declares a lab's panels once, as an enum: each variant is a panel with its stable id
/// and its title, in the order [`Lab::panels`] lists them, so the index the shell passes to
/// [`Lab::scene`], [`Lab::hover_text`] and [`Lab::panel_ui`] maps back with `at`.
///
/// ```
/// netviz::lab_panels! {
///     /// The panels of a small lab.
///     pub enum Panel {
///         /// A plot.
///         Curve = ("curve", "Loss curve"),
///         /// A scene.
///         Cloud = ("cloud", "Point cloud"),
///     }
/// }
/// assert_eq!(Panel::at(1), Some(Panel::Cloud));
/// assert_eq!(Panel::Cloud.index(), 1);
/// assert_eq!((Panel::Curve.id(), Panel::Curve.title()), ("curve", "Loss curve"));
/// assert_eq!(Panel::ALL.len(), 2);
/// ```
#[macro_export]
macro_rules! lab_panels {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = ($id:literal, $title:literal) ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        impl $name {
            /// Every panel, in the order the lab lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The panel at `index` in the lab's list.
            pub fn at(index: usize) -> Option<Self> {
                Self::ALL.get(index).copied()
            }

            /// The panel's index in the lab's list.
            pub const fn index(self) -> usize {
                self as usize
            }

            /// The panel's stable id (`--scene`, `--maximize`, the layout file).
            pub const fn id(self) -> &'static str {
                match self {
                    $( $name::$variant => $id ),+
                }
            }

            /// The title shown in the panel's tab.
            pub const fn title(self) -> &'static str {
                match self {
                    $( $name::$variant => $title ),+
                }
            }
        }

        impl $crate::ui::lab::PanelName for $name {
            fn id(self) -> &'static str {
                $name::id(self)
            }

            fn title(self) -> &'static str {
                $name::title(self)
            }
        }
    };
}

/// `Loss and gradient norms` as `loss-and-gradient-norms`: lowercase ASCII letters and digits,
/// every other run of characters one `-`.
pub fn slug(title: &str) -> String {
    let mut id = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            id.push(c.to_ascii_lowercase());
        } else if !id.is_empty() && !id.ends_with('-') {
            id.push('-');
        }
    }
    id.trim_end_matches('-').to_string()
}

/// How a lab's panels are arranged when it opens (and after View > Reset layout): nested rows,
/// columns and tab stacks of panel ids. Shares are relative sizes within a row or column.
#[derive(Clone, Debug, PartialEq)]
pub enum Layout {
    /// One panel, by id.
    Panel(String),
    /// Panels stacked as tabs, the first one shown.
    Tabs(Vec<String>),
    /// Side by side, left to right, each with its share of the width.
    Row(Vec<(f32, Layout)>),
    /// Top to bottom, each with its share of the height.
    Column(Vec<(f32, Layout)>),
}

impl Layout {
    /// Panels stacked as tabs, the first one shown.
    pub fn tabs<S: Into<String>>(ids: impl IntoIterator<Item = S>) -> Self {
        Self::Tabs(ids.into_iter().map(Into::into).collect())
    }

    /// One panel.
    pub fn panel(id: impl Into<String>) -> Self {
        Self::Panel(id.into())
    }

    /// A grid for `ids` (in reading order) with cells close to 4:3 in a `size` area, as
    /// columns of equal rows.
    pub fn grid(ids: &[String], size: [f32; 2]) -> Self {
        let count = ids.len();
        if count == 0 {
            return Self::Row(Vec::new());
        }
        let aspect = if size[1] > 0.0 {
            size[0] / size[1]
        } else {
            1.0
        };
        let badness = |cols: usize| {
            let rows = count.div_ceil(cols);
            let cell = aspect * rows as f32 / cols as f32;
            let empty = (cols * rows - count) as f32;
            (cell / (4.0 / 3.0)).ln().abs() + 0.4 * empty
        };
        let cols = (1..=count)
            .min_by(|&a, &b| badness(a).total_cmp(&badness(b)))
            .unwrap_or(1);
        let columns = (0..cols)
            .map(|c| {
                let rows: Vec<(f32, Layout)> = ids
                    .iter()
                    .skip(c)
                    .step_by(cols)
                    .map(|id| (1.0, Self::panel(id.clone())))
                    .collect();
                (1.0, Self::Column(rows))
            })
            .collect();
        Self::Row(columns)
    }

    /// Every panel id the layout names, in reading order.
    pub fn ids(&self) -> Vec<&str> {
        match self {
            Self::Panel(id) => vec![id.as_str()],
            Self::Tabs(ids) => ids.iter().map(String::as_str).collect(),
            Self::Row(parts) | Self::Column(parts) => {
                parts.iter().flat_map(|(_, part)| part.ids()).collect()
            }
        }
    }
}

/// What the shell tells a lab about a scene panel it is about to draw.
#[derive(Clone, Copy, Debug)]
pub struct SceneView {
    /// The panel's image size in physical pixels (never zero).
    pub size_px: [u32; 2],
    /// Physical pixels per egui point. A lab gives its scene's sizes (radii, line widths,
    /// label sizes) in points; the shell multiplies them by this. Pointer positions
    /// ([`Lab::hover_text`]) are in physical pixels: [`px`](Self::px) converts distances.
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

/// What the status bar says about the lab.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatusInfo {
    /// Training (or animation) steps done since the last reset.
    pub step: u64,
    /// The latest loss, if the lab has one.
    pub loss: Option<f32>,
    /// Whether the lab's work is paused.
    pub paused: bool,
    /// Something the lab's thread has to say (a command that failed, training stopped).
    pub message: Option<String>,
}

/// A lab's recorded history, as the timeline bar under the dashboard shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimelineInfo {
    /// The steps of the recorded moments, oldest first.
    pub steps: Vec<u64>,
    /// The loss at each moment (`None` where the lab has none), for the bar's curve.
    pub losses: Vec<Option<f32>>,
    /// The moment the views show (`None`: the present, training going on).
    pub cursor: Option<usize>,
    /// The step the views show when it is not a recorded one (recomputed from the moment
    /// under the cursor, see [`Lab::seek_step`]).
    pub computed_step: Option<u64>,
    /// Bytes the recorded moments hold.
    pub bytes: usize,
    /// The most they may hold before older moments are thinned.
    pub budget: usize,
}

/// `b` lent again for a shorter while (an `Option<&mut dyn Lab>` cannot shorten the trait
/// object's lifetime on its own).
pub(crate) fn reborrow<'s>(b: &'s mut Option<&mut dyn Lab>) -> Option<&'s mut dyn Lab> {
    match b {
        Some(b) => Some(&mut **b),
        None => None,
    }
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

    /// The panels of the dashboard. The shell keeps each panel's camera under its
    /// [`PanelSpec::id`], so a panel whose title changes keeps its view; the index of a panel
    /// in this list is how the other methods name it.
    fn panels(&self) -> Vec<PanelSpec>;

    /// How the panels are arranged when the lab opens, designed for a 1280x800 window. The
    /// default is a grid of every panel; panels the layout leaves out start closed (the View
    /// menu opens them).
    fn default_layout(&self) -> Layout {
        let ids: Vec<String> = self.panels().into_iter().map(|p| p.id).collect();
        Layout::grid(&ids, [1000.0, 700.0])
    }

    /// Items of the File menu beyond the shell's own (save or load a model, ...).
    fn file_menu_ui(&mut self, ui: &mut Ui) {
        let _ = ui;
    }

    /// The scene of scene panel `panel` for this frame, its sizes in points (the shell
    /// scales them to pixels and declutters the labels, which it draws as egui text on top
    /// of the rendered image).
    fn scene(&mut self, panel: usize, view: &SceneView) -> Scene;

    /// What to say while the pointer rests over scene panel `panel` at `pos_px` (physical
    /// pixels from the panel's top-left corner), e.g. the values of the point or neuron under
    /// it; `None` shows nothing. `view` is the view of the frame being drawn.
    fn hover_text(&mut self, panel: usize, pos_px: glam::Vec2, view: &SceneView) -> Option<String> {
        let _ = (panel, pos_px, view);
        None
    }

    /// The user clicked scene panel `panel` at `pos_px` (physical pixels from the panel's
    /// top-left corner), e.g. to choose what is under the pointer.
    fn click(&mut self, panel: usize, pos_px: glam::Vec2, view: &SceneView) {
        let _ = (panel, pos_px, view);
    }

    /// Draws plain egui panel `panel` (see [`PanelKind::Egui`]) into `ui`.
    fn panel_ui(&mut self, panel: usize, ui: &mut Ui) {
        let _ = (panel, ui);
    }

    /// The lab's recorded history, if it keeps one: the shell then shows a timeline bar to
    /// go back to any recorded moment ([`seek`](Self::seek)).
    fn timeline(&self) -> Option<TimelineInfo> {
        None
    }

    /// Shows recorded moment `index` of [`timeline`](Self::timeline) in every panel
    /// (`None`: the present). Training goes on meanwhile.
    fn seek(&mut self, index: Option<usize>) {
        let _ = index;
    }

    /// Shows step `step`, recorded or not, where the lab can recompute it exactly (training
    /// on from the recorded moment before it); otherwise the last recorded moment at or
    /// before it. The default shows the recorded moment.
    fn seek_step(&mut self, step: u64) {
        if let Some(info) = self.timeline().filter(|t| !t.steps.is_empty()) {
            let index = info.steps.partition_point(|&s| s <= step).saturating_sub(1);
            self.seek(Some(index));
        }
    }

    /// Sets how many bytes the recorded moments may hold before older ones are thinned.
    fn set_timeline_budget(&mut self, bytes: usize) {
        let _ = bytes;
    }

    /// Saves the run (its settings, every recorded moment and its model) to the run file
    /// `path` ([`crate::labs::run_file`]); returns what was saved, in a few words.
    fn save_run(&self, path: &std::path::Path) -> Result<String, String> {
        let _ = path;
        Err(format!("the {} lab does not save runs", self.name()))
    }

    /// Whether the lab shows a saved run (nothing trains) rather than a live one.
    fn is_saved_run(&self) -> bool {
        false
    }

    /// A second run beside this one ("Run B"), starting over with the settings its controls
    /// show now (with `seed` instead of theirs, if given): the same settings make the same
    /// run, step for step.
    fn fork(&self, seed: Option<u64>) -> Result<Box<dyn Lab>, String> {
        let _ = seed;
        Err(format!("the {} lab cannot start a second run", self.name()))
    }

    /// Step, loss and pause state for the status bar.
    fn status(&self) -> StatusInfo;

    /// Pauses or resumes the lab's work.
    fn toggle_pause(&mut self);

    /// Starts the lab's work over.
    fn reset(&mut self);
}
