//! Random forests (Breiman 2001) grown from scratch on the CPU, with scikit-learn's
//! `RandomForestClassifier` semantics so accuracies compare.
//!
//! **Architecture Invariant:** `forest` knows nothing of rendering, the UI, the labs,
//! training loops or datasets; it uses only `crate::nn` (the seeded generator) and
//! `crate::files` (bounded reads, atomic writes). Labs and commands read its numbers.
//!
//! # The math
//!
//! A node holds bootstrap-weighted class counts `c_k` with weight `W = Σ_k c_k` and
//! distribution `p_k = c_k / W`. Its impurity is
//! - gini: `G = 1 - Σ_k p_k²`,
//! - entropy: `H = -Σ_k p_k log2 p_k`.
//!
//! A split sends rows with `x_f <= t` left (weight `W_l`, impurity `I_l`) and the rest right.
//! Its weighted impurity decrease is `Δ = W·I - W_l·I_l - W_r·I_r` (≥ 0); each node
//! chooses, among its candidate features and the midpoints between adjacent distinct
//! values, the split of largest `Δ` (ties: the first feature drawn, then the lowest
//! threshold). A feature's importance in a tree is the sum of `Δ` over the nodes that
//! split on it, normalised so a tree's importances sum to 1; the forest's is the mean over
//! trees, renormalised. A forest predicts the argmax of the mean of its trees' leaf
//! distributions.
//!
//! # Files
//!
//! - [`config`]: [`ForestConfig`], [`Criterion`], [`MaxFeatures`].
//! - [`table`]: [`Table`], the rows a forest trains on and is scored on.
//! - [`tree`]: [`Tree`] and [`Node`], flat arrays in growth order.
//! - `split`: one feature's best threshold in one node.
//! - `grow`: one tree, breadth-first, from its own random stream.
//! - [`forest`](mod@forest): [`Forest`]: fit on threads, predict, out-of-bag, importances.
//! - [`ensemble`]: [`Ensemble`], running sums as trees are added one by one.
//! - [`file`]: the versioned forest file.
//! - [`error`]: the errors, [`ForestError`].

pub mod config;
pub mod ensemble;
pub mod error;
pub mod file;
#[allow(clippy::module_inception)]
pub mod forest;
mod grow;
mod split;
pub mod table;
pub mod tree;

pub use config::{Criterion, ForestConfig, MaxFeatures};
pub use ensemble::Ensemble;
pub use error::ForestError;
pub use forest::{Forest, Oob};
pub use table::{Features, Table};
pub use tree::{LEAF, Node, Tree};
