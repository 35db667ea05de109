//! Growing one tree. Tree `i` draws from its own stream of the forest's seed (ChaCha8,
//! stream `i`): first its bootstrap sample, then its candidate features node by node, so
//! a tree depends on `(seed, i)` and the data only, never on the thread that grows it.
//!
//! Nodes are split breadth-first in the order they were created (root 0; a split appends
//! its left then right child). The node's rows are a contiguous range of one index array
//! per tree, partitioned in place when the node splits.
//!
//! Candidate features are drawn as scikit-learn's splitter draws them: uniformly without
//! replacement; a constant feature counts towards `max_features`, but the search goes on
//! until at least one non-constant feature was tried; features found constant in a node are
//! known constant in its descendants, and drawing one costs nothing. A node is a leaf when
//! it is at the depth limit, has fewer than `min_samples_split` (or `2 * min_samples_leaf`)
//! distinct rows, is pure, or no candidate has a valid boundary.

use rand::Rng;

use super::ForestConfig;
use super::split::{self, Candidate, NodeRows, SplitScratch};
use super::table::Columns;
use super::tree::{LEAF, Node, Tree};
use crate::nn::init::{NnRng, rng_from_seed};

/// The data a forest grows on, shared by its trees.
pub(crate) struct GrowData<'a> {
    /// Feature-major values.
    pub columns: &'a Columns,
    /// One class per row.
    pub labels: &'a [u8],
    /// Rows.
    pub rows: usize,
    /// Features.
    pub features: usize,
    /// Classes.
    pub classes: usize,
}

/// Buffers one thread reuses for every tree it grows.
pub(crate) struct Scratch {
    split: SplitScratch,
    /// The tree's in-bag rows, partitioned per node.
    index: Vec<u32>,
    /// Per row: its bootstrap draw count.
    weight: Vec<u32>,
    /// A permutation of the features; the first `drawn` of a node are its draws.
    perm: Vec<u32>,
    /// `known[f] == stamp`: `f` is known constant in the current node.
    known: Vec<u32>,
    stamp: u32,
}

impl Scratch {
    /// Buffers for `data`.
    pub(crate) fn new(data: &GrowData) -> Self {
        Scratch {
            split: SplitScratch::new(data.classes),
            index: Vec::with_capacity(data.rows),
            weight: vec![0; data.rows],
            perm: Vec::with_capacity(data.features),
            known: vec![0; data.features],
            stamp: 0,
        }
    }
}

/// The generator of tree `index`.
pub(crate) fn tree_rng(seed: u64, index: usize) -> NnRng {
    let mut rng = rng_from_seed(seed);
    rng.set_stream(index as u64);
    rng
}

/// Fills `weight` with the tree's draw counts (`rows` draws with replacement, or all 1).
pub(crate) fn draw_bag(rng: &mut NnRng, bootstrap: bool, weight: &mut [u32]) {
    if !bootstrap {
        weight.fill(1);
        return;
    }
    weight.fill(0);
    let rows = weight.len() as u32;
    for _ in 0..rows {
        weight[rng.random_range(0..rows) as usize] += 1;
    }
}

/// A node waiting to be split.
struct Pending {
    start: usize,
    end: usize,
    /// Features known constant here (the parent's list), by index into `lists`.
    constants: usize,
}

/// The growth of one tree: the finished nodes and what waits.
struct Growth<'a> {
    data: &'a GrowData<'a>,
    config: &'a ForestConfig,
    max_features: usize,
    nodes: Vec<Node>,
    counts: Vec<u32>,
    pending: Vec<Pending>,
    /// Known-constant lists; list `k + 1` belongs to the children of split `k`.
    lists: Vec<Vec<u32>>,
}

/// Grows tree `index` of a forest with `config` on `data`.
pub(crate) fn grow(data: &GrowData, config: &ForestConfig, index: usize, s: &mut Scratch) -> Tree {
    let mut rng = tree_rng(config.seed, index);
    draw_bag(&mut rng, config.bootstrap, &mut s.weight);
    s.index.clear();
    s.index
        .extend((0..data.rows as u32).filter(|&r| s.weight[r as usize] > 0));
    s.perm.clear();
    s.perm.extend(0..data.features as u32);
    let mut g = Growth {
        data,
        config,
        max_features: config.max_features.resolve(data.features),
        nodes: Vec::new(),
        counts: Vec::new(),
        pending: Vec::new(),
        lists: vec![Vec::new()],
    };
    g.push_node(s, 0, s.index.len(), LEAF, 0, 0);
    let mut i = 0;
    while i < g.nodes.len() {
        g.split_node(i, s, &mut rng);
        if i >= 2 && i % 2 == 0 {
            // Both children of split (i - 2) / 2 are done with its list.
            g.lists[i / 2] = Vec::new();
        }
        i += 1;
    }
    Tree {
        nodes: g.nodes,
        counts: g.counts.iter().map(|&c| c as f32).collect(),
        classes: data.classes,
        index,
    }
}

