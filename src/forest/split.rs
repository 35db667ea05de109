//! The best threshold of one feature in one node. A node's rows are a slice of row indices;
//! each row has a bootstrap weight (its draw count) and a class. For 8-bit features the
//! rows are counted into a histogram `value -> weighted class counts` and only the occupied
//! values are scanned (no sort); real features sort the node's `(value, row)` pairs. Both
//! then walk the boundaries between adjacent distinct values, left to right, keeping the
//! first best (so ties go to the lowest threshold).
//!
//! The quantity maximised is the proxy of the impurity decrease (the parent's term is the
//! same for every candidate):
//! - gini: `Σ_k l_k² / W_l + Σ_k r_k² / W_r`, which is `decrease + Σ_k c_k² / W`;
//! - entropy: `Σ_k l_k ln l_k - W_l ln W_l + Σ_k r_k ln r_k - W_r ln W_r`, which is
//!   `-(W_l H_l + W_r H_r)` in nats.
//!
//! A candidate boundary is valid when both sides keep at least `min_samples_leaf` distinct
//! rows.

use super::Criterion;

/// What a node knows while its features are tried.
pub(crate) struct NodeRows<'a> {
    /// The node's rows (indices into the table).
    pub rows: &'a [u32],
    /// Every row's class.
    pub labels: &'a [u8],
    /// Every row's bootstrap weight.
    pub weight: &'a [u32],
    /// The node's weighted class counts.
    pub counts: &'a [u32],
    /// Their sum.
    pub total: u64,
    /// The split criterion.
    pub criterion: Criterion,
    /// Distinct rows each side must keep.
    pub min_leaf: usize,
}

/// The outcome of trying one feature.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Candidate {
    /// Every row of the node has the same value.
    Constant,
    /// Values differ, but no boundary leaves `min_samples_leaf` rows on both sides.
    NoSplit,
    /// The feature's best boundary.
    Best {
        /// Left when `x <= threshold`.
        threshold: f32,
        /// The proxy of its impurity decrease.
        proxy: f64,
    },
}

/// Buffers reused by every node of every tree on one thread.
pub(crate) struct SplitScratch {
    classes: usize,
    /// `256 x classes` weighted class counts per 8-bit value.
    hist: Vec<u32>,
    /// Distinct rows per 8-bit value.
    rows_at: Vec<u32>,
    /// `(value, row)` pairs of a real feature.
    pairs: Vec<(f32, u32)>,
    /// Left class counts during a scan.
    left: Vec<u32>,
}

impl SplitScratch {
    /// Buffers for `classes` classes.
    pub(crate) fn new(classes: usize) -> Self {
        SplitScratch {
            classes,
            hist: vec![0; 256 * classes],
            rows_at: vec![0; 256],
            pairs: Vec::new(),
            left: vec![0; classes],
        }
    }
}

/// `x ln x`, 0 at 0.
fn xlnx(x: f64) -> f64 {
    if x > 0.0 { x * x.ln() } else { 0.0 }
}

/// The proxy of a split with `left` counts (sum `w_left`) out of `node`'s.
pub(crate) fn proxy(criterion: Criterion, left: &[u32], w_left: u64, node: &NodeRows) -> f64 {
    let w_right = node.total - w_left;
    match criterion {
        Criterion::Gini => {
            // Exact integer sums of squares: a table has fewer than 2^31 rows, so
            // `Σ l_k² <= W² < 2^62`.
            let (mut sl, mut sr) = (0u64, 0u64);
            for (&l, &c) in left.iter().zip(node.counts) {
                let (l, r) = (u64::from(l), u64::from(c - l));
                sl += l * l;
                sr += r * r;
            }
            sl as f64 / w_left as f64 + sr as f64 / w_right as f64
        }
        Criterion::Entropy => {
            let mut s = 0.0f64;
            for (&l, &c) in left.iter().zip(node.counts) {
                s += xlnx(f64::from(l)) + xlnx(f64::from(c - l));
            }
            s - xlnx(w_left as f64) - xlnx(w_right as f64)
        }
    }
}

/// One feature's values: row `r`'s value is `values[base + r * stride]` (a column of the
/// feature-major table, or a feature of a block of packed rows).
#[derive(Clone, Copy)]
pub(crate) struct Strided<'a, T> {
    /// The values.
    pub values: &'a [T],
    /// Where row 0's value is.
    pub base: usize,
    /// The distance between two rows' values.
    pub stride: usize,
}

impl<T: Copy> Strided<'_, T> {
    /// Row `r`'s value.
    #[inline]
    pub(crate) fn get(&self, r: usize) -> T {
        self.values[self.base + r * self.stride]
    }
}

