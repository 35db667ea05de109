//! Adam (Kingma & Ba 2015) with bias correction, as PyTorch's `torch.optim.Adam` without
//! weight decay or AMSGrad.
//!
//! For every parameter `p` with gradient `g`, at that parameter's `t`-th update (t = 1, 2, ...):
//!
//! ```text
//! m <- b1 * m + (1 - b1) * g            first moment (m starts at 0)
//! v <- b2 * v + (1 - b2) * g^2          second moment (v starts at 0)
//! m_hat = m / (1 - b1^t)                bias corrections
//! v_hat = v / (1 - b2^t)
//! p <- p - lr * m_hat / (sqrt(v_hat) + eps)
//! ```
//!
//! Defaults: `lr = 1e-3`, `b1 = 0.9`, `b2 = 0.999`, `eps = 1e-8`.
//!
//! The moments and `t` are kept per parameter, keyed by the `index` handed to
//! [`Optimizer::update`] and allocated the first time that index is seen; later steps allocate
//! nothing. `t` counts that parameter's own updates (as PyTorch does), which equals the number
//! of [`Optimizer::begin_step`] calls when every parameter is updated every step. The learning
//! rate can change between any two steps; moments and step counts are kept.
//!
//! Each update also records the update-to-weight ratio `||delta p||_2 / ||p||_2` (with `p` the
//! value before the update), computed in the same pass as the update, for the visualisations,
//! and the distribution of the update's effective step sizes `|lr * m_hat / (sqrt(v_hat) +
//! eps)|`, counted per power of two ([`StepSizes`]) as the exact change `new - old` of every
//! value: each chunk is updated in blocks of `BLOCK` values whose changes' bins are kept in a
//! buffer on the stack and counted while it is still in the L1 cache, so the arithmetic loop
//! stays vectorised, nothing is allocated per step and the large tensors are read once.

use rayon::prelude::*;

use crate::nn::layers::Param;
use crate::nn::optim::Optimizer;
use crate::nn::optim::sgd::update_ratio;
use crate::nn::optim::step_sizes::{STEP_BINS, StepSizes};
use crate::nn::simd::vectorized;

/// Settings of [`Adam`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamConfig {
    /// Learning rate (step size). Default `1e-3`.
    pub learning_rate: f32,
    /// Decay rate of the first-moment estimate. Default 0.9.
    pub beta1: f32,
    /// Decay rate of the second-moment estimate. Default 0.999.
    pub beta2: f32,
    /// Added to `sqrt(v_hat)` so the division stays finite. Default `1e-8`.
    pub eps: f32,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            learning_rate: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }
}

/// Per-parameter state of [`Adam`].
#[derive(Clone, Debug, Default)]
struct Slot {
    /// First moment `m`.
    m: Vec<f32>,
    /// Second moment `v`.
    v: Vec<f32>,
    /// Number of updates of this parameter so far.
    t: u64,
    /// `||delta p|| / ||p||` of the latest update, if there was one.
    ratio: Option<f32>,
    /// `|new - old|` of every value in the latest update.
    sizes: StepSizes,
}

/// Adam with bias correction. See the module documentation for the update rule.
#[derive(Clone, Debug)]
pub struct Adam {
    config: AdamConfig,
    slots: Vec<Slot>,
    steps: u64,
    /// The per-chunk results of a parallel update (kept, so steps allocate nothing).
    partials: Vec<(f64, f64, StepSizes)>,
}

impl Adam {
    /// A new optimizer with no state yet.
    pub fn new(config: AdamConfig) -> Self {
        Adam {
            config,
            slots: Vec::new(),
            steps: 0,
            partials: Vec::new(),
        }
    }

    /// The current settings (the learning rate included).
    pub fn config(&self) -> AdamConfig {
        self.config
    }

