//! The headless dashboard: the gallery's full dashboard rendered offscreen to a PNG, checked
//! pixel by pixel where the answer is known: heatmap cells have the exact colormap color of
//! their value (so the scene texture reached egui unchanged), the side panel has egui's panel
//! color, scene backgrounds have the lab's color. Also at 2 pixels per point (HiDPI).
//!
//! Needs a GPU adapter (lavapipe in CI); without one it fails with what to install.

mod ui_support;

use glam::{Vec2, Vec3};

use netviz::labs::gallery::landscape::{LANDSCAPE_RANGE, MINIMA, cell_center};
use netviz::labs::gallery::scenes::{BACKGROUND, landscape_camera};
use netviz::labs::gallery::{HEATMAP_CELLS, Panel};
use netviz::render::scene::color_to_rgba8;
use netviz::render::{Colormap, RgbaImage, colormap_rgba};
use netviz::ui::{HeadlessFrame, HeadlessOptions, run_headless};

use ui_support::{paused_gallery, read_png, scratch_dir};

const CLOUD_PANEL: &str = Panel::Cloud.title();
const LANDSCAPE_PANEL: &str = Panel::Landscape.title();
const SURFACE_PANEL: &str = Panel::Surface.title();
const CURVE_PANEL: &str = Panel::Curve.title();

/// Renders the paused gallery at `size_px` and `ppp`, through the PNG file.
fn render_gallery(name: &str, size_px: [u32; 2], ppp: f32) -> (HeadlessFrame, RgbaImage) {
    let lab = paused_gallery();
    let heatmap = lab.heatmap().to_vec();
    let start = lab.snapshot().path[0];
    let dir = scratch_dir(name);
    let path = dir.join("gallery.png");
    let options = HeadlessOptions {
        size_px,
        pixels_per_point: ppp,
        maximize: None,
    };
    let frame = run_headless(Box::new(lab), options, &path)
        .unwrap_or_else(|err| panic!("headless rendering failed: {err}"));
    let png = read_png(&path);
    assert_eq!((png.width, png.height), (size_px[0], size_px[1]));
    assert!(
        png == frame.image,
        "the PNG differs from the rendered frame"
    );
    check_heatmap(&frame, &heatmap, start);
    let _ = std::fs::remove_dir_all(&dir);
    (frame, png)
}

/// Every 5th heatmap cell away from the markers (minima, start point) and the axes shows the
/// colormap's color for its value, at the pixel its center projects to.
fn check_heatmap(frame: &HeadlessFrame, heatmap: &[f32], start: [f32; 2]) {
    let panel = frame.panel(LANDSCAPE_PANEL).expect("the landscape panel");
    let viewport = Vec2::new(panel.width(), panel.height());
    let camera = landscape_camera();
    let project = |[x, y]: [f32; 2]| {
        camera
            .project(Vec3::new(x, y, 0.0), viewport)
            .expect("the heatmap is in view")
    };
    let markers: Vec<Vec2> = MINIMA.iter().chain([&start]).map(|&p| project(p)).collect();
    let mut checked = 0;
    for row in (2..HEATMAP_CELLS - 2).step_by(5) {
        for column in (2..HEATMAP_CELLS - 2).step_by(5) {
            let center = project(cell_center(column, row, HEATMAP_CELLS));
            if markers.iter().any(|m| m.distance(center) < 14.0) {
                continue;
            }
            let x = (panel.min.x + center.x).floor() as u32;
            let y = (panel.min.y + center.y).floor() as u32;
            let value = heatmap[(row * HEATMAP_CELLS + column) as usize];
            let expected = colormap_rgba(Colormap::Viridis, LANDSCAPE_RANGE, value);
            assert_eq!(
                frame.image.pixel(x, y),
                expected,
                "heatmap cell ({column}, {row}) with value {value} at pixel ({x}, {y})"
            );
            checked += 1;
        }
    }
    assert!(checked >= 100, "only {checked} heatmap cells were checked");
}

/// The color at `(x, y)` px from the top-left of `rect`.
fn pixel_in(image: &RgbaImage, rect: egui::Rect, x: f32, y: f32) -> [u8; 4] {
    image.pixel((rect.min.x + x) as u32, (rect.min.y + y) as u32)
}

