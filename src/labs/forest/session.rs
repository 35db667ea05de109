//! `ForestSession`: the forest lab's state on its thread. It grows the forest one tree at a
//! time (each tree exactly as [`Forest::fit`] would build it, so the lab and
//! `netviz forest train` agree for a seed), keeps the running votes of the training and
//! held-out sets, the accuracy curves against the number of trees, and for the plane each
//! tree's decision over a grid of the input plane; beside it, on the plane, the XOR lab's
//! network learns the same points. Pure and synchronous: the lab thread owns it.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::data::mnist::{self, DirSource, Mnist};
use crate::data::plane::Dataset2d;
use crate::forest::{Ensemble, Forest, ForestConfig, Table, Tree};
use crate::labs::forest::settings::{ForestData, ForestSettings};
use crate::labs::thread::{Session, Step};
use crate::nn::xor::{Activation, XorNet};

/// Cells per side of the plane's grids (vote map, thumbnails, terrain, the network's map).
pub const GRID: usize = 96;
/// Epochs the comparison network trains per step.
const NET_EPOCHS_PER_STEP: u64 = 250;

/// What the UI asks of the lab.
#[derive(Clone, Debug, PartialEq)]
pub enum ForestCommand {
    /// Stop or continue growing.
    SetPaused(bool),
    /// Grow one tree now (even while paused).
    GrowOne,
    /// Trees added per second (`None`: as fast as they grow).
    SetSpeed(Option<f32>),
    /// Start over with these settings (new data, new forest).
    Restart(Box<ForestSettings>),
    /// Write the forest grown so far to a file.
    Save(PathBuf),
    /// Replace the forest with one read from a file (its features must fit the data).
    Load(PathBuf),
}

/// The data the forest learns, shared by every snapshot of a run.
#[derive(Debug, Serialize, Deserialize)]
pub struct LabData {
    /// What it is.
    pub kind: ForestData,
    /// Training rows.
    pub train: Table,
    /// Held-out rows (fresh points of the plane dataset; MNIST's test images).
    pub test: Table,
    /// The plane's points (training, held out) when the data are a plane dataset.
    pub plane: Option<(Dataset2d, Dataset2d)>,
    /// Side of an MNIST image (28) when the data are images.
    pub side: usize,
}

impl LabData {
    /// The shown region of the plane `(min, max)` on both axes (`(0, 1)` for images).
    pub fn extent(&self) -> (f32, f32) {
        self.plane.as_ref().map_or((0.0, 1.0), |(d, _)| d.extent)
    }

    /// The center of grid cell `(row, col)` of the plane (row 0 at the top).
    pub fn cell_center(&self, row: usize, col: usize) -> [f32; 2] {
        let (lo, hi) = self.extent();
        let step = (hi - lo) / GRID as f32;
        [
            lo + (col as f32 + 0.5) * step,
            hi - (row as f32 + 0.5) * step,
        ]
    }
}

/// One grown tree and what the views need of it.
#[derive(Debug, Serialize, Deserialize)]
pub struct GrownTree {
    /// The tree.
    pub tree: Tree,
    /// How many times each training row was drawn into its bootstrap sample (0: out of bag).
    pub in_bag: Vec<u32>,
    /// Plane: the tree's probability of class 1 at every grid cell (`GRID²`, row 0 at the
    /// top); empty for images.
    pub grid: Vec<f32>,
    /// The leaf every held-out row reaches.
    pub test_leaves: Vec<u32>,
}

/// Accuracies of the first `trees` trees.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Trees in the ensemble.
    pub trees: usize,
    /// Accuracy on the training rows.
    pub train: f64,
    /// Out-of-bag accuracy (rows some tree left out); `None` until a row has been left out.
    pub oob: Option<f64>,
    /// Accuracy on the held-out rows.
    pub test: f64,
}

/// The comparison network on the plane.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NetView {
    /// Epochs trained.
    pub epoch: u64,
    /// Hidden neurons.
    pub hidden: usize,
    /// Its output at every grid cell (`GRID²`, row 0 at the top).
    pub grid: Vec<f32>,
    /// Accuracy on the training points.
    pub train_accuracy: f64,
    /// Accuracy on the held-out points.
    pub test_accuracy: f64,
}

