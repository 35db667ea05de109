//! The forest file: a versioned binary format that keeps every number of every node, so a
//! loaded forest predicts bit for bit what the saved one did.
//!
//! ```text
//! offset  size        content
//! 0       8           magic "NVFOREST"
//! 8       4           format version, u32 little-endian (this is version 1)
//! 12      4           header length H, u32 little-endian (at most 4 MiB)
//! 16      H           JSON header: {"config": ForestConfig, "n_features", "classes",
//!                     "train_rows", "nodes": [node count of each tree, in tree order]}
//! 16+H    40 per node every tree's nodes in tree order, each node 10 little-endian
//!                     4-byte fields: feature u32 (u32::MAX for a leaf), threshold f32,
//!                     left u32, right u32, parent u32 (u32::MAX for the root), depth u32,
//!                     samples u32, weight f32, impurity f32, decrease f32
//! ...     4 x classes every tree's class counts, node by node, f32 little-endian
//!         per node
//! end-32  32          SHA-256 of every byte before it
//! ```
//!
//! Reading checks, before allocating anything, that the file is at most
//! [`FOREST_FILE_BYTES`](crate::files::limits::FOREST_FILE_BYTES), that the header is at
//! most 4 MiB, names at most [`FOREST_TREES`](crate::files::limits::FOREST_TREES) trees and
//! [`FOREST_FEATURES`](crate::files::limits::FOREST_FEATURES) features, and that the file's
//! length is exactly what the header's node counts make; then the checksum, the version, the config,
//! and every tree: breadth-first growth order (the `k`-th split's children are nodes
//! `1 + 2k` and `2 + 2k`, each naming its parent, one level deeper), features below
//! `n_features`, finite thresholds, positive weights, and each node's counts summing to its
//! weight and to its children's. A file that fails is refused with one line naming the
//! file and the problem.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::tree::{LEAF, Node, Tree};
use super::{Forest, ForestConfig, ForestError};
use crate::files::{self, limits};

/// The first bytes of every forest file.
pub const MAGIC: &[u8; 8] = b"NVFOREST";
/// The format version this program writes and reads.
pub const VERSION: u32 = 1;
const NODE_BYTES: usize = 40;
const HASH_BYTES: usize = 32;
const PREFIX_BYTES: usize = 16;

/// The JSON header.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    config: ForestConfig,
    n_features: usize,
    classes: usize,
    train_rows: usize,
    nodes: Vec<usize>,
}

impl Forest {
    /// Writes the forest to `path` atomically (a temporary file renamed over it).
    pub fn save(&self, path: &Path) -> Result<(), ForestError> {
        files::write_atomic(path, &self.encode())?;
        Ok(())
    }

    /// Reads a forest file written by [`save`](Self::save).
    pub fn load(path: &Path) -> Result<Forest, ForestError> {
        let bytes = files::read_bounded(path, limits::FOREST_FILE_BYTES, "forest file")?;
        Self::decode(&bytes).map_err(|e| match e {
            ForestError::Decode(detail) => ForestError::Format {
                path: path.to_path_buf(),
                detail,
            },
            other => other,
        })
    }

