//! [`AttentionLab`]: the attention lab the shell hosts. Its thread ([`AttentionSession`])
//! trains the transformer; this side keeps what the user looks at (the probe sequence, the
//! chosen head and query, which heads are on, the colormap) and traces the probe through the
//! newest model whenever either changes, so an edited probe or a head switched off shows in
//! every view at once. A saved run ([`AttentionLab::open_run`]) shows its recorded moments
//! with no thread behind them; its views still trace any probe through the model of the
//! moment shown.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use egui::{Color32, ComboBox, DragValue, RichText, Slider, Ui};
use egui_plot::Plot;
use glam::Vec2;

use crate::data::tasks::{Probe, TaskKind};
use crate::labs::LabError;
use crate::labs::attention::scenes::{
    self, EmbeddingSource, LinesFocus, MapsShown, WEIGHT_RANGE, head_color,
};
use crate::labs::attention::session::{
    AttentionCommand, AttentionSession, AttentionSettings, AttentionSnapshot,
};
use crate::labs::attention::views::{self, head_computation};
use crate::labs::plot::{Series, SeriesKind, palette, plot_ui};
use crate::labs::run_file::{
    self, RunFile, RunToSave, command_refused, saved_run_status, saved_run_ui,
};
use crate::labs::thread::{LabThread, run_session};
use crate::labs::timeline::{DEFAULT_BUDGET, Timeline};
use crate::labs::unproject_2d;
use crate::nn::transformer::{HeadMask, Trace};
use crate::render::colormap::colormap_rgba;
use crate::render::{Colormap, Scene};
use crate::ui::{Lab, Layout, PanelKind, PanelSpec, SceneView, StatusInfo, TimelineInfo};

crate::lab_panels! {
    /// The attention lab's panels, in the order [`AttentionLab`] lists them.
    pub enum Panel {
        /// Every layer x head's attention map on the probe.
        Maps = ("maps", "Attention maps"),
        /// BertViz-style lines from queries to keys.
        Lines = ("lines", "Lines"),
        /// The top candidates at every position.
        Predictions = ("predictions", "Predictions"),
        /// Loss and accuracies, and the chosen head's filmstrip.
        Learning = ("learning", "Learning"),
        /// Embeddings (or queries and keys) in 3D.
        Embedding = ("embedding", "Embedding 3D"),
        /// Switch heads off and see what each is worth.
        Heads = ("heads", "Heads matter"),
        /// One head's scores, mask, softmax and weighted sum.
        Inside = ("inside", "Inside one head"),
    }
}

/// Moments a run trained before the thread starts is recorded at (plus its first and last).
pub const HEADLESS_MOMENTS: u64 = 120;

/// How the attention lab starts.
#[derive(Clone, Debug, Default)]
pub struct AttentionLabOptions {
    /// The settings.
    pub settings: AttentionSettings,
    /// Start paused.
    pub paused: bool,
    /// Train this many steps before the thread starts (a headless picture's run).
    pub steps_before: u64,
}

/// What the user looks at.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewState {
    /// The chosen block (enlarged map, lines, filmstrip, inside one head).
    pub layer: usize,
    /// The chosen head.
    pub head: usize,
    /// The maps view shows only the chosen head, enlarged.
    pub enlarged: bool,
    /// The query position of "inside one head".
    pub query: usize,
    /// The lines view shows only the chosen head (else every head of the chosen block).
    pub lines_one_head: bool,
    /// What the lines view isolates (the token under the pointer).
    pub lines_focus: LinesFocus,
    /// What the 3D view projects.
    pub embedding: EmbeddingSource,
    /// The heatmaps' colormap (both colour-blind safe).
    pub colormap: Colormap,
}

impl Default for ViewState {
    fn default() -> Self {
        ViewState {
            layer: 0,
            head: 0,
            enlarged: false,
            query: 12,
            lines_one_head: false,
            lines_focus: LinesFocus::All,
            embedding: EmbeddingSource::Tokens,
            colormap: Colormap::Viridis,
        }
    }
}

/// The attention lab.
pub struct AttentionLab {
    thread: LabThread<Arc<AttentionSnapshot>, AttentionCommand>,
    /// The snapshot the views show: the newest, or a recorded one while scrubbing.
    latest: Arc<AttentionSnapshot>,
    /// The newest snapshot.
    live: Arc<AttentionSnapshot>,
    timeline: Timeline<AttentionSnapshot>,
    controls: AttentionSettings,
    view: ViewState,
    probe: Probe,
    probe_text: String,
    probe_error: Option<String>,
    heads: HeadMask,
    trace: Option<(TraceKey, Arc<Trace>)>,
    file_path: String,
    /// The pointer was over a token of the lines view during the last frame.
    lines_hovered: bool,
    /// The outcome of the latest command done on this side (or refused).
    message: Option<String>,
    /// The run file shown, when the lab shows a saved run instead of training.
    saved_run: Option<PathBuf>,
}

/// What a trace depends on.
type TraceKey = (u64, u64, Vec<u32>, HeadMask);

