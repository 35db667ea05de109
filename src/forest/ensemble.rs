//! Running sums over a table as trees are added one at a time, so a view that grows a
//! forest tree by tree updates its accuracy curves in `O(rows)` per tree instead of
//! re-predicting with every tree so far. The sums are made in the same order and
//! precision as [`Forest`](super::Forest)'s, so after `k` trees [`Ensemble::accuracy`]
//! equals `Forest::accuracy(table, k)` and [`Ensemble::oob_accuracy`] equals
//! `Forest::oob(table, k).accuracy`.

use super::table::Table;
use super::tree::{Tree, argmax};

/// Per-row sums of the trees added so far.
#[derive(Clone, Debug)]
pub struct Ensemble {
    table: Table,
    classes: usize,
    trees: usize,
    /// `rows x classes`: summed leaf distributions.
    sums: Vec<f32>,
    /// `rows x classes`: `sums / trees`.
    mean: Vec<f32>,
    /// `rows x classes`: trees predicting each class.
    votes: Vec<u32>,
    /// `rows x classes`: summed leaf distributions of the trees that left the row out.
    oob_sums: Vec<f32>,
    /// Per row: whether some tree left it out.
    oob_seen: Vec<bool>,
}

impl Ensemble {
    /// Empty sums over `table` (a copy is kept) for `classes` classes (at least the
    /// table's).
    pub fn new(table: &Table, classes: usize) -> Self {
        let classes = classes.max(table.classes);
        let n = table.rows * classes;
        Ensemble {
            table: table.clone(),
            classes,
            trees: 0,
            sums: vec![0.0; n],
            mean: vec![0.0; n],
            votes: vec![0; n],
            oob_sums: vec![0.0; n],
            oob_seen: vec![false; table.rows],
        }
    }

    /// Adds `tree`; `in_bag` is its draw count per row (from
    /// [`Forest::in_bag`](super::Forest::in_bag)) when the table is its training table, or
    /// empty to skip the out-of-bag sums.
    pub fn add(&mut self, tree: &Tree, in_bag: &[u32]) {
        let c = self.classes;
        let table = &self.table;
        self.trees += 1;
        let scale = self.trees as f32;
        for i in 0..table.rows {
            let leaf = tree.leaf_by(|f| table.value(i, f));
            let span = i * c..(i + 1) * c;
            tree.add_proba(leaf, &mut self.sums[span.clone()]);
            let counts = tree.node_counts(leaf);
            self.votes[i * c + usize::from(argmax(counts))] += 1;
            for (m, s) in self.mean[span.clone()]
                .iter_mut()
                .zip(&self.sums[span.clone()])
            {
                *m = s / scale;
            }
            if in_bag.get(i) == Some(&0) {
                tree.add_proba(leaf, &mut self.oob_sums[span]);
                self.oob_seen[i] = true;
            }
        }
    }

    /// Trees added.
    pub fn trees(&self) -> usize {
        self.trees
    }

    /// Rows of the table.
    pub fn rows(&self) -> usize {
        self.table.rows
    }

    /// The class the trees so far predict for row `row`.
    pub fn predict(&self, row: usize) -> u8 {
        argmax(&self.sums[row * self.classes..(row + 1) * self.classes])
    }

    /// The fraction of rows the trees so far classify correctly (0 before any tree).
    pub fn accuracy(&self) -> f64 {
        if self.trees == 0 {
            return 0.0;
        }
        let correct = (0..self.table.rows)
            .filter(|&i| self.predict(i) == self.table.labels[i])
            .count();
        correct as f64 / self.table.rows as f64
    }

    /// Out-of-bag accuracy over the rows some tree left out (`None` when there are none).
    pub fn oob_accuracy(&self) -> Option<f64> {
        let c = self.classes;
        let (mut scored, mut correct) = (0usize, 0usize);
        for i in (0..self.table.rows).filter(|&i| self.oob_seen[i]) {
            scored += 1;
            correct +=
                usize::from(argmax(&self.oob_sums[i * c..(i + 1) * c]) == self.table.labels[i]);
        }
        (scored > 0).then(|| correct as f64 / scored as f64)
    }

    /// The mean leaf distribution of row `row` over the trees so far.
    pub fn proba(&self, row: usize) -> &[f32] {
        &self.mean[row * self.classes..(row + 1) * self.classes]
    }

    /// How many trees so far predict each class for row `row`.
    pub fn votes(&self, row: usize) -> &[u32] {
        &self.votes[row * self.classes..(row + 1) * self.classes]
    }
}
