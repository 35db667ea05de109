//! The menu bar: Lab (switch to another lab in the same window), File (screenshot, the lab's
//! own items such as saving a model, quit), View (open or close each panel, maximize, reset
//! the layout, the theme) and Help (the keys).

use egui::{RichText, Ui};

use crate::ui::actions::{LabMenuEntry, ShellAction};
use crate::ui::lab::{Lab, PanelSpec};
use crate::ui::layout_file::ShellSettings;
use crate::ui::workspace::Workspace;

/// What the menus read and change: the dashboard's parts, lent for one pass.
pub(crate) struct MenuContext<'a> {
    pub(crate) workspace: &'a mut Workspace,
    pub(crate) settings: &'a mut ShellSettings,
    pub(crate) lab_menu: &'a [LabMenuEntry],
    pub(crate) actions: &'a mut Vec<ShellAction>,
    /// The path typed into File > Open run.
    pub(crate) open_path: &'a mut String,
    /// The steps File > Export GIF covers (to: `None` is the newest).
    pub(crate) export_steps: &'a mut (u64, Option<u64>),
}

/// The keys and pointer gestures, as the Help menu lists them.
pub const KEYS: [(&str, &str); 13] = [
    ("space", "pause / resume"),
    ("r", "reset the lab"),
    ("s", "save a screenshot"),
    ("g", "export the recorded moments as a GIF"),
    ("f", "fullscreen"),
    ("q, esc", "quit"),
    ("drag", "rotate a 3D view (2D: pan)"),
    ("right/shift-drag", "pan"),
    ("wheel", "zoom"),
    ("double-click", "reset the view"),
    ("arrows", "rotate a 3D view"),
    ("o", "orthographic / perspective"),
    ("double-click a title", "maximize / restore"),
];

/// The menu bar of `lab`'s dashboard.
pub(crate) fn menu_bar_ui(
    ui: &mut Ui,
    lab: &mut dyn Lab,
    specs: &[PanelSpec],
    menu: &mut MenuContext<'_>,
) {
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("Lab", |ui| lab_menu_ui(ui, lab, menu));
        ui.menu_button("File", |ui| file_menu_ui(ui, lab, menu));
        ui.menu_button("View", |ui| view_menu_ui(ui, lab, specs, menu));
        ui.menu_button("Help", keys_ui);
    });
}

fn lab_menu_ui(ui: &mut Ui, lab: &dyn Lab, menu: &mut MenuContext<'_>) {
    let entries = menu.lab_menu;
    if entries.is_empty() {
        ui.add_enabled(false, egui::Button::new(lab.name()).selected(true));
        return;
    }
    for (index, entry) in entries.iter().enumerate() {
        let current = entry.name == lab.name();
        if ui
            .add(egui::Button::new(&entry.title).selected(current))
            .clicked()
        {
            if !current {
                menu.actions.push(ShellAction::SwitchLab(index));
            }
            ui.close();
        }
    }
}

fn file_menu_ui(ui: &mut Ui, lab: &mut dyn Lab, menu: &mut MenuContext<'_>) {
    if ui
        .add(egui::Button::new("Save screenshot").shortcut_text("s"))
        .on_hover_text("the whole window as a PNG in the current folder")
        .clicked()
    {
        menu.actions.push(ShellAction::Screenshot);
        ui.close();
    }
    let recorded = lab.timeline().map_or(0, |t| t.steps.len());
    if ui
        .add_enabled(
            recorded > 1,
            egui::Button::new("Export GIF").shortcut_text("g"),
        )
        .on_hover_text(format!(
            "the window (or the maximized panel alone) at the recorded moments in the steps below ({recorded} in all, at most {} frames) as an animated GIF in the current folder",
            crate::ui::headless::EXPORT_FRAMES
        ))
        .clicked()
    {
        menu.actions.push(ShellAction::ExportGif);
        ui.close();
    }
    let newest = lab
        .timeline()
        .and_then(|t| t.steps.last().copied())
        .unwrap_or(0);
    ui.horizontal(|ui| {
        let label = ui.label("steps");
        let (from, to) = menu.export_steps;
        let mut last = to.unwrap_or(newest);
        ui.add(egui::DragValue::new(from).range(0..=newest))
            .labelled_by(label.id)
            .on_hover_text("the first step Export GIF covers");
        ui.label("to");
        if ui
            .add(egui::DragValue::new(&mut last).range(*from..=newest.max(*from)))
            .on_hover_text("the last step Export GIF covers (the newest: follows the run)")
            .changed()
        {
            *to = (last < newest).then_some(last);
        }
    });
    ui.separator();
    if ui
        .add_enabled(
            recorded > 0 && !lab.is_saved_run(),
            egui::Button::new("Save run"),
        )
        .on_hover_text(
            "the run's settings, its recorded moments and its model, as one .nvrun file in the current folder (reopen with File > Open run or netviz open FILE)",
        )
        .clicked()
    {
        menu.actions.push(ShellAction::SaveRun);
        ui.close();
    }
    ui.horizontal(|ui| {
        let field = ui.add(
            egui::TextEdit::singleline(menu.open_path)
                .hint_text("run file (.nvrun)")
                .desired_width(160.0),
        );
        let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let open = ui
            .add_enabled(
                !menu.open_path.trim().is_empty(),
                egui::Button::new("Open run"),
            )
            .on_hover_text("open a saved run to scrub it (nothing trains)");
        if (open.clicked() || enter) && !menu.open_path.trim().is_empty() {
            menu.actions.push(ShellAction::OpenRun);
            ui.close();
        }
    });
    ui.separator();
    lab.file_menu_ui(ui);
    ui.separator();
    if ui
        .add(egui::Button::new("Quit").shortcut_text("q"))
        .clicked()
    {
        menu.actions.push(ShellAction::Quit);
        ui.close();
    }
}

fn view_menu_ui(ui: &mut Ui, lab: &dyn Lab, specs: &[PanelSpec], menu: &mut MenuContext<'_>) {
    ui.label(RichText::new("Panels").weak());
    for spec in specs {
        let mut open = menu.workspace.is_open(&spec.id);
        if ui.checkbox(&mut open, &spec.title).changed() {
            let workspace = &mut *menu.workspace;
            if open {
                workspace.open(&spec.id);
            } else {
                workspace.close(&spec.id);
            }
        }
    }
    ui.separator();
    if let Some(id) = menu.workspace.maximized().map(str::to_string) {
        let title = specs
            .iter()
            .find(|s| s.id == id)
            .map_or(id.as_str(), |s| s.title.as_str());
        if ui.button(format!("Restore from {title}")).clicked() {
            menu.workspace.set_maximized(None);
            ui.close();
        }
    }
    if ui.button("Reset layout").clicked() {
        menu.workspace.reset(&lab.default_layout());
        ui.close();
    }
    ui.separator();
    ui.label(RichText::new("Theme").weak());
    let mut light = menu.settings.light;
    ui.horizontal(|ui| {
        ui.radio_value(&mut light, false, "Dark");
        ui.radio_value(&mut light, true, "Light");
    });
    menu.settings.light = light;
}

fn keys_ui(ui: &mut Ui) {
    ui.label(RichText::new("Keys").strong());
    egui::Grid::new("netviz-keys")
        .num_columns(2)
        .spacing([12.0, 2.0])
        .show(ui, |ui| {
            for (key, what) in KEYS {
                ui.label(RichText::new(key).monospace());
                ui.label(what);
                ui.end_row();
            }
        });
}
