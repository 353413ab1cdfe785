//! Layer normalisation over the last dimension with learnable scale and shift. It is group
//! normalisation with one group of `D` channels and one pixel ([`crate::ops::group_norm`]: one
//! operation with a closed-form backward), where burn's `LayerNorm` is composed of tensor ops
//! whose backward autodiff replays op by op (one layer and the linear before it: 46 kernel
//! launches forward and backward against 29, on wgpu). Parameters are named as in burn's
//! (`gamma`, `beta`), so weight files and PyTorch imports are unchanged.

use burn::module::{Module, Param};
use burn::nn::Initializer;
use burn::tensor::{Device, Tensor};

#[derive(Debug, Clone)]
pub struct LayerNormConfig {
    pub d_model: usize,
    pub epsilon: f64,
}

impl LayerNormConfig {
    /// Over `d_model` features, ε = 1e-5 (PyTorch's and burn's default).
    pub fn new(d_model: usize) -> Self {
        Self { d_model, epsilon: 1e-5 }
    }

    /// γ = 1, β = 0.
    pub fn init(&self, device: &Device) -> LayerNorm {
        LayerNorm {
            gamma: Initializer::Ones.init([self.d_model], device),
            beta: Initializer::Zeros.init([self.d_model], device),
            epsilon: self.epsilon,
        }
    }
}

#[derive(Module, Debug)]
pub struct LayerNorm {
    /// `[D]`.
    pub gamma: Param<Tensor<1>>,
    /// `[D]`.
    pub beta: Param<Tensor<1>>,
    pub epsilon: f64,
}

impl LayerNorm {
    /// `[..., D]` → `[..., D]`, each row normalised over its `D` values.
    pub fn forward<const N: usize>(&self, x: Tensor<N>) -> Tensor<N> {
        let dims = x.dims();
        let d = dims[N - 1];
        let rows = x.shape().num_elements() / d;
        crate::ops::group_norm(x.reshape([rows, d, 1, 1]), self.gamma.val(), self.beta.val(), 1, self.epsilon).reshape(dims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;

    /// burn's layer norm with our γ and β: the reference.
    fn burns(ours: &LayerNorm, device: &Device) -> burn::nn::LayerNorm {
        let mut reference = burn::nn::LayerNormConfig::new(6).init(device);
        reference.gamma = Param::from_tensor(ours.gamma.val());
        reference.beta = Some(Param::from_tensor(ours.beta.val()));
        reference
    }

    fn random(device: &Device) -> LayerNorm {
        let mut norm = LayerNormConfig::new(6).init(device);
        norm.gamma = Param::from_tensor(Tensor::random([6], Distribution::Normal(1.0, 0.5), device));
        norm.beta = Param::from_tensor(Tensor::random([6], Distribution::Normal(0.0, 0.5), device));
        norm
    }

    fn max_diff<const N: usize>(a: Tensor<N>, b: Tensor<N>) -> f32 {
        (a - b).abs().max().into_scalar::<f32>()
    }

    #[test]
    fn equals_burns_layer_norm_at_any_rank() {
        let device = Device::flex();
        let norm = random(&device);
        let reference = burns(&norm, &device);
        let x3 = Tensor::<3>::random([2, 5, 6], Distribution::Normal(0.5, 2.0), &device);
        let y3 = norm.forward(x3.clone());
        assert_eq!(y3.dims(), [2, 5, 6]);
        assert!(max_diff(y3, reference.forward(x3)) < 1e-5);
        let x2 = Tensor::<2>::random([4, 6], Distribution::Normal(-1.0, 3.0), &device);
        assert!(max_diff(norm.forward(x2.clone()), reference.forward(x2)) < 1e-5);
    }

    #[cfg(feature = "autodiff")]
    #[test]
    fn gradients_equal_burns() {
        let device = Device::flex().autodiff();
        let norm = random(&device);
        let reference = burns(&norm, &device);
        let x = Tensor::<3>::random([2, 5, 6], Distribution::Normal(0.5, 2.0), &device).require_grad();
        let w = Tensor::<3>::random([2, 5, 6], Distribution::Normal(0.0, 1.0), &device);
        let ours = (norm.forward(x.clone()) * w.clone()).sum().backward();
        let theirs = (reference.forward(x.clone()) * w).sum().backward();
        assert!(max_diff(x.grad(&ours).unwrap(), x.grad(&theirs).unwrap()) < 1e-4);
        assert!(max_diff(norm.gamma.grad(&ours).unwrap(), reference.gamma.grad(&theirs).unwrap()) < 1e-4);
        let beta = reference.beta.as_ref().unwrap();
        assert!(max_diff(norm.beta.grad(&ours).unwrap(), beta.grad(&theirs).unwrap()) < 1e-4);
    }

    #[test]
    fn its_parameters_carry_burns_names() {
        let norm = LayerNormConfig::new(4).init(&Device::flex());
        let names: Vec<String> = crate::weights::collect(&norm).into_iter().map(|(name, ..)| name).collect();
        assert_eq!(names, ["gamma", "beta"]);
    }
}
