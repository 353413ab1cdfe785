//! The text encoder: token + learned position embeddings, pre-norm transformer blocks with a
//! padding mask, final LayerNorm; gives per-token features and a masked-mean pooled vector.

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig};
use burn::tensor::{Device, Int, Tensor};

use super::layer_norm::{LayerNorm, LayerNormConfig};
use super::{TokenBlock, TokenBlockConfig};
use crate::config::TextEncoderConfig;

/// What the denoiser is conditioned on.
#[derive(Debug, Clone)]
pub struct TextEmbedding {
    /// `[B, L, D]` token features.
    pub tokens: Tensor<3>,
    /// `[B, 1, 1, L]` additive attention bias: 0 for real tokens, −1e4 for padding.
    pub bias: Tensor<4>,
    /// `[B, D]` mean of the real tokens' features.
    pub pooled: Tensor<2>,
}

impl TextEmbedding {
    /// The same prompts `times` over along the batch: `[times·B, …]`, for one forward over
    /// several inputs that share their text.
    pub fn repeat(&self, times: usize) -> Self {
        Self {
            tokens: Tensor::cat(vec![self.tokens.clone(); times], 0),
            bias: Tensor::cat(vec![self.bias.clone(); times], 0),
            pooled: Tensor::cat(vec![self.pooled.clone(); times], 0),
        }
    }
}

#[derive(Module, Debug)]
pub struct TextEncoder {
    pub token_embedding: Embedding,
    pub position_embedding: Embedding,
    pub blocks: Vec<TokenBlock>,
    pub norm: LayerNorm,
}

impl TextEncoderConfig {
    pub fn init(&self, device: &Device) -> TextEncoder {
        TextEncoder {
            token_embedding: EmbeddingConfig::new(self.vocab_size, self.width).init(device),
            position_embedding: EmbeddingConfig::new(self.max_tokens, self.width).init(device),
            blocks: (0..self.layers)
                .map(|_| TokenBlockConfig { dim: self.width, heads: self.heads, context_dim: None }.init(device))
                .collect(),
            norm: LayerNormConfig::new(self.width).init(device),
        }
    }
}

impl TextEncoder {
    /// `ids`: `[B, L]` token ids, `mask`: `[B, L]` with 1 for real tokens and 0 for padding
    /// (every row has at least the BOS token).
    pub fn forward(&self, ids: Tensor<2, Int>, mask: Tensor<2>) -> TextEmbedding {
        let [b, l] = ids.dims();
        let device = ids.device();
        let positions = Tensor::<1, Int>::arange(0..l as i64, &device).reshape([1, l]).repeat_dim(0, b);
        let mut x = self.token_embedding.forward(ids) + self.position_embedding.forward(positions);
        let bias = (mask.clone() - 1.0).reshape([b, 1, 1, l]) * 1e4;
        for block in &self.blocks {
            x = block.forward(x, Some(bias.clone()), None);
        }
        let tokens = self.norm.forward(x);
        let weights = mask.clone().reshape([b, l, 1]);
        let pooled = (tokens.clone() * weights).sum_dim(1).reshape([b, tokens.dims()[2]]) / mask.sum_dim(1).reshape([b, 1]);
        TextEmbedding { tokens, bias, pooled }
    }
}
