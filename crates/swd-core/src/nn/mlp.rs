//! The transformer feed-forward: Linear → GELU → Linear.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::gelu;
use burn::tensor::{Device, Tensor};

#[derive(Debug, Clone)]
pub struct MlpConfig {
    pub dim: usize,
    pub hidden: usize,
}

#[derive(Module, Debug)]
pub struct Mlp {
    pub fc1: Linear,
    pub fc2: Linear,
}

impl MlpConfig {
    pub fn init(&self, device: &Device) -> Mlp {
        Mlp {
            fc1: LinearConfig::new(self.dim, self.hidden).init(device),
            fc2: LinearConfig::new(self.hidden, self.dim).init(device),
        }
    }
}

impl Mlp {
    /// `[B, N, D] → [B, N, D]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        self.fc2.forward(gelu(self.fc1.forward(x)))
    }
}
