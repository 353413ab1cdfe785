//! Attention inside the UNet: a feature map is flattened to tokens, passed through a
//! [`TokenBlock`] with cross-attention on the text, and added back.

use crate::nn::{GroupNorm, GroupNormConfig};
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

use super::{TokenBlock, TokenBlockConfig};
use crate::nn::TextEmbedding;

#[derive(Debug, Clone)]
pub struct SpatialTransformerConfig {
    pub channels: usize,
    pub heads: usize,
    pub groups: usize,
    pub context_dim: usize,
}

#[derive(Module, Debug)]
pub struct SpatialTransformer {
    pub norm: GroupNorm,
    pub proj_in: Linear,
    pub block: TokenBlock,
    pub proj_out: Linear,
}

impl SpatialTransformerConfig {
    pub fn init(&self, device: &Device) -> SpatialTransformer {
        let c = self.channels;
        SpatialTransformer {
            norm: GroupNormConfig::new(self.groups, c).init(device),
            proj_in: LinearConfig::new(c, c).init(device),
            block: TokenBlockConfig { dim: c, heads: self.heads, context_dim: Some(self.context_dim) }.init(device),
            proj_out: LinearConfig::new(c, c).init(device),
        }
    }
}

impl SpatialTransformer {
    /// `[B, C, H, W] → [B, C, H, W]`.
    pub fn forward(&self, x: Tensor<4>, text: &TextEmbedding) -> Tensor<4> {
        let [b, c, h, w] = x.dims();
        let tokens = self.norm.forward(x.clone()).reshape([b, c, h * w]).swap_dims(1, 2);
        let tokens = self.proj_in.forward(tokens);
        let tokens = self.block.forward(tokens, None, Some((&text.tokens, &text.bias)));
        let out = self.proj_out.forward(tokens).swap_dims(1, 2).reshape([b, c, h, w]);
        x + out
    }
}
