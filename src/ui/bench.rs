//! `netviz bench ui`: the UI thread's CPU time per frame of a lab's dashboard, driven
//! offscreen through the same [`App`] steps as the window while the lab's thread trains.
//!
//! Per frame it measures, with the thread's own CPU clock (so time the other core spends
//! training, or the software rasterizer's threads spend drawing, does not count): the egui
//! pass (layout, the lab's scene building), rendering the scenes into their textures
//! (buffer and texture uploads, encoding, submission), tessellation, and painting egui
//! (texture uploads, encoding, submission). Waiting for the GPU to finish is outside every
//! measured span.

use std::time::Instant;

use egui_wgpu::wgpu;

use crate::render::{GpuContext, RenderError, SceneTexture, target::COLOR_FORMAT};
use crate::ui::app::App;
use crate::ui::headless::raw_input;
use crate::ui::lab::{Lab, Layout};

/// What to measure.
#[derive(Clone, Copy, Debug)]
pub struct UiBench {
    /// Window size in physical pixels.
    pub size_px: [u32; 2],
    /// Physical pixels per point.
    pub pixels_per_point: f32,
    /// Measured frames (after a few unmeasured warm-up frames).
    pub frames: usize,
    /// Every panel in a grid, none hidden in a tab (the lab's default layout otherwise).
    pub all_visible: bool,
}

impl Default for UiBench {
    fn default() -> Self {
        Self {
            size_px: [1600, 1000],
            pixels_per_point: 1.0,
            frames: 120,
            all_visible: false,
        }
    }
}

/// Mean milliseconds per frame of each measured stage.
#[derive(Clone, Copy, Debug, Default)]
pub struct UiBenchReport {
    /// The whole of the UI thread's CPU time per frame (the sum of the stages below).
    pub cpu_ms: f64,
    /// The egui pass: layout, widgets, plots and the lab's scene building.
    pub egui_pass_ms: f64,
    /// Rendering the scene panels into their textures (CPU side).
    pub scenes_ms: f64,
    /// Tessellating egui's shapes.
    pub tessellate_ms: f64,
    /// Painting egui into the frame (texture uploads, buffers, encoding; CPU side).
    pub paint_ms: f64,
    /// Median of the per-frame CPU time.
    pub cpu_ms_median: f64,
    /// Wall time per frame including waiting for the GPU.
    pub wall_ms: f64,
    /// Scene panels rendered per frame, on average.
    pub scenes_per_frame: f64,
}

const WARM_UP_FRAMES: usize = 5;

/// This thread's CPU time in seconds.
#[cfg(unix)]
fn thread_cpu_secs() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `clock_gettime` only writes the `timespec` it is given, which lives on this
    // stack frame for the whole call; CLOCK_THREAD_CPUTIME_ID is always available on Linux
    // and the BSDs, and on failure the zeroed value is returned unchanged.
    unsafe {
        libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts);
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Without a per-thread clock, wall time (an upper bound).
#[cfg(not(unix))]
fn thread_cpu_secs() -> f64 {
    use std::sync::OnceLock;
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// Drives `lab`'s dashboard for `config.frames` frames (plus a warm-up) and reports the
/// mean time of each stage.
pub fn run(
    gpu: &GpuContext,
    lab: Box<dyn Lab>,
    config: &UiBench,
) -> Result<UiBenchReport, RenderError> {
    let [width, height] = config.size_px.map(|s| s.max(1));
    let ppp = config.pixels_per_point.max(0.25);
    let all_ids: Vec<String> = lab.panels().into_iter().map(|p| p.id).collect();
    let mut app = App::new(gpu, lab, COLOR_FORMAT);
    if config.all_visible {
        let size = [width as f32 / ppp, height as f32 / ppp];
        app.set_layout(&Layout::grid(&all_ids, size));
    }
    let target = SceneTexture::new(&gpu.device, width, height, 1);
    let mut totals = UiBenchReport::default();
    let mut per_frame = Vec::with_capacity(config.frames);
    let mut started = Instant::now();
    let mut time = 0.0;
    for frame in 0..WARM_UP_FRAMES + config.frames {
        time += 1.0 / 60.0;
        let max_side = gpu.device.limits().max_texture_dimension_2d as usize;
        let mut input = raw_input([width, height], ppp, Some(max_side));
        input.time = Some(time);
        input.predicted_dt = 1.0 / 60.0;
        if frame == WARM_UP_FRAMES {
            totals = UiBenchReport::default();
            started = Instant::now();
        }
        let t0 = thread_cpu_secs();
        let output = app.run_ui(gpu, input);
        let t1 = thread_cpu_secs();
        let jobs = app.dashboard_mut().take_scene_jobs();
        let scene_count = jobs.len();
        app.render_scene_jobs(gpu, &jobs)?;
        let t2 = thread_cpu_secs();
        let paint = app.tessellate(output, [width, height]);
        let t3 = thread_cpu_secs();
        app.paint(gpu, target.view(), &paint);
        let t4 = thread_cpu_secs();
        // Not measured: wait until the GPU is done, as a presenting window eventually would.
        let _ = gpu.device.poll(wgpu::PollType::wait_indefinitely());
        totals.egui_pass_ms += (t1 - t0) * 1e3;
        totals.scenes_ms += (t2 - t1) * 1e3;
        totals.tessellate_ms += (t3 - t2) * 1e3;
        totals.paint_ms += (t4 - t3) * 1e3;
        totals.scenes_per_frame += scene_count as f64;
        if frame >= WARM_UP_FRAMES {
            per_frame.push((t4 - t0) * 1e3);
        }
    }
    let wall = started.elapsed().as_secs_f64() * 1e3;
    let n = config.frames.max(1) as f64;
    let mut report = UiBenchReport {
        egui_pass_ms: totals.egui_pass_ms / n,
        scenes_ms: totals.scenes_ms / n,
        tessellate_ms: totals.tessellate_ms / n,
        paint_ms: totals.paint_ms / n,
        scenes_per_frame: totals.scenes_per_frame / n,
        wall_ms: wall / n,
        ..UiBenchReport::default()
    };
    report.cpu_ms = report.egui_pass_ms + report.scenes_ms + report.tessellate_ms + report.paint_ms;
    per_frame.sort_by(f64::total_cmp);
    report.cpu_ms_median = per_frame.get(per_frame.len() / 2).copied().unwrap_or(0.0);
    Ok(report)
}
