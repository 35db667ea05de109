//! The sizes of a [`super::Transformer`]: one value per knob, checked once.

use serde::{Deserialize, Serialize};

use crate::files::limits::{
    TRANSFORMER_CONTEXT, TRANSFORMER_HEADS, TRANSFORMER_LAYERS, TRANSFORMER_VOCAB,
    TRANSFORMER_WIDTH,
};
use crate::nn::error::{NnError, Result};

/// How much wider the MLP of a block is than the model (GPT-2's 4x).
pub const MLP_RATIO: usize = 4;

/// A decoder-only transformer's sizes. The MLP is [`MLP_RATIO`] times `width`; each head has
/// `width / heads` dimensions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransformerConfig {
    /// Tokens the model knows (the embedding's rows and the head's outputs).
    pub vocab: usize,
    /// Longest sequence (the position embedding's rows).
    pub context: usize,
    /// Model width `D` (the residual stream).
    pub width: usize,
    /// Attention heads per block; must divide `width`.
    pub heads: usize,
    /// Blocks.
    pub layers: usize,
}

impl TransformerConfig {
    /// Workload T of `netviz bench attention`: vocabulary 16, context 16, width 64, 4 heads,
    /// 2 blocks.
    pub fn workload_t() -> Self {
        TransformerConfig {
            vocab: 16,
            context: 16,
            width: 64,
            heads: 4,
            layers: 2,
        }
    }

    /// Dimensions of one head (`width / heads`).
    pub fn head_dim(&self) -> usize {
        self.width / self.heads.max(1)
    }

    /// Width of the MLP's hidden layer.
    pub fn mlp_width(&self) -> usize {
        self.width * MLP_RATIO
    }

    /// Trainable values of the model: embeddings, per block two LayerNorms, the attention's
    /// q/k/v and output projections, the MLP's two layers, the final LayerNorm and the head.
    pub fn param_count(&self) -> usize {
        let d = self.width;
        let m = self.mlp_width();
        let block = 2 * (2 * d) + (3 * d * d + 3 * d) + (d * d + d) + (m * d + m) + (d * m + d);
        self.vocab * d
            + self.context * d
            + self.layers * block
            + 2 * d
            + self.vocab * d
            + self.vocab
    }

    /// Checks every size against its limit and that the heads divide the width.
    pub fn validate(&self) -> Result<()> {
        let check = |what: &str, value: usize, max: usize| {
            if value == 0 || value > max {
                Err(NnError::Config(format!(
                    "transformer {what} must be 1 to {max}, got {value}"
                )))
            } else {
                Ok(())
            }
        };
        check("vocabulary", self.vocab, TRANSFORMER_VOCAB)?;
        check("context", self.context, TRANSFORMER_CONTEXT)?;
        check("width", self.width, TRANSFORMER_WIDTH)?;
        check("heads", self.heads, TRANSFORMER_HEADS)?;
        check("layers", self.layers, TRANSFORMER_LAYERS)?;
        if !self.width.is_multiple_of(self.heads) {
            return Err(NnError::Config(format!(
                "transformer width {} is not a multiple of its {} heads",
                self.width, self.heads
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workload_t_is_valid_and_counts_its_parameters() {
        let t = TransformerConfig::workload_t();
        t.validate().unwrap();
        assert_eq!(t.head_dim(), 16);
        // 2 blocks of 49,984 + embeddings 2,048 + final LayerNorm 128 + head 1,040.
        assert_eq!(t.param_count(), 2 * 49_984 + 2_048 + 128 + 1_040);
    }

    #[test]
    fn bad_sizes_are_refused_with_the_field() {
        let mut t = TransformerConfig::workload_t();
        t.heads = 3;
        assert!(t.validate().unwrap_err().to_string().contains("multiple"));
        t.heads = 0;
        assert!(t.validate().unwrap_err().to_string().contains("heads"));
        let mut t = TransformerConfig::workload_t();
        t.vocab = TRANSFORMER_VOCAB + 1;
        assert!(t.validate().unwrap_err().to_string().contains("vocabulary"));
    }
}