    /// Number of [`Optimizer::begin_step`] calls so far.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// The distribution of `|new - old|` over the values of parameter `index` in its latest
    /// update: Adam's effective step sizes `|lr * m_hat / (sqrt(v_hat) + eps)|` as applied;
    /// `None` before its first update.
    pub fn last_step_sizes(&self, index: usize) -> Option<&StepSizes> {
        self.slots
            .get(index)
            .filter(|s| s.ratio.is_some())
            .map(|s| &s.sizes)
    }

    /// Forgets all moments, step counts and statistics (the settings stay).
    pub fn reset_state(&mut self) {
        self.slots.clear();
        self.steps = 0;
    }
}

/// Moments smaller than this are treated as zero (far below any step they could cause: the
/// smallest normal `f32` is 1.2e-38).
const MOMENT_FLOOR: f32 = 1e-30;

/// Values per chunk of the update (a unit of work and of the partial sums).
const CHUNK: usize = 8192;
/// Parameters at least this large are updated on all threads.
const PARALLEL_MIN: usize = 4 * CHUNK;
/// Values per block inside a chunk: their changes are buffered on the stack and counted into
/// the step-size histogram before the next block (a multiple of the summing lanes).
const BLOCK: usize = 256;

/// One step's constants of the element-wise update.
#[derive(Clone, Copy)]
struct Kernel {
    beta1: f32,
    beta2: f32,
    eps: f32,
    step_size: f32,
    inv_sqrt_c2: f32,
}

impl Kernel {
    /// Updates one chunk in place, counting each value's change into `sizes`; returns (sum of
    /// delta^2, sum of p^2) for the update ratio.
    fn run(
        self,
        values: &mut [f32],
        grads: &[f32],
        m: &mut [f32],
        v: &mut [f32],
        sizes: &mut StepSizes,
    ) -> (f64, f64) {
        // Compiled for the CPU's best instruction set; the arithmetic (and so the result)
        // is the baseline's.
        vectorized(
            #[inline(always)]
            || {
                // Eight independent partial sums so the loop vectorises.
                const LANES: usize = 8;
                let (mut delta_sq, mut p_sq) = ([0.0f32; LANES], [0.0f32; LANES]);
                let mut bins = [0u8; BLOCK];
                // Four histograms taken in turn, so runs of equal bins do not wait on each
                // other.
                let mut counts = [[0u32; STEP_BINS]; 4];
                let blocks = values
                    .chunks_mut(BLOCK)
                    .zip(grads.chunks(BLOCK))
                    .zip(m.chunks_mut(BLOCK))
                    .zip(v.chunks_mut(BLOCK));
                for (((values, grads), m), v) in blocks {
                    let n = values.len();
                    let items = values.iter_mut().zip(grads).zip(m).zip(v).zip(&mut bins);
                    // BLOCK is a multiple of LANES, so value i still goes to lane i % LANES.
                    for (i, ((((p, &g), m), v), bin)) in items.enumerate() {
                        let m_next = self.beta1 * *m + (1.0 - self.beta1) * g;
                        let v_next = self.beta2 * *v + (1.0 - self.beta2) * g * g;
                        // Moments below MOMENT_FLOOR are flushed to zero: left alone, the
                        // moments of a parameter whose gradient stays zero decay into subnormal
                        // floats, which the CPU handles dozens of times slower (this loop once
                        // took 70% of a step).
                        *m = if m_next.abs() < MOMENT_FLOOR {
                            0.0
                        } else {
                            m_next
                        };
                        *v = if v_next < MOMENT_FLOOR { 0.0 } else { v_next };
                        let delta = -self.step_size * *m / (v.sqrt() * self.inv_sqrt_c2 + self.eps);
                        let lane = i % LANES;
                        p_sq[lane] += *p * *p;
                        delta_sq[lane] += delta * delta;
                        let next = *p + delta;
                        *bin = StepSizes::bin(next - *p) as u8;
                        *p = next;
                    }
                    for (i, &b) in bins[..n].iter().enumerate() {
                        counts[i % 4][usize::from(b)] += 1;
                    }
                }
                for c in &counts {
                    sizes.add_counts(c);
                }
                let sum = |a: [f32; LANES]| a.iter().map(|&x| f64::from(x)).sum::<f64>();
                (sum(delta_sq), sum(p_sq))
            },
        )
    }
}

