//! [`ForestLab`]: the random-forest lab the shell hosts. Its thread ([`ForestSession`]) grows
//! the trees; this side keeps what the user looks at (how many trees are used, the chosen
//! tree and how far it has grown, the probe point or digit) and turns the newest snapshot into
//! the scenes and panels, caching what depends only on the snapshot and those choices. A
//! saved run ([`ForestLab::open_run`]) shows its recorded moments with no thread behind them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{ComboBox, DragValue, RichText, Slider, Ui};
use egui_plot::Plot;
use glam::Vec2;

use crate::data::mnist::Mnist;
use crate::forest::{Criterion, Forest, MaxFeatures};
use crate::labs::LabError;
use crate::labs::forest::diagram::{self, DiagramOptions, argmax};
use crate::labs::forest::scenes::{self, PixelSplit, Thumb, VoteMapMarks};
use crate::labs::forest::session::{
    ForestCommand, ForestSession, ForestSnapshot, LabData, MnistSource,
};
use crate::labs::forest::settings::{ForestData, ForestSettings};
use crate::labs::forest::views;
use crate::labs::mnist::confusion::matrix_with_caption_ui;
use crate::labs::plot::{Series, SeriesKind, palette, plot_ui};
use crate::labs::run_file::{
    self, RunFile, RunToSave, command_refused, saved_run_status, saved_run_ui,
};
use crate::labs::thread::{LabThread, run_session};
use crate::labs::timeline::{DEFAULT_BUDGET, Timeline};
use crate::nn::metrics::ConfusionMatrix;
use crate::render::Scene;
use crate::ui::{Lab, Layout, PanelKind, PanelSpec, SceneView, StatusInfo, TimelineInfo};

crate::lab_panels! {
    /// The forest lab's panels, in the order [`ForestLab`] lists them.
    pub enum Panel {
        /// The ensemble's vote over the plane (for MNIST: the chosen digit and its path).
        VoteMap = ("vote-map", "Vote map"),
        /// Every tree's own decision, small multiples.
        Trees = ("trees", "Every tree"),
        /// Accuracy against the number of trees.
        Converging = ("converging", "Converging"),
        /// The chosen tree's diagram.
        Tree = ("tree", "One tree"),
        /// The vote share as a height field.
        Terrain = ("terrain", "Vote terrain"),
        /// Forest and network on the same plane.
        Compare = ("compare", "Forest vs network"),
        /// Which features the forest splits on.
        Importance = ("importance", "Feature importance"),
        /// The chosen point's votes, tree by tree.
        Votes = ("votes", "Votes"),
        /// The held-out confusion matrix.
        Confusion = ("confusion", "Confusion matrix"),
    }
}

pub use crate::labs::forest::scenes::PLANE_VIEW;

/// How the forest lab starts.
#[derive(Clone, Debug, Default)]
pub struct ForestLabOptions {
    /// The settings.
    pub settings: ForestSettings,
    /// MNIST, when already loaded.
    pub mnist: Option<Arc<Mnist>>,
    /// Where to read MNIST when the user switches to it.
    pub mnist_source: Option<MnistSource>,
    /// Start paused (nothing grown).
    pub paused: bool,
}

/// What the user looks at.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewState {
    /// Trees used by the ensemble views (`None`: every tree grown so far).
    pub used: Option<usize>,
    /// The tree of the diagram (and the framed thumbnail).
    pub chosen_tree: usize,
    /// The chosen tree as it was after this many splits (`None`: as grown).
    pub splits: Option<usize>,
    /// Replay the chosen tree's growth, one split at a time.
    pub growing: bool,
    /// The probe point in the plane.
    pub probe: [f32; 2],
    /// The chosen held-out digit (MNIST).
    pub digit: usize,
    /// Levels of the diagram drawn before nodes fold.
    pub collapse_depth: usize,
    /// Show the chosen tree's bootstrap sample on the vote map.
    pub show_bootstrap: bool,
    /// Show the chosen tree's step surface beside the terrain.
    pub show_tree_surface: bool,
}

impl Default for ViewState {
    fn default() -> Self {
        ViewState {
            used: None,
            chosen_tree: 0,
            splits: None,
            growing: false,
            probe: [0.25, 0.75],
            digit: 0,
            collapse_depth: 6,
            show_bootstrap: false,
            show_tree_surface: true,
        }
    }
}

/// What is cached for one (run, trees grown, trees used).
#[derive(Default)]
struct Cache {
    key: Option<(u64, usize, usize)>,
    votes: Option<Vec<f32>>,
    point_votes: Option<Vec<f32>>,
    oob_mistakes: Option<Vec<usize>>,
    confusion: Option<ConfusionMatrix>,
    importances: Option<Vec<f64>>,
}

/// The random-forest lab.
pub struct ForestLab {
    thread: LabThread<Arc<ForestSnapshot>, ForestCommand>,
    /// The snapshot the views show: the newest, or a recorded one while scrubbing.
    latest: Arc<ForestSnapshot>,
    /// The newest snapshot.
    live: Arc<ForestSnapshot>,
    timeline: Timeline<ForestSnapshot>,
    controls: ForestSettings,
    view: ViewState,
    cache: Cache,
    growth_grid: Option<((u64, usize, usize), Vec<f32>)>,
    last_growth_tick: Instant,
    file_path: String,
    confusion_cell: Option<(usize, usize)>,
    /// The outcome of the latest command done on this side (or refused).
    message: Option<String>,
    /// MNIST as the lab was given it, and where to read it, for a second run.
    mnist: Option<Arc<Mnist>>,
    mnist_source: Option<MnistSource>,
    /// The run file shown, when the lab shows a saved run instead of growing.
    saved_run: Option<PathBuf>,
}

impl ForestLab {
    /// The lab's name, in run files and on the command line.
    pub const NAME: &'static str = "forest";

