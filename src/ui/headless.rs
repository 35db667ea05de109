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
use crate::ui::lab::Lab;
use crate::ui::panels::PanelRect;

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
    let [width, height] = options.size_px;
    let (width, height) = (width.max(1), height.max(1));
    let ppp = if options.pixels_per_point > 0.0 {
        options.pixels_per_point
    } else {
        1.0
    };
    let mut app = App::new(gpu, lab, COLOR_FORMAT);
    app.context()
        .all_styles_mut(|style| style.animation_time = 0.0);
    if let Some(id) = &options.maximize {
        // An unknown id maximizes nothing; the command line checks ids before it gets here.
        app.maximize(id);
    }
    let input = || {
        let mut input = egui::RawInput {
            screen_rect: Some(Rect::from_min_size(
                Pos2::ZERO,
                Vec2::new(width as f32, height as f32) / ppp,
            )),
            max_texture_side: Some(gpu.device.limits().max_texture_dimension_2d as usize),
            time: Some(0.0),
            focused: true,
            ..egui::RawInput::default()
        };
        input
            .viewports
            .entry(egui::ViewportId::ROOT)
            .or_default()
            .native_pixels_per_point = Some(ppp);
        input
    };
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
                index: p.index,
                title: p.title.clone(),
                rect: to_px(p.rect),
            })
            .collect(),
        side_panel: app.dashboard().side_panel_rect().map(to_px),
    })
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
