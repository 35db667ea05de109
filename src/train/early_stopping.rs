//! Early stopping on the validation loss, as Keras' `EarlyStopping(monitor="val_loss")`:
//! an epoch improves when its validation loss is strictly below the best so far; after
//! `patience` epochs in a row without improvement training stops (`patience` 0 stops at the
//! first epoch that does not improve). The trainer keeps the weights of the best epoch.

/// What [`EarlyStopping::record`] concluded about one epoch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Verdict {
    /// The epoch's validation loss is the best so far (its weights should be kept).
    pub improved: bool,
    /// Epochs in a row without improvement, this one included (0 when it improved).
    pub epochs_without_improvement: usize,
    /// Training should stop now.
    pub stop: bool,
}

/// The patience counter and the best validation loss seen.
#[derive(Clone, Debug, PartialEq)]
pub struct EarlyStopping {
    patience: usize,
    best: Option<(usize, f64)>,
    wait: usize,
}

impl EarlyStopping {
    /// A counter that stops after `patience` epochs without improvement.
    pub fn new(patience: usize) -> Self {
        EarlyStopping {
            patience,
            best: None,
            wait: 0,
        }
    }

    /// Records the validation loss of `epoch` (1-based) and says whether it improved and
    /// whether to stop. A non-finite loss never counts as an improvement.
    pub fn record(&mut self, epoch: usize, val_loss: f64) -> Verdict {
        let improved = val_loss.is_finite() && self.best.is_none_or(|(_, best)| val_loss < best);
        if improved {
            self.best = Some((epoch, val_loss));
            self.wait = 0;
        } else {
            self.wait += 1;
        }
        Verdict {
            improved,
            epochs_without_improvement: self.wait,
            stop: !improved && self.wait >= self.patience,
        }
    }

    /// The best epoch and its validation loss so far.
    pub fn best(&self) -> Option<(usize, f64)> {
        self.best
    }

    /// Epochs in a row without improvement so far.
    pub fn epochs_without_improvement(&self) -> usize {
        self.wait
    }

    /// The patience.
    pub fn patience(&self) -> usize {
        self.patience
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(patience: usize, losses: &[f64]) -> (Vec<bool>, Option<usize>, Option<(usize, f64)>) {
        let mut es = EarlyStopping::new(patience);
        let mut improved = Vec::new();
        for (i, &l) in losses.iter().enumerate() {
            let v = es.record(i + 1, l);
            improved.push(v.improved);
            if v.stop {
                return (improved, Some(i + 1), es.best());
            }
        }
        (improved, None, es.best())
    }

    #[test]
    fn stops_after_patience_epochs_without_improvement() {
        // Best at epoch 2; epochs 3 and 4 do not beat it: stop after epoch 4.
        let (improved, stop, best) = run(2, &[1.0, 0.8, 0.9, 0.8, 0.5]);
        assert_eq!(improved, vec![true, true, false, false]);
        assert_eq!(stop, Some(4));
        assert_eq!(best, Some((2, 0.8)));
    }

    #[test]
    fn an_improvement_resets_the_counter() {
        let (improved, stop, best) = run(2, &[1.0, 1.1, 0.9, 1.0, 0.95, 0.7]);
        assert_eq!(improved, vec![true, false, true, false, false]);
        assert_eq!(stop, Some(5));
        assert_eq!(best, Some((3, 0.9)));
    }

    #[test]
    fn patience_zero_stops_at_the_first_non_improving_epoch() {
        let (_, stop, best) = run(0, &[1.0, 0.9, 0.95]);
        assert_eq!(stop, Some(3));
        assert_eq!(best, Some((2, 0.9)));
    }

    #[test]
    fn steady_improvement_never_stops_and_nan_never_improves() {
        assert_eq!(run(1, &[3.0, 2.0, 1.0, 0.5]).1, None);
        let (improved, stop, best) = run(1, &[1.0, f64::NAN]);
        assert_eq!(improved, vec![true, false]);
        assert_eq!(stop, Some(2));
        assert_eq!(best, Some((1, 1.0)));
    }
}
