//! A fitted random forest: its trees in index order, and everything computed from them for
//! the first `k` trees (so a view can show the forest as it grows): predictions, votes,
//! out-of-bag accuracy and feature importances, each as scikit-learn defines it.
//!
//! Fitting grows the trees on `threads` workers that take tree indices from a shared
//! counter and store each tree at its index; since tree `i` depends only on the seed, `i`
//! and the data, the forest is the same for every thread count.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use super::grow::{self, GrowData, Scratch};
use super::table::Table;
use super::tree::{Tree, argmax, normalise};
use super::{ForestConfig, ForestError};

/// A random forest classifier.
#[derive(Clone, Debug, PartialEq)]
pub struct Forest {
    /// The settings it was grown with.
    pub config: ForestConfig,
    /// Features of a row.
    pub n_features: usize,
    /// Number of classes.
    pub classes: usize,
    /// Rows of the training table (what the bootstrap draws were made over).
    pub train_rows: usize,
    /// The trees, tree `i` at index `i`.
    pub trees: Vec<Tree>,
}

/// Out-of-bag predictions of the training rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Oob {
    /// Per row: the class the trees that did not train on it predict (argmax of their summed
    /// leaf distributions); `None` when every tree trained on it.
    pub predictions: Vec<Option<u8>>,
    /// Accuracy over the rows with a prediction (`None` when no row has one).
    pub accuracy: Option<f64>,
    /// Rows with a prediction.
    pub scored: usize,
}

impl Forest {
    /// Grows every tree of `config` on `table` on `config.threads` threads.
    pub fn fit(table: &Table, config: &ForestConfig) -> Result<Forest, ForestError> {
        Self::fit_with(table, config, &AtomicBool::new(false), |_| {})
    }