impl AttentionLab {
    /// Starts the lab's thread (after training `steps_before` steps, for a headless picture).
    pub fn new(options: AttentionLabOptions) -> Result<Self, LabError> {
        use crate::labs::thread::Session as _;
        let mut session =
            AttentionSession::new(options.settings.clone()).map_err(|detail| LabError::Start {
                lab: "attention",
                detail,
            })?;
        // A run trained before the thread starts (a headless picture) is recorded on the
        // timeline at evenly spaced steps, as the window would have recorded it.
        let mut timeline = Timeline::new(DEFAULT_BUDGET);
        timeline.push(session.snapshot());
        if options.steps_before > 0 {
            let start = |detail| LabError::Start {
                lab: "attention",
                detail,
            };
            let every = options.steps_before.div_ceil(HEADLESS_MOMENTS).max(1);
            let mut next = every;
            while next < options.steps_before {
                session.train_until(next).map_err(start)?;
                timeline.push(session.snapshot());
                next += every;
            }
            session.run_to_end(options.steps_before).map_err(start)?;
        }
        session.set_paused(options.paused);
        let latest = session.snapshot();
        timeline.push(Arc::clone(&latest));
        let thread = LabThread::spawn("attention", move |worker| run_session(&worker, session))
            .map_err(|source| LabError::Thread {
                lab: "attention",
                source,
            })?;
        Ok(Self::with_parts(thread, timeline, latest))
    }

    fn with_parts(
        thread: LabThread<Arc<AttentionSnapshot>, AttentionCommand>,
        timeline: Timeline<AttentionSnapshot>,
        live: Arc<AttentionSnapshot>,
    ) -> Self {
        let probe = live.probe.clone();
        let probe_text = live.task.probe_text(&probe);
        Self {
            thread,
            latest: Arc::clone(&live),
            timeline,
            heads: live.heads.clone(),
            controls: live.settings.clone(),
            live,
            view: ViewState::default(),
            probe,
            probe_text,
            probe_error: None,
            trace: None,
            file_path: "attention.safetensors".into(),
            lines_hovered: false,
            message: None,
            saved_run: None,
        }
    }

    /// The lab's name, in run files and on the command line.
    pub const NAME: &'static str = "attention";

    /// The saved run `run` (of this lab), to scrub without training: its controls show the
    /// last moment's settings, heads and probe.
    pub fn open_run(run: &RunFile) -> Result<Self, LabError> {
        let moments: Vec<Arc<AttentionSnapshot>> = run.moments(Self::NAME)?;
        let live = run_file::last(&moments, run)?;
        let timeline = Timeline::from_moments(moments);
        let mut lab = Self::with_parts(LabThread::idle(), timeline, live);
        lab.saved_run = Some(run.path.clone());
        lab.clamp_view();
        Ok(lab)
    }

    /// The newest snapshot taken by [`Lab::update`].
    pub fn snapshot(&self) -> &Arc<AttentionSnapshot> {
        &self.latest
    }

    /// What the user looks at.
    pub fn view_state(&self) -> &ViewState {
        &self.view
    }

    /// Changes what the user looks at (tests and the command line use this).
    pub fn set_view_state(&mut self, view: ViewState) {
        self.view = view;
    }

    /// The probe the views trace.
    pub fn probe(&self) -> &Probe {
        &self.probe
    }

