//! The app shell: hosts a [`Lab`] in a window, offscreen (headless PNGs) or in a test harness.
//!
//! **Architecture Invariant:** `ui` knows nothing of neural networks. It hosts anything that
//! implements [`Lab`] and draws plain [`Scene`](crate::render::Scene)s through
//! [`crate::render`].
//!
//! - [`lab`]: the [`Lab`] trait (controls, panels, scenes, status, pause/reset).
//! - [`dashboard`]: the one egui layout (menu bar, side panel, docked panels, status bar,
//!   keys), used by every host; [`workspace`]: the panels as egui_tiles tiles (tabs,
//!   splitters, drag and drop, maximize), saved per lab by [`layout_file`]; [`panels`]: each
//!   panel's content (cameras, scene images, labels); `menu`: the menu bar.
//! - [`shell`]: the lab, its dashboard and the labs the Lab menu switches between.
//! - [`painter`]: the GPU side: scene textures per panel, egui painted into any view (scene
//!   panels copy their texture in through a paint callback, `scene_blit`).
//! - [`app`]: the per-frame steps both hosts share; [`window`]: winit + wgpu surface;
//!   [`headless`]: offscreen PNGs with no display.

pub mod actions;
pub mod app;
pub mod bench;
pub mod dashboard;
pub mod export;
pub mod headless;
pub mod lab;
pub mod layout_file;
mod menu;
pub mod painter;
pub mod panels;
pub mod paths;
mod scene_blit;
pub mod shell;
mod surface;
pub mod text_overlap;
pub mod timeline_bar;
pub mod window;
pub mod workspace;

pub use app::App;
pub use dashboard::{Dashboard, LabMenuEntry, ShellAction, dashboard_ui, dashboard_ui_with};
pub use headless::{HeadlessFrame, HeadlessOptions, render_headless, run_headless};
pub use lab::{Lab, Layout, PanelKind, PanelName, PanelSpec, SceneView, StatusInfo, TimelineInfo};
pub use layout_file::LayoutStore;
pub use panels::{PanelRect, SceneJob, Show};
pub use shell::{LabEntry, Shell};
pub use window::{WindowError, WindowOptions, run_window};
pub use workspace::Workspace;
