//! Headless dashboards: lay out and render a lab's full dashboard offscreen and write a PNG,
//! with no window, no event loop and no display (`netviz <lab> --headless --screenshot
//! out.png`). It runs the same [`App`] steps as the window, so the picture is what the window
//! would show at that size.
//!
//! egui needs two passes for a first frame (some containers measure before they paint); both
//! passes see the same input, the texture changes of both are kept (the font atlas grows in
//! the first), and animations are off so nothing is caught half-faded.

use std::path::Path;

use egui::{Pos2, Rect, Vec2};

use crate::render::{GpuContext, RenderError, RgbaImage, target::COLOR_FORMAT};
use crate::ui::app::App;
use crate::ui::dashboard::Dashboard;
use crate::ui::lab::Lab;
use crate::ui::panels::PanelRect;
use crate::ui::shell::Shell;

/// Size and scale of a headless dashboard.
#[derive(Clone, Debug, PartialEq)]
pub struct HeadlessOptions {
    /// Picture size in physical pixels.
    pub size_px: [u32; 2],
    /// Physical pixels per point (1 for a plain screenshot, 2 for a HiDPI one).
    pub pixels_per_point: f32,
    /// The id of a panel to show maximized over the whole dashboard (`--maximize`).
    pub maximize: Option<String>,
}

impl Default for HeadlessOptions {
    fn default() -> Self {
        Self {
            size_px: [1600, 1000],
            pixels_per_point: 1.0,
            maximize: None,
        }
    }
}

/// A rendered dashboard and where its parts went (in physical pixels).
#[derive(Clone, Debug)]
pub struct HeadlessFrame {
    /// The picture.
    pub image: RgbaImage,
    /// Each panel's content rectangle, in physical pixels.
    pub panels: Vec<PanelRect>,
    /// The controls panel's rectangle, in physical pixels.
    pub side_panel: Option<Rect>,
}

/// Why a headless picture could not be made.
#[derive(Debug, thiserror::Error)]
pub enum HeadlessError {
    /// Rendering failed (no adapter, a malformed scene, the PNG not written).
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The lab has no panel by that id.
    #[error("the {lab} lab has no panel {id:?}; its panels are {known}")]
    UnknownPanel {
        /// The lab.
        lab: String,
        /// The id asked for.
        id: String,
        /// The lab's panel ids, comma-separated.
        known: String,
    },
}

/// Fails with the lab's panel ids unless `id` is one of them.
pub fn check_panel_id(lab: &dyn Lab, id: &str) -> Result<(), HeadlessError> {
    let ids: Vec<String> = lab.panels().into_iter().map(|p| p.id).collect();
    if ids.iter().any(|known| known == id) {
        return Ok(());
    }
    Err(HeadlessError::UnknownPanel {
        lab: lab.name().to_string(),
        id: id.to_string(),
        known: ids.join(", "),
    })
}

/// The dashboard options under which panel `id` of `lab`, maximized, gets about `view_px`
/// (the dashboard is laid out once, without a GPU, to learn what the controls and bars take).
fn panel_options(
    lab: Box<dyn Lab>,
    id: &str,
    view_px: [u32; 2],
    pixels_per_point: f32,
) -> (Box<dyn Lab>, HeadlessOptions) {
    let mut size = [
        view_px[0] + (260.0 * pixels_per_point) as u32,
        view_px[1] + (110.0 * pixels_per_point) as u32,
    ];
    let mut lab = lab;
    // The controls and bars may take a little more or less room at the corrected size (the
    // side panel follows the window's width and its content), so correct until the panel
    // gets exactly `view_px` (a few rounds at most).
    for _ in 0..4 {
        let (back, rect) = measure_maximized(lab, id, size, pixels_per_point);
        lab = back;
        let Some(rect) = rect else {
            break;
        };
        let got = [rect.width().round() as i64, rect.height().round() as i64];
        if got == [i64::from(view_px[0]), i64::from(view_px[1])] {
            break;
        }
        size = [
            (i64::from(size[0]) + i64::from(view_px[0]) - got[0]).max(1) as u32,
            (i64::from(size[1]) + i64::from(view_px[1]) - got[1]).max(1) as u32,
        ];
    }
    let options = HeadlessOptions {
        size_px: size,
        pixels_per_point,
        maximize: Some(id.to_string()),
    };
    (lab, options)
}

/// Renders `lab`'s panel `id` alone, about `view_px` large (the dashboard around it is sized
/// so the maximized panel gets that much), and returns that panel's pixels.
pub fn render_panel(
    gpu: &GpuContext,
    lab: Box<dyn Lab>,
    id: &str,
    view_px: [u32; 2],
    pixels_per_point: f32,
) -> Result<RgbaImage, HeadlessError> {
    check_panel_id(lab.as_ref(), id)?;
    let (lab, options) = panel_options(lab, id, view_px, pixels_per_point);
    let frame = render_headless(gpu, lab, options)?;
    let rect = frame
        .panels
        .iter()
        .find(|p| p.id == id)
        .map(|p| p.rect)
        .ok_or_else(|| RenderError::InvalidScene(format!("panel {id:?} was not laid out")))?;
    Ok(crop_panel(&frame.image, rect, view_px))
}

