//! The discriminator head on the fake-score network's features.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::gelu;
use burn::tensor::{Device, Tensor};
use swd_core::nn::layer_norm::{LayerNorm, LayerNormConfig};

/// `channels`: width of the feature map it reads.
#[derive(Debug, Clone)]
pub struct DiscHeadConfig {
    pub channels: usize,
}

/// Mean over tokens, then 4 × (LayerNorm → GELU → Linear), halving the width, down to 1 logit.
#[derive(Module, Debug)]
pub struct DiscHead {
    pub norms: Vec<LayerNorm>,
    pub linears: Vec<Linear>,
}

impl DiscHeadConfig {
    pub fn init(&self, device: &Device) -> DiscHead {
        let c = self.channels;
        let widths = [c, (c / 2).max(1), (c / 4).max(1), (c / 8).max(1), 1];
        DiscHead {
            norms: widths[..4].iter().map(|&w| LayerNormConfig::new(w).init(device)).collect(),
            linears: widths.windows(2).map(|w| LinearConfig::new(w[0], w[1]).init(device)).collect(),
        }
    }
}

impl DiscHead {
    /// `[B, C, H, W]` features → `[B]` logits.
    pub fn forward(&self, features: Tensor<4>) -> Tensor<1> {
        let [b, c, _, _] = features.dims();
        let mut h = features.mean_dim(3).mean_dim(2).reshape([b, c]);
        for (norm, linear) in self.norms.iter().zip(&self.linears) {
            h = linear.forward(gelu(norm.forward(h)));
        }
        h.reshape([b])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;

    #[test]
    fn one_logit_per_image_and_token_order_does_not_matter() {
        let device = Device::flex();
        let head = DiscHeadConfig { channels: 16 }.init(&device);
        let x = Tensor::<4>::random([3, 16, 4, 4], Distribution::Normal(0.0, 1.0), &device);
        let logits = head.forward(x.clone());
        assert_eq!(logits.dims(), [3]);
        let flipped = head.forward(x.flip([2, 3]));
        assert!((logits - flipped).abs().max().into_scalar::<f32>() < 1e-5);
    }
}
