//! [`App`]: a lab, its dashboard and the painter, driven one frame at a time by a host (the
//! window in [`crate::ui::window`], or [`crate::ui::headless`]). Both hosts go through the
//! same steps, so a headless PNG shows exactly what the window shows:
//!
//! 1. [`App::run_ui`]: the lab takes its newest snapshot, then egui lays out the dashboard
//!    (recording the scenes to render and the actions keys asked for);
//! 2. [`App::prepare`]: the scenes are rendered into the panels' textures and egui's shapes
//!    are tessellated;
//! 3. [`App::paint`] into the window's surface texture, or [`App::paint_to_image`] offscreen.

use std::path::PathBuf;
use std::time::Duration;

use egui_wgpu::wgpu;

use crate::render::{GpuContext, RenderError, RgbaImage};
use crate::ui::dashboard::{Dashboard, ShellAction};
use crate::ui::lab::Lab;
use crate::ui::painter::{FramePainter, PaintFrame};
use crate::ui::panels::SceneJob;
use crate::ui::shell::Shell;

/// A lab hosted on a GPU.
pub struct App {
    shell: Shell,
    ctx: egui::Context,
    painter: FramePainter,
}

/// What one pass produced, beyond the frame to paint.
pub struct PreparedFrame {
    /// The frame to paint.
    pub paint: PaintFrame,
    /// Actions asked for by keys in this pass.
    pub actions: Vec<ShellAction>,
    /// When the next frame is needed if no input arrives: at once while the lab runs or a
    /// camera moves, else when egui asks (a fading message), and at least now and then (a
    /// paused lab may still publish, e.g. after a reset).
    pub repaint_after: Duration,
}

/// The longest a host waits between frames with no input.
pub const IDLE_REPAINT: Duration = Duration::from_millis(250);

impl App {
    /// Hosts `lab` on a plain dashboard (default layouts, nothing saved), painting frames in
    /// `output_format`.
    pub fn new(gpu: &GpuContext, lab: Box<dyn Lab>, output_format: wgpu::TextureFormat) -> Self {
        Self::with_shell(gpu, Shell::new(lab, Dashboard::new()), output_format)
    }

    /// Hosts `shell`, painting frames in `output_format`.
    pub fn with_shell(gpu: &GpuContext, shell: Shell, output_format: wgpu::TextureFormat) -> Self {
        let ctx = egui::Context::default();
        ctx.set_visuals(egui::Visuals::dark());
        Self {
            shell,
            ctx,
            painter: FramePainter::new(gpu, output_format),
        }
    }

    /// The egui context (for the window's input handling).
    pub fn context(&self) -> &egui::Context {
        &self.ctx
    }

    /// The hosted lab.
    pub fn lab(&self) -> &dyn Lab {
        self.shell.lab()
    }

    /// The hosted lab, to change it (seek its timeline, say).
    pub fn lab_mut(&mut self) -> &mut dyn Lab {
        self.shell.lab_mut()
    }

    /// The shell (lab, dashboard, the labs on offer).
    pub fn shell(&self) -> &Shell {
        &self.shell
    }

    /// The shell, to drive it (seek both runs, start Run B).
    pub fn shell_mut(&mut self) -> &mut Shell {
        &mut self.shell
    }

    /// The dashboard state (panel rectangles, messages, frame rate).
    pub fn dashboard(&self) -> &Dashboard {
        self.shell.dashboard()
    }

    /// Mutable dashboard state.
    pub fn dashboard_mut(&mut self) -> &mut Dashboard {
        self.shell.dashboard_mut()
    }

    /// Shows panel `id` maximized (see [`Workspace::set_maximized`](crate::ui::Workspace::set_maximized)).
    pub fn maximize(&mut self, id: &str) {
        let shell = &mut self.shell;
        let (lab, dashboard) = shell.parts_mut();
        dashboard.sync_lab(lab);
        dashboard.workspace_mut().set_maximized(Some(id));
    }

    /// Runs `b` beside the lab as Run B, every panel showing both side by side.
    pub fn compare(&mut self, b: Box<dyn Lab>) {
        let (lab, dashboard) = self.shell.parts_mut();
        dashboard.sync_lab(lab);
        dashboard
            .workspace_mut()
            .show_everywhere(crate::ui::panels::Show::Both);
        self.shell.set_b(b);
    }

