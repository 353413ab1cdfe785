//! The denoiser: a resolution-agnostic UNet predicting velocity, conditioned on time (and the
//! pooled text vector, added to the time embedding) and on text tokens (cross-attention).
//! Any side that is a multiple of 2^(levels−1) works; the schedules use multiples of 8.

use crate::nn::{GroupNorm, GroupNormConfig};
use crate::ops::conv;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::silu;
use burn::tensor::{Device, Tensor};

use super::{
    Downsample, DownsampleConfig, ResBlock, ResBlockConfig, SpatialTransformer, SpatialTransformerConfig, TextEmbedding, TimeEmbedding,
    TimeEmbeddingConfig, Upsample, UpsampleConfig,
};
use crate::config::UNetConfig;

/// Name of the intermediate feature map exposed for the patch loss and discriminator.
pub const FEATURE_LAYER: &str = "mid";

/// One resolution level on the way down: res blocks (each optionally followed by attention),
/// then a downsampler except at the deepest level.
#[derive(Module, Debug)]
pub struct DownLevel {
    pub res: Vec<ResBlock>,
    pub attn: Vec<SpatialTransformer>,
    pub down: Option<Downsample>,
}

/// One level on the way up: the first res block takes the level's skip connection
/// concatenated; an upsampler to the next-finer level except at level 0.
#[derive(Module, Debug)]
pub struct UpLevel {
    pub res: Vec<ResBlock>,
    pub attn: Vec<SpatialTransformer>,
    pub up: Option<Upsample>,
}

#[derive(Module, Debug)]
pub struct UNet {
    pub conv_in: Conv2d,
    pub time_embed: TimeEmbedding,
    pub text_proj: Linear,
    pub down: Vec<DownLevel>,
    pub mid_res1: ResBlock,
    pub mid_attn: SpatialTransformer,
    pub mid_res2: ResBlock,
    pub up: Vec<UpLevel>,
    pub norm_out: GroupNorm,
    pub conv_out: Conv2d,
}

/// The velocity and the named intermediate features of one forward pass.
#[derive(Debug, Clone)]
pub struct UNetOutput {
    /// `[B, C, H, W]` predicted velocity ε − x0.
    pub velocity: Tensor<4>,
    /// `[B, C_mid, H/2^(L−1), W/2^(L−1)]` output of the middle block ([`FEATURE_LAYER`]).
    pub features: Tensor<4>,
}

impl UNetConfig {
    /// `image_channels`: channels of x; `text_dim`: width of the text encoder.
    pub fn init(&self, image_channels: usize, text_dim: usize, device: &Device) -> UNet {
        let ch = |l: usize| self.base_channels * self.channel_mults[l];
        let levels = self.channel_mults.len();
        let emb_dim = 4 * self.base_channels;
        let groups = self.norm_groups;
        let res = |i, o| ResBlockConfig { in_channels: i, out_channels: o, emb_dim, groups }.init(device);
        let attn = |c| SpatialTransformerConfig { channels: c, heads: self.heads, groups, context_dim: text_dim }.init(device);
        let attn_at = |l: usize| self.attention_levels.contains(&l);

        let mut down = Vec::new();
        let mut prev = ch(0);
        for l in 0..levels {
            let c = ch(l);
            down.push(DownLevel {
                res: (0..self.res_blocks).map(|j| res(if j == 0 { prev } else { c }, c)).collect(),
                attn: if attn_at(l) { (0..self.res_blocks).map(|_| attn(c)).collect() } else { vec![] },
                down: (l + 1 < levels).then(|| DownsampleConfig { channels: c }.init(device)),
            });
            prev = c;
        }
        let deepest = ch(levels - 1);
        let up = (0..levels)
            .rev()
            .map(|l| {
                let c = ch(l);
                UpLevel {
                    res: (0..self.res_blocks).map(|j| res(if j == 0 { 2 * c } else { c }, c)).collect(),
                    attn: if attn_at(l) { (0..self.res_blocks).map(|_| attn(c)).collect() } else { vec![] },
                    up: (l > 0).then(|| UpsampleConfig { in_channels: c, out_channels: ch(l - 1) }.init(device)),
                }
            })
            .collect();
        UNet {
            conv_in: Conv2dConfig::new([image_channels, ch(0)], [3, 3]).with_padding(PaddingConfig2d::Same).init(device),
            time_embed: TimeEmbeddingConfig { freq_dim: self.base_channels, out_dim: emb_dim }.init(device),
            text_proj: LinearConfig::new(text_dim, emb_dim).init(device),
            down,
            mid_res1: res(deepest, deepest),
            mid_attn: attn(deepest),
            mid_res2: res(deepest, deepest),
            up,
            norm_out: GroupNormConfig::new(groups, ch(0)).init(device),
            conv_out: Conv2dConfig::new([ch(0), image_channels], [3, 3]).with_padding(PaddingConfig2d::Same).init(device),
        }
    }
}

fn blocks(res: &[ResBlock], attn: &[SpatialTransformer], mut h: Tensor<4>, emb: &Tensor<2>, text: &TextEmbedding) -> Tensor<4> {
    for (j, block) in res.iter().enumerate() {
        h = block.forward(h, emb);
        if let Some(a) = attn.get(j) {
            h = a.forward(h, text);
        }
    }
    h
}

impl UNet {
    /// `x`: `[B, C, H, W]`, `t`: `[B]` timesteps (1000·σ), `text`: batch-aligned conditioning.
    pub fn forward(&self, x: Tensor<4>, t: Tensor<1>, text: &TextEmbedding) -> UNetOutput {
        let emb = self.time_embed.forward(t) + self.text_proj.forward(text.pooled.clone());
        let mut h = conv::forward(&self.conv_in, x);
        let mut skips = Vec::with_capacity(self.down.len());
        for level in &self.down {
            h = blocks(&level.res, &level.attn, h, &emb, text);
            skips.push(h.clone());
            if let Some(down) = &level.down {
                h = down.forward(h);
            }
        }
        let h = self.mid_res1.forward(h, &emb);
        let h = self.mid_attn.forward(h, text);
        let features = self.mid_res2.forward(h, &emb);
        let mut h = features.clone();
        for level in &self.up {
            let skip = skips.pop().expect("one skip per level");
            h = blocks(&level.res, &level.attn, Tensor::cat(vec![h, skip], 1), &emb, text);
            if let Some(up) = &level.up {
                h = up.forward(h);
            }
        }
        let velocity = conv::forward(&self.conv_out, silu(self.norm_out.forward(h)));
        UNetOutput { velocity, features }
    }
}