/// The panel at `rect` out of `image`, exactly `view_px` large when the panel got that much
/// (its edges may fall between pixels: the crop starts at the rounded corner).
fn crop_panel(image: &RgbaImage, rect: Rect, view_px: [u32; 2]) -> RgbaImage {
    let min = [rect.min.x.round(), rect.min.y.round()];
    let size = [
        (rect.width().round()).min(view_px[0] as f32),
        (rect.height().round()).min(view_px[1] as f32),
    ];
    image.crop(min, [min[0] + size[0], min[1] + size[1]])
}

/// Lays `lab`'s dashboard out (no GPU) at `size_px` with panel `id` maximized; returns the
/// lab and where that panel went, in physical pixels.
fn measure_maximized(
    lab: Box<dyn Lab>,
    id: &str,
    size_px: [u32; 2],
    pixels_per_point: f32,
) -> (Box<dyn Lab>, Option<Rect>) {
    let mut shell = Shell::new(lab, Dashboard::new());
    {
        let (lab, dashboard) = shell.parts_mut();
        dashboard.sync_lab(lab);
        dashboard.workspace_mut().set_maximized(Some(id));
    }
    let ctx = egui::Context::default();
    for _ in 0..2 {
        let _ = ctx.run_ui(raw_input(size_px, pixels_per_point, None), |ui| {
            shell.ui(ui)
        });
    }
    let rect = shell
        .dashboard()
        .panel_rects()
        .iter()
        .find(|p| p.id == id)
        .map(|p| Rect::from_min_max(p.rect.min * pixels_per_point, p.rect.max * pixels_per_point));
    (shell.into_lab(), rect)
}

/// One frame's input for a `size_px` picture at `pixels_per_point`.
pub(crate) fn raw_input(
    size_px: [u32; 2],
    pixels_per_point: f32,
    max_texture_side: Option<usize>,
) -> egui::RawInput {
    let mut input = egui::RawInput {
        screen_rect: Some(Rect::from_min_size(
            Pos2::ZERO,
            Vec2::new(size_px[0] as f32, size_px[1] as f32) / pixels_per_point,
        )),
        max_texture_side,
        time: Some(0.0),
        focused: true,
        ..egui::RawInput::default()
    };
    input
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .native_pixels_per_point = Some(pixels_per_point);
    input
}

impl HeadlessFrame {
    /// The rectangle of the panel titled `title`.
    pub fn panel(&self, title: &str) -> Option<Rect> {
        self.panels
            .iter()
            .find(|p| p.title == title)
            .map(|p| p.rect)
    }
}

/// Renders `lab`'s dashboard offscreen on `gpu`.
pub fn render_headless(
    gpu: &GpuContext,
    lab: Box<dyn Lab>,
    options: HeadlessOptions,
) -> Result<HeadlessFrame, RenderError> {
    let mut app = headless_app(gpu, lab, &options);
    render_frame(gpu, &mut app, &options)
}

/// Renders `lab`'s dashboard with `b` beside it as Run B (every panel showing both side by
/// side) offscreen on `gpu`.
pub fn render_headless_compared(
    gpu: &GpuContext,
    lab: Box<dyn Lab>,
    b: Box<dyn Lab>,
    options: HeadlessOptions,
) -> Result<HeadlessFrame, RenderError> {
    let mut app = headless_app(gpu, lab, &options);
    app.compare(b);
    render_frame(gpu, &mut app, &options)
}

/// An app hosting `lab` as a headless picture with `options` shows it.
fn headless_app(gpu: &GpuContext, lab: Box<dyn Lab>, options: &HeadlessOptions) -> App {
    let mut app = App::new(gpu, lab, COLOR_FORMAT);
    app.context()
        .all_styles_mut(|style| style.animation_time = 0.0);
    if let Some(id) = &options.maximize {
        // An unknown id maximizes nothing; the command line checks ids before it gets here.
        app.maximize(id);
    }
    app
}

/// One picture of `app` as it is now.
fn render_frame(
    gpu: &GpuContext,
    app: &mut App,
    options: &HeadlessOptions,
) -> Result<HeadlessFrame, RenderError> {
    let [width, height] = options.size_px;
    let (width, height) = (width.max(1), height.max(1));
    let ppp = if options.pixels_per_point > 0.0 {
        options.pixels_per_point
    } else {
        1.0
    };
    let max_side = gpu.device.limits().max_texture_dimension_2d as usize;
    let input = || raw_input([width, height], ppp, Some(max_side));
    let first = app.run_ui(gpu, input());
    let mut second = app.run_ui(gpu, input());
    let mut textures = first.textures_delta;
    textures.append(std::mem::take(&mut second.textures_delta));
    second.textures_delta = textures;
    let prepared = app.prepare(gpu, second, [width, height])?;
    let image = app.paint_offscreen(gpu, &prepared.paint)?;
    let to_px = |rect: Rect| {
        Rect::from_min_max(
            (rect.min.to_vec2() * ppp).to_pos2(),
            (rect.max.to_vec2() * ppp).to_pos2(),
        )
    };
    Ok(HeadlessFrame {
        image,
        panels: app
            .dashboard()
            .panel_rects()
            .iter()
            .map(|p| PanelRect {
                rect: to_px(p.rect),
                ..p.clone()
            })
            .collect(),
        side_panel: app.dashboard().side_panel_rect().map(to_px),
    })
}

