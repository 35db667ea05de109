//! One thread's share of a batch: the forward pass that keeps every activation the backward
//! pass needs, the loss, and the backward pass that writes this shard's parameter gradients.
//!
//! Rows are `R = n * T` (`n` sequences of `T` positions, sequence after sequence); every
//! linear layer is one GEMM over all `R` rows. Buffers (shape legend: R rows, D width,
//! M = 4D MLP width, H heads, V vocabulary) live in a [`Workspace`] that is sized on the
//! first step and reused after, so a step allocates nothing.
//!
//! Gradient buffers are per shard and *overwritten* by each step (every parameter's gradient
//! is written by exactly one GEMM, column sum or zeroed scatter), so nothing needs zeroing;
//! the model adds the shards' buffers into its `Param::grad` afterwards.

use super::attention::{AttnDims, HeadMask, attention_backward, attention_forward};
use super::config::TransformerConfig;
use super::embedding::{embed_backward, embed_forward};
use super::gelu::{exp, gelu_backward, gelu_forward};
use super::layer_norm::{layer_norm_backward, layer_norm_forward};
use super::params::{POS_EMB, TOK_EMB, block, off, tail};
use super::profile::{StepPart, Stopwatch};
use crate::nn::gemm::{MatMut, MatRef, matmul};
use crate::nn::layers::Param;

/// Sums of one shard's loss and accuracies.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ShardStats {
    /// Sum of the cross-entropy over scored positions (not yet divided).
    pub loss_sum: f64,
    pub correct: usize,
    pub scored: usize,
    pub exact: usize,
    pub sequences: usize,
}

/// Every buffer of one shard's forward and backward pass.
#[derive(Clone, Debug, Default)]
pub(crate) struct Workspace {
    /// L+1 of R x D: the residual stream entering each block, then after the last.
    pub resid: Vec<Vec<f32>>,
    /// L of R x D: the residual stream after each block's attention.
    pub mid: Vec<Vec<f32>>,
    /// L of R x D: LN1 and LN2 outputs; L of R: their means and 1/std.
    pub xn1: Vec<Vec<f32>>,
    pub xn2: Vec<Vec<f32>>,
    pub ln1_stats: Vec<(Vec<f32>, Vec<f32>)>,
    pub ln2_stats: Vec<(Vec<f32>, Vec<f32>)>,
    /// L of R x 3D: q | k | v per row (bias included).
    pub qkv: Vec<Vec<f32>>,
    /// L of n x H x T x T: attention weights.
    pub att_w: Vec<Vec<f32>>,
    /// L of R x D: heads' outputs concatenated (before the output projection).
    pub att_out: Vec<Vec<f32>>,
    /// L of R x M: GELU outputs and derivatives.
    pub act: Vec<Vec<f32>>,
    pub act_d: Vec<Vec<f32>>,
    /// R x D: final LayerNorm output; R: its means and 1/std.
    pub xf: Vec<f32>,
    pub lnf_stats: (Vec<f32>, Vec<f32>),
    /// R x V: logits; after [`loss`] with gradients, dL/dlogits.
    pub logits: Vec<f32>,
    dres: Vec<f32>,
    dxn: Vec<f32>,
    dhid: Vec<f32>,
    dqkv: Vec<f32>,
    datt: Vec<f32>,
    dw_scratch: Vec<f32>,
    /// One buffer per parameter: this shard's gradient.
    pub grads: Vec<Vec<f32>>,
    /// The latest [`loss`] result.
    pub stats: ShardStats,
    /// Time per part of the step, when profiling.
    pub watch: Stopwatch,
}

fn fit(v: &mut Vec<f32>, n: usize) {
    v.resize(n, 0.0);
}

fn fit_all(vs: &mut Vec<Vec<f32>>, count: usize, n: usize) {
    vs.resize_with(count, Vec::new);
    for v in vs {
        fit(v, n);
    }
}

