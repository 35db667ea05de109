//! Classification metrics: the confusion matrix and what is read from it.
//!
//! Rows of a [`ConfusionMatrix`] are the true class, columns the predicted class, so
//! `get(t, p)` counts samples of class `t` predicted as `p`. For class `c`:
//!
//! ```text
//! TP = get(c, c)
//! precision(c) = TP / (column sum c)      (0 when nothing was predicted as c)
//! recall(c)    = TP / (row sum c)         (0 when no sample is of class c)
//! F1(c)        = 2 * P * R / (P + R)      (0 when P + R = 0)
//! accuracy     = trace / total            (0 for an empty matrix)
//! ```
//!
//! Macro averages are the unweighted means over all `num_classes` classes, as scikit-learn's
//! `precision_recall_fscore_support(..., labels=range(C), average="macro", zero_division=0)`.

use serde::{Deserialize, Serialize};

use crate::nn::error::{NnError, Result};
use crate::nn::tensor::Tensor;

/// Counts of (true class, predicted class) pairs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawConfusionMatrix")]
pub struct ConfusionMatrix {
    num_classes: usize,
    /// Row-major `num_classes x num_classes` counts, row = true class.
    counts: Vec<u64>,
}

/// A confusion matrix as it is read, before its size is checked.
#[derive(Deserialize)]
struct RawConfusionMatrix {
    num_classes: usize,
    counts: Vec<u64>,
}

impl TryFrom<RawConfusionMatrix> for ConfusionMatrix {
    type Error = String;

    /// Refuses counts that are not `num_classes x num_classes`.
    fn try_from(raw: RawConfusionMatrix) -> std::result::Result<Self, String> {
        if raw.num_classes.checked_mul(raw.num_classes) != Some(raw.counts.len()) {
            return Err(format!(
                "a confusion matrix of {} classes with {} counts",
                raw.num_classes,
                raw.counts.len()
            ));
        }
        Ok(ConfusionMatrix {
            num_classes: raw.num_classes,
            counts: raw.counts,
        })
    }
}

impl ConfusionMatrix {
    /// An all-zero matrix for `num_classes` classes.
    pub fn new(num_classes: usize) -> Self {
        ConfusionMatrix {
            num_classes,
            counts: vec![0; num_classes * num_classes],
        }
    }

    /// A matrix counting the pairs `(truth[i], pred[i])`; fails if the slices differ in length
    /// or a class is out of range.
    pub fn from_predictions(num_classes: usize, truth: &[usize], pred: &[usize]) -> Result<Self> {
        if truth.len() != pred.len() {
            return Err(NnError::shape(
                "confusion matrix",
                format!("{} true labels but {} predictions", truth.len(), pred.len()),
            ));
        }
        let mut m = ConfusionMatrix::new(num_classes);
        for (&t, &p) in truth.iter().zip(pred) {
            m.add(t, p)?;
        }
        Ok(m)
    }

    /// Counts one sample of class `truth` predicted as `pred`; fails if either is not below
    /// `num_classes`.
    pub fn add(&mut self, truth: usize, pred: usize) -> Result<()> {
        let c = self.num_classes;
        if truth >= c || pred >= c {
            return Err(NnError::shape(
                "confusion matrix",
                format!("pair (true {truth}, predicted {pred}) out of range for {c} classes"),
            ));
        }
        self.counts[truth * c + pred] += 1;
        Ok(())
    }

