//! Resolution changes inside the UNet: strided-conv downsampling, nearest ×2 + conv upsampling.

use crate::ops::conv;
use burn::module::Module;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Device, Tensor};

#[derive(Debug, Clone)]
pub struct DownsampleConfig {
    pub channels: usize,
}

#[derive(Module, Debug)]
pub struct Downsample {
    pub conv: Conv2d,
}

impl DownsampleConfig {
    pub fn init(&self, device: &Device) -> Downsample {
        let c = self.channels;
        Downsample {
            conv: Conv2dConfig::new([c, c], [3, 3]).with_stride([2, 2]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init(device),
        }
    }
}

impl Downsample {
    /// `[B, C, H, W] → [B, C, H/2, W/2]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        conv::forward(&self.conv, x)
    }
}

#[derive(Debug, Clone)]
pub struct UpsampleConfig {
    pub in_channels: usize,
    pub out_channels: usize,
}

#[derive(Module, Debug)]
pub struct Upsample {
    pub conv: Conv2d,
}

impl UpsampleConfig {
    pub fn init(&self, device: &Device) -> Upsample {
        Upsample { conv: Conv2dConfig::new([self.in_channels, self.out_channels], [3, 3]).with_padding(PaddingConfig2d::Same).init(device) }
    }
}

impl Upsample {
    /// `[B, Cin, H, W] → [B, Cout, 2H, 2W]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [_, _, h, w] = x.dims();
        let options = InterpolateOptions {
            mode: InterpolateMode::Nearest,
            align_corners: false,
            output_size: Some([2 * h, 2 * w]),
            scale_factor: None,
        };
        conv::forward(&self.conv, interpolate(x, options))
    }
}