impl Default for Adam {
    fn default() -> Self {
        Adam::new(AdamConfig::default())
    }
}

impl Optimizer for Adam {
    fn name(&self) -> &'static str {
        "adam"
    }

    fn learning_rate(&self) -> f32 {
        self.config.learning_rate
    }

    fn set_learning_rate(&mut self, lr: f32) {
        self.config.learning_rate = lr;
    }

    fn begin_step(&mut self) {
        self.steps += 1;
    }

    fn last_step_sizes(&self, index: usize) -> Option<&StepSizes> {
        Adam::last_step_sizes(self, index)
    }

    fn last_update_ratio(&self, index: usize) -> Option<f32> {
        self.slots.get(index).and_then(|s| s.ratio)
    }

    fn update(&mut self, index: usize, param: &mut Param) {
        if self.slots.len() <= index {
            self.slots.resize_with(index + 1, Slot::default);
        }
        update_slot(
            self.config,
            &mut self.slots[index],
            param,
            &mut self.partials,
        );
    }

    /// Small parameters are updated in parallel, one per task; large ones one after another,
    /// each on all threads. Every parameter's update is that of [`Optimizer::update`], bit
    /// for bit, whatever the thread count.
    fn update_all(&mut self, params: &mut [Param]) {
        if self.slots.len() < params.len() {
            self.slots.resize_with(params.len(), Slot::default);
        }
        let config = self.config;
        let slots = &mut self.slots[..params.len()];
        slots
            .par_iter_mut()
            .zip(params.par_iter_mut())
            .filter(|(_, p)| p.value.len() < PARALLEL_MIN)
            // The sequential path of a small parameter leaves the (empty) buffer untouched.
            .for_each(|(slot, p)| update_slot(config, slot, p, &mut Vec::new()));
        let large = slots
            .iter_mut()
            .zip(params.iter_mut())
            .filter(|(_, p)| p.value.len() >= PARALLEL_MIN);
        for (slot, p) in large {
            update_slot(config, slot, p, &mut self.partials);
        }
    }
}