/// What the lab thread publishes. A run file writes the data and each tree once.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ForestSnapshot {
    /// Bumped by every restart and load, so views know to drop what they cached.
    pub run: u64,
    /// The settings of this run.
    pub settings: ForestSettings,
    /// The data (`None` while MNIST is loading or when it could not be loaded).
    #[serde(with = "crate::labs::run_file::shared::option")]
    pub data: Option<Arc<LabData>>,
    /// The trees grown so far, in order.
    #[serde(with = "crate::labs::run_file::shared::vec")]
    pub trees: Vec<Arc<GrownTree>>,
    /// Accuracy after each tree.
    pub curves: Vec<CurvePoint>,
    /// The network on the plane (`None` for images).
    #[serde(with = "crate::labs::run_file::shared::option")]
    pub net: Option<Arc<NetView>>,
    /// Whether growing is paused.
    pub paused: bool,
    /// The last problem or notice (a failed load, data that could not be read).
    pub message: Option<String>,
}

impl crate::labs::timeline::Moment for ForestSnapshot {
    /// Trees grown.
    fn step(&self) -> u64 {
        self.trees.len() as u64
    }

    /// One minus the held-out accuracy (a forest has no loss; this falls as it should).
    fn loss(&self) -> Option<f32> {
        self.curves.last().map(|c| (1.0 - c.test) as f32)
    }

    /// The tree list and curves, and the newest tree (earlier ones are shared).
    fn heap_bytes(&self) -> usize {
        let newest = self.trees.last().map_or(0, |t| {
            t.tree.nodes.len() * std::mem::size_of::<crate::forest::Node>()
                + 4 * (t.in_bag.len() + t.grid.len() + t.test_leaves.len())
        });
        std::mem::size_of::<ForestSnapshot>()
            + self.trees.len() * std::mem::size_of::<Arc<GrownTree>>()
            + self.curves.len() * std::mem::size_of::<CurvePoint>()
            + newest
            + self.net.as_ref().map_or(0, |n| 4 * n.grid.len())
    }

    fn run(&self) -> u64 {
        self.run
    }
}

impl ForestSnapshot {
    /// The trees as a [`Forest`] (copies them), e.g. to save or to query `predict_proba`.
    pub fn forest(&self) -> Option<Forest> {
        let data = self.data.as_ref()?;
        Some(Forest {
            config: self.settings.forest.clone(),
            n_features: data.train.cols,
            classes: data.train.classes,
            train_rows: data.train.rows,
            trees: self.trees.iter().map(|t| t.tree.clone()).collect(),
        })
    }

    /// Whether every tree has been grown.
    pub fn is_complete(&self) -> bool {
        self.trees.len() >= self.settings.forest.trees
    }
}

/// Where the MNIST files are, for a switch to MNIST.
#[derive(Clone, Debug)]
pub struct MnistSource {
    /// The folder.
    pub dir: PathBuf,
    /// Where it was named.
    pub source: DirSource,
}

/// The forest lab's state.
pub struct ForestSession {
    settings: ForestSettings,
    mnist_source: Option<MnistSource>,
    mnist: Option<Arc<Mnist>>,
    data: Option<Arc<LabData>>,
    trees: Vec<Arc<GrownTree>>,
    train_votes: Option<Ensemble>,
    test_votes: Option<Ensemble>,
    curves: Vec<CurvePoint>,
    net: Option<(XorNet, Arc<NetView>)>,
    paused: bool,
    run: u64,
    message: Option<String>,
}

impl ForestSession {
    /// A session on `settings`, with MNIST already loaded (`mnist`) or to be read from
    /// `mnist_source` when the user switches to it.
    pub fn new(
        settings: ForestSettings,
        mnist: Option<Arc<Mnist>>,
        mnist_source: Option<MnistSource>,
    ) -> Self {
        let mut session = ForestSession {
            settings,
            mnist_source,
            mnist,
            data: None,
            trees: Vec::new(),
            train_votes: None,
            test_votes: None,
            curves: Vec::new(),
            net: None,
            paused: false,
            run: 0,
            message: None,
        };
        session.restart();
        session
    }