    /// Builds the first snapshot (the data) and starts the lab's thread.
    pub fn new(options: ForestLabOptions) -> Result<Self, LabError> {
        let mut session = ForestSession::new(
            options.settings.clone(),
            options.mnist.clone(),
            options.mnist_source.clone(),
        );
        session.set_paused(options.paused);
        Self::start(session, options)
    }

    /// Grows every tree (and trains the comparison network) before the thread starts: what a
    /// headless picture shows.
    pub fn new_complete(options: ForestLabOptions) -> Result<Self, LabError> {
        let mut session = ForestSession::new(
            options.settings.clone(),
            options.mnist.clone(),
            options.mnist_source.clone(),
        );
        // Every tree's moment goes on the timeline, as the window would have recorded it.
        let mut recorded = vec![crate::labs::thread::Session::snapshot(&mut session)];
        session.run_to_end_recording(&mut |snap| recorded.push(snap));
        session.set_paused(true);
        let mut lab = Self::start(session, options)?;
        lab.timeline.clear();
        for snap in recorded {
            lab.timeline.push(snap);
        }
        lab.timeline.push(Arc::clone(&lab.live));
        Ok(lab)
    }

    fn start(mut session: ForestSession, options: ForestLabOptions) -> Result<Self, LabError> {
        use crate::labs::thread::Session as _;
        let latest = session.snapshot();
        let thread = LabThread::spawn("forest", move |worker| run_session(&worker, session))
            .map_err(|source| LabError::Thread {
                lab: "forest",
                source,
            })?;
        let mut timeline = Timeline::new(DEFAULT_BUDGET);
        timeline.push(Arc::clone(&latest));
        let mut lab = Self::with_parts(thread, timeline, latest, options.settings);
        lab.mnist = options.mnist;
        lab.mnist_source = options.mnist_source;
        Ok(lab)
    }

    fn with_parts(
        thread: LabThread<Arc<ForestSnapshot>, ForestCommand>,
        timeline: Timeline<ForestSnapshot>,
        live: Arc<ForestSnapshot>,
        controls: ForestSettings,
    ) -> Self {
        Self {
            thread,
            latest: Arc::clone(&live),
            live,
            timeline,
            controls,
            view: ViewState::default(),
            cache: Cache::default(),
            growth_grid: None,
            last_growth_tick: Instant::now(),
            file_path: "forest.nvforest".into(),
            confusion_cell: None,
            message: None,
            mnist: None,
            mnist_source: None,
            saved_run: None,
        }
    }

    /// The saved run `run` (of this lab), to scrub without growing: its controls show the
    /// last moment's settings.
    pub fn open_run(run: &RunFile) -> Result<Self, LabError> {
        let moments: Vec<Arc<ForestSnapshot>> = run.moments(Self::NAME)?;
        let live = run_file::last(&moments, run)?;
        let settings = live.settings.clone();
        let timeline = Timeline::from_moments(moments);
        let mut lab = Self::with_parts(LabThread::idle(), timeline, live, settings);
        lab.saved_run = Some(run.path.clone());
        Ok(lab)
    }

    /// The newest snapshot taken by [`Lab::update`].
    pub fn snapshot(&self) -> &Arc<ForestSnapshot> {
        &self.latest
    }

    /// What the user looks at.
    pub fn view_state(&self) -> &ViewState {
        &self.view
    }

    /// Changes what the user looks at (tests and the command line use this).
    pub fn set_view_state(&mut self, view: ViewState) {
        self.view = view;
        self.growth_grid = None;
    }

    /// Trees the ensemble views use.
    pub fn used(&self) -> usize {
        let grown = self.latest.trees.len();
        self.view.used.map_or(grown, |k| k.min(grown))
    }

    /// The chosen tree's index, within the trees grown (`None` before any).
    pub fn chosen_tree(&self) -> Option<usize> {
        let n = self.latest.trees.len();
        (n > 0).then(|| self.view.chosen_tree.min(n - 1))
    }

    fn send(&mut self, command: ForestCommand) {
        if self.thread.send(command) {
            return;
        }
        self.message = Some(command_refused(self.saved_run.is_some(), "forest"));
    }

    /// "Save forest": the thread writes the trees grown so far; a saved run writes those of
    /// its newest moment.
    fn save_forest(&mut self) {
        let path = PathBuf::from(&self.file_path);
        if self.saved_run.is_none() {
            self.send(ForestCommand::Save(path));
            return;
        }
        self.message = Some(match grown_forest(&self.live) {
            Some(forest) => match forest.save(&path) {
                Ok(()) => format!("saved {} trees to {}", forest.trees.len(), path.display()),
                Err(e) => format!("not saved: {e}"),
            },
            None => "not saved: no tree was grown".into(),
        });
    }

    fn restart(&mut self) {
        self.view.used = None;
        self.view.splits = None;
        self.view.chosen_tree = 0;
        self.send(ForestCommand::Restart(Box::new(self.controls.clone())));
    }

    fn refresh_cache(&mut self) {
        let key = (self.latest.run, self.latest.trees.len(), self.used());
        if self.cache.key != Some(key) {
            self.cache = Cache {
                key: Some(key),
                ..Cache::default()
            };
        }
    }

    /// The share of the trees used voting class 1 at every cell of the plane.
    pub fn vote_shares(&mut self) -> Vec<f32> {
        self.refresh_cache();
        let k = self.used();
        self.cache
            .votes
            .get_or_insert_with(|| views::vote_share_grid(&self.latest.trees, k))
            .clone()
    }

    fn data(&self) -> Option<Arc<LabData>> {
        self.latest.data.clone()
    }

