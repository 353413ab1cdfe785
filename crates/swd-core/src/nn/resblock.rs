//! The UNet's residual block, conditioned on the time(+pooled text) embedding.

use crate::nn::{GroupNorm, GroupNormConfig};
use crate::ops::conv;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::silu;
use burn::tensor::{Device, Tensor};

#[derive(Debug, Clone)]
pub struct ResBlockConfig {
    pub in_channels: usize,
    pub out_channels: usize,
    pub emb_dim: usize,
    pub groups: usize,
}

#[derive(Module, Debug)]
pub struct ResBlock {
    pub norm1: GroupNorm,
    pub conv1: Conv2d,
    pub emb_proj: Linear,
    pub norm2: GroupNorm,
    pub conv2: Conv2d,
    /// 1×1 projection of the shortcut when the channel count changes.
    pub skip: Option<Conv2d>,
}

impl ResBlockConfig {
    pub fn init(&self, device: &Device) -> ResBlock {
        let (cin, cout) = (self.in_channels, self.out_channels);
        let conv3 = |i, o| Conv2dConfig::new([i, o], [3, 3]).with_padding(PaddingConfig2d::Same).init(device);
        ResBlock {
            norm1: GroupNormConfig::new(self.groups, cin).init(device),
            conv1: conv3(cin, cout),
            emb_proj: LinearConfig::new(self.emb_dim, cout).init(device),
            norm2: GroupNormConfig::new(self.groups, cout).init(device),
            conv2: conv3(cout, cout),
            skip: (cin != cout).then(|| Conv2dConfig::new([cin, cout], [1, 1]).init(device)),
        }
    }
}

impl ResBlock {
    /// `x`: `[B, Cin, H, W]`, `emb`: `[B, E]` → `[B, Cout, H, W]`.
    pub fn forward(&self, x: Tensor<4>, emb: &Tensor<2>) -> Tensor<4> {
        let h = conv::forward(&self.conv1, silu(self.norm1.forward(x.clone())));
        let [b, c, _, _] = h.dims();
        let h = h + self.emb_proj.forward(silu(emb.clone())).reshape([b, c, 1, 1]);
        let h = conv::forward(&self.conv2, silu(self.norm2.forward(h)));
        let shortcut = match &self.skip {
            Some(skip) => conv::forward(skip, x),
            None => x,
        };
        shortcut + h
    }
}
