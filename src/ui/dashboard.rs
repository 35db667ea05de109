//! The dashboard: the one egui layout every host shows (window, headless screenshot, test
//! harness). A menu bar at the top (Lab, File, View, Help), a status bar at the bottom
//! (running/paused, step, loss, frames per second, messages), the lab's controls in a
//! resizable side panel, and the lab's panels as docked tiles in the rest
//! ([`crate::ui::workspace`]).
//!
//! [`dashboard_ui`] only lays out and records: the scenes to render ([`SceneJob`]s) and the
//! host actions asked for by keys and menus ([`ShellAction`]) wait in the [`Dashboard`] for
//! the host to take after the pass.

use std::collections::VecDeque;

use egui::{Color32, Frame, Key, Margin, Modifiers, Panel, Rect, RichText, Ui};

pub use crate::ui::actions::{LabMenuEntry, ShellAction};
use crate::ui::lab::{Lab, PanelSpec, StatusInfo, reborrow};
use crate::ui::layout_file::{LayoutStore, ShellSettings};
use crate::ui::menu::{MenuContext, menu_bar_ui};
use crate::ui::panels::{PanelRect, PanelsOutput, SceneJob, Show};
use crate::ui::timeline_bar::{TimelineBar, timeline_bar_ui};
use crate::ui::workspace::Workspace;

/// How long a status message stays, in seconds.
const TOAST_SECS: f64 = 4.0;
/// Default width of the controls panel, in points (less in small windows).
const SIDE_PANEL_PT: f32 = 250.0;

/// Dashboard state kept across frames.
pub struct Dashboard {
    workspace: Workspace,
    store: Option<LayoutStore>,
    settings: ShellSettings,
    /// The theme applied to the egui context last (`None`: not yet).
    applied_light: Option<bool>,
    lab_menu: Vec<LabMenuEntry>,
    panel_count: usize,
    gpu_panels: usize,
    frame_secs: VecDeque<f32>,
    toast: Option<(String, Option<f64>)>,
    last: PanelsOutput,
    actions: Vec<ShellAction>,
    side_rect: Option<Rect>,
    timeline_bar: TimelineBar,
    /// The side panel shows Run B's controls (while comparing).
    controls_b: bool,
    /// The path typed into File > Open run.
    pub(crate) open_path: String,
    /// The steps File > Export GIF covers: from, and to (`None`: the newest).
    pub(crate) export_steps: (u64, Option<u64>),
}

impl Default for Dashboard {
    fn default() -> Self {
        Self::new()
    }
}

impl Dashboard {
    /// An empty dashboard with no saved layouts; panels appear on the first pass, in the
    /// lab's default layout.
    pub fn new() -> Self {
        Self {
            workspace: Workspace::empty(),
            store: None,
            settings: ShellSettings::default(),
            applied_light: None,
            lab_menu: Vec::new(),
            panel_count: 0,
            gpu_panels: 0,
            frame_secs: VecDeque::new(),
            toast: None,
            last: PanelsOutput::default(),
            actions: Vec::new(),
            side_rect: None,
            timeline_bar: TimelineBar::default(),
            controls_b: false,
            open_path: String::new(),
            export_steps: (0, None),
        }
    }

    /// A dashboard that restores each lab's saved layout (and the theme) from `store` and
    /// saves them there with [`save_layout`](Self::save_layout).
    pub fn with_store(store: LayoutStore) -> Self {
        let mut dashboard = Self::new();
        dashboard.settings = store.load_settings();
        dashboard.store = Some(store);
        dashboard
    }

    /// The labs the Lab menu offers (empty: the menu shows only the current lab).
    pub fn set_lab_menu(&mut self, entries: Vec<LabMenuEntry>) {
        self.lab_menu = entries;
    }

    /// Makes the workspace match `lab`: when the lab or its panel list changed, its saved
    /// layout (or its default one) is laid out anew. Returns whether it was.
    pub fn sync_lab(&mut self, lab: &dyn Lab) -> bool {
        let specs = lab.panels();
        self.panel_count = specs.len();
        if self.workspace.fits(lab.name(), &specs) {
            return false;
        }
        let mut workspace = Workspace::new(lab, &lab.default_layout());
        if let Some(store) = &self.store
            && let Err(message) = store.load_into(&mut workspace)
        {
            eprintln!("warning: {message}");
            self.show_message(message);
        }
        self.workspace = workspace;
        true
    }

    /// Saves the current lab's layout and the theme (when the dashboard has a store).
    pub fn save_layout(&self) -> Result<(), String> {
        let Some(store) = &self.store else {
            return Ok(());
        };
        if !self.workspace.lab().is_empty() {
            store.save(&self.workspace)?;
        }
        store.save_settings(self.settings)
    }

    /// The workspace (tiles, maximized panel, cameras).
    pub fn workspace(&self) -> &Workspace {
        &self.workspace
    }