    /// Sets the probe from text as the user types it; an error says what is wrong and keeps
    /// the previous probe.
    pub fn set_probe_text(&mut self, text: &str) -> Result<(), String> {
        self.probe_text = text.to_string();
        match self.latest.task.probe_from_text(text) {
            Ok(probe) => {
                self.probe = probe;
                self.probe_error = None;
                Ok(())
            }
            Err(e) => {
                self.probe_error = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Switches head `(layer, head)` on or off (every view and the held-out score follow;
    /// in a saved run, the views).
    pub fn set_head(&mut self, layer: usize, head: usize, on: bool) {
        self.heads.set(layer, head, on);
        self.send_heads();
    }

    /// Has the thread score the heads as set; a saved run's views follow them on their own.
    fn send_heads(&mut self) {
        if self.saved_run.is_none() {
            self.send(AttentionCommand::SetHeads(self.heads.clone()));
        }
    }

    /// The heads switched on.
    pub fn heads(&self) -> &HeadMask {
        &self.heads
    }

    fn send(&mut self, command: AttentionCommand) {
        if self.thread.send(command) {
            return;
        }
        self.message = Some(command_refused(self.saved_run.is_some(), "attention"));
    }

    /// "Save model": the thread writes the model as it is now; a saved run writes the model
    /// of its newest moment.
    fn save_model(&mut self) {
        let path = PathBuf::from(&self.file_path);
        if self.saved_run.is_none() {
            self.send(AttentionCommand::Save(path));
            return;
        }
        self.message = Some(match self.live.model.save(&path) {
            Ok(()) => format!("saved {}", path.display()),
            Err(e) => format!("not saved: {e}"),
        });
    }

    fn restart(&mut self) {
        self.send(AttentionCommand::Restart(Box::new(self.controls.clone())));
    }

    /// The probe traced through the newest model with the heads as set.
    pub fn trace(&mut self) -> Option<Arc<Trace>> {
        let key: TraceKey = (
            self.latest.run,
            self.latest.step,
            self.probe.tokens.clone(),
            self.heads.clone(),
        );
        if let Some((k, t)) = &self.trace
            && *k == key
        {
            return Some(Arc::clone(t));
        }
        let trace = Arc::new(
            self.latest
                .model
                .trace(&self.probe.tokens, &self.heads)
                .ok()?,
        );
        self.trace = Some((key, Arc::clone(&trace)));
        Some(trace)
    }

    fn heads_count(&self) -> (usize, usize) {
        let c = self.latest.model.config();
        (c.layers, c.heads)
    }

    fn clamp_view(&mut self) {
        let (layers, heads) = self.heads_count();
        self.view.layer = self.view.layer.min(layers.saturating_sub(1));
        self.view.head = self.view.head.min(heads.saturating_sub(1));
        self.view.query = self
            .view
            .query
            .min(self.probe.tokens.len().saturating_sub(1));
        if let EmbeddingSource::QueriesKeys(l) = self.view.embedding
            && l >= layers
        {
            self.view.embedding = EmbeddingSource::QueriesKeys(layers.saturating_sub(1));
        }
    }

    fn maps_shown(&self) -> MapsShown {
        if self.view.enlarged {
            MapsShown::One {
                layer: self.view.layer,
                head: self.view.head,
            }
        } else {
            MapsShown::All
        }
    }

    fn lines_heads(&self) -> impl Fn(usize) -> bool + use<> {
        let (one, chosen) = (self.view.lines_one_head, self.view.head);
        move |h| !one || h == chosen
    }

    fn learning_ui(&mut self, ui: &mut Ui) {
        let snap = Arc::clone(&self.latest);
        let curve = &snap.curve;
        let evals = &snap.evals;
        ui.label(format!(
            "step {}   held-out ({} sequences): token accuracy {:.3}, exact {:.3}   lr {:.2e}",
            snap.step,
            snap.held_all_on.sequences,
            snap.held_all_on.token_accuracy(),
            snap.held_all_on.exact_accuracy(),
            snap.learning_rate
        ));
        let loss: Vec<[f64; 2]> = curve
            .iter()
            .map(|c| [c.step as f64, f64::from(c.loss)])
            .collect();
        plot_ui(
            ui,
            Plot::new("attention-loss")
                .x_axis_label("step")
                .y_axis_label("loss")
                .include_y(0.0)
                .allow_drag(false)
                .allow_scroll(false),
            "attention-loss",
            (ui.available_height() * 0.28).max(80.0),
            vec![Series::new(
                "training loss",
                palette(0),
                SeriesKind::Line,
                loss,
            )],
        );
        // The accuracy chart and the filmstrip under it share one x axis, drawn by hand so
        // each frame sits exactly under its step.
        let jumps = views::jumps(evals);
        let max_step = snap.step.max(1) as f32;
        let avail = ui.available_size();
        let (rect, response) = ui.allocate_exact_size(
            egui::vec2(avail.x, avail.y.max(160.0)),
            egui::Sense::hover(),
        );
        let painter = ui.painter_at(rect);
        let left = rect.min.x + 44.0;
        let right = rect.max.x - 8.0;
        let x_of = |step: u64| left + (right - left) * step as f32 / max_step;
        let chart_top = rect.min.y + 16.0;
        let strip_h = ((rect.height() - 40.0) * 0.42).clamp(36.0, 120.0);
        let chart_bottom = rect.max.y - strip_h - 30.0;
        let y_of = |a: f32| chart_bottom - (chart_bottom - chart_top) * a;
        let text = ui.visuals().text_color();
        let font = egui::FontId::proportional(11.0);
        painter.line_segment(
            [
                egui::pos2(left, chart_bottom),
                egui::pos2(right, chart_bottom),
            ],
            (1.0, Color32::GRAY),
        );
        for a in [0.0, 0.5, 1.0] {
            painter.text(
                egui::pos2(left - 4.0, y_of(a)),
                egui::Align2::RIGHT_CENTER,
                format!("{a:.1}"),
                font.clone(),
                text,
            );
            painter.line_segment(
                [egui::pos2(left, y_of(a)), egui::pos2(right, y_of(a))],
                (0.5, Color32::from_gray(60)),
            );
        }
        for (k, jump) in jumps.iter().enumerate() {
            let band = egui::Rect::from_x_y_ranges(
                x_of(jump.from)..=x_of(jump.to).max(x_of(jump.from) + 2.0),
                chart_top..=chart_bottom,
            );
            painter.rect_filled(band, 0.0, Color32::from_rgba_unmultiplied(255, 215, 0, 40));
            // Staggered, so the labels of nearby jumps do not print over each other.
            painter.text(
                egui::pos2(
                    x_of(jump.to) + 2.0,
                    chart_bottom - 14.0 - (k % 3) as f32 * 13.0,
                ),
                egui::Align2::LEFT_BOTTOM,
                format!("jump {:.2} to {:.2}", jump.before, jump.after),
                font.clone(),
                Color32::from_rgb(255, 215, 0),
            );
        }
        type Curve<'a> = (&'a str, Color32, Vec<(u64, f32)>);
        let series: [Curve; 3] = [
            (
                "held-out token",
                palette(1),
                evals
                    .iter()
                    .map(|e| (e.step, e.all_on.token_accuracy()))
                    .collect(),
            ),
            (
                "held-out exact",
                palette(2),
                evals
                    .iter()
                    .map(|e| (e.step, e.all_on.exact_accuracy()))
                    .collect(),
            ),
            (
                "batch exact",
                palette(3).gamma_multiply(0.5),
                curve.iter().map(|c| (c.step, c.train_exact)).collect(),
            ),
        ];
        for (k, (name, color, points)) in series.iter().enumerate() {
            let line: Vec<egui::Pos2> = points
                .iter()
                .map(|&(s, a)| egui::pos2(x_of(s), y_of(a)))
                .collect();
            painter.add(egui::Shape::line(line, (1.5, *color)));
            painter.text(
                egui::pos2(left + 6.0 + k as f32 * 110.0, rect.min.y + 2.0),
                egui::Align2::LEFT_TOP,
                format!("— {name}"),
                font.clone(),
                *color,
            );
        }
        // The filmstrip: frames of the chosen head, as many as fit, in evenly spaced slots,
        // each joined to its step on the axis; the first and the latest frame, and the frames
        // around every jump, are always among them.
        let frames = &snap.frames;
        let t = snap.probe.tokens.len();
        let (layers, heads) = self.heads_count();
        let map = (self.view.layer * heads + self.view.head) * t * t;
        let side = (strip_h - 14.0).max(20.0);
        let fit = (((right - left) / (side + 6.0)).floor() as usize).max(1);
        let steps: Vec<u64> = frames.iter().map(|f| f.step).collect();
        let shown = views::filmstrip_frames(&steps, &jumps, fit);
        let strip_top = chart_bottom + 22.0;
        painter.text(
            egui::pos2(rect.min.x, strip_top + side / 2.0),
            egui::Align2::LEFT_CENTER,
            format!("L{}H{}", self.view.layer + 1, self.view.head + 1),
            font.clone(),
            text,
        );
        let slot = (right - left) / shown.len().max(1) as f32;
        for (k, &f) in shown.iter().enumerate() {
            let frame = &frames[f];
            if frame.weights.len() < map + t * t || layers == 0 {
                continue;
            }
            let cx = left + slot * (k as f32 + 0.5);
            let x0 = cx - side / 2.0;
            painter.line_segment(
                [
                    egui::pos2(x_of(frame.step), chart_bottom),
                    egui::pos2(cx, strip_top),
                ],
                (0.5, Color32::GRAY),
            );
            let cell = side / t as f32;
            for i in 0..t {
                for j in 0..=i {
                    let w = frame.weights[map + i * t + j];
                    let [r, g, b, _] = colormap_rgba(self.view.colormap, WEIGHT_RANGE, w);
                    painter.rect_filled(
                        egui::Rect::from_min_size(
                            egui::pos2(x0 + j as f32 * cell, strip_top + i as f32 * cell),
                            egui::vec2(cell + 0.3, cell + 0.3),
                        ),
                        0.0,
                        Color32::from_rgb(r, g, b),
                    );
                }
            }
            painter.text(
                egui::pos2(cx, strip_top + side + 1.0),
                egui::Align2::CENTER_TOP,
                format!("step {}", frame.step),
                egui::FontId::proportional(10.0),
                text,
            );
        }
        response.on_hover_text(
            "accuracy on held-out sequences against steps; jumps shaded; below: the chosen \
             head's attention map on the fixed probe at moments of training",
        );
    }

    fn heads_ui(&mut self, ui: &mut Ui) {
        let snap = Arc::clone(&self.latest);
        let (layers, heads) = self.heads_count();
        ui.label(format!(
            "held-out with these heads: token {:.3}, exact {:.3}   (every head on: {:.3}, {:.3})",
            snap.held.token_accuracy(),
            snap.held.exact_accuracy(),
            snap.held_all_on.token_accuracy(),
            snap.held_all_on.exact_accuracy()
        ));
        let (single, all) = (&snap.knockout.0, snap.knockout.1);
        ui.label(
            RichText::new(format!(
                "each head alone switched off ({} sequences, exact accuracy; every head on: {:.3}):",
                all.sequences,
                all.exact_accuracy()
            ))
            .small(),
        );
        let mut changed = None;
        egui::Grid::new("attention-heads")
            .striped(true)
            .show(ui, |ui| {
                ui.label("");
                for h in 0..heads {
                    ui.label(
                        RichText::new(format!("head {}", h + 1)).color(color32(head_color(h))),
                    );
                }
                ui.end_row();
                for l in 0..layers {
                    ui.label(format!("layer {}", l + 1));
                    for h in 0..heads {
                        ui.vertical(|ui| {
                            let mut on = self.heads.is_on(l, h);
                            if ui.checkbox(&mut on, "on").changed() {
                                changed = Some((l, h, on));
                            }
                            if let Some(s) = single.get(l * heads + h) {
                                let drop = all.exact_accuracy() - s.exact_accuracy();
                                ui.label(
                                    RichText::new(format!(
                                        "{:.3} (−{:.3})",
                                        s.exact_accuracy(),
                                        drop
                                    ))
                                    .small()
                                    .color(if drop > 0.1 {
                                        Color32::from_rgb(240, 120, 100)
                                    } else {
                                        ui.visuals().text_color()
                                    }),
                                );
                            }
                        });
                    }
                    ui.end_row();
                }
            });
        if let Some((l, h, on)) = changed {
            self.set_head(l, h, on);
        }
        ui.horizontal(|ui| {
            if ui.button("All on").clicked() {
                self.heads = HeadMask::all_on(self.latest.model.config());
                self.send_heads();
            }
            if ui.button("Only the chosen head").clicked() {
                for l in 0..layers {
                    for h in 0..heads {
                        self.heads
                            .set(l, h, l == self.view.layer && h == self.view.head);
                    }
                }
                self.send_heads();
            }
        });
        ui.label(
            RichText::new("Switched-off heads have their output zeroed; training still uses every head. The other views show the probe with these heads.")
                .small(),
        );
    }

    fn inside_ui(&mut self, ui: &mut Ui) {
        let Some(trace) = self.trace() else {
            ui.label("no trace");
            return;
        };
        let c = *self.latest.model.config();
        let t = trace.tokens.len();
        ui.horizontal(|ui| {
            let one_based =
                |v: f64, _: std::ops::RangeInclusive<usize>| format!("{}", v as usize + 1);
            let parse = |s: &str| s.trim().parse::<f64>().ok().map(|v| v - 1.0);
            ui.add(
                Slider::new(&mut self.view.layer, 0..=c.layers - 1)
                    .text("layer")
                    .custom_formatter(one_based)
                    .custom_parser(parse),
            );
            ui.add(
                Slider::new(&mut self.view.head, 0..=c.heads - 1)
                    .text("head")
                    .custom_formatter(one_based)
                    .custom_parser(parse),
            );
            ui.add(Slider::new(&mut self.view.query, 0..=t - 1).text("query position"));
        });
        let Some(hc) = head_computation(
            &trace,
            c.width,
            c.heads,
            self.view.layer,
            self.view.head,
            self.view.query,
        ) else {
            return;
        };
        let task = Arc::clone(&self.latest.task);
        let i = self.view.query;
        ui.label(format!(
            "layer {} head {}, query {} '{}': scores q·k/√{}, then the mask (keys after the query get −∞), then softmax, then Σ w·v",
            self.view.layer + 1,
            self.view.head + 1,
            i,
            task.label(trace.tokens[i]),
            c.head_dim()
        ));
        egui::ScrollArea::vertical()
            .max_height(ui.available_height() * 0.7)
            .show(ui, |ui| {
                egui::Grid::new("attention-inside")
                    .striped(true)
                    .show(ui, |ui| {
                        for h in ["key", "token", "q·k/√d", "masked", "softmax w"] {
                            ui.label(RichText::new(h).strong());
                        }
                        ui.end_row();
                        for j in 0..t {
                            ui.label(j.to_string());
                            ui.label(task.label(trace.tokens[j]));
                            ui.monospace(format!("{:+.4}", hc.scores[j]));
                            if j <= i {
                                ui.monospace(format!("{:+.4}", hc.masked[j]));
                                let w = hc.weights[j];
                                let [r, g, b, _] =
                                    colormap_rgba(self.view.colormap, WEIGHT_RANGE, w);
                                let bg = Color32::from_rgb(r, g, b);
                                let fg = if (0.3 * r as f32 + 0.59 * g as f32 + 0.11 * b as f32)
                                    > 128.0
                                {
                                    Color32::BLACK
                                } else {
                                    Color32::WHITE
                                };
                                ui.label(
                                    RichText::new(format!("{w:.4}"))
                                        .monospace()
                                        .background_color(bg)
                                        .color(fg),
                                );
                            } else {
                                ui.monospace("−∞");
                                ui.monospace("0");
                            }
                            ui.end_row();
                        }
                    });
            });
        ui.label(
            RichText::new(format!("output = Σ w_j v_j ({} values):", hc.output.len())).strong(),
        );
        ui.monospace(
            hc.output
                .iter()
                .map(|v| format!("{v:+.3}"))
                .collect::<Vec<_>>()
                .join(" "),
        );
        let top = hc
            .weights
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(j, _)| j)
            .unwrap_or(0);
        ui.label(
            RichText::new(format!(
                "largest weight: key {top} '{}' ({:.3}); its v: {}",
                task.label(trace.tokens[top]),
                hc.weights[top],
                hc.values[top]
                    .iter()
                    .map(|v| format!("{v:+.2}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ))
            .small(),
        );
    }

    fn training_controls_ui(&mut self, ui: &mut Ui) {
        let snap = Arc::clone(&self.live);
        ui.horizontal(|ui| {
            let label = if snap.paused { "Play" } else { "Pause" };
            if ui.button(label).clicked() {
                self.toggle_pause();
            }
            for n in [1, 10, 100] {
                if ui
                    .button(format!("+{n}"))
                    .on_hover_text(format!("train {n} steps"))
                    .clicked()
                {
                    self.send(AttentionCommand::Step(n));
                }
            }
        });
        let mut lr = self.controls.learning_rate;
        if ui
            .add(
                Slider::new(&mut lr, 1e-5..=3e-2)
                    .logarithmic(true)
                    .text("learning rate (live)"),
            )
            .changed()
        {
            self.controls.learning_rate = lr;
            self.send(AttentionCommand::SetLearningRate(lr));
        }
        ui.label(format!(
            "step {}   batch loss {:.4}",
            snap.step,
            snap.curve.last().map_or(f32::NAN, |c| c.loss)
        ));
    }

    fn probe_controls_ui(&mut self, ui: &mut Ui) {
        ui.add_space(6.0);
        ui.label(RichText::new("Probe").strong());
        let hint = match self.latest.task.kind() {
            TaskKind::Sort | TaskKind::Reverse | TaskKind::Copy => "8 digits",
            TaskKind::Induction => "16 letters A-P",
            TaskKind::ModAdd => "a b (0-12)",
            TaskKind::Text => "up to 32 characters",
        };
        let mut text = self.probe_text.clone();
        let response = ui.add(egui::TextEdit::singleline(&mut text).hint_text(hint));
        if response.changed() {
            let _ = self.set_probe_text(&text);
        }
        if let Some(e) = &self.probe_error {
            ui.colored_label(Color32::from_rgb(240, 120, 100), e);
        }
        ui.horizontal(|ui| {
            if ui
                .button("Random")
                .on_hover_text("a fresh sequence of the task")
                .clicked()
            {
                let mut rng = crate::nn::init::rng_from_seed(
                    self.latest.step ^ self.probe.tokens.len() as u64 ^ rand_salt(&self.probe),
                );
                let (tokens, targets) = self.latest.task.sample(&mut rng);
                let probe = Probe {
                    tokens,
                    targets: targets.into_iter().map(Some).collect(),
                };
                self.probe_text = self.latest.task.probe_text(&probe);
                self.probe = probe;
                self.probe_error = None;
            }
            if ui
                .button("Film this probe")
                .on_hover_text("record the filmstrip on this probe from now on")
                .clicked()
            {
                self.send(AttentionCommand::SetProbe(self.probe.clone()));
            }
        });
        let (layers, heads) = self.heads_count();
        ui.horizontal(|ui| {
            ui.label("head");
            ui.add(
                DragValue::new(&mut self.view.layer)
                    .range(0..=layers - 1)
                    .custom_formatter(|v, _| format!("L{}", v as usize + 1))
                    .custom_parser(|s| {
                        s.trim_start_matches(['L', 'l'])
                            .parse::<f64>()
                            .ok()
                            .map(|v| v - 1.0)
                    }),
            );
            ui.add(
                DragValue::new(&mut self.view.head)
                    .range(0..=heads - 1)
                    .custom_formatter(|v, _| format!("H{}", v as usize + 1))
                    .custom_parser(|s| {
                        s.trim_start_matches(['H', 'h'])
                            .parse::<f64>()
                            .ok()
                            .map(|v| v - 1.0)
                    }),
            );
            ui.checkbox(&mut self.view.enlarged, "enlarge");
        });
        ui.checkbox(&mut self.view.lines_one_head, "lines: chosen head only");
        ComboBox::from_label("3D shows")
            .selected_text(match self.view.embedding {
                EmbeddingSource::Tokens => "token embeddings".to_string(),
                EmbeddingSource::QueriesKeys(l) => format!("layer {} q and k", l + 1),
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(
                    &mut self.view.embedding,
                    EmbeddingSource::Tokens,
                    "token embeddings",
                );
                for l in 0..layers {
                    ui.selectable_value(
                        &mut self.view.embedding,
                        EmbeddingSource::QueriesKeys(l),
                        format!("layer {} q and k", l + 1),
                    );
                }
            });
        ComboBox::from_label("heatmap colors")
            .selected_text(colormap_name(self.view.colormap))
            .show_ui(ui, |ui| {
                for c in [Colormap::Viridis, Colormap::Grayscale] {
                    ui.selectable_value(&mut self.view.colormap, c, colormap_name(c));
                }
            });
    }

    fn model_controls_ui(&mut self, ui: &mut Ui) {
        ui.add_space(6.0);
        ui.label(RichText::new("Task and model").strong());
        let c = &mut self.controls;
        let task_before = c.task;
        ComboBox::from_label("task")
            .selected_text(c.task.title())
            .show_ui(ui, |ui| {
                for kind in TaskKind::ALL {
                    ui.selectable_value(&mut c.task, kind, kind.title());
                }
            });
        if c.task != task_before {
            // Modular addition generalises only with weight decay; the others need none.
            c.weight_decay = if c.task == TaskKind::ModAdd { 1.0 } else { 0.0 };
        }
        ui.label(RichText::new(c.task.scoring()).small());
        ui.add(Slider::new(&mut c.layers, 1..=4).text("layers"));
        ui.add(Slider::new(&mut c.heads, 1..=8).text("heads"));
        ComboBox::from_label("width")
            .selected_text(c.width.to_string())
            .show_ui(ui, |ui| {
                for w in [16, 32, 48, 64, 96, 128] {
                    ui.selectable_value(&mut c.width, w, w.to_string());
                }
            });
        ui.add(
            Slider::new(&mut c.batch, 1..=256)
                .logarithmic(true)
                .text("batch"),
        );
        ui.add(Slider::new(&mut c.warmup, 0..=1000).text("warm-up steps"));
        ui.add(Slider::new(&mut c.weight_decay, 0.0..=2.0).text("weight decay"))
            .on_hover_text("decoupled (AdamW): every matrix shrinks by lr x this after each step");
        ui.horizontal(|ui| {
            ui.label("seed");
            ui.add(DragValue::new(&mut c.seed));
        });
        let fits = c.width.is_multiple_of(c.heads);
        if !fits {
            ui.colored_label(
                Color32::from_rgb(240, 120, 100),
                "width must be a multiple of heads",
            );
        }
        if ui
            .add_enabled(fits, egui::Button::new("Restart with these settings"))
            .clicked()
        {
            self.restart();
        }
    }

    fn file_controls_ui(&mut self, ui: &mut Ui) {
        ui.add_space(6.0);
        ui.label(RichText::new("Model file").strong());
        ui.text_edit_singleline(&mut self.file_path);
        ui.horizontal(|ui| {
            if ui.button("Save").clicked() {
                self.save_model();
            }
            if ui.button("Load").clicked() {
                self.send(AttentionCommand::Load(self.file_path.clone().into()));
            }
        });
        if let Some(m) = &self.message {
            ui.label(m);
        }
    }
}

/// A little variety for the Random probe button, from the current probe.
fn rand_salt(probe: &Probe) -> u64 {
    probe
        .tokens
        .iter()
        .fold(0x9e37_79b9_7f4a_7c15_u64, |h, &t| {
            (h ^ u64::from(t)).wrapping_mul(0x100_0000_01b3)
        })
}

fn colormap_name(c: Colormap) -> &'static str {
    match c {
        Colormap::Viridis => "viridis (colour-blind safe)",
        Colormap::Grayscale => "grayscale (colour-blind safe)",
        Colormap::Diverging { .. } => "diverging",
    }
}

fn color32(c: [f32; 4]) -> Color32 {
    let [r, g, b, a] = crate::render::scene::color_to_rgba8(c);
    Color32::from_rgba_unmultiplied(r, g, b, a)
}

impl Lab for AttentionLab {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn update(&mut self) {
        // The lines view isolates a token only while the pointer rests on it.
        if !std::mem::take(&mut self.lines_hovered) {
            self.view.lines_focus = LinesFocus::All;
        }
        if let Some(snapshot) = self.thread.take_latest() {
            if snapshot.run != self.live.run {
                self.controls = snapshot.settings.clone();
                self.probe = snapshot.probe.clone();
                self.probe_text = snapshot.task.probe_text(&self.probe);
                self.probe_error = None;
            }
            self.heads = snapshot.heads.clone();
            self.timeline.push(Arc::clone(&snapshot));
            self.live = snapshot;
            self.latest = Arc::clone(self.timeline.shown(&self.live));
            self.clamp_view();
        }
    }

    fn controls_ui(&mut self, ui: &mut Ui) {
        saved_run_ui(ui, self.saved_run.as_deref());
        let live = self.saved_run.is_none();
        ui.add_enabled_ui(live, |ui| self.training_controls_ui(ui));
        self.probe_controls_ui(ui);
        ui.add_enabled_ui(live, |ui| self.model_controls_ui(ui));
        self.file_controls_ui(ui);
        self.clamp_view();
    }

    fn panels(&self) -> Vec<PanelSpec> {
        let (layers, heads) = self.heads_count();
        let t = self.latest.task.len();
        Panel::ALL
            .iter()
            .map(|&panel| {
                let kind = match panel {
                    Panel::Maps => {
                        PanelKind::Scene2d(scenes::maps_camera(layers, heads, self.maps_shown()))
                    }
                    Panel::Lines => PanelKind::Scene2d(scenes::lines_camera(t)),
                    Panel::Predictions => PanelKind::Scene2d(scenes::predictions_camera(t)),
                    Panel::Embedding => PanelKind::Scene3d(scenes::embedding_camera(&[])),
                    Panel::Learning | Panel::Heads | Panel::Inside => PanelKind::Egui,
                };
                PanelSpec::of(panel, kind)
            })
            .collect()
    }

    /// The maps and lines on the left, the predictions and the learning curves on the right,
    /// the rest as tabs.
    fn default_layout(&self) -> Layout {
        let tabs = |panels: &[Panel]| Layout::tabs(panels.iter().map(|p| p.id()));
        Layout::Row(vec![
            (
                0.5,
                Layout::Column(vec![
                    (0.55, tabs(&[Panel::Maps, Panel::Embedding])),
                    (0.45, tabs(&[Panel::Lines, Panel::Inside])),
                ]),
            ),
            (
                0.5,
                Layout::Column(vec![
                    (0.5, tabs(&[Panel::Learning])),
                    (0.5, tabs(&[Panel::Predictions, Panel::Heads])),
                ]),
            ),
        ])
    }

    fn file_menu_ui(&mut self, ui: &mut Ui) {
        let path = self.file_path.clone();
        if ui
            .button("Save model")
            .on_hover_text(format!("to {path} (set in the side panel)"))
            .clicked()
        {
            self.save_model();
            ui.close();
        }
        if ui
            .button("Load model")
            .on_hover_text(format!("from {path} (set in the side panel)"))
            .clicked()
        {
            self.send(AttentionCommand::Load(path.into()));
            ui.close();
        }
    }

    fn scene(&mut self, panel: usize, view: &SceneView) -> Scene {
        let Some(trace) = self.trace() else {
            return scenes::note("the probe does not fit the model", view.camera);
        };
        let task = Arc::clone(&self.latest.task);
        match Panel::at(panel) {
            Some(Panel::Maps) => {
                let heads = self.heads.clone();
                scenes::maps(
                    &trace,
                    &task,
                    self.maps_shown(),
                    &|l, h| heads.is_on(l, h),
                    self.view.colormap,
                    view.camera,
                )
            }
            Some(Panel::Lines) => {
                let lines = scenes::weight_lines(
                    &trace,
                    self.view.layer,
                    &self.lines_heads(),
                    self.view.lines_focus,
                );
                scenes::lines(&trace, &task, &lines, view.camera)
            }
            Some(Panel::Predictions) => {
                let scored = task.scored();
                scenes::predictions(&trace, &self.probe, &task, &scored, view.camera)
            }
            Some(Panel::Embedding) => {
                let points =
                    views::embedded_points(&self.latest.model, &trace, &task, self.view.embedding);
                let join = self.view.embedding == EmbeddingSource::Tokens;
                scenes::embedding(&points, join, view.camera)
            }
            Some(Panel::Learning | Panel::Heads | Panel::Inside) | None => Scene::new(view.camera),
        }
    }

    fn click(&mut self, panel: usize, pos_px: Vec2, view: &SceneView) {
        if Panel::at(panel) != Some(Panel::Maps) {
            return;
        }
        if self.view.enlarged {
            self.view.enlarged = false;
            return;
        }
        let (layers, heads) = self.heads_count();
        if let Some(p) = unproject_2d(view, pos_px)
            && let Some((l, h, _)) = scenes::map_at(p, layers, heads)
        {
            self.view.layer = l;
            self.view.head = h;
            self.view.enlarged = true;
        }
    }

    fn hover_text(&mut self, panel: usize, pos_px: Vec2, view: &SceneView) -> Option<String> {
        let trace = self.trace()?;
        let task = Arc::clone(&self.latest.task);
        let p = unproject_2d(view, pos_px)?;
        let t = trace.tokens.len();
        match Panel::at(panel)? {
            Panel::Maps => {
                let (layers, heads) = self.heads_count();
                let (l, h, frac) = if self.view.enlarged {
                    let f = [p[0] / scenes::MAP_SIZE, -p[1] / scenes::MAP_SIZE];
                    ((0.0..1.0).contains(&f[0]) && (0.0..1.0).contains(&f[1])).then_some((
                        self.view.layer,
                        self.view.head,
                        f,
                    ))?
                } else {
                    scenes::map_at(p, layers, heads)?
                };
                let j = ((frac[0] * t as f32) as usize).min(t - 1);
                let i = ((frac[1] * t as f32) as usize).min(t - 1);
                let w = trace.layers[l].weights[h * t * t + i * t + j];
                let what = if j > i {
                    "masked (a query never sees later keys)".to_string()
                } else {
                    format!("weight {w:.4}")
                };
                Some(format!(
                    "layer {} head {}: query {i} '{}' to key {j} '{}': {what}\n{}",
                    l + 1,
                    h + 1,
                    task.label(trace.tokens[i]),
                    task.label(trace.tokens[j]),
                    if self.view.enlarged {
                        "click to see every head"
                    } else {
                        "click to enlarge"
                    }
                ))
            }
            Panel::Lines => {
                let focus = scenes::lines_token_at(p, t);
                self.view.lines_focus = focus;
                self.lines_hovered = focus != LinesFocus::All;
                match focus {
                    LinesFocus::Query(i) => Some(format!(
                        "query {i} '{}' attends to: {}",
                        task.label(trace.tokens[i]),
                        top_weights(&trace, self.view.layer, i, &self.lines_heads(), &task)
                    )),
                    LinesFocus::Key(j) => Some(format!(
                        "key {j} '{}': lines into it",
                        task.label(trace.tokens[j])
                    )),
                    LinesFocus::All => None,
                }
            }
            Panel::Predictions => {
                let i = (-p[1]).round();
                if !(0.0..t as f32).contains(&i) {
                    return None;
                }
                let i = i as usize;
                let v = trace.probs.len() / t;
                let probs = &trace.probs[i * v..(i + 1) * v];
                let target = self.probe.targets.get(i).copied().flatten();
                Some(format!(
                    "position {i} '{}': {}{}",
                    task.label(trace.tokens[i]),
                    scenes::top_k(probs, 3)
                        .iter()
                        .map(|(k, p)| format!("'{}' {p:.4}", task.label(*k)))
                        .collect::<Vec<_>>()
                        .join(", "),
                    target.map_or(String::new(), |tg| format!(
                        "; correct '{}' {:.4}",
                        task.label(tg),
                        probs[tg as usize]
                    ))
                ))
            }
            _ => None,
        }
    }

    fn panel_ui(&mut self, panel: usize, ui: &mut Ui) {
        match Panel::at(panel) {
            Some(Panel::Learning) => self.learning_ui(ui),
            Some(Panel::Heads) => self.heads_ui(ui),
            Some(Panel::Inside) => self.inside_ui(ui),
            _ => {}
        }
    }

    fn timeline(&self) -> Option<TimelineInfo> {
        Some(self.timeline.info())
    }

    fn set_timeline_budget(&mut self, bytes: usize) {
        self.timeline.set_budget(bytes);
        self.latest = Arc::clone(self.timeline.shown(&self.live));
    }

    fn seek(&mut self, index: Option<usize>) {
        self.timeline.seek(index);
        self.latest = Arc::clone(self.timeline.shown(&self.live));
        self.clamp_view();
    }

    fn save_run(&self, path: &Path) -> Result<String, String> {
        let s = &self.live;
        let run = RunToSave {
            lab: Self::NAME,
            settings: serde_json::to_value(&s.settings).map_err(|e| e.to_string())?,
            moments: self.timeline.moments(),
            model: Some(s.model.to_bytes().map_err(|e| e.to_string())?),
        };
        run.save(path).map_err(|e| e.to_string())?;
        Ok(format!(
            "{} moments up to step {}",
            run.moments.len(),
            s.step
        ))
    }

    fn is_saved_run(&self) -> bool {
        self.saved_run.is_some()
    }

    fn fork(&self, seed: Option<u64>) -> Result<Box<dyn Lab>, String> {
        let mut settings = self.controls.clone();
        settings.seed = seed.unwrap_or(settings.seed);
        let mut lab = AttentionLab::new(AttentionLabOptions {
            settings,
            paused: false,
            steps_before: 0,
        })
        .map_err(|e| e.to_string())?;
        lab.file_path = self.file_path.clone();
        lab.view = self.view.clone();
        Ok(Box::new(lab))
    }

    fn status(&self) -> StatusInfo {
        let snap = &self.live;
        StatusInfo {
            step: snap.step,
            loss: snap.curve.last().map(|c| c.loss),
            paused: snap.paused || snap.finished || self.saved_run.is_some(),
            message: saved_run_status(self.saved_run.as_deref())
                .or_else(|| snap.message.clone())
                .or_else(|| self.message.clone()),
        }
    }

    fn toggle_pause(&mut self) {
        let paused = !self.live.paused;
        self.send(AttentionCommand::SetPaused(paused));
    }

    fn reset(&mut self) {
        self.controls = self.live.settings.clone();
        self.restart();
    }
}

/// "'3' 0.91, '|' 0.05" for query `i`'s three largest weights over the shown heads.
fn top_weights(
    trace: &Trace,
    layer: usize,
    i: usize,
    shown: &dyn Fn(usize) -> bool,
    task: &crate::data::tasks::Task,
) -> String {
    let t = trace.tokens.len();
    let Some(lt) = trace.layers.get(layer) else {
        return String::new();
    };
    let heads = lt.weights.len() / (t * t);
    (0..heads)
        .filter(|&h| shown(h))
        .map(|h| {
            let row = &lt.weights[h * t * t + i * t..h * t * t + i * t + t];
            let (j, w) = row
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map_or((0, 0.0), |(j, &w)| (j, w));
            format!("H{}: {j} '{}' {w:.3}", h + 1, task.label(trace.tokens[j]))
        })
        .collect::<Vec<_>>()
        .join(", ")
}