/// The best boundary of an 8-bit feature.
pub(crate) fn best_u8(column: Strided<u8>, node: &NodeRows, s: &mut SplitScratch) -> Candidate {
    // With one row per leaf every boundary is valid, so rows per value need no counting
    // (the count is a chain of dependent increments when most values are equal).
    if node.min_leaf <= 1 {
        fill_u8::<false>(column, node, s)
    } else {
        fill_u8::<true>(column, node, s)
    }
}

/// [`best_u8`] counting rows per value when `COUNT_ROWS`.
fn fill_u8<const COUNT_ROWS: bool>(
    column: Strided<u8>,
    node: &NodeRows,
    s: &mut SplitScratch,
) -> Candidate {
    let c = s.classes;
    let mut occupied = [0u64; 4];
    for &r in node.rows {
        let r = r as usize;
        let v = usize::from(column.get(r));
        s.hist[v * c + usize::from(node.labels[r])] += node.weight[r];
        if COUNT_ROWS {
            s.rows_at[v] += 1;
        }
        occupied[v >> 6] |= 1 << (v & 63);
    }
    let mut values = [0u8; 256];
    let mut n = 0;
    for (word, &bits) in occupied.iter().enumerate() {
        let mut bits = bits;
        while bits != 0 {
            values[n] = (word * 64 + bits.trailing_zeros() as usize) as u8;
            n += 1;
            bits &= bits - 1;
        }
    }
    let values = &values[..n];
    let result = if n < 2 {
        Candidate::Constant
    } else {
        scan_u8::<COUNT_ROWS>(values, node, s)
    };
    for &v in values {
        let v = usize::from(v);
        s.hist[v * c..(v + 1) * c].fill(0);
        s.rows_at[v] = 0;
    }
    result
}

/// Walks the boundaries between the occupied `values` (ascending) of the filled histogram.
fn scan_u8<const COUNT_ROWS: bool>(
    values: &[u8],
    node: &NodeRows,
    s: &mut SplitScratch,
) -> Candidate {
    let c = s.classes;
    let m = node.rows.len();
    s.left.fill(0);
    let (mut w_left, mut n_left) = (0u64, 0usize);
    let mut best: Option<(f64, f32)> = None;
    for pair in values.windows(2) {
        let v = usize::from(pair[0]);
        for (l, &h) in s.left.iter_mut().zip(&s.hist[v * c..(v + 1) * c]) {
            *l += h;
            w_left += u64::from(h);
        }
        if COUNT_ROWS {
            n_left += s.rows_at[v] as usize;
            if n_left < node.min_leaf {
                continue;
            }
            if m - n_left < node.min_leaf {
                break;
            }
        }
        let p = proxy(node.criterion, &s.left, w_left, node);
        if best.is_none_or(|(b, _)| p > b) {
            let threshold = f32::from(pair[0]) + f32::from(pair[1] - pair[0]) / 2.0;
            best = Some((p, threshold));
        }
    }
    match best {
        Some((proxy, threshold)) => Candidate::Best { threshold, proxy },
        None => Candidate::NoSplit,
    }
}

/// The threshold between adjacent distinct values `a < b`: their midpoint, or `a` when the
/// midpoint rounds to `b` (so `a` goes left and `b` right either way).
pub fn midpoint(a: f32, b: f32) -> f32 {
    let t = a / 2.0 + b / 2.0;
    if t >= b || !t.is_finite() { a } else { t }
}

/// The best boundary of a real feature.
pub(crate) fn best_f32(column: Strided<f32>, node: &NodeRows, s: &mut SplitScratch) -> Candidate {
    s.pairs.clear();
    s.pairs
        .extend(node.rows.iter().map(|&r| (column.get(r as usize), r)));
    s.pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let m = s.pairs.len();
    if m < 2 || s.pairs[0].0 == s.pairs[m - 1].0 {
        return Candidate::Constant;
    }
    s.left.fill(0);
    let mut w_left = 0u64;
    let mut best: Option<(f64, f32)> = None;
    for i in 0..m - 1 {
        let r = s.pairs[i].1 as usize;
        let w = node.weight[r];
        s.left[usize::from(node.labels[r])] += w;
        w_left += u64::from(w);
        let (a, b) = (s.pairs[i].0, s.pairs[i + 1].0);
        if a == b || i + 1 < node.min_leaf {
            continue;
        }
        if m - (i + 1) < node.min_leaf {
            break;
        }
        let p = proxy(node.criterion, &s.left, w_left, node);
        if best.is_none_or(|(bp, _)| p > bp) {
            best = Some((p, midpoint(a, b)));
        }
    }
    match best {
        Some((proxy, threshold)) => Candidate::Best { threshold, proxy },
        None => Candidate::NoSplit,
    }
}
