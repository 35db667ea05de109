//! The timeline bar under the dashboard, for a lab that records its history
//! ([`Lab::timeline`]): the loss of every recorded moment as a small curve, a handle to drag
//! to any of them, step buttons, playback at a chosen speed, and "Live" back to the present.
//! While the bar has the keyboard focus, the arrow keys step one moment. While a Run B goes
//! on, its curve is drawn over A's (orange over blue, on one step axis) and B follows every
//! move of the handle to its own moment at or before the same step.

use egui::{Color32, Key, Modifiers, Rect, RichText, Sense, Ui, pos2, vec2};

use crate::ui::lab::{Lab, TimelineInfo};

/// Playback speeds, in recorded moments per second.
pub const SPEEDS: [f32; 5] = [2.0, 5.0, 10.0, 30.0, 60.0];

/// The bar's own state across frames.
#[derive(Clone, Debug)]
pub struct TimelineBar {
    /// Playing back the recorded moments.
    pub playing: bool,
    /// Moments per second while playing.
    pub speed: f32,
    /// Time (egui's clock) of the last step of the playback.
    last_step: f64,
}

impl Default for TimelineBar {
    fn default() -> Self {
        TimelineBar {
            playing: false,
            speed: 10.0,
            last_step: 0.0,
        }
    }
}

/// The moment nearest `x` along a bar over `rect` for moments at `steps` (the bar maps steps
/// linearly from the first to the last).
pub fn moment_at(steps: &[u64], rect: Rect, x: f32) -> Option<usize> {
    let span = (*steps.first()?, *steps.last()?);
    moment_at_in(steps, span, rect, x)
}

/// [`moment_at`] on a bar spanning steps `span` (first, last).
fn moment_at_in(steps: &[u64], (first, last): (u64, u64), rect: Rect, x: f32) -> Option<usize> {
    if steps.is_empty() {
        return None;
    }
    let span = last.saturating_sub(first).max(1) as f32;
    let step = first as f32 + ((x - rect.left()) / rect.width().max(1.0)).clamp(0.0, 1.0) * span;
    (0..steps.len()).min_by(|&a, &b| {
        (steps[a] as f32 - step)
            .abs()
            .total_cmp(&(steps[b] as f32 - step).abs())
    })
}

/// X of a moment at `step` on a bar over `rect`.
pub fn x_of(steps: &[u64], rect: Rect, step: u64) -> f32 {
    let span = (
        steps.first().copied().unwrap_or(0),
        steps.last().copied().unwrap_or(0),
    );
    x_in(span, rect, step)
}

/// X of `step` on a bar over `rect` spanning steps `span` (first, last).
fn x_in((first, last): (u64, u64), rect: Rect, step: u64) -> f32 {
    let span = last.saturating_sub(first).max(1) as f32;
    rect.left() + rect.width() * (step.saturating_sub(first)) as f32 / span
}

/// The steps a bar spans: from the first to the last moment of `a` and `b`.
fn span_of(a: &TimelineInfo, b: Option<&TimelineInfo>) -> (u64, u64) {
    let ends = |t: &TimelineInfo| {
        (
            t.steps.first().copied().unwrap_or(0),
            t.steps.last().copied().unwrap_or(0),
        )
    };
    let (mut first, mut last) = ends(a);
    if let Some(b) = b.filter(|b| !b.steps.is_empty()) {
        let (f, l) = ends(b);
        first = first.min(f);
        last = last.max(l);
    }
    (first, last)
}

/// The moment of `steps` to show beside a moment at `step`: the last at or before it (the
/// first when all are after it).
pub fn moment_at_or_before(steps: &[u64], step: u64) -> usize {
    steps.partition_point(|&s| s <= step).saturating_sub(1)
}

/// Makes Run B show the moment beside A's moment `a` (`None`: the present).
pub fn follow(b: &mut dyn Lab, a: &TimelineInfo, index: Option<usize>) {
    let target = match index.and_then(|i| a.steps.get(i)) {
        None => None,
        Some(&step) => {
            let Some(info) = b.timeline().filter(|t| !t.steps.is_empty()) else {
                return;
            };
            Some(moment_at_or_before(&info.steps, step))
        }
    };
    b.seek(target);
}