    fn importances(&mut self) -> Vec<f64> {
        self.refresh_cache();
        let k = self.used();
        let n = self.latest.data.as_ref().map_or(0, |d| d.train.cols);
        self.cache
            .importances
            .get_or_insert_with(|| views::importances(&self.latest.trees, k, n))
            .clone()
    }

    fn confusion(&mut self) -> Option<ConfusionMatrix> {
        self.refresh_cache();
        let data = self.data()?;
        let k = self.used();
        Some(
            self.cache
                .confusion
                .get_or_insert_with(|| views::test_confusion(&data, &self.latest.trees, k))
                .clone(),
        )
    }

    /// The row the views probe: the probe point of the plane or the chosen held-out digit's
    /// pixels (as f32).
    pub fn probe_row(&self) -> Option<Vec<f32>> {
        let data = self.latest.data.as_ref()?;
        if data.plane.is_some() {
            Some(self.view.probe.to_vec())
        } else {
            let r = self.view.digit.min(data.test.rows.checked_sub(1)?);
            let mut row = Vec::new();
            data.test.row_into(r, &mut row);
            Some(row)
        }
    }

    /// The chosen tree's grid as it was after the chosen number of splits (cached).
    fn chosen_grid(&mut self) -> Option<Vec<f32>> {
        let data = self.data()?;
        let t = self.chosen_tree()?;
        let tree = &self.latest.trees[t];
        match self.view.splits {
            None => Some(tree.grid.clone()),
            Some(s) => {
                let key = (self.latest.run, t, s);
                if self.growth_grid.as_ref().map(|(k, _)| *k) != Some(key) {
                    self.growth_grid = Some((key, views::grid_after(&data, &tree.tree, s)));
                }
                self.growth_grid.as_ref().map(|(_, g)| g.clone())
            }
        }
    }

    fn vote_map_scene(&mut self, view: &SceneView) -> Scene {
        let Some(data) = self.data() else {
            return scenes::note("no data", view.camera);
        };
        if data.plane.is_none() {
            return self.digit_scene(&data, view);
        }
        let votes = self.vote_shares();
        let k = self.used();
        let bootstrap = if self.view.show_bootstrap {
            self.chosen_tree()
                .map(|t| self.latest.trees[t].in_bag.clone())
        } else {
            None
        };
        let oob = if bootstrap.is_none() {
            self.refresh_cache();
            self.cache
                .oob_mistakes
                .get_or_insert_with(|| views::oob_mistakes(&data, &self.latest.trees, k))
                .clone()
        } else {
            Vec::new()
        };
        let marks = VoteMapMarks {
            oob_mistakes: oob,
            probe: Some(self.view.probe),
            bootstrap,
        };
        scenes::vote_map(&data, &votes, &marks, view.camera)
    }

    fn digit_scene(&self, data: &LabData, view: &SceneView) -> Scene {
        let side = data.side;
        let cols = data.test.cols;
        let Some(r) = data
            .test
            .rows
            .checked_sub(1)
            .map(|last| self.view.digit.min(last))
        else {
            return scenes::note("no held-out digits", view.camera);
        };
        let pixels = match &data.test.features {
            crate::forest::Features::U8(values) => values[r * cols..(r + 1) * cols].to_vec(),
            crate::forest::Features::F32(values) => values[r * cols..(r + 1) * cols]
                .iter()
                .map(|&v| v.clamp(0.0, 255.0) as u8)
                .collect(),
        };
        let mut path = Vec::new();
        let mut title = format!("held-out digit {r}: label {}", data.test.labels[r]);
        if let (Some(t), Some(row)) = (self.chosen_tree(), self.probe_row()) {
            let tree = &self.latest.trees[t].tree;
            let nodes = tree.path(&row);
            for w in nodes.windows(2) {
                let n = &tree.nodes[w[0]];
                let pixel = n.feature as usize;
                if pixel < cols {
                    path.push(PixelSplit {
                        pixel,
                        threshold: n.threshold,
                        left: w[1] == n.left as usize,
                    });
                }
            }
            let leaf = *nodes.last().unwrap_or(&0);
            title.push_str(&format!(
                "; tree #{t} says {} after {} splits",
                argmax(&tree.proba(leaf)),
                path.len()
            ));
        }
        scenes::digit_path(side, &pixels, &path, title, view.camera)
    }

