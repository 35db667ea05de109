//! `netviz <lab> [--headless --screenshot out.png --size 1600x1000]`: the options every lab
//! shares (window or headless PNG) and the glue that hosts a lab either way. The labs the
//! window's Lab menu offers come in as a [`LabMenu`] (main passes the registry,
//! `cli::labs::entries`), so hosting knows no lab.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use netviz::render::RgbaImage;
use netviz::ui::{
    Dashboard, HeadlessOptions, Lab, LabEntry, LayoutStore, PanelSpec, SceneView, Shell,
    StatusInfo, WindowOptions, render_headless, run_headless, run_window,
};

/// How to show a lab: a window (default) or a headless PNG.
#[derive(Debug, Args)]
pub struct ShellArgs {
    /// Render the dashboard offscreen to a PNG instead of opening a window (no display needed).
    #[arg(long)]
    pub headless: bool,
    /// Where --headless writes its PNG (default: netviz-screenshot-<time>.png).
    #[arg(long, value_name = "PNG", requires = "headless")]
    pub screenshot: Option<PathBuf>,
    /// Picture size in pixels with --headless (default 1600x1000), or the window's size in
    /// points (default 1280x800).
    #[arg(long, value_name = "WxH", value_parser = parse_size)]
    pub size: Option<[u32; 2]>,
    /// Pixels per point of a --headless picture (2 for a HiDPI-looking PNG).
    #[arg(long, default_value_t = 1.0, value_parser = parse_scale)]
    pub scale: f32,
    /// With --headless: show this panel (by id, e.g. feature-space) maximized over the
    /// whole dashboard.
    #[arg(long, value_name = "PANEL", requires = "headless")]
    pub maximize: Option<String>,
}

/// Makes the entries of the window's Lab menu.
pub type LabMenu = fn() -> Vec<LabEntry>;

/// Hosts `lab` in a window (offering `menu`'s labs), or renders it headless to a PNG, as
/// `shell` says.
pub fn run_lab(lab: Box<dyn Lab>, shell: &ShellArgs, menu: LabMenu) -> Result<()> {
    if shell.headless {
        let path = shell
            .screenshot
            .clone()
            .unwrap_or_else(netviz::ui::app::screenshot_path);
        if let Some(id) = &shell.maximize {
            check_panel_id(lab.as_ref(), id)?;
        }
        let options = HeadlessOptions {
            size_px: shell.size.unwrap_or(HeadlessOptions::default().size_px),
            pixels_per_point: shell.scale,
            maximize: shell.maximize.clone(),
        };
        let frame = run_headless(lab, options, &path)?;
        println!(
            "wrote {} ({}x{})",
            path.display(),
            frame.image.width,
            frame.image.height
        );
        return Ok(());
    }
    let mut options = WindowOptions::default();
    if let Some([width, height]) = shell.size {
        options.size_pt = [width as f32, height as f32];
    }
    let dashboard = match LayoutStore::user() {
        Some(store) => Dashboard::with_store(store),
        None => Dashboard::new(),
    };
    run_window(Shell::new(lab, dashboard).with_labs(menu()), options)?;
    Ok(())
}

/// Fails with the lab's panel ids unless `id` is one of them.
fn check_panel_id(lab: &dyn Lab, id: &str) -> Result<()> {
    let ids: Vec<String> = lab.panels().into_iter().map(|p| p.id).collect();
    anyhow::ensure!(
        ids.iter().any(|known| known == id),
        "the {} lab has no panel {id:?}; its panels are {}",
        lab.name(),
        ids.join(", ")
    );
    Ok(())
}

