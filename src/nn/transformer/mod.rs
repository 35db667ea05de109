//! A decoder-only transformer written out by hand: token and learned position embeddings,
//! pre-LayerNorm blocks of multi-head causal self-attention and a GELU MLP, residual
//! connections, a final LayerNorm and a linear head, trained with cross-entropy on the
//! positions a task scores.

mod batch;
mod config;

pub use batch::SeqBatch;
pub use config::{MLP_RATIO, TransformerConfig};
