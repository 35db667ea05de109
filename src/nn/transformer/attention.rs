//! Multi-head causal self-attention over one sequence, forward and backward, and the
//! [`HeadMask`] that switches heads off.
//!
//! Shapes (one sequence): `qkv` is `T x 3D` (row `i` = `q_i | k_i | v_i`, head `h` owning
//! dims `h*dh..(h+1)*dh` of each), `weights` is `H x T x T`, `out` is `T x D`.
//!
//! ```text
//! s_ij = q_i . k_j / sqrt(dh)            for j <= i (keys after the query are masked)
//! w_ij = exp(s_ij) / sum_{j'<=i} exp(s_ij')        (w_ij = 0 for j > i)
//! out_i = sum_j w_ij v_j                 (zero for a head switched off)
//! backward, given dout_i:
//!   dw_ij = dout_i . v_j                 dv_j += w_ij dout_i
//!   ds_ij = w_ij (dw_ij - sum_j' w_ij' dw_ij')
//!   dq_i += ds_ij k_j / sqrt(dh)         dk_j += ds_ij q_i / sqrt(dh)
//! ```
//!
//! With `T` of a few dozen the loops over `(head, query, key)` are plain loops over `dh`
//! values; the projections around them are batched GEMMs elsewhere.

use super::config::TransformerConfig;
use super::gelu::exp;

/// Which attention heads are on, per block: `layers x heads` flags, `true` = on. A head
/// switched off has its output (`weights @ v`, before the output projection) zeroed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "RawHeadMask")]
pub struct HeadMask {
    layers: usize,
    heads: usize,
    on: Vec<bool>,
}

/// A head mask as it is read, before its size is checked.
#[derive(serde::Deserialize)]
struct RawHeadMask {
    layers: usize,
    heads: usize,
    on: Vec<bool>,
}

impl TryFrom<RawHeadMask> for HeadMask {
    type Error = String;

    /// Refuses flags that are not `layers x heads`.
    fn try_from(raw: RawHeadMask) -> Result<Self, String> {
        if raw.layers.checked_mul(raw.heads) != Some(raw.on.len()) {
            return Err(format!(
                "a head mask of {} x {} heads with {} flags",
                raw.layers,
                raw.heads,
                raw.on.len()
            ));
        }
        Ok(HeadMask {
            layers: raw.layers,
            heads: raw.heads,
            on: raw.on,
        })
    }
}

impl HeadMask {
    /// Every head of `config` on.
    pub fn all_on(config: &TransformerConfig) -> Self {
        HeadMask {
            layers: config.layers,
            heads: config.heads,
            on: vec![true; config.layers * config.heads],
        }
    }

    /// Blocks the mask covers.
    pub fn layers(&self) -> usize {
        self.layers
    }

    /// Heads per block the mask covers.
    pub fn heads(&self) -> usize {
        self.heads
    }

    /// Whether head `head` of block `layer` is on; `false` outside the mask.
    pub fn is_on(&self, layer: usize, head: usize) -> bool {
        layer < self.layers && head < self.heads && self.on[layer * self.heads + head]
    }

    /// Switches head `head` of block `layer` on or off; does nothing outside the mask.
    pub fn set(&mut self, layer: usize, head: usize, on: bool) {
        if layer < self.layers && head < self.heads {
            self.on[layer * self.heads + head] = on;
        }
    }

    /// Number of heads switched off.
    pub fn off_count(&self) -> usize {
        self.on.iter().filter(|&&on| !on).count()
    }

    /// Whether every head is on.
    pub fn all_are_on(&self) -> bool {
        self.off_count() == 0
    }

    /// The flags of block `layer` (`heads` values).
    pub(crate) fn layer(&self, layer: usize) -> &[bool] {
        &self.on[layer * self.heads..(layer + 1) * self.heads]
    }
}

/// Sizes of one attention call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AttnDims {
    /// Positions `T`.
    pub t: usize,
    /// Width `D`.
    pub d: usize,
    /// Heads `H`.
    pub heads: usize,
}

