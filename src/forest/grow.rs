//! Growing one tree.
//!
//! **Randomness.** Tree `i` draws its bootstrap sample from stream `i` of the forest's seed
//! (ChaCha8), then one `u64` that seeds its root. Every node has its own generator, seeded
//! by its parent (which draws its children's seeds after its own search), so a tree depends
//! on `(seed, i)` and the data only: not on the thread that grows it, nor on the order its
//! nodes are processed in.
//!
//! **Order.** Nodes are processed depth-first (a subtree's rows stay in cache), then
//! numbered breadth-first: the root is node 0 and the children of the `k`-th split (in that
//! order) are nodes `1 + 2k` and `2 + 2k`, so the tree after its first `s` splits is nodes
//! `0..1 + 2s`. A node's rows are a contiguous range of one index array per tree,
//! partitioned in place (each side kept in ascending order) when it splits.
//!
//! **Packed subtrees.** Large nodes read the feature-major table. A node of at most
//! [`PACK_ROWS`] rows copies its rows (all features, row-major) into a small block once;
//! its whole subtree then reads that block, which stays in cache (2,048 rows of 784
//! pixels: 1.6 MB). Packing larger nodes was slower: a feature of a packed block is spread
//! over one cache line per row.
//!
//! **Candidates.** Features are drawn as scikit-learn's splitter draws them: uniformly
//! without replacement; a constant feature counts towards `max_features`, but the search
//! goes on until at least one non-constant feature was tried; features found constant in a
//! node are known constant in its descendants, and drawing one costs no pass over the rows.
//! A node is a leaf when it is at the depth limit, has fewer than `min_samples_split` (or
//! `2 * min_samples_leaf`) distinct rows, is pure, or no candidate has a valid boundary.

use rand::Rng;

use super::ForestConfig;
use super::split::{self, Candidate, NodeRows, SplitScratch, Strided};
use super::table::{Columns, Features, Table};
use super::tree::{LEAF, Node, Tree};
use crate::nn::init::{NnRng, rng_from_seed};

/// Nodes with at most this many rows pack their rows for their subtree.
pub(crate) const PACK_ROWS: usize = 2048;

/// The data a forest grows on, shared by its trees.
pub(crate) struct GrowData<'a> {
    /// Feature-major values.
    pub columns: &'a Columns,
    /// Row-major values (the table's own).
    pub rows_major: &'a Features,
    /// One class per row.
    pub labels: &'a [u8],
    /// Rows.
    pub rows: usize,
    /// Features.
    pub features: usize,
    /// Classes.
    pub classes: usize,
}

impl<'a> GrowData<'a> {
    /// What growing reads of `table`, with its feature-major copy `columns`.
    pub(crate) fn new(table: &'a Table, columns: &'a Columns) -> Self {
        GrowData {
            columns,
            rows_major: &table.features,
            labels: &table.labels,
            rows: table.rows,
            features: table.cols,
            classes: table.classes,
        }
    }
}

/// A packed block of rows: row-major values, labels and weights by local row.
#[derive(Default)]
struct Packed {
    u8s: Vec<u8>,
    f32s: Vec<f32>,
    labels: Vec<u8>,
    weight: Vec<u32>,
}

/// Buffers one thread reuses for every tree it grows.
pub(crate) struct Scratch {
    split: SplitScratch,
    /// The tree's in-bag rows (or local rows inside a packed subtree), partitioned per node.
    index: Vec<u32>,
    /// Per row: its bootstrap draw count.
    weight: Vec<u32>,
    /// The identity permutation of the features between nodes.
    perm: Vec<u32>,
    /// `known[f] == stamp`: `f` is known constant in the current node.
    known: Vec<u32>,
    stamp: u32,
    /// The right side during a partition.
    right: Vec<u32>,
    packed: Packed,
}

