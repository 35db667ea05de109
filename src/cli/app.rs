//! `netviz <lab> [--headless --screenshot out.png --size 1600x1000]`: the options every lab
//! shares (window or headless PNG) and the glue that hosts a lab either way. Hosting knows
//! no lab: the labs of the window's Lab menu come in from the registry (`cli::labs`).

use netviz::files::limits::{IMAGE_PIXELS, IMAGE_SIDE_PX};
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use netviz::render::GpuContext;
use netviz::ui::headless::{check_panel_id, render_panel};
use netviz::ui::{
    Dashboard, HeadlessOptions, Lab, LabEntry, LayoutStore, Shell, WindowOptions, render_headless,
    run_window,
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
    #[arg(
        long,
        value_name = "PANEL",
        requires = "headless",
        conflicts_with = "scene"
    )]
    pub maximize: Option<String>,
    /// With --headless: write only this panel (by id, e.g. feature-space), about --size
    /// large (default 900x700).
    #[arg(long, value_name = "PANEL", requires = "headless")]
    pub scene: Option<String>,
    /// Memory the timeline of recorded moments may take, in MiB (older moments are thinned
    /// evenly beyond it).
    #[arg(long, value_name = "MIB", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub timeline_mb: u32,
    /// With --headless: record the run, moment by moment, as an animated .gif, an animated
    /// .png, or numbered PNGs in a folder (a path ending in /); --screenshot, if given, gets
    /// the last frame.
    #[arg(long, value_name = "FILE", requires = "headless")]
    pub record: Option<PathBuf>,
    /// With --headless: also save the run (its settings, recorded moments and model) to this
    /// run file, to reopen with `netviz open FILE`.
    #[arg(long, value_name = "FILE", requires = "headless")]
    pub save_run: Option<PathBuf>,
    /// Also run B beside the lab: the same settings but this seed (in the window, change
    /// more in B's controls); headless, every panel shows both runs side by side.
    #[arg(long, value_name = "SEED", conflicts_with_all = ["record", "scene"])]
    pub run_b: Option<u64>,
    /// Frames per second of --record.
    #[arg(long, default_value_t = 30.0, value_parser = parse_fps, requires = "record")]
    pub fps: f32,
    /// With --record: only the moments from step A to step B (`A..B`; `A..` to the end).
    #[arg(long, value_name = "A..B", value_parser = parse_step_range, requires = "record")]
    pub record_steps: Option<(u64, u64)>,
    /// Frames of --record at most, spread evenly over the recorded moments (the first and
    /// the last included).
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u32).range(1..=10_000), requires = "record")]
    pub frames: u32,
}

/// Parses `--record-steps`: `A..B` or `A..` (steps, A at most B).
pub fn parse_step_range(text: &str) -> Result<(u64, u64), String> {
    let bad = || format!("expected a range of steps such as 100..2000 or 100.., got {text:?}");
    let (a, b) = text.trim().split_once("..").ok_or_else(bad)?;
    let from = a.trim().parse::<u64>().map_err(|_| bad())?;
    let to = match b.trim() {
        "" => u64::MAX,
        b => b.parse::<u64>().map_err(|_| bad())?,
    };
    if from > to {
        return Err(format!("{text:?} ends before it starts"));
    }
    Ok((from, to))
}

/// Parses `--fps`: 0.1 to 100 frames per second.
pub fn parse_fps(text: &str) -> Result<f32, String> {
    match text.trim().parse::<f32>() {
        Ok(fps) if fps.is_finite() && (0.1..=100.0).contains(&fps) => Ok(fps),
        _ => Err(format!(
            "expected 0.1 to 100 frames per second, got {text:?}"
        )),
    }
}

/// Writes `lab`'s recorded moments as `shell.record` asks (the dashboard, or one `--scene`),
/// and the last frame to `--screenshot` if given; prints a line per frame's step and one
/// for the file.
pub fn write_recording(
    lab: Box<dyn Lab>,
    shell: &ShellArgs,
    record: &std::path::Path,
) -> Result<()> {
    use anyhow::Context as _;
    netviz::render::animation::AnimationFormat::for_path(record).map_err(anyhow::Error::msg)?;
    if let Some(id) = &shell.scene {
        check_panel_id(lab.as_ref(), id)?;
    }
    let recorded = lab.timeline().map_or(0, |t| t.steps.len());
    anyhow::ensure!(
        recorded > 0,
        "the {} lab records no moments to --record",
        lab.name()
    );
    let steps = lab.timeline().map(|t| t.steps).unwrap_or_default();
    let range = shell.record_steps.unwrap_or((0, u64::MAX));
    let moments = netviz::ui::headless::spread_moments_in(&steps, range, shell.frames as usize);
    anyhow::ensure!(
        !moments.is_empty(),
        "no recorded moment of the {} lab lies in --record-steps {}..{} (its moments span steps {}..{})",
        lab.name(),
        range.0,
        range.1,
        steps.first().copied().unwrap_or(0),
        steps.last().copied().unwrap_or(0)
    );
    let gpu = GpuContext::headless()?;
    let options = HeadlessOptions {
        size_px: shell.size.unwrap_or(HeadlessOptions::default().size_px),
        pixels_per_point: shell.scale,
        maximize: shell.maximize.clone(),
    };
    let panel = shell
        .scene
        .as_deref()
        .map(|id| (id, shell.size.unwrap_or([900, 700])));
    let frames = netviz::ui::headless::render_moments(&gpu, lab, options, panel, &moments)?;
    for (k, (step, _)) in frames.iter().enumerate() {
        println!("frame {k}: step {step}");
    }
    let images: Vec<netviz::render::RgbaImage> = frames.into_iter().map(|(_, i)| i).collect();
    netviz::render::animation::write_animation(record, &images, shell.fps)
        .with_context(|| format!("writing {}", record.display()))?;
    let last = images.last().map_or((0, 0), |i| (i.width, i.height));
    println!(
        "recorded {} frames ({}x{}, {} fps) to {}",
        images.len(),
        last.0,
        last.1,
        shell.fps,
        record.display()
    );
    if let (Some(path), Some(image)) = (&shell.screenshot, images.last()) {
        image.save_png(path)?;
        println!(
            "wrote {} ({}x{})",
            path.display(),
            image.width,
            image.height
        );
    }
    Ok(())
}

