//! The lab contract from outside: a small lab defined only here (a session on its own thread
//! through `run_session`, a 2D scene panel and a plain egui panel, its own default layout)
//! plugs into the shell with no change anywhere else: the headless dashboard shows it in its
//! layout with the scene's pixels where they belong, one panel renders alone by its id, a
//! maximized panel fills the dashboard, and the Lab menu switches to it and back.
//!
//! Needs a GPU adapter (lavapipe in CI); without one it fails with what to install.

mod ui_support;

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use glam::{Vec2, Vec3};

use netviz::labs::{LabThread, Session, Step, run_session};
use netviz::render::scene::color_to_rgba8;
use netviz::render::{Camera2d, GpuContext, Point, PointStyle, Scene};
use netviz::ui::headless::render_panel;
use netviz::ui::{
    Dashboard, HeadlessOptions, Lab, LabEntry, Layout, PanelKind, PanelSpec, SceneView, Shell,
    StatusInfo, render_headless,
};

use ui_support::paused_gallery;

/// A dot walking around a circle, one step per tick.
struct Walker {
    angle: f32,
    paused: bool,
    steps: u64,
}

impl Session for Walker {
    type Command = bool;
    type Snapshot = (u64, f32);
    fn apply(&mut self, pause: bool) -> Result<(), String> {
        self.paused = pause;
        Ok(())
    }
    fn is_running(&self) -> bool {
        !self.paused
    }
    fn step(&mut self) -> Step {
        self.angle += 0.1;
        self.steps += 1;
        Step::CHANGED
    }
    fn snapshot(&mut self) -> (u64, f32) {
        (self.steps, self.angle)
    }
    fn report(&mut self, message: String) {
        panic!("no walker command fails: {message}");
    }
    fn steps_per_sec(&self) -> Option<f32> {
        Some(200.0)
    }
}

const DOT: [f32; 4] = [1.0, 0.5, 0.0, 1.0];
const BACKGROUND: [f32; 4] = [0.05, 0.05, 0.1, 1.0];

struct WalkerLab {
    thread: LabThread<(u64, f32), bool>,
    latest: (u64, f32),
    paused: bool,
}

impl WalkerLab {
    fn start(paused: bool) -> Self {
        let walker = Walker {
            angle: 0.0,
            paused,
            steps: 0,
        };
        let thread =
            LabThread::spawn("walker", move |w| run_session(&w, walker)).expect("start a thread");
        Self {
            thread,
            latest: (0, 0.0),
            paused,
        }
    }

    fn camera() -> Camera2d {
        Camera2d::new(Vec2::splat(-1.5), Vec2::splat(1.5)).keeping_aspect()
    }

    fn dot(&self) -> [f32; 3] {
        [self.latest.1.cos(), self.latest.1.sin(), 0.0]
    }
}

netviz::lab_panels! {
    /// The walker's two panels.
    enum Panel {
        /// The dot on its circle.
        Walk = ("walk", "The walk"),
        /// Its numbers.
        Numbers = ("numbers", "Numbers"),
    }
}

impl Lab for WalkerLab {
    fn name(&self) -> &str {
        "walker"
    }
    fn update(&mut self) {
        if let Some(latest) = self.thread.take_latest() {
            self.latest = latest;
        }
    }
    fn controls_ui(&mut self, ui: &mut egui::Ui) {
        ui.label(format!("{} steps", self.latest.0));
    }
    fn panels(&self) -> Vec<PanelSpec> {
        vec![
            PanelSpec::of(Panel::Walk, PanelKind::Scene2d(Self::camera())),
            PanelSpec::of(Panel::Numbers, PanelKind::Egui),
        ]
    }
    fn default_layout(&self) -> Layout {
        Layout::Row(vec![
            (0.7, Layout::panel(Panel::Walk.id())),
            (0.3, Layout::panel(Panel::Numbers.id())),
        ])
    }
    fn scene(&mut self, _panel: usize, view: &SceneView) -> Scene {
        let mut scene = Scene::new(view.camera);
        scene.background = BACKGROUND;
        scene.points.push(Point {
            pos: self.dot(),
            color: DOT,
            radius_px: 8.0,
            style: PointStyle::Disc,
        });
        scene
    }
    fn panel_ui(&mut self, _panel: usize, ui: &mut egui::Ui) {
        ui.label(format!("angle {:.2}", self.latest.1));
    }
    fn status(&self) -> StatusInfo {
        StatusInfo {
            step: self.latest.0,
            loss: None,
            paused: self.paused,
            message: None,
        }
    }
    fn toggle_pause(&mut self) {
        self.paused = !self.paused;
        self.thread.send(self.paused);
    }
    fn reset(&mut self) {}
}