    /// The settings of the current run.
    pub fn settings(&self) -> &ForestSettings {
        &self.settings
    }

    /// Trees grown so far.
    pub fn trees(&self) -> usize {
        self.trees.len()
    }

    /// Pauses or resumes growing.
    pub fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
    }

    /// Grows every remaining tree and trains the network to its end (headless runs).
    pub fn run_to_end(&mut self) {
        while self.grow_next() || self.train_net() {}
    }

    /// [`run_to_end`](Self::run_to_end), handing `record` a snapshot after every tree.
    pub fn run_to_end_recording(&mut self, record: &mut dyn FnMut(Arc<ForestSnapshot>)) {
        loop {
            if self.grow_next() {
                record(crate::labs::thread::Session::snapshot(self));
            } else if !self.train_net() {
                break;
            }
        }
    }

    fn restart(&mut self) {
        self.run += 1;
        self.trees.clear();
        self.curves.clear();
        self.train_votes = None;
        self.test_votes = None;
        self.net = None;
        self.data = None;
        match self.load_data() {
            Ok(data) => {
                self.train_votes = Some(Ensemble::new(&data.train, data.train.classes));
                self.test_votes = Some(Ensemble::new(&data.test, data.test.classes));
                self.net = start_net(&self.settings, &data);
                self.data = Some(Arc::new(data));
            }
            Err(message) => self.message = Some(message),
        }
    }

    fn load_data(&mut self) -> Result<LabData, String> {
        let s = &self.settings;
        match s.data {
            ForestData::Plane(kind) => {
                let seed = s.forest.seed;
                let train = Dataset2d::generate(kind, s.points, s.noise, seed);
                let test = Dataset2d::generate(kind, s.points, s.noise, seed.wrapping_add(1));
                Ok(LabData {
                    kind: s.data,
                    train: Table::from_plane(&train.points, &train.labels),
                    test: Table::from_plane(&test.points, &test.labels),
                    plane: Some((train, test)),
                    side: 0,
                })
            }
            ForestData::Mnist => {
                let mnist = match &self.mnist {
                    Some(m) => Arc::clone(m),
                    None => {
                        let source = self.mnist_source.clone().ok_or_else(|| {
                            "MNIST: no data folder is known; start with --data-dir".to_string()
                        })?;
                        let loaded = mnist::load(
                            &source.dir,
                            source.source,
                            &mnist::MIRRORS,
                            &mut mnist::Quiet,
                        )
                        .map_err(|e| format!("MNIST could not be loaded: {e}"))?;
                        let loaded = Arc::new(loaded);
                        self.mnist = Some(Arc::clone(&loaded));
                        loaded
                    }
                };
                mnist_tables(&mnist, s.mnist_train, s.mnist_test)
            }
        }
    }

    /// Grows the next tree; `false` when the forest is complete (or there are no data).
    fn grow_next(&mut self) -> bool {
        let Some(data) = self.data.clone() else {
            return false;
        };
        let index = self.trees.len();
        if index >= self.settings.forest.trees {
            return false;
        }
        let config = &self.settings.forest;
        let tree = Forest::grow_tree(&data.train, config, index);
        let in_bag = Forest::in_bag(config, index, data.train.rows);
        self.add_tree(&data, tree, in_bag);
        true
    }

    /// Adds `tree` (drawn `in_bag` times per training row) to the running votes, its views
    /// and the curves.
    fn add_tree(&mut self, data: &LabData, tree: Tree, in_bag: Vec<u32>) {
        let (Some(train_votes), Some(test_votes)) =
            (self.train_votes.as_mut(), self.test_votes.as_mut())
        else {
            return;
        };
        train_votes.add(&tree, &in_bag);
        test_votes.add(&tree, &vec![1; data.test.rows]);
        let mut row = Vec::with_capacity(data.test.cols);
        let test_leaves = (0..data.test.rows)
            .map(|r| {
                data.test.row_into(r, &mut row);
                tree.leaf(&row) as u32
            })
            .collect();
        let grid = if data.plane.is_some() {
            tree_grid(data, &tree)
        } else {
            Vec::new()
        };
        self.trees.push(Arc::new(GrownTree {
            tree,
            in_bag,
            grid,
            test_leaves,
        }));
        self.curves.push(CurvePoint {
            trees: self.trees.len(),
            train: train_votes.accuracy(),
            oob: train_votes.oob_accuracy(),
            test: test_votes.accuracy(),
        });
    }

    /// Trains the network another chunk of epochs; `false` when it is done (or absent).
    fn train_net(&mut self) -> bool {
        let (Some(data), Some((net, view))) = (self.data.as_ref(), self.net.as_mut()) else {
            return false;
        };
        let Some((train, _)) = &data.plane else {
            return false;
        };
        if view.epoch >= self.settings.net_epochs {
            return false;
        }
        let epochs = NET_EPOCHS_PER_STEP.min(self.settings.net_epochs - view.epoch);
        for _ in 0..epochs {
            net.train_epoch(
                &train.points,
                &train.labels,
                self.settings.net_learning_rate,
            );
        }
        if let Some(next) = net_view(net, view.epoch + epochs, data) {
            *view = Arc::new(next);
        }
        true
    }

    fn load_forest(&mut self, path: &std::path::Path) -> Result<(), String> {
        let forest = Forest::load(path).map_err(|e| e.to_string())?;
        let Some(data) = self.data.clone() else {
            return Err("no data to score the forest on".into());
        };
        if forest.n_features != data.train.cols || forest.classes != data.train.classes {
            return Err(format!(
                "{} holds a forest for {} features and {} classes; the {} data have {} and {}",
                path.display(),
                forest.n_features,
                forest.classes,
                data.kind.name(),
                data.train.cols,
                data.train.classes
            ));
        }
        self.settings.forest = ForestConfig {
            trees: forest.trees.len(),
            ..forest.config.clone()
        };
        self.run += 1;
        self.trees.clear();
        self.curves.clear();
        self.train_votes = Some(Ensemble::new(&data.train, data.train.classes));
        self.test_votes = Some(Ensemble::new(&data.test, data.test.classes));
        for tree in forest.trees {
            // The bootstrap of a forest trained on other rows is unknown: every training row
            // counts as in the bag, so no out-of-bag score is claimed.
            let in_bag = if forest.train_rows == data.train.rows {
                Forest::in_bag(&forest.config, tree.index, data.train.rows)
            } else {
                vec![1; data.train.rows]
            };
            self.add_tree(&data, tree, in_bag);
        }
        self.message = Some(format!(
            "loaded {} trees from {}",
            self.trees.len(),
            path.display()
        ));
        Ok(())
    }
}

