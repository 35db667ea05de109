//! The MNIST lab's side panel: training (pause, reset, the live learning rate, saving),
//! restarting with other settings and the config picker, the image the views show, the
//! filter-pass player and the draw-a-digit canvas.

use std::sync::Arc;

use egui::{DragValue, RichText, Slider, Ui};

use crate::labs::mnist::drawing::{canvas_ui, preprocess};
use crate::labs::mnist::filter_pass::FilterPass;
use crate::labs::mnist::lab::{MnistLab, PassPlayer};
use crate::labs::mnist::session::MnistCommand;
use crate::nn::OptimizerKind;
use crate::nn::config::{InputSpec, ModelConfig};
use crate::ui::Lab;

impl MnistLab {
    pub(super) fn training_controls_ui(&mut self, ui: &mut Ui) {
        let snap = Arc::clone(&self.live);
        ui.label(RichText::new("Training").strong());
        ui.add_enabled_ui(self.saved_run.is_none(), |ui| {
            ui.horizontal(|ui| {
                let label = if snap.paused { "Resume" } else { "Pause" };
                if ui.button(label).on_hover_text("Space").clicked() {
                    self.toggle_pause();
                }
                if ui.button("Reset").on_hover_text("r: same seed").clicked() {
                    self.reset();
                }
            });
            let lr = ui.add(
                Slider::new(&mut self.learning_rate, 1e-5..=1.0)
                    .logarithmic(true)
                    .text("learning rate"),
            );
            if lr.changed() {
                self.send(MnistCommand::SetLearningRate(self.learning_rate));
            }
        });
        ui.label(format!("in use: {:.2e}", snap.learning_rate));
        if let Some(stop) = &snap.stop {
            ui.label(stop.to_string());
        }
        ui.horizontal(|ui| {
            if ui.button("Save model").clicked() {
                self.save_model();
            }
            ui.add(egui::TextEdit::singleline(&mut self.model_path))
                .on_hover_text("where Save model writes")
                .widget_info(|| {
                    egui::WidgetInfo::labeled(egui::Role::TextInput, true, "model file")
                });
        });
        if let Some(m) = &snap.message {
            ui.label(m);
        }
        if let Some(e) = snap.error.as_ref().or(self.message.as_ref()) {
            ui.colored_label(egui::Color32::from_rgb(240, 120, 100), e);
        }
    }

    /// The filter pass of the newest snapshot with the chosen filter.
    pub fn filter_pass(&self) -> Option<FilterPass> {
        let snap = &self.latest;
        FilterPass::first_conv(
            &snap.config,
            snap.probe.as_deref()?,
            &snap.filters,
            self.pass.filter,
        )
    }

    /// The filter pass's playback.
    pub fn pass_player(&mut self) -> &mut PassPlayer {
        &mut self.pass
    }

    pub(super) fn pass_controls_ui(&mut self, ui: &mut Ui) {
        let Some(pass) = self.filter_pass() else {
            return;
        };
        let filters = self.latest.filters.first().map_or(1, |f| f.out_channels);
        ui.label(RichText::new("Filter pass").strong());
        ui.horizontal(|ui| {
            let label = if self.pass.playing { "Pause" } else { "Play" };
            if ui.button(label).clicked() {
                self.pass.playing = !self.pass.playing;
            }
            let f = ui.label("filter");
            ui.add(DragValue::new(&mut self.pass.filter).range(0..=filters - 1))
                .labelled_by(f.id);
        });
        ui.add(
            Slider::new(&mut self.pass.speed, 1.0..=200.0)
                .logarithmic(true)
                .text("steps/s"),
        );
        let mut step = self.pass.step as usize;
        if ui
            .add(Slider::new(&mut step, 0..=pass.steps().saturating_sub(1)).text("step"))
            .changed()
        {
            self.pass.step = step as f32;
            self.pass.playing = false;
        }
    }