/// Draws the bar for `lab` (whose history is `info`) and applies what the user does.
pub fn timeline_bar_ui(
    ui: &mut Ui,
    lab: &mut dyn Lab,
    b: Option<&mut dyn Lab>,
    info: &TimelineInfo,
    bar: &mut TimelineBar,
) {
    let n = info.steps.len();
    if n == 0 {
        return;
    }
    let b_info = b.as_deref().and_then(Lab::timeline);
    let span = span_of(info, b_info.as_ref());
    let now = ui.input(|i| i.time);
    let mut seek: Option<Option<usize>> = None;
    // A step to land on exactly, recorded or not (where the lab can recompute it).
    let mut seek_step: Option<u64> = None;
    let current = info.cursor;
    ui.horizontal(|ui| {
        let live = current.is_none();
        if ui
            .selectable_label(live, RichText::new("Live").strong())
            .on_hover_text("show the present; training goes on either way")
            .clicked()
        {
            seek = Some(None);
            bar.playing = false;
        }
        let at = current.unwrap_or(n - 1);
        if ui
            .button("<")
            .on_hover_text("one moment back (←)")
            .clicked()
        {
            seek = Some(Some(at.saturating_sub(1)));
        }
        if ui.button(">").on_hover_text("one moment on (→)").clicked() {
            seek = Some(if at + 1 >= n { None } else { Some(at + 1) });
        }
        let play = if bar.playing { "Stop" } else { "Play back" };
        if ui.button(play).clicked() {
            bar.playing = !bar.playing;
            bar.last_step = now;
            if bar.playing && current.is_none() {
                seek = Some(Some(0));
            }
        }
        egui::ComboBox::new("netviz-timeline-speed", "speed")
            .width(70.0)
            .selected_text(format!("{}/s", bar.speed))
            .show_ui(ui, |ui| {
                for s in SPEEDS {
                    ui.selectable_value(&mut bar.speed, s, format!("{s} moments/s"));
                }
            });
        let shown = info
            .computed_step
            .unwrap_or_else(|| current.map_or(*info.steps.last().unwrap_or(&0), |c| info.steps[c]));
        let label = match (current, info.computed_step) {
            (None, _) => "live".to_string(),
            (Some(_), Some(_)) => "between moments, recomputed".to_string(),
            (Some(c), None) => format!("moment {} of {n}", c + 1),
        };
        let memory = format!(
            "{n} moments, {:.1} of {:.0} MiB",
            info.bytes as f64 / f64::from(1u32 << 20),
            info.budget as f64 / f64::from(1u32 << 20)
        );
        let mut typed = shown;
        let last_step = span.1.max(info.steps.last().copied().unwrap_or(0));
        let field = ui
            .add(
                egui::DragValue::new(&mut typed)
                    .range(span.0..=last_step)
                    .prefix("step "),
            )
            .on_hover_text("go to any step: one between two recorded moments is recomputed from the moment before it where the lab can");
        if field.changed() {
            seek_step = Some(typed);
            bar.playing = false;
        }
        let right = ui.available_width();
        // Taller while two curves share it.
        let height = if b_info.is_some() { 34.0 } else { 22.0 };
        let (rect, response) = ui.allocate_exact_size(
            vec2((right - 300.0).max(120.0), height),
            Sense::click_and_drag(),
        );
        paint_bar(ui, rect, span, info, b_info.as_ref());
        if let Some(pos) = response.interact_pointer_pos()
            && (response.dragged() || response.clicked())
        {
            seek = Some(moment_at_in(&info.steps, span, rect, pos.x));
            bar.playing = false;
            response.request_focus();
            if response.clicked() || response.drag_stopped() {
                seek_step = Some(step_at(span, rect, pos.x));
            }
        }
        if response.has_focus() {
            let (left, right) = ui.input_mut(|i| {
                (
                    i.consume_key(Modifiers::NONE, Key::ArrowLeft),
                    i.consume_key(Modifiers::NONE, Key::ArrowRight),
                )
            });
            if left {
                seek = Some(Some(at.saturating_sub(1)));
            }
            if right {
                seek = Some(if at + 1 >= n { None } else { Some(at + 1) });
            }
        }
        response.on_hover_text(
            "drag through the recorded moments; let go or click to land on that very step; ← → step one moment when the bar has focus",
        );
        ui.label(label);
        ui.label(RichText::new(memory).small());
    });
    if bar.playing {
        let at = current.unwrap_or(0);
        let due = ((now - bar.last_step) * f64::from(bar.speed)).floor() as usize;
        if due > 0 {
            bar.last_step = now;
            let next = at + due;
            if next >= n {
                bar.playing = false;
                seek = Some(None);
            } else {
                seek = Some(Some(next));
            }
        }
        ui.ctx().request_repaint();
    }
    if let Some(step) = seek_step {
        lab.seek_step(step);
        if let Some(b) = b {
            b.seek_step(step);
        }
    } else if let Some(target) = seek {
        lab.seek(target);
        if let Some(b) = b {
            follow(b, info, target);
        }
    }
}

