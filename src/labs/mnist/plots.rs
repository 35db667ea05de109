//! The MNIST lab's plots: the training curves (batch and validation loss, accuracy and the
//! macro scores per epoch) and the optimizer panel (update-to-weight ratios per layer and the
//! latest batch's step sizes), each with a line of the latest figures in words. Legends go
//! where they cover no data ([`crate::labs::plot`]).

use egui::{Color32, Ui};
use egui_plot::Plot;

use crate::labs::mnist::snapshot::{BatchPoint, MnistSnapshot};
use crate::labs::plot::{Series, SeriesKind, label_height, palette, plot_ui};
use crate::nn::optim::StepSizes;
use crate::train::Evaluation;

/// The color of the learning rate in the optimizer's plots.
const LR_COLOR: Color32 = Color32::from_gray(200);

/// Points per plotted line at most: longer series are thinned to every n-th point (and the
/// last), so a long training does not slow the frames down.
pub const MAX_PLOT_POINTS: usize = 800;

/// Every n-th item of `items` and the last, at most about [`MAX_PLOT_POINTS`] of them.
pub fn thinned<T>(items: &[T]) -> impl Iterator<Item = &T> {
    let every = items.len().div_ceil(MAX_PLOT_POINTS).max(1);
    let last = items.len().saturating_sub(1);
    items
        .iter()
        .enumerate()
        .filter(move |(i, _)| i % every == 0 || *i == last)
        .map(|(_, item)| item)
}

/// The curves panel: the loss of every batch (thinned) and its smoothed value with the
/// validation loss per epoch; below, the smoothed batch accuracy with the validation accuracy,
/// macro precision and macro F1 per epoch; and [`epoch_line`] in words.
pub fn curves_ui(ui: &mut Ui, snap: &MnistSnapshot) {
    let at = |e: usize| snap.epoch_steps.get(e).copied().unwrap_or(0) as f64;
    let per_epoch = |f: fn(&Evaluation) -> f64| -> Vec<[f64; 2]> {
        snap.epochs
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.validation.as_ref().map(|v| [at(i), f(v)]))
            .collect()
    };
    let batches = |f: fn(&BatchPoint) -> f32| -> Vec<[f64; 2]> {
        thinned(&snap.batches)
            .map(|b| [b.step as f64, f64::from(f(b))])
            .collect()
    };
    let words = epoch_line(snap);
    let spacing = ui.spacing().item_spacing.y;
    let height = (ui.available_height() - label_height(ui, &words) - 3.0 * spacing) / 2.0;
    let loss = vec![
        Series::new(
            "batch",
            Color32::from_gray(110),
            SeriesKind::Line,
            batches(|b| b.loss),
        ),
        Series::new(
            "smoothed",
            palette(0),
            SeriesKind::Line,
            batches(|b| b.smoothed_loss),
        ),
        Series::new(
            "validation",
            palette(1),
            SeriesKind::Points(4.0),
            per_epoch(|v| v.loss),
        ),
    ];
    plot_ui(
        ui,
        Plot::new("mnist-loss").y_axis_label("loss"),
        "loss",
        height.max(40.0),
        loss,
    );
    let accuracy = vec![
        Series::new(
            "train (smoothed)",
            palette(0),
            SeriesKind::Line,
            batches(|b| b.smoothed_accuracy),
        ),
        Series::new(
            "val accuracy",
            palette(1),
            SeriesKind::Points(4.0),
            per_epoch(|v| v.metrics.accuracy),
        ),
        Series::new(
            "val precision",
            palette(2),
            SeriesKind::Points(3.0),
            per_epoch(|v| v.metrics.macro_precision),
        ),
        Series::new(
            "val F1",
            palette(3),
            SeriesKind::Points(3.0),
            per_epoch(|v| v.metrics.macro_f1),
        ),
    ];
    plot_ui(
        ui,
        Plot::new("mnist-accuracy")
            .x_axis_label("batch")
            .y_axis_label("accuracy"),
        "accuracy",
        height.max(40.0),
        accuracy,
    );
    ui.label(words);
}