    /// Settings that need a fresh model and data: edited here, applied by "Restart".
    pub(super) fn restart_controls_ui(&mut self, ui: &mut Ui) {
        egui::CollapsingHeader::new("Restart with other settings").show(ui, |ui| {
            self.config_picker_ui(ui);
            let c = &mut self.settings;
            ui.add(
                DragValue::new(&mut c.epochs)
                    .range(1..=1000)
                    .prefix("epochs "),
            );
            ui.add(
                DragValue::new(&mut c.patience)
                    .range(1..=1000)
                    .prefix("patience "),
            );
            ui.add(
                DragValue::new(&mut c.batch_size)
                    .range(1..=4096)
                    .prefix("batch "),
            );
            ui.add(DragValue::new(&mut c.seed).prefix("seed "));
            ui.add(
                Slider::new(&mut c.percent_of_train_data_to_use, 0.01..=1.0)
                    .text("share of the data"),
            );
            if let InputSpec::Image { size, .. } = &mut c.input {
                ui.add(DragValue::new(size).range(6..=28).prefix("input size "));
            }
            let mut lr = c.learning_rate;
            if ui
                .add(
                    Slider::new(&mut lr, 1e-5..=1.0)
                        .logarithmic(true)
                        .text("initial learning rate"),
                )
                .changed()
            {
                c.learning_rate = lr;
            }
            egui::ComboBox::from_label("optimizer")
                .selected_text(format!("{:?}", c.optimizer))
                .show_ui(ui, |ui| {
                    for kind in [OptimizerKind::Adam, OptimizerKind::Sgd] {
                        ui.selectable_value(&mut c.optimizer, kind, format!("{kind:?}"));
                    }
                });
            if ui.button("Restart").clicked() {
                match self.settings.validate() {
                    Ok(()) => {
                        let config = Box::new(self.settings.clone());
                        self.learning_rate = config.learning_rate;
                        self.send(MnistCommand::Restart(config));
                    }
                    Err(e) => self.message = Some(format!("not restarted: {e}")),
                }
            }
        });
    }

    /// Chooses a config file (the shipped ones and the user's, or any path) whose settings
    /// "Restart" then uses, and loads a saved model into the views.
    pub(super) fn config_picker_ui(&mut self, ui: &mut Ui) {
        let known = config_files();
        egui::ComboBox::from_label("config")
            .selected_text(
                std::path::Path::new(&self.config_path)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            )
            .show_ui(ui, |ui| {
                for path in &known {
                    let text = path.display().to_string();
                    ui.selectable_value(&mut self.config_path, text.clone(), text);
                }
            });
        ui.horizontal(|ui| {
            ui.add(egui::TextEdit::singleline(&mut self.config_path).desired_width(150.0))
                .on_hover_text("config file (the original JSON schema)");
            if ui.button("Load config").clicked() {
                self.message = Some(match ModelConfig::from_file(&self.config_path) {
                    Ok(config) => {
                        self.settings = config;
                        format!("{} loaded: Restart applies it", self.config_path)
                    }
                    Err(e) => format!("not loaded: {e}"),
                });
            }
        });
        ui.horizontal(|ui| {
            ui.add(egui::TextEdit::singleline(&mut self.load_path).desired_width(150.0))
                .on_hover_text("model file (safetensors with its config)");
            if ui.button("Load model").clicked() {
                self.send(MnistCommand::LoadModel(self.load_path.clone().into()));
            }
        });
        ui.separator();
    }

    pub(super) fn image_controls_ui(&mut self, ui: &mut Ui) {
        let snap = Arc::clone(&self.latest);
        ui.label(RichText::new("Activations of").strong());
        ui.horizontal(|ui| {
            let label = ui.label("validation image");
            let last = snap.val.len().saturating_sub(1);
            // A saved run recorded one image's activations; the model to show another is
            // not there.
            if ui
                .add_enabled(
                    self.saved_run.is_none(),
                    DragValue::new(&mut self.image).range(0..=last),
                )
                .labelled_by(label.id)
                .changed()
            {
                self.send(MnistCommand::SelectImage(self.image));
            }
        });
        if let Some(p) = &snap.probe {
            let label = p
                .label
                .map_or("drawing".to_string(), |l| format!("label {l}"));
            ui.label(format!(
                "{label}, predicted {} ({:.1}%)",
                p.predicted(),
                100.0 * p.probabilities.get(p.predicted()).copied().unwrap_or(0.0)
            ));
        }
    }

    /// The canvas and the model's probabilities for the drawing (also in the activation view).
    pub(super) fn draw_ui(&mut self, ui: &mut Ui) {
        let snap = Arc::clone(&self.latest);
        if let Some(p) = snap.probe.as_ref().filter(|p| p.label.is_none()) {
            let best = p.predicted();
            ui.label(format!(
                "predicted {best} ({:.1}%)",
                100.0 * p.probabilities.get(best).copied().unwrap_or(0.0)
            ));
        }
        if canvas_ui(ui, &mut self.canvas) {
            let side = snap.val.side.max(1);
            if self.canvas.is_blank() {
                self.send(MnistCommand::SelectImage(self.image));
            } else {
                self.send(MnistCommand::ShowDrawing(preprocess(&self.canvas, side)));
            }
        }
    }
}

/// The config files offered by the picker: the shipped ones and the user's, where they exist.
pub fn config_files() -> Vec<std::path::PathBuf> {
    let mut found: Vec<std::path::PathBuf> = std::fs::read_dir("assets/configs")
        .map(|dir| {
            dir.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    let user = std::path::PathBuf::from("config/user_cnn_params.json");
    if user.is_file() {
        found.push(user);
    }
    found
}