    /// The workspace, to change it.
    pub fn workspace_mut(&mut self) -> &mut Workspace {
        &mut self.workspace
    }

    /// Puts the lab's panels back in its default layout.
    pub fn reset_layout(&mut self, lab: &dyn Lab) {
        self.workspace.reset(&lab.default_layout());
    }

    /// Whether the light theme is on.
    pub fn is_light(&self) -> bool {
        self.settings.light
    }

    /// Switches between the dark and the light theme.
    pub fn set_light(&mut self, light: bool) {
        self.settings.light = light;
    }

    /// Number of panels of the lab after the last [`sync_lab`](Self::sync_lab).
    pub fn panel_count(&self) -> usize {
        self.panel_count
    }

    /// Tells the dashboard that a GPU side renders and shows the scenes of panels below
    /// `count` (see [`FramePainter::attach`](crate::ui::painter::FramePainter::attach));
    /// until then a scene panel shows a plain rectangle of its scene's background color.
    pub fn attach_scenes(&mut self, count: usize) {
        self.gpu_panels = count;
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

    /// The status bar's message, if one is showing.
    pub fn message(&self) -> Option<&str> {
        self.toast.as_ref().map(|(text, _)| text.as_str())
    }

    /// The steps File > Export GIF covers, from and to.
    pub fn export_range(&self) -> (u64, u64) {
        (self.export_steps.0, self.export_steps.1.unwrap_or(u64::MAX))
    }

    /// Makes File > Export GIF cover steps `from` to `to` (`None`: the newest).
    pub fn set_export_range(&mut self, from: u64, to: Option<u64>) {
        self.export_steps = (from, to);
    }

    /// The scenes recorded by the last pass, to render before painting it.
    pub fn take_scene_jobs(&mut self) -> Vec<SceneJob> {
        std::mem::take(&mut self.last.jobs)
    }

    /// The host actions asked for since the last call.
    pub fn take_actions(&mut self) -> Vec<ShellAction> {
        std::mem::take(&mut self.actions)
    }

    /// Asks the host for `action` (as a key or a menu would).
    pub fn request(&mut self, action: ShellAction) {
        self.actions.push(action);
    }

    /// Where each shown panel's content went in the last pass, in points, in the lab's order.
    /// Panels in a hidden tab, closed or under a maximized one are not listed.
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
    dashboard_ui_with(ui, lab, None, dashboard);
}

/// The whole dashboard for `lab` and, while comparing, its Run B `b`, filling `ui`.
pub fn dashboard_ui_with(
    ui: &mut Ui,
    lab: &mut dyn Lab,
    mut b: Option<&mut dyn Lab>,
    dashboard: &mut Dashboard,
) {
    shortcuts_ui(ui, lab, reborrow(&mut b), dashboard);
    dashboard.sync_lab(lab);
    apply_theme(ui.ctx(), dashboard);
    let specs: Vec<PanelSpec> = lab.panels();
    Panel::top("netviz-menu")
        .frame(Frame::side_top_panel(ui.style()).inner_margin(Margin::symmetric(6, 2)))
        .show(ui, |ui| {
            let mut menu = MenuContext {
                workspace: &mut dashboard.workspace,
                settings: &mut dashboard.settings,
                lab_menu: &dashboard.lab_menu,
                actions: &mut dashboard.actions,
                open_path: &mut dashboard.open_path,
                export_steps: &mut dashboard.export_steps,
            };
            menu_bar_ui(ui, lab, &specs, &mut menu);
        });
    let status = lab.status();
    let b_status = b.as_deref().map(Lab::status);
    Panel::bottom("netviz-status")
        .frame(Frame::side_top_panel(ui.style()).inner_margin(Margin::symmetric(8, 4)))
        .show(ui, |ui| {
            status_bar_ui(ui, &status, b_status.as_ref(), dashboard)
        });
    if let Some(info) = lab.timeline().filter(|t| !t.steps.is_empty()) {
        Panel::bottom("netviz-timeline")
            .frame(Frame::side_top_panel(ui.style()).inner_margin(Margin::symmetric(8, 3)))
            .show(ui, |ui| {
                timeline_bar_ui(
                    ui,
                    lab,
                    reborrow(&mut b),
                    &info,
                    &mut dashboard.timeline_bar,
                );
            });
    }
    if b.is_none() {
        dashboard.controls_b = false;
    }
    let side_pt = (ui.available_width() * 0.22)
        .clamp(180.0, SIDE_PANEL_PT)
        .round();
    let side = Panel::left("netviz-controls")
        .resizable(true)
        .default_size(side_pt)
        .size_range(160.0..=480.0)
        .show(ui, |ui| side_panel_ui(ui, lab, reborrow(&mut b), dashboard));
    dashboard.side_rect = Some(side.response.rect);
    let mut out = PanelsOutput {
        gpu_panels: dashboard.gpu_panels,
        b_offset: specs.len(),
        ..PanelsOutput::default()
    };
    egui::CentralPanel::no_frame().show(ui, |ui| {
        dashboard.workspace.ui(ui, lab, b, &specs, &mut out);
    });
    out.rects.sort_by_key(|r| r.index);
    dashboard.last = out;
}

/// Sets egui's visuals when the theme changed (the first pass included).
fn apply_theme(ctx: &egui::Context, dashboard: &mut Dashboard) {
    let light = dashboard.settings.light;
    if dashboard.applied_light == Some(light) {
        return;
    }
    let visuals = if light {
        egui::Visuals::light()
    } else {
        egui::Visuals::dark()
    };
    ctx.set_visuals(visuals);
    dashboard.applied_light = Some(light);
}

/// Keys that act on the whole app. They are consumed before any widget sees them (so Space
/// never also clicks a focused button), except while a text field has the keyboard.
fn shortcuts_ui(
    ui: &mut Ui,
    lab: &mut dyn Lab,
    mut b: Option<&mut dyn Lab>,
    dashboard: &mut Dashboard,
) {
    if ui.ctx().egui_wants_keyboard_input() {
        return;
    }
    let consume = |key| ui.input_mut(|i| i.consume_key(Modifiers::NONE, key));
    if consume(Key::Q) | consume(Key::Escape) {
        dashboard.actions.push(ShellAction::Quit);
    }
    if consume(Key::Space) {
        lab.toggle_pause();
        if let Some(b) = reborrow(&mut b) {
            b.toggle_pause();
        }
    }
    if consume(Key::R) {
        lab.reset();
        if let Some(b) = reborrow(&mut b) {
            b.reset();
        }
        dashboard.show_message("reset");
    }
    if consume(Key::S) {
        dashboard.actions.push(ShellAction::Screenshot);
    }
    if consume(Key::F) {
        dashboard.actions.push(ShellAction::ToggleFullscreen);
    }
    if consume(Key::G) && lab.timeline().is_some_and(|t| t.steps.len() > 1) {
        dashboard.actions.push(ShellAction::ExportGif);
        dashboard.show_message("exporting the recorded moments as a GIF...");
    }
}

fn side_panel_ui(
    ui: &mut Ui,
    lab: &mut dyn Lab,
    b: Option<&mut dyn Lab>,
    dashboard: &mut Dashboard,
) {
    ui.add_space(6.0);
    ui.label(
        RichText::new(lab.name())
            .heading()
            .color(ui.visuals().strong_text_color()),
    );
    if lab.timeline().is_some() && !lab.is_saved_run() {
        compare_ui(ui, b.is_some(), dashboard);
    }
    ui.separator();
    let shown: &mut dyn Lab = match b {
        Some(b) if dashboard.controls_b => b,
        _ => lab,
    };
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            shown.controls_ui(ui);
            ui.add_space(8.0);
        });
}