    /// Adds the counts of `other` (e.g. from another batch or thread); fails if the class
    /// counts differ.
    pub fn merge(&mut self, other: &ConfusionMatrix) -> Result<()> {
        if other.num_classes != self.num_classes {
            return Err(NnError::shape(
                "confusion matrix merge",
                format!(
                    "{} classes vs {} classes",
                    self.num_classes, other.num_classes
                ),
            ));
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        Ok(())
    }

    /// Sets every count to zero.
    pub fn clear(&mut self) {
        self.counts.fill(0);
    }

    /// Number of classes.
    pub fn num_classes(&self) -> usize {
        self.num_classes
    }

    /// Samples of class `truth` predicted as `pred` (0 when out of range).
    pub fn get(&self, truth: usize, pred: usize) -> u64 {
        if truth >= self.num_classes || pred >= self.num_classes {
            return 0;
        }
        self.counts[truth * self.num_classes + pred]
    }

    /// The counts of true class `truth` by predicted class (empty when out of range).
    pub fn row(&self, truth: usize) -> &[u64] {
        let c = self.num_classes;
        self.counts.get(truth * c..(truth + 1) * c).unwrap_or(&[])
    }

    /// Total number of samples counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Number of correctly classified samples (the trace).
    pub fn correct(&self) -> u64 {
        (0..self.num_classes).map(|c| self.get(c, c)).sum()
    }

    /// Samples whose true class is `class` (row sum).
    pub fn support(&self, class: usize) -> u64 {
        self.row(class).iter().sum()
    }

    /// Samples predicted as `class` (column sum).
    pub fn predicted(&self, class: usize) -> u64 {
        (0..self.num_classes).map(|t| self.get(t, class)).sum()
    }

    /// Fraction of samples classified correctly; 0 for an empty matrix.
    pub fn accuracy(&self) -> f64 {
        ratio(self.correct(), self.total())
    }

    /// TP / predicted-as-`class`; 0 when nothing was predicted as `class`.
    pub fn precision(&self, class: usize) -> f64 {
        ratio(self.get(class, class), self.predicted(class))
    }

    /// TP / samples-of-`class`; 0 when no sample is of `class`.
    pub fn recall(&self, class: usize) -> f64 {
        ratio(self.get(class, class), self.support(class))
    }

    /// Harmonic mean of precision and recall; 0 when both are 0.
    pub fn f1(&self, class: usize) -> f64 {
        f1(self.precision(class), self.recall(class))
    }

    /// The summary of this matrix.
    pub fn metrics(&self) -> Metrics {
        let c = self.num_classes;
        let precision: Vec<f64> = (0..c).map(|k| self.precision(k)).collect();
        let recall: Vec<f64> = (0..c).map(|k| self.recall(k)).collect();
        let f1: Vec<f64> = precision
            .iter()
            .zip(&recall)
            .map(|(&p, &r)| f1(p, r))
            .collect();
        Metrics {
            total: self.total(),
            accuracy: self.accuracy(),
            macro_precision: mean(&precision),
            macro_recall: mean(&recall),
            macro_f1: mean(&f1),
            support: (0..c).map(|k| self.support(k)).collect(),
            precision,
            recall,
            f1,
        }
    }
}

/// A summary of a [`ConfusionMatrix`], ready to print or write as JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Number of samples.
    pub total: u64,
    /// Fraction classified correctly.
    pub accuracy: f64,
    /// Mean of the per-class precisions.
    pub macro_precision: f64,
    /// Mean of the per-class recalls.
    pub macro_recall: f64,
    /// Mean of the per-class F1 scores.
    pub macro_f1: f64,
    /// Precision of each class.
    pub precision: Vec<f64>,
    /// Recall of each class.
    pub recall: Vec<f64>,
    /// F1 score of each class.
    pub f1: Vec<f64>,
    /// Number of samples of each true class.
    pub support: Vec<u64>,
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// Index of the largest value in each row of an `(N, C)` tensor, written into `out` (reusing its
/// allocation). Ties go to the lowest index; NaNs are never chosen unless a row is all NaN
/// (then 0). Fails unless the tensor is 2-D with `C >= 1`.
pub fn argmax_into(t: &Tensor, out: &mut Vec<usize>) -> Result<()> {
    let (n, c) = match t.shape() {
        [n, c] if *c > 0 => (*n, *c),
        _ => {
            return Err(NnError::shape(
                "argmax",
                format!("expected (N,C) with C >= 1, got {}", t.shape_str()),
            ));
        }
    };
    out.clear();
    out.reserve(n);
    for row in t.data().chunks_exact(c) {
        let mut best = 0;
        let mut best_v = f32::NEG_INFINITY;
        for (j, &v) in row.iter().enumerate() {
            if v > best_v {
                best = j;
                best_v = v;
            }
        }
        out.push(best);
    }
    Ok(())
}

/// Index of the largest value in each row of an `(N, C)` tensor (see [`argmax_into`]).
pub fn argmax(t: &Tensor) -> Result<Vec<usize>> {
    let mut out = Vec::new();
    argmax_into(t, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Hand-worked example, 3 classes, 10 samples:
    //
    //   truth: 0 0 0 0 1 1 1 2 2 2
    //   pred:  0 0 1 2 1 1 0 2 2 1
    //
    //   matrix (rows true, cols predicted):
    //           p0 p1 p2 | support
    //     t0 [   2  1  1 ]  4
    //     t1 [   1  2  0 ]  3
    //     t2 [   0  1  2 ]  3
    //   predicted 3  4  3
    //
    //   accuracy = (2 + 2 + 2) / 10 = 0.6
    //   precision = [2/3, 2/4, 2/3] = [0.6667, 0.5, 0.6667]
    //   recall    = [2/4, 2/3, 2/3] = [0.5, 0.6667, 0.6667]
    //   F1(0) = 2 * (2/3)(1/2) / (2/3 + 1/2) = (2/3) / (7/6) = 4/7
    //   F1(1) = 2 * (1/2)(2/3) / (1/2 + 2/3) = 4/7
    //   F1(2) = 2/3
    //   macro precision = (2/3 + 1/2 + 2/3) / 3 = (11/6) / 3 = 11/18
    //   macro recall    = (1/2 + 2/3 + 2/3) / 3 = 11/18
    //   macro F1        = (4/7 + 4/7 + 2/3) / 3 = (24/21 + 14/21) / 3 = 38/63
    const TRUTH: [usize; 10] = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
    const PRED: [usize; 10] = [0, 0, 1, 2, 1, 1, 0, 2, 2, 1];

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn hand_computed_example() {
        let m = ConfusionMatrix::from_predictions(3, &TRUTH, &PRED).unwrap();
        assert_eq!(m.row(0), &[2, 1, 1]);
        assert_eq!(m.row(1), &[1, 2, 0]);
        assert_eq!(m.row(2), &[0, 1, 2]);
        assert_eq!((m.get(0, 2), m.get(2, 0)), (1, 0));
        assert_eq!((m.total(), m.correct()), (10, 6));
        let s = m.metrics();
        assert!(close(s.accuracy, 0.6));
        for (got, want) in s.precision.iter().zip([2.0 / 3.0, 0.5, 2.0 / 3.0]) {
            assert!(close(*got, want), "precision {:?}", s.precision);
        }
        for (got, want) in s.recall.iter().zip([0.5, 2.0 / 3.0, 2.0 / 3.0]) {
            assert!(close(*got, want), "recall {:?}", s.recall);
        }
        for (got, want) in s.f1.iter().zip([4.0 / 7.0, 4.0 / 7.0, 2.0 / 3.0]) {
            assert!(close(*got, want), "f1 {:?}", s.f1);
        }
        assert!(close(s.macro_precision, 11.0 / 18.0));
        assert!(close(s.macro_recall, 11.0 / 18.0));
        assert!(close(s.macro_f1, 38.0 / 63.0));
        assert_eq!(s.support, vec![4, 3, 3]);
    }

    #[test]
    fn never_predicted_class_has_zero_precision() {
        // truth 0 1 2 2, pred 0 1 1 1: class 2 is never predicted -> precision 0, recall 0,
        // F1 0. Class 1: precision 1/3, recall 1, F1 = 2 (1/3)(1) / (4/3) = 1/2.
        let m = ConfusionMatrix::from_predictions(3, &[0, 1, 2, 2], &[0, 1, 1, 1]).unwrap();
        assert_eq!(m.precision(2), 0.0);
        assert_eq!(m.recall(2), 0.0);
        assert_eq!(m.f1(2), 0.0);
        assert!(close(m.f1(1), 0.5));
        // A class with neither samples nor predictions counts as 0 in the macro averages.
        let m = ConfusionMatrix::from_predictions(4, &[0, 1], &[0, 1]).unwrap();
        assert!(close(m.metrics().macro_precision, 0.5));
    }

    #[test]
    fn merge_adds_counts() {
        let mut a = ConfusionMatrix::from_predictions(3, &TRUTH[..5], &PRED[..5]).unwrap();
        let b = ConfusionMatrix::from_predictions(3, &TRUTH[5..], &PRED[5..]).unwrap();
        a.merge(&b).unwrap();
        assert_eq!(
            a,
            ConfusionMatrix::from_predictions(3, &TRUTH, &PRED).unwrap()
        );
        assert!(a.merge(&ConfusionMatrix::new(2)).is_err());
    }

    #[test]
    fn out_of_range_and_length_errors() {
        let mut m = ConfusionMatrix::new(3);
        let err = m.add(3, 0).unwrap_err().to_string();
        assert!(err.contains("true 3") && err.contains("3 classes"), "{err}");
        assert!(ConfusionMatrix::from_predictions(3, &[0, 1], &[0]).is_err());
        assert_eq!(m.get(5, 5), 0);
        assert_eq!(m.accuracy(), 0.0);
    }

    #[test]
    fn argmax_of_rows() {
        let t = Tensor::from_vec(
            &[3, 3],
            vec![0.1, 0.7, 0.2, 5.0, 5.0, -1.0, f32::NAN, -3.0, -2.0],
        )
        .unwrap();
        assert_eq!(argmax(&t).unwrap(), vec![1, 0, 2]);
        assert!(argmax(&Tensor::zeros(&[2, 1, 3])).is_err());
    }

    #[test]
    fn metrics_serialize() {
        let m = ConfusionMatrix::from_predictions(3, &TRUTH, &PRED).unwrap();
        let json = serde_json::to_string(&m.metrics()).unwrap();
        assert!(json.contains("\"macro_f1\""), "{json}");
    }
}
