//! One grown decision tree as flat arrays: [`Node`]s in growth order (breadth-first, so the
//! tree after its first `s` splits is exactly nodes `0..1 + 2s`) and every node's
//! bootstrap-weighted class counts. Walking a row is a loop over the flat array.

use serde::{Deserialize, Serialize};

/// The `feature` of a leaf (and the `parent` of the root).
pub const LEAF: u32 = u32::MAX;

/// One node. A split node sends a row left when `row[feature] <= threshold`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// The feature it splits on, or [`LEAF`].
    pub feature: u32,
    /// Left when `x <= threshold` (0 for a leaf).
    pub threshold: f32,
    /// Left child (0 for a leaf).
    pub left: u32,
    /// Right child (0 for a leaf).
    pub right: u32,
    /// Parent node ([`LEAF`], i.e. `u32::MAX`, for the root).
    pub parent: u32,
    /// Depth (the root has 0).
    pub depth: u32,
    /// Distinct training rows reaching it (scikit-learn's `n_node_samples`).
    pub samples: u32,
    /// Bootstrap-weighted rows reaching it (`weighted_n_node_samples`).
    pub weight: f32,
    /// Impurity of its weighted class distribution.
    pub impurity: f32,
    /// `weight * impurity - left.weight * left.impurity - right.weight * right.impurity` of
    /// its split; 0 for leaves.
    pub decrease: f32,
}

impl Node {
    /// Whether it is a leaf.
    pub fn is_leaf(&self) -> bool {
        self.feature == LEAF
    }
}

/// A decision tree of a forest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Tree {
    /// Nodes in growth order; node 0 is the root.
    pub nodes: Vec<Node>,
    /// `nodes.len() x classes` bootstrap-weighted class counts of every node.
    pub counts: Vec<f32>,
    /// Number of classes.
    pub classes: usize,
    /// Its index in the forest (its random draws come from the forest's seed and this).
    pub index: usize,
}

impl Tree {
    /// The leaf `row` reaches.
    pub fn leaf(&self, row: &[f32]) -> usize {
        self.leaf_by(|f| row[f])
    }

    /// The leaf reached when feature `f` has the value `value(f)`.
    pub fn leaf_by(&self, value: impl Fn(usize) -> f32) -> usize {
        let mut i = 0;
        loop {
            let node = &self.nodes[i];
            if node.feature == LEAF {
                return i;
            }
            i = if value(node.feature as usize) <= node.threshold {
                node.left
            } else {
                node.right
            } as usize;
        }
    }

    /// The node `row` reaches in the tree as it was after its first `splits` splits (nodes
    /// `0..1 + 2 * splits`): a node whose children come later is a leaf of that tree.
    pub fn leaf_after(&self, row: &[f32], splits: usize) -> usize {
        let limit = splits.saturating_mul(2).saturating_add(1);
        let mut i = 0;
        loop {
            let node = &self.nodes[i];
            if node.feature == LEAF || node.left as usize >= limit {
                return i;
            }
            i = if row[node.feature as usize] <= node.threshold {
                node.left
            } else {
                node.right
            } as usize;
        }
    }

    /// The nodes from the root to the leaf `row` reaches.
    pub fn path(&self, row: &[f32]) -> Vec<usize> {
        let mut path = vec![0];
        let mut i = 0;
        while let Some(node) = self.nodes.get(i).filter(|n| n.feature != LEAF) {
            i = if row[node.feature as usize] <= node.threshold {
                node.left
            } else {
                node.right
            } as usize;
            path.push(i);
        }
        path
    }

    /// The weighted class counts of `node`.
    pub fn node_counts(&self, node: usize) -> &[f32] {
        &self.counts[node * self.classes..(node + 1) * self.classes]
    }

    /// The class distribution of `node` (its counts over its weight).
    pub fn proba(&self, node: usize) -> Vec<f32> {
        let w = self.nodes[node].weight;
        self.node_counts(node).iter().map(|c| c / w).collect()
    }

    /// Adds the class distribution of `node` to `sum`.
    pub fn add_proba(&self, node: usize, sum: &mut [f32]) {
        let w = self.nodes[node].weight;
        for (s, c) in sum.iter_mut().zip(self.node_counts(node)) {
            *s += c / w;
        }
    }

    /// The most frequent class at `row`'s leaf (ties go to the lowest class).
    pub fn predict(&self, row: &[f32]) -> u8 {
        argmax(self.node_counts(self.leaf(row)))
    }

    /// Number of splits.
    pub fn splits(&self) -> usize {
        self.nodes.len() / 2
    }

    /// Deepest node's depth (0 for a lone root).
    pub fn depth(&self) -> usize {
        self.nodes
            .iter()
            .map(|n| n.depth as usize)
            .max()
            .unwrap_or(0)
    }

    /// Number of leaves.
    pub fn leaves(&self) -> usize {
        self.nodes.iter().filter(|n| n.feature == LEAF).count()
    }

    /// Impurity decrease per feature, normalised to sum 1 (all zeros without a split).
    pub fn importances(&self, n_features: usize) -> Vec<f64> {
        let mut out = vec![0.0f64; n_features];
        for node in self.nodes.iter().filter(|n| n.feature != LEAF) {
            if let Some(slot) = out.get_mut(node.feature as usize) {
                *slot += f64::from(node.decrease);
            }
        }
        normalise(&mut out);
        out
    }
}

/// Scales `values` to sum 1 (left as is when the sum is not positive).
pub(crate) fn normalise(values: &mut [f64]) {
    let total: f64 = values.iter().sum();
    if total > 0.0 {
        values.iter_mut().for_each(|v| *v /= total);
    }
}

/// The index of the largest value; the first one on ties (as numpy's argmax).
pub fn argmax(values: &[f32]) -> u8 {
    let mut best = 0;
    for (i, &v) in values.iter().enumerate() {
        if v > values[best] {
            best = i;
        }
    }
    best as u8
}
