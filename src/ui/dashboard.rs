//! The dashboard: the one egui layout every host shows (window, headless screenshot, test
//! harness). A status bar at the bottom (running/paused, step, loss, frames per second,
//! messages), the lab's controls in a resizable side panel, and the lab's panels in the rest.
//!
//! [`dashboard_ui`] only lays out and records: the scenes to render ([`SceneJob`]s) and the
//! host actions asked for by keys ([`ShellAction`]) wait in the [`Dashboard`] for the host to
//! take after the pass.

use std::collections::VecDeque;

use egui::{Color32, Frame, Key, Margin, Modifiers, Panel, Rect, RichText, Ui};

use crate::ui::grid::GridShares;
use crate::ui::lab::{Lab, PanelSpec, StatusInfo};
use crate::ui::panels::{GridOutput, PanelRect, PanelState, SceneJob, panel_grid_ui};

/// Something only the host can do, asked for by a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShellAction {
    /// `q` or Escape.
    Quit,
    /// `s`: save the whole window as a PNG.
    Screenshot,
    /// `f`.
    ToggleFullscreen,
}

/// How long a status message stays, in seconds.
const TOAST_SECS: f64 = 4.0;
/// Default width of the controls panel, in points (less in small windows).
const SIDE_PANEL_PT: f32 = 250.0;

/// Dashboard state kept across frames.
pub struct Dashboard {
    panels: Vec<PanelState>,
    titles: Vec<String>,
    grid: GridShares,
    frame_secs: VecDeque<f32>,
    toast: Option<(String, Option<f64>)>,
    last: GridOutput,
    actions: Vec<ShellAction>,
    side_rect: Option<Rect>,
}

impl Default for Dashboard {
    fn default() -> Self {
        Self::new()
    }
}

impl Dashboard {
    /// An empty dashboard; panels appear on the first pass.
    pub fn new() -> Self {
        Self {
            panels: Vec::new(),
            titles: Vec::new(),
            grid: GridShares::default(),
            frame_secs: VecDeque::new(),
            toast: None,
            last: GridOutput::default(),
            actions: Vec::new(),
            side_rect: None,
        }
    }

    /// Makes the per-panel state match `specs` (new cameras and no textures when the titles
    /// change). Returns whether anything was rebuilt.
    pub fn sync_panels(&mut self, specs: &[PanelSpec]) -> bool {
        if self.titles.len() == specs.len()
            && self.titles.iter().zip(specs).all(|(t, s)| *t == s.title)
        {
            return false;
        }
        self.titles = specs.iter().map(|s| s.title.clone()).collect();
        self.panels = specs.iter().map(PanelState::new).collect();
        true
    }

    /// Number of panels known after the last [`sync_panels`](Self::sync_panels).
    pub fn panel_count(&self) -> usize {
        self.panels.len()
    }

    /// Marks scene panel `panel` as rendered and shown by a GPU side (see
    /// [`FramePainter::attach`](crate::ui::painter::FramePainter::attach)); until then it
    /// shows a plain rectangle of its scene's background color.
    pub fn attach_scene(&mut self, panel: usize) {
        if let Some(state) = self.panels.get_mut(panel) {
            state.attached = true;
        }
    }

    /// Records how long the last frame took, for the frames-per-second readout.
    pub fn record_frame_time(&mut self, secs: f32) {
        self.frame_secs.push_back(secs);
        let mut total: f32 = self.frame_secs.iter().sum();
        while total > 1.0 && self.frame_secs.len() > 1 {
            total -= self.frame_secs.pop_front().unwrap_or(0.0);
        }
    }

    /// Frames per second and mean milliseconds per frame over about the last second.
    pub fn frame_rate(&self) -> Option<(f32, f32)> {
        let total: f32 = self.frame_secs.iter().sum();
        let n = self.frame_secs.len() as f32;
        (total > 0.0).then(|| (n / total, 1000.0 * total / n))
    }

    /// Shows `text` in the status bar for a few seconds.
    pub fn show_message(&mut self, text: impl Into<String>) {
        self.toast = Some((text.into(), None));
    }

    /// The scenes recorded by the last pass, to render before painting it.
    pub fn take_scene_jobs(&mut self) -> Vec<SceneJob> {
        std::mem::take(&mut self.last.jobs)
    }

    /// The host actions asked for since the last call.
    pub fn take_actions(&mut self) -> Vec<ShellAction> {
        std::mem::take(&mut self.actions)
    }

    /// Where each panel's content went in the last pass, in points, in the lab's order.
    pub fn panel_rects(&self) -> &[PanelRect] {
        &self.last.rects
    }

    /// Where the controls panel went in the last pass, in points.
    pub fn side_panel_rect(&self) -> Option<Rect> {
        self.side_rect
    }

    /// Whether something on the dashboard is still moving (a damped camera).
    pub fn is_animating(&self) -> bool {
        self.last.animating
    }
}

/// The whole dashboard for `lab`, filling `ui`.
pub fn dashboard_ui(ui: &mut Ui, lab: &mut dyn Lab, dashboard: &mut Dashboard) {
    shortcuts_ui(ui, lab, dashboard);
    let specs = lab.panels();
    dashboard.sync_panels(&specs);
    let status = lab.status();
    Panel::bottom("netviz-status")
        .frame(Frame::side_top_panel(ui.style()).inner_margin(Margin::symmetric(8, 4)))
        .show(ui, |ui| status_bar_ui(ui, &status, dashboard));
    let side_pt = (ui.available_width() * 0.22).clamp(180.0, SIDE_PANEL_PT);
    let side = Panel::left("netviz-controls")
        .resizable(true)
        .default_size(side_pt)
        .size_range(160.0..=480.0)
        .show(ui, |ui| side_panel_ui(ui, lab, &mut dashboard.actions));
    dashboard.side_rect = Some(side.response.rect);
    let mut out = GridOutput::default();
    egui::CentralPanel::no_frame().show(ui, |ui| {
        panel_grid_ui(
            ui,
            lab,
            &specs,
            &mut dashboard.panels,
            &mut dashboard.grid,
            &mut out,
        );
    });
    dashboard.last = out;
}