fn gpu() -> GpuContext {
    GpuContext::headless().unwrap_or_else(|e| panic!("these tests need a GPU adapter: {e}"))
}

/// A walker that has walked a while and stopped.
fn walked() -> WalkerLab {
    let mut lab = WalkerLab::start(false);
    let deadline = Instant::now() + Duration::from_secs(10);
    while lab.latest.0 < 20 {
        assert!(Instant::now() < deadline, "the walker did not walk");
        std::thread::sleep(Duration::from_millis(5));
        lab.update();
    }
    lab.toggle_pause();
    std::thread::sleep(Duration::from_millis(50));
    lab.update();
    lab
}

/// The dot's pixel in a panel of `size` px.
fn dot_px(dot: [f32; 3], size: Vec2) -> Vec2 {
    WalkerLab::camera()
        .scene_camera()
        .project(Vec3::from(dot), size)
        .expect("the dot is in view")
}

#[test]
fn a_lab_defined_here_shows_in_the_headless_dashboard_in_its_own_layout() {
    let lab = walked();
    let dot = lab.dot();
    let frame = render_headless(
        &gpu(),
        Box::new(lab),
        HeadlessOptions {
            size_px: [1000, 600],
            ..HeadlessOptions::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let walk = frame.panel("The walk").expect("the walk panel");
    let numbers = frame.panel("Numbers").expect("the numbers panel");
    assert!(walk.width() > 1.8 * numbers.width(), "{walk:?} {numbers:?}");
    let at = dot_px(dot, Vec2::new(walk.width(), walk.height()));
    let pixel = frame
        .image
        .pixel((walk.min.x + at.x) as u32, (walk.min.y + at.y) as u32);
    assert_eq!(pixel, color_to_rgba8(DOT));
    let corner = frame
        .image
        .pixel(walk.min.x as u32 + 2, walk.max.y as u32 - 3);
    assert_eq!(corner, color_to_rgba8(BACKGROUND));
}

#[test]
fn one_panel_renders_alone_by_its_id_and_unknown_ids_name_the_known_ones() {
    let lab = walked();
    let dot = lab.dot();
    let image = render_panel(&gpu(), Box::new(lab), "walk", [400, 300], 1.0)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((image.width, image.height), (400, 300));
    let at = dot_px(dot, Vec2::new(400.0, 300.0));
    assert_eq!(image.pixel(at.x as u32, at.y as u32), color_to_rgba8(DOT));

    let error = render_panel(&gpu(), Box::new(walked()), "nope", [400, 300], 1.0)
        .expect_err("an unknown panel is an error");
    assert_eq!(
        error.to_string(),
        "the walker lab has no panel \"nope\"; its panels are walk, numbers"
    );
}

#[test]
fn the_lab_menu_switches_to_a_lab_defined_here_and_back() {
    let shell = Shell::new(Box::new(paused_gallery()), Dashboard::new()).with_labs(vec![
        LabEntry::new("gallery", "Gallery", || {
            Ok(Box::new(paused_gallery()) as Box<dyn Lab>)
        }),
        LabEntry::new("walker", "Walker", || {
            Ok(Box::new(WalkerLab::start(true)) as Box<dyn Lab>)
        }),
    ]);
    let mut harness = Harness::builder()
        .with_size([1000.0, 700.0])
        .build_ui_state(|ui, shell: &mut Shell| shell.ui(ui), shell);
    harness.run();
    harness.get_by_label("Lab").click();
    harness.run();
    harness.get_by_label("Walker").click();
    harness.run();
    assert_eq!(harness.state().lab().name(), "walker");
    let titles: Vec<String> = harness
        .state()
        .dashboard()
        .panel_rects()
        .iter()
        .map(|p| p.title.clone())
        .collect();
    assert_eq!(titles, ["The walk", "Numbers"]);
    harness.get_by_label("Lab").click();
    harness.run();
    harness.get_by_label("Gallery").click();
    harness.run();
    assert_eq!(harness.state().lab().name(), "gallery");
}
