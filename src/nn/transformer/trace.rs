//! [`Trace`]: everything inside the model for one sequence, for the visualisations.

use super::attention::HeadMask;
use super::gelu::exp;
use super::model::{Transformer, check_tokens};
use super::shard::{Workspace, forward};
use crate::nn::error::{NnError, Result};

/// Everything inside the model for one sequence of `T` tokens (`D` width, `H` heads, `V`
/// vocabulary; matrices row-major).
#[derive(Clone, Debug)]
pub struct Trace {
    /// The tokens.
    pub tokens: Vec<u32>,
    /// `T x D`: `tok_emb + pos_emb`, the residual stream entering block 0.
    pub embed: Vec<f32>,
    /// One per block.
    pub layers: Vec<LayerTrace>,
    /// `T x V`: the logits.
    pub logits: Vec<f32>,
    /// `T x V`: the softmax of each row of the logits.
    pub probs: Vec<f32>,
}

/// One block's insides.
#[derive(Clone, Debug)]
pub struct LayerTrace {
    /// `T x D`: queries (after the qkv linear, bias included); head `h` owns dims
    /// `h*dh..(h+1)*dh`.
    pub q: Vec<f32>,
    /// `T x D`: keys.
    pub k: Vec<f32>,
    /// `T x D`: values.
    pub v: Vec<f32>,
    /// `H x T x T`: `q_i . k_j / sqrt(dh)` for every `i, j` (before the causal mask).
    pub scores: Vec<f32>,
    /// `H x T x T`: softmax over `j <= i`; entries with `j > i` are exactly 0.
    pub weights: Vec<f32>,
    /// `T x D`: each head's `weights @ v` (zero for a head switched off).
    pub head_out: Vec<f32>,
    /// `T x D`: the residual stream after this block.
    pub resid: Vec<f32>,
}

impl Transformer {
    /// Runs one sequence (1 to `context` tokens, each below the vocabulary) with the heads
    /// `heads` switches off and returns everything inside.
    pub fn trace(&self, tokens: &[u32], heads: &HeadMask) -> Result<Trace> {
        let cfg = *self.config();
        let t = tokens.len();
        if t == 0 || t > cfg.context {
            return Err(NnError::shape(
                "transformer trace",
                format!("{t} tokens, the model takes 1 to {}", cfg.context),
            ));
        }
        check_tokens(tokens, cfg.vocab, "token")?;
        self.check_mask(heads)?;
        let params = self.params();
        let mut ws = Workspace::default();
        ws.prepare(&cfg, params, 1, t, false);
        forward(&mut ws, params, &cfg, tokens, t, Some(heads));
        let (d, dh, h) = (cfg.width, cfg.head_dim(), cfg.heads);
        let scale = 1.0 / (dh as f32).sqrt();
        let layers = (0..cfg.layers)
            .map(|l| {
                let qkv = &ws.qkv[l];
                let part = |k: usize| -> Vec<f32> {
                    qkv.chunks_exact(3 * d)
                        .flat_map(|row| row[k * d..(k + 1) * d].iter().copied())
                        .collect()
                };
                let (q, k, v) = (part(0), part(1), part(2));
                let mut scores = vec![0.0; h * t * t];
                for head in 0..h {
                    for i in 0..t {
                        for j in 0..t {
                            let qi = &q[i * d + head * dh..][..dh];
                            let kj = &k[j * d + head * dh..][..dh];
                            let s: f32 = qi.iter().zip(kj).map(|(a, b)| a * b).sum();
                            scores[(head * t + i) * t + j] = s * scale;
                        }
                    }
                }
                LayerTrace {
                    q,
                    k,
                    v,
                    scores,
                    weights: ws.att_w[l].clone(),
                    head_out: ws.att_out[l].clone(),
                    resid: ws.resid[l + 1].clone(),
                }
            })
            .collect();
        let logits = ws.logits.clone();
        let mut probs = logits.clone();
        for row in probs.chunks_exact_mut(cfg.vocab) {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let mut sum = 0.0;
            for p in row.iter_mut() {
                *p = exp(*p - max);
                sum += *p;
            }
            for p in row.iter_mut() {
                *p /= sum;
            }
        }
        Ok(Trace {
            tokens: tokens.to_vec(),
            embed: ws.resid[0].clone(),
            layers,
            logits,
            probs,
        })
    }
}
