//! Timestep embedding: sinusoidal features of t = 1000·σ, then a two-layer MLP.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::silu;
use burn::tensor::{Device, Tensor, TensorData};

#[derive(Debug, Clone)]
pub struct TimeEmbeddingConfig {
    /// Width of the sinusoidal features (even).
    pub freq_dim: usize,
    pub out_dim: usize,
}

#[derive(Module, Debug)]
pub struct TimeEmbedding {
    pub fc1: Linear,
    pub fc2: Linear,
    pub freq_dim: usize,
}

impl TimeEmbeddingConfig {
    pub fn init(&self, device: &Device) -> TimeEmbedding {
        TimeEmbedding {
            fc1: LinearConfig::new(self.freq_dim, self.out_dim).init(device),
            fc2: LinearConfig::new(self.out_dim, self.out_dim).init(device),
            freq_dim: self.freq_dim,
        }
    }
}

/// `[cos(t·f_i), sin(t·f_i)]` with f_i = 10000^(−i/half): `[B] → [B, dim]`.
pub fn sinusoidal(t: Tensor<1>, dim: usize) -> Tensor<2> {
    let half = dim / 2;
    let freqs: Vec<f32> = (0..half).map(|i| (-(10000f32.ln()) * i as f32 / half as f32).exp()).collect();
    let freqs = Tensor::<1>::from_data(TensorData::new(freqs, [half]), &t.device());
    let args = t.unsqueeze_dim::<2>(1) * freqs.unsqueeze::<2>();
    Tensor::cat(vec![args.clone().cos(), args.sin()], 1)
}

impl TimeEmbedding {
    /// `t`: `[B]` (= 1000·σ) → `[B, out_dim]`.
    pub fn forward(&self, t: Tensor<1>) -> Tensor<2> {
        self.fc2.forward(silu(self.fc1.forward(sinusoidal(t, self.freq_dim))))
    }
}