/// One parameter's update (see the module documentation); `partials` is scratch for a
/// parallel update of a large parameter.
fn update_slot(
    config: AdamConfig,
    slot: &mut Slot,
    param: &mut Param,
    partials: &mut Vec<(f64, f64, StepSizes)>,
) {
    let AdamConfig {
        learning_rate: lr,
        beta1,
        beta2,
        eps,
    } = config;
    let values = param.value.data_mut();
    let grads = param.grad.data();
    if slot.m.len() != values.len() {
        // First update of this index (or a parameter of a new size under an old index).
        slot.m.clear();
        slot.m.resize(values.len(), 0.0);
        slot.v.clear();
        slot.v.resize(values.len(), 0.0);
        slot.t = 0;
    }
    slot.t += 1;
    // 1 - b^t in f64 so that b2^t stays accurate for many steps.
    let t = i32::try_from(slot.t).unwrap_or(i32::MAX);
    let c1 = (1.0 - f64::from(beta1).powi(t)) as f32;
    let c2 = (1.0 - f64::from(beta2).powi(t)) as f32;
    // PyTorch's arrangement: p -= (lr / c1) * m / (sqrt(v) / sqrt(c2) + eps).
    let k = Kernel {
        beta1,
        beta2,
        eps,
        step_size: lr / c1,
        inv_sqrt_c2: 1.0 / c2.sqrt(),
    };
    // Fixed-size chunks, so the sums (and the result) do not depend on the thread count;
    // large parameters are updated on all threads.
    slot.sizes.clear();
    let (delta_sq, p_sq) = if values.len() >= PARALLEL_MIN {
        values
            .par_chunks_mut(CHUNK)
            .zip(grads.par_chunks(CHUNK))
            .zip(slot.m.par_chunks_mut(CHUNK))
            .zip(slot.v.par_chunks_mut(CHUNK))
            .map(|(((p, g), m), v)| {
                let mut sizes = StepSizes::default();
                let (d, n) = k.run(p, g, m, v, &mut sizes);
                (d, n, sizes)
            })
            .collect_into_vec(partials);
        let mut sums = (0.0, 0.0);
        for (d, n, sizes) in partials.iter() {
            sums = (sums.0 + d, sums.1 + n);
            slot.sizes.merge(sizes);
        }
        sums
    } else {
        let mut sums = (0.0, 0.0);
        let chunks = values
            .chunks_mut(CHUNK)
            .zip(grads.chunks(CHUNK))
            .zip(slot.m.chunks_mut(CHUNK))
            .zip(slot.v.chunks_mut(CHUNK));
        for (((p, g), m), v) in chunks {
            let (d, n) = k.run(p, g, m, v, &mut slot.sizes);
            sums = (sums.0 + d, sums.1 + n);
        }
        sums
    };
    slot.ratio = Some(update_ratio(delta_sq, p_sq));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::tensor::Tensor;

    #[test]
    fn first_step_moves_by_lr_times_sign() {
        // At t = 1, m_hat = g and v_hat = g^2, so the step is lr * g / (|g| + eps) ~ lr * sign(g).
        let mut opt = Adam::new(AdamConfig {
            learning_rate: 0.1,
            ..AdamConfig::default()
        });
        let mut p = Param::new("weight", Tensor::from_vec(&[2], vec![1.0, 1.0]).unwrap());
        p.grad.data_mut().copy_from_slice(&[3.0, -0.5]);
        opt.begin_step();
        opt.update(0, &mut p);
        assert!((p.value.data()[0] - 0.9).abs() < 1e-6);
        assert!((p.value.data()[1] - 1.1).abs() < 1e-6);
        // ||delta|| = 0.1 * sqrt(2), ||p|| = sqrt(2): ratio 0.1.
        assert!((opt.last_update_ratio(0).unwrap() - 0.1).abs() < 1e-6);
        assert_eq!(opt.steps(), 1);
    }

    #[test]
    fn step_sizes_count_every_values_change() {
        // Large enough for the parallel path, with a partial last chunk and block.
        let n = PARALLEL_MIN + 2 * CHUNK + 77;
        let mut opt = Adam::default();
        let values: Vec<f32> = (0..n)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.01)
            .collect();
        let mut p = Param::new("weight", Tensor::from_vec(&[n], values).unwrap());
        for step in 0..3 {
            for (i, g) in p.grad.data_mut().iter_mut().enumerate() {
                *g = ((i * 13 + step * 7) % 29) as f32 * 1e-3 - 0.01;
            }
            let before = p.value.data().to_vec();
            opt.begin_step();
            opt.update(0, &mut p);
            let mut want = StepSizes::default();
            for (a, b) in p.value.data().iter().zip(&before) {
                want.add(a - b);
            }
            assert_eq!(opt.last_step_sizes(0), Some(&want), "step {step}");
            assert_eq!(want.total(), n as u64);
        }
        assert!(opt.last_step_sizes(1).is_none());
    }

    #[test]
    fn moments_never_become_subnormal() {
        let mut opt = Adam::default();
        let mut p = Param::new(
            "weight",
            Tensor::from_vec(&[3], vec![1.0, -1.0, 0.5]).unwrap(),
        );
        p.grad.data_mut().copy_from_slice(&[1e-3, -2e-3, 1e-20]);
        for _ in 0..2000 {
            opt.begin_step();
            opt.update(0, &mut p);
            p.grad.fill(0.0);
        }
        let slot = &opt.slots[0];
        for &x in slot.m.iter().chain(&slot.v) {
            assert!(x == 0.0 || x.is_normal(), "moment {x:e} is subnormal");
        }
        assert!(
            slot.m.iter().all(|&m| m == 0.0),
            "0.9^2000 of the first gradient is flushed"
        );
    }
}
