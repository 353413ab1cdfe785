//! Group normalisation with learnable per-channel scale and shift, over [`crate::ops::group_norm`]
//! (one operation with a closed-form backward). Parameters are named as in burn's `GroupNorm`
//! (`gamma`, `beta`), so weight files and PyTorch imports are unchanged.

use burn::module::{Module, Param};
use burn::nn::Initializer;
use burn::tensor::{Device, Tensor};

#[derive(Debug, Clone)]
pub struct GroupNormConfig {
    pub groups: usize,
    pub channels: usize,
    pub epsilon: f64,
}

impl GroupNormConfig {
    /// `groups` groups of `channels / groups` channels, ε = 1e-5 (PyTorch's and burn's default).
    pub fn new(groups: usize, channels: usize) -> Self {
        Self { groups, channels, epsilon: 1e-5 }
    }

    /// γ = 1, β = 0. Panics when `channels` is not a multiple of `groups` (a model config the
    /// config validation has already refused).
    pub fn init(&self, device: &Device) -> GroupNorm {
        assert!(self.groups > 0 && self.channels % self.groups == 0, "{} channels do not split into {} groups", self.channels, self.groups);
        GroupNorm {
            gamma: Initializer::Ones.init([self.channels], device),
            beta: Initializer::Zeros.init([self.channels], device),
            groups: self.groups,
            epsilon: self.epsilon,
        }
    }
}

#[derive(Module, Debug)]
pub struct GroupNorm {
    /// `[C]`.
    pub gamma: Param<Tensor<1>>,
    /// `[C]`.
    pub beta: Param<Tensor<1>>,
    pub groups: usize,
    pub epsilon: f64,
}

impl GroupNorm {
    /// `[B, C, H, W]` → `[B, C, H, W]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        crate::ops::group_norm(x, self.gamma.val(), self.beta.val(), self.groups, self.epsilon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;

    #[test]
    fn starts_as_a_plain_normalisation_and_keeps_the_shape() {
        let device = Device::flex();
        let norm = GroupNormConfig::new(4, 8).init(&device);
        let x = Tensor::<4>::random([3, 8, 4, 4], Distribution::Normal(2.0, 3.0), &device);
        let y = norm.forward(x);
        assert_eq!(y.dims(), [3, 8, 4, 4]);
        let mean: f32 = y.reshape([3, 4, 32]).mean_dim(2).abs().max().into_scalar();
        assert!(mean < 1e-5);
        assert_eq!(norm.num_params(), 16);
    }

    #[test]
    fn its_parameters_carry_burns_names() {
        let norm = GroupNormConfig::new(2, 4).init(&Device::flex());
        let names: Vec<String> = crate::weights::collect(&norm).into_iter().map(|(name, ..)| name).collect();
        assert_eq!(names, ["gamma", "beta"]);
    }
}
