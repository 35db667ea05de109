//! The gallery lab (`netviz gallery`): every rendering primitive, live, with no neural network
//! involved. Its thread ([`world`]) turns a plane through a seeded point cloud and runs Adam
//! down Himmelblau's function; the dashboard shows the cloud in 3D, the function as a heatmap
//! with a colorbar and as a surface, both with the optimizer's path, and the loss curve.
//!
//! It is also the pattern the training labs follow: a [`LabThread`] publishes snapshots, the
//! controls send commands, and every scene is rebuilt from the newest snapshot.

pub mod landscape;
pub mod scenes;
pub mod world;

use egui::{RichText, Slider, Ui};
use egui_plot::Plot;

use crate::labs::LabError;
use crate::labs::plot::{Series, SeriesKind, palette, plot_ui};
use crate::labs::thread::{LabThread, run_session};
use crate::render::{Colormap, Scene};
use crate::ui::{Lab, PanelKind, PanelSpec, SceneView, StatusInfo};

use scenes::Surface;
use world::{Command, Settings, Snapshot, World};

crate::lab_panels! {
    /// The gallery's panels, in the order [`Gallery`] lists them.
    pub enum Panel {
        /// The point cloud and its turning plane, in 3D.
        Cloud = ("point-cloud", "Point cloud"),
        /// Himmelblau's function as a heatmap with the optimizer's path.
        Landscape = ("loss-landscape", "Loss landscape"),
        /// The same function as a surface.
        Surface = ("loss-surface", "Loss surface"),
        /// The optimizer's loss curve.
        Curve = ("loss-curve", "Loss curve"),
    }
}
/// Cells per side of the heatmap.
pub const HEATMAP_CELLS: u32 = 64;
/// Range of the point count slider.
pub const POINT_COUNT_RANGE: std::ops::RangeInclusive<usize> = 50..=20_000;
/// Range of the speed slider.
pub const SPEED_RANGE: std::ops::RangeInclusive<f32> = 0.0..=5.0;

/// How a gallery starts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GalleryOptions {
    /// Seed of the point cloud and of the optimizer's start points.
    pub seed: u64,
    /// Speed, point count and pause state to start with.
    pub settings: Settings,
    /// Ticks simulated before the thread starts (so a screenshot shows a path).
    pub warmup_ticks: u32,
}

impl Default for GalleryOptions {
    fn default() -> Self {
        Self {
            seed: 1,
            settings: Settings::default(),
            warmup_ticks: 0,
        }
    }
}

/// The gallery lab.
pub struct GalleryLab {
    thread: LabThread<Snapshot, Command>,
    latest: Snapshot,
    controls: Settings,
    colormap: Colormap,
    heatmap: Vec<f32>,
    surface: Surface,
}

impl GalleryLab {
    /// Simulates the warm-up, then starts the gallery's thread.
    pub fn new(options: GalleryOptions) -> Result<Self, LabError> {
        let mut world = World::new(options.seed, options.settings);
        for _ in 0..options.warmup_ticks {
            world.tick();
        }
        let latest = world.snapshot();
        let thread = LabThread::spawn("gallery", move |worker| run_session(&worker, world))
            .map_err(|source| LabError::Thread {
                lab: "gallery",
                source,
            })?;
        Ok(Self {
            thread,
            latest,
            controls: options.settings,
            colormap: Colormap::Viridis,
            heatmap: landscape::landscape_grid(HEATMAP_CELLS),
            surface: Surface::new(),
        })
    }

    /// The newest snapshot taken by [`Lab::update`].
    pub fn snapshot(&self) -> &Snapshot {
        &self.latest
    }

    /// The settings the controls show (sent to the thread as they change).
    pub fn controls(&self) -> Settings {
        self.controls
    }

    /// The colormap of the heatmap and the surface.
    pub fn colormap(&self) -> Colormap {
        self.colormap
    }

    /// The heatmap's values (`HEATMAP_CELLS²`, row-major, row 0 at the top).
    pub fn heatmap(&self) -> &[f32] {
        &self.heatmap
    }

    fn send(&mut self, command: Command) {
        if !self.thread.send(command) {
            eprintln!("warning: the gallery thread has stopped; {command:?} was dropped");
        }
    }