    /// Arranges the lab's panels as `layout` (until the user changes it).
    pub fn set_layout(&mut self, layout: &crate::ui::lab::Layout) {
        let (lab, dashboard) = self.shell.parts_mut();
        dashboard.sync_lab(lab);
        dashboard.workspace_mut().reset(layout);
    }

    /// Step 1: updates the lab and runs one egui pass of the dashboard over `input`.
    pub fn run_ui(&mut self, gpu: &GpuContext, input: egui::RawInput) -> egui::FullOutput {
        let Self {
            shell,
            ctx,
            painter,
        } = self;
        let (lab, dashboard) = shell.parts_mut();
        dashboard.sync_lab(lab);
        painter.attach(gpu, shell.dashboard_mut());
        let output = ctx.run_ui(input, |ui| shell.ui(ui));
        // The theme may have changed in the pass: gaps between panels follow it.
        painter.set_clear_color(ctx.global_style().visuals.panel_fill);
        output
    }

    /// Step 2: renders the pass's scenes and tessellates its shapes. `size_px` is the target
    /// size in physical pixels.
    pub fn prepare(
        &mut self,
        gpu: &GpuContext,
        output: egui::FullOutput,
        size_px: [u32; 2],
    ) -> Result<PreparedFrame, RenderError> {
        let busy = !self.lab().status().paused || self.dashboard().is_animating();
        let repaint_after = if busy {
            Duration::ZERO
        } else {
            output
                .viewport_output
                .get(&egui::ViewportId::ROOT)
                .map_or(IDLE_REPAINT, |v| v.repaint_delay.min(IDLE_REPAINT))
        };
        let jobs = self.dashboard_mut().take_scene_jobs();
        self.render_scene_jobs(gpu, &jobs)?;
        Ok(PreparedFrame {
            paint: self.tessellate(output, size_px),
            actions: self.dashboard_mut().take_actions(),
            repaint_after,
        })
    }

    /// Step 2a: renders `jobs` (the scenes a pass recorded) into the panels' textures.
    pub fn render_scene_jobs(
        &mut self,
        gpu: &GpuContext,
        jobs: &[SceneJob],
    ) -> Result<(), RenderError> {
        self.painter.render_scenes(gpu, jobs)
    }

    /// Step 2b: tessellates a pass's shapes into a frame to paint at `size_px`.
    pub fn tessellate(&self, output: egui::FullOutput, size_px: [u32; 2]) -> PaintFrame {
        PaintFrame {
            primitives: self.ctx.tessellate(output.shapes, output.pixels_per_point),
            textures_delta: output.textures_delta,
            size_px,
            pixels_per_point: output.pixels_per_point,
        }
    }

    /// Step 3: paints a prepared frame into `view` (applying its texture changes).
    pub fn paint(&mut self, gpu: &GpuContext, view: &wgpu::TextureView, frame: &PaintFrame) {
        self.painter.paint(gpu, view, frame);
    }

    /// Paints a new frame (applying its texture changes) offscreen and reads it back.
    pub fn paint_offscreen(
        &mut self,
        gpu: &GpuContext,
        frame: &PaintFrame,
    ) -> Result<RgbaImage, RenderError> {
        self.painter.paint_offscreen(gpu, frame)
    }

    /// Applies a frame's texture changes without painting it (the window skipped it).
    pub fn skip_paint(&mut self, gpu: &GpuContext, frame: &PaintFrame) {
        self.painter.skip(gpu, frame);
    }

    /// Paints an already painted frame again, offscreen, and reads it back.
    pub fn paint_to_image(
        &mut self,
        gpu: &GpuContext,
        frame: &PaintFrame,
    ) -> Result<RgbaImage, RenderError> {
        self.painter.paint_to_image(gpu, frame)
    }
}

/// `netviz-screenshot-<UTC date and time>.png` in the current folder, e.g.
/// `netviz-screenshot-20250101-120000.png` (with `-2`, `-3`, ... if taken within a second).
pub fn screenshot_path() -> PathBuf {
    crate::ui::paths::timestamped_path("netviz-screenshot", "png")
}

/// `netviz-recording-<UTC date and time>.gif` in the current folder (File > Export GIF).
pub fn recording_path() -> PathBuf {
    crate::ui::paths::timestamped_path("netviz-recording", "gif")
}