/// Run B: start it, choose whose controls the side panel shows and what every panel shows,
/// close it.
fn compare_ui(ui: &mut Ui, comparing: bool, dashboard: &mut Dashboard) {
    if !comparing {
        if ui
            .button("Run B")
            .on_hover_text(
                "start a second run beside this one, with these settings to begin with: change \
                 B's seed, learning rate, size or optimizer in its controls, then compare",
            )
            .clicked()
        {
            dashboard.actions.push(ShellAction::StartRunB);
        }
        return;
    }
    ui.horizontal(|ui| {
        ui.label("controls of");
        ui.selectable_value(&mut dashboard.controls_b, false, "run A");
        ui.selectable_value(&mut dashboard.controls_b, true, "run B");
    });
    ui.horizontal(|ui| {
        ui.label("panels show");
        for show in Show::ALL {
            if ui.button(show.label()).clicked() {
                dashboard.workspace.show_everywhere(show);
            }
        }
        if ui.button("Close B").on_hover_text("stop run B").clicked() {
            dashboard.actions.push(ShellAction::CloseRunB);
        }
    });
}

fn status_bar_ui(
    ui: &mut Ui,
    status: &StatusInfo,
    b: Option<&StatusInfo>,
    dashboard: &mut Dashboard,
) {
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
        if let Some(b) = b {
            let loss = b.loss.map_or("\u{2013}".to_string(), format_loss);
            let state = if b.paused { ", paused" } else { "" };
            ui.label(
                RichText::new(format!("run B: step {}, loss {loss}{state}", b.step))
                    .color(Color32::from_rgb(240, 150, 60)),
            );
            ui.separator();
        }
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
        if let Some(message) = &status.message {
            ui.separator();
            ui.label(RichText::new(message).color(ui.visuals().warn_fg_color));
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
