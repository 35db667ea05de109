//! Where a training step's time goes: a stopwatch per shard that, when switched on, adds the
//! time since its previous lap to the part of the step that just finished.
//!
//! Off (the default) it does nothing, not even read the clock.

use std::time::Instant;

/// The parts of a training step, in the order they run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepPart {
    /// Token + position embedding.
    Embedding,
    /// LN1, LN2 and the final LayerNorm, forward.
    LayerNorm,
    /// The q/k/v linear (one GEMM over the shard's rows).
    Qkv,
    /// Scores, causal softmax and `weights @ v` per (sequence, head).
    Attention,
    /// The attention's output projection and its residual add.
    AttnProj,
    /// The MLP's first linear and the GELU.
    MlpFc,
    /// The MLP's second linear and its residual add.
    MlpProj,
    /// The head's linear and the cross-entropy with its gradient.
    HeadLoss,
    /// Backward of the head.
    BwdHead,
    /// Backward of the three LayerNorms.
    BwdLayerNorm,
    /// Backward of the MLP (both linears and the GELU).
    BwdMlp,
    /// Backward of the attention's output projection.
    BwdAttnProj,
    /// Backward of the attention core per (sequence, head).
    BwdAttention,
    /// Backward of the q/k/v linear.
    BwdQkv,
    /// Backward of the embeddings.
    BwdEmbedding,
    /// Adding the shards' gradients into the parameters.
    GradSum,
    /// The optimizer's update.
    Optimizer,
}

impl StepPart {
    /// Every part, in order.
    pub const ALL: [StepPart; 17] = [
        StepPart::Embedding,
        StepPart::LayerNorm,
        StepPart::Qkv,
        StepPart::Attention,
        StepPart::AttnProj,
        StepPart::MlpFc,
        StepPart::MlpProj,
        StepPart::HeadLoss,
        StepPart::BwdHead,
        StepPart::BwdLayerNorm,
        StepPart::BwdMlp,
        StepPart::BwdAttnProj,
        StepPart::BwdAttention,
        StepPart::BwdQkv,
        StepPart::BwdEmbedding,
        StepPart::GradSum,
        StepPart::Optimizer,
    ];

    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            StepPart::Embedding => "embedding",
            StepPart::LayerNorm => "layernorm",
            StepPart::Qkv => "qkv linear",
            StepPart::Attention => "attention core",
            StepPart::AttnProj => "attn proj",
            StepPart::MlpFc => "mlp fc + gelu",
            StepPart::MlpProj => "mlp proj",
            StepPart::HeadLoss => "head + loss",
            StepPart::BwdHead => "bwd head",
            StepPart::BwdLayerNorm => "bwd layernorm",
            StepPart::BwdMlp => "bwd mlp",
            StepPart::BwdAttnProj => "bwd attn proj",
            StepPart::BwdAttention => "bwd attention core",
            StepPart::BwdQkv => "bwd qkv linear",
            StepPart::BwdEmbedding => "bwd embedding",
            StepPart::GradSum => "gradient sum",
            StepPart::Optimizer => "optimizer",
        }
    }
}

/// Seconds spent in each [`StepPart`] since profiling was switched on (the shards' parts as
/// measured on the first shard's thread; the others run the same work alongside).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepProfile {
    /// `(part, seconds)` in [`StepPart::ALL`] order.
    pub parts: Vec<(StepPart, f64)>,
    /// Training steps measured.
    pub steps: u64,
}

/// Accumulates seconds per [`StepPart`]; does nothing while off.
#[derive(Clone, Debug, Default)]
pub(crate) struct Stopwatch {
    on: bool,
    last: Option<Instant>,
    secs: [f64; StepPart::ALL.len()],
}

impl Stopwatch {
    /// Switches timing on or off (keeps the totals).
    pub fn set_on(&mut self, on: bool) {
        self.on = on;
        self.last = None;
    }

    /// Forgets the totals.
    pub fn reset(&mut self) {
        self.secs = Default::default();
    }

    /// Starts timing the next part.
    #[inline]
    pub fn start(&mut self) {
        if self.on {
            self.last = Some(Instant::now());
        }
    }

    /// Adds the time since the previous lap (or start) to `part`.
    #[inline]
    pub fn lap(&mut self, part: StepPart) {
        if let Some(last) = self.last {
            let now = Instant::now();
            self.secs[part as usize] += (now - last).as_secs_f64();
            self.last = Some(now);
        }
    }

    /// Seconds of `part`.
    pub fn secs(&self, part: StepPart) -> f64 {
        self.secs[part as usize]
    }
}
