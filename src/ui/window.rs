//! The window host: winit 0.30 events, a wgpu surface and egui-winit input around an [`App`].
//!
//! Robustness rules: a minimized or zero-sized window renders nothing (and idles); a lost
//! surface is recreated and an outdated or suboptimal one reconfigured; egui-winit follows the
//! window's scale factor, so layout is in points and the surface in physical pixels. Frames
//! are capped at 60 per second (software rasterizers under Xvfb do not throttle on their
//! own); a paused, idle dashboard redraws only on input and a few times a second. No
//! display is an error ([`WindowError::NoDisplay`]) that says how to run headless.

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_wgpu::wgpu;
use winit::application::ApplicationHandler;
use winit::dpi::LogicalSize;
use winit::event::WindowEvent;
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop};
use winit::window::{Fullscreen, Window, WindowId};

use crate::render::{GpuContext, RenderError};
use crate::ui::app::{App, screenshot_path};
use crate::ui::dashboard::ShellAction;
use crate::ui::export::{ExportJob, ExportProgress};
use crate::ui::painter::PaintFrame;
use crate::ui::shell::Shell;
use crate::ui::surface::surface_config;

/// Frame pacing: at most this many frames per second.
const MAX_FPS: f64 = 60.0;

/// How the window opens.
#[derive(Clone, Debug)]
pub struct WindowOptions {
    /// Inner size in points (logical pixels); scaled by the monitor's scale factor.
    pub size_pt: [f32; 2],
}

impl Default for WindowOptions {
    fn default() -> Self {
        Self {
            size_pt: [1280.0, 800.0],
        }
    }
}