impl Scratch {
    /// Buffers for `data`.
    pub(crate) fn new(data: &GrowData) -> Self {
        Scratch {
            split: SplitScratch::new(data.classes),
            index: Vec::with_capacity(data.rows),
            weight: vec![0; data.rows],
            perm: (0..data.features as u32).collect(),
            known: vec![0; data.features],
            stamp: 0,
            right: Vec::with_capacity(data.rows),
            packed: Packed::default(),
        }
    }
}

/// The generator of tree `index` (its bootstrap draws, then its root's seed).
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
struct Work {
    /// Its id in `Growth::nodes` (processing order).
    id: usize,
    start: usize,
    end: usize,
    /// Features known constant here.
    constants: Vec<u32>,
    /// The seed of its generator.
    seed: u64,
}

/// Where the current node's values, labels and weights are read.
#[derive(Clone, Copy)]
enum Source {
    /// The whole table (rows are table rows).
    Table,
    /// The packed block (rows are local rows).
    Packed,
}

/// One tree while it grows, its nodes in processing order.
struct Growth<'a> {
    data: &'a GrowData<'a>,
    config: &'a ForestConfig,
    max_features: usize,
    nodes: Vec<Node>,
    counts: Vec<u32>,
}

/// Grows tree `index` of a forest with `config` on `data`.
pub(crate) fn grow(data: &GrowData, config: &ForestConfig, index: usize, s: &mut Scratch) -> Tree {
    let mut rng = tree_rng(config.seed, index);
    draw_bag(&mut rng, config.bootstrap, &mut s.weight);
    s.index.clear();
    s.index
        .extend((0..data.rows as u32).filter(|&r| s.weight[r as usize] > 0));
    let mut g = Growth {
        data,
        config,
        max_features: config.max_features.resolve(data.features),
        nodes: Vec::new(),
        counts: Vec::new(),
    };
    g.push_node(s, Source::Table, 0, s.index.len(), LEAF, 0);
    let mut stack = vec![Work {
        id: 0,
        start: 0,
        end: s.index.len(),
        constants: Vec::new(),
        seed: rng.random(),
    }];
    // While a packed subtree is processed: the stack height below it.
    let mut packed_floor: Option<usize> = None;
    while let Some(work) = stack.pop() {
        if packed_floor.is_some_and(|floor| stack.len() < floor) {
            packed_floor = None;
        }
        if !g.may_split(&work) {
            continue;
        }
        if packed_floor.is_none() && work.end - work.start <= PACK_ROWS {
            pack(data, s, work.start, work.end);
            packed_floor = Some(stack.len());
        }
        let source = if packed_floor.is_some() {
            Source::Packed
        } else {
            Source::Table
        };
        g.split_node(work, source, s, &mut stack);
    }
    g.into_tree(index)
}

/// Copies the rows `index[start..end]` into the packed block and replaces them there by
/// their local rows `0..end - start`.
fn pack(data: &GrowData, s: &mut Scratch, start: usize, end: usize) {
    let p = &mut s.packed;
    let cols = data.features;
    p.labels.clear();
    p.weight.clear();
    p.u8s.clear();
    p.f32s.clear();
    for &r in &s.index[start..end] {
        let r = r as usize;
        p.labels.push(data.labels[r]);
        p.weight.push(s.weight[r]);
        match data.rows_major {
            Features::U8(v) => p.u8s.extend_from_slice(&v[r * cols..(r + 1) * cols]),
            Features::F32(v) => p.f32s.extend_from_slice(&v[r * cols..(r + 1) * cols]),
        }
    }
    for (k, slot) in s.index[start..end].iter_mut().enumerate() {
        *slot = k as u32;
    }
}

/// The values of feature `f` as read from `source`.
enum Column<'a> {
    U8(Strided<'a, u8>),
    F32(Strided<'a, f32>),
}

impl Column<'_> {
    fn goes_left(&self, r: u32, threshold: f32) -> bool {
        match self {
            Column::U8(c) => f32::from(c.get(r as usize)) <= threshold,
            Column::F32(c) => c.get(r as usize) <= threshold,
        }
    }
}