/// Renders `lab`'s dashboard with only panel `panel` and writes that panel's pixels
/// (`--headless --scene`).
pub fn write_single_view(lab: Box<dyn Lab>, panel: usize, shell: &ShellArgs) -> Result<()> {
    let path = shell
        .screenshot
        .clone()
        .unwrap_or_else(netviz::ui::app::screenshot_path);
    let [w, h] = shell.size.unwrap_or([900, 700]);
    // The side panel takes part of the width; widen the picture so the view gets about `w`.
    let options = HeadlessOptions {
        size_px: [
            w + (320.0 * shell.scale) as u32,
            h + (90.0 * shell.scale) as u32,
        ],
        pixels_per_point: shell.scale,
        maximize: None,
    };
    let gpu = netviz::render::GpuContext::headless()?;
    let frame = render_headless(&gpu, Box::new(OnePanel { lab, panel }), options)?;
    let rect = frame
        .panels
        .first()
        .map(|p| p.rect)
        .context("the view was not laid out")?;
    let view = crop(&frame.image, rect);
    view.save_png(&path)?;
    println!("wrote {} ({}x{})", path.display(), view.width, view.height);
    Ok(())
}

/// The pixels of `image` inside `rect` (physical pixels).
fn crop(image: &RgbaImage, rect: egui::Rect) -> RgbaImage {
    let x0 = (rect.min.x.max(0.0) as u32).min(image.width);
    let y0 = (rect.min.y.max(0.0) as u32).min(image.height);
    let x1 = (rect.max.x.max(0.0) as u32).clamp(x0, image.width);
    let y1 = (rect.max.y.max(0.0) as u32).clamp(y0, image.height);
    let (w, h) = (x1 - x0, y1 - y0);
    let mut pixels = Vec::with_capacity((w * h * 4) as usize);
    for y in y0..y1 {
        let start = ((y * image.width + x0) * 4) as usize;
        pixels.extend_from_slice(&image.pixels[start..start + (w * 4) as usize]);
    }
    RgbaImage {
        width: w,
        height: h,
        pixels,
    }
}

/// A lab showing only one of another lab's panels.
struct OnePanel {
    lab: Box<dyn Lab>,
    panel: usize,
}

impl Lab for OnePanel {
    fn name(&self) -> &str {
        self.lab.name()
    }
    fn update(&mut self) {
        self.lab.update();
    }
    fn controls_ui(&mut self, ui: &mut egui::Ui) {
        self.lab.controls_ui(ui);
    }
    fn panels(&self) -> Vec<PanelSpec> {
        self.lab
            .panels()
            .into_iter()
            .skip(self.panel)
            .take(1)
            .collect()
    }
    fn scene(&mut self, _panel: usize, view: &SceneView) -> netviz::render::Scene {
        self.lab.scene(self.panel, view)
    }
    fn panel_ui(&mut self, _panel: usize, ui: &mut egui::Ui) {
        self.lab.panel_ui(self.panel, ui);
    }
    fn status(&self) -> StatusInfo {
        self.lab.status()
    }
    fn toggle_pause(&mut self) {
        self.lab.toggle_pause();
    }
    fn reset(&mut self) {
        self.lab.reset();
    }
}

/// Parses `1600x1000`.
pub fn parse_size(text: &str) -> Result<[u32; 2], String> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("expected WIDTHxHEIGHT such as 1600x1000, got {text:?}"))?;
    let side = |s: &str| match s.trim().parse::<u32>() {
        Ok(n) if (1..=16_384).contains(&n) => Ok(n),
        _ => Err(format!("{s:?} is not a size from 1 to 16384 in {text:?}")),
    };
    Ok([side(w)?, side(h)?])
}

pub fn parse_scale(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(scale) if (0.25..=8.0).contains(&scale) => Ok(scale),
        _ => Err(format!("expected a scale from 0.25 to 8, got {text:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_reject_nonsense() {
        assert_eq!(parse_size("1600x1000"), Ok([1600, 1000]));
        assert_eq!(parse_size("64X48"), Ok([64, 48]));
        assert!(parse_size("1600").is_err());
        assert!(parse_size("0x10").is_err());
        assert!(parse_size("axb").is_err());
    }
}
