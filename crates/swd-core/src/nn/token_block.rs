//! A pre-norm transformer block over tokens: self-attention, optional cross-attention on
//! text tokens, feed-forward. Used by the text encoder and inside the UNet.

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use super::layer_norm::{LayerNorm, LayerNormConfig};
use super::{Attention, AttentionConfig, LoraConfig, Mlp, MlpConfig};

#[derive(Debug, Clone)]
pub struct TokenBlockConfig {
    pub dim: usize,
    pub heads: usize,
    /// Width of the text tokens to cross-attend to; `None` for no cross-attention.
    pub context_dim: Option<usize>,
}

#[derive(Module, Debug)]
pub struct TokenBlock {
    pub norm1: LayerNorm,
    pub attn: Attention,
    pub norm_cross: Option<LayerNorm>,
    pub cross: Option<Attention>,
    pub norm2: LayerNorm,
    pub mlp: Mlp,
}

impl TokenBlockConfig {
    pub fn init(&self, device: &Device) -> TokenBlock {
        let (dim, heads) = (self.dim, self.heads);
        TokenBlock {
            norm1: LayerNormConfig::new(dim).init(device),
            attn: AttentionConfig { dim, context_dim: dim, heads }.init(device),
            norm_cross: self.context_dim.map(|_| LayerNormConfig::new(dim).init(device)),
            cross: self.context_dim.map(|context_dim| AttentionConfig { dim, context_dim, heads }.init(device)),
            norm2: LayerNormConfig::new(dim).init(device),
            mlp: MlpConfig { dim, hidden: 4 * dim }.init(device),
        }
    }
}

impl TokenBlock {
    /// `x`: `[B, N, D]`; `self_bias` masks padded tokens of `x` itself (text encoder);
    /// `context`: text tokens `[B, M, Dc]` with their padding bias `[B, 1, 1, M]`.
    pub fn forward(&self, x: Tensor<3>, self_bias: Option<Tensor<4>>, context: Option<(&Tensor<3>, &Tensor<4>)>) -> Tensor<3> {
        let h = self.norm1.forward(x.clone());
        let mut x = x + self.attn.forward(h.clone(), h, self_bias);
        if let (Some(norm), Some(cross), Some((ctx, bias))) = (&self.norm_cross, &self.cross, context) {
            x = x.clone() + cross.forward(norm.forward(x), ctx.clone(), Some(bias.clone()));
        }
        x.clone() + self.mlp.forward(self.norm2.forward(x))
    }
}

impl TokenBlock {
    /// Adapters on the self-attention, cross-attention and MLP projections.
    pub fn with_lora(self, config: LoraConfig, device: &Device) -> Self {
        Self {
            attn: self.attn.with_lora(config, device),
            cross: self.cross.map(|c| c.with_lora(config, device)),
            mlp: self.mlp.with_lora(config, device),
            ..self
        }
    }

    pub fn merge_lora(self) -> Self {
        Self { attn: self.attn.merge_lora(), cross: self.cross.map(Attention::merge_lora), mlp: self.mlp.merge_lora(), ..self }
    }
}