#[test]
fn the_gallery_dashboard_renders_headless_with_known_pixels() {
    let (frame, png) = render_gallery("headless-1x", [960, 640], 1.0);
    let titles: Vec<&str> = frame.panels.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(
        titles,
        [CLOUD_PANEL, LANDSCAPE_PANEL, SURFACE_PANEL, CURVE_PANEL]
    );
    for panel in &frame.panels {
        assert!(
            panel.rect.width() > 150.0 && panel.rect.height() > 150.0,
            "{} is only {:?}",
            panel.title,
            panel.rect
        );
    }

    // The controls panel: egui's dark panel color in its margin, left of everything.
    let side = frame.side_panel.expect("a controls panel");
    let panel_fill = egui::Visuals::dark().panel_fill.to_array();
    assert_eq!(pixel_in(&png, side, 2.0, side.height() - 3.0), panel_fill);
    assert!(
        frame.panels.iter().all(|p| p.rect.min.x >= side.max.x),
        "{side:?} {:?}",
        frame.panels
    );

    // Scene panels show their scene's background in an empty corner.
    let background = color_to_rgba8(BACKGROUND);
    for title in [CLOUD_PANEL, LANDSCAPE_PANEL, SURFACE_PANEL] {
        let rect = frame.panel(title).expect("panel");
        assert_eq!(pixel_in(&png, rect, 3.0, 3.0), background, "{title}");
    }
}

#[test]
fn a_hidpi_dashboard_keeps_exact_pixels() {
    let (frame, png) = render_gallery("headless-2x", [1200, 800], 2.0);
    let side = frame.side_panel.expect("a controls panel");
    // 2 px per point: the default 250-point controls panel is about 500 px wide.
    assert!(side.width() > 400.0, "{side:?}");
    let panel_fill = egui::Visuals::dark().panel_fill.to_array();
    assert_eq!(pixel_in(&png, side, 3.0, side.height() - 4.0), panel_fill);
}

#[test]
fn a_maximized_panel_fills_the_dashboard_with_exact_pixels() {
    let lab = paused_gallery();
    let heatmap = lab.heatmap().to_vec();
    let start = lab.snapshot().path[0];
    let gpu = netviz::render::GpuContext::headless()
        .unwrap_or_else(|err| panic!("headless rendering needs a GPU adapter: {err}"));
    let options = HeadlessOptions {
        size_px: [1280, 800],
        pixels_per_point: 1.0,
        maximize: Some("loss-landscape".into()),
    };
    let frame = netviz::ui::render_headless(&gpu, Box::new(lab), options)
        .unwrap_or_else(|err| panic!("headless rendering failed: {err}"));
    let titles: Vec<&str> = frame.panels.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(titles, [LANDSCAPE_PANEL]);
    let side = frame.side_panel.expect("a controls panel");
    let panel = frame.panel(LANDSCAPE_PANEL).expect("the landscape");
    // Everything right of the controls, less the menu, status and title bars.
    assert!(panel.width() >= 1280.0 - side.width() - 4.0, "{panel:?}");
    assert!(panel.height() > 800.0 - 100.0, "{panel:?}");
    check_heatmap(&frame, &heatmap, start);
}

fn netviz(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_netviz"))
        .args(args)
        .output()
        .expect("run netviz")
}

#[test]
fn maximize_names_a_panel_or_fails_with_the_panel_list() {
    let dir = scratch_dir("maximize-cli");
    let png = dir.join("max.png");
    let png_arg = png.to_string_lossy().to_string();
    let common = [
        "gallery",
        "--headless",
        "--size",
        "640x400",
        "--screenshot",
        &png_arg,
    ];
    let ok = netviz(&[&common[..], &["--maximize", "point-cloud"]].concat());
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert_eq!(read_png(&png).width, 640);

    let bad = netviz(&[&common[..], &["--maximize", "no-such-panel"]].concat());
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("no-such-panel") && stderr.contains("point-cloud, loss-landscape"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bench_ui_drives_a_dashboard_and_prints_its_cpu_time_last() {
    let out = netviz(&[
        "bench", "ui", "--lab", "gallery", "--frames", "3", "--size", "640x400",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let ms = last
        .strip_prefix("lab=gallery ui_cpu_ms_per_frame=")
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("unexpected last line {last:?}"));
    assert!(ms.is_finite() && ms > 0.0, "{last}");
}