/// One picture per recorded moment of `lab`'s timeline in `moments` (indices), each as
/// [`render_headless`] (or, with `panel`, [`render_panel`]) shows that moment, with the step
/// it shows. The lab is hosted once for every frame.
pub fn render_moments(
    gpu: &GpuContext,
    lab: Box<dyn Lab>,
    options: HeadlessOptions,
    panel: Option<(&str, [u32; 2])>,
    moments: &[usize],
) -> Result<Vec<(u64, RgbaImage)>, HeadlessError> {
    let (lab, options) = match panel {
        Some((id, view_px)) => {
            check_panel_id(lab.as_ref(), id)?;
            panel_options(lab, id, view_px, options.pixels_per_point)
        }
        None => (lab, options),
    };
    let mut app = headless_app(gpu, lab, &options);
    record_app(gpu, &mut app, &options, panel, moments)
}

/// Frames of a recording made from the window (File > Export GIF) at most.
pub const EXPORT_FRAMES: usize = 120;

/// [`render_moments`] on an app already hosting its lab (the window's): each moment in
/// `moments` rendered as `options` says; the lab is left on the last one.
pub fn record_app(
    gpu: &GpuContext,
    app: &mut App,
    options: &HeadlessOptions,
    panel: Option<(&str, [u32; 2])>,
    moments: &[usize],
) -> Result<Vec<(u64, RgbaImage)>, HeadlessError> {
    let mut frames = Vec::with_capacity(moments.len());
    for &moment in moments {
        app.shell_mut().seek(Some(moment));
        let step = app
            .lab()
            .timeline()
            .and_then(|t| t.cursor.and_then(|c| t.steps.get(c).copied()))
            .unwrap_or_else(|| app.lab().status().step);
        let frame = render_frame(gpu, app, options)?;
        let image = match panel {
            Some((id, view_px)) => {
                let rect = frame
                    .panels
                    .iter()
                    .find(|p| p.id == id)
                    .map(|p| p.rect)
                    .ok_or_else(|| {
                        RenderError::InvalidScene(format!("panel {id:?} was not laid out"))
                    })?;
                crop_panel(&frame.image, rect, view_px)
            }
            None => frame.image,
        };
        frames.push((step, image));
    }
    Ok(frames)
}

/// Up to `count` of the moments at `steps` whose step lies in `from..=to`, spread evenly
/// over them (the first and the last in the range included).
pub fn spread_moments_in(steps: &[u64], (from, to): (u64, u64), count: usize) -> Vec<usize> {
    let start = steps.partition_point(|&s| s < from);
    let end = steps.partition_point(|&s| s <= to);
    if start >= end {
        return Vec::new();
    }
    spread_moments(end - start, count)
        .into_iter()
        .map(|i| start + i)
        .collect()
}

/// Up to `count` moments spread evenly over `len` recorded ones, the first and the last
/// included.
pub fn spread_moments(len: usize, count: usize) -> Vec<usize> {
    if len == 0 || count == 0 {
        return Vec::new();
    }
    if count >= len {
        return (0..len).collect();
    }
    if count == 1 {
        return vec![len - 1];
    }
    let mut out: Vec<usize> = (0..count)
        .map(|k| ((k as f64) * (len - 1) as f64 / (count - 1) as f64).round() as usize)
        .collect();
    out.dedup();
    out
}

/// Renders `lab`'s dashboard at `options` on the default adapter and writes it to `path` as
/// a PNG. Needs no display.
pub fn run_headless(
    lab: Box<dyn Lab>,
    options: HeadlessOptions,
    path: &Path,
) -> Result<HeadlessFrame, RenderError> {
    let gpu = GpuContext::headless()?;
    let frame = render_headless(&gpu, lab, options)?;
    frame.image.save_png(path)?;
    Ok(frame)
}

#[cfg(test)]
mod range_tests {
    use super::*;

    #[test]
    fn a_range_of_steps_picks_its_moments_spread_evenly() {
        let steps = [0, 10, 20, 30, 40, 50, 60];
        assert_eq!(spread_moments_in(&steps, (10, 50), 3), vec![1, 3, 5]);
        assert_eq!(spread_moments_in(&steps, (15, 35), 10), vec![2, 3]);
        assert_eq!(spread_moments_in(&steps, (0, u64::MAX), 2), vec![0, 6]);
        assert!(spread_moments_in(&steps, (61, 70), 5).is_empty());
    }
}
