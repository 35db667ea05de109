//! A decoder-only transformer written out by hand: token and learned position embeddings,
//! pre-LayerNorm blocks of multi-head causal self-attention and a GELU MLP, residual
//! connections, a final LayerNorm and a linear head, trained with cross-entropy on the
//! positions a task scores.

mod attention;
mod batch;
mod config;
mod embedding;
mod file;
mod gelu;
mod layer_norm;
mod model;
mod params;
mod profile;
mod shard;
#[cfg(test)]
mod tests;
mod trace;

pub use attention::HeadMask;
pub use batch::SeqBatch;
pub use config::{MLP_RATIO, TransformerConfig};
pub use model::{BatchStats, Transformer, warmup_lr};
pub use params::INIT_STD;
pub use profile::{StepPart, StepProfile};
pub use trace::{LayerTrace, Trace};