impl Workspace {
    /// Sizes every buffer for `n` sequences of `len` positions (no allocation when the sizes
    /// are those of the previous call); gradient buffers only when `grads` is true.
    pub fn prepare(
        &mut self,
        cfg: &TransformerConfig,
        params: &[Param],
        n: usize,
        len: usize,
        grads: bool,
    ) {
        let (l, d, m, h, v) = (cfg.layers, cfg.width, cfg.mlp_width(), cfg.heads, cfg.vocab);
        let r = n * len;
        fit_all(&mut self.resid, l + 1, r * d);
        fit_all(&mut self.mid, l, r * d);
        fit_all(&mut self.xn1, l, r * d);
        fit_all(&mut self.xn2, l, r * d);
        for stats in [&mut self.ln1_stats, &mut self.ln2_stats] {
            stats.resize_with(l, Default::default);
            for (mean, rstd) in stats {
                fit(mean, r);
                fit(rstd, r);
            }
        }
        fit_all(&mut self.qkv, l, r * 3 * d);
        fit_all(&mut self.att_w, l, n * h * len * len);
        fit_all(&mut self.att_out, l, r * d);
        fit_all(&mut self.act, l, r * m);
        fit_all(&mut self.act_d, l, r * m);
        fit(&mut self.xf, r * d);
        fit(&mut self.lnf_stats.0, r);
        fit(&mut self.lnf_stats.1, r);
        fit(&mut self.logits, r * v);
        if grads {
            fit(&mut self.dres, r * d);
            fit(&mut self.dxn, r * d);
            fit(&mut self.dhid, r * m);
            fit(&mut self.dqkv, r * 3 * d);
            fit(&mut self.datt, r * d);
            fit(&mut self.dw_scratch, len);
            self.grads.resize_with(params.len(), Vec::new);
            for (g, p) in self.grads.iter_mut().zip(params) {
                fit(g, p.value.len());
            }
        }
    }
}

/// `y = x W^T + b` over `rows` rows (`W` is `[out, in]`).
fn linear(y: &mut [f32], x: &[f32], w: &[f32], b: &[f32], rows: usize, inp: usize) {
    let out = b.len();
    for row in y.chunks_exact_mut(out) {
        row.copy_from_slice(b);
    }
    matmul(
        MatMut::row_major(y, rows, out),
        MatRef::row_major(x, rows, inp),
        MatRef::row_major(w, out, inp).t(),
        true,
    );
}

/// `y = resid + x W^T + b` over `rows` rows.
#[allow(clippy::too_many_arguments)]
fn residual_linear(
    y: &mut [f32],
    resid: &[f32],
    x: &[f32],
    w: &[f32],
    b: &[f32],
    rows: usize,
    inp: usize,
) {
    let out = b.len();
    for (y, r) in y.chunks_exact_mut(out).zip(resid.chunks_exact(out)) {
        for ((y, &r), &b) in y.iter_mut().zip(r).zip(b) {
            *y = r + b;
        }
    }
    matmul(
        MatMut::row_major(y, rows, out),
        MatRef::row_major(x, rows, inp),
        MatRef::row_major(w, out, inp).t(),
        true,
    );
}

/// Backward of `y = x W^T + b` given `dy`: writes `dw = dy^T x`, `db = column sums of dy` and,
/// if asked, `dx = dy W` (overwritten).
#[allow(clippy::too_many_arguments)]
fn linear_backward(
    dy: &[f32],
    x: &[f32],
    w: &[f32],
    dw: &mut [f32],
    db: &mut [f32],
    dx: Option<&mut [f32]>,
    rows: usize,
    inp: usize,
) {
    let out = db.len();
    matmul(
        MatMut::row_major(dw, out, inp),
        MatRef::row_major(dy, rows, out).t(),
        MatRef::row_major(x, rows, inp),
        false,
    );
    db.fill(0.0);
    for row in dy.chunks_exact(out) {
        for (s, &g) in db.iter_mut().zip(row) {
            *s += g;
        }
    }
    if let Some(dx) = dx {
        matmul(
            MatMut::row_major(dx, rows, inp),
            MatRef::row_major(dy, rows, out),
            MatRef::row_major(w, out, inp),
            false,
        );
    }
}

/// The gradient buffers of parameters `i` and `i + 1` (a weight and its bias).
fn pair(grads: &mut [Vec<f32>], i: usize) -> (&mut [f32], &mut [f32]) {
    let (a, b) = grads.split_at_mut(i + 1);
    (&mut a[i], &mut b[0])
}

