//! Low-rank adapters for the attention and MLP projections (LoRA): y = W·x + scale·B·A·x, with
//! B starting at zero so an adapted model starts exactly at its base.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

/// Rank and scale of every adapter; `scale` = alpha / rank.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoraConfig {
    pub rank: usize,
    pub alpha: f32,
}

#[derive(Module, Debug)]
pub struct Lora {
    /// A: `[in] → [rank]`.
    pub down: Linear,
    /// B: `[rank] → [out]`, zero at init.
    pub up: Linear,
    pub scale: f32,
}

impl LoraConfig {
    /// An adapter for `base` (`[in, out]` weight).
    pub fn init(&self, base: &Linear, device: &Device) -> Lora {
        let [d_in, d_out] = base.weight.lazy_shape().dims::<2>();
        Lora {
            down: LinearConfig::new(d_in, self.rank).with_bias(false).init(device),
            up: LinearConfig::new(self.rank, d_out).with_bias(false).with_initializer(burn::nn::Initializer::Zeros).init(device),
            scale: self.alpha / self.rank as f32,
        }
    }
}

impl Lora {
    /// `[B, N, in] → [B, N, out]` (the update only).
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        self.up.forward(self.down.forward(x)) * self.scale
    }

    /// `base` with the update folded into its weight: W + scale·A·B.
    pub fn merge(&self, base: Linear) -> Linear {
        let delta = self.down.weight.val().matmul(self.up.weight.val()) * self.scale;
        Linear { weight: base.weight.map(|w| w + delta), bias: base.bias }
    }
}

/// `base(x)` plus the adapter's update when there is one.
pub fn adapted(base: &Linear, lora: Option<&Lora>, x: Tensor<3>) -> Tensor<3> {
    match lora {
        Some(l) => base.forward(x.clone()) + l.forward(x),
        None => base.forward(x),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ModelConfig, SwdModel};
    use burn::module::Param;
    use burn::tensor::Distribution;

    fn max_diff(a: Tensor<4>, b: Tensor<4>) -> f32 {
        (a - b).abs().max().into_scalar::<f32>()
    }

    #[test]
    fn adapted_model_starts_at_its_base_and_merging_keeps_the_function() {
        let device = Device::flex();
        let config = ModelConfig::tiny(16);
        let base = SwdModel::new(&config, &device);
        let x = Tensor::<4>::random([2, 3, 16, 16], Distribution::Normal(0.0, 1.0), &device);
        let sigma = Tensor::<1>::from_floats([0.3, 0.8], &device);
        let ids = Tensor::<2, burn::tensor::Int>::from_ints([[2, 5, 0], [2, 7, 9]], &device);
        let mask = Tensor::<2>::from_floats([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]], &device);
        let run = |m: &SwdModel| m.forward(x.clone(), sigma.clone(), &m.text_encoder.forward(ids.clone(), mask.clone())).velocity;
        let before = run(&base);

        let mut adapted = base.with_lora(LoraConfig { rank: 2, alpha: 2.0 }, &device);
        assert!(max_diff(run(&adapted), before.clone()) < 1e-6, "B = 0: the same function");
        // Perturb one adapter's B so it changes the function, then merge.
        let lora = adapted.unet.mid_attn.block.attn.lora.as_mut().unwrap();
        let shape = lora.q.up.weight.lazy_shape().dims::<2>();
        lora.q.up.weight = Param::from_tensor(Tensor::random(shape, Distribution::Normal(0.0, 0.5), &device));
        let changed = run(&adapted);
        assert!(max_diff(changed.clone(), before) > 1e-4);
        let merged = adapted.merge_lora();
        assert!(merged.unet.mid_attn.block.attn.lora.is_none());
        assert!(max_diff(run(&merged), changed) < 1e-4);
    }
}