    fn thumbs_scene(&mut self, view: &SceneView) -> Scene {
        let Some(data) = self.data() else {
            return scenes::note("no data", view.camera);
        };
        let row = self.probe_row();
        let chosen = self.chosen_tree();
        let chosen_grid = self.chosen_grid();
        let extent = data.extent();
        let thumbs: Vec<Thumb> = self
            .latest
            .trees
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let splits = if Some(i) == chosen {
                    self.view.splits
                } else {
                    None
                };
                if data.plane.is_some() {
                    let grid = match (&chosen_grid, Some(i) == chosen) {
                        (Some(g), true) => g.clone(),
                        _ => t.grid.clone(),
                    };
                    Thumb {
                        grid,
                        vote: None,
                        leaf_box: row
                            .as_ref()
                            .map(|r| views::leaf_box(&t.tree, r, splits, extent)),
                    }
                } else {
                    Thumb {
                        grid: Vec::new(),
                        vote: row.as_ref().map(|r| t.tree.predict(r)),
                        leaf_box: None,
                    }
                }
            })
            .collect();
        scenes::thumbnails(&data, &thumbs, self.used(), chosen, view.camera)
    }

    fn tree_scene(&mut self, view: &SceneView) -> Scene {
        let (Some(data), Some(t)) = (self.data(), self.chosen_tree()) else {
            return scenes::note("no tree grown yet", view.camera);
        };
        let tree = &self.latest.trees[t].tree;
        let path = self.probe_row().map(|r| tree.path(&r)).unwrap_or_default();
        let path = match self.view.splits {
            Some(s) => path.into_iter().filter(|&n| n < 1 + 2 * s).collect(),
            None => path,
        };
        let opts = DiagramOptions {
            max_depth: self.view.collapse_depth,
            splits: self.view.splits,
            path,
            feature_name: if data.plane.is_some() {
                plane_feature_name
            } else {
                pixel_feature_name
            },
        };
        diagram::diagram(tree, &opts, view.camera)
    }

    fn terrain_scene(&mut self, view: &SceneView) -> Scene {
        let Some(data) = self.data() else {
            return scenes::note("no data", view.camera);
        };
        if data.plane.is_none() {
            return scenes::note("The terrain is drawn for the plane datasets", view.camera);
        }
        let votes = self.vote_shares();
        let k = self.used();
        self.refresh_cache();
        let point_votes = self
            .cache
            .point_votes
            .get_or_insert_with(|| views::train_vote_shares(&data, &self.latest.trees, k))
            .clone();
        let tree_grid = if self.view.show_tree_surface {
            self.chosen_grid()
        } else {
            None
        };
        scenes::terrain(
            &data,
            &votes,
            &point_votes,
            tree_grid.as_deref(),
            view.camera,
        )
    }

    fn compare_scene(&mut self, view: &SceneView) -> Scene {
        let Some(data) = self.data() else {
            return scenes::note("no data", view.camera);
        };
        if data.plane.is_none() {
            return scenes::note(
                "The network comparison is drawn for the plane datasets",
                view.camera,
            );
        }
        let votes = self.vote_shares();
        let k = self.used();
        let curve = k.checked_sub(1).and_then(|i| self.latest.curves.get(i));
        let title = match curve {
            Some(c) => format!(
                "Forest, {k} trees: train {:.3}, held out {:.3}",
                c.train, c.test
            ),
            None => "Forest: no trees yet".into(),
        };
        let net = self.latest.net.clone();
        scenes::compare(&data, &votes, title, net.as_deref(), view.camera)
    }

    fn converging_ui(&self, ui: &mut Ui) {
        let snap = &self.latest;
        let mut series = vec![
            Series::new(
                "train",
                palette(0),
                SeriesKind::Line,
                snap.curves.iter().map(|c| [c.trees as f64, c.train]),
            ),
            Series::new(
                "out of bag",
                palette(1),
                SeriesKind::Line,
                snap.curves
                    .iter()
                    .filter_map(|c| c.oob.map(|o| [c.trees as f64, o])),
            ),
            Series::new(
                "held out",
                palette(2),
                SeriesKind::Line,
                snap.curves.iter().map(|c| [c.trees as f64, c.test]),
            ),
        ];
        if let Some(net) = &snap.net {
            series.push(Series::new(
                format!("network, held out (epoch {})", net.epoch),
                palette(3),
                SeriesKind::HLine(net.test_accuracy),
                std::iter::empty(),
            ));
        }
        series.push(Series::new(
            format!("trees used: {}", self.used()),
            egui::Color32::from_rgb(255, 214, 26),
            SeriesKind::VLine(self.used() as f64),
            std::iter::empty(),
        ));
        let height = ui.available_height();
        plot_ui(
            ui,
            Plot::new("forest-converging")
                .x_axis_label("trees")
                .y_axis_label("accuracy"),
            "forest-converging",
            height,
            series,
        );
    }

    fn votes_ui(&self, ui: &mut Ui) {
        let snap = &self.latest;
        let (Some(data), Some(row)) = (snap.data.as_ref(), self.probe_row()) else {
            ui.label("no data");
            return;
        };
        let k = self.used();
        let classes = data.train.classes;
        let votes = views::tree_votes(&snap.trees, &row);
        let what = if data.plane.is_some() {
            format!(
                "probe ({:.3}, {:.3})",
                self.view.probe[0], self.view.probe[1]
            )
        } else {
            let r = self.view.digit.min(data.test.rows.saturating_sub(1));
            format!(
                "held-out digit {r} (label {})",
                data.test.labels.get(r).copied().unwrap_or(0)
            )
        };
        ui.label(format!(
            "{what}: {k} of {} trees used; each tile is one tree's vote",
            snap.trees.len()
        ));
        // Tiles: one per tree, in its vote's color, the trees beyond k dimmed.
        let tile = 18.0;
        let per_row = ((ui.available_width() / (tile + 2.0)).floor() as usize).max(1);
        let rows = votes.len().div_ceil(per_row);
        let (rect, _) = ui.allocate_exact_size(
            egui::vec2(ui.available_width(), rows as f32 * (tile + 2.0)),
            egui::Sense::hover(),
        );
        let painter = ui.painter_at(rect);
        for (i, &v) in votes.iter().enumerate() {
            let (r, c) = (i / per_row, i % per_row);
            let min = rect.min + egui::vec2(c as f32 * (tile + 2.0), r as f32 * (tile + 2.0));
            let tile_rect = egui::Rect::from_min_size(min, egui::vec2(tile, tile));
            let [cr, cg, cb, _] = scenes::class_color(usize::from(v), classes);
            let alpha = if i < k { 255 } else { 60 };
            painter.rect_filled(
                tile_rect,
                2.0,
                egui::Color32::from_rgba_unmultiplied(
                    (cr * 255.0) as u8,
                    (cg * 255.0) as u8,
                    (cb * 255.0) as u8,
                    alpha,
                ),
            );
            if classes > 2 {
                painter.text(
                    tile_rect.center(),
                    egui::Align2::CENTER_CENTER,
                    v.to_string(),
                    egui::FontId::proportional(11.0),
                    egui::Color32::BLACK,
                );
            }
        }
        // The running vote shares as trees are added, and the final probabilities.
        let mut counts = vec![0_u32; classes];
        let mut shares: Vec<Vec<[f64; 2]>> = vec![Vec::new(); classes];
        for (i, &v) in votes.iter().enumerate() {
            counts[usize::from(v)] += 1;
            for (c, s) in shares.iter_mut().enumerate() {
                s.push([(i + 1) as f64, f64::from(counts[c]) / (i + 1) as f64]);
            }
        }
        let k_votes = votes
            .iter()
            .take(k)
            .fold(vec![0_u32; classes], |mut acc, &v| {
                acc[usize::from(v)] += 1;
                acc
            });
        let proba = if data.plane.is_some() {
            snap.forest()
                .map(|f| f.predict_proba(&row, k))
                .unwrap_or_default()
        } else {
            let r = self.view.digit.min(data.test.rows.saturating_sub(1));
            views::test_proba(data, &snap.trees, k, r)
        };
        let verdict = argmax(&proba);
        probability_bars(ui, &proba, &k_votes, k, classes);
        ui.label(format!(
            "votes of {k} trees: {}; probabilities (mean of leaf distributions): {}; predicted class {verdict}",
            k_votes
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(c, n)| format!("{c}: {n}"))
                .collect::<Vec<_>>()
                .join(", "),
            proba
                .iter()
                .enumerate()
                .filter(|(_, p)| **p > 0.0)
                .map(|(c, p)| format!("{c}: {p:.3}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        let series: Vec<Series> = shares
            .into_iter()
            .enumerate()
            .filter(|(c, _)| counts[*c] > 0)
            .map(|(c, points)| {
                let [r, g, b, _] = scenes::class_color(c, classes);
                Series::new(
                    format!("class {c}"),
                    egui::Color32::from_rgb(
                        (r * 255.0) as u8,
                        (g * 255.0) as u8,
                        (b * 255.0) as u8,
                    ),
                    SeriesKind::Steps,
                    points,
                )
            })
            .collect();
        // Room for the plot's top tick label, which stands half above the plot.
        ui.add_space(8.0);
        let height = ui.available_height();
        plot_ui(
            ui,
            Plot::new("forest-votes")
                .x_axis_label("trees")
                .y_axis_label("vote share")
                .include_y(0.0)
                .include_y(1.0),
            "forest-votes",
            height,
            series,
        );
    }

    fn confusion_ui(&mut self, ui: &mut Ui) {
        let Some(m) = self.confusion() else {
            ui.label("no data");
            return;
        };
        let caption = format!(
            "{} held-out rows, {} trees, accuracy {:.4}; rows: true, columns: predicted",
            m.total(),
            self.used(),
            m.accuracy()
        );
        matrix_with_caption_ui(ui, &m, caption, &mut self.confusion_cell);
    }

    fn forest_controls_ui(&mut self, ui: &mut Ui) {
        let c = &mut self.controls;
        ui.label(RichText::new("Data").strong());
        ComboBox::from_label("dataset")
            .selected_text(c.data.name())
            .show_ui(ui, |ui| {
                for d in ForestData::ALL {
                    ui.selectable_value(&mut c.data, d, d.name());
                }
            });
        if c.data.is_plane() {
            ui.add(Slider::new(&mut c.noise, 0.0..=0.6).text("noise"));
            ui.add(
                Slider::new(&mut c.points, 20..=2000)
                    .logarithmic(true)
                    .text("points"),
            );
        } else {
            ui.add(
                Slider::new(&mut c.mnist_train, 500..=60_000)
                    .logarithmic(true)
                    .text("training images"),
            );
        }
        ui.add_space(6.0);
        ui.label(RichText::new("Forest").strong());
        let f = &mut c.forest;
        ui.add(
            Slider::new(&mut f.trees, 1..=500)
                .logarithmic(true)
                .text("trees"),
        );
        let mut depth = f.max_depth.unwrap_or(0);
        ui.add(Slider::new(&mut depth, 0..=40).text("max depth (0: none)"));
        f.max_depth = (depth > 0).then_some(depth);
        ui.add(Slider::new(&mut f.min_samples_leaf, 1..=50).text("min samples per leaf"));
        ComboBox::from_label("features per split")
            .selected_text(f.max_features.to_string())
            .show_ui(ui, |ui| {
                for m in [
                    MaxFeatures::Sqrt,
                    MaxFeatures::Log2,
                    MaxFeatures::Fraction(0.5),
                    MaxFeatures::All,
                ] {
                    let label = m.to_string();
                    ui.selectable_value(&mut f.max_features, m, label);
                }
            });
        ComboBox::from_label("criterion")
            .selected_text(f.criterion.name())
            .show_ui(ui, |ui| {
                for cr in [Criterion::Gini, Criterion::Entropy] {
                    ui.selectable_value(&mut f.criterion, cr, cr.name());
                }
            });
        ui.checkbox(&mut f.bootstrap, "bootstrap");
        ui.horizontal(|ui| {
            ui.label("seed");
            ui.add(DragValue::new(&mut f.seed));
        });
        let changed = *c != self.latest.settings;
        if ui
            .add_enabled(changed, egui::Button::new("Grow a new forest"))
            .on_hover_text("new data and trees with these settings")
            .clicked()
        {
            self.restart();
        }
    }

    fn growth_controls_ui(&mut self, ui: &mut Ui) {
        let snap = Arc::clone(&self.live);
        ui.label(RichText::new("Growing").strong());
        ui.label(format!(
            "{} of {} trees{}",
            snap.trees.len(),
            snap.settings.forest.trees,
            if snap.paused { ", paused" } else { "" }
        ));
        ui.add_enabled_ui(self.saved_run.is_none(), |ui| {
            ui.horizontal(|ui| {
                let label = if snap.paused { "Play" } else { "Pause" };
                if ui.button(label).clicked() {
                    self.toggle_pause();
                }
                if ui.button("Step").on_hover_text("add one tree").clicked() {
                    self.send(ForestCommand::GrowOne);
                }
                if ui.button("Reset").clicked() {
                    self.reset();
                }
            });
            let mut speed = self.controls.trees_per_sec.unwrap_or(0.0);
            if ui
                .add(Slider::new(&mut speed, 0.0..=60.0).text("trees/s (0: fastest)"))
                .changed()
            {
                self.controls.trees_per_sec = (speed > 0.0).then_some(speed);
                self.send(ForestCommand::SetSpeed(self.controls.trees_per_sec));
            }
        });
        let grown = snap.trees.len();
        if grown > 0 {
            let mut k = self.used();
            let mut follow = self.view.used.is_none();
            ui.horizontal(|ui| {
                if ui
                    .add(Slider::new(&mut k, 1..=grown).text(format!("trees used of {grown}")))
                    .changed()
                {
                    follow = false;
                }
                if ui.checkbox(&mut follow, "all").changed() && follow {
                    k = grown;
                }
            });
            self.view.used = if follow { None } else { Some(k) };
            ui.add_space(6.0);
            ui.label(RichText::new("Chosen tree").strong());
            let mut t = self.chosen_tree().unwrap_or(0);
            ui.add(Slider::new(&mut t, 0..=grown - 1).text("tree"));
            if t != self.view.chosen_tree {
                self.view.chosen_tree = t;
                self.view.splits = None;
            }
            let total = snap.trees[t].tree.splits();
            let mut s = self.view.splits.unwrap_or(total);
            ui.horizontal(|ui| {
                if ui
                    .add(Slider::new(&mut s, 0..=total).text(format!("splits of {total}")))
                    .changed()
                {
                    self.view.splits = (s < total).then_some(s);
                }
                let label = if self.view.growing { "Stop" } else { "Grow" };
                if ui
                    .button(label)
                    .on_hover_text("replay this tree split by split")
                    .clicked()
                {
                    self.view.growing = !self.view.growing;
                    if self.view.growing {
                        self.view.splits = Some(0);
                    }
                }
            });
            ui.add(Slider::new(&mut self.view.collapse_depth, 1..=30).text("diagram depth"));
            if snap.data.as_ref().is_some_and(|d| d.plane.is_some()) {
                ui.checkbox(&mut self.view.show_bootstrap, "show its bootstrap sample");
                ui.checkbox(
                    &mut self.view.show_tree_surface,
                    "its surface beside the terrain",
                );
            }
        }
    }

    fn probe_controls_ui(&mut self, ui: &mut Ui) {
        let Some(data) = self.data() else {
            return;
        };
        ui.add_space(6.0);
        ui.label(RichText::new("Probe").strong());
        if data.plane.is_some() {
            ui.horizontal(|ui| {
                ui.label("x1");
                ui.add(DragValue::new(&mut self.view.probe[0]).speed(0.01));
                ui.label("x2");
                ui.add(DragValue::new(&mut self.view.probe[1]).speed(0.01));
            });
            ui.label("(hover the vote map to move it)");
        } else if data.test.rows > 0 {
            ui.add(
                Slider::new(&mut self.view.digit, 0..=data.test.rows - 1).text("held-out digit"),
            );
        }
    }

    fn file_controls_ui(&mut self, ui: &mut Ui) {
        ui.add_space(6.0);
        ui.label(RichText::new("Forest file").strong());
        ui.text_edit_singleline(&mut self.file_path);
        ui.horizontal(|ui| {
            if ui.button("Save").clicked() {
                self.save_forest();
            }
            if ui.button("Load").clicked() {
                self.send(ForestCommand::Load(self.file_path.clone().into()));
            }
        });
        if let Some(m) = &self.message {
            ui.label(m);
        }
    }

    fn node_hover(&self, view: &SceneView, pos_px: Vec2) -> Option<String> {
        let t = self.chosen_tree()?;
        let data = self.latest.data.as_ref()?;
        let tree = &self.latest.trees[t].tree;
        let opts = DiagramOptions {
            max_depth: self.view.collapse_depth,
            splits: self.view.splits,
            path: Vec::new(),
            feature_name: plane_feature_name,
        };
        let lay = diagram::layout(tree, &opts);
        let size = Vec2::new(view.size_px[0] as f32, view.size_px[1] as f32);
        let (node, d) = lay
            .nodes
            .iter()
            .filter_map(|&(i, c)| {
                view.camera
                    .project(glam::Vec3::new(c[0], c[1], 0.0), size)
                    .map(|p| (i, p.distance(pos_px)))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))?;
        if d > view.px(40.0) {
            return None;
        }
        let n = &tree.nodes[node];
        let name = if data.plane.is_some() {
            plane_feature_name
        } else {
            pixel_feature_name
        };
        let proba = tree.proba(node);
        let mut text = format!(
            "node {node} (depth {}): {} rows, weight {:.0}, impurity {:.4}",
            n.depth, n.samples, n.weight, n.impurity
        );
        if n.feature != crate::forest::LEAF {
            text.push_str(&format!(
                "\nsplit {} ≤ {} (impurity decrease {:.4})",
                name(n.feature as usize),
                n.threshold,
                n.decrease
            ));
        }
        text.push_str("\nclasses: ");
        text.push_str(
            &proba
                .iter()
                .enumerate()
                .filter(|(_, p)| **p > 0.0)
                .map(|(c, p)| format!("{c}: {p:.3}"))
                .collect::<Vec<_>>()
                .join(", "),
        );
        Some(text)
    }
}

/// One bar per class with votes or probability: the share of the `k` trees voting it (thin,
/// on top) and the ensemble's probability (thick), with the numbers.
fn probability_bars(ui: &mut Ui, proba: &[f32], votes: &[u32], k: usize, classes: usize) {
    let shown: Vec<usize> = (0..classes)
        .filter(|&c| proba.get(c).is_some_and(|p| *p > 0.0) || votes.get(c).is_some_and(|v| *v > 0))
        .collect();
    let row = 16.0;
    let (rect, _) = ui.allocate_exact_size(
        egui::vec2(ui.available_width(), shown.len() as f32 * (row + 3.0)),
        egui::Sense::hover(),
    );
    let painter = ui.painter_at(rect);
    let label_w = 64.0;
    let width = (rect.width() - label_w - 8.0).max(10.0);
    for (i, &c) in shown.iter().enumerate() {
        let top = rect.min.y + i as f32 * (row + 3.0);
        let p = proba.get(c).copied().unwrap_or(0.0);
        let share = votes.get(c).map_or(0.0, |&v| v as f32 / k.max(1) as f32);
        let [r, g, b, _] = scenes::class_color(c, classes);
        let color =
            egui::Color32::from_rgb((r * 255.0) as u8, (g * 255.0) as u8, (b * 255.0) as u8);
        let x0 = rect.min.x + label_w;
        painter.rect_filled(
            egui::Rect::from_min_size(egui::pos2(x0, top + 5.0), egui::vec2(width * p, row - 5.0)),
            1.0,
            color,
        );
        painter.rect_filled(
            egui::Rect::from_min_size(egui::pos2(x0, top), egui::vec2(width * share, 3.0)),
            0.0,
            egui::Color32::from_gray(220),
        );
        painter.text(
            egui::pos2(rect.min.x, top + row / 2.0),
            egui::Align2::LEFT_CENTER,
            format!("class {c}"),
            egui::FontId::proportional(12.0),
            ui.visuals().text_color(),
        );
    }
}

fn plane_feature_name(f: usize) -> String {
    format!("x{}", f + 1)
}

fn pixel_feature_name(f: usize) -> String {
    format!("px({},{})", f / 28, f % 28)
}

pub use crate::labs::unproject_2d;

/// The trees `snap` holds as a forest of that many trees, as "Save forest" writes it
/// (`None` before the first tree).
fn grown_forest(snap: &ForestSnapshot) -> Option<Forest> {
    let mut forest = snap.forest().filter(|f| !f.trees.is_empty())?;
    forest.config.trees = forest.trees.len();
    Some(forest)
}

impl Lab for ForestLab {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn update(&mut self) {
        if let Some(snapshot) = self.thread.take_latest() {
            if snapshot.run != self.live.run {
                self.controls = snapshot.settings.clone();
                self.growth_grid = None;
            }
            self.timeline.push(Arc::clone(&snapshot));
            self.live = snapshot;
            self.latest = Arc::clone(self.timeline.shown(&self.live));
        }
        if self.view.growing
            && let Some(t) = self.chosen_tree()
            && self.last_growth_tick.elapsed() >= Duration::from_millis(250)
        {
            self.last_growth_tick = Instant::now();
            let total = self.latest.trees[t].tree.splits();
            let next = self.view.splits.map_or(total, |s| s + 1);
            if next >= total {
                self.view.splits = None;
                self.view.growing = false;
            } else {
                self.view.splits = Some(next);
            }
        }
    }

    fn controls_ui(&mut self, ui: &mut Ui) {
        saved_run_ui(ui, self.saved_run.as_deref());
        self.growth_controls_ui(ui);
        self.probe_controls_ui(ui);
        ui.add_space(6.0);
        ui.add_enabled_ui(self.saved_run.is_none(), |ui| self.forest_controls_ui(ui));
        self.file_controls_ui(ui);
    }

    fn panels(&self) -> Vec<PanelSpec> {
        let plane = self.latest.data.as_ref().is_none_or(|d| d.plane.is_some());
        Panel::ALL
            .iter()
            .map(|&panel| {
                let kind = match panel {
                    Panel::VoteMap => PanelKind::Scene2d(if plane {
                        scenes::plane_camera(PLANE_VIEW)
                    } else {
                        scenes::unit_camera()
                    }),
                    Panel::Compare => PanelKind::Scene2d(scenes::compare_camera(PLANE_VIEW)),
                    Panel::Trees => PanelKind::Scene2d(scenes::thumbs_camera()),
                    Panel::Tree => PanelKind::Scene2d(diagram::diagram_camera()),
                    Panel::Terrain => PanelKind::Scene3d(scenes::terrain_camera()),
                    Panel::Importance => PanelKind::Scene2d(scenes::unit_camera()),
                    Panel::Converging | Panel::Votes | Panel::Confusion => PanelKind::Egui,
                };
                let spec = PanelSpec::of(panel, kind);
                match panel {
                    Panel::VoteMap if !plane => spec.titled("Digit and its path"),
                    Panel::Trees if !plane => spec.titled("Every tree's vote"),
                    _ => spec,
                }
            })
            .collect()
    }

    /// Plane: the vote map with the curves and votes below it, the trees and the chosen
    /// tree on the right. MNIST: the votes and the digit, the importance and the trees.
    fn default_layout(&self) -> Layout {
        let plane = self.latest.data.as_ref().is_none_or(|d| d.plane.is_some());
        let tabs = |panels: &[Panel]| Layout::tabs(panels.iter().map(|p| p.id()));
        if plane {
            Layout::Row(vec![
                (
                    0.47,
                    Layout::Column(vec![
                        (0.6, tabs(&[Panel::VoteMap, Panel::Compare, Panel::Terrain])),
                        (
                            0.4,
                            tabs(&[Panel::Converging, Panel::Votes, Panel::Confusion]),
                        ),
                    ]),
                ),
                (
                    0.53,
                    Layout::Column(vec![
                        (0.5, tabs(&[Panel::Trees, Panel::Importance])),
                        (0.5, tabs(&[Panel::Tree])),
                    ]),
                ),
            ])
        } else {
            Layout::Row(vec![
                (
                    0.47,
                    Layout::Column(vec![
                        (0.55, tabs(&[Panel::Votes, Panel::VoteMap])),
                        (0.45, tabs(&[Panel::Converging, Panel::Confusion])),
                    ]),
                ),
                (
                    0.53,
                    Layout::Column(vec![
                        (0.5, tabs(&[Panel::Importance, Panel::Trees])),
                        (0.5, tabs(&[Panel::Tree])),
                    ]),
                ),
            ])
        }
    }

    fn file_menu_ui(&mut self, ui: &mut Ui) {
        let path = self.file_path.clone();
        if ui
            .button("Save forest")
            .on_hover_text(format!("to {path} (set in the side panel)"))
            .clicked()
        {
            self.save_forest();
            ui.close();
        }
        if ui
            .button("Load forest")
            .on_hover_text(format!("from {path} (set in the side panel)"))
            .clicked()
        {
            self.send(ForestCommand::Load(path.into()));
            ui.close();
        }
    }

    fn scene(&mut self, panel: usize, view: &SceneView) -> Scene {
        match Panel::at(panel) {
            Some(Panel::VoteMap) => self.vote_map_scene(view),
            Some(Panel::Trees) => self.thumbs_scene(view),
            Some(Panel::Tree) => self.tree_scene(view),
            Some(Panel::Terrain) => self.terrain_scene(view),
            Some(Panel::Compare) => self.compare_scene(view),
            Some(Panel::Importance) => match self.data() {
                Some(data) => {
                    let importances = self.importances();
                    scenes::importance(&data, &importances, view.camera)
                }
                None => scenes::note("no data", view.camera),
            },
            Some(Panel::Converging | Panel::Votes | Panel::Confusion) | None => {
                Scene::new(view.camera)
            }
        }
    }

    fn hover_text(&mut self, panel: usize, pos_px: Vec2, view: &SceneView) -> Option<String> {
        let data = self.data()?;
        match Panel::at(panel)? {
            Panel::VoteMap if data.plane.is_some() => {
                let p = unproject_2d(view, pos_px)?;
                let (lo, hi) = data.extent();
                if p.iter().any(|&v| v < lo || v > hi) {
                    return None;
                }
                self.view.probe = p;
                let k = self.used();
                let votes = views::tree_votes(&self.latest.trees[..k], &p);
                let ones = votes.iter().filter(|&&v| v == 1).count();
                Some(format!(
                    "({:.3}, {:.3}): {ones} of {k} trees vote class 1 (share {:.3})",
                    p[0],
                    p[1],
                    if k > 0 { ones as f32 / k as f32 } else { 0.5 }
                ))
            }
            Panel::Trees => {
                let p = unproject_2d(view, pos_px)?;
                let i = (0..self.latest.trees.len()).find(|&i| {
                    let (min, max) = scenes::thumb_rect(i);
                    p[0] >= min[0] && p[0] <= max[0] && p[1] >= min[1] && p[1] <= max[1]
                })?;
                if self.view.chosen_tree != i {
                    self.view.chosen_tree = i;
                    self.view.splits = None;
                }
                let t = &self.latest.trees[i].tree;
                Some(format!(
                    "tree #{i}: depth {}, {} leaves, {} splits",
                    t.depth(),
                    t.leaves(),
                    t.splits()
                ))
            }
            Panel::Tree => self.node_hover(view, pos_px),
            _ => None,
        }
    }

    fn panel_ui(&mut self, panel: usize, ui: &mut Ui) {
        match Panel::at(panel) {
            Some(Panel::Converging) => self.converging_ui(ui),
            Some(Panel::Votes) => self.votes_ui(ui),
            Some(Panel::Confusion) => self.confusion_ui(ui),
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
        self.growth_grid = None;
    }

    fn save_run(&self, path: &Path) -> Result<String, String> {
        let s = &self.live;
        let run = RunToSave {
            lab: Self::NAME,
            settings: serde_json::to_value(&s.settings).map_err(|e| e.to_string())?,
            moments: self.timeline.moments(),
            model: grown_forest(s).map(|f| f.encode()),
        };
        run.save(path).map_err(|e| e.to_string())?;
        Ok(format!(
            "{} moments up to tree {}",
            run.moments.len(),
            s.trees.len()
        ))
    }

    fn is_saved_run(&self) -> bool {
        self.saved_run.is_some()
    }

    fn fork(&self, seed: Option<u64>) -> Result<Box<dyn Lab>, String> {
        let mut settings = self.controls.clone();
        settings.forest.seed = seed.unwrap_or(settings.forest.seed);
        settings.forest.validate().map_err(|e| e.to_string())?;
        let mnist_source = self.mnist_source.clone().or_else(|| {
            crate::data::mnist::resolve_data_dir(None)
                .ok()
                .map(|(dir, source)| MnistSource { dir, source })
        });
        let mut lab = ForestLab::new(ForestLabOptions {
            settings,
            mnist: self.mnist.clone(),
            mnist_source,
            paused: false,
        })
        .map_err(|e| e.to_string())?;
        lab.file_path = self.file_path.clone();
        Ok(Box::new(lab))
    }

    fn status(&self) -> StatusInfo {
        let snap = &self.live;
        StatusInfo {
            step: snap.trees.len() as u64,
            loss: None,
            paused: snap.paused || snap.is_complete() || self.saved_run.is_some(),
            message: saved_run_status(self.saved_run.as_deref())
                .or_else(|| snap.message.clone())
                .or_else(|| self.message.clone()),
        }
    }

    fn toggle_pause(&mut self) {
        let paused = !self.live.paused;
        self.send(ForestCommand::SetPaused(paused));
    }

    fn reset(&mut self) {
        self.controls = self.live.settings.clone();
        self.restart();
    }
}
