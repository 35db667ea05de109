//! The numbers the forest lab's views show for a chosen number of trees `k`, computed from a
//! snapshot's trees (pure functions; the tests compare them with the library's own
//! `Forest::predict_proba`, `votes` and `oob`).

use std::sync::Arc;

use crate::forest::{LEAF, Tree};
use crate::labs::forest::diagram::argmax;
use crate::labs::forest::session::{GRID, GrownTree, LabData};
use crate::nn::metrics::ConfusionMatrix;

/// At every cell of the plane's grid, the share of trees `0..k` whose vote is class 1 (a
/// tree votes class 1 where its leaf's probability of class 1 is above one half).
pub fn vote_share_grid(trees: &[Arc<GrownTree>], k: usize) -> Vec<f32> {
    let k = k.min(trees.len());
    let mut share = vec![0.0_f32; GRID * GRID];
    if k == 0 || trees[0].grid.len() != GRID * GRID {
        return vec![0.5; GRID * GRID];
    }
    for t in &trees[..k] {
        for (s, &p) in share.iter_mut().zip(&t.grid) {
            if p > 0.5 {
                *s += 1.0;
            }
        }
    }
    let k = k as f32;
    share.iter_mut().for_each(|s| *s /= k);
    share
}

/// The share of trees `0..k` voting class 1 for every training row of the plane.
pub fn train_vote_shares(data: &LabData, trees: &[Arc<GrownTree>], k: usize) -> Vec<f32> {
    let k = k.min(trees.len());
    let mut row = Vec::new();
    (0..data.train.rows)
        .map(|r| {
            data.train.row_into(r, &mut row);
            let ones = trees[..k]
                .iter()
                .filter(|t| t.tree.predict(&row) == 1)
                .count();
            if k == 0 { 0.5 } else { ones as f32 / k as f32 }
        })
        .collect()
}

/// The training rows whose out-of-bag prediction from trees `0..k` (the argmax of the summed
/// leaf distributions of the trees that left the row out) is wrong.
pub fn oob_mistakes(data: &LabData, trees: &[Arc<GrownTree>], k: usize) -> Vec<usize> {
    let k = k.min(trees.len());
    let classes = data.train.classes;
    let mut row = Vec::new();
    let mut sum = vec![0.0_f32; classes];
    let mut mistakes = Vec::new();
    for r in 0..data.train.rows {
        sum.iter_mut().for_each(|s| *s = 0.0);
        let mut any = false;
        for t in &trees[..k] {
            if t.in_bag.get(r).copied().unwrap_or(1) == 0 {
                if !any {
                    data.train.row_into(r, &mut row);
                    any = true;
                }
                let leaf = t.tree.leaf(&row);
                for (s, p) in sum.iter_mut().zip(t.tree.proba(leaf).iter()) {
                    *s += p;
                }
            }
        }
        if any && argmax(&sum) != usize::from(data.train.labels[r]) {
            mistakes.push(r);
        }
    }
    mistakes
}

/// The ensemble's class probabilities (the mean of the leaf distributions of trees `0..k`)
/// for held-out row `r`.
pub fn test_proba(data: &LabData, trees: &[Arc<GrownTree>], k: usize, r: usize) -> Vec<f32> {
    let k = k.min(trees.len());
    let mut sum = vec![0.0_f32; data.test.classes];
    for t in &trees[..k] {
        let leaf = t.test_leaves[r] as usize;
        for (s, p) in sum.iter_mut().zip(t.tree.proba(leaf).iter()) {
            *s += p;
        }
    }
    if k > 0 {
        sum.iter_mut().for_each(|s| *s /= k as f32);
    }
    sum
}

/// The confusion matrix of trees `0..k` on the held-out rows (predictions by the mean of the
/// leaf distributions).
pub fn test_confusion(data: &LabData, trees: &[Arc<GrownTree>], k: usize) -> ConfusionMatrix {
    let classes = data.test.classes;
    let mut m = ConfusionMatrix::new(classes);
    let k = k.min(trees.len());
    if k == 0 {
        return m;
    }
    let mut sum = vec![0.0_f32; classes];
    for r in 0..data.test.rows {
        sum.iter_mut().for_each(|s| *s = 0.0);
        for t in &trees[..k] {
            let leaf = t.test_leaves[r] as usize;
            for (s, p) in sum.iter_mut().zip(t.tree.proba(leaf).iter()) {
                *s += p;
            }
        }
        // Labels and predictions are below the class count (the table checked the labels).
        let _ = m.add(usize::from(data.test.labels[r]), argmax(&sum));
    }
    m
}

/// Feature importances of trees `0..k`: the mean of each tree's normalised impurity
/// decreases, normalised again (scikit-learn's `feature_importances_`).
pub fn importances(trees: &[Arc<GrownTree>], k: usize, n_features: usize) -> Vec<f64> {
    let k = k.min(trees.len());
    let mut sum = vec![0.0_f64; n_features];
    for t in &trees[..k] {
        for (s, v) in sum.iter_mut().zip(t.tree.importances(n_features)) {
            *s += v;
        }
    }
    let total: f64 = sum.iter().sum();
    if total > 0.0 {
        sum.iter_mut().for_each(|s| *s /= total);
    }
    sum
}

/// Each tree's vote (argmax of its leaf's distribution) for `row`.
pub fn tree_votes(trees: &[Arc<GrownTree>], row: &[f32]) -> Vec<u8> {
    trees.iter().map(|t| t.tree.predict(row)).collect()
}

/// The box of the plane that `row`'s leaf in `tree` covers (clipped to `extent`), walking the
/// tree as it was after `splits` splits (`None`: as grown).
pub fn leaf_box(
    tree: &Tree,
    row: &[f32],
    splits: Option<usize>,
    extent: (f32, f32),
) -> ([f32; 2], [f32; 2]) {
    let mut min = [extent.0; 2];
    let mut max = [extent.1; 2];
    let limit = splits.map_or(usize::MAX, |s| 1 + 2 * s);
    let mut i = 0;
    while let Some(n) = tree.nodes.get(i) {
        if n.feature == LEAF || n.left as usize >= limit {
            break;
        }
        let f = n.feature as usize;
        if f >= 2 {
            break;
        }
        if row[f] <= n.threshold {
            max[f] = max[f].min(n.threshold);
            i = n.left as usize;
        } else {
            min[f] = min[f].max(n.threshold);
            i = n.right as usize;
        }
    }
    (min, max)
}

/// A tree's probability of class 1 over the plane's grid as it was after `splits` splits.
pub fn grid_after(data: &LabData, tree: &Tree, splits: usize) -> Vec<f32> {
    let mut grid = Vec::with_capacity(GRID * GRID);
    for row in 0..GRID {
        for col in 0..GRID {
            let leaf = tree.leaf_after(&data.cell_center(row, col), splits);
            grid.push(tree.proba(leaf)[1]);
        }
    }
    grid
}