/// The step under `x` on a bar over `rect` spanning `span`.
fn step_at((first, last): (u64, u64), rect: Rect, x: f32) -> u64 {
    let t = ((x - rect.left()) / rect.width().max(1.0)).clamp(0.0, 1.0);
    first + (f64::from(t) * last.saturating_sub(first) as f64).round() as u64
}

/// Run A's color on the bar (and in the panels' badges).
pub const A_COLOR: Color32 = Color32::from_rgb(110, 160, 230);
/// Run B's color.
pub const B_COLOR: Color32 = Color32::from_rgb(240, 150, 60);

/// The finite, positive losses of `info` as (step, ln loss).
fn log_losses(info: &TimelineInfo) -> Vec<(u64, f32)> {
    info.steps
        .iter()
        .zip(&info.losses)
        .filter_map(|(&s, l)| l.filter(|v| v.is_finite() && *v > 0.0).map(|v| (s, v.ln())))
        .collect()
}

/// The curves of the moments' losses (log scale, A and B on one scale) and the handle.
fn paint_bar(ui: &Ui, rect: Rect, span: (u64, u64), info: &TimelineInfo, b: Option<&TimelineInfo>) {
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 3.0, ui.visuals().extreme_bg_color);
    let curves: Vec<(Vec<(u64, f32)>, Color32)> = std::iter::once((log_losses(info), A_COLOR))
        .chain(b.map(|b| (log_losses(b), B_COLOR)))
        .collect();
    let (lo, hi) = curves
        .iter()
        .flat_map(|(c, _)| c.iter())
        .fold((f32::MAX, f32::MIN), |(a, b), &(_, v)| (a.min(v), b.max(v)));
    let range = (hi - lo).max(1e-6);
    for (losses, color) in &curves {
        if losses.len() < 2 {
            continue;
        }
        let points: Vec<egui::Pos2> = losses
            .iter()
            .map(|&(s, v)| {
                pos2(
                    x_in(span, rect, s),
                    rect.bottom() - 3.0 - (rect.height() - 6.0) * (v - lo) / range,
                )
            })
            .collect();
        painter.add(egui::Shape::line(points, (1.0, *color)));
    }
    if b.is_some() {
        for (k, (text, color)) in [("A", A_COLOR), ("B", B_COLOR)].into_iter().enumerate() {
            painter.text(
                pos2(rect.right() - 22.0 + 11.0 * k as f32, rect.top() + 1.0),
                egui::Align2::LEFT_TOP,
                text,
                egui::FontId::proportional(10.0),
                color,
            );
        }
    }
    let step = info.computed_step.unwrap_or_else(|| {
        info.cursor
            .map_or(*info.steps.last().unwrap_or(&0), |c| info.steps[c])
    });
    let x = x_in(span, rect, step);
    let color = if info.cursor.is_some() {
        Color32::from_rgb(255, 200, 60)
    } else {
        Color32::from_rgb(90, 200, 120)
    };
    painter.line_segment([pos2(x, rect.top()), pos2(x, rect.bottom())], (2.0, color));
    painter.circle_filled(pos2(x, rect.center().y), 5.0, color);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pointer_lands_on_the_nearest_recorded_moment() {
        let rect = Rect::from_min_size(pos2(100.0, 0.0), vec2(200.0, 20.0));
        let steps = [0, 10, 20, 100];
        assert_eq!(moment_at(&steps, rect, 100.0), Some(0));
        assert_eq!(moment_at(&steps, rect, 300.0), Some(3));
        assert_eq!(moment_at(&steps, rect, 118.0), Some(1));
        assert_eq!(moment_at(&steps, rect, 250.0), Some(3));
        assert_eq!(moment_at(&steps, rect, -50.0), Some(0));
        assert_eq!(moment_at(&[], rect, 150.0), None);
        assert_eq!(x_of(&steps, rect, 50), 200.0);
    }
}