/// The optimizer panel: per weighted layer, log10 of the update-to-weight ratio of every
/// batch, the 1e-3 rule of thumb and the learning rate; below, the distribution of the latest
/// batch's step sizes per layer ([`step_size_share`]); and the latest figures in words. A
/// layer has the same color in both plots.
pub fn optimizer_ui(ui: &mut Ui, snap: &MnistSnapshot) {
    let log = |v: f32| f64::from(v.max(1e-12)).log10();
    let ratios = ratio_line(snap);
    let steps = if snap.step_sizes.is_empty() {
        "step sizes: recorded by Adam only".to_string()
    } else {
        step_size_line(snap)
    };
    let spacing = ui.spacing().item_spacing.y;
    let text = label_height(ui, &ratios) + label_height(ui, &steps);
    let plots = if snap.step_sizes.is_empty() { 1.0 } else { 2.0 };
    let height = (ui.available_height() - text - 4.0 * spacing) / plots;
    let mut series: Vec<Series> = snap
        .weighted_layers
        .iter()
        .enumerate()
        .map(|(k, name)| {
            Series::new(
                name.as_str(),
                palette(k),
                SeriesKind::Line,
                thinned(&snap.update_ratios)
                    .filter_map(|r| Some([r.step as f64, log(*r.ratios.get(k)?)])),
            )
        })
        .collect();
    series.push(Series::new(
        "lr",
        LR_COLOR,
        SeriesKind::Line,
        thinned(&snap.batches).map(|b| [b.step as f64, log(b.learning_rate)]),
    ));
    series.push(Series::new(
        "1e-3",
        Color32::from_gray(120),
        SeriesKind::HLine(-3.0),
        [],
    ));
    plot_ui(
        ui,
        Plot::new("mnist-optimizer")
            .x_axis_label("batch")
            .y_axis_label("log10 ratio"),
        "ratios",
        height.max(40.0),
        series,
    );
    ui.label(ratios);
    if !snap.step_sizes.is_empty() {
        let mut series: Vec<Series> = snap
            .weighted_layers
            .iter()
            .zip(&snap.step_sizes)
            .enumerate()
            .map(|(k, (name, sizes))| {
                Series::new(
                    name.as_str(),
                    palette(k),
                    SeriesKind::Steps,
                    step_size_share(sizes)
                        .into_iter()
                        .flat_map(|(lo, hi, share)| [[lo, share], [hi, share]]),
                )
            })
            .collect();
        if let Some(b) = snap.batches.last() {
            series.push(Series::new(
                "lr",
                LR_COLOR,
                SeriesKind::VLine(log(b.learning_rate)),
                [],
            ));
        }
        plot_ui(
            ui,
            Plot::new("mnist-step-sizes")
                .x_axis_label("log10 |step| of the latest batch")
                .y_axis_label("share"),
            "steps",
            height.max(40.0),
            series,
        );
    }
    ui.label(steps);
}

/// The histogram of one layer's step sizes on a log10 axis: every power-of-two bin from the
/// smallest to the largest non-empty one as (log10 of its lower edge, log10 of its upper
/// edge, share of the moving weights in it). Weights that did not move are left out.
pub fn step_size_share(sizes: &StepSizes) -> Vec<(f64, f64, f64)> {
    let counts = sizes.counts();
    let moving = (sizes.total() - u64::from(sizes.zeros())).max(1) as f64;
    let used: Vec<usize> = (1..255).filter(|&b| counts[b] > 0).collect();
    let (Some(&first), Some(&last)) = (used.first(), used.last()) else {
        return Vec::new();
    };
    (first..=last)
        .map(|b| {
            let lo = f64::from(StepSizes::lower_edge(b)).log10();
            (
                lo,
                lo + std::f64::consts::LOG10_2,
                f64::from(counts[b]) / moving,
            )
        })
        .collect()
}

/// The latest batch's median step size of every weighted layer, e.g.
/// `median |step|: 0 conv2d 2.4e-4  3 conv2d 1.2e-4 ...` (each the lower edge of the
/// power-of-two bin holding the median).
pub fn step_size_line(snap: &MnistSnapshot) -> String {
    let parts: Vec<String> = snap
        .weighted_layers
        .iter()
        .zip(&snap.step_sizes)
        .filter_map(|(n, s)| Some(format!("{n} {:.1e}", s.quantile(0.5)?)))
        .collect();
    format!("median |step|: {}", parts.join("  "))
}

/// The latest update-to-weight ratio of every weighted layer, e.g.
/// `latest |dw|/|w|: 0 conv2d 2.1e-3  3 conv2d 1.4e-3 ...`.
pub fn ratio_line(snap: &MnistSnapshot) -> String {
    match snap.update_ratios.last() {
        None => "no batch trained yet".into(),
        Some(r) => {
            let parts: Vec<String> = snap
                .weighted_layers
                .iter()
                .zip(r.ratios.iter())
                .map(|(n, v)| format!("{n} {v:.1e}"))
                .collect();
            format!("latest |dw|/|w|: {}", parts.join("  "))
        }
    }
}

/// The line under the curves: the latest validation figures and the patience counter.
pub fn epoch_line(snap: &MnistSnapshot) -> String {
    match snap.epochs.last() {
        None => format!("epoch {}: no validation yet", snap.epoch),
        Some(e) => {
            let v = e
                .validation
                .as_ref()
                .map(|v| {
                    format!(
                        "val loss {:.4}  accuracy {:.4}  macro precision {:.4}  macro F1 {:.4}",
                        v.loss, v.metrics.accuracy, v.metrics.macro_precision, v.metrics.macro_f1
                    )
                })
                .unwrap_or_else(|| "no validation split".into());
            format!(
                "epoch {}: {v}  patience {}/{}",
                e.epoch, e.epochs_without_improvement, e.patience
            )
        }
    }
}
