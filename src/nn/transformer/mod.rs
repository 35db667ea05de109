//! A decoder-only transformer written out by hand: token and learned position embeddings,
//! pre-LayerNorm blocks of multi-head causal self-attention and a GELU MLP, residual
//! connections, a final LayerNorm and a linear head, trained with cross-entropy on the
//! positions a task scores.
//!
//! ```text
//! x = tok_emb[token] + pos_emb[position]
//! per block:  x = x + Attn(LN1(x))          Attn: qkv = Linear(D,3D); per head h (dims
//!             x = x + MLP(LN2(x))           h*dh..(h+1)*dh of q, k, v) causal softmax(q.k/sqrt(dh)) v;
//!                                           heads concatenated, then Linear(D,D)
//!             MLP = Linear(D,4D) -> GELU (tanh approximation) -> Linear(4D,D)
//! logits = Linear(D,V)(LN_f(x))             loss = mean cross-entropy over scored positions
//! ```
//!
//! LayerNorms have eps 1e-5, a weight and a bias; every linear has a bias. GELU is the tanh
//! approximation (`nn.GELU(approximate='tanh')`). Initialisation is GPT-2's: weights and
//! embeddings `N(0, 0.02^2)`, biases 0, LayerNorm weights 1 (see [`INIT_STD`]).
//!
//! Files: [`Transformer::save`] writes safetensors with PyTorch's `state_dict` names and
//! layouts and the config under the metadata key `"config"`; this module loads them:
//!
//! ```python
//! import json, torch, torch.nn as nn, torch.nn.functional as F
//! from safetensors import safe_open
//! from safetensors.torch import load_file
//!
//! class Attention(nn.Module):
//!     def __init__(self, d, heads):
//!         super().__init__()
//!         self.heads, self.qkv, self.proj = heads, nn.Linear(d, 3 * d), nn.Linear(d, d)
//!     def forward(self, x):
//!         b, t, d = x.shape
//!         q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2)
//!                    for z in self.qkv(x).split(d, dim=2))
//!         y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
//!         return self.proj(y.transpose(1, 2).reshape(b, t, d))
//!
//! class Mlp(nn.Module):
//!     def __init__(self, d):
//!         super().__init__()
//!         self.fc, self.proj = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
//!     def forward(self, x):
//!         return self.proj(F.gelu(self.fc(x), approximate='tanh'))
//!
//! class Block(nn.Module):
//!     def __init__(self, d, heads):
//!         super().__init__()
//!         self.ln1, self.attn = nn.LayerNorm(d), Attention(d, heads)
//!         self.ln2, self.mlp = nn.LayerNorm(d), Mlp(d)
//!     def forward(self, x):
//!         x = x + self.attn(self.ln1(x))
//!         return x + self.mlp(self.ln2(x))
//!
//! class Transformer(nn.Module):
//!     def __init__(self, vocab, context, width, heads, layers, **_):
//!         super().__init__()
//!         self.tok_emb, self.pos_emb = nn.Embedding(vocab, width), nn.Embedding(context, width)
//!         self.blocks = nn.ModuleList(Block(width, heads) for _ in range(layers))
//!         self.ln_f, self.head = nn.LayerNorm(width), nn.Linear(width, vocab)
//!     def forward(self, tokens):  # (batch, T) int64 -> (batch, T, vocab) logits
//!         x = self.tok_emb(tokens) + self.pos_emb(torch.arange(tokens.shape[1]))
//!         for block in self.blocks:
//!             x = block(x)
//!         return self.head(self.ln_f(x))
//!
//! with safe_open(path, "pt") as f:
//!     model = Transformer(**json.loads(f.metadata()["config"]))
//! model.load_state_dict(load_file(path))
//! ```

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