/// Keys that act on the whole app. They are consumed before any widget sees them (so Space
/// never also clicks a focused button), except while a text field has the keyboard.
fn shortcuts_ui(ui: &mut Ui, lab: &mut dyn Lab, dashboard: &mut Dashboard) {
    if ui.ctx().egui_wants_keyboard_input() {
        return;
    }
    let consume = |key| ui.input_mut(|i| i.consume_key(Modifiers::NONE, key));
    if consume(Key::Q) | consume(Key::Escape) {
        dashboard.actions.push(ShellAction::Quit);
    }
    if consume(Key::Space) {
        lab.toggle_pause();
    }
    if consume(Key::R) {
        lab.reset();
        dashboard.show_message("reset");
    }
    if consume(Key::S) {
        dashboard.actions.push(ShellAction::Screenshot);
    }
    if consume(Key::F) {
        dashboard.actions.push(ShellAction::ToggleFullscreen);
    }
}

fn side_panel_ui(ui: &mut Ui, lab: &mut dyn Lab, actions: &mut Vec<ShellAction>) {
    ui.add_space(6.0);
    ui.label(
        RichText::new(lab.name())
            .heading()
            .color(ui.visuals().strong_text_color()),
    );
    ui.separator();
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            lab.controls_ui(ui);
            ui.add_space(8.0);
            if ui
                .button("Save screenshot")
                .on_hover_text("the whole window as a PNG in the current folder (s)")
                .clicked()
            {
                actions.push(ShellAction::Screenshot);
            }
            ui.add_space(12.0);
            ui.separator();
            keys_help_ui(ui);
        });
}

fn keys_help_ui(ui: &mut Ui) {
    const KEYS: [(&str, &str); 10] = [
        ("space", "pause / resume"),
        ("r", "reset"),
        ("s", "save a screenshot"),
        ("f", "fullscreen"),
        ("q, esc", "quit"),
        ("drag", "rotate (right/shift: pan)"),
        ("wheel", "zoom"),
        ("double-click", "reset view"),
        ("arrows", "rotate a 3D view"),
        ("o", "orthographic / perspective"),
    ];
    ui.label(RichText::new("Keys").strong());
    egui::Grid::new("netviz-keys")
        .num_columns(2)
        .spacing([10.0, 2.0])
        .show(ui, |ui| {
            for (key, what) in KEYS {
                ui.label(RichText::new(key).monospace().weak());
                ui.label(RichText::new(what).weak());
                ui.end_row();
            }
        });
}

fn status_bar_ui(ui: &mut Ui, status: &StatusInfo, dashboard: &mut Dashboard) {
    let now = ui.input(|i| i.time);
    ui.horizontal(|ui| {
        let (text, color) = if status.paused {
            ("paused", Color32::from_rgb(230, 170, 60))
        } else {
            ("running", Color32::from_rgb(90, 200, 120))
        };
        let (dot, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
        ui.painter().circle_filled(dot.center(), 4.0, color);
        ui.label(RichText::new(text).color(color).strong());
        ui.separator();
        ui.label(format!("step {}", status.step));
        ui.separator();
        match status.loss {
            Some(loss) => ui.label(format!("loss {}", format_loss(loss))),
            None => ui.label("loss \u{2013}"),
        };
        ui.separator();
        // A paused, still dashboard redraws only now and then: its frame rate means nothing.
        if status.paused && !dashboard.is_animating() {
            dashboard.frame_secs.clear();
            ui.label("idle");
        } else {
            match dashboard.frame_rate() {
                Some((fps, ms)) => ui.label(format!("{fps:.0} fps ({ms:.1} ms)")),
                None => ui.label("fps \u{2013}"),
            };
        }
        if let Some((text, shown_at)) = &mut dashboard.toast {
            let since = *shown_at.get_or_insert(now);
            if now - since < TOAST_SECS {
                ui.separator();
                ui.label(RichText::new(text.as_str()).color(ui.visuals().warn_fg_color));
            } else {
                dashboard.toast = None;
            }
        }
    });
}

/// A loss with four significant digits, in scientific notation when tiny or huge.
fn format_loss(loss: f32) -> String {
    let magnitude = loss.abs();
    if loss == 0.0 {
        "0".to_string()
    } else if (1e-3..1e4).contains(&magnitude) {
        let decimals = (3 - magnitude.log10().floor() as i32).clamp(0, 6) as usize;
        format!("{loss:.decimals$}")
    } else {
        format!("{loss:.3e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn losses_keep_four_significant_digits() {
        assert_eq!(format_loss(0.0), "0");
        assert_eq!(format_loss(0.012345), "0.01235");
        assert_eq!(format_loss(1.5), "1.500");
        assert_eq!(format_loss(123.456), "123.5");
        assert_eq!(format_loss(2.0e-5), "2.000e-5");
        assert_eq!(format_loss(f32::NAN), "NaN");
    }

    #[test]
    fn frame_rate_averages_the_last_second() {
        let mut dashboard = Dashboard::new();
        assert_eq!(dashboard.frame_rate(), None);
        for _ in 0..200 {
            dashboard.record_frame_time(0.01);
        }
        let (fps, ms) = dashboard.frame_rate().unwrap();
        assert!((fps - 100.0).abs() < 2.0, "{fps}");
        assert!((ms - 10.0).abs() < 0.2, "{ms}");
    }
}