/// The first `train` training and `test` test images as tables of raw pixels.
pub fn mnist_tables(mnist: &Mnist, train: usize, test: usize) -> Result<LabData, String> {
    let side = mnist.train_images.rows;
    let cols = side * mnist.train_images.cols;
    let take = |images: &crate::data::idx::IdxImages, labels: &[u8], n: usize| {
        let n = n.min(images.count).min(labels.len());
        Table::from_u8(
            images.pixels[..n * cols].to_vec(),
            n,
            cols,
            labels[..n].to_vec(),
            10,
        )
        .map_err(|e| e.to_string())
    };
    Ok(LabData {
        kind: ForestData::Mnist,
        train: take(&mnist.train_images, &mnist.train_labels, train)?,
        test: take(&mnist.test_images, &mnist.test_labels, test)?,
        plane: None,
        side,
    })
}

/// A tree's probability of class 1 at every cell center of the plane's grid.
pub fn tree_grid(data: &LabData, tree: &Tree) -> Vec<f32> {
    let mut grid = Vec::with_capacity(GRID * GRID);
    for row in 0..GRID {
        for col in 0..GRID {
            let leaf = tree.leaf(&data.cell_center(row, col));
            grid.push(tree.proba(leaf)[1]);
        }
    }
    grid
}

/// The comparison network, untrained, with its first view; `None` if it cannot be built.
fn start_net(settings: &ForestSettings, data: &LabData) -> Option<(XorNet, Arc<NetView>)> {
    let net = XorNet::new(settings.net_hidden, Activation::Tanh, settings.forest.seed).ok()?;
    let view = Arc::new(net_view(&net, 0, data)?);
    Some((net, view))
}