/// The forward pass of `tokens` (`n * len` tokens, each below the vocabulary) up to the
/// logits; `mask` switches heads off. The workspace must be prepared for `n` and `len`.
pub(crate) fn forward(
    ws: &mut Workspace,
    params: &[Param],
    cfg: &TransformerConfig,
    tokens: &[u32],
    len: usize,
    mask: Option<&HeadMask>,
) {
    let (d, m) = (cfg.width, cfg.mlp_width());
    let r = tokens.len();
    let n = r / len;
    let p = |i: usize| params[i].value.data();
    let dims = AttnDims {
        t: len,
        d,
        heads: cfg.heads,
    };
    ws.watch.start();
    embed_forward(tokens, len, p(TOK_EMB), p(POS_EMB), &mut ws.resid[0], d);
    ws.watch.lap(StepPart::Embedding);
    for l in 0..cfg.layers {
        let b = block(l);
        let (before, after) = ws.resid.split_at_mut(l + 1);
        let x = &before[l];
        let (mean, rstd) = &mut ws.ln1_stats[l];
        let xn1 = &mut ws.xn1[l];
        layer_norm_forward(x, p(b + off::LN1_W), p(b + off::LN1_B), xn1, mean, rstd);
        ws.watch.lap(StepPart::LayerNorm);
        let qkv = &mut ws.qkv[l];
        linear(qkv, xn1, p(b + off::QKV_W), p(b + off::QKV_B), r, d);
        ws.watch.lap(StepPart::Qkv);
        let (att_w, att_out) = (&mut ws.att_w[l], &mut ws.att_out[l]);
        let heads_on = mask.map(|mask| mask.layer(l));
        let seq_w = cfg.heads * len * len;
        for s in 0..n {
            attention_forward(
                &qkv[s * len * 3 * d..(s + 1) * len * 3 * d],
                &mut att_w[s * seq_w..(s + 1) * seq_w],
                &mut att_out[s * len * d..(s + 1) * len * d],
                dims,
                heads_on,
            );
        }
        ws.watch.lap(StepPart::Attention);
        let mid = &mut ws.mid[l];
        residual_linear(
            mid,
            x,
            att_out,
            p(b + off::PROJ_W),
            p(b + off::PROJ_B),
            r,
            d,
        );
        ws.watch.lap(StepPart::AttnProj);
        let (mean, rstd) = &mut ws.ln2_stats[l];
        let xn2 = &mut ws.xn2[l];
        layer_norm_forward(mid, p(b + off::LN2_W), p(b + off::LN2_B), xn2, mean, rstd);
        ws.watch.lap(StepPart::LayerNorm);
        let (act, act_d) = (&mut ws.act[l], &mut ws.act_d[l]);
        matmul(
            MatMut::row_major(act, r, m),
            MatRef::row_major(xn2, r, d),
            MatRef::row_major(p(b + off::FC_W), m, d).t(),
            false,
        );
        gelu_forward(act, p(b + off::FC_B), act_d);
        ws.watch.lap(StepPart::MlpFc);
        let w = p(b + off::MPROJ_W);
        residual_linear(&mut after[0], mid, act, w, p(b + off::MPROJ_B), r, m);
        ws.watch.lap(StepPart::MlpProj);
    }
    let t = tail(cfg.layers);
    let (mean, rstd) = &mut ws.lnf_stats;
    let last = &ws.resid[cfg.layers];
    layer_norm_forward(
        last,
        p(t + off::LNF_W),
        p(t + off::LNF_B),
        &mut ws.xf,
        mean,
        rstd,
    );
    ws.watch.lap(StepPart::LayerNorm);
    let head_b = p(t + off::HEAD_B);
    linear(&mut ws.logits, &ws.xf, p(t + off::HEAD_W), head_b, r, d);
}

/// Cross-entropy and accuracies of the logits in `ws` against `targets` at the `scored`
/// positions. With `grad_scale = Some(1/N)` (`N` = scored positions of the whole batch) the
/// logits are replaced by dL/dlogits of the batch's mean loss (zero at unscored positions).
pub(crate) fn loss(
    ws: &mut Workspace,
    targets: &[u32],
    scored: &[bool],
    vocab: usize,
    grad_scale: Option<f32>,
) -> ShardStats {
    let len = scored.len();
    let mut stats = ShardStats {
        sequences: targets.len() / len,
        ..ShardStats::default()
    };
    for (seq_logits, seq_targets) in ws
        .logits
        .chunks_exact_mut(len * vocab)
        .zip(targets.chunks_exact(len))
    {
        let mut all_correct = true;
        let rows = seq_logits
            .chunks_exact_mut(vocab)
            .zip(seq_targets)
            .zip(scored);
        for ((z, &target), &is_scored) in rows {
            if !is_scored {
                if grad_scale.is_some() {
                    z.fill(0.0);
                }
                continue;
            }
            let target = target as usize;
            let (mut max, mut arg) = (z[0], 0);
            for (j, &v) in z.iter().enumerate().skip(1) {
                if v > max {
                    (max, arg) = (v, j);
                }
            }
            let sum: f32 = z.iter().map(|&v| exp(v - max)).sum();
            stats.loss_sum += f64::from(sum.ln() + max - z[target]);
            stats.scored += 1;
            if arg == target {
                stats.correct += 1;
            } else {
                all_correct = false;
            }
            if let Some(scale) = grad_scale {
                let inv = scale / sum;
                for v in z.iter_mut() {
                    *v = exp(*v - max) * inv;
                }
                z[target] -= scale;
            }
        }
        if all_correct {
            stats.exact += 1;
        }
    }
    ws.watch.lap(StepPart::HeadLoss);
    stats
}