impl Growth<'_> {
    /// Appends the node of rows `index[start..end]`.
    fn push_node(
        &mut self,
        s: &Scratch,
        start: usize,
        end: usize,
        parent: u32,
        depth: u32,
        list: usize,
    ) {
        let c = self.data.classes;
        let at = self.counts.len();
        self.counts.resize(at + c, 0);
        let counts = &mut self.counts[at..];
        for &r in &s.index[start..end] {
            counts[usize::from(self.data.labels[r as usize])] += s.weight[r as usize];
        }
        let weight: u64 = counts.iter().map(|&x| u64::from(x)).sum();
        let counts_f: Vec<f64> = counts.iter().map(|&x| f64::from(x)).collect();
        let impurity = if weight > 0 {
            self.config.criterion.impurity(&counts_f, weight as f64)
        } else {
            0.0
        };
        self.nodes.push(Node {
            feature: LEAF,
            threshold: 0.0,
            left: 0,
            right: 0,
            parent,
            depth,
            samples: (end - start) as u32,
            weight: weight as f32,
            impurity: impurity.max(0.0) as f32,
            decrease: 0.0,
        });
        self.pending.push(Pending {
            start,
            end,
            constants: list,
        });
    }

    /// Splits node `i` if it should and can be split.
    fn split_node(&mut self, i: usize, s: &mut Scratch, rng: &mut NnRng) {
        let cfg = self.config;
        let node = self.nodes[i];
        let (start, end, list) = (
            self.pending[i].start,
            self.pending[i].end,
            self.pending[i].constants,
        );
        let m = end - start;
        let at_limit = cfg.max_depth.is_some_and(|d| node.depth as usize >= d);
        if at_limit
            || m < cfg.min_samples_split
            || m < 2 * cfg.min_samples_leaf
            || f64::from(node.impurity) <= f64::EPSILON
        {
            return;
        }
        let constants = std::mem::take(&mut self.lists[list]);
        let found = self.search(i, start, end, &constants, s, rng);
        self.lists[list] = constants;
        let Some((feature, threshold, mut child_constants)) = found else {
            return;
        };
        let mid = partition(self.data, s, start, end, feature, threshold);
        let mut known = self.lists[list].clone();
        known.append(&mut child_constants);
        self.lists.push(known);
        let list = self.lists.len() - 1;
        let left = self.nodes.len() as u32;
        self.push_node(s, start, mid, i as u32, node.depth + 1, list);
        self.push_node(s, mid, end, i as u32, node.depth + 1, list);
        let (l, r) = (self.nodes[left as usize], self.nodes[left as usize + 1]);
        let decrease = f64::from(node.weight) * f64::from(node.impurity)
            - f64::from(l.weight) * f64::from(l.impurity)
            - f64::from(r.weight) * f64::from(r.impurity);
        let n = &mut self.nodes[i];
        n.feature = feature as u32;
        n.threshold = threshold;
        n.left = left;
        n.right = left + 1;
        n.decrease = decrease.max(0.0) as f32;
    }

    /// Draws candidate features for the node of rows `index[start..end]` and returns the
    /// best split with the features newly found constant, or `None` when no candidate has
    /// a valid boundary.
    fn search(
        &self,
        i: usize,
        start: usize,
        end: usize,
        constants: &[u32],
        s: &mut Scratch,
        rng: &mut NnRng,
    ) -> Option<(usize, f32, Vec<u32>)> {
        let n = self.data.features;
        s.stamp = s.stamp.wrapping_add(1);
        if s.stamp == 0 {
            s.known.fill(0);
            s.stamp = 1;
        }
        for &f in constants {
            s.known[f as usize] = s.stamp;
        }
        let node = NodeRows {
            rows: &s.index[start..end],
            labels: self.data.labels,
            weight: &s.weight,
            counts: &self.counts[i * self.data.classes..(i + 1) * self.data.classes],
            total: self.nodes[i].weight as u64,
            criterion: self.config.criterion,
            min_leaf: self.config.min_samples_leaf,
        };
        let (mut drawn, mut known_undrawn) = (0usize, constants.len());
        let (mut visited, mut drawn_known) = (0usize, 0usize);
        let mut found = Vec::new();
        let mut best: Option<(f64, usize, f32)> = None;
        while n - drawn > known_undrawn
            && (visited < self.max_features || visited <= found.len() + drawn_known)
        {
            visited += 1;
            let j = rng.random_range(drawn as u32..n as u32) as usize;
            s.perm.swap(drawn, j);
            let f = s.perm[drawn] as usize;
            drawn += 1;
            if s.known[f] == s.stamp {
                known_undrawn -= 1;
                drawn_known += 1;
                continue;
            }
            let rows = self.data.rows;
            let candidate = match self.data.columns {
                Columns::U8(v) => split::best_u8(&v[f * rows..(f + 1) * rows], &node, &mut s.split),
                Columns::F32(v) => {
                    split::best_f32(&v[f * rows..(f + 1) * rows], &node, &mut s.split)
                }
            };
            match candidate {
                Candidate::Constant => found.push(f as u32),
                Candidate::NoSplit => {}
                Candidate::Best { threshold, proxy } => {
                    if best.is_none_or(|(b, _, _)| proxy > b) {
                        best = Some((proxy, f, threshold));
                    }
                }
            }
        }
        best.map(|(_, f, t)| (f, t, found))
    }
}

/// Partitions `index[start..end]` into rows with `feature <= threshold` first; returns the
/// boundary.
fn partition(
    data: &GrowData,
    s: &mut Scratch,
    start: usize,
    end: usize,
    feature: usize,
    threshold: f32,
) -> usize {
    let rows = data.rows;
    let goes_left = |r: u32| data.columns.value(rows, feature, r as usize) <= threshold;
    let slice = &mut s.index[start..end];
    let (mut lo, mut hi) = (0, slice.len());
    while lo < hi {
        if goes_left(slice[lo]) {
            lo += 1;
        } else {
            hi -= 1;
            slice.swap(lo, hi);
        }
    }
    start + lo
}