    fn loss_curve_ui(&self, ui: &mut Ui) {
        let snapshot = &self.latest;
        let first_step = snapshot.step + 1 - snapshot.losses.len() as u64;
        let points = snapshot.losses.iter().enumerate().map(|(i, &loss)| {
            [
                (first_step + i as u64) as f64,
                f64::from(loss.max(1e-6)).log10(),
            ]
        });
        let series = vec![Series::new(
            format!("run {}", snapshot.run),
            palette(0),
            SeriesKind::Line,
            points,
        )];
        let height = ui.available_height();
        plot_ui(
            ui,
            Plot::new("gallery-loss")
                .x_axis_label("step")
                .y_axis_label("log10 loss"),
            "loss",
            height,
            series,
        );
    }
}

impl Lab for GalleryLab {
    fn name(&self) -> &str {
        "gallery"
    }

    fn update(&mut self) {
        if let Some(snapshot) = self.thread.take_latest() {
            self.latest = snapshot;
        }
    }

    fn controls_ui(&mut self, ui: &mut Ui) {
        ui.label(RichText::new("Animation").strong());
        let speed = ui.add(Slider::new(&mut self.controls.speed, SPEED_RANGE).text("speed"));
        if speed.changed() {
            self.send(Command::SetSpeed(self.controls.speed));
        }
        ui.horizontal(|ui| {
            let label = if self.controls.paused {
                "Resume"
            } else {
                "Pause"
            };
            if ui.button(label).clicked() {
                self.toggle_pause();
            }
            if ui.button("Reset").clicked() {
                self.reset();
            }
        });
        ui.add_space(8.0);
        ui.label(RichText::new("Point cloud").strong());
        let points = ui.add(
            Slider::new(&mut self.controls.point_count, POINT_COUNT_RANGE)
                .logarithmic(true)
                .text("points"),
        );
        if points.changed() {
            self.send(Command::SetPointCount(self.controls.point_count));
        }
        ui.add_space(8.0);
        ui.label(RichText::new("Colormap").strong());
        ui.horizontal_wrapped(|ui| {
            for (colormap, name) in Colormap::ALL
                .into_iter()
                .zip(["viridis", "diverging", "gray"])
            {
                let selected = self.colormap.lut_row() == colormap.lut_row();
                if ui.selectable_label(selected, name).clicked() {
                    self.colormap = colormap;
                }
            }
        });
        ui.add_space(8.0);
        ui.label(RichText::new("Optimizer").strong());
        let snapshot = &self.latest;
        if let Some(&[x, y]) = snapshot.path.last() {
            ui.label(format!("Adam on Himmelblau, run {}", snapshot.run));
            ui.label(format!("at ({x:.3}, {y:.3})"));
        }
    }

    fn panels(&self) -> Vec<PanelSpec> {
        Panel::ALL
            .iter()
            .map(|&panel| {
                let kind = match panel {
                    Panel::Cloud => PanelKind::Scene3d(scenes::cloud_camera()),
                    Panel::Landscape => PanelKind::Scene2d(scenes::landscape_camera()),
                    Panel::Surface => PanelKind::Scene3d(scenes::surface_camera()),
                    Panel::Curve => PanelKind::Egui,
                };
                PanelSpec::of(panel, kind)
            })
            .collect()
    }

    fn scene(&mut self, panel: usize, view: &SceneView) -> Scene {
        match Panel::at(panel) {
            Some(Panel::Cloud) => scenes::cloud_scene(&self.latest, view),
            Some(Panel::Landscape) => scenes::landscape_scene(
                &self.latest,
                view,
                &self.heatmap,
                HEATMAP_CELLS,
                self.colormap,
            ),
            Some(Panel::Surface) => {
                scenes::surface_scene(&self.latest, view, &self.surface, self.colormap)
            }
            Some(Panel::Curve) | None => Scene::new(view.camera),
        }
    }

    fn panel_ui(&mut self, panel: usize, ui: &mut Ui) {
        if Panel::at(panel) == Some(Panel::Curve) {
            self.loss_curve_ui(ui);
        }
    }

    fn status(&self) -> StatusInfo {
        StatusInfo {
            step: self.latest.step,
            loss: self.latest.loss(),
            paused: self.latest.settings.paused,
            message: None,
        }
    }

    fn toggle_pause(&mut self) {
        self.controls.paused = !self.controls.paused;
        self.send(Command::SetPaused(self.controls.paused));
    }

    fn reset(&mut self) {
        self.send(Command::Reset);
    }
}