/// The network's output over the grid and its accuracies (`None` without plane data).
fn net_view(net: &XorNet, epoch: u64, data: &LabData) -> Option<NetView> {
    let (train, test) = data.plane.as_ref()?;
    let mut grid = Vec::with_capacity(GRID * GRID);
    for row in 0..GRID {
        for col in 0..GRID {
            grid.push(net.predict(data.cell_center(row, col)));
        }
    }
    let accuracy = |d: &Dataset2d| {
        let right = d
            .points
            .iter()
            .zip(&d.labels)
            .filter(|&(p, &l)| (net.predict(*p) > 0.5) == (l > 0.5))
            .count();
        right as f64 / d.len().max(1) as f64
    };
    Some(NetView {
        epoch,
        hidden: net.hidden(),
        grid,
        train_accuracy: accuracy(train),
        test_accuracy: accuracy(test),
    })
}

impl Session for ForestSession {
    type Command = ForestCommand;
    type Snapshot = Arc<ForestSnapshot>;

    fn apply(&mut self, command: ForestCommand) -> Result<(), String> {
        match command {
            ForestCommand::SetPaused(paused) => self.paused = paused,
            ForestCommand::GrowOne => {
                if !self.grow_next() {
                    return Err("every tree is grown; raise the tree count or restart".into());
                }
            }
            ForestCommand::SetSpeed(speed) => {
                self.settings.trees_per_sec = speed.filter(|s| *s > 0.0);
            }
            ForestCommand::Restart(settings) => {
                self.settings = *settings;
                self.message = None;
                self.restart();
            }
            ForestCommand::Save(path) => {
                let forest = self
                    .snapshot_forest()
                    .ok_or_else(|| "no forest to save yet".to_string())?;
                forest.save(&path).map_err(|e| e.to_string())?;
                self.message = Some(format!(
                    "saved {} trees to {}",
                    forest.trees.len(),
                    path.display()
                ));
            }
            ForestCommand::Load(path) => self.load_forest(&path)?,
        }
        Ok(())
    }

    fn is_running(&self) -> bool {
        let growing = self.data.is_some() && self.trees.len() < self.settings.forest.trees;
        let training = self
            .net
            .as_ref()
            .is_some_and(|(_, v)| v.epoch < self.settings.net_epochs);
        !self.paused && (growing || training)
    }

    fn step(&mut self) -> Step {
        let grew = self.grow_next();
        let trained = if grew {
            // One chunk of the network per tree keeps both moving together.
            self.train_net()
        } else {
            // Trees done: finish the network without the trees' pace.
            let mut any = false;
            for _ in 0..8 {
                any |= self.train_net();
            }
            any
        };
        Step {
            changed: grew || trained,
            urgent: grew && self.trees.len() == self.settings.forest.trees,
        }
    }

    fn snapshot(&mut self) -> Arc<ForestSnapshot> {
        Arc::new(ForestSnapshot {
            run: self.run,
            settings: self.settings.clone(),
            data: self.data.clone(),
            trees: self.trees.clone(),
            curves: self.curves.clone(),
            net: self.net.as_ref().map(|(_, v)| Arc::clone(v)),
            paused: self.paused,
            message: self.message.clone(),
        })
    }

    fn report(&mut self, message: String) {
        self.message = Some(message);
    }

    fn steps_per_sec(&self) -> Option<f32> {
        if self.trees.len() < self.settings.forest.trees {
            self.settings.trees_per_sec
        } else {
            None
        }
    }

    fn publish_hz(&self) -> Option<f32> {
        Some(30.0)
    }
}

impl ForestSession {
    fn snapshot_forest(&self) -> Option<Forest> {
        let data = self.data.as_ref()?;
        Some(Forest {
            config: ForestConfig {
                trees: self.trees.len(),
                ..self.settings.forest.clone()
            },
            n_features: data.train.cols,
            classes: data.train.classes,
            train_rows: data.train.rows,
            trees: self.trees.iter().map(|t| t.tree.clone()).collect(),
        })
    }
}