/// The backward pass after [`forward`] and [`loss`] with gradients: writes every parameter's
/// gradient of this shard into `ws.grads`.
pub(crate) fn backward(
    ws: &mut Workspace,
    params: &[Param],
    cfg: &TransformerConfig,
    tokens: &[u32],
    len: usize,
) {
    let (d, m, v) = (cfg.width, cfg.mlp_width(), cfg.vocab);
    let r = tokens.len();
    let n = r / len;
    let p = |i: usize| params[i].value.data();
    let dims = AttnDims {
        t: len,
        d,
        heads: cfg.heads,
    };
    let Workspace {
        resid,
        mid,
        xn1,
        xn2,
        ln1_stats,
        ln2_stats,
        qkv,
        att_w,
        att_out,
        act,
        act_d,
        xf,
        lnf_stats,
        logits,
        dres,
        dxn,
        dhid,
        dqkv,
        datt,
        dw_scratch,
        grads,
        watch,
        ..
    } = ws;
    let t = tail(cfg.layers);
    let (gw, gb) = pair(grads, t + off::HEAD_W);
    let head_w = p(t + off::HEAD_W);
    linear_backward(logits, xf, head_w, gw, gb, Some(dxn), r, d);
    debug_assert_eq!(logits.len(), r * v);
    watch.lap(StepPart::BwdHead);
    let (gw, gb) = pair(grads, t + off::LNF_W);
    gw.fill(0.0);
    gb.fill(0.0);
    dres.fill(0.0);
    let (mean, rstd) = &*lnf_stats;
    layer_norm_backward(
        &resid[cfg.layers],
        p(t + off::LNF_W),
        mean,
        rstd,
        dxn,
        dres,
        gw,
        gb,
    );
    watch.lap(StepPart::BwdLayerNorm);
    for l in (0..cfg.layers).rev() {
        let b = block(l);
        // MLP: resid[l+1] = mid + gelu(xn2 Wfc^T + bfc) Wm^T + bm.
        let (gw, gb) = pair(grads, b + off::MPROJ_W);
        linear_backward(dres, &act[l], p(b + off::MPROJ_W), gw, gb, Some(dhid), r, m);
        gelu_backward(dhid, &act_d[l]);
        let (gw, gb) = pair(grads, b + off::FC_W);
        linear_backward(dhid, &xn2[l], p(b + off::FC_W), gw, gb, Some(dxn), r, d);
        watch.lap(StepPart::BwdMlp);
        let (gw, gb) = pair(grads, b + off::LN2_W);
        gw.fill(0.0);
        gb.fill(0.0);
        let (mean, rstd) = &ln2_stats[l];
        layer_norm_backward(&mid[l], p(b + off::LN2_W), mean, rstd, dxn, dres, gw, gb);
        watch.lap(StepPart::BwdLayerNorm);
        // Attention: mid = resid[l] + att_out Wp^T + bp.
        let (gw, gb) = pair(grads, b + off::PROJ_W);
        linear_backward(
            dres,
            &att_out[l],
            p(b + off::PROJ_W),
            gw,
            gb,
            Some(datt),
            r,
            d,
        );
        watch.lap(StepPart::BwdAttnProj);
        let seq_w = cfg.heads * len * len;
        for s in 0..n {
            let rows = s * len * 3 * d..(s + 1) * len * 3 * d;
            attention_backward(
                &qkv[l][rows.clone()],
                &att_w[l][s * seq_w..(s + 1) * seq_w],
                &datt[s * len * d..(s + 1) * len * d],
                &mut dqkv[rows],
                dw_scratch,
                dims,
            );
        }
        watch.lap(StepPart::BwdAttention);
        let (gw, gb) = pair(grads, b + off::QKV_W);
        linear_backward(dqkv, &xn1[l], p(b + off::QKV_W), gw, gb, Some(dxn), r, d);
        watch.lap(StepPart::BwdQkv);
        let (gw, gb) = pair(grads, b + off::LN1_W);
        gw.fill(0.0);
        gb.fill(0.0);
        let (mean, rstd) = &ln1_stats[l];
        layer_norm_backward(&resid[l], p(b + off::LN1_W), mean, rstd, dxn, dres, gw, gb);
        watch.lap(StepPart::BwdLayerNorm);
    }
    let (gtok, gpos) = pair(grads, TOK_EMB);
    gtok.fill(0.0);
    gpos.fill(0.0);
    embed_backward(tokens, len, dres, gtok, gpos, d);
    watch.lap(StepPart::BwdEmbedding);
}