/// Hosts `lab` in a window, offering `menu` in its Lab menu; the layout is saved in the
/// user's config folder.
pub fn run_window_with(
    lab: Box<dyn Lab>,
    shell: &ShellArgs,
    menu: Vec<LabEntry>,
    opener: Option<netviz::ui::shell::RunOpener>,
    b: Option<Box<dyn Lab>>,
) -> Result<()> {
    let mut options = WindowOptions::default();
    if let Some([width, height]) = shell.size {
        options.size_pt = [width as f32, height as f32];
    }
    let dashboard = match LayoutStore::user() {
        Some(store) => Dashboard::with_store(store),
        None => Dashboard::new(),
    };
    let mut shell = Shell::new(lab, dashboard).with_labs(menu);
    if let Some(opener) = opener {
        shell = shell.with_opener(opener);
    }
    if let Some(b) = b {
        shell.set_b(b);
    }
    run_window(shell, options)?;
    Ok(())
}

/// Writes `lab`'s headless picture as `shell` says: the dashboard (default layout), the
/// dashboard with one panel maximized (`--maximize`), or one panel alone (`--scene`).
pub fn write_headless(lab: Box<dyn Lab>, shell: &ShellArgs) -> Result<()> {
    write_headless_with(lab, None, shell)
}

/// [`write_headless`], with Run B `b` beside the lab when given (every panel showing both;
/// `--scene` is refused with it by the flags).
pub fn write_headless_with(
    lab: Box<dyn Lab>,
    b: Option<Box<dyn Lab>>,
    shell: &ShellArgs,
) -> Result<()> {
    let path = shell
        .screenshot
        .clone()
        .unwrap_or_else(netviz::ui::app::screenshot_path);
    for id in [&shell.maximize, &shell.scene].into_iter().flatten() {
        check_panel_id(lab.as_ref(), id)?;
    }
    let gpu = GpuContext::headless()?;
    let options = HeadlessOptions {
        size_px: shell.size.unwrap_or(HeadlessOptions::default().size_px),
        pixels_per_point: shell.scale,
        maximize: shell.maximize.clone(),
    };
    let image = match (&shell.scene, b) {
        (_, Some(b)) => {
            netviz::ui::headless::render_headless_compared(&gpu, lab, b, options)?.image
        }
        (Some(id), None) => {
            let view = shell.size.unwrap_or([900, 700]);
            render_panel(&gpu, lab, id, view, shell.scale)?
        }
        (None, None) => render_headless(&gpu, lab, options)?.image,
    };
    image.save_png(&path)?;
    println!(
        "wrote {} ({}x{})",
        path.display(),
        image.width,
        image.height
    );
    Ok(())
}

/// Parses `1600x1000`.
pub fn parse_size(text: &str) -> Result<[u32; 2], String> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("expected WIDTHxHEIGHT such as 1600x1000, got {text:?}"))?;
    let side = |s: &str| match s.trim().parse::<u32>() {
        Ok(n) if (1..=IMAGE_SIDE_PX).contains(&n) => Ok(n),
        _ => Err(format!(
            "{s:?} is not a size from 1 to {IMAGE_SIDE_PX} in {text:?}"
        )),
    };
    let size = [side(w)?, side(h)?];
    let pixels = u64::from(size[0]) * u64::from(size[1]);
    if pixels > IMAGE_PIXELS {
        return Err(format!(
            "{text} is {pixels} pixels, more than the {IMAGE_PIXELS} a picture may have"
        ));
    }
    Ok(size)
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
        assert_eq!(parse_size("7680x4320"), Ok([7680, 4320]));
        assert!(parse_size("8192x8192").is_err_and(|e| e.contains("40000000")));
        assert!(parse_size("16384x10").is_err());
    }
}
