//! The dataset browser panel: validation images in a grid, each with its true and predicted
//! class from the latest validation pass (mistakes in red), any count from any start, or the
//! mistakes only; clicking one opens it in the activation view.

use egui::{Color32, DragValue, RichText, Ui, UiBuilder};

use crate::data::preprocess::Dataset;
use crate::labs::mnist::analysis::ValidationPass;
use crate::labs::mnist::confusion::thumbnail_ui;

/// Width of one listed image with its caption, in points.
const THUMB_CELL: f32 = 30.0;

/// What the browser lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BrowserState {
    /// Images to skip (among those listed).
    pub start: usize,
    /// Images to list.
    pub count: usize,
    /// List only the misclassified images.
    pub mistakes_only: bool,
}

impl Default for BrowserState {
    fn default() -> Self {
        BrowserState {
            start: 0,
            count: 48,
            mistakes_only: false,
        }
    }
}

/// The validation indices the browser lists.
pub fn listed(pass: &ValidationPass, val: &Dataset, state: &BrowserState) -> Vec<usize> {
    (0..val.len().min(pass.predictions.len()))
        .filter(|&i| !state.mistakes_only || pass.predictions[i] != val.labels[i])
        .skip(state.start)
        .take(state.count)
        .collect()
}

/// The caption under a listed image: `true/predicted`.
pub fn caption(truth: u8, predicted: u8) -> String {
    format!("{truth}/{predicted}")
}

/// Draws the browser; returns the validation index of an image the user clicked.
pub fn browser_ui(
    ui: &mut Ui,
    pass: &ValidationPass,
    val: &Dataset,
    state: &mut BrowserState,
) -> Option<usize> {
    // Wrap inside the panel as it is now (a resizable panel would otherwise grow to fit).
    let area = ui.available_rect_before_wrap().intersect(ui.clip_rect());
    ui.scope_builder(UiBuilder::new().max_rect(area), |ui| {
        list_ui(ui, pass, val, state)
    })
    .inner
}

fn list_ui(
    ui: &mut Ui,
    pass: &ValidationPass,
    val: &Dataset,
    state: &mut BrowserState,
) -> Option<usize> {
    ui.horizontal(|ui| {
        let from = ui.label("from");
        ui.add(DragValue::new(&mut state.start).range(0..=val.len()))
            .labelled_by(from.id);
        let count = ui.label("count");
        ui.add(DragValue::new(&mut state.count).range(1..=val.len().max(1)))
            .labelled_by(count.id);
        ui.checkbox(&mut state.mistakes_only, "mistakes only");
    });
    let mut clicked = None;
    egui::ScrollArea::vertical()
        .auto_shrink([false, true])
        .show(ui, |ui| {
            // Rows of as many images as fit (a vertical item inside `horizontal_wrapped` does
            // not wrap).
            let per_row = ((ui.available_width() / (THUMB_CELL + ui.spacing().item_spacing.x))
                as usize)
                .max(1);
            for row in listed(pass, val, state).chunks(per_row) {
                ui.horizontal(|ui| {
                    for &i in row {
                        let (truth, predicted) = (val.labels[i], pass.predictions[i]);
                        ui.vertical(|ui| {
                            ui.set_width(THUMB_CELL);
                            if thumbnail_ui(ui, val, i).clicked() {
                                clicked = Some(i);
                            }
                            let color = if truth == predicted {
                                ui.visuals().text_color()
                            } else {
                                Color32::from_rgb(240, 90, 80)
                            };
                            ui.label(
                                RichText::new(caption(truth, predicted))
                                    .color(color)
                                    .small(),
                            );
                        });
                    }
                });
            }
        });
    clicked
}