impl AttnDims {
    fn dh(self) -> usize {
        self.d / self.heads
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Four partial sums so the loop vectorises without reassociation.
    let mut acc = [0.0f32; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// Forward over one sequence: writes `weights` (`H x T x T`, exact zeros above the diagonal)
/// and `out` (`T x D`). `heads_on`, if given, has one flag per head; a head that is off gets
/// its weights computed but its output zeroed.
pub(crate) fn attention_forward(
    qkv: &[f32],
    weights: &mut [f32],
    out: &mut [f32],
    dims: AttnDims,
    heads_on: Option<&[bool]>,
) {
    let AttnDims { t, d, heads } = dims;
    let dh = dims.dh();
    let scale = 1.0 / (dh as f32).sqrt();
    for h in 0..heads {
        let on = heads_on.is_none_or(|m| m[h]);
        let w_head = &mut weights[h * t * t..(h + 1) * t * t];
        for i in 0..t {
            let q = &qkv[i * 3 * d + h * dh..][..dh];
            let row = &mut w_head[i * t..(i + 1) * t];
            let mut max = f32::NEG_INFINITY;
            for (j, s) in row[..=i].iter_mut().enumerate() {
                let k = &qkv[j * 3 * d + d + h * dh..][..dh];
                *s = dot(q, k) * scale;
                max = max.max(*s);
            }
            let mut sum = 0.0;
            for s in row[..=i].iter_mut() {
                *s = exp(*s - max);
                sum += *s;
            }
            let inv = 1.0 / sum;
            for s in row[..=i].iter_mut() {
                *s *= inv;
            }
            row[i + 1..].fill(0.0);
            let o = &mut out[i * d + h * dh..][..dh];
            o.fill(0.0);
            if on {
                for (j, &w) in row[..=i].iter().enumerate() {
                    axpy(o, w, &qkv[j * 3 * d + 2 * d + h * dh..][..dh]);
                }
            }
        }
    }
}

/// Backward over one sequence (every head on): from `dout` (`T x D`) writes `dqkv` (`T x 3D`,
/// overwritten). `dw` is scratch of at least `T` values.
pub(crate) fn attention_backward(
    qkv: &[f32],
    weights: &[f32],
    dout: &[f32],
    dqkv: &mut [f32],
    dw: &mut [f32],
    dims: AttnDims,
) {
    let AttnDims { t, d, heads } = dims;
    let dh = dims.dh();
    let scale = 1.0 / (dh as f32).sqrt();
    dqkv[..t * 3 * d].fill(0.0);
    for h in 0..heads {
        let w_head = &weights[h * t * t..(h + 1) * t * t];
        for i in 0..t {
            let row = &w_head[i * t..i * t + i + 1];
            let g = &dout[i * d + h * dh..][..dh];
            let dw = &mut dw[..=i];
            let mut s = 0.0;
            for (j, (dw, &w)) in dw.iter_mut().zip(row).enumerate() {
                *dw = dot(g, &qkv[j * 3 * d + 2 * d + h * dh..][..dh]);
                s += w * *dw;
                axpy(&mut dqkv[j * 3 * d + 2 * d + h * dh..][..dh], w, g);
            }
            let q_at = i * 3 * d + h * dh;
            for (j, (&dw, &w)) in dw.iter().zip(row).enumerate() {
                let ds = w * (dw - s) * scale;
                let k_at = j * 3 * d + d + h * dh;
                axpy(&mut dqkv[q_at..q_at + dh], ds, &qkv[k_at..k_at + dh]);
                axpy(&mut dqkv[k_at..k_at + dh], ds, &qkv[q_at..q_at + dh]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dims() -> AttnDims {
        AttnDims {
            t: 5,
            d: 6,
            heads: 2,
        }
    }

    fn loss(qkv: &[f32], c: &[f32]) -> f64 {
        let dims = dims();
        let mut w = vec![0.0; dims.heads * dims.t * dims.t];
        let mut out = vec![0.0; dims.t * dims.d];
        attention_forward(qkv, &mut w, &mut out, dims, None);
        out.iter().zip(c).map(|(&o, &c)| f64::from(o * c)).sum()
    }

    #[test]
    fn gradients_match_finite_differences() {
        // Central differences with step 1e-2 (f32 forward, values of order 1): tolerance 1e-3
        // absolute + 1e-2 relative.
        let dims = dims();
        let n = dims.t * 3 * dims.d;
        let qkv: Vec<f32> = (0..n).map(|i| (i as f32 * 0.77).sin() * 1.3).collect();
        let c: Vec<f32> = (0..dims.t * dims.d)
            .map(|i| (i as f32 * 0.41).cos())
            .collect();
        let mut w = vec![0.0; dims.heads * dims.t * dims.t];
        let mut out = vec![0.0; dims.t * dims.d];
        attention_forward(&qkv, &mut w, &mut out, dims, None);
        let mut dqkv = vec![0.0; n];
        let mut scratch = vec![0.0; dims.t];
        attention_backward(&qkv, &w, &c, &mut dqkv, &mut scratch, dims);
        let h = 1e-2f32;
        for i in 0..n {
            let (mut p, mut m) = (qkv.clone(), qkv.clone());
            p[i] += h;
            m[i] -= h;
            let fd = (loss(&p, &c) - loss(&m, &c)) / (2.0 * f64::from(h));
            let tol = 1e-3 + 1e-2 * fd.abs();
            assert!(
                (f64::from(dqkv[i]) - fd).abs() < tol,
                "dqkv[{i}] {} vs {fd}",
                dqkv[i]
            );
        }
    }

    #[test]
    fn rows_sum_to_one_masked_entries_are_zero_and_heads_switch_off() {
        let dims = dims();
        let qkv: Vec<f32> = (0..dims.t * 3 * dims.d).map(|i| (i as f32).sin()).collect();
        let mut w = vec![7.0; dims.heads * dims.t * dims.t];
        let mut out = vec![7.0; dims.t * dims.d];
        attention_forward(&qkv, &mut w, &mut out, dims, None);
        let mut off_w = w.clone();
        let mut off_out = out.clone();
        attention_forward(&qkv, &mut off_w, &mut off_out, dims, Some(&[true, false]));
        for h in 0..dims.heads {
            for i in 0..dims.t {
                let row = &w[(h * dims.t + i) * dims.t..][..dims.t];
                assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
                assert!(row[i + 1..].iter().all(|&x| x == 0.0));
            }
        }
        assert_eq!(w, off_w);
        for i in 0..dims.t {
            assert_eq!(off_out[i * 6..i * 6 + 3], out[i * 6..i * 6 + 3]);
            assert!(off_out[i * 6 + 3..i * 6 + 6].iter().all(|&x| x == 0.0));
        }
    }

    #[test]
    fn head_mask_flags() {
        let config = TransformerConfig::workload_t();
        let mut m = HeadMask::all_on(&config);
        assert_eq!(m.off_count(), 0);
        m.set(1, 3, false);
        m.set(9, 9, false);
        assert!(!m.is_on(1, 3) && m.is_on(1, 2) && !m.is_on(9, 0));
        assert_eq!(m.off_count(), 1);
        assert_eq!(m.layer(1), &[true, true, true, false]);
    }
}
