//! [`StepSizes`]: how far one optimizer update moved each value of a parameter, as counts per
//! power of two of `|new - old|` (the float's binary exponent, so binning costs a shift and
//! no logarithm).

/// Bins: one per biased `f32` exponent.
pub const STEP_BINS: usize = 256;

/// Counts of `|delta|` per power of two over one update of one parameter: bin `e` (1..=254)
/// holds `2^(e-127) <= |delta| < 2^(e-126)`; bin 0 holds exact zeros (and subnormals), bin
/// 255 infinities and NaN.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StepSizes {
    #[serde(with = "bins")]
    counts: [u32; STEP_BINS],
}

/// The counts as a sequence (serde writes arrays of at most 32 elements on its own); one of
/// another length is refused on reading.
mod bins {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    use super::STEP_BINS;

    pub fn serialize<S: Serializer>(counts: &[u32; STEP_BINS], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(counts)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u32; STEP_BINS], D::Error> {
        let counts = Vec::<u32>::deserialize(d)?;
        let n = counts.len();
        counts
            .try_into()
            .map_err(|_| D::Error::custom(format!("{n} step-size bins, not {STEP_BINS}")))
    }
}

impl Default for StepSizes {
    fn default() -> Self {
        StepSizes {
            counts: [0; STEP_BINS],
        }
    }
}

impl StepSizes {
    /// The bin of `delta`.
    #[inline]
    pub fn bin(delta: f32) -> usize {
        ((delta.to_bits() >> 23) & 0xff) as usize
    }

    /// The lower edge of bin `bin` (0 for bin 0).
    pub fn lower_edge(bin: usize) -> f32 {
        if bin == 0 {
            0.0
        } else {
            f32::from_bits(((bin.min(254) as u32) & 0xff) << 23)
        }
    }

    /// Counts one change.
    #[inline]
    pub fn add(&mut self, delta: f32) {
        self.counts[Self::bin(delta)] += 1;
    }

    /// Adds `counts` (one per bin) to these.
    pub fn add_counts(&mut self, counts: &[u32; STEP_BINS]) {
        for (a, b) in self.counts.iter_mut().zip(counts) {
            *a += b;
        }
    }

    /// Adds `other`'s counts to these.
    pub fn merge(&mut self, other: &StepSizes) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
    }

    /// Forgets every count.
    pub fn clear(&mut self) {
        self.counts = [0; STEP_BINS];
    }

    /// The count of every bin.
    pub fn counts(&self) -> &[u32; STEP_BINS] {
        &self.counts
    }

    /// Values counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|&c| u64::from(c)).sum()
    }

    /// Values that did not move.
    pub fn zeros(&self) -> u32 {
        self.counts[0]
    }

    /// The non-empty bins of moving values as (lower edge, count), smallest first.
    pub fn bins(&self) -> impl Iterator<Item = (f32, u32)> + '_ {
        self.counts
            .iter()
            .enumerate()
            .skip(1)
            .filter(|(_, c)| **c > 0)
            .map(|(b, &c)| (Self::lower_edge(b), c))
    }

    /// The lower edge of the bin holding the `q`-quantile (`0..=1`) of all counted values;
    /// `None` when nothing was counted.
    pub fn quantile(&self, q: f64) -> Option<f32> {
        let total = self.total();
        if total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0u64;
        for (b, &c) in self.counts.iter().enumerate() {
            seen += u64::from(c);
            if seen >= rank {
                return Some(Self::lower_edge(b));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_powers_of_two() {
        let mut s = StepSizes::default();
        for d in [0.0, 1e-3, -1e-3, 1.5e-3, 2.1e-3, 1.0] {
            s.add(d);
        }
        let bins: Vec<(f32, u32)> = s.bins().collect();
        // 1e-3 and 1.5e-3 lie in [2^-10, 2^-9); 2.1e-3 in [2^-9, 2^-8).
        assert_eq!(
            bins,
            vec![(2f32.powi(-10), 3), (2f32.powi(-9), 1), (1.0, 1)]
        );
        assert_eq!((s.total(), s.zeros()), (6, 1));
        assert_eq!(s.quantile(0.5), Some(2f32.powi(-10)));
        assert_eq!(s.quantile(1.0), Some(1.0));
        assert_eq!(s.quantile(0.0), Some(0.0));
    }
}
