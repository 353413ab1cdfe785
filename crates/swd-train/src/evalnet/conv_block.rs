//! One stage of the evaluation network: a strided 3×3 convolution that halves the resolution,
//! then a 3×3 convolution at the new resolution, each followed by GroupNorm and GELU.

use burn::module::Module;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::activation::gelu;
use burn::tensor::{Device, Tensor};
use swd_core::nn::{GroupNorm, GroupNormConfig};
use swd_core::ops::conv;

#[derive(Debug, Clone)]
pub struct ConvBlockConfig {
    pub in_channels: usize,
    pub out_channels: usize,
    pub groups: usize,
}

#[derive(Module, Debug)]
pub struct ConvBlock {
    pub down: Conv2d,
    pub norm1: GroupNorm,
    pub conv: Conv2d,
    pub norm2: GroupNorm,
}

impl ConvBlockConfig {
    pub fn init(&self, device: &Device) -> ConvBlock {
        let (cin, cout) = (self.in_channels, self.out_channels);
        ConvBlock {
            down: Conv2dConfig::new([cin, cout], [3, 3])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device),
            norm1: GroupNormConfig::new(self.groups, cout).init(device),
            conv: Conv2dConfig::new([cout, cout], [3, 3]).with_padding(PaddingConfig2d::Same).init(device),
            norm2: GroupNormConfig::new(self.groups, cout).init(device),
        }
    }
}

impl ConvBlock {
    /// `[B, Cin, H, W]` → `[B, Cout, H/2, W/2]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let h = gelu(self.norm1.forward(conv::forward(&self.down, x)));
        gelu(self.norm2.forward(conv::forward(&self.conv, h)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halves_the_resolution() {
        let device = Device::flex();
        let block = ConvBlockConfig { in_channels: 3, out_channels: 8, groups: 4 }.init(&device);
        let y = block.forward(Tensor::zeros([2, 3, 16, 12], &device));
        assert_eq!(y.dims(), [2, 8, 8, 6]);
    }
}
