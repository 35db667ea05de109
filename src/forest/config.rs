//! The settings of a forest: [`ForestConfig`] (defaults are scikit-learn's
//! `RandomForestClassifier` with 100 trees), the split [`Criterion`] and how many features a
//! node may try ([`MaxFeatures`]). Each setting has one validation rule, checked in
//! [`ForestConfig::validate`] before anything is grown.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::ForestError;
use crate::files::limits;

/// How the impurity of a node is measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Criterion {
    /// Gini impurity `1 - Σ p_k²`.
    #[default]
    Gini,
    /// Shannon entropy `-Σ p_k log2 p_k`.
    Entropy,
}

impl Criterion {
    /// Lower-case name, as the command line spells it.
    pub fn name(self) -> &'static str {
        match self {
            Criterion::Gini => "gini",
            Criterion::Entropy => "entropy",
        }
    }

    /// The impurity of a node from its class counts and their sum `weight` (> 0).
    pub fn impurity(self, counts: &[f64], weight: f64) -> f64 {
        match self {
            Criterion::Gini => 1.0 - counts.iter().map(|c| (c / weight).powi(2)).sum::<f64>(),
            Criterion::Entropy => -counts
                .iter()
                .filter(|&&c| c > 0.0)
                .map(|c| (c / weight) * (c / weight).log2())
                .sum::<f64>(),
        }
    }
}

impl fmt::Display for Criterion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Criterion {
    type Err = ForestError;
    fn from_str(s: &str) -> Result<Self, ForestError> {
        match s {
            "gini" => Ok(Criterion::Gini),
            "entropy" => Ok(Criterion::Entropy),
            _ => Err(ForestError::Config(format!(
                "criterion {s:?} is not gini or entropy"
            ))),
        }
    }
}

/// How many features each node draws as split candidates (constant features do not count).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum MaxFeatures {
    /// `floor(sqrt(n))`, scikit-learn's default for classification.
    #[default]
    Sqrt,
    /// `floor(log2(n))`.
    Log2,
    /// `floor(fraction * n)`, the fraction in (0, 1].
    Fraction(f32),
    /// Every feature.
    All,
    /// A fixed count (at most `n` are used).
    Count(usize),
}

impl MaxFeatures {
    /// The number of candidate features for `n_features` features: at least 1, at most `n`.
    pub fn resolve(self, n_features: usize) -> usize {
        let n = n_features.max(1);
        let k = match self {
            MaxFeatures::Sqrt => (n as f64).sqrt() as usize,
            MaxFeatures::Log2 => (n as f64).log2() as usize,
            MaxFeatures::Fraction(f) => (f as f64 * n as f64) as usize,
            MaxFeatures::All => n,
            MaxFeatures::Count(c) => c,
        };
        k.clamp(1, n)
    }
}

impl fmt::Display for MaxFeatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MaxFeatures::Sqrt => f.write_str("sqrt"),
            MaxFeatures::Log2 => f.write_str("log2"),
            MaxFeatures::Fraction(x) => write!(f, "{x:?}"),
            MaxFeatures::All => f.write_str("all"),
            MaxFeatures::Count(c) => write!(f, "{c}"),
        }
    }
}

impl FromStr for MaxFeatures {
    type Err = ForestError;
    /// `sqrt`, `log2`, `all`, a count (`7`, at least 1) or a fraction with a point (`0.3`,
    /// in (0, 1]).
    fn from_str(s: &str) -> Result<Self, ForestError> {
        let bad = || {
            ForestError::Config(format!(
                "max features {s:?} is not sqrt, log2, all, a count of at least 1 or a fraction in (0, 1]"
            ))
        };
        match s {
            "sqrt" => Ok(MaxFeatures::Sqrt),
            "log2" => Ok(MaxFeatures::Log2),
            "all" => Ok(MaxFeatures::All),
            _ if s.contains(['.', 'e', 'E']) => {
                let x: f32 = s.parse().map_err(|_| bad())?;
                if x > 0.0 && x <= 1.0 {
                    Ok(MaxFeatures::Fraction(x))
                } else {
                    Err(bad())
                }
            }
            _ => match s.parse::<usize>() {
                Ok(c) if c >= 1 => Ok(MaxFeatures::Count(c)),
                _ => Err(bad()),
            },
        }
    }
}

impl From<MaxFeatures> for String {
    fn from(m: MaxFeatures) -> String {
        m.to_string()
    }
}

impl TryFrom<String> for MaxFeatures {
    type Error = ForestError;
    fn try_from(s: String) -> Result<Self, ForestError> {
        s.parse()
    }
}

/// Everything that decides how a forest is grown. Trees, seed and settings decide the forest
/// bit for bit; `threads` only decides how fast.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ForestConfig {
    /// Trees in the forest (scikit-learn's `n_estimators`).
    pub trees: usize,
    /// Split criterion.
    pub criterion: Criterion,
    /// Deepest node depth (the root has depth 0); `None` grows until leaves are pure.
    pub max_depth: Option<usize>,
    /// A node with fewer distinct training rows is a leaf (at least 2).
    pub min_samples_split: usize,
    /// Each child of a split keeps at least this many distinct training rows (at least 1).
    pub min_samples_leaf: usize,
    /// Candidate features per node.
    pub max_features: MaxFeatures,
    /// Each tree trains on `rows` draws with replacement (as counts); otherwise on every row.
    pub bootstrap: bool,
    /// The seed every random choice comes from (tree `i` from `(seed, i)` only).
    pub seed: u64,
    /// Worker threads for fitting; 0 = every core.
    pub threads: usize,
}

impl Default for ForestConfig {
    fn default() -> Self {
        ForestConfig {
            trees: 100,
            criterion: Criterion::Gini,
            max_depth: None,
            min_samples_split: 2,
            min_samples_leaf: 1,
            max_features: MaxFeatures::Sqrt,
            bootstrap: true,
            seed: 0,
            threads: 0,
        }
    }
}

impl ForestConfig {
    /// Checks every setting; the first one out of range is named.
    pub fn validate(&self) -> Result<(), ForestError> {
        let fail = |msg: String| Err(ForestError::Config(msg));
        if self.trees == 0 || self.trees > limits::FOREST_TREES {
            return fail(format!(
                "trees must be 1 to {}, not {}",
                limits::FOREST_TREES,
                self.trees
            ));
        }
        if self.max_depth == Some(0) {
            return fail("max depth must be at least 1".into());
        }
        if self.min_samples_split < 2 {
            return fail(format!(
                "min samples split must be at least 2, not {}",
                self.min_samples_split
            ));
        }
        if self.min_samples_leaf < 1 {
            return fail("min samples leaf must be at least 1, not 0".into());
        }
        match self.max_features {
            MaxFeatures::Fraction(x) if !(x > 0.0 && x <= 1.0) => {
                return fail(format!("max features fraction must be in (0, 1], not {x}"));
            }
            MaxFeatures::Count(0) => return fail("max features must be at least 1".into()),
            _ => {}
        }
        if self.threads > limits::THREADS {
            return fail(format!(
                "threads must be 0 (every core) to {}, not {}",
                limits::THREADS,
                self.threads
            ));
        }
        Ok(())
    }

    /// The worker threads a fit uses: `threads`, or every core for 0.
    pub fn resolved_threads(&self) -> usize {
        if self.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            self.threads
        }
    }
}