    /// The bytes of the forest file.
    pub fn encode(&self) -> Vec<u8> {
        let header = Header {
            config: self.config.clone(),
            n_features: self.n_features,
            classes: self.classes,
            train_rows: self.train_rows,
            nodes: self.trees.iter().map(|t| t.nodes.len()).collect(),
        };
        let json = serde_json::to_vec(&header).unwrap_or_default();
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(json.len() as u32).to_le_bytes());
        out.extend_from_slice(&json);
        for tree in &self.trees {
            for n in &tree.nodes {
                for word in [
                    n.feature,
                    n.threshold.to_bits(),
                    n.left,
                    n.right,
                    n.parent,
                    n.depth,
                    n.samples,
                    n.weight.to_bits(),
                    n.impurity.to_bits(),
                    n.decrease.to_bits(),
                ] {
                    out.extend_from_slice(&word.to_le_bytes());
                }
            }
        }
        for tree in &self.trees {
            for c in &tree.counts {
                out.extend_from_slice(&c.to_le_bytes());
            }
        }
        let hash = Sha256::digest(&out);
        out.extend_from_slice(&hash);
        out
    }

    /// A forest from the bytes of a forest file; any inconsistency is an error.
    pub fn decode(bytes: &[u8]) -> Result<Forest, ForestError> {
        let fail = |msg: String| Err(ForestError::Decode(msg));
        if bytes.len() < PREFIX_BYTES + HASH_BYTES || &bytes[..8] != MAGIC {
            if bytes.len() >= 8 && &bytes[..8] != MAGIC {
                return fail("not a forest file (no NVFOREST magic bytes)".into());
            }
            return fail(format!("truncated ({} bytes)", bytes.len()));
        }
        let version = read_u32(bytes, 8);
        if version > VERSION {
            return fail(format!(
                "format version {version} is newer than the version {VERSION} this netviz reads"
            ));
        }
        if version == 0 {
            return fail("format version 0 does not exist".into());
        }
        let header_len = read_u32(bytes, 12) as usize;
        if header_len > limits::FOREST_HEADER_BYTES
            || PREFIX_BYTES + header_len + HASH_BYTES > bytes.len()
        {
            return fail(format!(
                "truncated or corrupt: a {header_len}-byte header does not fit in {} bytes",
                bytes.len()
            ));
        }
        let (body, hash) = bytes.split_at(bytes.len() - HASH_BYTES);
        if Sha256::digest(body).as_slice() != hash {
            return fail("checksum mismatch: the file is truncated or altered".into());
        }
        let header: Header = serde_json::from_slice(&body[PREFIX_BYTES..PREFIX_BYTES + header_len])
            .map_err(|e| ForestError::Decode(format!("bad header: {e}")))?;
        check_header(&header)?;
        let c = header.classes;
        let total_nodes = header
            .nodes
            .iter()
            .try_fold(0usize, |a, &n| a.checked_add(n))
            .filter(|&n| n <= u32::MAX as usize);
        let expected = total_nodes
            .and_then(|n| n.checked_mul(NODE_BYTES + 4 * c))
            .and_then(|n| n.checked_add(PREFIX_BYTES + header_len));
        if expected != Some(body.len()) {
            return fail(format!(
                "{} bytes of nodes and counts, the header's node counts need {}",
                body.len().saturating_sub(PREFIX_BYTES + header_len),
                expected.map_or("more".into(), |e| (e - PREFIX_BYTES - header_len)
                    .to_string())
            ));
        }
        let mut at = PREFIX_BYTES + header_len;
        let mut count_at = at + total_nodes.unwrap_or(0) * NODE_BYTES;
        let mut trees = Vec::with_capacity(header.nodes.len());
        for (index, &n) in header.nodes.iter().enumerate() {
            let nodes: Vec<Node> = (0..n)
                .map(|i| read_node(bytes, at + i * NODE_BYTES))
                .collect();
            let counts: Vec<f32> = (0..n * c)
                .map(|i| f32::from_bits(read_u32(bytes, count_at + 4 * i)))
                .collect();
            at += n * NODE_BYTES;
            count_at += n * c * 4;
            let tree = Tree {
                nodes,
                counts,
                classes: c,
                index,
            };
            check_tree(&tree, header.n_features)
                .map_err(|e| ForestError::Decode(format!("tree {index}: {e}")))?;
            trees.push(tree);
        }
        Ok(Forest {
            config: header.config,
            n_features: header.n_features,
            classes: c,
            train_rows: header.train_rows,
            trees,
        })
    }
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(b)
}