    /// [`fit`](Self::fit), calling `progress(trees done)` after each tree (from the worker
    /// threads) and checking `stop` before each tree: once it is set, no new tree starts and
    /// the fit returns [`ForestError::Stopped`].
    pub fn fit_with(
        table: &Table,
        config: &ForestConfig,
        stop: &AtomicBool,
        progress: impl Fn(usize) + Sync,
    ) -> Result<Forest, ForestError> {
        config.validate()?;
        table.check()?;
        let columns = table.columns();
        let data = GrowData::new(table, &columns);
        let threads = config.resolved_threads().clamp(1, config.trees);
        let next = AtomicUsize::new(0);
        let done = AtomicUsize::new(0);
        let slots: Mutex<Vec<Option<Tree>>> = Mutex::new(vec![None; config.trees]);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    let mut scratch = Scratch::new(&data);
                    loop {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= config.trees {
                            break;
                        }
                        let tree = grow::grow(&data, config, i, &mut scratch);
                        if let Ok(mut slots) = slots.lock() {
                            slots[i] = Some(tree);
                        }
                        progress(done.fetch_add(1, Ordering::Relaxed) + 1);
                    }
                });
            }
        });
        let slots = slots.into_inner().unwrap_or_else(|e| e.into_inner());
        let trees: Option<Vec<Tree>> = slots.into_iter().collect();
        let trees = trees.ok_or(ForestError::Stopped)?;
        Ok(Forest {
            config: config.clone(),
            n_features: table.cols,
            classes: table.classes,
            train_rows: table.rows,
            trees,
        })
    }

    /// Tree `index` exactly as [`fit`](Self::fit) grows it (for growing one tree at a time).
    /// The config and table are assumed valid (as `fit` checks them).
    pub fn grow_tree(table: &Table, config: &ForestConfig, index: usize) -> Tree {
        let columns = table.columns();
        let data = GrowData::new(table, &columns);
        grow::grow(&data, config, index, &mut Scratch::new(&data))
    }

    /// Tree `index`'s bootstrap draw count of each of `rows` rows (all 1 without bootstrap).
    pub fn in_bag(config: &ForestConfig, index: usize, rows: usize) -> Vec<u32> {
        let mut weight = vec![0; rows];
        grow::draw_bag(
            &mut grow::tree_rng(config.seed, index),
            config.bootstrap,
            &mut weight,
        );
        weight
    }

    /// The trees `0..k` (all when `k` is larger).
    pub fn first(&self, k: usize) -> &[Tree] {
        &self.trees[..k.min(self.trees.len())]
    }

    /// The summed leaf distributions of trees `0..k` at `row`.
    pub fn proba_sum(&self, row: &[f32], k: usize) -> Vec<f32> {
        let mut sum = vec![0.0f32; self.classes];
        for tree in self.first(k) {
            tree.add_proba(tree.leaf(row), &mut sum);
        }
        sum
    }

    /// The mean of the leaf distributions of trees `0..k` (scikit-learn's `predict_proba`);
    /// all zeros for `k = 0`.
    pub fn predict_proba(&self, row: &[f32], k: usize) -> Vec<f32> {
        let n = self.first(k).len().max(1) as f32;
        let mut p = self.proba_sum(row, k);
        p.iter_mut().for_each(|v| *v /= n);
        p
    }

    /// The class with the highest mean probability over trees `0..k` (ties: lowest class).
    pub fn predict(&self, row: &[f32], k: usize) -> u8 {
        argmax(&self.proba_sum(row, k))
    }

    /// How many of trees `0..k` predict each class.
    pub fn votes(&self, row: &[f32], k: usize) -> Vec<u32> {
        let mut votes = vec![0u32; self.classes];
        for tree in self.first(k) {
            votes[usize::from(tree.predict(row))] += 1;
        }
        votes
    }

    /// Out-of-bag predictions of `table` (the training table) by trees `0..k`.
    pub fn oob(&self, table: &Table, k: usize) -> Oob {
        let trees = self.first(k);
        let out_of_bag: Vec<Vec<bool>> = trees
            .iter()
            .map(|t| {
                Self::in_bag(&self.config, t.index, table.rows)
                    .iter()
                    .map(|&b| b == 0)
                    .collect()
            })
            .collect();
        let mut row = Vec::new();
        let mut sum = vec![0.0f32; self.classes];
        let predictions = (0..table.rows)
            .map(|i| {
                sum.fill(0.0);
                let mut seen = false;
                for (tree, oob) in trees.iter().zip(&out_of_bag) {
                    if oob[i] {
                        if !seen {
                            table.row_into(i, &mut row);
                            seen = true;
                        }
                        tree.add_proba(tree.leaf(&row), &mut sum);
                    }
                }
                seen.then(|| argmax(&sum))
            })
            .collect();
        oob_summary(predictions, &table.labels)
    }

    /// The fraction of `table`'s rows trees `0..k` classify correctly.
    pub fn accuracy(&self, table: &Table, k: usize) -> f64 {
        let mut row = Vec::new();
        let correct = (0..table.rows)
            .filter(|&i| {
                table.row_into(i, &mut row);
                self.predict(&row, k) == table.labels[i]
            })
            .count();
        correct as f64 / table.rows.max(1) as f64
    }

    /// Predictions of every row of `table` by trees `0..k`.
    pub fn predict_table(&self, table: &Table, k: usize) -> Vec<u8> {
        let mut row = Vec::new();
        (0..table.rows)
            .map(|i| {
                table.row_into(i, &mut row);
                self.predict(&row, k)
            })
            .collect()
    }

    /// Feature importances of trees `0..k`: the mean of each tree's normalised impurity
    /// decreases (trees without a split left out), normalised to sum 1 (scikit-learn's
    /// `feature_importances_`); all zeros when no tree splits.
    pub fn importances(&self, k: usize) -> Vec<f64> {
        let mut out = vec![0.0f64; self.n_features];
        let mut n = 0;
        for tree in self.first(k).iter().filter(|t| t.splits() > 0) {
            for (o, v) in out.iter_mut().zip(tree.importances(self.n_features)) {
                *o += v;
            }
            n += 1;
        }
        if n > 0 {
            out.iter_mut().for_each(|v| *v /= n as f64);
        }
        normalise(&mut out);
        out
    }

    /// Whether `table` has the columns and classes this forest was grown for.
    pub fn check_table(&self, table: &Table) -> Result<(), ForestError> {
        table.check()?;
        if table.cols != self.n_features {
            return Err(ForestError::Data(format!(
                "the table has {} features, the forest was grown on {}",
                table.cols, self.n_features
            )));
        }
        if table.classes > self.classes {
            return Err(ForestError::Data(format!(
                "the table has {} classes, the forest knows {}",
                table.classes, self.classes
            )));
        }
        Ok(())
    }
}

/// Counts the rows with an out-of-bag prediction and its accuracy.
pub(crate) fn oob_summary(predictions: Vec<Option<u8>>, labels: &[u8]) -> Oob {
    let (mut scored, mut correct) = (0usize, 0usize);
    for (p, &l) in predictions.iter().zip(labels) {
        if let Some(p) = p {
            scored += 1;
            correct += usize::from(*p == l);
        }
    }
    Oob {
        predictions,
        accuracy: (scored > 0).then(|| correct as f64 / scored as f64),
        scored,
    }
}