fn column<'a>(data: &'a GrowData, packed: &'a Packed, source: Source, f: usize) -> Column<'a> {
    match (source, data.columns) {
        (Source::Table, Columns::U8(v)) => Column::U8(Strided {
            values: v,
            base: f * data.rows,
            stride: 1,
        }),
        (Source::Table, Columns::F32(v)) => Column::F32(Strided {
            values: v,
            base: f * data.rows,
            stride: 1,
        }),
        (Source::Packed, Columns::U8(_)) => Column::U8(Strided {
            values: &packed.u8s,
            base: f,
            stride: data.features,
        }),
        (Source::Packed, Columns::F32(_)) => Column::F32(Strided {
            values: &packed.f32s,
            base: f,
            stride: data.features,
        }),
    }
}

impl Growth<'_> {
    /// Appends the node of rows `index[start..end]` (read from `source`); returns its id.
    fn push_node(
        &mut self,
        s: &Scratch,
        source: Source,
        start: usize,
        end: usize,
        parent: u32,
        depth: u32,
    ) -> usize {
        let c = self.data.classes;
        let at = self.counts.len();
        self.counts.resize(at + c, 0);
        let counts = &mut self.counts[at..];
        let (labels, weight) = match source {
            Source::Table => (self.data.labels, &s.weight[..]),
            Source::Packed => (&s.packed.labels[..], &s.packed.weight[..]),
        };
        for &r in &s.index[start..end] {
            counts[usize::from(labels[r as usize])] += weight[r as usize];
        }
        let total: u64 = counts.iter().map(|&x| u64::from(x)).sum();
        let counts_f: Vec<f64> = counts.iter().map(|&x| f64::from(x)).collect();
        let impurity = if total > 0 {
            self.config.criterion.impurity(&counts_f, total as f64)
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
            weight: total as f32,
            impurity: impurity.max(0.0) as f32,
            decrease: 0.0,
        });
        self.nodes.len() - 1
    }

    /// Whether the node of `work` may be split: not at the depth limit, enough rows, impure.
    fn may_split(&self, work: &Work) -> bool {
        let cfg = self.config;
        let node = &self.nodes[work.id];
        let m = work.end - work.start;
        let at_limit = cfg.max_depth.is_some_and(|d| node.depth as usize >= d);
        !(at_limit
            || m < cfg.min_samples_split
            || m < 2 * cfg.min_samples_leaf
            || f64::from(node.impurity) <= f64::EPSILON)
    }

    /// Splits the node of `work` (which [`may_split`](Self::may_split)) if a candidate has a
    /// valid boundary, pushing its children.
    fn split_node(&mut self, work: Work, source: Source, s: &mut Scratch, stack: &mut Vec<Work>) {
        let i = work.id;
        let node = self.nodes[i];
        let (start, end) = (work.start, work.end);
        let mut rng = rng_from_seed(work.seed);
        let Some((feature, threshold, found)) =
            self.search(i, source, start, end, &work.constants, s, &mut rng)
        else {
            return;
        };
        let mid = partition(self.data, s, source, start, end, feature, threshold);
        let mut constants = work.constants;
        constants.extend_from_slice(&found);
        let depth = node.depth + 1;
        let left = self.push_node(s, source, start, mid, i as u32, depth);
        let right = self.push_node(s, source, mid, end, i as u32, depth);
        let (l, r) = (self.nodes[left], self.nodes[right]);
        let decrease = f64::from(node.weight) * f64::from(node.impurity)
            - f64::from(l.weight) * f64::from(l.impurity)
            - f64::from(r.weight) * f64::from(r.impurity);
        let n = &mut self.nodes[i];
        n.feature = feature as u32;
        n.threshold = threshold;
        n.left = left as u32;
        n.right = right as u32;
        n.decrease = decrease.max(0.0) as f32;
        let (left_seed, right_seed) = (rng.random(), rng.random());
        stack.push(Work {
            id: right,
            start: mid,
            end,
            constants: constants.clone(),
            seed: right_seed,
        });
        stack.push(Work {
            id: left,
            start,
            end: mid,
            constants,
            seed: left_seed,
        });
    }

    /// Draws candidate features for node `i` (rows `index[start..end]`) and returns the
    /// best split with the features newly found constant, or `None` when no candidate has
    /// a valid boundary. Leaves `perm` as it found it.
    #[allow(clippy::too_many_arguments)]
    fn search(
        &self,
        i: usize,
        source: Source,
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
        let (labels, weight) = match source {
            Source::Table => (self.data.labels, &s.weight[..]),
            Source::Packed => (&s.packed.labels[..], &s.packed.weight[..]),
        };
        let node = NodeRows {
            rows: &s.index[start..end],
            labels,
            weight,
            counts: &self.counts[i * self.data.classes..(i + 1) * self.data.classes],
            total: self.nodes[i].weight as u64,
            criterion: self.config.criterion,
            min_leaf: self.config.min_samples_leaf,
        };
        let (mut drawn, mut known_undrawn) = (0usize, constants.len());
        let (mut visited, mut drawn_known) = (0usize, 0usize);
        let mut found = Vec::new();
        let mut swaps = Vec::new();
        let mut best: Option<(f64, usize, f32)> = None;
        while n - drawn > known_undrawn
            && (visited < self.max_features || visited <= found.len() + drawn_known)
        {
            visited += 1;
            let j = rng.random_range(drawn as u32..n as u32) as usize;
            s.perm.swap(drawn, j);
            swaps.push(j);
            let f = s.perm[drawn] as usize;
            drawn += 1;
            if s.known[f] == s.stamp {
                known_undrawn -= 1;
                drawn_known += 1;
                continue;
            }
            let candidate = match column(self.data, &s.packed, source, f) {
                Column::U8(c) => split::best_u8(c, &node, &mut s.split),
                Column::F32(c) => split::best_f32(c, &node, &mut s.split),
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
        for (k, &j) in swaps.iter().enumerate().rev() {
            s.perm.swap(k, j);
        }
        best.map(|(_, f, t)| (f, t, found))
    }

    /// The tree with its nodes numbered breadth-first (see the module doc).
    fn into_tree(self, index: usize) -> Tree {
        let c = self.data.classes;
        let mut order = vec![0usize];
        let mut new_id = vec![0u32; self.nodes.len()];
        let mut k = 0;
        while k < order.len() {
            let old = order[k];
            new_id[old] = k as u32;
            let n = &self.nodes[old];
            if n.feature != LEAF {
                order.push(n.left as usize);
                order.push(n.right as usize);
            }
            k += 1;
        }
        let mut nodes = Vec::with_capacity(order.len());
        let mut counts = Vec::with_capacity(order.len() * c);
        for &old in &order {
            let mut n = self.nodes[old];
            if n.parent != LEAF {
                n.parent = new_id[n.parent as usize];
            }
            if n.feature != LEAF {
                n.left = new_id[n.left as usize];
                n.right = new_id[n.right as usize];
            }
            nodes.push(n);
            counts.extend(
                self.counts[old * c..(old + 1) * c]
                    .iter()
                    .map(|&x| x as f32),
            );
        }
        Tree {
            nodes,
            counts,
            classes: c,
            index,
        }
    }
}

/// Partitions `index[start..end]` into rows with `feature <= threshold` first, keeping
/// each side in ascending order (so reads of a column go forward); returns the boundary.
fn partition(
    data: &GrowData,
    s: &mut Scratch,
    source: Source,
    start: usize,
    end: usize,
    feature: usize,
    threshold: f32,
) -> usize {
    let col = column(data, &s.packed, source, feature);
    s.right.clear();
    let mut at = start;
    for k in start..end {
        let r = s.index[k];
        if col.goes_left(r, threshold) {
            s.index[at] = r;
            at += 1;
        } else {
            s.right.push(r);
        }
    }
    s.index[at..end].copy_from_slice(&s.right);
    at
}