/// Why the window could not run.
#[derive(Debug, thiserror::Error)]
pub enum WindowError {
    /// No display server to connect to (e.g. `DISPLAY` unset).
    #[error(
        "cannot open a window: {}; to render without a display use --headless --screenshot out.png",
        plain(.0)
    )]
    NoDisplay(winit::error::EventLoopError),
    /// The event loop failed while running.
    #[error("the window's event loop failed: {}", plain(.0))]
    EventLoop(#[from] winit::error::EventLoopError),
    /// The window could not be created.
    #[error("cannot create the window: {}", plain(.0))]
    CreateWindow(#[from] winit::error::OsError),
    /// The window gave no surface to draw on.
    #[error("cannot draw into the window: {0}")]
    CreateSurface(#[from] wgpu::CreateSurfaceError),
    /// The surface offers no usable format.
    #[error("the window's surface offers no color format this adapter can draw")]
    NoSurfaceFormat,
    /// GPU setup or rendering failed.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The display server went away while the window was open (winit gives up on the lost
    /// connection by panicking; the host turns that into this error).
    #[error("the connection to the display was lost ({0}); the window closed")]
    DisplayLost(String),
}

/// `error`'s message without the source location winit puts in its OS errors
/// (`os error at /path/to/winit/src/...rs:765: `), which says nothing to a user.
fn plain(error: &dyn std::fmt::Display) -> String {
    let text = error.to_string();
    match text.find("os error at ") {
        Some(start) => {
            let rest = &text[start + "os error at ".len()..];
            // The location ends with `:<line>: `; keep what follows.
            let after = rest
                .match_indices(": ")
                .find(|(at, _)| {
                    rest[..*at]
                        .rsplit(':')
                        .next()
                        .is_some_and(|n| n.parse::<u32>().is_ok())
                })
                .map_or(rest, |(at, sep)| &rest[at + sep.len()..]);
            format!("{}{}", &text[..start], after.trim_end_matches('.'))
        }
        None => text,
    }
}

/// Opens a window showing `shell`'s lab and runs until the user quits (`q`, Escape or
/// closing it); the layout is saved as the window closes.
pub fn run_window(shell: Shell, options: WindowOptions) -> Result<(), WindowError> {
    let event_loop = EventLoop::new().map_err(WindowError::NoDisplay)?;
    let mut host = WindowHost {
        shell: Some(shell),
        options,
        running: None,
        error: None,
    };
    let run = display_loss_guarded(|| event_loop.run_app(&mut host));
    match run {
        Ok(result) => result?,
        Err(lost) => {
            // The window is gone with its connection; what the user arranged is still saved.
            if let Some(running) = &host.running
                && let Err(message) = running.app.shell().save_layout()
            {
                eprintln!("warning: the layout was not saved: {message}");
            }
            return Err(WindowError::DisplayLost(lost));
        }
    }
    match host.error {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

/// Runs `f`, turning a panic of the windowing library on a lost display connection (winit's
/// X11 backend unwraps its requests' results, so a display server that goes away panics in
/// whatever call comes next) into `Err` with the library's message; that panic is not
/// printed. Any other panic is printed as usual and continues unwinding.
fn display_loss_guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    use std::panic::{self, AssertUnwindSafe, PanicHookInfo};
    use std::sync::Mutex;

    type Hook = Box<dyn Fn(&PanicHookInfo<'_>) + Send + Sync>;
    let previous: Arc<Hook> = Arc::new(panic::take_hook());
    let lost: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    {
        let (previous, lost) = (Arc::clone(&previous), Arc::clone(&lost));
        panic::set_hook(Box::new(move |info| match display_loss(info) {
            Some(message) => {
                *lost
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(message);
            }
            None => previous(info),
        }));
    }
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    {
        let previous = Arc::clone(&previous);
        panic::set_hook(Box::new(move |info| previous(info)));
    }
    match result {
        Ok(value) => Ok(value),
        Err(payload) => {
            let message = lost
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            match message {
                Some(message) => Err(message),
                None => panic::resume_unwind(payload),
            }
        }
    }
}

/// The message of a panic raised by the windowing library over a broken display connection.
fn display_loss(info: &std::panic::PanicHookInfo<'_>) -> Option<String> {
    let in_winit = info
        .location()
        .is_some_and(|l| l.file().contains("winit") || l.file().contains("x11rb"));
    let text = info
        .payload()
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| info.payload().downcast_ref::<&str>().copied())?;
    let connection = text.contains("Connection") || text.contains("connection");
    (in_winit && connection).then(|| {
        if text.contains("IoError") || text.contains("Connection(") {
            "the X server closed the connection".to_string()
        } else {
            text.chars().take(200).collect()
        }
    })
}

struct WindowHost {
    /// The shell, until the window exists and an [`App`] takes it.
    shell: Option<Shell>,
    options: WindowOptions,
    running: Option<Running>,
    error: Option<WindowError>,
}

/// Everything that exists while the window is open.
struct Running {
    window: Arc<Window>,
    gpu: GpuContext,
    surface: wgpu::Surface<'static>,
    config: wgpu::SurfaceConfiguration,
    /// The format views of the surface are created with (the non-sRGB twin of `config.format`).
    view_format: wgpu::TextureFormat,
    input: egui_winit::State,
    app: App,
    last_frame: Option<Instant>,
    next_frame: Instant,
    /// When the first frame started and how many frames were drawn (for `NETVIZ_FRAME_STATS`).
    first_frame: Option<Instant>,
    frames: u64,
    /// File > Export GIF under way (one frame rendered per window frame).
    export: Option<ExportJob>,
}

impl ApplicationHandler for WindowHost {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.running.is_some() {
            return;
        }
        let Some(shell) = self.shell.take() else {
            return;
        };
        match Running::open(event_loop, shell, &self.options) {
            Ok(running) => self.running = Some(running),
            Err(error) => {
                self.error = Some(error);
                event_loop.exit();
            }
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _: WindowId, event: WindowEvent) {
        let Some(running) = &mut self.running else {
            return;
        };
        let response = running.input.on_window_event(&running.window, &event);
        if response.repaint {
            // Input: answer it in the next frame slot even if the dashboard is idle.
            running.next_frame = running.next_frame.min(running.earliest_next_frame());
        }
        match event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::Resized(_) | WindowEvent::ScaleFactorChanged { .. } => {
                running.reconfigure();
                running.window.request_redraw();
            }
            WindowEvent::RedrawRequested => match running.frame() {
                Ok(actions) => {
                    for action in actions {
                        running.act(event_loop, action);
                    }
                }
                Err(error) => {
                    self.error = Some(error);
                    event_loop.exit();
                }
            },
            _ => {}
        }
    }

    fn exiting(&mut self, _: &ActiveEventLoop) {
        if let Some(running) = &self.running
            && let Err(message) = running.app.shell().save_layout()
        {
            eprintln!("warning: the layout was not saved: {message}");
        }
        if std::env::var_os("NETVIZ_FRAME_STATS").is_none() {
            return;
        }
        if let Some(running) = &self.running {
            let size = running.window.inner_size();
            if let (Some(first), Some(last)) = (running.first_frame, running.last_frame) {
                let intervals = running.frames.saturating_sub(1).max(1);
                let ms = last.duration_since(first).as_secs_f64() * 1000.0 / intervals as f64;
                eprintln!(
                    "frames {} at {}x{} px: {ms:.1} ms/frame",
                    running.frames, size.width, size.height
                );
            }
        }
    }

    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        let Some(running) = &self.running else {
            return;
        };
        if !running.can_render() {
            // Nothing to draw into; look again now and then.
            event_loop.set_control_flow(ControlFlow::wait_duration(Duration::from_millis(100)));
            return;
        }
        if Instant::now() >= running.next_frame {
            running.window.request_redraw();
            event_loop.set_control_flow(ControlFlow::Wait);
        } else {
            event_loop.set_control_flow(ControlFlow::WaitUntil(running.next_frame));
        }
    }
}

impl Running {
    fn open(
        event_loop: &ActiveEventLoop,
        shell: Shell,
        options: &WindowOptions,
    ) -> Result<Self, WindowError> {
        let attributes = Window::default_attributes()
            .with_title(window_title(shell.lab().name()))
            .with_inner_size(LogicalSize::new(options.size_pt[0], options.size_pt[1]))
            .with_min_inner_size(LogicalSize::new(320.0, 240.0));
        let window = Arc::new(event_loop.create_window(attributes)?);
        let instance = wgpu::Instance::new(
            wgpu::InstanceDescriptor::new_with_display_handle(Box::new(
                event_loop.owned_display_handle(),
            ))
            .with_env(),
        );
        let surface = instance.create_surface(Arc::clone(&window))?;
        let gpu = GpuContext::from_instance(instance, Some(&surface))?;
        let size = window.inner_size();
        let config = surface_config(
            &surface.get_capabilities(&gpu.adapter),
            size.width,
            size.height,
        )
        .ok_or(WindowError::NoSurfaceFormat)?;
        let view_format = config.format.remove_srgb_suffix();
        if size.width > 0 && size.height > 0 {
            surface.configure(&gpu.device, &config);
        }
        let app = App::with_shell(&gpu, shell, view_format);
        let max_texture_side = gpu.device.limits().max_texture_dimension_2d as usize;
        let input = egui_winit::State::new(
            app.context().clone(),
            egui::ViewportId::ROOT,
            event_loop,
            Some(window.scale_factor() as f32),
            window.theme(),
            Some(max_texture_side),
        );
        window.request_redraw();
        Ok(Self {
            window,
            gpu,
            surface,
            config,
            view_format,
            input,
            app,
            last_frame: None,
            next_frame: Instant::now(),
            first_frame: None,
            frames: 0,
            export: None,
        })
    }

    /// The frame-rate cap: no frame before this.
    fn earliest_next_frame(&self) -> Instant {
        let cap = Duration::from_secs_f64(1.0 / MAX_FPS);
        self.last_frame.map_or_else(Instant::now, |last| last + cap)
    }

    /// Whether there are pixels to draw into.
    fn can_render(&self) -> bool {
        let size = self.window.inner_size();
        size.width > 0 && size.height > 0 && self.window.is_minimized() != Some(true)
    }

    /// Matches the surface to the window's size (skipped while it is zero).
    fn reconfigure(&mut self) {
        let size = self.window.inner_size();
        if size.width == 0 || size.height == 0 {
            return;
        }
        self.config.width = size.width;
        self.config.height = size.height;
        self.surface.configure(&self.gpu.device, &self.config);
    }

    /// Draws one frame; returns the actions its keys asked for.
    fn frame(&mut self) -> Result<Vec<ShellAction>, WindowError> {
        let started = Instant::now();
        self.next_frame = started + Duration::from_secs_f64(1.0 / MAX_FPS);
        if !self.can_render() {
            return Ok(Vec::new());
        }
        self.first_frame.get_or_insert(started);
        self.frames += 1;
        if let Some(last) = self.last_frame.replace(started) {
            let dt = started.duration_since(last).as_secs_f32();
            self.app.dashboard_mut().record_frame_time(dt);
        }
        let size = self.window.inner_size();
        if (size.width, size.height) != (self.config.width, self.config.height) {
            self.reconfigure();
        }
        let raw_input = self.input.take_egui_input(&self.window);
        let lab_before = self.app.lab().name().to_string();
        let mut output = self.app.run_ui(&self.gpu, raw_input);
        if self.app.lab().name() != lab_before {
            self.window.set_title(&window_title(self.app.lab().name()));
        }
        let platform_output = std::mem::take(&mut output.platform_output);
        self.input
            .handle_platform_output(&self.window, platform_output);
        let size_px = [self.config.width, self.config.height];
        let prepared = self.app.prepare(&self.gpu, output, size_px)?;
        self.next_frame = self.next_frame.max(started + prepared.repaint_after);
        self.present(&prepared.paint);
        let mut actions = prepared.actions;
        if actions.contains(&ShellAction::Screenshot) {
            actions.retain(|a| *a != ShellAction::Screenshot);
            self.save_screenshot(&prepared.paint);
        }
        if actions.contains(&ShellAction::ExportGif) {
            actions.retain(|a| *a != ShellAction::ExportGif);
            self.export_gif(size_px);
        }
        if self.export.is_some() {
            self.advance_export();
            // Keep the frames coming until the export is done.
            self.next_frame = self.next_frame.min(started + Duration::from_millis(1));
        }
        Ok(actions)
    }

    /// Paints `frame` into the surface and presents it, recovering a lost or outdated surface
    /// (that frame is then skipped, but its texture changes are kept).
    fn present(&mut self, frame: &PaintFrame) {
        let texture = match self.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(texture) => texture,
            wgpu::CurrentSurfaceTexture::Suboptimal(texture) => {
                // Draw this one, then match the surface to the window again.
                self.paint_and_present(texture, frame);
                self.reconfigure();
                return;
            }
            wgpu::CurrentSurfaceTexture::Outdated => {
                self.reconfigure();
                self.app.skip_paint(&self.gpu, frame);
                return;
            }
            wgpu::CurrentSurfaceTexture::Lost => {
                match self.gpu.instance.create_surface(Arc::clone(&self.window)) {
                    Ok(surface) => self.surface = surface,
                    Err(error) => eprintln!("warning: recreating the lost surface failed: {error}"),
                }
                self.reconfigure();
                self.app.skip_paint(&self.gpu, frame);
                return;
            }
            _ => {
                // Timeout, occluded or a validation error: try again next frame.
                self.app.skip_paint(&self.gpu, frame);
                return;
            }
        };
        self.paint_and_present(texture, frame);
    }

    fn paint_and_present(&mut self, texture: wgpu::SurfaceTexture, frame: &PaintFrame) {
        let view = texture.texture.create_view(&wgpu::TextureViewDescriptor {
            format: Some(self.view_format),
            ..wgpu::TextureViewDescriptor::default()
        });
        self.app.paint(&self.gpu, &view, frame);
        self.window.pre_present_notify();
        self.gpu.queue.present(texture);
    }

    /// Paints the frame again offscreen and saves it in the working directory (atomically,
    /// so the PNG appears complete or not at all).
    fn save_screenshot(&mut self, frame: &PaintFrame) {
        let path = screenshot_path();
        let saved = self
            .app
            .paint_to_image(&self.gpu, frame)
            .and_then(|image| image.save_png(&path));
        let message = match saved {
            Ok(()) => format!("saved {}", path.display()),
            Err(error) => format!("screenshot failed: {error}"),
        };
        eprintln!("{message}");
        self.app.dashboard_mut().show_message(message);
    }

    /// Starts File > Export GIF: the window at every recorded moment (up to
    /// [`EXPORT_FRAMES`](crate::ui::headless::EXPORT_FRAMES)), one frame rendered per window
    /// frame (see [`ExportJob`]), as an animated GIF in the current folder.
    fn export_gif(&mut self, size_px: [u32; 2]) {
        if self.export.is_some() {
            self.app
                .dashboard_mut()
                .show_message("an export is already under way");
            return;
        }
        // A maximized panel is exported alone (filling the picture).
        let options = crate::ui::HeadlessOptions {
            size_px,
            pixels_per_point: self.window.scale_factor() as f32,
            maximize: self
                .app
                .dashboard()
                .workspace()
                .maximized()
                .map(str::to_string),
        };
        let path = crate::ui::app::recording_path();
        let range = self.app.dashboard().export_range();
        self.export = ExportJob::start(&self.app, path, options, range);
        if self.export.is_none() {
            self.app.dashboard_mut().show_message(format!(
                "nothing to export: fewer than two recorded moments from step {} to {}",
                range.0, range.1
            ));
        }
    }

    /// Moves an export under way on by one frame, and says where it stands.
    fn advance_export(&mut self) {
        let Some(job) = &mut self.export else {
            return;
        };
        let message = match job.advance(&self.gpu, &mut self.app) {
            ExportProgress::Rendering { done, total } => {
                format!(
                    "exporting {}: frame {done} of {total}",
                    file_name(job.path())
                )
            }
            ExportProgress::Encoding => format!("encoding {}...", file_name(job.path())),
            ExportProgress::Finished(message) => {
                eprintln!("{message}");
                self.export = None;
                message
            }
        };
        self.app.dashboard_mut().show_message(message);
    }

    fn act(&mut self, event_loop: &ActiveEventLoop, action: ShellAction) {
        match action {
            ShellAction::Quit => event_loop.exit(),
            ShellAction::ToggleFullscreen => {
                let fullscreen = match self.window.fullscreen() {
                    Some(_) => None,
                    None => Some(Fullscreen::Borderless(None)),
                };
                self.window.set_fullscreen(fullscreen);
            }
            ShellAction::Screenshot
            | ShellAction::ExportGif
            | ShellAction::SwitchLab(_)
            | ShellAction::SaveRun
            | ShellAction::OpenRun
            | ShellAction::StartRunB
            | ShellAction::CloseRunB => {}
        }
    }
}

/// The file name of `path`, for messages.
fn file_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The window's title for lab `name`.
fn window_title(name: &str) -> String {
    format!("netviz \u{2013} {name}")
}

#[cfg(test)]
mod tests {
    use super::plain;

    #[test]
    fn winit_source_locations_are_left_out() {
        let text = "os error at /root/.cargo/registry/src/x/winit-0.30.13/src/platform_impl/linux/mod.rs:765: neither WAYLAND_DISPLAY nor DISPLAY is set.";
        assert_eq!(plain(&text), "neither WAYLAND_DISPLAY nor DISPLAY is set");
        assert_eq!(plain(&"no adapter"), "no adapter");
    }
}