fn read_node(bytes: &[u8], at: usize) -> Node {
    let w = |k: usize| read_u32(bytes, at + 4 * k);
    Node {
        feature: w(0),
        threshold: f32::from_bits(w(1)),
        left: w(2),
        right: w(3),
        parent: w(4),
        depth: w(5),
        samples: w(6),
        weight: f32::from_bits(w(7)),
        impurity: f32::from_bits(w(8)),
        decrease: f32::from_bits(w(9)),
    }
}

fn check_header(h: &Header) -> Result<(), ForestError> {
    let fail = |msg: String| Err(ForestError::Decode(msg));
    h.config
        .validate()
        .map_err(|e| ForestError::Decode(format!("header: {e}")))?;
    if h.nodes.len() != h.config.trees {
        return fail(format!(
            "the header lists {} trees, its config {}",
            h.nodes.len(),
            h.config.trees
        ));
    }
    if h.n_features == 0 || h.n_features > limits::FOREST_FEATURES {
        return fail(format!(
            "{} features (1 to {})",
            h.n_features,
            limits::FOREST_FEATURES
        ));
    }
    if h.classes == 0 || h.classes > 256 {
        return fail(format!("{} classes (1 to 256)", h.classes));
    }
    if h.train_rows == 0 {
        return fail("0 training rows".into());
    }
    if let Some(i) = h.nodes.iter().position(|&n| n == 0 || n % 2 == 0) {
        return fail(format!(
            "tree {i} has {} nodes (a tree has an odd number, at least 1)",
            h.nodes[i]
        ));
    }
    Ok(())
}

/// Checks one tree's structure and numbers; the error says which node and what.
fn check_tree(tree: &Tree, n_features: usize) -> Result<(), String> {
    let n = tree.nodes.len();
    let mut splits = 0usize;
    for (i, node) in tree.nodes.iter().enumerate() {
        let bad = |what: &str| Err(format!("node {i}: {what}"));
        let counts = tree.node_counts(i);
        if !(node.weight.is_finite() && node.weight > 0.0) {
            return bad("weight is not a positive number");
        }
        if !counts.iter().all(|c| c.is_finite() && *c >= 0.0) {
            return bad("a class count is negative or not a number");
        }
        let sum: f32 = counts.iter().sum();
        if (sum - node.weight).abs() > 1e-4 * node.weight.max(1.0) {
            return bad("class counts do not sum to its weight");
        }
        if !node.impurity.is_finite() || node.impurity < 0.0 {
            return bad("impurity is negative or not a number");
        }
        if !node.decrease.is_finite() || node.decrease < 0.0 {
            return bad("impurity decrease is negative or not a number");
        }
        if i == 0 && (node.parent != LEAF || node.depth != 0) {
            return bad("the root has a parent or a depth");
        }
        if node.feature == LEAF {
            continue;
        }
        if node.feature as usize >= n_features {
            return bad(&format!(
                "feature {} is not below {n_features}",
                node.feature
            ));
        }
        if !node.threshold.is_finite() {
            return bad("threshold is not a finite number");
        }
        let left = 1 + 2 * splits;
        splits += 1;
        if node.left as usize != left || node.right as usize != left + 1 || left + 1 >= n {
            return bad("children are not the next two nodes of the growth order");
        }
        for child in [left, left + 1] {
            let ch = &tree.nodes[child];
            if ch.parent as usize != i || ch.depth != node.depth.saturating_add(1) {
                return bad(&format!("child {child} names another parent or depth"));
            }
        }
        let (l, r) = (&tree.nodes[left], &tree.nodes[left + 1]);
        if u64::from(l.samples) + u64::from(r.samples) != u64::from(node.samples) {
            return bad("children's samples do not add up to its own");
        }
        let (lc, rc) = (tree.node_counts(left), tree.node_counts(left + 1));
        for k in 0..counts.len() {
            if (lc[k] + rc[k] - counts[k]).abs() > 1e-4 * counts[k].max(1.0) {
                return bad("children's class counts do not add up to its own");
            }
        }
    }
    if 1 + 2 * splits != n {
        return Err(format!("{n} nodes for {splits} splits"));
    }
    Ok(())
}
