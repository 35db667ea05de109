//! The app shell: hosts a [`Lab`] in a window, offscreen (headless PNGs) or in a test harness.
//!
//! **Architecture Invariant:** `ui` knows nothing of neural networks. It hosts anything that
//! implements [`Lab`] and draws plain [`Scene`](crate::render::Scene)s through
//! [`crate::render`].
//!
//! - [`lab`]: the [`Lab`] trait (controls, panels, scenes, status, pause/reset).
//! - [`dashboard`]: the one egui layout (side panel, panel grid, status bar, keys), used by
//!   every host; [`panels`]: each panel's content (cameras, scene images, labels), laid out
//!   by `grid` (columns and rows sized by shares, with draggable splitters).
//! - [`painter`]: the GPU side: scene textures per panel, egui painted into any view (scene
//!   panels copy their texture in through a paint callback, `scene_blit`).
//! - [`app`]: the per-frame steps both hosts share; [`window`]: winit + wgpu surface;
//!   [`headless`]: offscreen PNGs with no display.

pub mod app;
pub mod dashboard;
mod grid;
pub mod headless;
pub mod lab;
pub mod painter;
pub mod panels;
mod scene_blit;
mod surface;
pub mod text_overlap;
pub mod window;

pub use app::App;
pub use dashboard::{Dashboard, ShellAction, dashboard_ui};
pub use headless::{HeadlessFrame, HeadlessOptions, render_headless, run_headless};
pub use lab::{Lab, PanelKind, PanelSpec, SceneView, StatusInfo};
pub use panels::{PanelRect, SceneJob};
pub use window::{WindowError, WindowOptions, run_window};
